import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")


@pytest.fixture(scope="session")
def shared_data():
  """Path to ../shared/data, or skip the test when it is not there."""
  path = os.path.abspath(SHARED_DATA)
  if not os.path.isdir(path):
    pytest.skip("../shared/data is not present")
  return path
