"""A private PostgreSQL for the zero-loss test: ``initdb`` into a temporary directory
and ``pg_ctl`` on a free port, run as the ``postgres`` user (initdb refuses root).
Never the shared server at 5432: this one may be stopped and restarted at will."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _bin(name: str) -> str | None:
    for candidate in (f"/usr/local/bin/{name}", *sorted(glob.glob(
            f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)):
        if Path(candidate).exists():
            return candidate
    return shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    def __init__(self) -> None:
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if initdb is None or pg_ctl is None:
            raise FileNotFoundError("initdb / pg_ctl")
        self.pg_ctl = pg_ctl
        self.root = Path(tempfile.mkdtemp(prefix="jn-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
        subprocess.run([*self._as_postgres, initdb, "-D", str(self.data), "-U", "postgres",
                        "-A", "trust", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=on -c shared_buffers=32MB")
        subprocess.run([*self._as_postgres, self.pg_ctl, "-D", str(self.data), "-o", opts,
                        "-l", str(self.root / "log"), "-w", "-t", "30", "start"],
                       check=True, capture_output=True)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run([*self._as_postgres, self.pg_ctl, "-D", str(self.data), "-m", mode,
                        "-w", "-t", "30", "stop"], check=False, capture_output=True)

    def restart_hard(self, down_s: float = 0.5) -> None:
        """``immediate`` stop (no checkpoint: crash recovery at the start), a pause, start."""
        self.stop("immediate")
        time.sleep(down_s)
        self.start()

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
