"""The data module builds the tutorial's blobs and splits them exactly as the tutorial does."""

import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.model_selection import train_test_split

from blobclf import BlobDataModule
from blobclf.data import split_sizes
from blobclf.loader import TensorBatchLoader


def tutorial_split():
    x, y = make_blobs(n_samples=1000, n_features=2, centers=4, cluster_std=2, random_state=42)
    x = torch.from_numpy(x).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)
    return train_test_split(x, y, test_size=0.2, random_state=42)


def test_no_data_is_built_before_setup():
    assert BlobDataModule().splits == {}


def test_split_equals_the_tutorial_split():
    data = BlobDataModule()
    data.setup("fit")
    x_train, x_test, y_train, y_test = tutorial_split()
    assert torch.equal(data.splits["train"][0], x_train)
    assert torch.equal(data.splits["train"][1], y_train)
    assert torch.equal(data.splits["test"][0], x_test)
    assert torch.equal(data.splits["test"][1], y_test)
    # the tutorial evaluates on its test split every epoch
    assert data.splits["val"][0] is data.splits["test"][0]


def test_shapes_and_dtypes():
    data = BlobDataModule()
    data.setup("fit")
    x, y = data.splits["train"]
    assert x.shape == (800, 2) and x.dtype == torch.float32
    assert y.shape == (800,) and y.dtype == torch.int64
    assert data.splits["test"][0].shape == (200, 2)
    assert sorted(torch.unique(y).tolist()) == [0, 1, 2, 3]
    assert (data.num_features, data.num_classes) == (2, 4)


def test_first_points_are_the_tutorials():
    # the tutorial prints X[:5] and y[:5] of make_blobs before splitting; the data module's
    # splits hold exactly those points (in train_test_split's order)
    data = BlobDataModule()
    data.setup()
    tutorial_first = [[-8.2718, 6.8057], [-5.3954, -6.2815], [-5.7630, -6.7281], [3.7212, 0.2735], [4.1207, -1.0331]]
    tutorial_labels = [3, 2, 2, 1, 1]
    everything = torch.cat([data.splits["train"][0], data.splits["test"][0]])
    labels = torch.cat([data.splits["train"][1], data.splits["test"][1]])
    for point, label in zip(tutorial_first, tutorial_labels, strict=True):
        close = (everything - torch.tensor(point)).abs().max(dim=1).values < 5e-5
        assert int(close.sum()) == 1
        assert int(labels[close]) == label
    # and the first training points are the tutorial's X_blob_train[:2]
    x_train, _, _, _ = tutorial_split()
    assert torch.equal(data.splits["train"][0][:5], x_train[:5])


def test_same_arguments_give_identical_data():
    first, second = BlobDataModule(random_state=7), BlobDataModule(random_state=7)
    first.setup()
    second.setup()
    for split in ("train", "val", "test"):
        assert torch.equal(first.splits[split][0], second.splits[split][0])
    other = BlobDataModule(random_state=8)
    other.setup()
    assert not torch.equal(first.splits["train"][0], other.splits["train"][0])


def test_val_size_carves_validation_from_training_and_keeps_test_untouched():
    data = BlobDataModule(val_size=0.25)
    data.setup()
    assert [len(data.splits[s][1]) for s in ("train", "val", "test")] == [600, 200, 200]
    assert split_sizes(1000, 0.2, 0.25) == {"train": 600, "val": 200, "test": 200}
    _, x_test, _, _ = tutorial_split()
    assert torch.equal(data.splits["test"][0], x_test)
    train_rows = {tuple(r) for r in data.splits["train"][0].tolist()}
    assert not train_rows & {tuple(r) for r in data.splits["val"][0].tolist()}


def test_full_batch_by_default_and_minibatches_on_request():
    data = BlobDataModule()
    data.setup()
    batches = list(data.train_dataloader())
    assert len(batches) == 1 and batches[0][0].shape == (800, 2)
    small = BlobDataModule(batch_size=300, shuffle=False)
    small.setup()
    sizes = [len(y) for _, y in small.train_dataloader()]
    assert sizes == [300, 300, 200]


def test_shuffled_minibatches_cover_every_sample_once_and_depend_on_epoch_only():
    data = BlobDataModule(batch_size=128)
    data.setup()
    epoch = {"now": 3}
    loader = TensorBatchLoader(*data.splits["train"], batch_size=128, shuffle=True, seed=42, epoch=lambda: epoch["now"])
    epoch3 = torch.cat([y for _, y in loader])
    x3 = torch.cat([x for x, _ in loader])
    assert len(epoch3) == 800
    assert sorted(map(tuple, x3.tolist())) == sorted(map(tuple, data.splits["train"][0].tolist()))
    again = TensorBatchLoader(*data.splits["train"], batch_size=128, shuffle=True, seed=42, epoch=lambda: 3)
    assert torch.equal(torch.cat([x for x, _ in again]), x3)
    epoch["now"] = 4
    assert not torch.equal(torch.cat([x for x, _ in loader]), x3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"centers": 1}, "centers must be an integer >= 2, got 1"),
        ({"test_size": 1.0}, "test_size must be strictly between 0 and 1, got 1.0"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),
        ({"cluster_std": -1.0}, "cluster_std must be a finite number > 0, got -1.0"),
        ({"n_samples": 1}, "n_samples=1 is too small for test_size=0.2"),
    ],
    ids=["centers", "test_size", "batch_size", "cluster_std", "too-few-samples"],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        BlobDataModule(**kwargs)


def test_data_is_moved_to_the_training_device_once():
    from types import SimpleNamespace

    data = BlobDataModule(batch_size=64)
    data.trainer = SimpleNamespace(strategy=SimpleNamespace(root_device=torch.device("meta")), global_rank=0,
                                   world_size=1, current_epoch=0, max_epochs=1, lightning_module=None)
    first, second = data.train_dataloader(), data.train_dataloader()
    assert first.features.device.type == "meta"
    assert first.features is second.features  # copied once, reused by every later loader
    x, y = next(iter(first))
    assert x.device.type == "meta" and y.device.type == "meta" and x.shape == (64, 2)
    assert data.splits["train"][0].device.type == "cpu"  # the CPU copy stays for reports
