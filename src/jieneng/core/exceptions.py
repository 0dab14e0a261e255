"""The one exception tree of jieneng.

::

    JienengError
     └── DomainError                 a rule of the domain was broken
          ├── ValidationFailed       input is invalid; carries bilingual messages
          │    ├── UnknownUnit       a unit string that is not recognised
          │    ├── UnitMismatch      a unit that does not fit the carrier (电 in 吨)
          │    ├── InvalidCode       a malformed credit / organisation / region code
          │    └── ImportRejected    a file failed validation; carries every issue
          │                          (kind import_rejected)
          ├── NotFound               a region, institution, factor set … does not exist
          ├── Conflict               a duplicate or a concurrent change
          └── NotPermitted           outside the caller's scope or role

No HTTP status codes here: the web layer maps these classes to responses, the
CLI maps them to exit status 1 with the bilingual message.

Every refusal is raised from the message catalogue (:mod:`jieneng.core.messages`)
under a stable, specific code: ``raise NotPermitted.of("alerts.acknowledge_needs_capability",
alert_id=3)`` gives ``code == "alerts.acknowledge_needs_capability"``, ``kind ==
"not_permitted"`` (the general class, which the web layer maps to a status), the
catalogue's ``error.<code>`` texts in Chinese and English formatted with the
details, and the details themselves. No raise site carries its own text (a test
checks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from jieneng.core.messages import error_texts


class JienengError(Exception):
    """Base of every error raised on purpose by jieneng."""


class DomainError(JienengError):
    """A domain rule was broken.

    ``code`` is the specific stable code of the refusal (the class's own ``code``
    unless raised with :meth:`of`), ``kind`` the general class; ``message_zh`` and
    ``message_en`` are the two user-facing texts; ``str(err)`` gives both, Chinese
    first.
    """

    #: the general class of the refusal (the API's ``kind``)
    kind: ClassVar[str] = "domain_error"
    code: str = "domain_error"

    def __init__(self, message_zh: str, message_en: str | None = None, **details: Any) -> None:
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        self.details = details
        super().__init__(f"{self.message_zh} / {self.message_en}")

    @classmethod
    def of(
        cls, code: str, /, *, values: Mapping[str, Any] | None = None, **details: Any
    ) -> Self:
        """The refusal ``code``: its texts are the catalogue's ``error.<code>`` formatted
        with ``details``, which the API also returns, and ``values``, which it does not
        (labels in each language: ``role_zh``, ``role_en``)."""
        zh, en = error_texts(code, {**details, **(values or {})})
        err = cls(zh, en, **details)
        err.code = code
        return err

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang.startswith("en") else self.message_zh


class ValidationFailed(DomainError):
    kind = "validation_failed"
    code = "validation_failed"


class UnknownUnit(ValidationFailed):
    code = "unknown_unit"


class UnitMismatch(ValidationFailed):
    code = "unit_mismatch"


class InvalidCode(ValidationFailed):
    code = "invalid_code"


class ImportRejected(ValidationFailed):
    """A file failed validation; ``issues`` lists every problem found (each under
    its own import issue code). ``import_rejected`` is its kind: a client finds the
    problems in ``details.issues``."""

    kind = "import_rejected"
    code = "import_rejected"
    #: every issue of the file (a polars frame, :mod:`jieneng.ingest.issue_table`)
    #: when more were found than ``issues`` lists; for the full error report
    report: Any = None

    def __init__(
        self, message_zh: str, message_en: str, issues: list[Any], **details: Any
    ) -> None:
        super().__init__(message_zh, message_en, issues=issues, **details)
        self.issues = issues


class NotFound(DomainError):
    kind = "not_found"
    code = "not_found"


class Conflict(DomainError):
    kind = "conflict"
    code = "conflict"


class NotPermitted(DomainError):
    kind = "not_permitted"
    code = "not_permitted"
