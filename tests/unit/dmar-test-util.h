/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the vtd-dmar unit tests (tests/unit/test-dmar-*.c).
 */
#ifndef TESTS_UNIT_DMAR_TEST_UTIL_H
#define TESTS_UNIT_DMAR_TEST_UTIL_H

/*
 * Register one GTest per element of a table of cases. Every case struct
 * starts with its name (const char *), which becomes PREFIX/name.
 */
static inline void add_cases(const char *prefix, const void *cases,
                             size_t size, size_t n, GTestDataFunc fn)
{
    for (size_t i = 0; i < n; i++) {
        const void *c = (const char *)cases + i * size;
        const char *name = *(const char *const *)c;
        g_autofree char *path = g_strdup_printf("%s/%s", prefix, name);

        g_test_add_data_func(path, c, fn);
    }
}

#define ADD_CASES(prefix, cases, fn) \
    add_cases(prefix, cases, sizeof(cases[0]), ARRAY_SIZE(cases), fn)

/*
 * Paging geometry, the same in both stages (VT-d §9.7, §9.8): what an
 * entry of LEVEL (1: 4 KiB) maps, and the index of VA's entry in a table
 * of that level.
 */
/*
 * The lock-free IOTLB hit path answered A where the locked path answered
 * B: they must be the same page, permissions and level.
 */
static inline void assert_same_translation(const DmarTranslation *a,
                                           const DmarTranslation *b)
{
    g_assert_cmphex(a->iova, ==, b->iova);
    g_assert_cmphex(a->pa, ==, b->pa);
    g_assert_cmphex(a->mask, ==, b->mask);
    g_assert_cmpint(a->perm, ==, b->perm);
    g_assert_cmpint(a->level, ==, b->level);
}

static inline unsigned lvl_shift(unsigned level)
{
    return DMAR_PAGE_SHIFT + 9 * (level - 1);
}

static inline uint64_t lvl_size(unsigned level)
{
    return 1ull << lvl_shift(level);
}

static inline unsigned lvl_index(unsigned level, uint64_t va)
{
    return (va >> lvl_shift(level)) & 511;
}

#endif
