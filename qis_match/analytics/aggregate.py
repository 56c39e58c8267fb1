"""The group-bys behind every table: the same answers from DuckDB (SQL over the DataFrames, no
copy) or pandas. Which is faster at 10^6 requests is measured in benchmarks/analytics.py; the
tests check that both agree with hand-computed answers.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

DS_KEYS = ["category", "sub_service", "province", "city", "industry_code", "industry_name"]

# Demand against supply: the same measures at two levels of detail (with and without industry).
_DS_MEASURES = """count(DISTINCT request_pk) AS requests,
               count(*) AS needs,
               avg(served_same_city::DOUBLE) AS share_same_city,
               avg(served_same_province::DOUBLE) AS share_same_province,
               sum(unmet::INTEGER) AS unmet,
               avg(unmet::DOUBLE) AS unmet_share,
               median(top_score) AS median_score"""
_DS_AGG = {
    "requests": ("request_pk", "nunique"),
    "needs": ("request_pk", "size"),
    "share_same_city": ("served_same_city", "mean"),
    "share_same_province": ("served_same_province", "mean"),
    "unmet": ("unmet", "sum"),
    "unmet_share": ("unmet", "mean"),
    "median_score": ("top_score", "median"),
}

_SQL = {
    "demand_supply": f"SELECT {', '.join(DS_KEYS)}, {_DS_MEASURES} FROM needs GROUP BY ALL",
    "demand_supply_city": (
        f"SELECT category, sub_service, province, city, {_DS_MEASURES} FROM needs GROUP BY ALL"
    ),
    "heat": """
        SELECT category, province, city, count(*) AS needs, sum(unmet::INTEGER) AS unmet
        FROM needs GROUP BY ALL""",
    "by_sub_service": """
        SELECT category, sub_service, count(*) AS needs, sum(unmet::INTEGER) AS unmet,
               sum(no_provider::INTEGER) AS no_provider, sum(flagged::INTEGER) AS flagged,
               sum(far::INTEGER) AS far, avg(served_same_city::DOUBLE) AS share_same_city,
               median(top_score) AS median_score
        FROM needs GROUP BY ALL""",
    "monthly": """
        SELECT month, count(*) AS requests, sum(abstained::INTEGER) AS abstained,
               sum(needs_review::INTEGER) AS flagged, sum(unmet::INTEGER) AS unmet,
               avg(unmet::DOUBLE) AS unmet_share
        FROM requests GROUP BY ALL""",
    "monthly_category": """
        SELECT month, category, count(*) AS needs, sum(unmet::INTEGER) AS unmet
        FROM needs GROUP BY ALL""",
}
_ORDER = {
    "demand_supply": (["requests", "needs"] + DS_KEYS, [False, False] + [True] * len(DS_KEYS)),
    "demand_supply_city": (
        ["requests", "needs", "category", "sub_service", "province", "city"],
        [False, False, True, True, True, True],
    ),
    "heat": (["category", "province", "city"], [True, True, True]),
    "by_sub_service": (["needs", "sub_service"], [False, True]),
    "monthly": (["month"], [True]),
    "monthly_category": (["month", "category"], [True, True]),
}


def _pandas_demand_supply(needs: pd.DataFrame, _r: pd.DataFrame) -> pd.DataFrame:
    return needs.groupby(DS_KEYS, dropna=False).agg(**_DS_AGG).reset_index()


def _pandas_demand_supply_city(needs: pd.DataFrame, _r: pd.DataFrame) -> pd.DataFrame:
    keys = ["category", "sub_service", "province", "city"]
    return needs.groupby(keys, dropna=False).agg(**_DS_AGG).reset_index()


def _pandas_heat(needs: pd.DataFrame, _r: pd.DataFrame) -> pd.DataFrame:
    g = needs.groupby(["category", "province", "city"], dropna=False)
    return g.agg(needs=("unmet", "size"), unmet=("unmet", "sum")).reset_index()


def _pandas_by_sub_service(needs: pd.DataFrame, _r: pd.DataFrame) -> pd.DataFrame:
    g = needs.groupby(["category", "sub_service"], dropna=False)
    return g.agg(
        needs=("unmet", "size"),
        unmet=("unmet", "sum"),
        no_provider=("no_provider", "sum"),
        flagged=("flagged", "sum"),
        far=("far", "sum"),
        share_same_city=("served_same_city", "mean"),
        median_score=("top_score", "median"),
    ).reset_index()


def _pandas_monthly(_n: pd.DataFrame, requests: pd.DataFrame) -> pd.DataFrame:
    g = requests.groupby("month")
    return g.agg(
        requests=("id", "size"),
        abstained=("abstained", "sum"),
        flagged=("needs_review", "sum"),
        unmet=("unmet", "sum"),
        unmet_share=("unmet", "mean"),
    ).reset_index()


def _pandas_monthly_category(needs: pd.DataFrame, _r: pd.DataFrame) -> pd.DataFrame:
    g = needs.groupby(["month", "category"])
    return g.agg(needs=("unmet", "size"), unmet=("unmet", "sum")).reset_index()


_PANDAS: dict[str, Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]] = {
    "demand_supply": _pandas_demand_supply,
    "demand_supply_city": _pandas_demand_supply_city,
    "heat": _pandas_heat,
    "by_sub_service": _pandas_by_sub_service,
    "monthly": _pandas_monthly,
    "monthly_category": _pandas_monthly_category,
}
TABLES = tuple(_SQL)
NEED_COLUMNS = DS_KEYS + [
    "request_pk",
    "served_same_city",
    "served_same_province",
    "unmet",
    "top_score",
    "no_provider",
    "flagged",
    "far",
    "month",
]
REQUEST_COLUMNS = ["id", "month", "abstained", "needs_review", "unmet"]


def _tidy(name: str, df: pd.DataFrame) -> pd.DataFrame:
    by, asc = _ORDER[name]
    df = df.sort_values(by, ascending=asc, na_position="last", kind="mergesort")
    for c in df.columns:
        if c in ("requests", "needs", "unmet", "abstained", "flagged", "no_provider", "far"):
            df[c] = df[c].astype("int64")
    return df.reset_index(drop=True)


def aggregate(
    needs: pd.DataFrame,
    requests: pd.DataFrame,
    engine: str = "duckdb",
    tables: tuple[str, ...] = TABLES,
) -> dict[str, pd.DataFrame]:
    """The named tables from the derived frames (see :mod:`qis_match.analytics.frames`)."""
    if engine == "pandas":
        return {t: _tidy(t, _PANDAS[t](needs, requests)) for t in tables}
    if engine != "duckdb":
        raise ValueError(f"unknown analytics engine {engine!r}: duckdb or pandas")
    import duckdb

    con = duckdb.connect()
    try:
        # Only the columns the SQL reads: JSON columns (entities, reasons) do not scan cheaply.
        con.register("needs", needs[[c for c in NEED_COLUMNS if c in needs.columns]])
        con.register("requests", requests[[c for c in REQUEST_COLUMNS if c in requests.columns]])
        return {t: _tidy(t, con.execute(_SQL[t]).df()) for t in tables}
    finally:
        con.close()
