"""Break-glass: an admin's recorded, visible look inside a group for a safeguarding reason.

Admins have no silent access. Each look needs a reason, is an audit event, tells the
group's convenors at once, and lasts a fixed time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.db.tables import AuditEvent, Group, Membership
from app.services.errors import FormErrors, NotFound
from app.services.notifications import notify

BREAK_GLASS = "break_glass"
LASTS = timedelta(hours=1)
REASON_MIN = 20


@dataclass(frozen=True)
class AccessRecord:
    admin: str
    reason: str
    occurred_at: datetime


async def has_break_glass(group_id: int, admin_id: int, now: datetime) -> bool:
    return bool(
        await AuditEvent.exists().where(
            (AuditEvent.group == group_id)
            & (AuditEvent.actor == admin_id)
            & (AuditEvent.action == BREAK_GLASS)
            & (AuditEvent.occurred_at > now - LASTS)
        )
    )


async def break_glass(
    group_id: int, admin_id: int, admin_name: str, reason: str, now: datetime
) -> None:
    reason = reason.strip()
    if len(reason) < REASON_MIN:
        raise FormErrors(
            {
                "reason": f"Explain the safeguarding reason in at least {REASON_MIN} characters. "
                "The group's convenors will see it."
            }
        )
    group = (
        await Group.select(Group.id, Group.name, Group.discreet).where(Group.id == group_id).first()
    )
    if group is None:
        raise NotFound()
    await AuditEvent.insert(
        AuditEvent(
            actor=admin_id, group=group_id, action=BREAK_GLASS, detail=reason, occurred_at=now
        )
    )
    convenors = await Membership.select(Membership.user).where(
        (Membership.group == group_id)
        & (Membership.status == "active")
        & (Membership.role == "convenor")
    )
    what = "a group you convene" if group["discreet"] else group["name"]
    await notify(
        [row["user"] for row in convenors],
        f"{admin_name}, an administrator, opened safeguarding access to {what}. Reason: {reason}",
        f"/groups/{group_id}",
        now,
    )


async def access_log(group_id: int) -> list[AccessRecord]:
    rows = (
        await AuditEvent.select(
            AuditEvent.actor.display_name.as_alias("admin"),
            AuditEvent.detail.as_alias("reason"),
            AuditEvent.occurred_at,
        )
        .where((AuditEvent.group == group_id) & (AuditEvent.action == BREAK_GLASS))
        .order_by(AuditEvent.occurred_at, ascending=False)
        .limit(20)
    )
    return [
        AccessRecord(
            admin=r["admin"] or "A former administrator",
            reason=r["reason"],
            occurred_at=r["occurred_at"],
        )
        for r in rows
    ]
