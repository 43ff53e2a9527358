"""docs/reference/ is generated from the command tree (scripts/gen_reference.py, `make
reference`): regenerating it must give the committed pages byte for byte, so `--help` and the
reference cannot drift, and the help shown there is what `anchor … --help` prints."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from tests.conftest import REPO, CliResult

COMMITTED = REPO / "docs" / "reference"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_reference", REPO / "scripts" / "gen_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regenerated_reference_equals_the_committed_pages(tmp_path: Path) -> None:
    written = _generator().write(tmp_path / "reference")
    fresh = {p.name: p.read_bytes() for p in written}
    committed = {p.name: p.read_bytes() for p in COMMITTED.glob("*.md")}
    assert sorted(fresh) == sorted(committed), "run `make reference` and commit docs/reference/"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], f"stale pages {stale}: run `make reference` and commit docs/reference/"


def test_every_command_has_a_page_listed_in_the_index() -> None:
    from anchor.cli.main import COMMAND_MODULES

    index = (COMMITTED / "index.md").read_text(encoding="utf-8")
    assert [n for n in COMMAND_MODULES if f"]({n}.md)" not in index] == []
    assert sorted(p.stem for p in COMMITTED.glob("*.md")) == sorted([*COMMAND_MODULES, "index"])


def test_the_page_shows_what_help_prints(run_cli: Callable[..., CliResult]) -> None:
    for args, page in [
        (["verify", "--help"], "verify.md"),
        (["spool", "proof", "--help"], "spool.md"),
        (["keys", "new", "--help"], "keys.md"),
    ]:
        r = run_cli(args)
        assert r.exit_code == 0, r.stderr
        text = (COMMITTED / page).read_text(encoding="utf-8")
        assert "```text\n" + r.stdout.rstrip() + "\n```" in text, args


def test_every_json_command_states_its_output() -> None:
    gen = _generator()
    root = gen.command_tree()
    import click

    def leaves(cmd: click.Command, path: list[str]) -> list[tuple[str, click.Command]]:
        if isinstance(cmd, click.Group):
            return [x for n, c in cmd.commands.items() for x in leaves(c, [*path, n])]
        return [(" ".join(path), cmd)]

    with_json = {
        n
        for n, c in leaves(root, ["anchor"])
        if any("--json" in getattr(p, "opts", ()) for p in c.params)
    }
    assert with_json <= set(gen.JSON_OUTPUT)
    assert set(gen.JSON_OUTPUT) <= {n for n, _ in leaves(root, ["anchor"])}
    assert set(gen.EXIT_CODES) <= {n for n, _ in leaves(root, ["anchor"])}
