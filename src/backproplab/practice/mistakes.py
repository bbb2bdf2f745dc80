"""The classic backpropagation mistakes, each with the step of the derivation to re-check.

Every id names a definite variant of the correct derivation; :mod:`.variants` computes its
wrong value from the engine's own quantities, so a learner's number can be matched to it.
"""

from __future__ import annotations

#: id -> what went wrong, in the slides' words.
MISTAKES: dict[str, str] = {
    "no_activation_derivative": (
        "the factor σ′(z) of a hidden unit was left out: dL/dz = dL/dO · σ′(z), not dL/dO "
        "(the chain rule passes through the activation, dO1/dz = σ(z)(1 − σ(z)))"
    ),
    "no_factor_two": (
        "the factor 2 of dL/dŷ = 2(ŷ − y) was dropped (that is the ½·(ŷ − y)² convention; "
        "our L = (1/n) Σ (ŷ − y)² has no ½)"
    ),
    "no_mean": (
        "the 1/n of the mean was left out: with n samples dL/dŷₖ = (2/n)(ŷₖ − yₖ), so the "
        "gradient is the mean, not the sum, of the per-sample products"
    ),
    "updated_weights": (
        "the error was back-propagated through weights that had already been updated: every "
        "update w(new) = w − η ∂L/∂w uses the gradients of the same forward pass, with the old "
        "weights"
    ),
    "transposed_weight": (
        "the weight indices were swapped: wˡᵢⱼ goes from unit i of layer l−1 to unit j of "
        "layer l, and w_ji was used for w_ij"
    ),
    "sign": "the sign is wrong: the value has the right size but the opposite sign",
    "derivative_at_activation": (
        "σ′ was evaluated at the activation O instead of at the pre-activation z: "
        "σ′(z) = σ(z)(1 − σ(z)) = O(1 − O), not σ(O)(1 − σ(O))"
    ),
    "softmax_elementwise": (
        "softmax was differentiated element by element as a(1 − a); each softmax output "
        "depends on every z, and with cross-entropy dL/dz = (softmax(z) − y)/n"
    ),
    "no_learning_rate": "the learning rate was left out of the update: w(new) = w − η ∂L/∂w",
    "gradient_not_update": (
        "the gradient ∂L/∂w was given where the new weight w(new) = w − η ∂L/∂w was asked"
    ),
    "update_not_gradient": (
        "the updated weight w − η ∂L/∂w was given where the gradient ∂L/∂w was asked"
    ),
}

#: id -> the derivation step to look at again.
RECHECK: dict[str, str] = {
    "no_activation_derivative": "the δ step of the hidden layer (δ = ∂L/∂O · σ′(z))",
    "no_factor_two": "the step ∂L/∂ŷ = 2(ŷ − y)/n",
    "no_mean": "the step ∂L/∂ŷ = 2(ŷ − y)/n (the 1/n)",
    "updated_weights": "the step ∂L/∂O = Σ δ · w (use the weights before the update)",
    "transposed_weight": "which weight joins which units (docs/notation.md: w_ij is from i to j)",
    "sign": "the signs in ∂L/∂ŷ = 2(ŷ − y)/n and in the products after it",
    "derivative_at_activation": "the δ step of the hidden layer (σ′ at z, not at O)",
    "softmax_elementwise": "the output step ∂L/∂z = (softmax(z) − y)/n",
    "no_learning_rate": "the update step w(new) = w − η ∂L/∂w",
    "gradient_not_update": "the update step w(new) = w − η ∂L/∂w",
    "update_not_gradient": "the gradient step ∂L/∂w (the question asks for it, not the update)",
}
