"""Réseaux récurrents du paquet contre ``torch.nn.RNN``/``LSTM``/``GRU`` à poids copiés, et la borne du module 1."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from masterclass.nn.recurrent import GRU, LSTM, RNN, state_jacobian_norms
from masterclass.utils.compute import count_parameters

from samples import SETTINGS

KINDS = [
    pytest.param(RNN, lambda d, h: torch.nn.RNN(d, h, batch_first=True), id="rnn-tanh"),
    pytest.param(RNN, lambda d, h: torch.nn.RNN(d, h, nonlinearity="relu", batch_first=True), id="rnn-relu"),
    pytest.param(LSTM, lambda d, h: torch.nn.LSTM(d, h, batch_first=True), id="lstm"),
    pytest.param(GRU, lambda d, h: torch.nn.GRU(d, h, batch_first=True), id="gru"),
]
TOLERANCES = {torch.float64: 1e-10, torch.float32: 1e-5}


def pair(cls, make, dtype, d=5, h=7, seed=0):
    torch.manual_seed(seed)
    ref = make(d, h).to(dtype)
    return cls.from_torch(ref), ref


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def assert_close(a, b, dtype):
    tol = TOLERANCES[dtype]
    torch.testing.assert_close(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("cls, make", KINDS)
@pytest.mark.parametrize("with_state", [False, True], ids=["etat-nul", "etat-donne"])
def test_forward_and_gradients_equal_torch(cls, make, dtype, with_state):
    ours, ref = pair(cls, make, dtype)
    x = torch.randn(4, 9, 5, dtype=dtype)
    state = None
    if with_state:
        h0 = torch.randn(1, 4, 7, dtype=dtype)
        state = (h0, torch.randn(1, 4, 7, dtype=dtype)) if cls is LSTM else h0
    out, last = ours(x, state)
    out_ref, last_ref = ref(x, state)
    assert out.shape == (4, 9, 7)
    assert_close(out, out_ref, dtype)
    for a, b in zip(as_tuple(last), as_tuple(last_ref), strict=True):
        assert a.shape == (1, 4, 7)
        assert_close(a, b, dtype)
    # Gradients d'une perte qui dépend des sorties et de l'état final, par rapport à tous les paramètres.
    weights = torch.randn_like(out)
    loss = (out * weights).sum() + sum(s.square().sum() for s in as_tuple(last))
    loss_ref = (out_ref * weights).sum() + sum(s.square().sum() for s in as_tuple(last_ref))
    loss.backward()
    loss_ref.backward()
    grads_ref = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, grads_ref[name].grad, dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("cls, make", KINDS)
def test_lengths_equal_pack_padded_sequence(cls, make, dtype):
    ours, ref = pair(cls, make, dtype, seed=1)
    x = torch.randn(4, 8, 5, dtype=dtype, requires_grad=True)
    lengths = torch.tensor([8, 3, 5, 1])
    out, last = ours(x, lengths=lengths)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out_packed, last_ref = ref(packed)
    out_ref, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=8)
    assert_close(out, out_ref, dtype)
    assert bool((out[1, 3:] == 0).all()) and bool((out[3, 1:] == 0).all())  # rien après la fin vraie
    for a, b in zip(as_tuple(last), as_tuple(last_ref), strict=True):
        assert_close(a, b, dtype)
    # L'état final d'une séquence courte est celui de son dernier pas vrai, et le remplissage n'a aucun effet.
    (grad,) = torch.autograd.grad(sum(s.sum() for s in as_tuple(last)) + out.sum(), x)
    assert bool((grad[1, 3:] == 0).all()) and bool((grad[3, 1:] == 0).all())
    alone, alone_last = ours(x[1:2, :3].detach())
    assert_close(as_tuple(last)[0][:, 1], as_tuple(alone_last)[0][:, 0], dtype)


@pytest.mark.parametrize("cls, make", KINDS)
def test_gradcheck(cls, make):
    ours, _ = pair(cls, make, torch.float64, d=3, h=4)
    x = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(1, 2, 4, dtype=torch.float64, requires_grad=True)
    if cls is LSTM:
        c0 = torch.randn(1, 2, 4, dtype=torch.float64, requires_grad=True)

        def f(x, h0, c0):
            out, (h, c) = ours(x, (h0, c0), lengths=[5, 3])
            return out, h, c

        assert torch.autograd.gradcheck(f, (x, h0, c0))
    else:

        def f(x, h0):
            out, h = ours(x, h0, lengths=[5, 3])
            return out, h

        assert torch.autograd.gradcheck(f, (x, h0))


@pytest.mark.parametrize("cls, make, gates", [(RNN, KINDS[0].values[1], 1), (LSTM, KINDS[2].values[1], 4),
                                              (GRU, KINDS[3].values[1], 3)])
@pytest.mark.parametrize("d, h", [(5, 7), (128, 256), (1, 1)])
def test_parameter_count(cls, make, gates, d, h):
    expected = gates * (h * (d + h) + 2 * h)  # G (H (d + H) + 2H) : deux matrices et deux biais par porte
    assert count_parameters(cls(d, h)) == expected == count_parameters(make(d, h))
    assert [n for n, _ in cls(d, h).named_parameters()] == [n for n, _ in make(d, h).named_parameters()]


def test_default_initialisation_is_pytorchs():
    torch.manual_seed(0)
    lstm = LSTM(4, 16)
    bound = 1 / math.sqrt(16)
    for p in lstm.parameters():
        assert p.abs().max() <= bound and p.abs().max() > 0.8 * bound


def test_state_jacobian_norms_equal_autograd():
    """‖∂h_T/∂s_t‖₂ recalculé directement par autograd, en reprenant le réseau à partir de l'état s_t."""
    torch.manual_seed(3)
    for cls in (RNN, LSTM, GRU):
        net = cls(3, 5).double()
        x = torch.randn(7, 3, dtype=torch.float64)
        norms = state_jacobian_norms(net, x)
        assert norms.shape == (7,) and norms[-1].item() == pytest.approx(1.0)
        for t in (0, 3, 5):
            _, s_t = net(x[None, : t + 1])

            def h_T(flat, net=net, rest=x[None, t + 1 :], is_lstm=cls is LSTM):
                state = (flat[None, None, :5], flat[None, None, 5:]) if is_lstm else flat[None, None]
                return net(rest, state)[0][0, -1]

            flat = torch.cat([s[0, 0] for s in as_tuple(s_t)])
            jacobian = torch.autograd.functional.jacobian(h_T, flat)
            assert norms[t].item() == pytest.approx(torch.linalg.matrix_norm(jacobian, ord=2).item(), rel=1e-10)


def test_state_jacobian_norms_with_frozen_weights_and_without_grad():
    torch.manual_seed(4)
    net = GRU(3, 4).double()
    x = torch.randn(6, 3, dtype=torch.float64)
    expected = state_jacobian_norms(net, x)
    net.requires_grad_(False)
    with torch.no_grad():
        torch.testing.assert_close(state_jacobian_norms(net, x), expected, rtol=0, atol=0)


@SETTINGS
@given(
    seed=st.integers(0, 2**31 - 1),
    scale=st.floats(0.1, 3.0),
    hidden=st.integers(1, 8),
    steps=st.integers(2, 12),
    nonlinearity=st.sampled_from(["tanh", "relu"]),
)
def test_norm_bound_of_page_3(seed, scale, hidden, steps, nonlinearity):
    """‖∂h_T/∂h_t‖₂ ≤ (γ σ_max(W_hh))^(T−t), γ = sup|φ'| = 1 pour tanh et ReLU."""
    torch.manual_seed(seed)
    net = RNN(2, hidden, nonlinearity=nonlinearity).double()
    with torch.no_grad():
        net.weight_hh_l0.mul_(scale)
    x = torch.randn(steps, 2, dtype=torch.float64)
    norms = state_jacobian_norms(net, x)
    sigma = torch.linalg.matrix_norm(net.weight_hh_l0.detach(), ord=2)
    bound = sigma ** torch.arange(steps - 1, -1, -1, dtype=torch.float64)  # exposant T − t
    assert bool((norms <= bound * (1 + 1e-9) + 1e-12).all()), (norms, bound)


def test_positions_of_the_loop_output_are_contiguous_batch_first():
    out, _ = LSTM(3, 4)(torch.randn(2, 6, 3))
    assert out.is_contiguous() and out.shape == (2, 6, 4)
    out.view(12, 4)  # utilisable comme une sortie de torch.nn.LSTM


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: RNN(0, 4), ValueError, "input_size doit être un entier ≥ 1 : reçu 0"),
        (lambda: LSTM(3, 2.5), ValueError, "hidden_size doit être un entier ≥ 1 : reçu 2.5"),
        (lambda: RNN(3, 4, nonlinearity="sigmoid"), ValueError, "nonlinearity doit valoir 'tanh' ou 'relu'"),
        (lambda: GRU(3, 4)(torch.randn(2, 5)), ValueError, "forme (B, T, d) avec T ≥ 1 et d = input_size = 3"),
        (lambda: GRU(3, 4)(torch.randn(2, 5, 4)), ValueError, "reçu (2, 5, 4)"),
        (lambda: GRU(3, 4)([[1.0]]), TypeError, "x doit être un torch.Tensor : reçu list"),
        (lambda: GRU(3, 4)(torch.randn(2, 5, 3, dtype=torch.float64)), TypeError, "type des poids"),
        (lambda: RNN(3, 4)(torch.randn(2, 5, 3), torch.zeros(2, 4)), ValueError, "(1, B, H) = (1, 2, 4)"),
        (lambda: LSTM(3, 4)(torch.randn(2, 5, 3), torch.zeros(1, 2, 4)), TypeError, "couple (h, c)"),
        (lambda: RNN(3, 4)(torch.randn(2, 5, 3), lengths=[5]), ValueError, "forme (2,) : reçu (1,)"),
        (lambda: RNN(3, 4)(torch.randn(2, 5, 3), lengths=[5, 0]), ValueError, "entre 1 et T = 5 : reçu [5, 0]"),
        (lambda: RNN(3, 4)(torch.randn(2, 5, 3), lengths=[6, 2]), ValueError, "entre 1 et T = 5"),
        (lambda: RNN(3, 4)(torch.randn(2, 5, 3), lengths=torch.tensor([2.0, 3.0])), TypeError, "des entiers"),
        (lambda: LSTM.from_torch(torch.nn.GRU(3, 4)), TypeError, "attend un torch.nn.LSTM : reçu GRU"),
        (lambda: LSTM.from_torch(torch.nn.LSTM(3, 4, num_layers=2)), ValueError, "num_layers = 1 seulement"),
        (lambda: GRU.from_torch(torch.nn.GRU(3, 4, bidirectional=True)), ValueError, "bidirectional = False"),
        (lambda: LSTM.from_torch(torch.nn.LSTM(3, 4, proj_size=2)), ValueError, "proj_size = 0"),
        (lambda: state_jacobian_norms(torch.nn.RNN(3, 4), torch.randn(5, 3)), TypeError, "RNN, LSTM ou GRU"),
        (lambda: state_jacobian_norms(RNN(3, 4), torch.randn(1, 5, 3)), ValueError, "une seule séquence (T, d)"),
    ],
)
def test_french_errors(call, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        call()
