"""The command line as a user runs it: the --json contract, stdin mode, clear errors."""

import io
import json
import sys

import pytest

from qis_match.cli import main


@pytest.fixture()
def cli_env(built_settings, monkeypatch):
    monkeypatch.setenv("QIS_HOME", str(built_settings.home))
    monkeypatch.setenv("QIS_CATALOG_DIR", str(built_settings.catalog_dir))


def test_match_json(cli_env, capsys):
    assert (
        main(
            [
                "match",
                "我们厂的压力表到期了要送检",
                "--region",
                "湖北省武汉市",
                "--top",
                "3",
                "--json",
            ]
        )
        == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert d["needs"][0]["category"] == "metrology"
    assert len(d["referrals"]) == 3 and d["referrals"][0]["city"] == "武汉市"


def test_match_human_output(cli_env, capsys):
    assert main(["match", "想注册商标", "--region", "湖北省武汉市"]) == 0
    out = capsys.readouterr().out
    assert "武汉测试知识产权代理有限公司（测试）" in out and "需求" in out


def test_stdin_mode_one_result_per_line_and_bad_lines_do_not_stop_it(cli_env, capsys, monkeypatch):
    data = "压力表送检\n".encode() + b"\xff\xfe\x80\x81\n" + "想注册商标\n".encode("gb18030")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["match", "--json"]) == 1
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3
    assert lines[0]["needs"][0]["category"] == "metrology"
    assert lines[1]["line"] == 2 and "UTF-8" in lines[1]["error"]
    assert lines[2]["needs"][0]["category"] == "ip"


def test_unknown_region_exits_2_with_a_clear_message(cli_env, capsys):
    assert main(["match", "压力表送检", "--region", "火星市"]) == 2
    assert "unknown region" in capsys.readouterr().err


def test_no_index_says_build_first(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QIS_HOME", str(tmp_path))
    assert main(["match", "压力表送检"]) == 2
    assert "qis-match build" in capsys.readouterr().err


def test_eval_prints_the_metrics(cli_env, capsys, tmp_path):
    f = tmp_path / "mini.tsv"
    f.write_text(
        "id\tcategories\tregion\ttext\n"
        "a\tmetrology\t湖北省武汉市\t压力表到期要送检\n"
        "b\tip|standards\t\t想注册商标再做个团体标准\n"
        "c\tnone\t\t个人所得税怎么申报\n",
        encoding="utf-8",
    )
    assert main(["eval", str(f), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["requests"] == 3 and m["qi_requests"] == 2 and m["non_qi_requests"] == 1
    assert m["top1"] == 1.0
    for key in ("needs_micro_f1", "precision_at_5", "locality_same_city", "non_qi_rejected"):
        assert 0.0 <= m[key] <= 1.0


def test_catalog_validate_reports_rows(tmp_path, fixture_catalog, capsys):
    import shutil

    d = tmp_path / "c"
    shutil.copytree(fixture_catalog, d)
    text = (
        (d / "capabilities.csv")
        .read_text(encoding="utf-8")
        .replace("metrology.verification", "metrology.nope", 1)
    )
    (d / "capabilities.csv").write_text(text, encoding="utf-8")
    assert main(["catalog", "validate", str(d)]) == 1
    out = capsys.readouterr().out
    assert "capabilities.csv: row 2, column 'sub_service'" in out
