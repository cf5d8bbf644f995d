"""One rule for integer arguments of the data modules, the model and the classifier (``integer_at_least``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from blobclf import BlobClassifier, BlobDataModule
from blobclf.argtypes import integer_at_least
from blobclf.errors import ArgumentValueError
from blobclf.model import BlobModel


def test_a_numpy_integer_is_taken_by_every_class_and_kept_as_a_plain_int():
    # the data module and BlobModel refused np.int64(500) ("n_samples must be an integer >= 1, got np.int64(500)")
    # where BlobClassifier took it: three checks of one rule
    data = BlobDataModule(n_samples=np.int64(500), centers=np.int64(3), batch_size=np.int64(32))
    assert {key: (type(data.hparams[key]), data.hparams[key]) for key in ("n_samples", "centers", "batch_size")} == {
        "n_samples": (int, 500), "centers": (int, 3), "batch_size": (int, 32)}
    model = BlobModel(np.int64(2), torch.tensor(4), hidden_units=np.int32(8))
    assert [tuple(layer.weight.shape) for layer in model.linear_layer_stack if hasattr(layer, "weight")] == [
        (8, 2), (8, 8), (4, 8)]
    classifier = BlobClassifier(num_features=np.int64(2), num_classes=np.int64(4))
    assert type(classifier.hparams.num_features) is int and classifier.hparams.num_classes == 4


@pytest.mark.parametrize(("value", "minimum", "line"), [
    (True, 1, "n must be an integer >= 1, got True"),
    (2.0, 1, "n must be an integer >= 1, got 2.0"),
    ("3", 1, "n must be an integer >= 1, got '3'"),
    (1, 2, "n must be an integer >= 2, got 1"),
    (np.int64(0), 1, "n must be an integer >= 1, got 0"),  # not np.int64(0) (numpy 2) nor 0 by chance (numpy 1)
], ids=["bool", "float", "text", "below", "numpy-below"])
def test_integer_at_least_refuses_in_one_line(value, minimum, line):
    with pytest.raises(ArgumentValueError) as refused:
        integer_at_least("n", value, minimum)
    assert str(refused.value) == line


def test_the_model_names_itself_in_its_refusal():
    with pytest.raises(ArgumentValueError) as refused:
        BlobModel(2, 4, hidden_units=0)
    assert str(refused.value) == "BlobModel: hidden_units must be an integer >= 1, got 0"
