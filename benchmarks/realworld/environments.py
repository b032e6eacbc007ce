"""Throwaway virtual environments for the public suites, kept in a cache.

Layout of the cache directory (``$MOCKPOOL_REALWORLD_CACHE``, else
``~/.cache/mockpool-realworld``)::

    downloads/                  the sdists, as pip downloaded them
    mockpool-checkout-*/        a copy of this checkout, what pip installs
    NAME-VERSION/
        source/                 the unpacked sdist; the tests run in it
        venv-3.11/              one venv per Python version
        constraints-3.11.txt    the first ``pip freeze`` of that venv
        ready-3.11              marker: the venv is complete
        setup-3.11.log          pip's output

A venv with its marker is reused as it is; only mockpool is reinstalled on
every run, because the checkout changes. The constraints file is written
once, from the first venv built, and every later build installs with it, so
that a rebuilt venv holds the same versions and reruns compare like with
like. Delete it to move to newer releases.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import record
from suites import Suite

#: The checkout this benchmark belongs to (benchmarks/realworld/ is two down).
CHECKOUT = Path(__file__).resolve().parents[2]
#: What of the checkout a ``pip install`` needs.
_CHECKOUT_PARTS = ("mockpool", "setup.cfg", "pyproject.toml", "README.md", "LICENSE")


def default_cache() -> Path:
    """``$MOCKPOOL_REALWORLD_CACHE``, else ``~/.cache/mockpool-realworld``."""
    configured = os.environ.get("MOCKPOOL_REALWORLD_CACHE")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "mockpool-realworld"


class SetupError(RuntimeError):
    """A suite's environment could not be built; the message names the log."""


def python_version(python: str) -> str:
    """``3.11`` for an interpreter that is Python 3.11.

    Raises:
        SetupError: *python* does not run.
    """
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SetupError(
            f"--python {python!r} does not run ({exc}); pass an interpreter "
            "such as python3.11 or its full path"
        ) from None
    return done.stdout.strip()


class Environment:
    """One suite's unpacked sdist and venv for one Python version."""

    def __init__(self, suite: Suite, cache: Path, version: str) -> None:
        self.suite = suite
        self.cache = cache
        self.home = cache / suite.key
        self.source = self.home / "source"
        self.venv = self.home / f"venv-{version}"
        self.constraints = self.home / f"constraints-{version}.txt"
        self.marker = self.home / f"ready-{version}"
        self.log = self.home / f"setup-{version}.log"

    @property
    def python(self) -> Path:
        """The venv's interpreter."""
        return self.venv / "bin" / "python"

    def ready(self) -> bool:
        """Whether a complete venv for this install line is there to reuse."""
        if not (self.marker.exists() and self.python.exists()):
            return False
        recorded: list[str] = json.loads(self.marker.read_text())
        return recorded == list(self.suite.install)

    def _pip(self, *args: str, cwd: Path | None = None) -> str:
        command = [str(self.python), "-m", "pip", *args]
        with self.log.open("a", encoding="utf-8") as log:
            log.write(f"\n$ {' '.join(command)}\n")
            log.flush()
            done = subprocess.run(
                command,
                cwd=cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
            )
            log.write(done.stdout)
        if done.returncode:
            raise SetupError(
                f"{self.suite.key}: pip {' '.join(args[:2])} failed "
                f"(status {done.returncode}); see {self.log}"
            )
        return done.stdout

    def build(self, python: str) -> None:
        """Download, unpack and install the suite, unless it is ready."""
        if self.ready():
            return
        self.home.mkdir(parents=True, exist_ok=True)
        self.log.write_text("")
        self._unpack(self._download(python))
        if self.venv.exists():
            shutil.rmtree(self.venv)
        subprocess.run([python, "-m", "venv", str(self.venv)], check=True)
        pinned = ["-c", str(self.constraints)] if self.constraints.exists() else []
        self._pip("install", *pinned, *self.suite.install, cwd=self.source)
        # mockpool's own dependencies belong in the pins as well.
        self._pip("install", *pinned, str(checkout_copy(self.cache)))
        if not self.constraints.exists():
            frozen = self._pip("freeze", "--exclude-editable")
            self.constraints.write_text(_pins(frozen, self.suite.name))
        self.marker.write_text(json.dumps(list(self.suite.install)))

    def _download(self, python: str) -> Path:
        downloads = self.cache / "downloads"
        downloads.mkdir(parents=True, exist_ok=True)
        wanted = f"{self.suite.name}=={self.suite.version}"
        found = _sdist(downloads, self.suite)
        if found is None:
            subprocess.run(
                [
                    python,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-binary",
                    ":all:",
                    "--no-deps",
                    "-d",
                    str(downloads),
                    wanted,
                ],
                check=False,
            )
            found = _sdist(downloads, self.suite)
        if found is None:
            raise SetupError(f"pip download of the sdist of {wanted} failed")
        return found

    def _unpack(self, archive: Path) -> None:
        if self.source.exists():
            shutil.rmtree(self.source)
        staging = self.home / "unpacking"
        if staging.exists():
            shutil.rmtree(staging)
        if archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as opened:
                opened.extractall(staging)
        else:
            with tarfile.open(archive) as opened:
                if hasattr(tarfile, "data_filter"):  # 3.12, and 3.11.4 on
                    opened.extractall(staging, filter="data")
                else:
                    opened.extractall(staging)
        # An sdist holds one top directory, NAME-VERSION/.
        (top,) = staging.iterdir()
        top.rename(self.source)
        staging.rmdir()

    def install_mockpool(self) -> None:
        """Reinstall mockpool from the checkout, as it is now, and
        record.py's hook as it is now."""
        self._pip(
            "install",
            "-q",
            "--force-reinstall",
            "--no-deps",
            str(checkout_copy(self.cache)),
        )
        found = subprocess.run(
            [
                str(self.python),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        record.install_hook(found.stdout.strip())


def _sdist(downloads: Path, suite: Suite) -> Path | None:
    # pip names the file after the project as its sdist spells it: dashes
    # or underscores, any case.
    stem = suite.key.lower().replace("-", "_")
    for path in sorted(downloads.iterdir()):
        name = path.name.lower().replace("-", "_")
        if name.startswith(stem + ".") and name.endswith((".tar.gz", ".zip")):
            return path
    return None


def _pins(frozen: str, project: str) -> str:
    """``pip freeze`` output as constraints: versions only.

    The suite itself and mockpool are left out (both are installed from a
    directory, and a constraint cannot name a directory), as is anything
    else installed from a URL.
    """
    skip = {project.lower().replace("_", "-"), "mockpool"}
    lines = [
        line
        for line in frozen.splitlines()
        if "==" in line
        and " @ " not in line
        and line.split("==")[0].lower().replace("_", "-") not in skip
    ]
    return "\n".join(lines) + "\n"


_copied: dict[Path, Path] = {}


def checkout_copy(cache: Path) -> Path:
    """A copy of the checkout's installable files, made once per process.

    pip builds a project in its own directory; building a copy keeps the
    ``build/`` directory it leaves out of the checkout others work in. Each
    process has its own copy (removed at exit), so two benchmarks sharing a
    cache never build from a half-written one.
    """
    if cache in _copied:
        return _copied[cache]
    cache.mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix="mockpool-checkout-", dir=cache))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in _CHECKOUT_PARTS:
        source = CHECKOUT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=ignore)
        else:
            shutil.copy2(source, target / part)
    _copied[cache] = target
    return target


def setup_all(suites: list[Suite], cache: Path, python: str) -> None:
    """Build every suite's venv: ``python environments.py NAME...`` does it."""
    version = python_version(python)
    for suite in suites:
        environment = Environment(suite, cache, version)
        print(f"setting up {suite.key} in {environment.home}", flush=True)
        environment.build(python)


if __name__ == "__main__":
    from suites import by_name

    setup_all([by_name(name) for name in sys.argv[1:]], default_cache(), "python3.11")
