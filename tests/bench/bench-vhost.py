#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vhost-user with device-IOTLB: frames per second that come back checked.

Boots the test guest's vhost scenario (tests/guest/run.py, tests/guest/init:
virtio-net with iommu_platform=on behind Debian's dpdk-testpmd, vhost PMD
in macswap mode, through run.py's VhostRelay) on each configuration, once
per round, interleaved, --rounds rounds:

  none              no IOMMU
  vtd-dmar          strict
  vtd-dmar-ats      strict and lazy (device-iotlb=on, ats=on behind a root
                    port: vhost hears device-TLB invalidations)
  intel-iommu-10    strict: this build's own intel-iommu (QEMU 10.0), not
                    the 11.1 reference, so that both units run in the same
                    binary; intremap=off as vtd-dmar
  intel-iommu-ats-10  strict, device-iotlb=on, intremap=on,eim=off as
                    vtd-dmar-ats

The guest sends ONE round of --frames frames of --size bytes (vtdtool
frames IFNAME 1 N SIZE: run.py's second round is left out, QEMU 10.0's
virtio-net/vhost-user path loses it, "not a head!", README vhost) and
checks every byte of every frame that comes back.

Time window, host side (the guest prints no times of its own): QEMU runs
under this script as VTD_QEMU_WRAPPER (--wrap), which stamps each console
line "VTD: INFO frames-progress sent S, returned R, bad B" (the guest
prints one after every 50th frame sent, inside its send loop) with the
host's clock. The window runs from the line at S=50 to the first line
that shows the send loop's final R, the last at which frames were still
coming back (see window()): good frames/s = (R there - R at S=50) / the
time between the two lines; sent/s likewise with S. Without an IOMMU the
window ends at S=N. With one, on QEMU 10.0.13 and DPDK 22.11, the guest's
TX queue stops after a few hundred frames (README vhost: "not a head!",
or it stalls) and the rest of the loop sends into nothing: those sends
are not timed.
Frames that come back after the loop (the guest then drains for 1 s
without news) count in "good" but not in the rate.

IOTLB misses: in every timed run, run.py's relay counts the back-end's
VHOST_IOTLB_MISS requests to QEMU (testpmd asking for a translation it
lacks) and its own ring requests (see VhostRelay); testpmd's forward
statistics give the frames it received from the guest (RX) and the frames
it could not hand back (TX-dropped: no guest RX buffer it could translate
or use: an IOTLB miss on the guest's RX ring or buffers, or a full ring).
A separate counting run per IOMMU configuration traces QEMU's
vhost_iotlb_miss (step 1: QEMU serves one miss) into a file, with the
host's clock, so that misses inside the send window are counted apart;
tracing is off in the timed runs (but for run.py's own trace of the
unit's device-TLB invalidations in the ATS configurations, a few hundred
events per run, as in the suite).
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
from benchlib import load_run_py  # noqa: E402

HERE = os.path.dirname(os.path.realpath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

PROGRESS = re.compile(rb'VTD: INFO frames-progress sent (\d+), returned '
                      rb'(\d+), bad (\d+)')
STAMPED = (b'VTD: BOOT', b'VTD: INFO frames-', b'VTD: RESULT vhost-frames')
BROKE = b'is not a head!'


def wrap(out, argv):
    """Run ARGV (QEMU), console through; stamped lines into OUT (JSON)."""
    def sample(pid, line):
        if line.startswith(STAMPED) or BROKE in line:
            return (time.time(), line.decode(errors='replace').strip())
        return None
    return benchlib.wrap(out, argv, sample)


# (label, run.py config, mode)
COLS = [('none', 'none', 'strict'),
        ('vtd-dmar/s', 'vtd-dmar', 'strict'),
        ('vtd-ats/s', 'vtd-dmar-ats', 'strict'),
        ('vtd-ats/l', 'vtd-dmar-ats', 'lazy'),
        ('intel10/s', 'intel-iommu-10', 'strict'),
        ('intel10-ats/s', 'intel-iommu-ats-10', 'strict')]


def window(samples, frames):
    """(t0, t1, returned0, returned1, sent1) of the send loop's working
    phase, or None: from the progress line at S=50 to the first progress
    line that shows the loop's final R (the last one at which frames were
    still coming back). Without an IOMMU that is the line at S=N; with one,
    the guest's TX queue breaks after a few hundred frames (README vhost:
    "not a head!", or the queue stops), and later sends go nowhere fast:
    they are not part of the window."""
    prog = []
    for t, line in samples:
        m = PROGRESS.search(line.encode())
        if m:
            prog.append((t, int(m.group(1)), int(m.group(2))))
    first = [p for p in prog if p[1] == 50]
    if not first:
        return None
    last = first[0]
    for p in prog:
        if p[2] > last[2]:
            last = p
    return first[0][0], last[0], first[0][2], last[2], last[1]


def parse_run(run, samples, frames, rp):
    """The figures of one run (a dict)."""
    r = dict(ok=False)
    try:
        with open(run.log, errors='replace') as f:
            out = f.read()
    except OSError:
        out = ''
    m = re.search(r'VTD: RESULT vhost-frames \w+ sent (\d+), returned (\d+),'
                  r' lost (\d+), bad (\d+)', out)
    if m:
        r.update(sent=int(m.group(1)), good=int(m.group(2)),
                 lost=int(m.group(3)), bad=int(m.group(4)))
    m = re.search(r'VTD: INFO \S+ tx (\d+) \(dropped (\d+)\) rx (\d+)', out)
    if m:
        r.update(gtx=int(m.group(1)), gtxdrop=int(m.group(2)))
    m = re.search(r'frames-socket-drops (\d+)', out)
    r['sockdrop'] = int(m.group(1)) if m else 0
    r['nothead'] = bool(re.search(r'is not a head!', out))
    for c, st, d in run.results:
        if c == 'vhost-iotlb':
            m = re.search(r'(\d+) invalidations \((\d+) wrapping\), (\d+) '
                          r'misses, (\d+) updates, (\d+) ring requests', d)
            if m:
                r.update(inval=int(m.group(1)), misses=int(m.group(3)),
                         updates=int(m.group(4)), ringreq=int(m.group(5)))
    # the relay's list: the back-end's misses by access (DPDK's
    # VHOST_ACCESS_RO 1, WO 2, RW 3): a write miss is one on a guest RX
    # buffer (or the used ring), where DPDK 22.11 drops the rest of the
    # burst it is enqueueing; a read miss (TX buffers, rings) only delays
    try:
        with open(os.path.join(rp.LOGS, run.name + '.iotlb.log'),
                  errors='replace') as f:
            perms = re.findall(r'^miss iova \S+ perm (\d+)', f.read(), re.M)
        r.update(wmiss=sum(p in ('2', '3') for p in perms),
                 rmiss=sum(p == '1' for p in perms))
    except OSError:
        pass
    try:
        with open(os.path.join(rp.LOGS, run.name + '.testpmd.log'),
                  errors='replace') as f:
            tp = f.read()
        m = re.findall(r'RX-packets: (\d+)\s+RX-dropped: (\d+).*\n\s*'
                       r'TX-packets: (\d+)\s+TX-dropped: (\d+)', tp)
        if m:
            r.update(prx=int(m[-1][0]), ptx=int(m[-1][2]),
                     ptxdrop=int(m[-1][3]))
    except OSError:
        pass
    w = window(samples, frames)
    if w:
        t0, t1, r0, r1, s1 = w
        dt = t1 - t0
        r.update(win=dt, wsent=s1, rate=(r1 - r0) / dt if dt > 0 else 0.0,
                 srate=(s1 - 50) / dt if dt > 0 else 0.0, t0=t0, t1=t1)
    r['ok'] = 'good' in r and 'rate' in r
    return r


def count_trace(path, t0, t1):
    """(misses in [t0, t1), misses in the whole run, errors, device-TLB
    invalidations) from a trace file. vhost_iotlb_miss step 1: QEMU
    starts serving a miss; steps 3 and 4: it could not look the
    translation up in vhost's memory regions or send the update."""
    inwin = total = err = devtlb = 0
    try:
        f = open(path, errors='replace')
    except OSError:
        return None
    with f:
        for t, name, rest in benchlib.trace_events(f):
            if name == 'vhost_iotlb_miss':
                step = re.search(r'step (\d+)', rest)
                step = int(step.group(1)) if step else 0
                if step == 1:
                    total += 1
                    if t0 is not None and t0 <= t < t1:
                        inwin += 1
                elif step in (3, 4):
                    err += 1
            elif name == 'dmar_devtlb_inv':
                devtlb += 1
    return inwin, total, err, devtlb


def med(v):
    v = sorted(x for x in v if x is not None)
    if not v:
        return float('nan')
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def main():
    if len(sys.argv) > 3 and sys.argv[1] == '--wrap':
        sys.exit(wrap(sys.argv[2], sys.argv[4:]))
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--qemu', help='QEMU binary (default: the build\'s)')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--frames', type=int, default=3000,
                    help='frames per run, a multiple of 50 (default 3000)')
    ap.add_argument('--size', type=int, default=1400)
    ap.add_argument('--kernel', default='6.12')
    ap.add_argument('--cols', default=','.join(c[0] for c in COLS),
                    help='configurations (labels), comma-separated')
    ap.add_argument('--no-count', action='store_true',
                    help='skip the traced miss-counting runs')
    ap.add_argument('--save', metavar='FILE',
                    help='also write every run\'s figures (JSON) to FILE')
    args = ap.parse_args()
    if args.frames % 50 or not 100 <= args.frames <= 0xffff:
        ap.error('--frames: a multiple of 50 from 100 to 65500')
    rp = load_run_py()
    if args.qemu:
        rp.QEMU = os.path.abspath(args.qemu)
    # this build's intel-iommu (QEMU 10.0), as the vtd-dmar rows beside it
    rp.CONFIGS['intel-iommu-10'] = dict(device='intel-iommu,intremap=off',
                                        ir='off')
    rp.CONFIGS['intel-iommu-ats-10'] = dict(
        device='intel-iommu,intremap=on,eim=off,device-iotlb=on',
        ir='xapic', ats=True)
    rp.VHOST_ROUNDS, rp.VHOST_FRAMES, rp.VHOST_FRAME_SIZE = (
        1, args.frames, args.size)
    want = args.cols.split(',')
    cols = [c for c in COLS if c[0] in want]
    tmp = tempfile.mkdtemp(prefix='bench-vhost-')
    me = os.path.realpath(__file__)

    def boot(cfg, mode, name, extra=()):
        out = os.path.join(tmp, name + '.json')
        os.environ['VTD_QEMU_WRAPPER'] = '%s %s --wrap %s --' % (
            sys.executable, me, out)
        run = rp.Run('vhost', cfg, mode, kernel=args.kernel, name=name,
                     extra=list(extra))
        t = time.monotonic()
        run.execute()
        el = time.monotonic() - t
        del os.environ['VTD_QEMU_WRAPPER']
        try:
            with open(out) as f:
                samples = json.load(f)
        except (OSError, ValueError):
            samples = []
        return run, samples, el

    print('# QEMU %s; %d rounds; Linux %s; %d frames of %d bytes per run; '
          'load at start: %s' % (rp.QEMU, args.rounds, args.kernel,
                                 args.frames, args.size,
                                 open('/proc/loadavg').read().strip()),
          flush=True)
    runs = collections.defaultdict(list)
    for rnd in range(args.rounds):
        for label, cfg, mode in cols:
            name = 'bench-vhost.%s.%s.%d' % (cfg, mode, rnd)
            run, samples, el = boot(cfg, mode, name)
            r = parse_run(run, samples, args.frames, rp)
            r['elapsed'] = el
            r['load'] = open('/proc/loadavg').read().split()[0]
            runs[label].append(r)
            print('# round %d %-14s %s' % (rnd + 1, label, ' '.join(
                '%s=%s' % (k, ('%.1f' % v) if isinstance(v, float) else v)
                for k, v in r.items() if k not in ('t0', 't1'))), flush=True)
    load_end = open('/proc/loadavg').read().strip()
    counts = {}
    if not args.no_count:
        for label, cfg, mode in cols:
            if rp.CONFIGS[cfg]['device'] is None:
                continue
            name = 'bench-vhost.%s.%s.count' % (cfg, mode)
            trace = os.path.join(tmp, name + '.trace')
            extra = ['-msg', 'timestamp=on',
                     '-trace', 'enable=vhost_iotlb_miss',
                     '-trace', 'enable=dmar_devtlb_inv',
                     '-trace', 'file=%s' % trace]
            run, samples, _ = boot(cfg, mode, name, extra)
            r = parse_run(run, samples, args.frames, rp)
            c = count_trace(trace, r.get('t0'), r.get('t1'))
            counts[label] = (c, r)
            print('# count %-14s trace (in window, total, errors, devtlb) '
                  '%s; good %s lost %s relay misses %s' % (
                      label, c, r.get('good'), r.get('lost'),
                      r.get('misses')), flush=True)
    if args.save:
        with open(args.save, 'w') as f:
            json.dump(dict(runs=runs, counts={k: [v[0], v[1]] for k, v in
                                              counts.items()}), f)

    def m(label, key):
        return med([r.get(key) for r in runs[label]])

    print('\nload: %s at the end' % load_end)
    print('\nvhost-user frames, medians of %d interleaved runs (%d frames '
          'of %d bytes sent per run; bad: the sum over the runs)' % (
              args.rounds, args.frames, args.size))
    hdr = ('%-14s %6s %6s %5s %8s %8s %5s %6s %6s %7s %7s %7s %7s %7s %8s'
           % ('config', 'sent', 'good', 'bad', 'good/s', 'sent/s', 'x',
              'win-s', 'win-n', 'misses', 'w-miss', 'pmd-rx', 'pmd-txd',
              'g-txd', 'nothead'))
    print(hdr)
    base = m('none', 'rate') if 'none' in runs else float('nan')
    for label, _, _ in cols:
        if not runs[label]:
            continue
        print('%-14s %6.0f %6.0f %5.0f %8.0f %8.0f %5.2f %6.2f %6.0f %7.0f '
              '%7.0f %7.0f %7.0f %7.0f %5d/%d' % (
                  label, m(label, 'sent'), m(label, 'good'),
                  sum(r.get('bad', 0) for r in runs[label]),
                  m(label, 'rate'), m(label, 'srate'),
                  m(label, 'rate') / base, m(label, 'win'),
                  m(label, 'wsent'), m(label, 'misses'), m(label, 'wmiss'),
                  m(label, 'prx'), m(label, 'ptxdrop'), m(label, 'gtxdrop'),
                  sum(r['nothead'] for r in runs[label]),
                  len(runs[label])))
    print('\nWhere the lost frames went (medians): guest = never reached '
          'testpmd (the guest\'s TX queue broke); pmd = testpmd got them '
          'and could not hand them back (pmd-txd: DPDK found no guest RX '
          'buffer it could translate; 0 without an IOMMU); per write miss '
          '= pmd-txd / write misses')
    for label, _, _ in cols:
        rr = [r for r in runs[label] if 'prx' in r and 'good' in r]
        if not rr:
            continue
        lost = med([r['lost'] for r in rr])
        g = med([r['sent'] - r['prx'] for r in rr])
        pm = med([r['ptxdrop'] for r in rr])
        of = med([r['ptxdrop'] / r['prx'] if r['prx'] else 0 for r in rr])
        pw = med([r['ptxdrop'] / r['wmiss'] for r in rr
                  if r.get('wmiss')])
        print('  %-14s lost %6.0f: guest %6.0f, pmd %5.0f (%3.0f%% of what '
              'testpmd got); write misses %5.0f, %.2f frames per write miss'
              % (label, lost, g, pm, 100 * of, m(label, 'wmiss'), pw))
    print('\nPer run: good/s, lost = never reached testpmd (sent - pmd-rx) '
          '+ testpmd could not give back (pmd-txd) + after testpmd '
          '(pmd-tx - good); relay misses')
    for label, _, _ in cols:
        for i, r in enumerate(runs[label]):
            if 'good' not in r:
                print('  %-14s %d  NO DATA' % (label, i + 1))
                continue
            print('  %-14s %d  %7.0f/s  lost %5d = %5s + %5s + %5s;  '
                  'misses %s (write %s), ring requests %s, invalidations '
                  '%s%s' % (
                      label, i + 1, r.get('rate', float('nan')), r['lost'],
                      r['sent'] - r['prx'] if 'prx' in r else '?',
                      r.get('ptxdrop', '?'),
                      r['ptx'] - r['good'] if 'ptx' in r else '?',
                      r.get('misses', '?'), r.get('wmiss', '?'),
                      r.get('ringreq', '?'),
                      r.get('inval', '?'),
                      ', not a head!' if r['nothead'] else ''))
    if counts:
        print('\nCounting runs (traced; not timed): QEMU vhost_iotlb_miss '
              'served, in the send window / in the whole run; device-TLB '
              'invalidations traced by vtd-dmar')
        for label, (c, r) in counts.items():
            print('  %-14s %s' % (label, 'no trace' if c is None else
                                  'misses %d / %d (errors %d), devtlb-inv '
                                  '%d; that run: good %s of %s, pmd-txd %s'
                                  % (c[0], c[1], c[2], c[3], r.get('good'),
                                     r.get('sent'), r.get('ptxdrop'))))


if __name__ == '__main__':
    main()
