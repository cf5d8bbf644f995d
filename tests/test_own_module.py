"""A checkpoint of a user's own LightningModule (not blobclf's) given to an evaluation is refused in one
line that says what to do instead."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from conftest import one_error
from torch.utils.data import DataLoader, TensorDataset

FIX = ("blobclf evaluates only the models 'blobclf fit' trains: pass a .ckpt of a blobclf run ('last' or 'best' for "
       "the newest one); test a LightningModule of your own with your own script's Trainer")


class Plain(L.LightningModule):
    """A user's module that records no hyperparameters."""

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Linear(2, 3)

    def training_step(self, batch, index):
        return self.net(batch[0]).sum()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


class Recorded(Plain):
    """A user's module that records its hyperparameters (``save_hyperparameters``)."""

    def __init__(self, encoder_dim: int = 3) -> None:
        super().__init__()
        self.save_hyperparameters()


@pytest.mark.parametrize(("module", "reason"), [
    (Plain, "was not written by 'blobclf fit': it has no model hyperparameters"),
    (Recorded, "was not written by 'blobclf fit' (or was edited): BlobClassifier.__init__() got an unexpected keyword "
               "argument 'encoder_dim'"),
], ids=["plain", "hyperparameters"])
def test_a_users_own_lightning_module_checkpoint_is_refused_saying_what_to_do(cli, module, reason):
    trainer = L.Trainer(max_steps=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, default_root_dir=cli.cwd)
    trainer.fit(module(), DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=4))
    trainer.save_checkpoint(cli.cwd / "mine.ckpt")
    # was: the line ended at the reason, naming no fix
    assert one_error(cli("test", "--ckpt_path", "mine.ckpt")) == f"checkpoint 'mine.ckpt' {reason}; {FIX}"
    assert [path.name for path in cli.cwd.iterdir()] == ["mine.ckpt"]
