"""Quality floor on the shipped demo catalog and the held-out dev set (the targets of issues #2 and #3).

Builds the demo index into a temporary home, reusing the embedding cache of the default home
(``var/``, filled by ``make setup``) so that only texts not embedded before cost time. The dev set
is only scored here, never tuned on.
"""

from __future__ import annotations

import pytest
from conftest import REPO

from qis_match.settings import Settings


@pytest.mark.slow
def test_dev_set_quality_on_the_demo_catalog(tmp_path, e5_encoder, need_classifier):
    from qis_match.build import build_index
    from qis_match.evaluation import evaluate, read_labelled
    from qis_match.pipeline import Matcher

    s = Settings(home=tmp_path, embedding_cache=REPO / "var" / "embeddings.sqlite")
    build_index(s, encoder=e5_encoder, progress=False, classifier=need_classifier)
    m = evaluate(Matcher(s, encoder=e5_encoder), read_labelled(REPO / "data/eval/dev.tsv"))
    print({k: v for k, v in m.items() if k != "failures"})
    assert m["requests"] >= 150
    assert m["top1"] >= 0.95
    assert m["needs_micro_f1"] >= 0.90
    assert m["precision_at_5"] >= 0.90
    assert m["bundle_coverage"] >= 0.90
    assert m["non_qi_rejected"] >= 0.90
    assert m["qi_wrongly_rejected"] <= 0.05


@pytest.mark.slow
def test_resource_types_on_the_demo_catalog(tmp_path, e5_encoder, need_classifier):
    """Experts and instruments are routed as asked (held-out dev_resources.tsv)."""
    from qis_match.build import build_index
    from qis_match.evaluation import evaluate, read_labelled
    from qis_match.pipeline import Matcher

    s = Settings(home=tmp_path, embedding_cache=REPO / "var" / "embeddings.sqlite")
    build_index(s, encoder=e5_encoder, progress=False, classifier=need_classifier)
    m = evaluate(
        Matcher(s, encoder=e5_encoder), read_labelled(REPO / "data/eval/dev_resources.tsv")
    )
    types = m["resource_types"]
    print(types)
    assert types["expert"]["needs"] >= 30 and types["instrument"]["needs"] >= 30
    assert types["expert"]["type_accuracy"] >= 0.8 and types["instrument"]["type_accuracy"] >= 0.8
    assert types["expert"]["precision_at_5"] >= 0.8 and types["instrument"]["precision_at_5"] >= 0.8
    assert m["top1"] >= 0.9
