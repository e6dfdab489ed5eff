"""rawimap -- an IMAP session that shows every line the server sends, in
order, as a client sees them: for checking the untagged responses a
command gets before its tagged reply ([ALERT] texts, FETCH FLAGS,
EXPUNGE), which imaplib sorts into a dict.

    with RawImap(dc.imap_port, "alice") as c:
        c.command("SELECT Public/Queue")
        r = c.command("UID STORE 4 +FLAGS (hd-claim)")
        r.tagged            # b'OK Store completed (...)'
        r.untagged          # [b'* OK [ALERT] ...', b'* 3 FETCH (...)']
        r.alerts()          # ['ticket 4 is already alice\\'s']
        r.fetch_flags()     # {uid: {'hd-open', ...}}, in arrival order

Literals in responses are read and kept inline ({n} then the bytes)."""

import re
import socket

HOST = "127.0.0.1"

_FETCH_RE = re.compile(rb"^\* (\d+) FETCH \((.*)\)$")
_UID_RE = re.compile(rb"\bUID (\d+)")
_FLAGS_RE = re.compile(rb"\bFLAGS \(([^)]*)\)")


class Response:
    def __init__(self, untagged, tagged):
        self.untagged = untagged
        self.tagged = tagged

    @property
    def ok(self):
        return self.tagged.startswith(b"OK")

    @property
    def status(self):
        return self.tagged.split(b" ", 1)[0].decode()

    def text(self):
        return self.tagged.decode("utf-8", "replace")

    def alerts(self):
        """The texts of untagged [ALERT] responses (OK, NO or BAD)."""
        out = []
        for line in self.untagged:
            m = re.match(rb"^\* (?:OK|NO|BAD) \[ALERT\] (.*)$", line)
            if m:
                out.append(m.group(1).decode("utf-8", "replace"))
        return out

    def fetches(self):
        """[(seq, uid or None, set of flags or None)] of the untagged
        FETCH responses, in arrival order."""
        out = []
        for line in self.untagged:
            m = _FETCH_RE.match(line)
            if not m:
                continue
            uid = _UID_RE.search(m.group(2))
            flags = _FLAGS_RE.search(m.group(2))
            out.append((int(m.group(1)),
                        int(uid.group(1)) if uid else None,
                        set(flags.group(1).decode().split()) if flags else None))
        return out

    def fetch_flags(self, uid=None):
        """The last FLAGS sent for each UID (or for uid)."""
        last = {}
        for _, u, flags in self.fetches():
            if u is not None and flags is not None:
                last[u] = flags
        return last.get(uid) if uid is not None else last

    def expunges(self):
        return [int(l.split()[1]) for l in self.untagged
                if re.match(rb"^\* \d+ EXPUNGE$", l)]

    def __repr__(self):
        return "<%s %r>" % (self.tagged, self.untagged)


class RawImap:
    def __init__(self, port, user, password="pass", host=HOST, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.n = 0
        greeting = self._line()
        if not greeting.startswith(b"* OK"):
            raise RuntimeError("greeting: %r" % greeting)
        r = self.command('LOGIN "%s" "%s"' % (user, password))
        if not r.ok:
            raise RuntimeError("LOGIN %s: %r" % (user, r))

    def _line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("server closed the connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        m = re.search(rb"\{(\d+)\}$", line)
        if m:
            n = int(m.group(1))
            while len(self.buf) < n:
                data = self.sock.recv(65536)
                if not data:
                    raise EOFError("server closed the connection")
                self.buf += data
            line += b"\r\n" + self.buf[:n]
            self.buf = self.buf[n:]
            line += self._line()
        return line

    def command(self, cmd):
        """Send one command, read to its tagged reply: Response."""
        self.n += 1
        tag = b"t%d" % self.n
        self.sock.sendall(tag + b" " + cmd.encode() + b"\r\n")
        untagged = []
        while True:
            line = self._line()
            if line.startswith(tag + b" "):
                return Response(untagged, line[len(tag) + 1:])
            untagged.append(line)

    def close(self):
        try:
            self.command("LOGOUT")
        except (OSError, EOFError):
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# METADATA over a raw session: a value is NIL, "quoted" or a {n} literal
_META_RE = re.compile(rb'^\* METADATA (?:"[^"]*"|\S+) \(\S+ '
                      rb'(?:(NIL)|"((?:[^"\\]|\\.)*)"|\{\d+\}\r\n(.*))\)$', re.S)


def metadata(port, user, command):
    """(tagged reply, [values of untagged METADATA]) of one command."""
    with RawImap(port, user) as c:
        r = c.command(command)
    values = []
    for line in r.untagged:
        m = _META_RE.match(line)
        if m:
            if m.group(1):
                values.append(None)
            else:
                v = m.group(2) if m.group(2) is not None else m.group(3)
                values.append(v.decode())
    return r.tagged.decode("utf-8", "replace"), values
