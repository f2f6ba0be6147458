"""One-step-ahead forecasting of a univariate series from a CSV column with an LSTM.

The series (default: yearly sunspot numbers 1700-2008, shipped in fnn/data/files;
any other with --csv FILE --column NAME, e.g. ../shared/data/timeseries/
airline-passengers.csv --column Passengers) is standardised with the mean and standard
deviation of its first 80%. Each example is a window of --window past values and the
target is the next value. serial(RNN(LSTMCell(H)), Dense(1)) is trained by
fnn.train.fit on windows whose target lies in the first 80%, and tested on those whose
target lies in the last 20%. The naive persistence forecast (next = last value) is
reported beside it as a reference; it is not a model.

Headline (--json): {"test_rmse": ..., "test_mae": ..., "persistence_rmse": ...}, in the
series' own units. forecast.png plots the predictions against the truth.
"""

import pathlib

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._recurrent import clipped_adam, sequence_model, shipped_file
from fnn.data import load_csv

DEFAULT_CSV, DEFAULT_COLUMN = "sunspots_yearly.csv", "SUNACTIVITY"
TRAIN_FRACTION = 0.8


def read_column(path, column):
  """The named numeric column of a CSV file with a header row, as float64 ``(n,)``."""
  columns = load_csv(path)
  if column not in columns:
    raise ValueError(f"forecast: {path} has no column {column!r}; its columns are {list(columns)}")
  if columns[column].dtype.kind != "f":
    raise ValueError(f"forecast: column {column!r} of {path} is not numeric")
  return columns[column]


def windows(series, window):
  """Inputs ``(n - window, window, 1)`` and next values ``(n - window, 1)``."""
  idx = np.arange(len(series) - window)[:, None] + np.arange(window)[None, :]
  return series[idx][..., None].astype(np.float32), series[window:, None].astype(np.float32)


def main(argv=None):
  parser = experiment_parser("forecast", __doc__)
  parser.add_argument("--csv", default=None, help=f"CSV file (default: shipped {DEFAULT_CSV})")
  parser.add_argument("--column", default=None, help=f"column (default {DEFAULT_COLUMN})")
  parser.add_argument("--window", type=int, default=None, help="past values (default 20)")
  parser.add_argument("--hidden", type=int, default=None, help="LSTM units (default 32)")
  parser.add_argument("--epochs", type=int, default=None, help="epochs (default 150)")
  parser.add_argument("--lr", type=float, default=3e-3)
  args = parser.parse_args(argv)
  path = pathlib.Path(args.csv) if args.csv else shipped_file(DEFAULT_CSV)
  column = args.column or (DEFAULT_COLUMN if args.csv is None else None)
  if column is None:
    raise ValueError("forecast: --csv needs --column NAME")
  window = args.window or (10 if args.quick else 20)
  hidden = args.hidden or (8 if args.quick else 32)
  epochs = args.epochs or (2 if args.quick else 150)
  out = output_dir(args)

  series = read_column(path, column)
  n_train = int(TRAIN_FRACTION * len(series))
  if n_train <= window + 1:
    raise ValueError(f"forecast: {len(series)} values are too few for --window {window}")
  mean, std = series[:n_train].mean(), series[:n_train].std() + 1e-12
  x, y = windows((series - mean) / std, window)
  is_train = np.arange(window, len(series)) < n_train  # by the target's position
  model = sequence_model("lstm", hidden, 1)
  fit = fnn.train.fit(
    model,
    fnn.losses.mean_squared_error,
    clipped_adam(args.lr, 1.0),
    x[is_train],
    y[is_train],
    key=jax.random.key(args.seed),
    epochs=epochs,
    batch_size=min(32, int(is_train.sum())),
    progress=not args.no_progress,
  )
  pred, _ = jax.jit(model.apply)(fit.state.params, fit.state.state, jnp.asarray(x))
  pred = np.asarray(pred[:, 0]) * std + mean
  truth = series[window:]
  persistence = series[window - 1 : -1]
  test = ~is_train
  rmse = float(np.sqrt(np.mean((pred[test] - truth[test]) ** 2)))
  mae = float(np.mean(np.abs(pred[test] - truth[test])))
  persistence_rmse = float(np.sqrt(np.mean((persistence[test] - truth[test]) ** 2)))
  print(
    f"{path.name}[{column}]: test RMSE {rmse:.3f}, MAE {mae:.3f}; naive persistence "
    f"RMSE {persistence_rmse:.3f} on {int(test.sum())} test points"
  )

  fig, ax = plt.subplots(figsize=(9, 3.8))
  t = np.arange(window, len(series))
  ax.plot(np.arange(len(series)), series, color="black", lw=1, label="truth")
  ax.plot(t[is_train], pred[is_train], color="tab:blue", lw=1, label="LSTM (train windows)")
  ax.plot(t[test], pred[test], color="tab:red", lw=1.5, label="LSTM one step ahead (test)")
  ax.axvline(n_train - 0.5, color="gray", ls="--")
  ax.set(
    xlabel="index in series",
    ylabel=column,
    title=f"{path.name}: test RMSE {rmse:.2f} (persistence {persistence_rmse:.2f})",
  )
  ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(out / "forecast.png", dpi=100)
  plt.close(fig)

  headline = {
    "test_rmse": round(rmse, 4),
    "test_mae": round(mae, 4),
    "persistence_rmse": round(persistence_rmse, 4),
  }
  config = {
    "csv": str(path),
    "column": column,
    "values": len(series),
    "window": window,
    "hidden": hidden,
    "epochs": epochs,
    "lr": args.lr,
    "seed": args.seed,
    "train_fraction": TRAIN_FRACTION,
  }
  results = {
    "config": config,
    **headline,
    "train_loss_per_epoch": np.asarray(fit.history["loss"]),
    "test_predictions": pred[test],
    "test_truth": truth[test],
  }
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
