#!/usr/bin/python3
"""Robustness test: deliver every message of the real-world corpus
(/work/shared/corpus, see its README.md and INDEX.tsv) to
support@example.com over one LMTP connection and check the queue and the
store.  One TAP line per check, plus a summary diag.  Run as root:

  HD_PLUGIN=plugin/.libs/lib20_helpdesk_plugin.so HD_SRCDIR=. \
      /usr/bin/python3 tests/integration/test_corpus.py

HD_CORPUS overrides the corpus directory.
"""

import collections
import email.message
import email.parser
import email.policy
import email.utils
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

import hdtest  # noqa: E402
from hdtest import Dovecot, decode_header_value, plugin_or_skip, start_checked  # noqa: E402
from tap import Tap  # noqa: E402

CORPUS = hdtest.CORPUS
AUTO_CATEGORIES = ("bounce", "autoreply")
# bounce/autoreply files the plugin is known to take for customer mail:
# path -> reason.  Empty now: every gap found so far is fixed.
KNOWN_AUTO_GAPS = {}
FALLBACK_SENDER = "unknown@example.org"
# what Dovecot's LMTP MAIL FROM accepts without fuss
_ADDR_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9._-]+")
_ID_RE = re.compile(r"<([^<>\s]+)>")


def crlf(data):
    return re.sub(rb"\r\n|\r|\n", b"\r\n", data)


class Item:
    """One corpus file, prepared like an MTA would hand it over."""

    def __init__(self, path, category, has_mid, has_refs):
        self.path = path
        self.category = category
        self.has_mid = has_mid == "y"
        self.has_refs = has_refs == "y"
        with open(os.path.join(CORPUS, path), "rb") as f:
            raw = f.read()
        if raw.startswith(b"From "):           # mbox envelope line
            nl = raw.find(b"\n")
            raw = raw[nl + 1:] if nl >= 0 else b""
        self.data = crlf(raw)
        hdr = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
            self.data, headersonly=True)
        self.message_id = norm(hdr.get("Message-ID"))
        self.ids = _ID_RE.findall(self.message_id or "")
        self.key = self.ids[0] if self.ids else None
        irt = _ID_RE.findall(str(hdr.get("In-Reply-To") or ""))
        refs = _ID_RE.findall(str(hdr.get("References") or ""))
        # the plugin's order: In-Reply-To, then References newest first
        self.ref_order = list(dict.fromkeys(irt + refs[::-1]))
        self.sender = envelope_sender(hdr)


def norm(v):
    if v is None:
        return None
    return " ".join(str(v).split())


def envelope_sender(hdr):
    """Return-Path address ("" for <>), else From address, else fallback.
    Addresses Dovecot's MAIL FROM would refuse also use the fallback."""
    rp = hdr.get("Return-Path")
    if rp is not None:
        v = str(rp).strip()
        if re.fullmatch(r"<\s*>", v):
            return ""
        addr = email.utils.parseaddr(v)[1]
        if _ADDR_RE.fullmatch(addr or ""):
            return addr
    fr = hdr.get("From")
    if fr is not None:
        try:
            addr = email.utils.parseaddr(str(fr))[1]
        except Exception:
            addr = ""
        if _ADDR_RE.fullmatch(addr or ""):
            return addr
    return FALLBACK_SENDER


def load_index():
    items = []
    with open(os.path.join(CORPUS, "INDEX.tsv"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            items.append(Item(*parts[:4]))
    return items


def delivery_order(items):
    """Stable topological order: a message after every corpus message it
    names in In-Reply-To/References (cycles are broken in INDEX order)."""
    by_key = collections.defaultdict(list)
    for i, it in enumerate(items):
        if it.key:
            by_key[it.key].append(i)
    done, order, visiting = set(), [], set()

    def visit(i):
        if i in done or i in visiting:
            return
        visiting.add(i)
        for k in items[i].ref_order[::-1]:
            for j in by_key.get(k, ()):
                if j != i:
                    visit(j)
        visiting.discard(i)
        done.add(i)
        order.append(i)

    for i in range(len(items)):
        visit(i)
    return [items[i] for i in order]


def ticket_of(m):
    """X-Helpdesk-Ticket values as Dovecot parses the header (malformed
    corpus headers confuse Python's parser, so these come from
    BODY[HEADER.FIELDS (...)], see dovecot_fields())."""
    vals = m["dv"].get_all("X-Helpdesk-Ticket") or []
    return [v.strip() for v in vals]


def dovecot_fields(dc, user="alice"):
    """uid -> (email.message.Message of X-Helpdesk-Ticket and Subject as
    Dovecot's own header parser sees them)."""
    with dc.imap(user) as c:
        typ, _ = c.select(dc.queue_mailbox, readonly=True)
        assert typ == "OK"
        parsed = dc.fetch_all(
            c, "(UID BODY.PEEK[HEADER.FIELDS (X-Helpdesk-Ticket Subject)])")
    out = {}
    for a in parsed.values():
        raw = b""
        for k, v in a.items():
            if k.startswith("BODY[HEADER.FIELDS") and isinstance(v, bytes):
                raw = v
        out[a["UID"]] = email.parser.BytesParser(
            policy=email.policy.compat32).parsebytes(raw, headersonly=True)
    return out


def main():
    t = Tap()
    plugin = plugin_or_skip(t, "corpus integration test")
    if plugin is None:
        return t.done()
    if not os.path.isfile(os.path.join(CORPUS, "INDEX.tsv")):
        t.skip("corpus integration test", "no corpus at %s" % CORPUS)
        return t.done()
    t0 = time.monotonic()
    dc = Dovecot(plugin=plugin)
    try:
        if not start_checked(t, dc):
            return t.done()
        run(t, dc)
        errors = dc.log_errors()
        t.ok(not errors, "no Error/Panic/Fatal in dovecot.log", "\n".join(errors[:40]))
    finally:
        dc.cleanup()
    elapsed = time.monotonic() - t0
    t.diag("test_corpus.py took %.1f s" % elapsed)
    return t.done()


def run(t, dc):
    items = load_index()
    t.ok(len(items) > 0, "corpus INDEX.tsv lists %d messages" % len(items))
    items = delivery_order(items)

    # ------------------------------------------------------------ delivery
    td = time.monotonic()
    results = dc.deliver_many([(it.data, "support@example.com", it.sender) for it in items])
    td = time.monotonic() - td
    bad = [(it.path, r) for it, r in zip(items, results) if r.code != 250]
    t.ok(not bad, "every corpus message delivered with 250 (%d messages, one connection, %.1f s)"
         % (len(items), td), lambda: "\n".join("%s: %r" % b for b in bad[:40]))

    # ------------------------------------------------------------ the queue
    q = dc.queue("alice")
    t.eq(len(q), len(items), "queue holds exactly one message per corpus file")
    fields = dovecot_fields(dc)
    for m in q:
        m["dv"] = fields.get(m["uid"]) or email.message.Message()
        subj = m["dv"].get("Subject")
        m["subject"] = decode_header_value(subj) if subj is not None else ""

    # UIDs follow delivery order over one connection: map positionally and
    # verify the mapping with the Message-IDs.
    mism = []
    for it, m in zip(items, q):
        if it.message_id is not None and norm(m["message_id"]) != it.message_id:
            mism.append("%s: file %r, queue %r" % (it.path, it.message_id, m["message_id"]))
    cnt_files = collections.Counter(it.message_id for it in items if it.message_id)
    cnt_queue = collections.Counter(norm(m["message_id"]) for m in q if m["message_id"])
    t.ok(len(q) == len(items) and not mism and cnt_files == cnt_queue,
         "each file is in the queue once, in delivery order (Message-IDs match)",
         lambda: "\n".join(mism[:20] + ["counter diff: %r" % ((cnt_files - cnt_queue) +
                                                              (cnt_queue - cnt_files))]))
    pairs = list(zip(items, q))

    tickets = {r[0]: r for r in dc.sql("SELECT id, origin_key, status FROM hd_tickets")}
    n_msgrows = dc.sql("SELECT count(*) FROM hd_messages WHERE kind != 'copy'")[0][0]

    # ---------------------------------------------- header/subject sanity
    problems = []
    first_of = {}            # ticket -> first (item, queue entry)
    for it, m in pairs:
        tk = ticket_of(m)
        if len(tk) > 1:
            problems.append("%s: %d X-Helpdesk-Ticket headers %r" % (it.path, len(tk), tk))
            continue
        if tk:
            if not tk[0].isdigit() or int(tk[0]) not in tickets:
                problems.append("%s: X-Helpdesk-Ticket %r has no hd_tickets row" % (it.path, tk[0]))
                continue
            n = int(tk[0])
            first_of.setdefault(n, (it, m))
            if "hd-auto" not in m["keywords"] and "[#%d]" % n not in m["subject"]:
                problems.append("%s: subject %r lacks [#%d]" % (it.path, m["subject"][:80], n))
    t.ok(not problems, "ticket messages carry one valid X-Helpdesk-Ticket and a [#N] subject tag",
         lambda: "\n".join(problems[:40]))
    missing = sorted(set(tickets) - set(first_of))
    t.ok(not missing, "every hd_tickets row has a message in the queue (%d tickets)" % len(tickets),
         "tickets without a queue message: %r" % missing[:40])

    # ----------------------------------------------- auto mail: no ticket
    auto_bad, gaps = [], []
    for it, m in pairs:
        if it.category not in AUTO_CATEGORIES:
            continue
        if it.path in KNOWN_AUTO_GAPS:
            if "hd-auto" not in m["keywords"]:
                gaps.append("%s: keywords %s, ticket %r (%s)" % (
                    it.path, sorted(m["keywords"]), ticket_of(m), KNOWN_AUTO_GAPS[it.path]))
            continue
        if "hd-auto" in m["keywords"]:
            continue
        tk = ticket_of(m)
        if tk and tk[0].isdigit() and int(tk[0]) in first_of:
            fit, fm = first_of[int(tk[0])]
            if fm["uid"] != m["uid"] and fit.category not in AUTO_CATEGORIES \
                    and "hd-auto" not in fm["keywords"]:
                continue
        auto_bad.append("%s (%s): keywords %s, ticket %r, subject %r, From %r"
                        % (it.path, it.category, sorted(m["keywords"]), tk,
                           m["subject"][:60], str(m["headers"].get("From"))[:60]))
    n_auto_cat = sum(1 for it in items if it.category in AUTO_CATEGORIES)
    t.ok(not auto_bad, "no bounce/autoreply message (%d, less %d known gaps) opened a ticket"
         % (n_auto_cat, len(KNOWN_AUTO_GAPS)),
         lambda: "%d offenders:\n" % len(auto_bad) + "\n".join(auto_bad))
    if gaps:
        t.diag("\n".join(gaps))

    # ------------------------------------------------- threads are joined
    pos = {}
    for i, (it, m) in enumerate(pairs):
        if it.key:
            pos.setdefault(it.key, i)
    thread_bad, checked = [], 0
    for i, (it, m) in enumerate(pairs):
        if not it.path.startswith("notmuch/") or not it.ref_order:
            continue
        target = None
        for k in it.ref_order:
            j = pos.get(k)
            if j is None or j >= i:
                continue
            pm = pairs[j][1]
            if ticket_of(pm):
                target = (pairs[j][0], pm)
                break
        if target is None:
            continue
        checked += 1
        if ticket_of(m) != ticket_of(target[1]):
            thread_bad.append("%s ticket %r, but it replies to %s with ticket %r"
                              % (it.path, ticket_of(m), target[0].path, ticket_of(target[1])))
    t.ok(checked > 0 and not thread_bad,
         "notmuch replies share the ticket of the corpus message they name (%d replies)" % checked,
         lambda: "\n".join(thread_bad[:40]) or "no reply checked")

    # ---------------------------------------- idempotency across the corpus
    # one hd_messages row per distinct message: Message-ID, or for messages
    # without one, identical content (sisimai's bsd/dos/mac copies of a mail
    # are identical after CRLF normalisation and share Message-IDs)
    distinct = len({("id", it.key) if it.key else ("data", it.data) for it in items})
    t.eq(n_msgrows, distinct, "store has one hd_messages row per distinct message")

    # ------------------------------------------------------------ summary
    n_auto = sum(1 for _, m in pairs if "hd-auto" in m["keywords"])
    n_pending = sum(1 for _, m in pairs if "hd-pending" in m["keywords"])
    non_auto = len(pairs) - n_auto
    t.ok(0 < len(tickets) < non_auto,
         "fewer tickets (%d) than non-auto messages (%d): threads were joined"
         % (len(tickets), non_auto))
    pend = [it.path for it, m in pairs if "hd-pending" in m["keywords"]]
    t.ok(not pend, "no message left hd-pending (store failures)", "\n".join(pend[:40]))
    by_cat = collections.Counter()
    for it, m in pairs:
        state = "auto" if "hd-auto" in m["keywords"] else (
            "pending" if "hd-pending" in m["keywords"] else (
                "ticket" if ticket_of(m) else "none"))
        by_cat[(it.category, state)] += 1
    t.diag("summary: %d messages delivered, %d tickets, %d hd-auto, %d hd-pending, "
           "%d hd_messages rows, %d thread replies checked"
           % (len(pairs), len(tickets), n_auto, n_pending, n_msgrows, checked))
    t.diag("by category/state: " + ", ".join(
        "%s/%s=%d" % (c, s, n) for (c, s), n in sorted(by_cat.items())))


if __name__ == "__main__":
    sys.exit(main())
