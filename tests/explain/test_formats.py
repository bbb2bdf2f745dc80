"""Each output format, checked by the program that reads it: JSON, pdflatex, Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

import backproplab as bp


def slides(**kwargs) -> bp.Explanation:
    return bp.explain(bp.MLP.slides_network(), [0.05, 0.10], [0.01], **kwargs)


def deep_batch() -> bp.Explanation:
    net = bp.MLP([3, 4, 3], hidden="leaky_relu", loss="cross_entropy", seed=2)
    return bp.explain(net, [[0.1, -0.2, 0.3], [0.5, 0.5, -1.0]], [2, 0], lr=0.1)


def test_text_has_every_step_in_order() -> None:
    exp = slides(slides_labels=True)
    text = exp.to_text()
    assert str(exp) == text
    pos = 0
    for step in exp.steps:
        found = text.find(step.symbol.text + " = ", pos)
        assert found >= 0, step.id
        pos = found
    assert "[slides: w^2_21]" in text  # our w2_11 next to the slides' label
    assert "[slides:" not in slides().to_text()
    first = text.splitlines()[:3]
    assert first[1].startswith("MLP 2-2-1 (sigmoid, identity), loss mse, η = 0.5")


def test_markdown_and_jupyter_reprs() -> None:
    exp = slides()
    md = exp.to_markdown()
    assert exp._repr_markdown_() == md
    assert md.count("\n- $") == len(exp.steps)
    assert r"\frac{\partial L}{\partial w^{2}_{11}}" in md
    fragment = exp._repr_html_()
    assert "<math" in fragment and "<html" not in fragment


def test_json_round_trips() -> None:
    exp = deep_batch()
    assert json.loads(exp.to_json()) == json.loads(json.dumps(exp.to_dict()))


def _pdflatex(tmp_path, source: str) -> subprocess.CompletedProcess:
    exe = shutil.which("pdflatex")
    assert exe, "pdflatex is missing: apt-get install texlive-latex-base (see README test command)"
    (tmp_path / "explain.tex").write_text(source, encoding="ascii")
    return subprocess.run(
        [exe, "-interaction=nonstopmode", "-halt-on-error", "explain.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
@pytest.mark.parametrize("which", ["slides", "deep_batch"])
def test_latex_compiles_with_pdflatex(tmp_path, which: str) -> None:
    exp = slides(slides_labels=True) if which == "slides" else deep_batch()
    body = exp.to_latex()
    assert body.isascii()
    assert r"\documentclass" not in body
    # A document body with amsmath: the user's own preamble around it.
    document = (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
        + body
        + "\\end{document}\n"
    )
    result = _pdflatex(tmp_path, document)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "explain.pdf").stat().st_size > 1000
    standalone = exp.to_latex(standalone=True)
    result = _pdflatex(tmp_path, standalone)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.browser
@pytest.mark.slow
def test_html_renders_in_chromium_without_network_or_console_errors(tmp_path, browser) -> None:
    exp = slides(slides_labels=True)
    page_file = tmp_path / "explain.html"
    page_file.write_text(exp.to_html(), encoding="utf-8")
    assert "http://" not in exp.to_html() and "https://" not in exp.to_html()
    errors: list[str] = []
    requests: list[str] = []
    context = browser.new_context()
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_file.as_uri())
        maths = page.locator("math")
        assert maths.count() == len(exp.steps)
        # MathML laid out as maths: a fraction is taller than a line of text.
        box = page.locator('[id="gradient:w1_11"] mfrac').first.bounding_box()
        line = page.locator("p").first.bounding_box()
        assert box is not None and line is not None
        assert box["height"] > line["height"] * 1.3
        assert page.locator('[data-param="w2_11"]').count() == 2  # gradient and update
        assert "∂L/∂w2_11" in page.locator('[id="gradient:w2_11"]').get_attribute("title")
    finally:
        context.close()
    assert errors == []
    assert requests == [page_file.as_uri()]
