"""Smoke runs of the benchmark scripts, so they do not rot: quick mode, one peer each."""

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _load(name):
  spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


@pytest.mark.slow
def test_train_step_benchmark_reports_speedup_ratios(capsys):
  bench = _load("train_step")
  result = bench.main(["--quick", "--json", "--models", "mlp_digits", "--peers", "raw_jax",
                       "flax_linen"])
  assert set(result) == {"mlp_digits"}
  ratios = result["mlp_digits"]
  assert set(ratios) == {"speedup_vs_raw_jax", "speedup_vs_flax_linen"}
  assert all(r > 0 for r in ratios.values())
  last = capsys.readouterr().out.strip().splitlines()[-1]
  assert last.startswith('{"mlp_digits": {"speedup_vs_raw_jax"')
