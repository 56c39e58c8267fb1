"""The catalog update journal: every accepted incremental update, kept so that a rebuild keeps it.

One source of truth for the catalog (issue 23): the catalog is the catalog folder (or workbook)
*plus* the journal of the updates accepted since, in order. ``qis-match update`` and ``POST
/api/v1/index/update`` append to the journal; ``qis-match build`` over the configured catalog
reads the folder and replays the journal (:func:`apply_updates`), so that a build after updates
equals a fresh build over (catalog + all updates) and nothing an update added is lost.

Layout under ``Settings.catalog_updates_dir`` (default ``<home>/catalog-updates``)::

    000001/                one accepted update; never changed once written
        update.json        seq, time, upserted and removed ids, the files' SHA-256
        institutions.csv capabilities.csv [<kind table>.csv …]            the delta as sent,
        | catalog.xlsx                                                    in the usual format
    SEQ                    the highest sequence number ever used (numbers are never reused)
    .writing-000002-<pid>/ an entry being written: ignored by readers, removed by the next writer

Why a folder per update holding the delta's own files (and not, say, a database): the entries
are the catalog format the operator already knows, readable and checkable by hand
(``qis-match catalog validate catalog-updates/000001``), and re-validated by the same loader
at every build. An entry is written atomically: its files are copied into a ``.writing-``
folder and fsync'd, ``update.json`` last, then the folder is renamed to its number and the
parent folder fsync'd, so an entry is either complete or absent.

Order and crashes. Writers hold the index writer lock (``IndexStore.writer_lock``), so
sequence numbers never race and the journal and the index chain agree on the order. An update
validates its delta and writes the new index version's files, then appends its entry, and only
then switches CURRENT (write-ahead). A switch that fails (verification) removes the entry again:
the caller got an error, the update never happened. A crash between the two leaves the entry
recorded and the index without it; each index version records in its manifest up to which
entry it holds the journal (``catalog_updates_applied``), and the next update first replays the
entries the index lacks (replaying is idempotent: an upsert replaces by id, removing an id that
is gone already is a no-op), as does a build.

Which catalog the journal belongs to: the configured one (``Settings.catalog_dir``). ``build``
without ``--catalog`` (or with the configured folder) includes the journal; ``build --catalog
OTHER`` does not unless ``--with-updates`` is given (a fresh export from elsewhere may already
contain the changes, and replaying old updates over it could undo newer data); ``build
--without-updates`` leaves it out for the configured catalog too. An index built without the
journal records ``catalog_updates_applied: null`` and updates on top of it are still journaled
but nothing is replayed into it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from qis_match.catalog.kinds import kinds, table_stems
from qis_match.catalog.loader import Catalog, _find, load_catalog
from qis_match.geo import Gazetteer
from qis_match.taxonomy import Taxonomy

log = logging.getLogger(__name__)

META = "update.json"
SEQ = "SEQ"
WRITING = ".writing-"


@dataclass(frozen=True)
class JournalEntry:
    """One accepted update as recorded."""

    seq: int
    path: Path
    meta: dict

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def catalog(self) -> Path | None:
        """What to load for the upserted resources: the workbook, the folder, or None."""
        if (self.path / "catalog.xlsx").exists():
            return self.path / "catalog.xlsx"
        return self.path if _find(self.path, "institutions") else None

    @property
    def removed(self) -> list[str]:
        return list(self.meta.get("removed", []))

    @property
    def upserted(self) -> list[str]:
        return list(self.meta.get("upserted", []))


class UpdateJournal:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def entries(self, after: int = 0) -> list[JournalEntry]:
        """The complete entries with a sequence number above ``after``, oldest first."""
        if not self.root.is_dir():
            return []
        out = []
        for p in self.root.iterdir():
            if not (p.is_dir() and p.name.isdigit() and int(p.name) > after):
                continue
            try:
                meta = json.loads((p / META).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:  # renamed complete, so only by a hand's edit
                log.warning("catalog update %s is unreadable, skipped: %s", p, exc)
                continue
            out.append(JournalEntry(int(p.name), p, meta))
        return sorted(out, key=lambda e: e.seq)

    def last_seq(self) -> int:
        """The highest sequence number used so far (0 for an empty journal)."""
        seqs = [e.seq for e in self.entries()]
        with contextlib.suppress(OSError, ValueError):  # no SEQ yet, or a damaged one
            seqs.append(int((self.root / SEQ).read_text(encoding="utf-8").strip() or 0))
        return max(seqs, default=0)

    def append(
        self, delta: Path | None, upserted: list[str], removed: list[str], info: dict
    ) -> JournalEntry:
        """Record one update durably (call with the index writer lock held)."""
        self.root.mkdir(parents=True, exist_ok=True)
        for p in self.root.glob(f"{WRITING}*"):  # a writer that died mid-write (we hold the lock)
            shutil.rmtree(p, ignore_errors=True)
        seq = self.last_seq() + 1
        tmp = self.root / f"{WRITING}{seq:06d}-{os.getpid()}"
        tmp.mkdir()
        try:
            files = {}
            for src in _delta_files(delta):
                dst = tmp / (
                    "catalog.xlsx" if src.suffix.lower() in {".xlsx", ".xlsm"} else src.name
                )
                shutil.copyfile(src, dst)
                _fsync_file(dst)
                files[dst.name] = hashlib.sha256(dst.read_bytes()).hexdigest()
            meta = {
                "seq": seq,
                "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "upserted": list(upserted),
                "removed": list(removed),
                "files": files,
                **info,
            }
            _write_durably(tmp / META, json.dumps(meta, ensure_ascii=False, indent=2))
            _fsync_dir(tmp)
            final = self.root / f"{seq:06d}"
            os.replace(tmp, final)
            _fsync_dir(self.root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _write_durably(self.root / SEQ, f"{seq}\n")
        return JournalEntry(seq, final, meta)

    def discard(self, entry: JournalEntry) -> None:
        """Take back an entry whose index version was not published (lock held)."""
        shutil.rmtree(entry.path, ignore_errors=True)
        _fsync_dir(self.root)


def _delta_files(delta: Path | None) -> list[Path]:
    if delta is None:
        return []
    delta = Path(delta)
    if delta.is_file():
        return [delta]
    return [p for stem in table_stems() if (p := _find(delta, stem)) is not None]


def _write_durably(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse to fsync a directory; the rename is still atomic
        pass
    finally:
        os.close(fd)


def apply_updates(
    catalog: Catalog,
    entries: list[JournalEntry],
    taxonomy: Taxonomy | None = None,
    geo: Gazetteer | None = None,
) -> Catalog:
    """The catalog after the journal's updates, in order, with the semantics of
    :func:`qis_match.update.update_index`: an entry's rows of every kind replace those with the
    same ids (an institution's capability lines all together) or are added; its removed ids go,
    and with a removed institution the rows it owns (``ResourceKind.owned_by``).

    Each entry is re-validated by the loader; a row that no longer validates (the taxonomy or
    the region codes changed since) is left out and reported under ``<entry>/<file>``."""
    inst, lines = catalog.institutions, catalog.lines
    others = [k for k in kinds() if not k.required]
    tables = {k.name: catalog.table(k.name) for k in others}
    issues, sources = list(catalog.issues), list(catalog.sources)
    h = hashlib.sha256(catalog.version.encode())
    for e in entries:
        removed = set(e.removed)
        up: set[str] = set()
        delta = load_catalog(e.catalog, taxonomy, geo) if e.catalog is not None else None
        if delta is not None:
            issues += [replace(i, file=f"{e.name}/{i.file}") for i in delta.issues]
            sources += delta.sources
            up = set(delta.institutions["institution_id"]).union(
                *(set(delta.table(k.name)[k.id_column]) for k in others)
            )
        gone = removed | up
        for k in others:
            gone |= k.owned_by(tables[k.name], removed)
        inst = _concat(inst[~inst["institution_id"].isin(gone)], _delta(delta, "institution"))
        lines = lines[~lines["institution_id"].isin(gone)]
        if delta is not None:
            lines = _concat(lines, delta.lines)
        for k in others:
            kept = tables[k.name][~tables[k.name][k.id_column].isin(gone)]
            tables[k.name] = _concat(kept, _delta(delta, k.name))
        h.update(json.dumps([e.seq, e.meta.get("files"), e.removed]).encode())
    if not entries:
        return catalog
    return Catalog(
        inst.reset_index(drop=True),
        lines.reset_index(drop=True),
        issues,
        h.hexdigest()[:16],
        sources,
        {name: t.reset_index(drop=True) for name, t in tables.items()},
    )


def _delta(delta: Catalog | None, kind: str) -> pd.DataFrame:
    return delta.table(kind) if delta is not None else pd.DataFrame()


def _concat(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    if b.empty:
        return a
    if a.empty:
        return b
    return pd.concat([a, b], ignore_index=True)
