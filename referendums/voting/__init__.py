"""Route handlers of `referendums.voting` (registered by `referendums.routes`).

The member's vote page, the public bulletin board, the public ballot-check page and
the voter's JSON API
(``docs/ballots/web-api.md``, "Voter API").
"""

from litestar.types import ControllerRouterHandler

from referendums.voting.api import VoterApiController
from referendums.voting.ballot_check import BallotCheckController
from referendums.voting.pages import VotingPagesController
from referendums.voting.roll_check import RollCheckController

ROUTES: list[ControllerRouterHandler] = [
    VoterApiController,
    VotingPagesController,
    RollCheckController,
    BallotCheckController,
]
