"""PyTorch 2.13 CPU: the idiomatic loop (zero_grad, forward, loss, backward, step), started
from backproplab's initial weights so that tasks 1 and 4 can be compared number for number."""

from __future__ import annotations

import time

import numpy as np

from . import tasks
from .harness import Outcome


def _sequential(net, dtype):
    import torch

    layers = []
    acts = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}
    for i, (W, b, act) in enumerate(zip(net.weights, net.biases, net.activations, strict=True)):
        lin = torch.nn.Linear(W.shape[0], W.shape[1], dtype=dtype)
        with torch.no_grad():  # our W is (n_in, n_out); torch's weight is (n_out, n_in)
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if i < net.n_layers - 1:
            layers.append(acts[act]())
    return torch.nn.Sequential(*layers)


def _params(model) -> list[np.ndarray]:
    out = []
    for layer in model:
        if hasattr(layer, "weight"):
            out += [layer.weight.detach().numpy().T.copy(), layer.bias.detach().numpy().copy()]
    return out


def xor(s: tasks.Settings) -> Outcome:
    import torch

    X, Y = (torch.from_numpy(a) for a in tasks.xor_data())
    model = _sequential(tasks.xor_network(), torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=s.xor_lr)
    loss_fn = torch.nn.MSELoss()
    t = time.perf_counter()
    for _ in range(s.xor_epochs):
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - t
    return Outcome(seconds, s.xor_epochs, {"loss": loss.item()}, _params(model))


def digits(s: tasks.Settings) -> Outcome:
    import torch

    Xtr, ytr, Xte, yte = tasks.digits_data()
    X, y = torch.from_numpy(Xtr), torch.from_numpy(ytr)
    model = _sequential(tasks.digits_network(), torch.float32)
    opt = torch.optim.SGD(model.parameters(), lr=s.digits_lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    n, bs = len(ytr), s.digits_batch
    t = time.perf_counter()
    for _ in range(s.digits_epochs):
        perm = torch.randperm(n, generator=gen)
        for lo in range(0, n, bs):
            idx = perm[lo : lo + bs]
            opt.zero_grad()
            loss_fn(model(X[idx]), y[idx]).backward()
            opt.step()
    seconds = time.perf_counter() - t
    with torch.no_grad():
        pred = model(torch.from_numpy(Xte)).argmax(dim=1).numpy()
    return Outcome(seconds, s.digits_epochs * n, {"accuracy": float(np.mean(pred == yte))})


def wide(s: tasks.Settings) -> Outcome:
    import torch

    Xn, yn = tasks.wide_data(s.wide_samples)
    X, y = torch.from_numpy(Xn), torch.from_numpy(yn)
    model = _sequential(tasks.wide_network(), torch.float32)
    opt = torch.optim.SGD(model.parameters(), lr=s.wide_lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    bs = s.wide_batch
    total = 0.0
    t = time.perf_counter()
    for lo in range(0, len(yn), bs):
        opt.zero_grad()
        loss = loss_fn(model(X[lo : lo + bs]), y[lo : lo + bs])
        loss.backward()
        opt.step()
        total += loss.item() * len(y[lo : lo + bs])  # the epoch's mean loss, as fit reports
    seconds = time.perf_counter() - t
    return Outcome(seconds, len(yn), {"loss": total / len(yn)})


def tiny(s: tasks.Settings) -> Outcome:
    import torch

    Xn, Yn = tasks.tiny_data(s.tiny_samples)
    X, Y = torch.from_numpy(Xn), torch.from_numpy(Yn)
    model = _sequential(tasks.tiny_network(), torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=s.tiny_lr)
    loss_fn = torch.nn.MSELoss()
    epochs = s.tiny_steps // s.tiny_samples
    t = time.perf_counter()
    for _ in range(epochs):
        for i in range(len(Yn)):
            opt.zero_grad()
            loss = loss_fn(model(X[i : i + 1]), Y[i : i + 1])
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - t
    return Outcome(seconds, epochs * len(Yn), {"loss": loss.item()}, _params(model))


def digits_adam(s: tasks.Settings) -> Outcome:
    import torch

    Xtr, ytr, Xte, yte = tasks.digits_data()
    X, y = torch.from_numpy(Xtr), torch.from_numpy(ytr)
    model = _sequential(tasks.digits_network(), torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=s.adam_lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    n, bs = len(ytr), s.digits_batch
    t = time.perf_counter()
    for _ in range(s.adam_epochs):
        perm = torch.randperm(n, generator=gen)
        for lo in range(0, n, bs):
            idx = perm[lo : lo + bs]
            opt.zero_grad()
            loss_fn(model(X[idx]), y[idx]).backward()
            opt.step()
    seconds = time.perf_counter() - t
    with torch.no_grad():
        pred = model(torch.from_numpy(Xte)).argmax(dim=1).numpy()
    return Outcome(seconds, s.adam_epochs * n, {"accuracy": float(np.mean(pred == yte))})


def percall_step(s: tasks.Settings) -> Outcome:
    """Task 6: one sample per call, PyTorch's per-call step (forward, loss, backward,
    optimizer.step, zero_grad), on task 4's network and samples."""
    import torch

    xs_np, ys_np = tasks.percall_rows(s.percall_samples)
    xs, ys = [torch.from_numpy(x) for x in xs_np], [torch.from_numpy(y) for y in ys_np]
    model = _sequential(tasks.tiny_network(), torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=s.percall_lr)
    loss_fn = torch.nn.MSELoss()
    n = len(xs)
    t = time.perf_counter()
    for i in range(s.percall_calls):
        loss = loss_fn(model(xs[i % n]), ys[i % n])
        loss.backward()
        opt.step()
        opt.zero_grad()
    seconds = time.perf_counter() - t
    return Outcome(seconds, s.percall_calls, {"loss": loss.item()}, _params(model))
