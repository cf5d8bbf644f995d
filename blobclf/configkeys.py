"""A config file's key that is no option of the subcommand, said of the file: jsonargparse's line (``Subcommand 'fit'
does not accept option 'base.max_epochs'``) names neither the file nor why a key that the user never meant as an
option is there: a YAML anchor written under a key of its own (``base: &b {max_epochs: 3}``, then ``trainer: *b``),
as YAML files of other programs do, is read as an option too.

:meth:`blobclf.parser.BlobArgumentParser.error` asks :func:`unknown_config_key` for jsonargparse's line when no
close option was found; nothing here parses or runs anything."""

from __future__ import annotations

import re
from collections.abc import Sequence

import yaml

from blobclf.configfiles import MAX_CONFIG_BYTES, YAML_LOADER, config_setting
from blobclf.configvalues import on_command_line

UNKNOWN_KEY = re.compile(r"Subcommand '(\w+)' does not accept option '([^']+)'(?: \(see --help\))?")
"""jsonargparse's line for a config file's key that is no option, as blobclf leaves it when it knows no close
option (nor another reason, such as a model's ``class_path``)."""

SUBCOMMANDS = ("fit", "validate", "test", "predict")

CLASS_OPTION = re.compile(r"--(\w+)\.(\w+)( is not an option of \w+.*)")
"""blobclf's line for an option that the class of a group (the data module, the optimizer) does not take, worded
for the command line: ``--data.data_dir is not an option of BlobDataModule; ...``."""


def anchors(text: str) -> dict[tuple[str, ...], str]:
    """The anchors (``&b``) on the values of a YAML mapping's top-level keys and of those under a subcommand's key
    (``fit: {base: &b ...}``), by the keys leading to them: ``{("base",): "b"}``; empty for text YAML cannot read."""
    found: dict[tuple[str, ...], str] = {}
    stack: list[list] = []  # per open collection: [is a mapping, expecting a key, the last key]
    try:
        for event in yaml.parse(text, Loader=YAML_LOADER):
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                stack.pop()
                continue
            if not isinstance(event, yaml.NodeEvent):  # an alias's anchor (*b) is the one it uses, not its own
                continue
            top = stack[-1] if stack else None
            if top is not None and top[0] and top[1]:  # a key
                top[1], top[2] = False, event.value if isinstance(event, yaml.ScalarEvent) else None
            elif top is not None:
                if top[0]:
                    top[1] = True
                    keys = tuple(entry[2] for entry in stack)
                    outer = len(stack) == 1 or (len(stack) == 2 and keys[0] in SUBCOMMANDS)
                    if outer and all(isinstance(k, str) for k in keys) and event.anchor \
                            and not isinstance(event, yaml.AliasEvent):
                        found[keys] = event.anchor
            if isinstance(event, yaml.CollectionStartEvent):
                stack.append([isinstance(event, yaml.MappingStartEvent), True, None])
    except yaml.YAMLError:
        return {}
    return found


def unknown_config_key(line: str, given: Sequence[str]) -> str | None:
    """The line for a config file's key that is no option of the subcommand, naming the file of the command line
    ``given`` that sets it and, for an anchor under a key of its own, where an anchor must sit; ``None`` where
    ``line`` is not :data:`UNKNOWN_KEY`'s or no file read again sets the key."""
    found = UNKNOWN_KEY.fullmatch(line)
    if found is None:
        return None
    subcommand, key = found.groups()
    setting = config_setting(given, key) or config_setting(given, f"{subcommand}.{key}")
    if setting is None:
        return None
    option, path, _ = setting
    where = f"in {option} {path}"
    first = key.split(".", 1)[0]
    try:
        with open(path, encoding="utf-8") as handle:
            marked = anchors(handle.read(MAX_CONFIG_BYTES))
    except (OSError, UnicodeDecodeError):
        marked = {}
    anchor = marked.get((first,)) or marked.get((subcommand, first))
    if anchor is not None:
        return (f"'{first}' {where} is not an option of {subcommand} (it holds '{key}'): it is there only to carry "
                f"the YAML anchor &{anchor}, and every key of a config is read as an option; put the anchor on the "
                f"first value that uses it, inside a key blobclf knows (as in trainer: &{anchor} {{max_epochs: 3}}), "
                f"and use *{anchor} after it, or remove '{first}'")
    return (f"'{key}' {where} is not an option of {subcommand}; correct its name or remove it there (--help lists "
            "the options)")


def class_option_in_config(line: str, given: Sequence[str]) -> str | None:
    """The line for a class's option that a config file of the command line ``given`` sets (``data: {data_dir:
    x}``) and the class does not take, naming the file: blobclf's line (:data:`CLASS_OPTION`) reads as if the
    option were typed. ``None`` where ``line`` is no such line, the command line typed the option, or no file sets
    it."""
    found = CLASS_OPTION.fullmatch(line)
    if found is None:
        return None
    group, name, rest = found.groups()
    key = f"{group}.{name}"
    if on_command_line(given, key):
        return None
    setting = config_setting(given, key) or config_setting(given, f"{group}.init_args.{name}")
    if setting is None:
        return None
    option, path, _ = setting
    return f"'{key}' in {option} {path}{rest}"
