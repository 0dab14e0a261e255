"""The one refusal of the gateway protocol: :class:`GatewayRefused`.

Every refusal has a stable code under ``gateway.`` and its zh/en texts in the
message catalogue (``error.gateway.*``). ``fatal`` codes end the connection: the
byte stream can no longer be trusted (no frame boundary to resynchronise on) or the
peer is not who it says it is.
"""

from __future__ import annotations

from jieneng.core.exceptions import ValidationFailed

#: codes after which the session closes the connection
FATAL_CODES = frozenset({
    "gateway.bad_md5",
    "gateway.unknown_gateway",
    "gateway.not_authenticated",
    "gateway.identity_changed",
    "gateway.md5_without_challenge",
})


class GatewayRefused(ValidationFailed):
    """A frame or message of a gateway was refused (bytes, cipher, XML or protocol)."""

    @property
    def fatal(self) -> bool:
        return self.code in FATAL_CODES
