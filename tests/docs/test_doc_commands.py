"""Every command shown in the docs runs, against a local devnet on 127.0.0.1 (doctest style).

The convention (also stated in docs/index.md, "Docs that run as tests"):

* only fenced ```console blocks are executed; ```sh, ```text and bare blocks are illustrations;
* a line starting with ``$ `` is a command; a line ending in ``\\`` continues on the next one;
* the lines after a command, up to the next ``$ `` line or the end of the block, are output
  that must appear (each stripped line as a line of stdout + stderr); a line ``...`` is
  skipped, and ``...`` within a line stands for any text there (a tx hash, a port);
* the command must exit 0, or N when the line carries a ``# exit N`` comment;
* a command ending in ``# real network`` needs Cardano's public network and is not run; the
  exact list of such commands is asserted below, so none escapes the check unnoticed;
* an ``anchor`` command in any other fenced block (a usage synopsis, cron, CI YAML) is an
  illustration: the exact list of those, per page (README.md included), is asserted too, so a
  command added to the docs either runs or is named here on purpose.

One page's commands run in order in ONE bash process (a generated script), so shell
variables, ``cd`` and background jobs (the page's own ``anchor devnet ... &``) carry over; the
scratch folder is a tmp_path holding a copy of fixtures/, the venv's ``bin`` first on PATH
(so ``anchor`` and ``python``, for the pages that start ``python -m anchor.devnet.oidc``, the
local stand-in for a CI platform's OIDC issuer) and PYTHONPATH naming this checkout, so the
code under test is this tree's even when the venv was installed from another worktree. The
CI and anchor variables of the machine
running the tests are removed, so a page prints the same inside a CI job as on a laptop.
Background jobs are killed when the script ends.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.docs.test_doc_flags import _anchor_invocations

DOCS = REPO / "docs"
REAL = re.compile(r"#\s*real network\s*$")
EXIT = re.compile(r"#\s*exit (\d+)\s*$")

# Every command the docs show that needs the public network (page, command), in page order.
REAL_NETWORK_COMMANDS = {
    "auditor.md": [
        'anchor verify "$F" --bundle evidence/ --network mainnet --provider koios --provider blockfrost --report audit.json',
    ],
    "publish.md": [
        "anchor publish evidence/ --network preprod",
        "anchor publish evidence/ --network mainnet --dry-run",
    ],
    "quickstart.md": [
        "export BLOCKFROST_PROJECT_ID=preprodXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "anchor keys new -o preprod-keys/",
        "anchor keys show preprod-keys/ --network preprod > signer.txt",
        "anchor collect dist/ sbom/ 'attestations/*.json*' logs/ --root . -o evidence/",
        "anchor publish evidence/ --network preprod --identity-seed preprod-keys/identity.seed --payment-key preprod-keys/payment.skey",
        "anchor verify dist/app-1.2.3.tar.gz --bundle evidence/ --signer signer.txt",
        "anchor verify dist/app-1.2.3.tar.gz --bundle evidence/ --online --provider koios --signer signer.txt",
    ],
    "verify.md": [
        "anchor verify app-1.2.3.tar.gz --bundle evidence/ --online --network mainnet",
        "anchor verify app-1.2.3.tar.gz --bundle evidence/ --provider koios --provider blockfrost --report audit.json",
    ],
}


# The machine's variables a page must not see: keys, stores and providers of a real setup, and
# a CI job's identity (`collect` and `spool add` read it, `attest` asks its token endpoint).
_STRIPPED_ENV = ("BLOCKFROST", "ANCHOR_", "GITHUB_", "ACTIONS_", "CI_", "GITLAB", "RUNNER_")

# Every `anchor` command shown outside a ```console block (page from the repository root, then
# the command with its continuation lines joined), in page order: none of these runs. Each is a
# usage synopsis (placeholders), a cron line, CI YAML, or needs the public network or a
# platform's issuer; each page's walkthrough runs the same commands on the devnet.
ILLUSTRATED_COMMANDS: dict[str, list[str]] = {
    "README.md": [
        "anchor keys new -o keys/",
        "anchor keys show keys/ --network mainnet > signer.txt # the address to fund, the signer key to announce",
        "anchor collect dist/ sbom/ 'attestations/*.json*' logs/ --root . -o evidence/",
        "anchor publish evidence/ --network mainnet # BLOCKFROST_PROJECT_ID, ANCHOR_IDENTITY_SEED, ANCHOR_PAYMENT_SKEY",
        "anchor verify dist/app-1.2.3.tar.gz --bundle evidence/ --signer signer.txt # whose anchor it must be",
        "anchor verify --sha256 <hex> --bundle evidence/ # a digest, no file",
        "anchor verify dist/app-1.2.3.tar.gz --bundle evidence/ --online --provider koios # online cross-check",
        "anchor attest --subject-path dist/app-1.2.3.tar.gz -o attestations/",
        "anchor trust-root fetch https://token.actions.githubusercontent.com -o github-jwks.json",
        "anchor verify-attestation dist/app-1.2.3.tar.gz --bundle attestations/app-1.2.3.tar.gz.sigstore.json --trust-root github-jwks.json",
        "anchor verify dist/app-1.2.3.tar.gz --bundle evidence/ --trust-root github-jwks.json --require-provenance",
        "anchor report attestations/ -o report/ # a web page; badges computed in the browser",
        "anchor spool init --network mainnet",
        "anchor spool add build.log --name nightly/build.log",
        "anchor spool publish --every 1h --wait # from cron",
        "anchor spool proof <item-id>; anchor spool export <window> -o evidence/",
    ],
    "docs/attest.md": [
        "- run: anchor attest --subject-path dist/app-1.0.tgz -o attestations/",
        "- anchor attest --subject-path dist/app-1.0.tgz -o attestations/",
        "anchor verify-attestation dist/app-1.0.tgz --bundle app-1.0.tgz.sigstore.json --trust-root https://token.actions.githubusercontent.com --json",
        "anchor report attestations/ -o site/ --trust-root root.json",
        "anchor report attestations/ -o site/ --trust-root root.json --evidence evidence/ --network mainnet",
    ],
    "docs/proof-file.md": [
        "anchor merkle verify --leaf <item.sha2-256> --index <leaf_index> --tree-size <tree_size> --root <root> <path[0]> <path[1]> ...",
    ],
    "docs/spool.md": [
        "anchor spool init --network N [--confirmations 15] [--ttl-slots 1800] [--final-depth K]",
        "anchor spool add FILE... [--name N] [--source S] # or --sha256 HEX --name N, or --from-file LIST.jsonl|-",
        "anchor spool publish --every 1h|1d|release [--wait] [--timeout S] [--skip-if-locked] [publish's network/provider/key options]",
        "anchor spool seal [--label v1.2] # cut the open window now (the release cadence)",
        "anchor spool status [--json]",
        "anchor spool proof ITEM_ID | --sha256 HEX [--json] # exit 3 while pending",
        "anchor spool export WINDOW -o DIR # an ordinary evidence bundle for `anchor verify`",
        "anchor spool serve --oidc-issuer URL --audience A --allow GLOB... [--listen 127.0.0.1:8095] # service mode",
        "anchor spool add ... --server URL [--audience A] [--token-file F] # add through it",
        "anchor spool serve --oidc-issuer https://token.actions.githubusercontent.com --audience https://spool.example.org --allow 'github.com/acme/*' --listen 127.0.0.1:8095 --db postgresql://…",
        "- run: anchor spool add dist/* --server https://spool.example.org --json",
        "*/5 * * * * cd /srv/anchor && anchor spool add /srv/builds/new/*.tar.gz --source build-host",
        "7 * * * * cd /srv/anchor && anchor spool publish --every 1h --skip-if-locked --network mainnet -q",
        "- run: anchor spool publish --every 1h --skip-if-locked --network mainnet --json",
        "- anchor spool publish --every 1d --skip-if-locked --network mainnet --json",
    ],
    "docs/verify.md": [
        "anchor verify FILE... --bundle DIR # offline (bundle has tx.cbor)",
        "anchor verify --bundle DIR --manifest-only # just the bundle against the chain",
        "anchor verify FILE --proof F --tx T --chain-facts C --network N # no bundle, offline",
        "anchor verify FILE --proof F # online; F names network and tx",
        "anchor verify FILE... --bundle DIR --online [--tx-hash H] [--network N] [--provider blockfrost|koios[=URL]]... [--provider-url URL]... [--deny-host H]...",
    ],
}


@dataclass
class Command:
    line: int
    text: str
    exit_code: int = 0
    real_network: bool = False
    output: list[str] = field(default_factory=list)


def parse(page: Path) -> list[Command]:
    """The commands of a page's ```console blocks, in order, with their expected output."""
    commands: list[Command] = []
    in_console = False
    current: Command | None = None
    continuing = False
    for number, raw in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.rstrip()
        if line.startswith("```"):
            # an opening ```console starts a run block; any other fence opens or closes one
            # that is not run (an illustration) or closes the run block
            in_console = (not in_console) and line.strip() == "```console"
            current, continuing = None, False
            continue
        if not in_console:
            continue
        if continuing and current is not None:
            current.text += "\n" + line
        elif line.startswith("$ "):
            current = Command(number, line[2:])
            commands.append(current)
        elif current is not None and line.strip() and line.strip() != "...":
            current.output.append(line.strip())
        else:
            continue
        continuing = line.endswith("\\")
        if not continuing and current is not None:
            last = current.text.splitlines()[-1]
            if REAL.search(last):
                current.real_network = True
                current.text = REAL.sub("", current.text).rstrip()
            elif (m := EXIT.search(last)) is not None:
                current.exit_code = int(m.group(1))
    return commands


def illustrations(page: Path) -> list[str]:
    """Every fenced line outside ```console blocks that shows an ``anchor`` command.

    Continuation lines are joined (``\\`` dropped, runs of spaces made one), so each entry is
    one command as a reader would type it.
    """
    found: list[str] = []
    fence: str | None = None  # the open fence's info string, None outside fences
    pending = ""
    for raw in page.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("```"):
            # an indented ```console is not run (parse), so it counts as an illustration
            info = line[3:].strip() if raw.startswith("```") else "indented"
            fence = None if fence is not None else info
            pending = ""
            continue
        if fence is None or fence == "console":
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        text, pending = " ".join((pending + line).split()), ""
        if any(words for words in _anchor_invocations(text)):
            found.append(text)
    return found


def shown(expected: str, printed: set[str]) -> bool:
    """Whether a page's output line is one of the printed lines (``...`` in it: any text)."""
    if "..." not in expected:
        return expected in printed
    pattern = re.compile(".*".join(re.escape(part) for part in expected.split("...")))
    return any(pattern.fullmatch(line) for line in printed)


def pages_with_commands() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if any(parse(p)))


def _script(commands: list[Command], work: Path) -> str:
    lines = ["set -u", "trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT"]
    for i, cmd in enumerate(commands):
        lines += [f"{{ {cmd.text}", f"}} >{work}/out.{i} 2>{work}/err.{i}; echo $? >{work}/rc.{i}"]
    return "\n".join(lines) + "\n"


def test_convention_parses_exit_codes_output_and_real_network(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "```console\n$ echo a \\\n  b  # exit 3\na b\n...\n$ anchor x  # real network\n```\n"
        "```sh\n$ not run\n```\n",
        encoding="utf-8",
    )
    got = [(c.text, c.exit_code, c.real_network, c.output) for c in parse(page)]
    assert got == [("echo a \\\n  b  # exit 3", 3, False, ["a b"]), ("anchor x", 0, True, [])]
    printed = {"tx 1f2e depth 1", "error: ... literally"}
    assert shown("tx ... depth 1", printed) and shown("error: ... literally", printed)
    assert not shown("tx ... depth 2", printed) and not shown("tx", printed)


def test_the_real_network_commands_are_exactly_these() -> None:
    found = {
        p.relative_to(DOCS).as_posix(): [c.text for c in parse(p) if c.real_network]
        for p in pages_with_commands()
    }
    assert {k: v for k, v in found.items() if v} == REAL_NETWORK_COMMANDS


def illustrated_pages() -> list[Path]:
    """README.md and every page of docs/ but the reference (generated from --help)."""
    pages = [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]
    return [p for p in pages if p.parent.name != "reference"]


def test_the_commands_shown_but_not_run_are_exactly_these() -> None:
    found = {p.relative_to(REPO).as_posix(): illustrations(p) for p in illustrated_pages()}
    assert {k: v for k, v in found.items() if v} == ILLUSTRATED_COMMANDS


@pytest.mark.parametrize("page", [p.relative_to(DOCS).as_posix() for p in pages_with_commands()])
def test_every_command_on_the_page_runs_as_shown(page: str, tmp_path: Path) -> None:
    commands = [c for c in parse(DOCS / page) if not c.real_network]
    if not commands:
        return
    scratch = tmp_path / "scratch"
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(REPO / "fixtures", scratch / "fixtures")
    env = {k: v for k, v in os.environ.items() if not k.startswith(_STRIPPED_ENV) and k != "CI"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO)  # this checkout's anchor, not the one the venv was made from
    script = work / "page.sh"
    script.write_text(_script(commands, work), encoding="utf-8")
    r = subprocess.run(
        ["bash", str(script)], cwd=scratch, env=env, capture_output=True, text=True, timeout=120,
        start_new_session=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    for i, cmd in enumerate(commands):
        where = f"{page}:{cmd.line}: $ {cmd.text}"
        rc_file = work / f"rc.{i}"
        assert rc_file.exists(), f"{where}: did not run"
        out = (work / f"out.{i}").read_text(encoding="utf-8", errors="replace")
        err = (work / f"err.{i}").read_text(encoding="utf-8", errors="replace")
        code = int(rc_file.read_text())
        assert code == cmd.exit_code, f"{where}: exit {code}, expected {cmd.exit_code}\n{out}{err}"
        printed = {line.strip() for line in (out + "\n" + err).splitlines()}
        missing = [line for line in cmd.output if not shown(line, printed)]
        assert missing == [], f"{where}: not printed {missing}\n{out}{err}"
