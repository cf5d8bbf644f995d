"""blobclf: the PyTorch multi-class blobs tutorial as a reproducible Lightning project."""

from blobclf.data import BlobDataModule
from blobclf.model import BlobModel
from blobclf.system import BlobClassifier

__all__ = ["BlobClassifier", "BlobDataModule", "BlobModel"]
__version__ = "0.1.0"
