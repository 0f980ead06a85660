"""Driving the app like a browser does: read the CSRF token from the page, post the form."""

from __future__ import annotations

import re
import threading
from typing import Any

import pyotp
from httpx import Response

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_token(client: Any, page: str = "/login") -> str:
    response = client.get(page)
    match = _TOKEN.search(response.text)
    assert match, f"no CSRF token on {page} (status {response.status_code})"
    return match.group(1)


def submit(
    client: Any, form_page: str, action: str, data: dict[str, str], **kwargs: Any
) -> Response:
    """GET the page with the form, then POST the form with the token it carried."""
    token = csrf_token(client, form_page)
    return client.post(
        action, data={**data, "_csrf_token": token}, follow_redirects=False, **kwargs
    )


def log_in(client: Any, email: str, password: str) -> Response:
    return submit(client, "/login", "/login", {"email": email, "password": password})


def session_cookie(client: Any) -> str | None:
    return client.cookies.get("__Host-stimmwerk")


def totp_code(secret: str, offset_steps: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    import time

    return totp.at(time.time() + offset_steps * totp.interval)


def in_thread(target: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``target`` in a daemon thread; its result as ``value`` or its exception as
    ``error`` in the returned dict once the thread has ended (race tests pause one side)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = target()
        except Exception as error:  # noqa: BLE001 - reported to the test thread
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome
