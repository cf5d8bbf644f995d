"""A config file's value that the parser refused, said of the file: the line names the file, the key as written
there, the value and what to write instead, where jsonargparse's own line (``Parser key "data": 5 is invalid: Not
a valid subclass of SplitDataModule: Subclass types expect one of``) names neither the file nor a fix.

:meth:`blobclf.parser.BlobArgumentParser.error` asks :func:`config_value_error` first for every error whose
line is still jsonargparse's; nothing here parses or runs anything."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import Any

import yaml

from blobclf.configfiles import config_setting
from blobclf.messages import WANTED
from blobclf.optionnames import given_option

CLASS_GROUPS = {
    "data": ("a data module", "data: TableDataModule",
             "data: {class_path: blobclf.TableDataModule, init_args: {path: t.csv, target: y}}"),
    "optimizer": ("an optimizer", "optimizer: Adam",
                  "optimizer: {class_path: torch.optim.Adam, init_args: {lr: 0.01}}"),
    "lr_scheduler": ("a learning-rate scheduler", "lr_scheduler: StepLR",
                     "lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 10}}"),
    "trainer.logger": ("a logger", "logger: blobclf.logger.RunLogger, or false for none",
                       "logger: {class_path: blobclf.logger.RunLogger, init_args: {save_dir: lightning_logs}}"),
}
"""The options a config file gives a class (by name, or ``class_path`` and ``init_args``): what the value names,
a short form and a full form to write."""
LISTS = {"trainer.callbacks": "callbacks: [{class_path: lightning.pytorch.callbacks.EarlyStopping, "
                              "init_args: {monitor: val/loss}}]"}
"""Options that take a list in a config file, with a list to show."""


def written(value: Any) -> str:
    """``value`` as YAML writes it in a flow (``true``, ``{class_path: 5}``), cut to 200 characters."""
    try:
        text = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    except yaml.YAMLError:
        text = repr(value)
    text = text.removesuffix("\n...").removesuffix("...").strip()
    return text if len(text) <= 200 else text[:200] + "…"


def on_command_line(given: Sequence[str], key: str) -> bool:
    """Whether the command line ``given`` sets ``key`` (``lr_scheduler.step_size``) or an option under it."""
    group, _, name = key.partition(".")
    keys = {key, f"{group}.init_args.{name}"} if name else {key}
    return any(word.split("=", 1)[0] in {f"--{k}" for k in keys} or
               any(word.startswith(f"--{k}.") for k in keys) for word in given)


def listed_setting(given: Sequence[str], key: str, cls: str, name: str) -> tuple[str, str, Any] | None:
    """The config file of the command line ``given`` whose list ``key`` (``trainer.callbacks``) gives the class
    ``cls`` the option ``name``: the option that gave the file, its path and ``(place in the list, value)``."""
    setting = config_setting(given, key)
    if setting is None or not isinstance(setting[2], list):
        return None
    option, path, items = setting
    short = cls.rsplit(".", 1)[-1]
    for place, item in enumerate(items):
        named = item.get("class_path") if isinstance(item, dict) else None
        init = item.get("init_args") if isinstance(item, dict) else None
        if isinstance(named, str) and named.rsplit(".", 1)[-1] == short and isinstance(init, dict) and name in init:
            return option, path, (place, init[name])
    return None


PLAIN = re.compile(r"--([\w.]+)=(.+?) is invalid(?:: (.*?))? \(see --help\)")
"""blobclf's line for an option's value of the wrong type or range (``--model.hidden_units='x' is invalid: not
PositiveInt``), which names the option as if the command line gave it."""


def plain_value_error(line: str, given: Sequence[str]) -> str | None:
    """The line for an option's value (``model: {hidden_units: x}``) that a config file of the command line
    ``given`` set, said of the file; ``None`` where ``line`` is no :data:`PLAIN` line, the command line typed the
    value shown, or no file sets the option."""
    found = PLAIN.fullmatch(line)
    if found is None:
        return None
    key, shown, reason = found.groups()
    typed = given_option(given, f"--{key}")
    try:
        shown_value = str(ast.literal_eval(shown))
    except (ValueError, SyntaxError):
        shown_value = shown
    if typed is not None and typed == shown_value:
        return None  # the command line's own value
    setting = config_setting(given, key)
    if setting is None:
        return None
    option, path, value = setting
    kind = re.fullmatch(r"not (\w+)(?: \(.*\))?", reason or "")
    if kind and kind.group(1) in WANTED:
        reason = f"give {WANTED[kind.group(1)]}"
    if reason and reason.startswith("give "):
        return f"{key}: {written(value)} in {option} {path} is invalid: {reason}"
    said = f": {reason}" if reason else ""
    return (f"{key}: {written(value)} in {option} {path} is invalid{said}; correct it there (--help lists what {key} "
            "takes)")


def config_value_error(text: str, given: Sequence[str], worded: str = "") -> str | None:
    """The line for a value a config file of the command line ``given`` set and the parser refused.

    Args:
        text: jsonargparse's message, of one line or several.
        given: The command line's words.
        worded: The line blobclf would say otherwise (its reason is kept where no fix is known).

    Returns:
        ``KEY: VALUE in --config PATH is ...; WHAT TO WRITE``; ``None`` where the value is not a config file's
        (the command line gave it, or no file sets it) or the text names no key.
    """
    text = re.sub(r"\s+", " ", ": ".join(line.strip() for line in str(text).splitlines() if line.strip()))
    text = re.sub(r"^Parser key \"\w+\": Unable to load config '[^']*': - ", "", text.replace(":: ", ": "))
    found = re.match(r'Parser key "([\w.]+)"', text)
    if not found:
        return None
    group = found.group(1)
    nested = re.search(r"Problem with given class_path '([^']+)': Parser key \"(\w+)\": (.*)", text)
    key = f"{group}.{nested.group(2)}" if nested else group
    if "NestedArg(" in text:
        return None  # a class's option given on the command line
    shown = re.match(r'Parser key "[\w.]+": (.*?) is invalid', text)
    typed = [given_option(given, f"--{name}") for name in {key, group}]
    if shown and on_command_line(given, key) and shown.group(1) in typed:
        return None  # the command line's value (a file's value is refused before the command line is read)
    setting = config_setting(given, key)
    if setting is None and nested and group in LISTS:
        setting = listed_setting(given, group, nested.group(1), nested.group(2))
    if setting is None:
        return None
    option, path, value = setting
    where = f"in {option} {path}"
    if nested:
        cls, name, reason = nested.groups()
        if isinstance(value, tuple):  # a class in a list (a callback): its place there
            place, value = value
            group = f"{group}[{place}]"
        kind = re.match(r"(?:Expected a <class '(\w+)'>|Not of type (\w+)|Does not validate against any of the "
                        r"Union subtypes: Subtypes: \[<class '(\w+)'>)", reason)
        words = WANTED.get(next((k for k in kind.groups() if k), "")) if kind else None
        fix = f"give {words}" if words else f"see --{group}.help {cls.rsplit('.', 1)[-1]}"
        return f"{group}.init_args.{name}: {written(value)} {where} is invalid for {cls}: {fix}"
    if key in CLASS_GROUPS and isinstance(value, dict) and "class_path" in value \
            and not isinstance(value["class_path"], str):
        what, short, full = CLASS_GROUPS[key]
        return (f"{key}.class_path: {written(value['class_path'])} {where} is not a class name; give the import "
                f"path of {what} ({full})")
    if key in CLASS_GROUPS and not isinstance(value, (str, dict)):
        what, short, full = CLASS_GROUPS[key]
        return f"{key}: {written(value)} {where} is not {what}; give its name ({short}) or its settings ({full})"
    if key in LISTS and not isinstance(value, list):
        return f"{key}: {written(value)} {where} is not a list; give one ({LISTS[key]}), or leave it out"
    said = (worded or text).removesuffix(" (see --help)")
    said = re.sub(r"^Parser key \"[\w.]+\": Unable to load config '[^']*': - ", "", said)  # a group's file
    reason = re.sub(r"^Parser key \"[\w.]+\": (?:.*? is invalid: )?", "", said)
    kind = re.match(r"Not of type (\w+)", reason)
    if kind and kind.group(1) in WANTED:
        return f"{key}: {written(value)} {where} is invalid: give {WANTED[kind.group(1)]}"
    reason = reason[:300] + ("…" if len(reason) > 300 else "")
    return f"{key}: {written(value)} {where} is invalid ({reason}); correct it there (--help lists what {key} takes)"
