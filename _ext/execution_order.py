"""Extension Sphinx locale : exécuter d'abord les pages dont d'autres pages réutilisent les résultats.

Sphinx lit (et myst-nb exécute) les pages dans l'ordre alphabétique de leur chemin. La page de distillation
(``book/07-…``) réutilise l'enseignant affiné par l'atelier 3 (``book/08-…``), rangé dans le cache de
``masterclass.cache`` : lue en premier, elle devrait l'entraîner elle-même. La liste ``masterclass_read_first``
(``_config.yml``) fait passer ces pages en tête ; l'ordre des autres ne change pas, ni la table des matières.
"""

from __future__ import annotations


def _reorder(app, env, docnames: list[str]) -> None:
    first = [name for name in app.config.masterclass_read_first if name in docnames]
    rest = [name for name in docnames if name not in first]
    docnames[:] = first + rest  # Sphinx demande une modification sur place


def setup(app):
    app.add_config_value("masterclass_read_first", [], "env", [list])
    app.connect("env-before-read-docs", _reorder)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
