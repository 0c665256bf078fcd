"""Why an upload was not kept: the file was refused, or it could not be stored."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from bolashaq.core.errors import DomainError


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a file was refused: a stable ``code`` and its ``message`` for the user."""

    code: str
    message: str


class DocumentRefused(DomainError):
    """The file's content is not acceptable. ``problems`` says why, one message per problem,
    in the language of the user who uploaded it."""

    code = "document_refused"
    status = 422

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))

    @property
    def messages(self) -> list[str]:
        return [p.message for p in self.problems]


class DocumentNotStored(DomainError):
    """Storage failed (a full disk, object storage unreachable); nothing was kept."""

    code = "storage_failed"
    status = 503

    def __init__(self) -> None:
        super().__init__(
            _(
                "The file could not be stored, so nothing was saved. "
                "Please try again in a few minutes."
            )
        )
