"""Column and class names written with accents composed (NFC, as typed) or decomposed (NFD, as macOS names
files and some tools write headers) are the same names in every command of a run."""

from __future__ import annotations

import unicodedata

import torch
from conftest import one_error

NFD = "NFD"
QUICK = ["--trainer.max_epochs", "1", "--export.figures", "false", "--export.onnx", "false"]


def decomposed(text: str) -> str:
    return unicodedata.normalize(NFD, text)


def test_names_written_decomposed_in_a_later_command_are_the_run_s_names(cli):
    rows = "".join(f"{i % 3 + i / 100:.2f},{i % 5},{['klein', 'groß', 'mittel'][i % 3]}\n" for i in range(60))
    (cli.cwd / "train.csv").write_text(decomposed("Größe,Höhe,Art\n" + rows), encoding="utf-8")
    fitted = cli("fit", "--data", "TableDataModule", "--data.path", "train.csv", "--data.target", "Art",
                 "--data.features", "[Größe,Höhe]", *QUICK)
    assert fitted.returncode == 0, fitted.stderr
    ckpt = "checkpoints/version_0/last.ckpt"
    recorded = torch.load(cli.cwd / ckpt, weights_only=True)["datamodule_hyper_parameters"]
    assert recorded["features"] == ["Größe", "Höhe"] and recorded["classes"] == ["groß", "klein", "mittel"]
    assert all(unicodedata.is_normalized("NFC", name) for name in recorded["features"] + recorded["classes"])
    # was: "data.features=['Größe', 'Höhe'] ... conflicts with the checkpoint ..., which was trained with
    # data.features=['Größe', 'Höhe']": the same names, one written decomposed
    tested = cli("test", "--ckpt_path", ckpt, "--data.features", decomposed("[Größe,Höhe]"))
    assert tested.returncode == 0, tested.stderr
    tested = cli("test", "--ckpt_path", ckpt, "--data.features", "null", "--data.exclude", "[]",
                 "--data.target", decomposed("Art"))
    assert tested.returncode == 0, tested.stderr
    resumed = cli("fit", "--ckpt_path", ckpt, "--data.features", decomposed("[Größe,Höhe]"), "--trainer.max_epochs", "2")
    assert resumed.returncode == 0, resumed.stderr
    (cli.cwd / "points.csv").write_text("Größe,Höhe\n1.0,2\n", encoding="utf-8")  # another tool writes NFC
    predicted = cli("predict", "--ckpt_path", ckpt, "--data.predict_file", "points.csv")
    assert predicted.returncode == 0, predicted.stderr
    changed = cli("test", "--ckpt_path", ckpt, "--data.features", decomposed("[Höhe,Größe]"))
    assert unicodedata.normalize("NFC", one_error(changed)) == (
        f"data.features=['Höhe', 'Größe'] (from the command line or a --config file) conflicts with the checkpoint "
        f"{ckpt!r}, which was trained with data.features=['Größe', 'Höhe']; drop the option (the checkpoint's value is "
        "used), or pass another checkpoint")
