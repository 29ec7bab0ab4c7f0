"""`bulletin daemon`: a warm build service for `bulletin build`.

A fresh `bulletin build` spends most of its time before and around typesetting: starting Python,
importing WeasyPrint and the rest, loading the fonts, parsing the layout. The daemon does that
once and keeps it: it listens on a Unix socket, and for each `bulletin build` it forks a child
from its warm state that runs exactly the command line the user typed — same code, same checks,
same messages on the user's own terminal (the client passes its stdin, stdout and stderr), same
exit code, the same bytes. When no daemon runs (or it cannot be reached, or it runs older code)
`bulletin build` does what it always did.

Access: the socket is in a folder only the user can enter (0700: $XDG_RUNTIME_DIR/bulletin, or
$TMPDIR/bulletin-daemon-<uid>), the socket itself is 0600, and the daemon also checks the peer's
user id (SO_PEERCRED) before doing anything: only the user who started it can use it.

After serving a single-issue build the daemon renders that issue once itself (nothing written),
so the next build of it finds the font subsets, templates and layout already made.

    bulletin daemon start | stop | status
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

from .client import SOCKET, Unsafe, code_stamp, connect, run_build  # noqa: F401 - run_build: the client, for callers
from .client import own_dir as _own_dir_name

BUILD_COMMANDS = ("build",)


def _own_dir(create: bool) -> Path | None:
    folder = _own_dir_name(create)
    return Path(folder) if folder is not None else None


def _lines(sock: socket.socket):
    buffer = b""
    while True:
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield json.loads(line)
        chunk = sock.recv(65536)
        if not chunk:
            return
        buffer += chunk


def ask(op: str, timeout: float = 5.0) -> dict | None:
    """status / stop: the daemon's answer, None when none runs."""
    sock = connect(timeout)
    if sock is None:
        return None
    try:
        sock.sendall(repr({"op": op}).encode() + b"\n")
        return next(_lines(sock), None)
    except (OSError, ValueError):
        return None
    finally:
        sock.close()


def start(wait: float = 60.0) -> dict | None:
    """Start the daemon in the background unless one runs; its status once it answers."""
    status = ask("status")
    if status is not None:
        return status
    _own_dir(create=True)
    import subprocess

    with open(os.devnull, "rb") as null_in, open(os.devnull, "wb") as null_out:
        subprocess.Popen([sys.executable, "-m", "bulletin.run.daemon_process"], stdin=null_in, stdout=null_out, stderr=null_out,
                         start_new_session=True, close_fds=True, cwd="/")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(0.1)
        status = ask("status")
        if status is not None:
            return status
    return None


def stop(wait: float = 10.0) -> bool:
    """Ask the daemon to end; True if one was running."""
    answer = ask("stop")
    if answer is None:
        return False
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and ask("status", 1.0) is not None:
        time.sleep(0.05)
    return True


# ---------------------------------------------------------------------------- the daemon

WARM_SERIES = "name: 预热简报\npublisher: 预热单位\n"
WARM_ISSUE = ("---\nnumber: 1\ndate: 2024-01-15\n---\n\n# 工作动态\n\n## 预热文章标题\n\n"
              "这是一段用于预热的正文，包含数字2024、英文Word和标点：“引号”、（括号）、顿号、句号。\n")


def _warm() -> None:
    """Import and load everything a build needs, and render a small issue once."""
    from .. import api, batch  # noqa: F401 - imported for the children (daemon_process.py imported the CLI)
    from ..typeset.speedups import settle

    batch.tool_digest()  # kept for the children (their batch manifest's key)

    with tempfile.TemporaryDirectory(prefix="bulletin-warm-") as tmp:
        series = Path(tmp) / "warm"
        issue = series / "2024-01"
        issue.mkdir(parents=True)
        (series / "series.yaml").write_text(WARM_SERIES, encoding="utf-8")
        (issue / "issue.md").write_text(WARM_ISSUE, encoding="utf-8")
        try:
            api.render(issue)
        except Exception:  # noqa: BLE001 - warming is best effort; builds report their own problems
            pass
    settle()


def one_issue(argv: list[str], cwd: str) -> Path | None:
    """The issue folder of a `build` command line naming exactly one, else None."""
    from .commandline import single_issue

    folder = single_issue(argv[1:], cwd)
    return Path(folder) if folder is not None else None


_absorbed: dict[str, tuple] = {}  # issue folder → the state of its files when last absorbed
_last_issue: list[Path | None] = [None]  # the issue of the last one-issue build (the spare renders it)


def _files_state(folder: Path) -> tuple:
    """Names, sizes and times of the files a render of `folder` reads directly (the issue's own
    files and its series.yaml): a cheap sign that the issue changed since it was absorbed."""
    state = []
    for parent in (folder, folder.parent):
        try:
            with os.scandir(parent) as entries:
                for entry in entries:
                    if entry.is_file() and (parent == folder or entry.name == "series.yaml"):
                        st = entry.stat()
                        state.append((str(parent == folder), entry.name, st.st_size, st.st_mtime_ns))
        except OSError:
            pass
    return tuple(sorted(state))


def _absorb(argv: list[str], cwd: str) -> bool:
    """After a one-issue build: render that issue here too (nothing written), so the next build
    of it, forked from this process, starts with its font subsets and layout made. Only when the
    issue is new to the daemon or changed since: rendering it again would learn nothing and keep
    the next build waiting (the loop forks no child while it renders)."""
    folder = one_issue(argv, cwd)
    if folder is None:
        return False
    _last_issue[0] = folder
    key, state = os.path.realpath(folder), _files_state(folder)
    if _absorbed.get(key) == state:
        return False
    if len(_absorbed) > 256:
        _absorbed.clear()
    _absorbed[key] = state
    from .. import api

    try:
        api.render(folder)
    except Exception:  # noqa: BLE001 - the build itself reported whatever is wrong
        pass
    return True


def _request(data: bytes) -> dict:
    """A request as the client wrote it (client.py: a Python literal of plain values)."""
    import ast

    request = ast.literal_eval(data.decode("utf-8", "surrogateescape").strip())
    if not isinstance(request, dict):
        raise ValueError("not a request")
    return request


def _peer_uid(conn: socket.socket) -> int | None:
    try:
        import struct

        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return struct.unpack("3i", creds)[1]
    except (AttributeError, OSError):
        return None


def _child(conn: socket.socket, listener: socket.socket, others: list[socket.socket], request: dict,
           fds: list[int], run_command) -> None:  # pragma: no cover - forked
    """Run the command line as the client's own process would."""
    code = 1
    try:
        for sock in (listener, conn, *others):
            sock.close()
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        code = run_command(request["argv"])  # the CLI, given by daemon_process.py
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            from .. import scratch

            scratch.cleanup()  # this child's own folder, not the daemon's
            os._exit(code)


class Spare:
    """A child forked ahead of the next build. A child's first render after the fork is ~40 ms
    slower than the daemon's own (every page of the warm state it writes to — reference counts —
    is copied then); the spare renders the last built issue once before any build asks for it,
    nothing written, so those copies are made while nobody waits. It then says `ready` on its
    control socket and waits there for a build: the request and the client's terminal (three
    file descriptors), then runs it exactly as a freshly forked child would (_child)."""

    def __init__(self, pid: int, control: socket.socket):
        self.pid, self.control, self.ready = pid, control, False

    def hand_over(self, data: bytes, fds: list[int]) -> bool:
        try:
            socket.send_fds(self.control, [data], fds)
            return True
        except OSError:
            return False

    def close(self, kill: bool) -> None:
        self.control.close()
        if kill:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass


def _fork_spare(listener: socket.socket, others: list[socket.socket], run_command) -> Spare | None:
    try:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    except OSError:
        return None
    pid = os.fork()
    if pid == 0:  # pragma: no cover - forked
        signal.set_wakeup_fd(-1)
        code = 1
        try:
            for sock in (listener, ours, *others):
                sock.close()
            _spare(theirs, listener, run_command)
        finally:
            os._exit(code)
    theirs.close()
    ours.setblocking(False)
    return Spare(pid, ours)


def _spare(control: socket.socket, listener: socket.socket, run_command) -> None:  # pragma: no cover - forked
    import gc

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    folder = _last_issue[0]
    if folder is not None:
        from .. import api

        try:
            api.render(folder)  # the copies of the warm state's pages are made now, not during the build
        except Exception:  # noqa: BLE001 - warming is best effort
            pass
        gc.collect()
    control.sendall(b"ready\n")
    control.settimeout(None)
    try:
        data, fds, _flags, _addr = socket.recv_fds(control, 1 << 20, 3)
        while data and not data.endswith(b"\n"):
            more = control.recv(1 << 20)
            if not more:
                break
            data += more
        request = _request(data) if data else None
    except (OSError, ValueError, SyntaxError, MemoryError, RecursionError):
        request = None
    if request is None or len(fds) != 3:
        os._exit(0)  # the daemon ended (or sent nothing usable): nothing to run
    _child(control, listener, [], request, fds, run_command)


def _alive(pid: int | None) -> bool:
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def serve(run_command, parent: int | None = None) -> None:  # pragma: no cover - the daemon process (tested through the client)
    """The daemon's loop; with `parent` (a companion's starter) it ends when that process is gone.
    `run_command(argv) -> exit code` runs a command line in a forked child (daemon_process.py
    gives the CLI's: this module does not import the CLI, which imports it)."""
    import select

    folder = _own_dir(create=True)
    path = folder / SOCKET
    if ask("status", 1.0) is not None:
        return  # one runs already
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    stamp = code_stamp()
    _warm()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(str(path))
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    listener.listen(16)
    started, builds = time.time(), 0
    children: dict[int, tuple[socket.socket, list[str], str]] = {}
    spare: Spare | None = None
    running = True
    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(SystemExit(0)))
    # a build that ends wakes the loop at once (SIGCHLD through a wake-up socket), not at the next poll
    wake_r, wake_w = socket.socketpair()
    wake_r.setblocking(False)
    wake_w.setblocking(False)
    signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda *a: None)
    try:
        while running or children:
            if running and spare is None and not children:  # the next build's child, prepared meanwhile
                spare = _fork_spare(listener, [wake_r, wake_w], run_command)
            watched = [listener, wake_r] if running else [wake_r]
            watched += [conn for conn, _argv, _cwd in children.values()]
            if spare is not None and not spare.ready:
                watched.append(spare.control)
            readable, _, _ = select.select(watched, [], [], 1.0)
            if spare is not None and spare.control in readable:
                try:
                    spare.ready = spare.control.recv(16) == b"ready\n"
                except OSError:
                    spare.ready = False
                if not spare.ready:  # gone before it was ready
                    spare.close(kill=True)
                    spare = None
            if running and not _alive(parent):
                running = False  # the editor or watcher that started it is gone (even if killed)
            for conn in readable:
                if conn is wake_r:
                    try:
                        while wake_r.recv(4096):
                            pass
                    except OSError:
                        pass
                    continue
                if conn is listener:
                    continue
                for pid, (child_conn, _argv, _cwd) in list(children.items()):
                    if child_conn is conn:  # the client went away (killed): end its build
                        try:
                            if not conn.recv(1, socket.MSG_PEEK):
                                os.kill(pid, signal.SIGTERM)
                        except OSError:
                            pass
            while True:  # builds that ended (and a spare that died)
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                if spare is not None and pid == spare.pid:
                    spare.close(kill=False)
                    spare = None
                    continue
                conn, argv, cwd = children.pop(pid, (None, None, None))
                if conn is None:
                    continue
                try:
                    conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
                except OSError:
                    pass
                conn.close()
                if not children:
                    if _absorb(argv, cwd) and spare is not None:
                        spare.close(kill=True)  # forked before this issue was absorbed: make another
                        spare = None
            if listener not in readable:
                continue
            conn, _ = listener.accept()
            if _peer_uid(conn) not in (None, os.getuid()):
                conn.close()
                continue
            conn.settimeout(5)
            try:
                data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
                while not data.endswith(b"\n"):
                    more = conn.recv(1 << 20)
                    if not more:
                        break
                    data += more
                request = _request(data)
            except (OSError, ValueError, SyntaxError, MemoryError, RecursionError):
                conn.close()
                continue
            op = request.get("op")
            if op == "status":
                rss = 0
                try:
                    with open("/proc/self/status") as fh:
                        rss = next(int(line.split()[1]) // 1024 for line in fh if line.startswith("VmRSS:"))
                except (OSError, StopIteration):
                    pass
                answer = {"pid": os.getpid(), "since": started, "builds": builds, "rss_mb": rss, "stamp": stamp,
                          "socket": str(path), "spare": None if spare is None else ("ready" if spare.ready else "warming"),
                          "spare_pid": None if spare is None else spare.pid}
                conn.sendall(json.dumps(answer).encode() + b"\n")
                conn.close()
            elif op == "stop":
                conn.sendall(json.dumps({"stopping": True}).encode() + b"\n")
                conn.close()
                running = False
            elif op == "build" and request.get("stamp") == stamp and len(fds) == 3 \
                    and request.get("argv", [None])[0] in BUILD_COMMANDS:
                pid = None
                if spare is not None and spare.ready:  # the prepared child runs it
                    handed = spare.hand_over(data, fds)
                    pid = spare.pid if handed else None
                    spare.close(kill=not handed)
                    spare = None
                if pid is None:
                    pid = os.fork()
                    if pid == 0:
                        signal.set_wakeup_fd(-1)
                        others = [wake_r, wake_w, *(c for c, _a, _w in children.values())]
                        if spare is not None:
                            others.append(spare.control)
                        _child(conn, listener, others, request, fds, run_command)
                for fd in fds:
                    os.close(fd)
                conn.settimeout(None)
                conn.sendall(f"pid {pid}\n".encode())
                children[pid] = (conn, request["argv"], request["cwd"])
                builds += 1
            else:
                stale = op == "build" and request.get("stamp") != stamp
                for fd in fds:
                    os.close(fd)
                conn.sendall(b"stale\n" if stale else b"refused\n")
                conn.close()
                if stale:
                    running = False  # bulletin was updated: the next `daemon start` runs the new code
    finally:
        listener.close()
        if spare is not None:
            spare.close(kill=True)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        from ..typeset import release_fonts

        release_fonts()




class companion:
    """`with daemon.companion():` — a daemon for the time of a long-running command (`serve`,
    `preview --watch`): started in the background if none runs, stopped afterwards if this
    command started it. Never in the way: any failure just means no daemon."""

    def __enter__(self):
        self.started = False
        if os.environ.get("BULLETIN_NO_DAEMON"):
            return self
        try:
            if ask("status", 1.0) is None:
                _own_dir(create=True)
                import subprocess

                with open(os.devnull, "rb") as null_in, open(os.devnull, "wb") as null_out:
                    subprocess.Popen([sys.executable, "-m", "bulletin.run.daemon_process", "--parent", str(os.getpid())],
                                     stdin=null_in, stdout=null_out, stderr=null_out, start_new_session=True,
                                     close_fds=True, cwd="/")
                self.started = True
        except (OSError, Unsafe):
            pass
        return self

    def __exit__(self, *exc):
        if self.started:
            try:
                stop()
            except OSError:
                pass
        return False


