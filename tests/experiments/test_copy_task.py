import json

import jax.numpy as jnp
import numpy as np

from experiments import copy_task


def test_answer_accuracy_counts_only_the_answer_steps():
  labels = jnp.array([[3, 3, 1, 2]])
  logits = jnp.eye(4)[jnp.array([[0, 0, 1, 0]])]  # right on step 2, wrong elsewhere
  assert float(copy_task.answer_accuracy(2)(logits, labels)) == 0.5
  assert float(copy_task.answer_accuracy(4)(logits, labels)) == 0.25


def test_quick_run_reports_accuracy_per_delay(tmp_path):
  headline = copy_task.main(["--quick", "--no-progress", "--out", str(tmp_path)])
  assert set(headline) == {"lstm"}
  assert set(headline["lstm"]) == {"delay_2", "delay_5"}
  assert all(0.0 <= a <= 1.0 for a in headline["lstm"].values())
  results = json.loads((tmp_path / "results.json").read_text())
  assert np.isfinite(results["lstm"]["delay_2"]["train_loss_per_epoch"]).all()
  assert (tmp_path / "copy_task.png").stat().st_size > 0
