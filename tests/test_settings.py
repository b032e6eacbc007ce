"""Tests for how mockpool reads its settings: never at import, once when used.

Importing :mod:`mockpool` must read no environment variable and no file and
fail on nothing, whatever ``MOCKPOOL_*`` holds. A setting is read when it is
first needed and kept; a bad value is then reported -- a
:class:`~mockpool.MockPoolWarning` naming the variable, the value and the
fix, followed by the default behaviour -- and never crashes a run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import unittest
import warnings
from unittest import mock

import mockpool
from mockpool._pools import adapt as _adapt
from mockpool._pools import recovery as _recovery

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PACKAGE = os.path.join(_ROOT, "mockpool")


def _setting_names() -> list[str]:
    """Every ``MOCKPOOL_*`` variable named anywhere in the package's source."""
    names = {"CI"}
    for folder, _, files in os.walk(_PACKAGE):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as stream:
                    names.update(
                        re.findall(r"\bMOCKPOOL_[A-Z_]+[A-Z]\b", stream.read())
                    )
    return sorted(names)


#: Values no setting accepts: missing paths, words, signs and odd characters.
_GARBAGE = ("/nonexistent/garbage.json", "-1", "ünï cødé; $(true) ../..", " ")

# Run in a fresh interpreter before `import mockpool`: records every
# environment variable read and every file opened until the import is done.
_RECORDER = textwrap.dedent(
    """
    import json, os, sys

    reads = []

    class Recording(type(os.environ)):
        def __getitem__(self, key):
            reads.append(key)
            return super().__getitem__(key)

        def __contains__(self, key):
            reads.append(key)
            return super().__contains__(key)

    env = os.environ
    os.environ = Recording(
        env._data, env.encodekey, env.decodekey, env.encodevalue, env.decodevalue
    )
    opened = []
    importing = True

    def audit(event, args):
        if importing and event == "open":
            opened.append(os.fsdecode(args[0]) if args[0] is not None else "")

    sys.addaudithook(audit)
    import mockpool
    importing = False
    print(json.dumps({"reads": [str(key) for key in reads], "opened": opened}))
    """
)


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=_ROOT,
        env=dict(os.environ, PYTHONPATH=_ROOT, **env),
        timeout=120,
    )


class ImportReadsNothingTests(unittest.TestCase):
    def test_the_package_names_the_settings_this_test_sets(self) -> None:
        """The scan finds the documented settings (so the next tests cover them)."""
        names = _setting_names()
        for name in (
            "MOCKPOOL_ADAPTATION",
            "MOCKPOOL_STRICT",
            "MOCKPOOL_HISTORY",
            "MOCKPOOL_DIR",
            "MOCKPOOL_REPORT_DIR",
            "MOCKPOOL_RUN_ID",
            "MOCKPOOL_WORKER",
            "MOCKPOOL_WARM",
        ):
            self.assertIn(name, names)

    def test_import_succeeds_with_every_setting_garbage(self) -> None:
        """import mockpool works, silently, whatever MOCKPOOL_* and CI hold."""
        for value in _GARBAGE:
            with self.subTest(value=value):
                garbage = dict.fromkeys(_setting_names(), value)
                done = _python(
                    "import mockpool; print(mockpool.__version__)", **garbage
                )
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertEqual(done.stdout.strip(), mockpool.__version__)
                self.assertEqual(done.stderr, "")

    def test_import_reads_no_setting(self) -> None:
        """import mockpool reads no MOCKPOOL_* variable and not CI."""
        done = _python(_RECORDER, MOCKPOOL_ADAPTATION="/nonexistent")
        self.assertEqual(done.returncode, 0, done.stderr)
        reads = json.loads(done.stdout)["reads"]
        self.assertEqual([key for key in reads if key.startswith("MOCKPOOL_")], [])
        self.assertNotIn("CI", reads)

    def test_import_opens_no_file_but_modules(self) -> None:
        """import mockpool opens Python modules only: no data file, no /proc."""
        done = _python(_RECORDER)
        self.assertEqual(done.returncode, 0, done.stderr)
        opened = json.loads(done.stdout)["opened"]
        self.assertTrue(opened)  # the hook saw the imports
        self.assertEqual(
            [path for path in opened if not path.endswith((".py", ".pyc"))], []
        )


class AdaptationSettingTests(unittest.TestCase):
    def setUp(self) -> None:
        previous = _adapt.set_adapter(_adapt.Adapter(deterministic=True))
        self.addCleanup(_adapt.set_adapter, previous)

    def read(self, value: str) -> tuple[_adapt.Adapter, list[warnings.WarningMessage]]:
        """The adapter MOCKPOOL_ADAPTATION=*value* gives, and the warnings."""
        with (
            mock.patch.dict(os.environ, {_adapt.ADAPTATION_ENV: value}),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            _adapt.reload_settings()
            adapter = _adapt.current_adapter()
        return adapter, caught

    def test_a_bad_value_warns_with_name_value_and_fix_then_adapts(self) -> None:
        """A bad value is a MockPoolWarning, and adaptation stays on."""
        adapter, caught = self.read("/nonexistent/report.json")
        [warning] = caught
        self.assertTrue(issubclass(warning.category, mockpool.MockPoolWarning))
        message = str(warning.message)
        for part in ("MOCKPOOL_ADAPTATION", "'/nonexistent/report.json'", "off"):
            self.assertIn(part, message)
        self.assertIn("--report-json", message)
        self.assertTrue(adapter.enabled)
        self.assertFalse(adapter.deterministic)

    def test_the_setting_is_read_once_until_reloaded(self) -> None:
        """The first use reads the variable; later changes wait for a reload."""
        first, _ = self.read("off")
        self.assertFalse(first.enabled)
        with mock.patch.dict(os.environ, {_adapt.ADAPTATION_ENV: "on"}):
            self.assertIs(_adapt.current_adapter(), first)
        second, caught = self.read("on")
        self.assertTrue(second.enabled)
        self.assertEqual(caught, [])

    def test_an_explicit_bad_setting_still_raises(self) -> None:
        """Asking for an adapter from a bad setting in code raises, naming it."""
        with self.assertRaisesRegex(
            mockpool.InvalidArgumentError, r"'/no/such/report\.json'.*--report-json"
        ):
            _adapt.adapter_from_setting("/no/such/report.json")


class StrictSettingTests(unittest.TestCase):
    def setUp(self) -> None:
        mockpool.set_strict(None)
        self.addCleanup(_recovery.reload_settings)
        self.addCleanup(mockpool.set_strict, None)

    def strict(self, **env: str) -> tuple[bool, list[warnings.WarningMessage]]:
        with (
            mock.patch.dict(os.environ, env, clear=True),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            _recovery.reload_settings()
            return mockpool.is_strict(), caught

    def test_a_bad_value_warns_with_name_value_and_fix(self) -> None:
        """MOCKPOOL_STRICT=garbage warns, then CI decides as if it were unset."""
        for ci, expected in (({}, False), ({"CI": "true"}, True)):
            with self.subTest(ci=ci):
                strict, caught = self.strict(MOCKPOOL_STRICT="garbage", **ci)
                self.assertIs(strict, expected)
                [warning] = caught
                self.assertTrue(issubclass(warning.category, mockpool.MockPoolWarning))
                message = str(warning.message)
                for part in ("MOCKPOOL_STRICT", "'garbage'", "1", "0"):
                    self.assertIn(part, message)

    def test_the_setting_is_read_once_until_reloaded(self) -> None:
        """The first use reads the variables; later changes wait for a reload."""
        self.assertIs(self.strict(MOCKPOOL_STRICT="1")[0], True)
        with mock.patch.dict(os.environ, {"MOCKPOOL_STRICT": "0"}):
            self.assertIs(mockpool.is_strict(), True)
            _recovery.reload_settings()
            self.assertIs(mockpool.is_strict(), False)


class RunSurvivesBadSettingsTests(unittest.TestCase):
    def test_a_run_warns_about_bad_settings_and_passes(self) -> None:
        """python -m mockpool run with bad settings runs the suite, and warns."""
        with tempfile.TemporaryDirectory() as directory:
            with open(
                os.path.join(directory, "test_tiny.py"), "w", encoding="utf-8"
            ) as stream:
                stream.write(
                    textwrap.dedent(
                        """
                        import unittest
                        from http.client import HTTPConnection
                        from unittest import mock

                        class Tiny(unittest.TestCase):
                            def test_autospec(self):
                                conn = mock.create_autospec(
                                    HTTPConnection, instance=True
                                )
                                conn.request("GET", "/")
                                conn.request.assert_called_once_with("GET", "/")
                        """
                    )
                )
            done = subprocess.run(
                [sys.executable, "-m", "mockpool", "run", "test_tiny"],
                capture_output=True,
                text=True,
                cwd=directory,
                env=dict(
                    os.environ,
                    PYTHONPATH=_ROOT,
                    MOCKPOOL_DIR=os.path.join(directory, "history"),
                    MOCKPOOL_ADAPTATION="/nonexistent",
                    MOCKPOOL_STRICT="garbage",
                ),
                timeout=120,
            )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("OK", done.stderr)
        self.assertIn("MOCKPOOL_ADAPTATION='/nonexistent'", done.stderr)


if __name__ == "__main__":
    unittest.main()
