"""Prompt each action learning set entering its last four weeks to hold a closing review.

Once per set and term, however many processes tick at once (see the service).
"""

from __future__ import annotations

from datetime import datetime

from app.services.set_lifecycle import prompt_closing_reviews


async def run_once(now: datetime) -> int:
    return await prompt_closing_reviews(now)
