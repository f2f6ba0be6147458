from experiments import transfer


def test_transfer_quick_pretrains_on_0_to_4_and_compares_three_variants(tmp_path):
  headline = transfer.main(["--quick", "--out", str(tmp_path), "--json", "--no-progress"])
  assert headline["pretrain_test_accuracy_0_4"] > 0.8
  for key in ("frozen_features_accuracy", "fine_tune_accuracy", "scratch_accuracy"):
    assert set(headline[key]) == {"3"}
    assert 0.0 <= headline[key]["3"] <= 1.0
  assert (tmp_path / "transfer.png").exists()
