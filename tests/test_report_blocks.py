"""A split's report and figures are made from its probabilities block by block: a fit or test of 200,000 rows and
1,000 classes held them whole in float64 (1.6 GB, twice while they were put together), for a report that needs
three numbers a row. The report, and so every figure drawn from it, is the same to the bit."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch
from torch import nn

from blobclf import artifacts
from blobclf.report import classification_report, report_of_blocks


def softmax_rows(rows: int, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, (rows, classes))
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return rng.integers(0, classes, rows), probabilities


@pytest.mark.parametrize("sizes", [[500], [1] * 7 + [493], [250, 250], [123, 0, 377]], ids=["one", "ones", "halves",
                                                                                             "an-empty-block"])
def test_the_report_of_blocks_is_the_report_of_the_whole(sizes):
    labels, probabilities = softmax_rows(500, 1000)
    names = [f"c{k}" for k in range(1000)]
    edges = np.cumsum([0, *sizes])
    blocks = [probabilities[a:b] for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]
    assert report_of_blocks(labels, iter(blocks), class_names=names) == classification_report(
        labels, probabilities, class_names=names)
    assert report_of_blocks(labels, blocks, loss=0.5) == classification_report(labels, probabilities, loss=0.5)


def test_blocks_of_other_rows_than_the_labels_are_refused():
    labels, probabilities = softmax_rows(10, 3)
    with pytest.raises(ValueError, match=r"y_true must have shape \(8,\) to match the blocks' 8 rows, got \(10,\)"):
        report_of_blocks(labels, [probabilities[:4], probabilities[4:8]])
    with pytest.raises(ValueError, match="a block of probabilities has 2 classes, an earlier one 3"):
        report_of_blocks(np.zeros(10, dtype=int),
                         [probabilities[:5], probabilities[5:, :2] / probabilities[5:, :2].sum(1, keepdims=True)])


def test_a_report_holds_no_more_than_a_block_of_probabilities_at_a_time():
    rows, classes, block = 20_000, 1000, 1000
    labels = np.random.default_rng(0).integers(0, classes, rows)

    def blocks():
        for start in range(0, rows, block):
            yield softmax_rows(block, classes, seed=start)[1]

    tracemalloc.start()
    report_of_blocks(labels, blocks())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    whole = rows * classes * 8  # 160 MB
    # 25 MB: a block (8 MB) as it is made and read; the whole would be 160 MB, held at once
    assert peak < whole / 5, f"{peak} bytes at the peak for {whole} bytes of probabilities"


def test_evaluate_gives_the_report_of_the_whole_split_in_any_blocks(monkeypatch):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 300))
    features, labels = torch.randn(3000, 5) * 3, torch.randint(0, 300, (3000,))
    with torch.inference_mode():
        whole = torch.softmax(model(features).double(), dim=1).numpy()
    expected = classification_report(labels.numpy(), whole)
    for chunk, values in ((1 << 16, 1 << 22), (1000, 300 * 7), (700, 1)):
        monkeypatch.setattr(artifacts, "PREDICT_CHUNK", chunk)
        monkeypatch.setattr(artifacts, "SOFTMAX_VALUES", values)
        assert artifacts.evaluate(model, features, labels) == expected
        assert (artifacts.predict_labels(model)(features.numpy()) == whole.argmax(axis=1)).all()
