"""The real-world benchmark: public suites, plain and under mockpool.

Usage::

    python benchmarks/realworld/run.py [--suite NAME ...] [--cache DIR]
        [--repeat N] [--python python3.11] [--instructions] [--json OUT]

For each suite (suites.py; by default the five of suites.DEFAULT) it builds
or reuses a venv in the cache (environments.py), reinstalls mockpool from
this checkout (and record.py's hook, which records each run from inside
its process), and runs the suite's tests from its unpacked sdist:

1. once plain with mockpool's mock-creation timers (record.py's
   ``REALWORLD_TIME_MOCKS``): the share *s* of the process's CPU spent creating
   mocks. This run also compiles the suite's bytecode, so that the timed
   runs after it all start alike;
2. *N* times ``python -m unittest ARGS`` and ``python -m mockpool run
   --report-json PATH ARGS``, alternating, each in a fresh process recorded
   by record.py. The run report's "time saved against unittest.mock" is
   read from PATH and set beside the CPU the accelerated runs actually
   saved (plain CPU - accelerated CPU).

With ``--instructions`` it then runs each side once more under valgrind's
callgrind and counts the instructions it executes (about 50 times slower
than a run; needs ``valgrind`` on PATH). The plain count repeats exactly,
where CPU time on a shared machine moves by a quarter within minutes. The
accelerated count is a bound, not a figure: mockpool writes its usage
history at a test's end at most every 0.5 s of wall time (when it
changed), which under callgrind can come about 50 times as often per test
as in a real run, and more often still on a loaded machine -- so the ratio
understates mockpool's, by more the busier the machine.

It prints one row per suite -- medians over the N pairs -- and exits with
status 1 when a suite's per-test outcomes or exit status differ between the
plain and accelerated runs, or its CPU ratio is below 1.0. See README.md
for how to read the table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import record
from environments import Environment, SetupError, default_cache, python_version
from suites import DEFAULT, SUITES, Suite, by_name

#: How many differing test ids the table names.
SHOWN_IDS = 3
#: What the accelerator can remove of the mock share: the target speed-up
#: is 1 / (1 - SAVED * s).
SAVED = 0.8
#: A suite that runs longer than this is stopped (and reported).
TIMEOUT = 3600
#: ... and longer than this under callgrind (``--instructions``), which runs
#: Python about 50 times slower.
INSTRUCTIONS_TIMEOUT = 50 * TIMEOUT


def run_environment(history: Path) -> dict[str, str]:
    """The environment of a suite's runs: none of mockpool's settings.

    PYTHONPATH is dropped too, so that the venv's mockpool is the one run;
    so is PYTHONDONTWRITEBYTECODE, so that both runs import from bytecode,
    as on a developer's machine (compiling mockpool's sources on every run
    would be charged to it alone); history goes to *history*, a directory
    of this benchmark's own.
    """
    dropped = ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("MOCKPOOL_") and name not in dropped
    }
    env["MOCKPOOL_DIR"] = str(history)
    return env


def record_run(
    environment: Environment,
    label: str,
    command: list[str],
    runs: Path,
    env: dict[str, str],
    *,
    time_mocks: bool = False,
) -> dict[str, Any]:
    """One recorded run of the suite: ``python -m COMMAND ARGS``, as a user
    runs it, recorded by record.py's hook in the venv; its record."""
    output = runs / f"{label}.json"
    log = runs / f"{label}.log"
    if output.exists():
        output.unlink()
    args = [str(environment.python), "-m", *command, *environment.suite.test_args]
    env = {**env, record.OUTPUT_VARIABLE: str(output)}
    if time_mocks:
        env[record.TIME_MOCKS_VARIABLE] = "1"
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as stream:
        try:
            done = subprocess.run(
                args,
                cwd=environment.source,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stream,
                stderr=subprocess.STDOUT,
                timeout=TIMEOUT,
                check=False,
            )
            status: int | str = done.returncode
        except subprocess.TimeoutExpired:
            status = f"timeout after {TIMEOUT} s"
    wall = time.perf_counter() - started
    if not output.exists():
        return {
            "label": label,
            "exit": status,
            "failed": f"record.py wrote no record; see {log}",
            "outcomes": {},
            "tests_run": 0,
            "cpu": float("nan"),
            "wall": wall,
            "timers": None,
            "log": str(log),
        }
    recorded: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    recorded.update(label=label, log=str(log), exit=status, process_wall=wall)
    return recorded


#: What callgrind prints of each process it ran, at its end.
_COLLECTED = re.compile(r"^==(\d+)== Collected : (\d+)\s*$", re.MULTILINE)


def count_instructions(
    environment: Environment,
    label: str,
    command: list[str],
    runs: Path,
    env: dict[str, str],
) -> int | None:
    """Instructions one run of the suite executes, counted by callgrind; None
    if valgrind is not on PATH or printed no count for the run's process.

    The suite's own process only: a process it forks is counted apart by
    callgrind, and left out. Hash randomization is fixed, so that a second
    count of a plain run gives the same figure; an accelerated run's also
    counts the usage-history writes its wall clock paces (see the module).
    """
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    log = runs / f"{label}.log"
    args = [
        valgrind,
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        str(environment.python),
        "-m",
        *command,
        *environment.suite.test_args,
    ]
    with log.open("w", encoding="utf-8") as stream:
        process = subprocess.Popen(
            args,
            cwd=environment.source,
            env={**env, "PYTHONHASHSEED": "0"},
            stdin=subprocess.DEVNULL,
            stdout=stream,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _, errors = process.communicate(timeout=INSTRUCTIONS_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return None
        stream.write(errors)
    counts = {int(pid): int(count) for pid, count in _COLLECTED.findall(errors)}
    return counts.get(process.pid)


def report_saving(path: Path) -> dict[str, float] | None:
    """The run report's time saved against ``unittest.mock``, from its JSON.

    The sums over specs of what ``python -m mockpool run`` prints as "Time
    saved against unittest.mock" (pool hits and lazy builds, and the plain
    mocks' estimate, less mockpool's own work: start-up and the work around
    each test), and how many requests it compared and made in all. None if
    the run wrote no report.
    """
    if not path.exists():
        return None
    report = json.loads(path.read_text(encoding="utf-8"))
    specs = report.get("specs", {})
    totals = dict.fromkeys(
        ("saved_on_hits", "saved_on_builds", "compared", "requests"), 0.0
    )
    for figures in specs.values():
        totals["saved_on_hits"] += figures.get("saved_on_hits", 0.0)
        totals["saved_on_builds"] += figures.get("saved_on_builds", 0.0)
        totals["compared"] += figures.get("compared_hits", 0) + figures.get(
            "compared_builds", 0
        )
        totals["requests"] += figures.get("hits", 0) + figures.get("builds", 0)
    totals["saved_on_plain_mocks"] = report.get("plain_mocks", {}).get("saved", 0.0)
    own_work = report.get("own_work", {})
    totals["own_work"] = own_work.get("startup", 0.0) + own_work.get("per_test", 0.0)
    totals["seconds"] = (
        totals["saved_on_hits"]
        + totals["saved_on_builds"]
        + totals["saved_on_plain_mocks"]
        - totals["own_work"]
    )
    return totals


def differing(plain: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """Test ids whose outcomes differ between two runs, sorted."""
    ours, theirs = plain["outcomes"], other["outcomes"]
    return sorted(
        test_id
        for test_id in set(ours) | set(theirs)
        if ours.get(test_id, "absent") != theirs.get(test_id, "absent")
    )


def benchmark_suite(
    suite: Suite,
    cache: Path,
    python: str,
    version: str,
    repeat: int,
    instructions: bool = False,
) -> dict[str, Any]:
    """Set up and run one suite; everything measured about it."""
    environment = Environment(suite, cache, version)
    print(f"{suite.key}: setting up (log: {environment.log})", flush=True)
    environment.build(python)
    environment.install_mockpool()
    runs = environment.home / "runs" / time.strftime("%Y%m%d-%H%M%S")
    runs.mkdir(parents=True)
    # A fresh history per benchmark: the first accelerated run starts cold
    # and the later ones learn from the earlier, as a user's would. The cold
    # run is timed apart (a suite's first run measures the stdlib's costs,
    # which later runs recall): the rounds show what every later run gives.
    history = runs / "history"
    env = run_environment(history)
    plain_command = ["unittest"]
    accelerated_command = ["mockpool", "run"]
    print(f"{suite.key}: timing mock creation (runs in {runs})", flush=True)
    measured = record_run(
        environment, "measure", plain_command, runs, env, time_mocks=True
    )

    def accelerated_run(label: str) -> dict[str, Any]:
        report_path = runs / f"{label}-report.json"
        run = record_run(
            environment,
            label,
            [*accelerated_command, "--report-json", str(report_path)],
            runs,
            env,
        )
        run["report_saving"] = report_saving(report_path)
        return run

    print(f"{suite.key}: first accelerated run (cold history)", flush=True)
    cold = accelerated_run("accelerated-cold")
    plain: list[dict[str, Any]] = []
    accelerated: list[dict[str, Any]] = []
    for round_ in range(1, repeat + 1):
        print(f"{suite.key}: round {round_}/{repeat}", flush=True)
        plain.append(
            record_run(environment, f"plain-{round_}", plain_command, runs, env)
        )
        accelerated.append(accelerated_run(f"accelerated-{round_}"))
    counted = None
    if instructions:
        # After the timed rounds, from the history they left: as warm as
        # their last accelerated run.
        print(f"{suite.key}: counting instructions (callgrind)", flush=True)
        counted = (
            count_instructions(
                environment, "instructions-plain", plain_command, runs, env
            ),
            count_instructions(
                environment, "instructions-accelerated", accelerated_command, runs, env
            ),
        )
    return summarize(suite, measured, plain, accelerated, cold, counted)


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(run[key] for run in runs))


def _cpu_in_tests(run: dict[str, Any]) -> float | None:
    """The CPU seconds of *run* between the start and end of its test run
    (record.py's ``cpu_tests_began`` and ``cpu_tests_ended``); None where
    the runner did not report them."""
    began, ended = run.get("cpu_tests_began"), run.get("cpu_tests_ended")
    if began is None or ended is None:
        return None
    return float(ended - began)


def split_cpu(runs: list[dict[str, Any]]) -> tuple[float, float] | None:
    """Median CPU seconds inside the test run and outside it (start-up,
    discovery, the summary and report) over *runs*; None unless every run
    reported both ends of its test run."""
    if not runs:
        return None
    inside: list[float] = []
    outside: list[float] = []
    for run in runs:
        seconds = _cpu_in_tests(run)
        if seconds is None:
            return None
        inside.append(seconds)
        outside.append(run["cpu"] - seconds)
    return float(statistics.median(inside)), float(statistics.median(outside))


def pair_ratios(
    plain: list[dict[str, Any]], accelerated: list[dict[str, Any]]
) -> list[float]:
    """The CPU ratio of each pair of runs (a plain run and the accelerated
    run after it), in order: how far the ratio moves between pairs is the
    noise the median is taken over."""
    return [
        plain_run["cpu"] / accelerated_run["cpu"]
        for plain_run, accelerated_run in zip(plain, accelerated)
        if accelerated_run["cpu"] > 0
    ]


def summarize(
    suite: Suite,
    measured: dict[str, Any],
    plain: list[dict[str, Any]],
    accelerated: list[dict[str, Any]],
    cold: dict[str, Any],
    instructions: tuple[int | None, int | None] | None = None,
) -> dict[str, Any]:
    """The figures of one suite's runs, as the table and ``--json`` give them.

    *accelerated* are the runs after the *cold* one (the first, with an
    empty usage history): the CPU ratio is theirs, the cold ratio its own.
    *instructions*: the plain and accelerated counts of ``--instructions``
    (None where not counted).
    """
    plain_instructions, accelerated_instructions = instructions or (None, None)
    reference = plain[0]
    changed = sorted(
        {i for run in [cold, *accelerated] for i in differing(reference, run)}
    )
    flaky = sorted(
        {i for run in [*plain[1:], measured] for i in differing(reference, run)}
    )
    cpu_plain = _median(plain, "cpu")
    cpu_accelerated = _median(accelerated, "cpu")
    # Where the CPU went: inside the test run, where mocks are made, and
    # outside it, where mockpool only adds (its import, its report).
    split_plain, split_accelerated = split_cpu(plain), split_cpu(accelerated)
    tests_ratio: float | None = None
    outside_added: float | None = None
    if split_plain is not None and split_accelerated is not None:
        if split_accelerated[0] > 0:
            tests_ratio = split_plain[0] / split_accelerated[0]
        outside_added = split_accelerated[1] - split_plain[1]
    reports = [run["report_saving"] for run in accelerated if run.get("report_saving")]
    report_saved = (
        float(statistics.median(report["seconds"] for report in reports))
        if reports
        else float("nan")
    )
    measured_saved = cpu_plain - cpu_accelerated
    timers = measured.get("timers") or {}
    creation = timers.get("creation_seconds", float("nan"))
    share = creation / measured["cpu"] if measured["cpu"] else float("nan")
    # Whether the hook saw every test unittest counted, and each report.
    counted = {
        run["label"]: {
            "started": run.get("started", 0),
            "tests_run": run["tests_run"],
            "without_outcome": sum(
                outcome == "no outcome" for outcome in run["outcomes"].values()
            ),
        }
        for run in [*plain, cold, *accelerated]
    }
    return {
        "suite": suite.name,
        "version": suite.version,
        "tests": reference["tests_run"],
        "outcomes_recorded": len(reference["outcomes"]),
        "outcome_tally": _tally(reference["outcomes"]),
        "outcome_differences": changed,
        "plain_run_differences": flaky,
        # As strings: a run that wrote no record has a reason, not a status.
        "exit_plain": sorted({str(run["exit"]) for run in plain}),
        "exit_accelerated": sorted({str(run["exit"]) for run in [cold, *accelerated]}),
        "cpu_plain": cpu_plain,
        "cpu_accelerated": cpu_accelerated,
        "cpu_ratio": cpu_plain / cpu_accelerated,
        "cpu_accelerated_cold": cold["cpu"],
        "cpu_ratio_cold": cpu_plain / cold["cpu"],
        "pair_ratios": pair_ratios(plain, accelerated),
        "wall_ratio": _median(plain, "wall") / _median(accelerated, "wall"),
        "cpu_tests_plain": split_plain[0] if split_plain else None,
        "cpu_tests_accelerated": split_accelerated[0] if split_accelerated else None,
        "tests_ratio": tests_ratio,
        "cpu_outside_plain": split_plain[1] if split_plain else None,
        "cpu_outside_accelerated": split_accelerated[1] if split_accelerated else None,
        "outside_added": outside_added,
        "instructions_plain": plain_instructions,
        "instructions_accelerated": accelerated_instructions,
        "instruction_ratio": (
            plain_instructions / accelerated_instructions
            if plain_instructions and accelerated_instructions
            else None
        ),
        # The report's "time saved against unittest.mock" (median over the
        # accelerated runs) against the CPU actually saved.
        "saved_measured": measured_saved,
        "saved_reported": report_saved,
        "saved_ratio": (
            report_saved / measured_saved if measured_saved > 0 else float("nan")
        ),
        "report_savings": reports,
        "share": share,
        "target": 1 / (1 - SAVED * share),
        "timer_overhead": measured["cpu"] / cpu_plain - 1,
        "mock_seconds_by_kind": timers.get("seconds", {}),
        "mock_calls_by_kind": timers.get("counts", {}),
        "costliest_specs": _costliest(timers.get("specs", {})),
        "recorded_vs_ran": counted,
        "runs": [
            {
                key: value
                for key, value in run.items()
                if key not in ("outcomes", "timers")
            }
            for run in [measured, *plain, cold, *accelerated]
        ],
    }


def _tally(outcomes: dict[str, str]) -> dict[str, int]:
    tally: dict[str, int] = {}
    for outcome in outcomes.values():
        tally[outcome] = tally.get(outcome, 0) + 1
    return dict(sorted(tally.items()))


def _costliest(specs: dict[str, dict[str, float]], limit: int = 10) -> list[Any]:
    ranked = sorted(specs.items(), key=lambda item: -item[1]["seconds"])
    return [{"spec": name, **figures} for name, figures in ranked[:limit]]


def passed(row: dict[str, Any]) -> bool:
    """Identical outcomes and exit status, and no slower in CPU."""
    return (
        not row["outcome_differences"]
        and row["exit_plain"] == row["exit_accelerated"]
        and row["cpu_ratio"] >= 1.0
    )


_COLUMNS = (
    ("suite", "{suite}"),
    ("tests", "{tests}"),
    ("diffs", "{diffs}"),
    ("exit p/a", "{exits}"),
    ("CPU plain", "{cpu_plain:.2f}s"),
    ("CPU accel", "{cpu_accelerated:.2f}s"),
    ("CPU ratio", "{cpu_ratio:.2f}x"),
    ("pairs", "{pairs}"),
    ("1st run", "{cpu_ratio_cold:.2f}x"),
    ("target", "{target:.2f}x"),
    ("wall ratio", "{wall_ratio:.2f}x"),
    ("tests ratio", "{tests_ratio_cell}"),
    ("outside +", "{outside_cell}"),
    ("instr ratio", "{instructions}"),
    ("share s", "{share:.0%}"),
    ("saved", "{saved_measured:.2f}s"),
    ("report says", "{saved_reported:.2f}s"),
    ("report/saved", "{saved_ratio:.2f}"),
    ("ok", "{ok}"),
)


def _shown(figure: float | None, pattern: str) -> str:
    """*figure* formatted by *pattern*, or a dash where there is none."""
    return "-" if figure is None else pattern.format(figure)


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a text table, then the differing ids of each suite."""
    cells = [[title for title, _ in _COLUMNS]]
    notes: list[str] = []
    for row in rows:
        if "error" in row:
            notes.append(f"{row['suite']}: {row['error']}")
            continue
        diffs = row["outcome_differences"]
        values = dict(
            row,
            diffs=len(diffs),
            exits="/".join(
                ",".join(row[key]) for key in ("exit_plain", "exit_accelerated")
            ),
            ok="yes" if passed(row) else "NO",
            instructions=_shown(row.get("instruction_ratio"), "{:.3f}x"),
            tests_ratio_cell=_shown(row.get("tests_ratio"), "{:.2f}x"),
            pairs=(
                f"{min(row['pair_ratios']):.2f}-{max(row['pair_ratios']):.2f}x"
                if row.get("pair_ratios")
                else "-"
            ),
            outside_cell=_shown(row.get("outside_added"), "{:+.3f}s"),
        )
        cells.append([pattern.format(**values) for _, pattern in _COLUMNS])
        if diffs:
            shown = ", ".join(diffs[:SHOWN_IDS])
            more = (
                f" and {len(diffs) - SHOWN_IDS} more" if len(diffs) > SHOWN_IDS else ""
            )
            notes.append(f"{row['suite']}: outcomes differ for {shown}{more}")
        if row["plain_run_differences"]:
            notes.append(
                f"{row['suite']}: {len(row['plain_run_differences'])} tests differ "
                f"between plain runs (flaky), e.g. {row['plain_run_differences'][0]}"
            )
        unseen = {
            label: counts
            for label, counts in row["recorded_vs_ran"].items()
            if counts["started"] != counts["tests_run"] or counts["without_outcome"]
        }
        if unseen:
            notes.append(f"{row['suite']}: the hook missed tests or outcomes: {unseen}")
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell.rjust(width) for cell, width in zip(line, widths))
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join([*lines, "", *notes])


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse the options, run the suites, print the table."""
    parser = argparse.ArgumentParser(
        prog="python benchmarks/realworld/run.py",
        description="Run public suites plain and under `python -m mockpool run`.",
    )
    parser.add_argument(
        "--suite",
        action="append",
        metavar="NAME",
        choices=[suite.name for suite in SUITES],
        help=f"a suite to run (repeatable; default: {', '.join(DEFAULT)})",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="where the venvs live (default: $MOCKPOOL_REALWORLD_CACHE or "
        "~/.cache/mockpool-realworld)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="plain/accelerated pairs per suite; the table shows medians",
    )
    parser.add_argument(
        "--python",
        default="python3.11",
        help="the interpreter the venvs are made with (default: python3.11)",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also run each side once under valgrind's callgrind and print "
        "the ratio of the instructions they execute: free of CPU-time noise, "
        "a lower bound (mockpool's wall-clock-paced history writes can come "
        "far more often under callgrind); about 50 times slower than a run, "
        "needs valgrind",
    )
    parser.add_argument(
        "--json", type=Path, metavar="OUT", help="also write all figures"
    )
    options = parser.parse_args(argv)
    if options.repeat < 1:
        parser.error(f"--repeat {options.repeat}: give 1 or more")
    if shutil.which(options.python) is None:
        parser.error(f"--python {options.python!r} is not on PATH; pass a full path")
    if options.instructions and shutil.which("valgrind") is None:
        parser.error(
            "--instructions needs valgrind on PATH; install it (e.g. "
            "'apt install valgrind') or leave the option out"
        )
    try:
        version = python_version(options.python)
    except SetupError as exc:
        parser.error(str(exc))
    cache = (options.cache or default_cache()).expanduser().resolve()
    rows: list[dict[str, Any]] = []
    for name in options.suite or DEFAULT:
        suite = by_name(name)
        try:
            row = benchmark_suite(
                suite,
                cache,
                options.python,
                version,
                options.repeat,
                options.instructions,
            )
        except (SetupError, subprocess.CalledProcessError, OSError) as exc:
            row = {"suite": suite.name, "version": suite.version, "error": str(exc)}
        rows.append(row)
        print(table([row]) + "\n", flush=True)
    print(table(rows))
    if options.json:
        options.json.write_text(
            json.dumps({"python": version, "suites": rows}, indent=2)
        )
    return 0 if all("error" not in row and passed(row) for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
