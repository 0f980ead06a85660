# Copyright 2026 Stimmwerk contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Benchmark: import the demo-sized tree and a register of 400,000 members.

Run: ``.venv/bin/python bench/import_members.py [--members N] [--backend sqlite|postgres|both]``
(about three minutes for both backends on 2 cores). Each import runs in a fresh process,
so the peak RSS printed is that import's own. Targets: >= 10,000 rows/s and < 1 GiB.

The generators are reused by other benchmarks::

    from bench.import_members import write_units_csv, write_members_csv
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import platform
import random
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from collections.abc import Iterator

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_ROWS_PER_SECOND = 10_000
TARGET_PEAK_BYTES = 1 << 30

# Tree: B > LV01..LV16 > UB0101..UB1625 > OV010101..OV162520, plus OV-BIG below UB0101.
STATES = 16
SUBDISTRICTS_PER_STATE = 25
LOCALS_PER_SUBDISTRICT = 20
BIG_BRANCH = "OV-BIG"
BIG_BRANCH_PARENT = "UB0101"

_GIVEN_NAMES = (
    "Anna Bernd Clara Dieter Elif Frank Gisela Hans Ines Jürgen Katrin Lukas Maria Niklas "
    "Olga Paul Renate Stefan Tanja Uwe Vera Wolfgang Yasemin Zoe Ömer Sören Lea Jonas Mia Ben"
)
_FAMILY_NAMES = (
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
    "Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann "
    "Lange Schmitt Werner Krause Meier Lehmann Yılmaz Kaya Nowak Kowalski Öztürk Groß"
)
GIVEN_NAMES = tuple(_GIVEN_NAMES.split())
FAMILY_NAMES = tuple(_FAMILY_NAMES.split())
MEMBER_HEADER = (
    "membership_number",
    "given_name",
    "family_name",
    "email",
    "birth_year",
    "unit_code",
    "joined_on",
    "status",
    "postal_vote",
)
DOMAINS = ("example.org", "example.net", "example.com", "post.example.de", "mail.example.de")
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i", "Ö": "Oe"})
_EPOCH = date(1970, 1, 1)


# --- Generators (also used by bench/pages.py) ---------------------------------------------


def unit_rows() -> Iterator[tuple[str, str, str, str]]:
    """``(code, name, level, parent_code)`` for the whole tree, parents first."""
    yield "B", "Bundesverband", "federal", ""
    for state in range(1, STATES + 1):
        yield f"LV{state:02d}", f"Landesverband {state:02d}", "state", "B"
        for sub in range(1, SUBDISTRICTS_PER_STATE + 1):
            sub_code = f"UB{state:02d}{sub:02d}"
            yield sub_code, f"Unterbezirk {state:02d}/{sub:02d}", "subdistrict", f"LV{state:02d}"
            for local in range(1, LOCALS_PER_SUBDISTRICT + 1):
                code = f"OV{state:02d}{sub:02d}{local:02d}"
                yield code, f"Ortsverein {state:02d}/{sub:02d}/{local:02d}", "local", sub_code
    yield BIG_BRANCH, "Ortsverein Großstadt", "local", BIG_BRANCH_PARENT


def local_branch_codes() -> list[str]:
    """The ordinary local branches (without ``OV-BIG``)."""
    return [code for code, _, level, _ in unit_rows() if level == "local" and code != BIG_BRANCH]


def write_units_csv(path: Path) -> int:
    """Write the tree as an import file; return the number of units."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(("code", "name", "level", "parent_code"))
        rows = list(unit_rows())
        writer.writerows(rows)
    return len(rows)


def membership_number(index: int) -> str:
    return f"M{index + 1:07d}"


def _member_row(index: int, unit: str, rng: random.Random, revision: int) -> tuple[str, ...]:
    given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
    local_part = f"{given}.{family}{index}".translate(_ASCII).lower()
    email = f"{local_part}@{rng.choice(DOMAINS)}" if rng.random() < 0.85 else ""
    birth_year = str(rng.randint(1930, 2007)) if rng.random() < 0.95 else ""
    joined = _EPOCH + timedelta(days=rng.randrange(20_000))
    joined_on = joined.isoformat() if rng.random() < 0.9 else joined.strftime("%d.%m.%Y")
    status = "left" if rng.random() < 0.03 else "active"
    postal_vote = rng.choice(("1", "0", "", "ja", "nein"))
    if revision and index % 100 == revision % 100:  # about 1% of the register changes
        email = f"{local_part}.r{revision}@example.org"
    return (
        membership_number(index),
        given,
        family,
        email,
        birth_year,
        unit,
        joined_on,
        status,
        postal_vote,
    )


def write_members_csv(
    path: Path, n: int = 400_000, big_branch_members: int = 50_000, *, revision: int = 0
) -> int:
    """Write a register of ``n`` members; exactly ``big_branch_members`` are in ``OV-BIG``.

    The same ``n`` always gives the same people; ``revision > 0`` changes the e-mail
    address of every hundredth member, to measure a re-import that is mostly unchanged.
    """
    locals_ = local_branch_codes()
    big = min(big_branch_members, n)
    rng = random.Random(20_261_122)  # demo data: a fixed seed, no secrets
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(MEMBER_HEADER)
        for index in range(n):
            # Spread the big branch evenly: exactly `big` indices step the fraction up.
            in_big = (index + 1) * big // n > index * big // n
            unit = BIG_BRANCH if in_big else locals_[rng.randrange(len(locals_))]
            writer.writerow(_member_row(index, unit, rng, revision))
    return n


# --- One measured import, in its own process ---------------------------------------------


def _run_import(url: str, units_csv: str, members_csv: str, phase: str) -> dict[str, Any]:
    """Import in a fresh process and report the time and this process's peak RSS."""
    import app.accounts.models
    import app.core.audit  # noqa: F401 - both complete Base.metadata
    from app.core.db import Base, Database
    from app.organisations.imports import import_members, import_units

    database = Database(url)
    results: dict[str, Any] = {}
    try:
        if phase == "first":
            Base.metadata.create_all(database.engine)
            with database.session() as session:
                results["units"] = import_units(session, units_csv)
        with database.session() as session:
            results["members"] = import_members(session, members_csv)
    finally:
        database.dispose()
    # Linux reports ru_maxrss in KiB.
    results["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return results


def _in_fresh_process(*args: str) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_run_import, *args).result()


# --- Backends -----------------------------------------------------------------------------


def _create_postgres_database(admin_url: str) -> tuple[str, str]:
    name = f"sw_bench_import_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _postgres_version(admin_url: str) -> str:
    engine = create_engine(admin_url)
    with engine.connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    return str(version)


def _bench_backend(backend: str, url: str, files: dict[str, Path]) -> list[tuple[str, ...]]:
    lines = []
    first = _in_fresh_process(url, str(files["units"]), str(files["members"]), "first")
    again = _in_fresh_process(url, str(files["units"]), str(files["members2"]), "again")
    units = first["units"]
    lines.append(_line(backend, "units", units, first["peak_rss"]))
    lines.append(_line(backend, "members first import", first["members"], first["peak_rss"]))
    lines.append(_line(backend, "members re-import", again["members"], again["peak_rss"]))
    return lines


def _line(backend: str, phase: str, report: Any, peak: int) -> tuple[str, ...]:
    rate = report.total / report.duration_seconds
    ok = rate >= TARGET_ROWS_PER_SECOND and peak < TARGET_PEAK_BYTES
    verdict = ("ok" if ok else "MISSED") if phase.startswith("members") else "-"
    return (
        backend,
        phase,
        f"{report.total:,}",
        f"{report.duration_seconds:.2f}",
        f"{rate:,.0f}",
        f"{peak / 2**20:,.0f} MiB",
        f"{report.created:,}/{report.updated:,}/{report.unchanged:,}",
        verdict,
    )


def _print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("backend", "phase", "rows", "seconds", "rows/s", "peak RSS", "new/upd/same", "target")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=400_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("STIMMWERK_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="an existing database to connect to; a scratch database is created beside it",
    )
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)

    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}"
    )
    versions = f"SQLAlchemy {sqlalchemy.__version__}, SQLite {sqlite3.sqlite_version}"
    if "postgres" in backends:
        versions += f", PostgreSQL {_postgres_version(args.postgres_url)}"
    print(f"versions: {versions}")
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory(prefix="sw-bench-import-") as directory:
        files = {name: Path(directory, f"{name}.csv") for name in ("units", "members", "members2")}
        started = time.perf_counter()
        units = write_units_csv(files["units"])
        write_members_csv(files["members"], args.members)
        write_members_csv(files["members2"], args.members, revision=1)
        sizes = ", ".join(
            f"{path.name} {path.stat().st_size / 2**20:.1f} MiB" for path in files.values()
        )
        print(
            f"data: {units:,} units, {args.members:,} members ({sizes}), "
            f"generated in {time.perf_counter() - started:.1f} s"
        )
        for backend in backends:
            if backend == "sqlite":
                rows += _bench_backend(backend, f"sqlite:///{Path(directory, 'bench.db')}", files)
                continue
            name, url = _create_postgres_database(args.postgres_url)
            try:
                rows += _bench_backend(backend, url, files)
            finally:
                _drop_postgres_database(args.postgres_url, name)
    _print_table(rows)
    print(f"targets: >= {TARGET_ROWS_PER_SECOND:,} rows/s, peak RSS < 1 GiB per import process")


if __name__ == "__main__":
    main()
