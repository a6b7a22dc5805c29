"""L'environnement Binder reste cohérent avec requirements.txt."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from bookfiles import ROOT


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version.split("+", 1)[0].strip()
    return pins


#: Paquets propres à Binder : JupyterLab et le rendu MyST dans les cellules Markdown (absents de requirements.txt).
BINDER_ONLY = {"jupyterlab": "4.5.11", "jupyterlab-myst": "2.7.0"}

#: La pile MyST qui lit les pages : Binder doit avoir les mêmes versions que la construction du livre.
MYST_STACK = ("myst-nb", "myst-parser", "sphinx", "docutils", "markdown-it-py", "mdit-py-plugins", "mdurl",
              "linkify-it-py", "jupyter-cache", "nbclient", "nbformat", "jupytext", "ipykernel")


def test_binder_pins_match_requirements():
    main = _pins(ROOT / "requirements.txt")
    binder = _pins(ROOT / "binder" / "requirements.txt")
    assert binder, "binder/requirements.txt ne fixe aucune version"
    mismatched = {name: (version, main.get(name)) for name, version in binder.items()
                  if name not in BINDER_ONLY and main.get(name) != version}
    assert not mismatched, f"versions Binder différentes de requirements.txt : {mismatched}"
    assert not set(BINDER_ONLY) & set(main), "un paquet « propre à Binder » figure aussi dans requirements.txt"


def test_binder_pins_the_whole_myst_stack_like_the_book():
    """Sans ces épingles, Binder installait les dernières versions compatibles (myst-parser 5 au lieu de 3)."""
    main = _pins(ROOT / "requirements.txt")
    binder = _pins(ROOT / "binder" / "requirements.txt")
    missing = [name for name in MYST_STACK if name not in binder]
    assert not missing, f"pile MyST non épinglée dans binder/requirements.txt : {missing}"
    assert {name: binder[name] for name in MYST_STACK} == {name: main[name] for name in MYST_STACK}
    assert binder["myst-parser"] == "3.0.1"


def test_binder_pins_a_jupyterlab_that_renders_myst():
    """jupyterlab-myst rend les directives MyST dans JupyterLab ; la paire de versions est épinglée ensemble.

    Lit seulement les épingles (rien n'est installé). Si JupyterLab est installé dans cet environnement, vérifie
    en plus que l'extension y est activée et compatible (« OK » de ``jupyter labextension list``).
    """
    binder = _pins(ROOT / "binder" / "requirements.txt")
    assert {name: binder.get(name) for name in BINDER_ONLY} == BINDER_ONLY
    labextension = shutil.which("jupyter-labextension", path=str(Path(sys.executable).parent))
    if labextension is None:
        return  # JupyterLab n'est pas installé ici (il ne l'est que dans Binder) : les épingles suffisent
    from importlib.metadata import version

    if version("jupyterlab") != BINDER_ONLY["jupyterlab"]:
        return  # un autre JupyterLab que celui de Binder : son verdict ne dirait rien de Binder
    listing = subprocess.run([labextension, "list"], capture_output=True, text=True, timeout=120)
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)
    line = next((row for row in text.splitlines() if row.strip().startswith("jupyterlab-myst ")), "")
    assert f"v{BINDER_ONLY['jupyterlab-myst']}" in line and "enabled" in line and line.rstrip().split()[3] == "OK", text


def test_binder_has_cpu_torch_jupytext_and_the_package():
    text = (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text
    pins = _pins(ROOT / "binder" / "requirements.txt")
    assert pins["torch"] == "2.13.0" and "jupytext" in pins and "myst-nb" in pins
    assert re.search(r"^-e \./code$", text, flags=re.M)
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_postbuild_stops_on_error_and_sets_jupytext_viewer():
    post = ROOT / "binder" / "postBuild"
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash") and "set -e" in text
    assert "Jupytext Notebook" in text
    assert post.stat().st_mode & 0o111, "postBuild doit être exécutable"


def test_postbuild_warms_the_model_cache_with_existing_functions():
    """Les modèles affinés (atelier 3, distillation) sont entraînés à la construction de l'image Binder."""
    import masterclass.finetune.cache

    post_build = (ROOT / "binder" / "postBuild").read_text()
    snippets = re.findall(r'python -c "(from masterclass\.finetune\.cache import [^"]+)"', post_build)
    assert snippets, "postBuild n'entraîne pas les modèles du cache"
    names = re.findall(r"(cached_\w+)\(", snippets[0])
    assert {"cached_finetune", "cached_student"} <= set(names)
    assert all(callable(getattr(masterclass.finetune.cache, name, None)) for name in names)
    compile(snippets[0].replace("; ", "\n"), "postBuild", "exec")


def test_requirements_pin_everything_exactly():
    for raw in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-e"):
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][A-Za-z0-9_.+\-]*", line), f"version non exacte : {line}"
    pins = _pins(ROOT / "requirements.txt")
    assert pins["jupyter-book"] == "1.0.4.post1" and pins["torch"] == "2.13.0"
    assert pins["sphinx"].startswith("7.4.") and pins["myst-parser"].startswith("3.")
