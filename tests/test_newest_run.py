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
