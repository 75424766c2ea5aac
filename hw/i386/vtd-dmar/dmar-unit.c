/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar unit: the register file (one table of access rules, one
 * generic merge, hooks for registers whose writes do something; VT-d
 * §11.4), register-based and queued invalidation (§6.5), the fault log's
 * reporting, reset and loaded-state validation. Pure: see dmar-unit.h.
 *
 * Accesses (docs/vtd-dmar.rst, "Register access"): 32-bit to any
 * register, 64-bit to 64-bit registers (whole, or either 32-bit half);
 * any other 8-byte access on a 4-byte boundary is two 32-bit accesses,
 * low then high. Anything else (1/2-byte, misaligned) and offsets with no
 * register read as 0, are ignored on write and are logged as guest errors.
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "dmar-unit-int.h"

/* ---- hooks to the glue ---- */

void dmar_unit_emit(DmarUnit *u, const DmarEvent *ev)
{
    if (u->hooks && u->hooks->event) {
        u->hooks->event(u->hooks_opaque, ev);
    }
}

void dmar_unit_log(DmarUnit *u, DmarLogKind kind, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    if (!u->hooks || !u->hooks->log ||
        (u->hooks->log_enabled &&
         !u->hooks->log_enabled(u->hooks_opaque, kind))) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    u->hooks->log(u->hooks_opaque, kind, msg);
}

static void set32(DmarUnit *u, uint32_t off, uint32_t v)
{
    stl_le_p(u->regs + off, v);
}

static void set64(DmarUnit *u, uint32_t off, uint64_t v)
{
    stq_le_p(u->regs + off, v);
}

#define get32 dmar_unit_get32
#define get64 dmar_unit_get64

/* ---- faults ---- */

unsigned dmar_unit_report_fault(DmarUnit *u, const DmarFault *f)
{
    DmarEvent ev = { .kind = DMAR_EV_FAULT, .fault = *f };
    DmarRecordResult r;
    bool send = false;

    if (f->fpd) {
        ev.fault_outcome = DMAR_FAULT_OUT_FPD;
        dmar_unit_emit(u, &ev);
        return 0;
    }
    r = dmar_fault_record(&u->flog, f, &send);
    ev.fault_outcome = r == DMAR_FAULT_RECORDED ? DMAR_FAULT_OUT_RECORDED :
                       r == DMAR_FAULT_COLLAPSED ? DMAR_FAULT_OUT_PENDING :
                       DMAR_FAULT_OUT_LOST;
    dmar_unit_emit(u, &ev);
    if (r == DMAR_FAULT_RECORDED) {
        dmar_unit_log(u, DMAR_LOG_GUEST_ERROR, "vtd-dmar: %s fault, sid "
                      "%02x:%02x.%x addr 0x%" PRIx64 " reason 0x%x\n",
                      dmar_fr_is_ir(f->fr) ? "interrupt" :
                      f->is_write ? "DMA write" : "DMA read", f->sid >> 8,
                      (f->sid >> 3) & 0x1f, f->sid & 7, f->addr, f->fr);
    }
    return send ? DMAR_ACT_FAULT_EVENT : 0;
}

/* ---- notifier scopes ---- */

static void unmap_all(DmarUnit *u, bool iotlb_dropped)
{
    DmarEvent ev = { .kind = DMAR_EV_UNMAP_ALL,
                     .unmap_all.iotlb_dropped = iotlb_dropped };

    dmar_unit_emit(u, &ev);
}

static void unmap_sid(DmarUnit *u, uint16_t sid, uint16_t sid_mask)
{
    DmarEvent ev = { .kind = DMAR_EV_UNMAP_SID,
                     .unmap_sid = { .sid = sid, .sid_mask = sid_mask } };

    dmar_unit_emit(u, &ev);
}

static void unmap_did(DmarUnit *u, uint16_t did, uint64_t first,
                      uint64_t last)
{
    DmarEvent ev = { .kind = DMAR_EV_UNMAP_DID,
                     .unmap_did = { .did = did, .first = first,
                                    .last = last } };

    dmar_unit_emit(u, &ev);
}

/* ---- cache invalidation, register-based and queued (§6.5) ---- */

static void inv_all(DmarUnit *u)
{
    DmarEvent ev = { .kind = DMAR_EV_FLUSH_ALL };

    ev.flush.dropped = dmar_ctx_cache_flush_all(&u->ctx_cache) +
                       dmar_iotlb_flush_all(&u->iotlb) +
                       dmar_pasid_cache_flush(&u->pasid_cache, true, 0,
                                              false, 0);
    dmar_unit_emit(u, &ev);
    unmap_all(u, true);
}

/* §6.5.1.1: returns the granularity done (0: invalid request). */
static unsigned inv_context(DmarUnit *u, unsigned gran, uint16_t did,
                            uint16_t sid, unsigned fm)
{
    uint16_t sid_mask = 0xffff & ~((0x7u << (3 - fm)) & 0x7);
    DmarEvent ev = { .kind = DMAR_EV_CC_INV };
    uint32_t n = 0;

    /*
     * §6.5.2.1: in scalable mode context entries carry no domain-id, and
     * what the PASID cache holds came through them: a domain-selective
     * invalidation drops every context, and each drops the PASID-cache
     * entries of the devices it covers (invalidating more is allowed).
     */
    if (FIELD_EX64(u->root, RTADDR, TTM) == DMAR_TTM_SCALABLE) {
        if (gran == DMAR_CC_GLOBAL || gran == DMAR_CC_DOMAIN) {
            n += dmar_pasid_cache_flush(&u->pasid_cache, true, 0, false, 0);
            n += dmar_ctx_cache_flush_all(&u->ctx_cache);
        } else if (gran == DMAR_CC_DEVICE) {
            n += dmar_pasid_cache_flush_sid(&u->pasid_cache, sid, sid_mask);
        }
    }
    switch (gran) {
    case DMAR_CC_GLOBAL:
        n = dmar_ctx_cache_flush_all(&u->ctx_cache);
        n += dmar_iotlb_flush_all(&u->iotlb);
        unmap_all(u, true);
        break;
    case DMAR_CC_DOMAIN:
        n = dmar_ctx_cache_flush_domain(&u->ctx_cache, did);
        n += dmar_iotlb_flush_domain(&u->iotlb, did);
        unmap_did(u, did, 0, UINT64_MAX);
        break;
    case DMAR_CC_DEVICE:
        n = dmar_ctx_cache_flush_device(&u->ctx_cache, did, sid, sid_mask);
        /* Our IOTLB is tagged by source-id too: drop that device's pages. */
        for (unsigned f = 0; f < 8; f++) {
            uint16_t fsid = (sid & ~7) | f;

            if ((fsid & sid_mask) == (sid & sid_mask)) {
                n += dmar_iotlb_flush_sid(&u->iotlb, fsid);
            }
        }
        unmap_sid(u, sid, sid_mask);
        break;
    default:
        dmar_unit_log(u, DMAR_LOG_GUEST_ERROR, "vtd-dmar: context "
                      "invalidation with reserved granularity %u\n", gran);
        gran = 0;
    }
    ev.cc = (typeof(ev.cc)) { gran, did, sid, fm, n };
    dmar_unit_emit(u, &ev);
    return gran;
}

/* §6.5.1.2: returns the granularity done (0: invalid request). */
static unsigned inv_iotlb(DmarUnit *u, unsigned gran, uint16_t did,
                          uint64_t addr, unsigned am)
{
    DmarEvent ev = { .kind = DMAR_EV_IOTLB_INV };
    uint64_t first = 0, last = UINT64_MAX;
    uint32_t n = 0;

    if (gran == DMAR_IOTLB_PAGE && am > FIELD_EX64(dmar_unit_cap(u), CAP,
                                                    MAMV)) {
        /* Beyond MAMV: invalidate the whole domain and say so. */
        gran = DMAR_IOTLB_DOMAIN;
    }
    switch (gran) {
    case DMAR_IOTLB_GLOBAL:
        n = dmar_iotlb_flush_all(&u->iotlb);
        unmap_all(u, true);
        break;
    case DMAR_IOTLB_DOMAIN:
        n = dmar_iotlb_flush_domain(&u->iotlb, did);
        unmap_did(u, did, first, last);
        break;
    case DMAR_IOTLB_PAGE:
        n = dmar_iotlb_flush_pages(&u->iotlb, did, addr, am);
        /* am <= MAMV here: the 2^am pages around addr */
        first = addr & ~((DMAR_PAGE_SIZE << am) - 1);
        last = first + (DMAR_PAGE_SIZE << am) - 1;
        unmap_did(u, did, first, last);
        break;
    default:
        dmar_unit_log(u, DMAR_LOG_GUEST_ERROR, "vtd-dmar: IOTLB "
                      "invalidation with reserved granularity %u\n", gran);
        gran = 0;
        last = 0;
    }
    ev.iotlb = (typeof(ev.iotlb)) { gran, did, first, last, n };
    dmar_unit_emit(u, &ev);
    return gran;
}

uint32_t dmar_inv_domain_tag(const DmarEvent *ev)
{
    if (ev->kind == DMAR_EV_PIOTLB_INV) {
        return ev->pinv.did + 1u;
    }
    return ev->iotlb.gran == DMAR_IOTLB_GLOBAL ? DMAR_RANGE_ANY :
                                                 ev->iotlb.did + 1u;
}

/*
 * Scalable mode (§6.5.2.4): the PASID-based IOTLB invalidation of DID
 * and PASID, all of it (DMAR_PIOTLB_ALL) or 2^AM pages at ADDR. Our IOTLB
 * drops what it holds of DID in that range, every PASID's: more than
 * asked, which is allowed. AM beyond MAMV: the whole PASID.
 */
static void inv_piotlb(DmarUnit *u, const DmarQiDesc *d)
{
    DmarEvent ev = { .kind = DMAR_EV_PIOTLB_INV };
    unsigned gran = d->gran, am = d->am;
    uint64_t addr = d->addr;
    uint32_t n;

    if (gran == DMAR_PIOTLB_PAGE && am > FIELD_EX64(dmar_unit_cap(u), CAP,
                                                     MAMV)) {
        gran = DMAR_PIOTLB_ALL;
    }
    if (gran == DMAR_PIOTLB_PAGE) {
        n = dmar_iotlb_flush_pages(&u->iotlb, d->did, addr, am);
        addr &= ~((DMAR_PAGE_SIZE << am) - 1);
        unmap_did(u, d->did, addr, addr + (DMAR_PAGE_SIZE << am) - 1);
    } else {
        n = dmar_iotlb_flush_domain(&u->iotlb, d->did);
        unmap_did(u, d->did, 0, UINT64_MAX);
    }
    ev.pinv = (typeof(ev.pinv)) { gran, d->did, d->pasid, addr, am, n };
    dmar_unit_emit(u, &ev);
}

/*
 * §6.5.2.2: the PASID-cache invalidation, domain-selective, PASID-
 * selective or global. What the IOTLB holds of that domain came through
 * the entries dropped: it goes too (all of it for a global one).
 */
static void inv_pc(DmarUnit *u, const DmarQiDesc *d)
{
    DmarEvent ev = { .kind = DMAR_EV_PC_INV };
    bool all = d->gran == DMAR_PC_GLOBAL;
    uint32_t n;

    n = dmar_pasid_cache_flush(&u->pasid_cache, all, d->did,
                               d->gran == DMAR_PC_PASID, d->pasid);
    if (all) {
        n += dmar_iotlb_flush_all(&u->iotlb);
        unmap_all(u, true);
    } else {
        n += dmar_iotlb_flush_domain(&u->iotlb, d->did);
        unmap_did(u, d->did, 0, UINT64_MAX);
    }
    ev.pinv = (typeof(ev.pinv)) { .gran = d->gran, .did = d->did,
                                  .pasid = d->pasid, .dropped = n };
    dmar_unit_emit(u, &ev);
}

/* ---- interrupt remapping table and entry cache ---- */

static void iec_flush(DmarUnit *u, bool global, uint32_t index, unsigned im)
{
    uint32_t mask = im >= 32 ? 0 : ~((1u << im) - 1);
    DmarEvent ev = { .kind = DMAR_EV_IEC_FLUSH,
                     .iec = { .global = global, .index = index, .im = im } };

    for (unsigned i = 0; i < DMAR_IEC_ENTRIES; i++) {
        DmarIecEntry *e = &u->iec[i];

        if (e->valid && (global || (e->index & mask) == (index & mask))) {
            e->valid = false;
        }
    }
    dmar_unit_emit(u, &ev);
}

static void irta_from_raw(DmarUnit *u)
{
    u->irta = (DmarIrtaConfig) {
        .base = u->irta_raw & R_IRTA_IRTA_MASK,
        .entries = 2u << FIELD_EX64(u->irta_raw, IRTA, S),
        .haw = u->cfg.hw.haw,
        .eime = u->cfg.eim && FIELD_EX64(u->irta_raw, IRTA, EIME),
    };
    memset(u->iec, 0, sizeof(u->iec));
}

/* GCMD.SIRTP (§11.4.4.1): take IRTA; cached entries are now stale. */
static void irta_latch(DmarUnit *u)
{
    DmarEvent ev = { .kind = DMAR_EV_IEC_FLUSH, .iec.global = true };

    u->irta_raw = get64(u, A_IRTA);
    irta_from_raw(u);
    dmar_unit_emit(u, &ev);
}

/* ---- queued invalidation (§6.5.2) ---- */

typedef struct QiCtx {
    DmarUnit *u;
    bool context_changed;
    bool iec_flushed;
} QiCtx;

static unsigned qi_context(void *opaque, const DmarQiDesc *d)
{
    QiCtx *q = opaque;

    inv_context(q->u, d->gran, d->did, d->sid, d->fm);
    q->context_changed = true;
    return 0;
}

static unsigned qi_iotlb(void *opaque, const DmarQiDesc *d)
{
    QiCtx *q = opaque;
    uint64_t probes = q->u->iotlb.stats.probes;

    inv_iotlb(q->u, d->gran, d->did, d->addr, d->am);
    return (q->u->iotlb.stats.probes - probes) / DMAR_QI_PROBES_PER_UNIT;
}

static unsigned qi_pasid_iotlb(void *opaque, const DmarQiDesc *d)
{
    QiCtx *q = opaque;
    uint64_t probes = q->u->iotlb.stats.probes;

    inv_piotlb(q->u, d);
    return (q->u->iotlb.stats.probes - probes) / DMAR_QI_PROBES_PER_UNIT;
}

static unsigned qi_pasid_cache(void *opaque, const DmarQiDesc *d)
{
    QiCtx *q = opaque;

    inv_pc(q->u, d);
    /* A PASID entry may have changed: the address spaces follow */
    q->context_changed = true;
    /* One pass over the PASID cache: DMAR_PASID_CACHE_ENTRIES entries */
    return DMAR_PASID_CACHE_ENTRIES / 64;
}

static unsigned qi_iec(void *opaque, const DmarQiDesc *d)
{
    QiCtx *q = opaque;

    /* §6.5.2.7: global, or the 2^IM entries aligned around IIDX */
    iec_flush(q->u, d->gran == 0, d->index, d->am);
    q->iec_flushed = true;
    return 0;
}

/*
 * §6.5.2.5: the device's TLB, not ours. What devices hold is the glue's
 * business (DMAR_EV_DEVTLB_INV); a device without ATS holds nothing, so
 * the descriptor completes at once either way.
 */
static unsigned qi_devtlb(void *opaque, const DmarQiDesc *d)
{
    QiCtx *q = opaque;
    uint64_t limit = (1ull << q->u->cfg.aw_bits) - 1;
    DmarEvent ev = { .kind = DMAR_EV_DEVTLB_INV };
    uint64_t first, last;

    dmar_qi_devtlb_range(d, &first, &last);
    if (first > limit) {
        return 0;           /* no device translates addresses up there */
    }
    ev.devtlb = (typeof(ev.devtlb)) { d->sid, d->pfsid, d->mip, first,
                                      MIN(last, limit) };
    dmar_unit_emit(q->u, &ev);
    return 0;
}

/*
 * §6.5.2.8: a wait descriptor completes once every descriptor before it
 * has, and so must what the glue does with their results: notifiers
 * (vhost, vfio) hear of the invalidations, address spaces switch after a
 * context change, KVM re-reads interrupt routes after an IEC flush. Not
 * in this call, then: the queue goes on after the glue has done them.
 */
static bool qi_wait_ready(void *opaque)
{
    QiCtx *q = opaque;
    const DmarUnitHooks *h = q->u->hooks;

    return !q->context_changed && !q->iec_flushed && !q->u->qi_owed &&
           !(h && h->notify_pending &&
             h->notify_pending(q->u->hooks_opaque));
}

static const DmarQiOps qi_ops = {
    .context = qi_context,
    .iotlb = qi_iotlb,
    .iec = qi_iec,
    .devtlb = qi_devtlb,
    .pasid_iotlb = qi_pasid_iotlb,
    .pasid_cache = qi_pasid_cache,
    .wait_ready = qi_wait_ready,
};

static const char *const qi_error_text[] = {
    [DMAR_IQEI_NONE] = "status write of a wait descriptor failed",
    [DMAR_IQEI_TAIL] = "tail beyond the queue size",
    [DMAR_IQEI_FETCH] = "descriptor fetch failed",
    [DMAR_IQEI_TYPE] = "invalid descriptor type",
    [DMAR_IQEI_RSVD] = "reserved field set in the descriptor",
    [DMAR_IQEI_DW] = "256-bit descriptors (IQA.DW) are not supported",
    [DMAR_IQEI_TAIL_DW] = "tail not aligned to the descriptor width",
    [DMAR_IQEI_TTM] = "invalid translation table mode",
};

/*
 * §6.5.2.10: stop at the bad descriptor, set IQE, raise the fault event.
 * §11.4.9.9: IQERCD.IQEI says why.
 */
static unsigned qi_error(DmarUnit *u, uint32_t head, DmarIqei iqei)
{
    uint32_t fsts = get32(u, A_FSTS);
    const char *why = iqei < ARRAY_SIZE(qi_error_text) ?
                      qi_error_text[iqei] : "?";
    DmarEvent ev = { .kind = DMAR_EV_QI_ERROR,
                     .qi_error = { .head = head, .iqei = iqei, .why = why } };

    dmar_unit_log(u, DMAR_LOG_GUEST_ERROR, "vtd-dmar: invalidation queue "
                  "error at descriptor %" PRIu32 ": %s (IQEI %u)\n", head,
                  why, iqei);
    dmar_unit_emit(u, &ev);
    set32(u, A_FSTS, fsts | R_FSTS_IQE_MASK);
    set64(u, A_IQERCD, FIELD_DP64(0, IQERCD, IQEI, iqei));
    return dmar_fault_event_condition(&u->flog, fsts) ?
           DMAR_ACT_FAULT_EVENT : 0;
}

/* §6.5.2.9: a wait descriptor with IF=1 completed. */
static unsigned qi_wait_event(DmarUnit *u)
{
    uint32_t iectl = get32(u, A_IECTL);

    if (get32(u, A_ICS) & R_ICS_IWC_MASK) {
        return 0;           /* not serviced yet: no new event */
    }
    set32(u, A_ICS, R_ICS_IWC_MASK);
    if (iectl & R_IECTL_IM_MASK) {
        set32(u, A_IECTL, iectl | R_IECTL_IP_MASK);
        return 0;
    }
    return DMAR_ACT_INV_EVENT;
}

/*
 * Run the queue from IQH towards IQT, DMAR_QI_BUDGET of work at most;
 * DMAR_ACT_QI_PENDING asks for a dmar_unit_qi_continue() for the rest.
 * IQH shows every completed descriptor, so software sees the same
 * progress either way.
 */
static unsigned qi_run(DmarUnit *u)
{
    uint64_t iqa = get64(u, A_IQA);
    uint32_t entries = 1u << (FIELD_EX64(iqa, IQA, QS) + 8);
    uint32_t tail = FIELD_EX64(get64(u, A_IQT), IQT, QT);
    DmarQiCaps caps = { .ir = u->cfg.ir, .dt = u->cfg.hw.dt,
                        .sm = u->cfg.hw.sm };
    QiCtx q = { .u = u };
    DmarQiRun run = {
        .head = FIELD_EX64(get64(u, A_IQH), IQH, QH),
        .budget = DMAR_QI_BUDGET,
    };
    DmarEvent ev = { .kind = DMAR_EV_QI_RUN };
    bool dw = FIELD_EX64(iqa, IQA, DW);
    unsigned ttm = FIELD_EX64(u->root, RTADDR, TTM);
    DmarQiStatus st;
    unsigned act = 0, glue;

    if (!(get32(u, A_GSTS) & R_GSTS_QIES_MASK) ||
        (get32(u, A_FSTS) & R_FSTS_IQE_MASK) || run.head == tail) {
        return 0;
    }
    /*
     * §11.4.9.3: DW=1 is an error unless scalable or abort-DMA mode is
     * offered (whatever mode is latched: Linux sets up interrupt
     * remapping's queue before it sets a root table)
     */
    if (dw && !u->cfg.abort_dma && !u->cfg.hw.sm) {
        return qi_error(u, run.head, DMAR_IQEI_DW);
    }
    /*
     * §6.5.2.11 Table 26, §11.4.9.9: no descriptor is valid under a
     * reserved (or not offered) mode (IQEI 7), nor a 128-bit one in
     * abort-DMA mode (IQEI 5).
     */
    if ((ttm == DMAR_TTM_SCALABLE && !u->cfg.hw.sm) ||
        ttm == DMAR_TTM_RESERVED) {
        return qi_error(u, run.head, DMAR_IQEI_TTM);
    }
    if (ttm == DMAR_TTM_ABORT_DMA && !dw) {
        return qi_error(u, run.head, DMAR_IQEI_DW);
    }
    st = dmar_qi_process(&caps, iqa & R_IQA_IQA_MASK, entries, dw, tail,
                         &u->mem, &qi_ops, &q, &run);
    if (st == DMAR_QI_ERROR) {
        act |= qi_error(u, run.head, run.iqei);
    }
    set64(u, A_IQH, FIELD_DP64(0, IQH, QH, run.head));
    ev.qi_run = (typeof(ev.qi_run)) { run.head, tail, run.processed };
    dmar_unit_emit(u, &ev);
    if (st == DMAR_QI_PENDING) {
        act |= DMAR_ACT_QI_PENDING | (run.wait_held ? DMAR_ACT_QI_WAIT : 0);
    }
    if (run.wait_irq) {
        act |= qi_wait_event(u);
    }
    glue = (q.context_changed ? DMAR_ACT_SWITCH_AS : 0) |
           (q.iec_flushed ? DMAR_ACT_IEC_NOTIFY : 0);
    if (glue) {
        u->qi_owed |= glue;
        u->qi_owed_gen++;
    }
    return act | glue;
}

unsigned dmar_unit_qi_continue(DmarUnit *u)
{
    return qi_run(u);
}

unsigned dmar_unit_owed(const DmarUnit *u, uint64_t *gen)
{
    *gen = u->qi_owed_gen;
    return u->qi_owed;
}

void dmar_unit_owed_done(DmarUnit *u, uint64_t gen, unsigned done)
{
    if (gen == u->qi_owed_gen) {
        u->qi_owed &= ~done;
    }
}

/* ---- register hooks ---- */

typedef unsigned DmarRegHook(DmarUnit *u, uint64_t val);

typedef struct DmarRegInfo {
    const char *name;
    uint16_t off;
    uint8_t size;               /* 4 or 8 */
    bool wo;                    /* write-only: reads return 0 */
    uint64_t rw;                /* bits software can write */
    /* ... when the configuration decides them (then rw is unused) */
    uint64_t (*rw_of)(const DmarUnit *u);
    uint64_t w1c;               /* bits software clears by writing 1 */
    /* §11.4.8.2-5: a region's base or limit, frozen while PMEN.PRS */
    bool pmr_range;
    DmarRegHook *post_write;
} DmarRegInfo;

/* §11.4.5: TTM is software's only with scalable or abort-DMA mode */
static uint64_t rtaddr_rw(const DmarUnit *u)
{
    return R_RTADDR_RTA_MASK |
           (u->cfg.abort_dma || u->cfg.hw.sm ? R_RTADDR_TTM_MASK : 0);
}

/* §11.4.8: without CAP.PLMR/PHMR, PMEN and the region registers are RO 0 */
static uint64_t pmen_rw(const DmarUnit *u)
{
    return u->cfg.pmr ? R_PMEN_EPM_MASK : 0;
}

/* §11.4.8.2-3: bits 31:21 (N = 20: 2 MiB granularity) */
static uint64_t plm_rw(const DmarUnit *u)
{
    return u->cfg.pmr ? DMAR_PLM_MASK : 0;
}

/* §11.4.8.4-5: bits HAW-1:21; 63:HAW are not implemented */
static uint64_t phm_rw(const DmarUnit *u)
{
    return u->cfg.pmr ? MAKE_64BIT_MASK(DMAR_PMR_SHIFT,
                                        u->cfg.hw.haw - DMAR_PMR_SHIFT) : 0;
}

/*
 * §11.4.8.1: PMEN.EPM enables or disables the protected regions; PRS
 * reports it done, at once. The DMA that bypasses translation now comes
 * to dmar_unit_translate() (or goes straight to memory again), and what
 * notifiers keep was granted under the other setting.
 */
static unsigned pmen_write(DmarUnit *u, uint64_t val)
{
    bool epm = val & R_PMEN_EPM_MASK, was = val & R_PMEN_PRS_MASK;
    uint32_t pmen = epm ? R_PMEN_EPM_MASK | R_PMEN_PRS_MASK : 0;
    DmarEvent ev = { .kind = DMAR_EV_PMEN,
                     .pmen = { .val = val, .pmen = pmen } };

    set32(u, A_PMEN, pmen);
    dmar_unit_emit(u, &ev);
    if (epm == was) {
        return 0;
    }
    unmap_all(u, false);
    return DMAR_ACT_SWITCH_AS;
}

/* §11.4.4.1: GCMD; persistent bits are taken from the value written. */
static unsigned gcmd_write(DmarUnit *u, uint64_t val)
{
    uint32_t gsts = get32(u, A_GSTS), old = gsts;
    DmarEvent ev = { .kind = DMAR_EV_GCMD, .gcmd.val = val };
    unsigned act = 0;
    bool qi_enabled = false;

    if (val & R_GCMD_SRTP_MASK) {
        u->root = get64(u, A_RTADDR);
        gsts |= R_GSTS_RTPS_MASK;
        /* Cached entries came from the old table: drop them. */
        inv_all(u);
        act |= DMAR_ACT_SWITCH_AS;
    }
    if (!!(val & R_GCMD_TE_MASK) != !!(gsts & R_GSTS_TES_MASK)) {
        gsts ^= R_GSTS_TES_MASK;
        act |= DMAR_ACT_SWITCH_AS;
        /* What notifiers keep was translated under the other setting. */
        unmap_all(u, false);
    }
    if (!!(val & R_GCMD_QIE_MASK) != !!(gsts & R_GSTS_QIES_MASK)) {
        gsts ^= R_GSTS_QIES_MASK;
        /* §11.4.9.1: IQH is 0 while QI is disabled; enabling starts there */
        set64(u, A_IQH, 0);
        qi_enabled = gsts & R_GSTS_QIES_MASK;
    }
    if (u->cfg.ir) {
        if (val & R_GCMD_SIRTP_MASK) {
            irta_latch(u);
            gsts |= R_GSTS_IRTPS_MASK;
            act |= DMAR_ACT_IEC_NOTIFY;
        }
        if (!!(val & R_GCMD_IRE_MASK) != !!(gsts & R_GSTS_IRES_MASK)) {
            gsts ^= R_GSTS_IRES_MASK;
            /* Interrupts now depend on the source-id, or no longer do */
            act |= DMAR_ACT_IEC_NOTIFY | DMAR_ACT_SWITCH_AS;
        }
        if (!!(val & R_GCMD_CFI_MASK) != !!(gsts & R_GSTS_CFIS_MASK)) {
            gsts ^= R_GSTS_CFIS_MASK;
        }
        val &= ~(R_GCMD_SIRTP_MASK | R_GCMD_IRE_MASK | R_GCMD_CFI_MASK);
    }
    if (val & (R_GCMD_SFL_MASK | R_GCMD_EAFL_MASK | R_GCMD_WBF_MASK |
               R_GCMD_IRE_MASK | R_GCMD_SIRTP_MASK | R_GCMD_CFI_MASK)) {
        /* Not offered by CAP/ECAP: no effect, as for reserved bits. */
        dmar_unit_log(u, DMAR_LOG_UNIMP, "vtd-dmar: GCMD 0x%08" PRIx32
                      ": command not offered by this unit\n", (uint32_t)val);
    }
    /*
     * §7.2.1: the index of the next fault record is reset to zero when
     * address and interrupt translation are both disabled.
     */
    if (!(gsts & (R_GSTS_TES_MASK | R_GSTS_IRES_MASK))) {
        u->flog.next = 0;
    }
    set32(u, A_GSTS, gsts);
    ev.gcmd.old_gsts = old;
    ev.gcmd.gsts = gsts;
    dmar_unit_emit(u, &ev);
    if (qi_enabled) {
        /* Descriptors already between IQH (0) and IQT run now. */
        act |= qi_run(u);
    }
    return act;
}

/*
 * §6.5.2: register-based invalidation is not used with QI on. Such a
 * command does nothing, but completes (granularity 0) so that software
 * polling its command bit does not spin.
 */
static bool register_inv_refused(DmarUnit *u, const char *reg)
{
    if (!(get32(u, A_GSTS) & R_GSTS_QIES_MASK)) {
        return false;
    }
    dmar_unit_log(u, DMAR_LOG_GUEST_ERROR, "vtd-dmar: %s written while "
                  "queued invalidation is enabled: ignored\n", reg);
    return true;
}

/*
 * §11.4.6.1, §11.4.6.3: with a translation table mode other than legacy
 * latched (RTADDR.TTM != 00b), a register-based invalidation is an
 * incorrect request: ignored, reported with granularity 00b.
 */
static bool register_inv_not_legacy(DmarUnit *u, const char *reg)
{
    if (FIELD_EX64(u->root, RTADDR, TTM) == DMAR_TTM_LEGACY) {
        return false;
    }
    dmar_unit_log(u, DMAR_LOG_GUEST_ERROR, "vtd-dmar: %s written while the "
                  "root table pointer's mode is not legacy (TTM %u): "
                  "ignored\n", reg,
                  (unsigned)FIELD_EX64(u->root, RTADDR, TTM));
    return true;
}

/* §11.4.6.1: register-based context-cache invalidation. */
static unsigned ccmd_write(DmarUnit *u, uint64_t val)
{
    unsigned gran;

    if (!FIELD_EX64(val, CCMD, ICC)) {
        return 0;
    }
    if (register_inv_refused(u, "CCMD") ||
        register_inv_not_legacy(u, "CCMD")) {
        gran = 0;
    } else {
        gran = inv_context(u, FIELD_EX64(val, CCMD, CIRG),
                           FIELD_EX64(val, CCMD, DID),
                           FIELD_EX64(val, CCMD, SID),
                           FIELD_EX64(val, CCMD, FM));
    }
    val = FIELD_DP64(val, CCMD, ICC, 0);
    val = FIELD_DP64(val, CCMD, CAIG, gran);
    set64(u, A_CCMD, val);
    return DMAR_ACT_SWITCH_AS;
}

/* §11.4.6.3: register-based IOTLB invalidation. */
static unsigned iotlb_write(DmarUnit *u, uint64_t val)
{
    uint64_t iva = get64(u, A_IVA);
    unsigned gran;

    if (!FIELD_EX64(val, IOTLB, IVT)) {
        return 0;
    }
    if (register_inv_refused(u, "IOTLB") ||
        register_inv_not_legacy(u, "IOTLB")) {
        gran = 0;
    } else {
        gran = inv_iotlb(u, FIELD_EX64(val, IOTLB, IIRG),
                         FIELD_EX64(val, IOTLB, DID), iva & R_IVA_ADDR_MASK,
                         FIELD_EX64(iva, IVA, AM));
    }
    val = FIELD_DP64(val, IOTLB, IVT, 0);
    val = FIELD_DP64(val, IOTLB, IAIG, gran);
    set64(u, A_IOTLB, val);
    return 0;
}

static unsigned fsts_write(DmarUnit *u, uint64_t val)
{
    dmar_fault_status_update(&u->flog);
    /* §6.5.2.10: clearing IQE lets the queue run again */
    return qi_run(u);
}

static unsigned iqt_write(DmarUnit *u, uint64_t val)
{
    return qi_run(u);
}

/*
 * §11.4.9.3: base address bits 63:HAW are not implemented (they read 0,
 * so a fetch never goes past the host address width); DW is kept, and
 * makes the queue stop with IQE once it runs (qi_run). A new queue
 * starts at its base.
 */
static unsigned iqa_write(DmarUnit *u, uint64_t val)
{
    set64(u, A_IQA, val & (MAKE_64BIT_MASK(0, u->cfg.hw.haw) |
                           R_IQA_DW_MASK | R_IQA_QS_MASK));
    set64(u, A_IQH, 0);
    return 0;
}

static unsigned ics_write(DmarUnit *u, uint64_t val)
{
    if (!(get32(u, A_ICS) & R_ICS_IWC_MASK)) {
        set32(u, A_IECTL, get32(u, A_IECTL) & ~R_IECTL_IP_MASK);
    }
    return 0;
}

static unsigned irta_write(DmarUnit *u, uint64_t val)
{
    /*
     * §11.4.10: EIME is reserved unless ECAP.EIM, and IRTA needs ECAP.IR
     * at all. Address bits 63:HAW are not implemented: they read 0.
     */
    val &= MAKE_64BIT_MASK(0, u->cfg.hw.haw);
    if (!u->cfg.ir) {
        val = 0;
    } else if (!u->cfg.eim) {
        val &= ~R_IRTA_EIME_MASK;
    }
    set64(u, A_IRTA, val);
    return 0;
}

static unsigned iectl_write(DmarUnit *u, uint64_t val)
{
    uint32_t iectl = get32(u, A_IECTL);

    if ((iectl & R_IECTL_IP_MASK) && !(iectl & R_IECTL_IM_MASK)) {
        set32(u, A_IECTL, iectl & ~R_IECTL_IP_MASK);
        return DMAR_ACT_INV_EVENT;
    }
    return 0;
}

static unsigned fectl_write(DmarUnit *u, uint64_t val)
{
    return dmar_fault_fectl_written(&u->flog) ? DMAR_ACT_FAULT_EVENT : 0;
}

static unsigned frcd_write(DmarUnit *u, uint64_t val)
{
    dmar_fault_status_update(&u->flog);
    return 0;
}

/* ---- the table ---- */

#define RO(n, sz)           { .name = #n, .off = A_##n, .size = sz }
#define RW(n, sz, m)        { .name = #n, .off = A_##n, .size = sz, .rw = m }

static const DmarRegInfo dmar_regs[] = {
    RO(VER, 4),
    RO(CAP, 8),
    RO(ECAP, 8),
    { .name = "GCMD", .off = A_GCMD, .size = 4, .wo = true,
      .post_write = gcmd_write },
    RO(GSTS, 4),
    /*
     * TTM stays 0 (legacy) unless scalable mode (ECAP.SMTS) or abort-DMA
     * mode (ECAP.ADMS) is offered: then any value is kept, and SRTP
     * latches it (dmar-unit-dma.c says what each mode does).
     */
    { .name = "RTADDR", .off = A_RTADDR, .size = 8, .rw_of = rtaddr_rw },
    { .name = "CCMD", .off = A_CCMD, .size = 8,
      .rw = R_CCMD_ICC_MASK | R_CCMD_CIRG_MASK | R_CCMD_FM_MASK |
            R_CCMD_SID_MASK | R_CCMD_DID_MASK,
      .post_write = ccmd_write },
    { .name = "FSTS", .off = A_FSTS, .size = 4,
      .w1c = R_FSTS_PFO_MASK | R_FSTS_AFO_MASK | R_FSTS_APF_MASK |
             R_FSTS_IQE_MASK | R_FSTS_ICE_MASK | R_FSTS_ITE_MASK,
      .post_write = fsts_write },
    { .name = "FECTL", .off = A_FECTL, .size = 4, .rw = R_FECTL_IM_MASK,
      .post_write = fectl_write },
    RW(FEDATA, 4, 0xffff),
    RW(FEADDR, 4, 0xfffffffc),
    RW(FEUADDR, 4, 0xffffffff),
    RO(AFLOG, 8),
    /* Protected memory regions (§11.4.8): RO 0 without CAP.PLMR/PHMR */
    { .name = "PMEN", .off = A_PMEN, .size = 4, .rw_of = pmen_rw,
      .post_write = pmen_write },
    { .name = "PLMBASE", .off = A_PLMBASE, .size = 4, .rw_of = plm_rw,
      .pmr_range = true },
    { .name = "PLMLIMIT", .off = A_PLMLIMIT, .size = 4, .rw_of = plm_rw,
      .pmr_range = true },
    { .name = "PHMBASE", .off = A_PHMBASE, .size = 8, .rw_of = phm_rw,
      .pmr_range = true },
    { .name = "PHMLIMIT", .off = A_PHMLIMIT, .size = 8, .rw_of = phm_rw,
      .pmr_range = true },
    /* Queued invalidation (§11.4.9) */
    RO(IQH, 8),
    { .name = "IQT", .off = A_IQT, .size = 8, .rw = R_IQT_QT_MASK,
      .post_write = iqt_write },
    { .name = "IQA", .off = A_IQA, .size = 8,
      .rw = R_IQA_IQA_MASK | R_IQA_DW_MASK | R_IQA_QS_MASK,
      .post_write = iqa_write },
    { .name = "ICS", .off = A_ICS, .size = 4, .w1c = R_ICS_IWC_MASK,
      .post_write = ics_write },
    { .name = "IECTL", .off = A_IECTL, .size = 4, .rw = R_IECTL_IM_MASK,
      .post_write = iectl_write },
    RW(IEDATA, 4, 0xffff),
    RW(IEADDR, 4, 0xfffffffc),
    RW(IEUADDR, 4, 0xffffffff),
    RO(IQERCD, 8),
    /* Interrupt remapping (§11.4.10) */
    { .name = "IRTA", .off = A_IRTA, .size = 8,
      .rw = R_IRTA_IRTA_MASK | R_IRTA_EIME_MASK | R_IRTA_S_MASK,
      .post_write = irta_write },
    RW(IVA, 8, R_IVA_ADDR_MASK | R_IVA_IH_MASK | R_IVA_AM_MASK),
    { .name = "IOTLB", .off = A_IOTLB, .size = 8,
      .rw = R_IOTLB_IVT_MASK | R_IOTLB_IIRG_MASK | R_IOTLB_DR_MASK |
            R_IOTLB_DW_MASK | R_IOTLB_DID_MASK,
      .post_write = iotlb_write },
};

/* The FRCD array: lo is read-only, hi has the W1C fault bit. */
static DmarRegInfo frcd_info(uint32_t off)
{
    uint32_t base = off - ((off - DMAR_FRO_OFFSET) % 8);
    bool hi = (off - DMAR_FRO_OFFSET) % DMAR_FRCD_SIZE >= 8;

    return (DmarRegInfo) {
        .name = hi ? "FRCD_HI" : "FRCD_LO", .off = base, .size = 8,
        .w1c = hi ? R_FRCD_HI_F_MASK : 0,
        .post_write = hi ? frcd_write : NULL,
    };
}

static bool find_reg(const DmarUnit *u, uint64_t off, DmarRegInfo *out)
{
    if (off >= DMAR_FRO_OFFSET &&
        off < DMAR_FRO_OFFSET + u->cfg.nfr * DMAR_FRCD_SIZE) {
        *out = frcd_info(off);
        return true;
    }
    for (size_t i = 0; i < ARRAY_SIZE(dmar_regs); i++) {
        if (off >= dmar_regs[i].off &&
            off < dmar_regs[i].off + dmar_regs[i].size) {
            *out = dmar_regs[i];
            return true;
        }
    }
    return false;
}

static void log_access(DmarUnit *u, uint64_t off, unsigned size,
                       bool is_write, const char *why)
{
    dmar_unit_log(u, DMAR_LOG_GUEST_ERROR, "vtd-dmar: %s of %u bytes at 0x%"
                  PRIx64 ": %s\n", is_write ? "write" : "read", size, off,
                  why);
}

/* The register an aligned 32-bit or 64-bit access hits; logs when none. */
static bool access_reg(DmarUnit *u, uint64_t off, unsigned size,
                       bool is_write, DmarRegInfo *reg)
{
    if (!find_reg(u, off, reg)) {
        log_access(u, off, size, is_write, "no register at this offset");
        return false;
    }
    return true;
}

/*
 * The rules of dmar-unit.h's DmarAccess. TCG splits an 8-byte access at
 * 4 mod 8 before we see it, while KVM and qtest hand it over whole: the
 * result is the same on all three.
 */
DmarAccess dmar_unit_access(DmarUnit *u, uint64_t off, unsigned size,
                            bool is_write)
{
    DmarRegInfo reg;

    if (size == 4 && off % 4 == 0) {
        return DMAR_ACCESS_ONE;
    }
    if (size == 8 && off % 8 == 0 && find_reg(u, off, &reg) &&
        reg.size == 8 && reg.off == off) {
        return DMAR_ACCESS_ONE;
    }
    if (size == 8 && off % 4 == 0) {
        log_access(u, off, size, is_write, "not one 64-bit register: done "
                   "as two 32-bit accesses, low then high");
        return DMAR_ACCESS_SPLIT;
    }
    log_access(u, off, size, is_write, "unsupported size or alignment");
    return DMAR_ACCESS_NONE;
}

uint64_t dmar_unit_read(DmarUnit *u, uint64_t off, unsigned size)
{
    DmarEvent ev = { .kind = DMAR_EV_MMIO_READ };
    DmarRegInfo reg;
    uint64_t val = 0;

    if (!access_reg(u, off, size, false, &reg)) {
        return 0;
    }
    if (!reg.wo) {
        val = size == 8 ? get64(u, off) : get32(u, off);
    }
    ev.mmio = (typeof(ev.mmio)) { reg.name, off, size, val };
    dmar_unit_emit(u, &ev);
    return val;
}

static unsigned unit_write(DmarUnit *u, uint64_t off, uint64_t val,
                           unsigned size)
{
    DmarEvent ev = { .kind = DMAR_EV_MMIO_WRITE };
    DmarRegInfo reg;
    unsigned shift;
    uint64_t lanes, old, new, full;

    if (!access_reg(u, off, size, true, &reg)) {
        return 0;
    }
    ev.mmio = (typeof(ev.mmio)) { reg.name, off, size, val };
    dmar_unit_emit(u, &ev);
    /*
     * §11.4.8.2-5: software must not change a region while protected
     * memory is enabled; a write then is dropped, so the regions in force
     * are always the ones the registers show.
     */
    if (reg.pmr_range && (get32(u, A_PMEN) & R_PMEN_PRS_MASK)) {
        dmar_unit_log(u, DMAR_LOG_GUEST_ERROR, "vtd-dmar: %s written while "
                      "protected memory is enabled (PMEN.PRS): ignored\n",
                      reg.name);
        return 0;
    }
    if (reg.rw_of) {
        reg.rw = reg.rw_of(u);
    }
    /* Work on the whole register; a 32-bit write touches one half. */
    shift = (off - reg.off) * 8;
    lanes = (size == 8 ? ~0ull : 0xffffffffull) << shift;
    full = val << shift;

    old = reg.size == 8 ? get64(u, reg.off) : get32(u, reg.off);
    if (reg.wo) {
        new = 0;
    } else {
        new = (old & ~(reg.rw & lanes)) | (full & reg.rw & lanes);
        new &= ~(full & reg.w1c & lanes);
    }
    if (reg.size == 8) {
        set64(u, reg.off, new);
    } else {
        set32(u, reg.off, new);
    }
    /* Write-only registers' hooks see the value written. */
    return reg.post_write ? reg.post_write(u, reg.wo ? (full & lanes) : new)
                          : 0;
}

unsigned dmar_unit_write(DmarUnit *u, uint64_t off, uint64_t val,
                         unsigned size)
{
    unsigned act = unit_write(u, off, val, size);

    dmar_unit_shared_update(u);
    return act;
}

void dmar_unit_event_msg(const DmarUnit *u, bool inv, uint64_t *addr,
                         uint32_t *data)
{
    uint32_t areg = inv ? A_IEADDR : A_FEADDR;

    *addr = get32(u, areg) | (uint64_t)get32(u, areg + 4) << 32;
    *data = get32(u, inv ? A_IEDATA : A_FEDATA);
}

/* ---- capabilities, reset ---- */

uint64_t dmar_unit_cap(const DmarUnit *u)
{
    const DmarUnitConfig *c = &u->cfg;
    uint64_t cap = 0;

    cap = FIELD_DP64(cap, CAP, ND, 6);              /* 65536 domains */
    cap = FIELD_DP64(cap, CAP, PLMR, c->pmr);
    cap = FIELD_DP64(cap, CAP, PHMR, c->pmr);
    cap = FIELD_DP64(cap, CAP, CM, c->caching_mode);
    cap = FIELD_DP64(cap, CAP, SAGAW, c->hw.sagaw);
    cap = FIELD_DP64(cap, CAP, MGAW, c->aw_bits - 1);
    cap = FIELD_DP64(cap, CAP, FRO, DMAR_FRO_OFFSET / 16);
    cap = FIELD_DP64(cap, CAP, SLLPS, c->hw.sllps);
    cap = FIELD_DP64(cap, CAP, PSI, 1);
    cap = FIELD_DP64(cap, CAP, NFR, c->nfr - 1);
    cap = FIELD_DP64(cap, CAP, MAMV, 18);           /* up to 1 GiB */
    cap = FIELD_DP64(cap, CAP, DWD, c->dma_drain);
    cap = FIELD_DP64(cap, CAP, DRD, c->dma_drain);
    cap = FIELD_DP64(cap, CAP, FL1GP, c->hw.fsts && c->hw.fs1gp);
    cap = FIELD_DP64(cap, CAP, FL5LP, c->hw.fsts && c->hw.fs5lp);
    return cap;
}

uint64_t dmar_unit_ecap(const DmarUnit *u)
{
    const DmarUnitConfig *c = &u->cfg;
    uint64_t ecap = 0;

    /* Our walks read memory coherently: no cache flushes needed (C=1). */
    ecap = FIELD_DP64(ecap, ECAP, C, 1);
    ecap = FIELD_DP64(ecap, ECAP, QI, 1);
    ecap = FIELD_DP64(ecap, ECAP, IR, c->ir);
    ecap = FIELD_DP64(ecap, ECAP, EIM, c->eim);
    /* MHMV: index-selective IEC invalidation takes any handle mask */
    ecap = FIELD_DP64(ecap, ECAP, MHMV, c->ir ? 0xf : 0);
    ecap = FIELD_DP64(ecap, ECAP, PT, c->hw.pt);
    /* snoop-control: SNP in leaf entries is allowed (dmar-core.c) */
    ecap = FIELD_DP64(ecap, ECAP, SC, c->hw.sc);
    ecap = FIELD_DP64(ecap, ECAP, DT, c->hw.dt);
    ecap = FIELD_DP64(ecap, ECAP, IRO, DMAR_IRO_OFFSET / 16);
    ecap = FIELD_DP64(ecap, ECAP, ADMS, c->abort_dma);
    /* Scalable mode; page walks are coherent (SMPWCS: PWSNP allowed) */
    ecap = FIELD_DP64(ecap, ECAP, SMTS, c->hw.sm);
    ecap = FIELD_DP64(ecap, ECAP, SMPWCS, c->hw.sm);
    ecap = FIELD_DP64(ecap, ECAP, FLTS, c->hw.fsts);
    ecap = FIELD_DP64(ecap, ECAP, SLTS, c->hw.ssts);
    ecap = FIELD_DP64(ecap, ECAP, NEST, c->hw.fsts && c->hw.ssts);
    ecap = FIELD_DP64(ecap, ECAP, PASID, c->hw.pasid_bits != 0);
    ecap = FIELD_DP64(ecap, ECAP, PSS, c->hw.pasid_bits ?
                                       c->hw.pasid_bits - 1 : 0);
    ecap = FIELD_DP64(ecap, ECAP, SRS, c->hw.srs);
    ecap = FIELD_DP64(ecap, ECAP, ERS, c->hw.ers);
    return ecap;
}

uint32_t dmar_unit_mmio_size(const DmarUnit *u)
{
    return ROUND_UP(DMAR_FRO_OFFSET + u->cfg.nfr * DMAR_FRCD_SIZE, 0x1000);
}

/* The protected memory regions' reset values (§11.4.8.2-5). */
static char *pmr_config_error(const DmarUnitConfig *cfg)
{
    uint64_t high = MAKE_64BIT_MASK(DMAR_PMR_SHIFT,
                                    cfg->hw.haw - DMAR_PMR_SHIFT);
    const struct {
        const char *name;
        uint64_t val, mask;
    } r[] = {
        { "pmr-low-base", cfg->pmr_low_base, DMAR_PLM_MASK },
        { "pmr-low-limit", cfg->pmr_low_limit, DMAR_PLM_MASK },
        { "pmr-high-base", cfg->pmr_high_base, high },
        { "pmr-high-limit", cfg->pmr_high_limit, high },
    };

    for (size_t i = 0; i < ARRAY_SIZE(r); i++) {
        uint64_t end = (r[i].mask | (DMAR_PMR_GRAN - 1)) + 1;

        if (!cfg->pmr && r[i].val) {
            return g_strdup_printf("%s needs pmr=on", r[i].name);
        }
        if (r[i].val & ~r[i].mask) {
            return g_strdup_printf("%s=0x%" PRIx64 " must be a multiple of "
                                   "2 MiB below 0x%" PRIx64 " (pmr)",
                                   r[i].name, r[i].val, end);
        }
    }
    if (!cfg->pmr && cfg->pmr_enable) {
        return g_strdup("pmr-enable needs pmr=on");
    }
    return NULL;
}

char *dmar_unit_config_error(const DmarUnitConfig *cfg)
{
    if (cfg->aw_bits != 39 && cfg->aw_bits != 48 && cfg->aw_bits != 57) {
        return g_strdup_printf("aw-bits must be 39, 48 or 57 (got %u)",
                               cfg->aw_bits);
    }
    if (cfg->nfr < 1 || cfg->nfr > DMAR_NFR_MAX) {
        return g_strdup_printf("nfr must be 1..%d (got %u)", DMAR_NFR_MAX,
                               cfg->nfr);
    }
    if (cfg->iotlb_entries < DMAR_CACHE_WAYS ||
        cfg->iotlb_entries > DMAR_CACHE_MAX_ENTRIES ||
        cfg->ctx_entries < DMAR_CACHE_WAYS ||
        cfg->ctx_entries > DMAR_CACHE_MAX_ENTRIES) {
        return g_strdup_printf("iotlb-entries and ctx-entries must be %d..%u",
                               DMAR_CACHE_WAYS, DMAR_CACHE_MAX_ENTRIES);
    }
    if (cfg->eim && !cfg->ir) {
        return g_strdup("eim needs interrupt remapping (intremap=on)");
    }
    if (cfg->hw.haw < 32 || cfg->hw.haw > 52) {
        return g_strdup_printf("the host address width must be 32..52 "
                               "(got %u)", cfg->hw.haw);
    }
    if (!cfg->hw.sm && (cfg->hw.fsts || cfg->hw.ssts || cfg->hw.pasid_bits)) {
        return g_strdup("first-stage, second-stage and PASID support need "
                        "scalable-mode=on");
    }
    if (cfg->hw.sm && !cfg->hw.fsts && !cfg->hw.ssts) {
        return g_strdup("scalable mode needs a first or a second stage "
                        "(fsts or ssts)");
    }
    if (cfg->hw.pasid_bits > 20) {
        return g_strdup_printf("pasid-bits must be 0..20 (got %u)",
                               cfg->hw.pasid_bits);
    }
    if ((cfg->hw.srs || cfg->hw.ers) && !cfg->hw.pasid_bits) {
        return g_strdup("supervisor and execute requests need PASIDs");
    }
    if (cfg->hw.fs5lp && (!cfg->hw.fsts || cfg->aw_bits != 57)) {
        return g_strdup("a 5-level first stage needs fsts and aw-bits=57");
    }
    return pmr_config_error(cfg);
}

static void regs_reset(DmarUnit *u)
{
    memset(u->regs, 0, sizeof(u->regs));
    /* §11.4.1: the register file follows revision 4.1 of the spec */
    set32(u, A_VER, FIELD_DP32(0, VER, MAX, 4) | FIELD_DP32(0, VER, MIN, 1));
    /* §11.4.7.2: the fault event is masked until software sets it up. */
    set32(u, A_FECTL, R_FECTL_IM_MASK);
    set32(u, A_IECTL, R_IECTL_IM_MASK);
    set64(u, A_CAP, dmar_unit_cap(u));
    set64(u, A_ECAP, dmar_unit_ecap(u));
    /* §11.4.8: the regions as the board's firmware left them */
    set32(u, A_PLMBASE, u->cfg.pmr_low_base);
    set32(u, A_PLMLIMIT, u->cfg.pmr_low_limit);
    set64(u, A_PHMBASE, u->cfg.pmr_high_base);
    set64(u, A_PHMLIMIT, u->cfg.pmr_high_limit);
    if (u->cfg.pmr_enable) {
        set32(u, A_PMEN, R_PMEN_EPM_MASK | R_PMEN_PRS_MASK);
    }
    u->root = 0;
    u->flog.next = 0;
}

void dmar_unit_init(DmarUnit *u, const DmarUnitConfig *cfg,
                    const DmarMemOps *mem_ops, void *mem_opaque,
                    const DmarUnitHooks *hooks, void *hooks_opaque)
{
    memset(u, 0, sizeof(*u));
    u->cfg = *cfg;
    dmar_hw_config_init(&u->cfg.hw);
    u->mem = (DmarMem) { .ops = mem_ops, .opaque = mem_opaque };
    u->hooks = hooks;
    u->hooks_opaque = hooks_opaque;
    dmar_iotlb_init(&u->iotlb, cfg->iotlb_entries);
    u->iotlb.runs = cfg->run_answers;
    dmar_ctx_cache_init(&u->ctx_cache, cfg->ctx_entries);
    dmar_pasid_cache_init(&u->pasid_cache);
    u->flog = (DmarFaultLog) {
        .regs = u->regs, .fro = DMAR_FRO_OFFSET, .nfr = cfg->nfr,
    };
    regs_reset(u);
    irta_from_raw(u);
    dmar_unit_shared_update(u);
}

void dmar_unit_destroy(DmarUnit *u)
{
    dmar_iotlb_destroy(&u->iotlb);
    dmar_ctx_cache_destroy(&u->ctx_cache);
}

/* Nothing owed: the queue is off (reset) or was stopped (loaded) */
static void owed_reset(DmarUnit *u)
{
    u->qi_owed = 0;
    u->qi_owed_gen++;
}

unsigned dmar_unit_reset(DmarUnit *u)
{
    regs_reset(u);
    inv_all(u);
    irta_latch(u);
    dmar_unit_shared_update(u);
    owed_reset(u);
    return DMAR_ACT_SWITCH_AS;
}

/* ---- migration ---- */

/*
 * Every value used later as an index, shift or size is checked (IQA.QS
 * and IRTA.S are bounded by their width), and so is what only the unit
 * writes: latched pointers, status bits, the records past nfr.
 */
const char *dmar_unit_stream_error(const DmarUnit *u)
{
    uint32_t fsts = get32(u, A_FSTS);
    uint32_t gsts = get32(u, A_GSTS);
    uint64_t iqa = get64(u, A_IQA);
    uint64_t iqh = get64(u, A_IQH);
    uint32_t entries = 1u << (FIELD_EX64(iqa, IQA, QS) + 8);
    bool ir = u->cfg.ir;
    uint32_t gsts_ok = R_GSTS_TES_MASK | R_GSTS_RTPS_MASK | R_GSTS_QIES_MASK |
                       (ir ? R_GSTS_IRTPS_MASK | R_GSTS_IRES_MASK |
                             R_GSTS_CFIS_MASK : 0);
    uint64_t irta_ok = (R_IRTA_IRTA_MASK &
                        MAKE_64BIT_MASK(0, u->cfg.hw.haw)) |
                       R_IRTA_S_MASK | (u->cfg.eim ? R_IRTA_EIME_MASK : 0);
    uint32_t frcd_end = DMAR_FRO_OFFSET + u->cfg.nfr * DMAR_FRCD_SIZE;
    uint32_t pmen = get32(u, A_PMEN);

    /* The stream must come from a unit configured like this one. */
    if (get64(u, A_CAP) != dmar_unit_cap(u) ||
        get64(u, A_ECAP) != dmar_unit_ecap(u)) {
        return "CAP/ECAP differ: the source was configured differently";
    }
    /* Fault recording: indices below nfr, no record past them. */
    if (u->flog.next >= u->cfg.nfr) {
        return "next fault record beyond nfr";
    }
    if (FIELD_EX32(fsts, FSTS, FRI) >= u->cfg.nfr) {
        return "FSTS.FRI beyond nfr";
    }
    for (uint32_t i = frcd_end; i < sizeof(u->regs); i++) {
        if (u->regs[i]) {
            return "fault recording registers past nfr";
        }
    }
    /* Only offered commands report status; SRTP/SIRTP latch as masked. */
    if (gsts & ~gsts_ok) {
        return "GSTS reports a command not offered";
    }
    if ((u->root & ~rtaddr_rw(u)) ||
        (u->root && !(gsts & R_GSTS_RTPS_MASK))) {
        return "root table pointer SRTP cannot have latched";
    }
    if (get64(u, A_RTADDR) & ~rtaddr_rw(u)) {
        return "RTADDR bits software cannot set";
    }
    /* Protected memory: PRS follows EPM at once; regions as writable */
    if (pmen != ((pmen & pmen_rw(u)) ? R_PMEN_EPM_MASK | R_PMEN_PRS_MASK
                                     : 0)) {
        return "PMEN: EPM and PRS differ, or protected memory not offered";
    }
    if ((get32(u, A_PLMBASE) & ~plm_rw(u)) ||
        (get32(u, A_PLMLIMIT) & ~plm_rw(u)) ||
        (get64(u, A_PHMBASE) & ~phm_rw(u)) ||
        (get64(u, A_PHMLIMIT) & ~phm_rw(u))) {
        return "protected memory region registers: bits software cannot set";
    }
    if ((u->irta_raw & ~irta_ok) ||
        (u->irta_raw && !(gsts & R_GSTS_IRTPS_MASK))) {
        return "interrupt remapping table pointer SIRTP cannot have latched";
    }
    /*
     * Queue: IQH addresses guest memory, so it must be inside the queue.
     * IQT is checked where it is used (software may write any value).
     */
    if (iqa & ~((R_IQA_IQA_MASK & MAKE_64BIT_MASK(0, u->cfg.hw.haw)) |
                R_IQA_DW_MASK | R_IQA_QS_MASK)) {
        return "IQA reserved bits, or base bits beyond the address width";
    }
    if ((iqh & ~R_IQH_QH_MASK) || FIELD_EX64(iqh, IQH, QH) >= entries) {
        return "IQH outside the queue";
    }
    if (get64(u, A_IQT) & ~R_IQT_QT_MASK) {
        return "IQT reserved bits";
    }
    /* Register-based invalidations complete within their write. */
    if (FIELD_EX64(get64(u, A_CCMD), CCMD, ICC) ||
        FIELD_EX64(get64(u, A_IOTLB), IOTLB, IVT)) {
        return "an invalidation still in progress";
    }
    return NULL;
}

void dmar_unit_post_load(DmarUnit *u)
{
    /* Caches start empty, as after any invalidation. */
    dmar_iotlb_flush_all(&u->iotlb);
    dmar_ctx_cache_flush_all(&u->ctx_cache);
    dmar_pasid_cache_flush(&u->pasid_cache, true, 0, false, 0);
    irta_from_raw(u);
    dmar_unit_shared_update(u);
    owed_reset(u);
}
