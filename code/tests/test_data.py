"""Tests du corpus d'avis livré (masterclass.data) : sources, découpages, quasi-doublons, chargeur."""

import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from masterclass import data
from masterclass.data import (
    AVIS_DIR, DOMAINS, HELDOUT_DOMAINS, SPLITS, CorpusError, jaccard_matrix, load_reviews, load_sources,
    near_duplicates, normalize, read_jsonl, split_rows,
)


@pytest.fixture(scope="module")
def sources():
    return load_sources()


@pytest.fixture(scope="module")
def splits():
    return {name: read_jsonl(AVIS_DIR / f"{name}.jsonl") for name in SPLITS}


def test_corpus_size_and_domains(sources):
    domains = Counter(r["domain"] for r in sources)
    assert len(sources) >= 1500
    assert len(domains) >= 8
    assert set(domains) <= set(DOMAINS)
    assert all(n >= 170 for n in domains.values()), domains


def test_each_domain_is_balanced(sources):
    counts = Counter((r["domain"], r["label"]) for r in sources)
    for domain in {r["domain"] for r in sources}:
        assert counts[(domain, 0)] == counts[(domain, 1)], domain


def test_no_exact_duplicate_after_normalisation(sources):
    norms = Counter(normalize(r["text"]) for r in sources)
    assert [t for t, n in norms.items() if n > 1] == []


def test_no_templated_near_duplicates_in_whole_corpus(sources):
    pairs = near_duplicates([r["text"] for r in sources])
    described = [(sources[i]["text"], sources[j]["text"], round(w, 2), round(c, 2)) for i, j, w, c in pairs[:5]]
    assert pairs == [], described


def test_splits_are_the_sources_partitioned(sources, splits):
    key = lambda r: (r["text"], r["label"], r["domain"])  # noqa: E731
    together = sorted(key(r) for name in SPLITS for r in splits[name])
    assert together == sorted(key(r) for r in sources)


def test_no_text_shared_between_splits(splits):
    seen = {}
    for name in SPLITS:
        for row in splits[name]:
            norm = normalize(row["text"])
            assert seen.setdefault(norm, name) == name, f"« {row['text']} » dans {seen[norm]} et {name}"


def test_heldout_domains_never_in_training(splits):
    for name in ("train", "validation", "test"):
        assert not {r["domain"] for r in splits[name]} & set(HELDOUT_DOMAINS), name
    assert {r["domain"] for r in splits["test_domaines_inedits"]} == set(HELDOUT_DOMAINS)


def test_splits_are_stratified_and_balanced(splits):
    seen_domains = {r["domain"] for r in splits["train"]}
    assert len(seen_domains) >= 6
    for name in ("train", "validation", "test"):
        counts = Counter((r["domain"], r["label"]) for r in splits[name])
        assert {d for d, _ in counts} == seen_domains, name
        for domain in seen_domains:  # même effectif par étiquette à une unité près (arrondis)
            assert abs(counts[(domain, 0)] - counts[(domain, 1)]) <= 1, (name, domain)
    sizes = {name: len(splits[name]) for name in ("train", "validation", "test")}
    total = sum(sizes.values())
    assert sizes["train"] / total == pytest.approx(0.7, abs=0.02)
    assert sizes["test"] / total == pytest.approx(0.2, abs=0.02)


def test_split_files_are_reproducible(sources, splits):
    again = split_rows(sources)
    for name in SPLITS:
        assert again[name] == splits[name], name


def test_loader_returns_datasetdict():
    from datasets import DatasetDict

    dsd = load_reviews()
    assert isinstance(dsd, DatasetDict)
    assert set(dsd) == set(SPLITS)
    assert dsd["train"].features["label"].names == ["négatif", "positif"]
    assert dsd["train"].column_names == ["text", "label", "domain"]
    assert len(dsd["test"]) == len(read_jsonl(AVIS_DIR / "test.jsonl"))


def test_read_jsonl_rejects_malformed_lines(tmp_path):
    bad = tmp_path / "x.jsonl"
    bad.write_text(json.dumps({"text": "Bien.", "label": 2, "domain": "cinema"}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="0 ou 1"):
        read_jsonl(bad)
    bad.write_text(json.dumps({"text": "Bien.", "label": 1}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="champs attendus"):
        read_jsonl(bad)
    with pytest.raises(CorpusError, match="introuvable"):
        read_jsonl(tmp_path / "absent.jsonl")
    with pytest.raises(CorpusError, match="Découpages absents"):
        load_reviews(tmp_path)


def test_near_duplicate_detector_catches_templates():
    texts = [
        "Le service était rapide et le personnel très aimable, je reviendrai.",
        "Le service était lent et le personnel très aimable, je reviendrai.",  # substitution d'un mot
        "Une purge : deux heures d'ennui poli devant un scénario paresseux.",
    ]
    pairs = near_duplicates(texts)
    assert [(i, j) for i, j, _, _ in pairs] == [(0, 1)]


def test_jaccard_matrix_matches_set_formula():
    sets = [{1, 2, 3}, {2, 3, 4, 5}, set(), {9}]
    got = jaccard_matrix(sets)
    for i, a in enumerate(sets):
        for j, b in enumerate(sets):
            expected = len(a & b) / len(a | b) if a | b else 0.0
            assert got[i, j] == pytest.approx(expected, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet="abcdé ,.!", min_size=1, max_size=30), min_size=1, max_size=8))
def test_jaccard_is_symmetric_bounded_and_one_on_diagonal(texts):
    sets = [data.char_ngrams(t, 3) for t in texts]
    m = jaccard_matrix(sets)
    np.testing.assert_allclose(m, m.T, atol=1e-12)
    assert (m >= 0).all() and (m <= 1 + 1e-12).all()
    for i, s in enumerate(sets):
        assert m[i, i] == pytest.approx(1.0 if s else 0.0)
