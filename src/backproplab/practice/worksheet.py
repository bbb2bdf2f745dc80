"""Worksheets for teachers: a seeded set of exercises as Markdown, LaTeX, PDF, JSON or Moodle XML.

The sheet prints its seed and the command that regenerates it; the answer key holds each
answer (the engine's ``Exercise.answer``) and the worked solution from ``explain``. Moodle XML
has one numerical question per exercise: the answer with its tolerance, then one wrong answer
per known mistake, each with the feedback that names it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ..engine.errors import InputError
from ..explain.render_common import latex_text
from .exercise import LEVELS, Exercise, exercise, tolerance
from .mistakes import MISTAKES, RECHECK

FORMATS = ("markdown", "latex", "pdf", "json", "moodle")
_BY_EXTENSION = {
    ".md": "markdown",
    ".tex": "latex",
    ".pdf": "pdf",
    ".json": "json",
    ".xml": "moodle",
}
LATEX_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath}
\allowdisplaybreaks
\begin{document}
"""


@dataclass
class Worksheet:
    """``count`` exercises of ``level``, the k-th from seed ``seed + k``."""

    level: str
    seed: int
    count: int
    asks: str | None = None

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise InputError(f"unknown level {self.level!r}; expected one of {', '.join(LEVELS)}")
        if self.count < 1:
            raise InputError(f"count must be at least 1, got {self.count}")
        self.exercises: list[Exercise] = [
            exercise(seed=self.seed + k, level=self.level, asks=self.asks)
            for k in range(self.count)
        ]

    @property
    def command(self) -> str:
        extra = f" --asks '{self.asks}'" if self.asks else ""
        return (
            f"backproplab worksheet --count {self.count} --level {self.level} "
            f"--seed {self.seed}{extra}"
        )

    @property
    def title(self) -> str:
        return f"Backpropagation worksheet: level {self.level}, seed {self.seed}"

    def render(self, fmt: str, *, key: bool = False) -> str | bytes:
        """The sheet (or with ``key`` the answer key) in one of :data:`FORMATS`."""
        renderers = {
            "markdown": self.to_markdown,
            "latex": self.to_latex,
            "json": self.to_json,
            "moodle": lambda key: self.to_moodle(),
            "pdf": self.to_pdf,
        }
        if fmt not in renderers:
            raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        return renderers[fmt](key=key)

    # ------------------------------------------------------------------ formats
    def to_markdown(self, key: bool = False) -> str:
        head = "Answer key" if key else "Questions"
        lines = [f"# {self.title} ({head})", "", f"Regenerate with `{self.command}`.", ""]
        for k, ex in enumerate(self.exercises, start=1):
            lines += [f"## Exercise {k}", ""]
            if key:
                lines += [
                    f"**{ex.symbol} = {ex.answer:.6g}** (4 significant figures: {ex.answer:.4g})",
                    "",
                    "Worked solution:",
                    "",
                    _demote(ex.explanation().to_markdown()),
                    "",
                ]
            else:
                lines += ["```text", ex.question, "```", "", "Answer: ______________", ""]
        return "\n".join(lines)

    def to_latex(self, key: bool = False) -> str:
        head = "Answer key" if key else "Questions"
        lines = [
            LATEX_PREAMBLE,
            rf"\section*{{{latex_text(self.title)} ({head})}}",
            rf"Regenerate with \texttt{{{latex_text(self.command)}}}.",
        ]
        for k, ex in enumerate(self.exercises, start=1):
            lines.append(rf"\subsection*{{Exercise {k}}}")
            if key:
                lines.append(
                    rf"\textbf{{{latex_text(ex.symbol)} = {ex.answer:.6g}}} "
                    rf"(4 significant figures: {ex.answer:.4g})\\"
                )
                body = ex.explanation().to_latex().replace(r"\section*", r"\paragraph*")
                lines.append(body.replace(r"\subsection*", r"\subparagraph*"))
            else:
                lines += [latex_text(line) + r"\\" for line in ex.question.splitlines()]
                lines.append(r"\medskip Answer: \rule{5cm}{0.4pt}")
        lines.append(r"\end{document}")
        return "\n".join(lines) + "\n"

    def to_json(self, key: bool = False) -> str:
        items = []
        for ex in self.exercises:
            item = ex.to_dict()
            if key:
                item["answer"] = ex.answer
                item["tolerance"] = tolerance(ex.answer)
                item["mistakes"] = ex.wrong_values()
                item["explanation"] = ex.explanation().to_dict()
            items.append(item)
        doc = {
            "format": "backproplab.worksheet",
            "version": 1,
            "key": key,
            "level": self.level,
            "seed": self.seed,
            "count": self.count,
            "command": self.command,
            "exercises": items,
        }
        return json.dumps(doc, indent=2, ensure_ascii=False)

    def to_moodle(self) -> str:
        """Moodle XML: numerical questions, the answer first, then one per known mistake."""
        quiz = ET.Element("quiz")
        category = ET.SubElement(quiz, "question", type="category")
        _text(ET.SubElement(category, "category"), f"$course$/backproplab/{self.level}")
        for k, ex in enumerate(self.exercises, start=1):
            q = ET.SubElement(quiz, "question", type="numerical")
            _text(ET.SubElement(q, "name"), f"{self.level} seed {ex.seed}: {ex.asks} ({k})")
            html = "<pre>" + _escape(ex.question) + "</pre>"
            _text(ET.SubElement(q, "questiontext", format="html"), html)
            _text(
                ET.SubElement(q, "generalfeedback", format="html"),
                "<pre>" + _escape(ex.explanation().to_text()) + "</pre>",
            )
            ET.SubElement(q, "defaultgrade").text = "1"
            ET.SubElement(q, "penalty").text = "0.3333333"
            _answer(q, 100, ex.answer, f"Correct: {ex.symbol} = {ex.answer:.6g}")
            for mistake, value in ex.wrong_values().items():
                message = f"{MISTAKES[mistake]}. Re-check {RECHECK[mistake]}."
                _answer(q, 0, value, message, mistake=mistake)
            fallback = ET.SubElement(q, "answer", fraction="0", format="moodle_auto_format")
            _text(fallback, "*")
            _text(
                ET.SubElement(fallback, "feedback", format="html"),
                "Not a known mistake: re-check the derivation from the forward pass.",
            )
        ET.indent(quiz)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(quiz, encoding="unicode")
            + "\n"
        )

    def to_pdf(self, key: bool = False) -> bytes:
        """The LaTeX compiled by pdflatex (which must be installed)."""
        exe = shutil.which("pdflatex")
        if exe is None:
            raise InputError("PDF needs pdflatex (Debian: apt-get install texlive-latex-base)")
        with tempfile.TemporaryDirectory() as tmp:
            tex = Path(tmp) / "sheet.tex"
            tex.write_text(self.to_latex(key=key), encoding="ascii", errors="replace")
            run = subprocess.run(
                [exe, "-interaction=nonstopmode", "-halt-on-error", tex.name],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=120,
            )
            pdf = Path(tmp) / "sheet.pdf"
            if run.returncode != 0 or not pdf.exists():
                tail = run.stdout.strip().splitlines()[-5:]
                raise InputError("pdflatex failed: " + " / ".join(tail))
            return pdf.read_bytes()


def _answer(q: ET.Element, fraction: int, value: float, feedback: str, mistake: str = "") -> None:
    ans = ET.SubElement(q, "answer", fraction=str(fraction), format="moodle_auto_format")
    _text(ans, repr(float(value)))
    ET.SubElement(ans, "tolerance").text = repr(tolerance(value))
    fb = ET.SubElement(ans, "feedback", format="html")
    _text(fb, _escape(feedback))
    if mistake:
        fb.set("mistake", mistake)  # ignored by Moodle; names the mistake for other tools


def _text(parent: ET.Element, value: str) -> None:
    ET.SubElement(parent, "text").text = value


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _demote(markdown: str) -> str:
    """Nest an explanation's headings under the exercise's."""
    return "\n".join(
        "##" + line if line.startswith("#") else line for line in markdown.splitlines()
    )


def format_for(path: Path, fmt: str | None) -> str:
    """The format named by ``fmt``, else by the file's extension."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        return fmt
    try:
        return _BY_EXTENSION[path.suffix.lower()]
    except KeyError:
        raise InputError(
            f"cannot tell the format of {str(path)!r} from its extension; use .md, .tex, .pdf, "
            ".json or .xml (Moodle), or --format"
        ) from None


def write(sheet: Worksheet, path: Path, fmt: str, *, key: bool = False) -> None:
    content = sheet.render(fmt, key=key)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
