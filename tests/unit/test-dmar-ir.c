/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for vtd-dmar interrupt remapping (dmar-ir.c), written
 * against the Intel VT-d specification rather than against the code:
 * the remappable-format MSI request (VT-d §5.1.2.2), the interrupt
 * remapping table entry in remapped format (§9.9), source-id
 * verification (SVT/SQ) and the interrupt-remapping fault reasons and
 * their qualification by FPD (§5.1.4.1).
 *
 * Expected values come from the layouts as the specification gives them
 * (the SPEC_*, MSI_*, LO_* and HI_* definitions and the ref_*() reference
 * below), never from the module's FIELD() definitions or masks. Guest
 * memory is the shared sparse fake (dmar-fake-mem.h), which fails for
 * unbacked addresses and counts the reads that stray from the one IRTE a
 * request may fetch.
 */

#include "qemu/osdep.h"
#include "dmar-ir.h"
#include "qemu/bswap.h"
#include "dmar-test-util.h"
#include "dmar-fake-mem.h"

#define PAGE_SIZE_4K        4096ull
#define PAGE_MASK_4K        (PAGE_SIZE_4K - 1)
#define IRTE_SIZE           16ull

#define TABLE_BASE          0x123456000ull  /* above 4 GiB on purpose */
#define POISON              0xa5
#define RANDOM_SEED         0x1d7e5eedu
#define RANDOM_ITERATIONS   10000

/* Bits HI..LO of a 64-bit word, both included. */
#define SPEC_BITS(hi, lo)   ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))
#define SPEC_BIT(n)         (1ull << (n))

/* Remappable-format MSI address, §5.1.2.2 */
#define MSI_BASE            0xfee00000ull
#define MSI_FORMAT          SPEC_BIT(4)     /* 1: remappable format */
#define MSI_SHV             SPEC_BIT(3)     /* subhandle valid */
#define MSI_HANDLE15        SPEC_BIT(2)     /* handle[15] */
#define MSI_HANDLE_SHIFT    5               /* handle[14:0] in 19:5 */
#define MSI_DONT_CARE       SPEC_BITS(1, 0)

/* IRTE in remapped format, §9.9: the low quadword (bits 63:0) */
#define LO_P                SPEC_BIT(0)
#define LO_FPD              SPEC_BIT(1)
#define LO_DM               SPEC_BIT(2)
#define LO_RH               SPEC_BIT(3)
#define LO_TM               SPEC_BIT(4)
#define LO_DLM(v)           ((uint64_t)(v) << 5)            /* 7:5 */
#define LO_AVAIL(v)         ((uint64_t)(v) << 8)            /* 11:8 */
#define LO_IM               SPEC_BIT(15)
#define LO_VECTOR(v)        ((uint64_t)(v) << 16)           /* 23:16 */
#define LO_DST(v)           ((uint64_t)(v) << 32)           /* 63:32 */
#define LO_XDST(id)         LO_DST((uint64_t)(id) << 8)     /* DST 15:8 */

/* ... and the high quadword (bits 127:64) */
#define HI_SID(v)           ((uint64_t)(v))                 /* 79:64 */
#define HI_SQ(v)            ((uint64_t)(v) << 16)           /* 81:80 */
#define HI_SVT(v)           ((uint64_t)(v) << 18)           /* 83:82 */

/* Reserved: always, in xAPIC mode (DST 7:0 and 31:16), and in hi */
#define SPEC_LO_RSVD        (SPEC_BITS(14, 12) | SPEC_BITS(31, 24))
#define SPEC_LO_XAPIC_RSVD  (SPEC_BITS(39, 32) | SPEC_BITS(63, 48))
#define SPEC_HI_RSVD        SPEC_BITS(63, 20)

/* Interrupt-remapping fault reasons, §5.1.4.1 */
#define FR_OK               0x00
#define FR_REQ_RSVD         0x20
#define FR_INDEX            0x21
#define FR_NOT_PRESENT      0x22
#define FR_ACCESS           0x23
#define FR_RSVD             0x24
#define FR_SID              0x26

/* Requester ids */
#define SID(bus, dev, fn)   ((uint16_t)((bus) << 8 | (dev) << 3 | (fn)))

/* ---- The specification's reading of requests and IRTEs ---- */

typedef struct RefOut {
    uint8_t fr;             /* FR_OK: remapped into irq */
    bool fpd;
    DmarIrq irq;
} RefOut;

static uint32_t ref_index(uint64_t addr, uint32_t data)
{
    uint32_t handle = (addr >> MSI_HANDLE_SHIFT) & 0x7fff;

    if (addr & MSI_HANDLE15) {
        handle |= 0x8000;
    }
    if (addr & MSI_SHV) {
        return handle + (data & 0xffff);    /* may exceed 0xffff */
    }
    return handle;
}

/*
 * SVT/SQ, spelled out per bus, device and function: SQ says how many of
 * the low function bits are left out of the comparison.
 */
static bool ref_sid_ok(unsigned svt, unsigned sq, uint16_t want,
                       uint16_t sid)
{
    static const unsigned fn_compared[4] = { 7, 3, 1, 0 };
    unsigned bus = sid >> 8, dev = (sid >> 3) & 0x1f, fn = sid & 7;
    unsigned wbus = want >> 8, wdev = (want >> 3) & 0x1f, wfn = want & 7;
    unsigned first_bus = want >> 8, last_bus = want & 0xff;

    switch (svt) {
    case 0:
        return true;
    case 1:
        return bus == wbus && dev == wdev &&
               (fn & fn_compared[sq]) == (wfn & fn_compared[sq]);
    case 2:
        return bus >= first_bus && bus <= last_bus;
    default:
        g_assert_not_reached();
    }
}

static void ref_check(bool eime, uint64_t lo, uint64_t hi, uint16_t sid,
                      RefOut *o)
{
    bool fpd = lo & LO_FPD;
    unsigned svt = (hi >> 18) & 3, sq = (hi >> 16) & 3;
    uint64_t lo_rsvd = SPEC_LO_RSVD | LO_IM;

    memset(o, 0, sizeof(*o));
    if (!eime) {
        lo_rsvd |= SPEC_LO_XAPIC_RSVD;
    }
    if (!(lo & LO_P)) {
        o->fr = FR_NOT_PRESENT;
    } else if ((lo & lo_rsvd) || (hi & SPEC_HI_RSVD) || svt == 3) {
        o->fr = FR_RSVD;
    } else if (!ref_sid_ok(svt, sq, hi & 0xffff, sid)) {
        o->fr = FR_SID;
    }
    if (o->fr != FR_OK) {
        o->fpd = fpd;
        return;
    }
    o->irq.dest = eime ? lo >> 32 : (lo >> 40) & 0xff;
    o->irq.vector = (lo >> 16) & 0xff;
    o->irq.delivery_mode = (lo >> 5) & 7;
    o->irq.dest_mode = lo & LO_DM;
    o->irq.redir_hint = lo & LO_RH;
    o->irq.trigger_level = lo & LO_TM;
}

/* The whole remap, for an IRTE that is (BACKED) or is not readable. */
static void ref_remap(bool eime, uint32_t entries, uint32_t index,
                      bool backed, uint64_t lo, uint64_t hi, uint16_t sid,
                      RefOut *o)
{
    if (index >= entries || !backed) {
        memset(o, 0, sizeof(*o));
        o->fr = index >= entries ? FR_INDEX : FR_ACCESS;
        return;
    }
    ref_check(eime, lo, hi, sid, o);
}

static uint64_t msi_addr(uint32_t handle, bool shv)
{
    g_assert_cmphex(handle, <=, 0xffff);
    return MSI_BASE | MSI_FORMAT | (shv ? MSI_SHV : 0) |
           (handle & 0x8000 ? MSI_HANDLE15 : 0) |
           (uint64_t)(handle & 0x7fff) << MSI_HANDLE_SHIFT;
}

/* ---- Fake guest memory (dmar-fake-mem.h) ---- */

/* ---- A table and the checks of one request ---- */

typedef struct IrEnv {
    FakeMem mem;
    DmarIrtaConfig irta;
} IrEnv;

static void env_init(IrEnv *e, unsigned s, bool eime)
{
    g_assert_cmpuint(s, <=, 15);
    fake_mem_init(&e->mem);
    e->irta = (DmarIrtaConfig) {
        .base = TABLE_BASE,
        .entries = 2u << s,                 /* 2^(S + 1) */
        .haw = 48,                          /* far above the table */
        .eime = eime,
    };
}

static void env_destroy(IrEnv *e)
{
    fake_mem_destroy(&e->mem);
}

static uint64_t irte_gpa(const IrEnv *e, uint32_t index)
{
    return e->irta.base + (uint64_t)index * IRTE_SIZE;
}

/* Store an IRTE, little-endian, backing its page. */
static void env_put(IrEnv *e, uint32_t index, uint64_t lo, uint64_t hi)
{
    uint64_t gpa = irte_gpa(e, index);

    fake_poke64(&e->mem, gpa, lo);
    fake_poke64(&e->mem, gpa + 8, hi);
}

static void assert_irq(const DmarIrq *got, const DmarIrq *want)
{
    g_assert_cmphex(got->dest, ==, want->dest);
    g_assert_cmphex(got->vector, ==, want->vector);
    g_assert_cmpuint(got->delivery_mode, ==, want->delivery_mode);
    g_assert_cmpint(got->dest_mode, ==, want->dest_mode);
    g_assert_cmpint(got->redir_hint, ==, want->redir_hint);
    g_assert_cmpint(got->trigger_level, ==, want->trigger_level);
}

/*
 * Remap (ADDR, DATA) from SID through E, expecting WANT; a request with
 * data bits 31:16 set (reserved in the remappable format, §5.1.2.2) must
 * instead fault 0x20 before any table access.
 */
static void check_remap(IrEnv *e, uint64_t addr, uint32_t data,
                        uint16_t sid, const RefOut *want_in)
{
    uint32_t index = ref_index(addr, data);
    RefOut rsvd = { .fr = FR_REQ_RSVD };
    const RefOut *want = (data & 0xffff0000u) ? &rsvd : want_in;
    DmarIrq irq;
    DmarIrFault fault;
    bool ok;

    memset(&irq, POISON, sizeof(irq));
    memset(&fault, POISON, sizeof(fault));
    fake_set_window(&e->mem, irte_gpa(e, index), IRTE_SIZE);
    ok = dmar_ir_remap(&e->irta, addr, data, sid,
                       &(DmarMem){ &fake_mem_ops, &e->mem }, &irq, &fault);
    g_assert_cmpuint(e->mem.stray_reads, ==, 0);
    if (want->fr == FR_INDEX || want->fr == FR_REQ_RSVD) {
        g_assert_cmpuint(e->mem.reads, ==, 0);
    } else {
        g_assert_cmpuint(e->mem.reads, >=, 1);
    }
    if (want->fr == FR_OK) {
        g_assert_true(ok);
        g_assert_cmphex(fault.fr, ==, 0);
        assert_irq(&irq, &want->irq);
    } else {
        g_assert_false(ok);
        g_assert_cmphex(fault.fr, ==, want->fr);
        g_assert_cmphex(fault.index, ==, index);
        g_assert_cmpint(fault.fpd, ==, want->fpd);
    }
}

/* dmar_irte_check() on an IRTE already fetched, expecting WANT. */
static void check_irte(bool eime, uint64_t lo, uint64_t hi, uint16_t sid,
                       const RefOut *want)
{
    DmarIrtaConfig irta = {
        .base = TABLE_BASE, .entries = 256, .eime = eime,
    };
    DmarIrq irq;
    DmarIrFault fault;
    bool ok;

    memset(&irq, POISON, sizeof(irq));
    memset(&fault, POISON, sizeof(fault));
    ok = dmar_irte_check(&irta, lo, hi, sid, &irq, &fault);
    if (want->fr == FR_OK) {
        g_assert_true(ok);
        assert_irq(&irq, &want->irq);
    } else {
        g_assert_false(ok);
        g_assert_cmphex(fault.fr, ==, want->fr);
        g_assert_cmpint(fault.fpd, ==, want->fpd);
    }
}

/* Store LO/HI at INDEX of a fresh table and check both entry points. */
static void check_entry(bool eime, uint64_t lo, uint64_t hi, uint16_t sid,
                        const RefOut *want)
{
    IrEnv e;
    const uint32_t index = 0x1a5;

    env_init(&e, 8, eime);
    env_put(&e, index, lo, hi);
    check_remap(&e, msi_addr(index, false), 0, sid, want);
    check_remap(&e, msi_addr(0x100, true), 0xa5, sid, want);
    env_destroy(&e);
    check_irte(eime, lo, hi, sid, want);
}

/* ---- The fake itself ---- */

/* ---- Index decode, §5.1.3 ---- */

typedef struct IndexCase {
    const char *name;
    uint64_t addr;
    uint32_t data;
    uint32_t index;
} IndexCase;

/* Addresses written out by hand: 0xfee in 31:20, format bit 4 set. */
static const IndexCase index_cases[] = {
    { "zero", 0xfee00010ull, 0, 0 },
    { "handle-bit0", 0xfee00030ull, 0, 0x0001 },
    { "handle-bit1", 0xfee00050ull, 0, 0x0002 },
    { "handle-bit14", 0xfee80010ull, 0, 0x4000 },
    { "handle-14-0", 0xfeeffff0ull, 0, 0x7fff },
    { "handle-bit15", 0xfee00014ull, 0, 0x8000 },
    { "handle-max", 0xfeeffff4ull, 0, 0xffff },
    { "handle-mixed", 0xfee4b874ull, 0, 0xa5c3 },
    { "dont-care-bits", 0xfee00033ull, 0, 0x0001 },
    { "shv0-data-ignored", 0xfee00030ull, 0xffffffffu, 0x0001 },
    { "shv0-data-low-ignored", 0xfee4b874ull, 0x1234, 0xa5c3 },
    { "shv0-max-data", 0xfeeffff4ull, 0xffff, 0xffff },
    { "shv1-sub0", 0xfee00038ull, 0, 0x0001 },
    { "shv1-handle0", 0xfee00018ull, 0x0042, 0x0042 },
    { "shv1-sum", 0xfee02018ull, 0x0023, 0x0123 },
    { "shv1-data-hi-ignored", 0xfee02018ull, 0xffff0023u, 0x0123 },
    { "shv1-sub-max", 0xfee00018ull, 0xffff, 0xffff },
    { "shv1-carry-bit15", 0xfeeffff8ull, 0x0001, 0x8000 },
    { "shv1-handle15", 0xfee0001cull, 0x0005, 0x8005 },
    { "shv1-overflow-min", 0xfeeffffcull, 0x0001, 0x10000 },
    { "shv1-overflow-halves", 0xfee0001cull, 0x8000, 0x10000 },
    { "shv1-overflow-max", 0xfeeffffcull, 0xffff, 0x1fffe },
    { "shv1-overflow-hi-data", 0xfeeffffcull, 0xabcdffffu, 0x1fffe },
};

static void test_index(gconstpointer opaque)
{
    const IndexCase *c = opaque;

    /* the reference agrees with the hand-made address */
    g_assert_cmphex(ref_index(c->addr, c->data), ==, c->index);
    g_assert_cmphex(dmar_ir_index(c->addr, c->data), ==, c->index);
}

/* Every handle, with and without subhandles, against the reference. */
static void test_index_all(void)
{
    static const uint32_t subs[] = { 0, 1, 0x7fff, 0x8000, 0xffff };
    uint32_t h;

    for (h = 0; h <= 0xffff; h++) {
        uint64_t addr = msi_addr(h, false);

        g_assert_cmphex(dmar_ir_index(addr, 0), ==, h);
        g_assert_cmphex(dmar_ir_index(addr, 0xffffffffu), ==, h);
        g_assert_cmphex(dmar_ir_index(addr | MSI_DONT_CARE, h), ==, h);
        for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
            uint32_t data = (h << 16) | subs[i];

            addr = msi_addr(h, true);
            g_assert_cmphex(dmar_ir_index(addr, data), ==, h + subs[i]);
        }
    }
}

/* Indices past 0xffff never reach the table, even at its largest. */
static void test_index_overflow(void)
{
    IrEnv e;
    RefOut want;
    uint64_t lo = LO_P | LO_VECTOR(0x77) | LO_DST(0xfeedbeef);

    env_init(&e, 15, true);
    env_put(&e, 0xffff, lo, 0);
    env_put(&e, 0x10000, lo, 0);      /* just past the table: never read */
    env_put(&e, 0xfffe, lo | LO_FPD, 0);
    ref_check(true, lo, 0, 0, &want);
    check_remap(&e, msi_addr(0xffff, false), 0xffff, 0, &want);
    check_remap(&e, msi_addr(0xffff, true), 0, 0, &want);
    check_remap(&e, msi_addr(0x8000, true), 0x7fff, 0, &want);
    ref_remap(true, e.irta.entries, 0x10000, true, lo, 0, 0, &want);
    g_assert_cmphex(want.fr, ==, FR_INDEX);
    check_remap(&e, msi_addr(0xffff, true), 1, 0, &want);
    check_remap(&e, msi_addr(0x8000, true), 0x8000, 0, &want);
    check_remap(&e, msi_addr(0xffff, true), 0xffff, 0, &want);
    check_remap(&e, msi_addr(0x0001, true), 0xffff, 0, &want);
    env_destroy(&e);
}

/* ---- Table size, IRTA.S ---- */

typedef struct SizeCase {
    const char *name;
    unsigned s;
    char buf[8];
} SizeCase;

static SizeCase size_cases[16];

/* Entry I of the size tables: distinct in every field. */
static uint64_t size_lo(uint32_t i)
{
    return LO_P | LO_DLM(i % 8) | LO_VECTOR(i & 0xff) |
           LO_DST(0xc0000000u | i);
}

static void test_size(gconstpointer opaque)
{
    const SizeCase *c = opaque;
    const uint32_t entries = 2u << c->s;
    uint32_t last = entries - 1, half = entries / 2;
    RefOut ok_first, ok_last, past;
    IrEnv e;
    uint32_t i;

    env_init(&e, c->s, true);
    g_assert_cmpuint(e.irta.entries, ==, entries);
    /* The whole table, and a valid entry just past it. */
    for (i = 0; i <= entries; i++) {
        env_put(&e, i, size_lo(i) | (i == entries ? LO_FPD : 0), 0);
    }
    ref_check(true, size_lo(0), 0, 0, &ok_first);
    ref_check(true, size_lo(last), 0, 0, &ok_last);
    g_assert_cmphex(ok_last.irq.dest, ==, 0xc0000000u | last);
    ref_remap(true, entries, entries, true, size_lo(entries), 0, 0, &past);

    check_remap(&e, msi_addr(0, false), 0, 0, &ok_first);
    check_remap(&e, msi_addr(0, true), 0, 0, &ok_first);
    check_remap(&e, msi_addr(last, false), 0xffffffffu, 0, &ok_last);
    check_remap(&e, msi_addr(last, true), 0xffff0000u, 0, &ok_last);
    check_remap(&e, msi_addr(half, true), half - 1, 0, &ok_last);
    check_remap(&e, msi_addr(0, true), last, 0, &ok_last);
    if (entries <= 0xffff) {
        check_remap(&e, msi_addr(entries, false), 0, 0, &past);
        check_remap(&e, msi_addr(0xffff, false), 0, 0, &past);
    } else {
        check_remap(&e, msi_addr(0xffff, true), 1, 0, &past);
    }
    check_remap(&e, msi_addr(half, true), half, 0, &past);
    check_remap(&e, msi_addr(last, true), 1, 0, &past);
    check_remap(&e, msi_addr(0xffff, true), 0xffff, 0, &past);
    env_destroy(&e);
}

/* ---- Table access, 0x23 ---- */

static void test_access(void)
{
    uint64_t lo = LO_P | LO_FPD | LO_VECTOR(0x40) | LO_XDST(0x12);
    RefOut want, fail;
    IrEnv e;

    /* 1024 entries over four pages, only the first of which is backed */
    env_init(&e, 9, false);
    env_put(&e, 0, lo, 0);
    env_put(&e, 255, lo, 0);
    ref_check(false, lo, 0, 0, &want);
    ref_remap(false, 1024, 256, false, lo, 0, 0, &fail);
    g_assert_cmphex(fail.fr, ==, FR_ACCESS);
    g_assert_false(fail.fpd);
    check_remap(&e, msi_addr(0, false), 0, 0, &want);
    check_remap(&e, msi_addr(255, false), 0, 0, &want);
    check_remap(&e, msi_addr(256, false), 0, 0, &fail);
    check_remap(&e, msi_addr(255, true), 1, 0, &fail);
    check_remap(&e, msi_addr(1023, false), 0, 0, &fail);
    env_destroy(&e);

    /* nothing backed at all: reads fail, but the size check comes first */
    env_init(&e, 0, true);
    check_remap(&e, msi_addr(0, false), 0, 0, &fail);
    check_remap(&e, msi_addr(1, false), 0, 0, &fail);
    ref_remap(true, 2, 2, false, 0, 0, 0, &want);
    g_assert_cmphex(want.fr, ==, FR_INDEX);
    check_remap(&e, msi_addr(2, false), 0, 0, &want);
    env_destroy(&e);
}

/* ---- Reserved bits, one at a time ---- */

typedef struct BitCase {
    const char *name;
    bool eime;
    bool hi;                /* the bit is in the high quadword */
    unsigned bit;
    char buf[32];
} BitCase;

static BitCase bit_cases[2][2][64];

/* What flipping BIT of a valid IRTE does, straight from §9.9. */
static uint8_t bit_effect(bool eime, bool hi, unsigned bit)
{
    if (hi) {
        /* SID 15:0, SQ 17:16, SVT 19:18 are all fine for SID 0 */
        return bit >= 20 ? FR_RSVD : FR_OK;
    }
    if (bit == 0) {
        return FR_NOT_PRESENT;
    }
    if ((bit >= 12 && bit <= 14) || bit == 15 || (bit >= 24 && bit <= 31)) {
        return FR_RSVD;                 /* 14:12, IM, 31:24 */
    }
    if (!eime && ((bit >= 32 && bit <= 39) || bit >= 48)) {
        return FR_RSVD;                 /* DST 7:0 and 31:16 */
    }
    return FR_OK;
}

static void test_one_bit(gconstpointer opaque)
{
    const BitCase *c = opaque;
    uint64_t base = LO_P | LO_DLM(1) | LO_VECTOR(0x31) |
                    (c->eime ? LO_DST(0x00a50000) : LO_XDST(0x42));
    uint8_t fr = bit_effect(c->eime, c->hi, c->bit);

    for (int fpd = 0; fpd <= 1; fpd++) {
        uint64_t lo = base | (fpd ? LO_FPD : 0), hi = 0;
        RefOut want;

        if (c->hi) {
            hi ^= SPEC_BIT(c->bit);
        } else {
            lo ^= SPEC_BIT(c->bit);
        }
        ref_check(c->eime, lo, hi, 0x0000, &want);
        g_assert_cmphex(want.fr, ==, fr);
        if (fr != FR_OK) {
            g_assert_cmpint(want.fpd, ==, !!(lo & LO_FPD));
        }
        check_entry(c->eime, lo, hi, 0x0000, &want);
    }
}

/* Every reserved bit at once, and all but the reserved ones. */
static void test_rsvd_all(void)
{
    for (int eime = 0; eime <= 1; eime++) {
        uint64_t rsvd = SPEC_LO_RSVD | (eime ? 0 : SPEC_LO_XAPIC_RSVD);
        uint64_t valid_lo = ~(rsvd | LO_IM);
        uint64_t valid_hi = ~SPEC_HI_RSVD & ~HI_SVT(1);   /* SVT 2 */
        uint16_t sid = SID(0xff, 0x1f, 7);
        RefOut want;

        ref_check(eime, valid_lo, valid_hi, sid, &want);
        g_assert_cmphex(want.fr, ==, FR_OK);
        check_entry(eime, valid_lo, valid_hi, sid, &want);
        ref_check(eime, valid_lo | rsvd, valid_hi, sid, &want);
        g_assert_cmphex(want.fr, ==, FR_RSVD);
        check_entry(eime, valid_lo | rsvd, valid_hi, sid, &want);
        ref_check(eime, valid_lo, ~0ull & ~HI_SVT(1), sid, &want);
        g_assert_cmphex(want.fr, ==, FR_RSVD);
        check_entry(eime, valid_lo, ~0ull & ~HI_SVT(1), sid, &want);
        ref_check(eime, ~0ull, ~0ull, sid, &want);
        g_assert_cmphex(want.fr, ==, FR_RSVD);
        check_entry(eime, ~0ull, ~0ull, sid, &want);
    }
}

/* ---- Posted format (IM) and SVT 3 ---- */

static void test_im(void)
{
    for (int eime = 0; eime <= 1; eime++) {
        for (int fpd = 0; fpd <= 1; fpd++) {
            uint64_t lo = LO_P | LO_IM | LO_VECTOR(0x55) |
                          (fpd ? LO_FPD : 0);
            RefOut want = { .fr = FR_RSVD, .fpd = fpd };

            check_entry(eime, lo, 0, 0x1234, &want);
            check_entry(eime, lo | LO_DST(0x12345678), 0, 0x1234, &want);
            check_entry(eime, lo, HI_SVT(1) | HI_SID(0x1234), 0x1234,
                        &want);
        }
    }
}

static void test_svt3(void)
{
    for (int eime = 0; eime <= 1; eime++) {
        for (unsigned sq = 0; sq < 4; sq++) {
            for (int fpd = 0; fpd <= 1; fpd++) {
                uint64_t lo = LO_P | LO_VECTOR(0x66) | (fpd ? LO_FPD : 0);
                uint64_t hi = HI_SVT(3) | HI_SQ(sq) | HI_SID(0x0808);
                RefOut want = { .fr = FR_RSVD, .fpd = fpd };

                check_entry(eime, lo, hi, 0x0808, &want);
                check_entry(eime, lo, hi, 0x0000, &want);
                check_entry(eime, lo, hi, 0xffff, &want);
            }
        }
    }
}

/* ---- Source-id verification ---- */

typedef struct SidCase {
    const char *name;
    unsigned svt;
    unsigned sq;
    uint16_t irte_sid;
    uint16_t sid;           /* the requester */
    bool ok;
} SidCase;

static const SidCase sid_cases[] = {
    /* SVT 0: no verification, SQ and SID ignored */
    { "none-same", 0, 0, SID(3, 4, 5), SID(3, 4, 5), true },
    { "none-other", 0, 0, SID(3, 4, 5), SID(0x80, 0, 0), true },
    { "none-sq3", 0, 3, SID(0, 0, 0), SID(0xff, 0x1f, 7), true },
    { "none-all-ones", 0, 2, 0xffff, 0x0000, true },
    /* SVT 1, SQ 0: all 16 bits */
    { "sid-sq0-match", 1, 0, SID(3, 4, 5), SID(3, 4, 5), true },
    { "sid-sq0-match-zero", 1, 0, 0x0000, 0x0000, true },
    { "sid-sq0-match-max", 1, 0, 0xffff, 0xffff, true },
    { "sid-sq0-fn-bit0", 1, 0, SID(3, 4, 5), SID(3, 4, 4), false },
    { "sid-sq0-fn-bit1", 1, 0, SID(3, 4, 5), SID(3, 4, 7), false },
    { "sid-sq0-fn-bit2", 1, 0, SID(3, 4, 5), SID(3, 4, 1), false },
    { "sid-sq0-dev-bit0", 1, 0, SID(3, 4, 5), SID(3, 5, 5), false },
    { "sid-sq0-dev-bit4", 1, 0, SID(3, 4, 5), SID(3, 0x14, 5), false },
    { "sid-sq0-bus-bit0", 1, 0, SID(3, 4, 5), SID(2, 4, 5), false },
    { "sid-sq0-bus-bit7", 1, 0, SID(3, 4, 5), SID(0x83, 4, 5), false },
    /* SVT 1, SQ 1: function bit 2 ignored */
    { "sid-sq1-match", 1, 1, SID(3, 4, 5), SID(3, 4, 5), true },
    { "sid-sq1-fn-bit2", 1, 1, SID(3, 4, 5), SID(3, 4, 1), true },
    { "sid-sq1-fn-bit2-set", 1, 1, SID(3, 4, 0), SID(3, 4, 4), true },
    { "sid-sq1-fn-bit1", 1, 1, SID(3, 4, 5), SID(3, 4, 7), false },
    { "sid-sq1-fn-bit0", 1, 1, SID(3, 4, 5), SID(3, 4, 4), false },
    { "sid-sq1-fn-bits2-1", 1, 1, SID(3, 4, 5), SID(3, 4, 3), false },
    { "sid-sq1-dev", 1, 1, SID(3, 4, 5), SID(3, 5, 1), false },
    { "sid-sq1-bus", 1, 1, SID(3, 4, 5), SID(4, 4, 5), false },
    /* SVT 1, SQ 2: function bits 2:1 ignored */
    { "sid-sq2-match", 1, 2, SID(3, 4, 5), SID(3, 4, 5), true },
    { "sid-sq2-fn-bit2", 1, 2, SID(3, 4, 5), SID(3, 4, 1), true },
    { "sid-sq2-fn-bit1", 1, 2, SID(3, 4, 5), SID(3, 4, 7), true },
    { "sid-sq2-fn-bits2-1", 1, 2, SID(3, 4, 5), SID(3, 4, 3), true },
    { "sid-sq2-fn-bit0", 1, 2, SID(3, 4, 5), SID(3, 4, 4), false },
    { "sid-sq2-fn-all", 1, 2, SID(3, 4, 5), SID(3, 4, 2), false },
    { "sid-sq2-dev", 1, 2, SID(3, 4, 5), SID(3, 6, 5), false },
    { "sid-sq2-bus", 1, 2, SID(3, 4, 5), SID(0xff, 4, 5), false },
    /* SVT 1, SQ 3: function bits 2:0 ignored */
    { "sid-sq3-match", 1, 3, SID(3, 4, 5), SID(3, 4, 5), true },
    { "sid-sq3-fn0", 1, 3, SID(3, 4, 5), SID(3, 4, 0), true },
    { "sid-sq3-fn7", 1, 3, SID(3, 4, 5), SID(3, 4, 7), true },
    { "sid-sq3-fn2", 1, 3, SID(3, 4, 5), SID(3, 4, 2), true },
    { "sid-sq3-dev-bit0", 1, 3, SID(3, 4, 5), SID(3, 5, 5), false },
    { "sid-sq3-dev-below", 1, 3, SID(3, 4, 0), SID(3, 3, 7), false },
    { "sid-sq3-dev-above", 1, 3, SID(3, 4, 7), SID(3, 5, 0), false },
    { "sid-sq3-bus", 1, 3, SID(3, 4, 5), SID(0x43, 4, 5), false },
    /* SVT 2: requester bus within [SID 15:8, SID 7:0], SQ ignored */
    { "bus-first", 2, 0, 0x1020, SID(0x10, 0, 0), true },
    { "bus-last", 2, 0, 0x1020, SID(0x20, 0x1f, 7), true },
    { "bus-inside", 2, 0, 0x1020, SID(0x17, 3, 2), true },
    { "bus-below", 2, 0, 0x1020, SID(0x0f, 0x1f, 7), false },
    { "bus-above", 2, 0, 0x1020, SID(0x21, 0, 0), false },
    { "bus-far-below", 2, 0, 0x1020, SID(0x00, 0, 0), false },
    { "bus-far-above", 2, 0, 0x1020, SID(0xff, 0x1f, 7), false },
    { "bus-devfn-not-compared", 2, 0, 0x1020, SID(0x10, 0x10, 0x1), true },
    { "bus-sq3-first", 2, 3, 0x1020, SID(0x10, 0, 0), true },
    { "bus-sq3-above", 2, 3, 0x1020, SID(0x21, 0, 0), false },
    { "bus-sq1-below", 2, 1, 0x1020, SID(0x0f, 0, 0), false },
    { "bus-single", 2, 0, 0x4242, SID(0x42, 7, 7), true },
    { "bus-single-below", 2, 0, 0x4242, SID(0x41, 7, 7), false },
    { "bus-single-above", 2, 0, 0x4242, SID(0x43, 7, 7), false },
    { "bus-all-0", 2, 0, 0x00ff, SID(0x00, 0, 0), true },
    { "bus-all-ff", 2, 2, 0x00ff, SID(0xff, 0x1f, 7), true },
    { "bus-zero-only", 2, 0, 0x0000, SID(0x00, 0x1f, 7), true },
    { "bus-zero-only-1", 2, 0, 0x0000, SID(0x01, 0, 0), false },
    { "bus-ff-only", 2, 0, 0xffff, SID(0xff, 0, 0), true },
    { "bus-ff-only-fe", 2, 0, 0xffff, SID(0xfe, 0x1f, 7), false },
    { "bus-empty-start", 2, 0, 0x2010, SID(0x20, 0, 0), false },
    { "bus-empty-end", 2, 0, 0x2010, SID(0x10, 0, 0), false },
    { "bus-empty-mid", 2, 0, 0x2010, SID(0x18, 0, 0), false },
};

static void test_sid(gconstpointer opaque)
{
    const SidCase *c = opaque;

    g_assert_cmpint(ref_sid_ok(c->svt, c->sq, c->irte_sid, c->sid), ==,
                    c->ok);
    for (int eime = 0; eime <= 1; eime++) {
        for (int fpd = 0; fpd <= 1; fpd++) {
            uint64_t lo = LO_P | LO_TM | LO_VECTOR(0x99) |
                          (eime ? LO_DST(0x87654321) : LO_XDST(0x87)) |
                          (fpd ? LO_FPD : 0);
            uint64_t hi = HI_SID(c->irte_sid) | HI_SQ(c->sq) |
                          HI_SVT(c->svt);
            RefOut want;

            ref_check(eime, lo, hi, c->sid, &want);
            g_assert_cmphex(want.fr, ==, c->ok ? FR_OK : FR_SID);
            if (c->ok) {
                g_assert_cmphex(want.irq.dest, ==,
                                eime ? 0x87654321u : 0x87);
            } else {
                g_assert_cmpint(want.fpd, ==, fpd);
            }
            check_entry(eime, lo, hi, c->sid, &want);
        }
    }
}

/* Every requester against a few IRTE SIDs, for every SVT 0-2 and SQ. */
static void test_sid_exhaustive(void)
{
    static const uint16_t irte_sids[] = {
        0x0000, 0xffff, SID(3, 4, 5), SID(0x80, 0x1f, 0), 0x1234,
        0x3412, 0x8f8f, 0x00ff,
    };
    unsigned pass = 0, fail = 0;

    for (unsigned svt = 0; svt < 3; svt++) {
        for (unsigned sq = 0; sq < 4; sq++) {
            for (size_t i = 0; i < ARRAY_SIZE(irte_sids); i++) {
                uint64_t lo = LO_P | LO_FPD | LO_VECTOR(0x21) |
                              LO_DST(0x01000000);
                uint64_t hi = HI_SID(irte_sids[i]) | HI_SQ(sq) |
                              HI_SVT(svt);

                for (uint32_t sid = 0; sid <= 0xffff; sid++) {
                    RefOut want;

                    ref_check(true, lo, hi, sid, &want);
                    if (want.fr == FR_OK) {
                        pass++;
                    } else {
                        g_assert_cmphex(want.fr, ==, FR_SID);
                        fail++;
                    }
                    check_irte(true, lo, hi, sid, &want);
                }
            }
        }
    }
    g_assert_cmpuint(pass, >, 0);
    g_assert_cmpuint(fail, >, 0);
}

/* ---- Field extraction ---- */

typedef struct FieldCase {
    const char *name;
    bool eime;
    uint64_t lo;
    uint64_t hi;
    uint16_t sid;
    DmarIrq want;
} FieldCase;

#define LO_ALL_FLAGS    (LO_P | LO_DM | LO_RH | LO_TM)

static const FieldCase field_cases[] = {
    { "xapic-min", false, LO_P, 0, 0, { 0 } },
    { "x2apic-min", true, LO_P, 0, 0, { 0 } },
    { "xapic-max", false,
      LO_ALL_FLAGS | LO_DLM(7) | LO_VECTOR(0xff) | LO_XDST(0xff), 0, 0,
      { 0xff, 0xff, 7, true, true, true } },
    { "x2apic-max", true,
      LO_ALL_FLAGS | LO_DLM(7) | LO_VECTOR(0xff) | LO_DST(0xffffffffu),
      0, 0, { 0xffffffffu, 0xff, 7, true, true, true } },
    { "xapic-all-valid-bits", false,
      LO_ALL_FLAGS | LO_FPD | LO_DLM(7) | LO_AVAIL(0xf) |
      LO_VECTOR(0xff) | LO_XDST(0xff),
      HI_SID(0xffff) | HI_SQ(3) | HI_SVT(1), 0xfff8,
      { 0xff, 0xff, 7, true, true, true } },
    { "x2apic-all-valid-bits", true,
      LO_ALL_FLAGS | LO_FPD | LO_DLM(7) | LO_AVAIL(0xf) |
      LO_VECTOR(0xff) | LO_DST(0xffffffffu),
      HI_SID(0xffff) | HI_SQ(3) | HI_SVT(2), 0xff00,
      { 0xffffffffu, 0xff, 7, true, true, true } },
    { "dm", false, LO_P | LO_DM, 0, 0, { .dest_mode = true } },
    { "rh", false, LO_P | LO_RH, 0, 0, { .redir_hint = true } },
    { "tm", true, LO_P | LO_TM, 0, 0, { .trigger_level = true } },
    { "dlm-1", false, LO_P | LO_DLM(1), 0, 0, { .delivery_mode = 1 } },
    { "dlm-2", true, LO_P | LO_DLM(2), 0, 0, { .delivery_mode = 2 } },
    { "dlm-4", false, LO_P | LO_DLM(4), 0, 0, { .delivery_mode = 4 } },
    { "dlm-5", true, LO_P | LO_DLM(5), 0, 0, { .delivery_mode = 5 } },
    { "vector-01", false, LO_P | LO_VECTOR(0x01), 0, 0, { .vector = 1 } },
    { "vector-80", true, LO_P | LO_VECTOR(0x80), 0, 0, { .vector = 0x80 } },
    { "vector-a5", false, LO_P | LO_VECTOR(0xa5), 0, 0, { .vector = 0xa5 } },
    { "xapic-dst-bit8", false, LO_P | LO_XDST(0x01), 0, 0, { .dest = 1 } },
    { "xapic-dst-bit15", false, LO_P | LO_XDST(0x80), 0, 0,
      { .dest = 0x80 } },
    { "xapic-dst-5a", false, LO_P | LO_XDST(0x5a), 0, 0, { .dest = 0x5a } },
    { "x2apic-dst-bit0", true, LO_P | LO_DST(1), 0, 0, { .dest = 1 } },
    { "x2apic-dst-bit8", true, LO_P | LO_DST(0x100), 0, 0,
      { .dest = 0x100 } },
    { "x2apic-dst-bit31", true, LO_P | LO_DST(0x80000000u), 0, 0,
      { .dest = 0x80000000u } },
    { "x2apic-dst-mixed", true, LO_P | LO_DST(0x12345678), 0, 0,
      { .dest = 0x12345678 } },
    { "x2apic-xapic-style-dst", true, LO_P | LO_XDST(0x42), 0, 0,
      { .dest = 0x4200 } },
    { "avail-ignored", false, LO_P | LO_AVAIL(0xf) | LO_VECTOR(0x30), 0, 0,
      { .vector = 0x30 } },
    { "fpd-ignored", true, LO_P | LO_FPD | LO_VECTOR(0x31), 0, 0,
      { .vector = 0x31 } },
    { "hi-sid-unchecked", false, LO_P | LO_VECTOR(0x32),
      HI_SID(0xffff) | HI_SQ(3), 0x1234, { .vector = 0x32 } },
    { "mixed-xapic", false,
      LO_P | LO_RH | LO_DLM(3) | LO_VECTOR(0xec) | LO_XDST(0x3c), 0, 0,
      { 0x3c, 0xec, 3, false, true, false } },
    { "mixed-x2apic", true,
      LO_P | LO_DM | LO_TM | LO_DLM(6) | LO_VECTOR(0x4e) |
      LO_DST(0xdeadbeefu), 0, 0,
      { 0xdeadbeefu, 0x4e, 6, true, false, true } },
};

static void test_field(gconstpointer opaque)
{
    const FieldCase *c = opaque;
    RefOut want = { .fr = FR_OK, .irq = c->want };
    RefOut ref;

    ref_check(c->eime, c->lo, c->hi, c->sid, &ref);
    g_assert_cmphex(ref.fr, ==, FR_OK);
    assert_irq(&ref.irq, &c->want);
    check_entry(c->eime, c->lo, c->hi, c->sid, &want);
}

/* Every vector and delivery mode, and every xAPIC id, come through. */
static void test_field_sweep(void)
{
    for (uint32_t v = 0; v < 256; v++) {
        for (int eime = 0; eime <= 1; eime++) {
            uint64_t lo = LO_P | LO_DLM(v % 8) | LO_VECTOR(v) |
                          (eime ? LO_DST(v << 24 | v) : LO_XDST(v));
            RefOut want = {
                .irq = {
                    .dest = eime ? (v << 24 | v) : v,
                    .vector = v,
                    .delivery_mode = v % 8,
                },
            };

            check_irte(eime, lo, 0, 0, &want);
        }
    }
}

/* ---- Fault reasons and FPD ---- */

enum { AT_TABLE, AT_PAST_END, AT_UNBACKED };

typedef struct FpdCase {
    const char *name;
    bool eime;
    int where;
    uint64_t lo;
    uint64_t hi;
    uint16_t sid;
    uint8_t fr;
    bool fpd;
} FpdCase;

static const FpdCase fpd_cases[] = {
    { "index-fpd0", true, AT_PAST_END, LO_P, 0, 0, FR_INDEX, false },
    { "index-fpd1", true, AT_PAST_END, LO_P | LO_FPD, 0, 0, FR_INDEX,
      false },
    { "index-fpd1-not-present", false, AT_PAST_END, LO_FPD, 0, 0,
      FR_INDEX, false },
    { "access-fpd", false, AT_UNBACKED, LO_P | LO_FPD, 0, 0, FR_ACCESS,
      false },
    { "access-x2apic", true, AT_UNBACKED, LO_P | LO_FPD, 0, 0, FR_ACCESS,
      false },
    { "not-present-fpd0", false, AT_TABLE, 0, 0, 0, FR_NOT_PRESENT,
      false },
    { "not-present-fpd1", false, AT_TABLE, LO_FPD, 0, 0, FR_NOT_PRESENT,
      true },
    { "not-present-fpd1-x2apic", true, AT_TABLE, LO_FPD, 0, 0,
      FR_NOT_PRESENT, true },
    { "not-present-junk-fpd0", false, AT_TABLE, ~(LO_P | LO_FPD), ~0ull,
      0, FR_NOT_PRESENT, false },
    { "not-present-junk-fpd1", true, AT_TABLE, ~LO_P, ~0ull, 0,
      FR_NOT_PRESENT, true },
    { "rsvd-fpd0", false, AT_TABLE, LO_P | SPEC_BIT(12), 0, 0, FR_RSVD,
      false },
    { "rsvd-fpd1", false, AT_TABLE, LO_P | LO_FPD | SPEC_BIT(12), 0, 0,
      FR_RSVD, true },
    { "rsvd-hi-fpd1", true, AT_TABLE, LO_P | LO_FPD, SPEC_BIT(63), 0,
      FR_RSVD, true },
    { "rsvd-xdst-fpd1", false, AT_TABLE, LO_P | LO_FPD | LO_DST(1), 0, 0,
      FR_RSVD, true },
    { "im-fpd0", true, AT_TABLE, LO_P | LO_IM, 0, 0, FR_RSVD, false },
    { "im-fpd1", true, AT_TABLE, LO_P | LO_FPD | LO_IM, 0, 0, FR_RSVD,
      true },
    { "svt3-fpd0", false, AT_TABLE, LO_P, HI_SVT(3), 0, FR_RSVD, false },
    { "svt3-fpd1", false, AT_TABLE, LO_P | LO_FPD, HI_SVT(3), 0, FR_RSVD,
      true },
    { "sid-fpd0", false, AT_TABLE, LO_P, HI_SVT(1) | HI_SID(0x0100),
      0x0101, FR_SID, false },
    { "sid-fpd1", false, AT_TABLE, LO_P | LO_FPD,
      HI_SVT(1) | HI_SID(0x0100), 0x0101, FR_SID, true },
    { "bus-fpd1", true, AT_TABLE, LO_P | LO_FPD,
      HI_SVT(2) | HI_SID(0x0203), 0x0400, FR_SID, true },
    /* the checks come in order: present, reserved, then source-id */
    { "rsvd-before-sid", true, AT_TABLE, LO_P | LO_FPD | SPEC_BIT(24),
      HI_SVT(1) | HI_SID(0x0100), 0x0101, FR_RSVD, true },
    { "ok-fpd1", true, AT_TABLE, LO_P | LO_FPD | LO_VECTOR(0x20), 0, 0,
      FR_OK, false },
};

static void test_fpd(gconstpointer opaque)
{
    const FpdCase *c = opaque;
    /* 256 entries (one page), or 512 with the second page unbacked */
    const uint32_t index = c->where == AT_TABLE ? 0x17 :
                           c->where == AT_PAST_END ? 0x100 : 0x1f0;
    RefOut want;
    IrEnv e;

    env_init(&e, c->where == AT_UNBACKED ? 8 : 7, c->eime);
    if (c->where != AT_UNBACKED) {
        env_put(&e, index, c->lo, c->hi);
    }
    ref_remap(c->eime, e.irta.entries, index, c->where != AT_UNBACKED,
              c->lo, c->hi, c->sid, &want);
    g_assert_cmphex(want.fr, ==, c->fr);
    g_assert_cmpint(want.fpd, ==, c->fpd);
    if (c->where == AT_UNBACKED) {
        env_put(&e, 0, LO_P, 0);                /* the first page only */
        g_assert_cmphex(irte_gpa(&e, index) & ~PAGE_MASK_4K, !=,
                        e.irta.base);
    }
    check_remap(&e, msi_addr(index, false), 0, c->sid, &want);
    check_remap(&e, msi_addr(index - 7, true), 7, c->sid, &want);
    env_destroy(&e);
    if (c->where == AT_TABLE) {
        check_irte(c->eime, c->lo, c->hi, c->sid, &want);
    }
}

/* ---- Randomized, against the reference ---- */

static uint64_t rand64(GRand *r)
{
    return ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
}

static uint32_t rand_below(GRand *r, uint32_t n)
{
    return g_rand_int_range(r, 0, n);
}

static unsigned clamp_bus(int bus)
{
    return bus < 0 ? 0 : bus > 0xff ? 0xff : bus;
}

/* A random IRTE for requester SID: mostly valid, some near misses. */
static void rand_irte(GRand *r, bool eime, uint16_t sid, uint64_t *lo,
                      uint64_t *hi)
{
    unsigned svt = rand_below(r, 3), sq = rand_below(r, 4);
    unsigned pick, bus = sid >> 8;
    uint16_t want;

    *lo = LO_P | (g_rand_boolean(r) ? LO_FPD : 0) |
          (g_rand_boolean(r) ? LO_DM : 0) |
          (g_rand_boolean(r) ? LO_RH : 0) |
          (g_rand_boolean(r) ? LO_TM : 0) |
          LO_DLM(rand_below(r, 8)) | LO_AVAIL(rand_below(r, 16)) |
          LO_VECTOR(rand_below(r, 256));
    *lo |= eime ? LO_DST(g_rand_int(r)) : LO_XDST(rand_below(r, 256));

    switch (rand_below(r, 4)) {
    case 0:
        want = g_rand_int(r);
        break;
    case 1:
        want = sid;
        break;
    case 2:
        want = sid ^ (1u << rand_below(r, 16));
        break;
    default:
        want = sid ^ rand_below(r, 8);          /* another function */
        break;
    }
    if (svt == 2 && rand_below(r, 4) != 0) {
        /* a bus range with an edge at or near the requester's bus */
        unsigned first = clamp_bus((int)bus - (int)rand_below(r, 3) + 1);
        unsigned last = clamp_bus((int)bus + (int)rand_below(r, 3) - 1);

        want = first << 8 | last;
    }
    *hi = HI_SID(want) | HI_SQ(sq) | HI_SVT(svt);

    pick = rand_below(r, 100);
    if (pick < 5) {
        *lo &= ~LO_P;
    } else if (pick < 8) {
        *lo |= LO_IM;
    } else if (pick < 11) {
        *hi |= HI_SVT(3);
    } else if (pick < 23) {
        *lo ^= SPEC_BIT(rand_below(r, 64));
    } else if (pick < 31) {
        *hi ^= SPEC_BIT(rand_below(r, 64));
    } else if (pick < 34) {
        *lo = rand64(r);
        *hi = rand64(r);
    }
}

/* An interrupt index around a table of ENTRIES, and a request for it. */
static void rand_request(GRand *r, uint32_t entries, uint64_t *addr,
                         uint32_t *data)
{
    unsigned pick = rand_below(r, 100);
    uint32_t target, handle, sub;
    bool shv;

    if (pick < 75) {
        target = rand_below(r, entries);
    } else if (pick < 80) {
        target = entries - 1;
    } else if (pick < 90) {
        target = MIN(entries + rand_below(r, 4), 0x1fffe);
    } else {
        target = rand_below(r, 0x1ffff);
    }
    shv = target > 0xffff || g_rand_boolean(r);
    if (shv) {
        uint32_t sub_min = target > 0xffff ? target - 0xffff : 0;
        uint32_t sub_max = MIN(target, 0xffff);

        sub = sub_min + rand_below(r, sub_max - sub_min + 1);
        handle = target - sub;
        *data = (g_rand_int(r) & 0xffff0000u) | sub;
    } else {
        handle = target;
        *data = g_rand_int(r);
    }
    *addr = msi_addr(handle, shv) | rand_below(r, 4);   /* don't-care */
    g_assert_cmphex(ref_index(*addr, *data), ==, target);
}

static void test_random(void)
{
    GRand *r = g_rand_new_with_seed(RANDOM_SEED);
    unsigned counts[0x30] = { 0 };
    IrEnv e;

    for (int iter = 0; iter < RANDOM_ITERATIONS; iter++) {
        unsigned s = rand_below(r, 2) ? rand_below(r, 4) : rand_below(r, 16);
        bool eime = g_rand_boolean(r);
        uint16_t sid = g_rand_int(r);
        uint64_t addr, lo, hi;
        uint32_t data, index;
        bool backed = rand_below(r, 100) >= 8;
        RefOut want;

        env_init(&e, s, eime);
        e.irta.base = rand64(r) & SPEC_BITS(47, 12);
        rand_request(r, e.irta.entries, &addr, &data);
        index = ref_index(addr, data);
        rand_irte(r, eime, sid, &lo, &hi);
        if (index >= e.irta.entries) {
            backed = true;              /* a valid IRTE past the end */
        }
        if (backed) {
            uint64_t gpa = irte_gpa(&e, index) & ~PAGE_MASK_4K;
            uint8_t *page = fake_page(&e.mem, gpa, true);

            for (size_t i = 0; i < PAGE_SIZE_4K; i += 8) {
                stq_le_p(page + i, rand64(r));
            }
            env_put(&e, index, lo, hi);
        }
        ref_remap(eime, e.irta.entries, index, backed, lo, hi, sid, &want);
        g_assert_cmphex(want.fr, <, ARRAY_SIZE(counts));
        counts[want.fr]++;
        if (g_test_verbose()) {
            g_test_message("random %d: S %u eime %d addr 0x%" PRIx64
                           " data 0x%x sid 0x%04x lo 0x%016" PRIx64
                           " hi 0x%016" PRIx64 " -> 0x%x",
                           iter, s, eime, addr, data, sid, lo, hi,
                           want.fr);
        }
        check_remap(&e, addr, data, sid, &want);
        if (index < e.irta.entries && backed) {
            check_irte(eime, lo, hi, sid, &want);
        }
        env_destroy(&e);
    }
    g_test_message("random: ok %u index %u not-present %u access %u "
                   "rsvd %u sid %u", counts[FR_OK], counts[FR_INDEX],
                   counts[FR_NOT_PRESENT], counts[FR_ACCESS],
                   counts[FR_RSVD], counts[FR_SID]);
    g_assert_cmpuint(counts[FR_OK], >=, 1000);
    g_assert_cmpuint(counts[FR_INDEX], >=, 200);
    g_assert_cmpuint(counts[FR_NOT_PRESENT], >=, 200);
    g_assert_cmpuint(counts[FR_ACCESS], >=, 200);
    g_assert_cmpuint(counts[FR_RSVD], >=, 200);
    g_assert_cmpuint(counts[FR_SID], >=, 200);
    g_rand_free(r);
}

/* ---- The table ends at the host address width (21h) ---- */

/*
 * VT-d §5.1.4.1, fault 21h: an interrupt index beyond IRTA.S, or one
 * whose IRTE would lie above the host address width. Such an index must
 * fail before any table access; every entry wholly below 2^HAW is read.
 */
static void test_haw(void)
{
    static const struct {
        uint8_t haw;
        uint64_t base;
    } cases[] = {
        { 39, (1ull << 39) - 0x1000 },      /* last page below 2^39 */
        { 48, (1ull << 48) - 0x3000 },
        { 46, (1ull << 46) - 0x100000 },    /* all 64 Ki entries fit */
        { 39, 1ull << 39 },                 /* the table starts above */
        { 52, (1ull << 52) + 0x100000 },
        { 64, 0xfffffffffffff000ull },      /* the end of 2^64: no wrap */
    };
    static const uint32_t indices[] = {
        0, 1, 255, 256, 257, 511, 512, 767, 768, 4095, 4096, 65535,
    };
    uint64_t lo = LO_P | LO_VECTOR(0x5a) | LO_XDST(3);
    RefOut ok, beyond = { .fr = FR_INDEX };

    ref_check(false, lo, 0, 0, &ok);
    for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
        uint64_t last = UINT64_MAX;
        IrEnv e;

        if (cases[c].haw < 64) {
            last = (1ull << cases[c].haw) - 1;
        }

        env_init(&e, 15, false);
        e.irta.base = cases[c].base;
        e.irta.haw = cases[c].haw;
        for (unsigned i = 0; i < ARRAY_SIZE(indices); i++) {
            uint32_t index = indices[i];
            /* the entry's last byte, computed without wrapping */
            bool below = e.irta.base <= last &&
                         (last - e.irta.base) / IRTE_SIZE >= index;

            if (below && irte_gpa(&e, index) + IRTE_SIZE == 0) {
                continue;   /* the fake cannot read the last 16 bytes */
            }
            if (below) {
                env_put(&e, index, lo, 0);
            }
            check_remap(&e, msi_addr(index, false), 0, 0,
                        below ? &ok : &beyond);
            check_remap(&e, msi_addr(0, true), index, 0,
                        below ? &ok : &beyond);
        }
        env_destroy(&e);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    ADD_CASES("/dmar-ir/index", index_cases, test_index);
    g_test_add_func("/dmar-ir/index-all", test_index_all);
    g_test_add_func("/dmar-ir/index-overflow", test_index_overflow);

    for (unsigned s = 0; s < ARRAY_SIZE(size_cases); s++) {
        size_cases[s].s = s;
        snprintf(size_cases[s].buf, sizeof(size_cases[s].buf), "s%u", s);
        size_cases[s].name = size_cases[s].buf;
    }
    ADD_CASES("/dmar-ir/size", size_cases, test_size);
    g_test_add_func("/dmar-ir/access", test_access);

    for (int eime = 0; eime <= 1; eime++) {
        for (int hi = 0; hi <= 1; hi++) {
            for (unsigned bit = 0; bit < 64; bit++) {
                BitCase *c = &bit_cases[eime][hi][bit];

                c->eime = eime;
                c->hi = hi;
                c->bit = bit;
                snprintf(c->buf, sizeof(c->buf), "%s/%s-bit%u",
                         eime ? "x2apic" : "xapic", hi ? "hi" : "lo", bit);
                c->name = c->buf;
            }
            add_cases("/dmar-ir/bit", bit_cases[eime][hi],
                      sizeof(BitCase), 64, test_one_bit);
        }
    }
    g_test_add_func("/dmar-ir/rsvd-all", test_rsvd_all);
    g_test_add_func("/dmar-ir/im", test_im);
    g_test_add_func("/dmar-ir/svt3", test_svt3);

    ADD_CASES("/dmar-ir/sid", sid_cases, test_sid);
    g_test_add_func("/dmar-ir/sid-exhaustive", test_sid_exhaustive);
    ADD_CASES("/dmar-ir/field", field_cases, test_field);
    g_test_add_func("/dmar-ir/field-sweep", test_field_sweep);
    ADD_CASES("/dmar-ir/fpd", fpd_cases, test_fpd);
    g_test_add_func("/dmar-ir/random", test_random);
    g_test_add_func("/dmar-ir/haw", test_haw);
    return g_test_run();
}
