"""Le mécanisme d'attention : softmax stable, masques, attention par produit scalaire normalisé, multi-tête.

Implémentation explicite (sans appel à l'attention fusionnée de PyTorch) de

    Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V

(Vaswani et al., 2017, équation 1). Convention des masques : booléens, ``True`` = « la requête peut
regarder cette clé », comme ``torch.nn.functional.scaled_dot_product_attention``.

Le module contient aussi l'attention multi-tête (:class:`MultiHeadAttention`, égale à
``torch.nn.MultiheadAttention`` à poids copiés) et le découpage en têtes (:func:`split_heads`,
:func:`merge_heads`) que réutilisent les modèles. Les autres fonctions de score (additif de Bahdanau,
multiplicatif de Luong, variantes des expériences) sont dans :mod:`masterclass.nn.scores`.

Voir : {ref}`att-sdpa`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F


def _check_tensor(name: str, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} doit être un torch.Tensor : reçu {type(x).__name__}.")


def _check_sequence(name: str, x) -> None:
    """Tenseur d'au moins 2 dimensions ``(..., longueur, largeur)``."""
    _check_tensor(name, x)
    if x.ndim < 2:
        raise ValueError(f"{name} doit avoir au moins 2 dimensions (..., longueur, largeur) : reçu {tuple(x.shape)}.")


def check_query_key(query: Tensor, key: Tensor) -> None:
    """Vérifie que ``query (..., T, d_k)`` et ``key (..., S, d_k)`` sont des compatibles (erreur en français)."""
    for name, x in (("query", query), ("key", key)):
        _check_sequence(name, x)
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            "query et key doivent avoir la même dernière dimension d_k : "
            f"query {tuple(query.shape)}, key {tuple(key.shape)}."
        )


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """Softmax numériquement stable selon l'axe ``dim`` : ``exp(x - max) / somme(exp(x - max))``.

    Soustraire le maximum ne change pas le résultat (invariance par translation) mais évite le
    dépassement de capacité de ``exp`` pour de grands logits (±1e4). Les lignes entièrement à ``-inf``
    (tout est masqué) donnent des zéros plutôt que des NaN.

    Voir : {ref}`att-softmax-stabilite`.
    """
    _check_tensor("x", x)
    if not x.is_floating_point():
        raise TypeError(f"x doit être un tenseur de flottants : reçu le type {x.dtype}.")
    x_max = x.amax(dim=dim, keepdim=True)
    # Ligne entièrement masquée : max = -inf ; on le remplace par 0 pour éviter (-inf) - (-inf) = NaN.
    x_max = torch.where(torch.isfinite(x_max), x_max, torch.zeros_like(x_max))
    e = torch.exp(x - x_max)
    total = e.sum(dim=dim, keepdim=True)
    return e / torch.where(total > 0, total, torch.ones_like(total))


def causal_mask(T: int, device=None) -> Tensor:
    """Masque causal ``(T, T)`` : la position ``i`` peut regarder les positions ``j ≤ i`` (triangle inférieur).

    Voir : {ref}`att-masques-causal`.
    """
    if not isinstance(T, int) or isinstance(T, bool) or T <= 0:
        raise ValueError(f"T doit être un entier strictement positif : reçu {T!r}.")
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


def padding_mask(lengths, S: int) -> Tensor:
    """Masque de remplissage ``(B, 1, 1, S)`` : la clé ``j`` de l'exemple ``b`` est visible si ``j < lengths[b]``.

    La forme se diffuse (broadcast) sur les poids d'attention ``(B, h, T, S)`` et sur ``(B, T, S)`` après
    ``squeeze(1)``. Voir : {ref}`att-masques-remplissage`.
    """
    lengths = torch.as_tensor(lengths)
    if lengths.ndim != 1 or lengths.is_floating_point():
        raise ValueError(
            f"lengths doit être un vecteur d'entiers (une longueur par exemple) : reçu la forme "
            f"{tuple(lengths.shape)} et le type {lengths.dtype}."
        )
    if not isinstance(S, int) or S <= 0:
        raise ValueError(f"S doit être un entier strictement positif : reçu {S!r}.")
    if (lengths < 0).any() or (lengths > S).any():
        raise ValueError(f"Chaque longueur doit être dans [0, S={S}] : reçu {lengths.tolist()}.")
    positions = torch.arange(S, device=lengths.device)  # (S,)
    return (positions[None, :] < lengths[:, None])[:, None, None, :]  # (B, 1, 1, S)


def apply_mask(scores: Tensor, mask: Tensor | None) -> Tensor:
    """Met à ``-inf`` les scores ``(..., T, S)`` que ``mask`` interdit (booléen, ``True`` = peut regarder).

    Vérifie que ``mask`` est un tenseur booléen qui se diffuse vers la forme des scores ; sans masque, rend les
    scores tels quels. Voir : {ref}`att-masques-convention`.
    """
    if mask is None:
        return scores
    _check_tensor("mask", mask)
    if mask.dtype != torch.bool:
        raise TypeError(f"mask doit être booléen (True = peut regarder) : reçu le type {mask.dtype}.")
    try:
        torch.broadcast_shapes(mask.shape, scores.shape)
    except RuntimeError as exc:
        raise ValueError(
            f"mask {tuple(mask.shape)} ne se diffuse pas vers la forme des scores {tuple(scores.shape)}."
        ) from exc
    return scores.masked_fill(~mask, float("-inf"))  # (..., T, S)


def scaled_dot_product_attention(
    query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None, bias: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Attention par produit scalaire normalisé : renvoie ``(softmax(Q Kᵀ/√d_k + bias) V, poids)``.

    Formes : ``query (..., T, d_k)``, ``key (..., S, d_k)``, ``value (..., S, d_v)`` ; ``mask`` booléen
    diffusable vers ``(..., T, S)``, ``True`` = peut regarder ; ``bias`` facultatif, flottant, diffusable vers
    ``(..., T, S)``, ajouté aux scores avant le masque (biais de position d'ALiBi, par exemple). Sorties :
    ``(..., T, d_v)`` et les poids ``(..., T, S)``. Une requête dont toutes les clés sont masquées reçoit des
    poids nuls (sortie nulle), pas des NaN.

    Voir : {ref}`att-sdpa-def`.
    """
    check_query_key(query, key)
    _check_sequence("value", value)
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            "key et value doivent avoir la même longueur S (avant-dernière dimension) : "
            f"key {tuple(key.shape)}, value {tuple(value.shape)}."
        )
    d_k = query.shape[-1]
    # Mettre q à l'échelle avant le produit coûte T·d_k multiplications au lieu de T·S.
    scores = (query * (1.0 / math.sqrt(d_k))) @ key.transpose(-2, -1)  # (..., T, S)
    if bias is not None:
        _check_tensor("bias", bias)
        try:
            torch.broadcast_shapes(bias.shape, scores.shape)
        except RuntimeError as exc:
            raise ValueError(
                f"bias {tuple(bias.shape)} ne se diffuse pas vers la forme des scores {tuple(scores.shape)}."
            ) from exc
        scores = scores + bias  # (..., T, S)
    scores = apply_mask(scores, mask)  # (..., T, S)
    in_place = not (scores.requires_grad and torch.is_grad_enabled())
    if in_place:
        # Sans gradient, la softmax écrase les scores (un tenseur créé ici) : la formule exp(s - max) / somme,
        # écrite en place, n'alloue pas de nouveau tableau de T·S flottants, ce qui compte pour T grand.
        weights = scores.sub_(scores.amax(dim=-1, keepdim=True)).exp_()  # (..., T, S)
        weights = weights.div_(weights.sum(dim=-1, keepdim=True))  # (..., T, S)
    else:
        weights = torch.softmax(scores, dim=-1)  # (..., T, S), même formule (test_attention le vérifie)
    if mask is not None:
        # Ligne entièrement masquée : softmax de -inf partout = NaN ; on renvoie des poids nuls.
        empty_rows = ~mask.any(dim=-1, keepdim=True)  # (..., T, 1)
        weights = weights.masked_fill_(empty_rows, 0.0) if in_place else weights.masked_fill(empty_rows, 0.0)
    return weights @ value, weights  # (..., T, d_v), (..., T, S)


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """Découpe la largeur en têtes : ``(B, T, C) → (B, h, T, d_k)`` avec ``C = h · d_k``.

    Voir : {ref}`att-multi-def`.
    """
    _check_tensor("x", x)
    if x.ndim != 3:
        raise ValueError(f"x doit avoir la forme (B, T, C) : reçu {tuple(x.shape)}.")
    if not isinstance(num_heads, int) or isinstance(num_heads, bool) or num_heads <= 0:
        raise ValueError(f"num_heads doit être un entier strictement positif : reçu {num_heads!r}.")
    B, T, C = x.shape
    if C % num_heads != 0:
        raise ValueError(f"La largeur C={C} doit être divisible par le nombre de têtes h={num_heads}.")
    return x.view(B, T, num_heads, C // num_heads).transpose(1, 2)  # (B, h, T, d_k)


def merge_heads(x: Tensor) -> Tensor:
    """Recolle les têtes côte à côte : ``(B, h, T, d_k) → (B, T, h · d_k)``, l'inverse de :func:`split_heads`."""
    _check_tensor("x", x)
    if x.ndim != 4:
        raise ValueError(f"x doit avoir la forme (B, h, T, d_k) : reçu {tuple(x.shape)}.")
    B, h, T, d_k = x.shape
    return x.transpose(1, 2).reshape(B, T, h * d_k)  # (B, T, C)


class MultiHeadAttention(nn.Module):
    """Attention multi-tête (lot en premier) : ``h`` attentions en parallèle dans des sous-espaces de largeur d_k.

    Pour chaque tête ``i`` : ``tête_i = Attention(Q W_i^Q, K W_i^K, V W_i^V)`` ; puis
    ``MultiHead(Q, K, V) = Concat(tête_1, …, tête_h) W^O`` (Vaswani et al., 2017, section 3.2.2). Les ``h``
    projections d'une même famille sont rangées dans une seule couche linéaire ``d_model → d_model`` dont
    la sortie est découpée en têtes : ``(B, T, C) → (B, h, T, d_k)``. Nombre de paramètres :
    ``4 d² + 4 d`` avec biais, ``4 d²`` sans.

    Les noms des paramètres (``q_proj``, ``k_proj``, ``v_proj``, ``out_proj``) suivent Hugging Face ;
    :meth:`from_torch` copie les poids d'un ``torch.nn.MultiheadAttention`` et donne les mêmes sorties.

    Voir : {ref}`att-multi`.
    """

    def __init__(self, d_model: int, num_heads: int, bias: bool = True) -> None:
        super().__init__()
        for name, value in (("d_model", d_model), ("num_heads", num_heads)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} doit être un entier strictement positif : reçu {value!r}.")
        if d_model % num_heads != 0:
            raise ValueError(
                f"d_model doit être divisible par num_heads : reçu d_model={d_model}, num_heads={num_heads}."
            )
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_k = d_model // num_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, num_heads={self.num_heads}, d_k={self.d_k}"

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor) -> None:
        for name, x in (("query", query), ("key", key), ("value", value)):
            _check_tensor(name, x)
            if x.ndim != 3 or x.shape[-1] != self.d_model:
                raise ValueError(
                    f"{name} doit avoir la forme (B, longueur, d_model={self.d_model}) : reçu {tuple(x.shape)}."
                )
        if query.shape[0] != key.shape[0] or key.shape[:2] != value.shape[:2]:
            raise ValueError(
                "query (B, T, C), key (B, S, C) et value (B, S, C) doivent partager B, et key et value S : "
                f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}."
            )

    def forward(
        self, query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """Renvoie ``(sortie (B, T, C), poids par tête (B, h, T, S))``.

        ``mask`` booléen (``True`` = peut regarder), diffusable vers ``(B, h, T, S)`` : ``(T, S)`` (masque
        causal), ``(B, 1, 1, S)`` (remplissage), ou ``(B, T, S)``, interprété comme le même masque pour
        toutes les têtes.
        """
        self._check_inputs(query, key, value)
        if mask is not None and mask.ndim == 3:
            mask = mask.unsqueeze(1)  # (B, 1, T, S) : le même masque pour chaque tête
        B, T, C = query.shape
        if query is key and key is value:
            # Auto-attention : une seule multiplication par les trois projections empilées (3C, C).
            weight = torch.cat((self.q_proj.weight, self.k_proj.weight, self.v_proj.weight))  # (3C, C)
            bias = None
            if self.q_proj.bias is not None:
                bias = torch.cat((self.q_proj.bias, self.k_proj.bias, self.v_proj.bias))  # (3C,)
            qkv = F.linear(query, weight, bias).view(B, T, 3, self.num_heads, self.d_k)  # (B, T, 3, h, d_k)
            q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # 3 × (B, h, T, d_k)
        else:
            q = split_heads(self.q_proj(query), self.num_heads)  # (B, h, T, d_k)
            k = split_heads(self.k_proj(key), self.num_heads)  # (B, h, S, d_k)
            v = split_heads(self.v_proj(value), self.num_heads)  # (B, h, S, d_k)
        heads, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, h, T, d_k), (B, h, T, S)
        concat = merge_heads(heads)  # (B, T, h·d_k) = (B, T, C)
        return self.out_proj(concat), weights  # (B, T, C), (B, h, T, S)

    def key_value_heads(self, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
        """Clés et valeurs projetées et découpées en têtes : ``(B, h, S, d_k)`` chacune.

        C'est ce que garde un cache de décodage : une position déjà vue n'a plus à être projetée.

        Voir : {ref}`ed-decoder-cache`.
        """
        k = split_heads(self.k_proj(key), self.num_heads)  # (B, h, S, d_k)
        v = split_heads(self.v_proj(value), self.num_heads)  # (B, h, S, d_k)
        return k, v

    def attend(self, query: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Comme :meth:`forward`, mais avec des clés et valeurs déjà projetées (:meth:`key_value_heads`).

        Voir : {ref}`ed-decoder-cache`.
        """
        _check_tensor("query", query)
        if query.ndim != 3 or query.shape[-1] != self.d_model:
            raise ValueError(f"query doit avoir la forme (B, T, d_model={self.d_model}) : reçu {tuple(query.shape)}.")
        for name, x in (("k", k), ("v", v)):
            _check_tensor(name, x)
            if x.ndim != 4 or x.shape[0] != query.shape[0] or x.shape[1] != self.num_heads or x.shape[3] != self.d_k:
                raise ValueError(
                    f"{name} doit avoir la forme (B={query.shape[0]}, h={self.num_heads}, S, d_k={self.d_k}) : "
                    f"reçu {tuple(x.shape)}."
                )
        if mask is not None and mask.ndim == 3:
            mask = mask.unsqueeze(1)
        q = split_heads(self.q_proj(query), self.num_heads)  # (B, h, T, d_k)
        heads, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, h, T, d_k), (B, h, T, S)
        return self.out_proj(merge_heads(heads)), weights  # (B, T, C), (B, h, T, S)

    @classmethod
    def from_torch(cls, module: nn.MultiheadAttention) -> "MultiHeadAttention":
        """Construit une attention multi-tête équivalente à ``module`` (``torch.nn.MultiheadAttention``).

        Les projections empilées ``in_proj_weight`` ``(3C, C)`` sont découpées en ``q_proj``, ``k_proj``,
        ``v_proj`` ; ``out_proj`` est copiée. Notre module est toujours « lot en premier » : donnez-lui des
        entrées ``(B, T, C)`` (comme à ``module`` construit avec ``batch_first=True``). Le dropout n'est pas
        repris (mode évaluation).
        """
        if not isinstance(module, nn.MultiheadAttention):
            raise TypeError(f"module doit être un torch.nn.MultiheadAttention : reçu {type(module).__name__}.")
        same_dims = module.kdim == module.embed_dim and module.vdim == module.embed_dim
        if not same_dims or module.bias_k is not None or module.add_zero_attn:
            raise ValueError(
                "Seul le cas standard est pris en charge : kdim = vdim = embed_dim, sans add_bias_kv ni "
                f"add_zero_attn ; reçu kdim={module.kdim}, vdim={module.vdim}, embed_dim={module.embed_dim}, "
                f"add_bias_kv={module.bias_k is not None}, add_zero_attn={module.add_zero_attn}."
            )
        bias = module.in_proj_bias is not None
        ours = cls(module.embed_dim, module.num_heads, bias=bias)
        ours = ours.to(dtype=module.in_proj_weight.dtype, device=module.in_proj_weight.device)
        with torch.no_grad():
            for proj, w in zip((ours.q_proj, ours.k_proj, ours.v_proj), module.in_proj_weight.chunk(3), strict=True):
                proj.weight.copy_(w)  # (C, C)
            if bias:
                for proj, b in zip((ours.q_proj, ours.k_proj, ours.v_proj), module.in_proj_bias.chunk(3), strict=True):
                    proj.bias.copy_(b)  # (C,)
            ours.out_proj.weight.copy_(module.out_proj.weight)
            if module.out_proj.bias is not None:
                ours.out_proj.bias.copy_(module.out_proj.bias)
        return ours

