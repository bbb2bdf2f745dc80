"""Every ```python block of the README runs, in order, in one namespace."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def test_readme_python_blocks_run(capsys):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 3
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"README.md python block {i + 1}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "weights[0]" in out  # the gradcheck report was printed
    assert namespace["history"]["val_accuracy"][-1] > 0.9
