"""Account pages for every role: change the password, personal access tokens for the API."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user

from tracker.accounts.sessions import end_all, find_session
from tracker.accounts.tokens import create_token, list_tokens, revoke_token
from tracker.accounts.users import change_password
from tracker.errors import TrackerError
from web.access import me
from web.db import db_session
from web.forms import ActionForm, ChangePasswordForm, TokenForm, add_error
from web.security import start_session

bp = Blueprint("account", __name__)


def _remembered() -> bool:
    """Whether this browser's session was started with "keep me logged in"."""
    row = find_session(db_session(), current_user.get_id())
    return bool(row and row.remember)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    """Change the password: every session ends and every API token is revoked.

    This browser stays logged in, with a new session.
    """
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        session = db_session()
        remember = _remembered()
        try:
            change_password(session, me(), form.current_password.data or "",
                            form.new_password.data or "")
        except TrackerError as exc:
            session.rollback()
            field = "new_password" if exc.field == "password" else exc.field
            add_error(form, field, exc.message, "current_password")
            status = 400
        else:
            start_session(me(), remember=remember)  # commits the change with the new session
            flash("Password changed. Other browsers are logged out and your API tokens are "
                  "revoked.")
            return redirect(url_for("pages.index"))
    elif form.is_submitted():
        status = 400
    return render_template("password.html", form=form), status


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere() -> ResponseReturnValue:
    """End every session of the account, this browser's included (API tokens stay)."""
    session = db_session()
    end_all(session, me())
    session.commit()
    logout_user()
    flash("You are logged out on every device.")
    return redirect(url_for("auth.login"))


def _tokens_page(raw: str | None = None, form: TokenForm | None = None,
                 status: int = 200) -> ResponseReturnValue:
    """The token list (times in a patient's own timezone), a new token shown once."""
    user = me()
    zone = ZoneInfo(user.profile.timezone) if user.profile is not None else UTC
    return render_template("tokens.html", tokens=list_tokens(db_session(), user), raw=raw,
                           form=form or TokenForm(formdata=None), action=ActionForm(),
                           zone=zone, zone_name=getattr(zone, "key", "UTC")), status


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> ResponseReturnValue:
    """List personal access tokens for the API and create one (shown once)."""
    form = TokenForm()
    if form.validate_on_submit():
        session = db_session()
        try:
            raw, _ = create_token(session, me(), form.name.data or "")
        except TrackerError as exc:
            session.rollback()
            add_error(form, exc.field, exc.message, "name")
            return _tokens_page(form=form, status=400)
        session.commit()
        return _tokens_page(raw=raw, status=201)
    if form.is_submitted():
        return _tokens_page(form=form, status=400)
    return _tokens_page()


@bp.route("/tokens/<id:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke a personal access token; it stops working at once."""
    session = db_session()
    revoke_token(session, me(), token_id)  # someone else's: NotFoundError -> 404
    session.commit()
    flash("Token revoked.")
    return redirect(url_for("account.tokens"))
