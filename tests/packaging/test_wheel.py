"""The package round trip (issue 13): `python -m build` gives an sdist and a wheel built from
that sdist, `twine check --strict` passes, the wheel installs into a fresh venv and works from
another folder with no repository on sys.path (`anchor --version`, the README's demo loop on a
devnet, the report page), `pipx install` of the wheel works, and a wheel built with no C
compiler falls back to hashlib with the same bundle bytes.

Everything happens in tmp_path, from a copy of the repository's files (tracked and new, not
ignored), so the repository is never written. pip uses the machine's index and cache as usual,
with constraints.txt, so the versions are the pinned ones. About 45 s.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from anchor import __version__
from anchor.cli.main import version_text
from tests.conftest import REPO
from tests.packaging._tree import copy_sources

pytestmark = pytest.mark.slow

NAME = f"evidence_anchor-{__version__}"
PAGE = ("report.css", "report.html", "report.js")


def _run(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    r = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert r.returncode == 0, f"{args}: exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout


def _clean_env() -> dict[str, str]:
    """The environment less anything that would put this repository or its venv in reach."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_CONSTRAINT"] = str(REPO / "constraints.txt")
    return env


def _c_compiler() -> bool:
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(os.environ.get("CC", cc).split()[0]) is not None


def _bundle_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_build_twine_install_pipx_and_no_compiler_fallback(tmp_path: Path) -> None:
    env = _clean_env()
    src = copy_sources(tmp_path / "src")
    dist = tmp_path / "dist"

    # 1. sdist, then the wheel built from the unpacked sdist (build's default), twine check.
    _run([sys.executable, "-m", "build", "--outdir", dist, src], cwd=tmp_path, env=env)
    sdist, wheel = dist / f"{NAME}.tar.gz", next(dist.glob(f"{NAME}-*.whl"))
    assert sorted(p.name for p in dist.iterdir()) == sorted([sdist.name, wheel.name])
    checked = _run(
        [sys.executable, "-m", "twine", "check", "--strict", *sorted(dist.iterdir())],
        cwd=tmp_path,
        env=env,
    )
    assert checked.count("PASSED") == 2, checked

    with tarfile.open(sdist) as tar:
        in_sdist = {n.removeprefix(f"{NAME}/") for n in tar.getnames()}
    wanted = {"setup.py", "pyproject.toml", "README.md", "anchor/_blake2b.c", "anchor/_blake2b.pyi"}
    wanted |= {"anchor/py.typed", *(f"anchor/attest/page/{p}" for p in PAGE)}
    assert wanted <= in_sdist, wanted - in_sdist
    with zipfile.ZipFile(wheel) as zf:
        in_wheel = set(zf.namelist())
    assert {
        "anchor/_blake2b.pyi",
        "anchor/py.typed",
        *(f"anchor/attest/page/{p}" for p in PAGE),
    } <= in_wheel
    assert "anchor/label309/standard.py" in in_wheel
    assert not {n for n in in_wheel if n.endswith(".c") or n.startswith("tests/")}
    native = [n for n in in_wheel if n.startswith("anchor/_blake2b.") and n.endswith(".so")]
    assert len(native) == (1 if _c_compiler() else 0), native

    # 2. A fresh venv, the wheel and its dependencies, used from a folder with no anchor in it.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp_path, env=env)
    vpy, vanchor = venv / "bin" / "python", venv / "bin" / "anchor"
    started = time.monotonic()
    _run([vpy, "-m", "pip", "install", "--quiet", wheel], cwd=tmp_path, env=env)
    install_seconds = time.monotonic() - started
    site = tmp_path / "site"
    (site / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "demo.sh", site / "scripts" / "demo.sh")
    shutil.copytree(REPO / "fixtures" / "sample-release", site / "fixtures" / "sample-release")

    assert _run([vanchor, "--version"], cwd=site, env=env) == version_text() + "\n"
    where = _run(
        [vpy, "-c", "import anchor, anchor.blake2 as b; print(anchor.__file__, b.IMPLEMENTATION)"],
        cwd=site,
        env=env,
    )
    path, implementation = where.split()
    assert Path(path).is_relative_to(venv), path
    assert implementation.startswith("native-" if native else "hashlib"), implementation

    # The README's demo loop, on a devnet, with the installed `anchor` and its python.
    demo = tmp_path / "demo"
    out = _run(
        ["bash", site / "scripts" / "demo.sh"],
        cwd=site,
        env={**env, "ANCHOR": str(vanchor), "PY": str(vpy), "DEMO_OUT": str(demo)},
    )
    assert "exit code: 1 (1 = failed, as expected)" in out
    assert json.loads((demo / "report.json").read_bytes())["verdict"] == "valid"
    # The report page: its assets come from the wheel's package data.
    _run(
        [
            vanchor,
            "report",
            demo / "release" / "attestations",
            "-o",
            tmp_path / "page",
            "--trust-root",
            demo / "trust-root.json",
            "--evidence",
            demo / "evidence",
            "--network",
            "devnet",
        ],
        cwd=site,
        env=env,
    )
    assert (tmp_path / "page" / "index.html").stat().st_size > 0

    release = site / "fixtures" / "sample-release"
    collect = [
        "collect",
        release,
        "--root",
        release,
        "--quiet",
        "--dual-hash",
        "--name",
        "demo",
        "--version",
        "1.0.0",
    ]
    _run([vanchor, *collect, "-o", tmp_path / "with-native"], cwd=site, env=env)

    # 3. pipx install of the same wheel, in its own home and bin folder.
    pipx_env = {
        **env,
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "pipx-bin"),
        "PIPX_MAN_DIR": str(tmp_path / "pipx-man"),
    }
    _run([sys.executable, "-m", "pipx", "install", wheel], cwd=tmp_path, env=pipx_env)
    assert (
        _run([tmp_path / "pipx-bin" / "anchor", "--version"], cwd=site, env=env)
        == version_text() + "\n"
    )

    # 4. No C compiler: the optional extension is left out, hashlib gives the same bundle bytes.
    unpacked = tmp_path / "unpacked"
    with tarfile.open(sdist) as tar:
        tar.extractall(unpacked, filter="data")
    nocc = tmp_path / "dist-nocc"
    _run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", nocc, unpacked / NAME],
        cwd=tmp_path,
        env={**env, "CC": "false"},
    )
    (plain,) = nocc.glob("*.whl")
    with zipfile.ZipFile(plain) as zf:
        assert not [n for n in zf.namelist() if n.endswith(".so")]
    _run(
        [vpy, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", plain],
        cwd=tmp_path,
        env=env,
    )
    fallback = _run(
        [vpy, "-c", "import anchor.blake2 as b; print(b.IMPLEMENTATION)"], cwd=site, env=env
    )
    assert fallback == "hashlib\n"
    _run([vanchor, *collect, "-o", tmp_path / "with-hashlib"], cwd=site, env=env)
    assert _bundle_bytes(tmp_path / "with-hashlib") == _bundle_bytes(tmp_path / "with-native")

    print(
        f"wheel {wheel.name}: {wheel.stat().st_size} bytes, sdist {sdist.stat().st_size} bytes, pip install {install_seconds:.1f} s"
    )
