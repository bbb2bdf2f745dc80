"""docs/tutorial.md: every python block runs, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def test_tutorial_blocks_run_in_order(capsys) -> None:
    blocks = python_blocks(TUTORIAL.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    namespace: dict = {"__name__": "tutorial"}
    for k, block in enumerate(blocks, start=1):
        code = compile(block, f"{TUTORIAL.name} block {k}", "exec")
        exec(code, namespace)
    out = capsys.readouterr().out
    assert "∂L/∂w2_11" in out and "[slides: w^2_21]" in out
    assert "['w1_11', 'w1_12', 'w1_21', 'w1_22', 'w2_11', 'w2_21', 'b1_1', 'b1_2', 'b2_1']" in out


def test_tutorial_follows_the_slides_order() -> None:
    headings = re.findall(r"^## (.*)$", TUTORIAL.read_text(encoding="utf-8"), flags=re.MULTILINE)
    keys = [
        "network",
        "forward",
        "output layer",
        "O1 and O2",
        "hidden",
        "Update",
        "format",
        "Train",
    ]
    positions = [next(i for i, h in enumerate(headings) if key in h) for key in keys]
    assert positions == sorted(positions)
