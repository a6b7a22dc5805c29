"""Deux constructions propres donnent les mêmes sorties texte, cellule par cellule (``tests/compare_builds.py``).

Pour rester raisonnable, le test compare la construction complète de la session à une seconde construction,
propre, d'un petit sous-ensemble de pages (``SUBSET``). La comparaison du livre entier se lance à la main :

    python tests/buildbook.py --out /tmp/livre-a && python tests/buildbook.py --out /tmp/livre-b
    python tests/compare_builds.py /tmp/livre-a /tmp/livre-b
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

import buildbook
import compare_builds

# Pages reconstruites une seconde fois : l'accueil et le guide exécutent le vrai modèle pré-entraîné.
SUBSET = ["book/intro.md", "book/guide.md"]


@pytest.mark.build
def test_two_clean_builds_give_identical_cell_outputs(built_book, tmp_path):
    # Sous-ensemble : les renvois vers les pages absentes ne se résolvent pas ; on construit sans -W et l'on refuse
    # tout autre avertissement (une cellule en erreur arrête de toute façon la construction : raise_on_error).
    second = buildbook.build(tmp_path / "seconde", SUBSET, strict=False)
    assert second.returncode == 0, "\n".join(second.warnings) or second.log[-3000:]
    unexpected = [w for w in second.warnings if not re.search(r"undefined label|reference target not found", w)]
    assert not unexpected, "\n".join(unexpected)
    problems, compared = compare_builds.compare(built_book.out_dir, second.out_dir, common_only=True)
    assert not problems, "\n\n".join(problems)
    assert compared >= 3, f"seulement {compared} cellule(s) comparée(s)"


def _fake_build(root, page: str, outputs: list[str]):
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": "",
             "outputs": [{"output_type": "stream", "name": "stdout", "text": t}]}
            for t in outputs
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    path = root / "_build" / "jupyter_execute" / page.replace(".md", ".ipynb")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


@pytest.mark.build
def test_comparison_detects_a_changed_output(built_book, tmp_path):
    """Le contrôle peut échouer : une sortie modifiée dans une copie d'une vraie construction est signalée."""
    source = built_book.out_dir / "_build" / "jupyter_execute"
    copy = tmp_path / "copie"
    shutil.copytree(source, copy / "_build" / "jupyter_execute")
    intro = copy / "_build" / "jupyter_execute" / "book" / "intro.ipynb"
    nb = json.loads(intro.read_text())
    stdout = next(
        o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []) if o.get("name") == "stdout"
    )
    stdout["text"] = "sortie différente, 12:03:59\n"
    intro.write_text(json.dumps(nb))
    problems, _ = compare_builds.compare(built_book.out_dir, copy, exclusions={})
    assert len(problems) == 1 and problems[0].startswith("book/intro.md#1 : sorties différentes"), problems


def test_exclusions_are_honoured_and_cannot_go_stale(tmp_path):
    _fake_build(tmp_path / "a", "book/x.md", ["même\n", "durée : 1.2 s\n"])
    _fake_build(tmp_path / "b", "book/x.md", ["même\n", "durée : 1.5 s\n"])
    problems, _ = compare_builds.compare(tmp_path / "a", tmp_path / "b", exclusions={})
    assert [p.split(" :")[0] for p in problems] == ["book/x.md#2"]
    timing = {"book/x.md#2": "chronométrage"}
    problems, compared = compare_builds.compare(tmp_path / "a", tmp_path / "b", exclusions=timing)
    assert problems == [] and compared == 1
    stale = {**timing, "book/x.md#9": "vieille"}
    problems, _ = compare_builds.compare(tmp_path / "a", tmp_path / "b", exclusions=stale)
    assert problems == ["book/x.md#9 : exclusion qui ne correspond à aucune cellule (vieille)"]
    # Les adresses mémoire ne comptent pas comme des différences.
    _fake_build(tmp_path / "c", "book/y.md", ["<Figure at 0x7f3a2b1c0d90>\n"])
    _fake_build(tmp_path / "d", "book/y.md", ["<Figure at 0x7f99aa11bb22>\n"])
    assert compare_builds.compare(tmp_path / "c", tmp_path / "d", exclusions={}) == ([], 1)


def test_exclusion_file_is_well_formed(tmp_path):
    compare_builds.read_exclusions()  # le vrai fichier : chaque ligne a une raison
    bad = tmp_path / "exclusions.txt"
    bad.write_text("book/x.md#2\n")
    with pytest.raises(ValueError, match="raison"):
        compare_builds.read_exclusions(bad)
