"""The training-loop helpers in a world of one (test_mpirun.py runs them on 2 and 4 ranks)."""
from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.distributed as dist
from chaingrad.distributed import launch


@pytest.fixture(autouse=True)
def world1(monkeypatch):
    for v in ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK", "MV2_COMM_WORLD_SIZE"):
        monkeypatch.delenv(v, raising=False)
    dist.destroy_process_group()
    yield
    dist.destroy_process_group()


def test_train_hooks_world_of_one(capsys):
    hooks = dist.train_hooks(list(range(10)), seed=3)
    assert set(hooks) == {"is_main_process", "train_sampler", "wrap_model", "reduce_metrics",
                          "agree_stop"}
    assert hooks["is_main_process"] and dist.get_world_size() == 1
    assert sorted(hooks["train_sampler"]) == list(range(10))
    assert "1 rank (local)" in capsys.readouterr().out
    model = cg.nn.Linear(2, 2)
    ddp = hooks["wrap_model"](model)
    assert ddp.module is model
    assert hooks["reduce_metrics"]({"seen": 3, "loss_sum": 1.5}) == {"seen": 3, "loss_sum": 1.5}


def test_average_gradients_and_print0_world_of_one(capsys):
    dist.init()
    lin = cg.nn.Linear(2, 1)
    lin.weight.grad = cg.ones(1, 2)
    launch.average_gradients(lin)
    np.testing.assert_array_equal(lin.weight.grad.numpy(), [[1.0, 1.0]])
    launch.print0("hello")
    assert capsys.readouterr().out == "hello\n" and launch.is_main_process()


@pytest.mark.parametrize("env, want", [({}, 1), ({"OMPI_COMM_WORLD_LOCAL_SIZE": "4"}, 4),
                                       ({"MPI_LOCALNRANKS": "2"}, 2)])
def test_local_size(monkeypatch, env, want):
    for v in ("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "PMI_LOCAL_SIZE",
              "SLURM_NTASKS_PER_NODE"):
        monkeypatch.delenv(v, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert launch.local_size() == want
