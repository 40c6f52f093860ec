"""Settings: the only reader of the environment (prefix CIQA_)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from indexing.options import ChunkingOptions, ParseOptions, SearchOptions


class Settings(BaseSettings):
    """Service settings; every field can be set as CIQA_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="CIQA_", extra="ignore")

    data_dir: Path = Path("var")
    rubrics_dir: Path = Path(__file__).resolve().parent.parent / "rubrics"
    embedder: str = "e5"
    embedder_model: str = ""
    embed_batch_size: int = 16
    ocr: bool = True
    max_upload_bytes: int = 100 * 1024 * 1024
    max_pages: int = 2000
    chunk_target_chars: int = 450
    chunk_max_chars: int = 600
    chunk_overlap_chars: int = 60
    rrf_k: int = 60
    search_candidates: int = 50
    approximate_above: int = 20000

    @property
    def embedding_cache_dir(self) -> Path:
        """Directory of the on-disk embedding cache."""
        return self.data_dir / "embedding-cache"

    def parse_options(self) -> ParseOptions:
        """Parse options built from these settings."""
        return ParseOptions(ocr=self.ocr, max_bytes=self.max_upload_bytes, max_pages=self.max_pages)

    def chunking_options(self) -> ChunkingOptions:
        """Chunking options built from these settings."""
        return ChunkingOptions(
            target_chars=self.chunk_target_chars,
            max_chars=self.chunk_max_chars,
            overlap_chars=self.chunk_overlap_chars,
        )

    def search_options(self) -> SearchOptions:
        """Search options built from these settings."""
        return SearchOptions(
            rrf_k=self.rrf_k, candidates=self.search_candidates, approximate_above=self.approximate_above
        )
