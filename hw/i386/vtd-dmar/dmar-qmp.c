/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar: what the monitor sees of the unit. query-vtd-dmar and HMP
 * "info vtd-dmar" (registers decoded, the queue, the fault records, cache
 * statistics), x-vtd-dmar-translate and HMP "vtd-dmar-translate" (a walk
 * of the guest's tables that changes nothing), and the VTD_DMAR_FAULT
 * event. The schema is qapi/vtd-dmar-target.json (patches/0006).
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vtd-dmar-target.h"
#include "qapi/qapi-events-vtd-dmar-target.h"
#include "qobject/qdict.h"
#include "qemu/lockable.h"
#include "qemu/main-loop.h"
#include "qemu/cutils.h"
#include "qemu/timer.h"
#include "monitor/hmp.h"
#include "monitor/hmp-target.h"
#include "monitor/monitor.h"
#include "hw/pci/pci_device.h"
#include "hw/sysbus.h"
#include "system/qtest.h"
#include "dmar-internal.h"
#include "trace.h"

/* ---- the fault event ---- */

/* The same fault: the same request to the same page, the same reason */
static bool dmar_same_fault(const DmarFault *a, const DmarFault *b)
{
    return a->fr == b->fr && a->sid == b->sid && a->is_write == b->is_write &&
           a->fpd == b->fpd && a->pasid_valid == b->pasid_valid &&
           a->pasid == b->pasid &&
           (a->addr >> DMAR_PAGE_SHIFT) == (b->addr >> DMAR_PAGE_SHIFT);
}

/*
 * Called with @lock held for every fault the unit reports. One blocked
 * DMA is many faults (QEMU retries it 4 bytes at a time), which the
 * fault log collapses into one record; so do the events. A fault that
 * is pending in a record already had its event. One that is not recorded
 * (FPD, or the log full) has an event unless it repeats the fault of the
 * previous event within a second. And a guest can fault at any rate, so
 * at most DMAR_FAULT_EVENTS_PER_S per second are queued (the rest are
 * counted). A bottom half sends them: the event names the device, which
 * takes the BQL to find.
 */
void dmar_qmp_fault_locked(DmarState *s, const DmarFault *f,
                           DmarFaultOutcome outcome)
{
    /* QEMU's monitor tests its own rate limits on the qtest clock too */
    int64_t now = qemu_clock_get_ns(qtest_enabled() ? QEMU_CLOCK_VIRTUAL :
                                                      QEMU_CLOCK_REALTIME);
    bool recorded = outcome == DMAR_FAULT_OUT_RECORDED;
    DmarFaultEvent ev = { .f = *f, .recorded = recorded };
    bool send;

    if (outcome == DMAR_FAULT_OUT_PENDING ||
        (!recorded && s->fault_last.fr && dmar_same_fault(&s->fault_last, f) &&
         now - s->fault_last_time < NANOSECONDS_PER_SECOND)) {
        trace_dmar_fault_event(f->sid, f->fr, recorded, false);
        return;
    }
    s->fault_last = *f;
    s->fault_last_time = now;

    if (!s->fault_window_sent ||
        now - s->fault_window >= NANOSECONDS_PER_SECOND) {
        s->fault_window = now;
        s->fault_window_sent = 0;
    }
    send = s->fault_window_sent < DMAR_FAULT_EVENTS_PER_S &&
           s->fault_events->len < DMAR_FAULT_EVENTS_QUEUED_MAX;
    trace_dmar_fault_event(f->sid, f->fr, recorded, send);
    if (!send) {
        s->fault_events_suppressed++;
        s->fault_suppressed_since++;
        return;
    }
    s->fault_window_sent++;
    s->fault_events_sent++;
    ev.suppressed = s->fault_suppressed_since;
    s->fault_suppressed_since = 0;
    g_array_append_val(s->fault_events, ev);
    qemu_bh_schedule(s->fault_bh);
}

static char *dmar_bdf(uint16_t sid)
{
    return g_strdup_printf("%02x:%02x.%x", sid >> 8, PCI_SLOT(sid & 0xff),
                           PCI_FUNC(sid & 0xff));
}

static void dmar_fault_bh(void *opaque)
{
    DmarState *s = opaque;
    g_autofree char *path = object_get_canonical_path(OBJECT(s));
    g_autoptr(GArray) evs = NULL;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        evs = s->fault_events;
        s->fault_events = g_array_new(false, false, sizeof(DmarFaultEvent));
    }
    for (guint i = 0; i < evs->len; i++) {
        DmarFaultEvent *e = &g_array_index(evs, DmarFaultEvent, i);
        const DmarFault *f = &e->f;
        PCIDevice *pdev = pci_find_device(s->pci_bus, f->sid >> 8,
                                          f->sid & 0xff);
        g_autofree char *dev = pdev ? object_get_canonical_path(OBJECT(pdev))
                                    : NULL;
        g_autofree char *bdf = dmar_bdf(f->sid);

        qapi_event_send_vtd_dmar_fault(path, f->sid, bdf, dev,
                                       f->pasid_valid, f->pasid, f->addr,
                                       f->is_write ? VTD_DMAR_ACCESS_WRITE :
                                                     VTD_DMAR_ACCESS_READ,
                                       dmar_fr_is_ir(f->fr), f->fr,
                                       dmar_fault_reason_name(f->fr),
                                       f->level != 0, f->level, f->fpd,
                                       e->recorded, e->suppressed);
    }
}

void dmar_qmp_init(DmarState *s)
{
    s->fault_events = g_array_new(false, false, sizeof(DmarFaultEvent));
    s->fault_bh = qemu_bh_new(dmar_fault_bh, s);
}

/* ---- finding units and devices ---- */

/*
 * NAME: an id or a QOM path; NULL: the unit that covers the requester
 * SID (each unit covers its own root bus; the first listed, the rest).
 */
static DmarState *dmar_find_unit(const char *name, uint16_t sid,
                                 Error **errp)
{
    g_autoptr(GSList) units = NULL;
    DeviceState *dev;
    Object *obj;

    if (name) {
        obj = object_resolve_path_type(name, TYPE_VTD_DMAR, NULL);
        if (obj) {
            return VTD_DMAR(obj);
        }
        dev = qdev_find_recursive(sysbus_get_default(), name);
        if (dev && object_dynamic_cast(OBJECT(dev), TYPE_VTD_DMAR)) {
            return VTD_DMAR(dev);
        }
        error_setg(errp, "no vtd-dmar unit '%s'", name);
        return NULL;
    }
    units = dmar_units();
    if (!units) {
        error_setg(errp, "there is no vtd-dmar unit");
        return NULL;
    }
    return dmar_sid_unit(units->data, sid);
}

/* "bb:dd.f", with an optional "0000:" domain. */
static bool dmar_parse_bdf(const char *s, uint16_t *sid)
{
    unsigned bus, dev, fn;
    int n = -1;

    if (g_str_has_prefix(s, "0000:")) {
        s += 5;
    }
    if (sscanf(s, "%2x:%2x.%1x%n", &bus, &dev, &fn, &n) != 3 ||
        n != strlen(s) || dev > 0x1f || fn > 7) {
        return false;
    }
    *sid = bus << 8 | PCI_DEVFN(dev, fn);
    return true;
}

/* The source-id the unit sees for DEVICE (id, QOM path or bb:dd.f). */
static bool dmar_device_sid(const char *device, uint16_t *sid, Error **errp)
{
    Object *obj;

    if (dmar_parse_bdf(device, sid)) {
        return true;
    }
    obj = object_resolve_path_type(device, TYPE_PCI_DEVICE, NULL);
    if (!obj) {
        obj = OBJECT(qdev_find_recursive(sysbus_get_default(), device));
    }
    if (!obj || !object_dynamic_cast(obj, TYPE_PCI_DEVICE)) {
        error_setg(errp, "'%s' is not a PCI device, nor bus:device.function",
                   device);
        return false;
    }
    /* What it sends as requester (a bridge's, behind a PCIe-PCI bridge) */
    *sid = pci_requester_id(PCI_DEVICE(obj));
    return true;
}

/* ---- query-vtd-dmar ---- */

typedef struct DmarFieldDesc {
    const char *name;
    uint8_t shift, length;
} DmarFieldDesc;

#define DMAR_FIELD(reg, f) \
    { #f, R_##reg##_##f##_SHIFT, R_##reg##_##f##_LENGTH }

static const DmarFieldDesc dmar_cap_fields[] = {
    DMAR_FIELD(CAP, ND), DMAR_FIELD(CAP, AFL), DMAR_FIELD(CAP, RWBF),
    DMAR_FIELD(CAP, PLMR), DMAR_FIELD(CAP, PHMR), DMAR_FIELD(CAP, CM),
    DMAR_FIELD(CAP, SAGAW), DMAR_FIELD(CAP, MGAW), DMAR_FIELD(CAP, ZLR),
    DMAR_FIELD(CAP, FRO), DMAR_FIELD(CAP, SLLPS), DMAR_FIELD(CAP, PSI),
    DMAR_FIELD(CAP, NFR), DMAR_FIELD(CAP, MAMV), DMAR_FIELD(CAP, DWD),
    DMAR_FIELD(CAP, DRD), DMAR_FIELD(CAP, FL1GP), DMAR_FIELD(CAP, PI),
    DMAR_FIELD(CAP, FL5LP), DMAR_FIELD(CAP, ESIRTPS), DMAR_FIELD(CAP, ESRTPS),
};

static const DmarFieldDesc dmar_ecap_fields[] = {
    DMAR_FIELD(ECAP, C), DMAR_FIELD(ECAP, QI), DMAR_FIELD(ECAP, DT),
    DMAR_FIELD(ECAP, IR), DMAR_FIELD(ECAP, EIM), DMAR_FIELD(ECAP, PT),
    DMAR_FIELD(ECAP, SC), DMAR_FIELD(ECAP, IRO), DMAR_FIELD(ECAP, MHMV),
    DMAR_FIELD(ECAP, NEST), DMAR_FIELD(ECAP, PRS), DMAR_FIELD(ECAP, ERS),
    DMAR_FIELD(ECAP, SRS), DMAR_FIELD(ECAP, NWFS), DMAR_FIELD(ECAP, EAFS),
    DMAR_FIELD(ECAP, PSS), DMAR_FIELD(ECAP, PASID), DMAR_FIELD(ECAP, DIT),
    DMAR_FIELD(ECAP, PDS), DMAR_FIELD(ECAP, SMTS), DMAR_FIELD(ECAP, VCS),
    DMAR_FIELD(ECAP, SLADS), DMAR_FIELD(ECAP, SLTS), DMAR_FIELD(ECAP, FLTS),
    DMAR_FIELD(ECAP, SMPWCS), DMAR_FIELD(ECAP, RPS),
};

static VtdDmarFieldList *dmar_decode(uint64_t val, const DmarFieldDesc *d,
                                     size_t n)
{
    VtdDmarFieldList *head = NULL, **tail = &head;

    for (size_t i = 0; i < n; i++) {
        VtdDmarField *f = g_new0(VtdDmarField, 1);

        f->name = g_ascii_strdown(d[i].name, -1);
        f->value = extract64(val, d[i].shift, d[i].length);
        QAPI_LIST_APPEND(tail, f);
    }
    return head;
}

static VtdDmarCacheStats *dmar_cache_stats(const char *name,
                                           uint32_t entries,
                                           const DmarCacheStats *st)
{
    VtdDmarCacheStats *c = g_new0(VtdDmarCacheStats, 1);

    c->name = g_strdup(name);
    c->entries = entries;
    c->hits = st->hits;
    c->misses = st->misses;
    c->lookups = st->hits + st->misses;
    c->evictions = st->evictions;
    return c;
}

static VtdDmarFaultRecordList *dmar_fault_records(const DmarUnit *u)
{
    VtdDmarFaultRecordList *head = NULL, **tail = &head;

    for (uint32_t i = 0; i < u->cfg.nfr; i++) {
        uint32_t off = DMAR_FRO_OFFSET + i * DMAR_FRCD_SIZE;
        uint64_t lo = dmar_unit_get64(u, off);
        uint64_t hi = dmar_unit_get64(u, off + 8);
        VtdDmarFaultRecord *r;
        unsigned fr = FIELD_EX64(hi, FRCD_HI, FR);

        if (!FIELD_EX64(hi, FRCD_HI, F)) {
            continue;
        }
        r = g_new0(VtdDmarFaultRecord, 1);
        r->index = i;
        r->source_id = FIELD_EX64(hi, FRCD_HI, SID);
        r->bdf = dmar_bdf(r->source_id);
        r->reason = fr;
        r->reason_name = g_strdup(dmar_fault_reason_name(fr));
        r->address = lo & R_FRCD_LO_FI_MASK;
        r->access = FIELD_EX64(hi, FRCD_HI, T1) ? VTD_DMAR_ACCESS_READ :
                                                   VTD_DMAR_ACCESS_WRITE;
        r->interrupt = dmar_fr_is_ir(fr);
        r->has_pasid = FIELD_EX64(hi, FRCD_HI, PP);
        r->pasid = FIELD_EX64(hi, FRCD_HI, PV);
        QAPI_LIST_APPEND(tail, r);
    }
    return head;
}

/* IOTLB hits taken without the lock, counted per device */
static uint64_t dmar_shared_hits(DmarState *s)
{
    GHashTableIter it;
    DmarDevAS *das;
    uint64_t n = 0;

    g_hash_table_iter_init(&it, s->dev_as);
    while (g_hash_table_iter_next(&it, NULL, (void **)&das)) {
        n += qatomic_read_u64(&das->owner_hits) +
             qatomic_read_u64(&das->shared_hits);
    }
    return n;
}

static VtdDmarInfo *dmar_info(DmarState *s)
{
    VtdDmarInfo *info = g_new0(VtdDmarInfo, 1);
    VtdDmarQueueInfo *q = g_new0(VtdDmarQueueInfo, 1);
    VtdDmarCacheStatsList **ctail = &info->caches;
    const DmarUnit *u = &s->unit;
    uint64_t iqa, lock_free = dmar_shared_hits(s);
    DmarCacheStats iotlb;
    VtdDmarCacheStats *c;

    info->qom_path = object_get_canonical_path(OBJECT(s));
    info->id = g_strdup(DEVICE(s)->id);
    info->base = s->mmio.addr;
    if (s->primary_bus) {
        info->primary_bus = g_strdup(BUS(s->primary_bus)->name);
    }

    QEMU_LOCK_GUARD(&s->lock);
    info->version = dmar_unit_get32(u, A_VER);
    info->cap = dmar_unit_get64(u, A_CAP);
    info->cap_fields = dmar_decode(info->cap, dmar_cap_fields,
                                   ARRAY_SIZE(dmar_cap_fields));
    info->ecap = dmar_unit_get64(u, A_ECAP);
    info->ecap_fields = dmar_decode(info->ecap, dmar_ecap_fields,
                                    ARRAY_SIZE(dmar_ecap_fields));
    info->gsts = dmar_unit_get32(u, A_GSTS);
    info->translation = info->gsts & R_GSTS_TES_MASK;
    info->queued_invalidation = info->gsts & R_GSTS_QIES_MASK;
    info->interrupt_remapping = info->gsts & R_GSTS_IRES_MASK;
    info->x2apic_mode = info->interrupt_remapping && u->irta.eime;
    info->compat_format = info->gsts & R_GSTS_CFIS_MASK;
    info->scalable_mode = FIELD_EX64(u->root, RTADDR, TTM) == 1;
    info->first_stage = FIELD_EX64(info->ecap, ECAP, FLTS);
    info->second_stage = FIELD_EX64(info->ecap, ECAP, SMTS) ?
                         FIELD_EX64(info->ecap, ECAP, SLTS) :
                         FIELD_EX64(info->cap, CAP, SAGAW) != 0;
    info->caching_mode = FIELD_EX64(info->cap, CAP, CM);
    info->device_iotlb = FIELD_EX64(info->ecap, ECAP, DT);
    info->root_table = u->root;
    info->abort_dma_mode = FIELD_EX64(u->root, RTADDR, TTM) ==
                           DMAR_TTM_ABORT_DMA;
    info->irta = u->irta_raw;
    if (FIELD_EX64(info->cap, CAP, PLMR) || FIELD_EX64(info->cap, CAP, PHMR)) {
        uint32_t pmen = dmar_unit_get32(u, A_PMEN);

        info->pmr = g_new(VtdDmarPmrInfo, 1);
        *info->pmr = (VtdDmarPmrInfo) {
            .enabled = pmen & R_PMEN_EPM_MASK,
            .in_force = pmen & R_PMEN_PRS_MASK,
            .low_base = dmar_unit_get32(u, A_PLMBASE),
            .low_limit = dmar_unit_get32(u, A_PLMLIMIT),
            .high_base = dmar_unit_get64(u, A_PHMBASE),
            .high_limit = dmar_unit_get64(u, A_PHMLIMIT),
        };
    }

    iqa = dmar_unit_get64(u, A_IQA);
    q->enabled = info->queued_invalidation;
    q->address = iqa & R_IQA_IQA_MASK;
    q->descriptor_width = FIELD_EX64(iqa, IQA, DW) ? 256 : 128;
    /* 2^QS 4 KiB pages of 16- or 32-byte descriptors */
    q->entries = (DMAR_PAGE_SIZE << FIELD_EX64(iqa, IQA, QS)) /
                 (q->descriptor_width / 8);
    q->head = FIELD_EX64(dmar_unit_get64(u, A_IQH), IQH, QH) >>
              FIELD_EX64(iqa, IQA, DW);
    q->tail = FIELD_EX64(dmar_unit_get64(u, A_IQT), IQT, QT) >>
              FIELD_EX64(iqa, IQA, DW);
    info->fsts = dmar_unit_get32(u, A_FSTS);
    q->error = info->fsts & R_FSTS_IQE_MASK;
    q->error_info = dmar_unit_get64(u, A_IQERCD);
    q->runs = s->qi_runs;
    q->deferred_runs = s->qi_deferred_runs;
    q->drains_bql = s->drains_bql;
    q->drains_quiet = s->drains_quiet;
    q->drains_spared = s->drains_spared;
    q->drains_free = s->drains_free;
    q->drains_held = s->drains_held;
    q->drains_busy = s->drains_busy;
    q->drains_held_ns = s->drains_held_ns;
    q->bql_dma_holds = s->bql_dma_holds;
    info->queue = q;

    info->fault_records = dmar_fault_records(u);
    info->fault_events_sent = s->fault_events_sent;
    info->fault_events_suppressed = s->fault_events_suppressed;
    iotlb = u->iotlb.stats;
    iotlb.hits += lock_free;
    c = dmar_cache_stats("iotlb", dmar_iotlb_size(&u->iotlb), &iotlb);
    c->has_lock_free_hits = true;
    c->lock_free_hits = lock_free;
    QAPI_LIST_APPEND(ctail, c);
    QAPI_LIST_APPEND(ctail, dmar_cache_stats("context",
                                             DMAR_CACHE_WAYS <<
                                             u->ctx_cache.set_bits,
                                             &u->ctx_cache.stats));
    QAPI_LIST_APPEND(ctail, dmar_cache_stats("interrupt-entry",
                                             DMAR_IEC_ENTRIES,
                                             &u->iec_stats));
    return info;
}

VtdDmarInfoList *qmp_query_vtd_dmar(Error **errp)
{
    g_autoptr(GSList) units = dmar_units();
    VtdDmarInfoList *head = NULL, **tail = &head;

    for (GSList *l = units; l; l = l->next) {
        QAPI_LIST_APPEND(tail, dmar_info(VTD_DMAR(l->data)));
    }
    return head;
}

/* ---- x-vtd-dmar-translate ---- */

static const VtdDmarTable dmar_probe_table[] = {
    [DMAR_PROBE_ROOT] = VTD_DMAR_TABLE_ROOT,
    [DMAR_PROBE_CONTEXT] = VTD_DMAR_TABLE_CONTEXT,
    [DMAR_PROBE_SECOND_STAGE] = VTD_DMAR_TABLE_SECOND_STAGE,
};

static const VtdDmarTranslationMode dmar_probe_mode[] = {
    [DMAR_PROBE_UNTRANSLATED] = VTD_DMAR_TRANSLATION_MODE_UNTRANSLATED,
    [DMAR_PROBE_PASSTHROUGH] = VTD_DMAR_TRANSLATION_MODE_PASS_THROUGH,
    [DMAR_PROBE_TRANSLATED] = VTD_DMAR_TRANSLATION_MODE_TRANSLATED,
    [DMAR_PROBE_FAULT] = VTD_DMAR_TRANSLATION_MODE_FAULT,
    [DMAR_PROBE_INTERRUPT] = VTD_DMAR_TRANSLATION_MODE_INTERRUPT,
};

VtdDmarTranslation *qmp_x_vtd_dmar_translate(const char *unit,
                                             const char *device,
                                             bool has_source_id,
                                             uint16_t source_id,
                                             bool has_pasid, uint32_t pasid,
                                             uint64_t address,
                                             bool has_write, bool write,
                                             bool has_privileged,
                                             bool privileged,
                                             bool has_execute, bool execute,
                                             Error **errp)
{
    DmarState *s;
    DmarRequest req = {
        .addr = address, .pasid = has_pasid ? pasid : DMAR_NO_PASID,
        .type = DMAR_REQ_UNTRANSLATED, .is_write = has_write && write,
        .priv = has_privileged && privileged,
        .exec = has_execute && execute,
    };
    VtdDmarWalkStepList **tail;
    VtdDmarTranslation *r;
    DmarProbe p;

    if (!!device == has_source_id) {
        error_setg(errp, "give exactly one of 'device' and 'source-id'");
        return NULL;
    }
    if ((req.priv || req.exec) && !has_pasid) {
        error_setg(errp, "'privileged' and 'execute' need a 'pasid': "
                   "requests without PASID are user, read or write");
        return NULL;
    }
    if (device && !dmar_device_sid(device, &source_id, errp)) {
        return NULL;
    }
    s = dmar_find_unit(unit, source_id, errp);
    if (!s) {
        return NULL;
    }
    req.sid = source_id;
    WITH_QEMU_LOCK_GUARD(&s->lock) {
        dmar_unit_probe(&s->unit, &req, &p);
    }

    r = g_new0(VtdDmarTranslation, 1);
    r->mode = dmar_probe_mode[p.mode];
    tail = &r->steps;
    for (unsigned i = 0; i < p.nsteps; i++) {
        VtdDmarWalkStep *st = g_new0(VtdDmarWalkStep, 1);
        bool wide = p.step[i].table != DMAR_PROBE_SECOND_STAGE;

        st->table = dmar_probe_table[p.step[i].table];
        st->has_level = !wide;
        st->level = p.step[i].level;
        st->address = p.step[i].gpa;
        st->value = p.step[i].lo;
        st->has_value_high = wide;
        st->value_high = p.step[i].hi;
        QAPI_LIST_APPEND(tail, st);
    }
    r->has_domain_id = p.ctx_valid;
    r->domain_id = p.did;
    if (p.mode == DMAR_PROBE_FAULT) {
        r->has_reason = true;
        r->reason = p.fault.fr;
        r->reason_name = g_strdup(dmar_fault_reason_name(p.fault.fr));
        r->has_fault_level = p.fault.level != 0;
        r->fault_level = p.fault.level;
        r->has_fpd = true;
        r->fpd = p.fault.fpd;
        return r;
    }
    if (p.mode == DMAR_PROBE_INTERRUPT) {
        return r;
    }
    r->has_translated_address = true;
    r->translated_address = p.t.pa | (address & p.t.mask);
    r->has_page_size = p.mode == DMAR_PROBE_TRANSLATED;
    r->page_size = 1ull << (DMAR_PAGE_SHIFT + 9 * (p.page_level - 1));
    r->read = p.t.perm & DMAR_PERM_R;
    r->write = p.t.perm & DMAR_PERM_W;
    return r;
}

/* ---- HMP ---- */

static void hmp_print_fields(Monitor *mon, const char *reg,
                             VtdDmarFieldList *fields)
{
    monitor_printf(mon, "  %s:", reg);
    for (VtdDmarFieldList *f = fields; f; f = f->next) {
        monitor_printf(mon, " %s=%" PRIu64, f->value->name, f->value->value);
    }
    monitor_printf(mon, "\n");
}

static const char *on_off(bool on)
{
    return on ? "on" : "off";
}

static void hmp_print_unit(Monitor *mon, const VtdDmarInfo *i)
{
    const VtdDmarQueueInfo *q = i->queue;
    unsigned n = 0;

    monitor_printf(mon, "vtd-dmar %s", i->qom_path);
    if (i->id) {
        monitor_printf(mon, " (id %s)", i->id);
    }
    monitor_printf(mon, " at 0x%" PRIx64, i->base);
    if (i->primary_bus) {
        monitor_printf(mon, " for bus %s", i->primary_bus);
    }
    monitor_printf(mon, "\n");
    monitor_printf(mon, "  cap 0x%016" PRIx64 " ecap 0x%016" PRIx64
                   " gsts 0x%08" PRIx32 "\n", i->cap, i->ecap, i->gsts);
    hmp_print_fields(mon, "cap", i->cap_fields);
    hmp_print_fields(mon, "ecap", i->ecap_fields);
    monitor_printf(mon, "  translation %s, queued-invalidation %s, "
                   "interrupt-remapping %s (%s), compat-format %s\n",
                   on_off(i->translation), on_off(i->queued_invalidation),
                   on_off(i->interrupt_remapping),
                   i->x2apic_mode ? "x2apic" : "xapic",
                   on_off(i->compat_format));
    monitor_printf(mon, "  root table 0x%" PRIx64 " (%s), irta 0x%" PRIx64
                   "\n", i->root_table,
                   i->abort_dma_mode ? "abort-DMA mode" :
                   i->scalable_mode ? "scalable" : "legacy", i->irta);
    if (i->pmr) {
        monitor_printf(mon, "  protected memory: %s%s, low 0x%" PRIx64
                       "..0x%" PRIx64 ", high 0x%" PRIx64 "..0x%" PRIx64
                       "\n", on_off(i->pmr->enabled),
                       i->pmr->in_force ? " (in force)" : "",
                       i->pmr->low_base, i->pmr->low_limit,
                       i->pmr->high_base, i->pmr->high_limit);
    }
    monitor_printf(mon, "  queue: 0x%" PRIx64 ", %" PRIu32 " entries of %u "
                   "bits, head %" PRIu32 " tail %" PRIu32 ", %" PRIu64
                   " runs (%" PRIu64 " deferred)", q->address, q->entries,
                   q->descriptor_width, q->head, q->tail, q->runs,
                   q->deferred_runs);
    if (q->drains_bql || q->drains_quiet || q->drains_spared ||
        q->drains_free || q->drains_held || q->drains_busy) {
        monitor_printf(mon, ", drains: %" PRIu64 " holding the BQL, %"
                       PRIu64 " quiet, %" PRIu64 " spared, %" PRIu64
                       " found it free, %" PRIu64 " held, %" PRIu64
                       " busy (%" PRIu64 " us waited; %" PRIu64
                       " holds of the BQL with DMA)",
                       q->drains_bql, q->drains_quiet, q->drains_spared,
                       q->drains_free, q->drains_held, q->drains_busy,
                       q->drains_held_ns / 1000, q->bql_dma_holds);
    }
    if (q->error) {
        monitor_printf(mon, ", error (iqercd 0x%" PRIx64 ")", q->error_info);
    }
    monitor_printf(mon, "\n");
    for (VtdDmarFaultRecordList *l = i->fault_records; l; l = l->next) {
        n++;
    }
    monitor_printf(mon, "  faults: fsts 0x%" PRIx32 ", %u records\n", i->fsts,
                   n);
    for (VtdDmarFaultRecordList *l = i->fault_records; l; l = l->next) {
        const VtdDmarFaultRecord *r = l->value;

        monitor_printf(mon, "    [%" PRIu32 "] %s %s 0x%" PRIx64
                       " reason 0x%x %s\n", r->index, r->bdf,
                       r->interrupt ? "interrupt" :
                       r->access == VTD_DMAR_ACCESS_WRITE ? "DMA write" :
                                                            "DMA read",
                       r->address, r->reason, r->reason_name);
    }
    monitor_printf(mon, "  fault events: %" PRIu64 " sent, %" PRIu64
                   " suppressed\n", i->fault_events_sent,
                   i->fault_events_suppressed);
    for (VtdDmarCacheStatsList *l = i->caches; l; l = l->next) {
        const VtdDmarCacheStats *c = l->value;

        monitor_printf(mon, "  %s: %" PRIu32 " entries, %" PRIu64
                       " lookups, %" PRIu64 " hits, %" PRIu64 " misses, %"
                       PRIu64 " evictions", c->name, c->entries,
                       c->lookups, c->hits, c->misses, c->evictions);
        if (c->has_lock_free_hits) {
            monitor_printf(mon, ", %" PRIu64 " hits without the lock",
                           c->lock_free_hits);
        }
        monitor_printf(mon, "\n");
    }
}

void hmp_info_vtd_dmar(Monitor *mon, const QDict *qdict)
{
    g_autoptr(VtdDmarInfoList) units = qmp_query_vtd_dmar(NULL);

    if (!units) {
        monitor_printf(mon, "no vtd-dmar unit\n");
    }
    for (VtdDmarInfoList *l = units; l; l = l->next) {
        hmp_print_unit(mon, l->value);
    }
}

void hmp_vtd_dmar_translate(Monitor *mon, const QDict *qdict)
{
    const char *device = qdict_get_str(qdict, "device");
    uint64_t addr = qdict_get_int(qdict, "address");
    bool write = qdict_get_try_bool(qdict, "write", false);
    bool has_pasid = qdict_haskey(qdict, "pasid");
    uint32_t pasid = qdict_get_try_int(qdict, "pasid", 0);
    const char *unit = qdict_get_try_str(qdict, "unit");
    g_autoptr(VtdDmarTranslation) r = NULL;
    g_autofree char *bdf = NULL;
    g_autofree char *size = NULL;
    Error *err = NULL;
    uint16_t sid;

    if (!dmar_device_sid(device, &sid, &err)) {
        hmp_handle_error(mon, err);
        return;
    }
    r = qmp_x_vtd_dmar_translate(unit, NULL, true, sid, has_pasid, pasid,
                                 addr, true, write, false, false, false,
                                 false, &err);
    if (hmp_handle_error(mon, err)) {
        return;
    }
    bdf = dmar_bdf(sid);
    monitor_printf(mon, "%s %s 0x%" PRIx64 ":\n", bdf,
                   write ? "write" : "read", addr);
    for (VtdDmarWalkStepList *l = r->steps; l; l = l->next) {
        const VtdDmarWalkStep *st = l->value;

        if (st->has_value_high) {
            monitor_printf(mon, "  %s 0x%" PRIx64 " = 0x%016" PRIx64
                           ":0x%016" PRIx64 "\n", VtdDmarTable_str(st->table),
                           st->address, st->value_high, st->value);
        } else {
            monitor_printf(mon, "  %s L%u 0x%" PRIx64 " = 0x%016" PRIx64
                           "\n", VtdDmarTable_str(st->table), st->level,
                           st->address, st->value);
        }
    }
    switch (r->mode) {
    case VTD_DMAR_TRANSLATION_MODE_FAULT:
        monitor_printf(mon, "  -> fault 0x%x %s", r->reason, r->reason_name);
        if (r->has_fault_level) {
            monitor_printf(mon, " at level %u", r->fault_level);
        }
        monitor_printf(mon, "%s\n",
                       r->fpd ? ", fpd set: not recorded" : "");
        break;
    case VTD_DMAR_TRANSLATION_MODE_TRANSLATED:
        size = size_to_str(r->page_size);
        monitor_printf(mon, "  -> translated 0x%" PRIx64 " (%s page, %s) "
                       "domain %u\n", r->translated_address, size,
                       r->read && r->write ? "rw" : r->read ? "r" :
                       r->write ? "w" : "-", r->domain_id);
        break;
    case VTD_DMAR_TRANSLATION_MODE_PASS_THROUGH:
        monitor_printf(mon, "  -> pass-through 0x%" PRIx64 " domain %u\n",
                       r->translated_address, r->domain_id);
        break;
    case VTD_DMAR_TRANSLATION_MODE_INTERRUPT:
        monitor_printf(mon, "  -> interrupt address range: %s\n",
                       write ? "an interrupt request, not a DMA" :
                               "reads nothing");
        break;
    default:
        monitor_printf(mon, "  -> untranslated 0x%" PRIx64 "\n",
                       r->translated_address);
        break;
    }
}
