"""The landing page and static information pages."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from web.access import me

bp = Blueprint("pages", __name__)


@bp.route("/")
def index():
    """Send each user to their landing page (patients: the dashboard; clinicians: patients)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    role = me().role
    if role == "patient":
        return redirect(url_for("dashboard.patient_dashboard"))
    if role == "clinician":
        return redirect(url_for("sharing.patients"))
    return render_template("admin.html")


@bp.route("/about")
def about():
    """What the product is, and that it is not medical advice."""
    return render_template("about.html")
