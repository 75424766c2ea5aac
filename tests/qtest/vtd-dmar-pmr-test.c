/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: protected memory regions (pmr=on, VT-d §11.4.8)
 * and abort-DMA mode (abort-dma-mode=on, §3.4.4), through edu's DMA.
 * Registers as software sees them, the board's reset state, which DMA
 * a region blocks (translation off, pass-through and translated contexts
 * alike) byte for byte at its edges, with no fault recorded; the
 * whole abort-DMA sequence with its faults; refused configurations.
 * Plumbing in libqos/vtd-dmar.h; the unit-level twin is
 * tests/unit/test-dmar-unit-pmr.c.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"

#define MIB2            0x200000ull

/* The regions (inside the qtests' 128 MiB, clear of every other use) */
#define LB              0x04000000ull   /* low: [64 MiB, 68 MiB) */
#define LL              0x04200000ull
#define L_END           (LL + MIB2)
#define HB              0x05000000ull   /* high, below 4 GiB: 2 MiB */
#define HL              HB
#define H_END           (HL + MIB2)
#define HALF            (XFER / 2)

#define PMR_PROPS       "pmr=on,pmr-low-base=0x4000000," \
                        "pmr-low-limit=0x4200000,pmr-high-base=0x5000000," \
                        "pmr-high-limit=0x5000000"

/* edu's buffer holds pattern SEED (loaded from unprotected RAM) */
static void edu_load(QDmar *d, uint8_t seed)
{
    dmar_fill(d, IDENT_IN, seed);
    dmar_dma_in(d, IDENT_IN);
}

/*
 * edu writes XFER bytes of pattern SEED at AT: which bytes arrived?
 * Bytes [0, N) must be the pattern, [N, XFER) untouched (0xee), or the
 * reverse with AFTER.
 */
static void assert_write(QDmar *d, uint64_t at, unsigned n, bool first_lands,
                         uint8_t seed)
{
    uint8_t want[XFER], got[XFER];

    edu_load(d, seed);
    qtest_memset(d->qts, at, 0xee, XFER);
    dmar_edu_dma(d, EDU_BUF, at, XFER, true);
    dmar_pattern(want, XFER, seed);
    qtest_memread(d->qts, at, got, XFER);
    for (unsigned i = 0; i < XFER; i++) {
        bool lands = (i < n) == first_lands;

        if (lands) {
            g_assert_cmphex(got[i], ==, want[i]);
        } else {
            g_assert_cmphex(got[i], ==, 0xee);
        }
    }
}

/*
 * edu reads XFER bytes at AT (holding pattern SEED) and writes them to
 * IDENT_OUT: the bytes read from [0, N) (or [N, XFER) with !FIRST) are
 * the pattern, the others never are (a blocked read gets nothing).
 */
static void assert_read(QDmar *d, uint64_t at, unsigned n, bool first_read,
                        uint8_t seed)
{
    uint8_t want[XFER], got[XFER];
    unsigned same = 0;

    dmar_pattern(want, XFER, seed);
    qtest_memwrite(d->qts, at, want, XFER);
    dmar_dma_in(d, at);
    dmar_zero(d, IDENT_OUT);
    dmar_dma_out(d, IDENT_OUT);
    qtest_memread(d->qts, IDENT_OUT, got, XFER);
    for (unsigned i = 0; i < XFER; i++) {
        if ((i < n) == first_read) {
            g_assert_cmphex(got[i], ==, want[i]);
        } else {
            same += got[i] == want[i];
        }
    }
    g_assert_cmpuint(same, <, (first_read ? XFER - n : n) / 2 + 1);
}

/*
 * Every edge of [FIRST, END): writes and reads straddling it cut at the
 * edge, whole transfers inside blocked, just outside untouched.
 */
static void assert_region(QDmar *d, uint64_t first, uint64_t end)
{
    assert_write(d, first - HALF, HALF, true, 1);       /* below lands */
    assert_write(d, end - HALF, HALF, false, 2);        /* above lands */
    assert_write(d, first, XFER, false, 3);             /* nothing */
    assert_write(d, end - XFER, XFER, false, 4);        /* nothing */
    assert_write(d, first - XFER, XFER, true, 5);       /* all of it */
    assert_write(d, end, XFER, true, 6);
    if (end - first > MIB2) {
        /* across the 2 MiB blocks inside a region: nothing either */
        assert_write(d, first + MIB2 - HALF, 0, true, 7);
    }
    assert_read(d, first - HALF, HALF, true, 8);
    assert_read(d, end - HALF, HALF, false, 9);
    assert_read(d, end, XFER, true, 10);
    dmar_assert_no_fault(d);
}

/* Nothing is protected: every transfer around both regions lands */
static void assert_open(QDmar *d)
{
    assert_write(d, LB - HALF, XFER, true, 11);
    assert_write(d, L_END - HALF, XFER, true, 12);
    assert_write(d, HB, XFER, true, 13);
    assert_read(d, LB, XFER, true, 14);
}

/* ================= registers ================= */

static void test_regs(void)
{
    QDmar *d = dmar_boot("pmr=on");
    uint64_t high = dmar_haw_mask(d) & ~(MIB2 - 1);

    g_assert_cmphex(dmar_rd64(d, REG_CAP) & (CAP_PLMR | CAP_PHMR), ==,
                    CAP_PLMR | CAP_PHMR);
    g_assert_cmphex(dmar_rd64(d, REG_ECAP) & ECAP_ADMS, ==, 0);
    g_assert_cmphex(dmar_rd32(d, REG_PMEN), ==, 0);
    /* §11.4.8.2-5: the bits that stick give the granularity (N = 20) */
    dmar_wr32(d, REG_PLMBASE, 0xffffffff);
    dmar_wr32(d, REG_PLMLIMIT, 0xffffffff);
    dmar_wr64(d, REG_PHMBASE, ~0ull);
    dmar_wr64(d, REG_PHMLIMIT, ~0ull);
    g_assert_cmphex(dmar_rd32(d, REG_PLMBASE), ==, 0xffe00000);
    g_assert_cmphex(dmar_rd32(d, REG_PLMLIMIT), ==, 0xffe00000);
    g_assert_cmphex(dmar_rd64(d, REG_PHMBASE), ==, high);
    g_assert_cmphex(dmar_rd64(d, REG_PHMLIMIT), ==, high);
    /* PMEN: EPM, and PRS at once; nothing else sticks */
    dmar_wr32(d, REG_PMEN, 0x7fffffff);
    g_assert_cmphex(dmar_rd32(d, REG_PMEN), ==, 0);
    dmar_wr32(d, REG_PLMBASE, LB);
    dmar_wr32(d, REG_PLMLIMIT, LL);
    dmar_wr32(d, REG_PMEN, PMEN_EPM);
    g_assert_cmphex(dmar_rd32(d, REG_PMEN), ==, PMEN_EPM | PMEN_PRS);
    /* a region is frozen while enabled */
    dmar_wr32(d, REG_PLMBASE, 0);
    dmar_wr64(d, REG_PHMBASE, HB);
    g_assert_cmphex(dmar_rd32(d, REG_PLMBASE), ==, LB);
    g_assert_cmphex(dmar_rd64(d, REG_PHMBASE), ==, high);
    dmar_wr32(d, REG_PMEN, 0);
    g_assert_cmphex(dmar_rd32(d, REG_PMEN), ==, 0);
    dmar_wr32(d, REG_PLMBASE, 0);
    g_assert_cmphex(dmar_rd32(d, REG_PLMBASE), ==, 0);
    dmar_free(d);

    /* without pmr=on: read-only zeros, as before */
    d = dmar_boot("");
    g_assert_cmphex(dmar_rd64(d, REG_CAP) & (CAP_PLMR | CAP_PHMR), ==, 0);
    dmar_wr32(d, REG_PLMBASE, 0xffffffff);
    dmar_wr32(d, REG_PMEN, PMEN_EPM);
    g_assert_cmphex(dmar_rd32(d, REG_PLMBASE), ==, 0);
    g_assert_cmphex(dmar_rd32(d, REG_PMEN), ==, 0);
    dmar_free(d);
}

/* ================= blocking ================= */

/* The board left both regions protected: blocked from the first DMA */
static void test_board_state(void)
{
    QDmar *d = dmar_boot(PMR_PROPS ",pmr-enable=on");

    g_assert_cmphex(dmar_rd32(d, REG_PMEN), ==, PMEN_EPM | PMEN_PRS);
    g_assert_cmphex(dmar_rd32(d, REG_PLMBASE), ==, LB);
    g_assert_cmphex(dmar_rd32(d, REG_PLMLIMIT), ==, LL);
    g_assert_cmphex(dmar_rd64(d, REG_PHMBASE), ==, HB);
    g_assert_cmphex(dmar_rd64(d, REG_PHMLIMIT), ==, HL);
    assert_region(d, LB, L_END);
    assert_region(d, HB, H_END);
    /* the guest disables it (as Linux does when it takes over) */
    dmar_wr32(d, REG_PMEN, 0);
    g_assert_cmphex(dmar_rd32(d, REG_PMEN), ==, 0);
    assert_open(d);
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* Translation off: the guest enables them, and disables them again */
static void test_te_off(void)
{
    QDmar *d = dmar_boot(PMR_PROPS);

    assert_open(d);
    dmar_wr32(d, REG_PMEN, PMEN_EPM);
    assert_region(d, LB, L_END);
    assert_region(d, HB, H_END);
    dmar_wr32(d, REG_PMEN, 0);
    assert_open(d);
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* Translation on, the device's context is pass-through: blocked too */
static void test_passthrough(const void *opaque)
{
    QDmar *d = dmar_boot(opaque);

    dmar_tables_init(d, 4, CTX_TT(2));
    dmar_enable(d, ROOT_TABLE);
    assert_region(d, LB, L_END);
    assert_region(d, HB, H_END);
    dmar_wr32(d, REG_PMEN, 0);
    assert_open(d);
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/*
 * Translation on, a translated context: what the paging entries grant is
 * checked where it leads (§11.4.8.1: a unit of major version 2 or more
 * blocks DMA to a region whether remapping is enabled or not). Identity
 * mappings around every edge behave as with translation off; a mapping
 * into a region is blocked, one from an IOVA inside it to memory outside
 * is not; nothing is recorded.
 */
static void test_translated(void)
{
    QDmar *d = dmar_boot(PMR_PROPS ",pmr-enable=on");
    static const uint64_t edges[] = { LB, LB + MIB2, L_END, HB, H_END };

    dmar_tables_init(d, 4, 0);
    for (size_t i = 0; i < ARRAY_SIZE(edges); i++) {
        dmar_map(d, edges[i] - 0x1000, edges[i] - 0x1000, 1, PTE_RW);
        dmar_map(d, edges[i], edges[i], 1, PTE_RW);
    }
    dmar_map(d, IDENT_IN, IDENT_IN, 1, PTE_RW);
    dmar_map(d, IDENT_OUT, IDENT_OUT, 1, PTE_RW);
    dmar_map(d, IOVA_A, LB + 0x3000, 1, PTE_RW);
    dmar_map(d, IOVA_B, HB + 0x5000, 1, PTE_RW);
    dmar_map(d, HB + 0x8000, PAGE_P1, 1, PTE_RW);
    dmar_enable(d, ROOT_TABLE);
    assert_region(d, LB, L_END);
    assert_region(d, HB, H_END);

    edu_load(d, 0x21);
    dmar_fill(d, LB + 0x3000, 0x77);
    dmar_dma_out(d, IOVA_A);
    g_assert_true(dmar_holds(d, LB + 0x3000, 0x77));
    dmar_fill(d, HB + 0x5000, 0x5a);
    dmar_dma_in(d, IOVA_B);
    dmar_zero(d, IDENT_OUT);
    dmar_dma_out(d, IDENT_OUT);
    g_assert_false(dmar_holds(d, IDENT_OUT, 0x5a));
    edu_load(d, 0x21);
    dmar_zero(d, PAGE_P1);
    dmar_dma_out(d, HB + 0x8000);
    g_assert_true(dmar_holds(d, PAGE_P1, 0x21));
    dmar_assert_no_fault(d);

    /* protection off: the paging entries alone decide */
    dmar_wr32(d, REG_PMEN, 0);
    dmar_dma_out(d, IOVA_A);
    g_assert_true(dmar_holds(d, LB + 0x3000, 0x21));
    /* an IOVA inside the region that is not mapped: the usual fault */
    dmar_dma_out(d, HB + 0x10000);
    dmar_assert_frcd(d, 0, HB + 0x10000, FR_WRITE, true);
    dmar_free(d);
}

/* ================= abort-DMA mode ================= */

static void test_adm(void)
{
    QDmar *d = dmar_boot("abort-dma-mode=on");
    uint32_t fe;

    g_assert_cmphex(dmar_rd64(d, REG_ECAP) & ECAP_ADMS, ==, ECAP_ADMS);
    dmar_wr32(d, REG_FEADDR, FE_MSG);
    dmar_wr32(d, REG_FEDATA, 0x4321);
    dmar_wr32(d, REG_FECTL, 0);
    /* §3.4.4: SRTP with TTM 11b (no table), then TE */
    dmar_wr64(d, REG_RTADDR, TTM(3));
    g_assert_cmphex(dmar_rd64(d, REG_RTADDR), ==, TTM(3));
    dmar_wr32(d, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_RTPS);
    edu_load(d, 0x31);           /* TE clear: DMA still untranslated */
    dmar_wr32(d, REG_GCMD, GCMD_TE);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);

    /* every DMA is blocked and reported: fault 33h */
    qtest_writel(d->qts, FE_MSG, 0);
    dmar_zero(d, IDENT_OUT);
    dmar_dma_out(d, IDENT_OUT);
    g_assert_false(dmar_holds(d, IDENT_OUT, 0x31));
    dmar_assert_frcd(d, 0, IDENT_OUT, FR_ABORT_DMA, true);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    fe = qtest_readl(d->qts, FE_MSG);
    g_assert_cmphex(fe, ==, 0x4321);
    dmar_dma_in(d, IDENT_IN);
    dmar_assert_frcd(d, 1, IDENT_IN, FR_ABORT_DMA, false);
    dmar_frcd_clear(d, 0);
    dmar_frcd_clear(d, 1);
    g_assert_cmphex(dmar_fsts(d), ==, 0);

    /* software's tables are ready: SRTP in legacy mode, TE stays on */
    dmar_tables_init(d, 4, 0);
    dmar_map(d, IOVA_B, IDENT_OUT, 1, PTE_RW);
    dmar_map(d, IOVA_A, IDENT_IN, 1, PTE_RW);
    dmar_wr64(d, REG_RTADDR, ROOT_TABLE);
    dmar_wr32(d, REG_GCMD, GCMD_TE | GCMD_SRTP);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    dmar_fill(d, IDENT_IN, 0x32);
    dmar_zero(d, IDENT_OUT);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, IDENT_OUT, 0x32));
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* Without abort-dma-mode=on, TTM does not stick: legacy mode as ever */
static void test_adm_off(void)
{
    QDmar *d = dmar_boot("");

    g_assert_cmphex(dmar_rd64(d, REG_ECAP) & ECAP_ADMS, ==, 0);
    dmar_wr64(d, REG_RTADDR, ROOT_TABLE | TTM(3));
    g_assert_cmphex(dmar_rd64(d, REG_RTADDR), ==, ROOT_TABLE);
    dmar_free(d);
}

/* ================= migration ================= */

/* Migrate SRC to a unit with PROPS; NULL if the destination refused it */
static QDmar *migrate_to(QDmar *src, const char *props)
{
    g_autofree char *args = g_strdup_printf("-device vtd-dmar,%s %s", props,
                                            dmar_edu_args(false));
    QDmar *dst = dmar_migrate_to(src, args);

    if (dst) {
        dmar_edu_attach(dst);
    }
    return dst;
}

/*
 * Enabled regions and a latched abort-DMA root pointer go along (in the
 * register file and the latched pointer); the destination blocks and
 * faults as the source did. A destination without pmr=on refuses them.
 */
static void test_migration(void)
{
    QDmar *src = dmar_boot(PMR_PROPS ",abort-dma-mode=on");
    QDmar *dst;

    dmar_wr32(src, REG_PMEN, PMEN_EPM);
    dmar_wr64(src, REG_RTADDR, TTM(3));
    dmar_wr32(src, REG_GCMD, GCMD_SRTP);
    dst = migrate_to(src, PMR_PROPS ",abort-dma-mode=on");
    g_assert_nonnull(dst);
    g_assert_cmphex(dmar_rd32(dst, REG_PMEN), ==, PMEN_EPM | PMEN_PRS);
    g_assert_cmphex(dmar_rd32(dst, REG_PLMBASE), ==, LB);
    g_assert_cmphex(dmar_rd64(dst, REG_RTADDR), ==, TTM(3));
    assert_region(dst, LB, L_END);
    assert_region(dst, HB, H_END);
    dmar_wr32(dst, REG_GCMD, GCMD_TE);
    dmar_dma_out(dst, IDENT_OUT);
    dmar_assert_frcd(dst, 0, IDENT_OUT, FR_ABORT_DMA, true);
    dmar_free(dst);
    dmar_free(src);

    src = dmar_boot(PMR_PROPS ",pmr-enable=on");
    g_assert_null(migrate_to(src, "pmr=off"));
    dmar_free(src);
}

/* ================= refused configurations ================= */

typedef struct Refused {
    const char *name, *props, *stderr_has;
} Refused;

static const Refused refused[] = {
    { "low-base-unaligned", "pmr=on,pmr-low-base=0x4001000",
      "pmr-low-base=0x4001000 must be a multiple of 2 MiB" },
    { "low-limit-4g", "pmr=on,pmr-low-limit=0x100000000", "pmr-low-limit" },
    { "high-limit-haw", "pmr=on,pmr-high-limit=0x10000000000",
      "pmr-high-limit" },
    { "high-base-unaligned", "pmr=on,pmr-high-base=0x100100000",
      "pmr-high-base" },
    { "base-without-pmr", "pmr-low-base=0x4000000",
      "pmr-low-base needs pmr=on" },
    { "enable-without-pmr", "pmr-enable=on", "pmr-enable needs pmr=on" },
};

static void test_refused(const void *opaque)
{
    const Refused *r = opaque;
    g_autofree char *err = NULL;

    g_assert_cmpint(dmar_start_status("", r->props, &err), ==, 1);
    g_assert_nonnull(strstr(err, r->stderr_has));
    g_assert_nonnull(strstr(err, "pmr"));
}

static void test_accepted(void)
{
    g_autofree char *err = NULL;

    g_assert_cmpint(dmar_start_status("", PMR_PROPS ",pmr-enable=on,"
                                      "abort-dma-mode=on", &err), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vtd-dmar/pmr/regs", test_regs);
    qtest_add_func("/vtd-dmar/pmr/board-state", test_board_state);
    qtest_add_func("/vtd-dmar/pmr/te-off", test_te_off);
    qtest_add_data_func("/vtd-dmar/pmr/passthrough",
                        PMR_PROPS ",pmr-enable=on", test_passthrough);
    qtest_add_func("/vtd-dmar/pmr/translated", test_translated);
    qtest_add_func("/vtd-dmar/adm/sequence", test_adm);
    qtest_add_func("/vtd-dmar/adm/off", test_adm_off);
    qtest_add_func("/vtd-dmar/pmr/migration", test_migration);
    DMAR_ADD_CASES("/vtd-dmar/pmr/refused", refused, test_refused);
    qtest_add_func("/vtd-dmar/pmr/accepted", test_accepted);
    return g_test_run();
}
