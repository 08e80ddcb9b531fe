"""The grading path: one submission -> intake -> sandbox -> checks -> scores -> ``results.json``."""
