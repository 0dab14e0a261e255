"""AES-128 over the XML payload (reference §1.1: "AES, 128-bit key, over the XML
packet"; Ningbo: AES-CBC with zero padding). Mode, IV and padding are the profile's
:class:`Cipher`; the 16-byte key is the source's, given by the caller."""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher as _Cipher
from cryptography.hazmat.primitives.ciphers import algorithms, modes

from .errors import GatewayRefused
from .profile import Cipher

BLOCK = 16


def _engine(spec: Cipher, key: bytes) -> _Cipher[modes.CBC] | _Cipher[modes.ECB]:
    if spec.algorithm == "aes-128-ecb":
        return _Cipher(algorithms.AES128(key), modes.ECB())
    iv = key if spec.iv == "key" else bytes(BLOCK) if spec.iv == "zero" else bytes.fromhex(spec.iv)
    return _Cipher(algorithms.AES128(key), modes.CBC(iv))


def _pad(spec: Cipher, data: bytes) -> bytes:
    short = -len(data) % BLOCK
    if spec.padding == "pkcs7":
        size = short or BLOCK
        return data + bytes([size]) * size
    return data + bytes(short)


def _unpad(spec: Cipher, data: bytes) -> bytes:
    if spec.padding == "zero":
        return data.rstrip(b"\x00")
    size = data[-1] if data else 0
    if not 1 <= size <= BLOCK or data[-size:] != bytes([size]) * size:
        raise GatewayRefused.of("gateway.decrypt_failed", size=len(data))
    return data[:-size]


def check_key(key: bytes | None) -> bytes:
    if key is None or len(key) != BLOCK:
        raise GatewayRefused.of("gateway.key_invalid", size=0 if key is None else len(key))
    return key


def encrypt(spec: Cipher, key: bytes | None, plain: bytes) -> bytes:
    if not spec.enabled:
        return plain
    encryptor = _engine(spec, check_key(key)).encryptor()
    return encryptor.update(_pad(spec, plain)) + encryptor.finalize()


def decrypt(spec: Cipher, key: bytes | None, data: bytes) -> bytes:
    if not spec.enabled:
        return data
    if not data or len(data) % BLOCK:
        raise GatewayRefused.of("gateway.decrypt_failed", size=len(data))
    decryptor = _engine(spec, check_key(key)).decryptor()
    return _unpad(spec, decryptor.update(data) + decryptor.finalize())
