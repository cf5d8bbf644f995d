"""The tutorial's network: a plain ``nn.Module`` with no training logic."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from blobclf.argtypes import integer_at_least


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
        input_features = integer_at_least("BlobModel: input_features", input_features, 1)
        output_features = integer_at_least("BlobModel: output_features", output_features, 1)
        hidden_units = integer_at_least("BlobModel: hidden_units", hidden_units, 1)
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


class ScaledBlobModel(BlobModel):
    """A :class:`BlobModel` that first standardizes its raw inputs: ``(x - mean) / scale``.

    ``mean`` and ``scale`` are buffers, so they travel with the ``state_dict`` (checkpoints,
    ``model.pth``) and into ONNX: the model takes raw feature values. They start as 0 and 1 (no
    change) until :meth:`set_scaling` gives them the training split's statistics.

    Args:
        input_features: Number of input features.
        output_features: Number of classes (one logit each).
        hidden_units: Width of both hidden layers.

    Example:
        >>> import torch
        >>> model = ScaledBlobModel(input_features=2, output_features=3)
        >>> model.set_scaling(torch.tensor([10.0, 0.0]), torch.tensor([2.0, 1.0]))
        >>> model.mean.tolist(), model.scale.tolist()
        ([10.0, 0.0], [2.0, 1.0])
    """

    def __init__(self, input_features: int, output_features: int, hidden_units: int = 8) -> None:
        super().__init__(input_features, output_features, hidden_units)
        self.register_buffer("mean", torch.zeros(input_features))
        self.register_buffer("scale", torch.ones(input_features))

    def set_scaling(self, mean: Tensor, scale: Tensor) -> None:
        """Use ``mean`` and ``scale`` (one per feature; every scale > 0) to standardize inputs."""
        if mean.shape != self.mean.shape or scale.shape != self.scale.shape:
            raise ValueError(f"mean and scale must have shape {tuple(self.mean.shape)}, got {tuple(mean.shape)} and "
                             f"{tuple(scale.shape)}")
        if not bool((scale > 0).all()) or not bool(mean.isfinite().all() and scale.isfinite().all()):
            raise ValueError("scale must be finite and > 0 and mean finite")
        self.mean.copy_(mean)
        self.scale.copy_(scale)

    def forward(self, x: Tensor) -> Tensor:
        """Return raw logits of shape ``(N, output_features)`` for raw (unscaled) ``x``."""
        # divided in place: one temporary of x's size, not two (each step of a 40,000 x 5,002 one-hot table spent
        # more time making them than in the layers); the values are those of (x - mean) / scale, bit for bit
        return self.linear_layer_stack((x - self.mean).div_(self.scale))
