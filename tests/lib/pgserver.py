"""A private PostgreSQL server for tests: initdb into a temp dir, listen
only on a Unix socket in that dir (trust auth), stop on exit."""

import atexit
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time


def _bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    return dirs[-1] if dirs else None


def available():
    return _bindir() is not None and _pg_user() is not None


def _pg_user():
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


class PgServer:
    def __init__(self, port=55432):
        self.bindir = _bindir()
        self.root = tempfile.mkdtemp(prefix="hdpg-")
        self.data = os.path.join(self.root, "data")
        self.sock = os.path.join(self.root, "sock")
        self.port = port
        self.user = "postgres"
        pw = _pg_user()
        os.makedirs(self.sock)
        os.chown(self.root, pw.pw_uid, pw.pw_gid)
        os.chown(self.sock, pw.pw_uid, pw.pw_gid)
        # the mail processes (uid nobody) connect through this socket
        os.chmod(self.root, 0o755)
        os.chmod(self.sock, 0o777)
        self._uid, self._gid = pw.pw_uid, pw.pw_gid
        self.running = False

    def _as_pg(self, args, **kw):
        def demote():
            os.setgid(self._gid)
            os.setuid(self._uid)
        return subprocess.run(args, preexec_fn=demote, capture_output=True,
                              text=True, cwd=self.root, **kw)

    def start(self):
        r = self._as_pg([os.path.join(self.bindir, "initdb"), "-D", self.data,
                         "--auth=trust", "-U", self.user, "-E", "UTF8",
                         "--locale=C"])
        if r.returncode != 0:
            raise RuntimeError("initdb failed: " + r.stderr)
        self.start_server()
        atexit.register(self.stop)
        return self

    def start_server(self):
        opts = "-c listen_addresses='' -k %s -p %d -c fsync=off" % (
            self.sock, self.port)
        r = self._as_pg([os.path.join(self.bindir, "pg_ctl"), "-D", self.data,
                         "-o", opts, "-l", os.path.join(self.root, "pg.log"),
                         "-w", "start"])
        if r.returncode != 0:
            raise RuntimeError("pg_ctl start failed: " + r.stderr +
                               self.logtail())
        self.running = True

    def stop_server(self):
        if self.running:
            self._as_pg([os.path.join(self.bindir, "pg_ctl"), "-D", self.data,
                         "-m", "fast", "-w", "stop"])
            self.running = False

    def logtail(self):
        try:
            with open(os.path.join(self.root, "pg.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def createdb(self, name):
        r = self.psql("CREATE DATABASE %s" % name, db="postgres")
        return r

    def psql(self, sql, db="postgres", tuples_only=True, sep=None, null=None,
             record_sep=None):
        args = [os.path.join(self.bindir, "psql"), "-h", self.sock,
                "-p", str(self.port), "-U", self.user, "-d", db,
                "-A", "-v", "ON_ERROR_STOP=1"]
        if tuples_only:
            args.append("-t")
        if sep is not None:
            args += ["-F", sep]
        if null is not None:
            args += ["-P", "null=" + null]
        if record_sep is not None:
            args += ["-R", record_sep]
        r = self._as_pg(args + ["-c", sql])
        if r.returncode != 0:
            raise RuntimeError("psql failed: " + r.stderr)
        return r.stdout

    def connect_string(self, db):
        return "host=%s port=%d dbname=%s user=%s" % (self.sock, self.port,
                                                       db, self.user)

    def stop(self):
        self.stop_server()
        if not os.environ.get("HD_KEEP"):
            shutil.rmtree(self.root, ignore_errors=True)
