"""The classes the benchmarks autospec: real stdlib and third-party classes.

Chosen to span the sizes seen in real suites: small clients (a few dozen
methods), protocol classes with async methods, C types, and large framework
objects. Third-party classes are used when installed (``pip install
-e ".[bench]"``) and skipped, with a note, when not.
"""

from __future__ import annotations

import importlib
import inspect

#: "module:qualname" of every class in the corpus.
CORPUS = (
    "argparse:ArgumentParser",
    "asyncio:AbstractEventLoop",
    "asyncio:StreamWriter",
    "cmd:Cmd",
    "collections:OrderedDict",
    "concurrent.futures:ThreadPoolExecutor",
    "configparser:ConfigParser",
    "datetime:datetime",
    "decimal:Decimal",
    "difflib:SequenceMatcher",
    "email.message:EmailMessage",
    "ftplib:FTP",
    "http.client:HTTPConnection",
    "imaplib:IMAP4",
    "io:BytesIO",
    "json:JSONDecoder",
    "logging:Logger",
    "pathlib:Path",
    "poplib:POP3",
    "queue:Queue",
    "smtplib:SMTP",
    "socket:socket",
    "sqlite3:Connection",
    "subprocess:Popen",
    "tarfile:TarFile",
    "threading:Thread",
    "unittest:TestCase",
    "urllib.request:OpenerDirector",
    "xml.etree.ElementTree:Element",
    "zipfile:ZipFile",
    "flask:Flask",
    "jinja2:Environment",
    "requests:Session",
    "requests:Response",
    "werkzeug.wrappers:Request",
)


def load(names: tuple[str, ...] = CORPUS) -> tuple[list[type], list[str]]:
    """Import the corpus; return the classes and the names that failed."""
    classes: list[type] = []
    missing: list[str] = []
    for name in names:
        module_name, _, qualname = name.partition(":")
        try:
            target: object = importlib.import_module(module_name)
            for part in qualname.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError):
            missing.append(name)
            continue
        assert isinstance(target, type), name
        classes.append(target)
    return classes, missing


def method_names(cls: type) -> list[str]:
    """The methods a test could call on an instance, sorted.

    Every routine that is not a dunder: Python functions (which
    create_autospec turns into method children) and C methods (which it
    autospecs on first access). Both benchmarks touch these.
    """
    names = []
    for name in dir(cls):
        if name.startswith("__") and name.endswith("__"):
            continue
        try:
            value = getattr(cls, name)
        except AttributeError:
            continue
        if inspect.isroutine(value):
            names.append(name)
    return names
