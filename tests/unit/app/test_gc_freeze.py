"""A serving process freezes its long-lived objects and shortens the interpreter's
switch interval; the tests' apps do neither.

Each case starts the app in a fresh interpreter (freezing is for the whole process,
and this one runs thousands of apps), through its real startup hooks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_SERVING = {"STIMMWERK_GC_FREEZE", "STIMMWERK_SWITCH_INTERVAL_MS"}
_STARTED = """
import gc, sys
from litestar.testing import TestClient
from app.server import create_app
before = gc.get_freeze_count()
with TestClient(create_app()) as client:
    assert client.get("/healthz").status_code == 200
    print(before, gc.get_freeze_count(), sys.getswitchinterval())
"""


def _started(tmp_path: Path, **env: str) -> tuple[int, int, float]:
    result = subprocess.run(
        [sys.executable, "-c", _STARTED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={
            **{key: value for key, value in os.environ.items() if key not in _SERVING},
            "STIMMWERK_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "STIMMWERK_VAR_DIR": str(tmp_path),
            **env,
        },
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    before, after, interval = result.stdout.split()
    return int(before), int(after), float(interval)


def test_a_serving_process_freezes_what_it_holds_after_startup(tmp_path: Path) -> None:
    before, after, interval = _started(
        tmp_path, STIMMWERK_GC_FREEZE="1", STIMMWERK_SWITCH_INTERVAL_MS="1"
    )
    assert before == 0
    assert after > 10_000  # modules, mappers, routes: the collector no longer walks them
    assert interval == 0.001


def test_an_app_without_the_settings_changes_neither(tmp_path: Path) -> None:
    assert _started(tmp_path) == (0, 0, 0.005)
