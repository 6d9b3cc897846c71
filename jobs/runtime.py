"""What jobs that send need from the process that runs them: settings and a mailer.

Set once by `serve` or `worker` (and by tests), so every job keeps the same
`run_once(now)` shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.config import Settings
from app.mail import Mailer, mailer_for


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    mailer: Mailer


_current: Runtime | None = None


def configure(settings: Settings, mailer: Mailer | None = None) -> Runtime:
    global _current
    _current = Runtime(settings, mailer or mailer_for(settings))
    return _current


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("jobs.runtime.configure() was not called")
    return _current
