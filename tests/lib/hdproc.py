"""hdproc -- process and file helpers shared by the test harnesses
(hdtest's Dovecot, thunderbird, neomutt, pgserver). Python 3 standard
library only."""

import os
import signal
import socket
import threading
import time


def install_sigterm():
    """Turn SIGTERM/SIGHUP into SystemExit, so that the harnesses' atexit
    handlers stop what they started (Dovecot, Xvfb, Thunderbird, tmux)
    when a test run is killed. Only the main thread can; a handler set by
    the test itself is kept."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(sig) == signal.SIG_DFL:
                signal.signal(sig, _raise_exit)
        except (ValueError, OSError):
            pass


def _raise_exit(signum, frame):
    raise SystemExit(128 + signum)


def free_port(host="127.0.0.1"):
    """A TCP port on host that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def pid_alive(pid):
    """True while pid exists and is not a zombie (PID 1 may not reap)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Poll predicate() until it returns a true value; return that value.
    Raises TimeoutError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def poll(predicate, timeout=15.0, interval=0.2):
    """Poll predicate() until it returns a true value or timeout seconds
    pass; return its last value (no exception: the caller's check reports
    it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(interval)
    return predicate()


def read_text(path, since=0):
    """A log file's text from byte offset since ("" while it is
    missing)."""
    try:
        with open(path, "rb") as f:
            f.seek(since)
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def file_size(path):
    """A log file's size now (0 while it is missing): a mark to pass as
    since= to read_text()."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
