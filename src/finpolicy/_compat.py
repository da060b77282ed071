"""Deprecated spellings: old argument and class names keep working, with a warning."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from finpolicy.errors import InputError

T = TypeVar("T")


def renamed(new: T | None, old: T | None, *, old_name: str, new_name: str, where: str,
            stacklevel: int = 3) -> T | None:
    """The value of an argument renamed from ``old_name`` to ``new_name``.

    Giving the old name warns (``DeprecationWarning``); giving both is an input error.
    """
    if old is None:
        return new
    warnings.warn(f"`{old_name}` of {where} is deprecated, use `{new_name}`",
                  DeprecationWarning, stacklevel=stacklevel)
    if new is not None:
        raise InputError.one(new_name, f"give `{new_name}` or the deprecated `{old_name}`, "
                                       "not both", "bad_option")
    return old


def deprecated_alias(old: str, new: str, module: str) -> None:
    """Warn that ``module.old`` is the deprecated name of ``module.new``."""
    warnings.warn(f"`{module}.{old}` is deprecated, use `{module}.{new}`", DeprecationWarning,
                  stacklevel=3)


def alias_getattr(module: str, aliases: Mapping[str, str],
                  namespace: Mapping[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` resolving deprecated names (``old → new``) with a warning."""

    def __getattr__(name: str) -> Any:
        new = aliases.get(name)
        if new is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        deprecated_alias(name, new, module)
        return namespace[new]

    return __getattr__
