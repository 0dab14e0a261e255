"""Characters that must never enter stored text or a document.

XML 1.0 (and so .docx and .xlsx) forbids the C0 control characters except tab,
line feed and carriage return, the non-characters U+FFFE and U+FFFF and lone
surrogates; PostgreSQL refuses NUL in a text value. A name pasted from another
program can carry one (ESC, a vertical tab from Word, NUL from a broken export):
imports strip them (:func:`strip_control`), web input refuses them, and the
document writers strip them once more for text stored before.
"""

from __future__ import annotations

import re

#: The refused characters as a regex class body that Python's ``re`` and the Rust
#: ``regex`` crate (polars) read alike; :data:`CONTROL` adds lone surrogates,
#: which only a Python ``str`` can hold.
CONTROL_CLASS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\ufffe\uffff"
CONTROL = re.compile(f"[{CONTROL_CLASS}\ud800-\udfff]")


def has_control(text: str) -> bool:
    """Whether ``text`` holds a character that XML or PostgreSQL refuses."""
    return CONTROL.search(text) is not None


def strip_control(text: str) -> str:
    """``text`` without those characters (tab, line feed and carriage return stay)."""
    return CONTROL.sub("", text)
