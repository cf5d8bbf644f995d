"""The README is short, and every command and snippet in it runs as written."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.S)
SETUP = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu && "


def test_the_readme_reads_in_five_minutes():
    assert len(README.splitlines()) <= 150


def test_the_setup_commands_install_the_cpu_build_first_and_ci_runs_the_test_command():
    commands = [code.strip() for lang, code in BLOCKS if lang == "bash" and "pip install" in code]
    assert commands == [
        SETUP + "pip install -e . && python -m blobclf fit --config configs/sgd.yaml",
        SETUP + "pip install -e '.[dev]' && python -m pytest -n auto --dist loadfile",
    ]
    assert commands[1] in (REPO / ".ci" / "run").read_text()


@pytest.mark.slow
def test_every_command_and_snippet_runs_as_written(tmp_path):
    for folder in ("configs", "examples"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    ran = 0
    for lang, code in BLOCKS:
        if lang == "bash":
            for line in code.strip().splitlines():
                command = line.split(" && ")[-1] if "pip install" in line else line
                if command.startswith(("tensorboard", "python -m pytest")):
                    continue  # a server, and this very suite: not run here
                args = command.split()
                assert args[0] == "python", command
                done = subprocess.run([sys.executable, *args[1:]], cwd=tmp_path, capture_output=True, text=True,
                                      timeout=600, stdin=subprocess.DEVNULL, check=False)
                assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
                ran += 1
        elif lang == "python":
            done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                                  timeout=600, check=False)
            assert done.returncode == 0, (code, done.stderr[-3000:])
            ran += 1
    assert ran >= 10


def test_each_module_a_snippet_imports_is_installed_by_the_quick_start_or_named_with_its_pip_install():
    dependencies = re.search(r"^dependencies = \[(.*?)^\]", (REPO / "pyproject.toml").read_text(), re.S | re.M)
    installed = {name.lower().replace("-", "_") for name in re.findall(r'^\s*"([\w-]+)', dependencies.group(1), re.M)}
    installed.add("blobclf")
    missing = []
    for lang, code in BLOCKS:
        if lang != "python":
            continue
        for line in code.splitlines():
            found = re.match(r"(?:import|from) (\w+)", line)
            if found and found.group(1) not in installed and f"pip install {found.group(1)}" not in line:
                missing.append(line)
    assert missing == []
