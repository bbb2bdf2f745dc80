"""The lab's HTTP API. Every route answers JSON; the session id travels in a header.

The page sends ``X-Lab-Session`` with each request. Besides keeping tabs apart, the custom
header means a browser will not send these requests from another site's page without a
CORS preflight, which this server never approves.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from pydantic import BaseModel

from .. import __version__
from ..engine import ACTIVATION_NAMES
from .explain_view import explain_view
from .labels import vocabulary
from .models import (
    DATA_CHOICES,
    HIDDEN_ACTIVATIONS,
    LOSSES,
    OUTPUT_ACTIVATIONS,
    LabConfig,
    SelectRequest,
    SettingsRequest,
    TrainRequest,
    limits,
)
from .practice_view import refuse_if_hidden
from .session import LabSession
from .store import SESSION_ID_PATTERN, SessionStore
from .views import state_view


class ErrorBody(BaseModel):
    """Every 4xx answer: one line saying what is wrong, and its kind."""

    error: str
    code: str


def _documented(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


#: The 4xx answers any route may give (each route's own schema lists them all).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("Malformed request, missing/invalid X-Lab-Session, or a foreign Host"),
    404: _documented("Unknown session, parameter or route"),
    405: _documented("Method not allowed on this path"),
    408: _documented("The request body stalled"),
    409: _documented("Not possible in the session's current phase"),
    413: _documented("Request body too large (counted as received, chunked too)"),
    415: _documented("The request body is not JSON"),
    422: _documented("A value out of range or of the wrong type"),
    431: _documented("Request headers too large"),
}

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)


def session_id(
    x_lab_session: Annotated[
        str,
        Header(
            alias="X-Lab-Session",
            description="The browser tab's session id: 8 to 64 letters, digits, '-' or '_'",
            pattern=SESSION_ID_PATTERN.pattern,
        ),
    ],
) -> str:
    """The tab's session id from its header (required and checked; the schema says so)."""
    return x_lab_session


SessionId = Annotated[str, Depends(session_id)]


def _store(request: Request) -> SessionStore:
    return request.app.state.store


def _session(request: Request, sid: str) -> LabSession:
    return _store(request).get(sid)


@router.get("/health")
def health() -> dict[str, Any]:
    return {"ok": True, "version": __version__}


@router.get("/options")
def options(request: Request) -> dict[str, Any]:
    """The choices and limits the page's controls offer."""
    return {
        "data": list(DATA_CHOICES),
        "hidden_activations": list(HIDDEN_ACTIVATIONS),
        "output_activations": list(OUTPUT_ACTIVATIONS),
        "losses": list(LOSSES),  # the lab's data sets are classes or a numeric target
        "engine_activations": list(ACTIVATION_NAMES),
        "limits": limits(),
        "defaults": request.app.state.defaults.model_dump(),
        # The page's words with maths in them, and the display precision (labels.py).
        "vocabulary": vocabulary(),
    }


@router.post("/config")
def configure(config: LabConfig, request: Request, sid: SessionId) -> dict[str, Any]:
    """Start (or restart) this tab's experiment from a configuration."""
    session = _store(request).configure(sid, config)
    with session.lock:
        return state_view(session, include_data=True)


@router.get("/state")
def state(request: Request, sid: SessionId) -> dict[str, Any]:
    session = _session(request, sid)
    with session.lock:
        return state_view(session, include_data=True)


def _run(request: Request, sid: str, action: str, *args: Any) -> dict[str, Any]:
    session = _session(request, sid)
    # A learning rate that is too large overflows; the session turns that into a
    # DivergenceError with a message, so NumPy's own warnings are not wanted here.
    with session.lock, np.errstate(over="ignore", invalid="ignore"):
        getattr(session, action)(*args)
        return state_view(session)


#: The cycle's routes: POST /api/<phase>, and what each computes.
PHASE_ROUTES = {
    "forward": "Phase 1: z and a of every neuron for the next batch.",
    "backward": "Phase 2: every dL/dw, dL/db and delta from that forward pass.",
    "update": "Phase 3: w <- w - eta dL/dw for every parameter.",
    "step": "Whatever is left of Forward, Backward, Update.",
}


def _phase_route(action: str) -> Any:
    def run_phase(request: Request, sid: SessionId) -> dict[str, Any]:
        return _run(request, sid, action)

    run_phase.__name__ = action
    run_phase.__doc__ = PHASE_ROUTES[action]
    return run_phase


for _action in PHASE_ROUTES:
    router.add_api_route(f"/{_action}", _phase_route(_action), methods=["POST"])


@router.post("/train")
def train(body: TrainRequest, request: Request, sid: SessionId) -> dict[str, Any]:
    """Several epochs of gradient descent (the page calls this once per frame)."""
    session = _session(request, sid)
    seconds = None if body.max_ms is None else body.max_ms / 1000
    with session.lock, np.errstate(over="ignore", invalid="ignore"):
        done = session.train(body.epochs, seconds)
        return state_view(session) | {"trained_epochs": done}


@router.post("/reset")
def reset(request: Request, sid: SessionId) -> dict[str, Any]:
    """Back to the initial weights of the same configuration."""
    session = _session(request, sid)
    with session.lock:
        session.reset()
        return state_view(session, include_data=True)


@router.post("/select")
def select(body: SelectRequest, request: Request, sid: SessionId) -> dict[str, Any]:
    """Show the activations of another sample."""
    return _run(request, sid, "select", body.sample)


@router.post("/settings")
def settings(body: SettingsRequest, request: Request, sid: SessionId) -> dict[str, Any]:
    """Change the learning rate or the batch size; the network stays as it is."""
    if body.full_batch and body.batch_size is not None:
        raise HTTPException(422, "give either batch_size or full_batch, not both")
    session = _session(request, sid)
    with session.lock:
        if body.lr is not None:
            session.set_learning_rate(body.lr)
        if body.full_batch or body.batch_size is not None:
            session.set_batch_size(None if body.full_batch else body.batch_size)
        return state_view(session)


@router.get("/explain")
def explain(
    request: Request,
    sid: SessionId,
    param: Annotated[str, Query(min_length=4, max_length=24, pattern=r"^[wb][0-9_]+$")],
) -> dict[str, Any]:
    """The derivation of one parameter's gradient and update, from ``backproplab.explain``."""
    session = _session(request, sid)
    with session.lock:
        refuse_if_hidden(session)  # practice mode: not before the answer
        return explain_view(session, param)
