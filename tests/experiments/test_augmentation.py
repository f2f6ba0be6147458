from experiments import augmentation


def test_augmentation_quick_reports_both_variants(tmp_path):
  headline = augmentation.main(["--quick", "--out", str(tmp_path), "--json", "--no-progress"])
  acc = headline["test_accuracy"]
  assert set(acc) == {"5/class plain", "5/class augmented"}
  assert all(0.0 <= a <= 1.0 for a in acc.values())
  assert (tmp_path / "augmentation.png").exists()
  assert (tmp_path / "augmented_examples.png").exists()


def test_balanced_subset_takes_the_same_count_from_each_class():
  import numpy as np
  y = np.repeat(np.arange(10), 20)
  idx = augmentation.balanced_subset(y, 3, seed=0)
  np.testing.assert_array_equal(np.bincount(y[idx]), [3] * 10)
  assert len(set(idx)) == 30
