"""Nothing typed is thrown away: the browser enforces every form field's declared limit.

A handler declares its limits with FastAPI (``Annotated[str, Form(max_length=500)]``,
``Form(ge=1990, le=2100)``, ``Query(max_length=60)``); a value past one is answered
with a plain 422 instead of the form shown again with what was typed. So every
field a user types into carries the limit in its HTML — ``maxlength`` on a text
field or a textarea, ``min``/``max`` on a number field — no looser than its
handler's, and the browser never lets the user type past it.

How it works: every GET page of the app is opened as the administrator and as a
school (the route samples of ``tests/web/test_scope_walk.py``); every ``<form>`` on
it is parsed (action, method, fields); its action is matched to the route that
answers it (path regex and method, in the app's order); the route's form
parameters (POST) or query parameters (GET) — its dependencies' too — give the
declared limits; every typed field (not hidden, file, checkbox, radio, select, a
button, a date) with a limit must carry it.

Some forms appear only in a state the test world does not have (a quota to assign,
a recheck to record, a notification to mark read): :func:`template_forms` reads
every template too, with each ``{{ … }}`` taken as a path segment and the ``{% … %}``
tags dropped, and checks every form whose action is a literal path the same way.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

import jieneng.web
from jieneng.core.exceptions import ValidationFailed
from jieneng.services.projects import adjustments
from jieneng.storage.project_settlement import ADJUSTMENT_KINDS as adjustment_kinds
from jieneng.web.app import ROUTERS
from jieneng.web.campaigns import checks as checks_web
from jieneng.web.forms_ny import entry as forms_ny_entry
from jieneng.web.forms_ny.common import NY203
from jieneng.web.projects import documents as documents_web
from jieneng.web.targets import targets as targets_web
from tests.web.conftest import World
from tests.web.routes import iter_routes
from tests.web.test_scope_walk import ROUTES, _url, _values

#: the two accounts whose pages are walked: every form an administrator sees, and a
#: school's own entry, import and project forms
WALKERS = ("admin", "institution")
#: input types a user types into; ``maxlength`` applies to these (HTML: text, search,
#: url, tel, email, password) — and a missing ``type`` is ``text``
TEXT_TYPES = frozenset({"text", "search", "url", "tel", "email", "password"})
#: input types the browser bounds by itself or that carry no typed text
UNTYPED = frozenset({"hidden", "file", "checkbox", "radio", "submit", "button", "reset",
                     "image", "date", "month", "week", "time", "datetime-local", "color",
                     "range"})


@dataclass
class Field:
    tag: str  # input / textarea
    name: str
    attrs: dict[str, str]

    @property
    def type(self) -> str:
        return "textarea" if self.tag == "textarea" else (self.attrs.get("type") or "text").lower()


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._open: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._open = Form(values.get("action", ""), (values.get("method") or "get").upper())
            self.forms.append(self._open)
        elif tag in ("input", "textarea") and self._open is not None and values.get("name"):
            self._open.fields.append(Field(tag, values["name"], values))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def parse_forms(body: str) -> list[Form]:
    parser = _Forms()
    parser.feed(body)
    return parser.forms


@dataclass(frozen=True)
class Limit:
    max_length: int | None = None
    ge: float | None = None
    le: float | None = None


def _params(dependant: Dependant, kind: str) -> Iterator[Any]:
    yield from getattr(dependant, kind)
    for sub in dependant.dependencies:
        yield from _params(sub, kind)


def _limit(param: Any) -> Limit:
    found: dict[str, Any] = {}
    for meta in param.field_info.metadata:
        for key in ("max_length", "ge", "le"):
            if getattr(meta, key, None) is not None:
                found[key] = getattr(meta, key)
        if getattr(meta, "gt", None) is not None:
            found["ge"] = meta.gt
        if getattr(meta, "lt", None) is not None:
            found["le"] = meta.lt
    return Limit(**found)


def _routes() -> list[APIRoute]:
    return [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]


def route_for(path: str, method: str) -> APIRoute | None:
    """The route that answers ``method path`` (the first match, as Starlette does)."""
    for route in _routes():
        if method in (route.methods or ()) and route.path_regex.match(path):
            return route
    return None


def declared_limits(route: APIRoute, method: str) -> dict[str, Limit]:
    """Form (POST) or query (GET) parameter name → its declared limit, if any."""
    kind = "query_params" if method == "GET" else "body_params"
    out = {}
    for param in _params(route.dependant, kind):
        limit = _limit(param)
        if limit != Limit():
            out[param.alias] = limit
    return out


def offences(form: Form, limits: dict[str, Limit]) -> list[str]:
    """What is wrong with the form's typed fields against the declared limits."""
    out = []
    for f in form.fields:
        limit = limits.get(f.name)
        if limit is None or f.type in UNTYPED:
            continue
        if f.type == "number":
            for key, attr, worse in (("ge", "min", operator.lt), ("le", "max", operator.gt)):
                declared = getattr(limit, key)
                if declared is None:
                    continue
                given = f.attrs.get(attr)
                if given is None or given == "":
                    out.append(f"{f.name}: no {attr} (handler {key}={declared})")
                elif worse(float(given), float(declared)):
                    out.append(f"{f.name}: {attr}={given} looser than handler {key}={declared}")
            continue  # maxlength does not apply to a number field
        if f.type not in TEXT_TYPES and f.type != "textarea":
            continue
        if limit.ge is not None or limit.le is not None:
            out.append(f"{f.name}: a {f.type} field for a bounded number (handler "
                       f"ge={limit.ge}, le={limit.le}): type=number with min/max")
        if limit.max_length is None:
            continue
        given = f.attrs.get("maxlength")
        if not given:
            out.append(f"{f.name}: no maxlength (handler max_length={limit.max_length})")
        elif int(given) > limit.max_length:
            out.append(f"{f.name}: maxlength={given} > handler max_length={limit.max_length}")
    return out


def _pages(world: World, role: str) -> Iterator[str]:
    values = _values(world, role)
    for path, methods in sorted(iter_routes(world.app)):
        if "GET" not in methods or path.startswith(("/api/", "/static/")):
            continue
        for sample in ROUTES.get(path, ()):
            yield _url(path, sample, values, 0)


def walk(world: World, role: str) -> tuple[list[str], int]:
    """(offenders as "role page → METHOD action: problem", forms checked)."""
    client = world.login(role)
    found: list[str] = []
    checked = 0
    for url in _pages(world, role):
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.headers.get(
                "content-type", ""):
            continue
        for form in parse_forms(response.text):
            target = urlsplit(urljoin(url, form.action or url)).path
            route = route_for(target, form.method)
            if route is None:
                continue
            checked += 1
            for problem in offences(form, declared_limits(route, form.method)):
                found.append(f"{role} {url} → {form.method} {target}: {problem}")
    return sorted(set(found)), checked


TEMPLATES = Path(jieneng.web.__file__).parent / "templates"


def template_forms() -> Iterator[tuple[str, Form]]:
    """(template, form) of every form of every template whose action is a path."""
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = re.sub(r"{#.*?#}|{%.*?%}", "", path.read_text(encoding="utf-8"), flags=re.S)
        text = re.sub(r"{{.*?}}", "1", text, flags=re.S)
        for form in parse_forms(text):
            if form.action.startswith("/"):
                yield str(path.relative_to(TEMPLATES)), form


def test_every_template_form_carries_its_handlers_limits() -> None:
    found = []
    checked = 0
    for name, form in template_forms():
        target = form.action.split("?")[0]
        route = route_for(target, form.method)
        if route is None:
            continue
        checked += 1
        found += [f"{name} → {form.method} {route.path}: {problem}"
                  for problem in offences(form, declared_limits(route, form.method))]
    report = "\n".join(found)
    print(f"templates: {checked} forms checked, {len(found)} offenders\n{report}")
    assert checked > 100
    assert not found, f"fields without their handler's limit ({len(found)}):\n{report}"


@pytest.mark.parametrize("role", WALKERS)
def test_every_typed_field_carries_its_handlers_limit(world: World, role: str) -> None:
    found, checked = walk(world, role)
    report = "\n".join(found)
    print(f"{role}: {checked} forms checked, {len(found)} offenders\n{report}")
    assert checked > 20
    assert not found, f"fields without their handler's limit ({len(found)}):\n{report}"


def test_the_check_is_not_vacuous() -> None:
    """A field without maxlength, one past its limit, a number without its bounds, a text
    field for a bounded number and a GET filter past its query limit are each caught;
    hidden fields are not."""
    route = route_for("/admin/users", "POST")
    assert route is not None
    limits = declared_limits(route, "POST")
    assert limits["username"].max_length == 64
    html = ('<form method="post" action="/admin/users">'
            '<input type="hidden" name="csrf_token" value="x">'
            '<input name="username"><input name="display_name" maxlength="101">'
            '<input name="role" type="hidden" value="admin">'
            '<textarea name="password" maxlength="1024"></textarea></form>')
    (form,) = parse_forms(html)
    assert offences(form, limits) == [
        "username: no maxlength (handler max_length=64)",
        "display_name: maxlength=101 > handler max_length=100"]
    targets = route_for("/targets", "POST")
    assert targets is not None
    (form,) = parse_forms('<form method="post"><input type="number" name="year" min="1900">'
                          '</form>')
    assert offences(form, declared_limits(targets, "POST")) == [
        "year: min=1900 looser than handler ge=1990", "year: no max (handler le=2100)"]
    (form,) = parse_forms('<form method="post"><input name="year" maxlength="4"></form>')
    assert offences(form, declared_limits(targets, "POST")) == [
        "year: a text field for a bounded number (handler ge=1990, le=2100): "
        "type=number with min/max"]
    search = route_for("/admin/users", "GET")
    assert search is not None
    (form,) = parse_forms('<form><input type="search" name="q" maxlength="80"></form>')
    assert offences(form, declared_limits(search, "GET")) == [
        "q: maxlength=80 > handler max_length=60"]


# ---------------------------------------------------------------- forms read by hand
#: Handlers that read ``await request.form()`` themselves declare no FastAPI limits, so
#: the walks above cannot see them. Their limits are stated here, each from the constant
#: (or the rule catalogue) the handler or its service enforces, with the field's attrs as
#: written in the template (``{{ … }}`` kept as typed, ``{% … %}`` dropped):
#: (template, form action, field name as written, the attrs it must carry).
SELF_READ: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    # child_inputs leaves out a factor / override longer than CHILD_INPUT_MAX
    ("pages/targets.html", "/targets/decompose", "factor_{{ c.code }}",
     {"maxlength": str(targets_web.CHILD_INPUT_MAX)}),
    ("pages/targets.html", "/targets/decompose", "override_{{ c.code }}",
     {"maxlength": str(targets_web.CHILD_INPUT_MAX)}),
    # _values refuses a figure longer than NUMBER_MAX (forms_ny.not_a_number)
    ("pages/datacentre.html", "/datacentre/heating", "{{ f.key }}",
     {"maxlength": str(forms_ny_entry.NUMBER_MAX)}),
    ("pages/datacentre.html", "/datacentre/figures", "{{ f.key }}",
     {"maxlength": str(forms_ny_entry.NUMBER_MAX)}),
    # effective_config refuses a parameter outside the rule's [minimum, maximum] or, for
    # an integer parameter, not whole
    ("pages/quality_rules.html", "/quality/rules", "param_{{ p.name }}",
     {"type": "number", "min": "{{ '%g' % p.minimum }}", "max": "{{ '%g' % p.maximum }}",
      "step": "{{ '1' if p.integer else 'any' }}"}),
    # _number refuses a score longer than NUMBER_MAX (check_number_invalid); the range
    # 0–maximum is checked by the service (a text field: "85%" and "1,000" are taken)
    ("campaigns/_checks_forms.html", "/campaigns/rounds/{{ data.round.id }}/checks/inspect",
     "score_{{ item.code }}", {"maxlength": str(checks_web.NUMBER_MAX)}),
    # _float refuses an amount longer than NUMBER_MAX; the service a reason past REASON_MAX
    ("projects/_parts.html", "/projects/{{ data.project.code }}/adjustments", "amount",
     {"maxlength": str(documents_web.NUMBER_MAX)}),
    ("projects/_parts.html", "/projects/{{ data.project.code }}/adjustments", "reason",
     {"maxlength": str(adjustments.REASON_MAX)}),
    # ask: the month must be one of the period's (1–12); the question and answer are kept
    # to 2,000 characters (questions._stored_text)
    ("pages/reporting_task.html", "/reporting/tasks/{{ data.id }}/questions", "month",
     {"type": "number", "min": "1", "max": "12"}),
    ("pages/reporting_task.html", "/reporting/tasks/{{ data.id }}/questions", "question",
     {"maxlength": "2000"}),
    ("pages/reporting_task.html", "/reporting/tasks/{{ data.id }}/questions/{{ q.id }}",
     "answer", {"maxlength": "2000"}),
)


def raw_template_forms(name: str) -> list[Form]:
    """The template's forms with each ``{{ … }}`` kept as written, ``{% … %}`` dropped."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    return parse_forms(re.sub(r"{#.*?#}|{%.*?%}", "", text, flags=re.S))


def test_forms_read_by_hand_carry_their_handlers_limits() -> None:
    found = []
    for name, action, field_name, wanted in SELF_READ:
        forms = [f for f in raw_template_forms(name) if f.action == action]
        fields = [f for form in forms for f in form.fields if f.name == field_name]
        if not fields:
            found.append(f"{name} {action}: no field {field_name}")
        for f in fields:
            for attr, value in wanted.items():
                if f.attrs.get(attr) != value:
                    found.append(f"{name} {action} {field_name}: {attr}="
                                 f"{f.attrs.get(attr)!r}, the handler's is {value!r}")
    assert not found, "\n".join(found)


def test_every_typed_field_of_a_form_read_by_hand_is_in_the_table() -> None:
    """A field added to one of these forms must be added to :data:`SELF_READ` too."""
    listed = {(name, action, field_name) for name, action, field_name, _ in SELF_READ}
    missing = []
    for name, action in sorted({(name, action) for name, action, _, _ in SELF_READ}):
        for form in raw_template_forms(name):
            if form.action != action:
                continue
            for f in form.fields:
                if f.type in UNTYPED or (name, action, f.name) in listed:
                    continue
                if f.attrs.get("maxlength") or (f.attrs.get("min") and f.attrs.get("max")):
                    continue  # a declared field, checked by the walks above
                missing.append(f"{name} {action}: {f.name}")
    assert not missing, "typed fields with no limit in SELF_READ:\n" + "\n".join(missing)


def test_the_handlers_refuse_past_the_limits() -> None:
    """The limits in the table are the handlers': one character more is refused."""
    too_long = "1" * (forms_ny_entry.NUMBER_MAX + 1)
    key = NY203[0].key
    with pytest.raises(ValidationFailed) as caught:
        forms_ny_entry._values({key: too_long}, NY203)
    assert caught.value.code == "forms_ny.not_a_number"
    assert forms_ny_entry._values({key: "1" * forms_ny_entry.NUMBER_MAX},
                                  NY203)[key] is not None
    with pytest.raises(ValidationFailed) as caught:
        checks_web._number("1" * (checks_web.NUMBER_MAX + 1), "score_x")
    assert caught.value.code == "check_number_invalid"
    with pytest.raises(ValidationFailed) as caught:
        documents_web._float("1" * (documents_web.NUMBER_MAX + 1), "amount")
    assert caught.value.code == "project_web.bad_number"
    spec = adjustments.AdjustmentSpec(
        carrier="electricity", kind=sorted(adjustment_kinds)[0], start=date(2024, 1, 1),
        end=date(2024, 2, 1), value=1.0, reason="x" * (adjustments.REASON_MAX + 1),
        document_id=1)
    with pytest.raises(ValidationFailed) as caught:
        adjustments._check(spec, "P1")
    assert caught.value.code == "project_adjustment.reason_too_long"
    adjustments._check(replace(spec, reason="x" * adjustments.REASON_MAX), "P1")
