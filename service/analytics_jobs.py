"""What the analyst endpoints compute: one analysis of the demand log, and the summary, tables,
charts and workbook drawn from it.

The jobs know where the data is (a demand log, a way to the current index and to an encoder), not
where they run: ``service.analytics_worker`` runs them in a separate process, or in the service's
own when ``analytics_worker`` is off. Each returns plain data (dicts, bytes), so nothing larger than
the answer crosses between processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import func, select

from qis_match.analytics.analysis import Analysis, analyse
from qis_match.analytics.charts import CHARTS, draw_all
from qis_match.analytics.report import sections, write_xlsx
from qis_match.encoders.base import Encoder
from qis_match.encoders.cache import EmbeddingCache
from qis_match.settings import Settings
from qis_match.store.demand_log import DemandLog, DemandRequest
from qis_match.store.index_store import IndexData

# Errors cross back from the worker process pickled: each is built from its message alone.
EMPTY_LOG = "the demand log is empty: run `qis-match gaps --demo` or match with logging on"


class EmptyLogError(LookupError):
    """Nothing to analyse yet (the endpoints answer 404 with how to get data)."""


class UnknownChartError(LookupError):
    """A chart name the report does not draw (404, with the names it does)."""


class AnalyticsJobs:
    """The analyst's jobs over one demand log; the last analysis is reused while the log and the
    index version are unchanged, for ``analytics_cache_seconds``."""

    def __init__(
        self,
        settings: Settings,
        demand_log: DemandLog,
        index: Callable[[], IndexData | None],
        encoder: Callable[[], Encoder | None],
    ) -> None:
        self.settings = settings
        self.demand_log = demand_log
        self._index = index
        self._encoder = encoder
        self._cache: EmbeddingCache | None = None  # opening one checks the whole file (~1 s)
        self._last: tuple[tuple, float, Analysis] | None = None
        self._lock = threading.Lock()

    def analysis(
        self, since: datetime | None, until: datetime | None, province: str | None
    ) -> Analysis:
        with self.demand_log.engine.connect() as conn:
            n, last = conn.execute(
                select(func.count(), func.max(DemandRequest.id)).select_from(DemandRequest)
            ).one()
        if not n:
            raise EmptyLogError(EMPTY_LOG)
        with self._lock:
            index = self._index()
            key = (n, last, since, until, province, index.version if index else None)
            hit = self._last
            if (
                hit
                and hit[0] == key
                and time.monotonic() - hit[1] < self.settings.analytics_cache_seconds
            ):
                return hit[2]
            self._last = None  # the old analysis (its frames) is not kept beside the new one
            encoder = self._encoder()
            if encoder is not None and self._cache is None:
                self._cache = EmbeddingCache(self.settings.cache_path)
            a = analyse(
                self.settings,
                self.demand_log,
                index=index,
                encoder=encoder,
                cache=self._cache if encoder is not None else None,
                since=since,
                until=until,
                province=province,
            )
            self._last = (key, time.monotonic(), a)
            return a

    def summary(self, limit: int, **period) -> dict:
        a = self.analysis(**period)
        return {"kpis": a.kpis, "sections": sections(a, limit), "charts": list(CHARTS)}

    def demand_supply(self, category: str | None, city: str | None, limit: int, **period) -> dict:
        df = self.analysis(**period).demand_supply
        if category:
            df = df[df["category"] == category]
        if city:
            df = df[df["city"] == city]
        head = df.head(limit)
        return {
            "count": len(df),
            "rows": head.astype(object).where(head.notna(), None).to_dict("records"),
        }

    def topics(self, **period) -> dict:
        t = self.analysis(**period).topics.table
        return {"topics": t.astype(object).where(t.notna(), None).to_dict("records")}

    def chart(self, name: str, **period) -> bytes:
        if name not in CHARTS:
            raise UnknownChartError(f"unknown chart {name!r}; charts: {', '.join(CHARTS)}")
        a = self.analysis(**period)
        with TemporaryDirectory() as d:
            return draw_all(a, Path(d))[name].read_bytes()

    def workbook(self, **period) -> bytes:
        a = self.analysis(**period)
        with TemporaryDirectory() as d:
            path = write_xlsx(a, Path(d) / "demand_gaps.xlsx", a.hunan_province or "全部地区")
            return path.read_bytes()

    def close(self) -> None:
        self._last = None
        if self._cache is not None:
            self._cache.close()
            self._cache = None
