#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot the test guest under TCG and turn its result lines into pass/fail.

  run.py run SCENARIO [--iommu CONFIG] [--mode strict|lazy|pt] [-- QEMU ARGS]
  (VTD_QEMU_WRAPPER="perf record ..." runs QEMU under a tool)
  run.py suite [--iommu CONFIG,...] [--scenarios S,...] [-j N]
  run.py bench ...   (see scripts/bench)
  run.py soak [--count N] [--iommu ...] [--modes ...] [-- QEMU ARGS]
  (VTD_TESTPMD_LOG=1 keeps testpmd's vhost debug log of a vhost run)
Each command takes --kernel 6.12|7.3 (default 6.12): the guest kernel,
build/guest or build/guest-7.3 (scripts/build-guest makes both). Run names
and log files start with the kernel: 7.3.vtd-dmar-ir.lazy.dmar.

The guest (tests/guest/init) prints "VTD: RESULT <check> PASS|FAIL|SKIP ..."
lines; this runner adds the host-side checks (data written by the guest and
read back from the image after power-off, data that crossed the network),
and keeps the console of every run in build/logs/guest/. On vtd-dmar, QEMU
starts paused and a QMP client kept connected for the whole run collects
its VTD_DMAR_FAULT events: check "fault-events" matches them with the
guest kernel's DMAR fault lines (every QMP message is in <run>.qmp.log,
with query-vtd-dmar and "info vtd-dmar" after the guest's power-off).
"""

import argparse
import array
import collections
import concurrent.futures
import contextlib
import hashlib
import json
import os
import queue
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))
BUILD = os.environ.get("VTD_BUILD", os.path.join(ROOT, "build"))
# VTD_QEMU: another binary (e.g. a copy beside the build's, which finds
# the same firmware, while the build is relinked).
QEMU = os.environ.get("VTD_QEMU", os.path.join(BUILD, "qemu-system-x86_64"))
# The reference model, QEMU 11.1's intel-iommu (scripts/fetch-qemu-ref):
# every configuration marked ref runs on it; without it, on this build
# (whose intel-iommu is QEMU 10.0's), and check_ready() says which.
REF_QEMU = os.environ.get("VTD_DMAR_REF_QEMU",
                          os.path.join(BUILD, "qemu-ref", "qemu-system-x86_64"))
if not os.access(REF_QEMU, os.X_OK):
    REF_QEMU = None
GUEST = os.path.join(BUILD, "guest")     # also holds the disk templates
# The guest kernels (scripts/build-guest): Debian's 6.12 (bookworm-backports)
# and the newest one (trixie-backports, 7.3 today).
KERNELS = {"6.12": GUEST, "7.3": os.path.join(BUILD, "guest-7.3")}
LOGS = os.path.join(BUILD, "logs", "guest")

# An IOMMU configuration: the -device argument, what the guest must report
# about interrupt remapping, and the extra kernel arguments it needs; ref:
# runs on the reference binary (REF_QEMU) when there is one.
CONFIGS = {
    "none": dict(device=None, ir="off"),
    # no IOMMU on the reference binary: how fast QEMU 11.1 itself is
    "none-ref": dict(device=None, ir="off", ref=True),
    "intel-iommu": dict(device="intel-iommu,intremap=off", ir="off",
                        ref=True),
    "intel-iommu-ir": dict(device="intel-iommu,intremap=on,eim=off",
                           ir="xapic", ref=True),
    "intel-iommu-cm": dict(device="intel-iommu,intremap=off,caching-mode=on",
                           ir="off", ref=True),
    "intel-iommu-eim": dict(device="intel-iommu,intremap=on,eim=on",
                            ir="x2apic", smp=4, cpu="qemu64,+x2apic",
                            ref=True),
    "vtd-dmar": dict(device="vtd-dmar,intremap=off", ir="off"),
    "vtd-dmar-cm": dict(device="vtd-dmar,intremap=off,caching-mode=on",
                        ir="off"),
    "vtd-dmar-ir": dict(device="vtd-dmar,intremap=on,eim=off", ir="xapic"),
    "vtd-dmar-eim": dict(device="vtd-dmar,intremap=on,eim=on", ir="x2apic",
                         smp=4, cpu="qemu64,+x2apic"),
    # For the benchmark: what the drain costs (CAP.DRD/DWD clear, so
    # Linux asks for none and no wait drains); in no suite
    "vtd-dmar-nodrain": dict(device="vtd-dmar,intremap=off,dma-drain=off",
                             ir="off", suite=[]),
    # For the benchmark: every IOTLB hit answers its own page, not the run
    # of contiguous pages around it; in no suite
    "vtd-dmar-pages": dict(device="vtd-dmar,intremap=off,x-run-answers=off",
                           ir="off", suite=[]),
}

# Several units, RMRR and PMR (issue 16). A two-unit configuration
# ("units": 2) adds a pxb-pcie expander at bus PXB_BUS with root ports
# on it and a second unit (primary-bus=pxb1, registers at 0xfed94000)
# before the devices; the -device of the config is the catch-all unit
# (0xfed90000, pcie.0 and the IOAPIC). virtio-blk, nvme, e1000e (and
# vhost's virtio-net) and a second edu sit behind pxb1; the first edu
# stays on pcie.0, so isolation and vfio run behind each unit. "suite":
# the runs of the suite on that configuration (below); "rmrr":
# (base, limit) on the second edu's unit, "pmr": the board's protected
# low region (base, last byte); "memmap": the e820 reservation of the
# guest RAM they use (see docs/vtd-dmar.rst).
PXB_BUS = 0x80
UNIT_BASES = (0xfed90000, 0xfed94000)   # the catch-all, then pxb1's
# RMRR: 1 MiB below edu's 256 MiB DMA mask, which the board (vtd-dmar)
# reports reserved in the e820 map; the guest's kernel reserves the page
# before it and the page after it (memmap=), so that edu's DMA there can
# be seen through /dev/mem and hurts nobody.
RMRR = (0x0f100000, 0x0f1fffff)
RMRR_MEMMAP = ["4K$0x%x" % (RMRR[0] - 4096), "4K$0x%x" % (RMRR[1] + 1)]
# PMR: the board protects 2 MiB (PLMBASE = PLMLIMIT: one 2 MiB granule).
PMR_LOW = (0x0e000000, 0x0e1fffff)
PMR_MEMMAP = ["2M$0x%x" % PMR_LOW[0]]
# The suite's runs, (scenario, mode, kernels): every scenario that makes
# sense behind two units passes on both kernels with xAPIC and x2APIC
# (run.py run ... --iommu vtd-dmar-2u[-eim] runs the others); the suite
# spreads them over the two kernels, 9 runs each, to stay within about
# three minutes.
K612, K73, BOTH = ("6.12",), ("7.3",), ("6.12", "7.3")
CONFIGS.update({
    "vtd-dmar-2u": dict(device="vtd-dmar,intremap=on,eim=off", ir="xapic",
                        units=2, suite=[
                            ("dmar", "lazy", K612), ("dmar", "pt", K73),
                            ("blk", "strict", K612), ("nvme", "lazy", K612),
                            ("net", "strict", K612),
                            ("isolation", "lazy", BOTH),
                            ("vfio", "strict", K612)]),
    "vtd-dmar-2u-eim": dict(device="vtd-dmar,intremap=on,eim=on",
                            ir="x2apic", smp=4, cpu="qemu64,+x2apic",
                            units=2, suite=[
                                ("dmar", "lazy", BOTH), ("blk", "strict", K73),
                                ("nvme", "lazy", K73),
                                ("isolation", "lazy", K73),
                                ("vfio", "strict", K73)]),
    "vtd-dmar-2u-rmrr": dict(device="vtd-dmar,intremap=on,eim=off",
                             ir="xapic", units=2, rmrr=RMRR,
                             memmap=RMRR_MEMMAP,
                             suite=[("rmrr", "strict", BOTH)]),
    "vtd-dmar-pmr": dict(device="vtd-dmar,intremap=on,eim=off,pmr=on,"
                         "pmr-enable=on,pmr-low-base=0x%x,pmr-low-limit=0x%x"
                         % (PMR_LOW[0], PMR_LOW[1] + 1 - (2 << 20)),
                         ir="xapic", pmr=PMR_LOW, memmap=PMR_MEMMAP,
                         suite=[("pmr", "pt", BOTH)]),
})
# Caching mode and device-TLBs (issue 13). "cm": the guest must find CAP.CM
# set on every unit (check "caching-mode"); Linux then also invalidates
# what it makes present, and never batches: its lazy mode is strict
# ("IOMMU batching disallowed due to virtualization"), iommu.strict=0
# notwithstanding. vfio and isolation, strict and lazy, spread over the
# two kernels, and a blk and a dmar run. "ats": in vhost and blk runs the
# virtio device (vhost's virtio-net, virtio-blk) sits behind a root port
# of its own (rpats) with ats=on; the guest must find ECAP.DT and an ATSR
# and enable ATS on it, and QEMU traces the unit's device-TLB
# invalidations (dmar_devtlb_inv, into <run>.devtlb.log): some must be
# for that device (check "devtlb-inv"). vhost then registers a
# device-IOTLB notifier and hears only those. The vhost runs are 6.12's:
# on 7.3, QEMU 10.0's vhost-user path corrupts guest memory now and then
# with either IOMMU (README, vhost); 7.3 runs blk with ATS.
CONFIGS["vtd-dmar-cm"].update(cm=True, suite=[
    ("vfio", "strict", K612), ("isolation", "lazy", K612),
    ("blk", "strict", K612),
    ("vfio", "lazy", K73), ("isolation", "strict", K73),
    ("dmar", "lazy", K73)])
CONFIGS.update({
    "vtd-dmar-ats": dict(device="vtd-dmar,intremap=on,eim=off,"
                         "device-iotlb=on", ir="xapic", ats=True, suite=[
                             ("vhost", "strict", K612),
                             ("vhost", "lazy", K612),
                             ("blk", "lazy", K73)]),
    "vtd-dmar-ats-cm": dict(device="vtd-dmar,intremap=on,eim=off,"
                            "device-iotlb=on,caching-mode=on", ir="xapic",
                            ats=True, cm=True, suite=[
                                ("vhost", "strict", K612),
                                ("vhost", "lazy", K612),
                                ("blk", "strict", K73)]),
})
# Scalable mode (issue 14), with interrupt remapping as vtd-dmar-ir. "sm":
# the stages the unit offers: both (the default), "fs" (first stage only,
# ssts=off) or "ss" (second stage only, fsts=off). The guest must find
# ECAP.SMTS, FSTS, SSTS and NEST as offered and, in its dmar scenario,
# RTADDR.TTM 01b (read through /dev/mem, with iomem=relaxed): Linux chose
# scalable mode; the host, query-vtd-dmar's scalable-mode (check
# "sm-state"). Which stage Linux gives a domain shows in the fault reason
# of edu's DMA to an address nothing maps (FAULT_REASONS): the dmar
# scenario provokes one through the DMA-API domain (edu without a driver)
# and one through a VFIO domain; isolation and vfio check theirs too.
# The suite spreads every scenario over the three configurations, the
# three modes and the two kernels: 10 runs on 6.12, 9 on 7.3 (net only on
# 6.12, whose suite has it); run.py run ... --iommu vtd-dmar-sm[-fs|-ss]
# runs the rest (every scenario passes in every mode on both kernels,
# isolation in strict and lazy).
SM_DEVICE = "vtd-dmar,intremap=on,eim=off,scalable-mode=on"
CONFIGS.update({
    "vtd-dmar-sm": dict(device=SM_DEVICE, ir="xapic", sm="both", suite=[
        ("dmar", "lazy", BOTH), ("dmar", "pt", K612),
        ("blk", "strict", K612), ("nvme", "lazy", K73),
        ("net", "lazy", K612), ("isolation", "strict", K73),
        ("vfio", "strict", K73)]),
    "vtd-dmar-sm-fs": dict(device=SM_DEVICE + ",ssts=off", ir="xapic",
                           sm="fs", suite=[
                               ("dmar", "strict", K73), ("blk", "lazy", K73),
                               ("nvme", "strict", K612),
                               ("isolation", "lazy", K612),
                               ("vfio", "lazy", K612)]),
    "vtd-dmar-sm-ss": dict(device=SM_DEVICE + ",fsts=off", ir="xapic",
                           sm="ss", suite=[
                               ("dmar", "strict", K612), ("dmar", "pt", K73),
                               ("blk", "lazy", K612),
                               ("nvme", "strict", K73),
                               ("isolation", "lazy", K73),
                               ("vfio", "strict", K612)]),
})
# QEMU 11.1's intel-iommu in scalable mode, for the benchmark: it offers
# one stage at a time, the second by default and the first with fsts=on
# (compare vtd-dmar-sm-ss and vtd-dmar-sm-fs).
CONFIGS.update({
    "intel-iommu-sm": dict(device="intel-iommu,intremap=on,eim=off,"
                           "scalable-mode=on", ir="xapic", ref=True),
    "intel-iommu-sm-fs": dict(device="intel-iommu,intremap=on,eim=off,"
                              "scalable-mode=on,fsts=on", ir="xapic",
                              ref=True),
})
# Before and after a change, side by side: VTD_QEMU_BEFORE names another
# build of this tree (the commit before the change), and every
# configuration X of this build then also exists as X-before, run on that
# binary (scripts/bench-scale --before BINARY).
BEFORE_QEMU = os.environ.get("VTD_QEMU_BEFORE")
if BEFORE_QEMU:
    CONFIGS.update({
        name + "-before": dict({k: v for k, v in c.items() if k != "suite"},
                               before=True)
        for name, c in list(CONFIGS.items()) if not c.get("ref")})
# The fault reason of edu's blocked DMA (nothing mapped at the address)
# as (write, read), by what translates it (VT-d §7.1.3): in legacy mode
# the second-stage entry's W or R is clear (0x5, 0x6); in scalable mode a
# first-stage entry is not present (0x71) or a second-stage one (0x79).
FAULT_REASONS = {"legacy": (0x5, 0x6), "fs": (0x71, 0x71),
                 "ss": (0x79, 0x79)}
# The stage Linux puts each kind of domain on, by the stages offered:
# "dma" the DMA-API (default) domain, "vfio" VFIO type1's (unmanaged),
# by kernel where they differ. With both stages offered, 6.12 still
# chooses by the domain's type (first_level_by_default(type)) and gives
# an unmanaged domain the second stage; since 6.13 every paging domain is
# allocated alike, on the first stage when it can, VFIO's too (December
# 2026: VFIO's faults are 0x79 on 6.12, 0x71 on 7.3).
SM_STAGES = {"both": dict(dma="fs", vfio={"6.12": "ss", "7.3": "fs"}),
             "fs": dict(dma="fs", vfio="fs"),
             "ss": dict(dma="ss", vfio="ss")}

SCENARIOS = ["dmar", "blk", "nvme", "net", "isolation", "vfio", "vhost",
             "bypass", "rmrr", "pmr"]
DISK_MIB = 32
# Scenarios that need an IOMMU report SKIP themselves without one.
NEEDS_IOMMU = {"dmar", "bypass", "rmrr", "pmr"}
# Scenarios the suite runs on some configurations and modes only (each
# vhost run keeps a host core busy with testpmd's polling). intel-iommu's
# lazy mode is left out: its domain-selective invalidations reach vhost as
# ranges that end at 2^64, which DPDK drops, so frames come back wrong
# (run.py run vhost --iommu intel-iommu --mode lazy shows it, on QEMU
# 10.0's and 11.1's alike).
SUITE_ONLY = {"vhost": {("intel-iommu", "strict"), ("vtd-dmar", "strict"),
                        ("vtd-dmar", "lazy"), ("vtd-dmar-ir", "strict"),
                        ("vtd-dmar-ir", "lazy")},
              # the DMAR table's scopes do not depend on the mode
              "bypass": {("intel-iommu", "lazy"), ("vtd-dmar", "lazy"),
                         ("vtd-dmar-ir", "lazy")},
              # only where a configuration's "suite" names them
              "rmrr": set(), "pmr": set()}
# The DMAR table's platform opt-in flag (DMA_CTRL_PLATFORM_OPT_IN, issue
# 16) and Linux's answer to it. The scenarios add a root port at 00:10.0,
# made external-facing by the SSDT build/guest/external-port.aml (from
# tests/guest/external-port.asl: QEMU 10.0 has no property for that), with
# an edu below it, which Linux then treats as untrusted. Scenario: (flag
# set on the unit, guest kernel argument, the kernels on which the IOMMU
# must end up on). With the flag and such a port, platform_optin_force_iommu()
# turns an IOMMU that is off on, saying so, unless the user turned it off:
# on 6.12, intel_iommu=off is the user's refusal (no_platform_optin) and
# iommu=off is not; 7.3 takes both as the user's refusal, so only a kernel
# whose IOMMU is off by default (Debian's is on) shows it there.
OPTIN = {"optin": (True, "iommu=off", ("6.12",)),
         "optin-on": (True, "", ("6.12", "7.3")),
         "optin-off": (True, "intel_iommu=off", ()),
         "optin-none": (False, "iommu=off", ())}
OPTIN_SSDT = os.path.join(GUEST, "external-port.aml")
SCENARIOS += list(OPTIN)
NEEDS_IOMMU |= set(OPTIN)
# the flag and the port do not depend on the mode or on interrupt
# remapping: one run each, on a configuration both kernels' suites have
SUITE_ONLY.update({s: {("vtd-dmar-ir", "lazy")} for s in OPTIN})
# Real vfio-pci behind a nested unit (tests/guest/nested.c): the guest
# runs our QEMU with edu assigned through vfio-pci behind vtd-dmar
# (nested: register-based invalidation; nested-qi: queued) or, the
# reference, QEMU 10.0's intel-iommu (nested-intel), caching-mode=on.
# They boot initrd-nested.img (scripts/build-guest: the initramfs with
# our QEMU appended). nested-qi also runs on vtd-dmar-ir, which the 7.3
# suite has.
NESTED = ("nested", "nested-qi", "nested-intel")
SCENARIOS += list(NESTED)
NEEDS_IOMMU |= set(NESTED)
# one run each (the outer unit's mode does not matter: VFIO's domains are
# strict); nested-intel tells a broken harness from a broken vtd-dmar
SUITE_ONLY.update(nested={("vtd-dmar", "lazy")},
                  **{"nested-qi": {("vtd-dmar", "strict"),
                                   ("vtd-dmar-ir", "lazy")},
                     "nested-intel": {("vtd-dmar", "strict")}})
# Kernel lines collected from every run (the guest prints them as "VTD:
# DMESG <level>[time] text"): a DMAR/IOMMU line at level warning or worse,
# or a kernel splat (WARNING, BUG, Oops, Call Trace) at any level, less the
# DMA faults the scenario provokes on purpose. On a vtd-dmar configuration
# each fails the run (check "kernel-warnings") unless KMSG_ALLOW lists it;
# on intel-iommu they are shown, the reference to compare with.
KMSG_LINE = re.compile(r"^VTD: DMESG <(\d+)>(?:\[[ 0-9.]+\] )?(.*?)\r?$", re.M)
KMSG_IOMMU = re.compile(r"DMAR|IOMMU|iommu|dmar")
KMSG_SPLAT = re.compile(r"\bWARNING\b|Call Trace|\bBUG\b|\bOops\b")
KMSG_WARNING = 4                # KERN_WARNING; lower numbers are worse
# (regexp, reason): lines a vtd-dmar run may print. An entry belongs here
# only when intel-iommu prints the same line in the same scenario, or when
# the reason shows it is not about the remapping unit.
# Empty: neither 6.12 nor 7.3 printed such a line on vtd-dmar in the
# suite's scenarios (December 2026).
KMSG_ALLOW = [
]
# (regexp, reason): lines a scenario provokes on purpose, and checks.
SCENARIO_KMSG = {
    "rmrr": [(r"Firmware has requested this device have a 1:1 IOMMU "
              r"mapping, rejecting configuring the device without a 1:1 "
              r"mapping", "rmrr: Linux refuses VFIO an RMRR device "
              "(checked by vfio-refused)")],
}
# The guest kernel's DMAR fault lines (dmar_fault_do_one() in Linux's
# drivers/iommu/intel/dmar.c, both kernels): 6.12 names the device
# "00:04.0", 7.x "0000:00:04.0". A DMA fault's address is FRCD.FI, the
# page address; an interrupt remapping fault prints FI bits 63:48, the
# interrupt index. dmar_fault() has one rate limit for every unit, 10
# calls per 5 s, and a fault interrupt with one record spends about 3 of
# them: the 4th fault within 5 s is cleared without a line, and the
# kernel later says "dmar_fault: N callbacks suppressed".
FAULT_DMA = re.compile(
    r"DMAR: \[DMA (Read|Write) (?:NO_PASID|PASID 0x[0-9a-f]+)\] Request "
    r"device \[(?:[0-9a-f]{4}:)?([0-9a-f]{2}:[0-9a-f]{2}\.[0-7])\] fault "
    r"addr 0x([0-9a-f]+) \[fault reason 0x([0-9a-f]+)\]")
FAULT_IR = re.compile(
    r"DMAR: \[INTR-REMAP\] Request device \[(?:[0-9a-f]{4}:)?"
    r"([0-9a-f]{2}:[0-9a-f]{2}\.[0-7])\] fault index 0x([0-9a-f]+) "
    r"\[fault reason 0x([0-9a-f]+)\]")
FAULT_LINES_DROPPED = re.compile(r"dmar_fault: (\d+) callbacks suppressed")
# The scenarios whose virtio device an "ats" configuration puts behind
# its ATS root port (see CONFIGS).
ATS_SCENARIOS = ("vhost", "blk")
TESTPMD = shutil.which("dpdk-testpmd") or "/usr/bin/dpdk-testpmd"
# vhost: ROUNDS x FRAMES frames of FRAME_SIZE bytes, sent back by testpmd.
# At most 247 frames each way in all, every round counted (the rings go
# on from round to round): QEMU 10.0.13 gives every virtqueue 1024
# entries whatever its device asks (virtio_add_queue(): "Always set to max
# queue size for qemu <11.1"), so a split ring's parts span several 4 KiB
# pages, which the guest's IOMMU allocation scatters in host memory; and
# DPDK 22.11's vhost_user_iotlb_cache_find() joins IOVA-adjacent IOTLB
# entries without checking that their host addresses go on. testpmd then
# reads and writes a ring past its first page in the wrong memory: the
# used ring's element 248 on (it starts 0x4840 into the ring) and the
# descriptors from 256 on. The TX queue broke there ("output.0:id 0 is
# not a head!") in every run with 2 x 300 frames, on intel-iommu as on
# vtd-dmar (never on 11.1's binary, whose queues have 256 entries).
VHOST_ROUNDS, VHOST_FRAMES, VHOST_FRAME_SIZE = 2, 100, 1400
assert VHOST_ROUNDS * VHOST_FRAMES <= 247
IMAGE_LOCK = threading.Lock()


def disk_image(path, mib):
    """Copy a reproducible MIB-MiB image (a sha256 counter stream, made once
    and kept under build/guest/) to PATH; return its sha256."""
    tmpl = os.path.join(GUEST, "disk-%dM.img" % mib)
    with IMAGE_LOCK:
        if not os.path.exists(tmpl + ".sha256"):
            make_image(tmpl, mib)
    shutil.copyfile(tmpl, path)
    with open(tmpl + ".sha256") as f:
        return f.read().strip()


def make_image(tmpl, mib):
    h = hashlib.sha256()
    with open(tmpl + ".tmp", "wb") as f:
        for i in range(mib * 32):
            block = b"".join(hashlib.sha256(b"%d:%d" % (i, j)).digest()
                             for j in range(1024))
            f.write(block)
            h.update(block)
    os.rename(tmpl + ".tmp", tmpl)
    with open(tmpl + ".sha256", "w") as f:
        f.write(h.hexdigest())


class NetServer:
    """A sender of known bytes and a receiver that hashes what it gets,
    both on 127.0.0.1: slirp turns the guest's 10.0.2.2 into them."""

    def __init__(self, send_bytes):
        self.data = send_bytes
        self.sha = hashlib.sha256(send_bytes).hexdigest()
        self.received_sha = None
        self.received_len = 0
        self.get = self._listen()
        self.put = self._listen()
        for sock, fn in ((self.get, self._serve_get), (self.put, self._serve_put)):
            threading.Thread(target=fn, args=(sock,), daemon=True).start()

    @staticmethod
    def _listen():
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        s.settimeout(600)
        return s

    def _serve_get(self, sock):
        try:
            while True:
                c, _ = sock.accept()
                with c:
                    c.sendall(self.data)
        except OSError:
            pass

    def _serve_put(self, sock):
        try:
            c, _ = sock.accept()
            with c:
                h = hashlib.sha256()
                c.settimeout(300)
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    h.update(b)
                    self.received_len += len(b)
                self.received_sha = h.hexdigest()
        except OSError:
            pass

    def close(self):
        self.get.close()
        self.put.close()


class VhostRelay:
    """The vhost-user socket between QEMU (front-end) and testpmd (back-end),
    relayed message by message (file descriptors included), counting the
    IOTLB messages that reach the back-end: updates (answers to its misses)
    and invalidations (the IOMMU's UNMAP notifications, which vhost turns
    into VHOST_IOTLB_INVALIDATE). An invalidation whose iova + size passes
    2^64 (or whose size is 0, 2^64 wrapped) is counted apart: DPDK's vhost
    library loses those. The back-end's request channel (its IOTLB misses)
    is relayed too. Every IOTLB message is listed in LOG.

    DPDK 22.11's vhost PMD stops serving a ring whose addresses an
    invalidation covers, and translates it again only when an IOTLB update
    happens to cover it, which it never asks for while the ring is off
    (the guest's domain-wide flushes in lazy mode cover the rings). So
    once the back-end has answered such an invalidation, the relay asks
    QEMU, on the back-end's request channel and as the back-end would, for
    the translation of each ring it covered (a VHOST_IOTLB_MISS): QEMU asks
    the IOMMU and sends the update; nothing is answered on the IOMMU's
    behalf. These requests are listed in LOG as "relay: miss"."""

    HDR = struct.Struct("<III")            # request, flags, size
    IOTLB = struct.Struct("<QQQBB")        # struct vhost_iotlb_msg
    VRING_STATE = struct.Struct("<II")     # index, num
    VRING_ADDR = struct.Struct("<IIQQQQ")   # index, flags, desc, used, avail
    SET_VRING_NUM, SET_VRING_ADDR, SET_BACKEND_REQ_FD = 8, 9, 21
    IOTLB_MSG, MISS, UPDATE, INVALIDATE = 22, 1, 2, 3
    BACKEND_IOTLB_MSG, VERSION, ACCESS_RW = 1, 1, 3
    MAX_FDS = 32

    def __init__(self, path, backend_path, log):
        self.backend_path = backend_path
        self.log = open(log, "w")
        self.ring_num = {}                 # vring index -> size
        self.rings = {}                    # vring index -> [(iova, len)]
        self.backend_req = None            # QEMU's end of the request channel
        self.req_lock = threading.Lock()   # one message at a time on it
        self.ring_misses = []              # vrings to ask for
        self.ring_requests = self.misses = 0
        self.missed, self.updated = set(), set()   # 4 KiB pages
        # pages an update mapped and no invalidation has covered since;
        # pages an invalidation took from there (until updated again);
        # pages asked for (by the back-end or the relay) in that state:
        # the guest had unmapped them, so their faults are the IOMMU's job
        self.live, self.unmapped, self.asked_unmapped = set(), set(), set()
        self.updates = self.invalidations = self.wrapping = 0
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        self.sock.listen(2)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        try:
            while True:
                front, _ = self.sock.accept()
                back = socket.socket(socket.AF_UNIX)
                back.connect(self.backend_path)
                # QEMU -> testpmd: look; testpmd -> QEMU: then ask.
                self._start(front, back, self._look, None, self._ask_rings)
        except OSError:
            pass

    def _start(self, a, b, look, lock, after):
        """Pump A -> B (LOOK sees each message, LOCK is held to send it)
        and B -> A (AFTER runs after each message)."""
        for args in ((a, b, look, None, lock), (b, a, None, after, None)):
            threading.Thread(target=self._pump, args=args,
                             daemon=True).start()

    @classmethod
    def _recv(cls, sock, n, fds):
        """N bytes from SOCK (b"" at end of stream), adding the file
        descriptors that come with them to FDS."""
        buf = b""
        while len(buf) < n:
            data, anc, _, _ = sock.recvmsg(
                n - len(buf), socket.CMSG_SPACE(cls.MAX_FDS * 4))
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    a = array.array("i")
                    a.frombytes(cdata[:len(cdata) - len(cdata) % a.itemsize])
                    fds.extend(a)
            if not data:
                return b""
            buf += data
        return buf

    def _pump(self, src, dst, look, after, lock):
        """Relay SRC -> DST message by message until either end closes."""
        try:
            while True:
                fds = []
                hdr = self._recv(src, self.HDR.size, fds)
                if not hdr:
                    break
                req, _, size = self.HDR.unpack(hdr)
                body = self._recv(src, size, fds) if size else b""
                if len(body) != size:
                    break
                if look:
                    fds = look(req, body, fds)
                anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                        array.array("i", fds))] if fds else []
                with lock or contextlib.nullcontext():
                    dst.sendmsg([hdr + body], anc)
                for fd in fds:
                    os.close(fd)
                if after:
                    after()
        except (OSError, ValueError):      # ValueError: the log is closed
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _look(self, req, body, fds):
        """A front-end message: ring sizes and addresses (IOVAs with an
        IOMMU), the back-end's request channel (relayed in turn: the
        back-end gets one end of a socket pair of ours), IOTLB messages.
        Returns the descriptors to pass on."""
        if req == self.SET_BACKEND_REQ_FD and fds:
            ours, theirs = socket.socketpair(socket.AF_UNIX,
                                             socket.SOCK_STREAM)
            qemu = socket.socket(fileno=fds[0])
            with self.lock:
                self.backend_req = qemu
            # testpmd -> QEMU: look, one sender at a time; QEMU -> testpmd.
            self._start(ours, qemu, self._look_request, self.req_lock, None)
            return [theirs.detach()] + fds[1:]
        with self.lock:
            if req == self.SET_VRING_NUM and len(body) >= 8:
                i, num = self.VRING_STATE.unpack_from(body)
                self.ring_num[i] = num
            elif req == self.SET_VRING_ADDR and len(body) >= 40:
                i, _, desc, used, avail, _ = self.VRING_ADDR.unpack_from(body)
                n = self.ring_num.get(i, 256)
                self.rings[i] = [(desc, 16 * n), (avail, 6 + 2 * n),
                                 (used, 6 + 8 * n)]
                self.log.write("vring %d num %d desc 0x%x avail 0x%x used "
                               "0x%x\n" % (i, n, desc, avail, used))
        if req == self.IOTLB_MSG:
            self._count(body)
        return fds

    def _look_request(self, req, body, fds):
        """A back-end request: its IOTLB misses are logged."""
        if req == self.BACKEND_IOTLB_MSG and len(body) >= self.IOTLB.size:
            iova, _, _, perm, kind = self.IOTLB.unpack_from(body)
            with self.lock:
                if kind == self.MISS:
                    self.misses += 1
                    self._asked(iova >> 12)
                self.log.write("miss iova 0x%x perm %d\n" % (iova, perm))
        return fds

    def _ask_rings(self):
        """After the back-end's answer: a translation request for each ring
        the last invalidation covered (see the class comment)."""
        with self.lock:
            todo, self.ring_misses = self.ring_misses, []
            qemu = self.backend_req
            iovas = [(i, self.rings[i][0][0]) for i in todo]
        for i, iova in iovas:
            msg = self.IOTLB.pack(iova, 0, 0, self.ACCESS_RW, self.MISS)
            msg += bytes(-len(msg) % 8)
            hdr = self.HDR.pack(self.BACKEND_IOTLB_MSG, self.VERSION,
                                len(msg))
            try:
                with self.req_lock:
                    qemu.sendall(hdr + msg)
            except (OSError, AttributeError):
                continue
            with self.lock:
                self.ring_requests += 1
                self._asked(iova >> 12)
                self.log.write("relay: miss for vring %d iova 0x%x\n"
                               % (i, iova))

    def _asked(self, page):
        """A translation of PAGE asked for (lock held)."""
        self.missed.add(page)
        if page in self.unmapped:
            self.asked_unmapped.add(page)

    def _count(self, body):
        if len(body) < self.IOTLB.size:
            return
        iova, size, uaddr, perm, kind = self.IOTLB.unpack_from(body)
        with self.lock:
            self.log.write("%s iova 0x%x size 0x%x uaddr 0x%x perm %d\n" % (
                {self.UPDATE: "update", self.INVALIDATE: "invalidate"}.get(
                    kind, "type-%d" % kind), iova, size, uaddr, perm))
            if kind == self.UPDATE:
                self.updates += 1
                pages = range(iova >> 12, (iova + max(size, 1) + 4095) >> 12)
                self.updated.update(pages)
                self.live.update(pages)
                self.unmapped.difference_update(pages)
            elif kind == self.INVALIDATE:
                self.invalidations += 1
                if size == 0 or iova + size >= 1 << 64:
                    # DPDK's cache keeps what it covers; its rings may not
                    # stay: ask for them anyway (one request too many is
                    # harmless).
                    self.wrapping += 1
                    size = size or 1 << 64
                gone = {p for p in self.live
                        if iova >> 12 <= p < (iova + size + 4095) >> 12}
                self.live -= gone
                self.unmapped |= gone
                for i, parts in self.rings.items():
                    if i not in self.ring_misses and any(
                            a < iova + size and iova < a + n
                            for a, n in parts):
                        self.ring_misses.append(i)

    def close(self):
        self.sock.close()
        with self.lock:
            self.log.close()
            if self.backend_req is not None:
                self.backend_req.close()
                self.backend_req = None


class VhostBackend:
    """Debian's dpdk-testpmd with the vhost PMD (IOMMU support on, no huge
    pages, two lcores: one busy-polls) sending every frame back (macswap),
    behind a VhostRelay. QEMU connects to .socket."""

    def __init__(self, tmp, log):
        self.socket = os.path.join(tmp, "vhost.sock")
        backend = os.path.join(tmp, "testpmd.sock")
        self.log = log
        # --no-huge rules out --in-memory: a prefix of its own per run, and
        # no shared files (the run directory is removed at the end).
        self.prefix = os.path.basename(tmp)
        args = [TESTPMD, "-l", "0-1", "--no-huge", "--no-pci", "-m", "64",
                "--no-shconf", "--file-prefix", self.prefix,
                "--vdev", "net_vhost0,iface=%s,iommu-support=1" % backend]
        if os.environ.get("VTD_TESTPMD_LOG"):
            args += ["--log-level=lib.vhost.*:debug"]
        # "vringN is enabled/disabled": when the back-end serves a ring.
        args += ["--log-level=pmd.net.vhost:info"]
        args += ["--", "--forward-mode=macswap", "--port-topology=loop",
                 "--total-num-mbufs=2048", "--auto-start"]
        self.logf = open(log, "w")
        self.logf.write("# " + " ".join(shlex.quote(a) for a in args) + "\n")
        self.logf.flush()
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=self.logf,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.relay = None
        for _ in range(200):
            if os.path.exists(backend) or self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if os.path.exists(backend):
            self.relay = VhostRelay(self.socket, backend,
                                    log.replace(".testpmd.", ".iotlb."))

    def qemu_args(self):
        return ["-chardev", "socket,id=vhost0,path=%s" % self.socket,
                "-netdev", "vhost-user,id=vn0,chardev=vhost0"]

    def stop(self):
        """testpmd stops on a newline (printing its statistics); a testpmd
        that does not is killed, with everything it started."""
        try:
            self.proc.stdin.write(b"\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()
        if self.relay:
            self.relay.close()
        self.logf.close()
        shutil.rmtree(os.path.join("/var/run/dpdk", self.prefix),
                      ignore_errors=True)

    def forwarded(self):
        """testpmd's RX/TX packet totals for the port, from its log."""
        with open(self.log, errors="replace") as f:
            m = re.findall(r"RX-packets: (\d+).*\n.*TX-packets: (\d+)",
                           f.read())
        return m[-1] if m else None


class QmpClient:
    """A QMP connection kept open for a whole run. A thread reads every
    message: events are kept in order (VTD_DMAR_FAULT among them), command
    answers go to cmd(). done is set when the guest has shut down (QEMU,
    started with -no-shutdown, then waits to be told to quit) or when the
    connection ends (QEMU exited). Every message both ways is written to
    LOG, one JSON object per line."""

    def __init__(self, sock, log):
        self.sock = sock
        self.rfile = sock.makefile("rb")
        self.log = open(log, "w")
        self.log_lock = threading.Lock()
        self.cmd_lock = threading.Lock()
        self.answers = queue.Queue()
        self.events = []
        self.next_id = 0
        self.shutdown = threading.Event()
        self.done = threading.Event()

    @classmethod
    def connect(cls, path, proc, log, timeout=10):
        """Connect to the QMP socket PATH of QEMU PROC (made as QEMU
        starts), read the greeting and leave negotiation mode; None when
        QEMU exits first or does not answer within TIMEOUT seconds."""
        end = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(path)
                break
            except OSError:
                s.close()
                if proc.poll() is not None or time.monotonic() > end:
                    return None
                time.sleep(0.02)
        c = cls(s, log)
        try:
            s.settimeout(max(0.1, end - time.monotonic()))
            greeting = c.rfile.readline()
            s.settimeout(None)
        except OSError:
            greeting = b""
        if not greeting:
            c.close()
            return None
        c._log(greeting)
        threading.Thread(target=c._read, daemon=True).start()
        if "return" not in (c.cmd("qmp_capabilities") or {}):
            c.close()
            return None
        return c

    def _log(self, line):
        with self.log_lock:
            if not self.log.closed:
                self.log.write(line.decode(errors="replace").rstrip() + "\n")
                self.log.flush()

    def _read(self):
        try:
            for line in self.rfile:
                self._log(line)
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if "event" in msg:
                    self.events.append(msg)
                    if msg["event"] == "SHUTDOWN":
                        self.shutdown.set()
                        self.done.set()
                elif "return" in msg or "error" in msg:
                    self.answers.put(msg)
        except (OSError, ValueError):
            pass
        finally:
            self.done.set()
            self.answers.put(None)

    def cmd(self, name, timeout=10, **args):
        """Run command NAME with ARGS; its answer ({"return": ...} or
        {"error": ...}), or None when QEMU does not answer in time."""
        with self.cmd_lock:
            self.next_id += 1
            msg = {"execute": name, "id": self.next_id}
            if args:
                msg["arguments"] = args
            line = json.dumps(msg).encode()
            self._log(b"-> " + line)
            try:
                self.sock.sendall(line + b"\n")
            except OSError:
                return None
            end = time.monotonic() + timeout
            while True:
                try:
                    ans = self.answers.get(
                        timeout=max(0.01, end - time.monotonic()))
                except queue.Empty:
                    return None
                if ans is None:
                    self.answers.put(None)      # for the next caller
                    return None
                if ans.get("id") == self.next_id:
                    return ans

    def status(self):
        ans = self.cmd("query-status") or {}
        return ans.get("return", {}).get("status")

    def hmp(self, line):
        ans = self.cmd("human-monitor-command", **{"command-line": line})
        return (ans or {}).get("return") or ""

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        with self.log_lock:
            self.log.close()


class Run:
    """One boot of the guest with one IOMMU config, mode and scenario."""

    def __init__(self, scenario, iommu="intel-iommu", mode="lazy", smp=1,
                 cpu=None, timeout=180, extra=(), name=None, disk_mib=DISK_MIB,
                 net_mib=4, bench_rows=None, kernel="6.12"):
        self._init = dict(scenario=scenario, iommu=iommu, mode=mode,
                          smp=smp, cpu=cpu, timeout=timeout, extra=extra,
                          name=name, disk_mib=disk_mib, net_mib=net_mib,
                          bench_rows=bench_rows, kernel=kernel)
        self.scenario, self.iommu, self.mode = scenario, iommu, mode
        self.kernel = kernel
        cfg = CONFIGS[iommu]
        self.smp = smp if smp != 1 else cfg.get("smp", 1)
        self.cpu = cpu or cfg.get("cpu")
        self.timeout = timeout
        self.shutdown_hung = False
        self.extra = list(extra)
        self.disk_mib, self.net_mib = disk_mib, net_mib
        self.bench_rows = bench_rows
        # the scale rows: their own devices, -smp 4 (see _scale_devices)
        self.scale = bool(bench_rows) and bench_rows[0] in SCALE_ROWS
        if self.scale:
            self.smp = SCALE_WORKERS
        self.name = name or "%s.%s.%s.%s" % (kernel, iommu, mode, scenario)
        self.results = []      # (check, status, detail)
        self.bench = {}
        self.elapsed = 0.0
        self.log = os.path.join(LOGS, self.name + ".log")
        # On vtd-dmar, a QMP client collects the run's VTD_DMAR_FAULT
        # events (kept in .qmp.log) for the "fault-events" check.
        self.events = (scenario != "bench" and
                       (cfg["device"] or "").startswith("vtd-dmar"))
        self.qmp_log = os.path.join(LOGS, self.name + ".qmp.log")
        self.devtlb_log = os.path.join(LOGS, self.name + ".devtlb.log")
        self.mon = None
        self.dmar_info = None      # query-vtd-dmar after the guest's end
        # query-vtd-dmar while the guest runs (its "VTD: BOOT" line seen)
        self.dmar_running = None
        self.pmen = {}             # PMEN: "board", "running", "end"
        self.dmar_board = None     # query-vtd-dmar before "cont" (PMR)
        # host time (time.time()) when the console first showed the
        # guest's closing dmesg dump, to DUMP_SEEN_EVERY (fault-events)
        self.dump_seen = None

    def add(self, check, status, detail=""):
        self.results.append((check, status, detail))

    def cmdline(self, params):
        cfg = CONFIGS[self.iommu]
        # no_timer_check: Linux's boot-time IOAPIC timer test counts ticks
        # in a busy loop; a TCG guest on a loaded host can miss them and,
        # with interrupt remapping, panics ("timer doesn't work through
        # Interrupt-remapped IO-APIC"). Virtual machines skip it.
        # nokaslr: a hung guest's vCPU addresses map to kernel symbols
        # tsc=reliable: 7.x's clocksource watchdog can deadlock a -smp 4
        # TCG guest at boot (caught live: CPU 0 spinning with interrupts
        # off in watchdog_check_skew(), the others in stop_machine_yield();
        # on intel-iommu-eim and vtd-dmar-eim alike). TCG's TSC is the
        # host's clock, the same on every vCPU: nothing to watch.
        args = ["console=ttyS0", "panic=-1", "quiet", "loglevel=4",
                "no_timer_check", "nokaslr", "tsc=reliable"]
        if self.scenario in OPTIN:
            # no intel_iommu=on: the kernel's default or the scenario's
            # argument; the IOMMU comes on despite an argument only when
            # the opt-in forces it, and Linux says so
            flag, arg, on = OPTIN[self.scenario]
            on = self.kernel in on
            args += [arg] if arg else []
            params.update(flag=int(flag), on=int(on),
                          forced=int(on and bool(arg)))
        elif cfg["device"]:
            args.append("intel_iommu=on")
        if self.mode == "pt":
            args.append("iommu=pt")
        if self.scenario == "bench":
            # readbench's 1M rows: two pages, or two per scale worker
            args.append("hugepages=%d" % (2 * SCALE_WORKERS if self.scale
                                          else 2))
        if self.scenario == "vhost":
            # TX completions in the transmit path, not in a TX NAPI: when
            # 6.12's virtio-net meets "output.0:id 0 is not a head!" (see
            # VHOST_FRAMES), TX NAPI then spins in a soft lockup; without
            # it the queue's later frames are dropped and the run ends.
            args.append("virtio_net.napi_tx=0")
        args.append("iommu.strict=%d" % (self.mode == "strict"))
        if cfg["ir"] == "off":
            args.append("vfio_iommu_type1.allow_unsafe_interrupts=1")
        params.update(scenario=self.scenario, ir=cfg["ir"],
                      pt=int(self.mode == "pt"),
                      strict=int(self.mode == "strict"))
        # issue 13's: CAP.CM on every unit; ATS on vhost's NIC
        params.update((k, 1) for k in ("cm", "ats") if cfg.get(k))
        # issue 14's: the stages offered (scalable mode); on vtd-dmar, the
        # fault reasons (write:read, hex) of edu's blocked DMA in the
        # DMA-API domain and in a VFIO domain
        if cfg.get("sm"):
            params["sm"] = cfg["sm"]
            if self.scenario == "dmar":
                args.append("iomem=relaxed")    # devmem: the unit's RTADDR
        if (cfg["device"] or "").startswith("vtd-dmar"):
            stages = SM_STAGES.get(cfg.get("sm"), {})
            for dom in ("dma", "vfio"):
                st = stages.get(dom, "legacy")
                st = st[self.kernel] if isinstance(st, dict) else st
                params[dom + "fr"] = "%x:%x" % FAULT_REASONS[st]
        # issue 16's configurations: the units the guest must find (the
        # devices on buses from pxbbus up belong to the second), the RMRR
        # and the protected region, and the e820 hole that holds them
        if cfg.get("units"):
            params.update(units=cfg["units"], pxbbus="0x%x" % PXB_BUS,
                          bases=":".join("%x" % b for b in UNIT_BASES))
        for k in ("rmrr", "pmr"):
            if cfg.get(k):
                params[k] = "0x%x-0x%x" % cfg[k]
        args += ["memmap=" + m for m in cfg.get("memmap", [])]
        args += ["vtd.%s=%s" % kv for kv in params.items()]
        # Extra guest kernel arguments, e.g. vtd.passes=40 for profiling.
        args += shlex.split(os.environ.get("VTD_GUEST_CMDLINE", ""))
        return " ".join(args)

    def qemu_args(self, tmp, params):
        cfg = CONFIGS[self.iommu]
        disk = os.path.join(tmp, "vda.img")
        nvme = os.path.join(tmp, "nvme.img")
        params["sha"] = disk_image(disk, self.disk_mib)
        disk_image(nvme, self.disk_mib)
        # VTD_QEMU_WRAPPER="perf record -g ..." runs QEMU under a tool.
        wrap = shlex.split(os.environ.get("VTD_QEMU_WRAPPER", ""))
        machine = "q35"
        if self.scenario == "vhost":
            # A vhost-user back-end maps guest RAM: it must be shareable.
            machine += ",memory-backend=mem"
        binary = (BEFORE_QEMU if cfg.get("before") else
                  REF_QEMU if cfg.get("ref") and REF_QEMU else QEMU)
        args = wrap + [binary, "-M", machine, "-m", "512M",
                "-smp", str(self.smp),
                "-nodefaults", "-display", "none", "-serial", "stdio",
                "-monitor", "none", "-no-reboot",
                "-kernel", os.path.join(KERNELS[self.kernel], "vmlinuz"),
                "-initrd", os.path.join(KERNELS[self.kernel],
                                        "initrd-nested.img"
                                        if self.scenario in NESTED
                                        else "initrd.img")]
        if self.cpu:
            args += ["-cpu", self.cpu]
        if cfg["device"]:
            args += ["-device", cfg["device"]]
        plat = ",iommu_platform=on" if cfg["device"] else ""
        # bus=...: where a two-unit configuration puts each device
        at = collections.defaultdict(str)
        if cfg.get("units"):
            args += self._second_unit(cfg)
            at.update(blk=",bus=rp1", nvme=",bus=rp2", net=",bus=rp3",
                      vhost=",bus=rp5", edu=",bus=pcie.0")
        if self.scenario in ATS_SCENARIOS and cfg.get("ats"):
            # ATS on a root port of its own; the unit's device-TLB
            # invalidations traced into <run>.devtlb.log
            at[self.scenario] = ",ats=on,bus=rpats"
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.devtlb_log)
            args += ["-device", "pcie-root-port,id=rpats,bus=pcie.0,"
                     "chassis=20",
                     "-trace", "enable=dmar_devtlb_inv,file=%s"
                     % self.devtlb_log]
        if self.scale:
            args += self._scale_devices(tmp, disk, nvme, plat)
        else:
            args += [
                "-blockdev", "file,node-name=f0,filename=%s,cache.direct=off"
                % disk,
                "-blockdev", "raw,node-name=d0,file=f0",
                # ids: scripts/bench-notify attaches its probes to them
                "-device", "virtio-blk-pci,id=vtdblk,drive=d0,"
                "disable-legacy=on%s%s" % (plat, at["blk"]),
                "-blockdev", "file,node-name=f1,filename=%s" % nvme,
                "-blockdev", "raw,node-name=d1,file=f1",
                "-device", "nvme,drive=d1,serial=vtd0001%s" % at["nvme"]]
        args += [
            "-netdev", "user,id=n0",
            "-device", "e1000e,id=vtdnet,netdev=n0%s" % at["net"],
            "-device", "edu%s" % at["edu"],
        ]
        if cfg.get("units"):
            args += ["-device", "edu,id=edu1,bus=rp4"]
        if self.scenario in OPTIN:
            # The external-facing root port (its ACPI name, S80, follows
            # from addr=0x10) with an edu below it; the flag, if set.
            args += ["-acpitable", "file=%s" % OPTIN_SSDT,
                     "-device", "pcie-root-port,id=rpext,bus=pcie.0,"
                     "addr=0x10,chassis=16",
                     "-device", "edu,bus=rpext"]
            if OPTIN[self.scenario][0]:
                args += ["-global", "vtd-dmar.platform-opt-in=on"]
        if self.scenario == "bypass":
            # An expander bus that bypasses the IOMMU, with edu behind a
            # root port on it: the DMAR table must not claim it.
            args += ["-device", "pxb-pcie,id=pxb,bus_nr=0x80,"
                     "bypass_iommu=on",
                     "-device", "pcie-root-port,id=rpb,bus=pxb,chassis=9",
                     "-device", "edu,bus=rpb"]
        if self.scenario == "vhost":
            args += ["-object", "memory-backend-memfd,id=mem,size=512M,"
                     "share=on",
                     "-device", "virtio-net-pci,netdev=vn0,disable-legacy=on,"
                     "mac=52:54:00:00:0f:01%s%s" % (plat, at["vhost"])]
        return args + self.extra, disk, nvme

    def _scale_devices(self, tmp, disk, nvme, plat):
        """The scale rows' disks: 4 virtio-blk, each on an iothread of its
        own, and one NVMe controller with 4 namespaces (the first of each
        kind on DISK and NVME, the others on copies)."""
        args = []
        for i in range(SCALE_WORKERS):
            d, n = disk, nvme
            if i:
                d = os.path.join(tmp, "vd%d.img" % i)
                n = os.path.join(tmp, "nvme%d.img" % i)
                shutil.copyfile(disk, d)
                shutil.copyfile(nvme, n)
            args += ["-object", "iothread,id=io%d" % i,
                     "-blockdev", "file,node-name=f%d,filename=%s,"
                     "cache.direct=off" % (10 + i, d),
                     "-blockdev", "raw,node-name=d%d,file=f%d" % (10 + i,
                                                                 10 + i),
                     "-device", "virtio-blk-pci,drive=d%d,iothread=io%d,"
                     "disable-legacy=on%s" % (10 + i, i, plat),
                     "-blockdev", "file,node-name=f%d,filename=%s" %
                     (20 + i, n),
                     "-blockdev", "raw,node-name=d%d,file=f%d" % (20 + i,
                                                                 20 + i)]
        args += ["-device", "nvme,id=nvme0,serial=vtd0001"]
        for i in range(SCALE_WORKERS):
            args += ["-device", "nvme-ns,bus=nvme0,drive=d%d,nsid=%d" %
                     (20 + i, i + 1)]
        return args

    @staticmethod
    def _second_unit(cfg):
        """A two-unit configuration's expander (pxb1, bus PXB_BUS), its
        unit (intremap and eim as the catch-all's; the RMRR, in the JSON
        form that an array property needs) and five root ports on pxb1,
        rp1..rp5: in that order, since a unit's primary bus must exist
        when the unit is created, and the devices come after their
        unit."""
        props = dict(kv.split("=", 1) for kv in cfg["device"].split(",")[1:])
        unit = {"driver": "vtd-dmar", "primary-bus": "pxb1"}
        unit.update((k, props[k]) for k in ("intremap", "eim") if k in props)
        if cfg.get("rmrr"):
            unit["rmrr"] = ["edu1:0x%x:0x%x" % cfg["rmrr"]]
            dev = json.dumps(unit, separators=(",", ":"))
        else:
            dev = ",".join(["vtd-dmar"] + ["%s=%s" % kv for kv in
                                           list(unit.items())[1:]])
        args = ["-device", "pxb-pcie,id=pxb1,bus_nr=0x%x" % PXB_BUS,
                "-device", dev]
        for i in range(1, 6):
            args += ["-device", "pcie-root-port,id=rp%d,bus=pxb1,"
                     "chassis=%d,addr=0x%x" % (i, 10 + i, i - 1)]
        return args

    # A guest that hangs before its init runs (the console has no "VTD:
    # BOOT" line) while QEMU keeps running: seen in about 1 of 100 boots
    # of the 7.3 kernel with -smp 4 and x2APIC remapping, on
    # intel-iommu-eim (QEMU 11.1's own model) and vtd-dmar-eim alike
    # (before tsc=reliable, see cmdline()). Such a run boots once more,
    # and says so (boot-retry, with where the vCPUs were); its console and
    # QMP log are kept as <run>.hung.log and .hung.qmp.log.
    def execute(self):
        self._execute_once()
        if not self._hung_before_init():
            return self
        first = next(d for c, s, d in self.results if c == "boot")
        for path in (self.log, self.qmp_log):
            if os.path.exists(path):
                shutil.copy(path, path[:-len(".log")] + ".hung.log")
        again = Run(**self._init)
        again._execute_once()
        self.__dict__.update(again.__dict__)
        self.add("boot-retry", "PASS", "booted again: the first boot hung "
                 "before the guest's init ran (%s)" % first)
        return self

    def _hung_before_init(self):
        hung = [d for c, s, d in self.results
                if c == "boot" and s == "FAIL" and "the guest hung" in d]
        if not hung or not os.path.exists(self.log):
            return False
        with open(self.log, errors="replace") as log:
            return "VTD: BOOT" not in log.read()

    def _execute_once(self):
        os.makedirs(LOGS, exist_ok=True)
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="vtd-guest-") as tmp:
            params = {"wseed": 77, "woff": self.disk_mib // 2, "wmib": 4}
            args, disk, nvme = self.qemu_args(tmp, params)
            net = NetServer(os.urandom(self.net_mib << 20))
            params.update(getport=net.get.getsockname()[1],
                          putport=net.put.getsockname()[1],
                          getsha=net.sha, putseed=99, putlen=self.net_mib << 20)
            if self.bench_rows:
                params["bench"] = ",".join(self.bench_rows)
            if self.scenario == "vhost":
                params.update(rounds=VHOST_ROUNDS, frames=VHOST_FRAMES,
                              fsize=VHOST_FRAME_SIZE)
            args += ["-append", self.cmdline(params)]
            qmp = os.path.join(tmp, "qmp.sock")
            args += ["-qmp", "unix:%s,server=on,wait=off" % qmp]
            if self.events:
                # paused until the QMP client is there; kept after the
                # guest's power-off for the last queries
                args += ["-S", "-no-shutdown"]
            vhost = None
            try:
                if self.scenario == "vhost":
                    vhost = self._vhost_start(tmp)
                    if not vhost:
                        net.close()
                        self.elapsed = time.monotonic() - t0
                        return self
                    args += vhost.qemu_args()
                out = self._boot(args, qmp, self.events)
            finally:
                net.close()
                if vhost:
                    vhost.stop()
            self._parse(out)
            self._kernel_warnings(out)
            self._fault_events(out)
            self._unit_checks(out)
            self._host_checks(out, disk, nvme, net)
            self._optin_checks(out)
            self._sm_checks(out)
            if (CONFIGS[self.iommu].get("ats") and
                    self.scenario in ATS_SCENARIOS):
                self._devtlb_check(out)
            if vhost:
                self._vhost_checks(vhost, out)
        self.elapsed = time.monotonic() - t0
        return self

    def _vhost_start(self, tmp):
        """testpmd and the relay for the vhost scenario, or None (and a
        SKIP or FAIL result) when they cannot run."""
        if not os.access(TESTPMD, os.X_OK):
            self.add("vhost", "SKIP", "no %s: scripts/setup-host installs "
                     "Debian's dpdk-dev" % TESTPMD)
            return None
        vhost = VhostBackend(tmp, os.path.join(LOGS, self.name +
                                               ".testpmd.log"))
        if not vhost.relay:
            vhost.stop()
            self.add("vhost", "FAIL", "testpmd made no vhost-user socket; "
                     "see %s" % vhost.log)
            return None
        return vhost

    def _vhost_checks(self, vhost, out):
        """What reached the back-end: with an IOMMU, the guest's unmaps must
        arrive as IOTLB invalidations, none of them wrapping past 2^64.
        A guest that stopped before its result line still has its running
        tally counted."""
        if not any(c == "vhost-frames" for c, _, _ in self.results):
            m = re.findall(r"^VTD: INFO frames-progress (.*?)\r?$", out,
                           re.M)
            bad = len(re.findall(r"^VTD: INFO frame-bad ", out, re.M))
            self.add("vhost-frames", "FAIL", "no result line; last tally: %s;"
                     " %d bad frames shown" % (m[-1] if m else "none", bad))
        # virtio-net's "output.0:id 0 is not a head!": its TX queue broke.
        # DPDK's own ring bug does that past VHOST_FRAMES' bound only, so
        # within it the back-end was given a wrong translation, or kept
        # one it was told to drop: a failure.
        broke = re.search(r"virtio_net \S+: (\S+ \d+ is not a head!)", out)
        for k, (c, st, d) in enumerate(self.results):
            if c == "vhost-frames" and broke:
                d += "; guest: %s" % broke.group(1)
                st = "FAIL"
            self.results[k] = (c, st, d)
        r = vhost.relay
        fw = vhost.forwarded()
        detail = ("%d invalidations (%d wrapping), %d misses, %d updates, "
                  "%d ring requests by the relay; testpmd rx %s tx %s" % (
                      r.invalidations, r.wrapping, r.misses, r.updates,
                      r.ring_requests, *(fw or ("?", "?"))))
        if CONFIGS[self.iommu]["device"] is None:
            self.add("vhost-iotlb", "PASS", detail)
            return
        self.add("vhost-iotlb", "PASS" if r.invalidations and not r.wrapping
                 else "FAIL", detail)
        # DPDK 22.11 now and then asks for an IOVA the guest never mapped
        # (seen: 0x80000000, 0x100000000, in lazy mode), and, once its TX
        # ring broke (virtio-net's "id 0 is not a head!"), for buffers the
        # guest had unmapped (an invalidation had covered them since their
        # last update) or for garbage: the IOMMU must fault these. A fault
        # anywhere else, at a page nobody asked for or at a page mapped
        # when it was asked for, is a failure.
        faults = [int(a, 16) for a in re.findall(
            r"^VTD: INFO vhost-fault .* fault addr 0x([0-9a-f]+)", out, re.M)]
        wrong = ["0x%x" % a for a in faults
                 if a >> 12 not in r.missed or
                 (a >> 12 in r.updated and a >> 12 not in r.asked_unmapped)]
        if faults:
            self.add("vhost-faults", "FAIL" if wrong else "PASS",
                     "%d DMA faults of the device; at IOVAs asked for "
                     "while unmapped (never mapped, or invalidated since "
                     "their last update): %d%s" % (
                         len(faults), len(faults) - len(wrong),
                         "; others: " + " ".join(wrong) if wrong else ""))

    DEVTLB_LINE = re.compile(r"dmar_devtlb_inv sid 0x([0-9a-f]+) "
                             r"device-TLB invalidation 0x([0-9a-f]+)\.\."
                             r"0x([0-9a-f]+)")

    def _devtlb_check(self, out):
        """Check "devtlb-inv" (ATS configurations): the unit traced
        device-TLB invalidations (type-3 descriptors the guest sent) for
        the device the guest enabled ATS on (its "ats-device" line). For
        vhost's NIC these are the only invalidations vhost hears (its
        notifier is then a device-IOTLB one)."""
        m = re.search(r"^VTD: INFO ats-device "
                      r"(?:[0-9a-f]{4}:)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])",
                      out, re.M)
        if not m:
            self.add("devtlb-inv", "FAIL", "the guest named no ATS device")
            return
        bus, dev, fn = (int(g, 16) for g in m.groups())
        sid = bus << 8 | dev << 3 | fn
        try:
            with open(self.devtlb_log, errors="replace") as f:
                lines = self.DEVTLB_LINE.findall(f.read())
        except OSError as e:
            self.add("devtlb-inv", "FAIL", "no trace: %s" % e)
            return
        ours = [(int(a, 16), int(b, 16)) for s, a, b in lines
                if int(s, 16) == sid]
        # a flush of everything: from 0 to 2^aw-bits - 1 (39 or 48)
        whole = sum(1 for a, b in ours if a == 0 and b >= (1 << 39) - 1)
        self.add("devtlb-inv", "PASS" if ours else "FAIL",
                 "%d device-TLB invalidations for sid 0x%04x (%d of "
                 "everything), %d for other devices; trace: %s" % (
                     len(ours), sid, whole, len(lines) - len(ours),
                     self.devtlb_log))

    def _qemu_status(self, qmp, proc):
        """QEMU's run state through its QMP socket (and, when it runs,
        where the vCPUs are), or None when QEMU does not answer within
        10 s (a hung QEMU, not a hung guest)."""
        c = QmpClient.connect(qmp, proc, self.qmp_log)
        if c is None:
            return None
        try:
            state = c.status()
            return state and state + "; " + self._where(c)
        finally:
            c.close()

    def _boot(self, args, qmp=None, events=False):
        """Run QEMU (ARGS) to its end; the console. With EVENTS, QEMU
        starts paused with -no-shutdown: a QmpClient (self.mon) on the
        QMP socket QMP starts the guest, hears every event of the run
        and, once the guest has powered off, keeps query-vtd-dmar
        (self.dmar_info) and HMP "info vtd-dmar" (in the .qmp.log) and
        tells QEMU to quit."""
        with open(self.log, "w") as log:
            log.write("# " + " ".join(shlex.quote(a) for a in args) + "\n")
            log.flush()
            try:
                p = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
            except OSError as e:        # e.g. QEMU being relinked
                self.add("boot", "FAIL", "cannot start QEMU: %s" % e)
                return ""
            state = None
            mon = None
            try:
                if events:
                    mon = self.mon = QmpClient.connect(qmp, p, self.qmp_log)
                    if mon and CONFIGS[self.iommu].get("pmr"):
                        self.pmen["board"] = self._pmen(mon)
                        ans = mon.cmd("query-vtd-dmar") or {}
                        self.dmar_board = ans.get("return")
                    if mon is None or "return" not in (mon.cmd("cont") or {}):
                        try:        # a QEMU that failed to start exits
                            p.wait(timeout=5)
                        except subprocess.TimeoutExpired:
                            os.killpg(p.pid, signal.SIGKILL)
                            p.wait()
                            self.add("boot", "FAIL", "no QMP connection to "
                                     "QEMU (it starts paused for "
                                     "fault-events)")
                            return ""
                        if mon:
                            mon.close()
                        mon = self.mon = None   # QEMU exited: its error
                if mon:
                    if not self._wait_end(mon):
                        raise subprocess.TimeoutExpired(args, self.timeout)
                    if mon.shutdown.is_set():
                        ans = mon.cmd("query-vtd-dmar") or {}
                        # unanswered: what _wait_end() may have kept
                        self.dmar_info = ans.get("return", self.dmar_info)
                        if CONFIGS[self.iommu].get("pmr"):
                            self.pmen["end"] = self._pmen(mon)
                        mon.cmd("human-monitor-command",
                                **{"command-line": "info vtd-dmar"})
                        mon.cmd("quit")
                    rc = p.wait(timeout=30)
                else:
                    rc = self._wait_exit(p)
            except subprocess.TimeoutExpired:
                if mon:
                    state = mon.status()
                    if state:
                        state += "; " + self._where(mon)
                elif qmp:
                    state = self._qemu_status(qmp, p)
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                rc = None
            finally:
                if mon:
                    mon.close()
        with open(self.log, errors="replace") as log:
            out = log.read()
        if rc is None and self.shutdown_hung:
            self.add("boot", "FAIL", "QEMU did not exit %d s after the "
                     "guest's power-down, killed (the scale rows' shutdown "
                     "hang, README)" % POWER_DOWN_GRACE)
        elif rc is None:
            self.add("boot", "FAIL", "guest killed after %d s timeout (%s)" %
                     (self.timeout, "QEMU answered QMP, status %s: the guest "
                      "hung" % state if state else "QEMU did not answer QMP: "
                      "QEMU hung"))
        elif rc != 0:
            self.add("boot", "FAIL", "qemu exited with %d" % rc)
        elif "VTD: DONE" not in out:
            # the console's last lines say how (a panic, a reset) for a
            # CI log that keeps only the failure lines
            last = [ln.strip()[:160] for ln in out.splitlines()[1:]
                    if ln.strip()][-3:]
            self.add("boot", "FAIL", "guest stopped before its DONE line; "
                     "its console ended: %s" % (" | ".join(last) or
                                                "nothing"))
        else:
            self.add("boot", "PASS", out.split("VTD: BOOT ", 1)[-1].split("\n")[0]
                     if "VTD: BOOT" in out else "")
        return out

    def _parse(self, out):
        for m in re.finditer(r"^VTD: RESULT (\S+) (PASS|FAIL|SKIP) ?(.*?)\r?$",
                             out, re.M):
            self.add(*m.groups())
        for m in re.finditer(r"^VTD: BENCH (\S+) ([0-9.]+) MB/s", out, re.M):
            self.bench[m.group(1)] = float(m.group(2))

    def kernel_lines(self, out):
        """The DMAR/IOMMU warnings and kernel splats of a console OUT (see
        KMSG_LINE), less the DMA faults of the device the scenario names
        (its "expected-faults" line; Linux prints its BDF with the PCI
        segment since 7.x, without before), as (text, allowed-reason)."""
        m = re.search(r"^VTD: INFO expected-faults (\S+)", out, re.M)
        # one device, or several separated by commas (two-unit runs)
        bdfs = [b[5:] if b.startswith("0000:") else b
                for b in (m.group(1) if m else "none").split(",")]
        # with the header Linux prints before each batch of fault records
        fault = re.compile(r"DMAR: \[DMA (Read|Write)[^]]*\] Request device "
                           r"\[(0000:)?(%s)\]|DMAR: DRHD: handling fault status "
                           r"reg" % "|".join(re.escape(b) for b in bdfs)
                           if bdfs != ["none"] else "^$")
        lines = []
        for lvl, text in KMSG_LINE.findall(out):
            if not (KMSG_SPLAT.search(text) or (int(lvl) & 7) <= KMSG_WARNING
                    and KMSG_IOMMU.search(text)):
                continue
            if fault.search(text):
                continue
            why = [r for rx, r in KMSG_ALLOW + SCENARIO_KMSG.get(
                self.scenario, []) if re.search(rx, text)]
            lines.append((text, why[0] if why else None))
        return lines

    def _kernel_warnings(self, out):
        if self.scenario == "bench" or "VTD: DONE" not in out:
            return
        lines = self.kernel_lines(out)
        bad = [t for t, why in lines if why is None]
        if not self.iommu.startswith("vtd-dmar"):
            self.add("kernel-warnings", "PASS", "%s (not judged on %s)" % (
                " | ".join(t for t, _ in lines) or "none", self.iommu))
            return
        self.add("kernel-warnings", "FAIL" if bad else "PASS",
                 " | ".join(bad) if bad else "none%s" % (
                     " (%d allowed)" % len(lines) if lines else ""))

    def _where(self, mon):
        """Where a hung guest's vCPUs are: the RIP of each (the whole
        register dump is in the .qmp.log). With nokaslr the addresses are
        the same every boot of a kernel, so they can be looked up in a
        /proc/kallsyms taken from a good boot (Debian's packages ship no
        real System.map)."""
        rips = re.findall(r"RIP=([0-9a-f]+)", mon.hmp("info registers -a"))
        return ("vCPUs at " + ", ".join("0x" + r.lstrip("0") for r in rips)
                if rips else "no vCPU registers")

    def _wait_end(self, mon):
        """Wait for the end of the guest (MON.done), at most the run's
        timeout; False on timeout. A scale row's units are queried
        (self.dmar_info) once the guest has printed its figures. On issue
        16's configurations, once the guest's /init has started (its
        "VTD: BOOT" line: Linux has set up its units), query-vtd-dmar
        (self.dmar_running) and, with a PMR, PMEN (self.pmen["running"])
        while the guest runs."""
        cfg = CONFIGS[self.iommu]
        checks = cfg.get("units") or cfg.get("pmr")
        end = time.monotonic() + self.timeout
        watch = {"seen": 0}
        dump = {"seen": 0}
        while not mon.done.wait(DUMP_SEEN_EVERY):
            if time.monotonic() > end or self._past_power_down(watch):
                return False
            self._watch_dump(dump)
            if not (checks or self.scale):
                continue
            if self.scale and self.dmar_info is None:
                # a scale row's QEMU may hang at the power-down (README):
                # its units once the guest has its figures (bench --drains)
                with open(self.log, errors="replace") as f:
                    if "VTD: BENCH " in f.read():
                        ans = mon.cmd("query-vtd-dmar", timeout=5) or {}
                        self.dmar_info = ans.get("return")
            if self.dmar_running is not None or not checks:
                continue
            with open(self.log, errors="replace") as f:
                if "VTD: BOOT" not in f.read():
                    continue
            ans = mon.cmd("query-vtd-dmar") or {}
            self.dmar_running = ans.get("return", [])
            if cfg.get("pmr"):
                self.pmen["running"] = self._pmen(mon)
        # the dump and the power-off may come between two looks
        self._watch_dump(dump)
        return True

    def _watch_dump(self, dump):
        """Keep in self.dump_seen when the console log first showed the
        guest's dmesg dump ("VTD: INFO expected-faults" comes just before
        it); DUMP, a dict, keeps how much of the log was read."""
        if self.dump_seen is not None:
            return
        tail = self._log_tail(dump)
        if b"VTD: INFO expected-faults" in tail or b"VTD: DMESG" in tail:
            self.dump_seen = time.time()

    def _log_tail(self, cursor):
        """What the console log gained since CURSOR["seen"] (bytes read so
        far, moved on), with the 64 bytes before it: a line cut in two."""
        start = max(0, cursor["seen"] - 64)
        with open(self.log, "rb") as f:
            f.seek(start)
            tail = f.read()
        cursor["seen"] = start + len(tail)
        return tail

    def _past_power_down(self, watch):
        """For a scale row, whose QEMU at times hangs at the guest's
        power-down (README): whether POWER_DOWN_GRACE has passed since
        the console log showed it (then self.shutdown_hung). WATCH, a
        dict, keeps how much of the log was read, and when it showed it."""
        if not self.scale:
            return False
        now = time.monotonic()
        if "down" in watch:
            self.shutdown_hung = now > watch["down"] + POWER_DOWN_GRACE
            return self.shutdown_hung
        if b"reboot: Power down" in self._log_tail(watch):
            watch["down"] = now
        return False

    def _wait_exit(self, p):
        """QEMU's exit status, waiting at most the run's timeout, and for
        a scale row at most POWER_DOWN_GRACE after the guest's power-down
        (the shutdown hang, README); subprocess.TimeoutExpired if not."""
        if not self.scale:
            return p.wait(timeout=self.timeout)
        end = time.monotonic() + self.timeout
        watch = {"seen": 0}
        while True:
            try:
                return p.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() > end or self._past_power_down(watch):
                raise subprocess.TimeoutExpired(p.args, self.timeout)

    @staticmethod
    def _pmen(mon, base=UNIT_BASES[0]):
        """The PMEN register (offset 0x64) of the unit at BASE, read as the
        guest's CPU would (HMP xp); None when unreadable."""
        ans = mon.cmd("human-monitor-command",
                      **{"command-line": "xp /1wx 0x%x" % (base + 0x64)})
        m = re.search(r": (0x[0-9a-f]+)", (ans or {}).get("return", ""))
        return int(m.group(1), 16) if m else None

    def _unit_checks(self, out):
        """Issue 16's host-side checks. "units-state": the units the
        guest runs with (query-vtd-dmar while it runs), at the board's
        addresses, each translating and remapping interrupts as the
        configuration says. "fault-units": every VTD_DMAR_FAULT comes
        from the unit that covers its device (bus from PXB_BUS up: pxb1's
        unit). "pmr-board", "pmr-released": PMEN read EPM|PRS before the
        guest started and 0 once Linux ran (and at the end). "drains"
        (strict mode): the vCPUs' IQT writes ran the queue without the
        BQL, so some drains were done by such runs with nothing left to
        wait for; with NVMe, which translates holding the BQL, the unit
        counted holds of the BQL in which a device translated DMA (what
        such drains wait for)."""
        cfg = CONFIGS[self.iommu]
        if "VTD: DONE" not in out or not self.mon:
            return
        if self.mode == "strict" and "dma-drain=off" not in cfg["device"]:
            self._drains_check()
        if cfg.get("units"):
            info = self.dmar_running or []
            want_ir = cfg["ir"] != "off"
            bad = []
            bases = sorted(u["base"] for u in info)
            if bases != sorted(UNIT_BASES[:cfg["units"]]):
                bad.append("units at %s" % " ".join("0x%x" % b
                                                     for b in bases))
            for u in info:
                got = (u["translation"], u["interrupt-remapping"],
                       u["x2apic-mode"])
                if got != (True, want_ir, cfg["ir"] == "x2apic"):
                    bad.append("0x%x: TES %d IRES %d x2APIC %d" % (
                        u["base"], *got))
            self.add("units-state", "FAIL" if bad or not info else "PASS",
                     "; ".join(bad) or "%d units (%s): translating, "
                     "interrupt remapping %s" % (len(info), " ".join(
                         "0x%x" % b for b in bases), cfg["ir"]))
            unit_of = {u["qom-path"]: u["base"] for u in self.dmar_info or
                       info}
            evs = [e["data"] for e in self.mon.events
                   if e.get("event") == "VTD_DMAR_FAULT"]
            if evs:
                wrong, seen = [], collections.Counter()
                for d in evs:
                    want = UNIT_BASES[int(d["bdf"][:2], 16) >= PXB_BUS]
                    got = unit_of.get(d["qom-path"])
                    seen["%s@0x%x" % (d["bdf"], got or 0)] += 1
                    if got != want:
                        wrong.append("%s from %s, not 0x%x" % (
                            d["bdf"], "0x%x" % got if got else
                            d["qom-path"], want))
                self.add("fault-units", "FAIL" if wrong else "PASS",
                         "; ".join(wrong) or "events by device@unit: " +
                         ", ".join("%s x%d" % kv for kv in
                                   sorted(seen.items())))
        if cfg.get("pmr"):
            epm_prs = (1 << 31) | 1
            board, running = self.pmen.get("board"), self.pmen.get("running")
            end = self.pmen.get("end")
            self.add("pmr-board", "PASS" if board == epm_prs else "FAIL",
                     "PMEN before the guest started: %s (want EPM|PRS "
                     "0x%x)" % (board if board is None else "0x%x" % board,
                                epm_prs))
            self.add("pmr-released",
                     "PASS" if running == 0 and end == 0 else "FAIL",
                     "PMEN while the guest ran: %s, at its end: %s (want "
                     "0: Linux cleared EPM, the unit PRS)" % tuple(
                         v if v is None else "0x%x" % v
                         for v in (running, end)))
            self._pmr_query(cfg)

    def _drains_check(self):
        """Check "drains" (see _unit_checks) on query-vtd-dmar after the
        guest's end."""
        if not self.dmar_info:
            self.add("drains", "FAIL", "no answer to query-vtd-dmar")
            return
        n = drain_counts(self.dmar_info)
        # the vCPUs' IQT writes drain without the BQL, nearly always
        # after the hold they wait for has ended; NVMe translates holding
        # the BQL, and those holds are what such drains wait for
        need = n["quiet"] and (n["holds"] or self.scenario != "nvme")
        self.add("drains", "PASS" if need else "FAIL",
                 "%d by runs holding the BQL; by runs without it: %d with "
                 "no DMA under the BQL to wait for, %d with none to an "
                 "invalidated page, %d found it free, %d waits held, %d "
                 "for a translation under way (%.1f ms waited); %d holds "
                 "of the BQL with DMA" % (
                     n["bql"], n["quiet"], n["spared"], n["free"], n["held"],
                     n["busy"], n["held-ns"] / 1e6, n["holds"]))

    def _pmr_query(self, cfg):
        """Check "pmr-query" when query-vtd-dmar shows a unit's PMRs (its
        "pmr" member): before "cont" protection asked for and in force
        over the board's low region; while the guest ran, neither, over
        the same registers (Linux clears only PMEN.EPM)."""
        got = []
        for when, info in (("board", self.dmar_board),
                           ("running", self.dmar_running)):
            u = [u for u in info or [] if u["base"] == UNIT_BASES[0]]
            if not u or "pmr" not in u[0]:
                return          # a QEMU whose query has no PMR member
            got.append((when, u[0]["pmr"]))
        low = (cfg["pmr"][0], cfg["pmr"][1] + 1 - (2 << 20))
        bad = [when for when, p in got
               if (p["enabled"], p["in-force"]) != ((when == "board"),) * 2
               or (p["low-base"], p["low-limit"]) != low]
        self.add("pmr-query", "FAIL" if bad else "PASS", "; ".join(
            "%s: enabled %d in-force %d low 0x%x-0x%x" % (
                when, p["enabled"], p["in-force"], p["low-base"],
                p["low-limit"]) for when, p in got))

    @staticmethod
    def _fault_key(d):
        """A VTD_DMAR_FAULT event's data as a kernel line shows it: (bdf,
        access, page address or interrupt index, reason)."""
        if d["interrupt"]:
            return (d["bdf"], "interrupt", d["address"] >> 48, d["reason"])
        return (d["bdf"], d["access"], d["address"] & ~0xfff, d["reason"])

    @staticmethod
    def _fault_str(k):
        return "%s %s %s0x%x reason 0x%02x" % (
            k[0], k[1], "index " if k[1] == "interrupt" else "", k[2], k[3])

    def _fault_events(self, out):
        """Check "fault-events" (vtd-dmar runs): the VTD_DMAR_FAULT events
        received over QMP with recorded true are exactly the faults the
        guest's kernel logged, as a multiset of (bdf, access, page address
        or interrupt index, reason). Events with recorded false (FPD,
        FSTS.PFO) are shown, not counted, and so are recorded events that
        came after the console showed the guest's dump or DUMP_GRACE
        before it, and are not in it. The rate limit must have
        suppressed none (the scenarios stay under it), and QMP must have
        received every event the unit sent (its query-vtd-dmar totals)."""
        if not self.mon or "VTD: DONE" not in out:
            return
        logged = collections.Counter()
        dropped = 0
        for _, text in KMSG_LINE.findall(out):
            m = FAULT_DMA.search(text)
            if m:
                logged[(m.group(2), m.group(1).lower(),
                        int(m.group(3), 16) & ~0xfff,
                        int(m.group(4), 16))] += 1
            m = FAULT_IR.search(text)
            if m:
                logged[(m.group(1), "interrupt", int(m.group(2), 16),
                        int(m.group(3), 16))] += 1
            m = FAULT_LINES_DROPPED.search(text)
            if m:
                dropped += int(m.group(1))
        events = [e for e in self.mon.events
                  if e.get("event") == "VTD_DMAR_FAULT"]
        evs = [e["data"] for e in events]
        recorded = collections.Counter(self._fault_key(d) for d in evs
                                       if d["recorded"])
        # A device that faults on to the guest's power-off (vhost's
        # back-end asks at random) may fault after the guest's dump, or
        # just before it, with its kernel line not yet printed: such an
        # event may miss from the dump (shown, not judged).
        cut = self.dump_seen - DUMP_GRACE if self.dump_seen else None
        late = collections.Counter(
            self._fault_key(e["data"]) for e in events
            if e["data"]["recorded"] and cut is not None and
            e["timestamp"]["seconds"] + e["timestamp"]["microseconds"] / 1e6
            >= cut)
        unrecorded = collections.Counter(self._fault_key(d) for d in evs
                                         if not d["recorded"])
        suppressed = sum(d["suppressed"] for d in evs)
        lost, bad = [], []      # transport; matching with the kernel
        if self.dmar_info is None:
            lost.append("no answer to query-vtd-dmar")
            sent = "?"
        else:
            sent = sum(u["fault-events-sent"] for u in self.dmar_info)
            suppressed = max(suppressed, sum(u["fault-events-suppressed"]
                                             for u in self.dmar_info))
            if sent != len(evs):
                lost.append("the unit sent %d events, QMP received %d" % (
                    sent, len(evs)))
        missing, extra = logged - recorded, recorded - logged
        excused = extra & late
        extra -= excused
        if missing:
            bad.append("in dmesg, no recorded event: %s" % ", ".join(
                self._fault_str(k) for k in sorted(missing.elements())))
        if extra:
            bad.append("recorded events not in dmesg: %s" % ", ".join(
                self._fault_str(k) for k in sorted(extra.elements())))
        if dropped:
            bad.append("the guest's kernel left out %d fault lines" % dropped)
        if suppressed:
            bad.append("the rate limit suppressed %d events" % suppressed)
        detail = "%d recorded events, %d faults in dmesg%s%s; %d not " \
            "recorded%s; unit: %s sent, %d suppressed" % (
                sum(recorded.values()), sum(logged.values()),
                " (%s)" % ", ".join(self._fault_str(k) for k in
                                    sorted(logged.elements()))
                if logged and not bad else "",
                "; at the guest's end, not in its dump: %s" % ", ".join(
                    self._fault_str(k) for k in sorted(excused.elements()))
                if excused else "", sum(unrecorded.values()),
                " (%s)" % ", ".join("%s x%d" % (self._fault_str(k), n)
                                    for k, n in sorted(unrecorded.items()))
                if unrecorded else "", sent, suppressed)
        self.add("fault-events", "FAIL" if lost or bad else "PASS",
                 "; ".join(lost + bad + [detail]))

    def _sm_checks(self, out):
        """Check "sm-state" (scalable-mode configurations): after the
        guest's power-off every unit's latched root table is a
        scalable-mode one (Linux chose scalable mode), and it offers the
        stages the configuration asks for (query-vtd-dmar)."""
        sm = CONFIGS[self.iommu].get("sm")
        if not sm or self.scenario == "bench" or "VTD: DONE" not in out:
            return
        if not self.dmar_info:
            self.add("sm-state", "FAIL", "no answer to query-vtd-dmar")
            return
        want = (True, sm != "ss", sm != "fs")
        got = [(u["scalable-mode"], u["first-stage"], u["second-stage"])
               for u in self.dmar_info]
        self.add("sm-state", "PASS" if set(got) == {want} else "FAIL",
                 "; ".join("0x%x: scalable mode %d, first stage %d, second "
                           "stage %d" % (u["base"], *g)
                           for u, g in zip(self.dmar_info, got)))

    def _optin_checks(self, out):
        """Check "optin-unit" (the opt-in scenarios): what the unit saw,
        from query-vtd-dmar after the guest's power-off. Linux clears
        GSTS.TE when it powers off, but a unit it used keeps its root
        table (GSTS.RTPS) and counts its context lookups; one it left
        alone has neither."""
        if self.scenario not in OPTIN or "VTD: DONE" not in out:
            return
        if not self.dmar_info:
            self.add("optin-unit", "FAIL", "no answer to query-vtd-dmar")
            return
        u = self.dmar_info[0]
        ctx = sum(c["lookups"] for c in u["caches"] if c["name"] == "context")
        used = bool(u["gsts"] & 1 << 30) and ctx > 0
        on = self.kernel in OPTIN[self.scenario][2]
        self.add("optin-unit", "PASS" if used == on else "FAIL",
                 "%s: gsts 0x%08x, root table 0x%x, %d context lookups" % (
                     "used by Linux" if used else "left alone", u["gsts"],
                     u["root-table"], ctx))

    def _host_checks(self, out, disk, nvme, net):
        m = re.search(r"^VTD: WROTE (\d+) (\d+) ([0-9a-f]{64})", out, re.M)
        if self.scenario in ("blk", "nvme"):
            img = disk if self.scenario == "blk" else nvme
            if not m:
                self.add("host-readback", "FAIL", "the guest wrote nothing")
            else:
                off, mib, want = int(m.group(1)), int(m.group(2)), m.group(3)
                with open(img, "rb") as f:
                    f.seek(off << 20)
                    got = hashlib.sha256(f.read(mib << 20)).hexdigest()
                self.add("host-readback", "PASS" if got == want else "FAIL",
                         "image sha256 %s, guest wrote %s" % (got, want))
        if self.scenario == "net":
            m = re.search(r"^VTD: SENT ([0-9a-f]{64})", out, re.M)
            ok = m and net.received_sha == m.group(1)
            self.add("net-put", "PASS" if ok else "FAIL",
                     "server got %d bytes sha256 %s" % (net.received_len,
                                                        net.received_sha))

    def status(self):
        if not self.results:
            return "FAIL"
        st = [s for _, s, _ in self.results]
        if "FAIL" in st:
            return "FAIL"
        if "SKIP" in st:
            return "SKIP"
        if not [c for c, s, _ in self.results if s == "PASS" and
                c not in ("boot", "kernel-warnings")]:
            return "FAIL"      # the scenario itself checked nothing
        return "PASS"

    def report(self, verbose=False):
        st = self.status()
        print("%-4s %-40s %5.1f s" % (st, self.name, self.elapsed),
              flush=True)
        retried = any(c == "boot-retry" for c, _, _ in self.results)
        if verbose or st != "PASS" or retried:
            for check, s, detail in self.results:
                if verbose or s != "PASS" or check == "boot-retry":
                    print("       %-4s %s: %s" % (s, check, detail))
            if st == "FAIL":
                print("       console: %s" % self.log)


def matrix(iommus, kernel="6.12", scenarios=SCENARIOS):
    runs = []
    for iommu in iommus:
        has = CONFIGS[iommu]["device"] is not None
        if "suite" in CONFIGS[iommu]:
            # the configuration names its own runs (issue 16's)
            runs += [Run(scen, iommu, mode, kernel=kernel,
                         timeout=90 if scen == "vhost" else 180)
                     for scen, mode, kernels in CONFIGS[iommu]["suite"]
                     if scen in scenarios and kernel in kernels]
            continue
        for scen in SCENARIOS:
            if scen not in scenarios or (not has and scen in NEEDS_IOMMU):
                continue
            for mode in ("strict", "lazy"):
                if (iommu, mode) not in SUITE_ONLY.get(scen, {(iommu, mode)}):
                    continue
                # A vhost guest whose NIC breaks hangs: give up sooner.
                runs.append(Run(scen, iommu, mode, kernel=kernel,
                                timeout=90 if scen == "vhost" else 180))
        if has and "dmar" in scenarios:
            runs.append(Run("dmar", iommu, "pt", kernel=kernel))
    return runs


BENCH_ROWS = ["blk-1M", "blk-1M-4k", "blk-4K", "nvme-1M", "nvme-1M-4k",
              "nvme-4K", "net-get"]
# Seconds a scale row's QEMU gets to exit after the guest's power-down
POWER_DOWN_GRACE = 20
# How often the console log is looked at while a guest runs (_wait_end),
# and how long before its dmesg dump was seen a fault event may come and
# still not be in the dump: the guest's fault interrupt, its handler's
# lines (soak: "handling fault status reg 302" in the dump, its record
# line not), and the look's own lateness.
DUMP_SEEN_EVERY = 0.2
DUMP_GRACE = 1.0

# Rows of a boot of their own (Run.scale): SCALE_WORKERS guest processes
# reading SCALE_WORKERS virtio-blk disks and NVMe namespaces at once.
SCALE_ROWS = ["scale-1M"]
SCALE_WORKERS = 4


def drain_counts(info):
    """The drain counts of query-vtd-dmar's answer INFO, summed over its
    units, by kind (bql, quiet, spared, free, held, busy, held-ns), and the
    holds of the BQL in which a device translated DMA (holds); 0 for
    those an older build does not have."""
    n = {k: sum(u["queue"].get("drains-" + k, 0) for u in info)
         for k in ("bql", "quiet", "spared", "free", "held", "busy",
                   "held-ns")}
    n["holds"] = sum(u["queue"].get("bql-dma-holds", 0) for u in info)
    return n


def bench(iommus, modes, rounds, disk_mib, net_mib, rows=BENCH_ROWS,
          kernel="6.12", drains=False):
    """Interleave the configurations run by run so that machine noise hits
    them alike; print medians (MB/s) and ratios against the first config
    and, when present, of vtd-dmar against intel-iommu. With DRAINS, a
    QMP client on each vtd-dmar run prints its units' drain counts
    (query-vtd-dmar after the guest's end) after its figures."""
    cols = []
    for iommu in iommus:
        for mode in (["-"] if CONFIGS[iommu]["device"] is None else modes):
            cols.append((iommu, mode))
    samples = {c: {r: [] for r in rows} for c in cols}
    # the scale rows boot on their own (their devices, -smp 4)
    boots = [b for b in ([r for r in rows if r not in SCALE_ROWS],
                         [r for r in rows if r in SCALE_ROWS]) if b]
    for rnd in range(rounds):
        for iommu, mode in cols:
            for brows in boots:
                run = Run("bench", iommu, "lazy" if mode == "-" else mode,
                          disk_mib=disk_mib, net_mib=net_mib,
                          bench_rows=brows, kernel=kernel,
                          name="bench.%s.%s.%s.%d%s" % (
                              kernel, iommu, mode, rnd,
                              ".scale" if brows[0] in SCALE_ROWS else ""))
                run.events = drains and (CONFIGS[iommu]["device"] or
                                         "").startswith("vtd-dmar")
                run.execute()
                got = " ".join("%s=%.1f" % kv
                               for kv in sorted(run.bench.items()))
                if run.events:
                    got += " drains %s" % (" ".join(
                        "%s=%d" % kv for kv in
                        drain_counts(run.dmar_info).items())
                        if run.dmar_info else "?")
                print("round %d %-16s %-6s %s" % (
                    rnd + 1, iommu, mode,
                    got or "NO DATA (see %s)" % run.log), flush=True)
                for r in brows:
                    if r in run.bench:
                        samples[(iommu, mode)][r].append(run.bench[r])

    def med(c, r):
        v = sorted(samples[c][r])
        return v[len(v) // 2] if v else float("nan")

    names = ["%s/%s" % c if c[1] != "-" else c[0] for c in cols]
    print("\nMB/s, median of %d runs (TCG, Linux %s, %d MiB disks, %d MiB "
          "over e1000e)" % (rounds, kernel, disk_mib, net_mib))
    print("%-11s" % "" + "".join("%20s" % n for n in names))
    for r in rows:
        print("%-11s" % r + "".join("%20.1f" % med(c, r) for c in cols))
    base = cols[0]
    print("\nratio to %s" % names[0])
    print("%-11s" % "" + "".join("%20s" % n for n in names[1:]))
    for r in rows:
        print("%-11s" % r + "".join("%20.2f" % (med(c, r) / med(base, r))
                                   for c in cols[1:]))
    pairs = [(("vtd-dmar" + s, m), ("intel-iommu" + s, m))
             for s in ("", "-cm") for m in modes]
    pairs = [p for p in pairs if p[0] in samples and p[1] in samples]
    if pairs:
        print("\nratio vtd-dmar / intel-iommu")
        print("%-11s" % "" + "".join("%20s" % ("%s/%s" % p[0]) for p in pairs))
        for r in rows:
            print("%-11s" % r + "".join("%20.2f" % (med(a, r) / med(b, r))
                                       for a, b in pairs))
    # The scale rows' ratio to the base, against the single-device rows'
    singles = [r for r in ("blk-1M", "nvme-1M") if r in rows]
    for r in [r for r in rows if r in SCALE_ROWS] if singles else []:
        print("\n%s: its ratio to %s, divided by the mean of the "
              "single-device rows' (%s)" % (r, names[0], ", ".join(singles)))
        print("%-11s" % "" + "".join("%20s" % n for n in names[1:]))
        print("%-11s" % r + "".join("%20.2f" % (
            (med(c, r) / med(base, r)) /
            (sum(med(c, s) / med(base, s) for s in singles) / len(singles)))
            for c in cols[1:]))
    # every configuration measured every row at least once
    return all(samples[c][r] for c in cols for r in rows)


def soak(count, iommus, modes, scenarios, smps, jobs, extra, kernel="6.12"):
    """COUNT boots, round-robin over every (iommu, mode, scenario, smp)
    combination, never retried: every failure counts. A QEMU that dies on
    a signal or exits non-zero is an abort; at a timeout QEMU is asked for
    its status over QMP, and one that does not answer is a QEMU hang (an
    answering one had a hung guest, counted with the other failures).
    Only the consoles of failed runs are kept."""
    combos = [(i, m, sc, n) for i in iommus for m in modes
              for sc in scenarios for n in smps
              if not (m == "pt" and CONFIGS[i]["device"] is None)]
    runs = []
    for k in range(count):
        iommu, mode, scen, smp = combos[k % len(combos)]
        runs.append(Run(scen, iommu, mode, smp=smp, extra=extra,
                        kernel=kernel, name="soak-%03d.%s.%s.%s.%s.smp%d" %
                        (k, kernel, iommu, mode, scen, smp)))
    tally = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    aborts, hangs, failed = [], [], []
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        for run in ex.map(Run.execute, runs):
            st = run.status()
            tally[st] += 1
            run.report()
            for check, s, detail in run.results:
                if check == "boot" and s == "FAIL":
                    (hangs if "QEMU hung" in detail else
                     aborts if "exited" in detail else
                     failed).append(run.name)
                    break
            else:
                if st == "FAIL":
                    failed.append(run.name)
            if st != "FAIL":
                os.remove(run.log)
                if os.path.exists(run.qmp_log):
                    os.remove(run.qmp_log)
    print("soak: %d boots (Linux %s) in %.0f s over %d combinations: %d "
          "passed, %d failed, %d skipped; QEMU aborts %d, QEMU hangs %d, "
          "other failures (guest-side) %d"
          % (count, kernel, time.monotonic() - t0, len(combos), tally["PASS"],
             tally["FAIL"], tally["SKIP"], len(aborts), len(hangs),
             len(failed)))
    for what, names in (("abort", aborts), ("hang", hangs),
                        ("failure", failed)):
        for n in names:
            print("soak: %s: %s" % (what, os.path.join(LOGS, n + ".log")))
    return tally["FAIL"] == 0


def check_ready(kernel):
    guest = KERNELS[kernel]
    for f in (QEMU, os.path.join(guest, "vmlinuz"),
              os.path.join(guest, "initrd.img")):
        if not os.path.exists(f):
            sys.exit("missing %s: run scripts/build first" % f)
    print("intel-iommu runs on %s" % (
        "QEMU 11.1's (%s)" % REF_QEMU if REF_QEMU else
        "this build's QEMU 10.0 (no reference binary: scripts/fetch-qemu-ref)"),
        flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    kern = argparse.ArgumentParser(add_help=False)
    kern.add_argument("--kernel", default="6.12", choices=sorted(KERNELS),
                      help="guest kernel (default 6.12)")
    r = sub.add_parser("run", help="boot one scenario", parents=[kern])
    r.add_argument("scenario", choices=SCENARIOS + ["bench", "shell"])
    r.add_argument("--iommu", default="intel-iommu", choices=sorted(CONFIGS))
    r.add_argument("--mode", default="lazy", choices=["strict", "lazy", "pt"])
    r.add_argument("--smp", type=int, default=1)
    r.add_argument("--cpu")
    r.add_argument("--timeout", type=int, default=180)
    r.add_argument("--show-dmesg", action="store_true",
                   help="print the guest's DMAR/IOMMU kernel lines")
    s = sub.add_parser("suite", help="every scenario in every mode",
                       parents=[kern])
    s.add_argument("--iommu", default="none,intel-iommu",
                   help="comma-separated configs (%s)" % ", ".join(sorted(CONFIGS)))
    s.add_argument("-j", type=int, default=2, help="guests booted at once")
    s.add_argument("--filter", default="", help="regexp on the run name")
    s.add_argument("--scenarios", default=",".join(SCENARIOS),
                   help="comma-separated scenarios (default: all)")
    b = sub.add_parser("bench", help="throughput table (scripts/bench)",
                       parents=[kern])
    b.add_argument("--iommu", default="none,intel-iommu,intel-iommu-cm")
    b.add_argument("--modes", default="lazy,strict")
    b.add_argument("--rounds", type=int, default=5)
    b.add_argument("--disk-mib", type=int, default=64)
    b.add_argument("--net-mib", type=int, default=32)
    b.add_argument("--drains", action="store_true",
                   help="print vtd-dmar's drain counts of each run")
    b.add_argument("--rows", default=",".join(BENCH_ROWS),
                   help="comma-separated rows (%s; not by default: %s)" % (
                       ", ".join(BENCH_ROWS), ", ".join(SCALE_ROWS)))
    k = sub.add_parser("soak", help="many boots, no retries (scripts/soak)",
                       parents=[kern])
    k.add_argument("--count", type=int, default=200)
    k.add_argument("--iommu", default="vtd-dmar,vtd-dmar-cm,vtd-dmar-ir,"
                   "vtd-dmar-eim")
    k.add_argument("--modes", default="pt,lazy,strict")
    k.add_argument("--scenarios", default="blk,nvme,net")
    k.add_argument("--smp", default="2,4")
    k.add_argument("-j", type=int, default=2, help="guests booted at once")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:len(argv) - len(extra) - (1 if extra else 0)])
    if args.cmd == "run":
        args.qemu_args = extra
    check_ready(args.kernel)

    if args.cmd == "soak":
        sys.exit(0 if soak(args.count, args.iommu.split(","),
                           args.modes.split(","), args.scenarios.split(","),
                           [int(n) for n in args.smp.split(",")], args.j,
                           extra, args.kernel) else 1)

    if args.cmd == "bench":
        rows = args.rows.split(",")
        if not set(rows) <= set(BENCH_ROWS + SCALE_ROWS):
            ap.error("--rows: choose from %s" %
                     ", ".join(BENCH_ROWS + SCALE_ROWS))
        sys.exit(0 if bench(args.iommu.split(","), args.modes.split(","),
                            args.rounds, args.disk_mib, args.net_mib, rows,
                            args.kernel, args.drains) else 1)

    if args.cmd == "run":
        run = Run(args.scenario, args.iommu, args.mode, args.smp, args.cpu,
                  args.timeout, args.qemu_args, kernel=args.kernel)
        if args.scenario == "shell":
            sys.exit(subprocess.call(run.qemu_args(tempfile.mkdtemp(), {})[0] +
                     ["-append", run.cmdline({})]))
        run.execute().report(verbose=True)
        if args.show_dmesg:
            with open(run.log, errors="replace") as f:
                for line in f:
                    if line.startswith("VTD: DMESG "):
                        print("  " + re.sub(r"^<\d+>", "",
                                            line[len("VTD: DMESG "):].rstrip()))
        sys.exit(run.status() == "FAIL")

    scenarios = args.scenarios.split(",")
    if not set(scenarios) <= set(SCENARIOS):
        ap.error("--scenarios: choose from %s" % ", ".join(SCENARIOS))
    runs = [r for r in matrix(args.iommu.split(","), args.kernel, scenarios)
            if re.search(args.filter, r.name)]
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    retried = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.j) as ex:
        for run in ex.map(Run.execute, runs):
            run.report()
            counts[run.status()] += 1
            if any(c == "boot-retry" for c, _, _ in run.results):
                retried.append(run.name)
    if retried:
        print("booted twice after a hang before init: %s" % ", ".join(retried))
    print("guest: %d passed, %d failed, %d skipped" %
          (counts["PASS"], counts["FAIL"], counts["SKIP"]))
    sys.exit(1 if counts["FAIL"] else 0)


if __name__ == "__main__":
    main()
