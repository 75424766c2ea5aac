/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar caches: the context cache and the IOTLB (VT-d §6.5).
 *
 * Both are set-associative with LRU replacement inside a set, so that a
 * full cache evicts one entry, not everything. They are pure data
 * structures: no locks (the caller holds the unit's cache lock), no
 * allocation after init, no guest-memory access.
 */
#ifndef HW_I386_VTD_DMAR_CACHE_H
#define HW_I386_VTD_DMAR_CACHE_H

#include "dmar-core.h"

#define DMAR_CACHE_WAYS     4
#define DMAR_CACHE_MAX_ENTRIES  (1u << 20)     /* larger sizes are capped */

typedef struct DmarIotlbEntry {
    uint64_t tag;           /* iova >> page shift of the entry's level */
    uint64_t pa;            /* page-aligned output address */
    uint64_t lru;           /* 64-bit: never wraps */
    uint16_t sid;
    uint16_t did;
    uint8_t level;          /* 1: 4 KiB, 2: 2 MiB, 3: 1 GiB; 0: invalid */
    uint8_t perm;
} DmarIotlbEntry;

typedef struct DmarCtxEntry {
    DmarContext ctx;
    uint64_t lru;
    bool valid;
} DmarCtxEntry;

typedef struct DmarCacheStats {
    uint64_t hits, misses, evictions;
} DmarCacheStats;

/*
 * Which source-ids have IOTLB entries of a domain: lets a page-selective
 * invalidation (by domain-id) probe only the sets those entries can be
 * in, instead of scanning the whole IOTLB. A lossy summary: when it runs
 * out of room it says so, and the flush falls back to a full scan.
 */
#define DMAR_DID_SLOTS      64
#define DMAR_DID_SIDS       8

typedef struct DmarDidSids {
    uint16_t did;
    uint8_t n;
    bool used;
    bool overflow;          /* more source-ids than DMAR_DID_SIDS */
    uint16_t sid[DMAR_DID_SIDS];
} DmarDidSids;

typedef struct DmarIotlb {
    DmarIotlbEntry *e;
    uint32_t set_bits;      /* log2 of the number of sets */
    uint64_t tick;
    uint8_t levels_seen;    /* bitmap of levels ever inserted: fewer probes */
    DmarDidSids dids[DMAR_DID_SLOTS];
    bool dids_overflow;     /* more domains than slots: always scan */
    DmarCacheStats stats;
} DmarIotlb;

typedef struct DmarCtxCache {
    DmarCtxEntry *e;
    uint32_t set_bits;
    uint64_t tick;
    DmarCacheStats stats;
} DmarCtxCache;

/*
 * ENTRIES is rounded up to a power of two, at least DMAR_CACHE_WAYS and at
 * most DMAR_CACHE_MAX_ENTRIES.
 */
void dmar_iotlb_init(DmarIotlb *t, uint32_t entries);
void dmar_iotlb_destroy(DmarIotlb *t);
uint32_t dmar_iotlb_size(const DmarIotlb *t);
bool dmar_iotlb_lookup(DmarIotlb *t, uint16_t sid, uint64_t iova,
                       DmarTranslation *out);
/*
 * Grow the 4 KiB translation TR of SID, a naturally aligned block at a
 * time, while the IOTLB holds every page of the doubled block for SID
 * with at least NEED, mapped contiguously: the result answers a long DMA
 * in one piece. Its permissions are those all its pages share. At most
 * 2^MAX_ORDER pages; returns the order reached (0: TR is unchanged).
 * Touches neither statistics nor LRU. TR no longer describes one IOTLB
 * entry: do not insert it.
 */
#define DMAR_EXTEND_ORDER   9       /* 2 MiB: one level-1 table */
unsigned dmar_iotlb_extend(DmarIotlb *t, uint16_t sid, uint8_t need,
                           unsigned max_order, DmarTranslation *tr);
/* Returns true if a valid entry was evicted to make room. */
bool dmar_iotlb_insert(DmarIotlb *t, uint16_t sid, uint16_t did,
                       const DmarTranslation *tr);
/* Invalidations; each returns the number of entries dropped. */
uint32_t dmar_iotlb_flush_all(DmarIotlb *t);
uint32_t dmar_iotlb_flush_domain(DmarIotlb *t, uint16_t did);
uint32_t dmar_iotlb_flush_sid(DmarIotlb *t, uint16_t sid);
/* Pages of DID overlapping [addr, addr + (4 KiB << am)). */
uint32_t dmar_iotlb_flush_pages(DmarIotlb *t, uint16_t did, uint64_t addr,
                                unsigned am);

void dmar_ctx_cache_init(DmarCtxCache *c, uint32_t entries);
void dmar_ctx_cache_destroy(DmarCtxCache *c);
bool dmar_ctx_cache_lookup(DmarCtxCache *c, uint16_t sid, DmarContext *out);
bool dmar_ctx_cache_insert(DmarCtxCache *c, const DmarContext *ctx);
uint32_t dmar_ctx_cache_flush_all(DmarCtxCache *c);
uint32_t dmar_ctx_cache_flush_domain(DmarCtxCache *c, uint16_t did);
/* Device-selective: SID with the low FM-encoded function bits masked. */
uint32_t dmar_ctx_cache_flush_device(DmarCtxCache *c, uint16_t did,
                                     uint16_t sid, uint16_t sid_mask);

#endif
