/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for vtd-dmar queued invalidation (dmar-qi.c), written
 * against the Intel VT-d specification rather than against the code:
 * the 128-bit legacy invalidation descriptors (VT-d §6.5.2) and the walk
 * of the invalidation queue from head to tail.
 *
 * Expected values come from the descriptor layouts as the specification
 * gives them (the SPEC_* masks and ref_decode() below), never from the
 * module's own field definitions. Guest memory is the shared sparse fake
 * (dmar-fake-mem.h), which logs the status writes of wait descriptors.
 * The callbacks of DmarQiOps log every call, so that the order and
 * number of effects can be checked.
 */

#include "qemu/osdep.h"
#include "dmar-qi.h"
#include "qemu/bswap.h"
#include "dmar-test-util.h"
#include "dmar-fake-mem.h"

#define PAGE_SIZE_4K        4096ull
#define PAGE_MASK_4K        (PAGE_SIZE_4K - 1)
#define DESC_SIZE           16ull

#define QUEUE_BASE          0x200000ull     /* the invalidation queue */
#define STATUS_GPA          0x300000ull     /* a page for status writes */
#define UNBACKED_GPA        0x40000000ull   /* never backed by the fake */
#define CANARY              0xa5            /* status page filling */

#define ENV_MAGIC           0x51c0ffeeu

/* Bits HI..LO of a 64-bit word, both included. */
#define SPEC_BITS(hi, lo)   ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))
#define SPEC_BIT(n)         (1ull << (n))

/* Descriptor types, VT-d §6.5.2 (lo bits 3:0). */
#define T_CC                1
#define T_IOTLB             2
#define T_DEVTLB            3
#define T_IEC               4
#define T_WAIT              5

/* lo bits 11:9: the high type bits, zero in every legacy descriptor. */
#define SPEC_TYPE_HI        SPEC_BITS(11, 9)

#define SPEC_CC_LO_RSVD     (SPEC_BITS(8, 6) | SPEC_BITS(15, 12) | \
                             SPEC_BITS(63, 50))
#define SPEC_CC_HI_RSVD     (~0ull)
#define SPEC_IOTLB_LO_RSVD  (SPEC_BIT(8) | SPEC_BITS(15, 12) | \
                             SPEC_BITS(63, 32))
#define SPEC_IOTLB_HI_RSVD  SPEC_BITS(11, 7)
#define SPEC_IEC_LO_RSVD    (SPEC_BITS(8, 5) | SPEC_BITS(26, 12) | \
                             SPEC_BITS(63, 48))
#define SPEC_IEC_HI_RSVD    (~0ull)
/* PD (bit 7) drains page requests, which the unit does not offer. */
#define SPEC_WAIT_LO_RSVD   (SPEC_BIT(7) | SPEC_BIT(8) | SPEC_BITS(31, 12))
#define SPEC_WAIT_HI_RSVD   SPEC_BITS(1, 0)
/* §6.5.2.5: PFSID 15:12 and 63:52, MIP 20:16, SID 47:32; hi S 0, ADDR */
#define SPEC_DEVTLB_LO_RSVD (SPEC_BITS(8, 4) | SPEC_BITS(31, 21) | \
                             SPEC_BITS(51, 48))
#define SPEC_DEVTLB_HI_RSVD SPEC_BITS(11, 1)

/* ---- Descriptors, as the specification lays them out ---- */

static uint64_t cc_lo(unsigned g, uint16_t did, uint16_t sid, unsigned fm)
{
    return T_CC | (uint64_t)g << 4 | (uint64_t)did << 16 |
           (uint64_t)sid << 32 | (uint64_t)fm << 48;
}

static uint64_t iotlb_lo(unsigned g, bool dw, bool dr, uint16_t did)
{
    return T_IOTLB | (uint64_t)g << 4 | (uint64_t)dw << 6 |
           (uint64_t)dr << 7 | (uint64_t)did << 16;
}

static uint64_t iotlb_hi(uint64_t addr, bool ih, unsigned am)
{
    return (addr & ~PAGE_MASK_4K) | (uint64_t)ih << 6 | am;
}

static uint64_t iec_lo(bool index, unsigned im, uint16_t iidx)
{
    return T_IEC | (uint64_t)index << 4 | (uint64_t)im << 27 |
           (uint64_t)iidx << 32;
}

static uint64_t wait_lo(bool irq, bool sw, bool fn, uint32_t sdata)
{
    return T_WAIT | (uint64_t)irq << 4 | (uint64_t)sw << 5 |
           (uint64_t)fn << 6 | (uint64_t)sdata << 32;
}

static uint64_t devtlb_lo(uint16_t sid, uint16_t pfsid, unsigned mip)
{
    return T_DEVTLB | (uint64_t)(pfsid & 0xf) << 12 | (uint64_t)mip << 16 |
           (uint64_t)sid << 32 | (uint64_t)(pfsid >> 4) << 52;
}

/*
 * The specification's reading of a descriptor, for a unit with or without
 * interrupt remapping (IR) and device-TLBs (DT). Fills in every field it
 * can even when the descriptor is invalid.
 */
static bool ref_decode_dt(bool ir, bool dt, uint64_t lo, uint64_t hi,
                          DmarQiDesc *d)
{
    bool rsvd;

    memset(d, 0, sizeof(*d));
    d->type = lo & 0xf;
    if (lo & SPEC_TYPE_HI) {
        return false;
    }
    switch (d->type) {
    case T_CC:
        d->gran = (lo >> 4) & 3;
        d->did = (lo >> 16) & 0xffff;
        d->sid = (lo >> 32) & 0xffff;
        d->fm = (lo >> 48) & 3;
        rsvd = (lo & SPEC_CC_LO_RSVD) || (hi & SPEC_CC_HI_RSVD);
        return !rsvd && d->gran != 0;
    case T_IOTLB:
        d->gran = (lo >> 4) & 3;
        d->dw = (lo >> 6) & 1;
        d->dr = (lo >> 7) & 1;
        d->did = (lo >> 16) & 0xffff;
        d->am = hi & 0x3f;
        d->ih = (hi >> 6) & 1;
        d->addr = hi & ~PAGE_MASK_4K;
        rsvd = (lo & SPEC_IOTLB_LO_RSVD) || (hi & SPEC_IOTLB_HI_RSVD);
        return !rsvd && d->gran != 0;
    case T_IEC:
        d->gran = (lo >> 4) & 1;
        d->am = (lo >> 27) & 0x1f;
        d->index = (lo >> 32) & 0xffff;
        rsvd = (lo & SPEC_IEC_LO_RSVD) || (hi & SPEC_IEC_HI_RSVD);
        return ir && !rsvd;
    case T_WAIT:
        d->wait_if = (lo >> 4) & 1;
        d->wait_sw = (lo >> 5) & 1;
        d->wait_fn = (lo >> 6) & 1;
        d->sdata = lo >> 32;
        d->addr = hi;
        return !(lo & SPEC_WAIT_LO_RSVD) && !(hi & SPEC_WAIT_HI_RSVD);
    case T_DEVTLB:
        d->sid = (lo >> 32) & 0xffff;
        d->pfsid = ((lo >> 12) & 0xf) | ((lo >> 52) & 0xfff) << 4;
        d->mip = (lo >> 16) & 0x1f;
        d->size = hi & 1;
        d->addr = hi & ~PAGE_MASK_4K;
        rsvd = (lo & SPEC_DEVTLB_LO_RSVD) || (hi & SPEC_DEVTLB_HI_RSVD);
        return dt && !rsvd;
    default:
        return false;       /* 0, 6..15 */
    }
}

/* ... for a unit without device-TLBs */
static bool ref_decode(bool ir, uint64_t lo, uint64_t hi, DmarQiDesc *d)
{
    return ref_decode_dt(ir, false, lo, hi, d);
}

/* The fields that descriptor type WANT->type defines agree. */
static void assert_desc(const DmarQiDesc *got, const DmarQiDesc *want)
{
    g_assert_cmpuint(got->type, ==, want->type);
    switch (want->type) {
    case T_CC:
        g_assert_cmpuint(got->gran, ==, want->gran);
        g_assert_cmphex(got->did, ==, want->did);
        g_assert_cmphex(got->sid, ==, want->sid);
        g_assert_cmpuint(got->fm, ==, want->fm);
        break;
    case T_IOTLB:
        g_assert_cmpuint(got->gran, ==, want->gran);
        g_assert_cmpint(got->dw, ==, want->dw);
        g_assert_cmpint(got->dr, ==, want->dr);
        g_assert_cmphex(got->did, ==, want->did);
        g_assert_cmphex(got->addr, ==, want->addr);
        g_assert_cmpint(got->ih, ==, want->ih);
        g_assert_cmpuint(got->am, ==, want->am);
        break;
    case T_IEC:
        g_assert_cmpuint(got->gran, ==, want->gran);
        g_assert_cmpuint(got->am, ==, want->am);
        g_assert_cmphex(got->index, ==, want->index);
        break;
    case T_WAIT:
        g_assert_cmpint(got->wait_if, ==, want->wait_if);
        g_assert_cmpint(got->wait_sw, ==, want->wait_sw);
        g_assert_cmpint(got->wait_fn, ==, want->wait_fn);
        g_assert_cmphex(got->sdata, ==, want->sdata);
        g_assert_cmphex(got->addr, ==, want->addr);
        break;
    case T_DEVTLB:
        g_assert_cmphex(got->sid, ==, want->sid);
        g_assert_cmphex(got->pfsid, ==, want->pfsid);
        g_assert_cmpuint(got->mip, ==, want->mip);
        g_assert_cmpint(got->size, ==, want->size);
        g_assert_cmphex(got->addr, ==, want->addr);
        break;
    default:
        g_assert_not_reached();
    }
}

/*
 * IQERCD.IQEI (VT-d §11.4.9.9) for an invalid LO: 3 when the unit has no
 * such type (0, 3 without device-TLBs, 6..15, bits 11:9, 4 without IR),
 * 4 when the type is valid and a field of it is not.
 */
static DmarIqei ref_iqei_dt(bool ir, bool dt, uint64_t lo)
{
    unsigned t = lo & 0xf;

    if ((lo & SPEC_TYPE_HI) ||
        !(t == T_CC || t == T_IOTLB || t == T_WAIT || (t == T_IEC && ir) ||
          (t == T_DEVTLB && dt))) {
        return DMAR_IQEI_TYPE;
    }
    return DMAR_IQEI_RSVD;
}

static DmarIqei ref_iqei(bool ir, uint64_t lo)
{
    return ref_iqei_dt(ir, false, lo);
}

/* The module's decode; an invalid descriptor comes with the right IQEI. */
static bool decode(bool ir, bool dt, uint64_t lo, uint64_t hi, DmarQiDesc *d)
{
    DmarQiCaps caps = { .ir = ir, .dt = dt };
    DmarIqei why = 0xf;
    uint64_t desc[4] = { lo, hi };
    bool ok = dmar_qi_decode(&caps, desc, false, d, &why);

    if (ok) {
        g_assert_cmpuint(why, ==, 0xf);         /* untouched */
    } else {
        g_assert_cmpuint(why, ==, ref_iqei_dt(ir, dt, lo));
    }
    /* WHY may be NULL */
    g_assert(dmar_qi_decode(&caps, desc, false, d, NULL) == ok);
    return ok;
}

/* ---- Decode: fields ---- */

typedef struct DecodeCase {
    const char *name;
    bool ir;
    uint64_t lo;
    uint64_t hi;
    bool valid;
    DmarQiDesc want;
} DecodeCase;

static const DecodeCase decode_cases[] = {
    /* context-cache: G 5:4, DID 31:16, SID 47:32, FM 49:48 */
    { "cc-global", false, 0x0000000000000011ull, 0, true,
      { .type = T_CC, .gran = 1 } },
    { "cc-domain", false, 0x0000000012340021ull, 0, true,
      { .type = T_CC, .gran = 2, .did = 0x1234 } },
    { "cc-device", false, 0x0002abcd56780031ull, 0, true,
      { .type = T_CC, .gran = 3, .did = 0x5678, .sid = 0xabcd, .fm = 2 } },
    { "cc-max", true, 0x0003ffffffff0031ull, 0, true,
      { .type = T_CC, .gran = 3, .did = 0xffff, .sid = 0xffff, .fm = 3 } },
    { "cc-g0", false, 0x0003ffffffff0001ull, 0, false },
    { "cc-hi", false, 0x0000000000000011ull, 1ull << 63, false },
    /* IOTLB: G 5:4, DW 6, DR 7, DID 31:16; hi AM 5:0, IH 6, ADDR 63:12 */
    { "iotlb-global", false, 0x0000000000000012ull, 0, true,
      { .type = T_IOTLB, .gran = 1 } },
    { "iotlb-domain", false, 0x00000000beef0022ull, 0, true,
      { .type = T_IOTLB, .gran = 2, .did = 0xbeef } },
    { "iotlb-page", false, 0x0000000000070032ull, 0x0000001234567045ull,
      true, { .type = T_IOTLB, .gran = 3, .did = 7,
              .addr = 0x1234567000ull, .ih = true, .am = 5 } },
    { "iotlb-dw", false, 0x0000000000010052ull, 0, true,
      { .type = T_IOTLB, .gran = 1, .did = 1, .dw = true } },
    { "iotlb-dr", false, 0x0000000000000092ull, 0, true,
      { .type = T_IOTLB, .gran = 1, .dr = true } },
    { "iotlb-max", true, 0x00000000ffff00f2ull, 0xfffffffffffff07full,
      true, { .type = T_IOTLB, .gran = 3, .did = 0xffff, .dw = true,
              .dr = true, .addr = 0xfffffffffffff000ull, .ih = true,
              .am = 63 } },
    { "iotlb-g0", false, 0x00000000ffff00c2ull, 0xfffffffffffff07full,
      false },
    /* interrupt entry cache: G 4, IM 31:27, IIDX 47:32; needs ECAP.IR */
    { "iec-global", true, 0x0000000000000004ull, 0, true,
      { .type = T_IEC, .gran = 0 } },
    { "iec-index", true, 0x0000123410000014ull, 0, true,
      { .type = T_IEC, .gran = 1, .am = 2, .index = 0x1234 } },
    { "iec-max", true, 0x0000fffff8000014ull, 0, true,
      { .type = T_IEC, .gran = 1, .am = 31, .index = 0xffff } },
    { "iec-global-no-ir", false, 0x0000000000000004ull, 0, false },
    { "iec-max-no-ir", false, 0x0000fffff8000014ull, 0, false },
    /* wait: IF 4, SW 5, FN 6, PD 7, SDATA 63:32; hi status address */
    { "wait-none", false, 0x0000000000000005ull, 0, true,
      { .type = T_WAIT } },
    { "wait-if", false, 0x0000000000000015ull, 0, true,
      { .type = T_WAIT, .wait_if = true } },
    { "wait-sw", false, 0x1234567800000025ull, 0x000000007ffff00cull,
      true, { .type = T_WAIT, .wait_sw = true, .sdata = 0x12345678,
              .addr = 0x7ffff00cull } },
    { "wait-fn", false, 0x0000000000000045ull, 0, true,
      { .type = T_WAIT, .wait_fn = true } },
    { "wait-max", true, 0xffffffff00000075ull, 0xfffffffffffffffcull,
      true, { .type = T_WAIT, .wait_if = true, .wait_sw = true,
              .wait_fn = true, .sdata = 0xffffffff,
              .addr = 0xfffffffffffffffcull } },
    { "wait-pd", false, 0x0000000000000085ull, 0, false },
    { "wait-addr-bit0", false, 0x0000000000000025ull, 0x1001, false },
    { "wait-addr-bit1", false, 0x0000000000000025ull, 0x1002, false },
    /* types the unit never accepts */
    { "type0", true, 0x0000000000000000ull, 0, false },
    { "type0-g", true, 0x0000000000000010ull, 0, false },
    { "devtlb", true, 0x0000000000000003ull, 0, false },
    { "devtlb-fields", true, 0x0000000012340013ull, 0x1000, false },
    { "type6", true, 0x0000000000000016ull, 0, false },
    { "type7", true, 0x0000000000000017ull, 0, false },
    { "type15", true, 0x000000000000001full, 0, false },
};

static void test_decode(const void *opaque)
{
    const DecodeCase *c = opaque;
    DmarQiDesc d, ref;

    /* The reference agrees with the table, so other tests can use it. */
    g_assert(ref_decode(c->ir, c->lo, c->hi, &ref) == c->valid);
    g_assert(decode(c->ir, false, c->lo, c->hi, &d) == c->valid);
    if (c->valid) {
        assert_desc(&ref, &c->want);
        assert_desc(&d, &c->want);
        /* ECAP.IR changes nothing for the other types. */
        if (c->want.type != T_IEC) {
            g_assert_true(decode(!c->ir, false, c->lo, c->hi, &d));
            assert_desc(&d, &c->want);
        }
    }
}

/* ---- Decode: device-TLB descriptors (§6.5.2.5), with ECAP.DT ---- */

typedef struct DevtlbCase {
    const char *name;
    uint64_t lo;
    uint64_t hi;
    DmarQiDesc want;
} DevtlbCase;

/* PFSID 15:12 (its bits 3:0) and 63:52 (15:4), MIP 20:16, SID 47:32 */
static const DevtlbCase devtlb_cases[] = {
    { "zero", 0x0000000000000003ull, 0, { .type = T_DEVTLB } },
    { "sid", 0x0000abcd00000003ull, 0, { .type = T_DEVTLB, .sid = 0xabcd } },
    { "pfsid-low", 0x000000000000f003ull, 0,
      { .type = T_DEVTLB, .pfsid = 0x000f } },
    { "pfsid-high", 0xfff0000000000003ull, 0,
      { .type = T_DEVTLB, .pfsid = 0xfff0 } },
    { "pfsid", 0x1230000000004003ull, 0,
      { .type = T_DEVTLB, .pfsid = 0x1234 } },
    { "mip-1", 0x0000000000010003ull, 0, { .type = T_DEVTLB, .mip = 1 } },
    { "mip-31", 0x00000000001f0003ull, 0, { .type = T_DEVTLB, .mip = 31 } },
    { "s", 0x0000000000000003ull, 1, { .type = T_DEVTLB, .size = true } },
    { "addr", 0x0000000000000003ull, 0x0000001234567000ull,
      { .type = T_DEVTLB, .addr = 0x1234567000ull } },
    { "max", 0xfff0ffff001ff003ull, 0xfffffffffffff001ull,
      { .type = T_DEVTLB, .sid = 0xffff, .pfsid = 0xffff, .mip = 31,
        .size = true, .addr = 0xfffffffffffff000ull } },
    /* Linux's qi_flush_dev_iotlb(): 00:03.0, 16 pages at 0x10000 */
    { "linux", 0x0010001800008003ull, 0x0000000000017001ull,
      { .type = T_DEVTLB, .sid = 0x0018, .pfsid = 0x0018, .size = true,
        .addr = 0x17000 } },
};

static void test_devtlb_decode(const void *opaque)
{
    const DevtlbCase *c = opaque;
    DmarQiDesc d, ref;

    for (int ir = 0; ir <= 1; ir++) {
        g_assert_true(ref_decode_dt(ir, true, c->lo, c->hi, &ref));
        assert_desc(&ref, &c->want);
        g_assert_true(decode(ir, true, c->lo, c->hi, &d));
        assert_desc(&d, &c->want);
        /* without ECAP.DT: an invalid type (IQEI 3, checked by decode) */
        g_assert_false(decode(ir, false, c->lo, c->hi, &d));
    }
}

/* ---- Decode: reserved bits, one at a time ---- */

typedef struct RsvdCase {
    const char *name;
    uint64_t lo;            /* a valid descriptor to add one bit to */
    uint64_t hi;
    uint64_t rsvd_lo;       /* the bits that make it invalid */
    uint64_t rsvd_hi;
    bool dt;                /* a unit with device-TLBs (ECAP.DT) */
} RsvdCase;

static const RsvdCase rsvd_cases[] = {
    { "cc", 0x11, 0, SPEC_TYPE_HI | SPEC_CC_LO_RSVD, SPEC_CC_HI_RSVD },
    { "cc-device", 0x0002abcd56780031ull, 0,
      SPEC_TYPE_HI | SPEC_CC_LO_RSVD, SPEC_CC_HI_RSVD },
    { "iotlb", 0x12, 0, SPEC_TYPE_HI | SPEC_IOTLB_LO_RSVD,
      SPEC_IOTLB_HI_RSVD },
    { "iotlb-page", 0x0000000000070032ull, 0x0000001234567045ull,
      SPEC_TYPE_HI | SPEC_IOTLB_LO_RSVD, SPEC_IOTLB_HI_RSVD },
    { "iec", 0x4, 0, SPEC_TYPE_HI | SPEC_IEC_LO_RSVD, SPEC_IEC_HI_RSVD },
    { "iec-index", 0x0000123410000014ull, 0,
      SPEC_TYPE_HI | SPEC_IEC_LO_RSVD, SPEC_IEC_HI_RSVD },
    { "wait", 0x5, 0, SPEC_TYPE_HI | SPEC_WAIT_LO_RSVD, SPEC_WAIT_HI_RSVD },
    { "wait-sw", 0x1234567800000025ull, 0x7ffff00cull,
      SPEC_TYPE_HI | SPEC_WAIT_LO_RSVD, SPEC_WAIT_HI_RSVD },
    { "devtlb", 0x3, 0, SPEC_TYPE_HI | SPEC_DEVTLB_LO_RSVD,
      SPEC_DEVTLB_HI_RSVD, true },
    { "devtlb-linux", 0x0010001800008003ull, 0x17001ull,
      SPEC_TYPE_HI | SPEC_DEVTLB_LO_RSVD, SPEC_DEVTLB_HI_RSVD, true },
    /* the other types do not change with ECAP.DT */
    { "iotlb-page-dt", 0x0000000000070032ull, 0x0000001234567045ull,
      SPEC_TYPE_HI | SPEC_IOTLB_LO_RSVD, SPEC_IOTLB_HI_RSVD, true },
    { "wait-sw-dt", 0x1234567800000025ull, 0x7ffff00cull,
      SPEC_TYPE_HI | SPEC_WAIT_LO_RSVD, SPEC_WAIT_HI_RSVD, true },
};

/*
 * Add each bit of 127..4 (the type bits excepted) to a valid descriptor:
 * a reserved bit makes it invalid, any other bit leaves it valid and
 * shows up in exactly the field the specification puts it in.
 */
static void test_rsvd(const void *opaque)
{
    const RsvdCase *c = opaque;
    unsigned n_rsvd = 0, n_field = 0;
    DmarQiDesc d, ref;
    int ir, b;

    g_assert_true(ref_decode_dt(true, c->dt, c->lo, c->hi, &ref));
    g_assert_true(decode(true, c->dt, c->lo, c->hi, &d));
    assert_desc(&d, &ref);
    for (ir = 0; ir <= 1; ir++) {
        for (b = 4; b < 128; b++) {
            uint64_t lo = c->lo | (b < 64 ? SPEC_BIT(b) : 0);
            uint64_t hi = c->hi | (b >= 64 ? SPEC_BIT(b - 64) : 0);
            bool rsvd = b < 64 ? !!(c->rsvd_lo & SPEC_BIT(b)) :
                                 !!(c->rsvd_hi & SPEC_BIT(b - 64));
            bool want = ref_decode_dt(ir, c->dt, lo, hi, &ref);
            bool ok;

            if (lo == c->lo && hi == c->hi) {
                continue;       /* already set in the base descriptor */
            }
            ok = decode(ir, c->dt, lo, hi, &d);
            if (ok != want) {
                g_test_message("%s ir=%d: bit %d (%s %d): decode says %s",
                               c->name, ir, b, b < 64 ? "lo" : "hi",
                               b % 64, ok ? "valid" : "invalid");
            }
            g_assert(ok == want);
            if (rsvd) {
                g_assert_false(ok);
                n_rsvd++;
            } else if (want) {
                assert_desc(&d, &ref);
                n_field++;
            } else {
                /* Only an IEC descriptor on a unit without IR. */
                g_assert_cmpuint(c->lo & 0xf, ==, T_IEC);
                g_assert_false(ir);
            }
        }
    }
    g_assert_cmpuint(n_rsvd, >, 0);
    g_assert_cmpuint(n_field, >, 0);
}

/* ---- Decode: types ---- */

/*
 * Types 1, 2, 5 always; 4 with ECAP.IR; 3 with ECAP.DT (bit 4 is one of
 * its reserved bits); 0 and 6..15 never.
 */
static void test_types(void)
{
    unsigned t;
    int ir, dt, g;

    for (t = 0; t < 16; t++) {
        for (ir = 0; ir <= 1; ir++) {
            for (dt = 0; dt <= 1; dt++) {
                for (g = 0; g <= 1; g++) {
                    uint64_t lo = t | (uint64_t)g << 4;
                    bool want = t == T_WAIT || (t == T_IEC && ir) ||
                                (g && (t == T_CC || t == T_IOTLB)) ||
                                (!g && t == T_DEVTLB && dt);
                    DmarQiDesc d, ref;

                    g_assert(ref_decode_dt(ir, dt, lo, 0, &ref) == want);
                    g_assert(decode(ir, dt, lo, 0, &d) == want);
                    if (want) {
                        assert_desc(&d, &ref);
                    }
                }
            }
        }
    }
}

/* Any of the high type bits 11:9 makes a legacy descriptor invalid. */
static void test_type_hi(void)
{
    static const uint64_t valid[] = {
        0x0003ffffffff0031ull, 0x00000000ffff00f2ull, 0x0000fffff8000014ull,
        0xffffffff00000075ull,
    };
    unsigned t, h, i;
    DmarQiDesc d;

    for (t = 0; t < 16; t++) {
        for (h = 1; h < 8; h++) {
            uint64_t lo = t | 1ull << 4 | (uint64_t)h << 9;

            g_assert_false(decode(true, false, lo, 0, &d));
            g_assert_false(decode(true, true, lo, 0, &d));
        }
    }
    for (i = 0; i < ARRAY_SIZE(valid); i++) {
        g_assert_true(decode(true, false, valid[i], 0, &d));
        for (h = 1; h < 8; h++) {
            g_assert_false(decode(true, false, valid[i] | (uint64_t)h << 9,
                                  0, &d));
        }
    }
}

/*
 * Device-TLB descriptors: an invalid type (IQEI 3) without ECAP.DT, a
 * valid one with it, whose reserved bits are IQEI 4 (decode() checks
 * the IQEI).
 */
static void test_devtlb(void)
{
    DmarQiDesc d;
    int ir;

    for (ir = 0; ir <= 1; ir++) {
        g_assert_false(decode(ir, false, T_DEVTLB, 0, &d));
        g_assert_false(decode(ir, false, 0x0000000012340013ull, 0x1000, &d));
        g_assert_false(decode(ir, false, devtlb_lo(0x18, 0x18, 0), 0x1000,
                              &d));
        g_assert_true(decode(ir, true, T_DEVTLB, 0, &d));
        g_assert_true(decode(ir, true, devtlb_lo(0x18, 0x18, 0), 0x1000,
                             &d));
        g_assert_cmphex(d.sid, ==, 0x18);
        g_assert_cmphex(d.pfsid, ==, 0x18);
        g_assert_true(decode(ir, true, devtlb_lo(0xfedc, 0xba98, 17),
                             0x2001, &d));
        g_assert_cmphex(d.sid, ==, 0xfedc);
        g_assert_cmphex(d.pfsid, ==, 0xba98);
        g_assert_cmpuint(d.mip, ==, 17);
        g_assert_true(d.size);
        g_assert_cmphex(d.addr, ==, 0x2000);
        /* bit 4 reserved: type 3 valid, so IQEI 4 */
        g_assert_false(decode(ir, true, 0x0000000012340013ull, 0x1000, &d));
    }
}

/* ---- Device-TLB invalidation ranges (§6.5.2.5) ---- */

static void devtlb_range(uint64_t hi, uint64_t *first, uint64_t *last)
{
    DmarQiDesc d;

    g_assert_true(decode(true, true, devtlb_lo(0x18, 0x18, 0), hi, &d));
    dmar_qi_devtlb_range(&d, first, last);
}

/* S = 0: the 4 KiB page at ADDR, wherever it is. */
static void test_devtlb_range_page(void)
{
    static const uint64_t addrs[] = {
        0, 0x1000, 0x12345000ull, 0x7ffffffff000ull, 0x8000000000000000ull,
        0xfffffffffffff000ull,
    };
    uint64_t first, last;

    for (unsigned i = 0; i < ARRAY_SIZE(addrs); i++) {
        devtlb_range(addrs[i], &first, &last);
        g_assert_cmphex(first, ==, addrs[i]);
        g_assert_cmphex(last, ==, addrs[i] + 0xfff);
    }
}

/*
 * S = 1, every size from 8 KiB to 2^63 bytes, encoded as software does
 * (Linux's qi_flush_dev_iotlb() for 2^m pages at BASE: the address with
 * bits 12 + m - 2 .. 12 set): the naturally aligned range at BASE. Bases
 * at the bottom, in the middle and at the top of the address space.
 */
static void test_devtlb_range_sizes(void)
{
    static const uint64_t bases[] = {
        0, 0xa5a5a5a5a5a5a000ull, 0xffffffffffffe000ull,
    };
    uint64_t first, last;

    for (unsigned m = 1; m <= 51; m++) {
        uint64_t size = 1ull << (12 + m);

        for (unsigned i = 0; i < ARRAY_SIZE(bases); i++) {
            uint64_t base = bases[i] & ~(size - 1);
            uint64_t addr = (base | ((size >> 1) - 1)) & ~PAGE_MASK_4K;

            devtlb_range(addr | 1, &first, &last);
            if (first != base || last != base + size - 1) {
                g_test_message("2^%u pages at 0x%" PRIx64 ": got 0x%" PRIx64
                               "..0x%" PRIx64, m, base, first, last);
            }
            g_assert_cmphex(first, ==, base);
            g_assert_cmphex(last, ==, base + size - 1);
        }
    }
    /* 2^52 pages (bit 63 clear, 62:12 set), and ADDR all ones: all */
    devtlb_range(0x7ffffffffffff001ull, &first, &last);
    g_assert_cmphex(first, ==, 0);
    g_assert_cmphex(last, ==, UINT64_MAX);
    devtlb_range(0xfffffffffffff001ull, &first, &last);
    g_assert_cmphex(first, ==, 0);
    g_assert_cmphex(last, ==, UINT64_MAX);
}

/*
 * S = 1: only the lowest clear bit of ADDR[63:12] and the bits above it
 * count. Worked examples of the encoding.
 */
static void test_devtlb_range_table(void)
{
    static const struct {
        uint64_t addr, first, last;
    } rows[] = {
        { 0x0000000000000000ull, 0x0000000000000000ull, 0x1fffull },
        { 0x0000000000002000ull, 0x0000000000002000ull, 0x3fffull },
        { 0x0000000000001000ull, 0x0000000000000000ull, 0x3fffull },
        { 0x0000000000003000ull, 0x0000000000000000ull, 0x7fffull },
        { 0x0000000000005000ull, 0x0000000000004000ull, 0x7fffull },
        { 0x0000000000007000ull, 0x0000000000000000ull, 0xffffull },
        { 0x0000000000017000ull, 0x0000000000010000ull, 0x1ffffull },
        { 0x00000000001ff000ull, 0x0000000000000000ull, 0x3fffffull },
        { 0x123456789abcd000ull, 0x123456789abcc000ull,
          0x123456789abcffffull },
        { 0xfffffffffffef000ull, 0xfffffffffffe0000ull,
          0xffffffffffffffffull },
    };
    uint64_t first, last;

    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        devtlb_range(rows[i].addr | 1, &first, &last);
        g_assert_cmphex(first, ==, rows[i].first);
        g_assert_cmphex(last, ==, rows[i].last);
    }
}

/* ---- Fake guest memory (dmar-fake-mem.h) ---- */

/* ---- The walker's environment: one queue and its callbacks ---- */

typedef struct QiCall {
    int op;                 /* T_CC: context, T_IOTLB: iotlb, T_IEC: iec */
    DmarQiDesc d;
} QiCall;

typedef struct QiEnv {
    unsigned magic;
    FakeMem mem;
    DmarQiCaps caps;
    uint64_t base;
    uint32_t entries;
    uint64_t *lo;           /* what each slot of the queue holds */
    uint64_t *hi;
    GArray *calls;          /* of QiCall */
    unsigned op_work;       /* what each callback says it did */
    uint32_t budget;        /* DmarQiRun.budget of env_run() */
    bool dw256;             /* 256-bit descriptors (IQA.DW = 1) */
    bool wait_held;         /* wait_ready says no */
    unsigned wait_asks;     /* wait_ready calls */
} QiEnv;

static void record(void *opaque, const DmarQiDesc *d, int op)
{
    QiEnv *e = opaque;
    QiCall c = { .op = op, .d = *d };

    g_assert_cmphex(e->magic, ==, ENV_MAGIC);
    g_array_append_val(e->calls, c);
}

static unsigned op_context(void *opaque, const DmarQiDesc *d)
{
    record(opaque, d, T_CC);
    return ((QiEnv *)opaque)->op_work;
}

static unsigned op_iotlb(void *opaque, const DmarQiDesc *d)
{
    record(opaque, d, T_IOTLB);
    return ((QiEnv *)opaque)->op_work;
}

static unsigned op_iec(void *opaque, const DmarQiDesc *d)
{
    record(opaque, d, T_IEC);
    return ((QiEnv *)opaque)->op_work;
}

static unsigned op_devtlb(void *opaque, const DmarQiDesc *d)
{
    record(opaque, d, T_DEVTLB);
    return ((QiEnv *)opaque)->op_work;
}

static bool op_wait_ready(void *opaque)
{
    QiEnv *e = opaque;

    e->wait_asks++;
    return !e->wait_held;
}

static const DmarQiOps qi_ops = {
    .context = op_context,
    .iotlb = op_iotlb,
    .iec = op_iec,
    .devtlb = op_devtlb,
    .wait_ready = op_wait_ready,
};

/* A queue of ENTRIES zeroed (type 0) slots, all backed; IR on, DT off. */
static void env_init(QiEnv *e, uint32_t entries)
{
    uint64_t p;

    memset(e, 0, sizeof(*e));
    e->magic = ENV_MAGIC;
    fake_mem_init(&e->mem);
    e->caps.ir = true;
    e->budget = UINT32_MAX;
    e->base = QUEUE_BASE;
    e->entries = entries;
    e->lo = g_new0(uint64_t, MAX(entries, 1));
    e->hi = g_new0(uint64_t, MAX(entries, 1));
    e->calls = g_array_new(false, false, sizeof(QiCall));
    for (p = 0; p < entries * DESC_SIZE; p += PAGE_SIZE_4K) {
        fake_page(&e->mem, e->base + p, true);
    }
    memset(fake_page(&e->mem, STATUS_GPA, true), CANARY, PAGE_SIZE_4K);
}

static void env_destroy(QiEnv *e)
{
    fake_mem_destroy(&e->mem);
    g_free(e->lo);
    g_free(e->hi);
    g_array_free(e->calls, true);
}

static uint64_t slot_gpa(QiEnv *e, uint32_t slot)
{
    return e->base + slot * DESC_SIZE;
}

/* Write a descriptor to SLOT; an unbacked slot only keeps the shadow. */
static void env_put(QiEnv *e, uint32_t slot, uint64_t lo, uint64_t hi)
{
    uint8_t *page = fake_page(&e->mem, slot_gpa(e, slot), false);

    g_assert_cmpuint(slot, <, e->entries);
    e->lo[slot] = lo;
    e->hi[slot] = hi;
    if (page) {
        stq_le_p(page + (slot_gpa(e, slot) & PAGE_MASK_4K), lo);
        stq_le_p(page + (slot_gpa(e, slot) & PAGE_MASK_4K) + 8, hi);
    }
}

/* Back the page of SLOT again, with what the guest had put there. */
static void env_back(QiEnv *e, uint32_t slot)
{
    uint32_t per_page = PAGE_SIZE_4K / DESC_SIZE;
    uint32_t s = slot - slot % per_page;
    uint32_t end = MIN(s + per_page, e->entries);

    g_assert((e->base & PAGE_MASK_4K) == 0);
    fake_page(&e->mem, slot_gpa(e, slot), true);
    for (; s < end; s++) {
        env_put(e, s, e->lo[s], e->hi[s]);
    }
}

/* A context-cache invalidation that names its slot in the DID. */
static void env_put_cc(QiEnv *e, uint32_t slot)
{
    env_put(e, slot, cc_lo(2, 0x100 + slot, 0, 0), 0);
}

static void env_put_wait(QiEnv *e, uint32_t slot, bool irq, bool sw,
                         uint32_t sdata, uint64_t addr)
{
    env_put(e, slot, wait_lo(irq, sw, false, sdata), addr);
}

/* Run the walker; the outputs of RUN start as garbage. */
static DmarQiStatus env_run(QiEnv *e, uint32_t head, uint32_t tail,
                            DmarQiRun *run)
{
    g_array_set_size(e->calls, 0);
    g_array_set_size(e->mem.writes, 0);
    e->mem.reads = 0;
    e->mem.stray_reads = 0;
    e->mem.write_calls = 0;
    e->mem.win_lo = e->base;
    e->mem.win_hi = e->base + e->entries * DESC_SIZE;
    run->head = head;
    run->budget = e->budget;
    run->processed = 0xdeadbeef;
    run->work = 0xdeadbeef;
    run->iqei = 0xf;
    run->wait_irq = true;
    return dmar_qi_process(&e->caps, e->base, e->entries, e->dw256, tail,
                           &(DmarMem){ &fake_mem_ops, &e->mem }, &qi_ops, e,
                           run);
}

/* The callbacks were for exactly these slots, in this order. */
static void assert_calls(QiEnv *e, const uint32_t *slots, unsigned n)
{
    unsigned i;

    if (e->calls->len != n) {
        g_test_message("%u callbacks, want %u", e->calls->len, n);
    }
    g_assert_cmpuint(e->calls->len, ==, n);
    for (i = 0; i < n; i++) {
        const QiCall *c = &g_array_index(e->calls, QiCall, i);
        DmarQiDesc want;

        g_assert_true(ref_decode_dt(e->caps.ir, e->caps.dt, e->lo[slots[i]],
                                    e->hi[slots[i]], &want));
        g_assert_cmpint(c->op, ==, want.type);
        assert_desc(&c->d, &want);
    }
}

/* Callbacks for the slots FROM, FROM + 1, ... (N of them, wrapping). */
static void assert_calls_seq(QiEnv *e, uint32_t from, unsigned n)
{
    g_autofree uint32_t *slots = g_new(uint32_t, MAX(n, 1));
    unsigned i;

    for (i = 0; i < n; i++) {
        slots[i] = (from + i) % e->entries;
    }
    assert_calls(e, slots, n);
}

static void assert_run(QiEnv *e, DmarQiStatus st, const DmarQiRun *run,
                       DmarQiStatus want_st, uint32_t head,
                       uint32_t processed)
{
    if (st != want_st || run->head != head ||
        run->processed != processed) {
        g_test_message("status %d head %u processed %u, want %d %u %u",
                       st, run->head, run->processed, want_st, head,
                       processed);
    }
    g_assert_cmpint(st, ==, want_st);
    g_assert_cmpuint(run->head, ==, head);
    g_assert_cmpuint(run->processed, ==, processed);
    g_assert_cmpuint(e->mem.stray_reads, ==, 0);
}

static void assert_write(QiEnv *e, unsigned i, uint64_t gpa, uint32_t val)
{
    const FakeMemWrite *w;

    g_assert_cmpuint(i, <, e->mem.writes->len);
    w = &g_array_index(e->mem.writes, FakeMemWrite, i);
    g_assert_cmphex(w->gpa, ==, gpa);
    g_assert_cmpuint(w->len, ==, 4);
    /* 32-bit status data, little-endian in memory. */
    g_assert_cmphex(w->data[0], ==, val & 0xff);
    g_assert_cmphex(w->data[1], ==, (val >> 8) & 0xff);
    g_assert_cmphex(w->data[2], ==, (val >> 16) & 0xff);
    g_assert_cmphex(w->data[3], ==, val >> 24);
}

static uint8_t status_byte(QiEnv *e, uint64_t gpa)
{
    return fake_page(&e->mem, gpa, false)[gpa & PAGE_MASK_4K];
}

/* ---- Walker ---- */

/* Head == tail: nothing to do, even where the queue is not backed. */
static void test_walk_empty(void)
{
    QiEnv e;
    DmarQiRun run;
    uint32_t h;

    env_init(&e, 8);
    for (h = 0; h < 8; h++) {
        env_put_cc(&e, h);
    }
    for (h = 0; h < 8; h++) {
        DmarQiStatus st = env_run(&e, h, h, &run);

        assert_run(&e, st, &run, DMAR_QI_DONE, h, 0);
        assert_calls(&e, NULL, 0);
        g_assert_false(run.wait_irq);
        g_assert_cmpuint(e.mem.write_calls, ==, 0);
    }
    fake_unback(&e.mem, e.base);
    for (h = 0; h < 8; h++) {
        DmarQiStatus st = env_run(&e, h, h, &run);

        assert_run(&e, st, &run, DMAR_QI_DONE, h, 0);
        assert_calls(&e, NULL, 0);
    }
    env_destroy(&e);
}

/* One descriptor of each kind, alone in the queue. */
static void test_walk_single(void)
{
    static const struct {
        uint64_t lo, hi;
        unsigned calls;
        bool irq;
        unsigned writes;
    } descs[] = {
        { 0x0003ffffffff0031ull, 0, 1, false, 0 },
        { 0x00000000ffff00f2ull, 0xfffffffffffff07full, 1, false, 0 },
        { 0x0000fffff8000014ull, 0, 1, false, 0 },
        { 0x0000000000000005ull, 0, 0, false, 0 },
        { 0x0000000000000015ull, 0, 0, true, 0 },
        { 0xcafef00d00000035ull, STATUS_GPA + 0x40, 0, true, 1 },
    };
    const uint32_t slot = 3;
    QiEnv e;
    DmarQiRun run;
    unsigned i;

    env_init(&e, 16);
    for (i = 0; i < ARRAY_SIZE(descs); i++) {
        DmarQiStatus st;

        env_put(&e, slot, descs[i].lo, descs[i].hi);
        st = env_run(&e, slot, slot + 1, &run);
        assert_run(&e, st, &run, DMAR_QI_DONE, slot + 1, 1);
        assert_calls(&e, &slot, descs[i].calls);
        g_assert(run.wait_irq == descs[i].irq);
        g_assert_cmpuint(e.mem.writes->len, ==, descs[i].writes);
        g_assert_cmpuint(e.mem.write_calls, ==, descs[i].writes);
    }
    assert_write(&e, 0, STATUS_GPA + 0x40, 0xcafef00d);
    env_destroy(&e);
}

/* A mixed batch: effects in queue order, each exactly once. */
static void test_walk_batch(void)
{
    static const uint32_t want[] = { 0, 1, 2, 4, 5, 7, 9 };
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;

    env_init(&e, 32);
    env_put(&e, 0, cc_lo(1, 0, 0, 0), 0);
    env_put(&e, 1, iotlb_lo(2, true, false, 0x11), 0);
    env_put(&e, 2, iec_lo(true, 3, 0x40), 0);
    env_put_wait(&e, 3, false, true, 0x1, STATUS_GPA);
    env_put(&e, 4, cc_lo(3, 0x22, 0x0810, 1), 0);
    env_put(&e, 5, iotlb_lo(3, false, true, 0x22),
            iotlb_hi(0xabcdef000ull, true, 9));
    env_put_wait(&e, 6, false, true, 0x2, STATUS_GPA + 4);
    env_put(&e, 7, iec_lo(false, 0, 0), 0);
    env_put_wait(&e, 8, false, true, 0x3, STATUS_GPA);
    env_put(&e, 9, cc_lo(2, 0xffff, 0, 0), 0);

    st = env_run(&e, 0, 10, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 10, 10);
    assert_calls(&e, want, ARRAY_SIZE(want));
    g_assert_false(run.wait_irq);
    g_assert_cmpuint(e.mem.writes->len, ==, 3);
    assert_write(&e, 0, STATUS_GPA, 1);
    assert_write(&e, 1, STATUS_GPA + 4, 2);
    assert_write(&e, 2, STATUS_GPA, 3);
    g_assert_cmphex(ldl_le_p(fake_page(&e.mem, STATUS_GPA, false)), ==, 3);

    /* The same batch, starting part way. */
    st = env_run(&e, 4, 10, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 10, 6);
    assert_calls(&e, want + 3, 4);
    g_assert_cmpuint(e.mem.writes->len, ==, 2);
    env_destroy(&e);
}

/* Head near the end, tail small: the walk wraps to slot 0. */
static void test_walk_wrap(void)
{
    static const struct {
        uint32_t head, tail;
    } runs[] = {
        { 5, 3 }, { 5, 0 }, { 7, 0 }, { 7, 6 }, { 3, 2 }, { 1, 0 }, { 6, 1 },
    };
    QiEnv e;
    DmarQiRun run;
    uint32_t s;
    unsigned i;

    env_init(&e, 8);
    for (s = 0; s < 8; s++) {
        env_put_cc(&e, s);
    }
    for (i = 0; i < ARRAY_SIZE(runs); i++) {
        uint32_t n = (runs[i].tail + 8 - runs[i].head) % 8;
        DmarQiStatus st = env_run(&e, runs[i].head, runs[i].tail, &run);

        assert_run(&e, st, &run, DMAR_QI_DONE, runs[i].tail, n);
        assert_calls_seq(&e, runs[i].head, n);
    }

    /* A wait at the last slot and one at slot 0, across the wrap. */
    env_put_wait(&e, 7, true, true, 0x77, STATUS_GPA + 8);
    env_put_wait(&e, 0, false, true, 0x100, STATUS_GPA + 12);
    {
        static const uint32_t want[] = { 6, 1 };
        DmarQiStatus st = env_run(&e, 6, 2, &run);

        assert_run(&e, st, &run, DMAR_QI_DONE, 2, 4);
        assert_calls(&e, want, 2);
        g_assert_true(run.wait_irq);
        g_assert_cmpuint(e.mem.writes->len, ==, 2);
        assert_write(&e, 0, STATUS_GPA + 8, 0x77);
        assert_write(&e, 1, STATUS_GPA + 12, 0x100);
    }
    env_destroy(&e);
}

/* ---- Walker: stopping at an invalid descriptor ---- */

typedef struct StopCase {
    const char *name;
    bool ir;
    uint64_t lo;
    uint64_t hi;
} StopCase;

static const StopCase stop_cases[] = {
    { "type0", true, 0, 0 },
    { "type-hi", true, 0x0000000000000211ull, 0 },
    { "cc-g0", true, 0x0000000012340001ull, 0 },
    { "cc-rsvd-lo", true, 0x0000000000000051ull, 0 },
    { "cc-rsvd-hi", true, 0x0000000000000011ull, 0x8000000000000000ull },
    { "iotlb-g0", true, 0x00000000ffff0002ull, 0 },
    { "iotlb-rsvd-lo", true, 0x0000000100000012ull, 0 },
    { "iotlb-rsvd-hi", true, 0x0000000000000012ull, 0x0000000000000080ull },
    { "devtlb", true, 0x0000000000000003ull, 0 },
    { "iec-no-ir", false, 0x0000000000000014ull, 0 },
    { "iec-rsvd", true, 0x0001000000000014ull, 0 },
    { "wait-pd", true, 0x0000000000000085ull, 0 },
    { "wait-rsvd", true, 0x0000000000001005ull, 0 },
    { "wait-addr", true, 0x0000000000000025ull, STATUS_GPA + 2 },
    { "type6", true, 0x0000000000000006ull, 0 },
    { "type15", true, 0x000000000000000full, 0 },
};

/*
 * The queue holds cc, iotlb, wait (IF, SW), BAD, cc, cc. The walk
 * executes the first three, stops at BAD with head on it, and once the
 * guest fixes BAD, a second walk from there executes the rest and not
 * the first three again.
 */
static void test_walk_stop(const void *opaque)
{
    const StopCase *c = opaque;
    static const uint32_t first[] = { 0, 1 };
    static const uint32_t second[] = { 3, 4, 5 };
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;
    DmarQiDesc d;

    env_init(&e, 16);
    e.caps.ir = c->ir;
    g_assert_false(ref_decode(c->ir, c->lo, c->hi, &d));
    env_put(&e, 0, cc_lo(1, 0, 0, 0), 0);
    env_put(&e, 1, iotlb_lo(2, false, false, 0x33), 0);
    env_put_wait(&e, 2, true, true, 0xfeed, STATUS_GPA + 0x10);
    env_put(&e, 3, c->lo, c->hi);
    env_put_cc(&e, 4);
    env_put_cc(&e, 5);

    st = env_run(&e, 0, 6, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 3, 3);
    g_assert_cmpuint(run.iqei, ==, ref_iqei(c->ir, c->lo));
    assert_calls(&e, first, 2);
    g_assert_true(run.wait_irq);
    g_assert_cmpuint(e.mem.writes->len, ==, 1);
    assert_write(&e, 0, STATUS_GPA + 0x10, 0xfeed);

    /* Again without fixing it: nothing happens, head stays. */
    st = env_run(&e, 3, 6, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 3, 0);
    g_assert_cmpuint(run.iqei, ==, ref_iqei(c->ir, c->lo));
    assert_calls(&e, NULL, 0);
    g_assert_false(run.wait_irq);
    g_assert_cmpuint(e.mem.write_calls, ==, 0);

    env_put(&e, 3, iotlb_lo(1, true, true, 0x44), 0);
    st = env_run(&e, 3, 6, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 6, 3);
    assert_calls(&e, second, 3);
    g_assert_cmpuint(e.mem.write_calls, ==, 0);
    env_destroy(&e);
}

/* A bad descriptor right at head, and one just past the wrap. */
static void test_walk_stop_edges(void)
{
    static const uint32_t want[] = { 6, 7 };
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;
    uint32_t s;

    env_init(&e, 8);
    for (s = 0; s < 8; s++) {
        env_put_cc(&e, s);
    }
    env_put(&e, 2, cc_lo(0, 1, 2, 3), 0);
    st = env_run(&e, 2, 5, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 2, 0);
    assert_calls(&e, NULL, 0);

    env_put_cc(&e, 2);
    env_put(&e, 0, 0x0000000000000007ull, 0);
    st = env_run(&e, 6, 4, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 0, 2);
    assert_calls(&e, want, 2);

    /* The last slot before tail. */
    env_put_cc(&e, 0);
    env_put(&e, 3, 0, 0);
    st = env_run(&e, 6, 4, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 3, 5);
    assert_calls_seq(&e, 6, 5);
    env_destroy(&e);
}

/* ---- Walker: memory that fails ---- */

/* Descriptor fetch from an unbacked page of the queue. */
static void test_walk_fetch(void)
{
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;
    uint32_t s;

    /* 512 entries: slots 0..255 in the first page, 256..511 in the next. */
    env_init(&e, 512);
    for (s = 0; s < 512; s++) {
        env_put_cc(&e, s);
    }
    fake_unback(&e.mem, e.base + PAGE_SIZE_4K);
    st = env_run(&e, 250, 260, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 256, 6);
    g_assert_cmpuint(run.iqei, ==, DMAR_IQEI_FETCH);
    assert_calls_seq(&e, 250, 6);

    /* At head: nothing done. */
    st = env_run(&e, 300, 10, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 300, 0);
    assert_calls(&e, NULL, 0);

    /* Within the backed page only: fine. */
    st = env_run(&e, 10, 200, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 200, 190);
    assert_calls_seq(&e, 10, 190);
    env_destroy(&e);

    /* The first page missing: the walk fails where it wraps to 0. */
    env_init(&e, 512);
    for (s = 0; s < 512; s++) {
        env_put_cc(&e, s);
    }
    fake_unback(&e.mem, e.base);
    st = env_run(&e, 500, 10, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 0, 12);
    g_assert_cmpuint(run.iqei, ==, DMAR_IQEI_FETCH);
    assert_calls_seq(&e, 500, 12);
    env_destroy(&e);

    /* No queue memory at all. */
    env_init(&e, 4);
    fake_unback(&e.mem, e.base);
    st = env_run(&e, 1, 3, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 1, 0);
    g_assert_cmpuint(run.iqei, ==, DMAR_IQEI_FETCH);
    assert_calls(&e, NULL, 0);
    g_assert_cmpuint(e.mem.write_calls, ==, 0);
    env_destroy(&e);
}

/* A status write that fails stops the walk at that wait descriptor. */
static void test_walk_status_fail(void)
{
    static const uint64_t bad[] = {
        UNBACKED_GPA, UNBACKED_GPA + PAGE_SIZE_4K - 4,
        0xfffffffffffffffcull, STATUS_GPA + PAGE_SIZE_4K,
    };
    static const uint32_t want[] = { 0 };
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;
    unsigned i;

    env_init(&e, 8);
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        env_put_cc(&e, 0);
        env_put_wait(&e, 1, false, true, 0x1234, bad[i]);
        env_put_cc(&e, 2);
        st = env_run(&e, 0, 3, &run);
        assert_run(&e, st, &run, DMAR_QI_ERROR, 1, 1);
        /* the descriptor is valid: IQEI has no code for this */
        g_assert_cmpuint(run.iqei, ==, DMAR_IQEI_NONE);
        assert_calls(&e, want, 1);
        g_assert_cmpuint(e.mem.writes->len, ==, 0);
        g_assert_false(run.wait_irq);

        /* An earlier wait's interrupt request stands. */
        env_put_wait(&e, 0, true, true, 0x55, STATUS_GPA);
        st = env_run(&e, 0, 3, &run);
        assert_run(&e, st, &run, DMAR_QI_ERROR, 1, 1);
        assert_calls(&e, NULL, 0);
        g_assert_true(run.wait_irq);
        g_assert_cmpuint(e.mem.writes->len, ==, 1);
        assert_write(&e, 0, STATUS_GPA, 0x55);
    }
    env_destroy(&e);
}

/* ---- Walker: wait descriptors ---- */

/*
 * A wait that is not ready (what came before it is not done outside the
 * walker yet) stops the walk on it, status unwritten; a call starting on
 * it asks again (another caller may run the queue before the first one
 * has done that work), and completes it once it is ready.
 */
static void test_walk_wait_held(void)
{
    const uint32_t first[] = { 0 }, rest[] = { 2 };
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;

    env_init(&e, 8);
    env_put_cc(&e, 0);
    env_put_wait(&e, 1, true, true, 0x600d, STATUS_GPA);
    env_put_cc(&e, 2);
    e.wait_held = true;
    st = env_run(&e, 0, 3, &run);
    assert_run(&e, st, &run, DMAR_QI_PENDING, 1, 1);
    g_assert_true(run.wait_held);
    assert_calls(&e, first, 1);
    g_assert_cmpuint(e.wait_asks, ==, 1);
    g_assert_cmpuint(e.mem.write_calls, ==, 0);
    g_assert_false(run.wait_irq);
    g_assert_cmphex(status_byte(&e, STATUS_GPA), ==, CANARY);

    /* Again from the wait, still not ready: held, first of the call */
    st = env_run(&e, 1, 3, &run);
    assert_run(&e, st, &run, DMAR_QI_PENDING, 1, 0);
    g_assert_true(run.wait_held);
    g_assert_cmpuint(e.wait_asks, ==, 2);
    g_assert_cmpuint(e.mem.write_calls, ==, 0);
    g_assert_cmphex(status_byte(&e, STATUS_GPA), ==, CANARY);

    /* Ready now: it completes, and the rest runs */
    e.wait_held = false;
    st = env_run(&e, 1, 3, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 3, 2);
    g_assert_false(run.wait_held);
    assert_calls(&e, rest, 1);
    g_assert_cmpuint(e.wait_asks, ==, 3);
    assert_write(&e, 0, STATUS_GPA, 0x600d);
    g_assert_true(run.wait_irq);

    /* Ready: all three in one call */
    memset(fake_page(&e.mem, STATUS_GPA, false), CANARY, PAGE_SIZE_4K);
    st = env_run(&e, 0, 3, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 3, 3);
    g_assert_cmpuint(e.wait_asks, ==, 4);
    assert_write(&e, 0, STATUS_GPA, 0x600d);
    env_destroy(&e);
}

static void test_walk_wait(void)
{
    const uint64_t addr = STATUS_GPA + 0x100;
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;
    int irq, fn;

    env_init(&e, 8);

    /* SW = 0: no write at all, whatever the address says. */
    for (irq = 0; irq <= 1; irq++) {
        env_put_wait(&e, 0, irq, false, 0x12345678, addr);
        env_put_wait(&e, 1, false, false, 0x9abcdef0, UNBACKED_GPA);
        env_put_wait(&e, 2, false, false, 0x1, 0xfffffffffffffffcull);
        st = env_run(&e, 0, 3, &run);
        assert_run(&e, st, &run, DMAR_QI_DONE, 3, 3);
        assert_calls(&e, NULL, 0);
        g_assert_cmpuint(e.mem.write_calls, ==, 0);
        g_assert(run.wait_irq == irq);
        g_assert_cmphex(status_byte(&e, addr), ==, CANARY);
    }

    /* SW = 1: the 32-bit data, little-endian, and nothing around it. */
    for (fn = 0; fn <= 1; fn++) {
        memset(fake_page(&e.mem, STATUS_GPA, false), CANARY, PAGE_SIZE_4K);
        env_put(&e, 4, wait_lo(false, true, fn, 0x11223344), addr);
        st = env_run(&e, 4, 5, &run);
        assert_run(&e, st, &run, DMAR_QI_DONE, 5, 1);
        g_assert_false(run.wait_irq);
        g_assert_cmpuint(e.mem.write_calls, ==, 1);
        assert_write(&e, 0, addr, 0x11223344);
        g_assert_cmphex(status_byte(&e, addr - 1), ==, CANARY);
        g_assert_cmphex(status_byte(&e, addr), ==, 0x44);
        g_assert_cmphex(status_byte(&e, addr + 1), ==, 0x33);
        g_assert_cmphex(status_byte(&e, addr + 2), ==, 0x22);
        g_assert_cmphex(status_byte(&e, addr + 3), ==, 0x11);
        g_assert_cmphex(status_byte(&e, addr + 4), ==, CANARY);
    }

    /* The last page of the status page, and the interrupt request. */
    env_put_wait(&e, 5, true, true, 0xffffffff,
                 STATUS_GPA + PAGE_SIZE_4K - 4);
    st = env_run(&e, 5, 6, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 6, 1);
    g_assert_true(run.wait_irq);
    assert_write(&e, 0, STATUS_GPA + PAGE_SIZE_4K - 4, 0xffffffff);

    /* One IF among several waits is enough. */
    env_put_wait(&e, 6, false, true, 6, STATUS_GPA);
    env_put_wait(&e, 7, false, false, 7, STATUS_GPA);
    st = env_run(&e, 5, 0, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 0, 3);
    g_assert_true(run.wait_irq);
    g_assert_cmpuint(e.mem.writes->len, ==, 2);
    assert_write(&e, 1, STATUS_GPA, 6);
    st = env_run(&e, 6, 0, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 0, 2);
    g_assert_false(run.wait_irq);
    env_destroy(&e);
}

/* ---- Walker: arguments and the bound ---- */

static void assert_refused(QiEnv *e, uint32_t head, uint32_t tail)
{
    DmarQiRun run;
    DmarQiStatus st = env_run(e, head, tail, &run);

    if (st != DMAR_QI_ERROR) {
        g_test_message("entries %u head %u tail %u: not refused",
                       e->entries, head, tail);
    }
    assert_run(e, st, &run, DMAR_QI_ERROR, head, 0);
    /* §11.4.9.9: 1, an invalid tail; a bad head cannot come from IQH */
    g_assert_cmpuint(run.iqei, ==,
                     e->entries && head < e->entries && tail >= e->entries ?
                     DMAR_IQEI_TAIL : DMAR_IQEI_NONE);
    g_assert_false(run.wait_irq);
    assert_calls(e, NULL, 0);
    g_assert_cmpuint(e->mem.reads, ==, 0);
    g_assert_cmpuint(e->mem.write_calls, ==, 0);
}

/* Out-of-range head or tail, or no entries: refused, nothing done. */
static void test_walk_args(void)
{
    QiEnv e;
    uint32_t s;

    env_init(&e, 0);
    assert_refused(&e, 0, 0);
    assert_refused(&e, 0, 1);
    assert_refused(&e, 1, 0);
    env_destroy(&e);

    env_init(&e, 8);
    for (s = 0; s < 8; s++) {
        env_put_wait(&e, s, true, true, s, STATUS_GPA);
    }
    assert_refused(&e, 0, 8);
    assert_refused(&e, 0, 9);
    assert_refused(&e, 3, UINT32_MAX);
    assert_refused(&e, 8, 0);
    assert_refused(&e, 8, 8);
    assert_refused(&e, 9, 3);
    assert_refused(&e, UINT32_MAX, 0);
    assert_refused(&e, UINT32_MAX, UINT32_MAX);
    env_destroy(&e);
}

/*
 * Every head and tail (in range and just beyond) of small rings: the walk
 * covers exactly the slots from head up to tail, fewer than ENTRIES.
 */
static void test_walk_bound(void)
{
    uint32_t entries, head, tail, s;

    for (entries = 1; entries <= 6; entries++) {
        QiEnv e;

        env_init(&e, entries);
        for (s = 0; s < entries; s++) {
            env_put_cc(&e, s);
        }
        for (head = 0; head <= entries + 1; head++) {
            for (tail = 0; tail <= entries + 1; tail++) {
                DmarQiRun run;
                DmarQiStatus st;
                uint32_t n;

                if (head >= entries || tail >= entries) {
                    assert_refused(&e, head, tail);
                    continue;
                }
                n = (tail + entries - head) % entries;
                st = env_run(&e, head, tail, &run);
                assert_run(&e, st, &run, DMAR_QI_DONE, tail, n);
                g_assert_cmpuint(run.processed, <, entries);
                g_assert_cmpuint(e.mem.reads, <=, entries);
                assert_calls_seq(&e, head, n);
            }
        }
        env_destroy(&e);
    }
}

/*
 * With ECAP.DT a device-TLB descriptor goes to its own callback, in queue
 * order, counts as work like the others, and one with a reserved bit
 * stops the queue there (IQEI 4).
 */
static void test_walk_devtlb_dt(void)
{
    static const uint32_t all[] = { 0, 1, 2, 3 }, before_bad[] = { 0, 1 };
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;

    env_init(&e, 8);
    e.caps.dt = true;
    env_put_cc(&e, 0);
    env_put(&e, 1, devtlb_lo(0x1234, 0x1230, 4), 0x5000);
    env_put_cc(&e, 2);
    env_put(&e, 3, devtlb_lo(0x18, 0x18, 0), 0x17001);
    st = env_run(&e, 0, 4, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 4, 4);
    assert_calls(&e, all, 4);

    g_array_set_size(e.calls, 0);
    e.op_work = 10;
    e.budget = 12;
    st = env_run(&e, 0, 4, &run);
    assert_run(&e, st, &run, DMAR_QI_PENDING, 2, 2);
    g_assert_cmpuint(run.work, ==, 22);
    assert_calls(&e, before_bad, 2);

    g_array_set_size(e.calls, 0);
    e.op_work = 0;
    e.budget = UINT32_MAX;
    env_put(&e, 2, devtlb_lo(0x18, 0x18, 0) | SPEC_BIT(21), 0);
    st = env_run(&e, 0, 4, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 2, 2);
    g_assert_cmpuint(run.iqei, ==, DMAR_IQEI_RSVD);
    assert_calls(&e, before_bad, 2);

    /* without ECAP.DT the first one stops the queue (IQEI 3) */
    g_array_set_size(e.calls, 0);
    e.caps.dt = false;
    st = env_run(&e, 0, 4, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 1, 1);
    g_assert_cmpuint(run.iqei, ==, DMAR_IQEI_TYPE);
    env_destroy(&e);
}

/* ---- Walker: randomized, against a reference walk ---- */

#define RANDOM_SEED         0x0a11d0e5u
#define RANDOM_RUNS         3000

enum {
    STOP_DONE,
    STOP_ARGS,              /* refused: head, tail or entries */
    STOP_FETCH,
    STOP_INVALID,
    STOP_WRITE,
    STOP_N,
};

typedef struct RefRun {
    DmarQiStatus status;
    int why;                /* STOP_* */
    uint32_t head;
    uint32_t processed;
    bool wait_irq;
    bool irq_unknown;       /* stopped at a wait with IF whose write failed */
    GArray *slots;          /* slots whose descriptor reached a callback */
    GArray *writes;         /* of FakeMemWrite */
} RefRun;

/*
 * The walk as the specification and the header describe it: the slots
 * head, head + 1, ... up to tail (mod entries), each fetched, decoded and
 * executed, until one cannot be.
 */
static void ref_walk(QiEnv *e, uint32_t head, uint32_t tail, RefRun *ref)
{
    uint32_t n, i;

    ref->status = DMAR_QI_ERROR;
    ref->head = head;
    ref->processed = 0;
    ref->wait_irq = false;
    ref->irq_unknown = false;
    g_array_set_size(ref->slots, 0);
    g_array_set_size(ref->writes, 0);
    if (e->entries == 0 || head >= e->entries || tail >= e->entries) {
        ref->why = STOP_ARGS;
        return;
    }
    n = (tail + e->entries - head) % e->entries;
    for (i = 0; i < n; i++) {
        uint32_t slot = (head + i) % e->entries;
        DmarQiDesc d;

        ref->head = slot;
        if (!fake_backed(&e->mem, slot_gpa(e, slot), DESC_SIZE)) {
            ref->why = STOP_FETCH;
            return;
        }
        if (!ref_decode(e->caps.ir, e->lo[slot], e->hi[slot], &d)) {
            ref->why = STOP_INVALID;
            return;
        }
        if (d.type != T_WAIT) {
            g_array_append_val(ref->slots, slot);
        } else {
            if (d.wait_sw) {
                FakeMemWrite w = { .gpa = d.addr, .len = 4 };

                if (!fake_backed(&e->mem, d.addr, 4)) {
                    ref->why = STOP_WRITE;
                    ref->irq_unknown = d.wait_if && !ref->wait_irq;
                    return;
                }
                stl_le_p(w.data, d.sdata);
                g_array_append_val(ref->writes, w);
            }
            ref->wait_irq |= d.wait_if;
        }
        ref->processed++;
    }
    ref->head = tail;
    ref->status = DMAR_QI_DONE;
    ref->why = STOP_DONE;
}

static uint64_t rand64(GRand *r)
{
    return ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
}

static unsigned rand_below(GRand *r, unsigned n)
{
    return g_rand_int_range(r, 0, n);
}

/* A random descriptor, mostly valid; DIRTY adds invalid ones. */
static void rand_desc(GRand *r, bool dirty, uint64_t *lo, uint64_t *hi)
{
    unsigned pick = rand_below(r, 100);
    unsigned g = 1 + rand_below(r, 3);
    uint64_t addr;

    if (dirty && rand_below(r, 50) == 0) {
        g = 0;
    }
    if (pick < 30) {
        *lo = cc_lo(g, g_rand_int(r), g_rand_int(r), rand_below(r, 4));
        *hi = 0;
    } else if (pick < 55) {
        *lo = iotlb_lo(g, g_rand_boolean(r), g_rand_boolean(r),
                       g_rand_int(r));
        *hi = iotlb_hi(rand64(r), g_rand_boolean(r), rand_below(r, 64));
    } else if (pick < 70) {
        *lo = iec_lo(g_rand_boolean(r), rand_below(r, 32), g_rand_int(r));
        *hi = 0;
    } else {
        addr = STATUS_GPA + 4 * rand_below(r, PAGE_SIZE_4K / 4);
        if (dirty && rand_below(r, 20) == 0) {
            addr = UNBACKED_GPA + 4 * rand_below(r, 1024);
        }
        *lo = wait_lo(g_rand_boolean(r), g_rand_boolean(r),
                      g_rand_boolean(r), g_rand_int(r));
        *hi = addr;
    }
    if (dirty) {
        pick = rand_below(r, 100);
        if (pick < 3) {
            *lo = (*lo & ~0xfull) | rand_below(r, 16);
        } else if (pick < 6) {
            unsigned b = 4 + rand_below(r, 124);

            if (b < 64) {
                *lo |= SPEC_BIT(b);
            } else {
                *hi |= SPEC_BIT(b - 64);
            }
        }
    }
}

static uint32_t rand_index(GRand *r, bool dirty, uint32_t entries)
{
    if (entries == 0 || (dirty && rand_below(r, 16) == 0)) {
        return entries + rand_below(r, 3);
    }
    return rand_below(r, entries);
}

/* Compare one run of the module with the reference walk. */
static void check_random_run(QiEnv *e, uint32_t head, uint32_t tail,
                             RefRun *ref, int iter)
{
    DmarQiRun run;
    DmarQiStatus st;
    unsigned i;

    ref_walk(e, head, tail, ref);
    st = env_run(e, head, tail, &run);
    if (st != ref->status || run.head != ref->head ||
        run.processed != ref->processed ||
        e->calls->len != ref->slots->len) {
        g_test_message("random %d: entries %u head %u tail %u ir %d: "
                       "status %d head %u processed %u calls %u, want "
                       "%d %u %u %u (stop %d)", iter, e->entries, head,
                       tail, e->caps.ir, st, run.head, run.processed,
                       e->calls->len, ref->status, ref->head,
                       ref->processed, ref->slots->len, ref->why);
    }
    /* Invariants, whatever the reference says. */
    if (ref->why != STOP_ARGS) {
        g_assert_cmpuint(run.head, <, e->entries);
    }
    g_assert_cmpuint(run.processed, <=, e->entries);
    g_assert_cmpuint(e->calls->len, <=, run.processed);
    g_assert_cmpuint(e->mem.writes->len, <=, run.processed);
    g_assert_cmpuint(e->mem.stray_reads, ==, 0);
    for (i = 0; i < e->calls->len; i++) {
        const QiCall *c = &g_array_index(e->calls, QiCall, i);

        g_assert(c->op == T_CC || c->op == T_IOTLB || c->op == T_IEC);
        g_assert_cmpint(c->d.type, ==, c->op);
    }
    /* And exactly the reference's outcome. */
    g_assert_cmpint(st, ==, ref->status);
    g_assert_cmpuint(run.head, ==, ref->head);
    g_assert_cmpuint(run.processed, ==, ref->processed);
    if (!ref->irq_unknown) {
        g_assert(run.wait_irq == ref->wait_irq);
    }
    assert_calls(e, &g_array_index(ref->slots, uint32_t, 0),
                 ref->slots->len);
    g_assert_cmpuint(e->mem.writes->len, ==, ref->writes->len);
    for (i = 0; i < ref->writes->len; i++) {
        const FakeMemWrite *w = &g_array_index(ref->writes, FakeMemWrite, i);

        assert_write(e, i, w->gpa, ldl_le_p(w->data));
    }
}

static void test_walk_random(void)
{
    static const uint32_t sizes[] = {
        1, 2, 3, 4, 7, 16, 31, 64, 255, 256, 257, 512, 1000,
    };
    unsigned stops[STOP_N] = { 0 };
    unsigned wraps = 0, long_runs = 0, irqs = 0;
    GRand *r = g_rand_new_with_seed(RANDOM_SEED);
    RefRun ref = {
        .slots = g_array_new(false, false, sizeof(uint32_t)),
        .writes = g_array_new(false, false, sizeof(FakeMemWrite)),
    };
    int iter;

    for (iter = 0; iter < RANDOM_RUNS; iter++) {
        bool dirty = rand_below(r, 10) < 7;
        uint32_t entries = sizes[rand_below(r, ARRAY_SIZE(sizes))];
        uint32_t head, tail, s, again;
        QiEnv e;

        if (dirty && rand_below(r, 100) == 0) {
            entries = 0;
        }
        env_init(&e, entries);
        e.caps.ir = !dirty || g_rand_boolean(r);
        for (s = 0; s < entries; s++) {
            uint64_t lo, hi;

            rand_desc(r, dirty, &lo, &hi);
            env_put(&e, s, lo, hi);
        }
        if (dirty && entries && rand_below(r, 8) == 0) {
            uint32_t pages = DIV_ROUND_UP(entries * DESC_SIZE, PAGE_SIZE_4K);

            fake_unback(&e.mem, e.base + rand_below(r, pages) * PAGE_SIZE_4K);
        }
        head = rand_index(r, dirty, entries);
        tail = rand_index(r, dirty, entries);

        /* Up to three walks in a row, each from where the last stopped. */
        for (again = 0; again < 3; again++) {
            check_random_run(&e, head, tail, &ref, iter);
            stops[ref.why]++;
            wraps += ref.why != STOP_ARGS && head > ref.head;
            long_runs += ref.processed >= 100;
            irqs += ref.wait_irq;
            if (ref.why != STOP_INVALID && ref.why != STOP_FETCH) {
                break;
            }
            /* The guest replaces the bad descriptor and restarts. */
            if (ref.why == STOP_FETCH) {
                env_back(&e, ref.head);
            }
            env_put(&e, ref.head, cc_lo(1, 0, 0, 0), 0);
            head = ref.head;
        }
        env_destroy(&e);
    }
    g_test_message("random: %u done, %u refused, %u fetch, %u invalid, "
                   "%u write; %u wrapped, %u long, %u with IWC",
                   stops[STOP_DONE], stops[STOP_ARGS], stops[STOP_FETCH],
                   stops[STOP_INVALID], stops[STOP_WRITE], wraps,
                   long_runs, irqs);
    /* Every outcome was exercised. */
    g_assert_cmpuint(stops[STOP_DONE], >, RANDOM_RUNS / 10);
    g_assert_cmpuint(stops[STOP_ARGS], >, RANDOM_RUNS / 100);
    g_assert_cmpuint(stops[STOP_FETCH], >, RANDOM_RUNS / 200);
    g_assert_cmpuint(stops[STOP_INVALID], >, RANDOM_RUNS / 10);
    g_assert_cmpuint(stops[STOP_WRITE], >, RANDOM_RUNS / 100);
    g_assert_cmpuint(wraps, >, RANDOM_RUNS / 10);
    g_assert_cmpuint(long_runs, >, RANDOM_RUNS / 50);
    g_assert_cmpuint(irqs, >, RANDOM_RUNS / 10);

    g_array_free(ref.slots, true);
    g_array_free(ref.writes, true);
    g_rand_free(r);
}

/* ---- Walker: the budget, and the continuation ---- */

/*
 * A run stops once the work done reaches the budget (one unit per
 * descriptor plus what its callback reports), with head on the next
 * descriptor: the next run goes on from there. The runs together do
 * what one unbounded run does, in the same order.
 */
static void test_walk_budget(void)
{
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;
    uint32_t s, head = 5, done = 0, runs = 0, waits = 0;

    env_init(&e, 64);
    for (s = 0; s < 64; s++) {
        env_put_cc(&e, s);
    }
    env_put_wait(&e, 20, true, true, 20, STATUS_GPA);
    env_put_wait(&e, 41, false, true, 41, STATUS_GPA + 4);

    /* 63 descriptors, 5 .. 63 then 0 .. 3, 10 a run */
    e.budget = 10;
    do {
        uint32_t n = MIN(10, 63 - done);

        st = env_run(&e, head, 4, &run);
        assert_run(&e, st, &run, done + n == 63 ? DMAR_QI_DONE :
                   DMAR_QI_PENDING, (head + n) % 64, n);
        g_assert_cmpuint(run.work, ==, n);
        /* the callbacks of this run's slots, the waits' writes */
        g_assert_cmpuint(e.calls->len + e.mem.writes->len, ==, n);
        g_assert(run.wait_irq == (head <= 20 && 20 < head + n));
        for (unsigned i = 0; i < e.mem.writes->len; i++) {
            assert_write(&e, i, waits ? STATUS_GPA + 4 : STATUS_GPA,
                         waits ? 41 : 20);
            waits++;
        }
        head = run.head;
        done += n;
        runs++;
    } while (st == DMAR_QI_PENDING);
    g_assert_cmpuint(runs, ==, 7);
    g_assert_cmpuint(waits, ==, 2);
    g_assert_cmpuint(head, ==, 4);

    /* Callbacks' work counts: 5 units per cc, so 3 fill a budget of 12 */
    e.op_work = 4;
    e.budget = 12;
    st = env_run(&e, 0, 10, &run);
    assert_run(&e, st, &run, DMAR_QI_PENDING, 3, 3);
    g_assert_false(run.wait_held);
    g_assert_cmpuint(run.work, ==, 15);
    assert_calls_seq(&e, 0, 3);

    /* A budget used up exactly at the tail: done, not pending */
    e.op_work = 0;
    e.budget = 7;
    st = env_run(&e, 3, 10, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 10, 7);

    /* Whatever the budget, each run does one descriptor at least */
    e.op_work = 1000;
    e.budget = 0;
    st = env_run(&e, 30, 33, &run);
    assert_run(&e, st, &run, DMAR_QI_PENDING, 31, 1);
    g_assert_cmpuint(run.work, ==, 1001);
    e.op_work = UINT_MAX;
    e.budget = UINT32_MAX;
    st = env_run(&e, 31, 33, &run);
    assert_run(&e, st, &run, DMAR_QI_PENDING, 32, 1);
    g_assert_cmpuint(run.work, ==, UINT32_MAX);

    /* A bad descriptor in a later run stops that run there */
    e.op_work = 0;
    e.budget = 10;
    env_put(&e, 45, 0, 0);
    st = env_run(&e, 40, 50, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 45, 5);
    g_assert_cmpuint(run.iqei, ==, DMAR_IQEI_TYPE);
    env_destroy(&e);
}

/* A queue of ENTRIES slots at BASE, all backed. */
static void env_init_at(QiEnv *e, uint32_t entries, uint64_t base)
{
    uint64_t p;

    env_init(e, entries);
    for (p = 0; p < entries * DESC_SIZE; p += PAGE_SIZE_4K) {
        fake_unback(&e->mem, e->base + p);
    }
    e->base = base;
    for (p = 0; p < entries * DESC_SIZE; p += PAGE_SIZE_4K) {
        fake_page(&e->mem, base + p, true);
    }
}

/*
 * The last bytes of the address space hold a queue that fits; one that
 * would wrap past 2^64 is refused (a fetch error) before any fetch, even
 * where the wrapped addresses hold descriptors.
 */
static void test_walk_top(void)
{
    const uint64_t top = 0ull - PAGE_SIZE_4K;
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;

    env_init_at(&e, 256, top);
    env_put_cc(&e, 254);
    env_put_cc(&e, 255);
    env_put_cc(&e, 0);
    st = env_run(&e, 254, 1, &run);
    g_assert_cmpint(st, ==, DMAR_QI_DONE);
    g_assert_cmpuint(run.head, ==, 1);
    g_assert_cmpuint(run.processed, ==, 3);
    assert_calls_seq(&e, 254, 3);
    env_destroy(&e);

    /* 512 slots from the last page: slot 256 would be at address 0 */
    env_init_at(&e, 512, top);
    fake_page(&e.mem, 0, true);
    env_put_cc(&e, 255);
    env_put_cc(&e, 256);
    g_assert_true(fake_backed(&e.mem, 0, PAGE_SIZE_4K));
    st = env_run(&e, 255, 257, &run);
    g_assert_cmpint(st, ==, DMAR_QI_ERROR);
    g_assert_cmpuint(run.iqei, ==, DMAR_IQEI_FETCH);
    g_assert_cmpuint(run.head, ==, 255);
    g_assert_cmpuint(run.processed, ==, 0);
    g_assert_cmpuint(e.mem.reads, ==, 0);
    assert_calls(&e, NULL, 0);
    /* an empty queue there is no error: nothing is fetched */
    st = env_run(&e, 7, 7, &run);
    g_assert_cmpint(st, ==, DMAR_QI_DONE);
    env_destroy(&e);
}

/* ---- Registration ---- */

/* ---- 256-bit descriptors (IQA.DW = 1) ---- */

/*
 * With DW256 the legacy types keep their 128-bit layout in the low half
 * (§6.5.2) and their upper half is reserved: any bit there is IQEI 4. An
 * invalid type stays IQEI 3 whatever the upper half holds; without DW256
 * the upper half is never looked at.
 */
static void test_dw256_decode(void)
{
    static const uint64_t los[] = {
        0x0003ffffffff0031ull,          /* cc */
        0x00000000ffff00f2ull,          /* iotlb */
        0x0000fffff8000014ull,          /* iec */
        0xcafef00d00000035ull,          /* wait */
        0x0000000000000010ull,          /* type 0 */
        0x0000000000000003ull,          /* device-TLB, no ECAP.DT */
        0x0000000000000007ull,          /* type 7 */
        0x0000000000000201ull,          /* type bits 11:9 */
    };
    static const uint64_t his[] = {
        0, 0xfffffffffffff07full, 0, 0x300040ull, 0, 0, 0, 0,
    };
    const DmarQiCaps caps = { .ir = true };

    for (unsigned i = 0; i < ARRAY_SIZE(los); i++) {
        DmarQiDesc want, d, d128;
        bool valid = ref_decode(true, los[i], his[i], &want);
        uint64_t desc[4] = { los[i], his[i], 0, 0 };
        DmarIqei why = 0xf, why128 = 0xf;

        /* Upper half zero: as the 128-bit form. */
        g_assert(dmar_qi_decode(&caps, desc, true, &d, &why) == valid);
        g_assert(dmar_qi_decode(&caps, desc, false, &d128, &why128) ==
                 valid);
        g_assert_cmpuint(why, ==, why128);
        if (valid) {
            assert_desc(&d, &want);
            g_assert_cmpmem(&d, sizeof(d), &d128, sizeof(d128));
        }
        /* Every bit of the upper half, alone. */
        for (unsigned bit = 0; bit < 128; bit++) {
            memset(desc + 2, 0, 16);
            desc[2 + bit / 64] = 1ull << (bit % 64);
            why = 0xf;
            g_assert_false(dmar_qi_decode(&caps, desc, true, &d, &why));
            g_assert_cmpuint(why, ==, valid ? DMAR_IQEI_RSVD :
                             ref_iqei(true, los[i]));
            g_assert_false(dmar_qi_decode(&caps, desc, true, &d, NULL));
            /* 128-bit: desc[2] and desc[3] are not part of it. */
            g_assert(dmar_qi_decode(&caps, desc, false, &d, NULL) == valid);
        }
    }
}

/* With ECAP.DT, a device-TLB descriptor's upper half is reserved too. */
static void test_dw256_devtlb(void)
{
    const DmarQiCaps caps = { .ir = true, .dt = true };
    uint64_t desc[4] = { devtlb_lo(0x18, 0x18, 3), 0x17001, 0, 0 };
    DmarQiDesc d, want;
    DmarIqei why;

    g_assert_true(ref_decode_dt(true, true, desc[0], desc[1], &want));
    g_assert_true(dmar_qi_decode(&caps, desc, true, &d, NULL));
    assert_desc(&d, &want);
    for (unsigned bit = 0; bit < 128; bit++) {
        memset(desc + 2, 0, 16);
        desc[2 + bit / 64] = 1ull << (bit % 64);
        why = 0xf;
        g_assert_false(dmar_qi_decode(&caps, desc, true, &d, &why));
        g_assert_cmpuint(why, ==, DMAR_IQEI_RSVD);
        g_assert_true(dmar_qi_decode(&caps, desc, false, &d, NULL));
    }
}

/* A queue of 256-bit descriptors: context invalidations at even slots. */
static void env_init_dw256(QiEnv *e, uint32_t entries)
{
    env_init(e, entries);
    e->dw256 = true;
    for (uint32_t s = 0; s < entries; s += 2) {
        env_put_cc(e, s);
    }
}

/* Callbacks for descriptors FROM, FROM + 2, ... (N, wrapping). */
static void assert_calls_dw256(QiEnv *e, uint32_t from, unsigned n)
{
    g_autofree uint32_t *slots = g_new(uint32_t, MAX(n, 1));

    for (unsigned i = 0; i < n; i++) {
        slots[i] = (from + 2 * i) % e->entries;
    }
    assert_calls(e, slots, n);
}

/* Two slots a descriptor; head and tail count slots; wrap; a full pass. */
static void test_dw256_walk(void)
{
    static const struct {
        uint32_t head, tail;
        unsigned n;
    } runs[] = {
        { 0, 10, 5 }, { 10, 12, 1 }, { 60, 4, 4 }, { 62, 0, 1 },
        { 2, 0, 31 }, { 0, 62, 31 }, { 8, 8, 0 },
    };
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;

    env_init_dw256(&e, 64);
    for (unsigned i = 0; i < ARRAY_SIZE(runs); i++) {
        st = env_run(&e, runs[i].head, runs[i].tail, &run);
        assert_run(&e, st, &run, DMAR_QI_DONE, runs[i].tail, runs[i].n);
        assert_calls_dw256(&e, runs[i].head, runs[i].n);
        /* One 32-byte fetch a descriptor. */
        g_assert_cmpuint(e.mem.reads, ==, runs[i].n);
    }
    /* A wait descriptor writes its status as in 128-bit form. */
    env_put_wait(&e, 6, true, true, 0x5a5a, STATUS_GPA + 8);
    st = env_run(&e, 4, 10, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 10, 3);
    g_assert_true(run.wait_irq);
    g_assert_cmpuint(e.mem.writes->len, ==, 1);
    assert_write(&e, 0, STATUS_GPA + 8, 0x5a5a);
    env_destroy(&e);
}

/* §11.4.9.9: a head or tail that is not 256-bit aligned is IQEI 6. */
static void test_dw256_alignment(void)
{
    static const struct {
        uint32_t head, tail;
    } bad[] = {
        { 0, 1 }, { 0, 63 }, { 1, 4 }, { 3, 3 }, { 63, 0 }, { 5, 9 },
    };
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;

    env_init_dw256(&e, 64);
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        st = env_run(&e, bad[i].head, bad[i].tail, &run);
        assert_run(&e, st, &run, DMAR_QI_ERROR, bad[i].head, 0);
        g_assert_cmpuint(run.iqei, ==, DMAR_IQEI_TAIL_DW);
        assert_calls(&e, NULL, 0);
        g_assert_cmpuint(e.mem.reads, ==, 0);
    }
    /* A tail beyond the queue is IQEI 1 first. */
    st = env_run(&e, 0, 65, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 0, 0);
    g_assert_cmpuint(run.iqei, ==, DMAR_IQEI_TAIL);
    /* The same odd tail is fine in 128-bit form. */
    e.dw256 = false;
    st = env_run(&e, 0, 1, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 1, 1);
    env_destroy(&e);
}

/*
 * A bit in a descriptor's upper half stops the queue there with IQEI 4;
 * what came before is done.
 */
static void test_dw256_upper(void)
{
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;

    env_init_dw256(&e, 64);
    for (unsigned bit = 0; bit < 128; bit += 9) {
        env_put(&e, 7, bit < 64 ? 1ull << bit : 0,
                bit < 64 ? 0 : 1ull << (bit - 64));
        st = env_run(&e, 0, 10, &run);
        assert_run(&e, st, &run, DMAR_QI_ERROR, 6, 3);
        g_assert_cmpuint(run.iqei, ==, DMAR_IQEI_RSVD);
        assert_calls_dw256(&e, 0, 3);
    }
    env_put(&e, 7, 0, 0);
    st = env_run(&e, 0, 10, &run);
    assert_run(&e, st, &run, DMAR_QI_DONE, 10, 5);
    env_destroy(&e);
}

/* The fetch reads both halves: either unreadable is IQEI 2. */
static void test_dw256_fetch(void)
{
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;

    /* 512 slots: the second page (slots 256..511) missing. */
    env_init_dw256(&e, 512);
    fake_unback(&e.mem, e.base + PAGE_SIZE_4K);
    st = env_run(&e, 250, 260, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 256, 3);
    g_assert_cmpuint(run.iqei, ==, DMAR_IQEI_FETCH);
    env_destroy(&e);

    /* Only the upper half of the descriptor at slot 20 unreadable. */
    env_init_dw256(&e, 64);
    fake_add_hole(&e.mem, slot_gpa(&e, 21) + 8, slot_gpa(&e, 21) + 8);
    st = env_run(&e, 16, 30, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 20, 2);
    g_assert_cmpuint(run.iqei, ==, DMAR_IQEI_FETCH);
    /* In 128-bit form slot 20 is fine; slot 21 is not. */
    e.dw256 = false;
    st = env_run(&e, 20, 22, &run);
    assert_run(&e, st, &run, DMAR_QI_ERROR, 21, 1);
    env_destroy(&e);
}

/* The budget counts descriptors, not slots, and runs go on. */
static void test_dw256_budget(void)
{
    QiEnv e;
    DmarQiRun run;
    DmarQiStatus st;
    uint32_t head = 40;
    unsigned done = 0, runs = 0;

    env_init_dw256(&e, 64);
    e.budget = 3;
    do {
        unsigned n = MIN(3, 28 - done);

        st = env_run(&e, head, 32, &run);
        assert_run(&e, st, &run, done + n == 28 ? DMAR_QI_DONE :
                   DMAR_QI_PENDING, (head + 2 * n) % 64, n);
        assert_calls_dw256(&e, head, n);
        head = run.head;
        done += n;
        g_assert_cmpuint(++runs, <=, 10);
    } while (st == DMAR_QI_PENDING);
    g_assert_cmpuint(runs, ==, 10);
    env_destroy(&e);
}

/* ---- Scalable mode: types 6, 7, 8 (§6.5.2.2, §6.5.2.4, §6.5.2.6) ---- */

static bool decode_sm(bool sm, bool dt, uint64_t lo, uint64_t hi,
                      DmarQiDesc *d, DmarIqei *why)
{
    DmarQiCaps caps = { .ir = true, .dt = dt, .sm = sm };
    uint64_t desc[4] = { lo, hi };

    *why = DMAR_IQEI_NONE;
    return dmar_qi_decode(&caps, desc, false, d, why);
}

/* Without scalable mode 6, 7 and 8 are invalid types; with it, valid */
static void test_sm_types(void)
{
    static const uint64_t lo[] = {
        0x0000000000000026ull,      /* PASID-IOTLB, all in PASID */
        0x0000000000000007ull,      /* PASID cache, domain-selective */
        0x0000000000000008ull,      /* PASID-based device-TLB */
    };
    DmarQiDesc d;
    DmarIqei why;

    for (unsigned i = 0; i < ARRAY_SIZE(lo); i++) {
        for (int dt = 0; dt <= 1; dt++) {
            g_assert_false(decode_sm(false, dt, lo[i], 0, &d, &why));
            g_assert_cmpuint(why, ==, DMAR_IQEI_TYPE);
            /* type 8 needs device-TLBs too */
            g_assert(decode_sm(true, dt, lo[i], 0, &d, &why) ==
                     (i != 2 || dt));
            if (i == 2 && !dt) {
                g_assert_cmpuint(why, ==, DMAR_IQEI_TYPE);
            }
        }
    }
    /* 9..15 stay invalid in scalable mode */
    for (unsigned t = 9; t < 16; t++) {
        g_assert_false(decode_sm(true, true, t | 0x30, 0, &d, &why));
        g_assert_cmpuint(why, ==, DMAR_IQEI_TYPE);
    }
}

/* PASID-based IOTLB: G 5:4 (10b, 11b), DID 31:16, PASID 51:32; hi as IOTLB */
static void test_sm_piotlb(void)
{
    DmarQiDesc d;
    DmarIqei why;

    g_assert_true(decode_sm(true, false, 0x000abcde12340036ull,
                            0x0000123456789047ull, &d, &why));
    g_assert_cmpuint(d.type, ==, DMAR_QI_PIOTLB);
    g_assert_cmpuint(d.gran, ==, DMAR_PIOTLB_PAGE);
    g_assert_cmphex(d.did, ==, 0x1234);
    g_assert_cmphex(d.pasid, ==, 0xabcde);
    g_assert_cmphex(d.addr, ==, 0x0000123456789000ull);
    g_assert_cmpuint(d.am, ==, 7);
    g_assert_true(d.ih);
    g_assert_true(decode_sm(true, false, 0x0000000000010026ull, 0, &d, &why));
    g_assert_cmpuint(d.gran, ==, DMAR_PIOTLB_ALL);
    /* granularities 00b and 01b are reserved */
    for (unsigned g = 0; g < 2; g++) {
        g_assert_false(decode_sm(true, false, 0x6 | g << 4, 0, &d, &why));
        g_assert_cmpuint(why, ==, DMAR_IQEI_RSVD);
    }
    /* each reserved bit: lo 8:6, 15:12, 63:52; hi 11:7 */
    for (unsigned b = 0; b < 64; b++) {
        uint64_t bit = 1ull << b;
        bool rsvd = (b >= 6 && b <= 8) || (b >= 12 && b <= 15) || b >= 52;

        if (b >= 9 && b <= 11) {
            continue;                   /* the type's high bits */
        }
        if (b < 6) {
            continue;                   /* type and granularity */
        }
        g_assert(decode_sm(true, false, 0x26 | bit, 0, &d, &why) == !rsvd);
        rsvd = b >= 7 && b <= 11;
        g_assert(decode_sm(true, false, 0x26, bit, &d, &why) == !rsvd);
        if (rsvd) {
            g_assert_cmpuint(why, ==, DMAR_IQEI_RSVD);
        }
    }
}

/* PASID cache: G 5:4 (00b domain, 01b PASID, 11b global; 10b reserved) */
static void test_sm_pc(void)
{
    static const bool valid[] = { true, true, false, true };
    DmarQiDesc d;
    DmarIqei why;

    for (unsigned g = 0; g < 4; g++) {
        g_assert(decode_sm(true, false, 0x000fffff5a5a0007ull | g << 4, 0,
                           &d, &why) == valid[g]);
        if (valid[g]) {
            g_assert_cmpuint(d.gran, ==, g);
            g_assert_cmphex(d.did, ==, 0x5a5a);
            g_assert_cmphex(d.pasid, ==, 0xfffff);
        } else {
            g_assert_cmpuint(why, ==, DMAR_IQEI_RSVD);
        }
    }
    for (unsigned b = 6; b < 64; b++) {
        bool rsvd = b <= 8 || (b >= 12 && b <= 15) || b >= 52;

        if (b >= 9 && b <= 11) {
            continue;
        }
        g_assert(decode_sm(true, false, 0x7 | 1ull << b, 0, &d, &why) ==
                 !rsvd);
    }
    /* the upper 64 bits are reserved */
    g_assert_false(decode_sm(true, false, 0x7, 1, &d, &why));
    g_assert_cmpuint(why, ==, DMAR_IQEI_RSVD);
}

/* PASID-based device-TLB: the fields, and its range as type 3's */
static void test_sm_pdevtlb(void)
{
    DmarQiDesc d;
    DmarIqei why;
    uint64_t first, last;

    g_assert_true(decode_sm(true, true, 0xabc12345001850f8ull,
                            0x0000000000017801ull, &d, &why));
    g_assert_cmpuint(d.type, ==, DMAR_QI_PDEVTLB);
    g_assert_cmphex(d.sid, ==, 0x0018);
    g_assert_cmphex(d.pasid, ==, 0x12345);
    g_assert_cmphex(d.pfsid, ==, 0xabc5);
    g_assert_cmpuint(d.mip, ==, 0xf);
    g_assert_true(d.global);
    g_assert_true(d.size);
    g_assert_cmphex(d.addr, ==, 0x17000);
    /* S: the lowest clear bit of ADDR[63:12] is bit 15: 64 KiB */
    dmar_qi_devtlb_range(&d, &first, &last);
    g_assert_cmphex(first, ==, 0x10000);
    g_assert_cmphex(last, ==, 0x1ffff);
    for (unsigned b = 1; b <= 10; b++) {
        g_assert_false(decode_sm(true, true, 0x8, 1ull << b, &d, &why));
        g_assert_cmpuint(why, ==, DMAR_IQEI_RSVD);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    ADD_CASES("/dmar-qi/decode", decode_cases, test_decode);
    ADD_CASES("/dmar-qi/rsvd", rsvd_cases, test_rsvd);
    g_test_add_func("/dmar-qi/type/all", test_types);
    g_test_add_func("/dmar-qi/type/high-bits", test_type_hi);
    g_test_add_func("/dmar-qi/type/devtlb", test_devtlb);
    ADD_CASES("/dmar-qi/devtlb/decode", devtlb_cases, test_devtlb_decode);
    g_test_add_func("/dmar-qi/devtlb/range-page", test_devtlb_range_page);
    g_test_add_func("/dmar-qi/devtlb/range-sizes", test_devtlb_range_sizes);
    g_test_add_func("/dmar-qi/devtlb/range-table", test_devtlb_range_table);

    g_test_add_func("/dmar-qi/walk/empty", test_walk_empty);
    g_test_add_func("/dmar-qi/walk/single", test_walk_single);
    g_test_add_func("/dmar-qi/walk/batch", test_walk_batch);
    g_test_add_func("/dmar-qi/walk/wrap", test_walk_wrap);
    ADD_CASES("/dmar-qi/walk/stop", stop_cases, test_walk_stop);
    g_test_add_func("/dmar-qi/walk/stop-edges", test_walk_stop_edges);
    g_test_add_func("/dmar-qi/walk/fetch", test_walk_fetch);
    g_test_add_func("/dmar-qi/walk/status-fail", test_walk_status_fail);
    g_test_add_func("/dmar-qi/walk/wait", test_walk_wait);
    g_test_add_func("/dmar-qi/walk/args", test_walk_args);
    g_test_add_func("/dmar-qi/walk/bound", test_walk_bound);
    g_test_add_func("/dmar-qi/walk/devtlb-dt", test_walk_devtlb_dt);
    g_test_add_func("/dmar-qi/walk/random", test_walk_random);
    g_test_add_func("/dmar-qi/walk/budget", test_walk_budget);
    g_test_add_func("/dmar-qi/walk/top", test_walk_top);
    g_test_add_func("/dmar-qi/dw256/decode", test_dw256_decode);
    g_test_add_func("/dmar-qi/dw256/devtlb", test_dw256_devtlb);
    g_test_add_func("/dmar-qi/dw256/walk", test_dw256_walk);
    g_test_add_func("/dmar-qi/dw256/alignment", test_dw256_alignment);
    g_test_add_func("/dmar-qi/walk/wait-held", test_walk_wait_held);
    g_test_add_func("/dmar-qi/dw256/upper", test_dw256_upper);
    g_test_add_func("/dmar-qi/dw256/fetch", test_dw256_fetch);
    g_test_add_func("/dmar-qi/dw256/budget", test_dw256_budget);
    g_test_add_func("/dmar-qi/sm/types", test_sm_types);
    g_test_add_func("/dmar-qi/sm/pasid-iotlb", test_sm_piotlb);
    g_test_add_func("/dmar-qi/sm/pasid-cache", test_sm_pc);
    g_test_add_func("/dmar-qi/sm/pasid-devtlb", test_sm_pdevtlb);

    return g_test_run();
}
