"""The embedded broker's message table (kombu's SQLAlchemy transport, in its own database)."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, column, delete, false, table
from sqlalchemy.orm import Session

# kombu's default table name; only the columns used here are named.
KOMBU_MESSAGES = table("kombu_message", column("id", Integer), column("visible", Boolean))


def delete_delivered_messages(session: Session) -> int:
    """Delete the messages the transport has handed to a consumer; returns how many.

    kombu marks a message invisible when it delivers it and never reads that row again (a message
    still unacknowledged when its consumer closes is published anew), so without this the table grows
    by one row per task forever.
    """
    return session.execute(delete(KOMBU_MESSAGES).where(KOMBU_MESSAGES.c.visible == false())).rowcount
