"""The lab's request bodies, as pydantic models with hard limits.

Every request the page sends is parsed by one of these models, so a wrong type, a value
out of range or an unknown name is refused with a 4xx and a message before any of the
engine runs. The limits keep one request small: the lab draws every neuron and every
edge, and a browser tab must not be able to keep the server busy for minutes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..engine.functions import ACTIVATIONS

#: The data choices: the slides' single example, the built-in 2-D sets, the tab's own CSV.
DATA_CHOICES = ("slides", "xor", "circles", "moons", "spirals", "gaussians", "csv")
#: Every activation of the engine's table that may sit in a hidden layer (softmax mixes a
#: row's units, so it is output-only), identity last: it is the one a menu least suggests.
HIDDEN_ACTIVATIONS: tuple[str, ...] = tuple(
    sorted((d.name for d in ACTIVATIONS if not d.output_only), key=lambda n: n == "identity")
)
#: Output activations the editor offers for mse (bce and cross_entropy fix their own).
OUTPUT_ACTIVATIONS = ("identity", "sigmoid", "tanh", "softmax")
LOSSES = ("mse", "bce", "cross_entropy")

MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 16
MIN_SAMPLES = 4
MAX_SAMPLES = 1000
MAX_EPOCHS_PER_REQUEST = 500
#: Parameter updates one /api/train request may run (epochs x batches per epoch).
MAX_UPDATES_PER_REQUEST = 20_000
MAX_LEARNING_RATE = 10.0
#: Longest time budget a /api/train request may ask for.
MAX_TRAIN_MS = 2000
MAX_SEED = 2**32 - 1
#: Largest request body accepted, in bytes (a full configuration is well under 2 kB).
MAX_BODY_BYTES = 64 * 1024

DataName = Literal["slides", "xor", "circles", "moons", "spirals", "gaussians", "csv"]
HiddenActivation = Literal[HIDDEN_ACTIVATIONS]  # type: ignore[valid-type]
OutputActivation = Literal["identity", "sigmoid", "tanh", "softmax"]
LossName = Literal["mse", "bce", "cross_entropy"]


class _Strict(BaseModel):
    # strict: "0.5" is not a number and 2.0 is not a layer size; forbid: a misspelt
    # field is an error rather than silently ignored.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class HiddenLayer(_Strict):
    """One hidden layer of the architecture editor."""

    units: int = Field(ge=1, le=MAX_UNITS)
    activation: HiddenActivation = "sigmoid"


def _slides_hidden() -> list[HiddenLayer]:
    return [HiddenLayer(units=2, activation="sigmoid")]


class LabConfig(_Strict):
    """Everything that defines a tab's experiment; it is also what the URL carries.

    The output layer's size follows from the data and the loss (one unit for the slides'
    target and for two classes with mse or bce, one per class otherwise), and bce and
    cross_entropy fix the output activation (sigmoid, softmax) whatever ``output`` says.
    """

    data: DataName = "slides"
    #: None: the data set's own default (for xor, the four points of its truth table).
    n_samples: int | None = Field(None, ge=MIN_SAMPLES, le=MAX_SAMPLES)
    noise: float | None = Field(None, ge=0.0, le=1.0)
    hidden: list[HiddenLayer] = Field(default_factory=_slides_hidden, max_length=MAX_HIDDEN_LAYERS)
    output: OutputActivation = "identity"
    loss: LossName = "mse"
    lr: float = Field(0.5, gt=0.0, le=MAX_LEARNING_RATE)
    batch_size: int | None = Field(None, ge=1, le=MAX_SAMPLES)
    seed: int = Field(0, ge=0, le=MAX_SEED)
    #: Start from the slides' documented weights when the architecture is the slides' 2-2-1.
    slides_weights: bool = True


class TrainRequest(_Strict):
    """Run this many epochs of (mini-batch) gradient descent, then answer.

    With ``max_ms`` the server stops after the first epoch that ends past that many
    milliseconds (the page asks for one frame's worth of work this way, and two tabs
    training at once share the machine fairly); the answer says how many epochs ran.
    """

    epochs: int = Field(ge=1, le=MAX_EPOCHS_PER_REQUEST)
    max_ms: int | None = Field(None, ge=1, le=MAX_TRAIN_MS)


class SelectRequest(_Strict):
    """Choose the sample whose activations the network drawing shows."""

    sample: int = Field(ge=0, lt=MAX_SAMPLES)


class SettingsRequest(_Strict):
    """Change the learning rate or batch size without rebuilding the network."""

    lr: float | None = Field(None, gt=0.0, le=MAX_LEARNING_RATE)
    batch_size: int | None = Field(None, ge=1, le=MAX_SAMPLES)
    full_batch: bool = False


def limits() -> dict[str, int | float]:
    """The limits, for the page (it uses them as the inputs' min/max)."""
    return {
        "max_hidden_layers": MAX_HIDDEN_LAYERS,
        "max_units": MAX_UNITS,
        "min_samples": MIN_SAMPLES,
        "max_samples": MAX_SAMPLES,
        "max_epochs_per_request": MAX_EPOCHS_PER_REQUEST,
        "max_updates_per_request": MAX_UPDATES_PER_REQUEST,
        "max_learning_rate": MAX_LEARNING_RATE,
        "max_seed": MAX_SEED,
    }
