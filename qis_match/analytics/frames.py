"""The log and the tickets as DataFrames, with the flags every analysis shares.

A need is **unmet** when nothing could be referred for it (``no_provider``), when the pipeline
flagged it for a person (``flagged``: unsure need, weak best capability), or when it could only be
served from afar (``far``: the best referral is a local institution of another province, or one of
the same province farther than ``analytics_far_km``). A nationwide institution (``national``)
serves remotely by design and does not count as far. A request is unmet when it was abstained
(no QI need found), flagged as a whole, or has an unmet need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from qis_match.store.demand_log import DemandLog
from qis_match.store.tickets import Feedback, Ticket, TicketEvent, TicketReferral
from qis_match.taxonomy import load_taxonomy

REASONS = ("no_provider", "flagged", "far")  # order of precedence for a need's unmet reason
REASON_NAMES = {
    "no_provider": "无可转介资源",
    "flagged": "需人工复核",
    "far": "仅能远程/外地满足",
    "abstained": "未识别为质量基础设施需求",
}


@dataclass
class DemandFrames:
    requests: pd.DataFrame  # one row per logged request
    needs: pd.DataFrame  # one row per need, with the request's region, industry and time
    tickets: pd.DataFrame  # one row per ticket, with status times
    ticket_referrals: pd.DataFrame
    as_of: datetime
    # requests kept in the log but not counted (issue 22), by reason: repeat, burst
    excluded: dict = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.requests.empty


def derive(requests: pd.DataFrame, needs: pd.DataFrame, far_km: float) -> pd.DataFrame:
    """Join each need to its request and add the unmet flags (vectorised: cheap at 10^6 rows)."""
    tax = load_taxonomy()
    cols = [
        "id",
        "request_id",
        "created_at",
        "province",
        "city",
        "industry_code",
        "industry_name",
        "industry_section",
        "needs_review",
        "channel",
    ]
    n = needs.merge(
        requests[cols].rename(columns={"id": "request_pk", "needs_review": "request_review"}),
        on="request_pk",
        how="left",
    )
    loc = n["top_locality"]
    dist = pd.to_numeric(n["top_distance_km"], errors="coerce")
    n["no_provider"] = n["n_referrals"].fillna(0).astype(int) == 0
    n["far"] = ~n["no_provider"] & (
        (loc == "elsewhere") | ((loc == "same_province") & (dist > far_km))
    )
    n["flagged"] = n["flagged"].astype(bool)
    n["served_same_city"] = loc == "same_city"
    n["served_same_province"] = loc.isin(["same_city", "same_province"])
    n["unmet"] = n["no_provider"] | n["flagged"] | n["far"]
    n["reason"] = np.select([n["no_provider"], n["flagged"], n["far"]], list(REASONS), default="")
    names = {c.code: c.name for c in tax.categories}
    subs = tax.sub_services
    n["category_name"] = n["category"].map(names)
    n["sub_service_name"] = n["sub_service"].map(lambda s: subs[s].name if s in subs else s)
    n["month"] = n["created_at"].dt.to_period("M").astype(str)
    return n


def request_flags(requests: pd.DataFrame, needs: pd.DataFrame) -> pd.DataFrame:
    """Requests with ``unmet`` and ``reason`` (abstained, or the first unmet need's reason)."""
    r = requests.copy()
    r["month"] = r["created_at"].dt.to_period("M").astype(str)
    unmet_needs = needs[needs["unmet"]].drop_duplicates("request_pk")
    first_reason = unmet_needs.set_index("request_pk")["reason"]
    reason = r["id"].map(first_reason).astype(object)
    r["reason"] = reason.where(reason.notna(), "")
    r.loc[r["abstained"], "reason"] = "abstained"
    r.loc[(r["reason"] == "") & r["needs_review"], "reason"] = "flagged"
    r["unmet"] = r["reason"] != ""
    return r


def load_tickets(engine: Engine, as_of: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tickets with the time of each status they reached, their referrals and ratings."""
    with engine.connect() as conn:
        tickets = pd.read_sql(
            select(
                Ticket.id,
                Ticket.created_at,
                Ticket.status,
                Ticket.deadline,
                Ticket.province,
                Ticket.city,
                Ticket.enterprise,
                Ticket.request_id,
            ),
            conn,
        )
        events = pd.read_sql(
            select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.to_status), conn
        )
        refs = pd.read_sql(
            select(
                TicketReferral.ticket_id,
                TicketReferral.category,
                TicketReferral.sub_service,
                TicketReferral.institution_id,
                TicketReferral.resource_type,
            ),
            conn,
        )
        ratings = pd.read_sql(select(Feedback.ticket_id, Feedback.rating), conn)
    for c in ("created_at", "deadline"):
        tickets[c] = pd.to_datetime(tickets[c])
    events["at"] = pd.to_datetime(events["at"])
    first = events.groupby(["ticket_id", "to_status"])["at"].min().unstack()
    step = {
        "已转介": "referred_at",
        "机构已受理": "accepted_at",
        "办结": "closed_at",
        "已回访": "visited_at",
    }
    first = first.reindex(columns=list(step)).rename(columns=step)
    t = tickets.merge(first, left_on="id", right_index=True, how="left")
    for c in step.values():  # all-NaN when no ticket reached the status yet
        t[c] = pd.to_datetime(t[c])
    t["rating"] = t["id"].map(ratings.groupby("ticket_id")["rating"].mean())
    day = pd.Timedelta(days=1)
    t["response_days"] = (t["accepted_at"] - t["created_at"]) / day
    t["completion_days"] = (t["closed_at"] - t["created_at"]) / day
    end = t["closed_at"].fillna(pd.Timestamp(as_of))
    t["overdue"] = end > t["deadline"]
    t["month"] = t["created_at"].dt.to_period("M").astype(str)
    return t, refs


def load_frames(
    log: DemandLog,
    far_km: float,
    since: datetime | None = None,
    until: datetime | None = None,
    as_of: datetime | None = None,
) -> DemandFrames:
    """Everything the analyses read, from one database."""
    requests, needs = log.frames(since, until, counted_only=True)
    excluded = log.excluded_counts(since, until)
    if as_of is None:
        last = requests["created_at"].max() if len(requests) else None
        as_of = until or (last.to_pydatetime() if last is not None else datetime.now())
    needs = derive(requests, needs, far_km)
    requests = request_flags(requests, needs)
    tickets, refs = load_tickets(log.engine, as_of)
    if len(requests):
        lo = since or requests["created_at"].min()
        hi = until or requests["created_at"].max() + pd.Timedelta(seconds=1)
        tickets = tickets[(tickets["created_at"] >= lo) & (tickets["created_at"] < hi)]
        refs = refs[refs["ticket_id"].isin(tickets["id"])]
    return DemandFrames(
        requests,
        needs,
        tickets.reset_index(drop=True),
        refs.reset_index(drop=True),
        as_of,
        excluded,
    )
