"""One analysis of the demand log: every table the report, the API and the notebook show.

``analyse()`` reads the log and the tickets, the supply from the served index, and returns an
:class:`Analysis`. It never changes the database.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from qis_match.analytics.aggregate import aggregate
from qis_match.analytics.frames import REASON_NAMES, DemandFrames, load_frames
from qis_match.analytics.hunan import hunan_table
from qis_match.analytics.shenzhen import grade_institutions
from qis_match.analytics.supply import attach_supply, supply_table
from qis_match.analytics.topics import Topics, find_topics
from qis_match.analytics.trends import ticket_kpis, tickets_monthly
from qis_match.encoders.base import Encoder
from qis_match.encoders.cache import EmbeddingCache
from qis_match.settings import Settings
from qis_match.store.demand_log import DemandLog
from qis_match.store.index_store import IndexData, IndexStore
from qis_match.taxonomy import load_taxonomy

log = logging.getLogger(__name__)
PLATFORM_TYPE = "质量基础设施一站式服务平台"


@dataclass
class Analysis:
    kpis: dict
    demand_supply: pd.DataFrame  # category × sub-service × province × city × industry
    demand_supply_city: pd.DataFrame  # the same without industry
    by_sub_service: pd.DataFrame
    heat: pd.DataFrame
    monthly: pd.DataFrame
    monthly_category: pd.DataFrame
    tickets_monthly: pd.DataFrame
    topics: Topics
    hunan: pd.DataFrame
    hunan_province: str | None
    platforms: pd.DataFrame
    frames: DemandFrames
    timings: dict = field(default_factory=dict)


def _kpis(frames: DemandFrames) -> dict:
    r, n = frames.requests, frames.needs
    share = lambda s: float(s.mean()) if len(s) else float("nan")  # noqa: E731
    k = {
        "requests": len(r),
        "needs": len(n),
        "multi_need_requests": int((r["n_needs"] > 1).sum()),
        "abstained": int(r["abstained"].sum()),
        "flagged_requests": int(r["needs_review"].sum()),
        "unmet_requests": int(r["unmet"].sum()),
        "unmet_request_share": share(r["unmet"]),
        "unmet_needs": int(n["unmet"].sum()),
        "unmet_need_share": share(n["unmet"]),
        "share_same_city": share(n["served_same_city"]),
        "share_same_province": share(n["served_same_province"]),
        "median_score": float(n["top_score"].median()) if len(n) else float("nan"),
        "provinces": int(r["province"].nunique()),
        "cities": int(r["city"].nunique()),
        "first": str(r["created_at"].min()) if len(r) else "",
        "last": str(r["created_at"].max()) if len(r) else "",
    }
    for reason in ("no_provider", "flagged", "far"):
        k[f"unmet_{reason}"] = int((n["reason"] == reason).sum())
    # kept in the log, not counted above: floods of one text and bursts from one source
    k["excluded_requests"] = int(sum(frames.excluded.values()))
    k["excluded_repeat"] = int(frames.excluded.get("repeat", 0))
    k["excluded_burst"] = int(frames.excluded.get("burst", 0))
    k.update(ticket_kpis(frames.tickets))
    return k


def analyse(
    settings: Settings,
    log_store: DemandLog,
    index: IndexData | None = None,
    encoder: Encoder | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    province: str | None = "湖南省",
    engine: str | None = None,
    progress: bool = False,
    topics: bool = True,
    cache: EmbeddingCache | None = None,
) -> Analysis:
    """Every table of the demand-gap analysis for ``[since, until)``. ``cache``: an embedding
    cache already open (a service keeps one: opening checks the whole file, about a second)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    index = index or IndexStore(settings.index_root).load()
    frames = load_frames(log_store, settings.analytics_far_km, since, until)
    timings["load"] = time.perf_counter() - t0
    t = time.perf_counter()
    tables = aggregate(frames.needs, frames.requests, engine or settings.analytics_engine)
    timings["aggregate"] = time.perf_counter() - t
    supply = supply_table(index)
    names = {c.code: c.name for c in load_taxonomy().categories}
    sub_names = load_taxonomy().sub_services
    ds = attach_supply(tables["demand_supply"], supply)
    dsc = attach_supply(tables["demand_supply_city"], supply)
    for df in (ds, dsc, tables["by_sub_service"], tables["heat"], tables["monthly_category"]):
        df.insert(1, "category_name", df["category"].map(names))
    for df in (ds, dsc, tables["by_sub_service"]):
        df.insert(
            3,
            "sub_service_name",
            df["sub_service"].map(lambda s: sub_names[s].name if s in sub_names else s),
        )
    t = time.perf_counter()
    if topics:
        if cache is None and encoder is not None:
            cache = EmbeddingCache(settings.cache_path)
        found = find_topics(
            frames,
            encoder,
            cache,
            settings.analytics_max_topics,
            settings.analytics_cluster_sample,
            settings.analytics_seed,
            progress,
        )
    else:
        found = Topics(pd.DataFrame(), pd.DataFrame())
    timings["topics"] = time.perf_counter() - t
    res = index.resources
    platforms = res[(res["resource_type"] == "institution") & (res["type"] == PLATFORM_TYPE)]
    sub_name_map = {k: v.name for k, v in sub_names.items()}
    t = time.perf_counter()
    grading = grade_institutions(index, frames)
    timings["grading"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return Analysis(
        kpis=_kpis(frames),
        demand_supply=ds,
        demand_supply_city=dsc,
        by_sub_service=tables["by_sub_service"],
        heat=tables["heat"],
        monthly=tables["monthly"],
        monthly_category=tables["monthly_category"],
        tickets_monthly=tickets_monthly(frames.tickets),
        topics=found,
        hunan=hunan_table(frames, platforms, province, sub_name_map),
        hunan_province=province,
        platforms=grading,
        frames=frames,
        timings=timings,
    )


def kpi_rows(k: dict) -> list[tuple[str, str]]:
    """The headline figures as (label, value) for people."""

    def pct(x: float) -> str:
        return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"

    def num(x: float, d: int = 1) -> str:
        return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{d}f}"

    return [
        ("需求记录（件）", f"{k['requests']:,}"),
        (
            "未计入：重复或突发请求（件）",
            f"{k.get('excluded_requests', 0):,}（重复 {k.get('excluded_repeat', 0):,}，"
            f"突发 {k.get('excluded_burst', 0):,}）",
        ),
        ("服务需求（项）", f"{k['needs']:,}"),
        ("一揽子（多项需求）请求", f"{k['multi_need_requests']:,}"),
        ("未识别为质量基础设施需求", f"{k['abstained']:,}"),
        ("需人工复核的请求", f"{k['flagged_requests']:,}"),
        ("未满足的请求", f"{k['unmet_requests']:,}（{pct(k['unmet_request_share'])}）"),
        ("未满足的需求项", f"{k['unmet_needs']:,}（{pct(k['unmet_need_share'])}）"),
        (f"  其中{REASON_NAMES['no_provider']}", f"{k['unmet_no_provider']:,}"),
        (f"  其中{REASON_NAMES['flagged']}", f"{k['unmet_flagged']:,}"),
        (f"  其中{REASON_NAMES['far']}", f"{k['unmet_far']:,}"),
        ("同城可满足", pct(k["share_same_city"])),
        ("省内可满足", pct(k["share_same_province"])),
        ("匹配得分中位数", num(k["median_score"], 3)),
        ("工单（件）", f"{k['tickets']:,}"),
        ("已办结", f"{k['closed']:,}"),
        ("超过办结时限", f"{k['overdue']:,}（{pct(k['overdue_rate'])}）"),
        (
            "响应时间中位数 / P90（天）",
            f"{num(k['response_days_median'])} / {num(k['response_days_p90'])}",
        ),
        (
            "办结时间中位数 / P90（天）",
            f"{num(k['completion_days_median'])} / {num(k['completion_days_p90'])}",
        ),
        ("回访评价平均（5分制）", num(k["rating_mean"])),
    ]
