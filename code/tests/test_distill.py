"""Tests de masterclass.distill : perte de Hinton et al. (2015), élève initialisé une couche sur deux."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from masterclass.distill import count_parameters, distillation_loss, make_student


def reference_loss(s, t, y, temperature, alpha):
    """Calcul de référence en float64 avec NumPy : α T² · moyenne Σ_k p_t (log p_t − log p_s) + (1 − α) CE."""
    s, t = np.asarray(s, dtype=np.float64), np.asarray(t, dtype=np.float64)

    def log_softmax(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    log_ps, log_pt = log_softmax(s / temperature), log_softmax(t / temperature)
    kl = (np.exp(log_pt) * (log_pt - log_ps)).sum(axis=1).mean()
    ce = -log_softmax(s)[np.arange(len(y)), y].mean()
    return alpha * temperature**2 * kl + (1 - alpha) * ce


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6), st.integers(2, 5), st.floats(0.5, 8.0), st.floats(0.0, 1.0), st.integers(0, 10_000),
)
def test_distillation_loss_matches_reference(batch, classes, temperature, alpha, seed):
    rng = np.random.default_rng(seed)
    s, t = rng.normal(scale=3, size=(2, batch, classes))
    y = rng.integers(0, classes, size=batch)
    got = distillation_loss(torch.tensor(s), torch.tensor(t), torch.tensor(y), temperature, alpha)
    assert got.item() == pytest.approx(reference_loss(s, t, y, temperature, alpha), rel=1e-10, abs=1e-12)


def test_soft_term_vanishes_when_student_equals_teacher():
    z = torch.randn(4, 2, dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 0])
    assert distillation_loss(z, z, y, temperature=3.0, alpha=1.0).item() == pytest.approx(0.0, abs=1e-12)


def test_high_temperature_gradient_is_logit_matching():
    """Hinton et al. (2015), § 2.1 : pour T grand, ∂(T² KL)/∂z_s ≈ ((z_s − z̄_s) − (z_t − z̄_t)) / (K · B)."""
    torch.manual_seed(0)
    s = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    t = torch.randn(3, 4, dtype=torch.float64)
    y = torch.zeros(3, dtype=torch.long)
    distillation_loss(s, t, y, temperature=1000.0, alpha=1.0).backward()
    centered = (s - s.mean(1, keepdim=True)) - (t - t.mean(1, keepdim=True))
    expected = centered.detach() / (4 * 3)
    # Erreur d'approximation relative en O(1/T) : tolérance relative 1e-2 pour T = 1000.
    torch.testing.assert_close(s.grad, expected, rtol=1e-2, atol=1e-9)


def test_distillation_loss_checks_its_inputs():
    with pytest.raises(ValueError, match="même forme"):
        distillation_loss(torch.zeros(2, 2), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="temperature > 0"):
        distillation_loss(torch.zeros(2, 2), torch.zeros(2, 2), torch.zeros(2, dtype=torch.long), temperature=0)


@pytest.fixture(scope="module")
def teacher():
    """Le vrai modèle fourni (6 couches), avec une tête de classification à graine fixe."""
    from masterclass.finetune import load_classifier

    model, tokenizer = load_classifier(seed=0)
    return model.eval(), tokenizer


def test_student_copies_every_other_layer_weight_by_weight(teacher):
    model, _ = teacher
    student = make_student(model, (0, 2, 4))
    assert student.config.num_hidden_layers == 3 and model.config.num_hidden_layers == 6
    t_state, s_state = model.state_dict(), student.state_dict()
    for name, tensor in s_state.items():
        if ".encoder.layer." in name:
            prefix, rest = name.split(".encoder.layer.")
            k, tail = rest.split(".", 1)
            source = f"{prefix}.encoder.layer.{(0, 2, 4)[int(k)]}.{tail}"
        else:
            source = name
        assert torch.equal(tensor, t_state[source]), name
    # Rien n'est partagé : modifier l'élève ne touche pas l'enseignant.
    with torch.no_grad():
        student.bert.encoder.layer[1].output.dense.weight.add_(1.0)
    assert not torch.equal(student.bert.encoder.layer[1].output.dense.weight, model.bert.encoder.layer[2].output.dense.weight)


def test_student_size_is_teacher_minus_three_layers(teacher):
    model, _ = teacher
    student = make_student(model)
    per_layer = count_parameters(model.bert.encoder.layer[0])
    assert count_parameters(model) - count_parameters(student) == 3 * per_layer


def test_student_with_all_layers_reproduces_teacher(teacher):
    model, tokenizer = teacher
    clone = make_student(model, tuple(range(6)))
    batch = tokenizer(["Un spectacle éblouissant.", "Trop long, on s'est ennuyés."], padding=True, return_tensors="pt")
    with torch.no_grad():
        torch.testing.assert_close(clone.eval()(**batch).logits, model(**batch).logits, rtol=0, atol=1e-6)


def test_invalid_layers_are_refused(teacher):
    model, _ = teacher
    for layers in [(), (0, 6), (2, 0), (1, 1)]:
        with pytest.raises(ValueError, match="layers"):
            make_student(model, layers)


def test_both_students_see_the_same_batches_with_teacher_logits(teacher):
    """Élève distillé et élève sans distillation : mêmes lots, dans le même ordre ; logits de l'enseignant exacts."""
    from masterclass.data import load_reviews
    from masterclass.distill import DistillConfig, _loaders_with_teacher
    from masterclass.finetune import make_loaders

    model, tokenizer = teacher
    dsd = load_reviews()
    config = DistillConfig(max_train_examples=48, batch_size=16)
    plain = make_loaders(dsd, tokenizer, config)["train"]
    with_teacher = _loaders_with_teacher(dsd, tokenizer, model, config)["train"]
    for epoch in range(2):  # même ordre à chaque époque, et un ordre qui change d'une époque à l'autre
        pairs = list(zip(plain, with_teacher))
        assert len(pairs) == 3
        for a, b in pairs:
            assert torch.equal(a["input_ids"], b["input_ids"]) and torch.equal(a["labels"], b["labels"])
            inputs = {k: v for k, v in a.items() if k != "labels"}
            with torch.no_grad():
                expected = model(**inputs).logits  # (B, 2)
            torch.testing.assert_close(b["teacher_logits"], expected, rtol=0, atol=1e-4)
        if epoch == 0:
            first = [a["input_ids"] for a, _ in pairs]
    assert any(not torch.equal(x, a["input_ids"]) for x, (a, _) in zip(first, pairs))
