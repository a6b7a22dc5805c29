"""Blocs de construction, chacun égal à une référence PyTorch.

- :mod:`masterclass.nn.attention` : softmax stable, masques, attention par produit scalaire normalisé, attention
  multi-tête ;
- :mod:`masterclass.nn.scores` : les autres fonctions de score (Bahdanau, Luong, variantes des expériences) ;
- :mod:`masterclass.nn.recurrent` : réseaux récurrents d'Elman, LSTM et GRU (égaux à ``torch.nn.RNN``/``LSTM``/``GRU``)
  et la norme des jacobiennes ``∂h_T/∂s_t`` du module 1 ;
- :mod:`masterclass.nn.positions` : table sinusoïdale du Transformer, positions apprises, RoPE et biais d'ALiBi ;
- :mod:`masterclass.nn.activations` : fonctions d'activation du module 6 et leurs dérivées (NumPy) ;
- :mod:`masterclass.nn.gradients` : pertes et gradients écrits à la main (couche linéaire, softmax, entropie croisée,
  LayerNorm), égaux à autograd ;
- :mod:`masterclass.nn.init` : initialisations de Xavier et de He écrites comme leurs formules ;
- :mod:`masterclass.nn.transformer` : couches d'encodeur et de décodeur, Transformer encodeur-décodeur (égaux à
  ``torch.nn.Transformer``), cache des clés et valeurs.

N'importe du paquet que :mod:`masterclass.utils`.
"""
