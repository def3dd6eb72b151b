"""Griffe extension for the docs build: Sphinx roles in docstrings become cross-references.

The docstrings are Google style but name other objects the Sphinx way
(:func:`load_model`, :class:`~interplab_widgets.datasets.LabelledDataset`, :data:`HEAD_SCORES`).
Markdown has no such roles, so before mkdocstrings renders a docstring each role is replaced by
an *optional* autorefs link: a link when the object is documented on some page of the site, plain
code when it is not (never a warning, so ``mkdocs build --strict`` stays quiet). The title
follows Sphinx: as written, ``~`` keeps the last component, functions and methods get ``()``.

Loaded by mkdocstrings from ``mkdocs.yml`` (``extensions: [docs/_ext/sphinx_roles.py]``);
it changes only the docs, never the package.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

ROLE = re.compile(r":(?P<role>func|meth|class|data|attr|mod|exc|obj|const):`(?P<tilde>~?)(?P<target>[\w.]+)`")
CALLABLE_ROLES = {"func", "meth"}


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring of a package once it is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for obj in _walk(pkg):
            if obj.docstring is not None and ":" in obj.docstring.value:
                obj.docstring.value = ROLE.sub(lambda match, obj=obj: _reference(match, obj), obj.docstring.value)


def _walk(obj: griffe.Object):
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)


def _reference(match: re.Match, obj: griffe.Object) -> str:
    target = match["target"]
    title = target.rsplit(".", 1)[-1] if match["tilde"] else target
    if match["role"] in CALLABLE_ROLES:
        title += "()"
    path = _resolve(target, obj)
    if path is None:
        return f"`{title}`"
    return f'<autoref identifier="{html.escape(path)}" optional>`{title}`</autoref>'


def _resolve(target: str, obj: griffe.Object) -> str | None:
    """The canonical path of ``target`` as seen from ``obj``'s scope, or None."""
    scope = obj if obj.is_class or obj.is_module else obj.parent
    first, _, rest = target.partition(".")
    collection = obj.modules_collection
    candidates = [target]
    try:
        resolved = scope.resolve(first) if scope is not None else None
    except griffe.NameResolutionError:
        resolved = None
    if resolved:
        candidates.insert(0, f"{resolved}.{rest}" if rest else resolved)
    for candidate in candidates:
        try:
            found = collection[candidate]
            name = candidate.rsplit(".", 1)[-1]
            if found.is_module and name in found.members and not found.members[name].is_module:
                # ``from .harvest import harvest`` in a package: Python's name is the function,
                # griffe's the submodule it comes from.
                found = found.members[name]
            return found.canonical_path
        except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            continue
    return None
