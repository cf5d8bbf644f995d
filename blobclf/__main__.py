"""``python -m blobclf``."""

from blobclf.cli import cli_main

cli_main()
