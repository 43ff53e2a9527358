"""Text that is safe to show a person: control characters escaped, secrets never echoed.

Two guarantees, used by every human-readable line the tool writes (warnings, summary
rows, error lines, publish messages):

* :func:`printable` returns text with no character that a terminal would act on: C0
  controls (newline, carriage return, ESC, ...), DEL, C1 controls, and the Unicode
  bidirectional overrides and isolates, each replaced by a visible escape (``\\n``,
  ``\\r``, ``\\t``, ``\\x1b``, ``\\u202e``). A backslash is left as it is. A name with a
  newline therefore stays on its own line and can never print a fake row.
* :func:`shown_value` returns a command-line value ready to be echoed in an error, or,
  when the value looks like a secret (an ``l309-seed-`` string, a cardano-cli JSON
  envelope, 64 or more hex digits, a bech32 signing key such as ``ed25519_sk1...``), a
  fixed sentence that contains none of it (:data:`SECRET_VALUE`).

Pure: no I/O, importable from every layer.
"""

from __future__ import annotations

import re

SECRET_VALUE = (
    "the value given is not a file path "
    "(it looks like a secret: pass the file or the environment variable)"
)
"""What is said instead of echoing a value that looks like a secret."""

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Bidirectional formatting characters: embeddings and overrides (U+202A-U+202E), isolates
# (U+2066-U+2069), the marks (U+200E, U+200F, U+061C); plus the line and paragraph
# separators, which some terminals break lines on.
_BIDI = "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_SPACES = re.compile(" {2,}")
_UNSAFE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI}]")

_SECRET_PATTERNS = (
    re.compile(r"l309-seed-", re.IGNORECASE),  # the identity seed string
    re.compile(r"cborhex|signingkey|\"type\"\s*:", re.IGNORECASE),  # a cardano-cli envelope
    re.compile(r"^\s*[{\[]"),  # JSON where a path belongs
    re.compile(r"[0-9a-fA-F]{64}"),  # a raw key or seed in hex (also 5820 + 64 hex)
    # bech32 secret keys: ed25519_sk1..., ed25519e_sk1..., addr_xsk1..., acct_sk1...
    re.compile(r"[a-z0-9_]*_x?sk1[02-9ac-hj-np-z]{20,}", re.IGNORECASE),
)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control or bidi character replaced by a visible escape."""
    if text.isprintable():  # no control, format (bidi) or separator character but space
        return text
    return _UNSAFE.sub(_escape, text)


def looks_secret(value: str) -> bool:
    """True when ``value`` (a command-line value) looks like a seed or a signing key."""
    return any(pattern.search(value) for pattern in _SECRET_PATTERNS)


def shown_value(value: object) -> str:
    """``value`` as it may appear in an error line: escaped, or :data:`SECRET_VALUE`."""
    text = str(value)
    if looks_secret(text):
        return SECRET_VALUE
    return printable(text)


def one_line(text: str) -> str:
    """``text`` as one line: control characters escaped (see :func:`printable`), runs of
    spaces collapsed, no leading or trailing space."""
    return _SPACES.sub(" ", printable(text)).strip()
