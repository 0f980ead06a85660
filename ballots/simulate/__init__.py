"""``stimmwerk simulate``: a whole election through the real services, on a scratch database.

Units, members, staff and commission accounts are made on a fresh, migrated SQLite
database; then the election runs exactly as a real one: creation, the trustees' key
ceremony with passphrase key files, the roll frozen at the cut-off, credentials by
blind signature, ballots made by `ballots.client` and cast without login, receipts
checked, one Benaloh audit, one replayed ballot refused, closing, postal figures
entered and confirmed by two commission members, partial decryptions by ``t``
trustees, the tally and the record. The services run on a virtual clock (each call
gets its ``now``), so the window need not pass in real time.

Voters run in a process pool, as members' devices talking to other app processes
would: each asks the issuing service for its credential over its own database
connection, then encrypts, proves and signs its ballot. This process casts the ballots
(the board is one sequence) and checks every receipt.
"""

from ballots.simulate._config import (
    SimulationConfig,
    SimulationError,
    SimulationResult,
    parse_question,
)
from ballots.simulate._run import run_simulation

__all__ = [
    "SimulationConfig",
    "SimulationError",
    "SimulationResult",
    "parse_question",
    "run_simulation",
]
