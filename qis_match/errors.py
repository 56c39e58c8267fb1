"""Errors that carry a message meant for the person at the window, not a traceback."""

from __future__ import annotations


class QisError(Exception):
    """Base class: anything the CLI or the service reports as a clear error."""


class InputError(QisError, ValueError):
    """A request text that cannot be matched as given (empty, too long, not text, bad encoding)."""


class RegionError(InputError):
    """A region that is unknown or ambiguous: reported, never guessed."""


class CatalogError(QisError):
    """A catalog that cannot be used at all (missing file or required column)."""


class IndexNotBuiltError(QisError):
    """No usable index: run `qis-match build` first."""
