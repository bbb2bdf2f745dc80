"""The lab's page in real headless Chromium, against the real server on a free port."""

from __future__ import annotations

import json

import numpy as np
import pytest

import backproplab as bp

from .conftest import ARTIFACTS, assert_displayed, open_lab, shown_number

pytestmark = pytest.mark.browser

SLIDES_X = np.array([bp.SLIDES_INPUT])
SLIDES_Y = np.array([bp.SLIDES_TARGET])
XOR_QUERY = "?data=xor&hidden=4t&loss=bce&lr=0.5&batch=full&seed=0&sw=0"
WEIGHTS = ("w1_11", "w1_12", "w1_21", "w1_22", "w2_11", "w2_21")
BIASES = ("b1_1", "b1_2", "b2_1")


def slides_explanation(lr: float = 0.5) -> dict[str, dict]:
    """bp.explain's steps for the slides' network and example, by id."""
    steps = bp.explain(bp.MLP.slides_network(), SLIDES_X, SLIDES_Y, lr=lr).to_dict()["steps"]
    return {s["id"]: s for s in steps}


def text_of(page, selector: str) -> str:
    return page.locator(selector).first.text_content() or ""


def test_page_loads_with_no_console_errors(page, lab_url: str) -> None:
    open_lab(page, lab_url)
    assert page.title() == "backproplab lab"
    assert page.locator("#network .node").count() == 5
    assert page.locator("#network .edge").count() == 6
    assert page.locator("#network .bias").count() == 3
    assert page.get_attribute("#network", "data-layers") == "2-2-1"
    # The slides' starting weights on the edges.
    assert_displayed(text_of(page, ".edge-value[data-param='w1_11']"), 0.15, "w1_11")
    assert_displayed(text_of(page, ".edge-value[data-param='w2_21']"), 0.45, "w2_21")
    assert page.locator("#network .node-value").count() == 0  # nothing computed yet
    assert page.locator("#loss-chart path.loss-line").count() == 1
    assert page.console_log.errors == []


def test_forward_backward_update_show_the_numbers_of_explain(page, lab_url: str) -> None:
    steps = slides_explanation(lr=0.5)
    open_lab(page, lab_url, "?lr=0.5")

    page.click("#btn-forward")
    page.wait_for_selector("#lab[data-phase='forward']")
    for key, step in (("1_1", "forward:a1_1"), ("1_2", "forward:a1_2"), ("2_1", "forward:a2_1")):
        cell = f".node-value[data-node='{key}']"
        assert_displayed(text_of(page, cell), steps[step]["value"], step)
        assert "fresh" in (page.get_attribute(cell, "class") or "")
    loss_text = text_of(page, ".batch-loss")
    assert_displayed(loss_text.split("=")[1], steps["loss"]["value"], "L")

    page.click("#btn-backward")
    page.wait_for_selector("#lab[data-phase='backward']")
    assert page.get_attribute("#network", "data-view") == "gradients"
    for name in WEIGHTS:
        cell = f".edge-value[data-param='{name}']"
        assert_displayed(text_of(page, cell), steps[f"gradient:{name}"]["value"], name)
        assert "fresh" in (page.get_attribute(cell, "class") or "")
    for name in BIASES:
        cell = f".bias-value[data-param='{name}']"
        assert_displayed(text_of(page, cell), steps[f"gradient:{name}"]["value"], name)
    for key in ("1_1", "1_2"):
        assert_displayed(
            text_of(page, f".node-value[data-node='{key}']"), steps[f"delta:{key}"]["value"], key
        )
    # The output is linear, so its delta is dL/dy-hat, which is dL/db2_1.
    assert_displayed(
        text_of(page, ".node-value[data-node='2_1']"), steps["output_grad:a2_1"]["value"], "δ ŷ"
    )
    assert_displayed(
        text_of(page, ".output-grad").split("=")[1], steps["output_grad:a2_1"]["value"], "dL/dŷ"
    )

    page.click("#btn-update")
    page.wait_for_selector("#lab[data-phase='update']")
    assert page.get_attribute("#network", "data-view") == "values"
    for name in WEIGHTS:
        cell = f".edge-value[data-param='{name}']"
        assert_displayed(text_of(page, cell), steps[f"update:{name}"]["value"], name)
        assert "fresh" in (page.get_attribute(cell, "class") or "")
    for name in BIASES:
        cell = f".bias-value[data-param='{name}']"
        assert_displayed(text_of(page, cell), steps[f"update:{name}"]["value"], name)
    assert page.inner_text("#updates") == "1"
    assert page.console_log.errors == []


def test_clicking_a_weight_opens_its_derivation(page, lab_url: str) -> None:
    steps = slides_explanation(lr=0.5)
    open_lab(page, lab_url)
    page.click("#btn-step")
    page.wait_for_selector("#lab[data-phase='update']")
    page.click(".edge-value[data-param='w1_11']")
    page.wait_for_selector("#derivation[data-ready='1'][data-param='w1_11']")
    panel = page.locator("#derivation")
    assert "w1_11" in (panel.locator("#derivation-title").text_content() or "")
    gradient = panel.locator(".summary .step[data-kind='gradient'] .step-value")
    update = panel.locator(".summary .step[data-kind='update'] .step-value")
    assert_displayed(gradient.text_content() or "", steps["gradient:w1_11"]["value"], "dL/dw1_11")
    assert_displayed(update.text_content() or "", steps["update:w1_11"]["value"], "w1_11(new)")
    # The chain of the slides: forward pass, loss, dL/dy-hat, dL/dO1, delta, gradient, update.
    kinds = panel.locator("ol.steps > li").evaluate_all("els => els.map(e => e.dataset.kind)")
    for kind in ("forward", "loss", "output_grad", "activation_grad", "delta", "gradient"):
        assert kind in kinds
    assert kinds[-1] == "update"
    # The maths is rendered (MathML), with the formula's fraction dL/dw.
    assert panel.locator("math mfrac").count() >= 2
    assert "edge" in (page.get_attribute(".edge[data-param='w1_11']", "class") or "")
    assert "selected" in (page.get_attribute(".edge[data-param='w1_11']", "class") or "")
    # The slides call the output weights "to-from": the panel says so beside ours.
    page.click(".edge-value[data-param='w2_11']")
    page.wait_for_selector("#derivation[data-ready='1'][data-param='w2_11']")
    slides_name = steps["gradient:w2_11"]["slides_label"]
    assert slides_name in (panel.locator(".summary .slides-label").first.text_content() or "")
    # A bias works the same way; the panel closes.
    page.click(".bias[data-param='b2_1'] rect")
    page.wait_for_selector("#derivation[data-ready='1'][data-param='b2_1']")
    page.click("#derivation-close")
    assert page.locator("#derivation").is_hidden()
    assert page.console_log.errors == []


def test_train_on_xor_reaches_a_small_loss_and_moves_the_heat_map(page, lab_url: str) -> None:
    open_lab(page, lab_url, XOR_QUERY)
    before = page.evaluate("document.querySelector('#data-plot').toDataURL()")
    start_loss = float(page.get_attribute("#loss-value", "data-value") or "nan")
    page.click("#btn-train")
    assert page.inner_text("#btn-train") == "Pause"
    # The lab trains through fit in time-budgeted frames, so how many updates one frame
    # makes depends on the machine: wait for the loss itself (a run that never learns times out).
    page.wait_for_function(
        "Number(document.querySelector('#loss-value').dataset.value) < 0.05", timeout=60_000
    )
    page.click("#btn-train")
    page.wait_for_function("document.querySelector('#btn-train').textContent === 'Train'")
    loss = float(page.get_attribute("#loss-value", "data-value") or "nan")
    updates = int(page.inner_text("#updates"))
    assert loss < 0.05 < start_loss, (loss, updates)
    assert updates > 0
    after = page.evaluate("document.querySelector('#data-plot').toDataURL()")
    assert after != before
    assert int(page.get_attribute("#loss-chart", "data-points") or 0) > 5
    # Clicking a point shows that sample's activations: here (1, 1), the last of xor's four.
    page.click("#btn-forward")
    page.wait_for_selector("#lab[data-phase='forward']")
    (x0, x1), (y0, y1) = json.loads(page.get_attribute("#data-plot", "data-bounds") or "")
    box = page.locator("#data-plot").bounding_box()
    assert box is not None
    page.mouse.click(
        box["x"] + (1 - x0) / (x1 - x0) * box["width"],
        box["y"] + (y1 - 1) / (y1 - y0) * box["height"],
    )
    page.wait_for_selector("#data-plot[data-selected='3']")
    assert text_of(page, ".node-value[data-node='0_1']") == "1"
    assert text_of(page, ".node-value[data-node='0_2']") == "1"
    ARTIFACTS.mkdir(exist_ok=True)
    page.click(".edge-value[data-param='w1_11']")
    page.wait_for_selector("#derivation[data-ready='1']")
    page.click("#derivation-close")
    page.screenshot(path=str(ARTIFACTS / "lab.png"))
    assert (ARTIFACTS / "lab.png").stat().st_size > 20_000
    assert page.console_log.errors == []


def test_editing_the_architecture_redraws_the_network(page, lab_url: str) -> None:
    open_lab(page, lab_url)
    page.click("#add-layer")
    page.wait_for_selector("#network[data-layers='2-2-2-1']")
    assert page.locator("#network .node").count() == 7
    page.click(".layer-row[data-layer='1'] .units-plus")
    page.wait_for_selector("#network[data-layers='2-3-2-1']")
    assert page.locator("#network .edge").count() == 2 * 3 + 3 * 2 + 2
    page.select_option(".layer-row[data-layer='2'] .layer-activation", "relu")
    page.wait_for_function("location.search.includes('hidden=3s%2C2r')")
    page.click(".layer-row[data-layer='1'] .layer-remove")
    page.wait_for_selector("#network[data-layers='2-2-1']")
    page.select_option("#data", "gaussians")
    page.select_option("#loss", "cross_entropy")
    page.wait_for_function("location.search.includes('loss=cross_entropy')")
    assert page.get_attribute("#network", "data-layers") == "2-2-3"  # one output per class
    assert page.locator("#output").is_disabled()
    assert page.console_log.errors == []


def test_reloading_the_url_restores_the_configuration(page, lab_url: str) -> None:
    open_lab(page, lab_url)
    page.select_option("#data", "moons")
    page.wait_for_function("location.search.includes('data=moons')")
    page.click("#add-layer")
    page.wait_for_selector("#network[data-layers='2-2-2-1']")
    page.fill("#lr", "0.3")
    page.dispatch_event("#lr", "change")
    page.fill("#batch-size", "8")
    page.dispatch_event("#batch-size", "change")
    page.wait_for_function("location.search.includes('batch=8')")
    page.check("input[name=view][value=gradients]")
    url = page.url
    assert "lr=0.3" in url and "view=gradients" in url
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#network[data-layers='2-2-2-1']")
    assert page.input_value("#data") == "moons"
    assert page.input_value("#lr") == "0.3"
    assert page.input_value("#batch-size") == "8"
    assert page.is_checked("input[name=view][value=gradients]")
    assert "batch: 8 samples" in page.inner_text("#batch-text")
    # The same URL in a new tab gives the same set-up.
    other = page.context.new_page()
    other.goto(url)
    other.wait_for_selector("#network[data-layers='2-2-2-1']")
    assert other.input_value("#data") == "moons"
    other.close()
    assert page.console_log.errors == []


def test_two_tabs_train_at_once_without_affecting_each_other(browser, lab_url: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        xor_tab, slides_tab = context.new_page(), context.new_page()
        open_lab(xor_tab, lab_url, XOR_QUERY)
        open_lab(slides_tab, lab_url, "?lr=0.1")
        ids = [
            tab.evaluate("sessionStorage.getItem('backproplab-lab-session')")
            for tab in (xor_tab, slides_tab)
        ]
        assert ids[0] and ids[1] and ids[0] != ids[1]
        for tab in (xor_tab, slides_tab):
            tab.bring_to_front()  # Playwright acts fastest on the tab in front
            tab.click("#btn-train")
        # Pause the slides' tab first, while the other one is still training.
        for tab in (slides_tab, xor_tab):
            tab.bring_to_front()
            tab.wait_for_function("Number(document.querySelector('#updates').textContent) > 50")
            tab.click("#btn-train")
            tab.wait_for_function("document.querySelector('#btn-train').textContent === 'Train'")
        assert xor_tab.get_attribute("#network", "data-layers") == "2-4-1"
        assert slides_tab.get_attribute("#network", "data-layers") == "2-2-1"
        # The slides' tab trained its one example with its own learning rate: check its
        # weights against the engine running the same number of steps alone.
        updates = int(slides_tab.inner_text("#updates"))
        net = bp.MLP.slides_network()
        for _ in range(updates):
            net.step(SLIDES_X, SLIDES_Y, lr=0.1)
        shown = shown_number(slides_tab.text_content(".edge-value[data-param='w2_11']") or "")
        expected = float(net.weights[1][0, 0])
        assert abs(shown - expected) <= 0.5 * 10 ** (np.floor(np.log10(abs(expected))) - 3)
    finally:
        context.close()
