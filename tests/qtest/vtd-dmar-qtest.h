/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared plumbing of the vtd-dmar qtests: register offsets and fields,
 * guest-RAM table builders, edu DMA and MSI, queued invalidation and
 * interrupt-remapping helpers. Each tests/qtest/vtd-dmar*-test.c covers
 * one subject with these (vtd-dmar-test.c says how the tests work).
 */
#ifndef TESTS_QTEST_VTD_DMAR_QTEST_H
#define TESTS_QTEST_VTD_DMAR_QTEST_H

#include "libqtest.h"
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "hw/pci/pci_regs.h"
#include "qobject/qdict.h"
#include "qemu/bswap.h"
#include "standard-headers/linux/virtio_blk.h"
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_pci.h"
#include "standard-headers/linux/virtio_ring.h"
#include "libqos/fw_cfg.h"
#include "standard-headers/linux/qemu_fw_cfg.h"

/* ---- the unit's registers (VT-d chapter 11) ---- */

#define DMAR_BASE       0xfed90000ull

#define REG_VER         0x00
#define REG_CAP         0x08
#define REG_ECAP        0x10
#define REG_GCMD        0x18
#define REG_GSTS        0x1c
#define REG_RTADDR      0x20
#define REG_CCMD        0x28
#define REG_FSTS        0x34
#define REG_FECTL       0x38
#define REG_FEDATA      0x3c
#define REG_FEADDR      0x40
#define REG_FEUADDR     0x44
#define REG_AFLOG       0x58
#define REG_PMEN        0x64
#define REG_PLMBASE     0x68
#define REG_PLMLIMIT    0x6c
#define REG_PHMBASE     0x70
#define REG_PHMLIMIT    0x78
#define REG_IQH         0x80
#define REG_IQT         0x88
#define REG_IQA         0x90
#define REG_ICS         0x9c
#define REG_IECTL       0xa0
#define REG_IEDATA      0xa4
#define REG_IEADDR      0xa8
#define REG_IEUADDR     0xac
#define REG_IQERCD      0xb0
#define REG_IRTA        0xb8
#define REG_IVA         0x100
#define REG_IOTLB       0x108
#define REG_FRCD(i)     (0x200 + 16 * (i))

/* Words 0x000..0x27f: every register with the default 8 fault records */
#define SNAP_WORDS      (0x280 / 4)

#define GCMD_TE         (1u << 31)
#define GCMD_SRTP       (1u << 30)
#define GCMD_QIE        (1u << 26)
#define GCMD_IRE        (1u << 25)
#define GCMD_SIRTP      (1u << 24)
#define GCMD_CFI        (1u << 23)
/* Commands this unit does not offer: WBF, EAFL, SFL */
#define GCMD_UNOFFERED  0x38000000u
#define GSTS_TES        (1u << 31)
#define GSTS_RTPS       (1u << 30)
#define GSTS_QIES       (1u << 26)
#define GSTS_IRES       (1u << 25)
#define GSTS_IRTPS      (1u << 24)
#define GSTS_CFIS       (1u << 23)

#define ECAP_QI         (1ull << 1)
#define ECAP_IR         (1ull << 3)
#define ECAP_EIM        (1ull << 4)
#define ECAP_MHMV(m)    ((uint64_t)(m) << 20)

#define IRTA_EIME       (1ull << 11)

#define CCMD_ICC        (1ull << 63)
#define CCMD_CIRG(g)    ((uint64_t)(g) << 61)
#define CCMD_CAIG(v)    (((v) >> 59) & 3)
#define CCMD_FM(m)      ((uint64_t)(m) << 32)
#define CCMD_SID(s)     ((uint64_t)(s) << 16)
#define CCMD_DID(d)     ((uint64_t)(d))

#define FSTS_PFO        0x1u
#define FSTS_PPF        0x2u
#define FSTS_IQE        0x10u
#define FSTS_FRI(i)     ((uint32_t)(i) << 8)

#define FECTL_IM        (1u << 31)
#define FECTL_IP        (1u << 30)

#define ICS_IWC         0x1u
#define IECTL_IM        (1u << 31)
#define IECTL_IP        (1u << 30)

#define IVA_AM(am)      ((uint64_t)(am))
#define IOTLB_IVT       (1ull << 63)
#define IOTLB_IIRG(g)   ((uint64_t)(g) << 60)
#define IOTLB_IAIG(v)   (((v) >> 57) & 3)
#define IOTLB_DR        (1ull << 49)
#define IOTLB_DW        (1ull << 48)
#define IOTLB_DID(d)    ((uint64_t)(d) << 32)

#define FRCD_F          (1ull << 63)
#define FRCD_T1         (1ull << 62)
#define FRCD_FR(r)      ((uint64_t)(r) << 32)

/* Invalidation granularities (CIRG/CAIG and IIRG/IAIG encodings) */
#define GRAN_GLOBAL     1
#define GRAN_DOMAIN     2
#define GRAN_DEVICE     3
#define GRAN_PAGE       3

/* Fault reasons (VT-d §7.1.3) */
#define FR_ROOT_NP      0x1
#define FR_CTX_NP       0x2
#define FR_CTX_INV      0x3
#define FR_BEYOND_AW    0x4
#define FR_WRITE        0x5
#define FR_READ         0x6
#define FR_PTE_ACCESS   0x7
#define FR_ROOT_ACCESS  0x8
#define FR_CTX_ACCESS   0x9
#define FR_ROOT_RSVD    0xa
#define FR_CTX_RSVD     0xb
#define FR_PTE_RSVD     0xc

/* ---- in-memory formats (VT-d chapter 9, legacy mode) ---- */

#define ROOT_P          1ull
#define CTX_P           1ull
#define CTX_FPD         2ull
#define CTX_TT(t)       ((uint64_t)(t) << 2)
#define TT_XLATE        0
#define TT_DEVTLB       1
#define TT_PASSTHROUGH  2
#define TT_RESERVED     3
#define CTX_AW(levels)  ((uint64_t)(levels) - 2)
#define CTX_DID(d)      ((uint64_t)(d) << 8)
#define PTE_R           1ull
#define PTE_W           2ull
#define PTE_RW          3ull
#define PTE_PS          (1ull << 7)
#define PTE_SNP         (1ull << 11)
#define PTE_ADDR        0x000ffffffffff000ull

/* ---- guest memory layout (default -m 128M) ---- */

#define ROOT_TABLE      0x00100000ull
#define CTX_TABLE       0x00101000ull
#define PT_POOL         0x00200000ull   /* page-table pages come from here */
#define PAGE_P1         0x00500000ull
#define PAGE_P2         0x00501000ull
#define PAGE_P3         0x00502000ull
#define PAGE_OUT        0x00503000ull
#define BIG_2M_A        0x00600000ull   /* 2 MiB aligned */
#define BIG_2M_B        0x00800000ull   /* 2 MiB aligned */
#define IDENT_IN        0x00700000ull   /* RAM used untranslated */
#define IDENT_OUT       0x00710000ull
#define SCRATCH         0x00730000ull
#define FE_MSG          0x00f00000ull   /* fault event messages land here */
#define NO_RAM          0x800000000ull  /* 32 GiB: nothing is mapped there */

/* IOVAs; any value works since edu's DMA mask is widened to 64 bits */
#define IOVA_A          0x12345000ull
#define IOVA_B          0x2468a000ull
#define IOVA_C          0x0abcd000ull

#define EDU_DEVFN       0x20            /* 00:04.0 */
#define EDU_SID         0x0020
#define DOMAIN          0x42

/* ---- edu (docs/specs/edu.rst) ---- */

#define EDU_DMA_SRC     0x80
#define EDU_DMA_DST     0x88
#define EDU_DMA_CNT     0x90
#define EDU_DMA_CMD     0x98
#define EDU_CMD_START   0x1
#define EDU_CMD_TO_RAM  0x2
#define EDU_BUF         0x40000
#define EDU_BUF_SIZE    4096
#define XFER            64              /* bytes moved by one test DMA */

typedef struct Dmar {
    QTestState *qts;
    QPCIBus *bus;
    QPCIDevice *edu;
    QPCIBar bar;
    uint64_t pool;      /* next free page-table page */
    uint64_t slpt;      /* top-level second-level table */
    unsigned levels;    /* depth of the tables at slpt */
    uint64_t iq_base;   /* the invalidation queue, as software set it up */
    unsigned iq_entries;
    unsigned iq_tail;   /* where software writes the next descriptor */
    uint32_t iq_seq;    /* makes every qi_sync() status value new */
} Dmar;

/* ---- plumbing ---- */

static inline void edu_attach(Dmar *d)
{
    d->bus = qpci_new_pc(d->qts, NULL);
    d->edu = qpci_device_find(d->bus, QPCI_DEVFN(4, 0));
    g_assert_nonnull(d->edu);
    g_assert_cmphex(qpci_config_readl(d->edu, 0), ==, 0x11e81234);
    qpci_device_enable(d->edu);
    d->bar = qpci_iomap(d->edu, 0, NULL);
}

static inline void edu_detach(Dmar *d)
{
    g_free(d->edu);
    qpci_free_pc(d->bus);
    d->edu = NULL;
    d->bus = NULL;
}

static inline const char *edu_args(bool narrow)
{
    /* edu masks DMA addresses to 28 bits unless told otherwise */
    return narrow ? "-device edu,id=edu,addr=04.0"
                  : "-device edu,id=edu,addr=04.0,"
                    "dma_mask=0xffffffffffffffff";
}

static inline QTestState *dmar_qemu(const char *props, const char *extra,
                             bool narrow)
{
    return qtest_initf("-M q35 %s -device vtd-dmar%s%s %s", extra,
                       *props ? "," : "", props, edu_args(narrow));
}

/* A Dmar for the machine QTS runs (with edu at 00:04.0) */
static inline Dmar *dmar_attach(QTestState *qts)
{
    Dmar *d = g_new0(Dmar, 1);

    d->qts = qts;
    d->pool = PT_POOL;
    edu_attach(d);
    return d;
}

static inline Dmar *dmar_boot_full(const char *props, const char *extra,
                                   bool narrow)
{
    return dmar_attach(dmar_qemu(props, extra, narrow));
}

static inline Dmar *dmar_boot(const char *props)
{
    return dmar_boot_full(props, "", false);
}

static inline void dmar_free(Dmar *d)
{
    edu_detach(d);
    qtest_quit(d->qts);
    g_free(d);
}

static inline uint32_t rd32(Dmar *d, unsigned off)
{
    return qtest_readl(d->qts, DMAR_BASE + off);
}

static inline uint64_t rd64(Dmar *d, unsigned off)
{
    return qtest_readq(d->qts, DMAR_BASE + off);
}

static inline void wr32(Dmar *d, unsigned off, uint32_t v)
{
    qtest_writel(d->qts, DMAR_BASE + off, v);
}

static inline void wr64(Dmar *d, unsigned off, uint64_t v)
{
    qtest_writeq(d->qts, DMAR_BASE + off, v);
}

static inline void snapshot(Dmar *d, uint32_t *w)
{
    for (unsigned i = 0; i < SNAP_WORDS; i++) {
        w[i] = rd32(d, i * 4);
    }
}

static inline void assert_same_regs(const uint32_t *a, const uint32_t *b)
{
    for (unsigned i = 0; i < SNAP_WORDS; i++) {
        if (a[i] != b[i]) {
            g_test_message("register word 0x%03x: 0x%08x vs 0x%08x",
                           i * 4, a[i], b[i]);
        }
        g_assert_cmphex(a[i], ==, b[i]);
    }
}

/* CAP and ECAP as the VT-d spec encodes the documented configuration */
static inline uint64_t expected_cap(unsigned aw, unsigned nfr, bool cm,
                                    bool drain)
{
    uint64_t sagaw = aw == 39 ? 0x2 : aw == 48 ? 0x6 : 0xe;

    return 6 |                          /* ND: 16-bit domain-ids */
           (uint64_t)cm << 7 |
           sagaw << 8 |
           (uint64_t)(aw - 1) << 16 |   /* MGAW; ZLR (22) is 0 */
           (0x200ull / 16) << 24 |      /* FRO */
           3ull << 34 |                 /* SLLPS: 2 MiB and 1 GiB */
           1ull << 39 |                 /* PSI */
           (uint64_t)(nfr - 1) << 40 |
           18ull << 48 |                /* MAMV */
           (uint64_t)drain << 54 |      /* DWD */
           (uint64_t)drain << 55;       /* DRD */
}

static inline uint64_t expected_ecap(bool pt, bool ir, bool eim)
{
    return 1 |                          /* C */
           ECAP_QI |
           (ir ? ECAP_IR : 0) |
           (eim ? ECAP_EIM : 0) |
           (uint64_t)pt << 6 |
           (0x100ull / 16) << 8 |       /* IRO */
           (ir ? ECAP_MHMV(0xf) : 0);   /* any IEC index mask */
}

/* ---- data patterns ---- */

static inline void pattern(uint8_t *buf, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = seed + i * 13;
    }
}

static inline void fill(Dmar *d, uint64_t pa, uint8_t seed)
{
    uint8_t buf[XFER];

    pattern(buf, sizeof(buf), seed);
    qtest_memwrite(d->qts, pa, buf, sizeof(buf));
}

static inline bool holds(Dmar *d, uint64_t pa, uint8_t seed)
{
    uint8_t want[XFER], got[XFER];

    pattern(want, sizeof(want), seed);
    qtest_memread(d->qts, pa, got, sizeof(got));
    return !memcmp(want, got, sizeof(got));
}

static inline void zero(Dmar *d, uint64_t pa)
{
    qtest_memset(d->qts, pa, 0, XFER);
}

/* ---- edu DMA ---- */

static inline void edu_dma(Dmar *d, uint64_t src, uint64_t dst, uint64_t len,
                    bool to_ram)
{
    uint64_t cmd = EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0);

    qpci_io_writeq(d->edu, d->bar, EDU_DMA_SRC, src);
    qpci_io_writeq(d->edu, d->bar, EDU_DMA_DST, dst);
    qpci_io_writeq(d->edu, d->bar, EDU_DMA_CNT, len);
    qpci_io_writeq(d->edu, d->bar, EDU_DMA_CMD, cmd);
    /* edu starts the transfer 100 ms of virtual time later */
    qtest_clock_step(d->qts, 200 * 1000 * 1000);
    g_assert_cmphex(qpci_io_readq(d->edu, d->bar, EDU_DMA_CMD) &
                    EDU_CMD_START, ==, 0);
}

/* RAM at IOVA -> edu buffer */
static inline void dma_in(Dmar *d, uint64_t iova)
{
    edu_dma(d, iova, EDU_BUF, XFER, false);
}

/* edu buffer -> RAM at IOVA */
static inline void dma_out(Dmar *d, uint64_t iova)
{
    edu_dma(d, EDU_BUF, iova, XFER, true);
}

static inline void copy(Dmar *d, uint64_t from, uint64_t to)
{
    dma_in(d, from);
    dma_out(d, to);
}

/* ---- translation tables ---- */

static inline uint64_t table_new(Dmar *d)
{
    uint64_t t = d->pool;

    d->pool += 0x1000;
    g_assert_cmphex(d->pool, <=, PAGE_P1);
    qtest_memset(d->qts, t, 0, 0x1000);
    return t;
}

static inline void set_root(Dmar *d, uint64_t lo, uint64_t hi)
{
    qtest_writeq(d->qts, ROOT_TABLE, lo);        /* bus 0 */
    qtest_writeq(d->qts, ROOT_TABLE + 8, hi);
}

static inline void set_ctx(Dmar *d, uint64_t lo, uint64_t hi)
{
    qtest_writeq(d->qts, CTX_TABLE + EDU_DEVFN * 16, lo);
    qtest_writeq(d->qts, CTX_TABLE + EDU_DEVFN * 16 + 8, hi);
}

static inline uint64_t ctx_lo(Dmar *d)
{
    return qtest_readq(d->qts, CTX_TABLE + EDU_DEVFN * 16);
}

static inline uint64_t ctx_hi(Dmar *d)
{
    return qtest_readq(d->qts, CTX_TABLE + EDU_DEVFN * 16 + 8);
}

/*
 * Fresh root and context tables with edu's context pointing at a new,
 * empty LEVELS-deep second-level table (domain DOMAIN).
 */
static inline void tables_init(Dmar *d, unsigned levels, uint64_t lo_flags)
{
    qtest_memset(d->qts, ROOT_TABLE, 0, 0x1000);
    qtest_memset(d->qts, CTX_TABLE, 0, 0x1000);
    d->levels = levels;
    d->slpt = table_new(d);
    set_root(d, CTX_TABLE | ROOT_P, 0);
    set_ctx(d, d->slpt | lo_flags | CTX_P,
            CTX_AW(levels) | CTX_DID(DOMAIN));
}

static inline unsigned pt_index(uint64_t iova, unsigned level)
{
    return (iova >> (12 + 9 * (level - 1))) & 511;
}

/* Guest address of the LEVEL entry for IOVA; creates missing tables. */
static inline uint64_t pte_slot(Dmar *d, uint64_t iova, unsigned level)
{
    uint64_t table = d->slpt;

    for (unsigned l = d->levels; l > level; l--) {
        uint64_t slot = table + pt_index(iova, l) * 8;
        uint64_t pte = qtest_readq(d->qts, slot);

        if (!(pte & PTE_RW)) {
            pte = table_new(d) | PTE_RW;
            qtest_writeq(d->qts, slot, pte);
        }
        table = pte & PTE_ADDR;
    }
    return table + pt_index(iova, level) * 8;
}

static inline void set_pte(Dmar *d, uint64_t iova, unsigned level, uint64_t pte)
{
    qtest_writeq(d->qts, pte_slot(d, iova, level), pte);
}

/* Map IOVA to PA with a leaf at LEVEL (2: 2 MiB page, 3: 1 GiB page) */
static inline void map(Dmar *d, uint64_t iova, uint64_t pa, unsigned level,
                uint64_t perm)
{
    set_pte(d, iova, level, pa | perm | (level > 1 ? PTE_PS : 0));
}

static inline void dmar_enable(Dmar *d, uint64_t rta)
{
    wr64(d, REG_RTADDR, rta);
    wr32(d, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(rd32(d, REG_GSTS) & GSTS_RTPS, ==, GSTS_RTPS);
    wr32(d, REG_GCMD, GCMD_TE);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
}

/* Register-based invalidations; both return the register as completed */
static inline uint64_t iotlb_inv(Dmar *d, unsigned gran, uint16_t did,
                                 uint64_t iva)
{
    uint64_t v;

    wr64(d, REG_IVA, iva);
    wr64(d, REG_IOTLB, IOTLB_IVT | IOTLB_IIRG(gran) | IOTLB_DR |
         IOTLB_DW | IOTLB_DID(did));
    v = rd64(d, REG_IOTLB);
    g_assert_cmphex(v & IOTLB_IVT, ==, 0);
    return v;
}

static inline uint64_t ccmd_inv(Dmar *d, uint64_t cmd)
{
    uint64_t v;

    wr64(d, REG_CCMD, CCMD_ICC | cmd);
    v = rd64(d, REG_CCMD);
    g_assert_cmphex(v & CCMD_ICC, ==, 0);
    return v;
}

/* ---- queued invalidation (VT-d §6.5.2) ---- */

#define IQ_BASE         0x00a00000ull   /* the queue; 8 KiB aligned */
#define IQ_STATUS       0x00a10000ull   /* 4 KiB of wait status dwords */
#define IQ_SYNC         0x00a11000ull   /* qi_sync()'s status dword */
#define IQ_CANARY       0x00a11010ull   /* must never be written */
#define IE_MSG          0x00f00100ull   /* invalidation event messages */

/* 128-bit descriptors: lower qword fields, then upper (hi) ones */
#define QI_CC           1ull
#define QI_IOTLB        2ull
#define QI_DEVTLB       3ull
#define QI_IEC          4ull
#define QI_WAIT         5ull
#define QI_G(g)         ((uint64_t)(g) << 4)
#define QI_DID(d)       ((uint64_t)(d) << 16)
#define QI_CC_SID(s)    ((uint64_t)(s) << 32)
#define QI_CC_FM(m)     ((uint64_t)(m) << 48)
#define QI_IOTLB_DW     (1ull << 6)
#define QI_IOTLB_DR     (1ull << 7)
#define QI_HI_AM(am)    ((uint64_t)(am))
#define QI_HI_IH        (1ull << 6)
#define QI_WAIT_IF      (1ull << 4)
#define QI_WAIT_SW      (1ull << 5)
#define QI_WAIT_FN      (1ull << 6)
#define QI_WAIT_PD      (1ull << 7)
#define QI_SDATA(v)     ((uint64_t)(v) << 32)

/* Set up a queue of 2^(QS + 8) descriptors at BASE and enable QI */
static inline void qi_enable(Dmar *d, uint64_t base, unsigned qs)
{
    d->iq_base = base;
    d->iq_entries = 256u << qs;
    d->iq_tail = 0;
    wr64(d, REG_IQA, base | qs);
    wr64(d, REG_IQT, 0);
    /* GCMD carries TE in every write: keep it as it is */
    wr32(d, REG_GCMD, (rd32(d, REG_GSTS) & GSTS_TES) | GCMD_QIE);
    g_assert_cmphex(rd32(d, REG_GSTS) & GSTS_QIES, ==, GSTS_QIES);
    g_assert_cmphex(rd64(d, REG_IQA), ==, base | qs);
    g_assert_cmphex(rd64(d, REG_IQH), ==, 0);
}

static inline void qi_put(Dmar *d, unsigned idx, uint64_t lo, uint64_t hi)
{
    uint64_t a = d->iq_base + idx * 16ull;

    qtest_writeq(d->qts, a, lo);
    qtest_writeq(d->qts, a + 8, hi);
}

/* Write a descriptor at the software tail (IQT is not written yet) */
static inline unsigned qi_push(Dmar *d, uint64_t lo, uint64_t hi)
{
    unsigned idx = d->iq_tail;

    qi_put(d, idx, lo, hi);
    d->iq_tail = (idx + 1) % d->iq_entries;
    return idx;
}

/* A wait descriptor that writes DATA at ADDR, plus FLAGS (IF, FN) */
static inline unsigned qi_push_wait(Dmar *d, uint64_t addr, uint32_t data,
                             uint64_t flags)
{
    return qi_push(d, QI_WAIT | QI_WAIT_SW | flags | QI_SDATA(data), addr);
}

static inline void qi_kick(Dmar *d)
{
    wr64(d, REG_IQT, d->iq_tail * 16ull);
}

static inline uint64_t iq_off(unsigned idx)
{
    return idx * 16ull;
}

/* Submit a wait descriptor and check everything up to it is done */
static inline void qi_sync(Dmar *d)
{
    uint32_t v = 0x5c000000 | ++d->iq_seq;

    qtest_writel(d->qts, IQ_SYNC, 0);
    qi_push_wait(d, IQ_SYNC, v, 0);
    qi_kick(d);
    g_assert_cmphex(rd32(d, REG_FSTS) & FSTS_IQE, ==, 0);
    g_assert_cmphex(qtest_readl(d->qts, IQ_SYNC), ==, v);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(d->iq_tail));
}

static inline void qi_iotlb(Dmar *d, unsigned gran, uint16_t did, uint64_t addr,
                     unsigned am)
{
    qi_push(d, QI_IOTLB | QI_G(gran) | QI_IOTLB_DR | QI_IOTLB_DW |
            QI_DID(did), addr | QI_HI_AM(am));
}

static inline void qi_cc(Dmar *d, unsigned gran, uint16_t did, uint16_t sid,
                  unsigned fm)
{
    qi_push(d, QI_CC | QI_G(gran) | QI_DID(did) | QI_CC_SID(sid) |
            QI_CC_FM(fm), 0);
}

/* ---- fault records ---- */

static inline void assert_frcd(Dmar *d, unsigned i, uint64_t iova, uint8_t fr,
                        bool write)
{
    uint64_t hi = FRCD_F | (write ? 0 : FRCD_T1) | FRCD_FR(fr) | EDU_SID;

    g_assert_cmphex(rd64(d, REG_FRCD(i)), ==, iova & ~0xfffull);
    g_assert_cmphex(rd64(d, REG_FRCD(i) + 8), ==, hi);
    /* the same through 32-bit reads */
    g_assert_cmphex(rd32(d, REG_FRCD(i) + 4), ==, iova >> 32);
    g_assert_cmphex(rd32(d, REG_FRCD(i) + 8), ==, (uint32_t)hi);
    g_assert_cmphex(rd32(d, REG_FRCD(i) + 12), ==, hi >> 32);
}

/* FSTS, with FRI masked while PPF is clear: it is only valid with PPF */
static inline uint32_t fsts(Dmar *d)
{
    uint32_t v = rd32(d, REG_FSTS);

    return (v & FSTS_PPF) ? v : v & ~FSTS_FRI(0xff);
}

static inline void frcd_clear(Dmar *d, unsigned i)
{
    /* F is bit 63: bit 31 of the upper 32-bit half */
    wr32(d, REG_FRCD(i) + 12, 0x80000000);
}

/* ---- interrupt remapping (VT-d chapter 5) ---- */

#define IRT_BASE        0x00b00000ull   /* room for 2^16 IRTEs (1 MiB) */
#define IRT_BASE2       0x00c00000ull   /* a second table */

/* Interrupt-remapping fault reasons */
#define FR_IR_REQ_RSVD  0x20    /* reserved bits in the request */
#define FR_IR_INDEX     0x21    /* index beyond IRTA.S */
#define FR_IR_NP        0x22    /* IRTE not present */
#define FR_IR_ACCESS    0x23    /* IRTE read error */
#define FR_IR_RSVD      0x24    /* IRTE reserved field */
#define FR_IR_COMPAT    0x25    /* compatibility format blocked */
#define FR_IR_SID       0x26    /* source-id verification */

/* IRTE, remapped format: lower 64 bits... */
#define IRTE_P          1ull
#define IRTE_FPD        2ull
#define IRTE_DM         (1ull << 2)
#define IRTE_RH         (1ull << 3)
#define IRTE_TM         (1ull << 4)
#define IRTE_DLM(m)     ((uint64_t)(m) << 5)
#define IRTE_AVAIL      0xf00ull
#define IRTE_IM         (1ull << 15)
#define IRTE_V(v)       ((uint64_t)(v) << 16)
#define IRTE_DST(id)    ((uint64_t)(id) << 32)      /* x2APIC mode */
#define IRTE_XDST(id)   ((uint64_t)(id) << 40)      /* xAPIC mode */
/* ...and upper */
#define IRTE_SID(s)     ((uint64_t)(s))
#define IRTE_SQ(q)      ((uint64_t)(q) << 16)
#define IRTE_SVT(t)     ((uint64_t)(t) << 18)
#define SVT_NONE        0
#define SVT_SID         1
#define SVT_BUS         2

#define DLM_FIXED       0
#define DLM_LOWEST      1
#define DLM_NMI         4

/* Interrupt entry cache invalidation descriptor */
#define QI_IEC_IM(m)    ((uint64_t)(m) << 27)
#define QI_IEC_IIDX(i)  ((uint64_t)(i) << 32)

/* MSI addresses: compatibility and remappable format */
#define MSI_BASE        0xfee00000u
#define MSI_REMAP       (1u << 4)
#define MSI_SHV         (1u << 3)
#define MSI_DATA_LEVEL  (1u << 15)
#define MSI_DATA_DLM(m) ((uint32_t)(m) << 8)

#define IOAPIC_BASE     0xfec00000ull
#define IOAPIC_PATH     "/machine/q35/ioapic"
#define IOAPIC_SID      0xff00
#define IOAPIC_PIN      5       /* no ISA device uses IRQ 5 here */

#define EDU_IRQ_RAISE   0x60
#define EDU_IRQ_ACK     0x64

static inline uint32_t msi_remappable(uint32_t handle, bool shv)
{
    return MSI_BASE | MSI_REMAP | (shv ? MSI_SHV : 0) |
           (handle & 0x7fff) << 5 | ((handle >> 15) & 1) << 2;
}

/* Compatibility format, physical destination DEST */
static inline uint32_t msi_compat(uint8_t dest)
{
    return MSI_BASE | (uint32_t)dest << 12;
}

/* edu sends one MSI with ADDR and DATA, programmed in its capability */
static inline void edu_msi(Dmar *d, uint32_t addr, uint16_t data)
{
    uint8_t cap = qpci_find_capability(d->edu, PCI_CAP_ID_MSI, 0);
    uint16_t flags;

    g_assert_cmpuint(cap, !=, 0);
    flags = qpci_config_readw(d->edu, cap + PCI_MSI_FLAGS);
    g_assert_true(flags & PCI_MSI_FLAGS_64BIT);
    qpci_config_writel(d->edu, cap + PCI_MSI_ADDRESS_LO, addr);
    qpci_config_writel(d->edu, cap + PCI_MSI_ADDRESS_HI, 0);
    qpci_config_writew(d->edu, cap + PCI_MSI_DATA_64, data);
    qpci_config_writew(d->edu, cap + PCI_MSI_FLAGS,
                       flags | PCI_MSI_FLAGS_ENABLE);
    g_assert_cmphex(qpci_config_readl(d->edu, cap + PCI_MSI_ADDRESS_LO),
                    ==, addr);
    /* raising edu's interrupt sends the message; the ack lowers it */
    qpci_io_writel(d->edu, d->bar, EDU_IRQ_RAISE, 1);
    qpci_io_writel(d->edu, d->bar, EDU_IRQ_ACK, 1);
}

/*
 * Vector V in CPU 0's IRR, from "info lapic" (under qtest, APIC MMIO
 * reads have no current CPU and return nothing useful): -1 if not
 * pending, else 1 for level-triggered (TMR set), 0 for edge.
 */
static inline int apic_irr(Dmar *d, uint8_t v)
{
    g_autofree char *out = qtest_hmp(d->qts, "info lapic");
    g_autofree char *edge = g_strdup_printf("%u", v);
    g_autofree char *level = g_strdup_printf("%u(level)", v);
    g_auto(GStrv) words = NULL;
    char *irr = strstr(out, "IRR\t");
    char *end;

    /* "IRR\t 48 49(level) \r\n", or "IRR\t (none)" */
    g_assert_nonnull(irr);
    end = strpbrk(irr, "\r\n");
    if (end) {
        *end = 0;
    }
    words = g_strsplit(irr + 4, " ", -1);
    for (unsigned i = 0; words[i]; i++) {
        if (!strcmp(words[i], edge)) {
            return 0;
        }
        if (!strcmp(words[i], level)) {
            return 1;
        }
    }
    return -1;
}

static inline void assert_delivered(Dmar *d, uint8_t v, bool level)
{
    int got = apic_irr(d, v);

    if (got != level) {
        g_test_message("vector 0x%02x: IRR state %d, expected %d", v, got,
                       level);
    }
    g_assert_cmpint(got, ==, level);
}

static inline void assert_not_delivered(Dmar *d, uint8_t v)
{
    int got = apic_irr(d, v);

    if (got != -1) {
        g_test_message("vector 0x%02x was delivered", v);
    }
    g_assert_cmpint(got, ==, -1);
}

/*
 * Write GCMD like Linux does: the persistent bits (TE, QIE, IRE, CFI) as
 * GSTS has them, less CLEAR, plus SET.
 */
static inline void gcmd_update(Dmar *d, uint32_t set, uint32_t clear)
{
    uint32_t keep = rd32(d, REG_GSTS) &
                    (GSTS_TES | GSTS_QIES | GSTS_IRES | GSTS_CFIS);

    wr32(d, REG_GCMD, (keep & ~clear) | set);
}

/* Latch IRTA (SIRTP): the interrupt entry cache starts over too */
static inline void ir_set_table(Dmar *d, uint64_t irta)
{
    wr64(d, REG_IRTA, irta);
    gcmd_update(d, GCMD_SIRTP, 0);
    g_assert_cmphex(rd32(d, REG_GSTS) & GSTS_IRTPS, ==, GSTS_IRTPS);
}

/* Table at IRTA, then remapping on; CFI as asked */
static inline void ir_enable(Dmar *d, uint64_t irta, bool cfi)
{
    ir_set_table(d, irta);
    gcmd_update(d, GCMD_IRE | (cfi ? GCMD_CFI : 0), cfi ? 0 : GCMD_CFI);
    g_assert_cmphex(rd32(d, REG_GSTS) & (GSTS_IRES | GSTS_CFIS), ==,
                    GSTS_IRES | (cfi ? GSTS_CFIS : 0));
}

static inline void irte_put(Dmar *d, uint64_t table, uint32_t index,
                            uint64_t lo, uint64_t hi)
{
    qtest_writeq(d->qts, table + index * 16ull, lo);
    qtest_writeq(d->qts, table + index * 16ull + 8, hi);
}

/* A fixed, edge-triggered IRTE for vector V to APIC 0 (xAPIC format) */
static inline uint64_t irte_lo(uint8_t v)
{
    return IRTE_P | IRTE_V(v) | IRTE_XDST(0);
}

/*
 * Exactly one fault record is pending, for an interrupt request: reason
 * FR, source-id SID, interrupt index INDEX in bits 63:48 of the lower
 * half (-1: not checked; bits 47:0 are 0 anyway). Clear it.
 */
static inline void assert_ir_fault(Dmar *d, uint8_t fr, int index, uint16_t sid)
{
    int rec = -1;
    uint64_t lo, hi;

    for (unsigned i = 0; i < 8; i++) {
        if (rd64(d, REG_FRCD(i) + 8) & FRCD_F) {
            g_assert_cmpint(rec, ==, -1);
            rec = i;
        }
    }
    if (rec < 0) {
        g_test_message("no fault recorded; expected reason 0x%x", fr);
    }
    g_assert_cmpint(rec, >=, 0);
    lo = rd64(d, REG_FRCD(rec));
    hi = rd64(d, REG_FRCD(rec) + 8);
    /* the type bit (T1) is only defined for DMA faults */
    g_assert_cmphex(hi & ~FRCD_T1, ==, FRCD_F | FRCD_FR(fr) | sid);
    if (index >= 0) {
        g_assert_cmphex(lo, ==, (uint64_t)index << 48);
    } else {
        g_assert_cmphex(lo & 0xffffffffffffull, ==, 0);
    }
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(rec));
    frcd_clear(d, rec);
    g_assert_cmphex(fsts(d), ==, 0);
}

static inline void assert_no_fault(Dmar *d)
{
    uint32_t v = fsts(d);

    if (v) {
        g_test_message("unexpected fault: FRCD[%u] = 0x%016" PRIx64
                       ":0x%016" PRIx64, (v >> 8) & 0xff,
                       rd64(d, REG_FRCD((v >> 8) & 0xff) + 8),
                       rd64(d, REG_FRCD((v >> 8) & 0xff)));
    }
    g_assert_cmphex(v, ==, 0);
}

/* IOAPIC redirection entry PIN (high half first: unmasked last) */
static inline void ioapic_rte(Dmar *d, unsigned pin, uint64_t rte)
{
    qtest_writel(d->qts, IOAPIC_BASE, 0x11 + 2 * pin);
    qtest_writel(d->qts, IOAPIC_BASE + 0x10, rte >> 32);
    qtest_writel(d->qts, IOAPIC_BASE, 0x10 + 2 * pin);
    qtest_writel(d->qts, IOAPIC_BASE + 0x10, rte);
}

/* An edge on input PIN */
static inline void ioapic_pulse(Dmar *d, unsigned pin)
{
    qtest_set_irq_in(d->qts, IOAPIC_PATH, NULL, pin, 1);
    qtest_set_irq_in(d->qts, IOAPIC_PATH, NULL, pin, 0);
}

/* ---- spec details: the DMAR table and the host address width ---- */

/*
 * The DMAR table as QEMU built it: fw_cfg's "etc/acpi/tables", read
 * through fw_cfg's DMA interface into guest RAM at ACPI_BUF (port I/O
 * would take one round trip per byte).
 */
#define ACPI_BUF        0x06000000ull

static inline uint8_t *dmar_acpi_table(Dmar *d, size_t *len)
{
    QFWCFG *fw = pc_fw_cfg_init(d->qts);
    struct fw_cfg_dma_access dma;
    uint32_t n, size = 0;
    uint16_t sel = 0;
    g_autofree uint8_t *blob = NULL;
    uint8_t *table = NULL;

    qfw_cfg_get(fw, FW_CFG_FILE_DIR, &n, sizeof(n));
    for (uint32_t i = 0; i < be32_to_cpu(n); i++) {
        struct fw_cfg_file f;

        qfw_cfg_read_data(fw, &f, sizeof(f));
        if (!strcmp(f.name, "etc/acpi/tables")) {
            size = be32_to_cpu(f.size);
            sel = be16_to_cpu(f.select);
        }
    }
    pc_fw_cfg_uninit(fw);
    g_assert_cmpuint(size, >, 0);
    g_assert_cmpuint(size, <=, 0x1000000);
    dma = (struct fw_cfg_dma_access) {
        .control = cpu_to_be32((uint32_t)sel << 16 | FW_CFG_DMA_CTL_SELECT |
                               FW_CFG_DMA_CTL_READ),
        .length = cpu_to_be32(size),
        .address = cpu_to_be64(ACPI_BUF + 0x1000),
    };
    qtest_memwrite(d->qts, ACPI_BUF, &dma, sizeof(dma));
    /* the descriptor's address, high then low half, big-endian */
    qtest_outl(d->qts, 0x514, cpu_to_be32(ACPI_BUF >> 32));
    qtest_outl(d->qts, 0x518, cpu_to_be32((uint32_t)ACPI_BUF));
    qtest_memread(d->qts, ACPI_BUF, &dma, sizeof(dma));
    g_assert_cmphex(be32_to_cpu(dma.control), ==, 0);  /* done, no error */
    blob = g_malloc(size);
    qtest_memread(d->qts, ACPI_BUF + 0x1000, blob, size);

    /*
     * The firmware's linker/loader fills in checksums and pointers: find
     * the table by its header (signature, length, revision 1).
     */
    for (uint32_t i = 0; i + 48 <= size; i++) {
        uint32_t tlen = ldl_le_p(blob + i + 4);

        if (!memcmp(blob + i, "DMAR", 4) && tlen >= 48 &&
            tlen <= size - i && blob[i + 8] == 1) {
            g_assert_null(table);
            table = g_memdup2(blob + i, tlen);
            *len = tlen;
        }
    }
    if (!table) {
        g_test_message("etc/acpi/tables: %u bytes, starting %.4s", size,
                       (const char *)blob);
    }
    g_assert_nonnull(table);
    return table;
}

/* The host address width, as the DMAR table reports it (HAW - 1 at 36) */
static inline unsigned dmar_haw(Dmar *d)
{
    size_t len;
    g_autofree uint8_t *t = dmar_acpi_table(d, &len);

    g_assert_cmpuint(t[36], >=, 38);
    g_assert_cmpuint(t[36], <=, 63);
    return t[36] + 1;
}

/* Address bits below the host address width */
static inline uint64_t haw_mask(Dmar *d)
{
    return (1ull << dmar_haw(d)) - 1;
}

/* ==== queue (vtd-dmar-queue-test.c): IQERCD codes, queue runs ==== */

/* IQERCD.IQEI (VT-d §11.4.9.9) */
#define IQEI_NONE       0       /* information not available */
#define IQEI_TAIL       1       /* invalid tail pointer */
#define IQEI_FETCH      2       /* descriptor fetch error */
#define IQEI_TYPE       3       /* invalid descriptor type */
#define IQEI_RSVD       4       /* reserved field of a valid type */
#define IQEI_DW         5       /* descriptor width not supported */

#define IQA_DW          (1ull << 11)

/*
 * The IQERCD a unit reports once descriptor LO:HI stopped its queue: an
 * invalid type (0, 3: no device-TLBs, 6..15, bits 11:9 set, 4 without
 * interrupt remapping), a reserved field (or granularity 0) of a valid
 * type, or, for a wait descriptor with none, its status write failed,
 * for which IQEI has no code.
 */
static inline uint64_t qi_iqercd_for(Dmar *d, uint64_t lo, uint64_t hi)
{
    bool ir = rd64(d, REG_ECAP) & ECAP_IR;
    unsigned t = lo & 0xf;

    if ((lo & 0xe00) ||
        !(t == QI_CC || t == QI_IOTLB || t == QI_WAIT || (t == QI_IEC && ir))) {
        return IQEI_TYPE;
    }
    /* wait: lo 31:7 but IF, SW, FN are reserved (PD too), hi 1:0 */
    if (t == QI_WAIT && !(lo & 0xffffff80ull) && !(hi & 3)) {
        return IQEI_NONE;
    }
    return IQEI_RSVD;
}

/* ---- other binaries, and starts that may be refused ---- */

/*
 * Whether QEMU 11.1's binary (VTD_DMAR_REF_QEMU, from
 * scripts/fetch-qemu-ref; scripts/test sets it) is there to compare
 * with; if not, the test is skipped with the reason.
 */
static inline bool dmar_have_ref_qemu(void)
{
    const char *ref = g_getenv("VTD_DMAR_REF_QEMU");

    if (!ref || !g_file_test(ref, G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("no QEMU 11.1 reference: VTD_DMAR_REF_QEMU names no "
                    "executable (scripts/test sets it)");
        return false;
    }
    return true;
}

/*
 * Start the binary under test as a user would, with EXTRA and -device
 * vtd-dmar[,PROPS] (its monitor's "quit" ends it if it started). Returns
 * the exit status (1: refused); *ERR gets what it printed on stderr.
 */
static inline int dmar_start_status(const char *extra, const char *props,
                                    char **err)
{
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    g_autofree char *q = NULL;
    g_autofree char *cmd = NULL;
    g_autofree char *out = NULL;
    const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
    int status;

    g_assert_nonnull(qemu);
    q = g_shell_quote(qemu);
    cmd = g_strdup_printf("echo quit | %s -M q35 -accel qtest -display none "
                          "-monitor stdio %s -device vtd-dmar%s%s", q, extra,
                          *props ? "," : "", props);
    argv[2] = cmd;
    g_test_message("%s", cmd);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, &out, err, &status, NULL));
    g_test_message("stderr: %s", *err);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

#endif
