"""``jieneng gateway serve``: listens, answers a gateway, stops on SIGTERM with its
counts; the AES key is read from the environment and checked."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jieneng.cli.gateway_serve import aes_key
from jieneng.cli.main import app
from jieneng.ingest.mohurd import GatewayRefused, load_profile
from jieneng.ingest.mohurd.framing import Deframer, Frame

from .gateway import AES_KEY, REQUEST, frame


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_aes_keys_are_hex_or_sixteen_characters() -> None:
    assert aes_key(AES_KEY.hex()) == AES_KEY
    assert aes_key("IJKLMNOPQRSTUVWX\n") == b"IJKLMNOPQRSTUVWX"
    with pytest.raises(GatewayRefused):
        aes_key("short")


def test_serve_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    port, answers = _free_port(), list[Frame]()

    def gateway() -> None:
        deadline = time.monotonic() + 60  # the command starts Python and opens the database
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        with sock:
            sock.sendall(frame(REQUEST))  # nobody registered: refused
            deframer = Deframer(load_profile("default").framing, 1 << 20)
            while not answers:
                data = sock.recv(4096)
                if not data:
                    break
                answers.extend(x for x in deframer.feed(data) if isinstance(x, Frame))
        if answers:  # the command is serving: stop it as systemd would
            os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=gateway)
    thread.start()
    result = CliRunner().invoke(
        app, ["--db", f"sqlite:///{tmp_path / 'g.db'}", "gateway", "serve", "--host",
              "127.0.0.1", "--port", str(port), "--idle-timeout", "5"],
        env={"JIENENG_GATEWAY_AES_KEY": AES_KEY.hex()})
    thread.join(5)
    assert result.exit_code == 0, result.output
    assert len(answers) == 1  # <result>fail</result>
    assert "receiver stopped: 1 connection(s)" in result.output
