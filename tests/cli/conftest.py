import os

import pytest

from chaingrad.cli.main import main

FASHION = "/usr/share/datasets/fashion-mnist"
needs_fashion = pytest.mark.skipif(not os.path.isdir(FASHION),
                                   reason="sudo apt-get install dataset-fashion-mnist")
# a small, quick slice of the real data
SMALL = ["--model", "mlp", "--limit", "512", "--test-limit", "256", "--batch-size", "64"]


def run_cli(*argv):
    """main([...]) in-process; SystemExit (argparse) turned into its exit status."""
    try:
        return main([str(a) for a in argv])
    except SystemExit as exc:
        return exc.code


@pytest.fixture(scope="session")
def mlp_run(tmp_path_factory):
    """One short trained MLP run shared by the evaluate / predict / error tests."""
    if not os.path.isdir(FASHION):
        pytest.skip("sudo apt-get install dataset-fashion-mnist")
    out = tmp_path_factory.mktemp("mlp_run")
    assert run_cli("train", *SMALL, "--epochs", "2", "--out", out) == 0
    return out
