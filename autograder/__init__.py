"""The instructor's side of the kit.

``grading``: one submission -> sandbox -> checks -> scores -> ``results.json`` (the trusted path).
``classops``: a whole class: intake of LMS downloads, batch grading, shards, gradebooks, rubric, LMS exports.
``report``: per-student reports and the class dashboard, rendered from ``results.json``.
``builders``: what the kit builds from ``solution/``: student stubs, the handout, the Gradescope zip, the
nbgrader course, sample classes.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the kit's root: solution/, assignment/, tests_*/, data/
