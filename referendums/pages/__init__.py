"""Route handlers of `referendums.pages` (registered by `referendums.routes`)."""

from litestar.types import ControllerRouterHandler

from referendums.pages.controllers import ReferendumPagesController
from referendums.pages.staff_tools import ReferendumStaffToolsController

ROUTES: list[ControllerRouterHandler] = [
    ReferendumPagesController,
    ReferendumStaffToolsController,
]
