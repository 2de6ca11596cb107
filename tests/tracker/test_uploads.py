"""The import service (issue #14): upload, preview, confirm or cancel, expiry, who may see it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tracker.accounts.users import create_user
from tracker.diary.imports import CSVImportError, ImportOptions
from tracker.diary.profile import list_location_periods
from tracker.diary.uploads import (
    AUDIT_ACTION,
    UploadTooLargeError,
    cancel_upload,
    confirm_upload,
    expire_uploads,
    get_upload,
    preview_upload,
    set_upload_options,
    store_upload,
)
from tracker.errors import NotFoundError, ValidationError
from tracker.models import Attack, AuditEvent, ImportUpload

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "migraine_buddy.csv"
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
LIMITS = {"max_bytes": 1_000_000, "preview_minutes": 60}
OURS = ("started_at,ended_at,kind,intensity\n"
        "2025-03-01T08:00,2025-03-01T20:00,migraine,7\n"
        "2025-03-05T08:00,2025-03-05T20:00,migraine,11\n")


def _patient(session, email="p@example.org"):
    user = create_user(session, email=email, password="long enough", role="patient",
                       timezone="Europe/Berlin", latitude=52.52, longitude=13.40, now=NOW)
    session.flush()
    return user


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _store(session, patient, data: bytes | None = None, **options):
    return store_upload(session, patient, FIXTURE.read_bytes() if data is None else data,
                        ImportOptions(**options), filename="C:\\exports\\mb.csv", now=NOW,
                        **LIMITS)


def test_preview_then_confirm_stores_everything_and_moves_home_back(session):
    patient = _patient(session)
    upload = _store(session, patient)
    session.commit()
    assert len(upload.id) == 43 and upload.filename == "mb.csv"
    assert _count(session, Attack) == 0  # an upload stores no attack

    preview = preview_upload(session, patient, upload.id, now=NOW)
    summary = preview.to_dict()["preview"]
    assert (summary["format"], summary["attacks"], summary["new"]) == ("migraine-buddy", 9, 9)
    assert summary["first_day"] == "2024-01-15" and not preview.needs_mapping
    offered = [loc["starts_on"] for loc in summary["locations"]]
    assert "2024-03-09" in offered  # Munich, away from the Berlin home cell
    assert _count(session, Attack) == 0  # a preview never writes

    result = confirm_upload(session, patient, upload.id, locations=["2024-03-09"], now=NOW)
    session.commit()
    assert (result.added, result.duplicates, result.locations_added) == (9, 0, 1)
    assert _count(session, Attack, Attack.patient_id == patient.id) == 9
    periods = [(p.starts_on, round(p.latitude, 2)) for p in list_location_periods(session,
                                                                                   patient)]
    # Berlin covers the history before Munich; home (Berlin, 2025-06-01) stays after it
    assert periods == [(date(2024, 1, 15), 52.52), (date(2024, 3, 9), 48.15),
                       (NOW.date(), 52.52)]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == AUDIT_ACTION)).one()
    assert event.patient_id == patient.id and "9 attack(s) added" in event.detail
    assert _count(session, ImportUpload) == 0  # the file is forgotten once confirmed
    with pytest.raises(NotFoundError):
        preview_upload(session, patient, upload.id, now=NOW)


def test_the_same_file_again_adds_nothing_and_counts_duplicates(session):
    patient = _patient(session)
    confirm_upload(session, patient, _store(session, patient).id, now=NOW)
    session.commit()
    again = _store(session, patient)
    summary = preview_upload(session, patient, again.id, now=NOW).to_dict()["preview"]
    assert (summary["new"], summary["duplicates"]) == (0, 9)
    result = confirm_upload(session, patient, again.id, now=NOW)
    assert (result.added, result.duplicates) == (0, 9)
    assert _count(session, Attack) == 9
    # with no place confirmed, the home itself starts at the earliest imported day
    assert [p.starts_on for p in list_location_periods(session, patient)] == [
        date(2024, 1, 15)]


def test_a_bad_line_stores_nothing_and_keeps_the_upload(session_factory):
    with session_factory.begin() as session:
        patient = _patient(session)
        patient_id, upload_id = patient.id, _store(session, patient, OURS.encode()).id
    with session_factory() as session:
        patient = _reload(session, patient_id)
        preview = preview_upload(session, patient, upload_id, now=NOW)
        assert [p["line"] for p in preview.to_dict()["preview"]["problems"]] == [3]
        with pytest.raises(CSVImportError) as caught:
            confirm_upload(session, patient, upload_id, now=NOW)
        assert caught.value.errors[0].line == 3
        session.rollback()
    with session_factory() as session:
        assert _count(session, Attack) == 0
        assert _count(session, ImportUpload) == 1
        assert list_location_periods(session, _reload(session, patient_id))[0].starts_on == \
            NOW.date()


def _reload(session, patient_id):
    from tracker.models import User

    return session.get(User, patient_id)


def test_expired_uploads_are_not_found_and_are_deleted(session):
    patient = _patient(session)
    upload = _store(session, patient)
    later = NOW + timedelta(minutes=LIMITS["preview_minutes"])
    assert get_upload(session, patient, upload.id, now=later - timedelta(seconds=1))
    for action in (lambda: get_upload(session, patient, upload.id, now=later),
                   lambda: confirm_upload(session, patient, upload.id, now=later),
                   lambda: cancel_upload(session, patient, upload.id, now=later)):
        with pytest.raises(NotFoundError):
            action()
    assert expire_uploads(session, later) == 1
    assert _count(session, ImportUpload) == 0


def test_another_patients_upload_is_not_found(session):
    owner, other = _patient(session), _patient(session, "other@example.org")
    upload = _store(session, owner)
    for patient, upload_id in ((other, upload.id), (owner, "x" * 43), (owner, "../etc"),
                               (owner, "")):
        with pytest.raises(NotFoundError):
            preview_upload(session, patient, upload_id, now=NOW)
    with pytest.raises(NotFoundError):
        confirm_upload(session, other, upload.id, now=NOW)
    with pytest.raises(NotFoundError):
        cancel_upload(session, other, upload.id, now=NOW)
    assert _count(session, Attack) == 0 and _count(session, ImportUpload) == 1


def test_size_limit_and_empty_file(session):
    patient = _patient(session)
    with pytest.raises(UploadTooLargeError) as caught:
        store_upload(session, patient, b"x" * 2049, ImportOptions(), max_bytes=2048,
                     preview_minutes=60, now=NOW)
    assert caught.value.field == "file" and "2 KB" in caught.value.message
    with pytest.raises(ValidationError):
        store_upload(session, patient, b" \n", ImportOptions(), max_bytes=2048,
                     preview_minutes=60, now=NOW)
    assert _count(session, ImportUpload) == 0


def test_unknown_columns_need_a_mapping_and_unknown_places_are_refused(session):
    patient = _patient(session)
    upload = _store(session, patient, b"When,How bad\n2025-03-01 08:00,7\n")
    preview = preview_upload(session, patient, upload.id, now=NOW)
    assert preview.plan is None and preview.needs_mapping
    assert preview.columns == ["When", "How bad"]
    with pytest.raises(CSVImportError):
        confirm_upload(session, patient, upload.id, now=NOW)

    good = _store(session, patient)
    with pytest.raises(ValidationError) as caught:
        confirm_upload(session, patient, good.id, locations=["2020-01-01"], now=NOW)
    assert caught.value.field == "locations"
    set_upload_options(session, patient, good.id, ImportOptions(timezone="UTC"), now=NOW)
    assert preview_upload(session, patient, good.id, now=NOW).options.timezone == "UTC"
