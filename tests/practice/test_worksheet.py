"""Worksheets as real files from the CLI: Moodle XML, the key's numbers, the PDF's pages."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from backproplab.practice import exercise, tolerance
from tests.conftest import run_cli


def _sheet(tmp_path, out: str, answers: str | None = None, *extra: str, count: int = 10):
    args = ["worksheet", "--count", str(count), "--level", "slides", "--seed", "7"]
    args += ["--out", str(tmp_path / out)]
    if answers:
        args += ["--answers", str(tmp_path / answers)]
    result = run_cli(*args, *extra)
    assert result.returncode == 0, result.stderr
    assert "--seed 7" in result.stdout
    return result


def test_moodle_xml_has_answer_tolerance_and_one_feedback_per_mistake(tmp_path):
    _sheet(tmp_path, "quiz.xml")
    root = ET.parse(tmp_path / "quiz.xml").getroot()
    questions = root.findall("question[@type='numerical']")
    assert len(questions) == 10
    for k, q in enumerate(questions):
        ex = exercise(seed=7 + k, level="slides")
        answers = q.findall("answer")
        right = answers[0]
        assert right.get("fraction") == "100"
        assert float(right.findtext("text")) == pytest.approx(ex.answer, rel=1e-12)
        assert float(right.findtext("tolerance")) == pytest.approx(tolerance(ex.answer))
        wrong = {a.find("feedback").get("mistake"): a for a in answers[1:-1]}
        assert set(wrong) == set(ex.wrong_values()), k
        for mistake, a in wrong.items():
            assert a.get("fraction") == "0"
            value = float(a.findtext("text"))
            assert ex.check(value).mistake is not None
            assert mistake in ex.check(value).mistakes
            assert float(a.findtext("tolerance")) > 0
            assert a.findtext("feedback/text").strip()
        assert answers[-1].findtext("text") == "*"  # anything else: not a known mistake
        assert "Compute" in q.findtext("questiontext/text")


def test_answer_key_numbers_equal_exercise_answers(tmp_path):
    _sheet(tmp_path, "sheet.md", "key.md")
    _sheet(tmp_path, "sheet.json", "key.json")
    key_md = (tmp_path / "key.md").read_text()
    sheet_md = (tmp_path / "sheet.md").read_text()
    found = [float(v) for v in re.findall(r"^\*\*[^=*]+ = (\S+)\*\*", key_md, flags=re.M)]
    expected = [exercise(seed=7 + k, level="slides").answer for k in range(10)]
    assert found == pytest.approx(expected, rel=1e-5)
    assert "Worked solution" in key_md and "Forward pass" in key_md
    assert "seed 7" in sheet_md and "Answer:" in sheet_md and "Worked solution" not in sheet_md
    key = json.loads((tmp_path / "key.json").read_text())
    assert [item["answer"] for item in key["exercises"]] == expected
    sheet = json.loads((tmp_path / "sheet.json").read_text())
    assert sheet["seed"] == 7 and "answer" not in sheet["exercises"][0]


def test_pdf_compiles_and_its_pages_are_not_blank(tmp_path):
    assert shutil.which("pdftoppm"), "pdftoppm is missing: apt-get install poppler-utils"
    _sheet(tmp_path, "sheet.pdf", "key.pdf", count=3)
    for name in ("sheet", "key"):
        pdf = tmp_path / f"{name}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF")
        subprocess.run(
            ["pdftoppm", "-r", "72", "-gray", str(pdf), str(tmp_path / name)], check=True
        )
        pages = sorted(tmp_path.glob(f"{name}-*.pgm"))
        assert pages
        for page in pages:
            pixels = _pgm_pixels(page.read_bytes())
            dark = sum(1 for p in pixels if p < 128)
            assert dark > 100, (page, dark)  # text on the page, not an empty sheet


def _pgm_pixels(data: bytes) -> bytes:
    """The pixel bytes of a binary PGM (P5) from pdftoppm -gray."""
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P5"
    return parts[4]


def test_latex_format_and_bad_input(tmp_path):
    _sheet(tmp_path, "sheet.txt", None, "--format", "latex", count=2)
    assert (tmp_path / "sheet.txt").read_text().startswith("\\documentclass")
    bad = run_cli("worksheet", "--out", str(tmp_path / "x.doc"))
    assert bad.returncode == 2 and "extension" in bad.stderr and "Traceback" not in bad.stderr
    bad = run_cli("worksheet", "--out", str(tmp_path / "x.md"), "--level", "hard")
    assert bad.returncode == 2 and "unknown level" in bad.stderr
