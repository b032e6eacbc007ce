"""The package's layers, checked from the source (docs/architecture.rst).

The import graph is built with :mod:`ast` from every module under
``mockpool/``, counting imports inside functions (they tie modules together
at run time just the same) and leaving out imports under
``if TYPE_CHECKING:`` (they never run). The tests fail on any import
circle, on an import against the order of the layers, and on the core
importing a side system. Importing ``mockpool`` opens no file and a plain
session touches none (tests/test_settings.py covers the import itself).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import unittest
from collections.abc import Iterator
from pathlib import Path

import mockpool
from mockpool._base import events

PACKAGE = Path(mockpool.__file__).parent
#: Each folder's rank: a module may import only from folders of a lower or
#: equal rank. _learning and _reporting sit beside the core's _sessions:
#: they may read _pools, and nothing of the core may read them.
RANKS = {
    "errors": 0,
    "_base": 0,
    "_measure": 1,
    "_autospec": 1,
    "_services": 2,
    "_pools": 3,
    "_sessions": 4,
    "_learning": 4,
    "_reporting": 5,
    "_integration": 6,
    "_wiring": 6,
    "__init__": 7,
    "_cli": 8,
    "__main__": 9,
}
CORE = ("_autospec", "_services", "_pools", "_sessions")
SIDE_SYSTEMS = ("_learning", "_reporting")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, except what sits under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    """Module -> the mockpool modules it imports (the demo suite left out)."""
    paths = {
        module_name(path): path
        for path in PACKAGE.rglob("*.py")
        if "_demo" not in path.relative_to(PACKAGE).parts
    }
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _runtime_nodes(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[
                        : len(package.split(".")) - node.level + 1
                    ]
                    base = ".".join([*anchor, *([base] if base else [])])
                submodules = [f"{base}.{alias.name}" for alias in node.names]
                found = [sub for sub in submodules if sub in paths]
                targets = found if len(found) == len(submodules) else [*found, base]
            graph[name].update(t for t in targets if t in paths and t != name)
    return graph


def folder(module: str) -> str:
    """The layer of a module: its folder under mockpool, or its own name."""
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


class ImportGraphTests(unittest.TestCase):
    """The import graph has no circle and follows the layers."""

    graph: dict[str, set[str]]

    @classmethod
    def setUpClass(cls) -> None:
        cls.graph = import_graph()

    def test_the_graph_sees_function_local_imports(self) -> None:
        """The reader counts an import inside a function (or it proves nothing)."""
        tree = ast.parse("def f():\n    from mockpool._base import fence\n")
        imports = [n for n in _runtime_nodes(tree) if isinstance(n, ast.ImportFrom)]
        self.assertEqual(len(imports), 1)

    def test_no_import_circle(self) -> None:
        """No two modules import each other, even through others or functions."""
        self.assertEqual(circles(self.graph), [])

    def test_circles_are_found(self) -> None:
        """The circle finder reports a circle when there is one."""
        looped = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
        self.assertEqual(circles(looped), [["a", "b", "c"]])

    def test_every_folder_has_a_rank(self) -> None:
        """A new folder must be placed in the order before it can be used."""
        unranked = {folder(module) for module in self.graph} - set(RANKS)
        self.assertEqual(unranked, set(), "add the folder to RANKS")

    def test_imports_follow_the_layers(self) -> None:
        """A module imports only from its own layer or the layers below."""
        against = sorted(
            f"{source} -> {target}"
            for source, targets in self.graph.items()
            for target in targets
            if RANKS.get(folder(target), 0) > RANKS.get(folder(source), 0)
        )
        self.assertEqual(against, [])

    def test_the_core_imports_no_side_system(self) -> None:
        """Learning and reporting hear the core through events only."""
        offending = sorted(
            f"{source} -> {target}"
            for source, targets in self.graph.items()
            if folder(source) in CORE
            for target in targets
            if folder(target) in SIDE_SYSTEMS
        )
        self.assertEqual(offending, [])

    def test_few_modules_at_the_top(self) -> None:
        """Only the front door, __main__, errors and the wiring stay at the top."""
        top = sorted(path.name for path in PACKAGE.glob("*.py"))
        self.assertEqual(top, ["__init__.py", "__main__.py", "_wiring.py", "errors.py"])


class EventHubTests(unittest.TestCase):
    """The hub calls receivers in order and fences their failures."""

    def test_receivers_hear_every_emit_in_order(self) -> None:
        """Each connected receiver gets the arguments, once, in order."""
        signal = events.Signal("probe", "value")
        heard: list[tuple[str, int]] = []
        first = signal.connect(lambda value: heard.append(("first", value)))
        signal.connect(lambda value: heard.append(("second", value)))
        signal.connect(first)  # connecting again changes nothing
        signal.emit(1)
        self.assertEqual(heard, [("first", 1), ("second", 1)])
        signal.disconnect(first)
        signal.emit(2)
        self.assertEqual(heard[2:], [("second", 2)])

    def test_a_failing_receiver_is_a_warning_and_the_next_still_runs(self) -> None:
        """An error in bookkeeping never reaches the emitter."""
        signal = events.Signal("probe", "")
        heard: list[str] = []

        def broken() -> None:
            raise RuntimeError("disk full")

        signal.connect(broken)
        signal.connect(lambda: heard.append("after"))
        with self.assertWarnsRegex(mockpool.MockPoolWarning, "disk full"):
            signal.emit()
        self.assertEqual(heard, ["after"])

    def test_a_failing_query_falls_back_to_its_default(self) -> None:
        """A side system's broken answer is a warning and the default answer."""
        query = events.Query("probe", lambda name: 0.0)
        query.install(lambda name: 1.0 / 0)
        with self.assertWarnsRegex(mockpool.MockPoolWarning, "ZeroDivisionError"):
            self.assertEqual(query("x"), 0.0)
        query.reset()
        self.assertEqual(query("x"), 0.0)

    def test_the_side_systems_are_connected(self) -> None:
        """Importing mockpool connects the usage recorder, report and lifecycle."""
        for signal in (
            events.acquired,
            events.build_failed,
            events.discarded,
            events.degraded,
            events.adapted,
            events.run_begun,
            events.session_opened,
            events.session_closed,
        ):
            with self.subTest(signal=signal.name):
                self.assertTrue(signal.receivers, f"nothing hears {signal!r}")


class PlainSessionTests(unittest.TestCase):
    """A plain session, outside any run and with no history configured."""

    def test_a_plain_session_touches_no_file(self) -> None:
        """mock_session() opens, serves and closes without opening any file."""
        script = textwrap.dedent(
            """
            import sys
            opened = []
            import mockpool

            class Service:
                def call(self, x): ...

            registry = mockpool.Registry()
            registry.register("Service", Service)

            def audit(event, args):
                if event == "open":
                    opened.append(args[0])

            sys.addaudithook(audit)
            with mockpool.mock_session(registry) as session:
                session.get("Service").call(1)
            print(opened)
            """
        )
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("MOCKPOOL_")
        }
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(PACKAGE.parent), os.environ.get("PYTHONPATH")])
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        # Modules, and the kernel's live figures (the adapter reads this
        # process's memory from /proc/self): no file on disk is touched.
        opened = [
            path
            for path in ast.literal_eval(done.stdout.strip())
            if not str(path).endswith((".py", ".pyc"))
            and not str(path).startswith("/proc/self/")
        ]
        self.assertEqual(opened, [])
