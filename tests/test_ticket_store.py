"""Ticket storage against SQLite and a real PostgreSQL server (QIS_TEST_POSTGRES_URL; `.ci/run`
starts one with scripts/ci_services.sh). Nothing is lost on restart; concurrent changes never
overwrite each other."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from qis_match.store.tickets import (
    STATUSES,
    Choice,
    InvalidTransition,
    TicketError,
    TicketNotFound,
    TicketStore,
    VersionConflict,
    utcnow,
)


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as c:
        tables = ("feedback", "ticket_events", "ticket_referrals", "tickets", "alembic_version")
        for t in (*tables, "demand_needs", "demand_requests"):  # + the demand log (0003)
            c.exec_driver_sql(f"DROP TABLE IF EXISTS {t} CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/tickets.db"
    url = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url


def _new(store: TicketStore, **kw):
    return store.create(
        request_text=kw.get("text", "压力表到期要送检"),
        needs=[{"category": c, "score": 0.9} for c in kw.get("needs", ["metrology"])],
        entities={"province": "湖北省", "city": "武汉市", "enterprise": "武汉××仪表有限公司"},
        choices=[
            Choice(c, f"I-{c}", f"机构-{c}", rank=1, top_institution_id=f"I-{c}")
            for c in kw.get("needs", ["metrology"])
        ],
        actor="alice",
        role="clerk",
        now=kw.get("now"),
    )


def test_create_read_and_history(db_url):
    st = TicketStore(db_url)
    t = _new(st, needs=["metrology", "certification"])
    assert t.status == "受理" and t.version == 1 and t.created_by == "alice"
    assert [r.category for r in t.referrals] == ["metrology", "certification"]
    assert t.deadline - t.created_at == timedelta(days=60)  # the longest limit of its needs
    assert [(e.from_status, e.to_status, e.actor) for e in t.events] == [(None, "受理", "alice")]
    assert st.get(t.id).enterprise == "武汉××仪表有限公司"
    with pytest.raises(TicketNotFound):
        st.get(999999)


def test_statuses_move_forward_one_step_at_a_time(db_url):
    st = TicketStore(db_url)
    t = _new(st)
    with pytest.raises(InvalidTransition, match="next status is 已转介"):
        st.change_status(t.id, "办结", actor="bob", role="clerk")
    with pytest.raises(InvalidTransition, match="unknown status"):
        st.change_status(t.id, "closed", actor="bob", role="clerk")
    for version, status in enumerate(STATUSES[1:], start=1):
        t = st.change_status(
            t.id, status, actor="bob", role="admin", expected_version=version, note=f"to {status}"
        )
    assert t.status == "已回访" and t.version == len(STATUSES)
    assert [e.to_status for e in t.events] == list(STATUSES)
    assert all(e.at is not None for e in t.events) and t.events[-1].actor == "bob"
    with pytest.raises(InvalidTransition, match="closed"):
        st.change_status(t.id, "已回访", actor="bob", role="clerk")


def test_stale_version_is_a_conflict(db_url):
    st = TicketStore(db_url)
    t = _new(st)
    st.change_status(t.id, "已转介", actor="a", role="clerk", expected_version=1)
    with pytest.raises(VersionConflict):
        st.change_status(t.id, "机构已受理", actor="b", role="clerk", expected_version=1)


def test_concurrent_updates_exactly_one_wins(db_url):
    st = TicketStore(db_url)
    t = _new(st)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        barrier.wait()
        try:
            st.change_status(t.id, "已转介", actor=f"clerk{i}", role="clerk", expected_version=1)
            results.append("ok")
        except (VersionConflict, InvalidTransition):
            results.append("conflict")
        except (
            sa.exc.OperationalError
        ):  # SQLite "database is locked" under contention: also a refusal
            results.append("conflict")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results.count("ok") == 1, results
    final = st.get(t.id)
    assert final.version == 2 and [e.to_status for e in final.events] == ["受理", "已转介"]


def test_overdue_list_and_counts(db_url):
    st = TicketStore(db_url, time_limits={"metrology": 1})
    old = _new(st, now=utcnow() - timedelta(days=3))
    fresh = _new(st)
    done = _new(st, now=utcnow() - timedelta(days=5))
    for v, s in enumerate(STATUSES[1:4], start=1):
        st.change_status(done.id, s, actor="a", role="clerk", expected_version=v)
    overdue = [t.id for t in st.list(overdue_at=utcnow())]
    assert overdue == [old.id]  # closed tickets are never overdue; fresh ones are not yet
    assert st.counts_by_status()["受理"] == 2 and st.counts_by_status()["办结"] == 1
    assert {t.id for t in st.list(status="受理")} == {old.id, fresh.id}


def test_feedback_is_stored(db_url):
    st = TicketStore(db_url)
    t = _new(st)
    t = st.add_feedback(
        t.id,
        actor="alice",
        rating=4,
        institution_used="I-other",
        override_reason="企业指定",
        comment="满意",
    )
    f = t.feedback[0]
    assert (f.rating, f.institution_used, f.override_reason, f.comment) == (
        4,
        "I-other",
        "企业指定",
        "满意",
    )
    with pytest.raises(TicketError, match="rating"):
        st.add_feedback(t.id, actor="alice", rating=9)


def test_nothing_is_lost_on_restart_and_migrations_are_idempotent(db_url):
    st = TicketStore(db_url)
    ids = [_new(st).id for _ in range(3)]
    st.change_status(ids[0], "已转介", actor="a", role="clerk")
    st.close()
    st2 = TicketStore(db_url)  # runs the migrations again: a no-op
    assert [st2.get(i).id for i in ids] == ids
    assert st2.get(ids[0]).status == "已转介"


def test_free_text_is_stored_redacted(db_url):
    """Issue 23: every free-text write is redacted by the store itself, whoever calls it."""
    st = TicketStore(db_url)
    leaks = ("13800001234", "王经理", "110105199002281234", "li@example.com", "wxid_abc123")
    t = st.create(
        request_text="压力表送检，联系人王经理13800001234",
        needs=[{"category": "metrology", "score": 0.9, "text": "联系人王经理13800001234"}],
        entities={"enterprise": "武汉××仪表有限公司"},
        choices=[
            Choice(
                "metrology", "I-2", "机构-2", rank=2, override_reason="王经理指定，微信 wxid_abc123"
            )
        ],
        actor="alice",
        role="clerk",
    )
    t = st.change_status(
        t.id, "已转介", actor="alice", role="clerk", note="已电话王经理 138 0000 1234"
    )
    t = st.add_feedback(
        t.id,
        actor="alice",
        rating=3,
        override_reason="投诉人身份证110105199002281234",
        comment="报告发到li@example.com",
    )
    texts = [
        t.request_text,
        str(t.needs),
        t.referrals[0].override_reason,
        t.events[-1].note,
        t.feedback[0].override_reason,
        t.feedback[0].comment,
    ]
    assert all("[" in x for x in texts), texts  # each one kept its placeholder
    engine = sa.create_engine(db_url)
    with engine.connect() as c:
        dump = repr(
            [
                c.exec_driver_sql(f"SELECT * FROM {table}").fetchall()
                for table in ("tickets", "ticket_referrals", "ticket_events", "feedback")
            ]
        )
    engine.dispose()
    for leak in leaks:
        assert all(leak not in x for x in texts) and leak not in dump, leak
    assert "武汉××仪表有限公司" in dump  # the enterprise is not personal data


def test_migration_metadata_has_every_table_the_migrations_create(tmp_path):
    """Alembic compares against qis_match.store.schema.metadata() (migrations/env.py): it must
    hold every table the migrations create, the demand log's included, and autogenerate must
    find nothing to change after `upgrade head`."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine, inspect

    from qis_match.store.schema import metadata

    url = f"sqlite:///{tmp_path}/m.db"
    TicketStore(url).close()  # runs the migrations
    engine = create_engine(url)
    created = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert {"demand_requests", "demand_needs", "tickets"} <= created
    assert set(metadata().tables) == created
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata())
    engine.dispose()
    assert [d for d in diff if d[0] in ("add_table", "remove_table")] == []
    # and through migrations/env.py itself, in a fresh interpreter (where nothing but env.py
    # decides which table modules are imported): autogenerate sees no table to add or drop
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from alembic import command\n"
        "from alembic.config import Config\n"
        "from alembic.util.exc import AutogenerateDiffsDetected\n"
        "import qis_match.store as st\n"
        "cfg = Config()\n"
        "cfg.set_main_option('script_location', str(Path(st.__file__).parent / 'migrations'))\n"
        "cfg.set_main_option('sqlalchemy.url', sys.argv[1])\n"
        "try:\n"
        "    command.check(cfg)\n"
        "except AutogenerateDiffsDetected as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "remove_table" not in out.stdout and "add_table" not in out.stdout, out.stdout
