"""``chaingrad``: the command line. Each sub-command lives in its own module and registers
itself through ``add_parser(subparsers)``; bad input ends with one clear line and status 2."""
from __future__ import annotations

import argparse
import importlib
import sys

# sub-command name -> module under chaingrad.cli (each has add_parser() and run(args))
COMMANDS = {
    "version": "version",
    "train": "train",
    "evaluate": "evaluate",
    "predict": "predict",
    "convert-torch": "convert",
    "vanishing": "vanishing",
    "descent": "descent",
    "bench": "bench",
}


class CLIError(Exception):
    """A user error: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chaingrad",
        description="chaingrad: back-propagation made real and visible.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        try:
            mod = importlib.import_module(f"chaingrad.cli.{module}")
        except ImportError:
            continue
        mod.add_parser(sub, name)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except CLIError as exc:
        print(f"chaingrad {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"chaingrad {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
