"""One root error type; the CLI turns it into a clear message, never a traceback."""
from __future__ import annotations

__all__ = ["KGError", "InputError", "GraphError"]


class KGError(Exception):
    """Base of every error edukg reports to a user."""


class InputError(KGError):
    """A path, encoding or file content that cannot be read as a document."""


class GraphError(KGError):
    """A build directory or graph file that cannot be used."""
