"""Deleting diary entries: a confirmation page first (works without JavaScript), then the
answer to the delete offers "Undo" for a few minutes (web.undo); routes on the diary blueprint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from tracker.diary.attacks import delete_attack, get_attack
from tracker.diary.checkins import delete_checkin
from tracker.diary.courses import delete_course, get_course
from tracker.diary.day_clash import day_label, instant_label
from tracker.diary.profile import delete_location_period
from tracker.diary.validation import is_row_id
from tracker.errors import NotFoundError, TrackerError
from tracker.models import CheckIn, LocationPeriod, User
from web.access import me, role_required
from web.db import db_session
from web.undo import UNDO_MINUTES, restore, undo_token


def _own(model: type, what: str) -> Callable[[Session, User, int], Any]:
    """A getter of one of the patient's rows of ``model`` (NotFoundError for anyone else's)."""

    def get(session: Session, patient: User, row_id: int) -> Any:
        row = session.get(model, row_id) if is_row_id(row_id) else None
        if row is None or row.patient_id != patient.id:
            raise NotFoundError(f"no {what} {row_id}", "id")
        return row

    return get


def _attack_words(a: Any, zone: ZoneInfo) -> str:
    end = f" to {instant_label(a.ended_at, zone)}" if a.ended_at else " (ongoing)"
    intensity = f", intensity {a.intensity}" if a.intensity is not None else ""
    return f"{a.kind.capitalize()}, {instant_label(a.started_at, zone)}{end}{intensity}"


def _course_words(c: Any, _zone: ZoneInfo) -> str:
    end = day_label(c.ended_on) if c.ended_on else "ongoing"
    return f"{c.kind}, {day_label(c.started_on)} to {end}"


@dataclass(frozen=True)
class Deletable:
    """One kind of diary entry that the patient may delete."""

    name: str  # in words: "attack"
    get: Callable[[Session, User, int], Any]
    remove: Callable[[Session, User, int], None]
    describe: Callable[[Any, ZoneInfo], str]
    back: str  # the list's endpoint
    undo: bool = True


KINDS = {
    "attack": Deletable("attack", get_attack, delete_attack, _attack_words, "diary.attacks"),
    "checkin": Deletable(
        "check-in", _own(CheckIn, "check-in"), delete_checkin,
        lambda c, _z: (f"{'No headache' if c.headache_free else 'Check-in'} on "
                       f"{day_label(c.day)}{': ' + c.note if c.note else ''}"),
        "diary.checkins"),
    "course": Deletable("treatment course", get_course, delete_course, _course_words,
                        "diary.courses"),
    # The locations page posts its delete directly (no undo: its page is not ours to change).
    "location": Deletable(
        "location", _own(LocationPeriod, "location period"), delete_location_period,
        lambda p, _z: f"{p.label or 'Location'} from {day_label(p.starts_on)} ({p.timezone})",
        "diary.locations", undo=False),
}
_BACK = {spec.back for spec in KINDS.values()}


def confirm_or_delete(kind: str, row_id: int) -> ResponseReturnValue:
    """GET: ask "Delete this ...?"; POST: delete, then offer Undo (or go back to the list)."""
    spec = KINDS[kind]
    session = db_session()
    patient = me()
    zone = ZoneInfo(patient.profile.timezone)
    row = spec.get(session, patient, row_id)  # someone else's: NotFoundError -> 404
    words = spec.describe(row, zone)
    if request.method == "GET":
        return render_template("confirm_delete.html", spec=spec, words=words,
                               minutes=UNDO_MINUTES)
    token = undo_token(patient, row) if spec.undo else None
    try:
        spec.remove(session, patient, row_id)
        session.commit()
    except TrackerError as exc:
        session.rollback()
        flash(f"Not deleted: {exc.message}.")
        return redirect(url_for(spec.back))
    if token is None:
        flash(f"{spec.name.capitalize()} deleted.")
        return redirect(url_for(spec.back))
    # The answer to the POST carries the Undo form (never a cookie or a URL), as a new share
    # code is shown in the answer to the POST that made it.
    return render_template("deleted.html", spec=spec, words=words, token=token,
                           minutes=UNDO_MINUTES)


def restore_view() -> ResponseReturnValue:
    """Restore the entry deleted on the previous page (signed token, UNDO_MINUTES)."""
    session = db_session()
    back = request.form.get("back", "")
    back = back if back in _BACK else "diary.attacks"
    try:
        what = restore(session, me(), request.form.get("token", ""))
        session.commit()
    except TrackerError as exc:
        session.rollback()
        flash(f"Not restored: {exc.message}.")
        return redirect(url_for(back))
    flash(f"{what.capitalize()} restored.")
    return redirect(url_for(back))


def register(bp: Blueprint) -> None:
    """Add the delete (confirm and delete) and restore routes to the diary blueprint."""
    patient_only = role_required("patient")
    methods = ["GET", "POST"]
    for url, endpoint, kind, arg in (
        ("/attacks/<id:attack_id>/delete", "delete", "attack", "attack_id"),
        ("/checkins/<id:checkin_id>/delete", "checkin_delete", "checkin", "checkin_id"),
        ("/courses/<id:course_id>/delete", "course_delete", "course", "course_id"),
        ("/locations/<id:period_id>/delete", "location_delete", "location", "period_id"),
    ):
        view = _view(kind, arg)
        view.__name__ = endpoint
        bp.add_url_rule(url, endpoint, patient_only(view), methods=methods)
    bp.add_url_rule("/restore", "restore", patient_only(restore_view), methods=["POST"])


def _view(kind: str, arg: str) -> Callable[..., ResponseReturnValue]:
    def view(**kwargs: int) -> ResponseReturnValue:
        return confirm_or_delete(kind, kwargs[arg])

    view.__doc__ = f"Ask before deleting one of the patient's {KINDS[kind].name}s, then delete."
    return view
