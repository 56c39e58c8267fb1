"""How the one-stop service performs over time: tickets' response and completion times, overdue rate.

Response time: from 受理 to 机构已受理 (the institution took the referral). Completion time: from
受理 to 办结. Overdue: closed after the deadline (限时办结), or still open past it at the analysis
date. Times are in days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _q(s: pd.Series, q: float) -> float:
    s = s.dropna()
    return float(np.quantile(s, q)) if len(s) else float("nan")


def ticket_kpis(tickets: pd.DataFrame) -> dict:
    t = tickets
    return {
        "tickets": len(t),
        "closed": int(t["closed_at"].notna().sum()) if len(t) else 0,
        "overdue": int(t["overdue"].sum()) if len(t) else 0,
        "overdue_rate": float(t["overdue"].mean()) if len(t) else float("nan"),
        "response_days_median": _q(t["response_days"], 0.5) if len(t) else float("nan"),
        "response_days_p90": _q(t["response_days"], 0.9) if len(t) else float("nan"),
        "completion_days_median": _q(t["completion_days"], 0.5) if len(t) else float("nan"),
        "completion_days_p90": _q(t["completion_days"], 0.9) if len(t) else float("nan"),
        "rating_mean": float(t["rating"].mean())
        if len(t) and t["rating"].notna().any()
        else float("nan"),
    }


def tickets_monthly(tickets: pd.DataFrame) -> pd.DataFrame:
    cols = [
        "month",
        "tickets",
        "closed",
        "overdue",
        "overdue_rate",
        "response_days_median",
        "completion_days_median",
    ]
    if tickets.empty:
        return pd.DataFrame(columns=cols)
    g = tickets.groupby("month")
    out = g.agg(
        tickets=("id", "size"),
        closed=("closed_at", "count"),
        overdue=("overdue", "sum"),
        overdue_rate=("overdue", "mean"),
        response_days_median=("response_days", "median"),
        completion_days_median=("completion_days", "median"),
    ).reset_index()
    return out[cols]
