"""Outputs: files and messages built from data handed in, never read from a database.

Beside ``storage`` and ``ingest``; imports ``core`` only (import-linter). Modules:

- :mod:`~jieneng.reports.documents` — Word documents (python-docx, East Asian font
  set) and matplotlib charts as PNG;
- :mod:`~jieneng.reports.spreadsheet` — xlsxwriter workbooks whose cells are never
  a formula or a link made from data (:func:`~jieneng.reports.spreadsheet.safe_cell`);
- :mod:`~jieneng.reports.senders` — the transports of the notifications: one JSON
  POST to a group robot (httpx), one e-mail (stdlib :mod:`smtplib`).

What to send and to whom (messages, channels, retries, in-app rows) stays in
``services`` (:mod:`jieneng.services.notifications.notify`).
"""
