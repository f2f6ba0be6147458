"""What every experiment shares: its command line, its output folder and its JSON line.

Every experiment is ``python -m experiments.NAME [--quick] [--json] [--out DIR] [--seed S]``.
It writes ``results.json`` and PNG plots into ``--out`` (default ``runs/NAME``) and, with
``--json``, prints its headline figures as one JSON object on the last line of stdout.

Usage inside an experiment module::

    def main(argv=None):
      parser = experiment_parser("xor", __doc__)
      parser.add_argument("--epochs", type=int, default=200)
      args = parser.parse_args(argv)
      out = output_dir(args)
      ...
      return finish(args, out, results, headline)
"""

import argparse
import json
import pathlib

import matplotlib

matplotlib.use("Agg")


def experiment_parser(name: str, doc: str | None) -> argparse.ArgumentParser:
  """An argument parser with the flags every experiment takes."""
  parser = argparse.ArgumentParser(
    prog=f"python -m experiments.{name}",
    description=(doc or "").strip().splitlines()[0] if doc else None,
    formatter_class=argparse.RawDescriptionHelpFormatter,
    epilog=doc,
  )
  parser.add_argument(
    "--quick", action="store_true", help="a small, fast run (seconds) for CI and smoke tests"
  )
  parser.add_argument(
    "--json",
    action="store_true",
    help="print the headline results as one JSON object on the last line",
  )
  parser.add_argument("--out", default=f"runs/{name}", help=f"output folder (default runs/{name})")
  parser.add_argument("--seed", type=int, default=0, help="PRNG seed (default 0)")
  parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
  return parser


def output_dir(args) -> pathlib.Path:
  out = pathlib.Path(args.out)
  out.mkdir(parents=True, exist_ok=True)
  return out


def _jsonable(x):
  """Converts numpy/jax scalars and arrays so json.dumps accepts them."""
  if isinstance(x, dict):
    return {str(k): _jsonable(v) for k, v in x.items()}
  if isinstance(x, (list, tuple)):
    return [_jsonable(v) for v in x]
  if hasattr(x, "tolist"):
    return x.tolist()
  return x


def finish(args, out: pathlib.Path, results: dict, headline: dict) -> dict:
  """Writes ``results.json`` (all results) and, with ``--json``, prints ``headline``.

  Returns the headline, so tests can call ``main([...])`` and check it.
  """
  results = _jsonable(results)
  headline = _jsonable(headline)
  (out / "results.json").write_text(json.dumps(results, indent=2))
  if args.json:
    print(json.dumps(headline), flush=True)
  else:
    print(json.dumps(headline, indent=2))
    print(f"wrote {out / 'results.json'}")
  return headline
