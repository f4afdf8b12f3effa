from . import report


def pytest_terminal_summary(terminalreporter):
    f = report.FUZZ
    lines = list(report.FIGURES)
    if f["graphs"]:
        lines.insert(0, f"fuzz: {f['graphs']} random graphs vs PyTorch ({f['steps']} ops, "
                        f"{len(f['ops'])} kinds, {f['double']} with double backward, {f['used']} with "
                        f"in-place changes of used values: {f['refused']} refused at backward, "
                        f"the others' gradients equal PyTorch's out-of-place reference; {f['view']} "
                        f"with in-place ops through views in both libraries: {f['both_refused']} "
                        f"refused by both, {f['torch_only_refused']} by PyTorch only)")
    if lines:
        terminalreporter.section("reliability figures")
        for line in lines:
            terminalreporter.write_line(line)
