"""Request body size limit enforced while the body streams in, before anything is parsed or stored."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import ErrorCode

# Room for the multipart envelope (boundaries, part headers, small form fields) around the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def too_large_message(max_bytes: int) -> str:
    """The Chinese message for an oversized request."""
    return f"上传内容过大，超过系统允许的 {max_bytes / 1048576:.0f} MB 上限。请压缩图片或拆分文件后重新上传。"


class BodySizeLimit:
    """Refuses a body over the limit: at once by its Content-Length, else as soon as the bytes exceed it."""

    def __init__(self, app: ASGIApp, *, max_file_bytes: int) -> None:
        self.app = app
        self.max_file_bytes = max_file_bytes
        self.max_bytes = max_file_bytes + MULTIPART_OVERHEAD_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            body = {"code": ErrorCode.TOO_LARGE.value, "message": too_large_message(self.max_file_bytes)}
            await JSONResponse(body | {"detail": f"content-length {int(declared)}"}, status_code=413)(
                scope, receive, send
            )
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # An HTTPException passes FastAPI's body parsing unchanged to the app's exception handler.
                raise HTTPException(413, too_large_message(self.max_file_bytes))
            return message

        await self.app(scope, limited, send)
