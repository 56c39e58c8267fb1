"""The personal-data scorer (benchmarks/pii.py) on a tiny hand-made file: it counts found and
missed spans and false positives the way data/eval/README.md defines them."""

from __future__ import annotations

from benchmarks.pii import main, read_rows, score


def test_scorer_counts_found_missed_and_false(tmp_path, capsys):
    path = tmp_path / "pii_tiny.tsv"
    path.write_text(
        "id\ttext\tspans\tnote\n"
        "t1\t联系人王经理 13800001234\tperson:王经理 || phone:13800001234\tfound\n"
        "t2\t高压锅要检测\t\tneg\n"
        # 'ABC' is labelled but nothing marks it as personal: a miss
        "t3\t请把报告给ABC\tperson:ABC\tmiss\n"
        # an e-mail that the file (deliberately) does not label: a false positive
        "t4\t发到x@example.com\t\tfalse\n",
        encoding="utf-8",
    )
    rows = read_rows(path)
    assert [len(r.spans) for r in rows] == [2, 0, 1, 0]
    sc = score(rows)
    assert (sc.labelled["person"], sc.found["person"]) == (2, 1)
    assert (sc.labelled["phone"], sc.found["phone"]) == (1, 1)
    assert sc.recall() == 2 / 3
    assert sc.predicted["email"] == 1 and sc.correct["email"] == 0
    assert sc.precision() == 2 / 3
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "overall" in out and "t3 person:ABC" in out and "t4 email:x@example.com" in out
