"""Construire le livre (en entier ou quelques pages) en mode strict, hors ligne, dans un répertoire donné.

Utilisé par les tests du livre (``tests/test_build.py``), par le banc de mesure (``code/benchmarks/bench_build.py``)
et, pendant la rédaction, pour vérifier une page sans tout reconstruire :

    python tests/buildbook.py --out /tmp/livre book/04-attention/softmax.md

Sans page nommée, tout le livre est construit selon ``_toc.yml``. Avec des pages, une table des matières
temporaire ne contient que l'accueil et ces pages. Le code de sortie est celui de ``jupyter-book`` :
non nul au moindre avertissement (``-W -n --keep-going``) ou à la moindre erreur de cellule.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bookfiles import ROOT

WARNING_RE = re.compile(r"(WARNING|ERROR|CRITICAL|SEVERE|Exception occurred)(?!\s*\|\s*Kernel is running over TCP)")


@dataclass
class BuildResult:
    returncode: int
    log: str
    out_dir: Path

    @property
    def html_dir(self) -> Path:
        return self.out_dir / "_build" / "html"

    @property
    def warnings(self) -> list[str]:
        """Lignes d'avertissement Sphinx ou d'erreur.

        Deux messages des noyaux Jupyter, qui ne disent rien du livre, sont ignorés : l'avertissement réseau
        (« Kernel is running over TCP ») et la course connue d'ipykernel à l'arrêt d'un noyau (une trace
        « Uncaught exception in ZMQStream callback » qui se termine par ``zmq.error.ZMQError`` : le noyau publie
        son état sur une socket déjà fermée). Toute autre trace reste comptée.
        """
        raw = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in self.log.splitlines()]
        lines, i = [], 0
        while i < len(raw):
            clean = raw[i]
            if "Uncaught exception in ZMQStream callback" in clean:
                following = range(i + 1, min(i + 60, len(raw)))
                end = next((j for j in following if not raw[j].startswith((" ", "Traceback"))), None)
                if end is not None and raw[end].startswith("zmq.error.ZMQError"):
                    i = end + 1  # trace d'arrêt du noyau : ignorée en entier
                    continue
            if "Kernel is running over TCP" not in clean and WARNING_RE.search(clean):
                lines.append(clean)
            i += 1
        return lines


def _toc_for(pages: list[str]) -> str:
    entries = "\n".join(f"  - file: {Path(p).with_suffix('').as_posix()}" for p in pages)
    return f"format: jb-book\nroot: book/intro\nchapters:\n{entries}\n"


def build_command(
    source: Path | str, out_dir: Path | str, *, strict: bool, toc: Path | str | None = None, all_pages: bool = False
) -> list[str]:
    """La commande ``jupyter-book build`` d'un livre ``source`` vers ``out_dir``, lancée avec l'interpréteur courant.

    ``strict`` : tout avertissement est une erreur (``-W -n --keep-going``) ; ``toc`` : une autre table des matières
    que ``source/_toc.yml`` ; ``all_pages`` : tout reconstruire, sans le cache de Sphinx (``--all``).
    """
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", str(source)]
    if all_pages:
        cmd.append("--all")
    cmd += ["--path-output", str(out_dir)]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    if toc is not None:
        cmd += ["--toc", str(toc)]
    return cmd


def build(out_dir: Path | str, pages: list[str] | None = None, strict: bool = True, timeout: int = 5400) -> BuildResult:
    """Construit le livre dans ``out_dir`` et renvoie le code de retour et le journal complet."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    toc = None
    if pages:
        # L'accueil et les annexes sans calcul sont toujours là : les renvois et citations s'y résolvent.
        always = ["book/guide", "book/notation", "book/glossaire", "book/bibliographie"]
        pages = [Path(p).with_suffix("").as_posix() for p in pages]
        pages = [p for p in pages if p not in always and p != "book/intro"] + always
        toc_file = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False, dir=out_dir)
        toc_file.write(_toc_for(pages))
        toc_file.close()
        toc = Path(toc_file.name)
    cmd = build_command(ROOT, out_dir, strict=strict, toc=toc, all_pages=True)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1", PYTHONHASHSEED="0")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return BuildResult(proc.returncode, proc.stdout + proc.stderr, out_dir)


def execution_times(out_dir: Path | str) -> dict[str, float]:
    """Durée d'exécution de chaque page (secondes), lue dans l'environnement Sphinx enregistré par myst-nb."""
    import pickle

    env_file = Path(out_dir) / "_build" / ".doctrees" / "environment.pickle"
    with env_file.open("rb") as handle:
        env = pickle.load(handle)
    times: dict[str, float] = {}
    for docname, data in getattr(env, "nb_metadata", {}).items():
        exec_data = data.get("exec_data")
        if exec_data and exec_data.get("runtime") is not None:
            times[docname + ".md"] = float(exec_data["runtime"])
    return dict(sorted(times.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="pages à construire (par défaut : tout le livre)")
    parser.add_argument("--out", default=None, help="répertoire de sortie (par défaut : un répertoire temporaire)")
    args = parser.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="livre-"))
    result = build(out, args.pages or None)
    (out / "build.log").write_text(result.log)
    for line in result.warnings:
        print(line)
    print(f"HTML : {result.html_dir} — code de retour {result.returncode}, {len(result.warnings)} avertissement(s)")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
