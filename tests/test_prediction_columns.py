"""``--prediction.top_k``: a predictions file of many classes need not hold a ``prob_<class>`` column per class
(at 1,000 classes a row was ~20 KB, with no way to write fewer)."""

from __future__ import annotations

import csv

import pytest
import torch
from conftest import one_error

from blobclf.predictions import prediction_rows

QUICK = ("--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false")
FEATURES = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
PROBABILITIES = torch.tensor([[0.25, 0.5, 0.25], [0.125, 0.125, 0.75]])
LABELS = torch.tensor([1, 0])


def test_default_columns_are_a_probability_per_class_as_before():
    header, rows = prediction_rows(FEATURES, PROBABILITIES, LABELS, ["a", "b"], ["x", "=y", "z"])
    assert header == ["a", "b", "prob_x", "prob_=y", "prob_z", "predicted", "label"]
    assert rows == [["1.0", "2.0", "0.25", "0.5", "0.25", "'=y", "'=y"],
                    ["3.0", "4.0", "0.125", "0.125", "0.75", "z", "x"]]


@pytest.mark.parametrize(("top_k", "header", "rows"), [
    (2, ["a", "b", "top1", "top1_prob", "top2", "top2_prob", "predicted", "label"],
     # of equal probabilities (0.25, 0.25 and 0.125, 0.125) the class listed first comes first
     [["1.0", "2.0", "'=y", "0.5", "x", "0.25", "'=y", "'=y"], ["3.0", "4.0", "z", "0.75", "x", "0.125", "z", "x"]]),
    (3, ["a", "b", "top1", "top1_prob", "top2", "top2_prob", "top3", "top3_prob", "predicted", "label"],
     [["1.0", "2.0", "'=y", "0.5", "x", "0.25", "z", "0.25", "'=y", "'=y"],
      ["3.0", "4.0", "z", "0.75", "x", "0.125", "'=y", "0.125", "z", "x"]]),
    (0, ["a", "b", "predicted", "label"], [["1.0", "2.0", "'=y", "'=y"], ["3.0", "4.0", "z", "x"]]),
], ids=["top2", "top-all", "none"])
def test_top_k_writes_the_most_probable_classes_by_name_with_their_probabilities(top_k, header, rows):
    assert prediction_rows(FEATURES, PROBABILITIES, LABELS, ["a", "b"], ["x", "=y", "z"], top_k=top_k) == (header, rows)


def read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_predict_top_k_agrees_with_the_full_file_and_bad_values_are_one_line(cli):
    assert cli("fit", *QUICK).returncode == 0
    assert cli("predict", "--ckpt_path", "last", "--prediction.output", "all.csv").returncode == 0
    full = read(cli.cwd / "all.csv")
    assert cli("predict", "--ckpt_path", "last", "--prediction.output", "top2.csv", "--prediction.top_k", "2"
               ).returncode == 0
    top = read(cli.cwd / "top2.csv")
    assert list(top[0]) == ["x0", "x1", "top1", "top1_prob", "top2", "top2_prob", "predicted", "label"]
    assert len(top) == len(full) == 200
    for whole, short in zip(full, top, strict=True):
        ranked = sorted(range(4), key=lambda c: -float(whole[f"prob_{c}"]))  # sorted() is stable: ties in class order
        assert [short["top1"], short["top2"]] == [str(c) for c in ranked[:2]]
        assert [short["top1_prob"], short["top2_prob"]] == [whole[f"prob_{c}"] for c in ranked[:2]]
        assert short["top1"] == short["predicted"] == whole["predicted"]
        assert {k: short[k] for k in ("x0", "x1", "label")} == {k: whole[k] for k in ("x0", "x1", "label")}
    assert cli("predict", "--ckpt_path", "last", "--prediction.output", "none.csv", "--prediction.top_k", "0"
               ).returncode == 0
    assert [list(row.values()) for row in read(cli.cwd / "none.csv")] == [
        [row["x0"], row["x1"], row["predicted"], row["label"]] for row in full]
    before = sorted(p.relative_to(cli.cwd) for p in cli.cwd.rglob("*"))
    refused = cli("predict", "--ckpt_path", "last", "--prediction.output", "k.csv", "--prediction.top_k", "5")
    assert one_error(refused) == ("--prediction.top_k 5 is more than the model's 4 classes; give at most 4, or leave "
                                  "it unset for a prob_<class> column per class")
    assert "GPU available" not in refused.output  # refused before Lightning starts (and prints its notices)
    assert one_error(cli("predict", "--ckpt_path", "last", "--prediction.output", "k.csv", "--prediction.top_k", "-1")
                     ) == "--prediction.top_k=-1 is invalid: give an integer >= 0, or null (see --help)"
    assert sorted(p.relative_to(cli.cwd) for p in cli.cwd.rglob("*")) == before
