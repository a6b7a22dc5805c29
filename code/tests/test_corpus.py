"""Tests du corpus d'avis livré (masterclass.data.corpus) : sources, découpages dérivés, quasi-doublons, chargeur."""

import hashlib
import json
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from masterclass.data.corpus import (
    AVIS_DIR,
    AVIS_EN_DIR,
    DOMAINS,
    HELDOUT_DOMAINS,
    SPLITS,
    CorpusError,
    char_ngrams,
    jaccard_matrix,
    load_reviews,
    load_sources,
    load_splits,
    near_duplicates,
    normalize,
    read_jsonl,
    split_rows,
    translate_splits,
    write_jsonl,
)

#: Empreintes SHA-256 des découpages (graine 0) écrits au format de write_jsonl : ce sont celles des fichiers
#: train.jsonl… livrés avant que les découpages ne soient dérivés au chargement. Le modèle affiné du livre et tous
#: ses nombres en dépendent : une correction des sources les change, et ces empreintes avec.
SPLIT_SHA256 = {
    "train": "efe6906afa95e781b3da970ccea7a37259059d7ae843ab8a70d2a8e001768f93",
    "validation": "e7c9b7b56a0d9071223b8550a1cab21339f3317980721f12c1005b8c65bb0668",
    "test": "3dd09cde1cc9b91a1a388c4d79b76157731551e5130d449a8de2945069942761",
    "test_domaines_inedits": "edd73322e5bbb35db0ecded560567e694fd62fce7c3b4ea743195f8404546474",
}


def key(row):
    return (row["text"], row["label"], row["domain"])


@pytest.fixture(scope="module")
def sources():
    return load_sources()


@pytest.fixture(scope="module")
def splits():
    return load_splits()


def write_sources(directory, rows_by_domain):
    directory.mkdir(parents=True, exist_ok=True)
    for domain, rows in rows_by_domain.items():
        write_jsonl(rows, directory / f"{domain}.jsonl")
    return directory


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
    assert set(splits) == set(SPLITS)
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


def test_splits_match_the_formerly_shipped_files(splits, tmp_path):
    for name in SPLITS:  # les identifiants, ajoutés ensuite, n'ont changé ni les avis ni leur ordre
        write_jsonl([{k: v for k, v in r.items() if k != "id"} for r in splits[name]], tmp_path / f"{name}.jsonl")
        digest = hashlib.sha256((tmp_path / f"{name}.jsonl").read_bytes()).hexdigest()
        assert digest == SPLIT_SHA256[name], (
            f"{name} : empreinte attendue {SPLIT_SHA256[name]}, obtenue {digest} (sources ou split_rows modifiés ?)"
        )


def test_derivation_is_deterministic(sources, splits):
    assert load_splits() == splits  # mêmes avis, même ordre
    shuffled = list(sources)
    random.Random(1).shuffle(shuffled)
    assert split_rows(shuffled) == splits  # l'ordre des lignes lues ne compte pas


def test_another_seed_changes_the_splits_not_the_partition(sources, splits):
    other = load_splits(seed=1)
    assert other != splits
    assert [key(r) for r in other["train"]] != [key(r) for r in splits["train"]]
    assert {key(r) for r in other["train"]} != {key(r) for r in splits["train"]}  # pas seulement l'ordre
    assert other["test_domaines_inedits"] == splits["test_domaines_inedits"]
    for name in SPLITS:
        assert len(other[name]) == len(splits[name]), name
        assert Counter((r["domain"], r["label"]) for r in other[name]) == Counter(
            (r["domain"], r["label"]) for r in splits[name]
        ), name
    together = sorted(key(r) for name in SPLITS for r in other[name])
    assert together == sorted(key(r) for r in sources)


def test_load_splits_reads_a_given_sources_directory(tmp_path):
    rows = {
        domain: [{"text": f"Avis {label} numéro {i} sur {domain}.", "label": label, "domain": domain}
                 for label in (0, 1) for i in range(10)]
        for domain in ("cinema", "livres", "formations")
    }
    got = load_splits(write_sources(tmp_path / "sources", rows))
    assert [len(got[name]) for name in SPLITS] == [28, 4, 8, 20]
    assert {r["domain"] for r in got["test_domaines_inedits"]} == {"formations"}


def test_loader_returns_datasetdict_equal_to_the_derived_splits(splits):
    from datasets import DatasetDict

    dsd = load_reviews()
    assert isinstance(dsd, DatasetDict)
    assert list(dsd) == list(SPLITS)
    assert dsd["train"].features["label"].names == ["négatif", "positif"]
    assert dsd["train"].column_names == ["id", "text", "label", "domain"]
    for name in SPLITS:
        assert dsd[name].to_list() == splits[name], name


def test_loader_reads_a_readers_directory(splits, tmp_path):
    for name in ("train", "validation", "test"):
        write_jsonl(splits[name][:20], tmp_path / f"{name}.jsonl")
    dsd = load_reviews(tmp_path)
    assert list(dsd) == ["train", "validation", "test"]  # test_domaines_inedits est facultatif
    assert dsd["validation"].to_list() == splits["validation"][:20]
    assert dsd["test"].features["label"].names == ["négatif", "positif"]


def test_read_jsonl_rejects_malformed_lines(tmp_path):
    bad = tmp_path / "x.jsonl"
    bad.write_text(json.dumps({"text": "Bien.", "label": 2, "domain": "cinema"}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="0 ou 1"):
        read_jsonl(bad)
    bad.write_text(json.dumps({"text": "Bien.", "label": 1}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="champs attendus"):
        read_jsonl(bad)
    bad.write_text(json.dumps({"id": "", "text": "Bien.", "label": 1, "domain": "cinema"}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="« id » doit être une chaîne non vide"):
        read_jsonl(bad)
    bad.write_text('{"text": "Bien.", "label": 1,\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="JSON invalide"):
        read_jsonl(bad)
    with pytest.raises(CorpusError, match="introuvable"):
        read_jsonl(tmp_path / "absent.jsonl")


def test_malformed_sources_and_directories_are_refused(tmp_path):
    with pytest.raises(CorpusError, match="Aucun fichier"):
        load_sources(tmp_path)
    with pytest.raises(CorpusError, match="Aucun fichier"):
        load_splits(tmp_path)
    write_sources(tmp_path / "src", {"cinema": [{"text": "Un navet.", "label": 0, "domain": "livres"}]})
    with pytest.raises(CorpusError, match="domaine « livres » dans le fichier du domaine « cinema »"):
        load_sources(tmp_path / "src")
    with pytest.raises(CorpusError, match="Découpages absents"):
        load_reviews(tmp_path)
    with pytest.raises(CorpusError, match="introuvable"):
        load_reviews(tmp_path / "absent")


def test_split_rows_rejects_bad_fractions(sources):
    with pytest.raises(ValueError, match="somme 1"):
        split_rows(sources, fractions=(0.8, 0.1, 0.2))


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
    sets = [char_ngrams(t, 3) for t in texts]
    m = jaccard_matrix(sets)
    np.testing.assert_allclose(m, m.T, atol=1e-12)
    assert (m >= 0).all() and (m <= 1 + 1e-12).all()
    for i, s in enumerate(sets):
        assert m[i, i] == pytest.approx(1.0 if s else 0.0)


# --- Identifiants et traduction anglaise ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def english():
    return load_sources(AVIS_EN_DIR)


def test_shipped_reviews_have_stable_ids_in_file_order(sources):
    for domain in DOMAINS:
        rows = read_jsonl(AVIS_DIR / f"{domain}.jsonl")
        assert [r["id"] for r in rows] == [f"{domain}-{k:03d}" for k in range(1, len(rows) + 1)], domain


def test_duplicate_ids_are_refused(tmp_path):
    row = {"id": "cinema-001", "text": "Un navet.", "label": 0, "domain": "cinema"}
    write_sources(tmp_path, {"cinema": [row, dict(row, text="Un chef-d'œuvre.", label=1)]})
    with pytest.raises(CorpusError, match="« cinema-001 » en double"):
        load_sources(tmp_path)


def test_english_translation_has_the_same_ids_labels_and_domains(sources, english):
    assert sorted(p.name for p in AVIS_EN_DIR.iterdir()) == sorted(p.name for p in AVIS_DIR.iterdir())
    assert [(r["id"], r["label"], r["domain"]) for r in english] == [(r["id"], r["label"], r["domain"])
                                                                     for r in sources]
    assert all(e["text"] != f["text"] for e, f in zip(english, sources, strict=True))


def test_english_splits_are_the_french_splits_id_by_id(splits):
    en = load_splits(language="en")
    for name in SPLITS:
        assert [r["id"] for r in en[name]] == [r["id"] for r in splits[name]], name
        assert [r["label"] for r in en[name]] == [r["label"] for r in splits[name]], name
    dsd = load_reviews(language="en")
    assert dsd["test"]["id"] == [r["id"] for r in splits["test"]]
    assert dsd["test"]["text"] == [r["text"] for r in en["test"]]


def test_english_texts_have_no_near_duplicates_within_or_across_splits(english):
    pairs = near_duplicates([r["text"] for r in english])
    assert pairs == [], [(english[i]["id"], english[j]["id"]) for i, j, _, _ in pairs[:5]]
    assert len({normalize(r["text"]) for r in english}) == len(english)


FRENCH_WORDS = {"le", "la", "les", "des", "est", "une", "avec", "pour", "dans", "mais", "très", "je", "nous",
                "vous", "pas", "sur", "qui", "que", "du", "aux", "c'est", "j'ai"}
ENGLISH_WORDS = {"the", "and", "is", "was", "it", "i", "to", "a", "of", "not", "this", "for", "my", "but", "in",
                 "with", "you", "we", "on", "at", "no", "so"}


def test_english_texts_read_as_english_and_keep_the_length(sources, english):
    def words(text):
        return normalize(text.replace("'", " ")).split()

    english_hits = sum(bool(set(words(r["text"])) & ENGLISH_WORDS) for r in english)
    french_hits = [r["id"] for r in english if len(set(words(r["text"])) & FRENCH_WORDS) >= 2]
    assert english_hits / len(english) > 0.97  # presque chaque avis contient un mot outil anglais
    assert len(french_hits) <= 5, french_hits  # noms propres mis à part, pas de phrase française restée
    ratios = np.array([len(e["text"].split()) / len(f["text"].split()) for e, f in zip(english, sources,
                                                                                      strict=True)])
    assert 0.9 < np.median(ratios) < 1.4  # une traduction, pas un résumé ni une glose
    assert ratios.min() >= 0.5 and ratios.max() <= 1.8


def test_translate_splits_refuses_missing_extra_or_relabelled_reviews():
    splits = {"train": [{"id": "a", "text": "Bien.", "label": 1, "domain": "cinema"}]}
    good = [{"id": "a", "text": "Good.", "label": 1, "domain": "cinema"}]
    assert translate_splits(splits, good) == {"train": good}
    with pytest.raises(CorpusError, match="sans traduction"):
        translate_splits(splits, [dict(good[0], id="b")])
    with pytest.raises(CorpusError, match="étiquette ou domaine"):
        translate_splits(splits, [dict(good[0], label=0)])
    with pytest.raises(CorpusError, match="absents des découpages"):
        translate_splits(splits, good + [dict(good[0], id="c")])
    with pytest.raises(ValueError, match="language"):
        load_splits(language="de")
    with pytest.raises(ValueError, match="corpus livré"):
        load_reviews("/tmp", language="en")
