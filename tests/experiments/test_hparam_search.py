import json

from experiments import hparam_search


def test_hparam_search_chooses_the_best_validation_candidate_and_narrows(tmp_path):
  headline = hparam_search.main(["--quick", "--out", str(tmp_path), "--json"])
  results = json.loads((tmp_path / "results.json").read_text())
  trials = results["trials"]
  assert headline["candidates"] == len(trials) == 8
  best = min(trials, key=lambda t: t["val_loss"])
  assert headline["best_learning_rate"] == best["learning_rate"]
  assert headline["best_val_loss"] == best["val_loss"]
  first, second = results["ranges"]
  for name in ("learning_rate", "weight_decay"):
    assert first[name][0] <= second[name][0]
    assert second[name][1] <= first[name][1]
  for t in trials:  # each round samples inside its own ranges
    lo, hi = results["ranges"][t["round"]]["learning_rate"]
    assert lo <= t["learning_rate"] <= hi
