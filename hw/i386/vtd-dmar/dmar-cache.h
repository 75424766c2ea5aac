/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar caches: the context cache and the IOTLB (VT-d §6.5).
 *
 * Both are set-associative with LRU replacement inside a set, so that a
 * full cache evicts one entry, not everything. They are pure data
 * structures: no locks (the caller holds the unit's cache lock), no
 * allocation after init, no guest-memory access. The one exception is
 * dmar_iotlb_lookup_shared(), the IOTLB's hit path for readers that do
 * not hold the lock (per-set sequence counts; see there).
 *
 * Invalidation never scans a cache: its cost does not depend on the
 * cache's size. Each cache keeps a clock that ticks on every insert, hit
 * and flush, and every entry carries the time of its last insert or hit
 * (which also orders the LRU). A global, domain or source-id flush only
 * records the time it happened; an entry older than a flush that covers
 * it is stale: a lookup treats it as a miss and drops it, and an insert
 * reuses its slot before evicting anything. Page-selective IOTLB flushes
 * probe the sets where the range's entries can be when that is cheap,
 * and otherwise are logged as a range with their time, checked the same
 * way; when the log is full its oldest range becomes a flush of that
 * range's whole domain (invalidating more is always allowed, §6.5).
 */
#ifndef HW_I386_VTD_DMAR_CACHE_H
#define HW_I386_VTD_DMAR_CACHE_H

#include "dmar-core.h"
#include "dmar-sm.h"

#define DMAR_CACHE_WAYS     4
#define DMAR_CACHE_MAX_ENTRIES  (1u << 20)     /* larger sizes are capped */
#define DMAR_NUM_IDS        (1u << 16)          /* domain-ids, source-ids */

/*
 * Which translations an entry may answer: those of one source-id, PASID
 * and stage. Flushes by source-id or domain-id cover every PASID and stage.
 */
typedef enum DmarStage {
    DMAR_STAGE_SECOND,      /* legacy and scalable second stage */
    DMAR_STAGE_FIRST,
    DMAR_STAGE_NESTED,
    /*
     * Scalable mode, a supervisor request's answers: first-stage U/S and
     * R/W checks differ for them, so they never answer user requests.
     */
    DMAR_STAGE_SUPERVISOR,
} DmarStage;

typedef struct DmarCacheKey {
    uint32_t pasid;         /* DMAR_NO_PASID for requests without PASID */
    uint16_t sid;
    uint8_t stage;          /* DmarStage */
    uint8_t zero;           /* 0: an entry compares the key as one word */
} DmarCacheKey;

/*
 * An IOTLB entry, 32 bytes. The tag packs the page number (the input
 * address >> the level's page shift) and the level, so that one
 * comparison matches both; level 0 is a free way. The key is the other
 * comparison. The output address is page-aligned: its low bits hold the
 * permissions. (The domain-id, which no hit reads, is in DmarIotlb.did.)
 */
FIELD(IOTLB_TAG, LEVEL, 0, 2)       /* 1: 4 KiB, 2: 2 MiB, 3: 1 GiB */
FIELD(IOTLB_TAG, PAGE, 2, 62)
FIELD(IOTLB_PA, PERM, 0, 2)         /* DMAR_PERM_* */

typedef struct DmarIotlbEntry {
    uint64_t tag;           /* IOTLB_TAG */
    uint64_t pa;            /* page-aligned output address | IOTLB_PA */
    uint64_t lru;           /* clock at insert or last hit; never wraps */
    union {
        DmarCacheKey key;
        uint64_t key_word;  /* the key as one word */
    };
} DmarIotlbEntry;

typedef struct DmarCtxEntry {
    DmarContext ctx;
    uint64_t lru;           /* clock at insert or last hit */
    bool valid;
} DmarCtxEntry;

typedef struct DmarCacheStats {
    uint64_t hits, misses, evictions;
    uint64_t probes;        /* sets probed by page-selective flushes */
} DmarCacheStats;

/*
 * What the IOTLB knows of one domain-id. @stale: its entries last used
 * before this time are stale (a domain flush, or a logged range that fell
 * out of the log). @dirty: entries used before this time must be checked
 * against the range log too (>= @stale). @sid: the source-ids its entries
 * were inserted for since @sid_since (its last domain flush, or a global
 * flush after it), so that a page-selective flush knows which sets to
 * probe; @sid_overflow when there were more.
 */
#define DMAR_DID_SIDS       8

typedef struct DmarIotlbDid {
    uint64_t dirty;
    uint64_t stale;
    uint64_t sid_since;
    uint16_t sid[DMAR_DID_SIDS];
    uint8_t nsid;
    bool sid_overflow;
} DmarIotlbDid;

/* A page-selective flush too large to probe: its range and its time. */
typedef struct DmarRangeFlush {
    uint64_t time;
    uint64_t first, last;
    uint16_t did;
} DmarRangeFlush;

#define DMAR_RANGE_LOG      256     /* logged range flushes kept */
/* Page-selective flushes probe up to this many sets, else are logged. */
#define DMAR_PSI_PROBE_MAX  1024

/*
 * A block: the DMAR_LEAF_GROUP 4 KiB leaves that one miss read from a
 * level-1 table, kept together. Inserting a group writes one block, and a
 * hit reads one leaf, where single entries would take a set each. Blocks
 * are in sets of DMAR_CACHE_WAYS, as entries are, and their leaves are
 * apart (DmarIotlb.leaf). @tag: the group's number (first page / 64),
 * inverted (0: a free way); @lru and the key as an entry's; @did the
 * domain-id.
 */
typedef struct DmarIotlbBlock {
    uint64_t tag;
    uint64_t lru;
    union {
        DmarCacheKey key;
        uint64_t key_word;
    };
    uint16_t did;
} DmarIotlbBlock;

/* DmarIotlb.levels_seen: blocks (leaf groups) were inserted */
#define DMAR_SEEN_BLOCKS    (1u << 0)

typedef struct DmarIotlb {
    DmarIotlbEntry *e;
    /*
     * Blocks: one per DMAR_LEAF_GROUP entries, at least a set's worth;
     * @leaf[block * DMAR_LEAF_GROUP + i]: page i's output | DMAR_PERM_*,
     * 0 for none; @blk_seq[block set] as @set_seq.
     */
    DmarIotlbBlock *blk;
    uint64_t *leaf;
    uint32_t *blk_seq;
    uint64_t blk_set_mask;  /* number of block sets - 1 */
    uint16_t *did;          /* [way]: the domain-id of its entry */
    /* [set]: odd while the holder of the lock changes the set's ways */
    uint32_t *set_seq;
    uint32_t set_bits;      /* log2 of the number of sets */
    uint32_t hash_shift;    /* (64 - set_bits) % 64 (iotlb_set_index) */
    uint64_t set_mask;      /* number of sets - 1 */
    uint64_t tick;          /* the clock */
    uint64_t all_stale;     /* everything used before is stale */
    /* The newest flush of any kind: an entry used since is not stale */
    uint64_t fresh_since;
    uint64_t *sid_stale;    /* [source-id]: its entries used before */
    DmarIotlbDid *dids;     /* [domain-id] */
    DmarRangeFlush log[DMAR_RANGE_LOG];
    uint32_t log_next;      /* where the next range goes */
    uint32_t log_len;
    /*
     * Inserted since the last global flush, to spare probes: bit LEVEL
     * (1 to 3), single entries of that level; DMAR_SEEN_BLOCKS, blocks
     */
    uint8_t levels_seen;
    /*
     * dmar_iotlb_lookup_shared() answers a block's page with the largest
     * naturally aligned run of contiguous leaves around it (set by the
     * owner before any lookup)
     */
    bool runs;
    DmarCacheStats stats;
} DmarIotlb;

typedef struct DmarCtxCache {
    DmarCtxEntry *e;
    uint32_t set_bits;
    uint64_t tick;
    uint64_t all_stale;
    uint64_t *sid_stale;    /* [source-id] */
    uint64_t *did_stale;    /* [domain-id] */
    DmarCacheStats stats;
} DmarCtxCache;

/*
 * ENTRIES is rounded up to a power of two, at least DMAR_CACHE_WAYS and at
 * most DMAR_CACHE_MAX_ENTRIES.
 */
void dmar_iotlb_init(DmarIotlb *t, uint32_t entries);
void dmar_iotlb_destroy(DmarIotlb *t);
uint32_t dmar_iotlb_size(const DmarIotlb *t);
bool dmar_iotlb_lookup(DmarIotlb *t, const DmarCacheKey *key, uint64_t iova,
                       DmarTranslation *out);
/* dmar_iotlb_lookup(), and on a hit the domain-id of its entry in *DID */
bool dmar_iotlb_lookup_did(DmarIotlb *t, const DmarCacheKey *key,
                           uint64_t iova, DmarTranslation *out, uint16_t *did);
/*
 * The hit path without the lock: any number of threads may call it while
 * one thread holding the lock calls the other functions here. It answers
 * only from an entry known live without looking at flush records (used
 * since the newest flush of any kind), read consistently (the set's
 * sequence count did not move), and otherwise returns false: the caller
 * then takes the lock and calls dmar_iotlb_lookup(). With T->runs, a page
 * of a block answers for the largest naturally aligned run of pages around
 * it (up to DMAR_LEAF_GROUP) whose leaves map contiguous output, aligned
 * as the run, with the same permissions: OUT's mask is the run's size - 1
 * and its level still 1. It counts nothing in
 * the statistics (the caller counts its hits). A hit is ordered before
 * any invalidation it did not see, as a DMA already under way would be:
 * an invalidation completed before the call began is always seen.
 */
bool dmar_iotlb_lookup_shared(DmarIotlb *t, const DmarCacheKey *key,
                              uint64_t iova, DmarTranslation *out);
/*
 * dmar_iotlb_lookup_shared(), and on a hit the domain-id of its entry in
 * *DID, read consistently with the answer
 */
bool dmar_iotlb_lookup_shared_did(DmarIotlb *t, const DmarCacheKey *key,
                                  uint64_t iova, DmarTranslation *out,
                                  uint16_t *did);
#ifdef DMAR_TEST_RACES
/*
 * Unit tests only (built with DMAR_TEST_RACES): called with OPAQUE where
 * a writer may come between a lock-free reader's reads, so that a test
 * can put one there. QEMU's build has no such call.
 */
typedef enum DmarRacePoint {
    DMAR_RACE_WAY,      /* a single entry's key matched, its output unread */
    DMAR_RACE_BLOCK,    /* a block's key matched, its leaf unread */
    DMAR_RACE_RUN,      /* a leaf and its neighbour read, a run's rest not */
} DmarRacePoint;
extern void (*dmar_iotlb_race_hook)(void *opaque, DmarRacePoint where);
extern void *dmar_iotlb_race_opaque;
#endif
/*
 * Cache TR (of level 1..3) for KEY in domain DID. Returns true if a live
 * entry was evicted to make room.
 */
bool dmar_iotlb_insert(DmarIotlb *t, const DmarCacheKey *key, uint16_t did,
                       const DmarTranslation *tr);
/*
 * Cache the 4 KiB leaves of the DMAR_LEAF_GROUP-page aligned group around
 * IOVA for KEY in domain DID, as dmar_leaf_group() gives them: LEAF[i] is
 * page i's output address | its DMAR_PERM_*, 0 for none. They go in one
 * block; the group's live block of DID keeps the pages LEAF does not
 * grant. Returns how many live leaves were evicted to make room.
 */
unsigned dmar_iotlb_insert_group(DmarIotlb *t, const DmarCacheKey *key,
                                 uint16_t did, uint64_t iova,
                                 const uint64_t *leaf);
/*
 * Invalidations, each in time independent of the cache's size. Each
 * returns the number of entries dropped at once: the page-selective probe
 * drops what it finds; the other flushes make entries stale, to be
 * dropped when next met, and return 0.
 */
uint32_t dmar_iotlb_flush_all(DmarIotlb *t);
uint32_t dmar_iotlb_flush_domain(DmarIotlb *t, uint16_t did);
uint32_t dmar_iotlb_flush_sid(DmarIotlb *t, uint16_t sid);
/*
 * Pages of DID overlapping [addr, addr + (4 KiB << am)). At most
 * DMAR_PSI_PROBE_MAX set probes; a larger range is logged.
 */
uint32_t dmar_iotlb_flush_pages(DmarIotlb *t, uint16_t did, uint64_t addr,
                                unsigned am);

void dmar_ctx_cache_init(DmarCtxCache *c, uint32_t entries);
void dmar_ctx_cache_destroy(DmarCtxCache *c);
bool dmar_ctx_cache_lookup(DmarCtxCache *c, uint16_t sid, DmarContext *out);
bool dmar_ctx_cache_insert(DmarCtxCache *c, const DmarContext *ctx);
/* As for the IOTLB: no scan, entries become stale; each returns 0. */
uint32_t dmar_ctx_cache_flush_all(DmarCtxCache *c);
uint32_t dmar_ctx_cache_flush_domain(DmarCtxCache *c, uint16_t did);
/*
 * Device-selective: SID with the low FM-encoded function bits masked
 * (SID_MASK clears at most bits 2:0; a mask clearing others flushes all).
 */
uint32_t dmar_ctx_cache_flush_device(DmarCtxCache *c, uint16_t did,
                                     uint16_t sid, uint16_t sid_mask);

/*
 * The PASID cache (§6.2.2): decoded PASID-table entries by (source-id,
 * PASID), set-associative with LRU. It is small, so its invalidations
 * scan it: DMAR_PASID_CACHE_ENTRIES entries at most per flush.
 */
#define DMAR_PASID_CACHE_ENTRIES    256

typedef struct DmarPasidCacheEntry {
    DmarPasidEntry pe;
    uint64_t lru;
    bool valid;
} DmarPasidCacheEntry;

typedef struct DmarPasidCache {
    DmarPasidCacheEntry e[DMAR_PASID_CACHE_ENTRIES];
    uint64_t tick;
    DmarCacheStats stats;
} DmarPasidCache;

void dmar_pasid_cache_init(DmarPasidCache *c);
bool dmar_pasid_cache_lookup(DmarPasidCache *c, uint16_t sid, uint32_t pasid,
                             DmarPasidEntry *out);
/* Returns true if a live entry was evicted to make room. */
bool dmar_pasid_cache_insert(DmarPasidCache *c, const DmarPasidEntry *pe);
/*
 * Drop the entries matching: every one (ALL), those of PASID (HAS_PASID:
 * whatever their domain-id), or those of domain-id DID. Returns how
 * many were dropped.
 */
uint32_t dmar_pasid_cache_flush(DmarPasidCache *c, bool all, uint16_t did,
                                bool has_pasid, uint32_t pasid);
/* Drop the entries of the source-ids matching SID under SID_MASK. */
uint32_t dmar_pasid_cache_flush_sid(DmarPasidCache *c, uint16_t sid,
                                    uint16_t sid_mask);

#endif
