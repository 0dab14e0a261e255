"""``jieneng plans import | list | show | progress | assign | report | review | remind``
on both databases: a seed sheet imports, a bad sheet is refused by row and column."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import make_files

runner = CliRunner()


def test_plans_commands(db_url: str, tmp_path: Path) -> None:
    def run(*args: str) -> Any:
        return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)

    files = make_files(tmp_path)
    assert run("db", "upgrade").exit_code == 0
    assert run("import", "regions", str(files.regions)).exit_code == 0
    assert run("import", "institutions", str(files.institutions)).exit_code == 0
    sheet = str(resources.files("jieneng.data.workplans").joinpath("guilin_2024.csv"))
    dry = json.loads(run("plans", "import", sheet, "--region", "450300", "--year", "2024",
                         "--dry-run", "--format", "json").output)
    assert dry["items"] == 15 and dry["dry_run"] is True
    done = run("plans", "import", sheet, "--region", "450300", "--year", "2024",
               "--title", "2024年工作安排")
    assert done.exit_code == 0 and "15" in done.output
    plans = json.loads(run("plans", "list", "--format", "json").output)
    plan_id = str(plans[0]["id"])
    assert plans[0]["items"] == 15
    assert run("plans", "show", plan_id).exit_code == 0
    shown = json.loads(run("plans", "show", plan_id, "--format", "json").output)
    second = next(i for i in shown["items"] if i["item_no"] == "2")
    assigned = json.loads(run("plans", "assign", str(second["id"]), "--format",
                              "json").output)
    child = next(i for i in assigned if i["responsible_region"] == "450321")
    evidence = tmp_path / "方案.pdf"
    evidence.write_bytes(b"%PDF-1.4 plan")
    reported = json.loads(run("plans", "report", str(child["id"]), "--state", "done",
                              "--comment", "已报送", "--evidence", str(evidence),
                              "--format", "json").output)
    assert reported["evidence"] == 1
    assert run("plans", "review", str(reported["id"]), "--accept").exit_code == 0
    progress = json.loads(run("plans", "progress", plan_id, "--as-of", "2024-04-01",
                              "--format", "json").output)
    rows = {i["item_no"]: i for i in progress["items"]}
    assert rows["2-450321"]["status"] == "done" and rows["2"]["status"] == "overdue"
    table = run("plans", "progress", plan_id, "--as-of", "2024-04-01")
    assert table.exit_code == 0 and "已逾期" in table.output
    reminded = json.loads(run("plans", "remind", "--as-of", "2024-04-01", "--format",
                              "json").output)
    assert reminded["overdue"] >= 2
    bad = tmp_path / "bad.csv"
    bad.write_text("序号,事项,完成时限,指标,目标值\n1,x,2024-12-31,PUE,一点六\n",
                   encoding="utf-8")
    refused = run("plans", "import", str(bad), "--region", "450300", "--year", "2024")
    assert refused.exit_code == 1
    assert "第2行" in refused.output and "目标值" in refused.output
