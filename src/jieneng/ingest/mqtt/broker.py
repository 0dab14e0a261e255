"""Mosquitto configuration for the gateways: accounts, password file, ACL, listener.

:func:`read_accounts` reads a gateway list (TOML or CSV); the gateway registry gives
:class:`StoredAccount` rows (the ``$7$`` hash it keeps; ``jieneng gateway
mosquitto-config --from-db``). :func:`render` makes the three files of
:class:`MosquittoFiles`:

- ``passwd``: one ``user:$7$iterations$salt$hash`` line per account, PBKDF2-SHA512 as
  ``mosquitto_passwd`` writes it (Mosquitto 2.0: 12-byte salt, 64-byte hash, base64);
- ``acl``: each gateway may **write** its own topic ``jieneng/v1/{id}/readings`` and
  nothing else (no read); the subscriber account may **read** the readings topics,
  through the shared subscription ``$share/jieneng/…``, and write nothing;
- ``mosquitto.conf``: the listener, no anonymous access, the two files, persistence on
  and queues large enough for the subscriber's persistent session.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import secrets
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import MqttRefused
from .payload import SHARED_FILTER, TOPIC_PREFIX, readings_topic, valid_gateway_id

PBKDF2_ITERATIONS = 1000
DEFAULT_SUBSCRIBER = "jieneng-ingest"


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    generated: bool = False  # the password was made here (print it for the gateway)


@dataclass(frozen=True)
class StoredAccount:
    """A gateway of the registry: its name and the ``$7$`` hash of its password (the
    password itself is not kept; the hash is all the broker needs)."""

    username: str
    password_hash: str


@dataclass(frozen=True)
class Accounts:
    gateways: tuple[Account, ...]
    subscriber: Account


@dataclass(frozen=True)
class MosquittoFiles:
    conf: str
    passwd: str
    acl: str


def password_hash(password: str, *, salt: bytes | None = None,
                  iterations: int = PBKDF2_ITERATIONS) -> str:
    """Mosquitto 2.0's ``$7$`` hash (PBKDF2-HMAC-SHA512) of ``password``."""
    salt = secrets.token_bytes(12) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations, 64)
    return (f"$7${iterations}${base64.b64encode(salt).decode()}"
            f"${base64.b64encode(digest).decode()}")


def read_accounts(path: Path) -> Accounts:
    """The gateways (and optionally the subscriber) of a TOML or CSV file.

    TOML: ``[[gateway]] id = "…" password = "…"`` and ``[subscriber] username, password``;
    CSV: columns ``gateway`` (or ``id``) and ``password``. A missing password is
    generated (``Account.generated``)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        rows = [(r.get("gateway") or r.get("id") or "", r.get("password") or "")
                for r in csv.DictReader(io.StringIO(text))]
        sub: dict[str, str] = {}
    else:
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise MqttRefused.of("mqtt.accounts_invalid", reason=str(err)[:200]) from None
        rows = [(str(g.get("id", "")), str(g.get("password", "")))
                for g in doc.get("gateway", [])]
        sub = {k: str(v) for k, v in doc.get("subscriber", {}).items()}
    gateways = tuple(_account(gw, pw) for gw, pw in rows)
    subscriber = _account(sub.get("username", DEFAULT_SUBSCRIBER), sub.get("password", ""))
    _check_unique([a.username for a in (*gateways, subscriber)])
    return Accounts(gateways, subscriber)


def _account(username: str, password: str) -> Account:
    username = username.strip()
    if not valid_gateway_id(username):
        raise MqttRefused.of("mqtt.gateway_id_invalid", value=username[:80])
    if not password:
        return Account(username, secrets.token_urlsafe(18), generated=True)
    if len(password) < 12 or ":" in password or "\n" in password:
        raise MqttRefused.of("mqtt.password_weak", username=username)
    return Account(username, password)


def _check_unique(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise MqttRefused.of("mqtt.account_duplicate", username=name)
        seen.add(name)


def render(accounts: Accounts, *, config_dir: Path, port: int = 1883,
           bind: str = "0.0.0.0", persistence_dir: Path = Path("/var/lib/mosquitto"),
           max_payload_bytes: int = 1024 * 1024,
           stored: Sequence[StoredAccount] = ()) -> MosquittoFiles:
    """The three files for ``accounts`` and the registry's ``stored`` gateways;
    ``config_dir`` is where ``passwd`` and ``acl`` will be (the configuration names
    them by absolute path)."""
    everyone = (*accounts.gateways, accounts.subscriber)
    for account in stored:
        if not valid_gateway_id(account.username) or not account.password_hash.startswith(
                "$7$"):
            raise MqttRefused.of("mqtt.gateway_id_invalid", value=account.username[:80])
    _check_unique([a.username for a in everyone] + [a.username for a in stored])
    passwd = "".join(f"{a.username}:{password_hash(a.password)}\n" for a in everyone)
    passwd += "".join(f"{a.username}:{a.password_hash}\n" for a in stored)
    return MosquittoFiles(
        conf=_conf(config_dir, port, bind, persistence_dir, max_payload_bytes),
        passwd=passwd, acl=_acl(accounts, [a.username for a in stored]))


def _acl(accounts: Accounts, stored: Sequence[str] = ()) -> str:
    lines = ["# jieneng: generated by `jieneng gateway mosquitto-config`; do not edit.",
             "# A gateway writes its own readings topic only; the subscriber reads them.",
             "", f"user {accounts.subscriber.username}",
             f"topic read {SHARED_FILTER}", f"topic read {TOPIC_PREFIX}/+/readings"]
    for username in (*(g.username for g in accounts.gateways), *stored):
        lines += ["", f"user {username}", f"topic write {readings_topic(username)}"]
    return "\n".join(lines) + "\n"


def _conf(config_dir: Path, port: int, bind: str, persistence_dir: Path,
          max_payload_bytes: int) -> str:
    return "\n".join([
        "# jieneng: generated by `jieneng gateway mosquitto-config` (docs/mqtt.md).",
        "per_listener_settings false",
        f"listener {port} {bind}",
        "allow_anonymous false",
        f"password_file {config_dir / 'passwd'}",
        f"acl_file {config_dir / 'acl'}",
        "# persistent sessions and queued QoS 1 messages survive a broker restart",
        "persistence true",
        f"persistence_location {persistence_dir}/",
        "autosave_interval 60",
        "persistent_client_expiration 14d",
        "# the subscriber's queue while every worker is down (messages, not batches lost:",
        "# beyond it Mosquitto drops QoS 1 messages for the offline session)",
        "max_queued_messages 1000000",
        "# unacknowledged messages out to one session (the dispatcher of N workers may",
        "# hold K × (2N + 1) of them: docs/mqtt.md, Workers)",
        "max_inflight_messages 1000",
        f"max_packet_size {max_payload_bytes + 4096}",
        "",
    ])


def write_files(files: MosquittoFiles, out: Path) -> list[Path]:
    """Write the files into ``out`` (passwd and acl readable by their owner only)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content, mode in (("mosquitto.conf", files.conf, 0o644),
                                ("passwd", files.passwd, 0o600), ("acl", files.acl, 0o600)):
        path = out / name
        path.write_text(content, encoding="utf-8")
        path.chmod(mode)
        written.append(path)
    return written
