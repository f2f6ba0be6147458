"""The conventions of docs/design.md, checked over the whole public API and source tree."""

import ast
import importlib
import inspect
import pathlib
import pkgutil

import pytest

import fnn

ROOT = pathlib.Path(fnn.__file__).parent
# Modules whose import needs an optional extra (scikit-learn, torch) are still walked
# when the extra is installed; the test suite installs them.
KEY_NAMES = ("key", "keys")
MAX_FUNCTION_LINES = 60


def _public_modules():
  for info in pkgutil.walk_packages(fnn.__path__, "fnn."):
    if any(part.startswith("_") for part in info.name.split(".")[1:]):
      continue
    if info.name.startswith("fnn.demo"):
      continue
    yield importlib.import_module(info.name)


def _public_callables():
  seen = set()
  for module in _public_modules():
    for name, obj in vars(module).items():
      if name.startswith("_") or not callable(obj) or id(obj) in seen:
        continue
      if not getattr(obj, "__module__", "").startswith("fnn"):
        continue  # re-exported third-party names
      seen.add(id(obj))
      targets = [obj]
      if inspect.isclass(obj):
        targets = [
          getattr(obj, m)
          for m in vars(obj)
          if not m.startswith("_") and inspect.isfunction(getattr(obj, m))
        ]
        targets = [m for m in targets if getattr(m, "__qualname__", "").startswith(obj.__name__)]
      for target in targets:
        yield f"{module.__name__}.{target.__qualname__}", target


def _key_rule_violation(fn):
  """None if ``fn`` follows the key rule, else a description of where its key sits."""
  try:
    params = list(inspect.signature(fn).parameters.values())
  except (TypeError, ValueError):
    return None
  for i, p in enumerate(params):
    if p.name not in KEY_NAMES:
      continue
    first = i == 0 or (i == 1 and params[0].name in ("self", "cls"))
    if p.kind == p.KEYWORD_ONLY or (first and p.kind == p.POSITIONAL_OR_KEYWORD):
      return None
    return f"{p.name!r} is positional argument {i}"
  return None


def test_every_public_function_takes_its_key_first_or_keyword_only():
  violations = [
    f"{name}: {why}"
    for name, fn in _public_callables()
    if (why := _key_rule_violation(fn)) is not None
  ]
  assert not violations, "the key rule (docs/design.md) is broken by:\n" + "\n".join(violations)


def test_the_key_rule_check_catches_a_key_in_the_middle():
  def sampler(params, key, n):
    pass

  def good(key, params):
    pass

  def incidental(params, x, *, key=None):
    pass

  assert _key_rule_violation(sampler) == "'key' is positional argument 1"
  assert _key_rule_violation(good) is None
  assert _key_rule_violation(incidental) is None


def _long_functions(path: pathlib.Path):
  tree = ast.parse(path.read_text())
  for node in ast.walk(tree):
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
      continue
    body = node.body
    if (
      body
      and isinstance(body[0], ast.Expr)
      and isinstance(getattr(body[0], "value", None), ast.Constant)
    ):
      body = body[1:]  # the docstring does not count
    if not body:
      continue
    lines = {n.lineno for stmt in body for n in ast.walk(stmt) if hasattr(n, "lineno")}
    if len(lines) > MAX_FUNCTION_LINES:
      yield f"{path.relative_to(ROOT.parent)}:{node.lineno} {node.name} ({len(lines)} lines)"


def test_no_function_in_fnn_is_longer_than_sixty_lines_of_code():
  long = [entry for path in sorted(ROOT.rglob("*.py")) for entry in _long_functions(path)]
  assert not long, "functions over 60 lines of code:\n" + "\n".join(long)


@pytest.mark.parametrize(
  "layer", [fnn.layers.Conv(8, (3, 3)), fnn.layers.MaxPool((2, 2)), fnn.models.mlp(4, [8], 2)]
)
def test_layers_are_hashable(layer):
  assert hash(layer) == hash(layer)
