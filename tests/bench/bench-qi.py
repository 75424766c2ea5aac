#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Cost of the invalidation queue of a vtd-dmar unit, measured through QEMU.

Drives qemu-system-x86_64 over the qtest protocol (no guest, no CPU): sets
up a queue of 32768 descriptors (QS=7) full of one kind of invalidation,
writes IQT once, and reports the time that IQT write took (what one MMIO
write holds the BQL and the vCPU for) and the time until IQH reaches the
tail (the whole queue, bottom halves included).

The VM is stopped around the IQT write, so that the write is measured
alone: a unit that bounds its work runs one batch in the write and the
rest in bottom halves, which wait for the VM to run; the time from 'cont'
to the end of the queue is added. Each kind runs in a new QEMU, --reps
times (the queue is reset in between: QI off and on); the minimum of each
time is reported, as the machine's noise only ever adds.

Kinds of descriptor (legacy mode, 128-bit):
  cc-dev-fm3   context-cache, device-selective, FM=3 (all 8 functions)
  cc-global    context-cache, global
  iotlb-dom    IOTLB, domain-selective
  iotlb-psi18  IOTLB, page-selective, AM=18 (1 GiB), the domain in use
  iotlb-psi9   IOTLB, page-selective, AM=9 (2 MiB), the domain in use
  wait         invalidation wait, no status write (the queue's own cost)

With --populate N, edu (00:04.0) first translates N pages through the
unit (4-level tables, domain 0x42), which fills the IOTLB: the page-
selective kinds then flush pages that are cached.
"""
import argparse
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

DMAR = 0xfed90000
GCMD, GSTS, RTADDR, FSTS = 0x18, 0x1c, 0x20, 0x34
IQH, IQT, IQA, IQERCD = 0x80, 0x88, 0x90, 0xb0
GCMD_TE, GCMD_SRTP, GCMD_QIE = 1 << 31, 1 << 30, 1 << 26
FSTS_IQE = 1 << 4

ROOT_TABLE = 0x00100000
CTX_TABLE = 0x00101000
PT_POOL = 0x00200000
QUEUE = 0x01000000          # 512 KiB: 32768 descriptors
QS = 7
ENTRIES = 256 << QS
MAP_IOVA = 0x40000000       # 1 GiB aligned
MAP_PA = 0x04000000         # RAM mapped to, 64 MiB on
EDU_DEVFN = 0x20
EDU_BAR = 0xe0000000
DOMAIN = 0x42

KINDS = ['cc-dev-fm3', 'cc-global', 'iotlb-dom', 'iotlb-psi18',
         'iotlb-psi9', 'wait']


class Qtest:
    """A QEMU under the qtest accelerator, and its qtest socket."""

    def __init__(self, qemu, args, firmware):
        self.dir = tempfile.mkdtemp(prefix='bench-qi-')
        path = os.path.join(self.dir, 'qtest.sock')
        qmp_path = os.path.join(self.dir, 'qmp.sock')
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(1)
        srv.settimeout(60)
        qsrv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        qsrv.bind(qmp_path)
        qsrv.listen(1)
        qsrv.settimeout(60)
        cmd = [qemu, '-qtest', 'unix:' + path, '-qtest-log', '/dev/null',
               '-qmp', 'unix:' + qmp_path,
               '-display', 'none', '-nodefaults', '-accel', 'qtest',
               '-M', 'q35', '-m', '512M'] + args
        for d in firmware.split(',') if firmware else []:
            cmd += ['-L', d]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        self.sock, _ = srv.accept()
        self.qmp_sock, _ = qsrv.accept()
        srv.close()
        qsrv.close()
        self.sock.settimeout(None)
        self.qmp_sock.settimeout(None)
        self.buf = b''
        self.qmp_buf = b''
        self.qmp_line()                     # the greeting
        self.qmp('qmp_capabilities')

    def qmp_line(self):
        while b'\n' not in self.qmp_buf:
            data = self.qmp_sock.recv(65536)
            if not data:
                raise RuntimeError('QEMU went away (QMP)')
            self.qmp_buf += data
        line, self.qmp_buf = self.qmp_buf.split(b'\n', 1)
        return json.loads(line)

    def qmp(self, command):
        self.qmp_sock.sendall(json.dumps({'execute': command}).encode())
        while True:
            msg = self.qmp_line()
            if 'event' in msg:
                continue
            if 'error' in msg:
                raise RuntimeError('%s: %s' % (command, msg['error']))
            return msg['return']

    def cmd(self, line):
        self.sock.sendall(line.encode() + b'\n')
        while True:
            while b'\n' not in self.buf:
                data = self.sock.recv(65536)
                if not data:
                    raise RuntimeError('QEMU went away')
                self.buf += data
            reply, self.buf = self.buf.split(b'\n', 1)
            reply = reply.decode()
            if reply.startswith('IRQ'):
                continue
            if not reply.startswith('OK'):
                raise RuntimeError('%s: %s' % (line[:60], reply))
            return reply[3:]

    def wq(self, addr, val):
        self.cmd('writeq 0x%x 0x%x' % (addr, val))

    def wl(self, addr, val):
        self.cmd('writel 0x%x 0x%x' % (addr, val))

    def rq(self, addr):
        return int(self.cmd('readq 0x%x' % addr), 16)

    def rl(self, addr):
        return int(self.cmd('readl 0x%x' % addr), 16)

    def write(self, addr, data):
        self.cmd('b64write 0x%x 0x%x %s' %
                 (addr, len(data), base64.b64encode(data).decode()))

    def cfg_w(self, devfn, reg, val):
        self.cmd('outl 0xcf8 0x%x' % (0x80000000 | devfn << 8 | reg))
        self.cmd('outl 0xcfc 0x%x' % val)

    def close(self):
        try:
            self.qmp('quit')
        except (OSError, RuntimeError):
            self.proc.terminate()
        self.qmp_sock.close()
        self.sock.close()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def reg_w64(q, off, val):
    q.wq(DMAR + off, val)


def reg_r64(q, off):
    return q.rq(DMAR + off)


def gcmd(q, val, want):
    q.wl(DMAR + GCMD, val)
    for _ in range(1000):
        if q.rl(DMAR + GSTS) & want == want:
            return
    raise RuntimeError('GSTS 0x%x' % q.rl(DMAR + GSTS))


class Tables:
    """4-level second-level tables in guest RAM, for edu's context."""

    def __init__(self, q):
        self.q = q
        self.pool = PT_POOL
        self.top = self.new()
        self.dirs = {}

    def new(self):
        a = self.pool
        self.pool += 0x1000
        self.q.write(a, bytes(4096))
        return a

    def leaf_table(self, iova):
        """The level-1 table for IOVA, made on the way (RW tables)."""
        table = self.top
        for level in (4, 3, 2):
            key = (level, iova >> (12 + 9 * (level - 1)))
            if key not in self.dirs:
                t = self.new()
                idx = (iova >> (12 + 9 * (level - 1))) & 511
                self.q.wq(table + 8 * idx, t | 3)
                self.dirs[key] = t
            table = self.dirs[key]
        return table

    def map_pages(self, iova, pa, n):
        for first in range(0, n, 512):
            table = self.leaf_table(iova + first * 4096)
            cnt = min(512, n - first)
            idx = ((iova >> 12) + first) & 511
            ptes = b''.join(struct.pack('<Q', (pa + (first + k) * 4096) | 3)
                            for k in range(cnt))
            self.q.write(table + 8 * idx, ptes)


def populate(q, pages):
    """edu translates PAGES pages at MAP_IOVA: the IOTLB caches them."""
    t = Tables(q)
    t.map_pages(MAP_IOVA, MAP_PA, pages)
    q.write(ROOT_TABLE, struct.pack('<QQ', CTX_TABLE | 1, 0))
    # context entry of 00:04.0: 4-level tables (AW 2), domain DOMAIN
    q.write(CTX_TABLE + 16 * EDU_DEVFN,
            struct.pack('<QQ', t.top | 1, 2 | DOMAIN << 8))
    reg_w64(q, RTADDR, ROOT_TABLE)
    gcmd(q, GCMD_SRTP, 1 << 30)
    gcmd(q, GCMD_TE, 1 << 31)
    q.cfg_w(EDU_DEVFN, 0x10, EDU_BAR)
    q.cfg_w(EDU_DEVFN, 0x04, 0x6)           # memory space, bus master
    # one 4 KiB DMA per 64 pages: a miss caches its 64-leaf group
    for p in range(0, pages, 64):
        q.wq(EDU_BAR + 0x80, MAP_IOVA + p * 4096)
        q.wq(EDU_BAR + 0x88, 0x40000)
        q.wq(EDU_BAR + 0x90, 4096)
        q.wq(EDU_BAR + 0x98, 1)
        q.cmd('clock_step 200000000')
        if q.rq(EDU_BAR + 0x98) & 1:
            raise RuntimeError('edu DMA did not complete')
    if q.rl(DMAR + FSTS) & 2:
        raise RuntimeError('a DMA faulted while populating')


def descriptor(kind, i):
    if kind == 'cc-dev-fm3':
        sid, did = (i * 8) & 0xffff, i & 0xffff
        return 1 | 3 << 4 | did << 16 | sid << 32 | 3 << 48, 0
    if kind == 'cc-global':
        return 1 | 1 << 4, 0
    if kind == 'iotlb-dom':
        return 2 | 2 << 4 | 3 << 6 | DOMAIN << 16, 0
    if kind == 'iotlb-psi18':
        return 2 | 3 << 4 | 3 << 6 | DOMAIN << 16, MAP_IOVA | 18
    if kind == 'iotlb-psi9':
        addr = MAP_IOVA + (i % 32) * 0x200000
        return 2 | 3 << 4 | 3 << 6 | DOMAIN << 16, addr | 9
    if kind == 'wait':
        return 5, 0
    raise ValueError(kind)


def run_once(q, tail, te):
    """One queue run: (IQT write s, IQH after it, whole queue s)."""
    q.wl(DMAR + GCMD, te)                   # QI off: IQH = 0
    reg_w64(q, IQA, QUEUE | QS)
    reg_w64(q, IQT, 0)
    gcmd(q, te | GCMD_QIE, 1 << 26)
    q.qmp('stop')
    t0 = time.perf_counter()
    reg_w64(q, IQT, tail * 16)
    t1 = time.perf_counter()
    first = reg_r64(q, IQH) // 16
    t2 = time.perf_counter()
    q.qmp('cont')
    while reg_r64(q, IQH) // 16 != tail:
        if q.rl(DMAR + FSTS) & FSTS_IQE:
            raise RuntimeError('IQE, IQERCD 0x%x' % reg_r64(q, IQERCD))
        time.sleep(0.0002)
    t3 = time.perf_counter()
    return t1 - t0, first, (t1 - t0) + (t3 - t2)


def run(args, kind):
    props = 'iotlb-entries=%d,ctx-entries=%d' % (args.iotlb, args.ctx)
    q = Qtest(args.qemu, ['-device', 'vtd-dmar,' + props,
                          '-device', 'edu,addr=04.0,'
                          'dma_mask=0xffffffffffffffff'], args.firmware)
    try:
        if args.populate:
            populate(q, args.populate)
        q.write(QUEUE, b''.join(struct.pack('<QQ', *descriptor(kind, i))
                                for i in range(args.count)))
        runs = [run_once(q, args.count, GCMD_TE if args.populate else 0)
                for _ in range(args.reps)]
    finally:
        q.close()
    return (min(r[0] for r in runs), max(r[1] for r in runs),
            min(r[2] for r in runs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--qemu', required=True)
    ap.add_argument('--firmware', metavar='DIR,...',
                    help='-L directories, for a binary out of its tree')
    ap.add_argument('--iotlb', type=int, default=1 << 20)
    ap.add_argument('--ctx', type=int, default=256)
    ap.add_argument('--count', type=int, default=ENTRIES - 1,
                    help='descriptors in the queue (at most %d)' %
                    (ENTRIES - 1))
    ap.add_argument('--kinds', default=','.join(KINDS))
    ap.add_argument('--populate', type=int, default=0, metavar='PAGES')
    ap.add_argument('--label', default='')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--no-header', action='store_true')
    args = ap.parse_args()
    if not 0 < args.count < ENTRIES:
        ap.error('--count must be 1..%d' % (ENTRIES - 1))
    if not args.no_header:
        print('%-8s %-12s %7s %8s %10s %8s %11s %9s' %
              ('label', 'kind', 'iotlb', 'populate', 'IQT write',
               'IQH after', 'whole queue', 'per desc'))
    for kind in args.kinds.split(','):
        write_s, first, total_s = run(args, kind)
        print('%-8s %-12s %7d %8d %8.3f ms %9d %8.3f ms %6.2f us' %
              (args.label, kind, args.iotlb, args.populate, write_s * 1e3,
               first, total_s * 1e3, total_s * 1e6 / args.count))
        sys.stdout.flush()


if __name__ == '__main__':
    main()
