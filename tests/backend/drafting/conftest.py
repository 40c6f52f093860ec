"""Generated materials with known facts (one report cut into PDF and DOCX files), indexed as the service does."""

from __future__ import annotations

import pytest

from backend.drafting.composer import Materials
from backend.rubrics.models import Rubric
from backend.rubrics.registry import default_registry
from corpus.generator import SyntheticReport, generate_report
from eval.drafting_eval import DEFAULT_OMIT, index_materials, split_materials
from tests.fakes import KeywordEmbedder

SEED = 7


@pytest.fixture(scope="session")
def report() -> SyntheticReport:
    return generate_report(SEED, pages=12, omit=DEFAULT_OMIT)


@pytest.fixture(scope="session")
def embedder() -> KeywordEmbedder:
    return KeywordEmbedder()


@pytest.fixture(scope="session")
def materials(
    report: SyntheticReport, embedder: KeywordEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Materials:
    work = tmp_path_factory.mktemp("materials")
    return index_materials(split_materials(report, work), embedder, work)


@pytest.fixture(scope="session")
def rubric() -> Rubric:
    return default_registry().get("audit-2021-type2")
