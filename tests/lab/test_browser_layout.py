"""The lab on any screen, by keyboard, for a projector and for axe-core (issue 12).

Each test loads a page once and checks several states on it: the browser runs on shared
cores, and a page load costs more than the checks.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from backproplab.engine.functions import BY_NAME
from backproplab.explain.expr import display_digits, format_number

from .conftest import open_lab, shown_number

pytestmark = pytest.mark.browser

WIDTHS = (360, 390, 768, 1440, 2560)
NETWORKS = {
    "2-2-1": "?lr=0.5",
    "2-4-1": "?data=moons&hidden=4t&loss=bce&sw=0",
    "2-8-8-1": "?data=moons&hidden=8t,8s&loss=bce&sw=0",
    "2-16-16-16-1": "?data=moons&hidden=16t,16t,16r&loss=bce&sw=0",
}

#: In the page: the document's width, the smallest text drawn anywhere (SVG text scaled by
#: its drawing's transform), and every pair of network text boxes that overlap each other
#: or a neuron other than their own.
MEASURE = """() => {
  const visible = (el) =>
    el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  let minFont = Infinity, smallest = null;
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "title", "OPTION"].includes(el.tagName)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !visible(el)) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement) size *= el.getScreenCTM().a;
    if (size < minFont) {
      minFont = size;
      smallest = `${el.tagName}.${el.getAttribute("class")}: ${el.textContent.slice(0, 30)}`;
    }
  }
  const svg = document.querySelector("#network");
  const rect = (el) => el.getBoundingClientRect();
  const texts = [...svg.querySelectorAll("text")]
    .map((el) => ({ el, r: rect(el) }))
    .filter((t) => t.r.width > 0);
  const nodes = [...svg.querySelectorAll(".node-circle")].map((el) => ({ el, r: rect(el) }));
  const hit = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
                        Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  const name = (el) => `${el.getAttribute("class")}:${el.textContent}`;
  const overlaps = [];
  texts.forEach((a, k) => {
    for (const b of texts.slice(k + 1)) if (hit(a.r, b.r)) overlaps.push([name(a.el), name(b.el)]);
    for (const n of nodes) {
      if (n.el.closest(".node") === a.el.closest(".node")) continue;  // a neuron's own value
      if (hit(a.r, n.r)) overlaps.push([name(a.el), n.el.closest(".node").dataset.node]);
    }
  });
  const [, , vbWidth] = svg.getAttribute("viewBox").split(" ").map(Number);
  return {
    scrollWidth: document.documentElement.scrollWidth, width: innerWidth,
    minFont, smallest, overlaps, texts: texts.length,
    drawnAtSize: Math.abs(vbWidth - svg.getBoundingClientRect().width) < 1.5,
  };
}"""


def measure(page) -> dict:
    # The drawing follows its panel's width one frame after a resize.
    page.wait_for_function(
        "(() => { const s = document.querySelector('#network');"
        " return Math.abs(Number(s.getAttribute('viewBox').split(' ')[2])"
        " - s.getBoundingClientRect().width) < 1.5; })()"
    )
    return page.evaluate(MEASURE)


def show(page, view: str) -> None:
    page.check(f"input[name=view][value={view}]")
    page.wait_for_selector(f"#network[data-view='{view}']")


@pytest.mark.parametrize("layers", list(NETWORKS))
def test_every_width_fits_without_overlaps_or_small_text(page, lab_url: str, layers: str) -> None:
    page.set_viewport_size({"width": WIDTHS[0], "height": 800})
    open_lab(page, lab_url, NETWORKS[layers])
    assert page.get_attribute("#network", "data-layers") == layers
    start = measure(page)  # nothing computed yet: the neurons show their names
    assert start["overlaps"] == [] and start["minFont"] >= 11, start
    page.click("#btn-forward")
    page.wait_for_selector("#lab[data-phase='forward']")
    page.click("#btn-backward")
    page.wait_for_selector("#lab[data-phase='backward']")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for view in ("values", "gradients"):
            show(page, view)
            m = measure(page)
            where = f"{layers} at {width} px, {view}"
            assert m["scrollWidth"] <= m["width"], (
                f"{where}: the page is {m['scrollWidth']} px wide"
            )
            assert m["minFont"] >= 11, f"{where}: {m['smallest']} is {m['minFont']:.1f} px"
            assert m["overlaps"] == [], f"{where}: overlapping labels {m['overlaps'][:5]}"
            assert m["texts"] > 0, where
    # A roomy network keeps its numbers inside its neurons at a laptop's width.
    if layers in ("2-2-1", "2-4-1"):
        page.set_viewport_size({"width": 1440, "height": 900})
        show(page, "values")
        measure(page)
        assert page.locator("#network .node-value").count() == sum(map(int, layers.split("-")))
        assert page.locator("#network .edge-value").count() > 0
    assert page.console_log.errors == []


def _srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    f = (xyz @ rgb) / np.array([0.9505, 1.0, 1.089])
    f = np.where(f > 0.008856, np.cbrt(f), 7.787 * f + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour.lstrip("#")[k : k + 2], 16) / 255 for k in (0, 2, 4)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


#: Machado, Oliveira & Fernandes (2009): full deuteranopia, on linear RGB.
DEUTERANOPIA = np.array(
    [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]]
)


#: The point along an edge farthest from every other edge: [x, y, its distance to them].
CLEAR_SPOT = """(name) => {
  const edges = [...document.querySelectorAll("#network .edge")].map(
    (g) => [g.dataset.param, g.dataset.coords.split(",").map(Number)]);
  const [, [x1, y1, x2, y2]] = edges.find(([p]) => p === name);
  const dist = (px, py, [ax, ay, bx, by]) => {
    const dx = bx - ax, dy = by - ay;
    const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
    return Math.hypot(px - ax - t * dx, py - ay - t * dy);
  };
  let best = [0, 0, -1];
  for (let t = 0.1; t <= 0.9; t += 0.01) {
    const px = x1 + t * (x2 - x1), py = y1 + t * (y2 - y1);
    const d = Math.min(...edges.filter(([p]) => p !== name).map(([, c]) => dist(px, py, c)));
    if (d > best[2]) best = [px, py, d];
  }
  return best;
}"""


def test_dense_layers_pick_one_edge_by_pointer_and_signs_are_colour_blind_safe(
    page, lab_url: str
) -> None:
    open_lab(page, lab_url, NETWORKS["2-16-16-16-1"])
    measure(page)  # drawn at its final width (a scroll bar may have narrowed it)
    # Signs: two colours still far apart for a deuteranope, and negative edges dashed.
    strokes = page.locator("#network .edge-line").evaluate_all(
        "els => els.map(e => [e.parentNode.dataset.param, e.getAttribute('stroke'),"
        " e.getAttribute('stroke-dasharray')])"
    )
    colours = {stroke for _, stroke, _ in strokes}
    assert len(colours) == 2, colours
    pos, neg = sorted(colours)  # "#0072B2" < "#D55E00"
    for _, stroke, dash in strokes:
        assert (dash is not None) == (stroke == neg)
    simulated = [_srgb_to_lab(np.clip(DEUTERANOPIA @ _linear(c), 0, 1)) for c in (pos, neg)]
    assert np.linalg.norm(simulated[0] - simulated[1]) > 40  # CIE76 ΔE: clearly different
    # Where edges cross, no pointer can tell them apart; anywhere along an edge a few pixels
    # clear of its neighbours (edges converge near neurons), the nearest one is highlighted
    # alone and a click opens it.
    name = "w2_12_13"  # two-digit indices: explain's name and its subscript "12,13"
    x, y, clearance = page.evaluate(CLEAR_SPOT, name)
    assert clearance >= 2  # 256 edges between two columns of 16: a couple of pixels
    box = page.locator("#network").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + x, box["y"] + y)
    active = page.locator("#network .edge.active")
    assert active.count() == 1 and active.get_attribute("data-param") == name
    assert page.locator("#network-info math").count() == 1
    page.mouse.down()
    page.mouse.up()
    page.wait_for_selector(f"#derivation[data-ready='1'][data-param='{name}']")
    # The title is explain's MathML for the weight: w with layer 2 and indices 5,6.
    assert page.locator("#derivation-title math msubsup").count() == 1
    assert "12,13" in (page.text_content("#derivation-title math") or "")
    assert page.console_log.errors == []


def server_state(page) -> dict:
    """The tab's state as the server holds it (its own session)."""
    return page.evaluate(
        "fetch('/api/state', {headers: {'X-Lab-Session':"
        " sessionStorage.getItem('backproplab-lab-session')}}).then(r => r.json())"
    )


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focus is on `selector` (the keyboard alone)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def focused_param(page) -> str | None:
    return page.evaluate("document.activeElement.dataset.param ?? null")


def test_keyboard_alone_runs_the_lab_and_walks_the_edges(page, lab_url: str) -> None:
    open_lab(page, lab_url)
    tab_to(page, "#data")
    page.keyboard.press("ArrowDown")  # the slides' example -> xor
    page.wait_for_function("location.search.includes('data=xor')")
    page.wait_for_selector("#network[data-layers='2-2-1']")
    for button, phase in (("forward", "forward"), ("backward", "backward"), ("update", "update")):
        tab_to(page, f"#btn-{button}")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#lab[data-phase='{phase}']")
    # One tab stop for the whole drawing; the arrows walk the edges into a neuron, its bias,
    # then the next neuron; → goes to the next layer.
    tab_to(page, "#network .edge, #network .bias")
    walk = [focused_param(page)]
    for _ in range(3):
        page.keyboard.press("ArrowDown")
        walk.append(focused_param(page))
    assert walk == ["w1_11", "w1_21", "b1_1", "w1_12"]
    page.keyboard.press("ArrowRight")
    assert focused_param(page) == "w2_11"
    page.keyboard.press("ArrowUp")
    assert focused_param(page) == "b2_1"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")
    page.wait_for_selector("#derivation[data-ready='1'][data-param='w1_11']")
    assert page.evaluate("document.activeElement.id") == "derivation-close"
    page.keyboard.press("Escape")
    assert page.locator("#derivation").is_hidden()
    assert focused_param(page) == "w1_11"  # back where the keyboard was
    assert page.console_log.errors == []


def test_full_screen_large_type_and_exported_figure(page, lab_url: str, tmp_path: Path) -> None:
    open_lab(page, lab_url, NETWORKS["2-4-1"])
    page.click("#btn-step")
    page.wait_for_selector("#lab[data-phase='update']")
    page.click("#btn-forward")
    page.wait_for_selector("#lab[data-phase='forward']")
    normal = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#network text')).fontSize)"
    )
    page.click("#btn-present")
    page.wait_for_selector("body.presenting")
    assert page.get_attribute("#btn-present", "aria-pressed") == "true"
    assert page.locator("#controls").is_hidden()
    m = measure(page)
    large = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#network text')).fontSize)"
    )
    assert large >= 18 > normal, (normal, large)
    assert m["scrollWidth"] <= m["width"] and m["overlaps"] == []
    shown = set(page.locator("#network text").all_text_contents())

    with page.expect_download() as download:
        page.click("#btn-export")
    path = tmp_path / "network.svg"
    download.value.save_as(path)
    assert download.value.suggested_filename.endswith(".svg")
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    exported = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert exported == shown
    # The figure carries the current values: the first weight as the page shows it.
    w = server_state(page)["params"]["weights"][0][0][0]
    edge = page.text_content(".edge-value[data-param='w1_11']") or ""
    assert edge in exported
    assert math.isclose(shown_number(edge), w, rel_tol=1e-3)
    assert "font-size" in path.read_text()  # the styles travel with the file
    page.click("#btn-present")
    page.wait_for_function("!document.body.classList.contains('presenting')")
    assert page.locator("#controls").is_visible()
    assert page.console_log.errors == []


def test_an_engine_activation_new_to_the_menu_runs_in_the_page(page, lab_url: str) -> None:
    open_lab(page, lab_url, "?data=moons&hidden=3t&loss=bce&sw=0")
    options = page.locator(".layer-row[data-layer='1'] .layer-activation option")
    values = options.evaluate_all("els => els.map(e => e.value)")
    assert {"elu", "softplus", "silu", "gelu"} <= set(values)
    page.select_option(".layer-row[data-layer='1'] .layer-activation", "gelu")
    page.wait_for_function("location.search.includes('hidden=3g')")
    page.click("#btn-forward")
    page.wait_for_selector("#lab[data-phase='forward']")
    state = server_state(page)
    assert state["network"]["activations"][0] == "gelu"
    # z lists the layers after the input; a starts with the input itself.
    z, a = np.array(state["forward"]["z"][0]), np.array(state["forward"]["a"][1])
    np.testing.assert_allclose(a, BY_NAME["gelu"].f(z, 0.0), rtol=1e-12)
    for j in range(3):
        text = page.text_content(f".node-value[data-node='1_{j + 1}']") or ""
        assert math.isclose(shown_number(text), a[j], rel_tol=5e-4, abs_tol=5e-5)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.input_value(".layer-row[data-layer='1'] .layer-activation") == "gelu"
    # The page writes numbers digit for digit as explain does at the server's precision.
    values = [0.15, -0.2502345, 1234567.0, 3.2e-7, -1e-4, 12.5, 0.99996, 100.0, *a.tolist()]
    page_text = page.evaluate(
        "(vs) => import('/static/js/labels.js').then((m) => vs.map(m.num))", values
    )
    with display_digits(state["labels"]["digits"]):
        assert page_text == [format_number(v, "num") for v in values]
    assert page.console_log.errors == []


def serious_findings(page) -> list[str]:
    """axe-core's violations of impact serious or critical on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_core_finds_nothing_serious_in_any_state(page, lab_url: str) -> None:
    open_lab(page, lab_url)
    found = {"start": serious_findings(page)}
    page.click("#btn-forward")
    page.wait_for_selector("#lab[data-phase='forward']")
    found["after Forward"] = serious_findings(page)
    page.click("#btn-backward")
    page.wait_for_selector("#lab[data-phase='backward']")
    found["after Backward"] = serious_findings(page)
    page.click(".edge-value[data-param='w1_11']")
    page.wait_for_selector("#derivation[data-ready='1'][data-param='w1_11']")
    found["derivation panel open"] = serious_findings(page)
    page.click("#derivation-close")
    # Practice mode (the Practice panel of issue 12's item 4) hides the gradients after
    # Backward and asks for one; this page has it once that panel is part of the lab.
    if page.locator("#practice-on").count():
        page.click("#btn-reset")
        page.wait_for_selector("#lab[data-phase='ready']")
        page.check("#practice-on")
        page.wait_for_function("document.querySelector('#practice-asks').value !== ''")
        for phase in ("forward", "backward"):
            page.click(f"#btn-{phase}")
            page.wait_for_selector(f"#lab[data-phase='{phase}']")
        page.wait_for_selector("#practice-form:not([hidden])")  # the gradients withheld
        found["practice mode"] = serious_findings(page)
        page.uncheck("#practice-on")
    page.set_viewport_size({"width": 390, "height": 844})
    measure(page)
    found["phone width"] = serious_findings(page)
    page.click("#network .bias[data-param='b2_1'] rect")
    page.wait_for_selector("#derivation[data-ready='1'][data-param='b2_1']")
    found["phone width, derivation open"] = serious_findings(page)
    m = measure(page)  # the panel's maths too: no script below 11 px
    assert m["minFont"] >= 11 and m["scrollWidth"] <= m["width"], m
    assert found == {state: [] for state in found}
    assert page.console_log.errors == []
