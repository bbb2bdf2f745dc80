"""Figures are real PNG files of the expected size whose pixels show something."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

import backproplab as bp
from backproplab.engine.errors import InputError
from backproplab.engine.fit import History
from backproplab.plots import DPI, FIGSIZE, plot_decision_boundary, plot_loss
from backproplab.train.datasets import load_dataset

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXPECTED = (round(FIGSIZE[1] * DPI), round(FIGSIZE[0] * DPI))  # (rows, columns) = (480, 640)


def assert_real_png(path: Path) -> np.ndarray:
    """The file is a PNG of the expected size with a varied, non-blank picture."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    pixels = mpimg.imread(path)
    assert pixels.shape[:2] == EXPECTED
    rgb = pixels[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05, "the image is (nearly) one colour"
    assert len(np.unique(np.round(rgb, 2), axis=0)) > 20
    return pixels


@pytest.fixture
def moons_net():
    ds = load_dataset("moons", n_samples=120)
    net = bp.MLP([2, 12, 2], hidden="tanh", loss="cross_entropy", seed=0)
    history = net.fit(ds.X, ds.y, epochs=150, lr=0.05, optimizer="adam", validation_split=0.2)
    return ds, net, history


def test_loss_curve_png(tmp_path: Path, moons_net) -> None:
    _, _, history = moons_net
    pixels = assert_real_png(plot_loss(history, tmp_path / "loss.png"))
    # The two curves are drawn in blue (training) and orange (validation).
    rgb = pixels[..., :3].reshape(-1, 3)
    blue = np.all(np.abs(rgb - np.array([0x1F, 0x77, 0xB4]) / 255) < 0.05, axis=1)
    orange = np.all(np.abs(rgb - np.array([0xFF, 0x7F, 0x0E]) / 255) < 0.05, axis=1)
    assert blue.sum() > 200 and orange.sum() > 200


def test_decision_boundary_png_shows_both_classes(tmp_path: Path, moons_net) -> None:
    ds, net, _ = moons_net
    path = plot_decision_boundary(net, ds.X, ds.y, tmp_path / "boundary.png",
                                  class_names=ds.class_names)  # fmt: skip
    pixels = assert_real_png(path)
    # The plot area is shaded in both class colours (blue-ish and orange-ish regions).
    rgb = pixels[60:420, 100:560, :3]
    blueish = (rgb[..., 2] > rgb[..., 0] + 0.1).mean()
    orangeish = (rgb[..., 0] > rgb[..., 2] + 0.1).mean()
    assert blueish > 0.15 and orangeish > 0.15


def test_plots_refuse_what_they_cannot_draw(tmp_path: Path) -> None:
    net = bp.MLP([3, 4, 2], loss="cross_entropy")
    with pytest.raises(InputError, match="exactly 2 inputs"):
        plot_decision_boundary(net, np.zeros((5, 3)), np.zeros(5), tmp_path / "x.png")
    with pytest.raises(InputError, match="History is empty"):
        plot_loss(History(), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_plots_leave_matplotlibs_backend_and_pyplot_alone(tmp_path) -> None:
    import subprocess
    import sys

    # A notebook user's backend (here 'svg', set before backproplab is imported) and pyplot's
    # figure list stay as they were after both figures are drawn; the PNGs are still written.
    code = (
        "import matplotlib; matplotlib.use('svg'); import backproplab as bp; "
        "from backproplab.plots import plot_decision_boundary, plot_loss; "
        "X = [[0, 1], [1, 0], [0, 0], [1, 1]]; y = [1, 1, 0, 0]; net = bp.MLP([2, 2, 1]); "
        "h = net.fit(X, [[1], [1], [0], [0]], epochs=3); "
        f"plot_loss(h, {str(tmp_path / 'l.png')!r}); "
        f"plot_decision_boundary(net, X, y, {str(tmp_path / 'b.png')!r}, resolution=20); "
        "import matplotlib.pyplot as plt; "
        "print(matplotlib.get_backend(), len(plt.get_fignums()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["svg", "0"]
    for name in ("l.png", "b.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG_MAGIC
