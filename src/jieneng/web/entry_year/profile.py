"""The annual 基本信息 (NY101: 用能人数, 编制人数, 建筑面积, 采暖面积, vehicles) of an
institution: ``GET|POST /entry/{code}/{year}/profile`` and its JSON twin under
``/api/v1`` + the same path. A refused save shows the form again with what was typed
beside the field it names, under the twin's status (:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.exceptions import DomainError
from jieneng.core.permissions import Capability
from jieneng.services.entry import profile
from jieneng.web.common import CreditCode, blank, page
from jieneng.web.deps import EngineDep, WriterUser, requires
from jieneng.web.entry_year import plain
from jieneng.web.entry_year.schemas import ProfileIn, ProfileOut, ProfileSavedOut
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["entry"], responses=API_ERRORS)
PROFILE = "pages/entry_profile.html"
YearP = Annotated[int, Path(ge=1900, le=2200, description="年 year")]
MAX_TEXT = 40


def _typed(form: Mapping[str, Any], name: str) -> str:
    raw = form.get(name)
    return (blank(raw[:MAX_TEXT]) or "") if isinstance(raw, str) else ""


def _profile_form(form: Mapping[str, Any]) -> dict[str, str]:
    return {f: _typed(form, f) for f in profile.FIELDS}


@router.get("/entry/{credit_code}/{year}/profile")
def profile_page(
    request: Request, credit_code: CreditCode, year: YearP, user: WriterUser,
    engine: EngineDep, saved: Annotated[bool, Query()] = False,
) -> Response:
    """The year's 基本信息 of an institution."""
    data = profile.profile_form(engine, user, credit_code, year)
    return page(request, PROFILE, {"data": data, "form": _shown(data), "saved": saved})


def _shown(data: dict[str, Any]) -> dict[str, str]:
    """The stored record as the form's texts."""
    return {f: plain(v) for f, v in data["values"].items()}


@router.post("/entry/{credit_code}/{year}/profile",
             dependencies=[requires(Capability.ENTER_DATA)])
async def profile_save_form(
    request: Request, credit_code: CreditCode, year: YearP, user: WriterUser,
    engine: EngineDep,
) -> Response:
    typed = _profile_form(await request.form())
    try:
        await run_in_threadpool(profile.save_profile, engine, user, credit_code, year, typed)
    except DomainError as err:
        data = await run_in_threadpool(profile.profile_form, engine, user, credit_code, year)
        return form_error(request, PROFILE, {"data": data, "form": typed, "saved": False}, err)
    return RedirectResponse(f"/entry/{credit_code}/{year}/profile?saved=true", status_code=303)


@api.get("/entry/{credit_code}/{year}/profile", response_model=ProfileOut)
def profile_get(credit_code: CreditCode, year: YearP, user: WriterUser, engine: EngineDep,
                saved: Annotated[bool, Query()] = False,
                ) -> dict[str, Any]:
    """The year's 基本信息 (NY101) and last year's."""
    return profile.profile_form(engine, user, credit_code, year)


@api.post("/entry/{credit_code}/{year}/profile",
          dependencies=[requires(Capability.ENTER_DATA)], response_model=ProfileSavedOut)
def profile_save(credit_code: CreditCode, year: YearP, body: ProfileIn, user: WriterUser,
                 engine: EngineDep) -> dict[str, Any]:
    """Store the year's 基本信息 (every field; null = unknown)."""
    return profile.save_profile(engine, user, credit_code, year, body.model_dump())
