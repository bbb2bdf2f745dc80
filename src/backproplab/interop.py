"""PyTorch, both ways: ``to_torch(net)`` and ``from_torch(module, loss=...)``.

A backproplab MLP is a ``torch.nn.Sequential`` of ``Linear`` layers, each followed by its
activation module (none for the identity). ``Linear`` stores W^T: ``weight[j, i]`` is our
``weights[l][i, j]`` = w^l_ij. ``from_torch`` reads such a stack back, so that
``bp.explain(from_torch(model, loss=...), x, y)`` writes out every number of the step
PyTorch's autograd would take (tests/test_interop.py checks ``.grad`` against it).

``loss`` names the loss PyTorch trains with: 'mse' (``nn.MSELoss``), 'bce'
(``nn.BCEWithLogitsLoss`` on a stack ending in ``Linear``, or ``nn.BCELoss`` after a final
``Sigmoid``), 'cross_entropy' (``nn.CrossEntropyLoss`` on logits, or NLL of a final
``Softmax``), 'poisson' (``nn.PoissonNLLLoss(log_input=True)`` on a stack ending in
``Linear``: the network gets an exp output, and the half Poisson deviance differs from
PyTorch's loss by a constant only, so the gradients are the same), or one of those loss
modules itself (reduction 'mean').

torch is optional: without it these functions say how to install it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .engine import functions as F
from .engine.activations import Activation
from .engine.errors import InputError
from .engine.network import MLP

#: PyTorch module class name -> engine activation name.
TORCH_ACTIVATIONS = {d.torch_name: d.name for d in F.ACTIVATIONS if d.torch_name}
#: PyTorch loss module class name -> (engine loss, whether the module applies the output
#: activation itself: BCEWithLogitsLoss and CrossEntropyLoss take logits).
TORCH_LOSSES = {
    "MSELoss": ("mse", False),
    "BCELoss": ("bce", False),
    "BCEWithLogitsLoss": ("bce", True),
    "CrossEntropyLoss": ("cross_entropy", True),
    "PoissonNLLLoss": ("poisson", True),  # log_input=True: the module takes z = log rate
}
#: A file for ``backproplab explain --torch``: these keys (tensors, lists, strings only, so
#: that ``torch.load(weights_only=True)`` reads it without unpickling code).
FILE_KEYS = ("architecture", "state_dict", "loss")


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise InputError(
            "PyTorch interop needs torch: pip install 'backproplab[torch]' (or torch itself)"
        ) from None
    return torch


def _torch_dtype(torch: Any, dtype: np.dtype) -> Any:
    return torch.float64 if dtype == np.float64 else torch.float32


def to_torch(net: MLP) -> Any:
    """A ``torch.nn.Sequential`` computing ``net.predict`` (same dtype, copied weights)."""
    torch = _torch()
    nn = torch.nn
    if not isinstance(net, MLP):
        raise InputError(f"to_torch needs a backproplab MLP, got {type(net).__name__}")
    dtype = _torch_dtype(torch, net.dtype)
    modules: list[Any] = []
    layers = zip(net.weights, net.biases, net.activation_functions, strict=True)
    for W, b, act in layers:
        linear = nn.Linear(W.shape[0], W.shape[1], dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
            linear.bias.copy_(torch.from_numpy(np.array(b)))
        modules.append(linear)
        module = _activation_module(nn, act)
        if module is not None:
            modules.append(module)
    return nn.Sequential(*modules)


def _activation_module(nn: Any, act: Activation) -> Any:
    d = act.definition
    if act.name == "identity":
        return None
    if not d.torch_name:
        raise InputError(
            f"to_torch: PyTorch has no module for the activation {act.name!r}"
            + (" (train a Poisson model in PyTorch on the log rate, with "
               "PoissonNLLLoss(log_input=True))" if act.name == "exp" else "")
        )  # fmt: skip
    if act.name == "softmax":
        return nn.Softmax(dim=1)
    # The table names the module and the argument that holds the parameter (if any).
    return getattr(nn, d.torch_name)(**({d.torch_param: act.param} if d.torch_param else {}))


def _flatten(module: Any) -> list[Any]:
    """The leaf modules of nested Sequentials (also scripted ones), in order."""
    if _kind(module) == "Sequential":
        return [leaf for child in module.children() for leaf in _flatten(child)]
    return [module]


def _resolve_loss(loss: Any) -> tuple[str, bool | None]:
    """(engine loss, takes logits?) -- None: decided by the stack's last module."""
    if isinstance(loss, str):
        key = loss.lower()
        if key not in ("mse", "bce", "cross_entropy", "poisson"):
            raise InputError(
                f"loss must be 'mse', 'bce', 'cross_entropy', 'poisson' or a PyTorch loss module "
                f"({', '.join(TORCH_LOSSES)}), got {loss!r}"
            )
        return key, None
    name = type(loss).__name__
    if name not in TORCH_LOSSES:
        raise InputError(
            f"loss: {name} has no backproplab counterpart; use one of {', '.join(TORCH_LOSSES)}"
        )
    if getattr(loss, "reduction", "mean") != "mean":
        raise InputError(f"loss: {name} needs reduction='mean' (backproplab's L is a mean)")
    if getattr(loss, "weight", None) is not None or getattr(loss, "pos_weight", None) is not None:
        raise InputError(f"loss: {name} with class weights has no backproplab counterpart")
    if name == "PoissonNLLLoss" and not loss.log_input:
        raise InputError(
            "loss: PoissonNLLLoss needs log_input=True (the network's last "
            "Linear gives the log rate; backproplab's exp output turns it into the rate)"
        )
    return TORCH_LOSSES[name]


def from_torch(module: Any, loss: Any = "mse") -> MLP:
    """A backproplab MLP with the weights of a ``Sequential`` of ``Linear`` layers and
    activation modules (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softplus, SiLU, GELU,
    Identity; Softmax last). The first module of another kind is named in the error.

    A TorchScript module (``torch.jit.load``) is read through its ``state_dict`` and its
    children's original names.
    """
    torch = _torch()
    leaves = _flatten(module)
    layer_sizes: list[int] = []
    activations: list[Activation] = []
    weights: list[np.ndarray] = []
    biases: list[np.ndarray] = []
    dtype = None
    for index, leaf in enumerate(leaves):
        kind = _kind(leaf)
        if kind == "Linear":
            W = leaf.weight.detach()
            if weights and len(activations) < len(weights):
                activations.append(Activation(F.BY_NAME["identity"]))  # Linear after Linear
            if layer_sizes and W.shape[1] != layer_sizes[-1]:
                raise InputError(
                    f"module {index} (Linear) takes {W.shape[1]} inputs, but the layer before "
                    f"gives {layer_sizes[-1]}"
                )
            if not layer_sizes:
                layer_sizes.append(int(W.shape[1]))
            layer_sizes.append(int(W.shape[0]))
            dtype = dtype or W.dtype
            weights.append(W.T.contiguous().cpu().numpy())
            bias = leaf.bias
            biases.append(np.zeros(W.shape[0]) if bias is None else bias.detach().cpu().numpy())
            continue
        if kind not in TORCH_ACTIVATIONS or not weights or len(activations) == len(weights):
            where = "before any Linear" if not weights else "after an activation"
            reason = (
                "is not supported"
                if kind not in TORCH_ACTIVATIONS
                else f"comes {where} (one activation per Linear)"
            )
            raise InputError(
                f"from_torch: module {index} ({kind}) {reason}; supported: a Sequential of "
                f"Linear and {', '.join(sorted(TORCH_ACTIVATIONS))}"
            )
        activations.append(_engine_activation(leaf, kind, index, last=index == len(leaves) - 1))
    if not weights:
        raise InputError("from_torch: the module has no Linear layer")
    if len(activations) < len(weights):
        activations.append(Activation(F.BY_NAME["identity"]))
    loss_name, takes_logits = _resolve_loss(loss)
    activations = _output_for_loss(activations, loss_name, takes_logits)
    net_dtype = np.float64 if dtype == torch.float64 else np.float32
    net = MLP(layer_sizes, activations, loss=loss_name, dtype=net_dtype, init="zeros")
    net.weights = weights
    net.biases = biases
    return net


def _kind(leaf: Any) -> str:
    """The module's class name (TorchScript modules keep it as ``original_name``)."""
    return getattr(leaf, "original_name", None) or type(leaf).__name__


def _engine_activation(leaf: Any, kind: str, index: int, *, last: bool) -> Activation:
    name = TORCH_ACTIVATIONS[kind]
    definition = F.BY_NAME[name]
    if definition.torch_param:  # leaky_relu's slope, elu's alpha
        return Activation(definition, float(getattr(leaf, definition.torch_param)))
    if name == "gelu" and getattr(leaf, "approximate", "none") != "none":
        raise InputError(f"from_torch: module {index} (GELU) uses approximate='tanh'; "
                         "backproplab's gelu is the exact erf form")  # fmt: skip
    if name == "softplus" and (getattr(leaf, "beta", 1.0) != 1.0):
        raise InputError(f"from_torch: module {index} (Softplus) needs beta=1")
    if name == "softmax" and (not last or getattr(leaf, "dim", None) not in (1, -1)):
        raise InputError(
            f"from_torch: module {index} (Softmax) must be the last module, over dim=1"
        )
    return Activation(definition)


def _output_for_loss(
    activations: list[Activation], loss: str, takes_logits: bool | None
) -> list[Activation]:
    """The network's output activation as the loss sees it (logits get their sigmoid or
    softmax, which the PyTorch loss applies inside)."""
    fused = {"bce": "sigmoid", "cross_entropy": "softmax", "poisson": "exp"}.get(loss)
    last = activations[-1].name
    if fused is None:
        return activations
    if takes_logits is None:
        takes_logits = last == "identity"
    if takes_logits:
        if last != "identity":
            raise InputError(
                f"the loss takes logits, but the module already ends in {last}; end it with "
                "Linear, or use the loss on probabilities (BCELoss, or NLL of Softmax)"
            )
        return [*activations[:-1], Activation(F.BY_NAME[fused])]
    if last != fused:
        raise InputError(f"loss {loss!r} on probabilities needs a final {fused} module")
    return activations


# ---------------------------------------------------------------------- files
def describe(module: Any) -> list[dict[str, Any]]:
    """The architecture of a supported stack as plain data (module names and settings)."""
    out = []
    for leaf in _flatten(module):
        kind = _kind(leaf)
        entry: dict[str, Any] = {"module": kind}
        if kind == "Linear":
            entry.update(in_features=int(leaf.in_features), out_features=int(leaf.out_features),
                         bias=leaf.bias is not None)  # fmt: skip
        for attr in ("negative_slope", "alpha", "dim", "approximate", "beta"):
            if hasattr(leaf, attr) and kind != "Linear":
                entry[attr] = getattr(leaf, attr)
        out.append(entry)
    return out


def save_torch(module: Any, path: str | Path, loss: str = "mse") -> None:
    """Save a stack for ``backproplab explain --torch``: architecture, state_dict and loss
    in one ``torch.save`` file that ``torch.load(weights_only=True)`` reads."""
    torch = _torch()
    _resolve_loss(loss)
    torch.save({"architecture": describe(module), "state_dict": module.state_dict(),
                "loss": loss}, str(path))  # fmt: skip


def _build(architecture: Any) -> Any:
    torch = _torch()
    nn = torch.nn
    if not isinstance(architecture, list) or not all(isinstance(e, dict) for e in architecture):
        raise InputError("the file's 'architecture' must be a list of {'module': ...} entries")
    modules = []
    for index, entry in enumerate(architecture):
        kind = entry.get("module")
        settings = {k: v for k, v in entry.items() if k != "module"}
        if kind != "Linear" and kind not in TORCH_ACTIVATIONS:
            raise InputError(f"architecture entry {index}: unsupported module {kind!r}")
        try:
            modules.append(getattr(nn, kind)(**settings))
        except TypeError as error:
            raise InputError(f"architecture entry {index} ({kind}): {error}") from None
    return nn.Sequential(*modules)


def load_torch(path: str | Path, loss: str | None = None) -> MLP:
    """The network of a file from :func:`save_torch` (or any ``torch.save`` of
    {'architecture', 'state_dict', 'loss'}) or of a TorchScript file (``torch.jit.save``)."""
    torch = _torch()
    path = Path(path)
    if not path.is_file():
        raise InputError(f"--torch: no such file {str(path)!r}")
    try:
        module = torch.jit.load(str(path), map_location="cpu")
        return from_torch(module, loss=loss or "mse")
    except (RuntimeError, ValueError):
        pass  # not TorchScript: a saved dictionary
    try:
        data = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a file that is not its format
        raise InputError(
            f"--torch: {str(path)!r} is neither TorchScript nor a torch.save file "
            f"of a state_dict and architecture ({type(error).__name__})"
        ) from None
    if not isinstance(data, dict) or not {"architecture", "state_dict"} <= set(data):
        raise InputError(
            f"--torch: {str(path)!r} must hold {{'architecture': [...], 'state_dict': ...}} "
            "(backproplab.interop.save_torch writes one) or be TorchScript"
        )
    state = data["state_dict"]
    module = _build(data["architecture"])
    tensors = list(state.values()) if hasattr(state, "values") else []
    if tensors and tensors[0].dtype == torch.float64:
        module = module.double()
    try:
        module.load_state_dict(state)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0]
        raise InputError(
            f"--torch: the state_dict does not fit the architecture: {first}"
        ) from None
    return from_torch(module, loss=loss or data.get("loss", "mse"))
