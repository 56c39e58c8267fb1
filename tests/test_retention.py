"""Issue 22, personal data over time: `retention apply` redacts the contact data of tickets closed
more than N days ago (and nothing else; a dry run changes nothing); `erase --enterprise` removes one
enterprise's phone, e-mail and contact name from every table and leaves the others as they were.
On SQLite and on PostgreSQL (the session's server, as tests/test_backup.py)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from qis_match import cli
from qis_match.settings import Settings
from qis_match.store.audit import AuditLog
from qis_match.store.demand_log import DemandLog
from qis_match.store.retention import MARKER, apply_retention, erase_enterprise
from qis_match.store.schema import metadata
from qis_match.store.tickets import STATUSES, Choice, TicketStore, utcnow

NOW = utcnow().replace(microsecond=0)  # the commands use the real clock
A, B, C = "武汉恒信电子有限公司", "长沙明达机械有限公司", "宜昌江城化工有限公司"
# what a database written before issue 23's redaction still holds (put there by raw SQL)
A_CONTACT = ("王经理", "13812345678", "wang@hengxin.cn")
B_CONTACT = ("李工", "13987654321", "li@mingda.cn")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "postgresql":
        return request.getfixturevalue("fresh_postgres_url")("qis_retention")
    return f"sqlite:///{tmp_path}/qis.db"


def _ticket(store: TicketStore, enterprise: str, created: datetime, closed: datetime | None):
    t = store.create(
        request_text=f"{enterprise}的压力表到期了要送检",
        needs=[{"category": "metrology", "text": f"{enterprise}的压力表到期了要送检"}],
        entities={"enterprise": enterprise, "province": "湖北省"},
        choices=[
            Choice(
                category="metrology",
                institution_id="T-MET-WH",
                institution_name="武汉市测试计量所（测试）",
                rank=1,
                snapshot={"name": "武汉市测试计量所（测试）", "phone": "027-00001111"},
            )
        ],
        actor="alice",
        role="clerk",
        now=created,
        request_id=uuid.uuid4().hex,
    )
    if closed is not None:
        for status in STATUSES[1:4]:
            store.change_status(t.id, status, actor="alice", role="clerk", now=closed)
        store.add_feedback(t.id, actor="alice", rating=5, comment="很快，谢谢")
    return t


def _legacy(engine, ticket_id: int, contact: tuple[str, str, str], enterprise: str) -> None:
    """Contact data written straight into the text columns (past the store's redaction)."""
    name, phone, mail = contact
    text = f"{enterprise}压力表要送检，联系人：{name}，电话{phone}，邮箱{mail}"
    with engine.begin() as c:
        c.execute(
            sa.text("UPDATE tickets SET request_text=:t WHERE id=:i"), {"t": text, "i": ticket_id}
        )
        c.execute(
            sa.text("UPDATE ticket_events SET note=:t WHERE ticket_id=:i"),
            {"t": f"已电话{phone}通知{name}", "i": ticket_id},
        )
        c.execute(
            sa.text(
                "INSERT INTO feedback (ticket_id, at, actor, rating, comment) "
                "VALUES (:i, :at, 'alice', 4, :t)"
            ),
            {"i": ticket_id, "at": NOW, "t": f"{name}说服务很好"},
        )


def _demand(log: DemandLog, request_id: str, enterprise: str, contact: tuple) -> None:
    req = {
        "request_id": request_id,
        "created_at": NOW,
        "channel": "api",
        "text": f"{enterprise}的压力表到期了要送检",
        "enterprise": enterprise,
        "n_needs": 1,
        "abstained": False,
        "needs_review": False,
        "review_reasons": [],
        "entities": {"enterprise": enterprise},
    }
    need = {
        "position": 0,
        "category": "metrology",
        "score": 0.9,
        "resource_type": "institution",
        "text": "压力表送检",
        "flagged": False,
        "n_referrals": 1,
        "n_same_city": 1,
        "n_same_province": 1,
    }
    log.insert_rows([(req, [need])])
    name, phone, mail = contact
    with log.engine.begin() as c:
        c.execute(
            sa.text("UPDATE demand_requests SET text=:t WHERE request_id=:r"),
            {"t": f"{enterprise}送检，找{name} {phone} {mail}", "r": request_id},
        )


@pytest.fixture()
def filled(db_url):
    """A: closed 400 days ago and an open recent ticket; B: closed 10 days ago; C: open since
    500 days. A's and B's first tickets and demand rows carry legacy contact data."""
    store = TicketStore(db_url)
    a_old = _ticket(store, A, NOW - timedelta(days=420), NOW - timedelta(days=400))
    b = _ticket(store, B, NOW - timedelta(days=30), NOW - timedelta(days=10))
    c = _ticket(store, C, NOW - timedelta(days=500), None)
    a_new = _ticket(store, A, NOW - timedelta(days=2), None)
    _legacy(store.engine, a_old.id, A_CONTACT, A)
    _legacy(store.engine, b.id, B_CONTACT, B)
    log = DemandLog(engine=store.engine)
    _demand(log, a_old.request_id, A, A_CONTACT)
    _demand(log, b.request_id, B, B_CONTACT)
    yield store, {"a_old": a_old.id, "b": b.id, "c": c.id, "a_new": a_new.id}
    store.close()


def _dump(engine) -> dict[str, list[dict]]:
    with engine.connect() as c:
        return {
            t.name: [
                dict(r._mapping) for r in c.execute(sa.select(t).order_by(*t.primary_key.columns))
            ]
            for t in metadata().sorted_tables
        }


def _rows_of(dump: dict, ticket_id: int) -> list[dict]:
    """Every row of one ticket (tickets, referrals, events, feedback)."""
    out = [r for r in dump["tickets"] if r["id"] == ticket_id]
    for name in ("ticket_referrals", "ticket_events", "feedback"):
        out += [r for r in dump[name] if r["ticket_id"] == ticket_id]
    return out


def _text(rows) -> str:
    return json.dumps(rows, ensure_ascii=False, default=str)


def test_retention_redacts_only_tickets_closed_longer_ago(filled):
    store, ids = filled
    before = _dump(store.engine)
    dry = apply_retention(store.engine, days=365, now=NOW, dry_run=True)
    assert dry.tickets == 1 and dry.ticket_ids == [ids["a_old"]] and dry.demand_rows == 1
    assert _dump(store.engine) == before  # a dry run changes nothing

    report = apply_retention(store.engine, days=365, now=NOW)
    assert report.tickets == 1 and report.ticket_ids == [ids["a_old"]]
    after = _dump(store.engine)
    for key in ("b", "c", "a_new"):  # closed 10 days ago, open for 500 days, open: untouched
        assert _rows_of(after, ids[key]) == _rows_of(before, ids[key])
    old = _rows_of(after, ids["a_old"])
    assert not any(s in _text(old) for s in (*A_CONTACT, "恒信"))
    t = old[0]
    assert t["enterprise"] == MARKER and t["request_text"] == MARKER
    assert t["entities"]["enterprise"] == MARKER and t["entities"]["province"] == "湖北省"
    assert t["needs"][0]["category"] == "metrology" and t["status"] == "办结"
    # the history is kept, event by event; text without contact data stays
    events = [r for r in after["ticket_events"] if r["ticket_id"] == ids["a_old"]]
    assert [e["to_status"] for e in events] == list(STATUSES[:4])
    comments = [r["comment"] for r in after["feedback"] if r["ticket_id"] == ids["a_old"]]
    assert comments == ["很快，谢谢", MARKER]
    demand = {r["request_id"]: r for r in after["demand_requests"]}
    a_req = [r for r in before["tickets"] if r["id"] == ids["a_old"]][0]["request_id"]
    assert demand[a_req]["enterprise"] == MARKER and "13812345678" not in _text(demand[a_req])
    assert "13987654321" in _text(after["demand_requests"])  # B's row is not due yet

    assert apply_retention(store.engine, days=365, now=NOW).tickets == 0  # nothing left to do
    assert apply_retention(store.engine, days=5, now=NOW).ticket_ids == [ids["b"]]


def test_erase_removes_one_enterprise_everywhere_and_nothing_else(filled):
    store, ids = filled
    before = _dump(store.engine)
    assert all(s in _text(before) for s in (*A_CONTACT, A))  # the test sees what it looks for

    dry = erase_enterprise(store.engine, A, dry_run=True)
    assert sorted(dry.ticket_ids) == sorted([ids["a_old"], ids["a_new"]])
    assert _dump(store.engine) == before

    report = erase_enterprise(store.engine, A)
    assert report.tickets == 2 and report.demand_rows == 1
    after = _dump(store.engine)
    blob = _text(after)
    assert not any(s in blob for s in (*A_CONTACT, "恒信"))
    for key in ("b", "c"):
        assert _rows_of(after, ids[key]) == _rows_of(before, ids[key])
    others = [r for r in after["demand_requests"] if r["enterprise"] != MARKER]
    assert others == [r for r in before["demand_requests"] if r["enterprise"] == B]
    assert all(s in blob for s in (*B_CONTACT, B, C))
    # the tickets themselves stay: statuses, history, referrals
    assert len(after["tickets"]) == 4 and len(after["ticket_events"]) == len(
        before["ticket_events"]
    )


def test_the_commands_report_and_audit(filled, db_url, tmp_path, monkeypatch, capsys):
    store, ids = filled
    home = tmp_path / "home"
    monkeypatch.setenv("QIS_DATABASE_URL", db_url)
    assert cli.main(["retention", "apply", "--home", str(home)]) == 2  # no period set: refused
    capsys.readouterr()
    assert (
        cli.main(["retention", "apply", "--days", "20", "--dry-run", "--json", "--home", str(home)])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["tickets_changed"] == 1
    assert not AuditLog(Settings(home=home).audit_log_path).tail()  # a dry run is not an action
    monkeypatch.setenv("QIS_CONTACT_RETENTION_DAYS", "5")
    assert cli.main(["retention", "apply", "--json", "--home", str(home)]) == 0
    assert json.loads(capsys.readouterr().out)["ticket_ids"] == sorted([ids["a_old"], ids["b"]])
    assert cli.main(["erase", "--enterprise", A, "--home", str(home)]) == 0
    assert "changed 1 ticket(s)" in capsys.readouterr().out  # a_new; a_old had nothing left
    entries = AuditLog(Settings(home=home).audit_log_path).tail()
    assert [e["action"] for e in entries] == ["retention.apply", "enterprise.erase"]
    assert entries[0]["details"]["tickets"] == 2 and entries[0]["actor"].startswith("cli:")
    assert A not in _text(entries)  # the log does not keep what was erased
