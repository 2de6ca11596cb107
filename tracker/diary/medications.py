"""A patient's acute medication list, attack medications and free-text aliases (issue #16).

Functions flush, never commit: the caller (a request or a job) owns the transaction.
"""

from __future__ import annotations


def alias_key(text: str) -> str:
    """The form a free-text medication is matched in: spaces collapsed, case folded."""
    return " ".join(text.split()).casefold()
