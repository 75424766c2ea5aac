/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar: the platform around the units (glue). A q35 machine may have
 * several units, each remapping the PCI root bus its primary-bus names and
 * everything below it; exactly one unit has no primary-bus and covers the
 * rest, the IOAPIC included (it is the board's x86-iommu, the one QEMU's
 * IOAPIC and KVM's MSI routes talk to). Here: which unit covers a bus or a
 * source-id, the checks of a machine's units, where the board maps each,
 * and the reserved memory regions (RMRR) reported for their devices.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "hw/i386/e820_memory_layout.h"
#include "hw/pci/pci_bus.h"
#include "hw/qdev-core.h"
#include "system/system.h"
#include "dmar-internal.h"

/* The units' order: the one that covers the rest first, then by index. */
static gint dmar_unit_cmp(gconstpointer a, gconstpointer b)
{
    const DmarState *x = a, *y = b;

    return (int)x->index - (int)y->index;
}

static int dmar_collect_unit(Object *obj, void *opaque)
{
    GSList **units = opaque;

    if (object_dynamic_cast(obj, TYPE_VTD_DMAR) && DEVICE(obj)->realized) {
        *units = g_slist_insert_sorted(*units, obj, dmar_unit_cmp);
    }
    return 0;
}

/*
 * Every realized unit (g_slist_free() the list). Units are only ever
 * created with -device, so they live in the machine's two containers of
 * user-created devices.
 */
GSList *dmar_units(void)
{
    static const char *const containers[] = {
        "/machine/peripheral", "/machine/peripheral-anon",
    };
    GSList *units = NULL;

    for (size_t i = 0; i < ARRAY_SIZE(containers); i++) {
        Object *c = object_resolve_path(containers[i], NULL);

        if (c) {
            object_child_foreach(c, dmar_collect_unit, &units);
        }
    }
    return units;
}

bool dmar_covers_rest(DmarState *s)
{
    return !s->primary_bus;
}

/* The root bus BUS hangs off. */
PCIBus *dmar_root_bus(PCIBus *bus)
{
    while (!pci_bus_is_root(bus)) {
        bus = pci_get_bus(bus->parent_dev);
    }
    return bus;
}

/* The unit that covers devices on ROOT, a root bus, or NULL: none yet. */
static DmarState *dmar_root_unit(PCIBus *root)
{
    g_autoptr(GSList) units = dmar_units();
    DmarState *rest = NULL;

    for (GSList *l = units; l; l = l->next) {
        DmarState *u = l->data;

        if (u->primary_bus == root) {
            return u;
        }
        if (dmar_covers_rest(u)) {
            rest = u;
        }
    }
    return rest;
}

DmarState *dmar_bus_unit(PCIBus *bus)
{
    return dmar_root_unit(dmar_root_bus(bus));
}

typedef struct BusByNumber {
    int num;
    PCIBus *bus;
} BusByNumber;

static void bus_by_number(PCIBus *bus, void *opaque)
{
    BusByNumber *b = opaque;

    if (!b->bus && pci_bus_num(bus) == b->num) {
        b->bus = bus;
    }
}

/*
 * The unit that covers the requester SID, asked of DEFAULT_UNIT (the
 * board's): the unit of the bus with that number, else DEFAULT_UNIT. By
 * bus, not by device: behind a PCIe-to-PCI bridge a requester id is an
 * alias (the bridge's secondary bus, devfn 0) that names no device.
 */
DmarState *dmar_sid_unit(DmarState *default_unit, uint16_t sid)
{
    BusByNumber b = { .num = sid >> 8 };
    DmarState *u;

    pci_for_each_bus(default_unit->pci_bus, bus_by_number, &b);
    u = b.bus ? dmar_bus_unit(b.bus) : NULL;

    return u ?: default_unit;
}

/* ---- the board's side: -device vtd-dmar on q35 ---- */

bool dmar_machine_pre_plug(DmarState *s, DeviceState **board_iommu,
                           PCIBus *pci_bus, MemoryRegion *downstream,
                           Error **errp)
{
    g_autoptr(GSList) units = dmar_units();
    unsigned claimed = 0;
    DmarState *rest = NULL;

    if (*board_iommu && !object_dynamic_cast(OBJECT(*board_iommu),
                                             TYPE_VTD_DMAR)) {
        error_setg(errp, "QEMU does not support multiple vIOMMUs for x86 "
                   "yet: vtd-dmar cannot join %s",
                   object_get_typename(OBJECT(*board_iommu)));
        return false;
    }
    for (GSList *l = units; l; l = l->next) {
        DmarState *u = l->data;

        if (dmar_covers_rest(u)) {
            rest = u;
        } else {
            claimed++;
        }
    }
    if (claimed + !!rest >= VTD_DMAR_UNITS_MAX) {
        error_setg(errp, "vtd-dmar: at most %d units", VTD_DMAR_UNITS_MAX);
        return false;
    }
    if (dmar_covers_rest(s)) {
        if (rest) {
            error_setg(errp, "vtd-dmar: only one vtd-dmar may be given "
                       "without primary-bus (it covers the rest)");
            return false;
        }
        s->index = 0;
        /* The board's x86-iommu: the IOAPIC's and KVM's routes go here */
        *board_iommu = DEVICE(s);
    } else {
        s->index = claimed + 1;
        if (!*board_iommu) {
            *board_iommu = DEVICE(s);   /* until the one for the rest */
        }
    }
    object_property_set_link(OBJECT(s), "pci-bus", OBJECT(pci_bus),
                             &error_abort);
    object_property_set_link(OBJECT(s), "downstream", OBJECT(downstream),
                             &error_abort);
    return true;
}

hwaddr dmar_mmio_offset(DmarState *s)
{
    return (hwaddr)s->index * VTD_DMAR_MMIO_STRIDE;
}

/* ---- reserved memory regions (RMRR, VT-d §8.4) ---- */

/* "DEVICE:BASE:LIMIT", split from the right (DEVICE may be bb:dd.f) */
static bool dmar_rmrr_parse(const char *str, DmarRmrr *r, Error **errp)
{
    const char *lim = strrchr(str, ':');
    const char *base = lim ? g_strrstr_len(str, lim - str, ":") : NULL;
    g_autofree char *b = NULL;

    if (!base || base == str) {
        error_setg(errp, "vtd-dmar: rmrr '%s': write DEVICE:BASE:LIMIT", str);
        return false;
    }
    b = g_strndup(base + 1, lim - base - 1);
    if (qemu_strtou64(b, NULL, 0, &r->base) ||
        qemu_strtou64(lim + 1, NULL, 0, &r->limit)) {
        error_setg(errp, "vtd-dmar: rmrr '%s': BASE and LIMIT must be "
                   "numbers", str);
        return false;
    }
    if (r->base & (DMAR_PAGE_SIZE - 1) ||
        (r->limit & (DMAR_PAGE_SIZE - 1)) != DMAR_PAGE_SIZE - 1 ||
        r->base > r->limit) {
        error_setg(errp, "vtd-dmar: rmrr '%s': BASE must be 4 KiB aligned, "
                   "LIMIT the last byte of a 4 KiB page, BASE <= LIMIT",
                   str);
        return false;
    }
    r->device = g_strndup(str, base - str);
    return true;
}

/* The PCI device an rmrr entry names: a qdev id, or bb:dd.f on a root bus */
static PCIDevice *dmar_rmrr_device(DmarState *s, const char *name)
{
    unsigned bus, dev, fn;
    int n = -1;
    DeviceState *d;
    PCIDevice *p;

    if (sscanf(name, "%2x:%2x.%1x%n", &bus, &dev, &fn, &n) == 3 &&
        n == strlen(name) && dev <= 0x1f && fn <= 7) {
        p = pci_find_device(s->pci_bus, bus, PCI_DEVFN(dev, fn));
        return p && pci_bus_is_root(pci_get_bus(p)) ? p : NULL;
    }
    d = qdev_find_recursive(sysbus_get_default(), name);
    return d && object_dynamic_cast(OBJECT(d), TYPE_PCI_DEVICE) ?
           PCI_DEVICE(d) : NULL;
}

static bool dmar_rmrr_realize(DmarState *s, Error **errp)
{
    s->rmrrs = g_new0(DmarRmrr, s->num_rmrr);
    for (uint32_t i = 0; i < s->num_rmrr; i++) {
        if (!dmar_rmrr_parse(s->rmrr[i], &s->rmrrs[i], errp)) {
            return false;
        }
    }
    /*
     * The platform keeps these regions for itself: the e820 map reports
     * them reserved (Linux checks that an RMRR is, VT-d §8.4), so no
     * guest allocates from them. The board reads the map once the
     * machine is done, after every unit is realized.
     */
    for (uint32_t i = 0; i < s->num_rmrr; i++) {
        e820_add_entry(s->rmrrs[i].base,
                       s->rmrrs[i].limit - s->rmrrs[i].base + 1,
                       E820_RESERVED);
    }
    return true;
}

/* ---- checks the machine's units pass once they all exist ---- */

static void dmar_machine_done(Notifier *n, void *data)
{
    DmarState *s = container_of(n, DmarState, machine_done);
    g_autoptr(GSList) units = dmar_units();
    bool rest = false;

    for (GSList *l = units; l; l = l->next) {
        rest |= dmar_covers_rest(l->data);
    }
    if (!rest) {
        error_report("vtd-dmar: no vtd-dmar covers the rest: give one "
                     "without primary-bus (it covers the IOAPIC and every "
                     "bus no other unit claims)");
        exit(1);
    }
    for (uint32_t i = 0; i < s->num_rmrr; i++) {
        DmarRmrr *r = &s->rmrrs[i];

        r->dev = dmar_rmrr_device(s, r->device);
        if (!r->dev) {
            error_report("vtd-dmar: rmrr '%s': no PCI device '%s'",
                         s->rmrr[i], r->device);
            exit(1);
        }
        if (dmar_bus_unit(pci_get_bus(r->dev)) != s) {
            error_report("vtd-dmar: rmrr '%s': '%s' is not behind this "
                         "unit: give the rmrr to the unit that covers it",
                         s->rmrr[i], r->device);
            exit(1);
        }
    }
}

/* Does a unit other than S hold address spaces of devices below ROOT? */
static bool dmar_root_has_devices(DmarState *s, PCIBus *root)
{
    g_autoptr(GSList) units = dmar_units();

    for (GSList *l = units; l; l = l->next) {
        DmarState *u = l->data;
        GHashTableIter it;
        DmarDevAS *das;

        if (u == s) {
            continue;
        }
        g_hash_table_iter_init(&it, u->dev_as);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *)&das)) {
            if (das->bus && dmar_root_bus(das->bus) == root) {
                return true;
            }
        }
    }
    return false;
}

bool dmar_platform_realize(DmarState *s, Error **errp)
{
    g_autoptr(GSList) units = dmar_units();
    PCIBus *b = s->primary_bus;

    if (b) {
        const char *name = BUS(b)->name;

        if (!pci_bus_is_root(b)) {
            error_setg(errp, "vtd-dmar: primary-bus '%s' is not a PCI root "
                       "bus (pcie.0 or a pxb-pcie's bus)", name);
            return false;
        }
        if (pci_bus_bypass_iommu(b)) {
            error_setg(errp, "vtd-dmar: primary-bus '%s' bypasses the "
                       "IOMMU (bypass_iommu)", name);
            return false;
        }
        for (GSList *l = units; l; l = l->next) {
            if (((DmarState *)l->data)->primary_bus == b) {
                error_setg(errp, "vtd-dmar: bus '%s' is claimed by two "
                           "vtd-dmar units", name);
                return false;
            }
        }
        if (dmar_root_has_devices(s, b)) {
            error_setg(errp, "vtd-dmar: devices on bus '%s' already do DMA "
                       "through another unit: give this vtd-dmar before "
                       "them", name);
            return false;
        }
    }
    if (!dmar_rmrr_realize(s, errp)) {
        return false;
    }
    s->machine_done.notify = dmar_machine_done;
    qemu_add_machine_init_done_notifier(&s->machine_done);
    return true;
}
