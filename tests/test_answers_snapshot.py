"""The answer snapshots that show a refactor lost nothing compare what they should."""

from __future__ import annotations

import json

from benchmarks.answers_snapshot import compare


def _write(path, answers):
    path.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in answers), "utf-8")


def test_added_keys_are_ignored_and_any_other_change_is_reported(tmp_path):
    before = [{"referrals": [{"resource_id": "A", "score": 0.9}]}, {"needs": []}]
    added = [{"referrals": [{"resource_id": "A", "score": 0.9, "card": {"x": 1}}]}, {"needs": []}]
    moved = [{"referrals": [{"resource_id": "B", "score": 0.9}]}, {"needs": []}]
    _write(tmp_path / "a", before)
    _write(tmp_path / "b", added)
    _write(tmp_path / "c", moved)
    assert compare(tmp_path / "a", tmp_path / "b", {"card"}) == 0
    assert compare(tmp_path / "a", tmp_path / "b", set()) == 1
    assert compare(tmp_path / "a", tmp_path / "c", {"card"}) == 1
    _write(tmp_path / "d", before[:1])
    assert compare(tmp_path / "a", tmp_path / "d", set()) == 1
