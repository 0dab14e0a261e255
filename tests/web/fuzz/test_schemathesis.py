"""API fuzzing: schemathesis against the app's own OpenAPI document, in-process (ASGI).

Every operation of ``/api/v1/openapi.json`` is called with generated input,
valid (positive) and invalid (negative), as a logged-in administrator (a bearer
token made through the account services) on the demo city: no response may be
a server error (5xx), and every response must match the schema the document
gives for it. Bounded for CI: ``MAX_EXAMPLES`` examples per operation and mode,
no deadline. The operations are split into :data:`SHARDS` tests of their own xdist
group, so the two workers of ``scripts/test`` fuzz in parallel (each on its copy of
the demo city, built once per run) instead of one worker fuzzing everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.templates import DemoCity
from tests.web.browser.harness import WEB_APP_BUILT, create_app, demo_database, needs_web_app

pytestmark = needs_web_app

OPENAPI = "/api/v1/openapi.json"
MAX_EXAMPLES = 25
#: the operations are fuzzed in this many tests (every SHARDS-th operation each)
SHARDS = 2
FUZZ_USER = "fuzz-admin"
FUZZ_PASSWORD = "Fuzz-Password-2025"


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory,
             demo_city: DemoCity) -> Iterator[tuple[Any, dict[str, str]]]:
    """(the ASGI app on a fresh demo database, headers of a logged-in administrator)."""
    if not WEB_APP_BUILT:
        pytest.xfail("web app not built yet")
    from jieneng.core.caller import Actor
    from jieneng.services.accounts import accounts, auth
    from jieneng.services.database import open_database

    directory: Path = tmp_path_factory.mktemp("fuzz")
    with demo_database(directory, demo_city) as url:
        engine = open_database(url)
        try:
            admin = accounts.create_user(
                engine, Actor.cli(), username=FUZZ_USER, password=FUZZ_PASSWORD, role="admin"
            )
            _, secret = auth.create_token(engine, admin, "schemathesis")
        finally:
            engine.dispose()
        app = create_app(url)
        # the document made once before the fuzzing (FastAPI keeps it): on a loaded
        # machine its first making took longer than schemathesis' 10 s loading timeout
        app.openapi()
        yield app, {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("shard", [
    pytest.param(i, marks=pytest.mark.xdist_group(f"fuzz{i}")) for i in range(SHARDS)
])
def test_api_conforms_to_its_openapi_document(
    fuzz_app: tuple[Any, dict[str, str]], subtests: pytest.Subtests, shard: int
) -> None:
    app, headers = fuzz_app
    schema = schemathesis.openapi.from_asgi(OPENAPI, app)
    operations = list(schema.get_all_operations())  # in the document's order
    assert len(operations) >= SHARDS, f"{OPENAPI} lists too few operations"
    for result in operations[shard::SHARDS]:
        operation = result.ok()  # raises if the document cannot be read for an operation
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            with subtests.test(msg=f"{operation.label} ({mode.value})"):
                _fuzz(operation, mode, headers)


def _fuzz(
    operation: schemathesis.APIOperation, mode: GenerationMode, headers: dict[str, str]
) -> None:
    # The operations are looped over here rather than through schemathesis' own
    # pytest integration (``schemathesis.pytest.from_fixture``), which needs a
    # pytest-private attribute that pytest 9.2 no longer has.
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        pytest.skip("no invalid input can be made for this operation")
