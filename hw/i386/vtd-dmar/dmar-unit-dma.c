/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar unit: DMA translation (IOTLB, context cache, the walk and what
 * happens on a miss) and interrupt remapping through the interrupt entry
 * cache (VT-d chapters 3, 5 and 6). Pure: see dmar-unit.h.
 */
#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "dmar-unit-int.h"

static bool translating(const DmarUnit *u)
{
    return dmar_unit_get32(u, A_GSTS) & R_GSTS_TES_MASK;
}

static uint64_t root_table(const DmarUnit *u)
{
    return u->root & R_RTADDR_RTA_MASK;
}

static bool scalable(const DmarUnit *u)
{
    return FIELD_EX64(u->root, RTADDR, TTM) == DMAR_TTM_SCALABLE;
}

/*
 * §7.1.3: with translation on, a root table pointer latched with a mode
 * other than legacy or (offered) scalable fails every request: abort-DMA
 * mode (TTM 11b, §3.4.4: "the hardware behaves as if a root-table is not
 * present") with 33h (RTA.4), a mode not offered (01b without SMTS, 10b)
 * with 30h (RTA.1). Neither is qualified: FPD cannot suppress them.
 */
static bool ttm_ok(const DmarUnit *u)
{
    unsigned ttm = FIELD_EX64(u->root, RTADDR, TTM);

    return ttm == DMAR_TTM_LEGACY || (ttm == DMAR_TTM_SCALABLE && u->cfg.hw.sm);
}

static bool ttm_fault(const DmarUnit *u, const DmarRequest *req,
                      DmarFault *f)
{
    unsigned ttm = FIELD_EX64(u->root, RTADDR, TTM);

    if (ttm_ok(u)) {
        return false;
    }
    *f = (DmarFault) {
        .fr = ttm == DMAR_TTM_ABORT_DMA && u->cfg.abort_dma ?
              DMAR_FR_ABORT_DMA : DMAR_FR_RTA_TTM,
        .sid = req->sid, .addr = req->addr, .is_write = req->is_write,
    };
    return true;
}

/* ---- protected memory regions (§11.4.8) ---- */

/* Is a region non-empty (base <= limit) and enabled (PMEN.PRS)? */
static bool pmr_in_force(const DmarUnit *u)
{
    return (dmar_unit_get32(u, A_PMEN) & R_PMEN_PRS_MASK) &&
           (dmar_unit_get32(u, A_PLMBASE) <= dmar_unit_get32(u, A_PLMLIMIT) ||
            dmar_unit_get64(u, A_PHMBASE) <= dmar_unit_get64(u, A_PHMLIMIT));
}

/*
 * §11.4.8.2-5: a region is [base, limit | 1FFFFFh] (bits 20:0 of a base
 * decode as 0s, of a limit as 1s). A limit below its base protects
 * nothing: both are 2 MiB aligned, so then base > limit | 1FFFFFh.
 */
static bool in_region(uint64_t addr, uint64_t base, uint64_t limit)
{
    return addr >= base && addr <= (limit | (DMAR_PMR_GRAN - 1));
}

bool dmar_unit_pmr_protects(const DmarUnit *u, uint64_t addr)
{
    return (dmar_unit_get32(u, A_PMEN) & R_PMEN_PRS_MASK) &&
           (in_region(addr, dmar_unit_get32(u, A_PLMBASE),
                      dmar_unit_get32(u, A_PLMLIMIT)) ||
            in_region(addr, dmar_unit_get64(u, A_PHMBASE),
                      dmar_unit_get64(u, A_PHMLIMIT)));
}

/*
 * §11.4.8.1: with protected memory enabled, no DMA reaches a protected
 * region: a unit of major version 2 or more blocks it whether remapping
 * is enabled or not, so untranslated, pass-through and translated DMA
 * alike (the check is on the address the request would reach). It is
 * neither recorded nor reported as a fault. What is granted never
 * reaches past the naturally aligned 2 MiB block around that address,
 * which lies wholly inside or wholly outside each region: a DMA that
 * crosses a region's edge is split there, and only its protected part
 * is blocked.
 */
static bool pmr_check(DmarUnit *u, const DmarRequest *req, DmarXlate *x)
{
    DmarEvent ev;
    uint64_t out;

    if (!pmr_in_force(u)) {
        return true;
    }
    out = x->t.pa | (req->addr & x->t.mask);
    if (!dmar_unit_pmr_protects(u, out)) {
        if (x->t.mask >= DMAR_PMR_GRAN) {
            x->t.mask = DMAR_PMR_GRAN - 1;
            x->t.iova = req->addr & ~x->t.mask;
            x->t.pa = out & ~x->t.mask;
        }
        return true;
    }
    ev = (DmarEvent) { .kind = DMAR_EV_PMR_BLOCK };
    ev.pmr_block = (typeof(ev.pmr_block)) { req->sid, out, req->is_write };
    dmar_unit_emit(u, &ev);
    x->pmr_blocked = true;
    return false;
}

/* Untranslated DMA: the 4 KiB page around ADDR, as is, read/write */
static DmarTranslation identity_page(uint64_t addr)
{
    return (DmarTranslation) {
        .iova = addr & ~(DMAR_PAGE_SIZE - 1),
        .pa = addr & ~(DMAR_PAGE_SIZE - 1),
        .mask = DMAR_PAGE_SIZE - 1,
        .perm = DMAR_PERM_RW,
    };
}

static void evicted(DmarUnit *u, const char *cache, uint16_t sid)
{
    DmarEvent ev = { .kind = DMAR_EV_EVICT,
                     .evict = { .cache = cache, .sid = sid } };

    dmar_unit_emit(u, &ev);
}

/* A fault of REQ: its address, direction and, with one, its PASID. */
static void fault_of(DmarFault *f, const DmarRequest *req)
{
    f->addr = req->addr;
    f->is_write = req->is_write;
    if (req->pasid != DMAR_NO_PASID) {
        f->pasid = req->pasid;
        f->pasid_valid = true;
        f->priv = req->priv;
        f->exec = req->exec;
    }
}

/* SID's context entry, read from MEM (legacy or scalable mode). */
static bool context_read(DmarUnit *u, uint16_t sid, const DmarMem *mem,
                         DmarContext *ctx, DmarFault *f)
{
    if (scalable(u)) {
        return dmar_sm_context_lookup(&u->cfg.hw, root_table(u), sid, mem,
                                      ctx, f);
    }
    return dmar_context_lookup(&u->cfg.hw, root_table(u), sid, mem, ctx, f);
}

/*
 * REQ's translation from the tables in MEM, no cache consulted: the
 * context entry, in scalable mode the PASID entry, then the walk.
 * *CTX_OK: the context was usable; *DID and *PT: the domain-id and
 * whether it passes through, once the entry that says so was read.
 */
static bool translate_uncached(DmarUnit *u, const DmarRequest *req,
                               const DmarMem *mem, DmarTranslation *t,
                               DmarFault *f, bool *ctx_ok, uint16_t *did,
                               bool *pt)
{
    DmarContext ctx;
    DmarPasidEntry pe;
    uint32_t pasid;

    *ctx_ok = false;
    if (!context_read(u, req->sid, mem, &ctx, f)) {
        fault_of(f, req);
        return false;
    }
    *ctx_ok = true;
    if (ctx.mode == DMAR_CTX_LEGACY) {
        *did = ctx.did;
        *pt = ctx.tt == DMAR_TT_PASSTHROUGH;
        return dmar_translate(&u->cfg.hw, &ctx, req, mem, t, f);
    }
    if (!dmar_sm_pasid_of(&u->cfg.hw, &ctx, req, &pasid, f) ||
        !dmar_pasid_lookup(&u->cfg.hw, &ctx, pasid, mem, &pe, f)) {
        fault_of(f, req);
        return false;
    }
    *did = pe.did;
    *pt = pe.pgtt == DMAR_PGTT_PT;
    return dmar_sm_translate(&u->cfg.hw, &ctx, &pe, req, mem, t, f);
}

/* SID's context: cached, or read and cached. */
static bool context_of(DmarUnit *u, const DmarRequest *req, DmarContext *ctx,
                       DmarFault *f)
{
    if (dmar_ctx_cache_lookup(&u->ctx_cache, req->sid, ctx)) {
        return true;
    }
    if (!context_read(u, req->sid, &u->mem, ctx, f)) {
        fault_of(f, req);
        return false;
    }
    if (dmar_ctx_cache_insert(&u->ctx_cache, ctx)) {
        evicted(u, "context", req->sid);
    }
    return true;
}

/* Scalable mode: REQ's PASID-table entry, cached or read and cached. */
static bool pasid_entry_of(DmarUnit *u, const DmarContext *ctx,
                           const DmarRequest *req, DmarPasidEntry *pe,
                           DmarFault *f)
{
    uint32_t pasid;

    if (!dmar_sm_pasid_of(&u->cfg.hw, ctx, req, &pasid, f)) {
        return false;
    }
    if (dmar_pasid_cache_lookup(&u->pasid_cache, req->sid, pasid, pe)) {
        return true;
    }
    if (!dmar_pasid_lookup(&u->cfg.hw, ctx, pasid, &u->mem, pe, f)) {
        return false;
    }
    if (dmar_pasid_cache_insert(&u->pasid_cache, pe)) {
        evicted(u, "pasid", req->sid);
    }
    return true;
}

/* An IOTLB miss: context and PASID entry (cached or read), the walk. */
static bool translate_miss(DmarUnit *u, const DmarRequest *req,
                           const DmarCacheKey *key, DmarXlate *x)
{
    DmarTranslation *t = &x->t;
    DmarContext ctx;
    DmarPasidEntry pe;
    bool pt, ss_format;

    if (!context_of(u, req, &ctx, &x->fault)) {
        return false;
    }
    if (ctx.mode == DMAR_CTX_SCALABLE) {
        if (!pasid_entry_of(u, &ctx, req, &pe, &x->fault) ||
            !dmar_sm_translate(&u->cfg.hw, &ctx, &pe, req, &u->mem, t,
                               &x->fault)) {
            fault_of(&x->fault, req);
            return false;
        }
        x->did = pe.did;
        pt = pe.pgtt == DMAR_PGTT_PT;
        ss_format = pe.pgtt == DMAR_PGTT_SS;
    } else {
        if (!dmar_translate(&u->cfg.hw, &ctx, req, &u->mem, t, &x->fault)) {
            return false;
        }
        x->did = ctx.did;
        pt = ctx.tt == DMAR_TT_PASSTHROUGH;
        ss_format = true;
    }
    x->walked = true;
    if (pt || req->type == DMAR_REQ_TRANSLATED) {
        /*
         * Pass-through is the identity below the host address width (the
         * walk faulted above it): nothing worth caching, not an IOTLB
         * entry (level 0). A translated request is passed as is: never
         * an IOTLB entry that an untranslated one could hit.
         */
        t->mask = DMAR_PAGE_SIZE - 1;
        t->iova = t->pa = req->addr & ~t->mask;
        t->level = 0;
        return true;
    }
    if (t->narrowed || req->exec) {
        /*
         * A piece of a large page around the interrupt address range: a
         * page-selective invalidation anywhere in that page must reach
         * it, which a 4 KiB IOTLB entry would not be. Never cached; nor
         * an execute request's answer (the IOTLB keeps no X permission).
         */
        return true;
    }
    if (t->level == 1 && (ss_format || t->table)) {
        /* DMA tends to go on to the next pages: cache their leaves too. */
        uint64_t leaf[DMAR_LEAF_GROUP];
        unsigned n = ss_format ?
            dmar_leaf_group(&u->cfg.hw, t->table, t->table_perm, req->addr,
                            &u->mem, leaf) :
            dmar_fs_leaf_group(&u->cfg.hw, t->table, t->table_perm,
                               req->addr, &u->mem, leaf);

        if (n) {
            /* The walk's own answer, not a second read, for its page */
            leaf[(t->iova >> DMAR_PAGE_SHIFT) % DMAR_LEAF_GROUP] =
                t->pa | (t->perm & (DMAR_PERM_R | DMAR_PERM_W));
            if (dmar_iotlb_insert_group(&u->iotlb, key, x->did, t->iova,
                                        leaf)) {
                evicted(u, "iotlb", req->sid);
            }
            return true;
        }
    }
    if (dmar_iotlb_insert(&u->iotlb, key, x->did, t)) {
        evicted(u, "iotlb", req->sid);
    }
    return true;
}

/*
 * verify_iotlb: on an IOTLB hit, walk the tables again and report when
 * they no longer grant what the cached entry does. Using such an entry is
 * what the spec allows until the guest invalidates it, so the DMA goes on
 * as cached; the report tells a developer that a device reached an IOVA
 * whose mapping the driver had already changed or removed.
 */
static void verify_hit(DmarUnit *u, const DmarRequest *req,
                       const DmarTranslation *hit)
{
    DmarTranslation t;
    DmarFault f = { 0 };
    uint64_t cached = hit->pa + (req->addr & hit->mask), walked;
    DmarEvent ev = { .kind = DMAR_EV_STALE_HIT };
    int walked_perm;
    bool ok, ctx_ok, pt;
    uint16_t did;

    ok = translate_uncached(u, req, &u->mem, &t, &f, &ctx_ok, &did, &pt);
    walked = ok ? t.pa + (req->addr & t.mask) : 0;
    walked_perm = ok ? t.perm : 0;
    if (ok && walked == cached && (t.perm & hit->perm) == hit->perm) {
        return;
    }
    ev.stale = (typeof(ev.stale)) {
        .sid = req->sid, .iova = req->addr, .pa = cached, .walk_pa = walked,
        .perm = hit->perm, .walk_perm = walked_perm, .fr = ok ? 0 : f.fr,
    };
    dmar_unit_emit(u, &ev);
    dmar_unit_log(u, DMAR_LOG_GUEST_ERROR, "vtd-dmar: sid %02x:%02x.%x %s "
                  "0x%" PRIx64 " used a stale IOTLB entry (pa 0x%" PRIx64
                  " perm %d); the tables say %s 0x%" PRIx64 " perm %d\n",
                  req->sid >> 8, (req->sid >> 3) & 0x1f, req->sid & 7,
                  req->is_write ? "write" : "read", req->addr, cached,
                  hit->perm, ok ? "pa" : "fault",
                  ok ? walked : (uint64_t)f.fr, walked_perm);
}

/* Supervisor requests (scalable mode) have answers of their own */
static DmarCacheKey iotlb_key_of(const DmarRequest *req)
{
    return (DmarCacheKey) {
        .pasid = req->pasid, .sid = req->sid,
        .stage = req->priv ? DMAR_STAGE_SUPERVISOR : DMAR_STAGE_SECOND,
    };
}

void dmar_unit_shared_update(DmarUnit *u)
{
    qatomic_set(&u->shared_ok, translating(u) && ttm_ok(u) &&
                               !pmr_in_force(u) && !u->cfg.verify_iotlb);
}

/*
 * What dmar_unit_translate() does on a hit when shared_ok holds, on
 * values a concurrent register write may be changing: then the hit is
 * ordered before that write. shared_ok is read again after the lookup:
 * an entry inserted after a write cleared it (a miss while a protected
 * memory region was in force caches the page before the region blocks
 * the request) is seen only with shared_ok's new value.
 */
static inline QEMU_ALWAYS_INLINE bool translate_shared(DmarUnit *u,
                                                       const DmarRequest *req,
                                                       uint8_t need,
                                                       DmarTranslation *t,
                                                       uint16_t *did)
{
    DmarCacheKey key = iotlb_key_of(req);

    if (!qatomic_read(&u->shared_ok) || req->exec ||
        !(did ? dmar_iotlb_lookup_shared_did(&u->iotlb, &key, req->addr, t,
                                             did) :
                dmar_iotlb_lookup_shared(&u->iotlb, &key, req->addr, t)) ||
        (t->perm & need) != need) {
        return false;
    }
    /* The entry before shared_ok again (set_write_begin()'s wmb) */
    smp_rmb();
    return qatomic_read(&u->shared_ok);
}

uint32_t dmar_xlate_domain_tag(const DmarXlate *x)
{
    return x->hit || x->walked ? x->did + 1u : DMAR_RANGE_ANY;
}

bool dmar_unit_translate_shared(DmarUnit *u, const DmarRequest *req,
                                uint8_t need, DmarTranslation *t)
{
    return translate_shared(u, req, need, t, NULL);
}

bool dmar_unit_translate_shared_did(DmarUnit *u, const DmarRequest *req,
                                    uint8_t need, DmarTranslation *t,
                                    uint16_t *did)
{
    return translate_shared(u, req, need, t, did);
}

bool dmar_unit_translate(DmarUnit *u, const DmarRequest *req, uint8_t need,
                         bool record, DmarXlate *x)
{
    DmarCacheKey key = iotlb_key_of(req);
    bool ok;

    x->act = 0;
    x->hit = x->walked = x->untranslated = false;
    x->pmr_blocked = false;
    if (!translating(u)) {
        /*
         * Translation off: DMA is untranslated (a switch in flight, or a
         * protected memory region in force: dmar_unit_bypass()).
         */
        x->untranslated = true;
        x->t = identity_page(req->addr);
        return pmr_check(u, req, x);
    }
    if (ttm_fault(u, req, &x->fault)) {
        if (record) {
            x->act |= dmar_unit_report_fault(u, &x->fault);
        }
        return false;
    }
    ok = x->hit = !req->exec &&
                  dmar_iotlb_lookup_did(&u->iotlb, &key, req->addr, &x->t,
                                        &x->did) &&
                  (x->t.perm & need) == need;
    if (x->hit && u->cfg.verify_iotlb) {
        verify_hit(u, req, &x->t);
    }
    if (!ok) {
        ok = translate_miss(u, req, &key, x);
        if (!ok && record) {
            x->act |= dmar_unit_report_fault(u, &x->fault);
        }
    }
    return ok && pmr_check(u, req, x);
}

/*
 * Untranslated DMA above the host address width (the platform's physical
 * address width, not aw-bits). With translation enabled this is a
 * pass-through context: VT-d §7.1.3 reason 4h applies with X = HAW. With
 * translation disabled nothing is checked; there is no memory there.
 */
unsigned dmar_unit_beyond(DmarUnit *u, uint16_t sid, uint64_t addr,
                          bool is_write)
{
    DmarFault f = { .fr = DMAR_FR_ADDR_BEYOND_AGAW, .sid = sid,
                    .addr = addr, .is_write = is_write };
    DmarRequest req = { .addr = addr, .sid = sid, .is_write = is_write };
    DmarContext ctx;
    DmarFault ignore;

    if (!translating(u)) {
        return 0;
    }
    if (ttm_fault(u, &req, &f)) {
        return dmar_unit_report_fault(u, &f);
    }
    if (scalable(u)) {
        f.fr = DMAR_FR_SM_BEYOND;
    }
    f.fpd = context_read(u, sid, &u->mem, &ctx, &ignore) && ctx.fpd;
    return dmar_unit_report_fault(u, &f);
}

/* Reads the tables, no caching: a decision about the address space. */
bool dmar_unit_bypass(DmarUnit *u, uint16_t sid)
{
    DmarContext ctx;
    DmarFault f;

    if (pmr_in_force(u)) {
        return false;
    }
    if (!translating(u)) {
        return true;
    }
    if (scalable(u) && u->cfg.hw.sm) {
        /* Requests without PASID: the RID_PASID entry's PGTT */
        DmarRequest req = { .sid = sid, .pasid = DMAR_NO_PASID };
        DmarPasidEntry pe;
        uint32_t pasid;

        return dmar_sm_context_lookup(&u->cfg.hw, root_table(u), sid,
                                      &u->mem, &ctx, &f) &&
               dmar_sm_pasid_of(&u->cfg.hw, &ctx, &req, &pasid, &f) &&
               dmar_pasid_lookup(&u->cfg.hw, &ctx, pasid, &u->mem, &pe, &f) &&
               pe.pgtt == DMAR_PGTT_PT;
    }
    if (FIELD_EX64(u->root, RTADDR, TTM) != DMAR_TTM_LEGACY) {
        return false;
    }
    return dmar_context_lookup(&u->cfg.hw, root_table(u), sid, &u->mem,
                               &ctx, &f) &&
           ctx.tt == DMAR_TT_PASSTHROUGH;
}

bool dmar_unit_sid_blind(DmarUnit *u)
{
    return !translating(u) && !pmr_in_force(u) &&
           !(dmar_unit_get32(u, A_GSTS) & R_GSTS_IRES_MASK);
}

/* ---- the shadow of MAP notifiers (caching mode) ---- */

/*
 * A walk over a range reads the entries of a table one after the other:
 * the shadow's source reads them SHADOW_CHUNK bytes at a time (one
 * access to guest memory for 64 entries rather than one each).
 */
#define SHADOW_CHUNK    512

typedef struct ShadowSrc {
    DmarUnit *u;
    DmarContext ctx;
    DmarMem mem;            /* u->mem through the chunk below */
    bool pmr;               /* a protected memory region is in force */
    DmarWalkFn *fn;
    void *fn_opaque;
    bool chunk_ok;
    uint64_t chunk_gpa;
    uint8_t chunk[SHADOW_CHUNK];
} ShadowSrc;

static bool shadow_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    ShadowSrc *s = opaque;
    uint64_t base = gpa & ~(uint64_t)(SHADOW_CHUNK - 1);

    if (gpa - base + len > SHADOW_CHUNK) {
        return dmar_mem_read(&s->u->mem, gpa, buf, len);
    }
    if (!s->chunk_ok || s->chunk_gpa != base) {
        s->chunk_ok = dmar_mem_read(&s->u->mem, base, s->chunk,
                                    SHADOW_CHUNK);
        s->chunk_gpa = base;
        if (!s->chunk_ok) {
            /* Not all of it is memory: this entry alone, as it is */
            return dmar_mem_read(&s->u->mem, gpa, buf, len);
        }
    }
    if (len == 8) {
        memcpy(buf, s->chunk + (gpa - base), 8);    /* inlined */
    } else {
        memcpy(buf, s->chunk + (gpa - base), len);
    }
    return true;
}

static bool shadow_write(void *opaque, uint64_t gpa, const void *buf,
                         size_t len)
{
    ShadowSrc *s = opaque;

    s->chunk_ok = false;
    return dmar_mem_write(&s->u->mem, gpa, buf, len);
}

static DmarCasResult shadow_cmpxchg64(void *opaque, uint64_t gpa,
                                      uint64_t *expected, uint64_t desired)
{
    ShadowSrc *s = opaque;

    s->chunk_ok = false;
    return dmar_mem_cmpxchg64(&s->u->mem, gpa, expected, desired);
}

static const void *shadow_map(void *opaque, uint64_t gpa, size_t len)
{
    return dmar_mem_map(&((ShadowSrc *)opaque)->u->mem, gpa, len);
}

static const DmarMemOps shadow_mem_ops = {
    .read = shadow_read,
    .write = shadow_write,
    .cmpxchg64 = shadow_cmpxchg64,
    .map = shadow_map,
};

/* A leaf no DMA may use whole: part of it is a protected region now. */
static bool leaf_protected(const DmarUnit *u, const DmarTranslation *t)
{
    for (uint64_t off = 0; off <= t->mask; off += DMAR_PMR_GRAN) {
        if (dmar_unit_pmr_protects(u, t->pa + off)) {
            return true;
        }
    }
    return false;
}

static bool shadow_leaf(void *opaque, const DmarTranslation *t)
{
    ShadowSrc *s = opaque;

    if (leaf_protected(s->u, t)) {
        return true;        /* not handed out: as if not present */
    }
    return s->fn(s->fn_opaque, t);
}

static DmarWalkStatus shadow_source(void *opaque, uint64_t first,
                                    uint64_t last, DmarWalkFn *fn,
                                    void *fn_opaque, uint64_t *budget,
                                    uint64_t *resume)
{
    ShadowSrc *s = opaque;

    s->fn = fn;
    s->fn_opaque = fn_opaque;
    if (!s->pmr) {
        return dmar_walk_range(&s->u->cfg.hw, &s->ctx, first, last, &s->mem,
                               fn, fn_opaque, budget, resume);
    }
    return dmar_walk_range(&s->u->cfg.hw, &s->ctx, first, last, &s->mem,
                           shadow_leaf, s, budget, resume);
}

int32_t dmar_unit_shadow_sync(DmarUnit *u, uint16_t sid, DmarShadow *sh,
                              uint64_t first, uint64_t last,
                              DmarShadowOut *out, void *opaque,
                              DmarShadowStats *st)
{
    ShadowSrc src = { .u = u };
    uint64_t budget = DMAR_SHADOW_BUDGET;
    DmarFault f;
    bool mapped;

    src.mem = (DmarMem) { &shadow_mem_ops, &src };
    src.pmr = pmr_in_force(u);
    /* Legacy mode, translating, a context that walks: else nothing. */
    mapped = translating(u) &&
             FIELD_EX64(u->root, RTADDR, TTM) == DMAR_TTM_LEGACY &&
             dmar_context_lookup(&u->cfg.hw, root_table(u), sid, &u->mem,
                                 &src.ctx, &f) &&
             src.ctx.tt != DMAR_TT_PASSTHROUGH;
    dmar_shadow_sync(sh, first, last, mapped ? shadow_source : NULL, &src,
                     out, opaque, &budget, st);
    if (st->truncated) {
        dmar_unit_log(u, DMAR_LOG_GUEST_ERROR, "vtd-dmar: %02x:%02x.%x: "
                      "syncing MAP notifiers over 0x%" PRIx64 "-0x%" PRIx64
                      " read %llu table entries, or reached %u mappings: "
                      "the rest is left unmapped\n", sid >> 8,
                      (sid >> 3) & 0x1f, sid & 7, st->first, st->last,
                      DMAR_SHADOW_BUDGET, DMAR_SHADOW_MAX);
    }
    return mapped ? src.ctx.did : -1;
}

/* ---- probe: a translation that changes nothing ---- */

typedef struct ProbeMem {
    DmarUnit *u;
    DmarProbe *p;
    bool walk;              /* reading paging entries, not root/context */
    uint8_t level;          /* ... the next one's level */
    bool quiet;             /* scalable mode: reads are not noted */
} ProbeMem;

/* Guest memory as the walk reads it, each entry read noted as a step. */
static bool probe_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    ProbeMem *pm = opaque;
    DmarProbe *p = pm->p;
    DmarProbeStep *st = &p->step[p->nsteps];
    uint64_t e[2] = { 0, 0 };

    if (!dmar_mem_read(&pm->u->mem, gpa, buf, len)) {
        return false;
    }
    if (pm->quiet || p->nsteps == DMAR_PROBE_STEPS_MAX || len > sizeof(e)) {
        return true;        /* not a walk the unit does: not noted */
    }
    memcpy(e, buf, len);
    *st = (DmarProbeStep) {
        .table = pm->walk ? DMAR_PROBE_SECOND_STAGE :
                 p->nsteps ? DMAR_PROBE_CONTEXT : DMAR_PROBE_ROOT,
        .level = pm->walk ? pm->level-- : 0,
        .gpa = gpa, .lo = le64_to_cpu(e[0]), .hi = le64_to_cpu(e[1]),
    };
    p->nsteps++;
    return true;
}

/*
 * A probe writes nothing: writes are refused, and without cmpxchg64
 * first-stage walks leave A and D as they are.
 */
static bool probe_write(void *opaque, uint64_t gpa, const void *buf,
                        size_t len)
{
    return false;
}

static const DmarMemOps probe_mem_ops = {
    .read = probe_read,
    .write = probe_write,
};

/* The same decisions as dmar_unit_translate() on a miss, minus caching. */
void dmar_unit_probe(DmarUnit *u, const DmarRequest *req, DmarProbe *p)
{
    ProbeMem pm = { .u = u, .p = p };
    DmarMem mem = { .ops = &probe_mem_ops, .opaque = &pm };
    DmarContext ctx;

    memset(p, 0, sizeof(*p));
    if (req->addr >= DMAR_INTR_ADDR_FIRST && req->addr <= DMAR_INTR_ADDR_LAST) {
        p->mode = DMAR_PROBE_INTERRUPT;
        return;
    }
    if (!translating(u)) {
        p->mode = DMAR_PROBE_UNTRANSLATED;
        p->t = identity_page(req->addr);
        return;
    }
    p->mode = DMAR_PROBE_FAULT;
    if (ttm_fault(u, req, &p->fault)) {
        return;
    }
    if (scalable(u)) {
        bool pt;

        /* The result and the fault; the steps are legacy mode's only */
        pm.quiet = true;
        if (translate_uncached(u, req, &mem, &p->t, &p->fault,
                               &p->ctx_valid, &p->did, &pt)) {
            p->mode = pt ? DMAR_PROBE_PASSTHROUGH : DMAR_PROBE_TRANSLATED;
            p->page_level = p->t.level;
        }
        return;
    }
    if (!dmar_context_lookup(&u->cfg.hw, root_table(u), req->sid, &mem,
                             &ctx, &p->fault)) {
        p->fault.addr = req->addr;
        p->fault.is_write = req->is_write;
        return;
    }
    p->ctx_valid = true;
    p->did = ctx.did;
    pm.walk = true;
    pm.level = ctx.levels;
    if (dmar_translate(&u->cfg.hw, &ctx, req, &mem, &p->t, &p->fault)) {
        p->mode = ctx.tt == DMAR_TT_PASSTHROUGH ? DMAR_PROBE_PASSTHROUGH :
                                                  DMAR_PROBE_TRANSLATED;
        /* t.level is 1 for a large page served 4 KiB at a time (§3.15) */
        p->page_level = pm.level + 1;
    }
}

/* ---- interrupt remapping ---- */

/*
 * The interrupt remapping table as the remap reads it: IRTEs come from
 * the interrupt entry cache, or from memory (and present ones are cached).
 */
static bool iec_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    DmarUnit *u = opaque;
    uint32_t index = (gpa - u->irta.base) / 16;
    DmarIecEntry *e = &u->iec[index % DMAR_IEC_ENTRIES];
    uint64_t raw[2];

    if (len != sizeof(raw) || (gpa - u->irta.base) % 16) {
        return dmar_mem_read(&u->mem, gpa, buf, len);
    }
    if (e->valid && e->index == index) {
        u->iec_stats.hits++;
        raw[0] = cpu_to_le64(e->lo);
        raw[1] = cpu_to_le64(e->hi);
    } else {
        u->iec_stats.misses++;
        if (!dmar_mem_read(&u->mem, gpa, raw, sizeof(raw))) {
            return false;
        }
        if (FIELD_EX64(le64_to_cpu(raw[0]), IRTE_LO, P)) {
            u->iec_stats.evictions += e->valid;
            *e = (DmarIecEntry) { .lo = le64_to_cpu(raw[0]),
                                  .hi = le64_to_cpu(raw[1]),
                                  .index = index, .valid = true };
        }
    }
    memcpy(buf, raw, sizeof(raw));
    return true;
}

static const DmarMemOps iec_mem_ops = {
    .read = iec_read,
};

bool dmar_unit_remap_irq(DmarUnit *u, uint64_t addr, uint32_t data,
                         uint16_t sid, DmarIntr *r)
{
    uint32_t gsts = dmar_unit_get32(u, A_GSTS);
    DmarMem iec_mem = { .ops = &iec_mem_ops, .opaque = u };
    DmarIrFault irf = { 0 };
    DmarFault f;

    *r = (DmarIntr) { .ok = true };
    if (!(gsts & R_GSTS_IRES_MASK)) {
        return true;                    /* remapping off: as is */
    }
    if (!FIELD_EX64(addr, IR_MSI, FORMAT)) {
        /* §5.1.4: compatibility format passes only with CFIS and !EIME */
        if ((gsts & R_GSTS_CFIS_MASK) && !u->irta.eime) {
            return true;
        }
        irf.fr = DMAR_FR_IR_COMPAT;
    } else if (dmar_ir_remap(&u->irta, addr, data, sid, &iec_mem, &r->irq,
                             &irf)) {
        DmarEvent ev = { .kind = DMAR_EV_IR_REMAP,
                         .ir = { .sid = sid, .index = irf.index,
                                 .irq = r->irq } };

        r->remapped = true;
        dmar_unit_emit(u, &ev);
        return true;
    }
    f = (DmarFault) {
        .fr = irf.fr, .sid = sid, .is_write = true, .fpd = irf.fpd,
        /* §11.4.7.6: for interrupts, FI bits 63:48 hold the index */
        .addr = (uint64_t)(irf.index & 0xffff) << 48,
    };
    r->ok = false;
    r->act = dmar_unit_report_fault(u, &f);
    return false;
}
