"""A problem collector with typed readers, so validation reports every error of a file at once."""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Sequence

from ..registry import did_you_mean
from .yamlsource import Located, Mark

__all__ = ["Checker", "INVALID", "describe"]


class _Invalid:
    """Marks a value that failed validation (its problem is already recorded)."""

    def __repr__(self) -> str:
        return "INVALID"

    def __bool__(self) -> bool:
        return False


INVALID: Any = _Invalid()


def describe(value: Any) -> str:
    """How a received value is shown in a message."""
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str):
        return repr(value)
    return repr(value)


class Checker:
    """Collects located problems; each reader returns the checked value or INVALID."""

    def __init__(self) -> None:
        self.problems: list[tuple[Mark, str]] = []
        self._lists: dict[tuple[Mark, str], str] = {}  # problem -> the list of known names it prints

    # -- recording -------------------------------------------------------------------------
    def fail(self, mark: Mark, path: str, message: str) -> Any:
        problem = (mark, _stored(path, message))
        if problem not in self.problems:  # a bad value every run inherits (top-level `training:`) is one mistake, one line
            self.problems.append(problem)
        return INVALID

    def said(self, mark: Mark, path: str) -> bool:
        """Whether a problem is recorded at this place already (a default every run inherits is one mistake)."""
        return any(m == mark and message.startswith(f"{path}: ") for m, message in self.problems)

    def expected(self, node: Located, path: str, what: str) -> Any:
        return self.fail(node.mark, path, f"expected {what}. Received: {describe(node.plain())}")

    def messages(self) -> list[str]:
        """Every problem as FILE:LINE:COL: message, in file order; a long list of known names is printed once, at its
        first problem, and the later ones point to it."""
        ordered = sorted(self.problems, key=lambda p: (p[0].line, p[0].col))
        shown: dict[str, int] = {}  # a list of names -> the line it was printed at
        out = []
        for mark, message in ordered:
            listed = self._lists.get((mark, message))
            if listed in shown:
                message = message.replace(f"known: {listed}.", f"known: as listed at line {shown[listed]}.", 1)
            elif listed:
                shown[listed] = mark.line
            out.append(f"{mark}: {message}")
        return out

    # -- containers ------------------------------------------------------------------------
    def mapping(
        self,
        node: Located,
        path: str,
        allowed: Iterable[str] | None = None,
        required: Sequence[str] = (),
        what: str = "a mapping",
    ) -> dict[str, Located] | Any:
        if not isinstance(node.value, dict):
            return self.expected(node, path, what)
        if allowed is not None:
            allowed = list(allowed)
            for key in node.value:
                if key not in allowed:
                    mark = node.key_marks[key] if node.key_marks else node.mark
                    known = ", ".join(allowed)
                    self.fail(mark, _join(path, key), f"unknown key '{key}'; expected one of: {known}.{did_you_mean(key, allowed)}")
        for key in required:
            if key not in node.value:
                self.fail(node.mark, path, f"missing required key '{key}'")
        return {k: v for k, v in node.value.items() if allowed is None or k in allowed}

    def sequence(self, node: Located, path: str, what: str = "a list", allow_empty: bool = True) -> list[Located] | Any:
        if not isinstance(node.value, list):
            return self.expected(node, path, what)
        if not node.value and not allow_empty:
            return self.expected(node, path, "a non-empty list")
        return node.value

    def single_key(self, node: Located, path: str, what: str) -> tuple[str, Located | None] | Any:
        """A `Name` string or a one-key mapping `{Name: args}` (how layers, callbacks and blocks are written)."""
        if isinstance(node.value, str):
            return node.value, None
        if isinstance(node.value, dict) and len(node.value) == 1:
            (name, args), = node.value.items()
            return name, args
        return self.expected(node, path, what)

    # -- scalars ---------------------------------------------------------------------------
    def string(self, node: Located, path: str, non_empty: bool = True) -> str | Any:
        if not isinstance(node.value, str) or (non_empty and not node.value.strip()):
            return self.expected(node, path, "a non-empty text" if non_empty else "a text")
        return node.value

    def text(self, node: Located, path: str) -> str | Any:
        """Free text a person writes (a title, a group, an author): a number is taken as written (`group: 42`)."""
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return str(node.value)
        return self.string(node, path)

    def boolean(self, node: Located, path: str) -> bool | Any:
        if not isinstance(node.value, bool):
            return self.expected(node, path, "true or false")
        return node.value

    def integer(self, node: Located, path: str, minimum: int | None = None, maximum: int | None = None) -> int | Any:
        value = node.value
        ok = isinstance(value, int) and not isinstance(value, bool)
        ok = ok and (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
        if not ok:
            return self.expected(node, path, _int_words(minimum, maximum))
        return value

    def number(
        self, node: Located, path: str, minimum: float | None = None, maximum: float | None = None, exclusive_min: bool = False
    ) -> float | Any:
        value = node.value
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)  # 1e400 is inf
        if ok and minimum is not None:
            ok = value > minimum if exclusive_min else value >= minimum
        ok = ok and (maximum is None or value <= maximum)
        if not ok:
            low = "" if minimum is None else (f" > {minimum}" if exclusive_min else f" >= {minimum}")
            high = "" if maximum is None else f" <= {maximum}"
            return self.expected(node, path, f"a number{low}{' and' if low and high else ''}{high}")
        return float(value) if isinstance(value, float) else value

    def choice(self, node: Located, path: str, choices: Sequence[Any], what: str = "one of") -> Any:
        if not any(node.value == c and type(node.value) is type(c) for c in choices):
            shown = ", ".join(repr(c) if isinstance(c, str) else str(c) for c in choices)
            hint = did_you_mean(node.value, [str(c) for c in choices]) if isinstance(node.value, str) else ""
            return self.fail(node.mark, path, f"expected {what} {shown}. Received: {describe(node.plain())}.{hint}".rstrip("."))
        return node.value

    def name_in(self, node: Located, path: str, known: Sequence[str], kind: str) -> str | Any:
        """A reference to a known name: unknown names get the 'known: ...' list and a did-you-mean."""
        if not isinstance(node.value, str):
            return self.expected(node, path, f"the name of a {kind}")
        if node.value not in known:
            listed = ", ".join(known) if known else "(none declared)"
            message = f"unknown {kind} '{node.value}'; known: {listed}.{did_you_mean(node.value, list(known))}"
            self.fail(node.mark, path, message)
            if len(known) > 8:  # printed once per file; short lists are clearer repeated
                self._lists[(node.mark, _stored(path, message))] = listed
            return INVALID
        return node.value

    def each(self, nodes: list[Located], path: str, read: Callable[[Located, str], Any]) -> list[Any]:
        return [read(item, f"{path}[{i}]") for i, item in enumerate(nodes)]


def _stored(path: str, message: str) -> str:
    """A problem as recorded: 'runs.a.model[0]: unknown layer ...'."""
    return f"{path}: {message}" if path else message


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _int_words(minimum: int | None, maximum: int | None) -> str:
    if minimum == 1 and maximum is None:
        return "a positive integer"
    if minimum == 0 and maximum is None:
        return "a non-negative integer"
    if minimum is not None and maximum is not None:
        return f"an integer from {minimum} to {maximum}"
    if minimum is not None:
        return f"an integer >= {minimum}"
    return "an integer"

