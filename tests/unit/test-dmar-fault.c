/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for vtd-dmar primary fault logging and the fault event
 * (dmar-fault.c), written against the Intel VT-d specification: fault
 * recording registers and their ring (VT-d §7.2.1, §11.4.7.6), the fault
 * status register (§11.4.7.1) and the interrupt pending/mask logic of the
 * fault event control register (§7.3, §11.4.7.2).
 *
 * The register file is a plain little-endian byte array, as the unit
 * keeps it. Software is emulated by its effect on the registers: clearing
 * a record's F bit or a FSTS status bit (both RW1C), then the call the
 * unit makes after such a write. Bytes no register of the fault log owns
 * hold a canary, to catch stray writes.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "dmar-fault.h"
#include "dmar-test-util.h"
#include "libqos/vtd-dmar-defs.h"

#define REGS_SIZE           0x1000
#define FRO                 0x200
#define NFR                 4
#define CANARY              0xa5

/* Register bits the tests' defs (libqos/vtd-dmar-defs.h) have not */
#define FSTS_ICE            (1u << 5)
#define FSTS_ITE            (1u << 6)
#define FSTS_FRI_MASK       FSTS_FRI(0xff)

/* Source-ids: bus << 8 | device << 3 | function. */
#define BDF(b, d, f)        ((uint16_t)((b) << 8 | (d) << 3 | (f)))

typedef struct Env {
    uint8_t regs[REGS_SIZE];
    DmarFaultLog log;
} Env;

static void env_init(Env *e, uint32_t nfr)
{
    memset(e->regs, CANARY, sizeof(e->regs));
    stl_le_p(e->regs + A_FSTS, 0);
    stl_le_p(e->regs + A_FECTL, 0);
    memset(e->regs + FRO, 0, nfr * DMAR_FRCD_SIZE);
    e->log = (DmarFaultLog) {
        .regs = e->regs, .fro = FRO, .nfr = nfr, .next = 0,
    };
}

static uint32_t fsts(Env *e)
{
    return ldl_le_p(e->regs + A_FSTS);
}

static uint32_t fectl(Env *e)
{
    return ldl_le_p(e->regs + A_FECTL);
}

static uint64_t frcd_lo(Env *e, unsigned i)
{
    return ldq_le_p(e->regs + FRO + i * DMAR_FRCD_SIZE);
}

static uint64_t frcd_hi(Env *e, unsigned i)
{
    return ldq_le_p(e->regs + FRO + i * DMAR_FRCD_SIZE + 8);
}

/* Nothing outside FSTS, FECTL and the NFR records was written. */
static void assert_clean(Env *e)
{
    unsigned i;

    for (i = 0; i < REGS_SIZE; i++) {
        if ((i >= A_FSTS && i < A_FSTS + 4) ||
            (i >= A_FECTL && i < A_FECTL + 4) ||
            (i >= FRO && i < FRO + e->log.nfr * DMAR_FRCD_SIZE)) {
            continue;
        }
        if (e->regs[i] != CANARY) {
            g_test_message("register byte 0x%x written: 0x%02x", i,
                           e->regs[i]);
        }
        g_assert_cmphex(e->regs[i], ==, CANARY);
    }
    /* Reserved bits stay clear. */
    g_assert_cmphex(fsts(e) & ~(FSTS_PFO | FSTS_PPF | FSTS_IQE | FSTS_ICE |
                                FSTS_ITE | FSTS_FRI_MASK), ==, 0);
    g_assert_cmphex(fectl(e) & ~(FECTL_IP | FECTL_IM), ==, 0);
}

/* ---- Software ---- */

/* Clear record I's F bit (RW1C), as the unit's FRCD write does. */
static void sw_clear_f(Env *e, unsigned i)
{
    uint8_t *hi = e->regs + FRO + i * DMAR_FRCD_SIZE + 8;

    stq_le_p(hi, ldq_le_p(hi) & ~FRCD_F);
    dmar_fault_status_update(&e->log);
}

static void sw_clear_all_f(Env *e)
{
    unsigned i;

    for (i = 0; i < e->log.nfr; i++) {
        sw_clear_f(e, i);
    }
}

/* Clear FSTS status BITS (RW1C), as the unit's FSTS write does. */
static void sw_clear_fsts(Env *e, uint32_t bits)
{
    stl_le_p(e->regs + A_FSTS, fsts(e) & ~bits);
    dmar_fault_status_update(&e->log);
}

/* Write FECTL.IM (IP is read-only); true if the message goes out now. */
static bool sw_write_im(Env *e, bool im)
{
    stl_le_p(e->regs + A_FECTL, (fectl(e) & FECTL_IP) | (im ? FECTL_IM : 0));
    return dmar_fault_fectl_written(&e->log);
}

/* ---- Faults ---- */

static DmarFault fault(uint16_t sid, DmarFaultReason fr, uint64_t addr,
                       bool is_write)
{
    return (DmarFault) {
        .fr = fr, .addr = addr, .sid = sid, .is_write = is_write,
        .level = 1,
    };
}

static DmarFault pasid_fault(uint16_t sid, DmarFaultReason fr,
                             uint64_t addr, bool is_write, uint32_t pasid)
{
    DmarFault f = fault(sid, fr, addr, is_write);

    f.pasid_valid = true;
    f.pasid = pasid;
    return f;
}

/* The record the specification asks for: FRCD bits 64..127. */
static uint64_t want_hi(const DmarFault *f)
{
    uint64_t hi = f->sid | (uint64_t)f->fr << 32 | FRCD_F;

    if (!f->is_write) {
        hi |= 1ull << 62;                       /* T1: read */
    }
    if (f->pasid_valid) {
        hi |= 1ull << 31;                       /* PP */
        hi |= (uint64_t)(f->pasid & 0xfffff) << 40;
        hi |= (uint64_t)f->priv << 29;          /* PRIV */
        hi |= (uint64_t)f->exec << 30;          /* EXE */
    }
    return hi;
}

/* Record F; *SEND starts as the opposite of WANT, so it must be set. */
static DmarRecordResult record(Env *e, const DmarFault *f, bool *send,
                               bool want)
{
    *send = !want;
    return dmar_fault_record(&e->log, f, send);
}

#define ASSERT_RECORDED(e, f, i, sent) \
    check_recorded(__LINE__, e, f, i, sent)

/* F is recorded at index I; SENT: the fault event went out. */
static void check_recorded(int line, Env *e, const DmarFault *f, unsigned i,
                           bool sent)
{
    bool send;
    DmarRecordResult r = record(e, f, &send, sent);

    if (r != DMAR_FAULT_RECORDED || frcd_hi(e, i) != want_hi(f)) {
        g_test_message("line %d: fault sid 0x%04x addr 0x%" PRIx64 ": result"
                       " %d, record %u hi 0x%016" PRIx64 ", want 0x%016"
                       PRIx64, line, f->sid, f->addr, r, i, frcd_hi(e, i),
                       want_hi(f));
    }
    g_assert_cmpint(r, ==, DMAR_FAULT_RECORDED);
    g_assert_cmphex(frcd_lo(e, i), ==, f->addr & ~0xfffull);
    g_assert_cmphex(frcd_hi(e, i), ==, want_hi(f));
    g_assert_cmpint(send, ==, sent);
    g_assert_cmphex(fsts(e) & FSTS_PPF, ==, FSTS_PPF);
    g_assert_cmpuint(e->log.next, ==, (i + 1) % e->log.nfr);
    assert_clean(e);
}

#define ASSERT_NOT_RECORDED(e, f, result) \
    check_not_recorded(__LINE__, e, f, result)

/* F is not recorded, with RESULT; nothing changes but FSTS.PFO. */
static void check_not_recorded(int line, Env *e, const DmarFault *f,
                               DmarRecordResult result)
{
    uint8_t before[REGS_SIZE];
    uint32_t next = e->log.next;
    DmarRecordResult r;
    bool send;

    memcpy(before, e->regs, REGS_SIZE);
    r = record(e, f, &send, false);
    if (r != result) {
        g_test_message("line %d: fault sid 0x%04x addr 0x%" PRIx64 ": result"
                       " %d, want %d", line, f->sid, f->addr, r, result);
    }
    g_assert_cmpint(r, ==, result);
    g_assert_cmpint(send, ==, false);
    g_assert_cmpuint(e->log.next, ==, next);
    if (result == DMAR_FAULT_OVERFLOW) {
        g_assert_cmphex(fsts(e), ==, ldl_le_p(before + A_FSTS) | FSTS_PFO);
        stl_le_p(before + A_FSTS, fsts(e));
    }
    g_assert_cmpmem(e->regs, REGS_SIZE, before, REGS_SIZE);
}

/* ---- Recording ---- */

static void test_first_read(void)
{
    DmarFault f = fault(BDF(3, 4, 1), DMAR_FR_READ, 0x12345678abcull,
                        false);
    unsigned i;
    Env e;

    env_init(&e, NFR);
    ASSERT_RECORDED(&e, &f, 0, true);
    g_assert_cmphex(frcd_lo(&e, 0), ==, 0x12345678000ull);
    g_assert_cmphex(frcd_hi(&e, 0), ==, 0xc000000600000321ull);
    g_assert_cmphex(FIELD_EX64(frcd_hi(&e, 0), FRCD_HI, SID), ==, 0x0321);
    g_assert_cmphex(FIELD_EX64(frcd_hi(&e, 0), FRCD_HI, FR), ==,
                    DMAR_FR_READ);
    g_assert_cmpuint(FIELD_EX64(frcd_hi(&e, 0), FRCD_HI, T1), ==, 1);
    g_assert_cmpuint(FIELD_EX64(frcd_hi(&e, 0), FRCD_HI, F), ==, 1);
    g_assert_cmpuint(FIELD_EX64(frcd_hi(&e, 0), FRCD_HI, PP), ==, 0);
    /* Little-endian: F and T1 are the top bits of the record's last byte. */
    g_assert_cmphex(e.regs[FRO + 15], ==, 0xc0);
    g_assert_cmphex(e.regs[FRO + 8], ==, 0x21);
    g_assert_cmphex(e.regs[FRO + 9], ==, 0x03);
    g_assert_cmphex(e.regs[FRO + 12], ==, DMAR_FR_READ);

    /* PPF, FRI 0; the event was sent, so IP is clear again. */
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(fectl(&e), ==, 0);
    g_assert_cmpuint(e.log.next, ==, 1);
    for (i = 1; i < NFR; i++) {
        g_assert_cmphex(frcd_lo(&e, i), ==, 0);
        g_assert_cmphex(frcd_hi(&e, i), ==, 0);
    }
}

static void test_first_write(void)
{
    DmarFault f = fault(0xffff, DMAR_FR_WRITE, 0xfffffffffffff123ull, true);
    Env e;

    env_init(&e, NFR);
    ASSERT_RECORDED(&e, &f, 0, true);
    g_assert_cmphex(frcd_lo(&e, 0), ==, 0xfffffffffffff000ull);
    g_assert_cmphex(frcd_hi(&e, 0), ==, 0x800000050000ffffull);
    g_assert_cmpuint(FIELD_EX64(frcd_hi(&e, 0), FRCD_HI, T1), ==, 0);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF);
    g_assert_cmphex(fectl(&e), ==, 0);
}

/* Every reason and a few sources land in the record unchanged. */
static void test_fields(void)
{
    static const uint16_t sids[] = { 0, BDF(0, 31, 7), BDF(0x80, 0, 0) };
    DmarFaultReason fr;
    unsigned n = 0;
    Env e;

    env_init(&e, NFR);
    for (fr = DMAR_FR_ROOT_NOT_PRESENT; fr <= DMAR_FR_TT_BLOCKED; fr++) {
        DmarFault f = fault(sids[fr % ARRAY_SIZE(sids)], fr,
                            (uint64_t)fr << 39 | 0x1fff, fr & 1);

        ASSERT_RECORDED(&e, &f, n % NFR, true);
        g_assert_cmphex(FIELD_EX64(frcd_hi(&e, n % NFR), FRCD_HI, FR), ==,
                        fr);
        g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(n % NFR));
        sw_clear_f(&e, n % NFR);
        g_assert_cmphex(fsts(&e) & ~FSTS_FRI_MASK, ==, 0);
        n++;
    }
}

static void test_second(void)
{
    DmarFault a = fault(BDF(0, 2, 0), DMAR_FR_WRITE, 0x1000, true);
    DmarFault b = fault(BDF(0, 3, 0), DMAR_FR_PTE_ACCESS, 0x2000, false);
    DmarFault c = fault(BDF(0, 4, 0), DMAR_FR_CTX_NOT_PRESENT, 0x3000,
                        false);
    Env e;

    env_init(&e, NFR);
    ASSERT_RECORDED(&e, &a, 0, true);
    /* PPF was already set: no new interrupt condition, FRI stays. */
    ASSERT_RECORDED(&e, &b, 1, false);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(fectl(&e), ==, 0);
    ASSERT_RECORDED(&e, &c, 2, false);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(fectl(&e), ==, 0);
    /* The earlier records are intact. */
    g_assert_cmphex(frcd_hi(&e, 0), ==, want_hi(&a));
    g_assert_cmphex(frcd_hi(&e, 1), ==, want_hi(&b));
    g_assert_cmphex(frcd_lo(&e, 0), ==, 0x1000);
    g_assert_cmphex(frcd_lo(&e, 1), ==, 0x2000);
    g_assert_cmphex(frcd_hi(&e, 3), ==, 0);
}

/* Identical pending faults collapse; any difference is a new record. */
static void test_collapse(void)
{
    const uint16_t sid = BDF(5, 0, 0);
    DmarFault a = fault(sid, DMAR_FR_READ, 0x7000, false);
    DmarFault same = fault(sid, DMAR_FR_READ, 0x7ff8, false);
    DmarFault write = fault(sid, DMAR_FR_READ, 0x7000, true);
    DmarFault page = fault(sid, DMAR_FR_READ, 0x8000, false);
    DmarFault reason = fault(sid, DMAR_FR_PTE_RSVD, 0x7000, false);
    DmarFault source = fault(sid + 1, DMAR_FR_READ, 0x7000, false);
    DmarFault far = fault(sid, DMAR_FR_READ, 0x100007000ull, false);
    Env e;

    env_init(&e, 8);
    ASSERT_RECORDED(&e, &a, 0, true);
    ASSERT_NOT_RECORDED(&e, &a, DMAR_FAULT_COLLAPSED);
    ASSERT_NOT_RECORDED(&e, &same, DMAR_FAULT_COLLAPSED);
    ASSERT_RECORDED(&e, &write, 1, false);
    ASSERT_RECORDED(&e, &page, 2, false);
    ASSERT_RECORDED(&e, &reason, 3, false);
    ASSERT_RECORDED(&e, &source, 4, false);
    ASSERT_RECORDED(&e, &far, 5, false);
    /* Each of them collapses now, wherever it sits. */
    ASSERT_NOT_RECORDED(&e, &write, DMAR_FAULT_COLLAPSED);
    ASSERT_NOT_RECORDED(&e, &page, DMAR_FAULT_COLLAPSED);
    ASSERT_NOT_RECORDED(&e, &reason, DMAR_FAULT_COLLAPSED);
    ASSERT_NOT_RECORDED(&e, &source, DMAR_FAULT_COLLAPSED);
    ASSERT_NOT_RECORDED(&e, &far, DMAR_FAULT_COLLAPSED);
    ASSERT_NOT_RECORDED(&e, &same, DMAR_FAULT_COLLAPSED);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(0));

    /* Once software has serviced the record, the same fault is new. */
    sw_clear_f(&e, 0);
    g_assert_cmphex(fsts(&e) & FSTS_PPF, ==, FSTS_PPF);
    ASSERT_RECORDED(&e, &same, 6, false);
    ASSERT_NOT_RECORDED(&e, &a, DMAR_FAULT_COLLAPSED);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(0));
}

/* The next record busy: PFO, then nothing until software catches up. */
static void test_overflow(void)
{
    DmarFault f[NFR + 2];
    unsigned i;
    Env e;

    for (i = 0; i < ARRAY_SIZE(f); i++) {
        f[i] = fault(BDF(1, i, 0), DMAR_FR_WRITE, 0x10000 * (i + 1), true);
    }
    env_init(&e, NFR);
    for (i = 0; i < NFR; i++) {
        ASSERT_RECORDED(&e, &f[i], i, i == 0);
    }
    g_assert_cmpuint(e.log.next, ==, 0);

    ASSERT_NOT_RECORDED(&e, &f[NFR], DMAR_FAULT_OVERFLOW);
    g_assert_cmphex(fsts(&e), ==, FSTS_PFO | FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(fectl(&e), ==, 0);
    for (i = 0; i < NFR; i++) {
        g_assert_cmphex(frcd_hi(&e, i), ==, want_hi(&f[i]));
    }
    /* With PFO set nothing is recorded, not even a collapse. */
    ASSERT_NOT_RECORDED(&e, &f[NFR], DMAR_FAULT_DROPPED);
    ASSERT_NOT_RECORDED(&e, &f[NFR + 1], DMAR_FAULT_DROPPED);
    ASSERT_NOT_RECORDED(&e, &f[0], DMAR_FAULT_DROPPED);

    /* Records serviced, PFO not yet: still dropped. */
    sw_clear_all_f(&e);
    g_assert_cmphex(fsts(&e) & ~FSTS_FRI_MASK, ==, FSTS_PFO);
    ASSERT_NOT_RECORDED(&e, &f[NFR], DMAR_FAULT_DROPPED);

    /* PFO cleared: recording resumes at the ring's next index. */
    sw_clear_fsts(&e, FSTS_PFO);
    g_assert_cmphex(fsts(&e) & ~FSTS_FRI_MASK, ==, 0);
    g_assert_cmphex(fectl(&e), ==, 0);
    ASSERT_RECORDED(&e, &f[NFR], 0, true);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(0));
    ASSERT_RECORDED(&e, &f[NFR + 1], 1, false);
    assert_clean(&e);
}

/* PFO cleared before the records: the next one overflows again. */
static void test_overflow_pfo_first(void)
{
    DmarFault f[NFR + 3];
    unsigned i;
    Env e;

    for (i = 0; i < ARRAY_SIZE(f); i++) {
        f[i] = fault(BDF(2, 0, i), DMAR_FR_READ, 0x5000, false);
    }
    env_init(&e, NFR);
    for (i = 0; i < NFR; i++) {
        ASSERT_RECORDED(&e, &f[i], i, i == 0);
    }
    ASSERT_NOT_RECORDED(&e, &f[NFR], DMAR_FAULT_OVERFLOW);
    sw_clear_fsts(&e, FSTS_PFO);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(0));
    ASSERT_NOT_RECORDED(&e, &f[NFR], DMAR_FAULT_OVERFLOW);
    g_assert_cmphex(fsts(&e), ==, FSTS_PFO | FSTS_PPF | FSTS_FRI(0));

    /* Record 0 serviced, then PFO: the ring continues at 0, FRI stays. */
    sw_clear_f(&e, 0);
    ASSERT_NOT_RECORDED(&e, &f[NFR], DMAR_FAULT_DROPPED);
    sw_clear_fsts(&e, FSTS_PFO);
    ASSERT_RECORDED(&e, &f[NFR], 0, false);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(0));
    ASSERT_NOT_RECORDED(&e, &f[NFR + 1], DMAR_FAULT_OVERFLOW);
    g_assert_cmphex(fectl(&e), ==, 0);
}

/* The index wraps modulo NFR; FRI names where PPF was set from 0. */
static void test_wrap(void)
{
    DmarFault a = fault(BDF(0, 2, 0), DMAR_FR_WRITE, 0xa000, true);
    DmarFault b = fault(BDF(0, 2, 0), DMAR_FR_WRITE, 0xb000, true);
    DmarFault c = fault(BDF(0, 2, 0), DMAR_FR_WRITE, 0xc000, true);
    DmarFault d = fault(BDF(0, 2, 0), DMAR_FR_WRITE, 0xd000, true);
    unsigned k;
    Env e;

    env_init(&e, NFR);
    for (k = 0; k < 3 * NFR + 1; k++) {
        DmarFault f = fault(BDF(0, 1, 0), DMAR_FR_READ, k * 0x1000ull,
                            false);

        ASSERT_RECORDED(&e, &f, k % NFR, true);
        g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(k % NFR));
        g_assert_cmphex(fectl(&e), ==, 0);
        sw_clear_f(&e, k % NFR);
        g_assert_cmphex(fsts(&e) & ~FSTS_FRI_MASK, ==, 0);
    }

    /* next is 1: records at 1 and 2, then 1 is serviced. */
    ASSERT_RECORDED(&e, &a, 1, true);
    ASSERT_RECORDED(&e, &b, 2, false);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(1));
    sw_clear_f(&e, 1);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(1));
    /* PPF stayed set: FRI is where it was set, no new event. */
    ASSERT_RECORDED(&e, &c, 3, false);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(1));
    sw_clear_f(&e, 2);
    sw_clear_f(&e, 3);
    g_assert_cmphex(fsts(&e) & ~FSTS_FRI_MASK, ==, 0);
    /* Set from 0 again: FRI is the index recorded now, 0. */
    ASSERT_RECORDED(&e, &d, 0, true);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(0));
    /* Serviced records keep their contents, only F is clear. */
    g_assert_cmphex(frcd_hi(&e, 2), ==, want_hi(&b) & ~FRCD_F);
    g_assert_cmphex(frcd_lo(&e, 3), ==, 0xc000);
}

/* A single record: every fault while it is pending overflows. */
static void test_single(void)
{
    DmarFault a = fault(BDF(0, 1, 0), DMAR_FR_READ, 0x1000, false);
    DmarFault b = fault(BDF(0, 1, 0), DMAR_FR_READ, 0x2000, false);
    Env e;

    env_init(&e, 1);
    ASSERT_RECORDED(&e, &a, 0, true);
    ASSERT_NOT_RECORDED(&e, &a, DMAR_FAULT_COLLAPSED);
    ASSERT_NOT_RECORDED(&e, &b, DMAR_FAULT_OVERFLOW);
    sw_clear_f(&e, 0);
    sw_clear_fsts(&e, FSTS_PFO);
    ASSERT_RECORDED(&e, &b, 0, true);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(0));
}

static void test_pasid(void)
{
    const uint16_t sid = BDF(6, 2, 2);
    DmarFault p1 = pasid_fault(sid, DMAR_FR_WRITE, 0x4000, true, 0xabcde);
    DmarFault p0 = pasid_fault(sid, DMAR_FR_WRITE, 0x4000, true, 0);
    DmarFault p2 = pasid_fault(sid, DMAR_FR_WRITE, 0x4000, true, 0xfffff);
    DmarFault none = fault(sid, DMAR_FR_WRITE, 0x4000, true);
    Env e;

    env_init(&e, NFR);
    ASSERT_RECORDED(&e, &p1, 0, true);
    g_assert_cmphex(frcd_hi(&e, 0), ==, 0x8abcde0580000612ull);
    g_assert_cmpuint(FIELD_EX64(frcd_hi(&e, 0), FRCD_HI, PP), ==, 1);
    g_assert_cmphex(FIELD_EX64(frcd_hi(&e, 0), FRCD_HI, PV), ==, 0xabcde);
    g_assert_cmpuint(FIELD_EX64(frcd_hi(&e, 0), FRCD_HI, T1), ==, 0);
    ASSERT_NOT_RECORDED(&e, &p1, DMAR_FAULT_COLLAPSED);

    /* PASID 0 is a PASID: PP set, PV 0; not the same as no PASID. */
    ASSERT_RECORDED(&e, &p0, 1, false);
    g_assert_cmphex(frcd_hi(&e, 1), ==, 0x8000000580000612ull);
    ASSERT_RECORDED(&e, &none, 2, false);
    g_assert_cmphex(frcd_hi(&e, 2), ==, 0x8000000500000612ull);
    ASSERT_RECORDED(&e, &p2, 3, false);
    g_assert_cmphex(FIELD_EX64(frcd_hi(&e, 3), FRCD_HI, PV), ==, 0xfffff);
    ASSERT_NOT_RECORDED(&e, &p0, DMAR_FAULT_COLLAPSED);
    ASSERT_NOT_RECORDED(&e, &none, DMAR_FAULT_COLLAPSED);

    /* Without pasid_valid the PASID value is not recorded. */
    env_init(&e, NFR);
    none.pasid = 0x12345;
    none.priv = none.exec = true;
    ASSERT_RECORDED(&e, &none, 0, true);
    g_assert_cmphex(frcd_hi(&e, 0), ==, 0x8000000500000612ull);

    /* A supervisor execute request with a PASID: PRIV (29), EXE (30) */
    env_init(&e, NFR);
    p1.priv = true;
    ASSERT_RECORDED(&e, &p1, 0, true);
    g_assert_cmphex(frcd_hi(&e, 0), ==, 0x8abcde05a0000612ull);
    p1.priv = false;
    p1.exec = true;
    p1.addr = 0x5000;
    ASSERT_RECORDED(&e, &p1, 1, false);
    g_assert_cmphex(frcd_hi(&e, 1), ==, 0x8abcde05c0000612ull);
}

/* ---- Status and the fault event ---- */

/* PPF is the OR of the F bits, recomputed; other status bits are kept. */
static void test_ppf(void)
{
    DmarFault a = fault(BDF(0, 1, 0), DMAR_FR_READ, 0x1000, false);
    DmarFault b = fault(BDF(0, 1, 0), DMAR_FR_READ, 0x2000, false);
    Env e;

    env_init(&e, NFR);
    dmar_fault_status_update(&e.log);
    g_assert_cmphex(fsts(&e), ==, 0);
    g_assert_cmphex(fectl(&e), ==, 0);

    ASSERT_RECORDED(&e, &a, 0, true);
    ASSERT_RECORDED(&e, &b, 1, false);
    dmar_fault_status_update(&e.log);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF);
    sw_clear_f(&e, 0);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF);
    /* Clearing an F bit twice, or a clear record's, changes nothing. */
    sw_clear_f(&e, 0);
    sw_clear_f(&e, 2);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF);
    sw_clear_f(&e, 1);
    g_assert_cmphex(fsts(&e), ==, 0);

    /* A stale PPF with no record pending is cleared; IQE stays. */
    stl_le_p(e.regs + A_FSTS, FSTS_PPF | FSTS_IQE);
    dmar_fault_status_update(&e.log);
    g_assert_cmphex(fsts(&e), ==, FSTS_IQE);
    /* A record pending sets PPF, whatever FSTS said. */
    stq_le_p(e.regs + FRO + 3 * DMAR_FRCD_SIZE + 8, want_hi(&a));
    dmar_fault_status_update(&e.log);
    g_assert_cmphex(fsts(&e), ==, FSTS_IQE | FSTS_PPF);
    assert_clean(&e);
}

/* Masked: IP is set and held until unmasked, then sent once. */
static void test_masked(void)
{
    DmarFault a = fault(BDF(0, 1, 0), DMAR_FR_READ, 0x1000, false);
    DmarFault b = fault(BDF(0, 1, 0), DMAR_FR_READ, 0x2000, false);
    Env e;

    env_init(&e, NFR);
    g_assert_false(sw_write_im(&e, true));
    g_assert_cmphex(fectl(&e), ==, FECTL_IM);

    ASSERT_RECORDED(&e, &a, 0, false);
    g_assert_cmphex(fectl(&e), ==, FECTL_IM | FECTL_IP);
    /* Still masked: nothing goes out, IP stays. */
    g_assert_false(sw_write_im(&e, true));
    g_assert_cmphex(fectl(&e), ==, FECTL_IM | FECTL_IP);
    ASSERT_RECORDED(&e, &b, 1, false);
    g_assert_cmphex(fectl(&e), ==, FECTL_IM | FECTL_IP);

    /* Unmasked: the held message goes out once, and IP clears. */
    g_assert_true(sw_write_im(&e, false));
    g_assert_cmphex(fectl(&e), ==, 0);
    g_assert_false(sw_write_im(&e, false));
    g_assert_false(dmar_fault_fectl_written(&e.log));
    g_assert_cmphex(fectl(&e), ==, 0);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF);

    /* Serviced and unmasked: the next fault is sent at once. */
    sw_clear_all_f(&e);
    ASSERT_RECORDED(&e, &a, 2, true);
    g_assert_cmphex(fectl(&e), ==, 0);
}

/* Masked, then serviced before unmasking: IP clears, nothing is sent. */
static void test_masked_serviced(void)
{
    DmarFault a = fault(BDF(0, 1, 0), DMAR_FR_READ, 0x1000, false);
    Env e;

    env_init(&e, NFR);
    g_assert_false(sw_write_im(&e, true));
    ASSERT_RECORDED(&e, &a, 0, false);
    g_assert_cmphex(fectl(&e), ==, FECTL_IM | FECTL_IP);
    sw_clear_f(&e, 0);
    g_assert_cmphex(fsts(&e) & ~FSTS_FRI_MASK, ==, 0);
    g_assert_cmphex(fectl(&e), ==, FECTL_IM);
    g_assert_false(sw_write_im(&e, false));
    g_assert_cmphex(fectl(&e), ==, 0);
}

/* IP is cleared only when every status condition has been serviced. */
static void test_masked_other_pending(void)
{
    DmarFault a = fault(BDF(0, 1, 0), DMAR_FR_READ, 0x1000, false);
    Env e;

    env_init(&e, NFR);
    g_assert_false(sw_write_im(&e, true));
    ASSERT_RECORDED(&e, &a, 0, false);

    /* Another unit of the register file raises IQE meanwhile. */
    stl_le_p(e.regs + A_FSTS, fsts(&e) | FSTS_IQE);
    g_assert_false(dmar_fault_event_condition(&e.log, FSTS_PPF));
    g_assert_cmphex(fectl(&e), ==, FECTL_IM | FECTL_IP);

    sw_clear_f(&e, 0);
    g_assert_cmphex(fsts(&e) & ~FSTS_FRI_MASK, ==, FSTS_IQE);
    g_assert_cmphex(fectl(&e), ==, FECTL_IM | FECTL_IP);
    sw_clear_fsts(&e, FSTS_IQE);
    g_assert_cmphex(fsts(&e) & ~FSTS_FRI_MASK, ==, 0);
    g_assert_cmphex(fectl(&e), ==, FECTL_IM);
    g_assert_false(sw_write_im(&e, false));
}

typedef struct CondCase {
    const char *name;
    uint32_t pre_fsts;      /* FSTS before the new condition */
    bool masked;
    bool sent;
    uint32_t fectl;         /* FECTL afterwards */
} CondCase;

static const CondCase cond_cases[] = {
    { "first", 0, false, true, 0 },
    { "first-masked", 0, true, false, FECTL_IM | FECTL_IP },
    { "fri-only", FSTS_FRI(3), false, true, 0 },
    { "pfo", FSTS_PFO, false, false, 0 },
    { "ppf", FSTS_PPF, false, false, 0 },
    { "iqe", FSTS_IQE, false, false, 0 },
    { "ice", FSTS_ICE, false, false, 0 },
    { "ite", FSTS_ITE, false, false, 0 },
    { "iqe-masked", FSTS_IQE, true, false, FECTL_IM },
    { "ppf-masked", FSTS_PPF, true, false, FECTL_IM },
};

/* Another unit (here: invalidation) raises an interrupt condition. */
static void test_event_condition(const void *opaque)
{
    const CondCase *c = opaque;
    Env e;

    env_init(&e, NFR);
    stl_le_p(e.regs + A_FECTL, c->masked ? FECTL_IM : 0);
    stl_le_p(e.regs + A_FSTS, c->pre_fsts | FSTS_ICE);
    g_assert(dmar_fault_event_condition(&e.log, c->pre_fsts) == c->sent);
    g_assert_cmphex(fectl(&e), ==, c->fectl);
    /* FSTS is the caller's. */
    g_assert_cmphex(fsts(&e), ==, c->pre_fsts | FSTS_ICE);
    assert_clean(&e);
    if (c->fectl & FECTL_IP) {
        g_assert_true(sw_write_im(&e, false));
        g_assert_cmphex(fectl(&e), ==, 0);
    }
    g_assert_false(sw_write_im(&e, false));
}

/* A fault recorded while another condition is pending sends nothing. */
static void test_record_other_pending(void)
{
    DmarFault a = fault(BDF(0, 1, 0), DMAR_FR_READ, 0x1000, false);
    DmarFault b = fault(BDF(0, 1, 0), DMAR_FR_READ, 0x2000, false);
    Env e;

    env_init(&e, NFR);
    stl_le_p(e.regs + A_FSTS, FSTS_IQE);
    g_assert_true(dmar_fault_event_condition(&e.log, 0));
    g_assert_cmphex(fectl(&e), ==, 0);

    ASSERT_RECORDED(&e, &a, 0, false);
    g_assert_cmphex(fsts(&e), ==, FSTS_IQE | FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(fectl(&e), ==, 0);
    /* Servicing IQE leaves the fault pending: no new event either. */
    sw_clear_fsts(&e, FSTS_IQE);
    g_assert_cmphex(fsts(&e), ==, FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(fectl(&e), ==, 0);
    g_assert_false(dmar_fault_fectl_written(&e.log));

    sw_clear_f(&e, 0);
    ASSERT_RECORDED(&e, &b, 1, true);

    /* The same, masked: IP is not set by a fault that is no condition. */
    env_init(&e, NFR);
    g_assert_false(sw_write_im(&e, true));
    stl_le_p(e.regs + A_FSTS, FSTS_ITE);
    ASSERT_RECORDED(&e, &a, 0, false);
    g_assert_cmphex(fectl(&e), ==, FECTL_IM);
    g_assert_false(sw_write_im(&e, false));
}

/* ---- Registration ---- */

/*
 * The names management tools see (query-vtd-dmar, VTD_DMAR_FAULT): one
 * per reason the unit reports (VT-d §7.1.3, §7.1.4), "unknown" otherwise
 * (the list: fr_name(), libqos/vtd-dmar-defs.h, which the qtests use too)
 */
static void test_reason_names(void)
{
    static const unsigned far[] = { 0xff, 0x100, 0x10000, UINT_MAX };

    for (unsigned fr = 0; fr < 0x100; fr++) {
        g_assert_cmpstr(dmar_fault_reason_name(fr), ==, fr_name(fr));
    }
    for (unsigned i = 0; i < ARRAY_SIZE(far); i++) {
        g_assert_cmpstr(dmar_fault_reason_name(far[i]), ==, "unknown");
    }
    g_assert_cmpstr(fr_name(0x26), ==, "ir-source-id-invalid");
    g_assert_cmpstr(fr_name(0x71), ==, "first-stage-not-present");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dmar-fault/reason-names", test_reason_names);
    g_test_add_func("/dmar-fault/record/first-read", test_first_read);
    g_test_add_func("/dmar-fault/record/first-write", test_first_write);
    g_test_add_func("/dmar-fault/record/fields", test_fields);
    g_test_add_func("/dmar-fault/record/second", test_second);
    g_test_add_func("/dmar-fault/record/collapse", test_collapse);
    g_test_add_func("/dmar-fault/record/overflow", test_overflow);
    g_test_add_func("/dmar-fault/record/overflow-pfo-first",
                    test_overflow_pfo_first);
    g_test_add_func("/dmar-fault/record/wrap", test_wrap);
    g_test_add_func("/dmar-fault/record/single", test_single);
    g_test_add_func("/dmar-fault/record/pasid", test_pasid);

    g_test_add_func("/dmar-fault/status/ppf", test_ppf);
    g_test_add_func("/dmar-fault/event/masked", test_masked);
    g_test_add_func("/dmar-fault/event/masked-serviced",
                    test_masked_serviced);
    g_test_add_func("/dmar-fault/event/masked-other-pending",
                    test_masked_other_pending);
    g_test_add_func("/dmar-fault/event/record-other-pending",
                    test_record_other_pending);
    ADD_CASES("/dmar-fault/event/condition", cond_cases,
              test_event_condition);

    return g_test_run();
}
