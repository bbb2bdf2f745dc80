"""The FastAPI application: the page, its static files, the API and its error answers.

Every error leaves as JSON ``{"error": "<one line>", "code": "<kind>"}`` with a 4xx status:
400 malformed request (or a foreign Host header), 404 unknown session/route/parameter, 405
wrong method, 408 a body that stalls, 409 not possible in the session's current phase, 413
body too large (counted as received, chunked too), 415 not JSON, 422 a value out of range
or of the wrong type, 431 request headers too large. Each is documented in the OpenAPI
schema (``/api/openapi.json``).
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..engine.errors import BackpropLabError, DivergenceError
from .data import LabData
from .explain_view import UnknownParameter
from .feature_routes import router as feature_router
from .guards import BODY_IDLE_TIMEOUT, BodyLimit, HeaderLimit, HostCheck
from .models import MAX_BODY_BYTES, LabConfig
from .routes import router
from .session import LabConflict
from .store import SessionStore, UnknownSession
from .upload import MAX_UPLOAD_BYTES, UPLOAD_PATH, config_for, too_large

STATIC_DIR = Path(str(resources.files("backproplab.lab") / "static"))


class LabJSONResponse(JSONResponse):
    """JSON that a browser can always parse: a stray NaN or inf becomes null."""

    def render(self, content: Any) -> bytes:
        try:
            text = json.dumps(content, allow_nan=False, separators=(",", ":"))
        except ValueError:
            text = json.dumps(_finite(content), allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _error(status: int, message: str, code: str) -> LabJSONResponse:
    return LabJSONResponse({"error": message, "code": code}, status_code=status)


def _answer_with(status: int, code: str) -> Any:
    """An exception handler that answers ``status`` with the exception's one line."""

    async def handler(_: Request, exc: Exception) -> LabJSONResponse:
        return _error(status, str(exc), code)

    return handler


def _validation_message(exc: RequestValidationError) -> tuple[int, str]:
    """One line naming the field and what is wrong with it (400 for unreadable JSON)."""
    errors = exc.errors()
    for err in errors:
        if tuple(err.get("loc", ()))[:2] == ("header", "X-Lab-Session"):
            if err.get("type") == "missing":
                return (
                    400,
                    "missing header X-Lab-Session: each browser tab sends its own session id",
                )
            return 400, "header X-Lab-Session must be 8 to 64 letters, digits, '-' or '_'"
    for err in errors:
        if err.get("type") == "json_invalid":
            reason = (err.get("ctx") or {}).get("error", "not valid JSON")
            return 400, f"malformed JSON in the request body: {reason}"
    parts = []
    for err in errors[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        if err.get("type") == "missing" and loc == "body":
            parts.append("the request needs a JSON body")
            continue
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    if len(errors) > 3:
        parts.append(f"and {len(errors) - 3} more")
    return 422, "; ".join(parts)


#: Host names a browser uses for a server on this machine (the default, loopback case).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def create_app(
    store: SessionStore | None = None,
    allowed_hosts: list[str] | tuple[str, ...] | None = None,
    *,
    body_idle_timeout: float = BODY_IDLE_TIMEOUT,
    data: LabData | None = None,
) -> FastAPI:
    """The lab as an ASGI application.

    ``store`` lets a test look inside. ``allowed_hosts`` (e.g. :data:`LOOPBACK_HOSTS`, or
    :func:`.guards.machine_names` of the bind address) refuses requests whose Host header
    names another machine, so that a web page cannot reach the lab through DNS
    rebinding; None accepts any host. ``data`` (a CSV read by ``backproplab lab --data``)
    is every new tab's own data, and its starting choice.
    """
    app = FastAPI(
        title="backproplab lab",
        version=__version__,
        default_response_class=LabJSONResponse,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.store = store if store is not None else SessionStore(preloaded=data)
    app.state.defaults = LabConfig() if data is None else config_for(LabConfig(), data)
    # Added last = runs first: the Host check, then the body limit, then the routes.
    app.add_middleware(
        BodyLimit,
        max_bytes=MAX_BODY_BYTES,
        idle_timeout=body_idle_timeout,
        per_path={UPLOAD_PATH: (MAX_UPLOAD_BYTES, too_large)},
    )
    app.add_middleware(HeaderLimit)
    if allowed_hosts is not None:
        app.add_middleware(HostCheck, allowed=list(allowed_hosts))

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> LabJSONResponse:
        status, message = _validation_message(exc)
        content_type = request.headers.get("content-type", "")
        if (
            request.method == "POST"
            and "json" not in content_type
            and status == 422
            and any(tuple(e.get("loc", ()))[:1] == ("body",) for e in exc.errors())
        ):
            status, message = 415, "send the request body as JSON (Content-Type: application/json)"
        return _error(status, message, "invalid_request")

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> LabJSONResponse:
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such page or endpoint: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"{request.url.path} does not accept {request.method}"
        response = _error(exc.status_code, message, "http")
        response.headers.update(exc.headers or {})  # 405 keeps its Allow header
        return response

    # The lab's own exceptions: each answers with its status and kind.
    for kind, status, code in (
        (UnknownSession, 404, "unknown_session"),
        (UnknownParameter, 404, "unknown_parameter"),
        (LabConflict, 409, "conflict"),
        (DivergenceError, 422, "diverged"),
        (BackpropLabError, 400, "bad_input"),
    ):
        app.add_exception_handler(kind, _answer_with(status, code))

    app.include_router(router)
    app.include_router(feature_router)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
