"""The workbook of accounts made in bulk (/admin/users/bulk): one row per new account
with its initial password — the only place that password is ever shown — then the
units refused and how many are left. Headers in the reader's language."""

from __future__ import annotations

import io

import xlsxwriter

from jieneng.core.exceptions import DomainError
from jieneng.core.messages import text
from jieneng.services.accounts.bulk import NewAccount
from jieneng.web.i18n import domain_lang

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def accounts_workbook(made: list[NewAccount], refused: list[tuple[str, str, DomainError]],
                      left: int, lang: str) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    code = book.add_format({"num_format": "@"})
    sheet = book.add_worksheet(text(lang, "admin.bulk_sheet"))
    headers = [text(lang, k) for k in ("pages.institution", "pages.credit_code",
                                       "admin.username", "admin.bulk_password", "admin.role")]
    sheet.write_row(0, 0, headers, bold)
    for r, a in enumerate(made, start=1):
        sheet.write_string(r, 0, a.name)
        sheet.write_string(r, 1, a.credit_code, code)
        sheet.write_string(r, 2, a.username, code)
        sheet.write_string(r, 3, a.password, code)
        sheet.write_string(r, 4, text(lang, f"role.{a.role.value}"))
    row = len(made) + 2
    sheet.write_string(row, 0, text(lang, "admin.bulk_summary", made=len(made),
                                    refused=len(refused), left=left))
    for r, (credit, name, err) in enumerate(refused, start=row + 1):
        sheet.write_row(r, 0, [name, credit, "", err.message(domain_lang(lang))])
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, 3, 22)
    sheet.set_column(4, 4, 12)
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
