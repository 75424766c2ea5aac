#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot time: from QEMU's start to the guest's /init, with each IOMMU.

Boots the test guest (tests/guest/run.py's command line, bench scenario)
on each configuration in turn, --rounds times, interleaved so that
machine noise hits every configuration alike, and times the wall clock
from starting QEMU to the console's "VTD: BOOT" line, which the guest's
/init prints first. QEMU is killed there. Prints the median per
configuration and its ratio to the first one (no IOMMU by default).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import benchlib  # noqa: E402
from benchlib import median  # noqa: E402

TIMEOUT = 120       # seconds to the BOOT line


def boot_time(run_py, iommu, mode, kernel):
    """Seconds from QEMU's start to the guest's BOOT line, or None."""
    run = run_py.Run("bench", iommu, mode, kernel=kernel, bench_rows=[])
    with tempfile.TemporaryDirectory(prefix="vtd-boot-") as tmp:
        params = {"wseed": 77, "woff": run.disk_mib // 2, "wmib": 4}
        args, _, _ = run.qemu_args(tmp, params)
        args += ["-append", run.cmdline(params)]
        t0 = time.monotonic()
        p = subprocess.Popen(args, stdout=subprocess.PIPE,
                             stdin=subprocess.DEVNULL,
                             stderr=subprocess.STDOUT)
        took = None
        # a guest that hangs prints nothing: the timer ends the wait
        timer = threading.Timer(TIMEOUT, p.kill)
        timer.start()
        try:
            for line in p.stdout:
                if line.startswith(b"VTD: BOOT"):
                    took = time.monotonic() - t0
                    break
        finally:
            timer.cancel()
            p.kill()
            p.wait()
    return took


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iommu", default="none,vtd-dmar,vtd-dmar-ir,"
                    "intel-iommu", help="comma-separated run.py "
                    "configurations, the first the base (default "
                    "%(default)s)")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--mode", default="lazy")
    ap.add_argument("--kernel", default="6.12")
    ap.add_argument("--smoke", action="store_true",
                    help="the test suite's run: none and vtd-dmar, one "
                    "round; fails unless both boots reached /init")
    a = ap.parse_args()
    if a.smoke:
        a.iommu, a.rounds = "none,vtd-dmar", 1
    run_py = benchlib.load_run_py()
    iommus = a.iommu.split(",")
    times = {i: [] for i in iommus}
    failed = 0
    for rnd in range(a.rounds):
        for i in iommus:
            t = boot_time(run_py, i, a.mode, a.kernel)
            if t is None:
                failed += 1
                print("round %d %-14s no BOOT line within %d s" %
                      (rnd + 1, i, TIMEOUT), flush=True)
                continue
            times[i].append(t)
            print("round %d %-14s %.3f s" % (rnd + 1, i, t), flush=True)
    base = median(times[iommus[0]])
    print("\nseconds from QEMU's start to the guest's /init, median of %d "
          "(TCG, Linux %s, %s)" % (a.rounds, a.kernel, a.mode))
    for i in iommus:
        m = median(times[i])
        print("%-14s %7.3f s  %5.3fx %s  (min %.3f, max %.3f)" % (
            i, m, m / base, iommus[0], min(times[i] or [m]),
            max(times[i] or [m])))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
