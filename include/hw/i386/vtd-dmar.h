/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar: an Intel VT-d DMA remapping unit (public interface).
 *
 * The board creates each unit with -device vtd-dmar, sets its "pci-bus"
 * and "downstream" links before realize (dmar_machine_pre_plug()), maps
 * its registers, and asks the unit that covers the rest for the ACPI DMAR
 * table, which describes every unit.
 */
#ifndef HW_I386_VTD_DMAR_H
#define HW_I386_VTD_DMAR_H

#include "exec/memory.h"
#include "hw/acpi/bios-linker-loader.h"
#include "qom/object.h"

#define TYPE_VTD_DMAR "vtd-dmar"
OBJECT_DECLARE_SIMPLE_TYPE(DmarState, VTD_DMAR)

/*
 * A q35 machine may have several units (primary-bus): the board calls
 * this before realizing each, and maps the registers of each at its base
 * address plus dmar_mmio_offset(). BOARD_IOMMU is the board's x86-iommu:
 * it ends as the unit without primary-bus, which covers the rest.
 */
#define VTD_DMAR_UNITS_MAX      8
#define VTD_DMAR_MMIO_STRIDE    0x4000
bool dmar_machine_pre_plug(DmarState *unit, DeviceState **board_iommu,
                           PCIBus *pci_bus, MemoryRegion *downstream,
                           Error **errp);
hwaddr dmar_mmio_offset(DmarState *unit);
/* Does UNIT cover the rest (the IOAPIC, unclaimed buses)? */
bool dmar_covers_rest(DmarState *unit);

/* Where the IOAPIC sends its interrupt messages (board: ioapic_as). */
AddressSpace *dmar_ioapic_address_space(DmarState *unit);

/* Append the DMAR table describing UNIT (VT-d §8). */
void dmar_build_acpi_table(DmarState *unit, GArray *table_data,
                           BIOSLinker *linker, const char *oem_id,
                           const char *oem_table_id);

#endif
