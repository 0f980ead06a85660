"""Issue 9, "How it is checked": every HTML form and JSON body with hostile input.

Schemathesis generates what the schema allows; this module sends what a person or an
attacker types instead: huge strings, every kind of Unicode, control characters, digits
that are not ASCII, 5,000-digit numbers, dates in year 1, and JSON nested deeper than
any parser should follow. Every form of the app (its fields read from the OpenAPI
schema, so a new form is fuzzed without being listed here) and every JSON body gets
them, logged in as the role that reaches the handler. No answer may be a 500.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from tests.fuzz.conftest import EXAMPLES, FuzzWorld
from tests.fuzz.identities import BASE_URL, Browser, browsers, role_for

SPECIAL = [
    "\x00",
    "a\x00b",
    "\r\nBcc: x@example.org",
    "\u2028",
    "\u202eabc",
    "\x1b[31m",
    "²",
    "٣",
    "9" * 5000,
    "-1",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "[" * 2000,
    "{" * 500 + "}" * 500,
    "%00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "_%",
    "x" * 300_000,
    " ",
    "",
]
hostile_text = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=300),
    st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs")), max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=30,
)
SENT: list[int] = []


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _operations(world: FuzzWorld) -> list[tuple[str, str, str, list[str]]]:
    """(method, path, media type, field names) of every operation with a body."""
    with TestClient(world.app, base_url=BASE_URL) as client:
        schema = client.get("/schema/openapi.json").json()
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media, body in content.items():
                fields = sorted(_fields(schema, body.get("schema", {})))
                found.append((method.upper(), path, media, fields))
    return found


def _fields(schema: dict[str, Any], body: dict[str, Any]) -> set[str]:
    ref = body.get("$ref", "")
    if ref:
        body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return set(body.get("properties", {}))


def _concrete(path: str, world: FuzzWorld) -> str:
    return (
        path.replace("{election_id}", str(world.election_id))
        .replace("{code}", "OV-A")
        .replace("{member_id}", str(world.cast.members["own"].id))
        .replace("{comment_id}", "1")
        .replace("{assignment_id}", "1")
        .replace("{passkey_id}", "1")
    )


def _send(browser: Browser, method: str, url: str, media: str, body: Any) -> int:
    headers = {"x-csrftoken": browser.token}
    if media == "application/x-www-form-urlencoded":
        data = {**body, "_csrf_token": browser.token}
        response = browser.client.request(
            method, url, data=data, headers=headers, follow_redirects=False
        )
    elif isinstance(body, str):
        headers["content-type"] = media
        response = browser.client.request(
            method, url, content=body, headers=headers, follow_redirects=False
        )
    else:
        response = browser.client.request(
            method, url, json=body, headers=headers, follow_redirects=False
        )
    SENT.append(response.status_code)
    return response.status_code


def _fuzz(
    world: FuzzWorld, who: dict[str, Browser], op: tuple[str, str, str, list[str]]
) -> list[str]:
    method, path, media, fields = op
    url = _concrete(path, world)
    browser = who[role_for(path)]
    failures: list[str] = []
    if media == "application/x-www-form-urlencoded":
        names = st.sampled_from(fields) if fields else st.just("field")
        strategy: Any = st.dictionaries(names | st.text(max_size=8), hostile_text, max_size=12)
    else:
        strategy = json_values | st.integers(1, 3000).map(_deep) | hostile_text.map(str)

    @given(strategy)
    @settings(
        max_examples=EXAMPLES * 2,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(body: Any) -> None:
        status = _send(browser, method, url, media, body)
        if status >= 500:
            failures.append(f"{method} {path} as {browser.role}: {status} {body!r:.200}")

    run()
    return failures


def test_no_form_or_json_body_answers_500(fuzz_world: FuzzWorld) -> None:
    operations = _operations(fuzz_world)
    forms = [op for op in operations if op[2] == "application/x-www-form-urlencoded"]
    assert len(forms) > 20, "the schema should describe every form"
    failures: list[str] = []
    with browsers(fuzz_world) as who:
        for op in operations:
            failures += _fuzz(fuzz_world, who, op)
    print(  # noqa: T201
        f"fuzzed {len(operations)} bodies ({len(forms)} forms) with {len(SENT)} requests",
        sorted(Counter(SENT).items()),
    )
    assert not failures, "\n".join(failures[:40])
