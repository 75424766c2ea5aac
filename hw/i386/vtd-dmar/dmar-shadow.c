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

struct DmarShadowEntry {
    DmarMapping m;
    uint32_t gen;           /* the sync that confirmed or told it */
};

/* ---- the index: IOVA -> entry ---- */

/*
 * Keys are IOVAs of 4 KiB, 2 MiB or 1 GiB blocks: their low bits are
 * zero. Fibonacci hashing of the page number spreads them all.
 */
static inline uint32_t home(const DmarShadow *sh, uint64_t iova)
{
    return ((iova >> 12) * 0x9e3779b97f4a7c15ull) >> sh->slot_shift;
}

/* The index of the entry at IOVA, or -1. */
static int64_t find(const DmarShadow *sh, uint64_t iova)
{
    if (!sh->n) {
        return -1;
    }
    for (uint32_t i = home(sh, iova);; i = (i + 1) & sh->slot_mask) {
        uint32_t v = sh->slot[i];

        if (!v) {
            return -1;
        }
        if (sh->ent[v - 1].m.iova == iova) {
            return v - 1;
        }
    }
}

/* The slot that holds entry IDX (which is there). */
static uint32_t slot_of(const DmarShadow *sh, uint32_t idx)
{
    uint32_t i = home(sh, sh->ent[idx].m.iova);

    while (sh->slot[i] != idx + 1) {
        i = (i + 1) & sh->slot_mask;
    }
    return i;
}

static void place(DmarShadow *sh, uint32_t idx)
{
    uint32_t i = home(sh, sh->ent[idx].m.iova);

    while (sh->slot[i]) {
        i = (i + 1) & sh->slot_mask;
    }
    sh->slot[i] = idx + 1;
}

/* Index sized for at least 2 * WANT slots, rebuilt. */
static void reindex(DmarShadow *sh, uint32_t want)
{
    unsigned bits = 6;

    while ((1u << bits) < 2 * want) {
        bits++;
    }
    g_free(sh->slot);
    sh->slot = g_new0(uint32_t, 1u << bits);
    sh->slot_mask = (1u << bits) - 1;
    sh->slot_shift = 64 - bits;
    for (uint32_t i = 0; i < sh->n; i++) {
        place(sh, i);
    }
}

static DmarShadowEntry *add(DmarShadow *sh, const DmarMapping *m)
{
    if (sh->n == sh->cap) {
        sh->cap = MAX(64, sh->cap * 2);
        sh->ent = g_renew(DmarShadowEntry, sh->ent, sh->cap);
    }
    if (2 * (sh->n + 1) > sh->slot_mask + 1) {
        reindex(sh, sh->n + 1);
    }
    sh->ent[sh->n] = (DmarShadowEntry) { .m = *m, .gen = sh->gen };
    place(sh, sh->n);
    return &sh->ent[sh->n++];
}

/*
 * Drop entry IDX: its slot is emptied by shifting back the entries
 * probed past it, and the last entry moves into its place.
 */
static void drop(DmarShadow *sh, uint32_t idx)
{
    uint32_t i = slot_of(sh, idx), j = i, last = sh->n - 1;

    for (;;) {
        uint32_t k;

        j = (j + 1) & sh->slot_mask;
        if (!sh->slot[j]) {
            break;
        }
        k = home(sh, sh->ent[sh->slot[j] - 1].m.iova);
        /* Stays unless its home lies cyclically outside (i, j] */
        if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
            sh->slot[i] = sh->slot[j];
            i = j;
        }
    }
    sh->slot[i] = 0;
    if (idx != last) {
        sh->slot[slot_of(sh, last)] = idx + 1;
        sh->ent[idx] = sh->ent[last];
    }
    sh->n--;
}

void dmar_shadow_init(DmarShadow *sh)
{
    memset(sh, 0, sizeof(*sh));
}

void dmar_shadow_destroy(DmarShadow *sh)
{
    g_free(sh->ent);
    g_free(sh->slot);
    memset(sh, 0, sizeof(*sh));
}

uint32_t dmar_shadow_count(const DmarShadow *sh)
{
    return sh->n;
}

static bool block_ok(const DmarMapping *m)
{
    if (m->mask != 0xfffull && m->mask != 0x1fffffull &&
        m->mask != 0x3fffffffull) {
        return false;
    }
    return !(m->iova & m->mask) && !(m->pa & m->mask) &&
           (m->perm & DMAR_PERM_RW) && !(m->perm & ~DMAR_PERM_RW);
}

/* The mapping that holds ADDR, or NULL. */
static DmarShadowEntry *shadow_at(const DmarShadow *sh, uint64_t addr)
{
    if (!sh->n) {
        return NULL;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(block_size); i++) {
        int64_t e = find(sh, addr & ~(block_size[i] - 1));

        if (e >= 0 && addr - sh->ent[e].m.iova <= sh->ent[e].m.mask) {
            return &sh->ent[e];
        }
    }
    return NULL;
}

/* ---- reading the tables ---- */

typedef struct Leaves {
    DmarMapping *m;         /* in IOVA order */
    uint32_t len, cap;
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
    if (l->len >= l->max) {
        return false;
    }
    if (l->len == l->cap) {
        l->cap = MAX(64, l->cap * 2);
        l->m = g_renew(DmarMapping, l->m, l->cap);
    }
    l->m[l->len++] = m;
    return true;
}

/* ---- the sync ---- */

static bool overlaps(const DmarMapping *m, uint64_t first, uint64_t last)
{
    return m->iova <= last && m->iova + m->mask >= first;
}

/*
 * UNMAP and drop every mapping overlapping [FIRST, LAST] that this sync
 * did not confirm: by visiting all of them when the range holds more
 * pages than 4x the mappings, else block by block along the range (the
 * cost of a page-selective invalidation follows its size).
 */
static uint64_t drop_stale(DmarShadow *sh, uint64_t first, uint64_t last,
                           DmarShadowOut *out, void *out_opaque)
{
    uint64_t pages = ((last - first) >> 12) + 1, n = 0, addr;
    g_autoptr(GArray) keys = NULL;

    if (pages / 4 >= sh->n) {
        /* Backwards: what drop() moves into place was visited already */
        for (uint32_t i = sh->n; i-- > 0;) {
            DmarShadowEntry *e = &sh->ent[i];

            if (e->gen != sh->gen && overlaps(&e->m, first, last)) {
                out(out_opaque, false, &e->m);
                drop(sh, i);
                n++;
            }
        }
        return n;
    }
    keys = g_array_new(false, false, sizeof(uint64_t));
    for (addr = first & ~0xfffull;;) {
        DmarShadowEntry *e = shadow_at(sh, addr);
        uint64_t next = addr + 0x1000;

        if (e) {
            if (e->gen != sh->gen) {
                g_array_append_val(keys, e->m.iova);
            }
            next = e->m.iova + e->m.mask + 1;
        }
        if (!next || next > last) {
            break;
        }
        addr = next;
    }
    for (guint i = 0; i < keys->len; i++) {
        int64_t e = find(sh, g_array_index(keys, uint64_t, i));

        out(out_opaque, false, &sh->ent[e].m);
        drop(sh, e);
        n++;
    }
    return n;
}

/* Widen [*FIRST, *LAST] to the mappings that straddle its ends. */
static void widen_to_shadow(DmarShadow *sh, uint64_t *first, uint64_t *last)
{
    DmarShadowEntry *e = shadow_at(sh, *first);

    if (e) {
        *first = e->m.iova;
    }
    e = shadow_at(sh, *last);
    if (e) {
        *last = e->m.iova + e->m.mask;
    }
}

void dmar_shadow_sync(DmarShadow *sh, uint64_t first, uint64_t last,
                      DmarShadowSource *src, void *src_opaque,
                      DmarShadowOut *out, void *out_opaque,
                      uint64_t *budget, DmarShadowStats *st)
{
    uint32_t room = DMAR_SHADOW_MAX;
    Leaves l = { 0 };
    DmarWalkStatus ws = DMAR_WALK_DONE;
    unsigned round;
    uint64_t resume;

    memset(st, 0, sizeof(*st));
    /* Room for the leaves: the mappings outside the range stay. */
    room -= MIN(room, dmar_shadow_count(sh));
    l.max = room;
    /* As many leaves as there were mappings, as a rule: no regrowing */
    l.cap = MIN(MIN(sh->n, (last - first) >> 12) + 64, room + 1);
    l.m = g_new(DmarMapping, l.cap);

    /*
     * The walk reports the leaves that straddle the range's ends whole:
     * widen to them, and to the mappings that do, until neither does.
     * Each round moves an end to a larger aligned block, so three sizes
     * settle within four rounds; the usual range takes one.
     */
    widen_to_shadow(sh, &first, &last);
    for (round = 0; src; round++) {
        uint64_t f = first, lst = last;

        l.len = 0;
        l.bad = false;
        ws = src(src_opaque, first, last, leaves_add, &l, budget, &resume);
        if (ws == DMAR_WALK_STOPPED || !l.len) {
            break;
        }
        f = MIN(f, l.m[0].iova);
        lst = MAX(lst, l.m[l.len - 1].iova + l.m[l.len - 1].mask);
        widen_to_shadow(sh, &f, &lst);
        if (f == first && lst == last) {
            break;
        }
        first = f;
        last = lst;
        if (round == 7) {
            /* Cannot happen (see above): map nothing rather than guess */
            l.len = 0;
            ws = DMAR_WALK_STOPPED;
            break;
        }
    }
    st->first = first;
    st->last = last;
    sh->gen++;
    if (ws == DMAR_WALK_STOPPED) {
        /*
         * Out of budget or of room: what was not read is left unmapped,
         * less than the tables grant, never more.
         */
        st->truncated = true;
    }
    st->faulted = ws == DMAR_WALK_FAULT || l.bad;

    /* Confirm the mappings the tables still hold as they were told */
    for (uint32_t i = 0; i < l.len; i++) {
        DmarMapping *m = &l.m[i];
        int64_t e = find(sh, m->iova);

        if (e >= 0 && sh->ent[e].m.mask == m->mask &&
            sh->ent[e].m.pa == m->pa && sh->ent[e].m.perm == m->perm) {
            sh->ent[e].gen = sh->gen;
            m->perm = 0;        /* kept: not to be told again */
            st->kept++;
        }
    }

    /* Every UNMAP first (none when every mapping was confirmed) ... */
    if (st->kept < sh->n) {
        st->unmaps = drop_stale(sh, first, last, out, out_opaque);
    }

    /* ... then the new leaves. Room was counted before the UNMAPs. */
    for (uint32_t i = 0; i < l.len; i++) {
        if (l.m[i].perm) {
            out(out_opaque, true, &add(sh, &l.m[i])->m);
            st->maps++;
        }
    }
    g_free(l.m);
}

void dmar_shadow_clear(DmarShadow *sh, DmarShadowOut *out, void *out_opaque)
{
    for (uint32_t i = 0; out && i < sh->n; i++) {
        out(out_opaque, false, &sh->ent[i].m);
    }
    sh->n = 0;
    if (sh->slot) {
        memset(sh->slot, 0, (sh->slot_mask + 1) * sizeof(*sh->slot));
    }
}

void dmar_shadow_foreach(const DmarShadow *sh, DmarShadowOut *fn,
                         void *opaque)
{
    for (uint32_t i = 0; i < sh->n; i++) {
        fn(opaque, true, &sh->ent[i].m);
    }
}
