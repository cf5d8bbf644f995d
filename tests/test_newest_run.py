"""``--ckpt_path last`` / ``best`` take the newest run that has a ``last.ckpt``, and say so when a
newer run folder without one (stopped or diverged before writing it, or still training) is passed over."""

from __future__ import annotations

from conftest import run_cli

QUICK = ("--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false")


def test_a_newer_run_without_last_ckpt_is_named_when_last_and_best_pass_it_over(cli):
    assert cli("fit", *QUICK).returncode == 0
    (cli.cwd / "checkpoints" / "version_1").mkdir()
    (cli.cwd / "checkpoints" / "version_1" / "best-epoch=0-val_acc=0.4650.ckpt").write_bytes(b"")
    for value, path in (("last", "checkpoints/version_0/last.ckpt"),
                        ("best", "checkpoints/version_0/best-epoch=1-val_acc=0.5850.ckpt")):
        result = run_cli(cli.cwd, "test", "--ckpt_path", value)
        assert result.returncode == 0, result.output
        assert (f"note: --ckpt_path {value} is {path}: the newer checkpoints/version_1 has no last.ckpt (stopped or "
                "diverged before writing one, or still training)") in result.stderr.splitlines()
    result = run_cli(cli.cwd, "test", "--ckpt_path", "checkpoints/version_0/last.ckpt")
    assert result.returncode == 0 and "note:" not in result.output


def test_a_named_run_trained_after_the_newest_numbered_one_is_not_passed_over_by_last_and_best(cli):
    # --ckpt_path last took checkpoints/version_0 without a word although the run the user trained last was
    # checkpoints/mine (--trainer.logger.version mine): 'last' and 'best' look at numbered runs only
    import os

    from conftest import one_error

    assert cli("fit", *QUICK).returncode == 0
    assert cli("fit", *QUICK, "--trainer.logger.version", "mine").returncode == 0
    numbered, named = (cli.cwd / "checkpoints" / name / "last.ckpt" for name in ("version_0", "mine"))
    stamp = numbered.stat().st_mtime
    os.utime(named, (stamp + 10, stamp + 10))
    assert one_error(cli("test", "--ckpt_path", "last")) == (
        "--ckpt_path last: 'checkpoints/mine' (a run named by its logger's version, not version_N) wrote its last.ckpt "
        "after the newest numbered run 'checkpoints/version_0', which 'last' takes; pass the one you mean: "
        "--ckpt_path checkpoints/mine/last.ckpt or --ckpt_path checkpoints/version_0/last.ckpt")
    assert one_error(cli("fit", "--ckpt_path", "best")) == (
        "--ckpt_path best: 'checkpoints/mine' (a run named by its logger's version, not version_N) wrote its last.ckpt "
        "after the newest numbered run 'checkpoints/version_0', which 'best' takes; pass the one you mean: "
        "--ckpt_path checkpoints/mine/best-epoch=1-val_acc=0.5850.ckpt or "
        "--ckpt_path checkpoints/version_0/best-epoch=1-val_acc=0.5850.ckpt")
    assert sorted(p.name for p in numbered.parent.iterdir()) == sorted(p.name for p in named.parent.iterdir()) == [
        "best-epoch=1-val_acc=0.5850.ckpt", "last.ckpt", "model.json", "model.pth"]  # nothing written
    # a numbered run that wrote its last.ckpt after the named one (resumed since) is 'last' as before
    os.utime(named, (stamp - 10, stamp - 10))
    result = cli("test", "--ckpt_path", "last")
    assert result.returncode == 0, result.output
    assert (numbered.parent / "test_report-last.json").is_file() and not (named.parent / "test_report-last.json").exists()
