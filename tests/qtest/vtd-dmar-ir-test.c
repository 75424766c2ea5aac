/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: interrupt remapping. IRTA, remappable and
 * compatibility-format MSIs, EIM, the faults of interrupt requests, the
 * interrupt entry cache, the IOAPIC, and random IRTEs and requests.
 * Plumbing in libqos/vtd-dmar.h; vtd-dmar-qtest.h says how the tests
 * work.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"

/* ================= interrupt remapping ================= */

/* IRTA and the GCMD commands SIRTP, IRE, CFI (VT-d §11.4.4.1-2) */
static void test_ir_regs(void)
{
    QDmar *d = dmar_boot("");

    /* EIME is reserved without ECAP.EIM; bits 10:4 are reserved */
    dmar_wr64(d, REG_IRTA, IRT_BASE | IRTA_EIME | 0x7f0 | 0xf);
    g_assert_cmphex(dmar_rd64(d, REG_IRTA), ==, IRT_BASE | 0xf);
    dmar_wr64(d, REG_IRTA, IRT_BASE | 3);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, 0);

    /* SIRTP is a one-shot command; IRTPS stays set */
    dmar_wr32(d, REG_GCMD, GCMD_SIRTP);
    g_assert_cmphex(dmar_rd32(d, REG_GCMD), ==, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_IRTPS);
    /* IRE and CFI are persistent: every write says what they are */
    dmar_wr32(d, REG_GCMD, GCMD_IRE);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_IRTPS | GSTS_IRES);
    dmar_wr32(d, REG_GCMD, GCMD_IRE | GCMD_CFI);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==,
                    GSTS_IRTPS | GSTS_IRES | GSTS_CFIS);
    dmar_wr32(d, REG_GCMD, GCMD_CFI);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_IRTPS | GSTS_CFIS);
    dmar_wr32(d, REG_GCMD, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_IRTPS);
    /* together with QIE; SIRTP while remapping is on */
    dmar_wr32(d, REG_GCMD, GCMD_QIE | GCMD_IRE);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==,
                    GSTS_IRTPS | GSTS_QIES | GSTS_IRES);
    dmar_wr32(d, REG_GCMD, GCMD_QIE | GCMD_IRE | GCMD_SIRTP);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==,
                    GSTS_IRTPS | GSTS_QIES | GSTS_IRES);
    dmar_wr32(d, REG_GCMD, GCMD_QIE);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_IRTPS | GSTS_QIES);
    g_assert_cmphex(dmar_rd32(d, REG_GCMD), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_IRTA), ==, IRT_BASE | 3);
    dmar_free(d);

    /* ECAP.EIM: EIME is writable */
    d = dmar_boot_full("eim=on", X2APIC_CPU, false);
    dmar_wr64(d, REG_IRTA, ~0ull);
    g_assert_cmphex(dmar_rd64(d, REG_IRTA), ==,
                    0xfffffffffffff80full & dmar_haw_mask(d));
    dmar_wr32(d, REG_IRTA, IRT_BASE | 0xff3);
    g_assert_cmphex(dmar_rd64(d, REG_IRTA), ==,
                    (0xffffffff00000000ull & dmar_haw_mask(d)) | IRT_BASE |
                    IRTA_EIME | 3);
    dmar_wr64(d, REG_IRTA, IRT_BASE | 5);
    g_assert_cmphex(dmar_rd64(d, REG_IRTA), ==, IRT_BASE | 5);
    dmar_free(d);

    /* intremap=off: IRTA reads 0, the commands do nothing */
    d = dmar_boot("intremap=off");
    dmar_wr64(d, REG_IRTA, ~0ull);
    g_assert_cmphex(dmar_rd64(d, REG_IRTA), ==, 0);
    dmar_wr32(d, REG_IRTA, ~0u);
    dmar_wr32(d, REG_IRTA + 4, ~0u);
    g_assert_cmphex(dmar_rd64(d, REG_IRTA), ==, 0);
    dmar_wr32(d, REG_GCMD, GCMD_SIRTP | GCMD_IRE | GCMD_CFI);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, 0);
    /* and interrupts go through as they are, whatever their format */
    dmar_edu_msi(d, dmar_msi_remappable(0, false), 0);
    dmar_edu_msi(d, dmar_msi_compat(0), 0x42);
    dmar_assert_delivered(d, 0x42, false);
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* The unit uses the table latched by SIRTP, not what IRTA holds now */
static void test_ir_irta_latch(void)
{
    QDmar *d = dmar_boot("");

    dmar_irte_put(d, IRT_BASE, 2, dmar_irte_lo(0x50), 0);
    dmar_irte_put(d, IRT_BASE, 3, dmar_irte_lo(0x51), 0);
    dmar_irte_put(d, IRT_BASE, 9, dmar_irte_lo(0x52), 0);
    dmar_irte_put(d, IRT_BASE2, 2, dmar_irte_lo(0x53) & ~IRTE_P, 0);
    dmar_irte_put(d, IRT_BASE2, 3, dmar_irte_lo(0x54), 0);
    dmar_irte_put(d, IRT_BASE2, 9, dmar_irte_lo(0x55), 0);
    dmar_ir_enable(d, IRT_BASE | 3, false);
    dmar_edu_msi(d, dmar_msi_remappable(2, false), 0);
    dmar_assert_delivered(d, 0x50, false);

    /* a new base and a smaller size, not latched: neither is used */
    dmar_wr64(d, REG_IRTA, IRT_BASE2 | 0);
    g_assert_cmphex(dmar_rd64(d, REG_IRTA), ==, IRT_BASE2);
    dmar_edu_msi(d, dmar_msi_remappable(3, false), 0);
    dmar_assert_delivered(d, 0x51, false);
    dmar_edu_msi(d, dmar_msi_remappable(9, false), 0);
    dmar_assert_delivered(d, 0x52, false);
    dmar_assert_not_delivered(d, 0x54);
    dmar_assert_not_delivered(d, 0x55);
    dmar_assert_no_fault(d);

    /* latched: the second table, and no entry cached from the first */
    dmar_wr64(d, REG_IRTA, IRT_BASE2 | 3);
    dmar_gcmd_update(d, GCMD_SIRTP, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_IRTPS | GSTS_IRES);
    dmar_edu_msi(d, dmar_msi_remappable(2, false), 0);
    dmar_assert_ir_fault(d, FR_IR_NP, 2, EDU_SID);
    dmar_edu_msi(d, dmar_msi_remappable(9, false), 0);
    dmar_assert_delivered(d, 0x55, false);
    /* and the size: 2 entries */
    dmar_ir_set_table(d, IRT_BASE2 | 0);
    dmar_edu_msi(d, dmar_msi_remappable(9, false), 0);
    dmar_assert_ir_fault(d, FR_IR_INDEX, 9, EDU_SID);
    dmar_assert_not_delivered(d, 0x53);
    dmar_assert_not_delivered(d, 0x54);
    dmar_free(d);
}

/* Remapping through IRTEs in xAPIC mode (EIME = 0) */
static void test_ir_remap(void)
{
    QDmar *d = dmar_boot("");
    const uint64_t sid_edu = IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID);

    dmar_irte_put(d, IRT_BASE, 0, dmar_irte_lo(0x30), 0);
    dmar_irte_put(d, IRT_BASE, 1, dmar_irte_lo(0x31) | IRTE_TM, sid_edu);
    dmar_irte_put(d, IRT_BASE, 0x7fff, dmar_irte_lo(0x32), sid_edu);
    /* handle bit 15 is address bit 2; without it, 0x1234 */
    dmar_irte_put(d, IRT_BASE, 0x9234, dmar_irte_lo(0x33), 0);
    dmar_irte_put(d, IRT_BASE, 0x1234, dmar_irte_lo(0x3f), 0);
    /* SHV: handle 0x100 plus subhandle 0x25 */
    dmar_irte_put(d, IRT_BASE, 0x125, dmar_irte_lo(0x34), 0);
    dmar_irte_put(d, IRT_BASE, 0x100, dmar_irte_lo(0x3e), 0);
    dmar_ir_enable(d, IRT_BASE | 15, false);

    /* vector and trigger mode from the IRTE; the data is not used */
    dmar_edu_msi(d, dmar_msi_remappable(0, false), 0xee);
    dmar_assert_delivered(d, 0x30, false);
    dmar_assert_not_delivered(d, 0xee);
    dmar_edu_msi(d, dmar_msi_remappable(1, false), 0);
    dmar_assert_delivered(d, 0x31, true);
    dmar_edu_msi(d, dmar_msi_remappable(0x7fff, false),
                 MSI_DATA_LEVEL | MSI_DATA_DLM(DLM_NMI) | 0xed);
    dmar_assert_delivered(d, 0x32, false);
    dmar_assert_not_delivered(d, 0xed);
    dmar_edu_msi(d, dmar_msi_remappable(0x9234, false), 0);
    dmar_assert_delivered(d, 0x33, false);
    dmar_assert_not_delivered(d, 0x3f);
    dmar_edu_msi(d, dmar_msi_remappable(0x100, true), 0x25);
    dmar_assert_delivered(d, 0x34, false);
    dmar_assert_not_delivered(d, 0x3e);
    dmar_assert_no_fault(d);

    /* AVAIL (11:8) and RH are no reserved bits; lowest priority works */
    dmar_irte_put(d, IRT_BASE, 2, dmar_irte_lo(0x35) | IRTE_AVAIL | IRTE_RH |
                  IRTE_DLM(DLM_LOWEST), 0);
    dmar_edu_msi(d, dmar_msi_remappable(2, false), 0);
    dmar_assert_delivered(d, 0x35, false);
    /* delivery mode from the IRTE: an NMI sets no IRR bit */
    dmar_irte_put(d, IRT_BASE, 3, dmar_irte_lo(0x36) | IRTE_DLM(DLM_NMI), 0);
    dmar_edu_msi(d, dmar_msi_remappable(3, false), 0);
    dmar_assert_not_delivered(d, 0x36);
    /* destination from the IRTE: there is no APIC 1; 0xff broadcasts */
    dmar_irte_put(d, IRT_BASE, 4, IRTE_P | IRTE_V(0x37) | IRTE_XDST(1), 0);
    dmar_edu_msi(d, dmar_msi_remappable(4, false), 0);
    dmar_assert_not_delivered(d, 0x37);
    dmar_irte_put(d, IRT_BASE, 5, IRTE_P | IRTE_V(0x38) | IRTE_XDST(0xff), 0);
    dmar_edu_msi(d, dmar_msi_remappable(5, false), 0);
    dmar_assert_delivered(d, 0x38, false);
    /* destination mode: logical 0 matches no APIC (LDR is 0) */
    dmar_irte_put(d, IRT_BASE, 6, dmar_irte_lo(0x39) | IRTE_DM, 0);
    dmar_edu_msi(d, dmar_msi_remappable(6, false), 0);
    dmar_assert_not_delivered(d, 0x39);

    scn_ir_sid_pass(d);
    dmar_free(d);
}

/* EIME = 1: 32-bit destinations, nothing in DST is reserved */
static void test_ir_eim(void)
{
    QDmar *d = dmar_boot_full("eim=on", X2APIC_CPU " -smp 1", false);

    g_assert_cmphex(dmar_rd64(d, REG_ECAP) & (ECAP_IR | ECAP_EIM), ==,
                    ECAP_IR | ECAP_EIM);
    dmar_irte_put(d, IRT_BASE, 1, IRTE_P | IRTE_V(0x60) | IRTE_DST(0),
                  IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID));
    /*
     * No APIC has id 0x10001, 1 or 0xfffffe01. (Under qtest the APIC stays
     * in xAPIC mode and compares only the low 8 bits of a destination.)
     */
    dmar_irte_put(d, IRT_BASE, 2, IRTE_P | IRTE_V(0x61) | IRTE_DST(0x10001), 0);
    dmar_irte_put(d, IRT_BASE, 3, IRTE_P | IRTE_V(0x62) | IRTE_DST(1), 0);
    dmar_irte_put(d, IRT_BASE, 4, IRTE_P | IRTE_V(0x63) | IRTE_DST(0xfffffe01),
                  0);
    dmar_irte_put(d, IRT_BASE, 5, IRTE_P | IRTE_V(0x64) | IRTE_DST(0), 0);
    dmar_ir_enable(d, IRT_BASE | IRTA_EIME | 3, false);
    g_assert_cmphex(dmar_rd64(d, REG_IRTA), ==, IRT_BASE | IRTA_EIME | 3);

    dmar_edu_msi(d, dmar_msi_remappable(1, false), 0);
    dmar_assert_delivered(d, 0x60, false);
    dmar_edu_msi(d, dmar_msi_remappable(2, false), 0);
    dmar_edu_msi(d, dmar_msi_remappable(3, false), 0);
    dmar_edu_msi(d, dmar_msi_remappable(4, false), 0);
    dmar_assert_not_delivered(d, 0x61);
    dmar_assert_not_delivered(d, 0x62);
    dmar_assert_not_delivered(d, 0x63);
    dmar_assert_no_fault(d);

    /* EIME is latched by SIRTP like the rest of IRTA */
    dmar_wr64(d, REG_IRTA, IRT_BASE | 3);
    dmar_edu_msi(d, dmar_msi_remappable(2, false), 0);
    dmar_assert_no_fault(d);

    /* the same entries in xAPIC mode: DST 7:0 and 31:16 are reserved */
    dmar_ir_set_table(d, IRT_BASE | 3);
    g_assert_cmphex(dmar_rd64(d, REG_IRTA), ==, IRT_BASE | 3);
    dmar_edu_msi(d, dmar_msi_remappable(2, false), 0);
    dmar_assert_ir_fault(d, FR_IR_RSVD, 2, EDU_SID);
    dmar_edu_msi(d, dmar_msi_remappable(3, false), 0);
    dmar_assert_ir_fault(d, FR_IR_RSVD, 3, EDU_SID);
    dmar_edu_msi(d, dmar_msi_remappable(4, false), 0);
    dmar_assert_ir_fault(d, FR_IR_RSVD, 4, EDU_SID);
    dmar_edu_msi(d, dmar_msi_remappable(5, false), 0);
    dmar_assert_delivered(d, 0x64, false);
    dmar_assert_not_delivered(d, 0x61);
    dmar_assert_not_delivered(d, 0x62);
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/*
 * EIME = 1, destination 0xffffffff: the x2APIC broadcast reaches every
 * APIC (CPU 0's is in xAPIC mode here: QEMU delivers a physical
 * 0xffffffff to all of them). The 32-bit destination must reach the
 * APIC as a whole.
 */
static void test_ir_eim_broadcast(void)
{
    QDmar *d = dmar_boot_full("eim=on", X2APIC_CPU " -smp 1", false);

    dmar_irte_put(d, IRT_BASE, 1, IRTE_P | IRTE_V(0x68) | IRTE_DST(0xffffffff),
                  IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID));
    dmar_irte_put(d, IRT_BASE, 2, IRTE_P | IRTE_V(0x69) | IRTE_DST(0), 0);
    dmar_ir_enable(d, IRT_BASE | IRTA_EIME | 3, false);
    dmar_edu_msi(d, dmar_msi_remappable(2, false), 0);
    dmar_assert_delivered(d, 0x69, false);
    dmar_edu_msi(d, dmar_msi_remappable(1, false), 0);
    dmar_assert_no_fault(d);
    dmar_assert_delivered(d, 0x68, false);
    dmar_free(d);
}

/* Compatibility-format interrupts (VT-d §5.1.4), and IRES = 0 */
static void test_ir_compat(void)
{
    QDmar *d = dmar_boot("");

    dmar_irte_put(d, IRT_BASE, 0, dmar_irte_lo(0x70), 0);
    /* remapping off: delivered as they are, whatever the format */
    dmar_ir_set_table(d, IRT_BASE | 3);
    dmar_edu_msi(d, dmar_msi_compat(0), 0x71);
    dmar_assert_delivered(d, 0x71, false);
    dmar_edu_msi(d, dmar_msi_compat(0), MSI_DATA_LEVEL | 0x72);
    dmar_assert_delivered(d, 0x72, true);
    dmar_edu_msi(d, dmar_msi_remappable(0, false), 0);
    dmar_assert_not_delivered(d, 0x70);
    dmar_assert_no_fault(d);

    /*
     * Remapping on, CFIS = 0: blocked (no index: FI bits 47:0 are 0).
     * The fault event is a compatibility-format interrupt too, but the
     * unit's own: it is not remapped, and reaches the APIC.
     */
    dmar_ir_enable(d, IRT_BASE | 3, false);
    dmar_wr32(d, REG_FEDATA, 0x7a);
    dmar_wr32(d, REG_FEADDR, dmar_msi_compat(0));
    dmar_wr32(d, REG_FECTL, 0);
    dmar_edu_msi(d, dmar_msi_compat(0), 0x73);
    dmar_assert_ir_fault(d, FR_IR_COMPAT, -1, EDU_SID);
    dmar_assert_not_delivered(d, 0x73);
    dmar_assert_delivered(d, 0x7a, false);
    dmar_wr32(d, REG_FECTL, FECTL_IM);
    /* CFIS = 1: delivered as they are */
    dmar_gcmd_update(d, GCMD_CFI, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==,
                    GSTS_IRTPS | GSTS_IRES | GSTS_CFIS);
    dmar_edu_msi(d, dmar_msi_compat(0), 0x74);
    dmar_assert_delivered(d, 0x74, false);
    dmar_edu_msi(d, dmar_msi_compat(0), MSI_DATA_LEVEL | 0x75);
    dmar_assert_delivered(d, 0x75, true);
    /* while the remappable format is still remapped */
    dmar_edu_msi(d, dmar_msi_remappable(0, false), 0);
    dmar_assert_delivered(d, 0x70, false);
    dmar_assert_no_fault(d);
    /* CFI cleared again */
    dmar_gcmd_update(d, 0, GCMD_CFI);
    dmar_edu_msi(d, dmar_msi_compat(0), 0x76);
    dmar_assert_ir_fault(d, FR_IR_COMPAT, -1, EDU_SID);
    dmar_assert_not_delivered(d, 0x76);
    dmar_free(d);

    /* EIME = 1 blocks the compatibility format even with CFIS = 1 */
    d = dmar_boot_full("eim=on", X2APIC_CPU, false);
    dmar_ir_enable(d, IRT_BASE | IRTA_EIME | 3, true);
    dmar_edu_msi(d, dmar_msi_compat(0), 0x77);
    dmar_assert_ir_fault(d, FR_IR_COMPAT, -1, EDU_SID);
    dmar_assert_not_delivered(d, 0x77);
    dmar_ir_set_table(d, IRT_BASE | 3);
    dmar_edu_msi(d, dmar_msi_compat(0), 0x78);
    dmar_assert_delivered(d, 0x78, false);
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/*
 * DMA writes to 0xFEEx_xxxx are interrupt requests, translation enabled
 * or not: a second-level mapping of that range is never used for them.
 */
static void test_ir_dma_write(void)
{
    QDmar *d = dmar_boot("");
    uint32_t v = 0xc2;

    dmar_tables_init(d, 3, 0);
    dmar_map(d, MSI_BASE, PAGE_OUT, 1, PTE_RW);
    dmar_fill(d, PAGE_OUT, 0x5e);
    dmar_irte_put(d, IRT_BASE, 1, dmar_irte_lo(0xc1),
                  IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID));
    /*
     * Two dwords for edu's buffer, loaded untranslated: a plain data
     * value, and one with bits 31:16 set (reserved in remappable format)
     */
    qtest_writel(d->qts, SCRATCH, v);
    qtest_writel(d->qts, SCRATCH + 4, 0xabcd0000u | 0xc3);
    dmar_edu_dma(d, SCRATCH, EDU_BUF, 8, false);
    dmar_enable(d, ROOT_TABLE);

    /* remapping off: a compatibility-format interrupt */
    dmar_edu_dma(d, EDU_BUF, dmar_msi_compat(0), 4, true);
    dmar_assert_delivered(d, 0xc2, false);
    /* remapping on: remapped, or blocked */
    dmar_ir_enable(d, IRT_BASE | 3, false);
    dmar_edu_dma(d, EDU_BUF, dmar_msi_remappable(1, false), 4, true);
    dmar_assert_delivered(d, 0xc1, false);
    dmar_assert_no_fault(d);
    dmar_edu_dma(d, EDU_BUF, dmar_msi_compat(0), 4, true);
    dmar_assert_ir_fault(d, FR_IR_COMPAT, -1, EDU_SID);
    /* VT-d §5.1.2.2: data bits 31:16 reserved: fault 0x20, not delivered */
    dmar_edu_dma(d, EDU_BUF + 4, dmar_msi_remappable(1, false), 4, true);
    dmar_assert_ir_fault(d, FR_IR_REQ_RSVD, 1, EDU_SID);
    dmar_assert_not_delivered(d, 0xc3);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x5e));
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS |
                    GSTS_IRTPS | GSTS_IRES);
    dmar_free(d);
}

/*
 * The number of the flat view that address space AS_NAME uses, and in
 * *ROOT its root region, from HMP "info mtree -f" (its blocks list their
 * address spaces, then "Root memory region: NAME").
 */
static int flat_view(QDmar *d, const char *as_name, char **root)
{
    g_autofree char *out = qtest_hmp(d->qts, "info mtree -f");
    g_autofree char *want = g_strdup_printf(" AS \"%s\",", as_name);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    int view = -1;
    bool in_view = false;

    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "FlatView #")) {
            view = atoi(*l + strlen("FlatView #"));
            in_view = false;
        } else if (g_str_has_prefix(*l, want)) {
            in_view = true;
        } else if (in_view && g_str_has_prefix(*l, " Root memory region: ")) {
            /* HMP ends its lines with CR LF */
            *root = g_strchomp(g_strdup(*l +
                                        strlen(" Root memory region: ")));
            return view;
        }
    }
    g_test_message("no flat view lists %s", as_name);
    g_test_message("%s", out);
    g_assert_not_reached();
}

/*
 * edu's address space and the LPC bridge's use flat views rooted at their
 * own containers, or (SHARED) both the one of the unit's shared_as_root
 */
static void assert_views(QDmar *d, bool shared)
{
    g_autofree char *edu_root = NULL;
    g_autofree char *lpc_root = NULL;
    int edu = flat_view(d, "vtd-dmar-04.0", &edu_root);
    int lpc = flat_view(d, "vtd-dmar-1f.0", &lpc_root);

    if (shared) {
        g_assert_cmpint(edu, ==, lpc);
        g_assert_cmpstr(edu_root, ==, "vtd-dmar-shared-as");
    } else {
        g_assert_cmpint(edu, !=, lpc);
        g_assert_cmpstr(edu_root, ==, "vtd-dmar-04.0");
        g_assert_cmpstr(lpc_root, ==, "vtd-dmar-1f.0");
    }
}

/*
 * While translation and interrupt remapping are both off, requests do not
 * depend on their source-id, and every device's address space is the one
 * flat view the unit's devices share; interrupt remapping on gives each
 * its own again, in which a DMA write to the interrupt window (no
 * requester-id in its attributes) is still edu's; off again, shared.
 * (While shared, the shared interrupt window passes messages as the
 * APICs' region would: only a write racing the switch to remapping could
 * tell them apart.)
 */
static void test_ir_shared_view(void)
{
    QDmar *d = dmar_boot("");
    uint32_t v = 0x51;

    assert_views(d, true);
    /* untranslated DMA, a compatibility-format MSI and DMA write pass */
    dmar_fill(d, SCRATCH + 0x1000, 0x3c);
    dmar_edu_dma(d, SCRATCH + 0x1000, EDU_BUF, XFER, false);
    dmar_edu_dma(d, EDU_BUF, SCRATCH + 0x2000, XFER, true);
    g_assert_true(dmar_holds(d, SCRATCH + 0x2000, 0x3c));
    dmar_edu_msi(d, dmar_msi_compat(0), 0x50);
    dmar_assert_delivered(d, 0x50, false);
    qtest_writel(d->qts, SCRATCH, v);
    dmar_edu_dma(d, SCRATCH, EDU_BUF, 4, false);
    dmar_edu_dma(d, EDU_BUF, dmar_msi_compat(0), 4, true);
    dmar_assert_delivered(d, 0x51, false);

    dmar_irte_put(d, IRT_BASE, 1, dmar_irte_lo(0x52),
                  IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID));
    dmar_irte_put(d, IRT_BASE, 2, dmar_irte_lo(0x53),
                  IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID));
    dmar_irte_put(d, IRT_BASE, 3, dmar_irte_lo(0x54),
                  IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID + 8));
    dmar_ir_enable(d, IRT_BASE | 3, false);
    assert_views(d, false);
    dmar_edu_msi(d, dmar_msi_remappable(1, false), 0);
    dmar_assert_delivered(d, 0x52, false);
    dmar_edu_dma(d, EDU_BUF, dmar_msi_remappable(2, false), 4, true);
    dmar_assert_delivered(d, 0x53, false);
    dmar_assert_no_fault(d);
    dmar_edu_dma(d, EDU_BUF, dmar_msi_remappable(3, false), 4, true);
    dmar_assert_ir_fault(d, FR_IR_SID, 3, EDU_SID);
    dmar_assert_not_delivered(d, 0x54);

    dmar_gcmd_update(d, 0, GCMD_IRE);
    assert_views(d, true);
    /* translation on: edu's own view, through the unit */
    dmar_tables_init(d, 3, 0);
    dmar_wr64(d, REG_RTADDR, ROOT_TABLE);
    dmar_gcmd_update(d, GCMD_SRTP, 0);
    dmar_gcmd_update(d, GCMD_TE, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS) & GSTS_TES, ==, GSTS_TES);
    assert_views(d, false);
    dmar_edu_dma(d, SCRATCH + 0x1000, EDU_BUF, XFER, false);
    dmar_assert_frcd(d, 0, SCRATCH + 0x1000, FR_READ, false);
    dmar_free(d);
}

/* ---- interrupt remapping faults ---- */

/*
 * The request is blocked and recorded (reason, index, edu's source-id);
 * then again with FPD set in the IRTE, after SIRTP dropped the cached
 * entries: recorded only for the faults that are not qualified.
 */
static void test_ir_fault(const void *opaque)
{
    const ScnIrFaultCase *c = opaque;
    QDmar *d = dmar_boot("");
    ScnIrEnv e = scn_ir_env();

    c->setup(d, &e);
    dmar_irte_put(d, IRT_BASE, e.index, e.lo, e.hi);
    dmar_ir_enable(d, e.irta, false);
    dmar_edu_msi(d, e.addr, e.data);
    dmar_assert_ir_fault(d, c->fr, e.fi, EDU_SID);
    dmar_assert_not_delivered(d, IR_VEC);

    dmar_irte_put(d, IRT_BASE, e.index, e.lo | IRTE_FPD, e.hi);
    dmar_ir_set_table(d, e.irta);
    dmar_edu_msi(d, e.addr, e.data);
    if (scn_ir_fpd_qualified(c->fr)) {
        dmar_assert_no_fault(d);
    } else {
        dmar_assert_ir_fault(d, c->fr, e.fi, EDU_SID);
    }
    dmar_assert_not_delivered(d, IR_VEC);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_IRTPS | GSTS_IRES);
    dmar_free(d);
}

/* The cases and the scenario: vtd-dmar-scenarios.h */
static void test_ir_rsvd(const void *opaque)
{
    QDmar *d = dmar_boot("");

    scn_ir_rsvd(d, opaque);
    dmar_assert_not_delivered(d, IR_VEC);
    dmar_free(d);
}

/* ---- the interrupt entry cache ---- */

static void ir_clear_faults(QDmar *d)
{
    for (unsigned i = 0; i < 8; i++) {
        dmar_frcd_clear(d, i);
    }
    dmar_wr32(d, REG_FSTS, FSTS_PFO);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
}

/*
 * IRTE INDEX is used (vector V, now in the cache), then made not
 * present without invalidation: the next request may or may not use
 * the stale entry, nothing is asserted.
 */
static void iec_use_then_remove(QDmar *d, uint32_t index, uint8_t v)
{
    dmar_irte_put(d, IRT_BASE, index, dmar_irte_lo(v), 0);
    dmar_edu_msi(d, dmar_msi_remappable(index, false), 0);
    dmar_assert_delivered(d, v, false);
    dmar_irte_put(d, IRT_BASE, index, dmar_irte_lo(v) & ~IRTE_P, 0);
    dmar_edu_msi(d, dmar_msi_remappable(index, false), 0);
    ir_clear_faults(d);
}

static void iec_expect_removed(QDmar *d, uint32_t index)
{
    dmar_edu_msi(d, dmar_msi_remappable(index, false), 0);
    dmar_assert_ir_fault(d, FR_IR_NP, index, EDU_SID);
}

static void test_ir_iec(void)
{
    QDmar *d = dmar_boot("");

    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_ir_enable(d, IRT_BASE | 9, false);

    /* global */
    iec_use_then_remove(d, 7, 0xa0);
    scn_qi_iec(d, false, 0, 0);
    iec_expect_removed(d, 7);
    /* global with IM and IIDX set: they are ignored */
    iec_use_then_remove(d, 300, 0xa1);
    scn_qi_iec(d, false, 5, 2);
    iec_expect_removed(d, 300);

    /* index-selective: the index itself */
    iec_use_then_remove(d, 9, 0xa2);
    scn_qi_iec(d, true, 9, 0);
    iec_expect_removed(d, 9);
    /* 2^IM entries, IIDX's low IM bits ignored: 8..15 and 20..23 */
    iec_use_then_remove(d, 13, 0xa3);
    scn_qi_iec(d, true, 8, 3);
    iec_expect_removed(d, 13);
    iec_use_then_remove(d, 22, 0xa4);
    scn_qi_iec(d, true, 21, 2);
    iec_expect_removed(d, 22);
    /* the largest mask (ECAP.MHMV = 15): 0..32767 */
    iec_use_then_remove(d, 400, 0xa5);
    scn_qi_iec(d, true, 0x1234, 15);
    iec_expect_removed(d, 400);

    /* ranges that miss it (nothing asserted), then one that covers it */
    iec_use_then_remove(d, 30, 0xa6);
    scn_qi_iec(d, true, 31, 0);
    dmar_edu_msi(d, dmar_msi_remappable(30, false), 0);
    ir_clear_faults(d);
    scn_qi_iec(d, true, 28, 1);
    scn_qi_iec(d, true, 30 + 256, 0);
    scn_qi_iec(d, true, 0x8000 | 30, 15);
    dmar_edu_msi(d, dmar_msi_remappable(30, false), 0);
    ir_clear_faults(d);
    scn_qi_iec(d, true, 24, 3);
    iec_expect_removed(d, 30);

    /* SIRTP drops every cached entry too */
    iec_use_then_remove(d, 45, 0xa7);
    iec_use_then_remove(d, 46, 0xa8);
    dmar_gcmd_update(d, GCMD_SIRTP, 0);
    iec_expect_removed(d, 45);
    iec_expect_removed(d, 46);

    /* an invalidation does not stop entries from being cached again */
    dmar_irte_put(d, IRT_BASE, 50, dmar_irte_lo(0xa9), 0);
    dmar_edu_msi(d, dmar_msi_remappable(50, false), 0);
    dmar_assert_delivered(d, 0xa9, false);
    dmar_assert_no_fault(d);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==,
                    GSTS_QIES | GSTS_IRTPS | GSTS_IRES);
    dmar_free(d);
}

/* ---- the IOAPIC, source-id 0xff00 ---- */

static uint64_t ioapic_remap_rte(uint32_t index, uint8_t v)
{
    return (uint64_t)(index & 0x7fff) << 49 | 1ull << 48 |
           (uint64_t)((index >> 15) & 1) << 11 | v;
}

static void test_ir_ioapic(void)
{
    QDmar *d = dmar_boot("");

    /* remapping off: the IOAPIC's messages go through as they are */
    dmar_ioapic_rte(d, IOAPIC_PIN, 0x90);
    dmar_ioapic_pulse(d, IOAPIC_PIN);
    dmar_assert_delivered(d, 0x90, false);

    dmar_irte_put(d, IRT_BASE, 6, dmar_irte_lo(0x91),
                  IRTE_SVT(SVT_SID) | IRTE_SID(IOAPIC_SID));
    dmar_irte_put(d, IRT_BASE, 7, dmar_irte_lo(0x92),
                  IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID));
    /* bus range [0xff, 0xff], and index bit 15 (RTE bit 11) */
    dmar_irte_put(d, IRT_BASE, 0x8006, dmar_irte_lo(0x93),
                  IRTE_SVT(SVT_BUS) | IRTE_SID(0xffff));
    dmar_ir_enable(d, IRT_BASE | 15, false);

    dmar_ioapic_rte(d, IOAPIC_PIN, 0x94);
    dmar_ioapic_pulse(d, IOAPIC_PIN);
    dmar_assert_ir_fault(d, FR_IR_COMPAT, -1, IOAPIC_SID);
    dmar_assert_not_delivered(d, 0x94);
    dmar_ioapic_rte(d, IOAPIC_PIN, ioapic_remap_rte(6, 0x91));
    dmar_ioapic_pulse(d, IOAPIC_PIN);
    dmar_assert_delivered(d, 0x91, false);
    dmar_ioapic_rte(d, IOAPIC_PIN, ioapic_remap_rte(7, 0x92));
    dmar_ioapic_pulse(d, IOAPIC_PIN);
    dmar_assert_ir_fault(d, FR_IR_SID, 7, IOAPIC_SID);
    dmar_assert_not_delivered(d, 0x92);
    dmar_ioapic_rte(d, IOAPIC_PIN, ioapic_remap_rte(0x8006, 0x93));
    dmar_ioapic_pulse(d, IOAPIC_PIN);
    dmar_assert_delivered(d, 0x93, false);
    /* CFIS = 1: its compatibility-format messages pass again */
    dmar_gcmd_update(d, GCMD_CFI, 0);
    dmar_ioapic_rte(d, IOAPIC_PIN, 0x95);
    dmar_ioapic_pulse(d, IOAPIC_PIN);
    dmar_assert_delivered(d, 0x95, false);
    /* and edu may not use the IOAPIC's entry */
    dmar_edu_msi(d, dmar_msi_remappable(6, false), 0);
    dmar_assert_ir_fault(d, FR_IR_SID, 6, EDU_SID);
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* Random IRTEs and requests (vtd-dmar-scenarios.h) */
static void test_ir_fuzz(void)
{
    QDmar *d = dmar_boot_full("eim=on", X2APIC_CPU, false);

    scn_ir_fuzz(d);
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'query-status' }");
    dmar_free(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/vtd-dmar/ir/regs", test_ir_regs);
    qtest_add_func("/vtd-dmar/ir/irta-latch", test_ir_irta_latch);
    qtest_add_func("/vtd-dmar/ir/remap", test_ir_remap);
    qtest_add_func("/vtd-dmar/ir/eim", test_ir_eim);
    qtest_add_func("/vtd-dmar/ir/compat", test_ir_compat);
    qtest_add_func("/vtd-dmar/ir/dma-write", test_ir_dma_write);
    qtest_add_func("/vtd-dmar/ir/shared-view", test_ir_shared_view);
    DMAR_ADD_CASES("/vtd-dmar/ir/fault", scn_ir_fault_cases, test_ir_fault);
    DMAR_ADD_CASES("/vtd-dmar/ir/rsvd", scn_ir_rsvd_cases, test_ir_rsvd);
    qtest_add_func("/vtd-dmar/ir/iec", test_ir_iec);
    qtest_add_func("/vtd-dmar/ir/ioapic", test_ir_ioapic);
    qtest_add_func("/vtd-dmar/ir/fuzz", test_ir_fuzz);
    /* its own suite, created last: it runs after every other ir test */
    qtest_add_func("/vtd-dmar/ir/eim/broadcast", test_ir_eim_broadcast);

    return g_test_run();
}
