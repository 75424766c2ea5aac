/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: the register file. Reset values, CAP and ECAP for
 * each set of properties, the read-only, RW1C and write-only rules, what
 * a system reset restores, and every access width at every offset.
 * Plumbing in libqos/vtd-dmar.h; vtd-dmar-qtest.h says how the tests
 * work.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"

/* ================= registers ================= */

static void test_reset_values(void)
{
    QDmar *d = dmar_boot("");

    /* FECTL.IM's reset value: see /vtd-dmar/regs/fectl-reset */
    scn_reset_values(d, false);
    dmar_free(d);
}

typedef struct CapCase {
    const char *props;
    unsigned aw, nfr;
    bool cm, drain, pt, ir, eim;
    const char *extra;
} CapCase;

static const CapCase cap_cases[] = {
    { "aw-bits=39", 39, 8, false, true, true, true, false, "" },
    { "aw-bits=57,nfr=1,caching-mode=on", 57, 1, true, true, true, true,
      false, "" },
    { "nfr=256,dma-drain=off,pt=off", 48, 256, false, false, false, true,
      false, "" },
    /* interrupt remapping off: no IR, EIM or MHMV */
    { "intremap=off", 48, 8, false, true, true, false, false, "" },
    { "intremap=off", 48, 8, false, true, true, false, false, X2APIC_CPU },
    { "intremap=on", 48, 8, false, true, true, true, false, "" },
    /* EIM: asked for, or automatic with x2APIC-capable CPUs */
    { "eim=on", 48, 8, false, true, true, true, true, X2APIC_CPU },
    { "eim=auto", 48, 8, false, true, true, true, true, X2APIC_CPU },
    { "eim=off", 48, 8, false, true, true, true, false, X2APIC_CPU },
    { "eim=auto", 48, 8, false, true, true, true, false, "" },
    { "intremap=on,eim=on", 48, 8, false, true, true, true, true,
      X2APIC_CPU " -smp 2" },
};

static void test_cap_props(void)
{
    for (unsigned i = 0; i < ARRAY_SIZE(cap_cases); i++) {
        const CapCase *c = &cap_cases[i];
        QDmar *d = dmar_boot_full(c->props, c->extra, false);
        unsigned last = REG_FRCD(c->nfr - 1);

        g_test_message("vtd-dmar,%s %s", c->props, c->extra);
        g_assert_cmphex(dmar_rd64(d, REG_CAP), ==,
                        expected_cap(c->aw, c->nfr, c->cm, c->drain));
        g_assert_cmphex(dmar_rd64(d, REG_ECAP), ==,
                        expected_ecap(c->pt, c->ir, c->eim));
        /* the last fault record exists and is empty; past it, nothing */
        g_assert_cmphex(dmar_rd64(d, last + 8), ==, 0);
        dmar_wr64(d, last + 8, ~0ull);
        g_assert_cmphex(dmar_rd64(d, last + 8), ==, 0);
        dmar_wr32(d, last + 16, ~0u);
        g_assert_cmphex(dmar_rd32(d, last + 16), ==, 0);
        g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, 0);
        dmar_free(d);
    }
}

/* Realize refuses EIM without x2APIC CPUs, and EIM without IR */
static void test_cap_props_invalid(void)
{
    static const char *const cases[][2] = {
        { "eim=on", "" },
        { "eim=on", "-cpu qemu64,-x2apic" },
        { "intremap=off,eim=on", X2APIC_CPU },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *err = NULL;

        g_assert_cmpint(dmar_start_status(cases[i][1], cases[i][0], &err),
                        ==, 1);
        g_assert_nonnull(strstr(err, "eim=on needs"));
    }
}

static void test_regs_access(void)
{
    QDmar *d = dmar_boot("");

    scn_regs_access(d);
    dmar_free(d);
}

/*
 * VT-d §11.4.7.2: FECTL.IM is 1 after reset, so a fault that happens
 * before software programs FEDATA/FEADDR stays pending instead of
 * sending FEDATA (0) to address FEUADDR:FEADDR (0).
 */
static void test_fectl_reset(void)
{
    QDmar *d = dmar_boot("");
    uint32_t fectl = dmar_rd32(d, REG_FECTL);
    uint32_t at0;

    qtest_writel(d->qts, 0, 0xcafebabe);
    dmar_tables_init(d, 3, 0);
    dmar_enable(d, ROOT_TABLE);
    dmar_dma_in(d, IOVA_A);
    dmar_assert_frcd(d, 0, IOVA_A, FR_READ, false);
    at0 = qtest_readl(d->qts, 0);
    g_assert_cmphex(fectl, ==, FECTL_IM);
    g_assert_cmphex(at0, ==, 0xcafebabe);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    dmar_free(d);
}

static void test_system_reset(void)
{
    QDmar *d = dmar_boot("");
    uint32_t fresh[SNAP_WORDS], used[SNAP_WORDS], reset[SNAP_WORDS];
    unsigned changed = 0;

    dmar_snapshot(d, fresh);

    /* program everything that can be programmed */
    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_wr32(d, REG_FEDATA, 0x4321);
    dmar_wr32(d, REG_FEADDR, FE_MSG);
    dmar_wr32(d, REG_FEUADDR, 0);
    dmar_wr32(d, REG_FECTL, FECTL_IM);
    dmar_enable(d, ROOT_TABLE);
    dmar_dma_in(d, IOVA_A);
    dmar_dma_in(d, IOVA_B);                          /* fault in FRCD[0] */
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
    dmar_iotlb_inv(d, GRAN_PAGE, DOMAIN, IOVA_A | IVA_AM(1));
    dmar_wr64(d, REG_IVA, 0x777000);
    /* queued invalidation on, with an unserviced (masked) event */
    dmar_wr32(d, REG_IEDATA, 0x1234);
    dmar_wr32(d, REG_IEADDR, IE_MSG);
    dmar_wr32(d, REG_IEUADDR, 0x1);
    dmar_qi_enable(d, IQ_BASE, 1);
    dmar_qi_push_wait(d, IQ_SYNC, 0x77, QI_WAIT_IF);
    dmar_qi_kick(d);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(dmar_rd32(d, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(1));
    /* interrupt remapping on, CFI set, an interrupt fault in FRCD[1] */
    dmar_ir_enable(d, IRT_BASE | 3, true);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS |
                    GSTS_QIES | GSTS_IRES | GSTS_IRTPS | GSTS_CFIS);
    dmar_edu_msi(d, dmar_msi_remappable(1, false), 0);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(1) + 8) & FRCD_FR(0xff), ==,
                    FRCD_FR(FR_IR_NP));
    dmar_snapshot(d, used);
    for (unsigned i = 0; i < SNAP_WORDS; i++) {
        changed += used[i] != fresh[i];
    }
    g_assert_cmpuint(changed, >=, 18);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);

    qtest_system_reset(d->qts);
    dmar_snapshot(d, reset);
    dmar_assert_same_regs(fresh, reset);

    /* DMA is untranslated again, and the next fault goes to FRCD[0] */
    dmar_edu_detach(d);
    dmar_edu_attach(d);
    dmar_fill(d, IDENT_IN, 0x19);
    dmar_zero(d, IDENT_OUT);
    dmar_copy(d, IDENT_IN, IDENT_OUT);
    g_assert_true(dmar_holds(d, IDENT_OUT, 0x19));
    /* interrupts are not remapped: delivered as they are, no faults */
    dmar_edu_msi(d, dmar_msi_remappable(1, false), 0);
    dmar_edu_msi(d, dmar_msi_compat(0), 0x41);
    dmar_assert_delivered(d, 0x41, false);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_IRTA), ==, 0);
    dmar_enable(d, ROOT_TABLE);
    dmar_dma_in(d, IOVA_C);
    dmar_assert_frcd(d, 0, IOVA_C, FR_READ, false);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(1) + 8), ==, 0);
    /* the queue starts over at its base */
    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_qi_sync(d);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, 0);
    dmar_free(d);
}

/* ================= access widths (vtd-dmar-scenarios.h) ================= */

static void test_access_width(const void *opaque)
{
    const unsigned *nfr = opaque;
    /* with nfr=256, faults in records on both sides of 4 KiB */
    unsigned faults = *nfr > 8 ? 226 : 4;
    g_autofree char *props = g_strdup_printf("nfr=%u", *nfr);
    QDmar *d = dmar_boot(props);

    scn_access_width(d, *nfr, faults);

    /* the unit still translates, faults and remaps */
    dmar_fill(d, PAGE_P1, 0x3c);
    dmar_zero(d, PAGE_P2);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_P2, 0x3c));
    dmar_dma_out(d, IOVA_A);
    dmar_assert_frcd(d, faults % *nfr, IOVA_A, FR_WRITE, true);
    dmar_free(d);
}

/*
 * The halves of an 8-byte access take effect low first: unmasking the
 * fault event (FECTL, low) sends FEDATA as it was before the same
 * write's high half changed it.
 */
static void test_access_width_order(void)
{
    QDmar *d = dmar_boot("");

    dmar_wr32(d, REG_FEDATA, 0x1111);
    dmar_wr32(d, REG_FEADDR, FE_MSG);
    dmar_wr32(d, REG_FEUADDR, 0);
    dmar_tables_init(d, 3, 0);
    dmar_enable(d, ROOT_TABLE);
    dmar_dma_in(d, IOVA_C);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    qtest_writel(d->qts, FE_MSG, 0);
    /* FECTL = 0, FEDATA = 0x2222 */
    dmar_wr64(d, REG_FECTL, 0x2222ull << 32);
    g_assert_cmphex(qtest_readl(d->qts, FE_MSG), ==, 0x1111);
    g_assert_cmphex(dmar_rd32(d, REG_FEDATA), ==, 0x2222);
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, 0);
    /* the high half of a read is FEDATA, as the low one is FECTL */
    g_assert_cmphex(dmar_rd64(d, REG_FECTL), ==, 0x2222ull << 32);
    dmar_free(d);
}

static const unsigned width_nfr8 = 8, width_nfr256 = 256;

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/vtd-dmar/reset-values", test_reset_values);
    qtest_add_func("/vtd-dmar/regs/cap-props", test_cap_props);
    qtest_add_func("/vtd-dmar/regs/cap-props-invalid",
                   test_cap_props_invalid);
    qtest_add_func("/vtd-dmar/regs/access", test_regs_access);
    qtest_add_func("/vtd-dmar/regs/fectl-reset", test_fectl_reset);
    qtest_add_func("/vtd-dmar/regs/system-reset", test_system_reset);

    qtest_add_data_func("/vtd-dmar/regs/width/window-4k", &width_nfr8,
                        test_access_width);
    qtest_add_data_func("/vtd-dmar/regs/width/window-8k", &width_nfr256,
                        test_access_width);
    qtest_add_func("/vtd-dmar/regs/width/split-order",
                   test_access_width_order);

    return g_test_run();
}
