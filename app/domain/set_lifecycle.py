"""An action learning set's end: the closing review, then ending or carrying on.

Pure: no I/O and no clock. "Today" is always the group's local date, passed in.

A set with an end date is prompted to hold a closing review from four weeks before that
date until the review is recorded. After it, the set ends (members keep read-only access
to their own actions) or carries on self-facilitated for a further term, after which it
reviews again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from app.domain.groups import add_months

Phase = Literal["running", "review_due", "reviewed", "ended", "continuing"]

REVIEW_WINDOW = timedelta(days=28)
CONTINUE_MONTHS = 6
NOTE_MIN, NOTE_MAX = 3, 2000
ACTIVE, ENDED = "active", "ended"
# What a convenor may do next, by phase.
STEPS: dict[str, tuple[str, ...]] = {
    "reviewed": ("end", "continue"),
    "continuing": ("end",),
}


def local_date(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def review_opens(term_ends: date) -> date:
    """The first day the closing review is due: four weeks before the term's last day."""
    return term_ends - REVIEW_WINDOW


def phase(*, status: str, term_ends: date | None, reviewed_on: date | None, today: date) -> Phase:
    """Where a set is in its life.

    `reviewed_on` is the local date a closing review was last recorded, if ever. A review
    from before the current term's window belongs to an earlier term (the set carried on
    and its end date moved later), so this term is "continuing" until its own window.
    """
    if status == ENDED:
        return "ended"
    if term_ends is None:
        # No end date (sets made before terms were required): nothing to prompt.
        return "continuing" if reviewed_on is not None else "running"
    opens = review_opens(term_ends)
    if reviewed_on is not None and reviewed_on >= opens:
        return "reviewed"
    if today >= opens:
        return "review_due"
    # Reviewed in an earlier term and still going: the set chose to carry on.
    return "continuing" if reviewed_on is not None else "running"


def continued_term_ends(term_ends: date | None, today: date) -> date:
    """A set carrying on self-facilitated agrees a further six months, then reviews again.

    Six months from the old end date, or from today when that date has passed already.
    """
    return add_months(max(term_ends or today, today), CONTINUE_MONTHS)


def prompt_text(name: str, term_ends: date, today: date) -> str:
    when = term_ends.strftime("%-d %B %Y")
    if term_ends < today:
        return f"Closing review due: the term of {name} ended on {when}. Hold the review now."
    return f"Closing review due: {name} ends on {when}. Hold a closing review before then."


def check_review_note(note: str) -> str | None:
    """The message to show beside the note field, or None when it will do."""
    length = len(note.strip())
    if length < NOTE_MIN:
        return "Write what the closing review concluded, in at least 3 characters."
    if length > NOTE_MAX:
        return f"Keep the note to {NOTE_MAX} characters; it has {length}."
    return None
