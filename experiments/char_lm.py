"""A character-level LSTM language model: bits per character on held-out text, and samples.

The text (default: the first 16 KB of tinyshakespeare shipped in fnn/data/files; any
other with --text FILE, e.g. ../shared/data/text/tinyshakespeare.txt) is split into the
first 90% for training and the last 10% held out. The model is serial(Embedding(V, E),
RNN(LSTMCell(H)), Dense(V)), trained by fnn.train.fit on windows of --seq-len
characters to predict each next character; --bptt K trains with truncated BPTT in
chunks of K steps (RNN(..., truncate=K)). Held-out bits per character is the mean
cross-entropy in bits over non-overlapping held-out windows, each starting from a zero
carry; the unigram entropy of the training text is printed beside it for scale.
Samples at temperatures 0.5 and 1.0 continue the first characters of the held-out text.

Headline (--json): {"heldout_bits_per_char": ..., "unigram_bits_per_char": ...,
"samples": {"0.5": "...", "1.0": "..."}}.
"""

import pathlib

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._recurrent import clipped_adam, shipped_file
from fnn.data import load_text
from fnn.layers import RNN, Dense, Embedding, LSTMCell, RNNInput
from fnn.losses import per_step_cross_entropy

DEFAULT_TEXT = "tinyshakespeare_head.txt"
TEMPERATURES = (0.5, 1.0)


def windows(ids, seq_len, stride):
  """Inputs ``(M, seq_len)`` and next-character targets from a 1-D id array."""
  starts = np.arange(0, len(ids) - seq_len - 1, stride)
  idx = starts[:, None] + np.arange(seq_len)[None, :]
  return ids[idx], ids[idx + 1]


def make_sampler(embed, cell, head):
  """``sample(params, key, prompt_ids, n, temperature) -> (n,) ids``, one jitted scan.

  The prompt runs through the model once to give the carry; then each step feeds the
  sampled character back in. ``params`` are the serial model's ``(embed, rnn, head)``.
  """
  rnn = RNN(cell, return_carry=True)

  def next_logits(params, carry, tokens):
    e, _ = embed.apply(params[0], {}, tokens[None, :])
    (y, carry), _ = rnn.apply(params[1], {}, RNNInput(e, carry=carry))
    logits, _ = head.apply(params[2], {}, y[:, -1])
    return carry, logits[0]

  def sample(params, key, prompt, n, temperature):
    carry, logits = next_logits(params, cell.zero_carry(1), prompt)

    def body(state, k):
      carry, logits = state
      token = jax.random.categorical(k, logits / temperature)
      carry, logits = next_logits(params, carry, token[None])
      return (carry, logits), token

    _, tokens = jax.lax.scan(body, (carry, logits), jax.random.split(key, n))
    return tokens

  return jax.jit(sample, static_argnums=(3,))


def main(argv=None):
  parser = experiment_parser("char_lm", __doc__)
  parser.add_argument("--text", default=None, help=f"a text file (default: shipped {DEFAULT_TEXT})")
  parser.add_argument("--seq-len", type=int, default=None, help="window length (default 64)")
  parser.add_argument("--hidden", type=int, default=None, help="LSTM units (default 128)")
  parser.add_argument("--embed", type=int, default=32, help="embedding size")
  parser.add_argument("--epochs", type=int, default=None, help="epochs (default 40)")
  parser.add_argument(
    "--bptt",
    type=int,
    default=None,
    help="truncated BPTT chunk length (default: full BPTT over the window)",
  )
  parser.add_argument("--lr", type=float, default=3e-3)
  parser.add_argument("--sample-len", type=int, default=300)
  args = parser.parse_args(argv)
  seq_len = args.seq_len or (32 if args.quick else 64)
  hidden = args.hidden or (32 if args.quick else 128)
  epochs = args.epochs or (1 if args.quick else 40)
  out = output_dir(args)
  path = pathlib.Path(args.text) if args.text else shipped_file(DEFAULT_TEXT)
  ids, vocab = load_text(path)
  if len(ids) < 20 * seq_len:
    raise ValueError(
      f"char_lm: {path} has {len(ids)} characters; need at least "
      f"{20 * seq_len} for --seq-len {seq_len}"
    )
  split = int(0.9 * len(ids))
  x, y = windows(ids[:split], seq_len, seq_len // 2)
  x_held, y_held = windows(ids[split:], seq_len, seq_len)

  cell = LSTMCell(hidden)
  embed, head = Embedding(len(vocab), args.embed), Dense(len(vocab))
  model = fnn.serial(embed, RNN(cell, truncate=args.bptt), head)
  fit = fnn.train.fit(
    model,
    per_step_cross_entropy,
    clipped_adam(args.lr, 1.0),
    x,
    y,
    key=jax.random.key(args.seed),
    epochs=epochs,
    batch_size=32,
    validation_data=(x_held, y_held),
    progress=not args.no_progress,
  )
  params = fit.state.params
  logits, _ = jax.jit(model.apply)(params, fit.state.state, x_held)
  bits = float(jnp.mean(per_step_cross_entropy(logits, y_held)) / np.log(2))
  counts = np.bincount(ids[:split], minlength=len(vocab)) / split
  unigram = float(-np.sum(counts[counts > 0] * np.log2(counts[counts > 0])))
  print(
    f"held-out bits per character {bits:.3f} (unigram entropy {unigram:.3f}) "
    f"on {len(x_held) * seq_len} characters of {path.name}"
  )

  sample = make_sampler(embed, cell, head)
  prompt = ids[split : split + 32]
  samples = {}
  for temperature in TEMPERATURES:
    tokens = sample(
      params, jax.random.key(args.seed + 1), jnp.asarray(prompt), args.sample_len, temperature
    )
    samples[str(temperature)] = "".join(vocab[i] for i in np.asarray(tokens))
    print(
      f"\n--- temperature {temperature}, after {''.join(vocab[i] for i in prompt)!r}:\n"
      f"{samples[str(temperature)]}\n",
      flush=True,
    )

  history = fit.history
  fig, ax = plt.subplots(figsize=(5.5, 3.8))
  epochs_axis = 1 + np.arange(len(history["loss"]))
  ax.plot(epochs_axis, np.asarray(history["loss"]) / np.log(2), label="train")
  ax.plot(epochs_axis, np.asarray(history["val_loss"]) / np.log(2), label="held out")
  ax.axhline(unigram, color="gray", ls="--", label="unigram entropy")
  ax.set(xlabel="epoch", ylabel="bits per character", title=f"char LSTM({hidden}) on {path.name}")
  ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(out / "char_lm.png", dpi=100)
  plt.close(fig)

  headline = {
    "heldout_bits_per_char": round(bits, 4),
    "unigram_bits_per_char": round(unigram, 4),
    "samples": samples,
  }
  config = {
    "text": str(path),
    "characters": len(ids),
    "vocab": len(vocab),
    "seq_len": seq_len,
    "hidden": hidden,
    "embed": args.embed,
    "epochs": epochs,
    "bptt": args.bptt,
    "lr": args.lr,
    "seed": args.seed,
  }
  results = {
    "config": config,
    **headline,
    "train_bits_per_epoch": np.asarray(history["loss"]) / np.log(2),
    "heldout_bits_per_epoch": np.asarray(history["val_loss"]) / np.log(2),
  }
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
