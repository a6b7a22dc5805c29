"""Tests de masterclass.viz : format des nombres à la française et carte d'attention."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from masterclass.viz import fr, fr_number, plot_attention


@pytest.mark.parametrize(
    "x, fmt, expected",
    [
        (0.5312, ".2f", "0,53"),
        (0.5312, 3, "0,531"),
        (2.4e-6, ".1e", "2,4 × 10⁻⁶"),
        (3.0e12, ".0e", "3 × 10¹²"),
        (109482240, ",d", "109\u202f482\u202f240"),
        (-1234.5, ",.1f", "-1\u202f234,5"),
        (7, "d", "7"),
        (0.0, ".1e", "0"),
        (-0.0, ".2e", "0"),
        (0.0, ".2f", "0,00"),
    ],
)
def test_fr_number(x, fmt, expected):
    assert fr_number(x, fmt) == expected


def test_fr_returns_markdown():
    assert fr(0.25, 2).data == "0,25"


def test_plot_attention_labels_tokens_and_checks_shapes():
    tokens = ["la", "pizza", "est"]
    ax = plot_attention(np.eye(3), tokens, title="essai")
    assert [t.get_text() for t in ax.get_xticklabels()] == tokens
    assert [t.get_text() for t in ax.get_yticklabels()] == tokens
    assert ax.get_title() == "essai"
    with pytest.raises(ValueError, match=r"poids \(3, 3\), jetons \(2, 2\)"):
        plot_attention(np.eye(3), tokens[:2])
    with pytest.raises(ValueError, match="matrice"):
        plot_attention(np.ones(3), tokens)
