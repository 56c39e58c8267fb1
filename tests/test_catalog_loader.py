import shutil

import pandas as pd
import pytest

from qis_match.catalog import load_catalog
from qis_match.errors import CatalogError


def test_fixture_catalog_is_valid(fixture_catalog):
    cat = load_catalog(fixture_catalog)
    assert cat.issues == []
    assert len(cat.institutions) == 12 and len(cat.lines) == 28
    wh = cat.institutions.set_index("institution_id").loc["T-MET-WH"]
    assert (wh["province"], wh["city"], wh["district"]) == ("湖北省", "武汉市", "武昌区")
    assert 113 < wh["longitude"] < 116  # filled from the adcode
    assert len(cat.version) == 16


def _copy(fixture_catalog, tmp_path):
    d = tmp_path / "cat"
    shutil.copytree(fixture_catalog, d)
    return d


def test_bad_rows_are_reported_by_row_and_column_and_good_rows_kept(fixture_catalog, tmp_path):
    d = _copy(fixture_catalog, tmp_path)
    inst = pd.read_csv(d / "institutions.csv", dtype=str, keep_default_na=False)
    inst.loc[1, "adcode"] = "999999"  # spreadsheet row 3
    inst.loc[2, "small_business_discount"] = "maybe"  # row 4
    inst.to_csv(d / "institutions.csv", index=False)
    caps = pd.read_csv(d / "capabilities.csv", dtype=str, keep_default_na=False)
    caps.loc[0, "sub_service"] = "metrology.teleportation"  # row 2
    caps.loc[1, "line_id"] = caps.loc[2, "line_id"]  # duplicate: reported on the later row 4
    caps.to_csv(d / "capabilities.csv", index=False)

    cat = load_catalog(d)
    where = {(i.file, i.row, i.column) for i in cat.issues}
    assert ("institutions.csv", 3, "adcode") in where
    assert ("institutions.csv", 4, "small_business_discount") in where
    assert ("capabilities.csv", 2, "sub_service") in where
    assert ("capabilities.csv", 4, "line_id") in where
    # Lines of the rejected institutions are rejected with a reason, the rest kept.
    rejected_inst = {"T-MET-CS", "T-MET-YC"}
    assert not set(cat.lines["institution_id"]) & rejected_inst
    msgs = [str(i) for i in cat.issues if i.column == "institution_id"]
    assert msgs and all("was rejected" in m for m in msgs)
    assert len(cat.institutions) == 10
    assert len(cat.lines) == 28 - 1 - 1 - 4  # bad code, duplicate, 4 lines of rejected institutions


def test_missing_required_column_is_a_clear_error(fixture_catalog, tmp_path):
    d = _copy(fixture_catalog, tmp_path)
    caps = pd.read_csv(d / "capabilities.csv", dtype=str).drop(columns=["sub_service"])
    caps.to_csv(d / "capabilities.csv", index=False)
    with pytest.raises(CatalogError, match="missing required column.*sub_service"):
        load_catalog(d)


def test_xlsx_and_gb18030_catalogs_load(fixture_catalog, tmp_path):
    inst = pd.read_csv(fixture_catalog / "institutions.csv", dtype=str, keep_default_na=False)
    caps = pd.read_csv(fixture_catalog / "capabilities.csv", dtype=str, keep_default_na=False)
    xlsx = tmp_path / "catalog.xlsx"
    with pd.ExcelWriter(xlsx) as w:
        inst.to_excel(w, sheet_name="institutions", index=False)
        caps.to_excel(w, sheet_name="capabilities", index=False)
    cat = load_catalog(xlsx)
    assert cat.issues == [] and len(cat.lines) == 28

    gb = tmp_path / "gb"
    gb.mkdir()
    inst.to_csv(gb / "institutions.csv", index=False, encoding="gb18030")
    caps.to_csv(gb / "capabilities.csv", index=False, encoding="gb18030")
    cat = load_catalog(gb)
    assert cat.issues == [] and cat.institutions["name"].str.endswith("（测试）").all()


def test_missing_catalog_is_a_clear_error(tmp_path):
    with pytest.raises(CatalogError, match="catalog not found"):
        load_catalog(tmp_path / "nope")


def test_experts_and_instruments_are_validated_row_by_row(fixture_catalog, tmp_path):
    d = _copy(fixture_catalog, tmp_path)
    ex = pd.read_csv(d / "experts.csv", dtype=str, keep_default_na=False)
    ex.loc[0, "industries"] = "99"  # not a GB/T 4754 division
    ex.loc[1, "availability"] = "sometimes"
    ex.to_csv(d / "experts.csv", index=False)
    eq = pd.read_csv(d / "instruments.csv", dtype=str, keep_default_na=False)
    eq.loc[0, "owner_institution_id"] = "NOBODY"
    eq.loc[1, "price"] = "cheap"
    eq.to_csv(d / "instruments.csv", index=False)
    cat = load_catalog(d)
    where = {(i.file, i.row, i.column) for i in cat.issues}
    assert {("experts.csv", 2, "industries"), ("experts.csv", 3, "availability")} <= where
    assert {
        ("instruments.csv", 2, "owner_institution_id"),
        ("instruments.csv", 3, "price"),
    } <= where
    assert len(cat.experts) == 2 and len(cat.instruments) == 2  # the good rows are kept
    assert (
        cat.instruments.set_index("instrument_id").loc["Q-SALT-WH", "city"] == "武汉市"
    )  # from the owner
