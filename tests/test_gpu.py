"""On a CUDA GPU: the tutorial's table, and the GPU's test result equal to the CPU's (skipped without one)."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import TUTORIAL_TABLE
from test_steps_per_execution import SGD_CONFIG, fit

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def test_the_tutorial_table_is_reproduced_on_a_gpu_and_its_test_matches_the_cpu(tmp_path, capsys):
    fit(tmp_path, "fit", "--config", str(SGD_CONFIG), "--trainer.accelerator", "gpu", "--export.figures", "false")
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch: ")]
    expected = [
        f"Epoch: {epoch} | Train Loss: {loss}, Train Acc: {acc} | Test Loss: {test_loss}, Test Acc: {test_acc}"
        for epoch, (loss, acc, test_loss, test_acc) in TUTORIAL_TABLE.items()
    ]
    assert printed[:10] == expected
    reports = {}
    for accelerator in ("gpu", "cpu"):
        fit(tmp_path, "test", "--ckpt_path", "last", "--trainer.accelerator", accelerator)
        (report,) = tmp_path.glob("checkpoints/version_0/test_report-last.json")
        reports[accelerator] = json.loads(report.read_text())
        report.unlink()
    assert reports["gpu"]["accuracy"] == reports["cpu"]["accuracy"] == 0.965
    assert abs(reports["gpu"]["loss"] - reports["cpu"]["loss"]) < 1e-6
