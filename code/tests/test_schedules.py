"""Tests de masterclass.training.schedules : formules, équivalents de torch.optim.lr_scheduler et de transformers."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from masterclass.training.schedules import constant_with_warmup, cosine, inverse_sqrt, linear_warmup_decay


def _lrs(make_scheduler, steps: int, lr: float = 0.3) -> list[float]:
    """Taux utilisé à chacun des ``steps`` premiers pas de l'optimiseur."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = make_scheduler(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def _lambda(factor):
    return lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, factor)


# --- Égalité avec les formules ---------------------------------------------------------------------------------


@given(w=st.integers(1, 50), d=st.integers(1, 1024), step=st.integers(0, 10_000))
def test_inverse_sqrt_formula(w, d, step):
    s = step + 1
    expected = d**-0.5 * min(s**-0.5, s * w**-1.5)
    assert inverse_sqrt(d, w)(step) == pytest.approx(expected, rel=1e-15)


def test_inverse_sqrt_peak_at_warmup():
    d, w = 512, 4000
    f = inverse_sqrt(d, w)
    values = np.array([f(k) for k in range(3 * w)])
    assert int(values.argmax()) == w - 1  # pas s = w de l'article
    assert values.max() == pytest.approx((d * w) ** -0.5, rel=1e-14)
    # Croissance linéaire avant le pic, décroissance en 1/√s après.
    np.testing.assert_allclose(values[: w - 1] / np.arange(1, w), values[0], rtol=1e-12)
    s = np.arange(w, 3 * w) + 1.0
    np.testing.assert_allclose(values[w:] * np.sqrt(s), d**-0.5, rtol=1e-12)


@given(w=st.integers(0, 30), extra=st.integers(1, 100), step=st.integers(0, 200))
def test_linear_formula(w, extra, step):
    total = w + extra
    expected = step / w if step < w else max(0.0, (total - step) / (total - w))
    assert linear_warmup_decay(w, total)(step) == pytest.approx(expected, abs=1e-15)


@given(w=st.integers(0, 30), extra=st.integers(1, 100), step=st.integers(0, 200), r=st.floats(0.0, 1.0))
def test_cosine_formula(w, extra, step, r):
    total = w + extra
    f = cosine(w, total, min_ratio=r)(step)
    if step < w:
        assert f == pytest.approx(step / w, abs=1e-15)
    else:
        p = min(1.0, (step - w) / (total - w))
        assert f == pytest.approx(r + (1 - r) * (1 + math.cos(math.pi * p)) / 2, abs=1e-15)
    assert min(r, 0.0 if step < w else r) - 1e-15 <= f <= 1.0 + 1e-15


@given(w=st.integers(0, 40), step=st.integers(0, 200))
def test_constant_formula(w, step):
    assert constant_with_warmup(w)(step) == (step / w if step < w else 1.0)


def test_endpoints():
    assert linear_warmup_decay(10, 100)(10) == 1.0 and linear_warmup_decay(10, 100)(100) == 0.0
    assert cosine(10, 100)(10) == 1.0 and cosine(10, 100)(100) == pytest.approx(0.0, abs=1e-16)
    assert cosine(10, 100, min_ratio=0.1)(500) == pytest.approx(0.1, abs=1e-15)
    assert constant_with_warmup(0)(0) == 1.0 and linear_warmup_decay(0, 5)(0) == 1.0


# --- Égalité avec torch.optim.lr_scheduler ---------------------------------------------------------------------


def test_cosine_equals_cosine_annealing():
    total, lr, r = 40, 0.3, 0.1
    ours = _lrs(_lambda(cosine(0, total, min_ratio=r)), total + 1, lr)
    ref = _lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total, eta_min=r * lr), total + 1, lr)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


def test_linear_decay_equals_linear_lr():
    total, lr = 30, 0.3
    ours = _lrs(_lambda(linear_warmup_decay(0, total)), total + 5, lr)
    ref = _lrs(lambda o: torch.optim.lr_scheduler.LinearLR(o, 1.0, 0.0, total_iters=total), total + 5, lr)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


def test_warmup_then_cosine_equals_sequential_lr():
    """Échauffement (LinearLR depuis 1/w… décalé d'un pas) puis cosinus : SequentialLR de torch."""
    w, total, lr = 5, 30, 0.3

    def ref(o):
        # LinearLR ne part pas de 0 : on compare à partir du pas 1, où s/w = 1/w.
        warm = torch.optim.lr_scheduler.LinearLR(o, 1 / w, 1.0, total_iters=w - 1)
        cos = torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total - w)
        return torch.optim.lr_scheduler.SequentialLR(o, [warm, cos], milestones=[w - 1])

    ours = _lrs(_lambda(cosine(w, total)), total + 1, lr)[1:]
    theirs = _lrs(ref, total, lr)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_constant_with_warmup_equals_linear_lr():
    w, lr = 8, 0.3
    ours = _lrs(_lambda(constant_with_warmup(w)), 30, lr)[1:]
    theirs = _lrs(lambda o: torch.optim.lr_scheduler.LinearLR(o, 1 / w, 1.0, total_iters=w - 1), 29, lr)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


# --- Égalité avec transformers et avec training.optim (même convention de pas) -----------------------------------


def test_equal_transformers_schedules():
    tr = pytest.importorskip("transformers")
    w, total = 6, 40
    pairs = [
        (constant_with_warmup(w), lambda o: tr.get_constant_schedule_with_warmup(o, w)),
        (linear_warmup_decay(w, total), lambda o: tr.get_linear_schedule_with_warmup(o, w, total)),
        (cosine(w, total), lambda o: tr.get_cosine_schedule_with_warmup(o, w, total)),
    ]
    for factor, make in pairs:  # au-delà de S, le cosinus de transformers remonte ; le nôtre reste à min_ratio
        np.testing.assert_allclose(_lrs(_lambda(factor), total + 1), _lrs(make, total + 1), rtol=0, atol=1e-12)


def test_equal_existing_inverse_sqrt_schedule():
    from masterclass.training.optim import inverse_sqrt_schedule

    ours = _lrs(_lambda(inverse_sqrt(64, 10)), 50, lr=1.0)
    theirs = _lrs(lambda o: inverse_sqrt_schedule(o, 64, 10), 50, lr=1.0)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-15)


# --- Erreurs -----------------------------------------------------------------------------------------------------


@settings(max_examples=20)
@given(step=st.integers(-100, -1))
def test_negative_step_rejected(step):
    with pytest.raises(ValueError, match="pas doit être un entier ≥ 0"):
        cosine(2, 10)(step)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: linear_warmup_decay(11, 10), "warmup_steps ≤ total_steps"),
        (lambda: linear_warmup_decay(-1, 10), "warmup_steps doit être un entier ≥ 0"),
        (lambda: cosine(0, 0), "total_steps doit être un entier ≥ 1"),
        (lambda: cosine(2, 10, min_ratio=1.5), "min_ratio doit être un réel de \\[0, 1\\]"),
        (lambda: inverse_sqrt(0, 10), "d_model doit être un entier ≥ 1"),
        (lambda: inverse_sqrt(64, 0), "warmup_steps doit être un entier ≥ 1"),
        (lambda: constant_with_warmup(2.5), "warmup_steps doit être un entier"),
        (lambda: constant_with_warmup(True), "warmup_steps doit être un entier"),
    ],
)
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()
