"""Log in, log out, register."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, logout_user

from tracker.accounts.sessions import end_session
from tracker.accounts.users import authenticate, normalise_email, register_patient
from tracker.diary.validation import check_timezone
from tracker.errors import AuthenticationError, TrackerError
from web.db import db_session, settings
from web.forms import LoginForm, RegisterForm
from web.security import start_session

bp = Blueprint("auth", __name__)

#: Characters a browser drops anywhere in a URL (WHATWG URL parser).
_DROPPED = re.compile(r"[\t\n\r]")
#: Characters a browser strips from both ends of a URL: C0 controls and space.
_EDGES = "".join(chr(c) for c in range(0x21))
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

#: The one answer to a registration, whether or not the email had an account already.
REGISTERED = ("Thank you. If this email address had no account, it has one now: log in "
              "with it and your password. If it had one already, nothing was changed.")


def _normalise(target: str) -> str:
    """What a browser makes of a URL: tabs and line breaks dropped, controls and spaces
    stripped at the ends, backslashes read as slashes."""
    return _DROPPED.sub("", target).strip(_EDGES).replace("\\", "/")


def _is_local_path(cleaned: str) -> bool:
    """Whether ``cleaned`` is a path starting with one ``/``: no scheme, host or controls."""
    if not cleaned.startswith("/") or cleaned.startswith("//") or _CONTROL.search(cleaned):
        return False
    parts = urlsplit(cleaned)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None) -> str:
    """Return ``target`` (as a browser reads it) if it is a path on this site, else ``/``.

    The percent-decoded form must pass too, so that an encoded ``%09`` or ``%5C`` cannot
    turn into a host if anything decodes it once more.
    """
    home = url_for("pages.index")
    if not target:
        return home
    cleaned = _normalise(target)
    if not (_is_local_path(cleaned) and _is_local_path(_normalise(unquote(cleaned)))):
        return home
    return cleaned


def keeps_login(user, ticked: bool) -> bool:
    """Whether this login stays ("keep me logged in"): as ticked for a patient; for
    clinician and admin accounts only where the operator allows it (``[web] remember_staff``),
    since the box is ticked by default and they often use shared computers."""
    return ticked and (user.role == "patient" or settings().web.remember_staff)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the login form ("keep me logged in" ticked by default) and log a user in."""
    form = LoginForm(remember=True)  # a posted form without the box means unticked
    if form.validate_on_submit():
        session = db_session()
        web = settings().web
        try:
            user = authenticate(
                session, form.email.data or "", form.password.data or "",
                max_failures=web.login_max_failures, lockout_minutes=web.login_lockout_minutes,
            )
        except AuthenticationError as exc:
            session.commit()  # keep the failure count
            form.password.errors.append(exc.message)
            return _login_page(form), 401
        start_session(user, remember=keeps_login(user, bool(form.remember.data)))
        return redirect(safe_next(request.args.get("next")))
    return _login_page(form)


def _login_page(form: LoginForm) -> str:
    web = settings().web
    return render_template("login.html", form=form, remember_days=web.remember_idle_days,
                           remember_staff=web.remember_staff)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Log out and end the server-side session, so a copy of the cookie stops working too.

    A POST with the CSRF token, so a link elsewhere cannot log you out.
    """
    if current_user.is_authenticated:
        session = db_session()
        end_session(session, current_user.get_id())
        session.commit()
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


def _domain_errors(form: RegisterForm) -> bool:
    """Add the domain's refusals of the email and timezone to the form, beside the form's
    own errors, so every problem shows at once; return whether any field has an error.

    Neither check looks at stored accounts, so a taken email is not revealed here.
    """
    checks = ((form.email, normalise_email), (form.timezone, check_timezone))
    for field, check in checks:
        if field.errors or not field.data:
            continue
        try:
            check((field.data or "").strip())
        except TrackerError as exc:
            field.errors = [*field.errors, exc.message]
    return any(f.errors for f in form)


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Create a patient account.

    A new email and one that has an account already get the same answer (a redirect to the
    login page with the same message), so the form cannot be used to find out who has an
    account; the new user then logs in. A refused form shows every field's error at once and
    keeps what was typed, except the password.
    """
    form = RegisterForm()
    if not form.is_submitted():
        return render_template("register.html", form=form)
    form.validate()
    if _domain_errors(form):
        return render_template("register.html", form=form), 400
    session = db_session()
    try:
        register_patient(
            session, email=form.email.data, password=form.password.data,
            name=form.name.data or "", timezone=(form.timezone.data or "").strip(),
            latitude=form.latitude.data, longitude=form.longitude.data,
        )
    except TrackerError as exc:
        session.rollback()
        getattr(form, exc.field or "email", form.email).errors.append(exc.message)
        return render_template("register.html", form=form), 400
    session.commit()
    flash(REGISTERED)
    return redirect(url_for("auth.login"))
