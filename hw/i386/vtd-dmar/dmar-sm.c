/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar translation core, scalable mode (VT-d §3.5-§3.8, §9.2-§9.7):
 * root and context entries, the PASID directory and table, and the
 * first-stage, second-stage, nested and pass-through translations. See
 * dmar-sm.h.
 *
 * Every value read here comes from guest memory and is checked before
 * use; each walk is a loop over a level count decoded and checked from
 * the PASID-table entry.
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "dmar-sm.h"

#define fail dmar_fault_set

/* ---- root and context entries (§9.2, §9.4) ---- */

bool dmar_sm_context_lookup(const DmarHwConfig *hw, uint64_t rta,
                            uint16_t sid, const DmarMem *mem,
                            DmarContext *ctx, DmarFault *fault)
{
    uint8_t bus = sid >> 8, devfn = sid & 0xff;
    uint64_t root[2], ce[4], ptr_rsvd = dmar_above(hw->haw), half, rsvd0;
    bool fpd;

    fault->is_write = false;
    if (!dmar_read_qwords(mem, rta + bus * 16ull, root, 2)) {
        return fail(fault, DMAR_FR_SM_ROOT_ACCESS, sid, 0, 0, false);
    }
    /* The lower half points to devfn 0-127's contexts, the upper 128-255 */
    half = root[devfn >> 7];
    if (!FIELD_EX64(half, SM_ROOT, P)) {
        return fail(fault, DMAR_FR_SM_ROOT_NOT_PRESENT, sid, 0, 0, false);
    }
    if (half & (DMAR_SM_ROOT_RSVD | ptr_rsvd)) {
        return fail(fault, DMAR_FR_SM_ROOT_RSVD, sid, 0, 0, false);
    }
    if (!dmar_read_qwords(mem, (half & R_SM_ROOT_CTP_MASK) +
                          (devfn & 0x7f) * 32ull, ce, 4)) {
        return fail(fault, DMAR_FR_SM_CTX_ACCESS, sid, 0, 0, false);
    }
    fpd = FIELD_EX64(ce[0], SM_CTX0, FPD);
    if (!FIELD_EX64(ce[0], SM_CTX0, P)) {
        return fail(fault, DMAR_FR_SM_CTX_NOT_PRESENT, sid, 0, 0, fpd);
    }
    /*
     * DTE needs device-TLBs (ECAP.DT), PASIDE PASID support; PRE page
     * requests, which are not offered.
     */
    rsvd0 = DMAR_SM_CTX0_RSVD | ptr_rsvd | R_SM_CTX0_PRE_MASK |
            (hw->dt ? 0 : R_SM_CTX0_DTE_MASK) |
            (hw->pasid_bits ? 0 : R_SM_CTX0_PASIDE_MASK);
    if ((ce[0] & rsvd0) || (ce[1] & DMAR_SM_CTX1_RSVD) || ce[2] || ce[3]) {
        return fail(fault, DMAR_FR_SM_CTX_RSVD, sid, 0, 0, fpd);
    }
    memset(ctx, 0, sizeof(*ctx));
    ctx->mode = DMAR_CTX_SCALABLE;
    ctx->sid = sid;
    ctx->fpd = fpd;
    ctx->pasid_dir = ce[0] & R_SM_CTX0_PASIDDIRPTR_MASK;
    ctx->pdts = FIELD_EX64(ce[0], SM_CTX0, PDTS);
    ctx->rid_pasid = FIELD_EX64(ce[1], SM_CTX1, RID_PASID);
    ctx->dte = FIELD_EX64(ce[0], SM_CTX0, DTE);
    ctx->paside = FIELD_EX64(ce[0], SM_CTX0, PASIDE);
    return true;
}

bool dmar_sm_pasid_of(const DmarHwConfig *hw, const DmarContext *ctx,
                      const DmarRequest *req, uint32_t *pasid,
                      DmarFault *fault)
{
    /* The directory's entries, 64 PASIDs each */
    uint64_t dir_pasids = 64ull << (ctx->pdts + 7);

    fault->is_write = req->is_write;
    if (req->type != DMAR_REQ_UNTRANSLATED && !ctx->dte) {
        return fail(fault, DMAR_FR_SM_DTE, ctx->sid, req->addr, 0, ctx->fpd);
    }
    if (req->pasid == DMAR_NO_PASID) {
        *pasid = ctx->rid_pasid;
        if (*pasid >= dir_pasids) {
            return fail(fault, DMAR_FR_SM_RID_PASID, ctx->sid, req->addr, 0,
                        ctx->fpd);
        }
        return true;
    }
    *pasid = req->pasid;
    if (!ctx->paside) {
        return fail(fault, DMAR_FR_SM_PASIDE, ctx->sid, req->addr, 0,
                    ctx->fpd);
    }
    if (*pasid >= dir_pasids || hw->pasid_bits > 20 ||
        *pasid >= (1u << hw->pasid_bits)) {
        return fail(fault, DMAR_FR_SM_PASID_BEYOND, ctx->sid, req->addr, 0,
                    ctx->fpd);
    }
    return true;
}

/* ---- the PASID directory and table (§9.5, §9.6) ---- */

/* Is PGTT a translation type this unit offers? */
static bool pgtt_offered(const DmarHwConfig *hw, unsigned pgtt)
{
    switch (pgtt) {
    case DMAR_PGTT_FS:
        return hw->fsts;
    case DMAR_PGTT_SS:
        return hw->ssts;
    case DMAR_PGTT_NESTED:
        return hw->fsts && hw->ssts;
    case DMAR_PGTT_PT:
        return hw->pt;
    default:
        return false;
    }
}

/* The fields of a present PASID-table entry PX, checked (0x5a, 0x5b). */
static bool pasid_decode(const DmarHwConfig *hw, const uint64_t *px,
                         DmarPasidEntry *pe, DmarFaultReason *fr)
{
    uint64_t ptr_rsvd = dmar_above(hw->haw);
    unsigned pgtt = FIELD_EX64(px[0], PASID0, PGTT);
    unsigned aw = FIELD_EX64(px[0], PASID0, AW);
    unsigned fspm = FIELD_EX64(px[2], PASID2, FSPM);
    bool ss, fs;

    *fr = DMAR_FR_PASID_RSVD;
    if ((px[0] & DMAR_PASID0_RSVD) || (px[1] & DMAR_PASID1_RSVD) ||
        (px[2] & (DMAR_PASID2_RSVD | (hw->srs ? 0 : R_PASID2_SRE_MASK) |
                  (hw->ers ? 0 : R_PASID2_ERE_MASK))) ||
        px[3] || px[4] || px[5] || px[6] || px[7]) {
        return false;
    }
    *fr = DMAR_FR_PASID_INVALID;
    if (!pgtt_offered(hw, pgtt)) {
        return false;
    }
    ss = pgtt == DMAR_PGTT_SS || pgtt == DMAR_PGTT_NESTED;
    fs = pgtt == DMAR_PGTT_FS || pgtt == DMAR_PGTT_NESTED;
    /* The pointers of the stages in use must lie below the HAW */
    *fr = DMAR_FR_PASID_RSVD;
    if ((ss && (px[0] & ptr_rsvd)) || (fs && (px[2] & ptr_rsvd))) {
        return false;
    }
    *fr = DMAR_FR_PASID_INVALID;
    if (ss && (DMAR_AW_TO_LEVELS(aw) > DMAR_MAX_LEVELS ||
               !(hw->sagaw & (1u << aw)))) {
        return false;
    }
    if (fs && (fspm > 1 || (fspm == 1 && !hw->fs5lp))) {
        return false;
    }
    pe->pgtt = pgtt;
    pe->did = FIELD_EX64(px[1], PASID1, DID);
    pe->ss_levels = ss ? DMAR_AW_TO_LEVELS(aw) : 0;
    pe->ssptptr = ss ? px[0] & R_PASID0_SSPTPTR_MASK : 0;
    pe->fs_levels = fs ? 4 + fspm : 0;
    pe->fsptptr = fs ? px[2] & R_PASID2_FSPTPTR_MASK : 0;
    pe->sre = FIELD_EX64(px[2], PASID2, SRE);
    pe->ere = FIELD_EX64(px[2], PASID2, ERE);
    pe->wpe = FIELD_EX64(px[2], PASID2, WPE);
    return true;
}

bool dmar_pasid_lookup(const DmarHwConfig *hw, const DmarContext *ctx,
                       uint32_t pasid, const DmarMem *mem,
                       DmarPasidEntry *pe, DmarFault *fault)
{
    uint64_t dir, px[8];
    bool fpd = ctx->fpd;
    DmarFaultReason fr;

    fault->is_write = false;
    memset(pe, 0, sizeof(*pe));
    pe->sid = ctx->sid;
    pe->pasid = pasid;
    if (!dmar_read_qwords(mem, ctx->pasid_dir + (pasid >> 6) * 8ull, &dir, 1)) {
        return fail(fault, DMAR_FR_PASID_DIR_ACCESS, ctx->sid, 0, 0, fpd);
    }
    fpd |= FIELD_EX64(dir, PASID_DIR, FPD);
    if (!FIELD_EX64(dir, PASID_DIR, P)) {
        return fail(fault, DMAR_FR_PASID_DIR_NOT_PRESENT, ctx->sid, 0, 0, fpd);
    }
    if (dir & (DMAR_PASID_DIR_RSVD | dmar_above(hw->haw))) {
        return fail(fault, DMAR_FR_PASID_DIR_RSVD, ctx->sid, 0, 0, fpd);
    }
    if (!dmar_read_qwords(mem, (dir & R_PASID_DIR_PTP_MASK) +
                          (pasid & 63) * 64ull, px, 8)) {
        return fail(fault, DMAR_FR_PASID_ACCESS, ctx->sid, 0, 0, fpd);
    }
    fpd |= FIELD_EX64(px[0], PASID0, FPD);
    pe->fpd = fpd;
    if (!FIELD_EX64(px[0], PASID0, P)) {
        return fail(fault, DMAR_FR_PASID_NOT_PRESENT, ctx->sid, 0, 0, fpd);
    }
    if (!pasid_decode(hw, px, pe, &fr)) {
        return fail(fault, fr, ctx->sid, 0, 0, fpd);
    }
    return true;
}

/* ---- translation ---- */

/* One translation: what the walks share. */
typedef struct SmWalk {
    const DmarHwConfig *hw;
    const DmarPasidEntry *pe;
    const DmarRequest *req;
    const DmarMem *mem;
    DmarFaultReason fr;     /* why it failed */
    uint8_t level;          /* ... at which level */
} SmWalk;

static bool sm_fail(SmWalk *w, DmarFaultReason fr, uint8_t level)
{
    w->fr = fr;
    w->level = level;
    return false;
}

/*
 * Nested: the host address of the first-stage structure at GPA (TOP:
 * the table FSPTPTR names), for a read; *WRITABLE: whether the second
 * stage lets the unit write it too (an A/D update).
 */
static bool nested_table(SmWalk *w, uint64_t gpa, bool top, uint64_t *hpa,
                         bool *writable)
{
    DmarTranslation t;
    DmarFaultReason fr;
    uint8_t level;

    *writable = true;
    if (w->pe->pgtt != DMAR_PGTT_NESTED) {
        *hpa = gpa;
        return true;
    }
    if (dmar_ss_walk(w->hw, w->pe->ssptptr, w->pe->ss_levels, gpa, false,
                     true, w->mem, &t, &fr, &level)) {
        *hpa = t.pa + (gpa & t.mask);
        *writable = t.perm & DMAR_PERM_W;
        return true;
    }
    /* §7.1.3: faults on the way to a first-stage table are its own */
    switch (fr) {
    case DMAR_FR_SM_BEYOND:
        fr = DMAR_FR_NESTED_BEYOND;
        break;
    case DMAR_FR_SS_NOT_PRESENT:
    case DMAR_FR_SM_READ:
        fr = top ? DMAR_FR_NESTED_TOP_READ : DMAR_FR_NESTED_READ;
        break;
    default:
        break;
    }
    return sm_fail(w, fr, level);
}

/* An entry the first-stage walk used: where it is, what it held. */
typedef struct FsStep {
    uint64_t hpa;
    uint64_t pte;
    bool writable;          /* nested: the second stage lets it be written */
} FsStep;

/* Is the address canonical for a WIDTH-bit first stage (§3.6)? */
static bool canonical(uint64_t addr, unsigned width)
{
    uint64_t high = addr & dmar_above(width - 1);

    return !high || high == dmar_above(width - 1);
}

/* Reserved bits of a first-stage entry at LEVEL, as a leaf or not. */
static uint64_t fs_rsvd(const DmarHwConfig *hw, unsigned level, bool leaf)
{
    uint64_t beyond_haw = dmar_above(hw->haw) & ~dmar_above(52);
    unsigned shift = DMAR_PAGE_SHIFT + 9 * (level - 1);

    if (!leaf) {
        /* PS is reserved in PML5Es and PML4Es */
        return beyond_haw | (level >= 4 ? R_FSPTE_PS_MASK : 0);
    }
    if (level == 1) {
        return beyond_haw;
    }
    /* A large page's address bits below its size, but PAT (bit 12) */
    return beyond_haw |
           (((1ull << shift) - 1) & dmar_above(DMAR_PAGE_SHIFT + 1));
}

/*
 * The first-stage walk of w->req->addr: the leaf in *T (its page as a
 * guest-physical address when nested), the entries used in STEP[], their
 * number in *NSTEPS, and the permissions (DMAR_PERM_W: writable for this
 * request; *USER: user pages all the way; *EXEC: no XD on the way).
 */
static bool fs_walk(SmWalk *w, DmarTranslation *t, FsStep *step,
                    unsigned *nsteps, bool *writable, bool *user,
                    bool *exec)
{
    const DmarPasidEntry *pe = w->pe;
    unsigned levels = pe->fs_levels;
    uint64_t iova = w->req->addr, table = pe->fsptptr;

    *writable = *user = *exec = true;
    *nsteps = 0;
    if (levels < 4 || levels > 5) {
        return sm_fail(w, DMAR_FR_PASID_INVALID, 0);
    }
    if (!canonical(iova, DMAR_LEVELS_TO_WIDTH(levels))) {
        return sm_fail(w, DMAR_FR_SM_NON_CANONICAL, 0);
    }
    /* At most LEVELS entries, whatever the tables point at. */
    for (unsigned level = levels; level >= 1; level--) {
        unsigned shift = DMAR_PAGE_SHIFT + 9 * (level - 1);
        uint64_t gpa = table + ((iova >> shift) & 511) * 8, hpa, pte;
        bool leaf, ss_w;

        if (!nested_table(w, gpa, level == levels, &hpa, &ss_w)) {
            return false;
        }
        if (!dmar_read_qwords(w->mem, hpa, &pte, 1)) {
            return sm_fail(w, level == levels ? DMAR_FR_FS_PTR_ACCESS :
                           DMAR_FR_FS_ACCESS, level);
        }
        if (!FIELD_EX64(pte, FSPTE, P)) {
            return sm_fail(w, DMAR_FR_FS_NOT_PRESENT, level);
        }
        leaf = level == 1 || (level <= 3 && FIELD_EX64(pte, FSPTE, PS));
        if ((leaf && level == 3 && !w->hw->fs1gp) ||
            (pte & fs_rsvd(w->hw, level, leaf))) {
            return sm_fail(w, DMAR_FR_FS_RSVD, level);
        }
        step[(*nsteps)++] = (FsStep) { .hpa = hpa, .pte = pte,
                                       .writable = ss_w };
        *writable &= FIELD_EX64(pte, FSPTE, RW);
        *user &= FIELD_EX64(pte, FSPTE, US);
        *exec &= !FIELD_EX64(pte, FSPTE, XD);
        if (leaf) {
            t->mask = (1ull << shift) - 1;
            t->iova = iova & ~t->mask;
            t->pa = pte & R_FSPTE_ADDR_MASK & ~t->mask;
            t->level = level;
            return true;
        }
        table = pte & R_FSPTE_ADDR_MASK;
    }
    g_assert_not_reached();    /* level 1 entries are always leaves */
}

/*
 * Set A on every entry used, and D on the leaf for a write (§3.6.2):
 * compare-and-swap against what the walk read. False with *CHANGED when
 * an entry changed under us (walk again), or with a fault.
 */
static bool fs_set_ad(SmWalk *w, FsStep *step, unsigned nsteps,
                      bool is_write, bool *changed)
{
    *changed = false;
    if (!w->mem->ops->cmpxchg64) {
        return true;            /* a probe: nothing is written */
    }
    for (unsigned i = 0; i < nsteps; i++) {
        uint64_t want = step[i].pte | R_FSPTE_A_MASK, expected;
        bool last = i == nsteps - 1;

        if (last && is_write) {
            want |= R_FSPTE_D_MASK;
        }
        if (want == step[i].pte) {
            continue;
        }
        /* Nested: the second stage must let the entry be written */
        if (!step[i].writable) {
            return sm_fail(w, DMAR_FR_NESTED_WRITE, 0);
        }
        expected = step[i].pte;
        switch (dmar_mem_cmpxchg64(w->mem, step[i].hpa, &expected, want)) {
        case DMAR_CAS_OK:
            step[i].pte = want;
            break;
        case DMAR_CAS_CHANGED:
            *changed = true;
            return false;
        default:
            return sm_fail(w, i == 0 ? DMAR_FR_FS_PTR_ACCESS :
                           DMAR_FR_FS_ACCESS, 0);
        }
    }
    return true;
}

/* The first stage, and with nesting the second stage of its result. */
static bool translate_fs(SmWalk *w, DmarTranslation *out)
{
    const DmarRequest *req = w->req;
    FsStep step[DMAR_MAX_LEVELS];
    DmarTranslation ss;
    unsigned nsteps;
    bool writable, user, exec, changed = false;

    for (unsigned tries = 0; tries < DMAR_SM_AD_TRIES; tries++) {
        bool w_ok, dirty;

        if (!fs_walk(w, out, step, &nsteps, &writable, &user, &exec)) {
            return false;
        }
        /* §3.6.1: user requests need U/S all the way */
        if (!req->priv && !user) {
            return sm_fail(w, DMAR_FR_SM_USER, out->level);
        }
        /* Supervisor writes ignore R/W unless WPE */
        w_ok = writable || (req->priv && !w->pe->wpe);
        if (req->is_write && !w_ok) {
            return sm_fail(w, DMAR_FR_SM_WRITE, out->level);
        }
        if (req->exec && !exec) {
            return sm_fail(w, DMAR_FR_SM_EXEC, out->level);
        }
        out->perm = DMAR_PERM_R;
        dirty = FIELD_EX64(step[nsteps - 1].pte, FSPTE, D);
        if (w_ok && (dirty || req->is_write)) {
            out->perm |= DMAR_PERM_W;
        }
        out->narrowed = false;
        out->table = 0;
        out->table_perm = 0;
        if (out->level == 1 && !req->priv &&
            w->pe->pgtt == DMAR_PGTT_FS) {
            /* The leaf's table, for dmar_fs_leaf_group(): user pages */
            bool upper_w = true;

            for (unsigned i = 0; i + 1 < nsteps; i++) {
                upper_w &= FIELD_EX64(step[i].pte, FSPTE, RW);
            }
            out->table = step[nsteps - 1].hpa & ~(DMAR_PAGE_SIZE - 1);
            out->table_perm = DMAR_PERM_R | (upper_w ? DMAR_PERM_W : 0);
        }
        if (w->pe->pgtt == DMAR_PGTT_NESTED) {
            uint64_t gpa = out->pa + (req->addr & out->mask);
            DmarFaultReason fr;
            uint8_t level;

            if (!dmar_ss_walk(w->hw, w->pe->ssptptr, w->pe->ss_levels, gpa,
                              req->is_write, true, w->mem, &ss, &fr,
                              &level)) {
                return sm_fail(w, fr, level);
            }
            /* The smaller of the two pages, both stages' permissions */
            out->mask = MIN(out->mask, ss.mask);
            out->iova = req->addr & ~out->mask;
            out->pa = (ss.pa + (gpa & ss.mask)) & ~out->mask;
            out->perm &= ss.perm;
            out->level = MIN(out->level, ss.level);
        }
        /* §3.15 before A/D: a request that faults changes nothing */
        if (!dmar_intr_narrow(req->addr, out)) {
            return sm_fail(w, DMAR_FR_SM_INTR_ADDR, out->level);
        }
        if (fs_set_ad(w, step, nsteps, req->is_write, &changed)) {
            return true;
        }
        if (!changed) {
            return false;
        }
    }
    /* The guest keeps changing the entries under the walk: give up */
    return sm_fail(w, DMAR_FR_FS_ACCESS, 0);
}

bool dmar_sm_translate(const DmarHwConfig *hw, const DmarContext *ctx,
                       const DmarPasidEntry *pe, const DmarRequest *req,
                       const DmarMem *mem, DmarTranslation *out,
                       DmarFault *fault)
{
    SmWalk w = { .hw = hw, .pe = pe, .req = req, .mem = mem };
    uint64_t iova = req->addr;
    bool ok;

    if (req->exec && !pe->ere) {
        w.fr = DMAR_FR_PASID_ERE;
        ok = false;
    } else if (req->priv && !pe->sre) {
        w.fr = DMAR_FR_PASID_SRE;
        ok = false;
    } else if (pe->pgtt == DMAR_PGTT_PT || req->type == DMAR_REQ_TRANSLATED) {
        /* The identity below the HAW; translated requests pass (DTE) */
        ok = !(iova & dmar_above(hw->haw));
        w.fr = DMAR_FR_SM_BEYOND;
        *out = (DmarTranslation) {
            .iova = iova & dmar_above(DMAR_PAGE_SHIFT),
            .pa = iova & dmar_above(DMAR_PAGE_SHIFT),
            .mask = DMAR_PAGE_SIZE - 1, .perm = DMAR_PERM_RW, .level = 1,
        };
    } else if (pe->pgtt == DMAR_PGTT_SS) {
        ok = !req->exec || sm_fail(&w, DMAR_FR_SM_EXEC, 0);
        ok = ok && dmar_ss_walk(hw, pe->ssptptr, pe->ss_levels, iova,
                                req->is_write, true, mem, out, &w.fr,
                                &w.level);
    } else if (pe->pgtt == DMAR_PGTT_FS || pe->pgtt == DMAR_PGTT_NESTED) {
        ok = translate_fs(&w, out);
    } else {
        /* Only an entry that dmar_pasid_lookup() accepted gets here */
        w.fr = DMAR_FR_PASID_INVALID;
        ok = false;
    }
    if (ok && !dmar_intr_narrow(iova, out)) {
        w.fr = DMAR_FR_SM_INTR_ADDR;
        w.level = out->level;
        ok = false;
    }
    if (ok) {
        return true;
    }
    fail(fault, w.fr, ctx->sid, iova, w.level, pe->fpd);
    fault->is_write = req->is_write;
    if (req->pasid != DMAR_NO_PASID) {
        fault->pasid = req->pasid;
        fault->pasid_valid = true;
        fault->priv = req->priv;
        fault->exec = req->exec;
    }
    return false;
}

unsigned dmar_fs_leaf_group(const DmarHwConfig *hw, uint64_t table,
                            uint8_t upper_perm, uint64_t iova,
                            const DmarMem *mem, uint64_t *leaf)
{
    uint64_t first = iova & ~(DMAR_LEAF_GROUP * DMAR_PAGE_SIZE - 1);
    unsigned n = 0;

    if (!dmar_read_qwords(mem, table + ((first >> DMAR_PAGE_SHIFT) & 511) * 8,
                          leaf, DMAR_LEAF_GROUP)) {
        return 0;
    }
    for (unsigned i = 0; i < DMAR_LEAF_GROUP; i++) {
        uint64_t e = leaf[i], pa = e & R_FSPTE_ADDR_MASK;
        bool w = (upper_perm & DMAR_PERM_W) && FIELD_EX64(e, FSPTE, RW) &&
                 FIELD_EX64(e, FSPTE, D);

        /*
         * What a user read walk would grant now without writing A: A set
         * already (W only with D set too), user, no reserved bits, not
         * into the interrupt address range.
         */
        if (!FIELD_EX64(e, FSPTE, P) || !FIELD_EX64(e, FSPTE, US) ||
            !FIELD_EX64(e, FSPTE, A) || (e & fs_rsvd(hw, 1, true)) ||
            dmar_in_intr_range(pa, pa + DMAR_PAGE_SIZE - 1)) {
            leaf[i] = 0;
            continue;
        }
        leaf[i] = pa | DMAR_PERM_R | (w ? DMAR_PERM_W : 0);
        n++;
    }
    return n;
}
