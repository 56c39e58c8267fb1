"""The need classifier: compiled calibration equals sklearn's, persistence, and calibration on
held-out training folds (the dev set is never used here)."""

import numpy as np
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.multioutput import MultiOutputClassifier

from qis_match.taxonomy import CATEGORY_CODES
from qis_match.understanding.classifier import CompiledCalibrated, NeedClassifier


def test_compiled_calibration_reproduces_sklearn():
    rng = np.random.default_rng(0)
    X = sp.csr_matrix(rng.normal(size=(300, 20)))
    Y = (rng.normal(size=(300, 3)) + X[:, :3].toarray() > 0).astype(int)
    m = MultiOutputClassifier(
        CalibratedClassifierCV(LogisticRegression(class_weight="balanced"), method="sigmoid", cv=5)
    ).fit(X, Y)
    ref = np.column_stack([p[:, 1] for p in m.predict_proba(X)])
    assert np.allclose(CompiledCalibrated(m).predict(X), ref, atol=1e-12)


def test_save_and_load_roundtrip(need_classifier, tmp_path, e5_encoder):
    need_classifier.save(tmp_path)
    loaded = NeedClassifier.load(tmp_path)
    text = "电梯年检怎么预约"
    v = e5_encoder.encode_queries([text])
    assert np.allclose(loaded.predict_proba([text], v), need_classifier.predict_proba([text], v))
    assert NeedClassifier.load(tmp_path / "nothing-here") is None


def test_every_sub_service_is_known(need_classifier):
    from qis_match.taxonomy import load_taxonomy

    assert set(need_classifier.sub_services) == set(load_taxonomy().sub_services)


def test_held_out_training_folds_are_classified_and_calibrated(e5_encoder, embedding_cache_path):
    """Fit on 80 % of the labelled requests (plus taxonomy), score the other 20 %."""
    from qis_match.encoders.batch import embed_texts
    from qis_match.encoders.cache import EmbeddingCache
    from qis_match.understanding.training import training_examples

    examples = training_examples()
    requests = [e for e in examples if e.source != "taxonomy"]
    rng = np.random.default_rng(42)
    test_idx = set(rng.choice(len(requests), size=len(requests) // 5, replace=False).tolist())
    train = [e for i, e in enumerate(requests) if i not in test_idx] + [
        e for e in examples if e.source == "taxonomy"
    ]
    test = [e for i, e in enumerate(requests) if i in test_idx]
    cache = EmbeddingCache(embedding_cache_path)
    vtrain, _ = embed_texts(
        e5_encoder, [e.text for e in train], cache, kind="query", progress=False
    )
    vtest, _ = embed_texts(e5_encoder, [e.text for e in test], cache, kind="query", progress=False)
    clf = NeedClassifier().fit(train, vtrain)
    p = clf.predict_proba([e.text for e in test], vtest)
    y = np.array([[int(c in e.categories) for c in CATEGORY_CODES] for e in test])
    pred = p >= 0.5
    tp, fp, fn = (pred & (y == 1)).sum(), (pred & (y == 0)).sum(), (~pred & (y == 1)).sum()
    f1 = 2 * tp / (2 * tp + fp + fn)
    brier = float(np.mean((p - y) ** 2))
    print(f"held-out training fold: micro-F1 {f1:.3f}, Brier {brier:.4f}, n={len(test)}")
    assert f1 >= 0.85
    assert brier <= 0.05
    # calibration: among pairs scored above 0.8, most are truly positive; below 0.2, most are not
    assert y[p > 0.8].mean() >= 0.8 and y[p < 0.2].mean() <= 0.1
