"""Build an index version from a catalog: texts → embeddings (cached) → FAISS + BM25 → publish."""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from qis_match.catalog import Catalog, capability_text, load_catalog
from qis_match.catalog.kinds import kinds
from qis_match.catalog.passages import catalog_tables
from qis_match.encoders import Encoder, make_encoder
from qis_match.encoders.batch import BatchRunner, embed_texts
from qis_match.encoders.cache import EmbeddingCache
from qis_match.retrieval.bm25 import BM25Index
from qis_match.retrieval.dense import DenseIndex, choose_kind
from qis_match.settings import Settings
from qis_match.store.index_store import IndexStore
from qis_match.taxonomy import load_taxonomy
from qis_match.text.tokenize import QiTokenizer, default_tokenizer
from qis_match.understanding.classifier import NeedClassifier
from qis_match.understanding.training import train_classifier

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    path: Path
    manifest: dict
    catalog: Catalog | None


def passages_for(lines: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Unique capability texts and, for each line, the id of its text."""
    taxonomy = load_taxonomy()
    texts = [capability_text(r, taxonomy) for r in lines.to_dict("records")]
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object), sort=False)
    passages = pd.DataFrame({"passage_id": np.arange(len(uniques)), "text": list(uniques)})
    return passages, codes.astype(np.int64)


def build_index(
    settings: Settings,
    catalog_path: Path | None = None,
    encoder: Encoder | None = None,
    tokenizer: QiTokenizer | None = None,
    progress: bool = True,
    classifier: NeedClassifier | None = None,
    runner: BatchRunner | None = None,
    updates: bool | None = None,
) -> BuildReport:
    """Build and publish a new index version; the previous one serves until this one is complete.

    ``runner`` embeds elsewhere (``--ray``: :class:`qis_match.encoders.distributed.RayEmbedder`).

    ``updates``: build over the catalog *and* the journal of accepted catalog updates
    (:mod:`qis_match.catalog.updates`), so that a rebuild equals a fresh build over (catalog +
    all updates). Default: when the catalog is the configured one (``settings.catalog_dir``);
    another catalog (``--catalog OTHER``) is built as it is unless ``updates=True``. Updates
    journaled while the build ran are replayed onto it before the lock is released."""
    from qis_match.catalog.updates import UpdateJournal, apply_updates

    t0 = time.perf_counter()
    path_in = Path(catalog_path or settings.catalog_dir)
    if updates is None:
        updates = catalog_path is None or _same_path(path_in, settings.catalog_dir)
    catalog = load_catalog(path_in)
    journal = UpdateJournal(settings.catalog_updates_dir)
    applied: int | None = None
    entries = []
    if updates:
        applied = journal.last_seq()
        entries = journal.entries()
        applied = max([applied, *(e.seq for e in entries)])
        catalog = apply_updates(catalog, entries)
    if catalog.lines.empty:
        from qis_match.errors import CatalogError

        raise CatalogError("catalog has no valid capability lines; nothing to index")
    encoder = encoder or make_encoder(settings)
    tokenizer = tokenizer or default_tokenizer()
    store = IndexStore(settings.index_root)
    build_dir = store.new_build_dir()
    try:
        all_lines, resources = catalog_tables(catalog, load_taxonomy())
        passages, line_passage = passages_for(all_lines)
        lines = all_lines.assign(passage_id=line_passage)
        t1 = time.perf_counter()
        dense, bm25, stats = _search_indexes(
            settings, passages, encoder, tokenizer, progress, runner
        )
        t3 = time.perf_counter()
        classifier_stats = _classifier(settings, build_dir, encoder, classifier, progress)
        t4 = time.perf_counter()
        resources.to_parquet(build_dir / "resources.parquet", index=False)
        lines.to_parquet(build_dir / "lines.parquet", index=False)
        passages.to_parquet(build_dir / "passages.parquet", index=False)
        dense.save(build_dir / "dense.faiss")
        bm25.save(build_dir)
        seconds = {
            "load": round(t1 - t0, 2),
            **stats["seconds"],
            "classifier": round(t4 - t3, 2),
            "total": round(time.perf_counter() - t0, 2),
        }
        manifest = _manifest(catalog, encoder, stats, lines, passages, applied, entries)
        manifest.update(classifier=classifier_stats, seconds=seconds)
        path, manifest = _publish(
            settings, store, build_dir, manifest, updates, journal, applied, encoder, tokenizer
        )
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    log.info("index %s: %d lines, %d passages", path.name, len(lines), len(passages))
    return BuildReport(path, {**manifest, "index_version": path.name}, catalog)


def _manifest(catalog, encoder, stats, lines, passages, applied, entries) -> dict:
    """What a version says about itself: the catalog it holds, the encoder, counts, timings."""
    return {
        "catalog_version": catalog.version,
        "catalog_sources": catalog.sources,
        "encoder": encoder.name,
        "dim": encoder.dim,
        "dense_index": stats["kind"],
        **{k.table: int(len(catalog.table(k.name))) for k in kinds()},  # rows per kind
        "lines": int(len(lines)),
        "passages": int(len(passages)),
        "rejected_rows": len({(i.file, i.row) for i in catalog.errors}),
        # the catalog update journal: up to which entry it is in (None: left out)
        "catalog_updates_applied": applied,
        "catalog_updates_included": len(entries),
        "embedding": stats["embedding"],
        "classifier": None,
        "seconds": {},
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _search_indexes(settings, passages, encoder, tokenizer, progress, runner):
    """The passages embedded (through the cache) into a FAISS index, and their BM25 index."""
    t1 = time.perf_counter()
    cache = EmbeddingCache(settings.cache_path)
    try:
        vectors, emb_stats = embed_texts(
            encoder,
            passages["text"].tolist(),
            cache,
            settings.encoder_batch_size,
            progress,
            runner=runner,
        )
    finally:
        cache.close()
    t2 = time.perf_counter()
    terms = [
        tokenizer.terms(t)
        for t in tqdm(
            passages["text"],
            "BM25 terms",
            unit="text",
            disable=not progress or len(passages) < 20_000,
        )
    ]
    bm25 = BM25Index().fit(terms)
    t_bm25 = time.perf_counter()
    kind = choose_kind(len(vectors), settings.dense_index, settings.ann_threshold)
    dense = DenseIndex.build(
        vectors, kind, settings.hnsw_m, settings.hnsw_ef_search, settings.ivf_nprobe
    )
    del vectors  # the index holds them; the cache keeps the exact ones
    seconds = {
        "embed": round(t2 - t1, 2),
        "bm25": round(t_bm25 - t2, 2),
        "dense_index": round(time.perf_counter() - t_bm25, 2),
    }
    return dense, bm25, {"kind": kind, "embedding": emb_stats, "seconds": seconds}


def _classifier(settings, build_dir: Path, encoder, classifier, progress) -> dict | None:
    """The need classifier of this version: as given (fitted elsewhere), or trained now."""
    if classifier is not None:  # fitted elsewhere (tests, experiments): publish as is
        classifier.save(build_dir)
        return {"requests": None, "taxonomy_examples": None, "seconds": 0.0, "prefitted": True}
    if settings.needs_model == "classifier" and any(Path(settings.train_dir).glob("*.tsv")):
        clf, stats = train_classifier(encoder, settings.cache_path, settings.train_dir, progress)
        clf.save(build_dir)
        return stats
    return None


def _publish(settings, store, build_dir, manifest, updates, journal, applied, encoder, tokenizer):
    """Switch CURRENT to the new version; updates accepted while it was built go into it."""
    with store.writer_lock():  # not in the middle of an update's publish
        path = store.commit(build_dir, manifest)
        if updates and journal.last_seq() > (applied or 0):
            # updates accepted while this build ran (on the version it replaces): into it
            from qis_match.update import replay_pending

            try:
                replayed = replay_pending(settings, encoder, tokenizer, store=store)
            except Exception as exc:  # noqa: BLE001 - the build is published; say so
                log.warning(
                    "build published; replaying newer catalog updates failed: %s "
                    "(the next update or build includes them)",
                    exc,
                )
                replayed = None
            if replayed is not None:
                path = replayed.path
                manifest = {k: v for k, v in replayed.manifest.items() if k != "index_version"}
    return path, manifest


def _same_path(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def retrain_classifier(
    settings: Settings, encoder: Encoder | None = None, progress: bool = True
) -> BuildReport:
    """Retrain the need classifier on the current training data and publish it as a new index
    version that shares every other file with the current one (hard links: no copy, no rebuild)."""

    encoder = encoder or make_encoder(settings)
    store = IndexStore(settings.index_root)
    with store.writer_lock():
        return _retrain(settings, store, encoder, progress)


def _retrain(
    settings: Settings, store: IndexStore, encoder: Encoder, progress: bool
) -> BuildReport:
    import json
    import os

    current = store.current_path()
    manifest = json.loads((current / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("encoder") != encoder.name:
        raise ValueError(
            f"index was built with {manifest.get('encoder')!r}, not {encoder.name!r}: run `qis-match build`"
        )
    build_dir = store.new_build_dir()
    try:
        for f in current.iterdir():
            if f.name not in ("manifest.json", "needs_classifier.joblib"):
                os.link(f, build_dir / f.name)
        clf, stats = train_classifier(encoder, settings.cache_path, settings.train_dir, progress)
        clf.save(build_dir)
        manifest = {k: v for k, v in manifest.items() if k not in ("index_version", "format")}
        manifest["classifier"] = stats
        manifest["retrained_from"] = current.name
        path = store.commit(build_dir, manifest)
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    return BuildReport(path, {**manifest, "index_version": path.name}, None)
