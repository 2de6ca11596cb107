"""'Forgot password?': a reset link by e-mail, then a new password.

The request page gives one answer whether or not the address has an account, and the
message is sent from a background thread, so neither the words nor the time of the answer
tell who has an account. Requests are limited per e-mail address and per client address
(``[mail] reset_requests_per_email`` / ``_per_address`` an hour, HTTP 429 beyond). The link
works once and expires; using it is an ordinary password change (tokens revoked, sessions
ended, audited), after which the user logs in.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import quote

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from tracker.accounts.reset import check_reset_token, request_reset, reset_password
from tracker.accounts.throttle import ThrottledError, check_attempts
from tracker.errors import TrackerError
from tracker.mail import MailSettings, build_message, send
from tracker.mail_text import RESET_PATH
from tracker.mail_text import password_reset as reset_message
from web.db import db_session, settings

bp = Blueprint("password_reset", __name__)
log = logging.getLogger("migraine_weather.mail")

#: The one answer to a request, whether or not the address has an account.
SENT = ("If an account uses this e-mail address, a link to choose a new password is on its "
        "way. It works once, for {minutes} minutes. Nothing arrived? Check the spam folder, "
        "or ask again in a few minutes.")
#: Where no [mail] is configured.
UNAVAILABLE = ("Password reset by e-mail is not available on this installation. Ask its "
               "operator to reset your password.")


class ForgotForm(FlaskForm):
    """The e-mail address of the account."""

    email = EmailField("Email", validators=[DataRequired()])


class ResetForm(FlaskForm):
    """The new password."""

    new_password = PasswordField("New password (at least 8 characters)",
                                 validators=[DataRequired()])


def _deliver(mail: MailSettings, message: EmailMessage) -> None:
    """Send in the background; a failure is logged (the page has answered already)."""
    try:
        send(mail, message)
    except Exception as exc:  # the SMTP server is down or refused it
        log.warning("event=reset_mail_failed error=%r", f"{type(exc).__name__}: {exc}")


def _send_link(mail: MailSettings, email: str) -> None:
    """Make a link for the account with ``email`` (if any) and send it from a thread."""
    session = db_session()
    found = request_reset(session, email, valid_for=timedelta(minutes=mail.reset_link_minutes))
    session.commit()
    if found is None:
        return
    user, raw = found
    url = mail.link(f"{RESET_PATH}?token={quote(raw)}")
    content = reset_message(mail, user.name, url, mail.reset_link_minutes)
    message = build_message(mail, user.email, content)
    threading.Thread(target=_deliver, args=(mail, message), name="reset-mail",
                     daemon=True).start()


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot() -> ResponseReturnValue:
    """Ask for a reset link by e-mail."""
    mail = settings().mail
    if not mail.enabled:
        return render_template("forgot_password.html", form=None, unavailable=UNAVAILABLE)
    form = ForgotForm()
    if not form.validate_on_submit():
        return render_template("forgot_password.html", form=form), \
            400 if form.is_submitted() else 200
    email = (form.email.data or "").strip().lower()[:254]
    session = db_session()
    try:
        check_attempts(session, [
            ("reset-email", email, mail.reset_requests_per_email),
            ("reset-address", request.remote_addr or "", mail.reset_requests_per_address),
        ])
    except ThrottledError as exc:
        session.commit()  # keep the counts
        form.email.errors.append(exc.message)
        return render_template("forgot_password.html", form=form), 429
    session.commit()
    _send_link(mail, email)
    flash(SENT.format(minutes=mail.reset_link_minutes))
    return redirect(url_for("auth.login"))


@bp.route(RESET_PATH, methods=["GET", "POST"])
def reset() -> ResponseReturnValue:
    """Choose a new password with the link's token (in the query string)."""
    token = request.args.get("token", "")
    session = db_session()
    if not check_reset_token(session, token):
        return render_template("reset_password.html", form=None), 400
    form = ResetForm()
    if form.validate_on_submit():
        try:
            reset_password(session, token, form.new_password.data or "")
        except TrackerError as exc:
            session.rollback()
            if exc.field == "token":
                return render_template("reset_password.html", form=None), 400
            form.new_password.errors.append(exc.message)
            return render_template("reset_password.html", form=form), 400
        session.commit()
        flash("Your password is changed, every device is logged out and your API tokens are "
              "revoked. Log in with the new password.")
        return redirect(url_for("auth.login"))
    return render_template("reset_password.html", form=form), \
        400 if form.is_submitted() else 200
