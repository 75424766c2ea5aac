/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar translation core: legacy root/context decode and the
 * second-stage walk (VT-d §3.4, §3.7, §9.1, §9.3, §9.8).
 *
 * Every value read here comes from guest memory and is validated before
 * use; the walk is a loop over a level count that was checked against
 * CAP.SAGAW while the context entry was decoded.
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "dmar-core.h"
#include "dmar-sm.h"

void dmar_hw_config_init(DmarHwConfig *hw)
{
    /* Output-address bits 51:HAW of an entry are reserved (§9.8). */
    uint64_t beyond_haw = dmar_above(hw->haw) & (dmar_above(DMAR_PAGE_SHIFT) &
                                            ~dmar_above(52));
    uint64_t snp = hw->sc ? 0 : R_SLPTE_SNP_MASK;
    /*
     * Bit 62 is reserved (§9.8). Earlier revisions made it TM (transient
     * mapping), meaningful only in a page entry and with device-TLBs
     * (ECAP.DT): a unit configured with stale_tm keeps that meaning there,
     * as intel-iommu's stale-tm does.
     */
    uint64_t tm = R_SLPTE_TM_MASK;
    uint64_t tm_leaf = hw->dt && hw->stale_tm ? 0 : tm;

    for (unsigned level = 1; level <= DMAR_MAX_LEVELS; level++) {
        unsigned page_shift = DMAR_PAGE_SHIFT + 9 * (level - 1);

        hw->rsvd_table[level] = beyond_haw | snp | tm;
        /* A large page's address bits below its size are reserved. */
        hw->rsvd_leaf[level] = beyond_haw | snp | tm_leaf |
            (((1ull << page_shift) - 1) & dmar_above(DMAR_PAGE_SHIFT));
    }
}

/* VT-d §7.1.3: faults that the context entry's FPD may suppress. */
bool dmar_fault_is_qualified(DmarFaultReason fr)
{
    /*
     * Scalable mode: everything found from the context entry on, except
     * an access error and a reserved bit in the context entry itself.
     */
    if (fr >= DMAR_FR_SM_CTX_NOT_PRESENT) {
        return fr != DMAR_FR_SM_CTX_RSVD;
    }
    switch (fr) {
    case DMAR_FR_CTX_NOT_PRESENT:
    case DMAR_FR_CTX_INVALID:
    case DMAR_FR_ADDR_BEYOND_AGAW:
    case DMAR_FR_WRITE:
    case DMAR_FR_READ:
    case DMAR_FR_PTE_ACCESS:
    case DMAR_FR_PTE_RSVD:
    case DMAR_FR_TT_BLOCKED:
    case DMAR_FR_INTR_ADDR:
        return true;
    default:
        return false;
    }
}

bool dmar_fault_set(DmarFault *f, DmarFaultReason fr, uint16_t sid,
                    uint64_t addr, uint8_t level, bool fpd)
{
    f->fr = fr;
    f->sid = sid;
    f->addr = addr;
    f->level = level;
    f->pasid = 0;
    f->pasid_valid = false;
    f->priv = f->exec = false;
    f->fpd = fpd && dmar_fault_is_qualified(fr);
    return false;
}

#define fail dmar_fault_set

bool dmar_read_qwords(const DmarMem *mem, uint64_t gpa, uint64_t *q,
                      unsigned n)
{
    if (!dmar_mem_read(mem, gpa, q, n * 8)) {
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        q[i] = le64_to_cpu(q[i]);
    }
    return true;
}

/* Read a 128-bit entry as two little-endian words. */
static bool read_entry128(const DmarMem *mem, uint64_t gpa,
                          uint64_t *lo, uint64_t *hi)
{
    uint64_t e[2];

    if (!dmar_read_qwords(mem, gpa, e, 2)) {
        return false;
    }
    *lo = e[0];
    *hi = e[1];
    return true;
}

bool dmar_context_lookup(const DmarHwConfig *hw, uint64_t rta, uint16_t sid,
                         const DmarMem *mem, DmarContext *ctx,
                         DmarFault *fault)
{
    uint8_t bus = sid >> 8, devfn = sid & 0xff;
    uint64_t lo, hi, ptr_rsvd = dmar_above(hw->haw);
    bool fpd;
    unsigned aw;

    fault->is_write = false;
    /* §9.1: root entry, one per bus. */
    if (!read_entry128(mem, rta + bus * 16ull, &lo, &hi)) {
        return fail(fault, DMAR_FR_ROOT_ACCESS, sid, 0, 0, false);
    }
    if (!FIELD_EX64(lo, ROOT_LO, P)) {
        return fail(fault, DMAR_FR_ROOT_NOT_PRESENT, sid, 0, 0, false);
    }
    if ((lo & (DMAR_ROOT_LO_RSVD | ptr_rsvd)) || (hi & DMAR_ROOT_HI_RSVD)) {
        return fail(fault, DMAR_FR_ROOT_RSVD, sid, 0, 0, false);
    }

    /* §9.3: context entry, one per device/function. */
    if (!read_entry128(mem, (lo & R_ROOT_LO_CTP_MASK) + devfn * 16ull,
                       &lo, &hi)) {
        return fail(fault, DMAR_FR_CTX_ACCESS, sid, 0, 0, false);
    }
    fpd = FIELD_EX64(lo, CTX_LO, FPD);
    if (!FIELD_EX64(lo, CTX_LO, P)) {
        return fail(fault, DMAR_FR_CTX_NOT_PRESENT, sid, 0, 0, fpd);
    }
    if ((lo & (DMAR_CTX_LO_RSVD | ptr_rsvd)) || (hi & DMAR_CTX_HI_RSVD)) {
        return fail(fault, DMAR_FR_CTX_RSVD, sid, 0, 0, fpd);
    }

    memset(ctx, 0, sizeof(*ctx));
    ctx->mode = DMAR_CTX_LEGACY;
    ctx->sid = sid;
    ctx->did = FIELD_EX64(hi, CTX_HI, DID);
    ctx->tt = FIELD_EX64(lo, CTX_LO, TT);
    ctx->fpd = fpd;
    ctx->slptptr = lo & R_CTX_LO_SLPTPTR_MASK;
    switch (ctx->tt) {
    case DMAR_TT_PASSTHROUGH:
        if (!hw->pt) {
            return fail(fault, DMAR_FR_CTX_INVALID, sid, 0, 0, fpd);
        }
        return true;
    case DMAR_TT_ALL:
        if (!hw->dt) {
            return fail(fault, DMAR_FR_CTX_INVALID, sid, 0, 0, fpd);
        }
        break;
    case DMAR_TT_UNTRANSLATED:
        break;
    default:
        return fail(fault, DMAR_FR_CTX_INVALID, sid, 0, 0, fpd);
    }
    /* The walk's depth comes from AW, checked against SAGAW here. */
    aw = FIELD_EX64(hi, CTX_HI, AW);
    if (DMAR_AW_TO_LEVELS(aw) > DMAR_MAX_LEVELS || !(hw->sagaw & (1u << aw))) {
        return fail(fault, DMAR_FR_CTX_INVALID, sid, 0, 0, fpd);
    }
    ctx->levels = DMAR_AW_TO_LEVELS(aw);
    return true;
}

/* Is a PS=1 entry at LEVEL a page the unit offers (CAP.SLLPS)? */
static bool large_page_ok(const DmarHwConfig *hw, unsigned level)
{
    return level >= 2 && level <= 3 && (hw->sllps & (1u << (level - 2)));
}

static bool translate_passthrough(const DmarHwConfig *hw,
                                  const DmarContext *ctx, uint64_t iova,
                                  DmarTranslation *out, DmarFault *fault)
{
    if (iova & dmar_above(hw->haw)) {
        return fail(fault, DMAR_FR_ADDR_BEYOND_AGAW, ctx->sid, iova, 0,
                    ctx->fpd);
    }
    out->iova = out->pa = iova & dmar_above(DMAR_PAGE_SHIFT);
    out->mask = DMAR_PAGE_SIZE - 1;
    out->perm = DMAR_PERM_RW;
    out->level = 1;
    out->table = 0;
    out->table_perm = 0;
    out->narrowed = false;
    return true;
}

/*
 * §3.15: software must not map anything to the interrupt address range,
 * and a request translated into it is blocked (0xEh), never sent on as a
 * DMA write that the platform would take for an interrupt. A large page
 * around the range still serves its other addresses, a 4 KiB page at a
 * time (so that no answer, cached or not, covers the range).
 */
bool dmar_intr_narrow(uint64_t iova, DmarTranslation *out)
{
    uint64_t pa = out->pa + (iova & out->mask);

    if (dmar_in_intr_range(pa, pa)) {
        return false;
    }
    if (dmar_in_intr_range(out->pa, out->pa + out->mask)) {
        out->mask = DMAR_PAGE_SIZE - 1;
        out->iova = iova & ~out->mask;
        out->pa = pa & ~out->mask;
        out->level = 1;
        out->table = 0;
        out->table_perm = 0;
        out->narrowed = true;
    }
    return true;
}

static bool output_check(const DmarContext *ctx, uint64_t iova,
                         DmarTranslation *out, DmarFault *fault)
{
    if (!dmar_intr_narrow(iova, out)) {
        return fail(fault, DMAR_FR_INTR_ADDR, ctx->sid, iova, out->level,
                    ctx->fpd);
    }
    return true;
}

/*
 * §9.3: what a legacy context's TT lets through. Legacy entries know no
 * PASID; translation and translated requests need TT = 01b (device-TLBs).
 */
static bool legacy_request_ok(const DmarContext *ctx, const DmarRequest *req)
{
    if (req->pasid != DMAR_NO_PASID) {
        return false;
    }
    return req->type == DMAR_REQ_UNTRANSLATED || ctx->tt == DMAR_TT_ALL;
}

/*
 * The fault reasons of a second-stage walk: legacy mode's (§7.1.3) or
 * scalable mode's (0x78-0x86).
 */
static DmarFaultReason ss_fr(bool sm, DmarFaultReason legacy,
                             DmarFaultReason scalable)
{
    return sm ? scalable : legacy;
}

bool dmar_ss_walk(const DmarHwConfig *hw, uint64_t table, unsigned levels,
                  uint64_t iova, bool is_write, bool sm, const DmarMem *mem,
                  DmarTranslation *out, DmarFaultReason *fr, uint8_t *flevel)
{
    uint8_t need = is_write ? DMAR_PERM_W : DMAR_PERM_R;
    DmarFaultReason perm_fr = is_write ?
        ss_fr(sm, DMAR_FR_WRITE, DMAR_FR_SM_WRITE) :
        ss_fr(sm, DMAR_FR_READ, DMAR_FR_SM_READ);
    uint8_t perm = DMAR_PERM_RW;
    int level;

    *flevel = 0;
    if (levels < 2 || levels > DMAR_MAX_LEVELS) {
        /* Only a configuration that was decoded and checked gets here. */
        *fr = ss_fr(sm, DMAR_FR_CTX_INVALID, DMAR_FR_PASID_INVALID);
        return false;
    }
    if (iova & dmar_above(DMAR_LEVELS_TO_WIDTH(levels))) {
        *fr = ss_fr(sm, DMAR_FR_ADDR_BEYOND_AGAW, DMAR_FR_SM_BEYOND);
        return false;
    }

    /* At most LEVELS reads, whatever the tables point at. */
    for (level = levels; level >= 1; level--) {
        unsigned shift = DMAR_PAGE_SHIFT + 9 * (level - 1);
        uint64_t pte;
        bool leaf;

        *flevel = level;
        if (!dmar_mem_read(mem, table + ((iova >> shift) & 511) * 8, &pte,
                           8)) {
            /*
             * §7.1.3: an error reading the table that the context (or
             * PASID) entry names is an invalid entry (3h; 7Bh in scalable
             * mode); deeper tables give 7h (78h).
             */
            *fr = level == levels ?
                  ss_fr(sm, DMAR_FR_CTX_INVALID, DMAR_FR_SS_PTR_ACCESS) :
                  ss_fr(sm, DMAR_FR_PTE_ACCESS, DMAR_FR_SS_ACCESS);
            return false;
        }
        pte = le64_to_cpu(pte);
        /* §9.8: R = W = 0 is "not present", a fault of the request's type. */
        if (!(pte & DMAR_PERM_RW)) {
            *fr = sm ? DMAR_FR_SS_NOT_PRESENT : perm_fr;
            return false;
        }
        leaf = level == 1 || FIELD_EX64(pte, SLPTE, PS);
        if ((leaf && level > 1 && !large_page_ok(hw, level)) ||
            (pte & (leaf ? hw->rsvd_leaf[level] : hw->rsvd_table[level]))) {
            *fr = ss_fr(sm, DMAR_FR_PTE_RSVD, DMAR_FR_SS_RSVD);
            return false;
        }
        out->table = table;
        out->table_perm = perm;
        perm &= pte & DMAR_PERM_RW;
        if (!(perm & need)) {
            *fr = perm_fr;
            return false;
        }
        table = pte & R_SLPTE_ADDR_MASK;
        if (leaf) {
            out->mask = (1ull << shift) - 1;
            out->iova = iova & ~out->mask;
            out->pa = table & ~out->mask;
            out->perm = perm;
            out->level = level;
            out->narrowed = false;
            if (level != 1) {
                out->table = 0;
                out->table_perm = 0;
            }
            return true;
        }
    }
    g_assert_not_reached();    /* level 1 entries are always leaves */
}

static bool translate_legacy(const DmarHwConfig *hw, const DmarContext *ctx,
                             const DmarRequest *req, const DmarMem *mem,
                             DmarTranslation *out, DmarFault *fault)
{
    uint64_t iova = req->addr;
    DmarFaultReason fr;
    uint8_t level;

    if (!legacy_request_ok(ctx, req)) {
        return fail(fault, DMAR_FR_TT_BLOCKED, ctx->sid, iova, 0, ctx->fpd);
    }
    if (ctx->tt == DMAR_TT_PASSTHROUGH || req->type == DMAR_REQ_TRANSLATED) {
        return translate_passthrough(hw, ctx, iova, out, fault);
    }
    if (!dmar_ss_walk(hw, ctx->slptptr, ctx->levels, iova, req->is_write,
                      false, mem, out, &fr, &level)) {
        return fail(fault, fr, ctx->sid, iova, level, ctx->fpd);
    }
    return output_check(ctx, iova, out, fault);
}

bool dmar_translate(const DmarHwConfig *hw, const DmarContext *ctx,
                    const DmarRequest *req, const DmarMem *mem,
                    DmarTranslation *out, DmarFault *fault)
{
    bool ok;

    fault->is_write = req->is_write;
    ok = translate_legacy(hw, ctx, req, mem, out, fault);
    if (!ok && req->pasid != DMAR_NO_PASID) {
        fault->pasid = req->pasid;
        fault->pasid_valid = true;
        fault->priv = req->priv;
        fault->exec = req->exec;
    }
    return ok;
}

unsigned dmar_leaf_group(const DmarHwConfig *hw, uint64_t table,
                         uint8_t upper_perm, uint64_t iova, const DmarMem *mem,
                         uint64_t *leaf)
{
    uint64_t first = iova & ~(DMAR_LEAF_GROUP * DMAR_PAGE_SIZE - 1);
    unsigned n = 0;

    if (!dmar_read_qwords(mem, table + ((first >> DMAR_PAGE_SHIFT) & 511) * 8,
                          leaf, DMAR_LEAF_GROUP)) {
        return 0;
    }
    for (unsigned i = 0; i < DMAR_LEAF_GROUP; i++) {
        uint64_t e = leaf[i];
        uint64_t pa = e & R_SLPTE_ADDR_MASK;
        uint8_t perm = upper_perm & e & DMAR_PERM_RW;

        /*
         * Only what a walk would grant: present, no reserved bits, not
         * into the interrupt address range.
         */
        if (!perm || (e & hw->rsvd_leaf[1]) ||
            dmar_in_intr_range(pa, pa + DMAR_PAGE_SIZE - 1)) {
            leaf[i] = 0;
            continue;
        }
        leaf[i] = pa | perm;
        n++;
    }
    return n;
}

/* ---- The range walk (dmar_walk_range) ---- */

typedef struct WalkCtx {
    DmarWalkFn *fn;
    void *opaque;
    uint64_t last;
    uint64_t *resume;
} WalkCtx;

/*
 * Hand LEAF (overlapping [FROM, w->last]) to the caller; if it reaches
 * into the interrupt address range, only its pieces of the next smaller
 * page size that do not, recursively (at most two levels of 512 pieces).
 * False when the caller said stop (*resume set).
 */
static bool walk_report(WalkCtx *w, const DmarTranslation *leaf,
                        uint64_t from)
{
    DmarTranslation piece;
    uint64_t size;

    if (!dmar_in_intr_range(leaf->pa, leaf->pa + leaf->mask)) {
        if (!w->fn(w->opaque, leaf)) {
            *w->resume = leaf->iova + leaf->mask + 1;
            return false;
        }
        return true;
    }
    if (leaf->level <= 1) {
        return true;            /* a 4 KiB page no request may use */
    }
    size = 1ull << (DMAR_PAGE_SHIFT + 9 * (leaf->level - 2));
    for (uint64_t off = 0; off <= leaf->mask; off += size) {
        piece = (DmarTranslation) {
            .iova = leaf->iova + off, .pa = leaf->pa + off,
            .mask = size - 1, .perm = leaf->perm, .level = leaf->level - 1,
            .narrowed = true,
        };
        if (piece.iova + piece.mask >= from && piece.iova <= w->last &&
            !walk_report(w, &piece, from)) {
            return false;
        }
    }
    return true;
}

static DmarWalkStatus walk_passthrough(const DmarHwConfig *hw, WalkCtx *w,
                                       uint64_t first)
{
    uint64_t end = MIN(w->last, ~dmar_above(hw->haw));
    DmarTranslation t;

    if (first > end) {
        return DMAR_WALK_DONE;
    }
    t = (DmarTranslation) {
        .iova = first, .pa = first, .mask = end - first,
        .perm = DMAR_PERM_RW, .level = 0,
    };
    if (!w->fn(w->opaque, &t)) {
        *w->resume = end + 1;
        return DMAR_WALK_STOPPED;
    }
    return DMAR_WALK_DONE;
}

DmarWalkStatus dmar_walk_range(const DmarHwConfig *hw, const DmarContext *ctx,
                               uint64_t first, uint64_t last,
                               const DmarMem *mem, DmarWalkFn *fn,
                               void *opaque, uint64_t *budget,
                               uint64_t *resume)
{
    WalkCtx w = { .fn = fn, .opaque = opaque, .last = last,
                  .resume = resume };
    uint64_t table[DMAR_MAX_LEVELS + 1];
    /* Each table in place, where the memory offers it (dmar_mem_map) */
    const uint8_t *view[DMAR_MAX_LEVELS + 1];
    uint8_t perm[DMAR_MAX_LEVELS + 1];
    uint64_t iova = first;
    unsigned top = ctx->levels, level;
    bool faulted = false;

    if (ctx->tt == DMAR_TT_PASSTHROUGH) {
        return walk_passthrough(hw, &w, first);
    }
    if (top < 2 || top > DMAR_MAX_LEVELS) {
        /* Only a context that dmar_context_lookup() accepted gets here. */
        return DMAR_WALK_FAULT;
    }
    /* Nothing is mapped at or above 2^AGAW. */
    w.last = MIN(last, ~dmar_above(DMAR_LEVELS_TO_WIDTH(top)));
    if (first > w.last) {
        return DMAR_WALK_DONE;
    }
    level = top;
    table[top] = ctx->slptptr;
    view[top] = dmar_mem_map(mem, table[top], DMAR_PAGE_SIZE);
    perm[top] = DMAR_PERM_RW;
    /*
     * One entry read per round, at most *budget; each round either goes
     * down a level (at most top - 1 times in a row) or moves IOVA past
     * the entry it read, towards w.last.
     */
    while (*budget) {
        unsigned shift = DMAR_PAGE_SHIFT + 9 * (level - 1);
        uint64_t size = 1ull << shift, base = iova & ~(size - 1);
        uint64_t pte;
        uint8_t p;
        bool leaf;

        (*budget)--;
        if (view[level]) {
            pte = ldq_he_p(view[level] + ((iova >> shift) & 511) * 8);
        }
        if (!view[level] &&
            !dmar_mem_read(mem, table[level] + ((iova >> shift) & 511) * 8,
                           &pte, 8)) {
            /*
             * The table cannot be read: none of its entries either. Go
             * past the entry that named it (the ascent below goes up).
             */
            faulted = true;
            size <<= 9;
            base = iova & ~(size - 1);
        } else {
            pte = le64_to_cpu(pte);
            p = perm[level] & pte & DMAR_PERM_RW;
            leaf = level == 1 || FIELD_EX64(pte, SLPTE, PS);
            if (!(pte & DMAR_PERM_RW)) {
                /* §9.8: not present, nothing below */
            } else if ((leaf && level > 1 && !large_page_ok(hw, level)) ||
                       (pte & (leaf ? hw->rsvd_leaf[level] :
                               hw->rsvd_table[level]))) {
                faulted = true;
            } else if (p && !leaf) {
                level--;
                table[level] = pte & R_SLPTE_ADDR_MASK;
                view[level] = dmar_mem_map(mem, table[level], DMAR_PAGE_SIZE);
                perm[level] = p;
                continue;
            } else if (p) {
                DmarTranslation t = {
                    .iova = base, .pa = pte & R_SLPTE_ADDR_MASK & ~(size - 1),
                    .mask = size - 1, .perm = p, .level = level,
                    .table = level == 1 ? table[1] : 0,
                    .table_perm = level == 1 ? perm[1] : 0,
                };

                if (!walk_report(&w, &t, iova)) {
                    return DMAR_WALK_STOPPED;
                }
            }
        }
        /* On to the next entry; up while it starts a new table. */
        iova = base + size;
        if (iova > w.last) {
            return faulted ? DMAR_WALK_FAULT : DMAR_WALK_DONE;
        }
        while (level < top &&
               !((iova >> (DMAR_PAGE_SHIFT + 9 * (level - 1))) & 511)) {
            level++;
        }
    }
    *resume = iova;
    return DMAR_WALK_STOPPED;
}

/* ---- range sets ---- */

void dmar_range_set_clear(DmarRangeSet *set)
{
    set->n = 0;
    set->all = false;
}

void dmar_range_set_add(DmarRangeSet *set, uint32_t tag, uint64_t first,
                        uint64_t last)
{
    if (set->all) {
        return;
    }
    for (uint32_t i = 0; i < set->n; i++) {
        /* of one tag, overlapping or touching (up to the top: no wrap) */
        if (set->tag[i] == tag &&
            (set->last[i] == UINT64_MAX || first <= set->last[i] + 1) &&
            (last == UINT64_MAX || set->first[i] <= last + 1)) {
            set->first[i] = MIN(set->first[i], first);
            set->last[i] = MAX(set->last[i], last);
            return;
        }
    }
    if (set->n == DMAR_RANGE_SET_MAX) {
        set->all = true;
        return;
    }
    set->tag[set->n] = tag;
    set->first[set->n] = first;
    set->last[set->n] = last;
    set->n++;
}

bool dmar_range_set_overlap(const DmarRangeSet *a, const DmarRangeSet *b)
{
    if (a->all) {
        return b->all || b->n;
    }
    if (b->all) {
        return a->n;
    }
    for (uint32_t i = 0; i < a->n; i++) {
        for (uint32_t j = 0; j < b->n; j++) {
            if ((a->tag[i] == b->tag[j] || a->tag[i] == DMAR_RANGE_ANY ||
                 b->tag[j] == DMAR_RANGE_ANY) &&
                a->first[i] <= b->last[j] && b->first[j] <= a->last[i]) {
                return true;
            }
        }
    }
    return false;
}
