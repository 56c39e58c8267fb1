"""Backups that restore (issue 22): every ticket, its history, feedback and the demand log come
back in a fresh home, on SQLite and on PostgreSQL, with the index version that served them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from qis_match import cli
from qis_match.store.backup import BackupError, backup, restore
from qis_match.store.demand_log import DemandLog
from qis_match.store.index_store import IndexStore
from qis_match.store.schema import metadata
from qis_match.store.tickets import STATUSES, Choice, TicketStore, utcnow


def _fill(url: str, matcher) -> None:
    """Tickets with history and feedback, and demand rows with their needs."""
    store = TicketStore(url)
    now = utcnow()
    for i, text in enumerate(
        ["压力表到期要送检", "想注册商标再做个团体标准", "电热水壶要做CCC认证"]
    ):
        t = store.create(
            request_text=f"{text}，联系人王小明 13912345678",
            needs=[{"category": "metrology"}],
            entities={"province": "湖北省"},
            choices=[
                Choice(
                    category="metrology",
                    institution_id="T-MET-WH",
                    institution_name="武汉市测试计量所（测试）",
                    sub_service="metrology.verification",
                    rank=1,
                    resource_type="institution",
                    snapshot={"name": "武汉市测试计量所（测试）", "phone": "027-00001111"},
                )
            ],
            actor="alice",
            role="clerk",
            now=now - timedelta(days=i),
        )
        for status in STATUSES[1 : 2 + i]:
            t = store.change_status(t.id, status, actor="alice", role="clerk")
        store.add_feedback(t.id, actor="alice", rating=4, comment="很快，谢谢")
    store.close()
    log = DemandLog(url)
    for text in ("压力表到期要送检", "帮我查下社保怎么补缴"):
        log.record(matcher.match(text, "湖北省武汉市"), channel="api")


def _rows(url: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            return {
                t.name: [tuple(r) for r in c.execute(sa.select(t).order_by(*t.primary_key.columns))]
                for t in metadata().sorted_tables
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("where", ["sqlite", "postgresql"])
def test_restore_gives_back_every_ticket(where, home_with_index, matcher, tmp_path, request):
    src = home_with_index
    if where == "postgresql":
        src = src.model_copy(
            update={"database_url": request.getfixturevalue("fresh_postgres_url")("qis_restore")}
        )
    _fill(src.db_url, matcher)
    before = _rows(src.db_url)
    assert len(before["tickets"]) == 3 and len(before["ticket_events"]) == 3 + 6
    assert len(before["feedback"]) == 3 and len(before["demand_requests"]) == 2

    meta = backup(src, tmp_path / "backup")
    assert (
        meta["rows"]["tickets"] == 3
        and meta["index_version"] == IndexStore(src.index_root).current_version()
    )
    with pytest.raises(BackupError):
        backup(src, tmp_path / "backup")  # never over an earlier backup

    # a fresh home (another machine): empty database, no index
    dst = src.model_copy(update={"home": tmp_path / "new-home", "database_url": ""})
    if where == "postgresql":
        dst = dst.model_copy(
            update={"database_url": request.getfixturevalue("fresh_postgres_url")("qis_restore")}
        )
    out = restore(dst, tmp_path / "backup")
    assert _rows(dst.db_url) == before  # every row, ids included
    assert IndexStore(dst.index_root).current_version() == meta["index_version"]
    # the restored database takes new tickets with new numbers
    store = TicketStore(dst.db_url)
    t = store.create(
        request_text="新的请求",
        needs=[],
        entities={},
        choices=[],
        actor="alice",
        role="clerk",
    )
    assert t.id > max(r[0] for r in before["tickets"])
    store.close()
    # restoring again over it is refused unless forced
    with pytest.raises(BackupError, match="already holds"):
        restore(dst, tmp_path / "backup")
    restore(dst, tmp_path / "backup", force=True)
    assert _rows(dst.db_url) == before
    assert out["restored_index_version"] == meta["index_version"]


def test_backup_and_restore_from_the_command_line(
    home_with_index, matcher, tmp_path, monkeypatch, capsys
):
    _fill(home_with_index.db_url, matcher)
    monkeypatch.setenv("QIS_NEEDS_MODEL", "retrieval")
    monkeypatch.setenv("QIS_EMBEDDING_CACHE", str(home_with_index.cache_path))
    assert cli.main(["backup", str(tmp_path / "b"), "--home", str(home_with_index.home)]) == 0
    assert "tickets 3" in capsys.readouterr().out
    assert cli.main(["restore", str(tmp_path / "b"), "--home", str(tmp_path / "h2")]) == 0
    assert "CURRENT is" in capsys.readouterr().out
    assert cli.main(["restore", str(tmp_path / "nope"), "--home", str(tmp_path / "h3")]) == 1
    assert "not a qis-match backup" in capsys.readouterr().err


def test_the_commands_run_as_a_module():
    """`python -m qis_match.cli backup|restore` (every command is defined before main runs)."""
    import subprocess
    import sys

    for cmd in ("backup", "restore"):
        out = subprocess.run(
            [sys.executable, "-m", "qis_match.cli", cmd, "--help"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0 and f"qis-match {cmd}" in out.stdout, out.stderr[-500:]
