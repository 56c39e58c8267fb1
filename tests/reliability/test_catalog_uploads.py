"""Malformed catalog uploads: bad rows are rejected one by one (file, row, column) and the good
ones kept; files that cannot be read at all are refused whole; and a build or an update from a
bad upload imports nothing half-way (exactly the valid rows, or nothing and the previous index
serving)."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest

from qis_match.build import build_index
from qis_match.catalog import load_catalog
from qis_match.errors import CatalogError
from qis_match.pipeline import Matcher
from qis_match.store.index_store import IndexStore

from .reliability_support import auth

CLERK = auth("clerk")
BAD_ROWS = [  # (capabilities.csv line, column the issue must name)
    ("B01,T-MET-WH,metrology,metrology.nope,压力表,检定,,,,,", "sub_service"),
    ("B02,NO-SUCH-INST,metrology,metrology.verification,压力表,检定,,,,,", "institution_id"),
    ("B03,T-MET-WH,testing,metrology.verification,压力表,检定,,,,,", "category"),
    ("B04,T-MET-WH,metrology,,压力表,检定,,,,,", "sub_service"),
    ("L001,T-MET-WH,metrology,metrology.verification,压力表,检定,,,,,", "line_id"),  # duplicate
]


def _caps_with_bad_rows(fixture_catalog) -> tuple[str, dict[int, str]]:
    text = (fixture_catalog / "capabilities.csv").read_text(encoding="utf-8").rstrip("\n")
    n = len(text.splitlines())
    lines = [text] + [row for row, _ in BAD_ROWS]
    expected = {n + 1 + i: col for i, (_, col) in enumerate(BAD_ROWS)}  # header is row 1
    return "\n".join(lines) + "\n", expected


def test_bad_rows_are_reported_one_by_one_and_good_rows_kept(client, fixture_catalog):
    caps, expected = _caps_with_bad_rows(fixture_catalog)
    files = [
        ("files", ("institutions.csv", (fixture_catalog / "institutions.csv").read_bytes())),
        ("files", ("capabilities.csv", caps.encode())),
    ]
    r = client.post("/api/v1/catalog/validate", files=files, headers=CLERK)
    assert r.status_code == 200, r.text
    d = r.json()
    got = {(i["row"], i["column"]) for i in d["issues"] if i["file"] == "capabilities.csv"}
    assert got == set(expected.items())
    assert d["valid_lines"] == len(load_catalog(fixture_catalog).lines)


def _xlsx_truncated(fixture_catalog) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook>")
    return buf.getvalue()[: len(buf.getvalue()) // 2]


@pytest.mark.parametrize(
    "files",
    [
        [("capabilities.csv", b"\x89PNG\r\n\x1a\n\x00\x00binary"), ("institutions.csv", b"")],
        [("institutions.csv", b"\xff\xfe\xfa\xfb not text"), ("capabilities.csv", b"a,b\n")],
        [("institutions.csv", b"institution_id,name\n"), ("capabilities.csv", b"line_id\n")],
        [("institutions.csv", b'"unclosed,quote\n' * 3), ("capabilities.csv", b'"x\n')],
        [("catalog.xlsx", b"PK\x03\x04 not really a zip")],
        [("catalog.xlsx", None)],  # a zip cut in half
        [("institutions.csv", b"institution_id;name;type\nA;B;C\n"), ("capabilities.csv", b";")],
        [("../../etc/institutions.csv", b"x"), ("capabilities.csv", b"x")],
    ],
)
def test_unreadable_uploads_are_refused_whole_never_a_500(client, fixture_catalog, files):
    files = [
        ("files", (name, data if data is not None else _xlsx_truncated(fixture_catalog)))
        for name, data in files
    ]
    r = client.post("/api/v1/catalog/validate", files=files, headers=CLERK)
    assert r.status_code in (200, 422), (r.status_code, r.text[:300])
    if r.status_code == 200:  # read, but nothing in it is a valid line
        assert r.json()["valid_lines"] == 0 and r.json()["issues"]


def test_odd_but_valid_encodings_are_read(client, fixture_catalog):
    inst = (fixture_catalog / "institutions.csv").read_text(encoding="utf-8")
    caps = (fixture_catalog / "capabilities.csv").read_text(encoding="utf-8")
    files = [
        ("files", ("institutions.csv", "\ufeff".encode() + inst.replace("\n", "\r\n").encode())),
        ("files", ("capabilities.csv", caps.encode("gb18030"))),
    ]
    r = client.post("/api/v1/catalog/validate", files=files, headers=CLERK)
    assert r.status_code == 200 and r.json()["issues"] == []
    assert r.json()["valid_lines"] == len(load_catalog(fixture_catalog).lines)


def test_a_build_imports_exactly_the_valid_rows(
    home_with_index, fixture_catalog, e5_encoder, tmp_path
):
    cat = tmp_path / "catalog"
    shutil.copytree(fixture_catalog, cat)
    caps, _ = _caps_with_bad_rows(fixture_catalog)
    # and an institution that is itself invalid: its lines must not come in either
    inst = (cat / "institutions.csv").read_text(encoding="utf-8").rstrip("\n")
    inst += "\nT-BAD,坏机构（测试）,法定计量技术机构,,999999,,,,测试路,,,province,,onsite,maybe,,x,,,测试数据,true\n"
    (cat / "institutions.csv").write_text(inst, encoding="utf-8")
    caps += "B09,T-BAD,metrology,metrology.verification,压力表,检定,,,,,\n"
    (cat / "capabilities.csv").write_text(caps, encoding="utf-8")
    s = home_with_index.model_copy(update={"catalog_dir": cat})
    build_index(s, encoder=e5_encoder, progress=False)
    m = Matcher(s, encoder=e5_encoder)
    valid = load_catalog(fixture_catalog)
    inst_lines = m.index.lines[m.index.lines["resource_type"] == "institution"]
    assert set(inst_lines["line_id"]) == set(valid.lines["line_id"])
    assert "T-BAD" not in set(m.index.resources["resource_id"])
    assert m.index.manifest["rejected_rows"] == len(BAD_ROWS) + 2


@pytest.mark.parametrize("breakage", ["missing column", "undecodable", "no file"])
def test_an_unusable_catalog_imports_nothing(
    home_with_index, fixture_catalog, e5_encoder, tmp_path, breakage
):
    s = home_with_index
    root = s.index_root
    before = sorted(p.name for p in root.iterdir())
    current = IndexStore(root).current_version()
    cat = tmp_path / "broken"
    shutil.copytree(fixture_catalog, cat)
    caps = cat / "capabilities.csv"
    if breakage == "missing column":
        lines = caps.read_text(encoding="utf-8").splitlines()
        caps.write_text("\n".join(",".join(x.split(",")[:3]) for x in lines), encoding="utf-8")
    elif breakage == "undecodable":
        caps.write_bytes(caps.read_bytes() + b"\xff\xfe\x00\x81")
    else:
        caps.unlink()
    with pytest.raises((CatalogError, FileNotFoundError)):
        build_index(s.model_copy(update={"catalog_dir": cat}), encoder=e5_encoder, progress=False)
    assert sorted(p.name for p in root.iterdir()) == before
    assert IndexStore(root).current_version() == current
    assert Matcher(s, encoder=e5_encoder).match("压力表到期要送检").index_version == current
