"""``python -m anchor.ci {github|gitlab} {collect|publish|verify|summary} [--verbose]``.

The exit-code contract of ``anchor`` (docs/exit-codes.md): a refusal of this module's own
(an empty ``ANCHOR_PATHS``, a missing secret, a setting that cannot be meant, no
``$GITHUB_OUTPUT``) prints one ``error:`` line on stderr and exits 4; a command that
fails passes on its own code (1-3 verify verdicts, 4 input, 5 environment); an OS error
writing the outputs is 5; a bug is one line and 70 (``--verbose``: the traceback). Usage
errors exit 4, not argparse's 2 (2 means ``unverifiable``).

The summary stage never fails for settings it cannot read: it says so in the summary.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from typing import NoReturn

from anchor.ci.platform import Platform, platform_for
from anchor.ci.settings import read_settings
from anchor.ci.stages import STAGES, Job
from anchor.ci.summary import Facts, render
from anchor.errors import EXIT_ENVIRONMENT, EXIT_INPUT, AnchorError, InputError
from anchor.text import one_line

EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
SYSTEMS = ("github", "gitlab")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise InputError(f"python -m anchor.ci: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m anchor.ci",
        description="One stage of the evidence-anchor CI integration (action.yml, "
        "templates/anchor.gitlab-ci.yml). Settings come from ANCHOR_* variables.",
    )
    parser.add_argument("system", choices=SYSTEMS)
    parser.add_argument("stage", choices=tuple(STAGES))
    parser.add_argument("--verbose", action="store_true", help="tracebacks for internal errors")
    return parser


def _error(line: str) -> None:
    print(f"error: {one_line(line)}", file=sys.stderr, flush=True)


def _summary_of_problem(platform: Platform, problem: AnchorError) -> int:
    """The summary stage when the settings cannot be read: say so there, exit 0."""
    facts = Facts(network="", bundle="", publish=False, problem=problem.diagnostics())
    platform.write_summary(render(facts))
    return 0


def run(argv: list[str]) -> int:
    """Parse ``argv`` and run the stage; raises what the stage raises."""
    args = _parser().parse_args(argv)
    env = dict(os.environ)
    platform = platform_for(args.system, env)
    try:
        settings = read_settings(env)
    except AnchorError as exc:
        if args.stage == "summary":
            return _summary_of_problem(platform, exc)
        raise
    return STAGES[args.stage](Job(platform, settings, env))


def main(argv: list[str] | None = None) -> int:
    """Run with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        return run(args)
    except AnchorError as exc:
        _error(exc.diagnostics())
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        _error(f"cannot write or read{where}: {exc.strerror or type(exc).__name__}")
        return EXIT_ENVIRONMENT
    except Exception as exc:
        if "--verbose" in args:
            traceback.print_exc()
        _error(f"internal error (a bug in anchor): {type(exc).__name__}; rerun with --verbose")
        return EXIT_INTERNAL


__all__ = ["EXIT_INPUT", "main", "run"]
