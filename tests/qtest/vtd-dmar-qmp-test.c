/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar qtest: QMP and HMP introspection and the VTD_DMAR_FAULT event.
 * (Being written: the cases follow.)
 */
#include "qemu/osdep.h"
#include "libqtest.h"

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    return g_test_run();
}
