"""Config files and option values read with limits: untrusted YAML must not exhaust the machine."""

from __future__ import annotations

import codecs
import os
import re
import shlex
import stat
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import yaml
from jsonargparse import get_loader, set_loader

from blobclf.errors import UserError, printable

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The safe loader for config files, libyaml's where PyYAML has it: it bounds nesting, where the pure
Python loader recurses (a deeply nested file would end in a RecursionError)."""

PARSER_MODE = "blobclf_yaml"
MAX_CONFIG_BYTES = 1 << 20
"""Largest config file read (1 MiB; a full blobclf config is a few KiB)."""
MAX_YAML_NODES = 100_000
"""Most values a YAML document may expand to once its aliases are followed."""
# options that take a config file (jsonargparse also reads a file given to a group option)
FILE_OPTIONS = ("-c", "--config", "--trainer", "--model", "--data", "--optimizer", "--lr_scheduler",
                "--checkpoint", "--prediction", "--export")
STANDARD_INPUT = re.compile(r"^(-|/dev/stdin|/dev/fd/\d+|/proc/self/fd/\d+)$")
"""Config paths read from a pipe the command's own shell feeds (``-``, ``/dev/stdin``, ``<(...)``), which jsonargparse
reads as they are: a writer is there (or was, and its output waits in the pipe)."""


def use_limited_yaml() -> str:
    """Register blobclf's YAML loader with jsonargparse and return its parser mode.

    It is jsonargparse's own YAML loader behind one check: a document whose aliases (``*name``)
    would expand to more than :data:`MAX_YAML_NODES` values is refused before anything is built,
    so a few hundred bytes of nested aliases cannot take minutes and gigabytes.
    """
    base = get_loader("yaml")

    def load(text: str) -> Any:
        if "*" in text and "&" in text:  # only a document with anchors can hold aliases
            loop = alias_loop(text)
            if loop is not None:
                raise yaml.YAMLError(f"line {loop[1]}: {ALIAS_LOOP.format(anchor=loop[0])}")
            size = expanded_size(yaml.compose(text, Loader=yaml.SafeLoader))
            if size > MAX_YAML_NODES:
                raise yaml.YAMLError(
                    f"its aliases expand to more than {MAX_YAML_NODES:,} values; refused (write the values out)"
                )
        return base(text)

    set_loader(PARSER_MODE, load, exceptions=(yaml.YAMLError,))
    return PARSER_MODE


ALIAS_LOOP = ("the alias *{anchor} is inside the value &{anchor} names, so that value would contain itself "
              "(jsonargparse reads it for ever); write the values out")


def alias_loop(text: str) -> tuple[str, int] | None:
    """The first alias inside the value of its own anchor (``a: &x {b: *x}``), with its 1-based line; ``None``: none.

    PyYAML builds such a value as a dict that contains itself, which jsonargparse walks for ever
    (and with growing memory). Found from the parser's events, without building anything.
    """
    open_anchors: list[str | None] = []
    for event in yaml.parse(text, Loader=YAML_LOADER):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            open_anchors.append(event.anchor)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            open_anchors.pop()
        elif isinstance(event, yaml.AliasEvent) and event.anchor in open_anchors:
            return event.anchor, event.start_mark.line + 1
    return None


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


def nul_setting(settings: Any) -> tuple[str, str] | None:
    """The first setting (its dotted name and value) whose text holds a NUL character; ``None``: none.

    No file name can hold one, and Python refuses it in a path with a ``ValueError`` wherever the
    path is first used; only a config file (``"a\\0b.csv"``) can give one, as a command line cannot.
    """
    pending: list[tuple[str, Any]] = [("", settings)]
    while pending:
        name, value = pending.pop()
        if isinstance(value, str) and "\0" in value:
            return name, value
        if isinstance(value, dict):
            pending.extend((name if key == "init_args" else f"{name}.{key}" if name else str(key), item)
                           for key, item in reversed(value.items()))  # --data.path, not --data.init_args.path
        elif isinstance(value, (list, tuple)):
            pending.extend((name, item) for item in reversed(value))
    return None


def check_text_arguments(argv: Sequence[str]) -> None:
    """Refuse, in one line, a command-line word that is not text: jsonargparse fails on it with a
    codec error (``'utf-8' codec can't encode ... surrogates not allowed``) naming neither the word nor a fix.

    Python hands such a word over with each byte it could not decode as a lone surrogate (PEP 383):
    a file name written in another encoding (Latin-1 ``caf\\xe9.csv``), or, under a locale that is
    not UTF-8 (``LC_ALL=C`` with ``PYTHONUTF8=0``), any word with a non-ASCII character.
    """
    for index, word in enumerate(argv):
        option, _, value = word.partition("=") if word.startswith("--") else ("", "", word)
        digits = max((too_many_digits(run) for run in re.findall(r"\d+", value)), default=0)  # also '{max_epochs: N}'
        if digits:  # a ValueError traceback, or jsonargparse's line advising sys.set_int_max_str_digits()
            option = option or (argv[index - 1] if index and argv[index - 1].startswith("-") else "a value")
            raise UserError(f"{option}: a number of {digits} digits, more than Python reads "
                            f"({sys.get_int_max_str_digits()}); no setting takes one that large: give a smaller one")
        try:
            word.encode("utf-8")
        except UnicodeEncodeError:
            raw = os.fsencode(word)
            encoding = codecs.lookup(sys.getfilesystemencoding()).name
            if encoding != "utf-8":
                raise UserError(
                    f"'{printable(raw.decode('utf-8', 'backslashreplace'))}' on the command line is not {encoding} "
                    f"text, the encoding of this locale; run with a UTF-8 locale (LC_ALL=C.UTF-8) or PYTHONUTF8=1"
                ) from None
            raise UserError(
                f"'{printable(raw.decode('utf-8', 'backslashreplace'))}' on the command line is not UTF-8 text (a name "
                "written in another encoding); rename the file or folder with UTF-8 characters"
            ) from None


def check_config_files(argv: Sequence[str]) -> None:
    """Refuse, in one line each, config files given on the command line that jsonargparse would misread.

    Too large, not UTF-8, or failing :func:`check_config_text`. The files are those jsonargparse reads:
    the value of each ``--config``/``-c`` (also ``--config=PATH``, any number of them, relative to the
    working folder) and of a group option (``--trainer PATH`` ...) that names an existing file. A word
    of the command line that is not text is refused first (:func:`check_text_arguments`).
    """
    check_text_arguments(argv)
    for index, arg in enumerate(argv):
        path = None
        if arg in FILE_OPTIONS and index + 1 < len(argv):
            path = argv[index + 1]
        elif any(arg.startswith(f"{option}=") for option in FILE_OPTIONS if option.startswith("--")):
            path = arg.split("=", 1)[1]
        config = arg.split("=", 1)[0] in ("-c", "--config")
        if path == "-":  # jsonargparse reads standard input, whatever a file of that name holds
            continue
        if config and path is not None and not os.path.exists(path) and looks_like_a_path(path):
            raise UserError(f"{arg.split('=', 1)[0]} {path!r}: no such file{_source_config_hint(path)}")
        kind = _special_file(path) if path is not None and not STANDARD_INPUT.match(path) else None
        # jsonargparse read a named pipe (waiting for a writer for ever), and said "not a file" of the rest
        if kind is not None:
            why = ": reading it waits for a writer, for ever if none comes" if kind.startswith("a named pipe") else ""
            fix = ", or '-' to read it from standard input" if config else ""
            raise UserError(f"{arg.split('=', 1)[0]} {path!r} is {kind}, not a regular file{why}; pass the config "
                            f"file itself{fix}")
        if config and path is not None and os.path.isdir(path):  # jsonargparse: 'Path is not a file', no fix
            inside = os.path.join(path, "config.yaml")
            example = f" (such as {inside!r})" if os.path.isfile(inside) else ""
            raise UserError(f"{arg.split('=', 1)[0]} {path!r} is a folder, not a config file; pass a config file"
                            f"{example}")
        if config and path is not None and not os.path.isfile(path) and not looks_like_a_path(path):
            _check_inline_groups(path, arg.split("=", 1)[0])  # settings written out: '{model: [], ...}'
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
        check_config_text(text, path, arg.split("=", 1)[0] if "=" in arg else arg)



def _file_options(argv: Sequence[str]) -> Iterator[tuple[str, str | None]]:
    """Each word of a command line as an option and the value after it (``--config PATH``, ``--config=PATH``)."""
    for index, arg in enumerate(argv):
        yield tuple(arg.split("=", 1)) if "=" in arg else (arg, argv[index + 1] if index + 1 < len(argv) else None)


def config_setting(argv: Sequence[str], key: str) -> tuple[str, str, Any] | None:
    """The config file of a command line that sets ``key`` (``checkpoint.mode``), for a message that names it.

    The files are those :func:`check_config_files` reads, the last one setting ``key`` winning as in jsonargparse:
    ``--config PATH`` (also under a subcommand's name, and a class's option under ``init_args``) and a group
    option's file (``--checkpoint PATH`` setting ``mode``). Standard input and unreadable files are passed over.

    Returns:
        The option that gave the file (``--config``), its path and the value it sets; ``None`` where no file
        sets ``key``.
    """
    found = None
    for option, path in _file_options(argv):
        if option not in FILE_OPTIONS or path is None or STANDARD_INPUT.match(path) or not os.path.isfile(path):
            continue
        group = "" if option in ("-c", "--config") else option.removeprefix("--")
        if group and not key.startswith(f"{group}."):
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                settings = yaml.load(handle.read(MAX_CONFIG_BYTES), Loader=YAML_LOADER)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        value = _setting(settings, key.removeprefix(f"{group}.") if group else key)
        if value is not _UNSET:
            found = (option, path, value)
    return found


def reads_standard_input(argv: Sequence[str]) -> str | None:
    """The option and path of a command line's config file read from standard input (``--config -``), which
    :func:`config_setting` cannot read again; ``None`` where it gives none."""
    return next((f"{option} {path}" for option, path in _file_options(argv)
                 if option in FILE_OPTIONS and path is not None and STANDARD_INPUT.match(path)), None)


_UNSET = object()


def _setting(settings: Any, key: str) -> Any:
    """The value at the dotted ``key`` in a config file's mapping, taken through ``init_args`` and a subcommand's
    section; :data:`_UNSET` where the file does not set it."""
    if not isinstance(settings, dict):
        return _UNSET
    for section in (settings, *(settings.get(name) for name in ("fit", "validate", "test", "predict"))):
        value = section
        for part in key.split("."):
            if isinstance(value, dict) and part not in value and isinstance(value.get("init_args"), dict):
                value = value["init_args"]
            if not isinstance(value, dict) or part not in value:
                break
            value = value[part]
        else:
            return value
    return _UNSET

# The settings of each file of the source's configs/ that are not blobclf's defaults, as options (its
# log_every_n_steps: 1 is left out: blobclf logs once an epoch). tests/test_mistyped.py checks that these
# options resolve to the file's config.
SOURCE_CONFIGS = {
    "sgd.yaml": "--trainer.accelerator cpu",
    "adam.yaml": "--trainer.accelerator cpu --optimizer Adam --optimizer.lr 0.01",
    "table.yaml": "--trainer.accelerator cpu --data TableDataModule --model.hidden_units 16 --optimizer Adam "
                  "--optimizer.lr 0.01",
}


def source_configs() -> str | None:
    """The ``configs/`` folder of the blobclf source this module runs from (a checkout, or an editable
    ``pip install -e .``), or ``None`` for an installed package, which has none."""
    source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    folder = os.path.join(source, "configs")
    ours = os.path.isfile(os.path.join(source, "pyproject.toml")) and os.path.isfile(os.path.join(folder, "sgd.yaml"))
    return folder if ours else None


def _source_config_hint(path: str) -> str:
    """What a missing ``configs/NAME.yaml`` (the docs' commands run from another folder, or where blobclf was
    installed without its source) is: the source's own file by its full path when blobclf runs from its source
    (an editable install), else the options that train as it does; ``""`` for any other path."""
    parts = os.path.normpath(path).split(os.sep)
    if parts[0] != "configs":
        return ""
    folder = source_configs()
    if folder is not None:
        found = os.path.join(folder, *parts[1:])
        if os.path.isfile(found):
            return f" here; blobclf's source has it: --config {shlex.quote(found)}"
        names = ", ".join(sorted(name for name in os.listdir(folder) if name.endswith((".yaml", ".yml"))))
        return f" here, nor in blobclf's source {folder}{os.sep} ({names})"
    hint = "; configs/ is in blobclf's source (run from its folder), not in an installed package"
    options = SOURCE_CONFIGS.get(parts[-1]) if len(parts) == 2 else None
    if options is not None:
        hint += f": give its settings as options instead, {options} (the others are blobclf's defaults)"
    return hint


def _special_file(path: str) -> str | None:
    """What ``path`` is if it is neither a regular file nor a folder (a named pipe, a device, a socket), else
    ``None``."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"


def looks_like_a_path(value: str) -> bool:
    """Whether a ``--config`` value is a file's path rather than settings written out (``'{trainer: ...}'``)."""
    return "\n" not in value and ": " not in value and not value.lstrip().startswith(("{", "["))


# group options whose file may hold a class name instead of a mapping (--optimizer torch.optim.Adam)
_CLASS_OPTIONS = ("--optimizer", "--lr_scheduler")
_KINDS = {yaml.SequenceNode: "a list", yaml.ScalarNode: "a single value"}


def check_config_text(text: str, path: str, option: str = "--config") -> None:
    """Refuse, in one line naming ``path`` and the line, a config file jsonargparse would misread.

    Checked: YAML syntax (the line and column of the problem), a file that sets nothing, a top
    level that is not a mapping of option names, a key given twice in one mapping (YAML keeps the
    last silently), and aliases that expand to more than :data:`MAX_YAML_NODES` values.
    """
    bom = text.find("\ufeff", 1)
    if bom > 0:  # YAML takes a byte-order mark only at the start: 'did not find expected key' said of the next line
        line = text.count("\n", 0, bom) + 1
        raise UserError(f"{path}:{line}: a byte-order mark (U+FEFF) inside the file (were two files joined?); "
                        "remove it (a UTF-8 BOM belongs only at a file's start)")
    try:
        _check_depth(text, path)
        node = yaml.compose(text, Loader=YAML_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path
        problem = error.problem or error.context or "not valid YAML"
        if error.context and error.problem and error.context.startswith("expected"):
            problem = f"{error.context}, {error.problem}"  # e.g. a second document
        opened = error.context_mark
        if error.context and error.context.startswith("while parsing a flow") and opened is not None:
            bracket = "{" if "mapping" in error.context else "["
            problem += f" (to close the '{bracket}' at line {opened.line + 1}, column {opened.column + 1})"
        lines = text.splitlines()
        if mark is not None and mark.line < len(lines) and lines[mark.line][mark.column:mark.column + 1] == "\t":
            problem = "found a tab character where an indent is expected"
        raise UserError(f"{where}: not valid YAML: {problem}{_yaml_hint(problem)}") from None
    except (yaml.YAMLError, RecursionError) as error:
        problem = " ".join(str(error).split()) or type(error).__name__
        raise UserError(f"{path}: not valid YAML: {problem}") from None
    if node is None:
        raise UserError(f"{path} is empty (it sets nothing); add settings to it, or leave out {option} {path}")
    if not isinstance(node, yaml.MappingNode):
        if option in _CLASS_OPTIONS and isinstance(node, yaml.ScalarNode):
            return  # a class name given in a file
        raise UserError(f"{path}: a config file must map option names to values (found {_KINDS[type(node)]}); "
                        "write 'name: value' lines, e.g. 'trainer: {max_epochs: 10}'")
    python = _python_tag(node)
    if python is not None:  # jsonargparse's loader refuses it too, naming neither the file nor the fix
        tag, mark = python
        raise UserError(f"{path}:{mark.line + 1}:{mark.column + 1}: the tag !!{tag.removeprefix(_YAML_TAG)} asks YAML "
                        "to build a Python object (to run code), which blobclf never does; write the value itself")
    unknown = _unknown_tag(node)
    if unknown is not None:  # jsonargparse: 'Problems parsing config: could not determine a constructor'
        mark = unknown.start_mark
        raise UserError(f"{path}:{mark.line + 1}:{mark.column + 1}: the tag {unknown.tag} is not one of YAML's own "
                        "(blobclf's loader builds plain values only); remove it and write the value itself")
    complex_key = _complex_key(node)
    if complex_key is not None:  # jsonargparse: "Problems parsing config: ... found unhashable key", no file named
        mark = complex_key.start_mark
        raise UserError(f"{path}:{mark.line + 1}:{mark.column + 1}: a key that is {_KINDS_OF_KEYS[type(complex_key)]}; "
                        "a config file's keys are option names: write 'name: value' lines")
    long_number = _long_number(node)
    if long_number is not None:  # a ValueError traceback where YAML converted it
        digits, mark = long_number
        raise UserError(f"{path}:{mark.line + 1}:{mark.column + 1}: a number of {digits} digits, more than Python "
                        f"reads ({sys.get_int_max_str_digits()}); no setting takes one that large: write a smaller one")
    group = _group_not_mapped(node) if option in ("-c", "--config") else None
    if group is not None:  # null, 5 or a list: a traceback (model, checkpoint, prediction), or ignored (trainer)
        mark = group[1].start_mark
        raise UserError(f"{path}:{mark.line + 1}:{mark.column + 1}: {_group_refusal(*group)}")
    duplicate = _first_duplicate_key(node)
    if duplicate is not None:
        key, line = duplicate
        raise UserError(f"{path}:{line}: key {key!r} is given twice; keep one (YAML would silently use the last)")
    loop = alias_loop(text) if "*" in text and "&" in text else None
    if loop is not None:
        raise UserError(f"{path}:{loop[1]}: {ALIAS_LOOP.format(anchor=loop[0])}")
    if "*" in text and "&" in text and expanded_size(node) > MAX_YAML_NODES:
        raise UserError(f"config file {path!r}: its YAML aliases expand to more than {MAX_YAML_NODES:,} "
                        "values; refused (write the values out)")


_YAML_TAG = "tag:yaml.org,2002:"
_GROUP_EXAMPLES = {"model": "hidden_units: 16", "trainer": "max_epochs: 10", "checkpoint": "root: runs",
                   "export": "figures: false", "prediction": "top_k: 2"}
"""The groups of a config file that hold options only (no class name), each with an option to show."""
_SUBCOMMANDS = ("fit", "validate", "test", "predict")


def _group_refusal(key: str, value: yaml.Node) -> str:
    """The refusal of the group ``key`` given ``value`` (:func:`_group_not_mapped`), without where it is."""
    shown = "a list" if isinstance(value, yaml.SequenceNode) else value.value or "null"
    return (f"'{key}' is {shown}, but it holds the {key} options: write them under it "
            f"('{key}: {{{_GROUP_EXAMPLES[key]}}}'), or leave it out")


def _check_inline_groups(text: str, option: str) -> None:
    """Refuse settings written out on the command line (``--config '{model: []}'``) that give a group of options no
    mapping; YAML that does not compose is left to jsonargparse's own message."""
    try:
        node = yaml.compose(text, Loader=YAML_LOADER)
    except (yaml.YAMLError, RecursionError):
        return
    group = _group_not_mapped(node) if isinstance(node, yaml.MappingNode) else None
    if group is not None:
        raise UserError(f"{option} {printable(text[:200])!r}: {_group_refusal(*group)}")


def _group_not_mapped(node: yaml.MappingNode) -> tuple[str, yaml.Node] | None:
    """The first of :data:`_GROUP_EXAMPLES` whose value is not a mapping: a list, a number, a boolean or null (text
    is left to the parser, which names ``model: BlobClassifier`` as a class given where options are), also in a
    subcommand's section (``fit: {model: []}``, a config given before the subcommand)."""
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value in _SUBCOMMANDS and isinstance(value, yaml.MappingNode):
            found = _group_not_mapped(value)
            if found is not None:
                return found
        if not isinstance(key, yaml.ScalarNode) or key.value not in _GROUP_EXAMPLES:
            continue
        not_text = isinstance(value, yaml.ScalarNode) and value.tag != _YAML_TAG + "str"
        if isinstance(value, yaml.SequenceNode) or not_text:
            return key.value, value
    return None


def _nodes(node: yaml.Node) -> Iterator[yaml.Node]:
    """The nodes of a composed document in order, each once, read without recursion."""
    pending, seen = [node], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, yaml.MappingNode):
            pending.extend(part for pair in reversed(current.value) for part in reversed(pair))
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(reversed(current.value))


def _python_tag(node: yaml.Node) -> tuple[str, Any] | None:
    """The first ``!!python/...`` tag in a composed document and where it is."""
    return next(((current.tag, current.start_mark) for current in _nodes(node)
                 if str(current.tag).startswith(_YAML_TAG + "python/")), None)


def _unknown_tag(node: yaml.Node) -> yaml.Node | None:
    """The first node of a composed document whose tag (``!custom``) is not YAML's own (``tag:yaml.org,2002:``)."""
    return next((current for current in _nodes(node) if not str(current.tag).startswith(_YAML_TAG)), None)


_KINDS_OF_KEYS = {yaml.SequenceNode: "a list", yaml.MappingNode: "a mapping"}


def _complex_key(node: yaml.Node) -> yaml.Node | None:
    """The first key of a mapping in a composed document that is a list or a mapping (YAML's ``? [a, b]``)."""
    return next((key for current in _nodes(node) if isinstance(current, yaml.MappingNode)
                 for key, _ in current.value if not isinstance(key, yaml.ScalarNode)), None)


def too_many_digits(text: str) -> int:
    """The digits of ``text`` if it is a whole number longer than Python converts (``sys.get_int_max_str_digits()``,
    4300 by default), else 0."""
    digits = text.strip().lstrip("+-").replace("_", "")
    limit = sys.get_int_max_str_digits()
    return len(digits) if limit and len(digits) > limit and digits.isdigit() else 0


def _long_number(node: yaml.Node) -> tuple[int, Any] | None:
    """The first whole number in a composed document too long for Python to read, with its place."""
    return next(((too_many_digits(current.value), current.start_mark) for current in _nodes(node)
                 if current.tag == _YAML_TAG + "int" and too_many_digits(current.value)), None)


MAX_YAML_DEPTH = 500
"""Most nested flow (``[`` / ``{``) or block levels a config may have (a blobclf config has a
handful). Checked by blobclf whatever PyYAML is installed: older ones recurse without a bound,
newer ones stop at 1000."""


def _check_depth(text: str, path: str) -> None:
    """Refuse YAML nested deeper than :data:`MAX_YAML_DEPTH`, from its tokens (read without recursion)."""
    brackets = text.count("[") + text.count("{")
    if brackets <= MAX_YAML_DEPTH and all(len(line) - len(line.lstrip()) <= MAX_YAML_DEPTH
                                          for line in text.splitlines()):
        return  # too few brackets and indents to nest that deep: spare the slow scan
    flow = block = 0
    for token in yaml.scan(text, Loader=yaml.SafeLoader):  # the Python scanner: the same marks everywhere
        kind = type(token)
        if kind in (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken):
            flow += 1
        elif kind in (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken):
            flow -= 1
        elif kind in (yaml.BlockSequenceStartToken, yaml.BlockMappingStartToken):
            block += 1
        elif kind is yaml.BlockEndToken:
            block -= 1
        if flow > MAX_YAML_DEPTH or block > MAX_YAML_DEPTH:
            mark = token.start_mark
            raise UserError(f"{path}:{mark.line + 1}:{mark.column + 1}: not valid YAML: exceeded maximum nesting "
                            "depth; nest fewer levels")


def _yaml_hint(problem: str) -> str:
    if "tab" in problem:
        return "; indent with spaces"
    if "nesting depth" in problem:
        return "; nest fewer levels"
    return ""


def _first_duplicate_key(root: yaml.Node) -> tuple[str, int] | None:
    """The first key given twice in one mapping anywhere under ``root`` (and its 1-based line)."""
    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue  # an alias: checked once
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[tuple[str, str]] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if (key.tag, key.value) in keys:
                        return key.value, key.start_mark.line + 1
                    keys.add((key.tag, key.value))
                pending.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return None
