"""Settings, read once from ``STIMMWERK_*`` environment variables.

The defaults are the embedded ones: a SQLite file under ``var/``, tasks run in-process
(no broker server), mail written to an outbox folder. Production sets a PostgreSQL URL,
a Redis or RabbitMQ broker, SMTP and a real secret key.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"
IN_PROCESS_BROKER = "in-process"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"STIMMWERK_{name}", default)


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _env_bool(name: str, *, default: bool) -> bool:
    return _env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class DatabaseSettings:
    url: str
    echo: bool = False


@dataclass(frozen=True)
class MailSettings:
    """Where mail goes: ``outbox`` writes .eml files, ``smtp`` delivers."""

    backend: str
    outbox_dir: Path
    sender: str
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = 10.0


@dataclass(frozen=True)
class SecuritySettings:
    """Secrets and the limits a security reviewer asks about."""

    secret_key: str = field(repr=False)
    cookie_secure: bool = True
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    login_max_failures: int = 5
    login_window_minutes: int = 15
    login_max_per_address: int = 50
    # Wrong second-factor codes: per half-finished login (then a new password login is
    # needed) and per account within login_window_minutes (then everyone waits).
    second_factor_max_per_session: int = 5
    second_factor_max_failures: int = 10
    # Over login_max_per_address failures an address is slowed down, never refused: a
    # conference network must still log in with right passwords (docs/security.md).
    login_address_delay_seconds: float = 2.0
    # Password-reset, registration and self-activation requests: own counters per
    # name (address, recipient, membership number) and per client address and hour.
    requests_window_minutes: int = 60
    requests_max_per_name: int = 5
    requests_max_per_address: int = 30
    # argon2id parameters; raising them makes old hashes rehash at the next login.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    token_hours: int = 48
    hsts_seconds: int = 31536000
    openapi_enabled: bool = False


@dataclass(frozen=True)
class VotingSettings:
    """Unlinkability and abuse limits of the anonymous voting endpoints (docs/operations.md).

    The board appends accepted ballots in shuffled batches: a batch is written once it
    holds ``board_batch_min`` ballots or its first ballot has waited
    ``board_batch_wait_seconds`` (the receipt waits as long). The rate limits count
    requests per client address and minute in each app process; 0 switches one off.
    """

    board_batch_min: int = 10
    board_batch_wait_seconds: float = 5.0
    cast_per_minute: int = 120
    credential_per_minute: int = 60
    sign_per_minute: int = 10
    """Initiative signatures and withdrawals per account (a signer needs one or two)."""
    lookup_per_minute: int = 60
    """Costly public look-ups per client address: survey receipts, exports and free-text
    searches, an initiative's signature list and its receipt check."""


@dataclass(frozen=True)
class LegalSettings:
    """What the operator states on the legal pages (Impressum, Datenschutzhinweis,
    Erklärung zur Barrierefreiheit); docs/operations.md lists the variables.

    Empty fields are left out of the pages; a page whose required fields are empty says
    that the operator has not filled it in yet (it is never invented). Line breaks in
    addresses are written as `` | `` in the variable.
    """

    operator: str = ""
    address: str = ""
    represented_by: str = ""
    email: str = ""
    phone: str = ""
    register_entry: str = ""
    content_responsible: str = ""
    privacy_officer: str = ""
    supervisory_authority: str = ""
    retention: str = ""
    hosting: str = ""
    accessibility_contact: str = ""
    accessibility_known_issues: str = ""
    accessibility_reviewed_on: str = ""
    enforcement_body: str = ""

    @property
    def has_imprint(self) -> bool:
        return bool(self.operator and self.address and (self.email or self.phone))

    def lines(self, value: str) -> list[str]:
        return [line.strip() for line in value.split("|") if line.strip()]


def _legal_settings() -> LegalSettings:
    names = LegalSettings.__dataclass_fields__
    return LegalSettings(**{name: _env(f"LEGAL_{name.upper()}", "") for name in names})


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings
    mail: MailSettings
    security: SecuritySettings
    voting: VotingSettings = field(default_factory=VotingSettings)
    legal: LegalSettings = field(default_factory=LegalSettings)
    broker_url: str = IN_PROCESS_BROKER
    result_backend: str = ""
    base_url: str = "http://127.0.0.1:8000"
    default_locale: str = "de"
    var_dir: Path = DEFAULT_VAR_DIR
    debug: bool = False
    web_threads: int = 16
    """Handler threads per web process. Each process has one interpreter lock, so more
    threads than the database pool keeps busy (10 + 10 connections) only queue inside
    the process and contend for the lock (anyio's default is 40)."""
    gc_freeze: bool = False
    """Freeze the objects a web process has after startup and after its first minute, so
    that the cycle collector's full passes don't walk them (`app.server`,
    ``settle_garbage_collection``). ``stimmwerk serve`` turns it on; the tests' apps,
    many in one process, leave it off."""
    switch_interval_ms: int = 0
    """The interpreter's switch interval in a web process (`app.server`,
    ``shorten_switch_interval``); 0 keeps Python's 5 ms. ``stimmwerk serve`` sets 1."""

    @property
    def tasks_in_process(self) -> bool:
        """True on the embedded default: Celery tasks run in the app process after commit."""
        return self.broker_url == IN_PROCESS_BROKER

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _secret_key(var_dir: Path) -> str:
    """Return the configured key, or a per-installation key kept under ``var/``.

    The embedded default must work without configuration but must not share a
    hard-coded key between installations.
    """
    configured = _env("SECRET_KEY", "")
    if configured:
        return configured
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key, encoding="ascii")
    key_file.chmod(0o600)
    return key


def load_settings() -> Settings:
    var_dir = Path(_env("VAR_DIR", str(DEFAULT_VAR_DIR)))
    return Settings(
        database=DatabaseSettings(
            url=_env("DATABASE_URL", f"sqlite:///{var_dir / 'stimmwerk.sqlite3'}"),
            echo=_env_bool("DATABASE_ECHO", default=False),
        ),
        mail=MailSettings(
            backend=_env("MAIL_BACKEND", "outbox"),
            outbox_dir=Path(_env("MAIL_OUTBOX", str(var_dir / "outbox"))),
            sender=_env("MAIL_SENDER", "Stimmwerk <noreply@stimmwerk.invalid>"),
            smtp_host=_env("SMTP_HOST", "127.0.0.1"),
            smtp_port=_env_int("SMTP_PORT", 25),
            smtp_user=_env("SMTP_USER", ""),
            smtp_password=_env("SMTP_PASSWORD", ""),
            smtp_starttls=_env_bool("SMTP_STARTTLS", default=False),
            smtp_ssl=_env_bool("SMTP_SSL", default=False),
        ),
        security=SecuritySettings(
            secret_key=_secret_key(var_dir),
            cookie_secure=_env_bool("COOKIE_SECURE", default=True),
            session_idle_minutes=_env_int("SESSION_IDLE_MINUTES", 30),
            session_absolute_hours=_env_int("SESSION_ABSOLUTE_HOURS", 12),
            login_max_failures=_env_int("LOGIN_MAX_FAILURES", 5),
            login_window_minutes=_env_int("LOGIN_WINDOW_MINUTES", 15),
            login_max_per_address=_env_int("LOGIN_MAX_PER_ADDRESS", 50),
            second_factor_max_per_session=_env_int("SECOND_FACTOR_MAX_PER_SESSION", 5),
            second_factor_max_failures=_env_int("SECOND_FACTOR_MAX_FAILURES", 10),
            login_address_delay_seconds=float(_env("LOGIN_ADDRESS_DELAY_SECONDS", "2")),
            requests_max_per_name=_env_int("REQUESTS_MAX_PER_NAME", 5),
            requests_max_per_address=_env_int("REQUESTS_MAX_PER_ADDRESS", 30),
            openapi_enabled=_env_bool("OPENAPI", default=False),
        ),
        voting=VotingSettings(
            board_batch_min=_env_int("BOARD_BATCH_MIN", 10),
            board_batch_wait_seconds=float(_env("BOARD_BATCH_WAIT_SECONDS", "5")),
            cast_per_minute=_env_int("CAST_PER_MINUTE", 120),
            credential_per_minute=_env_int("CREDENTIAL_PER_MINUTE", 60),
            sign_per_minute=_env_int("SIGN_PER_MINUTE", 10),
            lookup_per_minute=_env_int("LOOKUP_PER_MINUTE", 60),
        ),
        broker_url=_env("BROKER_URL", IN_PROCESS_BROKER),
        result_backend=_env("RESULT_BACKEND", ""),
        base_url=_env("BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        default_locale=_env("DEFAULT_LOCALE", "de"),
        legal=_legal_settings(),
        var_dir=var_dir,
        debug=_env_bool("DEBUG", default=False),
        web_threads=max(1, _env_int("WEB_THREADS", 16)),
        gc_freeze=_env_bool("GC_FREEZE", default=False),
        switch_interval_ms=max(0, _env_int("SWITCH_INTERVAL_MS", 0)),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return load_settings()
