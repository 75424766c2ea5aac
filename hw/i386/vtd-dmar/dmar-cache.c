/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar caches: set-associative context cache and IOTLB.
 * See dmar-cache.h for the contract (caller locks, no allocation on the
 * lookup or insert paths).
 */
#include "qemu/osdep.h"
#include "qemu/host-utils.h"
#include "dmar-cache.h"

static uint32_t set_bits_for(uint32_t entries)
{
    uint64_t sets = DIV_ROUND_UP(MIN(MAX(entries, DMAR_CACHE_WAYS),
                                     DMAR_CACHE_MAX_ENTRIES),
                                 DMAR_CACHE_WAYS);

    return 64 - clz64(pow2ceil(sets) - 1);
}

static uint32_t set_of(uint32_t bits, uint64_t key)
{
    /* Fibonacci hashing: the top BITS of the product. */
    return bits ? (key * 0x9e3779b97f4a7c15ull) >> (64 - bits) : 0;
}

static unsigned level_shift(unsigned level)
{
    return DMAR_PAGE_SHIFT + 9 * (level - 1);
}

static uint64_t iotlb_key(uint16_t sid, uint64_t tag, unsigned level)
{
    return tag ^ ((uint64_t)sid << 40) ^ ((uint64_t)level << 60);
}

void dmar_iotlb_init(DmarIotlb *t, uint32_t entries)
{
    memset(t, 0, sizeof(*t));
    t->set_bits = set_bits_for(entries);
    t->e = g_new0(DmarIotlbEntry, dmar_iotlb_size(t));
}

void dmar_iotlb_destroy(DmarIotlb *t)
{
    g_free(t->e);
    t->e = NULL;
}

uint32_t dmar_iotlb_size(const DmarIotlb *t)
{
    return (uint32_t)DMAR_CACHE_WAYS << t->set_bits;
}

/* The entry of SID covering IOVA, if any; no statistics, no LRU update. */
static inline DmarIotlbEntry *iotlb_find(DmarIotlb *t, uint16_t sid,
                                          uint64_t iova)
{
    for (unsigned level = 1; level <= 3; level++) {
        uint64_t tag = iova >> level_shift(level);
        DmarIotlbEntry *set;

        if (!(t->levels_seen & (1u << level))) {
            continue;
        }
        set = &t->e[set_of(t->set_bits, iotlb_key(sid, tag, level)) *
                    DMAR_CACHE_WAYS];
        for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
            if (set[w].level == level && set[w].tag == tag &&
                set[w].sid == sid) {
                return &set[w];
            }
        }
    }
    return NULL;
}

bool dmar_iotlb_lookup(DmarIotlb *t, uint16_t sid, uint64_t iova,
                       DmarTranslation *out)
{
    DmarIotlbEntry *e = iotlb_find(t, sid, iova);

    if (!e) {
        t->stats.misses++;
        return false;
    }
    e->lru = ++t->tick;
    out->mask = (1ull << level_shift(e->level)) - 1;
    out->iova = iova & ~out->mask;
    out->pa = e->pa;
    out->perm = e->perm;
    out->level = e->level;
    t->stats.hits++;
    return true;
}

unsigned dmar_iotlb_extend(DmarIotlb *t, uint16_t sid, uint8_t need,
                           unsigned max_order, DmarTranslation *tr)
{
    unsigned order = 0;

    if (tr->level != 1 || !need || (tr->perm & need) != need) {
        return 0;
    }
    for (; order < max_order; order++) {
        uint64_t half = DMAR_PAGE_SIZE << order, mask = 2 * half - 1;
        uint64_t base = tr->iova & ~mask, pa = tr->pa & ~mask;
        uint64_t other = tr->iova ^ half;    /* the half TR lacks */
        uint8_t perm = tr->perm;

        /* Input and output must be aligned alike at the doubled size. */
        if ((tr->iova ^ tr->pa) & half) {
            break;
        }
        for (uint64_t a = other; a < other + half; a += DMAR_PAGE_SIZE) {
            DmarIotlbEntry *e = iotlb_find(t, sid, a);
            uint64_t emask = e ? (1ull << level_shift(e->level)) - 1 : 0;

            if (!e || (e->perm & need) != need ||
                e->pa + (a & emask) != pa + (a - base)) {
                return order;
            }
            perm &= e->perm;
        }
        tr->iova = base;
        tr->pa = pa;
        tr->mask = mask;
        tr->perm = perm;
    }
    return order;
}

static DmarDidSids *did_slot(DmarIotlb *t, uint16_t did, bool create)
{
    DmarDidSids *free_slot = NULL;

    for (unsigned i = 0; i < DMAR_DID_SLOTS; i++) {
        DmarDidSids *d = &t->dids[i];

        if (d->used && d->did == did) {
            return d;
        }
        if (!d->used && !free_slot) {
            free_slot = d;
        }
    }
    if (!create) {
        return NULL;
    }
    if (!free_slot) {
        t->dids_overflow = true;
        return NULL;
    }
    *free_slot = (DmarDidSids) { .did = did, .used = true };
    return free_slot;
}

static void did_note_sid(DmarIotlb *t, uint16_t did, uint16_t sid)
{
    DmarDidSids *d = did_slot(t, did, true);

    if (!d || d->overflow) {
        return;
    }
    for (unsigned i = 0; i < d->n; i++) {
        if (d->sid[i] == sid) {
            return;
        }
    }
    if (d->n == DMAR_DID_SIDS) {
        d->overflow = true;
        return;
    }
    d->sid[d->n++] = sid;
}

bool dmar_iotlb_insert(DmarIotlb *t, uint16_t sid, uint16_t did,
                       const DmarTranslation *tr)
{
    unsigned level = tr->level;
    uint64_t tag;
    DmarIotlbEntry *set, *victim;
    bool evicted;

    if (level < 1 || level > 3) {
        return false;
    }
    tag = tr->iova >> level_shift(level);
    set = &t->e[set_of(t->set_bits, iotlb_key(sid, tag, level)) *
                DMAR_CACHE_WAYS];
    victim = &set[0];
    for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
        DmarIotlbEntry *e = &set[w];

        if (e->level == level && e->tag == tag && e->sid == sid) {
            victim = e;     /* refresh in place */
            break;
        }
        if (!e->level) {
            victim = e;
        } else if (victim->level && e->lru < victim->lru) {
            victim = e;
        }
    }
    evicted = victim->level &&
              !(victim->level == level && victim->tag == tag &&
                victim->sid == sid);
    if (evicted) {
        t->stats.evictions++;
    }
    *victim = (DmarIotlbEntry) {
        .tag = tag, .pa = tr->pa, .lru = ++t->tick, .sid = sid,
        .did = did, .level = level, .perm = tr->perm,
    };
    t->levels_seen |= 1u << level;
    did_note_sid(t, did, sid);
    return evicted;
}

typedef bool DmarIotlbMatch(const DmarIotlbEntry *e, const void *arg);

static uint32_t iotlb_drop(DmarIotlb *t, DmarIotlbMatch *match,
                           const void *arg)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < dmar_iotlb_size(t); i++) {
        if (t->e[i].level && match(&t->e[i], arg)) {
            t->e[i].level = 0;
            n++;
        }
    }
    return n;
}

static bool match_all(const DmarIotlbEntry *e, const void *arg)
{
    return true;
}

static bool match_did(const DmarIotlbEntry *e, const void *arg)
{
    return e->did == *(const uint16_t *)arg;
}

static bool match_sid(const DmarIotlbEntry *e, const void *arg)
{
    return e->sid == *(const uint16_t *)arg;
}

typedef struct PageRange {
    uint16_t did;
    uint64_t first, last;
} PageRange;

static bool match_pages(const DmarIotlbEntry *e, const void *arg)
{
    const PageRange *r = arg;
    unsigned shift = level_shift(e->level);
    uint64_t first = e->tag << shift, last = first + (1ull << shift) - 1;

    return e->did == r->did && first <= r->last && last >= r->first;
}

uint32_t dmar_iotlb_flush_all(DmarIotlb *t)
{
    uint32_t n = iotlb_drop(t, match_all, NULL);

    t->levels_seen = 0;
    memset(t->dids, 0, sizeof(t->dids));
    t->dids_overflow = false;
    return n;
}

uint32_t dmar_iotlb_flush_domain(DmarIotlb *t, uint16_t did)
{
    return iotlb_drop(t, match_did, &did);
}

uint32_t dmar_iotlb_flush_sid(DmarIotlb *t, uint16_t sid)
{
    return iotlb_drop(t, match_sid, &sid);
}

/* Probe the sets where entries of SID overlapping R can be. */
static uint32_t flush_pages_probe(DmarIotlb *t, uint16_t sid,
                                  const PageRange *r)
{
    uint32_t n = 0;

    for (unsigned level = 1; level <= 3; level++) {
        unsigned shift = level_shift(level);

        if (!(t->levels_seen & (1u << level))) {
            continue;
        }
        for (uint64_t tag = r->first >> shift; tag <= r->last >> shift;
             tag++) {
            DmarIotlbEntry *set =
                &t->e[set_of(t->set_bits, iotlb_key(sid, tag, level)) *
                      DMAR_CACHE_WAYS];

            for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
                if (set[w].level == level && set[w].tag == tag &&
                    set[w].sid == sid && set[w].did == r->did) {
                    set[w].level = 0;
                    n++;
                }
            }
        }
    }
    return n;
}

/* Up to 2^this 4 KiB pages, probe the sets instead of scanning all. */
#define DMAR_PSI_PROBE_AM       9

uint32_t dmar_iotlb_flush_pages(DmarIotlb *t, uint16_t did, uint64_t addr,
                                unsigned am)
{
    DmarDidSids *d;
    PageRange r;
    uint64_t size;
    uint32_t n = 0;

    if (am > 52) {
        am = 52;
    }
    size = DMAR_PAGE_SIZE << am;
    r.did = did;
    r.first = addr & ~(size - 1);
    r.last = r.first + size - 1;
    if (t->dids_overflow || am > DMAR_PSI_PROBE_AM) {
        return iotlb_drop(t, match_pages, &r);
    }
    d = did_slot(t, did, false);
    if (!d) {
        return 0;       /* nothing of this domain was ever cached */
    }
    if (d->overflow) {
        return iotlb_drop(t, match_pages, &r);
    }
    for (unsigned i = 0; i < d->n; i++) {
        n += flush_pages_probe(t, d->sid[i], &r);
    }
    return n;
}

/* ---- context cache ---- */

void dmar_ctx_cache_init(DmarCtxCache *c, uint32_t entries)
{
    memset(c, 0, sizeof(*c));
    c->set_bits = set_bits_for(entries);
    c->e = g_new0(DmarCtxEntry, (uint32_t)DMAR_CACHE_WAYS << c->set_bits);
}

void dmar_ctx_cache_destroy(DmarCtxCache *c)
{
    g_free(c->e);
    c->e = NULL;
}

bool dmar_ctx_cache_lookup(DmarCtxCache *c, uint16_t sid, DmarContext *out)
{
    DmarCtxEntry *set = &c->e[set_of(c->set_bits, sid) * DMAR_CACHE_WAYS];

    for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
        if (set[w].valid && set[w].ctx.sid == sid) {
            set[w].lru = ++c->tick;
            *out = set[w].ctx;
            c->stats.hits++;
            return true;
        }
    }
    c->stats.misses++;
    return false;
}

bool dmar_ctx_cache_insert(DmarCtxCache *c, const DmarContext *ctx)
{
    DmarCtxEntry *set = &c->e[set_of(c->set_bits, ctx->sid) *
                              DMAR_CACHE_WAYS];
    DmarCtxEntry *victim = &set[0];
    bool evicted;

    for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
        if (set[w].valid && set[w].ctx.sid == ctx->sid) {
            victim = &set[w];
            break;
        }
        if (!set[w].valid) {
            victim = &set[w];
        } else if (victim->valid && set[w].lru < victim->lru) {
            victim = &set[w];
        }
    }
    evicted = victim->valid && victim->ctx.sid != ctx->sid;
    if (evicted) {
        c->stats.evictions++;
    }
    victim->ctx = *ctx;
    victim->valid = true;
    victim->lru = ++c->tick;
    return evicted;
}

static uint32_t ctx_drop(DmarCtxCache *c, bool any_did, uint16_t did,
                         uint16_t sid, uint16_t sid_mask)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < ((uint32_t)DMAR_CACHE_WAYS << c->set_bits); i++) {
        DmarCtxEntry *e = &c->e[i];

        if (e->valid && (any_did || e->ctx.did == did) &&
            (e->ctx.sid & sid_mask) == (sid & sid_mask)) {
            e->valid = false;
            n++;
        }
    }
    return n;
}

uint32_t dmar_ctx_cache_flush_all(DmarCtxCache *c)
{
    return ctx_drop(c, true, 0, 0, 0);
}

uint32_t dmar_ctx_cache_flush_domain(DmarCtxCache *c, uint16_t did)
{
    return ctx_drop(c, false, did, 0, 0);
}

uint32_t dmar_ctx_cache_flush_device(DmarCtxCache *c, uint16_t did,
                                     uint16_t sid, uint16_t sid_mask)
{
    /*
     * VT-d §6.5.1.1: device-selective invalidation names the device by
     * source-id and function mask; the domain-id must match the cached
     * entry's, but an entry whose domain changed must go too, so match
     * on the source-id alone (invalidating more is always allowed).
     */
    return ctx_drop(c, true, did, sid, sid_mask);
}
