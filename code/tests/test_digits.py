"""Tests de masterclass.models.digits : les gradients de la rétropropagation écrite à la main égalent ceux de
l'autograd de PyTorch en float64 (à 1e-12 près) et des différences finies centrées (à 1e-6 près, en relatif), pour
les deux pertes et plusieurs activations ; un pas de SGD suit la formule ; un entraînement court apprend.
"""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from masterclass.models.digits import Network, dead_units, load_digit_split, one_hot, torch_sgd

TORCH_ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu, "gelu": F.gelu, "silu": F.silu}


def _torch_loss(net, x, y):
    """Perte sommée sur les lignes, calculée par PyTorch à partir des poids du réseau NumPy."""
    ws = [torch.tensor(w, requires_grad=True) for w in net.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in net.biases]
    a = torch.tensor(x)
    for k, (w, b) in enumerate(zip(ws, bs, strict=True)):
        z = a @ w.T + b
        a = z if k == len(ws) - 1 else TORCH_ACT[net.activation](z)
    target = torch.tensor(y)
    if net.cost == "quadratic":
        loss = 0.5 * ((torch.sigmoid(a) - target) ** 2).sum()
    else:
        loss = F.binary_cross_entropy_with_logits(a, target, reduction="sum")
    return loss, ws, bs


def _problem(cost, activation, seed=0, batch=7):
    rng = np.random.default_rng(seed)
    net = Network([6, 5, 4, 3], activation=activation, cost=cost, seed=seed)
    for b in net.biases:  # biais non nuls : sinon un gradient faux en b pourrait passer inaperçu
        b += rng.normal(size=b.shape)
    x = rng.normal(size=(batch, 6))
    y = one_hot(rng.integers(0, 3, size=batch), 3)
    return net, x, y


@pytest.mark.parametrize("cost", ["cross_entropy", "quadratic"])
@pytest.mark.parametrize("activation", sorted(TORCH_ACT))
def test_backprop_equals_autograd(cost, activation):
    net, x, y = _problem(cost, activation)
    nabla_b, nabla_w = net.backprop(x, y)
    loss, ws, bs = _torch_loss(net, x, y)
    grads = torch.autograd.grad(loss, ws + bs)
    assert loss.item() == pytest.approx(net.loss(x, y) * len(x), rel=1e-12)
    for mine, ref in zip(nabla_w + nabla_b, grads, strict=True):
        np.testing.assert_allclose(mine, ref.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cost", ["cross_entropy", "quadratic"])
def test_backprop_equals_finite_differences(cost):
    net, x, y = _problem(cost, "sigmoid", seed=3)
    nabla_b, nabla_w = net.backprop(x, y)
    h = 1e-6
    for params, grads in ((net.weights, nabla_w), (net.biases, nabla_b)):
        for p, g in zip(params, grads, strict=True):
            numeric = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + h
                up = net.loss(x, y)
                p[i] = old - h
                down = net.loss(x, y)
                p[i] = old
                numeric[i] = (up - down) * len(x) / (2 * h)
            np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8)


def test_batch_gradient_is_sum_of_example_gradients():
    net, x, y = _problem("cross_entropy", "tanh")
    nabla_b, nabla_w = net.backprop(x, y)
    singles = [net.backprop(xi, yi) for xi, yi in zip(x, y, strict=True)]
    for k in range(len(net.weights)):
        np.testing.assert_allclose(nabla_w[k], sum(s[1][k] for s in singles), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(nabla_b[k], sum(s[0][k] for s in singles), rtol=1e-12, atol=1e-14)


def test_update_mini_batch_takes_one_step_of_eta_over_b():
    net, x, y = _problem("quadratic", "sigmoid")
    before = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    nabla_b, nabla_w = net.backprop(x, y)
    net.update_mini_batch((x, y), eta=0.3)
    for w0, g, w in zip(before[0], nabla_w, net.weights, strict=True):
        np.testing.assert_allclose(w, w0 - 0.3 / len(x) * g, rtol=1e-14)
    for b0, g, b in zip(before[1], nabla_b, net.biases, strict=True):
        np.testing.assert_allclose(b, b0 - 0.3 / len(x) * g, rtol=1e-14)


def test_short_training_learns_digits():
    """Deux époques sur 400 chiffres : loin au-dessus du hasard (10 %) ; la perte d'entraînement baisse."""
    x_train, y_train, x_test, y_test = load_digit_split(seed=0)
    net = Network([64, 16, 10], seed=0)
    before = net.evaluate(x_test, y_test) / len(y_test)
    history = net.sgd((x_train[:400], y_train[:400]), epochs=2, mini_batch_size=10, eta=1.0,
                      test_data=(x_test, y_test), seed=0)
    assert history["test_accuracy"][-1] > 0.6 > before + 0.3
    assert history["train_loss"][1] < history["train_loss"][0]


def test_load_digit_split_is_offline_scaled_and_stratified():
    x_train, y_train, x_test, y_test = load_digit_split(test_size=0.25, seed=0)
    assert x_train.shape == (1347, 64) and x_test.shape == (450, 64)
    assert 0.0 == x_train.min() and x_train.max() == 1.0
    counts = np.bincount(np.concatenate([y_train, y_test]))
    # stratifié : chaque chiffre garde sa part, à un exemple près d'arrondi
    assert np.abs(np.bincount(y_test) - 0.25 * counts).max() <= 1


def test_dead_units_counts_units_never_active():
    net = Network([4, 3, 2], activation="relu", seed=0)
    net.biases[0][:] = [-100.0, 0.0, 100.0]
    x = np.random.default_rng(0).uniform(0, 1, size=(50, 4))
    net.weights[0][:] = 0.1
    assert dead_units(net, x) == [pytest.approx(1 / 3)]


def test_french_errors():
    with pytest.raises(ValueError, match="au moins deux tailles"):
        Network([64])
    with pytest.raises(ValueError, match="perte inconnue"):
        Network([2, 2], cost="hinge")
    with pytest.raises(ValueError, match="activation inconnue"):
        Network([2, 2], activation="genu")
    net = Network([3, 2])
    with pytest.raises(ValueError, match=r"entrée attendue de forme \(3,\)"):
        net.feedforward(np.zeros(4))
    with pytest.raises(ValueError, match="cible attendue"):
        net.backprop(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="eta doit être > 0"):
        net.update_mini_batch((np.zeros((1, 3)), np.zeros((1, 2))), eta=0.0)
    with pytest.raises(ValueError, match="étiquettes attendues dans"):
        one_hot(np.array([0, 12]))


def test_torch_version_learns_too():
    x_train, y_train, x_test, y_test = load_digit_split(seed=0)
    out = torch_sgd((x_train[:400], y_train[:400]), (x_test, y_test), epochs=2, eta=1.0, seed=0)
    assert len(out["correct"]) == len(y_test) and np.mean(out["correct"]) > 0.6
