"""The `anchor` command: a thin Typer app over the library.

Every command module under ``anchor.cli`` exposes ``register(app)``; this module
collects them, runs Click in non-standalone mode and owns the exit-code contract:

* an :class:`~anchor.errors.AnchorError` prints one line and exits with its code;
* a usage error (bad flag, missing argument) exits 4, never Click's default 2,
  because 2 means ``unverifiable`` here;
* anything unexpected is a bug: one line, exit 70, traceback only with ``--verbose``.
"""

from __future__ import annotations

import gc
import importlib
import sys
import traceback
from typing import Annotated

import click
import typer

from anchor import __version__
from anchor.errors import EXIT_INPUT, AnchorError

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
    "spool",
)

app = typer.Typer(
    name="anchor",
    help="Anchor a release's evidence on Cardano (Label 309) and verify it offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
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
    "spool": "Cadence publishing: one anchor per window, exactly once.",
}

_state = {"verbose": False}


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"anchor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show tracebacks and debug detail.")
    ] = False,
) -> None:
    """Anchor a release's evidence on Cardano (Label 309) and verify it offline."""
    _state["verbose"] = verbose


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
        module = importlib.import_module(f"anchor.cli.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"anchor.cli.{name}":
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
    click.echo(line, err=True)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    _state["verbose"] = "--verbose" in args or "-v" in args
    _register(_wanted(args))
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
        _err(f"error: {_one_line(exc.format_message())}{hint}")
        return EXIT_INPUT
    except click.exceptions.Abort:
        _err("error: aborted")
        return 130
    except AnchorError as exc:
        if _state["verbose"]:
            traceback.print_exc()
        _err(f"error: {exc.diagnostics()}")
        return exc.exit_code
    except click.ClickException as exc:
        _err(f"error: {_one_line(exc.format_message())}")
        return EXIT_INPUT
    except KeyboardInterrupt:
        _err("error: interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if _state["verbose"]:
            traceback.print_exc()
        _err(
            f"internal error: {type(exc).__name__}: {exc} "
            "(a bug in anchor; rerun with --verbose and report it)"
        )
        return EXIT_INTERNAL
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
