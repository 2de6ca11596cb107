"""Sharing: invitation codes, care links, revocation, the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.accounts.audit import events_for_patient, record_access
from tracker.accounts.sharing import (
    can_view,
    create_invitation,
    links_of_patient,
    patients_of_clinician,
    redeem_invitation,
    require_view,
    revoke_link,
)
from tracker.accounts.users import create_user
from tracker.errors import NotFoundError, PermissionDeniedError, ValidationError

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def people(session):
    mk = lambda email, role: create_user(  # noqa: E731
        session, email=email, password="long enough", role=role, now=NOW)
    return mk("a@x.org", "patient"), mk("b@x.org", "patient"), mk("c@x.org", "clinician"), \
        mk("d@x.org", "clinician")


def test_share_code_links_once_and_revocation_ends_access(session, people):
    a, b, c, d = people
    code, invitation = create_invitation(session, a, now=NOW)
    assert code not in invitation.code_hash
    assert not can_view(session, c, a)
    link = redeem_invitation(session, c, code.lower().replace("-", " "), now=NOW)
    assert can_view(session, c, a) and not can_view(session, c, b) and not can_view(session, d, a)
    assert patients_of_clinician(session, c) == [a]
    assert [u for _, u in links_of_patient(session, a)] == [c]
    with pytest.raises(ValidationError):  # single use
        redeem_invitation(session, d, code, now=NOW)
    revoke_link(session, a, link.id, now=NOW)
    assert not can_view(session, c, a)
    with pytest.raises(NotFoundError):
        require_view(session, c, a.id)
    with pytest.raises(NotFoundError):
        revoke_link(session, b, link.id, now=NOW)
    actions = [e.action for e in events_for_patient(session, a)]
    assert set(actions) >= {"share_code_created", "share_link_created", "share_link_revoked"}


def test_codes_expire_and_only_clinicians_redeem(session, people):
    a, b, c, _ = people
    code, _ = create_invitation(session, a, valid_hours=1, now=NOW)
    with pytest.raises(PermissionDeniedError):
        redeem_invitation(session, b, code, now=NOW)
    with pytest.raises(ValidationError):
        redeem_invitation(session, c, code, now=NOW + timedelta(hours=2))
    with pytest.raises(ValidationError):
        redeem_invitation(session, c, "WRONG-CODE1", now=NOW)


def test_patients_see_only_themselves(session, people):
    a, b, c, _ = people
    assert can_view(session, a, a) and not can_view(session, a, b)
    assert require_view(session, a, a.id) is a
    with pytest.raises(NotFoundError):
        require_view(session, a, b.id)
    with pytest.raises(NotFoundError):
        require_view(session, a, c.id)  # a clinician is not a patient


def test_access_by_others_is_audited(session, people):
    a, _, c, _ = people
    record_access(session, a, a, "view_report")
    record_access(session, c, a, "export_daily", "csv")
    (event,) = events_for_patient(session, a)
    assert (event.actor_id, event.action, event.detail) == (c.id, "export_daily", "csv")
