"""A subscriber worker process for the tests: ``python -m tests.ingest.mqtt.worker
PORT DB CLIENT_ID [DELAY_S]``. Its ``store`` writes each batch in one SQLite
transaction, idempotent by (meter, ts), and counts the deliveries per batch."""

from __future__ import annotations

import signal
import sqlite3
import sys
import threading
import time
from pathlib import Path

from jieneng.ingest.mqtt import Batch, JsonlDeadLetters
from jieneng.ingest.mqtt.subscriber import Connection, Store, Subscriber

SCHEMA = """
CREATE TABLE IF NOT EXISTS reading (meter TEXT, ts INTEGER, value REAL, PRIMARY KEY (meter, ts));
CREATE TABLE IF NOT EXISTS delivery (batch_id TEXT, n INTEGER);
"""


def sqlite_store(db: Path, delay_s: float = 0.0) -> tuple[sqlite3.Connection, Store]:
    con = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    con.executescript(SCHEMA)

    def store(batch: Batch) -> None:
        time.sleep(delay_s)
        con.execute("BEGIN IMMEDIATE")
        con.executemany("INSERT OR IGNORE INTO reading VALUES (?, ?, ?)",
                        [(r.meter, r.ts, r.value) for r in batch.readings])
        con.execute("INSERT INTO delivery VALUES (?, ?)", (batch.batch_id, len(batch.readings)))
        con.execute("COMMIT")

    return con, store


def main() -> None:
    port, db, client_id = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    delay = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    _con, store = sqlite_store(db, delay)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    conn = Connection("127.0.0.1", port, "jieneng-ingest", "ingest-secret-789", client_id)
    sub = Subscriber(conn, store, JsonlDeadLetters(db.with_suffix(".dead.jsonl")),
                     max_backoff_s=0.2)
    sub.run(stop)


if __name__ == "__main__":
    main()
