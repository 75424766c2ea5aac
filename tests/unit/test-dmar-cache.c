/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the vtd-dmar caches (dmar-cache.c): the IOTLB and the
 * context cache (VT-d §6.5), written against their contract in
 * dmar-cache.h rather than against the code.
 *
 * The set index is the cache's own business, so the tests never compute
 * it: either they use a cache of a single set (4 entries), or they find
 * keys that share a set by brute force, through inserts and lookups only.
 * Tests that expect a dozen entries to stay in a cache of 64 sets or more
 * assume only that the index spreads them (no 5 in one set); they check
 * that nothing was evicted, so a poor index shows as such.
 * A randomized test checks both caches against a reference model of what
 * was inserted and not invalidated since: a cache may forget an entry
 * (eviction), but must never return one that was invalidated, replaced or
 * never inserted.
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/host-utils.h"
#include "dmar-cache.h"

/* The key of a request without PASID from SID (legacy mode). */
#define SKEY(s) \
    (&(DmarCacheKey){ .sid = (s), .pasid = DMAR_NO_PASID, \
                      .stage = DMAR_STAGE_SECOND })
#include "dmar-test-util.h"

#define SZ_4K               (1ull << 12)
#define SZ_2M               (1ull << 21)
#define SZ_1G               (1ull << 30)

/* Source-ids: bus << 8 | device << 3 | function. */
#define BDF(b, d, f)        ((uint16_t)((b) << 8 | (d) << 3 | (f)))

static uint64_t level_size(unsigned level)
{
    return level == 3 ? SZ_1G : level == 2 ? SZ_2M : SZ_4K;
}

static const char *level_name(unsigned level)
{
    return level == 3 ? "1G" : level == 2 ? "2M" : "4K";
}

/* A translation of one page of LEVEL, as the walk would produce it. */
static DmarTranslation xlate(uint64_t iova, uint64_t pa, unsigned level,
                             uint8_t perm)
{
    uint64_t mask = level_size(level) - 1;

    return (DmarTranslation) {
        .iova = iova & ~mask,
        .pa = pa & ~mask,
        .mask = mask,
        .perm = perm,
        .level = level,
    };
}

static bool iotlb_put(DmarIotlb *t, uint16_t sid, uint16_t did,
                      uint64_t iova, uint64_t pa, unsigned level,
                      uint8_t perm)
{
    DmarTranslation tr = xlate(iova, pa, level, perm);

    return dmar_iotlb_insert(t, SKEY(sid), did, &tr);
}

/* ---- Checks ---- */

#define ASSERT_HIT(t, sid, iova, pa, level, perm) \
    check_hit(__LINE__, t, sid, iova, pa, level, perm)
#define ASSERT_MISS(t, sid, iova) \
    check_miss(__LINE__, t, sid, iova)

static void check_hit(int line, DmarIotlb *t, uint16_t sid, uint64_t iova,
                      uint64_t pa, unsigned level, uint8_t perm)
{
    uint64_t mask = level_size(level) - 1;
    DmarTranslation out, shared;
    bool hit, shared_hit;

    /*
     * The lock-free hit path may give up, but what it answers must be
     * the locked lookup's answer.
     */
    memset(&shared, 0xa5, sizeof(shared));
    shared_hit = dmar_iotlb_lookup_shared(t, SKEY(sid), iova, &shared);
    memset(&out, 0xa5, sizeof(out));
    hit = dmar_iotlb_lookup(t, SKEY(sid), iova, &out);
    if (shared_hit) {
        g_assert_true(hit);
        g_assert_cmpmem(&shared, sizeof(shared), &out, sizeof(out));
    }
    if (!hit || out.pa != pa || out.level != level) {
        g_test_message("line %d: sid 0x%04x iova 0x%" PRIx64 ": want pa 0x%"
                       PRIx64 " (%s), got %s pa 0x%" PRIx64 " level %u",
                       line, sid, iova, pa, level_name(level),
                       hit ? "hit" : "miss", out.pa, out.level);
    }
    g_assert_true(hit);
    g_assert_cmphex(out.pa, ==, pa);
    g_assert_cmpuint(out.level, ==, level);
    g_assert_cmphex(out.mask, ==, mask);
    g_assert_cmphex(out.iova, ==, iova & ~mask);
    g_assert_cmpuint(out.perm, ==, perm);
}

static void check_miss(int line, DmarIotlb *t, uint16_t sid, uint64_t iova)
{
    DmarTranslation out;
    bool hit = dmar_iotlb_lookup_shared(t, SKEY(sid), iova, &out);

    if (!hit) {
        hit = dmar_iotlb_lookup(t, SKEY(sid), iova, &out);
    }
    if (hit) {
        g_test_message("line %d: sid 0x%04x iova 0x%" PRIx64 ": want a miss,"
                       " got pa 0x%" PRIx64 " level %u", line, sid, iova,
                       out.pa, out.level);
    }
    g_assert_false(hit);
}

static void assert_stats(const DmarCacheStats *s, uint64_t hits,
                         uint64_t misses, uint64_t evictions)
{
    g_assert_cmpuint(s->hits, ==, hits);
    g_assert_cmpuint(s->misses, ==, misses);
    g_assert_cmpuint(s->evictions, ==, evictions);
}

static DmarContext make_ctx(uint16_t sid, uint16_t did, uint64_t slptptr)
{
    return (DmarContext) {
        .sid = sid,
        .did = did,
        .tt = DMAR_TT_UNTRANSLATED,
        .levels = 4,
        .fpd = false,
        .slptptr = slptptr,
    };
}

static bool ctx_put(DmarCtxCache *c, uint16_t sid, uint16_t did)
{
    /* The table root encodes both, so a stale entry is recognisable. */
    DmarContext ctx = make_ctx(sid, did, ((uint64_t)did << 32) |
                                         ((uint64_t)sid << 12));

    return dmar_ctx_cache_insert(c, &ctx);
}

static void assert_ctx_equal(const DmarContext *a, const DmarContext *b)
{
    g_assert_cmphex(a->sid, ==, b->sid);
    g_assert_cmphex(a->did, ==, b->did);
    g_assert_cmpuint(a->tt, ==, b->tt);
    g_assert_cmpuint(a->levels, ==, b->levels);
    g_assert(a->fpd == b->fpd);
    g_assert_cmphex(a->slptptr, ==, b->slptptr);
}

static void assert_ctx_hit(DmarCtxCache *c, uint16_t sid, uint16_t did)
{
    DmarContext want = make_ctx(sid, did, ((uint64_t)did << 32) |
                                          ((uint64_t)sid << 12));
    DmarContext out;

    memset(&out, 0xa5, sizeof(out));
    if (!dmar_ctx_cache_lookup(c, sid, &out)) {
        g_test_message("context of sid 0x%04x not cached", sid);
        g_assert_not_reached();
    }
    assert_ctx_equal(&out, &want);
}

static bool ctx_cached(DmarCtxCache *c, uint16_t sid)
{
    DmarContext out;

    return dmar_ctx_cache_lookup(c, sid, &out);
}

/* ---- Sizes ---- */

static void test_size_pow2(void)
{
    static const uint32_t sizes[] = { 4, 8, 64, 256, 4096 };
    DmarIotlb t;
    DmarCtxCache c;
    int i;

    for (i = 0; i < ARRAY_SIZE(sizes); i++) {
        dmar_iotlb_init(&t, sizes[i]);
        g_assert_cmpuint(dmar_iotlb_size(&t), ==, sizes[i]);
        dmar_iotlb_flush_all(&t);
        dmar_iotlb_destroy(&t);
        g_assert_null(t.e);

        dmar_ctx_cache_init(&c, sizes[i]);
        g_assert_cmpuint(DMAR_CACHE_WAYS << c.set_bits, ==, sizes[i]);
        dmar_ctx_cache_flush_all(&c);
        dmar_ctx_cache_destroy(&c);
        g_assert_null(c.e);
    }

    /* Fewer than one set's worth: one set. */
    for (i = 0; i < DMAR_CACHE_WAYS; i++) {
        dmar_iotlb_init(&t, i);
        g_assert_cmpuint(dmar_iotlb_size(&t), ==, DMAR_CACHE_WAYS);
        dmar_iotlb_destroy(&t);
    }
}

/*
 * The header: "ENTRIES is rounded up to a power of two". Every size is
 * checked and reported before the case fails (g_test_fail).
 */
static void test_size_round_up(void)
{
    static const uint32_t cases[][2] = {
        { 5, 8 }, { 7, 8 }, { 9, 16 }, { 12, 16 }, { 100, 128 },
        { 1000, 1024 }, { 4097, 8192 },
    };
    DmarIotlb t;
    DmarCtxCache c;
    int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        uint32_t iotlb, ctx;

        dmar_iotlb_init(&t, cases[i][0]);
        dmar_ctx_cache_init(&c, cases[i][0]);
        iotlb = dmar_iotlb_size(&t);
        ctx = DMAR_CACHE_WAYS << c.set_bits;
        if (iotlb != cases[i][1] || ctx != cases[i][1]) {
            g_test_message("%u entries: want %u, got an IOTLB of %u and a"
                           " context cache of %u", cases[i][0], cases[i][1],
                           iotlb, ctx);
            g_test_fail();
        }
        /* Rounded up or down, never beyond the next power of two. */
        g_assert_cmpuint(iotlb, <=, cases[i][1]);
        dmar_iotlb_destroy(&t);
        dmar_ctx_cache_destroy(&c);
    }
}

/* ---- IOTLB: hits and misses ---- */

typedef struct HitCase {
    const char *name;
    unsigned level;
    uint64_t iova;          /* start of the page */
    uint64_t pa;
    uint16_t sid;
} HitCase;

static const HitCase hit_cases[] = {
    { "4k", 1, 0x12345000ull, 0xabcdef000ull, BDF(3, 4, 1) },
    { "4k-sid0", 1, 0x0ull, 0x7000ull, 0 },
    { "4k-high", 1, 0xfffffffffffff000ull, 0xffffffffff000ull, 0xffff },
    { "2m", 2, 0x40200000ull, 0x8000600000ull, BDF(0, 2, 0) },
    { "2m-high", 2, 0x7fffffe00000ull, 0x200000ull, BDF(0x80, 0, 7) },
    { "1g", 3, 0xc0000000ull, 0x3c0000000ull, BDF(1, 0, 0) },
    { "1g-high", 3, 0xffffffffc0000000ull, 0xfffc0000000ull, BDF(1, 0, 0) },
};

static void test_iotlb_hit(const void *opaque)
{
    const HitCase *c = opaque;
    uint64_t size = level_size(c->level);
    uint64_t offsets[] = { 0, 1, 0xfff, SZ_4K, size / 2 + 0x123, size - 1 };
    uint64_t hits = 0, misses = 0;
    DmarIotlb t;
    int i;

    dmar_iotlb_init(&t, 256);
    g_assert_false(iotlb_put(&t, c->sid, 7, c->iova, c->pa, c->level,
                             DMAR_PERM_R));

    for (i = 0; i < ARRAY_SIZE(offsets); i++) {
        if (offsets[i] < size) {
            ASSERT_HIT(&t, c->sid, c->iova + offsets[i], c->pa, c->level,
                       DMAR_PERM_R);
            hits++;
        }
    }
    /* The pages around it, and the same page for other sources. */
    if (c->iova) {
        ASSERT_MISS(&t, c->sid, c->iova - 1);
        ASSERT_MISS(&t, c->sid, c->iova - size);
        misses += 2;
    }
    if (c->iova + size) {
        ASSERT_MISS(&t, c->sid, c->iova + size);
        misses++;
    }
    ASSERT_MISS(&t, c->sid ^ 1, c->iova);
    ASSERT_MISS(&t, c->sid ^ 0x100, c->iova);
    ASSERT_MISS(&t, c->sid ^ 0x8000, c->iova + size - 1);
    misses += 3;
    assert_stats(&t.stats, hits, misses, 0);

    dmar_iotlb_flush_all(&t);
    ASSERT_MISS(&t, c->sid, c->iova);
    assert_stats(&t.stats, hits, misses + 1, 0);
    dmar_iotlb_destroy(&t);
}

/* All three page sizes side by side, for several sources. */
static void test_iotlb_mixed(void)
{
    DmarIotlb t;

    dmar_iotlb_init(&t, 256);
    iotlb_put(&t, 0x10, 1, 0x1000, 0x11000, 1, DMAR_PERM_R);
    iotlb_put(&t, 0x10, 1, 0x200000, 0x400000, 2, DMAR_PERM_W);
    iotlb_put(&t, 0x10, 1, 0x40000000, 0x80000000, 3, DMAR_PERM_RW);
    iotlb_put(&t, 0x11, 2, 0x1000, 0x21000, 1, DMAR_PERM_RW);
    iotlb_put(&t, 0x11, 2, 0x200000, 0xa00000, 2, DMAR_PERM_R);
    g_assert_cmpuint(t.stats.evictions, ==, 0);

    ASSERT_HIT(&t, 0x10, 0x1abc, 0x11000, 1, DMAR_PERM_R);
    ASSERT_HIT(&t, 0x10, 0x3fffff, 0x400000, 2, DMAR_PERM_W);
    ASSERT_HIT(&t, 0x10, 0x7ffff000, 0x80000000, 3, DMAR_PERM_RW);
    ASSERT_HIT(&t, 0x11, 0x1000, 0x21000, 1, DMAR_PERM_RW);
    ASSERT_HIT(&t, 0x11, 0x200000, 0xa00000, 2, DMAR_PERM_R);
    ASSERT_MISS(&t, 0x10, 0x0);
    ASSERT_MISS(&t, 0x10, 0x2000);
    ASSERT_MISS(&t, 0x11, 0x40000000);
    ASSERT_MISS(&t, 0x12, 0x1000);
    assert_stats(&t.stats, 5, 4, 0);
    dmar_iotlb_flush_all(&t);
    dmar_iotlb_destroy(&t);
}

/* Inserting a key again updates the one entry in place: the new pa wins. */
static void test_iotlb_refresh(void)
{
    DmarTranslation tr;
    DmarIotlb t;
    int level;

    dmar_iotlb_init(&t, 64);
    for (level = 1; level <= 3; level++) {
        uint64_t iova = 5 * level_size(level);

        g_assert_false(iotlb_put(&t, 0x20, 1, iova, 0x100000000ull, level,
                                 DMAR_PERM_R));
        g_assert_false(iotlb_put(&t, 0x20, 2, iova, 0x200000000ull, level,
                                 DMAR_PERM_RW));
        ASSERT_HIT(&t, 0x20, iova + level_size(level) - 1, 0x200000000ull,
                   level, DMAR_PERM_RW);
    }
    /* One entry per key, now in domain 2. */
    dmar_iotlb_flush_domain(&t, 1);
    dmar_iotlb_flush_domain(&t, 2);

    /* An unaligned input address names the same page. */
    g_assert_false(iotlb_put(&t, 0x20, 1, 0x5000, 0x300000000ull, 1,
                             DMAR_PERM_R));
    tr = xlate(0x5000, 0x400000000ull, 1, DMAR_PERM_W);
    tr.iova = 0x5abc;
    g_assert_false(dmar_iotlb_insert(&t, SKEY(0x20), 1, &tr));
    ASSERT_HIT(&t, 0x20, 0x5000, 0x400000000ull, 1, DMAR_PERM_W);
    dmar_iotlb_flush_all(&t);
    assert_stats(&t.stats, 4, 0, 0);
    dmar_iotlb_destroy(&t);
}

/* Only levels 1..3 are pages; anything else is not cached. */
static void test_iotlb_bad_level(void)
{
    static const uint8_t levels[] = { 0, 4, 5, 0xff };
    DmarTranslation tr;
    DmarIotlb t;
    int i;

    dmar_iotlb_init(&t, 4);
    for (i = 0; i < ARRAY_SIZE(levels); i++) {
        tr = xlate(0x1000, 0x2000, 1, DMAR_PERM_RW);
        tr.level = levels[i];
        g_assert_false(dmar_iotlb_insert(&t, SKEY(1), 1, &tr));
    }
    ASSERT_MISS(&t, 1, 0x1000);
    dmar_iotlb_flush_all(&t);

    /* Nor do they disturb a full set. */
    for (i = 0; i < DMAR_CACHE_WAYS; i++) {
        g_assert_false(iotlb_put(&t, 1, 1, i * SZ_4K, 0, 1, DMAR_PERM_R));
    }
    tr.level = 0;
    g_assert_false(dmar_iotlb_insert(&t, SKEY(1), 1, &tr));
    dmar_iotlb_flush_all(&t);
    assert_stats(&t.stats, 0, 1, 0);
    dmar_iotlb_destroy(&t);
}

/* ---- IOTLB: replacement ---- */

/* A cache of one set: every key competes for the same 4 ways. */
static void test_iotlb_lru(void)
{
    /* Keys 0..5: pages of several sizes and sources. */
    static const struct {
        uint16_t sid;
        uint64_t iova;
        unsigned level;
    } k[] = {
        { 1, 0x1000, 1 }, { 1, 0x200000, 2 }, { 2, 0x1000, 1 },
        { 1, 0x40000000, 3 }, { 3, 0x9000, 1 }, { 1, 0x2000, 1 },
    };
    uint64_t hits = 0, misses = 0, evictions = 0;
    DmarIotlb t;
    int i;

#define PA(i) (((uint64_t)(i) + 1) << 32)
#define PUT(i) iotlb_put(&t, k[i].sid, 1, k[i].iova, PA(i), k[i].level, \
                         DMAR_PERM_RW)
#define HIT(i) do { \
        ASSERT_HIT(&t, k[i].sid, k[i].iova, PA(i), k[i].level, \
                   DMAR_PERM_RW); \
        hits++; \
    } while (0)
#define MISS(i) do { \
        ASSERT_MISS(&t, k[i].sid, k[i].iova); \
        misses++; \
    } while (0)

    dmar_iotlb_init(&t, 4);
    g_assert_cmpuint(dmar_iotlb_size(&t), ==, DMAR_CACHE_WAYS);

    /* Fill the set: no eviction. LRU order now 0 1 2 3. */
    for (i = 0; i < 4; i++) {
        g_assert_false(PUT(i));
    }
    assert_stats(&t.stats, 0, 0, 0);

    /* A lookup makes 0 the most recent: 1 2 3 0. */
    HIT(0);
    g_assert_true(PUT(4));
    evictions++;
    MISS(1);
    HIT(2);
    HIT(3);
    HIT(0);
    HIT(4);
    assert_stats(&t.stats, hits, misses, evictions);

    /* Order 2 3 0 4: the next newcomer evicts 2 only. */
    g_assert_true(PUT(5));
    evictions++;
    MISS(2);
    HIT(3);
    HIT(0);
    HIT(4);
    HIT(5);
    assert_stats(&t.stats, hits, misses, evictions);

    /*
     * Order 3 0 4 5: refreshing 3 in place evicts nothing and makes it
     * the most recent, 0 4 5 3, so 0 goes next.
     */
    g_assert_false(PUT(3));
    g_assert_true(PUT(1));
    evictions++;
    MISS(0);
    HIT(4);
    HIT(5);
    HIT(3);
    HIT(1);
    assert_stats(&t.stats, hits, misses, evictions);

    /* A hole left by an invalidation is used before anything is evicted. */
    dmar_iotlb_flush_sid(&t, 3);
    MISS(4);
    g_assert_false(PUT(0));
    HIT(5);
    HIT(3);
    HIT(1);
    HIT(0);
    g_assert_true(PUT(4));
    evictions++;
    MISS(5);
    assert_stats(&t.stats, hits, misses, evictions);
    dmar_iotlb_flush_all(&t);

#undef PA
#undef PUT
#undef HIT
#undef MISS
    dmar_iotlb_destroy(&t);
}

/*
 * Finding keys that share a set, through the cache's interface only.
 * Keys are small integers the cache-specific callbacks turn into entries.
 */
typedef struct SetProbe {
    void *cache;
    void (*reset)(void *cache);
    bool (*insert)(void *cache, uint32_t key);
    bool (*present)(void *cache, uint32_t key);
} SetProbe;

#define MAX_CANDIDATES      2048

/* From empty, insert A, then KEYS[0..n) but SKIP: is A still there? */
static bool survives(const SetProbe *p, uint32_t a, const uint32_t *keys,
                     unsigned n, unsigned skip)
{
    unsigned i;

    p->reset(p->cache);
    p->insert(p->cache, a);
    for (i = 0; i < n; i++) {
        if (i != skip) {
            p->insert(p->cache, keys[i]);
        }
    }
    return p->present(p->cache, a);
}

#define OTHERS              3

/*
 * Fill MATES with DMAR_CACHE_WAYS keys that share the set of A, and
 * OTHERS with keys that do not. With LRU replacement, A (inserted first,
 * never used) leaves exactly when the DMAR_CACHE_WAYS-th key of its set
 * arrives: that key is the first candidate whose insertion evicts A, its
 * companions are the earlier candidates without which A would survive,
 * and the remaining earlier candidates are in other sets.
 */
static void find_set_mates(const SetProbe *p, uint32_t a, uint32_t *mates,
                           uint32_t *others)
{
    uint32_t cand[MAX_CANDIDATES];
    unsigned n, i, m = 0, o = 0;

    for (n = 1; n <= MAX_CANDIDATES; n++) {
        cand[n - 1] = a + n;
        if (!survives(p, a, cand, n, UINT_MAX)) {
            break;
        }
    }
    g_assert_cmpuint(n, <=, MAX_CANDIDATES);
    for (i = 0; i + 1 < n; i++) {
        if (survives(p, a, cand, n, i)) {
            g_assert_cmpuint(m, <, DMAR_CACHE_WAYS - 1);
            mates[m++] = cand[i];
        } else if (o < OTHERS) {
            others[o++] = cand[i];
        }
    }
    g_assert_cmpuint(m, ==, DMAR_CACHE_WAYS - 1);
    g_assert_cmpuint(o, ==, OTHERS);
    mates[m] = cand[n - 1];
    g_test_message("key %u shares its set with %u %u %u %u (%u candidates)",
                   a, mates[0], mates[1], mates[2], mates[3], n);
}

#define PROBE_SID           0x0123
#define PROBE_DID           9

static uint64_t probe_pa(uint32_t key)
{
    return 0x100000000ull + (uint64_t)key * SZ_4K;
}

static void iotlb_probe_reset(void *cache)
{
    dmar_iotlb_flush_all(cache);
}

static bool iotlb_probe_insert(void *cache, uint32_t key)
{
    return iotlb_put(cache, PROBE_SID, PROBE_DID, (uint64_t)key * SZ_4K,
                     probe_pa(key), 1, DMAR_PERM_RW);
}

static bool iotlb_probe_present(void *cache, uint32_t key)
{
    DmarTranslation out;

    if (!dmar_iotlb_lookup(cache, SKEY(PROBE_SID), (uint64_t)key * SZ_4K,
                           &out)) {
        return false;
    }
    g_assert_cmphex(out.pa, ==, probe_pa(key));
    return true;
}

/* In a cache of many sets, a full set evicts its LRU entry, nothing else. */
static void test_iotlb_lru_set(void)
{
    DmarIotlb t;
    SetProbe p = {
        .cache = &t,
        .reset = iotlb_probe_reset,
        .insert = iotlb_probe_insert,
        .present = iotlb_probe_present,
    };
    uint32_t a = 1000, m[DMAR_CACHE_WAYS], others[OTHERS];
    unsigned i;

    dmar_iotlb_init(&t, 64);
    find_set_mates(&p, a, m, others);

    /* Three keys of other sets cannot fill one: they evict nothing. */
    dmar_iotlb_flush_all(&t);
    memset(&t.stats, 0, sizeof(t.stats));
    g_assert_false(iotlb_probe_insert(&t, a));
    for (i = 0; i < DMAR_CACHE_WAYS - 1; i++) {
        g_assert_false(iotlb_probe_insert(&t, m[i]));
    }
    for (i = 0; i < OTHERS; i++) {
        g_assert_false(iotlb_probe_insert(&t, others[i]));
    }
    /* Use A: m[0] is now the least recently used of the set. */
    g_assert_true(iotlb_probe_present(&t, a));
    g_assert_true(iotlb_probe_insert(&t, m[3]));
    assert_stats(&t.stats, 1, 0, 1);

    g_assert_false(iotlb_probe_present(&t, m[0]));
    g_assert_true(iotlb_probe_present(&t, a));
    for (i = 1; i < DMAR_CACHE_WAYS; i++) {
        g_assert_true(iotlb_probe_present(&t, m[i]));
    }
    for (i = 0; i < OTHERS; i++) {
        g_assert_true(iotlb_probe_present(&t, others[i]));
    }
    assert_stats(&t.stats, 1 + DMAR_CACHE_WAYS + OTHERS, 1, 1);
    dmar_iotlb_flush_all(&t);
    dmar_iotlb_destroy(&t);
}

/* ---- IOTLB: invalidation ---- */

/* Domain 1 through sources 0x10 and 0x18, domain 2 through 0x20. */
static void iotlb_fill(DmarIotlb *t)
{
    dmar_iotlb_flush_all(t);
    iotlb_put(t, 0x10, 1, 0x1000, 0xa1000, 1, DMAR_PERM_RW);
    iotlb_put(t, 0x10, 1, 0x2000, 0xa2000, 1, DMAR_PERM_RW);
    iotlb_put(t, 0x10, 1, 0x200000, 0xe00000, 2, DMAR_PERM_RW);
    iotlb_put(t, 0x18, 1, 0x3000, 0xa3000, 1, DMAR_PERM_R);
    iotlb_put(t, 0x18, 1, 0x40000000, 0x40000000, 3, DMAR_PERM_R);
    iotlb_put(t, 0x20, 2, 0x1000, 0xb1000, 1, DMAR_PERM_W);
    iotlb_put(t, 0x20, 2, 0x200000, 0x1200000, 2, DMAR_PERM_W);
    g_assert_cmpuint(t->stats.evictions, ==, 0);
}

static void assert_domain1(DmarIotlb *t, bool present)
{
    if (present) {
        ASSERT_HIT(t, 0x10, 0x1000, 0xa1000, 1, DMAR_PERM_RW);
        ASSERT_HIT(t, 0x10, 0x2000, 0xa2000, 1, DMAR_PERM_RW);
        ASSERT_HIT(t, 0x10, 0x300000, 0xe00000, 2, DMAR_PERM_RW);
        ASSERT_HIT(t, 0x18, 0x3000, 0xa3000, 1, DMAR_PERM_R);
        ASSERT_HIT(t, 0x18, 0x40001000, 0x40000000, 3, DMAR_PERM_R);
    } else {
        ASSERT_MISS(t, 0x10, 0x1000);
        ASSERT_MISS(t, 0x10, 0x2000);
        ASSERT_MISS(t, 0x10, 0x300000);
        ASSERT_MISS(t, 0x18, 0x3000);
        ASSERT_MISS(t, 0x18, 0x40001000);
    }
}

static void assert_domain2(DmarIotlb *t, bool present)
{
    if (present) {
        ASSERT_HIT(t, 0x20, 0x1000, 0xb1000, 1, DMAR_PERM_W);
        ASSERT_HIT(t, 0x20, 0x200000, 0x1200000, 2, DMAR_PERM_W);
    } else {
        ASSERT_MISS(t, 0x20, 0x1000);
        ASSERT_MISS(t, 0x20, 0x200000);
    }
}

static void test_iotlb_flush_all(void)
{
    DmarIotlb t;

    dmar_iotlb_init(&t, 256);
    iotlb_fill(&t);
    assert_domain1(&t, true);
    assert_domain2(&t, true);
    dmar_iotlb_flush_all(&t);
    assert_domain1(&t, false);
    assert_domain2(&t, false);
    dmar_iotlb_flush_all(&t);

    /* The cache works as before afterwards, at every level. */
    iotlb_fill(&t);
    assert_domain1(&t, true);
    assert_domain2(&t, true);
    dmar_iotlb_flush_all(&t);
    dmar_iotlb_destroy(&t);
}

static void test_iotlb_flush_domain(void)
{
    DmarIotlb t;

    dmar_iotlb_init(&t, 256);
    iotlb_fill(&t);
    dmar_iotlb_flush_domain(&t, 3);
    dmar_iotlb_flush_domain(&t, 0);
    dmar_iotlb_flush_domain(&t, 1);
    assert_domain1(&t, false);
    assert_domain2(&t, true);
    dmar_iotlb_flush_domain(&t, 1);

    iotlb_fill(&t);
    dmar_iotlb_flush_domain(&t, 2);
    assert_domain1(&t, true);
    assert_domain2(&t, false);
    dmar_iotlb_flush_all(&t);
    dmar_iotlb_destroy(&t);
}

static void test_iotlb_flush_sid(void)
{
    DmarIotlb t;

    dmar_iotlb_init(&t, 256);
    iotlb_fill(&t);
    dmar_iotlb_flush_sid(&t, 0x11);
    dmar_iotlb_flush_sid(&t, 0x1000);
    dmar_iotlb_flush_sid(&t, 0x10);
    ASSERT_MISS(&t, 0x10, 0x1000);
    ASSERT_MISS(&t, 0x10, 0x2000);
    ASSERT_MISS(&t, 0x10, 0x200000);
    /* The same domain through another source stays. */
    ASSERT_HIT(&t, 0x18, 0x3000, 0xa3000, 1, DMAR_PERM_R);
    ASSERT_HIT(&t, 0x18, 0x7fffffff, 0x40000000, 3, DMAR_PERM_R);
    assert_domain2(&t, true);
    dmar_iotlb_flush_sid(&t, 0x20);
    assert_domain2(&t, false);
    dmar_iotlb_flush_all(&t);
    dmar_iotlb_destroy(&t);
}

static void test_iotlb_flush_pages(void)
{
    DmarIotlb t;

    dmar_iotlb_init(&t, 256);
    iotlb_fill(&t);
    /* A 4K page: only that page of that domain. */
    dmar_iotlb_flush_pages(&t, 1, 0x2000, 0);
    ASSERT_MISS(&t, 0x10, 0x2000);
    ASSERT_HIT(&t, 0x10, 0x1000, 0xa1000, 1, DMAR_PERM_RW);
    ASSERT_HIT(&t, 0x18, 0x3000, 0xa3000, 1, DMAR_PERM_R);
    ASSERT_HIT(&t, 0x10, 0x200000, 0xe00000, 2, DMAR_PERM_RW);
    assert_domain2(&t, true);

    /* A 4K page inside a 2M entry drops the 2M entry. */
    dmar_iotlb_flush_pages(&t, 1, 0x3ff000, 0);
    ASSERT_MISS(&t, 0x10, 0x200000);
    ASSERT_MISS(&t, 0x10, 0x3ff000);
    ASSERT_HIT(&t, 0x20, 0x3ff000, 0x1200000, 2, DMAR_PERM_W);

    /* The 4K pages just outside a range stay. */
    iotlb_fill(&t);
    dmar_iotlb_flush_pages(&t, 1, 0x4000, 2);
    dmar_iotlb_flush_pages(&t, 1, 0x0, 0);
    dmar_iotlb_flush_pages(&t, 1, 0x1ff000, 0);
    dmar_iotlb_flush_pages(&t, 1, 0x400000, 9);
    assert_domain1(&t, true);

    /* 16K at 0: three pages of two sources. */
    dmar_iotlb_flush_pages(&t, 1, 0x0, 2);
    ASSERT_MISS(&t, 0x10, 0x1000);
    ASSERT_MISS(&t, 0x10, 0x2000);
    ASSERT_MISS(&t, 0x18, 0x3000);
    ASSERT_HIT(&t, 0x10, 0x200000, 0xe00000, 2, DMAR_PERM_RW);
    assert_domain2(&t, true);

    /* 8K at 0: [0, 8K) holds 0x1000 only. */
    iotlb_fill(&t);
    dmar_iotlb_flush_pages(&t, 1, 0x0, 1);
    ASSERT_MISS(&t, 0x10, 0x1000);
    ASSERT_HIT(&t, 0x10, 0x2000, 0xa2000, 1, DMAR_PERM_RW);

    /* ADDR's low AM bits are ignored: 0x3000 with AM 1 is [0x2000, 16K). */
    dmar_iotlb_flush_pages(&t, 1, 0x3000, 1);
    ASSERT_MISS(&t, 0x10, 0x2000);
    ASSERT_MISS(&t, 0x18, 0x3000);

    /* A 2M range covers the 2M entry only; a 1G one inside the 1G page. */
    iotlb_fill(&t);
    dmar_iotlb_flush_pages(&t, 1, 0x200000, 9);
    ASSERT_MISS(&t, 0x10, 0x200000);
    ASSERT_HIT(&t, 0x10, 0x1000, 0xa1000, 1, DMAR_PERM_RW);
    dmar_iotlb_flush_pages(&t, 1, 0x7ffff000, 0);
    ASSERT_MISS(&t, 0x18, 0x40000000);

    /* 1G at 0 covers every remaining page of domain 1 below 1G. */
    dmar_iotlb_flush_pages(&t, 1, 0, 18);
    assert_domain1(&t, false);
    assert_domain2(&t, true);
    dmar_iotlb_flush_all(&t);
    dmar_iotlb_destroy(&t);
}

/* Address masks up to and beyond the address space. */
static void test_iotlb_flush_pages_large(void)
{
    static const unsigned all[] = { 52, 53, 63, 64, 100, UINT_MAX };
    const uint64_t top = 0xfffffffffffff000ull;
    DmarIotlb t;
    int i;

    dmar_iotlb_init(&t, 256);

    /* AM 51: half the space, by ADDR's bit 63. */
    iotlb_fill(&t);
    iotlb_put(&t, 0x10, 1, top, 0x5000, 1, DMAR_PERM_R);
    dmar_iotlb_flush_pages(&t, 1, 0, 51);
    ASSERT_HIT(&t, 0x10, top, 0x5000, 1, DMAR_PERM_R);
    dmar_iotlb_flush_pages(&t, 1, 1ull << 63, 51);
    ASSERT_MISS(&t, 0x10, top);
    assert_domain2(&t, true);

    /* AM 30: 4 TiB around the top page. */
    iotlb_put(&t, 0x10, 1, top, 0x5000, 1, DMAR_PERM_R);
    dmar_iotlb_flush_pages(&t, 1, top, 30);
    ASSERT_MISS(&t, 0x10, top);

    /* AM 52 and more: everything of the domain, whatever ADDR. */
    for (i = 0; i < ARRAY_SIZE(all); i++) {
        iotlb_fill(&t);
        iotlb_put(&t, 0x10, 1, top, 0x5000, 1, DMAR_PERM_R);
        iotlb_put(&t, 0x18, 1, 0xffffffffc0000000ull, 0, 3, DMAR_PERM_R);
        dmar_iotlb_flush_pages(&t, 1, 0x123456789000ull, all[i]);
        assert_domain1(&t, false);
        ASSERT_MISS(&t, 0x10, top);
        assert_domain2(&t, true);
    }
    dmar_iotlb_destroy(&t);
}

/*
 * dmar_iotlb_insert_group: each granted leaf answers for its own page
 * (output, permissions, key) and the others miss; a page-selective flush
 * of one page finds its entry (the group's pages are where inserting them
 * one by one would put them); inserting the group again refreshes it in
 * place; only its domain's flush drops it.
 */
static void test_iotlb_group(void)
{
    const uint64_t base = 0x7654340000ull;  /* a group's first page */
    uint64_t leaf[DMAR_LEAF_GROUP];
    DmarIotlb t;
    unsigned i;

    dmar_iotlb_init(&t, 4096);
    for (i = 0; i < DMAR_LEAF_GROUP; i++) {
        leaf[i] = i % 3 == 2 ? 0 : (0x900000000ull + i * 0x5000) |
                                   (i % 3 ? DMAR_PERM_R : DMAR_PERM_RW);
    }
    g_assert_cmpuint(dmar_iotlb_insert_group(&t, SKEY(0x10), 5,
                                             base + 17 * SZ_4K + 9, leaf),
                     ==, 0);
    for (i = 0; i < DMAR_LEAF_GROUP; i++) {
        uint64_t iova = base + i * SZ_4K + 0x123;

        if (leaf[i]) {
            ASSERT_HIT(&t, 0x10, iova, leaf[i] & ~3ull, 1, leaf[i] & 3);
        } else {
            ASSERT_MISS(&t, 0x10, iova);
        }
        ASSERT_MISS(&t, 0x11, iova);
    }
    ASSERT_MISS(&t, 0x10, base - SZ_4K);
    ASSERT_MISS(&t, 0x10, base + DMAR_LEAF_GROUP * SZ_4K);

    /* Again, with other outputs: refreshed in place, nothing evicted */
    for (i = 0; i < DMAR_LEAF_GROUP; i++) {
        leaf[i] = leaf[i] ? leaf[i] + 0x100000000ull : 0;
    }
    g_assert_cmpuint(dmar_iotlb_insert_group(&t, SKEY(0x10), 5, base, leaf),
                     ==, 0);
    g_assert_cmpuint(t.stats.evictions, ==, 0);

    /* Page by page: every third page flushed, the others kept */
    for (i = 0; i < DMAR_LEAF_GROUP; i += 3) {
        g_assert_cmpuint(dmar_iotlb_flush_pages(&t, 5, base + i * SZ_4K, 0),
                         ==, 1);
    }
    for (i = 0; i < DMAR_LEAF_GROUP; i++) {
        uint64_t iova = base + i * SZ_4K;

        if (i % 3 == 1) {
            ASSERT_HIT(&t, 0x10, iova, leaf[i] & ~3ull, 1, DMAR_PERM_R);
        } else {
            ASSERT_MISS(&t, 0x10, iova);
        }
    }
    dmar_iotlb_flush_domain(&t, 6);
    ASSERT_HIT(&t, 0x10, base + SZ_4K, leaf[1] & ~3ull, 1, DMAR_PERM_R);
    dmar_iotlb_flush_domain(&t, 5);
    ASSERT_MISS(&t, 0x10, base + SZ_4K);

    /* Nothing granted: nothing cached */
    memset(leaf, 0, sizeof(leaf));
    g_assert_cmpuint(dmar_iotlb_insert_group(&t, SKEY(0x10), 5, base, leaf),
                     ==, 0);
    ASSERT_MISS(&t, 0x10, base + SZ_4K);
    dmar_iotlb_destroy(&t);
}

/*
 * A group in a cache of exactly its size (16 sets of 4): wherever its
 * hash starts it, its pages wrap around the sets and fill every way, and
 * none evicts another; each answers, and each page-selective flush finds
 * its page.
 */
static void test_iotlb_group_wrap(void)
{
    uint64_t leaf[DMAR_LEAF_GROUP];
    DmarIotlb t;
    unsigned i, g;

    for (g = 0; g < 8; g++) {
        uint64_t base = 0x100000000ull + g * DMAR_LEAF_GROUP * SZ_4K;

        dmar_iotlb_init(&t, DMAR_LEAF_GROUP);
        g_assert_cmpuint(dmar_iotlb_size(&t), ==, DMAR_LEAF_GROUP);
        for (i = 0; i < DMAR_LEAF_GROUP; i++) {
            leaf[i] = (0x80000000ull + i * SZ_4K) | DMAR_PERM_W;
        }
        g_assert_cmpuint(dmar_iotlb_insert_group(&t, SKEY(g + 1), 2, base,
                                                 leaf), ==, 0);
        for (i = 0; i < DMAR_LEAF_GROUP; i++) {
            ASSERT_HIT(&t, g + 1, base + i * SZ_4K, leaf[i] & ~3ull, 1,
                       DMAR_PERM_W);
        }
        for (i = 0; i < DMAR_LEAF_GROUP; i++) {
            g_assert_cmpuint(dmar_iotlb_flush_pages(&t, 2, base + i * SZ_4K,
                                                    0), ==, 1);
            ASSERT_MISS(&t, g + 1, base + i * SZ_4K);
        }
        g_assert_cmpuint(t.stats.evictions, ==, 0);
        dmar_iotlb_destroy(&t);
    }
}

/* GROUP_SIZE: the bytes a leaf group maps */
#define GROUP_SIZE  (DMAR_LEAF_GROUP * SZ_4K)

/*
 * A page-selective flush over several groups, with blocks alone cached
 * (no single entry): it probes each group's set of blocks once and no
 * entry set, drops every leaf it covers and nothing past its range.
 */
static void test_iotlb_group_flush_range(void)
{
    uint64_t leaf[DMAR_LEAF_GROUP];
    DmarIotlb t;
    unsigned i, g;

    for (i = 0; i < DMAR_LEAF_GROUP; i++) {
        leaf[i] = (0x80000000ull + i * SZ_4K) | DMAR_PERM_R;
    }
    dmar_iotlb_init(&t, 4096);
    for (g = 0; g < 5; g++) {
        dmar_iotlb_insert_group(&t, SKEY(0x18), 3, 0x40000000 + g * GROUP_SIZE,
                                leaf);
    }
    /* 1 MiB: the first four groups */
    g_assert_cmpuint(dmar_iotlb_flush_pages(&t, 3, 0x40000000, 8), ==,
                     4 * DMAR_LEAF_GROUP);
    g_assert_cmpuint(t.stats.probes, ==, 4);
    for (g = 0; g < 4; g++) {
        ASSERT_MISS(&t, 0x18, 0x40000000 + g * GROUP_SIZE);
        ASSERT_MISS(&t, 0x18, 0x40000000 + g * GROUP_SIZE + 63 * SZ_4K);
    }
    ASSERT_HIT(&t, 0x18, 0x40000000 + 4 * GROUP_SIZE, 0x80000000ull, 1,
               DMAR_PERM_R);
    dmar_iotlb_destroy(&t);
}

/*
 * A device's consecutive groups spread over the sets of blocks evenly:
 * a default IOTLB (4096 entries: 64 blocks, 16 sets of 4) holds a run of
 * 64 groups of one device whole, wherever the run starts; the 65th group
 * evicts the run's first, the least recently used of its set.
 */
static void test_iotlb_group_spread(void)
{
    uint64_t leaf[DMAR_LEAF_GROUP];
    DmarIotlb t;
    unsigned i, g, start;

    for (i = 0; i < DMAR_LEAF_GROUP; i++) {
        leaf[i] = (0x80000000ull + i * SZ_4K) | DMAR_PERM_RW;
    }
    for (start = 0; start < 40; start += 13) {
        uint64_t base = 0x7f000000ull + start * GROUP_SIZE;

        dmar_iotlb_init(&t, 4096);
        for (g = 0; g < 64; g++) {
            g_assert_cmpuint(dmar_iotlb_insert_group(&t, SKEY(0x18), 3,
                                                     base + g * GROUP_SIZE,
                                                     leaf), ==, 0);
        }
        for (g = 0; g < 64; g++) {
            ASSERT_HIT(&t, 0x18, base + g * GROUP_SIZE + 7 * SZ_4K,
                       0x80000000ull + 7 * SZ_4K, 1, DMAR_PERM_RW);
        }
        g_assert_cmpuint(t.stats.evictions, ==, 0);
        g_assert_cmpuint(dmar_iotlb_insert_group(&t, SKEY(0x18), 3,
                                                 base + 64 * GROUP_SIZE,
                                                 leaf), ==, DMAR_LEAF_GROUP);
        ASSERT_MISS(&t, 0x18, base);
        ASSERT_HIT(&t, 0x18, base + GROUP_SIZE, 0x80000000ull, 1,
                   DMAR_PERM_RW);
        ASSERT_HIT(&t, 0x18, base + 64 * GROUP_SIZE, 0x80000000ull, 1,
                   DMAR_PERM_RW);
        dmar_iotlb_destroy(&t);
    }
}

/*
 * Fill the one set of blocks of a DMAR_CACHE_WAYS-entry IOTLB: the groups
 * 0 to DMAR_CACHE_WAYS - 1 of SID, each LEAF, evicting nothing.
 */
static void fill_group_set(DmarIotlb *t, uint16_t sid, const uint64_t *leaf)
{
    dmar_iotlb_init(t, DMAR_CACHE_WAYS);
    for (unsigned g = 0; g < DMAR_CACHE_WAYS; g++) {
        g_assert_cmpuint(dmar_iotlb_insert_group(t, SKEY(sid), 1,
                                                 g * GROUP_SIZE, leaf),
                         ==, 0);
    }
}

/*
 * A page-selective flush of one page, logged (its domain has entries of
 * more source-ids than it notes), covers the group around the page: the
 * group is stale as a whole, its other pages miss too.
 */
static void test_iotlb_group_logged_page(void)
{
    uint64_t leaf[DMAR_LEAF_GROUP];
    DmarIotlb t;
    unsigned i, sid;

    dmar_iotlb_init(&t, 4096);
    for (i = 0; i < DMAR_LEAF_GROUP; i++) {
        leaf[i] = (0x40000000ull + i * SZ_4K) | DMAR_PERM_RW;
    }
    for (sid = 1; sid <= DMAR_DID_SIDS + 1; sid++) {
        dmar_iotlb_insert_group(&t, SKEY(sid), 5, 0, leaf);
    }
    /* (the newest group hits; older ones may share its set of blocks) */
    ASSERT_HIT(&t, sid - 1, 5 * SZ_4K, 0x40000000ull + 5 * SZ_4K, 1,
               DMAR_PERM_RW);
    ASSERT_HIT(&t, sid - 1, 0, 0x40000000ull, 1, DMAR_PERM_RW);
    g_assert_cmpuint(dmar_iotlb_flush_pages(&t, 5, 5 * SZ_4K, 0), ==, 0);
    ASSERT_MISS(&t, sid - 1, 5 * SZ_4K);
    ASSERT_MISS(&t, sid - 1, 0);
    dmar_iotlb_destroy(&t);
}

/*
 * A group whose pages were all flushed frees its block's way: the next
 * group takes it and evicts nothing, however recently the flushed group
 * was used.
 */
static void test_iotlb_group_emptied(void)
{
    uint64_t leaf[DMAR_LEAF_GROUP] = { 0 };
    const uint64_t group = GROUP_SIZE;
    DmarIotlb t;
    unsigned g = DMAR_CACHE_WAYS;

    leaf[3] = 0x50000000ull | DMAR_PERM_R;
    fill_group_set(&t, 3, leaf);
    ASSERT_HIT(&t, 3, 3 * SZ_4K, 0x50000000ull, 1, DMAR_PERM_R);
    g_assert_cmpuint(dmar_iotlb_flush_pages(&t, 1, 0, 6), ==, 1);
    g_assert_cmpuint(dmar_iotlb_insert_group(&t, SKEY(3), 1, g * group,
                                             leaf), ==, 0);
    for (g = 1; g <= DMAR_CACHE_WAYS; g++) {
        ASSERT_HIT(&t, 3, g * group + 3 * SZ_4K, 0x50000000ull, 1,
                   DMAR_PERM_R);
    }
    g_assert_cmpuint(t.stats.evictions, ==, 0);
    dmar_iotlb_destroy(&t);
}

/*
 * Groups are kept whole, a block each, in sets of DMAR_CACHE_WAYS blocks:
 * a cache of DMAR_CACHE_WAYS entries holds that many groups. One more
 * evicts the least recently used group, and says how many live pages
 * went; the same group again replaces its block in place, evicting
 * nothing; a stale block is no eviction.
 */
static void test_iotlb_group_evict(void)
{
    uint64_t leaf[DMAR_LEAF_GROUP];
    const uint64_t group = GROUP_SIZE;
    DmarIotlb t;
    unsigned i, g = DMAR_CACHE_WAYS;

    for (i = 0; i < DMAR_LEAF_GROUP; i++) {
        leaf[i] = i % 4 ? (0x40000000ull + i * SZ_4K) | DMAR_PERM_RW : 0;
    }
    fill_group_set(&t, 3, leaf);
    g_assert_cmpuint(dmar_iotlb_insert_group(&t, SKEY(3), 1, 0, leaf), ==,
                     0);
    /* group 1 is now the least recently used: 48 live pages go */
    g_assert_cmpuint(dmar_iotlb_insert_group(&t, SKEY(3), 1, g * group,
                                             leaf), ==,
                     DMAR_LEAF_GROUP * 3 / 4);
    g_assert_cmpuint(t.stats.evictions, ==, DMAR_LEAF_GROUP * 3 / 4);
    for (g = 0; g <= DMAR_CACHE_WAYS; g++) {
        for (i = 0; i < DMAR_LEAF_GROUP; i++) {
            if (leaf[i] && g != 1) {
                ASSERT_HIT(&t, 3, g * group + i * SZ_4K, leaf[i] & ~3ull, 1,
                           DMAR_PERM_RW);
            } else {
                ASSERT_MISS(&t, 3, g * group + i * SZ_4K);
            }
        }
    }
    dmar_iotlb_flush_domain(&t, 1);
    g_assert_cmpuint(dmar_iotlb_insert_group(&t, SKEY(3), 1, group, leaf),
                     ==, 0);
    g_assert_cmpuint(t.stats.evictions, ==, DMAR_LEAF_GROUP * 3 / 4);
    dmar_iotlb_destroy(&t);
}

/* ---- IOTLB: randomized, against a model ---- */

typedef struct ModelEntry {
    uint64_t tag;           /* iova >> page shift */
    uint64_t pa;
    uint16_t sid;
    uint16_t did;
    uint8_t level;
    uint8_t perm;
} ModelEntry;

typedef struct ModelCase {
    const char *name;
    uint32_t entries;
    uint32_t seed;
} ModelCase;

static const ModelCase model_cases[] = {
    { "4", 4, 0x5eed0004 },
    { "16", 16, 0x5eed0016 },
    { "64", 64, 0x5eed0064 },
    { "4096", 4096, 0x5eed4096 },
};

#define MODEL_OPS           40000

static const uint16_t model_sids[] = {
    0x0000, BDF(0, 2, 0), BDF(0, 2, 1), BDF(3, 0, 0), BDF(0xff, 31, 7),
};

static const uint64_t model_regions[] = {
    0, SZ_1G, 0x7fc0000000ull, 0xffffffffc0000000ull,
};

static uint64_t rand64(GRand *r)
{
    return ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
}

/* Addresses in a few 1G regions, in a few 2M pages of each, at 4K. */
static uint64_t model_iova(GRand *r)
{
    return model_regions[g_rand_int_range(r, 0, ARRAY_SIZE(model_regions))] +
           g_rand_int_range(r, 0, 4) * SZ_2M +
           g_rand_int_range(r, 0, 8) * SZ_4K +
           (g_rand_boolean(r) ? 0 : g_rand_int_range(r, 0, SZ_4K));
}

static uint64_t model_first(const ModelEntry *m)
{
    return m->tag * level_size(m->level);
}

static ModelEntry *model_find(GArray *model, uint16_t sid, uint64_t iova,
                              unsigned level)
{
    unsigned i;

    for (i = 0; i < model->len; i++) {
        ModelEntry *m = &g_array_index(model, ModelEntry, i);

        if (m->sid == sid && m->level == level &&
            m->tag == iova / level_size(level)) {
            return m;
        }
    }
    return NULL;
}

static bool model_covers(GArray *model, uint16_t sid, uint64_t iova)
{
    unsigned level;

    for (level = 1; level <= 3; level++) {
        if (model_find(model, sid, iova, level)) {
            return true;
        }
    }
    return false;
}

/* What a flush drops, by the spec: the kinds of invalidation. */
typedef enum FlushKind {
    FLUSH_ALL, FLUSH_DOMAIN, FLUSH_SID, FLUSH_PAGES,
} FlushKind;

typedef struct Flush {
    FlushKind kind;
    uint16_t did, sid;
    uint64_t first, last;   /* FLUSH_PAGES: the range */
} Flush;

static bool flush_matches(const Flush *f, const ModelEntry *m)
{
    uint64_t first = model_first(m);
    uint64_t last = first + level_size(m->level) - 1;

    switch (f->kind) {
    case FLUSH_ALL:
        return true;
    case FLUSH_DOMAIN:
        return m->did == f->did;
    case FLUSH_SID:
        return m->sid == f->sid;
    case FLUSH_PAGES:
        return m->did == f->did && first <= f->last && last >= f->first;
    }
    g_assert_not_reached();
}

/* Drop what F matches from the model; return how many. */
static unsigned model_flush(GArray *model, const Flush *f)
{
    unsigned n = 0, i = 0;

    while (i < model->len) {
        if (flush_matches(f, &g_array_index(model, ModelEntry, i))) {
            g_array_remove_index_fast(model, i);
            n++;
        } else {
            i++;
        }
    }
    return n;
}

static unsigned model_am(GRand *r)
{
    static const unsigned big[] = { 18, 27, 30, 39, 51, 52, 60, 63 };

    if (g_rand_int_range(r, 0, 10)) {
        return g_rand_int_range(r, 0, 11);
    }
    return big[g_rand_int_range(r, 0, ARRAY_SIZE(big))];
}

typedef struct ModelStats {
    unsigned inserts, evictions, hits, misses, exact_misses;
    unsigned flushes, flushed, exact_flushes;
} ModelStats;

static void model_lookup(DmarIotlb *t, GArray *model, uint16_t sid,
                         uint64_t iova, bool exact, ModelStats *s)
{
    DmarTranslation out;
    ModelEntry *m;

    if (!dmar_iotlb_lookup(t, SKEY(sid), iova, &out)) {
        s->misses++;
        if (exact) {
            /* Nothing was evicted: the miss must be a true one. */
            if (model_covers(model, sid, iova)) {
                g_test_message("sid 0x%04x iova 0x%" PRIx64 ": inserted,"
                               " not invalidated nor evicted, but missed",
                               sid, iova);
            }
            g_assert_false(model_covers(model, sid, iova));
            s->exact_misses++;
        }
        return;
    }
    s->hits++;
    g_assert_cmpuint(out.level, >=, 1);
    g_assert_cmpuint(out.level, <=, 3);
    m = model_find(model, sid, iova, out.level);
    if (!m || m->pa != out.pa || m->perm != out.perm) {
        g_test_message("sid 0x%04x iova 0x%" PRIx64 ": cache says pa 0x%"
                       PRIx64 " perm %u (%s), model %s pa 0x%" PRIx64
                       " perm %u", sid, iova, out.pa, out.perm,
                       level_name(out.level), m ? "has" : "has nothing,",
                       m ? m->pa : 0, m ? m->perm : 0);
    }
    g_assert_nonnull(m);
    g_assert_cmphex(out.pa, ==, m->pa);
    g_assert_cmpuint(out.perm, ==, m->perm);
    g_assert_cmphex(out.mask, ==, level_size(out.level) - 1);
    g_assert_cmphex(out.iova, ==, model_first(m));
}

static void test_iotlb_model(const void *opaque)
{
    const ModelCase *c = opaque;
    GRand *r = g_rand_new_with_seed(c->seed);
    GArray *model = g_array_new(false, false, sizeof(ModelEntry));
    ModelStats s = { 0 };
    uint64_t evictions_at_flush_all = 0;
    DmarIotlb t;
    unsigned op, i, n;
    bool exact;

    dmar_iotlb_init(&t, c->entries);
    for (op = 0; op < MODEL_OPS; op++) {
        unsigned pick = g_rand_int_range(r, 0, 1000);
        uint16_t sid = model_sids[g_rand_int_range(r, 0,
                                                   ARRAY_SIZE(model_sids))];
        uint16_t did = g_rand_int_range(r, 1, 4);
        uint64_t iova = model_iova(r);
        Flush f = { .did = did, .sid = sid };
        unsigned want, got, am = 0;

        /* Exact while nothing was evicted since the model was empty. */
        exact = t.stats.evictions == evictions_at_flush_all;

        if (pick < 60) {
            /*
             * A group of leaves around IOVA (the first 16 pages of the
             * group, where the model's addresses are: the model stays
             * small), each granted or not.
             */
            uint64_t leaf[DMAR_LEAF_GROUP] = { 0 };
            uint64_t first = iova & ~(DMAR_LEAF_GROUP * SZ_4K - 1);
            unsigned evicted;

            for (i = 0; i < 16; i++) {
                ModelEntry n = {
                    .tag = first / SZ_4K + i,
                    .pa = rand64(r) & 0xffffffffff000ull, .sid = sid,
                    .did = did, .level = 1,
                    .perm = g_rand_int_range(r, 1, 4),
                };
                ModelEntry *m;

                if (g_rand_boolean(r)) {
                    continue;
                }
                leaf[i] = n.pa | n.perm;
                m = model_find(model, sid, first + i * SZ_4K, 1);
                if (m) {
                    *m = n;
                } else {
                    g_array_append_val(model, n);
                }
            }
            evicted = dmar_iotlb_insert_group(&t, SKEY(sid), did, iova, leaf);
            s.inserts++;
            s.evictions += evicted;
            g_assert_cmpuint(t.stats.evictions, ==, s.evictions);
            model_lookup(&t, model, sid, iova, exact && !evicted, &s);
            g_assert_cmpuint(t.stats.misses, ==, s.misses);
            continue;
        }
        if (pick < 450) {
            unsigned level = pick < 250 ? 1 : pick < 380 ? 2 : 3;
            DmarTranslation tr = xlate(iova, rand64(r) & 0xffffffffff000ull,
                                       level, g_rand_int_range(r, 1, 4));
            ModelEntry *m = model_find(model, sid, iova, level);
            ModelEntry n = {
                .tag = iova / level_size(level), .pa = tr.pa, .sid = sid,
                .did = did, .level = level, .perm = tr.perm,
            };
            bool evicted, refresh = m && (level > 1 || m->did == did);

            if (m) {
                *m = n;
            } else {
                g_array_append_val(model, n);
            }
            evicted = dmar_iotlb_insert(&t, SKEY(sid), did, &tr);
            s.inserts++;
            s.evictions += evicted;
            g_assert_cmpuint(t.stats.evictions, ==, s.evictions);
            /*
             * Nothing to evict while the cache holds no more than a set,
             * nor when refreshing a resident entry (a 4 KiB page of a
             * group that goes to another domain leaves the group's block,
             * which has one domain-id, and takes a way of its own).
             */
            if (exact && (model->len <= DMAR_CACHE_WAYS || refresh)) {
                g_assert_false(evicted);
            }
            /* It hits at once, this or a smaller page of the model. */
            model_lookup(&t, model, sid, iova, exact && !evicted, &s);
            g_assert_cmpuint(t.stats.misses, ==, s.misses);
            continue;
        }
        if (pick < 900) {
            model_lookup(&t, model, sid, iova, exact, &s);
            continue;
        }

        if (pick < 905) {
            f.kind = FLUSH_ALL;
        } else if (pick < 930) {
            f.kind = FLUSH_DOMAIN;
        } else if (pick < 955) {
            f.kind = FLUSH_SID;
        } else {
            uint64_t size;

            am = model_am(r);
            size = am >= 52 ? 0 : SZ_4K << am;
            f.kind = FLUSH_PAGES;
            f.first = size ? iova & ~(size - 1) : 0;
            f.last = size ? f.first + size - 1 : UINT64_MAX;
        }
        if (f.kind == FLUSH_ALL) {
            got = dmar_iotlb_flush_all(&t);
        } else if (f.kind == FLUSH_DOMAIN) {
            got = dmar_iotlb_flush_domain(&t, did);
        } else if (f.kind == FLUSH_SID) {
            got = dmar_iotlb_flush_sid(&t, sid);
        } else {
            got = dmar_iotlb_flush_pages(&t, did, iova, am);
        }
        want = model_flush(model, &f);
        /*
         * What a flush drops at once is at most what it covers: a lazy
         * flush drops nothing now; the lookups show what it did.
         */
        if (got > want) {
            g_test_message("op %u: flush kind %d did %u sid 0x%04x range 0x%"
                           PRIx64 "..0x%" PRIx64 " dropped %u, model %u",
                           op, f.kind, did, sid, f.first, f.last, got, want);
        }
        g_assert_cmpuint(got, <=, want);
        s.exact_flushes += exact;
        s.flushes++;
        s.flushed += want;
        if (f.kind == FLUSH_ALL) {
            g_assert_cmpuint(model->len, ==, 0);
            evictions_at_flush_all = t.stats.evictions;
        }
    }

    /* What is left: every hit is in the model, and all of it if exact. */
    exact = t.stats.evictions == evictions_at_flush_all;
    for (i = 0; i < model->len; i++) {
        ModelEntry m = g_array_index(model, ModelEntry, i);

        model_lookup(&t, model, m.sid, model_first(&m) + 0x10, exact, &s);
    }
    g_assert_cmpuint(t.stats.hits, ==, s.hits);
    g_assert_cmpuint(t.stats.misses, ==, s.misses);
    g_assert_cmpuint(t.stats.evictions, ==, s.evictions);
    /* A global flush leaves nothing. */
    n = s.hits;
    dmar_iotlb_flush_all(&t);
    for (i = 0; i < model->len; i++) {
        ModelEntry m = g_array_index(model, ModelEntry, i);

        ASSERT_MISS(&t, m.sid, model_first(&m) + 0x10);
    }
    g_assert_cmpuint(t.stats.hits, ==, n);

    g_test_message("%u entries: %u inserts, %u evictions, %u hits, %u misses"
                   " (%u exact), %u flushes (%u exact) dropping %u",
                   c->entries, s.inserts, s.evictions, s.hits, s.misses,
                   s.exact_misses, s.flushes, s.exact_flushes, s.flushed);
    /* Every outcome was exercised. */
    g_assert_cmpuint(s.hits, >, MODEL_OPS / 20);
    g_assert_cmpuint(s.misses, >, MODEL_OPS / 20);
    g_assert_cmpuint(s.flushed, >, MODEL_OPS / 100);
    g_assert_cmpuint(s.exact_flushes, >, 0);
    g_assert_cmpuint(s.exact_misses, >, 0);
    if (c->entries < 256) {
        g_assert_cmpuint(s.evictions, >, MODEL_OPS / 100);
    } else {
        g_assert_cmpuint(s.exact_misses, >, MODEL_OPS / 20);
    }

    dmar_iotlb_destroy(&t);
    g_array_free(model, true);
    g_rand_free(r);
}

/* ---- Context cache ---- */

static void test_ctx_basic(void)
{
    DmarContext a = {
        .sid = BDF(2, 3, 4), .did = 0x1234, .tt = DMAR_TT_ALL,
        .levels = 5, .fpd = true, .slptptr = 0xfffffffff000ull,
    };
    DmarContext b = {
        .sid = BDF(0, 0, 0), .did = 0, .tt = DMAR_TT_PASSTHROUGH,
        .levels = 0, .fpd = false, .slptptr = 0,
    };
    DmarContext a2 = a, out;
    DmarCtxCache c;

    dmar_ctx_cache_init(&c, 256);
    g_assert_false(dmar_ctx_cache_lookup(&c, a.sid, &out));
    g_assert_false(dmar_ctx_cache_insert(&c, &a));
    g_assert_false(dmar_ctx_cache_insert(&c, &b));

    memset(&out, 0xa5, sizeof(out));
    g_assert_true(dmar_ctx_cache_lookup(&c, a.sid, &out));
    assert_ctx_equal(&out, &a);
    memset(&out, 0xa5, sizeof(out));
    g_assert_true(dmar_ctx_cache_lookup(&c, b.sid, &out));
    assert_ctx_equal(&out, &b);
    g_assert_false(dmar_ctx_cache_lookup(&c, a.sid ^ 1, &out));
    g_assert_false(dmar_ctx_cache_lookup(&c, a.sid ^ 0x100, &out));
    g_assert_false(dmar_ctx_cache_lookup(&c, 0xffff, &out));
    assert_stats(&c.stats, 2, 4, 0);

    /* Refresh in place: the new entry wins, and there is still one. */
    a2.did = 0x4321;
    a2.tt = DMAR_TT_UNTRANSLATED;
    a2.levels = 3;
    a2.fpd = false;
    a2.slptptr = 0x1000;
    g_assert_false(dmar_ctx_cache_insert(&c, &a2));
    g_assert_true(dmar_ctx_cache_lookup(&c, a.sid, &out));
    assert_ctx_equal(&out, &a2);
    dmar_ctx_cache_flush_domain(&c, 0x1234);
    dmar_ctx_cache_flush_domain(&c, 0x4321);
    g_assert_false(dmar_ctx_cache_lookup(&c, a.sid, &out));
    dmar_ctx_cache_flush_all(&c);
    g_assert_false(dmar_ctx_cache_lookup(&c, b.sid, &out));
    assert_stats(&c.stats, 3, 6, 0);
    dmar_ctx_cache_destroy(&c);
}

static void test_ctx_lru(void)
{
    static const uint16_t sids[] = {
        BDF(0, 1, 0), BDF(0, 1, 1), BDF(1, 0, 0), BDF(0xff, 0, 0),
        BDF(0, 31, 7), BDF(0, 0, 0),
    };
    DmarCtxCache c;
    int i;

    dmar_ctx_cache_init(&c, 4);
    for (i = 0; i < 4; i++) {
        g_assert_false(ctx_put(&c, sids[i], i));
    }
    /* 0 1 2 3; using 0 and 1 leaves 2 the least recently used. */
    assert_ctx_hit(&c, sids[0], 0);
    assert_ctx_hit(&c, sids[1], 1);
    g_assert_true(ctx_put(&c, sids[4], 4));
    g_assert_false(ctx_cached(&c, sids[2]));
    assert_ctx_hit(&c, sids[3], 3);
    assert_ctx_hit(&c, sids[0], 0);
    assert_ctx_hit(&c, sids[1], 1);
    assert_ctx_hit(&c, sids[4], 4);
    assert_stats(&c.stats, 6, 1, 1);

    /* 3 0 1 4: refreshing 3 in place evicts nothing, 0 goes next. */
    g_assert_false(ctx_put(&c, sids[3], 33));
    g_assert_true(ctx_put(&c, sids[5], 5));
    g_assert_false(ctx_cached(&c, sids[0]));
    assert_ctx_hit(&c, sids[3], 33);
    assert_ctx_hit(&c, sids[1], 1);
    assert_ctx_hit(&c, sids[4], 4);
    assert_ctx_hit(&c, sids[5], 5);
    assert_stats(&c.stats, 10, 2, 2);

    /* A hole is filled before anything is evicted. */
    dmar_ctx_cache_flush_domain(&c, 1);
    g_assert_false(ctx_put(&c, sids[0], 0));
    g_assert_true(ctx_put(&c, sids[2], 2));
    g_assert_false(ctx_cached(&c, sids[3]));
    assert_stats(&c.stats, 10, 3, 3);
    dmar_ctx_cache_flush_all(&c);
    dmar_ctx_cache_destroy(&c);
}

static void ctx_probe_reset(void *cache)
{
    dmar_ctx_cache_flush_all(cache);
}

static bool ctx_probe_insert(void *cache, uint32_t key)
{
    return ctx_put(cache, key, key & 0xff);
}

static bool ctx_probe_present(void *cache, uint32_t key)
{
    DmarContext out;

    if (!dmar_ctx_cache_lookup(cache, key, &out)) {
        return false;
    }
    g_assert_cmphex(out.sid, ==, key);
    g_assert_cmphex(out.did, ==, key & 0xff);
    return true;
}

static void test_ctx_lru_set(void)
{
    DmarCtxCache c;
    SetProbe p = {
        .cache = &c,
        .reset = ctx_probe_reset,
        .insert = ctx_probe_insert,
        .present = ctx_probe_present,
    };
    uint32_t a = BDF(0, 3, 0), m[DMAR_CACHE_WAYS], others[OTHERS];
    unsigned i;

    dmar_ctx_cache_init(&c, 64);
    find_set_mates(&p, a, m, others);
    dmar_ctx_cache_flush_all(&c);
    memset(&c.stats, 0, sizeof(c.stats));

    g_assert_false(ctx_probe_insert(&c, m[0]));
    g_assert_false(ctx_probe_insert(&c, a));
    g_assert_false(ctx_probe_insert(&c, m[1]));
    g_assert_false(ctx_probe_insert(&c, m[2]));
    for (i = 0; i < OTHERS; i++) {
        g_assert_false(ctx_probe_insert(&c, others[i]));
    }
    /* Using m[0] leaves A the least recently used of its set. */
    g_assert_true(ctx_probe_present(&c, m[0]));
    g_assert_true(ctx_probe_insert(&c, m[3]));
    g_assert_false(ctx_probe_present(&c, a));
    for (i = 0; i < DMAR_CACHE_WAYS; i++) {
        g_assert_true(ctx_probe_present(&c, m[i]));
    }
    for (i = 0; i < OTHERS; i++) {
        g_assert_true(ctx_probe_present(&c, others[i]));
    }
    assert_stats(&c.stats, 1 + DMAR_CACHE_WAYS + OTHERS, 1, 1);
    dmar_ctx_cache_flush_all(&c);
    dmar_ctx_cache_destroy(&c);
}

/* Device 03:04 (8 functions), 03:05.0, 04:04.0; in domains 1 and 2. */
static const uint16_t dev_sids[] = {
    BDF(3, 4, 0), BDF(3, 4, 1), BDF(3, 4, 2), BDF(3, 4, 3),
    BDF(3, 4, 4), BDF(3, 4, 5), BDF(3, 4, 6), BDF(3, 4, 7),
    BDF(3, 5, 0), BDF(4, 4, 0),
};

static uint16_t dev_did(unsigned i)
{
    return i == 8 ? 2 : 1;
}

static void ctx_fill(DmarCtxCache *c)
{
    unsigned i;

    dmar_ctx_cache_flush_all(c);
    for (i = 0; i < ARRAY_SIZE(dev_sids); i++) {
        ctx_put(c, dev_sids[i], dev_did(i));
    }
    g_assert_cmpuint(c->stats.evictions, ==, 0);
}

/* Is index I (of dev_sids) cached? Checks the entry when it is. */
static bool dev_cached(DmarCtxCache *c, unsigned i)
{
    DmarContext out;

    if (!dmar_ctx_cache_lookup(c, dev_sids[i], &out)) {
        return false;
    }
    g_assert_cmphex(out.did, ==, dev_did(i));
    return true;
}

static void test_ctx_flush(void)
{
    DmarCtxCache c;
    unsigned i;

    dmar_ctx_cache_init(&c, 256);
    ctx_fill(&c);
    dmar_ctx_cache_flush_all(&c);
    for (i = 0; i < ARRAY_SIZE(dev_sids); i++) {
        g_assert_false(dev_cached(&c, i));
    }
    dmar_ctx_cache_flush_all(&c);

    ctx_fill(&c);
    dmar_ctx_cache_flush_domain(&c, 3);
    dmar_ctx_cache_flush_domain(&c, 2);
    for (i = 0; i < ARRAY_SIZE(dev_sids); i++) {
        g_assert(dev_cached(&c, i) == (dev_did(i) != 2));
    }
    dmar_ctx_cache_flush_domain(&c, 1);
    for (i = 0; i < ARRAY_SIZE(dev_sids); i++) {
        g_assert_false(dev_cached(&c, i));
    }
    dmar_ctx_cache_destroy(&c);
}

/*
 * Device-selective invalidation: the function mask (CCMD.FM) says how
 * many low bits of the function number are not compared (VT-d §11.4.6.1):
 * 0 none, 1 bit 2, 2 bits 2:1, 3 bits 2:0.
 */
typedef struct DevCase {
    const char *name;
    uint16_t sid_mask;
    uint16_t sid;
    uint8_t dropped;        /* function numbers of 03:04, as a bitmap */
} DevCase;

static const DevCase dev_cases[] = {
    { "fm0", 0xffff, BDF(3, 4, 2), 1u << 2 },
    { "fm0-f7", 0xffff, BDF(3, 4, 7), 1u << 7 },
    { "fm1", 0xfffb, BDF(3, 4, 2), 1u << 2 | 1u << 6 },
    { "fm1-f5", 0xfffb, BDF(3, 4, 1), 1u << 1 | 1u << 5 },
    { "fm2", 0xfff9, BDF(3, 4, 2), 0x55 },
    { "fm2-odd", 0xfff9, BDF(3, 4, 7), 0xaa },
    { "fm3", 0xfff8, BDF(3, 4, 2), 0xff },
    { "fm3-f0", 0xfff8, BDF(3, 4, 0), 0xff },
    { "absent", 0xffff, BDF(3, 6, 0), 0 },
};

static void test_ctx_flush_device(const void *opaque)
{
    const DevCase *d = opaque;
    DmarCtxCache c;
    unsigned i;

    dmar_ctx_cache_init(&c, 256);
    ctx_fill(&c);
    dmar_ctx_cache_flush_device(&c, 1, d->sid, d->sid_mask);
    for (i = 0; i < 8; i++) {
        g_assert(dev_cached(&c, i) == !(d->dropped & (1u << i)));
    }
    /* Neighbouring device, bus, and the other domain: never. */
    g_assert_true(dev_cached(&c, 8));
    g_assert_true(dev_cached(&c, 9));
    dmar_ctx_cache_flush_all(&c);
    dmar_ctx_cache_destroy(&c);
}

/*
 * A cached entry whose domain-id is not the one named goes too: after the
 * guest moved a device to a new domain, it invalidates it by the new one.
 */
static void test_ctx_flush_device_did(void)
{
    DmarCtxCache c;

    dmar_ctx_cache_init(&c, 256);
    ctx_fill(&c);
    dmar_ctx_cache_flush_device(&c, 7, BDF(3, 5, 0), 0xffff);
    g_assert_false(dev_cached(&c, 8));
    g_assert_true(dev_cached(&c, 0));
    dmar_ctx_cache_flush_all(&c);
    dmar_ctx_cache_destroy(&c);
}

/* Randomized, against a model: sid -> context, or nothing. */
static void test_ctx_model(const void *opaque)
{
    static const uint16_t masks[] = { 0xffff, 0xfffb, 0xfff9, 0xfff8 };
    const ModelCase *mc = opaque;
    GRand *r = g_rand_new_with_seed(mc->seed ^ 0xc0c0);
    DmarContext *model = g_new0(DmarContext, 32);
    bool present[32] = { false };
    uint64_t evictions_at_flush_all = 0;
    unsigned hits = 0, misses = 0, exact_misses = 0, flushed = 0;
    unsigned evictions = 0;
    unsigned op, i;
    DmarCtxCache c;

    dmar_ctx_cache_init(&c, mc->entries);
    for (op = 0; op < MODEL_OPS; op++) {
        unsigned pick = g_rand_int_range(r, 0, 1000);
        /* 4 devices of 8 functions: 00:01, 00:02, 01:01, 80:1f. */
        unsigned k = g_rand_int_range(r, 0, 32);
        uint16_t sid = (k & 0x18) == 0x18 ? BDF(0x80, 31, k & 7) :
                       (k & 0x18) == 0x10 ? BDF(1, 1, k & 7) :
                       BDF(0, (k >> 3) + 1, k & 7);
        uint16_t did = g_rand_int_range(r, 1, 4);
        bool exact = c.stats.evictions == evictions_at_flush_all;
        DmarContext ctx, out;
        unsigned got, want = 0;
        bool evicted;

        if (pick < 400) {
            ctx = (DmarContext) {
                .sid = sid, .did = did, .tt = g_rand_int_range(r, 0, 3),
                .levels = g_rand_int_range(r, 3, 6),
                .fpd = g_rand_boolean(r),
                .slptptr = rand64(r) & 0xffffffffff000ull,
            };
            evicted = dmar_ctx_cache_insert(&c, &ctx);
            evictions += evicted;
            /* A resident entry is refreshed in place. */
            g_assert_false(exact && present[k] && evicted);
            model[k] = ctx;
            present[k] = true;
            g_assert_true(dmar_ctx_cache_lookup(&c, sid, &out));
            assert_ctx_equal(&out, &ctx);
            hits++;
            continue;
        }
        if (pick < 900) {
            if (dmar_ctx_cache_lookup(&c, sid, &out)) {
                g_assert_true(present[k]);
                assert_ctx_equal(&out, &model[k]);
                hits++;
            } else {
                g_assert_false(exact && present[k]);
                exact_misses += exact;
                misses++;
            }
            continue;
        }

        if (pick < 910) {
            got = dmar_ctx_cache_flush_all(&c);
            for (i = 0; i < 32; i++) {
                want += present[i];
                present[i] = false;
            }
            evictions_at_flush_all = c.stats.evictions;
        } else if (pick < 950) {
            got = dmar_ctx_cache_flush_domain(&c, did);
            for (i = 0; i < 32; i++) {
                if (present[i] && model[i].did == did) {
                    present[i] = false;
                    want++;
                }
            }
        } else {
            uint16_t mask = masks[g_rand_int_range(r, 0, 4)];

            got = dmar_ctx_cache_flush_device(&c, did, sid, mask);
            for (i = 0; i < 32; i++) {
                if (present[i] && (model[i].sid & mask) == (sid & mask)) {
                    present[i] = false;
                    want++;
                }
            }
        }
        /* Dropped at once: at most what it covers (lookups tell the rest) */
        g_assert_cmpuint(got, <=, want);
        flushed += want;
    }
    g_assert_cmpuint(c.stats.hits, ==, hits);
    g_assert_cmpuint(c.stats.misses, ==, misses);
    g_assert_cmpuint(c.stats.evictions, ==, evictions);
    g_test_message("%u entries: %u hits, %u misses (%u exact), %u"
                   " evictions, %u flushed", mc->entries, hits, misses,
                   exact_misses, evictions, flushed);
    g_assert_cmpuint(misses, >, MODEL_OPS / 50);
    g_assert_cmpuint(exact_misses, >, 0);
    g_assert_cmpuint(flushed, >, MODEL_OPS / 100);
    if (mc->entries < 32) {
        g_assert_cmpuint(evictions, >, MODEL_OPS / 100);
    }

    dmar_ctx_cache_destroy(&c);
    g_free(model);
    g_rand_free(r);
}

/* ---- Invalidation cost: no scans, bounded probes ---- */

/*
 * Global, domain and source-id flushes, and a page range too large to
 * probe, do not touch the entries at all: with the entry array taken
 * away, a flush that scanned it would fault. Their effect shows after.
 */
static void test_iotlb_flush_no_scan(void)
{
    DmarIotlb t;
    DmarIotlbEntry *e;

    dmar_iotlb_init(&t, DMAR_CACHE_MAX_ENTRIES);
    iotlb_fill(&t);
    e = t.e;
    t.e = NULL;
    dmar_iotlb_flush_domain(&t, 2);
    dmar_iotlb_flush_sid(&t, 0x18);
    dmar_iotlb_flush_pages(&t, 1, 0, 18);
    t.e = e;
    ASSERT_MISS(&t, 0x10, 0x1000);          /* the range */
    ASSERT_MISS(&t, 0x10, 0x2000);
    ASSERT_MISS(&t, 0x10, 0x200000);
    ASSERT_MISS(&t, 0x18, 0x3000);          /* the source-id */
    ASSERT_MISS(&t, 0x18, 0x40000000);
    assert_domain2(&t, false);              /* the domain */
    g_assert_cmpuint(t.stats.probes, ==, 0);

    iotlb_fill(&t);
    t.e = NULL;
    dmar_iotlb_flush_all(&t);
    t.e = e;
    assert_domain1(&t, false);
    assert_domain2(&t, false);
    g_assert_cmpuint(t.stats.evictions, ==, 0);
    dmar_iotlb_destroy(&t);
}

static void test_ctx_flush_no_scan(void)
{
    DmarCtxCache c;
    DmarCtxEntry *e;
    unsigned i;

    dmar_ctx_cache_init(&c, DMAR_CACHE_MAX_ENTRIES);
    ctx_fill(&c);
    e = c.e;
    c.e = NULL;
    dmar_ctx_cache_flush_domain(&c, 2);
    dmar_ctx_cache_flush_device(&c, 1, BDF(3, 4, 0), 0xfff8);
    c.e = e;
    for (i = 0; i < ARRAY_SIZE(dev_sids); i++) {
        g_assert(dev_cached(&c, i) == (i == 9));
    }
    c.e = NULL;
    dmar_ctx_cache_flush_all(&c);
    c.e = e;
    g_assert_false(dev_cached(&c, 9));
    dmar_ctx_cache_destroy(&c);
}

/*
 * A page-selective flush probes the sets its range can be in, for each
 * source-id the domain was used through: at most DMAR_PSI_PROBE_MAX,
 * whatever the range and the cache's size; a larger one is logged.
 */
static void test_iotlb_flush_probe_bound(void)
{
    static const unsigned ams[] = { 0, 1, 5, 8, 9, 10, 18, 27, 52, 63 };
    const uint64_t group_leaf[DMAR_LEAF_GROUP] = { 0x5000 | DMAR_PERM_R };
    DmarIotlb t;

    dmar_iotlb_init(&t, DMAR_CACHE_MAX_ENTRIES);
    iotlb_fill(&t);
    /* domain 1: two source-ids; levels 1, 2 and 3 in use, no group */
    dmar_iotlb_flush_pages(&t, 1, 0x9000, 0);
    g_assert_cmpuint(t.stats.probes, ==, 2 * 3);
    /* and with a group: a set of blocks more per source-id */
    iotlb_fill(&t);
    dmar_iotlb_insert_group(&t, SKEY(0x10), 1, 0x7000000, group_leaf);
    t.stats.probes = 0;
    dmar_iotlb_flush_pages(&t, 1, 0x9000, 0);
    g_assert_cmpuint(t.stats.probes, ==, 2 * 4);
    /* domain 2: one source-id; 2^8 + 1 + 1 sets, 4 groups' blocks */
    dmar_iotlb_flush_pages(&t, 2, 0x100000, 8);
    g_assert_cmpuint(t.stats.probes, ==, 2 * 4 + 258 + 4);
    /* a domain never cached: nothing to probe */
    dmar_iotlb_flush_pages(&t, 9, 0x1000, 0);
    g_assert_cmpuint(t.stats.probes, ==, 2 * 4 + 258 + 4);
    for (unsigned i = 0; i < ARRAY_SIZE(ams); i++) {
        for (uint16_t did = 1; did <= 2; did++) {
            uint64_t before = t.stats.probes;

            iotlb_fill(&t);
            dmar_iotlb_insert_group(&t, SKEY(did == 1 ? 0x10 : 0x20), did,
                                    0x40000000, group_leaf);
            dmar_iotlb_flush_pages(&t, did, 0x40000000, ams[i]);
            g_assert_cmpuint(t.stats.probes - before, <=,
                             DMAR_PSI_PROBE_MAX);
        }
    }

    /* Source-ids beyond DMAR_DID_SIDS: the range is logged, no probe */
    iotlb_fill(&t);
    for (uint16_t sid = 0x100; sid < 0x100 + DMAR_DID_SIDS; sid++) {
        iotlb_put(&t, sid, 1, 0x5000, 0x5000, 1, DMAR_PERM_R);
    }
    t.stats.probes = 0;
    dmar_iotlb_flush_pages(&t, 1, 0x5000, 0);
    g_assert_cmpuint(t.stats.probes, ==, 0);
    for (uint16_t sid = 0x100; sid < 0x100 + DMAR_DID_SIDS; sid++) {
        ASSERT_MISS(&t, sid, 0x5000);
    }
    assert_domain1(&t, true);
    dmar_iotlb_destroy(&t);
}

/*
 * Flushed entries are stale, not gone: an insert takes their way before
 * it evicts a live entry, and they never hit again, also where the same
 * key is inserted anew.
 */
static void test_iotlb_stale_reuse(void)
{
    DmarIotlb t;

    dmar_iotlb_init(&t, DMAR_CACHE_WAYS);       /* one set */
    for (unsigned i = 0; i < DMAR_CACHE_WAYS; i++) {
        g_assert_false(iotlb_put(&t, 0x10 + i, 1, 0x1000,
                                 0xa0000 + i * SZ_4K, 1, DMAR_PERM_RW));
    }
    dmar_iotlb_flush_domain(&t, 1);
    for (unsigned i = 0; i < DMAR_CACHE_WAYS; i++) {
        g_assert_false(iotlb_put(&t, 0x20 + i, 2, 0x1000,
                                 0xb0000 + i * SZ_4K, 1, DMAR_PERM_R));
    }
    g_assert_cmpuint(t.stats.evictions, ==, 0);
    for (unsigned i = 0; i < DMAR_CACHE_WAYS; i++) {
        ASSERT_MISS(&t, 0x10 + i, 0x1000);
        ASSERT_HIT(&t, 0x20 + i, 0x1000, 0xb0000 + i * SZ_4K, 1,
                   DMAR_PERM_R);
    }
    /* the set is full and live now: the next one evicts */
    g_assert_true(iotlb_put(&t, 0x30, 3, 0x1000, 0xc000, 1, DMAR_PERM_R));

    /* a source-id flush, then the same key again: only the new one */
    dmar_iotlb_flush_sid(&t, 0x30);
    ASSERT_MISS(&t, 0x30, 0x1000);
    g_assert_false(iotlb_put(&t, 0x30, 3, 0x1000, 0xd000, 1, DMAR_PERM_W));
    ASSERT_HIT(&t, 0x30, 0x1000, 0xd000, 1, DMAR_PERM_W);
    dmar_iotlb_flush_sid(&t, 0x30);
    dmar_iotlb_flush_sid(&t, 0x31);
    g_assert_false(iotlb_put(&t, 0x30, 3, 0x1000, 0xe000, 1, DMAR_PERM_W));
    ASSERT_HIT(&t, 0x30, 0x1000, 0xe000, 1, DMAR_PERM_W);
    dmar_iotlb_destroy(&t);
}

/*
 * A logged range (too large to probe) is exact: what it covers of its
 * domain misses, the rest of the domain and other domains hit, and so
 * does what was cached in the range after it.
 */
static void test_iotlb_range_log(void)
{
    DmarIotlb t;

    dmar_iotlb_init(&t, 4096);
    iotlb_fill(&t);
    iotlb_put(&t, 0x10, 1, 0x80000000, 0x7000, 1, DMAR_PERM_R);
    /* 1 GiB at 0: probing it would take 2^18 sets */
    dmar_iotlb_flush_pages(&t, 1, 0x3000, 18);
    g_assert_cmpuint(t.stats.probes, ==, 0);
    g_assert_cmpuint(t.log_len, ==, 1);
    ASSERT_MISS(&t, 0x10, 0x1000);
    ASSERT_MISS(&t, 0x10, 0x2000);
    ASSERT_MISS(&t, 0x10, 0x200000);
    ASSERT_MISS(&t, 0x18, 0x3000);
    ASSERT_HIT(&t, 0x18, 0x40000000, 0x40000000, 3, DMAR_PERM_R);
    ASSERT_HIT(&t, 0x10, 0x80000000, 0x7000, 1, DMAR_PERM_R);
    assert_domain2(&t, true);
    /* cached again after the flush: it hits */
    iotlb_put(&t, 0x10, 1, 0x2000, 0xa2000, 1, DMAR_PERM_RW);
    ASSERT_HIT(&t, 0x10, 0x2000, 0xa2000, 1, DMAR_PERM_RW);
    ASSERT_MISS(&t, 0x10, 0x1000);

    /* A global flush empties the log */
    dmar_iotlb_flush_all(&t);
    g_assert_cmpuint(t.log_len, ==, 0);
    dmar_iotlb_destroy(&t);
}

/*
 * A full log turns its oldest range into a flush of that range's domain,
 * for the entries last used before it: more is invalidated (allowed), of
 * that domain only, and nothing used since.
 */
static void test_iotlb_range_log_full(void)
{
    DmarIotlb t;

    dmar_iotlb_init(&t, 4096);
    iotlb_fill(&t);
    /* domain 2's far-away ranges fill the log; the first one goes */
    dmar_iotlb_flush_pages(&t, 2, 1ull << 40, 18);
    iotlb_put(&t, 0x20, 2, 0x5000, 0xb5000, 1, DMAR_PERM_R);
    for (unsigned i = 1; i < DMAR_RANGE_LOG; i++) {
        dmar_iotlb_flush_pages(&t, 2, (2ull + i) << 40, 18);
    }
    g_assert_cmpuint(t.log_len, ==, DMAR_RANGE_LOG);
    /* (a lookup now would count as a use after the first range) */
    dmar_iotlb_flush_pages(&t, 2, 1ull << 50, 18);
    g_assert_cmpuint(t.log_len, ==, DMAR_RANGE_LOG);
    assert_domain1(&t, true);
    ASSERT_MISS(&t, 0x20, 0x1000);          /* older than the first */
    ASSERT_MISS(&t, 0x20, 0x200000);
    ASSERT_HIT(&t, 0x20, 0x5000, 0xb5000, 1, DMAR_PERM_R);
    dmar_iotlb_destroy(&t);
}

/* A function mask that clears more than bits 2:0 flushes everything. */
static void test_ctx_flush_device_wide_mask(void)
{
    DmarCtxCache c;
    unsigned i;

    dmar_ctx_cache_init(&c, 256);
    ctx_fill(&c);
    dmar_ctx_cache_flush_device(&c, 1, BDF(3, 4, 0), 0xfff0);
    for (i = 0; i < ARRAY_SIZE(dev_sids); i++) {
        g_assert_false(dev_cached(&c, i));
    }
    dmar_ctx_cache_destroy(&c);
}

/* ---- Bad levels never take a way (found by scripts/mutate) ---- */

/*
 * A translation of a level the IOTLB does not hold (0, 4 and up) is not
 * inserted: in a full one-set cache, every live entry stays.
 */
static void test_iotlb_bad_level_full_set(void)
{
    static const uint8_t levels[] = { 0, 4, 5, 0xff };
    DmarTranslation tr;
    DmarIotlb t;

    dmar_iotlb_init(&t, DMAR_CACHE_WAYS);
    g_assert_cmpuint(dmar_iotlb_size(&t), ==, DMAR_CACHE_WAYS);
    for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
        g_assert_false(iotlb_put(&t, 1, 1, w * SZ_4K, 0x100000 + w * SZ_4K,
                                 1, DMAR_PERM_R));
    }
    for (unsigned i = 0; i < ARRAY_SIZE(levels); i++) {
        tr = xlate(0x40000000, 0x80000000, 1, DMAR_PERM_RW);
        tr.level = levels[i];
        g_assert_false(dmar_iotlb_insert(&t, SKEY(1), 1, &tr));
    }
    for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
        ASSERT_HIT(&t, 1, w * SZ_4K, 0x100000 + w * SZ_4K, 1, DMAR_PERM_R);
    }
    g_assert_cmpuint(t.stats.evictions, ==, 0);
    dmar_iotlb_destroy(&t);
}

/* ---- Registration ---- */

/* ---- Keys: PASID and stage (DmarCacheKey) ---- */

static bool key_put(DmarIotlb *t, uint16_t sid, uint32_t pasid,
                    uint8_t stage, uint16_t did, uint64_t iova, uint64_t pa,
                    unsigned level, uint8_t perm)
{
    DmarCacheKey k = { .sid = sid, .pasid = pasid, .stage = stage };
    DmarTranslation tr = xlate(iova, pa, level, perm);

    return dmar_iotlb_insert(t, &k, did, &tr);
}

/* The hit of KEY at IOVA (pa, perm), or a miss (false). */
static bool key_get(DmarIotlb *t, uint16_t sid, uint32_t pasid,
                    uint8_t stage, uint64_t iova, DmarTranslation *out)
{
    DmarCacheKey k = { .sid = sid, .pasid = pasid, .stage = stage };

    memset(out, 0xa5, sizeof(*out));
    return dmar_iotlb_lookup(t, &k, iova, out);
}

static const uint32_t key_pasids[] = { DMAR_NO_PASID, 0, 1, 0xfffff };
static const uint8_t key_stages[] = {
    DMAR_STAGE_SECOND, DMAR_STAGE_FIRST, DMAR_STAGE_NESTED, 0xff,
};

/*
 * An entry answers only its own sid, PASID and stage: the same page
 * cached for every combination gives each its own output, and a key
 * nothing was cached for misses.
 */
static void test_iotlb_key_match(void)
{
    const uint64_t iova = 0x12345000ull;
    DmarIotlb t;
    DmarTranslation out;
    unsigned n = 0;

    dmar_iotlb_init(&t, 4096);
    /* One combination cached: no other one hits. */
    g_assert_false(key_put(&t, 0x10, DMAR_NO_PASID, DMAR_STAGE_SECOND, 1,
                           iova, 0x40000000, 1, DMAR_PERM_RW));
    for (unsigned p = 0; p < ARRAY_SIZE(key_pasids); p++) {
        for (unsigned s = 0; s < ARRAY_SIZE(key_stages); s++) {
            bool own = p == 0 && s == 0;

            g_assert(key_get(&t, 0x10, key_pasids[p], key_stages[s], iova,
                             &out) == own);
            g_assert_false(key_get(&t, 0x11, key_pasids[p], key_stages[s],
                                   iova, &out));
        }
    }
    /* Then all: each its own output and permissions. */
    for (unsigned p = 0; p < ARRAY_SIZE(key_pasids); p++) {
        for (unsigned s = 0; s < ARRAY_SIZE(key_stages); s++) {
            key_put(&t, 0x10, key_pasids[p], key_stages[s], 1, iova,
                    0x40000000 + (p * 4 + s) * SZ_4K, 1,
                    1 + (p + s) % 3);
        }
    }
    for (unsigned p = 0; p < ARRAY_SIZE(key_pasids); p++) {
        for (unsigned s = 0; s < ARRAY_SIZE(key_stages); s++) {
            bool hit = key_get(&t, 0x10, key_pasids[p], key_stages[s],
                               iova + 0x18, &out);

            /* Four ways a set: the sixteen keys evict each other. */
            if (!hit) {
                continue;
            }
            n++;
            g_assert_cmphex(out.pa, ==, 0x40000000 + (p * 4 + s) * SZ_4K);
            g_assert_cmpuint(out.perm, ==, 1 + (p + s) % 3);
            g_assert_cmphex(out.iova, ==, iova);
            g_assert_cmpuint(out.level, ==, 1);
        }
    }
    g_assert_cmpuint(n, ==, DMAR_CACHE_WAYS);
    dmar_iotlb_destroy(&t);
}

/* Large pages and the permissions bits beside the output address. */
static void test_iotlb_key_levels(void)
{
    DmarIotlb t;
    DmarTranslation out;

    dmar_iotlb_init(&t, 4096);
    key_put(&t, 0x20, 5, DMAR_STAGE_FIRST, 2, 3 * SZ_1G, 7 * SZ_1G, 3,
            DMAR_PERM_W);
    key_put(&t, 0x20, 6, DMAR_STAGE_FIRST, 2, 3 * SZ_1G + SZ_2M,
            0xfffffe00000ull, 2, DMAR_PERM_RW);
    key_put(&t, 0x20, 5, DMAR_STAGE_NESTED, 2, 3 * SZ_1G + 0x5000,
            0xffffffff000ull, 1, DMAR_PERM_R);
    g_assert_true(key_get(&t, 0x20, 5, DMAR_STAGE_FIRST,
                          3 * SZ_1G + SZ_2M + 0x123, &out));
    g_assert_cmphex(out.pa, ==, 7 * SZ_1G);
    g_assert_cmphex(out.mask, ==, SZ_1G - 1);
    g_assert_cmpuint(out.perm, ==, DMAR_PERM_W);
    g_assert_true(key_get(&t, 0x20, 6, DMAR_STAGE_FIRST,
                          3 * SZ_1G + SZ_2M + 0x123, &out));
    g_assert_cmphex(out.pa, ==, 0xfffffe00000ull);
    g_assert_cmpuint(out.level, ==, 2);
    g_assert_cmpuint(out.perm, ==, DMAR_PERM_RW);
    g_assert_false(key_get(&t, 0x20, 6, DMAR_STAGE_FIRST, 3 * SZ_1G, &out));
    g_assert_true(key_get(&t, 0x20, 5, DMAR_STAGE_NESTED,
                          3 * SZ_1G + 0x5fff, &out));
    g_assert_cmphex(out.pa, ==, 0xffffffff000ull);
    g_assert_cmpuint(out.perm, ==, DMAR_PERM_R);
    g_assert_false(key_get(&t, 0x20, 5, DMAR_STAGE_NESTED,
                           3 * SZ_1G + 0x6000, &out));
    dmar_iotlb_destroy(&t);
}

/*
 * Refreshing one key's entry leaves the other keys' entries for the same
 * page alone, and one key's page is not another's.
 */
static void test_iotlb_key_refresh(void)
{
    DmarIotlb t;
    DmarTranslation out;

    dmar_iotlb_init(&t, 4096);
    key_put(&t, 0x30, 1, DMAR_STAGE_FIRST, 3, 0x10000, 0x80000, 1,
            DMAR_PERM_RW);
    key_put(&t, 0x30, 2, DMAR_STAGE_FIRST, 3, 0x10000, 0x90000, 1,
            DMAR_PERM_RW);
    key_put(&t, 0x30, 1, DMAR_STAGE_FIRST, 3, 0x10000, 0xa0000, 1,
            DMAR_PERM_R);
    g_assert_true(key_get(&t, 0x30, 1, DMAR_STAGE_FIRST, 0x10000, &out));
    g_assert_cmphex(out.pa, ==, 0xa0000);
    g_assert_cmpuint(out.perm, ==, DMAR_PERM_R);
    g_assert_true(key_get(&t, 0x30, 2, DMAR_STAGE_FIRST, 0x10000, &out));
    g_assert_cmphex(out.pa, ==, 0x90000);
    g_assert_cmpuint(out.perm, ==, DMAR_PERM_RW);

    /* The next page only for PASID 2: PASID 1 misses it. */
    key_put(&t, 0x30, 2, DMAR_STAGE_FIRST, 3, 0x11000, 0xa1000, 1,
            DMAR_PERM_RW);
    g_assert_false(key_get(&t, 0x30, 1, DMAR_STAGE_FIRST, 0x11000, &out));
    g_assert_true(key_get(&t, 0x30, 2, DMAR_STAGE_FIRST, 0x11000, &out));
    g_assert_cmphex(out.pa, ==, 0xa1000);
    dmar_iotlb_destroy(&t);
}

/* Flushes by source-id, domain or page cover every PASID and stage. */
static void test_iotlb_key_flush(void)
{
    for (unsigned kind = 0; kind < 4; kind++) {
        DmarIotlb t;
        DmarTranslation out;

        dmar_iotlb_init(&t, 4096);
        for (unsigned p = 0; p < ARRAY_SIZE(key_pasids); p++) {
            for (unsigned s = 0; s < 3; s++) {
                /* Pages far apart: sixteen keys, no eviction. */
                uint64_t iova = (p * 3 + s) * SZ_1G;

                key_put(&t, 0x40, key_pasids[p], key_stages[s], 4, iova,
                        iova, 1, DMAR_PERM_RW);
                key_put(&t, 0x41, key_pasids[p], key_stages[s], 5, iova,
                        iova, 1, DMAR_PERM_RW);
            }
        }
        switch (kind) {
        case 0:
            dmar_iotlb_flush_sid(&t, 0x40);
            break;
        case 1:
            dmar_iotlb_flush_domain(&t, 4);
            break;
        case 2:
            for (unsigned i = 0; i < 12; i++) {
                dmar_iotlb_flush_pages(&t, 4, i * SZ_1G, 0);
            }
            break;
        case 3:
            dmar_iotlb_flush_pages(&t, 4, 0, 52);      /* logged range */
            break;
        }
        for (unsigned p = 0; p < ARRAY_SIZE(key_pasids); p++) {
            for (unsigned s = 0; s < 3; s++) {
                uint64_t iova = (p * 3 + s) * SZ_1G;

                g_assert_false(key_get(&t, 0x40, key_pasids[p],
                                       key_stages[s], iova, &out));
                g_assert_true(key_get(&t, 0x41, key_pasids[p],
                                      key_stages[s], iova, &out));
            }
        }
        if (kind == 2) {
            g_assert_cmpuint(t.stats.probes, >, 0);
        }
        dmar_iotlb_destroy(&t);
    }
}

/* The page-selective probe drops every key's entry of that page. */
static void test_iotlb_key_flush_probe(void)
{
    DmarIotlb t;
    DmarTranslation out;

    dmar_iotlb_init(&t, 4096);
    key_put(&t, 0x50, DMAR_NO_PASID, DMAR_STAGE_SECOND, 6, 0x7000, 0x7000,
            1, DMAR_PERM_RW);
    key_put(&t, 0x50, 9, DMAR_STAGE_FIRST, 6, 0x7000, 0x8000, 1,
            DMAR_PERM_RW);
    key_put(&t, 0x50, 9, DMAR_STAGE_NESTED, 6, 0x7000, 0x9000, 1,
            DMAR_PERM_RW);
    key_put(&t, 0x50, 9, DMAR_STAGE_NESTED, 6, 0x8000, 0x9000, 1,
            DMAR_PERM_RW);
    g_assert_cmpuint(dmar_iotlb_flush_pages(&t, 6, 0x7000, 0), ==, 3);
    g_assert_false(key_get(&t, 0x50, DMAR_NO_PASID, DMAR_STAGE_SECOND,
                           0x7000, &out));
    g_assert_false(key_get(&t, 0x50, 9, DMAR_STAGE_FIRST, 0x7000, &out));
    g_assert_false(key_get(&t, 0x50, 9, DMAR_STAGE_NESTED, 0x7000, &out));
    g_assert_true(key_get(&t, 0x50, 9, DMAR_STAGE_NESTED, 0x8000, &out));
    dmar_iotlb_destroy(&t);
}

/* ---- IOTLB: the lock-free hit path (dmar_iotlb_lookup_shared()) ---- */

static bool shared_get(DmarIotlb *t, uint16_t sid, uint64_t iova,
                       DmarTranslation *out)
{
    return dmar_iotlb_lookup_shared(t, SKEY(sid), iova, out);
}

/* Live entries of every level answer; it counts nothing, not even LRU ticks */
static void test_shared_hit(void)
{
    DmarTranslation out;
    DmarIotlb t;

    dmar_iotlb_init(&t, 64);
    g_assert_false(shared_get(&t, 1, 0x1000, &out));
    iotlb_put(&t, 1, 5, 0x1000, 0xa000, 1, DMAR_PERM_R);
    iotlb_put(&t, 1, 5, 0x40200000, 0x80000000, 2, DMAR_PERM_RW);
    iotlb_put(&t, 2, 5, 0x80000000, 0x40000000, 3, DMAR_PERM_W);
    g_assert_true(shared_get(&t, 1, 0x1abc, &out));
    g_assert_cmphex(out.iova, ==, 0x1000);
    g_assert_cmphex(out.pa, ==, 0xa000);
    g_assert_cmphex(out.mask, ==, 0xfff);
    g_assert_cmpuint(out.perm, ==, DMAR_PERM_R);
    g_assert_cmpuint(out.level, ==, 1);
    g_assert_true(shared_get(&t, 1, 0x40212345, &out));
    g_assert_cmphex(out.pa, ==, 0x80000000);
    g_assert_cmphex(out.mask, ==, SZ_2M - 1);
    g_assert_cmpuint(out.level, ==, 2);
    g_assert_true(shared_get(&t, 2, 0xbfffffff, &out));
    g_assert_cmphex(out.pa, ==, 0x40000000);
    g_assert_cmpuint(out.perm, ==, DMAR_PERM_W);
    g_assert_cmpuint(out.level, ==, 3);
    /* another source, PASID or stage: not theirs */
    g_assert_false(shared_get(&t, 2, 0x1000, &out));
    g_assert_false(dmar_iotlb_lookup_shared(
        &t, &(DmarCacheKey){ .sid = 1, .pasid = 7,
                             .stage = DMAR_STAGE_SECOND }, 0x1000, &out));
    g_assert_false(dmar_iotlb_lookup_shared(
        &t, &(DmarCacheKey){ .sid = 1, .pasid = DMAR_NO_PASID,
                             .stage = DMAR_STAGE_FIRST }, 0x1000,
        &out));
    assert_stats(&t.stats, 0, 0, 0);
    g_assert_cmpuint(t.tick, ==, 3);
    dmar_iotlb_destroy(&t);
}

/* A group of one leaf, page 1 (0x1000): OUT | PERM */
static void group_put(DmarIotlb *t, uint16_t sid, uint16_t did,
                      uint64_t out, uint8_t perm)
{
    uint64_t leaf[DMAR_LEAF_GROUP] = { 0 };

    leaf[1] = out | perm;
    dmar_iotlb_insert_group(t, SKEY(sid), did, 0x1000, leaf);
}

/*
 * A hit tells the domain-id of the entry that answered, on both paths:
 * a block's page (the lock-free one answering for the run of two pages
 * around it), and single entries of every level; a miss leaves *DID
 * alone.
 */
static void test_hit_did(void)
{
    uint64_t leaf[DMAR_LEAF_GROUP] = { 0 };
    DmarTranslation out;
    DmarIotlb t;
    uint16_t did;

    dmar_iotlb_init(&t, 64);
    t.runs = true;
    leaf[0] = 0x20000 | DMAR_PERM_RW;
    leaf[1] = 0x21000 | DMAR_PERM_RW;
    dmar_iotlb_insert_group(&t, SKEY(1), 0x33, 0, leaf);
    iotlb_put(&t, 1, 0x44, 0x100000, 0xa000, 1, DMAR_PERM_R);
    iotlb_put(&t, 1, 0x55, 0x40200000, 0x80000000, 2, DMAR_PERM_RW);
    iotlb_put(&t, 2, 0x66, 0x80000000, 0x40000000, 3, DMAR_PERM_W);
    for (unsigned shared = 0; shared < 2; shared++) {
        static const struct {
            uint16_t sid;
            uint64_t iova;
            uint16_t did;
        } want[] = {
            { 1, 0x1234, 0x33 }, { 1, 0x100000, 0x44 },
            { 1, 0x40212345, 0x55 }, { 2, 0xbfffffff, 0x66 },
        };

        for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
            did = 0xffff;
            g_assert_true(shared ?
                dmar_iotlb_lookup_shared_did(&t, SKEY(want[i].sid),
                                             want[i].iova, &out, &did) :
                dmar_iotlb_lookup_did(&t, SKEY(want[i].sid), want[i].iova,
                                      &out, &did));
            g_assert_cmphex(did, ==, want[i].did);
        }
        did = 0xffff;
        g_assert_false(shared ?
            dmar_iotlb_lookup_shared_did(&t, SKEY(3), 0x1000, &out, &did) :
            dmar_iotlb_lookup_did(&t, SKEY(3), 0x1000, &out, &did));
        g_assert_cmphex(did, ==, 0xffff);
    }
    dmar_iotlb_destroy(&t);
}

/*
 * Every kind of flush ends its entries' lock-free hits. A flush that
 * leaves the ways alone also makes every older entry give up to the
 * locked path (only flush records tell whether it is stale), until a
 * locked hit shows it live again. The same for a group's leaves (with
 * shared/flush-group): a page-selective flush ends the hits of the pages
 * it covers only, the others those of every page of the group.
 */
static void test_shared_flush(const void *opaque)
{
    bool group = *(const bool *)opaque;
    DmarTranslation out;
    DmarIotlb t;

    for (unsigned kind = 0; kind < 5; kind++) {
        uint64_t leaf[DMAR_LEAF_GROUP] = { 0 };

        dmar_iotlb_init(&t, 64);
        if (group) {
            leaf[1] = 0xa000 | DMAR_PERM_RW;
            leaf[2] = 0xc000 | DMAR_PERM_R;
            dmar_iotlb_insert_group(&t, SKEY(1), 5, 0x1000, leaf);
            group_put(&t, 2, 6, 0xb000, DMAR_PERM_RW);
            g_assert_true(shared_get(&t, 1, 0x2fff, &out));
            g_assert_cmphex(out.pa, ==, 0xc000);
            g_assert_cmpuint(out.perm, ==, DMAR_PERM_R);
            g_assert_false(shared_get(&t, 1, 0x3000, &out));
        } else {
            iotlb_put(&t, 1, 5, 0x1000, 0xa000, 1, DMAR_PERM_RW);
            iotlb_put(&t, 2, 6, 0x1000, 0xb000, 1, DMAR_PERM_RW);
        }
        g_assert_true(shared_get(&t, 1, 0x1000, &out));
        g_assert_cmphex(out.pa, ==, 0xa000);
        g_assert_cmpuint(out.perm, ==, DMAR_PERM_RW);
        g_assert_true(shared_get(&t, 2, 0x1000, &out));
        switch (kind) {
        case 0:
            dmar_iotlb_flush_all(&t);
            break;
        case 1:
            dmar_iotlb_flush_domain(&t, 5);
            break;
        case 2:
            dmar_iotlb_flush_sid(&t, 1);
            break;
        case 3:         /* page-selective, probed: the way is freed */
            g_assert_cmpuint(dmar_iotlb_flush_pages(&t, 5, 0x1000, 0), ==, 1);
            break;
        case 4:         /* page-selective, too large to probe: logged */
            dmar_iotlb_flush_pages(&t, 5, 0, 40);
            break;
        }
        g_test_message("flush kind %u", kind);
        g_assert_false(shared_get(&t, 1, 0x1000, &out));
        ASSERT_MISS(&t, 1, 0x1000);
        if (group && kind == 3) {
            g_assert_true(shared_get(&t, 1, 0x2000, &out));
            g_assert_cmphex(out.pa, ==, 0xc000);
        } else if (group) {
            g_assert_false(shared_get(&t, 1, 0x2000, &out));
            ASSERT_MISS(&t, 1, 0x2000);
        }
        if (kind == 0) {
            ASSERT_MISS(&t, 2, 0x1000);
        } else if (kind != 3) {
            /* live, but older than the flush: the locked path decides */
            g_assert_false(shared_get(&t, 2, 0x1000, &out));
            ASSERT_HIT(&t, 2, 0x1000, 0xb000, 1, DMAR_PERM_RW);
            g_assert_true(shared_get(&t, 2, 0x1000, &out));
            g_assert_cmphex(out.pa, ==, 0xb000);
        } else {
            g_assert_true(shared_get(&t, 2, 0x1000, &out));
        }
        dmar_iotlb_destroy(&t);
    }
}

/*
 * A lock-free hit is a use: the entry becomes the most recent of its set
 * (as far as the clock has moved), so eviction spares it.
 */
static void test_shared_lru(void)
{
    DmarTranslation out;
    DmarIotlb t;

    dmar_iotlb_init(&t, 4);
    for (unsigned i = 0; i < 4; i++) {
        iotlb_put(&t, 1, 1, 0x1000 * (i + 1), 0x100000 * (i + 1), 1,
                  DMAR_PERM_RW);
    }
    g_assert_true(shared_get(&t, 1, 0x1000, &out));
    g_assert_true(iotlb_put(&t, 1, 1, 0x9000, 0x900000, 1, DMAR_PERM_RW));
    /* the least recent was the second, not the first */
    ASSERT_HIT(&t, 1, 0x1000, 0x100000, 1, DMAR_PERM_RW);
    ASSERT_MISS(&t, 1, 0x2000);
    ASSERT_HIT(&t, 1, 0x3000, 0x300000, 1, DMAR_PERM_RW);
    dmar_iotlb_destroy(&t);
}

/* As for entries, a lock-free hit on a group makes its block the newest */
static void test_shared_group_lru(void)
{
    uint64_t leaf[DMAR_LEAF_GROUP] = { 0 };
    const uint64_t group = GROUP_SIZE;
    DmarTranslation out;
    DmarIotlb t;
    unsigned g = DMAR_CACHE_WAYS;

    leaf[0] = 0x60000000ull | DMAR_PERM_RW;
    fill_group_set(&t, 1, leaf);
    g_assert_true(shared_get(&t, 1, 0, &out));
    g_assert_cmpuint(dmar_iotlb_insert_group(&t, SKEY(1), 1, g * group,
                                             leaf), ==, 1);
    /* the least recent was the second group, not the first */
    ASSERT_HIT(&t, 1, 0, 0x60000000ull, 1, DMAR_PERM_RW);
    ASSERT_MISS(&t, 1, group);
    dmar_iotlb_destroy(&t);
}

/*
 * A set whose sequence count is odd is being changed by the lock holder:
 * the lock-free path gives up on it, however whole its entry looks, and
 * the locked lookup answers. (White-box: the count is the writer's half
 * of the protocol, which no single thread can catch in the middle.)
 */
static void test_shared_odd_count(void)
{
    DmarTranslation out;
    DmarIotlb t;
    uint32_t sets;

    dmar_iotlb_init(&t, 64);
    sets = dmar_iotlb_size(&t) / DMAR_CACHE_WAYS;
    iotlb_put(&t, 1, 5, 0x3000, 0xb000, 1, DMAR_PERM_RW);
    g_assert_true(shared_get(&t, 1, 0x3000, &out));
    for (uint32_t i = 0; i < sets; i++) {
        t.set_seq[i]++;
    }
    g_assert_false(shared_get(&t, 1, 0x3000, &out));
    ASSERT_HIT(&t, 1, 0x3000, 0xb000, 1, DMAR_PERM_RW);
    for (uint32_t i = 0; i < sets; i++) {
        t.set_seq[i]++;
    }
    g_assert_true(shared_get(&t, 1, 0x3000, &out));
    g_assert_cmphex(out.pa, ==, 0xb000);
    dmar_iotlb_destroy(&t);
}

/*
 * A lock-free hit never makes its entry outlive a flush after it: the
 * time it leaves in the entry is older than any flush to come.
 */
static void test_shared_no_revive(void)
{
    DmarTranslation out;
    DmarIotlb t;

    dmar_iotlb_init(&t, 64);
    iotlb_put(&t, 1, 5, 0x1000, 0xa000, 1, DMAR_PERM_RW);
    iotlb_put(&t, 2, 6, 0x1000, 0xb000, 1, DMAR_PERM_RW);
    g_assert_true(shared_get(&t, 1, 0x1000, &out));
    dmar_iotlb_flush_domain(&t, 5);
    g_assert_false(shared_get(&t, 1, 0x1000, &out));
    ASSERT_MISS(&t, 1, 0x1000);
    /* and through the range log */
    iotlb_put(&t, 1, 5, 0x1000, 0xa000, 1, DMAR_PERM_RW);
    iotlb_put(&t, 2, 6, 0x2000, 0xb000, 1, DMAR_PERM_RW);
    g_assert_true(shared_get(&t, 1, 0x1000, &out));
    dmar_iotlb_flush_pages(&t, 5, 0, 40);
    ASSERT_MISS(&t, 1, 0x1000);
    dmar_iotlb_destroy(&t);
}

/*
 * A set of blocks whose sequence count is odd: the lock-free path gives
 * up, and the locked lookup answers (white-box, as for entries).
 */
static void test_shared_group_odd_count(void)
{
    DmarTranslation out;
    DmarIotlb t;

    dmar_iotlb_init(&t, 64);
    group_put(&t, 1, 5, 0xb000, DMAR_PERM_RW);
    g_assert_true(shared_get(&t, 1, 0x1000, &out));
    for (uint64_t i = 0; i <= t.blk_set_mask; i++) {
        t.blk_seq[i]++;
    }
    g_assert_false(shared_get(&t, 1, 0x1000, &out));
    ASSERT_HIT(&t, 1, 0x1000, 0xb000, 1, DMAR_PERM_RW);
    for (uint64_t i = 0; i <= t.blk_set_mask; i++) {
        t.blk_seq[i]++;
    }
    g_assert_true(shared_get(&t, 1, 0x1000, &out));
    dmar_iotlb_destroy(&t);
}

/*
 * A lock-free hit on one page of a group never keeps another page alive
 * past a flush of it: with the flush of page 0 logged (its domain has
 * more source-ids than it notes), a lock-free hit on page 1 gives up, and
 * page 0 misses both ways.
 */
static void test_shared_group_no_revive(void)
{
    uint64_t leaf[DMAR_LEAF_GROUP] = { 0 };
    DmarTranslation out;
    DmarIotlb t;

    dmar_iotlb_init(&t, 4096);
    leaf[0] = 0xa000 | DMAR_PERM_RW;
    leaf[1] = 0xb000 | DMAR_PERM_RW;
    const unsigned last = DMAR_DID_SIDS + 1;

    for (unsigned sid = 1; sid <= last; sid++) {
        dmar_iotlb_insert_group(&t, SKEY(sid), 5, 0, leaf);
    }
    g_assert_true(shared_get(&t, last, 0, &out));
    g_assert_true(shared_get(&t, last, 0x1000, &out));
    g_assert_cmpuint(dmar_iotlb_flush_pages(&t, 5, 0, 0), ==, 0);
    g_assert_false(shared_get(&t, last, 0x1000, &out));
    g_assert_false(shared_get(&t, last, 0, &out));
    ASSERT_MISS(&t, last, 0);
    g_assert_false(shared_get(&t, last, 0, &out));
    g_assert_false(shared_get(&t, 2, 0, &out));
    ASSERT_MISS(&t, 2, 0);
    dmar_iotlb_destroy(&t);
}

/* ---- lock-free answers of runs of pages (DmarIotlb.runs) ---- */

#define RUNS_IOVA   0x40000000ull   /* group 0x4000 */

/*
 * A group at RUNS_IOVA of sid 1 whose page I maps PA + I * 4 KiB (0: not
 * at all), read and write
 */
static void runs_group(uint64_t pa, uint64_t *leaf)
{
    for (unsigned i = 0; i < DMAR_LEAF_GROUP; i++) {
        leaf[i] = pa ? (pa + i * SZ_4K) | DMAR_PERM_RW : 0;
    }
}

/*
 * T, of 4096 entries, answering runs if RUNS, holding the runs group with
 * LEAF contiguous from 0x80000000
 */
static void runs_init(DmarIotlb *t, bool runs, uint64_t *leaf)
{
    dmar_iotlb_init(t, 4096);
    t->runs = runs;
    runs_group(0x80000000ull, leaf);
    dmar_iotlb_insert_group(t, SKEY(1), 1, RUNS_IOVA, leaf);
}

/*
 * Page PAGE of the runs group answers lock-free with the run of SIZE
 * bytes around it, and for its own address what the locked lookup does.
 */
#define ASSERT_RUN(t, page, size) check_run(__LINE__, t, page, size)

static void check_run(int line, DmarIotlb *t, unsigned page, uint64_t size)
{
    uint64_t iova = RUNS_IOVA + page * SZ_4K + 0x123;
    DmarTranslation out, locked;
    bool hit = shared_get(t, 1, iova, &out);

    g_assert_true(dmar_iotlb_lookup(t, SKEY(1), iova, &locked));
    if (!hit || out.mask != size - 1) {
        g_test_message("line %d: page %u: want a run of 0x%" PRIx64
                       ", got %s mask 0x%" PRIx64, line, page, size,
                       hit ? "a hit" : "no hit", out.mask);
    }
    g_assert_true(hit);
    g_assert_cmphex(out.mask, ==, size - 1);
    g_assert_cmphex(out.iova, ==, iova & ~(size - 1));
    g_assert_cmphex(out.pa & out.mask, ==, 0);
    g_assert_cmphex(out.pa + (iova & out.mask), ==,
                    locked.pa + (iova & locked.mask));
    g_assert_cmpuint(out.perm, ==, locked.perm);
    g_assert_cmpuint(out.level, ==, 1);
}

/*
 * A run goes as far as its pages' leaves are contiguous, alike in their
 * permissions and aligned in their output as in their input: a hole, a
 * page elsewhere, other permissions, or output aligned less than the run
 * end it where the naturally aligned runs around the page first meet it.
 */
static void test_shared_runs(void)
{
    uint64_t leaf[DMAR_LEAF_GROUP];
    DmarIotlb t;

    runs_init(&t, true, leaf);
    for (unsigned page = 0; page < DMAR_LEAF_GROUP; page += 7) {
        ASSERT_RUN(&t, page, 64 * SZ_4K);
    }

    /* a hole at 40, page 9 elsewhere, page 3 read-only */
    leaf[40] = 0;
    leaf[9] += SZ_2M;
    leaf[3] &= ~(uint64_t)DMAR_PERM_W;
    dmar_iotlb_insert_group(&t, SKEY(1), 1, RUNS_IOVA, leaf);
    dmar_iotlb_flush_pages(&t, 1, RUNS_IOVA + 40 * SZ_4K, 0);
    ASSERT_RUN(&t, 0, 2 * SZ_4K);
    ASSERT_RUN(&t, 2, SZ_4K);
    ASSERT_RUN(&t, 3, SZ_4K);
    ASSERT_RUN(&t, 4, 4 * SZ_4K);
    ASSERT_RUN(&t, 8, SZ_4K);
    ASSERT_RUN(&t, 9, SZ_4K);
    ASSERT_RUN(&t, 10, 2 * SZ_4K);
    ASSERT_RUN(&t, 12, 4 * SZ_4K);
    ASSERT_RUN(&t, 16, 16 * SZ_4K);
    ASSERT_RUN(&t, 39, 8 * SZ_4K);
    ASSERT_RUN(&t, 41, SZ_4K);
    ASSERT_RUN(&t, 42, 2 * SZ_4K);
    ASSERT_RUN(&t, 44, 4 * SZ_4K);
    ASSERT_RUN(&t, 48, 16 * SZ_4K);
    ASSERT_MISS(&t, 1, RUNS_IOVA + 40 * SZ_4K);

    /* output 2 pages off its alignment: runs of 2 pages at most */
    runs_group(0x80002000ull, leaf);
    dmar_iotlb_insert_group(&t, SKEY(1), 1, RUNS_IOVA, leaf);
    for (unsigned page = 0; page < DMAR_LEAF_GROUP; page += 5) {
        ASSERT_RUN(&t, page, 2 * SZ_4K);
    }
    /* one page off: a page at a time */
    runs_group(0x80001000ull, leaf);
    dmar_iotlb_insert_group(&t, SKEY(1), 1, RUNS_IOVA, leaf);
    for (unsigned page = 0; page < DMAR_LEAF_GROUP; page += 5) {
        ASSERT_RUN(&t, page, SZ_4K);
    }
    /* 128 KiB aligned: two runs of 32 pages */
    runs_group(0x80020000ull, leaf);
    dmar_iotlb_insert_group(&t, SKEY(1), 1, RUNS_IOVA, leaf);
    ASSERT_RUN(&t, 31, 32 * SZ_4K);
    ASSERT_RUN(&t, 32, 32 * SZ_4K);

    /*
     * A leaf with no permission at all starts no run: its absent
     * neighbour (0) would look like the page before it.
     */
    for (unsigned i = 0; i < DMAR_LEAF_GROUP; i++) {
        leaf[i] = i * SZ_4K;
    }
    dmar_iotlb_flush_pages(&t, 1, RUNS_IOVA, 0);
    dmar_iotlb_insert_group(&t, SKEY(1), 1, RUNS_IOVA, leaf);
    ASSERT_MISS(&t, 1, RUNS_IOVA);
    ASSERT_RUN(&t, 1, SZ_4K);
    dmar_iotlb_destroy(&t);
}

/* Without runs (x-run-answers=off) every hit answers its page */
static void test_shared_runs_off(void)
{
    uint64_t leaf[DMAR_LEAF_GROUP];
    DmarIotlb t;

    runs_init(&t, false, leaf);
    ASSERT_RUN(&t, 0, SZ_4K);
    ASSERT_RUN(&t, 63, SZ_4K);
    dmar_iotlb_destroy(&t);
}

/*
 * A page-selective flush inside a run ends the runs that held the page,
 * at once: the runs around it stop short of it; the group read again
 * joins them once more. A page that changes, or goes to another domain,
 * ends them too.
 */
static void test_shared_runs_flush(void)
{
    uint64_t leaf[DMAR_LEAF_GROUP];
    DmarTranslation out;
    DmarIotlb t;

    runs_init(&t, true, leaf);
    ASSERT_RUN(&t, 5, 64 * SZ_4K);
    dmar_iotlb_flush_pages(&t, 1, RUNS_IOVA + 20 * SZ_4K, 0);
    ASSERT_MISS(&t, 1, RUNS_IOVA + 20 * SZ_4K);
    ASSERT_RUN(&t, 5, 16 * SZ_4K);
    ASSERT_RUN(&t, 16, 4 * SZ_4K);
    ASSERT_RUN(&t, 21, SZ_4K);
    ASSERT_RUN(&t, 32, 32 * SZ_4K);

    /* the group read again (a miss): the page joins the run again */
    dmar_iotlb_insert_group(&t, SKEY(1), 1, RUNS_IOVA, leaf);
    ASSERT_RUN(&t, 5, 64 * SZ_4K);
    /* the page elsewhere (a 4 KiB insert): the runs stop short of it */
    iotlb_put(&t, 1, 1, RUNS_IOVA + 20 * SZ_4K, 0x90000000ull, 1,
              DMAR_PERM_RW);
    ASSERT_RUN(&t, 5, 16 * SZ_4K);
    ASSERT_RUN(&t, 20, SZ_4K);
    /* ... of another domain: a single entry, out of the block's runs */
    iotlb_put(&t, 1, 2, RUNS_IOVA + 20 * SZ_4K, 0x80000000ull + 20 * SZ_4K,
              1, DMAR_PERM_RW);
    ASSERT_RUN(&t, 5, 16 * SZ_4K);
    g_assert_true(shared_get(&t, 1, RUNS_IOVA + 20 * SZ_4K, &out));
    g_assert_cmphex(out.mask, ==, 0xfff);

    /* a domain flush: no run, no page, until the group is read again */
    dmar_iotlb_flush_domain(&t, 1);
    g_assert_false(shared_get(&t, 1, RUNS_IOVA + 5 * SZ_4K, &out));
    ASSERT_MISS(&t, 1, RUNS_IOVA + 5 * SZ_4K);
    dmar_iotlb_destroy(&t);
}

/*
 * What race_write() does at the race point WHERE: counts the calls, and
 * at the first inserts for sid SID at IOVA the group LEAF, or else the
 * 4 KiB page PA (read and write), if given
 */
typedef struct RaceWrite {
    DmarIotlb *t;
    DmarRacePoint where;
    uint16_t sid;
    uint64_t iova;
    const uint64_t *leaf;
    uint64_t pa;
    unsigned calls;
} RaceWrite;

static void race_write(void *opaque, DmarRacePoint where)
{
    RaceWrite *w = opaque;

    if (where != w->where || w->calls++) {
        return;
    }
    if (w->leaf) {
        dmar_iotlb_insert_group(w->t, SKEY(w->sid), 1, w->iova, w->leaf);
    } else if (w->pa) {
        iotlb_put(w->t, w->sid, 1, w->iova, w->pa, 1, DMAR_PERM_RW);
    }
}

/*
 * A writer between a lock-free reader's match of a way's key and its
 * read of the way's output (dmar_iotlb_race_hook), putting another key
 * in that way: the reader does not answer, rather than answer with the
 * other key's page. Single entries (GROUP false) or blocks; a table of
 * one set, the 4 ways full, sid 1's the oldest.
 */
static void test_shared_way_race(const void *opaque)
{
    bool group = *(const bool *)opaque;
    uint64_t leaf[DMAR_LEAF_GROUP] = { 0 };
    RaceWrite w = { .where = group ? DMAR_RACE_BLOCK : DMAR_RACE_WAY,
                    .iova = 0x1000, .sid = 5 };
    DmarTranslation out;
    DmarIotlb t;

    dmar_iotlb_init(&t, 4);
    w.t = &t;
    for (uint16_t sid = 1; sid <= 4; sid++) {
        if (group) {
            group_put(&t, sid, 1, sid * SZ_2M, DMAR_PERM_RW);
        } else {
            iotlb_put(&t, sid, 1, 0x1000, sid * SZ_2M, 1, DMAR_PERM_RW);
        }
    }
    dmar_iotlb_race_hook = race_write;
    dmar_iotlb_race_opaque = &w;

    /* no writer: sid 1's page, through the race point */
    g_assert_true(shared_get(&t, 1, 0x1000, &out));
    g_assert_cmpuint(w.calls, ==, 1);
    g_assert_cmphex(out.pa, ==, SZ_2M);
    /* the others' (locked) hits after it: sid 1 the least recently used */
    for (uint16_t sid = 2; sid <= 4; sid++) {
        g_assert_true(dmar_iotlb_lookup(&t, SKEY(sid), 0x1000, &out));
    }

    /* sid 5 in sid 1's way, between the key and the output */
    leaf[1] = 5 * SZ_2M | DMAR_PERM_RW;
    w.calls = 0;
    if (group) {
        w.leaf = leaf;
    } else {
        w.pa = 5 * SZ_2M;
    }
    g_assert_false(shared_get(&t, 1, 0x1000, &out));
    g_assert_cmpuint(w.calls, ==, 1);
    dmar_iotlb_race_hook = NULL;

    /* the write went where it was meant to: sid 1 gone, sid 5 there */
    ASSERT_MISS(&t, 1, 0x1000);
    g_assert_true(shared_get(&t, 5, 0x1000, &out));
    g_assert_cmphex(out.pa, ==, 5 * SZ_2M);
    dmar_iotlb_destroy(&t);
}

/*
 * A writer between a lock-free reader's leaf and the leaves around it
 * (dmar_iotlb_race_hook): the reader answers the page it read, not a run
 * of the page it read and the leaves written since. Deterministic, unlike
 * the threaded tests below, which meet that moment only by chance.
 */
static void test_shared_runs_race(void)
{
    uint64_t leaf[DMAR_LEAF_GROUP];
    DmarTranslation out;
    DmarIotlb t;
    RaceWrite w = { .t = &t, .where = DMAR_RACE_RUN, .iova = RUNS_IOVA };

    /* pages 0 and 1 a run of two; page 2 elsewhere */
    runs_init(&t, true, leaf);
    leaf[2] += SZ_2M;
    dmar_iotlb_insert_group(&t, SKEY(1), 1, RUNS_IOVA, leaf);
    dmar_iotlb_race_hook = race_write;
    dmar_iotlb_race_opaque = &w;

    /* no writer: the run of two, through the race point */
    g_assert_true(shared_get(&t, 1, RUNS_IOVA + SZ_4K, &out));
    g_assert_cmpuint(w.calls, ==, 1);
    g_assert_cmphex(out.mask, ==, 2 * SZ_4K - 1);
    g_assert_cmphex(out.pa, ==, 0x80000000ull);

    /*
     * A writer: page 1 elsewhere, page 2 back in line. The page read
     * before it and the leaves after it would make a run of 64 pages
     * that neither the old group nor the new one has.
     */
    leaf[1] += SZ_2M;
    leaf[2] -= SZ_2M;
    w = (RaceWrite) { .t = &t, .where = DMAR_RACE_RUN, .sid = 1,
                      .iova = RUNS_IOVA, .leaf = leaf };
    g_assert_true(shared_get(&t, 1, RUNS_IOVA + SZ_4K, &out));
    g_assert_cmpuint(w.calls, ==, 1);
    g_assert_cmphex(out.mask, ==, 0xfff);
    g_assert_cmphex(out.iova, ==, RUNS_IOVA + SZ_4K);
    g_assert_cmphex(out.pa, ==, 0x80001000ull);

    /* read again: the new page 1, alone (page 0 is not in line with it) */
    dmar_iotlb_race_hook = NULL;
    g_assert_true(shared_get(&t, 1, RUNS_IOVA + SZ_4K, &out));
    g_assert_cmphex(out.mask, ==, 0xfff);
    g_assert_cmphex(out.pa, ==, 0x80201000ull);
    ASSERT_RUN(&t, 2, 2 * SZ_4K);
    dmar_iotlb_destroy(&t);
}

/*
 * Readers without the lock against a writer that rewrites the ways of a
 * single set (entries, or blocks with threads-group) and flushes,
 * generation after generation. A reader that saw
 * generation G's flush done may only get entries of later generations,
 * and each answer must be one entry's, whole: its key's page, and the
 * permissions its generation gave. They meet the narrow moments only by
 * chance (the race tests above put a writer there every time), and
 * orderings no race point names, such as the hardware's.
 */
#define SHARED_GENS     60000
#define SHARED_KEYS     6           /* more than the set's ways */
#define SHARED_READERS  2

static uint8_t shared_perm(uint64_t gen)
{
    return gen & 1 ? DMAR_PERM_R : DMAR_PERM_RW;
}

typedef struct SharedRun {
    DmarIotlb t;
    uint64_t flushed;       /* the newest generation flushed */
    bool done;
    uint64_t hits, bad;
    uint64_t runs;          /* hits that answered more than a page */
    bool alias;             /* SHARED_ALIAS */
    /* a reader had a hit (and one of a run, with runs) */
    bool seen_hit, seen_run;
} SharedRun;

/* What the writer inserts (threads, -group, -runs, -alias) */
enum { SHARED_ENTRIES, SHARED_GROUP, SHARED_RUNS, SHARED_ALIAS };

/*
 * With SHARED_RUNS, generation GEN's group for SID maps page I to
 * GEN << 30 | SID << 18 | I << 12 (so runs are aligned), and how many of
 * the pages around page 1 run on from it depends on GEN: the largest run
 * answer it allows (page 2 elsewhere; or page 0 absent, or left of an
 * older generation by the merge, and page 3 elsewhere).
 */
static uint64_t runs_max(uint64_t gen)
{
    return gen % 3 == 0 ? 64 * SZ_4K : gen % 3 == 1 ? 2 * SZ_4K : SZ_4K;
}

static void runs_put(DmarIotlb *t, unsigned sid, uint64_t gen)
{
    uint64_t leaf[DMAR_LEAF_GROUP];

    for (unsigned i = 0; i < DMAR_LEAF_GROUP; i++) {
        leaf[i] = (gen << 30 | sid << 18 | i << 12) | shared_perm(gen);
    }
    if (gen % 3 == 1) {
        leaf[2] ^= 1ull << 29;
    } else if (gen % 3 == 2) {
        leaf[0] = 0;
        leaf[3] ^= 1ull << 29;
    }
    dmar_iotlb_insert_group(t, SKEY(sid), 1, 0, leaf);
}

/*
 * With SHARED_ALIAS, the groups of every sid but 1 map all their pages
 * to GEN << 30 + I * 4 KiB, sid 1's only page 1 (to the same place): the
 * other sids' leaves are what a run of sid 1's page would be made of,
 * if the block a reader found for sid 1 changed to another's as it read.
 */
static void alias_put(DmarIotlb *t, unsigned sid, uint64_t gen)
{
    uint64_t leaf[DMAR_LEAF_GROUP];

    for (unsigned i = 0; i < DMAR_LEAF_GROUP; i++) {
        leaf[i] = (sid == 1 && i != 1) ? 0 :
                  (gen << 30 | i << 12) | shared_perm(gen);
    }
    dmar_iotlb_insert_group(t, SKEY(sid), 1, 0, leaf);
}

/*
 * The writer's insert for SID in generation GEN: a single entry, a group
 * (a block) that grants page 1 only, or a group of runs (runs_put(),
 * alias_put()).
 */
static void shared_put(SharedRun *run, int mode, unsigned sid, uint64_t gen)
{
    if (mode == SHARED_ALIAS) {
        alias_put(&run->t, sid, gen);
    } else if (mode == SHARED_RUNS) {
        runs_put(&run->t, sid, gen);
    } else if (mode == SHARED_GROUP) {
        group_put(&run->t, sid, 1, gen << 24 | sid << 12, shared_perm(gen));
    } else {
        iotlb_put(&run->t, sid, 1, 0x1000, gen << 24 | sid << 12, 1,
                  shared_perm(gen));
    }
}

/*
 * Is OUT, for page 1 of SID, one whole answer of a generation after
 * FLUSHED (runs: a run that generation's leaves allow)?
 */
static bool shared_answer_ok(const SharedRun *run, unsigned sid,
                             uint64_t flushed, const DmarTranslation *out)
{
    uint64_t pa = out->pa + (0x1000 & out->mask), gen;

    if (out->level != 1 || out->iova != (0x1000 & ~out->mask) ||
        (out->pa & out->mask)) {
        return false;
    }
    if (!run->t.runs) {
        gen = pa >> 24;
        return out->mask == 0xfff && ((pa >> 12) & 0xfff) == sid &&
               gen > flushed && out->perm == shared_perm(gen);
    }
    gen = pa >> 30;
    if (run->alias) {
        return pa == (gen << 30 | 0x1000) && gen > flushed &&
               out->perm == shared_perm(gen) &&
               (sid != 1 || out->mask == 0xfff);
    }
    return pa == (gen << 30 | sid << 18 | 0x1000) && gen > flushed &&
           out->perm == shared_perm(gen) && out->mask < runs_max(gen);
}

static gpointer shared_reader(gpointer opaque)
{
    SharedRun *run = opaque;
    uint64_t hits = 0, bad = 0, runs = 0;
    DmarTranslation out;
    unsigned sid = 0;

    while (!qatomic_load_acquire(&run->done)) {
        uint64_t flushed = qatomic_load_acquire(&run->flushed);

        sid = sid % SHARED_KEYS + 1;
        if (!shared_get(&run->t, sid, 0x1000, &out)) {
            continue;
        }
        hits++;
        runs += out.mask > 0xfff;
        if (hits == 1) {
            qatomic_set(&run->seen_hit, true);
        }
        if (runs == 1 && out.mask > 0xfff) {
            qatomic_set(&run->seen_run, true);
        }
        if (!shared_answer_ok(run, sid, flushed, &out)) {
            if (!bad++) {
                g_test_message("sid %u after flush %" PRIu64 ": pa 0x%"
                               PRIx64 " mask 0x%" PRIx64 " perm %u", sid,
                               flushed, out.pa, out.mask, out.perm);
            }
        }
    }
    qatomic_add(&run->hits, hits);
    qatomic_add(&run->runs, runs);
    qatomic_add(&run->bad, bad);
    return NULL;
}

static void test_shared_threads(const void *opaque)
{
    int mode = *(const int *)opaque;
    SharedRun *run = g_new0(SharedRun, 1);
    GThread *th[SHARED_READERS];
    DmarTranslation out;

    dmar_iotlb_init(&run->t, 4);
    run->t.runs = mode == SHARED_RUNS || mode == SHARED_ALIAS;
    run->alias = mode == SHARED_ALIAS;
    for (unsigned i = 0; i < SHARED_READERS; i++) {
        th[i] = g_thread_new("reader", shared_reader, run);
    }
    /*
     * SHARED_GENS generations, more (up to 20 times as many) until the
     * readers have had their hits: on a loaded machine they may start late
     */
    for (uint64_t gen = 1;
         gen <= SHARED_GENS ||
         (gen <= 20 * SHARED_GENS && !(qatomic_read(&run->seen_hit) &&
                                       (qatomic_read(&run->seen_run) ||
                                        !run->t.runs)));
         gen++) {
        for (unsigned sid = 1; sid <= SHARED_KEYS; sid++) {
            shared_put(run, mode, sid, gen);
        }
        /* locked hits meanwhile move the clock and the LRU */
        for (unsigned sid = 1; sid <= SHARED_KEYS; sid++) {
            dmar_iotlb_lookup(&run->t, SKEY(sid), 0x1000, &out);
        }
        switch (gen % 4) {
        case 0:
            dmar_iotlb_flush_all(&run->t);
            break;
        case 1:
            dmar_iotlb_flush_domain(&run->t, 1);
            break;
        case 2:
            dmar_iotlb_flush_pages(&run->t, 1, 0x1000, 0);
            break;
        case 3:
            for (unsigned sid = 1; sid <= SHARED_KEYS; sid++) {
                dmar_iotlb_flush_sid(&run->t, sid);
            }
            break;
        }
        qatomic_store_release(&run->flushed, gen);
    }
    qatomic_store_release(&run->done, true);
    for (unsigned i = 0; i < SHARED_READERS; i++) {
        g_thread_join(th[i]);
    }
    g_test_message("%" PRIu64 " lock-free hits (%" PRIu64 " runs), %"
                   PRIu64 " wrong", run->hits, run->runs, run->bad);
    g_assert_cmpuint(run->bad, ==, 0);
    g_assert_cmpuint(run->hits, >, 0);
    if (run->t.runs) {
        g_assert_cmpuint(run->runs, >, 0);
    }
    dmar_iotlb_destroy(&run->t);
    g_free(run);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD_CASES("/dmar-cache/iotlb/hit", hit_cases, test_iotlb_hit);
    g_test_add_func("/dmar-cache/iotlb/mixed", test_iotlb_mixed);
    g_test_add_func("/dmar-cache/iotlb/refresh", test_iotlb_refresh);
    g_test_add_func("/dmar-cache/iotlb/bad-level", test_iotlb_bad_level);
    g_test_add_func("/dmar-cache/iotlb/lru", test_iotlb_lru);
    g_test_add_func("/dmar-cache/iotlb/lru-set", test_iotlb_lru_set);
    g_test_add_func("/dmar-cache/iotlb/group", test_iotlb_group);
    g_test_add_func("/dmar-cache/iotlb/group-evict", test_iotlb_group_evict);
    g_test_add_func("/dmar-cache/iotlb/group-logged-page",
                    test_iotlb_group_logged_page);
    g_test_add_func("/dmar-cache/iotlb/group-emptied",
                    test_iotlb_group_emptied);
    g_test_add_func("/dmar-cache/iotlb/group-wrap", test_iotlb_group_wrap);
    g_test_add_func("/dmar-cache/iotlb/group-spread", test_iotlb_group_spread);
    g_test_add_func("/dmar-cache/iotlb/group-flush-range",
                    test_iotlb_group_flush_range);
    g_test_add_func("/dmar-cache/iotlb/shared/hit", test_shared_hit);
    g_test_add_func("/dmar-cache/iotlb/hit-did", test_hit_did);
    g_test_add_data_func("/dmar-cache/iotlb/shared/flush", &(bool){ false },
                         test_shared_flush);
    g_test_add_data_func("/dmar-cache/iotlb/shared/flush-group",
                         &(bool){ true }, test_shared_flush);
    g_test_add_func("/dmar-cache/iotlb/shared/lru", test_shared_lru);
    g_test_add_func("/dmar-cache/iotlb/shared/no-revive",
                    test_shared_no_revive);
    g_test_add_func("/dmar-cache/iotlb/shared/odd-count",
                    test_shared_odd_count);
    g_test_add_data_func("/dmar-cache/iotlb/shared/threads",
                         &(int){ SHARED_ENTRIES }, test_shared_threads);
    g_test_add_data_func("/dmar-cache/iotlb/shared/threads-group",
                         &(int){ SHARED_GROUP }, test_shared_threads);
    g_test_add_data_func("/dmar-cache/iotlb/shared/threads-runs",
                         &(int){ SHARED_RUNS }, test_shared_threads);
    g_test_add_data_func("/dmar-cache/iotlb/shared/threads-alias",
                         &(int){ SHARED_ALIAS }, test_shared_threads);
    g_test_add_func("/dmar-cache/iotlb/shared/runs", test_shared_runs);
    g_test_add_func("/dmar-cache/iotlb/shared/runs-off",
                    test_shared_runs_off);
    g_test_add_func("/dmar-cache/iotlb/shared/runs-flush",
                    test_shared_runs_flush);
    g_test_add_func("/dmar-cache/iotlb/shared/runs-race",
                    test_shared_runs_race);
    g_test_add_data_func("/dmar-cache/iotlb/shared/way-race",
                         &(bool){ false }, test_shared_way_race);
    g_test_add_data_func("/dmar-cache/iotlb/shared/block-race",
                         &(bool){ true }, test_shared_way_race);
    g_test_add_func("/dmar-cache/iotlb/shared/group-lru",
                    test_shared_group_lru);
    g_test_add_func("/dmar-cache/iotlb/shared/group-odd-count",
                    test_shared_group_odd_count);
    g_test_add_func("/dmar-cache/iotlb/shared/group-no-revive",
                    test_shared_group_no_revive);
    g_test_add_func("/dmar-cache/iotlb/flush/all", test_iotlb_flush_all);
    g_test_add_func("/dmar-cache/iotlb/flush/domain",
                    test_iotlb_flush_domain);
    g_test_add_func("/dmar-cache/iotlb/flush/sid", test_iotlb_flush_sid);
    g_test_add_func("/dmar-cache/iotlb/flush/pages", test_iotlb_flush_pages);
    g_test_add_func("/dmar-cache/iotlb/flush/pages-large",
                    test_iotlb_flush_pages_large);
    ADD_CASES("/dmar-cache/iotlb/model", model_cases, test_iotlb_model);

    g_test_add_func("/dmar-cache/iotlb/bad-level-full-set",
                    test_iotlb_bad_level_full_set);
    g_test_add_func("/dmar-cache/ctx/basic", test_ctx_basic);
    g_test_add_func("/dmar-cache/ctx/lru", test_ctx_lru);
    g_test_add_func("/dmar-cache/ctx/lru-set", test_ctx_lru_set);
    g_test_add_func("/dmar-cache/ctx/flush", test_ctx_flush);
    ADD_CASES("/dmar-cache/ctx/flush-device", dev_cases,
              test_ctx_flush_device);
    g_test_add_func("/dmar-cache/ctx/flush-device/other-did",
                    test_ctx_flush_device_did);
    ADD_CASES("/dmar-cache/ctx/model", model_cases, test_ctx_model);

    /* Last, so that a failure here cannot hide the others. */
    g_test_add_func("/dmar-cache/iotlb/flush/no-scan",
                    test_iotlb_flush_no_scan);
    g_test_add_func("/dmar-cache/iotlb/flush/probe-bound",
                    test_iotlb_flush_probe_bound);
    g_test_add_func("/dmar-cache/iotlb/flush/stale-reuse",
                    test_iotlb_stale_reuse);
    g_test_add_func("/dmar-cache/iotlb/flush/range-log",
                    test_iotlb_range_log);
    g_test_add_func("/dmar-cache/iotlb/flush/range-log-full",
                    test_iotlb_range_log_full);
    g_test_add_func("/dmar-cache/ctx/flush/no-scan", test_ctx_flush_no_scan);
    g_test_add_func("/dmar-cache/ctx/flush-device/wide-mask",
                    test_ctx_flush_device_wide_mask);
    g_test_add_func("/dmar-cache/iotlb/key/match", test_iotlb_key_match);
    g_test_add_func("/dmar-cache/iotlb/key/levels", test_iotlb_key_levels);
    g_test_add_func("/dmar-cache/iotlb/key/refresh", test_iotlb_key_refresh);
    g_test_add_func("/dmar-cache/iotlb/key/flush", test_iotlb_key_flush);
    g_test_add_func("/dmar-cache/iotlb/key/flush-probe",
                    test_iotlb_key_flush_probe);
    g_test_add_func("/dmar-cache/size/pow2", test_size_pow2);
    g_test_add_func("/dmar-cache/size/round-up", test_size_round_up);

    return g_test_run();
}
