"""hdtest -- a private Dovecot 2.3 for dovecot-helpdesk integration tests.

Python 3 standard library only.  Must run as root (Dovecot's master needs
it; mail processes run as nobody:nogroup).

    from hdtest import Dovecot, make_message

    with Dovecot() as dc:                       # plugin from $HD_PLUGIN
        r = dc.deliver(make_message(subject="URGENT: outage"))
        assert r.ok, r
        for m in dc.queue("alice"):
            print(m["uid"], m["subject"], sorted(m["flags"]))

Environment:
    HD_PLUGIN   default path of the built lib20_helpdesk_plugin.so
    HD_KEEP     if set (non-empty), keep the root directory: cleanup()
                and the exit handler leave it (default: temp roots are
                removed by cleanup() or, at the latest, at exit)
    HD_MAIL_DEBUG  if set, mail_debug = yes
    HD_SRCDIR   source tree (default: two levels above this file); the
                Sieve script is HD_SRCDIR/sieve/helpdesk-route.sieve
"""

import atexit
import collections
import contextlib
import email.header
import email.parser
import email.policy
import email.utils
import grp
import imaplib
import glob
import os
import sys
import pwd
import re
import shutil
import signal
import smtplib
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
import weakref

from hdproc import file_size, free_port, read_text, wait_until  # noqa: F401
from hdproc import install_sigterm as _install_sigterm
from hdproc import pid_alive as _pid_alive

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
SIEVEC = "/usr/bin/sievec"
MODULE_DIR = "/usr/lib/dovecot/modules"
PLUGIN_NAME = "lib20_helpdesk_plugin.so"
# the IMAP side (alerts, flags sent back), built next to PLUGIN_NAME
IMAP_PLUGIN_NAME = "lib30_imap_helpdesk_plugin.so"
PASSWORD = "pass"

# The agents' views namespace (Dovecot(mail_plugins=("virtual",)),
# settings helpdesk_views = Helpdesk/, dc.extra_config = VIEWS_NAMESPACE).
VIEWS_NAMESPACE = """\
namespace helpdesk_views {
  prefix = Helpdesk/
  separator = /
  location = virtual:~/helpdesk-views
  list = yes
  subscriptions = no
}
"""
MAIL_USER = "nobody"
MAIL_GROUP = "nogroup"
HOST = "127.0.0.1"

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("HD_SRCDIR") or os.path.normpath(os.path.join(HERE, "..", ".."))
SIEVE_SRC = os.path.join(REPO, "sieve", "helpdesk-route.sieve")
# real messages from other projects' test suites (see its README): the
# shared folder beside the checkout, or the workplace's
CORPUS = os.environ.get("HD_CORPUS") or next(
    (d for d in (os.path.normpath(os.path.join(REPO, "..", "shared", "corpus")),
                 "/work/shared/corpus") if os.path.isdir(d)),
    "/work/shared/corpus")

# Headers of 1 MB and more: imaplib refuses lines longer than _MAXLINE.
imaplib._MAXLINE = max(getattr(imaplib, "_MAXLINE", 0), 64 * 1024 * 1024)
# METADATA commands imaplib lacks (use conn._simple_command("GETMETADATA",
# ...) and conn._untagged_response(typ, dat, "METADATA")).
for _cmd in ("GETMETADATA", "SETMETADATA"):
    imaplib.Commands.setdefault(_cmd, ("AUTH", "SELECTED"))

_running = weakref.WeakSet()
# HD_STORE=pgsql: one PostgreSQL server per test process, a database per
# Dovecot() (see Dovecot.__init__)
_pg_server = None


def pg_server():
    """The test process's PostgreSQL server (started on first use)."""
    global _pg_server
    if _pg_server is None:
        import pgserver
        if not pgserver.available():
            raise DovecotError("HD_STORE=pgsql: PostgreSQL is not installed")
        _pg_server = pgserver.PgServer(port=free_port()).start()
    return _pg_server


def store_is_pgsql():
    """TRUE when the tests run their stores on PostgreSQL (HD_STORE)."""
    return os.environ.get("HD_STORE") == "pgsql"

# Dovecot 2.3's log process, when the master says BYE for a child that
# exited before the log process heard of it (a race inside Dovecot,
# seen with any quickly exiting process, with or without the plugin):
# not an error of the run
_DOVECOT_LOG_RACE = re.compile(
    r" log\(\d+\): Error: Received master input for invalid service_fd \d+: "
    r"\d+ \d+ BYE$")

_instance_lock = threading.Lock()
_instance_counter = 0


_own_roots = set()   # temp roots made by Dovecot() and not yet removed


def _stop_all():
    """atexit: stop every running instance, then remove every root the
    harness created itself (mkdtemp) unless $HD_KEEP is set."""
    for dc in list(_running):
        try:
            dc.stop()
        except Exception:
            pass
    if not os.environ.get("HD_KEEP"):
        for root in list(_own_roots):
            shutil.rmtree(root, ignore_errors=True)
            _own_roots.discard(root)


atexit.register(_stop_all)


def _port_open(port, timeout=0.5):
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------
def _encode_header_value(value):
    if isinstance(value, bytes):
        return value
    try:
        return value.encode("ascii")
    except UnicodeEncodeError:
        return email.header.Header(value, "utf-8").encode().encode("ascii")


def _crlf(data):
    return re.sub(rb"\r\n|\r|\n", b"\r\n", data)


def make_message(subject="Test message", sender="customer@example.org",
                 to="support@example.com", message_id=None, in_reply_to=None,
                 references=None, extra_headers=(), body="Hello,\n\nplease help.\n",
                 cc=None, date=None):
    """A well-formed RFC 5322 message as bytes with CRLF line ends.

    subject, sender (From:), to, cc: str (non-ASCII is RFC 2047 encoded);
    message_id: "<id@host>" (generated when None; pass False to omit);
    in_reply_to: str; references: str or list of str;
    extra_headers: iterable of (name, value) pairs or a dict; values are
    written as given (str or bytes, fold them yourself);
    body: str (UTF-8, 8bit when not ASCII) or bytes; date: str or None (now).
    """
    if message_id is None:
        message_id = "<%s@example.org>" % uuid.uuid4().hex
    if date is None:
        date = email.utils.formatdate(localtime=True)
    if isinstance(references, (list, tuple)):
        references = " ".join(references)
    if isinstance(extra_headers, dict):
        extra_headers = list(extra_headers.items())
    if isinstance(body, str):
        body_b = body.encode("utf-8")
    else:
        body_b = bytes(body)
    eight_bit = any(b > 127 for b in body_b)

    hdrs = [("From", sender), ("To", to)]
    if cc:
        hdrs.append(("Cc", cc))
    if subject is not None:
        hdrs.append(("Subject", subject))
    hdrs.append(("Date", date))
    if message_id:
        hdrs.append(("Message-ID", message_id))
    if in_reply_to:
        hdrs.append(("In-Reply-To", in_reply_to))
    if references:
        hdrs.append(("References", references))
    hdrs += [("MIME-Version", "1.0"),
             ("Content-Type", "text/plain; charset=utf-8"),
             ("Content-Transfer-Encoding", "8bit" if eight_bit else "7bit")]
    hdrs += list(extra_headers)

    out = []
    for name, value in hdrs:
        out.append(name.encode("ascii") + b": " + _encode_header_value(value))
    head = _crlf(b"\r\n".join(out)) + b"\r\n"
    body_b = _crlf(body_b)
    if body_b and not body_b.endswith(b"\r\n"):
        body_b += b"\r\n"
    return head + b"\r\n" + body_b


# --------------------------------------------------------------------------
# IMAP FETCH parsing
# --------------------------------------------------------------------------

class _Literal(bytes):
    """A literal's content in the token stream."""


_LITERAL_RE = re.compile(rb"\{(\d+)\+?\}\s*$")


def _fetch_stream(data):
    """imaplib FETCH data -> list of bytes chunks and _Literal chunks."""
    parts = []
    for item in data:
        if item is None:
            continue
        if isinstance(item, tuple):
            line, lit = item[0], item[1]
            m = _LITERAL_RE.search(line)
            if m:
                line = line[:m.start()]
            parts.append(bytes(line))
            parts.append(_Literal(lit))
        else:
            parts.append(bytes(item))
        # imaplib drops the line ends between continuation chunks
        parts.append(b" ")
    return parts


def _tokenize(parts):
    """Yield tokens: b"(", b")", _Literal, or ("atom"/"str", bytes)."""
    for part in parts:
        if isinstance(part, _Literal):
            yield part
            continue
        i, n = 0, len(part)
        while i < n:
            c = part[i:i + 1]
            if c in (b" ", b"\t", b"\r", b"\n"):
                i += 1
            elif c in (b"(", b")"):
                yield c
                i += 1
            elif c == b'"':
                i += 1
                buf = bytearray()
                while i < n and part[i:i + 1] != b'"':
                    if part[i:i + 1] == b"\\" and i + 1 < n:
                        i += 1
                    buf += part[i:i + 1]
                    i += 1
                i += 1
                yield ("str", bytes(buf))
            else:
                start = i
                depth = 0
                while i < n:
                    c = part[i:i + 1]
                    if c == b"[":
                        depth += 1
                    elif c == b"]":
                        depth -= 1
                    elif depth <= 0 and c in (b" ", b"(", b")", b"\t", b"\r", b"\n"):
                        break
                    i += 1
                yield ("atom", part[start:i])


def _parse_values(tokens):
    """Parse the token stream into nested Python lists / bytes values."""
    stack = [[]]
    for tok in tokens:
        if tok == b"(":
            stack.append([])
        elif tok == b")":
            if len(stack) > 1:
                lst = stack.pop()
                stack[-1].append(lst)
        elif isinstance(tok, _Literal):
            stack[-1].append(bytes(tok))
        else:
            kind, val = tok
            if kind == "atom" and val.upper() == b"NIL":
                stack[-1].append(None)
            else:
                stack[-1].append(val)
    while len(stack) > 1:  # unbalanced: be lenient
        lst = stack.pop()
        stack[-1].append(lst)
    return stack[0]


def parse_fetch(data):
    """Parse imaplib FETCH response data into {seq: {ITEM: value}}.

    ITEM names are upper-case str ("UID", "FLAGS", "BODY[HEADER]", ...);
    FLAGS is a list of str, literals and strings are bytes, numbers stay
    bytes except UID/RFC822.SIZE/MODSEQ which become int.  Several FETCH
    responses for the same message (unsolicited flag updates) are merged.
    """
    values = _parse_values(_tokenize(_fetch_stream(data)))
    result = collections.OrderedDict()
    i = 0
    while i < len(values):
        v = values[i]
        if isinstance(v, bytes) and v.isdigit() and i + 1 < len(values) \
                and isinstance(values[i + 1], list):
            seq = int(v)
            attrs = result.setdefault(seq, {})
            lst = values[i + 1]
            for j in range(0, len(lst) - 1, 2):
                key = lst[j]
                if not isinstance(key, bytes):
                    continue
                name = key.decode("ascii", "replace").upper()
                # BODY.PEEK[...] is answered as BODY[...]
                name = name.replace("BODY.PEEK[", "BODY[")
                val = lst[j + 1]
                if name == "FLAGS" and isinstance(val, list):
                    val = [f.decode("utf-8", "replace") for f in val
                           if isinstance(f, bytes)]
                elif name in ("UID", "RFC822.SIZE"):
                    val = int(val)
                elif name == "MODSEQ" and isinstance(val, list) and val:
                    val = int(val[0])
                attrs[name] = val
            i += 2
        else:
            i += 1
    return result


def decode_header_value(value):
    """RFC 2047-decode a (possibly folded) header value to str."""
    if value is None:
        return None
    if isinstance(value, email.header.Header):
        value = str(value)
    value = re.sub(r"\r?\n(?=[ \t])", "", value)
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:
        return value


def _message_entry(seq, attrs):
    raw = attrs.get("BODY[HEADER]") or b""
    hdr = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
        raw, headersonly=True)
    flags = set(attrs.get("FLAGS") or ())
    subj = hdr.get("Subject")
    return {
        "seq": seq,
        "uid": attrs.get("UID"),
        "flags": flags,
        "keywords": {f for f in flags if not f.startswith("\\")},
        "headers": hdr,
        "raw_header": raw,
        "subject": decode_header_value(subj) if subj is not None else "",
        "message_id": (hdr.get("Message-ID") or "").strip(),
    }


# --------------------------------------------------------------------------
# LMTP
# --------------------------------------------------------------------------

class LmtpResult(collections.namedtuple("LmtpResult", "code message")):
    """One recipient's outcome: SMTP code (int) and text (str)."""
    __slots__ = ()

    @property
    def ok(self):
        return 200 <= self.code < 300

    @property
    def tempfail(self):
        return 400 <= self.code < 500

    @property
    def lost(self):
        """The connection broke before this recipient got a reply."""
        return self.code == LOST


LOST = -1   # LmtpResult.code when the LMTP connection was lost


def _lmtp_data(msg):
    if isinstance(msg, str):
        msg = msg.encode("utf-8")
    data = _crlf(bytes(msg))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data + b".\r\n"


def _lmtp_close(conn):
    try:
        conn.quit()
    except Exception:
        try:
            conn.close()
        except Exception:
            pass


def _reply(code, msg):
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    return LmtpResult(int(code), msg)


# --------------------------------------------------------------------------
# The private Dovecot
# --------------------------------------------------------------------------

class DovecotError(RuntimeError):
    pass


def hd_keywords(m, prefix="hd-"):
    """The helpdesk keywords of a queue entry (dc.queue() / fetch_all()),
    or of a set or list of flags."""
    flags = m.get("keywords", m.get("flags", ())) if isinstance(m, dict) else m
    return {k for k in flags if k.startswith(prefix)}


def ticket_keywords(status, owner=None, tier=1, prio="normal", vip=False,
                    team=None):
    """The exact hd- keywords a ticket in that state shows (DESIGN.md's
    keyword protocol)."""
    s = {"hd-" + status, "hd-tier-%s" % tier, "hd-prio-" + prio}
    if owner:
        s.add("hd-owner-" + owner)
    if vip:
        s.add("hd-vip")
    if team:
        s.add("hd-team-" + team)
    return s


def ticket_of(m):
    """The ticket number in a queue entry's X-Helpdesk-Ticket header, or
    None."""
    value = m.get("headers", {}).get("X-Helpdesk-Ticket")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def msgid_of(msg):
    """The Message-ID header of a message made by make_message() (bytes)."""
    for line in msg.split(b"\r\n"):
        if not line:
            break
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    return None


def plugin_or_skip(t, what):
    """The built plugin ($HD_PLUGIN) for an integration test file, or None
    after reporting the whole file as skipped on Tap t (not root, or no
    plugin built)."""
    if os.geteuid() != 0:
        t.skip(what, "must run as root")
        return None
    plugin = os.environ.get("HD_PLUGIN")
    if not plugin or not os.path.isfile(plugin):
        t.skip(what, "HD_PLUGIN not set or missing")
        return None
    return plugin


# --------------------------------------------------------------------------
# Outgoing mail (acknowledgements, rating requests)
# --------------------------------------------------------------------------

_SENDMAIL_CAPTURE = """#!/bin/sh
# captures what the help desk sends: argv, then the message
out={outbox}/$(date +%s%N).$$.eml
{{ printf 'X-Test-Argv: %s\\n' "$*"; cat; }} > "$out.tmp" && mv "$out.tmp" "$out"
if [ -e {root}/sendmail-fails ]; then
    echo "sendmail: simulated failure" >&2
    exit 75
fi
exit 0
"""


class Outbox:
    """The mail a Dovecot sent through its sendmail_path, captured by a
    script (Dovecot.capture_outgoing()).  ROOT/sendmail-fails makes the
    script fail (exit 75) after capturing."""

    def __init__(self, dc):
        self.dir = os.path.join(dc.root, "outbox")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o777)
        self.seen = set()
        script = os.path.join(dc.root, "sendmail")
        with open(script, "w") as f:
            f.write(_SENDMAIL_CAPTURE.format(outbox=self.dir, root=dc.root))
        os.chmod(script, 0o755)
        dc.extra_config += "sendmail_path = %s\n" % script

    def new(self, wait=0.0):
        """Messages captured since the last call, oldest first: a list of
        (argv, email.message.EmailMessage); waits up to wait seconds for
        the first."""
        deadline = time.time() + wait
        while True:
            names = sorted(n for n in glob.glob(os.path.join(self.dir, "*.eml"))
                           if n not in self.seen)
            if names or time.time() >= deadline:
                break
            time.sleep(0.1)
        out = []
        for n in names:
            self.seen.add(n)
            with open(n, "rb") as f:
                data = f.read()
            first, rest = data.split(b"\n", 1)
            argv = first.decode().split(": ", 1)[1]
            out.append((argv, email.message_from_bytes(rest, policy=email.policy.default)))
        return out


def body_text(msg):
    """The decoded text/plain body of an email.message.EmailMessage."""
    return msg.get_body(preferencelist=("plain",)).get_content()


def sla_sweep(dc, ticket):
    """Wait until the ticket's next SLA point (the store's sla_next: the
    warn point, then the breach) has passed, then run the sweep.  A point
    more than 10 s away (not the test's targets: the default ones are
    hours) is not waited for.  Returns (the store's sla_tag afterwards,
    the doveadm process with .sla_next set)."""
    nxt = dc.sql("SELECT sla_next FROM hd_tickets WHERE id = ?", (ticket,))[0][0]
    if nxt:
        delay = nxt + 0.3 - time.time()
        if 0 < delay <= 10:
            time.sleep(delay)
    p = dc.doveadm("helpdesk", "sweep", "-u", "support", check=False)
    p.sla_next = nxt
    tag = dc.sql("SELECT sla_tag FROM hd_tickets WHERE id = ?", (ticket,))[0][0]
    return tag, p


def start_checked(t, dc, what="private Dovecot with the helpdesk plugin starts"):
    """Start dc with a TAP point either way; False when it did not."""
    try:
        dc.start()
    except Exception as e:
        t.ok(False, what, str(e))
        return False
    t.ok(True, "%s (root %s)" % (what, dc.root))
    return True


class Dovecot:
    """A private Dovecot on 127.0.0.1 under one root directory.

    Dovecot(root=None, plugin=<$HD_PLUGIN or None>, sieve=True,
            settings=None, users=("support", "alice", "bob", "carol"))

    root      directory for everything (default: mkdtemp("/tmp/hdtest-*"),
              removed by cleanup() unless $HD_KEEP)
    plugin    path of a built lib20_helpdesk_plugin.so; None = vanilla
              Dovecot.  Not given: $HD_PLUGIN if set, else None.
    sieve     True: sieve/helpdesk-route.sieve of the repo as sieve_before;
              a path: that script instead; False: no Sieve at all.
    settings  extra plugin{} settings; a None value removes a default.
              Defaults with a plugin: helpdesk_queue = Public/Queue,
              helpdesk_db = sqlite:ROOT/db/helpdesk.db.
    users     passdb/userdb users, all with password "pass".
    user_fields  {user: {field: value}}: userdb extra fields.
    mail_plugins  more global mail_plugins, e.g. ("virtual",).
    imap_plugin  load imap_helpdesk (alerts, flags sent back) in imap when
              it is built next to the plugin (default True).

    Attributes: root, conf (ROOT/dovecot.conf), plugin, users, settings
    (effective plugin{} settings), imap_port, lmtp_port (chosen at the
    first start(), kept by restart()), db_path (sqlite file of helpdesk_db
    or None), log_path, base_dir, queue_mailbox, instance_name, running.
    """

    _UNSET = object()

    def __init__(self, root=None, plugin=_UNSET, sieve=True, settings=None,
                 users=("support", "alice", "bob", "carol"), user_fields=None,
                 mail_plugins=(), imap_plugin=True):
        global _instance_counter
        # load imap_helpdesk (built next to the plugin) in imap
        self.imap_plugin = imap_plugin
        self.extra_mail_plugins = tuple(mail_plugins)
        self.user_fields = dict(user_fields or {})
        if plugin is Dovecot._UNSET:
            plugin = os.environ.get("HD_PLUGIN") or None
        if plugin is not None:
            plugin = os.path.abspath(plugin)
            if not os.path.isfile(plugin):
                raise DovecotError("plugin not found: %s" % plugin)
        self._own_root = root is None
        if root is None:
            root = tempfile.mkdtemp(prefix="hdtest-", dir="/tmp")
        else:
            os.makedirs(root, exist_ok=True)
        self.root = os.path.abspath(root)
        if self._own_root:
            _own_roots.add(self.root)
        self.plugin = plugin
        self.sieve = sieve
        self.users = tuple(users)
        self.conf = os.path.join(self.root, "dovecot.conf")
        self.log_path = os.path.join(self.root, "dovecot.log")
        self.base_dir = os.path.join(self.root, "run")
        self.sieve_script = os.path.join(self.root, "sieve", "helpdesk-route.sieve")
        with _instance_lock:
            _instance_counter += 1
            n = _instance_counter
        self.instance_name = "hdtest-%d-%d-%s" % (os.getpid(), n, uuid.uuid4().hex[:6])
        self.imap_port = None
        self.lmtp_port = None
        self._pid = None
        self._proc = None
        # raw dovecot.conf text appended at the end (set before start()),
        # e.g. 'protocol imap {\n  imap_metadata = yes\n}\n'
        self.extra_config = ""

        self.settings = collections.OrderedDict()
        self.pg = None
        # log ranges (from, to) written while the store was away
        self.outages = []
        if plugin is not None:
            self.settings["helpdesk_queue"] = "Public/Queue"
            self.settings["helpdesk_db"] = "sqlite:%s" % os.path.join(
                self.root, "db", "helpdesk.db")
            if store_is_pgsql() and "helpdesk_db" not in (settings or {}):
                # the same tests on PostgreSQL: a database of its own
                self.pg = pg_server()
                self.pg_db = "hd_" + uuid.uuid4().hex[:12]
                self.pg.createdb(self.pg_db)
                self.settings["helpdesk_db"] = "pgsql:" + \
                    self.pg.connect_string(self.pg_db)
        for k, v in (settings or {}).items():
            if v is None:            # None removes a default
                self.settings.pop(k, None)
            else:
                self.settings[k] = str(v)
        # helpdesk_queue may name several mailboxes: Sieve files into the
        # first, all of them are created with the agents' rights
        self.queues = (self.settings.get("helpdesk_queue") or
                       "Public/Queue").replace(",", " ").split() or ["Public/Queue"]
        self.queue_mailbox = self.queues[0]
        db = self.settings.get("helpdesk_db", "")
        self.db_path = db[len("sqlite:"):] if db.startswith("sqlite:") else None

        self._uid = pwd.getpwnam(MAIL_USER).pw_uid
        self._gid = grp.getgrnam(MAIL_GROUP).gr_gid
        self._prepare()

    # ---------------------------------------------------------------- setup

    def _chown(self, path, mode):
        os.chown(path, self._uid, self._gid)
        os.chmod(path, mode)

    def _prepare(self):
        r = self.root
        os.chmod(r, 0o755)  # mail processes (nobody) must traverse it
        for d in ("state", "sieve", "home", "modules"):
            os.makedirs(os.path.join(r, d), exist_ok=True)
            os.chmod(os.path.join(r, d), 0o755)
        for u in self.users:
            h = os.path.join(r, "home", u)
            os.makedirs(h, exist_ok=True)
            self._chown(h, 0o700)
        pub = os.path.join(r, "public")
        os.makedirs(pub, exist_ok=True)
        self._chown(pub, 0o770)
        dbdirs = [os.path.join(r, "db")]
        if self.db_path:
            dbdirs.append(os.path.dirname(os.path.abspath(self.db_path)))
        for dbdir in dict.fromkeys(dbdirs):
            if not os.path.isdir(dbdir):
                os.makedirs(dbdir)
                self._chown(dbdir, 0o770)
            elif os.path.realpath(dbdir).startswith(os.path.realpath(r) + os.sep):
                self._chown(dbdir, 0o770)
        self._make_modules()
        with open(os.path.join(r, "passwd"), "w") as f:
            for u in self.users:
                # userdb extra fields per user: user_fields = {"carol":
                # {"helpdesk_lead": "yes"}} -> userdb_helpdesk_lead=yes
                extra = " ".join("userdb_%s=%s" % kv for kv in
                                 sorted(self.user_fields.get(u, {}).items()))
                f.write("%s:{PLAIN}%s::::::%s\n" % (u, PASSWORD, extra))
        os.chmod(os.path.join(r, "passwd"), 0o644)
        acl_rights = "lrwstipekxa"
        with open(os.path.join(r, "global-acl"), "w") as f:
            for mb in dict.fromkeys(self.queues + ["Public/Queue", "Public/Resolved"]):
                f.write("%s authenticated %s\n" % (mb, acl_rights))
        os.chmod(os.path.join(r, "global-acl"), 0o644)

    def _make_modules(self):
        mdir = os.path.join(self.root, "modules")
        for name in os.listdir(mdir):
            p = os.path.join(mdir, name)
            if os.path.islink(p):
                os.unlink(p)
        for name in sorted(os.listdir(MODULE_DIR)):
            src = os.path.join(MODULE_DIR, name)
            if name in (PLUGIN_NAME, IMAP_PLUGIN_NAME):
                continue
            if name.endswith(".so") or os.path.isdir(src):
                os.symlink(src, os.path.join(mdir, name))
        if self.plugin:
            # a copy, not a link: a rebuild of plugin/.libs while a test
            # runs must not pull the file from under a running Dovecot
            dst = os.path.join(mdir, PLUGIN_NAME)
            if os.path.lexists(dst):
                os.unlink(dst)
            shutil.copy2(self.plugin, dst)
            os.chmod(dst, 0o755)
            imap_plugin = self.imap_plugin_path()
            if imap_plugin:
                dst = os.path.join(mdir, IMAP_PLUGIN_NAME)
                if os.path.lexists(dst):
                    os.unlink(dst)
                shutil.copy2(imap_plugin, dst)
                os.chmod(dst, 0o755)

    def imap_plugin_path(self):
        """The built imap_helpdesk plugin next to the mail plugin, or None
        (then imap runs without it: no alerts)."""
        if not self.plugin or not self.imap_plugin:
            return None
        path = os.path.join(os.path.dirname(self.plugin), IMAP_PLUGIN_NAME)
        return path if os.path.isfile(path) else None

    def _write_config(self):
        r = self.root
        mail_plugins = "$mail_plugins acl"
        if self.plugin:
            mail_plugins += " helpdesk"
        for name in self.extra_mail_plugins:
            mail_plugins += " " + name
        plugin_lines = ["  acl = vfile:%s/global-acl" % r]
        if self.sieve:
            plugin_lines.append("  sieve_before = %s" % self.sieve_script)
        for k, v in self.settings.items():
            plugin_lines.append("  %s = %s" % (k, v))
        lmtp_plugins = "$mail_plugins sieve" if self.sieve else "$mail_plugins"
        imap_plugins = "$mail_plugins imap_acl"
        if self.imap_plugin_path():
            imap_plugins += " imap_helpdesk"
        conf = """\
# generated by tests/lib/hdtest.py
instance_name = {inst}
base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
info_log_path = {r}/dovecot.log
debug_log_path = {r}/dovecot.log
log_timestamp = "%Y-%m-%d %H:%M:%S.%{{usecs}} "
protocols = imap lmtp
listen = {host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Ln
mail_debug = {mail_debug}
default_internal_user = dovecot
default_login_user = dovenull
mail_location = mdbox:~/mdbox
mail_plugin_dir = {r}/modules
mail_plugins = {mail_plugins}
lmtp_save_to_detail_mailbox = no
recipient_delimiter = +
shutdown_clients = yes

passdb {{
  driver = passwd-file
  args = scheme=PLAIN {r}/passwd
}}
userdb {{
  driver = passwd-file
  args = {r}/passwd
  default_fields = uid={uid} gid={gid} home={r}/home/%n
}}

namespace inbox {{
  inbox = yes
  separator = /
  prefix =
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
  }}
}}
namespace public {{
  type = public
  separator = /
  prefix = Public/
  location = mdbox:{r}/public:INDEXPVT=~/public-pvt
  subscriptions = no
  list = children
}}

protocol imap {{
  mail_plugins = {imap_plugins}
}}
protocol lmtp {{
  mail_plugins = {lmtp_plugins}
  postmaster_address = postmaster@example.com
}}

plugin {{
{plugin_lines}
}}

service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service imap {{
{imap_executable}}}
service lmtp {{
  inet_listener lmtp {{
    address = {host}
    port = {lmtp_port}
  }}
{lmtp_executable}}}
{extra}""".format(lmtp_executable=self._valgrind_executable("lmtp"),
           imap_executable=self._valgrind_executable("imap"),inst=self.instance_name,
           mail_debug="yes" if os.environ.get("HD_MAIL_DEBUG") else "no",
           extra=("\n# extra_config\n" + self.extra_config + "\n") if self.extra_config else "", r=r, host=HOST, mail_plugins=mail_plugins,
           uid=MAIL_USER, gid=MAIL_GROUP, lmtp_plugins=lmtp_plugins,
           imap_plugins=imap_plugins,
           plugin_lines="\n".join(plugin_lines),
           imap_port=self.imap_port, lmtp_port=self.lmtp_port)
        with open(self.conf, "w") as f:
            f.write(conf)
        os.chmod(self.conf, 0o644)

    def _valgrind_executable(self, service):
        """With $HD_VALGRIND set, the service (lmtp, imap) runs under
        valgrind and each process writes ROOT/valgrind/SERVICE.PID.log (see
        valgrind_errors)."""
        if not os.environ.get("HD_VALGRIND") or not self.plugin:
            return ""
        vdir = os.path.join(self.root, "valgrind")
        os.makedirs(vdir, exist_ok=True)
        os.chmod(vdir, 0o777)
        supp = os.path.join(REPO, "tests", "valgrind.supp")
        return ("  executable = /usr/bin/valgrind -q --vgdb=no --error-exitcode=213"
                " --leak-check=full --show-leak-kinds=definite"
                " --errors-for-leak-kinds=definite --num-callers=30"
                " --suppressions=%s --log-file=%s/%s.%%p.log"
                " /usr/lib/dovecot/%s\n" % (supp, vdir, service, service))

    def valgrind_errors(self):
        """The non-empty valgrind reports of this instance's processes."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.root, "valgrind",
                                                  "*.log"))):
            with open(path, errors="replace") as f:
                text = f.read().strip()
            if text:
                out.append("%s:\n%s" % (os.path.basename(path), text))
        return out

    def _install_sieve(self):
        if not self.sieve:
            return
        src = self.sieve if isinstance(self.sieve, str) else SIEVE_SRC
        with open(src, encoding="utf-8") as f:
            text = f.read()
        if self.sieve is True and self.queue_mailbox != "Public/Queue":
            # keep the script's queue in step with helpdesk_queue
            q = self.queue_mailbox.replace("\\", "\\\\").replace('"', '\\"')
            text = re.sub(r'(?m)^set "queue" "[^"]*";',
                          lambda m: 'set "queue" "%s";' % q, text)
        with open(self.sieve_script, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(self.sieve_script, 0o644)
        svbin = os.path.splitext(self.sieve_script)[0] + ".svbin"
        if os.path.exists(svbin):
            os.unlink(svbin)
        # mail_plugins off: sievec runs as root and would load (and init)
        # the helpdesk plugin, e.g. create its database owned by root.
        p = subprocess.run([SIEVEC, "-c", self.conf, "-o", "mail_plugins=",
                            self.sieve_script],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True,
                           timeout=60)
        if p.returncode != 0:
            raise DovecotError("sievec failed (%d):\n%s" % (p.returncode, p.stdout))
        os.chmod(svbin, 0o644)

    # ------------------------------------------------------------ lifecycle

    @property
    def running(self):
        if self._proc is not None:
            return self._proc.poll() is None
        return self._pid is not None and _pid_alive(self._pid)

    def master_pid(self):
        try:
            with open(os.path.join(self.base_dir, "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def start(self, timeout=20.0):
        """Write the config, compile the Sieve script, start Dovecot, wait
        for IMAP and LMTP and create the queue mailboxes."""
        if self.running:
            raise DovecotError("already running (pid %d)" % self._pid)
        _install_sigterm()
        if self.imap_port is None:
            self.imap_port = free_port()
            self.lmtp_port = free_port()
            while self.lmtp_port == self.imap_port:
                self.lmtp_port = free_port()
        self._write_config()
        self._install_sieve()
        err_path = os.path.join(self.root, "start.err")
        # -F: the master stays our child (the container's PID 1 may not reap
        # a daemonized master: zombies).  stdin/stdout must not be pipes:
        # children inherit them and a caller capturing output would hang.
        with open(os.devnull, "rb") as devin, open(os.devnull, "wb") as devout, \
                open(err_path, "wb") as err:
            self._proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf],
                                          stdin=devin, stdout=devout, stderr=err,
                                          close_fds=True, start_new_session=True)
        self._pid = self._proc.pid
        _running.add(self)
        try:
            deadline = time.monotonic() + timeout
            while True:
                rc = self._proc.poll()
                if rc is not None:
                    raise DovecotError("dovecot exited with %d" % rc)
                if self.master_pid() == self._pid and _port_open(self.imap_port) \
                        and _port_open(self.lmtp_port):
                    break
                if time.monotonic() > deadline:
                    raise DovecotError("IMAP/LMTP ports not ready after %.0fs" % timeout)
                time.sleep(0.05)
            for mb in dict.fromkeys(self.queues + ["Public/Resolved"]):
                self.create_mailbox(mb, user="support")
        except Exception as e:
            try:
                self.stop()
            except Exception:
                pass
            msg = "%s\n--- start.err ---\n%s\n--- dovecot.log ---\n%s" % (
                e, read_text(err_path), self.log()[-8000:])
            raise DovecotError(msg) from None
        return self

    def capture_outgoing(self):
        """Send this Dovecot's outgoing mail (sendmail_path) to a capturing
        script: returns its Outbox.  Call before start()."""
        return Outbox(self)

    def create_mailbox(self, name, user="support"):
        """doveadm mailbox create, ignoring "already exists".  ACL checks
        are switched off for this one command: creating a top-level public
        mailbox needs the create right on the namespace root, which the
        global ACL file (per-mailbox patterns) does not grant."""
        p = self.doveadm("-o", "plugin/acl=", "mailbox", "create", name,
                         user=user, check=False)
        if p.returncode != 0 and "exists" not in (p.stdout + p.stderr).lower():
            raise DovecotError("doveadm mailbox create %s failed (%d): %s%s" % (
                name, p.returncode, p.stdout, p.stderr))
        return p

    def stop(self, timeout=20.0):
        """SIGTERM the master (pid of ROOT/run/master.pid) and wait until it
        is gone and the ports are closed.  Safe to call when not running."""
        proc, self._proc = self._proc, None
        pid = self.master_pid() or self._pid or (proc.pid if proc else None)
        self._pid = None
        _running.discard(self)
        if pid and _pid_alive(pid):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

        def gone():
            if proc is not None and proc.pid == pid:
                return proc.poll() is not None
            return not _pid_alive(pid)

        if pid:
            try:
                wait_until(gone, timeout=timeout, interval=0.02,
                           what="dovecot master %d to exit" % pid)
            except TimeoutError:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                wait_until(gone, timeout=5, what="dovecot master %d to die" % pid)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(5)
        if os.environ.get("HD_VALGRIND") and self.valgrind_errors():
            # leaks are reported when the processes exit: fail the file
            print("Bail out! valgrind: " +
                  " | ".join(self.valgrind_errors())[:2000]
                  .replace("\n", " "))
            sys.stdout.flush()
        # login processes may linger a moment after the master
        for port in (self.imap_port, self.lmtp_port):
            if port:
                try:
                    wait_until(lambda: not _port_open(port, 0.2), timeout=5,
                               what="port %d to close" % port)
                except TimeoutError:
                    pass

    def restart(self, timeout=20.0):
        """stop() and start() on the same root and ports."""
        self.stop(timeout=timeout)
        return self.start(timeout=timeout)

    def cleanup(self):
        """stop() and remove the root (kept when $HD_KEEP is set)."""
        self.stop()
        if os.environ.get("HD_KEEP"):
            return
        shutil.rmtree(self.root, ignore_errors=True)
        _own_roots.discard(self.root)

    def __enter__(self):
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def __repr__(self):
        return "<Dovecot root=%s imap=%s lmtp=%s plugin=%s>" % (
            self.root, self.imap_port, self.lmtp_port, self.plugin)

    # -------------------------------------------------------------- delivery

    def lmtp(self, timeout=30):
        """A connected smtplib.LMTP after LHLO."""
        c = smtplib.LMTP(HOST, self.lmtp_port, timeout=timeout)
        c.ehlo("hdtest.localhost")
        return c

    @classmethod
    def _transaction(cls, conn, msg, rcpts, sender):
        """One MAIL/RCPT/DATA transaction; returns (results, conn_usable).
        A broken connection gives LmtpResult(LOST, ...) to the recipients
        without a reply instead of raising."""
        results = collections.OrderedDict((r, None) for r in rcpts)
        try:
            cls._transaction2(conn, msg, rcpts, sender, results)
            return results, True
        except (smtplib.SMTPServerDisconnected, OSError) as e:
            for r, v in results.items():
                if v is None:
                    results[r] = LmtpResult(LOST, "connection lost: %s" % (e,))
            return results, False

    @staticmethod
    def _transaction2(conn, msg, rcpts, sender, results):
        code, resp = conn.mail(sender)
        if code != 250:
            for r in rcpts:
                results[r] = _reply(code, resp)
            conn.rset()
            return results
        accepted = []
        for r in rcpts:
            code, resp = conn.rcpt(r)
            results[r] = _reply(code, resp)
            if code in (250, 251):
                accepted.append(r)
        if not accepted:
            conn.rset()
            return results
        for r in accepted:      # no final reply yet
            results[r] = None
        conn.putcmd("data")
        code, resp = conn.getreply()
        if code != 354:
            for r in accepted:
                results[r] = _reply(code, resp)
            conn.rset()
            return results
        conn.send(_lmtp_data(msg))
        for r in accepted:  # LMTP: one reply per accepted recipient
            code, resp = conn.getreply()
            if code == -1:  # smtplib: connection closed
                raise smtplib.SMTPServerDisconnected(resp)
            results[r] = _reply(code, resp)
        return results

    def deliver(self, msg, rcpt="support@example.com", sender="customer@example.org"):
        """Deliver one message over LMTP.  rcpt: str -> LmtpResult(code,
        message) for it; list/tuple -> OrderedDict rcpt -> LmtpResult.
        Rejections are returned, not raised; so is a connection lost in
        the transaction (code LOST = -1).  Failing to connect raises."""
        conn = self.lmtp()
        try:
            single = isinstance(rcpt, str)
            rcpts = [rcpt] if single else list(rcpt)
            res, _ = self._transaction(conn, msg, rcpts, sender)
        finally:
            _lmtp_close(conn)
        return res[rcpt] if single else res

    def deliver_many(self, msgs, rcpt="support@example.com", sender="customer@example.org"):
        """Deliver several messages over one LMTP connection.  Each item of
        msgs is bytes (using rcpt/sender) or a tuple (msg, rcpt[, sender]).
        Returns a list of what deliver() would return for each."""
        out = []
        conn = None
        try:
            for item in msgs:
                m, r, s = item, rcpt, sender
                if isinstance(item, tuple):
                    m = item[0]
                    r = item[1] if len(item) > 1 else rcpt
                    s = item[2] if len(item) > 2 else sender
                if conn is None:
                    conn = self.lmtp()
                single = isinstance(r, str)
                res, usable = self._transaction(conn, m, [r] if single else list(r), s)
                if not usable:      # reconnect for the next message
                    _lmtp_close(conn)
                    conn = None
                out.append(res[r] if single else res)
        finally:
            if conn is not None:
                _lmtp_close(conn)
        return out

    # ------------------------------------------------------------------ IMAP

    def imap(self, user, password=PASSWORD, timeout=30):
        """imaplib.IMAP4 logged in as user (a context manager: logs out)."""
        kw = {"timeout": timeout} if "timeout" in imaplib.IMAP4.__init__.__code__.co_varnames else {}
        c = imaplib.IMAP4(HOST, self.imap_port, **kw)
        try:
            c.login(user, password)
        except Exception:
            c.shutdown()
            raise
        return c

    def fetch_all(self, conn, items="(UID FLAGS BODY.PEEK[HEADER])"):
        """UID FETCH 1:* on the selected mailbox of conn -> parse_fetch()."""
        typ, data = conn.uid("FETCH", "1:*", items)
        if typ != "OK":
            raise DovecotError("UID FETCH failed: %r" % (data,))
        return parse_fetch(data)

    def queue(self, user="alice", mailbox=None):
        """Every message of mailbox (default: the queue) as seen by user,
        read-only (EXAMINE), in UID order.  Each a dict: uid (int), seq,
        flags (set of str), keywords (flags without the \\ system ones),
        headers (email.message.Message, compat32), raw_header (bytes),
        subject (decoded str, "" when absent), message_id (str)."""
        if mailbox is None:
            mailbox = self.queue_mailbox
        with self.imap(user) as c:
            typ, data = c.select(_quote_mailbox(mailbox), readonly=True)
            if typ != "OK":
                raise DovecotError("EXAMINE %s as %s failed: %r" % (mailbox, user, data))
            exists = int(data[0]) if data and data[0] and data[0].isdigit() else None
            if exists == 0:
                return []
            parsed = self.fetch_all(c)
        msgs = [_message_entry(seq, a) for seq, a in parsed.items()
                if a.get("UID") is not None and "BODY[HEADER]" in a]
        msgs.sort(key=lambda m: m["uid"])
        return msgs

    def mailbox(self, user, mailbox="INBOX"):
        """queue() for any mailbox: mailbox(user, "INBOX")."""
        return self.queue(user=user, mailbox=mailbox)

    # --------------------------------------------------------------- doveadm

    def doveadm(self, *args, user=None, check=True, timeout=60, input=None):
        """Run `doveadm -c CONF ARGS` and return a CompletedProcess with text
        stdout/stderr.  user: adds `-u user` right after the command words
        (doveadm wants it there: `mailbox create -u support Public/Queue`).
        Global options (-D, -v, -f fmt, -o k=v) may lead ARGS.  check:
        raise CalledProcessError on a non-zero exit."""
        cmd = [DOVEADM, "-c", self.conf]
        rest = [str(a) for a in args]
        while rest and rest[0] in ("-f", "-D", "-v", "-o"):
            opt = rest.pop(0)
            cmd.append(opt)
            if opt in ("-f", "-o") and rest:
                cmd.append(rest.pop(0))
        if user is not None:
            words = self._doveadm_command_words(rest)
            if words:
                rest = rest[:words] + ["-u", user] + rest[words:]
            else:
                rest = rest + ["-u", user]
        cmd += rest
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL if input is None else None,
                           input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=timeout)
        if check and p.returncode != 0:
            raise subprocess.CalledProcessError(p.returncode, cmd, p.stdout, p.stderr)
        return p

    def _doveadm_usage(self, words):
        """{name: set(subcommands) for groups, None for leaf commands} from
        doveadm's own usage text (`doveadm help`, `doveadm <group>`)."""
        cache = self.__dict__.setdefault("_usage_cache", {})
        key = tuple(words)
        if key not in cache:
            p = subprocess.run([DOVEADM, "-c", self.conf] + (list(words) or ["help"]),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, universal_newlines=True,
                               timeout=30)
            table = {}
            for line in (p.stdout + p.stderr).splitlines():
                m = re.match(r"^  (\S+)(?:\s+(.*))?$", line)
                if not m:
                    continue
                desc = (m.group(2) or "").strip()
                if re.fullmatch(r"[A-Za-z0-9_-]+(\|[A-Za-z0-9_-]+)+|[A-Za-z0-9_-]+", desc) \
                        and "|" in desc:
                    table[m.group(1)] = set(desc.split("|"))
                else:
                    table[m.group(1)] = None
            cache[key] = table
        return cache[key]

    def _doveadm_command_words(self, args):
        """How many leading args are doveadm command words (0 = unknown):
        `mailbox create` 2, `mailbox cache decision` 3, `search` 1."""
        n = 0
        level = self._doveadm_usage(())
        while n < len(args) and args[n] in level:
            subs = level[args[n]]
            n += 1
            if subs is None or n >= len(args) or args[n] not in subs:
                break
            deeper = self._doveadm_usage(args[:n])
            if args[n] in deeper:
                level = deeper       # `doveadm mailbox` lists its own groups
            else:
                n += 1               # deepest level: usage text not nested
                break
        return n

    # ------------------------------------------------------------------- log

    def log(self, since=0):
        """Content of ROOT/dovecot.log (from byte offset since)."""
        return read_text(self.log_path, since)

    def log_mark(self):
        """Current size of the log: pass it as since= to log()/log_errors()."""
        return file_size(self.log_path)

    def log_errors(self, pattern=None, since=0, outages=True):
        """Log lines with Error:/Panic:/Fatal: (and matching regex
        pattern); outages=False leaves out those logged while the store
        was away (store_away())."""
        out = []
        try:
            with open(self.log_path, "rb") as f:
                f.seek(since)
                text = f.read()
        except OSError:
            text = b""
        pos = since
        for raw in text.splitlines(keepends=True):
            at, pos = pos, pos + len(raw)
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not outages and any(a <= at < b for a, b in self.outages):
                continue
            if re.search(r"\b(Error|Panic|Fatal): ", line) and \
                    not _DOVECOT_LOG_RACE.search(line):
                if pattern is None or re.search(pattern, line):
                    out.append(line)
        if pattern is None:
            # $HD_VALGRIND: memory errors count as errors of the run
            out.extend(self.valgrind_errors())
        return out

    # -------------------------------------------------------------------- db

    def db(self):
        """Read-only sqlite3 connection to the helpdesk db (sqlite only)."""
        if not self.db_path:
            raise DovecotError("helpdesk_db is not sqlite: %r" % self.settings.get("helpdesk_db"))
        uri = "file:%s?mode=ro" % urllib.parse.quote(os.path.abspath(self.db_path))
        return sqlite3.connect(uri, uri=True, timeout=5)

    def store_exists(self):
        """True once the helpdesk store was created (SQLite: its file;
        PostgreSQL: its tables)."""
        if self.pg is not None:
            return bool(self.sql("SELECT 1 FROM information_schema.tables "
                                 "WHERE table_name = 'hd_tickets'"))
        return os.path.exists(self.db_path)

    @contextlib.contextmanager
    def store_away(self):
        """The store is unavailable inside the with block: SQLite's file
        is moved away, PostgreSQL's server is stopped. The log's part
        written meanwhile is remembered (log_errors(outages=False))."""
        start = self.log_mark()
        try:
            with self._store_away():
                yield
        finally:
            # what the processes logged reaches the log process (and the
            # file) a moment later
            time.sleep(0.3)
            self.outages.append((start, self.log_mark()))

    @contextlib.contextmanager
    def _store_away(self):
        if self.pg is not None:
            self.pg.stop_server()
            try:
                yield
            finally:
                self.pg.start_server()
            return
        away = self.db_path + ".away"
        os.rename(self.db_path, away)
        try:
            yield
        finally:
            os.rename(away, self.db_path)

    def sql(self, query, args=()):
        """Rows (tuples) of a read-only query on the helpdesk store, with
        ? placeholders, on SQLite or PostgreSQL."""
        if self.pg is not None:
            return self._pg_sql(query, args, write=False)
        db = self.db()
        try:
            return db.execute(query, args).fetchall()
        finally:
            db.close()

    def sql_write(self, query, args=()):
        """Write to the store behind the plugin's back (a damaged or
        edited store); returns the number of rows changed. SQLite is
        written as the mail user, so that its -wal/-shm files stay usable
        by the mail processes."""
        if self.pg is not None:
            return self._pg_sql(query, args, write=True)
        return self.sql_write_many([(query, args)])

    def sql_write_many(self, statements):
        """sql_write() of statements [(query, args)] in one SQLite
        transaction; returns the rows the last one changed."""
        sys.stdout.flush()
        sys.stderr.flush()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:    # child
            code = 1
            try:
                os.close(r)
                os.setgid(self._gid)
                os.setuid(self._uid)
                db = sqlite3.connect(self.db_path, timeout=10)
                db.execute("PRAGMA busy_timeout = 10000")
                rows = 0
                with db:
                    for query, args in statements:
                        rows = db.execute(query, args).rowcount
                os.write(w, str(rows).encode())
                db.close()
                code = 0
            except BaseException as e:
                os.write(w, ("error: %r" % (e,)).encode())
            finally:
                os._exit(code)
        os.close(w)
        out = b""
        while True:
            chunk = os.read(r, 4096)
            if not chunk:
                break
            out += chunk
        os.close(r)
        _, status = os.waitpid(pid, 0)
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            raise DovecotError("store write %r failed: %s" % (
                [q for q, _ in statements][:3], out.decode()))
        return int(out)

    @staticmethod
    def _pg_literal(value):
        if value is None:
            return "NULL"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return "'" + str(value).replace("'", "''") + "'"

    def _pg_sql(self, query, args, write):
        parts = query.split("?")
        if len(parts) - 1 != len(args):
            raise DovecotError("%d parameters for %r" % (len(args), query))
        text = parts[0] + "".join(self._pg_literal(a) + p
                                  for a, p in zip(args, parts[1:]))
        if write:
            out = self.pg.psql(text, db=self.pg_db, tuples_only=False)
            m = re.search(r"^(?:UPDATE|DELETE|INSERT \d+) (\d+)$", out, re.M)
            return int(m.group(1)) if m else 0
        out = self.pg.psql(text, db=self.pg_db, sep="\x1f", null="\x02",
                           record_sep="\x1e")
        rows = []
        for rec in out.split("\x1e"):
            if rec.strip("\n") == "":
                continue
            fields = []
            for f in rec.strip("\n").split("\x1f"):
                if f == "\x02":
                    fields.append(None)
                elif re.fullmatch(r"-?\d{1,18}", f):
                    fields.append(int(f))
                else:
                    fields.append(f)
            rows.append(tuple(fields))
        return rows


def _quote_mailbox(name):
    if re.match(r"^[A-Za-z0-9/._+-]+$", name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
