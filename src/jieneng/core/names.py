"""Institution names compared for near-duplicates.

References
----------
- Unicode Standard Annex #15 (NFKC compatibility folding: full-width → ASCII).
- GB/T 15834-2011 《标点符号用法》 (full-width and half-width bracket forms).
"""

from __future__ import annotations

import unicodedata

_BRACKETS = str.maketrans(
    {
        "（": "(",
        "）": ")",
        "[": "(",
        "]": ")",
        "【": "(",
        "】": ")",
        "〔": "(",
        "〕": ")",
        "［": "(",
        "］": ")",
        "｛": "(",
        "｝": ")",
        "{": "(",
        "}": ")",
        "〖": "(",
        "〗": ")",
    }
)


def name_key(name: str) -> str:
    """Key under which two names are "the same name differing only in spacing or
    full-width characters".

    NFKC fold (full-width letters, digits and the ideographic space become
    ASCII), remove every white-space and invisible format character (zero-width
    space …), fold every bracket form to ``(`` ``)``, lower-case.

    Parameters
    ----------
    name : str
        An institution name as written.

    Returns
    -------
    str
        The comparison key; ``name_key(a) == name_key(b)`` means near-duplicate.

    References
    ----------
    UAX #15 (NFKC).
    """
    key = _fold(name)
    # Lower-casing can un-compose what NFKC composed (K + U+0327); fold to a fixed point.
    for _ in range(3):
        again = _fold(key)
        if again == key:
            break
        key = again
    return key


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    kept = "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFKC", kept.translate(_BRACKETS).lower())
