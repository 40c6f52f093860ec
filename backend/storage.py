"""Content-addressed file store: originals are kept under their sha256 and never overwritten.

Layout: ``<root>/ab/cd/<sha256>``. A file is written to a temporary name in its final directory and
linked into place, so a reader never sees a partial file and two writers of the same bytes cannot
clobber each other (the second link fails and its copy is dropped).

Example:
    >>> store = FileStore(Path("var/files"))  # doctest: +SKIP
    >>> sha = store.put(b"%PDF-1.7 ...")  # doctest: +SKIP
    >>> store.read(sha)[:4]  # doctest: +SKIP
    b'%PDF'
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from backend.config import Settings
from backend.errors import AppError, ErrorCode

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileStore:
    """Immutable files keyed by the sha256 of their bytes."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """Where the file with this digest lives (whether or not it exists)."""
        if not _SHA256.match(sha256):
            raise AppError(ErrorCode.INVALID_INPUT, "文件标识无效。", f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        """Whether the file is stored."""
        return self.path(sha256).is_file()

    def put(self, data: bytes) -> str:
        """Store ``data`` (once) and return its sha256."""
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if target.is_file():
            return sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".put-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            try:
                # link, unlike rename, refuses to replace an existing file: never overwrite.
                os.link(tmp, target)
            except FileExistsError:
                pass
            except OSError:
                # Some shared volumes have no hard links; identical bytes make the rename harmless.
                if not target.exists():
                    os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return sha256

    def open(self, sha256: str) -> BinaryIO:
        """Open a stored file for reading."""
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError as exc:
            raise AppError(ErrorCode.NOT_FOUND, "原始文件不存在。", f"no stored file {sha256}") from exc

    def read(self, sha256: str) -> bytes:
        """The bytes of a stored file."""
        with self.open(sha256) as f:
            return f.read()


def file_store(settings: Settings) -> FileStore:
    """The file store under the configured data directory."""
    return FileStore(settings.files_dir)


def index_dir(settings: Settings, version_id: int) -> Path:
    """Directory of a version's search index."""
    return settings.indexes_dir / str(version_id)
