"""neomutt -- drive the real neomutt client (Debian 12: NeoMutt 20220429) in
a private tmux server, for dovecot-helpdesk integration tests.

Python 3 standard library only; needs /usr/bin/neomutt and /usr/bin/tmux.

    import hdtest
    from neomutt import NeoMutt

    with hdtest.Dovecot() as dc:
        dc.deliver(hdtest.make_message(subject="Printer on fire"))
        with NeoMutt(hdtest.HOST, dc.imap_port, "alice") as nm:
            nm.select_message("Printer on fire")
            mark = nm.log_mark()
            nm.modify_tags(add="mylabel")     # <modify-tags>, " mylabel", Enter
            print(nm.message())               # neomutt's message line
            print(nm.imap_commands("STORE", since=mark))
            # ['a0008 UID STORE 1 -FLAGS.SILENT (hd-new hd-tier-1 hd-prio-normal)',
            #  'a0009 UID STORE 1 +FLAGS.SILENT (hd-new hd-tier-1 hd-prio-normal mylabel)']

Screen (default 160x50): row 0 is the help line ("q:Quit  d:Del ..." in the
index, "i:Exit  -:PrevPg ..." in the pager), then the index (or pager), the
status bar ("-*-NeoMutt: +Public/Queue [Msgs:3 New:3 1.7K]---..." in the
index) on row 48 and the message/prompt line on row 49.  In the index
neomutt parks the terminal cursor on the current message's row (tmux
cursor_y); in a prompt the cursor is on the last row at the edit position.

The driver's $index_format is neomutt's default plus the tags:
    "%4C %Z %{%b %d} %-15.15L (%?l?%4l&%4c?) %s  [%g]"
so a row looks like
    "   2 N   Nov 30 customer@exampl (0.4K) [#2] VPN down  [hd-new hd-tier-1 hd-prio-high]"
(row_tags() parses the trailing [...]).  What neomutt shows is not
always what the server has (verified, see tests/lib/neomutt_selftest.py):
- keyword-only changes by other sessions arrive with the next NOOP (about
  1 s with the driver's settings) but a row is repainted only when
  something redraws it: redraw() (C-l) first, tags_of() does;
- after its own <modify-tags> neomutt shows (and next prefills) exactly
  the set typed, discarding any FETCH (FLAGS ...) the server sent in the
  STORE's response (e.g. the plugin turning hd-claim into hd-owner-USER);
  only reopening the folder (c =Public/Queue Enter) shows the truth.
- "* OK [ALERT] text" is ignored; "* NO text" is shown as an error; a
  tagged NO to a STORE shows "Failed to modify tags, aborting" (the NO
  text only in M, show-log-messages: error_history()).

The debug log (-d 5 -l LOG: neomutt writes LOG + "0", older runs rotate to
LOG1, LOG2 ...) has one record per debug call, continuation lines have no
prefix:

    [2026-11-30 12:01:37]<2> mutt_socket_write_d() 4> a0024 UID STORE 1:3 +FLAGS.SILENT (Old)\\r
    [2026-11-30 12:01:37]<5> mutt_socket_readln_d() 4< a0024 OK Store completed (0.001 + 0.000 secs).

"[local time, 1 s resolution]<level> function() text", level 1-5 or M/E/W
(messages, errors, warnings shown to the user).  IMAP traffic is
mutt_socket_write_d() "FD> " + the bytes written (one write may carry
several pipelined commands: the further ones are continuation lines; lines
keep their CR) and mutt_socket_readln_d() "FD< " + one line read (without
CRLF).  Literal data from the server is logged by imap_read_literal() as
continuation lines, not as readln.  "Got op OP_NAME (n)" (level 1, from
mutt_index_menu and the pager) records each function neomutt dispatched.
The log holds the password (AUTHENTICATE PLAIN base64).

Environment: HD_KEEP (non-empty) keeps the work directory (rc, log, tmux
socket) after stop().
"""

import atexit
import collections
import fcntl
import os
import re
import shlex
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import threading
import time
import weakref

from hdproc import file_size, pid_alive, read_text

NEOMUTT = "/usr/bin/neomutt"
TMUX = "/usr/bin/tmux"

# Arguments of keys() that are tmux key names; everything else is literal.
_KEY_RE = re.compile(r"^(Enter|Escape|Tab|BTab|BSpace|Space|Up|Down|Left|Right|"
                     r"Home|End|PageUp|PageDown|PgUp|PgDn|PPage|NPage|DC|IC|"
                     r"F[0-9]{1,2}|[CMS]-.+)$")

_REC_RE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\]<(.)> (\w+)\(\) ?(.*)$")
_TAG_RE = re.compile(r"^([A-Za-z]\d{4,}) ")
_STATUS_RE = re.compile(r"^-.-NeoMutt: ")
_YESNO_RE = re.compile(r"\((\[yes\]/no|yes/\[no\])\):?\s*$")


class ImapLine(collections.namedtuple("ImapLine", "time fd dir tag text")):
    """One line of IMAP traffic from neomutt's debug log.

    time  "YYYY-MM-DD HH:MM:SS" (local time)
    fd    socket file descriptor (int), one per IMAP connection
    dir   ">" sent by neomutt, "<" received
    tag   command tag ("a0024"; a second connection uses "b0001"...) for
          tagged commands and tagged responses, "*" untagged, "+"
          continuation request, None for other lines (literal data)
    text  the line without CRLF
    """
    __slots__ = ()

    def __str__(self):
        return "%s %s" % (self.dir, self.text)


class NeoMuttError(RuntimeError):
    pass


_running = weakref.WeakSet()


def _stop_all():
    for nm in list(_running):
        try:
            nm.stop(graceful=False)
        except Exception:
            pass


atexit.register(_stop_all)

_counter = 0
_counter_lock = threading.Lock()


def _rc_quote(value):
    """A double-quoted muttrc value."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') \
        .replace("$", "\\$").replace("`", "\\`") + '"'


def _pattern_quote(value):
    """A double-quoted string for a neomutt pattern (=s "...")."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _descendant_named(root, name):
    """pid of a live descendant of process root whose command name is
    name, or None."""
    procs = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.find("(") + 1:stat.rfind(")")]
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and fields[0] not in ("Z", "X"):
            procs[int(entry)] = (int(fields[1]), comm)
    for pid, (_ppid, comm) in procs.items():
        if comm != name:
            continue
        p = pid
        for _ in range(64):
            if p not in procs:
                break
            p = procs[p][0]
            if p == root:
                return pid
    return None


class NeoMutt:
    """neomutt as a help desk agent's client, in a detached tmux session.

    NeoMutt(imap_host, imap_port, user, password="pass",
            folder="Public/Queue", extra_rc="", debug_log=True,
            width=160, height=50, workdir=None, start=True)

    folder    mailbox opened at start ($spoolfile = +folder); None: INBOX
    extra_rc  muttrc text appended after the driver's settings (a later
              `set` wins), e.g. the project's shipped snippet
    debug_log run with -d 5 -l LOG (needed by imap_log() and by
              wait_idle()'s in-flight check)
    workdir   private directory for HOME, TMPDIR, the rc, the log and the
              tmux socket (default mkdtemp /tmp/nm-*, removed by stop()
              unless $HD_KEEP, or kept when start() fails)
    start     start() at once

    Attributes: workdir, rc_path, log_path, folder_url, pid (neomutt's).
    """

    # neomutt's defaults except where tests need otherwise.  Kept at the
    # default on purpose: mark_old (stores the Old keyword at close),
    # resolve (cursor advances after an action), delete=ask-yes,
    # confirmappend, quit=yes.  sleep_time=0 (default 1) makes errors that
    # are followed by another message flash by: set it back to 1 to see
    # what an agent sees.
    BASE_RC = """\
# generated by tests/lib/neomutt.py
set imap_user = {user}
set imap_pass = {password}
set folder = {folder_url}
set spoolfile = {spool}
set ssl_starttls = no
set ssl_force_tls = no
set imap_check_subscribed = no
set imap_keepalive = 60
set mail_check = 1
set timeout = 1
set sleep_time = 0
set wait_key = no
set beep = no
set header_cache = ""
set message_cachedir = ""
set tmpdir = {tmpdir}
set alias_file = {home_q}/aliases
set mailcap_path = {home_q}/mailcap
set record = ""
set postponed = {home_q}/postponed
set editor = "/bin/true"
set charset = "utf-8"
set index_format = "%4C %Z %{{%b %d}} %-15.15L (%?l?%4l&%4c?) %s  [%g]"
"""

    def __init__(self, imap_host, imap_port, user, password="pass",
                 folder="Public/Queue", extra_rc="", debug_log=True,
                 width=160, height=50, workdir=None, start=True):
        global _counter
        self.imap_host = imap_host
        self.imap_port = int(imap_port)
        self.user = user
        self.password = password
        self.folder = folder
        self.extra_rc = extra_rc or ""
        self.debug_log = bool(debug_log)
        self.width = int(width)
        self.height = int(height)
        self._own_workdir = workdir is None
        if workdir is None:
            workdir = tempfile.mkdtemp(prefix="nm-", dir="/tmp")
        else:
            os.makedirs(workdir, exist_ok=True)
        self.workdir = os.path.abspath(workdir)
        self.home = os.path.join(self.workdir, "home")
        self.tmpdir = os.path.join(self.workdir, "tmp")
        for d in (self.home, self.tmpdir):
            os.makedirs(d, exist_ok=True)
        self.rc_path = os.path.join(self.workdir, "neomuttrc")
        self.log_base = os.path.join(self.workdir, "neomutt.log")
        self.log_path = self.log_base + "0"
        self.tmux_socket = os.path.join(self.workdir, "tmux.sock")
        self.status_path = os.path.join(self.workdir, "exit-status")
        with _counter_lock:
            _counter += 1
            self.session = "nm%d_%d" % (os.getpid(), _counter)
        self.folder_url = "imap://%s@%s:%d/" % (user, imap_host, self.imap_port)
        self.pid = None
        self._tty = None
        self._barrier_n = 0
        self._log_cache = {"off": 0, "recs": [], "open": None, "partial": b""}
        self._write_rc()
        if start:
            self.start()

    # ------------------------------------------------------------ setup

    def _write_rc(self):
        spool = ("+" + self.folder) if self.folder else (self.folder_url + "INBOX")
        text = self.BASE_RC.format(
            user=_rc_quote(self.user), password=_rc_quote(self.password),
            folder_url=_rc_quote(self.folder_url), spool=_rc_quote(spool),
            tmpdir=_rc_quote(self.tmpdir), home_q=self.home)
        for name in ("aliases", "mailcap"):
            open(os.path.join(self.home, name), "a").close()
        if self.extra_rc:
            text += "\n# extra_rc\n" + self.extra_rc
            if not text.endswith("\n"):
                text += "\n"
        with open(self.rc_path, "w") as f:
            f.write(text)
        os.chmod(self.rc_path, 0o600)

    def _tmux(self, *args, check=True):
        p = subprocess.run([TMUX, "-S", self.tmux_socket] + [str(a) for a in args],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True,
                           timeout=30)
        if check and p.returncode != 0:
            raise NeoMuttError("tmux %s failed (%d): %s" % (
                " ".join(map(str, args)), p.returncode, p.stderr.strip()))
        return p

    def start(self, timeout=30):
        """Start neomutt in its own tmux server; wait until the folder's
        index is shown and neomutt is idle.  Fails fast on a login error."""
        if self.pid is not None:
            raise NeoMuttError("already started")
        cmd = [NEOMUTT, "-n", "-F", self.rc_path]      # -n: no /etc/neomuttrc
        if self.debug_log:
            cmd += ["-d", "5", "-l", self.log_base]
        env = ["env", "-i", "HOME=" + self.home, "TMPDIR=" + self.tmpdir,
               "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
               "TERM=tmux-256color", "ESCDELAY=25", "USER=" + self.user,
               "EDITOR=/bin/true", "VISUAL=/bin/true",
               "MAILCAPS=" + os.path.join(self.home, "mailcap")]
        # The pane runs /bin/sh, which records neomutt's exit status (tmux's
        # pane_dead_status is not reliably set).
        if os.path.exists(self.status_path):
            os.unlink(self.status_path)
        shell_cmd = "/bin/sh -c %s" % shlex.quote(
            "%s; echo $? > %s" % (" ".join(shlex.quote(a) for a in env + cmd),
                                  shlex.quote(self.status_path)))
        # -f /dev/null: no tmux.conf; -S: a server of our own
        self._tmux("-f", "/dev/null", "new-session", "-d", "-s", self.session,
                   "-x", self.width, "-y", self.height, shell_cmd)
        _running.add(self)
        try:
            self._tmux("set-option", "-s", "escape-time", "0")
            self._tmux("set-option", "-g", "remain-on-exit", "on")
            self._tmux("set-option", "-g", "status", "off")
            self._tmux("resize-window", "-t", self.session, "-x", self.width,
                       "-y", self.height, check=False)
            self._tty = self._display("#{pane_tty}")
            shell = int(self._display("#{pane_pid}"))
            deadline = time.monotonic() + 10
            while self.pid is None:
                self.pid = _descendant_named(shell, "neomutt")
                if self.pid is None:
                    if time.monotonic() > deadline:
                        raise NeoMuttError("neomutt did not start\n%s" % self.screen())
                    time.sleep(0.02)
            name = (self.folder or "INBOX")
            ok = r"^-.-NeoMutt: \S*%s\b" % re.escape(name)
            bad = r"Login failed|Password for |Could not connect|Connection refused|" \
                  r"Authentication failed|No authenticators available|is not a mailbox"
            m = self.wait_for("(?P<ok>%s)|(?P<bad>%s)" % (ok, bad), timeout=timeout)
            if m.group("bad"):
                raise NeoMuttError("neomutt could not open %s: %r\n%s" % (
                    name, m.group("bad"), self._diag()))
            self.wait_idle(timeout=timeout)
        except Exception:
            self.stop(graceful=False, keep_workdir=True)
            raise
        return self

    # ------------------------------------------------------------ tmux

    def _target(self):
        return self.session + ":0.0"

    def _display(self, fmt):
        return self._tmux("display-message", "-p", "-t", self._target(), fmt).stdout.rstrip("\n")

    @property
    def alive(self):
        """neomutt is still running."""
        return self.pid is not None and pid_alive(self.pid)

    def exit_status(self, timeout=3.0):
        """neomutt's exit status once it has exited (128+N when killed by
        signal N), None while it runs."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with open(self.status_path) as f:
                    text = f.read().strip()
                if text:
                    return int(text)
            except (OSError, ValueError):
                pass
            if self.alive or time.monotonic() > deadline:
                return None
            time.sleep(0.02)

    def keys(self, *parts):
        """Type keys.  Each part is a tmux key name (Enter, Escape, Tab,
        BSpace, Space, Up, Down, PageUp, F1, C-g, C-u, M-x ...) or literal
        text ("\\n" inside text is sent as Enter).
        keys("s", "C-u", "=Public/Resolved", "Enter").  Never type a key
        that is unbound in the current menu: neomutt 20220429 then also
        swallows the key after it."""
        for part in parts:
            if _KEY_RE.match(part):
                self._tmux("send-keys", "-t", self._target(), part)
                continue
            chunks = part.split("\n")
            for i, chunk in enumerate(chunks):
                self._literal(chunk)
                if i < len(chunks) - 1:
                    self._tmux("send-keys", "-t", self._target(), "Enter")

    def _literal(self, s):
        # tmux takes an argument ending in ";" as a command separator (the
        # ";" is silently not typed); "\;" types a semicolon.
        if not s:
            return
        if s.endswith(";"):
            if s[:-1]:
                self._tmux("send-keys", "-t", self._target(), "-l", "--", s[:-1])
            self._tmux("send-keys", "-t", self._target(), "-l", "--", "\\;")
        else:
            self._tmux("send-keys", "-t", self._target(), "-l", "--", s)

    def text(self, s):
        """Type s literally, no key names."""
        self._literal(s)

    def screen(self):
        """The screen as text: exactly `height` lines, trailing blanks
        stripped."""
        out = self._tmux("capture-pane", "-p", "-t", self._target()).stdout
        lines = out.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        lines += [""] * (self.height - len(lines))
        return "\n".join(lines[:self.height])

    def lines(self):
        return self.screen().split("\n")

    def cursor(self):
        """(x, y) of the terminal cursor."""
        x, y = self._display("#{cursor_x} #{cursor_y}").split()
        return int(x), int(y)

    def message(self):
        """The last row: neomutt's message line (notices, errors) or the
        prompt being edited."""
        return self.lines()[-1].rstrip()

    def status_line(self):
        """The index status bar, or None when not visible."""
        for line in self.lines():
            if _STATUS_RE.match(line):
                return line
        return None

    # ------------------------------------------------------------ waiting

    def wait_until(self, predicate, timeout=10.0, what="condition", interval=0.05):
        """Poll predicate() until it returns a true value; return that.
        TimeoutError (with the screen and the IMAP log tail) on timeout;
        NeoMuttError at once if neomutt exits."""
        deadline = time.monotonic() + timeout
        while True:
            v = predicate()
            if v:
                return v
            if not self.alive:
                raise NeoMuttError("neomutt exited (status %r) while waiting for %s\n%s"
                                   % (self.exit_status(), what, self._diag()))
            if time.monotonic() > deadline:
                raise TimeoutError("timed out after %.1fs waiting for %s\n%s"
                                   % (timeout, what, self._diag()))
            time.sleep(interval)

    def wait_for(self, regex, timeout=10.0, flags=re.M):
        """Wait until regex matches the screen text (re.M: ^ and $ per
        row); return the match."""
        rx = re.compile(regex, flags) if isinstance(regex, str) else regex
        return self.wait_until(lambda: rx.search(self.screen()), timeout,
                               "%r on the neomutt screen" % rx.pattern)

    def wait_gone(self, regex, timeout=10.0, flags=re.M):
        """Wait until regex no longer matches the screen."""
        rx = re.compile(regex, flags) if isinstance(regex, str) else regex
        self.wait_until(lambda: not rx.search(self.screen()), timeout,
                        "%r to leave the neomutt screen" % rx.pattern)

    def input_pending(self):
        """Bytes typed into neomutt's terminal that it has not read yet."""
        if not self._tty:
            return 0
        try:
            fd = os.open(self._tty, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:
            return 0
        try:
            buf = fcntl.ioctl(fd, termios.FIONREAD, struct.pack("i", 0))
            return struct.unpack("i", buf)[0]
        finally:
            os.close(fd)

    def wait_idle(self, timeout=15.0, quiet=0.3):
        """Wait until neomutt has read every key typed, no IMAP command is
        in flight (with debug_log) and the screen has not changed for
        `quiet` seconds.  Returns the screen."""
        state = {"last": None, "since": time.monotonic()}

        def idle():
            scr = self.screen()
            now = time.monotonic()
            if scr != state["last"]:
                state["last"], state["since"] = scr, now
                return None
            if now - state["since"] >= quiet and self.input_pending() == 0 \
                    and not self.imap_in_flight():
                return scr
            return None
        return self.wait_until(idle, timeout, "neomutt to be idle")

    def barrier(self, timeout=15.0):
        """Exact sync point in the index or the pager (not in a prompt):
        types `:echo MARK` and waits for it, so every key typed before has
        been processed.  Overwrites the message line."""
        self._barrier_n += 1
        mark = "nm-barrier-%d" % self._barrier_n
        self.keys(":echo %s" % mark, "Enter")
        self.wait_for(r"^%s\s*\Z" % mark, timeout=timeout)
        return self.wait_idle(timeout=timeout)

    def _diag(self, scr=None):
        if scr is None:
            try:
                scr = self.screen()
            except Exception as e:
                scr = "(no screen: %s)" % e
        tail = ""
        if self.debug_log:
            tail = "\n".join(str(l)[:300] for l in self.imap_log()[-12:])
        return "--- neomutt screen ---\n%s\n--- imap log tail ---\n%s" % (scr, tail)

    # ------------------------------------------------------------ index

    def in_index(self):
        """The index is on screen (help line "q:Quit  d:Del ...")."""
        first = self.lines()[0]
        return "q:Quit" in first and "d:Del" in first

    def in_pager(self):
        first = self.lines()[0]
        return first.startswith("i:Exit")

    def index_lines(self):
        """The visible message rows of the index, top to bottom.  Raises
        NeoMuttError when the index is not on screen."""
        lines = self.lines()
        if not ("q:Quit" in lines[0] and "d:Del" in lines[0]):
            raise NeoMuttError("not in the index:\n%s" % "\n".join(lines))
        rows = []
        for line in lines[1:]:
            if _STATUS_RE.match(line):
                break
            if line.strip():
                rows.append(line.rstrip())
        return rows

    def current_line(self):
        """The index row of the current message, or None."""
        _, y = self.cursor()
        lines = self.lines()
        if 0 < y < len(lines) - 2 and self.in_index() and lines[y].strip() \
                and not _STATUS_RE.match(lines[y]):
            return lines[y].rstrip()
        return None

    def find_message(self, subject):
        """The visible index row containing subject (substring), or None.
        NeoMuttError when several rows contain it."""
        hits = [l for l in self.index_lines() if subject in l]
        if len(hits) > 1:
            raise NeoMuttError("%d index rows contain %r:\n%s"
                               % (len(hits), subject, "\n".join(hits)))
        return hits[0] if hits else None

    @staticmethod
    def row_tags(row):
        """Tags shown in a row of the driver's $index_format (the trailing
        "[...]"), as a list."""
        m = re.search(r"\[([^\[\]]*)\]\s*$", row or "")
        return m.group(1).split() if m else None

    def tags_of(self, subject):
        """Tags the index shows for the message, after a redraw (neomutt
        does not repaint keyword-only changes made by other sessions).  A
        row that is not visible is selected first (moves the cursor)."""
        self.redraw()
        row = self.find_message(subject)
        if row is None:
            row = self.select_message(subject)
        return self.row_tags(row)

    def redraw(self):
        """C-l (redraw-screen); returns the screen once idle."""
        self.keys("C-l")
        return self.wait_idle()

    def select_message(self, subject, timeout=10.0):
        """Make the message whose row contains subject the current one and
        return its row.  A visible row: jump by its number ("<n>" Enter;
        $index_format must start with %C).  Otherwise: search
        (/ =s "subject" Enter)."""
        cur = self.current_line()
        if cur is not None and subject in cur:
            return cur
        row = self.find_message(subject)
        if row is not None:
            m = re.match(r"^\s*(?:->)?\s*(\d+)\s", row)
            if not m:
                raise NeoMuttError("index row has no message number (index_format "
                                   "must start with %%C): %r" % row)
            self.keys(m.group(1), "Enter")
        else:
            self.keys("/")
            self.wait_for(r"^Search for:", timeout=timeout)
            self.text("=s " + _pattern_quote(subject))
            self.keys("Enter")

        def selected():
            c = self.current_line()
            return c if c is not None and subject in c else None
        return self.wait_until(selected, timeout, "%r to be the current message" % subject)

    # ------------------------------------------------------------ actions

    def exec_function(self, name):
        """Run a neomutt function by name (`:exec name` Enter), bound to a
        key or not (modify-tags has no default key)."""
        self.keys(":exec %s" % name, "Enter")

    def modify_tags(self, add=None, text=None, timeout=15.0):
        """<modify-tags> on the current message.  The "Tags: " prompt comes
        prefilled with the message's keywords (space separated, cursor at
        the end).  add: type " add" after them; text: replace them all
        (C-u, then text).  neomutt stores at once on Enter (no sync
        needed).  Returns the prompt as first shown."""
        self.exec_function("modify-tags")
        prompt = self.wait_for(r"^Tags:(?: .*)?$", timeout=timeout).group(0)
        if text is not None:
            self.keys("C-u")
            self.wait_for(r"^Tags:\s*\Z", timeout=timeout)
            self.text(text)
        elif add:
            self.text(" " + add)
        self.keys("Enter")
        self.wait_gone(r"^Tags:", timeout=timeout)
        self.wait_idle(timeout=timeout)
        return prompt

    def edit_label(self, label, timeout=15.0):
        """Y (edit-label): sets the X-Label header, not a keyword; neomutt
        rewrites the message (APPEND + delete + EXPUNGE) at the next sync.
        Returns the message line ("1 label changed")."""
        self.keys("Y")
        self.wait_for(r"^Label:", timeout=timeout)
        self.keys("C-u")
        self.text(label)
        self.keys("Enter")
        self.wait_gone(r"^Label:", timeout=timeout)
        self.wait_idle(timeout=timeout)
        return self.message()

    def save_to(self, mailbox="=Public/Resolved", timeout=20.0):
        """s (save-message) of the current message to mailbox, answering
        "Append messages to ...? ([yes]/no)" (or "Create ...?") with y:
        neomutt sends UID COPY at once and marks the original deleted (D)
        locally; sync() then asks "Purge 1 deleted message?" and
        expunges.  Returns the message line."""
        self.keys("s")
        self.wait_for(r"^Save to mailbox", timeout=timeout)
        self.keys("C-u")
        self.text(mailbox)
        self.keys("Enter")
        self.wait_gone(r"^Save to mailbox", timeout=timeout)
        last = self.wait_idle(timeout=timeout).split("\n")[-1]
        if re.search(r"^(Append messages to|Create) .*\? \(\[yes\]/no\):", last):
            self.keys("y")
            self.wait_idle(timeout=timeout)
        return self.message()

    def sync(self, purge=True, timeout=20.0):
        """$ (sync-mailbox); answers "Purge N deleted messages?" with y
        (purge=True) or n.  Returns the message line."""
        self.keys("$")
        scr = self.wait_idle(timeout=timeout)
        last = scr.split("\n")[-1]
        if re.search(r"^Purge \d+ deleted messages?\?", last):
            self.keys("y" if purge else "n")
            self.wait_idle(timeout=timeout)
        return self.message()

    def error_history(self):
        """M (show-log-messages, neomutt's error history): the messages
        neomutt showed on the message line, oldest first, e.g.
        "[12:07:24]<M> IMAP command failed: a0009 NO [NOPERM] ...".  With
        debug_log the debug records are listed too.  Returns to the index.
        Only the first screen page is read."""
        self.keys("M")
        self.wait_for(r"^i:Exit")
        scr = self.wait_idle()
        rows = [l for l in scr.split("\n")[1:-2] if l.strip()]
        self.keys("q")
        self.wait_until(self.in_index, 10, "the index")
        self.wait_idle()
        return rows

    def quit(self, timeout=15.0):
        """Leave neomutt as a user: C-g (abort a prompt), then q until it
        exits (from the pager: twice), taking the default answer of any
        yes/no question (e.g. "Purge 1 deleted message? ([yes]/no)": yes).
        Returns the exit status."""
        deadline = time.monotonic() + timeout
        self.keys("C-g")
        while self.alive:
            if time.monotonic() > deadline:
                raise TimeoutError("neomutt did not quit\n%s" % self._diag())
            try:
                self.wait_idle(timeout=5, quiet=0.2)
            except NeoMuttError:
                break               # it exited
            except TimeoutError:
                pass
            if not self.alive:
                break
            self.keys("Enter" if _YESNO_RE.search(self.message()) else "q")
            try:
                self.wait_until(lambda: not self.alive or self.input_pending() == 0,
                                3, "neomutt to read the key")
            except (TimeoutError, NeoMuttError):
                pass
        return self.exit_status()

    def stop(self, graceful=True, keep_workdir=False):
        """graceful: quit() as a user would (neomutt syncs, stores Old and
        expunges on CLOSE); otherwise SIGTERM.  Then kill the tmux server
        and remove the work directory (not with $HD_KEEP or keep_workdir).
        Safe to call twice."""
        _running.discard(self)
        if self.pid is not None:
            pid = self.pid
            if graceful:
                try:
                    if self.alive:
                        self.quit(timeout=10)
                except Exception:
                    pass
            if pid_alive(pid):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                deadline = time.monotonic() + 5
                while pid_alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.02)
                if pid_alive(pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            # neomutt has exited: tmux reaps it; then end our tmux server
            self._tmux("kill-server", check=False)
            self.pid = None
        if self._own_workdir and not keep_workdir and not os.environ.get("HD_KEEP"):
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        if self.pid is None:
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop(graceful=exc_type is None, keep_workdir=exc_type is not None)
        return False

    def __repr__(self):
        return "<NeoMutt %s %s pid=%s workdir=%s>" % (self.user, self.folder_url,
                                                       self.pid, self.workdir)

    # ------------------------------------------------------------ debug log

    def log_text(self, since=0):
        """The raw debug log from byte offset since."""
        return read_text(self.log_path, since)

    def log_mark(self):
        """Current size of the log: pass as since= to the log methods."""
        return file_size(self.log_path)

    def _update_log(self):
        c = self._log_cache
        try:
            with open(self.log_path, "rb") as f:
                f.seek(c["off"])
                data = f.read()
        except OSError:
            return
        if not data:
            return
        base = c["off"] - len(c["partial"])
        c["off"] += len(data)
        data = c["partial"] + data
        end = data.rfind(b"\n")
        if end < 0:
            c["partial"] = data
            return
        c["partial"] = data[end + 1:]
        pos = base
        for raw in data[:end + 1].split(b"\n")[:-1]:
            line = raw.decode("utf-8", "replace")
            m = _REC_RE.match(line)
            if m:
                if c["open"] is not None:
                    c["recs"].append(tuple(c["open"]))
                c["open"] = [pos, m.group(1), m.group(2), m.group(3), m.group(4)]
            elif c["open"] is not None:
                c["open"][4] += "\n" + line
            pos += len(raw) + 1

    def log_records(self, since=0):
        """[(offset, time, level, function, text)] of the debug log from
        byte offset since; continuation lines joined with "\\n"."""
        self._update_log()
        c = self._log_cache
        recs = c["recs"] + ([tuple(c["open"])] if c["open"] is not None else [])
        if since:
            lo, hi = 0, len(recs)
            while lo < hi:
                mid = (lo + hi) // 2
                if recs[mid][0] < since:
                    lo = mid + 1
                else:
                    hi = mid
            recs = recs[lo:]
        return recs

    def imap_log(self, since=0):
        """IMAP traffic in the debug log (from byte offset since) as a list
        of ImapLine(time, fd, dir, tag, text)."""
        out = []
        for _off, t, _lvl, func, text in self.log_records(since):
            if func == "mutt_socket_write_d":
                m = re.match(r"^(-?\d+)> ?", text)
                if not m:
                    continue
                fd = int(m.group(1))
                for piece in re.split(r"\r?\n", text[m.end():]):
                    piece = piece.rstrip("\r")
                    if not piece:
                        continue
                    tm = _TAG_RE.match(piece)
                    out.append(ImapLine(t, fd, ">", tm.group(1) if tm else None, piece))
            elif func == "mutt_socket_readln_d":
                m = re.match(r"^(-?\d+)< ?", text)
                if not m:
                    continue
                piece = text[m.end():].split("\n", 1)[0].rstrip("\r")
                if piece.startswith("* "):
                    tag = "*"
                elif piece.startswith("+"):
                    tag = "+"
                else:
                    tm = _TAG_RE.match(piece)
                    tag = tm.group(1) if tm else None
                out.append(ImapLine(t, int(m.group(1)), "<", tag, piece))
        return out

    def imap_commands(self, regex=None, since=0):
        """Commands neomutt sent (tag included: "a0008 UID STORE ..."),
        those matching regex (re.search) when given."""
        rx = re.compile(regex) if regex else None
        return [l.text for l in self.imap_log(since)
                if l.dir == ">" and l.tag and (rx is None or rx.search(l.text))]

    def imap_exchanges(self, regex=None, since=0):
        """[(command, [untagged/continuation lines], tagged reply or None)]
        for each command sent (matching regex); untagged lines go to the
        oldest command in flight on their connection."""
        rx = re.compile(regex) if regex else None
        result = []
        pending = collections.defaultdict(list)
        for l in self.imap_log(since):
            if l.dir == ">" and l.tag:
                entry = [l.text, [], None]
                result.append(entry)
                pending[l.fd].append((l.tag, entry))
            elif l.dir == "<":
                waiting = pending[l.fd]
                if l.tag not in (None, "*", "+"):
                    for i, (tag, entry) in enumerate(waiting):
                        if tag == l.tag:
                            entry[2] = l.text
                            del waiting[i]
                            break
                elif waiting:
                    waiting[0][1][1].append(l.text)
        return [tuple(e) for e in result if rx is None or rx.search(e[0])]

    def imap_in_flight(self):
        """Tags of commands sent and not answered yet ([] without the log)."""
        if not self.debug_log:
            return []
        pending = collections.OrderedDict()
        for l in self.imap_log():
            if l.dir == ">" and l.tag:
                pending[(l.fd, l.tag)] = True
            elif l.dir == "<" and l.tag not in (None, "*", "+"):
                pending.pop((l.fd, l.tag), None)
            elif l.dir == "<" and l.tag == "*" and l.text.startswith("* BYE"):
                for k in [k for k in pending if k[0] == l.fd]:
                    pending.pop(k)
        return [tag for (_fd, tag) in pending]
