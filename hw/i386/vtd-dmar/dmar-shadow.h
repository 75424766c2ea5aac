/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar shadow: what a device's MAP/UNMAP notifiers have been told.
 *
 * With caching mode (CAP.CM) software invalidates every change to its
 * tables, not-present to present included, so a consumer that mirrors
 * the translations (vfio's IOMMU listener) can be kept in step: on each
 * invalidation, the shadow is compared with the tables over the range it
 * covers, and the differences come out as UNMAPs of what was told before
 * (exactly as told: never part of a mapping) followed by MAPs of the new
 * leaves, one per leaf (4 KiB, 2 MiB, 1 GiB).
 *
 * Pure core: the tables are read through a source callback (the unit
 * binds dmar_walk_range() to a device's context); no locks, no QEMU types.
 * Unit-tested in tests/unit/test-dmar-shadow.c.
 */
#ifndef HW_I386_VTD_DMAR_SHADOW_H
#define HW_I386_VTD_DMAR_SHADOW_H

#include "dmar-core.h"

/* One mapping as a notifier heard it: a naturally aligned block. */
typedef struct DmarMapping {
    uint64_t iova;
    uint64_t mask;          /* size - 1 */
    uint64_t pa;
    uint8_t perm;           /* DMAR_PERM_*, never 0 */
} DmarMapping;

/* At most this many mappings per shadow; beyond, leaves stay unmapped. */
#define DMAR_SHADOW_MAX     (1u << 20)
/* Table entries one sync may read. */
#define DMAR_SHADOW_BUDGET  (1ull << 20)

typedef struct DmarShadowEntry DmarShadowEntry;

/*
 * The mappings, none overlapping, in a dense array, found by IOVA
 * through an open-addressing index (linear probing, at most half full).
 */
typedef struct DmarShadow {
    DmarShadowEntry *ent;
    uint32_t n, cap;
    uint32_t *slot;         /* 0: empty; else an index into ent, plus 1 */
    uint32_t slot_mask;     /* slots - 1 (a power of two); 0: none yet */
    uint8_t slot_shift;     /* 64 - log2(slots) */
    uint32_t gen;           /* of the sync going on */
} DmarShadow;

/*
 * The tables over [FIRST, LAST]: calls FN for each present leaf
 * overlapping it, in IOVA order, as dmar_walk_range() does (same budget
 * and resume contract).
 */
typedef DmarWalkStatus DmarShadowSource(void *opaque, uint64_t first,
                                        uint64_t last, DmarWalkFn *fn,
                                        void *fn_opaque, uint64_t *budget,
                                        uint64_t *resume);

/* Hears each change: MAP (map true) or UNMAP of M. */
typedef void DmarShadowOut(void *opaque, bool map, const DmarMapping *m);

typedef struct DmarShadowStats {
    uint64_t maps, unmaps;
    uint64_t kept;          /* mappings found unchanged */
    uint64_t first, last;   /* the range synced, widened to whole blocks */
    bool truncated;         /* budget or DMAR_SHADOW_MAX: part left out */
    bool faulted;           /* entries the walk could not use (skipped) */
} DmarShadowStats;

void dmar_shadow_init(DmarShadow *sh);
void dmar_shadow_destroy(DmarShadow *sh);
uint32_t dmar_shadow_count(const DmarShadow *sh);

/*
 * Bring the shadow in step with the tables over [FIRST, LAST] (SRC NULL:
 * nothing is mapped). The range first widens to every mapping and leaf
 * that straddles its ends, so a changed superpage is replaced whole.
 * OUT hears every UNMAP before any MAP. Reads at most *BUDGET entries
 * (decremented); when they run out the rest of the range is left
 * unmapped, never mapped from a partial read (st->truncated).
 */
void dmar_shadow_sync(DmarShadow *sh, uint64_t first, uint64_t last,
                      DmarShadowSource *src, void *src_opaque,
                      DmarShadowOut *out, void *out_opaque,
                      uint64_t *budget, DmarShadowStats *st);

/* Forget everything, telling OUT (may be NULL) of each UNMAP. */
void dmar_shadow_clear(DmarShadow *sh, DmarShadowOut *out, void *out_opaque);

/* Every mapping, in no particular order. */
void dmar_shadow_foreach(const DmarShadow *sh, DmarShadowOut *fn,
                         void *opaque);

#endif
