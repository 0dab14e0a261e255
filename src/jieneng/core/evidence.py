"""Evidence files (佐证材料, 证明材料): the one check of an uploaded file for the whole
platform — work-plan progress reports, carbon offsets, campaign-round self-assessments,
project documents.

The kinds a file may be are data (``data/evidence/kinds.csv``: suffix, media type, the
signature bytes its content starts with — several allowed —, zh and en names, source
and status). A feature picks the suffixes it accepts from that table (all of them when
it names none) and passes its own size limit. :func:`check_evidence` refuses, in this
order, under codes shared by every feature:

- ``evidence_type`` — the suffix is not one the feature accepts (names the file and the
  accepted suffixes);
- ``evidence_empty`` — no bytes;
- ``evidence_too_large`` — over the caller's limit (named in MB);
- ``evidence_content`` — the bytes do not start with a signature of the suffix's kind
  (a PDF named ``.docx``). The check is by signature only: the ZIP-based kinds (docx,
  xlsx, ofd) share one, so a workbook named ``.docx`` passes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePath

from jieneng.core.exceptions import ValidationFailed

_MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class EvidenceKind:
    """One accepted kind of evidence file (a row of ``data/evidence/kinds.csv``)."""

    suffix: str
    media_type: str
    #: the content starts with one of these
    signatures: tuple[bytes, ...]
    name_zh: str
    name_en: str


@cache
def evidence_kinds() -> tuple[EvidenceKind, ...]:
    """Every kind in ``data/evidence/kinds.csv``, in its order."""
    path = resources.files("jieneng") / "data" / "evidence" / "kinds.csv"
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    return tuple(EvidenceKind(r["suffix"].strip().lower(), r["media_type"].strip(),
                              tuple(bytes.fromhex(s) for s in r["signatures"].split()),
                              r["name_zh"].strip(), r["name_en"].strip())
                 for r in rows)


def kinds_of(suffixes: Collection[str] | None = None) -> tuple[EvidenceKind, ...]:
    """The kinds of ``suffixes`` (every kind when None), in the table's order; a suffix
    the table does not hold is a programming error (KeyError)."""
    table = evidence_kinds()
    if suffixes is None:
        return table
    wanted = {s.lower() for s in suffixes}
    missing = wanted - {k.suffix for k in table}
    if missing:
        raise KeyError(f"no evidence kind {sorted(missing)} in data/evidence/kinds.csv")
    return tuple(k for k in table if k.suffix in wanted)


def accepted_suffixes(suffixes: Collection[str] | None = None) -> str:
    """The accepted suffixes as a form's ``accept`` or a message lists them
    (``.docx, .jpeg, .jpg, .pdf, .png, .xlsx``)."""
    return ", ".join(sorted({k.suffix for k in kinds_of(suffixes)}))


def megabytes(limit: int) -> int | float:
    """``limit`` bytes in MB as a message names it: 20 for 20 MiB, 0.5 for 512 KiB."""
    value = round(limit / _MB, 1)
    return int(value) if value == int(value) else value


def check_evidence(file_name: str, content: bytes, limit: int, *,
                   accepted: Collection[str] | None = None, field: str = "file"
                   ) -> EvidenceKind:
    """The kind of the evidence file ``file_name`` with ``content`` when its suffix is
    one of ``accepted`` (every kind of the table when None), it is not empty, at most
    ``limit`` bytes and its content starts with a signature of its kind; ValidationFailed
    otherwise (``evidence_type``, ``evidence_empty``, ``evidence_too_large``,
    ``evidence_content``; ``field`` names the form field the refusal belongs to)."""
    name = PurePath(file_name.replace("\\", "/")).name[:100] or file_name[:100]
    suffix = PurePath(name).suffix.lower()
    kinds = kinds_of(accepted)
    kind = next((k for k in kinds if k.suffix == suffix), None)
    if kind is None:
        raise ValidationFailed.of("evidence_type", field=field, file=name,
                                  accepted=accepted_suffixes(accepted))
    if not content:
        raise ValidationFailed.of("evidence_empty", field=field, file=name)
    if len(content) > limit:
        raise ValidationFailed.of("evidence_too_large", field=field, file=name,
                                  megabytes=megabytes(limit))
    if not content.startswith(kind.signatures):
        raise ValidationFailed.of("evidence_content", field=field, file=name,
                                  suffix=suffix)
    return kind


__all__ = ["EvidenceKind", "accepted_suffixes", "check_evidence", "evidence_kinds",
           "kinds_of", "megabytes"]
