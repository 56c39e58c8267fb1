"""Helpers shared by the reliability tests: keys of every role, the app over a given index and
ticket database, and hypothesis settings sized for CI."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from qis_match.store.tickets import TicketStore
from service.app import create_app
from service.security import KeyRing

KEYS = {
    "clerk": "rel-clerk-key-0123456789abcdef",
    "admin": "rel-admin-key-0123456789abcdef",
    "analyst": "rel-analyst-key-0123456789abcd",
}
KEY_SPEC = ",".join(f"{role}:{role}-rel:{key}" for role, key in KEYS.items())

# Small example budgets keep tests/reliability/ under a minute on 2 cores; QIS_FUZZ_SCALE=30
# (for example) multiplies them for a deeper run before a release.
SCALE = float(os.environ.get("QIS_FUZZ_SCALE", "1"))
# In CI (CI=true) hypothesis is derandomised: the same examples every run, so a red run replays
# exactly. Locally each run explores new examples; a failure prints its reproduction blob, and
# every failure found becomes a permanent @example in the test.
DERANDOMIZE = os.environ.get("CI", "").lower() in {"1", "true", "yes"} or bool(
    os.environ.get("QIS_HYPOTHESIS_DERANDOMIZE")
)


def budget(n: int) -> settings:
    """Hypothesis settings with ``n`` examples (times QIS_FUZZ_SCALE), no deadline, no example
    database written into the checkout, derandomised in CI."""
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        database=None,
        print_blob=True,
        derandomize=DERANDOMIZE,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def auth(role: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[role]}


def make_app(settings_, matcher, db_url: str, **overrides):
    """The real app; rate limiting and the daily quota off unless asked for."""
    s = settings_.model_copy(update={"rate_limit_per_minute": 0, "daily_quota": 0, **overrides})
    return create_app(
        s, matcher=matcher, ticket_store=TicketStore(db_url), keys=KeyRing.parse(KEY_SPEC)
    )
