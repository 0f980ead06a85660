"""Outgoing mail: rendered by services, delivered by a Celery task.

Backends: ``outbox`` (embedded default) writes one RFC 5322 ``.eml`` file per message
to a folder; ``smtp`` delivers through the configured server. Addresses are never
logged; failures are logged with the message id only.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from celery import Task
from sqlalchemy import Uuid, delete
from sqlalchemy.orm import Session

from app.core.celery import celery_app, enqueue_after_commit
from app.core.db import Base
from app.core.errors import DomainError
from app.core.i18n import N_
from app.core.inputs import single_line_problem
from app.core.runtime import get_runtime
from app.core.settings import MailSettings

log = logging.getLogger(__name__)


def build_message(settings: MailSettings, *, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="stimmwerk.invalid")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def deliver(settings: MailSettings, message: EmailMessage) -> None:
    if settings.backend == "outbox":
        settings.outbox_dir.mkdir(parents=True, exist_ok=True)
        path = settings.outbox_dir / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(message.as_bytes())
        path.chmod(0o600)
        return
    if settings.backend != "smtp":
        raise ValueError(f"unknown mail backend {settings.backend!r}")
    smtp_class = smtplib.SMTP_SSL if settings.smtp_ssl else smtplib.SMTP
    with smtp_class(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


Marker = dict[str, Any]
"""``{"table": "<name>_mail_markers", "where": {column: value}}``: the row that says
"this mail was sent", to delete again if the mail is finally not delivered."""


def forget_marker(marker: Marker) -> None:
    """Delete a sent-marker whose mail failed for good, so the next run sends it again.

    Only tables named ``*_mail_markers`` qualify: the task's arguments come through the
    broker and must not be able to delete anything else.
    """
    name = str(marker.get("table", ""))
    table = Base.metadata.tables.get(name)
    if table is None or not name.endswith("_mail_markers"):
        log.error("mail marker of an unknown table %r not removed", name)
        return
    conditions = []
    for column, value in dict(marker.get("where", {})).items():
        is_uuid = isinstance(table.c[column].type, Uuid)
        conditions.append(table.c[column] == (uuid.UUID(str(value)) if is_uuid else value))
    runtime = get_runtime()
    with runtime.database.session() as session:
        session.execute(delete(table).where(*conditions))
        session.commit()


class _MailTask(Task):  # type: ignore[misc]
    """Forgets the mail's sent-marker when delivery has failed for good.

    A worker calls ``on_failure`` once the retries are used up. In the embedded mode
    (tasks run in-process right after the commit) and when the broker cannot take the
    task, the failure reaches ``app.core.celery``'s dispatcher instead, which calls
    ``dispatch_failed``.
    """

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        del exc, task_id, args, einfo
        _forget_from(kwargs)

    def dispatch_failed(self, args: Any, kwargs: Any) -> None:
        del args
        _forget_from(kwargs)


def _forget_from(kwargs: Any) -> None:
    marker = (kwargs or {}).get("marker")
    if marker:
        forget_marker(marker)


# Bound to our app, not @shared_task: shared tasks resolve the app through Celery's
# thread-local current_app, which in a request handler thread is Celery's default app
# (amqp://localhost), not the configured one. Celery ships no type hints.
@celery_app.task(  # type: ignore[untyped-decorator]
    base=_MailTask,
    name="stimmwerk.send_mail",
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    max_retries=5,
)
def send_mail_task(to: str, subject: str, body: str, marker: Marker | None = None) -> None:  # noqa: ARG001 - read by on_failure
    settings = get_runtime().settings.mail
    message = build_message(settings, to=to, subject=subject, body=body)
    deliver(settings, message)
    log.info("mail delivered message_id=%s", message["Message-ID"])


class MailRefused(DomainError):
    """A header value that cannot go into a mail (line breaks, control characters).

    Raised while the caller's transaction is still open, so whatever marks the mail as
    sent rolls back with it and the next run tries again (after the text is fixed),
    instead of the mail library dropping the message after the commit.
    """

    message = N_("This text cannot be used in an e-mail header.")


def check_header_values(*values: str) -> None:
    for value in values:
        if single_line_problem(value):
            raise MailRefused


def queue_mail(
    session: Session, *, to: str, subject: str, body: str, marker: Marker | None = None
) -> None:
    """Send a mail once the caller's transaction commits (headers are checked now).

    ``marker`` names the row that records the mail as sent: if delivery fails for good
    (SMTP refusal after the retries, a broken message), that row is deleted again, so a
    failed mail is never counted as sent and the next run retries it.
    """
    check_header_values(to, subject)
    if marker is None:
        enqueue_after_commit(session, send_mail_task, to, subject, body)
    else:
        enqueue_after_commit(session, send_mail_task, to, subject, body, marker=marker)
