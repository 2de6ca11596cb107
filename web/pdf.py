"""The report as a PDF, rendered on the server by headless Chromium (issue #16, point 7).

Why a Chromium subprocess rather than a Python PDF library: the report's charts are drawn by
Vega in the browser, and its print CSS is already tuned for A4 and Letter; the same Chromium
that runs the browser tests prints exactly what the "Print" button prints, and it adds no
heavy Python dependency (WeasyPrint would not run the chart JavaScript at all).

The report page is rendered as for the browser (same access check and audit entry, detail
``pdf``), written to a temporary folder with its stylesheets, scripts and chart bundle as local
files, and printed with ``--print-to-pdf`` after a virtual time budget that lets the charts
draw. Chromium gets no network (every host name resolves to nothing) and a timeout. When the
configured Chromium is missing, the report page offers the browser's own print instead and
says so; this route then sends the person back there with the same sentence.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from tracker.accounts.sharing import require_view
from tracker.diary.clinical_terms import DRUG_CLASS_LABELS
from web.access import me, role_required
from web.dashboard import bundle_text, report_page
from web.db import db_session, settings
from web.security import NO_STORE

bp = Blueprint("pdf", __name__)

#: What the report page says instead of offering the PDF when Chromium is missing.
NO_PDF = ("A PDF cannot be made on this server: use Print and choose Save as PDF in the "
          "print dialog.")
#: Paper sizes the route accepts (``?paper=``): the printed page's CSS size.
PAPERS = {"a4": "A4", "letter": "letter"}
#: Milliseconds of page time Chromium lets scripts run before printing (the charts draw).
CHART_BUDGET_MS = 15_000
#: Chromium processes one app process runs at once (each takes a core and ~200 MB for seconds).
MAX_RENDERS = 2
_renders = threading.BoundedSemaphore(MAX_RENDERS)


class PdfError(RuntimeError):
    """Chromium could not print the page (it failed, or took longer than the timeout)."""


def chromium() -> str | None:
    """The configured Chromium when it exists and can be run, else None."""
    path = settings().web.chromium_path
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None


@bp.app_context_processor
def _pdf_helpers() -> dict[str, object]:
    """``pdf_available()``, the fallback sentence and the drug class labels (report page)."""
    return {"pdf_available": lambda: chromium() is not None, "no_pdf_text": NO_PDF,
            "drug_class_labels": DRUG_CLASS_LABELS}


def local_page(html: str, folder: Path, paper: str) -> Path:
    """Write ``html`` to ``folder`` with its static files and chart bundle as file URLs."""
    bundle = folder / "vega.js"
    bundle.write_text(bundle_text(), encoding="utf-8")
    root = re.escape(request.script_root)
    static = Path(current_app.static_folder or "").resolve().as_uri()
    html = re.sub(rf'(href|src)="{root}/static/', rf'\1="{static}/', html)
    html = re.sub(rf'src="{root}/assets/vega-[0-9a-f]+\.js"', f'src="{bundle.as_uri()}"', html)
    # the page size for this print only (a file has no Content-Security-Policy)
    html = html.replace("</head>", f"<style>@page {{ size: {paper}; }}</style></head>", 1)
    page = folder / "report.html"
    page.write_text(html, encoding="utf-8")
    return page


def print_to_pdf(page: Path, out: Path, binary: str, timeout: float) -> bytes:
    """Print a local page with headless Chromium and return the PDF (PdfError otherwise)."""
    command = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND",
        "--allow-file-access-from-files", "--window-size=680,1000", "--no-pdf-header-footer",
        f"--user-data-dir={out.parent / 'profile'}",
        f"--virtual-time-budget={CHART_BUDGET_MS}", f"--print-to-pdf={out}", page.as_uri(),
    ]
    # a session of its own, so that a timeout ends Chromium's helper processes too
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          start_new_session=True) as proc:
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise PdfError(f"Chromium took longer than {timeout:g} s") from exc
    if not out.exists() or out.stat().st_size == 0:
        raise PdfError(f"Chromium did not print (exit {proc.returncode}): "
                       f"{err.decode(errors='replace')[-500:]}")
    return out.read_bytes()


def _render(html: str, paper: str, binary: str, timeout: float) -> bytes:
    """Print ``html`` in a temporary folder, at most MAX_RENDERS at once (PdfError when no
    turn comes within ``timeout``)."""
    if not _renders.acquire(timeout=timeout):
        raise PdfError(f"{MAX_RENDERS} PDFs were being made for {timeout:g} s")
    try:
        with tempfile.TemporaryDirectory(prefix="mw-pdf-") as tmp:
            folder = Path(tmp)
            return print_to_pdf(local_page(html, folder, paper), folder / "report.pdf",
                                binary, timeout)
    finally:
        _renders.release()


@bp.route("/patients/<id:patient_id>/report.pdf")
@role_required("clinician", "patient")
def report_pdf(patient_id: int) -> ResponseReturnValue:
    """The report page as a PDF download (``?paper=letter`` for US Letter; A4 otherwise)."""
    require_view(db_session(), me(), patient_id)  # 404 first, whether or not PDFs can be made
    binary = chromium()
    if binary is None:
        flash(NO_PDF)
        return redirect(url_for("dashboard.patient_report_page", patient_id=patient_id))
    html = report_page(patient_id, "pdf", pdf=True)  # the access check and the audit entry
    paper = PAPERS.get(request.args.get("paper", "a4"), "A4")
    timeout = settings().web.pdf_timeout_seconds
    try:
        pdf = _render(html, paper, binary, timeout)
    except PdfError as exc:
        current_app.logger.warning("report PDF for patient %s failed: %s", patient_id, exc)
        flash(NO_PDF)
        return redirect(url_for("dashboard.patient_report_page", patient_id=patient_id))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="migraine-weather-report-{patient_id}.pdf"',
        "Cache-Control": NO_STORE,
    })
