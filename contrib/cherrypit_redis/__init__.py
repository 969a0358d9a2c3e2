"""Redis session storage for cherrypit (install the ``redis`` extra).

Select it with ``tools.sessions.storage_type = "redis"`` (the ``cherrypit.session_storage``
entry point) or ``tools.sessions.storage_class = cherrypit_redis.RedisSession``.
"""

from __future__ import annotations

from cherrypit_redis.session import RedisSession

__all__ = ["RedisSession"]
