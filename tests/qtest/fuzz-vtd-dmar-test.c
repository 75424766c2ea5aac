/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reproducers for inputs that crashed, hung or tripped a sanitizer in a
 * VT-d model under QEMU's generic-fuzz target, replayed against vtd-dmar
 * as qtest commands (the convention of tests/qtest/fuzz-*-test.c). Each
 * test passes when QEMU survives the sequence and the unit still answers.
 */
#include "qemu/osdep.h"
#include "libqtest.h"

#define DMAR_BASE   0xfed90000ull
#define REG_VER     0x00

static QTestState *start(const char *extra)
{
    return qtest_initf("-M q35 -nodefaults -device vtd-dmar%s -device edu",
                       extra);
}

/* The unit is still there and answers its version register. */
static void assert_alive(QTestState *qts)
{
    g_assert_cmphex(qtest_readl(qts, DMAR_BASE + REG_VER), ==, 0x41);
}

/*
 * QEMU's intel-iommu aborts on a 64-bit write to a 32-bit register pair
 * (assert(size == 4) for FECTL, IECTL and IEADDR): the first crash its
 * generic-fuzz campaign finds. Here every such write is survived.
 */
static void test_wide_write_to_32bit_regs(void)
{
    static const uint32_t offs[] = { 0x38, 0x3c, 0x40, 0xa0, 0xa4, 0xa8 };
    QTestState *qts = start(",intremap=on");

    for (int i = 0; i < ARRAY_SIZE(offs); i++) {
        qtest_writeq(qts, DMAR_BASE + offs[i], 0xffffffffffffffffull);
        assert_alive(qts);
    }
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/fuzz/vtd-dmar/wide-write-32bit-regs",
                   test_wide_write_to_32bit_regs);
    return g_test_run();
}
