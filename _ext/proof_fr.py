"""Extension Sphinx locale : les démonstrations commencent par « Démonstration. » et non par « Proof. ».

sphinx-proof 0.4 écrit en dur « Proof. » en tête de chaque ``{prf:proof}``, quelle que soit la langue du livre.
Les pages écrivent elles-mêmes « Démonstration. » : le préfixe anglais est retiré, et ajouté en français si la
page ne l'a pas écrit. Vérifié par ``tests/test_browser.py`` (aucun « Proof. » visible dans une page).
"""

from __future__ import annotations

from docutils import nodes

ENGLISH = "Proof. "
FRENCH = "Démonstration. "


def _frenchify(app, doctree):
    for admonition in doctree.findall(nodes.admonition):
        if "proof" not in admonition["classes"]:
            continue
        first = next(admonition.findall(nodes.Text), None)
        if first is None or not first.astext().startswith(ENGLISH):
            continue
        rest = first.astext()[len(ENGLISH):]
        following = rest
        if not following.strip():  # le texte qui suit est dans un autre nœud (formule, emphase…)
            paragraph = first.parent
            following = paragraph.astext()[len(ENGLISH):]
        text = rest if following.lstrip().startswith("Démonstration") else FRENCH + rest
        first.parent.replace(first, nodes.Text(text))


def setup(app):
    app.connect("doctree-read", _frenchify)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
