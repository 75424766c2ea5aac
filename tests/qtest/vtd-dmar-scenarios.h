/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scenarios that a qtest (tests/qtest/vtd-dmar-*-test.c, against the
 * whole device in QEMU) and a unit test (tests/unit/test-dmar-unit-*.c,
 * against the unit layer over fake guest memory) both run: each is
 * written once here and called from both sides, so that the two cannot
 * drift apart.
 *
 * A scenario takes the side's own state as DmarScn * and reaches the
 * unit only through these operations, which each side maps to its own
 * before it includes this file: vtd-dmar-qtest.h to libqos/vtd-dmar.h
 * (registers through qtest MMIO, DMA and MSIs from edu), and
 * tests/unit/dmar-unit-fixture.h to the fixture (the unit's entry
 * points, fake guest memory). Both map the same list:
 *
 *   DmarScn                          the side's state (QDmar or Fx)
 *   scn_rd32/rd64(s, off)            a register access
 *   scn_wr32/wr64(s, off, v)
 *   scn_read(s, off, size)           an access of any size and alignment
 *   scn_write(s, off, size, v)
 *   scn_win_read(s, out, size)       the register window, 32-bit words
 *   scn_haw_mask(s)                  address bits below the HAW
 *   scn_snapshot(s, w), scn_assert_same_regs(a, b)
 *   scn_w32/r32/w64/r64(s, gpa[, v]) guest RAM; scn_memzero(s, gpa, len)
 *   scn_fe_clear(s), scn_fe_msg(s)   forget the fault event message; the
 *                                    one sent since (its data), or 0
 *   scn_ie_clear(s)                  forget the invalidation event one
 *   scn_msi(s, addr, data)           an interrupt request from edu
 *   scn_assert_remapped(s, addr, data, vector, level)
 *                                    ... which reaches the CPU as asked
 *   scn_msi_blocked(s, addr, data)   ... which the unit blocks (checked
 *                                    at once on the unit side; by the
 *                                    vector after the call on the other)
 *   scn_dma_in(s, iova)              a read DMA of edu
 *   scn_hook(s, at, before)          the side's own extra checks around
 *                                    the step AT (SCN_AT_*); before is
 *                                    true just before it, false after
 *
 * and the libqos helper's table, queue, invalidation, fault record and
 * IRTE builders with scn_ in place of dmar_ (scn_tables_init, scn_map,
 * scn_set_root/ctx/pte, scn_enable, scn_qi_enable/put/push/kick/sync,
 * scn_ccmd_inv, scn_ir_enable, scn_assert_frcd, ...). Every scenario is
 * static inline, every table G_GNUC_UNUSED: a test file uses the few it
 * needs. What a side checks beyond a scenario stays in its test file,
 * after the call or through scn_hook().
 */
#ifndef TESTS_QTEST_VTD_DMAR_SCENARIOS_H
#define TESTS_QTEST_VTD_DMAR_SCENARIOS_H

/* Steps a side can add checks around (scn_hook()) */
typedef enum ScnAt {
    SCN_AT_GCMD_UNOFFERED,      /* scn_regs_access(): GCMD_UNOFFERED */
    SCN_AT_FUZZ_ROUND,          /* scn_qi_fuzz(): after each round */
    SCN_AT_IQE_TAIL,            /* scn_qi_iqe_tail(): after the IQE */
    SCN_AT_IR_FUZZ_ROUND,       /* scn_ir_fuzz(): after each round */
    SCN_AT_QI_BAD,              /* scn_qi_expect_bad(): after the IQE */
    SCN_AT_IQE_STATUS_WRITE,    /* scn_qi_iqe_memory(): the failed write */
    SCN_AT_IQE_FETCH,           /* scn_qi_iqe_memory(): the failed fetch */
    SCN_AT_WIN_BLOCK,           /* scn_access_width(): after each block */
} ScnAt;

/* ================= reset values ================= */

/*
 * CAP and ECAP as the VT-d spec encodes the documented configuration
 * (§11.4.2, §11.4.3)
 */
static inline uint64_t expected_cap(unsigned aw, unsigned nfr, bool cm,
                                    bool drain)
{
    uint64_t sagaw = aw == 39 ? 0x2 : aw == 48 ? 0x6 : 0xe;

    return 6 |                          /* ND: 16-bit domain-ids */
           (uint64_t)cm << 7 |
           sagaw << 8 |
           (uint64_t)(aw - 1) << 16 |   /* MGAW; ZLR (22) is 0 */
           (0x200ull / 16) << 24 |      /* FRO */
           3ull << 34 |                 /* SLLPS: 2 MiB and 1 GiB */
           1ull << 39 |                 /* PSI */
           (uint64_t)(nfr - 1) << 40 |
           18ull << 48 |                /* MAMV */
           (uint64_t)drain << 54 |      /* DWD */
           (uint64_t)drain << 55;       /* DRD */
}

static inline uint64_t expected_ecap(bool pt, bool ir, bool eim)
{
    return 1 |                          /* C */
           ECAP_QI |
           (ir ? ECAP_IR : 0) |
           (eim ? ECAP_EIM : 0) |
           (uint64_t)pt << 6 |
           (0x100ull / 16) << 8 |       /* IRO */
           (ir ? ECAP_MHMV(0xf) : 0);   /* any IEC index mask */
}

/*
 * qtest /vtd-dmar/reset-values, unit /dmar-unit/reset-values: every
 * register of a unit with the default configuration as reset leaves it;
 * FECTL too if FECTL_IM (its IM is set then).
 */
static inline void scn_reset_values(DmarScn *s, bool fectl_im)
{
    uint32_t w[SNAP_WORDS];
    uint64_t cap = expected_cap(48, 8, false, true);
    uint64_t ecap = expected_ecap(true, true, false);

    /* the VT-d encoding of C, QI, IR, PT, IRO and MHMV, written out */
    g_assert_cmphex(ecap, ==, 0xf0104bull);
    scn_snapshot(s, w);
    for (unsigned i = 0; i < SNAP_WORDS; i++) {
        unsigned off = i * 4;
        uint32_t want = 0;

        switch (off) {
        case REG_VER:
            want = 0x41;        /* VT-d revision 4.1 */
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
            if (!fectl_im) {
                continue;
            }
            want = FECTL_IM;    /* §11.4.7.2 */
            break;
        case REG_IECTL:
            /* VT-d §11.4.9.5: the invalidation event is masked too */
            want = IECTL_IM;
            break;
        }
        if (w[i] != want) {
            g_test_message("reset value at 0x%03x", off);
        }
        g_assert_cmphex(w[i], ==, want);
    }
    g_assert_cmphex(scn_rd64(s, REG_CAP), ==, cap);
    g_assert_cmphex(scn_rd64(s, REG_ECAP), ==, ecap);
}

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


/* ================= access widths ================= */

/*
 * docs/vtd-dmar.rst, "Register access": a 4-byte access on a 4-byte
 * boundary reaches the register there; an 8-byte access on a 4-byte
 * boundary is the two 4-byte accesses it covers, low then high (one
 * 64-bit access when it is exactly a 64-bit register, which comes to the
 * same); any other access (1 or 2 bytes, or off a 4-byte boundary) reads
 * 0 and is ignored. Where no register is, reads are 0, writes ignored.
 *
 * Every offset of the window is read and written with every width that
 * fits there, from a unit with translation, interrupt remapping and
 * queued invalidation on, faults pending and every writable register
 * holding a value that a stray write of zeros or ones would change.
 */

#define SCN_WIN_MAX     0x2000          /* the window with nfr=256 */
#define SCN_WIN_BLOCK   64              /* bytes swept between checks */
#define SCN_FSTS_W1C    0x7du           /* PFO, AFO, APF, IQE, ICE, ITE */

/* What a write to each 32-bit word of the window may do */
typedef enum ScnDwordKind {
    SCN_DW_HOLE,        /* no register there */
    SCN_DW_RO,          /* a read-only register (or one not offered) */
    SCN_DW_LIVE,        /* writable, write-1-to-clear or command bits */
} ScnDwordKind;

typedef struct ScnRegDef {
    unsigned off, size;
    bool ro;
} ScnRegDef;

/* The fixed registers; the fault recording registers follow at 0x200 */
static const ScnRegDef scn_reg_defs[] G_GNUC_UNUSED = {
    { REG_VER, 4, true }, { REG_CAP, 8, true }, { REG_ECAP, 8, true },
    { REG_GCMD, 4, false }, { REG_GSTS, 4, true },
    { REG_RTADDR, 8, false }, { REG_CCMD, 8, false },
    { REG_FSTS, 4, false }, { REG_FECTL, 4, false },
    { REG_FEDATA, 4, false }, { REG_FEADDR, 4, false },
    { REG_FEUADDR, 4, false }, { REG_AFLOG, 8, true },
    { REG_PMEN, 4, true }, { REG_PLMBASE, 4, true },
    { REG_PLMLIMIT, 4, true }, { REG_PHMBASE, 8, true },
    { REG_PHMLIMIT, 8, true }, { REG_IQH, 8, true },
    { REG_IQT, 8, false }, { REG_IQA, 8, false }, { REG_ICS, 4, false },
    { REG_IECTL, 4, false }, { REG_IEDATA, 4, false },
    { REG_IEADDR, 4, false }, { REG_IEUADDR, 4, false },
    { REG_IQERCD, 8, true }, { REG_IRTA, 8, false },
    { REG_IVA, 8, false }, { REG_IOTLB, 8, false },
};

typedef struct ScnWindow {
    DmarScn *s;
    unsigned size;                  /* bytes */
    uint32_t s0[SCN_WIN_MAX / 4];   /* the state, read 32 bits at a time */
    ScnDwordKind kind[SCN_WIN_MAX / 4];
} ScnWindow;

/* Does an access of SIZE bytes at OFF reach the registers? */
static inline bool scn_acc_defined(unsigned off, unsigned size)
{
    return (size == 4 || size == 8) && off % 4 == 0;
}

/* ... and if it does, can a write there change anything? */
static inline bool scn_acc_inert(const ScnWindow *w, unsigned off,
                                 unsigned size)
{
    if (!scn_acc_defined(off, size)) {
        return true;
    }
    for (unsigned i = off / 4; i < (off + size) / 4; i++) {
        if (w->kind[i] == SCN_DW_LIVE) {
            return false;
        }
    }
    return true;
}

/* The window holds WANT; WHAT and OFF say what was just done */
static inline void scn_win_assert(const ScnWindow *w,
                                  const uint32_t *want, const char *what,
                                  unsigned off)
{
    uint32_t now[SCN_WIN_MAX / 4];

    scn_win_read(w->s, now, w->size);
    for (unsigned i = 0; i < w->size / 4; i++) {
        if (now[i] != want[i]) {
            g_test_message("after %s at 0x%04x: word 0x%04x is 0x%08x, "
                           "expected 0x%08x", what, off, i * 4, now[i],
                           want[i]);
        }
        g_assert_cmphex(now[i], ==, want[i]);
    }
}

/*
 * A unit with everything on that can be on, FAULTS faults pending (in
 * records 0 to FAULTS - 1), an unserviced completion event, and a value
 * that zeros or ones would change in each writable register. The queue
 * is empty and at its start (IQH = IQT = 0), so that writing IQA again
 * (which restarts the queue) leaves it as it is.
 */
static inline void scn_win_setup(DmarScn *s, unsigned faults)
{
    scn_tables_init(s, 3, 0);
    scn_map(s, IOVA_A, PAGE_P1, 1, PTE_R);
    scn_map(s, IOVA_B, PAGE_P2, 1, PTE_W);
    scn_wr32(s, REG_FEDATA, 0xbeef);
    scn_wr32(s, REG_FEADDR, FE_MSG);
    scn_wr32(s, REG_FEUADDR, 0x7);
    scn_wr32(s, REG_IEDATA, 0x5678);
    scn_wr32(s, REG_IEADDR, IE_MSG);
    scn_wr32(s, REG_IEUADDR, 0x9);
    scn_enable(s, ROOT_TABLE);
    for (unsigned i = 0; i < faults; i++) {
        scn_dma_in(s, IOVA_C + i * 0x1000ull);
    }
    g_assert_cmphex(scn_fsts(s), ==, FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    scn_ccmd_inv(s, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
    scn_iotlb_inv(s, GRAN_DOMAIN, DOMAIN, 0);
    scn_wr64(s, REG_IVA, 0x9876543000ull | IVA_AM(3));
    /* a masked completion event leaves ICS.IWC and IECTL.IP set */
    scn_qi_enable(s, IQ_BASE, 1);
    scn_qi_wait_if(s);
    g_assert_cmphex(scn_rd32(s, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(scn_rd32(s, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    scn_gcmd_update(s, 0, GCMD_QIE);
    scn_wr64(s, REG_IQT, 0);
    scn_qi_enable(s, IQ_BASE, 2);
    scn_ir_enable(s, IRT_BASE | 7, true);
    g_assert_cmphex(scn_rd32(s, REG_GSTS), ==, GSTS_TES | GSTS_RTPS |
                    GSTS_QIES | GSTS_IRES | GSTS_IRTPS | GSTS_CFIS);
}

static inline void scn_win_init(ScnWindow *w, DmarScn *s, unsigned nfr)
{
    uint32_t fast[SCN_WIN_MAX / 4];

    w->s = s;
    w->size = ROUND_UP(REG_FRCD(nfr), 0x1000);
    g_assert_cmpuint(w->size, <=, SCN_WIN_MAX);
    for (unsigned i = 0; i < w->size / 4; i++) {
        w->s0[i] = scn_rd32(s, i * 4);
        w->kind[i] = SCN_DW_HOLE;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(scn_reg_defs); i++) {
        for (unsigned b = 0; b < scn_reg_defs[i].size; b += 4) {
            w->kind[(scn_reg_defs[i].off + b) / 4] =
                scn_reg_defs[i].ro ? SCN_DW_RO : SCN_DW_LIVE;
        }
    }
    for (unsigned i = 0; i < nfr; i++) {
        /* read-only but for F (bit 63), which is RW1C */
        w->kind[REG_FRCD(i) / 4] = SCN_DW_RO;
        w->kind[REG_FRCD(i) / 4 + 1] = SCN_DW_RO;
        w->kind[REG_FRCD(i) / 4 + 2] = SCN_DW_RO;
        w->kind[REG_FRCD(i) / 4 + 3] = SCN_DW_LIVE;
    }
    scn_win_read(w->s, fast, w->size);
    for (unsigned i = 0; i < w->size / 4; i++) {
        if (fast[i] != w->s0[i]) {
            g_test_message("word 0x%04x: 0x%08x by 8-byte reads, 0x%08x "
                           "by 4-byte reads", i * 4, fast[i], w->s0[i]);
        }
        g_assert_cmphex(fast[i], ==, w->s0[i]);
    }
}

/*
 * The value whose write leaves the 32-bit word at OFF as it is: its
 * contents less the RW1C bits, or for GCMD the persistent commands as
 * GSTS reports them.
 */
static inline uint32_t scn_wb32(const ScnWindow *w, unsigned off)
{
    uint32_t v = w->s0[off / 4];

    if (off == REG_GCMD) {
        return w->s0[REG_GSTS / 4] &
               (GSTS_TES | GSTS_QIES | GSTS_IRES | GSTS_CFIS);
    }
    if (off == REG_FSTS) {
        return v & ~SCN_FSTS_W1C;
    }
    if (off == REG_ICS) {
        return v & ~ICS_IWC;
    }
    if (off >= REG_FRCD(0) && off % 16 == 12) {
        return v & ~(uint32_t)(FRCD_F >> 32);
    }
    return v;
}

static inline uint64_t scn_wb(const ScnWindow *w, unsigned off, unsigned size)
{
    return scn_wb32(w, off) |
           (size == 8 ? (uint64_t)scn_wb32(w, off + 4) << 32 : 0);
}

static const unsigned scn_acc_sizes[] G_GNUC_UNUSED = { 1, 2, 4, 8 };

/* Every read: the registers' bytes, or 0. Returns the number done. */
static inline unsigned scn_win_sweep_reads(const ScnWindow *w)
{
    unsigned n = 0;

    for (unsigned off = 0; off < w->size; off++) {
        for (unsigned k = 0; k < ARRAY_SIZE(scn_acc_sizes); k++) {
            unsigned size = scn_acc_sizes[k];
            uint64_t want = 0, got;

            if (off + size > w->size) {
                continue;
            }
            if (scn_acc_defined(off, size)) {
                want = w->s0[off / 4];
                if (size == 8) {
                    want |= (uint64_t)w->s0[off / 4 + 1] << 32;
                }
            }
            got = scn_read(w->s, off, size);
            if (got != want) {
                g_test_message("%u-byte read at 0x%04x", size, off);
            }
            g_assert_cmphex(got, ==, want);
            n++;
        }
    }
    scn_win_assert(w, w->s0, "the reads", 0);
    return n;
}

/*
 * Writes that must change nothing, of all ones and then all zeros: the
 * undefined ones everywhere, and the defined ones where only holes and
 * read-only registers are. Returns the number of (offset, size) done.
 */
static inline unsigned scn_win_sweep_inert(const ScnWindow *w)
{
    unsigned n = 0;

    for (unsigned blk = 0; blk < w->size; blk += SCN_WIN_BLOCK) {
        for (unsigned off = blk; off < blk + SCN_WIN_BLOCK; off++) {
            for (unsigned k = 0; k < ARRAY_SIZE(scn_acc_sizes); k++) {
                unsigned size = scn_acc_sizes[k];

                if (off + size > w->size || !scn_acc_inert(w, off, size)) {
                    continue;
                }
                scn_write(w->s, off, size, ~0ull);
                scn_write(w->s, off, size, 0);
                n++;
            }
        }
        scn_win_assert(w, w->s0, "ignored writes in the block", blk);
        scn_hook(w->s, SCN_AT_WIN_BLOCK, false);
    }
    return n;
}

/*
 * The other defined writes, each of the value that keeps the registers
 * as they are: every one reaches registers that act on it (commands,
 * RW1C bits, queue tail), and must do nothing more than a 4-byte write
 * of the same bits would. Returns the number done.
 */
static inline unsigned scn_win_sweep_live(const ScnWindow *w)
{
    unsigned n = 0;

    for (unsigned blk = 0; blk < w->size; blk += SCN_WIN_BLOCK) {
        for (unsigned off = blk; off < blk + SCN_WIN_BLOCK; off += 4) {
            for (unsigned size = 4; size <= 8; size += 4) {
                if (off + size > w->size || scn_acc_inert(w, off, size)) {
                    continue;
                }
                scn_write(w->s, off, size, scn_wb(w, off, size));
                n++;
            }
        }
        scn_win_assert(w, w->s0, "writes of the same values in the block", blk);
        scn_hook(w->s, SCN_AT_WIN_BLOCK, false);
    }
    return n;
}

/*
 * Registers whose writable bits do nothing until a command uses them;
 * HAW: only the bits below the host address width are (the high word
 * of an address register whose bits 63:HAW are not implemented)
 */
typedef struct ScnWritable {
    unsigned off;
    uint32_t mask;
    bool haw;
} ScnWritable;

static const ScnWritable scn_writables[] G_GNUC_UNUSED = {
    { REG_RTADDR, 0xfffff000 }, { REG_RTADDR + 4, 0xffffffff },
    { REG_CCMD, 0xffffffff },
    { REG_FEDATA, 0xffff }, { REG_FEADDR, 0xfffffffc },
    { REG_FEUADDR, 0xffffffff },
    { REG_IQA, 0xfffff807 }, { REG_IQA + 4, 0xffffffff, .haw = true },
    { REG_IEDATA, 0xffff }, { REG_IEADDR, 0xfffffffc },
    { REG_IEUADDR, 0xffffffff },
    { REG_IRTA, 0xfffff00f }, { REG_IRTA + 4, 0xffffffff, .haw = true },
    { REG_IVA, 0xfffff07f }, { REG_IVA + 4, 0xffffffff },
};

/*
 * Each writable word, written through each access that covers it: 4
 * bytes at it, 8 bytes from it (it is the low half), 8 bytes from the
 * word before (it is the high half). The other half gets the value that
 * keeps its register as it is. Returns the number of writes checked.
 */
static inline unsigned scn_win_writables(const ScnWindow *w)
{
    static const uint32_t patterns[] = { 0xffffffff, 0, 0x5aa5c33c };
    static const char *const how[] = {
        "4-byte write", "8-byte write (low half)", "8-byte write (high half)",
    };
    uint32_t want[SCN_WIN_MAX / 4];
    unsigned n = 0;

    for (unsigned i = 0; i < ARRAY_SIZE(scn_writables); i++) {
        unsigned x = scn_writables[i].off;
        uint32_t mask = scn_writables[i].mask &
                        (scn_writables[i].haw ? scn_haw_mask(w->s) >> 32 : ~0u);

        for (unsigned p = 0; p < ARRAY_SIZE(patterns); p++) {
            uint32_t v = patterns[p];

            memcpy(want, w->s0, sizeof(want));
            want[x / 4] = (w->s0[x / 4] & ~mask) | (v & mask);
            for (unsigned r = 0; r < ARRAY_SIZE(how); r++) {
                switch (r) {
                case 0:
                    scn_wr32(w->s, x, v);
                    break;
                case 1:
                    scn_wr64(w->s, x, v | (uint64_t)scn_wb32(w, x + 4) << 32);
                    break;
                default:
                    scn_wr64(w->s, x - 4,
                             scn_wb32(w, x - 4) | (uint64_t)v << 32);
                    break;
                }
                scn_win_assert(w, want, how[r], x);
                scn_wr32(w->s, x, w->s0[x / 4]);
                n++;
            }
        }
        scn_win_assert(w, w->s0, "restoring the word", x);
    }
    return n;
}

/*
 * Commands and RW1C bits through 8-byte accesses: GCMD as the low half
 * (with GSTS) and as the high half (with ECAP); F of a fault record
 * through the low half (with the next record), through a 64-bit write
 * and through a 4-byte one; ICS.IWC as the high half (with a hole).
 */
static inline void scn_win_commands(const ScnWindow *w, unsigned faults)
{
    uint32_t keep = scn_wb32(w, REG_GCMD);
    uint32_t want[SCN_WIN_MAX / 4];

    scn_wr64(w->s, REG_GCMD, (keep & ~GCMD_TE) | 0xffffffff00000000ull);
    g_assert_cmphex(scn_rd32(w->s, REG_GSTS), ==, w->s0[REG_GSTS / 4] &
                    ~GSTS_TES);
    scn_wr64(w->s, REG_ECAP + 4, 0xffffffffull | (uint64_t)keep << 32);
    scn_win_assert(w, w->s0, "translation off and on again", REG_GCMD);

    memcpy(want, w->s0, sizeof(want));
    /* record 0: the low half; the high one is record 1's (read-only) */
    scn_wr64(w->s, REG_FRCD(0) + 12, 0xffffffff80000000ull);
    want[REG_FRCD(0) / 4 + 3] &= ~(uint32_t)(FRCD_F >> 32);
    scn_win_assert(w, want, "clearing F", REG_FRCD(0) + 12);
    /* record 1: one 64-bit write */
    scn_wr64(w->s, REG_FRCD(1) + 8, FRCD_F);
    want[REG_FRCD(1) / 4 + 3] &= ~(uint32_t)(FRCD_F >> 32);
    scn_win_assert(w, want, "clearing F", REG_FRCD(1) + 8);
    /* record 2: 4 bytes */
    scn_frcd_clear(w->s, 2);
    want[REG_FRCD(2) / 4 + 3] &= ~(uint32_t)(FRCD_F >> 32);
    scn_win_assert(w, want, "clearing F", REG_FRCD(2) + 12);
    if (w->size > 0x1000) {
        /* the last record below 4 KiB, with the first one above it */
        unsigned last = (0x1000 - REG_FRCD(0)) / 16 - 1;

        g_assert_cmpuint(faults, >, last + 1);
        scn_wr64(w->s, REG_FRCD(last) + 12, 0xffffffff80000000ull);
        want[REG_FRCD(last) / 4 + 3] &= ~(uint32_t)(FRCD_F >> 32);
        scn_win_assert(w, want, "clearing F", REG_FRCD(last) + 12);
    }
    for (unsigned i = 3; i < faults; i++) {
        scn_frcd_clear(w->s, i);
    }
    g_assert_cmphex(scn_fsts(w->s), ==, 0);
    g_assert_cmphex(scn_rd32(w->s, REG_FECTL), ==, FECTL_IM);
    scn_wr64(w->s, REG_ICS - 4, (uint64_t)ICS_IWC << 32);
    g_assert_cmphex(scn_rd32(w->s, REG_ICS), ==, 0);
    g_assert_cmphex(scn_rd32(w->s, REG_IECTL), ==, IECTL_IM);
}

/*
 * qtest /vtd-dmar/regs/width/window-4k and window-8k, unit
 * /dmar-unit/regs/width/window-*: the whole window of a unit with NFR
 * fault records (FAULTS of them pending), swept with every access.
 */
static inline void scn_access_width(DmarScn *s, unsigned nfr,
                                    unsigned faults)
{
    g_autofree ScnWindow *w = g_new0(ScnWindow, 1);
    unsigned reads, inert, live, writables_done;

    scn_win_setup(s, faults);
    scn_win_init(w, s, nfr);
    reads = scn_win_sweep_reads(w);
    inert = scn_win_sweep_inert(w);
    live = scn_win_sweep_live(w);
    writables_done = scn_win_writables(w);
    g_test_message("%u-byte window: %u reads, %u ignored and %u defined "
                   "writes, %u writes with an effect", w->size, reads,
                   inert, live, writables_done);
    /* every offset was read with every size that fits, and written */
    g_assert_cmpuint(reads, ==, 4 * w->size - 1 - 3 - 7);
    g_assert_cmpuint(inert + live, ==, reads);
    scn_win_commands(w, faults);
}

/* ================= fault reasons ================= */

/*
 * The fault cases' good tables map IOVA_F to PAGE_T (read/write); each
 * scn_fc_*() breaks them as its name says (E: the root table address
 * to latch and the IOVA to use).
 */
#define IOVA_F          0x00720080ull   /* identity-mapped RAM if leaked */
#define PAGE_T          0x00504000ull   /* what the good tables map it to */

typedef struct ScnFaultEnv {
    uint64_t rta;
    uint64_t iova;
} ScnFaultEnv;

static inline void scn_fc_root_absent(DmarScn *s, ScnFaultEnv *e)
{
    scn_set_root(s, CTX_TABLE, 0);
}

static inline void scn_fc_ctx_absent(DmarScn *s, ScnFaultEnv *e)
{
    scn_set_ctx(s, scn_ctx_lo(s) & ~CTX_P, scn_ctx_hi(s));
}

static inline void scn_fc_ctx_tt(DmarScn *s, unsigned tt)
{
    scn_set_ctx(s, (scn_ctx_lo(s) & ~CTX_TT(3)) | CTX_TT(tt), scn_ctx_hi(s));
}

static inline void scn_fc_ctx_tt_reserved(DmarScn *s, ScnFaultEnv *e)
{
    scn_fc_ctx_tt(s, TT_RESERVED);
}

static inline void scn_fc_ctx_tt_devtlb(DmarScn *s, ScnFaultEnv *e)
{
    /* ECAP.DT = 0: device-TLB translation type is not supported */
    scn_fc_ctx_tt(s, TT_DEVTLB);
}

static inline void scn_fc_ctx_tt_passthrough(DmarScn *s, ScnFaultEnv *e)
{
    /* used with pt=off: ECAP.PT = 0 */
    scn_fc_ctx_tt(s, TT_PASSTHROUGH);
}

static inline void scn_fc_ctx_aw(DmarScn *s, unsigned levels)
{
    scn_set_ctx(s, scn_ctx_lo(s), (scn_ctx_hi(s) & ~7ull) | CTX_AW(levels));
}

static inline void scn_fc_ctx_aw5(DmarScn *s, ScnFaultEnv *e)
{
    scn_fc_ctx_aw(s, 5);            /* SAGAW = 0x6 has no 5-level tables */
}

static inline void scn_fc_ctx_aw4(DmarScn *s, ScnFaultEnv *e)
{
    scn_fc_ctx_aw(s, 4);            /* used with aw-bits=39: SAGAW = 0x2 */
}

static inline void scn_fc_ctx_aw_reserved(DmarScn *s, ScnFaultEnv *e)
{
    scn_set_ctx(s, scn_ctx_lo(s), (scn_ctx_hi(s) & ~7ull) | 7);
}

static inline void scn_fc_beyond_aw(DmarScn *s, ScnFaultEnv *e)
{
    /* 3-level tables translate 39 bits */
    e->iova |= 1ull << 39;
}

static inline void scn_fc_read_only(DmarScn *s, ScnFaultEnv *e)
{
    scn_map(s, IOVA_F, PAGE_T, 1, PTE_R);
}

static inline void scn_fc_write_only(DmarScn *s, ScnFaultEnv *e)
{
    scn_map(s, IOVA_F, PAGE_T, 1, PTE_W);
}

static inline void scn_fc_l3_absent(DmarScn *s, ScnFaultEnv *e)
{
    scn_set_pte(s, IOVA_F, 3, 0);
}

static inline void scn_fc_leaf_absent(DmarScn *s, ScnFaultEnv *e)
{
    scn_set_pte(s, IOVA_F, 1, PAGE_T);
}

static inline void scn_fc_leaf_absent_rsvd(DmarScn *s, ScnFaultEnv *e)
{
    /* R = W = 0: not present; reserved bits do not matter then */
    scn_set_pte(s, IOVA_F, 1, PAGE_T | PTE_SNP | 1ull << 51);
}

static inline void scn_fc_pte_no_ram(DmarScn *s, ScnFaultEnv *e)
{
    /* the level-3 entry points at a level-2 table where there is no RAM */
    scn_set_pte(s, IOVA_F, 3, NO_RAM | PTE_RW);
}

static inline void scn_fc_rta_no_ram(DmarScn *s, ScnFaultEnv *e)
{
    e->rta = NO_RAM;
}

static inline void scn_fc_ctp_no_ram(DmarScn *s, ScnFaultEnv *e)
{
    scn_set_root(s, NO_RAM | ROOT_P, 0);
}

static inline void scn_fc_root_rsvd_lo(DmarScn *s, ScnFaultEnv *e)
{
    scn_set_root(s, CTX_TABLE | ROOT_P | 1ull << 5, 0);
}

static inline void scn_fc_root_rsvd_hi(DmarScn *s, ScnFaultEnv *e)
{
    scn_set_root(s, CTX_TABLE | ROOT_P, 1);
}

static inline void scn_fc_root_rsvd_haw(DmarScn *s, ScnFaultEnv *e)
{
    /* context-table pointer beyond the 48-bit host address width */
    scn_set_root(s, CTX_TABLE | ROOT_P | 1ull << 50, 0);
}

static inline void scn_fc_ctx_rsvd_lo(DmarScn *s, ScnFaultEnv *e)
{
    scn_set_ctx(s, scn_ctx_lo(s) | 1ull << 4, scn_ctx_hi(s));
}

static inline void scn_fc_ctx_rsvd_hi7(DmarScn *s, ScnFaultEnv *e)
{
    scn_set_ctx(s, scn_ctx_lo(s), scn_ctx_hi(s) | 1ull << 7);
}

static inline void scn_fc_ctx_rsvd_hi(DmarScn *s, ScnFaultEnv *e)
{
    scn_set_ctx(s, scn_ctx_lo(s), scn_ctx_hi(s) | 1ull << 40);
}

static inline void scn_fc_pte_snp(DmarScn *s, ScnFaultEnv *e)
{
    /* ECAP.SC = 0: SNP is reserved */
    scn_map(s, IOVA_F, PAGE_T, 1, PTE_RW | PTE_SNP);
}

static inline void scn_fc_pte_addr_haw(DmarScn *s, ScnFaultEnv *e)
{
    scn_map(s, IOVA_F, PAGE_T | 1ull << 50, 1, PTE_RW);
}

static inline void scn_fc_table_addr_haw(DmarScn *s, ScnFaultEnv *e)
{
    uint64_t slot = scn_pte_slot(s, IOVA_F, 2);

    scn_w64(s, slot, scn_r64(s, slot) | 1ull << 49);
}

static inline void scn_fc_pte_ps_l4(DmarScn *s, ScnFaultEnv *e)
{
    scn_tables_init(s, 4, 0);
    scn_set_pte(s, IOVA_F, 4, PTE_PS | PTE_RW);
}

static inline void scn_fc_pte_2m_unaligned(DmarScn *s, ScnFaultEnv *e)
{
    scn_map(s, IOVA_F, BIG_2M_A | 0x1000, 2, PTE_RW);
}

static inline void scn_fc_nonleaf_read_only(DmarScn *s, ScnFaultEnv *e)
{
    uint64_t slot = scn_pte_slot(s, IOVA_F, 3);

    /* permissions are the intersection over all levels */
    scn_w64(s, slot, scn_r64(s, slot) & ~PTE_W);
}

static inline void scn_fc_nonleaf_write_only(DmarScn *s, ScnFaultEnv *e)
{
    uint64_t slot = scn_pte_slot(s, IOVA_F, 2);

    scn_w64(s, slot, scn_r64(s, slot) & ~PTE_R);
}

static inline void scn_fc_rta_mmio(DmarScn *s, ScnFaultEnv *e)
{
    /* the unit's own registers are no root table */
    e->rta = DMAR_BASE;
}

static inline void scn_fc_ctp_mmio(DmarScn *s, ScnFaultEnv *e)
{
    scn_set_root(s, DMAR_BASE | ROOT_P, 0);
}

static inline void scn_fc_slptptr_no_ram(DmarScn *s, ScnFaultEnv *e)
{
    scn_set_ctx(s, NO_RAM | CTX_P, scn_ctx_hi(s));
}

/* ================= interrupt remapping ================= */

/*
 * Source-id checks that pass (VT-d §9.10, SVT/SQ/SID): IRTEs 7..12 of the
 * table at IRT_BASE (remapping enabled), each edu's request through it
 * remapped to its vector. SQ only counts with SVT = 1.
 */
static inline void scn_ir_sid_pass(DmarScn *s)
{
    static const struct {
        uint8_t vector;
        uint64_t hi;
    } pass[] = {
        { 0x3a, IRTE_SVT(SVT_SID) | IRTE_SQ(1) | IRTE_SID(EDU_SID | 4) },
        { 0x3b, IRTE_SVT(SVT_SID) | IRTE_SQ(2) | IRTE_SID(EDU_SID | 6) },
        { 0x3c, IRTE_SVT(SVT_SID) | IRTE_SQ(3) | IRTE_SID(EDU_SID | 7) },
        { 0x3d, IRTE_SVT(SVT_BUS) | IRTE_SID(0x0000) },
        { 0x40, IRTE_SVT(SVT_BUS) | IRTE_SQ(3) | IRTE_SID(0x00ff) },
        { 0x41, IRTE_SVT(SVT_NONE) | IRTE_SQ(3) | IRTE_SID(0xffff) },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(pass); i++) {
        scn_irte_put(s, IRT_BASE, 7 + i, scn_irte_lo(pass[i].vector),
                     pass[i].hi);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(pass); i++) {
        scn_assert_remapped(s, scn_msi_remappable(7 + i, false), 0,
                            pass[i].vector, false);
    }
    scn_assert_no_fault(s);
}

/* ================= interrupt remapping faults ================= */

/*
 * The IR fault cases: an IRTE for IR_VEC at E->index of IRT_BASE, and
 * edu's request E->addr/E->data, which each scn_irc_*() breaks as its
 * name says (the sides keep their case tables).
 */
#define IR_VEC          0x9c    /* the vector of the faulting IRTEs */

typedef struct ScnIrEnv {
    uint64_t irta;
    uint32_t index;     /* where the IRTE is written (in IRT_BASE) */
    uint32_t addr;      /* edu's MSI */
    uint16_t data;
    uint64_t lo, hi;    /* the IRTE */
    int fi;             /* FRCD bits 63:48 expected; -1: not checked */
} ScnIrEnv;

/*
 * The good setup each IR fault case starts from: IRTE 5 of a 16-entry
 * table, edu's MSI through it, verified against edu's source-id
 */
static inline ScnIrEnv scn_ir_env(void)
{
    return (ScnIrEnv) {
        .irta = IRT_BASE | 3,
        .index = 5, .fi = 5,
        .addr = scn_msi_remappable(5, false),
        .lo = scn_irte_lo(IR_VEC),
        .hi = IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID),
    };
}

static inline void scn_irc_index(ScnIrEnv *e, uint32_t handle, bool shv,
                                 uint16_t sub)
{
    e->addr = scn_msi_remappable(handle, shv);
    e->data = sub;
    e->index = e->fi = handle + (shv ? sub : 0);
}

static inline void scn_irc_beyond(DmarScn *s, ScnIrEnv *e)
{
    e->irta = IRT_BASE | 1;
    scn_irc_index(e, 4, false, 0);
}

static inline void scn_irc_beyond_s0(DmarScn *s, ScnIrEnv *e)
{
    e->irta = IRT_BASE | 0;
    scn_irc_index(e, 2, false, 0);
}

static inline void scn_irc_beyond_shv(DmarScn *s, ScnIrEnv *e)
{
    e->irta = IRT_BASE | 1;
    scn_irc_index(e, 2, true, 2);
}

static inline void scn_irc_beyond_bit15(DmarScn *s, ScnIrEnv *e)
{
    e->irta = IRT_BASE | 14;
    scn_irc_index(e, 0x8000, false, 0);
}

/* handle + subhandle beyond 16 bits: not index 0 (where the IRTE is) */
static inline void scn_irc_beyond_overflow(DmarScn *s, ScnIrEnv *e)
{
    e->irta = IRT_BASE | 15;
    e->addr = scn_msi_remappable(0xffff, true);
    e->data = 1;
    e->index = 0;
    e->fi = -1;
}

static inline void scn_irc_not_present(DmarScn *s, ScnIrEnv *e)
{
    e->lo &= ~IRTE_P;
}

/* P = 0: nothing else in the entry is looked at */
static inline void scn_irc_not_present_junk(DmarScn *s, ScnIrEnv *e)
{
    e->lo = ~(IRTE_P | IRTE_FPD);
    e->hi = ~0ull;
}

static inline void scn_irc_no_ram(DmarScn *s, ScnIrEnv *e)
{
    e->irta = NO_RAM | 3;
}

static inline void scn_irc_mmio(DmarScn *s, ScnIrEnv *e)
{
    e->irta = DMAR_BASE | 3;
}

static inline void scn_irc_svt3(DmarScn *s, ScnIrEnv *e)
{
    e->hi = IRTE_SVT(3) | IRTE_SID(EDU_SID);
}

static inline void scn_irc_posted(DmarScn *s, ScnIrEnv *e)
{
    e->lo |= IRTE_IM;
}

static inline void scn_irc_sq0(DmarScn *s, ScnIrEnv *e)
{
    e->hi = IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID | 1);
}

static inline void scn_irc_sq0_bus(DmarScn *s, ScnIrEnv *e)
{
    e->hi = IRTE_SVT(SVT_SID) | IRTE_SID(0x100 | EDU_SID);
}

/* SQ = 1 ignores SID bit 2 only, SQ = 2 bits 2:1, SQ = 3 bits 2:0 */
static inline void scn_irc_sq1(DmarScn *s, ScnIrEnv *e)
{
    e->hi = IRTE_SVT(SVT_SID) | IRTE_SQ(1) | IRTE_SID(EDU_SID | 6);
}

static inline void scn_irc_sq2(DmarScn *s, ScnIrEnv *e)
{
    e->hi = IRTE_SVT(SVT_SID) | IRTE_SQ(2) | IRTE_SID(EDU_SID | 7);
}

static inline void scn_irc_sq3(DmarScn *s, ScnIrEnv *e)
{
    e->hi = IRTE_SVT(SVT_SID) | IRTE_SQ(3) | IRTE_SID(EDU_SID + 8);
}

static inline void scn_irc_bus_above(DmarScn *s, ScnIrEnv *e)
{
    e->hi = IRTE_SVT(SVT_BUS) | IRTE_SID(0x0105);
}

static inline void scn_irc_bus_empty(DmarScn *s, ScnIrEnv *e)
{
    e->hi = IRTE_SVT(SVT_BUS) | IRTE_SID(0xff00);
}

/* A fault case of interrupt remapping: its setup and the reason */
typedef struct ScnIrFaultCase {
    const char *name;
    uint8_t fr;
    void (*setup)(DmarScn *s, ScnIrEnv *e);
} ScnIrFaultCase;

/* The table's first page is RAM (the last one), its 0x100th entry is not */
static inline void scn_irc_past_ram(DmarScn *s, ScnIrEnv *e)
{
    scn_memzero(s, RAM_END - 0x1000, 0x1000);
    e->irta = (RAM_END - 0x1000) | 15;
    scn_irc_index(e, 0x100, false, 0);
    e->index = 0;       /* the IRTE written (in IRT_BASE) is not used */
}

/* The cases both sides run (the unit side adds one of its own) */
static const ScnIrFaultCase scn_ir_fault_cases[] G_GNUC_UNUSED = {
    { "index-beyond", FR_IR_INDEX, scn_irc_beyond },
    { "index-beyond-s0", FR_IR_INDEX, scn_irc_beyond_s0 },
    { "index-beyond-shv", FR_IR_INDEX, scn_irc_beyond_shv },
    { "index-beyond-bit15", FR_IR_INDEX, scn_irc_beyond_bit15 },
    { "index-beyond-overflow", FR_IR_INDEX, scn_irc_beyond_overflow },
    { "not-present", FR_IR_NP, scn_irc_not_present },
    { "not-present-junk", FR_IR_NP, scn_irc_not_present_junk },
    { "table-no-ram", FR_IR_ACCESS, scn_irc_no_ram },
    { "table-mmio", FR_IR_ACCESS, scn_irc_mmio },
    { "table-past-ram", FR_IR_ACCESS, scn_irc_past_ram },
    { "svt-reserved", FR_IR_RSVD, scn_irc_svt3 },
    { "posted", FR_IR_RSVD, scn_irc_posted },
    { "sid-sq0", FR_IR_SID, scn_irc_sq0 },
    { "sid-sq0-bus", FR_IR_SID, scn_irc_sq0_bus },
    { "sid-sq1", FR_IR_SID, scn_irc_sq1 },
    { "sid-sq2", FR_IR_SID, scn_irc_sq2 },
    { "sid-sq3", FR_IR_SID, scn_irc_sq3 },
    { "bus-range", FR_IR_SID, scn_irc_bus_above },
    { "bus-range-empty", FR_IR_SID, scn_irc_bus_empty },
};

/* Faults found while using an IRTE are qualified: FPD hides them */
static inline bool scn_ir_fpd_qualified(uint8_t fr)
{
    return fr == FR_IR_NP || fr == FR_IR_RSVD || fr == FR_IR_SID;
}

/* ================= the migration stream ================= */

/* The unit's reasons to refuse a stream, as it words them */
#define WHY_CONFIG \
    "CAP/ECAP differ: the source was configured differently"
#define WHY_NEXT        "next fault record beyond nfr"
#define WHY_FRI         "FSTS.FRI beyond nfr"
#define WHY_FRCD        "fault recording registers past nfr"
#define WHY_GSTS        "GSTS reports a command not offered"
#define WHY_ROOT        "root table pointer SRTP cannot have latched"
#define WHY_IRTA \
    "interrupt remapping table pointer SIRTP cannot have latched"
#define WHY_IQA \
    "IQA reserved bits, or base bits beyond the address width"
#define WHY_IQH         "IQH outside the queue"
#define WHY_IQT         "IQT reserved bits"
#define WHY_INV         "an invalidation still in progress"

/*
 * The unit in the middle of everything it does, before its state is
 * saved (qtest migration-stream/<name>, unit stream tests): translation on,
 * a fault pending, an unserviced completion event and, with IR, a
 * latched table whose entry 1 was used.
 */
static inline void scn_stream_source_setup(DmarScn *s, bool ir)
{
    scn_tables_init(s, 3, 0);
    scn_map(s, IOVA_A, PAGE_P1, 1, PTE_R);
    scn_map(s, IOVA_B, PAGE_OUT, 1, PTE_W);
    scn_wr32(s, REG_FEDATA, 0x2bad);
    scn_wr32(s, REG_FEADDR, FE_MSG);
    scn_wr32(s, REG_FEUADDR, 0);
    scn_wr32(s, REG_IEDATA, 0x3bad);
    scn_wr32(s, REG_IEADDR, IE_MSG);
    scn_wr32(s, REG_IEUADDR, 0);
    scn_fe_clear(s);
    scn_ie_clear(s);
    scn_enable(s, ROOT_TABLE);
    scn_qi_enable(s, IQ_BASE, 0);
    scn_qi_sync(s);
    scn_qi_wait_if(s);
    g_assert_cmphex(scn_rd32(s, REG_ICS), ==, ICS_IWC);
    if (ir) {
        scn_irte_put(s, IRT_BASE, 1, scn_irte_lo(0xc1),
                     IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID));
        scn_memzero(s, IRT_BASE + 32, 32);
        scn_ir_enable(s, IRT_BASE | 3, false);
        scn_assert_remapped(s, scn_msi_remappable(1, false), 0, 0xc1, false);
        scn_irte_put(s, IRT_BASE, 2, scn_irte_lo(0xc2),
                     IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID));
    }
    scn_dma_in(s, IOVA_C);
    g_assert_cmphex(scn_fsts(s), ==, FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    g_assert_cmphex(scn_rd32(s, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    g_assert_cmphex(scn_rd32(s, REG_GSTS), ==,
                    GSTS_TES | GSTS_RTPS | GSTS_QIES |
                    (ir ? GSTS_IRTPS | GSTS_IRES : 0));
}

/* ================= IOTLB invalidation ================= */

/* How scn_inv_for() invalidates */
typedef struct ScnInvCase {
    unsigned gran;
    bool qi;            /* through an IOTLB invalidate descriptor */
} ScnInvCase;

static const ScnInvCase inv_page G_GNUC_UNUSED = { GRAN_PAGE, false };
static const ScnInvCase inv_domain G_GNUC_UNUSED = { GRAN_DOMAIN, false };
static const ScnInvCase inv_global G_GNUC_UNUSED = { GRAN_GLOBAL, false };
static const ScnInvCase qi_inv_page G_GNUC_UNUSED = { GRAN_PAGE, true };
static const ScnInvCase qi_inv_domain G_GNUC_UNUSED = { GRAN_DOMAIN, true };
static const ScnInvCase qi_inv_global G_GNUC_UNUSED = { GRAN_GLOBAL, true };

/* Invalidate what covers IOVA with the case's granularity */
static inline void scn_inv_for(DmarScn *s, const ScnInvCase *c,
                               uint64_t iova, unsigned am)
{
    uint64_t v;

    if (c->qi) {
        scn_qi_iotlb(s, c->gran, DOMAIN, iova, am);
        scn_qi_sync(s);
        return;
    }
    v = scn_iotlb_inv(s, c->gran, DOMAIN, iova | IVA_AM(am));

    g_assert_cmphex(IOTLB_IAIG(v), ==, c->gran);
    g_assert_cmphex((v >> 32) & 0xffff, ==, DOMAIN);
}

/* ================= interrupt remapping: reserved bits ================= */

typedef struct ScnIrRsvdCase {
    const char *name;
    uint64_t lo, hi;    /* reserved bits, each tried alone */
} ScnIrRsvdCase;

static const ScnIrRsvdCase scn_ir_rsvd_cases[] G_GNUC_UNUSED = {
    { "lo-14-12", 0x7000, 0 },
    { "lo-31-24", 0xff000000, 0 },
    { "xapic-dst-7-0", 0xff00000000ull, 0 },
    { "xapic-dst-31-16", 0xffff000000000000ull, 0 },
    { "hi-63-20", 0, 0xfffffffffff00000ull },
};

/*
 * qtest /vtd-dmar/ir/rsvd/<name>, unit /dmar-unit/ir/rsvd/<name>: every
 * reserved bit of the IRTE (xAPIC mode) is fault 0x24
 */
static inline void scn_ir_rsvd(DmarScn *s, const ScnIrRsvdCase *c)
{
    const uint64_t hi = IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID);

    /* the entry without them works */
    scn_irte_put(s, IRT_BASE, 2, scn_irte_lo(0x20), hi);
    scn_ir_enable(s, IRT_BASE | 3, false);
    scn_assert_remapped(s, scn_msi_remappable(2, false), 0, 0x20, false);

    for (unsigned b = 0; b < 128; b++) {
        uint64_t lo = scn_irte_lo(IR_VEC), h = hi;

        if (b < 64 && (c->lo & 1ull << b)) {
            lo |= 1ull << b;
        } else if (b >= 64 && (c->hi & 1ull << (b - 64))) {
            h |= 1ull << (b - 64);
        } else {
            continue;
        }
        g_test_message("IRTE 0x%016" PRIx64 ":0x%016" PRIx64, h, lo);
        scn_irte_put(s, IRT_BASE, 3, lo, h);
        scn_ir_set_table(s, IRT_BASE | 3);
        scn_msi_blocked(s, scn_msi_remappable(3, false), 0);
        scn_assert_ir_fault(s, FR_IR_RSVD, 3, EDU_SID);
        scn_irte_put(s, IRT_BASE, 3, lo | IRTE_FPD, h);
        scn_ir_set_table(s, IRT_BASE | 3);
        scn_msi_blocked(s, scn_msi_remappable(3, false), 0);
        scn_assert_no_fault(s);
    }
}

/* ================= queued invalidation ================= */

/* 64 random bits */
static inline uint64_t rnd64(GRand *r)
{
    return (uint64_t)g_rand_int(r) << 32 | g_rand_int(r);
}

/* Fault events to FE_MSG with DATA, unmasked; nothing sent yet */
static inline void scn_fe_setup(DmarScn *s, uint32_t data)
{
    scn_wr32(s, REG_FEDATA, data);
    scn_wr32(s, REG_FEADDR, FE_MSG);
    scn_wr32(s, REG_FEUADDR, 0);
    scn_wr32(s, REG_FECTL, 0);
    scn_fe_clear(s);
}

/* How the context-cache invalidation cases (qi/context-*) invalidate */
typedef struct ScnQiCcCase {
    unsigned gran;
    uint16_t sid;
    unsigned fm;
} ScnQiCcCase;

#define SCN_CC(g, s, f)     { .gran = (g), .sid = (s), .fm = (f) }
static G_GNUC_UNUSED const ScnQiCcCase qi_cc_global = SCN_CC(GRAN_GLOBAL, 0, 0);
static G_GNUC_UNUSED const ScnQiCcCase qi_cc_domain = SCN_CC(GRAN_DOMAIN, 0, 0);
static G_GNUC_UNUSED const ScnQiCcCase qi_cc_device =
    SCN_CC(GRAN_DEVICE, EDU_SID, 0);
/* FM masks low SID bits: 00:04.4 (FM 1), 04.6 (FM 2), 04.7 (FM 3) */
static G_GNUC_UNUSED const ScnQiCcCase qi_cc_device_fm1 =
    SCN_CC(GRAN_DEVICE, EDU_SID | 4, 1);
static G_GNUC_UNUSED const ScnQiCcCase qi_cc_device_fm2 =
    SCN_CC(GRAN_DEVICE, EDU_SID | 6, 2);
static G_GNUC_UNUSED const ScnQiCcCase qi_cc_device_fm3 =
    SCN_CC(GRAN_DEVICE, EDU_SID | 7, 3);

/* A random descriptor: mostly of a valid type, often with valid fields */
static inline void scn_fuzz_desc(GRand *r, uint64_t *lo, uint64_t *hi)
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

static inline void scn_assert_head_sane(DmarScn *s, unsigned entries)
{
    uint64_t head = scn_rd64(s, REG_IQH);

    g_assert_cmphex(head % 16, ==, 0);
    g_assert_cmphex(head, <, scn_iq_off(entries));
}

/*
 * qtest /vtd-dmar/qi/fuzz, unit /dmar-unit/qi/fuzz: random descriptors
 * and tails, valid and not, with a fixed seed, on the queue at IQ_BASE
 * (256 entries, enabled, fault events set up); then a fresh queue works.
 */
static inline void scn_qi_fuzz(DmarScn *s)
{
    GRand *r = g_rand_new_with_seed(0x7d3a0c1e);
    unsigned entries = 256, errors = 0;

    for (unsigned i = 0; i < 200; i++) {
        unsigned head = scn_rd64(s, REG_IQH) / 16;
        unsigned n = g_rand_int_range(r, 1, 9);
        uint64_t iqt;

        for (unsigned k = 0; k < n; k++) {
            uint64_t lo, hi;

            scn_fuzz_desc(r, &lo, &hi);
            scn_qi_put(s, (head + k) % entries, lo, hi);
        }
        switch (g_rand_int_range(r, 0, 4)) {
        case 0:
            iqt = rnd64(r);                     /* anything at all */
            break;
        case 1:
            iqt = scn_iq_off(g_rand_int_range(r, 0, 0x8000));
            break;
        default:
            iqt = scn_iq_off((head + n) % entries);
        }
        scn_wr64(s, REG_IQT, iqt);
        scn_assert_head_sane(s, entries);
        if (!g_rand_int_range(r, 0, 8)) {
            scn_wr32(s, REG_ICS, ICS_IWC);
            scn_wr32(s, REG_IECTL, g_rand_boolean(r) ? IECTL_IM : 0);
        }
        if (!g_rand_int_range(r, 0, 32)) {
            unsigned qs = g_rand_int_range(r, 0, 2);

            entries = 256u << qs;
            scn_wr64(s, REG_IQA, IQ_BASE | qs);
            g_assert_cmphex(scn_rd64(s, REG_IQH), ==, 0);
        }
        if (scn_rd32(s, REG_FSTS) & FSTS_IQE) {
            errors++;
            scn_wr32(s, REG_FSTS, FSTS_IQE);
            scn_assert_head_sane(s, entries);
        }
        scn_hook(s, SCN_AT_FUZZ_ROUND, false);
    }
    g_test_message("%u queue errors in 200 rounds", errors);
    g_assert_cmpuint(errors, >, 20);
    g_rand_free(r);

    /* alive and well: a fresh queue works */
    scn_wr32(s, REG_FSTS, FSTS_IQE);
    scn_wr64(s, REG_IQA, IQ_BASE);
    scn_wr64(s, REG_IQT, 0);
    s->iq_entries = 256;
    s->iq_tail = 0;
    scn_wr32(s, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(scn_rd32(s, REG_FSTS), ==, 0);
    scn_qi_iotlb(s, GRAN_GLOBAL, 0, 0, 0);
    scn_qi_cc(s, GRAN_GLOBAL, 0, 0, 0);
    scn_qi_sync(s);
}

/* qtest /vtd-dmar/qi/iqe-tail, unit /dmar-unit/qi/iqe-tail */
static inline void scn_qi_iqe_tail(DmarScn *s)
{
    unsigned w;

    scn_fe_setup(s, 0x7a17);
    scn_w32(s, IQ_STATUS, 0);
    scn_qi_enable(s, IQ_BASE, 0);
    scn_qi_sync(s);
    scn_qi_sync(s);
    w = scn_qi_push_wait(s, IQ_STATUS, 0x7a, 0);

    /* 256 entries (QS = 0): a tail of 256 is beyond the queue */
    scn_wr64(s, REG_IQT, scn_iq_off(256));
    g_assert_cmphex(scn_rd64(s, REG_IQT), ==, scn_iq_off(256));
    g_assert_cmphex(scn_rd32(s, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(scn_rd64(s, REG_IQH), ==, scn_iq_off(w));
    g_assert_cmphex(scn_r32(s, IQ_STATUS), ==, 0);
    g_assert_cmphex(scn_rd64(s, REG_IQERCD), ==, IQEI_TAIL);
    scn_hook(s, SCN_AT_IQE_TAIL, false);
    g_assert_cmphex(scn_fe_msg(s), ==, 0x7a17);
    /* the largest tail the register holds: still nothing */
    scn_fe_clear(s);
    scn_wr64(s, REG_IQT, 0x7fff0);
    g_assert_cmphex(scn_rd32(s, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(scn_rd64(s, REG_IQH), ==, scn_iq_off(w));
    g_assert_cmphex(scn_r32(s, IQ_STATUS), ==, 0);

    /* a valid tail, then IQE cleared: processing resumes */
    scn_qi_kick(s);
    g_assert_cmphex(scn_r32(s, IQ_STATUS), ==, 0);
    scn_wr32(s, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(scn_rd32(s, REG_FSTS), ==, 0);
    g_assert_cmphex(scn_r32(s, IQ_STATUS), ==, 0x7a);
    g_assert_cmphex(scn_rd64(s, REG_IQH), ==, scn_iq_off(w + 1));
    g_assert_cmphex(scn_fe_msg(s), ==, 0);
    scn_qi_sync(s);

    /* with QS = 1 (512 entries), 256 is a valid tail and 512 is not */
    scn_wr32(s, REG_GCMD, 0);
    g_assert_cmphex(scn_rd32(s, REG_GSTS), ==, 0);
    scn_qi_enable(s, IQ_BASE, 1);
    for (unsigned i = 0; i < 256; i++) {
        scn_qi_push(s, QI_WAIT, 0);
    }
    scn_qi_kick(s);
    g_assert_cmphex(scn_rd32(s, REG_FSTS), ==, 0);
    g_assert_cmphex(scn_rd64(s, REG_IQH), ==, scn_iq_off(256));
    scn_qi_sync(s);
    scn_wr64(s, REG_IQT, scn_iq_off(512));
    g_assert_cmphex(scn_rd32(s, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(scn_rd64(s, REG_IQH), ==, scn_iq_off(257));
    g_assert_cmphex(scn_fe_msg(s), ==, 0x7a17);
}

/* A bad descriptor (a wait with PD): IQH stops at it */
static inline unsigned scn_qi_fail(DmarScn *s)
{
    unsigned bad = scn_qi_push(s, QI_WAIT | QI_WAIT_PD, 0);

    scn_qi_kick(s);
    g_assert_cmphex(scn_rd64(s, REG_IQH), ==, scn_iq_off(bad));
    return bad;
}

/* Replace the bad descriptor at BAD by a no-op wait and clear IQE */
static inline void scn_qi_recover(DmarScn *s, unsigned bad)
{
    scn_qi_put(s, bad, QI_WAIT, 0);
    scn_wr32(s, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(scn_rd32(s, REG_FSTS) & FSTS_IQE, ==, 0);
    g_assert_cmphex(scn_rd64(s, REG_IQH), ==, scn_iq_off(s->iq_tail));
}

/*
 * qtest and unit qi/iqe-fault-event: IQE follows the fault event rules
 * of the fault records (VT-d §7.3)
 */
static inline void scn_qi_iqe_fault_event(DmarScn *s)
{    unsigned bad;

    scn_tables_init(s, 3, 0);                       /* nothing mapped */
    scn_wr32(s, REG_FEDATA, 0x3c3c);
    scn_wr32(s, REG_FEADDR, FE_MSG);
    scn_fe_clear(s);
    scn_enable(s, ROOT_TABLE);
    scn_qi_enable(s, IQ_BASE, 0);

    /* masked (reset value): IP is set; clearing IQE clears it */
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, FECTL_IM);
    bad = scn_qi_fail(s);
    g_assert_cmphex(scn_rd32(s, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    scn_qi_recover(s, bad);
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, FECTL_IM);
    scn_wr32(s, REG_FECTL, 0);
    g_assert_cmphex(scn_fe_msg(s), ==, 0);

    /* masked, then unmasked while IQE is still set: sent then */
    scn_wr32(s, REG_FECTL, FECTL_IM);
    bad = scn_qi_fail(s);
    g_assert_cmphex(scn_fe_msg(s), ==, 0);
    scn_wr32(s, REG_FECTL, 0);
    g_assert_cmphex(scn_fe_msg(s), ==, 0x3c3c);
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, 0);
    scn_qi_recover(s, bad);

    /* a primary fault pending (PPF): IQE sends nothing new */
    scn_fe_clear(s);
    scn_dma_in(s, IOVA_A);
    scn_assert_frcd(s, 0, IOVA_A, FR_READ, false);
    g_assert_cmphex(scn_fe_msg(s), ==, 0x3c3c);
    scn_fe_clear(s);
    bad = scn_qi_fail(s);
    g_assert_cmphex(scn_fsts(s), ==, FSTS_IQE | FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(scn_fe_msg(s), ==, 0);
    scn_qi_recover(s, bad);
    g_assert_cmphex(scn_fsts(s), ==, FSTS_PPF | FSTS_FRI(0));
    scn_frcd_clear(s, 0);
    g_assert_cmphex(scn_fsts(s), ==, 0);

    /* and the other way round: with IQE pending, a fault sends nothing */
    bad = scn_qi_fail(s);
    g_assert_cmphex(scn_fe_msg(s), ==, 0x3c3c);
    scn_fe_clear(s);
    scn_dma_in(s, IOVA_B);
    scn_assert_frcd(s, 1, IOVA_B, FR_READ, false);
    g_assert_cmphex(scn_fsts(s), ==, FSTS_IQE | FSTS_PPF | FSTS_FRI(1));
    g_assert_cmphex(scn_fe_msg(s), ==, 0);
    scn_qi_recover(s, bad);
    scn_frcd_clear(s, 1);
    g_assert_cmphex(scn_fsts(s), ==, 0);
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, 0);
    g_assert_cmphex(scn_fe_msg(s), ==, 0);
}

/*
 * The IQERCD a unit reports once descriptor LO:HI stopped its queue: an
 * invalid type (0, 3: no device-TLBs, 6..15, bits 11:9 set, 4 without
 * interrupt remapping), a reserved field (or granularity 0) of a valid
 * type, or, for a wait descriptor with none, its status write failed,
 * for which IQEI has no code.
 */
static inline uint64_t scn_qi_iqercd_for(DmarScn *s, uint64_t lo, uint64_t hi)
{
    bool ir = scn_rd64(s, REG_ECAP) & ECAP_IR;
    unsigned t = lo & 0xf;

    if ((lo & 0xe00) ||
        !(t == QI_CC || t == QI_IOTLB || t == QI_WAIT || (t == QI_IEC && ir))) {
        return IQEI_TYPE;
    }
    /* wait: lo 31:7 but IF, SW, FN are reserved (PD too), hi 1:0 */
    if (t == QI_WAIT && !(lo & 0xffffff80ull) && !(hi & 3)) {
        return IQEI_NONE;
    }
    return IQEI_RSVD;
}

/*
 * Submit [wait, LO:HI, wait] and check that LO:HI is a queue error:
 * the first wait ran, the second did not, IQH names the bad one. Then
 * replace it by a no-op wait (as Linux does) and clear IQE: the rest
 * runs.
 */
static inline void scn_qi_expect_bad(DmarScn *s, uint64_t lo, uint64_t hi)
{
    uint32_t seq = ++s->iq_seq;
    uint32_t fsts_v;
    uint64_t head;
    unsigned bad;

    scn_memzero(s, IQ_STATUS, 8);
    scn_w32(s, IQ_CANARY, 0);
    scn_qi_push_wait(s, IQ_STATUS, seq, 0);
    bad = scn_qi_push(s, lo, hi);
    scn_qi_push_wait(s, IQ_STATUS + 4, seq, 0);
    scn_qi_kick(s);
    fsts_v = scn_rd32(s, REG_FSTS);
    head = scn_rd64(s, REG_IQH);
    if (fsts_v != FSTS_IQE || head != scn_iq_off(bad)) {
        g_test_message("descriptor hi:lo = 0x%016" PRIx64 ":0x%016" PRIx64
                       " was accepted", hi, lo);
    }
    g_assert_cmphex(fsts_v, ==, FSTS_IQE);
    g_assert_cmphex(head, ==, scn_iq_off(bad));
    g_assert_cmphex(scn_r32(s, IQ_STATUS), ==, seq);
    g_assert_cmphex(scn_r32(s, IQ_STATUS + 4), ==, 0);
    g_assert_cmphex(scn_r32(s, IQ_CANARY), ==, 0);
    g_assert_cmphex(scn_rd64(s, REG_IQERCD), ==,
                    scn_qi_iqercd_for(s, lo, hi));
    scn_hook(s, SCN_AT_QI_BAD, false);
    /* FECTL.IM is set from reset: the event is pending */
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, FECTL_IM | FECTL_IP);

    scn_qi_put(s, bad, QI_WAIT, 0);
    scn_wr32(s, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(scn_rd32(s, REG_FSTS), ==, 0);
    g_assert_cmphex(scn_rd32(s, REG_FECTL), ==, FECTL_IM);
    g_assert_cmphex(scn_r32(s, IQ_STATUS + 4), ==, seq);
    g_assert_cmphex(scn_rd64(s, REG_IQH), ==, scn_iq_off(s->iq_tail));
}

typedef struct ScnQiBadCase {
    const char *name;
    uint64_t lo, hi;
    /* 0, 0: LO:HI is invalid; else it is valid and each bit breaks it */
    uint64_t rsvd_lo, rsvd_hi;
    bool no_ir;         /* a unit without interrupt remapping */
} ScnQiBadCase;

/* Descriptors with every field set and every reserved bit clear */
#define CC_ALL          (QI_CC | QI_G(GRAN_DEVICE) | QI_DID(0xffff) | \
                         QI_CC_SID(0xffff) | QI_CC_FM(3))
#define IOTLB_ALL       (QI_IOTLB | QI_G(GRAN_PAGE) | QI_IOTLB_DW | \
                         QI_IOTLB_DR | QI_DID(0xffff))
#define IOTLB_ALL_HI    (~0xfffull | QI_HI_IH | QI_HI_AM(0x3f))
#define WAIT_ALL        (QI_WAIT | QI_WAIT_IF | QI_WAIT_SW | QI_WAIT_FN | \
                         QI_SDATA(0xc0ffee00))
#define IEC_ALL         (QI_IEC | QI_G(1) | QI_IEC_IM(15) | \
                         QI_IEC_IIDX(0xffff))

static const ScnQiBadCase scn_qi_bad_cases[] G_GNUC_UNUSED = {
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
    /* interrupt entry cache: G (4), IM (31:27), IIDX (47:32) */
    { "iec-rsvd-lo-8-5", IEC_ALL, 0, 0x1e0, 0 },
    { "iec-rsvd-lo-11-9", IEC_ALL, 0, 0xe00, 0 },
    { "iec-rsvd-lo-26-12", IEC_ALL, 0, 0x7fff000, 0 },
    { "iec-rsvd-lo-63-48", IEC_ALL, 0, 0xffff000000000000ull, 0 },
    { "iec-rsvd-hi", IEC_ALL, 0, 0, ~0ull },
    /* global: IM and IIDX are ignored, not reserved */
    { "iec-global-rsvd-hi", QI_IEC | QI_IEC_IM(7) | QI_IEC_IIDX(0x1234), 0,
      0, ~0ull },
    /* ECAP.IR = 0: the type is reserved */
    { "iec-global-no-ir", QI_IEC, 0, 0, 0, true },
    { "iec-index-no-ir", QI_IEC | QI_G(1) | QI_IEC_IIDX(5), 0, 0, 0, true },
};

/* qtest /vtd-dmar/qi/invalid/<name>, unit /dmar-unit/qi/invalid/<name> */
static inline void scn_qi_invalid(DmarScn *s, const ScnQiBadCase *c)
{
    scn_qi_enable(s, IQ_BASE, 0);
    if (!c->rsvd_lo && !c->rsvd_hi) {
        scn_qi_expect_bad(s, c->lo, c->hi);
    } else {
        /* with its reserved bits clear, the descriptor is accepted */
        scn_w32(s, IQ_CANARY, 0);
        scn_qi_push(s, c->lo, c->hi);
        scn_qi_sync(s);
        if ((c->lo & 0xf) == QI_WAIT) {
            g_assert_cmphex(scn_r32(s, IQ_CANARY), ==,
                            c->lo >> 32);
        }
        for (unsigned b = 0; b < 64; b++) {
            if (c->rsvd_lo & 1ull << b) {
                scn_qi_expect_bad(s, c->lo | 1ull << b, c->hi);
            }
            if (c->rsvd_hi & 1ull << b) {
                scn_qi_expect_bad(s, c->lo, c->hi | 1ull << b);
            }
        }
    }
    scn_qi_sync(s);
}

/*
 * qtest and unit qi/invalid/types: types 0 and 6..15 are reserved; 3 is
 * for units with DT (4, for units without IR, is in the iec-*-no-ir cases)
 */
static inline void scn_qi_invalid_types(DmarScn *s)
{
    static const unsigned types[] = {
        0, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    };

    scn_qi_enable(s, IQ_BASE, 0);
    for (unsigned i = 0; i < ARRAY_SIZE(types); i++) {
        scn_qi_expect_bad(s, types[i], 0);
        /* with fields that would make a wait descriptor write */
        scn_qi_expect_bad(s, types[i] | QI_WAIT_SW | QI_SDATA(1), IQ_CANARY);
    }
    /* the PASID-based types (bits 11:9 set) of each type offered */
    for (unsigned t = 1; t < 8; t++) {
        scn_qi_expect_bad(s, QI_CC | QI_G(GRAN_GLOBAL) | (uint64_t)t << 9, 0);
        scn_qi_expect_bad(s, QI_IOTLB | QI_G(GRAN_GLOBAL) | (uint64_t)t << 9,
                      0);
        scn_qi_expect_bad(s, QI_WAIT | (uint64_t)t << 9, 0);
        scn_qi_expect_bad(s, QI_IEC | (uint64_t)t << 9, 0);
    }
    scn_qi_sync(s);
}

/* Queue fetches and status writes need RAM (qtest and unit qi/iqe-memory) */
static inline void scn_qi_iqe_memory(DmarScn *s)
{
    scn_qi_enable(s, IQ_BASE, 0);
    /* a status write where nothing is mapped */
    scn_qi_expect_bad(s, QI_WAIT | QI_WAIT_SW | QI_SDATA(0x12345678), NO_RAM);
    /* or to the unit's own registers: they do not change */
    scn_qi_expect_bad(s, QI_WAIT | QI_WAIT_SW | QI_SDATA(0xffffffff),
                  DMAR_BASE + REG_IEDATA);
    g_assert_cmphex(scn_rd32(s, REG_IEDATA), ==, 0);
    scn_hook(s, SCN_AT_IQE_STATUS_WRITE, false);
    scn_qi_sync(s);

    /* a queue where nothing is mapped: the first fetch fails */
    scn_wr32(s, REG_GCMD, 0);
    g_assert_cmphex(scn_rd32(s, REG_GSTS), ==, 0);
    scn_qi_enable(s, NO_RAM, 0);
    scn_wr64(s, REG_IQT, scn_iq_off(1));
    g_assert_cmphex(scn_rd32(s, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(scn_rd64(s, REG_IQH), ==, 0);
    g_assert_cmphex(scn_rd64(s, REG_IQERCD), ==, IQEI_FETCH);
    scn_hook(s, SCN_AT_IQE_FETCH, false);
    scn_wr32(s, REG_GCMD, 0);
    scn_wr32(s, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(scn_rd32(s, REG_FSTS), ==, 0);

    /* the unit's own registers are no queue either */
    scn_qi_enable(s, DMAR_BASE, 0);
    scn_wr64(s, REG_IQT, scn_iq_off(1));
    g_assert_cmphex(scn_rd32(s, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(scn_rd64(s, REG_IQH), ==, 0);
    scn_wr32(s, REG_GCMD, 0);
    scn_wr32(s, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(scn_rd32(s, REG_FSTS), ==, 0);

    /* back to RAM: all is well */
    scn_qi_enable(s, IQ_BASE, 0);
    scn_qi_sync(s);
}

/* ================= interrupt remapping ================= */

/* An interrupt entry cache invalidation, and a wait for it */
static inline void scn_qi_iec(DmarScn *s, bool index_sel, uint32_t iidx,
                              unsigned im)
{
    scn_qi_push(s, QI_IEC | QI_G(index_sel) | QI_IEC_IM(im) |
                QI_IEC_IIDX(iidx), 0);
    scn_qi_sync(s);
}

/* ---- random IRTEs and requests ---- */

#define FUZZ_VEC        0xfe    /* kept out of the random traffic */

static inline uint64_t scn_fuzz_irte_lo(GRand *r)
{
    uint64_t lo = rnd64(r);

    if (g_rand_int_range(r, 0, 4)) {
        /* no reserved bit in xAPIC mode, present, DST 0 or 0xff */
        lo &= 0x0000000000ff0ffeull;
        lo |= IRTE_P | IRTE_XDST(g_rand_boolean(r) ? 0 : 0xff);
        if (!g_rand_int_range(r, 0, 4)) {
            lo ^= 1ull << g_rand_int_range(r, 0, 64);
        }
    }
    if (((lo >> 16) & 0xff) == FUZZ_VEC) {
        lo ^= IRTE_V(1);
    }
    return lo;
}

static inline uint64_t scn_fuzz_irte_hi(GRand *r)
{
    uint64_t hi = rnd64(r);

    switch (g_rand_int_range(r, 0, 4)) {
    case 0:
        return hi;
    case 1:
        return 0;
    default:
        /* edu's source-id, or one near it */
        return (hi & (IRTE_SVT(3) | IRTE_SQ(3))) |
               (g_rand_boolean(r) ? EDU_SID : (hi & 0x10f) ^ EDU_SID);
    }
}

static inline uint32_t scn_fuzz_msi_addr(GRand *r)
{
    uint32_t bits = g_rand_int(r) & 0xffffc;

    switch (g_rand_int_range(r, 0, 4)) {
    case 0:
        return MSI_BASE | (bits & ~MSI_REMAP);
    case 1:
        return MSI_BASE | bits;
    default:
        return scn_msi_remappable(g_rand_int_range(r, 0, 72),
                                  g_rand_boolean(r));
    }
}

/*
 * qtest /vtd-dmar/ir/fuzz, unit /dmar-unit/ir/fuzz: random IRTEs, IRTA
 * values, GCMD commands, IEC invalidations and interrupt requests from
 * edu, with a fixed seed; every fault recorded is an interrupt fault of
 * edu's; then a clean entry works. S has ECAP.EIM (x2APIC).
 */
static inline void scn_ir_fuzz(DmarScn *s)
{
    /* ... and the IOAPIC's registers, and the last page of RAM */
    static const uint64_t bases[] = {
        IRT_BASE, IRT_BASE, IRT_BASE, IRT_BASE, NO_RAM, DMAR_BASE,
        0xfec00000ull, 0x7fff000,
    };
    GRand *r = g_rand_new_with_seed(0x1a7e5eed);
    unsigned seen[256] = { 0 };
    unsigned faults = 0, kinds = 0;

    scn_qi_enable(s, IQ_BASE, 0);
    scn_ir_enable(s, IRT_BASE | 5, false);
    for (unsigned i = 0; i < 400; i++) {
        uint32_t addr = scn_fuzz_msi_addr(r);
        uint16_t data = g_rand_int(r);

        if (!g_rand_int_range(r, 0, 20)) {
            uint64_t irta = bases[g_rand_int_range(r, 0, ARRAY_SIZE(bases))];
            unsigned sz = g_rand_int_range(r, 0, 16);

            /* mostly 64 entries or more: most handles are in range */
            irta |= g_rand_int_range(r, 0, 4) ? MAX(sz, 5) : sz;
            irta |= g_rand_boolean(r) ? IRTA_EIME : 0;
            scn_wr64(s, REG_IRTA, irta);
            scn_wr32(s, REG_GCMD, GCMD_QIE |
                      (g_rand_boolean(r) ? GCMD_SIRTP : 0) |
                      (g_rand_int_range(r, 0, 4) ? GCMD_IRE : 0) |
                      (g_rand_boolean(r) ? GCMD_CFI : 0));
        }
        for (unsigned k = g_rand_int_range(r, 0, 3); k; k--) {
            scn_irte_put(s, IRT_BASE, g_rand_int_range(r, 0, 64),
                         scn_fuzz_irte_lo(r), scn_fuzz_irte_hi(r));
        }
        if (!g_rand_int_range(r, 0, 8)) {
            scn_qi_iec(s, g_rand_boolean(r), g_rand_int_range(r, 0, 64),
                       g_rand_int_range(r, 0, 16));
        }
        if ((addr & MSI_REMAP) && g_rand_int_range(r, 0, 4)) {
            data &= 0x1f;       /* a subhandle that may stay in range */
        }
        if ((data & 0xff) == FUZZ_VEC) {
            data ^= 1;
        }
        scn_msi(s, addr, data);
        /* every record is an interrupt fault from edu */
        for (unsigned j = 0; j < 8; j++) {
            uint64_t hi = scn_rd64(s, REG_FRCD(j) + 8);
            unsigned fr = (hi >> 32) & 0xff;

            if (!(hi & FRCD_F)) {
                continue;
            }
            if (fr < 0x20 || fr > 0x26) {
                g_test_message("round %u: MSI 0x%08x/0x%04x, FRCD "
                               "0x%016" PRIx64, i, addr, data, hi);
            }
            g_assert_cmpuint(fr, >=, 0x20);
            g_assert_cmpuint(fr, <=, 0x26);
            g_assert_cmphex(hi & 0xffff, ==, EDU_SID);
            g_assert_cmphex(scn_rd64(s, REG_FRCD(j)) & 0xffffffffffffull,
                            ==, 0);
            seen[fr]++;
            faults++;
            scn_frcd_clear(s, j);
        }
        scn_wr32(s, REG_FSTS, FSTS_PFO);
        g_assert_cmphex(scn_fsts(s), ==, 0);
        scn_hook(s, SCN_AT_IR_FUZZ_ROUND, false);
    }
    for (unsigned fr = 0x20; fr <= 0x26; fr++) {
        g_test_message("reason 0x%x: %u", fr, seen[fr]);
        kinds += seen[fr] != 0;
    }
    g_assert_cmpuint(kinds, >=, 5);
    g_assert_cmpuint(faults, >=, 50);
    g_rand_free(r);

    /* a clean entry works */
    scn_irte_put(s, IRT_BASE, 1, scn_irte_lo(FUZZ_VEC),
                 IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID));
    scn_ir_enable(s, IRT_BASE | 3, false);
    scn_assert_remapped(s, scn_msi_remappable(1, false), 0, FUZZ_VEC, false);
    scn_assert_no_fault(s);
}

#endif
