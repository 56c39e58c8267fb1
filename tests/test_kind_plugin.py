"""A resource kind is a plug-in (issue 18): a toy kind in one file (tests/toy_policy_kind.py,
policy items with a deadline and eligible regions) is imported, loaded with row/column errors,
built, matched, served over the API and offered on the search page, and no other file names it.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qis_match.catalog import load_catalog
from qis_match.catalog.kinds import kind_names, unregister
from qis_match.settings import Settings

REPO = Path(__file__).resolve().parents[1]
POLICIES = """policy_id,name,issuer,sub_services,eligible_regions,deadline,support,description,demo
P-TEST-HB,湖北省小微企业检验检测费用补贴（测试）,湖北省市场监督管理局（演示）,testing.electrical|testing.consumer,420000,2030-12-31,检测费用的50%，每家每年最高2万元,小微企业送检家用电器产品的检测费用补贴,true
P-TEST-OLD,湖北省检测补贴（已截止，测试）,湖北省市场监督管理局（演示）,testing.electrical,420000,2020-01-31,检测费用的30%,电器产品检测费用补贴,true
P-TEST-HN,湖南省检验检测补贴（测试）,湖南省市场监督管理局（演示）,testing.electrical,430000,2030-12-31,检测费用的40%,电器产品检测费用补贴,true
"""


@pytest.fixture()
def policy_kind():
    import toy_policy_kind

    importlib.reload(toy_policy_kind)  # registers it (again, if an earlier test took it out)
    yield toy_policy_kind
    unregister("policy")


@pytest.fixture()
def policy_catalog(tmp_path, fixture_catalog) -> Path:
    cat = tmp_path / "catalog"
    shutil.copytree(fixture_catalog, cat)
    (cat / "policies.csv").write_text(POLICIES, encoding="utf-8")
    return cat


def test_bad_rows_of_the_new_kind_are_reported_by_row_and_column(policy_kind, policy_catalog):
    text = POLICIES + "P-BAD,坏行,某局,testing.nope,990000,2030-02-30,,,true\n"
    (policy_catalog / "policies.csv").write_text(text, encoding="utf-8")
    cat = load_catalog(policy_catalog)
    assert len(cat.table("policy")) == 3 and len(cat.policies) == 3
    where = {(i.file, i.row, i.column) for i in cat.errors}
    assert {
        ("policies.csv", 5, "sub_services"),
        ("policies.csv", 5, "eligible_regions"),
        ("policies.csv", 5, "deadline"),
    } <= where


def test_toy_kind_is_built_matched_served_and_offered(
    policy_kind, policy_catalog, tmp_path, e5_encoder, need_classifier
):
    from qis_match.build import build_index
    from qis_match.pipeline import Matcher
    from qis_match.ranking.ranker import Filters
    from qis_match.store.tickets import TicketStore
    from service.app import create_app
    from service.security import KeyRing

    assert "policy" in kind_names()
    s = Settings(home=tmp_path / "home", catalog_dir=policy_catalog, rate_limit_per_minute=0)
    report = build_index(s, encoder=e5_encoder, progress=False, classifier=need_classifier)
    assert report.manifest["policies"] == 3  # counted like any kind
    m = Matcher(s, encoder=e5_encoder)
    today = date(2026, 12, 7)

    # matched: the words of a subsidy request call for the kind; the deadline and the region
    # decide which items may be referred
    res = m.match("电热水壶送检想申请检测补贴", "湖北省武汉市", today=today)
    assert [n.resource_type for n in res.needs] == ["policy"]
    ids = [r.resource_id for r in res.referrals]
    assert ids and ids[0] == "P-TEST-HB"
    assert "P-TEST-OLD" not in ids and "P-TEST-HN" not in ids  # closed; another province
    card = res.referrals[0].to_dict()["card"]
    assert card["facts"][0] == {"key": "deadline", "label": "申报截止", "value": "2030-12-31"}
    hunan = m.match("电热水壶送检想申请检测补贴", "湖南省长沙市", today=today)
    assert [r.resource_id for r in hunan.referrals][:1] == ["P-TEST-HN"]
    listed = m.search("", None, Filters(resource_types=["policy"]), 10)  # browse the kind
    assert {r.resource_id for r in listed} == {"P-TEST-HB", "P-TEST-HN"}  # the open ones

    # served: the API lists the kind, searches it and shows one item with its card
    app = create_app(
        s, matcher=m, ticket_store=TicketStore(f"sqlite:///{tmp_path}/t.db"), keys=KeyRing.parse("")
    )
    with TestClient(app) as c:
        kinds = c.get("/api/v1/kinds").json()["kinds"]
        assert [k["name"] for k in kinds][-1] == "policy"
        found = c.get("/api/v1/search", params={"q": "检测补贴", "resource_type": "policy"}).json()
        assert found["count"] >= 1 and {r["resource_type"] for r in found["results"]} == {"policy"}
        assert found["results"][0]["card"]["badges"][0]["text"] == "政策"
        one = c.get("/api/v1/resources/P-TEST-HB").json()
        assert one["resource_type"] == "policy" and one["card"]["subtitle"].startswith("湖北省")
        assert c.get("/api/v1/search", params={"resource_type": "nope"}).status_code == 422
        page = c.get("/search").text
        assert 'value="policy"' in page and "政策" in page  # the search page offers the kind


def test_no_file_outside_the_toy_module_names_the_toy_kind():
    """The toy kind touched no other file: nothing in the engine, service or pages names it."""
    out = subprocess.run(
        [
            "git",
            "grep",
            "--untracked",
            "-l",
            "-i",
            "-e",
            "policies",
            "-e",
            "PolicyKind",
            "--",
            "qis_match",
            "service",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "", out.stdout


def test_few_files_name_a_built_in_kind():
    """Kinds are declared once: outside migrations, at most 6 files of the engine and service
    mention the shared-instrument kind (27 before the registry)."""
    out = subprocess.run(
        [
            "git",
            "grep",
            "--untracked",
            "-l",
            "-i",
            "instrument",
            "--",
            "qis_match",
            "service",
            ":!*migrations*",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    files = out.stdout.split()
    assert len(files) <= 6, files


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
