"""From matching passages to ranked resources of every kind.

A resource is as good as its best matching lines (a little credit for a second and third),
lifted by nearness to the enterprise (same city > same province > nationwide service > distance),
restricted by the caller's filters, and kept diverse: branches of one group decay so that five
near-identical branches do not fill the top. Each kind adds its own fit, eligibility and weight
of nearness (:class:`qis_match.catalog.kinds.ResourceKind`): the ranker asks the registry and
never names a kind.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from qis_match.catalog.kinds import RankContext, ResourceKind, find_kind
from qis_match.geo import Place, city_code_of, distance_km
from qis_match.ranking.models import Evidence, Referral
from qis_match.retrieval.hybrid import Candidates
from qis_match.settings import Settings
from qis_match.taxonomy import CATEGORY_CODES

_DEFAULT_KIND = ResourceKind()  # for rows of a kind no longer registered: no fit of its own
Context = RankContext  # what the request says that changes a resource's fit (the kinds' type)


@dataclass(frozen=True)
class RankParams:
    """The ranker's tunables (each a documented field of :class:`Settings` of the same name)."""

    min_relevance: float = 0.3
    locality_weight: float = 0.5
    category_mismatch_penalty: float = 0.5
    branch_decay: float = 0.5
    evidence_lines: int = 3
    evidence_min_share: float = 0.75
    second_line_credit: float = 0.1
    third_line_credit: float = 0.05
    locality_same_city: float = 1.0
    locality_same_province: float = 0.6
    locality_national: float = 0.5
    locality_far: float = 0.3
    locality_far_km: float = 400.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RankParams:
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


@dataclass
class Filters:
    """Caller's restrictions; None means no restriction."""

    categories: list[str] | None = None
    sub_services: list[str] | None = None
    province: str | None = None
    city: str | None = None
    online: bool | None = None
    small_business_discount: bool | None = None
    accreditation: str | None = None
    resource_types: list[str] | None = None

    def active(self) -> bool:
        return any(v is not None for v in vars(self).values())


class _Column:
    """One text column of the lines as category codes, in the ranker's (passage) order: a million
    lines share a few thousand values, and a request reads a few dozen of them."""

    def __init__(self, values: pd.Series, order: np.ndarray) -> None:
        cat = pd.Categorical(values)
        self.values = np.append(np.asarray(cat.categories, dtype=object), "")
        codes = cat.codes.astype(np.int32)
        self.codes = np.where(codes < 0, len(self.values) - 1, codes)[order]  # missing → ""
        self._code: dict[str, int] | None = None  # built on first filter (never for line ids)

    def __getitem__(self, i: int) -> str:
        return str(self.values[self.codes[i]])

    def isin(self, idx: np.ndarray, wanted: list[str]) -> np.ndarray:
        if self._code is None:
            self._code = {str(v): i for i, v in enumerate(self.values)}
        return np.isin(self.codes[idx], [self._code[w] for w in wanted if w in self._code])


class ResourceRanker:
    def __init__(
        self,
        resources: pd.DataFrame,
        lines: pd.DataFrame,
        settings: Settings | RankParams | None = None,
    ) -> None:
        s = settings if isinstance(settings, RankParams) else None
        self.params = s or (RankParams.from_settings(settings) if settings else RankParams())
        self.res = resources.reset_index(drop=True)
        self.pos = {rid: i for i, rid in enumerate(self.res["resource_id"])}
        # Lines ordered by passage so that a passage's lines are one slice; only arrays are kept
        # (the lines table itself stays the index's, not copied).
        self._lines = lines
        pid = lines["passage_id"].to_numpy()
        order = np.argsort(pid, kind="stable")
        pid = pid[order]
        n_pass = int(pid.max()) + 1 if len(pid) else 0
        self.offsets = np.searchsorted(pid, np.arange(n_pass + 1))
        res_col = pd.Categorical(lines["resource_id"])
        res_pos = np.array([self.pos.get(r, -1) for r in res_col.categories], dtype=np.int64)
        self.line_res = res_pos[res_col.codes][order]
        cat_col = pd.Categorical(lines["category"], categories=CATEGORY_CODES)
        self.line_cat = cat_col.codes.astype(np.int64)[order]
        self.col = {
            c: _Column(lines[c], order) for c in ("line_id", "sub_service", "standard", "category")
        }
        self.col_passage = pid
        r = self.res
        self.kind = r["resource_type"].to_numpy()
        group = r["parent_id"].where(r["parent_id"] != "", r["resource_id"])
        self.group_code = pd.factorize(group)[0]  # branches of one organisation share a code
        self.lon = r["longitude"].to_numpy(dtype=np.float64)
        self.lat = r["latitude"].to_numpy(dtype=np.float64)
        self.city_code = r["adcode"].map(city_code_of).to_numpy()
        self.prov_code = r["adcode"].str[:2].to_numpy()
        self.national = (r["service_area"] == "national").to_numpy()
        self.online = r["channels"].str.contains("online").to_numpy()
        self.remote = r["remote"].to_numpy(dtype=bool)
        self._kinds_setup()
        # Records, not pandas indexing: per referral, pandas would dominate a request's time.
        self.records = r.to_dict("records")

    def _kinds_setup(self) -> None:
        """Per kind present in the index: its rows, their local positions, its prepared state,
        and the per-resource weight of nearness and floor of a remote resource's locality."""
        n = len(self.res)
        self.local = np.zeros(n, dtype=np.int64)  # position among the rows of its own kind
        self.kinds: dict[str, tuple[ResourceKind, np.ndarray, object]] = {}
        self.near_weight = np.ones(n)
        self.remote_floor = np.full(n, -np.inf)
        for name in pd.unique(self.kind):
            kind = find_kind(str(name)) or _DEFAULT_KIND
            rows = np.flatnonzero(self.kind == name)
            self.local[rows] = np.arange(len(rows))
            state = kind.prepare(self.res.iloc[rows].reset_index(drop=True))
            self.kinds[str(name)] = (kind, rows, state)
            self.near_weight[rows] = kind.locality_weight
            if kind.remote_locality_floor is not None:
                self.remote_floor[rows] = kind.remote_locality_floor
        # kinds that restrict who may be referred at all (a deadline, an eligible region)
        self._restricting = [
            name
            for name, (kind, _, _) in self.kinds.items()
            if type(kind).eligible is not ResourceKind.eligible
        ]

    # --- filters
    def _mask(self, f: Filters) -> np.ndarray:
        r = self.res
        m = np.ones(len(r), dtype=bool)
        if f.province:
            m &= (r["province"] == f.province).to_numpy()
        if f.city:
            m &= (r["city"] == f.city).to_numpy()
        if f.online is not None:
            m &= self.online == f.online
        if f.small_business_discount is not None:
            m &= r["small_business_discount"].to_numpy(dtype=bool) == f.small_business_discount
        if f.accreditation:
            acc = f.accreditation.upper()
            m &= r["accreditations"].str.upper().str.split("|").map(lambda xs: acc in xs).to_numpy()
        if f.resource_types:
            m &= np.isin(self.kind, f.resource_types)
        return m

    def locality(
        self, region: Place | None
    ) -> tuple[np.ndarray, np.ndarray | list[None], np.ndarray]:
        """Nearness in [0, 1] per resource, its label, and distance in km."""
        n = len(self.res)
        if region is None:
            return np.zeros(n), [None] * n, np.full(n, np.nan)
        dist = distance_km(
            region.lon, region.lat, self.lon, self.lat
        )  # vectorised over all resources
        same_prov = self.prov_code == region.adcode[:2]
        same_city = (
            (self.city_code == region.city_code) if region.city_code else np.zeros(n, dtype=bool)
        )
        p = self.params
        far = p.locality_far * np.exp(-dist / p.locality_far_km)
        score = np.where(
            same_city,
            p.locality_same_city,
            np.where(
                same_prov,
                p.locality_same_province,
                np.where(self.national, p.locality_national, far),
            ),
        )
        # a resource that works remotely is never far, if its kind says so
        score = np.where(self.remote, np.maximum(score, self.remote_floor), score)
        labels = np.select(
            [same_city, same_prov, self.national],
            ["same_city", "same_province", "national"],
            "elsewhere",
        )
        return score, labels, dist

    def fit(self, idx: np.ndarray, ctx: RankContext | None) -> np.ndarray:
        """Each kind's relevance multipliers for the resources ``idx``."""
        ctx = ctx or RankContext()
        out = np.ones(len(idx))
        kinds = self.kind[idx]
        for name in pd.unique(kinds):
            kind, _, state = self.kinds[str(name)]
            mine = np.flatnonzero(kinds == name)
            out[mine] = kind.fit(state, self.local[idx[mine]], ctx)
        return out

    def eligible(self, ctx: RankContext | None) -> np.ndarray | None:
        """Which resources may be referred for this request (None: all of them)."""
        if not self._restricting:
            return None
        ctx = ctx or RankContext()
        ok = np.ones(len(self.res), dtype=bool)
        for name in self._restricting:
            kind, rows, state = self.kinds[name]
            ok[rows] = kind.eligible(state, np.arange(len(rows)), ctx)
        return ok

    def rank(
        self,
        cands: Candidates,
        need_categories: list[str],
        region: Place | None,
        filters: Filters | None,
        top_k: int,
        query_words: list[str],
        passage_text: pd.Series,
        passage_terms=None,
        ctx: RankContext | None = None,
    ) -> list[Referral]:
        """Ranked referrals. ``passage_terms(pid) -> set[str]`` gives a passage's terms, for the
        matched-terms evidence (request words the line really contains as words, not substrings)."""
        if len(cands) == 0:
            return []
        ctx = ctx or RankContext(region=region)
        line_idx, line_score = self._scored_lines(cands, need_categories, filters or Filters(), ctx)
        if line_idx is None:
            return []
        p = self.params
        res_of_line = self.line_res[line_idx]
        order = np.lexsort((-line_score, res_of_line))
        res_sorted, score_sorted, line_sorted = (
            res_of_line[order],
            line_score[order],
            line_idx[order],
        )
        uniq, first = np.unique(res_sorted, return_index=True)
        bounds = np.append(first, len(res_sorted))
        # A resource is its best line plus a little credit for its second and third.
        n_lines = np.diff(bounds)
        rel = score_sorted[first].astype(np.float64)
        second, third = n_lines > 1, n_lines > 2
        rel[second] += p.second_line_credit * score_sorted[first[second] + 1]
        rel[third] += p.third_line_credit * score_sorted[first[third] + 2]
        rel = rel * self.fit(uniq, ctx)
        rel = rel / rel.max()
        loc, labels, dist = self.locality(region)
        weight = self.near_weight[uniq] * p.locality_weight
        final = rel * (1 + weight * loc[uniq]) / (1 + weight)
        chosen, adjusted = self._diverse(uniq, final, top_k)
        qset = {w for w in query_words if len(w) > 1}
        referrals = []
        for rank, j in enumerate(chosen, start=1):
            lo, hi = bounds[j], min(bounds[j] + p.evidence_lines, bounds[j + 1])
            ev_lines = [
                (int(line_sorted[k]), float(score_sorted[k]))
                for k in range(lo, hi)
                if score_sorted[k] >= p.evidence_min_share * score_sorted[lo]
            ]
            evidence = [
                self._evidence(li, sc, qset, passage_text, passage_terms) for li, sc in ev_lines
            ]
            referrals.append(
                self._referral(
                    int(uniq[j]),
                    rank,
                    float(adjusted[j]),
                    float(rel[j]),
                    labels,
                    dist,
                    region,
                    evidence,
                    ev_lines[0][0],
                    ctx,
                )
            )
        return referrals

    def _scored_lines(
        self, cands: Candidates, need_categories: list[str], filters: Filters, ctx: RankContext
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """The candidate passages' lines that pass the filters and the kinds' eligibility, with
        their scores (lines outside the needs' categories penalised, weak lines dropped); None
        when no line is left."""
        p = self.params
        starts, ends = self.offsets[cands.passage_ids], self.offsets[cands.passage_ids + 1]
        counts = ends - starts
        line_idx = (
            np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
            if counts.sum()
            else np.zeros(0, dtype=np.int64)
        )
        line_score = np.repeat(cands.score, counts).astype(np.float64)
        if need_categories:
            wanted = np.isin(
                self.line_cat[line_idx], [CATEGORY_CODES.index(c) for c in need_categories]
            )
            line_score = np.where(wanted, line_score, line_score * p.category_mismatch_penalty)
        keep = np.ones(len(line_idx), dtype=bool)
        if filters.categories:
            keep &= np.isin(
                self.line_cat[line_idx], [CATEGORY_CODES.index(c) for c in filters.categories]
            )
        if filters.sub_services:
            keep &= self.col["sub_service"].isin(line_idx, filters.sub_services)
        if filters.active():
            keep &= self._mask(filters)[self.line_res[line_idx]]
        eligible = self.eligible(ctx)
        if eligible is not None:
            keep &= eligible[self.line_res[line_idx]]
        if not keep.any():
            return None, line_score
        # Weak lines are noise for the person at the window: keep what is close to the best.
        keep &= line_score >= p.min_relevance * line_score[keep].max()
        return line_idx[keep], line_score[keep]

    def _diverse(
        self, uniq: np.ndarray, final: np.ndarray, top_k: int
    ) -> tuple[list[int], np.ndarray]:
        """Greedy selection with decay per group (diversity across branches of one organisation).
        Vectorised: at province scale a request has tens of thousands of candidate resources."""
        groups = self.group_code[uniq]
        adjusted = final.astype(np.float64)
        taken = np.zeros(len(uniq), dtype=bool)
        picked_in_group: dict[int, int] = {}
        decay = self.params.branch_decay
        chosen: list[int] = []
        for _ in range(min(top_k, len(uniq))):
            best = int(np.argmax(np.where(taken, -np.inf, adjusted)))
            chosen.append(best)
            taken[best] = True
            g = int(groups[best])
            picked_in_group[g] = picked_in_group.get(g, 0) + 1
            same = (groups == g) & ~taken
            adjusted[same] = final[same] * decay ** picked_in_group[g]
        return chosen, adjusted

    def _evidence(
        self, li: int, score: float, qset: set[str], passage_text: pd.Series, passage_terms
    ) -> Evidence:
        pid = int(self.col_passage[li])
        text = str(passage_text.iloc[pid])
        words = passage_terms(pid) if passage_terms else set(text.upper().split())
        return Evidence(
            line_id=self.col["line_id"][li],
            text=text,
            sub_service=self.col["sub_service"][li],
            standard=self.col["standard"][li],
            score=score,
            matched_terms=sorted(qset & words),
        )

    def _referral(
        self,
        i: int,
        rank: int,
        score: float,
        rel: float,
        labels,
        dist,
        region,
        evidence: list[Evidence],
        best: int,
        ctx: Context | None = None,
    ) -> Referral:
        row = self.records[i]
        d = float(dist[i]) if region is not None and not math.isnan(dist[i]) else None
        turnaround = row["turnaround_days"]
        details = json.loads(row["details"] or "{}")
        kind, _, state = self.kinds[str(row["resource_type"])]
        details = kind.referral_details(details, state, int(self.local[i]), ctx or RankContext())
        inst_id = row["institution_id"]
        return Referral(
            rank=rank,
            institution_id=None if inst_id is None or pd.isna(inst_id) else str(inst_id),
            institution_name=None
            if row["institution_name"] is None or pd.isna(row["institution_name"])
            else str(row["institution_name"]),
            category=self.col["category"][best],
            sub_service=self.col["sub_service"][best],
            score=score,
            relevance=rel,
            locality=None if labels[i] is None else str(labels[i]),
            distance_km=d,
            province=str(row["province"]),
            city=str(row["city"]),
            district=str(row["district"]),
            address=str(row["address"]),
            phone=str(row["phone"]),
            institution_type=str(row["type"]),
            channels=[c for c in str(row["channels"]).split("|") if c],
            small_business_discount=bool(row["small_business_discount"]),
            turnaround_days=None if turnaround is None or pd.isna(turnaround) else int(turnaround),
            evidence=evidence,
            resource_type=str(row["resource_type"]),
            resource_id=str(row["resource_id"]),
            resource_name=str(row["name"]),
            details=details,
        )

    def browse(
        self,
        filters: Filters,
        region: Place | None,
        top_k: int,
        passage_text: pd.Series,
        ctx: RankContext | None = None,
    ) -> list[Referral]:
        """Resources that pass the filters, nearest first, each with a few of its lines — for a
        search with filters but no words."""
        keep = self._mask(filters)[self.line_res]
        eligible = self.eligible(ctx or RankContext(region=region))
        if eligible is not None:
            keep &= eligible[self.line_res]
        if filters.categories:
            keep &= np.isin(self.line_cat, [CATEGORY_CODES.index(c) for c in filters.categories])
        if filters.sub_services:
            keep &= self.col["sub_service"].isin(
                np.arange(len(self.col_passage)), filters.sub_services
            )
        lines = np.flatnonzero(keep)
        if lines.size == 0:
            return []
        loc, labels, dist = self.locality(region)
        found = np.unique(self.line_res[lines])
        names = [self.records[i]["name"] for i in found]
        order = sorted(
            range(len(found)),
            key=lambda k: (-loc[found[k]], dist[found[k]] if region else 0, names[k]),
        )
        out = []
        for rank, k in enumerate(order[:top_k], start=1):
            i = int(found[k])
            own = lines[self.line_res[lines] == i][: self.params.evidence_lines]
            evidence = [self._evidence(int(li), 1.0, set(), passage_text, None) for li in own]
            out.append(
                self._referral(
                    i, rank, float(loc[i]), 1.0, labels, dist, region, evidence, int(own[0])
                )
            )
        return out

    def lines_of(self, resource_id: str) -> pd.DataFrame:
        """All lines of one resource (for its detail page)."""
        return self._lines[self._lines["resource_id"] == resource_id]
