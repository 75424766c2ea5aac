/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar: the ACPI DMAR table (VT-d §8): one DRHD for the unit, naming
 * the IOAPIC, that covers every PCI device (INCLUDE_PCI_ALL) unless some
 * root bus bypasses the unit; it then lists the devices it translates.
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
#define DRHD_FLAG_INCLUDE_ALL   0x1     /* §8.3 DRHD flags */
#define DMAR_TYPE_DRHD          0
#define SCOPE_TYPE_ENDPOINT     1
#define SCOPE_TYPE_BRIDGE       2       /* and its whole sub-hierarchy */
#define SCOPE_TYPE_IOAPIC       3
#define SCOPE_LEN               8       /* header and one path entry */

typedef struct ScopeWalk {
    GArray *scopes;             /* device scope entries (§8.3.1) */
    bool bypass;                /* some root bus bypasses the unit */
} ScopeWalk;

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
    GArray *scopes = opaque;
    bool bridge = object_dynamic_cast(OBJECT(dev), TYPE_PCI_BRIDGE);

    append_scope(scopes, bridge ? SCOPE_TYPE_BRIDGE : SCOPE_TYPE_ENDPOINT, 0,
                 pci_bus_num(bus), dev->devfn);
}

/*
 * Every device on a root bus the unit translates (a bridge stands for
 * what is behind it); note whether any root bus bypasses the unit.
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
    } else {
        pci_for_each_device_under_bus(bus, scope_device, w->scopes);
    }
    return 0;
}

void dmar_build_acpi_table(DmarState *s, GArray *table_data,
                           BIOSLinker *linker, const char *oem_id,
                           const char *oem_table_id)
{
    AcpiTable table = { .sig = "DMAR", .rev = 1, .oem_id = oem_id,
                        .oem_table_id = oem_table_id };
    X86IOMMUState *x86 = X86_IOMMU_DEVICE(s);
    uint8_t flags = x86_iommu_ir_supported(x86) ? DMAR_FLAG_INTR_REMAP : 0;
    g_autoptr(GArray) scopes = g_array_new(false, true, 1);
    ScopeWalk walk = { .scopes = scopes };
    unsigned drhd_len;

    /*
     * INCLUDE_PCI_ALL would claim the devices of a bypassing bus, whose
     * DMA nothing translates: then name the translated ones instead.
     */
    object_child_foreach_recursive(object_get_root(), scope_root_bus, &walk);
    if (!walk.bypass) {
        g_array_set_size(scopes, 0);
    }
    drhd_len = 16 + SCOPE_LEN + scopes->len;

    acpi_table_begin(&table, table_data);
    /* HAW - 1 */
    build_append_int_noprefix(table_data, s->unit.cfg.hw.haw - 1, 1);
    build_append_int_noprefix(table_data, flags, 1);
    build_append_int_noprefix(table_data, 0, 10);           /* reserved */

    /* §8.3 DMA Remapping Hardware Unit Definition */
    build_append_int_noprefix(table_data, DMAR_TYPE_DRHD, 2);
    build_append_int_noprefix(table_data, drhd_len, 2);
    build_append_int_noprefix(table_data,
                              walk.bypass ? 0 : DRHD_FLAG_INCLUDE_ALL, 1);
    /* Size: the register set spans 2^N 4 KiB pages */
    build_append_int_noprefix(table_data, ctz32(s->mmio_size >> 12), 1);
    build_append_int_noprefix(table_data, 0, 2);            /* segment */
    build_append_int_noprefix(table_data,
                              SYS_BUS_DEVICE(s)->mmio[0].addr, 8);

    /* §8.3.1 device scopes: the root-complex IOAPIC, then PCI devices */
    append_scope(table_data, SCOPE_TYPE_IOAPIC, ACPI_BUILD_IOAPIC_ID,
                 Q35_PSEUDO_BUS_PLATFORM, Q35_PSEUDO_DEVFN_IOAPIC);
    g_array_append_vals(table_data, scopes->data, scopes->len);

    acpi_table_end(linker, &table);
}
