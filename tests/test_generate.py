"""The student stubs are generated from solution/ and never edited by hand."""
import pytest

from autograder.builders import generate
from autograder.grading import scoring


def test_checked_in_assignment_matches_generator():
    stale = generate.differences()
    assert not stale, f"assignment/ is out of date for {stale}: run `make stubs` (python -m autograder generate)"


def test_every_solution_region_becomes_a_named_stub():
    source = (generate.SOLUTION / "mlp.py").read_text()
    stubbed = generate.strip_solutions(source)
    for name in scoring.FUNCTIONS:  # the optional extension's too
        assert generate.stub_message(name) in stubbed, f"no stub for {name}"
    for region in generate.solution_regions(source):
        assert region.strip() not in stubbed
    assert "### BEGIN SOLUTION" not in stubbed


def test_generator_round_trips(tmp_path):
    written = generate.write(tmp_path)
    assert set(written) == set(generate.generated_files())
    assert generate.differences(tmp_path) == []
    assert generate.write(tmp_path) == [], "a second write must change nothing"


@pytest.mark.parametrize("bad, why", [
    ("def f():\n    ### BEGIN SOLUTION\n    pass\n", "never closed"),
    ("def f():\n    ### END SOLUTION\n", "without"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "outside a function"),
])
def test_malformed_markers_are_refused(bad, why):
    with pytest.raises(AssertionError, match=why):
        generate.strip_solutions(bad)
