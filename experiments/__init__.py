"""Research-style experiments, one question per module: ``python -m experiments.NAME --help``."""
