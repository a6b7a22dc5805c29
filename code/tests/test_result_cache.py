"""Tests de masterclass.utils.result_cache : un seul calcul, clé qui suit réglages et code, racine, erreurs."""

import importlib.util
import json
import linecache

import pytest

from masterclass.utils import result_cache
from masterclass.utils.result_cache import cache_root, cached_json, result_key


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self, n, label="x"):
        self.calls += 1
        return {"label": label, "values": tuple(range(n))}


def test_computes_once_then_reads_the_same_object(tmp_path):
    compute = Counter()
    first = cached_json("essai", {"n": 3}, compute, [result_cache], root=tmp_path)
    second = cached_json("essai", {"n": 3}, compute, [result_cache], root=tmp_path)
    assert compute.calls == 1
    assert first == second == {"label": "x", "values": [0, 1, 2]}  # le tuple revient en liste, dans les deux cas
    files = list((tmp_path / "resultats").glob("essai-*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["settings"] == {"n": 3}
    assert not list(tmp_path.rglob("*.tmp"))  # pas de fichier temporaire oublié


def test_key_follows_settings_name_and_module_source():
    base = result_key("a", {"n": 3, "m": 1}, [result_cache])
    assert len(base) == 16 and int(base, 16) >= 0
    assert result_key("a", {"m": 1, "n": 3}, [result_cache]) == base  # ordre des clés indifférent
    assert result_key("a", {"n": 4, "m": 1}, [result_cache]) != base
    assert result_key("b", {"n": 3, "m": 1}, [result_cache]) != base
    assert result_key("a", {"n": 3, "m": 1}, []) != base  # le code des modules compte


def test_key_changes_when_the_source_of_a_module_changes(tmp_path):
    path = tmp_path / "experience.py"
    path.write_text("PAS = 300\n")
    spec = importlib.util.spec_from_file_location("experience", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    before = result_key("a", {}, [module])
    path.write_text("PAS = 600\n")
    linecache.checkcache(str(path))  # inspect.getsource relit le fichier
    assert result_key("a", {}, [module]) != before


def test_a_new_setting_recomputes(tmp_path):
    compute = Counter()
    cached_json("essai", {"n": 2}, compute, [], root=tmp_path)
    cached_json("essai", {"n": 2, "label": "y"}, compute, [], root=tmp_path)
    assert compute.calls == 2


def test_root_comes_from_masterclass_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("MASTERCLASS_CACHE", str(tmp_path / "ici"))
    assert cache_root() == tmp_path / "ici"
    cached_json("essai", {"n": 1}, Counter(), [], namespace="sequences")
    assert len(list((tmp_path / "ici" / "sequences").glob("essai-*.json"))) == 1
    monkeypatch.delenv("MASTERCLASS_CACHE")
    assert cache_root().parts[-2:] == (".cache", "masterclass")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: result_key("a/b", {}, []), ValueError, "name doit être un nom de fichier non vide, sans « / »"),
        (lambda: result_key("a", [1], []), TypeError, "settings doit être un dictionnaire sérialisable en JSON : reçu"),
        (lambda: result_key("a", {"f": object()}, []), TypeError, "settings doit être sérialisable en JSON"),
        (lambda: result_key("a", {}, ["masterclass"]), TypeError, "modules doit contenir des modules Python : reçu"),
    ],
)
def test_errors_say_what_was_expected_and_received(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_key_of_a_package_module_covers_everything_it_imports(monkeypatch, tmp_path):
    """La clé d'un module du paquet suit le code de tous les modules qu'il importe, de proche en proche."""
    from masterclass.training import sequences

    files = result_cache.source_files(sequences.__name__)
    names = {p.relative_to(files[0].parent).as_posix() for p in files}
    assert {"nn/recurrent.py", "nn/attention.py", "models/sequence.py", "data/synthetic.py",
            "training/loop.py", "training/optim.py"} <= names, names
    before = result_key("a", {}, [sequences])
    edited = tmp_path / "recurrent.py"
    real = result_cache.source_files
    recurrent = next(p for p in files if p.as_posix().endswith("nn/recurrent.py"))
    edited.write_text(recurrent.read_text(encoding="utf-8") + "\n# une ligne de plus\n", encoding="utf-8")

    def with_edited_recurrent(module):
        return [edited if p == recurrent else p for p in real(module)]

    monkeypatch.setattr(result_cache, "source_files", with_edited_recurrent)
    assert result_key("a", {}, [sequences]) != before


def test_torch_results_keep_their_tensors_and_are_computed_once(tmp_path):
    import torch

    from masterclass.utils.result_cache import cached_torch

    calls = []

    def compute(n):
        calls.append(n)
        return {"weights": {"w": torch.arange(n, dtype=torch.float32)}, "label": "x", "values": (1, 2.5)}

    first = cached_torch("poids", {"n": 4}, compute, [result_cache], root=tmp_path)
    second = cached_torch("poids", {"n": 4}, compute, [result_cache], root=tmp_path)
    assert calls == [4]
    for result in (first, second):
        assert torch.equal(result["weights"]["w"], torch.arange(4.0))
    assert first["values"] == second["values"] == (1, 2.5) and first["label"] == "x"
    files = list((tmp_path / "resultats").glob("poids-*.pt"))
    assert len(files) == 1 and not list(tmp_path.rglob("*.tmp"))
    assert files[0].stem.split("-")[1] == result_key("poids", {"n": 4}, [result_cache])


def test_a_failed_computation_leaves_nothing_behind(tmp_path):
    from masterclass.utils.result_cache import cached_torch

    def broken(n):
        raise RuntimeError("panne")

    for cache in (cached_json, cached_torch):
        with pytest.raises(RuntimeError, match="panne"):
            cache("panne", {"n": 1}, broken, [], root=tmp_path)
    assert all(p.is_dir() for p in tmp_path.rglob("*"))  # aucun fichier, même temporaire
