"""Deux classifieurs de séquences minimaux : un encodeur récurrent ou une couche d'auto-attention, puis une tête.

Les deux lisent des jetons ``(B, T)`` et rendent ``n`` réponses par séquence, des logits ``(B, n, K)`` (``K``
classes par réponse) :

- :class:`RecurrentClassifier` : plongement, réseau récurrent du paquet (RNN d'Elman, LSTM ou GRU), puis tête
  linéaire sur l'état caché final ``h_T``. Tout ce que le modèle sait de la séquence tient dans ces ``H`` nombres ;
- :class:`AttentionClassifier` : plongement plus encodage de position, une couche d'auto-attention du paquet, puis
  tête linéaire sur la sortie de la dernière position (avec connexion résiduelle). La dernière position peut
  regarder directement n'importe quel jeton, à un seul pas de distance.

Voir : {ref}`seq-limites-distance`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from masterclass.nn.attention import MultiHeadAttention
from masterclass.nn.positions import LearnedPositions, sinusoidal_encoding
from masterclass.nn.recurrent import GRU, LSTM, RNN

ENCODERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
POSITIONS = ("sinusoidal", "learned", None)


def _check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} doit être un entier ≥ {minimum} : reçu {value!r}.")
    return value


def _check_tokens(tokens, vocab_size: int) -> None:
    if not isinstance(tokens, Tensor):
        raise TypeError(f"tokens doit être un torch.Tensor : reçu {type(tokens).__name__}.")
    if tokens.ndim != 2 or tokens.is_floating_point() or tokens.dtype == torch.bool or tokens.shape[1] < 1:
        raise ValueError(f"tokens doit être un tenseur d'entiers (B, T) avec T ≥ 1 : reçu la forme "
                         f"{tuple(tokens.shape)} et le type {tokens.dtype}.")
    if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= vocab_size):
        raise ValueError(f"les jetons doivent être dans [0, {vocab_size}) : reçu de {int(tokens.min())} "
                         f"à {int(tokens.max())}.")


class _Head(nn.Module):
    """Tête linéaire commune : un vecteur ``(B, C)`` → logits ``(B, n, K)``, soit ``z Wᵀ + b`` remis en forme.

    Voir : {ref}`seq-limites-distance`.
    """

    def __init__(self, width: int, num_classes: int, num_outputs: int) -> None:
        super().__init__()
        self.num_classes = _check_int("num_classes", num_classes, 2)
        self.num_outputs = _check_int("num_outputs", num_outputs)
        self.head = nn.Linear(width, num_outputs * num_classes)

    def logits(self, features: Tensor) -> Tensor:
        return self.head(features).view(features.shape[0], self.num_outputs, self.num_classes)  # (B, n, K)


class RecurrentClassifier(_Head):
    """Plongement → RNN, LSTM ou GRU du paquet → tête linéaire sur ``h_T`` : logits ``(B, n, K)``.

    ``cell`` choisit l'encodeur (``"rnn"``, ``"lstm"``, ``"gru"``) ; ``embed_dim`` est la largeur des plongements
    (par défaut ``hidden_size``). Le RNN d'Elman utilise tanh.

    Voir : {ref}`seq-limites-distance`.
    """

    def __init__(self, vocab_size: int, num_classes: int, hidden_size: int, cell: str = "lstm",
                 embed_dim: int | None = None, num_outputs: int = 1) -> None:
        if cell not in ENCODERS:
            raise ValueError(f"cell doit valoir l'un de {sorted(ENCODERS)} : reçu {cell!r}.")
        super().__init__(_check_int("hidden_size", hidden_size), num_classes, num_outputs)
        self.cell = cell
        embed_dim = hidden_size if embed_dim is None else _check_int("embed_dim", embed_dim)
        self.embedding = nn.Embedding(_check_int("vocab_size", vocab_size), embed_dim)
        self.encoder = ENCODERS[cell](embed_dim, hidden_size)

    def encode(self, tokens: Tensor) -> Tensor:
        """État caché final ``h_T (B, H)`` : le seul résumé de la séquence que voit la tête.

        Voir : {ref}`seq-limites-memoire`.
        """
        _check_tokens(tokens, self.embedding.num_embeddings)
        _, state = self.encoder(self.embedding(tokens))  # état final (1, B, H), ou (h, c) pour le LSTM
        h = state[0] if isinstance(state, tuple) else state
        return h[0]  # (B, H)

    def forward(self, tokens: Tensor) -> Tensor:
        """Logits ``(B, n, K)`` de la tête appliquée à ``h_T``.

        Voir : {ref}`seq-limites-distance`.
        """
        return self.logits(self.encode(tokens))


class AttentionClassifier(_Head):
    """Plongement + positions → une couche d'auto-attention du paquet → tête sur la dernière position.

    ``z = x_T + Attention(X)_T`` où ``X`` est la somme des plongements et des positions (``positions`` :
    ``"sinusoidal"``, table fixe de Vaswani et al. ; ``"learned"``, table apprise ; ``None``, aucune). Aucun masque :
    la dernière position regarde toute la séquence.

    Voir : {ref}`seq-limites-distance`.
    """

    def __init__(self, vocab_size: int, num_classes: int, d_model: int, num_heads: int = 1, max_len: int = 512,
                 positions: str | None = "sinusoidal", num_outputs: int = 1) -> None:
        if positions not in POSITIONS:
            raise ValueError(f"positions doit valoir l'un de {POSITIONS} : reçu {positions!r}.")
        super().__init__(_check_int("d_model", d_model), num_classes, num_outputs)
        self.positions = positions
        self.max_len = _check_int("max_len", max_len)
        self.embedding = nn.Embedding(_check_int("vocab_size", vocab_size), d_model)
        self.learned = LearnedPositions(max_len, d_model) if positions == "learned" else None
        dtype = torch.get_default_dtype()  # comme les poids ; `.double()` convertit ensuite la table avec eux
        table = sinusoidal_encoding(max_len, d_model, dtype=dtype) if positions == "sinusoidal" else None
        self.register_buffer("table", table, persistent=False)  # (max_len, C), ou None sans positions fixes
        self.attention = MultiHeadAttention(d_model, num_heads)

    def embed(self, tokens: Tensor) -> Tensor:
        """Entrée de l'attention ``(B, T, C)`` : plongements des jetons plus encodage de la position.

        Voir : {ref}`seq-limites-distance`.
        """
        _check_tokens(tokens, self.embedding.num_embeddings)
        if tokens.shape[1] > self.max_len:
            raise ValueError(f"la séquence dépasse max_len = {self.max_len} : reçu T = {tokens.shape[1]}.")
        x = self.embedding(tokens)  # (B, T, C)
        if self.learned is not None:
            return self.learned(x)  # (B, T, C)
        return x if self.table is None else x + self.table[: tokens.shape[1]]  # (B, T, C) + (T, C)

    def forward(self, tokens: Tensor, return_weights: bool = False):
        """Logits ``(B, n, K)`` ; avec ``return_weights``, aussi les poids de la dernière requête ``(B, h, T)``.

        Voir : {ref}`seq-limites-distance`.
        """
        x = self.embed(tokens)  # (B, T, C)
        y, weights = self.attention(x, x, x)  # (B, T, C), (B, h, T, T)
        logits = self.logits(x[:, -1] + y[:, -1])  # (B, n, K) : résiduelle puis tête, dernière position
        return (logits, weights[:, :, -1]) if return_weights else logits
