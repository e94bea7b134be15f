"""The hotline's one error hierarchy: every error the project raises derives from `HotlineError`.

The families say what went wrong, so a caller can catch a kind of failure without knowing each
module's classes:

    HotlineError
    ├── NotFoundError        the thing named does not exist (a case, an article, a history)
    ├── RefusedError         a step or input the rules do not allow; the message says why
    ├── ConflictError        the store holds something else already, or not yet
    ├── UnavailableError     a service the hotline depends on cannot be reached
    ├── ConfigurationError   a configured file or value cannot be used
    └── BadDataError         data read or received is not what it must be

Each concrete class keeps the builtin base it always had (ValueError, LookupError,
RuntimeError) as a second base, so `except ValueError` around older callers still catches it.
A class raised inside an activity reaches the workflow as an ApplicationError whose `type` is
the class's name (`SomeError.__name__`), which is also what a workflow matches on.

The case errors of the service layer live here too, because the store below it raises
`CaseNotFoundError` as well: one class, whoever finds the case missing.
"""

from __future__ import annotations

from typing import Final


class HotlineError(Exception):
    """Base of every error the hotline raises."""


class NotFoundError(HotlineError):
    """The case, article, history or other thing named does not exist."""


class RefusedError(HotlineError):
    """A step or input the rules refuse; the message says why."""


class ConflictError(HotlineError):
    """What is stored conflicts with the write, or what it needs is not stored yet."""


class UnavailableError(HotlineError):
    """A service the hotline depends on (Temporal, the database) cannot be reached."""


class ConfigurationError(HotlineError):
    """A configured file or value cannot be used; the message names it."""


class BadDataError(HotlineError):
    """Data read or received is malformed or inconsistent."""


class CaseActionError(HotlineError):
    """A step, signal or read on a case that cannot be done; the message is one clear line."""


class CaseNotFoundError(CaseActionError, NotFoundError, LookupError):
    """No case with that number (no workflow, or no projection row)."""


# The `type` of an ApplicationError as it crosses Temporal, matched by these names and never by
# literals. Each value is recorded in histories, so it never changes; where a class raises it,
# the value is that class's name (a test keeps the two equal).
STEP_REFUSED: Final = "StepRefused"
"""An Update's validator refused the step; the case is as it was."""
FAULT_RETRY_FAILED: Final = "FaultRetryFailed"
"""A `retry_faults` Update whose transitions still cannot be recorded."""
NO_ROUTE: Final = "NoRouteError"
"""`rules.dispatch.NoRouteError`: neither the intake nor the catalogue names a lead department."""
ARCHIVE_CONFLICT: Final = "ArchiveConflictError"
"""`db.archive_store.ArchiveConflictError`: another archive of the case is stored already."""
ARTICLE_CONFLICT: Final = "ArticleConflictError"
"""`knowledge.articles.ArticleConflictError`: the version was decided or superseded meanwhile."""
ARTICLE_NOT_FOUND: Final = "ArticleNotFoundError"
"""`knowledge.articles.ArticleNotFoundError`: no such article or version."""
