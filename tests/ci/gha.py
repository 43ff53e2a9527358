"""A small, strict stand-in for the GitHub Actions runner: enough to run action.yml here.

What it does as the runner does (docs: "Expressions", "Contexts", "Workflow commands",
"Metadata syntax for GitHub Actions", composite actions):

* ``${{ <expr> }}`` in ``run:``, ``env:``, ``with:``, input defaults and outputs is
  replaced by the value's string form (null -> '', booleans 'true'/'false'); ``if:`` is an
  expression with or without ``${{ }}``, and without a status function it means
  ``success() && (<expr>)``;
* the expression language, for the forms action.yml uses: literals (``'str'`` with ``''``
  for a quote, ``true``, ``false``, ``null``, numbers), contexts ``inputs``, ``github``,
  ``steps``, ``env``, ``runner`` with ``.`` access (names may hold ``-``), ``!``, ``==``,
  ``!=``, ``&&``, ``||``, parentheses, and ``success()``, ``always()``, ``failure()``,
  ``cancelled()``. Strings compare case-insensitively; values of different types are
  compared as numbers (null and '' are 0), as GitHub documents. Anything else (another
  operator, function or context) raises :class:`Unsupported`, so the test fails rather
  than guess;
* a ``run:`` step is written to a file and run as ``bash --noprofile --norc -eo pipefail
  FILE`` in ``$GITHUB_WORKSPACE``, with the job's environment, ``GITHUB_ACTION_PATH`` and
  the step's ``env:``, and fresh ``$GITHUB_OUTPUT``, ``$GITHUB_STEP_SUMMARY``,
  ``$GITHUB_ENV``, ``$GITHUB_PATH`` files, read back after the step (outputs into
  ``steps.<id>.outputs``, the summary appended to the job's);
* a ``uses:`` step cannot run here (no network, no Node): the test passes a handler per
  action that checks its evaluated ``with:`` and does what the action would to the job
  (setup-python: put a Python first on PATH). An action without a handler raises.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anchor.ci.outputs import parse_github_file


class Unsupported(Exception):
    """An expression form or a step kind this stand-in does not implement."""


# --------------------------------------------------------------------------- expressions

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>&&|\|\||==|!=|[!().])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*)|(?P<bad>\S))"
)
_CONTEXTS = ("inputs", "github", "steps", "env", "runner")
_STATUS = ("success", "always", "failure", "cancelled")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.lastgroup == "bad":
            raise Unsupported(f"cannot read expression {text!r} at {pos}")
        out.append((m.lastgroup or "", m.group(m.lastgroup or 0)))
        pos = m.end()
    return out


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text == "":
        return 0.0
    try:
        return float(text)
    except ValueError:
        return float("nan")


def equal(a: Any, b: Any) -> bool:
    """GitHub's ``==``: strings ignore case; other pairs of different types compare as numbers."""
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if type(a) is type(b) and not isinstance(a, str):
        return bool(a == b)
    return _number(a) == _number(b)


def truthy(value: Any) -> bool:
    """false, 0, -0, '', null are falsy; anything else is truthy."""
    return not (value is None or value is False or value == "" or value == 0)


def as_string(value: Any) -> str:
    """How a value is pasted into a string: null '', booleans 'true'/'false'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class Status:
    """What the status functions see: did a step before this one fail."""

    failed: bool = False


class _Parser:
    def __init__(self, text: str, contexts: Mapping[str, Any], status: Status) -> None:
        self.tokens = _tokens(text)
        self.i = 0
        self.contexts = contexts
        self.status = status
        self.used_status = False

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise Unsupported(f"expected {value!r}, got {token!r}")
        self.i += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise Unsupported(f"unexpected {self.peek()!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.eq()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.eq()
            value = right if truthy(value) else value
        return value

    def eq(self) -> Any:
        value = self.unary()
        while self.peek() in (("op", "=="), ("op", "!=")):
            op = self.take()[1]
            right = self.unary()
            value = equal(value, right) if op == "==" else not equal(value, right)
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if (kind, text) == ("op", "("):
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise Unsupported(f"unexpected {text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek() == ("op", "("):
            if text not in _STATUS:
                raise Unsupported(f"function {text}()")
            self.take("(")
            self.take(")")
            self.used_status = True
            return {
                "success": not self.status.failed,
                "always": True,
                "failure": self.status.failed,
                "cancelled": False,
            }[text]
        if text not in _CONTEXTS:
            raise Unsupported(f"context {text!r}")
        value: Any = self.contexts.get(text, {})
        while self.peek() == ("op", "."):
            self.take()
            kind, prop = self.take()
            if kind != "name":
                raise Unsupported(f"property {prop!r}")
            value = value.get(prop) if isinstance(value, Mapping) else None
        return value


def evaluate(text: str, contexts: Mapping[str, Any], status: Status | None = None) -> Any:
    """The value of one expression (the text inside ``${{ }}``)."""
    return _Parser(text, contexts, status or Status()).parse()


_TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def interpolate(text: str, contexts: Mapping[str, Any]) -> str:
    """``text`` with every ``${{ expr }}`` replaced by the value's string form."""
    if "${{" in _TEMPLATE.sub("", text):
        raise Unsupported(f"unterminated expression in {text!r}")
    return _TEMPLATE.sub(lambda m: as_string(evaluate(m.group(1), contexts)), text)


def condition(text: str | bool | None, contexts: Mapping[str, Any], status: Status) -> bool:
    """Whether a step with ``if: text`` runs."""
    if text is None:
        return not status.failed
    if isinstance(text, bool):
        return text and not status.failed
    expr = text.strip()
    whole = _TEMPLATE.fullmatch(expr)
    if whole:
        expr = whole.group(1)
    elif "${{" in expr:
        raise Unsupported(f"if: with a partial expression: {text!r}")
    parser = _Parser(expr, contexts, status)
    value = truthy(parser.parse())
    return value if parser.used_status else (value and not status.failed)


# --------------------------------------------------------------------------- the runner


@dataclass
class StepRun:
    """One step as it ran (or was skipped)."""

    index: int
    id: str | None
    name: str
    outcome: str  # success, failure, skipped
    exit_code: int | None = None
    script: str = ""
    env: dict[str, str] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    output_text: str = ""  # the GITHUB_OUTPUT file as the step left it
    summary: str = ""
    with_: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    """The composite action's steps, its evaluated outputs and the job summary it added."""

    steps: list[StepRun]
    outputs: dict[str, str]
    summary: str

    def step(self, id_or_name: str) -> StepRun:
        """The step with this id, else this name."""
        for s in self.steps:
            if id_or_name in (s.id, s.name):
                return s
        raise KeyError(id_or_name)


UsesHandler = Callable[[StepRun, dict[str, str]], None]
"""Stands in for a ``uses:`` action: gets the step and the job environment (to change PATH)."""


def _inputs(
    action: Mapping[str, Any], given: Mapping[str, str], contexts: dict[str, Any]
) -> dict[str, str]:
    values = {}
    for name, spec in (action.get("inputs") or {}).items():
        if name in given:
            values[name] = given[name]
        else:
            values[name] = interpolate(str(spec.get("default", "")), contexts)
    unknown = set(given) - set(values)
    if unknown:
        raise Unsupported(f"inputs the action does not declare: {sorted(unknown)}")
    return values


def run_composite(
    action: Mapping[str, Any],
    *,
    action_path: Path,
    workspace: Path,
    runner_temp: Path,
    inputs: Mapping[str, str],
    job_env: Mapping[str, str],
    github: Mapping[str, Any],
    uses: Mapping[str, UsesHandler],
    timeout: float = 120,
) -> ActionRun:
    """Run ``action`` (a parsed action.yml with ``runs.using: composite``) as the runner would."""
    if action.get("runs", {}).get("using") != "composite":
        raise Unsupported("only composite actions")
    env = dict(job_env)
    steps_ctx: dict[str, Any] = {}
    contexts: dict[str, Any] = {
        "github": {**github, "action_path": str(action_path)},
        "steps": steps_ctx,
        "env": env,
        "runner": {"temp": str(runner_temp), "os": "Linux"},
    }
    contexts["inputs"] = _inputs(action, inputs, contexts)
    status, runs, summary = Status(), [], ""
    for index, spec in enumerate(action["runs"]["steps"]):
        step = StepRun(index, spec.get("id"), spec.get("name", f"step {index}"), "skipped")
        runs.append(step)
        known = {"name", "id", "if", "shell", "run", "env", "uses", "with", "working-directory"}
        if set(spec) - known:
            raise Unsupported(f"step keys {sorted(set(spec) - known)}")
        if condition(spec.get("if"), contexts, status):
            step_env = {
                k: interpolate(str(v), contexts) for k, v in (spec.get("env") or {}).items()
            }
            if "uses" in spec:
                step.with_ = {
                    k: interpolate(str(v), contexts) for k, v in (spec.get("with") or {}).items()
                }
                handler = next((h for prefix, h in uses.items() if spec["uses"] == prefix), None)
                if handler is None:
                    raise Unsupported(f"no stand-in for uses: {spec['uses']}")
                handler(step, env)
                step.outcome = "success"
            else:
                if spec.get("shell") != "bash":
                    raise Unsupported("run steps with shell: bash only")
                summary += _run_step(step, spec, contexts, env, step_env, action_path, workspace, runner_temp, timeout)  # fmt: skip
            if step.outcome == "failure":
                status.failed = True
        if step.id:
            steps_ctx[step.id] = {
                "outputs": step.outputs,
                "outcome": step.outcome,
                "conclusion": step.outcome,
            }
    outputs = {
        name: interpolate(str(spec.get("value", "")), contexts)
        for name, spec in (action.get("outputs") or {}).items()
    }
    return ActionRun(runs, outputs, summary)


def _run_step(
    step: StepRun,
    spec: Mapping[str, Any],
    contexts: Mapping[str, Any],
    env: dict[str, str],
    step_env: Mapping[str, str],
    action_path: Path,
    workspace: Path,
    runner_temp: Path,
    timeout: float,
) -> str:
    """Run one ``run:`` step; returns what it added to the job summary."""
    step.script = interpolate(str(spec["run"]), contexts)
    commands = runner_temp / "_runner_file_commands"
    commands.mkdir(parents=True, exist_ok=True)
    files = {}
    for kind in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH"):
        files[kind] = commands / f"{kind.lower()}_{uuid.uuid4()}"
        files[kind].write_text("")
    script = runner_temp / f"{uuid.uuid4()}.sh"
    script.write_text(step.script)
    step.env = {**env, "GITHUB_ACTION_PATH": str(action_path), **{k: str(v) for k, v in files.items()}, **step_env}  # fmt: skip
    cwd = workspace / spec.get("working-directory", ".")
    r = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd, env=step.env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    step.exit_code, step.stdout, step.stderr = r.returncode, r.stdout, r.stderr
    step.outcome = "success" if r.returncode == 0 else "failure"
    step.output_text = files["GITHUB_OUTPUT"].read_text()
    step.outputs = parse_github_file(step.output_text)
    env.update(parse_github_file(files["GITHUB_ENV"].read_text()))
    added = [p for p in files["GITHUB_PATH"].read_text().splitlines() if p]
    if added:
        env["PATH"] = os.pathsep.join([*reversed(added), env.get("PATH", "")])
    step.summary = files["GITHUB_STEP_SUMMARY"].read_text()
    return step.summary
