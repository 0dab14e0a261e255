"""Measuring an .xlsx/.xlsm before it is parsed: the zip directory is read from
the end of the file before anything else; every member is then inflated in
1 MiB steps, to the end of its deflate stream (not to the size it declares),
counting the bytes, and each XML part is measured by :mod:`.sheet_xml`.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..issues import ImportIssue, make_issue
from .bounds import DEFAULT_LIMITS, MIB, Limits, Refused
from .sheet_xml import PartScan

#: inflate at most this much at a time [bytes]
_STEP = MIB
#: an XML tag longer than this is not a spreadsheet's [bytes]
_MAX_TAG = MIB
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_LOCAL = b"PK\x03\x04"


def check_workbook(path: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise :class:`Refused` unless the .xlsx/.xlsm at ``path`` stays within ``limits``."""
    file = path.name
    try:
        with path.open("rb") as fh:
            _check_directory(fh, file, limits)
            with zipfile.ZipFile(fh) as archive:
                infos = archive.infolist()
                _check_members(infos, file, limits)
                budget = _Budget(file, limits.unpacked_bytes)
                for info in infos:
                    _check_member(fh, info, file, limits, budget)
    except _DAMAGED as exc:  # whatever a damaged zip raises: one plain message
        raise Refused(make_issue("import.unreadable", file=file)) from exc


_DAMAGED = (zipfile.BadZipFile, zlib.error, struct.error, OSError, ValueError, EOFError,
            NotImplementedError, UnicodeDecodeError)


def _check_directory(fh: BinaryIO, file: str, limits: Limits) -> None:
    """The end-of-directory record: a zip, with few members in a small directory."""
    size = fh.seek(0, 2)
    tail_len = min(size, _EOCD_SIZE + 0xFFFF)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        raise Refused(make_issue("import.unreadable", file=file))
    entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
    # a zip64 directory (0xFFFF entries) is far beyond any workbook
    if entries > limits.members or directory_size > limits.members * 256:
        raise Refused(make_issue("import.too_many_parts", file=file, limit=limits.members))


def _check_members(infos: list[zipfile.ZipInfo], file: str, limits: Limits) -> None:
    if len(infos) > limits.members:
        raise Refused(make_issue("import.too_many_parts", file=file, limit=limits.members))
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        # a zip, but not a workbook (a .docx renamed, an archive …)
        raise Refused(make_issue("import.unreadable", file=file))
    if any(i.flag_bits & 0x1 for i in infos):
        raise Refused(make_issue("import.encrypted", file=file))
    declared = sum(i.file_size for i in infos)
    if declared > limits.unpacked_bytes:
        raise Refused(_too_big(file, limits))


def _too_big(file: str, limits: Limits) -> ImportIssue:
    return make_issue("import.unpacks_too_large", file=file, limit=limits.unpacked_bytes // MIB)


@dataclass
class _Budget:
    """Uncompressed bytes left for the whole workbook."""

    file: str
    left: int

    def spend(self, n: int, limits: Limits) -> None:
        self.left -= n
        if self.left < 0:
            raise Refused(_too_big(self.file, limits))


def _check_member(
    fh: BinaryIO, info: zipfile.ZipInfo, file: str, limits: Limits, budget: _Budget
) -> None:
    if info.is_dir() or (info.file_size == 0 and info.compress_size == 0):
        return
    if _is_binary(info.filename):
        for chunk in _inflate(fh, info, file):
            budget.spend(len(chunk), limits)
        return
    start = budget.left
    mode = "rough"
    while True:
        budget.left = start
        scan = PartScan(file, limits, mode=mode)
        for block in _blocks(_inflate(fh, info, file), file):
            budget.spend(len(block), limits)
            scan.feed(block)
            if scan.retry:
                break
        if not scan.retry:
            return
        mode = "exact" if scan.exact_needed or mode == "precise" else "precise"


#: parts a workbook holds that are not XML (pictures, embedded objects, macros)
_BINARY = (".bin", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf",
           ".ttf", ".odttf", ".xlsx", ".docx", ".pptx", ".wav")
#: folders whose parts the reader reads as sheets, whatever their names
_SHEET_FOLDERS = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/")


def _is_binary(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(_BINARY) and not lower.startswith(_SHEET_FOLDERS)


def _inflate(fh: BinaryIO, info: zipfile.ZipInfo, file: str) -> Iterator[bytes]:
    """The member's bytes, at most ``_STEP`` at a time; a deflate stream is read to
    its end whatever size the directory declares (the reader does not trust it)."""
    fh.seek(info.header_offset)
    header = fh.read(30)
    if len(header) < 30 or header[:4] != _LOCAL:
        raise Refused(make_issue("import.unreadable", file=file))
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    if info.compress_type == zipfile.ZIP_STORED:
        left = max(info.compress_size, info.file_size)
        while left > 0:
            raw = fh.read(min(_STEP, left))
            if not raw:
                return
            left -= len(raw)
            yield raw
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise Refused(make_issue("import.unreadable", file=file))
    yield from _deflated(fh, file)


def _deflated(fh: BinaryIO, file: str) -> Iterator[bytes]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pending = b""
    while not inflater.eof:
        if not pending:
            pending = fh.read(64 * 1024)
            if not pending:
                return  # truncated: the reader will fail on it, not expand it
        try:
            out = inflater.decompress(pending, _STEP)
        except zlib.error as exc:
            raise Refused(make_issue("import.unreadable", file=file)) from exc
        pending = inflater.unconsumed_tail
        if out:
            yield out


def _blocks(chunks: Iterator[bytes], file: str) -> Iterator[bytes]:
    """``chunks`` re-cut after a ``>``, so that no tag is split between two blocks."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        end = data.rfind(b">") + 1
        if end == 0:
            carry = data
        else:
            carry = data[end:]
            yield data[:end]
        if len(carry) > _MAX_TAG:
            raise Refused(make_issue("import.unreadable", file=file))
    if carry:
        yield carry

