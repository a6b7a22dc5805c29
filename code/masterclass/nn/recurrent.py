"""Réseaux récurrents à une couche : Elman (RNN), LSTM et GRU, égaux à ``torch.nn.RNN``/``LSTM``/``GRU``.

Mêmes équations, mêmes noms de paramètres (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``) et même
ordre des portes que PyTorch, si bien que ``load_state_dict(module_torch.state_dict(), strict=True)`` fonctionne.
Lot en premier : ``x (B, T, d)`` → ``output (B, T, H)``. L'état renvoyé a la forme ``(1, B, H)`` de PyTorch (une
couche) ; pour le LSTM, c'est le couple ``(h, c)``.

Deux choix rendent la boucle rapide : la projection de l'entrée ``x W_ihᵀ + b`` est faite pour tous les pas d'un coup
(une seule multiplication), et chaque pas ne fait qu'un produit ``h W_hhᵀ`` pour toutes les portes à la fois.

Références : Elman (1990) ; Hochreiter et Schmidhuber (1997), avec la porte d'oubli de Gers et al. (2000) ;
Cho et al. (2014) pour le GRU.

Voir : {ref}`seq-rnn`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

State = Tensor | tuple[Tensor, Tensor]


def _check_size(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} doit être un entier ≥ 1 : reçu {value!r}.")
    return value


def _check_lengths(lengths, batch: int, steps: int, device) -> Tensor:
    """Longueurs vraies ``(B,)`` entières, chacune entre 1 et ``T`` (comme ``pack_padded_sequence``)."""
    if isinstance(lengths, Tensor):
        if lengths.is_floating_point() or lengths.is_complex() or lengths.dtype == torch.bool:
            raise TypeError(f"lengths doit contenir des entiers : reçu le type {lengths.dtype}.")
        lengths = lengths.to(device=device, dtype=torch.long)
    elif isinstance(lengths, Sequence) and all(isinstance(n, int) and not isinstance(n, bool) for n in lengths):
        lengths = torch.tensor(list(lengths), dtype=torch.long, device=device)
    else:
        raise TypeError(f"lengths doit être un tenseur ou une liste d'entiers : reçu {type(lengths).__name__}.")
    if lengths.shape != (batch,):
        shape = tuple(lengths.shape)
        raise ValueError(f"lengths doit avoir une longueur par séquence, forme ({batch},) : reçu {shape}.")
    if bool((lengths < 1).any()) or bool((lengths > steps).any()):
        raise ValueError(f"chaque longueur doit être entre 1 et T = {steps} : reçu {lengths.tolist()}.")
    return lengths


class _Recurrent(nn.Module):
    """Partie commune : paramètres, vérifications, projection de l'entrée et boucle sur le temps.

    Voir : {ref}`seq-rnn`.
    """

    num_gates = 1  # nombre de blocs de H lignes dans les matrices de poids (RNN 1, GRU 3, LSTM 4)
    paired_state = False  # True pour le LSTM, dont l'état est le couple (h, c)
    torch_class: type[nn.RNNBase] = nn.RNN

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
        rows = self.num_gates * hidden_size
        self.weight_ih_l0 = nn.Parameter(torch.empty(rows, input_size))  # (G·H, d)
        self.weight_hh_l0 = nn.Parameter(torch.empty(rows, hidden_size))  # (G·H, H)
        self.bias_ih_l0 = nn.Parameter(torch.empty(rows))
        self.bias_hh_l0 = nn.Parameter(torch.empty(rows))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialisation de PyTorch : chaque poids uniforme sur ``[-1/√H, 1/√H]``.

        Voir : {ref}`seq-rnn`.
        """
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    @classmethod
    def from_torch(cls, module: nn.RNNBase):
        """Copie d'un module PyTorch à une couche, unidirectionnel, avec biais (``batch_first`` indifférent).

        Voir : {ref}`seq-rnn`.
        """
        if not isinstance(module, cls.torch_class):
            raise TypeError(f"from_torch attend un torch.nn.{cls.torch_class.__name__} : reçu {type(module).__name__}.")
        unsupported = {
            "num_layers": (module.num_layers, 1),
            "bidirectional": (module.bidirectional, False),
            "bias": (module.bias, True),
            "proj_size": (getattr(module, "proj_size", 0), 0),
        }
        for name, (value, expected) in unsupported.items():
            if value != expected:
                raise ValueError(f"from_torch gère {name} = {expected} seulement : reçu {name} = {value}.")
        kwargs = {"nonlinearity": module.nonlinearity} if cls is RNN else {}
        ours = cls(module.input_size, module.hidden_size, **kwargs)
        ours.to(dtype=module.weight_ih_l0.dtype, device=module.weight_ih_l0.device)  # avant la copie : float64 intact
        ours.load_state_dict(module.state_dict(), strict=True)
        return ours

    # --- à définir par chaque réseau ---------------------------------------------------------------------------
    def input_projection(self, x: Tensor) -> Tensor:
        """Partie de chaque pré-activation qui ne dépend que de l'entrée : ``x W_ihᵀ + b``, tous les pas d'un coup.

        Voir : {ref}`seq-rnn`.
        """
        bias = self.bias_ih_l0 + self.bias_hh_l0
        return torch.addmm(bias, x.reshape(-1, x.shape[-1]), self.weight_ih_l0.t()).view(*x.shape[:-1], -1)  # (…, G·H)

    def step(self, projected: Tensor, state: State) -> State:  # pragma: no cover - redéfinie
        raise NotImplementedError

    def initial_state(self, batch: int, like: Tensor) -> State:
        """État nul ``(B, H)`` (pour le LSTM, le couple ``(h, c)``).

        Voir : {ref}`seq-rnn`.
        """
        return like.new_zeros(batch, self.hidden_size)

    # --- commun ---------------------------------------------------------------------------------------------------
    def _check_input(self, x) -> None:
        if not isinstance(x, Tensor):
            raise TypeError(f"x doit être un torch.Tensor : reçu {type(x).__name__}.")
        if x.ndim != 3 or x.shape[-1] != self.input_size or x.shape[1] < 1:
            raise ValueError(
                f"x doit avoir la forme (B, T, d) avec T ≥ 1 et d = input_size = {self.input_size} : "
                f"reçu {tuple(x.shape)}."
            )
        if x.dtype != self.weight_ih_l0.dtype:
            raise TypeError(f"x doit avoir le type des poids, {self.weight_ih_l0.dtype} : reçu {x.dtype}.")

    def _check_state(self, state, batch: int) -> State:
        """État fourni à la PyTorch, ``(1, B, H)``, ramené à ``(B, H)``."""
        expected = (1, batch, self.hidden_size)
        if self.paired_state and not (isinstance(state, tuple) and len(state) == 2):
            raise TypeError(f"l'état d'un LSTM est un couple (h, c) : reçu {type(state).__name__}.")
        parts = state if self.paired_state else (state,)
        for part in parts:
            if not isinstance(part, Tensor):
                raise TypeError(f"l'état doit être un torch.Tensor : reçu {type(part).__name__}.")
            if tuple(part.shape) != expected:
                raise ValueError(f"l'état doit avoir la forme (1, B, H) = {expected} : reçu {tuple(part.shape)}.")
        squeezed = tuple(part[0] for part in parts)
        return squeezed if self.paired_state else squeezed[0]

    def forward(self, x: Tensor, state: State | None = None, lengths=None) -> tuple[Tensor, State]:
        """Déroule le réseau sur ``x (B, T, d)`` : renvoie ``(output (B, T, H), état final (1, B, H))``.

        ``lengths`` donne la longueur vraie de chaque séquence d'un lot complété : l'état renvoyé est celui du dernier
        pas vrai et les sorties au-delà valent 0, comme avec ``pack_padded_sequence`` puis ``pad_packed_sequence``.

        Voir : {ref}`seq-rnn`.
        """
        self._check_input(x)
        batch, steps, _ = x.shape
        state = self.initial_state(batch, x) if state is None else self._check_state(state, batch)
        alive = None
        if lengths is not None:
            lengths = _check_lengths(lengths, batch, steps, x.device)
            alive = torch.arange(steps, device=x.device).unsqueeze(0) < lengths.unsqueeze(1)  # (B, T)
            alive = alive.unsqueeze(-1).to(x.dtype)  # (B, T, 1) : 1 tant que la séquence dure
        # Temps en premier pendant la boucle : chaque pas lit et écrit une tranche contiguë.
        projected = self.input_projection(x.transpose(0, 1))  # (T, B, G·H) : une multiplication pour tous les pas
        output = x.new_empty(steps, batch, self.hidden_size)  # (T, B, H), rempli pas à pas
        for t in range(steps):
            new = self.step(projected[t], state)
            if alive is not None:  # une séquence terminée garde son dernier état
                keep = alive[:, t]  # (B, 1)
                new = _blend(new, state, keep)
                output[t] = _hidden(new) * keep
            else:
                output[t] = _hidden(new)
            state = new
        output = output.transpose(0, 1).contiguous()  # (B, T, H)
        if isinstance(state, tuple):
            return output, (state[0].unsqueeze(0), state[1].unsqueeze(0))
        return output, state.unsqueeze(0)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


def _hidden(state: State) -> Tensor:
    return state[0] if isinstance(state, tuple) else state


def _parts(state: State) -> tuple[Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)


def _blend(new: State, old: State, keep: Tensor) -> State:
    """``keep · new + (1 − keep) · old``, composante par composante de l'état."""
    if isinstance(new, tuple):
        return tuple(torch.lerp(o, n, keep) for n, o in zip(new, old, strict=True))
    return torch.lerp(old, new, keep)


class RNN(_Recurrent):
    """Réseau récurrent d'Elman : ``h_t = φ(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)``, φ = tanh ou ReLU.

    Égal à ``torch.nn.RNN(input_size, hidden_size, nonlinearity=…, batch_first=True)``.

    Voir : {ref}`seq-rnn`.
    """

    num_gates = 1
    torch_class = nn.RNN

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh") -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity doit valoir 'tanh' ou 'relu' : reçu {nonlinearity!r}.")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size)

    def step(self, projected: Tensor, state: Tensor) -> Tensor:
        """Un pas : ``h_t = φ(a_t)`` avec ``a_t = projected_t + h_{t−1} W_hhᵀ`` (``projected`` contient les biais).

        Voir : {ref}`seq-rnn`.
        """
        a = torch.addmm(projected, state, self.weight_hh_l0.t())  # (B, H)
        return torch.tanh(a) if self.nonlinearity == "tanh" else torch.relu(a)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}"


class LSTM(_Recurrent):
    """LSTM (Hochreiter et Schmidhuber, 1997 ; porte d'oubli de Gers et al., 2000), portes dans l'ordre de PyTorch.

        i, f, o = σ(·), g = tanh(·)   (entrée, oubli, sortie, candidat)
        c_t = f ⊙ c_{t−1} + i ⊙ g
        h_t = o ⊙ tanh(c_t)

    Égal à ``torch.nn.LSTM(input_size, hidden_size, batch_first=True)`` ; l'état est le couple ``(h, c)``.

    Voir : {ref}`seq-lstm`.
    """

    num_gates = 4
    paired_state = True
    torch_class = nn.LSTM

    def initial_state(self, batch: int, like: Tensor) -> tuple[Tensor, Tensor]:
        """Couple ``(h, c)`` nul, chacun ``(B, H)``.

        Voir : {ref}`seq-lstm`.
        """
        zeros = like.new_zeros(batch, self.hidden_size)
        return zeros, zeros.clone()

    def step(self, projected: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        """Un pas : les quatre portes d'un seul produit ``h_{t−1} W_hhᵀ`` de largeur 4H.

        Voir : {ref}`seq-lstm`.
        """
        h, c = state
        H = self.hidden_size
        gates = torch.addmm(projected, h, self.weight_hh_l0.t())  # (B, 4H), blocs i | f | g | o
        g = torch.tanh(gates[:, 2 * H : 3 * H])  # (B, H) : candidat, lu avant la ligne suivante
        gates = gates.sigmoid_()  # (B, 4H) : i, f et o d'un seul appel (le bloc g, déjà lu, est ignoré)
        i, f, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 3 * H :]
        c = torch.addcmul(f * c, i, g)  # c_t = f ⊙ c_{t−1} + i ⊙ g
        return o * torch.tanh(c), c


class GRU(_Recurrent):
    """GRU (Cho et al., 2014), portes dans l'ordre de PyTorch (r, z, n).

        r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr),  z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)
        n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))
        h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}

    Le biais ``b_hn`` est à l'intérieur du produit par r : il ne peut pas être ajouté à la projection de l'entrée.
    Égal à ``torch.nn.GRU(input_size, hidden_size, batch_first=True)``.

    Voir : {ref}`seq-gru`.
    """

    num_gates = 3
    torch_class = nn.GRU

    def input_projection(self, x: Tensor) -> Tensor:
        """``x W_ihᵀ + b_ih`` plus ``b_hr``, ``b_hz`` (mais pas ``b_hn``, multiplié par r), tous les pas d'un coup.

        Voir : {ref}`seq-gru`.
        """
        H = self.hidden_size
        bias = self.bias_ih_l0 + torch.cat([self.bias_hh_l0[: 2 * H], self.bias_hh_l0.new_zeros(H)])
        return torch.addmm(bias, x.reshape(-1, x.shape[-1]), self.weight_ih_l0.t()).view(*x.shape[:-1], -1)  # (…, 3H)

    def step(self, projected: Tensor, state: Tensor) -> Tensor:
        """Un pas : un seul produit ``h_{t−1} W_hhᵀ`` de largeur 3H pour r, z et n.

        Voir : {ref}`seq-gru`.
        """
        H = self.hidden_size
        recurrent = state @ self.weight_hh_l0.t()  # (B, 3H), blocs r | z | n
        reset_update = torch.sigmoid(projected[:, : 2 * H] + recurrent[:, : 2 * H])  # (B, 2H)
        r, z = reset_update[:, :H], reset_update[:, H:]
        n = torch.tanh(torch.addcmul(projected[:, 2 * H :], r, recurrent[:, 2 * H :] + self.bias_hh_l0[2 * H :]))
        return torch.lerp(n, state, z)  # (1 − z) ⊙ n + z ⊙ h_{t−1}


def state_jacobian_norms(module: _Recurrent, x: Tensor, state: State | None = None) -> Tensor:
    """Normes spectrales ``‖∂h_T/∂s_t‖₂`` pour t = 0, …, T−1 (indices de code), sur une seule séquence ``x (T, d)``.

    ``s_t`` est l'état récurrent après le pas t : ``h_t`` pour le RNN et le GRU, ``(h_t, c_t)`` mis bout à bout pour
    le LSTM (2H colonnes), vu comme un point de l'espace d'état : ``∂h_T/∂s_t = ∂h_T/∂s_{t+1} · ∂s_{t+1}/∂s_t``, et
    ``∂h_T/∂s_T = [I 0]`` (norme 1). Les jacobiennes sont exactes et obtenues par une seule rétropropagation : la
    séquence est copiée H fois dans le lot et la copie j ne rétropropage que la composante j de ``h_T`` ; le gradient
    de la copie j par rapport à l'état que reçoit le pas t + 1 est alors la ligne j de ``∂h_T/∂s_t``.

    Voir : {ref}`seq-gradients`.
    """
    if not isinstance(module, _Recurrent):
        raise TypeError(f"module doit être un RNN, LSTM ou GRU de masterclass : reçu {type(module).__name__}.")
    if not isinstance(x, Tensor) or x.ndim != 2:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"x doit être une seule séquence (T, d) : reçu {shape}.")
    module._check_input(x.unsqueeze(0))
    H = module.hidden_size
    with torch.enable_grad():
        projected = module.input_projection(x).detach()  # (T, G·H) : l'entrée ne varie pas
        current = module.initial_state(H, x) if state is None else module._check_state(state, 1)
        # H copies de l'état de départ, dérivables : tout le graphe en dépend, même si les poids sont gelés.
        parts = tuple(s.detach().expand(H, -1).requires_grad_() for s in _parts(current))  # chacun (H, H)
        current = parts if module.paired_state else parts[0]
        inputs = []  # l'état s_t tel que le reçoit le pas t + 1, pour t = 0, …, T−2
        for t in range(x.shape[0]):
            if t > 0:  # une copie par état : seuls comptent les chemins qui passent par les pas suivants
                parts = tuple(s.clone() for s in _parts(current))
                current = parts if module.paired_state else parts[0]
                inputs.extend(parts)
            current = module.step(projected[t].expand(H, -1), current)  # H copies identiques : (H, G·H) → (H, H)
        h_last = _hidden(current)  # (H, H) : ligne j = h_T de la copie j
        grads = torch.autograd.grad(h_last.diagonal().sum(), inputs) if inputs else ()  # copie j → ∂h_T[j]/∂s_t
    per_state = 2 if module.paired_state else 1
    jacobians = [torch.cat(grads[i : i + per_state], dim=-1) for i in range(0, len(grads), per_state)]  # (H, S)
    norms = [torch.linalg.matrix_norm(j, ord=2) for j in jacobians] + [x.new_ones(())]  # ‖∂h_T/∂s_T‖ = 1
    return torch.stack(norms).detach()  # (T,)
