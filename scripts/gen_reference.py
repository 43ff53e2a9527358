"""Write docs/reference/*.md from the `anchor` command tree, so the reference cannot drift
from `--help`: `make reference` (or `python scripts/gen_reference.py [OUT_DIR]`).

Each page is one top-level command with its subcommands: the exact `--help` text (Click's
own formatter, 100 columns as the app sets), a table of every parameter read from the
Click objects (flags, type, default, environment variable, required, repeatable), the exit
codes and what `--json` prints. tests/docs/test_reference.py regenerates into a temporary
folder and fails when a committed page differs from what the app says now.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import typer

# What each command's `--json` prints (stdout; diagnostics stay on stderr). Every command
# that has `--json` must be listed: the generator refuses to write a page otherwise.
JSON_OUTPUT = {
    "anchor collect": "one object: `output`, `status`, `items`, `leaf_count`, `root` (hex), "
    "`bytes`, `warnings[]` (`{name, warning}`). The bundle itself is described in "
    "[the bundle format](../bundle.md) and [the manifest schema](../manifest.schema.json).",
    "anchor publish": "the receipt, the same object as the bundle's `anchor.json` "
    "([files added by publish](../bundle.md#files-added-by-publish)); with `--dry-run`, "
    "`dry_run`, `network`, `record_hex`, `record_size`, `signed`, `tx_id`, `tx_size`, `fee`, "
    "`min_fee`, `fee_minus_min`, `ttl`, `address`, `inputs[]`, `merkle_root`, `leaf_count`.",
    "anchor verify": "the verify report: the Label 309 standard's "
    "`schemas/verify-report.schema.json` fields plus ours ([the report](../verify.md#the-report-json), "
    "[codes of our own](../exit-codes.md#anchor-verify-codes-of-our-own)).",
    "anchor keys new": "`identity_seed_file`, `payment_skey_file`, `payment_vkey_file`, "
    "`identity_public_key`, `payment_key_hash` (public values and paths only, never a secret).",
    "anchor keys show": "`network`, `identity_public_key`, `payment_verification_key`, "
    "`payment_key_hash`, `payment_address`.",
    "anchor devnet": "one line once listening: `url`, `port`, `restored`, `height`, `state`, "
    "`funded[]` (`{address, lovelace}`).",
    "anchor record validate": "one object per file: `file`, `valid`, `issues[]` "
    "(`{code, severity, path, message}`, in the standard's order).",
    "anchor record inspect": "`file`, (`tx_hash` for a transaction), `size`, `valid`, `issues[]`, "
    "`extension_keys[]`, and the decoded record: `v`, `items[]`, `merkle[]`, `supersedes`, "
    "`crit`, `extensions[]`, `sigs[]`.",
    "anchor merkle root": "`root`, `leaf_count`, `tree_alg`.",
    "anchor merkle proof": "`index`, `tree_size`, `root`, `proof[]` (hex nodes).",
    "anchor merkle verify": "`valid`, `index`, `tree_size`, `root`, `reason` (null when valid).",
    "anchor merkle build": "`output`, `leaf_count`, `root`.",
    "anchor attest": "the result as one compact line (without `--json`, the same object "
    "indented): see [attest](../attest.md).",
    "anchor verify-attestation": "the result object ([verify](../attest.md#verify)); an error "
    "object states the exit it really has (1).",
    "anchor spool init": "the spool's settings as created or found.",
    "anchor spool add": "one object per item: `item_id`, `window`, `state`, `duplicate`.",
    "anchor spool publish": "`spool`, `changes[]`, `windows[]` (one status row per window).",
    "anchor spool seal": "the status row of the sealed window.",
    "anchor spool status": "`spool`, `network`, `windows[]` (`window`, `state`, `items`, "
    "`tx_hash`, `depth`, …).",
    "anchor spool proof": "the item's proof information; exit 3 while it is not anchored.",
    "anchor spool export": "`window`, `state`, `bundle`.",
}

# Exit codes beyond the common ones (0 success, 4 bad input, 5 environment, 70 bug,
# 130 interrupted; see docs/exit-codes.md).
EXIT_CODES = {
    "anchor verify": "0 `valid`, 1 `failed`, 2 `unverifiable`, 3 `pending`, 4 bad input.",
    "anchor verify-attestation": "0 verified, 1 every other outcome, bad input included "
    "([ADR 0030](../adr/0030-verify-attestation-exit-codes.md)).",
    "anchor record validate": "0 every record valid, 1 a record is invalid, 4 unreadable input.",
    "anchor merkle verify": "0 the proof holds, 1 it does not, 4 bad input.",
    "anchor spool proof": "0 anchored, 3 not anchored yet, 4 bad input, 5 store unavailable.",
    "anchor publish": "0 confirmed (or a dry run), 4 bad input, 5 funds, provider or lock "
    "([exit codes](../publish.md#exit-codes)).",
}
COMMON_EXITS = (
    "0 success, 4 usage or input error, 5 environment (funds, provider, lock), 70 a bug, "
    "130 interrupted: see [exit codes](../exit-codes.md)."
)


def command_tree() -> click.Group:
    """The whole `anchor` Click group, every command module registered."""
    from anchor.cli import main

    main._register()
    group = typer.main.get_command(main.app)
    assert isinstance(group, click.Group)
    return group


def _ctx(cmd: click.Command, path: list[str], parent: click.Context | None) -> click.Context:
    settings = {**cmd.context_settings, "terminal_width": 100}
    return click.Context(cmd, info_name=path[-1], parent=parent, **settings)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _default(param: click.Parameter, ctx: click.Context) -> str:
    show = getattr(param, "show_default", None)
    if isinstance(show, str):
        return show
    value = param.get_default(ctx, call=False)
    if value is None or value == () or value is False or callable(value):
        return ""
    return str(value)


def _param_rows(cmd: click.Command, ctx: click.Context) -> list[str]:
    rows = ["| parameter | type | default | env | required | repeatable | help |",
            "| --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for param in cmd.get_params(ctx):
        if getattr(param, "hidden", False) or param.name == "help":
            continue
        if isinstance(param, click.Option):
            names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
            help_text = param.help or ""
            kind = "flag" if param.is_flag else param.make_metavar(ctx)
        else:
            names = f"`{param.make_metavar(ctx)}`"
            help_text = getattr(param, "help", None) or ""
            kind = "argument"
        env = param.envvar if isinstance(param.envvar, str) else ", ".join(param.envvar or [])
        multiple = param.multiple or (param.nargs == -1)
        rows.append(
            f"| {names} | {_cell(kind)} | {_cell(_default(param, ctx))} | "
            f"{f'`{env}`' if env else ''} | {'yes' if param.required else ''} | "
            f"{'yes' if multiple else ''} | {_cell(help_text)} |"
        )
    return rows


def _section(cmd: click.Command, path: list[str], parent: click.Context | None) -> list[str]:
    ctx = _ctx(cmd, path, parent)
    name = " ".join(path)
    anchor_id = "-".join(path)
    lines = [f"## `{name}` {{#{anchor_id}}}", "", "```text", ctx.get_help().rstrip(), "```", ""]
    if isinstance(cmd, click.Group):
        lines += ["Subcommands: " + ", ".join(
            f"[`{name} {sub}`](#{anchor_id}-{sub})" for sub in cmd.list_commands(ctx)
        ) + ".", ""]  # fmt: skip
        for sub in cmd.list_commands(ctx):
            child = cmd.get_command(ctx, sub)
            assert child is not None
            lines += _section(child, [*path, sub], ctx)
        return lines
    lines += ["**Parameters**", "", *_param_rows(cmd, ctx), ""]
    lines += [f"**Exit codes**: {EXIT_CODES.get(name, COMMON_EXITS)}", ""]
    has_json = any("--json" in getattr(p, "opts", ()) for p in cmd.params)
    if has_json:
        if name not in JSON_OUTPUT:
            raise SystemExit(f"error: {name} has --json but JSON_OUTPUT does not describe it")
        lines += [f"**JSON output** (`--json`, on stdout): {JSON_OUTPUT[name]}", ""]
    return lines


def pages() -> dict[str, str]:
    """Every reference page, by file name, as the app describes itself now."""
    from anchor.cli.main import COMMAND_MODULES, SHORT_HELP

    root = command_tree()
    rctx = _ctx(root, ["anchor"], None)
    out: dict[str, str] = {}
    index = [
        "# Command reference",
        "",
        "Generated from the command tree by `make reference` (`scripts/gen_reference.py`); a "
        "test fails when a page differs from `--help`, so edit the command, not these pages.",
        "",
        "```text",
        rctx.get_help().rstrip(),
        "```",
        "",
        "| command | what it does |",
        "| --- | --- |",
    ]
    for name in COMMAND_MODULES:
        cmd = root.get_command(rctx, name)
        assert cmd is not None, name
        index.append(f"| [`anchor {name}`]({name}.md) | {SHORT_HELP[name]} |")
        body = _section(cmd, ["anchor", name], rctx)
        body[0] = f"# `anchor {name}`"
        out[f"{name}.md"] = "\n".join(body).rstrip() + "\n"
    index += [
        "",
        "Every command exits with the codes in [exit codes](../exit-codes.md). Formats: "
        "[the evidence bundle](../bundle.md), [the manifest schema](../manifest.schema.json), "
        "[proof files](../proof-file.md). Decisions: [the ADRs](../adr/0001-strict-cbor-on-top-of-cbor2.md).",
    ]
    out["index.md"] = "\n".join(index) + "\n"
    return out


def write(folder: Path) -> list[Path]:
    """Write every page into ``folder`` (created); returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in pages().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/reference")
    for p in write(target):
        print(p)
