/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar: the ACPI DMAR table (VT-d §8): one DRHD for the unit that
 * covers every PCI device (INCLUDE_PCI_ALL) and names the IOAPIC.
 */
#include "qemu/osdep.h"
#include "qemu/host-utils.h"
#include "hw/acpi/aml-build.h"
#include "hw/i386/acpi-common.h"
#include "hw/pci-host/q35.h"
#include "hw/sysbus.h"
#include "dmar-internal.h"

#define DMAR_FLAG_INTR_REMAP    0x1     /* §8.1 DMAR flags */
#define DRHD_FLAG_INCLUDE_ALL   0x1     /* §8.3 DRHD flags */
#define DMAR_TYPE_DRHD          0
#define SCOPE_TYPE_IOAPIC       3

void dmar_build_acpi_table(DmarState *s, GArray *table_data,
                           BIOSLinker *linker, const char *oem_id,
                           const char *oem_table_id)
{
    AcpiTable table = { .sig = "DMAR", .rev = 1, .oem_id = oem_id,
                        .oem_table_id = oem_table_id };
    X86IOMMUState *x86 = X86_IOMMU_DEVICE(s);
    const unsigned scope_len = 8, drhd_len = 16 + scope_len;
    uint8_t flags = x86_iommu_ir_supported(x86) ? DMAR_FLAG_INTR_REMAP : 0;

    acpi_table_begin(&table, table_data);
    build_append_int_noprefix(table_data, s->hw.haw - 1, 1); /* HAW - 1 */
    build_append_int_noprefix(table_data, flags, 1);
    build_append_int_noprefix(table_data, 0, 10);           /* reserved */

    /* §8.3 DMA Remapping Hardware Unit Definition */
    build_append_int_noprefix(table_data, DMAR_TYPE_DRHD, 2);
    build_append_int_noprefix(table_data, drhd_len, 2);
    build_append_int_noprefix(table_data, DRHD_FLAG_INCLUDE_ALL, 1);
    /* Size: the register set spans 2^N 4 KiB pages */
    build_append_int_noprefix(table_data, ctz32(s->mmio_size >> 12), 1);
    build_append_int_noprefix(table_data, 0, 2);            /* segment */
    build_append_int_noprefix(table_data,
                              SYS_BUS_DEVICE(s)->mmio[0].addr, 8);

    /* §8.3.1 device scope: the root-complex IOAPIC */
    build_append_int_noprefix(table_data, SCOPE_TYPE_IOAPIC, 1);
    build_append_int_noprefix(table_data, scope_len, 1);
    build_append_int_noprefix(table_data, 0, 2);            /* reserved */
    build_append_int_noprefix(table_data, ACPI_BUILD_IOAPIC_ID, 1);
    build_append_int_noprefix(table_data, Q35_PSEUDO_BUS_PLATFORM, 1);
    build_append_int_noprefix(table_data, PCI_SLOT(Q35_PSEUDO_DEVFN_IOAPIC), 1);
    build_append_int_noprefix(table_data, PCI_FUNC(Q35_PSEUDO_DEVFN_IOAPIC), 1);

    acpi_table_end(linker, &table);
}
