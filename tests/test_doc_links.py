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
