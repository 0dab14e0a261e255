"""``jieneng gateway add|list|assign|token|disable|log`` and ``mosquitto-config
--from-db`` end to end on both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from jieneng.cli.main import app
from jieneng.ingest.mqtt.broker import password_hash
from tests.sample import ORGAN, SCHOOL, Files, write_csv

runner = CliRunner()


def run(db_url: str, *args: str) -> Any:
    return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)


def test_gateway_commands(db_url: str, files: Files, tmp_path: Path) -> None:
    for kind, path in (("regions", files.regions), ("institutions", files.institutions)):
        assert run(db_url, "import", kind, str(path)).exit_code == 0
    meters = write_csv(tmp_path / "m.csv", ["统一社会信用代码", "能源品种", "表号"],
                       [[SCHOOL, "电", "S1"], [SCHOOL, "电", "S2"], [ORGAN, "电", "O1"]])
    assert run(db_url, "meters", "import", str(meters)).exit_code == 0
    made = run(db_url, "gateway", "add", "gw-mqtt", "--protocol", "mqtt", "--region", "450321",
               "--institution", SCHOOL, "--format", "json")
    assert made.exit_code == 0, made.output
    password = json.loads(made.output)["secret"]
    http = run(db_url, "gateway", "add", "gw-http", "--protocol", "http", "--region", "450302")
    assert http.exit_code == 0 and "只显示这一次" in http.output
    one = run(db_url, "gateway", "assign", "gw-mqtt", "--code", "M-1", "--institution", SCHOOL,
              "--meter", "S1")
    assert one.exit_code == 0 and json.loads(one.output)["assigned"] == 1
    rows = tmp_path / "assign.csv"
    rows.write_text(f"网关表号,统一社会信用代码,表号\nM-2,{SCHOOL},S2\nM-3,{SCHOOL},NOPE\n",
                    encoding="utf-8")
    refused = run(db_url, "gateway", "assign", "gw-mqtt", "--file", str(rows))
    assert refused.exit_code == 1 and "NOPE" in refused.output
    clash = run(db_url, "gateway", "assign", "gw-http", "--code", "X", "--institution", SCHOOL,
                "--meter", "S1")
    assert clash.exit_code == 1 and "gw-mqtt" in clash.output
    listed = json.loads(run(db_url, "gateway", "list", "--format", "json").output)
    assert [(g["code"], g["meters"]) for g in listed["items"]] == [("gw-http", 0),
                                                                  ("gw-mqtt", 1)]
    assert "gw-mqtt" in run(db_url, "gateway", "list").output
    out = tmp_path / "broker"
    config = run(db_url, "gateway", "mosquitto-config", "--from-db", "--out", str(out))
    assert config.exit_code == 0, config.output
    passwd = (out / "passwd").read_text()
    line = next(x for x in passwd.splitlines() if x.startswith("gw-mqtt:"))
    _, _, iterations, salt, _ = line.split(":", 1)[1].split("$")
    import base64

    assert line.split(":", 1)[1] == password_hash(password, salt=base64.b64decode(salt),
                                                  iterations=int(iterations))
    acl = (out / "acl").read_text()
    assert "user gw-mqtt\ntopic write jieneng/v1/gw-mqtt/readings" in acl
    assert "gw-http" not in acl and "gw-http" not in passwd  # HTTP gateways: no broker account
    rotated = run(db_url, "gateway", "token", "gw-mqtt", "--format", "json")
    assert json.loads(rotated.output)["secret"] != password
    assert run(db_url, "gateway", "disable", "gw-mqtt").exit_code == 0
    run(db_url, "gateway", "mosquitto-config", "--from-db", "--out", str(out))
    assert "gw-mqtt" not in (out / "passwd").read_text()  # a disabled gateway: no account
    log = run(db_url, "gateway", "log", "gw-mqtt", "--format", "json")
    assert json.loads(log.output)["total"] == 0
    missing = run(db_url, "gateway", "log", "nope")
    assert missing.exit_code == 1
