"""`anchor collect`: bundle contents, determinism, CI metadata, warnings and exit-4 errors."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import unicodedata
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# typer 0.23 imports click stream helpers that newer click marks deprecated; import the CLI
# once with only that warning silenced (same workaround as the other CLI tests).
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", r"'click\.utils\.get_\w+_stream' is deprecated", DeprecationWarning
    )
    import anchor.cli.main  # noqa: F401

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sample-release"
SAMPLE_ROOT = "26de1c12deee4ad5a7240ed7f93eadc75f3b47a726e06f96aca0173bac35b023"
SHA = "0123456789abcdef0123456789abcdef01234567"

Run = Callable[..., Any]


@pytest.fixture(autouse=True)
def _no_ci_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests must not pick up the CI system they happen to run in."""
    for key in list(os.environ):
        if key.startswith(("GITHUB_", "GITLAB_", "CI_")):
            monkeypatch.delenv(key)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _copy_fixtures(dest: Path) -> Path:
    shutil.copytree(FIXTURES, dest)
    return dest


def _one_error_line(result: Any, fragment: str) -> None:
    assert result.exit_code == 4, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def test_collect_sample_release(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "evidence"
    r = run_cli(["collect", FIXTURES, "--root", FIXTURES, "-o", out, "--json"])
    assert r.exit_code == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary == {
        "output": str(out),
        "status": "created",
        "items": 12,
        "leaf_count": 12,
        "root": SAMPLE_ROOT,
        "bytes": 7848,
        "warnings": [],
    }
    assert r.stderr.strip() == f"created {out}: 12 items, 7848 bytes, root {SAMPLE_ROOT}"
    files = _snapshot(out)
    assert sorted(f for f in files if not f.startswith("proofs/")) == [
        "leaves.cbor",
        "manifest.json",
    ]
    manifest = json.loads(files["manifest.json"])
    assert sorted(f for f in files if f.startswith("proofs/")) == sorted(
        f"proofs/{i['name']}.proof.json" for i in manifest["items"]
    )
    assert "release" not in manifest and "source" not in manifest and "build" not in manifest
    assert manifest["tree"]["root"] == SAMPLE_ROOT


def test_same_inputs_same_bytes_twice_and_from_a_copy(run_cli: Run, tmp_path: Path) -> None:
    copy = _copy_fixtures(tmp_path / "elsewhere" / "release")
    args = ["--name", "demo", "--version", "1.0.0", "--commit", SHA, "--dual-hash"]
    outs = [tmp_path / "a", tmp_path / "b", tmp_path / "c"]
    for src, out in zip((FIXTURES, FIXTURES, copy), outs, strict=True):
        r = run_cli(["collect", src, "--root", src, "-o", out, "--quiet", *args])
        assert r.exit_code == 0, r.stderr
        assert r.stderr == ""
    first = _snapshot(outs[0])
    assert _snapshot(outs[1]) == first
    assert _snapshot(outs[2]) == first


def test_argument_order_and_overlaps_do_not_matter(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES)
    r1 = run_cli(["collect", "sbom", "dist", "-o", tmp_path / "one", "-q"])
    r2 = run_cli(["collect", "dist/*", "sbom/", "dist/SHA256SUMS", "-o", tmp_path / "two", "-q"])
    assert (r1.exit_code, r2.exit_code) == (0, 0), (r1.stderr, r2.stderr)
    assert _snapshot(tmp_path / "one") == _snapshot(tmp_path / "two")
    names = [
        i["name"] for i in json.loads((tmp_path / "one" / "manifest.json").read_bytes())["items"]
    ]
    assert names[0] == "dist/SHA256SUMS" and names[-1] == "sbom/evidence-demo.spdx.json"


def test_glob_patterns_quoted(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES)
    r = run_cli(["collect", "**/*.sigstore.json", "sbom/*.cdx.*", "-o", tmp_path / "ev", "--json"])
    assert r.exit_code == 0, r.stderr
    names = [
        i["name"] for i in json.loads((tmp_path / "ev" / "manifest.json").read_bytes())["items"]
    ]
    assert names == [
        "dist/evidence-demo-1.0.0.tar.gz.sigstore.json",
        "sbom/evidence-demo.cdx.json",
        "sbom/evidence-demo.cdx.xml",
    ]


def test_output_inside_the_collected_directory(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = _copy_fixtures(tmp_path / "work")
    monkeypatch.chdir(work)
    r1 = run_cli(["collect", ".", "-o", "evidence", "--json"])
    r2 = run_cli(["collect", ".", "-o", "evidence", "--json"])
    assert (r1.exit_code, r2.exit_code) == (0, 0)
    assert json.loads(r1.stdout)["items"] == 12
    assert json.loads(r2.stdout)["status"] == "unchanged"
    assert json.loads(r2.stdout)["root"] == SAMPLE_ROOT


def test_github_actions_metadata(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/widget",
        "GITHUB_SHA": SHA,
        "GITHUB_REF": "refs/tags/v1.0.0",
        "GITHUB_REF_TYPE": "tag",
        "GITHUB_REF_NAME": "v1.0.0",
        "GITHUB_WORKFLOW": "release",
        "GITHUB_RUN_ID": "555",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_TOKEN": "ghs_SECRET_TOKEN_VALUE",
        "GITHUB_ACTOR": "mallory-actor",
        "RUNNER_TEMP": "/runner/temp/path",
        "AWS_SECRET_ACCESS_KEY": "aws-secret-value",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "ev"
    r = run_cli(
        ["collect", FIXTURES / "logs", "--root", FIXTURES, "-o", out, "--version", "1.0.0-final"]
    )
    assert r.exit_code == 0, r.stderr
    raw = (out / "manifest.json").read_bytes()
    doc = json.loads(raw)
    assert {k: doc[k] for k in ("release", "source", "build")} == {
        "release": {"name": "widget", "version": "1.0.0-final"},
        "source": {
            "repository": "https://github.com/acme/widget",
            "commit": SHA,
            "ref": "refs/tags/v1.0.0",
        },
        "build": {
            "ci": "github-actions",
            "workflow": "release",
            "run_id": "555",
            "run_attempt": "1",
            "run_url": "https://github.com/acme/widget/actions/runs/555",
        },
    }
    for secret in (b"SECRET", b"mallory", b"/runner/temp", b"aws-secret"):
        assert secret not in raw


def test_gitlab_metadata_and_no_env(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "GITLAB_CI": "true",
        "CI_PROJECT_URL": "https://gitlab.example.com/acme/widget",
        "CI_PROJECT_NAME": "widget",
        "CI_COMMIT_SHA": SHA,
        "CI_COMMIT_BRANCH": "main",
        "CI_COMMIT_REF_NAME": "main",
        "CI_PIPELINE_ID": "31337",
        "CI_PIPELINE_URL": "https://gitlab.example.com/acme/widget/-/pipelines/31337",
        "CI_PIPELINE_CREATED_AT": "2024-02-03T04:05:06Z",
        "CI_JOB_TOKEN": "glcbt-SECRET",
        "CI_REGISTRY_PASSWORD": "SECRET-pw",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "ev"
    r = run_cli(
        ["collect", FIXTURES / "logs", "--root", FIXTURES, "-o", out, "--workflow", "release"]
    )
    assert r.exit_code == 0, r.stderr
    raw = (out / "manifest.json").read_bytes()
    doc = json.loads(raw)
    assert {k: doc[k] for k in ("release", "source", "build")} == {
        "release": {"name": "widget"},
        "source": {
            "repository": "https://gitlab.example.com/acme/widget",
            "commit": SHA,
            "ref": "refs/heads/main",
        },
        "build": {
            "ci": "gitlab-ci",
            "workflow": "release",
            "run_id": "31337",
            "run_url": "https://gitlab.example.com/acme/widget/-/pipelines/31337",
            "time": "2024-02-03T04:05:06Z",
        },
    }
    assert b"SECRET" not in raw
    r = run_cli(
        ["collect", FIXTURES / "logs", "--root", FIXTURES, "-o", tmp_path / "plain", "--no-env"]
    )
    assert r.exit_code == 0
    assert set(json.loads((tmp_path / "plain" / "manifest.json").read_bytes())) == {
        "format",
        "items",
        "tree",
    }


def test_malformed_sbom_and_attestation_are_anchored_with_warnings(
    run_cli: Run, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.cdx.json").write_bytes(b'{"bomFormat": "CycloneDX",')
    (src / "app.sigstore.json").write_bytes(b"\x00\x01 binary junk")
    r = run_cli(["collect", src, "--root", src, "-o", tmp_path / "ev", "--json"])
    assert r.exit_code == 0, r.stderr
    assert r.stderr.splitlines()[:2] == [
        "warning: app.cdx.json: sbom: not valid JSON (line 1, column 27)",
        "warning: app.sigstore.json: attestation: not valid JSON (line 1, column 1)",
    ]
    assert json.loads(r.stdout)["warnings"] == [
        {"name": "app.cdx.json", "warning": "sbom: not valid JSON (line 1, column 27)"},
        {"name": "app.sigstore.json", "warning": "attestation: not valid JSON (line 1, column 1)"},
    ]
    items = json.loads((tmp_path / "ev" / "manifest.json").read_bytes())["items"]
    assert [(i["kind"], i["digests"]["sha2-256"], len(i["warnings"])) for i in items] == [
        ("sbom", hashlib.sha256(b'{"bomFormat": "CycloneDX",').hexdigest(), 1),
        ("attestation", hashlib.sha256(b"\x00\x01 binary junk").hexdigest(), 1),
    ]


def test_quiet_silences_everything_but_json(run_cli: Run, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "bad.spdx").write_bytes(b"nothing here")
    r = run_cli(["collect", src, "--root", src, "-o", tmp_path / "ev", "-q", "--json"])
    assert r.exit_code == 0
    assert r.stderr == ""
    assert json.loads(r.stdout)["items"] == 1


def test_progress_bar_on_request(run_cli: Run, tmp_path: Path) -> None:
    r = run_cli(["collect", FIXTURES, "--root", FIXTURES, "-o", tmp_path / "ev", "--progress"])
    assert r.exit_code == 0
    assert "hashing" in r.stderr and "7.7/7.7 KiB" in r.stderr
    r = run_cli(["collect", FIXTURES, "--root", FIXTURES, "-o", tmp_path / "ev2"])
    assert "hashing" not in r.stderr  # not a terminal, not asked


def test_dual_hash(run_cli: Run, tmp_path: Path) -> None:
    r = run_cli(
        ["collect", FIXTURES / "logs", "--root", FIXTURES, "-o", tmp_path / "ev", "--dual-hash"]
    )
    assert r.exit_code == 0
    (item,) = json.loads((tmp_path / "ev" / "manifest.json").read_bytes())["items"]
    data = (FIXTURES / "logs" / "build.log").read_bytes()
    assert item["digests"] == {
        "sha2-256": hashlib.sha256(data).hexdigest(),
        "blake2b-256": hashlib.blake2b(data, digest_size=32).hexdigest(),
    }


# --- bad input: one line, exit 4, nothing written ---


def test_missing_path(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "ev"
    r = run_cli(["collect", FIXTURES / "logs", tmp_path / "nope.tgz", "--root", "/", "-o", out])
    _one_error_line(r, f"no such file or directory: {tmp_path / 'nope.tgz'}")
    assert not out.exists()


def test_unreadable_file_dangling_symlink(run_cli: Run, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "ok.bin").write_bytes(b"ok")
    os.symlink(tmp_path / "missing-target", src / "broken.bin")
    r = run_cli(["collect", src, "--root", src, "-o", tmp_path / "ev"])
    _one_error_line(r, "dangling symlink")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_permission(run_cli: Run, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "secret.bin").write_bytes(b"x")
    (src / "secret.bin").chmod(0)
    r = run_cli(["collect", src, "--root", src, "-o", tmp_path / "ev"])
    _one_error_line(r, "cannot read secret.bin: Permission denied")
    assert not (tmp_path / "ev").exists()


def test_special_file(run_cli: Run, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    os.mkfifo(src / "fifo")
    r = run_cli(["collect", src, "--root", src, "-o", tmp_path / "ev"])
    _one_error_line(r, "is not a regular file")


def test_empty_directory(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    r = run_cli(["collect", tmp_path / "empty", "--root", tmp_path, "-o", tmp_path / "ev"])
    _one_error_line(r, "no files to collect")
    assert not (tmp_path / "ev").exists()


def test_name_collision(run_cli: Run, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / unicodedata.normalize("NFC", "naïve.txt")).write_bytes(b"1")
    (src / unicodedata.normalize("NFD", "naïve.txt")).write_bytes(b"2")
    r = run_cli(["collect", src, "--root", src, "-o", tmp_path / "ev"])
    _one_error_line(r, "two inputs have the name naïve.txt")
    assert not (tmp_path / "ev").exists()


def test_outside_root(run_cli: Run, tmp_path: Path) -> None:
    r = run_cli(["collect", FIXTURES / "logs", "--root", tmp_path, "-o", tmp_path / "ev"])
    _one_error_line(r, "is outside the root")


def test_bad_commit(run_cli: Run, tmp_path: Path) -> None:
    r = run_cli(
        [
            "collect",
            FIXTURES / "logs",
            "--root",
            FIXTURES,
            "-o",
            tmp_path / "ev",
            "--commit",
            "HEAD",
        ]
    )
    _one_error_line(r, "commit 'HEAD' is not a 40- or 64-digit hex object id")


def test_existing_bundle_same_different_and_force(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "ev"
    base = ["collect", FIXTURES / "sbom", "--root", FIXTURES, "-o", out]
    assert run_cli(base).exit_code == 0
    before = _snapshot(out)
    r = run_cli(base)
    assert r.exit_code == 0
    assert r.stderr.startswith(f"unchanged {out}: 4 items")
    other = ["collect", FIXTURES / "logs", "--root", FIXTURES, "-o", out]
    r = run_cli(other)
    _one_error_line(r, "already holds a different evidence bundle (use --force to replace it)")
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ev"]
    r = run_cli([*other, "--force", "--json"])
    assert r.exit_code == 0
    assert json.loads(r.stdout)["status"] == "replaced"
    assert [i["name"] for i in json.loads((out / "manifest.json").read_bytes())["items"]] == [
        "logs/build.log"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ev"]


def test_output_holding_other_files_is_never_replaced(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "ev"
    out.mkdir()
    (out / "notes.txt").write_bytes(b"mine")
    r = run_cli(["collect", FIXTURES / "logs", "--root", FIXTURES, "-o", out, "--force"])
    _one_error_line(r, "is not empty and is not an evidence bundle")
    assert _snapshot(out) == {"notes.txt": b"mine"}


def test_usage_error_exits_4(run_cli: Run, tmp_path: Path) -> None:
    r = run_cli(["collect", FIXTURES])
    assert r.exit_code == 4
    assert "--output" in r.stderr


def test_unusable_output_is_refused_before_reading_inputs(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "ev"
    out.write_bytes(b"a file")
    # the input does not exist either: the output is checked first, before any hashing
    r = run_cli(["collect", tmp_path / "missing", "--root", tmp_path, "-o", out])
    _one_error_line(r, "exists and is not a directory")
    assert out.read_bytes() == b"a file"


def test_garbage_collector_state_is_restored(run_cli: Run, tmp_path: Path) -> None:
    import gc

    assert gc.isenabled()
    ok = run_cli(["collect", FIXTURES, "--root", FIXTURES, "-o", tmp_path / "a", "-q"])
    assert ok.exit_code == 0 and gc.isenabled()
    bad = run_cli(["collect", tmp_path / "missing", "-o", tmp_path / "b"])
    assert bad.exit_code == 4 and gc.isenabled()
    gc.disable()
    try:
        again = run_cli(["collect", FIXTURES, "--root", FIXTURES, "-o", tmp_path / "c", "-q"])
        assert again.exit_code == 0 and not gc.isenabled()
    finally:
        gc.enable()
