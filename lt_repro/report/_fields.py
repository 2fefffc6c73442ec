"""The field checks shared by the YAML loaders of the report (claims, layouts)."""
from __future__ import annotations

from typing import Sequence


def field_problem(raw, required: Sequence[str], optional: Sequence[str]) -> str | None:
    """What is wrong with the keys of a mapping read from YAML, as a message with its fix; None if nothing."""
    if not isinstance(raw, dict):
        return f"must be a mapping with {', '.join(required)}, got {raw!r}."
    missing = [k for k in required if k not in raw]
    unknown = sorted(map(str, set(raw) - set(required) - set(optional)))
    if not (missing or unknown):
        return None
    return (f"missing field(s) {', '.join(missing) or '-'}, unknown field(s) {', '.join(unknown) or '-'}. "
            f"Fix: allowed fields are {', '.join(list(required) + list(optional))}.")


class FieldChecks:
    """One loader's checks; each raises that loader's error class, prefixed with the place in the file."""

    def __init__(self, error: type[Exception]):
        self.error = error

    def err(self, where: str, what: str) -> Exception:
        return self.error(f"{where}: {what}")

    def keys(self, where: str, raw, required: Sequence[str], optional: Sequence[str]) -> None:
        if (problem := field_problem(raw, required, optional)) is not None:
            raise self.err(where, problem)

    def text(self, where: str, value) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.err(where, f"must be a non-empty string, got {value!r}.")
        return value.strip()
