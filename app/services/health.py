from __future__ import annotations

import logging

from app.db.tables import User

log = logging.getLogger("roundtable")


async def database_state() -> str:
    try:
        await User.raw("SELECT 1")
    except Exception:  # any failure means the same thing to a load balancer
        log.exception("Health check could not reach the database")
        return "unavailable"
    return "ok"
