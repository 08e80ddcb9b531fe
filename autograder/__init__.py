"""The instructor's side of the kit: stub generation, sandboxed grading, results and reports."""
