"""Orthogonalité : noyau, projections orthogonales, procédé de Gram-Schmidt, décomposition QR, complétion d'une
famille orthonormée en base.

Comme dans ``numpy.linalg.qr``, les vecteurs d'une famille sont ici les **colonnes** de la matrice (dans
:mod:`masterclass.maths.linalg`, ce sont les lignes). Références : Golub et Van Loan (2013) ; Björck (1967) pour la
perte d'orthogonalité de Gram-Schmidt.

Voir : {ref}`fondements-orthogonalite`.
"""

from __future__ import annotations

import numpy as np

from masterclass.maths.linalg import as_float_array, rank


def null_space(A, tol: float | None = None) -> np.ndarray:
    """Base orthonormée du noyau ``ker A = {x : A x = 0}``, rangée en colonnes, de forme ``(n, n - rg A)``.

    Par la SVD ``A = U Σ Vᵀ`` : les colonnes de ``V`` associées aux valeurs singulières nulles (sous le seuil
    ``tol``, par défaut celui de ``numpy.linalg.matrix_rank``) engendrent le noyau. Théorème du rang :
    ``dim ker A + rg A = n``. Voir : {ref}`fondements-noyau`.
    """
    A = as_float_array("A", A, ndim=2)
    m, n = A.shape
    if m == 0 or n == 0:
        raise ValueError(f"A doit être une matrice non vide : reçu la forme {A.shape}.")
    _, s, Vt = np.linalg.svd(A)  # (m, m), (min(m, n),), (n, n)
    if tol is None:
        tol = float(s.max(initial=0.0)) * max(m, n) * np.finfo(A.dtype).eps
    r = int(np.sum(s > tol))
    return Vt[r:].T.conj()  # (n - r, n) -> (n, n - r)


def _tall_real_matrix(A) -> np.ndarray:
    """Matrice réelle ``(m, n)`` avec ``1 ≤ n ≤ m`` (entrée de Gram-Schmidt et de QR), erreurs en français."""
    A = as_float_array("A", A, ndim=2)
    if np.iscomplexobj(A):
        raise TypeError(f"A doit être réelle : reçu le type {A.dtype}.")
    if A.shape[1] == 0 or A.shape[1] > A.shape[0]:
        raise ValueError(f"A doit avoir au moins une colonne et pas plus de colonnes que de lignes : reçu {A.shape}.")
    return A


def gram_schmidt(A, modified: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Procédé de Gram-Schmidt sur les colonnes de ``A`` ``(m, n)`` : renvoie ``(Q, R)`` avec ``A = Q R``.

    Colonne par colonne, ``v_j = a_j - Σ_{i<j} r_ij q_i``, ``r_jj = ‖v_j‖``, ``q_j = v_j / r_jj``. Version
    classique (``modified=False``) : ``r_ij = ⟨q_i, a_j⟩``, calculés sur la colonne d'origine ; version
    modifiée : ``r_ij = ⟨q_i, v⟩`` sur le vecteur déjà partiellement orthogonalisé. Identiques en arithmétique
    exacte, elles diffèrent en flottants : la version classique perd l'orthogonalité de ``Q`` comme le carré du
    conditionnement de ``A``, la modifiée comme le conditionnement (Björck, 1967). Les colonnes doivent être
    libres. Voir : {ref}`fondements-gram-schmidt`.
    """
    A = _tall_real_matrix(A)
    m, n = A.shape
    Q, R = np.zeros((m, n)), np.zeros((n, n))
    scale = float(np.linalg.norm(A, axis=0).max())
    for j in range(n):
        v = A[:, j].astype(np.float64)  # (m,)
        for i in range(j):
            R[i, j] = Q[:, i] @ (v if modified else A[:, j])
            v = v - R[i, j] * Q[:, i]
        R[j, j] = np.linalg.norm(v)
        if R[j, j] <= max(m, n) * np.finfo(np.float64).eps * scale:
            raise ValueError(
                f"Les colonnes de A doivent être libres : la colonne {j} est (numériquement) combinaison des "
                f"précédentes (‖v_{j}‖ = {R[j, j]:.1e})."
            )
        Q[:, j] = v / R[j, j]
    return Q, R


def qr(A) -> tuple[np.ndarray, np.ndarray]:
    """Décomposition QR réduite ``A = Q R``, diagonale de ``R`` strictement positive (unique pour des colonnes libres).

    ``A`` ``(m, n)`` avec ``m ≥ n`` ; ``Q`` ``(m, n)`` à colonnes orthonormées, ``R`` ``(n, n)`` triangulaire
    supérieure. Calcul par réflexions de Householder (``numpy.linalg.qr``, stable), puis changement de signe des
    colonnes de ``Q`` et des lignes de ``R`` dont le coefficient diagonal est négatif :
    ``A = (Q S)(S R)`` avec ``S = diag(±1)``, ``S² = I``. Voir : {ref}`fondements-qr`.
    """
    A = _tall_real_matrix(A)
    m, n = A.shape
    Q, R = np.linalg.qr(A)  # (m, n), (n, n)
    d = np.diag(R)
    scale = float(np.linalg.norm(A, axis=0).max())
    if np.any(np.abs(d) <= max(m, n) * np.finfo(A.dtype).eps * scale):
        raise ValueError(f"Les colonnes de A doivent être libres : rang {rank(A.T)} pour {n} colonnes.")
    signs = np.sign(d)  # (n,)
    return Q * signs, signs[:, None] * R  # Q S, S R


def projection_matrix(A) -> np.ndarray:
    """Matrice ``P = Q Qᵀ`` ``(m, m)`` de la projection orthogonale sur l'espace engendré par les colonnes de ``A``.

    ``Q`` est une base orthonormée de cet espace, tirée de ``A = Q R`` ; si les colonnes de ``A`` sont libres,
    ``P = A (AᵀA)⁻¹ Aᵀ``. ``P`` est symétrique et idempotente (``P² = P``). Voir : {ref}`fondements-projection`.
    """
    Q, _ = qr(A)
    return Q @ Q.T  # (m, n) @ (n, m) -> (m, m)


def orthogonal_projection(A, x) -> np.ndarray:
    """Projection orthogonale ``p = Q (Qᵀ x) = Σ_i ⟨q_i, x⟩ q_i`` de ``x`` sur l'espace des colonnes de ``A``.

    ``p`` est le point de cet espace le plus proche de ``x`` ; ``x - p`` est orthogonal à toutes les colonnes.
    Voir : {ref}`fondements-projection`.
    """
    A = as_float_array("A", A, ndim=2)
    x = as_float_array("x", x, ndim=1)
    if x.shape[0] != A.shape[0]:
        raise ValueError(f"x doit avoir autant de coordonnées que A a de lignes : A {A.shape}, x {x.shape}.")
    Q, _ = qr(A)
    return Q @ (Q.T @ x)  # (m, n) @ ((n, m) @ (m,)) -> (m,)


def complete_orthonormal_basis(Q) -> np.ndarray:
    """Complète les ``k`` colonnes orthonormées de ``Q`` ``(m, k)`` en une base orthonormée de ℝ^m, matrice ``(m, m)``.

    Comme dans la démonstration : on ajoute des vecteurs de la base canonique orthogonalisés contre la famille
    courante ; à chaque étape, celui dont le résidu ``(I - Q Qᵀ) e_i`` est le plus long (sa norme est au moins
    ``√((m - k) / m)`` : la somme des carrés des résidus vaut ``tr(I - Q Qᵀ) = m - k``). Les ``k`` premières
    colonnes du résultat sont celles de ``Q``. Voir : {ref}`fondements-completion`.
    """
    Q = as_float_array("Q", Q, ndim=2)
    if np.iscomplexobj(Q):
        raise TypeError(f"Q doit être réelle : reçu le type {Q.dtype}.")
    m, k = Q.shape
    if k > m:
        raise ValueError(f"Q ne peut pas avoir plus de colonnes que de lignes : reçu {Q.shape}.")
    gap = float(np.abs(Q.T @ Q - np.eye(k)).max(initial=0.0))
    if gap > 1e-10:
        raise ValueError(f"Les colonnes de Q doivent être orthonormées : max |QᵀQ - I| = {gap:.1e} > 1e-10.")
    basis = [Q[:, i] for i in range(k)]
    residual = np.eye(m) - Q @ Q.T  # (m, m) : colonne i = e_i moins sa projection sur vect(Q)
    for _ in range(m - k):
        i = int(np.argmax(np.linalg.norm(residual, axis=0)))
        v = residual[:, i].copy()
        for q in basis:  # réorthogonalisation (« deux fois suffit ») : efface les erreurs d'arrondi
            v -= (q @ v) * q
        v /= np.linalg.norm(v)
        basis.append(v)
        residual -= np.outer(v, v @ residual)  # (m, 1) @ (1, m) : on retire la composante sur v
    return np.column_stack(basis) if basis else np.zeros((m, 0))
