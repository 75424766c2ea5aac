/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar invalidation: the cache effects shared by register-based
 * (CCMD, IOTLB) and queued invalidation (VT-d §6.5), the queue's register
 * side (IQH/IQT/IQA, IQE) and the invalidation completion event (§6.5.2.6).
 * Every function here runs with the unit's lock held.
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
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

typedef struct QiCtx {
    DmarState *s;
    bool context_changed;
    bool iec_flushed;
} QiCtx;

static void qi_context(void *opaque, const DmarQiDesc *d)
{
    QiCtx *q = opaque;

    dmar_inv_context_locked(q->s, d->gran, d->did, d->sid, d->fm);
    q->context_changed = true;
}

static void qi_iotlb(void *opaque, const DmarQiDesc *d)
{
    QiCtx *q = opaque;

    dmar_inv_iotlb_locked(q->s, d->gran, d->did, d->addr, d->am);
}

static void qi_iec(void *opaque, const DmarQiDesc *d)
{
    QiCtx *q = opaque;

    /* §6.5.2.7: global, or the 2^IM entries aligned around IIDX */
    dmar_iec_flush_locked(q->s, d->gran == 0, d->index, d->am);
    q->iec_flushed = true;
}

static const DmarQiOps qi_ops = {
    .context = qi_context,
    .iotlb = qi_iotlb,
    .iec = qi_iec,
};

/* §6.5.2.10: stop at the bad descriptor, set IQE, raise the fault event. */
static unsigned qi_error_locked(DmarState *s, uint32_t head, const char *why)
{
    uint32_t fsts = dmar_get32(s, A_FSTS);

    qemu_log_mask(LOG_GUEST_ERROR, "vtd-dmar: invalidation queue error at "
                  "descriptor %" PRIu32 ": %s\n", head, why);
    trace_dmar_qi_error(head, why);
    dmar_set32(s, A_FSTS, fsts | R_FSTS_IQE_MASK);
    /* IQEI 0: "information not available" is always a valid answer. */
    dmar_set64(s, A_IQERCD, 0);
    return dmar_fault_event_condition(&s->flog, fsts) ?
           DMAR_ACT_FAULT_EVENT : 0;
}

/* §6.5.2.6: a wait descriptor with IF=1 completed. */
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
    DmarQiRun run = {
        .head = FIELD_EX64(dmar_get64(s, A_IQH), IQH, QH),
    };
    unsigned act = 0;

    if (!(dmar_get32(s, A_GSTS) & R_GSTS_QIES_MASK) ||
        (dmar_get32(s, A_FSTS) & R_FSTS_IQE_MASK)) {
        return 0;
    }
    if (tail >= entries) {
        return qi_error_locked(s, run.head, "tail beyond the queue size");
    }
    if (dmar_qi_process(&caps, iqa & R_IQA_IQA_MASK, entries, tail,
                        dmar_read_guest, dmar_write_guest, s, &qi_ops, &q,
                        &run) != DMAR_QI_DONE) {
        act |= qi_error_locked(s, run.head,
                               "invalid descriptor or memory error");
    }
    dmar_set64(s, A_IQH, FIELD_DP64(0, IQH, QH, run.head));
    trace_dmar_qi_run(run.head, tail, run.processed);
    if (run.wait_irq) {
        act |= qi_wait_event_locked(s);
    }
    return act | (q.context_changed ? DMAR_ACT_SWITCH_AS : 0) |
           (q.iec_flushed ? DMAR_ACT_IEC_NOTIFY : 0);
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
