/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fixture of the unit-layer tests (tests/unit/test-dmar-unit-*.c): one
 * DmarUnit over fake guest memory, driven as the glue drives it.
 *
 * - Registers: fx_rd32/64 and fx_wr32/64 take dmar_unit_access()'s
 *   decision as vtd-dmar.c does: one access, two 32-bit ones (low half
 *   first, the first one's actions run in between), or none (reads 0).
 * - Actions: every DMAR_ACT_* an entry point returns goes through
 *   fx_act(), which "sends" the fault and invalidation event messages
 *   the way the glue does (dmar_unit_event_msg() at that moment: the
 *   last message of each kind is kept, with a count), counts address
 *   space switches and IEC notifications (and, unless fx->owed_kept,
 *   says that work is done: dmar_unit_owed_done()), and, unless
 *   fx->manual_queue, runs dmar_unit_qi_continue() while the queue is
 *   pending (as the glue does, at once or in its bottom half).
 * - Events and log lines: every DmarEvent is copied to fx->ev, every
 *   log line to fx->log ("G: " guest error, "U: " unimplemented).
 * - Guest memory: the shared fake of tests/unit/dmar-fake-mem.h. RAM is
 *   what the fixture or the test wrote (tables, queue, status pages),
 *   page by page; NO_RAM and every page never written are not memory
 *   (an access there is the spec's access error).
 * - Builders for the tables, the queue and IRTEs, at the guest addresses
 *   of the qtests (tests/qtest/vtd-dmar-qtest.h), so that a unit test
 *   reads as the qtest it stands for.
 *
 * Register offsets, fields and formats: tests/qtest/libqos/vtd-dmar-defs.h,
 * which the qtests use too. The scenarios both run are in
 * tests/qtest/vtd-dmar-scenarios.h (the operations they use are mapped
 * at the end of this file).
 */
#ifndef TESTS_UNIT_DMAR_UNIT_FIXTURE_H
#define TESTS_UNIT_DMAR_UNIT_FIXTURE_H

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "dmar-unit.h"
#include "dmar-fake-mem.h"
#include "dmar-test-util.h"
#include "libqos/vtd-dmar-defs.h"

static inline uint32_t msi_remappable(uint32_t handle, bool shv)
{
    return MSI_BASE | MSI_REMAP | (shv ? MSI_SHV : 0) |
           (handle & 0x7fff) << 5 | ((handle >> 15) & 1) << 2;
}

static inline uint32_t msi_compat(uint8_t dest)
{
    return MSI_BASE | (uint32_t)dest << 12;
}

/* A fixed, edge-triggered IRTE for vector V to APIC 0 (xAPIC format) */
static inline uint64_t irte_lo(uint8_t v)
{
    return IRTE_P | IRTE_V(v) | IRTE_XDST(0);
}

/* ---- guest memory layout: libqos/vtd-dmar-defs.h's, and ---- */

#define ROOT_TABLE2     0x00110000ull
#define CTX_TABLE2      0x00111000ull

/* The qtests' machine: qemu64's 40 physical address bits */
#define FX_HAW          40

/* ---- the fixture ---- */

typedef struct Fx {
    DmarUnit u;
    DmarUnitConfig cfg;
    FakeMem mem;
    GArray *ev;             /* DmarEvent, in order */
    GPtrArray *log;         /* "G: ..." / "U: ..." */
    bool manual_queue;      /* no automatic dmar_unit_qi_continue() */
    bool notify_pending;    /* the notify_pending hook's answer */
    /*
     * fx_act() leaves what runs left owed undone (a glue that has not
     * got there yet: another thread's IQT write runs the queue first)
     */
    bool owed_kept;
    /* A test's checks around a scenario's steps (scn_hook(), SCN_AT_*) */
    void (*extra)(struct Fx *f, int at, bool before);

    /* What the glue would have done with the actions */
    unsigned act;           /* every DMAR_ACT_* seen since fx_take_act() */
    unsigned fe_count, ie_count;
    unsigned fe_mark;       /* fe_count at the last scn_fe_clear() */
    unsigned remapped;      /* scn_msi() requests remapped */
    uint64_t fe_addr, ie_addr;
    uint32_t fe_data, ie_data;
    unsigned switch_as, iec_notify;

    /* What software knows of its tables and queue */
    uint64_t pool;
    uint64_t slpt;
    unsigned levels;
    uint64_t iq_base;
    unsigned iq_entries, iq_tail;
    uint32_t iq_seq;
} Fx;

/* ---- guest memory: the shared fake ---- */

static inline void fx_mem_write(Fx *f, uint64_t gpa, const void *buf,
                                size_t len)
{
    fake_poke(&f->mem, gpa, buf, len);
}

static inline void fx_mem_read(Fx *f, uint64_t gpa, void *buf, size_t len)
{
    fake_peek(&f->mem, gpa, buf, len);
}

static inline void fx_w64(Fx *f, uint64_t gpa, uint64_t v)
{
    v = cpu_to_le64(v);
    fx_mem_write(f, gpa, &v, 8);
}

static inline void fx_w32(Fx *f, uint64_t gpa, uint32_t v)
{
    v = cpu_to_le32(v);
    fx_mem_write(f, gpa, &v, 4);
}

static inline uint64_t fx_r64(Fx *f, uint64_t gpa)
{
    uint64_t v = 0;

    fx_mem_read(f, gpa, &v, 8);
    return le64_to_cpu(v);
}

static inline uint32_t fx_r32(Fx *f, uint64_t gpa)
{
    uint32_t v = 0;

    fx_mem_read(f, gpa, &v, 4);
    return le32_to_cpu(v);
}

/* Make [GPA, GPA + LEN) RAM holding zeros */
static inline void fx_zero(Fx *f, uint64_t gpa, size_t len)
{
    g_autofree uint8_t *z = g_malloc0(len);

    fx_mem_write(f, gpa, z, len);
}

/* ---- events, log lines and actions ---- */

static void fx_event_hook(void *opaque, const DmarEvent *ev)
{
    Fx *f = opaque;

    g_array_append_val(f->ev, *ev);
}

static void fx_log_hook(void *opaque, DmarLogKind kind, const char *msg)
{
    Fx *f = opaque;

    g_ptr_array_add(f->log, g_strdup_printf("%s: %s",
                    kind == DMAR_LOG_UNIMP ? "U" : "G", msg));
}

static bool fx_notify_pending_hook(void *opaque)
{
    return ((Fx *)opaque)->notify_pending;
}

static const DmarUnitHooks fx_hooks = {
    .event = fx_event_hook,
    .log = fx_log_hook,
    .notify_pending = fx_notify_pending_hook,
};

static inline void fx_clear_events(Fx *f)
{
    g_array_set_size(f->ev, 0);
}

static inline void fx_clear_log(Fx *f)
{
    g_ptr_array_set_size(f->log, 0);
}

static inline const DmarEvent *fx_ev(Fx *f, unsigned i)
{
    g_assert_cmpuint(i, <, f->ev->len);
    return &g_array_index(f->ev, DmarEvent, i);
}

static inline unsigned fx_count(Fx *f, DmarEventKind kind)
{
    unsigned n = 0;

    for (unsigned i = 0; i < f->ev->len; i++) {
        n += fx_ev(f, i)->kind == kind;
    }
    return n;
}

/* The last event of KIND (there must be one) */
static inline const DmarEvent *fx_last(Fx *f, DmarEventKind kind)
{
    for (unsigned i = f->ev->len; i-- > 0;) {
        if (fx_ev(f, i)->kind == kind) {
            return fx_ev(f, i);
        }
    }
    g_test_message("no event of kind %d", kind);
    g_assert_not_reached();
}

/* The only event of KIND since the last fx_clear_events() */
static inline const DmarEvent *fx_one(Fx *f, DmarEventKind kind)
{
    g_assert_cmpuint(fx_count(f, kind), ==, 1);
    return fx_last(f, kind);
}

/* Log lines containing TEXT */
static inline unsigned fx_logged(Fx *f, const char *text)
{
    unsigned n = 0;

    for (unsigned i = 0; i < f->log->len; i++) {
        n += strstr(g_ptr_array_index(f->log, i), text) != NULL;
    }
    return n;
}

/* Run actions ACT as the glue does; returns ACT */
static inline unsigned fx_act(Fx *f, unsigned act)
{
    unsigned more = act;

    for (unsigned n = 0; more; n++) {
        unsigned owed = 0;
        uint64_t gen = 0;

        /* the queue's callers do all that runs owe (dmar_do_actions()) */
        if (!f->owed_kept &&
            (more & (DMAR_ACT_QI_OWED | DMAR_ACT_QI_PENDING))) {
            more |= dmar_unit_owed(&f->u, &gen);
            owed = more & DMAR_ACT_QI_OWED;
        }
        f->act |= more;
        if (more & DMAR_ACT_FAULT_EVENT) {
            dmar_unit_event_msg(&f->u, false, &f->fe_addr, &f->fe_data);
            f->fe_count++;
        }
        if (more & DMAR_ACT_INV_EVENT) {
            dmar_unit_event_msg(&f->u, true, &f->ie_addr, &f->ie_data);
            f->ie_count++;
        }
        f->switch_as += !!(more & DMAR_ACT_SWITCH_AS);
        f->iec_notify += !!(more & DMAR_ACT_IEC_NOTIFY);
        g_assert_cmphex(more & ~DMAR_ACT_UNIT_MASK, ==, 0);
        if (owed) {
            dmar_unit_owed_done(&f->u, gen, owed);
        }
        if (!(more & DMAR_ACT_QI_PENDING) || f->manual_queue) {
            break;
        }
        /* the glue's bottom half; a queue has at most 32768 slots */
        g_assert_cmpuint(n, <, 1000);
        more = dmar_unit_qi_continue(&f->u);
    }
    return act;
}

/* The actions seen since the last call, and forget them */
static inline unsigned fx_take_act(Fx *f)
{
    unsigned act = f->act;

    f->act = 0;
    return act;
}

/* ---- creation ---- */

/* The configuration of "-device vtd-dmar" with its defaults */
static inline DmarUnitConfig fx_config(void)
{
    return (DmarUnitConfig) {
        .aw_bits = 48, .nfr = 8, .dma_drain = true, .ir = true,
        .iotlb_entries = 4096, .ctx_entries = 256, .run_answers = true,
        .hw = { .haw = FX_HAW, .sagaw = 0x6, .sllps = 0x3, .pt = true },
    };
}

static inline Fx *fx_new_cfg(const DmarUnitConfig *cfg)
{
    Fx *f = g_new0(Fx, 1);
    g_autofree char *err = dmar_unit_config_error(cfg);

    g_assert_null(err);
    f->cfg = *cfg;
    fake_mem_init(&f->mem);
    /* RAM the qtests find there: status dwords, interrupt tables */
    fake_back(&f->mem, IQ_STATUS, 0x2000);
    fake_back(&f->mem, IRT_BASE, 0x10000);
    fake_back(&f->mem, IRT_BASE2, 0x10000);
    f->ev = g_array_new(false, true, sizeof(DmarEvent));
    f->log = g_ptr_array_new_with_free_func(g_free);
    f->pool = PT_POOL;
    dmar_unit_init(&f->u, cfg, &fake_mem_ops, &f->mem, &fx_hooks, f);
    return f;
}

static inline Fx *fx_new(void)
{
    DmarUnitConfig cfg = fx_config();

    return fx_new_cfg(&cfg);
}

static inline void fx_free(Fx *f)
{
    dmar_unit_destroy(&f->u);
    fake_mem_destroy(&f->mem);
    g_array_free(f->ev, true);
    g_ptr_array_free(f->log, true);
    g_free(f);
}

/* ---- registers, as the glue reaches them ---- */

static inline uint64_t fx_read(Fx *f, uint64_t off, unsigned size)
{
    switch (dmar_unit_access(&f->u, off, size, false)) {
    case DMAR_ACCESS_ONE:
        return dmar_unit_read(&f->u, off, size);
    case DMAR_ACCESS_SPLIT:
        return dmar_unit_read(&f->u, off, 4) |
               dmar_unit_read(&f->u, off + 4, 4) << 32;
    default:
        return 0;
    }
}

static inline unsigned fx_write(Fx *f, uint64_t off, unsigned size,
                                uint64_t v)
{
    unsigned act;

    /* the memory core hands over SIZE bytes, no more */
    v &= size == 8 ? ~0ull : MAKE_64BIT_MASK(0, size * 8);
    switch (dmar_unit_access(&f->u, off, size, true)) {
    case DMAR_ACCESS_ONE:
        return fx_act(f, dmar_unit_write(&f->u, off, v, size));
    case DMAR_ACCESS_SPLIT:
        act = fx_act(f, dmar_unit_write(&f->u, off, (uint32_t)v, 4));
        return act | fx_act(f, dmar_unit_write(&f->u, off + 4, v >> 32, 4));
    default:
        return 0;
    }
}

static inline uint32_t rd32(Fx *f, unsigned off)
{
    return fx_read(f, off, 4);
}

static inline uint64_t rd64(Fx *f, unsigned off)
{
    return fx_read(f, off, 8);
}

static inline unsigned wr32(Fx *f, unsigned off, uint32_t v)
{
    return fx_write(f, off, 4, v);
}

static inline unsigned wr64(Fx *f, unsigned off, uint64_t v)
{
    return fx_write(f, off, 8, v);
}

/* FSTS, with FRI masked while PPF is clear: it is only valid with PPF */
static inline uint32_t fsts(Fx *f)
{
    uint32_t v = rd32(f, REG_FSTS);

    return (v & FSTS_PPF) ? v : v & ~FSTS_FRI(0xff);
}

static inline void snapshot(Fx *f, uint32_t *w)
{
    for (unsigned i = 0; i < SNAP_WORDS; i++) {
        w[i] = dmar_unit_get32(&f->u, i * 4);
    }
}

static inline void assert_same_regs(const uint32_t *a, const uint32_t *b)
{
    for (unsigned i = 0; i < SNAP_WORDS; i++) {
        if (a[i] != b[i]) {
            g_test_message("register word 0x%03x: 0x%08x vs 0x%08x",
                           i * 4, a[i], b[i]);
        }
        g_assert_cmphex(a[i], ==, b[i]);
    }
}

static inline uint64_t haw_mask(Fx *f)
{
    return (1ull << f->cfg.hw.haw) - 1;
}

/* GCMD with the persistent bits as GSTS has them, SET set, CLEAR clear */
static inline unsigned gcmd_update(Fx *f, uint32_t set, uint32_t clear)
{
    uint32_t keep = rd32(f, REG_GSTS) &
                    (GSTS_TES | GSTS_QIES | GSTS_IRES | GSTS_CFIS);

    return wr32(f, REG_GCMD, (keep | set) & ~clear);
}

/* ---- translation tables ---- */

static inline uint64_t table_new(Fx *f)
{
    uint64_t t = f->pool;

    f->pool += 0x1000;
    g_assert_cmphex(f->pool, <=, PAGE_P1);
    fx_zero(f, t, 0x1000);
    return t;
}

static inline void set_root(Fx *f, uint64_t lo, uint64_t hi)
{
    fx_w64(f, ROOT_TABLE, lo);      /* bus 0 */
    fx_w64(f, ROOT_TABLE + 8, hi);
}

static inline void set_ctx(Fx *f, uint64_t lo, uint64_t hi)
{
    fx_w64(f, CTX_TABLE + EDU_DEVFN * 16, lo);
    fx_w64(f, CTX_TABLE + EDU_DEVFN * 16 + 8, hi);
}

static inline uint64_t ctx_lo(Fx *f)
{
    return fx_r64(f, CTX_TABLE + EDU_DEVFN * 16);
}

static inline uint64_t ctx_hi(Fx *f)
{
    return fx_r64(f, CTX_TABLE + EDU_DEVFN * 16 + 8);
}

/*
 * Fresh root and context tables with the device's context pointing at a
 * new, empty LEVELS-deep second-level table (domain DOMAIN).
 */
static inline void tables_init(Fx *f, unsigned levels, uint64_t lo_flags)
{
    fx_zero(f, ROOT_TABLE, 0x1000);
    fx_zero(f, CTX_TABLE, 0x1000);
    f->levels = levels;
    f->slpt = table_new(f);
    set_root(f, CTX_TABLE | ROOT_P, 0);
    set_ctx(f, f->slpt | lo_flags | CTX_P,
            CTX_AW(levels) | CTX_DID(DOMAIN));
}

/* Guest address of the LEVEL entry for IOVA; creates missing tables. */
static inline uint64_t pte_slot(Fx *f, uint64_t iova, unsigned level)
{
    uint64_t table = f->slpt;

    for (unsigned l = f->levels; l > level; l--) {
        uint64_t slot = table + PT_INDEX(iova, l) * 8;
        uint64_t pte = fx_r64(f, slot);

        if (!(pte & PTE_RW)) {
            pte = table_new(f) | PTE_RW;
            fx_w64(f, slot, pte);
        }
        table = pte & PTE_ADDR;
    }
    return table + PT_INDEX(iova, level) * 8;
}

static inline void set_pte(Fx *f, uint64_t iova, unsigned level, uint64_t pte)
{
    fx_w64(f, pte_slot(f, iova, level), pte);
}

/* Map IOVA to PA with a leaf at LEVEL (2: 2 MiB page, 3: 1 GiB page) */
static inline void map(Fx *f, uint64_t iova, uint64_t pa, unsigned level,
                       uint64_t perm)
{
    set_pte(f, iova, level, pa | perm | (level > 1 ? PTE_PS : 0));
}

static inline void dmar_enable(Fx *f, uint64_t rta)
{
    wr64(f, REG_RTADDR, rta);
    wr32(f, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(rd32(f, REG_GSTS) & GSTS_RTPS, ==, GSTS_RTPS);
    wr32(f, REG_GCMD, GCMD_TE);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
}

/* Register-based invalidations; both return the register as completed */
static inline uint64_t iotlb_inv(Fx *f, unsigned gran, uint16_t did,
                                 uint64_t iva)
{
    uint64_t v;

    wr64(f, REG_IVA, iva);
    wr64(f, REG_IOTLB, IOTLB_IVT | IOTLB_IIRG(gran) | IOTLB_DR |
         IOTLB_DW | IOTLB_DID(did));
    v = rd64(f, REG_IOTLB);
    g_assert_cmphex(v & IOTLB_IVT, ==, 0);
    return v;
}

static inline uint64_t ccmd_inv(Fx *f, uint64_t cmd)
{
    uint64_t v;

    wr64(f, REG_CCMD, CCMD_ICC | cmd);
    v = rd64(f, REG_CCMD);
    g_assert_cmphex(v & CCMD_ICC, ==, 0);
    return v;
}

/* ---- DMA ---- */

/*
 * A DMA of the device SID at IOVA, recorded if it faults, as the glue's
 * translate callback asks for it; *X gets the answer.
 */
static inline bool fx_dma_sid(Fx *f, uint16_t sid, uint64_t iova, bool write,
                              DmarXlate *x)
{
    DmarRequest req = {
        .addr = iova, .sid = sid, .pasid = DMAR_NO_PASID,
        .type = DMAR_REQ_UNTRANSLATED, .is_write = write,
    };
    uint8_t need = write ? DMAR_PERM_W : DMAR_PERM_R;
    DmarTranslation shared;
    bool hit = dmar_unit_translate_shared(&f->u, &req, need, &shared);
    bool ok = dmar_unit_translate(&f->u, &req, need, true, x);

    /*
     * The glue asks the lock-free hit path first: whatever it answers,
     * the locked path must answer alike, from the IOTLB. So every test's
     * DMA checks it too. A run of pages (cfg.run_answers) answers the
     * page for the address as the locked path does.
     */
    if (hit) {
        g_assert_true(ok && x->hit && !x->walked && !x->untranslated);
        if (shared.mask > x->t.mask) {
            g_assert_cmphex(x->t.mask, ==, DMAR_PAGE_SIZE - 1);
            g_assert_cmpint(shared.level, ==, 1);
            g_assert_cmphex(shared.iova, ==, iova & ~shared.mask);
            g_assert_cmphex(shared.pa & shared.mask, ==, 0);
            g_assert_cmphex(shared.pa + (iova & shared.mask), ==,
                            x->t.pa + (iova & x->t.mask));
            g_assert_cmpint(shared.perm, ==, x->t.perm);
        } else {
            assert_same_translation(&shared, &x->t);
        }
        g_assert_cmpint(x->act, ==, 0);
    }
    fx_act(f, x->act);
    return ok;
}

static inline bool fx_dma(Fx *f, uint64_t iova, bool write, DmarXlate *x)
{
    return fx_dma_sid(f, EDU_SID, iova, write, x);
}

/* The device's DMA at IOVA goes to this address (it must not fault) */
static inline uint64_t xlate(Fx *f, uint64_t iova, bool write)
{
    DmarXlate x;

    if (!fx_dma(f, iova, write, &x)) {
        g_test_message("%s 0x%" PRIx64 " faulted: reason 0x%x",
                       write ? "write" : "read", iova, x.fault.fr);
    }
    g_assert_true(x.t.perm & (write ? DMAR_PERM_W : DMAR_PERM_R));
    g_assert_cmphex(x.t.iova, ==, iova & ~x.t.mask);
    return x.t.pa | (iova & x.t.mask);
}

/* The device's DMA at IOVA faults with reason FR (recorded or not) */
static inline void fault_of(Fx *f, uint64_t iova, bool write, uint8_t fr)
{
    DmarXlate x;

    g_assert_false(fx_dma(f, iova, write, &x));
    g_assert_cmphex(x.fault.fr, ==, fr);
    g_assert_cmphex(x.fault.sid, ==, EDU_SID);
    g_assert_cmphex(x.fault.addr, ==, iova);
    g_assert_cmpint(x.fault.is_write, ==, write);
}

static inline void dma_in(Fx *f, uint64_t iova)
{
    DmarXlate x;

    fx_dma(f, iova, false, &x);
}

static inline void dma_out(Fx *f, uint64_t iova)
{
    DmarXlate x;

    fx_dma(f, iova, true, &x);
}

/* ---- fault records ---- */

static inline void assert_frcd(Fx *f, unsigned i, uint64_t iova, uint8_t fr,
                               bool write)
{
    uint64_t hi = FRCD_F | (write ? 0 : FRCD_T1) | FRCD_FR(fr) | EDU_SID;

    g_assert_cmphex(rd64(f, REG_FRCD(i)), ==, iova & ~0xfffull);
    g_assert_cmphex(rd64(f, REG_FRCD(i) + 8), ==, hi);
    g_assert_cmphex(rd32(f, REG_FRCD(i) + 4), ==, iova >> 32);
    g_assert_cmphex(rd32(f, REG_FRCD(i) + 8), ==, (uint32_t)hi);
    g_assert_cmphex(rd32(f, REG_FRCD(i) + 12), ==, hi >> 32);
}

static inline void frcd_clear(Fx *f, unsigned i)
{
    /* F is bit 63: bit 31 of the upper 32-bit half */
    wr32(f, REG_FRCD(i) + 12, 0x80000000);
}

/*
 * Exactly one fault record is pending, for an interrupt request: reason
 * FR, source-id SID, index INDEX in bits 63:48 of the lower half (-1:
 * not checked; bits 47:0 are 0). Clear it.
 */
static inline void assert_ir_fault(Fx *f, uint8_t fr, int index, uint16_t sid)
{
    int rec = -1;
    uint64_t lo, hi;

    for (unsigned i = 0; i < f->cfg.nfr; i++) {
        if (rd64(f, REG_FRCD(i) + 8) & FRCD_F) {
            g_assert_cmpint(rec, ==, -1);
            rec = i;
        }
    }
    g_assert_cmpint(rec, >=, 0);
    lo = rd64(f, REG_FRCD(rec));
    hi = rd64(f, REG_FRCD(rec) + 8);
    g_assert_cmphex(hi & ~FRCD_T1, ==, FRCD_F | FRCD_FR(fr) | sid);
    g_assert_cmphex(lo & 0xffffffffffffull, ==, 0);
    if (index >= 0) {
        g_assert_cmphex(lo >> 48, ==, index);
    }
    frcd_clear(f, rec);
    g_assert_cmphex(fsts(f), ==, 0);
}

static inline void assert_no_fault(Fx *f)
{
    for (unsigned i = 0; i < f->cfg.nfr; i++) {
        g_assert_cmphex(rd64(f, REG_FRCD(i) + 8) & FRCD_F, ==, 0);
    }
    g_assert_cmphex(fsts(f), ==, 0);
}

/* ---- queued invalidation ---- */

static inline uint64_t iq_off(unsigned idx)
{
    return idx * 16ull;
}

/* Set up a queue of 2^(QS + 8) descriptors at BASE and enable QI */
static inline void qi_enable(Fx *f, uint64_t base, unsigned qs)
{
    f->iq_base = base;
    f->iq_entries = 256u << qs;
    f->iq_tail = 0;
    if (base < RAM_END) {
        fx_zero(f, base, f->iq_entries * 16);
    }
    wr64(f, REG_IQA, base | qs);
    wr64(f, REG_IQT, 0);
    /* GCMD carries TE in every write: keep it as it is */
    wr32(f, REG_GCMD, (rd32(f, REG_GSTS) & GSTS_TES) | GCMD_QIE);
    g_assert_cmphex(rd32(f, REG_GSTS) & GSTS_QIES, ==, GSTS_QIES);
    g_assert_cmphex(rd64(f, REG_IQA), ==, base | qs);
    g_assert_cmphex(rd64(f, REG_IQH), ==, 0);
}

static inline void qi_put(Fx *f, unsigned idx, uint64_t lo, uint64_t hi)
{
    uint64_t a = f->iq_base + idx * 16ull;

    fx_w64(f, a, lo);
    fx_w64(f, a + 8, hi);
}

/* Write a descriptor at the software tail (IQT is not written yet) */
static inline unsigned qi_push(Fx *f, uint64_t lo, uint64_t hi)
{
    unsigned idx = f->iq_tail;

    qi_put(f, idx, lo, hi);
    f->iq_tail = (idx + 1) % f->iq_entries;
    return idx;
}

/* A wait descriptor that writes DATA at ADDR, plus FLAGS (IF, FN) */
static inline unsigned qi_push_wait(Fx *f, uint64_t addr, uint32_t data,
                                    uint64_t flags)
{
    return qi_push(f, QI_WAIT | QI_WAIT_SW | flags | QI_SDATA(data), addr);
}

static inline unsigned qi_kick(Fx *f)
{
    return wr64(f, REG_IQT, f->iq_tail * 16ull);
}

/* Submit a wait descriptor and check everything up to it is done */
static inline void qi_sync(Fx *f)
{
    uint32_t v = 0x5c000000 | ++f->iq_seq;

    fx_w32(f, IQ_SYNC, 0);
    qi_push_wait(f, IQ_SYNC, v, 0);
    qi_kick(f);
    g_assert_cmphex(rd32(f, REG_FSTS) & FSTS_IQE, ==, 0);
    g_assert_cmphex(fx_r32(f, IQ_SYNC), ==, v);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(f->iq_tail));
}

/* A wait descriptor asking for an interrupt (IF) and nothing else */
static inline void qi_wait_if(Fx *f)
{
    qi_push(f, QI_WAIT | QI_WAIT_IF, 0);
    qi_kick(f);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(f->iq_tail));
}

static inline void qi_iotlb(Fx *f, unsigned gran, uint16_t did, uint64_t addr,
                            unsigned am)
{
    qi_push(f, QI_IOTLB | QI_G(gran) | QI_IOTLB_DR | QI_IOTLB_DW |
            QI_DID(did), addr | QI_HI_AM(am));
}

static inline void qi_cc(Fx *f, unsigned gran, uint16_t did, uint16_t sid,
                         unsigned fm)
{
    qi_push(f, QI_CC | QI_G(gran) | QI_DID(did) | QI_CC_SID(sid) |
            QI_CC_FM(fm), 0);
}

static inline void qi_iec(Fx *f, bool index_sel, uint32_t iidx, unsigned im)
{
    qi_push(f, QI_IEC | QI_G(index_sel) | QI_IEC_IM(im) | QI_IEC_IIDX(iidx),
            0);
    qi_sync(f);
}

/* ---- interrupt remapping ---- */

static inline void irte_put(Fx *f, uint64_t table, uint32_t index,
                            uint64_t lo, uint64_t hi)
{
    fx_w64(f, table + index * 16ull, lo);
    fx_w64(f, table + index * 16ull + 8, hi);
}

/* IRTA, latched by SIRTP */
static inline void ir_set_table(Fx *f, uint64_t irta)
{
    wr64(f, REG_IRTA, irta);
    gcmd_update(f, GCMD_SIRTP, 0);
    g_assert_cmphex(rd32(f, REG_GSTS) & GSTS_IRTPS, ==, GSTS_IRTPS);
}

static inline void ir_enable(Fx *f, uint64_t irta, bool cfi)
{
    ir_set_table(f, irta);
    gcmd_update(f, GCMD_IRE | (cfi ? GCMD_CFI : 0), cfi ? 0 : GCMD_CFI);
    g_assert_cmphex(rd32(f, REG_GSTS) & (GSTS_IRES | GSTS_CFIS), ==,
                    GSTS_IRES | (cfi ? GSTS_CFIS : 0));
}

/* The request (ADDR, DATA) from SID; the answer in *R */
static inline bool fx_msi_sid(Fx *f, uint64_t addr, uint32_t data,
                              uint16_t sid, DmarIntr *r)
{
    bool ok = dmar_unit_remap_irq(&f->u, addr, data, sid, r);

    g_assert_cmpint(ok, ==, r->ok);
    fx_act(f, r->act);
    return ok;
}

static inline bool fx_msi(Fx *f, uint64_t addr, uint32_t data, DmarIntr *r)
{
    return fx_msi_sid(f, addr, data, EDU_SID, r);
}

/* The request is remapped to vector V (fixed, physical, APIC 0) */
static inline void assert_remapped(Fx *f, uint64_t addr, uint32_t data,
                                   uint8_t v, bool level)
{
    DmarIntr r;

    g_assert_true(fx_msi(f, addr, data, &r));
    g_assert_true(r.remapped);
    g_assert_cmphex(r.irq.vector, ==, v);
    g_assert_cmpint(r.irq.trigger_level, ==, level);
}

/* The request is blocked (and a fault recorded, or not: see the caller) */
static inline void assert_blocked(Fx *f, uint64_t addr, uint32_t data)
{
    DmarIntr r;

    g_assert_false(fx_msi(f, addr, data, &r));
}

/* ---- migration ---- */

/* The state a stream carries (vtd-dmar.c's vmstate) */
typedef struct Saved {
    uint8_t regs[DMAR_REGS_MAX];
    uint64_t root;
    uint32_t next;
    uint64_t irta_raw;
} Saved;

static inline void fx_save(Fx *f, Saved *s)
{
    memcpy(s->regs, f->u.regs, sizeof(s->regs));
    s->root = f->u.root;
    s->next = f->u.flog.next;
    s->irta_raw = f->u.irta_raw;
}

/*
 * A new unit configured as CFG, loaded from S as the glue's post_load
 * does. Guest memory moves from SRC to it (what software left in RAM
 * goes along; SRC is left with empty memory), and so does what software
 * knows of its tables and queue. *WHY is NULL, or why the stream is
 * refused: the unit is then reset, as the glue does.
 */
static inline Fx *fx_load(Fx *src, const DmarUnitConfig *cfg,
                          const Saved *s, const char **why)
{
    Fx *f = fx_new_cfg(cfg);
    FakeMem m = f->mem;

    f->mem = src->mem;      /* each unit's DmarMem points at its own */
    src->mem = m;
    f->slpt = src->slpt;
    f->levels = src->levels;
    f->pool = src->pool;
    f->iq_base = src->iq_base;
    f->iq_entries = src->iq_entries;
    f->iq_tail = src->iq_tail;
    memcpy(f->u.regs, s->regs, sizeof(s->regs));
    f->u.root = s->root;
    f->u.flog.next = s->next;
    f->u.irta_raw = s->irta_raw;
    *why = dmar_unit_stream_error(&f->u);
    if (*why) {
        fx_act(f, dmar_unit_reset(&f->u));
        return f;
    }
    dmar_unit_post_load(&f->u);
    return f;
}

/* ---- the scenarios shared with the qtests (vtd-dmar-scenarios.h) ---- */

typedef Fx DmarScn;

static inline void fx_scn_hook(Fx *f, int at, bool before)
{
    if (f->extra) {
        f->extra(f, at, before);
    }
}

/* Forget the last fault event message; the one sent since, or 0 */
static inline void fx_scn_fe_clear(Fx *f)
{
    f->fe_mark = f->fe_count;
}

static inline uint32_t fx_scn_fe_msg(Fx *f)
{
    if (f->fe_count == f->fe_mark) {
        return 0;
    }
    g_assert_cmpuint(f->fe_count, ==, f->fe_mark + 1);
    return f->fe_data;
}

/* The unit side counts invalidation event messages (f->ie_count) */
static inline void fx_scn_ie_clear(Fx *f)
{
}

/* An interrupt request from the device (the result: f->remapped) */
static inline void fx_scn_msi(Fx *f, uint32_t addr, uint32_t data)
{
    DmarIntr ir;

    f->remapped += fx_msi(f, addr, data, &ir) && ir.remapped;
}

/* The window of registers as the unit holds it: 0 past its registers */
static inline void fx_scn_win_read(Fx *f, uint32_t *out, unsigned size)
{
    for (unsigned i = 0; i < size / 4; i++) {
        out[i] = i * 4 < DMAR_REGS_MAX ? dmar_unit_get32(&f->u, i * 4) : 0;
    }
}

#define scn_rd32                rd32
#define scn_rd64                rd64
#define scn_wr32                wr32
#define scn_wr64                wr64
#define scn_read                fx_read
#define scn_write               fx_write
#define scn_haw_mask            haw_mask
#define scn_snapshot            snapshot
#define scn_assert_same_regs    assert_same_regs
#define scn_hook                fx_scn_hook
#define scn_w32                 fx_w32
#define scn_r32                 fx_r32
#define scn_memzero             fx_zero
#define scn_w64                 fx_w64
#define scn_r64                 fx_r64
#define scn_set_root            set_root
#define scn_set_ctx             set_ctx
#define scn_ctx_lo              ctx_lo
#define scn_ctx_hi              ctx_hi
#define scn_set_pte             set_pte
#define scn_pte_slot            pte_slot
#define scn_fe_clear            fx_scn_fe_clear
#define scn_fe_msg              fx_scn_fe_msg
#define scn_ie_clear            fx_scn_ie_clear
#define scn_iq_off              iq_off
#define scn_qi_enable           qi_enable
#define scn_qi_put              qi_put
#define scn_qi_push             qi_push
#define scn_qi_push_wait        qi_push_wait
#define scn_qi_kick             qi_kick
#define scn_qi_sync             qi_sync
#define scn_qi_iotlb            qi_iotlb
#define scn_qi_cc               qi_cc
#define scn_fsts                fsts
#define scn_win_read            fx_scn_win_read
#define scn_gcmd_update         gcmd_update
#define scn_ccmd_inv            ccmd_inv
#define scn_iotlb_inv           iotlb_inv
#define scn_qi_wait_if          qi_wait_if
#define scn_tables_init         tables_init
#define scn_map                 map
#define scn_enable              dmar_enable
#define scn_dma_in              dma_in
#define scn_assert_frcd         assert_frcd
#define scn_frcd_clear          frcd_clear
#define scn_assert_no_fault     assert_no_fault
#define scn_ir_enable           ir_enable
#define scn_irte_put            irte_put
#define scn_irte_lo             irte_lo
#define scn_msi_remappable      msi_remappable
#define scn_msi                 fx_scn_msi
#define scn_msi_blocked         assert_blocked
#define scn_ir_set_table        ir_set_table
#define scn_assert_ir_fault     assert_ir_fault
#define scn_assert_remapped     assert_remapped

#include "vtd-dmar-scenarios.h"

#endif
