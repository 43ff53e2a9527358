"""The `anchor` command: a thin Typer app over the library.

Every command module under ``anchor.cli`` exposes ``register(app)``; this module
collects them, runs Click in non-standalone mode and owns the exit-code contract:

* an :class:`~anchor.errors.AnchorError` prints one line and exits with its code;
* a usage error (bad flag, missing argument) exits 4, never Click's default 2,
  because 2 means ``unverifiable`` here;
* input so deeply nested or so large that Python gives up (``RecursionError``,
  ``MemoryError``) is bad input, not a bug: one line, exit 4 (a last line of defence
  behind the readers' own limits);
* anything unexpected is a bug: one line, exit 70, traceback only with ``--verbose``.

Every error line has its control characters escaped (:func:`anchor.text.one_line`), so a
file name can never forge a line. With ``--json`` anywhere before ``--``, every failure
(exit 4, 5, 70, 130) also prints ``{"error": {"code", "message", "exitCode"}}`` on stdout,
so a script can parse every outcome.
"""

from __future__ import annotations

import gc
import importlib
import json
import sys
import traceback
from dataclasses import dataclass, replace
from typing import Annotated

import click
import typer

from anchor import __version__
from anchor.errors import EXIT_INPUT, AnchorError
from anchor.label309 import standard
from anchor.text import one_line

EXIT_INTERNAL = 70

# Command modules, in the order `anchor --help` lists them.
COMMAND_MODULES = (
    "collect",
    "publish",
    "verify",
    "keys",
    "devnet",
    "record",
    "merkle",
    "attest",
    "verify-attestation",
    "trust-root",
    "spool",
    "report",
)

# Commands that exit 0 or 1 only, as KiCI's verify-attestation does (ADR 0030): any
# refusal, unverifiable trust root included, exits 1. Interrupts (130) and bugs (70) stay.
ZERO_ONE_COMMANDS = frozenset({"verify-attestation"})

app = typer.Typer(
    name="anchor",
    help="Anchor a release's evidence on Cardano (Label 309) and verify it offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # 100 columns: `verify-attestation` widens the command column, and every command's
    # short help must still fit on its one line of `anchor --help`.
    context_settings={"help_option_names": ["-h", "--help"], "terminal_width": 100},
)

# One line each for `anchor --help`.
SHORT_HELP = {
    "collect": "Hash and classify release files into an evidence bundle.",
    "publish": "Anchor a bundle's Merkle root as a signed Label 309 record.",
    "verify": "Prove files were anchored: record, signature, proofs, depth.",
    "keys": "Create and show the identity seed and payment key.",
    "devnet": "Run a local Cardano devnet (Blockfrost API, 127.0.0.1).",
    "record": "Validate and inspect raw Label 309 records.",
    "merkle": "rfc9162-sha256 roots, inclusion proofs, leaves-lists.",
    "attest": "Sign SLSA build provenance with the CI's OIDC identity.",
    "verify-attestation": "Verify a provenance bundle against a trusted issuer.",
    "trust-root": "Snapshot an OIDC issuer's keys for offline verification.",
    "spool": "Cadence publishing: one anchor per window, exactly once.",
    "report": "Write an HTML page of attestations with in-browser badges.",
}

_state = {"verbose": False, "json": False}


def version_doc() -> dict[str, object]:
    """What ``anchor --version --json`` prints: this package and the standard it conforms to."""
    return {
        "name": "evidence-anchor",
        "version": __version__,
        "standard": {
            "name": standard.STANDARD_NAME,
            "repository": standard.STANDARD_REPOSITORY,
            "commit": standard.STANDARD_COMMIT,
            "commitDate": standard.STANDARD_COMMIT_DATE,
            "profile": standard.PROFILE,
        },
    }


def version_text() -> str:
    """What ``anchor --version`` prints: two lines, the package and the standard."""
    return (
        f"anchor {__version__}\n"
        f"conforms to {standard.STANDARD_NAME} {standard.STANDARD_REPOSITORY} at commit "
        f"{standard.STANDARD_COMMIT} ({standard.STANDARD_COMMIT_DATE}), profile {standard.PROFILE}"
    )


def _version_callback(value: bool) -> None:
    if value:
        if _state["json"]:
            typer.echo(json.dumps(version_doc(), separators=(",", ":")))
        else:
            typer.echo(version_text())
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version, and the Label 309 commit and profile it conforms to.",
        ),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show tracebacks and debug detail.")
    ] = False,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json", help="With --version: print it as JSON. Other commands take it themselves."
        ),
    ] = False,
) -> None:
    """Anchor a release's evidence on Cardano (Label 309) and verify it offline."""
    _state["verbose"] = verbose
    if json_out:
        raise click.UsageError(
            "--json before the command name goes only with --version; "
            "put it after the command (anchor <command> --json)"
        )


# Lazy registration: `anchor <command> ...` imports and builds only that command's module,
# which keeps start-up short for the commands where it shows (collect, verify). Anything
# else (no command, --help, an unknown name) registers every module, so the listing and
# Click's "No such command" stay complete. Registration is cached per module and the app's
# command list is rebuilt in COMMAND_MODULES order, so the help order never depends on
# which command ran first in this process.
_Registered = tuple[list[typer.models.CommandInfo], list[typer.models.TyperInfo]]
_registered: dict[str, _Registered] = {}


def _wanted(args: list[str]) -> tuple[str, ...]:
    """The command modules ``args`` needs: the named command's, or all of them."""
    for arg in args:
        if arg == "--":
            break
        if not arg.startswith("-"):  # the root options are flags: this is the command
            return (arg,) if arg in COMMAND_MODULES else COMMAND_MODULES
    return COMMAND_MODULES


def _register(names: tuple[str, ...] = COMMAND_MODULES) -> None:
    """Make sure the command modules ``names`` are registered on ``app``."""
    for name in names:
        if name not in _registered:
            _registered[name] = _load(name)
    app.registered_commands = [c for n in COMMAND_MODULES for c in _registered.get(n, ([], []))[0]]
    app.registered_groups = [g for n in COMMAND_MODULES for g in _registered.get(n, ([], []))[1]]


def _load(name: str) -> _Registered:
    try:
        module = importlib.import_module(f"anchor.cli.{name.replace('-', '_')}")
    except ModuleNotFoundError as exc:
        if exc.name == f"anchor.cli.{name.replace('-', '_')}":
            return [], []
        raise
    scratch = typer.Typer()
    module.register(scratch)
    for command in scratch.registered_commands:
        cname = command.name or (command.callback.__name__ if command.callback else "")
        if cname in SHORT_HELP:
            command.short_help = SHORT_HELP[cname]
    for group in scratch.registered_groups:
        if group.name in SHORT_HELP:
            group.short_help = SHORT_HELP[group.name]
    return scratch.registered_commands, scratch.registered_groups


def _err(line: str) -> None:
    click.echo(one_line(line), err=True)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _wants_json(args: list[str]) -> bool:
    """True when ``--json`` is among the options (before a ``--``)."""
    for arg in args:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def error_code(exc: BaseException) -> str:
    """The ``code`` of the ``--json`` error object: the error's registry or construction
    code when it has one, else its class name in kebab case (``output-conflict-error``)."""
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code:
        return code
    name = type(exc).__name__
    return "".join("-" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _diagnostics(exc: AnchorError) -> str:
    text = one_line(exc.message)
    if exc.hint:
        text += f" ({one_line(exc.hint)})"
    return text


@dataclass(frozen=True)
class _Failure:
    """One failure to report: its stderr line, its ``--json`` code and message, its exit."""

    line: str
    code: str
    message: str
    exit_code: int

    def report(self, json_mode: bool) -> int:
        _err(self.line)
        if json_mode:
            doc = {
                "error": {"code": self.code, "message": self.message, "exitCode": self.exit_code}
            }
            click.echo(json.dumps(doc, separators=(",", ":"), ensure_ascii=False))
        return self.exit_code


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    _state["verbose"] = "--verbose" in args or "-v" in args
    _state["json"] = _wants_json(args)
    wanted = _wanted(args)
    outcome = _run(args, wanted)
    zero_one = len(wanted) == 1 and wanted[0] in ZERO_ONE_COMMANDS
    if isinstance(outcome, _Failure):
        if zero_one and outcome.exit_code not in _ZERO_ONE_KEPT:
            outcome = replace(outcome, exit_code=1)
        return outcome.report(_wants_json(args))
    return 1 if zero_one and outcome not in _ZERO_ONE_KEPT else outcome


# Exits a 0/1 command (KiCI's convention, ADR) keeps: internal errors and interrupts.
_ZERO_ONE_KEPT = (0, 1, EXIT_INTERNAL, 130)


def _run(args: list[str], wanted: tuple[str, ...]) -> int | _Failure:
    _register(wanted)
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="anchor", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        # Click >= 8.2 raises this after printing help for a bare group.
        _ = exc
        return 0
    except click.UsageError as exc:
        hint = ""
        if exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        message = _one_line(exc.format_message())
        return _Failure(
            f"error: {message}{hint}", code="usage-error", message=message, exit_code=EXIT_INPUT
        )
    except click.exceptions.Abort:
        return _Failure("error: aborted", code="aborted", message="aborted", exit_code=130)
    except AnchorError as exc:
        if _state["verbose"]:
            traceback.print_exc()
        message = _diagnostics(exc)
        return _Failure(
            f"error: {message}", code=error_code(exc), message=message, exit_code=exc.exit_code
        )
    except click.ClickException as exc:
        message = _one_line(exc.format_message())
        return _Failure(
            f"error: {message}", code="usage-error", message=message, exit_code=EXIT_INPUT
        )
    except KeyboardInterrupt:
        return _Failure(
            "error: interrupted", code="interrupted", message="interrupted", exit_code=130
        )
    except BrokenPipeError:
        return 0
    except (RecursionError, MemoryError) as exc:
        # A reader that trusted its input's shape: the input is what is wrong (exit 4).
        if _state["verbose"]:
            traceback.print_exc()
        what = "nested too deeply" if isinstance(exc, RecursionError) else "too large to read"
        message = f"an input file is {what} ({type(exc).__name__})"
        return _Failure(
            f"error: {message}", code=error_code(exc), message=message, exit_code=EXIT_INPUT
        )
    except Exception as exc:
        if _state["verbose"]:
            traceback.print_exc()
        message = f"{type(exc).__name__}: {exc}"
        return _Failure(
            f"internal error: {message} (a bug in anchor; rerun with --verbose and report it)",
            code="internal-error",
            message=message,
            exit_code=EXIT_INTERNAL,
        )
    if isinstance(result, int):
        return result
    return 0


def entry() -> None:
    """Console-script entry point."""
    code = main()
    # Nothing needs collecting at exit: freezing the heap saves the final GC passes
    # (about 15 ms on every command, which matters for `anchor verify` start-up).
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
