"""The ``stimmwerk`` command line: migrate, demo, serve, worker, imports, admin tasks.

Settings come from ``STIMMWERK_*`` environment variables (see app/core/settings.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.core.db import Database
    from app.core.settings import Settings

Command = Callable[[argparse.Namespace], int]


def cmd_migrate(_: argparse.Namespace) -> int:
    from app.core import migrate

    settings = get_settings()
    migrate.upgrade(settings.database.url)
    print("database is at the newest schema")
    return 0


def cmd_check_migrations(_: argparse.Namespace) -> int:
    from app.core import migrate

    migrate.check(get_settings().database.url)
    print("models and migrations agree")
    return 0


def cmd_demo(_: argparse.Namespace) -> int:
    from app.demo import load_demo

    settings = get_settings()
    with _session() as session:
        logins = load_demo(session, settings)
    print(f"Demo data is loaded. Demo logins (password for all: {logins.password}):")
    for email, description in logins.accounts:
        print(f"  {email:<32} {description}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    if settings.tasks_in_process and not args.no_schedule:
        _start_embedded_schedule(settings)
    # The worker processes read their settings afresh: a serving process freezes its
    # long-lived objects (Settings.gc_freeze), unless the operator said otherwise.
    os.environ.setdefault("STIMMWERK_GC_FREEZE", "1")
    os.environ.setdefault("STIMMWERK_SWITCH_INTERVAL_MS", "1")
    uvicorn.run(
        "app.server:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        server_header=False,
        log_level="info",
        # Access logs would hold query strings, and e-mailed links carry one-time tokens
        # there; off unless asked for (then keep such logs as secret as the database).
        access_log=args.access_log,
    )
    return 0


SCHEDULE_SECONDS = 60


def _start_embedded_schedule(settings: Settings) -> None:
    """Stand in for Celery beat in the embedded mode (no broker, no worker).

    Without it, `make run` would never open or close a referendum or a survey, never
    decide an initiative, nor send their mails. One daemon thread in the serving
    process runs `run_embedded_schedule` every minute; it is safe beside other runs
    (row locks, unique markers). Production runs beat in `stimmwerk worker` instead.
    """
    import logging
    import threading
    import time

    from app.core.db import Database
    from app.core.runtime import set_runtime

    log = logging.getLogger("stimmwerk.schedule")
    database = Database(settings.database.url)
    set_runtime(settings, database)  # mails sent after commit find the settings

    def loop() -> None:
        while True:
            try:
                run_embedded_schedule(database, settings)
            except Exception:  # a bad minute must not stop the schedule
                log.exception("embedded schedule run failed")
            time.sleep(SCHEDULE_SECONDS)

    threading.Thread(target=loop, name="stimmwerk-schedule", daemon=True).start()


@dataclasses.dataclass(frozen=True)
class ScheduleStep:
    """A step of the schedule: `stimmwerk tick` runs every step once, the embedded mode
    those that beat runs every minute (`app.core.celery.BEAT_SCHEDULE`). ``run`` does it
    in its own session and returns the line ``tick`` prints. One list for both, so a
    step added for one cannot be missing from the other (the embedded schedule once
    missed the initiatives)."""

    run: Callable[[Session, Settings], str]
    every_minute: bool = True


def _referendums_step(session: Session, settings: Settings) -> str:
    from referendums.notifications.tasks import run_schedule

    report = run_schedule(session, settings)
    return (
        f"frozen {len(report.frozen)}, opened {len(report.opened)}, closed "
        f"{len(report.closed)}, invitations {report.invitations}, reminders {report.reminders}"
    )


def _surveys_step(session: Session, settings: Settings) -> str:
    from surveys.tasks import close_due, send_due_mails

    closed = close_due(session, settings)
    mails = send_due_mails(session, settings)
    return (
        f"surveys closed {len(closed.closed)}, waiting for paper {len(closed.waiting)}, "
        f"invitations {mails.invitations}, reminders {mails.reminders}"
    )


def _initiatives_step(session: Session, settings: Settings) -> str:
    from motions.notifications import run_mail_schedule
    from motions.services import run_deadlines

    del settings  # the services read what they need
    decided = run_deadlines(session)
    queued = run_mail_schedule(session)
    return (
        f"initiatives decided {len(decided.decided)}, "
        f"referendums due {len(decided.referendum_due)}, mails queued {queued}"
    )


def _purge_step(session: Session, settings: Settings) -> str:
    from app.accounts.purge import purge_expired_data

    purged = purge_expired_data(session, settings.security)
    return (
        f"purged sessions {purged.sessions}, login attempts {purged.attempts}, "
        f"link tokens {purged.tokens}"
    )


def _digests_step(session: Session, settings: Settings) -> str:
    from app.discussions.digest import send_digests

    return f"discussion digests {send_digests(session, settings)}"


SCHEDULE: tuple[ScheduleStep, ...] = (
    ScheduleStep(_referendums_step),
    ScheduleStep(_surveys_step),
    ScheduleStep(_initiatives_step),
    ScheduleStep(_purge_step),
    # Beat sends the digest hourly and each run mails what is new since the last one, so
    # the embedded minute does not; `tick` (cron, as often as the operator sets) does.
    ScheduleStep(_digests_step, every_minute=False),
)


def run_schedule_steps(database: Database, settings: Settings, *, minute: bool) -> list[str]:
    """Run the steps of `SCHEDULE` (with ``minute``, only the every-minute ones), each in
    its own session; the lines of their reports."""
    lines = []
    for step in SCHEDULE:
        if minute and not step.every_minute:
            continue
        with database.session() as session:
            lines.append(step.run(session, settings))
    return lines


def run_embedded_schedule(database: Database, settings: Settings) -> None:
    """One minute of beat's schedule (the every-minute steps of `SCHEDULE`)."""
    run_schedule_steps(database, settings, minute=True)


def cmd_tick(_: argparse.Namespace) -> int:
    """Run every step of the schedule once (`SCHEDULE`: referendums, surveys,
    initiatives, the purge, the discussion digest) and print what each did; for cron
    where there is no Celery beat."""
    database = _database()
    try:
        for line in run_schedule_steps(database, get_settings(), minute=False):
            print(line)
    finally:
        database.dispose()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from app.core.celery import celery_app

    settings = get_settings()
    if settings.tasks_in_process:
        print(
            "STIMMWERK_BROKER_URL is 'in-process': tasks run inside the app, no worker is needed.\n"
            "Set it to a Redis or RabbitMQ URL to run workers.",
            file=sys.stderr,
        )
        return 2
    argv = ["worker", "--loglevel", args.loglevel, "--concurrency", str(args.concurrency)]
    if not args.no_beat:
        argv.append("--beat")
        argv.extend(["--schedule", str(settings.var_dir / "celerybeat-schedule")])
    celery_app.worker_main(argv)
    return 0


def cmd_import_units(args: argparse.Namespace) -> int:
    from app.organisations.imports import ImportRejected, import_units

    with _session() as session:
        try:
            report = import_units(session, Path(args.file))
        except ImportRejected as rejected:
            return _print_rejection(rejected)
    print(_report_line("units", report))
    return 0


def cmd_import_members(args: argparse.Namespace) -> int:
    from app.organisations.imports import ImportRejected, import_members

    with _session() as session:
        try:
            report = import_members(
                session, Path(args.file), mark_missing_left=args.mark_missing_left
            )
        except ImportRejected as rejected:
            return _print_rejection(rejected)
    print(_report_line("members", report))
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    from app.organisations.admin_setup import create_admin

    password = os.environ.get("STIMMWERK_ADMIN_PASSWORD") or getpass.getpass(
        "Password (12+ characters): "
    )
    settings = get_settings()
    with _session() as session:
        message = create_admin(
            session,
            settings,
            email=args.email,
            name=args.name,
            password=password,
            unit_code=args.unit,
        )
    print(message)
    return 0


def cmd_grant_role(args: argparse.Namespace) -> int:
    from app.organisations import roles

    with _session() as session:
        roles.grant_role(session, None, email=args.email, role=args.role, unit_code=args.unit)
    print(f"granted {args.role} on {args.unit}")
    return 0


def cmd_invite_members(args: argparse.Namespace) -> int:
    from app.accounts.passwords import make_hasher
    from app.core.celery import celery_app, configure_celery
    from app.core.runtime import set_runtime
    from app.organisations import units
    from app.organisations.activation import invite_members

    settings = get_settings()
    database = _database()
    set_runtime(settings, database)
    configure_celery(celery_app, settings)
    with database.session() as session:
        unit = units.get_unit(session, args.unit)
        report = invite_members(session, settings, make_hasher(settings.security), unit, actor=None)
    print(
        f"invited {report.invited}, linked guest accounts {report.linked_guests}, "
        f"without e-mail {report.without_email}, already active {report.already_active}"
    )
    return 0


def _database() -> Database:
    from app.core.db import Database

    settings = get_settings()
    return Database(settings.database.url)


def _report_line(kind: str, report: object) -> str:
    # ImportReport is a slotted dataclass: it has no __dict__ for vars().
    assert dataclasses.is_dataclass(report)
    fields = ", ".join(
        f"{f.name} {_shown(getattr(report, f.name))}" for f in dataclasses.fields(report)
    )
    return f"{kind} imported: {fields}"


def _shown(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


@contextmanager
def _session() -> Iterator[Session]:
    """A session on the configured database; the engine is closed afterwards."""
    database = _database()
    try:
        with database.session() as session:
            yield session
    finally:
        database.dispose()


def _print_rejection(rejected: Exception) -> int:
    errors = getattr(rejected, "errors", [])
    print(f"The file was rejected; nothing was changed. {len(errors)} problem(s):", file=sys.stderr)
    for error in errors:
        field = f", {error.field}" if getattr(error, "field", None) else ""
        value = f" ({error.value})" if getattr(error, "value", None) else ""
        print(f"  line {error.line}{field}: {error.message}{value}", file=sys.stderr)
    if not errors:
        print(f"  {rejected}", file=sys.stderr)
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stimmwerk", description="Stimmwerk participation and voting"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(run=cmd_migrate)
    sub.add_parser("check-migrations", help="fail if models and migrations differ").set_defaults(
        run=cmd_check_migrations
    )
    sub.add_parser("demo", help="load demo data (idempotent)").set_defaults(run=cmd_demo)

    serve = sub.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--proxy-headers", action="store_true", help="trust X-Forwarded-For from the proxy"
    )
    serve.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    serve.add_argument(
        "--access-log", action="store_true", help="log requests (URLs may hold one-time tokens)"
    )
    serve.add_argument(
        "--no-schedule",
        action="store_true",
        help="in the embedded mode, do not run the referendum schedule in this process",
    )
    serve.set_defaults(run=cmd_serve)
    sub.add_parser(
        "tick", help="run the schedule once: referendums, initiatives, surveys (for cron)"
    ).set_defaults(run=cmd_tick)

    worker = sub.add_parser("worker", help="run a Celery worker (with beat)")
    worker.add_argument("--concurrency", type=int, default=2)
    worker.add_argument("--loglevel", default="info")
    worker.add_argument(
        "--no-beat", action="store_true", help="run beat elsewhere (only one beat per site)"
    )
    worker.set_defaults(run=cmd_worker)

    units = sub.add_parser("import-units", help="import units from CSV code,name,level,parent_code")
    units.add_argument("file")
    units.set_defaults(run=cmd_import_units)

    members = sub.add_parser("import-members", help="import the member register from CSV")
    members.add_argument("file")
    members.add_argument(
        "--mark-missing-left", action="store_true", help="members absent from the file have left"
    )
    members.set_defaults(run=cmd_import_members)

    admin = sub.add_parser(
        "create-admin",
        help="create an admin account (password from STIMMWERK_ADMIN_PASSWORD or prompt)",
    )
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Administrator")
    admin.add_argument("--unit", help="unit code of the admin's scope (default: the root unit)")
    admin.set_defaults(run=cmd_create_admin)

    grant = sub.add_parser("grant-role", help="grant a role on a unit to an account")
    grant.add_argument("--email", required=True)
    grant.add_argument(
        "--role", required=True, choices=["admin", "staff", "board", "commission", "auditor"]
    )
    grant.add_argument("--unit", required=True)
    grant.set_defaults(run=cmd_grant_role)

    check = sub.add_parser(
        "initiative-check", help="check a published initiative signature list (JSON)"
    )
    check.add_argument("file")
    receipt = check.add_mutually_exclusive_group()
    receipt.add_argument("--leaf", help="a signer's receipt code (64 hex): is it in the list?")
    receipt.add_argument("--salt", help="a signer's receipt salt (32 hex), with --number")
    check.add_argument("--number", help="the signer's membership number, with --salt")
    check.add_argument(
        "--root", help="the root shown on the initiative's page (64 hex): the list must have it"
    )
    check.set_defaults(run=cmd_initiative_check)

    invite = sub.add_parser("invite-members", help="e-mail activation links to members of a unit")
    invite.add_argument("--unit", required=True)
    invite.set_defaults(run=cmd_invite_members)
    _add_ballot_commands(sub)
    return parser


def _add_ballot_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Commands of the ballot core, defined next to the code they drive."""
    from ballots import commands, verify_command
    from surveys import verify_command as survey_verify

    commands.add_commands(sub)
    verify_command.add_commands(sub)
    survey_verify.extend_verify(sub)  # `verify` also takes survey records


def cmd_initiative_check(args: argparse.Namespace) -> int:
    """Check a published initiative signature list (root, count, leaves) without a server,
    and with ``--leaf`` or ``--salt``/``--number`` that a signer's receipt is in it."""
    import json

    from motions.commitment import check_published

    if (args.salt is None) != (args.number is None):
        print("--salt and --number go together (both from the receipt)", file=sys.stderr)
        return 2
    try:
        document = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        print(f"cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    if not isinstance(document, dict):
        print(f"{args.file} is not a published signature list", file=sys.stderr)
        return 2
    results = check_published(document)
    if args.root is not None:  # a list forged whole agrees with itself, not with the page
        root = args.root.strip().lower()
        results.append(
            (f"the list's root is the published root {root}", document.get("root") == root)
        )
    wanted = _receipt_leaf(document, args)
    if wanted is None:
        return 2
    if wanted:
        from motions.commitment import includes

        found = all(ok for _, ok in results) and includes(document, wanted)
        results.append((f"the receipt's leaf {wanted.hex()} is in the list", found))
    for name, ok in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    return 0 if all(ok for _, ok in results) else 1


def _receipt_leaf(document: dict[str, Any], args: argparse.Namespace) -> bytes | None:
    """The receipt's leaf from --leaf or --salt/--number (b"" without one; None after
    printing why the receipt is malformed)."""
    from motions.commitment import initiative_of, parse_leaf, receipt_leaf

    try:
        if args.leaf is not None:
            return parse_leaf(args.leaf)
        if args.salt is not None:
            return receipt_leaf(initiative_of(document), args.number, args.salt)
    except ValueError as error:
        print(f"not a receipt: {error}", file=sys.stderr)
        return None
    return b""


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from app.core.errors import DomainError
    from app.registry import load_models

    # Every command runs as a fresh process: map all tables before any session opens,
    # whatever subset of modules the command itself imports.
    load_models()
    try:
        return int(args.run(args))
    except DomainError as error:
        details = getattr(error, "errors", None)
        print(f"error: {error.message}" + (f" {details}" if details else ""), file=sys.stderr)
        return 1
    except OSError as error:
        # A missing or unreadable file is the operator's to fix: say which, no traceback.
        reason = error.strerror or type(error).__name__
        where = f": {error.filename}" if error.filename else ""
        print(f"error: {reason}{where}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
