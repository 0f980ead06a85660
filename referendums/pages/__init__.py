"""Route handlers of `referendums.pages` (registered by `referendums.routes`)."""

from litestar.types import ControllerRouterHandler

from referendums.pages.controllers import ReferendumPagesController

ROUTES: list[ControllerRouterHandler] = [ReferendumPagesController]
