/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: DMA translation through root, context and
 * second-level tables built in guest RAM: 3-, 4- and 5-level tables,
 * superpages, DMA across pages, translation off, pass-through, a new
 * root table, and a 32-bit device reaching above 4 GiB.
 * Plumbing in libqos/vtd-dmar.h; vtd-dmar-qtest.h says how the tests
 * work.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"

/* ================= translation ================= */

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
    QDmar *d = dmar_boot(x->props);
    uint8_t src[EDU_BUF_SIZE], dst[EDU_BUF_SIZE];

    dmar_tables_init(d, x->levels, 0);
    /* context-entry bits 6:3 of the upper word are ignored, not reserved */
    dmar_set_ctx(d, dmar_ctx_lo(d), dmar_ctx_hi(d) | 0x78);
    dmar_map(d, x->a, PAGE_P1, 1, PTE_R);
    dmar_map(d, x->a + 0x1000, PAGE_P3, 1, PTE_R);
    dmar_map(d, x->b, PAGE_P2, 1, PTE_W);
    /* bits 10 and 52..61 of a leaf are ignored too */
    dmar_map(d, x->b + 0x1000, PAGE_OUT, 1, PTE_RW | 1ull << 10 | 1ull << 52);
    dmar_fill(d, PAGE_P1 + 0x100, 0x11);
    dmar_zero(d, PAGE_P2 + 0x180);
    dmar_enable(d, ROOT_TABLE);

    dmar_copy(d, x->a + 0x100, x->b + 0x180);
    g_assert_true(dmar_holds(d, PAGE_P2 + 0x180, 0x11));
    dmar_copy(d, x->a + 0x100, x->b + 0x1000);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x11));

    /* a 4 KiB transfer that crosses into the next IOVA page */
    for (unsigned i = 0; i < sizeof(src); i++) {
        src[i] = i * 7 + (i >> 8);
    }
    qtest_memwrite(d->qts, PAGE_P1 + 0x800, src, 0x800);
    qtest_memwrite(d->qts, PAGE_P3, src + 0x800, 0x800);
    qtest_memset(d->qts, PAGE_P2, 0, 0x1000);
    dmar_edu_dma(d, x->a + 0x800, EDU_BUF, EDU_BUF_SIZE, false);
    dmar_edu_dma(d, EDU_BUF, x->b, EDU_BUF_SIZE, true);
    qtest_memread(d->qts, PAGE_P2, dst, sizeof(dst));
    g_assert_cmpmem(src, sizeof(src), dst, sizeof(dst));

    g_assert_cmphex(dmar_fsts(d), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(0) + 8), ==, 0);
    dmar_free(d);
}

static void test_translate_superpages(void)
{
    QDmar *d = dmar_boot("");
    const uint64_t iova_2m = 0x1234600000ull;   /* 2 MiB aligned */
    const uint64_t iova_1g = 0x4080000000ull;   /* 1 GiB aligned */

    dmar_tables_init(d, 4, 0);
    dmar_map(d, iova_2m, BIG_2M_A, 2, PTE_R);
    dmar_map(d, iova_1g, 0, 3, PTE_RW);              /* guest RAM 0..1G */
    dmar_fill(d, BIG_2M_A + 0x1a340, 0x44);
    dmar_fill(d, BIG_2M_A + 0x1f0040, 0x45);
    dmar_zero(d, PAGE_P2 + 0x40);
    dmar_zero(d, PAGE_OUT);
    dmar_enable(d, ROOT_TABLE);

    dmar_copy(d, iova_2m + 0x1a340, iova_1g + PAGE_P2 + 0x40);
    g_assert_true(dmar_holds(d, PAGE_P2 + 0x40, 0x44));
    /* other pages of the same large pages */
    dmar_copy(d, iova_2m + 0x1f0040, iova_1g + PAGE_OUT);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x45));
    dmar_copy(d, iova_1g + BIG_2M_A + 0x1a340, iova_1g + SCRATCH);
    g_assert_true(dmar_holds(d, SCRATCH, 0x44));
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_free(d);
}

/*
 * A DMA over pages, some of which map contiguously, goes page by page
 * where each page's entry says, and ends where the mapping or the
 * permission ends. Each edu transfer below crosses one IOVA page
 * boundary; the page physically after the last good one must never be
 * touched (BLK_IOVA and BLK_PA are in vtd-dmar-qtest.h).
 */
static void blk_expect(QDmar *d, uint64_t pa, const uint8_t *want,
                       size_t len)
{
    g_autofree uint8_t *got = g_malloc(len);

    qtest_memread(d->qts, pa, got, len);
    g_assert_cmpmem(got, len, want, len);
}

static void test_translate_block(void)
{
    QDmar *d = dmar_boot("");
    uint8_t src[EDU_BUF_SIZE], zeros[EDU_BUF_SIZE] = { 0 };
    uint8_t keep[EDU_BUF_SIZE];

    dmar_tables_init(d, 4, 0);
    dmar_map(d, BLK_IOVA, BLK_PA(0), 1, PTE_RW);             /* contiguous */
    dmar_map(d, BLK_IOVA + 0x1000, BLK_PA(1), 1, PTE_RW);    /*   pair */
    dmar_map(d, BLK_IOVA + 0x2000, BLK_PA(5), 1, PTE_RW);    /* elsewhere */
    dmar_map(d, BLK_IOVA + 0x3000, BLK_PA(3), 1, PTE_RW);    /* in line again */
    dmar_map(d, BLK_IOVA + 0x4000, BLK_PA(12), 1, PTE_RW);
    dmar_map(d, BLK_IOVA + 0x5000, BLK_PA(13), 1, PTE_R);    /* read-only */
    dmar_map(d, BLK_IOVA + 0x9000, BLK_PA(20), 1, PTE_RW);
    /* BLK_IOVA + 0xa000: not mapped */
    qtest_memset(d->qts, BIG_2M_B, 0, 32 * 0x1000);
    for (unsigned i = 0; i < sizeof(src); i++) {
        src[i] = i * 11 + (i >> 8) + 1;
        keep[i] = ~i;
    }
    qtest_memwrite(d->qts, BLK_PA(13), keep, sizeof(keep));
    qtest_memwrite(d->qts, BLK_PA(0) + 0x800, src, sizeof(src));
    dmar_enable(d, ROOT_TABLE);

    /* Read across the contiguous pair, write across pair -> elsewhere. */
    dmar_edu_dma(d, BLK_IOVA + 0x800, EDU_BUF, sizeof(src), false);
    qtest_memset(d->qts, BLK_PA(0), 0, 2 * 0x1000);
    dmar_edu_dma(d, EDU_BUF, BLK_IOVA + 0x1800, sizeof(src), true);
    blk_expect(d, BLK_PA(1) + 0x800, src, 0x800);
    blk_expect(d, BLK_PA(5), src + 0x800, 0x800);
    blk_expect(d, BLK_PA(2), zeros, 0x1000);
    g_assert_cmphex(dmar_fsts(d), ==, 0);

    /* Into an unmapped page: the first half lands, the rest faults. */
    dmar_edu_dma(d, EDU_BUF, BLK_IOVA + 0x9800, sizeof(src), true);
    blk_expect(d, BLK_PA(20) + 0x800, src, 0x800);
    blk_expect(d, BLK_PA(21), zeros, 0x1000);
    dmar_assert_frcd(d, 0, BLK_IOVA + 0xa000, FR_WRITE, true);

    /* Into a read-only page that physically follows: it keeps its data. */
    dmar_edu_dma(d, EDU_BUF, BLK_IOVA + 0x4800, sizeof(src), true);
    blk_expect(d, BLK_PA(12) + 0x800, src, 0x800);
    blk_expect(d, BLK_PA(13), keep, sizeof(keep));
    dmar_assert_frcd(d, 1, BLK_IOVA + 0x5000, FR_WRITE, true);

    /* Reading across that pair is granted. */
    dmar_edu_dma(d, BLK_IOVA + 0x4800, EDU_BUF, sizeof(src), false);
    qtest_memset(d->qts, BLK_PA(5), 0, 0x1000);
    dmar_edu_dma(d, EDU_BUF, BLK_IOVA + 0x2000, sizeof(src), true);
    blk_expect(d, BLK_PA(5), src, 0x800);
    blk_expect(d, BLK_PA(5) + 0x800, keep, 0x800);
    dmar_free(d);
}

static void test_translate_te_off(void)
{
    QDmar *d = dmar_boot("");

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IDENT_IN, PAGE_P1, 1, PTE_R);
    dmar_map(d, IDENT_OUT, PAGE_P2, 1, PTE_W);
    dmar_fill(d, IDENT_IN, 0x21);
    dmar_fill(d, PAGE_P1, 0x22);
    dmar_zero(d, IDENT_OUT);
    dmar_zero(d, PAGE_P2);

    /* root table set, translation not enabled: untranslated */
    dmar_wr64(d, REG_RTADDR, ROOT_TABLE);
    dmar_wr32(d, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_RTPS);
    dmar_copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(dmar_holds(d, IDENT_OUT, 0x21));
    g_assert_false(dmar_holds(d, PAGE_P2, 0x21));

    /* enabled: translated */
    dmar_zero(d, IDENT_OUT);
    dmar_wr32(d, REG_GCMD, GCMD_TE);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    dmar_copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(dmar_holds(d, PAGE_P2, 0x22));
    g_assert_false(dmar_holds(d, IDENT_OUT, 0x22));

    /* disabled again */
    dmar_zero(d, PAGE_P2);
    dmar_wr32(d, REG_GCMD, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_RTPS);
    dmar_copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(dmar_holds(d, IDENT_OUT, 0x21));
    g_assert_false(dmar_holds(d, PAGE_P2, 0x21));

    /* and on once more */
    dmar_zero(d, IDENT_OUT);
    dmar_wr32(d, REG_GCMD, GCMD_TE);
    dmar_copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(dmar_holds(d, PAGE_P2, 0x22));
    g_assert_false(dmar_holds(d, IDENT_OUT, 0x22));
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_free(d);
}

static void test_translate_passthrough(void)
{
    QDmar *d = dmar_boot("");

    dmar_tables_init(d, 3, CTX_TT(TT_PASSTHROUGH));
    dmar_fill(d, IDENT_IN, 0x31);
    dmar_fill(d, PAGE_P1, 0x32);
    dmar_zero(d, IDENT_OUT);
    dmar_zero(d, PAGE_P2);
    dmar_enable(d, ROOT_TABLE);
    dmar_copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(dmar_holds(d, IDENT_OUT, 0x31));
    g_assert_cmphex(dmar_fsts(d), ==, 0);

    /* the same device switched to translation, after invalidation */
    dmar_map(d, IDENT_IN, PAGE_P1, 1, PTE_R);
    dmar_map(d, IDENT_OUT, PAGE_P2, 1, PTE_W);
    dmar_set_ctx(d, d->slpt | CTX_TT(TT_XLATE) | CTX_P, dmar_ctx_hi(d));
    g_assert_cmphex(CCMD_CAIG(dmar_ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL))), ==,
                    GRAN_GLOBAL);
    dmar_iotlb_inv(d, GRAN_GLOBAL, 0, 0);
    dmar_zero(d, IDENT_OUT);
    dmar_copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(dmar_holds(d, PAGE_P2, 0x32));
    g_assert_false(dmar_holds(d, IDENT_OUT, 0x32));

    /* and back to pass-through */
    dmar_set_ctx(d, d->slpt | CTX_TT(TT_PASSTHROUGH) | CTX_P, dmar_ctx_hi(d));
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_DEVICE) | CCMD_SID(EDU_SID) |
                  CCMD_DID(DOMAIN));
    dmar_iotlb_inv(d, GRAN_DOMAIN, DOMAIN, 0);
    dmar_zero(d, PAGE_P2);
    dmar_copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(dmar_holds(d, IDENT_OUT, 0x31));
    g_assert_false(dmar_holds(d, PAGE_P2, 0x31));
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_free(d);
}

/*
 * A context made present as pass-through after translation was enabled,
 * with no invalidation (allowed without caching mode): the device's DMA
 * still takes the translated path, which must give the identity, across
 * pages, and fault above the address width.
 */
static void test_translate_passthrough_late(void)
{
    QDmar *d = dmar_boot("");
    uint8_t src[EDU_BUF_SIZE], dst[EDU_BUF_SIZE];

    dmar_tables_init(d, 3, CTX_TT(TT_PASSTHROUGH));
    dmar_set_ctx(d, 0, 0);                           /* not present yet */
    dmar_enable(d, ROOT_TABLE);
    dmar_set_ctx(d, d->slpt | CTX_TT(TT_PASSTHROUGH) | CTX_P,
                 CTX_AW(3) | CTX_DID(DOMAIN));
    for (unsigned i = 0; i < sizeof(src); i++) {
        src[i] = i * 5 + (i >> 8) + 3;
    }
    qtest_memwrite(d->qts, IDENT_IN + 0x800, src, sizeof(src));
    qtest_memset(d->qts, IDENT_OUT, 0, 2 * sizeof(dst));
    dmar_edu_dma(d, IDENT_IN + 0x800, EDU_BUF, sizeof(src), false);
    dmar_edu_dma(d, EDU_BUF, IDENT_OUT + 0x400, sizeof(src), true);
    qtest_memread(d->qts, IDENT_OUT + 0x400, dst, sizeof(dst));
    g_assert_cmpmem(src, sizeof(src), dst, sizeof(dst));
    g_assert_cmphex(dmar_fsts(d), ==, 0);

    /* Beyond the 48-bit width: §7.1.3 reason 4h, nothing transferred. */
    dmar_edu_dma(d, 1ull << 48, EDU_BUF, XFER, false);
    dmar_assert_frcd(d, 0, 1ull << 48, FR_BEYOND_AW, false);
    dmar_free(d);
}

#define ROOT_TABLE2     0x00110000ull
#define CTX_TABLE2      0x00111000ull

static void test_translate_srtp(void)
{
    QDmar *d = dmar_boot("");
    uint64_t slpt1;

    dmar_tables_init(d, 3, 0);
    slpt1 = d->slpt;
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0xb1);
    dmar_fill(d, PAGE_P2, 0xb2);
    dmar_fill(d, IDENT_IN, 0xb3);

    /* a second root table: edu's context uses other tables */
    qtest_memset(d->qts, ROOT_TABLE2, 0, 0x1000);
    qtest_memset(d->qts, CTX_TABLE2, 0, 0x1000);
    d->slpt = dmar_table_new(d);
    dmar_map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    qtest_writeq(d->qts, ROOT_TABLE2, CTX_TABLE2 | ROOT_P);
    qtest_writeq(d->qts, CTX_TABLE2 + EDU_DEVFN * 16, d->slpt | CTX_P);
    qtest_writeq(d->qts, CTX_TABLE2 + EDU_DEVFN * 16 + 8,
                 CTX_AW(3) | CTX_DID(DOMAIN + 1));
    d->slpt = slpt1;

    dmar_enable(d, ROOT_TABLE);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0xb1));

    /* RTADDR alone changes nothing: the unit uses the latched pointer */
    dmar_wr64(d, REG_RTADDR, ROOT_TABLE2);
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    dmar_iotlb_inv(d, GRAN_GLOBAL, 0, 0);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0xb1));

    /* SRTP with TE kept set switches tables while translating */
    dmar_wr32(d, REG_GCMD, GCMD_TE | GCMD_SRTP);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    dmar_iotlb_inv(d, GRAN_GLOBAL, 0, 0);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0xb2));
    g_assert_cmphex(dmar_rd64(d, REG_RTADDR), ==, ROOT_TABLE2);

    /* GCMD carries TE in every write: SRTP alone turns translation off */
    dmar_wr32(d, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_RTPS);
    dmar_zero(d, IDENT_OUT);
    dmar_copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(dmar_holds(d, IDENT_OUT, 0xb3));
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_free(d);
}

/* ================= a 32-bit device reaching above 4 GiB ============ */

static void test_above_4g(void)
{
    QDmar *d = dmar_boot_full("", "-m 5G", true);
    const uint64_t high = 0x100010000ull;
    const uint64_t high_msg = 0x100020000ull;
    uint8_t want[XFER], got[XFER];

    dmar_tables_init(d, 3, 0);
    dmar_map(d, 0x00345000, high, 1, PTE_W);
    dmar_map(d, 0x00346000, PAGE_P1, 1, PTE_R);
    dmar_fill(d, PAGE_P1 + 0x40, 0xa1);
    qtest_memset(d->qts, high, 0, 0x1000);
    dmar_wr32(d, REG_FEDATA, 0x5a5a);
    dmar_wr32(d, REG_FEADDR, high_msg & 0xffffffff);
    dmar_wr32(d, REG_FEUADDR, high_msg >> 32);
    dmar_wr32(d, REG_FECTL, 0);
    qtest_writel(d->qts, high_msg, 0);
    dmar_enable(d, ROOT_TABLE);

    dmar_copy(d, 0x00346040, 0x00345040);
    dmar_pattern(want, sizeof(want), 0xa1);
    qtest_memread(d->qts, high + 0x40, got, sizeof(got));
    g_assert_cmpmem(want, sizeof(want), got, sizeof(got));
    g_assert_cmphex(dmar_fsts(d), ==, 0);

    /* the fault event goes above 4 GiB too */
    dmar_dma_in(d, 0x00347000);
    dmar_assert_frcd(d, 0, 0x00347000, FR_READ, false);
    g_assert_cmphex(qtest_readl(d->qts, high_msg), ==, 0x5a5a);
    dmar_free(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_data_func("/vtd-dmar/translate/3-level", &xlate_3,
                        test_translate);
    qtest_add_data_func("/vtd-dmar/translate/4-level", &xlate_4,
                        test_translate);
    qtest_add_data_func("/vtd-dmar/translate/5-level", &xlate_5,
                        test_translate);
    qtest_add_func("/vtd-dmar/translate/contiguous-block",
                   test_translate_block);
    qtest_add_func("/vtd-dmar/translate/superpages",
                   test_translate_superpages);
    qtest_add_func("/vtd-dmar/translate/te-off", test_translate_te_off);
    qtest_add_func("/vtd-dmar/translate/passthrough",
                   test_translate_passthrough);
    qtest_add_func("/vtd-dmar/translate/passthrough-late",
                   test_translate_passthrough_late);
    qtest_add_func("/vtd-dmar/translate/srtp", test_translate_srtp);
    qtest_add_func("/vtd-dmar/translate/above-4g", test_above_4g);

    return g_test_run();
}
