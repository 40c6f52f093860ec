"""`ciqa bench selection` on a small campaign: every secretariat page answers, the ranking's queries do not grow
with the campaign, and the built campaign is what the benchmark says (experts submitted, quotas applied)."""

from __future__ import annotations

from pathlib import Path

from backend.config import Settings
from backend.db.queries import campaigns
from backend.db.session import session_scope
from backend.selection.shortlist import campaign_shortlist
from eval.bench_selection import build_campaign, run_selection_bench


def test_every_page_answers_and_the_ranking_reads_in_a_constant_number_of_queries(tmp_path: Path) -> None:
    small = run_selection_bench(tmp_path / "small", institutions=6, experts=2, repeat=1)
    large = run_selection_bench(tmp_path / "large", institutions=18, experts=2, repeat=1)
    assert [t.status for t in small] == [200] * len(small)
    by_name = {t.name: t for t in small}
    assert by_name["排名与入围"].statements == {t.name: t for t in large}["排名与入围"].statements
    assert by_name["统计图表"].statements == {t.name: t for t in large}["统计图表"].statements


def test_the_built_campaign_is_expert_scored_with_its_quotas(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url="", broker_url="")
    campaign_id = build_campaign(settings, institutions=12, experts=2)
    with session_scope(settings) as session:
        shortlist = campaign_shortlist(
            session, campaign=campaigns.get_campaign(session, campaign_id=campaign_id), settings=settings
        )
        rows = [r for c in shortlist.categories for r in c.rows]
        assert len(rows) == 12 and all(r.candidate.source.value == "expert" for r in rows)
        assert shortlist.selected == shortlist.quotas.total == 2
        assert any(r.seat is not None and r.seat.type is None for r in rows)  # the cross-category 数字化 seat
