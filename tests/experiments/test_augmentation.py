from experiments import augmentation


def test_augmentation_quick_reports_both_variants(tmp_path):
  headline = augmentation.main(["--quick", "--out", str(tmp_path), "--json", "--no-progress"])
  acc = headline["test_accuracy"]
  assert set(acc) == {"5/class plain", "5/class augmented"}
  assert all(0.0 <= a <= 1.0 for a in acc.values())
  assert (tmp_path / "augmentation.png").exists()
  assert (tmp_path / "augmented_examples.png").exists()
