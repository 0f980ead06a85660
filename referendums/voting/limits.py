"""Per-address rate limits of the voting API (casting, credential requests).

The limiter itself lives in `app.core.rate_limit` (shared with the survey API); see
there for the window, the bound on its table and the reverse-proxy advice.
"""

from app.core.rate_limit import RateLimiter

__all__ = ["RateLimiter"]
