"""The administrator's commands of issue 22, beside ``qis_match.cli`` (which registers them):

    qis-match keys issue --role R --name N     (prints the new key once; only its hash is kept)
    qis-match keys list [--json]                (names, roles, created, revoked; never a key)
    qis-match keys revoke NAME
    qis-match audit [-n 50] [--json]            (the last admin actions, read only)
    qis-match retention apply [--days N] [--dry-run] [--json]
    qis-match erase --enterprise NAME [--dry-run] [--json]

Every change is written to the audit log with the actor ``cli:<login>``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from qis_match.settings import Settings
from qis_match.store.audit import AuditLog, cli_actor
from qis_match.store.keyfile import ROLES, KeyFile, KeyFileError

SettingsOf = Callable[[argparse.Namespace], Settings]


def _fail(message: str) -> int:
    print(f"qis-match: error: {message}", file=sys.stderr)
    return 2


def audit(settings: Settings, action: str, target: str, **details) -> None:
    """One audit entry for a command run here (``cli:<login>``)."""
    AuditLog(settings.audit_log_path).record(cli_actor(), action, target, **details)


def cmd_keys(args: argparse.Namespace, settings: Settings) -> int:
    store = KeyFile(settings.key_file_path)
    try:
        if args.keys_command == "issue":
            entry, key = store.issue(args.name, args.role)
            audit(settings, "key.issue", entry.name, role=entry.role, key_id=entry.key_id)
            print(key)  # stdout only, once: `… keys issue … > file` keeps it off the terminal
            print(
                f"issued {entry.role} key {entry.name!r} (id {entry.key_id}); it is shown only "
                f"now. The service accepts it within QIS_KEY_CHECK_SECONDS.",
                file=sys.stderr,
            )
            return 0
        if args.keys_command == "revoke":
            n = store.revoke(args.name)
            audit(settings, "key.revoke", args.name, keys=n)
            print(f"revoked {n} key(s) named {args.name!r}")
            return 0
    except KeyFileError as exc:
        return _fail(str(exc))
    rows = [
        {
            "name": e.name,
            "role": e.role,
            "key_id": e.key_id,
            "created_at": e.created_at,
            "revoked_at": e.revoked_at,
        }
        for e in store.entries()
    ]
    if getattr(args, "json", False):
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for r in rows:
        state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "active"
        print(f"{r['name']:24s} {r['role']:8s} {r['key_id'] or '-':9s} {r['created_at']}  {state}")
    print(f"{len(rows)} key(s) in {settings.key_file_path}", file=sys.stderr)
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    entries = AuditLog(settings.audit_log_path).tail(args.lines)
    for e in entries:
        if args.json:
            print(json.dumps(e, ensure_ascii=False))
        else:
            details = json.dumps(e.get("details", {}), ensure_ascii=False)
            print(
                f"{e.get('at')}  {e.get('actor')}  {e.get('action')}  {e.get('target')}  {details}"
            )
    return 0


def _print_report(report, as_json: bool, what: str) -> None:
    d = report.to_dict()
    if as_json:
        print(json.dumps(d, ensure_ascii=False))
        return
    verb = "would change" if report.dry_run else "changed"
    print(f"{what}: {verb} {report.tickets} ticket(s) and {report.demand_rows} demand-log row(s)")


def cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    from qis_match.store.retention import apply_retention
    from qis_match.store.tickets import TicketStore

    days = args.days if args.days is not None else settings.contact_retention_days
    if days is None:
        return _fail("no retention period: pass --days N or set QIS_CONTACT_RETENTION_DAYS")
    store = TicketStore(settings.db_url, settings.time_limit_days)
    try:
        report = apply_retention(store.engine, days, dry_run=args.dry_run)
    finally:
        store.close()
    if not args.dry_run:
        audit(
            settings,
            "retention.apply",
            f"{days} days",
            tickets=report.tickets,
            demand_rows=report.demand_rows,
        )
    _print_report(report, args.json, f"tickets closed before {report.cutoff}")
    return 0


def cmd_erase(args: argparse.Namespace, settings: Settings) -> int:
    from qis_match.store.retention import erase_enterprise
    from qis_match.store.tickets import TicketStore

    store = TicketStore(settings.db_url, settings.time_limit_days)
    try:
        report = erase_enterprise(store.engine, args.enterprise, dry_run=args.dry_run)
    finally:
        store.close()
    if not args.dry_run:
        # the target is the tickets, not the name: the audit log must not keep what was erased
        audit(
            settings,
            "enterprise.erase",
            f"tickets {report.ticket_ids}",
            tickets=report.tickets,
            demand_rows=report.demand_rows,
        )
    _print_report(report, args.json, "erase")
    return 0


def add_parsers(sub, add_common: Callable, settings_of: SettingsOf) -> None:
    """Register ``keys``, ``audit``, ``retention`` and ``erase`` on the ``qis-match`` parser."""

    def run(command):
        return lambda args: command(args, settings_of(args))

    k = sub.add_parser("keys", help="issue, list and revoke API keys (the key file holds hashes)")
    ksub = k.add_subparsers(dest="keys_command", required=True)
    ki = ksub.add_parser("issue", help="issue a new key and print it once")
    ki.add_argument("--role", required=True, choices=ROLES)
    ki.add_argument("--name", required=True, help="who holds it (shown in tickets and the audit)")
    kl = ksub.add_parser("list", help="names, roles, when issued and revoked (never a key)")
    kl.add_argument("--json", action="store_true")
    kr = ksub.add_parser("revoke", help="revoke the active key named NAME")
    kr.add_argument("name", metavar="NAME")
    for p in (ki, kl, kr):
        add_common(p)
        p.set_defaults(func=run(cmd_keys))

    a = sub.add_parser("audit", help="the last admin actions (append-only audit log)")
    a.add_argument("-n", "--lines", type=int, default=50, help="how many (0: all)")
    a.add_argument("--json", action="store_true")
    add_common(a)
    a.set_defaults(func=run(cmd_audit))

    r = sub.add_parser("retention", help="redact the contact data of tickets closed long ago")
    rsub = r.add_subparsers(dest="retention_command", required=True)
    ra = rsub.add_parser("apply", help="tickets closed more than N days ago lose contact data")
    ra.add_argument("--days", type=int, help="default QIS_CONTACT_RETENTION_DAYS")
    e = sub.add_parser("erase", help="erase one enterprise's contact data and texts everywhere")
    e.add_argument("--enterprise", required=True, help="its name (or credit code) as written")
    for p, cmd in ((ra, cmd_retention), (e, cmd_erase)):
        p.add_argument("--dry-run", action="store_true", help="report, change nothing")
        p.add_argument("--json", action="store_true")
        add_common(p)
        p.set_defaults(func=run(cmd))
