"""``jieneng campaigns checks …`` on both databases: a draw below the rule's rate refused
(exit 1, the rule named), the draw, the coverage rows (whole, of a category, of a title
level; a refused category or level exits 1 with the message) and the re-check list as
JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import ORGAN, SCHOOL, make_files

runner = CliRunner()


def test_checks_commands(db_url: str, tmp_path: Path) -> None:
    def run(*args: str) -> object:
        return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)

    files = make_files(tmp_path)
    assert run("db", "upgrade").exit_code == 0  # type: ignore[attr-defined]
    assert run("import", "regions", str(files.regions)).exit_code == 0  # type: ignore[attr-defined]
    assert run("import", "institutions", str(files.institutions)).exit_code == 0  # type: ignore[attr-defined]
    assert run("campaigns", "scheme", "install").exit_code == 0  # type: ignore[attr-defined]
    opened = run("campaigns", "round", "open", "canteen_food_waste", "450300", "2025",
                 "--format", "json")
    rid = str(json.loads(opened.output)["id"])  # type: ignore[attr-defined]
    below = run("campaigns", "checks", "draw", rid, "--rate", "0.1")
    assert below.exit_code == 1 and "canteen_food_waste" in below.output  # type: ignore[attr-defined]
    drawn = run("campaigns", "checks", "draw", rid, "--seed", "3", "--format", "json")
    assert json.loads(drawn.output)["sample_size"] == 1  # type: ignore[attr-defined]
    # the round's only member is drawn: a further batch finds nobody left
    again = run("campaigns", "checks", "draw", rid, "--seed", "4")
    assert again.exit_code == 1 and rid in again.output  # type: ignore[attr-defined]
    rows = json.loads(run("campaigns", "checks", "coverage", "450300", "2025", "--scheme",  # type: ignore[attr-defined]
                          "canteen_food_waste", "--format", "json").output)
    assert rows[0]["members"] == 1 and rows[0]["spot_check_rate"] == 1.0
    listed = run("campaigns", "checks", "recheck", "list", "--format", "json")
    assert json.loads(listed.output) == []  # type: ignore[attr-defined]
    assert run("campaigns", "checks", "recheck", "remind").exit_code == 0  # type: ignore[attr-defined]
    # --category / --level: 节水型单位 titles of 2025, ORGAN (01, 秀峰) provincial and
    # SCHOOL (021, 阳朔) city; SILENT (021, 阳朔) none
    _titles(db_url, {ORGAN: "provincial", SCHOOL: "city"})
    coverage = ("campaigns", "checks", "coverage", "450300", "2025", "--scheme",
                "water_saving_unit")
    units = json.loads(run(*coverage, "--category", "02", "--format", "json").output)  # type: ignore[attr-defined]
    assert (units[0]["eligible"], units[0]["titles_held"], units[0]["compliance_rate"]) == (
        2, 1, 0.5)
    assert {r["region_code"]: r["eligible"] for r in units[1:] if r["eligible"]} == {"450321": 2}
    levelled = json.loads(run(*coverage, "--level", "provincial", "--format", "json").output)  # type: ignore[attr-defined]
    assert (levelled[0]["eligible"], levelled[0]["titles_held"]) == (3, 1)
    assert levelled[0]["compliance_rate"] == 1 / 3 and "members" not in levelled[0]
    both = json.loads(run(*coverage, "--category", "02", "--level", "city", "--format",  # type: ignore[attr-defined]
                          "json").output)
    assert (both[0]["eligible"], both[0]["awarded"], both[0]["compliance_rate"]) == (2, 1, 0.5)
    table = run(*coverage, "--category", "01", "--level", "provincial")
    assert table.exit_code == 0 and "100.0%" in table.output and "—" in table.output  # type: ignore[attr-defined]
    outside = run(*coverage, "--category", "03")
    assert outside.exit_code == 1 and "water_saving_unit" in outside.output  # type: ignore[attr-defined]
    unknown = run(*coverage, "--level", "regional")
    assert unknown.exit_code == 1 and "regional" in unknown.output  # type: ignore[attr-defined]


def _titles(db_url: str, held: dict[str, str]) -> None:
    from datetime import date

    from sqlalchemy import create_engine

    from jieneng.storage import title_awards
    from jieneng.storage.institutions import get_institution

    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            rows = []
            for code, level in held.items():
                found = get_institution(conn, code)
                assert found is not None
                rows.append({"institution_id": found.id, "scheme_code": "water_saving_unit",
                             "round_id": None, "level": level, "awarded_on": date(2025, 3, 1),
                             "valid_until": None})
            title_awards.award_titles(conn, rows)
    finally:
        engine.dispose()
