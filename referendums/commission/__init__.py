"""Route handlers of `referendums.commission` (registered by `referendums.routes`)."""

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
