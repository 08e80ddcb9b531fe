"""The kit's layout keeps its promises: no import circle among the kit's modules (imports inside functions
count too), the grading path imports nothing from class operations, reports or builders, and results.json is
read only through ``autograder.grading.results``."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograder", "solution", "data", "tests_public", "tests_hidden")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def kit_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "samples" not in path.parts and "worker" not in path.parts:  # samples are student files; the
                found[module_name(path)] = path  # worker runs from a flat copy of itself in the sandbox
    return found


def imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The kit modules ``path`` imports anywhere in its body: ``from P import m`` is an edge to the module
    ``P.m`` when there is one, else to ``P``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    found.discard(module_name(path))
    return found


def graph() -> dict[str, set[str]]:
    modules = kit_modules()
    return {name: imports(path, modules) for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary circle found by a depth-first search (one per back edge)."""
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_among_the_kits_modules():
    edges = graph()
    assert len(edges) > 40 and "autograder.grading.results" in edges["autograder.classops.batch"]
    found = cycles(edges)
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_data_flows_one_way_the_grading_path_knows_nothing_of_what_reads_its_results():
    later = ("autograder.classops", "autograder.report", "autograder.builders", "autograder.__main__")
    for name, targets in graph().items():
        if name.startswith("autograder.grading"):
            wrong = sorted(t for t in targets if t.startswith(later))
            assert not wrong, f"{name} imports {wrong}: the grading path must not depend on what reads its results"


def test_results_json_is_read_and_written_only_by_the_results_module():
    opened = re.compile(r"results\.json\"\)?\.(read_text|open|write_text)|json\.loads?\([^)]*results\.json")
    for name, path in kit_modules().items():
        if name.startswith("autograder") and name != "autograder.grading.results":
            assert not opened.search(path.read_text()), f"{path.relative_to(ROOT)} reads or writes results.json itself"


def _literal(path: Path, name: str):
    """The value of a module-level ``name = <literal>`` in ``path``, read without importing it."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path} defines no {name}")


def test_the_student_side_copies_of_the_function_list_agree_with_scoring():
    """The handout cannot import the grader, so two student-side files name the functions again; they must say
    what ``scoring`` says (the one list the grader uses)."""
    from autograder.grading import scoring

    assert _literal(ROOT / "tests_public/conftest.py", "FUNCTIONS") == scoring.FUNCTIONS
    assert _literal(ROOT / "solution/train.py", "GRADED") == scoring.GRADED


def test_the_kit_never_forks_a_threaded_process():
    """The grader runs threads that call BLAS (the training run's replays and measurements) while it starts and
    kills processes. fork() runs the libraries' at-fork handlers, and OpenBLAS's deadlocks while another thread is
    inside a BLAS call (a grading once hung for good that way); Python code between fork and exec (preexec_fn)
    can deadlock the same way. Processes are spawned (subprocess without preexec_fn, user or group: vfork)."""
    for name, path in kit_modules().items():
        if not name.startswith("autograder"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("fork", "forkpty"):
                raise AssertionError(f"{path.relative_to(ROOT)}:{node.lineno} calls os.{node.attr}")
            if isinstance(node, ast.keyword) and node.arg in ("preexec_fn", "user", "group", "extra_groups"):
                raise AssertionError(f"{path.relative_to(ROOT)}:{node.lineno} passes {node.arg}= (fork, not vfork)")
