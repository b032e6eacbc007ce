"""Tests for the host operations: functions patched by name, OpenStack-style.

Every test here autospecs *functions* -- ``@mock.patch("...hostops.execute",
autospec=True)`` stacked on the test method, or ``patch.object(hostops,
"sleep", autospec=True)`` started in ``setUp`` -- and drives them with
``side_effect`` lists, the pattern that dominates real agents' suites.
"""

from __future__ import annotations

import unittest
from unittest import mock

from mockpool._demo.services import hostops
from mockpool._demo.tests.support import cases, data_driven, start_patch_object

_HOSTOPS = "mockpool._demo.services.hostops"


def _df(free: int, path: str = "/var/lib/app") -> str:
    return (
        "Filesystem 1-blocks Used Available Capacity Mounted on\n"
        f"/dev/sda1 100000000000 1 {free} 1% {path}\n"
    )


@data_driven
class ExecuteTests(unittest.TestCase):
    """execute(): statuses, retries with doubling delays, arguments."""

    def setUp(self) -> None:
        self.run_process = start_patch_object(
            self, hostops, "_run_process", autospec=True
        )
        self.sleep = start_patch_object(self, hostops, "sleep", autospec=True)

    @cases(
        echo=("echo", "hi"),
        ls=("ls", "-l", "/tmp"),
        df=("df", "-P", "/"),
        systemctl=("systemctl", "status", "nginx"),
        long=("tar", "-czf", "/b.tgz", "--exclude", "*.pyc", "/srv"),
    )
    def test_stdout_of_a_successful_command(self, argv: tuple[str, ...]) -> None:
        """A zero status returns stdout and the command is run once, unretried."""
        self.run_process.return_value = (0, "output\n", "")
        self.assertEqual(hostops.execute(*argv), "output\n")
        self.run_process.assert_called_once_with(list(argv), 60.0)
        self.sleep.assert_not_called()

    @cases(one=1, two=2, three=3, five=5, many=8)
    def test_failures_are_retried_then_raised(self, attempts: int) -> None:
        """A failing command runs *attempts* times, then raises ProcessError."""
        self.run_process.return_value = (2, "", " boom \n")
        with self.assertRaises(hostops.ProcessError) as raised:
            hostops.execute("false", attempts=attempts, delay=0.25)
        self.assertEqual(self.run_process.call_count, attempts)
        self.assertEqual(raised.exception.status, 2)
        self.assertEqual(raised.exception.stderr, "boom")
        self.assertEqual(raised.exception.argv, ("false",))
        delays = [call.args[0] for call in self.sleep.call_args_list]
        self.assertEqual(delays, [0.25 * 2**i for i in range(attempts - 1)])

    @cases(first=1, second=2, third=3, fourth=4)
    def test_success_after_failures(self, failures: int) -> None:
        """The first accepted status ends the retries."""
        self.run_process.side_effect = [(1, "", "busy")] * failures + [(0, "ok", "")]
        self.assertEqual(hostops.execute("mount", "-a", attempts=5, delay=1), "ok")
        self.assertEqual(self.run_process.call_count, failures + 1)
        self.assertEqual(self.sleep.call_count, failures)

    @cases(zero=(0, (0,)), three=(3, (0, 3)), four=(4, (4,)), one=(1, (0, 1, 2)))
    def test_accepted_statuses(self, case: tuple[int, tuple[int, ...]]) -> None:
        """Any status in ok_statuses is a success."""
        status, accepted = case
        self.run_process.return_value = (status, "x", "")
        self.assertEqual(hostops.execute("cmd", ok_statuses=accepted), "x")

    @cases(zero=0, negative=-1)
    def test_attempts_must_be_positive(self, attempts: int) -> None:
        """attempts < 1 is refused before anything runs."""
        with self.assertRaises(ValueError):
            hostops.execute("true", attempts=attempts)
        self.run_process.assert_not_called()

    def test_an_empty_command_is_refused(self) -> None:
        """execute() needs a command."""
        with self.assertRaises(ValueError):
            hostops.execute()
        self.run_process.assert_not_called()

    @cases(short=5.0, default=60.0, long=600.0)
    def test_timeout_is_passed_on(self, timeout: float) -> None:
        """The timeout reaches the process runner."""
        self.run_process.return_value = (0, "", "")
        hostops.execute("sleep", "1", timeout=timeout)
        self.assertEqual(self.run_process.call_args.args[1], timeout)

    def test_the_autospec_checks_the_runner_signature(self) -> None:
        """Calling the patched runner wrongly is a TypeError, as for the real one."""
        with self.assertRaises(TypeError):
            hostops._run_process(["x"], 1.0, "extra")  # type: ignore[call-arg]

    def test_error_message_names_the_command(self) -> None:
        """ProcessError says which command failed and how."""
        self.run_process.return_value = (127, "", "not found")
        with self.assertRaises(hostops.ProcessError) as raised:
            hostops.execute("frobnicate", "--all")
        self.assertIn("frobnicate --all", str(raised.exception))
        self.assertIn("127", str(raised.exception))


@data_driven
class FreeBytesTests(unittest.TestCase):
    """free_bytes(): parsing df output."""

    @cases(
        zero=0,
        small=1024,
        gigabyte=1 << 30,
        big=7 << 40,
        odd=123456789,
        one=1,
    )
    @mock.patch(f"{_HOSTOPS}.execute", autospec=True)
    def test_reads_the_available_column(self, free: int, execute: mock.Mock) -> None:
        """The fourth column of df's last line is the answer."""
        execute.return_value = _df(free)
        self.assertEqual(hostops.free_bytes("/var/lib/app"), free)
        execute.assert_called_once_with("df", "-P", "-B1", "/var/lib/app")

    @cases(
        empty="",
        header_only="Filesystem 1-blocks Used Available\n",
        short_line="Filesystem x\n/dev/sda1 1 2\n",
        not_a_number="Filesystem x\n/dev/sda1 1 2 lots 1% /\n",
    )
    @mock.patch(f"{_HOSTOPS}.execute", autospec=True)
    def test_unreadable_output_is_an_error(
        self, output: str, execute: mock.Mock
    ) -> None:
        """Output without a usable line raises ProcessError."""
        execute.return_value = output
        with self.assertRaises(hostops.ProcessError):
            hostops.free_bytes("/")

    @mock.patch(f"{_HOSTOPS}.execute", autospec=True)
    def test_df_failure_propagates(self, execute: mock.Mock) -> None:
        """A failing df is not turned into a number."""
        execute.side_effect = hostops.ProcessError(("df",), 1, "no such file")
        with self.assertRaises(hostops.ProcessError):
            hostops.free_bytes("/missing")


@data_driven
class ServiceTests(unittest.TestCase):
    """service_state() and restart_service() over execute()."""

    @cases(active=0, inactive=3, unknown=4, failed=1, odd=99)
    @mock.patch(f"{_HOSTOPS}.execute", autospec=True)
    def test_state_from_exit_status(self, status: int, execute: mock.Mock) -> None:
        """systemctl's exit status is translated to a state name."""
        if status:
            execute.side_effect = hostops.ProcessError(("systemctl",), status)
        expected = hostops.SERVICE_STATES.get(status, "failed")
        self.assertEqual(hostops.service_state("nginx"), expected)
        execute.assert_called_once_with("systemctl", "is-active", "--quiet", "nginx")

    @cases(nginx="nginx", redis="redis-server", db="postgresql@15-main")
    @mock.patch(f"{_HOSTOPS}.service_state", autospec=True)
    @mock.patch(f"{_HOSTOPS}.execute", autospec=True)
    def test_restart_then_check(
        self, name: str, execute: mock.Mock, state: mock.Mock
    ) -> None:
        """restart_service restarts with retries, then asks for the state."""
        state.return_value = "active"
        self.assertTrue(hostops.restart_service(name))
        execute.assert_called_once_with(
            "systemctl", "restart", name, attempts=3, delay=0.5
        )
        state.assert_called_once_with(name)

    @cases(inactive="inactive", failed="failed", unknown="unknown")
    @mock.patch(f"{_HOSTOPS}.service_state", autospec=True)
    @mock.patch(f"{_HOSTOPS}.execute", autospec=True)
    def test_restart_reports_a_service_that_stays_down(
        self, after: str, execute: mock.Mock, state: mock.Mock
    ) -> None:
        """restart_service is False when the service is not active afterwards."""
        state.return_value = after
        self.assertFalse(hostops.restart_service("nginx", attempts=1))
        self.assertEqual(execute.call_args.kwargs["attempts"], 1)


@data_driven
class WaitUntilTests(unittest.TestCase):
    """wait_until(): polling against a patched clock."""

    def setUp(self) -> None:
        self.clock = start_patch_object(self, hostops, "monotonic", autospec=True)
        self.sleep = start_patch_object(self, hostops, "sleep", autospec=True)

    @cases(at_once=0, after_one=1, after_three=3, after_ten=10)
    def test_true_once_the_predicate_is(self, polls: int) -> None:
        """It sleeps between polls and returns True when the predicate is."""
        self.clock.side_effect = [float(i) for i in range(polls + 2)]
        predicate = mock.Mock(side_effect=[False] * polls + [True])
        self.assertTrue(hostops.wait_until(predicate, timeout=100, interval=2))
        self.assertEqual(predicate.call_count, polls + 1)
        self.assertEqual(self.sleep.call_args_list, [mock.call(2)] * polls)

    @cases(short=1.0, medium=5.0, long=12.0)
    def test_false_after_the_timeout(self, timeout: float) -> None:
        """A predicate that never holds gives up when the clock passes the deadline."""
        self.clock.side_effect = [float(i) for i in range(100)]
        predicate = mock.Mock(return_value=False)
        self.assertFalse(hostops.wait_until(predicate, timeout=timeout, interval=1))
        # The deadline is read at 0.0; each later reading follows a poll.
        self.assertEqual(predicate.call_count, int(timeout))
        self.assertEqual(self.sleep.call_count, int(timeout) - 1)

    @cases(none=None, number=3, text="ready")
    def test_a_predicate_must_be_callable(self, value: object) -> None:
        """A value that cannot be called is refused up front."""
        with self.assertRaises(TypeError):
            hostops.wait_until(value)
        self.sleep.assert_not_called()


@data_driven
class FileTests(unittest.TestCase):
    """list_files() and remove_file()."""

    @cases(
        none=("", []),
        one=("/b/a.sql\n", ["/b/a.sql"]),
        unsorted=("/b/c\n/b/a\n/b/b\n", ["/b/a", "/b/b", "/b/c"]),
        blank_lines=("\n/b/x\n\n  \n", ["/b/x"]),
    )
    @mock.patch(f"{_HOSTOPS}.execute", autospec=True)
    def test_list_files(self, case: tuple[str, list[str]], execute: mock.Mock) -> None:
        """find's lines come back sorted, blanks dropped."""
        output, expected = case
        execute.return_value = output
        self.assertEqual(hostops.list_files("/b", "*.sql"), expected)
        self.assertEqual(execute.call_args.args[:2], ("find", "/b"))
        self.assertEqual(execute.call_args.args[-1], "*.sql")

    @cases(plain="/tmp/x", dash="-rf", spaces="/tmp/a b")
    @mock.patch(f"{_HOSTOPS}.execute", autospec=True)
    def test_remove_file_ends_the_options(self, path: str, execute: mock.Mock) -> None:
        """A path that looks like an option is still a path."""
        hostops.remove_file(path)
        execute.assert_called_once_with("rm", "-f", "--", path)
