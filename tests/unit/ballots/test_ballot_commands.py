"""A real election driven through ``stimmwerk election …`` (the members vote by client)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from app import cli
from app.core.db import utcnow
from app.core.settings import Settings
from ballots import client, commands, keyfile, services
from ballots.manifest import format_time
from tests import ballots_support as support


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_a_real_election_from_the_command_line(  # noqa: PLR0915
    world: support.ElectionWorld,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commands, "get_settings", lambda: settings)
    monkeypatch.setattr(keyfile, "MODERATE_LIMITS", keyfile.CHEAP_LIMITS)
    monkeypatch.setenv("STIMMWERK_TRUSTEE_PASSPHRASE", "correct horse battery staple")
    now = utcnow().replace(microsecond=0)
    definition = tmp_path / "entscheid.toml"
    definition.write_text(
        f"""
title = "Mitgliederentscheid Satzung"
unit = "LV1"
cutoff_at = "{format_time(now - timedelta(days=2))}"
opens_at = "{format_time(now - timedelta(days=1))}"
closes_at = "{format_time(now + timedelta(days=1))}"
quorum_percent = 20
threshold = 2
trustees = ["kommission1@example.org", "kommission2@example.org", "kommission3@example.org"]

[[questions]]
id = "q1"
text = "Soll die Satzung geändert werden?"
method = "yes_no_abstain"
""",
        encoding="utf-8",
    )
    out = _run(capsys, "election", "create", "--file", str(definition), "--as", "staff@example.org")
    match = re.search(r"election ([0-9a-f-]{36}) created", out)
    assert match, out
    election_id = match.group(1)
    keys = {i: tmp_path / f"trustee{i}.key" for i in (1, 2, 3)}
    for step in ("trustee-init", "trustee-deal", "trustee-check"):
        for i, path in keys.items():
            _run(
                capsys,
                "election",
                step,
                election_id,
                "--as",
                f"kommission{i}@example.org",
                "--key-file",
                str(path),
            )
    assert "verified" in _run(capsys, "election", "show", election_id)
    assert "eligible 5, postal 1" in _run(capsys, "election", "freeze-roll", election_id)
    _run(capsys, "election", "open", election_id)

    world.election_id = uuid.UUID(election_id)
    for name, option in (("anna", "yes"), ("ben", "yes"), ("cem", "no")):
        keys_ = world.keys()
        request = client.request_credential(keys_.issuer, election_id)
        answer = services.issue_credential(
            world.session, settings, world.id, world.members[name].id, request.blinded_msg
        )
        ballot = client.make_ballot(
            keys_, client.finish_credential(keys_.issuer, request, answer), {"q1": [option]}
        )
        services.cast_ballot(world.session, settings, world.id, client.ballot_bytes(ballot))

    assert cli.main(["election", "close", election_id]) == 1  # the operator must wait
    assert "before" in capsys.readouterr().err
    assert "3 ballots" in _run(
        capsys, "election", "close", election_id, "--as", "kommission1@example.org"
    )
    postal = tmp_path / "briefwahl.toml"
    postal.write_text(
        "envelopes = 1\n[questions.q1]\ncounts = {yes = 0, no = 1, abstain = 0}\n", encoding="utf-8"
    )
    # Record §7.3: unsigned figures are refused; trustees sign with their key files.
    postal_enter = ["election", "postal-enter", election_id, "--file", str(postal)]
    assert cli.main([*postal_enter, "--as", "kommission1@example.org"]) == 1
    assert "--key-file" in capsys.readouterr().err
    _run(capsys, *postal_enter, "--as", "kommission1@example.org", "--key-file", str(keys[1]))
    postal_confirm = ["election", "postal-confirm", election_id, "--file", str(postal)]
    by_first = ["--as", "kommission1@example.org", "--key-file", str(keys[1])]
    assert cli.main([*postal_confirm, *by_first]) == 1
    assert "different commission member" in capsys.readouterr().err
    by_second = ["--as", "kommission2@example.org", "--key-file", str(keys[2])]
    _run(capsys, *postal_confirm, *by_second)
    # Record v3: a statement that does not follow from the data is refused, naming why.
    election = world.election()
    honest = election.outcome_statement
    assert honest is not None
    election.outcome_statement = {**honest, "roll": {**honest["roll"], "eligible": 4}}
    world.session.commit()
    decrypt = ["election", "trustee-decrypt", election_id, "--as", "kommission2@example.org"]
    assert cli.main([*decrypt, "--key-file", str(keys[2])]) == 1
    assert "the roll counts differ from the roll" in capsys.readouterr().err
    election.outcome_statement = honest
    world.session.commit()
    for i in (2, 3):
        _run(
            capsys,
            "election",
            "trustee-decrypt",
            election_id,
            "--as",
            f"kommission{i}@example.org",
            "--key-file",
            str(keys[i]),
        )
    out = _run(capsys, "election", "tally", election_id)
    assert "q1: [2, 2, 0]" in out
    assert "binding: True" in out
    record = tmp_path / "record"
    assert "record.zip" in _run(capsys, "election", "export", election_id, "--out", str(record))
    if "verify" in cli.build_parser().format_help():
        assert cli.main(["verify", str(record), "--quiet", "--workers", "1"]) == 0, (
            capsys.readouterr().out
        )


@pytest.fixture
def world(db: object, settings: Settings, tmp_path: Path) -> support.ElectionWorld:
    return support.make_world(db, settings, tmp_path)  # type: ignore[arg-type]


def test_a_wrong_passphrase_is_reported_without_a_traceback(
    world: support.ElectionWorld,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commands, "get_settings", lambda: settings)
    monkeypatch.setattr(keyfile, "MODERATE_LIMITS", keyfile.CHEAP_LIMITS)
    support.create(world)
    monkeypatch.setenv("STIMMWERK_TRUSTEE_PASSPHRASE", "the first passphrase")
    path = tmp_path / "k.key"
    _run(
        capsys,
        "election",
        "trustee-init",
        str(world.id),
        "--as",
        "kommission1@example.org",
        "--key-file",
        str(path),
    )
    monkeypatch.setenv("STIMMWERK_TRUSTEE_PASSPHRASE", "another passphrase!")
    code = cli.main(
        [
            "election",
            "trustee-deal",
            str(world.id),
            "--as",
            "kommission1@example.org",
            "--key-file",
            str(path),
        ]
    )
    assert code == 1
    assert "wrong passphrase" in capsys.readouterr().err
