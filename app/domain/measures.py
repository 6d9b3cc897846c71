"""The measures on the insights pages, and one plain sentence to read each by.

Pure: counts come in, numbers and sentences go out; nothing here reads a clock or a
database. The sentences take figures already settled by the ledger
(app/domain/disclosure), so a figure that may not be shown reads as such and a sentence
can never give away what its figure hides. They are written for care staff running
groups, not for statisticians.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Literal

from app.domain.disclosure import Shown, whole_percent

TOO_FEW = "Too few people to say without identifying anyone."
# "About two in three": the fractions people use in conversation, nearest first.
PROPORTIONS = (
    (Fraction(1, 10), "one in ten"),
    (Fraction(1, 5), "one in five"),
    (Fraction(1, 4), "one in four"),
    (Fraction(1, 3), "one in three"),
    (Fraction(2, 5), "two in five"),
    (Fraction(1, 2), "half"),
    (Fraction(3, 5), "three in five"),
    (Fraction(2, 3), "two in three"),
    (Fraction(3, 4), "three in four"),
    (Fraction(4, 5), "four in five"),
    (Fraction(9, 10), "nine in ten"),
)
# A theme is rising or falling only on a change of at least half the earlier count and
# of at least this many meetings: 1 to 2 meetings is noise, not a trend.
TREND_MEETINGS = 2


def gini(counts: Sequence[int]) -> float | None:
    """How unevenly turns leading were shared: 0 is perfectly even.

    `counts` has one entry per member, including those who never led (0). It is the mean
    absolute difference between every two members' counts, over twice the mean:
    sum |x_i - x_j| / (2 n sum x). With that normalisation one person leading every time
    among n members gives (n - 1) / n, so the figure is always below 1 and approaches it
    only in large groups. None when there is nobody, or nobody led: there is nothing to
    compare. Worked exactly, so relabelling members or scaling every count alike gives
    the very same figure.
    """
    if any(c < 0 for c in counts):
        raise ValueError("A count of turns can't be negative.")
    n, total = len(counts), sum(counts)
    if n == 0 or total == 0:
        return None
    # With the counts sorted, sum |x_i - x_j| over all pairs is 2 * sum (2i - n - 1) x_i.
    ranked = sum((2 * i - n - 1) * x for i, x in enumerate(sorted(counts), start=1))
    return float(Fraction(ranked, n * total))


def rate(part: int, whole: int) -> float | None:
    """`part` as a share of `whole`, from 0 to 1; None when there is no whole."""
    if part < 0 or whole < 0:
        raise ValueError("A rate is of counts, which can't be negative.")
    if part > whole:
        raise ValueError(f"{part} can't be a share of {whole}.")
    return part / whole if whole else None


def mean(total: int | float, n: int) -> float | None:
    """The average of `n` things adding up to `total`; None when there are none."""
    if n < 0:
        raise ValueError("Can't average over a negative number of things.")
    return total / n if n else None


def direction(before: int, after: int) -> Literal["rising", "falling", "steady"]:
    """Whether a theme came up in more or fewer meetings than in the period before.

    Rising: up by at least half the earlier count and by at least 2 meetings (so from
    none to 2 is rising, but 1 to 2 is not). Falling: down to half the earlier count or
    less, and by at least 2 meetings. Anything else is steady.
    """
    if before < 0 or after < 0:
        raise ValueError("Meetings can't be counted below zero.")
    change = after - before
    if change >= TREND_MEETINGS and 2 * after >= 3 * before:
        return "rising"
    if -change >= TREND_MEETINGS and 2 * after <= before:
        return "falling"
    return "steady"


def _about(shown: Shown) -> str:
    """Words such as "about two in three members", from the percentage shown."""
    share = Fraction(_percent(shown), 100)
    if share < PROPORTIONS[0][0]:
        return "Fewer than one in ten members"
    if share > PROPORTIONS[-1][0]:
        return "More than nine in ten members"
    words = min(PROPORTIONS, key=lambda p: abs(p[0] - share))[1]
    return f"About {words} {'the members' if words == 'half' else 'members'}"


def _percent(shown: Shown) -> int:
    """The whole percentage a reader sees, so a sentence's verdict agrees with its figure."""
    return whole_percent(shown.value or 0)


def _capital(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _suppressed(*figures: Shown) -> bool:
    return any(f.state in ("small", "hidden") for f in figures)


def _count(figure: Shown) -> int:
    return int(figure.value or 0)


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def reading_share_led(shown: Shown) -> str:
    """The share of members who led at least once."""
    if _suppressed(shown):
        return TOO_FEW
    if shown.value is None:
        return "No one was a member in this period, so there is no one to count."
    if shown.value == 0:
        return "No member has led a meeting yet in this period."
    if shown.value == 1:
        return f"Every member ({shown.text}) led at least once: leadership is fully shared."
    if _percent(shown) >= 60:
        verdict = "leadership is widely shared"
    elif _percent(shown) >= 30:
        verdict = "leadership is shared, and more members could be invited to lead"
    else:
        verdict = "leadership rests with a few people"
    return f"{_about(shown)} ({shown.text}) led at least once — {verdict}."


def reading_gini(shown: Shown) -> str:
    """How evenly turns leading were spread."""
    if _suppressed(shown):
        return TOO_FEW
    if shown.value is None:
        return "Nobody led a meeting in this period, so there is no spread of turns to show."
    scale = "(0 means everyone led equally; the nearer 1, the more one person led every time)"
    # Banded on the two decimals shown, so that "0.25" never reads as under 0.25.
    value = round(shown.value, 2)
    if value == 0:
        spread = "everyone led equally often"
    elif value < 0.25:
        spread = "turns are spread fairly evenly"
    elif value < 0.5:
        spread = "turns are spread unevenly: some members lead more often than others"
    else:
        spread = "turns are spread very unevenly: a few people lead most meetings"
    return f"{shown.text}: {spread} {scale}."


def reading_first_time(shown: Shown) -> str:
    """Members who led for the first time in the period."""
    if _suppressed(shown):
        return TOO_FEW
    if shown.value is None:
        return "No data on first-time leads for this period."
    n = _count(shown)
    if n == 0:
        return "Nobody led for the first time in this period."
    who = _plural(n, "member", "members")
    return f"{shown.text} {who} led a meeting for the first time in this period."


def reading_shadowed(shown_shadowed: Shown, shown_first_time: Shown) -> str:
    """How many first-time leads shadowed an experienced lead before leading."""
    if _suppressed(shown_shadowed, shown_first_time):
        return TOO_FEW
    if shown_shadowed.value is None or shown_first_time.value is None:
        return "No data on shadowing for this period."
    shadowed, first = _count(shown_shadowed), _count(shown_first_time)
    if shadowed > first:
        raise ValueError(f"{shadowed} can't have shadowed of {first} first-time leads.")
    if first == 0:
        return "Nobody led for the first time, so nobody needed to shadow first."
    if shadowed == first:
        if first == 1:
            return "The one first-time lead shadowed an experienced lead first."
        return f"All {shown_first_time.text} first-time leads shadowed an experienced lead first."
    if shadowed == 0:
        return (
            f"None of the {shown_first_time.text} first-time "
            f"{_plural(first, 'lead', 'leads')} shadowed anyone first: pairing newcomers "
            "with an experienced lead makes a first turn easier."
        )
    return (
        f"{shown_shadowed.text} of the {shown_first_time.text} first-time leads shadowed "
        "an experienced lead first."
    )


def reading_swaps(shown_swaps: Shown, shown_covers: Shown) -> str:
    """Turns swapped between members, and turns covered for someone who couldn't lead."""
    if _suppressed(shown_swaps, shown_covers):
        return TOO_FEW
    if shown_swaps.value is None or shown_covers.value is None:
        return "No data on swaps and covers for this period."
    swaps, covers = _count(shown_swaps), _count(shown_covers)
    if swaps == 0 and covers == 0:
        return "No turns were swapped or covered: every meeting was led as the rota planned."
    swapped = f"swapped {shown_swaps.text} {_plural(swaps, 'turn', 'turns')}"
    covered = f"covered {shown_covers.text} {_plural(covers, 'turn', 'turns')}"
    if covers == 0:
        return f"Members {swapped} between them, and no turn needed covering."
    if swaps == 0:
        return f"No turns were swapped, and members {covered} for colleagues who couldn't lead."
    return f"Members {swapped} between them and {covered} for colleagues who couldn't lead."


def reading_attendance_rate(shown: Shown) -> str:
    """Attendances as a share of the places members could have taken."""
    if _suppressed(shown):
        return TOO_FEW
    if shown.value is None:
        return "No attendance was recorded in this period."
    if _percent(shown) >= 75:
        verdict = "attendance is strong"
    elif _percent(shown) >= 50:
        verdict = "attendance is steady"
    else:
        verdict = "attendance is low, and it may help to ask members what gets in the way"
    return f"Members came to {shown.text} of the meetings they could have come to: {verdict}."


def reading_no_show(shown: Shown) -> str:
    """Of the people who said they were going, the share who didn't come."""
    if _suppressed(shown):
        return TOO_FEW
    if shown.value is None:
        return "Nobody said they were going to a meeting in this period."
    if shown.value == 0:
        return "Everyone who said they were going came."
    missed = f"{shown.text} of people who said they were going didn't come"
    if _percent(shown) <= 10:
        return _capital(f"{missed}: that is low.")
    return _capital(
        f"{missed}: a reminder the day before, and an easy way to say they can't make it, may help."
    )
