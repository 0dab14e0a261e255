"""The password policy (等保 2.0, GB/T 22239-2019 8.1.4.1 a: 身份鉴别信息具有复杂度要求).

A password is accepted when every rule holds (the first broken one is reported,
in Chinese and English, naming the rule):

1. ``blank`` — it is not empty and not only whitespace;
2. ``username`` — it does not contain the account's username (case-insensitive);
3. ``length`` — :data:`MIN_LENGTH` (8) to :data:`MAX_LENGTH` (1024) characters;
4. ``classes`` — it has at least three of the four character classes: upper-case
   letters, lower-case letters, digits, symbols (anything else but whitespace);
5. ``common`` — neither it, lower-cased, nor that without its trailing digits and
   symbols (``Password2025!`` → ``password``) is in the list of common passwords
   shipped in ``jieneng/data/passwords`` (sources in its README).

Pure: only the standard library; the list is read once.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources

from jieneng.core.exceptions import ValidationFailed

MIN_LENGTH = 8
MAX_LENGTH = 1024
MIN_CLASSES = 3
#: the rules, in the order they are checked
RULES = ("blank", "username", "length", "classes", "common")


class WeakPassword(ValidationFailed):
    """A password that breaks a rule of the policy (``details['rule']`` names it)."""

    code = "weak_password"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased."""
    path = resources.files("jieneng") / "data" / "passwords" / "common-passwords.txt.gz"
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    return frozenset(line for line in text.splitlines() if line)


def character_classes(password: str) -> int:
    """How many of upper-case, lower-case, digit and symbol ``password`` uses."""
    upper = any(c.isupper() for c in password)
    lower = any(c.islower() for c in password)
    digit = any(c.isdigit() for c in password)
    symbol = any(not (c.isupper() or c.islower() or c.isdigit() or c.isspace())
                 for c in password)
    return upper + lower + digit + symbol


def is_common(password: str) -> bool:
    """Whether ``password`` (or its stem without trailing digits/symbols) is common."""
    lowered = password.strip().lower()
    stem = lowered.rstrip("0123456789!@#$%^&*()-_=+.,;:?~`'\"[]{}<>/\\| ")
    common = common_passwords()
    return lowered in common or (len(stem) >= 4 and stem in common)


def check_password(password: str, username: str | None = None) -> None:
    """WeakPassword (field ``password``, ``rule`` one of :data:`RULES`) unless acceptable."""
    if not password.strip():
        raise WeakPassword.of("passwords.blank", field="password", rule="blank")
    name = (username or "").strip().lower()
    if name and name in password.lower():
        raise WeakPassword.of("passwords.contains_username", field="password", rule="username")
    if len(password) < MIN_LENGTH:
        raise WeakPassword.of("passwords.too_short", field="password", rule="length",
                              min_length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise WeakPassword.of("passwords.too_long", field="password", rule="length",
                              max_length=MAX_LENGTH)
    if character_classes(password) < MIN_CLASSES:
        raise WeakPassword.of("passwords.too_few_classes", field="password", rule="classes")
    if is_common(password):
        raise WeakPassword.of("passwords.common", field="password", rule="common")
