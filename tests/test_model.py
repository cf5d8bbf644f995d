"""BlobModel is the tutorial's network; the system trains it with the tutorial's settings."""

import pytest
import torch
from torch import nn

from blobclf import BlobClassifier, BlobDataModule, BlobModel
from blobclf.system import DEFAULT_STEPS_PER_EXECUTION

TUTORIAL_KEYS = [
    "linear_layer_stack.0.weight",
    "linear_layer_stack.0.bias",
    "linear_layer_stack.2.weight",
    "linear_layer_stack.2.bias",
    "linear_layer_stack.4.weight",
    "linear_layer_stack.4.bias",
]


def test_state_dict_keys_and_shapes_are_the_tutorials():
    state = BlobModel(input_features=2, output_features=4, hidden_units=8).state_dict()
    assert list(state) == TUTORIAL_KEYS
    assert [tuple(t.shape) for t in state.values()] == [(8, 2), (8,), (8, 8), (8,), (4, 8), (4,)]


def test_forward_returns_logits_of_shape_n_by_classes():
    model = BlobModel(input_features=3, output_features=5, hidden_units=16)
    logits = model(torch.randn(7, 3))
    assert logits.shape == (7, 5)
    # raw logits: no softmax on the last layer
    assert not torch.allclose(logits.sum(dim=1), torch.ones(7))
    assert isinstance(model.linear_layer_stack[-1], nn.Linear)


# the tutorial's printed first forward pass: ``model(X_blob_train)[:5]`` and ``model(X_blob_test)[:5]``
TUTORIAL_TRAIN_LOGITS = [
    [-0.8076, -0.7052, -1.6032, -1.1852],
    [-0.2484, -1.2522, -1.0065, -0.2962],
    [0.2528, -0.2379, 0.1882, -0.0066],
    [0.2296, -0.2598, 0.1238, 0.0327],
    [-0.0906, -0.9147, -0.6144, -0.1662],
]
TUTORIAL_TEST_LOGITS = [
    [-0.8118, -0.8307, -1.6751, -1.1760],
    [-0.0902, -0.9269, -0.5813, -0.1338],
    [0.2456, -0.2423, 0.1883, -0.0032],
    [-0.3472, -0.4911, -0.8196, -0.6231],
    [-0.3540, -1.4595, -1.3139, -0.4283],
]


def test_the_scaled_model_standardizes_as_written_without_touching_its_input():
    # its forward divides its own temporary in place (one copy of a batch, not two): the same logits, bit for bit,
    # as (x - mean) / scale, and the caller's batch unchanged
    from blobclf.model import ScaledBlobModel

    torch.manual_seed(0)
    model = ScaledBlobModel(input_features=3, output_features=2)
    model.set_scaling(torch.tensor([1.0, 0.0, -2.0]), torch.tensor([3.0, 1.0, 0.7]))
    x = torch.randn(50, 3)
    before = x.clone()
    assert torch.equal(model(x), model.linear_layer_stack((x - model.mean) / model.scale))
    assert torch.equal(x, before)


def test_seeded_initialisation_is_the_tutorials_first_forward_pass():
    data = BlobDataModule()
    data.setup()
    torch.manual_seed(42)  # what seed_everything: 42 does before the model is built
    model = BlobModel(input_features=2, output_features=4, hidden_units=8)
    with torch.no_grad():
        train_logits = model(data.splits["train"][0])[:5]
        test_logits = model(data.splits["test"][0])[:5]
    assert torch.allclose(train_logits, torch.tensor(TUTORIAL_TRAIN_LOGITS), atol=5e-5, rtol=0)
    assert torch.allclose(test_logits, torch.tensor(TUTORIAL_TEST_LOGITS), atol=5e-5, rtol=0)


def test_system_wraps_the_model_and_defaults_to_the_tutorials_sgd():
    system = BlobClassifier(num_features=2, num_classes=4)
    assert list(system.model.state_dict()) == TUTORIAL_KEYS
    optimizer = system.configure_optimizers()
    assert type(optimizer) is torch.optim.SGD
    group = optimizer.param_groups[0]
    assert (group["lr"], group["momentum"], group["weight_decay"]) == (0.1, 0, 0)
    assert dict(system.hparams) == {"num_features": 2, "num_classes": 4, "hidden_units": 8, "class_weight": None,
                                    "standardize": False, "class_names": None, "feature_names": None,
                                    "steps_per_execution": DEFAULT_STEPS_PER_EXECUTION, "cuda_graphs": True}


def test_predict_step_returns_probabilities_and_argmax_labels():
    system = BlobClassifier()
    out = system.predict_step((torch.randn(10, 2), torch.zeros(10, dtype=torch.long)), 0)
    assert torch.allclose(out["probabilities"].sum(dim=1), torch.ones(10))
    assert torch.equal(out["labels"], out["probabilities"].argmax(dim=1))


def test_bad_model_arguments_are_named():
    with pytest.raises(ValueError, match="hidden_units must be an integer >= 1, got 0"):
        BlobModel(2, 4, hidden_units=0)
