"""Tests de masterclass.training.metrics contre scikit-learn."""

import numpy as np
import pytest
import torch

from masterclass.training.metrics import classification_metrics


def test_metrics_match_scikit_learn():
    from sklearn.metrics import accuracy_score, f1_score, log_loss

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(50, 2))  # float64 : la perte se compare à 1e-12
    labels = rng.integers(0, 2, size=50)
    m = classification_metrics(logits, labels)
    preds = logits.argmax(1)
    assert m["accuracy"] == pytest.approx(accuracy_score(labels, preds), abs=1e-12)
    assert m["f1"] == pytest.approx(f1_score(labels, preds), abs=1e-12)
    probs = torch.from_numpy(logits).softmax(-1).numpy()
    assert m["loss"] == pytest.approx(log_loss(labels, probs), abs=1e-12)
    assert m["predictions"].tolist() == preds.tolist()


def test_f1_is_zero_without_any_positive_and_shapes_are_checked():
    logits = np.array([[2.0, 0.0], [1.0, -1.0]])
    assert classification_metrics(logits, np.array([0, 0]))["f1"] == 0.0
    assert classification_metrics(logits, np.array([0, 0]))["accuracy"] == 1.0
    with pytest.raises(ValueError, match="logits"):
        classification_metrics(logits, np.array([0, 1, 1]))
