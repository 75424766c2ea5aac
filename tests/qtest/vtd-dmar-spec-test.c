/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: spec details: reserved pointer bits, fault
 * recording index, IQERCD, VER, migration stream validation.
 * Plumbing in libqos/vtd-dmar.h; vtd-dmar-qtest.h says how the tests work.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"

/* ================= the register file's revision ================= */

/*
 * VER names the specification revision whose register file the unit
 * follows: 4.1 (VT-d §11.4.1 Version Register: MAX 7:4, MIN 3:0). CAP.ZLR
 * (§11.4.2) is 0: zero-length reads are not modelled.
 */
static void test_ver_cap(void)
{
    QDmar *d = dmar_boot("");

    g_assert_cmphex(dmar_rd32(d, REG_VER), ==, 0x41);
    g_assert_cmphex(dmar_rd64(d, REG_CAP) & (1ull << 22), ==, 0);
    /* read-only */
    dmar_wr32(d, REG_VER, 0x10);
    g_assert_cmphex(dmar_rd32(d, REG_VER), ==, 0x41);
    dmar_free(d);
}

/* ================= the host address width ================= */

/*
 * IRTA (VT-d §11.4.10): address bits 63:HAW are not implemented and
 * read 0, HAW being the host address width the DMAR table reports. An
 * IRTE whose address lies above it is outside the table: fault 21h, as
 * for an index beyond IRTA.S (§5.1.4.1), not 23h (a table access error).
 */
static void test_irta_haw(const void *opaque)
{
    const char *props = opaque;
    QDmar *d = dmar_boot(props);
    unsigned haw = dmar_haw(d);
    uint64_t top = 1ull << haw;

    g_test_message("vtd-dmar,%s: HAW %u", props, haw);
    dmar_wr64(d, REG_IRTA, ~0ull);
    g_assert_cmphex(dmar_rd64(d, REG_IRTA), ==, (top - 1) & ~0xff0ull);
    dmar_wr32(d, REG_IRTA + 4, ~0u);
    g_assert_cmphex(dmar_rd32(d, REG_IRTA + 4), ==,
                    (uint32_t)((top - 1) >> 32));

    /* a 512-entry table whose last page is the last below 2^HAW */
    dmar_ir_enable(d, (top - 0x1000) | 8, false);
    g_assert_cmphex(dmar_rd64(d, REG_IRTA), ==, (top - 0x1000) | 8);
    /* entry 255 lies below 2^HAW, where nothing answers: 23h */
    dmar_edu_msi(d, dmar_msi_remappable(255, false), 0);
    dmar_assert_ir_fault(d, FR_IR_ACCESS, 255, EDU_SID);
    /* entries 256 to 511 are inside IRTA.S, but above HAW: 21h */
    dmar_edu_msi(d, dmar_msi_remappable(256, false), 0);
    dmar_assert_ir_fault(d, FR_IR_INDEX, 256, EDU_SID);
    dmar_edu_msi(d, dmar_msi_remappable(511, false), 0);
    dmar_assert_ir_fault(d, FR_IR_INDEX, 511, EDU_SID);
    /* and 512 is beyond IRTA.S */
    dmar_edu_msi(d, dmar_msi_remappable(512, false), 0);
    dmar_assert_ir_fault(d, FR_IR_INDEX, 512, EDU_SID);

    /* a table in RAM still works: IRTA keeps every implemented bit */
    dmar_irte_put(d, IRT_BASE, 7, dmar_irte_lo(0x47), 0);
    dmar_ir_set_table(d, IRT_BASE | 3);
    dmar_edu_msi(d, dmar_msi_remappable(7, false), 0);
    dmar_assert_delivered(d, 0x47, false);
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* ================= the fault recording index ================= */

#define FI_IOVA(n)      (0x20000000ull + (n) * 0x1000ull)

/* A read of an unmapped page: fault 6h in the next record, which is I */
static void fi_fault(QDmar *d, unsigned n, unsigned i)
{
    dmar_dma_in(d, FI_IOVA(n));
    dmar_assert_frcd(d, i, FI_IOVA(n), FR_READ, false);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(i));
    dmar_frcd_clear(d, i);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
}

/* An interrupt through a not-present IRTE: fault 22h in record I */
static void fi_ir_fault(QDmar *d, unsigned index, unsigned i)
{
    dmar_edu_msi(d, dmar_msi_remappable(index, false), 0);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(i) + 8) & FRCD_F, ==, FRCD_F);
    dmar_assert_ir_fault(d, FR_IR_NP, index, EDU_SID);
}

/*
 * VT-d §7.2.1: the index of the next fault recording register is reset
 * to zero when address and interrupt translation are both disabled
 * (GSTS.TES and GSTS.IRES clear), and only then.
 */
static void test_fault_index_reset(void)
{
    QDmar *d = dmar_boot("");

    dmar_tables_init(d, 3, 0);
    dmar_enable(d, ROOT_TABLE);
    fi_fault(d, 0, 0);
    fi_fault(d, 1, 1);
    fi_fault(d, 2, 2);
    /* translation off and on again: the next fault goes to record 0 */
    dmar_gcmd_update(d, 0, GCMD_TE);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_RTPS);
    dmar_enable(d, ROOT_TABLE);
    fi_fault(d, 3, 0);
    fi_fault(d, 4, 1);

    /* with interrupt remapping on, switching translation keeps it */
    qtest_memset(d->qts, IRT_BASE, 0, 0x1000);
    dmar_ir_enable(d, IRT_BASE | 7, false);
    dmar_gcmd_update(d, 0, GCMD_TE);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==,
                    GSTS_RTPS | GSTS_IRTPS | GSTS_IRES);
    fi_ir_fault(d, 5, 2);
    dmar_gcmd_update(d, GCMD_TE, 0);
    fi_fault(d, 5, 3);
    /* and so does switching remapping while translation is on */
    dmar_gcmd_update(d, 0, GCMD_IRE);
    dmar_gcmd_update(d, GCMD_IRE, 0);
    fi_fault(d, 6, 4);
    /* both off: reset; on again in the other order */
    dmar_gcmd_update(d, 0, GCMD_IRE);
    dmar_gcmd_update(d, 0, GCMD_TE);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_RTPS | GSTS_IRTPS);
    dmar_gcmd_update(d, GCMD_IRE, 0);
    fi_ir_fault(d, 9, 0);
    dmar_gcmd_update(d, GCMD_TE, 0);
    fi_fault(d, 7, 1);
    /* both off at once */
    dmar_wr32(d, REG_GCMD, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_RTPS | GSTS_IRTPS);
    dmar_gcmd_update(d, GCMD_TE, 0);
    fi_fault(d, 8, 0);
    dmar_free(d);
}

/* ================= two IOVAs, one page ================= */

#define TWO_IOVA        0x40000000ull   /* 8 KiB aligned */

/*
 * Two IOVA pages, the second of them odd, map to the same physical page
 * (which is even). A miss caches the leaves around it: each page's DMA
 * must still reach the one page both map, from the walk and from the
 * IOTLB, never the page after it.
 */
static void test_two_iovas_one_page(void)
{
    QDmar *d = dmar_boot("");

    dmar_tables_init(d, 3, 0);
    dmar_map(d, TWO_IOVA, PAGE_P1, 1, PTE_R);
    dmar_map(d, TWO_IOVA + 0x1000, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0x91);
    dmar_fill(d, PAGE_P2, 0x92);
    dmar_enable(d, ROOT_TABLE);

    /* the first page's miss caches both (the group around it) */
    dmar_copy(d, TWO_IOVA, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x91));
    for (unsigned i = 0; i < 2; i++) {
        dmar_zero(d, PAGE_OUT);
        dmar_copy(d, TWO_IOVA + 0x1000, IOVA_B);
        g_assert_true(dmar_holds(d, PAGE_OUT, 0x91));
    }
    /* and the same through the second page's own miss */
    dmar_iotlb_inv(d, GRAN_GLOBAL, 0, 0);
    dmar_zero(d, PAGE_OUT);
    dmar_copy(d, TWO_IOVA + 0x1000, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x91));
    dmar_zero(d, PAGE_OUT);
    dmar_copy(d, TWO_IOVA, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x91));
    dmar_assert_no_fault(d);
    dmar_free(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vtd-dmar/spec/ver-cap", test_ver_cap);
    qtest_add_data_func("/vtd-dmar/spec/irta-haw/default", "",
                        test_irta_haw);
    qtest_add_data_func("/vtd-dmar/spec/irta-haw/aw39", "aw-bits=39",
                        test_irta_haw);
    qtest_add_func("/vtd-dmar/spec/fault-index-reset",
                   test_fault_index_reset);
    qtest_add_func("/vtd-dmar/spec/two-iovas-one-page",
                   test_two_iovas_one_page);
    return g_test_run();
}
