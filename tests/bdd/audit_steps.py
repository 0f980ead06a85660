"""Shared steps about the audit log: whether an action was recorded at all.

Test modules whose features need them import them with
``from tests.bdd.audit_steps import *`` (pytest-bdd finds steps only in the test module
or a ``conftest.py``). The wordings of the discussion and the referendum features are
both kept: one step, two ways of saying it.
"""

from __future__ import annotations

from pytest_bdd import parsers, then
from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.core.db import Database
from tests.bdd.conftest import fresh_session


def _count(database: Database, action: str) -> int:
    with fresh_session(database) as session:
        count = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )
    return count or 0


@then(parsers.parse('the audit log holds "{action}"'))
@then(parsers.parse('the audit log records "{action}"'))
def audit_holds(database: Database, action: str) -> None:
    assert _count(database, action), f"no audit event {action}"


@then(parsers.parse('the audit log does not hold "{action}"'))
@then(parsers.parse('the audit log does not record "{action}"'))
def audit_lacks(database: Database, action: str) -> None:
    assert _count(database, action) == 0, f"audit event {action} recorded"
