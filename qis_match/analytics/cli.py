"""``qis-match gaps``: the demand-gap analysis from the command line (registered by qis_match.cli).

qis-match gaps                          # summary of the demand log
qis-match gaps --demo --report var/report   # fill an empty log with the demo year, write the report
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

from qis_match.settings import Settings


def add_parser(sub, add_common) -> None:
    g = sub.add_parser(
        "gaps", help="demand-gap analytics over the demand log (tables, topics, report)"
    )
    g.add_argument("--report", metavar="DIR", help="write report.html, the XLSX and PNGs here")
    g.add_argument(
        "--demo",
        action="store_true",
        help="fill an empty demand log with the demo year first (through the real matcher)",
    )
    g.add_argument("--requests", type=int, help="demo requests (QIS_ANALYTICS_DEMO_REQUESTS)")
    g.add_argument("--seed", type=int, help="demo seed (QIS_ANALYTICS_SEED)")
    g.add_argument("--since", help="from this date (YYYY-MM-DD)")
    g.add_argument("--until", help="before this date (YYYY-MM-DD)")
    g.add_argument(
        "--province",
        default="湖南省",
        help="province of the 附件3 table (default 湖南省; 'all' for every province)",
    )
    g.add_argument("--engine", choices=["duckdb", "pandas"], help="QIS_ANALYTICS_ENGINE")
    g.add_argument("--json", action="store_true", help="print the headline figures as JSON")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_common(g)
    g.set_defaults(func=cmd_gaps)


def _date(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


def cmd_gaps(args: argparse.Namespace) -> int:
    from qis_match.analytics.runner import gaps_report

    overrides = {
        k: v
        for k, v in (
            ("home", args.home),
            ("encoder", args.encoder),
            ("encoder_model", args.encoder_model),
        )
        if v
    }
    if args.seed is not None:
        overrides["analytics_seed"] = args.seed
    if args.engine:
        overrides["analytics_engine"] = args.engine
    s = Settings(**overrides)
    province = None if args.province in ("all", "全部") else args.province
    a, files = gaps_report(
        s,
        Path(args.report) if args.report else None,
        demo=args.demo,
        n=args.requests,
        since=_date(args.since),
        until=_date(args.until),
        province=province,
        progress=not args.quiet,
    )
    if args.json:
        print(
            json.dumps(
                {"kpis": a.kpis, "files": {k: str(v) for k, v in (files or {}).items()}},
                ensure_ascii=False,
                default=str,
            )
        )
        return 0
    from qis_match.analytics.analysis import kpi_rows

    for label, value in kpi_rows(a.kpis):
        print(f"{label}: {value}")
    if len(a.topics.table):
        print("\n未满足需求主题:")
        for r in a.topics.table.head(8).itertuples():
            print(f"  {r.items:5d}  {r.name}  ({r.regions})")
    ds = a.demand_supply_city
    gaps = ds[ds["unmet"] > 0].sort_values("unmet", ascending=False)
    if len(gaps):
        print("\n缺口最大的需求（细分服务 · 地区: 未满足/需求项, 同城/省内机构数）:")
        for r in gaps.head(8).itertuples():
            where = "".join(x for x in (r.province, r.city) if isinstance(x, str)) or "（未知地区）"
            print(
                f"  {r.sub_service_name} · {where}: {r.unmet}/{r.needs}, "
                f"{r.providers_city}/{r.providers_province}"
            )
    if files:
        print(f"\nreport: {files['html']}\nworkbook: {files['xlsx']}")
    return 0
