"""Le Transformer encodeur-décodeur (Vaswani et al., 2017), bâti sur l'attention multi-tête du paquet.

Couche d'encodeur, en post-normalisation (l'article de 2017) puis en pré-normalisation (``norm_first=True``) :

    post : x ← LN(x + AutoAttn(x)) ;      x ← LN(x + FFN(x))
    pré  : x ← x + AutoAttn(LN(x)) ;      x ← x + FFN(LN(x))

Couche de décodeur : auto-attention masquée (causale), puis attention croisée vers la mémoire (la sortie de
l'encodeur), puis réseau position par position, chaque sous-couche entourée d'un résidu et d'une normalisation.
``FFN(x) = W₂ φ(W₁ x + b₁) + b₂`` avec φ = ReLU (ou GELU).

Égal à ``torch.nn.Transformer(batch_first=True)`` à poids copiés (:meth:`Transformer.from_torch`), y compris les
normalisations finales de l'encodeur et du décodeur que PyTorch ajoute dans les deux modes.

Convention des masques, celle de :mod:`masterclass.nn.attention` : booléens, ``True`` = « peut regarder ». Pour
passer de PyTorch au paquet, on prend la négation des masques booléens de PyTorch (où ``True`` = interdit) :

- ``src_mask``, ``tgt_mask``, ``memory_mask`` : ``(T, S)`` ou ``(B, T, S)``, ``True`` = la requête voit la clé ;
  PyTorch : ``attn_mask = ~mask`` ;
- ``src_padding``, ``tgt_padding``, ``memory_padding`` : ``(B, S)``, ``True`` = vrai jeton, ``False`` = remplissage ;
  PyTorch : ``*_key_padding_mask = ~padding``.

Le décodage pas à pas (:meth:`TransformerDecoderLayer.forward` avec ``cache``) garde, par couche, les clés et valeurs
déjà projetées : chaque nouveau jeton ne calcule que les siennes.

Voir : {ref}`ed-transformer`.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from masterclass.nn.attention import MultiHeadAttention

ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _check_positive_int(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} doit être un entier ≥ 1 : reçu {value!r}.")


def _check_common(d_model: int, nhead: int, dim_feedforward: int, dropout: float, activation: str) -> None:
    for name, value in (("d_model", d_model), ("nhead", nhead), ("dim_feedforward", dim_feedforward)):
        _check_positive_int(name, value)
    if d_model % nhead != 0:
        raise ValueError(f"d_model doit être divisible par nhead : reçu d_model={d_model}, nhead={nhead}.")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"dropout doit être un nombre de [0, 1[ : reçu {dropout!r}.")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation doit être l'une de {sorted(ACTIVATIONS)} : reçu {activation!r}.")


def _check_sequence(name: str, x, d_model: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} doit être un torch.Tensor : reçu {type(x).__name__}.")
    if x.ndim != 3 or x.shape[-1] != d_model:
        raise ValueError(f"{name} doit avoir la forme (B, longueur, d_model={d_model}) : reçu {tuple(x.shape)}.")


def combine_masks(mask: Tensor | None, padding: Tensor | None, batch: int, queries: int, keys: int) -> Tensor | None:
    """Masque d'attention ``(B, 1, T, S)`` (ou ``(T, S)``) qui réunit un masque de positions et un remplissage.

    ``mask`` : ``(T, S)`` ou ``(B, T, S)``, ``True`` = peut regarder ; ``padding`` : ``(B, S)``, ``True`` = vrai jeton.
    Une clé est visible si les deux l'autorisent. Erreur en français si une forme ne convient pas.

    Voir : {ref}`ed-transformer-masques`.
    """
    for name, m in (("mask", mask), ("padding", padding)):
        if m is not None and (not isinstance(m, Tensor) or m.dtype != torch.bool):
            kind = m.dtype if isinstance(m, Tensor) else type(m).__name__
            raise TypeError(f"{name} doit être un tenseur booléen (True = peut regarder) : reçu {kind}.")
    if mask is not None and tuple(mask.shape) not in {(queries, keys), (batch, queries, keys)}:
        raise ValueError(
            f"mask doit avoir la forme (T, S) = {(queries, keys)} ou (B, T, S) = {(batch, queries, keys)} : "
            f"reçu {tuple(mask.shape)}."
        )
    if padding is not None and tuple(padding.shape) != (batch, keys):
        raise ValueError(f"padding doit avoir la forme (B, S) = {(batch, keys)} : reçu {tuple(padding.shape)}.")
    if padding is None:
        return mask if mask is None or mask.ndim == 2 else mask.unsqueeze(1)
    combined = padding[:, None, None, :]  # (B, 1, 1, S)
    if mask is not None:
        combined = combined & (mask if mask.ndim == 2 else mask.unsqueeze(1))  # (B, 1, T, S)
    return combined


class FeedForward(nn.Module):
    """Réseau position par position : ``W₂ φ(W₁ x + b₁) + b₂``, de largeur ``d_model → d_ff → d_model``.

    Voir : {ref}`ed-transformer-couches`.
    """

    def __init__(self, d_model: int, dim_feedforward: int, dropout: float = 0.0, activation: str = "relu") -> None:
        super().__init__()
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.dropout = nn.Dropout(dropout)
        self.activation = activation

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.dropout(ACTIVATIONS[self.activation](self.linear1(x))))


class TransformerEncoderLayer(nn.Module):
    """Couche d'encodeur : auto-attention puis réseau position par position, résidus et normalisations.

    Mêmes arguments et mêmes noms de sous-modules que ``torch.nn.TransformerEncoderLayer`` (lot en premier).

    Voir : {ref}`ed-transformer-couches`.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, norm_first: bool = False) -> None:
        super().__init__()
        _check_common(d_model, nhead, dim_feedforward, dropout, activation)
        self.d_model, self.norm_first = d_model, norm_first
        self.self_attn = MultiHeadAttention(d_model, nhead)
        self.feed_forward = FeedForward(d_model, dim_feedforward, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def _self_attention(self, x: Tensor, mask: Tensor | None) -> Tensor:
        return self.dropout1(self.self_attn(x, x, x, mask)[0])

    def forward(self, src: Tensor, src_mask: Tensor | None = None, src_padding: Tensor | None = None) -> Tensor:
        """``src (B, S, C)`` → ``(B, S, C)``.

        Voir : {ref}`ed-transformer-couches`.
        """
        _check_sequence("src", src, self.d_model)
        B, S, _ = src.shape
        mask = combine_masks(src_mask, src_padding, B, S, S)
        x = src
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), mask)
            return x + self.dropout2(self.feed_forward(self.norm2(x)))
        x = self.norm1(x + self._self_attention(x, mask))
        return self.norm2(x + self.dropout2(self.feed_forward(x)))

    @classmethod
    def from_torch(cls, layer: nn.TransformerEncoderLayer) -> "TransformerEncoderLayer":
        """La même couche que ``layer`` (``torch.nn.TransformerEncoderLayer(batch_first=True)``), poids copiés.

        Voir : {ref}`ed-transformer-egalite`.
        """
        if not isinstance(layer, nn.TransformerEncoderLayer):
            raise TypeError(f"layer doit être un torch.nn.TransformerEncoderLayer : reçu {type(layer).__name__}.")
        ours = cls(*_layer_options(layer))
        _copy_layer(ours, layer, ("self_attn",), ("norm1", "norm2"))
        return ours


class TransformerDecoderLayer(nn.Module):
    """Couche de décodeur : auto-attention masquée, attention croisée vers la mémoire, réseau position par position.

    Mêmes arguments et mêmes noms de sous-modules que ``torch.nn.TransformerDecoderLayer`` (lot en premier).

    Voir : {ref}`ed-transformer-couches`.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, norm_first: bool = False) -> None:
        super().__init__()
        _check_common(d_model, nhead, dim_feedforward, dropout, activation)
        self.d_model, self.norm_first = d_model, norm_first
        self.self_attn = MultiHeadAttention(d_model, nhead)
        self.multihead_attn = MultiHeadAttention(d_model, nhead)
        self.feed_forward = FeedForward(d_model, dim_feedforward, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def _self_attention(self, x: Tensor, mask: Tensor | None, cache: dict | None) -> Tensor:
        if cache is None:
            return self.dropout1(self.self_attn(x, x, x, mask)[0])
        k, v = self.self_attn.key_value_heads(x, x)  # (B, h, t, d_k) : les nouvelles positions seulement
        if "self" in cache:
            k = torch.cat((cache["self"][0], k), dim=2)  # (B, h, passé + t, d_k)
            v = torch.cat((cache["self"][1], v), dim=2)
        cache["self"] = (k, v)
        return self.dropout1(self.self_attn.attend(x, k, v, mask)[0])

    def _cross_attention(self, x: Tensor, memory: Tensor, mask: Tensor | None, cache: dict | None) -> Tensor:
        if cache is None:
            out, weights = self.multihead_attn(x, memory, memory, mask)
        else:
            if "cross" not in cache:  # la mémoire ne change pas : ses clés et valeurs sont projetées une fois
                cache["cross"] = self.multihead_attn.key_value_heads(memory, memory)
            out, weights = self.multihead_attn.attend(x, *cache["cross"], mask)
        self.last_cross_weights = weights.detach()  # (B, h, T, S) : lues par les cartes d'attention croisée
        return self.dropout2(out)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_padding: Tensor | None = None,
                memory_padding: Tensor | None = None, cache: dict | None = None) -> Tensor:
        """``tgt (B, T, C)``, ``memory (B, S, C)`` → ``(B, T, C)``.

        Avec ``cache`` (un dictionnaire, vide au premier appel, gardé par l'appelant), ``tgt`` ne contient que les
        nouvelles positions : leurs clés et valeurs s'ajoutent à celles du cache, et chaque nouvelle position voit
        tout le passé et elle-même (masque causal implicite ; ``tgt_mask`` et ``tgt_padding`` doivent être None).

        Voir : {ref}`ed-transformer-couches`.
        """
        _check_sequence("tgt", tgt, self.d_model)
        _check_sequence("memory", memory, self.d_model)
        if tgt.shape[0] != memory.shape[0]:
            raise ValueError(f"tgt et memory doivent avoir le même lot B : reçu {tgt.shape[0]} et {memory.shape[0]}.")
        B, T, _ = tgt.shape
        S = memory.shape[1]
        if cache is not None:
            if not isinstance(cache, dict):
                raise TypeError(f"cache doit être un dictionnaire (vide au premier pas) : reçu {type(cache).__name__}.")
            if tgt_mask is not None or tgt_padding is not None:
                raise ValueError(
                    "Avec cache, le masque causal est implicite : tgt_mask et tgt_padding doivent être None."
                )
            past = cache["self"][0].shape[2] if "self" in cache else 0
            self_mask = torch.ones(T, past + T, dtype=torch.bool, device=tgt.device).tril(diagonal=past)
        else:
            self_mask = combine_masks(tgt_mask, tgt_padding, B, T, T)
        cross_mask = combine_masks(memory_mask, memory_padding, B, T, S)
        x = tgt
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), self_mask, cache)
            x = x + self._cross_attention(self.norm2(x), memory, cross_mask, cache)
            return x + self.dropout3(self.feed_forward(self.norm3(x)))
        x = self.norm1(x + self._self_attention(x, self_mask, cache))
        x = self.norm2(x + self._cross_attention(x, memory, cross_mask, cache))
        return self.norm3(x + self.dropout3(self.feed_forward(x)))

    @classmethod
    def from_torch(cls, layer: nn.TransformerDecoderLayer) -> "TransformerDecoderLayer":
        """La même couche que ``layer`` (``torch.nn.TransformerDecoderLayer(batch_first=True)``), poids copiés.

        Voir : {ref}`ed-transformer-egalite`.
        """
        if not isinstance(layer, nn.TransformerDecoderLayer):
            raise TypeError(f"layer doit être un torch.nn.TransformerDecoderLayer : reçu {type(layer).__name__}.")
        ours = cls(*_layer_options(layer))
        _copy_layer(ours, layer, ("self_attn", "multihead_attn"), ("norm1", "norm2", "norm3"))
        return ours


class Transformer(nn.Module):
    """Encodeur (``num_encoder_layers`` couches) et décodeur (``num_decoder_layers`` couches), sans plongements.

    Comme ``torch.nn.Transformer`` : une normalisation finale après chaque pile (dans les deux modes), et les matrices
    initialisées par Xavier uniforme. Les plongements, les positions et la projection de sortie sont dans
    :class:`masterclass.models.seq2seq.TransformerSeq2Seq`.

    Voir : {ref}`ed-transformer`.
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6, num_decoder_layers: int = 6,
                 dim_feedforward: int = 2048, dropout: float = 0.1, activation: str = "relu",
                 layer_norm_eps: float = 1e-5, norm_first: bool = False) -> None:
        super().__init__()
        _check_positive_int("num_encoder_layers", num_encoder_layers)
        _check_positive_int("num_decoder_layers", num_decoder_layers)
        options = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                       layer_norm_eps=layer_norm_eps, norm_first=norm_first)
        encoder_layer = TransformerEncoderLayer(d_model, nhead, **options)
        decoder_layer = TransformerDecoderLayer(d_model, nhead, **options)
        self.encoder_layers = nn.ModuleList(copy.deepcopy(encoder_layer) for _ in range(num_encoder_layers))
        self.decoder_layers = nn.ModuleList(copy.deepcopy(decoder_layer) for _ in range(num_decoder_layers))
        self.encoder_norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.decoder_norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.d_model, self.nhead, self.norm_first = d_model, nhead, norm_first
        for p in self.parameters():  # comme torch.nn.Transformer._reset_parameters
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def encode(self, src: Tensor, src_mask: Tensor | None = None, src_padding: Tensor | None = None) -> Tensor:
        """La mémoire ``(B, S, C)`` : la pile d'encodeurs puis sa normalisation finale.

        Voir : {ref}`ed-transformer`.
        """
        x = src
        for layer in self.encoder_layers:
            x = layer(x, src_mask, src_padding)
        return self.encoder_norm(x)

    def decode(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
               tgt_padding: Tensor | None = None, memory_padding: Tensor | None = None,
               cache: list[dict] | None = None) -> Tensor:
        """Les états du décodeur ``(B, T, C)`` ; ``cache`` : une liste de dictionnaires, un par couche (décodage pas
        à pas, voir :meth:`TransformerDecoderLayer.forward`).

        Voir : {ref}`ed-transformer`.
        """
        if cache is not None and (not isinstance(cache, list) or len(cache) != len(self.decoder_layers)):
            raise ValueError(
                f"cache doit être une liste de {len(self.decoder_layers)} dictionnaires (un par couche) : "
                f"reçu {type(cache).__name__} de longueur {len(cache) if isinstance(cache, list) else '—'}."
            )
        x = tgt
        for i, layer in enumerate(self.decoder_layers):
            x = layer(x, memory, tgt_mask, memory_mask, tgt_padding, memory_padding,
                      cache=None if cache is None else cache[i])
        return self.decoder_norm(x)

    def new_cache(self) -> list[dict]:
        """Un cache vide pour :meth:`decode` : un dictionnaire par couche de décodeur."""
        return [{} for _ in self.decoder_layers]

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, src_padding: Tensor | None = None,
                tgt_padding: Tensor | None = None, memory_padding: Tensor | None = None) -> Tensor:
        """``src (B, S, C)``, ``tgt (B, T, C)`` → ``(B, T, C)``.

        Comme dans PyTorch, chaque masque est donné explicitement : ``memory_padding`` n'est pas déduit de
        ``src_padding`` (on passe en général le même tenseur aux deux).

        Voir : {ref}`ed-transformer`.
        """
        memory = self.encode(src, src_mask, src_padding)
        return self.decode(tgt, memory, tgt_mask, memory_mask, tgt_padding, memory_padding)

    @classmethod
    def from_torch(cls, module: nn.Transformer) -> "Transformer":
        """Le même Transformer que ``module`` (``torch.nn.Transformer(batch_first=True)``), poids copiés.

        Voir : {ref}`ed-transformer-egalite`.
        """
        if not isinstance(module, nn.Transformer):
            raise TypeError(f"module doit être un torch.nn.Transformer : reçu {type(module).__name__}.")
        if not module.batch_first:
            raise ValueError("module doit être construit avec batch_first=True (notre Transformer est lot en premier).")
        first = module.encoder.layers[0]
        ours = cls(*_layer_options(first)[:2], len(module.encoder.layers), len(module.decoder.layers),
                   *_layer_options(first)[2:])
        ours.encoder_layers = nn.ModuleList(TransformerEncoderLayer.from_torch(x) for x in module.encoder.layers)
        ours.decoder_layers = nn.ModuleList(TransformerDecoderLayer.from_torch(x) for x in module.decoder.layers)
        ours = ours.to(dtype=first.linear1.weight.dtype, device=first.linear1.weight.device)
        for mine, theirs in ((ours.encoder_norm, module.encoder.norm), (ours.decoder_norm, module.decoder.norm)):
            mine.load_state_dict(theirs.state_dict())
        return ours


def _layer_options(layer: nn.Module) -> tuple:
    """Arguments de construction d'une couche de PyTorch, dans l'ordre de nos constructeurs."""
    if not layer.self_attn.batch_first:
        raise ValueError("la couche doit être construite avec batch_first=True (nos couches sont lot en premier).")
    return (layer.self_attn.embed_dim, layer.self_attn.num_heads, layer.linear1.out_features, layer.dropout.p,
            _activation_name(layer), layer.norm1.eps, layer.norm_first)


def _activation_name(layer: nn.Module) -> str:
    activation = layer.activation
    if activation is F.relu or isinstance(activation, nn.ReLU):
        return "relu"
    if activation is F.gelu or isinstance(activation, nn.GELU):
        return "gelu"
    raise ValueError(f"activation non prise en charge : {activation!r} (attendu : relu ou gelu).")


def _copy_layer(mine: nn.Module, theirs: nn.Module, attentions: tuple[str, ...], norms: tuple[str, ...]) -> None:
    mine.to(dtype=theirs.linear1.weight.dtype, device=theirs.linear1.weight.device)
    for name in attentions:
        setattr(mine, name, MultiHeadAttention.from_torch(getattr(theirs, name)))
    for name in norms:
        getattr(mine, name).load_state_dict(getattr(theirs, name).state_dict())
    mine.feed_forward.linear1.load_state_dict(theirs.linear1.state_dict())
    mine.feed_forward.linear2.load_state_dict(theirs.linear2.state_dict())


def transformer_parameter_count(d_model: int, nhead: int, num_encoder_layers: int, num_decoder_layers: int,
                                dim_feedforward: int) -> dict[str, int]:
    """Nombre de paramètres de :class:`Transformer`, par formule (sans plongements).

    Attention : ``4C² + 4C`` ; réseau position par position : ``2 C d_ff + d_ff + C`` ; normalisation : ``2C``.
    Encodeur : attention + FFN + 2 normalisations ; décodeur : 2 attentions + FFN + 3 normalisations ; plus les deux
    normalisations finales.

    Voir : {ref}`ed-transformer-parametres`.
    """
    for name, value in (("d_model", d_model), ("nhead", nhead), ("num_encoder_layers", num_encoder_layers),
                        ("num_decoder_layers", num_decoder_layers), ("dim_feedforward", dim_feedforward)):
        _check_positive_int(name, value)
    C, F_ = d_model, dim_feedforward
    attention = 4 * C * C + 4 * C
    feed_forward = 2 * C * F_ + F_ + C
    norm = 2 * C
    encoder_layer = attention + feed_forward + 2 * norm
    decoder_layer = 2 * attention + feed_forward + 3 * norm
    return {
        "couche d'encodeur": encoder_layer,
        "couche de décodeur": decoder_layer,
        "total": num_encoder_layers * encoder_layer + num_decoder_layers * decoder_layer + 2 * norm,
    }

