"""Algèbre linéaire du livre : bases, similarité cosinus, diagonalisation, puissances, SVD tronquée (le noyau,
Gram-Schmidt, QR et les projections orthogonales sont dans :mod:`masterclass.maths.orthogonal`).

Chaque fonction prend et renvoie des tableaux NumPy. Les vecteurs d'une famille sont rangés en lignes
(convention du code, voir « Notations ») ; les formules du texte les écrivent en colonnes.
Référence générale : Strang (2016) ; Golub et Van Loan (2013) ; Eckart et Young (1936) pour la SVD tronquée.

Voir : {ref}`fondements`.
"""

from __future__ import annotations

import numbers

import numpy as np

#: Conditionnement au-delà duquel la matrice des vecteurs propres est jugée non inversible.
DEFAULT_MAX_CONDITION = 1e8


def as_float_array(name: str, x, ndim: int | None = None) -> np.ndarray:
    """Convertit ``x`` en tableau de flottants (ou complexes) et vérifie son nombre d'axes (erreur en français).

    Vérification commune aux modules de :mod:`masterclass.maths`.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} doit être un tableau numérique : reçu {type(x).__name__}.")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # objets non convertibles
        raise TypeError(f"{name} doit être un tableau numérique : reçu {type(x).__name__}.") from exc
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.number)):
        raise TypeError(f"{name} doit contenir des nombres : reçu le type {arr.dtype}.")
    if not np.issubdtype(arr.dtype, np.inexact):
        arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} doit avoir {ndim} axe(s) : reçu la forme {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} ne doit contenir que des valeurs finies (ni NaN ni infini).")
    return arr


def _as_square(name: str, A) -> np.ndarray:
    arr = as_float_array(name, A, ndim=2)
    if arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(f"{name} doit être une matrice carrée non vide (n, n) : reçu la forme {arr.shape}.")
    return arr


def _check_int(name: str, k, minimum: int) -> int:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{name} doit être un entier : reçu {type(k).__name__}.")
    if k < minimum:
        raise ValueError(f"{name} doit être un entier ≥ {minimum} : reçu {k}.")
    return int(k)


def _real_if_close(x: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Renvoie la partie réelle si toutes les parties imaginaires sont négligeables."""
    if np.iscomplexobj(x) and np.all(np.abs(x.imag) <= tol * max(1.0, float(np.abs(x).max(initial=0.0)))):
        return x.real.copy()
    return x


# --------------------------------------------------------------------------------------------------
# Familles de vecteurs et bases
# --------------------------------------------------------------------------------------------------


def rank(vectors, tol: float | None = None) -> int:
    """Rang d'une famille de vecteurs (rangés en lignes) : la dimension de l'espace qu'ils engendrent.

    Calculé par SVD (``numpy.linalg.matrix_rank``) : nombre de valeurs singulières au-dessus du seuil ``tol``.
    Voir : {ref}`fondements-vecteurs`.
    """
    V = as_float_array("vectors", vectors, ndim=2)
    return int(np.linalg.matrix_rank(V, tol=tol))


def is_free(vectors, tol: float | None = None) -> bool:
    """Indique si la famille (vecteurs en lignes, forme ``(n, d)``) est libre : son rang vaut ``n``.

    Voir : {ref}`fondements-vecteurs`.
    """
    V = as_float_array("vectors", vectors, ndim=2)
    return rank(V, tol) == V.shape[0]


def is_generating(vectors, tol: float | None = None) -> bool:
    """Indique si la famille (vecteurs en lignes, forme ``(n, d)``) engendre ℝ^d : son rang vaut ``d``.

    Voir : {ref}`fondements-vecteurs`.
    """
    V = as_float_array("vectors", vectors, ndim=2)
    return rank(V, tol) == V.shape[1]


def is_basis(vectors, tol: float | None = None) -> bool:
    """Indique si la famille (vecteurs en lignes, forme ``(n, d)``) est une base de ℝ^d.

    Une base est une famille libre et génératrice ; dans ℝ^d cela équivaut à ``n = d`` et rang ``= d``.
    Voir : {ref}`fondements-vecteurs`.
    """
    V = as_float_array("vectors", vectors, ndim=2)
    return is_free(V, tol) and is_generating(V, tol)


def coordinates(basis, x) -> np.ndarray:
    """Coordonnées ``c`` de ``x`` dans une base (vecteurs en lignes) : ``x = Σ_i c_i b_i``, soit ``Bᵀ c = x``.

    Lève ``ValueError`` si la famille n'est pas une base ou si les dimensions diffèrent.
    Voir : {ref}`fondements-vecteurs`.
    """
    B = as_float_array("basis", basis, ndim=2)
    x = as_float_array("x", x, ndim=1)
    if B.shape[1] != x.shape[0]:
        raise ValueError(
            f"x doit avoir la dimension des vecteurs de la base : base {B.shape}, x {x.shape}."
        )
    if not is_basis(B):
        raise ValueError(
            f"La famille donnée n'est pas une base de ℝ^{B.shape[1]} : rang {rank(B)}, {B.shape[0]} vecteurs."
        )
    return np.linalg.solve(B.T, x)  # (d, d) @ (d,) -> (d,)


# --------------------------------------------------------------------------------------------------
# Produit scalaire et similarité
# --------------------------------------------------------------------------------------------------


def cosine_similarity(u, v) -> float:
    """Similarité cosinus ``⟨u, v⟩ / (‖u‖ ‖v‖)``, un nombre de [-1, 1] (inégalité de Cauchy-Schwarz).

    Lève ``ValueError`` pour un vecteur nul (l'angle n'est pas défini) ou des dimensions différentes.
    Voir : {ref}`fondements-produit-scalaire`.
    """
    u = as_float_array("u", u, ndim=1)
    v = as_float_array("v", v, ndim=1)
    if u.shape != v.shape:
        raise ValueError(f"u et v doivent avoir la même dimension : u {u.shape}, v {v.shape}.")
    # Mise à l'échelle par le maximum : évite le dépassement de capacité de ‖u‖² pour de très grands vecteurs.
    su, sv = np.abs(u).max(initial=0.0), np.abs(v).max(initial=0.0)
    if su == 0 or sv == 0:
        raise ValueError("La similarité cosinus n'est pas définie pour un vecteur nul.")
    u, v = u / su, v / sv
    cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))
    return min(1.0, max(-1.0, cos))  # les arrondis peuvent dépasser ±1 de quelques ulp


# --------------------------------------------------------------------------------------------------
# Matrices : coût du produit, rayon spectral
# --------------------------------------------------------------------------------------------------


def matmul_flops(m: int, n: int, p: int) -> int:
    """Nombre d'opérations flottantes du produit naïf ``(m, n) @ (n, p)`` : ``m p n`` multiplications
    et ``m p (n - 1)`` additions, soit ``m p (2n - 1)`` (souvent arrondi à ``2 m n p``).

    Voir : {ref}`fondements-cout-produit`.
    """
    m, n, p = (_check_int(name, val, 1) for name, val in (("m", m), ("n", n), ("p", p)))
    return m * p * (2 * n - 1)


def spectral_radius(A) -> float:
    """Rayon spectral ``ρ(A) = max_i |λ_i|`` d'une matrice carrée.

    ``ρ(A) < 1`` entraîne ``A^k → 0`` ; ``ρ(A) > 1`` fait exploser ``A^k x`` pour presque tout ``x``.
    Voir : {ref}`fondements-rayon-spectral`.
    """
    A = _as_square("A", A)
    return float(np.abs(np.linalg.eigvals(A)).max())


# --------------------------------------------------------------------------------------------------
# Diagonalisation et puissances
# --------------------------------------------------------------------------------------------------


def diagonalize(A, max_condition: float = DEFAULT_MAX_CONDITION) -> tuple[np.ndarray, np.ndarray]:
    """Diagonalise ``A = P D P⁻¹`` et renvoie ``(P, D)``, ``D`` diagonale des valeurs propres.

    - matrice symétrique réelle : ``numpy.linalg.eigh``, ``P`` orthogonale (théorème spectral) ;
    - sinon ``numpy.linalg.eig`` ; ``P`` et ``D`` sont complexes si des valeurs propres le sont.

    Lève ``ValueError`` si ``A`` n'a pas ``n`` vecteurs propres indépendants (bloc de Jordan, par exemple) :
    numériquement, si le conditionnement de ``P`` dépasse ``max_condition``.
    Voir : {ref}`fondements-diagonalisation`.
    """
    A = _as_square("A", A)
    if not (isinstance(max_condition, numbers.Real) and max_condition > 1):
        raise ValueError(f"max_condition doit être un réel > 1 : reçu {max_condition!r}.")
    if np.isrealobj(A) and np.allclose(A, A.T, rtol=1e-12, atol=1e-12 * max(1.0, float(np.abs(A).max()))):
        eigenvalues, P = np.linalg.eigh((A + A.T) / 2)
        return P, np.diag(eigenvalues)
    eigenvalues, P = np.linalg.eig(A)
    condition = np.linalg.cond(P)
    if not np.isfinite(condition) or condition > max_condition:
        raise ValueError(
            "La matrice n'est pas diagonalisable : ses vecteurs propres ne forment pas une base "
            f"(conditionnement de P = {condition:.2e} > {max_condition:.0e}). "
            "Attendu : une matrice carrée avec n vecteurs propres indépendants (un bloc de Jordan ne l'est pas)."
        )
    eigenvalues, P = _real_if_close(eigenvalues), _real_if_close(P)
    if np.iscomplexobj(eigenvalues) != np.iscomplexobj(P):
        eigenvalues, P = eigenvalues.astype(complex), P.astype(complex)
    return P, np.diag(eigenvalues)


def matrix_power(A, k: int) -> np.ndarray:
    """Puissance ``A^k = P D^k P⁻¹`` calculée par la diagonalisation (``k`` entier ≥ 0).

    ``D^k`` ne coûte que ``n`` puissances de nombres ; le résultat est réel si ``A`` l'est.
    Lève ``ValueError`` si ``A`` n'est pas diagonalisable (voir :func:`diagonalize`).
    Voir : {ref}`fondements-puissances`.
    """
    A = _as_square("A", A)
    k = _check_int("k", k, 0)
    if k == 0:
        return np.eye(A.shape[0], dtype=A.dtype)
    P, D = diagonalize(A)
    Dk = np.diag(np.diag(D) ** k)
    result = P @ Dk @ np.linalg.inv(P)  # (n, n) @ (n, n) @ (n, n) -> (n, n)
    if np.isrealobj(A) and np.iscomplexobj(result):
        result = result.real  # A^k est réelle : la partie imaginaire n'est qu'une erreur d'arrondi
    return result


# --------------------------------------------------------------------------------------------------
# SVD tronquée
# --------------------------------------------------------------------------------------------------


def low_rank_approximation(A, k: int) -> np.ndarray:
    """Meilleure approximation de rang ``k`` de ``A`` (SVD tronquée) : ``A_k = Σ_{i ≤ k} σ_i u_i v_iᵀ``.

    Théorème d'Eckart-Young (1936) : ``‖A - A_k‖_F = √(Σ_{i > k} σ_i²)``, le minimum sur les matrices de
    rang ≤ ``k``. ``k`` va de 0 à ``min(m, n)``.
    Voir : {ref}`fondements-svd`.
    """
    A = as_float_array("A", A, ndim=2)
    k = _check_int("k", k, 0)
    if k > min(A.shape):
        raise ValueError(f"k doit être compris entre 0 et min(m, n) = {min(A.shape)} : reçu {k}.")
    U, s, Vt = np.linalg.svd(A, full_matrices=False)  # (m, r), (r,), (r, n) avec r = min(m, n)
    return (U[:, :k] * s[:k]) @ Vt[:k]  # (m, k) @ (k, n) -> (m, n)


def truncation_error(A, k: int) -> float:
    """Erreur de Frobenius prédite par Eckart-Young : ``√(Σ_{i > k} σ_i²)``, calculée sur les valeurs singulières.

    Voir : {ref}`fondements-svd`.
    """
    A = as_float_array("A", A, ndim=2)
    k = _check_int("k", k, 0)
    if k > min(A.shape):
        raise ValueError(f"k doit être compris entre 0 et min(m, n) = {min(A.shape)} : reçu {k}.")
    s = np.linalg.svd(A, compute_uv=False)
    return float(np.sqrt(np.sum(s[k:] ** 2)))


def explained_variance_ratio(A) -> np.ndarray:
    """Part cumulée de l'« énergie » ``Σ_{i ≤ k} σ_i² / Σ_i σ_i²`` pour ``k = 1 … min(m, n)``.

    Pour une matrice de données centrée, c'est la part de variance expliquée par les ``k`` premières
    composantes principales. Voir : {ref}`fondements-svd`.
    """
    A = as_float_array("A", A, ndim=2)
    s2 = np.linalg.svd(A, compute_uv=False) ** 2
    total = s2.sum()
    if total == 0:
        raise ValueError("La matrice est nulle : la part d'énergie n'est pas définie.")
    return np.cumsum(s2) / total


# --------------------------------------------------------------------------------------------------
# Géométrie de l'attention
# --------------------------------------------------------------------------------------------------


def head_projection(weight, head: int, d_k: int) -> np.ndarray:
    """Matrice ``W ∈ ℝ^{C×d_k}`` d'une tête, extraite d'un poids ``nn.Linear`` de forme ``(h·d_k, C)``.

    ``nn.Linear`` calcule ``x Wᵀ + b`` : la transposée du poids, de forme ``(C, h·d_k)``, est découpée en
    blocs de ``d_k`` colonnes, un par tête (colonnes ``head·d_k`` à ``(head+1)·d_k - 1``). ``head`` est l'indice
    Python, à partir de 0 : la tête ``i`` du texte (numérotée de 1 à ``h``) est ``head = i - 1``.
    Voir : {ref}`fondements-geometrie-attention`.
    """
    if hasattr(weight, "detach"):
        weight = weight.detach().cpu().numpy()
    W = as_float_array("weight", weight, ndim=2)
    d_k = _check_int("d_k", d_k, 1)
    if W.shape[0] % d_k:
        raise ValueError(f"Le nombre de lignes du poids doit être un multiple de d_k = {d_k} : reçu {W.shape}.")
    head = _check_int("head", head, 0)
    if head >= W.shape[0] // d_k:
        raise ValueError(f"head doit être compris entre 0 et {W.shape[0] // d_k - 1} : reçu {head}.")
    return W.T[:, head * d_k : (head + 1) * d_k].astype(np.float64)  # (C, h·d_k) -> (C, d_k), en float64


def bilinear_score_matrix(W_q, W_k) -> np.ndarray:
    """Matrice ``M = W_Q W_Kᵀ`` de la forme bilinéaire ``score(x, y) = (W_Qᵀ x)ᵀ (W_Kᵀ y) = xᵀ M y``.

    ``W_q`` et ``W_k`` ont la forme ``(C, d_k)`` ; ``M`` a la forme ``(C, C)`` et un rang au plus ``d_k``
    (biais exclus). Voir : {ref}`fondements-geometrie-attention`.
    """
    Wq = as_float_array("W_q", W_q, ndim=2)
    Wk = as_float_array("W_k", W_k, ndim=2)
    if Wq.shape != Wk.shape:
        raise ValueError(f"W_q et W_k doivent avoir la même forme (C, d_k) : W_q {Wq.shape}, W_k {Wk.shape}.")
    return Wq @ Wk.T  # (C, d_k) @ (d_k, C) -> (C, C)


def factored_singular_values(W_q, W_k) -> np.ndarray:
    """Valeurs singulières de ``M = W_Q W_Kᵀ`` sans former ``M`` : les ``d_k`` premières, décroissantes.

    Avec les décompositions QR ``W_Q = Q_q R_q`` et ``W_K = Q_k R_k`` (``Q`` à colonnes orthonormées), on a
    ``M = Q_q (R_q R_kᵀ) Q_kᵀ`` : les valeurs singulières de ``M`` sont celles de la petite matrice
    ``R_q R_kᵀ`` de taille ``(d_k, d_k)``, les autres sont nulles. Coût ``O(C d_k²)`` au lieu de ``O(C³)``.
    Voir : {ref}`fondements-geometrie-attention`.
    """
    Wq = as_float_array("W_q", W_q, ndim=2)
    Wk = as_float_array("W_k", W_k, ndim=2)
    if Wq.shape != Wk.shape or Wq.shape[0] < Wq.shape[1]:
        raise ValueError(
            f"W_q et W_k doivent avoir la même forme (C, d_k) avec C ≥ d_k : W_q {Wq.shape}, W_k {Wk.shape}."
        )
    _, R_q = np.linalg.qr(Wq)  # (C, d_k) -> (d_k, d_k)
    _, R_k = np.linalg.qr(Wk)  # (C, d_k) -> (d_k, d_k)
    return np.linalg.svd(R_q @ R_k.T, compute_uv=False)  # (d_k, d_k) @ (d_k, d_k) -> (d_k,)
