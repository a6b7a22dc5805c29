"""Objectifs d'entraînement : le masquage du modèle de langue masqué (MLM) de BERT et la perte de distillation.

**Masquage MLM.** Devlin et al. (2019, section 3.1) choisissent au hasard 15 % des positions (hors jetons spéciaux
et remplissage) ; chaque position choisie est remplacée par ``[MASK]`` avec probabilité 0,8, par un jeton tiré
uniformément dans le vocabulaire avec probabilité 0,1, et laissée intacte avec probabilité 0,1. Le modèle doit
prédire le jeton d'origine aux seules positions choisies (les autres ont l'étiquette ``-100``, ignorée par
``torch.nn.functional.cross_entropy``).

Deux façons de tirer ces 15 % coexistent. :func:`mask_tokens` choisit chaque position *indépendamment* avec
probabilité 0,15, comme ``transformers.DataCollatorForLanguageModeling`` : le nombre de positions choisies dans une
séquence de ``n`` jetons ordinaires suit une loi binomiale ``B(n, 0,15)``. Le script d'origine de BERT
(``create_pretraining_data.py``, dépôt ``google-research/bert``) en choisit *exactement*
``min(max_predictions_per_seq, max(1, round(0,15 × len(tokens))))`` par séquence (``len(tokens)`` compte ``[CLS]``
et ``[SEP]``, qui ne sont jamais choisis), tirées sans remise parmi les jetons ordinaires ; ``max_predictions_per_seq``
vaut 20 pour des séquences de 128 jetons dans ses exemples. Les proportions moyennes sont les mêmes ; seule la
variance du nombre de positions par séquence diffère (nulle à longueur fixe pour le script d'origine).

**Distillation.** Un élève apprend des logits d'un enseignant par la perte de Hinton et al. (2015) :

.. math::

    \\mathcal{L} = \\alpha \\, \\tau^2 \\, \\mathrm{KL}\\big(\\mathrm{softmax}(z_t / \\tau) \\,\\|\\,
    \\mathrm{softmax}(z_s / \\tau)\\big) + (1 - \\alpha) \\, \\mathrm{CE}(z_s, y),

où :math:`z_t` et :math:`z_s` sont les logits de l'enseignant et de l'élève, :math:`\\tau` la température et
:math:`y` l'étiquette. Le facteur :math:`\\tau^2` garde le gradient du premier terme à la même échelle quand
:math:`\\tau` change.

Voir : {ref}`m7-bert-mlm` et {ref}`m7-distillation-perte`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

#: Étiquette des positions non choisies : valeur par défaut de ``ignore_index`` dans ``cross_entropy``.
IGNORE_INDEX = -100


def mask_tokens(
    input_ids: Tensor,
    mask_token_id: int,
    vocab_size: int,
    special_tokens_mask: Tensor | None = None,
    probability: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Applique le masquage MLM ; renvoie ``(entrées masquées, étiquettes)`` de même forme que ``input_ids``.

    Chaque position ordinaire est choisie indépendamment avec probabilité ``probability`` (tirage de
    ``transformers.DataCollatorForLanguageModeling``, et non le nombre fixe par séquence du script d'origine de
    BERT : voir la docstring du module).

    ``special_tokens_mask`` (booléen, ``True`` = ``[CLS]``, ``[SEP]``, ``[PAD]``…) désigne les positions qui
    ne sont jamais choisies. Le tirage « jeton au hasard » est uniforme sur tout le vocabulaire, comme dans
    ``transformers`` : il retombe sur le jeton d'origine avec probabilité ``1/V``. ``input_ids`` n'est pas
    modifié. ``generator`` rend le tirage reproductible.

    Voir : {ref}`m7-bert-mlm`.
    """
    if not isinstance(input_ids, Tensor) or input_ids.is_floating_point() or input_ids.dtype == torch.bool:
        raise TypeError(
            f"input_ids doit être un tenseur d'entiers : reçu {type(input_ids).__name__} "
            f"{getattr(input_ids, 'dtype', '')}."
        )
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability doit être dans [0, 1] : reçu {probability}.")
    if not 0 <= mask_token_id < vocab_size:
        raise ValueError(f"mask_token_id doit être dans [0, vocab_size={vocab_size}) : reçu {mask_token_id}.")
    if special_tokens_mask is None:
        special_tokens_mask = torch.zeros_like(input_ids, dtype=torch.bool)
    if special_tokens_mask.shape != input_ids.shape or special_tokens_mask.dtype != torch.bool:
        raise ValueError(
            "special_tokens_mask doit être booléen et de la forme de input_ids : attendu "
            f"{tuple(input_ids.shape)}, reçu {tuple(special_tokens_mask.shape)} {special_tokens_mask.dtype}."
        )

    def uniform() -> Tensor:
        return torch.rand(input_ids.shape, generator=generator, device=input_ids.device)

    chosen = (uniform() < probability) & ~special_tokens_mask  # 15 % des positions ordinaires
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE_INDEX))
    u = uniform()  # un seul tirage décide du sort d'une position choisie
    to_mask = chosen & (u < 0.8)  # 80 % : [MASK]
    to_random = chosen & (u >= 0.8) & (u < 0.9)  # 10 % : jeton au hasard ; 10 % restants : inchangé
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator, device=input_ids.device)
    masked = torch.where(to_mask, torch.full_like(input_ids, mask_token_id), input_ids)
    masked = torch.where(to_random, random_ids.to(input_ids.dtype), masked)
    return masked, labels


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor,
    temperature: float = 2.0,
    alpha: float = 0.5,
) -> torch.Tensor:
    """Perte de Hinton et al. (2015) : ``α τ² KL(p_t^τ ‖ p_s^τ) + (1 − α) CE(z_s, y)``, moyennée sur le lot.

    ``p^τ = softmax(z / τ)`` ; ``temperature`` est τ. Formes : logits ``(B, K)``, étiquettes ``(B,)``.
    Voir : {ref}`m7-distillation-perte`.
    """
    if student_logits.shape != teacher_logits.shape or student_logits.ndim != 2:
        raise ValueError(
            "student_logits et teacher_logits doivent avoir la même forme (B, K) : "
            f"reçu {tuple(student_logits.shape)} et {tuple(teacher_logits.shape)}."
        )
    if temperature <= 0 or not 0 <= alpha <= 1:
        raise ValueError(f"Il faut temperature > 0 et 0 ≤ alpha ≤ 1 : reçu {temperature}, {alpha}.")
    log_p_s = F.log_softmax(student_logits / temperature, dim=-1)  # (B, K)
    log_p_t = F.log_softmax(teacher_logits / temperature, dim=-1)  # (B, K)
    soft = F.kl_div(log_p_s, log_p_t, reduction="batchmean", log_target=True)
    hard = F.cross_entropy(student_logits, labels)
    return alpha * temperature**2 * soft + (1 - alpha) * hard
