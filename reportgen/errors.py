"""The error hierarchy: user mistakes are ReportgenErrors, printed as one line, exit code 2."""

from __future__ import annotations

__all__ = ["ReportgenError", "SpecError", "DataError", "RunError", "RenderError"]


class ReportgenError(Exception):
    """A problem the user can fix; the CLI prints it without a traceback and exits 2."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if not self.hint:
            return self.message
        end = "" if self.message.rstrip().endswith((".", "!", "?", ":")) else "."  # a sentence ends before its hint
        return f"{self.message}{end} Hint: {self.hint}"


class SpecError(ReportgenError):
    """An experiment file is malformed; carries every problem found, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class DataError(ReportgenError):
    """A dataset cannot be found, read or prepared."""


class RunError(ReportgenError):
    """A run cannot be built or trained from its (valid) spec."""


class RenderError(ReportgenError):
    """A figure, table, template or output file cannot be produced."""
