"""Modèles de séquence à séquence du module 2 : le Transformer complet, avec plongements, positions et sortie liée.

:class:`TransformerSeq2Seq` assemble :class:`masterclass.nn.transformer.Transformer` (encodeur et décodeur) et ce
qui l'entoure dans l'article de 2017 (section 3.4) : des plongements multipliés par √d_model, la table sinusoïdale
des positions (:func:`masterclass.nn.positions.sinusoidal_encoding`), et une projection de sortie qui réutilise la
matrice des plongements de la cible (``logits = h Eᵀ``).

Tous les modèles de ce module offrent la même interface de décodage, celle qu'utilise
:mod:`masterclass.models.decoding` :
``encode(src) → (mémoire, remplissage)``, ``decode(tokens, mémoire, remplissage, cache=None, offset=0) → logits``
et ``new_cache()``.

Voir : {ref}`ed-transformer-plongements`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from masterclass.nn.attention import causal_mask
from masterclass.nn.positions import sinusoidal_encoding
from masterclass.nn.transformer import Transformer


class TransformerSeq2Seq(nn.Module):
    """Transformer encodeur-décodeur complet : jetons de la source → logits des jetons de la cible.

    ``logits = decode(cible décalée)`` ; la cible d'entrée commence par ``<bos>``. Les jetons ``pad_id`` de la source
    sont masqués dans l'encodeur et dans l'attention croisée ; ceux de la cible ne sont jamais vus par une vraie
    position (ils sont à la fin, et le masque est causal) et la perte les ignore.

    Voir : {ref}`ed-transformer-plongements`.
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, d_model: int = 128, nhead: int = 4,
                 num_encoder_layers: int = 2, num_decoder_layers: int = 2, dim_feedforward: int = 512,
                 dropout: float = 0.1, norm_first: bool = False, max_len: int = 64, pad_id: int = 0) -> None:
        super().__init__()
        for name, value in (("src_vocab_size", src_vocab_size), ("tgt_vocab_size", tgt_vocab_size),
                            ("max_len", max_len)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} doit être un entier ≥ 1 : reçu {value!r}.")
        self.transformer = Transformer(d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward,
                                       dropout, norm_first=norm_first)
        self.src_embedding = nn.Embedding(src_vocab_size, d_model, padding_idx=pad_id)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, d_model, padding_idx=pad_id)
        for embedding in (self.src_embedding, self.tgt_embedding):
            # Plongements de variance 1/d : multipliés par √d, ils ont une variance de 1 comme les positions.
            nn.init.normal_(embedding.weight, std=d_model**-0.5)
            with torch.no_grad():
                embedding.weight[pad_id].zero_()
        self.register_buffer("positions", sinusoidal_encoding(max_len, d_model), persistent=False)
        self.dropout = nn.Dropout(dropout)
        self.d_model, self.max_len, self.pad_id = d_model, max_len, pad_id

    def embed(self, embedding: nn.Embedding, tokens: Tensor, offset: int = 0) -> Tensor:
        """``√C · E[tokens] + PE[offset : offset + T]`` puis dropout : ``(B, T) → (B, T, C)``.

        Voir : {ref}`ed-transformer-plongements`.
        """
        if not isinstance(tokens, Tensor) or tokens.ndim != 2 or tokens.dtype != torch.long:
            got = f"{tuple(tokens.shape)} {tokens.dtype}" if isinstance(tokens, Tensor) else type(tokens).__name__
            raise ValueError(f"tokens doit être un tenseur d'entiers (B, T) : reçu {got}.")
        T = tokens.shape[1]
        if offset + T > self.max_len:
            raise ValueError(f"séquence trop longue : positions {offset}…{offset + T - 1}, max_len = {self.max_len}.")
        x = embedding(tokens) * math.sqrt(self.d_model) + self.positions[offset : offset + T]
        return self.dropout(x)

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor]:
        """``src (B, S)`` → ``(mémoire (B, S, C), remplissage (B, S))``, ``True`` = vrai jeton.

        Voir : {ref}`ed-transformer-plongements`.
        """
        padding = src != self.pad_id  # (B, S)
        return self.transformer.encode(self.embed(self.src_embedding, src), src_padding=padding), padding

    def decode(self, tokens: Tensor, memory: Tensor, memory_padding: Tensor, cache: list[dict] | None = None,
               offset: int = 0) -> Tensor:
        """Logits ``(B, T, V)`` du jeton suivant à chaque position de ``tokens (B, T)``.

        Sans cache : toute la cible d'un coup, masque causal. Avec cache (:meth:`new_cache`) : ``tokens`` sont les
        nouvelles positions, à partir de la position ``offset``.

        Voir : {ref}`ed-decoder-cache`.
        """
        x = self.embed(self.tgt_embedding, tokens, offset)
        if cache is None:
            h = self.transformer.decode(x, memory, tgt_mask=causal_mask(tokens.shape[1], device=tokens.device),
                                        memory_padding=memory_padding)
        else:
            h = self.transformer.decode(x, memory, memory_padding=memory_padding, cache=cache)
        return F.linear(h, self.tgt_embedding.weight)  # (B, T, V) : sortie liée aux plongements de la cible

    def new_cache(self) -> list[dict]:
        """Un cache de décodage vide (un dictionnaire par couche du décodeur)."""
        return self.transformer.new_cache()

    def forward(self, src: Tensor, tgt_in: Tensor) -> Tensor:
        """``src (B, S)``, ``tgt_in (B, T)`` (``<bos>`` puis la cible sans son dernier jeton) → logits ``(B, T, V)``.

        Voir : {ref}`ed-transformer-plongements`.
        """
        memory, padding = self.encode(src)
        return self.decode(tgt_in, memory, padding)
