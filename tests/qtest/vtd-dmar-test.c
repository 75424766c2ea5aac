/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for the vtd-dmar VT-d remapping unit: registers, translation
 * through tables built in guest RAM, faults, invalidation, migration.
 *
 * No firmware runs under the qtest accelerator, so guest RAM is ours:
 * the test writes root, context and second-level tables there and lets
 * the edu device at 00:04.0 (source-id 0x0020) do DMA through the unit.
 * Data always travels RAM -> edu buffer -> RAM, so where it lands shows
 * which translation the unit used. Queued invalidation is driven the
 * same way: descriptors written to a queue in guest RAM, wait
 * descriptors' status writes and event messages read back from RAM.
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
#define GCMD_QIE        (1u << 26)
/* Commands this unit does not offer: CFI, SIRTP, IRE, WBF, EAFL, SFL */
#define GCMD_UNOFFERED  0x3b800000u
#define GSTS_TES        (1u << 31)
#define GSTS_RTPS       (1u << 30)
#define GSTS_QIES       (1u << 26)

#define ECAP_QI         (1ull << 1)

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
    uint64_t iq_base;   /* the invalidation queue, as software set it up */
    unsigned iq_entries;
    unsigned iq_tail;   /* where software writes the next descriptor */
    uint32_t iq_seq;    /* makes every qi_sync() status value new */
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
           ECAP_QI |
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

/* ---- queued invalidation (VT-d 6.5.2) ---- */

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
static void qi_enable(Dmar *d, uint64_t base, unsigned qs)
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

static void qi_put(Dmar *d, unsigned idx, uint64_t lo, uint64_t hi)
{
    uint64_t a = d->iq_base + idx * 16ull;

    qtest_writeq(d->qts, a, lo);
    qtest_writeq(d->qts, a + 8, hi);
}

/* Write a descriptor at the software tail (IQT is not written yet) */
static unsigned qi_push(Dmar *d, uint64_t lo, uint64_t hi)
{
    unsigned idx = d->iq_tail;

    qi_put(d, idx, lo, hi);
    d->iq_tail = (idx + 1) % d->iq_entries;
    return idx;
}

/* A wait descriptor that writes DATA at ADDR, plus FLAGS (IF, FN) */
static unsigned qi_push_wait(Dmar *d, uint64_t addr, uint32_t data,
                             uint64_t flags)
{
    return qi_push(d, QI_WAIT | QI_WAIT_SW | flags | QI_SDATA(data), addr);
}

static void qi_kick(Dmar *d)
{
    wr64(d, REG_IQT, d->iq_tail * 16ull);
}

static uint64_t iq_off(unsigned idx)
{
    return idx * 16ull;
}

/* Submit a wait descriptor and check everything up to it is done */
static void qi_sync(Dmar *d)
{
    uint32_t v = 0x5c000000 | ++d->iq_seq;

    qtest_writel(d->qts, IQ_SYNC, 0);
    qi_push_wait(d, IQ_SYNC, v, 0);
    qi_kick(d);
    g_assert_cmphex(rd32(d, REG_FSTS) & FSTS_IQE, ==, 0);
    g_assert_cmphex(qtest_readl(d->qts, IQ_SYNC), ==, v);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(d->iq_tail));
}

static void qi_iotlb(Dmar *d, unsigned gran, uint16_t did, uint64_t addr,
                     unsigned am)
{
    qi_push(d, QI_IOTLB | QI_G(gran) | QI_IOTLB_DR | QI_IOTLB_DW |
            QI_DID(did), addr | QI_HI_AM(am));
}

static void qi_cc(Dmar *d, unsigned gran, uint16_t did, uint16_t sid,
                  unsigned fm)
{
    qi_push(d, QI_CC | QI_G(gran) | QI_DID(did) | QI_CC_SID(sid) |
            QI_CC_FM(fm), 0);
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
        case REG_IECTL:
            /* VT-d 11.4.9.6: the invalidation event is masked too */
            want = IECTL_IM;
            break;
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
    { REG_IQH, 8 }, { REG_IQERCD, 8 }, { REG_IRTA, 8 },
};

/* Offsets where no register lives (default nfr=8) */
static const unsigned holes[] = {
    0x04, 0x30, 0x48, 0x4c, 0x50, 0x54, 0x60, 0x98, 0xc0, 0xc8, 0xfc,
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
    /* QIE is offered now; enabling it resets IQH (nothing is queued) */
    wr32(d, REG_GCMD, GCMD_QIE);
    g_assert_cmphex(rd32(d, REG_GCMD), ==, 0);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_RTPS | GSTS_QIES);
    g_assert_cmphex(rd64(d, REG_IQH), ==, 0);
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

    /*
     * Queue registers (QI disabled: nothing is fetched). IQT: QT, bits
     * 18:4. IQA: base (63:12) and QS (2:0); DW (11) stays 0, as only
     * 128-bit descriptors are offered.
     */
    wr64(d, REG_IQT, ~0ull);
    g_assert_cmphex(rd64(d, REG_IQT), ==, 0x7fff0);
    wr32(d, REG_IQT + 4, ~0u);
    wr32(d, REG_IQT, 0x1234f);
    g_assert_cmphex(rd64(d, REG_IQT), ==, 0x12340);
    wr64(d, REG_IQA, ~0ull);
    g_assert_cmphex(rd64(d, REG_IQA), ==, 0xfffffffffffff007ull);
    wr32(d, REG_IQA, 0x12345fff);
    wr32(d, REG_IQA + 4, 0xabcd);
    g_assert_cmphex(rd64(d, REG_IQA), ==, 0xabcd12345007ull);
    wr64(d, REG_IQA, 1ull << 11);
    g_assert_cmphex(rd64(d, REG_IQA), ==, 0);
    wr64(d, REG_IQT, 0);
    g_assert_cmphex(rd64(d, REG_IQH), ==, 0);
    /* ICS: IWC is RW1C and clear; IECTL: IM is RW, IP read-only */
    wr32(d, REG_ICS, ~0u);
    g_assert_cmphex(rd32(d, REG_ICS), ==, 0);
    wr32(d, REG_IECTL, ~0u);
    g_assert_cmphex(rd32(d, REG_IECTL), ==, IECTL_IM);
    wr32(d, REG_IECTL, IECTL_IP);
    g_assert_cmphex(rd32(d, REG_IECTL), ==, 0);
    wr32(d, REG_IECTL, IECTL_IM);
    g_assert_cmphex(rd32(d, REG_IECTL), ==, IECTL_IM);
    wr32(d, REG_IEDATA, ~0u);
    wr32(d, REG_IEADDR, ~0u);
    wr32(d, REG_IEUADDR, ~0u);
    g_assert_cmphex(rd32(d, REG_IEDATA), ==, 0xffff);
    g_assert_cmphex(rd32(d, REG_IEADDR), ==, 0xfffffffc);
    g_assert_cmphex(rd32(d, REG_IEUADDR), ==, 0xffffffff);
    /* the fault event registers are not touched by any of it */
    g_assert_cmphex(rd32(d, REG_FEDATA), ==, 0xffff);
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
    g_assert_cmphex(rd64(d, REG_IECTL), ==, 0);
    wr64(d, REG_FECTL, 0);
    wr64(d, REG_GCMD, GCMD_TE);
    wr64(d, REG_FEADDR, 0);
    wr64(d, REG_IECTL, 0);
    wr64(d, REG_IEADDR, 0);
    g_assert_cmphex(rd32(d, REG_IECTL), ==, IECTL_IM);
    g_assert_cmphex(rd32(d, REG_IEADDR), ==, 0xfffffffc);
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
    /* queued invalidation on, with an unserviced (masked) event */
    wr32(d, REG_IEDATA, 0x1234);
    wr32(d, REG_IEADDR, IE_MSG);
    wr32(d, REG_IEUADDR, 0x1);
    qi_enable(d, IQ_BASE, 1);
    qi_push_wait(d, IQ_SYNC, 0x77, QI_WAIT_IF);
    qi_kick(d);
    g_assert_cmphex(rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(rd32(d, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(1));
    snapshot(d, used);
    for (unsigned i = 0; i < SNAP_WORDS; i++) {
        changed += used[i] != fresh[i];
    }
    g_assert_cmpuint(changed, >=, 18);
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
    /* the queue starts over at its base */
    qi_enable(d, IQ_BASE, 0);
    qi_sync(d);
    g_assert_cmphex(rd32(d, REG_ICS), ==, 0);
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
    bool qi;            /* through an IOTLB invalidate descriptor */
} InvCase;

static const InvCase inv_page = { GRAN_PAGE, false };
static const InvCase inv_domain = { GRAN_DOMAIN, false };
static const InvCase inv_global = { GRAN_GLOBAL, false };
static const InvCase qi_inv_page = { GRAN_PAGE, true };
static const InvCase qi_inv_domain = { GRAN_DOMAIN, true };
static const InvCase qi_inv_global = { GRAN_GLOBAL, true };

/* Invalidate what covers IOVA with the case's granularity */
static void inv_for(Dmar *d, const InvCase *c, uint64_t iova, unsigned am)
{
    uint64_t v;

    if (c->qi) {
        qi_iotlb(d, c->gran, DOMAIN, iova, am);
        qi_sync(d);
        return;
    }
    v = iotlb_inv(d, c->gran, DOMAIN, iova | IVA_AM(am));

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
    if (c->qi) {
        qi_enable(d, IQ_BASE, 0);
    }

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

/* Wait for a migration to end on one side; returns its final status */
static char *migration_end(QTestState *qts)
{
    for (;;) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-migrate' }");
        QDict *ret = qdict_get_qdict(rsp, "return");
        const char *st = ret ? qdict_get_try_str(ret, "status") : NULL;
        char *end = NULL;

        g_assert_nonnull(ret);
        if (st && (!strcmp(st, "completed") || !strcmp(st, "failed"))) {
            const char *err = qdict_get_try_str(ret, "error-desc");

            if (err) {
                g_test_message("migration: %s", err);
            }
            end = g_strdup(st);
        }
        qobject_unref(rsp);
        if (end) {
            return end;
        }
        g_usleep(10 * 1000);
    }
}

/* Migrate SRC to a new unit with the default properties */
static Dmar *dmar_migrate(Dmar *src)
{
    Dmar *dst = g_new0(Dmar, 1);
    g_autofree char *path = g_strdup_printf("%s/vtd-dmar-test-%d.sock",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("unix:%s", path);
    g_autofree char *src_st = NULL;
    g_autofree char *dst_st = NULL;

    /* what software knows (tables, queue) goes along */
    *dst = *src;
    dst->bus = NULL;
    dst->edu = NULL;
    dst->qts = qtest_initf("-M q35 -device vtd-dmar %s -incoming defer",
                           edu_args(false));
    /* a stream the unit refuses is a failed migration, not an exit */
    qtest_qmp_assert_success(dst->qts, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s, "
                             "'exit-on-error': false } }", uri);
    qtest_qmp_assert_success(src->qts, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    src_st = migration_end(src->qts);
    g_assert_cmpstr(src_st, ==, "completed");
    dst_st = migration_end(dst->qts);
    unlink(path);
    g_assert_cmpstr(dst_st, ==, "completed");
    qtest_qmp_eventwait(dst->qts, "RESUME");
    return dst;
}

static void test_migration(void)
{
    Dmar *src = dmar_boot("");
    Dmar *dst;
    uint32_t before[SNAP_WORDS], after[SNAP_WORDS];

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

    dst = dmar_migrate(src);
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

/* ================= 10. queued invalidation ================= */

static void test_qi_bringup(void)
{
    Dmar *d = dmar_boot("");

    g_assert_cmphex(rd64(d, REG_ECAP) & ECAP_QI, ==, ECAP_QI);
    tables_init(d, 3, 0);
    map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    fill(d, PAGE_P1, 0xc1);
    zero(d, PAGE_OUT);
    dmar_enable(d, ROOT_TABLE);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0xc1));

    /* a queue with one wait descriptor: without QIE, IQT runs nothing */
    qtest_writel(d->qts, IQ_STATUS, 0);
    qtest_writel(d->qts, IQ_STATUS + 4, 0xffffffff);
    d->iq_base = IQ_BASE;
    wr64(d, REG_IQA, IQ_BASE);
    qi_put(d, 0, QI_WAIT | QI_WAIT_SW | QI_SDATA(0x1234abcd), IQ_STATUS);
    wr64(d, REG_IQT, iq_off(1));
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    g_assert_cmphex(rd64(d, REG_IQH), ==, 0);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);

    /* bring-up as Linux does it: IQA, IQT = 0, then QIE with TE kept */
    wr64(d, REG_IQT, 0);
    wr32(d, REG_GCMD, GCMD_TE | GCMD_QIE);
    g_assert_cmphex(rd32(d, REG_GSTS), ==,
                    GSTS_TES | GSTS_RTPS | GSTS_QIES);
    g_assert_cmphex(rd64(d, REG_IQA), ==, IQ_BASE);
    g_assert_cmphex(rd64(d, REG_IQH), ==, 0);
    g_assert_cmphex(rd64(d, REG_IQT), ==, 0);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);

    /* IQT = 16: the wait descriptor runs, its status dword lands */
    wr64(d, REG_IQT, iq_off(1));
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0x1234abcd);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 4), ==, 0xffffffff);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(1));
    g_assert_cmphex(rd64(d, REG_IQT), ==, iq_off(1));
    g_assert_cmphex(rd32(d, REG_FSTS), ==, 0);
    g_assert_cmphex(rd32(d, REG_ICS), ==, 0);          /* IF was 0 */
    g_assert_cmphex(rd64(d, REG_IQERCD), ==, 0);
    /* the same tail again: nothing is fetched twice */
    qtest_writel(d->qts, IQ_STATUS, 0);
    wr64(d, REG_IQT, iq_off(1));
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(1));

    /* translation went on all along */
    zero(d, PAGE_OUT);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0xc1));

    /* a new IQA (here: 2 pages, 512 entries) starts at its base */
    wr64(d, REG_IQA, IQ_BASE | 1);
    g_assert_cmphex(rd64(d, REG_IQA), ==, IQ_BASE | 1);
    g_assert_cmphex(rd64(d, REG_IQH), ==, 0);
    wr64(d, REG_IQT, 0);
    d->iq_entries = 512;
    d->iq_tail = 0;
    for (unsigned i = 0; i < 300; i++) {
        qi_push(d, QI_WAIT, 0);                     /* a no-op wait */
    }
    qi_sync(d);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(301));
    g_assert_cmphex(rd32(d, REG_GSTS), ==,
                    GSTS_TES | GSTS_RTPS | GSTS_QIES);
    dmar_free(d);
}

typedef struct QiCcCase {
    unsigned gran;
    uint16_t sid;
    unsigned fm;
} QiCcCase;

static const QiCcCase qi_cc_global = { GRAN_GLOBAL, 0, 0 };
static const QiCcCase qi_cc_domain = { GRAN_DOMAIN, 0, 0 };
static const QiCcCase qi_cc_device = { GRAN_DEVICE, EDU_SID, 0 };
/* FM masks low SID bits: 00:04.4 (FM 1), 04.6 (FM 2), 04.7 (FM 3) */
static const QiCcCase qi_cc_device_fm1 = { GRAN_DEVICE, EDU_SID | 4, 1 };
static const QiCcCase qi_cc_device_fm2 = { GRAN_DEVICE, EDU_SID | 6, 2 };
static const QiCcCase qi_cc_device_fm3 = { GRAN_DEVICE, EDU_SID | 7, 3 };

static void test_qi_context(const void *opaque)
{
    const QiCcCase *c = opaque;
    Dmar *d = dmar_boot("");

    tables_init(d, 3, 0);
    map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    map(d, IOVA_C, PAGE_P1, 1, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    fill(d, PAGE_P1, 0x81);
    fill(d, PAGE_P2, 0x82);
    zero(d, PAGE_OUT);
    dmar_enable(d, ROOT_TABLE);
    qi_enable(d, IQ_BASE, 0);

    /* context cached; then made not present and invalidated */
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x81));
    set_ctx(d, ctx_lo(d) & ~CTX_P, ctx_hi(d));
    qi_cc(d, c->gran, DOMAIN, c->sid, c->fm);
    qi_sync(d);
    /* a page the IOTLB never saw needs the context: it is gone */
    dma_in(d, IOVA_C);
    assert_frcd(d, 0, IOVA_C, FR_CTX_NP, false);
    /* and with the IOTLB flushed too (as VT-d 6.5 asks), every page */
    qi_iotlb(d, GRAN_DOMAIN, DOMAIN, 0, 0);
    qi_sync(d);
    zero(d, PAGE_OUT);
    dma_out(d, IOVA_B);
    assert_frcd(d, 1, IOVA_B, FR_CTX_NP, true);
    g_assert_false(holds(d, PAGE_OUT, 0x81));

    /* present again with new second-level tables: those are used */
    d->slpt = table_new(d);
    map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    set_ctx(d, d->slpt | CTX_P, ctx_hi(d));
    qi_cc(d, c->gran, DOMAIN, c->sid, c->fm);
    qi_iotlb(d, GRAN_DOMAIN, DOMAIN, 0, 0);
    qi_sync(d);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x82));
    g_assert_cmphex(rd64(d, REG_FRCD(2) + 8), ==, 0);
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    dmar_free(d);
}

/* Page-selective with AM: a 2 MiB range, and AM above MAMV */
static void test_qi_iotlb_am(void)
{
    Dmar *d = dmar_boot("");
    const uint64_t region = 0x20000000ull;      /* 2 MiB aligned */
    const uint64_t far = 0x4000000000ull;       /* 256 GiB aligned */

    tables_init(d, 3, 0);
    map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    map(d, region + 0x5000, PAGE_P1, 1, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    fill(d, PAGE_P1, 0xa1);
    fill(d, PAGE_P2, 0xa2);
    dmar_enable(d, ROOT_TABLE);
    qi_enable(d, IQ_BASE, 0);

    /* AM = 9: the page inside the 2 MiB range */
    copy(d, region + 0x5000, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0xa1));
    map(d, region + 0x5000, PAGE_P2, 1, PTE_R);
    qi_iotlb(d, GRAN_PAGE, DOMAIN, region, 9);
    qi_sync(d);
    copy(d, region + 0x5000, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0xa2));

    /*
     * AM = 19 > MAMV (18): done as domain-selective, so a page far
     * outside the 2 GiB range named goes too.
     */
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0xa1));
    map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    qi_iotlb(d, GRAN_PAGE, DOMAIN, far, 19);
    qi_sync(d);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0xa2));

    /* AM = MAMV is a valid page-selective request */
    qi_iotlb(d, GRAN_PAGE, DOMAIN, 0, 18);
    qi_sync(d);
    g_assert_cmphex(fsts(d), ==, 0);
    dmar_free(d);
}

static void test_qi_batch(void)
{
    Dmar *d = dmar_boot("");

    tables_init(d, 3, 0);
    map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    fill(d, PAGE_P1, 0x91);
    fill(d, PAGE_P2, 0x92);
    zero(d, PAGE_OUT);
    zero(d, PAGE_P3);
    dmar_enable(d, ROOT_TABLE);
    qi_enable(d, IQ_BASE, 0);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x91));

    /* written but not submitted: nothing runs */
    map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    qtest_writel(d->qts, IQ_STATUS, 0);
    qi_iotlb(d, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    qi_push_wait(d, IQ_STATUS, 0xb0b0, 0);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    g_assert_cmphex(rd64(d, REG_IQH), ==, 0);
    /* one IQT write runs both */
    qi_kick(d);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0xb0b0);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(2));
    zero(d, PAGE_OUT);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x92));

    /* both sides remapped: IOTLB, context, IOTLB between two waits */
    map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    map(d, IOVA_B, PAGE_P3, 1, PTE_W);
    qtest_writel(d->qts, IQ_STATUS + 4, 0);
    qtest_writel(d->qts, IQ_STATUS + 8, 0);
    qi_push_wait(d, IQ_STATUS + 4, 0xb1, QI_WAIT_FN);
    qi_iotlb(d, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    qi_cc(d, GRAN_DEVICE, DOMAIN, EDU_SID, 0);
    qi_iotlb(d, GRAN_PAGE, DOMAIN, IOVA_B, 0);
    qi_push_wait(d, IQ_STATUS + 8, 0xb2, 0);
    qi_kick(d);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 4), ==, 0xb1);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 8), ==, 0xb2);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(7));
    zero(d, PAGE_OUT);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_P3, 0x91));
    g_assert_false(holds(d, PAGE_OUT, 0x91));
    g_assert_cmphex(fsts(d), ==, 0);
    dmar_free(d);
}

static void test_qi_wraparound(void)
{
    /* 0 -> 200 -> 0 (tail 0) -> 250 -> 4 (tail < head) -> 3 (full) */
    static const unsigned batches[] = { 200, 56, 250, 10, 255, 1 };
    Dmar *d = dmar_boot("");
    unsigned seq = 0, wraps = 0;

    qtest_memset(d->qts, IQ_STATUS, 0, 0x1000);
    qi_enable(d, IQ_BASE, 0);
    for (unsigned b = 0; b < ARRAY_SIZE(batches); b++) {
        unsigned head = d->iq_tail, first = seq;

        for (unsigned i = 0; i < batches[b]; i++, seq++) {
            qi_push_wait(d, IQ_STATUS + 4 * seq, 0x5a000000 | seq, 0);
        }
        wraps += d->iq_tail <= head;
        qi_kick(d);
        g_assert_cmphex(rd32(d, REG_FSTS), ==, 0);
        g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(d->iq_tail));
        for (unsigned s = first; s < seq; s++) {
            uint32_t got = qtest_readl(d->qts, IQ_STATUS + 4 * s);

            if (got != (0x5a000000 | s)) {
                g_test_message("batch %u, descriptor %u", b, s);
            }
            g_assert_cmphex(got, ==, 0x5a000000 | s);
        }
    }
    g_assert_cmpuint(wraps, ==, 3);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(4));
    dmar_free(d);
}

static void fe_setup(Dmar *d, uint32_t data)
{
    wr32(d, REG_FEDATA, data);
    wr32(d, REG_FEADDR, FE_MSG);
    wr32(d, REG_FEUADDR, 0);
    wr32(d, REG_FECTL, 0);
    qtest_writel(d->qts, FE_MSG, 0);
}

static void test_qi_iqe_descriptor(void)
{
    Dmar *d = dmar_boot("");
    unsigned bad;

    tables_init(d, 3, 0);
    map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    fill(d, PAGE_P1, 0xe1);
    fill(d, PAGE_P2, 0xe2);
    fe_setup(d, 0x4e4e);
    qtest_memset(d->qts, IQ_STATUS, 0, 16);
    dmar_enable(d, ROOT_TABLE);
    qi_enable(d, IQ_BASE, 0);
    qi_sync(d);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0xe1));

    /* [IOTLB invalidation, reserved type 7, wait]: stops at type 7 */
    map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    qi_iotlb(d, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    bad = qi_push(d, 7, 0);
    qi_push_wait(d, IQ_STATUS, 0x51, 0);
    qi_kick(d);
    g_assert_cmphex(rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(bad));
    g_assert_cmphex(rd64(d, REG_IQT), ==, iq_off(d->iq_tail));
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    g_assert_cmphex(rd64(d, REG_IQERCD), ==, 0);
    /* IQE is a fault event condition: FECTL.IM = 0, nothing pending */
    g_assert_cmphex(fe_msg(d), ==, 0x4e4e);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, 0);
    /* the descriptor before the bad one did its work */
    zero(d, PAGE_OUT);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0xe2));

    /* while IQE is set, a new tail fetches nothing */
    qi_push_wait(d, IQ_STATUS + 4, 0x52, 0);
    qi_kick(d);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 4), ==, 0);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(bad));
    /* IQE is RW1C: writing 0 keeps it */
    wr32(d, REG_FSTS, 0);
    g_assert_cmphex(rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(bad));

    /*
     * Software replaces the bad descriptor by a wait (here one asking
     * for the completion event too) and clears IQE.
     */
    qtest_writel(d->qts, FE_MSG, 0);
    wr32(d, REG_IEDATA, 0x1e1e);
    wr32(d, REG_IEADDR, IE_MSG);
    wr32(d, REG_IECTL, 0);
    qtest_writel(d->qts, IE_MSG, 0);
    qi_put(d, bad, QI_WAIT | QI_WAIT_SW | QI_WAIT_IF | QI_SDATA(0x50),
           IQ_STATUS + 8);
    g_assert_cmphex(rd32(d, REG_ICS), ==, 0);
    wr32(d, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(rd32(d, REG_FSTS), ==, 0);
    g_assert_cmphex(rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(qtest_readl(d->qts, IE_MSG), ==, 0x1e1e);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 8), ==, 0x50);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0x51);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 4), ==, 0x52);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(d->iq_tail));
    g_assert_cmphex(rd64(d, REG_IQH), ==, rd64(d, REG_IQT));
    g_assert_cmphex(fe_msg(d), ==, 0);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, 0);
    qi_sync(d);
    dmar_free(d);
}

/* Put a bad descriptor at the tail and submit it; returns its index */
static unsigned qi_fail(Dmar *d)
{
    unsigned bad = qi_push(d, QI_WAIT | QI_WAIT_PD, 0);

    qi_kick(d);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(bad));
    return bad;
}

/* Replace the bad descriptor at BAD by a no-op wait and clear IQE */
static void qi_recover(Dmar *d, unsigned bad)
{
    qi_put(d, bad, QI_WAIT, 0);
    wr32(d, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(rd32(d, REG_FSTS) & FSTS_IQE, ==, 0);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(d->iq_tail));
}

/* IQE follows the fault event rules of the fault records (VT-d 7.3) */
static void test_qi_iqe_fault_event(void)
{
    Dmar *d = dmar_boot("");
    unsigned bad;

    tables_init(d, 3, 0);                       /* nothing mapped */
    wr32(d, REG_FEDATA, 0x3c3c);
    wr32(d, REG_FEADDR, FE_MSG);
    qtest_writel(d->qts, FE_MSG, 0);
    dmar_enable(d, ROOT_TABLE);
    qi_enable(d, IQ_BASE, 0);

    /* masked (reset value): IP is set; clearing IQE clears it */
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM);
    bad = qi_fail(d);
    g_assert_cmphex(rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    qi_recover(d, bad);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM);
    wr32(d, REG_FECTL, 0);
    g_assert_cmphex(fe_msg(d), ==, 0);

    /* masked, then unmasked while IQE is still set: sent then */
    wr32(d, REG_FECTL, FECTL_IM);
    bad = qi_fail(d);
    g_assert_cmphex(fe_msg(d), ==, 0);
    wr32(d, REG_FECTL, 0);
    g_assert_cmphex(fe_msg(d), ==, 0x3c3c);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, 0);
    qi_recover(d, bad);

    /* a primary fault pending (PPF): IQE sends nothing new */
    qtest_writel(d->qts, FE_MSG, 0);
    dma_in(d, IOVA_A);
    assert_frcd(d, 0, IOVA_A, FR_READ, false);
    g_assert_cmphex(fe_msg(d), ==, 0x3c3c);
    qtest_writel(d->qts, FE_MSG, 0);
    bad = qi_fail(d);
    g_assert_cmphex(fsts(d), ==, FSTS_IQE | FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(fe_msg(d), ==, 0);
    qi_recover(d, bad);
    g_assert_cmphex(fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    frcd_clear(d, 0);
    g_assert_cmphex(fsts(d), ==, 0);

    /* and the other way round: with IQE pending, a fault sends nothing */
    bad = qi_fail(d);
    g_assert_cmphex(fe_msg(d), ==, 0x3c3c);
    qtest_writel(d->qts, FE_MSG, 0);
    dma_in(d, IOVA_B);
    assert_frcd(d, 1, IOVA_B, FR_READ, false);
    g_assert_cmphex(fsts(d), ==, FSTS_IQE | FSTS_PPF | FSTS_FRI(1));
    g_assert_cmphex(fe_msg(d), ==, 0);
    qi_recover(d, bad);
    frcd_clear(d, 1);
    g_assert_cmphex(fsts(d), ==, 0);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, 0);
    g_assert_cmphex(fe_msg(d), ==, 0);
    dmar_free(d);
}

/*
 * Submit [wait, LO:HI, wait] and check that LO:HI is a queue error:
 * the first wait ran, the second did not, IQH names the bad one. Then
 * replace it by a no-op wait (as Linux does) and clear IQE: the rest
 * runs.
 */
static void qi_expect_bad(Dmar *d, uint64_t lo, uint64_t hi)
{
    uint32_t seq = ++d->iq_seq;
    uint32_t fsts_v;
    uint64_t head;
    unsigned bad;

    qtest_memset(d->qts, IQ_STATUS, 0, 8);
    qtest_writel(d->qts, IQ_CANARY, 0);
    qi_push_wait(d, IQ_STATUS, seq, 0);
    bad = qi_push(d, lo, hi);
    qi_push_wait(d, IQ_STATUS + 4, seq, 0);
    qi_kick(d);
    fsts_v = rd32(d, REG_FSTS);
    head = rd64(d, REG_IQH);
    if (fsts_v != FSTS_IQE || head != iq_off(bad)) {
        g_test_message("descriptor hi:lo = 0x%016" PRIx64 ":0x%016" PRIx64
                       " was accepted", hi, lo);
    }
    g_assert_cmphex(fsts_v, ==, FSTS_IQE);
    g_assert_cmphex(head, ==, iq_off(bad));
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, seq);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 4), ==, 0);
    g_assert_cmphex(qtest_readl(d->qts, IQ_CANARY), ==, 0);
    g_assert_cmphex(rd64(d, REG_IQERCD), ==, 0);
    /* FECTL.IM is set from reset: the event is pending */
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);

    qi_put(d, bad, QI_WAIT, 0);
    wr32(d, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(rd32(d, REG_FSTS), ==, 0);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 4), ==, seq);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(d->iq_tail));
}

typedef struct QiBadCase {
    const char *name;
    uint64_t lo, hi;
    /* 0, 0: LO:HI is invalid; else it is valid and each bit breaks it */
    uint64_t rsvd_lo, rsvd_hi;
} QiBadCase;

/* Descriptors with every field set and every reserved bit clear */
#define CC_ALL          (QI_CC | QI_G(GRAN_DEVICE) | QI_DID(0xffff) | \
                         QI_CC_SID(0xffff) | QI_CC_FM(3))
#define IOTLB_ALL       (QI_IOTLB | QI_G(GRAN_PAGE) | QI_IOTLB_DW | \
                         QI_IOTLB_DR | QI_DID(0xffff))
#define IOTLB_ALL_HI    (~0xfffull | QI_HI_IH | QI_HI_AM(0x3f))
#define WAIT_ALL        (QI_WAIT | QI_WAIT_IF | QI_WAIT_SW | QI_WAIT_FN | \
                         QI_SDATA(0xc0ffee00))

static const QiBadCase qi_bad_cases[] = {
    { "cc-rsvd-lo-8-6", CC_ALL, 0, 0x1c0, 0 },
    { "cc-rsvd-lo-11-9", CC_ALL, 0, 0xe00, 0 },
    { "cc-rsvd-lo-15-12", CC_ALL, 0, 0xf000, 0 },
    { "cc-rsvd-lo-63-50", CC_ALL, 0, 0xfffc000000000000ull, 0 },
    { "cc-rsvd-hi", CC_ALL, 0, 0, ~0ull },
    { "cc-g0", QI_CC | QI_DID(DOMAIN) | QI_CC_SID(EDU_SID), 0, 0, 0 },
    { "iotlb-rsvd-lo-8", IOTLB_ALL, IOTLB_ALL_HI, 0x100, 0 },
    { "iotlb-rsvd-lo-11-9", IOTLB_ALL, IOTLB_ALL_HI, 0xe00, 0 },
    { "iotlb-rsvd-lo-15-12", IOTLB_ALL, IOTLB_ALL_HI, 0xf000, 0 },
    { "iotlb-rsvd-lo-63-32", IOTLB_ALL, IOTLB_ALL_HI,
      0xffffffff00000000ull, 0 },
    { "iotlb-rsvd-hi-11-7", IOTLB_ALL, IOTLB_ALL_HI, 0, 0xf80 },
    { "iotlb-g0", QI_IOTLB | QI_DID(DOMAIN), IOVA_A, 0, 0 },
    { "wait-rsvd-lo-8", WAIT_ALL, IQ_CANARY, 0x100, 0 },
    { "wait-rsvd-lo-11-9", WAIT_ALL, IQ_CANARY, 0xe00, 0 },
    { "wait-rsvd-lo-31-12", WAIT_ALL, IQ_CANARY, 0xfffff000, 0 },
    /* page requests are not offered: PD is reserved */
    { "wait-pd", WAIT_ALL, IQ_CANARY, QI_WAIT_PD, 0 },
    { "wait-status-addr-1-0", WAIT_ALL, IQ_CANARY, 0, 3 },
    /* ECAP.DT = 0 */
    { "devtlb", QI_DEVTLB | QI_CC_SID(EDU_SID), IOVA_A, 0, 0 },
    /* ECAP.IR = 0 */
    { "iec-global", QI_IEC, 0, 0, 0 },
    { "iec-index", QI_IEC | QI_G(1) | 5ull << 32, 0, 0, 0 },
};

static void test_qi_invalid(const void *opaque)
{
    const QiBadCase *c = opaque;
    Dmar *d = dmar_boot("");

    qi_enable(d, IQ_BASE, 0);
    if (!c->rsvd_lo && !c->rsvd_hi) {
        qi_expect_bad(d, c->lo, c->hi);
    } else {
        /* with its reserved bits clear, the descriptor is accepted */
        qtest_writel(d->qts, IQ_CANARY, 0);
        qi_push(d, c->lo, c->hi);
        qi_sync(d);
        if ((c->lo & 0xf) == QI_WAIT) {
            g_assert_cmphex(qtest_readl(d->qts, IQ_CANARY), ==,
                            c->lo >> 32);
        }
        for (unsigned b = 0; b < 64; b++) {
            if (c->rsvd_lo & 1ull << b) {
                qi_expect_bad(d, c->lo | 1ull << b, c->hi);
            }
            if (c->rsvd_hi & 1ull << b) {
                qi_expect_bad(d, c->lo, c->hi | 1ull << b);
            }
        }
    }
    qi_sync(d);
    dmar_free(d);
}

/* Types 0 and 6..15 are reserved; 3 and 4 are for units without DT, IR */
static void test_qi_invalid_types(void)
{
    static const unsigned types[] = {
        0, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    };
    Dmar *d = dmar_boot("");

    qi_enable(d, IQ_BASE, 0);
    for (unsigned i = 0; i < ARRAY_SIZE(types); i++) {
        qi_expect_bad(d, types[i], 0);
        /* with fields that would make a wait descriptor write */
        qi_expect_bad(d, types[i] | QI_WAIT_SW | QI_SDATA(1), IQ_CANARY);
    }
    /* the PASID-based types (bits 11:9 set) of each type offered */
    for (unsigned t = 1; t < 8; t++) {
        qi_expect_bad(d, QI_CC | QI_G(GRAN_GLOBAL) | (uint64_t)t << 9, 0);
        qi_expect_bad(d, QI_IOTLB | QI_G(GRAN_GLOBAL) | (uint64_t)t << 9,
                      0);
        qi_expect_bad(d, QI_WAIT | (uint64_t)t << 9, 0);
    }
    qi_sync(d);
    dmar_free(d);
}

/* Queue fetches and status writes need RAM */
static void test_qi_iqe_memory(void)
{
    Dmar *d = dmar_boot("");

    qi_enable(d, IQ_BASE, 0);
    /* a status write where nothing is mapped */
    qi_expect_bad(d, QI_WAIT | QI_WAIT_SW | QI_SDATA(0x12345678), NO_RAM);
    /* or to the unit's own registers: they do not change */
    qi_expect_bad(d, QI_WAIT | QI_WAIT_SW | QI_SDATA(0xffffffff),
                  DMAR_BASE + REG_IEDATA);
    g_assert_cmphex(rd32(d, REG_IEDATA), ==, 0);
    qi_sync(d);

    /* a queue where nothing is mapped: the first fetch fails */
    wr32(d, REG_GCMD, 0);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, 0);
    qi_enable(d, NO_RAM, 0);
    wr64(d, REG_IQT, iq_off(1));
    g_assert_cmphex(rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd64(d, REG_IQH), ==, 0);
    g_assert_cmphex(rd64(d, REG_IQERCD), ==, 0);
    wr32(d, REG_GCMD, 0);
    wr32(d, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(rd32(d, REG_FSTS), ==, 0);

    /* the unit's own registers are no queue either */
    qi_enable(d, DMAR_BASE, 0);
    wr64(d, REG_IQT, iq_off(1));
    g_assert_cmphex(rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd64(d, REG_IQH), ==, 0);
    wr32(d, REG_GCMD, 0);
    wr32(d, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(rd32(d, REG_FSTS), ==, 0);

    /* back to RAM: all is well */
    qi_enable(d, IQ_BASE, 0);
    qi_sync(d);
    dmar_free(d);
}

static void test_qi_iqe_tail(void)
{
    Dmar *d = dmar_boot("");
    unsigned w;

    fe_setup(d, 0x7a17);
    qtest_writel(d->qts, IQ_STATUS, 0);
    qi_enable(d, IQ_BASE, 0);
    qi_sync(d);
    qi_sync(d);
    w = qi_push_wait(d, IQ_STATUS, 0x7a, 0);

    /* 256 entries (QS = 0): a tail of 256 is beyond the queue */
    wr64(d, REG_IQT, iq_off(256));
    g_assert_cmphex(rd64(d, REG_IQT), ==, iq_off(256));
    g_assert_cmphex(rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(w));
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    g_assert_cmphex(rd64(d, REG_IQERCD), ==, 0);
    g_assert_cmphex(fe_msg(d), ==, 0x7a17);
    /* the largest tail the register holds: still nothing */
    qtest_writel(d->qts, FE_MSG, 0);
    wr64(d, REG_IQT, 0x7fff0);
    g_assert_cmphex(rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(w));
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);

    /* a valid tail, then IQE cleared: processing resumes */
    qi_kick(d);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    wr32(d, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(rd32(d, REG_FSTS), ==, 0);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0x7a);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(w + 1));
    g_assert_cmphex(fe_msg(d), ==, 0);
    qi_sync(d);

    /* with QS = 1 (512 entries), 256 is a valid tail and 512 is not */
    wr32(d, REG_GCMD, 0);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, 0);
    qi_enable(d, IQ_BASE, 1);
    for (unsigned i = 0; i < 256; i++) {
        qi_push(d, QI_WAIT, 0);
    }
    qi_kick(d);
    g_assert_cmphex(rd32(d, REG_FSTS), ==, 0);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(256));
    qi_sync(d);
    wr64(d, REG_IQT, iq_off(512));
    g_assert_cmphex(rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(257));
    g_assert_cmphex(fe_msg(d), ==, 0x7a17);
    dmar_free(d);
}

static uint32_t ie_msg(Dmar *d)
{
    return qtest_readl(d->qts, IE_MSG);
}

/* A wait descriptor asking for an interrupt (IF) and nothing else */
static void qi_wait_if(Dmar *d)
{
    qi_push(d, QI_WAIT | QI_WAIT_IF, 0);
    qi_kick(d);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(d->iq_tail));
}

/* VT-d 6.5.2.6: the invalidation completion event */
static void test_qi_wait_event(void)
{
    Dmar *d = dmar_boot_full("", "-m 5G", false);
    const uint64_t high_msg = 0x100020000ull;
    unsigned bad;

    qi_enable(d, IQ_BASE, 0);
    wr32(d, REG_IEDATA, 0x4567);
    wr32(d, REG_IEADDR, IE_MSG);
    wr32(d, REG_IEUADDR, 0);
    wr32(d, REG_IECTL, 0);
    qtest_writel(d->qts, IE_MSG, 0);

    /* IF = 0: no IWC, no message */
    qi_sync(d);
    g_assert_cmphex(rd32(d, REG_ICS), ==, 0);
    g_assert_cmphex(ie_msg(d), ==, 0);

    /* IF = 1, unmasked: IWC set, IEDATA sent to IEADDR */
    qi_wait_if(d);
    g_assert_cmphex(rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(ie_msg(d), ==, 0x4567);
    g_assert_cmphex(rd32(d, REG_IECTL), ==, 0);
    /* IWC still set: another completion sends nothing */
    qtest_writel(d->qts, IE_MSG, 0xffffffff);
    qi_wait_if(d);
    g_assert_cmphex(rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(ie_msg(d), ==, 0xffffffff);
    /* IWC is RW1C */
    wr32(d, REG_ICS, 0);
    g_assert_cmphex(rd32(d, REG_ICS), ==, ICS_IWC);
    wr32(d, REG_ICS, ICS_IWC);
    g_assert_cmphex(rd32(d, REG_ICS), ==, 0);
    g_assert_cmphex(ie_msg(d), ==, 0xffffffff);
    /* serviced: the next completion is an event again, with new data */
    wr32(d, REG_IEDATA, 0x89ab);
    qi_wait_if(d);
    g_assert_cmphex(ie_msg(d), ==, 0x89ab);
    g_assert_cmphex(rd32(d, REG_ICS), ==, ICS_IWC);

    /* masked: IP set, no message; unmasking sends it and clears IP */
    wr32(d, REG_ICS, ICS_IWC);
    wr32(d, REG_IECTL, IECTL_IM);
    qtest_writel(d->qts, IE_MSG, 0xffffffff);
    qi_wait_if(d);
    g_assert_cmphex(rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(rd32(d, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    g_assert_cmphex(ie_msg(d), ==, 0xffffffff);
    /* IP is read-only */
    wr32(d, REG_IECTL, IECTL_IM);
    g_assert_cmphex(rd32(d, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    wr32(d, REG_IECTL, 0);
    g_assert_cmphex(ie_msg(d), ==, 0x89ab);
    g_assert_cmphex(rd32(d, REG_IECTL), ==, 0);
    g_assert_cmphex(rd32(d, REG_ICS), ==, ICS_IWC);
    /* unmasking again sends nothing more */
    qtest_writel(d->qts, IE_MSG, 0xffffffff);
    wr32(d, REG_IECTL, IECTL_IM);
    wr32(d, REG_IECTL, 0);
    g_assert_cmphex(ie_msg(d), ==, 0xffffffff);

    /* masked, then IWC cleared by software: IP clears, no message */
    wr32(d, REG_ICS, ICS_IWC);
    wr32(d, REG_IECTL, IECTL_IM);
    qi_wait_if(d);
    g_assert_cmphex(rd32(d, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    wr32(d, REG_ICS, ICS_IWC);
    g_assert_cmphex(rd32(d, REG_IECTL), ==, IECTL_IM);
    wr32(d, REG_IECTL, 0);
    g_assert_cmphex(ie_msg(d), ==, 0xffffffff);

    /* IF and SW together: the status write and the message */
    qtest_writel(d->qts, IQ_STATUS, 0);
    qi_push_wait(d, IQ_STATUS, 0x5151, QI_WAIT_IF);
    qi_kick(d);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0x5151);
    g_assert_cmphex(ie_msg(d), ==, 0x89ab);
    g_assert_cmphex(rd32(d, REG_ICS), ==, ICS_IWC);

    /* a wait that completed before a bad descriptor still counts */
    wr32(d, REG_ICS, ICS_IWC);
    qtest_writel(d->qts, IE_MSG, 0);
    qi_push(d, QI_WAIT | QI_WAIT_IF, 0);
    bad = qi_fail(d);
    g_assert_cmphex(rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(ie_msg(d), ==, 0x89ab);
    qi_recover(d, bad);

    /* the message goes above 4 GiB with IEUADDR */
    wr32(d, REG_ICS, ICS_IWC);
    wr32(d, REG_IEADDR, high_msg & 0xffffffff);
    wr32(d, REG_IEUADDR, high_msg >> 32);
    qtest_writel(d->qts, high_msg, 0);
    qtest_writel(d->qts, IE_MSG, 0);
    qi_wait_if(d);
    g_assert_cmphex(qtest_readl(d->qts, high_msg), ==, 0x89ab);
    g_assert_cmphex(ie_msg(d), ==, 0);

    /* none of it is a fault event but IQE, which was serviced */
    g_assert_cmphex(rd32(d, REG_FSTS), ==, 0);
    g_assert_cmphex(rd32(d, REG_FECTL), ==, FECTL_IM);
    dmar_free(d);
}

/*
 * VT-d 6.5.2: with QI enabled, software invalidates only through the
 * queue. A CCMD/IOTLB command written anyway must not invalidate (the
 * old translation is still used); with QI disabled it works again.
 */
static void test_qi_register_inv(void)
{
    Dmar *d = dmar_boot("");
    uint64_t v;

    tables_init(d, 3, 0);
    map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    map(d, IOVA_C, PAGE_P1, 1, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    fill(d, PAGE_P1, 0x71);
    fill(d, PAGE_P2, 0x72);
    dmar_enable(d, ROOT_TABLE);
    qi_enable(d, IQ_BASE, 0);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x71));

    /* IOTLB: a changed PTE, a register-based global flush */
    map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    wr64(d, REG_IVA, IOVA_A);
    wr64(d, REG_IOTLB, IOTLB_IVT | IOTLB_IIRG(GRAN_GLOBAL) | IOTLB_DR |
         IOTLB_DW | IOTLB_DID(DOMAIN));
    v = rd64(d, REG_IOTLB);
    g_test_message("IOTLB reads 0x%016" PRIx64 " with QI enabled", v);
    g_assert_cmphex(IOTLB_IAIG(v), ==, 0);
    zero(d, PAGE_OUT);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x71));

    /* context: made not present, a register-based global flush */
    set_ctx(d, ctx_lo(d) & ~CTX_P, ctx_hi(d));
    wr64(d, REG_CCMD, CCMD_ICC | CCMD_CIRG(GRAN_GLOBAL));
    v = rd64(d, REG_CCMD);
    g_test_message("CCMD reads 0x%016" PRIx64 " with QI enabled", v);
    g_assert_cmphex(CCMD_CAIG(v), ==, 0);
    zero(d, PAGE_OUT);
    copy(d, IOVA_C, IOVA_B);                    /* the cached context */
    g_assert_true(holds(d, PAGE_OUT, 0x71));
    g_assert_cmphex(fsts(d), ==, 0);
    qi_sync(d);

    /* QI disabled: QIES clears, register-based invalidation is back */
    wr32(d, REG_GCMD, GCMD_TE);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    v = ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_GLOBAL);
    v = iotlb_inv(d, GRAN_GLOBAL, 0, 0);
    g_assert_cmphex(IOTLB_IAIG(v), ==, GRAN_GLOBAL);
    dma_in(d, IOVA_A);
    assert_frcd(d, 0, IOVA_A, FR_CTX_NP, false);
    frcd_clear(d, 0);
    set_ctx(d, ctx_lo(d) | CTX_P, ctx_hi(d));   /* not cached (CM=0) */
    zero(d, PAGE_OUT);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0x72));
    g_assert_cmphex(fsts(d), ==, 0);

    /* on again: the queue restarts at its base */
    qi_enable(d, IQ_BASE, 0);
    qi_sync(d);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(1));
    dmar_free(d);
}

/*
 * VT-d 11.4.9.1, IQH.QH: "Hardware resets this field to 0 whenever the
 * queued invalidation is disabled (QIES field Clear in the Global
 * Status register)."
 */
static void test_qi_disable_iqh(void)
{
    Dmar *d = dmar_boot("");

    qi_enable(d, IQ_BASE, 0);
    qi_sync(d);
    qi_sync(d);
    g_assert_cmphex(rd64(d, REG_IQH), ==, iq_off(2));
    wr32(d, REG_GCMD, 0);
    g_assert_cmphex(rd32(d, REG_GSTS), ==, 0);
    g_assert_cmphex(rd64(d, REG_IQT), ==, iq_off(2));
    g_assert_cmphex(rd64(d, REG_IQH), ==, 0);
    /* and the queue starts over when enabled again */
    qi_enable(d, IQ_BASE, 0);
    qi_sync(d);
    dmar_free(d);
}

static void test_qi_migration(void)
{
    Dmar *src = dmar_boot("");
    Dmar *dst;
    uint32_t before[SNAP_WORDS], after[SNAP_WORDS];

    tables_init(src, 3, 0);
    map(src, IOVA_A, PAGE_P1, 1, PTE_R);
    map(src, IOVA_B, PAGE_OUT, 1, PTE_W);
    fill(src, PAGE_P1, 0xd1);
    fill(src, PAGE_P2, 0xd2);
    zero(src, PAGE_OUT);
    wr32(src, REG_IEDATA, 0x2468);
    wr32(src, REG_IEADDR, IE_MSG);
    wr32(src, REG_IEUADDR, 0);
    qtest_writel(src->qts, IE_MSG, 0);
    dmar_enable(src, ROOT_TABLE);
    qi_enable(src, IQ_BASE, 0);
    qi_sync(src);
    /* a completion event software has not serviced: IWC and IP */
    qi_wait_if(src);
    g_assert_cmphex(rd32(src, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(rd32(src, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    snapshot(src, before);
    g_assert_cmphex(before[REG_GSTS / 4], ==,
                    GSTS_TES | GSTS_RTPS | GSTS_QIES);

    dst = dmar_migrate(src);
    snapshot(dst, after);
    assert_same_regs(before, after);
    edu_attach(dst);

    /* the queue goes on where it was, and invalidates */
    qi_sync(dst);
    g_assert_cmphex(rd64(dst, REG_IQH), ==, iq_off(3));
    copy(dst, IOVA_A, IOVA_B);
    g_assert_true(holds(dst, PAGE_OUT, 0xd1));
    map(dst, IOVA_A, PAGE_P2, 1, PTE_R);
    qi_iotlb(dst, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    qi_sync(dst);
    copy(dst, IOVA_A, IOVA_B);
    g_assert_true(holds(dst, PAGE_OUT, 0xd2));

    /* the pending event goes out when unmasked */
    g_assert_cmphex(ie_msg(dst), ==, 0);
    wr32(dst, REG_IECTL, 0);
    g_assert_cmphex(ie_msg(dst), ==, 0x2468);
    g_assert_cmphex(rd32(dst, REG_IECTL), ==, 0);
    /* serviced: the next completion is an event again */
    wr32(dst, REG_ICS, ICS_IWC);
    qtest_writel(dst->qts, IE_MSG, 0);
    qi_wait_if(dst);
    g_assert_cmphex(ie_msg(dst), ==, 0x2468);
    g_assert_cmphex(fsts(dst), ==, 0);

    dmar_free(dst);
    dmar_free(src);
}

static uint64_t rnd64(GRand *r)
{
    return (uint64_t)g_rand_int(r) << 32 | g_rand_int(r);
}

/* A random descriptor: noise, or a typed one that is often valid */
static void fuzz_desc(GRand *r, uint64_t *lo, uint64_t *hi)
{
    static const uint64_t types[] = {
        QI_CC, QI_IOTLB, QI_WAIT, QI_WAIT, QI_DEVTLB, QI_IEC,
    };
    uint64_t type = types[g_rand_int_range(r, 0, ARRAY_SIZE(types))];

    *lo = rnd64(r);
    *hi = rnd64(r);
    if (!g_rand_int_range(r, 0, 4)) {
        return;
    }
    switch (type) {
    case QI_CC:
        *lo &= 0x0003ffffffff0030ull;
        *hi = 0;
        break;
    case QI_IOTLB:
        *lo &= 0xffff00f0ull;
        *hi &= ~0xf80ull;
        break;
    case QI_WAIT:
        *lo &= 0xffffffff000000f0ull;
        *hi = g_rand_boolean(r) ?
              IQ_STATUS + 4 * g_rand_int_range(r, 0, 1024) : *hi & ~3ull;
        break;
    default:
        *lo &= 0xffffffffffff00f0ull;
    }
    *lo |= type;
    if (!g_rand_int_range(r, 0, 8)) {
        *lo ^= 1ull << g_rand_int_range(r, 0, 64);
    }
}

static void assert_head_sane(Dmar *d, unsigned entries)
{
    uint64_t head = rd64(d, REG_IQH);

    g_assert_cmphex(head % 16, ==, 0);
    g_assert_cmphex(head, <, iq_off(entries));
}

/* Random descriptors and tails, valid and not, with a fixed seed */
static void test_qi_fuzz(void)
{
    Dmar *d = dmar_boot("");
    GRand *r = g_rand_new_with_seed(0x7d3a0c1e);
    unsigned entries = 256, errors = 0;

    tables_init(d, 3, 0);
    map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    fill(d, PAGE_P1, 0xf1);
    fe_setup(d, 0x0f0f);
    wr32(d, REG_IEDATA, 0x1e1e);
    wr32(d, REG_IEADDR, IE_MSG);
    qtest_memset(d->qts, IQ_BASE, 0, 0x2000);
    dmar_enable(d, ROOT_TABLE);
    qi_enable(d, IQ_BASE, 0);

    for (unsigned i = 0; i < 200; i++) {
        unsigned head = rd64(d, REG_IQH) / 16;
        unsigned n = g_rand_int_range(r, 1, 9);
        uint64_t iqt;

        for (unsigned k = 0; k < n; k++) {
            uint64_t lo, hi;

            fuzz_desc(r, &lo, &hi);
            qi_put(d, (head + k) % entries, lo, hi);
        }
        switch (g_rand_int_range(r, 0, 4)) {
        case 0:
            iqt = rnd64(r);                     /* anything at all */
            break;
        case 1:
            iqt = iq_off(g_rand_int_range(r, 0, 0x8000));
            break;
        default:
            iqt = iq_off((head + n) % entries);
        }
        wr64(d, REG_IQT, iqt);
        assert_head_sane(d, entries);
        if (!g_rand_int_range(r, 0, 8)) {
            wr32(d, REG_ICS, ICS_IWC);
            wr32(d, REG_IECTL, g_rand_boolean(r) ? IECTL_IM : 0);
        }
        if (!g_rand_int_range(r, 0, 32)) {
            unsigned qs = g_rand_int_range(r, 0, 2);

            entries = 256u << qs;
            wr64(d, REG_IQA, IQ_BASE | qs);
            g_assert_cmphex(rd64(d, REG_IQH), ==, 0);
        }
        if (rd32(d, REG_FSTS) & FSTS_IQE) {
            errors++;
            wr32(d, REG_FSTS, FSTS_IQE);
            assert_head_sane(d, entries);
        }
    }
    g_test_message("%u queue errors in 200 rounds", errors);
    g_assert_cmpuint(errors, >, 20);
    g_rand_free(r);

    /* alive and well: a fresh queue works, and so does translation */
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'query-status' }");
    wr32(d, REG_FSTS, FSTS_IQE);
    wr64(d, REG_IQA, IQ_BASE);
    wr64(d, REG_IQT, 0);
    d->iq_entries = 256;
    d->iq_tail = 0;
    wr32(d, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(rd32(d, REG_FSTS), ==, 0);
    qi_iotlb(d, GRAN_GLOBAL, 0, 0, 0);
    qi_cc(d, GRAN_GLOBAL, 0, 0, 0);
    qi_sync(d);
    zero(d, PAGE_OUT);
    copy(d, IOVA_A, IOVA_B);
    g_assert_true(holds(d, PAGE_OUT, 0xf1));
    g_assert_cmphex(rd32(d, REG_GSTS), ==,
                    GSTS_TES | GSTS_RTPS | GSTS_QIES);
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

    qtest_add_func("/vtd-dmar/qi/bring-up", test_qi_bringup);
    qtest_add_data_func("/vtd-dmar/qi/context-global", &qi_cc_global,
                        test_qi_context);
    qtest_add_data_func("/vtd-dmar/qi/context-domain", &qi_cc_domain,
                        test_qi_context);
    qtest_add_data_func("/vtd-dmar/qi/context-device", &qi_cc_device,
                        test_qi_context);
    qtest_add_data_func("/vtd-dmar/qi/context-device-fm1",
                        &qi_cc_device_fm1, test_qi_context);
    qtest_add_data_func("/vtd-dmar/qi/context-device-fm2",
                        &qi_cc_device_fm2, test_qi_context);
    qtest_add_data_func("/vtd-dmar/qi/context-device-fm3",
                        &qi_cc_device_fm3, test_qi_context);
    qtest_add_data_func("/vtd-dmar/qi/iotlb-page", &qi_inv_page,
                        test_invalidate_iotlb);
    qtest_add_data_func("/vtd-dmar/qi/iotlb-domain", &qi_inv_domain,
                        test_invalidate_iotlb);
    qtest_add_data_func("/vtd-dmar/qi/iotlb-global", &qi_inv_global,
                        test_invalidate_iotlb);
    qtest_add_func("/vtd-dmar/qi/iotlb-am", test_qi_iotlb_am);
    qtest_add_func("/vtd-dmar/qi/batch", test_qi_batch);
    qtest_add_func("/vtd-dmar/qi/wraparound", test_qi_wraparound);
    qtest_add_func("/vtd-dmar/qi/iqe-descriptor", test_qi_iqe_descriptor);
    qtest_add_func("/vtd-dmar/qi/iqe-fault-event", test_qi_iqe_fault_event);
    qtest_add_func("/vtd-dmar/qi/iqe-memory", test_qi_iqe_memory);
    qtest_add_func("/vtd-dmar/qi/iqe-tail", test_qi_iqe_tail);
    qtest_add_func("/vtd-dmar/qi/wait-event", test_qi_wait_event);
    qtest_add_func("/vtd-dmar/qi/fuzz", test_qi_fuzz);
    qtest_add_func("/vtd-dmar/qi/register-inv", test_qi_register_inv);
    qtest_add_func("/vtd-dmar/qi/migration", test_qi_migration);
    qtest_add_func("/vtd-dmar/qi/invalid/types", test_qi_invalid_types);
    for (unsigned i = 0; i < ARRAY_SIZE(qi_bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/vtd-dmar/qi/invalid/%s",
                                                qi_bad_cases[i].name);

        qtest_add_data_func(path, &qi_bad_cases[i], test_qi_invalid);
    }
    qtest_add_func("/vtd-dmar/qi/disable/iqh-reset", test_qi_disable_iqh);

    return g_test_run();
}
