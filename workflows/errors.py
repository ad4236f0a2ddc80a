"""Errors of the domain; the edges (CLI, API) map them to exit codes and statuses."""

from __future__ import annotations

from dataclasses import dataclass

QUOTE_LIMIT = 40


def quoted(raw: object, limit: int = QUOTE_LIMIT) -> str:
    """What a person typed, quoted for an error: at most a short prefix of it."""
    if not isinstance(raw, str):
        raw = repr(raw)
        return raw if len(raw) <= limit else f"{raw[:limit]}... ({len(raw)} characters)"
    if len(raw) <= limit:
        return repr(raw)
    return f"{raw[:limit]!r}... ({len(raw)} characters)"


class ShoplinkError(Exception):
    """Something went wrong in shoplink."""

    code = "internal"
    exit_code = 1

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0])


class BadInput(ShoplinkError):
    """The input is not valid."""

    code = "bad_input"
    exit_code = 2


class NotFound(ShoplinkError):
    """Not found."""

    code = "not_found"
    exit_code = 3


class Unauthorized(ShoplinkError):
    """No valid bearer token: give `Authorization: Bearer TOKEN`."""

    code = "unauthorized"
    exit_code = 2


class IdempotencyKeyReused(ShoplinkError):
    """This Idempotency-Key was first used for another request: use a new key."""

    code = "idempotency_key_reused"
    exit_code = 2


class SchemaOutdated(ShoplinkError):
    """The database schema is not current: run `shoplink db upgrade`."""

    code = "bad_input"
    exit_code = 2


@dataclass(frozen=True)
class Violation:
    """One failed rule: its code and a sentence that says why."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class Refused(ShoplinkError):
    """Refused by a linking rule or by the link's state."""

    exit_code = 4

    def __init__(self, violations: list[Violation], link: dict | None = None) -> None:
        self.violations = list(violations)
        self.link = link
        prefix = f"link {link['id']} rejected: " if link else ""
        super().__init__(prefix + "; ".join(v.message for v in self.violations))

    @property
    def code(self) -> str:  # type: ignore[override]
        return self.violations[0].code

    @classmethod
    def one(cls, code: str, message: str) -> Refused:
        return cls([Violation(code, message)])
