"""Le livre se construit strictement, hors ligne, et le HTML contient ce qu'un lecteur doit voir."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.build


def test_strict_build_has_no_warning_and_no_cell_error(built_book):
    assert built_book.warnings == [], "\n".join(built_book.warnings[:50])
    assert built_book.returncode == 0, built_book.log[-5000:]


def test_intro_is_french_and_shows_executed_tokenisation(built_book):
    html = (built_book.html_dir / "book" / "intro.html").read_text(encoding="utf-8")
    assert re.search(r'<html[^>]*\blang="fr"', html)
    # Sortie exécutée de la cellule de tokenisation : les morceaux WordPiece de « délicieuse ».
    assert "&#39;##ici&#39;" in html or "'##ici'" in html
    assert "mots → " in html


def test_mathjax_is_served_by_the_book(built_book):
    html = (built_book.html_dir / "book" / "notation.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script[^>]+src="([^"]*mathjax[^"]*)"', html, flags=re.I)
    assert scripts, "aucun script MathJax dans la page"
    for src in scripts:
        assert not src.startswith(("http:", "https:", "//")), src
        assert (built_book.html_dir / "book" / src).resolve().is_file(), src


def test_binder_launch_button_targets_main_branch(built_book):
    html = (built_book.html_dir / "book" / "guide.html").read_text(encoding="utf-8")
    links = re.findall(r'href="(https://mybinder\.org/v2/gh/[^"]+)"', html)
    assert links, "pas de bouton Binder"
    assert all("/main?" in link and "urlpath=lab/tree/book/guide.md" in link for link in links), links


def test_only_the_known_kernel_shutdown_race_is_ignored():
    """La trace d'arrêt d'ipykernel (ZMQError) est ignorée ; toute autre trace ou avertissement reste compté."""
    from pathlib import Path

    from buildbook import BuildResult

    race = [
        "ERROR:tornado.general:Uncaught exception in ZMQStream callback",
        "Traceback (most recent call last):",
        '  File "zmq/backend/cython/_zmq.py", line 190, in zmq.backend.cython._zmq._check_rc',
        "zmq.error.ZMQError: Socket operation on non-socket",
    ]
    warning = "book/page.md:3: WARNING: undefined label: 'x'"
    assert BuildResult(0, "\n".join(race + [warning]), Path(".")).warnings == [warning]
    other = race[:-1] + ["RuntimeError: autre chose"]
    assert BuildResult(0, "\n".join(other), Path(".")).warnings == [race[0]]
