"""The typed errors the diary domain raises; each names the field it is about."""

from __future__ import annotations


class TrackerError(Exception):
    """Base of every error the tracker domain raises on purpose."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ValidationError(TrackerError):
    """A value is not acceptable (out of range, wrong kind, end before start, ...)."""


class ConflictError(TrackerError):
    """The change clashes with stored data (an overlapping attack, a taken email, ...)."""


class NotFoundError(TrackerError):
    """The record does not exist, or is not visible to the person asking."""


class PermissionDeniedError(TrackerError):
    """The person asking may not do this."""


class AuthenticationError(TrackerError):
    """Wrong email or password, or the account is locked for a while."""
