"""The one way a CSV export leaves the app: file name, type and caching headers."""

from __future__ import annotations

from flask import Response

from tracker.reports.access import ExportFile
from web.security import NO_STORE


def csv_download(export: ExportFile) -> Response:
    """Answer with ``export`` as an attachment, never stored by a browser or a shared cache."""
    return Response(export.text, mimetype=export.mimetype, headers={
        "Content-Disposition": f'attachment; filename="{export.filename}"',
        "Cache-Control": NO_STORE,
    })
