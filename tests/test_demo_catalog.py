"""The shipped demo catalog: large and varied enough to be realistic, valid, fictional, and
exactly what the generator produces from the reference lists."""

import pandas as pd
import pytest
from conftest import REPO

from qis_match.catalog import load_catalog
from qis_match.catalog.generate import CatalogGenerator, generate_catalog, load_reference
from qis_match.geo import gazetteer
from qis_match.taxonomy import CATEGORY_CODES
from qis_match.text.tokenize import find_codes

DEMO = REPO / "data" / "catalog"


@pytest.fixture(scope="module")
def demo():
    return load_catalog(DEMO)


def test_demo_catalog_is_valid_and_large_enough(demo):
    assert demo.issues == []
    assert len(demo.institutions) >= 300
    assert len(demo.lines) >= 15000
    assert set(demo.lines["category"]) == set(CATEGORY_CODES)
    assert demo.institutions["name"].str.endswith("（演示）").all()
    assert demo.institutions["demo"].all()


def test_demo_catalog_has_experts_and_shared_instruments(demo):
    assert len(demo.experts) >= 200 and len(demo.instruments) >= 300
    assert demo.experts["name"].str.endswith("（演示）").all()
    assert set(demo.experts["category"]) == set(CATEGORY_CODES)
    assert set(demo.instruments["owner_institution_id"]) <= set(demo.institutions["institution_id"])
    assert (demo.instruments["price"] > 0).all() and set(demo.instruments["price_unit"]) <= {
        "hour",
        "sample",
    }


def test_demo_catalog_covers_the_regions(demo):
    cities = set(zip(demo.institutions["province"], demo.institutions["city"], strict=True))
    geo = gazetteer()
    for prov in ("42", "43"):  # Hubei and Hunan: every prefecture-level unit
        prefectures = {
            (p.province, p.city)
            for p in geo.by_code.values()
            if p.level == "city" and p.adcode.startswith(prov)
        }
        assert prefectures <= cities, prefectures - cities
    for city in ("深圳市", "广州市", "东莞市", "佛山市"):
        assert ("广东省", city) in cities
    assert (demo.institutions["service_area"] == "national").sum() >= 5


def test_every_standard_comes_from_the_reference_lists(demo):
    ref = load_reference()
    known = (
        {r["standard"] for r in ref.testing}
        | {r["regulation"] for r in ref.metrology}
        | {r["basis"] for r in ref.services}
    )
    used = set(demo.lines["standard"]) - {""}
    assert used <= known
    # and the reference lists' codes are well-formed (a typo would break exact matching)
    for r in ref.testing:
        if r["standard"]:
            assert find_codes(r["standard"]), r["standard"]


def test_generation_is_reproducible_and_matches_the_shipped_csv(tmp_path):
    generate_catalog(tmp_path, seed=7)
    for name in ("institutions.csv", "capabilities.csv", "experts.csv", "instruments.csv"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_size_knob_scales_lines_and_institutions():
    small_inst, small_lines = CatalogGenerator(seed=1).generate(4000)
    big_inst, big_lines = CatalogGenerator(seed=1).generate(40000)
    assert 3000 <= len(small_lines) <= 5500
    assert 34000 <= len(big_lines) <= 46000
    assert len(big_inst) > 2 * len(small_inst)
    ids = pd.Series([r["line_id"] for r in big_lines])
    assert ids.is_unique
