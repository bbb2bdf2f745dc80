"""Bad input: a ValueError whose message names the argument and the shapes or values."""

from __future__ import annotations

import numpy as np
import pytest

from backproplab import MLP, DivergenceError, InputError


@pytest.fixture
def net() -> MLP:
    return MLP([3, 4, 2], seed=0)


def test_wrong_input_width(net):
    with pytest.raises(ValueError, match=r"X has 2 features .* expects 3 .*\(5, 2\)"):
        net.forward(np.zeros((5, 2)))


def test_one_sample_of_the_wrong_length(net):
    with pytest.raises(InputError, match="1-D input is one sample and needs 3 values, got 4"):
        net.predict([1.0, 2.0, 3.0, 4.0])


def test_three_dimensional_input(net):
    with pytest.raises(InputError, match=r"X must be 2-D .* got shape \(2, 3, 1\)"):
        net.forward(np.zeros((2, 3, 1)))


def test_labels_of_the_wrong_length(net):
    with pytest.raises(ValueError, match=r"Y has 4 rows but X has 5 samples .*\(5, 2\)"):
        net.gradients(np.zeros((5, 3)), np.zeros((4, 2)))


def test_targets_of_the_wrong_width(net):
    with pytest.raises(InputError, match=r"Y has 3 columns but the network has 2 outputs"):
        net.step(np.zeros((5, 3)), np.zeros((5, 3)), lr=0.1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_X(net, bad):
    X = np.zeros((4, 3))
    X[2, 1] = bad
    with pytest.raises(InputError, match=r"X contains NaN or inf \(first at index \[2, 1\]"):
        net.gradients(X, np.zeros((4, 2)))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_Y(net, bad):
    Y = np.zeros((4, 2))
    Y[3, 0] = bad
    with pytest.raises(InputError, match=r"Y contains NaN or inf \(first at index \[3, 0\]"):
        net.loss(np.zeros((4, 3)), Y)


def test_non_numeric_input(net):
    with pytest.raises(InputError, match="X must be numeric"):
        net.forward([["a", "b", "c"]])


def test_unknown_activation_and_loss():
    with pytest.raises(
        ValueError, match=r"activations\[1\]: unknown activation 'swish'.*'sigmoid'"
    ):
        MLP([2, 3, 1], activations=["tanh", "swish"])
    with pytest.raises(ValueError, match="hidden.*unknown activation 'mish'|unknown activation"):
        MLP([2, 3, 1], hidden="mish")
    with pytest.raises(ValueError, match=r"loss: unknown loss 'hinge'; expected one of 'mse'"):
        MLP([2, 3, 1], loss="hinge")


def test_wrong_number_of_activations():
    with pytest.raises(InputError, match="activations needs 2 names .* got 3"):
        MLP([2, 3, 1], activations=["tanh", "tanh", "identity"])


def test_loss_and_output_activation_must_fit():
    with pytest.raises(InputError, match="loss='cross_entropy' needs a 'softmax' output layer"):
        MLP([2, 3, 3], activations=["tanh", "sigmoid"], loss="cross_entropy")
    with pytest.raises(InputError, match="softmax is only allowed on the output layer"):
        MLP([2, 3, 3], activations=["softmax", "identity"])


@pytest.mark.parametrize("sizes", [[3], [3, 0, 1], [3, -2], [3, 2.5], "abc"])
def test_bad_layer_sizes(sizes):
    with pytest.raises(InputError, match="layer_sizes"):
        MLP(sizes)


def test_bad_class_labels():
    net = MLP([2, 4, 3], loss="cross_entropy")
    with pytest.raises(InputError, match=r"class labels must lie in 0\.\.2 .* from 0 to 3"):
        net.gradients(np.zeros((2, 2)), [0, 3])
    with pytest.raises(InputError, match="whole numbers"):
        net.gradients(np.zeros((2, 2)), [0.5, 1.0])


def test_bce_targets_outside_0_1():
    net = MLP([2, 1], loss="bce")
    with pytest.raises(InputError, match=r"targets in \[0, 1\]"):
        net.loss(np.zeros((1, 2)), [[2.0]])


@pytest.mark.parametrize("lr", [-0.1, float("nan"), "fast"])
def test_bad_learning_rate(net, lr):
    with pytest.raises(InputError, match="lr must be"):
        net.step(np.zeros((1, 3)), np.zeros((1, 2)), lr=lr)


def test_assigning_a_weight_of_the_wrong_shape(net):
    with pytest.raises(InputError, match=r"weights\[0\] must have shape \(3, 4\), got \(4, 3\)"):
        net.weights[0] = np.zeros((4, 3))
    with pytest.raises(InputError, match="biases needs 2 arrays, got 1"):
        net.biases = [np.zeros(4)]
    with pytest.raises(InputError, match=r"weights\[1\] contains NaN"):
        net.weights[1] = np.full((4, 2), np.nan)


def test_bad_dtype():
    with pytest.raises(InputError, match="dtype must be float32 or float64, got int64"):
        MLP([2, 1], dtype=np.int64)


def test_diverging_step_leaves_parameters_unchanged():
    net = MLP([1, 1], activations=["identity"], seed=0)
    X, Y = np.array([[1e200]]), np.array([[0.0]])
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(DivergenceError, match="smaller learning rate"):
        net.step(X, Y, lr=0.1)
    for a, b in zip(before, net.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
