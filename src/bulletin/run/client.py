"""The client side of `bulletin daemon` (daemon.py), as `bulletin build` runs it before anything
else: which folder and socket, which code, and handing a build over.

Every `bulletin build` passes through here first, so it imports only what the interpreter has
built in (`_socket`, `_signal`, `_blake2`, `os`): ~1 ms instead of the ~28 ms socket, json,
hashlib, pathlib, tempfile and signal took (the whole round trip through the daemon is ~0.5 s).
The build request is a Python literal (`repr`, read by the daemon with `ast.literal_eval`); the
daemon's answers about the build are words: `pid N`, `exit N`, `stale`, `refused`.
"""
from __future__ import annotations

import os
import sys

SOCKET = "daemon.sock"


class Unsafe(Exception):
    """The daemon's folder is not ours alone."""


def temporary_root() -> str:
    """Where the daemon's folder goes without $XDG_RUNTIME_DIR: $TMPDIR (or $TEMP, $TMP) if it is a
    folder, else /tmp — what tempfile.gettempdir() finds on Unix, without importing tempfile."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        value = os.environ.get(name)
        if value and os.path.isdir(value):
            return value
    return "/tmp"


def runtime_dir() -> str:
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base):
        try:
            if os.stat(base).st_uid == os.getuid():
                return os.path.join(base, "bulletin")
        except OSError:
            pass
    return os.path.join(temporary_root(), f"bulletin-daemon-{os.getuid()}")


def own_dir(create: bool) -> str | None:
    """The daemon's folder, made 0700 if asked; Unsafe if it exists but is not the user's alone."""
    import stat

    folder = runtime_dir()
    if create:
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise Unsafe(f"{folder}: not a folder of this user's alone (mode {oct(st.st_mode & 0o777)})")
    return folder


def socket_path() -> str:
    return os.path.join(runtime_dir(), SOCKET)


def code_stamp() -> str:
    """Which code the daemon runs: the bulletin package's files by name, size and time. A client
    whose stamp differs (bulletin was updated) does not use the daemon, and the daemon ends."""
    from _blake2 import blake2b

    root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    h = blake2b(digest_size=12)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".py", ".j2", ".html", ".css", ".yaml")):
                st = os.stat(os.path.join(dirpath, name))
                h.update(f"{os.path.relpath(os.path.join(dirpath, name), root)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def connect(timeout: float | None = 2.0):
    """A socket connected to the daemon, or None (none runs, or its folder is not safe)."""
    import _socket

    try:
        folder = own_dir(create=False)
    except Unsafe:
        return None
    if folder is None:
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(os.path.join(folder, SOCKET))
    except OSError:
        sock.close()
        return None
    return sock


def words(sock):
    """The daemon's answer lines, as lists of words."""
    buffer = b""
    while True:
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line.decode("ascii", "replace").split()
        chunk = sock.recv(65536)
        if not chunk:
            return
        buffer += chunk


def send_with_fds(sock, data: bytes, fds: list[int]) -> None:
    """socket.send_fds without the socket module: the data, and the file descriptors alongside."""
    import _socket
    import struct

    ancillary = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))]
    sent = sock.sendmsg([data], ancillary)
    if sent < len(data):
        sock.sendall(data[sent:])


def run_build(argv: list[str]) -> int | None:
    """Run `bulletin <argv>` in the daemon, on this process's terminal; its exit code, or None when
    the daemon cannot take it (none runs, other code, gone before starting) — then build here."""
    if os.environ.get("BULLETIN_NO_DAEMON"):
        return None
    sock = connect()
    if sock is None:
        return None
    import _signal

    env = dict(os.environ)  # the build runs as this process would: same environment
    request = {"op": "build", "argv": argv, "cwd": os.getcwd(), "env": env, "stamp": code_stamp()}
    child = None
    previous = {}

    def forward(signum, frame):
        if child:
            try:
                os.kill(child, signum)
            except OSError:
                pass

    try:
        sys.stdout.flush()
        sys.stderr.flush()
        send_with_fds(sock, repr(request).encode("utf-8", "surrogateescape") + b"\n", [0, 1, 2])
        sock.settimeout(None)
        for answer in words(sock):
            if answer[:1] == ["pid"] and len(answer) == 2:
                child = int(answer[1])
                for signum in (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP):
                    previous[signum] = _signal.signal(signum, forward)
            elif answer[:1] == ["exit"] and len(answer) == 2:
                code = int(answer[1])
                return code if code >= 0 else 128 - code
            elif answer[:1] in (["stale"], ["refused"]):
                return None
        return None if child is None else 1  # the daemon went away: before starting, build here
    except (OSError, ValueError):
        return None if child is None else 1
    finally:
        for signum, handler in previous.items():
            _signal.signal(signum, handler)
        sock.close()
