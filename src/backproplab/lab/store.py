"""Each browser tab's session, kept in memory and looked up by the tab's session id.

A tab makes up its id once (it lives in the tab's sessionStorage) and sends it with every
request, so two tabs of one browser never share a network. The store is bounded: the
least recently used session goes when there are too many, and idle ones expire.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict

from .data import LabData
from .models import LabConfig
from .session import LabSession

#: A session id: what ``crypto.randomUUID()`` gives, or any similar token.
SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_SESSIONS = 64
IDLE_SECONDS = 6 * 3600


class UnknownSession(LookupError):
    """No session with this id (never configured, or expired): the page re-sends its config."""


class SessionStore:
    """A bounded, thread-safe map from session id to :class:`LabSession`."""

    def __init__(
        self,
        max_sessions: int = MAX_SESSIONS,
        idle_seconds: float = IDLE_SECONDS,
        preloaded: LabData | None = None,
    ):
        self._sessions: OrderedDict[str, LabSession] = OrderedDict()
        #: Every new session's own data (``backproplab lab --data FILE.csv``).
        self.preloaded = preloaded
        self._lock = threading.Lock()
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def get(self, session_id: str) -> LabSession:
        with self._lock:
            self._expire()
            session = self._sessions.get(session_id)
            if session is None:
                raise UnknownSession(
                    f"no lab session {session_id!r} on this server (it expired or the server "
                    "restarted); send the configuration to /api/config to start one"
                )
            self._sessions.move_to_end(session_id)
            session.last_used = time.monotonic()
            return session

    def configure(self, session_id: str, config: LabConfig) -> LabSession:
        """Create the session, or rebuild an existing one, for ``config``."""
        with self._lock:
            self._expire()
            session = self._sessions.get(session_id)
        if session is not None:
            with session.lock:
                session.configure(config)
                session.last_used = time.monotonic()
            with self._lock:
                if session_id in self._sessions:
                    self._sessions.move_to_end(session_id)
                    return session
        # Build outside the store's lock: loading data takes a moment, other tabs go on.
        session = LabSession(session_id, config, uploaded=self.preloaded)
        with self._lock:
            self._sessions[session_id] = session
            self._sessions.move_to_end(session_id)
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        return session

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.idle_seconds
        for sid in [s for s, sess in self._sessions.items() if sess.last_used < cutoff]:
            del self._sessions[sid]
