/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x-vtd-dmar-unmap-probe: a test and debugging object that listens to a
 * PCI device's DMA address space the way vhost does (an UNMAP notifier on
 * every IOMMU section) and records what it hears.
 *
 *   -device edu,id=dev -device x-vtd-dmar-unmap-probe,id=probe,
 *           device=/machine/peripheral/dev
 *
 * (after the device it listens to, on the command line: it has no bus).
 *
 * Property "events" (read) lists every UNMAP event since the last write
 * of "clear" as "iova+mask" hex pairs separated by spaces; "sections"
 * lists the notifier ranges as "start-end".
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/qdev-core.h"
#include "hw/qdev-properties.h"
#include "exec/memory.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_device.h"

#define TYPE_DMAR_UNMAP_PROBE "x-vtd-dmar-unmap-probe"
OBJECT_DECLARE_SIMPLE_TYPE(DmarUnmapProbe, DMAR_UNMAP_PROBE)

typedef struct ProbeNotifier {
    IOMMUNotifier n;
    MemoryRegion *mr;
    DmarUnmapProbe *probe;
    QLIST_ENTRY(ProbeNotifier) next;
} ProbeNotifier;

struct DmarUnmapProbe {
    DeviceState parent_obj;
    char *device;
    bool listening;
    MemoryListener listener;
    QLIST_HEAD(, ProbeNotifier) notifiers;
    GString *events;
};

static void probe_notify(IOMMUNotifier *n, IOMMUTLBEntry *e)
{
    ProbeNotifier *pn = container_of(n, ProbeNotifier, n);

    g_string_append_printf(pn->probe->events, "%s%" PRIx64 "+%" PRIx64,
                           pn->probe->events->len ? " " : "", e->iova,
                           e->addr_mask);
}

static void probe_region_add(MemoryListener *l, MemoryRegionSection *sec)
{
    DmarUnmapProbe *p = container_of(l, DmarUnmapProbe, listener);
    ProbeNotifier *pn;
    hwaddr end;

    if (!memory_region_is_iommu(sec->mr)) {
        return;
    }
    end = sec->offset_within_region + int128_get64(sec->size) - 1;
    pn = g_new0(ProbeNotifier, 1);
    pn->probe = p;
    pn->mr = sec->mr;
    iommu_notifier_init(&pn->n, probe_notify, IOMMU_NOTIFIER_UNMAP,
                        sec->offset_within_region, end, 0);
    if (memory_region_register_iommu_notifier(sec->mr, &pn->n, NULL)) {
        g_free(pn);
        return;
    }
    QLIST_INSERT_HEAD(&p->notifiers, pn, next);
}

static void probe_region_del(MemoryListener *l, MemoryRegionSection *sec)
{
    DmarUnmapProbe *p = container_of(l, DmarUnmapProbe, listener);
    ProbeNotifier *pn, *tmp;

    QLIST_FOREACH_SAFE(pn, &p->notifiers, next, tmp) {
        if (pn->mr == sec->mr && pn->n.start == sec->offset_within_region) {
            memory_region_unregister_iommu_notifier(pn->mr, &pn->n);
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
    memory_listener_register(&p->listener,
                             pci_device_iommu_address_space(PCI_DEVICE(obj)));
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

static void probe_set_clear(Object *obj, bool value, Error **errp)
{
    g_string_truncate(DMAR_UNMAP_PROBE(obj)->events, 0);
}

static void probe_init(Object *obj)
{
    DmarUnmapProbe *p = DMAR_UNMAP_PROBE(obj);

    QLIST_INIT(&p->notifiers);
    p->events = g_string_new("");
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
    g_string_free(DMAR_UNMAP_PROBE(obj)->events, true);
}

static const Property probe_properties[] = {
    DEFINE_PROP_STRING("device", DmarUnmapProbe, device),
};

static void probe_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->realize = probe_realize;
    dc->unrealize = probe_unrealize;
    dc->desc = "vtd-dmar test aid: records a device's IOMMU UNMAP events";
    dc->user_creatable = true;
    device_class_set_props(dc, probe_properties);
    object_class_property_add_str(oc, "events", probe_get_events, NULL);
    object_class_property_add_str(oc, "sections", probe_get_sections, NULL);
    object_class_property_add_bool(oc, "clear", NULL, probe_set_clear);
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
