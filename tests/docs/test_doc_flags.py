"""Every `anchor` command line shown in README.md or anywhere in docs/, run or not (```console blocks run in
test_doc_commands.py; ```sh, ```text and bare blocks are illustrations), names a real command
and only flags that command has: an illustration cannot drift from the tool either."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import typer

from tests.conftest import REPO

DOCS = REPO / "docs"
SEGMENT = re.compile(r";\s|\s(?:&&|\|\||\|)\s|\$\(|`")
FLAG = re.compile(r"^\[?(--?[A-Za-z][\w-]*)")


def _blocks(page: Path) -> list[tuple[int, str]]:
    """(line number, command text) of every fenced line, continuations joined."""
    out: list[tuple[int, str]] = []
    fenced, pending, start = False, "", 0
    for number, raw in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if raw.lstrip().startswith("```"):
            fenced, pending = not fenced, ""
            continue
        if not fenced:
            continue
        line = raw.rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        out.append((start, pending + line))
        pending = ""
    return out


def _anchor_invocations(text: str) -> list[list[str]]:
    text = re.sub(r"^\s*(?:\$ |- (?:run: )?)?", "", text)  # a prompt, a YAML list item or step
    text = re.sub(r"(^|\s)#.*$", "", text)  # a shell comment
    found = []
    for segment in SEGMENT.split(text):
        try:
            words = shlex.split(segment)
        except ValueError:
            words = segment.split()
        while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
            words = words[1:]  # VAR=value before the command
        if words and words[0] == "anchor":
            found.append(words[1:])
    return found


def _check(root: click.Group, words: list[str]) -> str | None:
    cmd: click.Command = root
    ctx = click.Context(root)
    rest = list(words)
    root_opts = {o for p in root.params for o in getattr(p, "opts", [])}
    while isinstance(cmd, click.Group) and rest:
        if rest[0] in root_opts or rest[0] in ("-h", "--help"):
            rest = rest[1:]
            continue
        sub = cmd.get_command(ctx, rest[0])
        if sub is None:
            return (
                None if rest[0].isupper() or rest[0].startswith("<") else f"no command {rest[0]!r}"
            )
        cmd, rest = sub, rest[1:]
    known = {
        o for p in cmd.params for o in [*getattr(p, "opts", []), *getattr(p, "secondary_opts", [])]
    }
    known |= {"-h", "--help"}
    for word in rest:
        m = FLAG.match(word)
        if m and m.group(1) not in known and word != "--":
            return f"{cmd.name} has no option {m.group(1)}"
    return None


def test_every_shown_command_has_the_flags_it_uses() -> None:
    from anchor.cli import main

    main._register()
    root = typer.main.get_command(main.app)
    assert isinstance(root, click.Group)
    problems, seen = [], 0
    pages = [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]
    for page in pages:
        if page.parent.name == "reference":
            continue  # generated from --help, checked in test_reference.py
        for number, text in _blocks(page):
            for words in _anchor_invocations(text):
                seen += 1
                problem = _check(root, words)
                if problem:
                    problems.append(f"{page.relative_to(REPO)}:{number}: {problem}: {text.strip()}")
    assert problems == []
    assert seen > 70  # the docs show many commands; a parser that finds none must fail
