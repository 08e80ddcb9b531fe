"""Sample submissions for demos: built from solution/ and assignment/ plus the small overrides in this folder."""
from __future__ import annotations

from pathlib import Path

from autograder import ROOT
HERE = Path(__file__).resolve().parent
SAMPLES = {  # student name -> (base mlp.py, override appended to it, what it shows)
    "reference": ("solution", None, "the reference solution: full marks"),
    "typical_bugs": ("solution", "typical_bugs.py", "softmax without the max shift, backward missing 1/N"),
    "never_finishes": ("solution", "never_finishes.py", "softmax loops forever: timed out, still graded"),
    "untouched_stubs": ("assignment", None, "the handout as given: the minimum, with clear messages"),
}


def write_samples(folder: Path) -> list[Path]:
    """Write one folder per sample submission (each holding mlp.py) into ``folder``."""
    written = []
    for student, (base, override, _) in SAMPLES.items():
        target = folder / student
        target.mkdir(parents=True, exist_ok=True)
        source = (ROOT / base / "mlp.py").read_text()
        if override:
            source += "\n\n# ---- sample override ----\n" + (HERE / override).read_text()
        (target / "mlp.py").write_text(source)
        written.append(target)
    return written
