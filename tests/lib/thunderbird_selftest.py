#!/usr/bin/python3
"""Self-test of tests/lib/thunderbird.py against the project's private
Dovecot (tests/lib/hdtest.py).  TAP output; exit status 0 only when every
check passed.  Needs root, thunderbird, xvfb, imagemagick; the plugin from
$HD_PLUGIN for the first Dovecot.

    HD_PLUGIN=/work/main/plugin/.libs/lib20_helpdesk_plugin.so \\
    HD_SRCDIR=/work/main /usr/bin/python3 tests/lib/thunderbird_selftest.py

What it shows (one fresh Thunderbird profile per run):
  A  alice subscribed to Public/Queue: a fresh profile lists it (found via
     LIST (SUBSCRIBED)/LSUB); hd-new is in a row's keywords but has no tag
     name; add_keyword() sends a STORE another IMAP session sees, and
     remove_keyword() takes it away again; no alerts.
  B  the same with admin tag prefs in user.js: hd-new shows as "New".
  C  a Dovecot without the plugin, nobody subscribed: a fresh profile does
     NOT list Public/Queue (the defect the plugin fixes by subscribing on
     the server side); after a SUBSCRIBE over IMAP and restart() it does; a
     test body that raises still leaves no process behind.
  D  fresh=False (using_subscription=false): Public/Queue is listed and the
     "[NONEXISTENT] ... Public/Public" text Thunderbird shows at startup is
     returned by alerts().

TB_SELFTEST_SABOTAGE=subscribe|tags|alert breaks the premise of C, B or D
on purpose: the run must then report "not ok" (proof the checks can fail).
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hdtest  # noqa: E402
from tap import Tap  # noqa: E402
from thunderbird import Thunderbird  # noqa: E402

HOST = hdtest.HOST
QUEUE = "Public/Queue"
TAGS = ('user_pref("mailnews.tags.hd-new.tag", "New"); '
        'user_pref("mailnews.tags.hd-new.color", "#3366cc"); '
        'user_pref("mailnews.tags.hd-new.ordinal", "a1");')
SABOTAGE = os.environ.get("TB_SELFTEST_SABOTAGE", "")


class _Abort(Exception):
    """Raised inside a `with Thunderbird()` block to test cleanup on failure."""


def subscribed(dc, user):
    with dc.imap(user) as c:
        typ, data = c.lsub('""', "*")
    return [d.decode().rsplit(' "/" ', 1)[-1].strip('"') for d in data if d]


def server_keywords(dc, user, subject):
    return [m["keywords"] for m in dc.queue(user) if subject in m["subject"]][0]


def timed(timings, name):
    class _T:
        def __enter__(self):
            self.t0 = time.monotonic()

        def __exit__(self, *exc):
            timings[name] = time.monotonic() - self.t0
    return _T()


def check_gone(t, tb, what):
    t.ok(tb.processes() == [] and not os.path.exists(tb.root),
         "%s: stop() left no process and no scratch root" % what,
         lambda: "pids %r, root %s exists: %s" % (tb.processes(), tb.root,
                                                   os.path.exists(tb.root)))


def run_a(t, dc, timings):
    with timed(timings, "A total"), Thunderbird(HOST, dc.imap_port, "alice", "pass") as tb:
        timings["A startup"] = tb.timings["startup"]
        with open(os.path.join(tb.profile, "user.js")) as f:
            userjs = f.read()
        t.ok("using_subscription" not in userjs and "mailnews.tags" not in userjs,
             "A: the fresh profile sets neither using_subscription nor mailnews.tags.*")
        with timed(timings, "A wait_folder"):
            names = tb.wait_folder(QUEUE, timeout=30)
        t.ok(QUEUE in names, "A: fresh profile lists the subscribed %s" % QUEUE, repr(names))
        cmds = [c.lower() for c in tb.imap_commands()]
        t.ok(any(" lsub " in c or "list (subscribed)" in c for c in cmds),
             "A: Thunderbird discovered folders with LSUB / LIST (SUBSCRIBED)",
             lambda: "\n".join(cmds[:40]))
        with timed(timings, "A open_folder"):
            tb.open_folder(QUEUE)
        rows = tb.rows()
        t.eq(sorted(r["subject"] for r in rows), ["[#1] Printer on fire", "[#2] VPN down"],
             "A: rows() shows the two queue messages")
        r = [r for r in rows if "Printer on fire" in r["subject"]][0]
        t.ok("hd-new" in r["keywords"], "A: hd-new is in the row's keywords", repr(r))
        t.ok(r["tags"] == [] and r["tags_text"] == "",
             "A: no tag name shown for the undefined keyword hd-new", repr(r))

        with timed(timings, "A add_keyword reaches server"):
            uid = tb.add_keyword("Printer on fire", "mylabel")
            try:
                hdtest.wait_until(lambda: "mylabel" in server_keywords(dc, "bob", "Printer on fire"),
                                  timeout=10, interval=0.1, what="mylabel on the server")
                on_server = True
            except TimeoutError:
                on_server = False
        t.ok(on_server, "A: add_keyword(): another IMAP session sees mylabel in FLAGS",
             lambda: repr(server_keywords(dc, "bob", "Printer on fire")))
        store = "uid store %d +flags (mylabel)" % uid
        t.ok(any(c.lower().endswith(" " + store) for c in tb.imap_commands()),
             "A: Thunderbird sent UID STORE %d +FLAGS (mylabel)" % uid,
             lambda: "\n".join(c for c in tb.imap_commands() if "store" in c.lower()))
        t.ok("mylabel" in tb.get_keywords(uid), "A: get_keywords() has mylabel")

        with timed(timings, "A remove_keyword reaches server"):
            tb.remove_keyword(uid, "mylabel")
            try:
                hdtest.wait_until(
                    lambda: "mylabel" not in server_keywords(dc, "bob", "Printer on fire"),
                    timeout=10, interval=0.1, what="mylabel gone on the server")
                gone = True
            except TimeoutError:
                gone = False
        t.ok(gone and "mylabel" not in tb.get_keywords(uid),
             "A: remove_keyword(): gone on the server and in Thunderbird")
        with timed(timings, "A refresh"):
            tb.refresh()
        t.eq(tb.alerts(), [], "A: no alert shown")
    check_gone(t, tb, "A")


def run_b(t, dc, timings):
    extra = "" if SABOTAGE == "tags" else TAGS
    with timed(timings, "B total"), \
            Thunderbird(HOST, dc.imap_port, "alice", "pass", user_js_extra=extra) as tb:
        timings["B startup"] = tb.timings["startup"]
        tb.wait_folder(QUEUE)
        tb.open_folder(QUEUE)
        rows = tb.rows()
        t.ok(len(rows) == 2 and all(r["tags"] == ["New"] and r["tags_text"] == "New"
                                    for r in rows),
             'B: with mailnews.tags.hd-new.* in user.js, hd-new shows as "New"', repr(rows))
    check_gone(t, tb, "B")


def run_c(t, dc2, timings):
    if SABOTAGE == "subscribe":
        with dc2.imap("alice") as c:
            c.subscribe(QUEUE)
    t.ok(QUEUE not in subscribed(dc2, "alice") or SABOTAGE == "subscribe",
         "C: alice is not subscribed to %s" % QUEUE)
    tb = None
    try:
        with timed(timings, "C total"), Thunderbird(HOST, dc2.imap_port, "alice", "pass") as tb:
            timings["C startup"] = tb.timings["startup"]
            with timed(timings, "C wait_discovery"):
                names = tb.wait_discovery()
            t.ok("INBOX" in names and QUEUE not in names,
                 "C: a fresh profile does NOT list the unsubscribed %s" % QUEUE, repr(names))
            shot = tb.screenshot(os.path.join(tb.root, "c.png"))
            with open(shot, "rb") as f:
                t.ok(f.read(8) == b"\x89PNG\r\n\x1a\n", "C: screenshot() wrote a PNG")
            # subscribed over IMAP, Thunderbird lists it at its next start
            with dc2.imap("alice") as c:
                c.subscribe(QUEUE)
            with timed(timings, "C restart + wait_folder"):
                tb.restart()
                names = tb.wait_folder(QUEUE, timeout=30)
            t.ok(QUEUE in names, "C: after SUBSCRIBE and restart() it lists %s" % QUEUE)
            raise _Abort()
    except _Abort:
        pass
    check_gone(t, tb, "C (block left by an exception)")


def run_d(t, dc2, timings):
    fresh = SABOTAGE == "alert"
    with timed(timings, "D total"), \
            Thunderbird(HOST, dc2.imap_port, "bob", "pass", fresh=fresh) as tb:
        timings["D startup"] = tb.timings["startup"]
        names = tb.wait_folder(QUEUE) if not fresh else tb.wait_discovery()
        t.ok(QUEUE in names, "D: using_subscription=false lists %s unsubscribed" % QUEUE,
             repr(names))
        try:
            text = tb.wait_alert(r"NONEXISTENT.*Public/Public", timeout=15)
        except TimeoutError as e:
            text = None
            err = str(e)
        t.ok(text, "D: alerts() returns the server text Thunderbird showed",
             lambda: err)
        if text:
            t.diag("alert: %s" % text)
        t.diag("dialogs closed before Marionette was ready: %r" % tb.startup_dialogs)
    check_gone(t, tb, "D")


def main():
    t = Tap()
    what = "Thunderbird driver self-test"
    missing = [p for p in ("/usr/lib/thunderbird/thunderbird", "/usr/bin/Xvfb", "/usr/bin/import")
               if not os.path.exists(p)]
    if missing:
        t.skip(what, "not installed: %s" % ", ".join(missing))
        return t.done()
    plugin = hdtest.plugin_or_skip(t, what)
    if not plugin:
        return t.done()
    t0 = time.monotonic()
    timings = {}
    with hdtest.Dovecot(plugin=plugin) as dc:
        for subject in ("Printer on fire", "VPN down"):
            r = dc.deliver(hdtest.make_message(subject=subject))
            t.ok(r.ok, "delivered %r" % subject, str(r))
        with dc.imap("alice") as c:
            typ, _ = c.subscribe(QUEUE)
        t.ok(typ == "OK" and QUEUE in subscribed(dc, "alice"), "alice subscribed to %s" % QUEUE)
        for run in (run_a, run_b):
            with t.check("%s completed" % run.__name__):
                run(t, dc, timings)
    with hdtest.Dovecot(plugin=None, sieve=False) as dc2:
        for run in (run_c, run_d):
            with t.check("%s completed" % run.__name__):
                run(t, dc2, timings)
    timings["total"] = time.monotonic() - t0
    for k in sorted(timings):
        t.diag("%-34s %6.2fs" % (k, timings[k]))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
