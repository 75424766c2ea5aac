/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the unit tests' fake guest memory (dmar-fake-mem.c): the other
 * tests trust it to fail exactly where guest memory would not answer.
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "dmar-fake-mem.h"

/* Reads: sparse pages, straddles, wrap past 2^64, the window. */
static void test_read(void)
{
    FakeMem m;
    DmarMem mem;
    uint8_t buf[16];

    fake_mem_init(&m);
    mem = fake_mem(&m);
    g_assert_false(dmar_mem_read(&mem, 0x5000, buf, 8));
    g_assert_cmphex(buf[7], ==, 0xff);      /* a failed read gives ones */
    fake_poke64(&m, 0x5ff8, 0x0123456789abcdefull);
    g_assert_true(dmar_mem_read(&mem, 0x5ff8, buf, 8));
    g_assert_cmphex(ldq_le_p(buf), ==, 0x0123456789abcdefull);
    g_assert_cmphex(buf[0], ==, 0xef);      /* little-endian */
    /* Crossing into an unbacked page fails; into a backed one works. */
    g_assert_false(fake_read(&m, 0x5ff8, buf, 16));
    g_assert_cmphex(buf[0], ==, 0xff);
    fake_poke64(&m, 0x6000, 0x1122334455667788ull);
    g_assert_true(fake_read(&m, 0x5ff8, buf, 16));
    g_assert_cmphex(ldq_le_p(buf + 8), ==, 0x1122334455667788ull);
    /* Wrapping past 2^64 is not an access to page 0. */
    fake_poke64(&m, 0, 1);
    fake_poke64(&m, UINT64_MAX - 7, 2);
    g_assert_false(fake_read(&m, UINT64_MAX - 7, buf, 16));
    g_assert_true(fake_read(&m, UINT64_MAX - 7, buf, 4));
    g_assert_cmpuint(ldl_le_p(buf), ==, 2);
    g_assert_cmpuint(m.reads, ==, 6);
    g_assert_cmpuint(m.stray_reads, ==, 1);     /* the wrapping one */

    /* Reads outside the window are counted as strays. */
    fake_set_window(&m, 0x5ff0, 16);
    g_assert_cmpuint(m.reads, ==, 0);
    g_assert_true(fake_read(&m, 0x5ff0, buf, 16));
    g_assert_true(fake_read(&m, 0x5ff8, buf, 16));
    g_assert_false(fake_read(&m, 0x4ff8, buf, 8));
    g_assert_cmpuint(m.reads, ==, 3);
    g_assert_cmpuint(m.stray_reads, ==, 2);
    fake_mem_destroy(&m);
}

/* Writes: all or nothing, logged, counted. */
static void test_write(void)
{
    FakeMem m;
    DmarMem mem;
    uint8_t buf[16];
    uint32_t v = 0x11223344;
    FakeMemWrite *w;

    fake_mem_init(&m);
    mem = fake_mem(&m);
    g_assert_false(dmar_mem_write(&mem, 0x5000, &v, 4));
    fake_page(&m, 0x5000, true);
    g_assert_true(dmar_mem_write(&mem, 0x5ffc, &v, 4));
    g_assert_true(fake_read(&m, 0x5ff8, buf, 8));
    g_assert_cmphex(ldl_le_p(buf + 4), ==, 0x11223344);
    g_assert_cmphex(fake_peek32(&m, 0x5ffc), ==, 0x11223344);
    /* Across into an unbacked page: fails, and writes nothing. */
    g_assert_false(fake_write(&m, 0x5ffe, &v, 4));
    g_assert_cmphex(fake_peek32(&m, 0x5ffc), ==, 0x11223344);
    g_assert_false(fake_backed(&m, UINT64_MAX - 1, 4));
    g_assert_false(fake_write(&m, UINT64_MAX - 1, &v, 4));
    g_assert_cmpuint(m.write_calls, ==, 4);
    g_assert_cmpuint(m.writes->len, ==, 1);
    w = &g_array_index(m.writes, FakeMemWrite, 0);
    g_assert_cmphex(w->gpa, ==, 0x5ffc);
    g_assert_cmpuint(w->len, ==, 4);
    g_assert_cmphex(ldl_le_p(w->data), ==, 0x11223344);
    /* A long write is logged with its first 8 bytes. */
    memset(buf, 0x5a, sizeof(buf));
    g_assert_true(fake_write(&m, 0x5000, buf, sizeof(buf)));
    g_assert_cmpuint(m.writes->len, ==, 2);
    w = &g_array_index(m.writes, FakeMemWrite, 1);
    g_assert_cmpuint(w->len, ==, 16);
    g_assert_cmphex(ldq_le_p(w->data), ==, 0x5a5a5a5a5a5a5a5aull);
    /* Unbacking loses the page. */
    fake_unback(&m, 0x5000);
    g_assert_false(fake_read(&m, 0x5ffc, buf, 4));
    fake_mem_destroy(&m);
}

/* Holes fail every access that touches them, backed or not. */
static void test_holes(void)
{
    FakeMem m;
    uint64_t v = 0, want = 0;
    uint8_t buf[8];

    fake_mem_init(&m);
    fake_back(&m, 0x10000, 3 * FAKE_PAGE_SIZE);
    g_assert_true(fake_backed(&m, 0x10000, 3 * FAKE_PAGE_SIZE));
    g_assert_false(fake_backed(&m, 0x10000, 3 * FAKE_PAGE_SIZE + 1));
    fake_add_hole(&m, 0x11008, 0x1100f);
    g_assert_true(fake_read(&m, 0x11000, buf, 8));
    g_assert_false(fake_read(&m, 0x11004, buf, 8));
    g_assert_false(fake_read(&m, 0x1100f, buf, 1));
    g_assert_true(fake_read(&m, 0x11010, buf, 8));
    g_assert_false(fake_write(&m, 0x11008, &v, 8));
    g_assert_cmpint(fake_cmpxchg64(&m, 0x11008, &want, 1), ==,
                    DMAR_CAS_ERROR);
    g_assert_cmpuint(m.writes->len, ==, 0);
    /* Test-side access ignores holes. */
    fake_poke64(&m, 0x11008, 7);
    g_assert_cmphex(fake_peek64(&m, 0x11008), ==, 7);
    fake_mem_destroy(&m);
}

/* Compare-and-swap: aligned, backed, old value back when it differs. */
static void test_cmpxchg64(void)
{
    FakeMem m;
    DmarMem mem;
    uint64_t expected;

    fake_mem_init(&m);
    mem = fake_mem(&m);
    expected = 0;
    g_assert_cmpint(dmar_mem_cmpxchg64(&mem, 0x7000, &expected, 1), ==,
                    DMAR_CAS_ERROR);                /* unbacked */
    fake_poke64(&m, 0x7008, 0x8000000000000003ull);
    expected = 0x8000000000000003ull;
    g_assert_cmpint(dmar_mem_cmpxchg64(&mem, 0x7004, &expected, 1), ==,
                    DMAR_CAS_ERROR);                /* misaligned */
    g_assert_cmphex(fake_peek64(&m, 0x7008), ==, 0x8000000000000003ull);
    /* A match swaps, is logged as an 8-byte write, leaves *expected. */
    g_assert_cmpint(dmar_mem_cmpxchg64(&mem, 0x7008, &expected,
                                       0x8000000000000063ull), ==,
                    DMAR_CAS_OK);
    g_assert_cmphex(expected, ==, 0x8000000000000003ull);
    g_assert_cmphex(fake_peek64(&m, 0x7008), ==, 0x8000000000000063ull);
    g_assert_cmpuint(m.writes->len, ==, 1);
    g_assert_cmphex(g_array_index(m.writes, FakeMemWrite, 0).gpa, ==,
                    0x7008);
    g_assert_cmpuint(g_array_index(m.writes, FakeMemWrite, 0).len, ==, 8);
    /* A mismatch changes nothing and returns what memory holds. */
    expected = 0x8000000000000003ull;
    g_assert_cmpint(dmar_mem_cmpxchg64(&mem, 0x7008, &expected, 0), ==,
                    DMAR_CAS_CHANGED);
    g_assert_cmphex(expected, ==, 0x8000000000000063ull);
    g_assert_cmphex(fake_peek64(&m, 0x7008), ==, 0x8000000000000063ull);
    g_assert_cmpuint(m.writes->len, ==, 1);
    /* The neighbours are untouched. */
    g_assert_cmphex(fake_peek64(&m, 0x7000), ==, 0);
    g_assert_cmphex(fake_peek64(&m, 0x7010), ==, 0);
    g_assert_cmpuint(m.cas_calls, ==, 4);
    fake_mem_destroy(&m);
}

/* The table allocator: zeroed, backed, distinct pages from the pool. */
static void test_alloc(void)
{
    FakeMem m;
    uint64_t a, b;

    fake_mem_init(&m);
    a = fake_alloc_table(&m);
    b = fake_alloc_table(&m);
    g_assert_cmphex(a, ==, FAKE_POOL_BASE);
    g_assert_cmphex(b, ==, FAKE_POOL_BASE + FAKE_PAGE_SIZE);
    g_assert_true(fake_backed(&m, a, 2 * FAKE_PAGE_SIZE));
    g_assert_cmphex(fake_peek64(&m, b + 0xff8), ==, 0);
    /* pool_no_2m skips 2 MiB aligned pages */
    m.pool_next = 0x400000;
    m.pool_no_2m = true;
    g_assert_cmphex(fake_alloc_table(&m), ==, 0x401000);
    m.pool_next = 0x5ff000;
    g_assert_cmphex(fake_alloc_table(&m), ==, 0x5ff000);
    g_assert_cmphex(fake_alloc_table(&m), ==, 0x601000);
    fake_mem_destroy(&m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dmar-fake-mem/read", test_read);
    g_test_add_func("/dmar-fake-mem/write", test_write);
    g_test_add_func("/dmar-fake-mem/holes", test_holes);
    g_test_add_func("/dmar-fake-mem/cmpxchg64", test_cmpxchg64);
    g_test_add_func("/dmar-fake-mem/alloc", test_alloc);
    return g_test_run();
}
