"""Shared fixtures: a small hand-made catalog, settings in a temp home, and one index built over
it with the real embedded encoder (a few seconds, once per session)."""

from __future__ import annotations

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
    return Settings(home=tmp_path / "home", catalog_dir=fixture_catalog)


@pytest.fixture(scope="session")
def e5_encoder():
    from qis_match.encoders.e5 import E5Encoder

    return E5Encoder()


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory, fixture_catalog: Path, e5_encoder) -> Settings:
    from qis_match.build import build_index

    s = Settings(home=tmp_path_factory.mktemp("qis-home"), catalog_dir=fixture_catalog)
    build_index(s, encoder=e5_encoder, progress=False)
    return s


@pytest.fixture(scope="session")
def matcher(built_settings: Settings, e5_encoder):
    from qis_match.pipeline import Matcher

    return Matcher(built_settings, encoder=e5_encoder)
