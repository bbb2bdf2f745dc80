"""The API of the lab's own-data, practice and gradient-health features.

``POST /api/data`` takes a CSV file's bytes (upload.py), ``POST /api/projection`` picks the
two plotted features, ``POST /api/practice`` and ``POST /api/practice/answer`` run practice
mode (practice_view.py), ``GET /api/gradient-health`` lists fit's per-layer figures
(health.py).
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request
from pydantic import Field

from .models import LabConfig, _Strict
from .practice_view import HideName, answer, configure_practice
from .routes import ERROR_RESPONSES, SessionId, _session, _store
from .store import UnknownSession
from .upload import UPLOAD_PATH, lab_data_from_csv, set_view, upload_limits, use_data
from .views import state_view

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)


class ProjectionRequest(_Strict):
    """The two features (0-based column indices) the data plot shows."""

    x: int = Field(ge=0, lt=64)
    y: int = Field(ge=0, lt=64)


class PracticeRequest(_Strict):
    """Practice mode on or off; which phase's numbers it hides and what it asks."""

    enabled: bool
    hide: HideName = "backward"
    asks: str | None = Field(None, min_length=1, max_length=40)


class AnswerRequest(_Strict):
    """The learner's value for the asked quantity (a number, or the text typed)."""

    answer: float | Annotated[str, Field(min_length=1, max_length=40)]


_CSV_BODY = {
    "requestBody": {
        "required": True,
        "description": "The CSV file's bytes, as they are (UTF-8 text)",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(UPLOAD_PATH.removeprefix("/api"), openapi_extra=_CSV_BODY)
async def upload(
    request: Request,
    sid: SessionId,
    name: Annotated[str, Query(max_length=200)] = "upload.csv",
    target: Annotated[str | None, Query(max_length=200)] = None,
    task: Annotated[str, Query(pattern="^(auto|classification|regression)$")] = "auto",
) -> dict[str, Any]:
    """Use a CSV file as this tab's data (the CLI's reader and messages; see the limits)."""
    body = await request.body()  # at most the upload limit: guards.BodyLimit counted it
    data = lab_data_from_csv(body, name, target=target, task=task)
    store = _store(request)
    try:
        session = store.get(sid)
    except UnknownSession:
        session = store.configure(sid, LabConfig())
    with session.lock:
        use_data(session, data)
        return state_view(session, include_data=True)


@router.get("/data-limits")
def data_limits() -> dict[str, Any]:
    """The limits of an uploaded CSV, for the page to state."""
    return upload_limits()


@router.post("/projection")
def projection(body: ProjectionRequest, request: Request, sid: SessionId) -> dict[str, Any]:
    """Plot the data against two of its features (the others held at their mean)."""
    session = _session(request, sid)
    with session.lock:
        set_view(session, body.x, body.y)
        return state_view(session, include_data=True)


@router.post("/practice")
def practice(body: PracticeRequest, request: Request, sid: SessionId) -> dict[str, Any]:
    """Turn practice mode on or off, or change what it hides and asks."""
    session = _session(request, sid)
    with session.lock:
        configure_practice(session, body.enabled, body.hide, body.asks)
        return state_view(session)


@router.post("/practice/answer")
def practice_answer(body: AnswerRequest, request: Request, sid: SessionId) -> dict[str, Any]:
    """Check the learner's value with backproplab.practice; the hidden numbers show again."""
    session = _session(request, sid)
    with session.lock, np.errstate(all="ignore"):
        feedback = answer(session, body.answer)
        return state_view(session) | {"feedback": feedback}


@router.get("/gradient-health")
def gradient_health(request: Request, sid: SessionId) -> dict[str, Any]:
    """Each layer's gradient norm and update/weight ratio over training, flags, diagnosis."""
    session = _session(request, sid)
    with session.lock:
        return session.health.view()
