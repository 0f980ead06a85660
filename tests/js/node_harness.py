"""One Node.js process per test module that answers JSON requests, one per line.

The ``*_harness.mjs`` scripts of this folder read ``{"op": ..., ...}`` lines and answer
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": ...}``; the ``test_*_agrees``
modules compare those answers with the Python implementation. Skipped only where
``node`` is not installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "frontend" / "node_modules"


class Harness:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def ask(self, op: str, **request: Any) -> dict[str, Any]:
        """The harness's answer, ``ok`` or not."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps({"op": op, **request}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the JavaScript harness stopped"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def call(self, op: str, **request: Any) -> Any:
        """The result of ``op``, which must succeed."""
        answer = self.ask(op, **request)
        assert answer["ok"], f"{op}: {answer['error']}"
        return answer["result"]

    def fails(self, op: str, **request: Any) -> bool:
        return not self.ask(op, **request)["ok"]


def node_harness(script: str, *, what: str, package: str | None = None) -> Iterator[Harness]:
    """Run ``tests/js/<script>`` under node for a module-scoped fixture (``yield from``).
    ``what`` names the code under test in the skip message; ``package`` (for example
    ``@noble/curves``) must be installed in ``frontend/node_modules``."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(f"node is not installed: {what} cannot be tested")
    if package is not None and not (NODE_MODULES / package).exists():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed: frontend dependencies are missing")
        pytest.fail("frontend/node_modules is missing: run `make install` (npm ci)")
    process = subprocess.Popen(  # fixed argv, our own script
        [node, str(ROOT / "tests" / "js" / script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
    )
    try:
        yield Harness(process)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=10)
