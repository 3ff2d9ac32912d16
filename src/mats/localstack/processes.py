"""Child processes of the local stack: start, stop as a whole tree, and never leave orphans.

Every child leads its own process group, so everything it forks (gunicorn's workers) can be
stopped with it, even after the leader itself died. Every child also carries the stack's state
directory in ``MATS_STACK_STATE_DIR``: processes of a stack that was killed outright can be
found by it and stopped by the next ``mats up`` or ``mats down``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

STATE_DIR_MARKER = "MATS_STACK_STATE_DIR"
_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> Callable[[], None]:
    def prepare() -> None:
        """Ask Linux to SIGTERM this child when the stack process dies without cleaning up."""
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            os._exit(1)  # The stack died before the request took effect: nobody would stop us.

    return prepare


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    log_path: Path
    cwd: Path | None = None
    stop_timeout: float = 5.0  # From SIGTERM to SIGKILL.
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        """Start the process; call from the main thread (the parent-death signal follows it)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - argv is built by the stack itself.
                list(self.argv),
                cwd=self.cwd,
                env=dict(self.env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own session and process group: Ctrl-C reaches only the stack, which stops
                # children in order, and a child's whole tree can be signalled at once.
                start_new_session=True,
                preexec_fn=_die_with(os.getpid()),  # noqa: PLW1509 - no lock is taken in it.
            )

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_description(self) -> str:
        code = self.process.poll() if self.process is not None else None
        if code is None:
            return "running"
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}"

    def stop(self, timeout: float | None = None) -> None:
        """SIGTERM the process group, SIGKILL whatever is left after ``timeout``
        (default: the child's ``stop_timeout``)."""
        if self.process is None:
            return
        if timeout is None:
            timeout = self.stop_timeout
        group = self.process.pid
        if self.process.poll() is None:
            _signal_group(group, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(group, signal.SIGKILL)
                self.process.wait(timeout)
        deadline = time.monotonic() + timeout
        while group_members(group) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.kill_group()

    def kill_group(self) -> None:
        """SIGKILL every process left in the child's group (a dead leader's workers)."""
        if self.process is not None:
            _signal_group(self.process.pid, signal.SIGKILL)

    def listens_on(self, port: int) -> bool:
        """Whether a process of this child's group holds the listening socket on ``port``.

        Without /proc (not Linux) this cannot be told, and the answer is yes.
        """
        if self.process is None:
            return False
        inodes = listening_sockets(port)
        if inodes is None:
            return True
        wanted = {f"socket:[{inode}]" for inode in inodes}
        return any(_holds(pid, wanted) for pid in group_members(self.process.pid))

    def log(self, line: str) -> None:
        """Append a line of the supervisor's own to the child's log."""
        with self.log_path.open("a") as log:
            log.write(line + "\n")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def _signal_group(group: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


def _processes() -> Iterator[tuple[int, str]]:
    """Every process as (pid, the part of /proc/PID/stat after the command name)."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        yield int(entry.name), stat.rsplit(")", 1)[1]


def group_members(group: int) -> list[int]:
    """Living processes in process group ``group`` (zombies excluded)."""
    members = []
    for pid, rest in _processes():
        fields = rest.split()
        if fields[0] != "Z" and int(fields[2]) == group:
            members.append(pid)
    return members


def stack_processes(state_dir: Path) -> list[int]:
    """Living processes started for the stack of ``state_dir`` (by their environment)."""
    marker = f"{STATE_DIR_MARKER}={state_dir.resolve()}".encode()
    found = []
    for pid, rest in _processes():
        if pid == os.getpid() or rest.split()[0] == "Z":
            continue
        try:
            environment = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if marker in environment.split(b"\0"):
            found.append(pid)
    return found


def kill_stack_processes(state_dir: Path) -> list[int]:
    """SIGKILL what is left of a stack whose supervisor died; return the pids signalled."""
    pids = stack_processes(state_dir)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return pids


def listening_sockets(port: int) -> set[str] | None:
    """Inodes of loopback/any-address sockets listening on ``port``; ``None`` without /proc."""
    inodes: set[str] = set()
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        return None
    for table in tables:
        with contextlib.suppress(OSError):
            for line in table.read_text().splitlines()[1:]:
                fields = line.split()
                listening = fields[3] == "0A"
                if listening and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    return inodes


def _holds(pid: int, sockets: set[str]) -> bool:
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{descriptor}") in sockets:
                return True
    return False


def python_tool(name: str) -> str:
    """Return the path of a console script installed beside the running interpreter."""
    return str(Path(sys.executable).parent / name)


def inherited_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env["PYTHONUNBUFFERED"] = "1"
    return env
