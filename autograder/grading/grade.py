"""Grade one submission: intake -> static checks -> sandboxed checks -> audited training -> results.json.

Every path ends in a valid ``results.json`` written by this process after the worker is dead: a submission
that cannot be unpacked, does not parse, imports a banned framework, crashes, hangs or cheats gets a clear
message and the points it earned. An error in the grader itself is reported the same way.
"""
from __future__ import annotations

import ctypes
import random
import shutil
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading import checks, intake, results, scoring, static_checks, training
from autograder.grading.remote import MlpProxy, RemoteMlp, WorkerError
from data.idx import load_mnist
from solution import train as kit_train

THREAD_STACK = 1 << 20
M_ARENA_MAX = -8  # mallopt's parameter number (malloc.h)


@dataclass
class Options:
    seed: int | None = None        # hidden tests and training initialisation; random when None
    level: str = "auto"            # sandbox isolation: auto, bubblewrap or unprivileged
    training: bool = True
    scoring: scoring.Scoring = field(default_factory=scoring.load)
    lms_facts: dict | None = None  # what the LMS said about the upload (id, lateness), recorded as extra_data.lms


def _training_result(outcome: training.TrainingOutcome, faithful: bool, sc: scoring.Scoring) -> scoring.TestResult:
    t = sc.training
    if outcome.error:
        status = "failed" if outcome.verdict == "crashed" else outcome.verdict
        text, points = f"Training {status}: {outcome.error}", 0.0
    else:
        points = scoring.training_points(outcome.test_accuracy, sc)
        text = (f"Test accuracy {100 * outcome.test_accuracy:.2f}% after {outcome.history.config.epochs} epochs (the "
                f"bar is {100 * t.full_accuracy:.0f}%; partial credit from {100 * t.zero_accuracy:.0f}%), measured by "
                f"the grader on the weights your code trained.")
        if not faithful:
            text += (f" Your updates differ from a correct implementation's by up to "
                     f"{100 * outcome.max_deviation:.0f}% per tensor, as the failing checks above suggest; they follow "
                     f"the gradient, so the credit follows the accuracy.")
    curve = "\n".join(f"  epoch {e.epoch}: train loss {e.train_loss:.4f}, test accuracy {100 * e.test_accuracy:.2f}%"
                      for e in outcome.history.epochs)
    return scoring.TestResult(scoring.TRAINING_TEST, points, t.points,
                              "passed" if points == t.points else "failed", text + ("\n" + curve if curve else ""),
                              sc.visibility.training, scoring.training_number(sc),
                              ["timed out"] if outcome.timed_out else [])


def _train(trainer: RemoteMlp, mnist, config: kit_train.TrainConfig, sc: scoring.Scoring,
           faithful: Future) -> training.TrainingOutcome:
    """The audited training run, once the training worker has imported the submission and loaded MNIST."""
    hello = trainer.await_hello()
    if not hello.get("ok"):
        return training.TrainingOutcome(kit_train.History(config), error=str(hello.get("error")), verdict="crashed")
    try:  # the reply to prepare (a worker that failed it fails train_begin next, with its reason)
        trainer.receive(60, "preparing the training run")
    except WorkerError:
        pass
    return training.run(trainer, mnist, config, sc.training.seconds, faithful, sc.training.chunk_seconds)


def _run(staged: Path, out: Path, options: Options, seed: int, extra: dict) -> tuple[list, list, float, str]:
    """Run checks and training in sandboxes; return (tests, check outcomes, accuracy, notes for the student).

    Both workers start at once, and the training worker trains (driven by a thread) while the checks run: its
    chunks are audited once the checks tell whether the functions training uses are correct (``training.run``)."""
    sc = options.scoring
    limits = sc.sandbox_limits()
    with ExitStack() as stack:
        trainer = stack.enter_context(RemoteMlp(staged, limits, sc.limits.call_seconds, options.level, start=False)) \
            if options.training else None
        if trainer:
            trainer.launch()
            trainer.send({"op": "prepare"})
        remote = stack.enter_context(RemoteMlp(staged, limits, sc.limits.call_seconds, options.level,
                                               function_seconds=sc.limits.function_seconds, start=False))
        remote.launch()
        mnist = load_mnist() if trainer else None
        remote.await_hello()
        extra["isolation"], extra["cgroup"] = remote.level, remote.sandbox.cgroup  # containment actually used
        if not remote.hello.get("ok"):
            message = str(remote.hello.get("error"))
            extra["worker_output"], extra["import_error"] = remote.output(), message
            return scoring.zero_results(message, sc), [], 0.0, message
        faithful: Future = Future()
        if trainer:
            config = sc.train_config(seed % 2**31)
            pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="training"))
            trained = pool.submit(_train, trainer, mnist, config, sc, faithful)
        try:
            outcomes = checks.run_checks(MlpProxy(remote), seed, sc.graded)
        except BaseException as error:
            faithful.set_exception(error)  # the training thread ends at its next reply
            raise
        faithful.set_result(all(c.passed for c in outcomes if c.function in training.TRAINED_WITH))
        extra["worker_output"] = remote.output()
        remote.close()
        tests = scoring.function_results(outcomes, sc)
        notes = ["Some checks timed out: a function ran longer than "
                 f"{sc.limits.call_seconds} s (an infinite loop, or a very slow implementation?)."] \
            if any(c.timed_out for c in outcomes) else []
        accuracy = 0.0
        if trainer:
            outcome = trained.result()
            extra["training_output"] = trainer.output()  # what the student's code printed while training
            accuracy = outcome.test_accuracy
            extra["training"] = {"seconds": round(outcome.seconds, 2), "audits": outcome.audits,
                                 "verdict": outcome.verdict, "max_deviation": round(outcome.max_deviation, 4),
                                 "faithful": faithful.result(), "history": outcome.history.to_json()}
            tests.append(_training_result(outcome, faithful.result(), sc))
    return tests, outcomes, accuracy, "\n".join(notes)


def lean_threads() -> None:
    """Make the grader's threads (two per worker: its pipe reader and its stderr drain) cheap in address space,
    which RLIMIT_AS counts (Gradescope-like containers cap it): 1 MiB stacks instead of 8, and at most two glibc
    malloc arenas instead of one 64 MiB reservation per thread."""
    threading.stack_size(THREAD_STACK)
    try:
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 2)
    except (OSError, AttributeError):  # not glibc
        pass


def grade(upload: Path, out: Path, options: Options | None = None) -> dict:
    """Grade ``upload`` (folder or .zip) into ``out/results.json`` and return the results dict."""
    options = options or Options()
    lean_threads()
    sc = options.scoring
    start = time.perf_counter()
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
    extra: dict = {"seed": seed, "isolation": "none (nothing ran)"}
    if options.lms_facts:
        extra["lms"] = options.lms_facts
    outcomes: list[scoring.CheckOutcome] = []
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged_dir = out / "submission"
    shutil.rmtree(staged_dir, ignore_errors=True)
    try:
        staged = intake.stage(Path(upload), staged_dir)
        extra["intake_notes"] = staged.notes
        extra["startup_files"] = staged.startup_files
        extra["files_sha256"] = staged.sha256  # what was graded, byte for byte: grade-all regrades on a change
        if staged.error:
            tests, accuracy, output = scoring.zero_results(staged.error, sc), 0.0, staged.error
        else:
            report = static_checks.check_source(staged_dir / "mlp.py")
            extra["static_findings"] = [list(f) for f in report.findings]
            if report.blocking:
                tests, accuracy, output = scoring.zero_results(report.summary(), sc), 0.0, report.summary()
            else:
                tests, outcomes, accuracy, output = _run(staged_dir, out, options, seed, extra)
                output = "\n".join(filter(None, [report.summary() if report.findings else "", output]))
        output = "\n".join(filter(None, [output] + [f"Note: {n}" for n in staged.notes]))
    except Exception as error:  # a grader bug must still produce a valid grade and a clear message
        extra["grader_error"] = traceback.format_exc()[-4000:]
        reason = (f"The autograder hit an internal error ({type(error).__name__}: {error}); course staff have been "
                  "told and will regrade.")
        tests, outcomes, accuracy = scoring.zero_results(reason, sc), [], 0.0
        output = tests[0].output
    output = (output + "\n\n" if output else "") + ("Passing the public tests does not guarantee full marks: "
                                                   "hidden tests and the training run count too.")
    data = results.build(tests, output, time.perf_counter() - start, accuracy, extra, outcomes)
    results.write(out, data)
    return data
