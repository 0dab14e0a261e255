"""The one evidence-file check (``jieneng.core.evidence``): each kind of the table
accepted with its signature, each refusal under its shared code with the file, the
accepted kinds and the limit named, a PDF named ``.docx`` refused, and every feature's
accepted set drawn from the table."""

from __future__ import annotations

import pytest

from jieneng.core.evidence import (
    accepted_suffixes,
    check_evidence,
    evidence_kinds,
    kinds_of,
    megabytes,
)
from jieneng.core.exceptions import ValidationFailed

MB = 1024 * 1024
PDF = b"%PDF-1.4\n%%EOF\n"
SAMPLES = {".pdf": PDF, ".jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF", ".jpeg": b"\xff\xd8\xff\xdb",
           ".png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ".docx": b"PK\x03\x04\x14\x00",
           ".xlsx": b"PK\x03\x04\x14\x00", ".doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00",
           ".xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".ofd": b"PK\x03\x04\x0a\x00"}


def _refused(file_name: str, content: bytes, limit: int = 20 * MB,
             accepted: tuple[str, ...] | None = None) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as err:
        check_evidence(file_name, content, limit, accepted=accepted)
    return err.value


def test_the_table_holds_each_kind_once_with_names_and_signatures() -> None:
    kinds = evidence_kinds()
    assert [k.suffix for k in kinds] == list(SAMPLES)
    for k in kinds:
        assert k.suffix.startswith(".") and "/" in k.media_type
        assert k.signatures and all(k.signatures) and k.name_zh and k.name_en


@pytest.mark.parametrize("suffix", list(SAMPLES))
def test_each_kind_is_accepted_by_its_signature(suffix: str) -> None:
    kind = check_evidence(f"证明材料{suffix.upper()}", SAMPLES[suffix], 20 * MB)
    assert kind.suffix == suffix
    assert kind.media_type == {".pdf": "application/pdf", ".jpg": "image/jpeg",
                               ".jpeg": "image/jpeg", ".png": "image/png"}.get(
                                   suffix, kind.media_type)


def test_a_pdf_named_docx_is_refused_naming_the_file_and_the_suffix() -> None:
    err = _refused("方案.docx", PDF)
    assert err.code == "evidence_content" and err.details["field"] == "file"
    assert err.details["file"] == "方案.docx" and err.details["suffix"] == ".docx"
    assert "方案.docx" in err.message_zh and ".docx" in err.message_zh
    assert "does not match its extension" in err.message_en
    # and the other way round: a Word file named .pdf, a PNG named .jpg
    assert _refused("a.pdf", SAMPLES[".docx"]).code == "evidence_content"
    assert _refused("a.jpg", SAMPLES[".png"]).code == "evidence_content"


def test_a_type_not_accepted_is_refused_naming_the_file_and_the_accepted_kinds() -> None:
    err = _refused("setup.exe", b"MZ")
    assert err.code == "evidence_type" and err.details["file"] == "setup.exe"
    assert err.details["accepted"] == accepted_suffixes()
    for suffix in SAMPLES:
        assert suffix in err.message_zh and suffix in err.message_en
    # no suffix at all; a directory part is not the file's name
    assert _refused("README", b"text").code == "evidence_type"
    assert _refused("C:\\docs\\x.bat", b"@echo").details["file"] == "x.bat"


def test_a_feature_accepts_only_its_own_kinds() -> None:
    only = (".pdf", ".png")
    err = _refused("表.xlsx", SAMPLES[".xlsx"], accepted=only)
    assert err.code == "evidence_type" and err.details["accepted"] == ".pdf, .png"
    assert "(accepted: .pdf, .png)" in err.message_en and "（可接受：.pdf, .png）" in err.message_zh
    assert check_evidence("a.PNG", SAMPLES[".png"], MB, accepted=only).suffix == ".png"
    assert [k.suffix for k in kinds_of(only)] == [".pdf", ".png"]
    with pytest.raises(KeyError):
        kinds_of((".pdf", ".exe"))


def test_an_empty_file_is_refused() -> None:
    err = _refused("空.pdf", b"")
    assert err.code == "evidence_empty" and "空.pdf" in err.message_zh


def test_a_file_over_the_callers_limit_is_refused_naming_the_limit_in_mb() -> None:
    assert check_evidence("a.pdf", PDF + bytes(MB - len(PDF)), MB).suffix == ".pdf"
    err = _refused("big.pdf", PDF + bytes(MB), limit=MB)
    assert err.code == "evidence_too_large" and err.details["megabytes"] == 1
    assert "1 MB" in err.message_zh and "1 MB" in err.message_en
    half = _refused("big.pdf", PDF + bytes(MB), limit=MB // 2)
    assert half.details["megabytes"] == 0.5
    # the type is told before the size, the size before the content
    assert _refused("big.exe", bytes(2 * MB), limit=MB).code == "evidence_type"
    assert _refused("big.pdf", bytes(2 * MB), limit=MB).code == "evidence_too_large"


def test_megabytes() -> None:
    assert (megabytes(20 * MB), megabytes(MB // 2), megabytes(int(1.25 * MB))) == (20, 0.5, 1.2)


def test_a_field_is_named_for_the_form() -> None:
    assert _refused("a.exe", b"MZ").details["field"] == "file"
    with pytest.raises(ValidationFailed) as err:
        check_evidence("a.exe", b"MZ", MB, field="evidence")
    assert err.value.details["field"] == "evidence"


def test_every_features_accepted_kinds_are_in_the_table() -> None:
    from jieneng.core.campaigns.rounds import EVIDENCE_SUFFIXES
    from jieneng.services.carbon.events import EVIDENCE_TYPES
    from jieneng.services.workplans.review import ACCEPTED

    table = {k.suffix for k in evidence_kinds()}
    for accepted in (EVIDENCE_SUFFIXES, EVIDENCE_TYPES, ACCEPTED):
        assert set(accepted) <= table
