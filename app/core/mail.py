"""Outgoing mail: rendered by services, delivered by a Celery task.

Backends: ``outbox`` (embedded default) writes one RFC 5322 ``.eml`` file per message
to a folder; ``smtp`` delivers through the configured server. Addresses are never
logged; failures are logged with the message id only.

Large mailings (invitations to a survey or a referendum) do not go one Celery message
per mail: ``app.core.mail_batches`` sends one task per chunk of members, which renders
its mails itself and sends them over one `MailConnection`.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from types import TracebackType
from typing import Any, Self

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
    with MailConnection(settings) as connection:
        connection.send(message)


class MailConnection:
    """Sends many messages over one connection to the mail server (opened on the first
    message, opened again after a failure); the outbox backend writes files.

    A refusal of one message (``SMTPRecipientsRefused``, ``SMTPDataError``,
    ``SMTPSenderRefused``: smtplib resets the transaction) leaves the connection usable;
    any other failure closes it, so the next message starts on a fresh one.
    """

    def __init__(self, settings: MailSettings) -> None:
        if settings.backend not in {"outbox", "smtp"}:
            raise ValueError(f"unknown mail backend {settings.backend!r}")
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        settings = self.settings
        if settings.backend == "outbox":
            settings.outbox_dir.mkdir(parents=True, exist_ok=True)
            path = settings.outbox_dir / f"{uuid.uuid4().hex}.eml"
            path.write_bytes(message.as_bytes())
            path.chmod(0o600)
            return
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused):
            raise
        except BaseException:
            self._drop()
            raise

    def open(self) -> None:
        """Connect now (else on the first message): the caller need not wait for the
        server's greeting inside a transaction."""
        if self.settings.backend == "smtp" and self._smtp is None:
            self._smtp = self._connect()

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        smtp_class = smtplib.SMTP_SSL if settings.smtp_ssl else smtplib.SMTP
        smtp = smtp_class(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
        try:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        """Say goodbye to the server (QUIT); a server already gone is fine."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            self._drop()


def is_permanent(error: BaseException) -> bool:
    """A refusal that trying again will not change (an SMTP 5xx answer, a header that
    cannot be sent), as opposed to a server that is busy or not reachable."""
    if isinstance(error, MailRefused | ValueError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)  # noqa: PLR2004 - SMTP classes
    if isinstance(error, smtplib.SMTPResponseException):
        return int(error.smtp_code) >= 500  # noqa: PLR2004
    return False


def breaks_connection(error: BaseException) -> bool:
    """The mail server is not reachable (refused, gone, timed out): the rest of a chunk
    waits for a retry instead of meeting the same failure mail by mail."""
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return int(error.smtp_code) == 421  # noqa: PLR2004 - "service not available, closing"
    if isinstance(error, smtplib.SMTPException):  # (an OSError too) one message's answer
        return False
    return isinstance(error, OSError)


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


@dataclass(frozen=True)
class Outgoing:
    """A rendered mail, not yet sent."""

    to: str
    subject: str
    body: str


_CAPTURE_KEY = "stimmwerk_mail_capture"


@contextmanager
def capturing_mail(session: Session) -> Iterator[list[Outgoing]]:
    """Within the block, `queue_mail` on ``session`` hands its mails to the caller (the
    list) instead of queuing them: a chunk task that sends mails itself can use code
    written to queue one (``MemberAccess.offer_activation``)."""
    captured: list[Outgoing] = []
    session.info[_CAPTURE_KEY] = captured
    try:
        yield captured
    finally:
        session.info.pop(_CAPTURE_KEY, None)


def queue_mail(
    session: Session, *, to: str, subject: str, body: str, marker: Marker | None = None
) -> None:
    """Send a mail once the caller's transaction commits (headers are checked now).

    ``marker`` names the row that records the mail as sent: if delivery fails for good
    (SMTP refusal after the retries, a broken message), that row is deleted again, so a
    failed mail is never counted as sent and the next run retries it. Inside
    `capturing_mail` the mail goes to the capturing caller instead.
    """
    check_header_values(to, subject)
    captured = session.info.get(_CAPTURE_KEY)
    if captured is not None:
        captured.append(Outgoing(to=to, subject=subject, body=body))
        return
    if marker is None:
        enqueue_after_commit(session, send_mail_task, to, subject, body)
    else:
        enqueue_after_commit(session, send_mail_task, to, subject, body, marker=marker)
