"""Launchers: how each job kind runs inside a job process; one module per kind, found by `kind`."""

from __future__ import annotations

import importlib
import pkgutil

from ...schemas import JobKind
from .base import BaseLauncher, registered_launchers


def launcher_classes() -> dict[JobKind, type[BaseLauncher]]:
    """Job kind -> launcher class, for every launcher module of this package.

    Each module defines one BaseLauncher subclass that sets `kind` (which registers it), so a new
    kind is a new module here and nothing else.
    """
    for info in pkgutil.iter_modules(__path__):
        if info.name != "base":
            importlib.import_module(f"{__name__}.{info.name}")
    return registered_launchers()
