/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for the vtd-dmar VT-d remapping unit: registers, translation
 * through tables built in guest RAM, faults, invalidation, migration.
 *
 * No firmware runs under the qtest accelerator, so guest RAM is ours:
 * the test writes root, context and second-level tables there and lets
 * the edu device at 00:04.0 (source-id 0x0020) do DMA through the unit.
 * Data always travels RAM -> edu buffer -> RAM, so where it lands shows
 * which translation the unit used.
 */
#include "qemu/osdep.h"
#include "libqtest.h"
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "qobject/qdict.h"

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
/* Commands this unit does not offer: CFI, SIRTP, IRE, QIE, WBF, EAFL, SFL */
#define GCMD_UNOFFERED  0x3f800000u
#define GSTS_TES        (1u << 31)
#define GSTS_RTPS       (1u << 30)

#define CCMD_ICC        (1ull << 63)
#define CCMD_CIRG(g)    ((uint64_t)(g) << 61)
#define CCMD_CAIG(v)    (((v) >> 59) & 3)
#define CCMD_FM(m)      ((uint64_t)(m) << 32)
#define CCMD_SID(s)     ((uint64_t)(s) << 16)
#define CCMD_DID(d)     ((uint64_t)(d))

#define FSTS_PFO        0x1u
#define FSTS_PPF        0x2u
#define FSTS_FRI(i)     ((uint32_t)(i) << 8)

#define FECTL_IM        (1u << 31)
#define FECTL_IP        (1u << 30)

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

/* Fault reasons (VT-d appendix "Fault Reason Encodings") */
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
} Dmar;

/* ---- plumbing ---- */

static void edu_attach(Dmar *d)
{
    d->bus = qpci_new_pc(d->qts, NULL);
    d->edu = qpci_device_find(d->bus, QPCI_DEVFN(4, 0));
    g_assert_nonnull(d->edu);
    g_assert_cmphex(qpci_config_readl(d->edu, 0), ==, 0x11e81234);
    qpci_device_enable(d->edu);
    d->bar = qpci_iomap(d->edu, 0, NULL);
}

static void edu_detach(Dmar *d)
{
    g_free(d->edu);
    qpci_free_pc(d->bus);
    d->edu = NULL;
    d->bus = NULL;
}

static const char *edu_args(bool narrow)
{
    /* edu masks DMA addresses to 28 bits unless told otherwise */
    return narrow ? "-device edu,addr=04.0"
                  : "-device edu,addr=04.0,dma_mask=0xffffffffffffffff";
}

static QTestState *dmar_qemu(const char *props, const char *extra,
                             bool narrow)
{
    return qtest_initf("-M q35 %s -device vtd-dmar%s%s %s", extra,
                       *props ? "," : "", props, edu_args(narrow));
}

static Dmar *dmar_boot_full(const char *props, const char *extra,
                            bool narrow)
{
    Dmar *d = g_new0(Dmar, 1);

    d->qts = dmar_qemu(props, extra, narrow);
    d->pool = PT_POOL;
    edu_attach(d);
    return d;
}

static Dmar *dmar_boot(const char *props)
{
    return dmar_boot_full(props, "", false);
}

static void dmar_free(Dmar *d)
{
    edu_detach(d);
    qtest_quit(d->qts);
    g_free(d);
}

static uint32_t rd32(Dmar *d, unsigned off)
{
    return qtest_readl(d->qts, DMAR_BASE + off);
}

static uint64_t rd64(Dmar *d, unsigned off)
{
    return qtest_readq(d->qts, DMAR_BASE + off);
}

static void wr32(Dmar *d, unsigned off, uint32_t v)
{
    qtest_writel(d->qts, DMAR_BASE + off, v);
}

static void wr64(Dmar *d, unsigned off, uint64_t v)
{
    qtest_writeq(d->qts, DMAR_BASE + off, v);
}

static void snapshot(Dmar *d, uint32_t *w)
{
    for (unsigned i = 0; i < SNAP_WORDS; i++) {
        w[i] = rd32(d, i * 4);
    }
}

static void assert_same_regs(const uint32_t *a, const uint32_t *b)
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
static uint64_t expected_cap(unsigned aw, unsigned nfr, bool cm, bool drain)
{
    uint64_t sagaw = aw == 39 ? 0x2 : aw == 48 ? 0x6 : 0xe;

    return 6 |                          /* ND: 16-bit domain-ids */
           (uint64_t)cm << 7 |
           sagaw << 8 |
           (uint64_t)(aw - 1) << 16 |   /* MGAW */
           1ull << 22 |                 /* ZLR */
           (0x200ull / 16) << 24 |      /* FRO */
           3ull << 34 |                 /* SLLPS: 2 MiB and 1 GiB */
           1ull << 39 |                 /* PSI */
           (uint64_t)(nfr - 1) << 40 |
           18ull << 48 |                /* MAMV */
           (uint64_t)drain << 54 |      /* DWD */
           (uint64_t)drain << 55;       /* DRD */
}

static uint64_t expected_ecap(bool pt)
{
    return 1 |                          /* C */
           (uint64_t)pt << 6 |
           (0x100ull / 16) << 8;        /* IRO */
}

/* ---- data patterns ---- */

static void pattern(uint8_t *buf, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = seed + i * 13;
    }
}

static void fill(Dmar *d, uint64_t pa, uint8_t seed)
{
    uint8_t buf[XFER];

    pattern(buf, sizeof(buf), seed);
    qtest_memwrite(d->qts, pa, buf, sizeof(buf));
}

static bool holds(Dmar *d, uint64_t pa, uint8_t seed)
{
    uint8_t want[XFER], got[XFER];

    pattern(want, sizeof(want), seed);
    qtest_memread(d->qts, pa, got, sizeof(got));
    return !memcmp(want, got, sizeof(got));
}

static void zero(Dmar *d, uint64_t pa)
{
    qtest_memset(d->qts, pa, 0, XFER);
}

/* ---- edu DMA ---- */

static void edu_dma(Dmar *d, uint64_t src, uint64_t dst, uint64_t len,
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
static void dma_in(Dmar *d, uint64_t iova)
{
    edu_dma(d, iova, EDU_BUF, XFER, false);
}

/* edu buffer -> RAM at IOVA */
static void dma_out(Dmar *d, uint64_t iova)
{
    edu_dma(d, EDU_BUF, iova, XFER, true);
}

static void copy(Dmar *d, uint64_t from, uint64_t to)
{
    dma_in(d, from);
    dma_out(d, to);
}

/* ---- translation tables ---- */

static uint64_t table_new(Dmar *d)
{
    uint64_t t = d->pool;

    d->pool += 0x1000;
    g_assert_cmphex(d->pool, <=, PAGE_P1);
    qtest_memset(d->qts, t, 0, 0x1000);
    return t;
}

static void set_root(Dmar *d, uint64_t lo, uint64_t hi)
{
    qtest_writeq(d->qts, ROOT_TABLE, lo);        /* bus 0 */
    qtest_writeq(d->qts, ROOT_TABLE + 8, hi);
}

static void set_ctx(Dmar *d, uint64_t lo, uint64_t hi)
{
    qtest_writeq(d->qts, CTX_TABLE + EDU_DEVFN * 16, lo);
    qtest_writeq(d->qts, CTX_TABLE + EDU_DEVFN * 16 + 8, hi);
}

static uint64_t ctx_lo(Dmar *d)
{
    return qtest_readq(d->qts, CTX_TABLE + EDU_DEVFN * 16);
}

static uint64_t ctx_hi(Dmar *d)
{
    return qtest_readq(d->qts, CTX_TABLE + EDU_DEVFN * 16 + 8);
}

/*
 * Fresh root and context tables with edu's context pointing at a new,
 * empty LEVELS-deep second-level table (domain DOMAIN).
 */
static void tables_init(Dmar *d, unsigned levels, uint64_t lo_flags)
{
    qtest_memset(d->qts, ROOT_TABLE, 0, 0x1000);
    qtest_memset(d->qts, CTX_TABLE, 0, 0x1000);
    d->levels = levels;
    d->slpt = table_new(d);
    set_root(d, CTX_TABLE | ROOT_P, 0);
    set_ctx(d, d->slpt | lo_flags | CTX_P,
            CTX_AW(levels) | CTX_DID(DOMAIN));
}

static unsigned pt_index(uint64_t iova, unsigned level)
{
    return (iova >> (12 + 9 * (level - 1))) & 511;
}

/* Guest address of the LEVEL entry for IOVA; creates missing tables. */
static uint64_t pte_slot(Dmar *d, uint64_t iova, unsigned level)
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

static void set_pte(Dmar *d, uint64_t iova, unsigned level, uint64_t pte)
{
    qtest_writeq(d->qts, pte_slot(d, iova, level), pte);
}

/* Map IOVA to PA with a leaf at LEVEL (2: 2 MiB page, 3: 1 GiB page) */
static void map(Dmar *d, uint64_t iova, uint64_t pa, unsigned level,
                uint64_t perm)
{
    set_pte(d, iova, level, pa | perm | (level > 1 ? PTE_PS : 0));
}

static void dmar_enable(Dmar *d, uint64_t rta)
{
    wr64(d, REG_RTADDR, rta);
    wr32(d, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(rd32(d, REG_GSTS) & GSTS_RTPS, ==, GSTS_RTPS);
    wr32(d, REG_GCMD, GCMD_TE);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
}

/* Register-based invalidations; both return the register as completed */
static uint64_t iotlb_inv(Dmar *d, unsigned gran, uint16_t did, uint64_t iva)
{
    uint64_t v;

    wr64(d, REG_IVA, iva);
    wr64(d, REG_IOTLB, IOTLB_IVT | IOTLB_IIRG(gran) | IOTLB_DR |
         IOTLB_DW | IOTLB_DID(did));
    v = rd64(d, REG_IOTLB);
    g_assert_cmphex(v & IOTLB_IVT, ==, 0);
    return v;
}

static uint64_t ccmd_inv(Dmar *d, uint64_t cmd)
{
    uint64_t v;

    wr64(d, REG_CCMD, CCMD_ICC | cmd);
    v = rd64(d, REG_CCMD);
    g_assert_cmphex(v & CCMD_ICC, ==, 0);
    return v;
}

/* ---- fault records ---- */

static void assert_frcd(Dmar *d, unsigned i, uint64_t iova, uint8_t fr,
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
static uint32_t fsts(Dmar *d)
{
    uint32_t v = rd32(d, REG_FSTS);

    return (v & FSTS_PPF) ? v : v & ~FSTS_FRI(0xff);
}

static void frcd_clear(Dmar *d, unsigned i)
{
    /* F is bit 63: bit 31 of the upper 32-bit half */
    wr32(d, REG_FRCD(i) + 12, 0x80000000);
}

/* ================= 1. registers ================= */

static void test_reset_values(void)
{
    Dmar *d = dmar_boot("");
    uint32_t w[SNAP_WORDS];
    uint64_t cap = expected_cap(48, 8, false, true);
    uint64_t ecap = expected_ecap(true);

    snapshot(d, w);
    for (unsigned i = 0; i < SNAP_WORDS; i++) {
        unsigned off = i * 4;
        uint32_t want = 0;

        switch (off) {
        case REG_VER:
            want = 0x10;
            break;
        case REG_CAP:
        case REG_CAP + 4:
            want = cap >> (8 * (off - REG_CAP));
            break;
        case REG_ECAP:
        case REG_ECAP + 4:
            want = ecap >> (8 * (off - REG_ECAP));
            break;
        case REG_FECTL:
            /* IM's reset value: see /vtd-dmar/regs/fectl-reset */
            continue;
        }
        if (w[i] != want) {
            g_test_message("reset value at 0x%03x", off);
        }
        g_assert_cmphex(w[i], ==, want);
    }
    g_assert_cmphex(rd64(d, REG_CAP), ==, cap);
    g_assert_cmphex(rd64(d, REG_ECAP), ==, ecap);
    dmar_free(d);
}

typedef struct CapCase {
    const char *props;
    unsigned aw, nfr;
    bool cm, drain, pt;
} CapCase;

static const CapCase cap_cases[] = {
    { "aw-bits=39", 39, 8, false, true, true },
    { "aw-bits=57,nfr=1,caching-mode=on", 57, 1, true, true, true },
    { "nfr=256,dma-drain=off,pt=off", 48, 256, false, false, false },
};

static void test_cap_props(void)
{
    for (unsigned i = 0; i < ARRAY_SIZE(cap_cases); i++) {
        const CapCase *c = &cap_cases[i];
        Dmar *d = dmar_boot(c->props);
        unsigned last = REG_FRCD(c->nfr - 1);

        g_test_message("vtd-dmar,%s", c->props);
        g_assert_cmphex(rd64(d, REG_CAP), ==,
                        expected_cap(c->aw, c->nfr, c->cm, c->drain));
        g_assert_cmphex(rd64(d, REG_ECAP), ==, expected_ecap(c->pt));
        /* the last fault record exists and is empty; past it, nothing */
        g_assert_cmphex(rd64(d, last + 8), ==, 0);
        wr64(d, last + 8, ~0ull);
        g_assert_cmphex(rd64(d, last + 8), ==, 0);
        wr32(d, last + 16, ~0u);
        g_assert_cmphex(rd32(d, last + 16), ==, 0);
        g_assert_cmphex(rd32(d, REG_GSTS), ==, 0);
        dmar_free(d);
    }
}

typedef struct RegSpan {
    unsigned off, size;
} RegSpan;

/* Registers that must ignore every write (not offered, or read-only) */
static const RegSpan ro_regs[] = {
    { REG_VER, 4 }, { REG_CAP, 8 }, { REG_ECAP, 8 }, { REG_GSTS, 4 },
    { REG_AFLOG, 8 }, { REG_PMEN, 4 }, { REG_PLMBASE, 4 },
    { REG_PLMLIMIT, 4 }, { REG_PHMBASE, 8 }, { REG_PHMLIMIT, 8 },
    { REG_IQH, 8 }, { REG_IQT, 8 }, { REG_IQA, 8 }, { REG_ICS, 4 },
    { REG_IECTL, 4 }, { REG_IEDATA, 4 }, { REG_IEADDR, 4 },
    { REG_IEUADDR, 4 }, { REG_IQERCD, 8 }, { REG_IRTA, 8 },
};

/* Offsets where no register lives (default nfr=8) */
static const unsigned holes[] = {
    0x04, 0x30, 0x48, 0x4c, 0x50, 0x54, 0x60, 0xc0, 0xc8, 0xfc,
    0x110, 0x118, 0x1f8, 0x280, 0x288, 0xff8,
};

static void test_regs_access(void)
{
    Dmar *d = dmar_boot("");
    QTestState *qts = d->qts;
    uint64_t cap = rd64(d, REG_CAP);
    uint32_t before[SNAP_WORDS], after[SNAP_WORDS];

    /* either 32-bit half of a 64-bit register */
    g_assert_cmphex(rd32(d, REG_CAP), ==, (uint32_t)cap);
    g_assert_cmphex(rd32(d, REG_CAP + 4), ==, cap >> 32);

    /* read-only registers: 64-bit writes, and 32-bit writes to each half */
    for (unsigned i = 0; i < ARRAY_SIZE(ro_regs); i++) {
        const RegSpan *r = &ro_regs[i];
        uint64_t old = r->size == 8 ? rd64(d, r->off) : rd32(d, r->off);

        if (r->size == 8) {
            wr64(d, r->off, ~0ull);
            wr32(d, r->off + 4, ~0u);
            g_assert_cmphex(rd64(d, r->off), ==, old);
        }
        wr32(d, r->off, ~0u);
        g_assert_cmphex(rd32(d, r->off), ==, (uint32_t)old);
        if (r->size == 8) {
            g_assert_cmphex(rd64(d, r->off), ==, old);
        }
    }
    /* fault records are read-only but for F, which is RW1C */
    for (unsigned i = 0; i < 8; i++) {
        wr64(d, REG_FRCD(i), ~0ull);
        wr64(d, REG_FRCD(i) + 8, ~0ull);
        g_assert_cmphex(rd64(d, REG_FRCD(i)), ==, 0);
        g_assert_cmphex(rd64(d, REG_FRCD(i) + 8), ==, 0);
    }
    /* FSTS: nothing pending, so neither RW1C nor RO bits can be set */
    wr32(d, REG_FSTS, ~0u);
    g_assert_cmphex(rd32(d, REG_FSTS), ==, 0);

    /* GCMD is write-only; unoffered commands change nothing */
    wr32(d, REG_GCMD, GCMD_UNOFFERED);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, 0);
    wr32(d, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(rd32(d, REG_GCMD), ==, 0);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_RTPS);
    wr32(d, REG_GCMD, GCMD_TE | GCMD_UNOFFERED);
    g_assert_cmphex(rd32(d, REG_GCMD), ==, 0);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    wr32(d, REG_GCMD, 0);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_RTPS);

    /* RTADDR: bits 11:0 (TTM included) read 0 */
    wr64(d, REG_RTADDR, ~0ull);
    g_assert_cmphex(rd64(d, REG_RTADDR), ==, ~0xfffull);
    wr32(d, REG_RTADDR, 0x12345fff);
    wr32(d, REG_RTADDR + 4, 0xabcd);
    g_assert_cmphex(rd64(d, REG_RTADDR), ==, 0xabcd12345000ull);
    g_assert_cmphex(rd32(d, REG_RTADDR + 4), ==, 0xabcd);

    /* writable bits of the fault event registers */
    wr32(d, REG_FEDATA, ~0u);
    wr32(d, REG_FEADDR, ~0u);
    wr32(d, REG_FEUADDR, ~0u);
    wr32(d, REG_FECTL, ~0u);
    g_assert_cmphex(rd32(d, REG_FEDATA), ==, 0xffff);
    g_assert_cmphex(rd32(d, REG_FEADDR), ==, 0xfffffffc);
    g_assert_cmphex(rd32(d, REG_FEUADDR), ==, 0xffffffff);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM);
    wr32(d, REG_FECTL, 0);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, 0);

    /* IVA: ADDR, IH, AM */
    wr64(d, REG_IVA, ~0ull);
    g_assert_cmphex(rd64(d, REG_IVA), ==, 0xfffffffffffff07full);

    /* CCMD and IOTLB keep their fields when no invalidation is asked */
    wr64(d, REG_CCMD, CCMD_CIRG(2) | CCMD_FM(3) | CCMD_SID(0x1234) |
         CCMD_DID(0x5678));
    g_assert_cmphex(rd64(d, REG_CCMD), ==, CCMD_CIRG(2) | CCMD_FM(3) |
                    CCMD_SID(0x1234) | CCMD_DID(0x5678));
    wr64(d, REG_CCMD, 3ull << 59);      /* CAIG is the unit's to set */
    g_assert_cmphex(rd64(d, REG_CCMD), ==, 0);
    wr64(d, REG_IOTLB, IOTLB_IIRG(2) | IOTLB_DR | IOTLB_DW | IOTLB_DID(0x77));
    g_assert_cmphex(rd64(d, REG_IOTLB), ==, IOTLB_IIRG(2) | IOTLB_DR |
                    IOTLB_DW | IOTLB_DID(0x77));
    wr64(d, REG_IOTLB, 3ull << 57);     /* IAIG is the unit's to set */
    g_assert_cmphex(rd64(d, REG_IOTLB), ==, 0);

    /* 1- and 2-byte accesses read 0 and are ignored */
    wr32(d, REG_FEDATA, 0xbeef);
    wr32(d, REG_FECTL, FECTL_IM);
    g_assert_cmphex(qtest_readb(qts, DMAR_BASE + REG_VER), ==, 0);
    g_assert_cmphex(qtest_readw(qts, DMAR_BASE + REG_VER), ==, 0);
    g_assert_cmphex(qtest_readb(qts, DMAR_BASE + REG_CAP + 1), ==, 0);
    g_assert_cmphex(qtest_readw(qts, DMAR_BASE + REG_FEDATA), ==, 0);
    g_assert_cmphex(qtest_readb(qts, DMAR_BASE + REG_FEDATA + 1), ==, 0);
    qtest_writeb(qts, DMAR_BASE + REG_FEDATA, 0x11);
    qtest_writew(qts, DMAR_BASE + REG_FEDATA, 0x2222);
    qtest_writeb(qts, DMAR_BASE + REG_GCMD + 3, 0x80);
    qtest_writew(qts, DMAR_BASE + REG_GCMD + 2, 0x8000);
    g_assert_cmphex(rd32(d, REG_FEDATA), ==, 0xbeef);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_RTPS);

    /*
     * Misaligned accesses. QEMU's memory core splits them into naturally
     * aligned pieces before the unit sees them (an 8-byte access at +4
     * becomes two valid 32-bit ones); the 1- and 2-byte pieces must read
     * as 0 and be ignored.
     */
    g_assert_cmphex(qtest_readl(qts, DMAR_BASE + REG_CAP + 2), ==, 0);
    g_assert_cmphex(qtest_readl(qts, DMAR_BASE + REG_VER + 1), ==, 0);
    g_assert_cmphex(qtest_readq(qts, DMAR_BASE + REG_VER + 1), ==, 0);
    qtest_writel(qts, DMAR_BASE + REG_FEDATA + 2, ~0u);
    qtest_writel(qts, DMAR_BASE + REG_FEDATA - 1, ~0u);
    g_assert_cmphex(rd32(d, REG_FEDATA), ==, 0xbeef);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM);
    g_assert_cmphex(rd32(d, REG_FEADDR), ==, 0xfffffffc);
    g_assert_cmphex(rd64(d, REG_RTADDR), ==, 0xabcd12345000ull);

    /* 64-bit accesses to 32-bit registers */
    g_assert_cmphex(rd64(d, REG_FECTL), ==, 0);
    g_assert_cmphex(rd64(d, REG_GCMD), ==, 0);
    g_assert_cmphex(rd64(d, REG_FEADDR), ==, 0);
    wr64(d, REG_FECTL, 0);
    wr64(d, REG_GCMD, GCMD_TE);
    wr64(d, REG_FEADDR, 0);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM);
    g_assert_cmphex(rd32(d, REG_FEDATA), ==, 0xbeef);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_RTPS);
    g_assert_cmphex(rd32(d, REG_FEADDR), ==, 0xfffffffc);
    g_assert_cmphex(rd32(d, REG_FEUADDR), ==, 0xffffffff);

    /* offsets without a register */
    snapshot(d, before);
    for (unsigned i = 0; i < ARRAY_SIZE(holes); i++) {
        uint64_t a = DMAR_BASE + holes[i];

        g_assert_cmphex(qtest_readl(qts, a), ==, 0);
        qtest_writel(qts, a, ~0u);
        g_assert_cmphex(qtest_readl(qts, a), ==, 0);
        if (!(holes[i] % 8)) {
            /* (others would be split, reaching real registers too) */
            g_assert_cmphex(qtest_readq(qts, a), ==, 0);
            qtest_writeq(qts, a, ~0ull);
            g_assert_cmphex(qtest_readq(qts, a), ==, 0);
        }
    }
    snapshot(d, after);
    assert_same_regs(before, after);
    dmar_free(d);
}

/*
 * VT-d 11.4.9.2: FECTL.IM is 1 after reset, so a fault that happens
 * before software programs FEDATA/FEADDR stays pending instead of
 * sending FEDATA (0) to address FEUADDR:FEADDR (0).
 */
static void test_fectl_reset(void)
{
    Dmar *d = dmar_boot("");
    uint32_t fectl = rd32(d, REG_FECTL);
    uint32_t at0;

    qtest_writel(d->qts, 0, 0xcafebabe);
    tables_init(d, 3, 0);
    dmar_enable(d, ROOT_TABLE);
    dma_in(d, IOVA_A);
    assert_frcd(d, 0, IOVA_A, FR_READ, false);
    at0 = qtest_readl(d->qts, 0);
    g_assert_cmphex(fectl, ==, FECTL_IM);
    g_assert_cmphex(at0, ==, 0xcafebabe);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    dmar_free(d);
}

static void test_system_reset(void)
{
    Dmar *d = dmar_boot("");
    uint32_t fresh[SNAP_WORDS], used[SNAP_WORDS], reset[SNAP_WORDS];
    unsigned changed = 0;

    snapshot(d, fresh);

    /* program everything that can be programmed */
    tables_init(d, 3, 0);
    map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    wr32(d, REG_FEDATA, 0x4321);
    wr32(d, REG_FEADDR, FE_MSG);
    wr32(d, REG_FEUADDR, 0);
    wr32(d, REG_FECTL, FECTL_IM);
    dmar_enable(d, ROOT_TABLE);
    dma_in(d, IOVA_A);
    dma_in(d, IOVA_B);                          /* fault in FRCD[0] */
    ccmd_inv(d, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
    iotlb_inv(d, GRAN_PAGE, DOMAIN, IOVA_A | IVA_AM(1));
    wr64(d, REG_IVA, 0x777000);
    snapshot(d, used);
    for (unsigned i = 0; i < SNAP_WORDS; i++) {
        changed += used[i] != fresh[i];
    }
    g_assert_cmpuint(changed, >=, 10);
    g_assert_cmphex(fsts(d), ==, FSTS_PPF);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);

    qtest_system_reset(d->qts);
    snapshot(d, reset);
    assert_same_regs(fresh, reset);

    /* DMA is untranslated again, and the next fault goes to FRCD[0] */
    edu_detach(d);
    edu_attach(d);
    fill(d, IDENT_IN, 0x19);
    zero(d, IDENT_OUT);
    copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(holds(d, IDENT_OUT, 0x19));
    dmar_enable(d, ROOT_TABLE);
    dma_in(d, IOVA_C);
    assert_frcd(d, 0, IOVA_C, FR_READ, false);
    g_assert_cmphex(rd64(d, REG_FRCD(1) + 8), ==, 0);
    dmar_free(d);
}

/* ================= 2. translation ================= */

typedef struct XlateCase {
    const char *props;
    unsigned levels;
    uint64_t a, b;      /* IOVAs for the read and the write side */
} XlateCase;

static const XlateCase xlate_3 = {
    "", 3, 0x7612345000ull, 0x0abcdef000ull,
};
static const XlateCase xlate_4 = {
    "", 4, 0xfedc98765000ull, 0x00a987654000ull,
};
static const XlateCase xlate_5 = {
    "aw-bits=57", 5, 0x1a2b3c4d5e6f000ull, 0x0f0e0d0c0b0a000ull,
};

static void test_translate(const void *opaque)
{
    const XlateCase *x = opaque;
    Dmar *d = dmar_boot(x->props);
    uint8_t src[EDU_BUF_SIZE], dst[EDU_BUF_SIZE];

    tables_init(d, x->levels, 0);
    /* context-entry bits 6:3 of the upper word are ignored, not reserved */
    set_ctx(d, ctx_lo(d), ctx_hi(d) | 0x78);
    map(d, x->a, PAGE_P1, 1, PTE_R);
    map(d, x->a + 0x1000, PAGE_P3, 1, PTE_R);
    map(d, x->b, PAGE_P2, 1, PTE_W);
    /* bits 10 and 52..61 of a leaf are ignored too */
    map(d, x->b + 0x1000, PAGE_OUT, 1, PTE_RW | 1ull << 10 | 1ull << 52);
    fill(d, PAGE_P1 + 0x100, 0x11);
    zero(d, PAGE_P2 + 0x180);
    dmar_enable(d, ROOT_TABLE);

    copy(d, x->a + 0x100, x->b + 0x180);
    g_assert_true(holds(d, PAGE_P2 + 0x180, 0x11));
    copy(d, x->a + 0x100, x->b + 0x1000);
    g_assert_true(holds(d, PAGE_OUT, 0x11));

    /* a 4 KiB transfer that crosses into the next IOVA page */
    for (unsigned i = 0; i < sizeof(src); i++) {
        src[i] = i * 7 + (i >> 8);
    }
    qtest_memwrite(d->qts, PAGE_P1 + 0x800, src, 0x800);
    qtest_memwrite(d->qts, PAGE_P3, src + 0x800, 0x800);
    qtest_memset(d->qts, PAGE_P2, 0, 0x1000);
    edu_dma(d, x->a + 0x800, EDU_BUF, EDU_BUF_SIZE, false);
    edu_dma(d, EDU_BUF, x->b, EDU_BUF_SIZE, true);
    qtest_memread(d->qts, PAGE_P2, dst, sizeof(dst));
    g_assert_cmpmem(src, sizeof(src), dst, sizeof(dst));

    g_assert_cmphex(fsts(d), ==, 0);
    g_assert_cmphex(rd64(d, REG_FRCD(0) + 8), ==, 0);
    dmar_free(d);
}

static void test_translate_superpages(void)
{
    Dmar *d = dmar_boot("");
    const uint64_t iova_2m = 0x1234600000ull;   /* 2 MiB aligned */
    const uint64_t iova_1g = 0x4080000000ull;   /* 1 GiB aligned */

    tables_init(d, 4, 0);
    map(d, iova_2m, BIG_2M_A, 2, PTE_R);
    map(d, iova_1g, 0, 3, PTE_RW);              /* guest RAM 0..1G */
    fill(d, BIG_2M_A + 0x1a340, 0x44);
    fill(d, BIG_2M_A + 0x1f0040, 0x45);
    zero(d, PAGE_P2 + 0x40);
    zero(d, PAGE_OUT);
    dmar_enable(d, ROOT_TABLE);

    copy(d, iova_2m + 0x1a340, iova_1g + PAGE_P2 + 0x40);
    g_assert_true(holds(d, PAGE_P2 + 0x40, 0x44));
    /* other pages of the same large pages */
    copy(d, iova_2m + 0x1f0040, iova_1g + PAGE_OUT);
    g_assert_true(holds(d, PAGE_OUT, 0x45));
    copy(d, iova_1g + BIG_2M_A + 0x1a340, iova_1g + SCRATCH);
    g_assert_true(holds(d, SCRATCH, 0x44));
    g_assert_cmphex(fsts(d), ==, 0);
    dmar_free(d);
}

static void test_translate_te_off(void)
{
    Dmar *d = dmar_boot("");

    tables_init(d, 3, 0);
    map(d, IDENT_IN, PAGE_P1, 1, PTE_R);
    map(d, IDENT_OUT, PAGE_P2, 1, PTE_W);
    fill(d, IDENT_IN, 0x21);
    fill(d, PAGE_P1, 0x22);
    zero(d, IDENT_OUT);
    zero(d, PAGE_P2);

    /* root table set, translation not enabled: untranslated */
    wr64(d, REG_RTADDR, ROOT_TABLE);
    wr32(d, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_RTPS);
    copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(holds(d, IDENT_OUT, 0x21));
    g_assert_false(holds(d, PAGE_P2, 0x21));

    /* enabled: translated */
    zero(d, IDENT_OUT);
    wr32(d, REG_GCMD, GCMD_TE);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(holds(d, PAGE_P2, 0x22));
    g_assert_false(holds(d, IDENT_OUT, 0x22));

    /* disabled again */
    zero(d, PAGE_P2);
    wr32(d, REG_GCMD, 0);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_RTPS);
    copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(holds(d, IDENT_OUT, 0x21));
    g_assert_false(holds(d, PAGE_P2, 0x21));

    /* and on once more */
    zero(d, IDENT_OUT);
    wr32(d, REG_GCMD, GCMD_TE);
    copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(holds(d, PAGE_P2, 0x22));
    g_assert_false(holds(d, IDENT_OUT, 0x22));
    g_assert_cmphex(fsts(d), ==, 0);
    dmar_free(d);
}

static void test_translate_passthrough(void)
{
    Dmar *d = dmar_boot("");

    tables_init(d, 3, CTX_TT(TT_PASSTHROUGH));
    fill(d, IDENT_IN, 0x31);
    fill(d, PAGE_P1, 0x32);
    zero(d, IDENT_OUT);
    zero(d, PAGE_P2);
    dmar_enable(d, ROOT_TABLE);
    copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(holds(d, IDENT_OUT, 0x31));
    g_assert_cmphex(fsts(d), ==, 0);

    /* the same device switched to translation, after invalidation */
    map(d, IDENT_IN, PAGE_P1, 1, PTE_R);
    map(d, IDENT_OUT, PAGE_P2, 1, PTE_W);
    set_ctx(d, d->slpt | CTX_TT(TT_XLATE) | CTX_P, ctx_hi(d));
    g_assert_cmphex(CCMD_CAIG(ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL))), ==,
                    GRAN_GLOBAL);
    iotlb_inv(d, GRAN_GLOBAL, 0, 0);
    zero(d, IDENT_OUT);
    copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(holds(d, PAGE_P2, 0x32));
    g_assert_false(holds(d, IDENT_OUT, 0x32));

    /* and back to pass-through */
    set_ctx(d, d->slpt | CTX_TT(TT_PASSTHROUGH) | CTX_P, ctx_hi(d));
    ccmd_inv(d, CCMD_CIRG(GRAN_DEVICE) | CCMD_SID(EDU_SID) |
             CCMD_DID(DOMAIN));
    iotlb_inv(d, GRAN_DOMAIN, DOMAIN, 0);
    zero(d, PAGE_P2);
    copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(holds(d, IDENT_OUT, 0x31));
    g_assert_false(holds(d, PAGE_P2, 0x31));
    g_assert_cmphex(fsts(d), ==, 0);
    dmar_free(d);
}

#define ROOT_TABLE2     0x00110000ull
#define CTX_TABLE2      0x00111000ull

static void test_translate_srtp(void)
{
    Dmar *d = dmar_boot("");
    uint64_t slpt1;

    tables_init(d, 3, 0);
    slpt1 = d->slpt;
    map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    fill(d, PAGE_P1, 0xb1);
    fill(d, PAGE_P2, 0xb2);
    fill(d, IDENT_IN, 0xb3);

    /* a second root table: edu's context uses other tables */
    qtest_memset(d->qts, ROOT_TABLE2, 0, 0x1000);
    qtest_memset(d->qts, CTX_TABLE2, 0, 0x1000);
    d->slpt = table_new(d);
    map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    qtest_writeq(d->qts, ROOT_TABLE2, CTX_TABLE2 | ROOT_P);
    qtest_writeq(d->qts, CTX_TABLE2 + EDU_DEVFN * 16, d->slpt | CTX_P);
    qtest_writeq(d->qts, CTX_TABLE2 + EDU_DEVFN * 16 + 8,
                 CTX_AW(3) | CTX_DID(DOMAIN + 1));
    d->slpt = slpt1;

    dmar_enable(d, ROOT_TABLE);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0xb1));

    /* RTADDR alone changes nothing: the unit uses the latched pointer */
    wr64(d, REG_RTADDR, ROOT_TABLE2);
    ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    iotlb_inv(d, GRAN_GLOBAL, 0, 0);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0xb1));

    /* SRTP with TE kept set switches tables while translating */
    wr32(d, REG_GCMD, GCMD_TE | GCMD_SRTP);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    iotlb_inv(d, GRAN_GLOBAL, 0, 0);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0xb2));
    g_assert_cmphex(rd64(d, REG_RTADDR), ==, ROOT_TABLE2);

    /* GCMD carries TE in every write: SRTP alone turns translation off */
    wr32(d, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_RTPS);
    zero(d, IDENT_OUT);
    copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(holds(d, IDENT_OUT, 0xb3));
    g_assert_cmphex(fsts(d), ==, 0);
    dmar_free(d);
}

/* ================= 3. fault reasons ================= */

#define IOVA_F          0x00720080ull   /* identity-mapped RAM if leaked */
#define PAGE_T          0x00504000ull   /* what the good tables map it to */

typedef struct FaultEnv {
    uint64_t rta;
    uint64_t iova;
} FaultEnv;

typedef struct FaultCase {
    const char *name;
    const char *props;
    uint8_t fr;
    bool write;
    void (*setup)(Dmar *d, FaultEnv *e);
} FaultCase;

static void fc_root_absent(Dmar *d, FaultEnv *e)
{
    set_root(d, CTX_TABLE, 0);
}

static void fc_ctx_absent(Dmar *d, FaultEnv *e)
{
    set_ctx(d, ctx_lo(d) & ~CTX_P, ctx_hi(d));
}

static void fc_ctx_tt(Dmar *d, unsigned tt)
{
    set_ctx(d, (ctx_lo(d) & ~CTX_TT(3)) | CTX_TT(tt), ctx_hi(d));
}

static void fc_ctx_tt_reserved(Dmar *d, FaultEnv *e)
{
    fc_ctx_tt(d, TT_RESERVED);
}

static void fc_ctx_tt_devtlb(Dmar *d, FaultEnv *e)
{
    /* ECAP.DT = 0: device-TLB translation type is not supported */
    fc_ctx_tt(d, TT_DEVTLB);
}

static void fc_ctx_tt_passthrough(Dmar *d, FaultEnv *e)
{
    /* used with pt=off: ECAP.PT = 0 */
    fc_ctx_tt(d, TT_PASSTHROUGH);
}

static void fc_ctx_aw(Dmar *d, unsigned levels)
{
    set_ctx(d, ctx_lo(d), (ctx_hi(d) & ~7ull) | CTX_AW(levels));
}

static void fc_ctx_aw5(Dmar *d, FaultEnv *e)
{
    fc_ctx_aw(d, 5);            /* SAGAW = 0x6 has no 5-level tables */
}

static void fc_ctx_aw4(Dmar *d, FaultEnv *e)
{
    fc_ctx_aw(d, 4);            /* used with aw-bits=39: SAGAW = 0x2 */
}

static void fc_ctx_aw_reserved(Dmar *d, FaultEnv *e)
{
    set_ctx(d, ctx_lo(d), (ctx_hi(d) & ~7ull) | 7);
}

static void fc_beyond_aw(Dmar *d, FaultEnv *e)
{
    /* 3-level tables translate 39 bits */
    e->iova |= 1ull << 39;
}

static void fc_read_only(Dmar *d, FaultEnv *e)
{
    map(d, IOVA_F, PAGE_T, 1, PTE_R);
}

static void fc_write_only(Dmar *d, FaultEnv *e)
{
    map(d, IOVA_F, PAGE_T, 1, PTE_W);
}

static void fc_l3_absent(Dmar *d, FaultEnv *e)
{
    set_pte(d, IOVA_F, 3, 0);
}

static void fc_leaf_absent(Dmar *d, FaultEnv *e)
{
    set_pte(d, IOVA_F, 1, PAGE_T);
}

static void fc_leaf_absent_rsvd(Dmar *d, FaultEnv *e)
{
    /* R = W = 0: not present; reserved bits do not matter then */
    set_pte(d, IOVA_F, 1, PAGE_T | PTE_SNP | 1ull << 51);
}

static void fc_pte_no_ram(Dmar *d, FaultEnv *e)
{
    /* the level-3 entry points at a level-2 table where there is no RAM */
    set_pte(d, IOVA_F, 3, NO_RAM | PTE_RW);
}

static void fc_rta_no_ram(Dmar *d, FaultEnv *e)
{
    e->rta = NO_RAM;
}

static void fc_ctp_no_ram(Dmar *d, FaultEnv *e)
{
    set_root(d, NO_RAM | ROOT_P, 0);
}

static void fc_root_rsvd_lo(Dmar *d, FaultEnv *e)
{
    set_root(d, CTX_TABLE | ROOT_P | 1ull << 5, 0);
}

static void fc_root_rsvd_hi(Dmar *d, FaultEnv *e)
{
    set_root(d, CTX_TABLE | ROOT_P, 1);
}

static void fc_root_rsvd_haw(Dmar *d, FaultEnv *e)
{
    /* context-table pointer beyond the 48-bit host address width */
    set_root(d, CTX_TABLE | ROOT_P | 1ull << 50, 0);
}

static void fc_ctx_rsvd_lo(Dmar *d, FaultEnv *e)
{
    set_ctx(d, ctx_lo(d) | 1ull << 4, ctx_hi(d));
}

static void fc_ctx_rsvd_hi7(Dmar *d, FaultEnv *e)
{
    set_ctx(d, ctx_lo(d), ctx_hi(d) | 1ull << 7);
}

static void fc_ctx_rsvd_hi(Dmar *d, FaultEnv *e)
{
    set_ctx(d, ctx_lo(d), ctx_hi(d) | 1ull << 40);
}

static void fc_pte_snp(Dmar *d, FaultEnv *e)
{
    /* ECAP.SC = 0: SNP is reserved */
    map(d, IOVA_F, PAGE_T, 1, PTE_RW | PTE_SNP);
}

static void fc_pte_addr_haw(Dmar *d, FaultEnv *e)
{
    map(d, IOVA_F, PAGE_T | 1ull << 50, 1, PTE_RW);
}

static void fc_table_addr_haw(Dmar *d, FaultEnv *e)
{
    uint64_t slot = pte_slot(d, IOVA_F, 2);

    qtest_writeq(d->qts, slot, qtest_readq(d->qts, slot) | 1ull << 49);
}

static void fc_pte_ps_l4(Dmar *d, FaultEnv *e)
{
    tables_init(d, 4, 0);
    set_pte(d, IOVA_F, 4, PTE_PS | PTE_RW);
}

static void fc_pte_2m_unaligned(Dmar *d, FaultEnv *e)
{
    map(d, IOVA_F, BIG_2M_A | 0x1000, 2, PTE_RW);
}

static void fc_nonleaf_read_only(Dmar *d, FaultEnv *e)
{
    uint64_t slot = pte_slot(d, IOVA_F, 3);

    /* permissions are the intersection over all levels */
    qtest_writeq(d->qts, slot, qtest_readq(d->qts, slot) & ~PTE_W);
}

static void fc_nonleaf_write_only(Dmar *d, FaultEnv *e)
{
    uint64_t slot = pte_slot(d, IOVA_F, 2);

    qtest_writeq(d->qts, slot, qtest_readq(d->qts, slot) & ~PTE_R);
}

static void fc_rta_mmio(Dmar *d, FaultEnv *e)
{
    /* the unit's own registers are no root table */
    e->rta = DMAR_BASE;
}

static void fc_ctp_mmio(Dmar *d, FaultEnv *e)
{
    set_root(d, DMAR_BASE | ROOT_P, 0);
}

static const FaultCase fault_cases[] = {
    { "root-not-present", "", FR_ROOT_NP, true, fc_root_absent },
    { "ctx-not-present", "", FR_CTX_NP, false, fc_ctx_absent },
    { "ctx-tt-reserved", "", FR_CTX_INV, true, fc_ctx_tt_reserved },
    { "ctx-tt-devtlb", "", FR_CTX_INV, false, fc_ctx_tt_devtlb },
    { "ctx-tt-pt-off", "pt=off", FR_CTX_INV, true, fc_ctx_tt_passthrough },
    { "ctx-aw-5level", "", FR_CTX_INV, false, fc_ctx_aw5 },
    { "ctx-aw-4level-aw39", "aw-bits=39", FR_CTX_INV, true, fc_ctx_aw4 },
    { "ctx-aw-reserved", "", FR_CTX_INV, true, fc_ctx_aw_reserved },
    { "addr-beyond-aw", "", FR_BEYOND_AW, true, fc_beyond_aw },
    { "addr-beyond-aw-read", "", FR_BEYOND_AW, false, fc_beyond_aw },
    { "write-read-only", "", FR_WRITE, true, fc_read_only },
    { "write-not-present", "", FR_WRITE, true, fc_l3_absent },
    { "write-nonleaf-read-only", "", FR_WRITE, true, fc_nonleaf_read_only },
    { "read-write-only", "", FR_READ, false, fc_write_only },
    { "read-not-present", "", FR_READ, false, fc_leaf_absent },
    { "read-not-present-rsvd", "", FR_READ, false, fc_leaf_absent_rsvd },
    { "read-nonleaf-write-only", "", FR_READ, false, fc_nonleaf_write_only },
    { "pte-read-error", "", FR_PTE_ACCESS, false, fc_pte_no_ram },
    { "pte-read-error-write", "", FR_PTE_ACCESS, true, fc_pte_no_ram },
    { "root-read-error", "", FR_ROOT_ACCESS, true, fc_rta_no_ram },
    { "root-table-at-mmio", "", FR_ROOT_ACCESS, false, fc_rta_mmio },
    { "ctx-read-error", "", FR_CTX_ACCESS, false, fc_ctp_no_ram },
    { "ctx-table-at-mmio", "", FR_CTX_ACCESS, true, fc_ctp_mmio },
    { "root-rsvd-lo", "", FR_ROOT_RSVD, true, fc_root_rsvd_lo },
    { "root-rsvd-hi", "", FR_ROOT_RSVD, false, fc_root_rsvd_hi },
    { "root-rsvd-haw", "", FR_ROOT_RSVD, false, fc_root_rsvd_haw },
    { "ctx-rsvd-lo", "", FR_CTX_RSVD, false, fc_ctx_rsvd_lo },
    { "ctx-rsvd-hi-bit7", "", FR_CTX_RSVD, true, fc_ctx_rsvd_hi7 },
    { "ctx-rsvd-hi", "", FR_CTX_RSVD, false, fc_ctx_rsvd_hi },
    { "pte-rsvd-snp", "", FR_PTE_RSVD, true, fc_pte_snp },
    { "pte-rsvd-addr", "", FR_PTE_RSVD, false, fc_pte_addr_haw },
    { "pte-rsvd-table-addr", "", FR_PTE_RSVD, true, fc_table_addr_haw },
    { "pte-rsvd-ps-level4", "", FR_PTE_RSVD, true, fc_pte_ps_l4 },
    { "pte-rsvd-2m-unaligned", "", FR_PTE_RSVD, false,
      fc_pte_2m_unaligned },
};

/*
 * Set up good tables (IOVA_F -> PAGE_T, read/write), break them as the
 * case says, do one DMA, and check the record, the status and that the
 * DMA moved no data.
 */
static Dmar *fault_run(const FaultCase *fc, FaultEnv *e, uint8_t *t_seed,
                       uint8_t *id_seed)
{
    Dmar *d = dmar_boot(fc->props);

    /* a known edu buffer, loaded while DMA is untranslated */
    fill(d, SCRATCH, 0x3a);
    dma_in(d, SCRATCH);

    e->rta = ROOT_TABLE;
    e->iova = IOVA_F;
    tables_init(d, 3, 0);
    map(d, IOVA_F, PAGE_T, 1, PTE_RW);
    fc->setup(d, e);

    *t_seed = fc->write ? 0x5c : 0x6d;
    *id_seed = fc->write ? 0x5c : 0x7e;
    fill(d, PAGE_T + (IOVA_F & 0xfff), *t_seed);
    fill(d, IOVA_F, *id_seed);
    dmar_enable(d, e->rta);
    if (fc->write) {
        dma_out(d, e->iova);
    } else {
        dma_in(d, e->iova);
    }
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    return d;
}

static void fault_check_no_data(Dmar *d, const FaultCase *fc,
                                uint8_t t_seed, uint8_t id_seed)
{
    /* a blocked write changed nothing... */
    g_assert_true(holds(d, PAGE_T + (IOVA_F & 0xfff), t_seed));
    g_assert_true(holds(d, IOVA_F, id_seed));
    if (!fc->write) {
        /* ...and a blocked read brought edu nothing: look untranslated */
        wr32(d, REG_GCMD, 0);
        dma_out(d, SCRATCH);
        g_assert_false(holds(d, SCRATCH, t_seed));
        g_assert_false(holds(d, SCRATCH, id_seed));
    }
}

static void test_fault(const void *opaque)
{
    const FaultCase *fc = opaque;
    FaultEnv e;
    uint8_t t_seed, id_seed;
    Dmar *d = fault_run(fc, &e, &t_seed, &id_seed);

    assert_frcd(d, 0, e.iova, fc->fr, fc->write);
    /* edu's transfer is several bus transactions: one record */
    g_assert_cmphex(rd64(d, REG_FRCD(1) + 8), ==, 0);
    fault_check_no_data(d, fc, t_seed, id_seed);
    dmar_free(d);
}

static void fc_slptptr_no_ram(Dmar *d, FaultEnv *e)
{
    set_ctx(d, NO_RAM | CTX_P, ctx_hi(d));
}

/*
 * VT-d appendix "Fault Reason Encodings", 3h: "... hardware attempt to
 * access the second-level paging entry referenced through the SLPTPTR
 * field resulted in an error" (7h is for entries referenced through a
 * paging entry's ADDR field).
 */
static void test_fault_slptptr(void)
{
    static const FaultCase fc = {
        "slptptr-read-error", "", FR_CTX_INV, false, fc_slptptr_no_ram,
    };
    FaultEnv e;
    uint8_t t_seed, id_seed;
    Dmar *d = fault_run(&fc, &e, &t_seed, &id_seed);
    uint64_t hi = rd64(d, REG_FRCD(0) + 8);

    g_assert_cmphex(rd64(d, REG_FRCD(0)), ==, IOVA_F & ~0xfffull);
    g_assert_cmphex(hi & ~FRCD_FR(0xff), ==, FRCD_F | FRCD_T1 | EDU_SID);
    fault_check_no_data(d, &fc, t_seed, id_seed);
    assert_frcd(d, 0, IOVA_F, FR_CTX_INV, false);
    dmar_free(d);
}

/*
 * Pass-through requests are checked against the address width too
 * (fault reason 4h, X = MGAW for TT = 10b); the unit's walk code does
 * so (translate_passthrough), this checks that DMA actually sees it.
 */
static void test_fault_passthrough_beyond(void)
{
    Dmar *d = dmar_boot("");
    const uint64_t iova = IDENT_IN | 1ull << 50;

    tables_init(d, 4, CTX_TT(TT_PASSTHROUGH));  /* AW: largest AGAW */
    dmar_enable(d, ROOT_TABLE);
    dma_in(d, iova);
    assert_frcd(d, 0, iova, FR_BEYOND_AW, false);
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    dmar_free(d);
}

/* ================= 4. fault record overflow, RW1C ================= */

#define OV_IOVA(n)      (0x10000000ull + (n) * 0x1000ull)

static void ov_fault(Dmar *d, unsigned n)
{
    dma_in(d, OV_IOVA(n));      /* nothing is mapped: read fault 0x6 */
}

static void assert_ov(Dmar *d, unsigned i, unsigned n)
{
    assert_frcd(d, i, OV_IOVA(n), FR_READ, false);
}

static void test_fault_overflow(void)
{
    Dmar *d = dmar_boot("nfr=3");

    g_assert_cmphex((rd64(d, REG_CAP) >> 40) & 0xff, ==, 2);
    tables_init(d, 3, 0);
    dmar_enable(d, ROOT_TABLE);

    ov_fault(d, 0);
    assert_ov(d, 0, 0);
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(0));

    /* F is RW1C: writing 0 to it, or writing the lower half, keeps it */
    wr32(d, REG_FRCD(0) + 12, 0x7fffffff);
    wr32(d, REG_FRCD(0) + 8, ~0u);
    wr64(d, REG_FRCD(0), ~0ull);
    assert_ov(d, 0, 0);
    /* PPF and FRI are read-only */
    wr32(d, REG_FSTS, FSTS_PPF | FSTS_FRI(2));
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    frcd_clear(d, 0);
    g_assert_cmphex(rd64(d, REG_FRCD(0) + 8) & FRCD_F, ==, 0);
    g_assert_cmphex(fsts(d), ==, 0);

    /* recording goes on at the next index; FRI names the first pending */
    ov_fault(d, 1);
    assert_ov(d, 1, 1);
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(1));
    ov_fault(d, 2);
    assert_ov(d, 2, 2);
    /* the same fault while still pending is not recorded again */
    ov_fault(d, 2);
    g_assert_cmphex(rd64(d, REG_FRCD(0) + 8) & FRCD_F, ==, 0);
    ov_fault(d, 3);                             /* wraps to FRCD[0] */
    assert_ov(d, 0, 3);
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(1));

    /* FRCD[1] is still pending: overflow, and nothing more is recorded */
    ov_fault(d, 4);
    g_assert_cmphex(fsts(d), ==,
                    FSTS_PFO | FSTS_PPF | FSTS_FRI(1));
    ov_fault(d, 5);
    assert_ov(d, 0, 3);
    assert_ov(d, 1, 1);
    assert_ov(d, 2, 2);
    g_assert_cmphex(fsts(d), ==,
                    FSTS_PFO | FSTS_PPF | FSTS_FRI(1));

    /* PFO is RW1C; with the records still full the next fault overflows */
    wr32(d, REG_FSTS, 0);
    g_assert_cmphex(fsts(d) & FSTS_PFO, ==, FSTS_PFO);
    wr32(d, REG_FSTS, FSTS_PFO);
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(1));
    ov_fault(d, 6);
    g_assert_cmphex(fsts(d), ==,
                    FSTS_PFO | FSTS_PPF | FSTS_FRI(1));
    assert_ov(d, 1, 1);

    /* clear everything: recording resumes at the next index, FRCD[1] */
    for (unsigned i = 0; i < 3; i++) {
        frcd_clear(d, i);
    }
    g_assert_cmphex(fsts(d), ==, FSTS_PFO);
    wr32(d, REG_FSTS, FSTS_PFO);
    g_assert_cmphex(fsts(d), ==, 0);
    ov_fault(d, 7);
    assert_ov(d, 1, 7);
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(1));
    g_assert_cmphex(rd64(d, REG_FRCD(0) + 8) & FRCD_F, ==, 0);
    g_assert_cmphex(rd64(d, REG_FRCD(2) + 8) & FRCD_F, ==, 0);
    ov_fault(d, 8);
    assert_ov(d, 2, 8);
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(1));
    dmar_free(d);
}

/* ================= 5. fault processing disable ================= */

static void test_fault_fpd(void)
{
    Dmar *d = dmar_boot("");

    tables_init(d, 3, CTX_FPD);
    map(d, IOVA_B, PAGE_P2, 1, PTE_R);
    fill(d, PAGE_P2, 0x51);
    dmar_enable(d, ROOT_TABLE);

    /* qualified faults are not recorded */
    dma_in(d, IOVA_A);                          /* 0x6, not present */
    dma_out(d, IOVA_B);                         /* 0x5, read-only */
    dma_in(d, IOVA_A | 1ull << 40);             /* 0x4 */
    g_assert_cmphex(fsts(d), ==, 0);
    g_assert_cmphex(rd64(d, REG_FRCD(0) + 8), ==, 0);
    g_assert_true(holds(d, PAGE_P2, 0x51));

    /* context not present (0x2) with FPD = 1: qualified too */
    set_ctx(d, CTX_FPD | d->slpt, ctx_hi(d));
    ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    iotlb_inv(d, GRAN_GLOBAL, 0, 0);
    dma_in(d, IOVA_C);
    g_assert_cmphex(fsts(d), ==, 0);
    g_assert_cmphex(rd64(d, REG_FRCD(0) + 8), ==, 0);

    /* a reserved context bit (0xb) is not a qualified fault */
    set_ctx(d, CTX_FPD | CTX_P | 1ull << 4 | d->slpt, ctx_hi(d));
    ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    dma_in(d, IOVA_A);
    assert_frcd(d, 0, IOVA_A, FR_CTX_RSVD, false);

    /* nor is a root entry that is not present */
    set_ctx(d, CTX_FPD | CTX_P | d->slpt, ctx_hi(d));
    set_root(d, CTX_TABLE, 0);
    ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    dma_out(d, IOVA_B);
    assert_frcd(d, 1, IOVA_B, FR_ROOT_NP, true);
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    g_assert_true(holds(d, PAGE_P2, 0x51));
    dmar_free(d);
}

/* ================= 6. register-based invalidation ================= */

typedef struct InvCase {
    unsigned gran;
} InvCase;

static const InvCase inv_page = { GRAN_PAGE };
static const InvCase inv_domain = { GRAN_DOMAIN };
static const InvCase inv_global = { GRAN_GLOBAL };

/* Invalidate what covers IOVA with the case's granularity */
static void inv_for(Dmar *d, const InvCase *c, uint64_t iova, unsigned am)
{
    uint64_t v = iotlb_inv(d, c->gran, DOMAIN, iova | IVA_AM(am));

    g_assert_cmphex(IOTLB_IAIG(v), ==, c->gran);
    g_assert_cmphex((v >> 32) & 0xffff, ==, DOMAIN);
}

static void test_invalidate_iotlb(const void *opaque)
{
    const InvCase *c = opaque;
    Dmar *d = dmar_boot("");
    const uint64_t region = 0x20000000ull;      /* 2 MiB aligned */
    const uint64_t big = 0x30000000ull;         /* one 2 MiB page */

    tables_init(d, 3, 0);
    map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    map(d, region + 0x5000, PAGE_P1, 1, PTE_R);
    map(d, big, BIG_2M_A, 2, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    fill(d, PAGE_P1, 0x61);
    fill(d, PAGE_P2, 0x62);
    fill(d, BIG_2M_A + 0x3040, 0x63);
    fill(d, BIG_2M_B + 0x3040, 0x64);
    dmar_enable(d, ROOT_TABLE);

    /* a 4 KiB page */
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x61));
    map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    copy(d, IOVA_A, IOVA_B);                    /* old or new: either */
    inv_for(d, c, IOVA_A, 0);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x62));

    /* a page inside a 2 MiB range (AM = 9) */
    copy(d, region + 0x5000, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x61));
    map(d, region + 0x5000, PAGE_P2, 1, PTE_R);
    inv_for(d, c, region, 9);
    copy(d, region + 0x5000, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x62));

    /* a 2 MiB page, invalidated through one of its 4 KiB pages */
    copy(d, big + 0x3040, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x63));
    map(d, big, BIG_2M_B, 2, PTE_R);
    inv_for(d, c, big + 0x3000, 0);
    copy(d, big + 0x3040, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x64));

    /* the mapping of the write side was never changed */
    g_assert_cmphex(fsts(d), ==, 0);
    dmar_free(d);
}

static void test_invalidate_iotlb_granularity(void)
{
    Dmar *d = dmar_boot("");
    uint64_t v;

    tables_init(d, 3, 0);
    map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    fill(d, PAGE_P1, 0x71);
    fill(d, PAGE_P2, 0x72);
    dmar_enable(d, ROOT_TABLE);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x71));

    /* AM above MAMV (18): done, and reported, as domain-selective */
    map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    v = iotlb_inv(d, GRAN_PAGE, DOMAIN, IVA_AM(19));
    g_assert_cmphex(IOTLB_IAIG(v), ==, GRAN_DOMAIN);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x72));

    /* AM = MAMV is still page-selective */
    v = iotlb_inv(d, GRAN_PAGE, DOMAIN, IVA_AM(18));
    g_assert_cmphex(IOTLB_IAIG(v), ==, GRAN_PAGE);

    /* IIRG = 0 is invalid: IAIG = 0 */
    wr64(d, REG_IOTLB, IOTLB_IVT | IOTLB_DID(DOMAIN));
    v = rd64(d, REG_IOTLB);
    g_assert_cmphex(v & IOTLB_IVT, ==, 0);
    g_assert_cmphex(IOTLB_IAIG(v), ==, 0);

    /* the 32-bit halves: the command goes with the upper one */
    wr64(d, REG_IVA, IOVA_A);
    wr32(d, REG_IOTLB, 0);
    wr32(d, REG_IOTLB + 4, (IOTLB_IVT | IOTLB_IIRG(GRAN_GLOBAL)) >> 32);
    v = rd64(d, REG_IOTLB);
    g_assert_cmphex(v & IOTLB_IVT, ==, 0);
    g_assert_cmphex(IOTLB_IAIG(v), ==, GRAN_GLOBAL);
    g_assert_cmphex(fsts(d), ==, 0);
    dmar_free(d);
}

static void test_invalidate_context(void)
{
    Dmar *d = dmar_boot("");
    uint64_t v, slpt1, slpt2;

    tables_init(d, 3, 0);
    slpt1 = d->slpt;
    map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    map(d, IOVA_C, PAGE_P1, 1, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    fill(d, PAGE_P1, 0x81);
    fill(d, PAGE_P2, 0x82);
    dmar_enable(d, ROOT_TABLE);

    /* granularities as reported in CAIG */
    v = ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_GLOBAL);
    v = ccmd_inv(d, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DOMAIN);
    v = ccmd_inv(d, CCMD_CIRG(GRAN_DEVICE) | CCMD_SID(EDU_SID) |
                 CCMD_DID(DOMAIN));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DEVICE);
    v = ccmd_inv(d, CCMD_CIRG(0));
    g_assert_cmphex(CCMD_CAIG(v), ==, 0);

    /* context cached; then made not present, device-selective flush */
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x81));
    set_ctx(d, ctx_lo(d) & ~CTX_P, ctx_hi(d));
    wr32(d, REG_CCMD, CCMD_SID(EDU_SID) | CCMD_DID(DOMAIN));
    wr32(d, REG_CCMD + 4, (CCMD_ICC | CCMD_CIRG(GRAN_DEVICE)) >> 32);
    v = rd64(d, REG_CCMD);
    g_assert_cmphex(v & CCMD_ICC, ==, 0);
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DEVICE);
    /* a page the IOTLB never saw needs the context: it is gone */
    dma_in(d, IOVA_C);
    assert_frcd(d, 0, IOVA_C, FR_CTX_NP, false);
    /* and with the IOTLB flushed too (as VT-d 6.5 asks), every page */
    iotlb_inv(d, GRAN_DOMAIN, DOMAIN, 0);
    zero(d, PAGE_OUT);
    dma_out(d, IOVA_B);
    assert_frcd(d, 1, IOVA_B, FR_CTX_NP, true);
    g_assert_false(holds(d, PAGE_OUT, 0x81));

    /* not-present entries are not cached (CM = 0): no flush needed */
    set_ctx(d, ctx_lo(d) | CTX_P, ctx_hi(d));
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x81));
    g_assert_cmphex(rd64(d, REG_FRCD(2) + 8), ==, 0);

    /* device-selective with FM = 3: 00:04.7 names every function of 04 */
    set_ctx(d, ctx_lo(d) & ~CTX_P, ctx_hi(d));
    v = ccmd_inv(d, CCMD_CIRG(GRAN_DEVICE) | CCMD_FM(3) |
                 CCMD_SID(EDU_SID | 7) | CCMD_DID(DOMAIN));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DEVICE);
    dma_in(d, IOVA_C + 0x1000);     /* a new page: no collapsing */
    assert_frcd(d, 2, IOVA_C + 0x1000, FR_CTX_NP, false);
    set_ctx(d, ctx_lo(d) | CTX_P, ctx_hi(d));

    /* new second-level tables for the domain, domain-selective flush */
    slpt2 = d->slpt = table_new(d);
    map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    set_ctx(d, slpt2 | CTX_P, ctx_hi(d));
    g_assert_cmphex(slpt1, !=, slpt2);
    v = ccmd_inv(d, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DOMAIN);
    iotlb_inv(d, GRAN_DOMAIN, DOMAIN, 0);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x82));
    g_assert_cmphex(rd64(d, REG_FRCD(3) + 8), ==, 0);
    dmar_free(d);
}

/* ================= 7. fault event ================= */

static uint32_t fe_msg(Dmar *d)
{
    return qtest_readl(d->qts, FE_MSG);
}

static void test_fault_event(void)
{
    Dmar *d = dmar_boot("");

    tables_init(d, 3, 0);                       /* nothing mapped */
    wr32(d, REG_FEDATA, 0xdead4321);
    wr32(d, REG_FEADDR, FE_MSG | 3);
    wr32(d, REG_FEUADDR, 0);
    wr32(d, REG_FECTL, 0);
    g_assert_cmphex(rd32(d, REG_FEDATA), ==, 0x4321);
    g_assert_cmphex(rd32(d, REG_FEADDR), ==, FE_MSG);
    qtest_writel(d->qts, FE_MSG, 0);
    dmar_enable(d, ROOT_TABLE);

    /* unmasked: the message goes out at once and IP stays clear */
    dma_in(d, OV_IOVA(0));
    g_assert_cmphex(fe_msg(d), ==, 0x4321);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, 0);

    /* PPF still set: a new fault is recorded but sends nothing */
    qtest_writel(d->qts, FE_MSG, 0xffffffff);
    dma_in(d, OV_IOVA(1));
    assert_ov(d, 1, 1);
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, 0);

    /* masked: IP is set and held until IM is cleared */
    frcd_clear(d, 0);
    frcd_clear(d, 1);
    g_assert_cmphex(fsts(d), ==, 0);
    wr32(d, REG_FECTL, FECTL_IM);
    dma_in(d, OV_IOVA(2));
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    /* IP is read-only */
    wr32(d, REG_FECTL, FECTL_IM);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    wr32(d, REG_FECTL, 0);
    g_assert_cmphex(fe_msg(d), ==, 0x4321);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, 0);
    /* unmasking again sends nothing more */
    qtest_writel(d->qts, FE_MSG, 0xffffffff);
    wr32(d, REG_FECTL, FECTL_IM);
    wr32(d, REG_FECTL, 0);
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);

    /* masked, then software services everything: IP clears, no message */
    frcd_clear(d, 2);
    wr32(d, REG_FECTL, FECTL_IM);
    dma_in(d, OV_IOVA(3));
    assert_ov(d, 3, 3);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    frcd_clear(d, 3);
    g_assert_cmphex(fsts(d), ==, 0);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM);
    wr32(d, REG_FECTL, 0);
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);

    /* a new fault with new data */
    wr32(d, REG_FEDATA, 0x0bad);
    dma_out(d, OV_IOVA(4));
    assert_frcd(d, 4, OV_IOVA(4), FR_WRITE, true);
    g_assert_cmphex(fe_msg(d), ==, 0x0bad);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, 0);
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(4));
    dmar_free(d);
}

/* PFO is an interrupt condition too: IP waits for it to be cleared */
static void test_fault_event_overflow(void)
{
    Dmar *d = dmar_boot("nfr=1");

    tables_init(d, 3, 0);
    wr32(d, REG_FEDATA, 0x77);
    wr32(d, REG_FEADDR, FE_MSG);
    wr32(d, REG_FECTL, 0);
    dmar_enable(d, ROOT_TABLE);

    qtest_writel(d->qts, FE_MSG, 0);
    ov_fault(d, 0);
    g_assert_cmphex(fe_msg(d), ==, 0x77);
    qtest_writel(d->qts, FE_MSG, 0xffffffff);
    ov_fault(d, 1);
    g_assert_cmphex(fsts(d), ==, FSTS_PFO | FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);
    /* PFO still set: a fault is dropped even with the record free */
    frcd_clear(d, 0);
    g_assert_cmphex(fsts(d), ==, FSTS_PFO);
    ov_fault(d, 2);
    g_assert_cmphex(rd64(d, REG_FRCD(0) + 8) & FRCD_F, ==, 0);
    g_assert_cmphex(fsts(d), ==, FSTS_PFO);
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);
    /* nothing pending any more: the next fault is an event again */
    wr32(d, REG_FSTS, FSTS_PFO);
    ov_fault(d, 3);
    assert_ov(d, 0, 3);
    g_assert_cmphex(fe_msg(d), ==, 0x77);

    /* masked: clearing F leaves IP set while PFO is still set */
    frcd_clear(d, 0);
    wr32(d, REG_FECTL, FECTL_IM);
    qtest_writel(d->qts, FE_MSG, 0xffffffff);
    ov_fault(d, 4);
    ov_fault(d, 5);
    g_assert_cmphex(fsts(d), ==, FSTS_PFO | FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    frcd_clear(d, 0);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    wr32(d, REG_FSTS, FSTS_PFO);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM);
    wr32(d, REG_FECTL, 0);
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);
    dmar_free(d);
}

/* ================= 8. migration ================= */

static void wait_migration_done(QTestState *qts)
{
    for (;;) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-migrate' }");
        QDict *ret = qdict_get_qdict(rsp, "return");
        const char *st = ret ? qdict_get_try_str(ret, "status") : NULL;
        bool done = st && !strcmp(st, "completed");

        g_assert_nonnull(st);
        g_assert_cmpstr(st, !=, "failed");
        qobject_unref(rsp);
        if (done) {
            return;
        }
        g_usleep(10 * 1000);
    }
}

static void test_migration(void)
{
    Dmar *src = dmar_boot("");
    Dmar *dst = g_new0(Dmar, 1);
    uint32_t before[SNAP_WORDS], after[SNAP_WORDS];
    g_autofree char *path = g_strdup_printf("%s/vtd-dmar-test-%d.sock",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("unix:%s", path);

    tables_init(src, 4, 0);
    map(src, IOVA_A, PAGE_P1, 1, PTE_R);
    map(src, IOVA_B, PAGE_P2, 1, PTE_W);
    fill(src, PAGE_P1, 0x91);
    zero(src, PAGE_P2);
    wr32(src, REG_FEDATA, 0x1357);
    wr32(src, REG_FEADDR, FE_MSG);
    wr32(src, REG_FECTL, FECTL_IM);
    dmar_enable(src, ROOT_TABLE);
    dma_in(src, IOVA_C);                        /* FRCD[0], IP */
    wr64(src, REG_IVA, IOVA_A | IVA_AM(2));
    snapshot(src, before);
    g_assert_cmphex(before[REG_FECTL / 4], ==, FECTL_IM | FECTL_IP);

    dst->qts = qtest_initf("-M q35 -device vtd-dmar %s -incoming defer",
                           edu_args(false));
    dst->pool = src->pool;
    qtest_qmp_assert_success(dst->qts, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s } }", uri);
    qtest_qmp_assert_success(src->qts, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    wait_migration_done(src->qts);
    qtest_qmp_eventwait(dst->qts, "RESUME");
    unlink(path);

    snapshot(dst, after);
    assert_same_regs(before, after);
    g_assert_cmphex(rd64(dst, REG_IVA), ==, IOVA_A | IVA_AM(2));

    /* the destination translates through the migrated tables */
    edu_attach(dst);
    copy(dst, IOVA_A, IOVA_B);
    g_assert_true(holds(dst, PAGE_P2, 0x91));
    /* the next fault goes to the next record; the event stays pending */
    dma_out(dst, IOVA_A);
    assert_frcd(dst, 1, IOVA_A, FR_WRITE, true);
    assert_frcd(dst, 0, IOVA_C, FR_READ, false);
    g_assert_cmphex(fsts(dst), ==, FSTS_PPF | FSTS_FRI(0));
    qtest_writel(dst->qts, FE_MSG, 0);
    wr32(dst, REG_FECTL, 0);
    g_assert_cmphex(qtest_readl(dst->qts, FE_MSG), ==, 0x1357);

    dmar_free(dst);
    dmar_free(src);
}

/* ================= 9. a 32-bit device reaching above 4 GiB ============ */

static void test_above_4g(void)
{
    Dmar *d = dmar_boot_full("", "-m 5G", true);
    const uint64_t high = 0x100010000ull;
    const uint64_t high_msg = 0x100020000ull;
    uint8_t want[XFER], got[XFER];

    tables_init(d, 3, 0);
    map(d, 0x00345000, high, 1, PTE_W);
    map(d, 0x00346000, PAGE_P1, 1, PTE_R);
    fill(d, PAGE_P1 + 0x40, 0xa1);
    qtest_memset(d->qts, high, 0, 0x1000);
    wr32(d, REG_FEDATA, 0x5a5a);
    wr32(d, REG_FEADDR, high_msg & 0xffffffff);
    wr32(d, REG_FEUADDR, high_msg >> 32);
    wr32(d, REG_FECTL, 0);
    qtest_writel(d->qts, high_msg, 0);
    dmar_enable(d, ROOT_TABLE);

    copy(d, 0x00346040, 0x00345040);
    pattern(want, sizeof(want), 0xa1);
    qtest_memread(d->qts, high + 0x40, got, sizeof(got));
    g_assert_cmpmem(want, sizeof(want), got, sizeof(got));
    g_assert_cmphex(fsts(d), ==, 0);

    /* the fault event goes above 4 GiB too */
    dma_in(d, 0x00347000);
    assert_frcd(d, 0, 0x00347000, FR_READ, false);
    g_assert_cmphex(qtest_readl(d->qts, high_msg), ==, 0x5a5a);
    dmar_free(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/vtd-dmar/reset-values", test_reset_values);
    qtest_add_func("/vtd-dmar/regs/cap-props", test_cap_props);
    qtest_add_func("/vtd-dmar/regs/access", test_regs_access);
    qtest_add_func("/vtd-dmar/regs/fectl-reset", test_fectl_reset);
    qtest_add_func("/vtd-dmar/regs/system-reset", test_system_reset);

    qtest_add_data_func("/vtd-dmar/translate/3-level", &xlate_3,
                        test_translate);
    qtest_add_data_func("/vtd-dmar/translate/4-level", &xlate_4,
                        test_translate);
    qtest_add_data_func("/vtd-dmar/translate/5-level", &xlate_5,
                        test_translate);
    qtest_add_func("/vtd-dmar/translate/superpages",
                   test_translate_superpages);
    qtest_add_func("/vtd-dmar/translate/te-off", test_translate_te_off);
    qtest_add_func("/vtd-dmar/translate/passthrough",
                   test_translate_passthrough);
    qtest_add_func("/vtd-dmar/translate/srtp", test_translate_srtp);
    qtest_add_func("/vtd-dmar/translate/above-4g", test_above_4g);

    for (unsigned i = 0; i < ARRAY_SIZE(fault_cases); i++) {
        g_autofree char *path = g_strdup_printf("/vtd-dmar/fault/%s",
                                                fault_cases[i].name);

        qtest_add_data_func(path, &fault_cases[i], test_fault);
    }
    qtest_add_func("/vtd-dmar/fault/slptptr-read-error", test_fault_slptptr);
    qtest_add_func("/vtd-dmar/fault/overflow", test_fault_overflow);
    qtest_add_func("/vtd-dmar/fault/fpd", test_fault_fpd);
    qtest_add_func("/vtd-dmar/fault/passthrough-beyond-mgaw",
                   test_fault_passthrough_beyond);
    qtest_add_func("/vtd-dmar/fault/event", test_fault_event);
    qtest_add_func("/vtd-dmar/fault/event-overflow",
                   test_fault_event_overflow);

    qtest_add_data_func("/vtd-dmar/invalidate/iotlb-page", &inv_page,
                        test_invalidate_iotlb);
    qtest_add_data_func("/vtd-dmar/invalidate/iotlb-domain", &inv_domain,
                        test_invalidate_iotlb);
    qtest_add_data_func("/vtd-dmar/invalidate/iotlb-global", &inv_global,
                        test_invalidate_iotlb);
    qtest_add_func("/vtd-dmar/invalidate/iotlb-granularity",
                   test_invalidate_iotlb_granularity);
    qtest_add_func("/vtd-dmar/invalidate/context", test_invalidate_context);

    qtest_add_func("/vtd-dmar/migration", test_migration);

    return g_test_run();
}
