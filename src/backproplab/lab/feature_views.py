"""What the own-data, practice and gradient-health features add to every state the page gets."""

from __future__ import annotations

from typing import Any

from .practice_view import withhold
from .session import LabSession
from .upload import fit_view


def feature_views(session: LabSession, view: dict[str, Any]) -> None:
    """What the three features add to a state view (in place): health, practice, fit."""
    view["health"] = session.health.view()
    view["fit"] = fit_view(session)
    withhold(session, view)
    if "data" in view:
        data = session.data
        view["data"].update(
            features=list(data.feature_names[: data.n_features]),
            view=list(data.view),
            note=data.note,
        )
