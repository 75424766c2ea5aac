/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the MAP/UNMAP shadow (dmar-shadow.c): against a model of
 * the tables (a list of blocks) with randomized changes and syncs, and
 * against real second-level tables through dmar_walk_range().
 *
 * The consumer below plays vfio's part: it applies what the shadow says
 * and refuses what vfio type1 would (a MAP over a mapping, an UNMAP that
 * is not exactly one mapping, a MAP after an UNMAP of the same sync).
 */
#include "qemu/osdep.h"
#include "dmar-shadow.h"
#include "dmar-fake-mem.h"

#define SZ_4K   0x1000ull
#define SZ_2M   0x200000ull
#define SZ_1G   0x40000000ull

/* ---- the consumer ---- */

typedef struct Consumer {
    GArray *map;            /* of DmarMapping, unordered */
    unsigned maps, unmaps;
    bool mapped_this_sync;  /* a MAP came: no UNMAP may follow */
} Consumer;

static int consumer_find(Consumer *c, uint64_t iova)
{
    for (guint i = 0; i < c->map->len; i++) {
        if (g_array_index(c->map, DmarMapping, i).iova == iova) {
            return i;
        }
    }
    return -1;
}

static bool overlaps(const DmarMapping *a, uint64_t first, uint64_t last)
{
    return a->iova <= last && a->iova + a->mask >= first;
}

static void consumer_out(void *opaque, bool map, const DmarMapping *m)
{
    Consumer *c = opaque;
    int i = consumer_find(c, m->iova);

    g_assert_cmphex(m->iova & m->mask, ==, 0);
    g_assert_true(m->mask == SZ_4K - 1 || m->mask == SZ_2M - 1 ||
                  m->mask == SZ_1G - 1);
    if (map) {
        g_assert_cmpuint(m->perm & ~DMAR_PERM_RW, ==, 0);
        g_assert_cmpuint(m->perm, !=, 0);
        for (guint j = 0; j < c->map->len; j++) {
            g_assert_false(overlaps(&g_array_index(c->map, DmarMapping, j),
                                    m->iova, m->iova + m->mask));
        }
        g_array_append_val(c->map, *m);
        c->maps++;
        c->mapped_this_sync = true;
        return;
    }
    /* UNMAPs come first, and each is exactly one mapping as told */
    g_assert_false(c->mapped_this_sync);
    g_assert_cmpint(i, >=, 0);
    g_assert_cmphex(g_array_index(c->map, DmarMapping, i).mask, ==, m->mask);
    g_assert_cmphex(g_array_index(c->map, DmarMapping, i).pa, ==, m->pa);
    g_array_remove_index_fast(c->map, i);
    c->unmaps++;
}

static gint mapping_cmp(gconstpointer a, gconstpointer b)
{
    const DmarMapping *x = a, *y = b;

    return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/* The mappings of A overlapping [FIRST, LAST] (all: 0, ~0), sorted */
static GArray *slice(GArray *a, uint64_t first, uint64_t last)
{
    GArray *r = g_array_new(false, false, sizeof(DmarMapping));

    for (guint i = 0; i < a->len; i++) {
        DmarMapping *m = &g_array_index(a, DmarMapping, i);

        if (overlaps(m, first, last)) {
            g_array_append_val(r, *m);
        }
    }
    g_array_sort(r, mapping_cmp);
    return r;
}

/* Does nothing of A overlap [FIRST, LAST]? */
static bool none_in(GArray *a, uint64_t first, uint64_t last)
{
    g_autoptr(GArray) s = slice(a, first, last);

    return !s->len;
}

static void assert_same(GArray *a, GArray *b)
{
    g_assert_cmpuint(a->len, ==, b->len);
    for (guint i = 0; i < a->len; i++) {
        DmarMapping *x = &g_array_index(a, DmarMapping, i);
        DmarMapping *y = &g_array_index(b, DmarMapping, i);

        g_assert_cmphex(x->iova, ==, y->iova);
        g_assert_cmphex(x->mask, ==, y->mask);
        g_assert_cmphex(x->pa, ==, y->pa);
        g_assert_cmpuint(x->perm, ==, y->perm);
    }
}

/* ---- the model tables: blocks in IOVA order ---- */

typedef struct Model {
    GArray *blocks;         /* of DmarMapping */
    unsigned reads;         /* blocks handed out */
} Model;

static DmarWalkStatus model_source(void *opaque, uint64_t first,
                                   uint64_t last, DmarWalkFn *fn,
                                   void *fn_opaque, uint64_t *budget,
                                   uint64_t *resume)
{
    Model *md = opaque;
    g_autoptr(GArray) s = slice(md->blocks, first, last);

    for (guint i = 0; i < s->len; i++) {
        DmarMapping *m = &g_array_index(s, DmarMapping, i);
        DmarTranslation t = {
            .iova = m->iova, .pa = m->pa, .mask = m->mask, .perm = m->perm,
            .level = m->mask == SZ_4K - 1 ? 1 : m->mask == SZ_2M - 1 ? 2 : 3,
        };

        if (!*budget) {
            *resume = m->iova;
            return DMAR_WALK_STOPPED;
        }
        (*budget)--;
        md->reads++;
        if (!fn(fn_opaque, &t)) {
            *resume = m->iova + m->mask + 1;
            return DMAR_WALK_STOPPED;
        }
    }
    return DMAR_WALK_DONE;
}

/*
 * A random state of the model over 4 GiB: each 1 GiB empty, one page,
 * or 2 MiB slots each empty, one page, or a few 4 KiB pages.
 */
static void model_random(Model *md, GRand *r)
{
    g_array_set_size(md->blocks, 0);
    for (uint64_t g = 0; g < 4 * SZ_1G; g += SZ_1G) {
        unsigned k = g_rand_int_range(r, 0, 4);

        if (k == 0) {
            continue;
        }
        if (k == 1) {
            DmarMapping m = { g, SZ_1G - 1,
                              g_rand_int_range(r, 0, 64) * SZ_1G,
                              g_rand_int_range(r, 1, 4) };

            g_array_append_val(md->blocks, m);
            continue;
        }
        for (unsigned i = 0; i < 8; i++) {
            uint64_t m2 = g + g_rand_int_range(r, 0, 512) * SZ_2M;

            if (g_rand_boolean(r)) {
                DmarMapping m = { m2, SZ_2M - 1,
                                  g_rand_int_range(r, 0, 4096) * SZ_2M,
                                  g_rand_int_range(r, 1, 4) };
                if (none_in(md->blocks, m2, m2 + SZ_2M - 1)) {
                    g_array_append_val(md->blocks, m);
                }
                continue;
            }
            for (unsigned j = 0; j < 4; j++) {
                uint64_t p = m2 + g_rand_int_range(r, 0, 512) * SZ_4K;
                DmarMapping m = { p, SZ_4K - 1,
                                  g_rand_int_range(r, 0, 1 << 20) * SZ_4K,
                                  g_rand_int_range(r, 1, 4) };
                if (none_in(md->blocks, p, p)) {
                    g_array_append_val(md->blocks, m);
                }
            }
        }
    }
    g_array_sort(md->blocks, mapping_cmp);
}

/* Change a random part of the model: drop, add or alter blocks. */
static void model_mutate(Model *md, GRand *r)
{
    g_autoptr(GArray) fresh = g_array_new(false, false, sizeof(DmarMapping));
    Model tmp = { .blocks = fresh };
    uint64_t g = g_rand_int_range(r, 0, 4) * SZ_1G;
    uint64_t first = g, last = g + SZ_1G - 1;

    /* A fresh random 1 GiB, 2 MiB or 4 KiB part replaces the old one */
    model_random(&tmp, r);
    switch (g_rand_int_range(r, 0, 3)) {
    case 1:
        first = g + g_rand_int_range(r, 0, 512) * SZ_2M;
        last = first + SZ_2M - 1;
        break;
    case 2:
        first = g + g_rand_int_range(r, 0, 512 * 512) * SZ_4K;
        last = first + SZ_4K - 1;
        break;
    }
    /* Keep the whole of any block that straddles the part. */
    for (guint i = 0; i < md->blocks->len; i++) {
        DmarMapping *m = &g_array_index(md->blocks, DmarMapping, i);

        if (overlaps(m, first, last) && (m->iova < first ||
                                         m->iova + m->mask > last)) {
            first = MIN(first, m->iova);
            last = MAX(last, m->iova + m->mask);
        }
    }
    for (guint i = md->blocks->len; i-- > 0;) {
        if (overlaps(&g_array_index(md->blocks, DmarMapping, i), first,
                     last)) {
            g_array_remove_index(md->blocks, i);
        }
    }
    for (guint i = 0; i < fresh->len; i++) {
        DmarMapping m = g_array_index(fresh, DmarMapping, i);

        m.iova = first + (m.iova % (last - first + 1));
        m.iova &= ~m.mask;
        if (m.iova >= first && m.iova + m.mask <= last &&
            none_in(md->blocks, m.iova, m.iova + m.mask)) {
            g_array_append_val(md->blocks, m);
        }
    }
    g_array_sort(md->blocks, mapping_cmp);
}

/* Sync [FIRST, LAST] and check the consumer against the model. */
static void sync_check(DmarShadow *sh, Model *md, Consumer *c,
                       uint64_t first, uint64_t last)
{
    g_autoptr(GArray) before = slice(c->map, 0, UINT64_MAX);
    uint64_t budget = UINT64_MAX;
    DmarShadowStats st;

    c->mapped_this_sync = false;
    dmar_shadow_sync(sh, first, last, model_source, md, consumer_out, c,
                     &budget, &st);
    g_assert_false(st.truncated);
    g_assert_cmphex(st.first, <=, first);
    g_assert_cmphex(st.last, >=, last);
    /* What was told of the range is redone whole: never a part left */
    for (guint i = 0; i < before->len; i++) {
        DmarMapping *m = &g_array_index(before, DmarMapping, i);

        if (overlaps(m, first, last)) {
            g_assert_cmphex(m->iova, >=, st.first);
            g_assert_cmphex(m->iova + m->mask, <=, st.last);
        }
    }
    g_assert_cmpuint(dmar_shadow_count(sh), ==, c->map->len);
    {
        /* Inside the synced range: what the tables hold, exactly */
        g_autoptr(GArray) got = slice(c->map, st.first, st.last);
        g_autoptr(GArray) want = slice(md->blocks, st.first, st.last);
        g_autoptr(GArray) out_before = g_array_new(false, false,
                                                   sizeof(DmarMapping));
        g_autoptr(GArray) out_after = g_array_new(false, false,
                                                  sizeof(DmarMapping));

        assert_same(got, want);
        for (guint i = 0; i < got->len; i++) {
            DmarMapping *m = &g_array_index(got, DmarMapping, i);

            g_assert_cmphex(m->iova, >=, st.first);
            g_assert_cmphex(m->iova + m->mask, <=, st.last);
        }
        /* Outside it: untouched */
        for (guint i = 0; i < before->len; i++) {
            DmarMapping *m = &g_array_index(before, DmarMapping, i);

            if (!overlaps(m, st.first, st.last)) {
                g_array_append_val(out_before, *m);
            }
        }
        for (guint i = 0; i < c->map->len; i++) {
            DmarMapping *m = &g_array_index(c->map, DmarMapping, i);

            if (!overlaps(m, st.first, st.last)) {
                g_array_append_val(out_after, *m);
            }
        }
        g_array_sort(out_after, mapping_cmp);
        assert_same(out_before, out_after);
    }
}

typedef struct Fixture {
    DmarShadow sh;
    Model md;
    Consumer c;
} Fixture;

static void fx_init(Fixture *f)
{
    dmar_shadow_init(&f->sh);
    f->md = (Model) { .blocks = g_array_new(false, false,
                                            sizeof(DmarMapping)) };
    f->c = (Consumer) { .map = g_array_new(false, false,
                                           sizeof(DmarMapping)) };
}

static void fx_destroy(Fixture *f)
{
    dmar_shadow_destroy(&f->sh);
    g_array_free(f->md.blocks, true);
    g_array_free(f->c.map, true);
}

static void add_block(Model *md, uint64_t iova, uint64_t size, uint64_t pa,
                      uint8_t perm)
{
    DmarMapping m = { iova, size - 1, pa, perm };

    g_array_append_val(md->blocks, m);
    g_array_sort(md->blocks, mapping_cmp);
}

/* ---- cases ---- */

/* A sync of everything maps every block, once; again: nothing changes */
static void test_full_sync(void)
{
    Fixture f;

    fx_init(&f);
    add_block(&f.md, 0, SZ_4K, 0x5000, DMAR_PERM_R);
    add_block(&f.md, SZ_2M, SZ_2M, 0x40000000, DMAR_PERM_RW);
    add_block(&f.md, SZ_1G, SZ_1G, 0x80000000, DMAR_PERM_W);
    sync_check(&f.sh, &f.md, &f.c, 0, (1ull << 48) - 1);
    g_assert_cmpuint(f.c.maps, ==, 3);
    sync_check(&f.sh, &f.md, &f.c, 0, (1ull << 48) - 1);
    g_assert_cmpuint(f.c.maps, ==, 3);
    g_assert_cmpuint(f.c.unmaps, ==, 0);
    fx_destroy(&f);
}

/*
 * A 2 MiB page replaced by 4 KiB pages: an invalidation of one 4 KiB
 * page inside it unmaps the whole 2 MiB mapping and maps what the tables
 * hold in all of it (never a part of the old mapping left behind).
 */
static void test_superpage_split(void)
{
    Fixture f;

    fx_init(&f);
    add_block(&f.md, SZ_2M, SZ_2M, 0x40000000, DMAR_PERM_RW);
    sync_check(&f.sh, &f.md, &f.c, 0, (1ull << 48) - 1);
    g_array_set_size(f.md.blocks, 0);
    add_block(&f.md, SZ_2M + 1 * SZ_4K, SZ_4K, 0x8000, DMAR_PERM_W);
    add_block(&f.md, SZ_2M + 5 * SZ_4K, SZ_4K, 0x9000, DMAR_PERM_R);
    add_block(&f.md, SZ_2M + 300 * SZ_4K, SZ_4K, 0xa000, DMAR_PERM_RW);
    sync_check(&f.sh, &f.md, &f.c, SZ_2M + 5 * SZ_4K, SZ_2M + 6 * SZ_4K - 1);
    g_assert_cmpuint(f.c.unmaps, ==, 1);
    g_assert_cmpuint(f.c.map->len, ==, 3);
    /* ... and back: a 4 KiB invalidation inside the new 2 MiB page */
    g_array_set_size(f.md.blocks, 0);
    add_block(&f.md, SZ_2M, SZ_2M, 0x60000000, DMAR_PERM_R);
    sync_check(&f.sh, &f.md, &f.c, SZ_2M + 7 * SZ_4K, SZ_2M + 8 * SZ_4K - 1);
    g_assert_cmpuint(f.c.map->len, ==, 1);
    fx_destroy(&f);
}

/* Same iova and size, other permission or page: UNMAP then MAP */
static void test_remap(void)
{
    Fixture f;

    fx_init(&f);
    add_block(&f.md, 0x10000, SZ_4K, 0x5000, DMAR_PERM_R);
    sync_check(&f.sh, &f.md, &f.c, 0x10000, 0x10fff);
    g_array_index(f.md.blocks, DmarMapping, 0).perm = DMAR_PERM_RW;
    sync_check(&f.sh, &f.md, &f.c, 0x10000, 0x10fff);
    g_array_index(f.md.blocks, DmarMapping, 0).pa = 0x6000;
    sync_check(&f.sh, &f.md, &f.c, 0x10000, 0x10fff);
    g_assert_cmpuint(f.c.maps, ==, 3);
    g_assert_cmpuint(f.c.unmaps, ==, 2);
    fx_destroy(&f);
}

/*
 * Unchanged outside the invalidated range: a change the guest has not
 * invalidated yet is not seen (caching: allowed until the invalidation).
 */
static void test_outside_untouched(void)
{
    Fixture f;

    fx_init(&f);
    add_block(&f.md, 0x10000, SZ_4K, 0x5000, DMAR_PERM_R);
    add_block(&f.md, 0x20000, SZ_4K, 0x6000, DMAR_PERM_R);
    sync_check(&f.sh, &f.md, &f.c, 0, 0xfffff);
    g_array_set_size(f.md.blocks, 0);
    sync_check(&f.sh, &f.md, &f.c, 0x10000, 0x10fff);
    g_assert_cmpuint(f.c.map->len, ==, 1);
    g_assert_cmphex(g_array_index(f.c.map, DmarMapping, 0).iova, ==, 0x20000);
    fx_destroy(&f);
}

/* No source (pass-through, TE off, no context): everything unmapped */
static void test_no_source(void)
{
    Fixture f;
    uint64_t budget = UINT64_MAX;
    DmarShadowStats st;

    fx_init(&f);
    add_block(&f.md, SZ_1G, SZ_1G, 0, DMAR_PERM_RW);
    add_block(&f.md, 0x3000, SZ_4K, 0, DMAR_PERM_RW);
    sync_check(&f.sh, &f.md, &f.c, 0, (1ull << 48) - 1);
    f.c.mapped_this_sync = false;
    dmar_shadow_sync(&f.sh, 0, (1ull << 48) - 1, NULL, NULL, consumer_out,
                     &f.c, &budget, &st);
    g_assert_cmpuint(f.c.map->len, ==, 0);
    g_assert_cmpuint(st.unmaps, ==, 2);
    fx_destroy(&f);
}

/*
 * Out of budget: what was not read is left unmapped (never kept from
 * before), what was read is mapped, and the sync says truncated.
 */
static void test_budget(void)
{
    Fixture f;
    uint64_t budget;
    DmarShadowStats st;

    fx_init(&f);
    for (unsigned i = 0; i < 10; i++) {
        add_block(&f.md, i * SZ_4K, SZ_4K, 0x100000 + i * SZ_4K,
                  DMAR_PERM_RW);
    }
    sync_check(&f.sh, &f.md, &f.c, 0, (1ull << 48) - 1);
    g_assert_cmpuint(f.c.map->len, ==, 10);
    /* Every page moves; only 4 reads */
    for (unsigned i = 0; i < 10; i++) {
        g_array_index(f.md.blocks, DmarMapping, i).pa += SZ_1G;
    }
    budget = 4;
    f.c.mapped_this_sync = false;
    dmar_shadow_sync(&f.sh, 0, 10 * SZ_4K - 1, model_source, &f.md,
                     consumer_out, &f.c, &budget, &st);
    g_assert_true(st.truncated);
    g_assert_cmpuint(budget, ==, 0);
    g_assert_cmpuint(f.c.map->len, ==, 4);
    for (guint i = 0; i < f.c.map->len; i++) {
        DmarMapping *m = &g_array_index(f.c.map, DmarMapping, i);

        g_assert_cmphex(m->pa, ==, 0x100000 + SZ_1G + m->iova);
    }
    fx_destroy(&f);
}

/* A source block that is no naturally aligned block is never told */
static void test_bad_block(void)
{
    Fixture f;
    uint64_t budget = UINT64_MAX;
    DmarShadowStats st;

    fx_init(&f);
    add_block(&f.md, SZ_2M, SZ_2M, 0x40001000, DMAR_PERM_RW);
    add_block(&f.md, 0x3000, SZ_4K, 0x5000, DMAR_PERM_RW);
    dmar_shadow_sync(&f.sh, 0, (1ull << 48) - 1, model_source, &f.md,
                     consumer_out, &f.c, &budget, &st);
    g_assert_true(st.faulted);
    g_assert_cmpuint(f.c.map->len, ==, 1);
    g_assert_cmphex(g_array_index(f.c.map, DmarMapping, 0).iova, ==, 0x3000);
    fx_destroy(&f);
}

/*
 * Many mappings, many page-selective syncs: the shadow's index grows,
 * entries move and leave, and every sync still tells exactly the change.
 */
static void test_many(void)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(g_test_rand_int());
    const unsigned n = 3000;
    Fixture f;

    fx_init(&f);
    for (unsigned i = 0; i < n; i++) {
        uint64_t iova = (uint64_t)g_rand_int_range(r, 0, 1 << 24) * SZ_4K;

        if (none_in(f.md.blocks, iova, iova)) {
            add_block(&f.md, iova, SZ_4K, iova + SZ_1G, DMAR_PERM_RW);
        }
    }
    sync_check(&f.sh, &f.md, &f.c, 0, (1ull << 48) - 1);
    /* Drop a third, one page-selective sync each */
    for (guint i = f.md.blocks->len; i-- > 0;) {
        if (i % 3 == 0) {
            uint64_t iova = g_array_index(f.md.blocks, DmarMapping, i).iova;

            g_array_remove_index(f.md.blocks, i);
            sync_check(&f.sh, &f.md, &f.c, iova, iova + SZ_4K - 1);
        }
    }
    /* Move a fifth elsewhere */
    for (guint i = 0; i < f.md.blocks->len; i += 5) {
        DmarMapping *m = &g_array_index(f.md.blocks, DmarMapping, i);

        m->pa += SZ_4K;
        sync_check(&f.sh, &f.md, &f.c, m->iova, m->iova + SZ_4K - 1);
    }
    sync_check(&f.sh, &f.md, &f.c, 0, (1ull << 48) - 1);
    {
        g_autoptr(GArray) got = slice(f.c.map, 0, UINT64_MAX);

        assert_same(got, f.md.blocks);
    }
    fx_destroy(&f);
}

/* Randomized: every sync leaves the consumer equal to the tables */
static void test_random(void)
{
    const char *env = getenv("VTD_SHADOW_ROUNDS");
    unsigned rounds = env ? atoi(env) : 200;
    guint32 seed = g_test_rand_int();
    g_autoptr(GRand) r = g_rand_new_with_seed(seed);
    Fixture f;
    unsigned syncs = 0;

    g_test_message("seed %u, %u rounds", seed, rounds);
    fx_init(&f);
    model_random(&f.md, r);
    sync_check(&f.sh, &f.md, &f.c, 0, (1ull << 48) - 1);
    for (unsigned i = 0; i < rounds; i++) {
        unsigned k = g_rand_int_range(r, 0, 4);
        uint64_t first, last;

        model_mutate(&f.md, r);
        /* a range of 4 KiB .. 4 GiB at 4 KiB, or everything */
        first = g_rand_int_range(r, 0, 1 << 20) * SZ_4K;
        last = first + (k == 0 ? SZ_4K : k == 1 ? 16 * SZ_4K :
                        k == 2 ? SZ_1G : 0) - 1;
        if (k == 3) {
            first = 0;
            last = (1ull << 48) - 1;
        }
        sync_check(&f.sh, &f.md, &f.c, first, last);
        syncs++;
    }
    /* At last everything: the consumer holds exactly the tables */
    sync_check(&f.sh, &f.md, &f.c, 0, (1ull << 48) - 1);
    {
        g_autoptr(GArray) got = slice(f.c.map, 0, UINT64_MAX);

        assert_same(got, f.md.blocks);
    }
    g_test_message("%u syncs, %u maps, %u unmaps", syncs + 2, f.c.maps,
                   f.c.unmaps);
    fx_destroy(&f);
}

/*
 * Through real tables: dmar_walk_range() as the source, a 1 GiB page
 * that reaches into the interrupt window comes as its pieces outside it,
 * and a page-selective sync reads one walk's entries, whatever the
 * domain holds elsewhere.
 */
typedef struct Real {
    DmarHwConfig hw;
    DmarContext ctx;
    DmarMem mem;
} Real;

static DmarWalkStatus real_source(void *opaque, uint64_t first,
                                  uint64_t last, DmarWalkFn *fn,
                                  void *fn_opaque, uint64_t *budget,
                                  uint64_t *resume)
{
    Real *rl = opaque;

    return dmar_walk_range(&rl->hw, &rl->ctx, first, last, &rl->mem, fn,
                           fn_opaque, budget, resume);
}

static uint64_t pte_slot(FakeMem *m, uint64_t root, uint64_t iova,
                         unsigned level)
{
    uint64_t table = root;

    for (unsigned l = 4; l > level; l--) {
        uint64_t slot = table + ((iova >> (12 + 9 * (l - 1))) & 511) * 8;
        uint64_t pte = fake_peek64(m, slot);

        if (!(pte & 3)) {
            pte = fake_alloc_table(m) | 3;
            fake_poke64(m, slot, pte);
        }
        table = pte & 0x000ffffffffff000ull;
    }
    return table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8;
}

static void test_real_tables(void)
{
    FakeMem fm;
    Real rl = {
        .hw = { .haw = 46, .sagaw = 0x4, .sllps = 3 },
        .ctx = { .did = 1, .tt = DMAR_TT_UNTRANSLATED, .levels = 4 },
    };
    Consumer c = { .map = g_array_new(false, false, sizeof(DmarMapping)) };
    DmarShadow sh;
    DmarShadowStats st;
    uint64_t budget = UINT64_MAX, before;
    unsigned pieces = 0;

    fake_mem_init(&fm);
    rl.mem = fake_mem(&fm);
    dmar_hw_config_init(&rl.hw);
    rl.ctx.slptptr = fake_alloc_table(&fm);
    dmar_shadow_init(&sh);
    /* 1 GiB at 3 GiB onto 3 GiB: reaches 0xfee00000 */
    fake_poke64(&fm, pte_slot(&fm, rl.ctx.slptptr, 3 * SZ_1G, 3),
                3 * SZ_1G | 0x80 | 3);
    /* 1000 4 KiB pages at 16 GiB */
    for (unsigned i = 0; i < 1000; i++) {
        fake_poke64(&fm, pte_slot(&fm, rl.ctx.slptptr, 16 * SZ_1G + i * SZ_4K,
                                  1), (0x1000000 + i * SZ_4K) | 3);
    }
    dmar_shadow_sync(&sh, 0, (1ull << 48) - 1, real_source, &rl,
                     consumer_out, &c, &budget, &st);
    g_assert_false(st.truncated);
    for (guint i = 0; i < c.map->len; i++) {
        DmarMapping *m = &g_array_index(c.map, DmarMapping, i);

        if (m->iova >= 3 * SZ_1G && m->iova < 4 * SZ_1G) {
            /* nothing of it in the window */
            g_assert_true(m->iova + m->mask < 0xfee00000ull ||
                          m->iova > 0xfeefffffull);
            pieces++;
        }
    }
    /* 511 2 MiB pieces and 256 4 KiB pieces of the window's 2 MiB */
    g_assert_cmpuint(pieces, ==, 511 + 256);
    g_assert_cmpuint(c.map->len, ==, 511 + 256 + 1000);

    /* One page changes: a page-selective sync reads a handful */
    fake_poke64(&fm, pte_slot(&fm, rl.ctx.slptptr, 16 * SZ_1G + 7 * SZ_4K, 1),
                0x7000000 | 1);
    before = budget;
    c.mapped_this_sync = false;
    dmar_shadow_sync(&sh, 16 * SZ_1G + 7 * SZ_4K, 16 * SZ_1G + 8 * SZ_4K - 1,
                     real_source, &rl, consumer_out, &c, &budget, &st);
    g_assert_cmpuint(before - budget, ==, 4);     /* one 4-level walk */
    g_assert_cmpuint(st.unmaps, ==, 1);
    g_assert_cmpuint(st.maps, ==, 1);
    g_assert_cmphex(g_array_index(c.map, DmarMapping,
                                  consumer_find(&c, 16 * SZ_1G + 7 * SZ_4K)).pa,
                    ==, 0x7000000);
    dmar_shadow_destroy(&sh);
    g_array_free(c.map, true);
    fake_mem_destroy(&fm);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/shadow/full-sync", test_full_sync);
    g_test_add_func("/shadow/superpage-split", test_superpage_split);
    g_test_add_func("/shadow/remap", test_remap);
    g_test_add_func("/shadow/outside-untouched", test_outside_untouched);
    g_test_add_func("/shadow/no-source", test_no_source);
    g_test_add_func("/shadow/budget", test_budget);
    g_test_add_func("/shadow/bad-block", test_bad_block);
    g_test_add_func("/shadow/random", test_random);
    g_test_add_func("/shadow/many", test_many);
    g_test_add_func("/shadow/real-tables", test_real_tables);
    return g_test_run();
}
