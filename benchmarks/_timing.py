"""Interleaved timing shared by the benchmarks.

This machine's speed drifts by up to 40% within minutes, so variants are timed round
by round (A B C A B C ...) and only ratios of medians from one run are reported.
"""

import json
import os
import statistics
import time
from collections.abc import Callable, Mapping

import jax


def interleave(
  variants: Mapping[str, Callable[[], object]],
  *,
  rounds: int,
  reps: int,
  block: Callable[[object], object] = lambda out: out,
  warmup: int = 2,
  progress: bool = True,
) -> dict:
  """Times each variant ``reps`` calls per round, interleaving variants round by round.

  Args:
    variants: ``{name: fn}``; ``fn()`` does one unit of work (one train step, one
      epoch) and returns something ``block`` waits on.
    rounds: how many rounds (the median is over rounds).
    reps: calls per round; the round's time is divided by ``reps``.
    block: waits for a call's result (``jax.block_until_ready`` for JAX work).
    warmup: untimed calls per variant first (compilation, caches).
    progress: print each round's times as it ends.

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
    for name in names[r % len(names) :] + names[: r % len(names)]:
      fn = variants[name]
      start = time.perf_counter()
      out = None
      for _ in range(reps):
        out = fn()
      block(out)
      times[name].append((time.perf_counter() - start) / reps)
    if progress:
      print(
        f"  round {r + 1}/{rounds}: "
        + ", ".join(f"{n} {t[-1] * 1e3:.3f} ms" for n, t in times.items()),
        flush=True,
      )
  return times


def calibrate_reps(
  fn: Callable[[], object], block, target_seconds: float = 0.15, max_reps: int = 1000
) -> int:
  """How many calls of ``fn`` take about ``target_seconds`` (at least 1)."""
  block(fn())
  start = time.perf_counter()
  block(fn())
  one = max(time.perf_counter() - start, 1e-6)
  return int(max(1, min(max_reps, target_seconds / one)))


def speedups(times: Mapping[str, list], ours: str = "fnn") -> dict:
  """``{"speedup_vs_<peer>": median(peer) / median(ours)}`` for every other variant."""
  base = statistics.median(times[ours])
  return {
    f"speedup_vs_{name}": round(statistics.median(t) / base, 3)
    for name, t in times.items()
    if name != ours
  }


def table(title: str, times: Mapping[str, list], ours: str = "fnn", unit: str = "ms") -> str:
  """A Markdown table: median, min, max per variant and its time relative to ``ours``."""
  scale = 1e3 if unit == "ms" else 1.0
  base = statistics.median(times[ours])
  lines = [
    f"### {title}",
    "",
    f"| variant | median {unit} | min | max | peer / fnn |",
    "| --- | ---: | ---: | ---: | ---: |",
  ]
  for name, t in times.items():
    lines.append(
      f"| {name} | {statistics.median(t) * scale:.3f} | {min(t) * scale:.3f} | "
      f"{max(t) * scale:.3f} | {statistics.median(t) / base:.2f} |"
    )
  return "\n".join(lines)


def device_info(torch_device: str | None = None) -> dict:
  """What the JAX variants ran on (and the PyTorch peer, when given).

  Returns:
    ``{"backend": "cpu" | "gpu" | "tpu", "device_kind": e.g. "NVIDIA H200",
    "device_count", "jax", "cpus"}``, plus ``"torch_device"`` when given.
  """
  devices = jax.devices()
  info = {
    "backend": jax.default_backend(),
    "device_kind": devices[0].device_kind,
    "device_count": len(devices),
    "jax": jax.__version__,
    "cpus": os.cpu_count(),
  }
  if torch_device is not None:
    info["torch_device"] = torch_device
  return info


def print_device(torch_device: str | None = None) -> None:
  """Prints :func:`device_info` as one line, e.g. ``backend gpu, device NVIDIA H200 x1``."""
  info = device_info(torch_device)
  line = (
    f"backend {info['backend']}, device {info['device_kind']} x{info['device_count']}, "
    f"jax {info['jax']}, {info['cpus']} cpus"
  )
  if torch_device is not None:
    line += f", torch on {torch_device}"
  print(line, flush=True)


def resolve_torch_device(choice: str) -> str:
  """``"auto"`` is ``"cuda"`` when PyTorch sees a GPU, else ``"cpu"``; others pass through."""
  if choice != "auto":
    return choice
  try:
    import torch
  except ImportError:
    return "cpu"
  return "cuda" if torch.cuda.is_available() else "cpu"


def block_any(out):
  """Waits for a step's result: a JAX array (or pytree), or a PyTorch tensor on any device."""
  if type(out).__module__.startswith("torch"):
    if out.is_cuda:
      import torch

      torch.cuda.synchronize(out.device)
    return out
  return jax.block_until_ready(out)


def print_json(obj, torch_device: str | None = None) -> None:
  """Prints ``obj`` as one JSON line, with ``"device": device_info()`` added last."""
  print(json.dumps({**obj, "device": device_info(torch_device)}), flush=True)
