"""Command line of the kit's instructor tools: ``python -m autograder <command>``.

    grade SUBMISSION [--out DIR]          grade one folder or .zip into DIR/results.json
    grade-all SUBMISSIONS_DIR [-j N]      grade a class (resumable) into DIR/students/<name>/, DIR/gradebook.csv
    generate [--check]                    regenerate assignment/ (student stubs) from solution/
    samples DIR                           write the bundled sample submissions into DIR
    report GRADED_DIR                     write each student's report.html/.md and GRADED_DIR/index.html
    gradebook GRADED_DIR                  create/extend rubric_scores.csv; merge it into GRADED_DIR/grades.csv
    export GRADED_DIR --lms canvas|moodle write the CSV Canvas's gradebook or Moodle's grading worksheet imports
    merge OUT SHARD_OUT...                one gradebook and dashboard from the outputs of grade-all --shard
    handout [--out ZIP]                   build the student handout (default dist/student.zip)
    gradescope [--out ZIP]                build Gradescope's autograder zip (default dist/gradescope_autograder.zip)
    nbgrader [--out DIR]                  build the nbgrader course directory (default dist/nbgrader)
"""
from __future__ import annotations

import os

# The grader's own NumPy work (audits, measurements) runs beside a worker: one BLAS thread each (set before import).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import json
import sys
from pathlib import Path

from autograder.untrusted import terminal


def say(text: str, error: bool = False) -> None:
    """Print kit output that may quote student-derived text (names, zip members, messages) without control
    characters."""
    print(terminal(text), file=sys.stderr if error else sys.stdout, flush=True)


GRADE_EXIT = ("exit status: 0 graded (whatever the score), 1 the grader itself failed (results.json still holds a "
              "zero with the reason), 2 usage error or missing submission")
BATCH_EXIT = ("exit status: 0 every student graded, 1 some grader error (rerun to retry them), 2 usage error or no "
              "submission found, 130 interrupted (Ctrl-C/SIGTERM; rerun the same command to resume)")


def _budget_text() -> str:
    try:
        from autograder.grading import scoring

        return f"{scoring.load().limits.grading_seconds:g} s"
    except Exception:  # noqa: BLE001 - help must print even with a broken scoring.toml
        return "unreadable"


def _die_with(parent: int) -> None:
    """SIGKILL this process when ``parent`` (grade-all) dies; exit at once if it already has."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:
        raise SystemExit(f"grade-all (pid {parent}) has ended; nothing was graded")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mnist-mlp-kit")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"mnist-mlp-kit {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="regenerate assignment/ (student stubs) from solution/")
    generate.add_argument("--check", action="store_true", help="only report files that are out of date")
    samples = commands.add_parser("samples", help="write the bundled sample submissions into a folder")
    samples.add_argument("folder", type=Path)
    handout = commands.add_parser("handout", help="build the student handout zip")
    handout.add_argument("--out", type=Path, help="zip to write (default: dist/student.zip)")
    gradescope = commands.add_parser("gradescope", help="build Gradescope's autograder zip")
    gradescope.add_argument("--out", type=Path, help="zip to write (default: dist/gradescope_autograder.zip)")
    course = commands.add_parser("nbgrader", help="build the nbgrader course directory")
    course.add_argument("--out", type=Path, help="folder to write (default: dist/nbgrader)")
    report = commands.add_parser("report", help="render per-submission reports and the class dashboard")
    report.add_argument("graded", type=Path, help="a grade-all output folder (or one submission's folder)")
    report.add_argument("--similarity", type=float, default=0.9, help="flag code pairs at least this similar")
    report.add_argument("--when-told", action="store_true", help=argparse.SUPPRESS)  # grade's Renderer child
    book = commands.add_parser("gradebook", help="merge autograder and write-up scores into grades.csv")
    book.add_argument("graded", type=Path, help="a grade-all output folder")
    export = commands.add_parser("export", help="write a CSV an LMS imports, keyed by the LMS ids of the download")
    export.add_argument("graded", type=Path, help="a grade-all output folder of an LMS bulk download")
    export.add_argument("--lms", choices=["canvas", "moodle"], required=True,
                        help="canvas: Grades > Import; moodle: the assignment's 'Upload grading worksheet'")
    export.add_argument("--assignment", default="MNIST MLP",
                        help="Canvas column: an assignment name, or 'Name (id)' as Canvas exports it to fill an "
                             "existing one (default: MNIST MLP, which Canvas creates)")
    export.add_argument("--out", type=Path, help="CSV to write (default: GRADED_DIR/<lms>_import.csv)")
    one = commands.add_parser("grade", help="grade one submission (a folder or a .zip)", epilog=GRADE_EXIT,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    one.add_argument("submission", type=Path, help="a folder, a .zip or a lone .py file")
    one.add_argument("--out", type=Path, help="output folder (default: graded/<submission name>)")
    many = commands.add_parser("grade-all", help="grade every submission in a folder, resumably", epilog=BATCH_EXIT,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    many.add_argument("submissions", type=Path, help="a folder of uploads (folders, .zip or .py files)")
    many.add_argument("--out", type=Path, help="output folder (default: <submissions>-graded)")
    many.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded at once (default: 1)")
    many.add_argument("--grading-seconds", type=float, metavar="S",
                      help="wall-clock budget of one student's grading; past it the student is graded 'timed out' "
                           f"(default: grading_seconds of autograder/grading/scoring.toml, {_budget_text()})")
    many.add_argument("--force", action="store_true",
                      help="regrade every student, even those graded from the same files (default: grade only new "
                           "students, grader errors and changed uploads)")
    many.add_argument("--only", nargs="+", metavar="NAME",
                      help="grade (or regrade) only these students, as named in gradebook.csv (default: everyone)")
    many.add_argument("--shard", metavar="I/N",
                      help="grade only shard I of N (0 <= I < N; a student's shard comes from a hash of the name); "
                           "then run merge on the shards' outputs (default: from SLURM_ARRAY_TASK_ID/_MIN/_COUNT, "
                           "or JOB_COMPLETION_INDEX and GRADE_ALL_SHARDS, else the whole class)")
    joined = commands.add_parser("merge", help="one gradebook and dashboard from the outputs of grade-all --shard")
    joined.add_argument("out", type=Path, help="the class's output folder (created if needed)")
    joined.add_argument("shards", type=Path, nargs="+", help="the shards' grade-all output folders")
    for sub in (one, many):
        sub.add_argument("--seed", type=int, help="seed of hidden inputs and training "
                                                  "(default: random for grade, 0 for grade-all)")
        sub.add_argument("--isolation", choices=["auto", "bubblewrap", "unprivileged"], default="auto",
                         help="sandbox level (default: auto, bubblewrap where it works)")
        sub.add_argument("--no-training", action="store_true",
                         help="skip the training run: unit checks only (default: train)")
    one.add_argument("--quiet", action="store_true", help="print nothing (for grade-all)")
    one.add_argument("--no-report", action="store_true",
                     help="write results.json only, no report.html/.md or curves.png (grade-all renders every "
                          "report in one pass at its end; default: write them)")
    one.add_argument("--lms-facts", metavar="JSON", help="what the LMS's names say about this upload, recorded as "
                     "extra_data.lms (grade-all passes it; default: read Gradescope's submission_metadata.json "
                     "beside a 'submission' folder, else nothing)")
    one.add_argument("--die-with-parent", type=int, metavar="PID", help=argparse.SUPPRESS)  # grade-all's
    args = parser.parse_args(argv)

    if args.command == "generate":
        from autograder.builders import generate as gen

        if args.check:
            stale = gen.differences()
            for name in stale:
                say(f"out of date: assignment/{name}")
            return 1 if stale else 0
        for name in gen.write():
            say(f"wrote assignment/{name}")
        return 0
    if args.command == "samples":
        from autograder.builders.samples import SAMPLES, write_samples

        for path in write_samples(args.folder):
            say(f"{path}: {SAMPLES[path.name][2]}")
        return 0
    if args.command in ("handout", "gradescope"):
        from autograder.builders import package

        build = package.build_handout if args.command == "handout" else package.build_gradescope
        path = build(args.out) if args.out else build()
        say(f"wrote {path}")
        return 0
    if args.command == "nbgrader":
        from autograder.builders import nbgrader_course

        path = nbgrader_course.build(args.out) if args.out else nbgrader_course.build()
        say(f"wrote {path}")
        return 0
    if args.command == "report" and args.when_told:  # grade's renderer: import now, render when told (or never)
        os.nice(19)
        from autograder import report

        report.preload()
        if sys.stdin.readline().strip() != "render":
            return 0
        return 0 if report.try_render_submission(args.graded) else 3
    if args.command == "report":
        from autograder import report

        if (args.graded / "results.json").is_file():
            say(f"wrote {report.render_submission(args.graded)}")
            return 0
        if not args.graded.is_dir():
            say(f"error: {args.graded} is not a folder of graded submissions", error=True)
            return 2
        say(f"wrote {report.render_class(args.graded, args.similarity)}")
        return 0
    if args.command == "gradebook":
        from autograder.classops import gradebook
        from autograder.classops.rubric import RubricError

        try:
            path, notes = gradebook.merge(args.graded)
        except (gradebook.GradebookError, RubricError) as error:
            say(f"error: {error}\nnothing was written.", error=True)
            return 2
        for note in notes:
            say(f"note: {note}")
        say(f"wrote {path}")
        return 0
    if args.command == "merge":
        from autograder.classops import shard

        try:
            path, graded = shard.merge(args.out, args.shards)
        except shard.ShardError as error:
            say(f"error: {error}", error=True)
            return 2
        say(f"merged {len(graded)} students from {len(args.shards)} shard(s); wrote {path} and "
            f"{args.out / 'index.html'}")
        return 0
    if args.command == "export":
        from autograder.classops import lms_export

        try:
            path, skipped = lms_export.export(args.graded, args.lms, args.out, args.assignment)
        except lms_export.ExportError as error:
            say(f"error: {error}", error=True)
            return 2
        if skipped:
            say(f"note: left out {len(skipped)} student(s) without a {args.lms} id: {', '.join(skipped[:10])}")
        say(f"wrote {path}")
        return 0
    if args.command == "grade":
        if args.die_with_parent is not None:
            _die_with(args.die_with_parent)
        from autograder.classops import lms
        from autograder.grading import results
        from autograder.grading.grade import Options, grade
        from autograder.report import Renderer

        if not args.submission.exists():
            say(f"error: {args.submission} does not exist; nothing was graded", error=True)
            return 2
        out = args.out or Path("graded") / args.submission.stem
        facts = json.loads(args.lms_facts) if args.lms_facts else lms.gradescope_facts(args.submission)
        renderer = None if args.no_report else Renderer(out)  # report.html/.md and curves.png, never at a grade's cost
        try:
            data = grade(args.submission, out, Options(args.seed, args.isolation, not args.no_training, lms_facts=facts))
        except BaseException:
            if renderer:
                renderer.finish(render=False)
            raise
        if renderer:
            renderer.finish()
        if not args.quiet:
            say(results.summary(data))
            say(f"wrote {out / 'results.json'}")
        return 1 if data.get("extra_data", {}).get("grader_error") else 0
    if args.command == "grade-all":
        from autograder.classops.batch import Interrupted, grade_all, submissions
        from autograder.grading import results

        if not args.submissions.is_dir():
            parser.error(f"{args.submissions} is not a folder of submissions")
        out = args.out or args.submissions.with_name(args.submissions.name + "-graded")
        found = submissions(args.submissions, out)
        if not found:
            say(f"error: no submission in {args.submissions} (expected folders, .zip or .py files)", error=True)
            return 2
        unknown = [name for name in args.only or [] if name not in found]
        if unknown:
            say(f"error: no submission named {', '.join(unknown)} in {args.submissions}", error=True)
            return 2
        extra = ["--isolation", args.isolation] + (["--no-training"] if args.no_training else [])
        from autograder.classops import shard

        try:
            part = shard.parse(args.shard)
        except (shard.ShardError, ValueError) as error:
            say(f"error: {error}", error=True)
            return 2
        try:
            path, graded = grade_all(args.submissions, out, args.jobs, args.seed or 0, extra, args.grading_seconds,
                                     args.force, args.only, part)
        except Interrupted as stop:
            say(str(stop))
            return 130
        say(f"wrote {path}")
        say(path.read_text())
        failed = [s for s, data in graded.items() if data is None or results.classify(data).name == "grader error"]
        if failed:
            say(f"grader error for {len(failed)} student(s): {', '.join(failed[:10])}; rerun to retry them",
                error=True)
        return 1 if failed else 0
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # before grade-all's own handler is in place, or in another command
        say("interrupted", error=True)
        sys.exit(130)
