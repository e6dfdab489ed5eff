"""The desktop notifier under test: the recording notification daemon
(python3-dbusmock's notification_daemon template) on the private session
bus, and helpdesk-notifier runs with their own config and state. Used by
tests/notifier/test_notifier.py and bench/bench-notifier.py; both run
inside dbus-run-session (run_on_private_bus)."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# the Debian interpreter: it has python3-dbus for the mock daemon
SYSTEM_PYTHON = "/usr/bin/python3"
NOTIFY_IFACE = "org.freedesktop.Notifications"
MOCK_IFACE = "org.freedesktop.DBus.Mock"
VALGRIND = bool(os.environ.get("HD_VALGRIND"))
# under valgrind everything the notifier does takes many times longer
K = 8 if VALGRIND else 1


def run_on_private_bus(script):
    """Outside the private bus: run script again inside dbus-run-session
    with the system interpreter and return its exit code; None when
    already inside (go on)."""
    if os.environ.get("HD_NOTIFIER_BUS"):
        return None
    if shutil.which("dbus-run-session") is None:
        print("1..0 # SKIP dbus-run-session is not installed (dbus-daemon)")
        return 0
    env = dict(os.environ, HD_NOTIFIER_BUS="1")
    return subprocess.call(["dbus-run-session", "--", SYSTEM_PYTHON,
                            os.path.abspath(script)] + sys.argv[1:], env=env)


def binary():
    return os.environ.get("HD_NOTIFIER") or os.path.join(
        REPO, "desktop-notifier", "helpdesk-notifier")


class Daemon:
    """The recording notification daemon on the private session bus."""

    def __init__(self, tmp, caps="body actions body-markup"):
        import dbus
        self.dbus = dbus
        self.log = open(os.path.join(tmp, "mock-%s.log" % caps.replace(" ", "_")), "w")
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, "-m", "dbusmock", "--session", "--template",
             "notification_daemon", "-p", '{"capabilities": "%s"}' % caps],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.bus = dbus.SessionBus()
        deadline = time.time() + 20
        while not self.bus.name_has_owner(NOTIFY_IFACE):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the mock notification daemon did not start")
            time.sleep(0.05)
        self.obj = self.bus.get_object(NOTIFY_IFACE, "/org/freedesktop/Notifications")

    def calls(self):
        """Every Notify call so far: dicts with id (the id it returned, by
        the template's numbering), replaces, summary, body, actions (dict
        key -> label), hints, app."""
        out = []
        next_id = 1
        for _ts, method, args in self.obj.GetCalls(dbus_interface=MOCK_IFACE):
            if method != "Notify":
                continue
            replaces = int(args[1])
            if replaces:
                nid = replaces
            else:
                nid = next_id
                next_id += 1
            acts = [str(a) for a in args[5]]
            out.append({"id": nid, "replaces": replaces, "app": str(args[0]),
                        "summary": str(args[3]), "body": str(args[4]),
                        "actions": dict(zip(acts[0::2], acts[1::2])),
                        "hints": {str(k): (int(v) if isinstance(v, (self.dbus.Byte, int))
                                           else str(v)) for k, v in args[6].items()}})
        return out

    def wait(self, pred, timeout=10.0, since=0):
        """The first Notify call after the first since ones for which pred
        holds, or None after timeout seconds."""
        deadline = time.time() + timeout * K
        while True:
            for c in self.calls()[since:]:
                if pred(c):
                    return c
            if time.time() > deadline:
                return None
            time.sleep(0.05)

    def press(self, nid, action):
        self.obj.EmitSignal(NOTIFY_IFACE, "ActionInvoked", "us",
                            [self.dbus.UInt32(nid), action], dbus_interface=MOCK_IFACE)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Notifier:
    """helpdesk-notifier for one agent, with its own config and state."""

    def __init__(self, tmp, dc, user, extra=None, name=None):
        self.dir = os.path.join(tmp, name or user)
        os.makedirs(os.path.join(self.dir, "config"), exist_ok=True)
        self.config = os.path.join(self.dir, "config", "config")
        self.log_path = os.path.join(self.dir, "notifier.log")
        self.vg_log = os.path.join(self.dir, "valgrind.log")
        # the four lines an agent writes
        lines = ["[server]", "host = 127.0.0.1", "port = %d" % dc.imap_port,
                 "user = %s" % user, "password_command = echo pass",
                 "security = none"]
        notifications = ("open_command", "burst", "game_interval", "availability")
        for k, v in (extra or {}).items():
            if k not in notifications:
                lines.append("%s = %s" % (k, v))
        if any(k in notifications for k in (extra or {})):
            lines.append("[notifications]")
            lines += ["%s = %s" % (k, v) for k, v in extra.items() if k in notifications]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None
        self.env = dict(os.environ, XDG_STATE_HOME=os.path.join(self.dir, "state"),
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        G_DEBUG="gc-friendly", G_SLICE="always-malloc",
                        # hermetic: no desktop settings of whoever runs it
                        GSETTINGS_BACKEND="memory")

    def argv(self, *args):
        cmd = [binary(), "--config", self.config] + list(args)
        if VALGRIND:
            cmd = ["valgrind", "-q", "--leak-check=full", "--show-leak-kinds=definite",
                   "--errors-for-leak-kinds=definite", "--error-exitcode=213",
                   "--num-callers=30", "--suppressions=" + os.path.join(
                       REPO, "tests", "notifier", "glib.supp"),
                   "--log-file=" + self.vg_log + ".%p"] + cmd
        return cmd

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.argv("--verbose"), stdout=self.log,
                                     stderr=subprocess.STDOUT, env=self.env)

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, count=1, timeout=20):
        deadline = time.time() + timeout * K
        while time.time() < deadline:
            if len(re.findall(pattern, self.text())) >= count:
                return True
            if self.proc is not None and self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def run(self, *args, timeout=60):
        return subprocess.run(self.argv(*args), capture_output=True, text=True,
                              env=self.env, timeout=timeout * K)

    def stop(self):
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(15 * K)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        self.log.close()
        return rc

    def valgrind_errors(self):
        out = []
        d = os.path.dirname(self.vg_log)
        for name in os.listdir(d):
            if name.startswith("valgrind.log."):
                with open(os.path.join(d, name), errors="replace") as f:
                    text = f.read().strip()
                if text:
                    out.append(text)
        return out


class FakeLogind:
    """A bus of its own standing in for the system bus, with
    python3-dbusmock's logind on it: the notifier (given
    DBUS_SYSTEM_BUS_ADDRESS=address) hears PrepareForSleep from it."""

    def __init__(self, tmp):
        import dbus
        self.dbus = dbus
        self.daemon = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.daemon.stdout.readline().strip()
        self.log = open(os.path.join(tmp, "logind-mock.log"), "w")
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        self.mock = subprocess.Popen(
            [SYSTEM_PYTHON, "-m", "dbusmock", "--system", "--template", "logind"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.bus = dbus.bus.BusConnection(self.address)
        deadline = time.time() + 20
        while not self.bus.name_has_owner("org.freedesktop.login1"):
            if time.time() > deadline or self.mock.poll() is not None:
                raise RuntimeError("the mock logind did not start")
            time.sleep(0.05)
        self.obj = self.bus.get_object("org.freedesktop.login1", "/org/freedesktop/login1")

    def sleep(self, going):
        """PrepareForSleep(going): True before suspend, False on resume."""
        self.obj.EmitSignal("org.freedesktop.login1.Manager", "PrepareForSleep", "b",
                            [self.dbus.Boolean(going)], dbus_interface=MOCK_IFACE)

    def stop(self):
        for p in (self.mock, self.daemon):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        self.log.close()


class Proxy:
    """A TCP proxy between the notifier and Dovecot whose forwarding can
    be cut without closing anything: a network that drops silently."""

    def __init__(self, target_port, host="127.0.0.1"):
        import socket
        import threading
        self.socket = socket
        self.threading = threading
        self.target = (host, target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.cut = threading.Event()
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = self.socket.create_connection(self.target)
            self.conns += [client, server]
            for a, b in ((client, server), (server, client)):
                self.threading.Thread(target=self._pump, args=(a, b, self.cut.is_set()),
                                      daemon=True).start()

    def _pump(self, src, dst, born_cut):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                try:
                    dst.shutdown(self.socket.SHUT_WR)
                except OSError:
                    pass
                return
            # a connection made before the cut is cut: its bytes vanish
            if self.cut.is_set() and not born_cut:
                continue
            try:
                dst.sendall(data)
            except OSError:
                return

    def blackhole(self):
        """From now on the open connections carry nothing (new ones do)."""
        self.cut.set()

    def close(self):
        self.listener.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
