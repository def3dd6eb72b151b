"""Errors a user can act on: each message says what went wrong and what to do."""

from __future__ import annotations


class InterplabError(Exception):
    """Base class of every error this package raises on purpose."""


class UnknownModelError(InterplabError, ValueError):
    """A model name that is neither embedded, a local folder nor a hub id."""


class ModelNotInstalledError(InterplabError, RuntimeError):
    """An embedded model whose package is missing while the hub is out of reach."""


class UnsupportedArchitectureError(InterplabError, ValueError):
    """A model whose family has no adapter."""


class InputError(InterplabError, ValueError):
    """Text or indices that a model or a trace cannot take."""
