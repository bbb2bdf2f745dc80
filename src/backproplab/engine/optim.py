"""Optimisers and learning-rate schedules: how a gradient becomes an update.

Every optimiser updates a list of parameter arrays *in place* from a list of gradient arrays
of the same shapes. Its state (momentum buffers, Adam's moments, scratch space) is allocated
once, when it is created, and every step works through in-place NumPy operations, so a step
allocates no new arrays.

* :class:`SGD` with ``momentum=0`` is exactly the slides' update w(new) = w - eta dL/dw.
* ``momentum`` keeps a velocity v <- mu v + g and steps w <- w - eta v; ``nesterov=True``
  steps w <- w - eta (g + mu v) instead, looking ahead along the velocity.
* :class:`Adam` (Kingma & Ba, 2015) scales each step by running averages of g and g^2.
* ``weight_decay`` lambda is L2 regularisation: it adds lambda w to the gradient, which is the
  gradient of (lambda/2) sum w^2. (The same convention as PyTorch's ``weight_decay``;
  scikit-learn's ``alpha`` divides by the number of samples instead.) A ``decay_mask`` says
  which arrays it applies to; the fit loop decays weights, not biases.

The update formulas are written exactly as PyTorch's ``torch.optim.SGD`` and ``Adam``
document them, and the tests compare the two step by step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypedDict, Unpack

import numpy as np

from .errors import InputError
from .validation import check_learning_rate

Array = np.ndarray

OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "adam")
SCHEDULE_NAMES = ("constant", "step", "exponential", "cosine", "inverse_time")


class Decay(TypedDict, total=False):
    """The weight-decay options every optimiser takes and hands to :class:`Optimizer`:
    ``weight_decay`` lambda (default 0) and ``decay_mask``, one bool per array (default:
    all decayed)."""

    weight_decay: float
    decay_mask: Sequence[bool] | None


class Optimizer:
    """Base class: holds the live parameter arrays and the (mutable) learning rate."""

    name = "optimizer"

    def __init__(self, params: Iterable[Array], lr: float, **decay: Unpack[Decay]) -> None:
        unknown = set(decay) - set(Decay.__annotations__)
        if unknown:  # a misspelt option must not pass unnoticed through **decay
            raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
        weight_decay = decay.get("weight_decay", 0.0)
        decay_mask = decay.get("decay_mask")
        self.params: list[Array] = list(params)
        if not self.params:
            raise InputError("an optimiser needs at least one parameter array")
        for i, p in enumerate(self.params):
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise InputError(f"parameter {i} must be a floating-point NumPy array")
        self.lr = check_learning_rate(lr)
        self.weight_decay = _non_negative(weight_decay, "weight_decay")
        if decay_mask is None:
            decay_mask = [True] * len(self.params)
        decay_mask = [bool(m) for m in decay_mask]
        if len(decay_mask) != len(self.params):
            raise InputError(
                f"decay_mask needs {len(self.params)} entries, one per array; got {len(decay_mask)}"
            )
        self.decay_mask = decay_mask
        #: Number of steps taken so far.
        self.steps = 0
        # One scratch array per parameter, so that a step never allocates.
        self._scratch = [np.empty_like(p) for p in self.params]

    def step(self, grads: Iterable[Array]) -> None:
        """Update every parameter in place from its gradient (same order as ``params``)."""
        self.steps += 1
        n = 0
        for g in grads:
            if n == len(self.params):
                raise InputError(f"step got more than {n} gradient arrays (one per parameter)")
            p = self.params[n]
            if g.shape != p.shape:
                raise InputError(f"gradient {n} has shape {g.shape}, its parameter {p.shape}")
            self._update(n, p, g)
            n += 1
        if n != len(self.params):
            raise InputError(f"step needs {len(self.params)} gradient arrays, got {n}")

    def _update(self, i: int, p: Array, g: Array) -> None:
        raise NotImplementedError

    def _decayed_gradient(self, i: int, p: Array, g: Array) -> Array:
        """g + lambda p in the scratch array (or g itself when there is no decay)."""
        if self.weight_decay and self.decay_mask[i]:
            s = self._scratch[i]
            np.multiply(p, self.weight_decay, out=s)
            s += g
            return s
        return g

    def state_arrays(self) -> dict[str, list[Array]]:
        """The optimiser's state (e.g. momentum buffers), for inspection and tests."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, weight_decay={self.weight_decay})"


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum.

    Plain (``momentum=0``): w <- w - eta g, the slides' "Updation Formulas" for every
    parameter. With momentum mu: v <- mu v + g; w <- w - eta v (Nesterov: w - eta (g + mu v)).
    """

    name = "sgd"

    def __init__(
        self,
        params: Iterable[Array],
        lr: float,
        *,
        momentum: float = 0.0,
        nesterov: bool = False,
        **decay: Unpack[Decay],
    ) -> None:
        super().__init__(params, lr, **decay)
        self.momentum = _fraction(momentum, "momentum")
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise InputError("nesterov=True needs a momentum > 0 (e.g. momentum=0.9)")
        self._flat_velocity, self._velocity = (
            _zeros_like(self.params) if self.momentum else (None, [])
        )
        self._lookahead = [np.empty_like(p) for p in self.params] if self.nesterov else []

    def _update(self, i: int, p: Array, g: Array) -> None:
        d = self._decayed_gradient(i, p, g)
        s = self._scratch[i]
        if self.momentum:
            v = self._velocity[i]
            v *= self.momentum
            v += d  # v <- mu v + g (at the first step v = g, as in PyTorch)
            if self.nesterov:
                t = self._lookahead[i]
                np.multiply(v, self.momentum, out=t)
                t += d  # g + mu v
                d = t
            else:
                d = v
        # The slides' update: w(new) = w - eta * dL/dw.
        np.multiply(d, p.dtype.type(self.lr), out=s)
        p -= s

    def state_arrays(self) -> dict[str, list[Array]]:
        return {"velocity": self._velocity} if self.momentum else {}

    def __repr__(self) -> str:
        return (
            f"SGD(lr={self.lr}, momentum={self.momentum}, nesterov={self.nesterov}, "
            f"weight_decay={self.weight_decay})"
        )


class Adam(Optimizer):
    """Adam: m <- b1 m + (1-b1) g, v <- b2 v + (1-b2) g^2,
    w <- w - eta (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)."""

    name = "adam"

    def __init__(
        self,
        params: Iterable[Array],
        lr: float = 0.001,
        *,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        **decay: Unpack[Decay],
    ) -> None:
        super().__init__(params, lr, **decay)
        self.beta1 = _fraction(beta1, "beta1", allow_one=False)
        self.beta2 = _fraction(beta2, "beta2", allow_one=False)
        self.eps = _non_negative(eps, "eps")
        self._flat_m, self._m = _zeros_like(self.params)
        self._flat_v, self._v = _zeros_like(self.params)
        self._work = [np.empty_like(p) for p in self.params]

    def step(self, grads: Iterable[Array]) -> None:
        # The bias corrections depend only on the step count: compute them once per step.
        t = self.steps + 1
        self._correction1 = 1.0 - self.beta1**t
        self._sqrt_correction2 = math.sqrt(1.0 - self.beta2**t)
        super().step(grads)

    def _update(self, i: int, p: Array, g: Array) -> None:
        d = self._decayed_gradient(i, p, g)
        m, v, s, w = self._m[i], self._v[i], self._scratch[i], self._work[i]
        # m <- b1 m + (1 - b1) g  (first moment: a running mean of the gradient)
        m *= self.beta1
        np.multiply(d, 1.0 - self.beta1, out=w)
        m += w
        # v <- b2 v + (1 - b2) g^2  (second moment: a running mean of its square)
        v *= self.beta2
        np.multiply(d, d, out=w)
        w *= 1.0 - self.beta2
        v += w
        # denominator sqrt(v) / sqrt(1 - b2^t) + eps, then the bias-corrected step.
        np.sqrt(v, out=s)
        s /= self._sqrt_correction2
        s += self.eps
        np.divide(m, s, out=s)
        s *= self.lr / self._correction1
        p -= s

    def state_arrays(self) -> dict[str, list[Array]]:
        return {"m": self._m, "v": self._v}

    def __repr__(self) -> str:
        return (
            f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps}, "
            f"weight_decay={self.weight_decay})"
        )


def make_optimizer(
    name: str,
    params: Iterable[Array],
    *,
    lr: float,
    momentum: float | None = None,
    nesterov: bool | None = None,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decay_mask: Sequence[bool] | None = None,
) -> Optimizer:
    """An optimiser by name: 'sgd', 'momentum' (SGD, mu=0.9), 'nesterov' (mu=0.9), 'adam'."""
    key = str(name).lower()
    common: dict[str, Any] = {"weight_decay": weight_decay, "decay_mask": decay_mask}
    if key == "sgd":
        return SGD(
            params, lr, momentum=momentum or 0.0, nesterov=bool(nesterov), **common
        )  # fmt: skip
    if key in ("momentum", "nesterov"):
        mu = 0.9 if momentum is None else momentum
        nest = (key == "nesterov") if nesterov is None else nesterov
        return SGD(params, lr, momentum=mu, nesterov=nest, **common)
    if key == "adam":
        if momentum or nesterov:
            raise InputError("momentum/nesterov apply to SGD; Adam uses beta1 and beta2")
        return Adam(params, lr, beta1=beta1, beta2=beta2, eps=eps, **common)
    raise InputError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZER_NAMES)}")


# ---------------------------------------------------------------------- schedules
class Schedule:
    """A learning-rate schedule: ``factor(e)`` multiplies the base rate in epoch e (0-based)."""

    name = "constant"

    def factor(self, epoch: int) -> float:
        return 1.0

    def __call__(self, epoch: int) -> float:
        return self.factor(epoch)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class ConstantLR(Schedule):
    name = "constant"


class StepLR(Schedule):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs (like torch's StepLR)."""

    name = "step"

    def __init__(self, step_size: int = 30, gamma: float = 0.1) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise InputError(f"step_size must be a positive integer, got {step_size!r}")
        self.step_size = step_size
        self.gamma = _positive(gamma, "gamma")

    def factor(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)


class ExponentialLR(Schedule):
    """Multiply the rate by ``gamma`` every epoch (like torch's ExponentialLR)."""

    name = "exponential"

    def __init__(self, gamma: float = 0.99) -> None:
        self.gamma = _positive(gamma, "gamma")

    def factor(self, epoch: int) -> float:
        return self.gamma**epoch


class CosineLR(Schedule):
    """Half a cosine from 1 down to ``min_factor`` over ``total`` epochs (torch's
    CosineAnnealingLR in closed form, with eta_min = min_factor * base rate)."""

    name = "cosine"

    def __init__(self, total: int, min_factor: float = 0.0) -> None:
        if isinstance(total, bool) or not isinstance(total, int) or total < 1:
            raise InputError(f"total must be a positive integer, got {total!r}")
        self.total = total
        self.min_factor = _fraction(min_factor, "min_factor")

    def factor(self, epoch: int) -> float:
        e = min(epoch, self.total)
        half_cosine = (1 + math.cos(math.pi * e / self.total)) / 2
        return self.min_factor + (1 - self.min_factor) * half_cosine


class InverseTimeLR(Schedule):
    """eta / (1 + decay * epoch): a slow decay that never reaches zero."""

    name = "inverse_time"

    def __init__(self, decay: float = 0.01) -> None:
        self.decay = _non_negative(decay, "decay")

    def factor(self, epoch: int) -> float:
        return 1.0 / (1.0 + self.decay * epoch)


def make_schedule(
    schedule: str | Schedule | Callable[[int], float] | None, *, epochs: int, **kwargs: Any
) -> Schedule | Callable[[int], float]:
    """A schedule by name ('constant', 'step', 'exponential', 'cosine', 'inverse_time'),
    an existing :class:`Schedule`, or any callable epoch -> factor."""
    if schedule is None:
        return ConstantLR()
    if isinstance(schedule, Schedule) or callable(schedule):
        return schedule
    key = str(schedule).lower()
    if key == "constant":
        return ConstantLR()
    if key == "step":
        kwargs.setdefault("step_size", max(1, epochs // 3))
        return StepLR(**kwargs)
    if key == "exponential":
        # By default the rate falls to 1% of its start over the run.
        kwargs.setdefault("gamma", 0.01 ** (1 / max(1, epochs)))
        return ExponentialLR(**kwargs)
    if key == "cosine":
        kwargs.setdefault("total", epochs)
        return CosineLR(**kwargs)
    if key == "inverse_time":
        return InverseTimeLR(**kwargs)
    raise InputError(f"unknown schedule {schedule!r}; expected one of {', '.join(SCHEDULE_NAMES)}")


# ---------------------------------------------------------------------- checks
def _zeros_like(params: list[Array]) -> tuple[Array | None, list[Array]]:
    """Zeroed state for every parameter, as views of one vector (which the compiled loop
    updates as a whole, in the network's parameter order)."""
    if len({p.dtype for p in params}) > 1:  # mixed dtypes: one array each (NumPy path only)
        return None, [np.zeros_like(p) for p in params]
    flat = np.zeros(sum(p.size for p in params), dtype=params[0].dtype)
    views, pos = [], 0
    for p in params:
        views.append(flat[pos : pos + p.size].reshape(p.shape))
        pos += p.size
    return flat, views


def _number(value: Any, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise InputError(f"{name} must be finite, got {value!r}")
    return x


def _non_negative(value: Any, name: str) -> float:
    x = _number(value, name)
    if x < 0:
        raise InputError(f"{name} must be >= 0, got {value!r}")
    return x


def _positive(value: Any, name: str) -> float:
    x = _number(value, name)
    if x <= 0:
        raise InputError(f"{name} must be > 0, got {value!r}")
    return x


def _fraction(value: Any, name: str, *, allow_one: bool = True) -> float:
    x = _number(value, name)
    if x < 0 or x > 1 or (x == 1 and not allow_one):
        upper = "1]" if allow_one else "1)"
        raise InputError(f"{name} must lie in [0, {upper}, got {value!r}")
    return x
