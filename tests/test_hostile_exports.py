"""Hostile text in exports (issue 22): what the public types, and what a catalog names, reaches
the analysts' workbook as text, never as a live formula.

End to end: hostile requests go through the public match API into the demand log, a hostile
institution name into the catalog and the index; the workbook is exported through the analyst
API and read back with openpyxl (no formula cell anywhere) and pandas (the text is intact).
"""

from __future__ import annotations

import io
import shutil

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from qis_match.analytics.xlsx_safe import neutralise
from qis_match.settings import Settings
from qis_match.store.tickets import TicketStore
from service.app import create_app
from service.security import KeyRing

ANALYST = {"X-API-Key": "analyst-key-for-tests-0123456789"}
KEYS = "analyst:ann:analyst-key-for-tests-0123456789"
FORMULA = '=HYPERLINK("http://evil.example/x","点我")'
HOSTILE_REQUESTS = [
    FORMULA + "帮我问下社保怎么补缴",
    "=1+1 想办个营业执照",
    "@SUM(1) 公租房怎么申请",
    "+cmd|' /C calc'!A0 我家楼上装修太吵",
]
HOSTILE_NAME = '=HYPERLINK("http://evil.example/y","机构")'


def test_neutralise_turns_formulas_into_the_same_text(tmp_path):
    wb = Workbook()
    wb.active.append([FORMULA, "@SUM(1)", "-2+3", 5, "普通文字"])
    assert neutralise(wb) == 1
    wb.save(tmp_path / "x.xlsx")
    cells = list(load_workbook(tmp_path / "x.xlsx").active[1])
    assert [c.value for c in cells] == [FORMULA, "@SUM(1)", "-2+3", 5, "普通文字"]
    assert all(c.data_type != "f" for c in cells)


@pytest.fixture()
def hostile_app(tmp_path, fixture_catalog, e5_encoder, need_classifier):
    from qis_match.build import build_index
    from qis_match.pipeline import Matcher

    cat = tmp_path / "catalog"
    shutil.copytree(fixture_catalog, cat)
    inst = pd.read_csv(cat / "institutions.csv", dtype=str, keep_default_na=False)
    inst.loc[0, "name"] = HOSTILE_NAME
    inst.to_csv(cat / "institutions.csv", index=False)
    s = Settings(home=tmp_path / "home", catalog_dir=cat, rate_limit_per_minute=0)
    build_index(s, encoder=e5_encoder, progress=False, classifier=need_classifier)
    m = Matcher(s, encoder=e5_encoder)
    assert m.resource(inst.loc[0, "institution_id"])["name"] == HOSTILE_NAME
    app = create_app(
        s,
        matcher=m,
        ticket_store=TicketStore(f"sqlite:///{tmp_path}/t.db"),
        keys=KeyRing.parse(KEYS),
    )
    with TestClient(app) as c:
        yield c


def test_no_exported_cell_is_a_formula_from_user_text(hostile_app):
    c = hostile_app
    for text in HOSTILE_REQUESTS:
        assert c.post("/api/v1/match", json={"text": text}).status_code == 200
    # a QI request too, referred to the institution with the hostile name
    c.post("/api/v1/match", json={"text": "压力表到期要送检", "region": "湖北省武汉市"})
    x = c.get("/api/v1/analytics/report.xlsx", params={"province": "all"}, headers=ANALYST)
    assert x.status_code == 200, x.text
    wb = load_workbook(io.BytesIO(x.content))
    formulas = [
        f"{ws.title}!{cell.coordinate}: {cell.value}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    texts = {
        str(v)
        for sheet in pd.read_excel(io.BytesIO(x.content), sheet_name=None, header=None).values()
        for v in sheet.to_numpy().ravel()
        if isinstance(v, str)
    }
    # the hostile requests reach the workbook (the unmet-demand examples) as the text typed
    assert any(t.startswith("=") for t in texts), sorted(texts)[:40]
    assert not any(t.startswith("=") and "evil.example" not in t and "1+1" not in t for t in texts)
