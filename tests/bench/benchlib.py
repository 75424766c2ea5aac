# SPDX-License-Identifier: GPL-2.0-or-later
"""What the Python benchmarks share (bench-notify.py, bench-notify-guest.py,
bench-vhost.py): QEMU's CPU time, the guest runner, a console wrapper."""
import glob
import importlib.util
import json
import os
import re
import subprocess
import sys

TRACE_LINE = re.compile(r'^\d+@(\d+)\.(\d+):(\w+) (.*)$')

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))


def cpu_ns(pid):
    """A process's CPU time so far: its threads' run time (ns)."""
    total = 0
    for f in glob.glob('/proc/%d/task/*/schedstat' % pid):
        try:
            with open(f) as fh:
                total += int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass                # a thread that just ended
    return total


def median(v):
    """The median of V (the upper one of an even count; nan if empty)."""
    v = sorted(v)
    return v[len(v) // 2] if v else float('nan')


def load_run_py():
    """tests/guest/run.py as a module."""
    spec = importlib.util.spec_from_file_location(
        'guest_run', os.path.join(ROOT, 'tests', 'guest', 'run.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def trace_events(f):
    """(time in s, event name, the rest) of each line of the QEMU trace
    file F (the log backend's "PID@SEC.USEC:NAME ARGS" lines)."""
    for line in f:
        m = TRACE_LINE.match(line)
        if m:
            yield (int(m.group(1)) + int(m.group(2)) / 1e6, m.group(3),
                   m.group(4))


def wrap(out, argv, sample):
    """Run ARGV (QEMU) with its console passed through; SAMPLE(pid, line)
    gives a sample (or None) for each console line. The samples go to OUT
    (JSON); returns QEMU's exit status."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    samples = []
    stdout = sys.stdout.buffer
    for line in p.stdout:
        s = sample(p.pid, line)
        if s is not None:
            samples.append(s)
        stdout.write(line)
        stdout.flush()
    rc = p.wait()
    with open(out, 'w') as f:
        json.dump(samples, f)
    return rc
