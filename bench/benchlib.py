"""benchlib -- what the helpdesk benchmarks share (standard library only).

callgrind runs of the LMTP service of a private Dovecot (tests/lib/hdtest),
parsing callgrind_annotate's output (inclusive per function, exclusive per
object), and the mail user's ids.
"""

import glob
import os
import re
import subprocess
import sys

SRCDIR = os.environ.get("HD_SRCDIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "lib"))

import hdtest  # noqa: E402
from hdtest import Dovecot, make_message  # noqa: E402,F401

CALLGRIND_ANNOTATE = "/usr/bin/callgrind_annotate"
# an ordinary user (no Sieve routing into the queue) next to the
# harness's default users
INBOX_USER = "dave"
USERS = ("support", "alice", "bob", "carol", INBOX_USER)
QUEUE_RCPT = "support@example.com"
INBOX_RCPT = INBOX_USER + "@example.com"


def need_root_and_plugin(name):
    plugin = os.environ.get("HD_PLUGIN")
    if os.geteuid() != 0 or not plugin or not os.path.isfile(plugin):
        print("%s: run as root with HD_PLUGIN set to the built plugin" % name,
              file=sys.stderr)
        sys.exit(2)
    return plugin


def mail_ids():
    """uid, gid of the mail user the private Dovecot runs mail processes as."""
    import grp
    import pwd
    return (pwd.getpwnam(hdtest.MAIL_USER).pw_uid,
            grp.getgrnam(hdtest.MAIL_GROUP).gr_gid)


def callgrind_config(dc):
    """Run every LMTP process of dc under callgrind (ROOT/cg.PID.out)."""
    return ("service lmtp {\n  executable = /usr/bin/valgrind "
            "--tool=callgrind --callgrind-out-file=%s/cg.%%p.out "
            "/usr/lib/dovecot/lmtp\n}\n" % dc.root)


def callgrind_run(plugin, deliveries, settings=None, prepare=None,
                  annotate=True, keep_dir=None, conf_edit=None, check=None):
    """Deliver [(msg, rcpt, sender)] over one LMTP connection to a fresh
    private Dovecot whose LMTP runs under callgrind. prepare(dc) runs
    after the first start (queue created) and before the measured start
    (e.g. to put a filled store in place). Returns (total instructions,
    {function: inclusive}, {object: exclusive}) of the LMTP process(es)."""
    dc = Dovecot(plugin=plugin, users=USERS, settings=settings)
    try:
        dc.start()
        dc.stop()
        if prepare is not None:
            prepare(dc)
        dc.extra_config = callgrind_config(dc)
        dc._write_config()
        if conf_edit is not None:
            with open(dc.conf) as f:
                text = conf_edit(f.read())
            with open(dc.conf, "w") as f:
                f.write(text)
        dc.start()
        conn = dc.lmtp(timeout=600)
        for msg, rcpt, sender in deliveries:
            conn.sendmail(sender, [rcpt], msg)
        conn.quit()
        if check is not None:
            check(dc)
        dc.stop(timeout=120)
        # valgrind's own banner goes to the log as "Error: ==PID== ..."
        errors = [l for l in dc.log_errors() if not re.search(r"Error: ==\d+==", l)]
        if errors:
            print("  WARNING log errors: %s" % " | ".join(errors[:3])[:600])
        total = 0
        incl, excl = {}, {}
        for path in glob.glob(os.path.join(dc.root, "cg.*.out")):
            total += callgrind_total(path)
            if keep_dir:
                os.makedirs(keep_dir, exist_ok=True)
                import shutil
                shutil.copy(path, keep_dir)
            if annotate:
                add_into(incl, annotate_functions(path, inclusive=True))
                add_into(excl, annotate_objects(path))
        return total, incl, excl
    finally:
        dc.cleanup()


def callgrind_total(path):
    """The instruction count of a callgrind output file."""
    with open(path) as f:
        for line in f:
            m = re.match(r"^(?:summary|totals): (\d+)", line)
            if m:
                return int(m.group(1))
    return 0


def bench_fill_exe(who):
    """The built bench-fill, or exit with how to build it."""
    exe = os.path.join(os.environ.get("BENCH_BUILDDIR", os.path.dirname(
        os.path.abspath(__file__))), "bench-fill")
    if not os.access(exe, os.X_OK):
        print("%s: %s is not built (make -C bench bench-fill)" % (who, exe),
              file=sys.stderr)
        sys.exit(2)
    return exe


def add_into(acc, d):
    for k, v in d.items():
        acc[k] = acc.get(k, 0) + v


_ANN_RE = re.compile(r"^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(\S.*?)\s+\[(.*)\]\s*$")
_ANN_NOOBJ_RE = re.compile(r"^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(\S.*?)\s*$")


def _annotate(path, inclusive):
    p = subprocess.run([CALLGRIND_ANNOTATE, "--threshold=100", "--auto=no",
                        "--inclusive=%s" % ("yes" if inclusive else "no"), path],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       universal_newlines=True, timeout=600)
    rows = []
    started = False
    for line in p.stdout.splitlines():
        if not started:
            # the function table follows the "Ir  file:function" header
            if re.search(r"file:function", line):
                started = True
            continue
        m = _ANN_RE.match(line)
        if m:
            rows.append((int(m.group(1).replace(",", "")), m.group(2),
                         os.path.basename(m.group(3))))
            continue
        m = _ANN_NOOBJ_RE.match(line)
        if m and ":" in m.group(2):
            rows.append((int(m.group(1).replace(",", "")), m.group(2), "?"))
    return rows


def _fn_name(fileloc):
    # "helpdesk-intake.c:helpdesk_intake_run" or "???:sqlite3_step"
    return fileloc.rsplit(":", 1)[-1] if ":" in fileloc else fileloc


def annotate_functions(path, inclusive=True):
    """{function name: instructions} (inclusive: with the callees)."""
    out = {}
    for count, fileloc, obj in _annotate(path, inclusive):
        name = _fn_name(fileloc)
        # the same name in several objects (static functions) is rare
        # among ours; keep the largest
        if count > out.get(name, 0):
            out[name] = count
    return out


def annotate_objects(path):
    """{object file name: exclusive instructions}."""
    out = {}
    for count, fileloc, obj in _annotate(path, False):
        out[obj] = out.get(obj, 0) + count
    return out


def per_delivery(big, small, n_big, n_small):
    return (big - small) / float(n_big - n_small)


def diff_per_delivery(big, small, n_big, n_small):
    keys = set(big) | set(small)
    return {k: per_delivery(big.get(k, 0), small.get(k, 0), n_big, n_small)
            for k in keys}


def service_pids(dc, service):
    """PIDs of dc's processes of a service ("imap", "lmtp"): their
    command line is "dovecot-INSTANCE/SERVICE" (hdtest's instance_name)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                first = f.read().split(b"\0")[0]
        except OSError:
            continue
        if first == ("dovecot-%s/%s" % (dc.instance_name, service)).encode():
            out.append(int(pid))
    return sorted(out)


def proc_status(pid):
    """/proc/PID/status as {field: value} (VmRSS, VmHWM in kB as int)."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            v = v.strip()
            if v.endswith(" kB"):
                v = int(v[:-3])
            out[k] = v
    return out


def put_store_file(dc, src):
    """Make dc's helpdesk_db (sqlite) a fresh copy of the store file src,
    owned by the mail user, written out to the disk and with an old mtime
    (the plugin takes a file changed in the last 2 s for one being created
    right now and waits for it). dc may be running: every doveadm or mail
    process opens the store anew."""
    import shutil
    import time
    dst = dc.db_path
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(dst + suffix):
            os.unlink(dst + suffix)
    shutil.copyfile(src, dst)
    with open(dst, "rb+") as f:
        os.fsync(f.fileno())
    uid, gid = mail_ids()
    os.chown(dst, uid, gid)
    os.chmod(dst, 0o660)
    old = time.time() - 3600
    os.utime(dst, (old, old))


def timed_run(cmd, timeout=3600):
    """Run cmd; returns (CompletedProcess with text output, wall seconds,
    CPU seconds (user + system) of the process and its children)."""
    import resource
    import time
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=timeout)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return p, wall, cpu


def c_string_defines(path):
    """{NAME: string} of a C file's #defines that are string literals or
    other such defines pasted together (e.g. the store's SQL statements),
    so a benchmark can EXPLAIN the statements the code really runs."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    defines = {}
    for m in re.finditer(r"^#define[ \t]+(\w+)[ \t]+((?:.*\\\n)*.*)$", text, re.M):
        name, body = m.group(1), m.group(2).replace("\\\n", " ")
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"|(\w+)', body)
        if not parts or not any(s for s, _ in parts):
            continue
        out, ok = [], True
        for s, ident in parts:
            if ident:
                if ident not in defines:
                    ok = False
                    break
                out.append(defines[ident])
            else:
                out.append(s.replace('\\"', '"'))
        if ok:
            defines[name] = "".join(out)
    return defines
