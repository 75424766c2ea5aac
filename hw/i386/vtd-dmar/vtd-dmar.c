/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar: QOM glue of the VT-d remapping unit. Properties, per-device
 * DMA address spaces, the IOMMU translate callback, interrupt-range
 * forwarding, reset and migration. The hardware model itself lives in
 * dmar-core.c (walks), dmar-cache.c, dmar-fault.c and dmar-mmio.c.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/lockable.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "hw/qdev-properties.h"
#include "qom/qom-qobject.h"
#include "qobject/qjson.h"
#include "qobject/qobject.h"
#include "hw/sysbus.h"
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

/* ---- guest memory, as the core sees it ---- */

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

bool dmar_read_guest(void *opaque, uint64_t gpa, void *buf, size_t len)
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

bool dmar_write_guest(void *opaque, uint64_t gpa, const void *buf,
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
DmarCasResult dmar_cmpxchg64_guest(void *opaque, uint64_t gpa,
                                   uint64_t *expected, uint64_t desired)
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
    old = qatomic_cmpxchg(p, cpu_to_le64(*expected),
                          cpu_to_le64(desired));
    if (old != cpu_to_le64(*expected)) {
        *expected = le64_to_cpu(old);
        return DMAR_CAS_CHANGED;
    }
    memory_region_set_dirty(mr, xlat, 8);
    return DMAR_CAS_OK;
}

const DmarMemOps dmar_guest_mem_ops = {
    .read = dmar_read_guest,
    .write = dmar_write_guest,
    .cmpxchg64 = dmar_cmpxchg64_guest,
};

/* Send the interrupt message described by an address/data register pair. */
void dmar_send_msi(DmarState *s, uint32_t addr_reg, uint32_t data_reg)
{
    uint64_t addr;
    uint32_t data;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        addr = dmar_get32(s, addr_reg) |
               ((uint64_t)dmar_get32(s, addr_reg + 4) << 32);
        data = dmar_get32(s, data_reg);
    }
    trace_dmar_send_msi(addr_reg, addr, data);
    address_space_stl_le(&s->downstream_as, addr, data,
                         MEMTXATTRS_UNSPECIFIED, NULL);
}

/* ---- translation ---- */

uint16_t dmar_das_sid(DmarDevAS *das)
{
    return das->bus ? PCI_BUILD_BDF(pci_bus_num(das->bus), das->devfn) :
                      das->fixed_sid;
}

/* An IOTLB miss: context (cached or read), then the walk. */
static bool translate_miss_locked(DmarState *s, DmarDevAS *das,
                                  uint64_t addr, bool is_write,
                                  DmarTranslation *t, DmarFault *f)
{
    uint16_t sid = dmar_das_sid(das);
    const DmarMem mem = { &dmar_guest_mem_ops, s };
    const DmarCacheKey key = { sid, DMAR_NO_PASID, DMAR_STAGE_SECOND };
    const DmarRequest req = {
        .addr = addr, .sid = sid, .pasid = DMAR_NO_PASID,
        .type = DMAR_REQ_UNTRANSLATED, .is_write = is_write,
    };
    DmarContext ctx;

    if (!dmar_ctx_cache_lookup(&s->ctx_cache, sid, &ctx)) {
        if (!dmar_context_lookup(&s->hw, s->root & R_RTADDR_RTA_MASK, sid,
                                 &mem, &ctx, f)) {
            f->addr = addr;
            f->is_write = is_write;
            return false;
        }
        if (dmar_ctx_cache_insert(&s->ctx_cache, &ctx)) {
            trace_dmar_cache_evict("context", sid);
        }
    }
    if (!dmar_translate(&s->hw, &ctx, &req, &mem, t, f)) {
        return false;
    }
    /* Which domain's invalidations the device's notifiers must hear of */
    if (das->did == DMAR_DAS_DID_NONE) {
        das->did = ctx.did;
    } else if (das->did != ctx.did) {
        das->did = DMAR_DAS_DID_MIXED;
    }
    if (ctx.tt == DMAR_TT_PASSTHROUGH) {
        /*
         * Pass-through is the identity below the host address width (the
         * walk faulted above it): nothing worth caching, not an IOTLB
         * entry (level 0). With x-dma-blocks one answer covers it all.
         */
        t->mask = s->dma_blocks ? (1ull << s->hw.haw) - 1 : DMAR_PAGE_SIZE - 1;
        t->iova = t->pa = addr & ~t->mask;
        t->level = 0;
        return true;
    }
    if (t->narrowed) {
        /*
         * A piece of a large page around the interrupt address range: a
         * page-selective invalidation anywhere in that page must reach
         * it, which a 4 KiB IOTLB entry would not be. Never cached.
         */
        return true;
    }
    if (dmar_iotlb_insert(&s->iotlb, &key, ctx.did, t)) {
        trace_dmar_cache_evict("iotlb", sid);
    }
    if (t->level == 1) {
        /* DMA tends to go on to the next pages: cache their leaves too. */
        DmarTranslation group[DMAR_LEAF_GROUP];
        unsigned n = dmar_leaf_group(&s->hw, t->table, t->table_perm, addr,
                                     &mem, group);

        for (unsigned i = 0; i < n; i++) {
            if (group[i].iova != t->iova) {
                dmar_iotlb_insert(&s->iotlb, &key, ctx.did, &group[i]);
            }
        }
    }
    return true;
}

void dmar_report_fault_locked(DmarState *s, const DmarFault *f, bool *send)
{
    DmarRecordResult r;

    *send = false;
    trace_dmar_fault(f->sid, f->addr, f->fr, f->is_write, f->level, f->fpd);
    if (f->fpd) {
        return;
    }
    r = dmar_fault_record(&s->flog, f, send);
    if (r == DMAR_FAULT_RECORDED) {
        qemu_log_mask(LOG_GUEST_ERROR, "vtd-dmar: %s fault, sid "
                      "%02x:%02x.%x addr 0x%" PRIx64 " reason 0x%x\n",
                      f->fr >= DMAR_FR_IR_REQ_RSVD ? "interrupt" :
                      f->is_write ? "DMA write" : "DMA read", f->sid >> 8,
                      PCI_SLOT(f->sid & 0xff), PCI_FUNC(f->sid & 0xff),
                      f->addr, f->fr);
    }
}

/*
 * x-verify-iotlb: on an IOTLB hit, walk the tables again and report when
 * they no longer grant what the cached entry does. Using such an entry is
 * what the spec allows until the guest invalidates it, so the DMA goes on
 * as cached; the report tells a developer that a device reached an IOVA
 * whose mapping the driver had already changed or removed.
 */
static void verify_hit_locked(DmarState *s, uint16_t sid, uint64_t addr,
                              bool is_write, const DmarTranslation *hit)
{
    DmarContext ctx;
    DmarTranslation t;
    DmarFault f = { 0 };
    uint64_t cached = hit->pa + (addr & hit->mask), walked;
    const DmarMem mem = { &dmar_guest_mem_ops, s };
    const DmarRequest req = {
        .addr = addr, .sid = sid, .pasid = DMAR_NO_PASID,
        .type = DMAR_REQ_UNTRANSLATED, .is_write = is_write,
    };
    int walked_perm;
    bool ok;

    ok = dmar_context_lookup(&s->hw, s->root & R_RTADDR_RTA_MASK, sid,
                             &mem, &ctx, &f) &&
         dmar_translate(&s->hw, &ctx, &req, &mem, &t, &f);
    walked = ok ? t.pa + (addr & t.mask) : 0;
    walked_perm = ok ? t.perm : 0;
    if (ok && walked == cached && (t.perm & hit->perm) == hit->perm) {
        return;
    }
    trace_dmar_stale_hit(sid, addr, cached, hit->perm, walked, walked_perm,
                         ok ? 0 : f.fr);
    qemu_log_mask(LOG_GUEST_ERROR, "vtd-dmar: sid %02x:%02x.%x %s 0x%" PRIx64
                  " used a stale IOTLB entry (pa 0x%" PRIx64 " perm %d); the "
                  "tables say %s 0x%" PRIx64 " perm %d\n", sid >> 8,
                  PCI_SLOT(sid & 0xff), PCI_FUNC(sid & 0xff),
                  is_write ? "write" : "read", addr, cached, hit->perm,
                  ok ? "pa" : "fault", ok ? walked : f.fr, walked_perm);
}

static IOMMUTLBEntry dmar_translate_cb(IOMMUMemoryRegion *iommu, hwaddr addr,
                                       IOMMUAccessFlags flag, int iommu_idx)
{
    DmarDevAS *das = container_of(iommu, DmarDevAS, iommu);
    DmarState *s = das->unit;
    uint16_t sid = dmar_das_sid(das);
    const DmarCacheKey key = { sid, DMAR_NO_PASID, DMAR_STAGE_SECOND };
    bool is_write = flag & IOMMU_WO;
    uint8_t need = flag & IOMMU_RW;
    IOMMUTLBEntry r = {
        .target_as = &s->downstream_as,
        .iova = addr & ~(DMAR_PAGE_SIZE - 1),
        .addr_mask = DMAR_PAGE_SIZE - 1,
        .perm = IOMMU_NONE,
    };
    DmarTranslation t;
    DmarFault f;
    bool ok, hit, send = false;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        if (!(dmar_get32(s, A_GSTS) & R_GSTS_TES_MASK)) {
            /* Translation off (a switch in flight): DMA is untranslated. */
            r.translated_addr = r.iova;
            r.perm = IOMMU_RW;
            return r;
        }
        ok = hit = dmar_iotlb_lookup(&s->iotlb, &key, addr, &t) &&
                   (t.perm & need) == need;
        if (hit && s->verify_iotlb) {
            verify_hit_locked(s, sid, addr, is_write, &t);
        }
        if (!ok) {
            ok = translate_miss_locked(s, das, addr, is_write, &t, &f);
            if (!ok && flag != IOMMU_NONE) {
                dmar_report_fault_locked(s, &f, &send);
            }
        }
        /*
         * x-dma-blocks: a long DMA over contiguous pages goes through in
         * one piece (one host mapping, one I/O vector). Not when someone
         * keeps what we return (IOMMU notifiers: vhost's device IOTLB):
         * the invalidations they hear of are per page. Not under
         * x-verify-iotlb either, which checks every page a DMA uses.
         */
        if (ok && s->dma_blocks && !s->verify_iotlb &&
            QLIST_EMPTY(&iommu->iommu_notify)) {
            dmar_iotlb_extend(&s->iotlb, &key, need, DMAR_EXTEND_ORDER, &t);
        }
    }
    if (send) {
        dmar_send_msi(s, A_FEADDR, A_FEDATA);
    }
    if (ok) {
        r.iova = t.iova;
        r.translated_addr = t.pa;
        r.addr_mask = t.mask;
        r.perm = t.perm;    /* DMAR_PERM_R/W match IOMMU_RO/WO */
    }
    trace_dmar_translate(sid, addr,
                         ok ? r.translated_addr | (addr & r.addr_mask) : 0,
                         r.addr_mask, r.perm, ok, hit);
    return r;
}

static int dmar_notify_flag_changed(IOMMUMemoryRegion *iommu,
                                    IOMMUNotifierFlag old,
                                    IOMMUNotifierFlag new, Error **errp)
{
    DmarDevAS *das = container_of(iommu, DmarDevAS, iommu);
    DmarState *s = das->unit;

    /* Shadowing mappings needs caching mode and notifiers (later issue). */
    if (new & IOMMU_NOTIFIER_MAP) {
        error_setg(errp, "vtd-dmar: device %02x.%x needs MAP notifications,"
                   " which this unit does not provide yet",
                   PCI_SLOT(das->devfn), PCI_FUNC(das->devfn));
        return -EINVAL;
    }
    /* vhost then falls back to UNMAP notifications, which we send. */
    if (new & IOMMU_NOTIFIER_DEVIOTLB_UNMAP) {
        error_setg(errp, "vtd-dmar: device %02x.%x asks for device-IOTLB "
                   "invalidations, but this unit has no device-TLBs "
                   "(ECAP.DT=0); use UNMAP notifications",
                   PCI_SLOT(das->devfn), PCI_FUNC(das->devfn));
        return -EINVAL;
    }
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
                             uint64_t last)
{
    DmarUnmap *prev = s->unmap_pending->len ?
        &g_array_index(s->unmap_pending, DmarUnmap,
                       s->unmap_pending->len - 1) : NULL;

    if (s->unmap_all) {
        return;
    }
    /* Runs of page invalidations of one device coalesce. */
    if (prev && prev->das == das && first <= prev->last + 1 &&
        last + 1 >= prev->first) {
        prev->first = MIN(prev->first, first);
        prev->last = MAX(prev->last, last);
        return;
    }
    if (s->unmap_pending->len >= DMAR_UNMAP_PENDING_MAX) {
        /* Invalidating more is always allowed: bound the work and memory */
        s->unmap_all = true;
        g_array_set_size(s->unmap_pending, 0);
        return;
    }
    g_array_append_val(s->unmap_pending,
                       ((DmarUnmap) { das, first, last }));
}

void dmar_unmap_all_locked(DmarState *s, bool iotlb_dropped)
{
    DmarDevAS *das;

    if (iotlb_dropped) {
        QLIST_FOREACH(das, &s->unmap_list, unmap_next) {
            das->did = DMAR_DAS_DID_NONE;
        }
    }
    if (!QLIST_EMPTY(&s->unmap_list)) {
        s->unmap_all = true;
        g_array_set_size(s->unmap_pending, 0);
    }
}

void dmar_unmap_sid_locked(DmarState *s, uint16_t sid, uint16_t sid_mask)
{
    DmarDevAS *das;

    QLIST_FOREACH(das, &s->unmap_list, unmap_next) {
        if ((dmar_das_sid(das) & sid_mask) == (sid & sid_mask)) {
            /* The device's IOTLB entries were dropped with its context */
            das->did = DMAR_DAS_DID_NONE;
            unmap_add_locked(s, das, 0, das_last_iova(s));
        }
    }
}

void dmar_unmap_did_locked(DmarState *s, uint16_t did, uint64_t first,
                           uint64_t last)
{
    DmarDevAS *das;

    if (first > das_last_iova(s)) {
        return;
    }
    QLIST_FOREACH(das, &s->unmap_list, unmap_next) {
        if (das->did == did || das->did == DMAR_DAS_DID_MIXED) {
            unmap_add_locked(s, das, first, MIN(last, das_last_iova(s)));
        }
    }
}

bool dmar_unmap_pending_locked(DmarState *s)
{
    return s->unmap_all || s->unmap_pending->len;
}

/*
 * Tell DAS's UNMAP notifiers that [FIRST, LAST] is gone: each notifier
 * hears the part inside its own range (the interrupt window splits the
 * region in two), in naturally aligned blocks.
 */
static void das_unmap(DmarState *s, DmarDevAS *das, uint64_t first,
                      uint64_t last)
{
    IOMMUNotifier *n;

    IOMMU_NOTIFIER_FOREACH(n, &das->iommu) {
        uint64_t lo = MAX(first, n->start), hi = MIN(last, n->end);

        if (!(n->notifier_flags & IOMMU_NOTIFIER_UNMAP)) {
            continue;
        }
        /* hi < 2^aw-bits: no sum below wraps */
        while (lo <= hi) {
            unsigned order = MIN(lo ? ctz64(lo) : 63, 63 - clz64(hi - lo + 1));
            IOMMUTLBEvent ev = {
                .type = IOMMU_NOTIFIER_UNMAP,
                .entry = {
                    .target_as = &s->downstream_as,
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

void dmar_unmap_flush(DmarState *s)
{
    g_autoptr(GArray) pending = g_array_new(false, false, sizeof(DmarUnmap));
    bool all;
    DmarDevAS *das;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        GArray *t = s->unmap_pending;

        s->unmap_pending = pending;
        pending = t;
        all = s->unmap_all;
        s->unmap_all = false;
    }
    if (all) {
        QLIST_FOREACH(das, &s->unmap_list, unmap_next) {
            das_unmap(s, das, 0, das_last_iova(s));
        }
        return;
    }
    for (guint i = 0; i < pending->len; i++) {
        DmarUnmap *u = &g_array_index(pending, DmarUnmap, i);

        /* A device whose notifiers went meanwhile has nothing to hear. */
        if (u->das->has_unmap) {
            das_unmap(s, u->das, u->first, u->last);
        }
    }
}

/*
 * Untranslated DMA above the host address width (the platform's physical
 * address width, not aw-bits). With translation enabled this is a
 * pass-through context: VT-d §7.1.3 reason 4h applies with X = HAW. With
 * translation disabled nothing is checked; there is no memory there.
 */
static MemTxResult dmar_beyond_access(DmarDevAS *das, hwaddr off,
                                      bool is_write)
{
    DmarState *s = das->unit;
    DmarFault f = { .fr = DMAR_FR_ADDR_BEYOND_AGAW, .sid = dmar_das_sid(das),
                    .addr = (1ull << s->hw.haw) + off, .is_write = is_write };
    const DmarMem mem = { &dmar_guest_mem_ops, s };
    DmarContext ctx;
    DmarFault ignore;
    bool send = false;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        if (dmar_get32(s, A_GSTS) & R_GSTS_TES_MASK) {
            f.fpd = dmar_context_lookup(&s->hw, s->root & R_RTADDR_RTA_MASK,
                                        f.sid, &mem, &ctx, &ignore) &&
                    ctx.fpd;
            dmar_report_fault_locked(s, &f, &send);
        }
    }
    if (send) {
        dmar_send_msi(s, A_FEADDR, A_FEDATA);
    }
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

/* Does SID's context say "pass-through"? Reads the tables, no caching. */
static bool das_passthrough(DmarState *s, DmarDevAS *das)
{
    const DmarMem mem = { &dmar_guest_mem_ops, s };
    DmarContext ctx;
    DmarFault f;

    QEMU_LOCK_GUARD(&s->lock);
    if (!(dmar_get32(s, A_GSTS) & R_GSTS_TES_MASK)) {
        return true;
    }
    return dmar_context_lookup(&s->hw, s->root & R_RTADDR_RTA_MASK,
                               dmar_das_sid(das), &mem, &ctx, &f) &&
           ctx.tt == DMAR_TT_PASSTHROUGH;
}

static void das_switch(DmarState *s, DmarDevAS *das)
{
    bool translated = !das_passthrough(s, das);

    if (translated == das->translated) {
        return;
    }
    das->translated = translated;
    memory_region_transaction_begin();
    memory_region_set_enabled(MEMORY_REGION(&das->iommu), translated);
    memory_region_set_enabled(&das->nodmar, !translated);
    memory_region_set_enabled(&das->beyond, !translated);
    memory_region_transaction_commit();
    trace_dmar_switch_as(dmar_das_sid(das), translated);
}

void dmar_update_address_spaces(DmarState *s)
{
    GHashTableIter it;
    DmarDevAS *das;

    g_hash_table_iter_init(&it, s->dev_as);
    while (g_hash_table_iter_next(&it, NULL, (void **)&das)) {
        das_switch(s, das);
    }
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
                          "vtd-dmar-beyond", -(1ull << s->hw.haw));
    memory_region_add_subregion_overlap(&das->root, 1ull << s->hw.haw,
                                        &das->beyond, 0);
    memory_region_set_enabled(MEMORY_REGION(&das->iommu), false);
    address_space_init(&das->as, &das->root, name);
    return das;
}

static AddressSpace *dmar_get_address_space(PCIBus *bus, void *opaque,
                                            int devfn)
{
    DmarState *s = opaque;
    DasKey key = { .bus = bus, .devfn = devfn };
    DmarDevAS *das = g_hash_table_lookup(s->dev_as, &key);
    g_autofree char *name = NULL;

    if (das) {
        return &das->as;
    }
    name = g_strdup_printf("vtd-dmar-%02x.%x", PCI_SLOT(devfn),
                           PCI_FUNC(devfn));
    das = das_new(s, bus, devfn, 0, name);
    g_hash_table_insert(s->dev_as, g_memdup2(&key, sizeof(key)), das);
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
    { "scalable-mode", "x-scalable-mode",
      "scalable-mode translation (ECAP.SMTS)" },
    { "fsts", "x-flts", "first-stage translation (ECAP.FSTS)" },
    { "pasid-bits", NULL, "PASID support (ECAP.PASID)" },
    { "x-pasid-mode", NULL, "PASID support (ECAP.PASID)" },
    { "svm", NULL,
      "shared virtual memory (SVM: PASID, PRI, first-stage translation)" },
    { "device-iotlb", NULL, "device-TLB support (ECAP.DT, ATS)" },
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
    if (s->aw_bits != 39 && s->aw_bits != 48 && s->aw_bits != 57) {
        error_setg(errp, "aw-bits must be 39, 48 or 57 (got %u)", s->aw_bits);
        return false;
    }
    if (s->nfr < 1 || s->nfr > DMAR_NFR_MAX) {
        error_setg(errp, "nfr must be 1..%d (got %u)", DMAR_NFR_MAX, s->nfr);
        return false;
    }
    if (s->iotlb_entries < DMAR_CACHE_WAYS ||
        s->iotlb_entries > DMAR_CACHE_MAX_ENTRIES ||
        s->ctx_entries < DMAR_CACHE_WAYS ||
        s->ctx_entries > DMAR_CACHE_MAX_ENTRIES) {
        error_setg(errp, "iotlb-entries and ctx-entries must be %d..%u",
                   DMAR_CACHE_WAYS, DMAR_CACHE_MAX_ENTRIES);
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
static bool dmar_decide_eim(DmarState *s, Error **errp)
{
    X86IOMMUState *x86 = X86_IOMMU_DEVICE(s);

    s->eim_on = x86_iommu_ir_supported(x86) &&
                (s->eim == ON_OFF_AUTO_ON ||
                 (s->eim == ON_OFF_AUTO_AUTO && dmar_cpus_have_x2apic()));
    /* Without CONFIG_KVM, kvm_irqchip_is_split() is a constant false. */
    if (s->eim_on && kvm_irqchip_is_split() && !kvm_enable_x2apic()) {
        if (s->eim == ON_OFF_AUTO_ON) {
            error_setg(errp, "vtd-dmar: eim=on needs KVM's x2APIC API "
                       "(KVM_CAP_X2APIC_API) with kernel-irqchip=split");
            return false;
        }
        s->eim_on = false;
    }
    return true;
}

static void dmar_realize(DeviceState *dev, Error **errp)
{
    DmarState *s = VTD_DMAR(dev);
    X86IOMMUState *x86 = X86_IOMMU_DEVICE(dev);

    if (!dmar_check_props(s, errp)) {
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
    /*
     * HAW, the host address width, is the platform's physical address
     * width: what the DMAR table reports, where table pointers and output
     * addresses end, and how far untranslated DMA reaches. aw-bits is the
     * guest (input) address width, CAP.MGAW. SAGAW: every table depth up
     * to aw-bits (bit n: 30 + 9n bits); none with dma-translation=off, so
     * that every context entry asking for translation is invalid (0x3)
     * while pass-through ones still work (see docs/vtd-dmar.rst).
     */
    s->hw = (DmarHwConfig) {
        .haw = dmar_platform_haw(),
        .sagaw = !s->dma_translation ? 0 :
                 s->aw_bits >= 57 ? 0xe : s->aw_bits >= 48 ? 0x6 : 0x2,
        .sllps = 0x3,
        .pt = x86->pt_supported,
        .dt = false,
        .sc = s->snoop_control,
        .stale_tm = s->stale_tm,
    };
    dmar_hw_config_init(&s->hw);
    if (!dmar_decide_eim(s, errp)) {
        return;
    }

    qemu_mutex_init(&s->lock);
    /* A long invalidation queue goes on here, and when the VM runs again */
    s->qi_bh = qemu_bh_new_guarded(dmar_qi_bh, s,
                                   &DEVICE(s)->mem_reentrancy_guard);
    qemu_add_vm_change_state_handler(dmar_qi_vm_state_change, s);
    dmar_iotlb_init(&s->iotlb, s->iotlb_entries);
    dmar_ctx_cache_init(&s->ctx_cache, s->ctx_entries);
    s->flog = (DmarFaultLog) {
        .regs = s->regs, .fro = DMAR_FRO_OFFSET, .nfr = s->nfr,
    };
    s->mmio_size = ROUND_UP(DMAR_FRO_OFFSET + s->nfr * DMAR_FRCD_SIZE,
                            0x1000);
    memory_region_init_io(&s->mmio, OBJECT(s), &dmar_mmio_ops, s,
                          "vtd-dmar", s->mmio_size);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->mmio);

    address_space_init(&s->downstream_as, s->downstream, "vtd-dmar-downstream");
    /* Untranslated DMA reaches downstream below 2^HAW (see beyond) */
    memory_region_init_alias(&s->nodmar_mr, OBJECT(s), "vtd-dmar-nodmar",
                             s->downstream, 0,
                             MIN(memory_region_size(s->downstream),
                                 1ull << s->hw.haw));
    s->dev_as = g_hash_table_new_full(das_hash, das_equal, g_free, g_free);
    QLIST_INIT(&s->unmap_list);
    s->unmap_pending = g_array_new(false, false, sizeof(DmarUnmap));
    dmar_regs_reset(s);
    pci_setup_iommu(s->pci_bus, &dmar_pci_iommu_ops, s);
}

/* Registers, caches and address spaces as after reset (BQL held). */
static void dmar_reset_state(DmarState *s)
{
    WITH_QEMU_LOCK_GUARD(&s->lock) {
        dmar_regs_reset(s);
        dmar_inv_all_locked(s);
        dmar_irta_latch_locked(s);
    }
    dmar_run_actions(s, DMAR_ACT_UNMAP | DMAR_ACT_SWITCH_AS);
}

/*
 * Reset in the exit phase: devices behind the unit have stopped their
 * DMA by then, and the address-space switch needs no other device state.
 */
static void dmar_reset_exit(Object *obj, ResetType type)
{
    dmar_reset_state(VTD_DMAR(obj));
}

/*
 * Why the state just loaded is one this unit cannot be in, or NULL. Every
 * value used later as an index, shift or size is checked (IQA.QS and
 * IRTA.S are bounded by their width), and so is what only the unit
 * writes: latched pointers, status bits, the records past nfr.
 */
static const char *dmar_stream_error(DmarState *s)
{
    uint32_t fsts = dmar_get32(s, A_FSTS);
    uint32_t gsts = dmar_get32(s, A_GSTS);
    uint64_t iqa = dmar_get64(s, A_IQA);
    uint64_t iqh = dmar_get64(s, A_IQH);
    uint32_t entries = 1u << (FIELD_EX64(iqa, IQA, QS) + 8);
    bool ir = FIELD_EX64(dmar_get64(s, A_ECAP), ECAP, IR);
    uint32_t gsts_ok = R_GSTS_TES_MASK | R_GSTS_RTPS_MASK | R_GSTS_QIES_MASK |
                       (ir ? R_GSTS_IRTPS_MASK | R_GSTS_IRES_MASK |
                             R_GSTS_CFIS_MASK : 0);
    uint64_t irta_ok = (R_IRTA_IRTA_MASK & MAKE_64BIT_MASK(0, s->hw.haw)) |
                       R_IRTA_S_MASK | (s->eim_on ? R_IRTA_EIME_MASK : 0);
    uint32_t frcd_end = DMAR_FRO_OFFSET + s->nfr * DMAR_FRCD_SIZE;

    /* The stream must come from a unit configured like this one. */
    if (dmar_get64(s, A_CAP) != dmar_cap_value(s) ||
        dmar_get64(s, A_ECAP) != dmar_ecap_value(s)) {
        return "CAP/ECAP differ: the source was configured differently";
    }
    /* Fault recording: indices below nfr, no record past them. */
    if (s->flog.next >= s->nfr) {
        return "next fault record beyond nfr";
    }
    if (FIELD_EX32(fsts, FSTS, FRI) >= s->nfr) {
        return "FSTS.FRI beyond nfr";
    }
    if (!buffer_is_zero(s->regs + frcd_end, sizeof(s->regs) - frcd_end)) {
        return "fault recording registers past nfr";
    }
    /* Only offered commands report status; SRTP/SIRTP latch as masked. */
    if (gsts & ~gsts_ok) {
        return "GSTS reports a command not offered";
    }
    if ((s->root & ~R_RTADDR_RTA_MASK) ||
        (s->root && !(gsts & R_GSTS_RTPS_MASK))) {
        return "root table pointer SRTP cannot have latched";
    }
    if ((s->irta_raw & ~irta_ok) ||
        (s->irta_raw && !(gsts & R_GSTS_IRTPS_MASK))) {
        return "interrupt remapping table pointer SIRTP cannot have latched";
    }
    /*
     * Queue: IQH addresses guest memory, so it must be inside the queue.
     * IQT is checked where it is used (software may write any value).
     */
    if (iqa & ~((R_IQA_IQA_MASK & MAKE_64BIT_MASK(0, s->hw.haw)) |
                R_IQA_DW_MASK | R_IQA_QS_MASK)) {
        return "IQA reserved bits, or base bits beyond the address width";
    }
    if ((iqh & ~R_IQH_QH_MASK) || FIELD_EX64(iqh, IQH, QH) >= entries) {
        return "IQH outside the queue";
    }
    if (dmar_get64(s, A_IQT) & ~R_IQT_QT_MASK) {
        return "IQT reserved bits";
    }
    /* Register-based invalidations complete within their write. */
    if (FIELD_EX64(dmar_get64(s, A_CCMD), CCMD, ICC) ||
        FIELD_EX64(dmar_get64(s, A_IOTLB), IOTLB, IVT)) {
        return "an invalidation still in progress";
    }
    return NULL;
}

static int dmar_post_load(void *opaque, int version_id)
{
    DmarState *s = opaque;
    const char *why = dmar_stream_error(s);

    if (why) {
        /* post_load has no Error ** here; savevm names the device too */
        error_report("vtd-dmar: migration stream refused: %s", why);
        /* Keep nothing of it, should the machine be resumed after all. */
        dmar_reset_state(s);
        return -EINVAL;
    }
    /* Caches start empty, as after any invalidation. */
    dmar_iotlb_flush_all(&s->iotlb);
    dmar_ctx_cache_flush_all(&s->ctx_cache);
    dmar_irta_from_raw(s);
    dmar_update_address_spaces(s);
    return 0;
}

static const VMStateDescription vmstate_dmar = {
    .name = "vtd-dmar",
    .version_id = 1,
    .minimum_version_id = 1,
    .priority = MIG_PRI_IOMMU,
    .post_load = dmar_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8_ARRAY(regs, DmarState, DMAR_REGS_MAX),
        VMSTATE_UINT64(root, DmarState),
        VMSTATE_UINT32(flog.next, DmarState),
        VMSTATE_UINT64(irta_raw, DmarState),
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
    /* Off: with it, TCG guests hit a QEMU 10.0 race (docs/vtd-dmar.rst). */
    DEFINE_PROP_BOOL("x-dma-blocks", DmarState, dma_blocks, false),
    /* Off: CAP.SAGAW 0, no context entry may translate (IR only) */
    DEFINE_PROP_BOOL("dma-translation", DmarState, dma_translation, true),
    /* ECAP.SC: SNP (bit 11) of a leaf entry is allowed, not reserved */
    DEFINE_PROP_BOOL("snoop-control", DmarState, snoop_control, false),
    /* TM (bit 62) of a leaf entry allowed with device-TLBs (device-iotlb) */
    DEFINE_PROP_BOOL("stale-tm", DmarState, stale_tm, false),
    /* intel-iommu's: no effect, VER reads 0x41 (a warning when set) */
    DEFINE_PROP_UINT32("version", DmarState, version, 0),
    /* intel-iommu 10.0's EIM workaround: no effect (a warning when on) */
    DEFINE_PROP_BOOL("x-buggy-eim", DmarState, buggy_eim, false),
    /* First-stage 1 GiB pages (CAP.FS1GP): only with fsts, refused */
    DEFINE_PROP_BOOL("fs1gp", DmarState, fs1gp, true),
    /* Not implemented yet: refused unless off/0 (dmar_missing[]) */
    DEFINE_PROP_BOOL("scalable-mode", DmarState, scalable_mode, false),
    DEFINE_PROP_BOOL("fsts", DmarState, fsts, false),
    DEFINE_PROP_UINT8("pasid-bits", DmarState, pasid_bits, 0),
    DEFINE_PROP_BOOL("x-pasid-mode", DmarState, pasid_mode, false),
    DEFINE_PROP_BOOL("svm", DmarState, svm, false),
    /* Set by the board: the PCI bus whose DMA the unit remaps */
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
