"""``jieneng campaigns round open | list | show | self-assess | score`` on both
databases: a round of the sample city, a score over the maximum refused (exit 1,
item and maximum named), a CSV self-assessment submitted, the round scored."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import ORGAN, make_files

runner = CliRunner()


def test_round_commands(db_url: str, tmp_path: Path) -> None:
    def run(*args: str) -> object:
        return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)

    files = make_files(tmp_path)
    assert run("db", "upgrade").exit_code == 0  # type: ignore[attr-defined]
    for kind, path in (("regions", files.regions), ("institutions", files.institutions)):
        assert run("import", kind, str(path)).exit_code == 0  # type: ignore[attr-defined]
    opened = run("campaigns", "round", "open", "conservation_organ", "450300", "2025",
                 "--title", "节约型机关 2025", "--format", "json")
    made = json.loads(opened.output)  # type: ignore[attr-defined]
    assert made["members"] == 1 and made["version"] == 1
    rid = str(made["id"])
    listed = json.loads(run("campaigns", "round", "list", "--format", "json").output)  # type: ignore[attr-defined]
    assert [r["id"] for r in listed] == [made["id"]]
    scores = tmp_path / "scores.csv"
    scores.write_text("item,score,note\noperation.all,101,\n", encoding="utf-8")
    refused = run("campaigns", "round", "self-assess", rid, ORGAN, str(scores))
    assert refused.exit_code == 1 and "100" in refused.output  # type: ignore[attr-defined]
    scores.write_text("item,score,note\noperation.all,85,制度齐全\n", encoding="utf-8")
    done = run("campaigns", "round", "self-assess", rid, ORGAN, str(scores), "--submit",
               "--format", "json")
    assert json.loads(done.output)["member"]["state"] == "submitted"  # type: ignore[attr-defined]
    scored = json.loads(run("campaigns", "round", "score", rid, "--format", "json").output)  # type: ignore[attr-defined]
    assert scored["members"] == 1
    shown = json.loads(run("campaigns", "round", "show", rid, "--format", "json").output)  # type: ignore[attr-defined]
    assert shown["member_rows"][0]["total"] == 85
    # the round's state moves only as round_transitions.csv says
    jump = run("campaigns", "round", "state", rid, "publicity")
    assert jump.exit_code == 1 and "公示中" in jump.output  # type: ignore[attr-defined]
    moved = run("campaigns", "round", "state", rid, "reviewing", "--format", "json")
    assert json.loads(moved.output)["state"] == "reviewing"  # type: ignore[attr-defined]
