"""Extension Sphinx locale : retire les scripts en double de chaque page HTML.

Sphinx 7.4 ajoute deux fois un script en ligne enregistré après l'initialisation du constructeur HTML (une fois
sous le nom ``None``, une fois sous le nom ``''``, que ``_JavaScript`` ne reconnaît pas comme égaux). Avec
sphinx-thebe, la page déclare alors deux fois ``const THEBE_JS_URL`` : le navigateur lève une erreur JavaScript
sur chaque page (détectée par ``tests/test_browser.py``). Cette extension garde la première occurrence.
"""

from __future__ import annotations


def _unique(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    kept = []
    for script in scripts:
        key = (getattr(script, "filename", script) or "", tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    scripts[:] = kept


def setup(app):
    app.connect("html-page-context", _unique)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
