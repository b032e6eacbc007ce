"""Tests for mockpool._learning.history: keeping usage run after run."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import psutil

from mockpool._base import filelock as _filelock
from mockpool._base import process as _process
from mockpool._learning import costs as _costs
from mockpool._learning import history as _history
from mockpool._learning import usage as usage_module
from mockpool._learning.costs import (
    COST_FORGET_DAYS,
    INTERPRETER,
    CostMemory,
    process_costs,
)
from mockpool._learning.history import History, HistoryStore, RunUsage
from mockpool._learning.usage import ServiceUsage, UsageRecorder
from mockpool.errors import (
    ArgumentTypeError,
    HistoryWarning,
    InvalidArgumentError,
    MockPoolWarning,
)

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_ENV_VARS = (
    *_process.WORKER_ENV_VARS,
    _history.DIR_ENV,
    _history.HISTORY_ENV,
    _process.RUN_ID_ENV,
)


def _temporary_directory(case: unittest.TestCase) -> str:
    directory = tempfile.TemporaryDirectory()
    case.addCleanup(directory.cleanup)
    return directory.name


def _usage(acquisitions: int, **fields: Any) -> dict[str, Any]:
    """The JSON form of a ServiceUsage with *acquisitions*, all hits."""
    data: dict[str, Any] = {
        "acquisitions": acquisitions,
        "hits": acquisitions,
        "builds": 0,
        "timed_builds": 0,
        "build_seconds": 0.0,
        "discards": 0,
        "failures": 0,
        "peak_concurrency": 1,
    }
    data.update(fields)
    return data


def _write_process_file(
    directory: str,
    run_id: str,
    worker: str,
    services: dict[str, dict[str, Any]],
    *,
    started: float = 1000.0,
    host: str = "another-host",
    pid: int = 1,
    process_started: float | None = None,
    **extra: Any,
) -> str:
    """Write a per-process file as another process would; return its path."""
    path = os.path.join(directory, f"history-{run_id}-{worker}.json")
    document = {
        "format": 1,
        "run_id": run_id,
        "worker": worker,
        "host": host,
        "pid": pid,
        "process_started": process_started,
        "started": started,
        "written": started + 1,
        "services": services,
        **extra,
    }
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(document, stream)
    return path


def _process_files(directory: str) -> list[str]:
    return sorted(
        name
        for name in os.listdir(directory)
        if name.startswith("history-") and name.endswith(".json")
    )


def _read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


@contextmanager
def _caught() -> Iterator[list[warnings.WarningMessage]]:
    """Record every warning, repeats included."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def _history_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, HistoryWarning)]


class _HistoryCase(unittest.TestCase):
    """A clean environment and clean per-process state for every test."""

    def setUp(self) -> None:
        patchers: list[Any] = [
            mock.patch.dict(os.environ),
            mock.patch.object(usage_module, "_recorder", None),
            mock.patch.object(_costs, "_process_memory", None),
            mock.patch.object(_history, "_warned", set()),
            mock.patch.object(_history, "_disabled", set()),
            mock.patch.object(_history, "_enabled", True),
            mock.patch.object(_process, "_generated_run_id", None),
        ]
        for patcher in patchers:
            patcher.start()
            self.addCleanup(patcher.stop)
        for name in _ENV_VARS:
            os.environ.pop(name, None)
        os.environ["MOCKPOOL_WORKER"] = "w0"
        self.directory = _temporary_directory(self)

    def store(self, run_id: str, **kwargs: Any) -> HistoryStore:
        return HistoryStore(self.directory, run_id=run_id, **kwargs)

    def record(self, store: HistoryStore, service: str, acquisitions: int) -> str:
        """Record *acquisitions* hits of *service* in a new recorder; flush it."""
        recorder = UsageRecorder()
        for _ in range(acquisitions):
            recorder.record_acquire(service, hit=True, build_seconds=None, leased_now=1)
        flushing = HistoryStore(
            store.directory,
            run_id=store.run_id,
            recorder=recorder,
            max_runs=store.max_runs,
        )
        path = flushing.flush()
        assert path is not None
        return path


class UsageRecorderTests(unittest.TestCase):
    """UsageRecorder: what it counts."""

    def test_counts_acquisitions_hits_builds_and_build_time(self) -> None:
        """Hits and builds add up to acquisitions; only measured builds are timed."""
        recorder = UsageRecorder()
        recorder.record_acquire("db", hit=False, build_seconds=0.25, leased_now=1)
        recorder.record_acquire("db", hit=False, build_seconds=None, leased_now=2)
        recorder.record_acquire("db", hit=True, build_seconds=None, leased_now=1)
        recorder.record_acquire(
            "pkg.mod.Client", hit=True, build_seconds=None, leased_now=1
        )
        self.assertEqual(
            recorder.snapshot(),
            {
                "db": ServiceUsage(
                    acquired=3,
                    hits=1,
                    builds=2,
                    timed_builds=1,
                    build_seconds=0.25,
                    peak_leased=2,
                ),
                "pkg.mod.Client": ServiceUsage(acquired=1, hits=1, peak_leased=1),
            },
        )
        self.assertEqual(recorder.snapshot()["db"].mean_build_seconds, 0.25)

    def test_peak_leased_is_the_most_leased_at_once(self) -> None:
        """peak_leased keeps the largest leased_now, not the last."""
        recorder = UsageRecorder()
        for leased in (1, 2, 5, 3, 1):
            recorder.record_acquire(
                "db", hit=True, build_seconds=None, leased_now=leased
            )
        self.assertEqual(recorder.snapshot()["db"].peak_leased, 5)

    def test_counts_discards_and_failures(self) -> None:
        """record_discard adds its count; record_failure adds one."""
        recorder = UsageRecorder()
        recorder.record_discard("db", 3)
        recorder.record_discard("db")
        recorder.record_discard("cache", 0)
        recorder.record_failure("db")
        recorder.record_failure("db")
        self.assertEqual(
            recorder.snapshot(), {"db": ServiceUsage(discards=4, failures=2)}
        )

    def test_snapshot_is_a_copy(self) -> None:
        """Recording after a snapshot does not change it."""
        recorder = UsageRecorder()
        recorder.record_failure("db")
        before = recorder.snapshot()
        recorder.record_failure("db")
        self.assertEqual(before["db"].failures, 1)
        self.assertEqual(recorder.snapshot()["db"].failures, 2)

    def test_rejects_bad_arguments(self) -> None:
        """Wrong types raise ArgumentTypeError, bad values InvalidArgumentError."""
        recorder = UsageRecorder()
        type_errors: list[dict[str, Any]] = [
            {"service": 1, "hit": True, "build_seconds": None, "leased_now": 1},
            {"service": "db", "hit": 1, "build_seconds": None, "leased_now": 1},
            {"service": "db", "hit": False, "build_seconds": "1", "leased_now": 1},
            {"service": "db", "hit": True, "build_seconds": None, "leased_now": 1.0},
        ]
        value_errors: list[dict[str, Any]] = [
            {"service": "", "hit": True, "build_seconds": None, "leased_now": 1},
            {"service": "db", "hit": True, "build_seconds": 0.1, "leased_now": 1},
            {"service": "db", "hit": False, "build_seconds": -1.0, "leased_now": 1},
            {
                "service": "db",
                "hit": False,
                "build_seconds": float("nan"),
                "leased_now": 1,
            },
            {"service": "db", "hit": True, "build_seconds": None, "leased_now": -1},
        ]
        for arguments in type_errors:
            with self.subTest(**arguments), self.assertRaises(ArgumentTypeError):
                recorder.record_acquire(**arguments)
        for arguments in value_errors:
            with self.subTest(**arguments), self.assertRaises(InvalidArgumentError):
                recorder.record_acquire(**arguments)
        with self.assertRaises(InvalidArgumentError):
            recorder.record_discard("db", -1)
        with self.assertRaises(ArgumentTypeError):
            recorder.record_failure(None)  # type: ignore[arg-type]
        self.assertEqual(recorder.snapshot(), {})

    def test_threads_lose_no_record(self) -> None:
        """Eight threads recording at once: every record counted."""
        recorder = UsageRecorder()
        barrier = threading.Barrier(8)

        def work() -> None:
            barrier.wait()
            for index in range(2000):
                recorder.record_acquire(
                    "db", hit=bool(index % 2), build_seconds=None, leased_now=1
                )
                recorder.record_discard("db")

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        usage = recorder.snapshot()["db"]
        self.assertEqual((usage.acquired, usage.hits), (16000, 8000))
        self.assertEqual(usage.discards, 16000)


class ServiceUsageTests(unittest.TestCase):
    """ServiceUsage: merging and its dictionary form."""

    def test_combined_adds_counts_and_keeps_the_larger_peak(self) -> None:
        """Counts and seconds add; peak_leased is the max."""
        one = ServiceUsage(1, 1, 0, 0, 0.0, 2, 0, 4)
        two = ServiceUsage(3, 1, 2, 2, 0.5, 1, 1, 2)
        self.assertEqual(one.combined(two), ServiceUsage(4, 2, 2, 2, 0.5, 3, 1, 4))

    def test_dict_round_trip_ignores_unknown_keys(self) -> None:
        """from_dict(to_dict()) is the identity; extra keys are ignored."""
        usage = ServiceUsage(5, 3, 2, 1, 0.125, 1, 1, 3)
        self.assertEqual(ServiceUsage.from_dict(usage.to_dict()), usage)
        self.assertEqual(
            ServiceUsage.from_dict({**usage.to_dict(), "future": [1]}), usage
        )

    def test_from_dict_names_a_bad_field(self) -> None:
        """Missing or negative fields raise ValueError naming the field."""
        data = ServiceUsage(1, 1).to_dict()
        del data["hits"]
        with self.assertRaisesRegex(ValueError, "'hits'"):
            ServiceUsage.from_dict(data)
        with self.assertRaisesRegex(ValueError, "'failures'"):
            ServiceUsage.from_dict({**ServiceUsage().to_dict(), "failures": -1})
        with self.assertRaisesRegex(ValueError, "'build_seconds'"):
            ServiceUsage.from_dict({**ServiceUsage().to_dict(), "build_seconds": "1"})


class ProcessStateTests(_HistoryCase):
    """The process recorder, the run id and the switch."""

    def test_one_recorder_per_process(self) -> None:
        """process_recorder returns the same recorder every time."""
        recorder = usage_module.process_recorder()
        self.assertIs(usage_module.process_recorder(), recorder)

    def test_run_id_from_the_environment_is_sanitised(self) -> None:
        """MOCKPOOL_RUN_ID wins; characters unsafe in file names become '_'."""
        os.environ["MOCKPOOL_RUN_ID"] = "build 42/a-b"
        self.assertEqual(_process.current_run_id(), "build_42_a_b")
        os.environ["MOCKPOOL_RUN_ID"] = ".hidden"
        self.assertEqual(_process.current_run_id(), "_hidden")

    def test_generated_run_id_is_stable_and_exported_by_ensure_run_id(self) -> None:
        """Without the variable: one id per process, which ensure_run_id exports."""
        first = _process.current_run_id()
        # A UTC time stamp and 8 random hex digits (secrets.token_hex(4)'s form).
        self.assertRegex(first, r"\A\d{8}T\d{6}_[0-9a-f]{8}\Z")
        self.assertEqual(_process.current_run_id(), first)
        self.assertNotIn("MOCKPOOL_RUN_ID", os.environ)
        self.assertEqual(_process.ensure_run_id(), first)
        self.assertEqual(os.environ["MOCKPOOL_RUN_ID"], first)
        child = subprocess.run(
            [sys.executable, "-c", "import os; print(os.environ['MOCKPOOL_RUN_ID'])"],
            capture_output=True,
            text=True,
            check=True,
        )
        self.assertEqual(child.stdout.strip(), first)

    def test_ensure_run_id_keeps_a_set_id(self) -> None:
        """A run id already in the environment is kept."""
        os.environ["MOCKPOOL_RUN_ID"] = "parent_run"
        self.assertEqual(_process.ensure_run_id(), "parent_run")
        self.assertEqual(os.environ["MOCKPOOL_RUN_ID"], "parent_run")

    def test_switches(self) -> None:
        """Either MOCKPOOL_HISTORY=0 or set_history_enabled(False) turns it off."""
        self.assertTrue(_history.history_enabled())
        for value in ("0", "false", "OFF", " no "):
            os.environ["MOCKPOOL_HISTORY"] = value
            self.assertFalse(_history.history_enabled(), value)
        os.environ["MOCKPOOL_HISTORY"] = "1"
        self.assertTrue(_history.history_enabled())
        _history.set_history_enabled(False)
        self.assertFalse(_history.history_enabled())
        _history.set_history_enabled(True)
        os.environ["MOCKPOOL_HISTORY"] = "0"
        self.assertFalse(_history.history_enabled(), "the code switch cannot override")
        with self.assertRaises(ArgumentTypeError):
            _history.set_history_enabled(0)  # type: ignore[arg-type]


class RoundTripTests(_HistoryCase):
    """flush, then load in a later run."""

    def test_record_flush_load_round_trip(self) -> None:
        """A run's flushed usage is what a later run loads; the file is merged."""
        recorder = usage_module.process_recorder()
        recorder.record_acquire("db", hit=False, build_seconds=0.5, leased_now=1)
        recorder.record_acquire("db", hit=True, build_seconds=None, leased_now=2)
        recorder.record_discard("db")
        recorder.record_failure("cache")
        path = self.store("run1").flush()
        self.assertEqual(path, os.path.join(self.directory, "history-run1-w0.json"))
        with _caught() as caught:
            history = self.store("run2").load()
        self.assertEqual(_history_warnings(caught), [])
        self.assertEqual([run.run_id for run in history.runs], ["run1"])
        run = history.runs[0]
        self.assertEqual(dict(run.services), recorder.snapshot())
        self.assertEqual(run.workers, ("w0",))
        self.assertAlmostEqual(run.started, recorder.started)
        self.assertEqual(history.services(), ["cache", "db"])
        self.assertEqual(history.series("db"), [2.0])
        self.assertEqual(_process_files(self.directory), [])
        saved = _read_json(os.path.join(self.directory, "history.json"))
        self.assertEqual(saved["format"], 1)
        self.assertEqual(saved["runs"][0]["services"]["db"]["acquisitions"], 2)

    def test_current_run_files_are_left_alone(self) -> None:
        """load leaves the current run's files as they are, and returns no run."""
        path = self.record(self.store("now"), "db", 2)
        _write_process_file(self.directory, "now", "gw7", {"db": _usage(1)})
        with open(path, "rb") as stream:
            before = stream.read()
        inode = os.stat(path).st_ino
        history = self.store("now").load()
        self.assertEqual(history.runs, ())
        self.assertEqual(
            _process_files(self.directory),
            ["history-now-gw7.json", "history-now-w0.json"],
        )
        with open(path, "rb") as stream:
            self.assertEqual(stream.read(), before)
        self.assertEqual(os.stat(path).st_ino, inode)
        self.assertEqual(self.store("next").load().series("db"), [3.0])

    def test_run_id_from_the_environment_names_the_file(self) -> None:
        """Without run_id=, the store uses MOCKPOOL_RUN_ID at each call."""
        os.environ["MOCKPOOL_RUN_ID"] = "first"
        usage_module.process_recorder().record_failure("db")
        store = HistoryStore(self.directory)
        self.assertEqual(
            store.flush(), os.path.join(self.directory, "history-first-w0.json")
        )
        self.assertEqual(store.load().runs, ())
        os.environ["MOCKPOOL_RUN_ID"] = "second"
        self.assertEqual([run.run_id for run in store.load().runs], ["first"])

    def test_flush_skips_empty_and_unchanged_usage(self) -> None:
        """Nothing recorded: no file. Nothing new since the last flush: no rewrite."""
        store = self.store("run1")
        self.assertIsNone(store.flush())
        self.assertEqual(os.listdir(self.directory), [])
        recorder = usage_module.process_recorder()
        recorder.record_failure("db")
        path = store.flush()
        assert path is not None
        inode = os.stat(path).st_ino
        self.assertEqual(store.flush(), path)
        self.assertEqual(os.stat(path).st_ino, inode, "rewritten though unchanged")
        recorder.record_failure("db")
        store.flush()
        self.assertNotEqual(os.stat(path).st_ino, inode, "a change was not written")
        self.assertEqual(_read_json(path)["services"]["db"]["failures"], 2)

    def test_flush_creates_the_directory(self) -> None:
        """A missing directory (and its parents) is created at the first flush."""
        directory = os.path.join(self.directory, "a", "b")
        usage_module.process_recorder().record_failure("db")
        path = HistoryStore(directory, run_id="r").flush()
        self.assertEqual(path, os.path.join(directory, "history-r-w0.json"))
        self.assertTrue(os.path.isfile(path or ""))

    def test_workers_of_a_run_merge_into_one_run(self) -> None:
        """Per-process files of one run add up; peak is the largest of them."""
        store = self.store("run1")
        os.environ["MOCKPOOL_WORKER"] = "gw0"
        recorder = usage_module.process_recorder()
        recorder.record_acquire("db", hit=False, build_seconds=0.5, leased_now=3)
        store.flush()
        _write_process_file(
            self.directory,
            "run1",
            "gw1",
            {"db": _usage(2, peak_concurrency=2), "cache": _usage(4)},
            started=recorder.started - 5,
        )
        history = self.store("run2").load()
        self.assertEqual(len(history.runs), 1)
        run = history.runs[0]
        self.assertEqual(sorted(run.workers), ["gw0", "gw1"])
        self.assertEqual(run.started, recorder.started - 5, "the earliest start")
        self.assertEqual(
            run.services["db"],
            ServiceUsage(
                acquired=3,
                hits=2,
                builds=1,
                timed_builds=1,
                build_seconds=0.5,
                peak_leased=3,
            ),
        )
        self.assertEqual(run.services["cache"].acquired, 4)

    def test_a_late_file_joins_its_run(self) -> None:
        """A worker's file merged after its run was merged is added to that run."""
        _write_process_file(self.directory, "run1", "gw0", {"db": _usage(2)})
        self.assertEqual(self.store("run2").load().series("db"), [2.0])
        _write_process_file(self.directory, "run1", "gw1", {"db": _usage(5)})
        history = self.store("run3").load()
        self.assertEqual(history.series("db"), [7.0])
        self.assertEqual(history.runs[0].workers, ("gw0", "gw1"))

    def test_a_file_merged_before_is_not_counted_again(self) -> None:
        """A merged file left behind (a load killed mid-way) is dropped, not added."""
        path = _write_process_file(self.directory, "run1", "gw0", {"db": _usage(2)})
        with open(path, "rb") as stream:
            content = stream.read()
        self.store("run2").load()
        with open(path, "wb") as stream:
            stream.write(content)
        self.assertEqual(self.store("run3").load().series("db"), [2.0])
        self.assertEqual(_process_files(self.directory), [])

    def test_keeps_the_last_max_runs(self) -> None:
        """Only the newest max_runs runs are kept, oldest first."""
        for index in range(6):
            _write_process_file(
                self.directory,
                f"run{index}",
                "w",
                {"db": _usage(index + 1)},
                started=1000.0 + index,
            )
            if index == 2:
                # Some runs merged earlier, some now: the bound holds overall.
                self.assertEqual(len(self.store("x", max_runs=3).load().runs), 3)
        history = self.store("now", max_runs=3).load()
        self.assertEqual([run.run_id for run in history.runs], ["run3", "run4", "run5"])
        self.assertEqual(history.series("db"), [4.0, 5.0, 6.0])
        saved = _read_json(os.path.join(self.directory, "history.json"))
        self.assertEqual(len(saved["runs"]), 3)
        # A smaller bound applies to what is loaded, even with nothing to merge.
        self.assertEqual(self.store("now", max_runs=2).load().series("db"), [5.0, 6.0])
        self.assertEqual(_history.DEFAULT_MAX_RUNS, 20)
        self.assertEqual(HistoryStore(self.directory).max_runs, 20)

    def test_runs_are_ordered_by_time(self) -> None:
        """Runs come oldest first by start time, whatever their ids."""
        _write_process_file(self.directory, "aaa", "w", {"db": _usage(1)}, started=30.0)
        _write_process_file(self.directory, "zzz", "w", {"db": _usage(2)}, started=10.0)
        _write_process_file(self.directory, "mmm", "w", {"db": _usage(3)}, started=20.0)
        history = self.store("now").load()
        self.assertEqual([run.run_id for run in history.runs], ["zzz", "mmm", "aaa"])
        self.assertEqual(history.series("db"), [2.0, 3.0, 1.0])

    def test_default_directory_and_mockpool_dir(self) -> None:
        """.mockpool in the working directory by default; MOCKPOOL_DIR moves it."""
        previous = os.getcwd()
        os.chdir(self.directory)
        self.addCleanup(os.chdir, previous)
        here = os.getcwd()
        default = HistoryStore()
        self.assertEqual(default.directory, os.path.join(here, ".mockpool"))
        os.environ["MOCKPOOL_DIR"] = "elsewhere"
        moved = HistoryStore()
        os.chdir(previous)
        self.assertEqual(moved.directory, os.path.join(here, "elsewhere"))
        usage_module.process_recorder().record_failure("db")
        path = moved.flush()
        self.assertEqual(os.path.dirname(path or ""), moved.directory)


class HistoryTests(unittest.TestCase):
    """History: services and series."""

    def test_series_has_zeros_where_a_service_was_absent(self) -> None:
        """One value per run, oldest first; 0.0 for runs without the service."""
        history = History(
            [
                RunUsage("c", 3.0, {"a": ServiceUsage(acquired=7, builds=7)}),
                RunUsage("a", 1.0, {"a": ServiceUsage(acquired=2, builds=1)}),
                RunUsage("b", 2.0, {"b": ServiceUsage(acquired=5)}),
            ]
        )
        self.assertEqual([run.run_id for run in history.runs], ["a", "b", "c"])
        self.assertEqual(history.services(), ["a", "b"])
        self.assertEqual(history.series("a"), [2.0, 0.0, 7.0])
        self.assertEqual(history.series("b"), [0.0, 5.0, 0.0])
        self.assertEqual(history.series("a", "builds"), [1.0, 0.0, 7.0])
        self.assertEqual(history.series("unknown"), [0.0, 0.0, 0.0])
        self.assertEqual(History().series("a"), [])
        with self.assertRaisesRegex(InvalidArgumentError, "'nope'"):
            history.series("a", "nope")

    def test_runs_cannot_be_changed(self) -> None:
        """A run's services are a read-only copy."""
        services = {"a": ServiceUsage(acquired=1)}
        run = RunUsage("r", 1.0, services)
        services["b"] = ServiceUsage()
        self.assertEqual(list(run.services), ["a"])
        with self.assertRaises(TypeError):
            run.services["c"] = ServiceUsage()  # type: ignore[index]


class VersioningTests(_HistoryCase):
    """The "format" key, and keys this version does not know."""

    def test_unknown_keys_are_ignored(self) -> None:
        """Extra keys at every level of both files are read past."""
        _write_process_file(
            self.directory, "old", "w", {"db": _usage(2, future=1)}, future={"x": 1}
        )
        with open(os.path.join(self.directory, "history.json"), "w") as stream:
            json.dump(
                {
                    "format": 1,
                    "future": True,
                    "runs": [
                        {
                            "run_id": "older",
                            "started": 1.0,
                            "workers": ["w"],
                            "services": {"db": _usage(1, future="x")},
                            "future": None,
                        }
                    ],
                },
                stream,
            )
        with _caught() as caught:
            history = self.store("now").load()
        self.assertEqual(_history_warnings(caught), [])
        self.assertEqual(history.series("db"), [1.0, 2.0])

    def test_another_format_starts_afresh(self) -> None:
        """history.json of format 2: one warning naming it, then a fresh format 1."""
        path = os.path.join(self.directory, "history.json")
        with open(path, "w") as stream:
            json.dump({"format": 2, "runs": []}, stream)
        _write_process_file(self.directory, "old", "w", {"db": _usage(3)})
        with _caught() as caught:
            history = self.store("now").load()
        messages = _history_warnings(caught)
        self.assertEqual(len(messages), 1)
        self.assertIn(repr(path), messages[0])
        self.assertIn("'format' is 2", messages[0])
        self.assertEqual(history.series("db"), [3.0])
        self.assertEqual(_read_json(path)["format"], 1)

    def test_a_process_file_of_another_format_is_skipped(self) -> None:
        """A per-process file of format 2 is skipped (and removed) with a warning."""
        bad = _write_process_file(self.directory, "old", "w1", {"db": _usage(3)})
        document = _read_json(bad)
        document["format"] = 2
        with open(bad, "w") as stream:
            json.dump(document, stream)
        _write_process_file(self.directory, "old", "w2", {"db": _usage(4)})
        with _caught() as caught:
            history = self.store("now").load()
        messages = _history_warnings(caught)
        self.assertEqual(len(messages), 1)
        self.assertIn(repr(bad), messages[0])
        self.assertEqual(history.series("db"), [4.0])
        self.assertEqual(_process_files(self.directory), [])


class CorruptionTests(_HistoryCase):
    """Corrupt, truncated, empty or unreadable files: a warning, never a failure."""

    def history_path(self) -> str:
        return os.path.join(self.directory, "history.json")

    def assert_one_warning(
        self, caught: list[warnings.WarningMessage], path: str, problem: str
    ) -> None:
        messages = _history_warnings(caught)
        self.assertEqual(len(messages), 1, messages)
        self.assertIn(repr(path), messages[0])
        self.assertIn(problem, messages[0])

    def test_corrupt_truncated_or_empty_history_starts_afresh(self) -> None:
        """Each bad history.json: one warning naming it; new runs still merged."""
        valid = json.dumps(
            {
                "format": 1,
                "runs": [
                    {"run_id": "r", "started": 1.0, "workers": [], "services": {}}
                ],
            }
        )
        cases = {
            "garbage": (b"{not json at all", "not JSON"),
            "truncated": (valid[: len(valid) // 2].encode(), "not JSON"),
            "empty": (b"", "empty"),
            "blank": (b"  \n", "empty"),
            "not utf-8": (b'{"format": 1, "runs": ["\xff"]}', "UTF-8"),
            "wrong shape": (b'{"format": 1, "runs": {}}', "'runs'"),
            "a list": (b"[1, 2]", "JSON object"),
            "negative": (
                json.dumps(
                    {
                        "format": 1,
                        "runs": [
                            {
                                "run_id": "r",
                                "started": 1.0,
                                "workers": [],
                                "services": {"db": _usage(-1)},
                            }
                        ],
                    }
                ).encode(),
                "'acquisitions'",
            ),
            "no format": (b'{"runs": []}', "'format'"),
        }
        for name, (content, problem) in cases.items():
            with self.subTest(name):
                self.directory = _temporary_directory(self)
                _history._warned.clear()
                with open(self.history_path(), "wb") as stream:
                    stream.write(content)
                _write_process_file(self.directory, "old", "w", {"db": _usage(3)})
                with _caught() as caught:
                    history = self.store("now").load()
                self.assert_one_warning(caught, self.history_path(), problem)
                self.assertEqual([run.run_id for run in history.runs], ["old"])
                self.assertEqual(_read_json(self.history_path())["format"], 1)
                with _caught() as caught:
                    self.assertEqual(self.store("now").load().series("db"), [3.0])
                self.assertEqual(_history_warnings(caught), [], "not fixed on disk")

    def test_corrupt_history_is_rewritten_even_with_nothing_to_merge(self) -> None:
        """A corrupt history.json and no new files: replaced by an empty history."""
        with open(self.history_path(), "w") as stream:
            stream.write('{"format": 1, "ru')
        with _caught() as caught:
            self.assertEqual(self.store("now").load().runs, ())
        self.assertEqual(len(_history_warnings(caught)), 1)
        self.assertEqual(_read_json(self.history_path())["runs"], [])

    def test_corrupt_process_files_are_skipped_and_others_merged(self) -> None:
        """Each corrupt per-process file: a warning naming it; the rest merged."""
        good = _write_process_file(self.directory, "old", "good", {"db": _usage(5)})
        bad = {
            "truncated": b'{"format": 1, "host": "h", "pid": 1',
            "empty": b"",
            "shape": json.dumps(
                {
                    "format": 1,
                    "host": "h",
                    "pid": 1,
                    "process_started": None,
                    "started": 1.0,
                    "services": {"db": {"acquisitions": 1}},
                }
            ).encode(),
        }
        paths = []
        for worker, content in bad.items():
            path = os.path.join(self.directory, f"history-old-{worker}.json")
            with open(path, "wb") as stream:
                stream.write(content)
            paths.append(path)
        with _caught() as caught:
            history = self.store("now").load()
        messages = _history_warnings(caught)
        self.assertEqual(len(messages), 3, messages)
        for path in paths:
            self.assertTrue(any(repr(path) in message for message in messages), path)
        self.assertEqual(history.series("db"), [5.0])
        self.assertFalse(os.path.exists(good))
        self.assertEqual(_process_files(self.directory), [], "corrupt files kept")

    def test_unreadable_history_keeps_the_process_files(self) -> None:
        """history.json that cannot be read or written: files kept, merged later."""
        os.mkdir(self.history_path())
        _write_process_file(self.directory, "old", "w", {"db": _usage(3)})
        with _caught() as caught:
            for _ in range(3):
                self.assertEqual(self.store("now").load().runs, ())
        self.assert_one_warning(caught, self.history_path(), "cannot read")
        self.assertEqual(_process_files(self.directory), ["history-old-w.json"])
        os.rmdir(self.history_path())
        self.assertEqual(self.store("now").load().series("db"), [3.0])

    def test_unreadable_history_by_permission(self) -> None:
        """history.json without read permission: one warning, a fresh start."""
        with open(self.history_path(), "w") as stream:
            stream.write('{"format": 1, "runs": []}')
        os.chmod(self.history_path(), 0)
        if os.access(self.history_path(), os.R_OK):
            self.skipTest("chmod does not deny this user (root?)")
        _write_process_file(self.directory, "old", "w", {"db": _usage(3)})
        with _caught() as caught:
            history = self.store("now").load()
        self.assert_one_warning(caught, self.history_path(), "PermissionError")
        self.assertEqual(history.series("db"), [3.0])

    def test_unwritable_directory_turns_history_off(self) -> None:
        """A directory that cannot exist (under a file): one warning, no error."""
        blocker = os.path.join(self.directory, "a-file")
        with open(blocker, "w") as stream:
            stream.write("x")
        directory = os.path.join(blocker, ".mockpool")
        store = HistoryStore(directory, run_id="now")
        later = HistoryStore(directory, run_id="later")
        recorder = usage_module.process_recorder()
        with _caught() as caught:
            for _ in range(3):
                recorder.record_failure("db")
                self.assertIsNone(store.flush())
                self.assertEqual(store.load().runs, ())
                self.assertEqual(later.load().runs, ())
        messages = _history_warnings(caught)
        self.assertEqual(len(messages), 1, messages)
        self.assertIn(repr(directory), messages[0])
        self.assertIn("NotADirectoryError", messages[0])
        self.assertIn("off for this process", messages[0])
        self.assertTrue(issubclass(HistoryWarning, MockPoolWarning))
        self.assertEqual(caught[0].filename, __file__, "stacklevel: the caller")

    def test_unwritable_directory_by_permission(self) -> None:
        """A read-only directory: one warning; its history is still read."""
        _write_process_file(self.directory, "old", "w", {"db": _usage(3)})
        self.store("now").load()
        os.chmod(self.directory, 0o555)
        self.addCleanup(os.chmod, self.directory, 0o755)
        if os.access(self.directory, os.W_OK):
            self.skipTest("chmod does not deny this user (root?)")
        usage_module.process_recorder().record_failure("db")
        with _caught() as caught:
            history = self.store("next").load()
            self.assertIsNone(self.store("next").flush())
            self.assertIsNone(self.store("next").flush())
        self.assertEqual(history.series("db"), [3.0])
        messages = _history_warnings(caught)
        self.assertEqual(len(messages), 1, messages)
        self.assertIn(repr(self.directory), messages[0])

    def test_failed_write_keeps_the_process_files(self) -> None:
        """If history.json cannot be replaced, no per-process file is deleted."""
        _write_process_file(self.directory, "old", "w", {"db": _usage(3)})
        with (
            mock.patch.object(
                _history, "write_atomic", side_effect=OSError(28, "disk full")
            ),
            _caught() as caught,
        ):
            self.assertEqual(self.store("now").load().runs, ())
        self.assert_one_warning(caught, self.history_path(), "disk full")
        self.assertEqual(_process_files(self.directory), ["history-old-w.json"])
        self.assertEqual(self.store("now").load().series("db"), [3.0])

    def test_failed_flush_warns_once(self) -> None:
        """A flush that fails for good: one warning, then history off, no error."""
        recorder = usage_module.process_recorder()
        with (
            mock.patch.object(
                _history, "write_atomic", side_effect=PermissionError(13, "denied")
            ) as write,
            _caught() as caught,
        ):
            for _ in range(3):
                recorder.record_failure("db")
                self.assertIsNone(self.store("now").flush())
        self.assertEqual(write.call_count, 1, "kept trying after the failure")
        self.assert_one_warning(caught, self.directory, "denied")


class OffSwitchTests(_HistoryCase):
    """MOCKPOOL_HISTORY=0, set_history_enabled(False), enabled=False."""

    def assert_off(self, store: HistoryStore) -> None:
        self.assertFalse(store.enabled)
        self.assertIsNone(store.flush())
        self.assertEqual(store.load().runs, ())
        self.assertEqual(sorted(os.listdir(self.directory)), ["history-old-w.json"])

    def test_every_switch_turns_history_off(self) -> None:
        """Off: flush writes nothing, load reads and merges nothing."""
        _write_process_file(self.directory, "old", "w", {"db": _usage(3)})
        usage_module.process_recorder().record_failure("db")
        with self.subTest("MOCKPOOL_HISTORY=0"):
            os.environ["MOCKPOOL_HISTORY"] = "0"
            self.assert_off(self.store("now"))
            del os.environ["MOCKPOOL_HISTORY"]
        with self.subTest("set_history_enabled(False)"):
            _history.set_history_enabled(False)
            self.assert_off(self.store("now"))
            _history.set_history_enabled(True)
        with self.subTest("enabled=False"):
            self.assert_off(self.store("now", enabled=False))
        self.assertTrue(self.store("now").enabled)
        self.assertEqual(self.store("now").load().series("db"), [3.0])

    def test_off_creates_no_directory(self) -> None:
        """With history off, not even the directory is made."""
        os.environ["MOCKPOOL_HISTORY"] = "off"
        directory = os.path.join(self.directory, "new")
        usage_module.process_recorder().record_failure("db")
        HistoryStore(directory).flush()
        HistoryStore(directory).load()
        self.assertFalse(os.path.exists(directory))


class StoreArgumentTests(_HistoryCase):
    """HistoryStore's arguments."""

    def test_rejects_bad_arguments(self) -> None:
        """Wrong types and values raise mockpool's errors."""
        cases: list[tuple[dict[str, Any], type[Exception]]] = [
            ({"max_runs": 0}, InvalidArgumentError),
            ({"max_runs": "3"}, ArgumentTypeError),
            ({"enabled": 1}, ArgumentTypeError),
            ({"run_id": ""}, InvalidArgumentError),
            ({"run_id": 3}, ArgumentTypeError),
            ({"recorder": {}}, ArgumentTypeError),
            ({"lock_timeout": -1.0}, InvalidArgumentError),
        ]
        for kwargs, error in cases:
            with self.subTest(**kwargs), self.assertRaises(error):
                HistoryStore(self.directory, **kwargs)
        with self.assertRaises(ArgumentTypeError):
            HistoryStore(3)  # type: ignore[arg-type]


@unittest.skipUnless(_filelock._fcntl is not None, "needs fcntl")
class LockTests(_HistoryCase):
    """The merge runs under an exclusive lock."""

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the history lock as another process would."""
        import fcntl

        with open(os.path.join(self.directory, "history.lock"), "a") as stream:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
            yield

    def test_load_waits_for_the_lock(self) -> None:
        """While another holds the lock, load waits; then it merges."""
        _write_process_file(self.directory, "old", "w", {"db": _usage(3)})
        result: list[History] = []
        with self.held():
            thread = threading.Thread(
                target=lambda: result.append(self.store("now").load())
            )
            thread.start()
            thread.join(0.3)
            self.assertTrue(thread.is_alive(), "load did not wait for the lock")
            self.assertEqual(_process_files(self.directory), ["history-old-w.json"])
        thread.join(10)
        self.assertEqual(result[0].series("db"), [3.0])

    def test_lock_timeout_warns_and_merges_nothing(self) -> None:
        """A lock held past lock_timeout: one warning, the files kept for later."""
        self.store("now").load()  # the lock file exists from here on
        _write_process_file(self.directory, "old", "w", {"db": _usage(3)})
        with self.held(), _caught() as caught:
            started = time.monotonic()
            history = self.store("now", lock_timeout=0.2).load()
            self.assertGreaterEqual(time.monotonic() - started, 0.2)
        self.assertEqual(history.runs, ())
        messages = _history_warnings(caught)
        self.assertEqual(len(messages), 1, messages)
        self.assertIn("held the lock", messages[0])
        self.assertEqual(_process_files(self.directory), ["history-old-w.json"])
        self.assertEqual(self.store("now").load().series("db"), [3.0])


class FallbackLockTests(_HistoryCase):
    """Without fcntl, the lock is an O_EXCL lock file."""

    def setUp(self) -> None:
        super().setUp()
        patcher = mock.patch.object(_filelock, "_fcntl", None)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.lock = os.path.join(self.directory, "history.lock.excl")

    def test_merges_and_removes_the_lock_file(self) -> None:
        """The fallback merges as flock does and leaves no lock file behind."""
        _write_process_file(self.directory, "old", "w", {"db": _usage(3)})
        self.assertEqual(self.store("now").lock_path, self.lock)
        self.assertEqual(self.store("now").load().series("db"), [3.0])
        self.assertFalse(os.path.exists(self.lock))

    def test_a_held_lock_times_out(self) -> None:
        """A fresh lock file: load waits lock_timeout, warns, merges nothing."""
        _write_process_file(self.directory, "old", "w", {"db": _usage(3)})
        open(self.lock, "w").close()
        with _caught() as caught:
            history = self.store("now", lock_timeout=0.1).load()
        self.assertEqual(history.runs, ())
        self.assertEqual(len(_history_warnings(caught)), 1)
        self.assertTrue(os.path.exists(self.lock), "another's lock was removed")
        self.assertEqual(_process_files(self.directory), ["history-old-w.json"])

    def test_a_stale_lock_is_broken(self) -> None:
        """A lock file older than STALE_LOCK_SECONDS is left by a killed process."""
        _write_process_file(self.directory, "old", "w", {"db": _usage(3)})
        open(self.lock, "w").close()
        old = time.time() - _filelock.STALE_LOCK_SECONDS - 5
        os.utime(self.lock, (old, old))
        with _caught() as caught:
            history = self.store("now", lock_timeout=0.1).load()
        self.assertEqual(_history_warnings(caught), [])
        self.assertEqual(history.series("db"), [3.0])
        self.assertFalse(os.path.exists(self.lock))


class LiveWriterTests(_HistoryCase):
    """Another run's file whose writer still runs here is left for later."""

    def live_process(self) -> tuple[int, float]:
        """A live process other than this one: its pid and start time."""
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        self.addCleanup(child.wait)
        self.addCleanup(child.kill)
        return child.pid, psutil.Process(child.pid).create_time()

    def test_file_of_a_live_writer_is_left_for_later(self) -> None:
        """Writer alive on this host: not merged; its start time must match."""
        pid, started = self.live_process()
        live = _write_process_file(
            self.directory,
            "other",
            "w",
            {"db": _usage(3)},
            host=socket.gethostname(),
            pid=pid,
            process_started=started,
        )
        self.assertEqual(self.store("now").load().runs, ())
        self.assertTrue(os.path.exists(live))
        # The same pid, started at another time: a reused pid, a dead writer.
        _write_process_file(
            self.directory,
            "other",
            "w",
            {"db": _usage(3)},
            host=socket.gethostname(),
            pid=pid,
            process_started=started - 100,
        )
        self.assertEqual(self.store("now").load().series("db"), [3.0])

    @unittest.skipUnless(sys.platform.startswith("linux"), "reads Linux's /proc")
    def test_liveness_agrees_with_psutil_without_importing_it(self) -> None:
        """On Linux, start times and liveness come from /proc, as psutil's."""
        pid, started = self.live_process()
        # A zombie: exited, not yet waited for.
        zombie = subprocess.Popen([sys.executable, "-c", "pass"])
        self.addCleanup(zombie.wait)
        deadline = time.monotonic() + 30
        while psutil.Process(zombie.pid).status() != psutil.STATUS_ZOMBIE:
            self.assertLess(time.monotonic(), deadline, "the child never exited")
            time.sleep(0.01)
        with mock.patch.dict(sys.modules, {"psutil": None}):
            self.assertAlmostEqual(
                _process.process_start_time(pid) or 0.0, started, delta=0.05
            )
            self.assertTrue(_process.is_running(pid, started))
            self.assertFalse(_process.is_running(pid, started - 100))
            self.assertFalse(_process.is_running(zombie.pid, None))
            zombie.wait()
            self.assertFalse(_process.is_running(zombie.pid, None))
            self.assertIsNone(_process.process_start_time(zombie.pid))

    def test_file_of_a_dead_writer_is_merged(self) -> None:
        """Writer exited: its file is merged."""
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()
        _write_process_file(
            self.directory,
            "other",
            "w",
            {"db": _usage(3)},
            host=socket.gethostname(),
            pid=child.pid,
            process_started=time.time() - 1,
        )
        self.assertEqual(self.store("now").load().series("db"), [3.0])

    def test_process_file_names_host_pid_and_start(self) -> None:
        """flush writes what identifies its writer."""
        usage_module.process_recorder().record_failure("db")
        path = self.store("now").flush()
        data = _read_json(path or "")
        self.assertEqual(data["host"], socket.gethostname())
        self.assertEqual(data["pid"], os.getpid())
        self.assertAlmostEqual(
            data["process_started"], psutil.Process().create_time(), delta=1
        )
        self.assertEqual((data["run_id"], data["worker"]), ("now", "w0"))


_CONCURRENT_WRITER = textwrap.dedent(
    """
    import json, os, sys, time, warnings
    from mockpool._base.files import write_atomic
    from mockpool._learning import history as _history
    from mockpool._learning import usage as usage_module

    warnings.simplefilter("error")  # a HistoryWarning fails this process
    directory, go, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3])
    run_id = os.environ["MOCKPOOL_RUN_ID"]
    store = _history.HistoryStore(directory, max_runs=1000)
    recorder = usage_module.process_recorder()
    deadline = time.monotonic() + 30
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            sys.exit("never started")
        time.sleep(0.001)
    for index in range(iterations):
        recorder.record_acquire(
            "svc", hit=bool(index % 2), build_seconds=None, leased_now=1
        )
        store.flush()
        # A finished run's file appears, for both processes to race over.
        seed = {
            "format": 1, "host": "another-host", "pid": 1,
            "process_started": None, "started": 2000.0 + index,
            "services": {"svc": {
                "acquisitions": 1, "hits": 1, "builds": 0, "timed_builds": 0,
                "build_seconds": 0.0, "discards": 0, "failures": 0,
                "peak_concurrency": 1,
            }},
        }
        write_atomic(
            os.path.join(directory, f"history-{run_id}seed{index:03d}-w.json"),
            json.dumps(seed),
            durable=False,
        )
        store.load()
    """
)


class ConcurrencyTests(_HistoryCase):
    """Two real processes flushing and loading at once."""

    def test_no_record_lost_none_counted_twice(self) -> None:
        """Both merge the same files at once, and never each other's live ones."""
        seeded = 40
        for index in range(seeded):
            _write_process_file(
                self.directory,
                f"old{index:02d}",
                "w",
                {"svc": _usage(index + 1), f"only{index}": _usage(1)},
                started=1000.0 + index,
            )
        go = os.path.join(self.directory, "go")
        iterations = 40
        children = []
        for run_id in ("runA", "runB"):
            env = dict(os.environ, MOCKPOOL_RUN_ID=run_id)
            env.pop("MOCKPOOL_WORKER")
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        _CONCURRENT_WRITER,
                        self.directory,
                        go,
                        str(iterations),
                    ],
                    cwd=_ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        time.sleep(0.3)  # both started and waiting, most likely
        open(go, "w").close()
        for child in children:
            _, errors = child.communicate(timeout=60)
            self.assertEqual(child.returncode, 0, errors)
        with _caught() as caught:
            history = self.store("runC", max_runs=1000).load()
        self.assertEqual(_history_warnings(caught), [])
        by_run = {run.run_id: run for run in history.runs}
        expected = {
            *(f"old{index:02d}" for index in range(seeded)),
            *(
                f"{run}seed{index:03d}"
                for run in ("runA", "runB")
                for index in range(iterations)
            ),
            "runA",
            "runB",
        }
        self.assertEqual(set(by_run), expected)
        for index in range(seeded):
            run = by_run[f"old{index:02d}"]
            self.assertEqual(run.services["svc"].acquired, index + 1)
            self.assertEqual(run.workers, ("w",))
        for run_id in ("runA", "runB"):
            usage = by_run[run_id].services["svc"]
            self.assertEqual(usage.acquired, iterations, run_id)
            self.assertEqual(usage.hits, iterations // 2, run_id)
            self.assertEqual(len(by_run[run_id].workers), 1)
            for index in range(iterations):
                seed = by_run[f"{run_id}seed{index:03d}"]
                self.assertEqual(seed.services["svc"].acquired, 1)
        self.assertEqual(_process_files(self.directory), [])


@unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
class ForkTests(_HistoryCase):
    """A forked child starts afresh."""

    def test_forked_child_starts_with_an_empty_recorder(self) -> None:
        """The child's recorder is empty, its file its own, its warnings its own."""
        parent = usage_module.process_recorder()
        parent.record_acquire("db", hit=False, build_seconds=0.5, leased_now=1)
        store = self.store("run1")
        unreadable = os.path.join(self.directory, "elsewhere")
        os.makedirs(os.path.join(unreadable, "history.json"))
        broken = HistoryStore(unreadable, run_id="run1")
        with _caught() as caught:
            broken.load()
        self.assertEqual(len(_history_warnings(caught)), 1)
        before = parent.snapshot()
        read, write = os.pipe()
        with warnings.catch_warnings():
            # 3.12+ warns when forking a process that has threads.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            status = 1
            try:
                child = usage_module.process_recorder()
                seen: dict[str, Any] = {
                    "same": child is parent,
                    "empty": child.snapshot() == {},
                }
                child.record_failure("db")
                seen["path"] = store.flush()
                with _caught() as caught:
                    broken.load()
                seen["warnings"] = len(_history_warnings(caught))
                os.write(write, json.dumps(seen).encode())
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        with os.fdopen(read, "rb") as stream:
            seen = json.loads(stream.read() or b"null")
        _, status = os.waitpid(pid, 0)
        self.assertEqual(status, 0)
        self.assertFalse(seen["same"])
        self.assertTrue(seen["empty"])
        self.assertEqual(seen["warnings"], 1, "the child did not warn for itself")
        self.assertEqual(
            seen["path"], os.path.join(self.directory, f"history-run1-w0-{pid}.json")
        )
        self.assertEqual(parent.snapshot(), before)
        self.assertEqual(
            store.flush(), os.path.join(self.directory, "history-run1-w0.json")
        )
        history = self.store("run2").load()
        self.assertEqual(
            history.runs[0].services["db"],
            ServiceUsage(
                acquired=1,
                builds=1,
                timed_builds=1,
                build_seconds=0.5,
                failures=1,
                peak_leased=1,
            ),
        )
        self.assertEqual(sorted(history.runs[0].workers), ["w0", f"w0-{pid}"])


class FileNameTests(unittest.TestCase):
    """The per-process file name."""

    def test_run_ids_never_hold_the_separator(self) -> None:
        """A run id cannot contain "-", so names split at the first one."""
        pattern = re.compile(r"history-(?P<run>[^-]+)-(?P<worker>.+)\.json")
        with mock.patch.dict(os.environ, {"MOCKPOOL_RUN_ID": "a-b-c"}):
            run_id = _process.current_run_id()
        store = HistoryStore(tempfile.gettempdir(), run_id=run_id)
        with mock.patch.dict(os.environ, {"MOCKPOOL_WORKER": "gw-1"}):
            name = os.path.basename(store.process_path())
        match = pattern.fullmatch(name)
        assert match is not None
        self.assertEqual((match["run"], match["worker"]), ("a_b_c", "gw-1"))


def _cost(stamp: str, *samples: list[float], measured: float) -> dict[str, Any]:
    """The JSON form of a remembered cost."""
    return {"stamp": stamp, "samples": [list(s) for s in samples], "measured": measured}


class CostHistoryTests(_HistoryCase):
    """Remembered costs in the history files: written, merged, loaded."""

    def history_path(self) -> str:
        return os.path.join(self.directory, "history.json")

    def test_a_later_run_recalls_what_an_earlier_one_measured(self) -> None:
        """flush writes the costs, the next run's load fills the memory."""
        measured = CostMemory()
        measured.remember("autospec_class m.A", "s1", [0.25])
        path = self.store("run1", costs=measured).flush()
        assert path is not None
        self.assertIn(f"{INTERPRETER} autospec_class m.A", _read_json(path)["costs"])
        later = CostMemory()
        with _caught() as caught:
            history = self.store("run2", costs=later).load()
        self.assertEqual(_history_warnings(caught), [])
        cost = later.recall("autospec_class m.A", "s1")
        assert cost is not None
        self.assertEqual((cost.figures(), cost.runs_since), ((0.25,), 0))
        self.assertEqual(list(history.costs), [f"{INTERPRETER} autospec_class m.A"])
        # Written with no usage recorded: a run that only measured costs
        # still keeps them.
        self.assertEqual(history.runs[0].services, {})

    def test_nothing_recorded_nothing_written(self) -> None:
        """No usage and no cost measured: no file; a new cost: a new file."""
        memory = CostMemory()
        store = self.store("run1", costs=memory)
        self.assertIsNone(store.flush())
        memory.remember("n", "s", [0.1])
        self.assertIsNotNone(store.flush())

    def test_costs_of_another_python_are_kept_but_not_recalled(self) -> None:
        """One directory may serve several interpreters: each keeps its own."""
        with open(self.history_path(), "w", encoding="utf-8") as stream:
            json.dump(
                {
                    "format": 1,
                    "runs": [],
                    "costs": {
                        "cpython-2.7.18 autospec_class m.A": _cost(
                            "s1", [0.9], measured=time.time()
                        ),
                    },
                },
                stream,
            )
        _write_process_file(self.directory, "old", "w", {"db": _usage(1)})
        memory = CostMemory()
        self.store("now", costs=memory).load()
        self.assertIsNone(memory.recall("autospec_class m.A", "s1"))
        self.assertIn(
            "cpython-2.7.18 autospec_class m.A",
            _read_json(self.history_path())["costs"],
        )

    def test_workers_samples_merge_once_and_old_costs_are_forgotten(self) -> None:
        """Two workers' samples add up; a file merged before (a load killed
        before deleting it) adds nothing; a cost not measured for
        COST_FORGET_DAYS leaves the file."""
        now = time.time()
        name = f"{INTERPRETER} autospec_class m.A"
        old = f"{INTERPRETER} autospec_class m.Gone"
        forgotten = now - COST_FORGET_DAYS * 86400 - 60
        with open(self.history_path(), "w", encoding="utf-8") as stream:
            json.dump(
                {
                    "format": 1,
                    "runs": [
                        {
                            "run_id": "r0",
                            "started": now - 100,
                            "workers": ["gw0"],
                            "services": {},
                        }
                    ],
                    "costs": {
                        name: _cost("s", [0.1], measured=now - 100),
                        old: _cost("s", [0.1], measured=forgotten),
                    },
                },
                stream,
            )
        for worker, sample in (("gw0", 0.2), ("gw1", 0.3)):
            _write_process_file(
                self.directory,
                "r1",
                worker,
                {},
                started=now - 50,
                costs={name: _cost("s", [sample], measured=now - 40)},
            )
        # Merged into r0 before: its sample must not count twice.
        _write_process_file(
            self.directory,
            "r0",
            "gw0",
            {},
            started=now - 100,
            costs={name: _cost("s", [7.0], measured=now - 90)},
        )
        memory = CostMemory()
        history = self.store("now", costs=memory).load()
        cost = memory.recall("autospec_class m.A", "s")
        assert cost is not None
        self.assertEqual(sorted(cost.samples), [(0.1,), (0.2,), (0.3,)])
        self.assertEqual(cost.measured, now - 40)
        self.assertEqual(sorted(history.costs), [name])
        self.assertNotIn(old, _read_json(self.history_path())["costs"])

    def test_runs_since_counts_the_runs_begun_after_the_measurement(self) -> None:
        """The refresh rule's run count comes from the history's runs; the
        run that measured is not one, even if it began recording after."""
        now = time.time()
        for index in range(4):
            _write_process_file(
                self.directory,
                f"r{index}",
                "w",
                {"db": _usage(1)},
                started=now - 100 + index,
            )
        _write_process_file(
            self.directory,
            "r9",
            "w2",
            {},
            started=now - 98.4,
            costs={
                f"{INTERPRETER} n": _cost("s", [0.1], measured=now - 98.5),
            },
        )
        memory = CostMemory()
        self.store("now", costs=memory).load()
        cost = memory.recall("n", "s")
        assert cost is not None
        self.assertEqual((cost.runs_since, cost.run_id), (2, "r9"))

    def test_corrupt_or_foreign_costs_warn_and_keep_the_runs(self) -> None:
        """Costs that are not what this version writes: one warning, the
        runs kept, every cost measured afresh and the file rewritten."""
        now = time.time()
        bad_costs: dict[str, Any] = {
            "a list": [],
            "no stamp": {"n": {"samples": [[0.1]], "measured": now}},
            "no samples": {"n": _cost("s", measured=now)},
            "negative": {"n": _cost("s", [-0.1], measured=now)},
            "an hour": {"n": _cost("s", [3600.0], measured=now)},
            "a flag": {"n": _cost("s", [True], measured=now)},
            "three figures": {"n": _cost("s", [0.1, 0.1, 0.1], measured=now)},
            "text": {"n": _cost("s", ["0.1"], measured=now)},  # type: ignore[list-item]
        }
        for case, costs in bad_costs.items():
            with self.subTest(case):
                self.directory = _temporary_directory(self)
                _history._warned.clear()
                with open(self.history_path(), "w", encoding="utf-8") as stream:
                    json.dump(
                        {
                            "format": 1,
                            "runs": [
                                {
                                    "run_id": "r",
                                    "started": 1.0,
                                    "workers": [],
                                    "services": {"db": _usage(2)},
                                }
                            ],
                            "costs": costs,
                        },
                        stream,
                    )
                memory = CostMemory()
                with _caught() as caught:
                    history = self.store("now", costs=memory).load()
                messages = _history_warnings(caught)
                self.assertEqual(len(messages), 1, messages)
                self.assertIn("corrupt remembered costs", messages[0])
                self.assertEqual(history.series("db"), [2.0])
                self.assertEqual(dict(history.costs), {})
                self.assertIsNone(memory.recall("n", "s"))
                self.assertNotIn("costs", _read_json(self.history_path()))

    def test_a_forked_child_writes_none_of_its_parents_costs(self) -> None:
        """The child recalls what the parent knows; the parent writes its own."""
        parent = process_costs()
        parent.remember("n", "s", [0.1])
        _costs._after_fork_in_child()
        child = process_costs()
        self.assertIsNot(child, parent)
        self.assertIsNotNone(child.recall("n", "s"))
        self.assertIsNone(self.store("run1").flush())


if __name__ == "__main__":
    unittest.main()
