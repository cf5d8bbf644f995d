"""Every relative link and image in the Markdown documentation points at a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO

LINK = re.compile(r"\]\(([^)\s]+)\)")


def broken_links(markdown: Path) -> list[str]:
    """The relative link targets in ``markdown`` that do not exist, resolved from its own folder.

    Args:
        markdown: A Markdown file; links to web addresses and to anchors in the same file are skipped.
    """
    broken = []
    for target in LINK.findall(markdown.read_text(encoding="utf-8")):
        path = target.split("#", 1)[0]
        if path and "://" not in path and not (markdown.parent / path).exists():
            broken.append(path)
    return broken


def test_every_relative_link_and_image_in_the_docs_resolves():
    documents = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "benchmarks").glob("*.md"))]
    broken = {str(doc.relative_to(REPO)): links for doc in documents if (links := broken_links(doc))}
    assert broken == {}


def test_the_layout_names_every_module_of_the_package():
    layout = (REPO / "docs" / "layout.md").read_text(encoding="utf-8")
    modules = sorted(path.name for path in (REPO / "blobclf").glob("*.py") if path.name != "__init__.py")
    assert [name for name in modules if f"\n  {name} " not in layout] == []
