"""The tutorial's data: scikit-learn blobs, split as the tutorial splits them."""

from __future__ import annotations

import math
import numbers
import os
from typing import Literal, get_args

import lightning as L
import torch
from sklearn.datasets import make_blobs
from sklearn.model_selection import train_test_split
from torch import Tensor

from blobclf.errors import ArgumentValueError, UserError
from blobclf.loader import TensorBatchLoader
from blobclf.points import LABEL_COLUMN, Points, read_points
from blobclf.argtypes import (
    AtLeastTwoInt,
    NonNegativeInt,
    OpenUnitInterval,
    PositiveFloat,
    PositiveInt,
    integer_at_least,
)


class SplitDataModule(L.LightningDataModule):
    """The data: blobs (BlobDataModule, the default) or a CSV table (TableDataModule).

    What every blobclf data module shares: in-memory splits served by :class:`TensorBatchLoader`.
    A subclass fills ``self.splits`` (``{"train" | "val" | "test": (features, labels)}``) in
    :meth:`setup` or :meth:`split`, has ``batch_size``, ``eval_batch_size``, ``shuffle`` and
    ``random_state`` hyperparameters, and describes its data with ``num_features``,
    ``num_classes``, ``feature_names``, ``class_names``, ``standardize`` and ``label_column``
    (the command line links them into the model) and :meth:`predict_points`.
    """

    def __init__(self) -> None:
        if type(self) is SplitDataModule:
            raise ArgumentValueError(
                "SplitDataModule is the base of blobclf's data modules, not data; use --data BlobDataModule "
                "(the default) or --data TableDataModule"
            )
        super().__init__()
        self.splits: dict[str, tuple[Tensor, Tensor]] = {}
        self.points: Points | None = None
        self._device_cache: dict[tuple[int, str], tuple[Tensor, Tensor]] = {}

    def __str__(self) -> str:
        """The size of each split set up so far, as Lightning's ``str()`` of a data module shows them.

        Lightning's own asks every loader for its ``DataLoader``'s dataset and, for blobclf's
        :class:`TensorBatchLoader`, failed with an ``AttributeError``; this one sets nothing up.
        """
        sizes = {name: len(self.splits[split][1]) if split in self.splits else None
                 for name, split in (("Train", "train"), ("Validation", "val"), ("Test", "test"))}
        sizes["Predict"] = (len(self.points.features) if self.points is not None
                            else sizes["Test"] if self.hparams.get("predict_file") is None else None)
        return os.linesep.join(f"{{{name} dataloader: {'None' if size is None else f'size={size}'}}}"
                               for name, size in sizes.items())

    def _on_device(self, features: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        """The split on the training device, copied there once and then reused every epoch.

        Batches are then slices of device-resident tensors, so Lightning's per-batch transfer
        finds them already in place and copies nothing.
        """
        trainer = self.trainer
        device = trainer.strategy.root_device if trainer is not None else torch.device("cpu")
        if device.type == "cpu":
            return features, labels
        key = (id(features), str(device))
        if key not in self._device_cache:
            self._device_cache[key] = (features.to(device), labels.to(device))
        return self._device_cache[key]

    def split(self, name: SplitName) -> tuple[Tensor, Tensor]:
        """The ``(features, labels)`` of split ``name`` (``train``, ``val`` or ``test``)."""
        check_split_name(name)
        self.setup()
        return self.splits[name]

    def _loader(self, split: SplitName, train: bool = False) -> TensorBatchLoader:
        features, labels = self._on_device(*self.split(split))
        trainer = self.trainer
        return TensorBatchLoader(
            features,
            labels,
            batch_size=self.hparams.batch_size if train else self.hparams.eval_batch_size,
            shuffle=train and self.hparams.shuffle,
            seed=self.hparams.random_state,
            rank=trainer.global_rank if trainer is not None else 0,
            world_size=trainer.world_size if trainer is not None else 1,
            even_shards=train,
            epoch=self._current_epoch,
            steps_per_execution=self._steps_per_execution() if train else 1,
            max_epochs=self._max_epochs,
        )

    def _current_epoch(self) -> int:
        return self.trainer.current_epoch if self.trainer is not None else 0

    def _max_epochs(self) -> int | None:
        return self.trainer.max_epochs if self.trainer is not None else None

    def _steps_per_execution(self) -> int:
        """Training batches per step of the trainer's loop: the model's ``steps_per_execution``."""
        model = self.trainer.lightning_module if self.trainer is not None else None
        return int(getattr(model, "steps_per_execution", 1))

    def train_dataloader(self) -> TensorBatchLoader:
        return self._loader("train", train=True)

    def val_dataloader(self) -> TensorBatchLoader:
        return self._loader("val")

    def test_dataloader(self) -> TensorBatchLoader:
        return self._loader("test")


    def predict_dataloader(self) -> TensorBatchLoader:
        points = self.predict_points()
        features, labels = self._on_device(points.features, points.labels)
        return TensorBatchLoader(features, labels, batch_size=self.hparams.eval_batch_size)

    def predict_points(self) -> Points:
        """The points ``predict`` runs on."""
        raise NotImplementedError


class BlobDataModule(SplitDataModule):
    """Gaussian blobs from :func:`sklearn.datasets.make_blobs`, split into train / (val) / test.

    Data is generated in :meth:`setup`, never in ``__init__``. The split is
    ``train_test_split(X, y, test_size=test_size, random_state=random_state)``, exactly the
    tutorial's, so the default 800/200 split holds the tutorial's points in the tutorial's order.
    Without ``val_size`` the model is validated every epoch on the test split, as the tutorial
    evaluates its test set every epoch; with ``val_size`` a validation split is carved from the
    training data and the test split stays untouched until ``test``.

    Args:
        n_samples: Total number of points.
        n_features: Number of features per point.
        centers: Number of blobs, i.e. classes.
        cluster_std: Standard deviation of each blob.
        random_state: Seed of the blob generator, the split and the shuffled batch order (0 to 2**32 - 1).
        test_size: Fraction of all points held out as the test split.
        val_size: Fraction of the training split held out for validation; ``null`` validates on
            the test split, as the tutorial does.
        batch_size: Training batch size; ``null`` trains full-batch, as the tutorial does.
        eval_batch_size: Batch size for validation, test and predict; ``null`` uses one batch
            per split.
        shuffle: Reshuffle training batches every epoch (no effect when training full-batch).
        predict_file: CSV of points for ``predict``, whose header names the features (``x0``,
            ``x1``, ...: found by name, in any order) and optionally a ``label`` column; other
            columns are copied to the output, and no blobs are drawn. ``null`` predicts the test split.
    """

    def __init__(
        self,
        n_samples: PositiveInt = 1000,
        n_features: PositiveInt = 2,
        centers: AtLeastTwoInt = 4,
        cluster_std: PositiveFloat = 2.0,
        random_state: NonNegativeInt = 42,
        test_size: OpenUnitInterval = 0.2,
        val_size: OpenUnitInterval | None = None,
        batch_size: PositiveInt | None = None,
        eval_batch_size: PositiveInt | None = None,
        shuffle: bool = True,
        predict_file: str | None = None,
    ) -> None:
        super().__init__()
        n_samples = integer_at_least("n_samples", n_samples, 1)
        n_features = integer_at_least("n_features", n_features, 1)
        centers = integer_at_least("centers", centers, 2)
        if not (is_number(cluster_std) and cluster_std > 0 and math.isfinite(cluster_std)):
            raise ArgumentValueError(f"cluster_std must be a finite number > 0, got {cluster_std!r}")
        check_random_state(random_state)
        for name, fraction in (("test_size", test_size), ("val_size", val_size)):
            if fraction is not None and not (is_number(fraction) and 0 < fraction < 1):
                raise ArgumentValueError(f"{name} must be strictly between 0 and 1, got {fraction!r}")
        batch_size = None if batch_size is None else integer_at_least("batch_size", batch_size, 1)
        eval_batch_size = None if eval_batch_size is None else integer_at_least("eval_batch_size", eval_batch_size, 1)
        sizes = split_sizes(n_samples, test_size, val_size)
        if min(sizes.values()) < 1:
            raise ArgumentValueError(
                f"n_samples={n_samples} is too small for test_size={test_size}"
                + (f" and val_size={val_size}" if val_size is not None else "")
                + f": the split would be {sizes}; every split needs at least 1 point"
            )
        if centers > n_samples:  # make_blobs would draw every center first: 10**9 of them took all memory
            raise ArgumentValueError(f"centers={centers:,} is more than n_samples={n_samples:,}: each center is a "
                                     f"class, which needs points; give at most {n_samples:,} centers, or more "
                                     "n_samples")
        if predict_file is None:  # a predict file is all predict reads: no blobs are drawn for it
            check_memory(n_samples, n_features)
        self.save_hyperparameters()

    @property
    def num_features(self) -> int:
        """Number of input features (linked into the model)."""
        return int(self.hparams.n_features)

    @property
    def num_classes(self) -> int:
        """Number of classes (linked into the model)."""
        return int(self.hparams.centers)

    @property
    def feature_names(self) -> list[str]:
        """Names of the features, ``x0, x1, ...`` (a prediction CSV names its columns so)."""
        return [f"x{i}" for i in range(self.num_features)]

    @property
    def class_names(self) -> list[str]:
        """Names of the classes: the blob indices ``0, 1, ...`` as text."""
        return [str(c) for c in range(self.num_classes)]

    @property
    def standardize(self) -> bool:
        """Whether the model standardizes its inputs: not for blobs, as in the tutorial."""
        return False

    @property
    def label_column(self) -> str:
        """The column of known classes in a prediction CSV."""
        return LABEL_COLUMN

    def setup(self, stage: str | None = None) -> None:
        """Generate and split the blobs (cheap and deterministic, so every process does it).

        ``predict`` with a ``predict_file`` reads that file only: no blobs are drawn for it.
        """
        hp = self.hparams
        if self.splits or (stage == "predict" and hp.predict_file is not None):
            return
        if hp.predict_file is not None:
            check_memory(hp.n_samples, hp.n_features)  # the constructor left it to the stage that draws them
        features, labels = make_blobs(
            n_samples=hp.n_samples,
            n_features=hp.n_features,
            centers=hp.centers,
            cluster_std=hp.cluster_std,
            random_state=hp.random_state,
        )
        x = torch.from_numpy(features).type(torch.float)
        y = torch.from_numpy(labels).type(torch.long)
        del features, labels  # the float64 copy is twice the size of everything kept
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=hp.test_size, random_state=hp.random_state
        )
        self.splits = {"train": (x_train, y_train), "test": (x_test, y_test)}
        if hp.val_size is None:
            self.splits["val"] = self.splits["test"]
        else:
            x_train, x_val, y_train, y_val = train_test_split(
                x_train, y_train, test_size=hp.val_size, random_state=hp.random_state
            )
            self.splits["train"] = (x_train, y_train)
            self.splits["val"] = (x_val, y_val)

    def predict_points(self) -> Points:
        """The points ``predict`` runs on (the test split without ``predict_file``)."""
        if self.hparams.predict_file is None:
            self.setup()
            features, labels = self.splits["test"]
            return Points(features, labels, self.feature_names)
        if self.points is None:
            self.points = read_points(self.hparams.predict_file, self.feature_names, self.class_names, LABEL_COLUMN)
        return self.points


def check_memory(n_samples: int, n_features: int) -> None:
    """Refuse, in one line, data that would not fit in the memory this machine has available.

    Generating and splitting the blobs peaks at about ``n_samples * (16 * n_features + 24)`` bytes
    (scikit-learn's float64 points, the float32 copy, labels, and the split's copies).
    """
    needed = n_samples * (16 * n_features + 24)
    available = available_memory()
    if available is not None and needed > available:
        raise NotEnoughMemory(
            f"n_samples={n_samples:,} with n_features={n_features} needs about {memory_size(needed)} of memory "
            f"and {memory_size(available)} is available"
        )


class NotEnoughMemory(UserError):
    """Data too large for the memory available; its message names the sizes, ``str()`` adds the fix
    for options given by the user (the command line rewords it for settings a checkpoint records)."""

    def __str__(self) -> str:
        return f"{self.args[0]}; use a smaller --data.n_samples"


def available_memory() -> int | None:
    """Bytes of memory available to new allocations (``MemAvailable`` on Linux), if known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory_size(size: float) -> str:
    """``size`` bytes for a message, in the largest unit of which it holds at least one: ``1.5 GiB``,
    ``300.0 MiB``, ``18.0 KiB`` (a figure below 1 GiB printed in GiB was ``0.0 GiB``)."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):,.1f} {unit}"
    return f"{size:,.0f} bytes"


def split_sizes(n_samples: int, test_size: float, val_size: float | None = None) -> dict[str, int]:
    """Sizes of each split, computed as scikit-learn's ``train_test_split`` computes them."""
    n_test = math.ceil(test_size * n_samples)
    n_train = n_samples - n_test
    sizes = {"train": n_train, "test": n_test}
    if val_size is not None:
        n_val = math.ceil(val_size * n_train)
        sizes = {"train": n_train - n_val, "val": n_val, "test": n_test}
    return sizes


SplitName = Literal["train", "val", "test"]
"""The name of a data module's split: :meth:`SplitDataModule.split` takes one."""
SPLITS: tuple[SplitName, ...] = get_args(SplitName)
"""Every split name, in order."""


def check_split_name(name: object) -> None:
    """Refuse, in one line, a split name that is none of :data:`SPLITS` (``validation`` would be a ``KeyError``)."""
    if name not in SPLITS:
        raise ArgumentValueError(f"split must be one of {', '.join(map(repr, SPLITS))}, got {name!r}")


def check_random_state(value: object) -> None:
    """Refuse, in one line, a seed that is not an integer scikit-learn and numpy take (0 to 2**32 - 1)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise ArgumentValueError(f"random_state must be an integer from 0 to 2**32 - 1, got {value!r}")


def is_number(value: object) -> bool:
    """Whether ``value`` is a real number (a numpy one too), not a bool or text, which comparisons would take."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
