"""Shared fixtures: a small hand-made catalog, settings in a temp home, and one index built over
it with the real embedded encoder (a few seconds, once per session)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qis_match.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def fixture_catalog() -> Path:
    return FIXTURES / "catalog"


@pytest.fixture()
def tmp_settings(tmp_path: Path, fixture_catalog: Path) -> Settings:
    """For tests of building and storing: the retrieval baseline needs no trained classifier."""
    return Settings(home=tmp_path / "home", catalog_dir=fixture_catalog, needs_model="retrieval")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """QIS_TEST_POSTGRES_URL, or an embedded PostgreSQL started for this session (pgserver)."""
    from embedded_postgres import postgres_url as url

    return url()


@pytest.fixture
def fresh_postgres_url(request):
    """A factory of new, empty databases on the test server: ``fresh_postgres_url("qis_x")``."""

    def make(prefix: str) -> str:
        import uuid

        import sqlalchemy as sa

        base_url = request.getfixturevalue("postgres_url")
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return base_url.rsplit("/", 1)[0] + "/" + name

    return make


@pytest.fixture(scope="session")
def e5_encoder():
    from qis_match.encoders.e5 import E5Encoder

    return E5Encoder()


@pytest.fixture(scope="session")
def embedding_cache_path(tmp_path_factory) -> Path:
    """The default home's cache when `make setup` filled it (training texts already embedded),
    else a fresh one for this session."""
    shared = REPO / "var" / "embeddings.sqlite"
    return shared if shared.exists() else tmp_path_factory.mktemp("cache") / "embeddings.sqlite"


@pytest.fixture(scope="session")
def need_classifier(e5_encoder, embedding_cache_path):
    """The need classifier trained once on the project's training data (data/train)."""
    from qis_match.understanding.training import train_classifier

    clf, _ = train_classifier(e5_encoder, embedding_cache_path, progress=False)
    return clf


@pytest.fixture(scope="session")
def built_settings(
    tmp_path_factory, fixture_catalog: Path, e5_encoder, need_classifier
) -> Settings:
    from qis_match.build import build_index

    s = Settings(home=tmp_path_factory.mktemp("qis-home"), catalog_dir=fixture_catalog)
    build_index(s, encoder=e5_encoder, progress=False, classifier=need_classifier)
    return s


@pytest.fixture(scope="session")
def matcher(built_settings: Settings, e5_encoder):
    from qis_match.pipeline import Matcher

    return Matcher(built_settings, encoder=e5_encoder)


@pytest.fixture()
def home_with_index(tmp_path, fixture_catalog: Path, e5_encoder, embedding_cache_path) -> Settings:
    """A home of its own with one published index version over the fixture catalog (a warm copy
    of the embedding cache, no classifier): for tests that build, update, break or kill."""
    import shutil

    from qis_match.build import build_index

    cache = tmp_path / "embeddings.sqlite"
    if embedding_cache_path.exists():
        shutil.copy(embedding_cache_path, cache)
    s = Settings(
        home=tmp_path / "home",
        catalog_dir=fixture_catalog,
        needs_model="retrieval",
        embedding_cache=cache,
    )
    build_index(s, encoder=e5_encoder, progress=False)
    return s


# --- what did not run, said loudly ------------------------------------------------------------

_CHROMIUM = Path("/usr/bin/chromium")
_IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """One loud line when the page tests could not run for want of Chromium, naming the install
    command and how many tests that skipped."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not _CHROMIUM.exists():
        e2e = sum(1 for r in skipped if "/e2e/" in str(getattr(r, "nodeid", "")))
        if e2e:
            terminalreporter.write_line(
                f"!!! {e2e} page tests SKIPPED: Debian's Chromium is missing at {_CHROMIUM}. "
                "Install it with: sudo apt-get install -y chromium fonts-wqy-microhei !!!",
                red=True,
                bold=True,
            )


def pytest_sessionfinish(session, exitstatus) -> None:
    """In CI (CI=true) a skipped test is a failure: every test must run there."""
    if not _IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == 0:
        if reporter:
            reporter.write_line(
                f"CI: {len(skipped)} test(s) were skipped; every test must run in CI.",
                red=True,
                bold=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
