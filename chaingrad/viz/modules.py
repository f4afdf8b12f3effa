"""Which module ran which graph node: forward hooks that tag nodes, and a fallback guess.

    with viz.trace_modules(model):
        loss = model(x).sum()
    viz.draw_graph(loss, params=model, collapse=True)   # one box per repeated block

Each module's forward hook walks back from its output's node to the nodes of its inputs and
writes its qualified name (``layer1.0.conv1``) into every node not yet tagged. Hooks of inner
modules run first, so every node ends up with the innermost module that made it.
"""
from __future__ import annotations

import contextlib

from ..autograd.function import AccumulateGrad
from ._walk import edges


def _tensors(obj):
    if hasattr(obj, "grad_fn") and hasattr(obj, "_array"):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def _tag_between(outputs, inputs, name):
    stop = {t.grad_fn for t in _tensors(inputs) if t.grad_fn is not None}
    stop.update(t._accumulator[0] for t in _tensors(inputs)
                if t.grad_fn is None and t._accumulator is not None)
    stack = [t.grad_fn for t in _tensors(outputs) if t.grad_fn is not None]
    seen = set()
    while stack:
        node = stack.pop()
        if node in seen or node in stop:
            continue
        seen.add(node)
        node.metadata.setdefault("module", name)
        if isinstance(node, AccumulateGrad):
            continue
        for _, child, _ in edges(node):
            stack.append(child)


@contextlib.contextmanager
def trace_modules(model):
    """Tag every graph node built inside ``model``'s forward with the name of the innermost
    submodule that built it (node.metadata['module']). Used by ``draw_graph`` for clusters and
    ``collapse``."""
    handles = []
    for name, mod in model.named_modules():
        if not name:
            continue
        handles.append(mod.register_forward_hook(
            lambda m, inp, out, _name=name: _tag_between(out, inp, _name)))
    try:
        yield model
    finally:
        for h in handles:
            h.remove()


def _common_prefix(names):
    parts = [n.split(".") for n in names]
    out = []
    for comps in zip(*parts):
        if all(c == comps[0] for c in comps):
            out.append(comps[0])
        else:
            break
    return ".".join(out)


def assign_modules(order, leaf_names):
    """``{node: module name or None}``: the traced tag when present; otherwise a guess from
    parameter names (a node that consumes ``layer1.0.conv1.weight`` belongs to
    ``layer1.0.conv1``; other nodes take the common prefix of their tagged neighbours)."""
    mod = {}
    for node in order:
        tag = node.__dict__.get("_metadata", {}).get("module")
        if tag:
            mod[node] = tag
        elif isinstance(node, AccumulateGrad):
            name = leaf_names.get(node)
            if name and "." in name:
                mod[node] = name.rsplit(".", 1)[0]
    if len(mod) == len(order) or not leaf_names:
        return mod
    for node in order:
        if node in mod:
            continue
        owners = {mod[c] for _, c, _ in edges(node) if isinstance(c, AccumulateGrad) and c in mod}
        if owners:
            mod[node] = _common_prefix(sorted(owners)) or None
    consumers = {}
    for node in order:
        for _, c, _ in edges(node):
            consumers.setdefault(c, []).append(node)
    for _ in range(3):  # a few sweeps fill ops between parameterised ones (relu, add, pools)
        for node in order:
            if mod.get(node):
                continue
            near = [mod[n] for n in consumers.get(node, []) if mod.get(n)]
            near += [mod[c] for _, c, _ in edges(node) if mod.get(c)]
            if len(near) >= 2:
                p = _common_prefix(sorted(set(near)))
                if p:
                    mod[node] = p
    return mod


def collapse_key(module, collapse):
    """The box a node of ``module`` is drawn in, or None to draw it on its own.

    ``collapse=True``: the shortest prefix ending in a numeric component (a repeated block
    such as ``layer1.0`` or ``features.3``); an int ``d``: the first ``d`` components; a list
    of prefixes: the listed prefix the module starts with."""
    if not collapse or not module:
        return None
    parts = module.split(".")
    if collapse is True:
        for i, p in enumerate(parts):
            if p.isdigit():
                return ".".join(parts[:i + 1])
        return None
    if isinstance(collapse, int):
        return ".".join(parts[:collapse])
    for prefix in collapse:
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    return None
