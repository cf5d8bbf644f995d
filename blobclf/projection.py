"""A 2-D view of data with more than two features, for the data and decision-boundary figures."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

EXACT_FEATURES = 500
"""Up to this many features the plane is found exactly, by LAPACK's full SVD in float64. Wider data (a categorical
column of thousands of one-hot inputs) gets scikit-learn's randomized SVD, seeded, in float32, as its
``PCA(svd_solver="auto")`` chooses for data this size: the full SVD of 24,000 rows of 5,002 inputs ran for over
10 minutes at 6 GB, the randomized one takes seconds."""


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
        self.pipeline.fit(np.asarray(train_features, dtype=self.dtype))

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
        """``(N, 2)`` plane coordinates to ``(N, F)`` float32 features on the plane."""
        return self.pipeline.inverse_transform(np.asarray(points, dtype=np.float64)).astype(np.float32)
