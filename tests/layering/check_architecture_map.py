#!/usr/bin/env python3
"""Checks that the module picture in docs/architecture.md is the one the build draws from the
modules' declarations (modules.mmd, written by the configure step), so the page cannot drift
from the code. On a difference it prints both and how to bring the page up to date."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

BLOCK = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", required=True, type=Path, help="docs/architecture.md")
    parser.add_argument("--drawn", required=True, type=Path, help="modules.mmd from the build folder")
    arguments = parser.parse_args(argv)
    blocks = BLOCK.findall(arguments.page.read_text(encoding="utf-8"))
    drawn = arguments.drawn.read_text(encoding="utf-8")
    if len(blocks) != 1:
        print(f"{arguments.page}: expected one mermaid block (the module map), found {len(blocks)}")
        return 1
    if blocks[0] != drawn:
        print(f"{arguments.page}: the module map differs from the modules' declarations.")
        print(f"Replace the mermaid block with the contents of {arguments.drawn}:\n")
        print(drawn)
        return 1
    print("architecture.map: docs/architecture.md shows the modules as declared")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
