"""Cohen's κ on marks: known values, undefined cases, and the campaign's κ per indicator from stored decisions."""

from __future__ import annotations

from backend.domain.enums import Mark
from backend.selection.agreement import cohen_kappa, indicator_agreement

C, M, V = Mark.CLEAR, Mark.MORE_MATERIAL, Mark.VERIFY_ON_SITE


def test_kappa_known_values():
    assert cohen_kappa([(C, C), (M, M), (V, V)]) == 1.0
    # Observed 0.5; both raters C/M half the time: chance 0.5 → κ 0.
    assert cohen_kappa([(C, C), (C, M), (M, C), (M, M)]) == 0.0
    # Always disagreeing on two balanced marks: κ −1.
    assert cohen_kappa([(C, M), (M, C)]) == -1.0
    # A textbook case: 20 items, po 0.7, pe 0.5 → κ 0.4.
    pairs = [(C, C)] * 7 + [(M, M)] * 7 + [(C, M)] * 3 + [(M, C)] * 3
    assert cohen_kappa(pairs) == 0.4


def test_kappa_undefined_without_pairs_or_variation():
    assert cohen_kappa([]) is None
    assert cohen_kappa([(C, C), (C, C)]) is None  # chance agreement is total


def test_indicator_agreement_pairs_ai_with_each_expert_and_experts_with_each_other():
    expert_marks = [
        (1, 10, "1.1", "p1", C),
        (2, 10, "1.1", "p1", M),
        (1, 10, "1.1", "p2", M),
        (2, 10, "1.1", "p2", M),
        (1, 11, "1.2", "p3", V),
    ]
    ai = {(10, "p1"): C, (10, "p2"): M, (11, "p3"): M}
    by_id = {a.indicator_id: a for a in indicator_agreement(expert_marks, ai)}
    assert by_id["1.1"].ai_expert_pairs == 4 and by_id["1.1"].expert_expert_pairs == 2
    assert by_id["1.1"].ai_expert_kappa == cohen_kappa([(C, C), (C, M), (M, M), (M, M)])
    assert by_id["1.1"].expert_expert_kappa == cohen_kappa([(C, M), (M, M)])
    assert by_id["1.2"].ai_expert_pairs == 1 and by_id["1.2"].expert_expert_pairs == 0
    assert by_id["1.2"].expert_expert_kappa is None
