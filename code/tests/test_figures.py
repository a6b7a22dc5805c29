"""Tests de masterclass.utils.figures : carte d'attention avec les jetons, schéma du Transformer."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from masterclass.utils.figures import draw_transformer, plot_attention


def test_plot_attention_labels_tokens_and_checks_shapes():
    tokens = ["la", "pizza", "est"]
    ax = plot_attention(np.eye(3), tokens, title="essai")
    assert [t.get_text() for t in ax.get_xticklabels()] == tokens
    assert [t.get_text() for t in ax.get_yticklabels()] == tokens
    assert ax.get_title() == "essai"
    assert len(ax.figure.axes) == 2  # la carte et sa barre de couleur
    with pytest.raises(ValueError, match=r"poids \(3, 3\), jetons \(2, 2\)"):
        plot_attention(np.eye(3), tokens[:2])
    with pytest.raises(ValueError, match="matrice"):
        plot_attention(np.ones(3), tokens)


def test_plot_attention_accepts_a_tensor_with_gradient_and_distinct_key_tokens():
    import matplotlib.pyplot as plt
    import torch

    weights = torch.softmax(torch.randn(2, 4, requires_grad=True), dim=-1)  # (T, S) = (2, 4), suivi du gradient
    _, ax = plt.subplots()
    returned = plot_attention(weights, ["le", "chat"], ["un", "chat", "noir", "."], ax=ax, colorbar=False)
    assert returned is ax and len(ax.figure.axes) == 1  # l'axe fourni est utilisé, sans barre de couleur
    assert [t.get_text() for t in ax.get_xticklabels()] == ["un", "chat", "noir", "."]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["le", "chat"]
    np.testing.assert_array_equal(ax.images[0].get_array(), weights.detach().numpy())
    with pytest.raises(ValueError, match=r"poids \(2, 4\), jetons \(2, 3\)"):
        plot_attention(weights, ["le", "chat"], ["un", "chat", "noir"], ax=ax)
    plt.close("all")


def test_draw_transformer_draws_both_stacks_and_the_cross_attention_link():
    ax = draw_transformer()
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("auto-attention multi-tête") == 1 and "attention croisée" in texts
    assert "encodeur" in texts and "décodeur" in texts
    assert texts.count("addition + normalisation") == 5  # 2 dans l'encodeur, 3 dans le décodeur
    # 7 blocs à gauche, 11 à droite, plus les deux cadres « × N » en pointillés
    assert len(ax.patches) == 7 + 11 + 2
    plt.close(ax.figure)
