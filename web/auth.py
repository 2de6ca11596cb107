"""Log in, log out, register."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from web.db import db_session, settings
from web.forms import LoginForm, RegisterForm
from web.security import CurrentUser

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("pages.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log a user in."""
    from tracker.accounts import authenticate
    from tracker.errors import AuthenticationError

    form = LoginForm()
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
            return render_template("login.html", form=form), 401
        session.commit()
        login_user(CurrentUser(user))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (a POST with the CSRF token, so a link elsewhere cannot log you out)."""
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create a patient account."""
    from tracker.accounts import create_user
    from tracker.errors import TrackerError

    form = RegisterForm()
    if form.validate_on_submit():
        session = db_session()
        try:
            user = create_user(
                session, email=form.email.data, password=form.password.data, role="patient",
                name=form.name.data or "", timezone=(form.timezone.data or "").strip(),
                latitude=form.latitude.data, longitude=form.longitude.data,
            )
        except TrackerError as exc:
            session.rollback()
            getattr(form, exc.field or "email", form.email).errors.append(exc.message)
            return render_template("register.html", form=form), 400
        session.commit()
        login_user(CurrentUser(user))
        return redirect(url_for("pages.index"))
    return render_template("register.html", form=form)
