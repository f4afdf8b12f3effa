"""Figures the reliability tests measure, printed in pytest's terminal summary (conftest)."""
FUZZ = {"graphs": 0, "steps": 0, "double": 0, "refused": 0, "used": 0, "view": 0, "both_refused": 0, "torch_only_refused": 0, "ops": set()}
FIGURES = []  # lines such as "soak: RSS grew 0.3 MiB over 2,000 steps"


def figure(line: str) -> None:
    FIGURES.append(line)
    print(line)
