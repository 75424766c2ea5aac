/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar shadow: what a device's MAP/UNMAP notifiers have been told,
 * and how it follows the tables (dmar-shadow.h).
 *
 * Mappings are naturally aligned 4 KiB, 2 MiB or 1 GiB blocks that never
 * overlap, kept in a hash by IOVA: the one holding an address is at that
 * address rounded down to one of the three sizes, so finding it takes
 * three lookups, and a range is scanned either block by block (a small
 * range: the cost of a page-selective invalidation follows its size) or
 * by visiting every mapping (a range larger than the shadow).
 */
#include "qemu/osdep.h"
#include "dmar-shadow.h"

static const uint64_t block_size[] = {
    1ull << 30, 1ull << 21, 1ull << 12,
};

void dmar_shadow_init(DmarShadow *sh)
{
    sh->map = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                    g_free);
    sh->gen = 0;
}

void dmar_shadow_destroy(DmarShadow *sh)
{
    if (sh->map) {
        g_hash_table_destroy(sh->map);
        sh->map = NULL;
    }
}

uint32_t dmar_shadow_count(const DmarShadow *sh)
{
    return g_hash_table_size(sh->map);
}

/* A mapping as the shadow holds it; gen marks those a sync confirmed. */
typedef struct ShadowEntry {
    DmarMapping m;          /* first: the hash key is &m.iova */
    uint32_t gen;
} ShadowEntry;

static bool block_ok(const DmarMapping *m)
{
    for (unsigned i = 0; i < ARRAY_SIZE(block_size); i++) {
        if (m->mask == block_size[i] - 1) {
            return !(m->iova & m->mask) && !(m->pa & m->mask) &&
                   (m->perm & DMAR_PERM_RW) && !(m->perm & ~DMAR_PERM_RW);
        }
    }
    return false;
}

/* The mapping that holds ADDR, or NULL. */
static ShadowEntry *shadow_at(const DmarShadow *sh, uint64_t addr)
{
    for (unsigned i = 0; i < ARRAY_SIZE(block_size); i++) {
        uint64_t key = addr & ~(block_size[i] - 1);
        ShadowEntry *e = g_hash_table_lookup(sh->map, &key);

        if (e && addr - e->m.iova <= e->m.mask) {
            return e;
        }
    }
    return NULL;
}

/* ---- reading the tables ---- */

typedef struct Leaves {
    GArray *a;              /* of DmarMapping, in IOVA order */
    uint32_t max;           /* stop after this many */
    bool bad;               /* a leaf that is no block was dropped */
} Leaves;

static bool leaves_add(void *opaque, const DmarTranslation *t)
{
    Leaves *l = opaque;
    DmarMapping m = {
        .iova = t->iova, .mask = t->mask, .pa = t->pa, .perm = t->perm,
    };

    if (!block_ok(&m)) {
        l->bad = true;
        return true;
    }
    if (l->a->len >= l->max) {
        return false;
    }
    g_array_append_val(l->a, m);
    return true;
}

/* The leaf holding ADDR (*out), if any. */
static bool leaf_at(DmarShadowSource *src, void *opaque, uint64_t addr,
                    uint64_t *budget, DmarMapping *out)
{
    g_autoptr(GArray) a = g_array_new(false, false, sizeof(DmarMapping));
    Leaves l = { .a = a, .max = 1 };
    uint64_t resume;

    src(opaque, addr, addr, leaves_add, &l, budget, &resume);
    if (!a->len) {
        return false;
    }
    *out = g_array_index(a, DmarMapping, 0);
    return true;
}

/*
 * Widen [*FIRST, *LAST] until no mapping and no leaf straddles an end.
 * Each round moves an end to a larger aligned block, so three sizes
 * settle within four rounds.
 */
static bool widen(DmarShadow *sh, uint64_t *first, uint64_t *last,
                  DmarShadowSource *src, void *opaque, uint64_t *budget)
{
    for (unsigned round = 0; round < 8; round++) {
        uint64_t f = *first, l = *last;
        ShadowEntry *e;
        DmarMapping m;

        e = shadow_at(sh, f);
        if (e) {
            f = e->m.iova;
        }
        e = shadow_at(sh, l);
        if (e) {
            l = e->m.iova + e->m.mask;
        }
        if (src && leaf_at(src, opaque, f, budget, &m)) {
            f = MIN(f, m.iova);
        }
        if (src && leaf_at(src, opaque, l, budget, &m)) {
            l = MAX(l, m.iova + m.mask);
        }
        if (f == *first && l == *last) {
            return true;
        }
        *first = f;
        *last = l;
    }
    return false;
}

/* ---- the sync ---- */

static void collect_stale(DmarShadow *sh, ShadowEntry *e, uint64_t first,
                          uint64_t last, GPtrArray *stale)
{
    if (e->gen != sh->gen && e->m.iova <= last &&
        e->m.iova + e->m.mask >= first) {
        g_ptr_array_add(stale, e);
    }
}

/* The mappings overlapping [FIRST, LAST] that the tables do not confirm */
static GPtrArray *stale_in(DmarShadow *sh, uint64_t first, uint64_t last)
{
    GPtrArray *stale = g_ptr_array_new();
    uint64_t pages = ((last - first) >> 12) + 1;
    uint64_t addr;

    if (pages / 4 >= g_hash_table_size(sh->map)) {
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, sh->map);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            collect_stale(sh, v, first, last, stale);
        }
        return stale;
    }
    /* Fewer pages than 4x the mappings: visit the range block by block */
    addr = first & ~0xfffull;
    for (;;) {
        ShadowEntry *e = shadow_at(sh, addr);
        uint64_t next;

        if (e) {
            collect_stale(sh, e, first, last, stale);
            next = e->m.iova + e->m.mask + 1;
        } else {
            next = addr + 0x1000;
        }
        if (!next || next > last) {
            return stale;
        }
        addr = next;
    }
}

void dmar_shadow_sync(DmarShadow *sh, uint64_t first, uint64_t last,
                      DmarShadowSource *src, void *src_opaque,
                      DmarShadowOut *out, void *out_opaque,
                      uint64_t *budget, DmarShadowStats *st)
{
    g_autoptr(GArray) a = g_array_new(false, false, sizeof(DmarMapping));
    g_autoptr(GPtrArray) stale = NULL;
    g_autofree bool *kept = NULL;
    uint32_t room = DMAR_SHADOW_MAX;
    Leaves l = { .a = a };
    DmarWalkStatus ws = DMAR_WALK_DONE;
    uint64_t resume;

    memset(st, 0, sizeof(*st));
    if (!widen(sh, &first, &last, src, src_opaque, budget)) {
        st->truncated = true;       /* cannot happen: see widen() */
        src = NULL;
    }
    st->first = first;
    st->last = last;
    sh->gen++;

    /* Room for the leaves: the mappings outside the range stay. */
    room -= MIN(room, dmar_shadow_count(sh));
    l.max = room;
    if (src) {
        ws = src(src_opaque, first, last, leaves_add, &l, budget, &resume);
    }
    if (ws == DMAR_WALK_STOPPED) {
        /*
         * Out of budget or of room: what was not read is left unmapped,
         * less than the tables grant, never more.
         */
        st->truncated = true;
    }
    st->faulted = ws == DMAR_WALK_FAULT || l.bad;

    /* Confirm the mappings the tables still hold as they were told */
    kept = g_new0(bool, a->len + 1);
    for (guint i = 0; i < a->len; i++) {
        DmarMapping *m = &g_array_index(a, DmarMapping, i);
        ShadowEntry *e = g_hash_table_lookup(sh->map, &m->iova);

        if (e && e->m.mask == m->mask && e->m.pa == m->pa &&
            e->m.perm == m->perm) {
            e->gen = sh->gen;
            kept[i] = true;
            st->kept++;
        }
    }

    /* Every UNMAP first ... */
    stale = stale_in(sh, first, last);
    for (guint i = 0; i < stale->len; i++) {
        ShadowEntry *e = g_ptr_array_index(stale, i);

        out(out_opaque, false, &e->m);
        st->unmaps++;
        g_hash_table_remove(sh->map, &e->m.iova);
    }

    /* ... then the new leaves. Room was counted before the UNMAPs. */
    for (guint i = 0; i < a->len; i++) {
        ShadowEntry *e;

        if (kept[i]) {
            continue;
        }
        e = g_new(ShadowEntry, 1);
        e->m = g_array_index(a, DmarMapping, i);
        e->gen = sh->gen;
        g_hash_table_insert(sh->map, &e->m.iova, e);
        out(out_opaque, true, &e->m);
        st->maps++;
    }
}

void dmar_shadow_clear(DmarShadow *sh, DmarShadowOut *out, void *out_opaque)
{
    GHashTableIter it;
    gpointer v;

    if (out) {
        g_hash_table_iter_init(&it, sh->map);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            out(out_opaque, false, &((ShadowEntry *)v)->m);
        }
    }
    g_hash_table_remove_all(sh->map);
}

void dmar_shadow_foreach(const DmarShadow *sh, DmarShadowOut *fn,
                         void *opaque)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, sh->map);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        fn(opaque, true, &((ShadowEntry *)v)->m);
    }
}
