"""Chaque page de book/ est dans _toc.yml, et chaque entrée de _toc.yml existe."""

from __future__ import annotations

from pathlib import Path

import yaml

from bookfiles import ROOT, book_pages, docname, toc_entries


def missing_from_toc(root: Path = ROOT) -> set[str]:
    """Pages de ``root/book/`` qu'aucune entrée de ``root/_toc.yml`` ne nomme."""
    return {docname(p, root) for p in book_pages(root)} - {docname(e) for e in toc_entries(root)}


def toc_problems(root: Path = ROOT) -> list[str]:
    """Entrées de ``root/_toc.yml`` en double ou sans fichier ``.md``."""
    entries = [docname(e) for e in toc_entries(root)]
    problems = [f"entrée en double dans _toc.yml : {e}" for e in sorted({e for e in entries if entries.count(e) > 1})]
    problems += [f"entrée de _toc.yml sans fichier : {e}" for e in entries if not (root / f"{e}.md").is_file()]
    return problems


def test_every_page_is_in_the_toc():
    missing = missing_from_toc()
    assert not missing, f"pages absentes de _toc.yml : {sorted(missing)}"


def test_every_toc_entry_exists_once():
    problems = toc_problems()
    assert not problems, "\n".join(problems)


def test_helpers_detect_a_missing_page(tmp_path):
    """Les tests ci-dessus peuvent échouer : une page hors table des matières, une entrée en double ou sans fichier
    sont repérées."""
    fake = tmp_path / "book" / "orpheline.md"
    fake.parent.mkdir(parents=True)
    fake.write_text("# Orpheline\n")
    (tmp_path / "book" / "intro.md").write_text("# Accueil\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\n")
    assert missing_from_toc(tmp_path) == {"book/orpheline"}
    assert toc_problems(tmp_path) == []
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/orpheline\n  - file: book/intro.md\n"
        "  - file: book/absente\n"
    )
    assert missing_from_toc(tmp_path) == set()
    assert toc_problems(tmp_path) == [
        "entrée en double dans _toc.yml : book/intro",
        "entrée de _toc.yml sans fichier : book/absente",
    ]


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
