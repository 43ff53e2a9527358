"""What the CI-integration tests share: the runner's Python, the action's checkout, the secrets,
stand-ins for ``gh`` and ``curl`` that only record how they were called, and the devnet.

The machine's boundary: there is no GitHub or GitLab here and no network but loopback. So
the runner's Python (what ``actions/setup-python`` or the ``python:3.12`` image gives a
job) is a fresh venv that sees this venv's installed dependencies (a ``.pth`` line) and
gets evidence-anchor itself from the job's own ``pip install`` step, with pip told to use
no index (``PIP_NO_INDEX=1``, ``PIP_NO_BUILD_ISOLATION=0``: the dependencies are all there);
``gh`` and ``curl`` are scripts first on PATH that write their argv (and the files they
were given, by SHA-256) to a JSON-lines file and exit 0.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from anchor.chain.keys import create_key_set
from anchor.devnet import RunningDevnet
from tests.conftest import REPO
from tests.packaging._tree import copy_sources
from tests.publish_kit import funded_devnet

SAMPLE = REPO / "fixtures" / "sample-release"
COMMIT = "3f786850e387550fdab836ed7e6dc881de23001b"


@pytest.fixture(scope="session")
def runner_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a Python with no evidence-anchor in it yet (the runner's Python)."""
    venv = tmp_path_factory.mktemp("runner-python") / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60
    )
    purelib = sysconfig.get_paths()["purelib"]
    site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout.strip()
    )  # fmt: skip
    (site / "dependencies.pth").write_text(purelib + "\n")
    return venv / "bin"


@pytest.fixture(scope="session")
def action_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The action's files as the runner checks them out (``github.action_path``): a clean copy."""
    return copy_sources(tmp_path_factory.mktemp("action") / "evidence-anchor")


def installed_anchor(bin_dir: Path) -> str:
    """Where the runner's Python imports ``anchor`` from."""
    return subprocess.run(
        [str(bin_dir / "python"), "-c", "import anchor; print(anchor.__file__)"],
        check=True, capture_output=True, text=True, timeout=60, cwd=bin_dir,  # not the checkout
    ).stdout.strip()  # fmt: skip


_RECORDER = """\
import hashlib, json, os, sys
tool, args = sys.argv[1], sys.argv[2:]
files = {a: hashlib.sha256(open(a, "rb").read()).hexdigest() for a in args if os.path.isfile(a)}
env = {k: os.environ.get(k) for k in ("GH_TOKEN",)}
with open(os.environ["FAKE_TOOL_RECORD"], "a") as fh:
    fh.write(json.dumps({"tool": tool, "argv": args, "files": files, "env": env}) + "\\n")
"""


@dataclass(frozen=True)
class FakeTools:
    """A folder of stand-ins (``gh``, ``curl``) and the record they write."""

    bin: Path
    record: Path

    def calls(self) -> list[dict[str, object]]:
        """Every recorded call, in order."""
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]


@pytest.fixture
def fake_tools(tmp_path: Path) -> FakeTools:
    """``gh`` and ``curl`` that record their argv: the edge of this machine."""
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    recorder = folder / "_record.py"
    recorder.write_text(_RECORDER)
    for tool in ("gh", "curl"):
        script = folder / tool
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{recorder}" {tool} "$@"\n')
        script.chmod(0o755)
    return FakeTools(folder, tmp_path / "fake-tool-calls.jsonl")


@dataclass(frozen=True)
class Secrets:
    """The three secrets, as their values (what a CI system puts in the job's environment)."""

    keys: Path
    identity_seed: str
    payment_skey: str
    project_id: str

    def env(self) -> dict[str, str]:
        """The secrets by the names `anchor publish` reads."""
        return {
            "ANCHOR_IDENTITY_SEED": self.identity_seed,
            "ANCHOR_PAYMENT_SKEY": self.payment_skey,
            "BLOCKFROST_PROJECT_ID": self.project_id,
        }

    def needles(self) -> list[str]:
        """Texts that must never be printed: the seed string, the key's hex, the project id."""
        skey_hex = json.loads(self.payment_skey)["cborHex"]
        return [self.identity_seed.strip(), skey_hex, skey_hex[4:], self.project_id]


@pytest.fixture
def ci_secrets(tmp_path: Path) -> Secrets:
    """A fixed identity seed and a payment key (made by the keys library), and a project id."""
    folder = tmp_path / "keys"
    create_key_set(folder, seed=bytes(range(32)))
    return Secrets(
        keys=folder,
        identity_seed=(folder / "identity.seed").read_text(),
        payment_skey=(folder / "payment.skey").read_text(),
        project_id="preprod" + secrets.token_hex(16),
    )


@pytest.fixture
def devnet(ci_secrets: Secrets) -> Iterator[RunningDevnet]:
    """A devnet on 127.0.0.1 (blocks every 0.2 s) that funds the payment key's address."""
    with funded_devnet(ci_secrets.keys, block_time=0.2) as net:
        yield net


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The job's checkout: the sample release's dist/ and sbom/ (7 files)."""
    import shutil

    folder = tmp_path / "workspace"
    for part in ("dist", "sbom"):
        shutil.copytree(SAMPLE / part, folder / part)
    return folder


def base_env(home: Path, *first_on_path: Path) -> dict[str, str]:
    """A job's environment before the CI system's variables: PATH, HOME, locale, pip offline."""
    path = [str(p) for p in first_on_path] + ["/usr/local/bin", "/usr/bin", "/bin"]
    return {
        "PATH": os.pathsep.join(path),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_no_secret(texts: dict[str, str], needles: list[str]) -> None:
    """No needle (case-insensitively) in any of the texts (named for the failure message)."""
    for where, text in texts.items():
        for needle in needles:
            assert needle.lower() not in text.lower(), f"a secret appears in {where}"
