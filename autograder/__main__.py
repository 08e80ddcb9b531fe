"""Command line of the kit's instructor tools: ``python -m autograder <command>``."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="regenerate assignment/ (student stubs) from solution/")
    generate.add_argument("--check", action="store_true", help="only report files that are out of date")
    args = parser.parse_args(argv)

    if args.command == "generate":
        from autograder import generate as gen

        if args.check:
            stale = gen.differences()
            for name in stale:
                print(f"out of date: assignment/{name}")
            return 1 if stale else 0
        for name in gen.write():
            print(f"wrote assignment/{name}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
