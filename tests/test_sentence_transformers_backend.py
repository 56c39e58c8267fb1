"""The sentence-transformers backend, with a tiny model the test builds itself (no download):
a StaticEmbedding over a word-level tokenizer, saved to disk and loaded back by path."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")
pytestmark = pytest.mark.st


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    from sentence_transformers import SentenceTransformer

    try:
        from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import StaticEmbedding
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    from qis_match.text.tokenize import default_tokenizer

    words = [
        "[UNK]",
        "[PAD]",
        "压力表",
        "检定",
        "送检",
        "商标",
        "注册",
        "电热水壶",
        "泄漏电流",
        "认证",
        "CCC",
        "检测",
    ]
    vocab = {w: i for i, w in enumerate(words)}
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(len(words), 16)).astype(np.float32)
    emb[vocab["送检"]] = emb[vocab["检定"]] + 0.05  # a synonym the model "knows"
    static = StaticEmbedding(tok, embedding_weights=emb)
    path = tmp_path_factory.mktemp("tiny-st") / "tiny-static"
    SentenceTransformer(modules=[static], device="cpu").save(str(path))
    assert default_tokenizer() is not None
    return path


def test_loads_by_path_and_embeds(tiny_model_dir):
    from qis_match.encoders.sentence_transformers import SentenceTransformerEncoder

    enc = SentenceTransformerEncoder(str(tiny_model_dir))
    assert enc.dim == 16 and enc.name.startswith("st:tiny-static:")
    q = enc.encode_queries(["压力表 送检"])
    p = enc.encode_passages(["压力表 检定", "商标 注册"])
    assert q.shape == (1, 16) and np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-5)
    assert (p @ q[0])[0] > (p @ q[0])[1]


def test_build_and_match_with_the_backend(tiny_model_dir, tmp_path, fixture_catalog):
    from qis_match.build import build_index
    from qis_match.pipeline import Matcher
    from qis_match.settings import Settings

    s = Settings(
        home=tmp_path,
        catalog_dir=fixture_catalog,
        encoder="sentence-transformers",
        encoder_model=str(tiny_model_dir),
        needs_model="retrieval",
    )
    report = build_index(s, progress=False)
    assert report.manifest["encoder"].startswith("st:tiny-static:") and report.manifest["dim"] == 16
    res = Matcher(s).match("压力表到期要送检", region="湖北省武汉市")
    assert res.referrals and res.referrals[0].category == "metrology"


def test_missing_model_path_is_a_clear_error(tmp_path):
    from qis_match.encoders.sentence_transformers import SentenceTransformerEncoder

    with pytest.raises(FileNotFoundError, match="model directory not found"):
        SentenceTransformerEncoder(str(tmp_path / "nope"))
