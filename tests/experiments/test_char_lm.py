import numpy as np

from experiments import char_lm


def test_windows_pair_each_character_with_the_next():
  ids = np.arange(20, dtype=np.int32)
  x, y = char_lm.windows(ids, 5, 3)
  np.testing.assert_array_equal(x[1], [3, 4, 5, 6, 7])
  np.testing.assert_array_equal(y, x + 1)


def test_quick_run_on_a_given_text_reports_bits_and_samples_from_its_alphabet(tmp_path):
  text = "abcab cabba " * 200
  path = tmp_path / "tiny.txt"
  path.write_text(text)
  headline = char_lm.main(
    [
      "--quick",
      "--no-progress",
      "--text",
      str(path),
      "--sample-len",
      "40",
      "--bptt",
      "8",
      "--out",
      str(tmp_path),
    ]
  )
  # 4 symbols: a trained-or-not model's bits are finite and near log2(4) = 2 at most.
  assert 0 < headline["heldout_bits_per_char"] < 3.0
  assert abs(headline["unigram_bits_per_char"] - 1.92) < 0.05  # a 5/12, b 4/12, c 2/12, ' ' 1/12
  for sample in headline["samples"].values():
    assert len(sample) == 40
    assert set(sample) <= set("abc ")
  assert (tmp_path / "char_lm.png").stat().st_size > 0
