"""The one message catalogue (issue 10 §1, DESIGN.md §4): every refusal raised in
``src`` under a catalogued code, in both languages with the same placeholders, no
text at a raise site, no catalogue key left unused, and ``docs/messages.md``
generated from it."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from jieneng.core import messages
from jieneng.core.exceptions import DomainError, NotFound, NotPermitted, ValidationFailed

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "jieneng"
DOCS = ROOT / "docs" / "messages.md"
BASES = {"DomainError", "ValidationFailed", "UnknownUnit", "UnitMismatch", "InvalidCode",
         "ImportRejected", "NotFound", "Conflict", "NotPermitted"}


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _error_classes() -> set[str]:
    """Names of DomainError and of every class in ``src`` that derives from one."""
    found = set(BASES)
    classes = [node for _, tree in _modules() for node in ast.walk(tree)
               if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in classes:
            if node.name not in found and any(
                isinstance(b, ast.Name) and b.id in found for b in node.bases
            ):
                found.add(node.name)
                grew = True
    return found


def _raised() -> list[tuple[str, int, str, set[str] | None]]:
    """``(file, line, code, keyword names or None when **details)`` of every
    ``ErrorClass.of("code", …)``."""
    names = _error_classes()
    out = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "of" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in names):
                first = node.args[0] if node.args else None
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                    f"{path}:{node.lineno}: the code of a refusal is a literal")
                keywords = {k.arg for k in node.keywords if k.arg != "values"}
                keywords |= {key.value for k in node.keywords if k.arg == "values"
                             and isinstance(k.value, ast.Dict)
                             for key in k.value.keys if isinstance(key, ast.Constant)}
                if any(k.arg == "values" and not isinstance(k.value, ast.Dict)
                       for k in node.keywords):
                    keywords.add(None)
                out.append((f"{path.relative_to(ROOT)}", node.lineno, first.value,
                            None if None in keywords else {k for k in keywords if k}))
    return out


def _same(fields: frozenset[str]) -> set[str]:
    """Placeholders with ``_zh``/``_en`` folded: each language names its own label."""
    return {re.sub(r"_(zh|en)$", "_*", f) for f in fields}


def test_both_languages_hold_the_same_keys_and_placeholders() -> None:
    zh, en = messages.catalogue("zh-CN"), messages.catalogue("en")
    assert set(zh) == set(en)
    differ = {k for k in zh
              if _same(messages.placeholders(zh[k])) != _same(messages.placeholders(en[k]))}
    assert not differ, f"placeholders differ between zh and en: {sorted(differ)}"


def test_every_code_raised_is_catalogued_with_its_values() -> None:
    zh, en = messages.catalogue("zh-CN"), messages.catalogue("en")
    raised = _raised()
    assert len(raised) > 200  # every refusal of src (a sanity check of the scan)
    missing = [(f, line, code) for f, line, code, _ in raised
               if messages.ERROR + code not in zh or messages.ERROR + code not in en]
    assert not missing, f"codes not in the catalogue: {missing}"
    unfilled = [
        (f, line, code, sorted(need - given))
        for f, line, code, given in raised if given is not None
        for need in [set(messages.placeholders(zh[messages.ERROR + code]))
                     | set(messages.placeholders(en[messages.ERROR + code]))]
        if need - given
    ]
    assert not unfilled, f"placeholders without a value: {unfilled}"


def _is_text(node: ast.expr) -> bool:
    return (isinstance(node, ast.JoinedStr)
            or (isinstance(node, ast.Constant) and isinstance(node.value, str))
            or (isinstance(node, ast.BinOp) and (_is_text(node.left) or _is_text(node.right))))


def test_no_refusal_carries_its_own_text() -> None:
    names = _error_classes()
    inline = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path, tree in _modules() for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        and node.func.id in names and any(_is_text(a) for a in node.args)
    ]
    assert not inline, f"raise with inline text (use ErrorClass.of(code, ...)): {inline}"


def test_no_finding_carries_its_own_text() -> None:
    """An import issue or an entry finding built in place reads its texts from the
    catalogue too (``message_zh=…``/``message_en=…`` are never literals)."""
    inline = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path, tree in _modules() for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for k in node.keywords if k.arg in ("message_zh", "message_en") and _is_text(k.value)
    ]
    assert not inline, f"findings with inline text: {inline}"


def _used() -> tuple[set[str], set[str]]:
    """String literals of ``src`` (Python, and quoted keys in templates) and the
    prefixes of keys built at run time (``t('role.' ~ …)``, ``f"nav.{…}"``)."""
    literals: set[str] = set()
    prefixes: set[str] = set()
    for _, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values:
                head = node.values[0]
                if isinstance(head, ast.Constant) and isinstance(head.value, str):
                    prefixes.add(head.value)
    for template in (SRC / "web" / "templates").rglob("*.html"):  # any quoted key
        for key in re.findall(r"""['"]([a-z][\w\-]*\.[\w.\-]*)['"]""",
                              template.read_text("utf-8")):
            (prefixes if key.endswith(".") else literals).add(key)
    return literals, {p for p in prefixes if p.endswith(".") and len(p) > 3}


def test_no_catalogue_key_is_unused() -> None:
    literals, prefixes = _used()
    unused = sorted(
        key for key in messages.catalogue("zh-CN")
        if key not in literals and key.removeprefix(messages.ERROR) not in literals
        and not any(key.startswith(p) for p in prefixes)
    )
    assert not unused, f"catalogue keys used nowhere: {unused}"


def test_a_refusal_reads_its_catalogue_texts_with_its_details() -> None:
    err = NotFound.of("accounts.user_not_found", user_id=7)
    assert (err.code, err.kind) == ("accounts.user_not_found", "not_found")
    assert err.details == {"user_id": 7}
    assert "7" in err.message("zh") and "7" in err.message("en")
    assert err.message("zh") != err.message("en")
    assert ValidationFailed("x").code == ValidationFailed.kind == "validation_failed"
    assert isinstance(NotPermitted.of("web.read_only"), DomainError)


def test_a_missing_value_reads_as_its_placeholder() -> None:
    assert messages.text("en", "error.rate_limited").endswith("{seconds} s")
    assert messages.text("en", "error.rate_limited", other=1).endswith("{seconds} s")
    assert messages.text("fr", "nav.overview") == messages.text("zh-CN", "nav.overview")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_error_text_formats(lang: str) -> None:
    for code in messages.error_codes():
        template = messages.template(lang, messages.ERROR + code)
        values = {name: 1 for name in messages.placeholders(template)}
        template.format(**values)


def test_docs_table_is_generated_from_the_catalogue() -> None:
    assert DOCS.read_text(encoding="utf-8") == messages.codes_markdown(), (
        "regenerate: .venv/bin/python -m jieneng.core.messages > docs/messages.md"
    )
