"""Backups that restore (issue 22): the service database and the index version it serves.

``qis-match backup OUT`` writes a folder::

    OUT/database.sqlite   every table's rows (tickets, history, feedback, demand log), copied
                          row by row into a fresh SQLite file at the newest migration
    OUT/index/<version>/  the current index version, as it is (immutable, checksummed)
    OUT/backup.json       when, from which database dialect, rows per table, the index version

One logical format for SQLite and PostgreSQL: no server tool (``pg_dump`` must match the
server's major version) is needed to take or restore it, and a backup of one restores into the
other. ``qis-match restore OUT`` brings a database to the newest migration, refuses one that
already holds tickets unless forced, copies the rows back in foreign-key order (keeping ids, so
tickets keep their numbers), moves PostgreSQL's id sequences past them, and puts the index
version back (verified before CURRENT names it).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, delete, func, insert, select, text

from qis_match.settings import Settings
from qis_match.store.index_store import IndexStore
from qis_match.store.schema import metadata
from qis_match.store.tickets import make_engine, migrate

log = logging.getLogger(__name__)
DATABASE = "database.sqlite"
META = "backup.json"
BATCH = 2000


class BackupError(RuntimeError):
    """A backup that cannot be taken or restored as asked (the message says why)."""


def backup(settings: Settings, out: Path) -> dict:
    """Write a backup of the database and the current index version to ``out`` (a new folder)."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: a backup goes into a new folder")
    tmp = out.with_name(f".{out.name}.writing-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        target_url = f"sqlite:///{tmp / DATABASE}"
        migrate(target_url)
        src, dst = make_engine(settings.db_url), make_engine(target_url)
        try:
            counts = _copy_rows(src, dst)
            dialect = src.dialect.name
        finally:
            src.dispose()
            dst.dispose()
        version = _copy_index(settings, tmp)
        meta = {
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "database_dialect": dialect,
            "rows": counts,
            "index_version": version,
        }
        (tmp / META).write_text(json.dumps(meta, ensure_ascii=False, indent=2), "utf-8")
        _check_sqlite(tmp / DATABASE)
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("backup %s: %s, index %s", out, counts, version)
    return meta


def restore(settings: Settings, src: Path, force: bool = False) -> dict:
    """Restore a backup folder into the configured database and home."""
    src = Path(src)
    try:
        meta = json.loads((src / META).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src}: not a qis-match backup ({exc})") from None
    settings.home.mkdir(parents=True, exist_ok=True)  # a fresh machine's home
    migrate(settings.db_url)
    source, target = make_engine(f"sqlite:///{src / DATABASE}"), make_engine(settings.db_url)
    try:
        held = _ticket_count(target)
        if held and not force:
            raise BackupError(
                f"the database already holds {held} ticket(s): restore into an empty one, or "
                "pass --force to replace its contents"
            )
        if held:
            _empty(target)
        counts = _copy_rows(source, target)
        _move_sequences(target)
    finally:
        source.dispose()
        target.dispose()
    if counts != meta.get("rows"):
        raise BackupError(f"restored rows {counts} differ from the backup's {meta.get('rows')}")
    version = _restore_index(settings, src, meta.get("index_version"))
    log.info("restored %s: %s, index %s", src, counts, version)
    return {**meta, "restored_index_version": version}


def _copy_rows(src: Engine, dst: Engine) -> dict[str, int]:
    """Every table's rows from ``src`` into ``dst`` (parents before children), in batches."""
    counts: dict[str, int] = {}
    tables = metadata().sorted_tables
    with src.connect() as s, dst.begin() as d:
        for table in tables:
            n = 0
            rows = s.execution_options(yield_per=BATCH).execute(select(table))
            for part in rows.mappings().partitions(BATCH):
                d.execute(insert(table), [dict(r) for r in part])
                n += len(part)
            counts[table.name] = n
    return counts


def _ticket_count(engine: Engine) -> int:
    from qis_match.store.tickets import Ticket

    with engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(Ticket)).scalar_one())


def _empty(engine: Engine) -> None:
    with engine.begin() as c:
        for table in reversed(metadata().sorted_tables):
            c.execute(delete(table))


def _move_sequences(engine: Engine) -> None:
    """PostgreSQL: ids were inserted as they were; the next new row must not reuse one."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as c:
        for table in metadata().sorted_tables:
            if "id" not in table.c:
                continue
            c.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                )
            )


def _check_sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    if ok != "ok":
        raise BackupError(f"{path}: integrity check failed ({ok})")


def _copy_index(settings: Settings, out: Path) -> str | None:
    store = IndexStore(settings.index_root)
    version = store.current_version()
    if version is None:
        return None
    shutil.copytree(store.current_path(), out / "index" / version)
    return version


def _restore_index(settings: Settings, src: Path, version: str | None) -> str | None:
    if not version:
        return None
    store = IndexStore(settings.index_root)
    target = settings.index_root / version
    if not target.exists():
        settings.index_root.mkdir(parents=True, exist_ok=True)
        tmp = settings.index_root / f".restoring-{version}"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(src / "index" / version, tmp)
        tmp.rename(target)
    store.use(version)  # verified before CURRENT names it
    return version
