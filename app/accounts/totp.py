"""Optional TOTP second factor (RFC 6238), required for admin and commission roles."""

from __future__ import annotations

import time

import pyotp
import segno

from app.core.secrets_box import decrypt_field, encrypt_field

_PURPOSE = "totp-secret"
ISSUER = "Stimmwerk"


def new_secret() -> str:
    return pyotp.random_base32()


def seal_secret(secret_key: str, secret: str) -> str:
    return encrypt_field(secret_key, _PURPOSE, secret)


def open_secret(secret_key: str, sealed: str) -> str:
    return decrypt_field(secret_key, _PURPOSE, sealed)


def provisioning_uri(secret: str, account_label: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account_label, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """An inline SVG QR code, rendered server-side (no third-party image service)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")


def matching_step(
    secret: str, code: str, *, last_step: int | None, now: float | None = None
) -> int | None:
    """Return the time step the code belongs to, or None.

    Accepts one step of clock drift either way and refuses a step at or before the last
    accepted one, so an observed code cannot be replayed.
    """
    code = code.strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:  # noqa: PLR2004 - RFC 6238 six digits
        return None
    totp = pyotp.TOTP(secret)
    moment = time.time() if now is None else now
    current = int(moment // totp.interval)
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if totp.verify(code, for_time=step * totp.interval, valid_window=0):
            return step
    return None
