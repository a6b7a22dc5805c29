"""Encodeur-décodeur récurrent, avec ou sans l'attention additive de Bahdanau.

Sans attention (Sutskever et al., 2014 ; Cho et al., 2014) : l'encodeur lit la source et n'en transmet que son
dernier état, le *vecteur de contexte* ``c = h_S`` ; le décodeur part de ``s_0 = tanh(W_s c + b_s)`` et reçoit ``c``
à chaque pas, avec le jeton précédent. Avec attention (Bahdanau et al., 2015) : au pas ``i``, le décodeur compare
son état ``s_{i−1}`` à chaque état de l'encodeur, ``e_ij = vᵀ tanh(W_q s_{i−1} + W_k h_j + b)``, et lit la moyenne
``c_i = Σ_j α_ij h_j`` des états pondérés par ``α_i = softmax(e_i)`` au lieu du seul ``c``. Tout le reste est
commun aux deux variantes : le pas du décodeur ``s_i = f(s_{i−1}, [E y_{i−1} ; c_i])`` et les logits
``W_o [s_i ; c_i] + b_o`` (la sortie ``g(y_{i−1}, s_i, c_i)`` de l'équation (4) de Bahdanau et al., simplifiée :
linéaire, sans *maxout* ni ``y_{i−1}``). Les deux modèles ne diffèrent donc que par ce que lit le décodeur : un
vecteur fixe ou une moyenne qui change à chaque pas.

Interface commune aux modèles du module 2 (:mod:`masterclass.models.decoding`) : ``encode(src) → (mémoire,
remplissage)``, ``decode(tokens, mémoire, remplissage, cache, offset) → logits`` et ``new_cache()``. Sans attention,
la mémoire est le seul vecteur de contexte, ``(B, 1, H)`` : le décodeur n'a physiquement accès à rien d'autre.

Voir : {ref}`ed-seq2seq`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from masterclass.nn.recurrent import GRU, LSTM, RNN
from masterclass.nn.scores import AdditiveAttention, attention_from_scores

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def _check_tokens(name: str, tokens) -> None:
    if not isinstance(tokens, Tensor) or tokens.ndim != 2 or tokens.dtype != torch.long or tokens.shape[1] < 1:
        got = f"{tuple(tokens.shape)} {tokens.dtype}" if isinstance(tokens, Tensor) else type(tokens).__name__
        raise ValueError(f"{name} doit être un tenseur d'entiers (B, T) avec T ≥ 1 : reçu {got}.")


def _layer_state(state):
    """État ``(B, H)`` (ou couple pour le LSTM) → forme ``(1, B, H)`` qu'attendent les couches récurrentes."""
    return tuple(s.unsqueeze(0) for s in state) if isinstance(state, tuple) else state.unsqueeze(0)


class RNNSeq2Seq(nn.Module):
    """Encodeur et décodeur récurrents (``cell`` : ``"rnn"``, ``"lstm"`` ou ``"gru"``) de taille d'état ``H``.

    ``attention=False`` : le décodeur ne reçoit que le vecteur de contexte final (le goulot d'étranglement).
    ``attention=True`` : il lit à chaque pas une moyenne des états de l'encodeur pondérée par l'attention additive
    (:class:`masterclass.nn.scores.AdditiveAttention`, de largeur cachée ``H``).

    Voir : {ref}`ed-seq2seq-modele` et {ref}`ed-bahdanau-modele`.
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, embedding_dim: int, hidden_size: int,
                 cell: str = "gru", attention: bool = False, pad_id: int = 0) -> None:
        super().__init__()
        for name, value in (("src_vocab_size", src_vocab_size), ("tgt_vocab_size", tgt_vocab_size),
                            ("embedding_dim", embedding_dim), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} doit être un entier ≥ 1 : reçu {value!r}.")
        if cell not in CELLS:
            raise ValueError(f"cell doit valoir l'un de {tuple(CELLS)} : reçu {cell!r}.")
        if not isinstance(attention, bool):
            raise TypeError(f"attention doit être un booléen : reçu {type(attention).__name__}.")
        if isinstance(pad_id, bool) or not isinstance(pad_id, int) or not 0 <= pad_id < min(src_vocab_size,
                                                                                             tgt_vocab_size):
            raise ValueError(f"pad_id doit être un identifiant des deux vocabulaires : reçu {pad_id!r}.")
        E, H = embedding_dim, hidden_size
        self.src_embedding = nn.Embedding(src_vocab_size, E, padding_idx=pad_id)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, E, padding_idx=pad_id)
        self.encoder = CELLS[cell](E, H)
        self.bridge = nn.Linear(H, H)  # s_0 = tanh(W_s c + b_s)
        self.decoder = CELLS[cell](E + H, H)  # entrée [E y_{i−1} ; c_i]
        self.attention = AdditiveAttention(H, H, H) if attention else None
        self.output = nn.Linear(2 * H, tgt_vocab_size)  # logits = W_o [s_i ; c_i] + b_o
        self.cell, self.hidden_size, self.pad_id = cell, H, pad_id

    # --- encodeur ---------------------------------------------------------------------------------------------------
    def encode(self, src: Tensor) -> tuple[Tensor, Tensor]:
        """``src (B, S)`` complétée à droite par ``pad_id`` → ``(mémoire, remplissage)``, ``True`` = vrai jeton.

        Avec attention : tous les états de l'encodeur, ``(B, S, H)`` (nuls sur le remplissage), et ``(B, S)``.
        Sans attention : le seul vecteur de contexte ``c = h_S`` (dernier état vrai), ``(B, 1, H)``, et ``(B, 1)``.

        Voir : {ref}`ed-seq2seq-modele`.
        """
        _check_tokens("src", src)
        padding = src != self.pad_id  # (B, S)
        lengths = padding.sum(dim=1)  # (B,)
        if bool((lengths == 0).any()):
            raise ValueError("chaque séquence source doit contenir au moins un jeton qui n'est pas du remplissage.")
        positions = torch.arange(src.shape[1], device=src.device)
        if not torch.equal(padding, positions < lengths.unsqueeze(1)):
            raise ValueError("la source doit être complétée à droite : aucun jeton vrai après un remplissage.")
        states, _ = self.encoder(self.src_embedding(src), lengths=lengths)  # (B, S, H), nuls après la fin
        if self.attention is not None:
            return states, padding
        context = states[torch.arange(src.shape[0], device=src.device), lengths - 1]  # (B, H) : h au dernier pas vrai
        return context.unsqueeze(1), padding.new_ones(src.shape[0], 1)  # (B, 1, H), (B, 1)

    # --- décodeur ---------------------------------------------------------------------------------------------------
    def initial_state(self, memory: Tensor, memory_padding: Tensor):
        """``s_0 = tanh(W_s c + b_s)``, où ``c`` est le dernier état vrai de l'encodeur ; ``(h, 0)`` pour le LSTM.

        Voir : {ref}`ed-seq2seq-modele`.
        """
        lengths = memory_padding.sum(dim=1)  # (B,)
        context = memory[torch.arange(memory.shape[0], device=memory.device), lengths - 1]  # (B, H)
        s0 = torch.tanh(self.bridge(context))  # (B, H)
        return (s0, torch.zeros_like(s0)) if self.cell == "lstm" else s0

    def _check_memory(self, memory, memory_padding) -> None:
        if not isinstance(memory, Tensor) or memory.ndim != 3 or memory.shape[-1] != self.hidden_size:
            got = tuple(memory.shape) if isinstance(memory, Tensor) else type(memory).__name__
            raise ValueError(f"memory doit avoir la forme (B, S, H = {self.hidden_size}) : reçu {got}.")
        if (not isinstance(memory_padding, Tensor) or memory_padding.dtype != torch.bool
                or memory_padding.shape != memory.shape[:2]):
            got = (f"{tuple(memory_padding.shape)} {memory_padding.dtype}" if isinstance(memory_padding, Tensor)
                   else type(memory_padding).__name__)
            raise ValueError(f"memory_padding doit être un masque booléen {tuple(memory.shape[:2])} : reçu {got}.")

    def run_decoder(self, tokens: Tensor, memory: Tensor, memory_padding: Tensor, state):
        """Déroule le décodeur sur ``tokens (B, T)`` depuis ``state`` : ``(logits (B, T, V), état, poids)``.

        ``poids`` : l'attention ``(B, T, S)`` du décodeur sur la source (``None`` sans attention).

        Voir : {ref}`ed-bahdanau-modele`.
        """
        embedded = self.tgt_embedding(tokens)  # (B, T, E)
        B, T, _ = embedded.shape
        if self.attention is None:  # le même contexte à chaque pas : une seule passe du réseau récurrent
            context = memory[:, 0].unsqueeze(1).expand(B, T, self.hidden_size)  # (B, T, H)
            outputs, last = self.decoder(torch.cat((embedded, context), dim=-1), _layer_state(state))  # (B, T, H)
            state = tuple(s[0] for s in last) if isinstance(last, tuple) else last[0]  # (1, B, H) → (B, H)
            return self.output(torch.cat((outputs, context), dim=-1)), state, None  # (B, T, V)
        mask = memory_padding.unsqueeze(1)  # (B, 1, S) : True = un vrai jeton de la source
        keys = self.attention.w_key(memory)  # (B, S, H) : W_k h_j + b, calculé une fois pour tous les pas
        outputs, contexts, weights = [], [], []
        for t in range(T):  # c_i dépend de s_{i−1} : pas à pas
            query = (state[0] if isinstance(state, tuple) else state).unsqueeze(1)  # (B, 1, H) : s_{i−1}
            scores = self.attention.scores_from_projected_keys(query, keys)  # (B, 1, S) : vᵀ tanh(W_q s + W_k h_j + b)
            context, alpha = attention_from_scores(scores, memory, mask)  # (B, 1, H), (B, 1, S)
            step_input = torch.cat((embedded[:, t], context[:, 0]), dim=-1)  # (B, E + H)
            state = self.decoder.step(self.decoder.input_projection(step_input), state)
            outputs.append(state[0] if isinstance(state, tuple) else state)
            contexts.append(context[:, 0])
            weights.append(alpha[:, 0])
        features = torch.cat((torch.stack(outputs, dim=1), torch.stack(contexts, dim=1)), dim=-1)  # (B, T, 2H)
        return self.output(features), state, torch.stack(weights, dim=1)  # (B, T, V), état, (B, T, S)

    def decode(self, tokens: Tensor, memory: Tensor, memory_padding: Tensor, cache: list[dict] | None = None,
               offset: int = 0) -> Tensor:
        """Logits ``(B, T, V)`` du jeton suivant à chaque position de ``tokens (B, T)``.

        Sans cache : ``tokens`` est toute la cible d'entrée (``<bos>`` en tête). Avec un cache (:meth:`new_cache`) :
        ``tokens`` sont les nouvelles positions à partir de ``offset`` ; le cache garde l'état du décodeur (``(B, H)``,
        deux pour le LSTM), si bien qu'un pas ne coûte qu'un pas, quelle que soit la longueur déjà produite.

        Voir : {ref}`ed-seq2seq-modele`.
        """
        _check_tokens("tokens", tokens)
        self._check_memory(memory, memory_padding)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError(f"offset doit être un entier ≥ 0 : reçu {offset!r}.")
        if cache is None:
            if offset != 0:
                raise ValueError(f"sans cache, tokens doit commencer à la position 0 : reçu offset = {offset}.")
            return self.run_decoder(tokens, memory, memory_padding, self.initial_state(memory, memory_padding))[0]
        if not isinstance(cache, list) or len(cache) != 1 or not isinstance(cache[0], dict):
            raise TypeError("cache doit être la liste d'un dictionnaire que renvoie new_cache().")
        if (offset == 0) != (not cache[0]):
            state_text = "vide" if not cache[0] else "déjà rempli"
            raise ValueError(f"cache {state_text} incompatible avec offset = {offset} : un cache vide va avec 0.")
        if cache[0]:
            parts = cache[0]["state"]
            state = parts if self.cell == "lstm" else parts[0]
        else:
            state = self.initial_state(memory, memory_padding)
        logits, state, _ = self.run_decoder(tokens, memory, memory_padding, state)
        cache[0]["state"] = state if isinstance(state, tuple) else (state,)  # tuple de tenseurs (B, H)
        return logits

    def new_cache(self) -> list[dict]:
        """Un cache de décodage vide : une liste d'un dictionnaire, rempli au premier pas par l'état ``(B, H)``.

        Voir : {ref}`ed-seq2seq-modele`.
        """
        return [{}]

    def forward(self, src: Tensor, tgt_in: Tensor, return_attention: bool = False):
        """Forçage par l'enseignant : ``src (B, S)``, ``tgt_in (B, T)`` (``<bos>`` puis la cible sans son dernier
        jeton) → logits ``(B, T, V)`` ; avec ``return_attention``, aussi les poids ``(B, T, S)`` (``None`` sans
        attention).

        Voir : {ref}`ed-seq2seq-forcage`.
        """
        memory, padding = self.encode(src)
        _check_tokens("tgt_in", tgt_in)
        if tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"src et tgt_in doivent avoir le même lot : reçu {src.shape[0]} et {tgt_in.shape[0]}.")
        logits, _, weights = self.run_decoder(tgt_in, memory, padding, self.initial_state(memory, padding))
        return (logits, weights) if return_attention else logits
