"""CSV helpers: formula escaping that a spreadsheet respects and an import can undo.

Two rules protect a spreadsheet that opens an export:

- **Quoting.** Every cell that contains the delimiter, a double quote or any line break
  (``\\r``, ``\\n`` and the other characters :meth:`str.splitlines` breaks at) is quoted, so
  no reader that honours quotes starts a new record inside a cell. (Python's csv writer with
  ``lineterminator="\\n"`` leaves a lone ``\\r`` unquoted; :func:`write_csv` does not.)
- **Formula guard.** A text cell whose text, or whose text after any line break inside it,
  starts with a character a spreadsheet would run (``=``, ``+``, ``-``, ``@``, tab, carriage
  return) or with ``'`` gets a ``'`` in front of that text; after a line break, text that
  starts with ``"`` is guarded too. :func:`unescape_cell` removes exactly these, so every
  export reads back unchanged.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: A cell starting with one of these would run as a formula in a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "'")
#: Line breaks: those of str.splitlines (\r\n counts as one). A physical line may start after any.
LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
#: A cell containing one of these is quoted.
_NEEDS_QUOTES = re.compile(r'[",\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]')
#: A line break followed by text that must be guarded (also a quote: a reader that splits
#: records at every break would read ``""=...`` there as a cell that starts with ``=``).
_GUARD_AFTER_BREAK = re.compile(rf"({LINE_BREAK.pattern})(?=[=+\-@\t'\"])")
#: A line break followed by the guard.
_UNGUARD_AFTER_BREAK = re.compile(f"({LINE_BREAK.pattern})'")


def cell_text(value: Any) -> str:
    """Return a value as the text of a CSV cell, before the formula guard."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def guard_text(text: str) -> str:
    """Put ' before the text and before the text after each line break that could run."""
    text = _GUARD_AFTER_BREAK.sub(r"\1'", text)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def escape_cell(value: Any) -> str:
    """Return the cell text, guarded with ' wherever a spreadsheet could read a formula."""
    if value is None or isinstance(value, bool | int | float):
        return cell_text(value)
    return guard_text(cell_text(value))


def unescape_cell(text: str) -> str:
    """Undo :func:`escape_cell` for a text cell (the guard at the start and after breaks)."""
    if "'" not in text:
        return text
    text = text[1:] if text.startswith("'") else text
    return _UNGUARD_AFTER_BREAK.sub(r"\1", text)


def quote_cell(text: str) -> str:
    """Return the cell as CSV: quoted (quotes doubled) when it holds a comma, quote or break."""
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def format_row(cells: Iterable[str]) -> str:
    """Return one CSV record (already escaped cells) ending in \\n."""
    line = ",".join(quote_cell(c) for c in cells)
    return (line or '""') + "\n"  # one empty cell is not a blank line (as csv.writer does)


def write_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """Return CSV text with a header, formula-guarded cells and quoting of every break."""
    out = io.StringIO()
    out.write(format_row(columns))
    for row in rows:
        out.write(format_row([escape_cell(row.get(c)) for c in columns]))
    return out.getvalue()


class NotTextError(ValueError):
    """The bytes of a file are not text this service reads; ``line`` is where that shows."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


#: Byte-order marks that name an encoding, longest first (UTF-32's starts like UTF-16's).
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32", "UTF-32 (byte-order mark)"),
    (b"\x00\x00\xfe\xff", "utf-32", "UTF-32 (byte-order mark)"),
    (b"\xef\xbb\xbf", "utf-8-sig", "UTF-8 with a byte-order mark"),
    (b"\xff\xfe", "utf-16", "UTF-16 (byte-order mark)"),
    (b"\xfe\xff", "utf-16", "UTF-16 (byte-order mark)"),
)


def _line_of(text: str, index: int) -> int:
    """Return the 1-based line (universal line breaks) of ``text[index]``."""
    head = text[:index]
    return head.count("\n") + head.count("\r") - head.count("\r\n") + 1


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a CSV file's bytes; return (text, how it was read) or raise NotTextError.

    UTF-8 with or without a byte-order mark, and UTF-16 or UTF-32 with a byte-order mark,
    are read; anything else (Latin-1, UTF-16 without a mark, binary files) is refused with
    the line where it shows. Line breaks are kept as they are (no newline translation).
    """
    codec, label = "utf-8", "UTF-8"
    for bom, bom_codec, bom_label in _BOMS:
        if data.startswith(bom):
            codec, label = bom_codec, bom_label
            break
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        head = data[: exc.start].decode(codec, errors="replace")
        line = _line_of(head, len(head))
        byte = data[exc.start : exc.start + 1].hex().upper()
        raise NotTextError(
            line,
            f"the file is not {label} text (byte 0x{byte} cannot be read); "
            "save it as UTF-8 and import it again",
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise NotTextError(
            _line_of(text, nul),
            "the file contains NUL characters, so it is not a text file "
            "(or it is UTF-16 without a byte-order mark); save it as UTF-8 and import it again",
        )
    return text.removeprefix("\ufeff"), label
