import re

from conftest import REPO

from qis_match.taxonomy import CATEGORY_CODES, load_taxonomy
from qis_match.text.tokenize import CODE_RE


def test_taxonomy_has_the_eight_stable_codes_with_content():
    tax = load_taxonomy()
    assert tuple(c.code for c in tax.categories) == CATEGORY_CODES
    for c in tax.categories:
        assert c.name and c.description and len(c.synonyms) >= 10, c.code
        assert len(c.sub_services) >= 5, c.code
        for s in c.sub_services:
            assert s.code.startswith(c.code + ".") and s.name and s.description and s.synonyms, (
                s.code
            )
    codes = [s for s in tax.sub_services]
    assert len(codes) == len(set(codes))


def test_taxonomy_covers_the_seed_extensions():
    subs = load_taxonomy().sub_services
    for code in (
        "other.article_coding",
        "other.special_equipment",
        "testing.instrument_sharing",
        "other.tech_transfer",
        "other.clinical_trial",
        "other.traceability",
        "other.credit",
    ):
        assert code in subs


def test_keywords_are_unambiguous():
    kw = load_taxonomy().keywords()
    assert kw["CCC"] == "certification" if "CCC" in kw else True
    assert len(kw) > 300
    assert set(kw.values()) == set(CATEGORY_CODES)


def test_lexicon_size_and_jieba_format():
    terms = (REPO / "data/lexicon/qi_terms.tsv").read_text(encoding="utf-8").splitlines()[1:]
    words = {t.split("\t")[0] for t in terms if t.strip()}
    assert len(words) >= 1500
    assert not [
        w for w in words if CODE_RE.fullmatch(w)
    ]  # codes are protected by the tokenizer instead
    dict_lines = (REPO / "data/lexicon/jieba_dict.txt").read_text(encoding="utf-8").splitlines()
    assert len(dict_lines) >= len(words)
    for line in dict_lines:
        parts = line.split(" ")
        assert len(parts) in (2, 3) and parts[1].isdigit(), line
    dict_words = {line.split(" ")[0] for line in dict_lines}
    assert {w for w in words if " " not in w} <= dict_words
    assert not [w for w in dict_words if re.search(r"\s", w)]


def test_training_set_is_disjoint_from_every_eval_set_and_covers_every_sub_service():
    from qis_match.evaluation import read_labelled
    from qis_match.text.normalize import normalize_text
    from qis_match.understanding.training import sub_service_coverage, training_examples

    examples = training_examples()
    requests = [e for e in examples if e.source != "taxonomy"]
    assert len(requests) >= 600
    dev = {
        normalize_text(r.text)
        for f in sorted((REPO / "data/eval").glob("*.tsv"))
        if not f.name.startswith("pii")
        for r in read_labelled(f)
    }
    assert not [e.source for e in requests if e.text in dev]
    coverage = sub_service_coverage(examples, load_taxonomy())
    assert min(coverage.values()) >= 5, {k: v for k, v in coverage.items() if v < 5}
    assert {c for e in requests for c in e.categories} == set(CATEGORY_CODES)
    assert sum(not e.categories for e in requests) >= 50  # non-QI requests to learn abstention from
