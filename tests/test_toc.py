"""Chaque page de book/ est dans _toc.yml, et chaque entrée de _toc.yml existe."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _toc_entries(node) -> list[str]:
    found = []
    if isinstance(node, dict):
        for key in ("root", "file"):
            if key in node:
                found.append(node[key])
        for value in node.values():
            if isinstance(value, (list, dict)):
                found += _toc_entries(value)
    elif isinstance(node, list):
        for item in node:
            found += _toc_entries(item)
    return found


def toc_entries() -> list[str]:
    return _toc_entries(yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8")))


def book_pages() -> set[str]:
    return {
        p.relative_to(ROOT).with_suffix("").as_posix()
        for p in (ROOT / "book").rglob("*.md")
        if not any(part.startswith((".", "_")) for part in p.relative_to(ROOT).parts)
    }


def test_every_page_is_in_the_toc():
    missing = book_pages() - {Path(e).with_suffix("").as_posix() for e in toc_entries()}
    assert not missing, f"pages absentes de _toc.yml : {sorted(missing)}"


def test_every_toc_entry_exists_once():
    entries = [Path(e).with_suffix("").as_posix() for e in toc_entries()]
    assert len(entries) == len(set(entries)), "entrée en double dans _toc.yml"
    absent = [e for e in entries if not (ROOT / f"{e}.md").is_file()]
    assert not absent, f"entrées de _toc.yml sans fichier : {absent}"


def test_helpers_detect_a_missing_page(tmp_path, monkeypatch):
    """Le test ci-dessus peut échouer : une page hors table des matières est repérée."""
    fake = tmp_path / "book" / "orpheline.md"
    fake.parent.mkdir(parents=True)
    fake.write_text("# Orpheline\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    assert book_pages() - set(toc_entries()) == {"book/orpheline"}


def test_pages_read_first_exist_and_come_first():
    """L'extension _ext/execution_order.py met en tête les pages de ``masterclass_read_first``."""
    import importlib.util
    from types import SimpleNamespace

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    first = config["sphinx"]["config"]["masterclass_read_first"]
    assert first and set(first) <= set(toc_entries())
    spec = importlib.util.spec_from_file_location("execution_order", ROOT / "_ext" / "execution_order.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    docnames = sorted(toc_entries())
    app = SimpleNamespace(config=SimpleNamespace(masterclass_read_first=first))
    reordered = list(docnames)
    module._reorder(app, None, reordered)
    assert reordered[: len(first)] == first and sorted(reordered) == docnames
    distillation = "book/07-bert-distilbert/distillation"
    assert reordered.index("book/08-ateliers/atelier-3-fine-tuning") < reordered.index(distillation)
    assert docnames.index("book/08-ateliers/atelier-3-fine-tuning") > docnames.index(distillation)  # sans elle
