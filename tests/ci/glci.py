"""A small, strict stand-in for a GitLab runner (shell executor, bash): enough to run the template.

What it does as GitLab does (docs: "CI/CD YAML syntax reference", "Predefined CI/CD
variables", "Where variables can be used", "Pass an environment variable to another job"):

* ``extends:`` merges the hidden job into the job: hashes deeply, the job's keys win,
  lists are replaced, not joined;
* ``rules: - if:`` for the forms the template uses: ``$VAR`` (defined and not empty),
  ``$VAR == "x"``, ``$VAR != "x"``, ``&&``, ``||``; the first rule that matches adds the
  job. Anything else raises :class:`Unsupported`;
* variables: the job's ``variables:`` (their ``$VAR``/``${VAR}`` references expanded),
  under the project's CI/CD variables (the secrets), which take precedence; each
  ``id_tokens:`` name gets a token (the caller mints it);
* ``before_script`` and ``script`` run as one bash script with ``set -eo pipefail`` in
  ``$CI_PROJECT_DIR``, each entry echoed as ``$ <entry>`` first, as the runner's trace
  shows it; ``after_script`` runs in a new shell with ``CI_JOB_STATUS`` (success/failed);
* ``artifacts:paths`` (variables expanded) must exist after the job;
  ``artifacts:reports:dotenv`` is read as GitLab reads it (``NAME=value`` lines) and
  handed to jobs that ``needs:`` this one with ``artifacts: true``, as variables;
* ``image:`` cannot be pulled here: the job runs with the test's PATH, whose Python
  stands in for the image's.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anchor.ci.outputs import parse_dotenv


class Unsupported(Exception):
    """A form of the GitLab CI syntax this stand-in does not implement."""


_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_KNOWN_KEYS = {
    "image", "stage", "variables", "id_tokens", "before_script", "script", "after_script",
    "artifacts", "rules", "extends", "needs",
}  # fmt: skip


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """GitLab's ``extends`` merge: hashes deeply, everything else replaced by ``over``."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve(config: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Job ``name`` with its ``extends:`` chain merged in (``extends`` itself removed)."""
    job = dict(config[name])
    parent = job.pop("extends", None)
    if parent is None:
        return job
    if not isinstance(parent, str):
        raise Unsupported("extends: with a list")
    return merge(resolve(config, parent), job)


def expand(text: str, variables: Mapping[str, str]) -> str:
    """``$VAR`` and ``${VAR}`` replaced by their values ('' when undefined)."""
    return _VAR.sub(lambda m: variables.get(m.group(1) or m.group(2), ""), text)


_RULE = re.compile(r'^\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*(?:(==|!=)\s*"([^"]*)"\s*)?$')


def rule_matches(expression: str, variables: Mapping[str, str]) -> bool:
    """A ``rules:if`` expression of the supported forms."""
    for alternative in expression.split("||"):
        if all(_term(t, variables) for t in alternative.split("&&")):
            return True
    return False


def _term(text: str, variables: Mapping[str, str]) -> bool:
    m = _RULE.match(text)
    if m is None:
        raise Unsupported(f"rules:if term {text!r}")
    name, op, literal = m.groups()
    value = variables.get(name)
    if op is None:
        return bool(value)
    return (value == literal) if op == "==" else (value != literal)


@dataclass
class JobRun:
    """A job as it ran: its script's output, exit code, after_script, dotenv report."""

    name: str
    job: dict[str, Any]
    variables: dict[str, str]
    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""
    after_stdout: str = ""
    after_stderr: str = ""
    dotenv: dict[str, str] = field(default_factory=dict)
    artifacts: list[Path] = field(default_factory=list)

    @property
    def status(self) -> str:
        """CI_JOB_STATUS as after_script sees it."""
        return "success" if self.exit_code == 0 else "failed"


def included(config: Mapping[str, Any], name: str, variables: Mapping[str, str]) -> bool:
    """Whether the pipeline gets job ``name`` (its rules, else always)."""
    rules = resolve(config, name).get("rules")
    if rules is None:
        return True
    for rule in rules:
        if set(rule) - {"if", "when"}:
            raise Unsupported(f"rule keys {sorted(rule)}")
        if rule_matches(rule["if"], variables):
            return rule.get("when", "on_success") != "never"
    return False


def _script(lines: list[str]) -> str:
    body = ["set -eo pipefail"]
    for line in lines:
        body.append(f"printf '%s\\n' {_quote('$ ' + line)}")
        body.append(line)
    return "\n".join(body) + "\n"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def run_job(
    config: Mapping[str, Any],
    name: str,
    *,
    predefined: Mapping[str, str],
    project_variables: Mapping[str, str],
    id_tokens: Mapping[str, str],
    workspace: Path,
    upstream: Mapping[str, JobRun] | None = None,
    timeout: float = 120,
) -> JobRun:
    """Run job ``name`` of ``config`` in ``workspace``; ``upstream`` holds the jobs it needs."""
    job = resolve(config, name)
    if set(job) - _KNOWN_KEYS:
        raise Unsupported(f"job keys {sorted(set(job) - _KNOWN_KEYS)}")
    variables = dict(predefined)
    for need in job.get("needs") or []:
        if not isinstance(need, Mapping) or need.get("artifacts") is not True:
            raise Unsupported("needs: entries other than {job: X, artifacts: true}")
        assert upstream is not None and need["job"] in upstream, f"{name} needs {need['job']}"
        variables.update(upstream[need["job"]].dotenv)
    for key, value in (job.get("variables") or {}).items():
        if key not in project_variables:
            variables[key] = expand(str(value), variables)
    variables.update(project_variables)
    for token_name, spec in (job.get("id_tokens") or {}).items():
        if set(spec) != {"aud"}:
            raise Unsupported("id_tokens with keys other than aud")
        variables[token_name] = id_tokens[token_name]
    run = JobRun(name, job, variables)
    lines = [*(job.get("before_script") or []), *job["script"]]
    r = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", _script(lines)],
        cwd=workspace, env=variables, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    run.exit_code, run.stdout, run.stderr = r.returncode, r.stdout, r.stderr
    if job.get("after_script"):
        after = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", _script(job["after_script"])],
            cwd=workspace, env={**variables, "CI_JOB_STATUS": run.status},
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        run.after_stdout, run.after_stderr = after.stdout, after.stderr
    artifacts = job.get("artifacts") or {}
    if run.exit_code == 0 or artifacts.get("when") in ("always", "on_failure"):
        for pattern in artifacts.get("paths") or []:
            run.artifacts.append(workspace / expand(pattern, variables))
        dotenv = (artifacts.get("reports") or {}).get("dotenv")
        if dotenv and (workspace / dotenv).is_file():
            run.dotenv = parse_dotenv((workspace / dotenv).read_text(encoding="ascii"))
    return run
