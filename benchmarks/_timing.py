"""Interleaved timing shared by the benchmarks.

This machine's speed drifts by up to 40% within minutes, so variants are timed round
by round (A B C A B C ...) and only ratios of medians from one run are reported.
"""

import json
import statistics
import time
from typing import Callable, Mapping


def interleave(variants: Mapping[str, Callable[[], object]], *, rounds: int, reps: int,
               block: Callable[[object], object] = lambda out: out, warmup: int = 2,
               progress: bool = True) -> dict:
  """Times each variant ``reps`` calls per round, interleaving variants round by round.

  Args:
    variants: ``{name: fn}``; ``fn()`` does one unit of work (one train step, one
      epoch) and returns something ``block`` waits on.
    rounds: how many rounds (the median is over rounds).
    reps: calls per round; the round's time is divided by ``reps``.
    block: waits for a call's result (``jax.block_until_ready`` for JAX work).
    warmup: untimed calls per variant first (compilation, caches).

  Returns:
    ``{name: [seconds per call, one per round]}``.
  """
  for fn in variants.values():
    for _ in range(warmup):
      block(fn())
  times = {name: [] for name in variants}
  names = list(variants)
  for r in range(rounds):
    # Rotate the order each round, so no variant always runs right after the same one
    # (e.g. after PyTorch, whose idle OpenMP threads spin for a while).
    for name in names[r % len(names):] + names[:r % len(names)]:
      fn = variants[name]
      start = time.perf_counter()
      out = None
      for _ in range(reps):
        out = fn()
      block(out)
      times[name].append((time.perf_counter() - start) / reps)
    if progress:
      print(f"  round {r + 1}/{rounds}: " + ", ".join(
          f"{n} {t[-1] * 1e3:.3f} ms" for n, t in times.items()), flush=True)
  return times


def calibrate_reps(fn: Callable[[], object], block, target_seconds: float = 0.15,
                   max_reps: int = 1000) -> int:
  """How many calls of ``fn`` take about ``target_seconds`` (at least 1)."""
  block(fn())
  start = time.perf_counter()
  block(fn())
  one = max(time.perf_counter() - start, 1e-6)
  return int(max(1, min(max_reps, target_seconds / one)))


def speedups(times: Mapping[str, list], ours: str = "fnn") -> dict:
  """``{"speedup_vs_<peer>": median(peer) / median(ours)}`` for every other variant."""
  base = statistics.median(times[ours])
  return {f"speedup_vs_{name}": round(statistics.median(t) / base, 3)
          for name, t in times.items() if name != ours}


def table(title: str, times: Mapping[str, list], ours: str = "fnn", unit: str = "ms") -> str:
  """A Markdown table: median, min, max per variant and its time relative to ``ours``."""
  scale = 1e3 if unit == "ms" else 1.0
  base = statistics.median(times[ours])
  lines = [f"### {title}", "", f"| variant | median {unit} | min | max | peer / fnn |",
           "| --- | ---: | ---: | ---: | ---: |"]
  for name, t in times.items():
    lines.append(f"| {name} | {statistics.median(t) * scale:.3f} | {min(t) * scale:.3f} | "
                 f"{max(t) * scale:.3f} | {statistics.median(t) / base:.2f} |")
  return "\n".join(lines)


def print_json(obj) -> None:
  print(json.dumps(obj), flush=True)
