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


# --- strict parsing (issue 23): every row's field count, every duplicate id ----------------------


def _one_row_catalog(tmp_path, fixture_catalog, inst_row: str | None = None, caps_rows=None):
    """A catalog of the fixture's first institution (or ``inst_row``) and its own lines."""
    d = tmp_path / "one"
    d.mkdir(parents=True)
    inst = (fixture_catalog / "institutions.csv").read_text(encoding="utf-8").splitlines()
    caps = (fixture_catalog / "capabilities.csv").read_text(encoding="utf-8").splitlines()
    (d / "institutions.csv").write_text(
        "\n".join([inst[0], inst_row or inst[1]]) + "\n", encoding="utf-8"
    )
    rows = caps_rows if caps_rows is not None else [r for r in caps[1:] if ",T-MET-WH," in r]
    (d / "capabilities.csv").write_text("\n".join([caps[0], *rows]) + "\n", encoding="utf-8")
    return d


def test_a_one_row_csv_with_an_unquoted_comma_is_rejected_not_shifted(fixture_catalog, tmp_path):
    inst = (fixture_catalog / "institutions.csv").read_text(encoding="utf-8").splitlines()
    good = inst[1]
    assert good.startswith("T-MET-WH,武汉市测试计量所（测试）,")
    # an address with an unquoted comma: one field too many on the first (and only) data row
    bad = good.replace("武昌区测试路1号", "武昌区测试路1号,2楼")
    cat = load_catalog(_one_row_catalog(tmp_path, fixture_catalog, bad))
    assert len(cat.institutions) == 0  # never accepted with the cells shifted
    (issue,) = [i for i in cat.issues if i.file == "institutions.csv"]
    assert (issue.row, issue.column) == (2, "demo")  # the last column: the extra field follows it
    assert "22 fields, the header has 21" in issue.message and "quote" in issue.message
    # its lines are rejected as lines of a rejected institution, not of an unknown one
    assert cat.lines.empty
    assert {i.message for i in cat.issues if i.file == "capabilities.csv"} == {
        "institution 'T-MET-WH' was rejected (see its errors)"
    }
    # the same row quoted properly is accepted, with the comma in its address
    quoted = good.replace("武昌区测试路1号", '"武昌区测试路1号,2楼"')
    ok = load_catalog(_one_row_catalog(tmp_path / "q", fixture_catalog, quoted))
    assert ok.errors == [] and ok.institutions.loc[0, "address"] == "武昌区测试路1号,2楼"


def test_a_row_with_a_field_too_few_is_rejected_with_row_and_column(fixture_catalog, tmp_path):
    inst = (fixture_catalog / "institutions.csv").read_text(encoding="utf-8").splitlines()
    short = inst[1].rsplit(",", 1)[0]  # the last field (demo) is gone
    cat = load_catalog(_one_row_catalog(tmp_path, fixture_catalog, short))
    (issue,) = [i for i in cat.issues if i.file == "institutions.csv"]
    assert (issue.row, issue.column) == (2, "demo") and "20 fields" in issue.message
    assert len(cat.institutions) == 0
    # a later short row of capabilities: reported on its own row, the others kept
    caps = (fixture_catalog / "capabilities.csv").read_text(encoding="utf-8").splitlines()
    rows = [r for r in caps[1:] if ",T-MET-WH," in r]
    rows[1] = ",".join(rows[1].split(",")[:4])  # row 3: only 4 of 11 fields
    cat = load_catalog(_one_row_catalog(tmp_path / "c", fixture_catalog, caps_rows=rows))
    (issue,) = cat.issues
    assert (issue.file, issue.row, issue.column) == ("capabilities.csv", 3, "object")
    assert len(cat.lines) == len(rows) - 1


def test_duplicate_ids_are_reported_with_the_row_of_the_first(fixture_catalog, tmp_path):
    d = _copy(fixture_catalog, tmp_path)
    inst = (d / "institutions.csv").read_text(encoding="utf-8").splitlines()
    inst.append(inst[3])  # the institution of row 4, again on row 14
    (d / "institutions.csv").write_text("\n".join(inst) + "\n", encoding="utf-8")
    caps = (d / "capabilities.csv").read_text(encoding="utf-8").splitlines()
    first_id = caps[1].split(",", 1)[0]
    # row 2's line_id again, on a line that is otherwise fine (another institution's line)
    caps[5] = first_id + "," + caps[5].split(",", 1)[1]
    (d / "capabilities.csv").write_text("\n".join(caps) + "\n", encoding="utf-8")
    cat = load_catalog(d)
    got = {(i.file, i.row, i.column): i.message for i in cat.issues}
    dup_inst = inst[3].split(",", 1)[0]
    assert got[("institutions.csv", len(inst), "institution_id")] == (
        f"duplicate id {dup_inst!r} (first on row 4)"
    )
    assert got[("capabilities.csv", 6, "line_id")] == f"duplicate id {first_id!r} (first on row 2)"
    assert len(cat.institutions) == 12 and len(cat.lines) == 28 - 1
    assert list(cat.lines["line_id"]).count(first_id) == 1


def test_a_duplicate_of_a_rejected_row_is_still_a_duplicate(fixture_catalog, tmp_path):
    caps = (fixture_catalog / "capabilities.csv").read_text(encoding="utf-8").splitlines()
    rows = [r for r in caps[1:] if ",T-MET-WH," in r]
    line_id = rows[0].split(",", 1)[0]
    rows[0] = rows[0].replace("metrology.verification", "metrology.no_such", 1)  # row 2: bad
    rows.append(rows[1].replace(rows[1].split(",", 1)[0], line_id, 1))  # its id, on a good row
    cat = load_catalog(_one_row_catalog(tmp_path, fixture_catalog, caps_rows=rows))
    where = {(i.row, i.column) for i in cat.issues}
    assert where == {(2, "sub_service"), (len(rows) + 1, "line_id")}
    assert line_id not in set(cat.lines["line_id"])


def test_blank_lines_are_skipped_but_counted_as_rows(fixture_catalog, tmp_path):
    caps = (fixture_catalog / "capabilities.csv").read_text(encoding="utf-8").splitlines()
    rows = [r for r in caps[1:] if ",T-MET-WH," in r]
    rows.insert(1, "")  # row 3 is blank
    rows[2] = rows[2].replace("metrology.verification", "metrology.no_such", 1)  # row 4
    cat = load_catalog(_one_row_catalog(tmp_path, fixture_catalog, caps_rows=rows))
    assert [(i.row, i.column) for i in cat.issues] == [(4, "sub_service")]


def test_an_id_another_table_uses_is_a_duplicate_resource_id(fixture_catalog, tmp_path):
    # institutions, experts and instruments are one id space (the resource id of a referral)
    d = _copy(fixture_catalog, tmp_path)
    ex = pd.read_csv(d / "experts.csv", dtype=str, keep_default_na=False)
    ex.loc[0, "expert_id"] = "T-MET-WH"  # an institution's id (institutions.csv row 2)
    ex.to_csv(d / "experts.csv", index=False)
    eq = pd.read_csv(d / "instruments.csv", dtype=str, keep_default_na=False)
    eq.loc[1, "instrument_id"] = ex.loc[1, "expert_id"]  # an expert's id (experts.csv row 3)
    eq.to_csv(d / "instruments.csv", index=False)
    cat = load_catalog(d)
    got = {(i.file, i.row, i.column): i.message for i in cat.issues}
    assert got == {
        ("experts.csv", 2, "expert_id"): "duplicate id 'T-MET-WH' (used in institutions.csv row 2)",
        ("instruments.csv", 3, "instrument_id"): (
            f"duplicate id {ex.loc[1, 'expert_id']!r} (used in experts.csv row 3)"
        ),
    }
    assert "T-MET-WH" not in set(cat.experts["expert_id"]) and len(cat.instruments) == 3
