"""Pure: signed access tokens (JWT, HS256) naming a user, its token version and an expiry.

`verify` answers the claims of a well-signed, unexpired token, else None; whether the version
is still the user's is for the caller to check (logging out raises it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import msgspec

_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")


class Claims(msgspec.Struct, frozen=True):
    """Subject (a user id), token version, issued-at and expiry (Unix seconds)."""

    sub: str
    ver: int
    iat: int
    exp: int


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _unb64(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


def sign(claims: Claims, key: bytes) -> str:
    body = _HEADER + b"." + _b64(msgspec.json.encode(claims))
    signature = hmac.new(key, body, hashlib.sha256).digest()
    return (body + b"." + _b64(signature)).decode()


def verify(token: bytes, key: bytes, now: float) -> Claims | None:
    header, _, rest = token.partition(b".")
    payload, _, signature = rest.partition(b".")
    if header != _HEADER or not payload or not signature:
        return None
    expected = hmac.new(key, header + b"." + payload, hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(signature), expected):
            return None
        claims = msgspec.json.decode(_unb64(payload), type=Claims)
    except (ValueError, msgspec.DecodeError):
        return None
    return claims if claims.exp > now else None
