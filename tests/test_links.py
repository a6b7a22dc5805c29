"""Aucun lien ni ancre interne cassé dans le HTML construit ; les liens externes sont listés, jamais chargés."""

from __future__ import annotations

import pytest

import linkcheck
import pagecheck


@pytest.mark.build
def test_no_broken_internal_link_or_anchor(built_book):
    report = linkcheck.check_links(built_book.html_dir)
    pagecheck.ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (pagecheck.ARTEFACTS / "liens-externes.md").write_text(report.external_markdown(), encoding="utf-8")
    assert report.checked > 100, "trop peu de liens internes : le HTML est-il complet ?"
    assert not report.broken, "\n".join(report.broken[:50])


def test_link_checker_detects_broken_links_and_anchors(tmp_path):
    """Le contrôle peut échouer : fichier absent, ancre absente (même page ou autre page), sortie du livre."""
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "a.html").write_text(
        '<html><body><h1 id="haut">A</h1>'
        '<a href="b.html#section">bon</a> <a href="#haut">bon</a> <a href="b.html#nulle-part">ancre absente</a>'
        '<a href="#absente">ancre absente ici</a> <a href="c.html">page absente</a> <img src="../_images/x.png">'
        '<a href="../../ailleurs.html">hors du livre</a> <a href="https://example.org/x">externe</a>'
        "</body></html>"
    )
    (tmp_path / "book" / "b.html").write_text('<html><body><section id="section">B</section></body></html>')
    report = linkcheck.check_links(tmp_path)
    broken = "\n".join(report.broken)
    assert len(report.broken) == 5, broken
    for target in ("b.html#nulle-part", "#absente", "c.html", "../_images/x.png", "../../ailleurs.html"):
        assert f"→ {target} " in broken, (target, broken)
    assert dict(report.external) == {"https://example.org/x": {"book/a.html"}}
