"""A class split across machines: ``grade-all --shard I/N`` (or Slurm's / Kubernetes's variables) grades a
deterministic share, and ``merge`` builds one gradebook and dashboard equal byte for byte to an unsharded run's.
Real gradings (``--no-training``) of a small class; the shard arithmetic in-process."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.classops import shard
from submissions import BUGGY, make_submission

ROOT = Path(__file__).resolve().parent.parent
STUDENTS = ("alice", "bob", "carol", "dave", "erin")


def test_a_shard_comes_from_i_n_slurm_or_an_indexed_job_and_every_student_has_exactly_one():
    assert shard.parse("2/4", {}) == (2, 4) and shard.parse(None, {}) is None
    assert shard.parse(None, {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1",
                              "SLURM_ARRAY_TASK_COUNT": "4"}) == (2, 4)
    assert shard.parse(None, {"JOB_COMPLETION_INDEX": "0", "GRADE_ALL_SHARDS": "3"}) == (0, 3)
    for bad in ("4/4", "1/0", "x", "-1/2"):
        with pytest.raises(shard.ShardError):
            shard.parse(bad, {})
    names = [f"student{n}" for n in range(200)]
    shares = [shard.share(names, (i, 4)) for i in range(4)]
    assert sorted(sum(shares, [])) == sorted(names) and all(30 < len(s) < 70 for s in shares)
    assert shard.share(names[::-1], (1, 4)) == shares[1][::-1]  # not the listing's order, the names
    assert shard.share(names + ["zoe"], (1, 4))[:len(shares[1])] == shares[1]  # a new student moves nobody


@pytest.mark.skipif(os.geteuid() != 0, reason="the autograder's sandbox needs root")
def test_shards_merged_equal_an_unsharded_run_byte_for_byte(tmp_path):
    klass = tmp_path / "class"
    make_submission(klass / "alice")
    make_submission(klass / "bob", (BUGGY / "softmax_unstable.py").read_text())
    (klass / "carol").mkdir(parents=True)
    shutil.copyfile(ROOT / "assignment/mlp.py", klass / "carol/mlp.py")
    make_submission(klass / "dave", "raise RuntimeError('boom')\n")
    make_submission(klass / "erin")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "JOB_COMPLETION", "GRADE_ALL"))}
    env["SOURCE_DATE_EPOCH"] = "1767225600"

    def cli(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=300, env=env | extra_env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    base = ["--no-training", "--seed", "5"]
    cli("grade-all", str(klass), "--out", str(tmp_path / "one" / "graded"), "-j", "2", *base)
    first = cli("grade-all", str(klass), "--out", str(tmp_path / "shard0"), *base,  # a Slurm array task, 1-based
                SLURM_ARRAY_TASK_ID="1", SLURM_ARRAY_TASK_MIN="1", SLURM_ARRAY_TASK_COUNT="2")
    second = cli("grade-all", str(klass), "--out", str(tmp_path / "shard1"), *base,  # an Indexed Job's pod
                 JOB_COMPLETION_INDEX="1", GRADE_ALL_SHARDS="2")
    assert first.stdout.startswith("shard 0/2: ") and second.stdout.startswith("shard 1/2: ")
    owned = [sorted(p.name for p in (tmp_path / f"shard{i}" / "students").iterdir()) for i in (0, 1)]
    assert sorted(owned[0] + owned[1]) == list(STUDENTS) and owned[0] and owned[1]

    proc = cli("merge", str(tmp_path / "all" / "graded"), str(tmp_path / "shard0"), str(tmp_path / "shard1"))
    assert "merged 5 students from 2 shard(s)" in proc.stdout
    for name in ("gradebook.csv", "index.html"):
        assert (tmp_path / "all/graded" / name).read_bytes() == (tmp_path / "one/graded" / name).read_bytes(), name
    assert "not attempted" in (tmp_path / "all/graded/gradebook.csv").read_text()
    # merging again changes nothing; a shard that graded someone differently is refused
    cli("merge", str(tmp_path / "all" / "graded"), str(tmp_path / "shard0"), str(tmp_path / "shard1"))
    assert (tmp_path / "all/graded/gradebook.csv").read_bytes() == (tmp_path / "one/graded/gradebook.csv").read_bytes()
    clash = tmp_path / "clash" / "students" / owned[0][0]
    shutil.copytree(tmp_path / "shard0" / "students" / owned[0][0], clash)
    (clash / "results.json").write_text((clash / "results.json").read_text().replace('"score"', '"score" ', 1)
                                        .replace('"seed": ', '"seed": 1', 1))
    refused = subprocess.run([sys.executable, "-m", "autograder", "merge", str(tmp_path / "x"),
                              str(tmp_path / "shard0"), str(tmp_path / "clash")], cwd=ROOT, capture_output=True,
                             text=True, env=env)
    assert refused.returncode == 2 and "with different results" in refused.stderr
