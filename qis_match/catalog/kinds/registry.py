"""The registry of resource kinds: every layer iterates over it instead of naming kinds.

Built-in kinds register when :mod:`qis_match.catalog.kinds` is imported; a deployment adds
its own with ``Settings.kind_modules`` (modules imported at start, each calling
:func:`register` once), a test by importing its module.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable

from qis_match.catalog.kinds.base import ResourceKind

log = logging.getLogger(__name__)
_KINDS: dict[str, ResourceKind] = {}


def register(kind: ResourceKind) -> ResourceKind:
    """Add a kind (or replace one of the same name: re-importing a module is harmless)."""
    for attr in ("name", "label", "table", "id_column", "columns"):
        if not getattr(kind, attr, None):
            raise TypeError(f"{type(kind).__name__}: a resource kind needs {attr!r}")
    for other in _KINDS.values():
        if other.name != kind.name and other.table == kind.table:
            raise ValueError(
                f"kinds {other.name!r} and {kind.name!r} both use table {kind.table!r}"
            )
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Take a kind out (tests that add a toy kind put the registry back)."""
    _KINDS.pop(name, None)


def kinds() -> list[ResourceKind]:
    """Every registered kind, in registration order (the required ones first)."""
    return list(_KINDS.values())


def kind_names() -> tuple[str, ...]:
    return tuple(_KINDS)


def get_kind(name: str) -> ResourceKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise KeyError(f"unknown resource kind {name!r} (known: {', '.join(_KINDS)})") from None


def find_kind(name: str) -> ResourceKind | None:
    return _KINDS.get(name)


def kind_of_table(stem: str) -> ResourceKind | None:
    return next((k for k in _KINDS.values() if k.table == stem), None)


def table_stems() -> list[str]:
    """Every catalog table a kind reads (file stems and XLSX sheet names), in registry order."""
    out: list[str] = []
    for k in _KINDS.values():
        out += [k.table, *([k.line_table] if getattr(k, "line_table", None) else [])]
    return out


def card_of(item: dict, context: str) -> dict:
    """The card of one resource as JSON (see ``ResourceKind.card``); {} for a kind no longer
    registered (a ticket's snapshot of a retired kind still shows its name)."""
    kind = _KINDS.get(item.get("resource_type") or "institution")
    return kind.card(item, context) if kind is not None else {}


def load_kind_modules(modules: Iterable[str]) -> None:
    """Import the modules that register a deployment's own kinds (``Settings.kind_modules``)."""
    for name in modules:
        if name and name.strip():
            importlib.import_module(name.strip())
            log.debug("kind module %s loaded", name)
