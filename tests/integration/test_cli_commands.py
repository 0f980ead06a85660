"""Issue 9, finding 3: every command of docs/operations.md, run as a fresh process.

In-process calls share the test run's imports and hid that ``import-units`` could not
map ``audit_events.actor_id`` on its own. Here each command is the installed
``stimmwerk`` entry point in a new interpreter, on a database that only the CLI itself
ever touched (``stimmwerk migrate`` once, then a copy per test). A PostgreSQL smoke run
does the first installation there too when STIMMWERK_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL, _pg_admin

STIMMWERK = Path(sys.executable).parent / "stimmwerk"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
PASSWORD = "ein langes Admin-Passwort"

UNITS = """code,name,level,parent_code
BV,Bundesverband,federal,
LV1,Landesverband Eins,state,BV
UB1,Unterbezirk Eins,subdistrict,LV1
OV-A,Ortsverein Ahorn,local,UB1
"""
MEMBERS = """membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote
M-1,Anna,Ahorn,anna@example.org,1950,OV-A,2001-02-03,active,0
M-2,Bernd,Birke,,1960,OV-A,2005-04-03,active,1
"""


def run(
    env: dict[str, str], *args: str, cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(STIMMWERK), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _env(url: str, var: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("STIMMWERK_")}
    return {
        **keep,
        "STIMMWERK_DATABASE_URL": url,
        "STIMMWERK_VAR_DIR": str(var),
        "STIMMWERK_SECRET_KEY": "cli-test-secret-" + "x" * 32,
        "STIMMWERK_MAIL_BACKEND": "outbox",
        "STIMMWERK_MAIL_OUTBOX": str(var / "outbox"),
        "STIMMWERK_ARGON2_TIME_COST": "1",
        "STIMMWERK_ARGON2_MEMORY_KIB": "8",
        "STIMMWERK_ARGON2_PARALLELISM": "1",
    }


def assert_clean(result: subprocess.CompletedProcess[str], code: int = 0) -> None:
    """The expected exit code and never a Python traceback."""
    shown = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == code, shown
    assert "Traceback" not in result.stderr + result.stdout, shown


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file made by `stimmwerk migrate` in a fresh process (tested here too)."""
    folder = tmp_path_factory.mktemp("cli-template")
    path = folder / "template.sqlite3"
    result = run(_env(f"sqlite:///{path}", folder / "var"), "migrate", cwd=folder)
    assert_clean(result)
    assert "newest schema" in result.stdout
    return path


@pytest.fixture
def cli(migrated: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a fresh installation, with its own copy of the database."""
    path = tmp_path / "stimmwerk.sqlite3"
    shutil.copy(migrated, path)
    (tmp_path / "units.csv").write_text(UNITS)
    (tmp_path / "members.csv").write_text(MEMBERS)
    return _env(f"sqlite:///{path}", tmp_path / "var")


def _installed(env: dict[str, str], cwd: Path) -> None:
    """The first installation of docs/operations.md, up to the admin."""
    assert_clean(run(env, "import-units", "units.csv", cwd=cwd))
    assert_clean(run(env, "import-members", "members.csv", cwd=cwd))
    admin_env = {**env, "STIMMWERK_ADMIN_PASSWORD": PASSWORD}
    assert_clean(run(admin_env, "create-admin", "--email", "it@example.org", cwd=cwd))


@pytest.fixture(scope="module")
def installed_template(migrated: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated file after the first installation (`_installed`, fresh processes too),
    made once: the commands that need an installation start from a copy of it instead of
    running the three installation commands again in every test."""
    folder = tmp_path_factory.mktemp("cli-installed")
    path = folder / "installed.sqlite3"
    shutil.copy(migrated, path)
    (folder / "units.csv").write_text(UNITS)
    (folder / "members.csv").write_text(MEMBERS)
    _installed(_env(f"sqlite:///{path}", folder / "var"), folder)
    return path


@pytest.fixture
def installed(installed_template: Path, tmp_path: Path) -> dict[str, str]:
    """`cli`, on a copy of an installation that has its units, members and admin."""
    path = tmp_path / "stimmwerk.sqlite3"
    shutil.copy(installed_template, path)
    return _env(f"sqlite:///{path}", tmp_path / "var")


def test_every_documented_command_has_a_test_here() -> None:
    """A command added to docs/operations.md without a test here fails the suite."""
    documented = set(re.findall(r"^stimmwerk ([a-z-]+)", DOCS.read_text(), re.MULTILINE))
    tested = {name.removeprefix("test_").replace("_", "-") for name in globals()}
    missing = {c for c in documented if not any(t.startswith(c) for t in tested)}
    assert not missing, f"commands without a subprocess test: {sorted(missing)}"


def test_check_migrations(cli: dict[str, str], tmp_path: Path) -> None:
    result = run(cli, "check-migrations", cwd=tmp_path)
    assert_clean(result)
    assert "agree" in result.stdout


def test_import_units_then_import_members(cli: dict[str, str], tmp_path: Path) -> None:
    units = run(cli, "import-units", "units.csv", cwd=tmp_path)
    assert_clean(units)
    assert "created 4" in units.stdout
    members = run(cli, "import-members", "members.csv", "--mark-missing-left", cwd=tmp_path)
    assert_clean(members)
    assert "created 2" in members.stdout


@pytest.mark.parametrize("command", ["import-units", "import-members"])
def test_imports_of_a_missing_file_say_so(
    cli: dict[str, str], tmp_path: Path, command: str
) -> None:
    result = run(cli, command, "gibt-es-nicht.csv", cwd=tmp_path)
    assert_clean(result, 2)
    assert "No such file or directory: gibt-es-nicht.csv" in result.stderr


def test_import_members_refuses_a_bad_file_without_echoing_names(
    cli: dict[str, str], tmp_path: Path
) -> None:
    assert_clean(run(cli, "import-units", "units.csv", cwd=tmp_path))
    bad = MEMBERS + "M-3,Ge\x00heim,Person,anna@example.org,1970,OV-A,,active,0\n"
    (tmp_path / "bad.csv").write_text(bad)
    result = run(cli, "import-members", "bad.csv", cwd=tmp_path)
    assert_clean(result, 1)
    assert "nothing was changed" in result.stderr
    assert "Geheim" not in result.stderr
    assert "Ge\x00heim" not in result.stderr
    assert "anna@example.org" not in result.stderr


def test_create_admin(cli: dict[str, str], tmp_path: Path) -> None:
    assert_clean(run(cli, "import-units", "units.csv", cwd=tmp_path))
    env = {**cli, "STIMMWERK_ADMIN_PASSWORD": PASSWORD}
    result = run(env, "create-admin", "--email", "it@example.org", "--unit", "LV1", cwd=tmp_path)
    assert_clean(result)


def test_create_admin_before_any_unit_explains(cli: dict[str, str], tmp_path: Path) -> None:
    env = {**cli, "STIMMWERK_ADMIN_PASSWORD": PASSWORD}
    result = run(env, "create-admin", "--email", "it@example.org", cwd=tmp_path)
    assert_clean(result, 1)
    assert "import-units" in result.stderr


def test_grant_role(installed: dict[str, str], tmp_path: Path) -> None:
    cli = installed
    result = run(
        cli,
        "grant-role",
        "--email",
        "it@example.org",
        "--role",
        "auditor",
        "--unit",
        "UB1",
        cwd=tmp_path,
    )
    assert_clean(result)
    assert "granted auditor on UB1" in result.stdout
    unknown = run(
        cli,
        "grant-role",
        "--email",
        "nobody@example.org",
        "--role",
        "staff",
        "--unit",
        "UB1",
        cwd=tmp_path,
    )
    assert_clean(unknown, 1)


def test_invite_members(installed: dict[str, str], tmp_path: Path) -> None:
    result = run(installed, "invite-members", "--unit", "BV", cwd=tmp_path)
    assert_clean(result)
    assert "invited 1" in result.stdout  # Bernd has no address
    outbox = tmp_path / "var" / "outbox"
    assert [p for p in outbox.iterdir() if p.suffix == ".eml"]


def test_tick(cli: dict[str, str], tmp_path: Path) -> None:
    result = run(cli, "tick", cwd=tmp_path)
    assert_clean(result)
    assert result.stdout.startswith("frozen 0, opened 0, closed 0")
    assert "purged sessions 0, login attempts 0, link tokens 0" in result.stdout


def test_demo(cli: dict[str, str], tmp_path: Path) -> None:
    result = run(cli, "demo", cwd=tmp_path, timeout=120)
    assert_clean(result)
    assert "Demo data is loaded" in result.stdout


def test_migrate_is_idempotent(cli: dict[str, str], tmp_path: Path) -> None:
    assert_clean(run(cli, "migrate", cwd=tmp_path))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve(cli: dict[str, str], tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [str(STIMMWERK), "serve", "--port", str(port), "--no-schedule"],
        env=cli,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status = _wait_for(f"http://127.0.0.1:{port}/healthz")
        login = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status == 200
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert status == 200, output
    assert "Traceback" not in output, output


def _wait_for(url: str, seconds: float = 20) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return int(response.status)
        except OSError:
            time.sleep(0.2)
    return 0


def test_worker_without_a_broker_explains(cli: dict[str, str], tmp_path: Path) -> None:
    result = run(cli, "worker", cwd=tmp_path)
    assert_clean(result, 2)
    assert "no worker is needed" in result.stderr


@pytest.mark.redis
def test_worker_with_redis_starts_and_stops(cli: dict[str, str], tmp_path: Path) -> None:
    broker = os.environ.get("STIMMWERK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    env = {**cli, "STIMMWERK_BROKER_URL": broker}
    process = subprocess.Popen(
        [str(STIMMWERK), "worker", "--concurrency", "1", "--no-beat", "--loglevel", "info"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 40
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            seen.append(line)
            if "ready" in line or not line:
                break
    finally:
        process.terminate()
        rest, _ = process.communicate(timeout=30)
    output = "".join(seen) + rest
    assert "ready" in output, output
    assert "Traceback" not in output, output


def test_ballot_commands_start_as_fresh_processes(cli: dict[str, str], tmp_path: Path) -> None:
    """The ballot core's commands share the entry point: they too map every table."""
    result = run(cli, "election", "show", str(uuid.uuid4()), cwd=tmp_path)
    assert_clean(result, 1)
    assert "no such election" in result.stderr.lower()
    missing = run(cli, "verify", "kein-record", cwd=tmp_path)
    assert "Traceback" not in missing.stderr + missing.stdout
    assert missing.returncode != 0


@pytest.mark.skipif(not POSTGRES_URL, reason="STIMMWERK_TEST_POSTGRES_URL not set")
def test_postgres_first_installation(tmp_path: Path) -> None:
    """Smoke run on PostgreSQL: migrate, both imports, admin, tick, all fresh processes."""
    name = f"sw_cli_{uuid.uuid4().hex[:8]}"
    with _pg_admin(POSTGRES_URL) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        env = _env(url, tmp_path / "var")
        (tmp_path / "units.csv").write_text(UNITS)
        (tmp_path / "members.csv").write_text(MEMBERS)
        assert_clean(run(env, "migrate", cwd=tmp_path))
        _installed(env, tmp_path)
        assert_clean(run(env, "tick", cwd=tmp_path))
        assert_clean(run(env, "check-migrations", cwd=tmp_path))
    finally:
        with _pg_admin(POSTGRES_URL) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_initiative_check(tmp_path: Path) -> None:
    """An auditor's check of a published signature list (more in
    test_initiative_check_command.py: forged lists and bad files)."""
    import json
    import uuid

    from motions.commitment import leaf, published
    from tests.integration.test_initiative_check_command import _run

    initiative = uuid.uuid4()
    leaves = [leaf(initiative, str(1000 + i), f"{i:02x}" * 16) for i in range(3)]
    path = tmp_path / "signatures.json"
    path.write_text(json.dumps(published(initiative, leaves, count=3)))
    done = _run(path)
    assert done.returncode == 0, done.stdout + done.stderr
