"""Settings: the only reader of the environment (prefix CIQA_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexing.options import ChunkingOptions, ParseOptions, SearchOptions


class Settings(BaseSettings):
    """Service settings; every field can be set as CIQA_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="CIQA_", extra="ignore")

    data_dir: Path = Path("var")
    rubrics_dir: Path = Path(__file__).resolve().parent.parent / "rubrics"
    embedder: str = "e5"
    embedder_model: str = ""
    # On a GPU (picked automatically when torch sees one) 128 keeps it busy; on CPU larger batches only add padding.
    embed_batch_size: int = 16
    # CPU threads of the embedding model in each process that embeds; unset: the runtime's default, one per
    # core the process may use (OMP_NUM_THREADS also sets it).
    # Processes embedding at the same time must share the cores, not each take all of them: with W worker
    # processes (or --concurrency W) on C cores set C // W (two workers on 2 cores: 1 each).
    embed_threads: int | None = Field(default=None, ge=1)
    # Processes serving HTTP (`ciqa serve`): one process serializes on Python's lock; with several the readers of a
    # review run in parallel on the cores. Each keeps its own caches (rubrics, rendered bodies).
    api_workers: int = Field(default=1, ge=1)
    ocr: bool = True
    # Processes that OCR a scanned document's pages in parallel; 0 is one per core (with worker_concurrency > 1,
    # set it to cores // worker_concurrency). Default 1: on 2 idle cores onnxruntime already uses both, and 2
    # processes read a 20-page scan no faster (0.96x, `ciqa bench ocr`) with 2.4x the memory.
    ocr_workers: int = Field(default=1, ge=0)
    max_upload_bytes: int = 100 * 1024 * 1024
    max_pages: int = 2000
    chunk_target_chars: int = 450
    chunk_max_chars: int = 600
    chunk_overlap_chars: int = 60
    rrf_k: int = 10
    search_candidates: int = 50
    approximate_above: int = 20000
    prompts_dir: Path = Path(__file__).resolve().parent.parent / "prompts"
    drafter: str = "extractive"
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: SecretStr = SecretStr("")
    llm_prompt_id: str = "indicator_draft"
    llm_timeout_s: float = Field(default=120.0, gt=0)
    llm_max_concurrency: int = Field(default=4, ge=1)
    # Transient endpoint errors (429, 5xx, refused connections) are retried this often, waiting Retry-After or
    # llm_backoff_s doubling, at most llm_max_backoff_s; a timeout is not retried (the indicator falls back).
    llm_max_retries: int = Field(default=3, ge=0)
    llm_backoff_s: float = Field(default=1.0, ge=0)
    llm_max_backoff_s: float = Field(default=30.0, ge=0)
    llm_streaming: bool = False
    # Tokens (prompt + completion) one review may spend; 0 = no limit. Indicators past it fall back.
    llm_token_budget: int = Field(default=0, ge=0)
    # Prices per 1,000 tokens (any currency, shown as 元) for the estimate printed before a campaign-wide run.
    llm_price_input_per_1k: float = Field(default=0.0, ge=0)
    llm_price_output_per_1k: float = Field(default=0.0, ge=0)
    # A second-stage judge on borderline points (破折号 with some evidence, 问号) when the LLM drafter is used.
    llm_judge: bool = True
    llm_judge_prompt_id: str = "point_judge"
    # Service: empty URLs mean the embedded default (SQLite database and SQLite broker under data_dir).
    database_url: str = ""
    broker_url: str = ""
    queue_name: str = "ciqa"
    worker_concurrency: int = 1
    # A running job whose heartbeat is older than this is presumed dead (worker killed) and re-queued.
    job_stale_after_s: float = 120.0
    job_sweep_interval_s: float = 30.0
    # A queued message older than this is discarded by the worker; the sweeper re-enqueues its job.
    job_message_expiry_s: int = 6 * 3600
    # Claims of one job before it is failed as poison (e.g. a file that kills the worker every time).
    job_max_attempts: int = 5
    job_max_retries: int = 5
    job_retry_backoff_s: float = 5.0
    broker_visibility_timeout_s: int = 3600
    # Sign-in: Secure cookies need HTTPS, so the embedded default (plain http on localhost) leaves it off.
    cookie_secure: bool = False
    session_ttl_s: int = 12 * 3600
    api_token_ttl_s: int = 90 * 24 * 3600
    # Login throttling per (username, client address), see backend/auth/login.py: after this many consecutive
    # failures the pair waits login_delay_s, doubled after every further failure up to login_max_delay_s.
    login_free_failures: int = Field(default=3, ge=1)
    login_delay_s: int = Field(default=1, ge=1)
    login_max_delay_s: int = Field(default=15 * 60, ge=1)
    # Password spraying: an address that failed on this many accounts within the window waits.
    login_client_max_accounts: int = Field(default=30, ge=1)
    login_client_window_s: int = Field(default=15 * 60, ge=1)
    # A pair whose last failure is older than this starts from zero again.
    login_forget_after_s: int = Field(default=24 * 3600, ge=1)

    @model_validator(mode="after")
    def _embedded_defaults(self) -> Settings:
        data_dir = self.data_dir.resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{data_dir / 'ciqa.sqlite'}"
        if not self.broker_url:
            self.broker_url = f"sqla+sqlite:///{data_dir / 'broker.sqlite'}"
        return self

    @property
    def files_dir(self) -> Path:
        """Directory of the content-addressed originals."""
        return self.data_dir / "files"

    @property
    def indexes_dir(self) -> Path:
        """Directory of the per-version search indexes."""
        return self.data_dir / "indexes"

    @property
    def embedding_cache_dir(self) -> Path:
        """Directory of the on-disk embedding cache."""
        return self.data_dir / "embedding-cache"

    @property
    def llm_cache_dir(self) -> Path:
        """Directory of the on-disk cache of validated LLM answers."""
        return self.data_dir / "llm-cache"

    def parse_options(self) -> ParseOptions:
        """Parse options built from these settings."""
        return ParseOptions(
            ocr=self.ocr, max_bytes=self.max_upload_bytes, max_pages=self.max_pages, ocr_workers=self.ocr_workers
        )

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
