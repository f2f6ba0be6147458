import numpy as np
import pytest

from experiments import forecast


def _write_csv(path, values):
  path.write_text("t,level\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))


def test_quick_run_on_a_given_csv_reports_rmse_and_the_persistence_reference(tmp_path):
  values = 10 + 5 * np.sin(np.arange(80) / 3.0)
  _write_csv(tmp_path / "s.csv", values)
  headline = forecast.main(
    [
      "--quick",
      "--no-progress",
      "--csv",
      str(tmp_path / "s.csv"),
      "--column",
      "level",
      "--out",
      str(tmp_path),
    ]
  )
  test_truth = values[64:]  # targets past 80% of 80 values
  want_persistence = np.sqrt(np.mean((values[63:-1] - test_truth) ** 2))
  assert headline["persistence_rmse"] == pytest.approx(want_persistence, abs=1e-3)
  assert np.isfinite(headline["test_rmse"])
  assert headline["test_mae"] <= headline["test_rmse"]
  assert (tmp_path / "forecast.png").stat().st_size > 0


def test_missing_column_names_the_columns_there_are(tmp_path):
  _write_csv(tmp_path / "s.csv", range(40))
  with pytest.raises(ValueError, match=r"has no column 'price'; its columns are \['t', 'level'\]"):
    forecast.main(
      ["--quick", "--csv", str(tmp_path / "s.csv"), "--column", "price", "--out", str(tmp_path)]
    )
