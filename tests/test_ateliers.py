"""Les autocontrôles des ateliers 1 et 2 vérifient la réponse du lecteur, pas la solution du livre.

Chaque exercice a une cellule réponse qui définit une ébauche (``None`` ou ``raise NotImplementedError``) puis appelle
``report(...)`` ; la solution vient après, repliée. On exécute la page comme un lecteur, cellule après cellule, et à
chaque cellule réponse :

- l'ébauche donne « à compléter » (``report`` renvoie ``False``) ;
- une réponse délibérément fausse, mise à la place de l'ébauche, fait échouer ce même appel ``report(...)`` ;
- après la cellule de solution, le même appel réussit avec la fonction du livre.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import textwrap

import pytest
from torch.autograd.gradcheck import GradcheckError

from bookfiles import ROOT

ATELIERS = ROOT / "book" / "08-ateliers"


def code_cells(path):
    """Les cellules de code d'une page MyST : (source, dans une solution ?, métadonnées brutes)."""
    cells, in_solution = [], False
    text = path.read_text(encoding="utf-8")
    for match in re.finditer(r"^```(\{[\w-]+\})([^\n]*)\n(.*?)^```$", text, flags=re.M | re.S):
        directive, body = match.group(1), match.group(3)
        if directive == "{solution-start}":
            in_solution = True
        elif directive == "{solution-end}":
            in_solution = False
        elif directive == "{code-cell}":
            header = ""
            if body.startswith("---\n"):
                header, body = body[4:].split("\n---\n", 1)
            while body.startswith(":"):
                option, body = body.split("\n", 1)
                header += option + "\n"
            cells.append((body, in_solution, header))
    return cells


def last_report_call(source):
    """Le dernier appel ``report(...)`` d'une cellule (expression de premier niveau), ou None."""
    tree = ast.parse(source)
    for node in reversed(tree.body):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            if getattr(node.value.func, "id", None) == "report":
                return ast.unparse(node.value)
    return None


WRONG = {
    "atelier-1-numpy-pytorch.md": {
        "exercice_1": "def exercice_1():\n"
                      "    return (np.eye(4, dtype=np.float32), np.linspace(0, 1, 5), torch.zeros(2, 3, 5),\n"
                      "            np.zeros((3, 3)))",
        "exercice_2": "def exercice_2(M):\n    return M[0], M[:, 2], M[1:3, 2:4], M[:, ::2], M[M % 7 == 0]",
        "exercice_3": "def exercice_3(x, h=12):\n    return x.reshape(2, 12, 5, 32)",
        "exercice_4": "def exercice_4(X):\n    return X - X.mean(), X / np.linalg.norm(X)",
        "exercice_5": "def exercice_5(X):\n    return X.T @ X, X.sum(axis=1)",
        "exercice_6": "def exercice_6(A, U, V):\n    return np.einsum('ni,ij,nj->n', V, A, U)",
        "exercice_7": "def exercice_7(Q, K):\n    s = Q @ K.transpose(-2, -1)\n    return s, torch.softmax(s, dim=-1)",
        "exercice_8": "def exercice_8(a):\n    return torch.tensor(a), torch.tensor(a, dtype=torch.float32), 'cpu'",
        "exercice_9": "def exercice_9(A, b, w0):\n    return 2 * A.T @ (A @ w0)",
        "exercice_10": "def exercice_10(E):\n    return E @ E.T",
    },
    "atelier-2-attention.md": {
        "scores_one": "def scores_one(q, K):\n    return K @ q  # oubli de la division par √d_k",
        "my_softmax": "def my_softmax(z):\n    e = torch.exp(z)  # sans soustraire le maximum\n    return e / e.sum()",
        "attend_one": "def attend_one(q, K, V):\n    w = torch.softmax(K @ q, dim=-1)\n    return w @ V, w",
        "attend_all": "def attend_all(Q, K, V):\n"
                      "    w = torch.softmax(Q @ K.T / math.sqrt(Q.shape[-1]), dim=0)  # mauvais axe\n"
                      "    return w @ V, w",
        "attend_masked": "def attend_masked(Q, K, V, mask):\n"
                         "    s = Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1]) * mask  # 0 au lieu de -inf\n"
                         "    w = torch.softmax(s, dim=-1)\n"
                         "    return w @ V, w",
        "attend_batched": "def attend_batched(Q, K, V, mask):\n"
                          "    s = Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])  # masque oublié\n"
                          "    w = torch.softmax(s, dim=-1)\n"
                          "    return w @ V, w",
        "split_heads": "def split_heads(x, h):\n"
                       "    B, T, C = x.shape\n"
                       "    return x.reshape(B, h, T, C // h)  # sans transposition\n"
                       "def merge_heads(x):\n"
                       "    B, h, T, d_k = x.shape\n"
                       "    return x.reshape(B, T, h * d_k)",
        "multi_head": "def multi_head(x_q, x_kv, params, h, mask=None):\n"
                      "    sh = masterclass.nn.attention.split_heads\n"
                      "    q = sh(x_q @ params['W_q'].T + params['b_q'], h)\n"
                      "    k = sh(x_kv @ params['W_k'].T + params['b_k'], h)\n"
                      "    v = sh(x_kv @ params['W_v'].T + params['b_v'], h)\n"
                      "    w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)\n"
                      "    return (w @ v).transpose(1, 2).reshape(x_q.shape), w  # projection de sortie oubliée",
    },
}

# Exercices dont la solution est elle-même un contrôle (une loi vérifiée sur la réponse) : une réponse fausse,
# construite à partir de la bonne, doit la faire échouer.
WRONG_LAWS = {
    "check_equivariance": "def wrong(x_q, x_kv, params, h, mask=None):\n"
                          "    out, w = multi_head(x_q, x_kv, params, h, mask)\n"
                          "    return out + torch.arange(out.shape[1])[None, :, None], w  # dépend de la position\n",
    "check_gradients": "class _Double(torch.autograd.Function):\n"
                       "    @staticmethod\n"
                       "    def forward(ctx, x):\n"
                       "        return x.clone()\n"
                       "    @staticmethod\n"
                       "    def backward(ctx, g):\n"
                       "        return 2 * g  # gradient faux\n"
                       "def wrong(a, b, c, mask):\n"
                       "    out, w = attend_batched(a, b, c, mask)\n"
                       "    return _Double.apply(out), w\n",
}


def run(source, ns):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<cellule>", "exec"), ns)
    return out.getvalue()


@pytest.mark.parametrize("page", sorted(WRONG))
def test_self_checks_reject_wrong_answers_and_accept_solutions(page, monkeypatch):
    monkeypatch.chdir(ATELIERS)
    wrong = WRONG[page]
    ns = {"__name__": "__atelier__", "display": print}
    pending = {}          # appel report(...) de la dernière cellule réponse, et noms qu'elle définit
    tried = set()
    for source, in_solution, header in code_cells(ATELIERS / page):
        if in_solution:
            assert "source_hidden: true" in header, f"{page} : cellule de solution visible dans un carnet"
        call = last_report_call(source)
        if call and not in_solution:
            printed = run(source, ns)
            if re.search(r"raise NotImplementedError|return None", source):   # une ébauche à compléter
                assert "à compléter" in printed and "correct" not in printed, (page, call, printed)
                assert eval(call, ns) is False
            names = [n for n in wrong if re.search(rf"\b{n}\b", call)]
            assert names, f"{page} : pas de réponse fausse pour {call}"
            saved = dict(ns)
            for name in names:
                exec(textwrap.dedent(wrong[name]), ns)
            with pytest.raises(AssertionError), contextlib.redirect_stdout(io.StringIO()):
                eval(call, ns)   # le contrôle refuse la réponse (assert, torch.testing, numpy.testing)
            ns.clear()
            ns.update(saved)   # la réponse fausse ne doit pas survivre à son essai
            pending = {"call": call}
            tried.update(names)
        else:
            run(source, ns)
            if in_solution and pending and call is None and "assert report(" in source:
                with contextlib.redirect_stdout(io.StringIO()):
                    assert eval(pending["call"], ns) is True, (page, pending["call"])
                pending = {}
    assert tried == set(wrong), f"{page} : exercices non essayés {set(wrong) - tried}"
    if page == "atelier-2-attention.md":
        for check, source in WRONG_LAWS.items():
            exec(source, ns)
            with pytest.raises((AssertionError, GradcheckError)), \
                    contextlib.redirect_stdout(io.StringIO()):
                ns[check](ns["wrong"])


def test_solution_and_hidden_cells_carry_jupyterlab_metadata():
    """Dans JupyterLab, les solutions et les cellules de service sont repliées (métadonnées lues par jupytext)."""
    for page in sorted(ATELIERS.glob("*.md")):
        for _, in_solution, header in code_cells(page):
            if in_solution:
                assert "source_hidden: true" in header, page.name
            if "remove-cell" in header:
                assert "source_hidden: true" in header and "outputs_hidden: true" in header, page.name


def test_jupytext_writes_the_metadata_into_the_notebook():
    jupytext = pytest.importorskip("jupytext")
    nb = jupytext.read(ATELIERS / "atelier-2-attention.md")
    hidden = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("jupyter", {}).get("source_hidden")]
    assert len(hidden) >= 10
    removed = [c for c in nb.cells if "remove-cell" in c.metadata.get("tags", [])]
    assert removed and all(c.metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True} for c in removed)
