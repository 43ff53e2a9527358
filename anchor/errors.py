"""The one root error of evidence-anchor and its exit-code families.

Every failure the tool reports to a user is an :class:`AnchorError`. Layers raise
typed subclasses that live beside the code that raises them; foreign exceptions
(cbor2, nacl, blockfrost, httpx, OS errors) are wrapped where they enter with
``raise SomeAnchorError(...) from exc``. The CLI catches the root once, prints
:meth:`AnchorError.diagnostics` on one line and exits with :attr:`exit_code`.

    AnchorError                       exit 4 unless a subclass says otherwise
    ├── InputError                    4   bad flag, unreadable or malformed input file
    ├── Label309Error                 4   a rule of the standard, with its registry code
    └── EnvironmentFailure            5   outside verification: funds, provider, lock

Exit codes 0-3 belong to verify verdicts (valid, failed, unverifiable, pending) and
are never produced by an exception.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNVERIFIABLE = 2
EXIT_PENDING = 3
EXIT_INPUT = 4
EXIT_ENVIRONMENT = 5


class AnchorError(Exception):
    """Root of every error the tool presents to a user.

    ``message`` is one human line and must never contain secret material.
    """

    exit_code: int = EXIT_INPUT

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """One line for the terminal: the message, then the hint if any."""
        text = " ".join(self.message.split())
        if self.hint:
            text += f" ({' '.join(self.hint.split())})"
        return text


class InputError(AnchorError):
    """Usage or input error: a bad flag, an unreadable or malformed input file (exit 4)."""

    exit_code = EXIT_INPUT


class Label309Error(AnchorError):
    """A rule of the Label 309 standard was broken; ``code`` is the registry or construction code."""

    exit_code = EXIT_INPUT

    def __init__(self, code: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{code}: {message}", hint=hint)
        self.code = code
        self.detail = message


class EnvironmentFailure(AnchorError):
    """Failure of the world outside verification: no funds, provider refused or down (exit 5)."""

    exit_code = EXIT_ENVIRONMENT
