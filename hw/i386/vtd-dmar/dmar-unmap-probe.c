/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x-vtd-dmar-unmap-probe: a test and debugging object that listens to a
 * PCI device's DMA address space the way an IOMMU notifier consumer does
 * and records what it hears.
 *
 *   -device edu,id=dev -device x-vtd-dmar-unmap-probe,id=probe,
 *           device=/machine/peripheral/dev[,mode=unmap|map|deviotlb]
 *
 * (after the device it listens to, on the command line: it has no bus).
 *
 * mode=unmap (default): like vhost, an UNMAP notifier on every IOMMU
 * section. Property "events" (read) lists every UNMAP event since the last
 * write of "clear" as "iova+mask" hex pairs separated by spaces;
 * "sections" lists the notifier ranges as "start-end".
 *
 * mode=map: like vfio's IOMMU listener (type1 semantics), a MAP and UNMAP
 * notifier on every IOMMU section, replayed when it is registered, and a
 * map of what it was told. "map" lists it by IOVA as "iova+mask>pa:perm"
 * (perm r, w or rw); "events" lists "M:iova+mask>pa:perm" and
 * "U:iova+mask"; "errors" has a line for each breach of the contract vfio
 * relies on: a MAP overlapping a mapping, a MAP or UNMAP that is not a
 * naturally aligned power of two, an UNMAP that cuts a mapping in two.
 * A MAP with no permission cannot be told from an UNMAP (the notifier gets
 * the entry only; vfio takes perm NONE as UNMAP, and so does the probe).
 * Like vfio it wants events into system memory (address_space_memory)
 * only, unless x-any-target=on.
 * When a section goes away its mappings go too (as vfio unmaps it).
 *
 * mode=deviotlb: a device-IOTLB UNMAP notifier per section (vhost with
 * ATS); "events" as in unmap mode.
 *
 * In every mode "errors" also carries the text of a failed notifier
 * registration (realize does not fail for it), and "counts" reads
 * "maps N unmaps N replays N".
 *
 * Writing an IOVA (hex) to "lookup" asks the device's address space for
 * the IOTLB entry there, as vhost does on a device-IOTLB miss
 * (address_space_get_iotlb_entry()); reading "lookup" gives the answer as
 * "iova+mask>pa:perm", or "none".
 */
#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/rcu.h"
#include "hw/qdev-core.h"
#include "hw/qdev-properties.h"
#include "exec/memory.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_device.h"

#define TYPE_DMAR_UNMAP_PROBE "x-vtd-dmar-unmap-probe"
OBJECT_DECLARE_SIMPLE_TYPE(DmarUnmapProbe, DMAR_UNMAP_PROBE)

/* A test can leave a broken run going: keep the error text bounded. */
#define PROBE_MAX_ERRORS 64
/* mode=map under a fuzzer: events stop being recorded beyond this */
#define PROBE_MAX_EVENTS (16 * MiB)

typedef enum ProbeMode {
    PROBE_UNMAP,
    PROBE_MAP,
    PROBE_DEVIOTLB,
} ProbeMode;

typedef struct ProbeNotifier {
    IOMMUNotifier n;
    MemoryRegion *mr;
    hwaddr offset;          /* address in the space = offset in mr + this */
    DmarUnmapProbe *probe;
    QLIST_ENTRY(ProbeNotifier) next;
} ProbeNotifier;

/* One mapping of mode=map: [iova, last] -> pa; the GTree key is itself. */
typedef struct ProbeMapping {
    uint64_t iova, last, pa;
    IOMMUAccessFlags perm;
} ProbeMapping;

struct DmarUnmapProbe {
    DeviceState parent_obj;
    char *device;
    char *mode;
    bool any_target;

    ProbeMode m;
    bool listening;
    MemoryListener listener;
    QLIST_HEAD(, ProbeNotifier) notifiers;
    GString *events;
    GString *errors;
    unsigned nerrors;
    GTree *map;
    uint64_t maps, unmaps, replays;
    AddressSpace *as;       /* the device's DMA address space */
    char *lookup;           /* the last "lookup" answer */
};

static void G_GNUC_PRINTF(2, 3) probe_error(DmarUnmapProbe *p,
                                            const char *fmt, ...)
{
    va_list ap;

    if (p->nerrors++ >= PROBE_MAX_ERRORS) {
        return;
    }
    va_start(ap, fmt);
    g_string_append_vprintf(p->errors, fmt, ap);
    va_end(ap);
    g_string_append_c(p->errors, '\n');
}

static void probe_notify(IOMMUNotifier *n, IOMMUTLBEntry *e)
{
    ProbeNotifier *pn = container_of(n, ProbeNotifier, n);

    pn->probe->unmaps++;
    g_string_append_printf(pn->probe->events, "%s%" PRIx64 "+%" PRIx64,
                           pn->probe->events->len ? " " : "", e->iova,
                           e->addr_mask);
}

/* ---- mode=map ---- */

static const char *perm_str(IOMMUAccessFlags perm)
{
    static const char *const s[] = { "-", "r", "w", "rw" };

    return s[perm & IOMMU_RW];
}

static gint mapping_cmp(gconstpointer a, gconstpointer b, gpointer opaque)
{
    const ProbeMapping *x = a, *y = b;

    return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/* g_tree_search(): 0 for the mapping that overlaps RANGE (disjoint ones) */
static gint mapping_overlaps(gconstpointer key, gconstpointer range)
{
    const ProbeMapping *m = key, *r = range;

    if (m->iova > r->last) {
        return -1;
    }
    return m->last < r->iova;
}

static ProbeMapping *probe_find(DmarUnmapProbe *p, uint64_t first,
                                uint64_t last)
{
    ProbeMapping r = { .iova = first, .last = last };

    return g_tree_search(p->map, mapping_overlaps, &r);
}

/* Drop every mapping in [first, last] (all of each must lie inside). */
static void probe_drop(DmarUnmapProbe *p, uint64_t first, uint64_t last)
{
    ProbeMapping *m;

    while ((m = probe_find(p, first, last))) {
        g_tree_remove(p->map, m);
    }
}

static bool aligned(uint64_t iova, uint64_t mask)
{
    return !(mask & (mask + 1)) && !(iova & mask);
}

static void probe_map(DmarUnmapProbe *p, uint64_t iova, IOMMUTLBEntry *e)
{
    uint64_t last = iova + e->addr_mask;
    ProbeMapping *m;

    p->maps++;
    if (p->events->len < PROBE_MAX_EVENTS) {
        g_string_append_printf(p->events, "%sM:%" PRIx64 "+%" PRIx64 ">%"
                               PRIx64 ":%s", p->events->len ? " " : "", iova,
                               e->addr_mask, e->translated_addr,
                               perm_str(e->perm));
    }
    if (!aligned(iova, e->addr_mask) ||
        (e->translated_addr & e->addr_mask)) {
        probe_error(p, "MAP %" PRIx64 "+%" PRIx64 ">%" PRIx64
                    ": not naturally aligned", iova, e->addr_mask,
                    e->translated_addr);
        return;
    }
    m = probe_find(p, iova, last);
    if (m) {
        probe_error(p, "MAP %" PRIx64 "+%" PRIx64 ">%" PRIx64
                    " overlaps %" PRIx64 "+%" PRIx64 ">%" PRIx64,
                    iova, e->addr_mask, e->translated_addr, m->iova,
                    m->last - m->iova, m->pa);
        return;
    }
    m = g_new(ProbeMapping, 1);
    *m = (ProbeMapping) {
        .iova = iova, .last = last, .pa = e->translated_addr,
        .perm = e->perm,
    };
    g_tree_insert(p->map, m, m);
}

/* vfio type1: an UNMAP that would split a mapping fails as a whole. */
static void probe_unmap(DmarUnmapProbe *p, uint64_t iova, IOMMUTLBEntry *e)
{
    uint64_t last = iova + e->addr_mask;
    ProbeMapping *lo, *hi;

    p->unmaps++;
    if (p->events->len < PROBE_MAX_EVENTS) {
        g_string_append_printf(p->events, "%sU:%" PRIx64 "+%" PRIx64,
                               p->events->len ? " " : "", iova, e->addr_mask);
    }
    if (!aligned(iova, e->addr_mask)) {
        probe_error(p, "UNMAP %" PRIx64 "+%" PRIx64 ": not naturally "
                    "aligned", iova, e->addr_mask);
        return;
    }
    lo = probe_find(p, iova, iova);
    hi = probe_find(p, last, last);
    if ((lo && lo->iova < iova) || (hi && hi->last > last)) {
        ProbeMapping *m = lo && lo->iova < iova ? lo : hi;

        probe_error(p, "UNMAP %" PRIx64 "+%" PRIx64 " bisects %" PRIx64
                    "+%" PRIx64 ">%" PRIx64, iova, e->addr_mask, m->iova,
                    m->last - m->iova, m->pa);
        return;
    }
    probe_drop(p, iova, last);
}

static void probe_map_notify(IOMMUNotifier *n, IOMMUTLBEntry *e)
{
    ProbeNotifier *pn = container_of(n, ProbeNotifier, n);
    uint64_t iova = e->iova + pn->offset;

    if (!pn->probe->any_target && e->target_as != &address_space_memory) {
        probe_error(pn->probe, "event %" PRIx64 "+%" PRIx64 " targets "
                    "address space \"%s\", not system memory", iova,
                    e->addr_mask, e->target_as && e->target_as->name ?
                    e->target_as->name : "none");
    }
    if ((e->perm & IOMMU_RW) != IOMMU_NONE) {
        probe_map(pn->probe, iova, e);
    } else {
        probe_unmap(pn->probe, iova, e);
    }
}

static gboolean mapping_print(gpointer key, gpointer value, gpointer opaque)
{
    ProbeMapping *m = value;
    GString *s = opaque;

    g_string_append_printf(s, "%s%" PRIx64 "+%" PRIx64 ">%" PRIx64 ":%s",
                           s->len ? " " : "", m->iova, m->last - m->iova,
                           m->pa, perm_str(m->perm));
    return false;
}

/* ---- the listener ---- */

static const struct {
    IOMMUNotify fn;
    IOMMUNotifierFlag flags;
} probe_modes[] = {
    [PROBE_UNMAP] = { probe_notify, IOMMU_NOTIFIER_UNMAP },
    [PROBE_MAP] = { probe_map_notify, IOMMU_NOTIFIER_IOTLB_EVENTS },
    [PROBE_DEVIOTLB] = { probe_notify, IOMMU_NOTIFIER_DEVIOTLB_UNMAP },
};

static void probe_region_add(MemoryListener *l, MemoryRegionSection *sec)
{
    DmarUnmapProbe *p = container_of(l, DmarUnmapProbe, listener);
    IOMMUMemoryRegion *iommu;
    ProbeNotifier *pn;
    Error *err = NULL;
    hwaddr end;
    int idx = 0;

    if (!memory_region_is_iommu(sec->mr)) {
        return;
    }
    iommu = IOMMU_MEMORY_REGION(sec->mr);
    end = sec->offset_within_region + int128_get64(sec->size) - 1;
    pn = g_new0(ProbeNotifier, 1);
    pn->probe = p;
    pn->mr = sec->mr;
    pn->offset = sec->offset_within_address_space - sec->offset_within_region;
    if (p->m == PROBE_MAP) {
        idx = memory_region_iommu_attrs_to_index(iommu,
                                                 MEMTXATTRS_UNSPECIFIED);
    }
    iommu_notifier_init(&pn->n, probe_modes[p->m].fn, probe_modes[p->m].flags,
                        sec->offset_within_region, end, idx);
    if (memory_region_register_iommu_notifier(sec->mr, &pn->n, &err)) {
        probe_error(p, "%s", error_get_pretty(err));
        error_free(err);
        g_free(pn);
        return;
    }
    QLIST_INSERT_HEAD(&p->notifiers, pn, next);
    if (p->m == PROBE_MAP) {
        p->replays++;
        memory_region_iommu_replay(iommu, &pn->n);
    }
}

static void probe_region_del(MemoryListener *l, MemoryRegionSection *sec)
{
    DmarUnmapProbe *p = container_of(l, DmarUnmapProbe, listener);
    ProbeNotifier *pn, *tmp;

    QLIST_FOREACH_SAFE(pn, &p->notifiers, next, tmp) {
        if (pn->mr == sec->mr && pn->n.start == sec->offset_within_region) {
            memory_region_unregister_iommu_notifier(pn->mr, &pn->n);
            if (p->m == PROBE_MAP) {
                probe_drop(p, pn->n.start + pn->offset,
                           pn->n.end + pn->offset);
            }
            QLIST_REMOVE(pn, next);
            g_free(pn);
        }
    }
}

static void probe_realize(DeviceState *dev, Error **errp)
{
    DmarUnmapProbe *p = DMAR_UNMAP_PROBE(dev);
    Object *obj;

    if (!p->device) {
        error_setg(errp, "x-vtd-dmar-unmap-probe needs device=<QOM path>");
        return;
    }
    if (!p->mode || !strcmp(p->mode, "unmap")) {
        p->m = PROBE_UNMAP;
    } else if (!strcmp(p->mode, "map")) {
        p->m = PROBE_MAP;
    } else if (!strcmp(p->mode, "deviotlb")) {
        p->m = PROBE_DEVIOTLB;
    } else {
        error_setg(errp, "x-vtd-dmar-unmap-probe: mode must be unmap, map "
                   "or deviotlb, not '%s'", p->mode);
        return;
    }
    obj = object_resolve_path_type(p->device, TYPE_PCI_DEVICE, NULL);
    if (!obj) {
        error_setg(errp, "x-vtd-dmar-unmap-probe: no PCI device at '%s'",
                   p->device);
        return;
    }
    p->listener = (MemoryListener) {
        .name = "vtd-dmar-unmap-probe",
        .region_add = probe_region_add,
        .region_del = probe_region_del,
    };
    p->as = pci_device_iommu_address_space(PCI_DEVICE(obj));
    memory_listener_register(&p->listener, p->as);
    p->listening = true;
}

static char *probe_get_events(Object *obj, Error **errp)
{
    return g_strdup(DMAR_UNMAP_PROBE(obj)->events->str);
}

static char *probe_get_sections(Object *obj, Error **errp)
{
    DmarUnmapProbe *p = DMAR_UNMAP_PROBE(obj);
    GString *s = g_string_new("");
    ProbeNotifier *pn;

    QLIST_FOREACH(pn, &p->notifiers, next) {
        g_string_append_printf(s, "%s%" PRIx64 "-%" PRIx64, s->len ? " " : "",
                               (uint64_t)pn->n.start, (uint64_t)pn->n.end);
    }
    return g_string_free(s, false);
}

static char *probe_get_map(Object *obj, Error **errp)
{
    GString *s = g_string_new("");

    g_tree_foreach(DMAR_UNMAP_PROBE(obj)->map, mapping_print, s);
    return g_string_free(s, false);
}

static char *probe_get_errors(Object *obj, Error **errp)
{
    DmarUnmapProbe *p = DMAR_UNMAP_PROBE(obj);

    if (p->nerrors > PROBE_MAX_ERRORS) {
        return g_strdup_printf("%s(%u more)\n", p->errors->str,
                               p->nerrors - PROBE_MAX_ERRORS);
    }
    return g_strdup(p->errors->str);
}

static char *probe_get_counts(Object *obj, Error **errp)
{
    DmarUnmapProbe *p = DMAR_UNMAP_PROBE(obj);

    return g_strdup_printf("maps %" PRIu64 " unmaps %" PRIu64 " replays %"
                           PRIu64, p->maps, p->unmaps, p->replays);
}

static void probe_set_lookup(Object *obj, const char *value, Error **errp)
{
    DmarUnmapProbe *p = DMAR_UNMAP_PROBE(obj);
    IOMMUTLBEntry e;
    uint64_t iova;

    if (!p->as) {
        error_setg(errp, "lookup: the probe is not realized");
        return;
    }
    if (qemu_strtou64(value, NULL, 16, &iova)) {
        error_setg(errp, "lookup: '%s' is not an IOVA in hex", value);
        return;
    }
    WITH_RCU_READ_LOCK_GUARD() {
        e = address_space_get_iotlb_entry(p->as, iova, false,
                                          MEMTXATTRS_UNSPECIFIED);
    }
    g_free(p->lookup);
    if (!e.target_as) {
        p->lookup = g_strdup("none");
        return;
    }
    p->lookup = g_strdup_printf("%" PRIx64 "+%" PRIx64 ">%" PRIx64 ":%s",
                                (uint64_t)e.iova, (uint64_t)e.addr_mask,
                                (uint64_t)e.translated_addr,
                                perm_str(e.perm));
}

static char *probe_get_lookup(Object *obj, Error **errp)
{
    DmarUnmapProbe *p = DMAR_UNMAP_PROBE(obj);

    return g_strdup(p->lookup ? p->lookup : "");
}

static void probe_set_clear(Object *obj, bool value, Error **errp)
{
    g_string_truncate(DMAR_UNMAP_PROBE(obj)->events, 0);
}

static void probe_init(Object *obj)
{
    DmarUnmapProbe *p = DMAR_UNMAP_PROBE(obj);

    QLIST_INIT(&p->notifiers);
    p->events = g_string_new("");
    p->errors = g_string_new("");
    p->map = g_tree_new_full(mapping_cmp, NULL, g_free, NULL);
}

static void probe_unrealize(DeviceState *dev)
{
    DmarUnmapProbe *p = DMAR_UNMAP_PROBE(dev);

    if (p->listening) {
        memory_listener_unregister(&p->listener);   /* drops the notifiers */
        p->listening = false;
    }
}

static void probe_finalize(Object *obj)
{
    DmarUnmapProbe *p = DMAR_UNMAP_PROBE(obj);

    g_string_free(p->events, true);
    g_string_free(p->errors, true);
    g_free(p->lookup);
    g_tree_destroy(p->map);
}

static const Property probe_properties[] = {
    DEFINE_PROP_STRING("device", DmarUnmapProbe, device),
    /* unmap (vhost), map (vfio) or deviotlb (vhost with ATS) */
    DEFINE_PROP_STRING("mode", DmarUnmapProbe, mode),
    /* mode=map: take events into any address space (vfio: system memory) */
    DEFINE_PROP_BOOL("x-any-target", DmarUnmapProbe, any_target, false),
};

static void probe_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->realize = probe_realize;
    dc->unrealize = probe_unrealize;
    dc->desc = "vtd-dmar test aid: records a device's IOMMU notifications";
    dc->user_creatable = true;
    device_class_set_props(dc, probe_properties);
    object_class_property_add_str(oc, "events", probe_get_events, NULL);
    object_class_property_add_str(oc, "sections", probe_get_sections, NULL);
    object_class_property_add_str(oc, "map", probe_get_map, NULL);
    object_class_property_add_str(oc, "errors", probe_get_errors, NULL);
    object_class_property_add_str(oc, "counts", probe_get_counts, NULL);
    object_class_property_add_bool(oc, "clear", NULL, probe_set_clear);
    object_class_property_add_str(oc, "lookup", probe_get_lookup,
                                  probe_set_lookup);
}

static const TypeInfo probe_info = {
    .name = TYPE_DMAR_UNMAP_PROBE,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(DmarUnmapProbe),
    .instance_init = probe_init,
    .instance_finalize = probe_finalize,
    .class_init = probe_class_init,
};

static void probe_register_types(void)
{
    type_register_static(&probe_info);
}

type_init(probe_register_types)
