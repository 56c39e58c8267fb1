"""Pydantic schemas of the JSON API: requests are validated at the edge, responses documented in
the OpenAPI schema. Match responses are the engine's ``--json`` contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from qis_match.referral.models import Evidence, Referral
from qis_match.settings import Settings
from qis_match.store.tickets import STATUSES
from qis_match.taxonomy import CATEGORY_CODES

Category = Literal[
    "metrology", "standards", "testing", "certification", "quality", "ip", "brand", "other"
]
assert set(Category.__args__) == set(CATEGORY_CODES)  # type: ignore[attr-defined]
Status = Literal["受理", "已转介", "机构已受理", "办结", "已回访"]
assert Status.__args__ == STATUSES  # type: ignore[attr-defined]

# the engine's own limit (Settings.max_text_chars), checked again by the engine on the text
TEXT_MAX = Settings.model_fields["max_text_chars"].default
# Free text stored as sent (reasons, notes, comments): no NUL, which PostgreSQL text cannot hold.
NO_NUL = r"^[^\x00]*$"


# Times are stored as naive UTC; on the wire they say so (ISO 8601 with Z).
def _utc_iso(d: datetime) -> str:
    if d.tzinfo is not None:
        d = d.astimezone(UTC).replace(tzinfo=None)
    return d.replace(microsecond=0).isoformat() + "Z"


UtcTime = Annotated[datetime, PlainSerializer(_utc_iso, return_type=str)]


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    categories: list[Category] | None = None
    sub_services: list[str] | None = Field(None, max_length=20)
    province: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=30)
    online: bool | None = None
    small_business_discount: bool | None = None
    accreditation: str | None = Field(None, max_length=40)


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(
        ..., min_length=1, max_length=TEXT_MAX, description="The request as pasted or typed."
    )
    region: str | None = Field(None, max_length=40, description="e.g. 湖北省武汉市")
    top_k: int = Field(10, ge=1, le=50)
    filters: FiltersIn | None = None


# The match contract's objects are the engine's own dataclasses: one definition, documented here.
EvidenceOut = Evidence
ReferralOut = Referral


class NeedOut(BaseModel):
    category: str
    name: str
    score: float
    sub_service: str | None = None
    sub_service_name: str | None = None
    text: str | None = None
    start: int | None = None
    end: int | None = None
    source: str
    resource_type: str = "institution"
    status: str = Field("wanted", description="wanted | done | declined")
    status_cue: str = ""


class BundleItemOut(NeedOut):
    referrals: list[ReferralOut]


class RouteOut(BaseModel):
    code: str
    name: str
    where: str
    hotline: str | None
    reason: str
    text: str
    evidence: str
    score: float


class MatchOut(BaseModel):
    text: str
    needs: list[NeedOut]
    referrals: list[ReferralOut]
    bundle: list[BundleItemOut]
    entities: dict[str, Any]
    needs_review: bool
    review_reasons: list[str]
    abstain_reason: str | None
    signals: dict[str, Any]
    index_version: str
    catalog_version: str
    encoder: str
    elapsed_ms: float
    request_id: str | None = Field(
        None,
        description="Id of this match: pass it when creating the ticket, which then reuses this "
        "match (and links its demand-log row) instead of matching again.",
    )
    needs_not_wanted: list[NeedOut] = Field(
        default_factory=list,
        description="Services the text names but does not want (done or declined): never referred.",
    )
    route: RouteOut | None = Field(
        None,
        description="首问负责: the competent channel of an abstained request, or of the non-QI "
        "part of a served one.",
    )
    reviews: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Why it needs review, as codes (review_reasons are their Chinese text).",
    )


class KindOut(BaseModel):
    """A resource kind, as pages and clients show it."""

    model_config = ConfigDict(extra="allow")
    name: str
    label: str
    table: str
    role: str
    detail_link: str
    lines_title: str
    line_columns: list[dict[str, str]]
    checklist: list[str]


class KindsOut(BaseModel):
    kinds: list[KindOut]


class SearchOut(BaseModel):
    results: list[ReferralOut]
    count: int


class CapabilityOut(BaseModel):
    line_id: str
    resource_id: str
    resource_type: str
    category: str
    sub_service: str
    object: str
    item: str
    standard: str
    standard_title: str
    measuring_range: str
    accuracy: str
    description: str
    text: str
    passage_id: int | None = None


class ResourceOut(BaseModel):
    """A resource of any kind with all its lines."""

    resource_id: str
    resource_type: str = Field(description="its kind (GET /api/v1/kinds)")
    name: str
    type: str
    parent_id: str
    province: str
    city: str
    district: str
    address: str
    longitude: float
    latitude: float
    service_area: str
    accreditations: str
    channels: str
    small_business_discount: bool
    discount_note: str
    turnaround_days: int | None
    phone: str
    email: str
    institution_id: str | None = Field(
        None, description="the institution behind it (itself, or the owner of a resource it owns)"
    )
    institution_name: str | None = None
    details: dict[str, Any]
    categories: list[str]
    capabilities: list[CapabilityOut]
    card: dict[str, Any] = Field(default_factory=dict, description="how its page shows it")


class ChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Category
    institution_id: str = Field(
        ...,
        min_length=1,
        max_length=64,
        description="the chosen resource's id (an institution, an expert EX-… or any other kind)",
    )
    override_reason: str | None = Field(None, max_length=500, pattern=NO_NUL)


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1, max_length=TEXT_MAX)
    region: str | None = Field(None, max_length=40)
    choices: list[ChoiceIn] = Field(..., min_length=1, max_length=30)
    request_id: str | None = Field(
        None, pattern=r"^[0-9a-f]{32}$", description="The match's request_id (demand log link)."
    )


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status
    version: int = Field(
        ..., ge=1, description="The ticket version the clerk saw (optimistic locking)."
    )
    note: str | None = Field(None, max_length=500, pattern=NO_NUL)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: int = Field(..., ge=1, le=5)
    institution_used: str | None = Field(None, max_length=64, pattern=NO_NUL)
    override_reason: str | None = Field(None, max_length=500, pattern=NO_NUL)
    comment: str | None = Field(None, max_length=1000, pattern=NO_NUL)


class TicketReferralOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    category: str
    resource_type: str
    snapshot: dict[str, Any] | None = None
    sub_service: str | None
    institution_id: str
    institution_name: str
    rank: int | None
    top_institution_id: str | None
    override_reason: str | None


class TicketEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    at: UtcTime
    actor: str
    role: str
    from_status: str | None
    to_status: str
    note: str | None


class FeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    at: UtcTime
    actor: str
    rating: int
    institution_used: str | None
    override_reason: str | None
    comment: str | None


class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: UtcTime
    updated_at: UtcTime
    created_by: str
    status: str
    next_status: str | None
    deadline: UtcTime
    overdue: bool
    request_text: str
    enterprise: str | None
    province: str | None
    city: str | None
    needs: list[dict[str, Any]]
    entities: dict[str, Any]
    version: int
    index_version: str | None
    catalog_version: str | None
    request_id: str | None = None  # the demand-log request it came from (issue #8)
    referrals: list[TicketReferralOut]
    events: list[TicketEventOut] = []
    feedback: list[FeedbackOut] = []


class TicketListOut(BaseModel):
    tickets: list[TicketOut]
    counts: dict[str, int]


class CatalogIssueOut(BaseModel):
    file: str
    row: int
    column: str
    message: str


class CatalogValidationOut(BaseModel):
    valid_institutions: int
    valid_lines: int
    issues: list[CatalogIssueOut]


class IndexProblemOut(BaseModel):
    version: str = Field(description="an index version, or CURRENT itself")
    reason: str


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    index_version: str | None = Field(description="the version serving")
    catalog_version: str | None
    database: Literal["ok", "read-only", "unavailable"] = Field(
        description="ok: answers and would take a write (probed without writing)"
    )
    demand_spooled: int = Field(
        0, description="matches whose demand-log rows wait on disk for the database"
    )
    index_degraded: bool = Field(
        False, description="CURRENT's version does not serve (an older good one may)"
    )
    index_wanted: str | None = Field(None, description="the version CURRENT names")
    index_problems: list[IndexProblemOut] = Field(
        default_factory=list, description="versions that could not be served, and why"
    )
