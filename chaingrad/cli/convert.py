"""``chaingrad convert-torch IN.pth OUT``: a PyTorch ``state_dict`` file to ``cg.save`` format.

PyTorch is needed for this command only (it reads the file with
``torch.load(weights_only=True)``, which refuses to run code from the file); the result is read
by ``cg.load`` without PyTorch:

    chaingrad convert-torch resnet18-f37072fd.pth resnet18.cgt
    python -c "import chaingrad as cg; cg.models.resnet18(weights='resnet18.cgt')"

Nested checkpoints (``{'model': state_dict, 'optimizer': ..., 'epoch': 3}``) are converted
whole; ``--key model`` keeps one entry, ``--strip-prefix module.`` removes a prefix from the
keys (as left by ``DataParallel``), ``--model resnet18`` checks that the result loads into
``chaingrad.models.resnet18`` with every key matching.
"""
from __future__ import annotations

import os
from collections import OrderedDict

from .main import CLIError


def add_parser(sub, name):
    p = sub.add_parser(name, help="convert a PyTorch state_dict (.pth/.pt) to chaingrad's format",
                       description="Convert a PyTorch state_dict file (torch.save) into "
                                   "chaingrad's checkpoint format (cg.save). Needs PyTorch.")
    p.add_argument("input", metavar="IN.pth", help="file written by torch.save")
    p.add_argument("output", metavar="OUT", help="chaingrad file to write (cg.load reads it)")
    p.add_argument("--key", default=None,
                   help="convert only this entry of a checkpoint dict (e.g. 'model')")
    p.add_argument("--strip-prefix", default=None, metavar="PREFIX",
                   help="remove PREFIX from the start of every key (e.g. 'module.')")
    p.add_argument("--model", default=None, metavar="NAME",
                   help="check that the result loads (strict) into chaingrad.models.NAME, "
                        "e.g. resnet18")
    p.add_argument("--num-classes", type=int, default=None,
                   help="number of classes of the --model check (default: from fc.weight)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(run=run)


def _import_torch():
    try:
        import torch
    except ImportError:
        raise CLIError("PyTorch is not installed, and convert-torch needs it to read .pth "
                       "files (pip install torch); chaingrad itself does not need it") from None
    return torch


class _Stats:
    def __init__(self):
        self.tensors = 0
        self.numbers = 0
        self.notes: list[str] = []


def _convert(obj, torch, stats, where="obj"):
    """Torch tensors -> chaingrad tensors (same dtype, copied), containers recursively."""
    import numpy as np
    import chaingrad as cg
    if isinstance(obj, torch.Tensor):
        t = obj.detach()
        if t.is_sparse or t.is_quantized:
            raise CLIError(f"{where} is a sparse or quantized tensor; convert it to a dense "
                           f"float tensor in PyTorch first")
        if t.dtype == torch.bfloat16:
            stats.notes.append(f"{where}: bfloat16 stored as float32 (NumPy has no bfloat16)")
            t = t.float()
        arr = np.array(t.cpu().contiguous().numpy(), copy=True)
        stats.tensors += 1
        stats.numbers += arr.size
        out = cg.tensor(arr) if arr.dtype.kind in "biuf" else None
        if out is None:
            raise CLIError(f"{where} has dtype {t.dtype}, which chaingrad cannot hold")
        if isinstance(obj, torch.nn.Parameter):
            out = cg.Parameter(out, requires_grad=obj.requires_grad)
        return out
    if isinstance(obj, torch.Size):
        return tuple(obj)
    if isinstance(obj, torch.dtype):
        return str(obj).replace("torch.", "")
    if isinstance(obj, dict):
        items = [(k, _convert(v, torch, stats, f"{where}[{k!r}]")) for k, v in obj.items()]
        return OrderedDict(items) if isinstance(obj, OrderedDict) else dict(items)
    if isinstance(obj, (list, tuple)):
        items = [_convert(v, torch, stats, f"{where}[{i}]") for i, v in enumerate(obj)]
        return items if isinstance(obj, list) else tuple(items)
    if obj is None or isinstance(obj, (bool, int, float, str, bytes, complex)):
        return obj
    raise CLIError(f"{where} is a {type(obj).__name__}, which is not part of a state_dict; "
                   f"save model.state_dict() in PyTorch, or pick an entry with --key")


def _check_model(name, sd, num_classes):
    import chaingrad.models as models
    factory = getattr(models, name, None)
    if factory is None or not callable(factory):
        raise CLIError(f"unknown model {name!r} for --model (try resnet18, resnet34, resnet50)")
    if num_classes is None and "fc.weight" in sd:
        num_classes = int(sd["fc.weight"].shape[0])
    model = factory(num_classes=num_classes) if num_classes is not None else factory()
    try:
        model.load_state_dict(sd, strict=True)
    except (RuntimeError, KeyError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CLIError(f"the converted weights do not fit chaingrad.models.{name}: {first}") \
            from None
    return model


def run(args):
    torch = _import_torch()
    import chaingrad as cg
    if not os.path.exists(args.input):
        raise CLIError(f"{args.input}: no such file")
    if os.path.isdir(args.input):
        raise CLIError(f"{args.input} is a directory, not a .pth file")
    try:
        obj = torch.load(args.input, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a bad file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CLIError(f"PyTorch could not read {args.input} as a weights-only file: "
                       f"{first[:300]}") from None
    if args.key is not None:
        if not isinstance(obj, dict) or args.key not in obj:
            keys = ", ".join(map(repr, list(obj)[:10])) if isinstance(obj, dict) else "none"
            raise CLIError(f"--key {args.key!r} is not in the file (its top-level keys: {keys})")
        obj = obj[args.key]
    if args.strip_prefix:
        if not isinstance(obj, dict):
            raise CLIError("--strip-prefix needs a dict of tensors (use --key to pick one)")
        n = len(args.strip_prefix)
        obj = type(obj)((k[n:] if isinstance(k, str) and k.startswith(args.strip_prefix) else k,
                         v) for k, v in obj.items())
    stats = _Stats()
    out = _convert(obj, torch, stats)
    if args.model:
        if not isinstance(out, dict):
            raise CLIError("--model needs the file to hold a state_dict (use --key)")
        _check_model(args.model, out, args.num_classes)
    try:
        cg.save(out, args.output)
    except OSError as exc:
        raise CLIError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    if not args.quiet:
        for note in stats.notes[:5]:
            print(f"note: {note}")
        checked = f", loads into chaingrad.models.{args.model}" if args.model else ""
        print(f"converted {args.input} -> {args.output}: {stats.tensors} tensors, "
              f"{stats.numbers:,} numbers{checked}")
    return 0
