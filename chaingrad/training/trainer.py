"""The training loop of ``chaingrad train``: epochs of mini-batch gradient descent, an
evaluation on the test set after each, checkpoints, metrics and plots.

One step is the whole idea of the library in five lines::

    logits = model(x)                 # forward: the graph is recorded
    loss = cross_entropy(logits, y)
    optimizer.zero_grad()
    loss.backward()                   # the chain rule, once per node (dynamic programming)
    optimizer.step()                  # p -= lr * dL/dp (or Adam's version of it)

Exact resume: a checkpoint holds the model, optimizer and scheduler states, chaingrad's random
generator state, and the training loader's position inside the current pass (its shuffle seed
and the number of batches done), so a resumed run takes the very same steps as one that was
never stopped and ends with bit-identical weights.

Hooks for data-parallel training (``chaingrad.distributed.train_hooks``): ``is_main_process``
(only the main process prints and writes files), ``wrap_model(model)`` (e.g.
DistributedDataParallel: the wrapper runs forward/backward, the bare model is what checkpoints
hold), ``after_backward(model)`` (e.g. average the gradients over processes; None for one
process), ``train_sampler`` (a shard of the data per process; its ``set_epoch(epoch)`` is
called at the start of every epoch) and ``reduce_metrics(dict) -> dict`` (sum the epoch's
counts over processes).
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time

import numpy as np

from .. import random as _random
from ..autograd.grad_mode import no_grad
from ..data import DataLoader
from . import factory, metrics, plots
from .checkpoint import load_model_state, save_checkpoint
from .progress import ProgressBar, table_header, table_row


def cross_entropy(logits, target):
    """Mean cross-entropy of integer class targets: -mean_i log softmax(logits_i)[y_i]."""
    from ..nn import functional as F
    return F.cross_entropy(logits, target)


class Trainer:
    """Train ``config['model']`` on ``config['dataset']`` and write the run to ``out_dir``.

    Args:
        config (dict): model, dataset, epochs, batch_size, lr, optimizer, scheduler,
            weight_decay, seed, limit, test_limit, augment, data_root, stop_after_steps.
        out_dir (str): where checkpoints, metrics.csv, summary.json and plots go.
        resume (dict, optional): a loaded checkpoint to continue from.
        stream: where progress goes (default stdout).
    """

    def __init__(self, config, out_dir, resume=None, stream=None, is_main_process=True,
                 after_backward=None, train_sampler=None, reduce_metrics=None, wrap_model=None,
                 plots=True, agree_stop=None):
        self.config = dict(config)
        self.out = out_dir
        self.resume = resume
        self.stream = stream or sys.stdout
        self.main = is_main_process
        self.after_backward = after_backward
        self.train_sampler = train_sampler
        self.reduce_metrics = reduce_metrics
        self.wrap_model = wrap_model
        self.plots = plots
        # agree_stop(flag) -> bool: whether any process of a data-parallel job was asked to
        # stop (all must stop after the same step, or the others wait for them forever)
        self.agree_stop = agree_stop
        self._stop = None  # None, "signal" or "steps"

    # -- set-up --------------------------------------------------------------------------------
    def setup(self, datasets=None):
        cfg = self.config
        _random.manual_seed(cfg["seed"])
        self.train_set, self.test_set = datasets or factory.load_datasets(cfg)
        self.classes = factory.class_names(self.train_set)
        self.model = factory.build_model(cfg, num_classes=len(self.classes))
        self.net = self.wrap_model(self.model) if self.wrap_model is not None else self.model
        shuffle = self.train_sampler is None
        self.loader = DataLoader(self.train_set, batch_size=cfg["batch_size"], shuffle=shuffle,
                                 sampler=self.train_sampler)
        self.test_loader = DataLoader(self.test_set, batch_size=max(cfg["batch_size"], 500))
        self.optimizer = factory.build_optimizer(cfg, self.model.parameters())
        self.scheduler, self.sched_every = factory.build_scheduler(cfg, self.optimizer,
                                                                   len(self.loader))
        self.epoch, self.step = 0, 0
        self.history, self.best_acc, self.best_epoch = [], -1.0, 0
        self.progress = None
        if self.resume is not None:
            self._restore(self.resume)
        return self

    def _restore(self, ck):
        load_model_state(self.model, ck["model"], self.config["model"], ck.get("path", "checkpoint"))
        self.optimizer.load_state_dict(ck["optimizer"])
        if self.scheduler is not None and ck.get("scheduler"):
            self.scheduler.load_state_dict(ck["scheduler"])
        _random.set_rng_state(ck["rng"])
        self.loader.load_state_dict(ck["loader"])
        self.epoch, self.step = int(ck["epoch"]), int(ck["step"])
        self.history = list(ck.get("history", []))
        self.best_acc = float(ck.get("best_acc", -1.0))
        self.best_epoch = int(ck.get("best_epoch", 0))
        self.progress = ck.get("progress")
        self._replan_schedule()

    def _replan_schedule(self):
        """Fit what is left of a per-step lr schedule to what is left of the run.

        A run resumed on another number of ranks has another number of batches per epoch, so
        the steps still to come differ from the plan the schedule was made with (onecycle would
        run out and stop the run). The schedule keeps the steps it took and ends with the run:
        its length becomes steps taken + steps left (the same as before on the same ranks)."""
        sch = self.scheduler
        if sch is None or self.sched_every != "step":
            return
        taken = max(int(sch.last_epoch), 0)
        left = (self.config["epochs"] - self.epoch) * len(self.loader) - self.loader._skip
        total = taken + max(left, 0)
        if hasattr(sch, "total_steps") and total != sch.total_steps and total > 0:
            old = sch.total_steps  # OneCycleLR: stretch each phase's end step alike
            for phase in sch._schedule_phases:
                phase["end_step"] = float((phase["end_step"] + 1) * total / old - 1)
            sch.total_steps = total
            self._print(f"the lr schedule is re-planned for {total} steps (was {old}): this run "
                        f"has {len(self.loader)} batches per epoch")
        elif hasattr(sch, "T_max") and total != sch.T_max and total > 0:
            self._print(f"the lr schedule is re-planned for {total} steps (was {sch.T_max})")
            sch.T_max = total

    def state(self) -> dict:
        return {"config": self.config, "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler is not None else {},
                "epoch": self.epoch, "step": self.step, "rng": _random.get_rng_state(),
                "loader": self.loader.state_dict(), "progress": self.progress,
                "history": self.history, "best_acc": self.best_acc,
                "best_epoch": self.best_epoch, "classes": self.classes}

    def _save(self, name):
        if not self.main:
            return None
        path = os.path.join(self.out, name)
        save_checkpoint(path, self.state())
        return path

    def _print(self, text=""):
        if self.main:
            print(text, file=self.stream, flush=True)

    # -- the loop ------------------------------------------------------------------------------
    def fit(self) -> int:
        """Run the remaining epochs; 0 when done, 130 when stopped by Ctrl-C (after saving
        ``interrupted.ckpt``)."""
        cfg = self.config
        self._cpu0, self._wall0 = time.process_time(), time.perf_counter()
        restore = self._install_sigint()
        try:
            if self.epoch < cfg["epochs"]:  # a resumed run shows its earlier epochs too
                self._print("\n".join([table_header()] + [table_row(r) for r in self.history]))
            while self.epoch < cfg["epochs"] and not self._stopping():
                row = self._train_epoch()
                if row is None:
                    break
                self._print(table_row(row))
                improved = row["test_acc"] > self.best_acc
                if improved:
                    self.best_acc, self.best_epoch = row["test_acc"], row["epoch"]
                self._save("last.ckpt")
                if improved:
                    self._save("best.ckpt")
                if self.main:
                    metrics.write_csv(os.path.join(self.out, "metrics.csv"), self.history)
        finally:
            restore()
        if self._stop is not None and self.epoch < cfg["epochs"]:
            path = self._save("interrupted.ckpt")
            self._print(f"stopped at epoch {self.epoch + 1}, step {self.step}: resumable "
                        f"checkpoint saved to {path}\n"
                        f"continue with: chaingrad train --resume {path}")
            return 130 if self._stop == "signal" else 0
        self._finish()
        return 0

    def _train_epoch(self):
        cfg, model = self.config, self.net
        if hasattr(self.train_sampler, "set_epoch"):
            self.train_sampler.set_epoch(self.epoch)
        p = self.progress or {"loss_sum": 0.0, "correct": 0, "seen": 0, "time": 0.0}
        self.progress = p
        bar = ProgressBar(len(self.loader), f"epoch {self.epoch + 1}/{cfg['epochs']}",
                          self.stream, enabled=self.main)
        model.train()
        start = time.perf_counter()
        done, seen_now = self.loader._skip, 0  # a resumed pass starts after its done batches
        for xb, yb in self.loader:
            logits = model(xb)
            loss = cross_entropy(logits, yb)
            self.optimizer.zero_grad()
            loss.backward()
            if self.after_backward is not None:
                self.after_backward(model)
            self.optimizer.step()
            if self.sched_every == "step":
                self.scheduler.step()
            self.step += 1
            done += 1
            n = len(yb)
            p["loss_sum"] += float(loss.item()) * n
            p["correct"] += int((logits._array.argmax(1) == yb._array).sum())
            p["seen"] += n
            seen_now += n
            bar.update(done, p["loss_sum"] / p["seen"], p["correct"] / p["seen"], seen_now)
            if cfg.get("stop_after_steps") and self.step >= cfg["stop_after_steps"]:
                self._stop = self._stop or "steps"
            self._stopping()
            if self._stop is not None and done < len(self.loader):
                p["time"] += time.perf_counter() - start
                return None  # mid-pass: the loader's state says where to pick up
        p["time"] += time.perf_counter() - start
        if self.sched_every == "epoch":
            self.scheduler.step()
        counts = {"loss_sum": p["loss_sum"], "correct": p["correct"], "seen": p["seen"]}
        if self.reduce_metrics is not None:
            counts = self.reduce_metrics(counts)
        test_loss, test_acc, self._confusion = self.evaluate()
        self.epoch += 1
        row = {"epoch": self.epoch, "train_loss": counts["loss_sum"] / max(counts["seen"], 1),
               "train_acc": counts["correct"] / max(counts["seen"], 1), "test_loss": test_loss,
               "test_acc": test_acc, "lr": float(self.optimizer.param_groups[0]["lr"]),
               "time_s": p["time"] + self._eval_time,
               "samples_per_s": p["seen"] / max(p["time"], 1e-9)}
        self.history.append(row)
        self.progress = None
        return row

    def evaluate(self):
        """(mean loss, accuracy, confusion matrix) on the test set, without recording a graph."""
        start = time.perf_counter()
        self.net.eval()
        loss_sum, preds, targets = 0.0, [], []
        with no_grad():
            for xb, yb in self.test_loader:
                logits = self.net(xb)
                loss_sum += float(cross_entropy(logits, yb).item()) * len(yb)
                preds.append(logits._array.argmax(1))
                targets.append(yb._array)
        self.net.train()
        preds, targets = np.concatenate(preds), np.concatenate(targets)
        self._eval_time = time.perf_counter() - start
        conf = metrics.confusion_matrix(targets, preds, len(self.classes))
        return loss_sum / len(targets), float((preds == targets).mean()), conf

    def _finish(self):
        if not self.main:
            return
        out = self.out
        last = os.path.join(out, "last.ckpt")
        final = os.path.join(out, "final.ckpt")
        if os.path.exists(last):
            os.replace(last, final)
        elif not os.path.exists(final):
            save_checkpoint(final, self.state())
        conf = getattr(self, "_confusion", None)
        if conf is None:
            _, _, conf = self.evaluate()
        files = ["final.ckpt", "best.ckpt", "metrics.csv", "summary.json"]
        if self.plots:
            files += self._plot(conf)
        last_row = self.history[-1] if self.history else {}
        summary = {
            "config": self.config, "classes": self.classes, "epochs": self.epoch,
            "steps": self.step, "final_test_acc": last_row.get("test_acc"),
            "final_test_loss": last_row.get("test_loss"),
            "final_train_loss": last_row.get("train_loss"), "best_test_acc": self.best_acc,
            "best_epoch": self.best_epoch,
            "train_time_s": sum(r["time_s"] for r in self.history),
            # this session only (a resumed run counts from the resume)
            "wall_time_s": time.perf_counter() - self._wall0,
            "cpu_time_s": time.process_time() - self._cpu0,
            "per_class_test_acc": dict(zip(self.classes,
                                           metrics.per_class_accuracy(conf).tolist())),
            "history": self.history, "files": files,
        }
        metrics.write_csv(os.path.join(out, "metrics.csv"), self.history)
        metrics.write_json(os.path.join(out, "summary.json"), summary)
        self._print(f"\ntest accuracy {100 * (last_row.get('test_acc') or 0):.2f}% "
                    f"(best {100 * self.best_acc:.2f}% at epoch {self.best_epoch}), "
                    f"{summary['train_time_s']:.0f}s; wrote {', '.join(files)} to {out}")

    def _plot(self, conf):
        out, files = self.out, []
        if plots.plot_curves(self.history, os.path.join(out, "curves.png")):
            files.append("curves.png")
        if plots.plot_confusion(conf, self.classes, os.path.join(out, "confusion.png")):
            files.append("confusion.png")
        flow = plots.plot_gradient_flow(
            self.model, os.path.join(out, "gradient_flow.png"), self.optimizer,
            title=f"gradient flow, last step of epoch {self.epoch} ({self.config['model']})")
        if flow is not None:
            files.append("gradient_flow.png")
        return files

    def _stopping(self) -> bool:
        """Whether to stop now. In a data-parallel job every rank asks at the same points
        (after every step, before every epoch) and all get the same answer: one interrupted
        rank stops them all there, and none is left waiting in a collective for the others."""
        stop = self._stop is not None
        if self.agree_stop is not None and self.agree_stop(stop) and not stop:
            self._stop = "signal"  # another rank was interrupted
            stop = True
        return stop

    # -- Ctrl-C --------------------------------------------------------------------------------
    def _install_sigint(self):
        """Ctrl-C (SIGINT) or SIGTERM - what mpirun sends every rank on Ctrl-C, about a second
        before it kills them - finish the current step and save a resumable checkpoint."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def handler(signum, frame):
            if self._stop == "signal":
                raise KeyboardInterrupt
            self._stop = "signal"
            if self.main:
                print("\ninterrupt: saving a resumable checkpoint after this step "
                      "(Ctrl-C again to abort)", file=self.stream, flush=True)

        old = signal.signal(signal.SIGINT, handler)
        old_term = signal.signal(signal.SIGTERM, handler)

        def restore():
            signal.signal(signal.SIGINT, old)
            signal.signal(signal.SIGTERM, old_term)
        return restore
