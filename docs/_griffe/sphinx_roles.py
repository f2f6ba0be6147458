"""Griffe extension: fnn's Sphinx markup in docstrings, rendered by mkdocstrings.

The docstrings keep the usual Python conventions, readable in ``help()``:
``:func:`serial```, ``:class:`fnn.Layer```, ``:mod:`fnn.energy.partition```, and
``.. math::`` blocks. Before mkdocstrings renders them, this extension rewrites

- each role into an autorefs cross-reference ``[`serial`][fnn.core.serial]``, the target
  resolved as Python would see it from the docstring's module (its own names and imports,
  then the ``fnn`` package, then a full path), aliases followed to where the object is
  defined. A target that resolves nowhere is left as ``[`name`][name]``, which autorefs
  reports, so ``mkdocs build --strict`` fails on a broken reference;
- each ``.. math::`` block into an arithmatex ``$$ ... $$`` block;
- a paragraph ending in ``::`` (reST's literal block, which Markdown already reads as an
  indented code block) into one ending in ``:``;
- the ``Params:`` section (the layout of the params pytree a layer creates) into a
  "Params pytree" admonition, since Google style reads ``Params:`` as ``Args:``.
"""

from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:py:)?(func|class|mod|meth|attr|data|obj|exc):`(~?)([^`<>]+?)(?:\(\))?`")
MATH = re.compile(
  r"^(?P<indent>[ \t]*)\.\. math::[ \t]*(?P<first>.*)\n"
  r"(?P<rest>(?:(?P=indent)[ \t]+\S.*\n|[ \t]*\n)*)",
  re.MULTILINE,
)
LITERAL = re.compile(r"(\S)::[ \t]*$", re.MULTILINE)
PARAMS = re.compile(r"^(?P<indent>[ \t]*)Params:[ \t]*$", re.MULTILINE)
ROOT = "fnn"


def _lookup(collection, path: str):
  try:
    return collection.get_member(path) if "." in path else collection[path]
  except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
    return None


def _canonical(obj) -> str | None:
  try:
    return obj.final_target.path if obj.is_alias else obj.path
  except (griffe.AliasResolutionError, griffe.CyclicAliasError):
    return None


def resolve(obj, name: str, collection) -> str | None:
  """The canonical path of ``name`` as seen from ``obj``'s docstring, or None."""
  head, _, tail = name.partition(".")
  candidates = []
  try:  # The docstring's own scope: its module's names and imports, then the parents'.
    first = obj.resolve(head)
    candidates.append(f"{first}.{tail}" if tail else first)
  except (griffe.NameResolutionError, AttributeError):
    pass
  candidates += [f"{ROOT}.{name}", name]
  for path in candidates:
    target = _lookup(collection, path)
    if target is not None:
      return _canonical(target)
  return None


def _math(match: re.Match) -> str:
  indent = match["indent"]
  body = [match["first"]] + [line.strip() for line in match["rest"].splitlines()]
  body = [line for line in body if line]
  return f"{indent}$$\n" + "".join(f"{indent}{line}\n" for line in body) + f"{indent}$$\n\n"


class SphinxRoles(griffe.Extension):
  """Rewrites Sphinx roles and math blocks in every docstring of the package."""

  def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs) -> None:
    """Rewrites the docstrings of ``fnn`` once griffe has loaded all of it."""
    if pkg.path != ROOT:
      return
    for obj in _walk(pkg):
      doc = obj.docstring
      if doc is None:
        continue

      def role(match, obj=obj):
        tilde, name = match[2], match[3].strip()
        target = resolve(obj, name, loader.modules_collection) or name
        shown = name.rsplit(".", 1)[-1] if tilde else name
        return f"[`{shown}`][{target}]"

      text = MATH.sub(_math, ROLE.sub(role, doc.value))
      text = LITERAL.sub(r"\1:", text)
      doc.value = PARAMS.sub(r"\g<indent>Params pytree:", text)


def _walk(obj):
  yield obj
  for member in obj.members.values():
    if not member.is_alias:
      yield from _walk(member)
