"""Own data, practice mode and gradient health in the page, in real headless Chromium."""

from __future__ import annotations

import re

import numpy as np
import pytest

import backproplab as bp
from backproplab.lab.upload import MAX_UPLOAD_BYTES
from backproplab.practice import MISTAKES
from backproplab.practice.quantities import parse_quantity
from backproplab.practice.variants import wrong_values

from .conftest import open_lab
from .csv_samples import bad_variants, classes_csv, cli_message

pytestmark = pytest.mark.browser

SLIDES_X = np.array([bp.SLIDES_INPUT])
SLIDES_Y = np.array([bp.SLIDES_TARGET])


def csv_file(name: str, text: str | bytes) -> dict:
    body = text.encode() if isinstance(text, str) else text
    return {"name": name, "mimeType": "text/csv", "buffer": body}


def refused(page) -> list[int]:
    """The 4xx answers Chromium logged (expected: the page shows their messages), checking
    that nothing else went to the console."""
    statuses = []
    for line in page.console_log.errors:
        m = re.fullmatch(
            r"Failed to load resource: the server responded with a status of (4\d\d) .*", line
        )
        assert m, line
        statuses.append(int(m.group(1)))
    return statuses


def message_after(page, action) -> str:
    """#csv-message once it has changed after ``action`` (and is no longer 'reading')."""
    page.evaluate("document.querySelector('#csv-message').textContent = ''")
    action()
    page.wait_for_function(
        "(t => t && !t.startsWith('reading'))(document.querySelector('#csv-message').textContent)"
    )
    return page.inner_text("#csv-message")


def test_a_csv_uploaded_in_the_page_trains_and_bad_ones_get_the_clis_messages(
    page, lab_url: str, tmp_path
) -> None:
    open_lab(page, lab_url)
    assert "1,048,576 bytes" in page.inner_text("#csv-limits")
    page.fill("#csv-target", "label")
    note = message_after(
        page, lambda: page.set_input_files("#csv-file", csv_file("flowers.csv", classes_csv()))
    )
    assert note.startswith("flowers.csv: 80 rows, target 'label'"), note
    page.wait_for_selector("#network[data-layers='3-2-1']")
    assert page.input_value("#data") == "csv" and "data=csv" in page.url
    # Three features: a projection to choose, and a confusion matrix of all of them.
    assert page.locator("#proj-x option").all_inner_texts() == ["petal", "sepal", "stem"]
    assert page.locator("#confusion tbody tr").count() == 2
    start = float(page.get_attribute("#loss-value", "data-value") or "nan")
    page.click("#btn-train")
    page.wait_for_function(
        f"Number(document.querySelector('#loss-value').dataset.value) < {0.6 * start}",
        timeout=30_000,
    )
    page.click("#btn-train")
    page.wait_for_function("document.querySelector('#btn-train').textContent === 'Train'")
    cells = [int(t) for t in page.locator("#confusion td").all_inner_texts()]
    assert sum(cells) == 80 and cells[0] + cells[3] > 60  # mostly on the diagonal
    assert page.locator("#health-table tbody tr").count() == 2  # fit's figures, per layer
    before = page.evaluate("document.querySelector('#data-plot').toDataURL()")
    page.select_option("#proj-y", "2")
    page.wait_for_function("document.querySelector('#proj-y').value === '2'")
    page.wait_for_function(f"document.querySelector('#data-plot').toDataURL() !== {before!r}")
    # Bad variants get the messages of the CLI's reader, through the file input...
    for name, text in bad_variants().items():
        shown = message_after(
            page, lambda n=name, t=text: page.set_input_files("#csv-file", csv_file(n, t))
        )
        assert shown == cli_message(tmp_path, name, text, target="label")
    big = b"1,2,3\n" * (MAX_UPLOAD_BYTES // 6 + 1)
    shown = message_after(page, lambda: page.set_input_files("#csv-file", csv_file("big.csv", big)))
    assert shown == (
        f"big.csv: {len(big):,} bytes; the limit for a CSV file in the lab is "
        f"{MAX_UPLOAD_BYTES:,} bytes"
    )
    # ... and dropped on the page (drag and drop), where a good file loads too.
    drop = """([name, text]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], name, { type: "text/csv" }));
        document.querySelector('#network').dispatchEvent(
            new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }"""
    name, text = "text.csv", bad_variants()["text.csv"]
    shown = message_after(page, lambda: page.evaluate(drop, [name, text]))
    assert shown == cli_message(tmp_path, name, text, target="label")
    page.fill("#csv-target", "")
    two = "x,y,class\n" + "".join(f"{k % 5},{k // 5},{(k % 5 + k // 5) % 2}\n" for k in range(25))
    note = message_after(page, lambda: page.evaluate(drop, ["grid.csv", two]))
    assert note.startswith("grid.csv: 25 rows, target 'class'")
    page.wait_for_selector("#network[data-layers='2-2-1']")
    assert page.locator("#csv-projection").is_hidden() and page.locator("#confusion").count() == 0
    assert refused(page) == [400, 400, 413, 400]


def test_practice_mode_accepts_the_right_value_and_names_a_planted_mistake(
    page, lab_url: str
) -> None:
    open_lab(page, lab_url)  # the slides' network and example
    page.check("#practice-on")
    page.wait_for_function("document.querySelector('#practice-asks').value === 'dL/dw1_11'")
    page.click("#btn-forward")
    page.wait_for_selector("#lab[data-phase='forward']")
    page.click("#btn-backward")
    page.wait_for_selector("#lab[data-phase='backward']")
    page.wait_for_selector("#practice-form:not([hidden])")
    assert "∂L/∂w1_11" in page.inner_text("#practice-question")
    # The gradients are withheld by the server: no edge of the gradient view shows a number.
    assert page.get_attribute("#network", "data-view") == "gradients"
    hidden = page.locator("#network .edge-value").all_inner_texts()
    assert not any(re.search(r"\d", t) for t in hidden), hidden
    net = bp.MLP.slides_network()
    q = parse_quantity("dL/dw1_11", net.layer_sizes)
    planted = wrong_values(net, SLIDES_X, SLIDES_Y, 0.5, q)["no_activation_derivative"]
    page.fill("#practice-answer", f"{planted:.5g}")
    page.click("#practice-check")
    page.wait_for_selector("#practice-feedback.wrong")
    assert MISTAKES["no_activation_derivative"] in page.inner_text("#practice-feedback")
    assert page.get_attribute("#practice-feedback", "data-mistake") == "no_activation_derivative"
    assert page.inner_text("#practice-score") == "Score: 0 right of 1 answered"
    page.wait_for_function(
        "[...document.querySelectorAll('#network .edge-value')]"
        ".some(e => /\\d/.test(e.textContent))"
    )
    # Answered: the gradients show again; the next cycle asks anew, and the right value counts.
    page.click("#btn-update")
    page.wait_for_selector("#lab[data-phase='update']")
    net.step(SLIDES_X, SLIDES_Y, lr=0.5)
    right = net.gradients(SLIDES_X, SLIDES_Y).weights[0][0, 0]
    page.click("#btn-forward")
    page.wait_for_selector("#lab[data-phase='forward']")
    page.click("#btn-backward")
    page.wait_for_selector("#practice-form:not([hidden])")
    page.focus("#practice-answer")  # typed, and submitted with Enter
    page.keyboard.type(f"{right:.6g}")
    page.keyboard.press("Enter")
    page.wait_for_selector("#practice-feedback.correct")
    assert page.inner_text("#practice-score") == "Score: 1 right of 2 answered"
    assert page.console_log.errors == []


def test_a_diverging_learning_rate_shows_the_diagnosis_naming_the_layer(page, lab_url: str) -> None:
    open_lab(
        page, lab_url, "?data=xor&hidden=4r&out=identity&loss=mse&lr=10&batch=full&seed=0&sw=0"
    )
    page.click("#btn-train")
    page.wait_for_function(
        "document.querySelector('#health-diagnosis').textContent !== ''", timeout=30_000
    )
    text = page.inner_text("#health-diagnosis")
    m = re.search(r"at update (\d+).*the gradients of layer (\d) exploded first", text)
    assert m, text
    assert page.get_attribute("#health-diagnosis", "data-layer") == m.group(2)
    assert re.search(
        r"try a smaller learning rate \(lr was 10; about [\d.e-]+ should be stable\)", text
    )
    assert "training diverged" in page.inner_text("#status")
    assert page.inner_text("#btn-train") == "Train"  # training stopped
    assert page.locator("#health-chart polyline").count() == 2
    assert refused(page) == [422]
