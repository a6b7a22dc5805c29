"""Le livre tel qu'un lecteur le voit : chaque page ouverte dans Chromium (sans écran), la recherche, et la preuve
que les contrôles échouent sur une page cassée.

Le HTML de la construction de session (fixture ``built_book``) est servi sur 127.0.0.1 ; Chromium est celui de
Debian (``apt-get install chromium``), piloté par Playwright sans téléchargement de navigateur. Une capture
d'écran de chaque page est écrite dans ``tests/artefacts/captures/``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import buildbook
import pagecheck
from bookfiles import ROOT, docname, toc_entries

pytestmark = pytest.mark.browser

BROKEN_BOOK = Path(__file__).resolve().parent / "fixtures" / "livre-casse"
CAPTURES = pagecheck.ARTEFACTS / "captures"
PAGES = [docname(entry) for entry in toc_entries()]


@pytest.fixture(scope="session")
def browser():
    if not Path(pagecheck.CHROMIUM).exists():
        pytest.fail(f"{pagecheck.CHROMIUM} absent : apt-get install chromium (voir .ci/run)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = pagecheck.launch(playwright)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture(scope="session")
def site(built_book):
    assert (built_book.html_dir / "index.html").is_file(), "le livre n'a pas été construit"
    with pagecheck.serve(built_book.html_dir) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def broken_site(tmp_path_factory):
    """Le mini-livre cassé, construit sans mode strict (il produit un avertissement : l'image absente)."""
    out = tmp_path_factory.mktemp("livre-casse")
    cmd = buildbook.build_command(BROKEN_BOOK, out, strict=False)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    html = out / "_build" / "html"
    assert (html / "page.html").is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    with pagecheck.serve(html) as base_url:
        yield base_url, out


@pytest.mark.build
@pytest.mark.parametrize("page", PAGES)
def test_page_as_a_reader_sees_it(page, browser, site, built_book):
    source_rel = f"{page}.md"
    report = pagecheck.check_page(
        browser,
        site,
        f"{page}.html",
        source=pagecheck.Source.read(ROOT, source_rel),
        notebook=built_book.out_dir / "_build" / "jupyter_execute" / f"{page}.ipynb",
        expected_binder=pagecheck.binder_url(source_rel),
        screenshot=CAPTURES / f"{page.replace('/', '__')}.png",
    )
    assert not report.failed, report.summary()


def test_every_detector_fires_on_the_broken_fixture(browser, broken_site):
    """Les mêmes contrôles, sur une page cassée exprès : chaque détecteur doit signaler son défaut."""
    base_url, out = broken_site
    report = pagecheck.check_page(
        browser,
        base_url,
        "page.html",
        source=pagecheck.Source.read(BROKEN_BOOK, "page.md"),
        notebook=out / "_build" / "jupyter_execute" / "page.ipynb",
        expected_binder=pagecheck.binder_url("page.md"),
        screenshot=CAPTURES / "fixture-livre-casse.png",
    )
    silent = [name for name in pagecheck.DETECTORS if not report.defects[name]]
    assert not silent, f"détecteurs muets sur la page cassée : {silent}\n{report.summary()}"
    found = report.defects
    assert any("erreur volontaire" in item for item in found["console"]), found["console"]
    assert any("erreur TeX" in item for item in found["mathjax"]), found["mathjax"]
    assert any("\\softmaxx" in item for item in found["mathjax"]), found["mathjax"]
    assert any("$$" in item for item in found["mathjax"]), found["mathjax"]
    assert any("image-absente.png" in item for item in found["images"]), found["images"]
    assert any("example.invalid" in item for item in found["reseau"]), found["reseau"]


def _search(browser, base_url: str, word: str) -> list[str]:
    """Tape un mot dans la page de recherche comme un lecteur, et renvoie les titres des résultats."""
    page = browser.new_page()
    try:
        page.goto(base_url + "search.html", wait_until="load")
        field = page.locator('input[name="q"]:visible').first
        field.fill(word)
        field.press("Enter")
        page.wait_for_url("**/search.html?q=*")
        # La recherche Sphinx est finie quand le résumé (nombre de pages trouvées) est affiché.
        page.wait_for_function(
            "() => { const p = document.querySelector('#search-results .search-summary');"
            " return p && p.textContent.trim().length > 0; }",
            timeout=30000,
        )
        return page.eval_on_selector_all(
            "#search-results ul.search li a", "links => links.map(a => a.textContent.trim())"
        )
    finally:
        page.close()


@pytest.mark.build
@pytest.mark.parametrize("word, page_title", [("matrice", "Notations"), ("jetons", "Masterclass")])
def test_search_finds_french_words(browser, site, word, page_title):
    titles = _search(browser, site, word)
    assert titles, f"aucun résultat pour « {word} »"
    assert any(title.startswith(page_title) for title in titles), titles


@pytest.mark.build
def test_search_can_come_back_empty(browser, site):
    """Le test précédent peut échouer : un mot absent du livre ne donne aucun résultat."""
    assert _search(browser, site, "zyxwvutsrq") == []
