"""Unmet demand grouped into topics: embeddings + k-means, each topic named by c-TF-IDF.

The texts are the parts of the requests the unmet needs came from (the whole request when the
matcher abstained). They are embedded with the matcher's own encoder (``query:`` side, cached) and
clustered with k-means; k is chosen by the silhouette (cosine) between 2 and
``analytics_max_topics``. A topic's name is its most distinctive jieba words by class-based TF-IDF
(BERTopic's c-TF-IDF: term frequency in the topic × log(1 + average words per topic / the term's
frequency overall)). Past ``analytics_cluster_sample`` items, a sample is clustered and the rest
join the topic whose TF-IDF centroid is nearest, so that a million-request log stays cheap.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestCentroid

from qis_match.analytics.frames import REASON_NAMES, DemandFrames
from qis_match.encoders.base import Encoder
from qis_match.encoders.batch import embed_texts
from qis_match.encoders.cache import EmbeddingCache
from qis_match.geo import gazetteer
from qis_match.text.tokenize import QiTokenizer, default_tokenizer

log = logging.getLogger(__name__)
_NOISE_RE = re.compile(r"\[[^\]]{1,6}\]|[0-9０-９]+")
_GENERIC = frozenset(
    [
        "需要",
        "想要",
        "想找",
        "咨询",
        "一下",
        "我们",
        "公司",
        "企业",
        "有限公司",
        "要做",
        "怎么",
        "哪家",
        "哪里",
        "找谁",
        "不知道",
        "有没有",
        "你好",
        "请问",
        "一家",
        "小企业",
        "机构",
        "联系人",
        "电话",
        "另外",
        "同时",
        "还有",
        "还想",
        "做",
        "的",
        "了",
        "和",
        "找",
        "要",
        "想",
    ]
)


@dataclass
class Topics:
    table: pd.DataFrame  # one row per topic
    items: pd.DataFrame  # one row per unmet item, with its topic


def unmet_items(frames: DemandFrames) -> pd.DataFrame:
    """Unmet needs (their clause) and abstained requests (their text): what the topics group."""
    n = frames.needs[frames.needs["unmet"]]
    by_id = frames.requests.set_index("id")
    clause = n["text"].fillna("")
    needs = pd.DataFrame(
        {
            "request_pk": n["request_pk"].to_numpy(),
            "text": clause.where(clause != "", n["request_pk"].map(by_id["text"])).to_numpy(),
            "category": n["category_name"].to_numpy(),
            "province": n["province"].to_numpy(),
            "city": n["city"].to_numpy(),
            "reason": n["reason"].to_numpy(),
        }
    )
    a = frames.requests[frames.requests["abstained"]]
    abstained = pd.DataFrame(
        {
            "request_pk": a["id"].to_numpy(),
            "text": a["text"].to_numpy(),
            "category": "",
            "province": a["province"].to_numpy(),
            "city": a["city"].to_numpy(),
            "reason": "abstained",
        }
    )
    out = pd.concat([needs, abstained], ignore_index=True)
    out["text"] = out["text"].astype(str)
    # The enterprise's own name says nothing about the need: drop it before clustering.
    ent = out["request_pk"].map(by_id["enterprise"]).fillna("")
    out["text"] = [t.replace(e, "") if e else t for t, e in zip(out["text"], ent, strict=True)]
    return out


def _clean(text: str) -> str:
    return _NOISE_RE.sub(" ", text).strip()


def _place_words() -> frozenset[str]:
    names = getattr(gazetteer(), "_names", {})
    return frozenset(names)


def choose_k(vecs: np.ndarray, weights: np.ndarray, max_topics: int, seed: int) -> np.ndarray:
    """k-means labels for the k with the best cosine silhouette, from about √n / 1.5 up to
    ``max_topics``: on messy requests the silhouette alone favours two or three catch-all topics,
    which tell an analyst nothing."""
    n = len(vecs)
    if n < 3:
        return np.zeros(n, dtype=int)
    hi = min(max_topics, n - 1)
    lo = min(hi, max(2, round(np.sqrt(n) / 1.5)))
    best, best_labels = -2.0, np.zeros(n, dtype=int)
    for k in range(lo, hi + 1):
        km = KMeans(n_clusters=k, n_init=4, random_state=seed)
        labels = km.fit_predict(vecs, sample_weight=weights)
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(vecs, labels, metric="cosine")
        if score > best:
            best, best_labels = score, labels
    return best_labels


def ctfidf_terms(docs: list[list[str]], labels: np.ndarray, top_n: int = 8) -> dict[int, list[str]]:
    """The most distinctive words of each label (class-based TF-IDF)."""
    per_class: dict[int, Counter] = {}
    for words, lab in zip(docs, labels, strict=True):
        per_class.setdefault(int(lab), Counter()).update(words)
    overall: Counter = Counter()
    for c in per_class.values():
        overall.update(c)
    avg = np.mean([sum(c.values()) for c in per_class.values()]) if per_class else 1.0
    out = {}
    for lab, c in per_class.items():
        total = sum(c.values()) or 1
        scored = {w: (f / total) * np.log(1 + avg / overall[w]) for w, f in c.items()}
        out[lab] = [w for w, _ in sorted(scored.items(), key=lambda x: (-x[1], x[0]))[:top_n]]
    return out


def cluster_texts(
    texts: list[str],
    encoder: Encoder,
    cache: EmbeddingCache | None = None,
    max_topics: int = 12,
    seed: int = 0,
    progress: bool = False,
) -> np.ndarray:
    """A topic label per text (same text, same label)."""
    cleaned = [_clean(t) or t for t in texts]
    unique = list(dict.fromkeys(cleaned))
    counts = Counter(cleaned)
    vecs, _ = embed_texts(encoder, unique, cache, progress=progress, kind="query")
    labels = choose_k(vecs, np.asarray([counts[t] for t in unique], float), max_topics, seed)
    where = dict(zip(unique, labels, strict=True))
    return np.asarray([where[t] for t in cleaned], dtype=int)


def _words(text: str, tok: QiTokenizer, places: frozenset[str]) -> list[str]:
    return [
        w
        for w in tok.words(_clean(text))
        if len(w) > 1
        and w not in tok.stopwords
        and w not in _GENERIC
        and w not in places
        and not w.isdigit()
    ]


def find_topics(
    frames: DemandFrames,
    encoder: Encoder | None,
    cache: EmbeddingCache | None = None,
    max_topics: int = 12,
    sample: int = 1500,
    seed: int = 0,
    progress: bool = False,
) -> Topics:
    """Cluster the unmet demand of ``frames`` into named topics."""
    items = unmet_items(frames)
    cols = [
        "topic",
        "name",
        "terms",
        "items",
        "share",
        "categories",
        "regions",
        "reasons",
        "examples",
    ]
    if items.empty:
        return Topics(pd.DataFrame(columns=cols), items.assign(topic=pd.Series(dtype=int)))
    texts = items["text"].tolist()
    rng = np.random.default_rng(seed)
    idx = np.arange(len(texts))
    if len(texts) > sample:
        idx = np.sort(rng.choice(len(texts), size=sample, replace=False))
    sample_texts = [texts[i] for i in idx]
    if encoder is None:  # no encoder at hand: TF-IDF vectors still group like with like
        vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2)).fit_transform(
            [_clean(t) for t in sample_texts]
        )
        labels_s = choose_k(vec.toarray(), np.ones(len(sample_texts)), max_topics, seed)
    else:
        labels_s = cluster_texts(sample_texts, encoder, cache, max_topics, seed, progress)
    labels = np.full(len(texts), -1, dtype=int)
    labels[idx] = labels_s
    rest = np.setdiff1d(np.arange(len(texts)), idx)
    if len(rest) and len(set(labels_s)) > 1:
        tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=1)
        xs = tfidf.fit_transform([_clean(t) for t in sample_texts])
        nc = NearestCentroid().fit(xs, labels_s)
        labels[rest] = nc.predict(tfidf.transform([_clean(texts[i]) for i in rest]))
    elif len(rest):
        labels[rest] = labels_s[0]
    items = items.assign(topic=labels)
    tok = default_tokenizer()
    places = _place_words()
    docs = [_words(t, tok, places) for t in sample_texts]
    terms = ctfidf_terms(docs, labels_s)
    total = len(items)
    rows = []
    for lab, g in items.groupby("topic"):
        t = terms.get(int(lab), [])
        cats = g["category"].replace("", "（非质量基础设施）").value_counts().head(2)
        regions = g["city"].fillna("（未知地区）").value_counts().head(3)
        reasons = g["reason"].map(REASON_NAMES).value_counts()
        examples = list(dict.fromkeys(g["text"].tolist()))[:3]
        rows.append(
            {
                "topic": int(lab),
                "name": "·".join(t[:3]) or f"主题{lab}",
                "terms": "、".join(t),
                "items": len(g),
                "share": len(g) / total,
                "categories": "、".join(f"{k}({v})" for k, v in cats.items()),
                "regions": "、".join(f"{k}({v})" for k, v in regions.items()),
                "reasons": "、".join(f"{k}({v})" for k, v in reasons.items()),
                "examples": " | ".join(examples),
            }
        )
    table = pd.DataFrame(rows, columns=cols).sort_values(
        ["items", "topic"], ascending=[False, True]
    )
    return Topics(table.reset_index(drop=True), items)
