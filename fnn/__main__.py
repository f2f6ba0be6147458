"""``python -m fnn demo [--out DIR] [--only PART ...]``: the README's demo."""

import sys

from fnn.demo import main

if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
