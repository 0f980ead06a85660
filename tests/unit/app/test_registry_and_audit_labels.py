"""The model registry knows every table module; the audit log has a label for every action."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from app.organisations.audit_view import ACTION_LABELS
from app.registry import MODEL_MODULES

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("app", "ballots", "referendums", "surveys", "motions")
_DECLARES_TABLE = re.compile(r"^\s+__tablename__\s*=", re.MULTILINE)


def _sources() -> list[Path]:
    return [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]


def test_every_module_with_tables_is_in_the_registry() -> None:
    declaring = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in _sources()
        if _DECLARES_TABLE.search(path.read_text()) and "migrations" not in path.parts
    }
    assert declaring <= set(MODEL_MODULES), declaring - set(MODEL_MODULES)


def test_a_fresh_interpreter_maps_every_table_after_load_models() -> None:
    """What `stimmwerk import-units` needed: audit_events.actor_id resolves to accounts."""
    code = (
        "from app.registry import load_models; load_models();"
        "from app.core.db import Base; import sys;"
        "sys.exit(0 if {'accounts', 'audit_events', 'units', 'elections'} <= set(Base.metadata.tables) else 1)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_every_recorded_action_has_a_label() -> None:
    actions: set[str] = set()
    for path in _sources():
        text = path.read_text()
        for call in re.finditer(
            r"record_event\(\s*[\w.]+,\s*(f?)\"([a-z_]+(?::[a-z_{}.]+)?)\"", text
        ):
            if call.group(1):  # f"referendum:{kind.value}s_sent"
                for kind in ("invitation", "reminder"):
                    actions.add(call.group(2).replace("{kind.value}", kind))
            else:
                actions.add(call.group(2))
    assert actions, "no record_event calls found"
    assert not actions - set(ACTION_LABELS), sorted(actions - set(ACTION_LABELS))
