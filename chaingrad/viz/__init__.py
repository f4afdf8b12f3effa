"""Seeing back-propagation: the graph, the dynamic-programming table, gradient flow.

- ``draw_graph(tensor)``: the computational graph, with shapes, values and gradient norms
  (DOT / SVG / PNG, displays itself in Jupyter).
- ``explain_backward(loss)``: runs the backward pass and returns its DP table (one row per
  node in the engine's visit order), path counts and the cost of DP vs naive chain rule.
- ``gradient_flow(model)``: per-parameter gradient statistics after a backward pass, with
  vanishing / exploding warnings and a plot; ``GradientFlowMonitor(model)`` adds activation
  saturation and dead-ReLU fractions through forward hooks.
"""
from .graph import draw_graph, GraphView, GraphvizNotFound
from .modules import trace_modules
from ._record import record_values

__all__ = ["draw_graph", "GraphView", "GraphvizNotFound", "trace_modules", "record_values"]
from .explain import explain_backward, BackwardExplanation

__all__ += ["explain_backward", "BackwardExplanation"]
from .gradient_flow import (gradient_flow, GradientFlowMonitor, GradientFlowReport, new_figure,
                            plot_flow)

__all__ += ["gradient_flow", "GradientFlowMonitor", "GradientFlowReport", "new_figure",
            "plot_flow"]
