"""The in-memory loader: batches, shuffling by seed and epoch, and shards for several processes."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from blobclf.loader import TensorBatchLoader


def data(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.arange(n, dtype=torch.float32).unsqueeze(1), torch.arange(n)


@pytest.mark.parametrize("n", [800, 801, 803])
@pytest.mark.parametrize("world_size", [2, 3, 4])
@pytest.mark.parametrize("shuffle", [False, True], ids=["ordered", "shuffled"])
def test_training_shards_are_disjoint_equal_and_cover_all_but_the_remainder(n, world_size, shuffle):
    shards = [
        torch.cat([y for _, y in TensorBatchLoader(*data(n), batch_size=64, shuffle=shuffle, seed=1, rank=rank,
                                                   world_size=world_size, even_shards=True, epoch=lambda: 5)])
        for rank in range(world_size)
    ]
    assert len({len(s) for s in shards}) == 1  # every process takes the same number of steps
    everything = torch.cat(shards)
    assert len(everything.unique()) == len(everything)  # disjoint
    assert len(everything) == n - n % world_size  # at most world_size - 1 samples left out


@pytest.mark.parametrize("world_size", [2, 3])
def test_evaluation_shards_cover_every_sample_exactly_once(world_size):
    shards = [torch.cat([y for _, y in TensorBatchLoader(*data(803), batch_size=50, rank=rank, world_size=world_size)])
              for rank in range(world_size)]
    assert sorted(torch.cat(shards).tolist()) == list(range(803))


def test_the_order_depends_only_on_seed_and_epoch():
    def order(seed: int, epoch: int) -> list[int]:
        loader = TensorBatchLoader(*data(100), batch_size=10, shuffle=True, seed=seed, epoch=lambda: epoch)
        return torch.cat([y for _, y in loader]).tolist()

    assert order(1, 3) == order(1, 3)
    assert order(1, 3) != order(1, 4) and order(1, 3) != order(2, 3)
    assert sorted(order(1, 3)) == list(range(100))


def test_one_batch_holding_the_split_is_the_tensors_memory_uncopied_and_in_order():
    x, y = data(10)
    ((bx, by),) = list(TensorBatchLoader(x, y, shuffle=True))
    assert bx.data_ptr() == x.data_ptr() and by.data_ptr() == y.data_ptr()
    assert torch.equal(bx, x) and torch.equal(by, y)


def test_lengths_and_the_last_short_batch():
    loader = TensorBatchLoader(*data(10), batch_size=4)
    assert len(loader) == 3 and [len(y) for _, y in loader] == [4, 4, 2]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"batch_size": 0}, "batch_size must be >= 1"), ({"rank": 2, "world_size": 2}, r"rank must be in \[0, 2\)")],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TensorBatchLoader(*data(4), **kwargs)


@pytest.mark.parametrize("steps", [2, 3, 10, 11])
@pytest.mark.parametrize("shuffle", [False, True], ids=["ordered", "shuffled"])
@pytest.mark.parametrize("world_size", [1, 2])
def test_groups_hold_the_same_batches_in_the_same_order(steps, shuffle, world_size):
    for rank in range(world_size):
        kwargs = dict(batch_size=7, shuffle=shuffle, seed=3, rank=rank, world_size=world_size, even_shards=True,
                      epoch=lambda: 2)
        single = list(TensorBatchLoader(*data(101), **kwargs))
        grouped = TensorBatchLoader(*data(101), steps_per_execution=steps, **kwargs)
        groups = list(grouped)
        assert len(grouped) == len(groups) == -(-len(single) // steps)
        assert [len(g) for g in groups[:-1]] == [steps] * (len(groups) - 1)  # only the last may be shorter
        flat = [batch for group in groups for batch in group]
        assert len(flat) == len(single)
        for (x1, y1), (x2, y2) in zip(single, flat, strict=True):
            assert torch.equal(x1, x2) and torch.equal(y1, y2)


def test_the_order_is_torchs_randperm_of_seed_plus_epoch():
    # drawn as int32 for speed: the same permutation the int64 draw gives (and gave before)
    loader = TensorBatchLoader(*data(1000), batch_size=10, shuffle=True, seed=5, epoch=lambda: 2)
    expected = torch.randperm(1000, generator=torch.Generator().manual_seed(7))
    assert torch.equal(torch.cat([y for _, y in loader]), expected)


def test_the_next_epochs_order_is_drawn_ahead_and_used_only_for_that_epoch():
    def fresh(epoch: int) -> list[int]:
        loader = TensorBatchLoader(*data(100), batch_size=10, shuffle=True, seed=1, epoch=lambda: epoch)
        return torch.cat([y for _, y in loader]).tolist()

    now = {"epoch": 0}
    loader = TensorBatchLoader(*data(100), batch_size=10, shuffle=True, seed=1, epoch=lambda: now["epoch"],
                               max_epochs=lambda: 3)

    def order(epoch: int) -> list[int]:
        now["epoch"] = epoch
        return torch.cat([y for _, y in loader]).tolist()

    assert order(0) == fresh(0) and loader._ahead.epoch == 1
    assert order(2) == fresh(2)  # epoch 1's order, drawn ahead, is not used for epoch 2
    assert loader._ahead is None  # epoch 2 is the last of 3: nothing drawn ahead
    assert order(0) == fresh(0) and order(1) == fresh(1)  # epoch 1 from the order drawn ahead


def test_a_bad_steps_per_execution_is_named():
    with pytest.raises(ValueError, match="steps_per_execution must be an integer >= 1, got 0"):
        TensorBatchLoader(*data(4), steps_per_execution=0)


def test_a_process_ending_while_an_order_is_drawn_ahead_exits_cleanly():
    # a run can end before the epoch whose order is being drawn (max_steps, early stopping, a
    # signal); torch aborts a process whose interpreter shuts down under a running operation
    code = ("import torch; from blobclf.loader import TensorBatchLoader; "
            "loader = TensorBatchLoader(torch.zeros(4_000_000, 1), torch.zeros(4_000_000), batch_size=2_000_000, "
            "shuffle=True); next(iter(loader)); assert loader._ahead is not None")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "terminate called" not in done.stderr
