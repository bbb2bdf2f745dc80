"""The session store keeps tabs apart and stays bounded."""

from __future__ import annotations

import pytest

from backproplab.lab.models import LabConfig
from backproplab.lab.store import SessionStore, UnknownSession


def test_sessions_are_separate_and_the_least_recently_used_goes_first() -> None:
    store = SessionStore(max_sessions=2)
    a = store.configure("session-a", LabConfig())
    store.configure("session-b", LabConfig(lr=0.1))
    assert store.get("session-a") is a  # a is now the most recently used
    store.configure("session-c", LabConfig())
    assert len(store) == 2
    with pytest.raises(UnknownSession, match="session-b"):
        store.get("session-b")
    assert store.get("session-a").config.lr == 0.5


def test_configuring_again_rebuilds_the_same_session() -> None:
    store = SessionStore()
    first = store.configure("session-a", LabConfig())
    with first.lock:
        first.step()
    again = store.configure("session-a", LabConfig(data="xor"))
    assert again is first and again.updates == 0 and again.data.name == "xor"


def test_idle_sessions_expire() -> None:
    store = SessionStore(idle_seconds=0.0)
    store.configure("session-a", LabConfig())
    with pytest.raises(UnknownSession):
        store.get("session-a")
