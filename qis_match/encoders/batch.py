"""Embed many texts: deduplicate, reuse the cache, batch the rest with a progress bar."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator, Sequence

import numpy as np
from tqdm import tqdm

from qis_match.encoders.base import Encoder
from qis_match.encoders.cache import EmbeddingCache

log = logging.getLogger(__name__)
# (batches of texts, kind) -> (batch number, vectors) in any order
BatchRunner = Callable[[Sequence[list[str]], str], Iterator[tuple[int, np.ndarray]]]


def embed_texts(
    encoder: Encoder,
    texts: Sequence[str],
    cache: EmbeddingCache | None = None,
    batch_size: int = 32,
    progress: bool = True,
    kind: str = "passage",
    runner: BatchRunner | None = None,
) -> tuple[np.ndarray, dict[str, int]]:
    """Vectors for ``texts`` (one row each, in order) and counts: unique, cached, embedded.

    ``kind`` is ``passage`` (catalog texts) or ``query`` (requests): e5 embeds them differently,
    so they are cached apart. ``runner`` embeds the batches elsewhere (e.g. on a Ray cluster,
    :mod:`qis_match.encoders.distributed`); the batches are the same either way.
    """
    encode = encoder.encode_queries if kind == "query" else encoder.encode_passages
    model_key = encoder.name if kind == "passage" else f"{encoder.name}#{kind}"
    unique = list(dict.fromkeys(texts))
    out = np.zeros((len(unique), encoder.dim), dtype=np.float32)
    cached = cache.get_many(model_key, unique, encoder.dim) if cache else {}
    for i, v in cached.items():
        out[i] = v
    todo = [i for i in range(len(unique)) if i not in cached]
    log.info(
        "embedding: %d texts, %d unique, %d cached, %d to embed",
        len(texts),
        len(unique),
        len(cached),
        len(todo),
    )
    with tqdm(
        total=len(todo),
        desc=f"embedding {kind} texts",
        unit="text",
        disable=not progress or not todo,
        mininterval=0.5
        if sys.stderr.isatty()
        else 15,  # logs get a line every 15 s, not every batch
    ) as bar:
        starts = range(0, len(todo), batch_size)
        batches = [[unique[i] for i in todo[s : s + batch_size]] for s in starts]
        done = runner(batches, kind) if runner else ((b, encode(x)) for b, x in enumerate(batches))
        for b, vecs in done:
            idx = todo[starts[b] : starts[b] + batch_size]
            out[idx] = vecs
            if cache:
                cache.put_many(model_key, batches[b], vecs)
            bar.update(len(idx))
    where = {t: i for i, t in enumerate(unique)}
    rows = np.asarray([where[t] for t in texts], dtype=np.int64)
    stats = {
        "texts": len(texts),
        "unique": len(unique),
        "cached": len(cached),
        "embedded": len(todo),
    }
    return out[rows] if len(texts) != len(unique) else out, stats
