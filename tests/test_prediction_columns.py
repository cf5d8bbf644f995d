"""``--prediction.top_k``: a predictions file of many classes need not hold a ``prob_<class>`` column per class
(at 1,000 classes a row was ~20 KB, with no way to write fewer)."""

from __future__ import annotations

import csv
import io

import numpy as np
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


def held(writer) -> int:
    """The bytes of the tensors a prediction writer holds between batches."""
    tensors = [v for value in vars(writer).values() for v in (value if isinstance(value, tuple) else (value,))]
    return sum(t.nbytes for t in tensors if isinstance(t, torch.Tensor))


def test_top_k_keeps_k_columns_of_many_classes_and_writes_the_same_bytes(cli, monkeypatch):
    """Was: every class's probability was held until the end (rows x classes x 4 bytes, 1.2 GB for 300,000 rows of
    1,000 classes) to write ``top_k`` of them."""
    from blobclf.predictions import PredictionCollector

    rng = np.random.default_rng(0)
    classes = 60
    lines = ["x0,x1,x2,kind"] + [f"{x[0]:.4f},{x[1]:.4f},{x[2]:.4f},c{k}" for k in range(classes) for x in
                                 rng.normal(k % 7, 1, (12, 3))]
    (cli.cwd / "many.csv").write_text("\n".join(lines) + "\n")
    table = ("--data", "TableDataModule", "--data.path", "many.csv", "--data.target", "kind")
    assert cli("fit", *QUICK, *table).returncode == 0
    assert cli("predict", "--ckpt_path", "last", "--prediction.output", "all.csv").returncode == 0
    peaks = []
    batch_end = PredictionCollector.write_on_batch_end

    def measured(self, *args, **kwargs):
        batch_end(self, *args, **kwargs)
        peaks.append(held(self))

    monkeypatch.setattr(PredictionCollector, "write_on_batch_end", measured)
    assert cli("predict", "--ckpt_path", "last", "--prediction.output", "top3.csv", "--prediction.top_k", "3",
               "--data.eval_batch_size", "16").returncode == 0
    rows = len(read(cli.cwd / "all.csv"))
    assert rows == 144 and len(peaks) == 9  # the test split, in 9 batches
    assert max(peaks) == rows * (8 + 3 * 8 + 3 * 4)  # predicted, top 3 classes and their probabilities; was rows * 240
    # the bytes the full probabilities give: ranked by probability, ties in class order (sorted() is stable)
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(["x0", "x1", "x2", "top1", "top1_prob", "top2", "top2_prob", "top3", "top3_prob", "predicted", "kind"])
    names = [f"c{k}" for k in range(classes)]
    for row in read(cli.cwd / "all.csv"):
        ranked = sorted(names, key=lambda name: -float(row[f"prob_{name}"]))[:3]
        writer.writerow([row["x0"], row["x1"], row["x2"], *(c for name in ranked for c in (name, row[f"prob_{name}"])),
                         row["predicted"], row["kind"]])
    assert (cli.cwd / "top3.csv").read_bytes() == expected.getvalue().encode()


def test_the_file_writes_each_probability_in_float32s_shortest_digits_and_reads_back_with_csv():
    # probabilities were written as float64 texts of float32 values: 0.16380548477172852, 17 digits of which
    # the last 9 were noise, and a 30-class row took 587 characters instead of 325
    from blobclf.predictions import write_rows

    probabilities = torch.tensor([[0.16380548477172852, 0.6795455813407898, 0.15664893388748169],
                                  [1e-10, 0.5, 0.4999999999]])
    names = ["a,b", 'say "hi"', "東京"]
    header, rows = prediction_rows(torch.tensor([[4.6767154, -7.716489], [0.1, 2.0]]), probabilities,
                                   torch.tensor([1, 2]), ["x0", "x1"], names)
    handle = io.BytesIO()
    assert write_rows(handle, header, rows) == 2
    assert handle.getvalue().decode() == (
        'x0,x1,"prob_a,b","prob_say ""hi""",prob_東京,predicted,label\n'
        '4.6767154,-7.716489,0.16380548,0.6795456,0.15664893,"say ""hi""","say ""hi"""\n'
        "0.1,2.0,1e-10,0.5,0.5,\"say \"\"hi\"\"\",東京\n")
    read = list(csv.reader(io.StringIO(handle.getvalue().decode())))
    assert read[0][2:5] == ["prob_a,b", 'prob_say "hi"', "prob_東京"]
    assert np.array_equal(np.array([row[2:5] for row in read[1:]], dtype=np.float32), probabilities.numpy())
