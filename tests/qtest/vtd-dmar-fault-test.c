/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: DMA remapping faults. Every fault reason, the
 * fault recording registers' overflow and RW1C bits, fault processing
 * disable, and the fault event.
 * Plumbing in libqos/vtd-dmar.h; vtd-dmar-qtest.h says how the tests
 * work.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"

/* ================= fault reasons ================= */

/* IOVA_F, PAGE_T and the cases' table breakers: vtd-dmar-scenarios.h */
typedef struct FaultCase {
    const char *name;
    const char *props;
    uint8_t fr;
    bool write;
    void (*setup)(QDmar *d, ScnFaultEnv *e);
} FaultCase;

static const FaultCase fault_cases[] = {
    { "root-not-present", "", FR_ROOT_NP, true, scn_fc_root_absent },
    { "ctx-not-present", "", FR_CTX_NP, false, scn_fc_ctx_absent },
    { "ctx-tt-reserved", "", FR_CTX_INV, true, scn_fc_ctx_tt_reserved },
    { "ctx-tt-devtlb", "", FR_CTX_INV, false, scn_fc_ctx_tt_devtlb },
    { "ctx-tt-pt-off", "pt=off", FR_CTX_INV, true, scn_fc_ctx_tt_passthrough },
    { "ctx-aw-5level", "", FR_CTX_INV, false, scn_fc_ctx_aw5 },
    { "ctx-aw-4level-aw39", "aw-bits=39", FR_CTX_INV, true, scn_fc_ctx_aw4 },
    { "ctx-aw-reserved", "", FR_CTX_INV, true, scn_fc_ctx_aw_reserved },
    { "addr-beyond-aw", "", FR_BEYOND_AW, true, scn_fc_beyond_aw },
    { "addr-beyond-aw-read", "", FR_BEYOND_AW, false, scn_fc_beyond_aw },
    { "write-read-only", "", FR_WRITE, true, scn_fc_read_only },
    { "write-not-present", "", FR_WRITE, true, scn_fc_l3_absent },
    { "write-nonleaf-read-only", "", FR_WRITE, true, scn_fc_nonleaf_read_only },
    { "read-write-only", "", FR_READ, false, scn_fc_write_only },
    { "read-not-present", "", FR_READ, false, scn_fc_leaf_absent },
    { "read-not-present-rsvd", "", FR_READ, false, scn_fc_leaf_absent_rsvd },
    { "read-nonleaf-write-only", "", FR_READ, false,
      scn_fc_nonleaf_write_only },
    { "pte-read-error", "", FR_PTE_ACCESS, false, scn_fc_pte_no_ram },
    { "pte-read-error-write", "", FR_PTE_ACCESS, true, scn_fc_pte_no_ram },
    { "root-read-error", "", FR_ROOT_ACCESS, true, scn_fc_rta_no_ram },
    { "root-table-at-mmio", "", FR_ROOT_ACCESS, false, scn_fc_rta_mmio },
    { "ctx-read-error", "", FR_CTX_ACCESS, false, scn_fc_ctp_no_ram },
    { "ctx-table-at-mmio", "", FR_CTX_ACCESS, true, scn_fc_ctp_mmio },
    { "root-rsvd-lo", "", FR_ROOT_RSVD, true, scn_fc_root_rsvd_lo },
    { "root-rsvd-hi", "", FR_ROOT_RSVD, false, scn_fc_root_rsvd_hi },
    { "root-rsvd-haw", "", FR_ROOT_RSVD, false, scn_fc_root_rsvd_haw },
    { "ctx-rsvd-lo", "", FR_CTX_RSVD, false, scn_fc_ctx_rsvd_lo },
    { "ctx-rsvd-hi-bit7", "", FR_CTX_RSVD, true, scn_fc_ctx_rsvd_hi7 },
    { "ctx-rsvd-hi", "", FR_CTX_RSVD, false, scn_fc_ctx_rsvd_hi },
    { "pte-rsvd-snp", "", FR_PTE_RSVD, true, scn_fc_pte_snp },
    { "pte-rsvd-addr", "", FR_PTE_RSVD, false, scn_fc_pte_addr_haw },
    { "pte-rsvd-table-addr", "", FR_PTE_RSVD, true, scn_fc_table_addr_haw },
    { "pte-rsvd-ps-level4", "", FR_PTE_RSVD, true, scn_fc_pte_ps_l4 },
    { "pte-rsvd-2m-unaligned", "", FR_PTE_RSVD, false,
      scn_fc_pte_2m_unaligned },
};

/*
 * Set up good tables (IOVA_F -> PAGE_T, read/write), break them as the
 * case says, do one DMA, and check the record, the status and that the
 * DMA moved no data.
 */
static QDmar *fault_run(const FaultCase *fc, ScnFaultEnv *e, uint8_t *t_seed,
                        uint8_t *id_seed)
{
    QDmar *d = dmar_boot(fc->props);

    /* a known edu buffer, loaded while DMA is untranslated */
    dmar_fill(d, SCRATCH, 0x3a);
    dmar_dma_in(d, SCRATCH);

    e->rta = ROOT_TABLE;
    e->iova = IOVA_F;
    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_F, PAGE_T, 1, PTE_RW);
    fc->setup(d, e);

    *t_seed = fc->write ? 0x5c : 0x6d;
    *id_seed = fc->write ? 0x5c : 0x7e;
    dmar_fill(d, PAGE_T + (IOVA_F & 0xfff), *t_seed);
    dmar_fill(d, IOVA_F, *id_seed);
    dmar_enable(d, e->rta);
    if (fc->write) {
        dmar_dma_out(d, e->iova);
    } else {
        dmar_dma_in(d, e->iova);
    }
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    return d;
}

static void fault_check_no_data(QDmar *d, const FaultCase *fc,
                                uint8_t t_seed, uint8_t id_seed)
{
    /* a blocked write changed nothing... */
    g_assert_true(dmar_holds(d, PAGE_T + (IOVA_F & 0xfff), t_seed));
    g_assert_true(dmar_holds(d, IOVA_F, id_seed));
    if (!fc->write) {
        /* ...and a blocked read brought edu nothing: look untranslated */
        dmar_wr32(d, REG_GCMD, 0);
        dmar_dma_out(d, SCRATCH);
        g_assert_false(dmar_holds(d, SCRATCH, t_seed));
        g_assert_false(dmar_holds(d, SCRATCH, id_seed));
    }
}

static void test_fault(const void *opaque)
{
    const FaultCase *fc = opaque;
    ScnFaultEnv e;
    uint8_t t_seed, id_seed;
    QDmar *d = fault_run(fc, &e, &t_seed, &id_seed);

    dmar_assert_frcd(d, 0, e.iova, fc->fr, fc->write);
    /* edu's transfer is several bus transactions: one record */
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(1) + 8), ==, 0);
    fault_check_no_data(d, fc, t_seed, id_seed);
    dmar_free(d);
}

/*
 * VT-d §7.1.3: an error reading the second-stage table that SLPTPTR
 * references is reason 3h (7h is for tables referenced through a paging
 * entry's address field).
 */
static void test_fault_slptptr(void)
{
    static const FaultCase fc = {
        "slptptr-read-error", "", FR_CTX_INV, false, scn_fc_slptptr_no_ram,
    };
    ScnFaultEnv e;
    uint8_t t_seed, id_seed;
    QDmar *d = fault_run(&fc, &e, &t_seed, &id_seed);
    uint64_t hi = dmar_rd64(d, REG_FRCD(0) + 8);

    g_assert_cmphex(dmar_rd64(d, REG_FRCD(0)), ==, IOVA_F & ~0xfffull);
    g_assert_cmphex(hi & ~FRCD_FR(0xff), ==, FRCD_F | FRCD_T1 | EDU_SID);
    fault_check_no_data(d, &fc, t_seed, id_seed);
    dmar_assert_frcd(d, 0, IOVA_F, FR_CTX_INV, false);
    dmar_free(d);
}

/*
 * Pass-through requests are checked against the address width too
 * (fault reason 4h, X = MGAW for TT = 10b); the unit's walk code does
 * so (translate_passthrough), this checks that DMA actually sees it.
 */
static void test_fault_passthrough_beyond(void)
{
    QDmar *d = dmar_boot("");
    const uint64_t iova = IDENT_IN | 1ull << 50;

    dmar_tables_init(d, 4, CTX_TT(TT_PASSTHROUGH));  /* AW: largest AGAW */
    dmar_enable(d, ROOT_TABLE);
    dmar_dma_in(d, iova);
    dmar_assert_frcd(d, 0, iova, FR_BEYOND_AW, false);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    dmar_free(d);
}

/* ================= fault record overflow, RW1C ================= */

#define OV_IOVA(n)      (0x10000000ull + (n) * 0x1000ull)

static void ov_fault(QDmar *d, unsigned n)
{
    dmar_dma_in(d, OV_IOVA(n));      /* nothing is mapped: read fault 0x6 */
}

static void assert_ov(QDmar *d, unsigned i, unsigned n)
{
    dmar_assert_frcd(d, i, OV_IOVA(n), FR_READ, false);
}

static void test_fault_overflow(void)
{
    QDmar *d = dmar_boot("nfr=3");

    g_assert_cmphex((dmar_rd64(d, REG_CAP) >> 40) & 0xff, ==, 2);
    dmar_tables_init(d, 3, 0);
    dmar_enable(d, ROOT_TABLE);

    ov_fault(d, 0);
    assert_ov(d, 0, 0);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(0));

    /* F is RW1C: writing 0 to it, or writing the lower half, keeps it */
    dmar_wr32(d, REG_FRCD(0) + 12, 0x7fffffff);
    dmar_wr32(d, REG_FRCD(0) + 8, ~0u);
    dmar_wr64(d, REG_FRCD(0), ~0ull);
    assert_ov(d, 0, 0);
    /* PPF and FRI are read-only */
    dmar_wr32(d, REG_FSTS, FSTS_PPF | FSTS_FRI(2));
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    dmar_frcd_clear(d, 0);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(0) + 8) & FRCD_F, ==, 0);
    g_assert_cmphex(dmar_fsts(d), ==, 0);

    /* recording goes on at the next index; FRI names the first pending */
    ov_fault(d, 1);
    assert_ov(d, 1, 1);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(1));
    ov_fault(d, 2);
    assert_ov(d, 2, 2);
    /* the same fault while still pending is not recorded again */
    ov_fault(d, 2);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(0) + 8) & FRCD_F, ==, 0);
    ov_fault(d, 3);                             /* wraps to FRCD[0] */
    assert_ov(d, 0, 3);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(1));

    /* FRCD[1] is still pending: overflow, and nothing more is recorded */
    ov_fault(d, 4);
    g_assert_cmphex(dmar_fsts(d), ==,
                    FSTS_PFO | FSTS_PPF | FSTS_FRI(1));
    ov_fault(d, 5);
    assert_ov(d, 0, 3);
    assert_ov(d, 1, 1);
    assert_ov(d, 2, 2);
    g_assert_cmphex(dmar_fsts(d), ==,
                    FSTS_PFO | FSTS_PPF | FSTS_FRI(1));

    /* PFO is RW1C; with the records still full the next fault overflows */
    dmar_wr32(d, REG_FSTS, 0);
    g_assert_cmphex(dmar_fsts(d) & FSTS_PFO, ==, FSTS_PFO);
    dmar_wr32(d, REG_FSTS, FSTS_PFO);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(1));
    ov_fault(d, 6);
    g_assert_cmphex(dmar_fsts(d), ==,
                    FSTS_PFO | FSTS_PPF | FSTS_FRI(1));
    assert_ov(d, 1, 1);

    /* clear everything: recording resumes at the next index, FRCD[1] */
    for (unsigned i = 0; i < 3; i++) {
        dmar_frcd_clear(d, i);
    }
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PFO);
    dmar_wr32(d, REG_FSTS, FSTS_PFO);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    ov_fault(d, 7);
    assert_ov(d, 1, 7);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(1));
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(0) + 8) & FRCD_F, ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(2) + 8) & FRCD_F, ==, 0);
    ov_fault(d, 8);
    assert_ov(d, 2, 8);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(1));
    dmar_free(d);
}

/* ================= fault processing disable ================= */

static void test_fault_fpd(void)
{
    QDmar *d = dmar_boot("");

    dmar_tables_init(d, 3, CTX_FPD);
    dmar_map(d, IOVA_B, PAGE_P2, 1, PTE_R);
    dmar_fill(d, PAGE_P2, 0x51);
    dmar_enable(d, ROOT_TABLE);

    /* qualified faults are not recorded */
    dmar_dma_in(d, IOVA_A);                          /* 0x6, not present */
    dmar_dma_out(d, IOVA_B);                         /* 0x5, read-only */
    dmar_dma_in(d, IOVA_A | 1ull << 40);             /* 0x4 */
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(0) + 8), ==, 0);
    g_assert_true(dmar_holds(d, PAGE_P2, 0x51));

    /* context not present (0x2) with FPD = 1: qualified too */
    dmar_set_ctx(d, CTX_FPD | d->slpt, dmar_ctx_hi(d));
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    dmar_iotlb_inv(d, GRAN_GLOBAL, 0, 0);
    dmar_dma_in(d, IOVA_C);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(0) + 8), ==, 0);

    /* a reserved context bit (0xb) is not a qualified fault */
    dmar_set_ctx(d, CTX_FPD | CTX_P | 1ull << 4 | d->slpt, dmar_ctx_hi(d));
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    dmar_dma_in(d, IOVA_A);
    dmar_assert_frcd(d, 0, IOVA_A, FR_CTX_RSVD, false);

    /* nor is a root entry that is not present */
    dmar_set_ctx(d, CTX_FPD | CTX_P | d->slpt, dmar_ctx_hi(d));
    dmar_set_root(d, CTX_TABLE, 0);
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    dmar_dma_out(d, IOVA_B);
    dmar_assert_frcd(d, 1, IOVA_B, FR_ROOT_NP, true);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    g_assert_true(dmar_holds(d, PAGE_P2, 0x51));
    dmar_free(d);
}

/* ================= fault event ================= */

static void test_fault_event(void)
{
    QDmar *d = dmar_boot("");

    dmar_tables_init(d, 3, 0);                       /* nothing mapped */
    dmar_wr32(d, REG_FEDATA, 0xdead4321);
    dmar_wr32(d, REG_FEADDR, FE_MSG | 3);
    dmar_wr32(d, REG_FEUADDR, 0);
    dmar_wr32(d, REG_FECTL, 0);
    g_assert_cmphex(dmar_rd32(d, REG_FEDATA), ==, 0x4321);
    g_assert_cmphex(dmar_rd32(d, REG_FEADDR), ==, FE_MSG);
    qtest_writel(d->qts, FE_MSG, 0);
    dmar_enable(d, ROOT_TABLE);

    /* unmasked: the message goes out at once and IP stays clear */
    dmar_dma_in(d, OV_IOVA(0));
    g_assert_cmphex(fe_msg(d), ==, 0x4321);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, 0);

    /* PPF still set: a new fault is recorded but sends nothing */
    qtest_writel(d->qts, FE_MSG, 0xffffffff);
    dmar_dma_in(d, OV_IOVA(1));
    assert_ov(d, 1, 1);
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, 0);

    /* masked: IP is set and held until IM is cleared */
    dmar_frcd_clear(d, 0);
    dmar_frcd_clear(d, 1);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_wr32(d, REG_FECTL, FECTL_IM);
    dmar_dma_in(d, OV_IOVA(2));
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    /* IP is read-only */
    dmar_wr32(d, REG_FECTL, FECTL_IM);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    dmar_wr32(d, REG_FECTL, 0);
    g_assert_cmphex(fe_msg(d), ==, 0x4321);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, 0);
    /* unmasking again sends nothing more */
    qtest_writel(d->qts, FE_MSG, 0xffffffff);
    dmar_wr32(d, REG_FECTL, FECTL_IM);
    dmar_wr32(d, REG_FECTL, 0);
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);

    /* masked, then software services everything: IP clears, no message */
    dmar_frcd_clear(d, 2);
    dmar_wr32(d, REG_FECTL, FECTL_IM);
    dmar_dma_in(d, OV_IOVA(3));
    assert_ov(d, 3, 3);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    dmar_frcd_clear(d, 3);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, FECTL_IM);
    dmar_wr32(d, REG_FECTL, 0);
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);

    /* a new fault with new data */
    dmar_wr32(d, REG_FEDATA, 0x0bad);
    dmar_dma_out(d, OV_IOVA(4));
    dmar_assert_frcd(d, 4, OV_IOVA(4), FR_WRITE, true);
    g_assert_cmphex(fe_msg(d), ==, 0x0bad);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, 0);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(4));
    dmar_free(d);
}

/* PFO is an interrupt condition too: IP waits for it to be cleared */
static void test_fault_event_overflow(void)
{
    QDmar *d = dmar_boot("nfr=1");

    dmar_tables_init(d, 3, 0);
    dmar_wr32(d, REG_FEDATA, 0x77);
    dmar_wr32(d, REG_FEADDR, FE_MSG);
    dmar_wr32(d, REG_FECTL, 0);
    dmar_enable(d, ROOT_TABLE);

    qtest_writel(d->qts, FE_MSG, 0);
    ov_fault(d, 0);
    g_assert_cmphex(fe_msg(d), ==, 0x77);
    qtest_writel(d->qts, FE_MSG, 0xffffffff);
    ov_fault(d, 1);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PFO | FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);
    /* PFO still set: a fault is dropped even with the record free */
    dmar_frcd_clear(d, 0);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PFO);
    ov_fault(d, 2);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(0) + 8) & FRCD_F, ==, 0);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PFO);
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);
    /* nothing pending any more: the next fault is an event again */
    dmar_wr32(d, REG_FSTS, FSTS_PFO);
    ov_fault(d, 3);
    assert_ov(d, 0, 3);
    g_assert_cmphex(fe_msg(d), ==, 0x77);

    /* masked: clearing F leaves IP set while PFO is still set */
    dmar_frcd_clear(d, 0);
    dmar_wr32(d, REG_FECTL, FECTL_IM);
    qtest_writel(d->qts, FE_MSG, 0xffffffff);
    ov_fault(d, 4);
    ov_fault(d, 5);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PFO | FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    dmar_frcd_clear(d, 0);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    dmar_wr32(d, REG_FSTS, FSTS_PFO);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, FECTL_IM);
    dmar_wr32(d, REG_FECTL, 0);
    g_assert_cmphex(fe_msg(d), ==, 0xffffffff);
    dmar_free(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    DMAR_ADD_CASES("/vtd-dmar/fault", fault_cases, test_fault);
    qtest_add_func("/vtd-dmar/fault/slptptr-read-error", test_fault_slptptr);
    qtest_add_func("/vtd-dmar/fault/overflow", test_fault_overflow);
    qtest_add_func("/vtd-dmar/fault/fpd", test_fault_fpd);
    qtest_add_func("/vtd-dmar/fault/passthrough-beyond-mgaw",
                   test_fault_passthrough_beyond);
    qtest_add_func("/vtd-dmar/fault/event", test_fault_event);
    qtest_add_func("/vtd-dmar/fault/event-overflow",
                   test_fault_event_overflow);

    return g_test_run();
}
