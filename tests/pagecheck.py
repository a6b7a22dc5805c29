"""Contrôles d'une page du livre telle qu'un lecteur la voit, dans un vrai navigateur (Chromium sans écran).

Utilisé par ``tests/test_browser.py`` sur chaque page du livre construit et sur le mini-livre cassé
``tests/fixtures/livre-casse/`` (qui doit faire réagir chaque détecteur). Les détecteurs :

- ``console`` : aucune erreur JavaScript (exception non rattrapée, ``console.error``, ressource en échec) ;
- ``mathjax`` : MathJax, servi par le livre, a rendu chaque formule, sans erreur TeX ni délimiteur brut visible ;
- ``images`` : chaque ``<img>`` est chargée (``naturalWidth > 0``) ;
- ``sorties`` : les sorties exécutées sont là où la source a des cellules de code ;
- ``langue`` : ``<html lang="fr">``, et aucun libellé anglais des extensions (« Proof. », « Show code cell »…) ;
- ``solutions`` : les solutions des exercices sont repliées (classe ``dropdown``), le lecteur cherche d'abord ;
- ``recherche`` : le champ de recherche affiche son texte d'invite en français ;
- ``binder`` : le bouton de lancement pointe vers Binder, sur le fichier ``.md`` de la page ;
- ``reseau`` : aucune requête hors du serveur local (le livre se lit hors ligne).

Chaque détecteur est une fonction qui renvoie ses défauts : ``detect_mathjax``, ``detect_images``,
``detect_outputs``, ``detect_language``, ``detect_solutions``, ``detect_search`` et ``detect_binder`` lisent ce que
le navigateur a relevé sur la page ; ``console`` et ``reseau`` sont collectés pendant la navigation par
``console_message``, ``page_exception``, ``failed_response``, ``failed_navigation`` et ``offline_request``.
``check_page`` ouvre la page et les applique tous.

Le navigateur est Chromium de Debian (``/usr/bin/chromium``) piloté par Playwright ; aucun navigateur n'est
téléchargé. Le HTML est servi sur 127.0.0.1 par ``http.server`` dans un fil d'exécution.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import yaml

from bookfiles import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DETECTORS = ("console", "mathjax", "images", "sorties", "langue", "solutions", "recherche", "binder", "reseau")
# Libellés anglais que les extensions écrivent quand la traduction manque ; aucun ne doit être visible.
ENGLISH_LABELS = (
    "Proof.", "Show code cell", "Hide code cell", "Click to show", "Click to hide", "Search this book", "Solution to"
)
ARTEFACTS = Path(__file__).resolve().parent / "artefacts"


# --------------------------------------------------------------------------------------------- serveur local


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature imposée par http.server
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """Sert ``directory`` sur 127.0.0.1 (port libre) dans un fil d'exécution ; renvoie l'URL de base."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def launch(playwright):
    """Chromium de Debian, sans écran, avec les options qui fonctionnent dans un conteneur."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# ----------------------------------------------------------------------------------- ce que dit la source


@dataclass
class Source:
    """Ce que la page source ``.md`` promet au lecteur."""

    path: str  # chemin depuis la racine du dépôt, ex. « book/guide.md »
    is_notebook: bool  # en-tête jupytext avec noyau : la page s'ouvre dans Binder
    code_cells: int  # cellules ```{code-cell}``` non retirées (sans l'étiquette remove-cell)

    @classmethod
    def read(cls, root: Path, rel: str) -> "Source":
        text = (root / rel).read_text(encoding="utf-8")
        front = {}
        match = re.match(r"---\n(.*?)\n---\n", text, flags=re.S)
        if match:
            front = yaml.safe_load(match.group(1)) or {}
        cells = 0
        for block in re.finditer(r"^(`{3,})\{code-cell\}[^\n]*\n(.*?)^\1", text, flags=re.S | re.M):
            options = block.group(2)
            if not re.search(r"^:tags:.*\bremove-(cell|output)\b", options, flags=re.M):
                cells += 1
        return cls(rel, bool(front.get("kernelspec")), cells)


def expected_outputs(notebook: Path) -> int:
    """Nombre de cellules exécutées dont une sortie doit apparaître dans le HTML (d'après le carnet exécuté)."""
    if not notebook.is_file():
        return 0
    count = 0
    for cell in json.loads(notebook.read_text(encoding="utf-8")).get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"remove-cell", "remove-output"}:
            continue
        shown = [
            o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
        ]
        if shown:
            count += 1
    return count


def binder_url(source_rel: str, config_file: Path = ROOT / "_config.yml") -> str:
    """L'adresse Binder attendue pour une page, d'après ``repository`` et ``launch_buttons`` de la configuration."""
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    repo = urlparse(config["repository"]["url"]).path.strip("/")
    branch = config["repository"].get("branch", "main")
    hub = config["launch_buttons"]["binderhub_url"].rstrip("/")
    interface = "lab/tree" if config["launch_buttons"].get("notebook_interface") == "jupyterlab" else "tree"
    return f"{hub}/v2/gh/{repo}/{branch}?urlpath={interface}/{source_rel}"


# ----------------------------------------------------------------------------------------- le navigateur

_MATHJAX_JS = r"""
async () => {
  const out = {present: typeof window.MathJax !== "undefined", unrendered: 0, errors: [], total: 0, src: []};
  out.src = Array.from(document.querySelectorAll("script[src]")).map(s => s.src).filter(s => /mathjax/i.test(s));
  const nodes = document.querySelectorAll(".math");
  out.total = nodes.length;
  if (out.present && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
    if (window.MathJax.typesetPromise) { await window.MathJax.typesetPromise(); }
  }
  for (const n of nodes) { if (!n.querySelector("mjx-container") && !n.closest("mjx-container")) out.unrendered += 1; }
  for (const e of document.querySelectorAll("mjx-merror")) {
    out.errors.push(e.getAttribute("data-mjx-error") || e.textContent.trim());
  }
  if (out.present && window.MathJax.startup && window.MathJax.startup.document) {
    for (const item of window.MathJax.startup.document.math) {
      let mml = "";
      try { mml = window.MathJax.startup.toMML(item.root); } catch (err) { mml = ""; }
      if (/<merror/.test(mml) && !out.errors.length) out.errors.push(item.math);
      else if (/mathcolor="red"/.test(mml) && !/\\color/.test(item.math)) {
        out.errors.push("commande inconnue : " + item.math);
      }
    }
  }
  const clone = document.body.cloneNode(true);
  const hidden = "pre, code, script, style, mjx-container, mjx-assistive-mml, .highlight, textarea";
  for (const n of clone.querySelectorAll(hidden)) n.remove();
  out.text = clone.textContent;
  return out;
}
"""

_IMAGES_JS = r"""
async () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) { img.loading = "eager"; }
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(r => {
    img.addEventListener("load", r, {once: true}); img.addEventListener("error", r, {once: true});
    setTimeout(r, 10000);
  })));
  return imgs.map(img => ({src: img.getAttribute("src"), ok: img.complete && img.naturalWidth > 0}));
}
"""

_PAGE_JS = r"""
() => ({
  lang: document.documentElement.getAttribute("lang"),
  // blocs de sortie non vides (myst-nb laisse un bloc vide quand la seule sortie était stderr, retirée du livre)
  outputs: Array.from(document.querySelectorAll("div.cell_output"))
    .filter(d => d.textContent.trim() || d.querySelector("img, svg, table, iframe, canvas, mjx-container")).length,
  placeholders: Array.from(document.querySelectorAll('input[name="q"], input[type="search"]')).map(i => i.placeholder),
  binder: Array.from(document.querySelectorAll('a[href*="/v2/gh/"]')).map(a => a.href),
  // libellés des cellules repliées de myst-nb : « {type} » y devient content/source/output/outputs, en anglais
  prompts: Array.from(document.querySelectorAll("details.hide summary .admonition-title"))
    .map(p => p.textContent.trim()),
  openSolutions: Array.from(document.querySelectorAll("div.solution")).filter(d => !d.classList.contains("dropdown"))
    .map(d => (d.querySelector(".admonition-title") || d).textContent.trim().slice(0, 80)),
})
"""

# Délimiteurs TeX qui ne doivent jamais rester visibles : $$, \( \), \[ \], \begin{…}, et $…$ contenant une commande.
RAW_MATH_RE = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\n]{0,80}\\[A-Za-z]+[^$\n]{0,80}\$")


@dataclass
class PageReport:
    url: str
    screenshot: Path | None = None
    defects: dict[str, list[str]] = field(default_factory=lambda: {name: [] for name in DETECTORS})

    @property
    def failed(self) -> dict[str, list[str]]:
        return {name: found for name, found in self.defects.items() if found}

    def summary(self) -> str:
        lines = [f"{self.url} (capture : {self.screenshot})"]
        for name, found in self.failed.items():
            lines += [f"  [{name}] {item}" for item in found[:10]]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------- les détecteurs
# Chacun reçoit ce que le navigateur a relevé et renvoie ses défauts (liste vide : rien à signaler). Les
# détecteurs « console » et « reseau » réagissent aux évènements de la navigation : une fonction par évènement,
# qui renvoie le défaut ou None.


def _is_favicon(url: str) -> bool:
    """Chromium demande /favicon.ico de lui-même ; ce n'est pas une ressource de la page."""
    return str(url).endswith("/favicon.ico")


def console_message(message) -> str | None:
    """``console`` : un ``console.error`` de la page (pas celui du favicon demandé par Chromium)."""
    where = (getattr(message, "location", None) or {}).get("url", "")
    if message.type == "error" and not _is_favicon(where):
        return f"console.error : {message.text} ({where})"
    return None


def page_exception(error) -> str:
    """``console`` : une exception JavaScript non rattrapée."""
    return f"exception JavaScript : {error}"


def failed_response(response) -> str | None:
    """``console`` : une ressource servie en erreur HTTP (≥ 400), favicon excepté."""
    if response.status >= 400 and not _is_favicon(response.url):
        return f"HTTP {response.status} : {response.url}"
    return None


def failed_navigation(response) -> str | None:
    """``console`` : la page elle-même ne se charge pas (réponse absente ou en erreur)."""
    if response is None or not response.ok:
        return f"la page ne se charge pas : {response.status if response else 'aucune réponse'}"
    return None


def offline_request(url: str, local: str) -> str | None:
    """``reseau`` : une requête hors du serveur local ``local`` (hôte:port) ; ``data:`` et ``blob:`` restent locales."""
    if urlparse(url).netloc == local or url.startswith(("data:", "blob:")):
        return None
    return f"requête hors ligne bloquée : {url}"


def detect_mathjax(math: dict, local: str) -> list[str]:
    """``mathjax`` : chargé depuis le livre, chaque formule rendue, aucune erreur, aucun délimiteur brut visible."""
    found = []
    if math["total"] and not math["present"]:
        found.append(f"{math['total']} formule(s) mais MathJax n'est pas chargé")
    for src in math["src"]:
        if urlparse(src).netloc != local:
            found.append(f"MathJax ne vient pas du livre : {src}")
    if math["unrendered"]:
        found.append(f"{math['unrendered']} formule(s) sur {math['total']} non rendue(s)")
    found += [f"erreur TeX : {error}" for error in math["errors"]]
    for raw in RAW_MATH_RE.finditer(math["text"]):
        start = max(raw.start() - 30, 0)
        found.append("délimiteur TeX brut visible : « " + " ".join(math["text"][start : raw.end() + 30].split()) + " »")
    return found


def detect_images(images: list[dict]) -> list[str]:
    """``images`` : chaque ``<img>`` est chargée."""
    return [f"image non chargée : {img['src']}" for img in images if not img["ok"]]


def detect_outputs(info: dict, source: Source | None, notebook: Path | None) -> list[str]:
    """``sorties`` : autant de blocs de sortie que de cellules exécutées qui en ont ; et une page avec du code
    visible doit avoir été exécutée."""
    if source is None:
        return []
    found = []
    expected = expected_outputs(notebook) if notebook else 0
    if info["outputs"] != expected:
        found.append(
            f"{info['outputs']} bloc(s) de sortie dans la page, {expected} attendu(s) d'après le carnet exécuté"
        )
    if source.code_cells and expected == 0:
        found.append(f"{source.code_cells} cellule(s) de code dans {source.path} mais aucune sortie exécutée")
    return found


def detect_language(info: dict, math: dict) -> list[str]:
    """``langue`` : ``<html lang="fr">``, aucun libellé anglais visible (texte relevé avec ``math``), aucun libellé
    de cellule repliée en anglais."""
    found = []
    if info["lang"] != "fr":
        found.append(f'<html lang="{info["lang"]}"> au lieu de lang="fr"')
    found += [f"libellé anglais visible : « {label} »" for label in ENGLISH_LABELS if label in math["text"]]
    for prompt in sorted(set(info["prompts"])):
        if re.search(r"\b(content|source|outputs?)$", prompt):
            found.append(f"libellé de cellule repliée en anglais : « {prompt} » (nb_code_prompt_show sans {{type}})")
    return found


def detect_solutions(info: dict) -> list[str]:
    """``solutions`` : aucune solution d'exercice dépliée d'office."""
    return [f"solution dépliée d'office (ajouter :class: dropdown) : {title}" for title in info["openSolutions"]]


def detect_search(info: dict) -> list[str]:
    """``recherche`` : un champ de recherche, dont le texte d'invite est en français."""
    if not info["placeholders"]:
        return ["aucun champ de recherche"]
    return [
        f"texte d'invite de la recherche non français : « {text} »"
        for text in info["placeholders"]
        if not text.startswith("Rechercher")
    ]


def detect_binder(info: dict, source: Source | None, expected: str | None) -> list[str]:
    """``binder`` : une page-carnet a un bouton Binder, vers l'adresse ``expected`` si elle est donnée."""
    if source is None or not source.is_notebook:
        return []
    if not info["binder"]:
        return [f"pas de bouton Binder pour {source.path}"]
    if expected and expected not in info["binder"]:
        return [f"bouton Binder {info['binder']} au lieu de {expected}"]
    return []


def check_page(
    browser,
    base_url: str,
    html_rel: str,
    source: Source | None,
    notebook: Path | None,
    expected_binder: str | None,
    screenshot: Path | None,
) -> PageReport:
    """Ouvre une page comme un lecteur et applique tous les détecteurs ; renvoie les défauts par détecteur."""
    url = base_url + html_rel
    report = PageReport(url)
    defects = report.defects
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    local = urlparse(base_url).netloc

    def note(name: str, defect: str | None) -> None:
        if defect:
            defects[name].append(defect)

    def on_route(route):
        defect = offline_request(route.request.url, local)
        if defect:
            note("reseau", defect)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", on_route)
    page.on("console", lambda message: note("console", console_message(message)))
    page.on("pageerror", lambda error: note("console", page_exception(error)))
    page.on("response", lambda response: note("console", failed_response(response)))
    try:
        note("console", failed_navigation(page.goto(url, wait_until="load")))
        math = page.evaluate(_MATHJAX_JS)
        images = page.evaluate(_IMAGES_JS)
        info = page.evaluate(_PAGE_JS)
        page.wait_for_timeout(200)  # laisse arriver les derniers messages de console
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
            report.screenshot = screenshot
    finally:
        page.close()

    defects["mathjax"] += detect_mathjax(math, local)
    defects["images"] += detect_images(images)
    defects["sorties"] += detect_outputs(info, source, notebook)
    defects["langue"] += detect_language(info, math)
    defects["solutions"] += detect_solutions(info)
    defects["recherche"] += detect_search(info)
    defects["binder"] += detect_binder(info, source, expected_binder)
    return report


def main(argv: list[str] | None = None) -> int:
    """Contrôle toutes les pages d'une construction (``tests/buildbook.py --out DIR``), sans pytest."""
    import argparse

    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(
        description="Ouvre chaque page construite dans Chromium et applique les contrôles."
    )
    parser.add_argument("build_dir", type=Path, help="répertoire passé à tests/buildbook.py --out")
    parser.add_argument(
        "pages", nargs="*", help="pages source à contrôler (par défaut : toutes celles qui ont été construites)"
    )
    args = parser.parse_args(argv)
    html_dir = args.build_dir / "_build" / "html"
    pages = [Path(p).with_suffix("").as_posix() for p in args.pages] or sorted(
        p.relative_to(html_dir).with_suffix("").as_posix() for p in (html_dir / "book").rglob("*.html")
    )
    failures = 0
    with serve(html_dir) as base_url, sync_playwright() as playwright:
        browser = launch(playwright)
        for page in pages:
            report = check_page(
                browser, base_url, f"{page}.html",
                source=Source.read(ROOT, f"{page}.md"),
                notebook=args.build_dir / "_build" / "jupyter_execute" / f"{page}.ipynb",
                expected_binder=binder_url(f"{page}.md"),
                screenshot=ARTEFACTS / "captures" / f"{page.replace('/', '__')}.png",
            )
            failures += bool(report.failed)
            print(report.summary() if report.failed else f"ok : {page}")
        browser.close()
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
