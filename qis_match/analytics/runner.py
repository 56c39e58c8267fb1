"""What ``qis-match gaps`` and the notebook run: open the log, fill it with the demo year when
asked and empty, analyse, write the report."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from qis_match.analytics.analysis import Analysis, analyse
from qis_match.analytics.demo import generate_demo_log
from qis_match.analytics.report import write_report
from qis_match.pipeline import Matcher
from qis_match.settings import Settings
from qis_match.store.demand_log import DemandLog
from qis_match.store.tickets import TicketStore

log = logging.getLogger(__name__)


def open_log(settings: Settings) -> DemandLog:
    """The demand log in the settings' database (migrated to the newest schema)."""
    return DemandLog(settings.db_url)


def ensure_demo(
    settings: Settings,
    demand_log: DemandLog,
    matcher: Matcher | None = None,
    n: int | None = None,
    progress: bool = True,
) -> dict | None:
    """Fill an empty log with the demo year (through ``matcher``); None when it had data."""
    if demand_log.count():
        return None
    matcher = matcher or Matcher(settings)
    store = TicketStore(settings.db_url, settings.time_limit_days, run_migrations=False)
    try:
        return generate_demo_log(matcher, demand_log, store, settings, n=n, progress=progress)
    finally:
        store.close()


def gaps_report(
    settings: Settings,
    out_dir: Path | None = None,
    demo: bool = False,
    n: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    province: str | None = "湖南省",
    progress: bool = True,
    matcher: Matcher | None = None,
) -> tuple[Analysis, dict[str, Path] | None]:
    """Analyse the log (after filling it with the demo year if ``demo`` and empty)."""
    demand_log = open_log(settings)
    generated = None
    if demo:
        matcher = matcher or Matcher(settings)
        generated = ensure_demo(settings, demand_log, matcher, n, progress)
        if generated:
            log.info("demo year generated: %s", generated)
    encoder = matcher.encoder if matcher is not None else None
    index = matcher.index if matcher is not None else None
    if encoder is None:
        from qis_match.encoders import make_encoder

        encoder = make_encoder(settings)
    a = analyse(
        settings,
        demand_log,
        index=index,
        encoder=encoder,
        since=since,
        until=until,
        province=province,
        progress=progress,
    )
    files = None
    if out_dir is not None:
        unit = f"{province or '全部地区'}（演示数据）" if demo else (province or "（填报单位）")
        files = write_report(
            a, out_dir, settings.analytics_far_km, unit=unit, demo=demo or _is_demo(a)
        )
    return a, files


def _is_demo(a: Analysis) -> bool:
    r = a.frames.requests
    return bool(len(r)) and bool((r["channel"] == "demo").any())
