"""What the signed-in home page shows: my groups, my requests, my notifications."""

from __future__ import annotations

from dataclasses import dataclass

from app.services.accounts import Account
from app.services.groups import GroupView, MyGroup, my_groups
from app.services.notifications import NotificationView, unread


@dataclass(frozen=True)
class HomeView:
    groups: list[MyGroup]
    pending: list[GroupView]
    notifications: list[NotificationView]


async def home_view(account: Account) -> HomeView:
    memberships, pending = await my_groups(account)
    return HomeView(groups=memberships, pending=pending, notifications=await unread(account.id))
