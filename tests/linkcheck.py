"""Contrôle hors ligne des liens du HTML construit : liens et ancres internes vérifiés, liens externes listés.

Aucun lien externe n'est chargé : ils sont rassemblés dans un rapport (``tests/artefacts/liens-externes.md``)
que l'on relit à la main. Utilisable seul :

    python tests/linkcheck.py _build/html

(code de sortie non nul si un lien ou une ancre interne est cassé).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

# Attributs qui désignent une ressource ou une page.
LINK_ATTRS = {("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"), ("iframe", "src"), ("source", "src")}
# Répertoires produits par Sphinx qui ne sont pas des pages du livre (copies des sources, fichiers statiques).
SKIP_DIRS = {"_sources", "_static", "_images", "_downloads"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, int]] = []  # (balise, cible, ligne)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value and (name == "id" or tag == "a"):
                self.ids.add(value)
            if (tag, name) in LINK_ATTRS and value is not None:
                self.links.append((tag, value, self.getpos()[0]))


@dataclass
class LinkReport:
    broken: list[str] = field(default_factory=list)  # « page:ligne → cible (raison) »
    external: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # URL → pages
    checked: int = 0

    def external_markdown(self) -> str:
        lines = ["# Liens externes du livre (non chargés par les tests)", "", "| lien | pages |", "|---|---|"]
        for url in sorted(self.external):
            lines.append(f"| {url} | {', '.join(sorted(self.external[url]))} |")
        return "\n".join(lines) + "\n"


def _parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8", errors="replace"))
    return collector


def check_links(html_dir: Path) -> LinkReport:
    """Vérifie chaque lien interne (fichier cible présent) et chaque ancre (identifiant présent dans la cible)."""
    html_dir = Path(html_dir).resolve()
    pages = sorted(p for p in html_dir.rglob("*.html") if not SKIP_DIRS & set(p.relative_to(html_dir).parts))
    parsed: dict[Path, _Collector] = {page: _parse(page) for page in pages}
    report = LinkReport()
    for page, collector in parsed.items():
        rel_page = page.relative_to(html_dir).as_posix()
        for _tag, target, line in collector.links:
            target = target.strip()
            scheme = urlparse(target).scheme
            if scheme in ("http", "https", "mailto", "ftp") or target.startswith("//"):
                report.external[target].add(rel_page)
                continue
            if scheme in ("javascript", "data", "blob", "tel") or not target:
                continue
            report.checked += 1
            path_part, fragment = urldefrag(target)
            path_part = unquote(path_part.split("?", 1)[0])
            dest = page if not path_part else (page.parent / path_part).resolve()
            if dest.is_dir():
                dest = dest / "index.html"
            where = f"{rel_page}:{line} → {target}"
            if not str(dest).startswith(str(html_dir)):
                report.broken.append(f"{where} (hors du livre)")
            elif not dest.is_file():
                report.broken.append(f"{where} (fichier absent)")
            elif fragment and dest.suffix == ".html":
                if dest not in parsed:
                    parsed[dest] = _parse(dest)
                if unquote(fragment) not in parsed[dest].ids:
                    report.broken.append(f"{where} (ancre absente)")
    return report


def main(argv: list[str]) -> int:
    html_dir = Path(argv[1]) if len(argv) > 1 else Path("_build/html")
    report = check_links(html_dir)
    print("\n".join(report.broken))
    print(
        f"{report.checked} liens internes vérifiés, {len(report.broken)} cassé(s), "
        f"{len(report.external)} lien(s) externe(s) listé(s)"
    )
    return 1 if report.broken else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
