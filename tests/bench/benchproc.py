"""benchproc.py — how the Python benchmarks run a whole command and measure it:
the child's own wall time, CPU time (user + system) and peak RSS.

A child's ru_maxrss counts the memory of the process it was started from:
posix_spawn/vfork share the parent's address space until exec, and the
kernel carries that space's high-water mark over into the child's figure
(after a fork, the pages it copied). A benchmark that holds hundreds of MB
would inflate its children's figures, so each child is started through a
small fresh Python process (python3 -S, ~8 MiB: the floor of the figure)
that times it and reports its own peak and CPU time from os.wait4.
"""
import collections
import subprocess
import sys
import tempfile

SPAWN = """import os, sys, time
t0 = time.perf_counter()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(sys.argv[1], "w") as f:
    f.write(f"{wall} {ru.ru_maxrss} {os.waitstatus_to_exitcode(status)} {ru.ru_utime + ru.ru_stime}")
"""

# wall and cpu in seconds, rss in MiB, code the exit code, out the child's stdout
Run = collections.namedtuple("Run", "wall rss code out cpu")


def run_capture(cmd, env):
    """Run cmd (cmd[0] a path) with env; its own Run figures, measured by the
    small process that starts it. stderr is discarded; a failure is reported."""
    with tempfile.TemporaryFile(mode="w+") as f, tempfile.NamedTemporaryFile(mode="r") as m:
        subprocess.run([sys.executable, "-S", "-c", SPAWN, m.name] + cmd, env=env, stdout=f,
                       stderr=subprocess.DEVNULL)
        wall, rss_kib, code, cpu = m.read().split()
        f.seek(0)
        run = Run(float(wall), int(rss_kib) / 1024, int(code), f.read(), float(cpu))
    if run.code != 0:
        sys.stderr.write(f"FAILED ({run.code}): {' '.join(cmd)}\n")
    return run
