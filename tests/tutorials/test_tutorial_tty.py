#!/usr/bin/env python3
"""test_tutorial_tty.py — lesson 1 as a reader meets it in a terminal.

The lesson runs on a pseudo-terminal (stdin is a tty), as in an interactive
shell: it shows the map of the steps and waits, saying which keys work; Enter
shows step 1 and waits again; space goes on too; another key is ignored; q
quits at once (no Enter) with status 0 and leaves the terminal as it was
(canonical mode, echo on); Ctrl-D quits too; --step 3 and --no-pause never
wait. TAP output.
"""
import fcntl
import termios
import os
import select
import signal
import subprocess
import sys
import time

EXE = os.path.join(os.environ.get("RK_BUILD_ROOT", "build"), "tutorials", "ranklab-tutorial-01")


def controlling_terminal():
    """In the child: a session of its own with the pseudo-terminal as its terminal, as a
    shell's foreground job has (so that Ctrl-C on it sends SIGINT)."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # a shell's foreground job gets the default actions, even when this test
    # itself was started with SIGINT/SIGQUIT ignored (a background job)
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP, signal.SIGTSTP):
        signal.signal(sig, signal.SIG_DFL)


class Session:
    """The lesson running on a pseudo-terminal; out collects everything it printed."""

    def __init__(self, *args):
        master, slave = os.openpty()
        self.master = master
        self.slave = slave   # kept open: the terminal's settings are read after the lesson ends
        self.before = termios.tcgetattr(slave)
        self.proc = subprocess.Popen([EXE, *args], stdin=slave, stdout=slave, stderr=slave,
                                     close_fds=True, preexec_fn=controlling_terminal)
        self.out = ""

    def read_until(self, text, timeout=20.0, count=1):
        """Read output until it contains text (count times) (True) or the time is up / the
        lesson ended (False)."""
        end = time.monotonic() + timeout
        while self.out.count(text) < count:
            left = end - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.master], [], [], min(left, 0.2))
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:   # the lesson exited and closed the terminal
                    return self.out.count(text) >= count
                if not chunk:
                    return self.out.count(text) >= count
                self.out += chunk.decode("utf-8", "replace")
        return True

    def quiet_for(self, seconds):
        """True when nothing new is printed for the given time (the lesson waits)."""
        before = len(self.out)
        self.read_until("\0never\0", timeout=seconds)
        return len(self.out) == before

    def send(self, data):
        os.write(self.master, data)

    def finish(self, timeout=20.0):
        """Drain the output and return the exit status (None on timeout)."""
        self.read_until("\0never\0", timeout=0.5)
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            status = None
        self.read_until("\0never\0", timeout=0.3)
        self.after = termios.tcgetattr(self.slave)
        os.close(self.slave)
        os.close(self.master)
        return status

    def restored(self):
        """The terminal's local modes (canonical, echo) are as before the lesson ran."""
        return self.after[3] == self.before[3]


n = 0
failed = 0


def case(ok, desc, session=None):
    global n, failed
    n += 1
    if not ok and session is not None:
        for line in session.out.splitlines()[-15:]:
            print("# " + line)
    print("%s %d - %s" % ("ok" if ok else "not ok", n, desc))
    failed += not ok


def main():
    prompt = "-- Enter or space: go on · q or Ctrl-D: quit --"
    s = Session()
    case(s.read_until(prompt) and "Steps:" in s.out and "Next: step 1 of 8" in s.out,
         "in a terminal: the map of the steps, then a pause naming its keys", s)
    case(s.quiet_for(1.0) and "== Step 1 of 8" not in s.out, "it waits", s)
    s.send(b"\n")
    # the whole prompt, not only the line before it: the prompt has no newline and
    # may reach the terminal a moment later, which a quiet_for would see
    case(s.read_until(prompt, count=2) and "Next: step 2 of 8" in s.out
         and "== Step 1 of 8" in s.out
         and "== Step 2 of 8" not in s.out, "Enter: step 1, then a pause before step 2", s)
    s.send(b"x")
    case(s.quiet_for(1.0) and "== Step 2 of 8" not in s.out, "another key is ignored", s)
    s.send(b" ")
    case(s.read_until(prompt, count=3) and "Next: step 3 of 8" in s.out
         and "rank(W) = #{σ_i > tol} = 2" in s.out,
         "space: step 2 (rank 2), then a pause", s)
    s.send(b"q")   # no Enter
    status = s.finish()
    case(status == 0 and "== Step 3 of 8" not in s.out, "q quits at once, with status 0", s)
    case(s.restored(), "the terminal is left as it was (canonical mode, echo)", s)

    s = Session()
    s.read_until(prompt)
    s.send(b"\x04")   # Ctrl-D
    status = s.finish()
    case(status == 0 and "== Step 1 of 8" not in s.out and s.restored(),
         "Ctrl-D quits, the terminal as it was", s)

    s = Session()
    s.read_until(prompt)
    s.send(b"\x03")   # Ctrl-C: SIGINT while the terminal is in raw mode
    status = s.finish()
    case(status == -2 and s.restored(), "Ctrl-C ends it by SIGINT, the terminal as it was", s)

    s = Session("--step", "3")
    ok = s.read_until("Read alongside: lib/linalg/svd.c")
    case(s.finish() == 0 and ok and s.out.count("== Step ") == 1 and "-- Enter" not in s.out,
         "--step 3 in a terminal shows step 3 and does not wait", s)

    s = Session("--no-pause")
    ok = s.read_until("End of Lesson 1")
    case(s.finish() == 0 and ok and "-- Enter" not in s.out, "--no-pause never waits", s)

    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
