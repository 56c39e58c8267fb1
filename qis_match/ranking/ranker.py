"""From matching capability passages to ranked institutions.

An institution is as good as its best matching lines (a little credit for a second and third),
lifted by nearness to the enterprise (same city > same province > nationwide service > distance),
restricted by the caller's filters, and kept diverse: branches of one group decay so that five
near-identical branches do not fill the top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qis_match.geo import Place, city_code_of, distance_km
from qis_match.referral.models import Evidence, Referral
from qis_match.retrieval.hybrid import Candidates
from qis_match.settings import Settings
from qis_match.taxonomy import CATEGORY_CODES


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

    def active(self) -> bool:
        return any(v is not None for v in vars(self).values())


EVIDENCE_MIN_SHARE = 0.75  # a line is shown as evidence only if nearly as good as the best one


class InstitutionRanker:
    def __init__(self, institutions: pd.DataFrame, lines: pd.DataFrame, settings: Settings) -> None:
        self.settings = settings
        self.inst = institutions.reset_index(drop=True)
        self.inst_pos = {iid: i for i, iid in enumerate(self.inst["institution_id"])}
        # Lines sorted by passage so that a passage's lines are one slice.
        order = np.argsort(lines["passage_id"].to_numpy(), kind="stable")
        self.lines = lines.iloc[order].reset_index(drop=True)
        pid = self.lines["passage_id"].to_numpy()
        n_pass = int(pid.max()) + 1 if len(pid) else 0
        self.offsets = np.searchsorted(pid, np.arange(n_pass + 1))
        self.line_inst = self.lines["institution_id"].map(self.inst_pos).to_numpy(dtype=np.int64)
        self.line_cat = self.lines["category"].map(CATEGORY_CODES.index).to_numpy(dtype=np.int64)
        self.group = (
            self.inst["parent_id"]
            .where(self.inst["parent_id"] != "", self.inst["institution_id"])
            .to_numpy()
        )
        self.lon = self.inst["longitude"].to_numpy(dtype=np.float64)
        self.lat = self.inst["latitude"].to_numpy(dtype=np.float64)
        self.city_code = self.inst["adcode"].map(city_code_of).to_numpy()
        self.prov_code = self.inst["adcode"].str[:2].to_numpy()
        self.national = (self.inst["service_area"] == "national").to_numpy()
        self.online = self.inst["channels"].str.contains("online").to_numpy()
        # Plain arrays and records: pandas indexing per referral would dominate a request's time.
        self.col = {
            c: self.lines[c].fillna("").astype(str).to_numpy()
            for c in ("line_id", "sub_service", "standard", "category")
        }
        self.col_passage = self.lines["passage_id"].to_numpy()
        self.records = self.inst.to_dict("records")

    # --- filters
    def _inst_mask(self, f: Filters) -> np.ndarray:
        m = np.ones(len(self.inst), dtype=bool)
        if f.province:
            m &= (self.inst["province"] == f.province).to_numpy()
        if f.city:
            m &= (self.inst["city"] == f.city).to_numpy()
        if f.online is not None:
            m &= self.online == f.online
        if f.small_business_discount is not None:
            m &= (
                self.inst["small_business_discount"].to_numpy(dtype=bool)
                == f.small_business_discount
            )
        if f.accreditation:
            acc = f.accreditation.upper()
            m &= (
                self.inst["accreditations"]
                .str.upper()
                .str.split("|")
                .map(lambda xs: acc in xs)
                .to_numpy()
            )
        return m

    def locality(self, region: Place | None) -> tuple[np.ndarray, list[str | None], np.ndarray]:
        """Nearness in [0, 1] per institution, its label, and distance in km."""
        n = len(self.inst)
        if region is None:
            return np.zeros(n), [None] * n, np.full(n, np.nan)
        dist = np.array(
            [
                distance_km(region.lon, region.lat, lo, la)
                for lo, la in zip(self.lon, self.lat, strict=True)
            ]
        )
        same_prov = self.prov_code == region.adcode[:2]
        same_city = (
            (self.city_code == region.city_code) if region.city_code else np.zeros(n, dtype=bool)
        )
        far = 0.3 * np.exp(-dist / 400.0)
        score = np.where(
            same_city, 1.0, np.where(same_prov, 0.6, np.where(self.national, 0.5, far))
        )
        labels = [
            "same_city" if c else "same_province" if p else "national" if nat else "elsewhere"
            for c, p, nat in zip(same_city, same_prov, self.national, strict=True)
        ]
        return score, labels, dist

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
    ) -> list[Referral]:
        """Ranked referrals. ``passage_terms(pid) -> set[str]`` gives a passage's terms, for the
        matched-terms evidence (request words the line really contains as words, not substrings)."""
        if len(cands) == 0:
            return []
        s = self.settings
        # Expand passages to their lines.
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
            line_score = np.where(wanted, line_score, line_score * s.category_mismatch_penalty)
        filters = filters or Filters()
        keep = np.ones(len(line_idx), dtype=bool)
        if filters.categories:
            keep &= np.isin(
                self.line_cat[line_idx], [CATEGORY_CODES.index(c) for c in filters.categories]
            )
        if filters.sub_services:
            keep &= np.isin(self.lines["sub_service"].to_numpy()[line_idx], filters.sub_services)
        if filters.active():
            keep &= self._inst_mask(filters)[self.line_inst[line_idx]]
        # Weak lines are noise for the person at the window: keep what is close to the best.
        keep &= line_score >= s.min_relevance * line_score.max()
        line_idx, line_score = line_idx[keep], line_score[keep]
        if line_idx.size == 0:
            return []
        inst_of_line = self.line_inst[line_idx]
        # Best three lines per institution.
        order = np.lexsort((-line_score, inst_of_line))
        inst_sorted, score_sorted, line_sorted = (
            inst_of_line[order],
            line_score[order],
            line_idx[order],
        )
        uniq, first = np.unique(inst_sorted, return_index=True)
        bounds = np.append(first, len(inst_sorted))
        rel = np.zeros(len(uniq))
        for j in range(len(uniq)):
            top3 = score_sorted[bounds[j] : min(bounds[j] + 3, bounds[j + 1])]
            rel[j] = (
                top3[0]
                + 0.1 * (top3[1] if len(top3) > 1 else 0)
                + 0.05 * (top3[2] if len(top3) > 2 else 0)
            )
        rel = rel / rel.max()
        loc, labels, dist = self.locality(region)
        final = rel * (1 + s.locality_weight * loc[uniq]) / (1 + s.locality_weight)
        # Greedy selection with decay per group (diversity across branches of one organisation).
        chosen: list[int] = []
        group_count: dict[str, int] = {}
        remaining = list(range(len(uniq)))
        adjusted = final.copy()
        while remaining and len(chosen) < top_k:
            best = max(remaining, key=lambda j: adjusted[j])
            chosen.append(best)
            remaining.remove(best)
            g = self.group[uniq[best]]
            group_count[g] = group_count.get(g, 0) + 1
            for j in remaining:
                if self.group[uniq[j]] == g:
                    adjusted[j] = final[j] * s.branch_decay ** group_count[g]
        qset = {w for w in query_words if len(w) > 1}
        referrals = []
        for rank, j in enumerate(chosen, start=1):
            lo, hi = bounds[j], min(bounds[j] + s.evidence_lines, bounds[j + 1])
            ev_lines = [
                (int(line_sorted[k]), float(score_sorted[k]))
                for k in range(lo, hi)
                if score_sorted[k] >= EVIDENCE_MIN_SHARE * score_sorted[lo]
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
                )
            )
        return referrals

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
    ) -> Referral:
        row = self.records[i]
        d = float(dist[i]) if region is not None and not math.isnan(dist[i]) else None
        turnaround = row["turnaround_days"]
        return Referral(
            rank=rank,
            institution_id=str(row["institution_id"]),
            institution_name=str(row["name"]),
            category=self.col["category"][best],
            sub_service=self.col["sub_service"][best],
            score=score,
            relevance=rel,
            locality=labels[i],
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
        )

    def browse(
        self, filters: Filters, region: Place | None, top_k: int, passage_text: pd.Series
    ) -> list[Referral]:
        """Institutions that pass the filters, nearest first, each with a few of its lines — for a
        search with filters but no words."""
        keep = self._inst_mask(filters)[self.line_inst]
        if filters.categories:
            keep &= np.isin(self.line_cat, [CATEGORY_CODES.index(c) for c in filters.categories])
        if filters.sub_services:
            keep &= np.isin(self.col["sub_service"], filters.sub_services)
        lines = np.flatnonzero(keep)
        if lines.size == 0:
            return []
        loc, labels, dist = self.locality(region)
        insts = np.unique(self.line_inst[lines])
        names = [self.records[i]["name"] for i in insts]
        order = sorted(
            range(len(insts)),
            key=lambda k: (-loc[insts[k]], dist[insts[k]] if region else 0, names[k]),
        )
        out = []
        for rank, k in enumerate(order[:top_k], start=1):
            i = int(insts[k])
            own = lines[self.line_inst[lines] == i][: self.settings.evidence_lines]
            evidence = [self._evidence(int(li), 1.0, set(), passage_text, None) for li in own]
            out.append(
                self._referral(
                    i, rank, float(loc[i]), 1.0, labels, dist, region, evidence, int(own[0])
                )
            )
        return out

    def lines_of(self, institution_id: str) -> pd.DataFrame:
        """All capability lines of one institution (for its detail page)."""
        return self.lines[self.lines["institution_id"] == institution_id]
