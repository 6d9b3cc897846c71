"""Errors a service raises for the web layer to turn into a page."""

from __future__ import annotations


class FormErrors(Exception):
    """Input a person can fix: field name -> message shown beside that field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class TooManyAttempts(Exception):
    """Sign-in is paused for this account or address."""


class NotFound(Exception):
    """The thing does not exist, or this person may not know that it does."""
