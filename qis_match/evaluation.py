"""Score the matcher on a labelled file (TSV: id, categories, region, text).

``categories`` is ``|``-separated category codes, most important first; ``none`` (or empty) marks
a request that is not a QI need. Metrics:
- top1: share of QI requests whose first need is a gold category;
- needs micro-F1: predicted need set vs gold set, over all requests;
- precision@5: share of the top-5 referrals whose category is gold (QI requests; fewer than 5
  referrals count as misses);
- locality: share of top-5 referrals in the gold region's city / province (rows with a region);
- rejection: share of non-QI requests with no needs; false rejection: QI requests with none;
- bundle coverage: multi-need requests whose every gold category is a need of the bundle with
  at least one referral;
- calibration (when the classifier reports probabilities): Brier score and expected calibration
  error over all (request, category) pairs.

Optional columns (the frozen ``test.tsv`` has them): ``route`` (the channel of a non-QI request, or
of a mixed request's non-QI part), ``not_wanted`` (categories named but done or declined) and
``slice``. With them: exact need set (the wanted categories, no more and no fewer), route accuracy
of the rejected non-QI rows, the no-referral rate for done/declined needs, and top-1 per slice.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qis_match.catalog.kinds import kind_names
from qis_match.errors import InputError, RegionError
from qis_match.geo import gazetteer
from qis_match.pipeline import Matcher
from qis_match.taxonomy import CATEGORY_CODES


@dataclass
class LabelledRequest:
    id: str
    categories: list[str]
    region: str
    text: str
    resource_types: list[str] = field(default_factory=list)  # aligned with categories
    route: str = ""
    not_wanted: list[str] = field(default_factory=list)
    slice: str = ""


def read_labelled(path: Path) -> list[LabelledRequest]:
    """Read a labelled TSV by its header: id, categories, region, text are required;
    sub_services and resource_types (aligned with categories) are optional."""
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = {"id", "categories", "region", "text"} - set(reader.fieldnames or [])
        if missing:
            raise InputError(
                f"{path}: header lacks {sorted(missing)} (needs id, categories, region, text)"
            )
        for lineno, row in enumerate(reader, start=2):
            if None in row or any(v is None for v in row.values()):
                raise InputError(f"{path}: line {lineno}: wrong number of tab-separated fields")
            cats = [
                c.strip() for c in row["categories"].split("|") if c.strip() and c.strip() != "none"
            ]
            bad = [c for c in cats if c not in CATEGORY_CODES]
            if bad:
                raise InputError(f"{path}: line {lineno}: unknown category {bad}")
            types = [t.strip() for t in (row.get("resource_types") or "").split("|") if t.strip()]
            if types and len(types) != len(cats):
                raise InputError(
                    f"{path}: line {lineno}: resource_types must align with categories"
                )
            not_wanted = [c for c in (row.get("not_wanted") or "").split("|") if c.strip()]
            bad = [c for c in not_wanted if c not in CATEGORY_CODES]
            if bad:
                raise InputError(f"{path}: line {lineno}: column not_wanted: unknown {bad}")
            out.append(
                LabelledRequest(
                    row["id"],
                    cats,
                    row["region"].strip(),
                    row["text"],
                    types or ["institution"] * len(cats),
                    (row.get("route") or "").strip(),
                    not_wanted,
                    (row.get("slice") or "").strip(),
                )
            )
    return out


@dataclass
class _Tally:
    """What ``evaluate`` counts over the requests, one :meth:`add` per request."""

    k: int
    geo: object
    top1: list = field(default_factory=list)
    p_at_k: list = field(default_factory=list)
    lat: list = field(default_factory=list)
    tp: int = 0
    fp: int = 0
    fn: int = 0
    rejected_none: list = field(default_factory=list)
    rejected_qi: list = field(default_factory=list)
    loc_city: list = field(default_factory=list)
    loc_prov: list = field(default_factory=list)
    per_cat: dict = field(default_factory=lambda: {c: [] for c in CATEGORY_CODES})
    coverage: list = field(default_factory=list)
    review: list = field(default_factory=list)
    probs: list = field(default_factory=list)
    truth: list = field(default_factory=list)
    type_hits: dict = field(default_factory=lambda: {t: [] for t in kind_names()})
    type_prec: dict = field(default_factory=lambda: {t: [] for t in kind_names()})
    failures: list = field(default_factory=list)
    exact: list = field(default_factory=list)
    route_hits: list = field(default_factory=list)
    mixed_routes: list = field(default_factory=list)
    not_wanted_clean: list = field(default_factory=list)
    by_slice: dict = field(default_factory=dict)

    def add(self, r: LabelledRequest, res) -> None:
        gold = set(r.categories)
        pred = [n.category for n in res.needs]
        self.review.append(int(res.needs_review))
        p = res.signals.get("probabilities")
        if p:
            self.probs.extend(p[c] for c in CATEGORY_CODES)
            self.truth.extend(int(c in gold) for c in CATEGORY_CODES)
        self._kinds(r, res)
        served = {b.need.category for b in res.bundle if b.referrals}
        if len(gold) > 1:
            self.coverage.append(int(gold <= served))
            if not gold <= served:
                self.failures.append(
                    {
                        "id": r.id,
                        "gold": r.categories,
                        "pred": sorted(served),
                        "text": r.text,
                        "kind": "bundle",
                    }
                )
        self.tp += len(gold & set(pred))
        self.fp += len(set(pred) - gold)
        self.fn += len(gold - set(pred))
        self.exact.append(int(gold == set(pred)))
        route = (res.route or {}).get("code", "")
        if r.not_wanted:
            # No referral for a need the text says is done or declined.
            self.not_wanted_clean.append(int(not (served & (set(r.not_wanted) - gold))))
        if gold and r.route:
            self.mixed_routes.append(int(route == r.route))
        if gold:
            self._qi(r, res, gold, pred)
        else:
            self._non_qi(r, pred, route)

    def _kinds(self, r: LabelledRequest, res) -> None:
        """Per labelled need: the right kind, and how many of its first k referrals are of it."""
        by_need = {b.need.category: b for b in res.bundle}
        for cat, kind in zip(r.categories, r.resource_types, strict=True):
            item = by_need.get(cat)
            self.type_hits[kind].append(int(item is not None and item.need.resource_type == kind))
            refs = item.referrals[: self.k] if item is not None else []
            self.type_prec[kind].append(
                sum(x.resource_type == kind and x.category == cat for x in refs) / self.k
            )

    def _non_qi(self, r: LabelledRequest, pred: list[str], route: str) -> None:
        self.rejected_none.append(int(not pred))
        self.by_slice.setdefault(r.slice or "-", []).append(int(not pred))
        if not pred and r.route:
            self.route_hits.append(int(route == r.route))
            if route != r.route:
                self.failures.append(
                    {"id": r.id, "gold": r.route, "pred": route, "text": r.text, "kind": "route"}
                )
        if pred:
            self.failures.append({"id": r.id, "gold": "none", "pred": pred, "text": r.text})

    def _qi(self, r: LabelledRequest, res, gold: set[str], pred: list[str]) -> None:
        self.rejected_qi.append(int(not pred))
        hit = int(bool(pred) and pred[0] in gold)
        self.top1.append(hit)
        self.by_slice.setdefault(r.slice or "-", []).append(hit)
        self.per_cat[r.categories[0]].append(hit)
        refs = res.referrals[: self.k]
        self.p_at_k.append(sum(ref.category in gold for ref in refs) / self.k)
        if not hit:
            self.failures.append({"id": r.id, "gold": r.categories, "pred": pred, "text": r.text})
        if r.region and refs:
            try:
                place = self.geo.resolve(r.region)
            except RegionError:
                return
            self.loc_city.append(np.mean([ref.city == (place.city or "") for ref in refs]))
            self.loc_prov.append(np.mean([ref.province == place.province for ref in refs]))

    def summary(self, n_rows: int) -> dict:
        k = self.k
        prec = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        rec = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        lat_arr = np.asarray(self.lat)

        def mean(v, empty=0.0):
            return float(np.mean(v)) if v else empty

        return {
            "requests": n_rows,
            "qi_requests": len(self.top1),
            "non_qi_requests": len(self.rejected_none),
            "top1": mean(self.top1),
            "needs_micro_f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
            f"precision_at_{k}": mean(self.p_at_k),
            "locality_same_city": mean(self.loc_city),
            "locality_same_province": mean(self.loc_prov),
            "non_qi_rejected": mean(self.rejected_none),
            "qi_wrongly_rejected": mean(self.rejected_qi),
            "resource_types": {
                t: {
                    "needs": len(self.type_hits[t]),
                    "type_accuracy": mean(self.type_hits[t], None),
                    f"precision_at_{k}": mean(self.type_prec[t], None),
                }
                for t in kind_names()
            },
            "multi_need_requests": len(self.coverage),
            "bundle_coverage": mean(self.coverage),
            "needs_review_rate": mean(self.review),
            "calibration": _calibration(np.asarray(self.probs), np.asarray(self.truth))
            if self.probs
            else None,
            "top1_by_category": {
                c: round(float(np.mean(v)), 3) for c, v in self.per_cat.items() if v
            },
            "latency_ms": {
                "p50": float(np.percentile(lat_arr, 50)),
                "p95": float(np.percentile(lat_arr, 95)),
                "mean": float(lat_arr.mean()),
            },
            "exact_need_set": mean(self.exact),
            "route_accuracy": mean(self.route_hits, None),
            "routed_non_qi": len(self.route_hits),
            "mixed_route_accuracy": mean(self.mixed_routes, None),
            "not_wanted_rows": len(self.not_wanted_clean),
            "not_wanted_unreferred": mean(self.not_wanted_clean, None),
            # Per slice: top-1 of its QI rows and rejection of its non-QI rows, pooled.
            "correct_by_slice": {
                s: round(float(np.mean(v)), 3) for s, v in sorted(self.by_slice.items())
            },
            "failures": self.failures,
        }


def evaluate(matcher: Matcher, rows: list[LabelledRequest], k: int = 5) -> dict:
    """The figures of a labelled set: need detection, kinds, referrals, locality, routes,
    calibration and latency (README, "Measured figures")."""
    tally = _Tally(k, gazetteer())
    matcher.match("压力表检定")  # warm-up: first-call costs are not per-request latency
    for r in rows:
        t0 = time.perf_counter()
        res = matcher.match(r.text, region=r.region or None, top_k=max(k, 10))
        tally.lat.append((time.perf_counter() - t0) * 1000)
        tally.add(r, res)
    return tally.summary(len(rows))


def acceptance_rate(matcher: Matcher, texts: list[str]) -> dict:
    """How often real text that is not a QI need (held-out reviews, other public sentences) is
    accepted as one; the accepted texts are returned for reading."""
    accepted = []
    for t in texts:
        res = matcher.match(t)
        if res.needs:
            accepted.append({"text": t, "pred": [n.category for n in res.needs]})
    return {
        "texts": len(texts),
        "accepted": len(accepted),
        "rate": len(accepted) / len(texts) if texts else 0.0,
        "examples": accepted[:20],
    }


def _calibration(p: np.ndarray, y: np.ndarray, bins: int = 10) -> dict:
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    ece = sum(
        abs(p[idx == b].mean() - y[idx == b].mean()) * (idx == b).mean()
        for b in range(bins)
        if (idx == b).any()
    )
    return {"brier": float(np.mean((p - y) ** 2)), "ece": float(ece), "pairs": int(len(p))}


def format_report(m: dict) -> str:
    lines = [
        f"requests            {m['requests']} ({m['qi_requests']} QI, {m['non_qi_requests']} non-QI)",
        f"category top-1      {m['top1']:.3f}",
        f"needs micro-F1      {m['needs_micro_f1']:.3f}",
        f"referral P@5        {m['precision_at_5']:.3f}",
        f"locality city/prov  {m['locality_same_city']:.3f} / {m['locality_same_province']:.3f}",
        f"non-QI rejected     {m['non_qi_rejected']:.3f}",
        f"QI wrongly rejected {m['qi_wrongly_rejected']:.3f}",
        f"exact need set      {m['exact_need_set']:.3f}",
        f"bundle coverage     {m['bundle_coverage']:.3f} ({m['multi_need_requests']} multi-need requests)",
        f"needs_review        {m['needs_review_rate']:.3f}",
        f"latency ms p50/p95  {m['latency_ms']['p50']:.1f} / {m['latency_ms']['p95']:.1f}",
        "top-1 by category   "
        + ", ".join(f"{c} {v:.2f}" for c, v in m["top1_by_category"].items()),
    ]
    types = [
        f"{t} {v['type_accuracy']:.3f}/{v['precision_at_5']:.3f} (n={v['needs']})"
        for t, v in m.get("resource_types", {}).items()
        if v["needs"]
    ]
    if types:
        lines.insert(-1, "type acc/P@5        " + ", ".join(types))
    if m.get("route_accuracy") is not None:
        lines.insert(
            -1,
            f"route accuracy      {m['route_accuracy']:.3f} ({m['routed_non_qi']} rejected non-QI rows)",
        )
    if m.get("not_wanted_unreferred") is not None:
        lines.insert(
            -1,
            f"not-wanted unreferred {m['not_wanted_unreferred']:.3f} ({m['not_wanted_rows']} rows)",
        )
    if len(m.get("correct_by_slice", {})) > 1:
        lines.insert(
            -1,
            "correct by slice    "
            + ", ".join(f"{k} {v:.2f}" for k, v in m["correct_by_slice"].items()),
        )
    if m.get("calibration"):
        c = m["calibration"]
        lines.insert(
            -1,
            f"calibration         Brier {c['brier']:.4f}, ECE {c['ece']:.4f} ({c['pairs']} pairs)",
        )
    return "\n".join(lines)
