"""Automatic assignment: never an expert's own or declared-conflict institution, never over the load limit,
balanced (least-loaded first), scarce experts kept for the submissions only they can review."""

from __future__ import annotations

from collections import Counter

from backend.selection.assignment import Expert, Pair, propose, refusal


def _expert(id: int, institution: int | None, conflicts: tuple[int, ...] = ()) -> Expert:
    return Expert(id, f"专家{id}", institution, frozenset(conflicts))


def test_no_conflicts_and_balanced_loads():
    experts = [_expert(1, 100), _expert(2, 200, conflicts=(300,)), _expert(3, None), _expert(4, 400)]
    targets = [(s, inst) for s, inst in ((11, 100), (12, 200), (13, 300), (14, 400), (15, 500), (16, 600))]
    proposal = propose(targets, experts, existing=(), per_submission=2, load_limit=None)
    institution_of = dict(targets)
    by_id = {e.id: e for e in experts}
    for p in proposal.pairs:
        expert = by_id[p.expert_id]
        assert expert.institution_id != institution_of[p.submission_id]
        assert institution_of[p.submission_id] not in expert.conflicts
    assert Counter(p.submission_id for p in proposal.pairs) == {s: 2 for s, _ in targets}
    loads = Counter(p.expert_id for p in proposal.pairs)
    assert max(loads.values()) - min(loads.values()) <= 1
    assert proposal.shortfalls == ()


def test_load_limit_leaves_a_shortfall_and_existing_assignments_count():
    experts = [_expert(1, None), _expert(2, None)]
    existing = [Pair(1, 11)]
    proposal = propose([(11, 100), (12, 200)], experts, existing=existing, per_submission=2, load_limit=1)
    assert proposal.pairs == (Pair(2, 11),)
    assert [(s.submission_id, s.missing) for s in proposal.shortfalls] == [(12, 2)]


def test_scarce_expert_goes_where_only_they_can_review():
    # Submission 12's institution conflicts with expert 1, so only expert 2 can take it; with a load limit of one
    # a first-come order would give expert 2 to submission 11 and leave 12 empty.
    experts = [_expert(1, 200), _expert(2, None)]
    proposal = propose([(11, 100), (12, 200)], experts, existing=(), per_submission=1, load_limit=1)
    assert set(proposal.pairs) == {Pair(1, 11), Pair(2, 12)}


def test_refusal_reasons():
    expert = _expert(1, 100, conflicts=(200,))
    assert "本单位" in refusal(expert, 100, load=0, load_limit=None)
    assert "声明" in refusal(expert, 200, load=0, load_limit=None)
    assert "上限 3" in refusal(expert, 300, load=3, load_limit=3)
    assert refusal(expert, 300, load=2, load_limit=3) is None


def test_equal_loads_keep_the_expert_others_need():
    # Three experts of three institutions, three submissions of the same three: every expert can take two of them.
    # Serving the first submission with the lowest id alone would leave one expert with two and one with none.
    experts = [_expert(1, 100), _expert(2, None, conflicts=(200,)), _expert(3, 300)]
    proposal = propose([(11, 100), (12, 200), (13, 300)], experts, existing=(), per_submission=1, load_limit=None)
    assert Counter(p.expert_id for p in proposal.pairs) == {1: 1, 2: 1, 3: 1}
