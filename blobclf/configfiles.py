"""Config files and option values read with limits: untrusted YAML must not exhaust the machine."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import yaml
from jsonargparse import get_loader, set_loader

from blobclf.errors import UserError

PARSER_MODE = "blobclf_yaml"
MAX_CONFIG_BYTES = 1 << 20
"""Largest config file read (1 MiB; a full blobclf config is a few KiB)."""
MAX_YAML_NODES = 100_000
"""Most values a YAML document may expand to once its aliases are followed."""
# options that take a config file (jsonargparse also reads a file given to a group option)
FILE_OPTIONS = ("-c", "--config", "--trainer", "--model", "--data", "--optimizer", "--lr_scheduler",
                "--checkpoint", "--prediction", "--export")


def use_limited_yaml() -> str:
    """Register blobclf's YAML loader with jsonargparse and return its parser mode.

    It is jsonargparse's own YAML loader behind one check: a document whose aliases (``*name``)
    would expand to more than :data:`MAX_YAML_NODES` values is refused before anything is built,
    so a few hundred bytes of nested aliases cannot take minutes and gigabytes.
    """
    base = get_loader("yaml")

    def load(text: str) -> Any:
        if "*" in text and "&" in text:  # only a document with anchors can hold aliases
            size = expanded_size(yaml.compose(text, Loader=yaml.SafeLoader))
            if size > MAX_YAML_NODES:
                raise yaml.YAMLError(
                    f"its aliases expand to more than {MAX_YAML_NODES:,} values; refused (write the values out)"
                )
        return base(text)

    set_loader(PARSER_MODE, load, exceptions=(yaml.YAMLError,))
    return PARSER_MODE


def expanded_size(node: Any) -> int:
    """Number of values in a composed YAML node graph once every alias is expanded.

    Aliases are the same node objects in the graph, so sizes are memoised per node: linear in the
    document's size even when the expansion is exponential.
    """
    sizes: dict[int, int] = {}

    def size(current: Any) -> int:
        key = id(current)
        if key not in sizes:
            sizes[key] = 0  # a cycle counts once
            if isinstance(current, yaml.MappingNode):
                total = 1 + sum(size(k) + size(v) for k, v in current.value)
            elif isinstance(current, yaml.SequenceNode):
                total = 1 + sum(size(item) for item in current.value)
            else:
                total = 1
            sizes[key] = min(total, MAX_YAML_NODES + 1)
        return sizes[key]

    return 0 if node is None else size(node)


def check_config_files(argv: Sequence[str]) -> None:
    """Refuse, in one line each, config files given on the command line that are too large or not UTF-8."""
    for index, arg in enumerate(argv):
        path = None
        if arg in FILE_OPTIONS and index + 1 < len(argv):
            path = argv[index + 1]
        elif any(arg.startswith(f"{option}=") for option in FILE_OPTIONS if option.startswith("--")):
            path = arg.split("=", 1)[1]
        if path is None or not os.path.isfile(path):
            continue
        size = os.path.getsize(path)
        if size > MAX_CONFIG_BYTES:
            raise UserError(f"config file {path!r} is {size:,} bytes, more than blobclf reads ({MAX_CONFIG_BYTES:,})")
        with open(path, "rb") as handle:
            data = handle.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise UserError(
                f"config file {path!r}, line {line}: not UTF-8 text (byte 0x{data[error.start]:02x}); save it as UTF-8"
            ) from None
        if "*" in text and "&" in text:
            try:
                size = expanded_size(yaml.compose(text, Loader=yaml.SafeLoader))
            except yaml.YAMLError:
                continue  # not valid YAML: the parser says where
            if size > MAX_YAML_NODES:
                raise UserError(f"config file {path!r}: its YAML aliases expand to more than {MAX_YAML_NODES:,} "
                                "values; refused (write the values out)")
