#!/usr/bin/python3
"""bench-deliver -- LMTP delivery rate into the helpdesk queue, with the
helpdesk plugin vs. the same private Dovecot without it.

Both go through the routing Sieve script (sieve_before). The corpus and
generated workloads are addressed to support@ and filed into Public/Queue;
the inbox workload is the generated mail addressed to dave@, an ordinary
user: the Sieve route leaves it alone (implicit keep into dave's INBOX),
so it measures what the loaded plugin costs where there is no queue.
Configurations: workload (corpus, generated, inbox) x LMTP clients (1, 4).  Each
client is a thread with its own LMTP connection.  Every measured run gets a
fresh private Dovecot (empty queue, empty store), is warmed up first (one
warm-up mail per client, not timed), and each configuration runs REPEAT
times per variant, interleaved (baseline, plugin, plugin, baseline, ...);
the median rate is reported with the ratio plugin/baseline.

Environment:
    HD_PLUGIN     built lib20_helpdesk_plugin.so (required)
    HD_SRCDIR     source tree (Sieve script, tests/lib)
    BENCH_N       number of generated support mails (default 2000)
    BENCH_REPEAT  runs per configuration and variant (default 3)
    BENCH_CLIENTS comma-separated client counts (default "1,4")
    BENCH_CORPUS  corpus directory (default /work/shared/corpus)
    BENCH_WORKLOADS comma-separated subset of "corpus,generated,inbox"
                  (default all three)

Targets: plugin/baseline >= 0.95 for the queue workloads, >= 0.99 for
inbox (the plugin must cost nothing where there is no queue).

Run as root:  make bench   (or)
  HD_PLUGIN=plugin/.libs/lib20_helpdesk_plugin.so HD_SRCDIR=. \
      /usr/bin/python3 bench/bench-deliver.py
"""

import email.parser
import email.policy
import email.utils
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time

SRCDIR = os.environ.get("HD_SRCDIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "lib"))

from hdtest import Dovecot, make_message, _lmtp_close  # noqa: E402

RCPT = "support@example.com"
# an ordinary user: the Sieve route keeps the mail in his INBOX
INBOX_USER = "dave"
INBOX_RCPT = INBOX_USER + "@example.com"
USERS = ("support", "alice", "bob", "carol", INBOX_USER)
TARGET_QUEUE = 0.95
TARGET_INBOX = 0.99
ADDR_RE = re.compile(r"^[^\s<>@()\[\],;:\"]+@[A-Za-z0-9.-]+$")
META = {"README.md", "INDEX.tsv", "TRAITS.tsv"}


# ----------------------------------------------------------------- workloads

def envelope_sender(data):
    """What an MTA would use as MAIL FROM: the Return-Path address, else
    the From address; "" for <> or anything unusable."""
    hdr = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
        data, headersonly=True)
    for name in ("Return-Path", "From"):
        v = hdr.get(name)
        if v is None:
            continue
        v = str(v).strip()
        if name == "Return-Path" and re.fullmatch(r"<\s*>", v):
            return ""
        addr = email.utils.parseaddr(v)[1]
        if addr and ADDR_RE.match(addr):
            return addr
        if name == "Return-Path":
            return ""
    return ""


def load_corpus(path):
    msgs = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        for fn in sorted(filenames):
            if dirpath == path and fn in META:
                continue
            with open(os.path.join(dirpath, fn), "rb") as f:
                data = f.read()
            if data.startswith(b"From "):       # mbox envelope line
                nl = data.find(b"\n")
                data = data[nl + 1:] if nl >= 0 else b""
            # the sender is parsed with normalised line ends (CR-only files)
            norm = re.sub(rb"\r\n|\r", b"\n", data)
            msgs.append((data, envelope_sender(norm)))
    return msgs


def generated(n, seed=4711):
    rnd = random.Random(seed)
    subjects = ["Printer broken", "Cannot log in", "Invoice question", "VPN drops",
                "Password reset", "Laptop slow", "New account for intern",
                "Mail quota full", "Projector in room 3", "License renewal"]
    body = ("Hello,\n\n" + "we have a problem with our setup, details below.\n" * 8
            + "\nRegards\n")
    msgs, parents = [], []
    for i in range(n):
        sender = "customer%d@example.org" % rnd.randrange(200)
        if i % 3 == 2 and parents:
            pmid, psubj, psender = rnd.choice(parents)
            m = make_message(subject="Re: " + psubj, sender=psender,
                             message_id="<gen-%d@bench.example>" % i,
                             in_reply_to=pmid, references=[pmid], body=body)
            msgs.append((m, psender))
        else:
            subj = "%s %d" % (rnd.choice(subjects), i)
            mid = "<gen-%d@bench.example>" % i
            m = make_message(subject=subj, sender=sender, message_id=mid, body=body)
            parents.append((mid, subj, sender))
            msgs.append((m, sender))
    return msgs


# ----------------------------------------------------------------- running

def deliver_share(dc, share, results, idx, barrier, rcpt):
    conn = dc.lmtp(timeout=120)
    codes = []
    try:
        barrier.wait()
        for msg, sender in share:
            res, usable = Dovecot._transaction(conn, msg, [rcpt], sender)
            codes.append(res[rcpt].code)
            if not usable:
                _lmtp_close(conn)
                conn = dc.lmtp(timeout=120)
    finally:
        _lmtp_close(conn)
        results[idx] = codes


def run_clients(dc, msgs, clients, rcpt=RCPT):
    shares = [msgs[i::clients] for i in range(clients)]
    results = [None] * clients
    barrier = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=deliver_share,
                                args=(dc, shares[i], results, i, barrier, rcpt))
               for i in range(clients)]
    for th in threads:
        th.start()
    barrier.wait()
    t0 = time.perf_counter()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t0
    codes = [c for r in results for c in (r or [])]
    return elapsed, codes


def queue_count(dc, search=("ALL",), user="support", mailbox="Public/Queue"):
    p = dc.doveadm("search", "mailbox", mailbox, *search, user=user, check=False)
    return len([l for l in p.stdout.splitlines() if l.strip()])


def lmtp_cpu_seconds(dc):
    """utime+stime of this instance's LMTP processes (they live on across
    the run: client_limit 1, one process per connection)."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read()
            if not cmd.startswith(b"dovecot-") or b"/lmtp" not in cmd.split(b"\0")[0] \
                    or dc.instance_name.encode() not in cmd:
                continue
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / hz
        except OSError:
            continue
    return total


def one_run(variant, plugin, msgs, clients, inbox=False):
    dc = Dovecot(plugin=plugin, users=USERS)
    rcpt = INBOX_RCPT if inbox else RCPT
    where = dict(user=INBOX_USER, mailbox="INBOX") if inbox else {}
    try:
        dc.start()
        # warm-up: one mail per client over concurrent connections (spawns
        # the LMTP processes, loads Sieve, creates the store); for the
        # inbox workload one more round into the queue, so that the
        # plugin's store exists as on a real server
        warm = [(make_message(subject="warm-up %d" % i), "warm@example.org")
                for i in range(clients * 2)]
        run_clients(dc, warm, clients)
        if inbox:
            run_clients(dc, warm[:clients], clients, rcpt)
        before = queue_count(dc, **where)
        cpu0 = lmtp_cpu_seconds(dc)
        elapsed, codes = run_clients(dc, msgs, clients, rcpt)
        cpu = lmtp_cpu_seconds(dc) - cpu0
        ok = sum(1 for c in codes if c == 250)
        stored = queue_count(dc, **where) - before
        pending = queue_count(dc, ("KEYWORD", "hd-pending")) if plugin else 0
        errlines = dc.log_errors()
        errors = len(errlines)
        return {"errlines": errlines, "rate": len(msgs) / elapsed, "elapsed": elapsed, "ok": ok,
                "cpu_ms": 1000.0 * cpu / len(msgs),
                "fail": len(codes) - ok, "stored": stored, "pending": pending,
                "errors": errors}
    finally:
        dc.cleanup()


def main():
    if os.geteuid() != 0:
        print("bench-deliver: must run as root", file=sys.stderr)
        return 2
    plugin = os.environ.get("HD_PLUGIN")
    if not plugin or not os.path.isfile(plugin):
        print("bench-deliver: set HD_PLUGIN to the built plugin", file=sys.stderr)
        return 2
    n = int(os.environ.get("BENCH_N", "2000"))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    clients_list = [int(x) for x in os.environ.get("BENCH_CLIENTS", "1,4").split(",")]
    corpus_dir = os.environ.get("BENCH_CORPUS", "/work/shared/corpus")
    wanted = os.environ.get("BENCH_WORKLOADS", "corpus,generated,inbox").split(",")

    # (name, messages, into dave's INBOX, target)
    workloads = []
    if "corpus" in wanted and os.path.isdir(corpus_dir):
        c = load_corpus(corpus_dir)
        workloads.append(("corpus(%d)" % len(c), c, False, TARGET_QUEUE))
    if "generated" in wanted:
        workloads.append(("generated(%d)" % n, generated(n), False, TARGET_QUEUE))
    if "inbox" in wanted:
        workloads.append(("inbox(%d)" % n, generated(n), True, TARGET_INBOX))

    print("bench-deliver: plugin %s" % plugin)
    print("bench-deliver: nproc %d, %d runs per configuration and variant, median; "
          "load average %.2f %.2f %.2f" % ((os.cpu_count(), repeat) + os.getloadavg()))
    t_start = time.monotonic()
    rows = []
    for wname, msgs, inbox, target in workloads:
        nbytes = sum(len(m) for m, _ in msgs)
        for clients in clients_list:
            res = {"baseline": [], "plugin": []}
            for rep in range(repeat):
                order = ["baseline", "plugin"] if rep % 2 == 0 else ["plugin", "baseline"]
                for variant in order:
                    r = one_run(variant, plugin if variant == "plugin" else None, msgs, clients,
                                inbox)
                    res[variant].append(r)
                    print("  %-16s clients=%d %-8s run %d: %7.1f msg/s  (%.2f s, LMTP CPU "
                          "%.2f ms/msg, ok %d, fail %d, stored %d, pending %d, log errors %d)"
                          % (wname, clients, variant, rep + 1, r["rate"], r["elapsed"],
                             r["cpu_ms"],
                             r["ok"], r["fail"], r["stored"], r["pending"], r["errors"]),
                          flush=True)
            base = statistics.median(r["rate"] for r in res["baseline"])
            plug = statistics.median(r["rate"] for r in res["plugin"])
            problems = []
            for v, rs in res.items():
                for r in rs:
                    if r["fail"] or r["stored"] != len(msgs) or r["pending"]:
                        problems.append("%s: fail %d stored %d/%d pending %d" % (
                            v, r["fail"], r["stored"], len(msgs), r["pending"]))
                    for line in r["errlines"][:5]:
                        problems.append("%s: log: %s" % (v, line[:400]))
            cpu_b = statistics.median(r["cpu_ms"] for r in res["baseline"])
            cpu_p = statistics.median(r["cpu_ms"] for r in res["plugin"])
            rows.append((wname, clients, len(msgs), nbytes, base, plug, plug / base, problems,
                         cpu_b, cpu_p, target))

    print()
    print("| workload | clients | msgs | baseline msg/s | plugin msg/s | ratio plugin/baseline "
          "| LMTP CPU ms/msg baseline | plugin | CPU ratio baseline/plugin |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for wname, clients, count, nbytes, base, plug, ratio, problems, cpu_b, cpu_p, _ in rows:
        print("| %s | %d | %d | %.1f | %.1f | %.3f | %.2f | %.2f | %.3f |"
              % (wname, clients, count, base, plug, ratio, cpu_b, cpu_p,
                 cpu_b / cpu_p if cpu_p else 0.0))
    for wname, clients, count, nbytes, base, plug, ratio, problems, cpu_b, cpu_p, _ in rows:
        for p in problems:
            print("WARNING %s clients=%d: %s" % (wname, clients, p))
    print()
    for kind, target, sel in (("queue", TARGET_QUEUE, lambda r: not r[0].startswith("inbox")),
                              ("inbox", TARGET_INBOX, lambda r: r[0].startswith("inbox"))):
        rs = [r for r in rows if sel(r)]
        if not rs:
            continue
        worst = min(r[6] for r in rs)
        cpu_worst = min(r[8] / r[9] for r in rs if r[9]) if rs else 0.0
        print("bench-deliver: %s worst ratio %.3f, CPU ratio %.3f (target >= %.2f): %s"
              % (kind, worst, cpu_worst, target,
                 "PASS" if worst >= target else "BELOW TARGET"))
    print("bench-deliver: total %.0f s; load average %.2f %.2f %.2f"
          % ((time.monotonic() - t_start,) + os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
