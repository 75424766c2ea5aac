/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: invalidation. Register-based context-cache and
 * IOTLB invalidation (and x-verify-iotlb), and queued invalidation:
 * each descriptor type, wait descriptors and their event, IQE for bad
 * descriptors, tails and memory, and random descriptors.
 * Plumbing in libqos/vtd-dmar.h; vtd-dmar-qtest.h says how the tests
 * work.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"

/* ================= register-based invalidation ================= */

/* The cases (inv_page ... qi_inv_global), scn_inv_for(): scenarios.h */

static void test_invalidate_iotlb(const void *opaque)
{
    const ScnInvCase *c = opaque;
    QDmar *d = dmar_boot("");
    const uint64_t region = 0x20000000ull;      /* 2 MiB aligned */
    const uint64_t big = 0x30000000ull;         /* one 2 MiB page */

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, region + 0x5000, PAGE_P1, 1, PTE_R);
    dmar_map(d, big, BIG_2M_A, 2, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0x61);
    dmar_fill(d, PAGE_P2, 0x62);
    dmar_fill(d, BIG_2M_A + 0x3040, 0x63);
    dmar_fill(d, BIG_2M_B + 0x3040, 0x64);
    dmar_enable(d, ROOT_TABLE);
    if (c->qi) {
        dmar_qi_enable(d, IQ_BASE, 0);
    }

    /* a 4 KiB page */
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x61));
    dmar_map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    dmar_copy(d, IOVA_A, IOVA_B);                    /* old or new: either */
    scn_inv_for(d, c, IOVA_A, 0);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x62));

    /* a page inside a 2 MiB range (AM = 9) */
    dmar_copy(d, region + 0x5000, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x61));
    dmar_map(d, region + 0x5000, PAGE_P2, 1, PTE_R);
    scn_inv_for(d, c, region, 9);
    dmar_copy(d, region + 0x5000, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x62));

    /* a 2 MiB page, invalidated through one of its 4 KiB pages */
    dmar_copy(d, big + 0x3040, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x63));
    dmar_map(d, big, BIG_2M_B, 2, PTE_R);
    scn_inv_for(d, c, big + 0x3000, 0);
    dmar_copy(d, big + 0x3040, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x64));

    /* the mapping of the write side was never changed */
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_free(d);
}

/*
 * IOVA_A -> PAGE_P1 (read), IOVA_B -> PAGE_OUT (write), PAGE_P1 and
 * PAGE_P2 filled with 0x71 and 0x72; translation on, and one copy from A
 * to B done, so that IOVA_A's translation is cached.
 */
static void setup_a_to_b(QDmar *d)
{
    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0x71);
    dmar_fill(d, PAGE_P2, 0x72);
    dmar_enable(d, ROOT_TABLE);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x71));
}

/*
 * x-verify-iotlb: a changed mapping used before its invalidation still
 * translates as cached (the spec allows it), and the unit reports that
 * the tables say otherwise; after the invalidation nothing is reported.
 */
static QDmar *dmar_boot_logged(const char *props, char **log)
{
    return dmar_boot_log(props, "-d guest_errors", log);
}

static void test_verify_iotlb(void)
{
    g_autofree char *log = NULL;
    g_autofree char *text = NULL;
    g_autofree char *cached = NULL;
    g_autofree char *fresh = NULL;
    char *p;
    unsigned reports = 0;
    QDmar *d = dmar_boot_logged("x-verify-iotlb=on", &log);

    setup_a_to_b(d);
    dmar_map(d, IOVA_A, PAGE_P2, 1, PTE_R);          /* no invalidation yet */
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x71));    /* the cached page */
    dmar_iotlb_inv(d, GRAN_PAGE, DOMAIN, IOVA_A);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x72));
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_free(d);                               /* flushes the log */

    text = dmar_log_text(log);
    /* every report: edu's read of IOVA_A, cached P1, tables P2 */
    cached = g_strdup_printf("read 0x%" PRIx64 " used a stale IOTLB entry "
                             "(pa 0x%" PRIx64 " perm 1)", (uint64_t)IOVA_A,
                             (uint64_t)PAGE_P1);
    fresh = g_strdup_printf("the tables say pa 0x%" PRIx64 " perm 1",
                            (uint64_t)PAGE_P2);
    for (p = strstr(text, "stale IOTLB"); p;
         p = strstr(p + 1, "stale IOTLB")) {
        const char *line = p;
        g_autofree char *one = NULL;

        while (line > text && line[-1] != '\n') {
            line--;
        }
        one = g_strndup(line, strchrnul(line, '\n') - line);
        g_assert_nonnull(strstr(one, "sid 00:04.0"));
        g_assert_nonnull(strstr(one, cached));
        g_assert_nonnull(strstr(one, fresh));
        reports++;
    }
    g_assert_cmpuint(reports, >=, 1);
}

/*
 * x-verify-iotlb checks every page a DMA uses: in a transfer over two
 * cached pages that map contiguously, the stale second page is reported.
 */
static void test_verify_iotlb_block(void)
{
    g_autofree char *log = NULL;
    g_autofree char *text = NULL;
    g_autofree char *want = NULL;
    QDmar *d = dmar_boot_logged("x-verify-iotlb=on", &log);

    dmar_tables_init(d, 4, 0);
    dmar_map(d, BLK_IOVA, BLK_PA(0), 1, PTE_R);
    dmar_map(d, BLK_IOVA + 0x1000, BLK_PA(1), 1, PTE_R);
    dmar_enable(d, ROOT_TABLE);
    dmar_edu_dma(d, BLK_IOVA + 0x800, EDU_BUF, EDU_BUF_SIZE, false);
    /* no invalidation */
    dmar_map(d, BLK_IOVA + 0x1000, BLK_PA(5), 1, PTE_R);
    dmar_edu_dma(d, BLK_IOVA + 0x800, EDU_BUF, EDU_BUF_SIZE, false);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_free(d);

    text = dmar_log_text(log);
    want = g_strdup_printf("read 0x%" PRIx64 " used a stale IOTLB entry "
                           "(pa 0x%" PRIx64 " perm 1); the tables say pa 0x%"
                           PRIx64, (uint64_t)BLK_IOVA + 0x1000,
                           (uint64_t)BLK_PA(1), (uint64_t)BLK_PA(5));
    g_assert_nonnull(strstr(text, want));
}

static void test_invalidate_iotlb_granularity(void)
{
    QDmar *d = dmar_boot("");
    uint64_t v;

    setup_a_to_b(d);

    /* AM above MAMV (18): done, and reported, as domain-selective */
    dmar_map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    v = dmar_iotlb_inv(d, GRAN_PAGE, DOMAIN, IVA_AM(19));
    g_assert_cmphex(IOTLB_IAIG(v), ==, GRAN_DOMAIN);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x72));

    /* AM = MAMV is still page-selective */
    v = dmar_iotlb_inv(d, GRAN_PAGE, DOMAIN, IVA_AM(18));
    g_assert_cmphex(IOTLB_IAIG(v), ==, GRAN_PAGE);

    /* IIRG = 0 is invalid: IAIG = 0 */
    dmar_wr64(d, REG_IOTLB, IOTLB_IVT | IOTLB_DID(DOMAIN));
    v = dmar_rd64(d, REG_IOTLB);
    g_assert_cmphex(v & IOTLB_IVT, ==, 0);
    g_assert_cmphex(IOTLB_IAIG(v), ==, 0);

    /* the 32-bit halves: the command goes with the upper one */
    dmar_wr64(d, REG_IVA, IOVA_A);
    dmar_wr32(d, REG_IOTLB, 0);
    dmar_wr32(d, REG_IOTLB + 4, (IOTLB_IVT | IOTLB_IIRG(GRAN_GLOBAL)) >> 32);
    v = dmar_rd64(d, REG_IOTLB);
    g_assert_cmphex(v & IOTLB_IVT, ==, 0);
    g_assert_cmphex(IOTLB_IAIG(v), ==, GRAN_GLOBAL);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_free(d);
}

static void test_invalidate_context(void)
{
    QDmar *d = dmar_boot("");
    uint64_t v, slpt1, slpt2;

    dmar_tables_init(d, 3, 0);
    slpt1 = d->slpt;
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_C, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0x81);
    dmar_fill(d, PAGE_P2, 0x82);
    dmar_enable(d, ROOT_TABLE);

    /* granularities as reported in CAIG */
    v = dmar_ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_GLOBAL);
    v = dmar_ccmd_inv(d, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DOMAIN);
    v = dmar_ccmd_inv(d, CCMD_CIRG(GRAN_DEVICE) | CCMD_SID(EDU_SID) |
                      CCMD_DID(DOMAIN));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DEVICE);
    v = dmar_ccmd_inv(d, CCMD_CIRG(0));
    g_assert_cmphex(CCMD_CAIG(v), ==, 0);

    /* context cached; then made not present, device-selective flush */
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x81));
    dmar_set_ctx(d, dmar_ctx_lo(d) & ~CTX_P, dmar_ctx_hi(d));
    dmar_wr32(d, REG_CCMD, CCMD_SID(EDU_SID) | CCMD_DID(DOMAIN));
    dmar_wr32(d, REG_CCMD + 4, (CCMD_ICC | CCMD_CIRG(GRAN_DEVICE)) >> 32);
    v = dmar_rd64(d, REG_CCMD);
    g_assert_cmphex(v & CCMD_ICC, ==, 0);
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DEVICE);
    /* a page the IOTLB never saw needs the context: it is gone */
    dmar_dma_in(d, IOVA_C);
    dmar_assert_frcd(d, 0, IOVA_C, FR_CTX_NP, false);
    /* and with the IOTLB flushed too (as VT-d §6.5 asks), every page */
    dmar_iotlb_inv(d, GRAN_DOMAIN, DOMAIN, 0);
    dmar_zero(d, PAGE_OUT);
    dmar_dma_out(d, IOVA_B);
    dmar_assert_frcd(d, 1, IOVA_B, FR_CTX_NP, true);
    g_assert_false(dmar_holds(d, PAGE_OUT, 0x81));

    /* not-present entries are not cached (CM = 0): no flush needed */
    dmar_set_ctx(d, dmar_ctx_lo(d) | CTX_P, dmar_ctx_hi(d));
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x81));
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(2) + 8), ==, 0);

    /* device-selective with FM = 3: 00:04.7 names every function of 04 */
    dmar_set_ctx(d, dmar_ctx_lo(d) & ~CTX_P, dmar_ctx_hi(d));
    v = dmar_ccmd_inv(d, CCMD_CIRG(GRAN_DEVICE) | CCMD_FM(3) |
                      CCMD_SID(EDU_SID | 7) | CCMD_DID(DOMAIN));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DEVICE);
    dmar_dma_in(d, IOVA_C + 0x1000);     /* a new page: no collapsing */
    dmar_assert_frcd(d, 2, IOVA_C + 0x1000, FR_CTX_NP, false);
    dmar_set_ctx(d, dmar_ctx_lo(d) | CTX_P, dmar_ctx_hi(d));

    /* new second-level tables for the domain, domain-selective flush */
    slpt2 = d->slpt = dmar_table_new(d);
    dmar_map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_set_ctx(d, slpt2 | CTX_P, dmar_ctx_hi(d));
    g_assert_cmphex(slpt1, !=, slpt2);
    v = dmar_ccmd_inv(d, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DOMAIN);
    dmar_iotlb_inv(d, GRAN_DOMAIN, DOMAIN, 0);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x82));
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(3) + 8), ==, 0);
    dmar_free(d);
}

/* ================= queued invalidation ================= */

static void test_qi_bringup(void)
{
    QDmar *d = dmar_boot("");

    g_assert_cmphex(dmar_rd64(d, REG_ECAP) & ECAP_QI, ==, ECAP_QI);
    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0xc1);
    dmar_zero(d, PAGE_OUT);
    dmar_enable(d, ROOT_TABLE);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0xc1));

    /* a queue with one wait descriptor: without QIE, IQT runs nothing */
    qtest_writel(d->qts, IQ_STATUS, 0);
    qtest_writel(d->qts, IQ_STATUS + 4, 0xffffffff);
    d->iq_base = IQ_BASE;
    dmar_wr64(d, REG_IQA, IQ_BASE);
    dmar_qi_put(d, 0, QI_WAIT | QI_WAIT_SW | QI_SDATA(0x1234abcd), IQ_STATUS);
    dmar_wr64(d, REG_IQT, dmar_iq_off(1));
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);

    /* bring-up as Linux does it: IQA, IQT = 0, then QIE with TE kept */
    dmar_wr64(d, REG_IQT, 0);
    dmar_wr32(d, REG_GCMD, GCMD_TE | GCMD_QIE);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==,
                    GSTS_TES | GSTS_RTPS | GSTS_QIES);
    g_assert_cmphex(dmar_rd64(d, REG_IQA), ==, IQ_BASE);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_IQT), ==, 0);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);

    /* IQT = 16: the wait descriptor runs, its status dword lands */
    dmar_wr64(d, REG_IQT, dmar_iq_off(1));
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0x1234abcd);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 4), ==, 0xffffffff);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(1));
    g_assert_cmphex(dmar_rd64(d, REG_IQT), ==, dmar_iq_off(1));
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, 0);          /* IF was 0 */
    g_assert_cmphex(dmar_rd64(d, REG_IQERCD), ==, 0);
    /* the same tail again: nothing is fetched twice */
    qtest_writel(d->qts, IQ_STATUS, 0);
    dmar_wr64(d, REG_IQT, dmar_iq_off(1));
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(1));

    /* translation went on all along */
    dmar_zero(d, PAGE_OUT);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0xc1));

    /* a new IQA (here: 2 pages, 512 entries) starts at its base */
    dmar_wr64(d, REG_IQA, IQ_BASE | 1);
    g_assert_cmphex(dmar_rd64(d, REG_IQA), ==, IQ_BASE | 1);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, 0);
    dmar_wr64(d, REG_IQT, 0);
    d->iq_entries = 512;
    d->iq_tail = 0;
    for (unsigned i = 0; i < 300; i++) {
        dmar_qi_push(d, QI_WAIT, 0);                     /* a no-op wait */
    }
    dmar_qi_sync(d);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(301));
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==,
                    GSTS_TES | GSTS_RTPS | GSTS_QIES);
    dmar_free(d);
}

/* ScnQiCcCase and the qi_cc_* cases: vtd-dmar-scenarios.h */

static void test_qi_context(const void *opaque)
{
    const ScnQiCcCase *c = opaque;
    QDmar *d = dmar_boot("");

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_C, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0x81);
    dmar_fill(d, PAGE_P2, 0x82);
    dmar_zero(d, PAGE_OUT);
    dmar_enable(d, ROOT_TABLE);
    dmar_qi_enable(d, IQ_BASE, 0);

    /* context cached; then made not present and invalidated */
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x81));
    dmar_set_ctx(d, dmar_ctx_lo(d) & ~CTX_P, dmar_ctx_hi(d));
    dmar_qi_cc(d, c->gran, DOMAIN, c->sid, c->fm);
    dmar_qi_sync(d);
    /* a page the IOTLB never saw needs the context: it is gone */
    dmar_dma_in(d, IOVA_C);
    dmar_assert_frcd(d, 0, IOVA_C, FR_CTX_NP, false);
    /* and with the IOTLB flushed too (as VT-d §6.5 asks), every page */
    dmar_qi_iotlb(d, GRAN_DOMAIN, DOMAIN, 0, 0);
    dmar_qi_sync(d);
    dmar_zero(d, PAGE_OUT);
    dmar_dma_out(d, IOVA_B);
    dmar_assert_frcd(d, 1, IOVA_B, FR_CTX_NP, true);
    g_assert_false(dmar_holds(d, PAGE_OUT, 0x81));

    /* present again with new second-level tables: those are used */
    d->slpt = dmar_table_new(d);
    dmar_map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_set_ctx(d, d->slpt | CTX_P, dmar_ctx_hi(d));
    dmar_qi_cc(d, c->gran, DOMAIN, c->sid, c->fm);
    dmar_qi_iotlb(d, GRAN_DOMAIN, DOMAIN, 0, 0);
    dmar_qi_sync(d);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x82));
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(2) + 8), ==, 0);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    dmar_free(d);
}

/* Page-selective with AM: a 2 MiB range, and AM above MAMV */
static void test_qi_iotlb_am(void)
{
    QDmar *d = dmar_boot("");
    const uint64_t region = 0x20000000ull;      /* 2 MiB aligned */
    const uint64_t far = 0x4000000000ull;       /* 256 GiB aligned */

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, region + 0x5000, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0xa1);
    dmar_fill(d, PAGE_P2, 0xa2);
    dmar_enable(d, ROOT_TABLE);
    dmar_qi_enable(d, IQ_BASE, 0);

    /* AM = 9: the page inside the 2 MiB range */
    dmar_copy(d, region + 0x5000, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0xa1));
    dmar_map(d, region + 0x5000, PAGE_P2, 1, PTE_R);
    dmar_qi_iotlb(d, GRAN_PAGE, DOMAIN, region, 9);
    dmar_qi_sync(d);
    dmar_copy(d, region + 0x5000, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0xa2));

    /*
     * AM = 19 > MAMV (18): done as domain-selective, so a page far
     * outside the 2 GiB range named goes too.
     */
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0xa1));
    dmar_map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    dmar_qi_iotlb(d, GRAN_PAGE, DOMAIN, far, 19);
    dmar_qi_sync(d);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0xa2));

    /* AM = MAMV is a valid page-selective request */
    dmar_qi_iotlb(d, GRAN_PAGE, DOMAIN, 0, 18);
    dmar_qi_sync(d);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_free(d);
}

static void test_qi_batch(void)
{
    QDmar *d = dmar_boot("");

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0x91);
    dmar_fill(d, PAGE_P2, 0x92);
    dmar_zero(d, PAGE_OUT);
    dmar_zero(d, PAGE_P3);
    dmar_enable(d, ROOT_TABLE);
    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x91));

    /* written but not submitted: nothing runs */
    dmar_map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    qtest_writel(d->qts, IQ_STATUS, 0);
    dmar_qi_iotlb(d, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    dmar_qi_push_wait(d, IQ_STATUS, 0xb0b0, 0);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, 0);
    /* one IQT write runs both */
    dmar_qi_kick(d);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0xb0b0);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(2));
    dmar_zero(d, PAGE_OUT);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x92));

    /* both sides remapped: IOTLB, context, IOTLB between two waits */
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_P3, 1, PTE_W);
    qtest_writel(d->qts, IQ_STATUS + 4, 0);
    qtest_writel(d->qts, IQ_STATUS + 8, 0);
    dmar_qi_push_wait(d, IQ_STATUS + 4, 0xb1, QI_WAIT_FN);
    dmar_qi_iotlb(d, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    dmar_qi_cc(d, GRAN_DEVICE, DOMAIN, EDU_SID, 0);
    dmar_qi_iotlb(d, GRAN_PAGE, DOMAIN, IOVA_B, 0);
    dmar_qi_push_wait(d, IQ_STATUS + 8, 0xb2, 0);
    dmar_qi_kick(d);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 4), ==, 0xb1);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 8), ==, 0xb2);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(7));
    dmar_zero(d, PAGE_OUT);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_P3, 0x91));
    g_assert_false(dmar_holds(d, PAGE_OUT, 0x91));
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_free(d);
}

static void test_qi_wraparound(void)
{
    /* 0 -> 200 -> 0 (tail 0) -> 250 -> 4 (tail < head) -> 3 (full) */
    static const unsigned batches[] = { 200, 56, 250, 10, 255, 1 };
    QDmar *d = dmar_boot("");
    unsigned seq = 0, wraps = 0;

    qtest_memset(d->qts, IQ_STATUS, 0, 0x1000);
    dmar_qi_enable(d, IQ_BASE, 0);
    for (unsigned b = 0; b < ARRAY_SIZE(batches); b++) {
        unsigned head = d->iq_tail, first = seq;

        for (unsigned i = 0; i < batches[b]; i++, seq++) {
            dmar_qi_push_wait(d, IQ_STATUS + 4 * seq, 0x5a000000 | seq, 0);
        }
        wraps += d->iq_tail <= head;
        dmar_qi_kick(d);
        g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);
        g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(d->iq_tail));
        for (unsigned s = first; s < seq; s++) {
            uint32_t got = qtest_readl(d->qts, IQ_STATUS + 4 * s);

            if (got != (0x5a000000 | s)) {
                g_test_message("batch %u, descriptor %u", b, s);
            }
            g_assert_cmphex(got, ==, 0x5a000000 | s);
        }
    }
    g_assert_cmpuint(wraps, ==, 3);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(4));
    dmar_free(d);
}

static void test_qi_iqe_descriptor(void)
{
    QDmar *d = dmar_boot("");
    unsigned bad;

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0xe1);
    dmar_fill(d, PAGE_P2, 0xe2);
    scn_fe_setup(d, 0x4e4e);
    qtest_memset(d->qts, IQ_STATUS, 0, 16);
    dmar_enable(d, ROOT_TABLE);
    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_qi_sync(d);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0xe1));

    /* [IOTLB invalidation, reserved type 7, wait]: stops at type 7 */
    dmar_map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    dmar_qi_iotlb(d, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    bad = dmar_qi_push(d, 7, 0);
    dmar_qi_push_wait(d, IQ_STATUS, 0x51, 0);
    dmar_qi_kick(d);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(bad));
    g_assert_cmphex(dmar_rd64(d, REG_IQT), ==, dmar_iq_off(d->iq_tail));
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_IQERCD), ==, IQEI_TYPE);
    /* IQE is a fault event condition: FECTL.IM = 0, nothing pending */
    g_assert_cmphex(fe_msg(d), ==, 0x4e4e);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, 0);
    /* the descriptor before the bad one did its work */
    dmar_zero(d, PAGE_OUT);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0xe2));

    /* while IQE is set, a new tail fetches nothing */
    dmar_qi_push_wait(d, IQ_STATUS + 4, 0x52, 0);
    dmar_qi_kick(d);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 4), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(bad));
    /* IQE is RW1C: writing 0 keeps it */
    dmar_wr32(d, REG_FSTS, 0);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(bad));

    /*
     * Software replaces the bad descriptor by a wait (here one asking
     * for the completion event too) and clears IQE.
     */
    qtest_writel(d->qts, FE_MSG, 0);
    dmar_wr32(d, REG_IEDATA, 0x1e1e);
    dmar_wr32(d, REG_IEADDR, IE_MSG);
    dmar_wr32(d, REG_IECTL, 0);
    qtest_writel(d->qts, IE_MSG, 0);
    dmar_qi_put(d, bad, QI_WAIT | QI_WAIT_SW | QI_WAIT_IF | QI_SDATA(0x50),
                IQ_STATUS + 8);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, 0);
    dmar_wr32(d, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(qtest_readl(d->qts, IE_MSG), ==, 0x1e1e);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 8), ==, 0x50);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0x51);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 4), ==, 0x52);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(d->iq_tail));
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_rd64(d, REG_IQT));
    g_assert_cmphex(fe_msg(d), ==, 0);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, 0);
    dmar_qi_sync(d);
    dmar_free(d);
}

/* Put a bad descriptor at the tail and submit it; returns its index */
static void test_qi_iqe_fault_event(void)
{
    QDmar *d = dmar_boot("");

    scn_qi_iqe_fault_event(d);
    dmar_free(d);
}

/* The cases and scenarios: vtd-dmar-scenarios.h */
static void test_qi_invalid(const void *opaque)
{
    const ScnQiBadCase *c = opaque;
    QDmar *d = dmar_boot(c->no_ir ? "intremap=off" : "");

    scn_qi_invalid(d, c);
    dmar_free(d);
}

static void test_qi_invalid_types(void)
{
    QDmar *d = dmar_boot("");

    scn_qi_invalid_types(d);
    dmar_free(d);
}

static void test_qi_iqe_memory(void)
{
    QDmar *d = dmar_boot("");

    scn_qi_iqe_memory(d);
    dmar_free(d);
}

static void test_qi_iqe_tail(void)
{
    QDmar *d = dmar_boot("");

    scn_qi_iqe_tail(d);
    dmar_free(d);
}

/*
 * An invalidation event message aimed at the unit's own registers (here
 * FEDATA) is dropped: the register window is lockless I/O, without
 * QEMU's re-entrancy guard, and a message written into it from within a
 * register write would recurse. The completion itself stands.
 */
static void test_qi_wait_event_own_registers(void)
{
    QDmar *d = dmar_boot("");

    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_wr32(d, REG_FEDATA, 0x1111);
    dmar_wr32(d, REG_IEDATA, 0x4567);
    dmar_wr32(d, REG_IEADDR, (uint32_t)(DMAR_BASE + REG_FEDATA));
    dmar_wr32(d, REG_IEUADDR, 0);
    dmar_wr32(d, REG_IECTL, 0);
    dmar_qi_wait_if(d);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(dmar_rd32(d, REG_FEDATA), ==, 0x1111);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);
    /* the unit goes on: the next completion is seen */
    dmar_wr32(d, REG_ICS, ICS_IWC);
    dmar_wr32(d, REG_IEADDR, IE_MSG);
    qtest_writel(d->qts, IE_MSG, 0);
    dmar_qi_wait_if(d);
    g_assert_cmphex(ie_msg(d), ==, 0x4567);
    dmar_free(d);
}

/* VT-d §6.5.2.9: the invalidation completion event */
static void test_qi_wait_event(void)
{
    QDmar *d = dmar_boot_full("", "-m 5G", false);
    const uint64_t high_msg = 0x100020000ull;
    unsigned bad;

    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_wr32(d, REG_IEDATA, 0x4567);
    dmar_wr32(d, REG_IEADDR, IE_MSG);
    dmar_wr32(d, REG_IEUADDR, 0);
    dmar_wr32(d, REG_IECTL, 0);
    qtest_writel(d->qts, IE_MSG, 0);

    /* IF = 0: no IWC, no message */
    dmar_qi_sync(d);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, 0);
    g_assert_cmphex(ie_msg(d), ==, 0);

    /* IF = 1, unmasked: IWC set, IEDATA sent to IEADDR */
    dmar_qi_wait_if(d);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(ie_msg(d), ==, 0x4567);
    g_assert_cmphex(dmar_rd32(d, REG_IECTL), ==, 0);
    /* IWC still set: another completion sends nothing */
    qtest_writel(d->qts, IE_MSG, 0xffffffff);
    dmar_qi_wait_if(d);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(ie_msg(d), ==, 0xffffffff);
    /* IWC is RW1C */
    dmar_wr32(d, REG_ICS, 0);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, ICS_IWC);
    dmar_wr32(d, REG_ICS, ICS_IWC);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, 0);
    g_assert_cmphex(ie_msg(d), ==, 0xffffffff);
    /* serviced: the next completion is an event again, with new data */
    dmar_wr32(d, REG_IEDATA, 0x89ab);
    dmar_qi_wait_if(d);
    g_assert_cmphex(ie_msg(d), ==, 0x89ab);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, ICS_IWC);

    /* masked: IP set, no message; unmasking sends it and clears IP */
    dmar_wr32(d, REG_ICS, ICS_IWC);
    dmar_wr32(d, REG_IECTL, IECTL_IM);
    qtest_writel(d->qts, IE_MSG, 0xffffffff);
    dmar_qi_wait_if(d);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(dmar_rd32(d, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    g_assert_cmphex(ie_msg(d), ==, 0xffffffff);
    /* IP is read-only */
    dmar_wr32(d, REG_IECTL, IECTL_IM);
    g_assert_cmphex(dmar_rd32(d, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    dmar_wr32(d, REG_IECTL, 0);
    g_assert_cmphex(ie_msg(d), ==, 0x89ab);
    g_assert_cmphex(dmar_rd32(d, REG_IECTL), ==, 0);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, ICS_IWC);
    /* unmasking again sends nothing more */
    qtest_writel(d->qts, IE_MSG, 0xffffffff);
    dmar_wr32(d, REG_IECTL, IECTL_IM);
    dmar_wr32(d, REG_IECTL, 0);
    g_assert_cmphex(ie_msg(d), ==, 0xffffffff);

    /* masked, then IWC cleared by software: IP clears, no message */
    dmar_wr32(d, REG_ICS, ICS_IWC);
    dmar_wr32(d, REG_IECTL, IECTL_IM);
    dmar_qi_wait_if(d);
    g_assert_cmphex(dmar_rd32(d, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    dmar_wr32(d, REG_ICS, ICS_IWC);
    g_assert_cmphex(dmar_rd32(d, REG_IECTL), ==, IECTL_IM);
    dmar_wr32(d, REG_IECTL, 0);
    g_assert_cmphex(ie_msg(d), ==, 0xffffffff);

    /* IF and SW together: the status write and the message */
    qtest_writel(d->qts, IQ_STATUS, 0);
    dmar_qi_push_wait(d, IQ_STATUS, 0x5151, QI_WAIT_IF);
    dmar_qi_kick(d);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0x5151);
    g_assert_cmphex(ie_msg(d), ==, 0x89ab);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, ICS_IWC);

    /* a wait that completed before a bad descriptor still counts */
    dmar_wr32(d, REG_ICS, ICS_IWC);
    qtest_writel(d->qts, IE_MSG, 0);
    dmar_qi_push(d, QI_WAIT | QI_WAIT_IF, 0);
    bad = scn_qi_fail(d);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(ie_msg(d), ==, 0x89ab);
    scn_qi_recover(d, bad);

    /* the message goes above 4 GiB with IEUADDR */
    dmar_wr32(d, REG_ICS, ICS_IWC);
    dmar_wr32(d, REG_IEADDR, high_msg & 0xffffffff);
    dmar_wr32(d, REG_IEUADDR, high_msg >> 32);
    qtest_writel(d->qts, high_msg, 0);
    qtest_writel(d->qts, IE_MSG, 0);
    dmar_qi_wait_if(d);
    g_assert_cmphex(qtest_readl(d->qts, high_msg), ==, 0x89ab);
    g_assert_cmphex(ie_msg(d), ==, 0);

    /* none of it is a fault event but IQE, which was serviced */
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, FECTL_IM);
    dmar_free(d);
}

/*
 * VT-d §6.5.2: with QI enabled, software invalidates only through the
 * queue. A CCMD/IOTLB command written anyway must not invalidate (the
 * old translation is still used); with QI disabled it works again.
 */
static void test_qi_register_inv(void)
{
    QDmar *d = dmar_boot("");
    uint64_t v;

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_C, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0x71);
    dmar_fill(d, PAGE_P2, 0x72);
    dmar_enable(d, ROOT_TABLE);
    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x71));

    /* IOTLB: a changed PTE, a register-based global flush */
    dmar_map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    dmar_wr64(d, REG_IVA, IOVA_A);
    dmar_wr64(d, REG_IOTLB, IOTLB_IVT | IOTLB_IIRG(GRAN_GLOBAL) | IOTLB_DR |
              IOTLB_DW | IOTLB_DID(DOMAIN));
    v = dmar_rd64(d, REG_IOTLB);
    g_test_message("IOTLB reads 0x%016" PRIx64 " with QI enabled", v);
    g_assert_cmphex(IOTLB_IAIG(v), ==, 0);
    dmar_zero(d, PAGE_OUT);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x71));

    /* context: made not present, a register-based global flush */
    dmar_set_ctx(d, dmar_ctx_lo(d) & ~CTX_P, dmar_ctx_hi(d));
    dmar_wr64(d, REG_CCMD, CCMD_ICC | CCMD_CIRG(GRAN_GLOBAL));
    v = dmar_rd64(d, REG_CCMD);
    g_test_message("CCMD reads 0x%016" PRIx64 " with QI enabled", v);
    g_assert_cmphex(CCMD_CAIG(v), ==, 0);
    dmar_zero(d, PAGE_OUT);
    dmar_copy(d, IOVA_C, IOVA_B);                    /* the cached context */
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x71));
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_qi_sync(d);

    /* QI disabled: QIES clears, register-based invalidation is back */
    dmar_wr32(d, REG_GCMD, GCMD_TE);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    v = dmar_ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_GLOBAL);
    v = dmar_iotlb_inv(d, GRAN_GLOBAL, 0, 0);
    g_assert_cmphex(IOTLB_IAIG(v), ==, GRAN_GLOBAL);
    dmar_dma_in(d, IOVA_A);
    dmar_assert_frcd(d, 0, IOVA_A, FR_CTX_NP, false);
    dmar_frcd_clear(d, 0);
    /* not cached (CM=0) */
    dmar_set_ctx(d, dmar_ctx_lo(d) | CTX_P, dmar_ctx_hi(d));
    dmar_zero(d, PAGE_OUT);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x72));
    g_assert_cmphex(dmar_fsts(d), ==, 0);

    /* on again: the queue restarts at its base */
    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_qi_sync(d);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(1));
    dmar_free(d);
}

/*
 * VT-d §11.4.9.1, IQH.QH: "Hardware resets this field to 0 whenever the
 * queued invalidation is disabled (QIES field Clear in the Global
 * Status register)."
 */
static void test_qi_disable_iqh(void)
{
    QDmar *d = dmar_boot("");

    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_qi_sync(d);
    dmar_qi_sync(d);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(2));
    dmar_wr32(d, REG_GCMD, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_IQT), ==, dmar_iq_off(2));
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, 0);
    /* and the queue starts over when enabled again */
    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_qi_sync(d);
    dmar_free(d);
}

/* Random descriptors and tails, valid and not, with a fixed seed */
static void test_qi_fuzz(void)
{
    QDmar *d = dmar_boot("");

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0xf1);
    scn_fe_setup(d, 0x0f0f);
    dmar_wr32(d, REG_IEDATA, 0x1e1e);
    dmar_wr32(d, REG_IEADDR, IE_MSG);
    qtest_memset(d->qts, IQ_BASE, 0, 0x2000);
    dmar_enable(d, ROOT_TABLE);
    dmar_qi_enable(d, IQ_BASE, 0);
    scn_qi_fuzz(d);

    /* alive and well, and translation works */
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'query-status' }");
    dmar_zero(d, PAGE_OUT);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0xf1));
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==,
                    GSTS_TES | GSTS_RTPS | GSTS_QIES);
    dmar_free(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/vtd-dmar/invalidate/verify-iotlb", test_verify_iotlb);
    qtest_add_func("/vtd-dmar/invalidate/verify-iotlb-block",
                   test_verify_iotlb_block);
    qtest_add_data_func("/vtd-dmar/invalidate/iotlb-page", &inv_page,
                        test_invalidate_iotlb);
    qtest_add_data_func("/vtd-dmar/invalidate/iotlb-domain", &inv_domain,
                        test_invalidate_iotlb);
    qtest_add_data_func("/vtd-dmar/invalidate/iotlb-global", &inv_global,
                        test_invalidate_iotlb);
    qtest_add_func("/vtd-dmar/invalidate/iotlb-granularity",
                   test_invalidate_iotlb_granularity);
    qtest_add_func("/vtd-dmar/invalidate/context", test_invalidate_context);

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
    qtest_add_func("/vtd-dmar/qi/wait-event-own-registers",
                   test_qi_wait_event_own_registers);
    qtest_add_func("/vtd-dmar/qi/fuzz", test_qi_fuzz);
    qtest_add_func("/vtd-dmar/qi/register-inv", test_qi_register_inv);
    qtest_add_func("/vtd-dmar/qi/invalid/types", test_qi_invalid_types);
    DMAR_ADD_CASES("/vtd-dmar/qi/invalid", scn_qi_bad_cases, test_qi_invalid);
    qtest_add_func("/vtd-dmar/qi/disable/iqh-reset", test_qi_disable_iqh);

    return g_test_run();
}
