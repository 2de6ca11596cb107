"""Fixtures for the web tests: the people of the access rules, their tokens, logged-in clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest

from tracker.accounts.sharing import create_invitation, redeem_invitation
from tracker.accounts.tokens import create_token
from tracker.accounts.users import create_user
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack
from tracker.diary.checkins import record_checkin
from tracker.diary.courses import record_course
from tracker.diary.profile import list_location_periods

SECRET_A = "secret-note-of-patient-a"
SECRET_B = "secret-note-of-patient-b"
PASSWORD = "password-1234"


@dataclass
class World:
    """Ids and raw API tokens of the accounts and records the access tests use."""

    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)


def make_world(session_factory, who: tuple[str, ...]) -> World:
    """Create only the accounts in ``who`` (argon2 is slow) with one token each.

    Names: ``a`` and ``b`` (patients with a secret note each; ``a`` has a course, a check-in
    and a home location), ``linked`` (a clinician ``a`` shares with), ``unlinked`` (a clinician
    without links) and ``admin``.
    """
    world = World()
    roles = {"a": "patient", "b": "patient", "linked": "clinician", "unlinked": "clinician",
             "admin": "admin"}
    with session_factory.begin() as s:
        users = {}
        for name in who:
            email = f"{name}@example.org"
            kwargs = {}
            if roles[name] == "patient":
                kwargs = {"timezone": "Europe/Oslo", "latitude": 59.91, "longitude": 10.75}
            users[name] = create_user(s, email=email, password=PASSWORD, role=roles[name],
                                      name=f"Person {name.upper()}", **kwargs)
            world.ids[name] = users[name].id
            world.emails[name] = email
            world.tokens[name], _ = create_token(s, users[name], f"{name}'s token")
        if "a" in users:
            a = users["a"]
            attack = record_attack(s, a, AttackInput(
                started_at=datetime(2026, 1, 2, 9, tzinfo=UTC),
                ended_at=datetime(2026, 1, 2, 15, tzinfo=UTC), intensity=6, notes=SECRET_A))
            world.records["attack"] = attack.id
            course = record_course(s, a, started_on=date(2026, 1, 10), ended_on=date(2026, 2, 20),
                                   sessions=8)
            world.records["course"] = course.id
            world.records["checkin"] = record_checkin(s, a, date(2026, 1, 3)).id
            world.records["location"] = list_location_periods(s, a)[0].id
            _, token = create_token(s, a, "spare")
            world.records["token"] = token.id
            if "linked" in users:
                code, invitation = create_invitation(s, a)
                world.records["code"] = invitation.id
                world.records["link"] = redeem_invitation(s, users["linked"], code).id
        if "b" in users:
            record_attack(s, users["b"], AttackInput(
                started_at=datetime(2026, 1, 5, 9, tzinfo=UTC), notes=SECRET_B))
    return world


@pytest.fixture
def world(session_factory) -> World:
    """Every person of the access rules."""
    return make_world(session_factory, ("a", "b", "linked", "unlinked", "admin"))


def login(client, email: str, password: str = PASSWORD):
    """Log ``client`` in through the login page."""
    return client.post("/login", data={"email": email, "password": password})


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of an API request."""
    return {"Authorization": f"Bearer {token}"}
