"""The generated Mosquitto configuration: a gateway publishes only to its own topic,
a wrong password is refused, the files from ``jieneng gateway mosquitto-config``."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from typer.testing import CliRunner

from jieneng.cli.main import app
from jieneng.ingest.mqtt import MqttRefused, readings_topic
from jieneng.ingest.mqtt.broker import Account, Accounts, password_hash, read_accounts, render

from .conftest import PASSWORDS, WAIT_S, Broker, Publisher, wait_for


def _payload(gateway: str, batch: str) -> bytes:
    return json.dumps({"gateway": gateway, "batch_id": batch, "readings": [
        {"meter": "M1", "ts": 1_764_720_000, "value": 1.0, "kind": "interval"}]}).encode()


def test_a_gateway_cannot_publish_to_another_gateways_topic(broker: Broker) -> None:
    got: list[tuple[str, bytes]] = []
    lock = threading.Lock()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="spy", protocol=mqtt.MQTTv5)
    sub.username_pw_set("jieneng-ingest", PASSWORDS["jieneng-ingest"])
    subscribed = threading.Event()

    def on_message(_c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with lock:
            got.append((msg.topic, bytes(msg.payload)))

    sub.on_message = on_message
    sub.on_subscribe = lambda *_: subscribed.set()
    sub.on_connect = lambda c, *_: c.subscribe("$share/jieneng/jieneng/v1/+/readings", qos=1)
    sub.connect("127.0.0.1", broker.port)
    sub.loop_start()
    try:
        assert subscribed.wait(WAIT_S)
        gw_a = Publisher(broker.port, "gw-a")
        assert gw_a.connected.wait(WAIT_S)
        gw_a.publish(readings_topic("gw-b"), _payload("gw-b", "forged")).wait_for_publish(WAIT_S)
        gw_a.publish("jieneng/v1/gw-a/other", _payload("gw-a", "other")).wait_for_publish(WAIT_S)
        gw_a.publish(readings_topic("gw-a"), _payload("gw-a", "own")).wait_for_publish(WAIT_S)
        gw_a.close()
        # one client's messages arrive in order: once "own" is here, the others would be
        wait_for(lambda: len(got) >= 1, what="the gateway's own batch")
        with lock:
            assert [t for t, _ in got] == [readings_topic("gw-a")]
            assert json.loads(got[0][1])["batch_id"] == "own"
    finally:
        sub.disconnect()
        sub.loop_stop()


@pytest.mark.parametrize(("username", "password"), [
    ("gw-a", "wrong-password-000"), ("nobody", "whatever-password"),
    ("gw-a", PASSWORDS["gw-b"])])
def test_wrong_credentials_are_refused(broker: Broker, username: str, password: str) -> None:
    pub = Publisher(broker.port, username, password)
    try:
        assert pub.connected.wait(WAIT_S)
        assert getattr(pub.reason, "is_failure", False), pub.reason
    finally:
        pub.close()


def test_the_subscriber_account_cannot_publish(broker: Broker) -> None:
    """The subscriber's account reads; a batch it publishes goes nowhere."""
    spy = Publisher(broker.port, "jieneng-ingest")
    got: list[str] = []
    subscribed = threading.Event()
    spy.client.on_message = lambda _c, _u, m: got.append(m.topic)
    spy.client.on_subscribe = lambda *_: subscribed.set()
    try:
        assert spy.connected.wait(WAIT_S)
        spy.client.subscribe("jieneng/v1/+/readings", qos=1)
        assert subscribed.wait(WAIT_S)
        gw_b = Publisher(broker.port, "gw-b")
        spy.publish(readings_topic("gw-a"), _payload("gw-a", "by-subscriber")).wait_for_publish(
            WAIT_S)
        gw_b.publish(readings_topic("gw-b"), _payload("gw-b", "own")).wait_for_publish(WAIT_S)
        gw_b.close()
        wait_for(lambda: readings_topic("gw-b") in got, what="gw-b's batch")
        assert got == [readings_topic("gw-b")]
    finally:
        spy.close()


def test_password_hash_is_mosquittos_pbkdf2_sha512() -> None:
    salt = bytes(range(12))
    line = password_hash("secret-password", salt=salt, iterations=101)
    _, kind, iterations, salt64, hash64 = line.split("$")
    assert (kind, iterations, base64.b64decode(salt64)) == ("7", "101", salt)
    assert base64.b64decode(hash64) == hashlib.pbkdf2_hmac(
        "sha512", b"secret-password", salt, 101, 64)


def test_acl_lets_each_gateway_write_its_own_topic_only(tmp_path: Path) -> None:
    files = render(Accounts((Account("gw-1", "p" * 12), Account("gw-2", "q" * 12)),
                            Account("ingest", "r" * 12)), config_dir=tmp_path)
    blocks = [b.splitlines() for b in files.acl.split("\n\n")[1:]]
    assert blocks == [
        ["user ingest", "topic read $share/jieneng/jieneng/v1/+/readings",
         "topic read jieneng/v1/+/readings"],
        ["user gw-1", "topic write jieneng/v1/gw-1/readings"],
        ["user gw-2", "topic write jieneng/v1/gw-2/readings"]]
    assert "allow_anonymous false" in files.conf
    assert f"acl_file {tmp_path / 'acl'}" in files.conf
    assert [u.split(":")[0] for u in files.passwd.splitlines()] == ["gw-1", "gw-2", "ingest"]


def test_cli_writes_the_files_and_generates_missing_passwords(tmp_path: Path) -> None:
    source = tmp_path / "gateways.toml"
    source.write_text('[subscriber]\nusername = "ingest"\npassword = "ingest-password"\n'
                      '[[gateway]]\nid = "gw-1"\npassword = "gateway-1-password"\n'
                      '[[gateway]]\nid = "gw-2"\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["gateway", "mosquitto-config", str(source),
                                      "--out", str(out), "--port", "8883"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["acl", "credentials.csv",
                                                     "mosquitto.conf", "passwd"]
    assert "listener 8883 0.0.0.0" in (out / "mosquitto.conf").read_text()
    assert (out / "passwd").stat().st_mode & 0o777 == 0o600
    lines = (out / "credentials.csv").read_text().splitlines()
    assert lines[0] == "username,password" and lines[1].startswith("gw-2,")
    assert len(lines) == 2


@pytest.mark.parametrize(("text", "code"), [
    ("gateway,password\ngw/1,long-enough-password\n", "mqtt.gateway_id_invalid"),
    ("gateway,password\ngw-1,short\n", "mqtt.password_weak"),
    ("gateway,password\ngw-1,\ngw-1,\n", "mqtt.account_duplicate"),
    ("gateway,password\njieneng-ingest,\n", "mqtt.account_duplicate"),
])
def test_bad_gateway_lists_are_refused(tmp_path: Path, text: str, code: str) -> None:
    path = tmp_path / "gateways.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MqttRefused) as err:
        read_accounts(path)
    assert err.value.code == code
