"""The failure types matched across Temporal are the names of the classes that raise them."""

from __future__ import annotations

from db.archive_store import ArchiveConflictError
from knowledge.articles import ArticleConflictError, ArticleNotFoundError
from models import errors
from rules.dispatch import NoRouteError


def test_each_failure_type_is_the_name_of_its_class() -> None:
    assert NoRouteError.__name__ == errors.NO_ROUTE
    assert ArchiveConflictError.__name__ == errors.ARCHIVE_CONFLICT
    assert ArticleConflictError.__name__ == errors.ARTICLE_CONFLICT
    assert ArticleNotFoundError.__name__ == errors.ARTICLE_NOT_FOUND


def test_the_recorded_type_names_never_change() -> None:
    # These strings are in recorded histories; a new value would stop old cases matching.
    assert (errors.STEP_REFUSED, errors.FAULT_RETRY_FAILED) == ("StepRefused", "FaultRetryFailed")


def test_every_project_error_derives_from_the_one_base() -> None:
    for cls in (NoRouteError, ArchiveConflictError, ArticleConflictError, ArticleNotFoundError):
        assert issubclass(cls, errors.HotlineError)
    assert issubclass(errors.CaseNotFoundError, errors.NotFoundError)
    assert issubclass(errors.CaseNotFoundError, LookupError)


def test_no_error_class_outside_the_hierarchy() -> None:
    import importlib
    import inspect
    import pkgutil

    packages = [
        *("models", "rules", "db", "settings", "connection", "security", "knowledge"),
        *("evaluation", "activities", "workflows", "audit", "services", "api", "workers", "cli"),
    ]
    outside: list[str] = []
    for package in packages:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            module = importlib.import_module(info.name)
            for name, cls in inspect.getmembers(module, inspect.isclass):
                own = cls.__module__ == module.__name__
                if (
                    own
                    and issubclass(cls, BaseException)
                    and not issubclass(cls, errors.HotlineError)
                ):
                    outside.append(f"{module.__name__}.{name}")
    assert outside == []
