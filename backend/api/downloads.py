"""File downloads of the API and the pages: bytes with their media type and a file name in UTF-8."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response


def attachment(data: bytes, filename: str, media_type: str) -> Response:
    """The bytes as a download named ``filename`` (RFC 6266 ``filename*``: Chinese names survive every browser)."""
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})
