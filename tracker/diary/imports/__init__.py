"""Importing a past diary from a file: ours, Migraine Buddy's export, or any CSV via a mapping.

Two steps, so a person can see what will happen before anything is stored:

1. **Plan** (never writes): :func:`plan_import` (or the database-free :func:`parse_import`)
   decodes the file, detects or takes its format, parses every line and returns an
   :class:`ImportPlan`: the attacks (instants in UTC, the zone used), every problem with
   its line number and column, the duplicates of stored attacks that will be skipped, the
   date range, the timezone, and proposed location periods. A file that cannot be read at
   all raises :class:`~tracker.diary.attacks_csv.CSVImportError` (an unknown layout raises
   its subclass :class:`UnknownFormatError`, naming the known formats and the mapping).
2. **Apply**: :func:`apply_plan` locks the patient's diary, compares the plan with the diary
   again, and stores every new attack (and the places the person confirmed), or raises and
   stores nothing.

For the mapping step of another app's file: :func:`read_columns` (header and first rows),
:func:`suggest_mapping`, :data:`DATE_FORMATS`, :func:`guess_date_formats` and
:class:`ColumnMapping` (passed in :class:`ImportOptions`). The formats are documented in
docs/data-formats.md.
"""

from tracker.diary.attacks_csv import CSVImportError, LineError
from tracker.diary.imports.apply import LOCATION_LABEL, ImportResult, apply_plan
from tracker.diary.imports.date_formats import DATE_FORMATS, guess_date_formats
from tracker.diary.imports.detect import UnknownFormatError, detect_format
from tracker.diary.imports.mapped import ColumnMapping, read_columns, suggest_mapping
from tracker.diary.imports.parse import (
    FORMAT_CHOICES,
    ImportOptions,
    decode_import,
    parse_import,
)
from tracker.diary.imports.plan import (
    FORMAT_LABELS,
    FORMATS,
    ImportPlan,
    PlannedAttack,
    Problem,
    ProposedLocation,
)
from tracker.diary.imports.stored import check_against_stored, plan_import

__all__ = [
    "DATE_FORMATS", "ColumnMapping", "guess_date_formats", "read_columns", "suggest_mapping",
    "FORMATS", "FORMAT_CHOICES", "FORMAT_LABELS", "LOCATION_LABEL", "CSVImportError",
    "ImportOptions", "ImportPlan", "ImportResult", "LineError", "PlannedAttack", "Problem",
    "ProposedLocation", "UnknownFormatError", "apply_plan", "check_against_stored",
    "decode_import", "detect_format", "parse_import", "plan_import",
]
