"""Tests de masterclass.maths.orthogonal contre numpy.linalg et scipy.linalg, et lois vérifiées avec hypothesis.

Tolérances : 1e-10 (relatives ou absolues) en float64 pour les identités exactes en arithmétique réelle.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from masterclass.maths import orthogonal as O

from samples import FINITE, SETTINGS, vectors


def full_column_rank(max_side=6):
    """Matrices (m, n), m ≥ n, de conditionnement < 100. Gram-Schmidt classique perd l'orthogonalité comme
    ε·cond(A)² (Björck ; c'est le sujet de la page, mesuré dans le livre) : avec cond < 100, ‖QᵀQ - I‖ reste
    sous 1e-10 ; au-delà, une tolérance de 1e-10 ne serait plus une loi mais un hasard."""
    shapes = st.integers(1, max_side).flatmap(lambda n: st.tuples(st.integers(n, max_side), st.just(n)))
    return shapes.flatmap(lambda s: arrays(np.float64, s, elements=FINITE)).filter(
        lambda A: np.linalg.norm(A, axis=0).min() > 1e-3 and np.linalg.cond(A) < 100
    )


def _positive_diagonal(Q, R):
    """Ramène une décomposition QR quelconque à la convention diag(R) > 0 : (Q S, S R), S = diag(signe)."""
    s = np.sign(np.diag(R))
    return Q * s, s[:, None] * R


@SETTINGS
@given(full_column_rank(), st.booleans())
def test_gram_schmidt_and_qr_laws(A, modified):
    n = A.shape[1]
    tol = 1e-10 * max(1.0, np.abs(A).max())
    for Q, R in (O.gram_schmidt(A, modified=modified), O.qr(A)):
        np.testing.assert_allclose(Q.T @ Q, np.eye(n), atol=1e-10)                             # QᵀQ = I
        np.testing.assert_allclose(Q @ R, A, atol=tol)                                         # A = QR
        np.testing.assert_array_equal(np.tril(R, -1), 0)                                       # triangulaire
        assert np.all(np.diag(R) > 0)                                                          # diagonale > 0


@pytest.mark.parametrize("shape", [(5, 5), (9, 4), (30, 12)])
def test_qr_matches_numpy_up_to_signs(shape):
    rng = np.random.default_rng(7)
    A = rng.normal(size=shape)
    Q_ref, R_ref = _positive_diagonal(*np.linalg.qr(A))
    Q, R = O.qr(A)
    np.testing.assert_allclose(Q, Q_ref, atol=1e-12)
    np.testing.assert_allclose(R, R_ref, atol=1e-12)
    # Unicité : Gram-Schmidt (les deux versions) donne la même décomposition, à la précision de cond(A) près.
    for modified in (False, True):
        Q_gs, R_gs = O.gram_schmidt(A, modified=modified)
        np.testing.assert_allclose(Q_gs, Q_ref, atol=1e-10)
        np.testing.assert_allclose(R_gs, R_ref, atol=1e-10)


def test_classical_gram_schmidt_loses_orthogonality_modified_keeps_more():
    rng = np.random.default_rng(0)
    n = 10
    U, _ = np.linalg.qr(rng.normal(size=(30, n)))
    V, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = (U * np.logspace(0, -8, n)) @ V.T  # cond(A) = 1e8
    loss = {}
    for modified in (False, True):
        Q, R = O.gram_schmidt(A, modified=modified)
        np.testing.assert_allclose(Q @ R, A, atol=1e-14)       # A = QR reste exact dans les deux cas
        loss[modified] = np.abs(Q.T @ Q - np.eye(n)).max()
    Q_h, _ = O.qr(A)
    loss_householder = np.abs(Q_h.T @ Q_h - np.eye(n)).max()
    # Bornes de Björck : classique ~ ε cond², modifiée ~ ε cond, Householder ~ ε.
    assert loss[False] > 1e-5 and loss[True] < 1e-6 and loss_householder < 1e-14


def test_orthogonalisation_rejects_dependent_columns_and_bad_shapes():
    A = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    for f in (O.gram_schmidt, O.qr, O.projection_matrix):
        with pytest.raises(ValueError, match="libres"):
            f(A)
    with pytest.raises(ValueError, match=r"pas plus de colonnes que de lignes : reçu \(2, 3\)"):
        O.gram_schmidt(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"pas plus de colonnes"):
        O.qr(np.ones((2, 3)))
    with pytest.raises(TypeError, match="réelle"):
        O.qr(np.eye(2, dtype=complex))
    with pytest.raises(ValueError, match=r"A \(3, 2\), x \(2,\)"):
        O.orthogonal_projection(np.eye(3)[:, :2], np.ones(2))


@SETTINGS
@given(full_column_rank(), st.data())
def test_projection_is_symmetric_idempotent_and_closest(A, data):
    m = A.shape[0]
    P = O.projection_matrix(A)
    np.testing.assert_allclose(P, P.T, atol=1e-10)                    # symétrique
    np.testing.assert_allclose(P @ P, P, atol=1e-10)                  # idempotente
    np.testing.assert_allclose(P @ A, A, atol=1e-10 * max(1.0, np.abs(A).max()))   # fixe l'espace des colonnes
    assert np.trace(P) == pytest.approx(A.shape[1], abs=1e-10)        # tr P = dimension de l'espace
    x = data.draw(vectors(m))
    p = O.orthogonal_projection(A, x)
    np.testing.assert_allclose(p, P @ x, atol=1e-10 * max(1.0, np.abs(x).max()))
    np.testing.assert_allclose(A.T @ (x - p), 0, atol=1e-9 * max(1.0, np.abs(A).max()) * max(1.0, np.abs(x).max()))
    # Le point le plus proche : aucun autre point de l'espace (A c) n'est plus près de x.
    c = data.draw(vectors(A.shape[1]))
    assert np.linalg.norm(x - p) <= np.linalg.norm(x - A @ c) + 1e-9 * max(1.0, np.abs(x).max())


def test_projection_formula_with_normal_equations():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(8, 3))
    np.testing.assert_allclose(O.projection_matrix(A), A @ np.linalg.inv(A.T @ A) @ A.T, atol=1e-12)


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(1, 7), st.integers(1, 7), st.data())
def test_null_space_against_scipy_and_rank_nullity(seed, m, n, data):
    scipy_linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(seed)
    r = data.draw(st.integers(0, min(m, n)))
    A = rng.normal(size=(m, r)) @ rng.normal(size=(r, n))             # rang r (presque sûrement)
    N = O.null_space(A)
    N_ref = scipy_linalg.null_space(A)
    assert N.shape == N_ref.shape == (n, n - np.linalg.matrix_rank(A))  # dim ker A = n - rg A
    np.testing.assert_allclose(A @ N, 0, atol=1e-10 * max(1.0, np.abs(A).max()))
    np.testing.assert_allclose(N.T @ N, np.eye(N.shape[1]), atol=1e-10)
    # Les bases peuvent différer d'une rotation : on compare les projecteurs sur le noyau.
    np.testing.assert_allclose(N @ N.T, N_ref @ N_ref.T, atol=1e-10)


def test_null_space_examples():
    N = O.null_space(np.array([[1.0, 1.0, 1.0]]))
    assert N.shape == (3, 2)
    np.testing.assert_allclose(N.sum(axis=0), 0, atol=1e-15)
    assert O.null_space(np.eye(3)).shape == (3, 0)
    assert O.null_space(np.zeros((2, 4))).shape == (4, 4)
    with pytest.raises(ValueError, match="non vide"):
        O.null_space(np.zeros((0, 3)))


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.data())
def test_complete_orthonormal_basis(seed, m, data):
    k = data.draw(st.integers(0, m))
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(m, k))) if k else (np.zeros((m, 0)), None)
    B = O.complete_orthonormal_basis(Q)
    assert B.shape == (m, m)
    np.testing.assert_allclose(B.T @ B, np.eye(m), atol=1e-12)
    np.testing.assert_array_equal(B[:, :k], Q)


def test_complete_orthonormal_basis_rejects_non_orthonormal():
    with pytest.raises(ValueError, match="orthonormées"):
        O.complete_orthonormal_basis(np.array([[1.0], [1.0]]))
    with pytest.raises(ValueError, match="plus de colonnes que de lignes"):
        O.complete_orthonormal_basis(np.eye(3, 4))
