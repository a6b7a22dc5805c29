"""Tests de masterclass.data.text : découpe en mots, prose des pages MyST, découpages fixes du corpus."""

import pytest

from masterclass.data.text import book_paragraphs, prose_paragraphs, text_splits, token_splits, tokenize


def test_tokenize_french():
    assert tokenize("L’avis : c'est peut-être TRÈS bien… Non ?") == [
        "l'", "avis", ":", "c'", "est", "peut-être", "très", "bien", "…", "non", "?"]
    assert tokenize("« Le (petit) chat » — 3 fois.") == ["le", "petit", "chat", "3", "fois", "."]
    assert tokenize("") == []
    with pytest.raises(TypeError, match="chaîne"):
        tokenize(["pas", "une", "chaîne"])


def test_prose_paragraphs_drop_code_math_and_directives(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "---\njupytext: x\n---\n\n(etiquette)=\n# Titre\n\n"
        "Premier paragraphe avec une formule $x^2$ et un {term}`terme affiché <Terme (term)>` ici.\n\n"
        "```{code-cell} ipython3\nprint('code ignoré dans ce bloc')\n```\n\n"
        "```{prf:definition} Déf\nTexte de directive ignoré ici aussi.\n```\n\n"
        "Court.\n\nSecond paragraphe qui cite {cite}`shannon1948` et renvoie à {ref}`etiquette`, sur deux\n"
        "lignes.\n",
        encoding="utf-8",
    )
    got = prose_paragraphs(page)
    assert got == ["Premier paragraphe avec une formule et un terme affiché ici.",
                   "Second paragraphe qui cite et renvoie à , sur deux lignes."]


def test_splits_are_fixed_disjoint_and_deterministic():
    a, b = text_splits(), text_splits()
    assert a == b and set(a) == {"train", "validation", "test"}
    assert all(a[name] for name in a)
    paragraphs = book_paragraphs()
    book_only = text_splits(sources="livre")
    assert book_only["validation"] == paragraphs[8::10] and book_only["test"] == paragraphs[9::10]
    assert sum(len(v) for v in book_only.values()) == len(paragraphs)
    tokens = token_splits(sources="livre")
    assert tokens["test"] == [tokenize(t) for t in book_only["test"]]
    with pytest.raises(ValueError, match="sources"):
        text_splits(sources=("avis", "wikipédia"))


def test_book_prose_is_a_frozen_snapshot_that_the_extractor_can_rewrite(tmp_path):
    import json

    from masterclass.data.text import BOOK_DIR, PROSE_FILE, extract_book_prose, freeze_book_prose

    rows = [json.loads(line) for line in PROSE_FILE.read_text(encoding="utf-8").splitlines()]
    assert rows and all(set(r) == {"page", "text"} and r["page"].startswith("book/") for r in rows)
    assert book_paragraphs() == [r["text"] for r in rows]  # le corpus lit l'instantané, pas les pages du moment
    pages = [r["page"] for r in rows]
    assert pages == sorted(pages)  # ordre alphabétique des pages, fixe
    live = extract_book_prose(BOOK_DIR)
    out = freeze_book_prose(BOOK_DIR, tmp_path / "prose.jsonl")
    assert [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] == live
    assert book_paragraphs(BOOK_DIR) == [r["text"] for r in live]
    with pytest.raises(FileNotFoundError, match="book/"):
        extract_book_prose(tmp_path)
