/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: DMA isolation where the unit meets the rest of QEMU: IOMMU notifiers (UNMAP events for every invalidation), the interrupt address range, the DMAR table's device scopes, untranslated DMA width.
 * Plumbing in vtd-dmar-qtest.h; vtd-dmar-test.c says how the tests work.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    return g_test_run();
}
