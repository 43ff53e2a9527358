"""The two ways a CI job hands values to what runs after it, as text.

* GitHub Actions: ``$GITHUB_OUTPUT`` (and ``$GITHUB_ENV``) take ``name<<DELIMITER``, the
  value's lines, then ``DELIMITER`` alone on a line: the syntax GitHub documents for
  multiline values, which holds any value. :func:`github_output` always uses it (as
  GitHub's own toolkit does), with a fresh random delimiter that must not occur in the
  value; :func:`parse_github_file` reads such a file back, both forms, as the runner does.
* GitLab CI: an ``artifacts:reports:dotenv`` file is ``NAME=value`` lines and nothing else.
  GitLab accepts no newline, no quoting and no surrounding space in a value, no empty
  line, no comment, names of ASCII letters, digits and ``_``, at most 5 KiB: a value
  that cannot be written that way is refused (:class:`DotenvValueError`), never mangled.

Pure: no I/O, no environment.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

from anchor.errors import InputError

_GITHUB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_DOTENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# printable ASCII without space, quotes, '#' (a comment), '$' and backslash (expansion)
_DOTENV_VALUE = re.compile(r"^[!%&(-\[\]-~]*$")
DOTENV_MAX_BYTES = 5 * 1024


class DotenvValueError(InputError):
    """A value that GitLab's dotenv report cannot carry as it is (exit 4)."""


def new_delimiter() -> str:
    """A delimiter no value contains by chance: ``ghadelimiter_`` and a random UUID."""
    return f"ghadelimiter_{uuid.uuid4()}"


def github_output(name: str, value: str, *, delimiter: str | None = None) -> str:
    """One ``$GITHUB_OUTPUT`` entry for ``name``: ``name<<D``, ``value``, ``D``, each ending in ``\\n``.

    ValueError for a name GitHub would not take, and for a delimiter found in the name or
    the value (the entry would end early and the rest be read as other outputs).
    """
    if not _GITHUB_NAME.match(name):
        raise ValueError(f"not an output name: {name!r}")
    mark = delimiter or new_delimiter()
    if mark in value or mark in name or "\n" in mark:
        raise ValueError("the delimiter occurs in the value")
    return f"{name}<<{mark}\n{value}\n{mark}\n"


def parse_github_file(text: str) -> dict[str, str]:
    """The values of a ``$GITHUB_OUTPUT``/``$GITHUB_ENV`` file, read as the runner reads it.

    ``name=value`` lines and ``name<<DELIMITER`` blocks; a later entry wins. ValueError
    for a line that is neither, and for a block whose delimiter line never comes.
    """
    values: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i].removesuffix("\r")
        i += 1
        if not line:
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if eq >= 0 and (heredoc < 0 or eq < heredoc):
            values[line[:eq]] = line[eq + 1 :]
            continue
        if heredoc <= 0:
            raise ValueError(f"invalid line {line!r}")
        name, mark = line[:heredoc], line[heredoc + 2 :]
        body: list[str] = []
        while i < len(lines) and lines[i].removesuffix("\r") != mark:
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f"no closing delimiter for {name!r}")
        i += 1
        values[name] = "\n".join(body)
    return values


def dotenv_check(name: str, value: str) -> None:
    """DotenvValueError unless ``NAME=value`` is a line GitLab's dotenv report reads back as is."""
    if not _DOTENV_NAME.match(name):
        raise DotenvValueError(f"{name!r} is not a dotenv variable name")
    if not _DOTENV_VALUE.match(value):
        raise DotenvValueError(
            f"the value of {name} cannot go into GitLab's dotenv report: it must be printable "
            "ASCII without spaces, quotes, '#', '$' or backslashes"
        )


def dotenv_text(values: Mapping[str, str]) -> str:
    """The dotenv report for ``values`` (in the order given), checked line by line and in size."""
    lines = []
    for name, value in values.items():
        dotenv_check(name, value)
        lines.append(f"{name}={value}\n")
    text = "".join(lines)
    if len(text.encode("ascii")) > DOTENV_MAX_BYTES:
        raise DotenvValueError(f"the dotenv report would exceed GitLab's {DOTENV_MAX_BYTES} bytes")
    return text


def parse_dotenv(text: str) -> dict[str, str]:
    """The variables of a dotenv report written by :func:`dotenv_text` (ValueError otherwise)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if not sep or not _DOTENV_NAME.match(name):
            raise ValueError(f"invalid dotenv line {line!r}")
        values[name] = value
    return values
