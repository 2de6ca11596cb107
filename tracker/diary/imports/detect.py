"""Which format a file is in, from its header (the first non-blank record)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import islice

from tracker.diary.attacks_csv import COLUMNS, CSVImportError, LineError
from tracker.diary.imports.plan import FORMAT_LABELS

#: Migraine Buddy's attack table starts with these header cells.
MB_ATTACK_HEADER_START = ("#", "Started")
#: Migraine Buddy's table of ongoing attacks, which comes first when there is one.
MB_ONGOING_HEADER = ("Date", "Time Period", "Description", "Notes")

#: The hint every refusal of an unknown layout ends with.
MAPPING_HINT = ('if the file comes from another app, choose its columns with the mapping '
                '(format "mapped": a start column, a date format and a timezone)')


class UnknownFormatError(CSVImportError):
    """The header matches no format we read; ``columns`` are the file's header cells."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        shown = ", ".join(columns) if columns else "none"
        message = (
            f"the columns ({shown}) match no format we know: "
            f"{FORMAT_LABELS['ours']} ({', '.join(COLUMNS)}) or "
            f"{FORMAT_LABELS['migraine-buddy']} ({', '.join(MB_ATTACK_HEADER_START)}, "
            f"Lasted, ...); {MAPPING_HINT}"
        )
        super().__init__([LineError(1, None, message)])


def csv_records(text: str, problems: list[LineError]) -> Iterator[tuple[int, list[str]]]:
    """Yield (last physical line, cells) of each record; a CSV syntax error ends the file."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(LineError(reader.line_num, None, f"not readable as CSV ({exc})"))
            return
        yield reader.line_num, row


def first_record(text: str) -> list[str]:
    """Return the first non-blank CSV record, its cells stripped ([] for an empty file)."""
    for _, row in islice(csv_records(text, []), 50):
        cells = [c.strip() for c in row]
        if any(cells):
            return cells
    return []


def is_mb_attack_header(cells: list[str]) -> bool:
    """Whether a record is the header of Migraine Buddy's attack table."""
    return tuple(cells[: len(MB_ATTACK_HEADER_START)]) == MB_ATTACK_HEADER_START


def is_mb_ongoing_header(cells: list[str]) -> bool:
    """Whether a record is the header of Migraine Buddy's table of ongoing attacks."""
    return tuple(cells[: len(MB_ONGOING_HEADER)]) == MB_ONGOING_HEADER


def detect_format(text: str) -> str:
    """Return ``ours`` or ``migraine-buddy`` from the header, or raise UnknownFormatError.

    Migraine Buddy: the first record is its ongoing-attacks header or its attack-table
    header. Ours: the header names at least one of our columns (our own header check then
    says what is missing or unknown). ``mapped`` is never guessed.
    """
    header = first_record(text)
    if is_mb_ongoing_header(header) or is_mb_attack_header(header):
        return "migraine-buddy"
    if any(cell in COLUMNS for cell in header):
        return "ours"
    raise UnknownFormatError(header)
