"""A small run of the load benchmark (benchmarks/load.py) in the normal suite: a real uvicorn
over the fixture index, 5 clients and 3 clerks for 3 s, then a crash and restart under writes,
then the database check. The full run (50 clients, 20 clerks, 60 s) is
``python -m benchmarks.load``; its figures are in docs/RELIABILITY.md."""

from __future__ import annotations

from benchmarks.load import parser, run


def test_load_restart_and_database_check(built_settings):
    args = parser().parse_args(
        ["--clients", "5", "--clerks", "3", "--seconds", "3", "--restart-seconds", "4"]
        + ["--rate-limit", "60"]
        + ["--home", str(built_settings.home)]
    )
    r = run(args)
    load = r["load"]
    assert load["error_count"] == 0, load["errors"]
    assert (
        load["endpoints"]["match"]["requests"] > 0 and load["endpoints"]["search"]["requests"] > 0
    )
    for abuser in ("by_address", "rotating_keys"):
        rl = load["rate_limit"][abuser]
        assert rl["holds"] and rl["refused_429"] > 0, rl
    assert r["restart"]["error_count"] == 0, r["restart"]["errors"]
    assert not r["restart"]["acknowledged_tickets_missing_after_restart"]
    db = r["database_check"]
    assert db["problems"] == [] and db["acknowledged_creates"] > 0, db
    assert r["log_check"]["keys_in_log"] == 0 and not r["log_check"]["personal_data_in_log"]
    assert r["ok"]
