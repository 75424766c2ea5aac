#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The IOMMU's share of QEMU's host CPU over a benchmark window.

Boots the test guest's bench scenario (tests/guest/run.py) once per row,
configuration, mode and round, interleaved, with QEMU under
`perf record -e cpu-clock -F 4999` (this script, --wrap, as run.py's
VTD_QEMU_WRAPPER). perf starts with its events disabled; the wrapper
enables them at the guest's "VTD: BOOT" line (init has started, the
kernel's boot is over) and disables them at the row's "VTD: BENCH" line,
so only the row's reads are sampled.

A sample counts for the IOMMU when its function is
  - the unit's own: defined in one of its object files (for vtd-dmar,
    hw/i386/vtd-dmar/*.c; for intel-iommu, hw/i386/intel_iommu.c), named
    by nm, static functions included;
  - or one of QEMU's memory API functions on the IOMMU translation path
    that the unit's answers drive (MEMORY_API below): the IOMMU region
    walk, and mapping and unmapping the pieces it returns. These also run
    without an IOMMU, once per contiguous piece: counting all of them
    overstates the unit's share rather than hiding any.
The share is of every sample in the window (all of QEMU's threads:
vCPUs, iothreads, the main loop). Medians over rounds.

For vtd-dmar the invalidation path is reported apart: the share of its
functions (INV_PATH below: the register write that carries IQT, the
queue's run and descriptors, the cache flushes), and what one queue run
costs: the path's samples over the window, as host CPU seconds, divided
by the queue runs in the window. The runs and the IOTLB invalidations
are counted from the trace events dmar_qi_run and dmar_iotlb_inv, which
the wrapper enables into a log file and counts at the window's edges.
That log costs host CPU of its own (a write per event): rows with many
invalidations (caching mode maps) are then slower than unprofiled, and
--no-count leaves it out (no runs, no per-run cost).
In strict mode Linux submits each unmap's page-selective invalidation
with its wait descriptor as one run: then a run's cost is that of a
page-selective invalidation plus wait.

intel-iommu runs on this build's binary (QEMU 10.0's model): the
reference QEMU 11.1 is Debian's stripped binary, whose static functions
perf cannot name.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import shutil
import signal
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import benchlib  # noqa: E402
from benchlib import median  # noqa: E402

ROOT = benchlib.ROOT
BUILD = os.environ.get("VTD_BUILD", os.path.join(ROOT, "build"))
OBJDIR = os.path.join(BUILD, "qemu", "libqemu-x86_64-softmmu.a.p")

# QEMU 10.0's memory API on the IOMMU translation path (system/physmem.c,
# system/memory.c)
MEMORY_API = {
    "address_space_translate_iommu", "flatview_do_translate",
    "flatview_translate", "flatview_extend_translation",
    "address_space_translate", "address_space_map", "address_space_unmap",
    "address_space_get_iotlb_entry", "memory_region_iommu_replay",
    "memory_region_notify_iommu", "memory_region_notify_iommu_one",
    "memory_region_unregister_iommu_notifier",
    "memory_region_register_iommu_notifier",
}
# vtd-dmar's invalidation path: MMIO write to IQT, the queue, the flushes
INV_PATH = re.compile(r"^(dmar_mmio_write|dmar_unit_write|unit_write|"
                      r"dmar_unit_access|access_reg|dmar_run_actions|"
                      r"dmar_do_actions|"
                      r"iqt_write|qi_.*|dmar_qi_.*|dmar_unit_qi_.*|inv_.*|"
                      r"dmar_iotlb_flush_.*|dmar_ctx_cache_flush.*|"
                      r"dmar_pasid_cache_flush.*)$")
# the unit's objects, by configuration family
UNIT_OBJS = {
    "vtd-dmar": r"^hw_i386_vtd-dmar_.*\.c\.o$",
    "intel-iommu": r"^hw_i386_intel_iommu\.c\.o$",
}
# perf report -n --sort dso,sym: "  1.23%  456  qemu-system-x86_64  [.] sym"
SAMPLE = re.compile(r"^\s*([0-9.]+)%\s+(\d+)\s+\S+\s+\[\S+\]\s+(.+?)\s*$")


SMOKE_MIN = 100
# Samples per second of CPU: a 1 MiB row's window is about 0.3 s of it
FREQ = 4999
# Seconds QEMU gets to exit after the window (a normal power-down takes
# one or two) before end_workload() kills it: less than run.py's
# POWER_DOWN_GRACE, which kills perf too
SHUTDOWN_GRACE = 10


def family(iommu):
    return "vtd-dmar" if iommu.startswith("vtd-dmar") else "intel-iommu"


def unit_symbols(fam):
    """Every function defined in the unit's object files."""
    objs = [os.path.join(OBJDIR, f) for f in sorted(os.listdir(OBJDIR))
            if re.match(UNIT_OBJS[fam], f)]
    if not objs:
        sys.exit("profile: no object files for %s in %s" % (fam, OBJDIR))
    out = subprocess.run(["nm", "--defined-only"] + objs, check=True,
                         capture_output=True, text=True).stdout
    return {ln.split()[2] for ln in out.splitlines()
            if len(ln.split()) == 3 and ln.split()[1] in "tT"}


def inv_counts(log):
    """(queue runs, IOTLB invalidations) logged so far in LOG"""
    runs = invs = 0
    try:
        with open(log, errors="replace") as f:
            for ln in f:
                runs += "dmar_qi_run " in ln
                invs += "dmar_iotlb_inv " in ln
    except FileNotFoundError:
        pass
    return runs, invs


def end_workload(perf_pid):
    """Kill perf's workload (QEMU), not perf: perf then writes out its
    data and exits. For a QEMU that does not exit after the window (the
    scale rows' shutdown hang, README), before run.py's timeout kills
    the whole process group, perf with it, and the data is lost."""
    try:
        with open("/proc/%d/task/%d/children" % (perf_pid, perf_pid)) as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        return
    for k in kids:
        print("profile: QEMU still running %d s after the window, killed "
              "(its samples are kept)" % SHUTDOWN_GRACE, file=sys.stderr,
              flush=True)
        try:
            os.kill(k, signal.SIGKILL)
        except ProcessLookupError:
            pass


def wrap(data, argv, count=True):
    """Run ARGV (QEMU) under perf record into DATA, sampling from the
    guest's "VTD: BOOT" line to its next "VTD: BENCH" line; the console
    passes through. The invalidations of the window go to DATA.inv (queue
    runs, IOTLB invalidations). Returns QEMU's exit status."""
    tmp = tempfile.mkdtemp(prefix="vtd-profile-")
    ctl, ack = os.path.join(tmp, "ctl"), os.path.join(tmp, "ack")
    log = os.path.join(tmp, "trace.log")
    edges = []
    os.mkfifo(ctl)
    os.mkfifo(ack)
    # The log file is line-buffered: counted lines are those written
    if count:
        argv = argv + ["-trace", "dmar_qi_run", "-trace", "dmar_iotlb_inv",
                       "-D", log]
    p = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock",
                          "-F", str(FREQ), "-D", "-1", "--control",
                          "fifo:%s,%s" % (ctl, ack), "-o", data, "--"] +
                         argv, stdout=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    # O_RDWR: opening a FIFO so never waits for the other end
    cfd = os.open(ctl, os.O_RDWR)
    afd = os.open(ack, os.O_RDWR)
    on = False
    out = sys.stdout.buffer
    watchdog = None
    for line in p.stdout:
        want = (line.startswith(b"VTD: BOOT") or
                (on and not line.startswith(b"VTD: BENCH ")))
        if want != on:
            os.write(cfd, b"enable\n" if want else b"disable\n")
            os.read(afd, 16)
            on = want
            edges.append(inv_counts(log))
            if not on and watchdog is None:
                watchdog = threading.Timer(SHUTDOWN_GRACE, end_workload,
                                           (p.pid,))
                watchdog.daemon = True
                watchdog.start()
        out.write(line)
        out.flush()
    rc = p.wait()
    if watchdog:
        watchdog.cancel()
    os.close(cfd)
    os.close(afd)
    if len(edges) >= 2:
        with open(data + ".inv", "w") as f:
            f.write("%d %d\n" % (edges[1][0] - edges[0][0],
                                 edges[1][1] - edges[0][1]))
    for f in (ctl, ack, log):
        if os.path.exists(f):
            os.unlink(f)
    os.rmdir(tmp)
    return rc


def shares(data, unit):
    """(unit share %, memory API share %, samples, {symbol: %}, share % of
    the invalidation path) of DATA."""
    rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "-q",
                          "-n", "--no-children", "--sort", "dso,sym",
                          "--percent-limit", "0"],
                         capture_output=True, text=True)
    own = api = inv = 0.0
    n = 0
    by_sym = collections.Counter()
    for ln in rep.stdout.splitlines():
        s = SAMPLE.match(ln)
        if not s:
            continue
        pct, sym = float(s.group(1)), s.group(3)
        n += int(s.group(2))
        if sym in unit:
            own += pct
            by_sym[sym] += pct
            inv += pct if INV_PATH.match(sym) else 0
        elif sym in MEMORY_API:
            api += pct
            by_sym[sym] += pct
    return own, api, n, by_sym, inv


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wrap", metavar="DATA", help=argparse.SUPPRESS)
    ap.add_argument("--iommu", default="vtd-dmar,intel-iommu",
                    help="comma-separated run.py configurations "
                    "(default %(default)s)")
    ap.add_argument("--rows", default="blk-1M,nvme-1M,blk-4K,nvme-4K")
    ap.add_argument("--modes", default="lazy,strict")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--kernel", default="6.12")
    ap.add_argument("--passes", type=int, default=0,
                    help="reads of the disk per 1M row (guest default 32)")
    ap.add_argument("--no-count", action="store_true",
                    help="no trace log of the invalidations (its writes "
                    "cost host CPU where there are many)")
    ap.add_argument("--keep", metavar="DIR",
                    help="keep each run's perf.data in DIR (perf report -i)")
    ap.add_argument("--top", type=int, default=6,
                    help="functions listed per configuration")
    ap.add_argument("--smoke", action="store_true",
                    help="the test suite's run: blk-4K, strict, one round; "
                    "fails unless every run was sampled (at least %d "
                    "samples) and named functions of its unit" % SMOKE_MIN)
    ap.add_argument("argv", nargs="*")
    a = ap.parse_args()
    if a.wrap:
        return wrap(a.wrap, a.argv, not a.no_count)
    if a.smoke:
        a.rows, a.modes, a.rounds = "blk-4K", "strict", 1

    run_py = benchlib.load_run_py()
    run_py.REF_QEMU = None          # intel-iommu on this build (symbols)
    iommus, rows = a.iommu.split(","), a.rows.split(",")
    modes = a.modes.split(",")
    units = {f: unit_symbols(f) for f in {family(i) for i in iommus}}
    cols = [(i, m) for i in iommus for m in modes]
    got = {(c, r): [] for c in cols for r in rows}
    syms = {c: collections.Counter() for c in cols}
    tmp = tempfile.mkdtemp(prefix="vtd-profile-")
    me = os.path.realpath(__file__)
    for rnd in range(a.rounds):
        for c in cols:
            for r in rows:
                data = os.path.join(tmp, "perf.data")
                os.environ["VTD_QEMU_WRAPPER"] = "%s %s --wrap %s%s --" % (
                    sys.executable, me, data,
                    " --no-count" if a.no_count else "")
                if a.passes:
                    os.environ["VTD_GUEST_CMDLINE"] = "vtd.passes=%d" % \
                        a.passes
                run = run_py.Run("bench", c[0], c[1], bench_rows=[r],
                                 kernel=a.kernel,
                                 name="profile.%s.%s.%s.%s.%d" % (
                                     a.kernel, c[0], c[1], r, rnd)).execute()
                if r not in run.bench or not os.path.exists(data):
                    print("round %d %s/%s %s: NO DATA (see %s)" %
                          (rnd + 1, c[0], c[1], r, run.log), flush=True)
                    continue
                own, api, n, by, inv = shares(data, units[family(c[0])])
                if a.keep:
                    os.makedirs(a.keep, exist_ok=True)
                    shutil.move(data, os.path.join(
                        a.keep, "perf.%s.%s.%s.%d.data" % (c[0], c[1], r,
                                                           rnd + 1)))
                else:
                    os.unlink(data)
                runs = invs = 0
                if os.path.exists(data + ".inv"):
                    with open(data + ".inv") as f:
                        runs, invs = map(int, f.read().split())
                    os.unlink(data + ".inv")
                # the path's host CPU seconds per queue run, in us
                per_run = (inv / 100 * n / FREQ / runs * 1e6 if runs
                           else float("nan"))
                got[(c, r)].append((own + api, own, api, run.bench[r], n,
                                    inv, runs, invs, per_run))
                syms[c].update(by)
                print("round %d %-12s %-6s %-10s %7.1f MB/s  unit %.2f%% "
                      "(own %.2f%%, memory API %.2f%%) of %d samples; "
                      "invalidation path %.2f%%, %s" %
                      (rnd + 1, c[0], c[1], r, run.bench[r], own + api, own,
                       api, n, inv,
                       "queue runs not counted (--no-count)" if a.no_count
                       else "%d queue runs, %d IOTLB invalidations" %
                       (runs, invs)), flush=True)
    os.rmdir(tmp)

    print("\nThe IOMMU's share of QEMU's host CPU over the benchmark window,"
          " median of %d rounds (TCG, Linux %s)" % (a.rounds, a.kernel))
    print("(inval: the share of vtd-dmar's invalidation path, within own; "
          "runs: queue runs in the window; us/run: the path's host CPU per "
          "queue run; -: not counted, --no-count)")
    print("%-10s %-12s %-6s %8s %8s %8s %10s %8s %8s %8s" %
          ("row", "iommu", "mode", "share", "own", "memAPI", "MB/s",
           "inval", "runs", "us/run"))
    for r in rows:
        for c in cols:
            v = got[(c, r)]
            if not v:
                print("%-10s %-12s %-6s %8s" % (r, c[0], c[1], "no data"))
                continue
            vtd = family(c[0]) == "vtd-dmar"
            print("%-10s %-12s %-6s %7.2f%% %7.2f%% %7.2f%% %10.1f %s" % (
                r, c[0], c[1], median([x[0] for x in v]),
                median([x[1] for x in v]), median([x[2] for x in v]),
                median([x[3] for x in v]),
                "%7.2f%% %8s %8s" % (
                    median([x[5] for x in v]),
                    "-" if a.no_count else "%.0f" % median([x[6] for x in v]),
                    "-" if a.no_count else
                    "%.1f" % median([x[8] for x in v])) if vtd else ""))
    for c in cols:
        n = sum(len(got[(c, r)]) for r in rows) or 1
        top = ", ".join("%s %.2f%%" % (s, p / n)
                        for s, p in syms[c].most_common(a.top))
        print("\n%s/%s, mean share per run: %s" % (c[0], c[1], top or "-"))
    bad = [k for k, v in got.items() if not v or
           (a.smoke and (v[0][4] < SMOKE_MIN or v[0][1] <= 0))]
    for (c, r) in bad:
        print("FAIL %s/%s %s: no data, or too few samples, or none in the "
              "unit's functions" % (c[0], c[1], r))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
