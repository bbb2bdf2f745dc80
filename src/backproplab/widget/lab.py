"""The lab as a notebook widget, bound to a network that lives in the kernel.

The widget's front end is the lab page's own modules (bundled into one ES module), and it
makes the page's requests; they travel as the widget's model messages instead of HTTP,
and the kernel answers them with the lab's own ASGI application, called in-process (no
server, no socket). The session behind it holds the caller's ``MLP`` itself, so a Step in
the widget changes ``net.weights`` in Python, and a change made in Python (``net.step``,
``net.weights = ...``) is shown after the cell that made it (or on :meth:`Lab.refresh`).
"""

from __future__ import annotations

import weakref
from importlib import resources
from typing import Any

import anywidget
import numpy as np
import traitlets
from pydantic import ValidationError

from ..engine import MLP, InputError
from ..lab.app import create_app
from ..lab.models import LabConfig
from ..lab.session import LabSession
from ..lab.store import SessionStore
from .bundle import bundle
from .inprocess import call_app

__all__ = ["Lab"]

#: The id the widget's requests carry (the app's routes require one; the store has one).
SESSION_ID = "notebook-widget"
_STATIC = resources.files("backproplab.lab") / "static"


def _front_end() -> tuple[str, str]:
    """The widget's ES module and its style sheet, from the lab page's files."""
    esm = bundle(str(_STATIC / "js" / "widget-entry.js"))
    # The widget draws inside a shadow root: the page's :root variables belong on its host,
    # and none of the page's rules (body, button, ...) reach the notebook around it.
    css = (_STATIC / "lab.css").read_text(encoding="utf-8").replace(":root", ":host")
    css += (resources.files("backproplab.widget") / "widget.css").read_text(encoding="utf-8")
    return esm, css


class BoundSession(LabSession):
    """A lab session whose network is the caller's own object (Reset restores its weights)."""

    def __init__(self, session_id: str, config: LabConfig, net: MLP | None = None) -> None:
        self._initial: MLP | None = None
        super().__init__(session_id, config)
        if net is not None:
            self.bind(net)

    def bind(self, net: MLP) -> None:
        """Show and train ``net`` itself; Reset goes back to its parameters of now."""
        net.check_X(self.data.X)  # both checks first: a refused net changes nothing
        net.check_Y(self.data.targets(self.config.loss), self.data.n_samples)
        self._start(net)
        self._initial = net.copy()

    def configure(self, config: LabConfig) -> None:
        super().configure(config)
        self._initial = None  # a new configuration builds a network of its own

    def reset(self) -> None:
        if self._initial is None:
            super().reset()
            return
        self.net.weights = self._initial.weights  # in place: the caller's object stays
        self.net.biases = self._initial.biases
        self._start(self.net)

    def changed_outside(self) -> None:
        """The parameters were changed by other code: what was computed is out of date."""
        self._clear_cycle()
        self._record()


class OneSessionStore(SessionStore):
    """The store behind a widget: its one session, whatever id a request names."""

    def __init__(self, session: LabSession) -> None:
        super().__init__(max_sessions=1)
        self.session = session

    def get(self, session_id: str) -> LabSession:
        return self.session

    def configure(self, session_id: str, config: LabConfig) -> LabSession:
        with self.session.lock:
            self.session.configure(config)
        return self.session


def lab_config(net: MLP | None, data: str, settings: dict[str, Any]) -> LabConfig:
    """The lab's configuration for ``data`` and ``settings``, with the shape of ``net``."""
    fields: dict[str, Any] = {"data": data, **settings}
    if net is not None:
        if not isinstance(net, MLP):
            raise InputError(f"net must be a backproplab.MLP or None, got {type(net).__name__}")
        if net.n_inputs != 2:
            raise InputError(
                f"the lab shows networks with 2 inputs (its data are 2-D); this net has "
                f"{net.n_inputs}"
            )
        given = sorted({"hidden", "output", "loss", "slides_weights"} & settings.keys())
        if given:
            raise InputError(f"give either net or {', '.join(given)}: the net has its own")
        sizes, acts = net.layer_sizes, net.activations
        fields["hidden"] = [
            {"units": units, "activation": act}
            for units, act in zip(sizes[1:-1], acts[:-1], strict=True)
        ]
        fields["loss"] = net.loss_name
        if net.loss_name == "mse":
            fields["output"] = acts[-1]
        fields["slides_weights"] = False
    try:
        return LabConfig.model_validate(fields, strict=False)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()[:3]
        ]
        raise InputError(f"the lab cannot show this: {'; '.join(problems)}") from None


def _plain(values: np.ndarray) -> list[Any]:
    """JSON-ready numbers (a non-finite one becomes None, which JSON can carry)."""
    if np.isfinite(values).all():
        return values.tolist()
    return np.where(np.isfinite(values), values, None).tolist()


def _fingerprint(net: MLP) -> tuple[int, bytes]:
    return id(net), b"".join(p.tobytes() for p in net.parameters())


class Lab(anywidget.AnyWidget):
    """The lab in a notebook cell, on a live ``MLP``.

    ``Lab(net, data="xor")`` shows ``net`` (2 inputs; its output must suit the data and
    loss), and its buttons Forward, Backward, Update, Step, Train and Reset change ``net``
    itself. ``Lab(data="xor", hidden=[{"units": 4, "activation": "tanh"}])`` builds the
    network the page would build for that configuration (``lab.net``). Other keywords are
    the page's settings: ``lr``, ``batch_size``, ``n_samples``, ``noise``, ``seed``.

    The synced traits ``weights``, ``biases``, ``phase``, ``updates``, ``epochs`` and
    ``loss`` mirror the session after every action and every refresh.
    """

    _esm, _lab_css_text = _front_end()
    _lab_css = traitlets.Unicode(_lab_css_text).tag(sync=True)
    weights = traitlets.List().tag(sync=True)
    biases = traitlets.List().tag(sync=True)
    phase = traitlets.Unicode("ready").tag(sync=True)
    updates = traitlets.Int(0).tag(sync=True)
    epochs = traitlets.Int(0).tag(sync=True)
    loss = traitlets.Float(None, allow_none=True).tag(sync=True)
    #: Raised when Python changed the network, so that the front end asks for the state.
    revision = traitlets.Int(0).tag(sync=True)

    def __init__(self, net: MLP | None = None, data: str = "slides", **settings: Any) -> None:
        config = lab_config(net, data, settings)
        self._session = BoundSession(SESSION_ID, config, net)
        self._app = create_app(store=OneSessionStore(self._session))
        self._seen: tuple[int, bytes] | None = None
        super().__init__()
        self.on_msg(self._on_message)
        self._sync()
        _watch_cells(self)

    # ------------------------------------------------------------------ Python side
    @property
    def net(self) -> MLP:
        """The network on display (the one passed in, unless the widget rebuilt it)."""
        return self._session.net

    @net.setter
    def net(self, net: MLP) -> None:
        current = self._session.config
        keep = {"data", "n_samples", "noise", "lr", "batch_size", "seed"}
        config = lab_config(net, current.data, current.model_dump(include=keep))
        with self._session.lock:
            self._session.config = config
            self._session.bind(net)
        self._push()

    @property
    def session(self) -> LabSession:
        """The lab session behind the widget (what the page's server would keep for a tab)."""
        return self._session

    def refresh(self) -> bool:
        """Show the network's parameters if code outside the widget changed them.

        Runs by itself after each notebook cell (IPython kernels); call it in other
        front ends, or in the middle of a cell. Returns whether there was a change.
        """
        with self._session.lock:
            changed = _fingerprint(self._session.net) != self._seen
            if changed:
                self._session.changed_outside()
        if changed:
            self._push()
        return changed

    def close(self) -> None:
        _watched.discard(self)
        super().close()

    # ------------------------------------------------------------------ the front end
    def _push(self) -> None:
        self._sync()
        self.revision += 1

    def _sync(self) -> None:
        session = self._session
        with session.lock:
            net = session.net
            values = {
                "weights": [_plain(w) for w in net.weights],
                "biases": [_plain(b) for b in net.biases],
                "phase": session.phase,
                "updates": session.updates,
                "epochs": session.epochs,
                "loss": session.history[-1][1] if np.isfinite(session.history[-1][1]) else None,
            }
            self._seen = _fingerprint(net)
        with self.hold_sync():
            for name, value in values.items():
                setattr(self, name, value)

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """One request of the front end: answer it as the lab's server would."""
        if not isinstance(content, dict) or content.get("type") != "request":
            return
        method, path = content.get("method"), content.get("path")
        if method not in ("GET", "POST") or not isinstance(path, str):
            status, payload = 400, {"error": "a request needs a method and a path", "code": "http"}
        elif not path.startswith("/api/"):
            status, payload = 404, {"error": f"no such endpoint: {path}", "code": "http"}
        else:
            status, payload = call_app(
                self._app, method, path, content.get("body"), session_id=SESSION_ID
            )
            if 200 <= status < 300 and method == "POST":
                self._sync()
        self.send(
            {"type": "response", "id": content.get("id"), "status": status, "payload": payload}
        )


# ---------------------------------------------------------------------- after each cell
_watched: weakref.WeakSet[Lab] = weakref.WeakSet()
_hooked: set[int] = set()


def _watch_cells(lab: Lab) -> None:
    """Refresh every live widget after each cell (where the kernel is IPython's)."""
    _watched.add(lab)
    try:
        from IPython import get_ipython
    except ImportError:  # another kernel: refresh() by hand
        return
    shell = get_ipython()
    if shell is None or id(shell) in _hooked:
        return
    shell.events.register("post_run_cell", _after_cell)
    _hooked.add(id(shell))


def _after_cell(_result: Any = None) -> None:
    for lab in list(_watched):
        if lab.comm is not None:
            lab.refresh()
