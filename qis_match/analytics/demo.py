"""A realistic demo year of demand, sent through the real matcher and logged.

Requests are composed from the project's real QI vocabulary (measuring devices and their
regulations, products with test items and method standards, the services of each sub-service)
for enterprises weighted by the seeds' provinces, their industries and the season; some ask for
several services, some for what the demo catalog cannot serve, a few for nothing QI at all.
Every request goes through :meth:`Matcher.match` and is recorded as the window would record it;
part of the served ones become tickets whose progress is simulated (fictional, labelled so).
Deterministic for a seed.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from tqdm import tqdm

from qis_match.analytics import demo_profile as P
from qis_match.industry import divisions
from qis_match.pipeline import Matcher
from qis_match.referral.models import MatchResult
from qis_match.settings import DATA_DIR, Settings
from qis_match.store.demand_log import DemandLog
from qis_match.store.tickets import (
    STATUSES,
    Feedback,
    Ticket,
    TicketEvent,
    TicketReferral,
    TicketStore,
)
from qis_match.taxonomy import load_taxonomy

log = logging.getLogger(__name__)
DEMO_ACTOR = "演示窗口"
CONNECTORS = ["，另外", "，还有", "，同时", "；"]


@dataclass
class DemoRequest:
    text: str
    region: str | None
    created_at: datetime
    kind: str  # regular | hard | not_qi
    wants_ticket: bool


@lru_cache(maxsize=1)
def _vocab() -> dict:
    """Real vocabulary: reference lists and taxonomy (loaded once)."""
    ref = DATA_DIR / "reference"
    testing = pd.read_csv(ref / "testing.csv").dropna(subset=["object", "item"])
    metrology = pd.read_csv(ref / "metrology.csv")
    services = pd.read_csv(ref / "services.csv")
    industry = {c: {"keywords": list(d.keywords)} for c, d in divisions().items() if d.keywords}
    return {
        "testing": {k: g.reset_index(drop=True) for k, g in testing.groupby("sub_service")},
        "verification": metrology[metrology.sub_service == "metrology.verification"],
        "calibration": metrology[metrology.sub_service == "metrology.calibration"],
        "services": {k: g.service.tolist() for k, g in services.groupby("sub_service")},
        "industry": industry,
        "sub_names": {s.code: s.name for c in load_taxonomy().categories for s in c.sub_services},
    }


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.asarray([weights[k] for k in keys], dtype=float)
    return keys[rng.choice(len(keys), p=p / p.sum())]


def _phrase(sub: str, rng: np.random.Generator) -> str:
    """One need in the words an enterprise uses."""
    v = _vocab()
    if sub == "metrology.verification":
        rows = v["verification"]
        r = rows.iloc[rng.integers(len(rows))]
        forms = [
            f"{r.device}到期了要送检",
            f"厂里有{rng.integers(2, 30)}台{r.device}需要周期检定",
            f"{r.device}要做检定，规程是{r.regulation}",
            f"{r.device}要年检",
        ]
        return forms[rng.choice(4, p=[0.35, 0.3, 0.15, 0.2])]
    if sub == "metrology.calibration":
        r = v["calibration"].iloc[rng.integers(len(v["calibration"]))]
        forms = [
            f"{r.device}需要校准出证书",
            f"有一批{r.device}要做校准",
            f"想找机构上门校准{r.device}",
        ]
        return forms[rng.integers(len(forms))]
    if sub in v["testing"]:
        rows = v["testing"][sub]
        r = rows.iloc[rng.integers(len(rows))]
        obj, item = r["object"], r["item"]
        forms = [f"{obj}要检测{item}", f"客户要求{obj}提供{item}的检测报告", f"{obj}送检，测{item}"]
        if isinstance(r.standard, str) and r.standard:
            forms.append(f"我们的{obj}需要按{r.standard}做检测")
        return forms[rng.integers(len(forms))]
    services = v["services"].get(sub) or [v["sub_names"][sub]]
    s = services[rng.integers(len(services))]
    forms = [f"想咨询{s}", f"需要做{s}", f"{s}怎么办理", f"想找机构做{s}"]
    return forms[rng.integers(len(forms))]


def _month(rng: np.random.Generator, first_need: str | None) -> int:
    w = np.asarray(P.MONTHS, dtype=float)
    if first_need:
        mod = P.MONTHS_BY_CATEGORY.get(first_need) or P.MONTHS_BY_CATEGORY.get(
            first_need.split(".")[0]
        )
        if mod:
            w = w * np.asarray(mod)
    return int(rng.choice(12, p=w / w.sum())) + 1


def generate_requests(n: int, year: int, seed: int) -> list[DemoRequest]:
    """``n`` demo requests of one year, in time order."""
    rng = np.random.default_rng(seed)
    v = _vocab()
    provinces = list(P.REGIONS)
    p_prov = np.asarray([P.REGIONS[p][0] for p in provinces])
    out: list[DemoRequest] = []
    for _ in range(n):
        province = provinces[rng.choice(len(provinces), p=p_prov / p_prov.sum())]
        city = _pick(rng, P.REGIONS[province][1])
        industries = dict(P.INDUSTRY_BY_PROVINCE.get(province, P.INDUSTRY_DEFAULT))
        for code, w in P.INDUSTRY_BY_CITY.get(city, {}).items():
            industries[code] = industries.get(code, 0) + w
        industry = _pick(rng, {k: w for k, w in industries.items() if k in v["industry"]})
        kws = v["industry"][industry]["keywords"]
        kw = kws[rng.integers(len(kws))]
        u = rng.random()
        kind = (
            "hard"
            if u < P.SHARES["hard"]
            else ("not_qi" if u < P.SHARES["hard"] + P.SHARES["not_qi"] else "regular")
        )
        subs: list[str] = []
        if kind == "regular":
            r = rng.random()
            k = (
                3
                if r < P.SHARES["three_needs"]
                else (2 if r < P.SHARES["three_needs"] + P.SHARES["two_needs"] else 1)
            )
            weights = {**P.BASE_NEEDS}
            for sub, w in P.NEEDS_BY_INDUSTRY.get(industry, {}).items():
                weights[sub] = weights.get(sub, 0) + w
            while len(subs) < k:
                s = _pick(rng, weights)
                if s not in subs:
                    subs.append(s)
            body = _phrase(subs[0], rng)
            for s in subs[1:]:
                body += CONNECTORS[rng.integers(len(CONNECTORS))] + _phrase(s, rng)
        elif kind == "hard":
            body = P.HARD_NEEDS[rng.integers(len(P.HARD_NEEDS))]
        else:
            body = P.NOT_QI[rng.integers(len(P.NOT_QI))]
        short_city = city.removesuffix("市")
        intro = P.INTROS[rng.integers(len(P.INTROS))].format(city=short_city, kw=kw)
        if rng.random() < P.SHARES["enterprise_named"]:
            root = P.ENTERPRISE_ROOTS[rng.integers(len(P.ENTERPRISE_ROOTS))]
            intro = f"{short_city}{root}{kw if len(kw) <= 3 else kw[:2]}有限公司，"
        if kind != "regular":  # their words do not depend on the industry
            intro = ""
        text = intro + body
        if rng.random() < P.SHARES["contact"]:
            text += (
                f"，{P.CONTACTS[rng.integers(len(P.CONTACTS))]}1380000{rng.integers(1000, 9999)}"
            )
        r = rng.random()
        region = None
        full = province + (city if city != province else "")
        if r < P.SHARES["region_argument"]:
            region = full
        elif r < P.SHARES["region_argument"] + P.SHARES["region_in_text"]:
            text = f"{full}的企业，" + text
        month = _month(rng, subs[0] if subs else None)
        day = int(rng.integers(1, 29))
        created = datetime(year, month, day, int(rng.integers(8, 18)), int(rng.integers(0, 60)))
        wants = kind != "not_qi" and rng.random() < P.SHARES["ticket"]
        out.append(DemoRequest(text, region, created, kind, wants))
    out.sort(key=lambda d: d.created_at)
    return out


def _simulate_ticket(
    res: MatchResult,
    req: DemoRequest,
    request_id: str,
    store: TicketStore,
    rng: np.random.Generator,
    as_of: datetime,
) -> Ticket | None:
    """A ticket for the first referral of each need, with simulated progress (fictional)."""
    picks = [(b.need, b.referrals[0]) for b in res.bundle if b.referrals]
    if not picks:
        return None
    categories = sorted({n.category for n, _ in picks})
    created = req.created_at
    t = Ticket(
        created_at=created,
        updated_at=created,
        created_by=DEMO_ACTOR,
        status=STATUSES[0],
        deadline=store.deadline_for(categories, created),
        request_text=res.text,
        enterprise=res.entities.get("enterprise"),
        province=res.entities.get("province"),
        city=res.entities.get("city"),
        adcode=res.entities.get("adcode"),
        needs=[n.to_dict() for n in res.needs],
        entities=json.loads(json.dumps(res.entities, ensure_ascii=False, default=str)),
        index_version=res.index_version,
        catalog_version=res.catalog_version,
        version=1,
        request_id=request_id,
    )
    t.referrals = [
        TicketReferral(
            category=n.category,
            sub_service=n.sub_service,
            institution_id=r.resource_id,
            institution_name=r.resource_name or r.institution_name or "",
            rank=1,
            top_institution_id=r.resource_id,
            resource_type=r.resource_type,
        )
        for n, r in picks
    ]
    _simulate_progress(t, picks, rng, as_of)
    return t


def _simulate_progress(t: Ticket, picks: list, rng: np.random.Generator, as_of: datetime) -> None:
    """The ticket's status history up to ``as_of`` (a far referral goes slower; a few stall),
    and the enterprise's rating when it is closed."""
    events = [TicketEvent(at=t.created_at, actor=DEMO_ACTOR, role="clerk", to_status=STATUSES[0])]
    created = t.created_at
    limit_days = (t.deadline - created).days
    far = any(r.locality == "elsewhere" for _, r in picks)
    slow = 1.5 if far else 1.0
    steps = [
        timedelta(hours=float(rng.exponential(10))),  # 已转介: the window refers it
        timedelta(hours=float(rng.exponential(30 * slow))),  # 机构已受理
        timedelta(days=float(rng.gamma(4.0, limit_days * 0.17 * slow))),  # 办结
        timedelta(days=float(rng.exponential(4))),  # 已回访
    ]
    at, status = created, STATUSES[0]
    stop_after = 4 if rng.random() > 0.06 else int(rng.integers(1, 3))  # some stall
    for i, step in enumerate(steps[:stop_after], start=1):
        at = at + step
        if at > as_of:
            break
        events.append(
            TicketEvent(
                at=at, actor=DEMO_ACTOR, role="clerk", from_status=status, to_status=STATUSES[i]
            )
        )
        status = STATUSES[i]
    t.events = events
    t.status = status
    t.updated_at = events[-1].at
    t.version = len(events)
    if status == STATUSES[-1]:
        rating = int(np.clip(round(rng.normal(3.6 if far else 4.3, 0.7)), 1, 5))
        t.feedback = [
            Feedback(
                at=events[-1].at,
                actor=DEMO_ACTOR,
                rating=rating,
                institution_used=picks[0][1].resource_id,
            )
        ]


def generate_demo_log(
    matcher: Matcher,
    log_store: DemandLog,
    ticket_store: TicketStore | None,
    settings: Settings,
    n: int | None = None,
    seed: int | None = None,
    year: int | None = None,
    progress: bool = True,
    batch: int = 200,
) -> dict:
    """Send a demo year of requests through ``matcher``, log them, open and progress tickets."""
    n = settings.analytics_demo_requests if n is None else n
    seed = settings.analytics_seed if seed is None else seed
    year = year or settings.analytics_demo_year
    requests = generate_requests(n, year, seed)
    rng = np.random.default_rng(seed + 1)
    ids = np.random.default_rng(seed + 2)
    as_of = datetime(year + 1, 1, 1)
    pending: list = []
    tickets: list[Ticket] = []
    counts = {"requests": 0, "abstained": 0, "tickets": 0}
    with tqdm(
        total=len(requests), desc="demo requests", unit="req", disable=not progress, mininterval=0.5
    ) as bar:
        for req in requests:
            res = matcher.match(req.text, region=req.region, today=req.created_at.date())
            rid = uuid.UUID(bytes=ids.bytes(16), version=4).hex
            pending.append(
                (
                    res,
                    {
                        "channel": "demo",
                        "request_id": rid,
                        "created_at": req.created_at,
                        "actor": DEMO_ACTOR,
                    },
                )
            )
            counts["abstained"] += not res.needs
            if req.wants_ticket and ticket_store is not None and res.needs:
                t = _simulate_ticket(res, req, rid, ticket_store, rng, as_of)
                if t is not None:
                    tickets.append(t)
            if len(pending) >= batch:
                counts["requests"] += log_store.record_many(pending)
                pending = []
            bar.update()
    counts["requests"] += log_store.record_many(pending)
    if ticket_store is not None and tickets:
        with ticket_store.sessions.begin() as s:
            s.add_all(tickets)
        counts["tickets"] = len(tickets)
    log.info("demo demand: %s", counts)
    return counts
