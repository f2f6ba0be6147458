"""The demo behind ``make demo`` / ``python -m fnn demo``.

Each part is a module in this package with a ``TITLE`` and a function
``run(out_dir: pathlib.Path) -> dict`` that does a few seconds to a minute of work,
writes its plots into ``out_dir`` and returns its headline figures. The demo runs the
parts in ``PARTS`` order and writes ``runs/demo/summary.json`` and ``summary.md``.
"""

import argparse
import importlib
import json
import pathlib
import time

# Module names under fnn.demo, in the order they run.
PARTS = ["digits_mlp", "seeds", "lstm_adding", "hopfield", "rbm"]


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(prog="python -m fnn", description=__doc__.splitlines()[0])
  parser.add_argument("command", choices=["demo"])
  parser.add_argument("--out", default="runs/demo", help="output directory (default runs/demo)")
  parser.add_argument("--only", nargs="*", choices=PARTS, help="run only these parts")
  args = parser.parse_args(argv)
  out = pathlib.Path(args.out)
  out.mkdir(parents=True, exist_ok=True)
  summary = {}
  lines = ["# fnn demo", ""]
  for name in args.only or PARTS:
    part = importlib.import_module(f"fnn.demo.{name}")
    print(f"\n== {part.TITLE}", flush=True)
    part_dir = out / name
    part_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    result = part.run(part_dir)
    result["seconds"] = round(time.perf_counter() - start, 1)
    summary[name] = result
    lines.append(f"## {part.TITLE}")
    lines += [f"- {k}: {v}" for k, v in result.items()]
    lines += [f"- plot: {p.relative_to(out)}" for p in sorted(part_dir.glob("*.png"))]
    lines.append("")
  (out / "summary.json").write_text(json.dumps(summary, indent=2))
  (out / "summary.md").write_text("\n".join(lines))
  print(f"\nwrote {out / 'summary.md'}")
  return 0
