"""A project's documents and adjustments in the web (issue 13 §3, §5): the Word M&V
report ``/projects/{code}/mv-report.docx`` and settlement statement
``/projects/{code}/settlement.docx?period=`` (公文, :mod:`jieneng.reports.
projects_document`), the statements' workbook ``/projects/{code}/statements.xlsx``,
a stored document ``/projects/{code}/documents/{id}``; proposing an adjustment with
its evidence (``POST /projects/{code}/adjustments``, multipart) and deciding it
(``POST /projects/{code}/adjustments/{id}``), with their JSON twins. The figures are
the project page's (:func:`jieneng.web.projects.detail.project_data`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.core.projects.settlement import combined_uncertainty
from jieneng.reports.projects_document import (
    AdjustmentLine,
    Metric,
    ModelFit,
    MVReport,
    ProjectInfo,
    SavingsRow,
    Settlement,
    SettlementLine,
    mv_report_docx,
    settlement_docx,
    statements_xlsx,
)
from jieneng.services.projects.adjustments import AdjustmentSpec, decide, propose
from jieneng.services.projects.documents import add_document, get_document
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import workbook_lang, xlsx_response
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.projects.common import CodeP
from jieneng.web.projects.detail import TEMPLATE, page_context, project_data
from jieneng.web.projects.mv import finest_kind
from jieneng.web.uploads import SizeChecked

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["projects"], responses=API_ERRORS)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
IdP = Annotated[int, Path(ge=1, le=2**31 - 1)]
PeriodQ = Annotated[str, Query(max_length=8, pattern=r"^(\d{4}(-(\d{2}|Q[1-4]))?)?$")]
#: the settlement's lines by mode: (key of ``amounts``, unit)
SETTLEMENT_LINES: dict[str, tuple[tuple[str, str], ...]] = {
    "trusteeship": (("baseline_cost", "元"), ("fee", "元"), ("actual_energy_cost", "元"),
                    ("om_cost", "元"), ("esco_margin", "元"), ("owner_saving", "元")),
    "shared_savings": (("benefit", "元"), ("ratio", "%"), ("esco_share", "元"),
                       ("owner_share", "元")),
    "guaranteed_savings": (("guaranteed", "tce"), ("verified", "tce"), ("shortfall", "tce"),
                           ("price", "元/tce"), ("payable", "元")),
}
COEFFICIENTS = ("intercept_per_day", "beta_hdd_per_c_day", "beta_cdd_per_c_day")


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


def _docx(content: bytes, name: str, ascii_name: str) -> Response:
    return Response(content, media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(name)}"})


def project_info(data: Mapping[str, Any]) -> ProjectInfo:
    p = data["project"]
    contract = (data.get("contract") or {}).get("raw") or {}
    term = (f"{contract['term_start']} – {contract['term_end']}"
            if contract.get("term_start") else None)
    kind = p["kind_label"] + (f"（{p['subtype_label']}）" if p.get("subtype_label") else "")
    return ProjectInfo(
        code=p["code"], name=p["name"], kind=kind, state=p["state_label"],
        region_code=p["region_code"], region_name=p.get("region_name") or p["region_code"],
        owners=tuple(o["name"] for o in p.get("owners") or ()), esco=p.get("esco"),
        contract=p.get("subtype_label") or None, term=term, option=p.get("option_label") or None)


def _fit(model: Mapping[str, Any] | None, reporting: str, lang: str) -> ModelFit | None:
    if not model:
        return None

    def t(key: str) -> str:
        return text(lang, key)

    metrics = model.get("metrics") or {}
    g14 = metrics.get("guideline14") or {}
    shape = model.get("model") or {}
    points = shape.get("balance_points") or {}
    shown = [f"{t('projects.web.doc.hdd_point')} {points['heating_c']:.1f} °C"
             if points.get("heating_c") is not None else "",
             f"{t('projects.web.doc.cdd_point')} {points['cooling_c']:.1f} °C"
             if points.get("cooling_c") is not None else ""]
    coefficients = shape.get("coefficients") or {}
    return ModelFit(
        method=model["method"], baseline=model["baseline"], reporting=reporting,
        balance_points="；".join(x for x in shown if x) or None,
        coefficients=tuple((t(f"projects.web.doc.coef.{k}"), coefficients.get(k))
                           for k in COEFFICIENTS if coefficients.get(k) is not None),
        metrics=(Metric("R²", model.get("r2")),
                 Metric("CV(RMSE)", model.get("cvrmse"), g14.get("cv_rmse_limit"), True,
                        g14.get("cv_rmse_ok")),
                 Metric("NMBE", model.get("nmbe"), g14.get("nmbe_limit"), True,
                        g14.get("nmbe_ok"))),
        qualified=bool(model.get("qualified")), reasons=tuple(model.get("reasons") or ()),
        sufficiency=model.get("sufficiency"))


def mv_report(data: Mapping[str, Any], lang: str) -> MVReport:
    """The M&V report of the project page's figures: the chart's months as the
    periods, the current model, the adjustments, the savings' uncertainty combined in
    quadrature over the finest statements (CalTRACK 2.0 §4.3.2.5, as the statements)."""
    sv = data["savings"]
    chart = sv.get("chart") or {"months": [], "adjusted": [], "actual": [], "savings": []}
    rows = [SavingsRow(m, None, a, o, s, s / a if s is not None and a else None)
            for m, a, o, s in zip(chart["months"], chart["adjusted"], chart["actual"],
                                  chart["savings"], strict=True)]
    reporting = f"{chart['months'][0]} – {chart['months'][-1]}" if chart["months"] else "—"
    statements = data.get("statements") or []
    finest = finest_kind(statements)
    uncertainty = combined_uncertainty([r.get("uncertainty") for r in statements
                                        if r["kind"] == finest]) if finest else None
    confidence = ((sv.get("model") or {}).get("metrics") or {}).get("confidence")
    return MVReport(project_info(data), sv.get("unit") or "", rows,
                    _fit(sv.get("model"), reporting, lang),
                    tuple(AdjustmentLine(a["kind_label"], a["period"], a.get("amount"),
                                         a.get("reason") or "", a["state_label"])
                          for a in data.get("adjustments") or ()),
                    uncertainty=uncertainty, confidence=confidence)


def _value(amounts: Mapping[str, Any], key: str, unit: str) -> float | None:
    value = amounts.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(
            value):
        return None
    return float(value) * 100 if unit == "%" else float(value)


def settlement_of(data: Mapping[str, Any], period: str, lang: str) -> Settlement:
    """The settlement statement of ``period`` (the latest when empty)."""
    found = [s for s in data.get("settlements") or () if not period or s["period"] == period]
    if not found:
        if period:
            raise ValidationFailed.of("project_web.no_settlement", field="period", value=period)
        return Settlement(project_info(data), "—", (),
                          notes=(text(lang, "projects.web.no_settlement"),))
    s = found[-1]
    amounts = s.get("amounts") or {}
    inner = amounts.get("detail")
    detail: Mapping[str, Any] = inner if isinstance(inner, Mapping) else amounts
    lines = tuple(SettlementLine(text(lang, f"projects.web.settle.{key}"),
                                 _value(detail, key, unit), unit,
                                 text(lang, f"projects.web.settle_basis.{key}"))
                  for key, unit in SETTLEMENT_LINES.get(s["mode"], ()))
    info = project_info(data)
    payee = info.esco if s["mode"] != "guaranteed_savings" else "、".join(info.owners)
    return Settlement(info, s["period"], lines, payable=s.get("amount_yuan"), payee=payee,
                      notes=(text(lang, "projects.web.settle_mode", mode=s["mode_label"],
                                  state=s["state_label"]),))


@router.get("/projects/{code}/mv-report.docx")
def mv_report_download(request: Request, user: CurrentUser, engine: EngineDep,
                       code: CodeP) -> Response:
    lang = _lang(request)
    data = project_data(engine, user, code, lang)
    content = mv_report_docx(mv_report(data, lang), lang=lang, issued=date.today())
    name = text(lang, "projects.web.doc.mv_title", name=data["project"]["name"])
    return _docx(content, f"{name}.docx", f"mv-report-{code}.docx")


@router.get("/projects/{code}/settlement.docx")
def settlement_download(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
                        period: PeriodQ = "") -> Response:
    lang = _lang(request)
    data = project_data(engine, user, code, lang)
    statement = settlement_of(data, period, lang)
    content = settlement_docx(statement, lang=lang, issued=date.today())
    name = text(lang, "projects.web.doc.settlement_title", name=data["project"]["name"],
                period=statement.period)
    suffix = f"-{statement.period}" if statement.period.isascii() else ""
    return _docx(content, f"{name}.docx", f"settlement-{code}{suffix}.docx")


@router.get("/projects/{code}/statements.xlsx")
def statements_download(request: Request, user: CurrentUser, engine: EngineDep,
                        code: CodeP) -> Response:
    lang = workbook_lang(request)
    data = project_data(engine, user, code, domain_lang(lang))
    content = statements_xlsx(project_info(data), data["statements"],
                              unit=data["savings"].get("unit") or "", lang=lang)
    name = text(lang, "projects.web.statements_title", name=data["project"]["name"])
    return xlsx_response(content, f"{name}.xlsx", f"statements-{code}.xlsx")


@router.get("/projects/{code}/documents/{document_id}")
def document_download(user: CurrentUser, engine: EngineDep, code: CodeP,
                      document_id: IdP) -> Response:
    doc = get_document(engine, user, code, document_id)
    return Response(doc["content"], media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=\"document-{document_id}\"; "
                               f"filename*=UTF-8''{quote(doc['file_name'])}",
        "X-Content-Type-Options": "nosniff"})


# ---------------------------------------------------------------- adjustments


def _month(textual: str, field: str) -> date:
    value = textual.strip()
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise ValidationFailed.of("project_web.bad_month", field=field,
                                  value=value[:20]) from None


def _after(day: date) -> date:
    """The first day of the month after ``day``'s (an adjustment's end is excluded)."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


#: the longest amount the adjustment form takes (a longer one is refused as not a
#: number); its field carries it as ``maxlength``
NUMBER_MAX = 40


def _float(textual: str, field: str) -> float:
    if len(textual) > NUMBER_MAX:
        raise ValidationFailed.of("project_web.bad_number", field=field, value=textual[:40])
    try:
        value = float(textual.strip().replace(",", ""))
    except ValueError:
        raise ValidationFailed.of("project_web.bad_number", field=field,
                                  value=textual[:40]) from None
    if not math.isfinite(value):
        raise ValidationFailed.of("project_web.bad_number", field=field, value=textual[:40])
    return value


async def _evidence(request: Request, settings: Any) -> tuple[dict[str, str], UploadFile | None,
                                                                bytes]:
    form = await request.form(max_files=1, max_fields=20)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = form.get("evidence")
    content = b""
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read(settings.max_upload_bytes + 1)
    await form.close()
    return fields, upload if isinstance(upload, UploadFile) else None, content


def _propose_form(engine: Engine, user: User, code: str, fields: Mapping[str, str],
                  upload: UploadFile | None, content: bytes) -> None:
    start = _month(fields.get("start", ""), "start")
    end = _after(_month(fields.get("end") or fields.get("start", ""), "end"))
    amount = _float(fields.get("amount", ""), "amount")
    if upload is None or not upload.filename or not content:
        raise ValidationFailed.of("project_web.evidence_required", field="adjustment")
    doc = add_document(engine, user, code, title=fields.get("reason", "")[:200],
                       kind="evidence", file_name=upload.filename, content=content,
                       content_type=upload.content_type)
    propose(engine, user, code, AdjustmentSpec(
        carrier=fields.get("carrier") or "electricity", kind=fields.get("kind", ""),
        start=start, end=end, value=amount, reason=fields.get("reason", "").strip(),
        document_id=int(doc["id"])))


@router.post("/projects/{code}/adjustments", dependencies=[
    requires(Capability.MANAGE_PROJECTS)])
async def adjustment_propose(request: Request, _size: SizeChecked, user: CurrentUser,
                             engine: EngineDep, settings: SettingsDep, code: CodeP
                             ) -> Response:
    fields, upload, content = await _evidence(request, settings)
    try:
        await run_in_threadpool(_propose_form, engine, user, code, fields, upload, content)
    except DomainError as err:
        return await run_in_threadpool(_again, request, engine, user, code, dict(fields), err,
                                       "adjustment")
    return RedirectResponse(f"/projects/{code}?done=adjustment_proposed#adjustments",
                            status_code=303)


def _again(request: Request, engine: Engine, user: User, code: str, form: dict[str, Any],
           err: DomainError, at: str) -> Response:
    context = page_context(engine, user, code, _lang(request))
    context["form"] = form
    return form_error(request, TEMPLATE, context, err, at=at)


@router.post("/projects/{code}/adjustments/{adjustment_id}",
             dependencies=[requires(Capability.APPROVE_PROJECTS)])
def adjustment_decide(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
                      adjustment_id: IdP, decision: Annotated[str, Form(max_length=16)],
                      note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        decide(engine, user, code, adjustment_id, approve=decision == "approve",
               note=note.strip() or None)
    except DomainError as err:
        return _again(request, engine, user, code, {}, err, "adjustment")
    return RedirectResponse(f"/projects/{code}?done=adjustment_decided#adjustments",
                            status_code=303)


class AdjustmentIn(BaseModel):
    carrier: str = Field(default="electricity", max_length=24)
    kind: str = Field(max_length=12, description="area | occupants | hours | added_load")
    start: date
    end: date = Field(description="excluded")
    value: float = Field(description="[the carrier's canonical unit over the whole period]")
    factor: float = 1.0
    reason: str = Field(max_length=2000)
    document_id: int = Field(description="the evidence: a document of the project "
                             "(POST /api/v1/projects/{code}/documents)")


class DecisionIn(BaseModel):
    approve: bool
    note: str | None = Field(default=None, max_length=2000)


class AdjustmentOut(BaseModel):
    id: int
    carrier: str
    kind: str
    period_start: date
    period_end: date = Field(description="excluded")
    value: float
    factor: float
    reason: str
    document_id: int
    state: str = Field(description="proposed | approved | rejected")
    decided_by: str | None = None
    decision_note: str | None = None
    created_by: str | None = None


class DocumentOut(BaseModel):
    id: int
    title: str
    kind: str
    file_name: str
    size_bytes: int
    sha256: str


@api.post("/projects/{code}/adjustments", status_code=201, response_model=AdjustmentOut,
          dependencies=[requires(Capability.MANAGE_PROJECTS)])
def adjustment_propose_json(body: AdjustmentIn, user: CurrentUser, engine: EngineDep,
                            code: CodeP) -> dict[str, Any]:
    """Propose a non-routine adjustment with its evidence (a stored document)."""
    return propose(engine, user, code, AdjustmentSpec(
        carrier=body.carrier, kind=body.kind, start=body.start, end=body.end, value=body.value,
        reason=body.reason, document_id=body.document_id, factor=body.factor))


@api.post("/projects/{code}/adjustments/{adjustment_id}/decision",
          response_model=AdjustmentOut, dependencies=[requires(Capability.APPROVE_PROJECTS)])
def adjustment_decide_json(body: DecisionIn, user: CurrentUser, engine: EngineDep, code: CodeP,
                           adjustment_id: IdP) -> dict[str, Any]:
    """Approve or reject a proposed adjustment (not by whoever proposed it)."""
    return decide(engine, user, code, adjustment_id, approve=body.approve, note=body.note)


@api.post("/projects/{code}/documents", status_code=201, response_model=DocumentOut,
          dependencies=[requires(Capability.MANAGE_PROJECTS)])
async def document_upload_json(request: Request, _size: SizeChecked, user: CurrentUser,
                               engine: EngineDep, settings: SettingsDep, code: CodeP
                               ) -> dict[str, Any]:
    """Store a document of the project (multipart: ``file``, ``title``, ``kind``)."""
    form = await request.form(max_files=1, max_fields=20)
    upload = form.get("file")
    title, kind = str(form.get("title") or ""), str(form.get("kind") or "evidence")
    content = b""
    if isinstance(upload, UploadFile):
        content = await upload.read(settings.max_upload_bytes + 1)
    await form.close()
    name = upload.filename if isinstance(upload, UploadFile) and upload.filename else "upload"
    ctype = upload.content_type if isinstance(upload, UploadFile) else None
    return await run_in_threadpool(lambda: add_document(
        engine, user, code, title=title, kind=kind, file_name=name, content=content,
        content_type=ctype))
