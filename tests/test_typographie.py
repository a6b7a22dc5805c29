"""Typographie française du HTML : espaces insécables avant ``; : ? ! %`` et dans les guillemets, apostrophe ’.

La transformation est ``_ext/typographie_fr.py`` (la convention y est écrite). Trois niveaux de preuve : la fonction
sur des chaînes (cas limites compris : heures, rapports, adresses, émoticônes, « ?! », maths), un petit arbre docutils
dont le code et les formules ne doivent pas bouger, et le HTML du livre construit (marqué ``build``).
"""

from __future__ import annotations

import re
import sys

import pytest
from docutils import nodes
from hypothesis import given
from hypothesis import strategies as st

from bookfiles import ROOT

sys.path.insert(0, str(ROOT / "_ext"))

from typographie_fr import APOSTROPHE, FINE, INSECABLE, franciser, franciser_arbre  # noqa: E402 - chemin ci-dessus

F, N = FINE, INSECABLE


@pytest.mark.parametrize(
    ("texte", "attendu"),
    [
        # espace ordinaire rendue insécable
        ("Note : voici", f"Note{N}: voici"),
        ("Quoi ? Oui ! Et ; puis", f"Quoi{F}? Oui{F}! Et{F}; puis"),
        ("une précision de 3 %", f"une précision de 3{N}%"),
        ("« attention »", f"«{F}attention{F}»"),
        ("la ligne\n: suite", f"la ligne{N}: suite"),  # retour à la ligne de la source
        ("deux  espaces  :", f"deux  espaces{N}:"),
        # espace ajoutée quand elle manque
        ("Note: voici", f"Note{N}: voici"),
        ("Exemple:", f"Exemple{N}:"),
        ("Quoi?", f"Quoi{F}?"),
        ("Vraiment?!", f"Vraiment{F}?!"),
        ("Vraiment ?!", f"Vraiment{F}?!"),
        ("(vraiment ?)", f"(vraiment{F}?)"),
        ("5%", f"5{N}%"),
        ("«mot»", f"«{F}mot{F}»"),
        # début et fin d'un nœud : le rôle ou le code voisin est dans un autre nœud
        (" ?", f"{F}?"),
        (" :", f"{N}:"),
        ("»", f"{F}»"),
        ("«", f"«{F}"),
        ("voir ", "voir "),
        # apostrophe
        ("l'attention d'aujourd'hui", f"l{APOSTROPHE}attention d{APOSTROPHE}aujourd{APOSTROPHE}hui"),
        ("l'« attention »", f"l{APOSTROPHE}«{F}attention{F}»"),
        ("voir l'", f"voir l{APOSTROPHE}"),  # élision devant un rôle : « l'{term}`attention` »
        ("jusqu'", f"jusqu{APOSTROPHE}"),
        ("pourquoi l\u201d", f"pourquoi l{APOSTROPHE}"),  # « l' » devant un rôle, mal converti par SmartQuotes
        ("'s attention", f"{APOSTROPHE}s attention"),  # « BERT's » quand « BERT » est un autre nœud
        ("il dit 'oui'", "il dit 'oui'"),  # guillemets droits anglais : laissés tels quels
        # intouchables
        ("à 10:30", "à 10:30"),
        ("un rapport 1:2", "un rapport 1:2"),
        ("https://example.org/a?q=1&b=2", "https://example.org/a?q=1&b=2"),
        ("merci :-) et ;)", "merci :-) et ;)"),
        ("3! = 6", "3! = 6"),
        ("f'(x)", "f'(x)"),
        ("déjà\u00a0: bon", "déjà\u00a0: bon"),
        ("", ""),
    ],
)
def test_franciser(texte, attendu):
    assert franciser(texte) == attendu


def test_franciser_without_insertion_only_fixes_existing_spaces():
    """Dans l'italique (termes et titres anglais), rien n'est ajouté : « GLUE: A » reste, « foo ? » est corrigé."""
    assert franciser("GLUE: A Benchmark", inserer=False) == "GLUE: A Benchmark"
    assert franciser("Why?", inserer=False) == "Why?"
    assert franciser("pourquoi ?", inserer=False) == f"pourquoi{F}?"


@given(st.text(alphabet=st.sampled_from(list("ab1 :;?!%«»'\n-)(/.")), max_size=40))
def test_franciser_is_idempotent_and_only_changes_spaces(texte):
    once = franciser(texte)
    assert franciser(once) == once
    # Seuls des espaces changent (ajoutées, remplacées, fusionnées) et l'apostrophe droite devient ’.
    squeeze = re.compile(r"[ \t\r\n\u2009\u00a0\u202f]+")
    assert squeeze.sub("", once).replace(APOSTROPHE, "'") == squeeze.sub("", texte)
    # Aucune espace ordinaire ne reste devant un signe double ni contre un guillemet.
    assert not re.search(r"[ \n](?=[?!%»])|«[ \n]", once)


def _paragraph() -> nodes.paragraph:
    """« Note : la fonction `a : b ?` renvoie $x : y$ ; *GLUE: A* l'« attention » ? »"""
    return nodes.paragraph(
        "",
        "",
        nodes.Text("Note : la fonction "),
        nodes.literal("a : b ?", "a : b ?"),
        nodes.Text(" renvoie "),
        nodes.math("x : y", "x : y"),
        nodes.Text(" ; "),
        nodes.emphasis("", "GLUE: A benchmark ?"),
        nodes.Text(" l'« attention » ?"),
        nodes.literal_block("d = {'a' : 1} ; print(d)", "d = {'a' : 1} ; print(d)"),
        nodes.reference("", "https://example.org/?q=1 :", refuri="https://example.org/?q=1 :"),
        nodes.inline("", "91 %", classes=["pasted-text"]),
    )


def test_doctree_prose_is_fixed_and_code_math_urls_are_untouched():
    document = nodes.section("", _paragraph())
    changed = franciser_arbre(document)
    children = document[0].children
    assert children[0].astext() == f"Note{N}: la fonction "
    assert children[1].astext() == "a : b ?"  # code en ligne
    assert children[3].astext() == "x : y"  # formule
    assert children[4].astext() == f"{F}; "  # texte qui suit un nœud de formule
    assert children[5].astext() == f"GLUE: A benchmark{F}?"  # italique : espace existante corrigée, rien d'ajouté
    assert children[6].astext() == f" l{APOSTROPHE}«{F}attention{F}»{F}?"
    assert children[7].astext() == "d = {'a' : 1} ; print(d)"  # bloc de code
    assert children[8].astext() == "https://example.org/?q=1 :"  # adresse
    assert children[9].astext() == "91 %"  # valeur collée par glue
    assert changed == 4
    assert all(child.parent is document[0] for child in children)
    assert franciser_arbre(document) == 0  # idempotent


def test_doctree_identical_text_nodes_are_each_replaced():
    """Deux nœuds Text égaux (« ? » après deux rôles) : chacun est remplacé, pas deux fois le premier."""
    paragraph = nodes.paragraph("", "", nodes.Text(" ?"), nodes.literal("x", "x"), nodes.Text(" ?"))
    franciser_arbre(paragraph)
    assert [c.astext() for c in paragraph.children] == [f"{F}?", "x", f"{F}?"]


def test_page_title_keeps_non_breaking_spaces_through_striptags():
    """Le gabarit écrit ``{{ title|striptags|e }}`` ; sans le crochet, l'espace insécable y redevient ordinaire."""
    from types import SimpleNamespace

    from markupsafe import Markup
    from typographie_fr import _keep_spaces_in_title

    app = SimpleNamespace(config=SimpleNamespace(language="fr"), builder=SimpleNamespace(format="html"))
    title = f"Intuition{N}: pourquoi{F}?"
    assert Markup(title).striptags() == "Intuition : pourquoi ?"  # le défaut corrigé
    context = {"title": title}
    _keep_spaces_in_title(app, "page", "page.html", context, None)
    assert Markup(context["title"]).striptags() == title


def test_extension_is_registered_in_config():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["local_extensions"].get("typographie_fr") == "_ext/"
    assert config["sphinx"]["config"]["language"] == "fr"


# --- HTML du livre construit -------------------------------------------------------------------------------------

#: Une espace ordinaire (ou un retour à la ligne) devant ``; : ? ! % »`` ou après ``«`` ; ou une élision devant un
#: lien changée en guillemet anglais par SmartQuotes (« l” »).
BAD_SPACE = re.compile(r"[ \t\n](?=[;:?!%»])|«[ \t\n]|(?<![^\W\d_])(?:[cdjlmnst]|qu)\u201d", re.I)
#: Ce qui n'est pas de la prose : code, scripts, formules MathJax, valeurs collées, sorties texte et HTML brut des
#: cellules (tableaux pandas…), que l'extension ne touche pas.
NOT_PROSE = "code, pre, script, style, .math, mjx-container, .pasted-text, .text_plain, .text_html, kbd"


def typography_errors(html: str, page: str) -> list[str]:
    """Les espaces ordinaires mal placées dans le texte visible d'une page HTML (article, navigation, titre), avec
    leur contexte."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for node in soup.select(NOT_PROSE):
        node.decompose()
    errors = []
    for string in soup.find_all(string=True):
        if string.parent is not None and string.parent.name in ("script", "style", "[document]"):
            continue
        text = str(string)
        for match in BAD_SPACE.finditer(text):
            context = text[max(0, match.start() - 30) : match.end() + 30].replace("\n", " ").strip()
            errors.append(f"{page} : « {context} »")
    return errors


def test_checker_reports_ordinary_spaces_and_ignores_code_and_math():
    html = (
        "<html><body><article><p>Note : bien<code>a : b</code>"
        '<span class="math notranslate">\\(x : y\\)</span> « ok\u202f» 3\u00a0%</p></article></body></html>'
    )
    errors = typography_errors(html, "page.html")
    assert errors == ["page.html : « Note : bien »", "page.html : « « ok\u202f» 3\u00a0% »"]  # « ok : espace ordinaire
    elision = "<p>pourquoi l\u201d<a href='#'>attention</a></p>"  # SmartQuotes devant un lien
    assert typography_errors(elision, "p.html") == ["p.html : « pourquoi l\u201d »"]


@pytest.mark.build
def test_built_html_has_french_non_breaking_spaces(built_book):
    pages = sorted(
        p for p in built_book.html_dir.rglob("*.html")
        if not any(part.startswith("_") for part in p.relative_to(built_book.html_dir).parts)
        and p.name not in {"search.html", "genindex.html"}
    )
    assert pages, "aucune page HTML"
    errors = []
    for page in pages:
        errors += typography_errors(page.read_text(encoding="utf-8"), page.relative_to(built_book.html_dir).as_posix())
    message = f"{len(errors)} défaut(s) typographique(s) (espace ordinaire, élision « l” ») :\n"
    assert not errors, message + "\n".join(errors[:80])
