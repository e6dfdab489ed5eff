#!/usr/bin/python3
"""bench-ack -- what the acknowledgement costs a delivery: new tickets
delivered over LMTP into the queue with helpdesk_ack = yes against the
same private Dovecot with acknowledgements off, in the same run.

Each new ticket comes from its own sender (the rate limit never holds
one back), so every delivery sends one acknowledgement through
sendmail_path -- here a script that reads the message and throws it away,
the cheapest real sendmail: what is measured is the plugin's work (the
rate-limit write in the store, the template, the composition) and the
fork and exec of sendmail, as Sieve's vacation pays it.

The same with submission_host instead: an SMTP sink in this process (a
thread that accepts and discards; no fork in Dovecot then).

Runs interleaved (off, on, on, off, ...), BENCH_ACK_REPEAT times each,
each on a fresh Dovecot warmed up by one mail; prints the median rate of
each and the ratio on/off, and the time each acknowledgement adds.

Environment: HD_PLUGIN (required), HD_SRCDIR, BENCH_ACK_N (mails per run,
default 300), BENCH_ACK_REPEAT (default 3).

Run as root:  make -C bench bench-ack   (or)
  HD_PLUGIN=plugin/.libs/lib20_helpdesk_plugin.so HD_SRCDIR=. \\
      /usr/bin/python3 bench/bench-ack.py
"""

import os
import socketserver
import statistics
import sys
import threading
import time

SRCDIR = os.environ.get("HD_SRCDIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "lib"))

from hdtest import Dovecot, make_message, _lmtp_close  # noqa: E402

N = int(os.environ.get("BENCH_ACK_N", "300"))
REPEAT = int(os.environ.get("BENCH_ACK_REPEAT", "3"))
RCPT = "support@example.com"
DEVNULL_SENDMAIL = os.environ.get("BENCH_ACK_SCRIPT", "#!/bin/sh\ncat > /dev/null\n")


class SmtpSink(socketserver.StreamRequestHandler):
    """Just enough SMTP for Dovecot's submission client: everything is
    accepted and thrown away."""

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.reply("220 sink ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line[:4].upper()
            if cmd in (b"EHLO", b"LHLO"):
                self.reply("250-sink")
                self.reply("250 8BITMIME")
            elif cmd == b"DATA":
                self.reply("354 go on")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                self.reply("250 2.0.0 thrown away")
            elif cmd == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class ThreadingSink(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def one_run(plugin, ack, run, sink_port=None):
    dc = Dovecot(plugin=plugin, settings={
        "helpdesk_support_address": RCPT,
        "helpdesk_ack": "yes" if ack else "no"})
    if sink_port is not None:
        dc.extra_config += "submission_host = 127.0.0.1:%d\n" % sink_port
    else:
        script = os.path.join(dc.root, "sendmail")
        with open(script, "w") as f:
            f.write(DEVNULL_SENDMAIL)
        os.chmod(script, 0o755)
        dc.extra_config += "sendmail_path = %s\n" % script
    msgs = [make_message(subject="Request %d" % i,
                         sender="c%d-%d@customer.example" % (run, i))
            for i in range(N + 1)]
    try:
        dc.start()
        conn = dc.lmtp()
        try:
            # warm-up: the store is created, the Sieve script loaded
            dc._transaction(conn, msgs[0], [RCPT], "c@customer.example")
            t0 = time.monotonic()
            for i, msg in enumerate(msgs[1:]):
                dc._transaction(conn, msg, [RCPT],
                                "c%d-%d@customer.example" % (run, i))
            elapsed = time.monotonic() - t0
        finally:
            _lmtp_close(conn)
        sent = len(dc.sql("SELECT 1 FROM hd_acks"))
        tickets = dc.sql("SELECT COUNT(*) FROM hd_tickets")[0][0]
        if tickets != N + 1 or sent != (N + 1 if ack else 0):
            sys.exit("bench-ack: %d tickets, %d acknowledgements recorded "
                     "(expected %d, %d)" % (tickets, sent, N + 1,
                                            N + 1 if ack else 0))
        errors = dc.log_errors()
        if errors:
            sys.exit("bench-ack: errors in the log:\n" + "\n".join(errors[:5]))
        return N / elapsed
    finally:
        dc.stop()
        dc.cleanup()


def main():
    plugin = os.environ.get("HD_PLUGIN")
    if not plugin:
        sys.exit("bench-ack: HD_PLUGIN is not set")
    sink = ThreadingSink(("127.0.0.1", 0), SmtpSink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    sink_port = sink.server_address[1]
    # off, sendmail, submission, then the other way round, ...
    variants = [("off", False, None), ("sendmail", True, None),
                ("submission", True, sink_port)]
    rates = {name: [] for name, _, _ in variants}
    order = []
    for r in range(REPEAT):
        order += variants if r % 2 == 0 else variants[::-1]
    for i, (name, ack, port) in enumerate(order):
        rate = one_run(plugin, ack, i, port)
        rates[name].append(rate)
        print("bench-ack: run %d, %s: %.1f deliveries/s" % (i + 1, name, rate),
              flush=True)
    off = statistics.median(rates["off"])
    for name in ("sendmail", "submission"):
        on = statistics.median(rates[name])
        print("bench-ack: %d new tickets per run, 1 LMTP client, median of "
              "%d: off %.1f/s, acknowledgements by %s %.1f/s, ratio %.3f, "
              "%.2f ms per acknowledgement" % (
                  N, REPEAT, off, name, on, on / off,
                  1000.0 / on - 1000.0 / off))
    sink.shutdown()


if __name__ == "__main__":
    main()
