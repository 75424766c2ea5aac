/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: spec details: reserved pointer bits, fault recording index, IQERCD, VER, migration stream validation.
 * Plumbing in vtd-dmar-qtest.h; vtd-dmar-test.c says how the tests work.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    return g_test_run();
}
