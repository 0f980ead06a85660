"""The Celery application and after-commit dispatch.

Embedded default (``STIMMWERK_BROKER_URL=in-process``): there is no broker server;
tasks are executed in the app process right after the database commit that asked for
them. This keeps ``make run`` free of services while running exactly the same task
code. Production sets a Redis or RabbitMQ URL and runs ``stimmwerk worker``.

Tasks are never sent before the transaction that created their data commits:
``enqueue_after_commit`` parks them on the session and a session event sends them
after a successful commit (and drops them on rollback).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core.settings import Settings, get_settings

log = logging.getLogger(__name__)
_PENDING_KEY = "stimmwerk_pending_tasks"


BEAT_SCHEDULE = {
    # Opens, closes and sends the invitations and reminders of referendums
    # (referendums/notifications/tasks.py); every run is idempotent.
    "referendums-tick": {"task": "stimmwerk.referendums.tick", "schedule": 60.0},
    # Expired sessions, old login attempts and expired link tokens (app/accounts/purge.py).
    "accounts-purge": {"task": "stimmwerk.accounts.purge", "schedule": 3600.0},
    # The daily discussion digest (app/discussions/digest.py); hourly runs mail an
    # account at most once per 20 hours, so a missed hour never skips a day.
    "discussions-digest": {"task": "stimmwerk.discussions.digest", "schedule": 3600.0},
    # Initiatives whose signing deadline or board period ended (motions/services.py).
    "motions-tick": {"task": "stimmwerk.motions.tick", "schedule": 60.0},
    # Surveys whose closing time passed: results and record (surveys/tasks.py).
    "surveys-tick": {"task": "stimmwerk.surveys.tick", "schedule": 60.0},
}


def make_celery(settings: Settings) -> Celery:
    # Task modules by name: app.core must not import the feature packages (layers).
    app = Celery(
        "stimmwerk",
        include=[
            "app.core.mail",
            "app.accounts.purge",
            "app.discussions.digest",
            "referendums.notifications.tasks",
            "motions.notifications",
            "motions.tasks",
            "surveys.tasks",
        ],
    )
    configure_celery(app, settings)
    return app


def configure_celery(app: Celery, settings: Settings) -> None:
    in_process = settings.tasks_in_process
    _drop_broker_pools(app)
    app.conf.update(
        broker_url="memory://" if in_process else settings.broker_url,
        result_backend=settings.result_backend or None,
        task_always_eager=in_process,
        task_eager_propagates=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        beat_schedule=BEAT_SCHEDULE,
    )


def _drop_broker_pools(app: Celery) -> None:
    """Forget pooled broker connections made under an earlier configuration.

    Production configures once per process; tests switch between the in-process mode
    and Redis within one process. Celery itself does the same after a fork.
    """
    app.close()
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None  # noqa: SLF001 - mirrors Celery's own _after_fork


celery_app = make_celery(get_settings())


def enqueue_after_commit(session: Session, task: Task, *args: Any, **kwargs: Any) -> None:
    """Send ``task`` once the session's current transaction has committed."""
    session.info.setdefault(_PENDING_KEY, []).append((task, args, kwargs))


@event.listens_for(Session, "after_commit")
def _send_pending_tasks(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, [])
    for task, args, kwargs in pending:
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception:
            # The data is committed; a lost message must be visible, not crash the request.
            log.exception("could not enqueue task %s", task.name)
            # ...and must not count as done: a task may undo what marked it as sent
            # (app.core.mail forgets the mail's marker, so the next run retries).
            failed = getattr(task, "dispatch_failed", None)
            if failed is not None:
                try:
                    failed(args, kwargs)
                except Exception:
                    log.exception("could not undo the marker of task %s", task.name)


@event.listens_for(Session, "after_rollback")
def _drop_pending_tasks(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
