"""Train qis-match's own fast encoder: a sentence-transformers model made of one StaticEmbedding
(a token → vector table), distilled from the e5 teacher and fine-tuned on in-domain pairs.

1. Tokenizer. ``jieba``: a Unigram tokenizer whose pieces are the jieba dictionary words (ours plus
   jieba's) that occur in the corpus, scored by jieba's frequencies — Viterbi over those scores is
   jieba's own maximum-probability segmentation, but serialisable, so ``SentenceTransformer(path)``
   segments raw Chinese by itself. ``char``: one piece per character (the baseline).
2. Distillation (as in Model2Vec): each piece is embedded by the teacher on its own; rows are
   weighted by a smooth inverse frequency, so that frequent pieces (的, 检测) weigh less in the mean.
   No projection: the table stays in e5's space, so e5 queries can be scored against fast passages.
3. Fine-tuning on (request, matching capability passage) pairs from the TRAINING requests only,
   positives mined with the teacher among the passages of the request's gold sub-services, with
   MultipleNegativesRankingLoss (in-batch negatives). Seeded; minutes on 2 cores.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qis_match.encoders.base import Encoder
from qis_match.encoders.batch import embed_texts
from qis_match.encoders.cache import EmbeddingCache
from qis_match.store.index_store import IndexData
from qis_match.text.tokenize import default_tokenizer

log = logging.getLogger(__name__)
UNK = "[UNK]"


@dataclass
class EncoderTrainingReport:
    path: Path
    vocab: int
    pairs: int
    seconds: dict


def _corpus(index: IndexData, requests: list[str]) -> list[str]:
    from qis_match.taxonomy import load_taxonomy

    tax = load_taxonomy()
    words = [w for c in tax.categories for s in c.sub_services for w in (s.name, *s.synonyms)]
    return list(index.passages["text"]) + requests + words


def build_tokenizer(kind: str, corpus: list[str]):
    """A serialisable HF tokenizer for raw Chinese text (see module docstring)."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import Unigram

    chars = Counter(ch for text in corpus for ch in text if not ch.isspace())
    pieces: dict[str, float] = {}
    if kind == "jieba":
        jb = default_tokenizer().jieba
        total = float(jb.total)
        found: Counter[str] = Counter()
        for text in corpus:
            for w in jb.cut_for_search(text):
                w = w.strip()
                if len(w) > 1:
                    found[w] += 1
        for w in found:
            freq = jb.FREQ.get(w) or found[w]
            pieces[w] = math.log(max(freq, 1) / total)
        floor = math.log(1 / total) - 2.0  # single characters: only where no word fits
        for ch in chars:
            pieces.setdefault(ch, floor)
    elif kind == "char":
        for ch, n in chars.items():
            pieces[ch] = math.log(n / sum(chars.values()))
    else:
        raise ValueError(f"unknown tokenizer kind {kind!r}: jieba or char")
    vocab = [(UNK, 0.0)] + sorted(pieces.items(), key=lambda kv: -kv[1])
    tok = Tokenizer(Unigram(vocab, unk_id=0, byte_fallback=False))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()]
    )
    return tok


def distil(
    tokenizer,
    teacher: Encoder,
    corpus: list[str],
    cache: EmbeddingCache | None,
    sif_a: float = 1e-3,
) -> np.ndarray:
    """The embedding table: each piece through the teacher, weighted by smooth inverse frequency."""
    vocab = tokenizer.get_vocab()
    pieces = [p for p, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    counts: Counter[str] = Counter()
    for enc in tokenizer.encode_batch(corpus):
        counts.update(enc.tokens)
    total = sum(counts.values()) or 1
    table = np.zeros((len(pieces), teacher.dim), dtype=np.float32)
    real = [i for i, p in enumerate(pieces) if p != UNK]
    vecs, _ = embed_texts(teacher, [pieces[i] for i in real], cache, kind="passage", progress=True)
    weights = np.array(
        [sif_a / (sif_a + counts.get(pieces[i], 0) / total) for i in real], dtype=np.float32
    )
    table[real] = vecs * weights[:, None]
    return table


def mine_pairs(
    index: IndexData, examples, teacher: Encoder, cache: EmbeddingCache | None, seed: int = 0
) -> list[tuple[str, str]]:
    """(request, passage) pairs: for each training request and gold sub-service, the passage of that
    sub-service the teacher finds closest."""
    passages = index.passages["text"].tolist()
    sub_of = (
        index.lines.drop_duplicates("passage_id")
        .set_index("passage_id")["sub_service"]
        .reindex(index.passages["passage_id"])
        .to_numpy()
    )
    pvecs = embed_texts(teacher, passages, cache)[0]  # cached when the index used this teacher
    requests = [e for e in examples if e.source != "taxonomy" and e.sub_services]
    qvecs, _ = embed_texts(teacher, [e.text for e in requests], cache, kind="query", progress=False)
    pairs = []
    for e, q in zip(requests, qvecs, strict=True):
        for sub in e.sub_services:
            ids = np.flatnonzero(sub_of == sub)
            if ids.size:
                best = ids[int(np.argmax(pvecs[ids] @ q))]
                pairs.append((e.text, passages[best]))
    random.Random(seed).shuffle(pairs)
    return pairs


def train_static_encoder(
    index: IndexData,
    teacher: Encoder,
    out_dir: Path,
    tokenizer_kind: str = "jieba",
    epochs: int = 1,
    batch_size: int = 64,
    finetune: bool = True,
    cache_path: Path | None = None,
    train_dir: Path | None = None,
    seed: int = 42,
) -> EncoderTrainingReport:
    """Distil (and fine-tune) a static encoder; save it as a sentence-transformers directory."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    try:
        from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import StaticEmbedding

    from qis_match.understanding.training import training_examples

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    examples = training_examples(train_dir)
    corpus = _corpus(index, [e.text for e in examples if e.source != "taxonomy"])
    cache = EmbeddingCache(cache_path) if cache_path else None
    try:
        tokenizer = build_tokenizer(tokenizer_kind, corpus)
        t1 = time.perf_counter()
        table = distil(tokenizer, teacher, corpus, cache)
        t2 = time.perf_counter()
        model = SentenceTransformer(
            modules=[StaticEmbedding(tokenizer, embedding_weights=table)], device="cpu"
        )
        pairs = mine_pairs(index, examples, teacher, cache, seed) if finetune else []
    finally:
        if cache:
            cache.close()
    t3 = time.perf_counter()
    if finetune and pairs:
        _finetune(model, pairs, epochs, batch_size, seed)
    t4 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    seconds = {
        "tokenizer": round(t1 - t0, 1),
        "distil": round(t2 - t1, 1),
        "mine": round(t3 - t2, 1),
        "finetune": round(t4 - t3, 1),
    }
    info = {
        "teacher": teacher.name,
        "tokenizer": tokenizer_kind,
        "vocab": int(table.shape[0]),
        "pairs": len(pairs),
        "epochs": epochs if finetune else 0,
        "seed": seed,
        "index_version": index.version,
        "catalog_version": index.manifest.get("catalog_version"),
        "seconds": seconds,
    }
    (out_dir / "qis_match_encoder.json").write_text(
        json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return EncoderTrainingReport(out_dir, int(table.shape[0]), len(pairs), seconds)


def _finetune(model, pairs: list[tuple[str, str]], epochs: int, batch_size: int, seed: int) -> None:
    import tempfile

    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )

    try:
        from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    except ImportError:
        from sentence_transformers.losses import MultipleNegativesRankingLoss
    try:
        from sentence_transformers.sentence_transformer.training_args import BatchSamplers
    except ImportError:
        try:  # sentence-transformers < 6
            from sentence_transformers.training_args import BatchSamplers
        except ImportError:
            BatchSamplers = None

    data = Dataset.from_dict({"anchor": [a for a, _ in pairs], "positive": [p for _, p in pairs]})
    with tempfile.TemporaryDirectory() as tmp:
        kwargs = {}
        if BatchSamplers is not None:
            kwargs["batch_sampler"] = (
                BatchSamplers.NO_DUPLICATES
            )  # a passage twice in a batch is a false negative
        args = SentenceTransformerTrainingArguments(
            output_dir=tmp,
            num_train_epochs=epochs,
            per_device_train_batch_size=batch_size,
            learning_rate=0.05,  # a static table learns fast and needs a large step
            warmup_ratio=0.1,
            seed=seed,
            save_strategy="no",
            logging_steps=50,
            report_to=[],
            use_cpu=True,
            **kwargs,
        )
        SentenceTransformerTrainer(
            model=model, args=args, train_dataset=data, loss=MultipleNegativesRankingLoss(model)
        ).train()
