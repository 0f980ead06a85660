"""Issue 9, "How it is checked": every operation of the OpenAPI schema, fuzzed.

Schemathesis reads the app's own schema (``/schema/openapi.json``: JSON endpoints and
the forms, with their fields) and generates requests from it; each goes in once without
a login and once as the role that gets furthest into the route (a trustee for the
commission API, staff for the referendum pages, an admin for the admin pages), with a
valid CSRF token. Path ids point at real objects half of the time. Nothing may answer
500. ``STIMMWERK_FUZZ_EXAMPLES`` sets the examples per operation (`make fuzz` runs many).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from litestar.testing import TestClient

from tests.fuzz.conftest import EXAMPLES, FuzzWorld
from tests.fuzz.identities import BASE_URL, Browser, browsers, role_for

SENT: list[int] = []


def _real_ids(case: Any, world: FuzzWorld) -> None:
    """Half the cases reach real objects instead of stopping at "not found"."""
    params = case.path_parameters or {}
    if hash(repr(sorted(params.items(), key=str))) % 2:
        return
    real = {
        "election_id": str(world.election_id),
        "code": "OV-A",
        "member_id": world.cast.members["own"].id,
    }
    for name, value in real.items():
        if name in params:
            params[name] = value


def _fuzz_operation(
    operation: Any, world: FuzzWorld, who: dict[str, Browser], failures: list[str]
) -> None:
    @given(operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        _real_ids(case, world)
        for role in ("anonymous", role_for(case.path)):
            browser = who[role]
            request = case.as_transport_kwargs(
                base_url=BASE_URL, headers={"x-csrftoken": browser.token}
            )
            request.pop("cookies", None)  # the browser's own cookies (session, CSRF)
            if isinstance(request.get("data"), str | bytes):  # raw text: httpx wants content=
                request["content"] = request.pop("data")
            response = browser.client.request(**request, follow_redirects=False)
            SENT.append(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} as {role}: {response.status_code} "
                    f"body={case.body!r:.300} query={case.query!r:.200}"
                )

    run()


def test_no_operation_answers_500(fuzz_world: FuzzWorld) -> None:
    """(Schemathesis' pytest fixture loader does not run on pytest 9: one loop instead.)"""
    with TestClient(fuzz_world.app, base_url=BASE_URL) as client:
        raw = client.get("/schema/openapi.json").json()
    schema = schemathesis.openapi.from_dict(raw)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    with browsers(fuzz_world) as who:
        for operation in operations:
            _fuzz_operation(operation, fuzz_world, who, failures)
    print(  # noqa: T201 - the figures for docs/security.md
        f"fuzzed {len(operations)} operations with {len(SENT)} requests",
        sorted(Counter(SENT).items()),
    )
    assert len(operations) > 50
    assert not failures, "\n".join(failures[:40])
