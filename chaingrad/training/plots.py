"""The pictures of a run (matplotlib, headless): loss/accuracy curves and the confusion
matrix. Missing matplotlib skips them with a note instead of failing the run."""
from __future__ import annotations




def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        return None


def plot_curves(history, path) -> bool:
    """``curves.png``: loss and accuracy per epoch, train vs test."""
    plt = _pyplot()
    if plt is None or not history:
        return False
    epochs = [r["epoch"] for r in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for split, style in (("train", "o-"), ("test", "s--")):
        ax_loss.plot(epochs, [r[f"{split}_loss"] for r in history], style, label=split)
        ax_acc.plot(epochs, [100 * r[f"{split}_acc"] for r in history], style, label=split)
    ax_loss.set(title="loss (cross-entropy)", xlabel="epoch", ylabel="loss")
    ax_acc.set(title="accuracy", xlabel="epoch", ylabel="accuracy (%)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def plot_confusion(confusion, classes, path, title="confusion matrix (test set)") -> bool:
    """``confusion.png``: rows = true class, columns = predicted class, counts in the cells."""
    plt = _pyplot()
    if plt is None:
        return False
    n = len(classes)
    fig, ax = plt.subplots(figsize=(1.0 + 0.65 * n, 0.8 + 0.6 * n))
    ax.imshow(confusion, cmap="Blues")
    ax.set_xticks(range(n), classes, rotation=45, ha="right")
    ax.set_yticks(range(n), classes)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    top = confusion.max() if confusion.size else 0
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(int(confusion[i, j])), ha="center", va="center", fontsize=7,
                    color="white" if confusion[i, j] > top / 2 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def plot_gradient_flow(model, path, optimizer=None, title=None):
    """``gradient_flow.png`` from ``chaingrad.viz.gradient_flow`` (per-layer gradient norms of
    the last training step; the model's ``.grad`` must still be filled). Returns the report,
    or None when the viz module is absent or the plot fails."""
    try:
        from ..viz import gradient_flow
    except ImportError:
        return None
    try:
        report = gradient_flow(model, optimizer=optimizer, title=title)
        report.plot(path)
    except Exception:  # a picture is never worth failing a finished training run
        return None
    return report
