"""Stock LightningCLI options a Lightning user passes to blobclf: they work as Lightning documents them,
or are refused up front in one line naming the option and the fix."""

from __future__ import annotations

import json
from pathlib import Path

NO_EXPORTS = ("--export.figures", "false", "--export.onnx", "false")


def test_a_second_model_checkpoint_keeps_the_runs_own_folder_exports_and_best(cli, tmp_path):
    # Lightning's trainer.checkpoint_callback is the first ModelCheckpoint: the user's, added before
    # the run's own; the exports went into the user's folder and "last checkpoint:" was empty
    result = cli("fit", "--trainer.max_epochs", "3", "--trainer.callbacks+=ModelCheckpoint",
                 "--trainer.callbacks.monitor", "val/loss", "--trainer.callbacks.mode", "min",
                 "--trainer.callbacks.dirpath", "extra", "--trainer.callbacks.save_top_k", "2",
                 "--trainer.callbacks.filename", "{epoch}", *NO_EXPORTS)
    assert result.returncode == 0, result.output
    run = tmp_path / "checkpoints" / "version_0"
    assert "best checkpoint: checkpoints/version_0/best-epoch=2-val_acc=0.6400.ckpt" in result.stdout
    assert "last checkpoint: checkpoints/version_0/last.ckpt" in result.stdout
    assert "exported metadata: checkpoints/version_0/model.json" in result.stdout
    assert sorted(p.name for p in run.iterdir()) == ["best-epoch=2-val_acc=0.6400.ckpt", "last.ckpt", "model.json",
                                                      "model.pth"]
    assert sorted(p.name for p in (tmp_path / "extra").iterdir()) == ["epoch=1.ckpt", "epoch=2.ckpt"]
    metadata = json.loads((run / "model.json").read_text())
    assert Path(metadata["checkpoints"]["best"]).name == "best-epoch=2-val_acc=0.6400.ckpt"
    tested = cli("test", "--ckpt_path", "best")
    assert tested.returncode == 0, tested.output
    assert (run / "test_report-best-epoch=2-val_acc=0.6400.json").is_file()


def test_a_run_trained_in_64_bit_precision_exports_float32_and_tests_in_64_bit(cli, tmp_path):
    # the double-precision model met float32 points in the ONNX export: a RuntimeError traceback, no model.json
    import torch

    from blobclf.export import load_model

    result = cli("fit", "--trainer.max_epochs", "3", "--trainer.precision", "64-true", "--export.figures", "false")
    assert result.returncode == 0, result.output
    assert "final metrics: train/acc=0.60875  train/loss=0.99856  val/acc=0.64000  val/loss=0.96168" in result.stdout
    run = tmp_path / "checkpoints" / "version_0"
    weights = torch.load(run / "model.pth", weights_only=True)
    assert {tensor.dtype for tensor in weights.values()} == {torch.float32}
    assert (run / "model.onnx").is_file() and (run / "model.json").is_file()
    model = load_model(run / "model.pth")
    assert model(torch.zeros(3, 2)).dtype == torch.float32
    tested = cli("test", "--ckpt_path", "last", "--trainer.precision", "64-true")
    assert tested.returncode == 0, tested.output
    assert json.loads((run / "test_report-last.json").read_text())["accuracy"] == 0.64


def test_limited_test_and_predict_batches_report_and_write_the_points_lightning_ran(cli, tmp_path):
    # predict with --trainer.limit_predict_batches ended in a ValueError traceback (fewer predictions than
    # points); test with --trainer.limit_test_batches reported the whole split's accuracy beside the
    # limited run's loss
    assert cli("fit", "--trainer.max_epochs", "3", *NO_EXPORTS).returncode == 0
    run = tmp_path / "checkpoints" / "version_0"
    predicted = cli("predict", "--ckpt_path", "last", "--data.eval_batch_size", "30",
                    "--trainer.limit_predict_batches", "2", "--prediction.output", "two.csv")
    assert predicted.returncode == 0, predicted.output
    assert ("predictions: two.csv (60 rows: the first 60 of 200 points, as --trainer.limit_predict_batches asks)"
            in predicted.stdout)
    assert "accuracy on these points: 0.65000 (39 of 60)" in predicted.stdout
    assert len((tmp_path / "two.csv").read_text().splitlines()) == 61
    tested = cli("test", "--ckpt_path", "last", "--data.eval_batch_size", "30", "--trainer.limit_test_batches", "0.3")
    assert tested.returncode == 0, tested.output
    assert ("note: the first 60 of the split's 200 points were tested, as --trainer.limit_test_batches asks; the "
            "report covers those points") in tested.stdout
    report = json.loads((run / "test_report-last.json").read_text())
    assert sum(row["support"] for row in report["per_class"]) == 60
    assert report["accuracy"] == 0.65 and abs(report["loss"] - 0.957085) < 1e-6
