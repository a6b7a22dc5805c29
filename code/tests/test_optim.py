"""Tests de masterclass.training.optim : AdamW à décroissance sélective et calendrier du taux d'apprentissage."""

import numpy as np
import pytest
import torch

from masterclass.training.optim import (
    SCHEDULES,
    inverse_sqrt_schedule,
    linear_warmup_decay,
    make_optimizer,
    make_scheduler,
)


def test_schedule_matches_transformers():
    from transformers import get_linear_schedule_with_warmup

    def lrs(make):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
        sched = make(opt)
        out = []
        for _ in range(25):
            out.append(sched.get_last_lr()[0])
            opt.step()
            sched.step()
        return out

    ours = lrs(lambda o: linear_warmup_decay(o, 5, 20))
    ref = lrs(lambda o: get_linear_schedule_with_warmup(o, 5, 20))
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)
    assert max(ours) == pytest.approx(0.3, abs=1e-12) and ours[0] == 0.0 and ours[20] == 0.0


def test_schedule_rejects_inconsistent_steps():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    for warmup, total in ((5, 0), (-1, 10), (11, 10)):
        with pytest.raises(ValueError, match="warmup_steps"):
            linear_warmup_decay(opt, warmup, total)


class _Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = torch.nn.Linear(4, 4)
        self.LayerNorm = torch.nn.LayerNorm(4)
        self.embeddings = torch.nn.Embedding(10, 4)


def test_weight_decay_only_on_matrices_and_frozen_parameters_left_out():
    block = _Block()
    block.embeddings.weight.requires_grad_(False)
    opt = make_optimizer(block, lr=1e-3, weight_decay=0.1)
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    ids = lambda group: {id(p) for p in group["params"]}  # noqa: E731
    assert ids(decay) == {id(block.dense.weight)}  # LayerNorm.weight est un vecteur : pas de décroissance
    assert ids(no_decay) == {id(block.dense.bias), id(block.LayerNorm.weight), id(block.LayerNorm.bias)}
    assert id(block.embeddings.weight) not in ids(decay) | ids(no_decay)


def test_step_equals_torch_adamw_with_the_same_groups():
    """Un pas de notre optimiseur = un pas de torch.optim.AdamW réglé à la main avec les mêmes groupes."""
    torch.manual_seed(0)
    ours, ref = _Block().double(), _Block().double()
    ref.load_state_dict(ours.state_dict())
    opt = make_optimizer(ours, lr=1e-2, weight_decay=0.1)
    ref_opt = torch.optim.AdamW([{"params": [ref.dense.weight, ref.embeddings.weight], "weight_decay": 0.1},
                                 {"params": [ref.dense.bias, ref.LayerNorm.weight, ref.LayerNorm.bias],
                                  "weight_decay": 0.0}], lr=1e-2)
    x = torch.randn(3, 4, dtype=torch.float64)
    for model, optimizer in ((ours, opt), (ref, ref_opt)):
        loss = model.LayerNorm(model.dense(x) + model.embeddings.weight[:3]).pow(2).sum()
        loss.backward()
        optimizer.step()
    for (name, a), b in zip(ours.state_dict().items(), ref.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-15, msg=name)


def test_model_without_trainable_parameter_is_refused():
    layer = torch.nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(ValueError, match="entraînable"):
        make_optimizer(layer, lr=1e-3, weight_decay=0.0)


def test_inverse_sqrt_schedule_follows_the_formula_of_vaswani():
    """η(s) = d^(−1/2) · min(s^(−1/2), s · w^(−3/2)), s compté à partir de 1 ; maximum au pas w."""
    d_model, warmup = 512, 4000
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = inverse_sqrt_schedule(optimizer, d_model, warmup)
    rates = []
    for _ in range(3 * warmup):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    s = np.arange(1, 3 * warmup + 1)
    expected = d_model**-0.5 * np.minimum(s**-0.5, s * warmup**-1.5)
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    assert int(np.argmax(rates)) == warmup - 1  # le pas w (compté à partir de 1)
    assert rates[warmup - 1] == pytest.approx((d_model * warmup) ** -0.5)
    with pytest.raises(ValueError, match="warmup_steps"):
        inverse_sqrt_schedule(optimizer, d_model, 0)


def _rates(make, steps=25):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
    sched = make(opt)
    out = []
    for _ in range(steps):
        out.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    return out


def test_named_schedules_match_transformers():
    from transformers import (
        get_constant_schedule_with_warmup,
        get_cosine_schedule_with_warmup,
        get_linear_schedule_with_warmup,
    )

    refs = {"linear": lambda o: get_linear_schedule_with_warmup(o, 5, 20),
            "cosine": lambda o: get_cosine_schedule_with_warmup(o, 5, 20),
            "constant": lambda o: get_constant_schedule_with_warmup(o, 5)}
    assert set(refs) == set(SCHEDULES)
    for name, ref in refs.items():  # jusqu'au pas 20 inclus : au-delà, transformers remonte le cosinus, pas nous
        np.testing.assert_allclose(_rates(lambda o, n=name: make_scheduler(o, n, 5, 20), 21), _rates(ref, 21),
                                   rtol=0, atol=1e-12, err_msg=name)
    assert _rates(lambda o: make_scheduler(o, "cosine", 5, 20))[20:] == [0.0] * 5
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="Calendrier inconnu : 'cosinus'"):
        make_scheduler(opt, "cosinus", 5, 20)
    with pytest.raises(ValueError, match="warmup_steps"):
        make_scheduler(opt, "constant", 30, 20)


def test_lr_scale_gives_each_parameter_its_rate_and_keeps_weight_decay_rules():
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.LayerNorm(3), torch.nn.Linear(3, 2))
    opt = make_optimizer(model, 0.1, 0.01, lr_scale=lambda name: 0.5 if name.startswith("0.") else 1.0)
    rate = {id(p): (g["lr"], g["weight_decay"]) for g in opt.param_groups for p in g["params"]}
    named = dict(model.named_parameters())
    assert rate[id(named["0.weight"])] == (0.05, 0.01) and rate[id(named["0.bias"])] == (0.05, 0.0)
    assert rate[id(named["1.weight"])] == (0.1, 0.0)  # LayerNorm : pas de décroissance des poids
    assert rate[id(named["2.weight"])] == (0.1, 0.01)
    assert sum(len(g["params"]) for g in opt.param_groups) == len(named)
