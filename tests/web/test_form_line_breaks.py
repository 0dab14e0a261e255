"""A textarea's line breaks (web.limits.RequestGuard): browsers count a line break as one
character against ``maxlength`` but send it as CRLF, so the guard turns a form's CRLF into
LF before the handler's ``max_length`` is checked — a textarea filled to its limit is
accepted, not answered with a 422 that throws the text away."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Form
from fastapi.testclient import TestClient

from jieneng.web.limits import Limits, RequestGuard


def _app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(RequestGuard, limits=Limits(body=1024, upload=1024,
                                                   is_upload=lambda _scope: False))

    @app.post("/note")
    def note(text: Annotated[str, Form(max_length=5)]) -> dict[str, str]:
        return {"text": text}

    return app


def test_a_textarea_filled_to_its_limit_with_line_breaks_is_accepted_as_lf() -> None:
    client = TestClient(_app())
    # what a browser sends for "a⏎b⏎c" typed into <textarea maxlength="5">: 7 characters
    response = client.post("/note", data={"text": "a\r\nb\r\nc"})
    assert response.status_code == 200, response.text
    assert response.json() == {"text": "a\nb\nc"}


def test_a_value_really_over_the_limit_is_still_refused() -> None:
    response = TestClient(_app()).post("/note", data={"text": "a\r\nb\r\ncd"})
    assert response.status_code == 422
