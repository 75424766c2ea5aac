/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar caches: set-associative context cache and IOTLB.
 * See dmar-cache.h for the contract (caller locks, no allocation on the
 * lookup or insert paths) and for how flushes work without scans.
 *
 * Readers without the lock (dmar_iotlb_lookup_shared()) see the IOTLB
 * change in three ways, and the writer keeps to one rule for each:
 * - a way's tag, output, source-id, PASID or domain-id changes only
 *   while its set's sequence count is odd (set_write_begin(), _end()),
 *   and so do a block's, and its leaves, with its set's count (blk_seq);
 * - lru, tick, fresh_since and levels_seen are written whole (qatomic;
 *   an insert's lru inside its set's write section), and a reader takes
 *   any value it reads of them: each is a time or a hint, and an older
 *   one only makes the reader give up to the locked path;
 * - flushes that leave the ways alone move fresh_since, which a reader
 *   compares with the entry's lru.
 * A completed invalidation is published to readers by the release
 * barrier before the wait descriptor's status write (dmar-qi.c).
 */
#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/host-utils.h"
#include "dmar-cache.h"

#ifdef DMAR_TEST_RACES
void (*dmar_iotlb_race_hook)(void *opaque, DmarRacePoint where);
void *dmar_iotlb_race_opaque;

/* Where a writer may come between a lock-free reader's reads */
#define RACE_POINT(where) \
    do { \
        if (dmar_iotlb_race_hook) { \
            dmar_iotlb_race_hook(dmar_iotlb_race_opaque, (where)); \
        } \
    } while (0)
#else
#define RACE_POINT(where) do { } while (0)
#endif

/* Four entries to two cache lines: keep it so when changing the entry. */
QEMU_BUILD_BUG_ON(sizeof(DmarIotlbEntry) != 32);
QEMU_BUILD_BUG_ON(sizeof(DmarCacheKey) != sizeof(uint64_t));

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

/*
 * Pages are hashed by runs of 64 (a level-1 leaf group, what a miss
 * caches at once): the pages of a run go to neighbouring sets, from the
 * run's hash on. A miss's group insert and a page-selective flush then
 * touch consecutive memory, not 64 scattered sets.
 */
#define IOTLB_RUN_BITS      6

/*
 * The index of the set of SID's entries of LEVEL for page TAG. PASID and
 * stage play no part: a page-selective flush, which covers them all,
 * probes one set. The top bits of the hash pick the run's first set
 * (hash_shift is 0 with a single set, which set_mask then makes set 0).
 */
static inline uint64_t iotlb_set_index(const DmarIotlb *t, uint16_t sid,
                                       uint64_t tag, unsigned level)
{
    uint64_t h = iotlb_key(sid, tag >> IOTLB_RUN_BITS, level) *
                 0x9e3779b97f4a7c15ull;

    return ((h >> t->hash_shift) + (tag & MAKE_64BIT_MASK(0, IOTLB_RUN_BITS)))
           & t->set_mask;
}

static inline DmarIotlbEntry *iotlb_set(DmarIotlb *t, uint16_t sid,
                                        uint64_t tag, unsigned level)
{
    return &t->e[iotlb_set_index(t, sid, tag, level) * DMAR_CACHE_WAYS];
}

/* An entry's tag: page TAG of LEVEL (0: none). */
static uint64_t entry_tag(uint64_t tag, unsigned level)
{
    return tag << R_IOTLB_TAG_PAGE_SHIFT | level;
}

/* KEY as an entry's key_word */
static inline uint64_t key_word(const DmarCacheKey *key)
{
    uint64_t w;

    memcpy(&w, key, sizeof(w));
    return w;
}

/* The domain-id of way E's entry */
static uint16_t *way_did(DmarIotlb *t, const DmarIotlbEntry *e)
{
    return &t->did[e - t->e];
}

static unsigned entry_level(const DmarIotlbEntry *e)
{
    return e->tag & R_IOTLB_TAG_LEVEL_MASK;
}

/*
 * Where a lookup or a page-selective flush at LEVEL looks: single
 * entries if any of that level were inserted since the last global
 * flush, and at level 1 the blocks if any were
 */
static bool seen_entries(const DmarIotlb *t, unsigned level)
{
    /* (whole: readers without the lock call it too) */
    return qatomic_read(&t->levels_seen) & (1u << level);
}

static bool seen_blocks(const DmarIotlb *t, unsigned level)
{
    return level == 1 && (t->levels_seen & DMAR_SEEN_BLOCKS);
}

void dmar_iotlb_init(DmarIotlb *t, uint32_t entries)
{
    memset(t, 0, sizeof(*t));
    t->set_bits = set_bits_for(entries);
    t->set_mask = (1ull << t->set_bits) - 1;
    t->hash_shift = (64 - t->set_bits) & 63;
    t->e = g_new0(DmarIotlbEntry, dmar_iotlb_size(t));
    t->blk_set_mask = MAX(dmar_iotlb_size(t) /
                          (DMAR_LEAF_GROUP * DMAR_CACHE_WAYS), 1) - 1;
    t->blk = g_new0(DmarIotlbBlock, (t->blk_set_mask + 1) * DMAR_CACHE_WAYS);
    t->leaf = g_new0(uint64_t, (t->blk_set_mask + 1) * DMAR_CACHE_WAYS *
                               DMAR_LEAF_GROUP);
    t->blk_seq = g_new0(uint32_t, t->blk_set_mask + 1);
    t->did = g_new0(uint16_t, dmar_iotlb_size(t));
    t->set_seq = g_new0(uint32_t, 1u << t->set_bits);
    /* Large and zeroed: pages are touched only for the ids in use. */
    t->sid_stale = g_new0(uint64_t, DMAR_NUM_IDS);
    t->dids = g_new0(DmarIotlbDid, DMAR_NUM_IDS);
}

void dmar_iotlb_destroy(DmarIotlb *t)
{
    g_free(t->e);
    g_free(t->blk);
    g_free(t->leaf);
    g_free(t->blk_seq);
    g_free(t->did);
    g_free(t->set_seq);
    g_free(t->sid_stale);
    g_free(t->dids);
    t->e = NULL;
    t->blk = NULL;
    t->leaf = NULL;
    t->blk_seq = NULL;
    t->did = NULL;
    t->set_seq = NULL;
    t->sid_stale = NULL;
    t->dids = NULL;
}

uint32_t dmar_iotlb_size(const DmarIotlb *t)
{
    return (uint32_t)DMAR_CACHE_WAYS << t->set_bits;
}

/* The next time on the IOTLB's clock (readers without the lock read it) */
static uint64_t iotlb_tick(DmarIotlb *t)
{
    uint64_t now = t->tick + 1;

    qatomic_set_u64(&t->tick, now);
    return now;
}

/*
 * The time of a flush that leaves the ways alone: entries used before it
 * may be stale. fresh_since moves before the clock does, so that a reader
 * that reads the clock first and sees the flush's time also sees the
 * flush (shared_probe()).
 */
static uint64_t iotlb_flush_tick(DmarIotlb *t)
{
    uint64_t now = t->tick + 1;

    qatomic_set_u64(&t->fresh_since, now);
    /* fresh_since before the clock: pairs with shared_probe()'s last rmb */
    smp_wmb();
    qatomic_set_u64(&t->tick, now);
    return now;
}

/* The sequence count of the set holding way E */
static uint32_t *set_seq(DmarIotlb *t, const DmarIotlbEntry *e)
{
    return &t->set_seq[(size_t)(e - t->e) / DMAR_CACHE_WAYS];
}

/* The count is odd while the writer changes the set's ways */
static void set_write_begin(uint32_t *seq)
{
    qatomic_set(seq, *seq + 1);
    /* The odd count before the ways: pairs with the reader's 2nd rmb */
    smp_wmb();
}

static void set_write_end(uint32_t *seq)
{
    /* The ways before the even count: pairs with the reader's 1st rmb */
    smp_wmb();
    qatomic_set(seq, *seq + 1);
}

/* Free way E (a stale entry, or one a page-selective flush covers) */
static void iotlb_drop(DmarIotlb *t, DmarIotlbEntry *e)
{
    uint32_t *seq = set_seq(t, e);

    set_write_begin(seq);
    qatomic_set_u64(&e->tag, 0);
    set_write_end(seq);
}

/* ---- IOTLB staleness ---- */

/*
 * Is what SID's entries in DID cached for [FIRST, LAST], last used at LRU,
 * covered by a flush done since?
 */
static bool stale_since(DmarIotlb *t, uint64_t lru, uint16_t did,
                        uint16_t sid, uint64_t first, uint64_t last)
{
    const DmarIotlbDid *d = &t->dids[did];

    /* Used after the newest flush of any kind: nothing covers it. */
    if (lru >= t->fresh_since) {
        return false;
    }
    if (lru < t->all_stale || lru < t->sid_stale[sid] || lru < d->stale) {
        return true;
    }
    if (lru >= d->dirty) {
        return false;
    }
    /* Ranges logged after the last use, newest first. */
    for (uint32_t i = 1; i <= t->log_len; i++) {
        const DmarRangeFlush *r =
            &t->log[(t->log_next + DMAR_RANGE_LOG - i) % DMAR_RANGE_LOG];

        if (r->time < lru) {
            break;
        }
        if (r->did == did && r->first <= last && r->last >= first) {
            return true;
        }
    }
    return false;
}

/* Is E (a used entry) covered by a flush done after its last use? */
static bool iotlb_stale(DmarIotlb *t, const DmarIotlbEntry *e)
{
    unsigned shift = level_shift(entry_level(e));
    uint64_t first = (e->tag >> R_IOTLB_TAG_PAGE_SHIFT) << shift;

    return stale_since(t, e->lru, *way_did(t, e), e->key.sid, first,
                       first + (1ull << shift) - 1);
}

/* ---- blocks: groups of 4 KiB leaves ---- */

/*
 * The block tag of 4 KiB page PAGE's group: the group's number, inverted
 * (never 0, which marks a free way; the hit path has the number at hand)
 */
static inline uint64_t blk_tag(uint64_t page)
{
    return ~(page / DMAR_LEAF_GROUP);
}

/* The first page of the group that block tag TAG names */
static inline uint64_t blk_tag_page(uint64_t tag)
{
    return ~tag * DMAR_LEAF_GROUP;
}

/*
 * The index of the set of blocks that may hold SID's group of PAGE: a
 * device's consecutive groups go to consecutive sets (DMA buffers are
 * runs of groups, which then spread over the sets evenly), from a start
 * that a multiplicative hash of the source-id picks.
 */
static inline uint64_t blk_set_index(const DmarIotlb *t, uint16_t sid,
                                     uint64_t page)
{
    uint32_t start = (sid * 0x9e3779b1u) >> 16;

    return (page / DMAR_LEAF_GROUP + start) & t->blk_set_mask;
}

/* That set's first way */
static inline DmarIotlbBlock *blk_set(const DmarIotlb *t, uint16_t sid,
                                      uint64_t page)
{
    return &t->blk[blk_set_index(t, sid, page) * DMAR_CACHE_WAYS];
}

/* B's leaves */
static inline uint64_t *blk_leaf(const DmarIotlb *t, const DmarIotlbBlock *b)
{
    return &t->leaf[(size_t)(b - t->blk) * DMAR_LEAF_GROUP];
}

/* The sequence count of B's set */
static inline uint32_t *blk_seq(const DmarIotlb *t, const DmarIotlbBlock *b)
{
    return &t->blk_seq[(size_t)(b - t->blk) / DMAR_CACHE_WAYS];
}

/* Is block B (in use) covered by a flush done after its last use? */
static bool blk_stale(DmarIotlb *t, const DmarIotlbBlock *b)
{
    uint64_t first = blk_tag_page(b->tag) << DMAR_PAGE_SHIFT;

    return stale_since(t, b->lru, b->did, b->key.sid, first,
                       first + ((uint64_t)DMAR_LEAF_GROUP << DMAR_PAGE_SHIFT)
                       - 1);
}

/* The leaves B holds */
static unsigned blk_count(const DmarIotlb *t, const DmarIotlbBlock *b)
{
    const uint64_t *leaf = blk_leaf(t, b);
    unsigned n = 0;

    for (unsigned i = 0; i < DMAR_LEAF_GROUP; i++) {
        n += leaf[i] != 0;
    }
    return n;
}

/*
 * Drop B's leaves from page FIRST to page LAST (or the end of its group),
 * B too when none is left: the number of live leaves dropped.
 */
static unsigned blk_clear(DmarIotlb *t, DmarIotlbBlock *b, uint64_t first,
                          uint64_t last)
{
    unsigned from = first % DMAR_LEAF_GROUP;
    unsigned to = MIN(last - first + from, DMAR_LEAF_GROUP - 1);
    uint64_t *leaf = blk_leaf(t, b);
    uint32_t *seq = blk_seq(t, b);
    bool live = !blk_stale(t, b);
    unsigned n = 0;

    set_write_begin(seq);
    for (unsigned i = from; i <= to; i++) {
        n += leaf[i] != 0;
        qatomic_set_u64(&leaf[i], 0);
    }
    if (!blk_count(t, b)) {
        qatomic_set_u64(&b->tag, 0);
    }
    set_write_end(seq);
    return live ? n : 0;
}

/* The block of KEY's group tagged BTAG in SET, stale or not */
static inline DmarIotlbBlock *blk_find(DmarIotlbBlock *set, uint64_t btag,
                                       uint64_t kw)
{
    for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
        if (set[w].tag == btag && set[w].key_word == kw) {
            return &set[w];
        }
    }
    return NULL;
}

/*
 * The entry of KEY covering IOVA at the lowest level from *LEVEL up that
 * holds one, stale or not; *LEVEL becomes its level. Only the levels
 * inserted since the last global flush are probed.
 */
static inline DmarIotlbEntry *iotlb_probe(DmarIotlb *t,
                                           const DmarCacheKey *key,
                                           uint64_t iova, unsigned *level)
{
    uint64_t kw = key_word(key);

    for (unsigned l = *level; l <= 3; l++) {
        uint64_t tag = iova >> level_shift(l);
        uint64_t want = entry_tag(tag, l);
        DmarIotlbEntry *set;

        if (!seen_entries(t, l)) {
            continue;
        }
        set = iotlb_set(t, key->sid, tag, l);
        for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
            if (set[w].tag == want && set[w].key_word == kw) {
                *level = l;
                return &set[w];
            }
        }
    }
    return NULL;
}

/*
 * The live entry of KEY covering IOVA, if any; no statistics, no LRU
 * update. Stale entries met on the way are dropped (a key is in a set at
 * most once). Not inlined: its callers then pass KEY on as it is, and the
 * hit path's tail call to iotlb_lookup_slow() needs no moves.
 */
static G_GNUC_NO_INLINE DmarIotlbEntry *iotlb_find(DmarIotlb *t,
                                                   const DmarCacheKey *key,
                                                   uint64_t iova)
{
    DmarIotlbEntry *e;

    for (unsigned level = 1; (e = iotlb_probe(t, key, iova, &level));
         level++) {
        /* (iotlb_stale()'s own first test, inline: no call for it) */
        if (e->lru >= t->fresh_since || !iotlb_stale(t, e)) {
            return e;
        }
        iotlb_drop(t, e);
    }
    return NULL;
}

/* OUT: the page of LEVEL around IOVA that an entry's PA field gives */
static inline void iotlb_answer(uint64_t pa, unsigned level, uint64_t iova,
                                DmarTranslation *out)
{
    out->mask = (1ull << level_shift(level)) - 1;
    out->iova = iova & ~out->mask;
    out->pa = pa & ~R_IOTLB_PA_PERM_MASK;
    out->perm = pa & R_IOTLB_PA_PERM_MASK;
    out->level = level;
}

/*
 * A hit on E, of LEVEL, for IOVA: TR's page, LRU, statistics, and (if
 * asked) the entry's domain-id in *DID.
 */
static inline bool iotlb_hit(DmarIotlb *t, DmarIotlbEntry *e, unsigned level,
                             uint64_t iova, DmarTranslation *out,
                             uint16_t *did)
{
    qatomic_set_u64(&e->lru, iotlb_tick(t));
    iotlb_answer(e->pa, level, iova, out);
    if (did) {
        *did = *way_did(t, e);
    }
    t->stats.hits++;
    return true;
}

/* A hit on block B's LEAF for IOVA: as iotlb_hit() */
static inline bool blk_hit(DmarIotlb *t, DmarIotlbBlock *b, uint64_t leaf,
                           uint64_t iova, DmarTranslation *out, uint16_t *did)
{
    qatomic_set_u64(&b->lru, iotlb_tick(t));
    iotlb_answer(leaf, 1, iova, out);
    if (did) {
        *did = b->did;
    }
    t->stats.hits++;
    return true;
}

static bool G_GNUC_NO_INLINE iotlb_lookup_slow(DmarIotlb *t,
                                            const DmarCacheKey *key,
                                            uint64_t iova,
                                            DmarTranslation *out,
                                            uint16_t *did)
{
    uint64_t tag = iova >> DMAR_PAGE_SHIFT;
    DmarIotlbBlock *b = blk_find(blk_set(t, key->sid, tag), blk_tag(tag),
                                 key_word(key));
    uint64_t leaf = b ? blk_leaf(t, b)[tag % DMAR_LEAF_GROUP] : 0;
    DmarIotlbEntry *e;

    /* The page's group, if used before the newest flush */
    if (leaf) {
        if (!blk_stale(t, b)) {
            return blk_hit(t, b, leaf, iova, out, did);
        }
        blk_clear(t, b, tag & ~(uint64_t)(DMAR_LEAF_GROUP - 1),
                  tag | (DMAR_LEAF_GROUP - 1));
    }
    e = iotlb_find(t, key, iova);

    if (!e) {
        t->stats.misses++;
        return false;
    }
    return iotlb_hit(t, e, entry_level(e), iova, out, did);
}

/*
 * dmar_iotlb_lookup() for a page its group's block cannot answer: the
 * set of 4 KiB single entries probed inline (if any were inserted), and
 * the entry found answers if it was used after the newest flush of any
 * kind. Everything else (another level, an entry that may be stale, a
 * miss) is iotlb_lookup_slow()'s, called in tail position.
 */
static bool G_GNUC_NO_INLINE iotlb_lookup_single(DmarIotlb *t,
                                              const DmarCacheKey *key,
                                              uint64_t iova,
                                              DmarTranslation *out,
                                              uint16_t *did)
{
    uint64_t tag = iova >> DMAR_PAGE_SHIFT;
    uint64_t want = entry_tag(tag, 1);
    uint64_t kw = key_word(key);
    DmarIotlbEntry *set;

    if (!seen_entries(t, 1)) {
        return iotlb_lookup_slow(t, key, iova, out, did);
    }
    set = iotlb_set(t, key->sid, tag, 1);
#pragma GCC unroll 4
    for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
        if (set[w].tag == want && set[w].key_word == kw &&
            set[w].lru >= t->fresh_since) {
            return iotlb_hit(t, &set[w], 1, iova, out, did);
        }
    }
    return iotlb_lookup_slow(t, key, iova, out, did);
}

/*
 * The hit path, for the 4 KiB pages of leaf groups that most hits are:
 * the group's set of blocks probed inline, and the block found answers
 * if it holds the page and was used after the newest flush of any kind.
 * Everything else is iotlb_lookup_single()'s, called in tail position,
 * so that the hit path keeps few values and saves few registers.
 */
static inline QEMU_ALWAYS_INLINE bool iotlb_lookup(DmarIotlb *t,
                                                   const DmarCacheKey *key,
                                                   uint64_t iova,
                                                   DmarTranslation *out,
                                                   uint16_t *did)
{
    uint64_t page = iova >> DMAR_PAGE_SHIFT;
    uint64_t kw = key_word(key);
    DmarIotlbBlock *set = blk_set(t, key->sid, page);

#pragma GCC unroll 4
    for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
        DmarIotlbBlock *b = &set[w];
        uint64_t leaf;

        if (b->tag != blk_tag(page) || b->key_word != kw) {
            continue;
        }
        leaf = blk_leaf(t, b)[page % DMAR_LEAF_GROUP];
        if (leaf && b->lru >= t->fresh_since) {
            return blk_hit(t, b, leaf, iova, out, did);
        }
        break;
    }
    return iotlb_lookup_single(t, key, iova, out, did);
}

bool dmar_iotlb_lookup(DmarIotlb *t, const DmarCacheKey *key, uint64_t iova,
                       DmarTranslation *out)
{
    return iotlb_lookup(t, key, iova, out, NULL);
}

bool dmar_iotlb_lookup_did(DmarIotlb *t, const DmarCacheKey *key,
                           uint64_t iova, DmarTranslation *out, uint16_t *did)
{
    return iotlb_lookup(t, key, iova, out, did);
}

/* dmar_iotlb_lookup_shared()'s look at LEVEL: a hit, no entry, or doubt */
enum { SHARED_HIT, SHARED_NONE, SHARED_DOUBT };

/*
 * The way found is read consistently, and then the times: the clock
 * before fresh_since (iotlb_flush_tick()'s wmb). LRU: a hit refreshes the
 * entry's lru to NOW. That never revives a stale entry: a flush the
 * reader did not see has a later time than NOW (a flush moves
 * fresh_since before the clock), so the entry stays older than it; and a
 * time older than the truth (the way may have been replaced since) only
 * makes an entry look stale sooner, which the locked path then checks.
 */
static inline QEMU_ALWAYS_INLINE int shared_probe(DmarIotlb *t,
                                                  const DmarCacheKey *key,
                                                  uint64_t iova, unsigned l,
                                                  DmarTranslation *out,
                                                  uint16_t *did)
{
    uint64_t tag = iova >> level_shift(l);
    uint64_t want = entry_tag(tag, l);
    uint64_t kw = key_word(key);
    uint64_t index = iotlb_set_index(t, key->sid, tag, l);
    DmarIotlbEntry *set = &t->e[index * DMAR_CACHE_WAYS];
    uint32_t *sl = &t->set_seq[index];
    uint32_t seq = qatomic_read(sl);

    /* The count before the ways (set_write_end()'s wmb) */
    smp_rmb();
#pragma GCC unroll 4
    for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
        DmarIotlbEntry *e = &set[w];
        uint64_t lru, pa, now;
        uint16_t d = 0;

        if (qatomic_read_u64(&e->tag) != want ||
            qatomic_read_u64(&e->key_word) != kw) {
            continue;
        }
        RACE_POINT(DMAR_RACE_WAY);
        lru = qatomic_read_u64(&e->lru);
        pa = qatomic_read_u64(&e->pa);
        if (did) {
            d = qatomic_read(way_did(t, e));
        }
        /* The ways before the count again (set_write_begin()'s wmb) */
        smp_rmb();
        if ((seq & 1) || qatomic_read(sl) != seq) {
            return SHARED_DOUBT;        /* read torn */
        }
        now = qatomic_read_u64(&t->tick);
        /* The clock before fresh_since (iotlb_flush_tick()'s wmb) */
        smp_rmb();
        if (lru < qatomic_read_u64(&t->fresh_since)) {
            return SHARED_DOUBT;        /* maybe stale: only flushes tell */
        }
        if (lru < now) {
            qatomic_set_u64(&e->lru, now);
        }
        iotlb_answer(pa, l, iova, out);
        if (did) {
            *did = d;
        }
        return SHARED_HIT;
    }
    return SHARED_NONE;
}

/* Levels 2 and 3, out of the 4 KiB hit's way */
static bool G_GNUC_NO_INLINE shared_large(DmarIotlb *t,
                                          const DmarCacheKey *key,
                                          uint64_t iova, DmarTranslation *out,
                                          uint16_t *did)
{
    uint8_t levels = qatomic_read(&t->levels_seen);

    for (unsigned l = 2; l <= 3; l++) {
        if (levels & (1u << l)) {
            int r = shared_probe(t, key, iova, l, out, did);

            if (r != SHARED_NONE) {
                return r == SHARED_HIT;
            }
        }
    }
    return false;
}

/*
 * The order of the largest naturally aligned run of pages around leaf I
 * of LEAVES (whose value is LEAF) that one answer can give, up to the
 * whole group, from a run of 2^FROM pages known good and at most of
 * 2^TO pages: each leaf of the
 * run maps the page that follows its predecessor's output, with the same
 * permissions, and the run's output is aligned as its input is (an
 * answer is one aligned page of both: QEMU keeps the address's offset in
 * it). LEAF must grant something: an absent leaf (0) would look like the
 * page before a leaf of no permission. Each leaf is read whole; the
 * caller checks the set's sequence count after (shared_run_grow()).
 */
static inline QEMU_ALWAYS_INLINE unsigned blk_run(const uint64_t *leaves,
                                                  unsigned i, uint64_t leaf,
                                                  unsigned from, unsigned to)
{
    uint64_t page = leaf >> DMAR_PAGE_SHIFT;
    unsigned k;

    for (k = from; k < to; k++) {
        unsigned buddy = (i ^ (1u << k)) & ~((1u << k) - 1);

        if ((page ^ i) & (1u << k)) {
            return k;   /* the output of the run of 2^(k+1) is unaligned */
        }
        for (unsigned j = buddy; j < buddy + (1u << k); j++) {
            uint64_t want = leaf + ((uint64_t)j << DMAR_PAGE_SHIFT) -
                            ((uint64_t)i << DMAR_PAGE_SHIFT);

            if (qatomic_read_u64(&leaves[j]) != want) {
                return k;
            }
        }
    }
    return k;
}

/* Where shared_block() found its leaf, for shared_run() */
typedef struct SharedRun {
    const uint64_t *leaves;     /* the block's */
    const uint32_t *seq;        /* its set's sequence count */
    uint32_t count;             /* ... as read before the leaf */
} SharedRun;

/*
 * shared_probe() of the blocks, for IOVA's group; on a hit, *RUN (if
 * given) says where the leaf was found.
 */
static inline QEMU_ALWAYS_INLINE int shared_block(DmarIotlb *t,
                                                  const DmarCacheKey *key,
                                                  uint64_t iova,
                                                  DmarTranslation *out,
                                                  SharedRun *run,
                                                  uint16_t *did)
{
    uint64_t page = iova >> DMAR_PAGE_SHIFT;
    uint64_t want = blk_tag(page);
    uint64_t kw = key_word(key);
    uint64_t index = blk_set_index(t, key->sid, page);
    DmarIotlbBlock *set = &t->blk[index * DMAR_CACHE_WAYS];
    uint32_t *bsl = &t->blk_seq[index];
    uint32_t bseq = qatomic_read(bsl);

    /* The count before the ways (set_write_end()'s wmb) */
    smp_rmb();
#pragma GCC unroll 4
    for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
        DmarIotlbBlock *b = &set[w];
        uint64_t lru, leaf, now;
        uint16_t d = 0;

        if (qatomic_read_u64(&b->tag) != want ||
            qatomic_read_u64(&b->key_word) != kw) {
            continue;
        }
        RACE_POINT(DMAR_RACE_BLOCK);
        leaf = qatomic_read_u64(&blk_leaf(t, b)[page % DMAR_LEAF_GROUP]);
        lru = qatomic_read_u64(&b->lru);
        if (did) {
            d = qatomic_read(&b->did);
        }
        /* The block before the count again (set_write_begin()'s wmb) */
        smp_rmb();
        if ((bseq & 1) || qatomic_read(bsl) != bseq) {
            return SHARED_DOUBT;        /* read torn */
        }
        if (!leaf) {
            return SHARED_NONE;     /* the single entries may have it */
        }
        now = qatomic_read_u64(&t->tick);
        /* The clock before fresh_since (iotlb_flush_tick()'s wmb) */
        smp_rmb();
        if (qatomic_read_u64(&t->fresh_since) > lru) {
            return SHARED_DOUBT;        /* maybe stale: only flushes tell */
        }
        if (now > lru) {
            qatomic_set_u64(&b->lru, now);
        }
        iotlb_answer(leaf, 1, iova, out);
        if (did) {
            *did = d;
        }
        if (run) {
            /* (the leaf's block and the count it was read under) */
            run->leaves = blk_leaf(t, b);
            run->seq = bsl;
            run->count = bseq;
        }
        return SHARED_HIT;
    }
    return SHARED_NONE;
}

/*
 * OUT, a page that shared_block() answered from the block of LEAVES and
 * that starts a run of two (shared_run()), widened to the run of pages
 * around it (blk_run()) if the set's
 * sequence count SEQ is still COUNT, its value before the leaf was read:
 * then the leaves read since are of the same moment as the leaf. Else
 * the page, as answered.
 * Called in tail position, so that hits without runs save no registers.
 */
static bool G_GNUC_NO_INLINE shared_run_grow(const uint64_t *leaves,
                                             const uint32_t *seq,
                                             uint32_t count,
                                             DmarTranslation *out)
{
    uint64_t leaf = out->pa | out->perm;
    unsigned order;

    RACE_POINT(DMAR_RACE_RUN);
    order = blk_run(leaves, (out->iova >> DMAR_PAGE_SHIFT) % DMAR_LEAF_GROUP,
                    leaf, 1, IOTLB_RUN_BITS);

    /* The leaves before the count again (set_write_begin()'s wmb) */
    smp_rmb();
    if (qatomic_read(seq) == count) {
        out->mask = (DMAR_PAGE_SIZE << order) - 1;
        out->iova &= ~out->mask;
        out->pa &= ~out->mask;
    }
    return true;
}

/*
 * blk_run()'s first step, for OUT (as shared_run_grow()'s): the page and
 * its neighbour, a run of two? Then shared_run_grow(), in tail position.
 * Pages scattered over memory mostly fail this step, at the cost of a
 * few instructions. A leaf that grants nothing starts no run.
 */
static bool G_GNUC_NO_INLINE shared_run(const uint64_t *leaves,
                                        const uint32_t *seq, uint32_t count,
                                        DmarTranslation *out)
{
    uint64_t leaf = out->pa | out->perm;
    unsigned i = (out->iova >> DMAR_PAGE_SHIFT) % DMAR_LEAF_GROUP;

    if (!(leaf & R_IOTLB_PA_PERM_MASK) || !blk_run(leaves, i, leaf, 0, 1)) {
        return true;
    }
    return shared_run_grow(leaves, seq, count, out);
}

/*
 * The single entries, when IOVA's group has no block holding its page:
 * the 4 KiB ones only if any were inserted (most misses meet none, and
 * their set is memory a hit never touches)
 */
static bool G_GNUC_NO_INLINE shared_single(DmarIotlb *t,
                                           const DmarCacheKey *key,
                                           uint64_t iova, DmarTranslation *out,
                                           uint16_t *did)
{
    if (seen_entries(t, 1)) {
        int r = shared_probe(t, key, iova, 1, out, did);

        if (r != SHARED_NONE) {
            return r == SHARED_HIT;
        }
    }
    return shared_large(t, key, iova, out, did);
}

/*
 * Without the lock: see shared_probe() for how a hit and a flush order.
 * The blocks inline, the rest in tail position (as dmar_iotlb_lookup()).
 * A run's pages are of its block, so of its domain-id.
 */
static inline QEMU_ALWAYS_INLINE bool lookup_shared(DmarIotlb *t,
                                                   const DmarCacheKey *key,
                                                   uint64_t iova,
                                                   DmarTranslation *out,
                                                   uint16_t *did)
{
    SharedRun run;
    int r = shared_block(t, key, iova, out, &run, did);

    if (r == SHARED_HIT && t->runs) {
        return shared_run(run.leaves, run.seq, run.count, out);
    }
    if (r != SHARED_NONE) {
        return r == SHARED_HIT;
    }
    return shared_single(t, key, iova, out, did);
}

bool dmar_iotlb_lookup_shared(DmarIotlb *t, const DmarCacheKey *key,
                              uint64_t iova, DmarTranslation *out)
{
    return lookup_shared(t, key, iova, out, NULL);
}

bool dmar_iotlb_lookup_shared_did(DmarIotlb *t, const DmarCacheKey *key,
                                  uint64_t iova, DmarTranslation *out,
                                  uint16_t *did)
{
    return lookup_shared(t, key, iova, out, did);
}

/* DID's source-ids, forgotten lazily after a global flush. */
static DmarIotlbDid *did_notes(DmarIotlb *t, uint16_t did)
{
    DmarIotlbDid *d = &t->dids[did];

    if (d->sid_since < t->all_stale) {
        d->sid_since = t->all_stale;
        d->nsid = 0;
        d->sid_overflow = false;
    }
    return d;
}

/* Remember that DID has entries for SID (for page-selective probes). */
static void did_note_sid(DmarIotlb *t, uint16_t did, uint16_t sid)
{
    DmarIotlbDid *d = did_notes(t, did);

    if (d->sid_overflow) {
        return;
    }
    for (unsigned i = 0; i < d->nsid; i++) {
        if (d->sid[i] == sid) {
            return;
        }
    }
    if (d->nsid == DMAR_DID_SIDS) {
        d->sid_overflow = true;
        return;
    }
    d->sid[d->nsid++] = sid;
}

/*
 * The way of SET for an entry tagged ETAG of key KW: the entry of the same
 * tag and key (refreshed in place), else a free or stale way, else the
 * least recently used, and then *EVICTED.
 */
static inline QEMU_ALWAYS_INLINE DmarIotlbEntry *
iotlb_victim(DmarIotlb *t, DmarIotlbEntry *set, uint64_t etag, uint64_t kw,
             bool *evicted)
{
    DmarIotlbEntry *victim = NULL;

    for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
        DmarIotlbEntry *e = &set[w];

        if (e->tag == etag && e->key_word == kw) {
            return e;
        }
        if (!victim && (!entry_level(e) ||
                        (e->lru < t->fresh_since && iotlb_stale(t, e)))) {
            victim = e;
        }
    }
    if (victim) {
        return victim;
    }
    /* Every way holds a live entry: evict the least recently used. */
    victim = &set[0];
    for (unsigned w = 1; w < DMAR_CACHE_WAYS; w++) {
        if (set[w].lru < victim->lru) {
            victim = &set[w];
        }
    }
    *evicted = true;
    t->stats.evictions++;
    return victim;
}

/* Way E becomes ETAG of KEY in DID: output PA_PERM (IOTLB_PA), used NOW */
static void iotlb_fill(DmarIotlb *t, DmarIotlbEntry *e, uint64_t etag,
                       const DmarCacheKey *key, uint16_t did,
                       uint64_t pa_perm, uint64_t now)
{
    uint32_t *seq = set_seq(t, e);

    set_write_begin(seq);
    *e = (DmarIotlbEntry) {
        .tag = etag, .pa = pa_perm, .lru = now, .key_word = key_word(key),
    };
    *way_did(t, e) = did;
    set_write_end(seq);
}

bool dmar_iotlb_insert(DmarIotlb *t, const DmarCacheKey *key, uint16_t did,
                       const DmarTranslation *tr)
{
    unsigned level = tr->level;
    uint64_t pa_perm = (tr->pa & ~R_IOTLB_PA_PERM_MASK) |
                       (tr->perm & R_IOTLB_PA_PERM_MASK);
    uint64_t tag, etag;
    DmarIotlbEntry *victim;
    bool evicted = false;

    if (level < 1 || level > 3) {
        return false;
    }
    tag = tr->iova >> level_shift(level);
    etag = entry_tag(tag, level);
    if (level == 1) {
        /* A page of a cached group: the newest answer is the block's */
        DmarIotlbBlock *b = blk_find(blk_set(t, key->sid, tag), blk_tag(tag),
                                     key_word(key));
        uint64_t *leaf = b ? &blk_leaf(t, b)[tag % DMAR_LEAF_GROUP] : NULL;

        if (leaf && *leaf && b->did == did && !blk_stale(t, b)) {
            uint32_t *seq = blk_seq(t, b);

            set_write_begin(seq);
            qatomic_set_u64(leaf, pa_perm);
            qatomic_set_u64(&b->lru, iotlb_tick(t));
            set_write_end(seq);
            return false;
        }
        if (leaf && *leaf) {
            blk_clear(t, b, tag, tag);
        }
    }
    victim = iotlb_victim(t, iotlb_set(t, key->sid, tag, level), etag,
                          key_word(key), &evicted);
    iotlb_fill(t, victim, etag, key, did, pa_perm, iotlb_tick(t));
    qatomic_set(&t->levels_seen, t->levels_seen | 1u << level);
    did_note_sid(t, did, key->sid);
    return evicted;
}

/*
 * The way of SET for KEY's group tagged BTAG: its block, else a free or
 * stale way, else the least recently used (*EVICTED: its live leaves).
 */
static DmarIotlbBlock *blk_victim(DmarIotlb *t, DmarIotlbBlock *set,
                                  uint64_t btag, uint64_t kw,
                                  unsigned *evicted)
{
    DmarIotlbBlock *victim = blk_find(set, btag, kw);

    for (unsigned w = 0; !victim && w < DMAR_CACHE_WAYS; w++) {
        if (!set[w].tag || blk_stale(t, &set[w])) {
            victim = &set[w];
        }
    }
    if (victim) {
        return victim;
    }
    /* Every way holds a live block: evict the least recently used. */
    victim = &set[0];
    for (unsigned w = 1; w < DMAR_CACHE_WAYS; w++) {
        victim = set[w].lru < victim->lru ? &set[w] : victim;
    }
    *evicted = blk_count(t, victim);
    return victim;
}

/* A 4 KiB single entry of KEY for each page LEAF grants goes */
static void drop_singles(DmarIotlb *t, const DmarCacheKey *key,
                         uint64_t first, const uint64_t *leaf)
{
    uint64_t index = iotlb_set_index(t, key->sid, first, 1);
    uint64_t kw = key_word(key);

    for (unsigned i = 0; i < DMAR_LEAF_GROUP; i++) {
        DmarIotlbEntry *set = &t->e[((index + i) & t->set_mask) *
                                    DMAR_CACHE_WAYS];

        for (unsigned w = 0; leaf[i] && w < DMAR_CACHE_WAYS; w++) {
            if (set[w].tag == entry_tag(first + i, 1) &&
                set[w].key_word == kw) {
                iotlb_drop(t, &set[w]);
            }
        }
    }
}

/* The group's pages are one run: its single entries are in one run of sets */
QEMU_BUILD_BUG_ON(DMAR_LEAF_GROUP != 1 << IOTLB_RUN_BITS);

unsigned dmar_iotlb_insert_group(DmarIotlb *t, const DmarCacheKey *key,
                                 uint16_t did, uint64_t iova,
                                 const uint64_t *leaf)
{
    uint64_t first = (iova >> DMAR_PAGE_SHIFT) &
                     ~(uint64_t)(DMAR_LEAF_GROUP - 1);
    uint64_t kw = key_word(key);
    DmarIotlbBlock *b;
    unsigned evicted = 0;
    uint64_t *dst;
    uint32_t *seq;
    bool any = false, merge;

    for (unsigned i = 0; i < DMAR_LEAF_GROUP && !any; i++) {
        any = leaf[i] != 0;
    }
    if (!any) {
        return 0;
    }
    if (seen_entries(t, 1)) {
        /* The group's answers are the newest for its pages */
        drop_singles(t, key, first, leaf);
    }
    b = blk_victim(t, blk_set(t, key->sid, first), blk_tag(first), kw,
                   &evicted);
    dst = blk_leaf(t, b);
    /*
     * The same group, live: pages the new leaves do not grant keep their
     * answers if of the same domain, as single entries would; of another
     * domain they go, evicted (a block has one domain-id).
     */
    merge = b->tag == blk_tag(first) && b->key_word == kw &&
            !blk_stale(t, b);
    if (merge && b->did != did) {
        for (unsigned i = 0; i < DMAR_LEAF_GROUP; i++) {
            evicted += dst[i] && !leaf[i];
        }
        merge = false;
    }
    t->stats.evictions += evicted;
    seq = blk_seq(t, b);
    set_write_begin(seq);
    qatomic_set_u64(&b->tag, blk_tag(first));
    qatomic_set_u64(&b->key_word, kw);
    b->did = did;
    for (unsigned i = 0; i < DMAR_LEAF_GROUP; i++) {
        if (leaf[i] || !merge) {
            qatomic_set_u64(&dst[i], leaf[i]);
        }
    }
    qatomic_set_u64(&b->lru, iotlb_tick(t));
    set_write_end(seq);
    qatomic_set(&t->levels_seen, t->levels_seen | DMAR_SEEN_BLOCKS);
    did_note_sid(t, did, key->sid);
    return evicted;
}

uint32_t dmar_iotlb_flush_all(DmarIotlb *t)
{
    t->all_stale = iotlb_flush_tick(t);
    /* Older ranges and per-domain notes no longer matter. */
    t->log_len = 0;
    qatomic_set(&t->levels_seen, 0);
    return 0;
}

uint32_t dmar_iotlb_flush_domain(DmarIotlb *t, uint16_t did)
{
    DmarIotlbDid *d = &t->dids[did];

    d->stale = d->dirty = d->sid_since = iotlb_flush_tick(t);
    d->nsid = 0;
    d->sid_overflow = false;
    return 0;
}

uint32_t dmar_iotlb_flush_sid(DmarIotlb *t, uint16_t sid)
{
    t->sid_stale[sid] = iotlb_flush_tick(t);
    return 0;
}

/*
 * Drop the live entries of SID and DID at level LEVEL in [first, last],
 * of every PASID and stage (and at level 1 the leaves of their blocks).
 */
static uint32_t flush_pages_probe(DmarIotlb *t, uint16_t sid, uint16_t did,
                                  unsigned level, uint64_t first,
                                  uint64_t last)
{
    unsigned shift = level_shift(level);
    bool entries = seen_entries(t, level), blocks = seen_blocks(t, level);
    uint64_t index = 0;
    uint32_t n = 0;

    for (uint64_t tag = first >> shift; tag <= last >> shift; tag++) {
        uint64_t etag = entry_tag(tag, level);
        DmarIotlbEntry *set;

        /* A group's block, once per group */
        if (blocks && (tag == first >> shift || !(tag % DMAR_LEAF_GROUP))) {
            DmarIotlbBlock *bset = blk_set(t, sid, tag);

            t->stats.probes++;
            for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
                if (bset[w].tag == blk_tag(tag) && bset[w].key.sid == sid &&
                    bset[w].did == did) {
                    n += blk_clear(t, &bset[w], tag, last >> shift);
                }
            }
        }
        if (!entries) {
            /* (blocks alone: on to the next group's first page) */
            tag |= DMAR_LEAF_GROUP - 1;
            continue;
        }

        /* A run's pages are in consecutive sets: one hash per run */
        if (tag == first >> shift ||
            !(tag & MAKE_64BIT_MASK(0, IOTLB_RUN_BITS))) {
            index = iotlb_set_index(t, sid, tag, level);
        } else {
            index = (index + 1) & t->set_mask;
        }
        set = &t->e[index * DMAR_CACHE_WAYS];
        t->stats.probes++;
        for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
            if (set[w].tag == etag && set[w].key.sid == sid &&
                *way_did(t, &set[w]) == did) {
                n += !iotlb_stale(t, &set[w]);
                iotlb_drop(t, &set[w]);
            }
        }
    }
    return n;
}

/* Log a range flush; the oldest range, if pushed out, flushes its domain. */
static void log_range(DmarIotlb *t, uint16_t did, uint64_t first,
                      uint64_t last)
{
    DmarRangeFlush *r = &t->log[t->log_next];
    DmarIotlbDid *d;

    if (t->log_len == DMAR_RANGE_LOG) {
        d = &t->dids[r->did];
        d->stale = MAX(d->stale, r->time);
    } else {
        t->log_len++;
    }
    *r = (DmarRangeFlush) {
        .time = iotlb_flush_tick(t), .first = first, .last = last,
        .did = did,
    };
    t->dids[did].dirty = r->time;
    t->log_next = (t->log_next + 1) % DMAR_RANGE_LOG;
}

uint32_t dmar_iotlb_flush_pages(DmarIotlb *t, uint16_t did, uint64_t addr,
                                unsigned am)
{
    DmarIotlbDid *d = did_notes(t, did);
    uint64_t size, first, last, probes = 0;
    uint32_t n = 0;

    if (!t->levels_seen) {
        return 0;       /* nothing cached since the last global flush */
    }
    if (am > 52) {
        am = 52;
    }
    size = DMAR_PAGE_SIZE << am;
    first = addr & ~(size - 1);
    last = first + size - 1;
    for (unsigned level = 1; level <= 3; level++) {
        if (seen_entries(t, level)) {
            probes += (last >> level_shift(level)) -
                      (first >> level_shift(level)) + 1;
        }
        if (seen_blocks(t, level)) {
            /* a set of blocks per group */
            probes += (last >> level_shift(1)) / DMAR_LEAF_GROUP -
                      (first >> level_shift(1)) / DMAR_LEAF_GROUP + 1;
        }
    }
    if (d->sid_overflow || probes * d->nsid > DMAR_PSI_PROBE_MAX) {
        log_range(t, did, first, last);
        return 0;
    }
    for (unsigned i = 0; i < d->nsid; i++) {
        for (unsigned level = 1; level <= 3; level++) {
            if (seen_entries(t, level) || seen_blocks(t, level)) {
                n += flush_pages_probe(t, d->sid[i], did, level, first, last);
            }
        }
    }
    return n;
}

/* ---- context cache ---- */

void dmar_ctx_cache_init(DmarCtxCache *c, uint32_t entries)
{
    memset(c, 0, sizeof(*c));
    c->set_bits = set_bits_for(entries);
    c->e = g_new0(DmarCtxEntry, (uint32_t)DMAR_CACHE_WAYS << c->set_bits);
    c->sid_stale = g_new0(uint64_t, DMAR_NUM_IDS);
    c->did_stale = g_new0(uint64_t, DMAR_NUM_IDS);
}

void dmar_ctx_cache_destroy(DmarCtxCache *c)
{
    g_free(c->e);
    g_free(c->sid_stale);
    g_free(c->did_stale);
    c->e = NULL;
    c->sid_stale = NULL;
    c->did_stale = NULL;
}

static bool ctx_stale(const DmarCtxCache *c, const DmarCtxEntry *e)
{
    return e->lru < c->all_stale || e->lru < c->sid_stale[e->ctx.sid] ||
           e->lru < c->did_stale[e->ctx.did];
}

bool dmar_ctx_cache_lookup(DmarCtxCache *c, uint16_t sid, DmarContext *out)
{
    DmarCtxEntry *set = &c->e[set_of(c->set_bits, sid) * DMAR_CACHE_WAYS];

    for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
        if (!set[w].valid || set[w].ctx.sid != sid) {
            continue;
        }
        if (ctx_stale(c, &set[w])) {
            set[w].valid = false;
            break;
        }
        set[w].lru = ++c->tick;
        *out = set[w].ctx;
        c->stats.hits++;
        return true;
    }
    c->stats.misses++;
    return false;
}

bool dmar_ctx_cache_insert(DmarCtxCache *c, const DmarContext *ctx)
{
    DmarCtxEntry *set = &c->e[set_of(c->set_bits, ctx->sid) *
                              DMAR_CACHE_WAYS];
    DmarCtxEntry *victim = NULL;
    bool evicted = false;

    for (unsigned w = 0; w < DMAR_CACHE_WAYS; w++) {
        if (set[w].valid && set[w].ctx.sid == ctx->sid) {
            victim = &set[w];
            break;
        }
        if (!victim && (!set[w].valid || ctx_stale(c, &set[w]))) {
            victim = &set[w];
        }
    }
    if (!victim) {
        victim = &set[0];
        for (unsigned w = 1; w < DMAR_CACHE_WAYS; w++) {
            if (set[w].lru < victim->lru) {
                victim = &set[w];
            }
        }
        evicted = true;
        c->stats.evictions++;
    }
    victim->ctx = *ctx;
    victim->valid = true;
    victim->lru = ++c->tick;
    return evicted;
}

uint32_t dmar_ctx_cache_flush_all(DmarCtxCache *c)
{
    c->all_stale = ++c->tick;
    return 0;
}

uint32_t dmar_ctx_cache_flush_domain(DmarCtxCache *c, uint16_t did)
{
    c->did_stale[did] = ++c->tick;
    return 0;
}

uint32_t dmar_ctx_cache_flush_device(DmarCtxCache *c, uint16_t did,
                                     uint16_t sid, uint16_t sid_mask)
{
    uint64_t now;

    /*
     * VT-d §6.5.1.1: device-selective invalidation names the device by
     * source-id and function mask; the domain-id must match the cached
     * entry's, but an entry whose domain changed must go too, so match
     * on the source-id alone (invalidating more is always allowed).
     */
    if ((sid_mask | 7) != 0xffff) {
        return dmar_ctx_cache_flush_all(c);
    }
    now = ++c->tick;
    for (unsigned f = 0; f < 8; f++) {
        uint16_t fsid = (sid & ~7) | f;

        if ((fsid & sid_mask) == (sid & sid_mask)) {
            c->sid_stale[fsid] = now;
        }
    }
    return 0;
}

/* ---- the PASID cache ---- */

void dmar_pasid_cache_init(DmarPasidCache *c)
{
    memset(c, 0, sizeof(*c));
}

static DmarPasidCacheEntry *pasid_set(DmarPasidCache *c, uint16_t sid,
                                      uint32_t pasid)
{
    uint32_t h = (sid * 0x9e3779b1u) ^ (pasid * 0x85ebca6bu);
    unsigned sets = DMAR_PASID_CACHE_ENTRIES / DMAR_CACHE_WAYS;

    return &c->e[((h >> 16) % sets) * DMAR_CACHE_WAYS];
}

bool dmar_pasid_cache_lookup(DmarPasidCache *c, uint16_t sid, uint32_t pasid,
                             DmarPasidEntry *out)
{
    DmarPasidCacheEntry *set = pasid_set(c, sid, pasid);

    for (unsigned i = 0; i < DMAR_CACHE_WAYS; i++) {
        DmarPasidCacheEntry *e = &set[i];

        if (e->valid && e->pe.sid == sid && e->pe.pasid == pasid) {
            e->lru = ++c->tick;
            *out = e->pe;
            c->stats.hits++;
            return true;
        }
    }
    c->stats.misses++;
    return false;
}

bool dmar_pasid_cache_insert(DmarPasidCache *c, const DmarPasidEntry *pe)
{
    DmarPasidCacheEntry *set = pasid_set(c, pe->sid, pe->pasid), *victim;
    bool evicted;

    victim = &set[0];
    for (unsigned i = 0; i < DMAR_CACHE_WAYS; i++) {
        DmarPasidCacheEntry *e = &set[i];

        if (!e->valid || (e->pe.sid == pe->sid && e->pe.pasid == pe->pasid)) {
            victim = e;
            break;
        }
        if (e->lru < victim->lru) {
            victim = e;
        }
    }
    evicted = victim->valid && !(victim->pe.sid == pe->sid &&
                                 victim->pe.pasid == pe->pasid);
    c->stats.evictions += evicted;
    *victim = (DmarPasidCacheEntry) { .pe = *pe, .lru = ++c->tick,
                                      .valid = true };
    return evicted;
}

uint32_t dmar_pasid_cache_flush(DmarPasidCache *c, bool all, uint16_t did,
                                bool has_pasid, uint32_t pasid)
{
    uint32_t n = 0;

    for (unsigned i = 0; i < DMAR_PASID_CACHE_ENTRIES; i++) {
        DmarPasidCacheEntry *e = &c->e[i];

        /*
         * PASID-selective drops that PASID whatever its cached domain:
         * an entry whose domain-id changed must go too (more is allowed).
         */
        if (e->valid && (all || (has_pasid ? e->pe.pasid == pasid :
                                             e->pe.did == did))) {
            e->valid = false;
            n++;
        }
    }
    return n;
}

uint32_t dmar_pasid_cache_flush_sid(DmarPasidCache *c, uint16_t sid,
                                    uint16_t sid_mask)
{
    uint32_t n = 0;

    for (unsigned i = 0; i < DMAR_PASID_CACHE_ENTRIES; i++) {
        DmarPasidCacheEntry *e = &c->e[i];

        if (e->valid && (e->pe.sid & sid_mask) == (sid & sid_mask)) {
            e->valid = false;
            n++;
        }
    }
    return n;
}
