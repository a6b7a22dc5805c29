"""Un petit Transformer à schéma de position au choix : sinusoïdal, appris, RoPE, ALiBi ou aucun.

Le modèle lit des jetons ``(B, T)`` et rend des logits ``(B, T, V)`` : une prédiction par position. Il empile
``num_layers`` blocs pré-normalisés (``x + Attention(LN(x))`` puis ``x + MLP(LN(x))``) construits sur l'attention
multi-tête du paquet. Seule change la façon dont la position entre dans le calcul :

- ``"sinusoidal"`` (Vaswani et al., 2017) et ``"learned"`` (BERT, GPT-2) : une table ajoutée aux plongements,
  position **absolue** ;
- ``"rope"`` (Su et al., 2021) : les requêtes et les clés de chaque tête sont tournées de l'angle de leur position ;
  le score ne dépend que de l'écart ``s − t`` ;
- ``"alibi"`` (Press et al., 2022) : rien n'est ajouté aux jetons ; les scores de la tête ``j`` reçoivent le biais
  ``−m_j · |t − s|`` ;
- ``"none"`` : aucune information de position.

``offset`` décale toutes les positions (``offset, …, offset + T − 1``) : RoPE et ALiBi n'en dépendent pas, les tables
absolues si. Le module donne aussi les indices des positions relatives écrêtées de Shaw et al. (2018)
(:func:`relative_position_index`) et deux outils pour analyser une table de positions apprise : ses similarités
cosinus (:func:`cosine_similarity_matrix`) et la part de leur variance qu'explique l'écart entre positions
(:func:`toeplitz_share`).

Voir : {ref}`pos-relatives-modele`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from masterclass.nn.attention import (
    MultiHeadAttention,
    causal_mask,
    merge_heads,
    scaled_dot_product_attention,
    split_heads,
)
from masterclass.nn.positions import LearnedPositions, alibi_bias, apply_rotary, sinusoidal_encoding

SCHEMES = ("sinusoidal", "learned", "rope", "alibi", "none")


def _check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} doit être un entier ≥ {minimum} : reçu {value!r}.")
    return value


class PositionalSelfAttention(MultiHeadAttention):
    """Auto-attention multi-tête où la position entre par les requêtes et clés (RoPE) ou par les scores (ALiBi).

    Mêmes projections que :class:`~masterclass.nn.attention.MultiHeadAttention` (``q_proj``, ``k_proj``, ``v_proj``,
    ``out_proj``). Pour la tête ``j``, la requête ``t`` et la clé ``s`` :

    - ``"rope"`` : score ``⟨R_{p_t} q_t, R_{p_s} k_s⟩ / √d_k`` (``apply_rotary`` sur ``q`` et ``k``) ;
    - ``"alibi"`` : score ``⟨q_t, k_s⟩ / √d_k − m_j |t − s|`` (``alibi_bias``) ;
    - autre schéma : score ``⟨q_t, k_s⟩ / √d_k`` (la position, s'il y en a, est déjà dans ``x``).

    Voir : {ref}`pos-relatives-modele`.
    """

    def __init__(self, d_model: int, num_heads: int, scheme: str = "none") -> None:
        if scheme not in SCHEMES:
            raise ValueError(f"scheme doit valoir l'un de {SCHEMES} : reçu {scheme!r}.")
        super().__init__(d_model, num_heads)
        if scheme == "rope" and self.d_k % 2:
            raise ValueError(f"RoPE tourne des paires : d_k = d_model / num_heads doit être pair, reçu {self.d_k}.")
        self.scheme = scheme

    def forward(self, x: Tensor, mask: Tensor | None = None, positions: Tensor | None = None,
                ) -> tuple[Tensor, Tensor]:
        """Renvoie ``(sortie (B, T, C), poids (B, h, T, T))`` ; ``positions`` : entiers ``(T,)`` (RoPE seulement).

        Voir : {ref}`pos-relatives-modele`.
        """
        self._check_inputs(x, x, x)
        T = x.shape[1]
        q = split_heads(self.q_proj(x), self.num_heads)  # (B, h, T, d_k)
        k = split_heads(self.k_proj(x), self.num_heads)  # (B, h, T, d_k)
        v = split_heads(self.v_proj(x), self.num_heads)  # (B, h, T, d_k)
        bias = None
        if self.scheme == "rope":
            q, k = apply_rotary(q, positions), apply_rotary(k, positions)  # (B, h, T, d_k) chacune, tournées
        elif self.scheme == "alibi":
            bias = alibi_bias(self.num_heads, T).to(x.dtype)  # (h, T, T) : −m_j |t − s|
        heads, weights = scaled_dot_product_attention(q, k, v, mask, bias=bias)  # (B, h, T, d_k), (B, h, T, T)
        return self.out_proj(merge_heads(heads)), weights  # (B, T, C), (B, h, T, T)


class PositionalBlock(nn.Module):
    """Bloc pré-normalisé : ``x + Attention(LN(x))`` puis ``x + MLP(LN(x))``, MLP ``C → d_ff → C`` avec GELU.

    ``d_ff = 0`` : bloc d'attention seule, sans MLP.

    Voir : {ref}`pos-relatives-modele`.
    """

    def __init__(self, d_model: int, num_heads: int, scheme: str, d_ff: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attention = PositionalSelfAttention(d_model, num_heads, scheme)
        self.ln_2 = nn.LayerNorm(d_model) if d_ff else None
        self.mlp = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model)) if d_ff else None

    def forward(self, x: Tensor, mask: Tensor | None, positions: Tensor) -> tuple[Tensor, Tensor]:
        y, weights = self.attention(self.ln_1(x), mask, positions)  # (B, T, C), (B, h, T, T)
        x = x + y
        return (x if self.mlp is None else x + self.mlp(self.ln_2(x))), weights  # (B, T, C)


class PositionalTransformer(nn.Module):
    """Transformer de jetons à jetons ``(B, T) → (B, T, V)`` dont le schéma de position se choisit (:data:`SCHEMES`).

    ``max_positions`` est la taille des tables absolues (``"sinusoidal"``, ``"learned"``) : une séquence, décalage
    compris, ne doit pas la dépasser. La table apprise a ``max_positions`` lignes même si l'entraînement n'en utilise
    que les premières : les autres gardent leur initialisation N(0, 0,02²), car elles ne reçoivent jamais de gradient.
    ``causal`` : masque causal (la position ``t`` ne voit que ``s ≤ t``), comme dans un modèle de langue ; ``d_ff`` :
    largeur cachée des MLP (par défaut ``4 · d_model`` ; 0 pour des blocs d'attention seule).

    Voir : {ref}`pos-relatives-modele`.
    """

    def __init__(self, vocab_size: int, d_model: int = 64, num_heads: int = 4, num_layers: int = 2,
                 scheme: str = "rope", max_positions: int = 512, causal: bool = True,
                 d_ff: int | None = None) -> None:
        super().__init__()
        if scheme not in SCHEMES:
            raise ValueError(f"scheme doit valoir l'un de {SCHEMES} : reçu {scheme!r}.")
        if not isinstance(causal, bool):
            raise TypeError(f"causal doit être un booléen : reçu {type(causal).__name__}.")
        self.vocab_size = _check_int("vocab_size", vocab_size)
        self.scheme, self.causal = scheme, causal
        self.max_positions = _check_int("max_positions", max_positions)
        self.embedding = nn.Embedding(vocab_size, _check_int("d_model", d_model))
        nn.init.normal_(self.embedding.weight, std=0.02)  # comme BERT et GPT-2, et comme la table apprise
        self.learned = LearnedPositions(max_positions, d_model) if scheme == "learned" else None
        table = sinusoidal_encoding(max_positions, d_model) if scheme == "sinusoidal" else None
        self.register_buffer("table", table, persistent=False)  # (P, C), ou None
        d_ff = 4 * d_model if d_ff is None else _check_int("d_ff", d_ff, 0)
        self.blocks = nn.ModuleList(PositionalBlock(d_model, _check_int("num_heads", num_heads), scheme, d_ff)
                                    for _ in range(_check_int("num_layers", num_layers)))
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def _check_tokens(self, tokens, offset) -> None:
        if not isinstance(tokens, Tensor):
            raise TypeError(f"tokens doit être un torch.Tensor : reçu {type(tokens).__name__}.")
        if tokens.ndim != 2 or tokens.is_floating_point() or tokens.dtype == torch.bool or tokens.shape[1] < 1:
            raise ValueError(f"tokens doit être un tenseur d'entiers (B, T) avec T ≥ 1 : reçu la forme "
                             f"{tuple(tokens.shape)} et le type {tokens.dtype}.")
        if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= self.vocab_size):
            raise ValueError(f"les jetons doivent être dans [0, {self.vocab_size}) : reçu de {int(tokens.min())} "
                             f"à {int(tokens.max())}.")
        _check_int("offset", offset, 0)
        absolute = self.scheme in ("sinusoidal", "learned")
        if absolute and offset + tokens.shape[1] > self.max_positions:
            raise ValueError(f"la table de positions a {self.max_positions} lignes : reçu offset + T = "
                             f"{offset} + {tokens.shape[1]}.")

    def embed(self, tokens: Tensor, offset: int = 0) -> Tensor:
        """Entrée du premier bloc ``(B, T, C)`` : plongements, plus la table de position pour les schémas absolus.

        Voir : {ref}`pos-relatives-modele`.
        """
        self._check_tokens(tokens, offset)
        T = tokens.shape[1]
        x = self.embedding(tokens)  # (B, T, C)
        if self.learned is not None:
            return x + self.learned.position_embeddings.weight[offset : offset + T]  # (B, T, C) + (T, C)
        if self.table is not None:
            return x + self.table[offset : offset + T].to(x.dtype)  # (B, T, C) + (T, C)
        return x

    def forward(self, tokens: Tensor, offset: int = 0, return_weights: bool = False):
        """Logits ``(B, T, V)`` ; avec ``return_weights``, aussi la liste des poids de chaque bloc ``(B, h, T, T)``.

        Voir : {ref}`pos-relatives-modele`.
        """
        x = self.embed(tokens, offset)  # (B, T, C)
        T = tokens.shape[1]
        positions = torch.arange(offset, offset + T, device=tokens.device)  # (T,)
        mask = causal_mask(T, device=tokens.device) if self.causal else None  # (T, T) ou rien
        all_weights = []
        for block in self.blocks:
            x, weights = block(x, mask, positions)  # (B, T, C), (B, h, T, T)
            all_weights.append(weights)
        logits = self.head(self.ln_f(x))  # (B, T, V)
        return (logits, all_weights) if return_weights else logits


def relative_position_index(T: int, S: int | None = None, max_distance: int = 4) -> Tensor:
    """Indices ``(T, S)`` des positions relatives écrêtées de Shaw et al. (2018) : ``clip(s − t, −k, k) + k``.

    La requête ``t`` et la clé ``s`` reçoivent le vecteur appris numéro ``clip(s − t, −k, k) + k`` parmi ``2k + 1``
    (``k = max_distance``) : toutes les distances au-delà de ``k`` partagent le même vecteur, si bien qu'une séquence
    plus longue n'apporte aucun indice nouveau.

    Voir : {ref}`pos-relatives-shaw`.
    """
    _check_int("T", T)
    S = T if S is None else _check_int("S", S)
    _check_int("max_distance", max_distance, 0)
    offset = torch.arange(S)[None, :] - torch.arange(T)[:, None]  # (T, S) : s − t
    return offset.clamp(-max_distance, max_distance) + max_distance  # (T, S), entiers de 0 à 2k


def cosine_similarity_matrix(table: Tensor) -> Tensor:
    """Similarités cosinus ``(P, P)`` entre les lignes d'une table de positions ``(P, C)``.

    Voir : {ref}`pos-relatives-apprises`.
    """
    if not isinstance(table, Tensor) or table.ndim != 2 or not table.is_floating_point():
        shape = tuple(table.shape) if isinstance(table, Tensor) else type(table).__name__
        raise ValueError(f"table doit être une matrice de flottants (P, C) : reçu {shape}.")
    unit = table / table.norm(dim=1, keepdim=True)  # (P, C), lignes de norme 1
    return unit @ unit.T  # (P, C) @ (C, P) → (P, P)


def toeplitz_share(matrix: Tensor) -> float:
    """Part de la variance hors diagonale de ``matrix (P, P)`` qu'expliquent les moyennes de ses diagonales.

    Avec ``m_d`` la moyenne des coefficients ``M[i, j]`` tels que ``j − i = d`` et ``T[i, j] = m_{j−i}`` la matrice
    de Toeplitz la plus proche au sens des moindres carrés : ``1 − Σ (M − T)² / Σ (M − M̄)²``, sommes prises sur les
    ``i ≠ j`` (la diagonale principale d'une matrice de cosinus vaut 1 partout, elle ne prouverait rien). Vaut 1 pour
    une matrice de Toeplitz, près de 0 quand la diagonale d'un coefficient ne dit rien de sa valeur.

    Voir : {ref}`pos-relatives-apprises`.
    """
    if not isinstance(matrix, Tensor) or matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] \
            or matrix.shape[0] < 3:
        shape = tuple(matrix.shape) if isinstance(matrix, Tensor) else type(matrix).__name__
        raise ValueError(f"matrix doit être une matrice carrée (P, P) avec P ≥ 3 : reçu {shape}.")
    M = matrix.to(torch.float64)
    P = M.shape[0]
    offset = torch.arange(P)[None, :] - torch.arange(P)[:, None]  # (P, P) : j − i
    index = (offset + P - 1).flatten()  # diagonale de chaque coefficient, de 0 à 2P − 2
    sums = torch.zeros(2 * P - 1, dtype=torch.float64).index_add_(0, index, M.flatten())
    counts = torch.zeros(2 * P - 1, dtype=torch.float64).index_add_(0, index, torch.ones(P * P, dtype=torch.float64))
    fitted = (sums / counts)[index].view(P, P)  # (P, P) : T[i, j] = m_{j−i}
    off = offset != 0
    residual = ((M - fitted)[off] ** 2).sum()
    total = ((M[off] - M[off].mean()) ** 2).sum()
    return float(1.0 - residual / total)
