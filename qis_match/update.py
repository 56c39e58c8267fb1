"""Incremental updates: add, replace or remove institutions (and their lines) without a rebuild.

An update starts from the current index version and writes a new one beside it, switched to
atomically like a build. Only texts the index has never seen are embedded (and those through the
cache); they are appended to the FAISS index under new passage ids. Passages no line uses any more
are *retired*: they stay in the FAISS index (HNSW cannot delete) but the retriever never returns
them and BM25 leaves them out of its statistics, so the index answers as a fresh build over the
same catalog would. Each version's manifest keeps the chain of changes, so a referral's
``catalog_version`` traces it to the catalog state that produced it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qis_match.build import passages_for
from qis_match.catalog import load_catalog
from qis_match.catalog.kinds import kinds
from qis_match.catalog.passages import catalog_tables
from qis_match.catalog.updates import UpdateJournal
from qis_match.encoders import Encoder, make_encoder
from qis_match.encoders.batch import embed_texts
from qis_match.encoders.cache import EmbeddingCache
from qis_match.errors import CatalogError
from qis_match.settings import Settings
from qis_match.store.index_store import IndexStore
from qis_match.taxonomy import load_taxonomy
from qis_match.text.tokenize import QiTokenizer, default_tokenizer

log = logging.getLogger(__name__)
SHARED_FILES = ("needs_classifier.joblib",)  # hard-linked from the previous version


@dataclass
class UpdateReport:
    path: Path
    manifest: dict
    upserted: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    new_passages: int = 0
    retired_passages: int = 0
    seconds: float = 0.0


def update_index(
    settings: Settings,
    upsert: Path | None = None,
    remove: list[str] | None = None,
    encoder: Encoder | None = None,
    tokenizer: QiTokenizer | None = None,
    progress: bool = False,
) -> UpdateReport:
    """Apply a catalog change to the current index and publish it as a new version.

    ``upsert``: a catalog (directory or XLSX, the usual format) whose rows of every kind replace
    those with the same ids or are added. It must be valid as a whole: one bad row rejects the
    update (with its row and column) and nothing changes. ``remove``: resource ids to take out;
    removing an institution also removes the resources it owns.

    The accepted change is written to the catalog update journal (``qis_match.catalog.updates``)
    before CURRENT switches, so that ``qis-match build`` keeps it; journal entries the current
    index lacks (a crash between the two) are replayed first.
    """
    remove = list(dict.fromkeys(remove or []))
    if upsert is None and not remove:
        raise ValueError("nothing to update: give a catalog to add/replace or ids to remove")
    store = IndexStore(settings.index_root)
    with store.writer_lock():
        return _update(settings, store, upsert, remove, encoder, tokenizer, progress)


def replay_pending(
    settings: Settings,
    encoder: Encoder | None = None,
    tokenizer: QiTokenizer | None = None,
    store: IndexStore | None = None,
) -> UpdateReport | None:
    """Publish the journal entries the current index lacks (None when it lacks none). The caller
    may hold the writer lock already (``store`` given): a build does, at its publish."""
    if store is not None:
        return _update(settings, store, None, [], encoder, tokenizer, False, replay_only=True)
    store = IndexStore(settings.index_root)
    with store.writer_lock():
        return _update(settings, store, None, [], encoder, tokenizer, False, replay_only=True)


def _apply(
    res: pd.DataFrame,
    lines: pd.DataFrame,
    delta,
    remove: list[str],
    known: dict[str, int],
    added_texts: list[str],
    first_new: int,
    taxonomy,
    strict: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], set[str]]:
    """Resources and lines after one change; an unseen text gets the next passage id from
    ``first_new`` on (and goes into ``known`` and ``added_texts``). ``strict``: a change being
    accepted (not one replayed): the same id both added and removed, or a line id that another
    institution's line has already, rejects it."""
    new_res = res.iloc[0:0]
    new_lines = lines.iloc[0:0].drop(columns="passage_id")
    if delta is not None:
        new_lines, new_res = catalog_tables(delta, taxonomy)
    upserted = new_res["resource_id"].tolist()
    if strict and set(remove) & set(upserted):
        raise ValueError("the same id is both removed and added")
    gone = set(remove) | set(upserted)
    # what a removed institution owns goes with it (any kind whose institution behind it it is)
    owned = res["institution_id"].isin(set(remove))
    gone |= set(res.loc[owned, "resource_id"])
    kept_lines = lines[~lines["resource_id"].isin(gone)]
    if strict and len(new_lines):
        kept = kept_lines[kept_lines["resource_type"] == "institution"]
        owner = dict(zip(kept["line_id"], kept["resource_id"], strict=True))
        clash = [
            (lid, owner[lid])
            for lid in new_lines.loc[new_lines["resource_type"] == "institution", "line_id"]
            if lid in owner
        ]
        if clash:
            shown = ", ".join(f"{lid!r} (a line of {who!r})" for lid, who in clash[:5])
            raise CatalogError(
                f"update rejected, nothing changed: capabilities, column 'line_id': "
                f"{len(clash)} line id(s) already in the catalog: {shown}"
            )
    resources = pd.concat([res[~res["resource_id"].isin(gone)], new_res], ignore_index=True)
    new_pid = np.zeros(len(new_lines), dtype=np.int64)
    if len(new_lines):
        fresh, fresh_of_line = passages_for(new_lines)
        pid_of_fresh = np.zeros(len(fresh), dtype=np.int64)
        for j, text in enumerate(fresh["text"]):
            pid = known.get(text)
            if pid is None:
                pid = first_new + len(added_texts)
                known[text] = pid
                added_texts.append(text)
            pid_of_fresh[j] = pid
        new_pid = pid_of_fresh[fresh_of_line]
    out = pd.concat([kept_lines, new_lines.assign(passage_id=new_pid)], ignore_index=True)
    return resources, out[lines.columns], upserted, gone


@dataclass
class _Change:
    """An update in the making: the resources and lines after it, and the texts it adds."""

    resources: pd.DataFrame
    lines: pd.DataFrame
    known: dict[str, int]  # text → passage id (old and new)
    n_old: int  # passages of the current version
    added_texts: list[str] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)  # for the manifest's chain
    upserted: list[str] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    # set once the indexes have grown, for publishing
    passages: pd.DataFrame | None = None
    alive: np.ndarray | None = None
    pending: list = field(default_factory=list)  # journal entries replayed
    applied: int | None = 0  # journal entries the current version held

    def apply(self, delta, remove: list[str], taxonomy, strict: bool) -> list[str]:
        self.resources, self.lines, ups, gone = _apply(
            self.resources,
            self.lines,
            delta,
            remove,
            self.known,
            self.added_texts,
            self.n_old,
            taxonomy,
            strict,
        )
        if strict:
            self.upserted, self.gone = ups, gone
        return ups


def _update(
    settings: Settings,
    store: IndexStore,
    upsert: Path | None,
    remove: list[str],
    encoder: Encoder | None,
    tokenizer: QiTokenizer | None,
    progress: bool,
    replay_only: bool = False,
) -> UpdateReport | None:
    t0 = time.perf_counter()
    current = store.load()
    encoder = encoder or make_encoder(settings)
    if current.manifest.get("encoder") != encoder.name:
        raise ValueError(
            f"index was built with {current.manifest.get('encoder')!r}, not {encoder.name!r}: "
            "run `qis-match build`"
        )
    journal = UpdateJournal(settings.catalog_updates_dir)
    # Up to which journal entry this index holds the journal; None: built without it (no
    # replay); absent: built before the journal existed, when it was empty.
    applied = current.manifest.get("catalog_updates_applied", 0)
    pending = journal.entries(after=applied) if applied is not None else []
    if replay_only and not pending:
        return None
    taxonomy = load_taxonomy()
    old_passages = current.passages
    work = _Change(
        current.resources,
        current.lines,
        # one id per text (a fresh build's passages are unique texts too)
        dict(zip(old_passages["text"], old_passages["passage_id"], strict=True)),
        len(old_passages),
    )
    _replay(work, pending, taxonomy, current.version)
    if not replay_only:
        _accept(work, upsert, remove, taxonomy, current.version)
    passages = _with_new_passages(old_passages, work.added_texts)
    alive, was_alive = _grow_indexes(
        settings, current, work, passages, encoder, tokenizer, progress
    )
    work.passages, work.alive, work.pending, work.applied = passages, alive, pending, applied
    path, manifest = _publish(settings, store, current, journal, work, upsert, remove, replay_only)
    report = UpdateReport(
        path,
        {**manifest, "index_version": path.name},
        work.upserted,
        sorted(work.gone - set(work.upserted)),
        len(work.added_texts),
        int((was_alive & ~alive).sum()),
        round(time.perf_counter() - t0, 2),
    )
    log.info(
        "index %s: +%d/-%d resources, %d new passages, %d retired, %.1f s",
        path.name,
        len(work.upserted),
        len(report.removed),
        report.new_passages,
        report.retired_passages,
        report.seconds,
    )
    return report


def _with_new_passages(old: pd.DataFrame, texts: list[str]) -> pd.DataFrame:
    """The passages table with the update's new texts appended under the next ids."""
    new = pd.DataFrame({"passage_id": np.arange(len(old), len(old) + len(texts)), "text": texts})
    return pd.concat([old, new], ignore_index=True)


def _replay(work: _Change, pending: list, taxonomy, from_version: str) -> None:
    """Journal entries accepted and recorded but not in this index (a crash before the switch)."""
    for entry in pending:
        delta = load_catalog(entry.catalog) if entry.catalog is not None else None
        if delta is not None and delta.errors:
            log.warning(
                "replaying catalog update %s: %d row(s) no longer valid, left out; first: %s",
                entry.name,
                len(delta.errors),
                delta.errors[0],
            )
        live = set(work.resources["resource_id"])
        ups = work.apply(delta, [r for r in entry.removed if r in live], taxonomy, strict=False)
        work.changes.append(
            {
                "at": entry.meta.get("at"),
                "upserted": ups,
                "removed": sorted(set(entry.removed)),
                "source": str(entry.path),
                "source_version": delta.version if delta is not None else None,
                "from_index_version": from_version,
                "journal_seq": entry.seq,
                "replayed": True,
            }
        )
        log.warning("replayed catalog update %s into the index", entry.name)


def _accept(work: _Change, upsert: Path | None, remove: list[str], taxonomy, from_version: str):
    """The change asked for: valid as a whole, or rejected with nothing changed."""
    unknown = sorted(set(remove) - set(work.resources["resource_id"]))
    if unknown:
        raise CatalogError(f"cannot remove unknown resource id(s): {', '.join(unknown[:10])}")
    delta = None
    if upsert is not None:
        delta = load_catalog(upsert)
        if delta.errors:
            first = "; ".join(str(e) for e in delta.errors[:5])
            raise CatalogError(
                f"update rejected, nothing changed: {len(delta.errors)} error(s): {first}"
            )
    work.apply(delta, remove, taxonomy, strict=True)
    work.changes.append(
        {
            "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "upserted": work.upserted,
            "removed": sorted(set(remove)),
            "source": str(upsert) if upsert else None,
            "source_version": (delta.version if delta is not None else "") or None,
            "from_index_version": from_version,
        }
    )


def _grow_indexes(settings, current, work: _Change, passages, encoder, tokenizer, progress):
    """New texts embedded (through the cache) and appended to FAISS and BM25; passages no line
    uses any more retired. Returns (alive, was_alive) per passage."""
    dense, bm25 = current.dense, current.bm25
    if work.added_texts:
        cache = EmbeddingCache(settings.cache_path)
        try:
            vectors, _ = embed_texts(
                encoder, work.added_texts, cache, settings.encoder_batch_size, progress
            )
        finally:
            cache.close()
        dense.add(vectors)
        tokenizer = tokenizer or default_tokenizer()
        bm25.add([tokenizer.terms(t) for t in work.added_texts])
    alive = np.zeros(len(passages), dtype=bool)
    alive[work.lines["passage_id"].to_numpy()] = True
    was_alive = np.concatenate(
        [current.bm25.alive[: work.n_old], np.ones(len(work.added_texts), bool)]
    )
    bm25.set_alive(alive)
    return alive, was_alive


def _catalog_version(start: str | None, changes: list[dict]) -> str | None:
    """The catalog version after a chain of changes (traceable from the built catalog's)."""
    version = start
    for change in changes:
        version = hashlib.sha256(
            json.dumps(
                [version, change["upserted"], change["removed"], change["source_version"] or ""]
            ).encode()
        ).hexdigest()[:16]
    return version


def _publish(
    settings: Settings,
    store: IndexStore,
    current,
    journal: UpdateJournal,
    work: _Change,
    upsert: Path | None,
    remove: list[str],
    replay_only: bool,
) -> tuple[Path, dict]:
    """Write the new version, journal the change (write-ahead), and switch CURRENT to it."""
    build_dir = store.new_build_dir()
    entry = None
    try:
        for name in SHARED_FILES:
            if (current.path / name).exists():
                os.link(current.path / name, build_dir / name)
        work.resources.to_parquet(build_dir / "resources.parquet", index=False)
        work.lines.to_parquet(build_dir / "lines.parquet", index=False)
        work.passages.to_parquet(build_dir / "passages.parquet", index=False)
        current.dense.save(build_dir / "dense.faiss")
        current.bm25.save(build_dir)
        counts = work.resources["resource_type"].value_counts()
        manifest = {
            k: v for k, v in current.manifest.items() if k not in ("index_version", "format")
        }
        last = work.pending[-1].seq if work.pending else work.applied
        if not replay_only:
            # Write-ahead: the change is in the journal before CURRENT names a version with it.
            entry = journal.append(
                upsert,
                work.upserted,
                remove,
                {"from_index_version": current.version, "catalog": str(settings.catalog_dir)},
            )
            work.changes[-1]["journal_seq"] = entry.seq
            last = entry.seq if work.applied is not None else None
        manifest.update(
            catalog_version=_catalog_version(current.manifest.get("catalog_version"), work.changes),
            **{k.table: int(counts.get(k.name, 0)) for k in kinds()},
            lines=int(len(work.lines)),
            passages=int(len(work.passages)),
            live_passages=int(work.alive.sum()),
            catalog_changes=[*current.manifest.get("catalog_changes", []), *work.changes],
            catalog_updates_applied=last,
            updated_from=current.version,
        )
        path = store.commit(build_dir, manifest)
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        if entry is not None and not _published(store, entry.seq):
            journal.discard(entry)  # not published: the update did not happen
        raise
    return path, manifest


def _published(store: IndexStore, seq: int) -> bool:
    """Whether CURRENT names a version holding journal entry ``seq`` (a failure after the
    switch must not take back an update that is being served)."""
    try:
        manifest = json.loads((store.current_path() / "manifest.json").read_text("utf-8"))
    except Exception:  # noqa: BLE001 - no readable current version: not published
        return False
    changes = manifest.get("catalog_changes") or [{}]
    return changes[-1].get("journal_seq") == seq
