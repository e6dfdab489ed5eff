"""thunderbird -- drive the real Thunderbird client in integration tests.

Python 3 standard library only.  Needs the Debian packages thunderbird,
xvfb (Xvfb) and imagemagick (import, for screenshots only).

    from thunderbird import Thunderbird

    with Thunderbird("127.0.0.1", dc.imap_port, "alice", "pass") as tb:
        tb.wait_folder("Public/Queue")
        tb.open_folder("Public/Queue")
        for r in tb.rows():
            print(r["uid"], r["subject"], r["keywords"], r["tags"])
        tb.add_keyword("Printer on fire", "hd-claim")   # the agent tags it
        print(tb.alerts())                             # server texts shown

Each instance gets its own scratch root (/tmp/tb-run-XXXX: home, profile,
logs), its own Xvfb (display number chosen by Xvfb itself, -displayfd) and
its own Marionette port.  stop() (also __exit__, atexit and SIGTERM via
SystemExit) kills every process it started: Thunderbird's whole process
group and Xvfb; the root is removed unless keep=True or $TB_KEEP is set.

The profile (fresh=True) is the one Thunderbird's own account setup writes
for one IMAP account (see _account_prefs()), plus prefs that only skip the
first-run screens (_QUIET_PREFS).  Nothing else: folder discovery uses
Thunderbird's default (only subscribed folders, LSUB / LIST (SUBSCRIBED)),
no mailnews.tags.* are defined.  The password is put into the profile's
key4.db / logins.json with Thunderbird's own NSS, so no prompt appears.

Alerts (what alerts() returns).  Thunderbird 153 passes a server's NO /
[ALERT] text to the mail session's user-feedback listeners (its alertHook
adds it to the activity manager and tries a desktop notification; without
one, here, the text is shown as a window-modal common dialog "Alert").
The driver collects, without losing short-lived ones:
  1. its own nsIMsgUserFeedbackListener (every text, even if shown as a
     notification), installed right after Marionette's session starts;
  2. an observer of "common-dialog-loaded" (every modal dialog's text);
  3. the activity manager's warnings as of that moment (alerts raised
     during startup, before 1 and 2 existed);
  4. the dialog text Marionette reports when it refuses a command
     ("unexpected alert open"), and commonDialog windows still open.
The same alert seen by several of these is reported once.
Modal dialogs block Thunderbird (the IMAP connection that raised one
waits for it; a dialog during startup even keeps Marionette from giving
a session, because it suspends the main window's idle callbacks): a
dialog open while Marionette waits for its session is closed by pressing
Return in it through X11/XTEST (X11 class, recorded in startup_dialogs);
afterwards, with auto_dismiss=True (default) every dialog is closed as
soon as it loads; with auto_dismiss=False it stays on screen (see
screenshot()), commands raise AlertOpenError, and alerts() closes it.

API (all waits poll with short intervals and have timeouts):
  Thunderbird(imap_host, imap_port, user, password, fresh=True,
              user_js_extra="", display=None, log_imap=True,
              smtp_port=None, ...)
  start() / stop() / with-block   processes(): pids still running
  execute(js, args) / execute_async(js, args)   chrome-context JavaScript
  folders(detail=False)   wait_folder(name)   wait_discovery()
  open_folder(name)   refresh()   rows()
  add_keyword(subject_or_uid, kw)   remove_keyword(...)   get_keywords(...)
  display_message(subject_or_uid)   message_links()   click_link(href)
  wait_compose()   compose_fields()   compose_send(how="button"|"command")
  alerts()   wait_alert(regex)   imap_log()   imap_commands()
  screenshot(path)   timings (dict of seconds per step)

Environment:  TB_KEEP  keep the scratch root after stop()
              TB_BIN   Thunderbird binary (default /usr/lib/thunderbird/thunderbird)
"""

import atexit
import collections
import glob
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref

from hdproc import free_port, install_sigterm, read_text, wait_until  # noqa: F401

TB_DIR = "/usr/lib/thunderbird"
TB_BIN = os.environ.get("TB_BIN") or os.path.join(TB_DIR, "thunderbird")
XVFB = "/usr/bin/Xvfb"
IMPORT = "/usr/bin/import"

_running = weakref.WeakSet()


def _stop_all():
    for tb in list(_running):
        try:
            tb.stop()
        except Exception:
            pass


atexit.register(_stop_all)


LogLine = collections.namedtuple("LogLine", "direction text conn time")


class ThunderbirdError(RuntimeError):
    pass


class JavaScriptError(ThunderbirdError):
    pass


class AlertOpenError(ThunderbirdError):
    """Marionette refused a command because a modal dialog is open (only
    raised with auto_dismiss=False; call alerts() to read and close it).
    .text: the dialog's text."""

    def __init__(self, message, text=None):
        ThunderbirdError.__init__(self, message)
        self.text = text


# --------------------------------------------------------------------------
# Marionette (protocol 3: "len:json" frames)
# --------------------------------------------------------------------------

class Marionette:
    """A minimal Marionette client: command(name, params) -> result."""

    def __init__(self, port, host="127.0.0.1", timeout=60.0):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.settimeout(timeout)
        self._buf = b""
        self._id = 0
        self.hello = self._recv()

    def _recv(self):
        while b":" not in self._buf:
            self._fill()
        n, rest = self._buf.split(b":", 1)
        n = int(n)
        self._buf = rest
        while len(self._buf) < n:
            self._fill()
        data, self._buf = self._buf[:n], self._buf[n:]
        return json.loads(data.decode("utf-8"))

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ThunderbirdError("Marionette connection closed")
        self._buf += chunk

    def command(self, name, params=None, timeout=None, while_waiting=None):
        """Send one command and return its result.  while_waiting: called
        about every 0.5 s until the answer comes (within timeout)."""
        self._id += 1
        msg = json.dumps([0, self._id, name, params or {}]).encode("utf-8")
        self.sock.sendall(str(len(msg)).encode() + b":" + msg)
        old = self.sock.gettimeout()
        total = timeout if timeout is not None else old
        deadline = time.monotonic() + total
        self.sock.settimeout(0.5 if while_waiting else total)
        try:
            while True:
                try:
                    resp = self._recv()
                except socket.timeout:
                    if while_waiting is None or time.monotonic() > deadline:
                        raise ThunderbirdError("%s: no answer within %.0fs" % (name, total))
                    while_waiting()
                    continue
                if isinstance(resp, list) and len(resp) == 4 and resp[0] == 1 \
                        and resp[1] == self._id:
                    break
        finally:
            self.sock.settimeout(old)
        err, result = resp[2], resp[3]
        if err:
            if isinstance(err, dict) and err.get("error") == "javascript error":
                raise JavaScriptError("%s\n%s" % (err.get("message"), err.get("stacktrace", "")))
            if isinstance(err, dict) and err.get("error") == "unexpected alert open":
                raise AlertOpenError("%s: %s" % (name, err.get("message")),
                                     (err.get("data") or {}).get("text"))
            raise ThunderbirdError("%s: %r" % (name, err))
        return result

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------
# A tiny X11 client (core protocol + XTEST) to press a key in a dialog
# --------------------------------------------------------------------------

class X11:
    """Just enough of the X protocol to find Thunderbird's dialog windows
    (top-level windows with WM_TRANSIENT_FOR) on a local display and press
    Return in one (SetInputFocus + XTEST fake key): for a modal alert that
    Thunderbird opens during startup, before Marionette can have a session
    (a window-modal dialog suspends the main window's idle callbacks, and
    Marionette's NewSession waits for "mail-idle-startup-tasks-finished")."""

    WM_NAME, WM_CLASS, WM_TRANSIENT_FOR = 39, 67, 68

    def __init__(self, display):
        import struct
        self._st = struct
        num = display.lstrip(":").split(".")[0]
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect("/tmp/.X11-unix/X%s" % num)
        self.sock.sendall(struct.pack("<BxHHHH2x", ord("l"), 11, 0, 0, 0))
        head = self._recvn(8)
        extra = self._recvn(struct.unpack("<H", head[6:8])[0] * 4)
        if head[0] != 1:
            raise ThunderbirdError("X11 connection refused: %r" % extra)
        (_rel, _base, _mask, _mbs, vlen, _maxreq, nscreens, nformats, _ibo, _bbo,
         _su, _sp, self.min_keycode, self.max_keycode) = struct.unpack("<IIIIHHBBBBBBBB", extra[:28])
        off = 32 + (vlen + 3) // 4 * 4 + 8 * nformats
        self.root = struct.unpack("<I", extra[off:off + 4])[0]
        self._xtest = None

    def _recvn(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ThunderbirdError("X11 connection closed")
            buf += chunk
        return buf

    def _request(self, data, reply=True):
        self.sock.sendall(data)
        if not reply:
            return None
        while True:
            head = self._recvn(32)
            if head[0] == 1:
                n = self._st.unpack("<I", head[4:8])[0]
                return head + self._recvn(n * 4)
            if head[0] == 0:
                raise ThunderbirdError("X11 error %d" % head[1])
            # an event: ignore

    @staticmethod
    def _pad(b):
        return b + b"\0" * (-len(b) % 4)

    def children(self, window=None):
        r = self._request(self._st.pack("<BxHI", 15, 2, window or self.root))
        n = self._st.unpack("<H", r[16:18])[0]
        return list(self._st.unpack("<%dI" % n, r[32:32 + 4 * n]))

    def viewable(self, window):
        try:
            r = self._request(self._st.pack("<BxHI", 3, 2, window))
        except ThunderbirdError:
            return False
        return r[26] == 2

    def prop(self, window, atom):
        try:
            r = self._request(self._st.pack("<BBHIIIII", 20, 0, 6, window, atom, 0, 0, 4096))
        except ThunderbirdError:
            return None
        fmt = r[1]
        n = self._st.unpack("<I", r[16:20])[0]
        if fmt == 0:
            return None
        return r[32:32 + n * (fmt // 8)]

    def dialogs(self):
        """Viewable top-level windows that are transient for another one:
        [(window, title)]."""
        out = []
        for w in self.children():
            if self.viewable(w) and self.prop(w, self.WM_TRANSIENT_FOR):
                title = (self.prop(w, self.WM_NAME) or b"").decode("utf-8", "replace")
                out.append((w, title))
        return out

    def _keycode(self, keysym):
        count = self.max_keycode - self.min_keycode + 1
        r = self._request(self._st.pack("<BxHBB2x", 101, 2, self.min_keycode, count))
        per = r[1]
        syms = self._st.unpack("<%dI" % (count * per), r[32:32 + 4 * count * per])
        for i in range(count):
            if keysym in syms[i * per:(i + 1) * per]:
                return self.min_keycode + i
        raise ThunderbirdError("no keycode for keysym %#x" % keysym)

    def _xtest_opcode(self):
        if self._xtest is None:
            name = b"XTEST"
            r = self._request(self._st.pack("<BxHH2x", 98, 2 + (len(name) + 3) // 4,
                                            len(name)) + self._pad(name))
            if not r[8]:
                raise ThunderbirdError("the X server has no XTEST")
            self._xtest = r[9]
        return self._xtest

    def _fake(self, evtype, detail, x=0, y=0, root=0):
        """XTEST FakeInput: 2 KeyPress, 3 KeyRelease, 4 ButtonPress,
        5 ButtonRelease, 6 MotionNotify (absolute x, y on root)."""
        self._request(self._st.pack("<BBHBBHIIIIhhIHBB", self._xtest_opcode(), 2, 9, evtype,
                                    detail, 0, 0, root, 0, 0, x, y, 0, 0, 0, 0), reply=False)

    def press(self, window, keysym=0xff0d):
        """Focus window and press+release a key (default Return) via XTEST."""
        self._xtest_opcode()
        code = self._keycode(keysym)
        self._request(self._st.pack("<BBHII", 42, 2, 3, window, 0), reply=False)
        for evtype in (2, 3):       # KeyPress, KeyRelease
            self._fake(evtype, code)
        self._request(self._st.pack("<BxH", 43, 1))    # GetInputFocus: sync

    def click(self, x, y, button=1):
        """Move the pointer to (x, y) of the screen and press+release a
        mouse button there via XTEST: the X server delivers the events to
        whatever window is under the pointer, as for a user's click."""
        self._fake(6, 0, int(round(x)), int(round(y)), self.root)    # MotionNotify
        self._request(self._st.pack("<BxH", 43, 1))
        time.sleep(0.05)
        self._fake(4, button)
        time.sleep(0.05)
        self._fake(5, button)
        self._request(self._st.pack("<BxH", 43, 1))    # GetInputFocus: sync

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------
# Password storage with Thunderbird's own NSS
# --------------------------------------------------------------------------

# Runs in a child python with LD_LIBRARY_PATH=/usr/lib/thunderbird: creates
# key4.db (empty primary password) and prints the SDR-encrypted strings.
_NSS_SCRIPT = r"""
import base64, ctypes, json, sys
req = json.load(sys.stdin)
nss = ctypes.CDLL("libnss3.so")
class SECItem(ctypes.Structure):
    _fields_ = [("type", ctypes.c_uint), ("data", ctypes.c_void_p), ("len", ctypes.c_uint)]
nss.NSS_InitReadWrite.argtypes = [ctypes.c_char_p]
nss.PK11_GetInternalKeySlot.restype = ctypes.c_void_p
nss.PK11_NeedUserInit.argtypes = [ctypes.c_void_p]
nss.PK11_InitPin.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
nss.PK11_Authenticate.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
nss.PK11SDR_Encrypt.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
nss.SECITEM_ZfreeItem.argtypes = [ctypes.c_void_p, ctypes.c_int]
nss.PK11_FreeSlot.argtypes = [ctypes.c_void_p]
if nss.NSS_InitReadWrite(("sql:" + req["profile"]).encode()) != 0:
    sys.exit("NSS_InitReadWrite failed")
slot = nss.PK11_GetInternalKeySlot()
if nss.PK11_NeedUserInit(slot):
    if nss.PK11_InitPin(slot, None, b"") != 0:
        sys.exit("PK11_InitPin failed")
if nss.PK11_Authenticate(slot, 1, None) != 0:
    sys.exit("PK11_Authenticate failed")
out = []
for s in req["plain"]:
    raw = s.encode("utf-8")
    buf = ctypes.create_string_buffer(raw, len(raw))
    keyid = SECItem(0, None, 0)
    data = SECItem(0, ctypes.cast(buf, ctypes.c_void_p), len(raw))
    res = SECItem(0, None, 0)
    if nss.PK11SDR_Encrypt(ctypes.byref(keyid), ctypes.byref(data), ctypes.byref(res), None) != 0:
        sys.exit("PK11SDR_Encrypt failed")
    out.append(base64.b64encode(ctypes.string_at(res.data, res.len)).decode())
    nss.SECITEM_ZfreeItem(ctypes.byref(res), 0)
nss.PK11_FreeSlot(slot)
nss.NSS_Shutdown()
json.dump(out, sys.stdout)
"""


def store_login(profile, origin, username, password):
    """Put one login (origin = httpRealm, e.g. "imap://127.0.0.1") into the
    profile's key4.db / logins.json, as Thunderbird's account setup does
    with "remember password"."""
    env = dict(os.environ, LD_LIBRARY_PATH=TB_DIR)
    p = subprocess.run([sys.executable, "-c", _NSS_SCRIPT],
                       input=json.dumps({"profile": profile,
                                         "plain": [username, password]}),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, env=env, timeout=60)
    if p.returncode != 0:
        raise ThunderbirdError("NSS encryption failed: %s" % p.stderr.strip())
    enc_user, enc_pass = json.loads(p.stdout)
    path = os.path.join(profile, "logins.json")
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = {"nextId": 1, "logins": [], "potentiallyVulnerablePasswords": [],
                "dismissedBreachAlertsByLoginGUID": {}, "version": 3}
    now = int(time.time() * 1000)
    data["logins"].append({
        "id": data["nextId"], "hostname": origin, "httpRealm": origin,
        "formSubmitURL": None, "usernameField": "", "passwordField": "",
        "encryptedUsername": enc_user, "encryptedPassword": enc_pass,
        "guid": "{%s}" % uuid.uuid4(), "encType": 1,
        "timeCreated": now, "timeLastUsed": now, "timePasswordChanged": now,
        "timesUsed": 1, "syncCounter": 0, "everSynced": False,
        "encryptedUnknownFields": None})
    data["nextId"] += 1
    with open(path, "w") as f:
        json.dump(data, f)


# --------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------

# Only what keeps first-run / default-client / account hub / telemetry /
# update / start-page screens and background network chatter away.  None
# of these changes how Thunderbird talks IMAP or shows folders and tags.
_QUIET_PREFS = [
    ("mail.shell.checkDefaultClient", False),     # "make default client" dialog
    ("mailnews.start_page.enabled", False),       # start page tab
    ("mailnews.start_page.override_url", ""),
    ("mail.rights.version", 1),                   # "know your rights" bar
    ("mail.inappnotifications.enabled", False),   # donation / news bars
    ("mail.provider.suppress_dialog_on_startup", True),
    ("datareporting.policy.dataSubmissionEnabled", False),
    ("datareporting.policy.dataSubmissionPolicyBypassNotification", True),
    ("datareporting.healthreport.uploadEnabled", False),
    ("toolkit.telemetry.enabled", False),
    ("toolkit.telemetry.reportingpolicy.firstRun", False),
    ("app.update.auto", False),
    ("app.update.checkInstallTime", False),
    ("extensions.update.enabled", False),
    ("extensions.getAddons.cache.enabled", False),
    ("browser.startup.homepage_override.mstone", "ignore"),
    ("toolkit.startup.max_resumed_crashes", -1),  # no safe-mode dialog
    ("browser.shell.checkDefaultBrowser", False),
    ("general.useragent.updates.enabled", False),
    ("services.settings.server", "http://127.0.0.1:1/"),  # no remote settings
    ("network.connectivity-service.enabled", False),
    ("network.captive-portal-service.enabled", False),
]


def _js_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(str(v))


def _account_prefs(host, port, user, email, fresh, smtp_port=25):
    """What Thunderbird 153's account setup (CreateInBackend.sys.mjs) stores
    for one IMAP account with a plain-text, cleartext-password server and
    remembered password (the SMTP server is never contacted unless a test
    sends mail).  Local Folders Thunderbird adds itself."""
    clientid = str(uuid.uuid4())
    prefs = [
        ("mail.accountmanager.accounts", "account1"),
        ("mail.accountmanager.defaultaccount", "account1"),
        ("mail.account.account1.server", "server1"),
        ("mail.account.account1.identities", "id1"),
        ("mail.server.server1.type", "imap"),
        ("mail.server.server1.hostname", host),
        ("mail.server.server1.port", int(port)),
        ("mail.server.server1.userName", user),
        ("mail.server.server1.socketType", 0),       # plain, no STARTTLS
        ("mail.server.server1.authMethod", 3),       # cleartext password
        ("mail.server.server1.name", email),
        ("mail.server.server1.check_new_mail", True),
        ("mail.server.server1.check_time", 10),
        ("mail.server.server1.login_at_startup", True),
        ("mail.server.server1.valid", True),
        ("mail.server.server1.clientid", clientid),
        ("mail.smtpservers", "smtp1"),
        ("mail.smtp.defaultserver", "smtp1"),
        ("mail.smtpserver.smtp1.type", "smtp"),
        ("mail.smtpserver.smtp1.hostname", host),
        ("mail.smtpserver.smtp1.port", int(smtp_port)),
        ("mail.smtpserver.smtp1.try_ssl", 0),
        ("mail.smtpserver.smtp1.authMethod", 3),
        ("mail.smtpserver.smtp1.username", user),
        ("mail.smtpserver.smtp1.clientid", clientid),
        ("mail.identity.id1.fullName", user),
        ("mail.identity.id1.useremail", email),
        ("mail.identity.id1.reply_on_top", 1),
        ("mail.identity.id1.valid", True),
        ("mail.identity.id1.smtpServer", "smtp1"),
        ("mail.identity.id1.fcc_folder", "imap://%s@%s/Sent" % (user, host)),
        ("mail.identity.id1.draft_folder", "imap://%s@%s/Drafts" % (user, host)),
        ("mail.identity.id1.stationery_folder", "imap://%s@%s/Templates" % (user, host)),
        ("mail.identity.id1.fcc_folder_picker_mode", "0"),
        ("mail.identity.id1.drafts_folder_picker_mode", "0"),
        ("mail.identity.id1.tmpl_folder_picker_mode", "0"),
    ]
    if not fresh:
        prefs.append(("mail.server.server1.using_subscription", False))
    return prefs


# --------------------------------------------------------------------------
# Chrome-context JavaScript
# --------------------------------------------------------------------------

# Prepended to every script: helpers over the 3-pane window.
_JS_PRELUDE = r"""
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const TB = arguments[0];
const ARGS = arguments[1];
function mainWin() { return Services.wm.getMostRecentWindow("mail:3pane"); }
function about3() {
  const w = mainWin();
  return w && w.gTabmail && w.gTabmail.currentAbout3Pane;
}
function server() {
  return MailServices.accounts.findServer(TB.user, TB.host, "imap");
}
function folderURI(name) {
  return server().serverURI + "/" + name.split("/").map(encodeURIComponent).join("/");
}
function folderName(f) {
  const base = server().serverURI + "/";
  return f.URI.startsWith(base) ? decodeURIComponent(f.URI.slice(base.length)) : f.URI;
}
function getFolder(name) {
  // a name with a space: Thunderbird's URI of the folder keeps the space
  // ("imap://bob@host/Helpdesk/At risk"), folderURI() encodes it
  const f = MailServices.folderLookup.getFolderForURL(folderURI(name)) ||
    server().rootFolder.descendants.find(d => folderName(d) == name);
  if (!f) throw new Error("no such folder: " + name);
  return f;
}
function hdrByKey(folder, key) {
  return folder.msgDatabase.getMsgHdrForKey(key);
}
"""


class Thunderbird:
    """Thunderbird with one IMAP account, under Xvfb, driven by Marionette.

    Thunderbird(imap_host, imap_port, user, password, fresh=True,
                user_js_extra="", display=None, log_imap=True, email=None,
                auto_dismiss=True, keep=False, start=True, timeout=90,
                smtp_port=None)

    fresh          True: the profile a fresh install's account setup makes
                   (only subscribed folders shown); False: also
                   using_subscription=false (every folder listed).
    user_js_extra  text appended to user.js (e.g. mailnews.tags.* prefs).
    display        an X display (":5") to use instead of a private Xvfb.
    log_imap       MOZ_LOG=IMAP:5 into PROFILE/imap.log (see imap_log()).
    auto_dismiss   close modal alert dialogs as soon as they load (their
                   text is recorded for alerts()); False: leave them open
                   until alerts() is called.
    keep           keep the scratch root after stop() (also $TB_KEEP).
    smtp_port      the account's SMTP server: imap_host:smtp_port, plain,
                   AUTH PLAIN/LOGIN with user and password (stored like
                   the IMAP one).  None: port 25, no password stored (the
                   SMTP server is then never contacted).

    Attributes: root, profile, home, display, marionette_port, timings
    (seconds per step, e.g. timings["startup"]), proc.
    """

    def __init__(self, imap_host, imap_port, user, password, fresh=True,
                 user_js_extra="", display=None, log_imap=True, email=None,
                 auto_dismiss=True, keep=False, start=True, timeout=90, smtp_port=None):
        self.host = imap_host
        self.smtp_port = int(smtp_port) if smtp_port else None
        self.port = int(imap_port)
        self.user = user
        self.password = password
        self.fresh = fresh
        self.user_js_extra = user_js_extra or ""
        self.email = email or "%s@example.com" % user
        self.log_imap = log_imap
        self.auto_dismiss = auto_dismiss
        self.keep = keep or bool(os.environ.get("TB_KEEP"))
        self.timeout = timeout
        self.root = tempfile.mkdtemp(prefix="tb-run-", dir="/tmp")
        os.chmod(self.root, 0o755)
        self.home = os.path.join(self.root, "home")
        self.profile = os.path.join(self.root, "profile")
        os.makedirs(self.home)
        os.makedirs(self.profile)
        self.imap_log_path = os.path.join(self.profile, "imap.log")
        self.display = display
        self._own_display = display is None
        self.xvfb = None
        self.proc = None
        self.mn = None
        self.marionette_port = None
        self.timings = {}
        # modal dialogs closed by a key press (X11) before Marionette had a
        # session: [{"title", "screenshot"}]; their texts, when they were
        # alerts, come from the activity manager through alerts()
        self.startup_dialogs = []
        self._marionette_alerts = []    # texts from "unexpected alert open"
        self._starting = False
        self.last_alerts = []           # alerts(): every record, with source
        self._pgid = None
        self._pgids = []        # process groups started (Xvfb, Thunderbird)
        self._lock = threading.RLock()
        if start:
            self.start()

    # ------------------------------------------------------------- profile

    def write_profile(self):
        """user.js (account + quiet prefs + user_js_extra) and the login."""
        self.marionette_port = free_port()
        lines = ["// written by tests/lib/thunderbird.py"]
        for k, v in _account_prefs(self.host, self.port, self.user, self.email, self.fresh,
                                   smtp_port=self.smtp_port or 25):
            lines.append('user_pref("%s", %s);' % (k, _js_value(v)))
        lines.append("// driver: first-run screens, telemetry, updates off")
        for k, v in _QUIET_PREFS:
            lines.append('user_pref("%s", %s);' % (k, _js_value(v)))
        lines.append('user_pref("marionette.port", %d);' % self.marionette_port)
        if self.user_js_extra:
            lines.append("// user_js_extra")
            lines.append(self.user_js_extra.rstrip("\n"))
        with open(os.path.join(self.profile, "user.js"), "w") as f:
            f.write("\n".join(lines) + "\n")
        if not os.path.exists(os.path.join(self.profile, "logins.json")):
            store_login(self.profile, "imap://%s" % self.host, self.user, self.password)
            if self.smtp_port:
                # "remember password" of the account setup stores both
                store_login(self.profile, "smtp://%s" % self.host, self.user, self.password)

    # ----------------------------------------------------------- lifecycle

    def _start_xvfb(self):
        r, w = os.pipe()
        try:
            with open(os.path.join(self.root, "xvfb.log"), "wb") as log:
                self.xvfb = subprocess.Popen(
                    [XVFB, "-displayfd", str(w), "-screen", "0", "1400x1000x24",
                     "-nolisten", "tcp", "-noreset"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    pass_fds=(w,), start_new_session=True)
            os.close(w)
            w = None
            buf = b""
            deadline = time.monotonic() + 20
            while not buf.endswith(b"\n"):
                if time.monotonic() > deadline or self.xvfb.poll() is not None:
                    raise ThunderbirdError("Xvfb did not start: %s" % read_text(
                        os.path.join(self.root, "xvfb.log")))
                ready, _, _ = select.select([r], [], [], 0.5)
                if ready:
                    chunk = os.read(r, 64)
                    if not chunk:
                        break
                    buf += chunk
            self.display = ":" + buf.decode().strip()
            self._pgids.append(self.xvfb.pid)
        finally:
            os.close(r)
            if w is not None:
                os.close(w)

    def _env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("MOZ_", "XDG_", "DBUS_", "WAYLAND", "XAUTHORITY"))}
        env.update({
            "HOME": self.home,
            "DISPLAY": self.display,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "XDG_CACHE_HOME": os.path.join(self.home, ".cache"),
            "XDG_DATA_HOME": os.path.join(self.home, ".local", "share"),
            "TMPDIR": os.path.join(self.root, "tmp"),
            # no session bus: no dbus autolaunch (a daemon left behind)
            "DBUS_SESSION_BUS_ADDRESS": "unix:path=%s" % os.path.join(self.root, "no-bus"),
            "NO_AT_BRIDGE": "1",
            "GTK_A11Y": "none",
            "MOZ_CRASHREPORTER_DISABLE": "1",
            "MOZ_DISABLE_AUTO_SAFE_MODE": "1",
        })
        os.makedirs(env["TMPDIR"], exist_ok=True)
        if self.log_imap:
            env["MOZ_LOG"] = "IMAP:5,timestamp,sync"
            env["MOZ_LOG_FILE"] = self.imap_log_path
        return env

    def start(self):
        """Write the profile, start Xvfb and Thunderbird, connect Marionette
        and wait until the 3-pane window shows the account."""
        if self.proc is not None:
            raise ThunderbirdError("already running")
        t0 = time.monotonic()
        install_sigterm()
        _running.add(self)
        try:
            self.write_profile()
            self.timings["profile"] = time.monotonic() - t0
            if self._own_display:
                self._start_xvfb()
            self.timings["xvfb"] = time.monotonic() - t0
            cmd = [TB_BIN, "--marionette", "-remote-allow-system-access",
                   "-no-remote", "-profile", self.profile]
            with open(os.path.join(self.root, "thunderbird.log"), "wb") as log:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=log, env=self._env(), cwd=self.root,
                                             start_new_session=True)
            self._pgid = self.proc.pid
            self._pgids.append(self.proc.pid)
            self._starting = True       # dialogs are closed even if not auto_dismiss
            self._connect()
            self.timings["marionette"] = time.monotonic() - t0
            self._install_hooks()
            self._wait_ready()
            self._starting = False
            self.timings["startup"] = time.monotonic() - t0
        except BaseException:
            log = read_text(os.path.join(self.root, "thunderbird.log"))[-4000:]
            self._starting = False
            self.stop()
            if sys.exc_info()[0] in (KeyboardInterrupt, SystemExit):
                raise
            raise ThunderbirdError("Thunderbird did not start (%s)\n--- thunderbird.log ---\n%s"
                                   % (sys.exc_info()[1], log))
        return self

    def _connect(self):
        deadline = time.monotonic() + self.timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ThunderbirdError("thunderbird exited with %s" % self.proc.returncode)
            try:
                self.mn = Marionette(self.marionette_port)
                break
            except (OSError, ThunderbirdError) as e:
                last = e
                time.sleep(0.1)
        else:
            raise ThunderbirdError("no Marionette on port %d: %s" % (self.marionette_port, last))
        # A modal dialog opened during startup (e.g. a server's NO/ALERT
        # text) keeps NewSession from answering: press Return in it (X11)
        try:
            x11 = X11(self.display)
        except (OSError, ThunderbirdError):
            x11 = None      # e.g. a display= over TCP: no startup dialog handling
        try:
            # "ignore": Marionette would otherwise dismiss any open dialog
            # itself and fail the command ("unexpected alert open")
            # (Marionette takes the capabilities as the parameters object)
            caps = {"unhandledPromptBehavior": "ignore"}
            self.mn.command("WebDriver:NewSession", caps, timeout=self.timeout,
                            while_waiting=x11 and (lambda: self._dismiss_startup_dialogs(x11)))
        finally:
            if x11:
                x11.close()
        self.mn.command("Marionette:SetContext", {"value": "chrome"})
        self.mn.command("WebDriver:SetTimeouts", {"script": int(self.timeout * 1000)})

    def _dismiss_startup_dialogs(self, x11):
        for win, title in x11.dialogs():
            shot = None
            if self.keep:   # evidence survives only a kept root
                shot = os.path.join(self.root, "startup-dialog-%d.png" % (len(self.startup_dialogs) + 1))
                try:
                    self.screenshot(shot)
                except Exception:
                    shot = None
            self.startup_dialogs.append({"title": title, "screenshot": shot})
            x11.press(win)

    def _wait_ready(self):
        js = r"""
          const w = mainWin();
          if (!w || w.document.readyState != "complete") return null;
          const a = about3();
          if (!a || !a.folderTree || !a.folderPane) return null;
          const s = server();
          if (!s) return "no-server";
          return a.folderPane.getRowForFolder ? !!a.folderPane.getRowForFolder(s.rootFolder, "all") : true;
        """
        v = wait_until(lambda: self.execute(js), timeout=self.timeout, interval=0.1,
                       what="the 3-pane window with the account")
        if v == "no-server":
            raise ThunderbirdError("the account did not load from user.js")

    def stop(self, timeout=15):
        """Quit Thunderbird, kill its process group and Xvfb, remove the
        root (unless keep).  Idempotent; never raises."""
        with self._lock:
            self._stop_processes(timeout)
            _running.discard(self)
            if not self.keep and os.path.isdir(self.root):
                shutil.rmtree(self.root, ignore_errors=True)

    def restart(self):
        """Stop Thunderbird (and Xvfb) and start it again on the same
        profile (no longer a fresh one: it keeps Thunderbird's folder list
        and message databases)."""
        with self._lock:
            self._stop_processes()
        return self.start()

    def _stop_processes(self, timeout=15):
        quit_sent = False
        if self.mn is not None:
            try:
                self.mn.command("Marionette:Quit", {"flags": ["eForceQuit"]}, timeout=10)
                quit_sent = True
            except Exception:
                pass
            self.mn.close()
            self.mn = None
        if self.proc is not None:
            if quit_sent:
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    pass
            self._kill_group(self._pgid, self.proc)
            self.proc = None
        if self.xvfb is not None:
            self._kill_group(self.xvfb.pid, self.xvfb)
            self.xvfb = None
            if self._own_display:
                self.display = None

    @staticmethod
    def _group_members(pgid):
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                out.append(int(d))
        return out

    def _kill_group(self, pgid, proc):
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            if proc.poll() is None or self._group_members(pgid):
                try:
                    os.killpg(pgid, sig)
                except ProcessLookupError:
                    pass
                try:
                    proc.wait(wait)
                except subprocess.TimeoutExpired:
                    pass
                try:
                    wait_until(lambda: not self._group_members(pgid), timeout=wait,
                               interval=0.05, what="process group %d to exit" % pgid)
                except TimeoutError:
                    continue
            if proc.poll() is not None and not self._group_members(pgid):
                return

    def processes(self):
        """Live pids of the process groups this instance started (Xvfb,
        Thunderbird and its children); [] after stop()."""
        return sorted(p for g in self._pgids for p in self._group_members(g))

    def __enter__(self):
        if self.proc is None:
            try:
                self.start()
            except BaseException:
                self.stop()
                raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # ----------------------------------------------------------- scripting

    def execute(self, js, args=None, async_=False, timeout=None):
        """Run js (a function body; `return` a JSON-able value) in the chrome
        context.  Inside: ARGS (the args given here), TB ({host, user,
        ...}), MailServices, mainWin(), about3(), server(), getFolder(name),
        folderName(folder), folderURI(name).  async_=True: ExecuteAsyncScript,
        finish with resolve(value) (or reject(error))."""
        tbinfo = {"host": self.host, "user": self.user, "port": self.port}
        if async_:
            body = (_JS_PRELUDE + "const __done = arguments[arguments.length - 1];\n"
                    "function resolve(v) { __done(v); }\n"
                    "function reject(e) { __done({__error: String(e) + '\\n' + (e && e.stack || '')}); }\n"
                    "(async () => {\n" + js + "\n})().catch(reject);\n")
            cmd = "WebDriver:ExecuteAsyncScript"
        else:
            body = _JS_PRELUDE + js
            cmd = "WebDriver:ExecuteScript"
        params = {"script": body, "args": [tbinfo, args],
                  "sandbox": "tbdriver", "newSandbox": False}
        with self._lock:
            for attempt in range(5):
                if self.mn is None:
                    raise ThunderbirdError("Thunderbird is not running")
                try:
                    res = self.mn.command(cmd, params, timeout=(timeout or self.timeout) + 10)
                    break
                except AlertOpenError as e:
                    # Marionette fails a command that runs while a modal
                    # dialog opens or is open (even with "ignore")
                    self._marionette_alerts.append(e.text)
                    if not (self.auto_dismiss or self._starting) or attempt == 4:
                        raise
                    self._accept_marionette_alert()
        value = res.get("value") if isinstance(res, dict) else res
        if isinstance(value, dict) and "__error" in value:
            raise JavaScriptError(value["__error"])
        return value

    def _accept_marionette_alert(self):
        """Close the dialog Marionette tracks (if still open)."""
        try:
            self.mn.command("WebDriver:AcceptAlert", {}, timeout=10)
        except ThunderbirdError:
            pass    # "no such alert": our observer closed it already

    def execute_async(self, js, args=None, timeout=None):
        """execute(js, args, async_=True)."""
        return self.execute(js, args, async_=True, timeout=timeout)

    # -------------------------------------------------------------- alerts

    def _install_hooks(self):
        """The alert collectors (see the module doc)."""
        self.execute(r"""
          // state shared by all scripts: on the system modules' global
          const g = Cu.getGlobalForObject(Services);
          if (g.__tbdriver) return true;
          const st = g.__tbdriver = {alerts: [], seen: new WeakSet(), autoDismiss: ARGS.autoDismiss};
          st.record = function (source, text, title) {
            st.alerts.push({source, text: String(text), title: title || "", time: Date.now()});
          };
          st.dialogText = function (dw) {
            const d = dw.document;
            const body = d.getElementById("infoBody");
            return {text: body ? body.textContent : "", title: d.title || ""};
          };
          st.dismiss = function (dw) {
            try {
              const dlg = dw.document.querySelector("dialog");
              if (dlg && dlg.acceptDialog) { dlg.acceptDialog(); return; }
            } catch (e) {}
            try { dw.close(); } catch (e) {}
          };
          st.feedback = {
            QueryInterface: ChromeUtils.generateQI(["nsIMsgUserFeedbackListener"]),
            onAlert(message, url, silent) {
              st.record("server", message, url ? url.spec : "");
              return false;
            },
            onCertError() {},
          };
          MailServices.mailSession.addUserFeedbackListener(st.feedback);
          st.observer = {
            observe(subject, topic) {
              try {
                const dw = subject.document ? subject : subject.ownerGlobal;
                if (!dw || st.seen.has(dw)) return;
                st.seen.add(dw);
                const t = st.dialogText(dw);
                st.record("dialog", t.text, t.title);
                if (st.autoDismiss) dw.setTimeout(() => st.dismiss(dw), 0);
              } catch (e) { st.record("error", "observer: " + e); }
            },
          };
          Services.obs.addObserver(st.observer, "common-dialog-loaded");
          // activity manager warnings from before the hooks were in place
          st.activities = new Set();
          try {
            const am = Cc["@mozilla.org/activity-manager;1"].getService(Ci.nsIActivityManager);
            for (const a of am.getActivities()) {
              st.activities.add(a.id);
              if (a instanceof Ci.nsIActivityWarning) st.record("activity", a.displayText, a.contextDisplayText);
            }
          } catch (e) { st.record("error", "activity manager: " + e); }
          // modal dialogs already open
          for (const dw of Services.wm.getEnumerator(null)) {
            if (dw.document.documentElement.id == "commonDialogWindow" ||
                dw.location.href.includes("commonDialog")) {
              st.observer.observe(dw, "common-dialog-loaded");
            }
          }
          return true;
        """, {"autoDismiss": self.auto_dismiss})

    def alerts(self, dismiss=True):
        """Texts of the alerts Thunderbird showed since the last call (server
        [ALERT]s / NO texts passed to the user, and modal dialogs), each
        once, oldest first.  Open modal dialogs are read and dismissed
        (dismiss=False: only read)."""
        # the dialog Marionette knows about blocks every script: first it
        with self._lock:
            try:
                text = self.mn.command("WebDriver:GetAlertText", {}, timeout=10)
                text = text.get("value") if isinstance(text, dict) else text
                self._marionette_alerts.append(text)
                if dismiss:
                    self._accept_marionette_alert()
            except ThunderbirdError:
                pass    # no dialog open
        pending = [{"source": "marionette", "text": t or "", "title": "", "time": 0}
                   for t in self._marionette_alerts]
        del self._marionette_alerts[:]
        res = self.execute(r"""
          const st = Cu.getGlobalForObject(Services).__tbdriver;
          for (const dw of Services.wm.getEnumerator(null)) {
            const href = dw.location.href;
            if (href.includes("commonDialog")) {
              if (!st.seen.has(dw)) st.observer.observe(dw, "common-dialog-loaded");
              if (ARGS.dismiss) st.dismiss(dw);
            }
          }
          const out = st.alerts.splice(0);
          return out;
        """, {"dismiss": dismiss}) + pending
        # one alert reaches us through several paths (feedback listener,
        # the dialog it falls back to, Marionette): a text is reported as
        # often as the path that saw it most often saw it (Marionette
        # repeats an open dialog's text for every refused command: once)
        counts = collections.OrderedDict()
        for a in res:
            key = (a.get("text") or "").strip()
            if a["source"] == "error" or not key:
                continue
            per = counts.setdefault(key, collections.Counter())
            per[a["source"]] += 1
        for per in counts.values():
            if per["marionette"]:
                per["marionette"] = 1
        self.last_alerts = res
        return [text for text, per in counts.items() for _ in range(max(per.values()))]

    def wait_alert(self, pattern, timeout=30):
        """Wait until an alert text matching regex pattern appears; returns
        it.  Other alerts collected meanwhile are dropped."""
        rx = re.compile(pattern)
        seen = []

        def check():
            for t in self.alerts():
                seen.append(t)
                if rx.search(t):
                    return t
            return None
        try:
            return wait_until(check, timeout=timeout, interval=0.2,
                              what="an alert matching %r" % pattern)
        except TimeoutError as e:
            raise TimeoutError("%s (seen: %r)" % (e, seen)) from None

    # ------------------------------------------------------------- folders

    def folders(self, detail=False):
        """The account's folders as the folder pane ("All folders" mode)
        has them, relative to the account, in pane order: ["INBOX", "Sent",
        "Trash", "Public", "Public/Queue"].  A folder under a collapsed
        parent is included (the agent sees it after a click on the twisty).
        detail=True: dicts {name, visible (no collapsed ancestor), noselect
        (a placeholder the server does not let one select)}."""
        rows = self.execute(r"""
          const a = about3();
          const base = server().serverURI + "/";
          const out = [];
          for (const row of a.folderTree.querySelectorAll('li[is="folder-tree-row"]')) {
            if (row.modeName != "all" || !row.uri || !row.uri.startsWith(base)) continue;
            let visible = true;
            for (let p = row.parentElement.closest("li"); p; p = p.parentElement.closest("li")) {
              if (p.classList.contains("collapsed")) visible = false;
            }
            const f = MailServices.folderLookup.getFolderForURL(row.uri);
            out.push({name: decodeURIComponent(row.uri.slice(base.length)), visible,
                      noselect: !!(f && (f.flags & Ci.nsMsgFolderFlags.ImapNoselect))});
          }
          return out;
        """)
        return rows if detail else [r["name"] for r in rows]

    def wait_folder(self, name, timeout=30):
        """Wait until folders() lists name; returns folders()."""
        t0 = time.monotonic()
        v = wait_until(lambda: (lambda f: f if name in f else None)(self.folders()),
                       timeout=timeout, interval=0.1, what="folder %r in the folder pane" % name)
        self.timings["wait_folder %s" % name] = time.monotonic() - t0
        return v

    def wait_discovery(self, timeout=30, quiet=0.5):
        """Wait until Thunderbird's folder discovery has run: it sent its
        LIST/LSUB commands, all of them are answered, and the folder pane
        has not changed for `quiet` seconds.  Use it before asserting that a
        folder is NOT listed.  Returns folders()."""
        t0 = time.monotonic()
        state = {"last": None, "since": None}

        def done():
            pending, sent = {}, 0
            for e in self.imap_log():
                words = e.text.split(None, 2)
                if len(words) < 2:
                    continue
                if e.direction == "C" and words[1].lower() in ("list", "lsub"):
                    pending[(e.conn, words[0])] = True
                    sent += 1
                elif e.direction == "S" and (e.conn, words[0]) in pending:
                    del pending[(e.conn, words[0])]
            if not sent or pending:
                state["last"] = None
                return None
            f = self.folders()
            now = time.monotonic()
            if f != state["last"]:
                state["last"], state["since"] = f, now
                return None
            return f if now - state["since"] >= quiet else None
        if not self.log_imap:
            raise ThunderbirdError("wait_discovery() needs log_imap=True")
        v = wait_until(done, timeout=timeout, interval=0.1, what="folder discovery")
        self.timings["wait_discovery"] = time.monotonic() - t0
        return v

    def open_folder(self, name, expand=True, timeout=30):
        """Select folder name in the 3-pane, make Thunderbird sync it with
        the server and wait until the thread pane shows all its messages.
        expand: expand all threads (default view is threaded)."""
        t0 = time.monotonic()
        # sync first, then display: an update started right after
        # displayFolder() (which starts its own) never calls its listener
        self.execute_async(r"""
          const a = about3();
          const folder = getFolder(ARGS.name);
          await new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error("updateFolder timed out")), ARGS.timeout * 1000);
            folder.QueryInterface(Ci.nsIMsgImapMailFolder).updateFolderWithListener(mainWin().msgWindow, {
              OnStartRunningUrl() {},
              OnStopRunningUrl(url, status) { clearTimeout(t); res(status); },
            });
          });
          a.displayFolder(folder.URI);
          resolve(true);
        """, {"name": name, "timeout": timeout}, timeout=timeout)

        def loaded():
            return self.execute(r"""
              const a = about3();
              const folder = getFolder(ARGS.name);
              if (a.gFolder != folder || !a.gDBView) return false;
              if (ARGS.expand) a.gDBView.doCommand(Ci.nsMsgViewCommandType.expandAll);
              const db = folder.msgDatabase;
              let n = 0;
              for (const h of db.enumerateMessages()) if (!(h.flags & Ci.nsMsgMessageFlags.Expunged)) n++;
              return a.gDBView.rowCount >= n ? [a.gDBView.rowCount, n] : false;
            """, {"name": name, "expand": expand})
        wait_until(loaded, timeout=timeout, interval=0.1, what="folder %r to load" % name)
        self.current_folder = name
        self.timings["open_folder %s" % name] = time.monotonic() - t0

    def refresh(self, timeout=30):
        """Make Thunderbird sync the open folder with the server now (what
        the periodic check would do), and wait for it."""
        t0 = time.monotonic()
        self.execute_async(r"""
          const a = about3();
          const folder = a.gFolder;
          await new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error("updateFolder timed out")), ARGS.timeout * 1000);
            folder.QueryInterface(Ci.nsIMsgImapMailFolder).updateFolderWithListener(mainWin().msgWindow, {
              OnStartRunningUrl() {},
              OnStopRunningUrl(url, status) { clearTimeout(t); res(status); },
            });
          });
          resolve(true);
        """, {"timeout": timeout}, timeout=timeout)
        self.timings["refresh"] = time.monotonic() - t0

    # ------------------------------------------------------------ messages

    _ROWS_JS = r"""
      const a = about3();
      const v = a.gDBView;
      const out = [];
      if (!v) return out;
      for (let i = 0; i < v.rowCount; i++) {
        const h = v.getMsgHdrAt(i);
        const kw = (h.getStringProperty("keywords") || "").split(" ").filter(Boolean);
        const tags = [];
        for (const k of kw) {
          if (MailServices.tags.isValidKey(k)) tags.push(MailServices.tags.getTagForKey(k));
        }
        let tagsText = "";
        try { tagsText = v.cellTextForColumn(i, "tagsCol"); } catch (e) {}
        out.push({uid: h.messageKey, subject: h.mime2DecodedSubject,
                  author: h.mime2DecodedAuthor, message_id: h.messageId,
                  keywords: kw, tags, tags_text: tagsText,
                  flags: h.flags, folder: folderName(h.folder)});
      }
      return out;
    """

    def rows(self):
        """The messages the thread pane shows, in display order: dicts with
        uid (msgKey = IMAP UID), subject, author, message_id, keywords (the hdr's "keywords"
        property, list), tags (display names of those keywords that have a
        tag definition), tags_text (the Tags column text), flags, folder."""
        return self.execute(self._ROWS_JS)

    def _uid(self, subject_or_uid):
        if isinstance(subject_or_uid, int):
            return subject_or_uid
        rows = self.rows()
        hits = [r["uid"] for r in rows if r["subject"] == subject_or_uid]
        if not hits:
            hits = [r["uid"] for r in rows if subject_or_uid in r["subject"]]
        if len(hits) != 1:
            raise ThunderbirdError("%d messages match %r in %r" % (
                len(hits), subject_or_uid, [r["subject"] for r in rows]))
        return hits[0]

    def _keywords_op(self, subject_or_uid, kw, op):
        uid = self._uid(subject_or_uid)
        self.execute(r"""
          const folder = about3().gFolder;
          const h = hdrByKey(folder, ARGS.uid);
          if (!h) throw new Error("no message with key " + ARGS.uid);
          if (ARGS.op == "add") folder.addKeywordsToMessages([h], ARGS.kw);
          else folder.removeKeywordsFromMessages([h], ARGS.kw);
          return true;
        """, {"uid": uid, "kw": kw, "op": op})
        return uid

    def add_keyword(self, subject_or_uid, kw):
        """Tag a message of the open folder with keyword kw (space-separated
        for several) as an agent does: folder.addKeywordsToMessages, which
        sends UID STORE +FLAGS (kw).  Returns the uid."""
        return self._keywords_op(subject_or_uid, kw, "add")

    def remove_keyword(self, subject_or_uid, kw):
        """Remove keyword kw: folder.removeKeywordsFromMessages
        (UID STORE -FLAGS).  Returns the uid."""
        return self._keywords_op(subject_or_uid, kw, "remove")

    def get_keywords(self, subject_or_uid):
        """The keywords of a message of the open folder as Thunderbird's own
        database has them now (what the agent sees)."""
        uid = self._uid(subject_or_uid)
        return self.execute(r"""
          const h = hdrByKey(about3().gFolder, ARGS.uid);
          return (h.getStringProperty("keywords") || "").split(" ").filter(Boolean);
        """, {"uid": uid})

    # ----------------------------------------------- message pane, compose

    _MSGDOC_JS = r"""
      function msgPane() {
        const a = about3();
        const am = a && a.messageBrowser && a.messageBrowser.contentWindow;
        if (!am || !am.getMessagePaneBrowser) return null;
        return am;
      }
      function msgDoc() {
        const am = msgPane();
        const b = am && am.getMessagePaneBrowser();
        if (!b) throw new Error("no message pane");
        if (b.isRemoteBrowser) throw new Error("the message pane is a remote browser");
        return b.contentDocument;
      }
    """

    def display_message(self, subject_or_uid, timeout=30):
        """Select a message of the open folder in the thread pane (what a
        click on its row does) and wait until the message pane has loaded
        it.  Returns {uid, subject, uri (the message's URI), url (the
        displayed document's), text (the document's visible text)}."""
        uid = self._uid(subject_or_uid)
        ok = self.execute(r"""
          const a = about3();
          for (let j = 0; j < a.gDBView.rowCount; j++) {
            if (a.gDBView.getKeyAt(j) == ARGS.uid) {
              a.threadTree.selectedIndex = j;
              return true;
            }
          }
          return false;
        """, {"uid": uid})
        if not ok:
            raise ThunderbirdError("message %r is not in the thread pane" % (subject_or_uid,))

        def loaded():
            return self.execute(self._MSGDOC_JS + r"""
              const am = msgPane();
              if (!am || !am.msgLoaded || !am.gMessage || am.gMessage.messageKey != ARGS.uid)
                return null;
              const d = msgDoc();
              if (!d || d.readyState != "complete" || !d.body || !d.body.textContent.trim())
                return null;
              return {uid: ARGS.uid, subject: am.gMessage.mime2DecodedSubject,
                      uri: am.gMessageURI, url: d.documentURI, text: d.body.innerText};
            """, {"uid": uid})
        t0 = time.monotonic()
        v = wait_until(loaded, timeout=timeout, interval=0.1,
                       what="message %r in the message pane" % (subject_or_uid,))
        self.timings["display_message"] = time.monotonic() - t0
        return v

    def message_links(self):
        """The <a> elements of the message the message pane shows (for a
        text/plain message: what Thunderbird's linkifier made of its text),
        in document order: dicts href (the attribute), url (resolved),
        protocol ("mailto:"), text, class, is_link (matches :any-link),
        visible (laid out, not hidden), cursor (computed CSS cursor)."""
        return self.execute(self._MSGDOC_JS + r"""
          const d = msgDoc();
          const w = d.defaultView;
          return [...d.querySelectorAll("a")].map(el => {
            const cs = w.getComputedStyle(el);
            return {href: el.getAttribute("href"), url: el.href, protocol: el.protocol,
                    text: el.textContent, class: el.className,
                    is_link: el.matches(":any-link"),
                    visible: el.getClientRects().length > 0 && cs.visibility == "visible",
                    cursor: cs.cursor};
          });
        """)

    def click_link(self, href, button=1, timeout=10):
        """Click, as a user does, the link of the displayed message whose
        href attribute is href: scroll it into view, move the X pointer to
        the middle of its first line and press/release the mouse button
        through XTEST (the X server sends the events to Thunderbird's
        window; Gecko hit-tests and dispatches them).  Checks that the
        point is on the link, and waits until the document saw the trusted
        click on it.  Returns {x, y (screen), events: [{type, trusted,
        button, href (of the <a> the target is in)}]}."""
        where = self.execute(self._MSGDOC_JS + r"""
          const d = msgDoc();
          const w = d.defaultView;
          const el = [...d.querySelectorAll("a")].find(a => a.getAttribute("href") == ARGS.href);
          if (!el) throw new Error("no link with href " + ARGS.href);
          el.scrollIntoView({block: "center"});
          const r = el.getClientRects()[0];
          const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
          const hit = d.elementFromPoint(cx, cy);
          if (!hit || !(hit == el || el.contains(hit)))
            throw new Error("the link's middle is covered by " + (hit && hit.outerHTML));
          // a record of what reaches the document (capture phase)
          const rec = w.__tbdriverClicks = [];
          for (const type of ["mousedown", "mouseup", "click"]) {
            w.addEventListener(type, e => {
              const a = e.target.closest ? e.target.closest("a") : null;
              rec.push({type: e.type, trusted: e.isTrusted, button: e.button,
                        href: a ? a.getAttribute("href") : null});
            }, {capture: true, once: true});
          }
          const s = w.devicePixelRatio;
          return {x: (w.mozInnerScreenX + cx) * s, y: (w.mozInnerScreenY + cy) * s};
        """, {"href": href})
        x11 = X11(self.display)
        try:
            x11.click(where["x"], where["y"], button)
        finally:
            x11.close()

        def clicked():
            ev = self.execute(self._MSGDOC_JS + r"""
              return msgDoc().defaultView.__tbdriverClicks || [];
            """)
            return ev if any(e["type"] == "click" for e in ev) else None
        try:
            where["events"] = wait_until(clicked, timeout=timeout, interval=0.1,
                                         what="the click to reach the message")
        except TimeoutError:
            raise ThunderbirdError("no click reached the message document at %r" % (where,))
        return where

    _COMPOSE_JS = r"""
      function composeWins() {
        return [...Services.wm.getEnumerator("msgcompose")].filter(w => !w.closed);
      }
      function composeWin() {
        const ws = composeWins();
        if (!ws.length) throw new Error("no compose window open");
        return ws[ws.length - 1];
      }
    """

    def compose_windows(self):
        """How many compose windows are open."""
        return self.execute(self._COMPOSE_JS + "return composeWins().length;")

    def compose_fields(self):
        """What the (newest) compose window shows: to, cc, bcc (the address
        pills' full addresses, lists), subject (the subject field), from
        (the From/identity field), identity (its key), body (the editor's
        text), html (composing HTML), pending (text typed in the address
        inputs, not yet a pill), ready (the window finished loading),
        send_enabled (cmd_sendNow)."""
        return self.execute(self._COMPOSE_JS + r"""
          const w = composeWin();
          const doc = w.document;
          if (doc.readyState != "complete" || !w.gLoadingComplete ||
              !doc.getElementById("msgSubject"))
            return {ready: false};
          const pills = id => [...doc.querySelectorAll("#" + id + " > mail-address-pill")]
            .map(p => p.fullAddress);
          let body = null;
          try { body = doc.getElementById("messageEditor").contentDocument.body.innerText; }
          catch (e) {}
          let sendEnabled = false;
          try { sendEnabled = w.defaultController.isCommandEnabled("cmd_sendNow"); } catch (e) {}
          return {
            ready: true,
            to: pills("toAddrContainer"), cc: pills("ccAddrContainer"),
            bcc: pills("bccAddrContainer"),
            pending: [...doc.querySelectorAll("input.address-row-input")]
              .map(i => i.value).filter(Boolean),
            subject: doc.getElementById("msgSubject").value,
            from: doc.getElementById("msgIdentity").value,
            identity: w.gCurrentIdentity ? w.gCurrentIdentity.key : null,
            html: !!(w.gMsgCompose && w.gMsgCompose.composeHTML),
            body, send_enabled: sendEnabled,
          };
        """)

    def wait_compose(self, timeout=30):
        """Wait until a compose window is open and loaded; compose_fields()."""
        t0 = time.monotonic()

        def ready():
            if not self.compose_windows():
                return None
            f = self.compose_fields()
            return f if f["ready"] else None
        v = wait_until(ready, timeout=timeout, interval=0.1, what="a compose window")
        self.timings["wait_compose"] = time.monotonic() - t0
        return v

    def compose_send(self, how="button", timeout=60):
        """Send the message of the (newest) compose window: how="button"
        clicks its Send button through XTEST (as click_link() clicks a
        link), how="command" runs cmd_sendNow (what the button and Ctrl+Enter
        do).  Waits until the window has closed (Thunderbird closes it once
        the message is sent and its copy filed); raises ThunderbirdError
        with the alerts shown meanwhile when it does not."""
        if how == "command":
            self.execute(self._COMPOSE_JS + r"""
              const w = composeWin();
              if (!w.defaultController.isCommandEnabled("cmd_sendNow"))
                throw new Error("cmd_sendNow is disabled");
              w.goDoCommand("cmd_sendNow");
              return true;
            """)
        elif how == "button":
            where = self.execute(self._COMPOSE_JS + r"""
              const w = composeWin();
              w.focus();
              const b = w.document.getElementById("button-send");
              if (!b || b.disabled) throw new Error("no enabled Send button");
              const r = b.getBoundingClientRect();
              const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
              const hit = w.document.elementFromPoint(cx, cy);
              if (!hit || !(hit == b || b.contains(hit)))
                throw new Error("the Send button is covered by " + (hit && hit.localName));
              const s = w.devicePixelRatio;
              return {x: (w.mozInnerScreenX + cx) * s, y: (w.mozInnerScreenY + cy) * s};
            """)
            x11 = X11(self.display)
            try:
                x11.click(where["x"], where["y"])
            finally:
                x11.close()
        else:
            raise ValueError("how: button or command")
        t0 = time.monotonic()
        try:
            wait_until(lambda: self.compose_windows() == 0, timeout=timeout, interval=0.2,
                       what="the compose window to close after sending")
        except TimeoutError as e:
            raise ThunderbirdError("%s; alerts: %r" % (e, self.alerts()))
        self.timings["compose_send"] = time.monotonic() - t0

    # ------------------------------------------------------------ evidence

    _LOG_RE = re.compile(r"^(\S+ \S+) UTC - \[[^\]]*\]: \S/IMAP ([0-9a-fx]+):"
                         r"(.*?):(SendData|CreateNewLineFromSocket): ?(.*)$")

    def imap_log(self, raw=False):
        """The IMAP lines Thunderbird sent and received (MOZ_LOG IMAP:5),
        oldest first: LogLine(direction "C" sent / "S" received, text,
        conn (connection id; tags are per connection), time (UTC text)).
        Thunderbird itself writes "Logging suppressed ..." for its login.
        raw=True: the whole log text."""
        text = "".join(read_text(p) for p in sorted(glob.glob(self.imap_log_path + "*")))
        if raw:
            return text
        out = []
        for line in text.splitlines():
            m = self._LOG_RE.match(line)
            if not m:
                continue
            out.append(LogLine("C" if m.group(4) == "SendData" else "S",
                               m.group(5).rstrip("\r\n"), m.group(2), m.group(1)))
        return out

    def imap_commands(self):
        """Just the command lines Thunderbird sent (passwords masked by
        Thunderbird itself)."""
        return [e.text for e in self.imap_log() if e.direction == "C"]

    def screenshot(self, path):
        """PNG of the whole Xvfb screen (imagemagick import)."""
        subprocess.run([IMPORT, "-display", self.display, "-window", "root", path],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, check=True, timeout=30)
        return path
