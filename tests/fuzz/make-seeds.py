#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed corpus of the vtd-dmar generic-fuzz configs.

Each seed is an input for QEMU's generic-fuzz target (a stream of
operations separated by "FUZZ", see tests/qtest/fuzz/generic_fuzz.c) that
brings the unit into a state worth fuzzing from: a root table and
translation on, DMA from edu translated through a 1 GiB page, queued
invalidation running, interrupt remapping on with an edu MSI remapped.

The unit's own table and queue reads are DMA reads, which the fuzzer fills
from the DMA patterns of the input (cycled one pattern per read), so the
seeds set patterns just before the command whose reads they feed.

    tests/fuzz/make-seeds.py [OUTDIR]     (default: tests/fuzz/corpus)

The operands that name an MMIO region or a PCI device are indices into
what the generic fuzzer found for the config (MMIO regions in address
order, wrapping around); scripts/fuzz --check-seeds replays every seed
with tracing and shows that it reaches its state.
"""
import os
import struct
import sys

SEP = b"FUZZ"

# generic_fuzz.c's opcodes (enum cmds)
OP_READ, OP_WRITE, OP_PCI_WRITE = 2, 3, 5
OP_ADD_DMA_PATTERN, OP_CLEAR_DMA_PATTERNS, OP_CLOCK_STEP = 7, 8, 9
SIZE = {1: 0, 2: 1, 4: 2, 8: 3}

# MMIO regions of a config, in the order generic-fuzz numbers them: the
# PCI BAR ranges that libqos maps from 0xe0000000 up (edu's first), then
# the unit at 0xfed90000: with edu, virtio-blk and e1000e (vtd-dmar) it is
# range 10, with edu alone range 1 (main() sets MR_DMAR per config).
MR_EDU = 0
MR_DMAR = None
# Fuzzable PCI devices, in the order of the config's object list: edu first.
PCI_EDU = 0
EDU_MSI_CAP = 0x40

# vtd-dmar registers (VT-d chapter 11)
FECTL, FEDATA, FEADDR = 0x38, 0x3c, 0x40
GCMD, RTADDR = 0x18, 0x20
IQT, IQA, IECTL, IEDATA, IEADDR = 0x88, 0x90, 0xa0, 0xa4, 0xa8
IRTA = 0xb8
TE, SRTP, QIE, IRE, SIRTP = 1 << 31, 1 << 30, 1 << 26, 1 << 25, 1 << 24

# Guest-physical layout the seeds use
ROOT, CTX, SLPT, IQ, IRT, STATUS = (0x100000, 0x200000, 0x300000, 0x400000,
                                    0x600000, 0x5000)
EDU_BUF = 0x40000           # edu's own DMA buffer address


def write(mr, off, val, size=4):
    return bytes([OP_WRITE]) + struct.pack("<BBxxIQ", SIZE[size], mr, off,
                                           val)


def read(mr, off, size=4):
    return bytes([OP_READ]) + struct.pack("<BBxxI", SIZE[size], mr, off)


def pci_write(dev, off, val, size=4):
    return bytes([OP_PCI_WRITE]) + struct.pack("<BBBxI", SIZE[size], dev,
                                               off, val)


def pattern(*words):
    """A DMA pattern: little-endian 64-bit words, no per-repeat stride."""
    return bytes([OP_ADD_DMA_PATTERN, 0, 0]) + struct.pack(
        "<%dQ" % len(words), *words)


def clear():
    return bytes([OP_CLEAR_DMA_PATTERNS])


def step():
    return bytes([OP_CLOCK_STEP])


def seed(*ops):
    assert not any(SEP in op for op in ops), "an operand holds the separator"
    data = SEP.join(ops)
    assert data.count(SEP) == len(ops) - 1, "an operand makes a separator"
    return data


def dmar(off, val, size=4):
    return write(MR_DMAR, off, val, size)


def root_entry(ctp=CTX):
    return (ctp | 1, 0)


def ctx_entry(tt=0, aw=1, did=1, slptptr=SLPT):
    return (slptptr | tt << 2 | 1, did << 8 | aw)


# GCMD takes the persistent enables (TE, QIE, IRE, CFI) from the value
# written (VT-d §11.4.4.1): KEEP is what an earlier step turned on.

def enable_translation(ctx, keep=0):
    """Root table at ROOT, SRTP, TE; the context reads of the address
    space switch get ROOT/CTX patterns."""
    return [clear(), pattern(*root_entry()), pattern(*ctx),
            dmar(RTADDR, ROOT, 8), dmar(GCMD, SRTP | keep),
            dmar(GCMD, TE | keep)]


def edu_dma(iova, to_ram=False):
    """edu copies 8 bytes between IOVA and its buffer (on the next step)."""
    return [write(MR_EDU, 0x80, EDU_BUF if to_ram else iova, 8),
            write(MR_EDU, 0x88, iova if to_ram else EDU_BUF, 8),
            write(MR_EDU, 0x90, 8, 8),
            write(MR_EDU, 0x98, 1 | (2 if to_ram else 0) | 4, 8),
            *[step()] * 16]


def translated_dma(ctx, leaf):
    """A miss: root, context and one paging entry, in that order."""
    return [clear(), pattern(*root_entry()), pattern(*ctx), pattern(leaf)]


def qi_descriptors(*descs, keep=0):
    """Enable QI with a one-page queue, then post DESCS (one pattern each,
    the queue reads them one by one)."""
    ops = [dmar(IEADDR, 0xfee00000), dmar(IEDATA, 0x42), dmar(IECTL, 0),
           dmar(IQA, IQ, 8), dmar(GCMD, QIE | keep), clear()]
    ops += [pattern(lo, hi) for lo, hi in descs]
    ops.append(dmar(IQT, len(descs) * 16, 8))
    return ops


def wait_desc(data=0x1234):
    # Invalidation wait: status write (SW) and completion interrupt (IF)
    return (5 | 1 << 4 | 1 << 5 | data << 32, STATUS)


CC_GLOBAL = (0x1 | 1 << 4, 0)
IOTLB_GLOBAL = (0x2 | 1 << 4 | 1 << 6 | 1 << 7, 0)
IEC_GLOBAL = (0x4, 0)


def irte(vector=0x30, dest=0, eim=False):
    lo = 1 | vector << 16 | (dest << 32 if eim else (dest & 0xff) << 40)
    return (lo, 0)


def enable_ir(eim=False, size_log2=8, keep=0):
    return [dmar(IRTA, IRT | (1 << 11 if eim else 0) | (size_log2 - 1), 8),
            dmar(GCMD, SIRTP | keep), dmar(GCMD, IRE | keep)]


def edu_msi(handle=0, entry=irte()):
    """edu's MSI in remappable format (handle), then edu raises it: the
    IRTE read gets ENTRY."""
    addr = 0xfee00000 | (handle & 0x7fff) << 5 | 1 << 4 | \
        (handle >> 15) << 2
    return [pci_write(PCI_EDU, EDU_MSI_CAP + 4, addr),
            pci_write(PCI_EDU, EDU_MSI_CAP + 8, 0),
            pci_write(PCI_EDU, EDU_MSI_CAP + 12, 0, 2),
            pci_write(PCI_EDU, EDU_MSI_CAP + 2, 1, 2),
            clear(), pattern(*entry),
            write(MR_EDU, 0x60, 1)]


def fault_event():
    """Unmask fault events to an APIC address."""
    return [dmar(FEADDR, 0xfee00000), dmar(FEDATA, 0x41), dmar(FECTL, 0)]


# A 3-level context (39-bit, AW=1) and a 1 GiB leaf mapping IOVA 0 -> 0.
CTX3 = ctx_entry(aw=1)
LEAF_1G = 0x83
# 5-level context (57-bit, AW=3) with tables all at SLPT, 1 GiB leaf at L3.
CTX5 = ctx_entry(aw=3)
TABLE = SLPT | 3


def seeds_vtd_dmar():
    te = enable_translation(CTX3)
    return {
        "te-dma": seed(*te, *translated_dma(CTX3, LEAF_1G),
                       *edu_dma(0x1000)),
        "te-dma-write": seed(*te, *translated_dma(CTX3, LEAF_1G),
                             *edu_dma(0x2000, to_ram=True)),
        "te-fault": seed(*fault_event(), *te,
                         clear(), pattern(*root_entry()),
                         pattern(CTX3[0] & ~1, CTX3[1]), *edu_dma(0x1000)),
        "qi-wait": seed(*qi_descriptors(wait_desc())),
        "qi-all": seed(*te, *qi_descriptors(CC_GLOBAL, IOTLB_GLOBAL,
                                            IEC_GLOBAL, wait_desc(),
                                            keep=TE)),
        "ir-msi": seed(*enable_ir(), *edu_msi()),
        "ir-qi-te": seed(*enable_ir(), *enable_translation(CTX3, keep=IRE),
                         *qi_descriptors(IEC_GLOBAL, wait_desc(),
                                         keep=IRE | TE),
                         *edu_msi(handle=0x81)),
    }


def seeds_vtd_dmar_pt():
    ctx_pt = ctx_entry(tt=2, aw=1)
    te = enable_translation(ctx_pt)
    return {
        "pt-dma": seed(*te, clear(), pattern(*root_entry()),
                       pattern(*ctx_pt), *edu_dma(0x1000)),
        "te-dma": seed(*enable_translation(CTX3),
                       *translated_dma(CTX3, LEAF_1G), *edu_dma(0x1000)),
        "qi-wait": seed(*te, *qi_descriptors(CC_GLOBAL, IOTLB_GLOBAL,
                                             wait_desc(), keep=TE)),
    }


def seeds_vtd_dmar_eim():
    te = enable_translation(CTX5)
    return {
        "te5-dma": seed(*te, clear(), pattern(*root_entry()),
                        pattern(*CTX5), pattern(TABLE), pattern(TABLE),
                        pattern(LEAF_1G), *edu_dma(0x1000)),
        "ir-eim-msi": seed(*enable_ir(eim=True),
                           *edu_msi(entry=irte(dest=0, eim=True))),
        "ir-eim-qi": seed(*enable_ir(eim=True, size_log2=16),
                          *qi_descriptors(IEC_GLOBAL, wait_desc(),
                                          keep=IRE),
                          *edu_msi(handle=0x8001,
                                   entry=irte(dest=0, eim=True))),
    }


CONFIGS = {
    "vtd-dmar": (seeds_vtd_dmar, 10),
    "vtd-dmar-pt": (seeds_vtd_dmar_pt, 1),
    "vtd-dmar-eim": (seeds_vtd_dmar_eim, 1),
}


def main():
    global MR_DMAR
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    for config, (make, mr_dmar) in CONFIGS.items():
        MR_DMAR = mr_dmar
        d = os.path.join(out, config)
        os.makedirs(d, exist_ok=True)
        for name, data in make().items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            print("%s/%s: %d bytes" % (config, name, len(data)))


if __name__ == "__main__":
    main()
