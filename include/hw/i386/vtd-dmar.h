/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar: an Intel VT-d DMA remapping unit (public interface).
 *
 * The board creates the unit with -device vtd-dmar, sets its "pci-bus"
 * and "downstream" links before realize, maps its registers, and asks it
 * for the ACPI DMAR table.
 */
#ifndef HW_I386_VTD_DMAR_H
#define HW_I386_VTD_DMAR_H

#include "exec/memory.h"
#include "hw/acpi/bios-linker-loader.h"
#include "qom/object.h"

#define TYPE_VTD_DMAR "vtd-dmar"
OBJECT_DECLARE_SIMPLE_TYPE(DmarState, VTD_DMAR)

/* Where the IOAPIC sends its interrupt messages (board: ioapic_as). */
AddressSpace *dmar_ioapic_address_space(DmarState *unit);

/* Append the DMAR table describing UNIT (VT-d §8). */
void dmar_build_acpi_table(DmarState *unit, GArray *table_data,
                           BIOSLinker *linker, const char *oem_id,
                           const char *oem_table_id);

#endif
