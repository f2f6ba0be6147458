import json

from experiments import activations


def test_activations_quick_shows_vanishing_sigmoid_gradients_and_init_scales(tmp_path):
  headline = activations.main(["--quick", "--out", str(tmp_path), "--json"])
  # 5 sigmoid layers: the first layer's gradient is far smaller than the last's
  assert headline["sigmoid_first_to_last_grad_ratio"] < 1e-2
  assert 0.1 < headline["relu_first_to_last_grad_ratio"] < 10
  stds = headline["relu_last_layer_std"]
  assert stds["N(0, 0.01^2)"] < 1e-3 < stds["Xavier"] < stds["He"]
  results = json.loads((tmp_path / "results.json").read_text())
  assert len(results["gradient_norms"]["sigmoid"]) == 5
  for name in ("activations.png", "gradient_norms.png", "activation_histograms.png"):
    assert (tmp_path / name).exists()
