"""Replaceable classes by import path: load one, and warn and fall back when it does not load.

The server (app.py) and the agent (runner/agent.py) both let an operator name the class of a
part (`c.StudioApp.executor_class = "pkg.mod.MyExecutor"`, `studio agent --executor-class ...`).
A name that does not import, or a class that does not fulfil the part's contract, must not take
the studio down: like papermill's engine registry and MLflow's store registry, it logs a warning
and the default is used instead.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from typing import Any, TypeVar

T = TypeVar("T")


def import_object(name: str) -> Any:
    """The object `pkg.mod.Name` (or `pkg.mod:Name`) names. Raises ImportError or AttributeError."""
    module_name, sep, attr = name.partition(":")
    if not sep:
        module_name, _, attr = name.rpartition(".")
    if not module_name or not attr:
        raise ImportError(f"{name!r} is not an import path like 'package.module.Class'")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def dotted_name(cls: type) -> str:
    """The import path of a class, as import_object takes it."""
    return f"{cls.__module__}.{cls.__qualname__}"


def check_class(value: Any, base: type | None = None, requires: Iterable[str] = ()) -> str | None:
    """Why `value` cannot serve as the class (None when it can): not a class, not a subclass of
    `base`, or without one of the callables in `requires` (a contract checked by duck typing where
    importing the base class would break a layering rule)."""
    if not isinstance(value, type):
        return f"{value!r} is not a class"
    if base is not None and not issubclass(value, base):
        return f"{dotted_name(value)} is not a {base.__name__}"
    missing = [name for name in requires if not callable(getattr(value, name, None))]
    if missing:
        return f"{dotted_name(value)} has no {', '.join(missing)}"
    return None


def load_class(name: str | type | None, default: type[T] | str, *, what: str,
               base: type | None = None, requires: Iterable[str] = (),
               log: logging.Logger | None = None) -> type[T]:
    """The class `name` names (or is), else `default` with a warning that says why.

    `default` may be an import path too, so a caller can name a default it must not import
    itself; a default that does not load raises (that is a broken install, not a bad setting).
    `what` names the setting in the warning ("c.StudioApp.executor_class", "executor class").
    """
    requires = tuple(requires)
    if name is not None and name != "":
        try:
            value = import_object(name) if isinstance(name, str) else name
        except Exception as exc:  # any error of a third-party module's import, not only ImportError
            problem: str | None = f"{name!r} could not be imported: {type(exc).__name__}: {exc}"
        else:
            problem = check_class(value, base, requires)
            if problem is None:
                return value
        fallback = default if isinstance(default, str) else dotted_name(default)
        (log or logging.getLogger("studio_ext")).warning(
            "studio: %s: %s; using the default %s instead", what, problem, fallback)
    value = import_object(default) if isinstance(default, str) else default
    problem = check_class(value, base, requires)
    if problem is not None:
        raise TypeError(f"{what}: the default: {problem}")
    return value
