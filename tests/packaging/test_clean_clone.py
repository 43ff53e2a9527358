"""A clone with no ../shared beside it (issue 13): `make test`'s first step fetches the
standard's data at the pinned commit when it can (`make vectors-if-missing`), and otherwise
the run says in one line, at its top and its bottom, how many conformance cases did not run
and why, and still ends green.

The clone is a copy of the repository's files in tmp_path (tests/packaging/_tree.py), with
nothing beside it; the "origin" that `make vectors` fetches from is a local git repository
(file://), never the network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from anchor.label309.standard import STANDARD_COMMIT
from tests.conformance import CASES, DATA_FREE
from tests.packaging._tree import copy_sources

NOT_FOUND = "no $ANCHOR_L309_DATA, no ../shared/label309, no .vectors/label309"
FINAL = re.compile(r"^\d+ passed, \d+ skipped in ")


def _env() -> dict[str, str]:
    # The outer run's own variables (xdist's worker id, pytest's current test) stay out too.
    drop = ("ANCHOR_L309_DATA", "ANCHOR_NO_SKIP", "PYTHONPATH")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PYTEST_")}


def _clone(tmp_path: Path) -> Path:
    clone = copy_sources(tmp_path / "work" / "evidence-anchor")
    assert not (clone.parent / "shared").exists()
    return clone


def _pytest(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider", *args],
        cwd=clone, env=_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _make(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    make = shutil.which("make")
    assert make is not None, "make is how the suite is run"
    return subprocess.run(
        [make, "--no-print-directory", "-s", *args],
        cwd=clone, env=_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _expected_line(why: str) -> str:
    return (
        f"conformance: {CASES - DATA_FREE} of {CASES} Label 309 conformance cases did not run: "
        f"the standard's data was not found ({why}); run 'make vectors' to fetch "
        f"cardanowall/cip309 at {STANDARD_COMMIT[:7]}"
    )


def _assert_top_and_bottom(stdout: str, line: str) -> None:
    lines = [x for x in stdout.splitlines() if x.strip()]
    assert lines[0] == line, stdout[:2000]
    assert lines.count(line) == 2, stdout[-3000:]
    bottom = len(lines) - 1 - lines[::-1].index(line)
    # After the bottom line come only pytest's short summary (-ra) and its closing line.
    rest = lines[bottom + 1 :]
    assert rest[0].startswith("=") and "short test summary info" in rest[0], rest
    assert all(x.startswith("SKIPPED ") for x in rest[1:-1]), rest
    assert FINAL.match(rest[-1]), rest[-1]


def test_without_data_the_run_is_green_and_says_so_at_top_and_bottom(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    r = _pytest(clone, "tests/conformance")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    _assert_top_and_bottom(r.stdout, _expected_line(NOT_FOUND))
    assert f"conformance vectors in this run: {DATA_FREE} passed, 0 failed, " in r.stdout
    # The top line's count comes from tests/conformance/__init__.py, the bottom line's from
    # what ran: their being equal checks DATA_FREE.
    assert FINAL.match(r.stdout.splitlines()[-1])
    assert r.stdout.splitlines()[-1].startswith(f"{DATA_FREE} passed, ")


def test_a_failed_fetch_is_not_an_error_and_its_reason_is_in_the_line(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    nowhere = (tmp_path / "nowhere").as_uri()
    fetched = _make(clone, "vectors-if-missing", f"CIP309_URL={nowhere}")
    assert fetched.returncode == 0, fetched.stderr
    reason = (clone / ".vectors" / "FETCH_FAILED").read_text(encoding="utf-8").strip()
    assert reason.startswith("fatal: ") and "nowhere" in reason, reason
    assert (fetched.stdout, fetched.stderr) == (
        f"could not fetch the Label 309 data (make vectors: {reason}); "
        "the conformance cases will not run\n",
        "",
    )
    assert not (clone / ".vectors" / "label309").exists()
    # Only the test files of one folder, to keep it short; the line is the same.
    r = _pytest(clone, "tests/conformance")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    _assert_top_and_bottom(r.stdout, _expected_line(f"{NOT_FOUND}; make vectors failed: {reason}"))
    # `make vectors` asked for by name does fail (exit 2 from make), with git's reason.
    direct = _make(clone, "vectors", f"CIP309_URL={nowhere}")
    assert direct.returncode == 2 and "fatal: " in direct.stderr, direct.stderr


def _git(*args: str, cwd: Path) -> str:
    env = {**_env(), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()


def test_make_test_fetches_the_data_when_it_can(tmp_path: Path, l309_data: Path) -> None:
    # An origin laid out as the standard's repository, holding the real data, two commits deep:
    # the fetch must take the pinned one (the first), not the branch head.
    origin = tmp_path / "origin"
    origin.mkdir()
    _git("init", "-q", "-b", "main", cwd=origin)
    _git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=origin)
    for part in ("conformance", "registries", "schemas", "cddl"):
        shutil.copytree(l309_data / part, origin / part)
    _git("add", "-A", cwd=origin)
    _git("commit", "-q", "-m", "data", cwd=origin)
    pinned = _git("rev-parse", "HEAD", cwd=origin)
    (origin / "conformance" / "hash" / "sha256-kat.json").write_text("{}", encoding="utf-8")
    _git("commit", "-q", "-am", "later", cwd=origin)

    clone = _clone(tmp_path)
    fetched = _make(
        clone, "vectors-if-missing", f"CIP309_URL={origin.as_uri()}", f"CIP309_COMMIT={pinned}"
    )
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout == f"fetched the Label 309 data at {pinned} into .vectors/\n"
    assert _git("rev-parse", "HEAD", cwd=clone / ".vectors" / "cip309") == pinned
    data = clone / ".vectors" / "label309"
    assert sorted(p.name for p in data.iterdir()) == [
        "cddl",
        "conformance",
        "registries",
        "schemas",
    ]
    assert (data / "conformance" / "hash" / "sha256-kat.json").read_bytes() == (
        l309_data / "conformance" / "hash" / "sha256-kat.json"
    ).read_bytes()
    # Found again: nothing is fetched, and the vectors run from .vectors/.
    again = _make(clone, "vectors-if-missing", f"CIP309_URL={(tmp_path / 'nowhere').as_uri()}")
    assert (again.returncode, again.stdout) == (0, "")
    r = _pytest(clone, "tests/conformance/test_hash_vectors.py")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "did not run" not in r.stdout
    assert re.search(
        r"^conformance vectors in this run: [1-9]\d* passed, 0 failed$", r.stdout, re.M
    )
