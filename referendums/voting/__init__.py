"""Route handlers of `referendums.voting` (registered by `referendums.routes`)."""

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
