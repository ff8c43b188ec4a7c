"""Suite-wide machinery: the whole quick builds that tests read (minutes of TensorFlow tracing, mostly on one core) run
in a child process in the background from the end of collection, one after another in the order the tests need them,
so that they use the second core while the tests before them run on the first. Each is tests/background_builds.py
NAME (the report, then its notebook, executed without reportgen), read through the fixture NAME_quick_build; a build
no collected test reads is not run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from background_builds import BUILDS

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
WAIT_S = 1800  # the longest a test waits for its build once it asks (pw12 --quick alone takes about 5 minutes on two cores)
NICE = 10  # below the tests in the foreground, some of which time themselves: the builds take the CPU those leave


class BackgroundBuild:
    """`python background_builds.py NAME FOLDER` at a lower priority, its output in FOLDER/build.log."""

    def __init__(self, name: str, folder: Path, environ: dict[str, str]) -> None:
        self.name, self.folder, self.log, self.environ = name, folder, folder / "build.log", environ
        self.process: subprocess.Popen | None = None
        self.seconds: float | None = None  # how long it ran
        self.waited: float | None = None  # how long the first test that asked for it waited
        self.done = threading.Event()

    def run(self) -> None:
        nice = shutil.which("nice")
        command = [*([nice, "-n", str(NICE)] if nice else []), sys.executable, str(TESTS / "background_builds.py"), self.name, str(self.folder)]
        path = os.pathsep.join([str(ROOT), str(TESTS), *([self.environ["PYTHONPATH"]] if self.environ.get("PYTHONPATH") else [])])
        started = time.monotonic()
        try:
            with self.log.open("wb") as log:
                self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
                                                env={**self.environ, "PYTHONPATH": path}, start_new_session=True)
            self.process.wait()
        finally:
            self.seconds = time.monotonic() - started
            self.done.set()

    def result(self) -> Path:
        """The folder once the build has succeeded; the test that asked fails with the end of the log otherwise."""
        asked = time.monotonic()
        finished = self.done.wait(WAIT_S)
        if self.waited is None:
            self.waited = time.monotonic() - asked
        if not finished:
            self.stop()
            pytest.fail(f"{self.name} --quick: not done after {WAIT_S} s; the end of {self.log}:\n{self.tail()}", pytrace=False)
        code = self.process.returncode if self.process else None
        if code != 0:
            pytest.fail(f"{self.name} --quick exited with {code}; the end of {self.log}:\n{self.tail()}", pytrace=False)
        return self.folder

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else "(no output)"

    def stop(self) -> None:
        """End the build, its own process group, if it is still running."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()


class Builds:
    """The builds of a session, run one at a time by a thread, in the order given."""

    def __init__(self, factory: pytest.TempPathFactory, names: list[str]) -> None:
        from reportgen.run.seal import local_signer

        local_signer()  # this machine's cache key is made now, once, not raced for by a build and a test in the foreground
        self.factory = factory
        # The environment as the session started, before any test set a variable of its own (monkeypatch.setenv of
        # REPORTGEN_KEY, say): a build started while such a test runs must not take it.
        self.environ = dict(os.environ)
        self.builds = {name: BackgroundBuild(name, factory.mktemp(name), self.environ) for name in names}
        self.stopped = False
        self.thread = threading.Thread(target=self._run, name="background builds", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for build in list(self.builds.values()):
            if self.stopped:
                build.done.set()
                continue
            build.run()

    def result(self, name: str) -> Path:
        if name not in self.builds:  # asked for by no collected test (request.getfixturevalue): built now, in the foreground
            self.builds[name] = BackgroundBuild(name, self.factory.mktemp(name), dict(os.environ))
            self.builds[name].run()
        return self.builds[name].result()

    def stop(self) -> None:
        self.stopped = True
        for build in self.builds.values():
            build.stop()


_BUILDS = pytest.StashKey[Builds]()


def _fixture(name: str) -> str:
    return f"{name.replace('-', '_')}_quick_build"


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    first_use: dict[str, int] = {}
    for index, item in enumerate(session.items):
        for name in BUILDS:
            if _fixture(name) in getattr(item, "fixturenames", ()):
                first_use.setdefault(name, index)
    session.config.stash[_BUILDS] = Builds(session.config._tmp_path_factory, sorted(first_use, key=first_use.get))


def _result(request: pytest.FixtureRequest, name: str) -> Path:
    builds = request.config.stash.get(_BUILDS, None)
    if builds is None:
        builds = request.config.stash[_BUILDS] = Builds(request.config._tmp_path_factory, [])
    return builds.result(name)


@pytest.fixture(scope="session")
def demo_quick_build(request: pytest.FixtureRequest) -> Path:
    """`reportgen report demo --quick` in FOLDER/out, FOLDER/cache."""
    return _result(request, "demo")


@pytest.fixture(scope="session")
def pw04_quick_build(request: pytest.FixtureRequest) -> Path:
    """`reportgen report pw04 --quick` on a tiny CIFAR-10 archive in FOLDER/data (background_builds.cifar_environment)."""
    return _result(request, "pw04")


@pytest.fixture(scope="session")
def pw09_quick_build(request: pytest.FixtureRequest) -> Path:
    """`reportgen report pw09 --quick` on a tiny CIFAR-10 archive in FOLDER/data (background_builds.cifar_environment)."""
    return _result(request, "pw09")


@pytest.fixture(scope="session")
def pw12_quick_build(request: pytest.FixtureRequest) -> Path:
    """`reportgen report pw12 --quick` offline (background_builds.pw12): FOLDER/data, out, cache, keras, decoded."""
    return _result(request, "pw12")


@pytest.fixture(scope="session")
def sat_pa3_quick_build(request: pytest.FixtureRequest) -> Path:
    """`reportgen report sat-pa3 --quick` on tiny MNIST and Fashion-MNIST idx folders (background_builds.mnist_environment)."""
    return _result(request, "sat-pa3")


@pytest.fixture(scope="session")
def i2dl_ex8_quick_build(request: pytest.FixtureRequest) -> Path:
    """`reportgen report i2dl-ex8 --quick` on a tiny MNIST idx folder (background_builds.mnist_environment)."""
    return _result(request, "i2dl-ex8")


def pytest_sessionfinish(session: pytest.Session) -> None:
    builds = session.config.stash.get(_BUILDS, None)
    if builds is not None:
        builds.stop()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    builds = config.stash.get(_BUILDS, None)
    for build in builds.builds.values() if builds else ():
        if build.waited is not None and build.seconds is not None:
            terminalreporter.write_line(f"background build {build.name} --quick: ran {build.seconds:.0f} s; "
                                        f"the first test that read it waited {build.waited:.0f} s")
