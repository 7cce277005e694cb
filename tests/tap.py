"""tap.py — the TAP helpers the Python tests share (as tests/tap.sh for the shell
ones): ok/skip lines with a diagnostic on failure, the plan at the end, and
where Fashion-MNIST is, if anywhere."""
import os


class Tap:
    """Numbered TAP lines; done() prints the plan and returns the exit status."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=""):
        self.n += 1
        print(("ok %d - %s" if cond else "not ok %d - %s") % (self.n, desc))
        if not cond:
            self.failed += 1
            for line in (diag or "").splitlines()[:20]:
                print("# " + line)
        return cond

    def skip(self, desc, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, desc, why))

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


NO_FASHION_MNIST = "Fashion-MNIST not installed (Debian package dataset-fashion-mnist)"


def fashion_mnist():
    """The Fashion-MNIST folder ($RANKLAB_DATA or Debian's), or None."""
    for d in (os.environ.get("RANKLAB_DATA"), "/usr/share/datasets/fashion-mnist"):
        if d and os.path.exists(os.path.join(d, "t10k-labels-idx1-ubyte.gz")):
            return d
    return None
