/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar: the ACPI DMAR table (VT-d §8). One DRHD per unit: each unit
 * with a primary-bus lists the devices on its root bus; then the unit that
 * covers the rest, which names the IOAPIC and covers every PCI device
 * (INCLUDE_PCI_ALL) unless some root bus bypasses the units (it then lists
 * the devices it translates). The RMRRs of every unit follow (§8.4), and
 * when a unit offers device-TLBs, one ATSR for every root port (§8.5).
 */
#include "qemu/osdep.h"
#include "qemu/host-utils.h"
#include "hw/acpi/aml-build.h"
#include "hw/i386/acpi-common.h"
#include "hw/pci-host/q35.h"
#include "hw/pci/pci_bridge.h"
#include "hw/pci/pci_host.h"
#include "hw/sysbus.h"
#include "dmar-internal.h"

#define DMAR_FLAG_INTR_REMAP    0x1     /* §8.1 DMAR flags */
#define DMAR_FLAG_PLATFORM_OPT_IN 0x4   /* DMA_CTRL_PLATFORM_OPT_IN_FLAG */
#define DRHD_FLAG_INCLUDE_ALL   0x1     /* §8.3 DRHD flags */
#define DMAR_TYPE_DRHD          0
#define DMAR_TYPE_RMRR          1
#define DMAR_TYPE_ATSR          2
#define ATSR_FLAG_ALL_PORTS     0x1     /* §8.5 ATSR flags */
#define SCOPE_TYPE_ENDPOINT     1
#define SCOPE_TYPE_BRIDGE       2       /* and its whole sub-hierarchy */
#define SCOPE_TYPE_IOAPIC       3
#define SCOPE_LEN               8       /* header and one path entry */

typedef struct ScopeWalk {
    GArray *scopes;             /* device scope entries (§8.3.1) */
    bool bypass;                /* some root bus bypasses the units */
} ScopeWalk;

static uint8_t scope_type(PCIDevice *dev)
{
    return object_dynamic_cast(OBJECT(dev), TYPE_PCI_BRIDGE) ?
           SCOPE_TYPE_BRIDGE : SCOPE_TYPE_ENDPOINT;
}

/* §8.3.1: one device scope entry with a one-element path */
static void append_scope(GArray *out, uint8_t type, uint8_t enum_id,
                         uint8_t bus, uint8_t devfn)
{
    build_append_int_noprefix(out, type, 1);
    build_append_int_noprefix(out, SCOPE_LEN, 1);
    build_append_int_noprefix(out, 0, 2);                   /* reserved */
    build_append_int_noprefix(out, enum_id, 1);
    build_append_int_noprefix(out, bus, 1);                 /* start bus */
    build_append_int_noprefix(out, PCI_SLOT(devfn), 1);
    build_append_int_noprefix(out, PCI_FUNC(devfn), 1);
}

static void scope_device(PCIBus *bus, PCIDevice *dev, void *opaque)
{
    append_scope(opaque, scope_type(dev), 0, pci_bus_num(bus), dev->devfn);
}

/*
 * Every device on a root bus no unit claims (a bridge stands for what is
 * behind it); note whether any root bus bypasses the units.
 */
static int scope_root_bus(Object *obj, void *opaque)
{
    ScopeWalk *w = opaque;
    PCIBus *bus;

    if (!object_dynamic_cast(obj, TYPE_PCI_HOST_BRIDGE)) {
        return 0;
    }
    bus = PCI_HOST_BRIDGE(obj)->bus;
    if (!bus) {
        return 0;
    }
    if (pci_bus_bypass_iommu(bus)) {
        w->bypass = true;
    } else if (dmar_covers_rest(dmar_bus_unit(bus))) {
        pci_for_each_device_under_bus(bus, scope_device, w->scopes);
    }
    return 0;
}

/* §8.3 DMA Remapping Hardware Unit Definition, with SCOPES appended */
static void build_drhd(GArray *table_data, DmarState *u, uint8_t flags,
                       bool ioapic, GArray *scopes)
{
    build_append_int_noprefix(table_data, DMAR_TYPE_DRHD, 2);
    build_append_int_noprefix(table_data,
                              16 + (ioapic ? SCOPE_LEN : 0) + scopes->len, 2);
    build_append_int_noprefix(table_data, flags, 1);
    /* Size: the register set spans 2^N 4 KiB pages */
    build_append_int_noprefix(table_data, ctz32(u->mmio_size >> 12), 1);
    build_append_int_noprefix(table_data, 0, 2);            /* segment */
    build_append_int_noprefix(table_data,
                              SYS_BUS_DEVICE(u)->mmio[0].addr, 8);
    /* §8.3.1 device scopes: the root-complex IOAPIC, then PCI devices */
    if (ioapic) {
        append_scope(table_data, SCOPE_TYPE_IOAPIC, ACPI_BUILD_IOAPIC_ID,
                     Q35_PSEUDO_BUS_PLATFORM, Q35_PSEUDO_DEVFN_IOAPIC);
    }
    g_array_append_vals(table_data, scopes->data, scopes->len);
}

/*
 * §8.4 Reserved Memory Region Reporting: R's range, and a device scope
 * whose path runs from R's root bus down to the device.
 */
static void build_rmrr(GArray *table_data, const DmarRmrr *r)
{
    g_autoptr(GArray) path = g_array_new(false, false, 1);
    PCIBus *bus = pci_get_bus(r->dev);
    uint8_t devfn = r->dev->devfn;

    for (;;) {
        uint8_t hop[2] = { PCI_SLOT(devfn), PCI_FUNC(devfn) };

        g_array_prepend_vals(path, hop, 2);
        if (pci_bus_is_root(bus)) {
            break;
        }
        devfn = bus->parent_dev->devfn;
        bus = pci_get_bus(bus->parent_dev);
    }
    build_append_int_noprefix(table_data, DMAR_TYPE_RMRR, 2);
    build_append_int_noprefix(table_data, 24 + 6 + path->len, 2);
    build_append_int_noprefix(table_data, 0, 2);            /* reserved */
    build_append_int_noprefix(table_data, 0, 2);            /* segment */
    build_append_int_noprefix(table_data, r->base, 8);
    build_append_int_noprefix(table_data, r->limit, 8);
    build_append_int_noprefix(table_data, scope_type(r->dev), 1);
    build_append_int_noprefix(table_data, 6 + path->len, 1);
    build_append_int_noprefix(table_data, 0, 2);            /* reserved */
    build_append_int_noprefix(table_data, 0, 1);            /* enum id */
    build_append_int_noprefix(table_data, pci_bus_num(bus), 1);
    g_array_append_vals(table_data, path->data, path->len);
}

/*
 * §8.5 Root Port ATS Capability Reporting: ATS is supported on every root
 * port of segment 0 (no device scopes).
 */
static void build_atsr(GArray *table_data)
{
    build_append_int_noprefix(table_data, DMAR_TYPE_ATSR, 2);
    build_append_int_noprefix(table_data, 8, 2);            /* length */
    build_append_int_noprefix(table_data, ATSR_FLAG_ALL_PORTS, 1);
    build_append_int_noprefix(table_data, 0, 1);            /* reserved */
    build_append_int_noprefix(table_data, 0, 2);            /* segment */
}

void dmar_build_acpi_table(DmarState *s, GArray *table_data,
                           BIOSLinker *linker, const char *oem_id,
                           const char *oem_table_id)
{
    AcpiTable table = { .sig = "DMAR", .rev = 1, .oem_id = oem_id,
                        .oem_table_id = oem_table_id };
    X86IOMMUState *x86 = X86_IOMMU_DEVICE(s);
    uint8_t flags = x86_iommu_ir_supported(x86) ? DMAR_FLAG_INTR_REMAP : 0;
    g_autoptr(GSList) units = dmar_units();
    g_autoptr(GArray) scopes = g_array_new(false, true, 1);
    ScopeWalk walk = { .scopes = scopes };
    bool ats = false;

    for (GSList *l = units; l; l = l->next) {
        if (((DmarState *)l->data)->platform_opt_in) {
            flags |= DMAR_FLAG_PLATFORM_OPT_IN;
        }
        ats |= ((DmarState *)l->data)->unit.cfg.hw.dt;
    }

    acpi_table_begin(&table, table_data);
    /* HAW - 1 */
    build_append_int_noprefix(table_data, s->unit.cfg.hw.haw - 1, 1);
    build_append_int_noprefix(table_data, flags, 1);
    build_append_int_noprefix(table_data, 0, 10);           /* reserved */

    /* The units with a root bus of their own, in order */
    for (GSList *l = units; l; l = l->next) {
        DmarState *u = l->data;

        if (!dmar_covers_rest(u)) {
            g_array_set_size(scopes, 0);
            pci_for_each_device_under_bus(u->primary_bus, scope_device,
                                          scopes);
            build_drhd(table_data, u, 0, false, scopes);
        }
    }

    /*
     * Last (§8.3: an INCLUDE_PCI_ALL unit follows the others of its
     * segment), the one that covers the rest. INCLUDE_PCI_ALL would claim
     * the devices of a bypassing bus, whose DMA nothing translates: then
     * name the translated ones instead.
     */
    g_array_set_size(scopes, 0);
    object_child_foreach_recursive(object_get_root(), scope_root_bus, &walk);
    if (!walk.bypass) {
        g_array_set_size(scopes, 0);
    }
    build_drhd(table_data, s, walk.bypass ? 0 : DRHD_FLAG_INCLUDE_ALL, true,
               scopes);

    for (GSList *l = units; l; l = l->next) {
        DmarState *u = l->data;

        for (uint32_t i = 0; i < u->num_rmrr; i++) {
            build_rmrr(table_data, &u->rmrrs[i]);
        }
    }
    if (ats) {
        build_atsr(table_data);
    }
    acpi_table_end(linker, &table);
}
