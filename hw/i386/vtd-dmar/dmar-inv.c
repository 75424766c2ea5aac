/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar invalidation: the cache effects shared by register-based
 * (CCMD, IOTLB) and queued invalidation (VT-d §6.5), the queue's register
 * side (IQH/IQT/IQA, IQE) and the invalidation completion event (§6.5.2.9).
 * Every function here but the queue's bottom half and run-state handler
 * runs with the unit's lock held.
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "system/runstate.h"
#include "dmar-internal.h"
#include "dmar-qi.h"
#include "trace.h"

void dmar_inv_all_locked(DmarState *s)
{
    uint32_t n = dmar_ctx_cache_flush_all(&s->ctx_cache);

    n += dmar_iotlb_flush_all(&s->iotlb);
    trace_dmar_cache_flush_all(n);
    dmar_unmap_all_locked(s, true);
}

/* §6.5.1.1: returns the granularity done (0: invalid request). */
unsigned dmar_inv_context_locked(DmarState *s, unsigned gran, uint16_t did,
                                 uint16_t sid, unsigned fm)
{
    uint16_t sid_mask = 0xffff & ~((0x7u << (3 - fm)) & 0x7);
    uint32_t n = 0;

    switch (gran) {
    case DMAR_CC_GLOBAL:
        n = dmar_ctx_cache_flush_all(&s->ctx_cache);
        n += dmar_iotlb_flush_all(&s->iotlb);
        dmar_unmap_all_locked(s, true);
        break;
    case DMAR_CC_DOMAIN:
        n = dmar_ctx_cache_flush_domain(&s->ctx_cache, did);
        n += dmar_iotlb_flush_domain(&s->iotlb, did);
        dmar_unmap_did_locked(s, did, 0, UINT64_MAX);
        break;
    case DMAR_CC_DEVICE:
        n = dmar_ctx_cache_flush_device(&s->ctx_cache, did, sid, sid_mask);
        /* Our IOTLB is tagged by source-id too: drop that device's pages. */
        for (unsigned f = 0; f < 8; f++) {
            uint16_t fsid = (sid & ~7) | f;

            if ((fsid & sid_mask) == (sid & sid_mask)) {
                n += dmar_iotlb_flush_sid(&s->iotlb, fsid);
            }
        }
        dmar_unmap_sid_locked(s, sid, sid_mask);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "vtd-dmar: context invalidation "
                      "with reserved granularity %u\n", gran);
        gran = 0;
    }
    trace_dmar_ccmd(gran, did, sid, fm, n);
    return gran;
}

/* §6.5.1.2: returns the granularity done (0: invalid request). */
unsigned dmar_inv_iotlb_locked(DmarState *s, unsigned gran, uint16_t did,
                               uint64_t addr, unsigned am)
{
    uint32_t n = 0;

    if (gran == DMAR_IOTLB_PAGE &&
        am > FIELD_EX64(dmar_get64(s, A_CAP), CAP, MAMV)) {
        /* Beyond MAMV: invalidate the whole domain and say so. */
        gran = DMAR_IOTLB_DOMAIN;
    }
    switch (gran) {
    case DMAR_IOTLB_GLOBAL:
        n = dmar_iotlb_flush_all(&s->iotlb);
        dmar_unmap_all_locked(s, true);
        break;
    case DMAR_IOTLB_DOMAIN:
        n = dmar_iotlb_flush_domain(&s->iotlb, did);
        dmar_unmap_did_locked(s, did, 0, UINT64_MAX);
        break;
    case DMAR_IOTLB_PAGE:
        n = dmar_iotlb_flush_pages(&s->iotlb, did, addr, am);
        /* am <= MAMV here: the 2^am pages around addr */
        addr &= ~((DMAR_PAGE_SIZE << am) - 1);
        dmar_unmap_did_locked(s, did, addr, addr + (DMAR_PAGE_SIZE << am) - 1);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "vtd-dmar: IOTLB invalidation "
                      "with reserved granularity %u\n", gran);
        gran = 0;
    }
    trace_dmar_iotlb_inv(gran, did, addr, am, n);
    return gran;
}

/* ---- queued invalidation ---- */

/*
 * Work done per run of the queue (an IQT write, or one bottom half), in
 * descriptors plus one unit per DMAR_QI_PROBES_PER_UNIT sets that a
 * page-selective IOTLB flush probes: a run stays well under a
 * millisecond, and a longer queue goes on in the next bottom half.
 */
#define DMAR_QI_BUDGET          1024
#define DMAR_QI_PROBES_PER_UNIT 16

typedef struct QiCtx {
    DmarState *s;
    bool context_changed;
    bool iec_flushed;
} QiCtx;

static unsigned qi_context(void *opaque, const DmarQiDesc *d)
{
    QiCtx *q = opaque;

    dmar_inv_context_locked(q->s, d->gran, d->did, d->sid, d->fm);
    q->context_changed = true;
    return 0;
}

static unsigned qi_iotlb(void *opaque, const DmarQiDesc *d)
{
    QiCtx *q = opaque;
    uint64_t probes = q->s->iotlb.stats.probes;

    dmar_inv_iotlb_locked(q->s, d->gran, d->did, d->addr, d->am);
    return (q->s->iotlb.stats.probes - probes) / DMAR_QI_PROBES_PER_UNIT;
}

static unsigned qi_iec(void *opaque, const DmarQiDesc *d)
{
    QiCtx *q = opaque;

    /* §6.5.2.7: global, or the 2^IM entries aligned around IIDX */
    dmar_iec_flush_locked(q->s, d->gran == 0, d->index, d->am);
    q->iec_flushed = true;
    return 0;
}

static const DmarQiOps qi_ops = {
    .context = qi_context,
    .iotlb = qi_iotlb,
    .iec = qi_iec,
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
static unsigned qi_error_locked(DmarState *s, uint32_t head, DmarIqei iqei)
{
    uint32_t fsts = dmar_get32(s, A_FSTS);
    const char *why = iqei < ARRAY_SIZE(qi_error_text) ?
                      qi_error_text[iqei] : "?";

    qemu_log_mask(LOG_GUEST_ERROR, "vtd-dmar: invalidation queue error at "
                  "descriptor %" PRIu32 ": %s (IQEI %u)\n", head, why, iqei);
    trace_dmar_qi_error(head, why);
    dmar_set32(s, A_FSTS, fsts | R_FSTS_IQE_MASK);
    dmar_set64(s, A_IQERCD, FIELD_DP64(0, IQERCD, IQEI, iqei));
    return dmar_fault_event_condition(&s->flog, fsts) ?
           DMAR_ACT_FAULT_EVENT : 0;
}

/* §6.5.2.9: a wait descriptor with IF=1 completed. */
static unsigned qi_wait_event_locked(DmarState *s)
{
    uint32_t iectl = dmar_get32(s, A_IECTL);

    if (dmar_get32(s, A_ICS) & R_ICS_IWC_MASK) {
        return 0;           /* not serviced yet: no new event */
    }
    dmar_set32(s, A_ICS, R_ICS_IWC_MASK);
    if (iectl & R_IECTL_IM_MASK) {
        dmar_set32(s, A_IECTL, iectl | R_IECTL_IP_MASK);
        return 0;
    }
    return DMAR_ACT_INV_EVENT;
}

/*
 * Run the queue from IQH towards IQT, DMAR_QI_BUDGET of work at most;
 * what is left goes on in dmar_qi_bh(). IQH shows every completed
 * descriptor, so software sees the same progress either way.
 */
unsigned dmar_qi_run_locked(DmarState *s)
{
    uint64_t iqa = dmar_get64(s, A_IQA);
    uint32_t entries = 1u << (FIELD_EX64(iqa, IQA, QS) + 8);
    uint32_t tail = FIELD_EX64(dmar_get64(s, A_IQT), IQT, QT);
    DmarQiCaps caps = {
        .ir = FIELD_EX64(dmar_get64(s, A_ECAP), ECAP, IR),
        .dt = s->hw.dt,
    };
    QiCtx q = { .s = s };
    const DmarMem mem = { &dmar_guest_mem_ops, s };
    DmarQiRun run = {
        .head = FIELD_EX64(dmar_get64(s, A_IQH), IQH, QH),
        .budget = DMAR_QI_BUDGET,
    };
    DmarQiStatus st;
    unsigned act = 0;

    if (!(dmar_get32(s, A_GSTS) & R_GSTS_QIES_MASK) ||
        (dmar_get32(s, A_FSTS) & R_FSTS_IQE_MASK) || run.head == tail) {
        return 0;
    }
    /* §11.4.9.3: DW=1 is an error without scalable or abort-DMA mode */
    if (FIELD_EX64(iqa, IQA, DW)) {
        return qi_error_locked(s, run.head, DMAR_IQEI_DW);
    }
    st = dmar_qi_process(&caps, iqa & R_IQA_IQA_MASK, entries, false, tail,
                         &mem, &qi_ops, &q, &run);
    if (st == DMAR_QI_ERROR) {
        act |= qi_error_locked(s, run.head, run.iqei);
    }
    dmar_set64(s, A_IQH, FIELD_DP64(0, IQH, QH, run.head));
    trace_dmar_qi_run(run.head, tail, run.processed);
    if (st == DMAR_QI_PENDING) {
        qemu_bh_schedule(s->qi_bh);
    }
    if (run.wait_irq) {
        act |= qi_wait_event_locked(s);
    }
    return act | (q.context_changed ? DMAR_ACT_SWITCH_AS : 0) |
           (q.iec_flushed ? DMAR_ACT_IEC_NOTIFY : 0);
}

/*
 * The queue's continuation (BQL). Nothing runs while the VM is stopped:
 * a queue left pending then, or migrated in, resumes when it runs again
 * (dmar_qi_vm_state_change). QI disabled, IQE or a reset in between: the
 * run finds nothing to do.
 */
void dmar_qi_bh(void *opaque)
{
    DmarState *s = opaque;
    unsigned act;

    if (!runstate_is_running()) {
        return;
    }
    WITH_QEMU_LOCK_GUARD(&s->lock) {
        act = dmar_qi_run_locked(s);
        if (dmar_unmap_pending_locked(s)) {
            act |= DMAR_ACT_UNMAP;
        }
    }
    dmar_run_actions(s, act);
}

void dmar_qi_vm_state_change(void *opaque, bool running, RunState state)
{
    DmarState *s = opaque;

    if (running) {
        qemu_bh_schedule(s->qi_bh);
    }
}

void dmar_inv_event_status_update(DmarState *s)
{
    if (!(dmar_get32(s, A_ICS) & R_ICS_IWC_MASK)) {
        dmar_set32(s, A_IECTL, dmar_get32(s, A_IECTL) & ~R_IECTL_IP_MASK);
    }
}

bool dmar_inv_event_unmasked(DmarState *s)
{
    uint32_t iectl = dmar_get32(s, A_IECTL);

    if ((iectl & R_IECTL_IP_MASK) && !(iectl & R_IECTL_IM_MASK)) {
        dmar_set32(s, A_IECTL, iectl & ~R_IECTL_IP_MASK);
        return true;
    }
    return false;
}
