/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the vtd-dmar qtests share beyond the libqos helper
 * (libqos/vtd-dmar.h): where their data lives in guest RAM, the
 * register values they expect, and small helpers of their own. Each
 * tests/qtest/vtd-dmar-*-test.c covers one subject.
 *
 * How the tests work. No firmware runs under the qtest accelerator, so
 * guest RAM is ours: a test writes root, context and second-level tables
 * there and lets the edu device at 00:04.0 (source-id 0x0020) do DMA
 * through the unit. Data always travels RAM -> edu buffer -> RAM, so
 * where it lands shows which translation the unit used. Queued
 * invalidation is driven the same way: descriptors written to a queue in
 * guest RAM, wait descriptors' status writes and event messages read
 * back from RAM.
 *
 * Interrupt remapping: edu sends MSIs (its MSI capability is programmed
 * with the address and data under test) and the IOAPIC sends its
 * messages; what reaches CPU 0's local APIC is read back from its IRR
 * through "info lapic". No CPU runs under qtest, so nothing is ever
 * acknowledged: every check uses a vector not used before.
 */
#ifndef TESTS_QTEST_VTD_DMAR_QTEST_H
#define TESTS_QTEST_VTD_DMAR_QTEST_H

#include "libqtest.h"
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "libqos/vtd-dmar.h"
#include "hw/pci/pci_regs.h"
#include "qobject/qdict.h"
#include "qemu/bswap.h"

/* ---- guest memory layout, beside libqos/vtd-dmar-defs.h's ---- */

#define IDENT_IN        0x00700000ull   /* RAM used untranslated */
#define IDENT_OUT       0x00710000ull
#define SCRATCH         0x00730000ull


/* Interrupt remapping */
#define IOAPIC_PIN      5       /* no ISA device uses IRQ 5 here */

/* DMA across pages (translate/contiguous-block, verify-iotlb-block) */
#define BLK_IOVA        0x0abc0000ull   /* 256 KiB aligned */
#define BLK_PA(n)       (BIG_2M_B + (n) * 0x1000ull)

/* CPUs with x2APIC, for EIM */
#define X2APIC_CPU      "-cpu qemu64,+x2apic"

/* The fault event message and the invalidation event message */
static inline uint32_t fe_msg(QDmar *d)
{
    return qtest_readl(d->qts, FE_MSG);
}

static inline uint32_t ie_msg(QDmar *d)
{
    return qtest_readl(d->qts, IE_MSG);
}

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

/* ---- the scenarios shared with the unit tests (vtd-dmar-scenarios.h) ---- */

typedef QDmar DmarScn;

/* An access of SIZE bytes at OFF, aligned or not */
static inline uint64_t dmar_scn_read(QDmar *d, unsigned off, unsigned size)
{
    switch (size) {
    case 1:
        return qtest_readb(d->qts, DMAR_BASE + off);
    case 2:
        return qtest_readw(d->qts, DMAR_BASE + off);
    case 4:
        return qtest_readl(d->qts, DMAR_BASE + off);
    default:
        g_assert_cmpuint(size, ==, 8);
        return qtest_readq(d->qts, DMAR_BASE + off);
    }
}

static inline void dmar_scn_write(QDmar *d, unsigned off, unsigned size,
                                  uint64_t v)
{
    switch (size) {
    case 1:
        qtest_writeb(d->qts, DMAR_BASE + off, v);
        break;
    case 2:
        qtest_writew(d->qts, DMAR_BASE + off, v);
        break;
    case 4:
        qtest_writel(d->qts, DMAR_BASE + off, v);
        break;
    default:
        g_assert_cmpuint(size, ==, 8);
        qtest_writeq(d->qts, DMAR_BASE + off, v);
    }
}

/*
 * The whole window of registers in one qtest command: the memory core
 * reads it 8 bytes at a time, so this relies on aligned 8-byte reads,
 * which scn_win_init() checks against 4-byte ones.
 */
static inline void dmar_scn_win_read(QDmar *d, uint32_t *out, unsigned size)
{
    qtest_memread(d->qts, DMAR_BASE, out, size);
    for (unsigned i = 0; i < size / 4; i++) {
        out[i] = le32_to_cpu(out[i]);
    }
}

/* Guest RAM */
static inline void dmar_scn_w32(QDmar *d, uint64_t gpa, uint32_t v)
{
    qtest_writel(d->qts, gpa, v);
}

static inline uint32_t dmar_scn_r32(QDmar *d, uint64_t gpa)
{
    return qtest_readl(d->qts, gpa);
}

static inline void dmar_scn_w64(QDmar *d, uint64_t gpa, uint64_t v)
{
    qtest_writeq(d->qts, gpa, v);
}

static inline uint64_t dmar_scn_r64(QDmar *d, uint64_t gpa)
{
    return qtest_readq(d->qts, gpa);
}

static inline void dmar_scn_memzero(QDmar *d, uint64_t gpa, size_t len)
{
    qtest_memset(d->qts, gpa, 0, len);
}

/* Forget the last fault event message; the one sent since, or 0 */
static inline void dmar_scn_fe_clear(QDmar *d)
{
    qtest_writel(d->qts, FE_MSG, 0);
}

/* An interrupt request from edu; one that must reach CPU 0 as vector V */
static inline void dmar_scn_assert_remapped(QDmar *d, uint32_t addr,
                                            uint16_t data, uint8_t v,
                                            bool level)
{
    dmar_edu_msi(d, addr, data);
    dmar_assert_delivered(d, v, level);
}

static inline void dmar_scn_ie_clear(QDmar *d)
{
    qtest_writel(d->qts, IE_MSG, 0);
}

/* The qtests check nothing beyond the scenarios' own assertions */
static inline void dmar_scn_hook(QDmar *d, int at, bool before)
{
}

#define scn_rd32                dmar_rd32
#define scn_rd64                dmar_rd64
#define scn_wr32                dmar_wr32
#define scn_wr64                dmar_wr64
#define scn_read                dmar_scn_read
#define scn_write               dmar_scn_write
#define scn_haw_mask            dmar_haw_mask
#define scn_snapshot            dmar_snapshot
#define scn_assert_same_regs    dmar_assert_same_regs
#define scn_hook                dmar_scn_hook
#define scn_w32                 dmar_scn_w32
#define scn_r32                 dmar_scn_r32
#define scn_memzero             dmar_scn_memzero
#define scn_w64                 dmar_scn_w64
#define scn_r64                 dmar_scn_r64
#define scn_set_root            dmar_set_root
#define scn_set_ctx             dmar_set_ctx
#define scn_ctx_lo              dmar_ctx_lo
#define scn_ctx_hi              dmar_ctx_hi
#define scn_set_pte             dmar_set_pte
#define scn_pte_slot            dmar_pte_slot
#define scn_fe_clear            dmar_scn_fe_clear
#define scn_fe_msg              fe_msg
#define scn_ie_clear            dmar_scn_ie_clear
#define scn_iq_off              dmar_iq_off
#define scn_qi_enable           dmar_qi_enable
#define scn_qi_put              dmar_qi_put
#define scn_qi_push             dmar_qi_push
#define scn_qi_push_wait        dmar_qi_push_wait
#define scn_qi_kick             dmar_qi_kick
#define scn_qi_sync             dmar_qi_sync
#define scn_qi_iotlb            dmar_qi_iotlb
#define scn_qi_cc               dmar_qi_cc
#define scn_fsts                dmar_fsts
#define scn_win_read            dmar_scn_win_read
#define scn_gcmd_update         dmar_gcmd_update
#define scn_ccmd_inv            dmar_ccmd_inv
#define scn_iotlb_inv           dmar_iotlb_inv
#define scn_qi_wait_if          dmar_qi_wait_if
#define scn_tables_init         dmar_tables_init
#define scn_map                 dmar_map
#define scn_enable              dmar_enable
#define scn_dma_in              dmar_dma_in
#define scn_assert_frcd         dmar_assert_frcd
#define scn_frcd_clear          dmar_frcd_clear
#define scn_assert_no_fault     dmar_assert_no_fault
#define scn_ir_enable           dmar_ir_enable
#define scn_irte_put            dmar_irte_put
#define scn_irte_lo             dmar_irte_lo
#define scn_msi_remappable      dmar_msi_remappable
#define scn_msi                 dmar_edu_msi
#define scn_msi_blocked         dmar_edu_msi
#define scn_ir_set_table        dmar_ir_set_table
#define scn_assert_ir_fault     dmar_assert_ir_fault
#define scn_assert_remapped     dmar_scn_assert_remapped

/*
 * Register one qtest per element of a table of cases. Every case struct
 * starts with its name (const char *), which becomes PREFIX/name.
 */
static inline void dmar_add_cases(const char *prefix, const void *cases,
                                  size_t size, size_t n, GTestDataFunc fn)
{
    for (size_t i = 0; i < n; i++) {
        const void *c = (const char *)cases + i * size;
        const char *name = *(const char *const *)c;
        g_autofree char *path = g_strdup_printf("%s/%s", prefix, name);

        qtest_add_data_func(path, c, fn);
    }
}

#define DMAR_ADD_CASES(prefix, cases, fn) \
    dmar_add_cases(prefix, cases, sizeof(cases[0]), ARRAY_SIZE(cases), fn)

/* The one fault record of D's unit with F set (of the first 8) */
static inline unsigned frcd_pending(QDmar *d)
{
    int rec = -1;

    for (unsigned i = 0; i < 8; i++) {
        if (dmar_rd64(d, REG_FRCD(i) + 8) & FRCD_F) {
            g_assert_cmpint(rec, ==, -1);
            rec = i;
        }
    }
    g_assert_cmpint(rec, >=, 0);
    return rec;
}

#include "vtd-dmar-scenarios.h"

#endif
