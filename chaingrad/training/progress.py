"""What a person watches during training: a progress bar per epoch and a table row per epoch.

On a terminal the bar redraws itself in place (carriage return); when the output is a file or
a pipe it prints a plain line at each quarter of the epoch instead, so logs stay readable.
"""
from __future__ import annotations

import sys
import time

COLUMNS = ("epoch", "train loss", "train acc", "test loss", "test acc", "lr", "time")


class ProgressBar:
    """``epoch 1/3 [#######.....] 200/469  loss 0.4123  acc 85.2%  2310 samples/s  12s``."""

    width = 24

    def __init__(self, total, label, stream=None, enabled=True):
        self.total = max(1, int(total))
        self.label = label
        self.stream = stream or sys.stdout
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()
        self._next_quarter = 1
        self._last_draw = 0.0

    def update(self, done, loss, acc, samples):
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.tty:
            if done < self.total and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            line = self._line(done, loss, acc, samples, now)
            self.stream.write("\r" + line)
            if done >= self.total:  # erase the finished bar: the epoch's table row replaces it
                self.stream.write("\r" + " " * len(line) + "\r")
            self.stream.flush()
            return
        if done * 4 >= self._next_quarter * self.total:
            while done * 4 >= self._next_quarter * self.total:
                self._next_quarter += 1
            self.stream.write(self._line(done, loss, acc, samples, now) + "\n")
            self.stream.flush()

    def _line(self, done, loss, acc, samples, now):
        elapsed = max(now - self.start, 1e-9)
        filled = int(self.width * done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        return (f"{self.label} [{bar}] {done}/{self.total}  loss {loss:.4f}  acc {100 * acc:5.1f}%"
                f"  {samples / elapsed:,.0f} samples/s  {elapsed:.0f}s")


def table_header() -> str:
    return (f"{'epoch':>5} | {'train loss':>10} | {'train acc':>9} | {'test loss':>9} | "
            f"{'test acc':>8} | {'lr':>9} | {'time':>7}\n" + "-" * 77)


def table_row(row: dict) -> str:
    return (f"{row['epoch']:>5} | {row['train_loss']:>10.4f} | {100 * row['train_acc']:>8.2f}% | "
            f"{row['test_loss']:>9.4f} | {100 * row['test_acc']:>7.2f}% | {row['lr']:>9.2e} | "
            f"{row['time_s']:>6.1f}s")
