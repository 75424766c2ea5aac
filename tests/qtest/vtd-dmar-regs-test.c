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
    uint32_t w[SNAP_WORDS];
    uint64_t cap = expected_cap(48, 8, false, true);
    uint64_t ecap = expected_ecap(true, true, false);

    /* the VT-d encoding of C, QI, IR, PT, IRO and MHMV, written out */
    g_assert_cmphex(ecap, ==, 0xf0104bull);
    dmar_snapshot(d, w);
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
            /* IM's reset value: see /vtd-dmar/regs/fectl-reset */
            continue;
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
    g_assert_cmphex(dmar_rd64(d, REG_CAP), ==, cap);
    g_assert_cmphex(dmar_rd64(d, REG_ECAP), ==, ecap);
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

#define WIN_MAX         0x2000          /* the window with nfr=256 */
#define WIN_BLOCK       64              /* bytes swept between checks */
#define FSTS_W1C        0x7du           /* PFO, AFO, APF, IQE, ICE, ITE */

/* What a write to each 32-bit word of the window may do */
typedef enum DwordKind {
    DW_HOLE,        /* no register there */
    DW_RO,          /* a read-only register (or one not offered) */
    DW_LIVE,        /* writable, write-1-to-clear or command bits */
} DwordKind;

typedef struct RegDef {
    unsigned off, size;
    bool ro;
} RegDef;

/* The fixed registers; the fault recording registers follow at 0x200 */
static const RegDef reg_defs[] = {
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

typedef struct Window {
    QDmar *d;
    unsigned size;                  /* bytes */
    uint32_t s0[WIN_MAX / 4];       /* the state, read 32 bits at a time */
    DwordKind kind[WIN_MAX / 4];
} Window;

static uint64_t acc_read(QDmar *d, unsigned off, unsigned size)
{
    uint64_t a = DMAR_BASE + off;

    switch (size) {
    case 1:
        return qtest_readb(d->qts, a);
    case 2:
        return qtest_readw(d->qts, a);
    case 4:
        return qtest_readl(d->qts, a);
    default:
        return qtest_readq(d->qts, a);
    }
}

static void acc_write(QDmar *d, unsigned off, unsigned size, uint64_t v)
{
    uint64_t a = DMAR_BASE + off;

    switch (size) {
    case 1:
        qtest_writeb(d->qts, a, v);
        break;
    case 2:
        qtest_writew(d->qts, a, v);
        break;
    case 4:
        qtest_writel(d->qts, a, v);
        break;
    default:
        qtest_writeq(d->qts, a, v);
        break;
    }
}

/* Does an access of SIZE bytes at OFF reach the registers? */
static bool acc_defined(unsigned off, unsigned size)
{
    return (size == 4 || size == 8) && off % 4 == 0;
}

/* ... and if it does, can a write there change anything? */
static bool acc_inert(const Window *w, unsigned off, unsigned size)
{
    if (!acc_defined(off, size)) {
        return true;
    }
    for (unsigned i = off / 4; i < (off + size) / 4; i++) {
        if (w->kind[i] == DW_LIVE) {
            return false;
        }
    }
    return true;
}

/*
 * The whole window in one qtest command: the memory core reads it 8
 * bytes at a time, so this relies on aligned 8-byte reads, which
 * win_init() checks against 4-byte ones.
 */
static void win_read(const Window *w, uint32_t *out)
{
    qtest_memread(w->d->qts, DMAR_BASE, out, w->size);
    for (unsigned i = 0; i < w->size / 4; i++) {
        out[i] = le32_to_cpu(out[i]);
    }
}

/* The window holds WANT; WHAT and OFF say what was just done */
static void win_assert(const Window *w, const uint32_t *want,
                       const char *what, unsigned off)
{
    uint32_t now[WIN_MAX / 4];

    win_read(w, now);
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
static void win_setup(QDmar *d, unsigned faults)
{
    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_P2, 1, PTE_W);
    dmar_wr32(d, REG_FEDATA, 0xbeef);
    dmar_wr32(d, REG_FEADDR, FE_MSG);
    dmar_wr32(d, REG_FEUADDR, 0x7);
    dmar_wr32(d, REG_IEDATA, 0x5678);
    dmar_wr32(d, REG_IEADDR, IE_MSG);
    dmar_wr32(d, REG_IEUADDR, 0x9);
    dmar_enable(d, ROOT_TABLE);
    for (unsigned i = 0; i < faults; i++) {
        dmar_dma_in(d, IOVA_C + i * 0x1000ull);
    }
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(dmar_rd32(d, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
    dmar_iotlb_inv(d, GRAN_DOMAIN, DOMAIN, 0);
    dmar_wr64(d, REG_IVA, 0x9876543000ull | IVA_AM(3));
    /* a masked completion event leaves ICS.IWC and IECTL.IP set */
    dmar_qi_enable(d, IQ_BASE, 1);
    dmar_qi_wait_if(d);
    g_assert_cmphex(dmar_rd32(d, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(dmar_rd32(d, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    dmar_gcmd_update(d, 0, GCMD_QIE);
    dmar_wr64(d, REG_IQT, 0);
    dmar_qi_enable(d, IQ_BASE, 2);
    dmar_ir_enable(d, IRT_BASE | 7, true);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS |
                    GSTS_QIES | GSTS_IRES | GSTS_IRTPS | GSTS_CFIS);
}

static void win_init(Window *w, QDmar *d, unsigned nfr)
{
    uint32_t fast[WIN_MAX / 4];

    w->d = d;
    w->size = ROUND_UP(REG_FRCD(nfr), 0x1000);
    g_assert_cmpuint(w->size, <=, WIN_MAX);
    for (unsigned i = 0; i < w->size / 4; i++) {
        w->s0[i] = dmar_rd32(d, i * 4);
        w->kind[i] = DW_HOLE;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(reg_defs); i++) {
        for (unsigned b = 0; b < reg_defs[i].size; b += 4) {
            w->kind[(reg_defs[i].off + b) / 4] =
                reg_defs[i].ro ? DW_RO : DW_LIVE;
        }
    }
    for (unsigned i = 0; i < nfr; i++) {
        /* read-only but for F (bit 63), which is RW1C */
        w->kind[REG_FRCD(i) / 4] = DW_RO;
        w->kind[REG_FRCD(i) / 4 + 1] = DW_RO;
        w->kind[REG_FRCD(i) / 4 + 2] = DW_RO;
        w->kind[REG_FRCD(i) / 4 + 3] = DW_LIVE;
    }
    win_read(w, fast);
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
static uint32_t wb32(const Window *w, unsigned off)
{
    uint32_t v = w->s0[off / 4];

    if (off == REG_GCMD) {
        return w->s0[REG_GSTS / 4] &
               (GSTS_TES | GSTS_QIES | GSTS_IRES | GSTS_CFIS);
    }
    if (off == REG_FSTS) {
        return v & ~FSTS_W1C;
    }
    if (off == REG_ICS) {
        return v & ~ICS_IWC;
    }
    if (off >= REG_FRCD(0) && off % 16 == 12) {
        return v & ~(uint32_t)(FRCD_F >> 32);
    }
    return v;
}

static uint64_t wb(const Window *w, unsigned off, unsigned size)
{
    return wb32(w, off) | (size == 8 ? (uint64_t)wb32(w, off + 4) << 32 : 0);
}

static const unsigned acc_sizes[] = { 1, 2, 4, 8 };

/* Every read: the registers' bytes, or 0. Returns the number done. */
static unsigned win_sweep_reads(const Window *w)
{
    unsigned n = 0;

    for (unsigned off = 0; off < w->size; off++) {
        for (unsigned k = 0; k < ARRAY_SIZE(acc_sizes); k++) {
            unsigned size = acc_sizes[k];
            uint64_t want = 0, got;

            if (off + size > w->size) {
                continue;
            }
            if (acc_defined(off, size)) {
                want = w->s0[off / 4];
                if (size == 8) {
                    want |= (uint64_t)w->s0[off / 4 + 1] << 32;
                }
            }
            got = acc_read(w->d, off, size);
            if (got != want) {
                g_test_message("%u-byte read at 0x%04x", size, off);
            }
            g_assert_cmphex(got, ==, want);
            n++;
        }
    }
    win_assert(w, w->s0, "the reads", 0);
    return n;
}

/*
 * Writes that must change nothing, of all ones and then all zeros: the
 * undefined ones everywhere, and the defined ones where only holes and
 * read-only registers are. Returns the number of (offset, size) done.
 */
static unsigned win_sweep_inert(const Window *w)
{
    unsigned n = 0;

    for (unsigned blk = 0; blk < w->size; blk += WIN_BLOCK) {
        for (unsigned off = blk; off < blk + WIN_BLOCK; off++) {
            for (unsigned k = 0; k < ARRAY_SIZE(acc_sizes); k++) {
                unsigned size = acc_sizes[k];

                if (off + size > w->size || !acc_inert(w, off, size)) {
                    continue;
                }
                acc_write(w->d, off, size, ~0ull);
                acc_write(w->d, off, size, 0);
                n++;
            }
        }
        win_assert(w, w->s0, "ignored writes in the block", blk);
    }
    return n;
}

/*
 * The other defined writes, each of the value that keeps the registers
 * as they are: every one reaches registers that act on it (commands,
 * RW1C bits, queue tail), and must do nothing more than a 4-byte write
 * of the same bits would. Returns the number done.
 */
static unsigned win_sweep_live(const Window *w)
{
    unsigned n = 0;

    for (unsigned blk = 0; blk < w->size; blk += WIN_BLOCK) {
        for (unsigned off = blk; off < blk + WIN_BLOCK; off += 4) {
            for (unsigned size = 4; size <= 8; size += 4) {
                if (off + size > w->size || acc_inert(w, off, size)) {
                    continue;
                }
                acc_write(w->d, off, size, wb(w, off, size));
                n++;
            }
        }
        win_assert(w, w->s0, "writes of the same values in the block", blk);
    }
    return n;
}

/*
 * Registers whose writable bits do nothing until a command uses them;
 * HAW: only the bits below the host address width are (the high word
 * of an address register whose bits 63:HAW are not implemented)
 */
typedef struct Writable {
    unsigned off;
    uint32_t mask;
    bool haw;
} Writable;

static const Writable writables[] = {
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
static unsigned win_writables(const Window *w)
{
    static const uint32_t patterns[] = { 0xffffffff, 0, 0x5aa5c33c };
    static const char *const how[] = {
        "4-byte write", "8-byte write (low half)", "8-byte write (high half)",
    };
    uint32_t want[WIN_MAX / 4];
    unsigned n = 0;

    for (unsigned i = 0; i < ARRAY_SIZE(writables); i++) {
        unsigned x = writables[i].off;
        uint32_t mask = writables[i].mask &
                        (writables[i].haw ? dmar_haw_mask(w->d) >> 32 : ~0u);

        for (unsigned p = 0; p < ARRAY_SIZE(patterns); p++) {
            uint32_t v = patterns[p];

            memcpy(want, w->s0, sizeof(want));
            want[x / 4] = (w->s0[x / 4] & ~mask) | (v & mask);
            for (unsigned r = 0; r < ARRAY_SIZE(how); r++) {
                switch (r) {
                case 0:
                    dmar_wr32(w->d, x, v);
                    break;
                case 1:
                    dmar_wr64(w->d, x, v | (uint64_t)wb32(w, x + 4) << 32);
                    break;
                default:
                    dmar_wr64(w->d, x - 4, wb32(w, x - 4) | (uint64_t)v << 32);
                    break;
                }
                win_assert(w, want, how[r], x);
                dmar_wr32(w->d, x, w->s0[x / 4]);
                n++;
            }
        }
        win_assert(w, w->s0, "restoring the word", x);
    }
    return n;
}

/*
 * Commands and RW1C bits through 8-byte accesses: GCMD as the low half
 * (with GSTS) and as the high half (with ECAP); F of a fault record
 * through the low half (with the next record), through a 64-bit write
 * and through a 4-byte one; ICS.IWC as the high half (with a hole).
 */
static void win_commands(const Window *w, unsigned faults)
{
    uint32_t keep = wb32(w, REG_GCMD);
    uint32_t want[WIN_MAX / 4];

    dmar_wr64(w->d, REG_GCMD, (keep & ~GCMD_TE) | 0xffffffff00000000ull);
    g_assert_cmphex(dmar_rd32(w->d, REG_GSTS), ==, w->s0[REG_GSTS / 4] &
                    ~GSTS_TES);
    dmar_wr64(w->d, REG_ECAP + 4, 0xffffffffull | (uint64_t)keep << 32);
    win_assert(w, w->s0, "translation off and on again", REG_GCMD);

    memcpy(want, w->s0, sizeof(want));
    /* record 0: the low half; the high one is record 1's (read-only) */
    dmar_wr64(w->d, REG_FRCD(0) + 12, 0xffffffff80000000ull);
    want[REG_FRCD(0) / 4 + 3] &= ~(uint32_t)(FRCD_F >> 32);
    win_assert(w, want, "clearing F", REG_FRCD(0) + 12);
    /* record 1: one 64-bit write */
    dmar_wr64(w->d, REG_FRCD(1) + 8, FRCD_F);
    want[REG_FRCD(1) / 4 + 3] &= ~(uint32_t)(FRCD_F >> 32);
    win_assert(w, want, "clearing F", REG_FRCD(1) + 8);
    /* record 2: 4 bytes */
    dmar_frcd_clear(w->d, 2);
    want[REG_FRCD(2) / 4 + 3] &= ~(uint32_t)(FRCD_F >> 32);
    win_assert(w, want, "clearing F", REG_FRCD(2) + 12);
    if (w->size > 0x1000) {
        /* the last record below 4 KiB, with the first one above it */
        unsigned last = (0x1000 - REG_FRCD(0)) / 16 - 1;

        g_assert_cmpuint(faults, >, last + 1);
        dmar_wr64(w->d, REG_FRCD(last) + 12, 0xffffffff80000000ull);
        want[REG_FRCD(last) / 4 + 3] &= ~(uint32_t)(FRCD_F >> 32);
        win_assert(w, want, "clearing F", REG_FRCD(last) + 12);
    }
    for (unsigned i = 3; i < faults; i++) {
        dmar_frcd_clear(w->d, i);
    }
    g_assert_cmphex(dmar_fsts(w->d), ==, 0);
    g_assert_cmphex(dmar_rd32(w->d, REG_FECTL), ==, FECTL_IM);
    dmar_wr64(w->d, REG_ICS - 4, (uint64_t)ICS_IWC << 32);
    g_assert_cmphex(dmar_rd32(w->d, REG_ICS), ==, 0);
    g_assert_cmphex(dmar_rd32(w->d, REG_IECTL), ==, IECTL_IM);
}

static void test_access_width(const void *opaque)
{
    const unsigned *nfr = opaque;
    /* with nfr=256, faults in records on both sides of 4 KiB */
    unsigned faults = *nfr > 8 ? 226 : 4;
    g_autofree char *props = g_strdup_printf("nfr=%u", *nfr);
    g_autofree Window *w = g_new0(Window, 1);
    QDmar *d = dmar_boot(props);
    unsigned reads, inert, live, writables_done;

    win_setup(d, faults);
    win_init(w, d, *nfr);
    reads = win_sweep_reads(w);
    inert = win_sweep_inert(w);
    live = win_sweep_live(w);
    writables_done = win_writables(w);
    g_test_message("%u-byte window: %u reads, %u ignored and %u defined "
                   "writes, %u writes with an effect", w->size, reads,
                   inert, live, writables_done);
    /* every offset was read with every size that fits, and written */
    g_assert_cmpuint(reads, ==, 4 * w->size - 1 - 3 - 7);
    g_assert_cmpuint(inert + live, ==, reads);
    win_commands(w, faults);

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
