"""The tutorial's network: a plain ``nn.Module`` with no training logic."""

from __future__ import annotations

from torch import Tensor, nn

from blobclf.errors import ArgumentValueError


class BlobModel(nn.Module):
    """A ReLU multilayer perceptron, ``input -> hidden -> hidden -> classes``, returning logits.

    Attribute and argument names are the tutorial's, so ``state_dict`` keys
    (``linear_layer_stack.0.weight``, ...) load into the tutorial's own class unchanged.

    Args:
        input_features: Number of input features.
        output_features: Number of classes (one logit each).
        hidden_units: Width of both hidden layers.

    Example:
        >>> import torch
        >>> BlobModel(input_features=2, output_features=4)(torch.zeros(5, 2)).shape
        torch.Size([5, 4])
    """

    def __init__(self, input_features: int, output_features: int, hidden_units: int = 8) -> None:
        super().__init__()
        for name, value in (
            ("input_features", input_features),
            ("output_features", output_features),
            ("hidden_units", hidden_units),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ArgumentValueError(f"BlobModel: {name} must be an integer >= 1, got {value!r}")
        self.linear_layer_stack = nn.Sequential(
            nn.Linear(in_features=input_features, out_features=hidden_units),
            nn.ReLU(),
            nn.Linear(in_features=hidden_units, out_features=hidden_units),
            nn.ReLU(),
            nn.Linear(in_features=hidden_units, out_features=output_features),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Return raw logits of shape ``(N, output_features)``."""
        return self.linear_layer_stack(x)
