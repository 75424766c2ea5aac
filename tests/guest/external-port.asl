/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An SSDT for the test guest's platform-opt-in runs (tests/guest/run.py,
 * given to QEMU with -acpitable file=build/guest/external-port.aml by the
 * runner; compiled by scripts/build-guest). It marks one PCIe root port
 * external-facing, as firmware marks a Thunderbolt or USB4 port: the _DSD
 * device property "ExternalFacingPort" = 1 (UUID daffd814-..., the
 * Device Properties UUID). Linux (drivers/pci/pci-acpi.c) then sets the
 * port's external_facing and treats every device below it as untrusted;
 * with the DMAR table's DMA_CTRL_PLATFORM_OPT_IN flag it forces the
 * IOMMU on (drivers/iommu/intel/iommu.c, platform_optin_force_iommu()).
 *
 * QEMU 10.0 does not generate such a _DSD. Its q35 DSDT describes every
 * device on pcie.0 as \_SB.PCI0.Sxx, xx the devfn in hex: the root port
 * the runner puts at addr=0x10 (devfn 0x80) is \_SB.PCI0.S80. This table
 * only adds a property to that object; QEMU's generated tables are left
 * as they are.
 */
DefinitionBlock ("", "SSDT", 2, "VTDDMR", "EXTPORT", 1)
{
    External (\_SB.PCI0.S80, DeviceObj)

    Scope (\_SB.PCI0.S80)
    {
        Name (_DSD, Package ()
        {
            ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
            Package ()
            {
                Package () { "ExternalFacingPort", One },
            }
        })
    }
}
