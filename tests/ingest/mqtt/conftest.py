"""A private Mosquitto per test, configured by ``ingest.mqtt.broker`` itself.

The broker listens on a free port of 127.0.0.1 with persistence in ``tmp_path``;
accounts: gateways ``gw-a``, ``gw-b`` and the subscriber ``jieneng-ingest``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from jieneng.ingest.mqtt.broker import Account, Accounts, render, write_files

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PASSWORDS = {"gw-a": "gw-a-secret-123", "gw-b": "gw-b-secret-456",
             "jieneng-ingest": "ingest-secret-789"}
WAIT_S = 30.0


def wait_for(condition: Callable[[], bool], timeout: float = WAIT_S, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Broker:
    conf: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.conf.with_name("mosquitto.log")

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)],
                                         stdout=log, stderr=log)
        wait_for(self._accepting, what="mosquitto to listen")

    def _accepting(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"mosquitto exited: {self.log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        """SIGTERM: Mosquitto writes its persistence file and exits."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=WAIT_S)
        self.proc = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed")
    accounts = Accounts(
        gateways=(Account("gw-a", PASSWORDS["gw-a"]), Account("gw-b", PASSWORDS["gw-b"])),
        subscriber=Account("jieneng-ingest", PASSWORDS["jieneng-ingest"]))
    port = _free_port()
    conf_dir = tmp_path / "mosquitto"
    (tmp_path / "data").mkdir()
    files = render(accounts, config_dir=conf_dir, port=port, bind="127.0.0.1",
                   persistence_dir=tmp_path / "data")
    write_files(files, conf_dir)
    conf = conf_dir / "mosquitto.conf"
    if os.geteuid() == 0:  # else Mosquitto drops to user mosquitto, who cannot read tmp
        conf.write_text(conf.read_text() + "user root\n")
    b = Broker(conf, port)
    b.start()
    yield b
    b.stop()


class Publisher:
    """A gateway's client (MQTT 5, QoS 1), its network loop in a thread."""

    def __init__(self, port: int, username: str, password: str | None = None) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{username}",
                                  protocol=mqtt.MQTTv5)
        self.client.username_pw_set(username, password or PASSWORDS[username])
        self.reason: object = None
        self.connected = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_connect(self, _c: object, _u: object, _f: object, reason: object, _p: object) -> None:
        self.reason = reason
        self.connected.set()

    def publish(self, topic: str, payload: bytes) -> mqtt.MQTTMessageInfo:
        return self.client.publish(topic, payload, qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
