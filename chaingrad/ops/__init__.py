"""chaingrad's differentiable operations, one family per module, forward beside backward."""
