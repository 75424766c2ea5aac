#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed corpus of the vtd-dmar generic-fuzz configs.

Each seed is an input for QEMU's generic-fuzz target (a stream of
operations separated by "FUZZ", see tests/qtest/fuzz/generic_fuzz.c) that
brings the unit into a state worth fuzzing from: a root table and
translation on, DMA from edu translated through a 1 GiB page, queued
invalidation running, interrupt remapping on with an edu MSI remapped;
in scalable mode (vtd-dmar-sm), DMA through first-stage, second-stage,
nested and pass-through PASID entries and 256-bit descriptors with
PASID-cache and PASID-based IOTLB invalidations.

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


# ---- scalable mode (vtd-dmar-sm) ----
#
# RTADDR.TTM=01b: root entries hold the lower context-table pointer (devfn
# 0-127, edu's), context entries are 256 bits and lead through the PASID
# directory to 512-bit PASID-table entries; edu's requests carry no PASID,
# so they use the context's RID_PASID (0 here: directory entry 0, table
# entry 0). One pattern per table read: root (2 qwords), context (4),
# directory entry (1), PASID entry (8), then the entries of the walk.
#
# The predefined configs avoid double fetches (QEMU_AVOID_DOUBLE_FETCH):
# within one command, a range already filled is not filled again and
# takes no pattern. So each table level is a page of its own (IOVA 0x1000
# uses index 0 at every level above the last), and an entry read again
# (the second stage under nested translation) keeps its first fill.
TTM_SCALABLE = 1 << 10
PASID_DIR, PASID_TABLE, FSPT, SLPT2 = 0x700000, 0x710000, 0x720000, 0x730000
PGTT_FS, PGTT_SS, PGTT_NESTED, PGTT_PT = 1, 2, 3, 4
SM_DID = 1
# First-stage entries: P, R/W, U/S (edu's requests are user requests),
# A (then a read needs no A/D update); PS makes a PDPE or PDE a leaf.
FS_P, FS_RW, FS_US, FS_A, FS_PS = 1, 2, 4, 1 << 5, 1 << 7
FS_PERM = FS_P | FS_RW | FS_US | FS_A


def fs_table(level):
    """A first-stage entry pointing to the table of LEVEL - 1 (PML4 at
    FSPT, PDPT at FSPT + 4 KiB, PD at FSPT + 8 KiB)."""
    return FSPT + (5 - level) * 0x1000 | FS_PERM


def ss_table(level):
    """A second-stage entry pointing to the table of LEVEL - 1 (the
    4-level tables of sm-ss-dma, one page each from SLPT2)."""
    return SLPT2 + (5 - level) * 0x1000 | 3


# The walks of IOVA 0x1000, with the tables the PASID entries name:
# first stage: PML4E, then a 1 GiB PDPE leaf (IOVA 0 -> 0);
WALK_FS = ((fs_table(4),), (FS_PERM | FS_PS,))
# second stage (AW=2, 4-level): two tables, then a 2 MiB leaf at L2
# (IOVA 0 -> 0x400000);
WALK_SS4 = ((ss_table(4),), (ss_table(3),), (0x400000 | 0x83,))
# nested, second stage 3-level (AW=1) with a 1 GiB identity leaf at its
# top, which translates the PML4's, the PDPT's, the PD's address and the
# result (filled once); first stage down to a 2 MiB PDE leaf (IOVA 0 ->
# GPA 0x600000).
WALK_NESTED = ((LEAF_1G,), (fs_table(4),), (fs_table(3),),
               (0x600000 | FS_PERM | FS_PS,))


def sm_root_entry():
    return (CTX | 1, 0)


def sm_ctx_entry(pdts=0, rid_pasid=0, paside=True):
    return (PASID_DIR | pdts << 9 | (1 << 3 if paside else 0) | 1,
            rid_pasid, 0, 0)


def pasid_dir_entry():
    return (PASID_TABLE | 1,)


def pasid_entry(pgtt, aw=2, ssptptr=SLPT, fsptptr=FSPT, present=True):
    ss = pgtt in (PGTT_SS, PGTT_NESTED)
    fs = pgtt in (PGTT_FS, PGTT_NESTED)
    qw0 = (ssptptr if ss else 0) | pgtt << 6 | aw << 2 | \
        (1 if present else 0)
    return (qw0, SM_DID, fsptptr if fs else 0, 0, 0, 0, 0, 0)


def sm_enable_translation(keep=0):
    """Scalable-mode root table at ROOT (TTM=01b latched by SRTP), TE.
    The address-space switch reads no table in scalable mode."""
    return [dmar(RTADDR, ROOT | TTM_SCALABLE, 8), dmar(GCMD, SRTP | keep),
            dmar(GCMD, TE | keep)]


def sm_translated_dma(pasid_e, *walk, ctx_cached=False):
    """A miss: root, context (unless CTX_CACHED), PASID directory and
    table entries, then the entries of the walk (WALK: one tuple of
    qwords per read)."""
    ctx = [] if ctx_cached else [pattern(*sm_root_entry()),
                                 pattern(*sm_ctx_entry())]
    return [clear(), *ctx, pattern(*pasid_dir_entry()), pattern(*pasid_e),
            *[pattern(*w) for w in walk]]


def qi256_descriptors(*descs, keep=0):
    """Enable QI with 256-bit descriptors (IQA.DW=1, one 4 KiB page: 128
    of them), then post DESCS (one pattern of 4 qwords each)."""
    ops = [dmar(IEADDR, 0xfee00000), dmar(IEDATA, 0x42), dmar(IECTL, 0),
           dmar(IQA, IQ | 1 << 11, 8), dmar(GCMD, QIE | keep), clear()]
    ops += [pattern(*(tuple(d) + (0,) * (4 - len(d)))) for d in descs]
    ops.append(dmar(IQT, len(descs) * 32, 8))
    return ops


def pc_desc(gran, did=SM_DID, pasid=0):
    """PASID-cache invalidation: 0 domain, 1 PASID, 3 global."""
    return (0x7 | gran << 4 | did << 16 | pasid << 32, 0)


def piotlb_desc(gran, did=SM_DID, pasid=0, addr=0, am=0, ih=0):
    """PASID-based IOTLB invalidation: 2 all in PASID, 3 page(s)."""
    return (0x6 | gran << 4 | did << 16 | pasid << 32,
            addr | ih << 6 | am)


def pdevtlb_desc(sid=0x0008, pasid=0, addr=0, size=False, glob=False):
    """PASID-based device-TLB invalidation (SID: edu at 00:01.0)."""
    return (0x8 | sid << 16 | pasid << 32,
            addr | (1 << 11 if size else 0) | (1 if glob else 0))


def seeds_vtd_dmar_sm():
    te = sm_enable_translation()
    fs_dma = sm_translated_dma(pasid_entry(PGTT_FS), *WALK_FS)
    nested_dma = sm_translated_dma(pasid_entry(PGTT_NESTED, aw=1),
                                   *WALK_NESTED)
    invalidate = [pc_desc(1), piotlb_desc(2), wait_desc()]
    return {
        "sm-fs-dma": seed(*te, *fs_dma, *edu_dma(0x1000)),
        # A clear everywhere and a write: A/D set by compare-and-swap
        "sm-fs-write": seed(*te, *sm_translated_dma(
            pasid_entry(PGTT_FS), (fs_table(4) & ~FS_A,),
            ((FS_PERM | FS_PS) & ~FS_A,)), *edu_dma(0x2000, to_ram=True)),
        "sm-ss-dma": seed(*te, *sm_translated_dma(
            pasid_entry(PGTT_SS, aw=2, ssptptr=SLPT2), *WALK_SS4),
            *edu_dma(0x1000)),
        "sm-nested-dma": seed(*te, *nested_dma, *edu_dma(0x1000)),
        "sm-pt-dma": seed(*te, *sm_translated_dma(pasid_entry(PGTT_PT)),
                          *edu_dma(0x1000)),
        # PASID-table entry not present (0x59), fault events unmasked
        "sm-fault": seed(*fault_event(), *te, *sm_translated_dma(
            pasid_entry(PGTT_FS, present=False)), *edu_dma(0x1000)),
        # Every descriptor type scalable mode has, in 256-bit form
        "sm-qi-dw": seed(*te, *qi256_descriptors(
            CC_GLOBAL, IOTLB_GLOBAL, pc_desc(3), pc_desc(0), pc_desc(1),
            piotlb_desc(2), piotlb_desc(3, addr=0x1000, am=1, ih=1),
            pdevtlb_desc(addr=0x1000), IEC_GLOBAL, wait_desc(), keep=TE)),
        # First stage, PASID cache and PASID-IOTLB invalidated, then the
        # same PASID (RID_PASID) through a second-stage entry (the
        # context stays cached: no root and context reads)
        "sm-qi-inv-dma": seed(*te, *fs_dma, *edu_dma(0x1000),
                              *qi256_descriptors(*invalidate, keep=TE),
                              *sm_translated_dma(
                                  pasid_entry(PGTT_SS, aw=2, ssptptr=SLPT2),
                                  *WALK_SS4, ctx_cached=True),
                              *edu_dma(0x1000)),
        # Interrupt remapping next to scalable-mode translation, the
        # interrupt entry cache invalidated by a 256-bit descriptor
        "sm-ir-msi": seed(*enable_ir(), *sm_enable_translation(keep=IRE),
                          *qi256_descriptors(IEC_GLOBAL, wait_desc(),
                                             keep=IRE | TE),
                          *edu_msi(handle=0x81)),
    }


CONFIGS = {
    "vtd-dmar": (seeds_vtd_dmar, 10),
    "vtd-dmar-pt": (seeds_vtd_dmar_pt, 1),
    "vtd-dmar-eim": (seeds_vtd_dmar_eim, 1),
    "vtd-dmar-sm": (seeds_vtd_dmar_sm, 1),
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
