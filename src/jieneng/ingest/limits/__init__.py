"""Bounds on what an uploaded file may expand to, checked before it is parsed.

The upload limit (``max_bytes``) bounds the file as sent; these bound what it
unpacks to. The spreadsheet reader (calamine, behind fastexcel) allocates one
cell slot (32 bytes) for every position of the rectangle from the first to the
last cell of a sheet, empty or not, and reserves the shared-string table at the
size the file declares. A 1.7 kB workbook holding a header and one cell at
XFD1048576 therefore asks for 512 GB, and a 5 MB zip of 8 million short rows for
3 GB; a CSV header of 300,000 columns makes a frame of 300,000 columns. Such a
request aborts the whole process, not just the import, so the file is measured
first, with the standard library and in bounded memory:

* ``.xlsx``/``.xlsm``: the zip directory (members, declared sizes) is read from
  the end of the file before anything else; every member is then inflated in
  1 MiB steps, to the end of its deflate stream (not to the size it declares),
  counting the bytes; in each XML part the rows and columns the cells reach
  (``r="XFD1048576"``; cells and rows without ``r`` are counted one by one) and
  the shared strings (declared ``uniqueCount`` and the ``<si>`` elements) are
  measured. The ``<dimension>`` a sheet declares is not trusted either way: the
  reader sizes by the cells, so the cells are what is measured.
* ``.csv``: the line count bounds the rows, the widest of the first lines (read
  from a bounded prefix) bounds the columns, their product the cells.
* ``.xls``, ``.xlsb`` and ``.ods`` are not accepted (their records or repeat
  counts would need a reader of their own to bound); save them as ``.xlsx``.

The bounds are far above any legitimate import (the benchmark imports 100,000
rows of about 10 columns, 1 million cells) and far below what breaks a server
with 2 GiB of memory: 10 million cells are 320 MB in the reader.

Modules (import from them directly; this package re-exports nothing):

- :mod:`.bounds` — :class:`~.bounds.Limits`, ``DEFAULT_LIMITS``,
  :class:`~.bounds.Refused` and the CSV check :func:`~.bounds.check_text_table`;
- :mod:`.workbook` — :func:`~.workbook.check_workbook`: the zip directory and
  every member inflated in bounded steps;
- :mod:`.sheet_xml` — measuring one XML part (rows, columns, shared strings).
"""
