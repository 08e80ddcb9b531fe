"""The write-up rubric (``rubric.toml``): criteria a TA scores by hand, shown in each report and summed in
grades.csv."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

RUBRIC_FILE = Path(__file__).with_name("rubric.toml")
RESERVED = ("student", "comment")  # column names of rubric_scores.csv that no criterion may take


class RubricError(Exception):
    """rubric.toml cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    points: float
    description: str = ""


def load_rubric(path: Path = RUBRIC_FILE) -> list[Criterion]:
    try:
        raw = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RubricError(f"{path}: cannot read the rubric ({error})") from None
    criteria = []
    for n, entry in enumerate(raw.get("criterion", []), start=1):
        try:
            c = Criterion(str(entry["id"]), str(entry.get("title", entry["id"])), float(entry["points"]),
                          str(entry.get("description", "")))
        except (KeyError, TypeError, ValueError) as error:
            raise RubricError(f"{path}: criterion #{n} needs an id and numeric points ({error})") from None
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", c.id) or c.id in RESERVED:
            raise RubricError(f"{path}: criterion id {c.id!r} must be letters, digits and underscores")
        if not c.points > 0:
            raise RubricError(f"{path}: criterion {c.id!r} must be worth more than 0 points")
        criteria.append(c)
    if not criteria:
        raise RubricError(f"{path}: no [[criterion]] entries")
    if len({c.id for c in criteria}) != len(criteria):
        raise RubricError(f"{path}: criterion ids must be unique")
    return criteria
