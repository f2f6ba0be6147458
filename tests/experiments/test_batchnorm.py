from experiments import batchnorm


def test_batchnorm_quick_trains_at_a_tiny_weight_scale_where_the_plain_net_cannot(tmp_path):
  headline = batchnorm.main(["--quick", "--out", str(tmp_path), "--json", "--no-progress"])
  acc = headline["final_train_accuracy"]
  assert acc["scale=0.01 plain"] < 0.2  # the signal vanishes: chance level
  assert acc["scale=0.01 BN"] > acc["scale=0.01 plain"] + 0.2
  assert (tmp_path / "batchnorm.png").exists()
