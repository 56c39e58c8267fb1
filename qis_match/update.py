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
from qis_match.catalog.passages import catalog_tables
from qis_match.encoders import Encoder, make_encoder
from qis_match.encoders.batch import embed_texts
from qis_match.errors import CatalogError
from qis_match.settings import Settings
from qis_match.store.embedding_cache import EmbeddingCache
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

    ``upsert``: a catalog (directory or XLSX, the usual format) whose institutions, experts and
    instruments replace those with the same ids or are added. It must be valid as a whole: one
    bad row rejects the update (with its row and column) and nothing changes. ``remove``: resource
    ids to take out; removing an institution also removes the instruments it owns.
    """
    remove = list(dict.fromkeys(remove or []))
    if upsert is None and not remove:
        raise ValueError("nothing to update: give a catalog to add/replace or ids to remove")
    store = IndexStore(settings.index_root)
    with store.writer_lock():
        return _update(settings, store, upsert, remove, encoder, tokenizer, progress)


def _update(
    settings: Settings,
    store: IndexStore,
    upsert: Path | None,
    remove: list[str],
    encoder: Encoder | None,
    tokenizer: QiTokenizer | None,
    progress: bool,
) -> UpdateReport:
    t0 = time.perf_counter()
    current = store.load()
    old_res, old_lines, old_passages = current.resources, current.lines, current.passages
    encoder = encoder or make_encoder(settings)
    if current.manifest.get("encoder") != encoder.name:
        raise ValueError(
            f"index was built with {current.manifest.get('encoder')!r}, not {encoder.name!r}: "
            "run `qis-match build`"
        )
    unknown = sorted(set(remove) - set(old_res["resource_id"]))
    if unknown:
        raise CatalogError(f"cannot remove unknown resource id(s): {', '.join(unknown[:10])}")

    new_res = old_res.iloc[0:0]
    new_lines = old_lines.iloc[0:0].drop(columns="passage_id")
    delta_version = ""
    if upsert is not None:
        delta = load_catalog(upsert)
        if delta.errors:
            first = "; ".join(str(e) for e in delta.errors[:5])
            raise CatalogError(
                f"update rejected, nothing changed: {len(delta.errors)} error(s): {first}"
            )
        new_lines, new_res = catalog_tables(delta, load_taxonomy())
        delta_version = delta.version
    upserted = new_res["resource_id"].tolist()
    if set(remove) & set(upserted):
        raise ValueError("the same id is both removed and added")
    gone = set(remove) | set(upserted)
    owned = old_res["institution_id"].isin(set(remove)) & (old_res["resource_type"] == "instrument")
    gone |= set(old_res.loc[owned, "resource_id"])

    resources = pd.concat([old_res[~old_res["resource_id"].isin(gone)], new_res], ignore_index=True)
    kept_lines = old_lines[~old_lines["resource_id"].isin(gone)]

    # Passage ids of the new lines: existing text → its id, unseen text → appended.
    fresh, fresh_of_line = passages_for(new_lines) if len(new_lines) else (None, None)
    known = dict(zip(old_passages["text"], old_passages["passage_id"], strict=True))
    added_texts: list[str] = []
    new_pid = np.zeros(len(new_lines), dtype=np.int64)
    if fresh is not None:
        next_id = len(old_passages)
        pid_of_fresh = np.zeros(len(fresh), dtype=np.int64)
        for j, text in enumerate(fresh["text"]):
            pid = known.get(text)
            if pid is None:
                pid = next_id + len(added_texts)
                added_texts.append(text)
            pid_of_fresh[j] = pid
        new_pid = pid_of_fresh[fresh_of_line]
    lines = pd.concat([kept_lines, new_lines.assign(passage_id=new_pid)], ignore_index=True)[
        old_lines.columns
    ]
    passages = pd.concat(
        [
            old_passages,
            pd.DataFrame(
                {
                    "passage_id": np.arange(
                        len(old_passages), len(old_passages) + len(added_texts)
                    ),
                    "text": added_texts,
                }
            ),
        ],
        ignore_index=True,
    )

    dense, bm25 = current.dense, current.bm25
    if added_texts:
        cache = EmbeddingCache(settings.cache_path)
        try:
            vectors, _ = embed_texts(
                encoder, added_texts, cache, settings.encoder_batch_size, progress
            )
        finally:
            cache.close()
        dense.add(vectors)
        tokenizer = tokenizer or default_tokenizer()
        bm25.add([tokenizer.terms(t) for t in added_texts])
    alive = np.zeros(len(passages), dtype=bool)
    alive[lines["passage_id"].to_numpy()] = True
    was_alive = np.concatenate(
        [current.bm25.alive[: len(old_passages)], np.ones(len(added_texts), bool)]
    )
    bm25.set_alive(alive)

    change = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "upserted": upserted,
        "removed": sorted(set(remove)),
        "source": str(upsert) if upsert else None,
        "source_version": delta_version or None,
        "from_index_version": current.version,
    }
    catalog_version = hashlib.sha256(
        json.dumps(
            [
                current.manifest.get("catalog_version"),
                change["upserted"],
                change["removed"],
                delta_version,
            ]
        ).encode()
    ).hexdigest()[:16]

    build_dir = store.new_build_dir()
    try:
        for name in SHARED_FILES:
            if (current.path / name).exists():
                os.link(current.path / name, build_dir / name)
        resources.to_parquet(build_dir / "resources.parquet", index=False)
        lines.to_parquet(build_dir / "lines.parquet", index=False)
        passages.to_parquet(build_dir / "passages.parquet", index=False)
        dense.save(build_dir / "dense.faiss")
        bm25.save(build_dir)
        counts = resources["resource_type"].value_counts()
        manifest = {
            k: v for k, v in current.manifest.items() if k not in ("index_version", "format")
        }
        manifest.update(
            catalog_version=catalog_version,
            institutions=int(counts.get("institution", 0)),
            experts=int(counts.get("expert", 0)),
            instruments=int(counts.get("instrument", 0)),
            lines=int(len(lines)),
            passages=int(len(passages)),
            live_passages=int(alive.sum()),
            catalog_changes=[*current.manifest.get("catalog_changes", []), change],
            updated_from=current.version,
        )
        path = store.commit(build_dir, manifest)
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    report = UpdateReport(
        path,
        {**manifest, "index_version": path.name},
        upserted,
        sorted(gone - set(upserted)),
        len(added_texts),
        int((was_alive & ~alive).sum()),
        round(time.perf_counter() - t0, 2),
    )
    log.info(
        "index %s: +%d/-%d resources, %d new passages, %d retired, %.1f s",
        path.name,
        len(upserted),
        len(report.removed),
        report.new_passages,
        report.retired_passages,
        report.seconds,
    )
    return report
