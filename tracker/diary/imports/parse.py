"""Reading a file into an ImportPlan: decoding, the format (given or detected), the parser.

Nothing here touches the database: :func:`parse_import` is pure, so a preview can be built
and shown before anything is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from tracker.clock import utcnow
from tracker.diary.attacks_csv import CSVImportError, LineError, decode_attacks_file
from tracker.diary.imports.detect import detect_format
from tracker.diary.imports.ours import parse_ours
from tracker.diary.imports.plan import FORMATS, ImportPlan
from tracker.diary.validation import check_timezone
from weather.grid import DEFAULT_GRID_DEGREES

#: What ``format`` may be: a format of FORMATS, or ``auto`` (detected from the header).
FORMAT_CHOICES = ("auto", *FORMATS)

#: Finds the IANA timezone at a point (e.g. ``tracker.places.zone_at_coordinates``).
ZoneAt = Callable[[float, float], str | None]


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file: the format, the timezone, the column mapping, the weather grid.

    ``timezone`` None means the patient's. ``mapping`` is required for ``mapped`` (a
    :class:`tracker.diary.imports.mapped.ColumnMapping`). ``grid_degrees`` rounds proposed
    places (use the ``[weather] grid_degrees`` setting). JSON round trip: :meth:`to_dict`,
    :meth:`from_dict` (to keep a preview's choices server side).
    """

    format: str = "auto"
    timezone: str | None = None
    mapping: Any = None
    grid_degrees: float = DEFAULT_GRID_DEGREES

    def __post_init__(self) -> None:
        if self.format not in FORMAT_CHOICES:
            raise CSVImportError([LineError(1, "format", f"{self.format!r} is not one of "
                                                         f"{', '.join(FORMAT_CHOICES)}")])
        if self.timezone is not None:
            check_timezone(self.timezone)

    def to_dict(self) -> dict[str, Any]:
        """Return the options as JSON-ready values."""
        data = asdict(self)
        data["mapping"] = self.mapping.to_dict() if self.mapping is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportOptions:
        """Rebuild options from :meth:`to_dict`'s values."""
        from tracker.diary.imports.mapped import ColumnMapping

        mapping = data.get("mapping")
        return cls(format=data.get("format", "auto"), timezone=data.get("timezone"),
                   mapping=ColumnMapping.from_dict(mapping) if mapping else None,
                   grid_degrees=float(data.get("grid_degrees", DEFAULT_GRID_DEGREES)))


def decode_import(data: str | bytes) -> tuple[str, str]:
    """Return (text, how it was read) of an uploaded file, or raise CSVImportError.

    The encodings of docs/data-formats.md (UTF-8, UTF-16/32 with a byte-order mark).
    """
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), "UTF-8"
    return decode_attacks_file(data)


def parse_import(
    data: str | bytes, timezone: str, options: ImportOptions | None = None,
    now: datetime | None = None, zone_at: ZoneAt | None = None,
) -> ImportPlan:
    """Read a file into a plan (never writes); ``timezone`` is used where the file has none.

    Raises CSVImportError only when the file cannot be read at all: not text we read, or
    (format ``auto``) a header that matches no format (:class:`UnknownFormatError`, which
    lists the known formats and suggests the mapping). Everything else, line by line, is in
    the plan's ``problems``.
    """
    options = options or ImportOptions()
    check_timezone(timezone)
    now = now or utcnow()
    text, encoding = decode_import(data)
    detected = options.format == "auto"
    fmt = detect_format(text) if detected else options.format
    if fmt == "ours":
        return parse_ours(text, timezone, now, encoding=encoding, detected=detected)
    if fmt == "migraine-buddy":
        from tracker.diary.imports.migraine_buddy import parse_migraine_buddy

        return parse_migraine_buddy(text, timezone, now, encoding=encoding,
                                    grid_degrees=options.grid_degrees, zone_at=zone_at)
    from tracker.diary.imports.mapped import parse_mapped

    if options.mapping is None:
        raise CSVImportError([LineError(1, "mapping", "the mapped format needs a column "
                                                      "mapping (at least the start column)")])
    return parse_mapped(text, timezone, options.mapping, now, encoding=encoding)
