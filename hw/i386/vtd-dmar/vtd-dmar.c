/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar: the QEMU glue of the VT-d remapping unit, and the only code
 * of the device that knows QEMU. Properties, realize, reset, migration;
 * guest memory as the unit sees it; the register window, the interrupt
 * range and the IOMMU translate callback, each calling the unit
 * (dmar-unit.h) under the lock and then doing what it asks (DMAR_ACT_*);
 * per-device address spaces and IOMMU notifiers; tracing and logging of
 * the unit's events.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/lockable.h"
#include "qemu/error-report.h"
#include "qemu/atomic.h"
#include "qemu/timer.h"
#include "hw/qdev-properties.h"
#include "qom/qom-qobject.h"
#include "qobject/qjson.h"
#include "qobject/qobject.h"
#include "hw/sysbus.h"
#include "hw/i386/apic_internal.h"
#include "hw/i386/apic-msidef.h"
#include "migration/vmstate.h"
#include "qemu/main-loop.h"
#include "system/runstate.h"
#include "system/dma.h"
#include "hw/pci-host/q35.h"
#include "target/i386/cpu.h"
#include "system/kvm.h"
#include "kvm/kvm_i386.h"
#include "dmar-internal.h"
#include "trace.h"

#define TYPE_DMAR_IOMMU_MR "vtd-dmar-iommu-mr"

/* ---- guest memory, as the unit sees it ---- */

/*
 * Tables and queues must be in RAM: a pointer at MMIO (our own registers
 * included) is an access error, never a device access under our lock.
 * Returns the host address of [GPA, GPA + LEN) (in *MR at *XLAT), or NULL.
 */
static uint8_t *guest_ram(DmarState *s, uint64_t gpa, size_t len,
                          bool is_write, MemoryRegion **mr, hwaddr *xlat)
{
    hwaddr l = len;

    *mr = address_space_translate(&s->downstream_as, gpa, xlat, &l, is_write,
                                  MEMTXATTRS_UNSPECIFIED);
    if (l < len || !memory_region_is_ram(*mr) ||
        memory_region_is_ram_device(*mr) ||
        (is_write && memory_region_is_rom(*mr))) {
        return NULL;
    }
    return (uint8_t *)memory_region_get_ram_ptr(*mr) + *xlat;
}

static bool dmar_read_guest(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    MemoryRegion *mr;
    hwaddr xlat;
    uint8_t *p;

    RCU_READ_LOCK_GUARD();
    p = guest_ram(opaque, gpa, len, false, &mr, &xlat);
    if (p) {
        /*
         * address_space_read() would tell a fuzzer about this DMA read so
         * that it can fill the range first; reading RAM directly, we do it
         * (tables, queue descriptors and IRTEs then come from fuzz data).
         * An empty inline without CONFIG_FUZZ.
         */
        fuzz_dma_read_cb(gpa, len, mr);
        memcpy(buf, p, len);
    }
    return p != NULL;
}

static bool dmar_write_guest(void *opaque, uint64_t gpa, const void *buf,
                      size_t len)
{
    MemoryRegion *mr;
    hwaddr xlat;
    uint8_t *p;

    RCU_READ_LOCK_GUARD();
    p = guest_ram(opaque, gpa, len, true, &mr, &xlat);
    if (p) {
        memcpy(p, buf, len);
        memory_region_set_dirty(mr, xlat, len);
    }
    return p != NULL;
}


/*
 * An 8-byte compare-and-swap on guest RAM, atomic with respect to the
 * vCPUs (aligned, RAM only: anything else is an access error).
 */
static DmarCasResult dmar_cmpxchg64_guest(void *opaque, uint64_t gpa,
                                          uint64_t *expected,
                                          uint64_t desired)
{
    MemoryRegion *mr;
    hwaddr xlat;
    uint64_t *p, old;

    if (gpa & 7) {
        return DMAR_CAS_ERROR;
    }
    RCU_READ_LOCK_GUARD();
    p = (uint64_t *)guest_ram(opaque, gpa, 8, true, &mr, &xlat);
    if (!p) {
        return DMAR_CAS_ERROR;
    }
    old = qatomic_cmpxchg(p, cpu_to_le64(*expected), cpu_to_le64(desired));
    if (old != cpu_to_le64(*expected)) {
        *expected = le64_to_cpu(old);
        return DMAR_CAS_CHANGED;
    }
    memory_region_set_dirty(mr, xlat, 8);
    return DMAR_CAS_OK;
}

/*
 * A table in place, for a walk over a range. Its caller holds the RCU
 * read lock for the whole walk (das_sync()), which keeps the RAM there.
 */
static const void *dmar_map_guest(void *opaque, uint64_t gpa, size_t len)
{
    MemoryRegion *mr;
    hwaddr xlat;
    uint8_t *p = guest_ram(opaque, gpa, len, false, &mr, &xlat);

    if (p) {
        fuzz_dma_read_cb(gpa, len, mr);     /* as dmar_read_guest() */
    }
    return p;
}

static const DmarMemOps dmar_guest_mem_ops = {
    .read = dmar_read_guest,
    .write = dmar_write_guest,
    .cmpxchg64 = dmar_cmpxchg64_guest,
    .map = dmar_map_guest,
};

/* ---- the unit's events and actions ---- */

static uint16_t dmar_das_sid(DmarDevAS *das)
{
    return das->bus ? PCI_BUILD_BDF(pci_bus_num(das->bus), das->devfn) :
                      das->fixed_sid;
}

static void dmar_unmap_all_locked(DmarState *s, bool iotlb_dropped);
static void dmar_unmap_sid_locked(DmarState *s, uint16_t sid,
                                  uint16_t sid_mask);
static void dmar_unmap_did_locked(DmarState *s, uint16_t did, uint64_t first,
                                  uint64_t last);
static void dmar_devtlb_inv_locked(DmarState *s, uint16_t sid,
                                   uint64_t first, uint64_t last);
static bool dmar_unmap_pending_locked(DmarState *s);

/*
 * An IOTLB invalidation owes a drain (lock held): Linux asks for one on
 * every wait after it (DR/DW), so the unit always drains. The drain waits
 * for DMA to the IOVAs invalidated, FIRST to LAST, of domain TAG
 * (domain-id + 1; DMAR_RANGE_ANY: every domain).
 */
static void dmar_drain_owe(DmarState *s, uint32_t tag, uint64_t first,
                           uint64_t last)
{
    if (s->dma_drain) {
        s->drain_pending = true;
        dmar_range_set_add(&s->drain_iova, tag, first, last);
    }
}

/* The drain owed is done (lock held) */
static void dmar_drain_done(DmarState *s)
{
    s->drain_pending = false;
    dmar_range_set_clear(&s->drain_iova);
}

/* DmarUnitHooks.event: called inside unit calls, with the lock held. */
static void dmar_unit_event(void *opaque, const DmarEvent *ev)
{
    DmarState *s = opaque;

    switch (ev->kind) {
    case DMAR_EV_MMIO_READ:
        trace_dmar_mmio_read(ev->mmio.reg, ev->mmio.off, ev->mmio.size,
                             ev->mmio.val);
        break;
    case DMAR_EV_MMIO_WRITE:
        trace_dmar_mmio_write(ev->mmio.reg, ev->mmio.off, ev->mmio.size,
                              ev->mmio.val);
        break;
    case DMAR_EV_GCMD:
        trace_dmar_gcmd(ev->gcmd.val, ev->gcmd.old_gsts, ev->gcmd.gsts);
        break;
    case DMAR_EV_CC_INV:
        trace_dmar_ccmd(ev->cc.gran, ev->cc.did, ev->cc.sid, ev->cc.fm,
                        ev->cc.dropped);
        break;
    case DMAR_EV_IOTLB_INV:
        trace_dmar_iotlb_inv(ev->iotlb.gran, ev->iotlb.did, ev->iotlb.first,
                             ev->iotlb.last, ev->iotlb.dropped);
        if (ev->iotlb.gran) {
            /* a request the unit refused invalidated nothing */
            dmar_drain_owe(s, dmar_inv_domain_tag(ev), ev->iotlb.first,
                           ev->iotlb.last);
        }
        break;
    case DMAR_EV_FLUSH_ALL:
        trace_dmar_cache_flush_all(ev->flush.dropped);
        break;
    case DMAR_EV_QI_RUN:
        trace_dmar_qi_run(ev->qi_run.head, ev->qi_run.tail,
                          ev->qi_run.processed);
        s->qi_runs++;
        s->qi_deferred_runs += s->qi_in_bh;
        break;
    case DMAR_EV_QI_ERROR:
        trace_dmar_qi_error(ev->qi_error.head, ev->qi_error.why);
        break;
    case DMAR_EV_IEC_FLUSH:
        trace_dmar_iec_flush(ev->iec.global, ev->iec.index, ev->iec.im);
        break;
    case DMAR_EV_IR_REMAP:
        trace_dmar_ir_remap(ev->ir.sid, ev->ir.index, ev->ir.irq.vector,
                            ev->ir.irq.dest);
        break;
    case DMAR_EV_FAULT:
        trace_dmar_fault(ev->fault.sid, ev->fault.addr, ev->fault.fr,
                         ev->fault.is_write, ev->fault.level, ev->fault.fpd);
        dmar_qmp_fault_locked(s, &ev->fault, ev->fault_outcome);
        break;
    case DMAR_EV_EVICT:
        trace_dmar_cache_evict(ev->evict.cache, ev->evict.sid);
        break;
    case DMAR_EV_STALE_HIT:
        trace_dmar_stale_hit(ev->stale.sid, ev->stale.iova, ev->stale.pa,
                             ev->stale.perm, ev->stale.walk_pa,
                             ev->stale.walk_perm, ev->stale.fr);
        break;
    case DMAR_EV_UNMAP_ALL:
        dmar_unmap_all_locked(s, ev->unmap_all.iotlb_dropped);
        break;
    case DMAR_EV_UNMAP_SID:
        dmar_unmap_sid_locked(s, ev->unmap_sid.sid, ev->unmap_sid.sid_mask);
        break;
    case DMAR_EV_UNMAP_DID:
        dmar_unmap_did_locked(s, ev->unmap_did.did, ev->unmap_did.first,
                              ev->unmap_did.last);
        break;
    case DMAR_EV_PMEN:
        trace_dmar_pmen(ev->pmen.val, ev->pmen.pmen);
        /* MAP notifiers hold no mapping into a region in force (resync) */
        dmar_unmap_all_locked(s, false);
        break;
    case DMAR_EV_PMR_BLOCK:
        trace_dmar_pmr_block(ev->pmr_block.sid, ev->pmr_block.addr,
                             ev->pmr_block.is_write);
        break;
    case DMAR_EV_PC_INV:
        trace_dmar_pc_inv(ev->pinv.gran, ev->pinv.did, ev->pinv.pasid,
                          ev->pinv.dropped);
        break;
    case DMAR_EV_PIOTLB_INV:
        trace_dmar_piotlb_inv(ev->pinv.gran, ev->pinv.did, ev->pinv.pasid,
                              ev->pinv.addr, ev->pinv.am, ev->pinv.dropped);
        /* all of the domain's IOVAs: what our IOTLB drops of it */
        dmar_drain_owe(s, dmar_inv_domain_tag(ev), 0, UINT64_MAX);
        break;
    case DMAR_EV_DEVTLB_INV:
        trace_dmar_devtlb_inv(ev->devtlb.sid, ev->devtlb.first,
                              ev->devtlb.last);
        dmar_devtlb_inv_locked(s, ev->devtlb.sid, ev->devtlb.first,
                               ev->devtlb.last);
        break;
    }
}

static int dmar_log_mask(DmarLogKind kind)
{
    return kind == DMAR_LOG_UNIMP ? LOG_UNIMP : LOG_GUEST_ERROR;
}

static bool dmar_unit_log_enabled(void *opaque, DmarLogKind kind)
{
    return qemu_loglevel_mask(dmar_log_mask(kind));
}

static void dmar_unit_log(void *opaque, DmarLogKind kind, const char *msg)
{
    qemu_log_mask(dmar_log_mask(kind), "%s", msg);
}

/*
 * Set when this thread's queue run held a wait for a drain, with the
 * bql_releases() count it waits for, or, when it found a translation
 * under way (busy), the record's count that translation will change
 * (dmar_reg_write())
 */
static __thread bool dmar_drain_held, dmar_drain_busy;
static __thread unsigned long dmar_drain_end;
static __thread uint32_t dmar_drain_seq;

/* Has the BQL been let go since bql_releases() read END - 1? */
static bool dmar_bql_hold_ended(unsigned long end)
{
    return (long)(bql_releases() - end) >= 0;
}

/*
 * The last hold of the BQL with DMA, as a queue run without the BQL reads
 * it (dmar_bql_dma_read())
 */
typedef struct DmarBqlDma {
    uint32_t seq;
    unsigned long end;
    DmarRangeSet iova;
} DmarBqlDma;

/*
 * Read the record of the last hold of the BQL in which a device
 * translated DMA (lock held, after a full barrier). False when a
 * translation is under way, or the record kept changing: then SEQ is the
 * record's count as last read, and END the count once the hold now under
 * way (if any) has ended.
 */
static bool dmar_bql_dma_read(DmarState *s, DmarBqlDma *dma)
{
    for (unsigned tries = 0; tries < 4; tries++) {
        uint32_t seq = qatomic_load_acquire(&s->bql_dma_seq);

        dma->seq = seq;
        if (seq & 1) {
            break;
        }
        dma->end = qatomic_read(&s->bql_dma_end);
        dma->iova.all = qatomic_read(&s->bql_dma.all);
        dma->iova.n = MIN(qatomic_read(&s->bql_dma.n), DMAR_RANGE_SET_MAX);
        for (uint32_t i = 0; i < dma->iova.n; i++) {
            dma->iova.tag[i] = qatomic_read(&s->bql_dma.tag[i]);
            dma->iova.first[i] = qatomic_read_u64(&s->bql_dma.first[i]);
            dma->iova.last[i] = qatomic_read_u64(&s->bql_dma.last[i]);
        }
        /* The record before the count again: pairs with the finish */
        smp_rmb();
        if (qatomic_read(&s->bql_dma_seq) == seq) {
            return true;
        }
    }
    dma->end = bql_releases() + 1;
    return false;
}

/*
 * May a wait complete, as far as the glue goes (lock held)? Not while
 * notifiers have invalidations to hear of, nor while a drain is owed.
 *
 * Drain (CAP.DRD/DWD): a device model under the BQL translates and
 * completes each DMA access in one hold of it, so once every hold of the
 * BQL in which a device translated before an IOTLB invalidation has
 * ended, none of that DMA is still on its way. A queue run under the BQL
 * drains by itself. An IQT write's run without it (dmar_mmio_write())
 * reads the record of the last hold in which a device translated DMA
 * (dmar_bql_dma_read(), dmar_bql_dma_begin()), and needs nothing if that
 * hold has ended, or if none of the answers given in it covers a page
 * invalidated since the last wait in the answer's domain (drain_iova);
 * else it tries the BQL:
 * free, that hold has ended too; taken, the wait is held, and its caller
 * waits for the hold to end (dmar_reg_write()), then asks again. If it
 * could not read the record (a translation under way: busy), its caller
 * waits for that translation to end instead, then asks again.
 */
static bool dmar_unit_notify_pending(void *opaque)
{
    DmarState *s = opaque;
    DmarBqlDma dma;
    bool busy;

    if (!s->drain_pending) {
        /* nothing owed for a drain */
    } else if (bql_locked()) {
        /*
         * This hold may be a device's DMA into our window, with DMA of its
         * own still on its way; it drains as it always did
         */
        dmar_drain_done(s);
        s->drains_bql++;
    } else {
        /* The invalidations before the count: pairs with the lookup */
        smp_mb();
        busy = !dmar_bql_dma_read(s, &dma);
        if (busy) {
            /* a translation under way: try the BQL */
        } else if (dmar_bql_hold_ended(dma.end)) {
            dmar_drain_done(s);
            s->drains_quiet++;
        } else if (!dmar_range_set_overlap(&dma.iova, &s->drain_iova)) {
            /*
             * that hold's DMA goes to no page invalidated since the wait,
             * in the domain invalidated
             */
            dmar_drain_done(s);
            s->drains_spared++;
        }
        if (!s->drain_pending) {
            /* done */
        } else if (bql_trylock()) {
            bql_unlock();
            dmar_drain_done(s);
            s->drains_free++;
        } else {
            if (busy) {
                s->drains_busy++;
            } else {
                s->drains_held++;
            }
            trace_dmar_drain_hold(busy, !busy && dma.iova.all,
                                  busy ? 0 : dma.iova.n, s->drain_iova.all,
                                  s->drain_iova.n);
            dmar_drain_held = true;
            dmar_drain_busy = busy;
            dmar_drain_end = dma.end;
            dmar_drain_seq = dma.seq;
        }
    }
    return dmar_unmap_pending_locked(s) || s->unmap_flushing ||
           s->drain_pending;
}

static const DmarUnitHooks dmar_unit_hooks = {
    .event = dmar_unit_event,
    .log_enabled = dmar_unit_log_enabled,
    .log = dmar_unit_log,
    .notify_pending = dmar_unit_notify_pending,
};

/*
 * Set while this thread writes an event message. The register window is
 * lockless I/O, which has no re-entrancy guard (two vCPUs may be in it at
 * once), so this is ours: a message aimed at a unit's registers is
 * dropped (dmar_mmio_write()), as QEMU's guard did, rather than recursing.
 */
static __thread bool dmar_sending_event;

/* Send the fault (or, with INV, the invalidation) event message. */
static void dmar_send_event(DmarState *s, bool inv)
{
    bool was = dmar_sending_event;
    uint64_t addr;
    uint32_t data;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        dmar_unit_event_msg(&s->unit, inv, &addr, &data);
    }
    trace_dmar_send_msi(inv ? A_IEADDR : A_FEADDR, addr, data);
    dmar_sending_event = true;
    address_space_stl_le(&s->downstream_as, addr, data,
                         MEMTXATTRS_UNSPECIFIED, NULL);
    dmar_sending_event = was;
}

static void dmar_unmap_flush(DmarState *s);
static void dmar_update_address_spaces(DmarState *s);

/*
 * Do what DMAR_ACT_* bits ask but the queue's, lock dropped. The BQL is
 * held, but on the DMA path, whose faults ask only for the fault event
 * (its message write takes it). Work a queue run asked for stays owed in
 * the unit, holding later waits, until it is done here
 * (dmar_unit_owed()): another vCPU's IQT write may run the queue on
 * meanwhile. So the queue's callers (never the DMA path's) do everything
 * owed, their own run's and any other's: the last run to owe something
 * is followed by its caller, who then does it all.
 */
static void dmar_do_actions(DmarState *s, unsigned act)
{
    unsigned owed = 0;
    uint64_t gen = 0;

    if (act & (DMAR_ACT_QI_OWED | DMAR_ACT_QI_PENDING)) {
        WITH_QEMU_LOCK_GUARD(&s->lock) {
            act |= dmar_unit_owed(&s->unit, &gen);
        }
        owed = act & DMAR_ACT_QI_OWED;
    }
    /* Notifiers forget old translations before the devices go on. */
    if (act & DMAR_ACT_UNMAP) {
        dmar_unmap_flush(s);
    }
    if (act & DMAR_ACT_SWITCH_AS) {
        dmar_update_address_spaces(s);
    }
    if (act & DMAR_ACT_FAULT_EVENT) {
        dmar_send_event(s, false);
    }
    if (act & DMAR_ACT_INV_EVENT) {
        dmar_send_event(s, true);
    }
    if (act & DMAR_ACT_IEC_NOTIFY) {
        X86IOMMUState *board = x86_iommu_get_default();

        /*
         * KVM's split irqchip re-reads its MSI routes (never under lock).
         * It listens on the board's unit, which asks the others for the
         * routes of their devices (dmar_int_remap()).
         */
        x86_iommu_iec_notify_all(X86_IOMMU_DEVICE(s), true, 0, 0);
        if (board && board != X86_IOMMU_DEVICE(s)) {
            x86_iommu_iec_notify_all(board, true, 0, 0);
        }
    }
    if (owed) {
        WITH_QEMU_LOCK_GUARD(&s->lock) {
            dmar_unit_owed_done(&s->unit, gen, owed);
        }
    }
}

/* What the unit asked for, plus the notifiers' pending ranges (lock held) */
static unsigned dmar_unit_done_locked(DmarState *s, unsigned act)
{
    return act | (dmar_unmap_pending_locked(s) ? DMAR_ACT_UNMAP : 0);
}

/*
 * Do what DMAR_ACT_* bits ask, with the lock dropped (BQL held).
 *
 * A queue left pending goes on in qi_bh, unless it stopped at a wait
 * descriptor for the glue's own work, just done here (DMAR_ACT_QI_WAIT):
 * a wait waits until notifiers have heard of the invalidations before
 * it, address spaces have switched after a context change, or KVM has
 * re-read its routes. Then the queue goes on at once, DMAR_QI_SYNC_RUNS
 * runs at most: the guest's wait completes in the same action (Linux
 * submits each invalidation with its wait and spins on the status). A
 * queue that used up a run's work budget still goes to the bottom half,
 * so one guest action does a bounded amount of work. Only MMIO writes
 * and qi_bh, both under the BQL, get DMAR_ACT_QI_PENDING.
 */
#define DMAR_QI_SYNC_RUNS   2

/* Go on with the queue (lock held); DEFERRED: for qi_bh (its counter) */
static unsigned dmar_qi_continue_locked(DmarState *s, bool deferred)
{
    unsigned act;

    s->qi_in_bh = deferred;
    act = dmar_unit_done_locked(s, dmar_unit_qi_continue(&s->unit));
    s->qi_in_bh = false;
    return act;
}

static void dmar_run_actions(DmarState *s, unsigned act, bool deferred)
{
    for (unsigned runs = 0;; runs++) {
        dmar_do_actions(s, act);
        if (!(act & DMAR_ACT_QI_PENDING)) {
            return;
        }
        assert(bql_locked());
        if (!(act & DMAR_ACT_QI_WAIT) || runs == DMAR_QI_SYNC_RUNS ||
            !runstate_is_running()) {
            qemu_bh_schedule(s->qi_bh);
            return;
        }
        WITH_QEMU_LOCK_GUARD(&s->lock) {
            act = dmar_qi_continue_locked(s, deferred);
        }
    }
}

/* ---- the register window ---- */

static uint64_t dmar_mmio_read(void *opaque, hwaddr off, unsigned size)
{
    DmarState *s = opaque;
    DmarAccess kind;
    uint64_t val = 0;

    /* Not before the actions of a register write are done (BQL) */
    BQL_LOCK_GUARD();
    QEMU_LOCK_GUARD(&s->lock);
    kind = dmar_unit_access(&s->unit, off, size, false);
    if (kind == DMAR_ACCESS_ONE) {
        val = dmar_unit_read(&s->unit, off, size);
    } else if (kind == DMAR_ACCESS_SPLIT) {
        val = dmar_unit_read(&s->unit, off, 4) |
              dmar_unit_read(&s->unit, off + 4, 4) << 32;
    }
    return val;
}

/*
 * How long a held drain's caller waits for the hold to end before it
 * takes the BQL: the hold may be waiting itself (a condition variable
 * with the BQL, not counted by bql_releases()), on this vCPU even
 */
#define DMAR_DRAIN_SPINS    4096

/*
 * Has what a held drain waits for come: the hold's end (bql_releases() at
 * END), or for a busy one, also the end of the translation under way (the
 * record's count moved on from SEQ, and even: the record can be read)?
 */
static bool dmar_drain_came(DmarState *s, bool busy, unsigned long end,
                            uint32_t seq)
{
    uint32_t now;

    if (dmar_bql_hold_ended(end)) {
        return true;
    }
    if (!busy) {
        return false;
    }
    now = qatomic_read(&s->bql_dma_seq);
    return now != seq && !(now & 1);
}

/* Wait a bounded time for it; true when it came */
static bool dmar_drain_wait(DmarState *s, bool busy, unsigned long end,
                            uint32_t seq)
{
    for (unsigned i = 0; i < DMAR_DRAIN_SPINS; i++) {
        if (dmar_drain_came(s, busy, end, seq)) {
            return true;
        }
        cpu_relax();
    }
    return dmar_drain_came(s, busy, end, seq);
}

static void dmar_reg_write(DmarState *s, hwaddr off, uint64_t val,
                           unsigned size)
{
    unsigned act, runs = 0;
    int64_t t0 = 0;
    bool came;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        act = dmar_unit_done_locked(s, dmar_unit_write(&s->unit, off, val,
                                                       size));
    }
    /*
     * A run without the BQL held a wait for a drain, and nothing else:
     * wait for the hold (or the busy translation) to end, then go on
     * without the BQL, as long as the queue asks for nothing else
     * (DMAR_QI_SYNC_RUNS more runs at most; then, or if the hold does not
     * end, under the BQL as any other run, which bounds its own)
     */
    while (dmar_drain_held) {
        dmar_drain_held = false;
        t0 = t0 ? t0 : get_clock();
        if (act != (DMAR_ACT_QI_PENDING | DMAR_ACT_QI_WAIT) ||
            runs++ == DMAR_QI_SYNC_RUNS) {
            break;
        }
        came = dmar_drain_wait(s, dmar_drain_busy, dmar_drain_end,
                               dmar_drain_seq);
        trace_dmar_drain_wait(came, dmar_drain_busy, runs);
        if (!came) {
            break;
        }
        WITH_QEMU_LOCK_GUARD(&s->lock) {
            act = dmar_qi_continue_locked(s, false);
            if (!dmar_drain_held) {
                s->drains_held_ns += get_clock() - t0;
                t0 = 0;
            }
        }
    }
    if (act) {
        BQL_LOCK_GUARD();
        if (t0) {
            WITH_QEMU_LOCK_GUARD(&s->lock) {
                s->drains_held_ns += get_clock() - t0;
            }
        }
        dmar_run_actions(s, act, false);
    }
}

/*
 * The register window is lockless I/O (no BQL; dmar_realize()). Writes
 * of IQT, one per invalidation in strict mode, run the queue under our
 * lock alone, and take the BQL only when the run asks the glue for
 * something (or, for a drain, when the hold of the BQL it waits for does
 * not end soon: dmar_unit_notify_pending(), dmar_reg_write()). A vCPU
 * holding the guest's queue lock then
 * does not wait for the BQL behind another device's work. Every other
 * access takes the BQL first, as an MMIO access would: a register
 * write's effects and actions are one step for the other vCPUs.
 */
static void dmar_mmio_write(void *opaque, hwaddr off, uint64_t val,
                            unsigned size)
{
    DmarState *s = opaque;
    DmarAccess kind;

    if (dmar_sending_event) {
        qemu_log_mask(LOG_GUEST_ERROR, "vtd-dmar: register write at 0x%"
                      HWADDR_PRIx " by a remapping unit's event message, "
                      "dropped\n", off);
        return;
    }
    WITH_QEMU_LOCK_GUARD(&s->lock) {
        kind = dmar_unit_access(&s->unit, off, size, true);
    }
    if (kind == DMAR_ACCESS_ONE && off == A_IQT) {
        dmar_reg_write(s, off, val, size);
        return;
    }
    BQL_LOCK_GUARD();
    if (kind == DMAR_ACCESS_ONE) {
        dmar_reg_write(s, off, val, size);
    } else if (kind == DMAR_ACCESS_SPLIT) {
        /* The low half's effects (events included) come first. */
        dmar_reg_write(s, off, (uint32_t)val, 4);
        dmar_reg_write(s, off + 4, val >> 32, 4);
    }
}

static const MemoryRegionOps dmar_mmio_ops = {
    .read = dmar_mmio_read,
    .write = dmar_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /*
     * Every size and alignment reaches us unsplit (where the accelerator
     * does not split it first); the unit decides, never an assert.
     */
    .valid = { .min_access_size = 1, .max_access_size = 8,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8,
              .unaligned = true },
};

/* The queue's continuation, when an IQT write left work (BQL). */
static void dmar_qi_bh(void *opaque)
{
    DmarState *s = opaque;
    unsigned act;

    /*
     * Nothing runs while the VM is stopped: a queue left pending then, or
     * migrated in, resumes when it runs again (dmar_qi_vm_state_change).
     * QI disabled, IQE or a reset in between: the unit finds nothing to do.
     */
    if (!runstate_is_running()) {
        return;
    }
    /* Its runs, and those it goes on with at once, count as deferred */
    WITH_QEMU_LOCK_GUARD(&s->lock) {
        act = dmar_qi_continue_locked(s, true);
    }
    dmar_run_actions(s, act, true);
}

static void dmar_qi_vm_state_change(void *opaque, bool running,
                                    RunState state)
{
    DmarState *s = opaque;

    if (running) {
        qemu_bh_schedule(s->qi_bh);
    }
}

/* ---- interrupts: the 0xFEEx_xxxx window and KVM's routes ---- */

/* MSG as the unit decided for (ADDR, DATA): remapped or as it came. */
static void dmar_intr_msg(const DmarIntr *r, uint64_t addr, uint32_t data,
                          MSIMessage *msg)
{
    X86IOMMUIrq xirq;

    if (!r->remapped) {
        *msg = (MSIMessage) { .address = addr, .data = data };
        return;
    }
    xirq = (X86IOMMUIrq) {
        .trigger_mode = r->irq.trigger_level,
        .vector = r->irq.vector,
        .delivery_mode = r->irq.delivery_mode,
        .dest = r->irq.dest,
        .dest_mode = r->irq.dest_mode,
        .redir_hint = r->irq.redir_hint,
    };
    x86_iommu_irq_to_msi_message(&xirq, msg);
}

/*
 * A write of VAL at OFF in the interrupt window, from SID; if !SID_KNOWN,
 * from a source that only a unit blind to source-ids may serve.
 */
static MemTxResult dmar_msi_deliver(DmarState *s, uint16_t sid,
                                    bool sid_known, hwaddr off, uint64_t val,
                                    MemTxAttrs attrs)
{
    MSIMessage msg;
    DmarIntr r;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        if (!sid_known && !dmar_unit_sid_blind(&s->unit)) {
            qemu_log_mask(LOG_GUEST_ERROR, "vtd-dmar: a DMA write to 0x%"
                          PRIx64 " raced the enabling of interrupt "
                          "remapping: its source is unknown, dropped\n",
                          (uint64_t)(DMAR_MSI_BASE + off));
            return MEMTX_OK;
        }
        dmar_unit_remap_irq(&s->unit, DMAR_MSI_BASE + off, val, sid, &r);
    }
    dmar_run_actions(s, r.act, false);
    trace_dmar_msi(sid, DMAR_MSI_BASE + off, val);
    if (!r.ok) {
        return MEMTX_OK;                /* blocked and recorded */
    }
    dmar_intr_msg(&r, DMAR_MSI_BASE + off, val, &msg);
    if (r.remapped) {
        /*
         * A remapped message can name a 32-bit x2APIC destination, which
         * an MSI address cannot carry: hand it to the APICs directly.
         */
        apic_get_class(NULL)->send_msi(&msg);
    } else {
        address_space_stl_le(&s->downstream_as, msg.address, msg.data,
                             attrs, NULL);
    }
    return MEMTX_OK;
}

static MemTxResult dmar_msi_write(void *opaque, hwaddr off, uint64_t val,
                                  unsigned size, MemTxAttrs attrs)
{
    DmarDevAS *das = opaque;

    return dmar_msi_deliver(das->unit, dmar_das_sid(das), true, off, val,
                            attrs);
}

/*
 * The interrupt window of the address space that devices share while the
 * unit is blind to source-ids (interrupt remapping off): messages pass as
 * they come. Only a write through a flat view made before IRE was set
 * (an RCU reader racing the switch) can find remapping on here: an MSI
 * or MSI-X message then carries its device's requester-id, which QEMU's
 * MSI code sets; a plain DMA write carries none, and is dropped rather
 * than remapped as if from another device.
 */
static MemTxResult dmar_shared_as_msi_write(void *opaque, hwaddr off,
                                            uint64_t val, unsigned size,
                                            MemTxAttrs attrs)
{
    return dmar_msi_deliver(opaque, attrs.requester_id, !attrs.unspecified,
                            off, val, attrs);
}

static MemTxResult dmar_msi_read(void *opaque, hwaddr off, uint64_t *val,
                                 unsigned size, MemTxAttrs attrs)
{
    *val = 0;
    return MEMTX_OK;
}

static const MemoryRegionOps dmar_msi_ops = {
    .read_with_attrs = dmar_msi_read,
    .write_with_attrs = dmar_msi_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static const MemoryRegionOps dmar_shared_as_msi_ops = {
    .read_with_attrs = dmar_msi_read,
    .write_with_attrs = dmar_shared_as_msi_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/*
 * The source-id of the IOAPIC's interrupt requests: that of its DMAR
 * device scope entry (VT-d §8.3.1), which the board also gives the
 * messages it routes here from the IOAPIC (dmar_ioapic_address_space()).
 */
static uint16_t ioapic_sid(DmarState *s)
{
    return s->ioapic_as ? dmar_das_sid(s->ioapic_as) :
           PCI_BUILD_BDF(Q35_PSEUDO_BUS_PLATFORM, Q35_PSEUDO_DEVFN_IOAPIC);
}

/*
 * X86IOMMUClass.int_remap: KVM's split irqchip asks for the MSI routes it
 * installs in the kernel. Every caller passes the requester id of a PCI
 * device, except QEMU's IOAPIC, which asks for its pins' routes with
 * X86_IOMMU_SID_INVALID: those are the IOAPIC's requests, so they carry
 * its source-id and its IRTEs are verified in full, as under TCG (and as
 * amd-iommu does with its IOAPIC's device id).
 *
 * KVM asks the board's unit (x86_iommu_get_default()), whatever unit
 * covers the device: the one that does remaps.
 *
 * The route is remapped when it is set up (RTE or MSI write, IEC
 * invalidation), not per interrupt: a blocked one is recorded then. And
 * KVM keeps a route it could not update, which would go on delivering
 * what the old IRTE said: a blocked request gets a route that reaches no
 * CPU instead (logical destination 0 matches no local APIC in any mode).
 */
static int dmar_int_remap(X86IOMMUState *iommu, MSIMessage *src,
                          MSIMessage *dst, uint16_t sid)
{
    DmarState *s = VTD_DMAR(iommu);
    DmarIntr r;

    if (sid == X86_IOMMU_SID_INVALID) {
        sid = ioapic_sid(s);
    } else {
        s = dmar_sid_unit(s, sid);
    }
    WITH_QEMU_LOCK_GUARD(&s->lock) {
        dmar_unit_remap_irq(&s->unit, src->address, src->data, sid, &r);
    }
    if (r.act & DMAR_ACT_FAULT_EVENT) {
        dmar_send_event(s, false);
    }
    if (!r.ok) {
        *dst = (MSIMessage) {
            .address = DMAR_MSI_BASE | 1 << MSI_ADDR_DEST_MODE_SHIFT,
            .data = 0,
        };
        return 0;
    }
    dmar_intr_msg(&r, src->address, src->data, dst);
    return 0;
}

/* ---- translation ---- */

/* The locked path: a miss, a walk, a fault, all but a plain IOTLB hit */
static bool dmar_translate_locked(DmarDevAS *das, const DmarRequest *req,
                                  IOMMUAccessFlags flag, DmarXlate *x)
{
    DmarState *s = das->unit;
    bool ok = false;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        ok = dmar_unit_translate(&s->unit, req, flag & IOMMU_RW,
                                 flag != IOMMU_NONE, x);
        /* Which domain's invalidations the device's notifiers must hear */
        if (x->walked) {
            if (das->did == DMAR_DAS_DID_NONE) {
                das->did = x->did;
            } else if (das->did != x->did) {
                das->did = DMAR_DAS_DID_MIXED;
            }
        }
    }
    if (x->act) {
        dmar_run_actions(s, x->act, false);
    }
    return ok;
}

/* Its address names this thread to dmar_count_hit() */
static __thread char dmar_hit_token;

/*
 * A device's DMA is mostly translated by one thread (its iothread, the
 * main loop): the thread that took its first lock-free hit counts them
 * with a plain store, the others with an atomic add, and the count stays
 * exact. A thread that starts after the owner ended may get the owner's
 * thread-local address: the two never run at once, so the count still
 * has one writer.
 */
static void dmar_count_hit(DmarDevAS *das)
{
    const void *owner = qatomic_read(&das->hit_owner);

    if (owner == &dmar_hit_token ||
        (!owner && !qatomic_cmpxchg(&das->hit_owner, NULL,
                                    (const void *)&dmar_hit_token))) {
        qatomic_set_u64(&das->owner_hits, das->owner_hits + 1);
    } else {
        qatomic_inc(&das->shared_hits);
    }
}

/*
 * A translation holding the BQL begins: the record's count odd, then a
 * full barrier, then the lookup; a queue run invalidates, then a full
 * barrier, then reads the count. So a run that reads an even count that
 * does not change while it reads the record has invalidated before every
 * lookup that began after it, and every translation that began before is
 * in the record, with its answer. The first translation of a hold starts
 * its record afresh. A translation inside another (its fault event's
 * message written to a device that does DMA at once) only adds its
 * answer: the count stays odd until the outer one ends.
 */
static void dmar_bql_dma_begin(DmarState *s)
{
    unsigned long end;

    if (s->bql_dma_depth++) {
        return;
    }
    end = bql_releases() + 1;
    qatomic_set(&s->bql_dma_seq, s->bql_dma_seq + 1);
    /* The odd count before the lookup: pairs with the queue run's */
    smp_mb();
    if (s->bql_dma_end != end) {
        qatomic_set(&s->bql_dma_end, end);
        dmar_range_set_clear(&s->bql_dma);
        s->bql_dma_holds++;
    }
}

/*
 * ... and ends with the IOVAs of its answer T recorded (NULL: none, no
 * DMA), of the domain TAG that gave it (domain-id + 1; DMAR_RANGE_ANY
 * when not known): all of its leaf's page where the answer is a piece of
 * a larger page (around the interrupt range, or cut by a protected memory
 * region), since an invalidation anywhere in that page reaches it.
 */
static void dmar_bql_dma_finish(DmarState *s, const DmarTranslation *t,
                                uint32_t tag)
{
    if (t) {
        uint64_t mask = t->mask;

        if (t->level >= 1 && t->level <= 3) {
            mask |= (DMAR_PAGE_SIZE << (9 * (t->level - 1))) - 1;
        }
        dmar_range_set_add(&s->bql_dma, tag, t->iova & ~mask,
                           t->iova | mask);
    }
    if (--s->bql_dma_depth) {
        return;
    }
    qatomic_store_release(&s->bql_dma_seq, s->bql_dma_seq + 1);
}

static IOMMUTLBEntry dmar_translate_cb(IOMMUMemoryRegion *iommu, hwaddr addr,
                                       IOMMUAccessFlags flag, int iommu_idx)
{
    DmarDevAS *das = container_of(iommu, DmarDevAS, iommu);
    DmarState *s = das->unit;
    DmarRequest req = {
        .addr = addr, .sid = dmar_das_sid(das), .pasid = DMAR_NO_PASID,
        .type = DMAR_REQ_UNTRANSLATED, .is_write = flag & IOMMU_WO,
    };
    IOMMUTLBEntry r = {
        .target_as = &s->downstream_as,
        .iova = addr & ~(DMAR_PAGE_SIZE - 1),
        .addr_mask = DMAR_PAGE_SIZE - 1,
        .perm = IOMMU_NONE,
    };
    DmarTranslation t;
    bool ok, hit = true, untranslated = false, bql_dma;
    uint16_t did = 0;
    uint32_t tag = DMAR_RANGE_ANY;

    /*
     * An IOTLB hit needs no lock (docs: "Concurrency"): devices on
     * iothreads and vCPUs translate side by side. DMA translated holding
     * the BQL is what a drain waits for: each such translation says so
     * before its lookup, and records its answer
     * (dmar_unit_notify_pending()).
     */
    bql_dma = s->dma_drain && bql_locked();
    if (bql_dma) {
        dmar_bql_dma_begin(s);
        /* the answer's domain too: a drain may skip other domains' DMA */
        ok = dmar_unit_translate_shared_did(&s->unit, &req, flag & IOMMU_RW,
                                            &t, &did);
        tag = did + 1u;
    } else {
        ok = dmar_unit_translate_shared(&s->unit, &req, flag & IOMMU_RW, &t);
    }
    if (ok) {
        dmar_count_hit(das);
    } else {
        DmarXlate x;

        ok = dmar_translate_locked(das, &req, flag, &x);
        t = x.t;
        hit = x.hit;
        untranslated = x.untranslated;
        tag = dmar_xlate_domain_tag(&x);
    }
    if (ok && t.level == 1 && t.mask > DMAR_PAGE_SIZE - 1 &&
        (qatomic_read(&das->has_unmap) || qatomic_read(&das->has_devtlb))) {
        /*
         * A run of pages (x-run-answers) to a consumer that caches our
         * answers (vhost): the page alone. Such a consumer may keep its
         * first answer at an IOVA and drop a later, larger one that starts
         * there too (DPDK's vhost: "assume identical"), and then ask again
         * for the page beyond it, forever. A page's answer is the same
         * until an invalidation covers it, whichever path gave it.
         */
        uint64_t page = addr & ~(uint64_t)(DMAR_PAGE_SIZE - 1);

        t.pa += page - t.iova;
        t.iova = page;
        t.mask = DMAR_PAGE_SIZE - 1;
    }
    if (ok) {
        r.iova = t.iova;
        r.translated_addr = t.pa;
        r.addr_mask = t.mask;
        r.perm = t.perm;    /* DMAR_PERM_R/W match IOMMU_RO/WO */
    }
    if (bql_dma) {
        dmar_bql_dma_finish(s, ok ? &t : NULL, tag);
    }
    if (!untranslated) {
        trace_dmar_translate(req.sid, addr,
                             ok ? r.translated_addr | (addr & r.addr_mask) : 0,
                             r.addr_mask, r.perm, ok, hit);
    }
    return r;
}

static int dmar_notify_flag_changed(IOMMUMemoryRegion *iommu,
                                    IOMMUNotifierFlag old,
                                    IOMMUNotifierFlag new, Error **errp)
{
    DmarDevAS *das = container_of(iommu, DmarDevAS, iommu);
    DmarState *s = das->unit;

    /*
     * Mirroring the tables (vfio) works only if the guest invalidates
     * every change, not-present to present too: caching mode (CAP.CM).
     */
    if ((new & IOMMU_NOTIFIER_MAP) && !s->caching_mode) {
        error_setg(errp, "vtd-dmar: device %02x:%02x.%x needs MAP "
                   "notifications (vfio-pci, device assignment): set "
                   "caching-mode=on", dmar_das_sid(das) >> 8,
                   PCI_SLOT(das->devfn), PCI_FUNC(das->devfn));
        return -EINVAL;
    }
    /* vhost then falls back to UNMAP notifications, which we send. */
    if ((new & IOMMU_NOTIFIER_DEVIOTLB_UNMAP) &&
        !X86_IOMMU_DEVICE(s)->dt_supported) {
        error_setg(errp, "vtd-dmar: device %02x:%02x.%x asks for "
                   "device-IOTLB invalidations, but this unit has no "
                   "device-TLBs (ECAP.DT=0): set device-iotlb=on, or use "
                   "UNMAP notifications", dmar_das_sid(das) >> 8,
                   PCI_SLOT(das->devfn), PCI_FUNC(das->devfn));
        return -EINVAL;
    }
    /* Queue runs read these under our lock alone (dmar_mmio_write()) */
    QEMU_LOCK_GUARD(&s->lock);
    if ((new & IOMMU_NOTIFIER_MAP) && !das->has_map) {
        dmar_shadow_init(&das->shadow);
        das->map_did = -1;
        das->has_map = true;
    } else if (!(new & IOMMU_NOTIFIER_MAP) && das->has_map) {
        /* Nobody is left to tell: forget what they were told. */
        dmar_shadow_destroy(&das->shadow);
        das->has_map = false;
    }
    das->has_devtlb = new & IOMMU_NOTIFIER_DEVIOTLB_UNMAP;
    if ((new & IOMMU_NOTIFIER_UNMAP) && !das->has_unmap) {
        QLIST_INSERT_HEAD(&s->unmap_list, das, unmap_next);
        das->has_unmap = true;
    } else if (!(new & IOMMU_NOTIFIER_UNMAP) && das->has_unmap) {
        QLIST_REMOVE(das, unmap_next);
        das->has_unmap = false;
    }
    return 0;
}

/* ---- UNMAP notifications ---- */

/*
 * Addresses a device can use through the unit: below 2^aw-bits (a range
 * never ends at 2^64, whose size would wrap to 0 for the listener).
 */
static uint64_t das_last_iova(DmarState *s)
{
    return (1ull << s->aw_bits) - 1;
}

static void unmap_add_locked(DmarState *s, DmarDevAS *das, uint64_t first,
                             uint64_t last, bool devtlb)
{
    DmarUnmap *prev = s->unmap_pending->len ?
        &g_array_index(s->unmap_pending, DmarUnmap,
                       s->unmap_pending->len - 1) : NULL;

    if (devtlb ? s->devtlb_all : s->unmap_all) {
        return;
    }
    /* Runs of page invalidations of one device coalesce. */
    if (prev && prev->das == das && prev->devtlb == devtlb &&
        first <= prev->last + 1 && last + 1 >= prev->first) {
        prev->first = MIN(prev->first, first);
        prev->last = MAX(prev->last, last);
        return;
    }
    if (s->unmap_pending->len >= DMAR_UNMAP_PENDING_MAX) {
        /* Invalidating more is always allowed: bound the work and memory */
        s->unmap_all = s->devtlb_all = true;
        g_array_set_size(s->unmap_pending, 0);
        return;
    }
    g_array_append_val(s->unmap_pending,
                       ((DmarUnmap) { das, first, last, devtlb }));
}

static void dmar_unmap_all_locked(DmarState *s, bool iotlb_dropped)
{
    DmarDevAS *das;

    if (iotlb_dropped) {
        QLIST_FOREACH(das, &s->unmap_list, unmap_next) {
            das->did = DMAR_DAS_DID_NONE;
        }
    }
    /* Pending ranges are then left out, but for device-TLB ones. */
    if (!QLIST_EMPTY(&s->unmap_list)) {
        s->unmap_all = true;
    }
}

static void dmar_unmap_sid_locked(DmarState *s, uint16_t sid, uint16_t sid_mask)
{
    DmarDevAS *das;

    QLIST_FOREACH(das, &s->unmap_list, unmap_next) {
        if ((dmar_das_sid(das) & sid_mask) == (sid & sid_mask)) {
            /* The device's IOTLB entries were dropped with its context */
            das->did = DMAR_DAS_DID_NONE;
            unmap_add_locked(s, das, 0, das_last_iova(s), false);
        }
    }
}

static void dmar_unmap_did_locked(DmarState *s, uint16_t did, uint64_t first,
                                  uint64_t last)
{
    DmarDevAS *das;

    if (first > das_last_iova(s)) {
        return;
    }
    QLIST_FOREACH(das, &s->unmap_list, unmap_next) {
        /*
         * A device whose MAP notifiers hold nothing may have got a
         * context since: a domain-selective context-cache invalidation
         * may be what tells of it.
         */
        if (das->did == did || das->did == DMAR_DAS_DID_MIXED ||
            (das->has_map && (das->map_did == did || das->map_did < 0))) {
            unmap_add_locked(s, das, first, MIN(last, das_last_iova(s)),
                             false);
        }
    }
}

/*
 * A device-TLB invalidation (ECAP.DT): the device SID's device-IOTLB
 * notifiers (vhost with ATS) drop [FIRST, LAST] (below 2^aw-bits).
 */
static void dmar_devtlb_inv_locked(DmarState *s, uint16_t sid,
                                   uint64_t first, uint64_t last)
{
    GHashTableIter it;
    DmarDevAS *das;

    g_hash_table_iter_init(&it, s->dev_as);
    while (g_hash_table_iter_next(&it, NULL, (void **)&das)) {
        if (das->has_devtlb && dmar_das_sid(das) == sid) {
            unmap_add_locked(s, das, first, MIN(last, das_last_iova(s)),
                             true);
        }
    }
}

static bool dmar_unmap_pending_locked(DmarState *s)
{
    return s->unmap_all || s->devtlb_all || s->unmap_pending->len;
}

/*
 * The address space notifier events point into. vfio takes only
 * address_space_memory (the same memory as ours when the board's
 * downstream region is system memory, as on q35).
 */
static AddressSpace *dmar_notify_as(DmarState *s)
{
    return s->downstream == get_system_memory() ? &address_space_memory :
                                                  &s->downstream_as;
}

/*
 * Tell DAS's UNMAP notifiers that [FIRST, LAST] is gone: each notifier
 * hears the part inside its own range (the interrupt window splits the
 * region in two), in naturally aligned blocks.
 */
static void das_unmap(DmarState *s, DmarDevAS *das, uint64_t first,
                      uint64_t last, IOMMUNotifierFlag type)
{
    IOMMUNotifier *n;

    IOMMU_NOTIFIER_FOREACH(n, &das->iommu) {
        uint64_t lo = MAX(first, n->start), hi = MIN(last, n->end);

        /* MAP notifiers hear exactly what they were told (das_sync()) */
        if (!(n->notifier_flags & type) ||
            (n->notifier_flags & IOMMU_NOTIFIER_MAP)) {
            continue;
        }
        /* hi < 2^aw-bits: no sum below wraps */
        while (lo <= hi) {
            unsigned order = MIN(lo ? ctz64(lo) : 63, 63 - clz64(hi - lo + 1));
            IOMMUTLBEvent ev = {
                .type = type,
                .entry = {
                    .target_as = dmar_notify_as(s),
                    .iova = lo,
                    .addr_mask = (1ull << order) - 1,
                    .perm = IOMMU_NONE,
                },
            };

            trace_dmar_unmap_notify(dmar_das_sid(das), lo, ev.entry.addr_mask);
            memory_region_notify_iommu_one(n, &ev);
            lo += 1ull << order;
        }
    }
}

/* ---- MAP notifiers: the shadow (caching mode) ---- */

static void shadow_out(void *opaque, bool map, const DmarMapping *m)
{
    GArray *evs = opaque;
    IOMMUTLBEvent ev = {
        .type = map ? IOMMU_NOTIFIER_MAP : IOMMU_NOTIFIER_UNMAP,
        .entry = {
            .iova = m->iova,
            .translated_addr = map ? m->pa : 0,
            .addr_mask = m->mask,
            .perm = map ? (IOMMUAccessFlags)m->perm : IOMMU_NONE,
        },
    };

    g_array_append_val(evs, ev);
}

/*
 * Tell N of EV, or of the pieces of it inside N's range: a block that
 * reaches past it (a large page across the interrupt window, which
 * splits the region into two notifier ranges) is told as its pages of
 * the next smaller size, recursively, so that its MAP and its UNMAP come
 * as the same pieces. Ranges end on 4 KiB boundaries: a 4 KiB block is
 * inside or outside.
 */
static void tell_piece(DmarState *s, DmarDevAS *das, IOMMUNotifier *n,
                       IOMMUTLBEvent *ev)
{
    hwaddr first = ev->entry.iova, last = first + ev->entry.addr_mask;
    hwaddr size;
    IOMMUTLBEvent piece = *ev;

    if (last < n->start || first > n->end) {
        return;
    }
    if (first >= n->start && last <= n->end) {
        trace_dmar_map_notify(dmar_das_sid(das),
                              ev->type == IOMMU_NOTIFIER_MAP,
                              ev->entry.iova, ev->entry.addr_mask,
                              ev->entry.translated_addr, ev->entry.perm);
        memory_region_notify_iommu_one(n, ev);
        return;
    }
    if (ev->entry.addr_mask < DMAR_PAGE_SIZE) {
        return;
    }
    size = (ev->entry.addr_mask + 1) >> 9;
    piece.entry.addr_mask = size - 1;
    for (hwaddr off = 0; off <= ev->entry.addr_mask; off += size) {
        piece.entry.iova = first + off;
        if (ev->type == IOMMU_NOTIFIER_MAP) {
            piece.entry.translated_addr = ev->entry.translated_addr + off;
        }
        tell_piece(s, das, n, &piece);
    }
}

/* Tell DAS's MAP notifiers (ONLY, or all but SKIP) of EVS. */
static void das_tell(DmarState *s, DmarDevAS *das, GArray *evs,
                     IOMMUNotifier *only, IOMMUNotifier *skip)
{
    AddressSpace *as = dmar_notify_as(s);
    IOMMUNotifier *n;

    for (guint i = 0; i < evs->len; i++) {
        g_array_index(evs, IOMMUTLBEvent, i).entry.target_as = as;
    }
    IOMMU_NOTIFIER_FOREACH(n, &das->iommu) {
        if (!(n->notifier_flags & IOMMU_NOTIFIER_MAP) || n == skip ||
            (only && n != only)) {
            continue;
        }
        for (guint i = 0; i < evs->len; i++) {
            tell_piece(s, das, n, &g_array_index(evs, IOMMUTLBEvent, i));
        }
    }
}

/* Bring DAS's MAP notifiers in step with the tables over [FIRST, LAST] */
static void das_sync(DmarState *s, DmarDevAS *das, uint64_t first,
                     uint64_t last, IOMMUNotifier *skip)
{
    g_autoptr(GArray) evs = g_array_new(false, false, sizeof(IOMMUTLBEvent));
    DmarShadowStats st;

    /* The RCU read lock keeps the tables the walk maps (dmar_map_guest) */
    WITH_RCU_READ_LOCK_GUARD() {
        QEMU_LOCK_GUARD(&s->lock);
        das->map_did = dmar_unit_shadow_sync(&s->unit, dmar_das_sid(das),
                                             &das->shadow, first, last,
                                             shadow_out, evs, &st);
    }
    trace_dmar_map_sync(dmar_das_sid(das), st.first, st.last, st.unmaps,
                        st.maps, st.kept, st.truncated);
    das_tell(s, das, evs, NULL, skip);
}

/*
 * memory_region_iommu_replay(): N, just registered, hears every present
 * translation; the device's other MAP notifiers hear what changed.
 */
static void dmar_replay(IOMMUMemoryRegion *iommu, IOMMUNotifier *n)
{
    DmarDevAS *das = container_of(iommu, DmarDevAS, iommu);
    g_autoptr(GArray) evs = g_array_new(false, false, sizeof(IOMMUTLBEvent));

    if (!das->has_map || !(n->notifier_flags & IOMMU_NOTIFIER_MAP)) {
        return;
    }
    das_sync(das->unit, das, 0, das_last_iova(das->unit), n);
    dmar_shadow_foreach(&das->shadow, shadow_out, evs);
    das_tell(das->unit, das, evs, n, NULL);
}

/* Everything DAS's notifiers may hold of [FIRST, LAST] is to be redone */
static void das_flush(DmarState *s, DmarDevAS *das, uint64_t first,
                      uint64_t last)
{
    if (das->has_map) {
        das_sync(s, das, first, last, NULL);
    }
    das_unmap(s, das, first, last, IOMMU_NOTIFIER_UNMAP);
}

static void dmar_unmap_flush(DmarState *s)
{
    g_autoptr(GArray) pending = g_array_new(false, false, sizeof(DmarUnmap));
    bool all, devtlb_all;
    GHashTableIter it;
    DmarDevAS *das;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        GArray *t = s->unmap_pending;

        s->unmap_pending = pending;
        pending = t;
        all = s->unmap_all;
        devtlb_all = s->devtlb_all;
        s->unmap_all = s->devtlb_all = false;
        s->unmap_flushing++;
    }
    if (all) {
        QLIST_FOREACH(das, &s->unmap_list, unmap_next) {
            das_flush(s, das, 0, das_last_iova(s));
        }
    }
    if (devtlb_all) {
        g_hash_table_iter_init(&it, s->dev_as);
        while (g_hash_table_iter_next(&it, NULL, (void **)&das)) {
            das_unmap(s, das, 0, das_last_iova(s),
                      IOMMU_NOTIFIER_DEVIOTLB_UNMAP);
        }
    }
    for (guint i = 0; i < pending->len; i++) {
        DmarUnmap *u = &g_array_index(pending, DmarUnmap, i);

        /* A device whose notifiers went meanwhile has nothing to hear. */
        if (u->devtlb && !devtlb_all) {
            das_unmap(s, u->das, u->first, u->last,
                      IOMMU_NOTIFIER_DEVIOTLB_UNMAP);
        } else if (!u->devtlb && !all && u->das->has_unmap) {
            das_flush(s, u->das, u->first, u->last);
        }
    }
    WITH_QEMU_LOCK_GUARD(&s->lock) {
        s->unmap_flushing--;
    }
}
/*
 * Untranslated DMA above the host address width: the unit records the
 * fault a pass-through context gives there (dmar_unit_beyond()).
 */
static MemTxResult dmar_beyond_access(DmarDevAS *das, hwaddr off,
                                      bool is_write)
{
    DmarState *s = das->unit;
    unsigned act;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        act = dmar_unit_beyond(&s->unit, dmar_das_sid(das),
                               (1ull << s->unit.cfg.hw.haw) + off, is_write);
    }
    dmar_run_actions(s, act, false);
    return MEMTX_DECODE_ERROR;
}

static MemTxResult dmar_beyond_read(void *opaque, hwaddr off, uint64_t *val,
                                    unsigned size, MemTxAttrs attrs)
{
    *val = 0;
    return dmar_beyond_access(opaque, off, false);
}

static MemTxResult dmar_beyond_write(void *opaque, hwaddr off, uint64_t val,
                                     unsigned size, MemTxAttrs attrs)
{
    return dmar_beyond_access(opaque, off, true);
}

static const MemoryRegionOps dmar_beyond_ops = {
    .read_with_attrs = dmar_beyond_read,
    .write_with_attrs = dmar_beyond_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
};

/* ---- per-device address spaces ---- */

typedef struct DasKey {
    PCIBus *bus;
    uint8_t devfn;
} DasKey;

static guint das_hash(gconstpointer k)
{
    const DasKey *key = k;

    return g_direct_hash(key->bus) ^ key->devfn;
}

static gboolean das_equal(gconstpointer a, gconstpointer b)
{
    const DasKey *x = a, *y = b;

    return x->bus == y->bus && x->devfn == y->devfn;
}

static void das_switch(DmarState *s, DmarDevAS *das)
{
    DmarDasPath path;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        if (dmar_unit_sid_blind(&s->unit)) {
            path = DMAR_DAS_SHARED;
        } else if (dmar_unit_bypass(&s->unit, dmar_das_sid(das))) {
            path = DMAR_DAS_UNTRANSLATED;
        } else {
            path = DMAR_DAS_TRANSLATED;
        }
    }

    if (path == das->path) {
        return;
    }
    das->path = path;
    memory_region_transaction_begin();
    memory_region_set_enabled(MEMORY_REGION(&das->iommu),
                              path == DMAR_DAS_TRANSLATED);
    memory_region_set_enabled(&das->nodmar, path == DMAR_DAS_UNTRANSLATED);
    memory_region_set_enabled(&das->beyond, path == DMAR_DAS_UNTRANSLATED);
    memory_region_set_enabled(&das->msi, path != DMAR_DAS_SHARED);
    memory_region_set_enabled(&das->shared_as, path == DMAR_DAS_SHARED);
    memory_region_transaction_commit();
    trace_dmar_switch_as(dmar_das_sid(das), path == DMAR_DAS_TRANSLATED ?
                         "translated" : path == DMAR_DAS_SHARED ?
                         "untranslated, shared" : "untranslated");
}

static void dmar_update_address_spaces(DmarState *s)
{
    GHashTableIter it;
    DmarDevAS *das;

    /* One commit: each rebuilds the flat view of every address space */
    memory_region_transaction_begin();
    g_hash_table_iter_init(&it, s->dev_as);
    while (g_hash_table_iter_next(&it, NULL, (void **)&das)) {
        das_switch(s, das);
    }
    memory_region_transaction_commit();
}

static DmarDevAS *das_new(DmarState *s, PCIBus *bus, uint8_t devfn,
                          uint16_t fixed_sid, const char *name)
{
    DmarDevAS *das = g_new0(DmarDevAS, 1);

    das->unit = s;
    das->bus = bus;
    das->devfn = devfn;
    das->fixed_sid = fixed_sid;
    das->did = DMAR_DAS_DID_NONE;
    memory_region_init(&das->root, OBJECT(s), name, UINT64_MAX);
    memory_region_init_iommu(&das->iommu, sizeof(das->iommu),
                             TYPE_DMAR_IOMMU_MR, OBJECT(s), "vtd-dmar-iommu",
                             UINT64_MAX);
    memory_region_init_alias(&das->nodmar, OBJECT(s), "vtd-dmar-nodmar",
                             &s->nodmar_mr, 0,
                             memory_region_size(&s->nodmar_mr));
    memory_region_init_io(&das->msi, OBJECT(s), &dmar_msi_ops, das,
                          "vtd-dmar-msi", DMAR_MSI_SIZE);
    memory_region_add_subregion_overlap(&das->root, DMAR_MSI_BASE, &das->msi,
                                        1);
    memory_region_add_subregion_overlap(&das->root, 0,
                                        MEMORY_REGION(&das->iommu), 0);
    memory_region_add_subregion_overlap(&das->root, 0, &das->nodmar, 0);
    /*
     * [2^HAW, 2^64): the size is 2^64 - 2^HAW, so the last byte is covered
     * and the region ends on a page (no subpage in every flatview).
     */
    memory_region_init_io(&das->beyond, OBJECT(s), &dmar_beyond_ops, das,
                          "vtd-dmar-beyond", -(1ull << s->unit.cfg.hw.haw));
    memory_region_add_subregion_overlap(&das->root, 1ull << s->unit.cfg.hw.haw,
                                        &das->beyond, 0);
    memory_region_init_alias(&das->shared_as, OBJECT(s),
                             "vtd-dmar-shared-as-alias", &s->shared_as_root,
                             0, UINT64_MAX);
    memory_region_add_subregion_overlap(&das->root, 0, &das->shared_as, 0);
    /* Untranslated, until das_switch() says otherwise */
    memory_region_set_enabled(MEMORY_REGION(&das->iommu), false);
    memory_region_set_enabled(&das->shared_as, false);
    das->path = DMAR_DAS_UNTRANSLATED;
    address_space_init(&das->as, &das->root, name);
    return das;
}

/*
 * Every unit hooks the same callback on pcie.0 and on its primary bus:
 * the unit that covers BUS's root bus answers, whichever was asked.
 */
static AddressSpace *dmar_get_address_space(PCIBus *bus, void *opaque,
                                            int devfn)
{
    DmarState *s = dmar_bus_unit(bus) ?: opaque;
    DasKey key = { .bus = bus, .devfn = devfn };
    DmarDevAS *das = g_hash_table_lookup(s->dev_as, &key);
    g_autofree char *name = NULL;

    if (das) {
        return &das->as;
    }
    name = g_strdup_printf("vtd-dmar-%02x.%x", PCI_SLOT(devfn),
                           PCI_FUNC(devfn));
    das = das_new(s, bus, devfn, 0, name);
    /* Queue runs walk the table under our lock alone (device-TLBs) */
    WITH_QEMU_LOCK_GUARD(&s->lock) {
        g_hash_table_insert(s->dev_as, g_memdup2(&key, sizeof(key)), das);
    }
    das_switch(s, das);
    return &das->as;
}

/*
 * The IOAPIC's interrupt messages, with the source-id of its DMAR device
 * scope entry (bus 0xff, devfn 0): the board routes them here.
 */
AddressSpace *dmar_ioapic_address_space(DmarState *s)
{
    if (!s->ioapic_as) {
        s->ioapic_as = das_new(s, NULL, Q35_PSEUDO_DEVFN_IOAPIC,
                               PCI_BUILD_BDF(Q35_PSEUDO_BUS_PLATFORM,
                                             Q35_PSEUDO_DEVFN_IOAPIC),
                               "vtd-dmar-ioapic");
        /* It never does DMA: keep it on the untranslated path. */
        memory_region_set_enabled(&s->ioapic_as->nodmar, true);
        memory_region_set_enabled(&s->ioapic_as->beyond, true);
    }
    return &s->ioapic_as->as;
}

static const PCIIOMMUOps dmar_pci_iommu_ops = {
    .get_address_space = dmar_get_address_space,
};

/* ---- QOM ---- */

static bool dmar_cpus_have_x2apic(void)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        if (!(X86_CPU(cs)->env.features[FEAT_1_ECX] & CPUID_EXT_X2APIC)) {
            return false;
        }
    }
    return first_cpu != NULL;
}

/* The CPUs' physical address width (at most 52, the VT-d formats' limit) */
static uint8_t dmar_platform_haw(void)
{
    return first_cpu ? MIN(X86_CPU(first_cpu)->phys_bits, 52) : 52;
}

/*
 * intel-iommu's properties for features vtd-dmar does not have yet. They
 * exist so that a command line written for intel-iommu is understood;
 * any value but the default is refused with an error naming the feature,
 * never ignored. (QEMU 10.0's x- names of the first two are aliases.)
 */
typedef struct DmarMissing {
    const char *prop;
    const char *alias;          /* QEMU 10.0's name, or NULL */
    const char *feature;
} DmarMissing;

static const DmarMissing dmar_missing[] = {
    { "svm", NULL,
      "shared virtual memory (SVM: PASID, PRI, first-stage translation)" },
};

/* NAME's value as a command line would write it, or NULL: the default */
static char *dmar_prop_if_set(Object *obj, const char *name)
{
    ObjectProperty *op = object_property_find_err(obj, name, &error_abort);
    QObject *v = object_property_get_qobject(obj, name, &error_abort);
    char *val = NULL;

    if (!qobject_is_equal(v, op->defval)) {
        val = qobject_type(v) == QTYPE_QBOOL ? g_strdup("on") :
              g_string_free(qobject_to_json(v), false);
    }
    qobject_unref(v);
    return val;
}

static bool dmar_check_missing(DmarState *s, Error **errp)
{
    for (size_t i = 0; i < ARRAY_SIZE(dmar_missing); i++) {
        const DmarMissing *m = &dmar_missing[i];
        g_autofree char *val = dmar_prop_if_set(OBJECT(s), m->prop);

        if (val) {
            error_setg(errp, "vtd-dmar: %s%s%s=%s: %s is not implemented in "
                       "vtd-dmar yet", m->prop, m->alias ? "/" : "",
                       m->alias ?: "", val, m->feature);
            return false;
        }
    }
    return true;
}

static bool dmar_check_props(DmarState *s, Error **errp)
{
    X86IOMMUState *x86 = X86_IOMMU_DEVICE(s);

    if (!dmar_check_missing(s, errp)) {
        return false;
    }
    /* Without scalable mode fsts and ssts mean nothing: any value goes */
    if (!s->scalable_mode && (s->pasid_bits || s->pasid_mode)) {
        error_setg(errp, "vtd-dmar: pasid-bits and x-pasid-mode need "
                   "scalable-mode=on");
        return false;
    }
    if (s->scalable_mode && !s->fsts && !s->ssts) {
        error_setg(errp, "vtd-dmar: scalable mode needs a stage: fsts=off "
                   "and ssts=off cannot both be set");
        return false;
    }
    if (s->scalable_mode && s->caching_mode) {
        error_setg(errp, "vtd-dmar: caching-mode=on with scalable-mode=on: "
                   "caching mode in scalable mode is not implemented in "
                   "vtd-dmar yet");
        return false;
    }
    if (s->pasid_bits > 20) {
        error_setg(errp, "vtd-dmar: pasid-bits must be 0..20 (got %u)",
                   s->pasid_bits);
        return false;
    }
    if (s->eim == ON_OFF_AUTO_ON && !x86_iommu_ir_supported(x86)) {
        error_setg(errp, "vtd-dmar: eim=on needs intremap=on");
        return false;
    }
    if (s->eim == ON_OFF_AUTO_ON && !dmar_cpus_have_x2apic()) {
        error_setg(errp, "vtd-dmar: eim=on needs x2APIC-capable CPUs "
                   "(for example -cpu qemu64,+x2apic)");
        return false;
    }
    if (!s->pci_bus || !s->downstream) {
        error_setg(errp, "vtd-dmar: the machine did not connect the unit "
                   "(pci-bus/downstream links); use -M q35");
        return false;
    }
    return true;
}

/*
 * EIM: x2APIC destinations (ECAP.EIM), when remapping is on and the CPUs
 * have x2APIC. Under KVM with a split irqchip the local APICs are KVM's:
 * remapped interrupts reach them as KVM MSI routes and injected MSIs,
 * whose destination KVM reads in full only once its x2APIC API is on
 * (else the low 8 bits, 0xff meaning all). Turn it on, as intel-iommu and
 * amd-iommu do; where KVM cannot, refuse eim=on and leave auto off.
 */
static bool dmar_decide_eim(DmarState *s, bool *eim, Error **errp)
{
    X86IOMMUState *x86 = X86_IOMMU_DEVICE(s);

    *eim = x86_iommu_ir_supported(x86) &&
           (s->eim == ON_OFF_AUTO_ON ||
            (s->eim == ON_OFF_AUTO_AUTO && dmar_cpus_have_x2apic()));
    /* Without CONFIG_KVM, kvm_irqchip_is_split() is a constant false. */
    if (*eim && kvm_irqchip_is_split() && !kvm_enable_x2apic()) {
        if (s->eim == ON_OFF_AUTO_ON) {
            error_setg(errp, "vtd-dmar: eim=on needs KVM's x2APIC API "
                       "(KVM_CAP_X2APIC_API) with kernel-irqchip=split");
            return false;
        }
        *eim = false;
    }
    return true;
}

static void dmar_realize(DeviceState *dev, Error **errp)
{
    DmarState *s = VTD_DMAR(dev);
    X86IOMMUState *x86 = X86_IOMMU_DEVICE(dev);
    g_autofree char *why = NULL;
    DmarUnitConfig cfg;

    if (!dmar_check_props(s, errp) || !dmar_platform_realize(s, errp)) {
        return;
    }
    /* Accepted for intel-iommu command lines, meaningless here: */
    if (s->version) {
        warn_report("vtd-dmar: version=%" PRIu32 " has no effect (VER "
                    "reads 0x41, VT-d revision 4.1)", s->version);
    }
    if (s->buggy_eim) {
        warn_report("vtd-dmar: x-buggy-eim has no effect (eim works "
                    "under TCG and KVM alike)");
    }
    if (s->stale_tm && !x86->dt_supported) {
        warn_report("vtd-dmar: stale-tm has no effect without device-iotlb=on "
                    "(TM is meaningful only with device-TLBs)");
    }
    /*
     * HAW, the host address width, is the platform's physical address
     * width: what the DMAR table reports, where table pointers and output
     * addresses end, and how far untranslated DMA reaches. aw-bits is the
     * guest (input) address width, CAP.MGAW. SAGAW: every table depth up
     * to aw-bits (bit n: 30 + 9n bits); none with dma-translation=off, so
     * that every context entry asking for translation is invalid (0x3)
     * while pass-through ones still work (see docs/vtd-dmar.rst).
     */
    cfg = (DmarUnitConfig) {
        .aw_bits = s->aw_bits,
        .nfr = s->nfr,
        .caching_mode = s->caching_mode,
        .dma_drain = s->dma_drain,
        .ir = x86_iommu_ir_supported(x86),
        .iotlb_entries = s->iotlb_entries,
        .ctx_entries = s->ctx_entries,
        .verify_iotlb = s->verify_iotlb,
        .run_answers = s->run_answers,
        .hw = {
            .haw = dmar_platform_haw(),
            .sagaw = !s->dma_translation ? 0 :
                     s->aw_bits >= 57 ? 0xe : s->aw_bits >= 48 ? 0x6 : 0x2,
            .sllps = 0x3,
            .pt = x86->pt_supported,
            .dt = x86->dt_supported,
            .sc = s->snoop_control,
            .stale_tm = s->stale_tm,
            .sm = s->scalable_mode,
            .fsts = s->scalable_mode && s->fsts,
            .ssts = s->scalable_mode && s->ssts,
            .fs1gp = s->fs1gp,
            .fs5lp = s->scalable_mode && s->fsts && s->aw_bits == 57,
            .pasid_bits = s->pasid_mode ? 20 : s->pasid_bits,
            .srs = s->pasid_mode || s->pasid_bits,
            .ers = s->pasid_mode || s->pasid_bits,
        },
        .pmr = s->pmr,
        .pmr_low_base = s->pmr_low_base,
        .pmr_low_limit = s->pmr_low_limit,
        .pmr_high_base = s->pmr_high_base,
        .pmr_high_limit = s->pmr_high_limit,
        .pmr_enable = s->pmr_enable,
        .abort_dma = s->abort_dma,
    };
    why = dmar_unit_config_error(&cfg);
    if (why) {
        error_setg(errp, "vtd-dmar: %s", why);
        return;
    }
    if (!dmar_decide_eim(s, &cfg.eim, errp)) {
        return;
    }

    qemu_mutex_init(&s->lock);
    /* A long invalidation queue goes on here, and when the VM runs again */
    s->qi_bh = qemu_bh_new_guarded(dmar_qi_bh, s,
                                   &DEVICE(s)->mem_reentrancy_guard);
    qemu_add_vm_change_state_handler(dmar_qi_vm_state_change, s);
    s->dev_as = g_hash_table_new_full(das_hash, das_equal, g_free, g_free);
    QLIST_INIT(&s->unmap_list);
    s->unmap_pending = g_array_new(false, false, sizeof(DmarUnmap));
    dmar_qmp_init(s);
    dmar_unit_init(&s->unit, &cfg, &dmar_guest_mem_ops, s, &dmar_unit_hooks,
                   s);
    s->mmio_size = dmar_unit_mmio_size(&s->unit);
    memory_region_init_io(&s->mmio, OBJECT(s), &dmar_mmio_ops, s,
                          "vtd-dmar", s->mmio_size);
    /* Our lock covers the registers (dmar_mmio_write() takes the BQL) */
    memory_region_enable_lockless_io(&s->mmio);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->mmio);

    address_space_init(&s->downstream_as, s->downstream, "vtd-dmar-downstream");
    /* Untranslated DMA reaches downstream below 2^HAW (see beyond) */
    memory_region_init_alias(&s->nodmar_mr, OBJECT(s), "vtd-dmar-nodmar",
                             s->downstream, 0,
                             MIN(memory_region_size(s->downstream),
                                 1ull << cfg.hw.haw));
    memory_region_init(&s->shared_as_root, OBJECT(s), "vtd-dmar-shared-as",
                       UINT64_MAX);
    memory_region_add_subregion_overlap(&s->shared_as_root, 0, &s->nodmar_mr,
                                        0);
    memory_region_init_io(&s->shared_as_msi, OBJECT(s),
                          &dmar_shared_as_msi_ops, s, "vtd-dmar-shared-msi",
                          DMAR_MSI_SIZE);
    memory_region_add_subregion_overlap(&s->shared_as_root, DMAR_MSI_BASE,
                                        &s->shared_as_msi, 1);
    pci_setup_iommu(s->pci_bus, &dmar_pci_iommu_ops, s);
    if (s->primary_bus && s->primary_bus != s->pci_bus) {
        pci_setup_iommu(s->primary_bus, &dmar_pci_iommu_ops, s);
    }
}

/* Registers, caches and address spaces as after reset (BQL held). */
static void dmar_reset_state(DmarState *s)
{
    unsigned act;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        act = dmar_unit_done_locked(s, dmar_unit_reset(&s->unit));
        dmar_drain_done(s);
    }
    dmar_run_actions(s, act, false);
}

/*
 * Reset in the exit phase: devices behind the unit have stopped their
 * DMA by then, and the address-space switch needs no other device state.
 */
static void dmar_reset_exit(Object *obj, ResetType type)
{
    dmar_reset_state(VTD_DMAR(obj));
}

static int dmar_post_load(void *opaque, int version_id)
{
    DmarState *s = opaque;
    const char *why = dmar_unit_stream_error(&s->unit);

    if (why) {
        /* post_load has no Error ** here; savevm names the device too */
        error_report("vtd-dmar: migration stream refused: %s", why);
        /* Keep nothing of it, should the machine be resumed after all. */
        dmar_reset_state(s);
        return -EINVAL;
    }
    dmar_unit_post_load(&s->unit);
    /* Notifiers hear the loaded tables (MAP ones: a resync) */
    WITH_QEMU_LOCK_GUARD(&s->lock) {
        dmar_unmap_all_locked(s, true);
    }
    dmar_run_actions(s, DMAR_ACT_UNMAP | DMAR_ACT_SWITCH_AS, false);
    return 0;
}

static const VMStateDescription vmstate_dmar = {
    .name = "vtd-dmar",
    .version_id = 1,
    .minimum_version_id = 1,
    .priority = MIG_PRI_IOMMU,
    .post_load = dmar_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8_ARRAY(unit.regs, DmarState, DMAR_REGS_MAX),
        VMSTATE_UINT64(unit.root, DmarState),
        VMSTATE_UINT32(unit.flog.next, DmarState),
        VMSTATE_UINT64(unit.irta_raw, DmarState),
        VMSTATE_END_OF_LIST()
    }
};

static const Property dmar_properties[] = {
    /* Guest (input) address width, CAP.MGAW; HAW is the CPUs' phys-bits */
    DEFINE_PROP_UINT8("aw-bits", DmarState, aw_bits, 48),
    /* Number of fault recording registers (CAP.NFR + 1) */
    DEFINE_PROP_UINT32("nfr", DmarState, nfr, 8),
    /* CAP.CM: not-present entries may be cached; guests invalidate maps */
    DEFINE_PROP_BOOL("caching-mode", DmarState, caching_mode, false),
    /* CAP.DRD/DWD: read/write draining on IOTLB invalidation */
    DEFINE_PROP_BOOL("dma-drain", DmarState, dma_drain, true),
    /* Extended interrupt mode (x2APIC) for interrupt remapping */
    DEFINE_PROP_ON_OFF_AUTO("eim", DmarState, eim, ON_OFF_AUTO_AUTO),
    /* IOTLB capacity (entries, rounded up to a power of two) */
    DEFINE_PROP_UINT32("iotlb-entries", DmarState, iotlb_entries, 4096),
    /* Context cache capacity (entries, rounded up to a power of two) */
    DEFINE_PROP_UINT32("ctx-entries", DmarState, ctx_entries, 256),
    /* Debug: re-walk on every IOTLB hit and report stale entries in use */
    DEFINE_PROP_BOOL("x-verify-iotlb", DmarState, verify_iotlb, false),
    /*
     * An IOTLB hit answers the naturally aligned run of contiguously
     * mapped pages around the address (up to 256 KiB), not only its page
     */
    DEFINE_PROP_BOOL("x-run-answers", DmarState, run_answers, true),
    /* Off: CAP.SAGAW 0, no context entry may translate (IR only) */
    DEFINE_PROP_BOOL("dma-translation", DmarState, dma_translation, true),
    /* ECAP.SC: SNP (bit 11) of a leaf entry is allowed, not reserved */
    DEFINE_PROP_BOOL("snoop-control", DmarState, snoop_control, false),
    /* TM (bit 62) of a leaf entry allowed with device-TLBs (device-iotlb) */
    DEFINE_PROP_BOOL("stale-tm", DmarState, stale_tm, false),
    /* CAP.PLMR/PHMR: protected memory regions (PMEN, PLM*, PHM*) */
    DEFINE_PROP_BOOL("pmr", DmarState, pmr, false),
    /* ... the region registers at reset (2 MiB aligned; with pmr=on) */
    DEFINE_PROP_UINT64("pmr-low-base", DmarState, pmr_low_base, 0),
    DEFINE_PROP_UINT64("pmr-low-limit", DmarState, pmr_low_limit, 0),
    DEFINE_PROP_UINT64("pmr-high-base", DmarState, pmr_high_base, 0),
    DEFINE_PROP_UINT64("pmr-high-limit", DmarState, pmr_high_limit, 0),
    /* ... and PMEN.EPM/PRS set at reset, as firmware would leave them */
    DEFINE_PROP_BOOL("pmr-enable", DmarState, pmr_enable, false),
    /* ECAP.ADMS: abort-DMA mode, RTADDR.TTM 11b */
    DEFINE_PROP_BOOL("abort-dma-mode", DmarState, abort_dma, false),
    /* intel-iommu's: no effect, VER reads 0x41 (a warning when set) */
    DEFINE_PROP_UINT32("version", DmarState, version, 0),
    /* intel-iommu 10.0's EIM workaround: no effect (a warning when on) */
    DEFINE_PROP_BOOL("x-buggy-eim", DmarState, buggy_eim, false),
    /* First-stage 1 GiB pages (CAP.FL1GP), with the first stage */
    DEFINE_PROP_BOOL("fs1gp", DmarState, fs1gp, true),
    /* Not implemented yet: refused unless off/0 (dmar_missing[]) */
    DEFINE_PROP_BOOL("scalable-mode", DmarState, scalable_mode, false),
    /* Scalable mode offers both stages; off: that stage is not offered */
    DEFINE_PROP_BOOL("fsts", DmarState, fsts, true),
    DEFINE_PROP_BOOL("ssts", DmarState, ssts, true),
    DEFINE_PROP_UINT8("pasid-bits", DmarState, pasid_bits, 0),
    DEFINE_PROP_BOOL("x-pasid-mode", DmarState, pasid_mode, false),
    DEFINE_PROP_BOOL("svm", DmarState, svm, false),
    /* The PCI root bus the unit covers; none: every bus no unit claims */
    DEFINE_PROP_LINK("primary-bus", DmarState, primary_bus, TYPE_PCI_BUS,
                     PCIBus *),
    /* Reserved memory regions: "DEVICE:BASE:LIMIT" each (RMRR) */
    DEFINE_PROP_ARRAY("rmrr", DmarState, num_rmrr, rmrr, qdev_prop_string,
                      char *),
    /* The DMAR table's DMA_CTRL_PLATFORM_OPT_IN flag */
    DEFINE_PROP_BOOL("platform-opt-in", DmarState, platform_opt_in, false),
    /* Set by the board: pcie.0, where the units hook PCI's IOMMU ops */
    DEFINE_PROP_LINK("pci-bus", DmarState, pci_bus, TYPE_PCI_BUS, PCIBus *),
    /* Set by the board: where translated DMA goes (system memory) */
    DEFINE_PROP_LINK("downstream", DmarState, downstream, TYPE_MEMORY_REGION,
                     MemoryRegion *),
};

static void dmar_instance_init(Object *obj)
{
    /* QEMU 10.0's names of two intel-iommu properties (same type) */
    object_property_add_alias(obj, "x-scalable-mode", obj, "scalable-mode");
    object_property_add_alias(obj, "x-flts", obj, "fsts");
}

static void dmar_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    X86IOMMUClass *x86c = X86_IOMMU_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    x86c->realize = dmar_realize;
    x86c->int_remap = dmar_int_remap;
    rc->phases.exit = dmar_reset_exit;
    dc->vmsd = &vmstate_dmar;
    dc->desc = "Intel VT-d DMA remapping unit (vtd-dmar)";
    dc->user_creatable = true;
    device_class_set_props(dc, dmar_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static void dmar_iommu_mr_class_init(ObjectClass *klass, void *data)
{
    IOMMUMemoryRegionClass *imrc = IOMMU_MEMORY_REGION_CLASS(klass);

    imrc->translate = dmar_translate_cb;
    imrc->notify_flag_changed = dmar_notify_flag_changed;
    imrc->replay = dmar_replay;
}

static const TypeInfo dmar_types[] = {
    {
        .name = TYPE_VTD_DMAR,
        .parent = TYPE_X86_IOMMU_DEVICE,
        .instance_size = sizeof(DmarState),
        .instance_init = dmar_instance_init,
        .class_init = dmar_class_init,
    }, {
        .name = TYPE_DMAR_IOMMU_MR,
        .parent = TYPE_IOMMU_MEMORY_REGION,
        .class_init = dmar_iommu_mr_class_init,
    },
};

DEFINE_TYPES(dmar_types)

