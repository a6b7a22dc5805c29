"""Orthographe de la prose du livre : chaque page de ``book/`` passe le vérificateur ``tests/spelling.py``
(``hunspell -d fr_FR``, et ``en_US`` pour l'italique), avec la liste de mots relue ``book/mots.txt`` ; et la preuve
que le vérificateur signale une faute sans signaler le code, les maths ni les URL.

Pour voir les mots inconnus d'une page : ``python tests/spelling.py book/intro.md``.
"""

from __future__ import annotations

import pytest

from bookfiles import ROOT, book_pages
from spelling import extract_prose, hunspell_available, hunspell_unknown, misspelled, read_word_list

PAGES = book_pages()

needs_hunspell = pytest.mark.skipif(
    not hunspell_available(),
    reason="hunspell, hunspell-fr ou hunspell-en-us absent "
    "(apt-get install hunspell hunspell-fr hunspell-en-us, voir .ci/run)",
)


@needs_hunspell
@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_prose_is_spelled_correctly(page):
    errors = misspelled(page, set(read_word_list()))
    assert not errors, (
        "mots inconnus (corriger le texte, ou ajouter un terme technique ou anglais à book/mots.txt) :\n"
        + "\n".join(errors)
    )


@needs_hunspell
def test_word_list_is_reviewed():
    """La liste ne contient ni doublon ni mot que le dictionnaire connaît déjà (elle ne doit pas gonfler)."""
    words = read_word_list()
    assert len(words) == len(set(words)), sorted({w for w in words if words.count(w) > 1})
    known = set(words) - hunspell_unknown("\n".join(words))
    assert not known, f"mots déjà connus de hunspell fr_FR, à retirer de book/mots.txt : {sorted(known)}"


@needs_hunspell
def test_checker_flags_mistakes_but_not_code_maths_or_urls(tmp_path):
    """Le contrôle peut échouer : une faute dans la prose est signalée ; le code, les maths, les URL ne le sont pas."""
    sample = (
        "---\nkernelspec:\n  name: python3\n---\n(une-ancre)=\n# Titre\n\n"
        "Le mecanisme d'atention calcule une moyenne pondérée $\\mathrm{softmaxxx}(x)$ (voir {cite}`clefinconnue`).\n\n"
        "```{code-cell} ipython3\nvariablebizarre = 1\n```\n\n"
        "Voir https://exemple.org/cheminbizarre et `codebizarre`, {ref}`la section <cibleinconnue>`.\n"
    )
    text = extract_prose(sample)
    hidden_words = (
        "softmaxxx", "clefinconnue", "variablebizarre", "cheminbizarre", "codebizarre", "cibleinconnue", "kernelspec",
        "une-ancre",
    )
    for hidden in hidden_words:
        assert hidden not in text, hidden
    assert "la section" in text
    assert hunspell_unknown(text) == {"mecanisme", "d'atention"}
    page = tmp_path / "book" / "essai.md"
    page.parent.mkdir()
    page.write_text(sample, encoding="utf-8")
    errors = misspelled(page, set(), root=tmp_path)
    assert errors == ["book/essai.md:8: d'atention", "book/essai.md:8: mecanisme"], errors
    assert misspelled(page, {"mecanisme", "atention"}, root=tmp_path) == []

