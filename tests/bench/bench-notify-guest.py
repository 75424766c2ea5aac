#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Notifier cost in a booted guest: caching mode, MAP/UNMAP consumers.

Boots the test guest (tests/guest/run.py's bench scenario) with
caching-mode=on, on vtd-dmar and on this build's own intel-iommu (QEMU
10.0's: x-vtd-dmar-unmap-probe exists only in this binary), in strict and
lazy mode, once with x-vtd-dmar-unmap-probe in mode=map (a vfio-like MAP/
UNMAP consumer) on the virtio-blk and the e1000e device and once without;
also vtd-dmar without caching mode, for the throughput rows. Every
configuration runs once per round, interleaved, --rounds rounds.

QEMU runs under a small wrapper (this script, --wrap; run.py's
VTD_QEMU_WRAPPER) that passes the console through and, at the guest's
"VTD: BOOT" line and at each "VTD: BENCH <row>" line, samples QEMU's CPU
time (its threads' /proc/PID/task/*/schedstat run time) and the wall
clock: each row's CPU time is the difference with the line before it.
The host CPU time spent on notifiers is a row's CPU time with the probes
less without them (medians). Invalidations are counted in a separate pass
(one run per configuration, with the probes): the unit's invalidation
trace events (vtd-dmar: dmar_iotlb_inv and dmar_ccmd; intel-iommu:
vtd_inv_desc_iotlb_* and vtd_inv_desc_cc_*) into a file with timestamps,
bucketed by row; their rate is per second of that run's row.
"""
import argparse
import collections
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import benchlib  # noqa: E402
from benchlib import cpu_ns, load_run_py  # noqa: E402

HERE = os.path.dirname(os.path.realpath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def wrap(out, argv):
    """Run ARGV (QEMU), console through; samples into OUT (JSON)."""
    def sample(pid, line):
        if line.startswith(b'VTD: BOOT') or line.startswith(b'VTD: BENCH '):
            return (time.time(), cpu_ns(pid),
                    line.decode(errors='replace').strip())
        return None
    return benchlib.wrap(out, argv, sample)


def row_costs(samples):
    """{row: (cpu s, wall s)} from the wrapper's samples."""
    rows = {}
    for (t0, c0, _), (t1, c1, line) in zip(samples, samples[1:]):
        m = re.match(r'VTD: BENCH (\S+) ', line)
        if m:
            rows[m.group(1)] = ((c1 - c0) / 1e9, t1 - t0)
    return rows


# the probes, on the devices run.py names vtdblk and vtdnet
PROBES = ['-device', 'x-vtd-dmar-unmap-probe,id=pblk,'
          'device=/machine/peripheral/vtdblk,mode=map',
          '-device', 'x-vtd-dmar-unmap-probe,id=pnet,'
          'device=/machine/peripheral/vtdnet,mode=map']
# invalidation trace events: (event, kind)
TRACE = {
    'vtd-dmar': [('dmar_iotlb_inv', None), ('dmar_ccmd', 'context')],
    'intel-iommu': [('vtd_inv_desc_iotlb_global', 'global'),
                    ('vtd_inv_desc_iotlb_domain', 'domain'),
                    ('vtd_inv_desc_iotlb_pages', 'page'),
                    ('vtd_inv_desc_cc_global', 'context'),
                    ('vtd_inv_desc_cc_domain', 'context'),
                    ('vtd_inv_desc_cc_device', 'context'),
                    ('vtd_inv_desc_cc_devices', 'context')],
}
GRAN = {1: 'global', 2: 'domain', 3: 'page'}


def family(iommu):
    return 'vtd-dmar' if iommu.startswith('vtd-dmar') else 'intel-iommu'


def count_invalidations(path, samples):
    """{row: Counter(kind)} from a trace file, bucketed by the rows'
    wall-clock spans."""
    spans = []
    for (t0, _, _), (t1, _, line) in zip(samples, samples[1:]):
        m = re.match(r'VTD: BENCH (\S+) ', line)
        if m:
            spans.append((t0, t1, m.group(1)))
    counts = collections.defaultdict(collections.Counter)
    with open(path, errors='replace') as f:
        for t, name, rest in benchlib.trace_events(f):
            if name == 'dmar_iotlb_inv':
                g = re.search(r'gran (\d+)', rest)
                kind = GRAN.get(int(g.group(1)), 'other') if g else 'other'
            elif name == 'dmar_ccmd':
                kind = 'context'
            else:
                kind = dict(TRACE['intel-iommu']).get(name, 'other')
            for t0, t1, row in spans:
                if t0 <= t < t1:
                    counts[row][kind] += 1
                    break
    return counts


def main():
    if len(sys.argv) > 3 and sys.argv[1] == '--wrap':
        # --wrap OUT -- QEMU ARGS...
        sys.exit(wrap(sys.argv[2], sys.argv[4:]))
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--qemu', help='QEMU binary (default: the build\'s)')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--modes', default='strict,lazy')
    ap.add_argument('--rows', default='blk-1M,blk-1M-4k,blk-4K,nvme-1M,'
                    'net-get')
    ap.add_argument('--disk-mib', type=int, default=64)
    ap.add_argument('--net-mib', type=int, default=32)
    ap.add_argument('--kernel', default='6.12')
    ap.add_argument('--save', metavar='FILE',
                    help='also write the raw samples (JSON) to FILE')
    ap.add_argument('--no-count', action='store_true',
                    help='skip the invalidation-counting pass')
    args = ap.parse_args()
    rp = load_run_py()
    if args.qemu:
        rp.QEMU = os.path.abspath(args.qemu)
    # QEMU 10.0's intel-iommu from this build (not the 11.1 reference):
    # the probe exists only here
    rp.CONFIGS['intel-iommu-cm-10'] = dict(
        device='intel-iommu,intremap=off,caching-mode=on', ir='off')
    rows = args.rows.split(',')
    modes = args.modes.split(',')
    cols = []
    for mode in modes:
        cols.append(('vtd-dmar', mode, False))
        for iommu in ('vtd-dmar-cm', 'intel-iommu-cm-10'):
            for probe in (False, True):
                cols.append((iommu, mode, probe))
    tmp = tempfile.mkdtemp(prefix='bench-notify-guest-')
    me = os.path.realpath(__file__)

    def boot(iommu, mode, probe, name, extra=()):
        out = os.path.join(tmp, name + '.json')
        os.environ['VTD_QEMU_WRAPPER'] = '%s %s --wrap %s --' % (
            sys.executable, me, out)
        run = rp.Run('bench', iommu, mode, disk_mib=args.disk_mib,
                     net_mib=args.net_mib, bench_rows=rows,
                     kernel=args.kernel, name=name,
                     extra=(PROBES if probe else []) + list(extra))
        run.execute()
        del os.environ['VTD_QEMU_WRAPPER']
        try:
            with open(out) as f:
                samples = json.load(f)
        except (OSError, ValueError):
            samples = []
        return run, samples

    print('# QEMU %s; %d rounds, Linux %s, %d MiB disk, %d MiB over '
          'e1000e; load at start: %s' % (
              rp.QEMU, args.rounds, args.kernel, args.disk_mib,
              args.net_mib, open('/proc/loadavg').read().strip()),
          flush=True)
    mbs = collections.defaultdict(list)
    cpu = collections.defaultdict(list)
    wall = collections.defaultdict(list)
    for rnd in range(args.rounds):
        for col in cols:
            iommu, mode, probe = col
            name = 'bench-notify.%s.%s.%s.%d' % (
                iommu, mode, 'probe' if probe else 'plain', rnd)
            run, samples = boot(iommu, mode, probe, name)
            costs = row_costs(samples)
            for r in rows:
                if r in run.bench:
                    mbs[(col, r)].append(run.bench[r])
                if r in costs:
                    cpu[(col, r)].append(costs[r][0])
                    wall[(col, r)].append(costs[r][1])
            print('# round %d %-18s %-6s %-5s %s' % (
                rnd + 1, iommu, mode, 'probe' if probe else '-', ' '.join(
                    '%s=%.1fMB/s,%.2fs' % (r, run.bench[r], costs[r][0])
                    for r in rows if r in run.bench and r in costs)
                or 'NO DATA (see %s)' % run.log), flush=True)
    load_end = open('/proc/loadavg').read().strip()
    inv = {}
    if not args.no_count:
        # one counting run per IOMMU, in the first mode: with caching
        # mode Linux flushes the same way in strict and lazy mode (it
        # turns batching off: "IOMMU batching disallowed due to
        # virtualization"), and the workload is the same for both units
        for iommu in ('vtd-dmar-cm', 'intel-iommu-cm-10'):
            for mode in modes[:1]:
                name = 'bench-notify.%s.%s.count' % (iommu, mode)
                trace = os.path.join(tmp, name + '.trace')
                extra = ['-msg', 'timestamp=on']
                for ev, _ in TRACE[family(iommu)]:
                    extra += ['-trace', 'enable=%s' % ev]
                extra += ['-trace', 'file=%s' % trace]
                run, samples = boot(iommu, mode, True, name, extra)
                c = count_invalidations(trace, samples) if samples else {}
                spans = row_costs(samples)
                inv[(iommu, mode)] = (c, spans)
                print('# count %-18s %-6s %s' % (iommu, mode, ' '.join(
                    '%s=%s' % (r, dict(c.get(r, {}))) for r in rows)),
                      flush=True)

    def med(d, k):
        v = sorted(d.get(k, []))
        return v[len(v) // 2] if v else float('nan')

    if args.save:
        with open(args.save, 'w') as f:
            json.dump(dict(mbs=[[list(k[0]), k[1], v] for k, v in mbs.items()],
                           cpu=[[list(k[0]), k[1], v] for k, v in cpu.items()],
                           wall=[[list(k[0]), k[1], v]
                                 for k, v in wall.items()],
                           inv=[[k[0], k[1], v[0]] for k, v in inv.items()]),
                      f)
    print('\nload: %s at the end' % load_end)
    print('\nThroughput (MB/s, medians; probe: with the two MAP consumers)')
    print('%-10s' % 'row' + ''.join('%16s' % ('%s/%s%s' % (
        i.replace('intel-iommu-cm-10', 'intel-cm'), m[:1],
        '+p' if p else '')) for i, m, p in cols))
    for r in rows:
        print('%-10s' % r + ''.join('%16.1f' % med(mbs, (c, r))
                                    for c in cols))
    print('\nCaching mode against vtd-dmar without it (no probe, MB/s '
          'ratio)')
    for mode in modes:
        for r in rows:
            if '1M' not in r or '4k' in r:
                continue
            a = med(mbs, (('vtd-dmar-cm', mode, False), r))
            b = med(mbs, (('vtd-dmar', mode, False), r))
            i = med(mbs, (('intel-iommu-cm-10', mode, False), r))
            print('  %-6s %-8s vtd-dmar-cm %.1f / vtd-dmar %.1f = %.2fx   '
                  '(intel-iommu-cm (10.0) %.1f = %.2fx of vtd-dmar)' % (
                      mode, r, a, b, a / b, i, i / b))
    print('\nNotifier cost (host CPU s per row: with the probes less '
          'without, medians; invalidations from the counting pass)')
    print('%-10s %-18s %-6s %8s %8s %8s %9s %9s %10s' % (
        'row', 'iommu', 'mode', 'cpu -p', 'cpu +p', 'notif s',
        'invals', 'inv/s', 'us/inv'))
    for r in rows:
        if r.startswith('nvme'):
            continue            # no probe on nvme
        for iommu in ('vtd-dmar-cm', 'intel-iommu-cm-10'):
            for mode in modes:
                a = med(cpu, ((iommu, mode, False), r))
                b = med(cpu, ((iommu, mode, True), r))
                c, _ = inv.get((iommu, mode), inv.get((iommu, modes[0]),
                                                      ({}, {})))
                n = sum(c.get(r, {}).values()) if c else 0
                # the rate in the measured runs (with the probes), not in
                # the slower traced one
                secs = med(wall, ((iommu, mode, True), r))
                print('%-10s %-18s %-6s %8.2f %8.2f %8.2f %9s %9s %10s' % (
                    r, iommu.replace('-cm-10', '-cm (10.0)'), mode, a, b,
                    b - a, n or '-', '%.0f' % (n / secs) if n and secs
                    else '-', '%.1f' % ((b - a) * 1e6 / n) if n else '-'))
    if inv:
        print('\nInvalidations by kind (counting pass):')
        for (iommu, mode), (c, _) in sorted(inv.items()):
            for r in rows:
                if r in c:
                    print('  %-18s %-6s %-10s %s' % (
                        iommu, mode, r, ' '.join(
                            '%s %d' % kv for kv in sorted(c[r].items()))))


if __name__ == '__main__':
    main()
