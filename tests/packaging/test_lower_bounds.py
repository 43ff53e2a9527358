"""constraints-lower.txt pins every direct dependency of pyproject.toml (runtime and the dev
extra) at exactly its lower bound, so `make test-lower` tests the bounds we declare."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import REPO


def _declared() -> dict[str, Version]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    lower: dict[str, Version] = {}
    for line in lines:
        req = Requirement(line)
        bounds = [Version(s.version) for s in req.specifier if s.operator == ">="]
        assert len(bounds) == 1, f"{line}: every direct dependency needs one '>=' lower bound"
        name = canonicalize_name(req.name)
        assert lower.setdefault(name, bounds[0]) == bounds[0], f"{name}: two lower bounds"
    return lower


def _pinned() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for raw in (REPO / "constraints-lower.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{raw!r}: pins are name==version"
            pins[canonicalize_name(name)] = Version(version)
    return pins


def test_every_direct_dependency_is_pinned_at_its_lower_bound() -> None:
    assert _pinned() == _declared()
