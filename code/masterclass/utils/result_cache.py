"""Cache de résultats d'expériences (des nombres, en JSON) dont la clé dépend des réglages et du code qui les produit.

Une page qui entraîne des dizaines de petits modèles pour tracer une courbe n'a besoin, à la construction suivante,
que des nombres obtenus. :func:`cached_json` les range dans ``<racine>/<espace>/<nom>-<clé>.json`` ; la clé est
l'empreinte SHA-256 du nom, des réglages (sérialisés en JSON, clés triées), de la version de PyTorch et du code
source des modules nommés par l'appelant ; pour un module du paquet, c'est le code de ce module **et de tous les
modules du paquet qu'il importe**, de proche en proche (:func:`source_files`, qui sert aussi au cache des modèles
affinés). Si l'un d'eux change, la clé change et les résultats sont recalculés.
La racine est ``$MASTERCLASS_CACHE`` si la variable est définie, sinon ``~/.cache/masterclass``, comme pour les
modèles affinés de l'atelier 3.

Voir : {ref}`seq-limites-distance`.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import json
import logging
import os
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterable

logger = logging.getLogger(__name__)


def cache_root() -> Path:
    """Racine du cache : ``$MASTERCLASS_CACHE`` ou ``~/.cache/masterclass``.

    Voir : {ref}`seq-limites-distance`.
    """
    return Path(os.environ.get("MASTERCLASS_CACHE", Path.home() / ".cache" / "masterclass")).expanduser()


PACKAGE = "masterclass"


def _imported_modules(path: Path, module: str) -> set[str]:
    """Noms des modules du paquet qu'importe le fichier ``path`` (module ``module``), où que soit l'import."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # import relatif : résolu depuis le paquet du module
                base = module.rsplit(".", node.level)[0]
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.add(name)
            found |= {f"{name}.{alias.name}" for alias in node.names}  # « from paquet import module »
    return {name for name in found if name == PACKAGE or name.startswith(PACKAGE + ".")}


def source_files(module: str) -> list[Path]:
    """Fichiers source de ``module`` et de tous les modules du paquet qu'il importe, de proche en proche.

    Les ``__init__.py`` des paquets traversés en font partie (Python les exécute à l'import). Triés par nom de
    module : la liste ne dépend que du code.

    Voir : {ref}`atelier-3-boucle`.
    """
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:  # « from module import nom » : nom n'est pas un sous-module
            continue
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue  # « from paquet import nom » où nom n'est pas un module
        seen[name] = Path(spec.origin)
        parents = [name.rsplit(".", k)[0] for k in range(1, name.count(".") + 1)]
        todo += parents + sorted(_imported_modules(Path(spec.origin), name))
    return [seen[name] for name in sorted(seen)]


def result_key(name: str, settings: dict, modules: Iterable[ModuleType]) -> str:
    """Empreinte (16 caractères hexadécimaux) de ``name``, ``settings``, PyTorch et du code source de ``modules``.

    Voir : {ref}`seq-limites-distance`.
    """
    import torch

    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"name doit être un nom de fichier non vide, sans « / » : reçu {name!r}.")
    if not isinstance(settings, dict):
        raise TypeError(f"settings doit être un dictionnaire sérialisable en JSON : reçu {type(settings).__name__}.")
    try:
        text = json.dumps([name, settings, torch.__version__], sort_keys=True)
    except TypeError as exc:
        raise TypeError(f"settings doit être sérialisable en JSON : {exc}.") from exc
    digest = hashlib.sha256(text.encode())
    for module in sorted(modules, key=lambda m: getattr(m, "__name__", "")):
        if not isinstance(module, ModuleType):
            raise TypeError(f"modules doit contenir des modules Python : reçu {type(module).__name__}.")
        digest.update(module.__name__.encode())
        if module.__name__ == PACKAGE or module.__name__.startswith(PACKAGE + "."):
            for path in source_files(module.__name__):  # le module et tout ce qu'il importe du paquet
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
        else:
            digest.update(inspect.getsource(module).encode())
    return digest.hexdigest()[:16]


def _cached(path: Path, compute: Callable[[], object], write: Callable[[Path, object], None],
            read: Callable[[Path], object]):
    """Relit ``path`` s'il existe ; sinon calcule, écrit dans un fichier temporaire renommé ensuite, et relit."""
    if path.is_file():
        logger.info("résultats trouvés dans le cache : %s", path)
        return read(path)
    logger.info("résultats absents du cache : calcul (%s)", path)
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp, result)
        tmp.replace(path)  # écriture atomique : un lecteur ne voit jamais un fichier à moitié écrit
    finally:
        tmp.unlink(missing_ok=True)
    return read(path)


def cached_json(name: str, settings: dict, compute: Callable[..., object], modules: Iterable[ModuleType],
                namespace: str = "resultats", root: str | os.PathLike | None = None):
    """Résultat de ``compute(**settings)``, relu du cache s'il y est, sinon calculé puis écrit (atomiquement).

    ``modules`` : les modules dont le code décide du résultat (ils entrent dans la clé). Le résultat doit être
    sérialisable en JSON ; il est rendu tel que relu du fichier, même juste après le calcul (listes plutôt que
    tuples), pour que les deux chemins donnent exactement le même objet.

    Voir : {ref}`seq-limites-distance`.
    """
    modules = list(modules)
    directory = Path(root if root is not None else cache_root()) / namespace
    path = directory / f"{name}-{result_key(name, settings, modules)}.json"

    def write(target: Path, result) -> None:
        text = json.dumps({"name": name, "settings": settings, "result": result}, sort_keys=True)
        target.write_text(text, encoding="utf-8")

    def read(source: Path):
        return json.loads(source.read_text(encoding="utf-8"))["result"]

    return _cached(path, lambda: compute(**settings), write, read)


def cached_torch(name: str, settings: dict, compute: Callable[..., object], modules: Iterable[ModuleType],
                 namespace: str = "resultats", root: str | os.PathLike | None = None):
    """Comme :func:`cached_json`, pour un résultat qui contient des tenseurs (des poids de modèle, par exemple).

    Le résultat (dictionnaires, listes, nombres, chaînes et tenseurs) est écrit par ``torch.save`` dans
    ``<racine>/<espace>/<nom>-<clé>.pt`` et relu par ``torch.load(weights_only=True)`` : relire un fichier du cache
    n'exécute aucun code. Comme pour :func:`cached_json`, il est rendu tel que relu, même juste après le calcul.

    Voir : {ref}`ed-entrainement-modele`.
    """
    import torch

    modules = list(modules)
    directory = Path(root if root is not None else cache_root()) / namespace
    path = directory / f"{name}-{result_key(name, settings, modules)}.pt"

    def write(target: Path, result) -> None:
        torch.save({"name": name, "settings": settings, "result": result}, target)

    def read(source: Path):
        return torch.load(source, weights_only=True)["result"]

    return _cached(path, lambda: compute(**settings), write, read)
