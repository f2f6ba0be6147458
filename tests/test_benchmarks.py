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
  result = bench.main(
    ["--quick", "--json", "--models", "mlp_digits", "--peers", "raw_jax", "flax_linen"]
  )
  assert set(result) == {"mlp_digits"}
  ratios = result["mlp_digits"]
  assert set(ratios) == {"speedup_vs_raw_jax", "speedup_vs_flax_linen"}
  assert all(r > 0 for r in ratios.values())
  last = capsys.readouterr().out.strip().splitlines()[-1]
  assert last.startswith('{"mlp_digits": {"speedup_vs_raw_jax"')


@pytest.mark.slow
def test_lstm_bptt_benchmark_reports_speedups_per_size(capsys):
  bench = _load("lstm_bptt")
  result = bench.main(["--quick", "--json", "--rounds", "1"])
  assert set(result) == {"small", "large"}
  for row in result.values():
    assert {"speedup_vs_raw_jax", "speedup_vs_flax"} <= set(row)
    assert all(v > 0 for k, v in row.items() if k.startswith("speedup_vs_"))
  last = capsys.readouterr().out.strip().splitlines()[-1]
  assert last.startswith('{"small": {"F": 8')


@pytest.mark.slow
def test_fit_epoch_benchmark_reports_both_ratios():
  result = _load("fit_epoch").main(["--quick", "--json", "--epochs-per-round", "2"])
  assert result["speedup_vs_step_loop"] > 0
  assert result["speedup_vs_flax_loop"] > 0
  assert result["steps_per_epoch"] == 1437 // 64


@pytest.mark.slow
def test_tsp_benchmark_reports_the_vmap_speedup():
  result = _load("tsp").main(["--quick", "--json"])
  assert result["instance"] == "eil51"
  assert result["restarts"] == 8
  assert result["speedup_vs_loop"] > 0
  assert result["speedup_vs_loop_hopfield_tank"] > 0


@pytest.mark.slow
def test_rbm_benchmark_reports_speedups_per_data_set():
  result = _load("rbm").main(["--quick", "--json", "--rounds", "1"])
  assert len(result["datasets"]) == 2
  for row in result["datasets"].values():
    assert row["speedup_vs_sklearn"] > 0
    assert row["speedup_vs_sklearn_float32"] > 0


@pytest.mark.slow
def test_vmap_seeds_benchmark_reports_the_three_keys(capsys):
  result = _load("vmap_seeds").main(["--quick", "--json"])
  assert result["speedup_vs_fit_loop"] > 0
  assert result["speedup_vs_step_loop"] > 0
  assert result["models_per_second"] > 0
  assert set(result["compile_s"]) == set(result["seconds"])
  assert capsys.readouterr().out.strip().splitlines()[-1].startswith('{"speedup_vs_fit_loop"')
