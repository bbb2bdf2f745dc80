"""The maths of backproplab, and nothing else: NumPy only, no I/O, no printing."""

from .activations import ACTIVATION_NAMES, Activation, get_activation
from .errors import BackpropLabError, DivergenceError, InputError, VanishingGradientWarning
from .fit import Callback, FitSettings, History
from .gradcheck import GradcheckReport, gradcheck, numerical_gradients
from .losses import LOSS_NAMES, Loss, get_loss
from .network import MLP, SLIDES_INPUT, SLIDES_TARGET, XOR_SEED, Gradients, Trace
from .state import TrainingState

__all__ = [
    "ACTIVATION_NAMES",
    "LOSS_NAMES",
    "MLP",
    "SLIDES_INPUT",
    "SLIDES_TARGET",
    "XOR_SEED",
    "Activation",
    "Callback",
    "FitSettings",
    "History",
    "TrainingState",
    "VanishingGradientWarning",
    "BackpropLabError",
    "DivergenceError",
    "GradcheckReport",
    "Gradients",
    "InputError",
    "Loss",
    "Trace",
    "get_activation",
    "get_loss",
    "gradcheck",
    "numerical_gradients",
]
