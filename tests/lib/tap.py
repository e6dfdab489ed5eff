"""tap -- a tiny TAP (Test Anything Protocol) producer.

Output is valid for automake's tap-driver.sh: one "ok N - name" /
"not ok N - name" line per test, diagnostics as "# ..." lines, the plan
"1..N" printed by done() at the end.

    t = Tap()
    t.ok(1 + 1 == 2, "arithmetic")
    with t.check("delivery works"):       # ok unless the block raises
        deliver(...)
    @t.check("decorated")                 # runs the function right away
    def _():
        assert something
    t.skip("needs the plugin", "HD_PLUGIN not set")
    sys.exit(t.done())
"""

import sys
import traceback


def _clean(name):
    # '#' starts a directive in TAP; newlines would break the line.
    return " ".join(str(name).split()).replace("#", "\\#")


class _Check:
    def __init__(self, tap, name):
        self.tap = tap
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.tap.ok(True, self.name)
            return False
        if issubclass(exc_type, (KeyboardInterrupt, SystemExit)):
            self.tap.ok(False, self.name, "interrupted: %r" % (exc,))
            return False
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        self.tap.ok(False, self.name, text)
        return True  # swallow: the failure is reported, the next test runs

    def __call__(self, fn):
        with _Check(self.tap, self.name):
            fn()
        return fn


class Tap:
    """A TAP stream.  Every method returns whether the test passed."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.n = 0
        self.failed = 0
        self.skipped = 0
        self.finished = False

    def _emit(self, line):
        self.out.write(line + "\n")
        self.out.flush()

    def diag(self, msg):
        """Write msg (any text, multi-line) as "# " diagnostics."""
        for line in str(msg).rstrip("\n").splitlines() or [""]:
            self._emit(("# " + line).rstrip())

    def ok(self, cond, name, diag=None):
        """One test: "ok"/"not ok" by the truth of cond.  diag (str or
        callable returning str) is printed only when the test fails."""
        self.n += 1
        passed = bool(cond)
        self._emit("%s %d - %s" % ("ok" if passed else "not ok", self.n, _clean(name)))
        if not passed:
            self.failed += 1
            if callable(diag):
                try:
                    diag = diag()
                except Exception as e:  # pragma: no cover
                    diag = "diag() raised %r" % (e,)
            if diag is not None:
                self.diag(diag)
        return passed

    def eq(self, got, expected, name):
        """ok(got == expected) with both values as diagnostics."""
        return self.ok(got == expected, name,
                       lambda: "     got: %r\nexpected: %r" % (got, expected))

    def check(self, name):
        """Context manager / decorator: "ok" unless the block (or the
        decorated function, run immediately) raises; then "not ok" with the
        traceback as diagnostics and execution continues after the block."""
        return _Check(self, name)

    def skip(self, name, why):
        """A skipped test: "ok N - name # SKIP why"."""
        self.n += 1
        self.skipped += 1
        self._emit("ok %d - %s # SKIP %s" % (self.n, _clean(name), _clean(why)))
        return True

    def todo(self, cond, name, why):
        """A test expected to fail: "... # TODO why" (never fails the run)."""
        self.n += 1
        self._emit("%s %d - %s # TODO %s" % ("ok" if cond else "not ok", self.n,
                                             _clean(name), _clean(why)))
        return bool(cond)

    def bail(self, reason):
        """Abort the whole test script ("Bail out!"); exits with 1."""
        self._emit("Bail out! %s" % _clean(reason))
        self.finished = True
        sys.exit(1)

    def done(self):
        """Print the plan "1..N"; return 0 if every test passed, else 1."""
        if not self.finished:
            self.finished = True
            if self.n == 0:
                self._emit("1..0 # SKIP no tests run")
            else:
                self._emit("1..%d" % self.n)
        return 1 if self.failed else 0
