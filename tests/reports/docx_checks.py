"""What every generated Word document must pass (issue 11 §2): read from the .docx
package itself (the zip), not through python-docx's view of it."""

from __future__ import annotations

import io
import re
import zipfile

from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: snake_case keys, catalogue keys (``tongbao.h_overall``), a factor set's code
INTERNAL = re.compile(r"[a-z]+_[a-z]+|\b[a-z]+\.[a-z_]+[a-z.]*\b|\bpi-published\b")
#: in a Chinese document an English word is a key that was never translated too
#: (``error`` for 错误, ``warning`` for 警告)
ENGLISH_WORD = re.compile(r"\b[a-z]{3,}\b")


def run_texts(docx: bytes) -> list[str]:
    """The text of every paragraph of the body, the headers and the footers (w:t
    runs joined per paragraph, so a key split over runs is still seen)."""
    texts = []
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        for name in z.namelist():
            if not re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", name):
                continue
            root = etree.fromstring(z.read(name))
            for p in root.iter(f"{W}p"):
                texts.append("".join(t.text or "" for t in p.iter(f"{W}t")))
    return texts


def internal_keys(docx: bytes, *, english: bool = False) -> list[str]:
    """Every internal key a reader would see in the document (units such as ``tce``
    and ``kgce`` are words of both languages)."""
    found = [m.group(0) for line in run_texts(docx) for m in INTERNAL.finditer(line)]
    if not english:
        found += [m.group(0) for line in run_texts(docx) for m in ENGLISH_WORD.finditer(line)
                  if m.group(0) not in UNITS]
    return found


UNITS = frozenset({"tce", "kgce", "kwh", "kgco"})
