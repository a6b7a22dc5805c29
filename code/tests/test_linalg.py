"""Tests de masterclass.maths.linalg contre numpy.linalg, et lois vérifiées avec hypothesis.

Tolérances : 1e-10 (relatives ou absolues) en float64 pour les identités exactes en arithmétique réelle.
"""

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from masterclass.maths import linalg as L

from samples import FINITE, SETTINGS, vectors


def square(n_min=1, n_max=6):
    return st.integers(n_min, n_max).flatmap(lambda n: arrays(np.float64, (n, n), elements=FINITE))


def matrices(max_side=6):
    shapes = st.tuples(st.integers(1, max_side), st.integers(1, max_side))
    return shapes.flatmap(lambda s: arrays(np.float64, s, elements=FINITE))


# ------------------------------------------------------------------------------------ bases


def test_canonical_basis_and_rank_against_numpy():
    rng = np.random.default_rng(0)
    assert L.is_basis(np.eye(4))
    B = rng.normal(size=(5, 5))
    assert L.is_basis(B) and L.rank(B) == np.linalg.matrix_rank(B) == 5
    # Trois vecteurs dont le troisième est la somme des deux premiers : liée, ni base.
    F = np.array([[1.0, 0, 2], [0, 1, 1], [1, 1, 3]])
    assert not L.is_free(F) and not L.is_generating(F) and not L.is_basis(F)
    # Deux vecteurs libres de ℝ³ : libres, non générateurs. Quatre vecteurs de ℝ³ : générateurs, non libres.
    assert L.is_free(F[:2]) and not L.is_generating(F[:2]) and not L.is_basis(F[:2])
    G = np.vstack([np.eye(3), [1.0, 1, 1]])
    assert L.is_generating(G) and not L.is_free(G) and not L.is_basis(G)


@SETTINGS
@given(st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_basis_iff_free_and_generating(n, seed):
    rng = np.random.default_rng(seed)
    rows = rng.integers(1, n + 2)
    V = rng.integers(-2, 3, size=(rows, n)).astype(float)
    assert L.is_basis(V) == (L.is_free(V) and L.is_generating(V))
    assert L.is_basis(V) == (rows == n and np.linalg.matrix_rank(V) == n)


def test_coordinates_reconstruct_the_vector():
    rng = np.random.default_rng(1)
    B = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    c = L.coordinates(B, x)
    np.testing.assert_allclose(c @ B, x, rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="n'est pas une base"):
        L.coordinates(np.array([[1.0, 2], [2, 4]]), np.ones(2))
    with pytest.raises(ValueError, match="dimension"):
        L.coordinates(np.eye(3), np.ones(2))


# ------------------------------------------------------------------------------------ cosinus


def test_cosine_against_torch():
    rng = np.random.default_rng(2)
    u, v = rng.normal(size=16), rng.normal(size=16)
    expected = torch.nn.functional.cosine_similarity(torch.from_numpy(u), torch.from_numpy(v), dim=0).item()
    assert L.cosine_similarity(u, v) == pytest.approx(expected, abs=1e-12)
    assert L.cosine_similarity([1, 0], [0, 3]) == 0.0
    assert L.cosine_similarity([1, 2], [-2, -4]) == pytest.approx(-1.0)


@SETTINGS
@given(vectors(5), vectors(5), st.floats(1e-3, 1e3), st.floats(1e-3, 1e3))
def test_cosine_is_bounded_and_scale_invariant(u, v, a, b):
    if not (np.any(u) and np.any(v)):
        return
    c = L.cosine_similarity(u, v)
    assert -1.0 <= c <= 1.0
    assert L.cosine_similarity(a * u, b * v) == pytest.approx(c, abs=1e-9)
    assert L.cosine_similarity(-u, v) == pytest.approx(-c, abs=1e-12)


def test_cosine_rejects_zero_vector_and_bad_shapes():
    with pytest.raises(ValueError, match="vecteur nul"):
        L.cosine_similarity([0.0, 0.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"u \(2,\), v \(3,\)"):
        L.cosine_similarity([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="nombres"):
        L.cosine_similarity(["a"], ["b"])


# ------------------------------------------------------------------------------------ coût


def test_matmul_flops_counts_multiplications_and_additions():
    assert L.matmul_flops(1, 1, 1) == 1
    assert L.matmul_flops(2, 3, 4) == 2 * 4 * (3 + 2)
    with pytest.raises(ValueError, match="≥ 1"):
        L.matmul_flops(0, 2, 2)
    with pytest.raises(TypeError, match="entier"):
        L.matmul_flops(2.5, 2, 2)


# ------------------------------------------------------------------------------------ diagonalisation


def _diagonalisable(seed, n):
    rng = np.random.default_rng(seed)
    P = rng.normal(size=(n, n)) + 2 * np.eye(n)
    D = np.diag(rng.uniform(-2, 2, size=n))
    return P @ D @ np.linalg.inv(P)


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_diagonalize_reconstructs(seed, n):
    A = _diagonalisable(seed, n)
    # Hors de ce test : les matrices presque défectives, où l'erreur d'arrondi croît comme cond(P).
    assume(np.linalg.cond(np.linalg.eig(A)[1]) < 1e6)
    P, D = L.diagonalize(A)
    np.testing.assert_allclose(P @ D @ np.linalg.inv(P), A, atol=1e-8 * max(1, np.abs(A).max()))
    np.testing.assert_allclose(np.sort_complex(np.diag(D)), np.sort_complex(np.linalg.eigvals(A)), atol=1e-7)


@SETTINGS
@given(square())
def test_symmetric_matrices_get_orthogonal_p(M):
    S = M + M.T
    P, D = L.diagonalize(S)
    n = S.shape[0]
    np.testing.assert_allclose(P.T @ P, np.eye(n), atol=1e-10)
    np.testing.assert_allclose(P @ D @ P.T, S, atol=1e-9 * max(1, np.abs(S).max()))
    np.testing.assert_allclose(np.diag(D), np.linalg.eigvalsh(S), atol=1e-9 * max(1, np.abs(S).max()))


def test_rotation_is_diagonalisable_over_complex_numbers():
    R = np.array([[0.0, -1.0], [1.0, 0.0]])
    P, D = L.diagonalize(R)
    assert np.iscomplexobj(D)
    np.testing.assert_allclose(sorted(np.diag(D).imag), [-1, 1], atol=1e-12)
    np.testing.assert_allclose(L.matrix_power(R, 4), np.eye(2), atol=1e-12)
    assert not np.iscomplexobj(L.matrix_power(R, 3))


@pytest.mark.parametrize("J", [np.array([[2.0, 1.0], [0.0, 2.0]]), np.array([[0.0, 1.0], [0.0, 0.0]]),
                               np.array([[3.0, 1, 0], [0, 3, 1], [0, 0, 3]])])
def test_jordan_block_is_rejected_in_french(J):
    with pytest.raises(ValueError, match="n'est pas diagonalisable"):
        L.diagonalize(J)
    with pytest.raises(ValueError, match="bloc de Jordan"):
        L.matrix_power(J, 3)


def test_diagonalize_input_checks():
    with pytest.raises(ValueError, match=r"carrée.*\(2, 3\)"):
        L.diagonalize(np.ones((2, 3)))
    with pytest.raises(ValueError, match="valeurs finies"):
        L.diagonalize(np.array([[np.nan, 0], [0, 1]]))
    with pytest.raises(TypeError, match="tableau numérique"):
        L.diagonalize("A")


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.integers(0, 8))
def test_matrix_power_matches_numpy(seed, n, k):
    A = _diagonalisable(seed, n) / 2
    assume(np.linalg.cond(np.linalg.eig(A)[1]) < 1e6)
    expected = np.linalg.matrix_power(A, k)
    got = L.matrix_power(A, k)
    np.testing.assert_allclose(got, expected, atol=1e-7 * max(1, np.abs(expected).max()))


def test_matrix_power_rejects_bad_exponent():
    with pytest.raises(ValueError, match="≥ 0"):
        L.matrix_power(np.eye(2), -1)
    with pytest.raises(TypeError, match="entier"):
        L.matrix_power(np.eye(2), 1.5)
    np.testing.assert_array_equal(L.matrix_power(np.ones((3, 3)), 0), np.eye(3))


def test_spectral_radius_against_numpy_and_decay():
    A = np.array([[0.5, 0.3], [0.1, 0.4]])
    assert L.spectral_radius(A) == pytest.approx(np.abs(np.linalg.eigvals(A)).max(), abs=1e-14)
    assert L.spectral_radius(A) < 1 and np.abs(L.matrix_power(A, 200)).max() < 1e-10


# ------------------------------------------------------------------------------------ SVD


@SETTINGS
@given(matrices(), st.data())
def test_eckart_young_error_identity(A, data):
    k = data.draw(st.integers(0, min(A.shape)))
    Ak = L.low_rank_approximation(A, k)
    s = np.linalg.svd(A, compute_uv=False)
    err = np.linalg.norm(A - Ak, "fro")
    assert err == pytest.approx(np.sqrt(np.sum(s[k:] ** 2)), rel=1e-8, abs=1e-9)
    assert err == pytest.approx(L.truncation_error(A, k), rel=1e-8, abs=1e-9)
    assert np.linalg.matrix_rank(Ak, tol=1e-8 * max(1.0, s[0])) <= k


def test_low_rank_is_better_than_random_rank_k_matrices():
    rng = np.random.default_rng(4)
    A = rng.normal(size=(8, 6))
    best = np.linalg.norm(A - L.low_rank_approximation(A, 2))
    for _ in range(50):
        X = rng.normal(size=(8, 2)) @ rng.normal(size=(2, 6))
        assert np.linalg.norm(A - X) >= best
    np.testing.assert_allclose(L.low_rank_approximation(A, 6), A, atol=1e-12)
    with pytest.raises(ValueError, match="entre 0 et min"):
        L.low_rank_approximation(A, 7)
    with pytest.raises(ValueError, match="entre 0 et min"):
        L.truncation_error(A, 7)


def test_explained_variance_ratio():
    A = np.diag([3.0, 2.0, 1.0])
    np.testing.assert_allclose(L.explained_variance_ratio(A), np.cumsum([9, 4, 1]) / 14, rtol=1e-12)
    with pytest.raises(ValueError, match="nulle"):
        L.explained_variance_ratio(np.zeros((2, 2)))


# ------------------------------------------------------------------------------------ attention


def test_head_projection_matches_torch_linear_and_score_rank():
    torch.manual_seed(0)
    C, h, d_k = 12, 3, 4
    q_lin, k_lin = torch.nn.Linear(C, h * d_k, bias=False), torch.nn.Linear(C, h * d_k, bias=False)
    x, y = torch.randn(C, dtype=torch.float64), torch.randn(C, dtype=torch.float64)
    head = 1
    Wq, Wk = L.head_projection(q_lin.weight, head, d_k), L.head_projection(k_lin.weight, head, d_k)
    assert Wq.shape == (C, d_k)
    q = q_lin.double()(x)[head * d_k : (head + 1) * d_k].detach().numpy()
    k = k_lin.double()(y)[head * d_k : (head + 1) * d_k].detach().numpy()
    M = L.bilinear_score_matrix(Wq, Wk)
    # Tout est en float64 (poids float32 copiés exactement) : seul l'ordre des sommes diffère.
    assert x.numpy() @ M @ y.numpy() == pytest.approx(q @ k, rel=1e-12)
    assert np.linalg.matrix_rank(M) <= d_k
    with pytest.raises(ValueError, match="head doit"):
        L.head_projection(q_lin.weight, 3, d_k)
    with pytest.raises(ValueError, match="multiple"):
        L.head_projection(q_lin.weight, 0, 5)
    with pytest.raises(ValueError, match="même forme"):
        L.bilinear_score_matrix(Wq, Wk[:, :2])


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(0, 6))
def test_factored_singular_values_match_full_svd(seed, d_k, extra):
    rng = np.random.default_rng(seed)
    C = d_k + extra
    Wq, Wk = rng.normal(size=(C, d_k)), rng.normal(size=(C, d_k))
    full = np.linalg.svd(L.bilinear_score_matrix(Wq, Wk), compute_uv=False)
    fast = L.factored_singular_values(Wq, Wk)
    assert fast.shape == (d_k,)
    np.testing.assert_allclose(fast, full[:d_k], rtol=1e-9, atol=1e-9 * full[0])
    assert np.all(full[d_k:] <= 1e-9 * full[0])


def test_factored_singular_values_rejects_bad_shapes():
    with pytest.raises(ValueError, match="C ≥ d_k"):
        L.factored_singular_values(np.ones((2, 3)), np.ones((2, 3)))
