"""axe-core in the page under test: the accessibility rules a page violates.

axe-core comes from the npm registry (``frontend/package.json`` devDependencies,
installed by ``make install``). It is evaluated through the DevTools protocol, which
the page's Content-Security-Policy (``script-src 'self'``) does not apply to, so pages
are checked exactly as served.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any) -> list[str]:
    """``rule id: selectors`` for every axe-core violation on the page as it is now."""
    if not AXE.exists():
        pytest.fail("frontend/node_modules/axe-core is missing: run `make install` (npm ci)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[str] = page.evaluate(
        """async () => (await window.axe.run(document)).violations.map(
            (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)"""
    )
    return found
