/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar translation core, scalable mode: the scalable-mode root and
 * context entries, the PASID directory and table, and the first-stage,
 * second-stage, nested and pass-through translations they configure
 * (VT-d §3.5-§3.8, §9.4-§9.9).
 *
 * Pure like dmar-core: guest memory only through DmarMem (A/D updates
 * through its cmpxchg64), no locks, no QEMU state. Each stage's walk is a
 * function of its own; dmar_sm_translate() combines them for the
 * configuration a PASID-table entry holds.
 */
#ifndef HW_I386_VTD_DMAR_SM_H
#define HW_I386_VTD_DMAR_SM_H

#include "dmar-core.h"

/* PASID-granular translation types (PASID-table entry PGTT, §9.6) */
#define DMAR_PGTT_FS        1       /* first stage */
#define DMAR_PGTT_SS        2       /* second stage */
#define DMAR_PGTT_NESTED    3       /* first stage nested in second stage */
#define DMAR_PGTT_PT        4       /* pass-through */

/* Largest PASID + 1 (20 bits) */
#define DMAR_PASID_LIMIT    (1u << 20)

/*
 * A decoded scalable-mode PASID-table entry: what translates the
 * requests of one (source-id, PASID).
 */
typedef struct DmarPasidEntry {
    uint16_t sid;
    uint32_t pasid;         /* the PASID used: the request's or RID_PASID */
    uint16_t did;
    uint8_t pgtt;           /* DMAR_PGTT_* */
    bool fpd;               /* FPD of the context, directory or PASID entry */
    uint8_t ss_levels;      /* second stage (SS, nested): 3..5 */
    uint64_t ssptptr;
    uint8_t fs_levels;      /* first stage (FS, nested): 4 or 5 */
    uint64_t fsptptr;
    bool sre, ere, wpe;     /* supervisor, execute requests; write protect */
} DmarPasidEntry;

/*
 * Find SID's scalable-mode context entry under the root table at RTA
 * (lower or upper context table by devfn). ctx->mode is DMAR_CTX_SCALABLE.
 * False with *fault set (0x38-0x43) when it cannot be used.
 */
bool dmar_sm_context_lookup(const DmarHwConfig *hw, uint64_t rta,
                            uint16_t sid, const DmarMem *mem,
                            DmarContext *ctx, DmarFault *fault);

/*
 * Which PASID-table entry translates REQ under CTX: REQ's PASID, or the
 * context's RID_PASID for a request without one, in *PASID. False with
 * *fault set when the context does not let REQ through: DTE clear for
 * translation and translated requests (0x44), PASIDE clear for a request
 * with a PASID (0x45), a PASID beyond pasid-bits or the directory (0x46;
 * RID_PASID: 0x48).
 */
bool dmar_sm_pasid_of(const DmarHwConfig *hw, const DmarContext *ctx,
                      const DmarRequest *req, uint32_t *pasid,
                      DmarFault *fault);

/*
 * Read and decode PASID's directory and table entries under CTX, every
 * field checked against what HW offers (0x50-0x5b). pe->fpd (and
 * fault->fpd) carry the FPD of the context, directory or PASID entry.
 * Depends on nothing but CTX and PASID: what a PASID cache may keep.
 */
bool dmar_pasid_lookup(const DmarHwConfig *hw, const DmarContext *ctx,
                       uint32_t pasid, const DmarMem *mem,
                       DmarPasidEntry *pe, DmarFault *fault);

/*
 * Translate REQ with the configuration PE holds (CTX for DTE), after
 * dmar_sm_pasid_of(). Checks the request against PE first (ERE 0x5c, SRE
 * 0x5d). As dmar_translate(): on success *out is the page granted
 * (permissions a superset of the request's), else *fault says why. For
 * the first stage, W is granted only when the leaf is dirty already or
 * the request wrote it, so that a later write through a cached answer
 * cannot skip setting D. First-stage walks set A on every entry they
 * used and D on the leaf for a write (compare-and-swap), once the whole
 * translation succeeded. Nested: every first-stage table address and
 * the result are translated by the second stage. Reads are bounded:
 * at most (fs_levels + 1) * (ss_levels + 1) entries per attempt, and a
 * walk whose entries change under it is tried DMAR_SM_AD_TRIES times.
 */
#define DMAR_SM_AD_TRIES    4
bool dmar_sm_translate(const DmarHwConfig *hw, const DmarContext *ctx,
                       const DmarPasidEntry *pe, const DmarRequest *req,
                       const DmarMem *mem, DmarTranslation *out,
                       DmarFault *fault);

/*
 * As dmar_leaf_group() for a first-stage (PGTT 001b) 4 KiB leaf of a user
 * request whose walk gave out->table and out->table_perm: the leaves of
 * its group that a user read would be granted now without setting A (A
 * already set; W with D set too). Caching them ahead is what an IOTLB
 * may do.
 */
unsigned dmar_fs_leaf_group(const DmarHwConfig *hw, uint64_t table,
                            uint8_t upper_perm, uint64_t iova,
                            const DmarMem *mem, uint64_t *leaf);

/* ---- shared by dmar-core.c and dmar-sm.c (not for other users) ---- */

/* Address bits at or above WIDTH, within bits 63:0. */
static inline uint64_t dmar_above(unsigned width)
{
    return width >= 64 ? 0 : ~((1ull << width) - 1);
}

/* Does [FIRST, LAST] reach into the interrupt address range (§3.15)? */
static inline bool dmar_in_intr_range(uint64_t first, uint64_t last)
{
    return first <= DMAR_INTR_ADDR_LAST && last >= DMAR_INTR_ADDR_FIRST;
}

/* Read N little-endian 64-bit words at GPA into Q. */
bool dmar_read_qwords(const DmarMem *mem, uint64_t gpa, uint64_t *q,
                      unsigned n);

/* Fill in *F; returns false. FPD counts only for qualified reasons. */
bool dmar_fault_set(DmarFault *f, DmarFaultReason fr, uint16_t sid,
                    uint64_t addr, uint8_t level, bool fpd);

/*
 * §3.15: false if the output address of IOVA is in the interrupt range;
 * else a larger page reaching into it is cut to IOVA's 4 KiB.
 */
bool dmar_intr_narrow(uint64_t iova, DmarTranslation *out);

/*
 * The second-stage walk of dmar_translate(), shared by both modes: the
 * table at TABLE of LEVELS levels maps IOVA for a read or a write. SM
 * chooses scalable-mode fault reasons. Exported for dmar-sm.c.
 */
bool dmar_ss_walk(const DmarHwConfig *hw, uint64_t table, unsigned levels,
                  uint64_t iova, bool is_write, bool sm, const DmarMem *mem,
                  DmarTranslation *out, DmarFaultReason *fr, uint8_t *level);

#endif
