/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scenarios that a qtest (tests/qtest/vtd-dmar-*-test.c, against the
 * whole device in QEMU) and a unit test (tests/unit/test-dmar-unit-*.c,
 * against the unit layer over fake guest memory) both run: each is
 * written once here and called from both sides, so that the two cannot
 * drift apart.
 *
 * A scenario takes the side's own state as DmarScn * and reaches the
 * unit only through these operations, which the includer maps to its
 * own before including this file (libqos/vtd-dmar.h on the qtest side,
 * in vtd-dmar-qtest.h; the fixture on the unit side, in
 * tests/unit/dmar-unit-fixture.h):
 *
 *   DmarScn                          the side's state (QDmar or Fx)
 *   scn_rd32/rd64(s, off)            a register access
 *   scn_wr32/wr64(s, off, v)
 *   scn_read(s, off, size)           an access of any size and alignment
 *   scn_write(s, off, size, v)
 *   scn_haw_mask(s)                  address bits below the HAW
 *   scn_snapshot(s, w), scn_assert_same_regs(a, b)
 *   scn_hook(s, at, before)          the side's own extra checks around
 *                                    the step AT (SCN_AT_*); before is
 *                                    true just before it, false after
 *
 * Guest memory and the table, queue and IRTE builders follow the
 * libqos helper's names with scn_ in place of dmar_. Every scenario is
 * static inline: a test file uses the few it needs.
 */
#ifndef TESTS_QTEST_VTD_DMAR_SCENARIOS_H
#define TESTS_QTEST_VTD_DMAR_SCENARIOS_H

/* Steps a side can add checks around (scn_hook()) */
typedef enum ScnAt {
    SCN_AT_GCMD_UNOFFERED,      /* scn_regs_access(): GCMD_UNOFFERED */
} ScnAt;

/* ================= register access rules ================= */

typedef struct ScnRegSpan {
    unsigned off, size;
} ScnRegSpan;

/* qtest /vtd-dmar/regs/access, unit /unit/regs/access */
static inline void scn_regs_access(DmarScn *s)
{
    /* Registers that must ignore every write (not offered, or read-only) */
    static const ScnRegSpan ro_regs[] = {
        { REG_VER, 4 }, { REG_CAP, 8 }, { REG_ECAP, 8 }, { REG_GSTS, 4 },
        { REG_AFLOG, 8 }, { REG_PMEN, 4 }, { REG_PLMBASE, 4 },
        { REG_PLMLIMIT, 4 }, { REG_PHMBASE, 8 }, { REG_PHMLIMIT, 8 },
        { REG_IQH, 8 }, { REG_IQERCD, 8 },
    };
    /* Offsets where no register lives (default nfr=8) */
    static const unsigned holes[] = {
        0x04, 0x30, 0x48, 0x4c, 0x50, 0x54, 0x60, 0x98, 0xc0, 0xc8, 0xfc,
        0x110, 0x118, 0x1f8, 0x280, 0x288, 0xff8,
    };
    uint64_t cap = scn_rd64(s, REG_CAP);
    uint32_t before[SNAP_WORDS], after[SNAP_WORDS];

    /* either 32-bit half of a 64-bit register */
    g_assert_cmphex(scn_rd32(s, REG_CAP), ==, (uint32_t)cap);
    g_assert_cmphex(scn_rd32(s, REG_CAP + 4), ==, cap >> 32);

    /* read-only registers: 64-bit writes, and 32-bit writes to each half */
    for (unsigned i = 0; i < ARRAY_SIZE(ro_regs); i++) {
        const ScnRegSpan *r = &ro_regs[i];
        uint64_t old = r->size == 8 ? scn_rd64(s, r->off)
                                    : scn_rd32(s, r->off);

        if (r->size == 8) {
            scn_wr64(s, r->off, ~0ull);
            scn_wr32(s, r->off + 4, ~0u);
            g_assert_cmphex(scn_rd64(s, r->off), ==, old);
        }
        scn_wr32(s, r->off, ~0u);
        g_assert_cmphex(scn_rd32(s, r->off), ==, (uint32_t)old);
        if (r->size == 8) {
            g_assert_cmphex(scn_rd64(s, r->off), ==, old);
        }
    }
    /* fault records are read-only but for F, which is RW1C */
    for (unsigned i = 0; i < 8; i++) {
        scn_wr64(s, REG_FRCD(i), ~0ull);
        scn_wr64(s, REG_FRCD(i) + 8, ~0ull);
        g_assert_cmphex(scn_rd64(s, REG_FRCD(i)), ==, 0);
        g_assert_cmphex(scn_rd64(s, REG_FRCD(i) + 8), ==, 0);
    }
    /* FSTS: nothing pending, so neither RW1C nor RO bits can be set */
    scn_wr32(s, REG_FSTS, ~0u);
    g_assert_cmphex(scn_rd32(s, REG_FSTS), ==, 0);

    /* GCMD is write-only; unoffered commands change nothing */
    scn_hook(s, SCN_AT_GCMD_UNOFFERED, true);
    scn_wr32(s, REG_GCMD, GCMD_UNOFFERED);
    g_assert_cmphex(scn_rd32(s, REG_GSTS), ==, 0);
    scn_hook(s, SCN_AT_GCMD_UNOFFERED, false);
    scn_wr32(s, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(scn_rd32(s, REG_GCMD), ==, 0);
    g_assert_cmphex(scn_rd32(s, REG_GSTS), ==, GSTS_RTPS);
    scn_wr32(s, REG_GCMD, GCMD_TE | GCMD_UNOFFERED);
    g_assert_cmphex(scn_rd32(s, REG_GCMD), ==, 0);
    g_assert_cmphex(scn_rd32(s, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    scn_wr32(s, REG_GCMD, 0);
    g_assert_cmphex(scn_rd32(s, REG_GSTS), ==, GSTS_RTPS);
    /* QIE is offered now; enabling it resets IQH (nothing is queued) */
    scn_wr32(s, REG_GCMD, GCMD_QIE);
    g_assert_cmphex(scn_rd32(s, REG_GCMD), ==, 0);
    g_assert_cmphex(scn_rd32(s, REG_GSTS), ==, GSTS_RTPS | GSTS_QIES);
    g_assert_cmphex(scn_rd64(s, REG_IQH), ==, 0);
    scn_wr32(s, REG_GCMD, 0);
    g_assert_cmphex(scn_rd32(s, REG_GSTS), ==, GSTS_RTPS);

    /* RTADDR: bits 11:0 (TTM included) read 0 */
    scn_wr64(s, REG_RTADDR, ~0ull);
    g_assert_cmphex(scn_rd64(s, REG_RTADDR), ==, ~0xfffull);
    scn_wr32(s, REG_RTADDR, 0x12345fff);
    scn_wr32(s, REG_RTADDR + 4, 0xabcd);
    g_assert_cmphex(scn_rd64(s, REG_RTADDR), ==, 0xabcd12345000ull);
    g_assert_cmphex(scn_rd32(s, REG_RTADDR + 4), ==, 0xabcd);

    /* writable bits of the fault event registers */
    scn_wr32(s, REG_FEDATA, ~0u);
    scn_wr32(s, REG_FEADDR, ~0u);
    scn_wr32(s, REG_FEUADDR, ~0u);
    scn_wr32(s, REG_FECTL, ~0u);
    g_assert_cmphex(scn_rd32(s, REG_FEDATA), ==, 0xffff);
    g_assert_cmphex(scn_rd32(s, REG_FEADDR), ==, 0xfffffffc);
    g_assert_cmphex(scn_rd32(s, REG_FEUADDR), ==, 0xffffffff);
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, FECTL_IM);
    scn_wr32(s, REG_FECTL, 0);
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, 0);

    /*
     * Queue registers (QI disabled: nothing is fetched). IQT: QT, bits
     * 18:4. IQA: base (HAW-1:12), DW (11) and QS (2:0); DW=1 is kept
     * and stops the queue (see /vtd-dmar/queue/iqercd).
     */
    scn_wr64(s, REG_IQT, ~0ull);
    g_assert_cmphex(scn_rd64(s, REG_IQT), ==, 0x7fff0);
    scn_wr32(s, REG_IQT + 4, ~0u);
    scn_wr32(s, REG_IQT, 0x1234f);
    g_assert_cmphex(scn_rd64(s, REG_IQT), ==, 0x12340);
    scn_wr64(s, REG_IQA, ~0ull);
    g_assert_cmphex(scn_rd64(s, REG_IQA), ==,
                    0xfffffffffffff807ull & scn_haw_mask(s));
    scn_wr32(s, REG_IQA, 0x12345fff);
    scn_wr32(s, REG_IQA + 4, 0x2b);
    g_assert_cmphex(scn_rd64(s, REG_IQA), ==, 0x2b12345807ull);
    scn_wr64(s, REG_IQA, 1ull << 11);
    g_assert_cmphex(scn_rd64(s, REG_IQA), ==, 1ull << 11);
    scn_wr64(s, REG_IQT, 0);
    g_assert_cmphex(scn_rd64(s, REG_IQH), ==, 0);
    /* ICS: IWC is RW1C and clear; IECTL: IM is RW, IP read-only */
    scn_wr32(s, REG_ICS, ~0u);
    g_assert_cmphex(scn_rd32(s, REG_ICS), ==, 0);
    scn_wr32(s, REG_IECTL, ~0u);
    g_assert_cmphex(scn_rd32(s, REG_IECTL), ==, IECTL_IM);
    scn_wr32(s, REG_IECTL, IECTL_IP);
    g_assert_cmphex(scn_rd32(s, REG_IECTL), ==, 0);
    scn_wr32(s, REG_IECTL, IECTL_IM);
    g_assert_cmphex(scn_rd32(s, REG_IECTL), ==, IECTL_IM);
    scn_wr32(s, REG_IEDATA, ~0u);
    scn_wr32(s, REG_IEADDR, ~0u);
    scn_wr32(s, REG_IEUADDR, ~0u);
    g_assert_cmphex(scn_rd32(s, REG_IEDATA), ==, 0xffff);
    g_assert_cmphex(scn_rd32(s, REG_IEADDR), ==, 0xfffffffc);
    g_assert_cmphex(scn_rd32(s, REG_IEUADDR), ==, 0xffffffff);
    /* the fault event registers are not touched by any of it */
    g_assert_cmphex(scn_rd32(s, REG_FEDATA), ==, 0xffff);
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, 0);

    /* IVA: ADDR, IH, AM */
    scn_wr64(s, REG_IVA, ~0ull);
    g_assert_cmphex(scn_rd64(s, REG_IVA), ==, 0xfffffffffffff07full);

    /*
     * IRTA: base (HAW-1:12) and S (3:0); EIME (11) needs ECAP.EIM (0
     * here); see /vtd-dmar/spec/irta-haw for the bits above HAW
     */
    scn_wr64(s, REG_IRTA, ~0ull);
    g_assert_cmphex(scn_rd64(s, REG_IRTA), ==,
                    0xfffffffffffff00full & scn_haw_mask(s));
    scn_wr32(s, REG_IRTA, 0x12345fff);
    scn_wr32(s, REG_IRTA + 4, 0x8b);
    g_assert_cmphex(scn_rd64(s, REG_IRTA), ==,
                    0x8b1234500full & scn_haw_mask(s));
    g_assert_cmphex(scn_rd32(s, REG_IRTA + 4), ==,
                    0x8b & (scn_haw_mask(s) >> 32));
    /* latching it is a command, not a write: GSTS says so */
    g_assert_cmphex(scn_rd32(s, REG_GSTS) & GSTS_IRTPS, ==, 0);

    /* CCMD and IOTLB keep their fields when no invalidation is asked */
    scn_wr64(s, REG_CCMD, CCMD_CIRG(2) | CCMD_FM(3) | CCMD_SID(0x1234) |
              CCMD_DID(0x5678));
    g_assert_cmphex(scn_rd64(s, REG_CCMD), ==, CCMD_CIRG(2) | CCMD_FM(3) |
                    CCMD_SID(0x1234) | CCMD_DID(0x5678));
    scn_wr64(s, REG_CCMD, 3ull << 59);      /* CAIG is the unit's to set */
    g_assert_cmphex(scn_rd64(s, REG_CCMD), ==, 0);
    scn_wr64(s, REG_IOTLB, IOTLB_IIRG(2) | IOTLB_DR | IOTLB_DW |
              IOTLB_DID(0x77));
    g_assert_cmphex(scn_rd64(s, REG_IOTLB), ==, IOTLB_IIRG(2) | IOTLB_DR |
                    IOTLB_DW | IOTLB_DID(0x77));
    scn_wr64(s, REG_IOTLB, 3ull << 57);     /* IAIG is the unit's to set */
    g_assert_cmphex(scn_rd64(s, REG_IOTLB), ==, 0);

    /* 1- and 2-byte accesses read 0 and are ignored */
    scn_wr32(s, REG_FEDATA, 0xbeef);
    scn_wr32(s, REG_FECTL, FECTL_IM);
    g_assert_cmphex(scn_read(s, REG_VER, 1), ==, 0);
    g_assert_cmphex(scn_read(s, REG_VER, 2), ==, 0);
    g_assert_cmphex(scn_read(s, REG_CAP + 1, 1), ==, 0);
    g_assert_cmphex(scn_read(s, REG_FEDATA, 2), ==, 0);
    g_assert_cmphex(scn_read(s, REG_FEDATA + 1, 1), ==, 0);
    scn_write(s, REG_FEDATA, 1, 0x11);
    scn_write(s, REG_FEDATA, 2, 0x2222);
    scn_write(s, REG_GCMD + 3, 1, 0x80);
    scn_write(s, REG_GCMD + 2, 2, 0x8000);
    g_assert_cmphex(scn_rd32(s, REG_FEDATA), ==, 0xbeef);
    g_assert_cmphex(scn_rd32(s, REG_GSTS), ==, GSTS_RTPS);

    /*
     * Misaligned accesses read 0 and are ignored, but for an 8-byte one
     * at 4 mod 8, which is two 32-bit accesses (as a CPU under TCG makes
     * of it anyway).
     */
    g_assert_cmphex(scn_read(s, REG_CAP + 2, 4), ==, 0);
    g_assert_cmphex(scn_read(s, REG_VER + 1, 4), ==, 0);
    g_assert_cmphex(scn_read(s, REG_VER + 1, 8), ==, 0);
    scn_write(s, REG_FEDATA + 2, 4, ~0u);
    scn_write(s, REG_FEDATA - 1, 4, ~0u);
    g_assert_cmphex(scn_rd32(s, REG_FEDATA), ==, 0xbeef);
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, FECTL_IM);
    g_assert_cmphex(scn_rd32(s, REG_FEADDR), ==, 0xfffffffc);
    g_assert_cmphex(scn_rd64(s, REG_RTADDR), ==, 0xabcd12345000ull);

    /*
     * 64-bit accesses to 32-bit registers: the two 32-bit accesses they
     * cover, low then high (/vtd-dmar/regs/width/ tries every offset)
     */
    g_assert_cmphex(scn_rd64(s, REG_FECTL), ==, FECTL_IM | 0xbeefull << 32);
    g_assert_cmphex(scn_rd64(s, REG_GCMD), ==, (uint64_t)GSTS_RTPS << 32);
    g_assert_cmphex(scn_rd64(s, REG_FEADDR), ==, 0xfffffffffffffffcull);
    g_assert_cmphex(scn_rd64(s, REG_IECTL), ==, IECTL_IM | 0xffffull << 32);
    scn_wr64(s, REG_FECTL, FECTL_IM | 0xbeefull << 32);
    scn_wr64(s, REG_GCMD, 0xffffffff00000000ull);   /* GSTS is read-only */
    scn_wr64(s, REG_FEADDR, 0xfffffffffffffffcull);
    scn_wr64(s, REG_IECTL, IECTL_IM | 0x4321ull << 32);
    scn_wr64(s, REG_IEADDR, 0x1234567800000000ull);
    g_assert_cmphex(scn_rd32(s, REG_IECTL), ==, IECTL_IM);
    g_assert_cmphex(scn_rd32(s, REG_IEDATA), ==, 0x4321);
    g_assert_cmphex(scn_rd32(s, REG_IEADDR), ==, 0);
    g_assert_cmphex(scn_rd32(s, REG_IEUADDR), ==, 0x12345678);
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, FECTL_IM);
    g_assert_cmphex(scn_rd32(s, REG_FEDATA), ==, 0xbeef);
    g_assert_cmphex(scn_rd32(s, REG_GSTS), ==, GSTS_RTPS);
    g_assert_cmphex(scn_rd32(s, REG_FEADDR), ==, 0xfffffffc);
    g_assert_cmphex(scn_rd32(s, REG_FEUADDR), ==, 0xffffffff);

    /* offsets without a register */
    scn_snapshot(s, before);
    for (unsigned i = 0; i < ARRAY_SIZE(holes); i++) {
        g_assert_cmphex(scn_rd32(s, holes[i]), ==, 0);
        scn_wr32(s, holes[i], ~0u);
        g_assert_cmphex(scn_rd32(s, holes[i]), ==, 0);
        if (!(holes[i] % 8)) {
            /* (others would be split, reaching real registers too) */
            g_assert_cmphex(scn_rd64(s, holes[i]), ==, 0);
            scn_wr64(s, holes[i], ~0ull);
            g_assert_cmphex(scn_rd64(s, holes[i]), ==, 0);
        }
    }
    scn_snapshot(s, after);
    scn_assert_same_regs(before, after);
}

#endif
