"""What a Python user does with a BlobClassifier beyond fit: Lightning's ``to_onnx``, ``torch.compile``."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch

from blobclf import BlobClassifier


def test_to_onnx_writes_the_model_without_onnxscript(tmp_path):
    """torch 2.9+ exports with its dynamo exporter by default, which imports onnxscript (not a blobclf
    dependency): model.to_onnx(path, sample) ended in a ModuleNotFoundError traceback. It now uses the
    TorchScript exporter, as fit's model.onnx, and the file gives forward's logits."""
    torch.manual_seed(0)
    system = BlobClassifier(num_features=2, num_classes=4)
    points = torch.randn(5, 2)
    assert system.to_onnx(tmp_path / "m.onnx", points) is None  # the TorchScript exporter returns nothing
    assert system.training  # Lightning's to_onnx restores the mode
    proto = onnx.load(tmp_path / "m.onnx")
    onnx.checker.check_model(proto)
    assert len(proto.graph.input) == 1 and len(proto.graph.output) == 1
    onnxruntime = pytest.importorskip("onnxruntime")
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {proto.graph.input[0].name: points.numpy()})
    with torch.no_grad():
        expected = system(points).numpy()
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-6)


def test_to_onnx_keeps_the_callers_exporter_choice(tmp_path, monkeypatch):
    """dynamo=True (or any other keyword) reaches torch.onnx.export as given; only the default changes."""
    seen = {}

    def export(model, args, f, **kwargs):
        seen.update(kwargs)

    monkeypatch.setattr(torch.onnx, "export", export)
    system = BlobClassifier(num_features=2, num_classes=4)
    system.to_onnx(tmp_path / "a.onnx", torch.zeros(1, 2))
    assert seen == {"dynamo": False}
    seen.clear()
    system.to_onnx(tmp_path / "b.onnx", torch.zeros(1, 2), dynamo=False, opset_version=17)
    assert seen == {"dynamo": False, "opset_version": 17}
    seen.clear()
    try:
        import onnxscript  # noqa: F401
    except ImportError:  # Lightning's own one line names the package dynamo=True needs
        with pytest.raises(ModuleNotFoundError, match=r"to_onnx\(dynamo=True\)` requires `onnxscript`"):
            system.to_onnx(tmp_path / "c.onnx", torch.zeros(1, 2), dynamo=True)
    else:
        system.to_onnx(tmp_path / "c.onnx", torch.zeros(1, 2), dynamo=True)
        assert seen == {"dynamo": True}


@pytest.mark.slow
def test_a_compiled_network_trains_as_the_eager_one_and_keeps_its_checkpoint_keys(tmp_path):
    """docs/usage.md: model.model.compile() before fit trains to the eager run's weights and metrics, the
    checkpoint keeps BlobClassifier's keys (it loads as usual), and ONNX is exported from the loaded one."""
    import lightning as L

    from blobclf import BlobDataModule

    runs = []
    for compiled in (False, True):
        L.seed_everything(42)
        data = BlobDataModule()
        system = BlobClassifier(num_features=data.num_features, num_classes=data.num_classes)
        if compiled:
            system.model.compile()
        trainer = L.Trainer(accelerator="cpu", max_epochs=3, logger=False, enable_progress_bar=False,
                            enable_model_summary=False, default_root_dir=tmp_path / str(compiled))
        trainer.fit(system, datamodule=data)
        runs.append((system, {k: float(v) for k, v in trainer.callback_metrics.items()},
                     trainer.checkpoint_callback.best_model_path))
    (eager, eager_metrics, _), (compiled_system, metrics, path) = runs
    assert metrics.keys() == eager_metrics.keys() == {"train/loss", "train/acc", "val/loss", "val/acc"}
    assert metrics == pytest.approx(eager_metrics, rel=1e-6, abs=1e-7)
    assert compiled_system.state_dict().keys() == eager.state_dict().keys()
    loaded = BlobClassifier.load_from_checkpoint(path)
    for mine, theirs in zip(loaded.state_dict().values(), compiled_system.state_dict().values(), strict=True):
        assert torch.equal(mine, theirs)
    loaded.to_onnx(tmp_path / "m.onnx", torch.zeros(1, 2))
    onnx.checker.check_model(onnx.load(tmp_path / "m.onnx"))


def test_to_onnx_as_usage_md_shows_takes_any_batch_with_dynamic_axes(tmp_path):
    """usage.md showed to_onnx("m.onnx", torch.zeros(1, 2)) alone, whose file onnxruntime runs on one row only
    ("Got invalid dimensions ... Got: 5 Expected: 1"); the call it now shows takes any batch."""
    onnxruntime = pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    system = BlobClassifier(num_features=2, num_classes=4)
    points = torch.randn(5, 2)
    system.to_onnx(tmp_path / "one.onnx", torch.zeros(1, 2))
    session = onnxruntime.InferenceSession(str(tmp_path / "one.onnx"), providers=["CPUExecutionProvider"])
    with pytest.raises(Exception, match="Got invalid dimensions"):
        session.run(None, {session.get_inputs()[0].name: points.numpy()})
    system.to_onnx(tmp_path / "any.onnx", torch.zeros(1, 2), input_names=["features"],
                   dynamic_axes={"features": {0: "batch"}})
    session = onnxruntime.InferenceSession(str(tmp_path / "any.onnx"), providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {"features": points.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(logits, system(points).numpy(), rtol=1e-5, atol=1e-6)


def test_model_json_names_each_library_version_and_unknown_for_one_not_installed(monkeypatch):
    from importlib.metadata import version

    from blobclf import export

    monkeypatch.setattr(export, "PACKAGES", ("torch", "blobclf-no-such-distribution"))
    versions = export.library_versions()
    assert versions == {"python": versions["python"], "torch": version("torch"),
                        "blobclf-no-such-distribution": "unknown"}
