"""A 2-D view of data with more than two features, for the data and decision-boundary figures."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

EXACT_FEATURES = 500
"""Up to this many features the plane is found exactly, by LAPACK's full SVD in float64. Wider data (a categorical
column of thousands of one-hot inputs) gets scikit-learn's randomized SVD, seeded, in float32, as its
``PCA(svd_solver="auto")`` chooses for data this size: the full SVD of 24,000 rows of 5,002 inputs ran for over
10 minutes at 6 GB, the randomized one takes seconds."""
SCALER_VALUES = 1 << 22
"""Feature values at a time from which the standardization's mean and variance are gathered
(``StandardScaler.partial_fit``): fitted whole, scikit-learn sums a float32 split in float64 copies of it, which
took 20 s of a 32,000 x 5,002 table's figures (under a second in blocks). A split of fewer values is fitted in
one block, as ``fit`` does. A split of at most this many values also has its SVD computed on one thread: the
digits table's (1,437 x 64) took 0.2 to 3 s on two BLAS threads beside torch's, 0.01 to 0.03 s on one."""


class Projection:
    """The first two principal components of the standardized training features.

    Each feature is standardized with the training split's mean and standard deviation (so a
    feature in large units does not dominate), then projected on the two directions of largest
    variance of the training split. :meth:`inverse` maps a point of that plane back to feature
    space: the point on the plane through the training mean, so the decision-boundary figure
    shows the model's predictions over that plane. Over :data:`EXACT_FEATURES` features the
    directions are found by a seeded randomized SVD in float32 (the same each run).

    Args:
        train_features: ``(N, F)`` training features, ``F >= 2``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> projection = Projection(rng.normal(size=(100, 4)))
        >>> projection.transform(np.zeros((3, 4))).shape
        (3, 2)
    """

    def __init__(self, train_features: np.ndarray) -> None:
        shape = np.shape(train_features)
        if len(shape) != 2 or shape[1] < 2 or shape[0] < 2:
            raise ValueError(f"train_features must be (N >= 2, F >= 2), got {shape}")
        exact = shape[1] <= EXACT_FEATURES
        self.dtype = np.float64 if exact else np.float32
        pca = PCA(n_components=2, svd_solver="full") if exact else PCA(n_components=2, svd_solver="randomized",
                                                                       random_state=0, copy=False)
        self.pipeline = Pipeline([("scale", StandardScaler()), ("pca", pca)])
        features = np.asarray(train_features, dtype=self.dtype)
        scaler, step = self.pipeline.named_steps["scale"], max(1, SCALER_VALUES // shape[1])
        for start in range(0, shape[0], step):
            scaler.partial_fit(features[start : start + step])
        with threadpool_limits(1) if features.size <= SCALER_VALUES else nullcontext():
            pca.fit(scaler.transform(features))

    @property
    def explained(self) -> tuple[float, float]:
        """Fraction of the standardized training variance along each of the two axes."""
        ratio = self.pipeline.named_steps["pca"].explained_variance_ratio_
        return float(ratio[0]), float(ratio[1])

    @property
    def axis_labels(self) -> tuple[str, str]:
        """``PC1 (x% of variance)`` and ``PC2 (y% of variance)``."""
        first, second = self.explained
        return f"PC1 ({first:.0%} of variance)", f"PC2 ({second:.0%} of variance)"

    def transform(self, features: np.ndarray) -> np.ndarray:
        """``(N, F)`` features to ``(N, 2)`` plane coordinates."""
        return self.pipeline.transform(np.asarray(features, dtype=self.dtype))

    def inverse(self, points: np.ndarray) -> np.ndarray:
        """``(N, 2)`` plane coordinates to ``(N, F)`` float32 features on the plane (computed in float64 up to
        :data:`EXACT_FEATURES` features, in float32 over it: the decision boundary's grid of a 5,002-input table
        spent half its 19 s making float64 copies)."""
        return self.pipeline.inverse_transform(np.asarray(points, dtype=self.dtype)).astype(np.float32, copy=False)
