"""action.yml, run step by step as the GitHub runner runs a composite action, against the devnet.

The ``run:`` steps execute for real (bash, ``python -m anchor.ci``, ``pip install`` of the
action's checkout) with the variables GitHub sets for a job (tests/ci/gha.py says what the
stand-in runner does as GitHub does). What cannot run on this machine: the two ``uses:``
actions (``actions/setup-python`` is stood in for by putting the runner's Python first on
PATH; ``actions/upload-artifact``'s evaluated ``with:`` is asserted) and ``gh``, a
recording script first on PATH, so the test asserts the exact ``gh release upload`` argv
and the file it was given, not an upload to GitHub.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from anchor.devnet import RunningDevnet
from tests.ci.conftest import (
    COMMIT,
    FakeTools,
    Secrets,
    assert_no_secret,
    base_env,
    installed_anchor,
    sha256_file,
)
from tests.ci.gha import ActionRun, StepRun, run_composite
from tests.conftest import REPO, CliResult

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
GH_TOKEN = "ghs_" + "Fak3T0ken" * 4
DELIMITED = re.compile(r"^([a-z-]+)<<(ghadelimiter_[0-9a-f-]{36})\n(.*)\n\2$")


def github_env(tmp: Path, *, tag: bool) -> tuple[dict[str, str], dict[str, str]]:
    """The variables GitHub sets for a job of ``acme/app`` (a tag push, or a branch), and the
    ``github`` context built from them."""
    ref_name = "v1.2.3" if tag else "main"
    env = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_REPOSITORY_OWNER": "acme",
        "GITHUB_RUN_ID": "9876543210",
        "GITHUB_RUN_NUMBER": "42",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_SHA": COMMIT,
        "GITHUB_REF": f"refs/tags/{ref_name}" if tag else f"refs/heads/{ref_name}",
        "GITHUB_REF_NAME": ref_name,
        "GITHUB_REF_TYPE": "tag" if tag else "branch",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_WORKFLOW": "release",
        "GITHUB_WORKFLOW_REF": f"acme/app/.github/workflows/release.yml@refs/tags/{ref_name}",
        "GITHUB_EVENT_NAME": "release" if tag else "push",
        "GITHUB_JOB": "anchor",
        "GITHUB_WORKSPACE": str(tmp / "workspace"),
        "RUNNER_TEMP": str(tmp / "runner-temp"),
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
    }
    context = {
        "token": GH_TOKEN,
        "repository": env["GITHUB_REPOSITORY"],
        "sha": env["GITHUB_SHA"],
        "ref": env["GITHUB_REF"],
        "ref_name": env["GITHUB_REF_NAME"],
        "ref_type": env["GITHUB_REF_TYPE"],
        "event_name": env["GITHUB_EVENT_NAME"],
        "server_url": env["GITHUB_SERVER_URL"],
        "run_id": env["GITHUB_RUN_ID"],
        "workflow": env["GITHUB_WORKFLOW"],
        "workspace": env["GITHUB_WORKSPACE"],
    }
    return env, context


def run_action(
    tmp: Path,
    *,
    workspace: Path,
    runner_python: Path,
    action_checkout: Path,
    fake_tools: FakeTools,
    inputs: dict[str, str],
    secrets: dict[str, str],
    tag: bool,
) -> tuple[ActionRun, list[StepRun]]:
    """The action run; also returns the two ``uses:`` steps as their stand-ins saw them."""
    env, context = github_env(tmp, tag=tag)
    (tmp / "runner-temp").mkdir()
    env.update(base_env(tmp / "home", fake_tools.bin))
    env["FAKE_TOOL_RECORD"] = str(fake_tools.record)
    env.update(secrets)  # the workflow's `env:` on the step that uses the action
    seen: list[StepRun] = []

    def setup_python(step: StepRun, job_env: dict[str, str]) -> None:
        seen.append(step)
        job_env["PATH"] = f"{runner_python}:{job_env['PATH']}"

    def upload_artifact(step: StepRun, job_env: dict[str, str]) -> None:
        seen.append(step)

    run = run_composite(
        ACTION,
        action_path=action_checkout,
        workspace=workspace,
        runner_temp=tmp / "runner-temp",
        inputs=inputs,
        job_env=env,
        github=context,
        uses={
            "actions/setup-python@v5": setup_python,
            "actions/upload-artifact@v4": upload_artifact,
        },
    )
    return run, seen


def _all_text(run: ActionRun) -> dict[str, str]:
    texts = {"summary": run.summary, "outputs": repr(run.outputs)}
    for s in run.steps:
        texts.update({f"{s.name} stdout": s.stdout, f"{s.name} stderr": s.stderr})
        texts[f"{s.name} GITHUB_OUTPUT"] = s.output_text
    return texts


def test_the_action_collects_publishes_verifies_uploads_and_attaches_on_a_tag(
    tmp_path: Path,
    workspace: Path,
    runner_python: Path,
    action_checkout: Path,
    fake_tools: FakeTools,
    ci_secrets: Secrets,
    devnet: RunningDevnet,
    run_cli: Callable[..., CliResult],
) -> None:
    inputs = {"paths": "dist/\nsbom/", "network": "devnet", "provider-url": devnet.url}
    run, uses = run_action(
        tmp_path, workspace=workspace, runner_python=runner_python, action_checkout=action_checkout,
        fake_tools=fake_tools, inputs=inputs, secrets=ci_secrets.env(), tag=True,
    )  # fmt: skip
    outcomes = [(s.name, s.outcome) for s in run.steps]
    assert all(o == "success" for _, o in outcomes), (outcomes, [s.stderr for s in run.steps])
    assert installed_anchor(runner_python).startswith(str(runner_python.parent))

    bundle = workspace / "evidence"
    manifest_root = __import__("json").loads((bundle / "manifest.json").read_text())["tree"]["root"]
    tx = run.outputs["tx-hash"]
    archive = tmp_path / "runner-temp" / "evidence-anchor" / "evidence-v1.2.3.tar.gz"
    assert run.outputs == {
        "tx-hash": tx,
        "root": manifest_root,
        "bundle-path": "evidence",
        "bundle-archive": str(archive),
        "verdict": "valid",
    }
    assert re.fullmatch(r"[0-9a-f]{64}", tx)
    record = devnet.state.transaction(bytes.fromhex(tx))
    assert record is not None and record.block is not None
    assert (bundle / "tx.cbor").read_bytes() == record.tx.raw

    # each step's $GITHUB_OUTPUT, entry by entry, in the delimiter syntax
    entries = {
        "collect": [("bundle-path", "evidence"), ("root", manifest_root)],
        "publish": [("tx-hash", tx)],
        "verify": [("verdict", "valid"), ("bundle-archive", str(archive))],
    }
    for step_id, expected in entries.items():
        text = run.step(step_id).output_text
        blocks = re.findall(
            r"[a-z-]+<<ghadelimiter_[0-9a-f-]{36}\n.*?\nghadelimiter_[0-9a-f-]{36}\n", text, re.S
        )
        assert "".join(blocks) == text
        assert [DELIMITED.match(b.rstrip("\n")).group(1, 3) for b in blocks] == expected  # type: ignore[union-attr]

    setup, upload = uses
    assert setup.with_ == {"python-version": "3.12"}
    assert upload.with_ == {"name": "evidence", "path": "evidence", "if-no-files-found": "error"}
    assert (workspace / upload.with_["path"] / "manifest.json").is_file()

    # gh release upload: the exact argv, the token by env, the archive as it was then
    calls = fake_tools.calls()
    assert calls == [
        {
            "tool": "gh",
            "argv": [
                "release",
                "upload",
                "v1.2.3",
                str(archive),
                "--clobber",
                "--repo",
                "acme/app",
            ],
            "files": {str(archive): sha256_file(archive)},
            "env": {"GH_TOKEN": GH_TOKEN},
        }
    ]

    # the summary: the verdict table
    lines = run.summary.splitlines()
    assert lines[0] == "## evidence-anchor: VALID"
    for line in (
        "| verdict | **VALID** |",
        "| network | devnet |",
        f"| transaction | `{tx}` |",
        f"| Merkle root | `{manifest_root}` (7 items) |",
        "| depth | 1 (required 1) |",
        "| files | 7 of 7 anchored |",
        "| bundle | `evidence` |",
        "| leaf | result | item | kind |",
        "| 1 | ok | dist/evidence-demo-1.0.0.tar.gz | artifact |",
        "| 6 | ok | sbom/evidence-demo.spdx.json | sbom |",
    ):
        assert line in lines, line
    assert re.search(r"^\| signer \| `[0-9a-f]{64}` \(verified, pinned\) \|$", run.summary, re.M)
    assert run.step("Job summary").summary == run.summary

    # the released file is a bundle that verifies one artifact offline
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    r = run_cli(["verify", workspace / "dist" / "evidence-demo-1.0.0.tar.gz", "--bundle", unpacked / "evidence", "--network", "devnet"])  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "verdict:      VALID (exit 0)" in r.stderr.splitlines()

    assert_no_secret(_all_text(run), [*ci_secrets.needles(), GH_TOKEN])
    assert "Traceback" not in "".join(s.stderr for s in run.steps)


def test_a_missing_secret_stops_at_publish_with_one_line_and_exit_4(
    tmp_path: Path,
    workspace: Path,
    runner_python: Path,
    action_checkout: Path,
    fake_tools: FakeTools,
    ci_secrets: Secrets,
) -> None:
    only_seed = {"ANCHOR_IDENTITY_SEED": ci_secrets.identity_seed}  # a fork's PR: no others
    run, _ = run_action(
        tmp_path, workspace=workspace, runner_python=runner_python, action_checkout=action_checkout,
        fake_tools=fake_tools, inputs={"paths": "dist/ sbom/"}, secrets=only_seed, tag=False,
    )  # fmt: skip
    assert [(s.name, s.outcome) for s in run.steps] == [
        ("Set up Python", "success"),
        ("Install evidence-anchor", "success"),
        ("Collect the evidence", "success"),
        ("Anchor the Merkle root on Cardano", "failure"),
        ("Verify the anchor offline", "skipped"),
        ("Upload the bundle", "success"),
        ("Attach the bundle to the release", "skipped"),
        ("Job summary", "success"),
    ]
    publish = run.step("publish")
    assert publish.exit_code == 4
    assert publish.stdout == ""
    assert publish.stderr.splitlines() == [
        "error: missing secrets ANCHOR_PAYMENT_SKEY, BLOCKFROST_PROJECT_ID: add to the "
        "repository's Actions secrets and pass to this step by name "
        "(env: NAME: ${{ secrets.NAME }})"
    ]
    assert run.outputs["tx-hash"] == "" and run.outputs["verdict"] == ""
    assert run.summary.splitlines()[0] == "## evidence-anchor: not anchored"
    assert "The bundle was not anchored: see the log of the publish step." in run.summary
    assert fake_tools.calls() == []
    assert_no_secret(_all_text(run), ci_secrets.needles())


@pytest.mark.parametrize(
    ("step_id", "needle"),
    [
        ("collect", "python -m anchor.ci github collect"),
        ("publish", "python -m anchor.ci github publish"),
    ],
)
def test_every_run_step_is_one_line_over_the_module(step_id: str, needle: str) -> None:
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id)
    assert step["run"] == needle
    assert "${{" not in step["run"]  # inputs reach the shell through env:, never pasted in
