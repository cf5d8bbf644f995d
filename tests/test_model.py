"""BlobModel is the tutorial's network; the system trains it with the tutorial's settings."""

import pytest
import torch
from torch import nn

from blobclf import BlobClassifier, BlobModel

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


def test_seeded_initialisation_is_the_tutorials_first_forward_pass():
    torch.manual_seed(42)
    model = BlobModel(input_features=2, output_features=4)
    torch.manual_seed(42)
    again = BlobModel(input_features=2, output_features=4)
    x = torch.randn(4, 2)
    assert torch.equal(model(x), again(x))


def test_system_wraps_the_model_and_uses_sgd():
    system = BlobClassifier(num_features=2, num_classes=4, lr=0.1, momentum=0.5, weight_decay=0.01)
    assert list(system.model.state_dict()) == TUTORIAL_KEYS
    optimizer = system.configure_optimizers()
    assert isinstance(optimizer, torch.optim.SGD)
    group = optimizer.param_groups[0]
    assert (group["lr"], group["momentum"], group["weight_decay"]) == (0.1, 0.5, 0.01)


def test_predict_step_returns_probabilities_and_argmax_labels():
    system = BlobClassifier()
    out = system.predict_step((torch.randn(10, 2), torch.zeros(10, dtype=torch.long)), 0)
    assert torch.allclose(out["probabilities"].sum(dim=1), torch.ones(10))
    assert torch.equal(out["labels"], out["probabilities"].argmax(dim=1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"lr": 0.0}, "lr must be > 0, got 0.0"), ({"momentum": -0.1}, "momentum must be >= 0, got -0.1")],
    ids=["lr", "momentum"],
)
def test_bad_system_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BlobClassifier(**kwargs)


def test_bad_model_arguments_are_named():
    with pytest.raises(ValueError, match="hidden_units must be an integer >= 1, got 0"):
        BlobModel(2, 4, hidden_units=0)


def test_attribute_assignment_registers_exactly_as_nn_module_does():
    system = BlobClassifier()
    # plain values of plain attributes are stored (Lightning's hook bookkeeping)
    system._current_fx_name = "training_step"
    assert system._current_fx_name == "training_step" and system.__dict__["_current_fx_name"] == "training_step"
    system._current_fx_name = None
    assert system._current_fx_name is None
    # parameters, buffers and modules are still registered, plain values of registered names still reach them
    system.scale = nn.Parameter(torch.ones(1))
    system.register_buffer("offset", torch.zeros(1))
    system.head = nn.Linear(4, 4)
    assert "scale" in dict(system.named_parameters()) and "scale" not in system.__dict__
    assert "head" in dict(system.named_children()) and "head" not in system.__dict__
    system.offset = None
    assert system._buffers["offset"] is None
    system.head = None
    assert system._modules["head"] is None
    # a plain attribute replaced by a module is moved out of __dict__ into the module registry
    system.note = "plain"
    system.note = nn.Identity()
    assert "note" not in system.__dict__ and isinstance(system._modules["note"], nn.Identity)
    with pytest.raises(TypeError, match="cannot assign 'str' as child module 'model'"):
        system.model = "not a module"
