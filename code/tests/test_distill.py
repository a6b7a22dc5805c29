"""Tests de masterclass.finetune.distill : élève initialisé une couche sur deux (la perte : test_objectives.py)."""

import pytest
import torch

from masterclass.finetune.classifier import load_classifier, make_loaders
from masterclass.finetune.distill import DistillConfig, _loaders_with_teacher, make_student
from masterclass.utils.compute import count_parameters


@pytest.fixture(scope="module")
def teacher():
    """Le vrai modèle fourni (6 couches), avec une tête de classification à graine fixe."""
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
    assert not torch.equal(student.bert.encoder.layer[1].output.dense.weight,
                           model.bert.encoder.layer[2].output.dense.weight)


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
    from masterclass.data.corpus import load_reviews

    model, tokenizer = teacher
    dsd = load_reviews()
    config = DistillConfig(max_train_examples=48, batch_size=16)
    plain = make_loaders(dsd, tokenizer, config)["train"]
    with_teacher = _loaders_with_teacher(dsd, tokenizer, model, config)["train"]
    for epoch in range(2):  # même ordre à chaque époque, et un ordre qui change d'une époque à l'autre
        pairs = list(zip(plain, with_teacher, strict=True))
        assert len(pairs) == 3
        for a, b in pairs:
            assert torch.equal(a["input_ids"], b["input_ids"]) and torch.equal(a["labels"], b["labels"])
            inputs = {k: v for k, v in a.items() if k != "labels"}
            with torch.no_grad():
                expected = model(**inputs).logits  # (B, 2)
            # Les logits rangés ont été calculés dans d'autres lots (triés par longueur, 64 avis) : autre remplissage,
            # sommes float32 dans un autre ordre (écart attendu ~1e-6). Un logit mal attribué s'écarterait de ~1.
            torch.testing.assert_close(b["teacher_logits"], expected, rtol=0, atol=1e-4)
        if epoch == 0:
            first = [a["input_ids"] for a, _ in pairs]
    assert any(not torch.equal(x, a["input_ids"]) for x, (a, _) in zip(first, pairs, strict=True))
