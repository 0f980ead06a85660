"""Command-line commands of the ballot core: ``simulate`` and ``election …``.

Thin: parse arguments, open a session, call one service (or the trustee tool), print.
``--as EMAIL`` names the account acting (staff, commission member, trustee); commands
without it run as the operator, who is trusted like the database. Passphrases of
trustee key files come from ``STIMMWERK_TRUSTEE_PASSPHRASE`` or a prompt.
"""

# ruff: noqa: T201 - a command-line module prints its results

from __future__ import annotations

import argparse
import getpass
import os
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.settings import get_settings
from ballots import audit_command

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.accounts.models import Account
    from app.core.db import Database

_KDF_CHOICES = ("moderate", "interactive", "sensitive")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``simulate`` and ``election`` on the ``stimmwerk`` parser."""
    simulate = sub.add_parser(
        "simulate", help="run a whole election on a scratch database and write its record"
    )
    simulate.add_argument("--voters", type=int, required=True, help="members who vote online")
    simulate.add_argument("--trustees", type=int, default=3)
    simulate.add_argument("--threshold", type=int, default=2)
    simulate.add_argument("--out", required=True, help="record directory (a .zip is written too)")
    simulate.add_argument("--postal", type=int, default=0, help="members voting by post")
    simulate.add_argument("--non-voters", type=int, default=0, help="online members who abstain")
    simulate.add_argument(
        "--questions",
        nargs="+",
        default=["yes_no_abstain"],
        help="yes_no_abstain, one_of:N or up_to:K/N (one per question)",
    )
    simulate.add_argument("--quorum", type=int, default=20, help="percent; 0 for none")
    simulate.add_argument("--seed", type=int)
    simulate.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    simulate.set_defaults(run=cmd_simulate)

    election = sub.add_parser("election", help="run a real election step by step")
    steps = election.add_subparsers(dest="step", required=True)
    _add_election_steps(steps)
    # The member's own check of an opened ballot (offline, no database; registered here
    # because ballots.verify_command must stay free of the engine's imports).
    audit_command.add_commands(sub)


def _add_election_steps(steps: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = steps.add_parser("create", help="create an election from a JSON or TOML file")
    create.add_argument("--file", required=True, type=Path)
    create.add_argument("--as", dest="actor", required=True, help="staff account e-mail")
    create.set_defaults(run=cmd_create)

    show = steps.add_parser("show", help="status and progress of an election")
    show.add_argument("election")
    show.set_defaults(run=cmd_show)

    for name, text in (
        ("trustee-init", "make a trustee key file and register its sealing key"),
        ("trustee-deal", "deal this trustee's shares to all trustees"),
        ("trustee-check", "open and check the shares received; keep the key share"),
        ("trustee-decrypt", "partially decrypt the closed election's aggregate"),
    ):
        step = steps.add_parser(name, help=text)
        step.add_argument("election")
        step.add_argument("--as", dest="actor", required=True, help="trustee account e-mail")
        step.add_argument("--key-file", required=True, type=Path)
        step.add_argument("--kdf", choices=_KDF_CHOICES, default="moderate")
        step.set_defaults(run=cmd_trustee, action=name)

    for name, text, function in (
        ("freeze-roll", "freeze the voter roll (at or after the cut-off)", cmd_freeze),
        ("open", "open the ballot box (at or after the opening time)", cmd_open),
        ("close", "close the ballot box (commission: also early)", cmd_close),
        ("tally", "combine the partial decryptions and the postal line", cmd_tally),
    ):
        step = steps.add_parser(name, help=text)
        step.add_argument("election")
        step.add_argument("--as", dest="actor", help="account e-mail (default: operator)")
        step.set_defaults(run=function)

    for name, text in (
        ("postal-enter", "enter the counted postal votes, signed (a trustee)"),
        ("postal-confirm", "confirm them by entering them again, signed (another trustee)"),
    ):
        step = steps.add_parser(name, help=text)
        step.add_argument("election")
        step.add_argument("--as", dest="actor", required=True)
        step.add_argument("--file", required=True, type=Path)
        step.add_argument(
            "--key-file", type=Path, help="the trustee's key file (signs the postal line)"
        )
        step.set_defaults(run=cmd_postal, action=name)

    export = steps.add_parser("export", help="write the election record of a tallied election")
    export.add_argument("election")
    export.add_argument("--out", required=True, type=Path)
    export.add_argument("--no-zip", action="store_true")
    export.set_defaults(run=cmd_export)


def _database() -> Database:
    from app.core.db import Database

    return Database(get_settings().database.url)


def _account(session: Session, email: str | None) -> Account | None:
    from app.accounts.services import find_by_email
    from app.core.errors import NotFound

    if email is None:
        return None
    account = find_by_email(session, email)
    if account is None:
        raise NotFound("There is no account with this e-mail address.")
    return account


def _election_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        from ballots.errors import ElectionNotFound

        raise ElectionNotFound from None


def cmd_simulate(args: argparse.Namespace) -> int:
    from ballots.simulate import SimulationConfig, parse_question, run_simulation

    questions = tuple(parse_question(i, spec) for i, spec in enumerate(args.questions))
    config = SimulationConfig(
        voters=args.voters,
        trustees=args.trustees,
        threshold=args.threshold,
        out=Path(args.out),
        postal=args.postal,
        non_voters=args.non_voters,
        questions=questions,
        quorum_percent=args.quorum or None,
        seed=args.seed,
        workers=args.workers,
    )
    result = run_simulation(config)
    print(f"record written to {result.record} (and {result.record}.zip)")
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    from ballots import cli_input, services

    try:
        draft, emails = cli_input.election_draft(cli_input.load_document(args.file))
    except cli_input.InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    with _database().session() as session:
        actor = _account(session, args.actor)
        assert actor is not None
        trustees = [_account(session, email) for email in emails]
        ids = [t.id for t in trustees if t is not None]
        election = services.create_election(session, get_settings(), actor, draft, ids)
        print(f"election {election.id} created (manifest hash {election.manifest_hash})")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from ballots import services

    with _database().session() as session:
        election = services.get_election(session, _election_id(args.election))
        print(f"{election.title}: {election.status.value}")
        print(f"manifest hash {election.manifest_hash}")
        for trustee in election.trustees:
            steps = [
                name
                for name, done in (
                    ("key", trustee.sealing_public_key),
                    ("dealt", trustee.dealt_at),
                    ("verified", trustee.shares_verified_at),
                )
                if done
            ]
            print(f"  trustee {trustee.index}: {', '.join(steps) or 'waiting'}")
        if election.eligible_count is not None:
            print(f"roll: eligible {election.eligible_count}, postal {election.postal_count}")
        print(f"ballots on the board: {election.board_size}")
    return 0


def _passphrase(*, twice: bool) -> str:
    configured = os.environ.get("STIMMWERK_TRUSTEE_PASSPHRASE")
    if configured:
        return configured
    first = getpass.getpass("Key file passphrase (12+ characters): ")
    if twice and getpass.getpass("Again: ") != first:
        print("error: the passphrases differ", file=sys.stderr)
        raise SystemExit(1)
    return first


def cmd_trustee(args: argparse.Namespace) -> int:
    from ballots import keyfile, trustee_tool

    limits = {
        "moderate": keyfile.MODERATE_LIMITS,
        "interactive": keyfile.INTERACTIVE_LIMITS,
        "sensitive": keyfile.KdfLimits(4, 1 << 30),
    }[args.kdf]
    election_id = _election_id(args.election)
    passphrase = _passphrase(twice=args.action == "trustee-init")
    files = {"path": args.key_file, "passphrase": passphrase, "limits": limits}
    with _database().session() as session:
        actor = _account(session, args.actor)
        assert actor is not None
        try:
            if args.action == "trustee-init":
                trustee_tool.init_trustee(session, election_id, actor, **files)
            elif args.action == "trustee-deal":
                trustee_tool.deal_shares(session, election_id, actor, **files)
            elif args.action == "trustee-check":
                outcome = trustee_tool.check_shares(session, election_id, actor, **files)
                if outcome.restarted:
                    print("a complaint was upheld: the ceremony restarts, deal again")
                elif outcome.keys_ready:
                    print("all trustees confirmed: the election key is ready")
            else:
                trustee_tool.decrypt_tally(
                    session, election_id, actor, path=args.key_file, passphrase=passphrase
                )
        except keyfile.KeyFileError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        except trustee_tool.StatementRefused as refused:
            # Record v3: the statement the server asks to bind does not follow from the data.
            print("error: not decrypted, the outcome statement does not check:", file=sys.stderr)
            for problem in refused.problems:
                print(f"  - {problem}", file=sys.stderr)
            return 1
    print(f"{args.action}: done")
    return 0


def cmd_freeze(args: argparse.Namespace) -> int:
    from ballots import services

    with _database().session() as session:
        actor = _account(session, args.actor)
        election = services.freeze_roll(session, _election_id(args.election), actor)
        print(f"roll frozen: eligible {election.eligible_count}, postal {election.postal_count}")
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    from ballots import services

    with _database().session() as session:
        actor = _account(session, args.actor)
        services.open_election(session, get_settings(), _election_id(args.election), actor)
    print("the election is open")
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    from ballots import services

    with _database().session() as session:
        actor = _account(session, args.actor)
        election = services.close_election(session, _election_id(args.election), actor)
        print(f"the election is closed with {election.board_size} ballots")
    return 0


def cmd_postal(args: argparse.Namespace) -> int:
    from ballots import cli_input, keyfile, services, trustee_tool

    election_id = _election_id(args.election)
    with _database().session() as session:
        actor = _account(session, args.actor)
        assert actor is not None
        manifest = services.manifest_of(services.get_election(session, election_id))
        try:
            line = cli_input.postal_line(cli_input.load_document(args.file), manifest)
        except cli_input.InputError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        step = "entered" if args.action == "postal-enter" else "confirmed"
        if args.key_file is not None:
            # Record §7.3: the trustee signs the figures with the key file's signing key.
            try:
                trustee_tool.postal_step(
                    session,
                    election_id,
                    actor,
                    line,
                    step,
                    path=args.key_file,
                    passphrase=_passphrase(twice=False),
                )
            except keyfile.KeyFileError as error:
                print(f"error: {error}", file=sys.stderr)
                return 1
        elif step == "entered":  # elections keyed before signing keys (else refused)
            services.enter_postal_result(session, election_id, actor, line)
        else:
            services.confirm_postal_result(session, election_id, actor, line)
        if step == "entered":
            print("postal figures entered; another trustee must confirm them")
        else:
            print("postal figures confirmed")
    return 0


def cmd_tally(args: argparse.Namespace) -> int:
    from ballots import services

    with _database().session() as session:
        actor = _account(session, args.actor)
        election = services.tally_election(session, _election_id(args.election), actor)
        assert election.tally is not None
        for question in election.tally["questions"]:
            print(f"{question['question']}: {question['result']}")
        turnout = election.tally["turnout"]
        print(
            f"participants {turnout['participants']} of {turnout['eligible']}; "
            f"binding: {election.tally['binding']}"
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ballots.record_writer import write_record

    with _database().session() as session:
        archive = write_record(
            session, _election_id(args.election), args.out, make_zip=not args.no_zip
        )
    print(f"record written to {args.out}" + (f" and {archive}" if archive else ""))
    return 0
