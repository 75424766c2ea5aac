/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the vtd-dmar unit layer (dmar-unit-dma.c): DMA
 * translation (translation off, IOTLB hit and miss, the context cache,
 * the domain of a walk, fault recording and FPD, verify_iotlb's stale
 * hits, the lock-free hit path), untranslated DMA beyond the host
 * address width, the bypass decision, and interrupt remapping through
 * the interrupt entry cache and its invalidation. No QEMU: fake guest
 * memory, driven as the glue drives the unit
 * (tests/unit/dmar-unit-fixture.h).
 *
 * Each test stands for a qtest (named in its comment) and asserts the
 * same observable values: where a DMA lands becomes the translation the
 * unit returns; which vector reaches the APIC becomes the remapped
 * interrupt it returns.
 */
#include "dmar-unit-fixture.h"

#define IDENT_IN        0x00700000ull
#define IDENT_OUT       0x00710000ull

static Fx *fx_props(unsigned aw, bool pt, bool verify)
{
    DmarUnitConfig cfg = fx_config();

    cfg.aw_bits = aw;
    cfg.hw.sagaw = aw == 39 ? 0x2 : aw == 48 ? 0x6 : 0xe;
    cfg.hw.pt = pt;
    cfg.verify_iotlb = verify;
    return fx_new_cfg(&cfg);
}

/* ================= translation ================= */

typedef struct XlateCase {
    const char *name;
    unsigned aw, levels;
    uint64_t a, b;
} XlateCase;

/* qtest /vtd-dmar/translate/{3,4,5}-level */
static const XlateCase xlate_cases[] = {
    { "3-level", 48, 3, 0x7612345000ull, 0x0abcdef000ull },
    { "4-level", 48, 4, 0xfedc98765000ull, 0x00a987654000ull },
    { "5-level", 57, 5, 0x1a2b3c4d5e6f000ull, 0x0f0e0d0c0b0a000ull },
};

static void test_translate(const void *opaque)
{
    const XlateCase *c = opaque;
    Fx *f = fx_props(c->aw, true, false);
    DmarXlate x;

    tables_init(f, c->levels, 0);
    /* context-entry bits 6:3 of the upper word are ignored */
    set_ctx(f, ctx_lo(f), ctx_hi(f) | 0x78);
    map(f, c->a, PAGE_P1, 1, PTE_R);
    map(f, c->a + 0x1000, PAGE_P3, 1, PTE_R);
    map(f, c->b, PAGE_P2, 1, PTE_W);
    /* bits 10 and 52..61 of a leaf are ignored too */
    map(f, c->b + 0x1000, PAGE_OUT, 1, PTE_RW | 1ull << 10 | 1ull << 52);
    dmar_enable(f, ROOT_TABLE);

    g_assert_true(fx_dma(f, c->a + 0x100, false, &x));
    g_assert_false(x.hit);
    g_assert_true(x.walked);
    g_assert_false(x.untranslated);
    g_assert_cmphex(x.did, ==, DOMAIN);
    g_assert_cmphex(x.t.pa, ==, PAGE_P1);
    g_assert_cmphex(x.t.iova, ==, c->a);
    g_assert_cmphex(x.t.mask, ==, 0xfff);
    g_assert_cmpuint(x.t.perm, ==, DMAR_PERM_R);
    g_assert_cmpuint(x.act, ==, 0);
    /* the same page again: from the IOTLB, no walk */
    g_assert_true(fx_dma(f, c->a + 0x180, false, &x));
    g_assert_true(x.hit);
    g_assert_false(x.walked);
    g_assert_cmphex(x.t.pa, ==, PAGE_P1);
    g_assert_cmphex(xlate(f, c->b + 0x180, true), ==, PAGE_P2 + 0x180);
    g_assert_cmphex(xlate(f, c->b + 0x1000, true), ==, PAGE_OUT);
    g_assert_cmphex(xlate(f, c->b + 0x1fff, false), ==, PAGE_OUT + 0xfff);
    g_assert_cmphex(xlate(f, c->a + 0x1800, false), ==, PAGE_P3 + 0x800);
    /* read-only and write-only pages the other way: faults */
    fault_of(f, c->a, true, FR_WRITE);
    assert_frcd(f, 0, c->a, FR_WRITE, true);
    frcd_clear(f, 0);
    fault_of(f, c->b, false, FR_READ);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(1));
    fx_free(f);
}

/* qtest /vtd-dmar/translate/superpages */
static void test_translate_superpages(void)
{
    Fx *f = fx_new();
    const uint64_t iova_2m = 0x1234600000ull;
    const uint64_t iova_1g = 0x4080000000ull;
    DmarXlate x;

    tables_init(f, 4, 0);
    map(f, iova_2m, BIG_2M_A, 2, PTE_R);
    map(f, iova_1g, 0, 3, PTE_RW);
    dmar_enable(f, ROOT_TABLE);

    g_assert_true(fx_dma(f, iova_2m + 0x1a340, false, &x));
    g_assert_cmphex(x.t.mask, ==, 0x1fffff);
    g_assert_cmpuint(x.t.level, ==, 2);
    g_assert_cmphex(x.t.pa, ==, BIG_2M_A);
    g_assert_cmphex(xlate(f, iova_1g + PAGE_P2 + 0x40, true), ==,
                    PAGE_P2 + 0x40);
    g_assert_true(fx_dma(f, iova_1g + 0x3fffffff, true, &x));
    g_assert_cmphex(x.t.mask, ==, 0x3fffffff);
    g_assert_cmpuint(x.t.level, ==, 3);
    /* other pages of the same large pages: hits */
    g_assert_true(fx_dma(f, iova_2m + 0x1f0040, false, &x));
    g_assert_true(x.hit);
    g_assert_cmphex(x.t.pa | (0x1f0040 & x.t.mask), ==, BIG_2M_A + 0x1f0040);
    g_assert_cmphex(xlate(f, iova_1g + BIG_2M_A + 0x1a340, false), ==,
                    BIG_2M_A + 0x1a340);
    g_assert_cmphex(fsts(f), ==, 0);
    fx_free(f);
}

/* The answer for IOVA: PA, a block of MASK */
static void assert_block(Fx *f, uint64_t iova, bool write, uint64_t pa,
                         uint64_t mask)
{
    DmarXlate x;

    g_assert_true(fx_dma(f, iova, write, &x));
    g_assert_cmphex(x.t.mask, ==, mask);
    g_assert_cmphex(x.t.iova, ==, iova & ~mask);
    g_assert_cmphex(x.t.pa, ==, pa);
}

/*
 * qtest /vtd-dmar/spec/two-iovas-one-page: two IOVA pages mapping the
 * same physical page are answered each as its own page, from the walk
 * and from the IOTLB.
 */
static void test_two_iovas_one_page(void)
{
    Fx *f = fx_new();
    const uint64_t two = 0x40000000ull;

    tables_init(f, 3, 0);
    map(f, two, PAGE_P1, 1, PTE_R);
    map(f, two + 0x1000, PAGE_P1, 1, PTE_R);
    dmar_enable(f, ROOT_TABLE);
    for (unsigned i = 0; i < 2; i++) {
        assert_block(f, two, false, PAGE_P1, 0xfff);
        assert_block(f, two + 0x1000, false, PAGE_P1, 0xfff);
    }
    iotlb_inv(f, GRAN_GLOBAL, 0, 0);
    assert_block(f, two + 0x1000, false, PAGE_P1, 0xfff);
    assert_block(f, two, false, PAGE_P1, 0xfff);
    assert_no_fault(f);
    fx_free(f);
}

/* qtest /vtd-dmar/translate/te-off */
static void test_translate_te_off(void)
{
    Fx *f = fx_new();
    DmarXlate x;

    tables_init(f, 3, 0);
    map(f, IDENT_IN, PAGE_P1, 1, PTE_R);
    map(f, IDENT_OUT, PAGE_P2, 1, PTE_W);

    /* root table set, translation not enabled: untranslated */
    wr64(f, REG_RTADDR, ROOT_TABLE);
    wr32(f, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_RTPS);
    g_assert_true(fx_dma(f, IDENT_IN + 0x123, false, &x));
    g_assert_true(x.untranslated);
    g_assert_false(x.hit || x.walked);
    g_assert_cmphex(x.t.pa, ==, IDENT_IN);
    g_assert_cmphex(x.t.iova, ==, IDENT_IN);
    g_assert_cmphex(x.t.mask, ==, 0xfff);
    g_assert_cmpuint(x.t.perm, ==, DMAR_PERM_RW);
    g_assert_cmphex(xlate(f, IDENT_OUT, true), ==, IDENT_OUT);
    /* anything at all, even where nothing is mapped */
    g_assert_cmphex(xlate(f, 0xffffffffff000ull, true), ==,
                    0xffffffffff000ull);

    wr32(f, REG_GCMD, GCMD_TE);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    g_assert_true(fx_dma(f, IDENT_IN, false, &x));
    g_assert_false(x.untranslated);
    g_assert_cmphex(x.t.pa, ==, PAGE_P1);
    g_assert_cmphex(xlate(f, IDENT_OUT, true), ==, PAGE_P2);

    wr32(f, REG_GCMD, 0);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_RTPS);
    g_assert_cmphex(xlate(f, IDENT_IN, false), ==, IDENT_IN);
    g_assert_cmphex(xlate(f, IDENT_OUT, true), ==, IDENT_OUT);

    wr32(f, REG_GCMD, GCMD_TE);
    g_assert_cmphex(xlate(f, IDENT_IN, false), ==, PAGE_P1);
    g_assert_cmphex(xlate(f, IDENT_OUT, true), ==, PAGE_P2);
    g_assert_cmphex(fsts(f), ==, 0);
    fx_free(f);
}

/*
 * The glue's lock-free hit path: it answers only IOTLB hits, as the
 * locked path would (the fixture's fx_dma() checks that on every DMA),
 * and not at all where more than the IOTLB decides.
 */
static bool shared(Fx *f, uint64_t iova, uint8_t need, bool exec,
                   DmarXlate *x)
{
    DmarRequest req = {
        .addr = iova, .sid = EDU_SID, .pasid = DMAR_NO_PASID,
        .type = DMAR_REQ_UNTRANSLATED, .is_write = need & DMAR_PERM_W,
        .exec = exec,
    };

    return dmar_unit_translate_shared(&f->u, &req, need, &x->t);
}

static void test_translate_shared(void)
{
    DmarUnitConfig cfg = fx_config();
    const char *why;
    uint64_t hits;
    Saved saved;
    DmarXlate x;
    Fx *f, *g;

    cfg.abort_dma = true;
    f = fx_new_cfg(&cfg);

    tables_init(f, 3, 0);
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    wr64(f, REG_RTADDR, ROOT_TABLE);
    wr32(f, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, IOVA_A);
    /* translation off: the identity is not the IOTLB's to give */
    g_assert_false(shared(f, IOVA_A, DMAR_PERM_R, false, &x));
    wr32(f, REG_GCMD, GCMD_TE);
    /* a miss is the locked path's (it walks) */
    g_assert_false(shared(f, IOVA_A, DMAR_PERM_R, false, &x));
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    hits = f->u.iotlb.stats.hits;
    memset(&x, 0xa5, sizeof(x));
    g_assert_true(shared(f, IOVA_A + 0x10, DMAR_PERM_R, false, &x));
    g_assert_cmphex(x.t.iova, ==, IOVA_A);
    g_assert_cmphex(x.t.pa, ==, PAGE_P1);
    g_assert_cmphex(x.t.mask, ==, 0xfff);
    g_assert_cmpuint(x.t.perm, ==, DMAR_PERM_R);
    /* it counts nothing: the caller counts its hits */
    g_assert_cmpuint(f->u.iotlb.stats.hits, ==, hits);
    /* a write needs W, which the entry lacks: the locked path faults */
    g_assert_false(shared(f, IOVA_A, DMAR_PERM_W, false, &x));
    fault_of(f, IOVA_A, true, FR_WRITE);
    /* execute requests never come from the IOTLB */
    g_assert_false(shared(f, IOVA_A, DMAR_PERM_R, true, &x));
    /* invalidated: gone until walked again */
    iotlb_inv(f, GRAN_GLOBAL, 0, 0);
    g_assert_false(shared(f, IOVA_A, DMAR_PERM_R, false, &x));
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    g_assert_true(shared(f, IOVA_A, DMAR_PERM_R, false, &x));
    /* translation off again, with the entry still cached */
    wr32(f, REG_GCMD, 0);
    g_assert_false(shared(f, IOVA_A, DMAR_PERM_R, false, &x));
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, IOVA_A);
    wr32(f, REG_GCMD, GCMD_TE);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    g_assert_true(shared(f, IOVA_A, DMAR_PERM_R, false, &x));
    /* a root pointer in abort-DMA mode: every request faults */
    wr64(f, REG_RTADDR, ROOT_TABLE | TTM(3));
    wr32(f, REG_GCMD, GCMD_TE | GCMD_SRTP);
    g_assert_false(shared(f, IOVA_A, DMAR_PERM_R, false, &x));
    fault_of(f, IOVA_A, false, FR_ABORT_DMA);
    wr64(f, REG_RTADDR, ROOT_TABLE);
    wr32(f, REG_GCMD, GCMD_TE | GCMD_SRTP);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    g_assert_true(shared(f, IOVA_A, DMAR_PERM_R, false, &x));
    /* a migrated unit answers once its registers are loaded */
    fx_save(f, &saved);
    g = fx_load(f, &cfg, &saved, &why);
    g_assert_null(why);
    g_assert_false(shared(g, IOVA_A, DMAR_PERM_R, false, &x));
    g_assert_cmphex(xlate(g, IOVA_A, false), ==, PAGE_P1);
    g_assert_true(shared(g, IOVA_A, DMAR_PERM_R, false, &x));
    fx_free(g);
    /* reset: translation off */
    fx_act(f, dmar_unit_reset(&f->u));
    g_assert_false(shared(f, IOVA_A, DMAR_PERM_R, false, &x));
    fx_free(f);

    /* verify-iotlb checks every hit against the tables: the lock's work */
    cfg = fx_config();
    cfg.verify_iotlb = true;
    f = fx_new_cfg(&cfg);
    tables_init(f, 3, 0);
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_enable(f, ROOT_TABLE);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    g_assert_cmpuint(f->u.iotlb.stats.hits, ==, 1);
    g_assert_false(shared(f, IOVA_A, DMAR_PERM_R, false, &x));
    fx_free(f);
}

/*
 * x-run-answers: a lock-free hit answers the naturally aligned run of
 * contiguously mapped pages around the address, out of the leaves that
 * its group's miss cached, and each page of it is what the tables map.
 * A page unmapped and invalidated leaves the runs at once, and faults.
 * Off, a hit answers its own page.
 */
static void test_translate_runs(void)
{
    const uint64_t grp = 0x40000000ull, out = 0x04000000ull;
    DmarUnitConfig cfg = fx_config();
    DmarXlate x;
    Fx *f;

    for (int on = 0; on <= 1; on++) {
        cfg.run_answers = on;
        f = fx_new_cfg(&cfg);
        tables_init(f, 3, 0);
        for (unsigned i = 0; i < 64; i++) {
            map(f, grp + i * 0x1000ull, out + i * 0x1000ull, 1, PTE_RW);
        }
        dmar_enable(f, ROOT_TABLE);
        /* the miss caches the group; the others hit */
        for (unsigned i = 0; i < 64; i++) {
            g_assert_cmphex(xlate(f, grp + i * 0x1000ull + 0x80, true), ==,
                            out + i * 0x1000ull + 0x80);
        }
        g_assert_true(shared(f, grp + 0x5123, DMAR_PERM_W, false, &x));
        g_assert_cmphex(x.t.mask, ==, on ? 0x3ffff : 0xfff);
        g_assert_cmphex(x.t.iova, ==, on ? grp : grp + 0x5000);
        g_assert_cmphex(x.t.pa, ==, on ? out : out + 0x5000);
        g_assert_cmpuint(x.t.perm, ==, DMAR_PERM_RW);
        if (!on) {
            fx_free(f);
        }
    }

    set_pte(f, grp + 20 * 0x1000ull, 1, 0);
    iotlb_inv(f, GRAN_PAGE, DOMAIN, grp + 20 * 0x1000ull);
    g_assert_false(shared(f, grp + 20 * 0x1000ull, DMAR_PERM_R, false, &x));
    fault_of(f, grp + 20 * 0x1000ull, false, FR_READ);
    g_assert_true(shared(f, grp + 0x5000, DMAR_PERM_R, false, &x));
    g_assert_cmphex(x.t.mask, ==, 0xffff);
    g_assert_true(shared(f, grp + 0x15000, DMAR_PERM_R, false, &x));
    g_assert_cmphex(x.t.mask, ==, 0xfff);
    g_assert_true(shared(f, grp + 0x30000, DMAR_PERM_R, false, &x));
    g_assert_cmphex(x.t.iova, ==, grp + 0x20000);
    g_assert_cmphex(x.t.mask, ==, 0x1ffff);
    /* a domain-wide invalidation: no run until the group is walked again */
    iotlb_inv(f, GRAN_DOMAIN, DOMAIN, 0);
    g_assert_false(shared(f, grp + 0x5000, DMAR_PERM_R, false, &x));
    fx_free(f);
}

/* qtest /vtd-dmar/translate/passthrough */
static void test_translate_passthrough(void)
{
    Fx *f = fx_new();
    DmarXlate x;

    tables_init(f, 3, CTX_TT(TT_PASSTHROUGH));
    dmar_enable(f, ROOT_TABLE);
    g_assert_true(fx_dma(f, IDENT_IN + 0x10, false, &x));
    g_assert_false(x.untranslated);
    g_assert_true(x.walked);
    g_assert_cmphex(x.did, ==, DOMAIN);
    g_assert_cmphex(x.t.pa, ==, IDENT_IN);
    g_assert_cmphex(x.t.mask, ==, 0xfff);
    g_assert_cmpuint(x.t.perm, ==, DMAR_PERM_RW);
    /* the identity is no IOTLB entry: walked again */
    g_assert_true(fx_dma(f, IDENT_IN + 0x10, false, &x));
    g_assert_false(x.hit);
    g_assert_cmphex(xlate(f, IDENT_OUT, true), ==, IDENT_OUT);
    g_assert_true(dmar_unit_bypass(&f->u, EDU_SID));

    /* the same device switched to translation, after invalidation */
    map(f, IDENT_IN, PAGE_P1, 1, PTE_R);
    map(f, IDENT_OUT, PAGE_P2, 1, PTE_W);
    set_ctx(f, f->slpt | CTX_TT(TT_XLATE) | CTX_P, ctx_hi(f));
    g_assert_false(dmar_unit_bypass(&f->u, EDU_SID));
    g_assert_cmphex(xlate(f, IDENT_IN, false), ==, IDENT_IN);  /* cached */
    g_assert_cmphex(CCMD_CAIG(ccmd_inv(f, CCMD_CIRG(GRAN_GLOBAL))), ==,
                    GRAN_GLOBAL);
    iotlb_inv(f, GRAN_GLOBAL, 0, 0);
    g_assert_cmphex(xlate(f, IDENT_IN, false), ==, PAGE_P1);
    g_assert_cmphex(xlate(f, IDENT_OUT, true), ==, PAGE_P2);

    /* and back to pass-through */
    set_ctx(f, f->slpt | CTX_TT(TT_PASSTHROUGH) | CTX_P, ctx_hi(f));
    ccmd_inv(f, CCMD_CIRG(GRAN_DEVICE) | CCMD_SID(EDU_SID) |
             CCMD_DID(DOMAIN));
    iotlb_inv(f, GRAN_DOMAIN, DOMAIN, 0);
    g_assert_cmphex(xlate(f, IDENT_IN, false), ==, IDENT_IN);
    g_assert_cmphex(xlate(f, IDENT_OUT, true), ==, IDENT_OUT);
    g_assert_cmphex(fsts(f), ==, 0);
    fx_free(f);
}

/* qtest /vtd-dmar/translate/passthrough-late */
static void test_translate_passthrough_late(void)
{
    Fx *f = fx_new();

    tables_init(f, 3, CTX_TT(TT_PASSTHROUGH));
    set_ctx(f, 0, 0);
    dmar_enable(f, ROOT_TABLE);
    set_ctx(f, f->slpt | CTX_TT(TT_PASSTHROUGH) | CTX_P,
            CTX_AW(3) | CTX_DID(DOMAIN));
    g_assert_cmphex(xlate(f, IDENT_IN + 0x800, false), ==, IDENT_IN + 0x800);
    g_assert_cmphex(xlate(f, IDENT_IN + 0x1400, false), ==,
                    IDENT_IN + 0x1400);
    g_assert_cmphex(xlate(f, IDENT_OUT + 0x400, true), ==, IDENT_OUT + 0x400);
    g_assert_cmphex(fsts(f), ==, 0);

    /* beyond the host address width: reason 4h */
    fault_of(f, 1ull << 48, false, FR_BEYOND_AW);
    assert_frcd(f, 0, 1ull << 48, FR_BEYOND_AW, false);
    fx_free(f);
}

/* qtest /vtd-dmar/translate/srtp */
static void test_translate_srtp(void)
{
    Fx *f = fx_new();
    uint64_t slpt1;

    tables_init(f, 3, 0);
    slpt1 = f->slpt;
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    map(f, IOVA_B, PAGE_OUT, 1, PTE_W);

    fx_zero(f, ROOT_TABLE2, 0x1000);
    fx_zero(f, CTX_TABLE2, 0x1000);
    f->slpt = table_new(f);
    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    map(f, IOVA_B, PAGE_OUT, 1, PTE_W);
    fx_w64(f, ROOT_TABLE2, CTX_TABLE2 | ROOT_P);
    fx_w64(f, CTX_TABLE2 + EDU_DEVFN * 16, f->slpt | CTX_P);
    fx_w64(f, CTX_TABLE2 + EDU_DEVFN * 16 + 8,
           CTX_AW(3) | CTX_DID(DOMAIN + 1));
    f->slpt = slpt1;

    dmar_enable(f, ROOT_TABLE);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);

    /* RTADDR alone changes nothing: the unit uses the latched pointer */
    wr64(f, REG_RTADDR, ROOT_TABLE2);
    ccmd_inv(f, CCMD_CIRG(GRAN_GLOBAL));
    iotlb_inv(f, GRAN_GLOBAL, 0, 0);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);

    /* SRTP with TE kept set switches tables while translating */
    wr32(f, REG_GCMD, GCMD_TE | GCMD_SRTP);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    {
        DmarXlate x;

        g_assert_true(fx_dma(f, IOVA_A, false, &x));
        g_assert_cmphex(x.t.pa, ==, PAGE_P2);
        g_assert_cmphex(x.did, ==, DOMAIN + 1);
    }
    g_assert_cmphex(rd64(f, REG_RTADDR), ==, ROOT_TABLE2);

    /* GCMD carries TE in every write: SRTP alone turns translation off */
    wr32(f, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_RTPS);
    g_assert_cmphex(xlate(f, IDENT_IN, false), ==, IDENT_IN);
    g_assert_cmphex(fsts(f), ==, 0);
    fx_free(f);
}

/* ================= fault reasons ================= */

typedef struct FaultCase {
    const char *name;
    unsigned aw;
    bool no_pt;
    uint8_t fr;
    bool write;
    void (*setup)(Fx *f, ScnFaultEnv *e);
} FaultCase;

static void fc_root_rsvd_at_haw(Fx *f, ScnFaultEnv *e)
{
    set_root(f, CTX_TABLE | ROOT_P | 1ull << FX_HAW, 0);
}

static void fc_intr_addr(Fx *f, ScnFaultEnv *e)
{
    map(f, IOVA_F, 0xfee00000ull, 1, PTE_RW);
}

/*
 * qtest /vtd-dmar/fault/<name> (the "-mmio" ones: no memory there for
 * the unit either), /vtd-dmar/fault/slptptr-read-error, and the
 * interrupt address range (§3.15)
 */
static const FaultCase fault_cases[] = {
    { "root-not-present", 48, false, FR_ROOT_NP, true, scn_fc_root_absent },
    { "ctx-not-present", 48, false, FR_CTX_NP, false, scn_fc_ctx_absent },
    { "ctx-tt-reserved", 48, false, FR_CTX_INV, true, scn_fc_ctx_tt_reserved },
    { "ctx-tt-devtlb", 48, false, FR_CTX_INV, false, scn_fc_ctx_tt_devtlb },
    { "ctx-tt-pt-off", 48, true, FR_CTX_INV, true, scn_fc_ctx_tt_passthrough },
    { "ctx-aw-5level", 48, false, FR_CTX_INV, false, scn_fc_ctx_aw5 },
    { "ctx-aw-4level-aw39", 39, false, FR_CTX_INV, true, scn_fc_ctx_aw4 },
    { "ctx-aw-reserved", 48, false, FR_CTX_INV, true, scn_fc_ctx_aw_reserved },
    { "addr-beyond-aw", 48, false, FR_BEYOND_AW, true, scn_fc_beyond_aw },
    { "addr-beyond-aw-read", 48, false, FR_BEYOND_AW, false, scn_fc_beyond_aw },
    { "write-read-only", 48, false, FR_WRITE, true, scn_fc_read_only },
    { "write-not-present", 48, false, FR_WRITE, true, scn_fc_l3_absent },
    { "write-nonleaf-read-only", 48, false, FR_WRITE, true,
      scn_fc_nonleaf_read_only },
    { "read-write-only", 48, false, FR_READ, false, scn_fc_write_only },
    { "read-not-present", 48, false, FR_READ, false, scn_fc_leaf_absent },
    { "read-not-present-rsvd", 48, false, FR_READ, false,
      scn_fc_leaf_absent_rsvd },
    { "read-nonleaf-write-only", 48, false, FR_READ, false,
      scn_fc_nonleaf_write_only },
    { "pte-read-error", 48, false, FR_PTE_ACCESS, false, scn_fc_pte_no_ram },
    { "pte-read-error-write", 48, false, FR_PTE_ACCESS, true,
      scn_fc_pte_no_ram },
    { "root-read-error", 48, false, FR_ROOT_ACCESS, true, scn_fc_rta_no_ram },
    { "root-table-at-mmio", 48, false, FR_ROOT_ACCESS, false, scn_fc_rta_mmio },
    { "ctx-read-error", 48, false, FR_CTX_ACCESS, false, scn_fc_ctp_no_ram },
    { "ctx-table-at-mmio", 48, false, FR_CTX_ACCESS, true, scn_fc_ctp_mmio },
    { "root-rsvd-lo", 48, false, FR_ROOT_RSVD, true, scn_fc_root_rsvd_lo },
    { "root-rsvd-hi", 48, false, FR_ROOT_RSVD, false, scn_fc_root_rsvd_hi },
    { "root-rsvd-haw", 48, false, FR_ROOT_RSVD, false, scn_fc_root_rsvd_haw },
    { "root-rsvd-at-haw", 48, false, FR_ROOT_RSVD, false,
      fc_root_rsvd_at_haw },
    { "ctx-rsvd-lo", 48, false, FR_CTX_RSVD, false, scn_fc_ctx_rsvd_lo },
    { "ctx-rsvd-hi-bit7", 48, false, FR_CTX_RSVD, true, scn_fc_ctx_rsvd_hi7 },
    { "ctx-rsvd-hi", 48, false, FR_CTX_RSVD, false, scn_fc_ctx_rsvd_hi },
    { "pte-rsvd-snp", 48, false, FR_PTE_RSVD, true, scn_fc_pte_snp },
    { "pte-rsvd-addr", 48, false, FR_PTE_RSVD, false, scn_fc_pte_addr_haw },
    { "pte-rsvd-table-addr", 48, false, FR_PTE_RSVD, true,
      scn_fc_table_addr_haw },
    { "pte-rsvd-ps-level4", 48, false, FR_PTE_RSVD, true, scn_fc_pte_ps_l4 },
    { "pte-rsvd-2m-unaligned", 48, false, FR_PTE_RSVD, false,
      scn_fc_pte_2m_unaligned },
    { "slptptr-read-error", 48, false, FR_CTX_INV, false,
      scn_fc_slptptr_no_ram },
    { "intr-addr-range", 48, false, FR_INTR_ADDR, true, fc_intr_addr },
};

/*
 * Good tables (IOVA_F -> PAGE_T, read/write), broken as the case says:
 * the DMA is refused with the reason, recorded once (a DMA is several
 * bus transactions: the same fault is collapsed), reported as an event
 * and logged; the unmasked fault event goes out once.
 */
static void test_fault(const void *opaque)
{
    const FaultCase *c = opaque;
    Fx *f = fx_props(c->aw, !c->no_pt, false);
    ScnFaultEnv e = { .rta = ROOT_TABLE, .iova = IOVA_F };
    const DmarEvent *ev;
    DmarXlate x;
    g_autofree char *line = NULL;

    tables_init(f, 3, 0);
    map(f, IOVA_F, PAGE_T, 1, PTE_RW);
    c->setup(f, &e);
    wr32(f, REG_FEDATA, 0x77);
    wr32(f, REG_FECTL, 0);
    dmar_enable(f, e.rta);
    fx_clear_events(f);
    fx_clear_log(f);

    for (unsigned i = 0; i < 3; i++) {
        g_assert_false(fx_dma(f, e.iova + i * 8, c->write, &x));
        g_assert_cmphex(x.fault.fr, ==, c->fr);
        g_assert_cmphex(x.fault.addr, ==, e.iova + i * 8);
        g_assert_cmphex(x.fault.sid, ==, EDU_SID);
        g_assert_cmpint(x.fault.is_write, ==, c->write);
        g_assert_false(x.fault.fpd);
        g_assert_false(x.hit);
        g_assert_false(x.walked);
        g_assert_cmpuint(x.act, ==, i ? 0 : DMAR_ACT_FAULT_EVENT);
    }
    assert_frcd(f, 0, e.iova, c->fr, c->write);
    g_assert_cmphex(rd64(f, REG_FRCD(1) + 8), ==, 0);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(0));
    g_assert_cmpuint(f->fe_count, ==, 1);
    g_assert_cmpuint(fx_count(f, DMAR_EV_FAULT), ==, 3);
    ev = fx_last(f, DMAR_EV_FAULT);
    g_assert_cmphex(ev->fault.fr, ==, c->fr);
    line = g_strdup_printf("G: vtd-dmar: DMA %s fault, sid 00:04.0 addr "
                           "0x%" PRIx64 " reason 0x%x\n",
                           c->write ? "write" : "read", (uint64_t)e.iova,
                           c->fr);
    g_assert_cmpuint(f->log->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(f->log, 0), ==, line);
    fx_free(f);
}

/*
 * An answer says which domain gave it (what a drain compares against the
 * domain invalidated): the walk's, the IOTLB entry's on both hit paths
 */
static void test_translate_did(void)
{
    Fx *f = fx_new();
    DmarRequest req = {
        .addr = IOVA_A, .sid = EDU_SID, .pasid = DMAR_NO_PASID,
        .type = DMAR_REQ_UNTRANSLATED,
    };
    DmarXlate x;
    uint16_t did;

    tables_init(f, 3, 0);
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    /* translation off: no domain gave the identity, so every one */
    memset(&x, 0xa5, sizeof(x));
    g_assert_true(dmar_unit_translate(&f->u, &req, DMAR_PERM_R, true, &x));
    g_assert_true(x.untranslated);
    g_assert_cmpuint(dmar_xlate_domain_tag(&x), ==, DMAR_RANGE_ANY);
    dmar_enable(f, ROOT_TABLE);
    memset(&x, 0xa5, sizeof(x));
    g_assert_true(dmar_unit_translate(&f->u, &req, DMAR_PERM_R, true, &x));
    g_assert_true(x.walked);
    g_assert_false(x.hit);
    g_assert_cmphex(x.did, ==, DOMAIN);
    g_assert_cmpuint(dmar_xlate_domain_tag(&x), ==, DOMAIN + 1);
    memset(&x, 0xa5, sizeof(x));
    g_assert_true(dmar_unit_translate(&f->u, &req, DMAR_PERM_R, true, &x));
    g_assert_true(x.hit);
    g_assert_false(x.walked);
    g_assert_cmphex(x.did, ==, DOMAIN);
    g_assert_cmpuint(dmar_xlate_domain_tag(&x), ==, DOMAIN + 1);
    did = 0xa5a5;
    g_assert_true(dmar_unit_translate_shared_did(&f->u, &req, DMAR_PERM_R,
                                                 &x.t, &did));
    g_assert_cmphex(x.t.pa, ==, PAGE_P1);
    g_assert_cmphex(did, ==, DOMAIN);
    fx_free(f);
}

/* A fault is recorded only when asked (RECORD) */
static void test_fault_no_record(void)
{
    Fx *f = fx_new();
    DmarRequest req = {
        .addr = IOVA_C, .sid = EDU_SID, .pasid = DMAR_NO_PASID,
    };
    DmarXlate x;

    tables_init(f, 3, 0);
    wr32(f, REG_FECTL, 0);
    dmar_enable(f, ROOT_TABLE);
    g_assert_false(dmar_unit_translate(&f->u, &req, DMAR_PERM_R, false, &x));
    g_assert_cmphex(x.fault.fr, ==, FR_READ);
    g_assert_cmpuint(x.act, ==, 0);
    assert_no_fault(f);
    g_assert_cmpuint(fx_count(f, DMAR_EV_FAULT), ==, 0);
    /* and a request with a PASID is blocked in a legacy context */
    map(f, IOVA_C, PAGE_P1, 1, PTE_RW);
    req.pasid = 5;
    g_assert_false(dmar_unit_translate(&f->u, &req, DMAR_PERM_R, true, &x));
    g_assert_cmphex(x.fault.fr, ==, 0xd);
    g_assert_cmpuint(x.act, ==, DMAR_ACT_FAULT_EVENT);
    fx_free(f);
}

/* qtest /vtd-dmar/fault/passthrough-beyond-mgaw */
static void test_fault_passthrough_beyond(void)
{
    Fx *f = fx_new();
    const uint64_t iova = IDENT_IN | 1ull << 50;

    tables_init(f, 4, CTX_TT(TT_PASSTHROUGH));
    dmar_enable(f, ROOT_TABLE);
    fault_of(f, iova, false, FR_BEYOND_AW);
    assert_frcd(f, 0, iova, FR_BEYOND_AW, false);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(0));
    fx_free(f);
}

/* qtest /vtd-dmar/fault/fpd */
static void test_fault_fpd(void)
{
    Fx *f = fx_new();
    DmarXlate x;

    tables_init(f, 3, CTX_FPD);
    map(f, IOVA_B, PAGE_P2, 1, PTE_R);
    wr32(f, REG_FECTL, 0);
    dmar_enable(f, ROOT_TABLE);

    /* qualified faults are not recorded, but still reported as events */
    fx_clear_events(f);
    fault_of(f, IOVA_A, false, FR_READ);
    fault_of(f, IOVA_B, true, FR_WRITE);
    g_assert_false(fx_dma(f, IOVA_A | 1ull << 40, false, &x));
    g_assert_cmphex(x.fault.fr, ==, FR_BEYOND_AW);
    g_assert_true(x.fault.fpd);
    g_assert_cmpuint(x.act, ==, 0);
    g_assert_cmpuint(fx_count(f, DMAR_EV_FAULT), ==, 3);
    g_assert_true(fx_last(f, DMAR_EV_FAULT)->fault.fpd);
    g_assert_cmphex(fsts(f), ==, 0);
    g_assert_cmphex(rd64(f, REG_FRCD(0) + 8), ==, 0);
    g_assert_cmpuint(f->fe_count, ==, 0);
    g_assert_cmpuint(fx_logged(f, "fault"), ==, 0);

    set_ctx(f, CTX_FPD | f->slpt, ctx_hi(f));
    ccmd_inv(f, CCMD_CIRG(GRAN_GLOBAL));
    iotlb_inv(f, GRAN_GLOBAL, 0, 0);
    fault_of(f, IOVA_C, false, FR_CTX_NP);
    g_assert_cmphex(fsts(f), ==, 0);

    /* a reserved context bit (0xb) is not a qualified fault */
    set_ctx(f, CTX_FPD | CTX_P | 1ull << 4 | f->slpt, ctx_hi(f));
    ccmd_inv(f, CCMD_CIRG(GRAN_GLOBAL));
    fault_of(f, IOVA_A, false, FR_CTX_RSVD);
    assert_frcd(f, 0, IOVA_A, FR_CTX_RSVD, false);

    /* nor is a root entry that is not present */
    set_ctx(f, CTX_FPD | CTX_P | f->slpt, ctx_hi(f));
    set_root(f, CTX_TABLE, 0);
    ccmd_inv(f, CCMD_CIRG(GRAN_GLOBAL));
    fault_of(f, IOVA_B, true, FR_ROOT_NP);
    assert_frcd(f, 1, IOVA_B, FR_ROOT_NP, true);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(0));
    g_assert_cmpuint(f->fe_count, ==, 1);
    fx_free(f);
}

/* ================= probe (x-vtd-dmar-translate) ================= */

#define PROBE_2M        0x00600000ull   /* a 2 MiB page */

/* What a probe must leave as it was */
typedef struct ProbeState {
    uint32_t regs[SNAP_WORDS];
    DmarCacheStats iotlb, ctx, iec;
    unsigned events, writes, cas;
} ProbeState;

static void probe_state(Fx *f, ProbeState *st)
{
    snapshot(f, st->regs);
    st->iotlb = f->u.iotlb.stats;
    st->ctx = f->u.ctx_cache.stats;
    st->iec = f->u.iec_stats;
    st->events = f->ev->len;
    st->writes = f->mem.write_calls;
    st->cas = f->mem.cas_calls;
}

static void assert_same_state(const ProbeState *a, const ProbeState *b)
{
    assert_same_regs(a->regs, b->regs);
    g_assert_cmpmem(&a->iotlb, sizeof(a->iotlb), &b->iotlb, sizeof(b->iotlb));
    g_assert_cmpmem(&a->ctx, sizeof(a->ctx), &b->ctx, sizeof(b->ctx));
    g_assert_cmpmem(&a->iec, sizeof(a->iec), &b->iec, sizeof(b->iec));
    g_assert_cmpuint(a->events, ==, b->events);
    g_assert_cmpuint(a->writes, ==, b->writes);
    g_assert_cmpuint(a->cas, ==, b->cas);
}

/* Probe the device's request at IOVA; assert that it changed nothing */
static void probe(Fx *f, uint64_t iova, bool write, uint32_t pasid,
                  DmarProbe *p)
{
    DmarRequest req = {
        .addr = iova, .sid = EDU_SID, .pasid = pasid,
        .type = DMAR_REQ_UNTRANSLATED, .is_write = write,
    };
    ProbeState before, after;

    probe_state(f, &before);
    dmar_unit_probe(&f->u, &req, p);
    probe_state(f, &after);
    assert_same_state(&before, &after);
}

static void assert_step(const DmarProbe *p, unsigned i, DmarProbeTable table,
                        unsigned level, uint64_t gpa, uint64_t lo)
{
    g_assert_cmpuint(i, <, p->nsteps);
    g_assert_cmpuint(p->step[i].table, ==, table);
    g_assert_cmpuint(p->step[i].level, ==, level);
    g_assert_cmphex(p->step[i].gpa, ==, gpa);
    g_assert_cmphex(p->step[i].lo, ==, lo);
}

/*
 * Every entry the walk reads, top down, with what it holds; the result
 * is the translation the DMA then gets. Nothing is cached: the DMA after
 * the probe misses the IOTLB and the context cache.
 */
static void test_probe_translate(const void *opaque)
{
    const XlateCase *c = opaque;
    Fx *f = fx_props(c->aw, true, false);
    DmarProbe p;
    DmarXlate x;

    tables_init(f, c->levels, 0);
    map(f, c->a, PAGE_P1, 1, PTE_R);
    map(f, c->b, PROBE_2M, 2, PTE_RW);
    dmar_enable(f, ROOT_TABLE);

    for (unsigned i = 0; i < 3; i++) {
        probe(f, c->a + 0x123, false, DMAR_NO_PASID, &p);
    }
    g_assert_cmpuint(p.mode, ==, DMAR_PROBE_TRANSLATED);
    g_assert_true(p.ctx_valid);
    g_assert_cmphex(p.did, ==, DOMAIN);
    g_assert_cmpuint(p.nsteps, ==, 2 + c->levels);
    assert_step(&p, 0, DMAR_PROBE_ROOT, 0, ROOT_TABLE, CTX_TABLE | ROOT_P);
    g_assert_cmphex(p.step[0].hi, ==, 0);
    assert_step(&p, 1, DMAR_PROBE_CONTEXT, 0, CTX_TABLE + EDU_DEVFN * 16,
                ctx_lo(f));
    g_assert_cmphex(p.step[1].hi, ==, ctx_hi(f));
    for (unsigned l = c->levels; l >= 1; l--) {
        uint64_t slot = pte_slot(f, c->a, l);

        assert_step(&p, 2 + c->levels - l, DMAR_PROBE_SECOND_STAGE, l, slot,
                    fx_r64(f, slot));
    }
    g_assert_cmphex(p.t.pa, ==, PAGE_P1);
    g_assert_cmphex(p.t.mask, ==, 0xfff);
    g_assert_cmpuint(p.t.perm, ==, DMAR_PERM_R);

    /* a 2 MiB leaf: one step fewer; the DMA gets the same */
    probe(f, c->b + 0x345, true, DMAR_NO_PASID, &p);
    g_assert_cmpuint(p.mode, ==, DMAR_PROBE_TRANSLATED);
    g_assert_cmpuint(p.nsteps, ==, 2 + c->levels - 1);
    assert_step(&p, p.nsteps - 1, DMAR_PROBE_SECOND_STAGE, 2,
                pte_slot(f, c->b, 2), PROBE_2M | PTE_RW | PTE_PS);
    g_assert_cmphex(p.t.pa, ==, PROBE_2M);
    g_assert_cmphex(p.t.mask, ==, 0x1fffff);
    g_assert_cmpuint(p.t.perm, ==, DMAR_PERM_RW);

    g_assert_true(fx_dma(f, c->a + 0x123, false, &x));
    g_assert_false(x.hit);
    g_assert_cmpuint(f->u.ctx_cache.stats.misses, ==, 1);
    g_assert_cmpuint(f->u.ctx_cache.stats.hits, ==, 0);
    g_assert_cmphex(x.t.pa, ==, PAGE_P1);
    /* a probe ignores the IOTLB: it says what the tables say now */
    map(f, c->a, PAGE_P3, 1, PTE_R);
    probe(f, c->a, false, DMAR_NO_PASID, &p);
    g_assert_cmphex(p.t.pa, ==, PAGE_P3);
    g_assert_cmphex(xlate(f, c->a, false), ==, PAGE_P1);
    fx_free(f);
}

/*
 * Each fault case: the probe reports the fault the DMA then records,
 * with the same reason, level and FPD, and records nothing itself.
 */
static void test_probe_fault(const void *opaque)
{
    const FaultCase *c = opaque;
    Fx *f = fx_props(c->aw, !c->no_pt, false);
    ScnFaultEnv e = { .rta = ROOT_TABLE, .iova = IOVA_F };
    DmarProbe p;
    DmarXlate x;

    tables_init(f, 3, 0);
    map(f, IOVA_F, PAGE_T, 1, PTE_RW);
    c->setup(f, &e);
    dmar_enable(f, e.rta);

    probe(f, e.iova, c->write, DMAR_NO_PASID, &p);
    g_assert_cmpuint(p.mode, ==, DMAR_PROBE_FAULT);
    g_assert_cmphex(p.fault.fr, ==, c->fr);
    g_assert_cmphex(p.fault.addr, ==, e.iova);
    g_assert_cmphex(p.fault.sid, ==, EDU_SID);
    g_assert_cmpint(p.fault.is_write, ==, c->write);
    assert_no_fault(f);
    /* the steps read before the fault: the root entry, unless unreadable */
    if (c->fr != FR_ROOT_ACCESS) {
        g_assert_cmpuint(p.nsteps, >=, 1);
        g_assert_cmpuint(p.step[0].table, ==, DMAR_PROBE_ROOT);
        g_assert_cmphex(p.step[0].gpa, ==, e.rta + (EDU_SID >> 8) * 16);
    } else {
        g_assert_cmpuint(p.nsteps, ==, 0);
    }

    g_assert_false(fx_dma(f, e.iova, c->write, &x));
    g_assert_cmphex(x.fault.fr, ==, p.fault.fr);
    g_assert_cmpuint(x.fault.level, ==, p.fault.level);
    g_assert_cmpint(x.fault.fpd, ==, p.fault.fpd);
    assert_frcd(f, 0, e.iova, c->fr, c->write);
    fx_free(f);
}

/* Translation off, pass-through, a PASID in a legacy context, FPD */
static void test_probe_modes(void)
{
    Fx *f = fx_new();
    DmarProbe p;

    tables_init(f, 3, CTX_TT(TT_PASSTHROUGH));
    probe(f, 0x12345678, true, DMAR_NO_PASID, &p);
    g_assert_cmpuint(p.mode, ==, DMAR_PROBE_UNTRANSLATED);
    g_assert_cmpuint(p.nsteps, ==, 0);
    g_assert_cmphex(p.t.pa, ==, 0x12345000);
    g_assert_cmpuint(p.t.perm, ==, DMAR_PERM_RW);

    dmar_enable(f, ROOT_TABLE);
    probe(f, 0x12345678, true, DMAR_NO_PASID, &p);
    g_assert_cmpuint(p.mode, ==, DMAR_PROBE_PASSTHROUGH);
    g_assert_cmpuint(p.nsteps, ==, 2);
    g_assert_cmphex(p.t.pa | (0x12345678 & p.t.mask), ==, 0x12345678);
    g_assert_true(p.ctx_valid);
    g_assert_cmphex(p.did, ==, DOMAIN);

    /* beyond HAW in pass-through: 4h, as the DMA gets it */
    probe(f, 1ull << FX_HAW, false, DMAR_NO_PASID, &p);
    g_assert_cmpuint(p.mode, ==, DMAR_PROBE_FAULT);
    g_assert_cmphex(p.fault.fr, ==, FR_BEYOND_AW);

    /* a request with a PASID: blocked by a legacy context (0xd) */
    set_ctx(f, f->slpt | CTX_P | CTX_FPD, ctx_hi(f));
    probe(f, IOVA_A, false, 7, &p);
    g_assert_cmpuint(p.mode, ==, DMAR_PROBE_FAULT);
    g_assert_cmphex(p.fault.fr, ==, 0xd);
    g_assert_true(p.fault.pasid_valid);
    g_assert_cmpuint(p.fault.pasid, ==, 7);
    /* ... suppressed by FPD, which the probe reports */
    g_assert_true(p.fault.fpd);

    /* not present: the walk stops at the level that says so */
    probe(f, IOVA_A, false, DMAR_NO_PASID, &p);
    g_assert_cmphex(p.fault.fr, ==, FR_READ);
    g_assert_cmpuint(p.fault.level, ==, 3);
    g_assert_cmpuint(p.nsteps, ==, 3);
    assert_step(&p, 2, DMAR_PROBE_SECOND_STAGE, 3,
                f->slpt + PT_INDEX(IOVA_A, 3) * 8, 0);

    /* the interrupt address range: not a DMA, whatever the tables say */
    map(f, 0xfee00000ull, PAGE_P1, 1, PTE_RW);
    probe(f, 0xfee00000ull, true, DMAR_NO_PASID, &p);
    g_assert_cmpuint(p.mode, ==, DMAR_PROBE_INTERRUPT);
    g_assert_cmpuint(p.nsteps, ==, 0);
    probe(f, 0xfeefffffull, false, DMAR_NO_PASID, &p);
    g_assert_cmpuint(p.mode, ==, DMAR_PROBE_INTERRUPT);
    probe(f, 0xfedfffffull, false, DMAR_NO_PASID, &p);
    g_assert_cmpuint(p.mode, ==, DMAR_PROBE_FAULT);
    probe(f, 0xfef00000ull, false, DMAR_NO_PASID, &p);
    g_assert_cmpuint(p.mode, ==, DMAR_PROBE_FAULT);

    /* a 1 GiB page around it: its level, though served 4 KiB at a time */
    map(f, 0x40000000ull, 0xc0000000ull, 3, PTE_RW);
    probe(f, 0x40100010ull, false, DMAR_NO_PASID, &p);
    g_assert_cmpuint(p.mode, ==, DMAR_PROBE_TRANSLATED);
    g_assert_cmpuint(p.page_level, ==, 3);
    g_assert_cmphex(p.t.mask, ==, 0xfff);
    g_assert_cmphex(p.t.pa, ==, 0xc0100000ull);
    map(f, IOVA_B, PAGE_P2, 1, PTE_R);
    probe(f, IOVA_B, false, DMAR_NO_PASID, &p);
    g_assert_cmpuint(p.page_level, ==, 1);
    assert_no_fault(f);
    fx_free(f);
}

/* The fault's event says what became of it */
static DmarFaultOutcome fault_outcome(Fx *f, uint64_t iova, bool write)
{
    DmarXlate x;

    g_assert_false(fx_dma(f, iova, write, &x));
    return fx_last(f, DMAR_EV_FAULT)->fault_outcome;
}

/*
 * Recorded; the same one again while it is pending; the log full (two
 * records: PFO); FPD
 */
static void test_fault_outcome(void)
{
    DmarUnitConfig cfg = fx_config();
    Fx *f;

    cfg.nfr = 2;
    f = fx_new_cfg(&cfg);
    tables_init(f, 3, 0);
    wr32(f, REG_FECTL, 0);
    dmar_enable(f, ROOT_TABLE);
    fx_clear_events(f);
    g_assert_cmpuint(fault_outcome(f, IOVA_A, false), ==,
                     DMAR_FAULT_OUT_RECORDED);
    g_assert_cmpuint(fault_outcome(f, IOVA_A, false), ==,
                     DMAR_FAULT_OUT_PENDING);
    g_assert_cmpuint(fault_outcome(f, IOVA_B, true), ==,
                     DMAR_FAULT_OUT_RECORDED);
    g_assert_cmpuint(fault_outcome(f, IOVA_C, true), ==,
                     DMAR_FAULT_OUT_LOST);
    g_assert_cmphex(fsts(f) & FSTS_PFO, ==, FSTS_PFO);
    g_assert_cmpuint(fault_outcome(f, IOVA_C + 0x1000, true), ==,
                     DMAR_FAULT_OUT_LOST);
    set_ctx(f, ctx_lo(f) | CTX_FPD, ctx_hi(f));
    ccmd_inv(f, CCMD_CIRG(GRAN_GLOBAL));
    g_assert_cmpuint(fault_outcome(f, IOVA_C, false), ==,
                     DMAR_FAULT_OUT_FPD);
    g_assert_true(fx_last(f, DMAR_EV_FAULT)->fault.fpd);
    g_assert_cmpuint(fx_count(f, DMAR_EV_FAULT), ==, 6);
    fx_free(f);
}

/* ================= beyond HAW, bypass ================= */

/*
 * Untranslated DMA at or above 2^HAW: nothing with translation off;
 * with it on, a pass-through context's fault 4h, suppressed by FPD
 */
static void test_beyond(void)
{
    Fx *f = fx_new();
    const uint64_t high = (1ull << FX_HAW) + 0x1234;
    const DmarEvent *ev;

    tables_init(f, 3, CTX_TT(TT_PASSTHROUGH));
    wr32(f, REG_FECTL, 0);
    fx_clear_events(f);
    g_assert_cmpuint(dmar_unit_beyond(&f->u, EDU_SID, high, true), ==, 0);
    g_assert_cmpuint(f->ev->len, ==, 0);
    dmar_enable(f, ROOT_TABLE);
    g_assert_cmpuint(fx_act(f, dmar_unit_beyond(&f->u, EDU_SID, high,
                                                true)), ==,
                     DMAR_ACT_FAULT_EVENT);
    assert_frcd(f, 0, high, FR_BEYOND_AW, true);
    ev = fx_one(f, DMAR_EV_FAULT);
    g_assert_cmphex(ev->fault.addr, ==, high);
    g_assert_false(ev->fault.fpd);
    /* collapsed; a read is another fault */
    g_assert_cmpuint(dmar_unit_beyond(&f->u, EDU_SID, high, true), ==, 0);
    g_assert_cmpuint(dmar_unit_beyond(&f->u, EDU_SID, high, false), ==, 0);
    assert_frcd(f, 1, high, FR_BEYOND_AW, false);
    frcd_clear(f, 0);
    frcd_clear(f, 1);

    /* FPD: an event, no record */
    set_ctx(f, ctx_lo(f) | CTX_FPD, ctx_hi(f));
    fx_clear_events(f);
    g_assert_cmpuint(dmar_unit_beyond(&f->u, EDU_SID, high, true), ==, 0);
    g_assert_true(fx_one(f, DMAR_EV_FAULT)->fault.fpd);
    assert_no_fault(f);
    /* no usable context: recorded */
    set_ctx(f, 0, 0);
    g_assert_cmpuint(dmar_unit_beyond(&f->u, EDU_SID, high + 0x1000, false),
                     ==, DMAR_ACT_FAULT_EVENT);
    assert_frcd(f, 2, high + 0x1000, FR_BEYOND_AW, false);
    fx_free(f);
}

/* Does the device's DMA bypass translation? Read from the tables. */
static void test_bypass(void)
{
    Fx *f = fx_new();

    tables_init(f, 3, CTX_TT(TT_PASSTHROUGH));
    g_assert_true(dmar_unit_bypass(&f->u, EDU_SID));
    g_assert_true(dmar_unit_bypass(&f->u, 0x1234));
    dmar_enable(f, ROOT_TABLE);
    g_assert_true(dmar_unit_bypass(&f->u, EDU_SID));
    g_assert_false(dmar_unit_bypass(&f->u, EDU_SID + 1));    /* absent */
    g_assert_false(dmar_unit_bypass(&f->u, 0x0120));         /* bus 1 */
    scn_fc_ctx_tt(f, TT_XLATE);
    g_assert_false(dmar_unit_bypass(&f->u, EDU_SID));
    scn_fc_ctx_tt(f, TT_PASSTHROUGH);
    g_assert_true(dmar_unit_bypass(&f->u, EDU_SID));
    set_root(f, CTX_TABLE, 0);
    g_assert_false(dmar_unit_bypass(&f->u, EDU_SID));
    /* nothing was recorded, nothing cached */
    assert_no_fault(f);
    set_root(f, CTX_TABLE | ROOT_P, 0);
    g_assert_cmphex(xlate(f, IDENT_IN, false), ==, IDENT_IN);
    fx_free(f);
}

/*
 * May devices share one untranslated address space? Only while requests
 * do not depend on their source-id: translation and interrupt remapping
 * off. Each change of either asks the glue to switch address spaces.
 */
static void test_sid_blind(void)
{
    Fx *f = fx_new();

    g_assert_true(dmar_unit_sid_blind(&f->u));
    wr64(f, REG_IRTA, IRT_BASE | 3);
    wr32(f, REG_GCMD, GCMD_SIRTP);
    g_assert_true(dmar_unit_sid_blind(&f->u));
    g_assert_cmphex(wr32(f, REG_GCMD, GCMD_IRE) & DMAR_ACT_SWITCH_AS, ==,
                    DMAR_ACT_SWITCH_AS);
    g_assert_false(dmar_unit_sid_blind(&f->u));
    /* CFI alone changes nothing the source-id decides */
    g_assert_cmphex(wr32(f, REG_GCMD, GCMD_IRE | GCMD_CFI) &
                    DMAR_ACT_SWITCH_AS, ==, 0);
    g_assert_cmphex(wr32(f, REG_GCMD, 0) & DMAR_ACT_SWITCH_AS, ==,
                    DMAR_ACT_SWITCH_AS);
    g_assert_true(dmar_unit_sid_blind(&f->u));
    /* pass-through contexts still fault above the HAW: not blind */
    tables_init(f, 3, CTX_TT(TT_PASSTHROUGH));
    wr64(f, REG_RTADDR, ROOT_TABLE);
    wr32(f, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(wr32(f, REG_GCMD, GCMD_TE) & DMAR_ACT_SWITCH_AS, ==,
                    DMAR_ACT_SWITCH_AS);
    g_assert_true(dmar_unit_bypass(&f->u, EDU_SID));
    g_assert_false(dmar_unit_sid_blind(&f->u));
    g_assert_cmphex(wr32(f, REG_GCMD, 0) & DMAR_ACT_SWITCH_AS, ==,
                    DMAR_ACT_SWITCH_AS);
    g_assert_true(dmar_unit_sid_blind(&f->u));
    fx_free(f);
}

/* ================= caches ================= */

/*
 * The context cache: a changed context is not seen before its
 * invalidation (CM = 0 allows caching present entries); a permission
 * the cached entry lacks is a miss that walks again.
 */
static void test_context_cache(void)
{
    Fx *f = fx_new();
    uint64_t slpt1, slpt2;
    DmarXlate x;

    tables_init(f, 3, 0);
    slpt1 = f->slpt;
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    map(f, IOVA_C, PAGE_P1, 1, PTE_R);
    slpt2 = f->slpt = table_new(f);
    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    map(f, IOVA_C, PAGE_P2, 1, PTE_R);
    f->slpt = slpt1;
    dmar_enable(f, ROOT_TABLE);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    /* new tables, new domain: the cached context still answers */
    set_ctx(f, slpt2 | CTX_P, CTX_AW(3) | CTX_DID(DOMAIN + 1));
    g_assert_true(fx_dma(f, IOVA_C, false, &x));
    g_assert_cmphex(x.t.pa, ==, PAGE_P1);
    g_assert_cmphex(x.did, ==, DOMAIN);
    /* the context of another domain is not flushed by this one's */
    ccmd_inv(f, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN + 1));
    iotlb_inv(f, GRAN_GLOBAL, 0, 0);
    g_assert_cmphex(xlate(f, IOVA_C, false), ==, PAGE_P1);
    /* the old domain's: its context and IOTLB entries go */
    ccmd_inv(f, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
    g_assert_true(fx_dma(f, IOVA_A, false, &x));
    g_assert_false(x.hit);
    g_assert_cmphex(x.t.pa, ==, PAGE_P2);
    g_assert_cmphex(x.did, ==, DOMAIN + 1);

    /* a cached read-only page asked for a write: walked, and refused */
    g_assert_true(fx_dma(f, IOVA_A, false, &x));
    g_assert_true(x.hit);
    g_assert_false(fx_dma(f, IOVA_A, true, &x));
    g_assert_false(x.hit);
    g_assert_cmphex(x.fault.fr, ==, FR_WRITE);
    /* made writable: the write walks and is granted */
    f->slpt = slpt2;
    map(f, IOVA_A, PAGE_P2, 1, PTE_RW);
    g_assert_true(fx_dma(f, IOVA_A, true, &x));
    g_assert_false(x.hit);
    g_assert_true(x.walked);
    g_assert_cmpuint(x.t.perm, ==, DMAR_PERM_RW);
    fx_free(f);
}

/*
 * A miss of a 4 KiB page caches its neighbours in the same table; a
 * page that reaches into the interrupt address range is never cached.
 */
static void test_leaf_group(void)
{
    Fx *f = fx_new();
    const uint64_t grp = 0x40000000ull;
    DmarXlate x;

    tables_init(f, 3, 0);
    for (unsigned i = 0; i < 64; i += 3) {
        map(f, grp + i * 0x1000ull, PAGE_P1 + (i % 4) * 0x1000ull, 1, PTE_R);
    }
    /* the next group: not cached ahead */
    map(f, grp + 64 * 0x1000ull, PAGE_P1, 1, PTE_R);
    map(f, 0x50000000ull, 0xfee00000ull - 0x200000, 2, PTE_RW);
    map(f, 0x50200000ull, 0xfee00000ull, 2, PTE_RW);
    dmar_enable(f, ROOT_TABLE);

    g_assert_true(fx_dma(f, grp + 0x3000, false, &x));
    g_assert_false(x.hit);
    for (unsigned i = 0; i < 64; i += 3) {
        g_assert_true(fx_dma(f, grp + i * 0x1000ull, false, &x));
        g_assert_true(x.hit);
        g_assert_cmphex(x.t.pa, ==, PAGE_P1 + (i % 4) * 0x1000ull);
    }
    g_assert_true(fx_dma(f, grp + 64 * 0x1000ull, false, &x));
    g_assert_false(x.hit);
    /* a present leaf cached ahead is gone after its invalidation */
    map(f, grp + 0x6000, PAGE_P3, 1, PTE_R);
    iotlb_inv(f, GRAN_PAGE, DOMAIN, grp + 0x6000);
    g_assert_cmphex(xlate(f, grp + 0x6000, false), ==, PAGE_P3);
    g_assert_true(fx_dma(f, grp + 0x9000, false, &x));
    g_assert_true(x.hit);

    /* a 2 MiB page below the interrupt range: cached whole */
    g_assert_true(fx_dma(f, 0x50123000ull, true, &x));
    g_assert_cmphex(x.t.mask, ==, 0x1fffff);
    g_assert_true(fx_dma(f, 0x50100000ull, true, &x));
    g_assert_true(x.hit);
    /* one over it: the range faults, the rest is cut to 4 KiB, uncached */
    fault_of(f, 0x50200000ull, true, FR_INTR_ADDR);
    g_assert_true(fx_dma(f, 0x50300000ull, true, &x));
    g_assert_cmphex(x.t.pa, ==, 0xfef00000ull);
    g_assert_cmphex(x.t.mask, ==, 0xfff);
    g_assert_true(x.t.narrowed);
    g_assert_true(fx_dma(f, 0x50300000ull, true, &x));
    g_assert_false(x.hit);
    fx_free(f);
}

/* A full cache makes room, and says so */
static void test_evict(void)
{
    DmarUnitConfig cfg = fx_config();
    const DmarEvent *ev;
    DmarXlate x;
    Fx *f;

    cfg.iotlb_entries = 4;
    cfg.ctx_entries = 4;
    f = fx_new_cfg(&cfg);
    tables_init(f, 3, 0);
    for (unsigned dev = 1; dev < 6; dev++) {
        fx_w64(f, CTX_TABLE + (EDU_DEVFN + dev) * 16, f->slpt | CTX_P);
        fx_w64(f, CTX_TABLE + (EDU_DEVFN + dev) * 16 + 8,
               CTX_AW(3) | CTX_DID(DOMAIN));
    }
    for (unsigned i = 0; i < 6; i++) {
        map(f, (uint64_t)i << 30, PAGE_P1, 1, PTE_R);
    }
    dmar_enable(f, ROOT_TABLE);
    fx_clear_events(f);
    for (unsigned i = 0; i < 4; i++) {
        g_assert_true(fx_dma(f, (uint64_t)i << 30, false, &x));
    }
    g_assert_cmpuint(fx_count(f, DMAR_EV_EVICT), ==, 0);
    g_assert_true(fx_dma(f, 4ull << 30, false, &x));
    ev = fx_one(f, DMAR_EV_EVICT);
    g_assert_cmpstr(ev->evict.cache, ==, "iotlb");
    g_assert_cmphex(ev->evict.sid, ==, EDU_SID);

    fx_clear_events(f);
    for (unsigned dev = 1; dev < 4; dev++) {
        g_assert_true(fx_dma_sid(f, EDU_SID + dev, 5ull << 30, false, &x));
    }
    g_assert_cmpuint(fx_count(f, DMAR_EV_EVICT), ==, 3);       /* iotlb */
    fx_clear_events(f);
    g_assert_true(fx_dma_sid(f, EDU_SID + 4, 5ull << 30, false, &x));
    g_assert_cmpuint(fx_count(f, DMAR_EV_EVICT), ==, 2);
    ev = fx_ev(f, 0);
    g_assert_cmpint(ev->kind, ==, DMAR_EV_EVICT);
    g_assert_cmpstr(ev->evict.cache, ==, "context");
    g_assert_cmphex(ev->evict.sid, ==, EDU_SID + 4);
    fx_free(f);
}

/* Pages no group holds (2 MiB here) are single entries: those evict too */
static void test_evict_large(void)
{
    DmarUnitConfig cfg = fx_config();
    const DmarEvent *ev;
    DmarXlate x;
    Fx *f;

    cfg.iotlb_entries = 4;
    f = fx_new_cfg(&cfg);
    tables_init(f, 3, 0);
    for (unsigned i = 0; i < 5; i++) {
        map(f, (uint64_t)i << 30, PAGE_P1 & ~0x1fffffull, 2, PTE_R);
    }
    dmar_enable(f, ROOT_TABLE);
    fx_clear_events(f);
    for (unsigned i = 0; i < 4; i++) {
        g_assert_true(fx_dma(f, (uint64_t)i << 30, false, &x));
        g_assert_cmphex(x.t.mask, ==, 0x1fffff);
    }
    g_assert_cmpuint(fx_count(f, DMAR_EV_EVICT), ==, 0);
    g_assert_true(fx_dma(f, 4ull << 30, false, &x));
    ev = fx_one(f, DMAR_EV_EVICT);
    g_assert_cmpstr(ev->evict.cache, ==, "iotlb");
    fx_free(f);
}

/* ================= verify_iotlb ================= */

/*
 * qtest /vtd-dmar/invalidate/verify-iotlb: a changed mapping used before
 * its invalidation translates as cached (the spec allows it), and the
 * unit reports that the tables say otherwise; after the invalidation
 * nothing is reported.
 */
static void test_verify_iotlb(void)
{
    Fx *f = fx_props(48, true, true);
    g_autofree char *want = NULL;
    const DmarEvent *ev;
    DmarXlate x;

    tables_init(f, 3, 0);
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_enable(f, ROOT_TABLE);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    /* a hit the tables agree with: nothing */
    fx_clear_events(f);
    g_assert_true(fx_dma(f, IOVA_A + 0x10, false, &x));
    g_assert_true(x.hit);
    g_assert_cmpuint(fx_count(f, DMAR_EV_STALE_HIT), ==, 0);
    /* more permission in the tables than cached: nothing either */
    map(f, IOVA_A, PAGE_P1, 1, PTE_RW);
    g_assert_true(fx_dma(f, IOVA_A + 0x10, false, &x));
    g_assert_cmpuint(fx_count(f, DMAR_EV_STALE_HIT), ==, 0);
    /* less: the same page, no longer readable */
    map(f, IOVA_A, PAGE_P1, 1, PTE_W);
    g_assert_true(fx_dma(f, IOVA_A + 0x10, false, &x));
    ev = fx_one(f, DMAR_EV_STALE_HIT);
    g_assert_cmphex(ev->stale.walk_pa, ==, 0);
    g_assert_cmpuint(ev->stale.fr, ==, FR_READ);
    fx_clear_events(f);
    map(f, IOVA_A, PAGE_P3, 1, PTE_RW);
    iotlb_inv(f, GRAN_PAGE, DOMAIN, IOVA_A);
    g_assert_true(fx_dma(f, IOVA_A, true, &x));
    map(f, IOVA_A, PAGE_P3, 1, PTE_R);
    g_assert_true(fx_dma(f, IOVA_A, true, &x));
    g_assert_true(x.hit);
    ev = fx_one(f, DMAR_EV_STALE_HIT);
    g_assert_cmphex(ev->stale.walk_pa, ==, 0);
    g_assert_cmpuint(ev->stale.fr, ==, FR_WRITE);
    /* read through the entry cached for a write: the same page, RW */
    fx_clear_events(f);
    g_assert_true(fx_dma(f, IOVA_A, false, &x));
    g_assert_true(x.hit);
    ev = fx_one(f, DMAR_EV_STALE_HIT);
    g_assert_cmphex(ev->stale.walk_pa, ==, PAGE_P3);
    g_assert_cmpuint(ev->stale.perm, ==, DMAR_PERM_RW);
    g_assert_cmpuint(ev->stale.walk_perm, ==, DMAR_PERM_R);
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    iotlb_inv(f, GRAN_PAGE, DOMAIN, IOVA_A);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    fx_clear_events(f);

    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    fx_clear_log(f);
    g_assert_true(fx_dma(f, IOVA_A + 0x10, false, &x));
    g_assert_true(x.hit);
    g_assert_cmphex(x.t.pa, ==, PAGE_P1);
    ev = fx_one(f, DMAR_EV_STALE_HIT);
    g_assert_cmphex(ev->stale.sid, ==, EDU_SID);
    g_assert_cmphex(ev->stale.iova, ==, IOVA_A + 0x10);
    g_assert_cmphex(ev->stale.pa, ==, PAGE_P1 + 0x10);
    g_assert_cmphex(ev->stale.walk_pa, ==, PAGE_P2 + 0x10);
    g_assert_cmpuint(ev->stale.perm, ==, DMAR_PERM_R);
    g_assert_cmpuint(ev->stale.walk_perm, ==, DMAR_PERM_R);
    g_assert_cmpuint(ev->stale.fr, ==, 0);
    want = g_strdup_printf("G: vtd-dmar: sid 00:04.0 read 0x%" PRIx64 " used "
                           "a stale IOTLB entry (pa 0x%" PRIx64 " perm 1); "
                           "the tables say pa 0x%" PRIx64 " perm 1\n",
                           (uint64_t)IOVA_A + 0x10, (uint64_t)PAGE_P1 + 0x10,
                           (uint64_t)PAGE_P2 + 0x10);
    g_assert_cmpuint(f->log->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(f->log, 0), ==, want);

    /* removed: the tables say fault */
    fx_clear_events(f);
    fx_clear_log(f);
    set_pte(f, IOVA_A, 1, 0);
    g_assert_true(fx_dma(f, IOVA_A, false, &x));
    ev = fx_one(f, DMAR_EV_STALE_HIT);
    g_assert_cmpuint(ev->stale.fr, ==, FR_READ);
    g_assert_cmphex(ev->stale.walk_pa, ==, 0);
    g_assert_cmpuint(ev->stale.walk_perm, ==, 0);
    g_assert_cmpuint(fx_logged(f, "the tables say fault 0x6 perm 0"), ==, 1);
    /* the walk of a check records no fault */
    assert_no_fault(f);
    /* invalidated: nothing more */
    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    iotlb_inv(f, GRAN_PAGE, DOMAIN, IOVA_A);
    fx_clear_events(f);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);
    g_assert_cmpuint(fx_count(f, DMAR_EV_STALE_HIT), ==, 0);
    g_assert_cmphex(fsts(f), ==, 0);
    fx_free(f);
}

/* ================= interrupt remapping ================= */

/* qtest /vtd-dmar/ir/irta-latch */
static void test_ir_irta_latch(void)
{
    Fx *f = fx_new();

    irte_put(f, IRT_BASE, 2, irte_lo(0x50), 0);
    irte_put(f, IRT_BASE, 3, irte_lo(0x51), 0);
    irte_put(f, IRT_BASE, 9, irte_lo(0x52), 0);
    irte_put(f, IRT_BASE2, 2, irte_lo(0x53) & ~IRTE_P, 0);
    irte_put(f, IRT_BASE2, 3, irte_lo(0x54), 0);
    irte_put(f, IRT_BASE2, 9, irte_lo(0x55), 0);
    ir_enable(f, IRT_BASE | 3, false);
    assert_remapped(f, msi_remappable(2, false), 0, 0x50, false);

    /* a new base and a smaller size, not latched: neither is used */
    wr64(f, REG_IRTA, IRT_BASE2 | 0);
    g_assert_cmphex(rd64(f, REG_IRTA), ==, IRT_BASE2);
    assert_remapped(f, msi_remappable(3, false), 0, 0x51, false);
    assert_remapped(f, msi_remappable(9, false), 0, 0x52, false);
    assert_no_fault(f);

    /* latched: the second table, and no entry cached from the first */
    wr64(f, REG_IRTA, IRT_BASE2 | 3);
    gcmd_update(f, GCMD_SIRTP, 0);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_IRTPS | GSTS_IRES);
    assert_blocked(f, msi_remappable(2, false), 0);
    assert_ir_fault(f, FR_IR_NP, 2, EDU_SID);
    assert_remapped(f, msi_remappable(9, false), 0, 0x55, false);
    ir_set_table(f, IRT_BASE2 | 0);
    assert_blocked(f, msi_remappable(9, false), 0);
    assert_ir_fault(f, FR_IR_INDEX, 9, EDU_SID);
    fx_free(f);
}

/* qtest /vtd-dmar/ir/remap: xAPIC mode */
static void test_ir_remap(void)
{
    Fx *f = fx_new();
    const uint64_t sid_edu = IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID);
    const DmarEvent *ev;
    DmarIntr r;

    irte_put(f, IRT_BASE, 0, irte_lo(0x30), 0);
    irte_put(f, IRT_BASE, 1, irte_lo(0x31) | IRTE_TM, sid_edu);
    irte_put(f, IRT_BASE, 0x7fff, irte_lo(0x32), sid_edu);
    irte_put(f, IRT_BASE, 0x9234, irte_lo(0x33), 0);
    irte_put(f, IRT_BASE, 0x1234, irte_lo(0x3f), 0);
    irte_put(f, IRT_BASE, 0x125, irte_lo(0x34), 0);
    irte_put(f, IRT_BASE, 0x100, irte_lo(0x3e), 0);
    ir_enable(f, IRT_BASE | 15, false);

    fx_clear_events(f);
    assert_remapped(f, msi_remappable(0, false), 0xee, 0x30, false);
    ev = fx_one(f, DMAR_EV_IR_REMAP);
    g_assert_cmphex(ev->ir.sid, ==, EDU_SID);
    g_assert_cmpuint(ev->ir.index, ==, 0);
    g_assert_cmphex(ev->ir.irq.vector, ==, 0x30);
    assert_remapped(f, msi_remappable(1, false), 0, 0x31, true);
    assert_remapped(f, msi_remappable(0x7fff, false),
                    MSI_DATA_LEVEL | MSI_DATA_DLM(DLM_NMI) | 0xed, 0x32,
                    false);
    assert_remapped(f, msi_remappable(0x9234, false), 0, 0x33, false);
    g_assert_cmpuint(fx_last(f, DMAR_EV_IR_REMAP)->ir.index, ==, 0x9234);
    assert_remapped(f, msi_remappable(0x100, true), 0x25, 0x34, false);
    g_assert_cmpuint(fx_last(f, DMAR_EV_IR_REMAP)->ir.index, ==, 0x125);
    assert_no_fault(f);

    /* every field from the IRTE */
    irte_put(f, IRT_BASE, 2, irte_lo(0x35) | IRTE_AVAIL | IRTE_RH |
             IRTE_DLM(DLM_LOWEST), 0);
    g_assert_true(fx_msi(f, msi_remappable(2, false), 0, &r));
    g_assert_cmphex(r.irq.vector, ==, 0x35);
    g_assert_true(r.irq.redir_hint);
    g_assert_cmpuint(r.irq.delivery_mode, ==, DLM_LOWEST);
    irte_put(f, IRT_BASE, 3, irte_lo(0x36) | IRTE_DLM(DLM_NMI), 0);
    g_assert_true(fx_msi(f, msi_remappable(3, false), 0, &r));
    g_assert_cmpuint(r.irq.delivery_mode, ==, DLM_NMI);
    g_assert_false(r.irq.redir_hint);
    irte_put(f, IRT_BASE, 4, IRTE_P | IRTE_V(0x37) | IRTE_XDST(1), 0);
    g_assert_true(fx_msi(f, msi_remappable(4, false), 0, &r));
    g_assert_cmphex(r.irq.dest, ==, 1);
    irte_put(f, IRT_BASE, 5, IRTE_P | IRTE_V(0x38) | IRTE_XDST(0xff), 0);
    g_assert_true(fx_msi(f, msi_remappable(5, false), 0, &r));
    g_assert_cmphex(r.irq.dest, ==, 0xff);
    g_assert_false(r.irq.dest_mode);
    irte_put(f, IRT_BASE, 6, irte_lo(0x39) | IRTE_DM, 0);
    g_assert_true(fx_msi(f, msi_remappable(6, false), 0, &r));
    g_assert_true(r.irq.dest_mode);
    g_assert_cmphex(r.irq.dest, ==, 0);

    scn_ir_sid_pass(f);
    fx_free(f);
}

static Fx *fx_eim(void)
{
    DmarUnitConfig cfg = fx_config();

    cfg.eim = true;
    return fx_new_cfg(&cfg);
}

/* qtest /vtd-dmar/ir/eim and /vtd-dmar/ir/eim/broadcast */
static void test_ir_eim(void)
{
    Fx *f = fx_eim();
    DmarIntr r;

    g_assert_cmphex(rd64(f, REG_ECAP) & (ECAP_IR | ECAP_EIM), ==,
                    ECAP_IR | ECAP_EIM);
    irte_put(f, IRT_BASE, 1, IRTE_P | IRTE_V(0x60) | IRTE_DST(0),
             IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID));
    irte_put(f, IRT_BASE, 2, IRTE_P | IRTE_V(0x61) | IRTE_DST(0x10001), 0);
    irte_put(f, IRT_BASE, 3, IRTE_P | IRTE_V(0x62) | IRTE_DST(1), 0);
    irte_put(f, IRT_BASE, 4, IRTE_P | IRTE_V(0x63) | IRTE_DST(0xfffffe01),
             0);
    irte_put(f, IRT_BASE, 5, IRTE_P | IRTE_V(0x64) | IRTE_DST(0), 0);
    irte_put(f, IRT_BASE, 6, IRTE_P | IRTE_V(0x68) | IRTE_DST(0xffffffff),
             0);
    ir_enable(f, IRT_BASE | IRTA_EIME | 3, false);
    g_assert_cmphex(rd64(f, REG_IRTA), ==, IRT_BASE | IRTA_EIME | 3);
    g_assert_true(f->u.irta.eime);

    assert_remapped(f, msi_remappable(1, false), 0, 0x60, false);
    g_assert_true(fx_msi(f, msi_remappable(2, false), 0, &r));
    g_assert_cmphex(r.irq.dest, ==, 0x10001);
    g_assert_true(fx_msi(f, msi_remappable(3, false), 0, &r));
    g_assert_cmphex(r.irq.dest, ==, 1);
    g_assert_true(fx_msi(f, msi_remappable(4, false), 0, &r));
    g_assert_cmphex(r.irq.dest, ==, 0xfffffe01);
    /* the x2APIC broadcast goes out whole */
    g_assert_true(fx_msi(f, msi_remappable(6, false), 0, &r));
    g_assert_cmphex(r.irq.dest, ==, 0xffffffff);
    g_assert_cmphex(r.irq.vector, ==, 0x68);
    assert_no_fault(f);

    /* EIME is latched by SIRTP like the rest of IRTA */
    wr64(f, REG_IRTA, IRT_BASE | 3);
    g_assert_true(fx_msi(f, msi_remappable(2, false), 0, &r));
    assert_no_fault(f);

    /* the same entries in xAPIC mode: DST 7:0 and 31:16 are reserved */
    ir_set_table(f, IRT_BASE | 3);
    g_assert_false(f->u.irta.eime);
    assert_blocked(f, msi_remappable(2, false), 0);
    assert_ir_fault(f, FR_IR_RSVD, 2, EDU_SID);
    assert_blocked(f, msi_remappable(3, false), 0);
    assert_ir_fault(f, FR_IR_RSVD, 3, EDU_SID);
    assert_blocked(f, msi_remappable(4, false), 0);
    assert_ir_fault(f, FR_IR_RSVD, 4, EDU_SID);
    assert_remapped(f, msi_remappable(5, false), 0, 0x64, false);
    assert_no_fault(f);
    fx_free(f);

    /* a unit without EIM: EIME cannot be set, xAPIC it stays */
    f = fx_new();
    irte_put(f, IRT_BASE, 2, IRTE_P | IRTE_V(0x61) | IRTE_DST(0x10001), 0);
    ir_enable(f, IRT_BASE | IRTA_EIME | 3, false);
    g_assert_false(f->u.irta.eime);
    assert_blocked(f, msi_remappable(2, false), 0);
    assert_ir_fault(f, FR_IR_RSVD, 2, EDU_SID);
    fx_free(f);
}

/* qtest /vtd-dmar/ir/compat (§5.1.4), and IRES = 0 */
static void test_ir_compat(void)
{
    Fx *f = fx_new();
    DmarIntr r;

    irte_put(f, IRT_BASE, 0, irte_lo(0x70), 0);
    ir_set_table(f, IRT_BASE | 3);
    /* remapping off: as they are, whatever the format */
    g_assert_true(fx_msi(f, msi_compat(0), 0x71, &r));
    g_assert_false(r.remapped);
    g_assert_true(fx_msi(f, msi_remappable(0, false), 0, &r));
    g_assert_false(r.remapped);
    assert_no_fault(f);

    /* remapping on, CFIS = 0: blocked (no index: FI bits 63:0 are 0) */
    ir_enable(f, IRT_BASE | 3, false);
    wr32(f, REG_FECTL, 0);
    fx_clear_events(f);
    g_assert_false(fx_msi(f, msi_compat(0), 0x73, &r));
    g_assert_cmpuint(r.act, ==, DMAR_ACT_FAULT_EVENT);
    g_assert_cmphex(fx_one(f, DMAR_EV_FAULT)->fault.fr, ==, FR_IR_COMPAT);
    g_assert_cmpuint(fx_logged(f, "G: vtd-dmar: interrupt fault, sid "
                               "00:04.0 addr 0x0 reason 0x25"), ==, 1);
    assert_ir_fault(f, FR_IR_COMPAT, 0, EDU_SID);
    wr32(f, REG_FECTL, FECTL_IM);
    /* CFIS = 1: as they are */
    gcmd_update(f, GCMD_CFI, 0);
    g_assert_cmphex(rd32(f, REG_GSTS), ==,
                    GSTS_IRTPS | GSTS_IRES | GSTS_CFIS);
    g_assert_true(fx_msi(f, msi_compat(0), 0x74, &r));
    g_assert_false(r.remapped);
    assert_remapped(f, msi_remappable(0, false), 0, 0x70, false);
    assert_no_fault(f);
    gcmd_update(f, 0, GCMD_CFI);
    assert_blocked(f, msi_compat(0), 0x76);
    assert_ir_fault(f, FR_IR_COMPAT, 0, EDU_SID);
    fx_free(f);

    /* EIME = 1 blocks the compatibility format even with CFIS = 1 */
    f = fx_eim();
    ir_enable(f, IRT_BASE | IRTA_EIME | 3, true);
    assert_blocked(f, msi_compat(0), 0x77);
    assert_ir_fault(f, FR_IR_COMPAT, -1, EDU_SID);
    ir_set_table(f, IRT_BASE | 3);
    g_assert_true(fx_msi(f, msi_compat(0), 0x78, &r));
    g_assert_false(r.remapped);
    assert_no_fault(f);
    fx_free(f);
}

/*
 * qtest /vtd-dmar/ir/dma-write, the unit's part (§5.1.2.2): data bits
 * 31:16 of a remappable request are reserved: fault 20h
 */
static void test_ir_data_rsvd(void)
{
    Fx *f = fx_new();

    irte_put(f, IRT_BASE, 1, irte_lo(0xc1),
             IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID));
    ir_enable(f, IRT_BASE | 3, false);
    assert_remapped(f, msi_remappable(1, false), 0xc2, 0xc1, false);
    assert_blocked(f, msi_remappable(1, false), 0x10000);
    g_assert_cmpuint(fx_logged(f, "G: vtd-dmar: interrupt fault, sid 00:04.0 "
                               "addr 0x1000000000000 reason 0x20"), ==, 1);
    assert_ir_fault(f, FR_IR_REQ_RSVD, 1, EDU_SID);
    for (unsigned b = 16; b < 32; b++) {
        assert_blocked(f, msi_remappable(1, false), 1u << b | 0xc3);
        assert_ir_fault(f, FR_IR_REQ_RSVD, 1, EDU_SID);
    }
    fx_free(f);
}

/* ---- interrupt remapping faults ---- */

static void irc_last_s0(Fx *f, ScnIrEnv *e)
{
    /* not a fault: index 1 is the last of 2 entries; FPD then hides */
    e->irta = IRT_BASE | 0;
    scn_irc_index(e, 1, false, 0);
    e->lo &= ~IRTE_P;
}

/* qtest /vtd-dmar/ir/fault/<name>: scn_ir_fault_cases, and this one */
static const ScnIrFaultCase ir_fault_extra[] = {
    { "index-last-s0", FR_IR_NP, irc_last_s0 },
};

/*
 * The request is blocked and recorded (reason, index, source-id); then
 * again with FPD set in the IRTE, after SIRTP dropped the cached
 * entries: recorded only for the faults that are not qualified.
 */
static void test_ir_fault(const void *opaque)
{
    const ScnIrFaultCase *c = opaque;
    Fx *f = fx_new();
    ScnIrEnv e = scn_ir_env();
    const DmarEvent *ev;
    DmarIntr r;

    c->setup(f, &e);
    irte_put(f, IRT_BASE, e.index, e.lo, e.hi);
    ir_enable(f, e.irta, false);
    wr32(f, REG_FECTL, 0);
    fx_clear_events(f);
    g_assert_false(fx_msi(f, e.addr, e.data, &r));
    g_assert_false(r.remapped);
    g_assert_cmpuint(r.act, ==, DMAR_ACT_FAULT_EVENT);
    ev = fx_one(f, DMAR_EV_FAULT);
    g_assert_cmphex(ev->fault.fr, ==, c->fr);
    g_assert_cmphex(ev->fault.sid, ==, EDU_SID);
    g_assert_true(ev->fault.is_write);
    g_assert_false(ev->fault.fpd);
    g_assert_cmpuint(fx_count(f, DMAR_EV_IR_REMAP), ==, 0);
    assert_ir_fault(f, c->fr, e.fi, EDU_SID);

    irte_put(f, IRT_BASE, e.index, e.lo | IRTE_FPD, e.hi);
    ir_set_table(f, e.irta);
    fx_clear_events(f);
    g_assert_false(fx_msi(f, e.addr, e.data, &r));
    g_assert_cmpint(fx_one(f, DMAR_EV_FAULT)->fault.fpd, ==,
                    scn_ir_fpd_qualified(c->fr));
    if (scn_ir_fpd_qualified(c->fr)) {
        g_assert_cmpuint(r.act, ==, 0);
        assert_no_fault(f);
    } else {
        assert_ir_fault(f, c->fr, e.fi, EDU_SID);
    }
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_IRTPS | GSTS_IRES);
    fx_free(f);
}

/* qtest /vtd-dmar/ir/rsvd/<name> (vtd-dmar-scenarios.h) */
static void test_ir_rsvd(const void *opaque)
{
    Fx *f = fx_new();

    scn_ir_rsvd(f, opaque);
    fx_free(f);
}

/* ---- the interrupt entry cache ---- */

/*
 * IRTE INDEX is used (vector V, now in the cache), then made not present
 * without invalidation: the cached entry is still what the unit uses.
 */
static void iec_use_then_remove(Fx *f, uint32_t index, uint8_t v)
{
    irte_put(f, IRT_BASE, index, irte_lo(v), 0);
    assert_remapped(f, msi_remappable(index, false), 0, v, false);
    irte_put(f, IRT_BASE, index, irte_lo(v) & ~IRTE_P, 0);
    assert_remapped(f, msi_remappable(index, false), 0, v, false);
}

static void iec_expect_kept(Fx *f, uint32_t index, uint8_t v)
{
    assert_remapped(f, msi_remappable(index, false), 0, v, false);
}

static void iec_expect_removed(Fx *f, uint32_t index)
{
    assert_blocked(f, msi_remappable(index, false), 0);
    assert_ir_fault(f, FR_IR_NP, index, EDU_SID);
}

/* The one IEC_FLUSH event since the last check, as expected */
static void assert_iec_flush(Fx *f, bool global, uint32_t index, unsigned im)
{
    const DmarEvent *ev = fx_one(f, DMAR_EV_IEC_FLUSH);

    g_assert_cmpint(ev->iec.global, ==, global);
    if (!global) {
        g_assert_cmpuint(ev->iec.index, ==, index);
        g_assert_cmpuint(ev->iec.im, ==, im);
    }
    fx_clear_events(f);
}

/* qtest /vtd-dmar/ir/iec (§6.5.2.7) */
/* The interrupt entry cache's statistics (query-vtd-dmar) */
static void test_ir_iec_stats(void)
{
    Fx *f = fx_new();
    const DmarCacheStats *st = &f->u.iec_stats;

    qi_enable(f, IQ_BASE, 0);
    ir_enable(f, IRT_BASE | 15, false);
    irte_put(f, IRT_BASE, 40, irte_lo(0xc0), 0);
    irte_put(f, IRT_BASE, 40 + 256, irte_lo(0xc1), 0);
    assert_remapped(f, msi_remappable(40, false), 0, 0xc0, false);
    g_assert_cmpuint(st->misses, ==, 1);
    g_assert_cmpuint(st->hits, ==, 0);
    assert_remapped(f, msi_remappable(40, false), 0, 0xc0, false);
    g_assert_cmpuint(st->hits, ==, 1);
    g_assert_cmpuint(st->evictions, ==, 0);
    /* the same slot, another index: a miss that evicts */
    assert_remapped(f, msi_remappable(40 + 256, false), 0, 0xc1, false);
    g_assert_cmpuint(st->misses, ==, 2);
    g_assert_cmpuint(st->evictions, ==, 1);
    /* an invalidated entry is gone, not evicted */
    qi_iec(f, true, 40 + 256, 0);
    assert_remapped(f, msi_remappable(40, false), 0, 0xc0, false);
    g_assert_cmpuint(st->misses, ==, 3);
    g_assert_cmpuint(st->hits, ==, 1);
    g_assert_cmpuint(st->evictions, ==, 1);
    fx_free(f);
}

static void test_ir_iec(void)
{
    Fx *f = fx_new();

    qi_enable(f, IQ_BASE, 0);
    ir_enable(f, IRT_BASE | 15, false);

    iec_use_then_remove(f, 7, 0xa0);
    fx_clear_events(f);
    f->iec_notify = 0;
    qi_iec(f, false, 0, 0);
    g_assert_cmpuint(f->iec_notify, ==, 1);
    assert_iec_flush(f, true, 0, 0);
    iec_expect_removed(f, 7);
    /* global with IM and IIDX set: they are ignored */
    iec_use_then_remove(f, 300, 0xa1);
    qi_iec(f, false, 5, 2);
    iec_expect_removed(f, 300);

    /* index-selective: the index itself */
    iec_use_then_remove(f, 9, 0xa2);
    iec_use_then_remove(f, 10, 0xb2);
    fx_clear_events(f);
    qi_iec(f, true, 9, 0);
    assert_iec_flush(f, false, 9, 0);
    iec_expect_removed(f, 9);
    iec_expect_kept(f, 10, 0xb2);
    /* 2^IM entries, IIDX's low IM bits ignored: 8..15 and 20..23 */
    iec_use_then_remove(f, 13, 0xa3);
    iec_use_then_remove(f, 16, 0xb3);
    qi_iec(f, true, 8, 3);
    iec_expect_removed(f, 13);
    iec_expect_removed(f, 10);
    iec_expect_kept(f, 16, 0xb3);
    iec_use_then_remove(f, 22, 0xa4);
    iec_use_then_remove(f, 19, 0xb4);
    qi_iec(f, true, 21, 2);
    iec_expect_removed(f, 22);
    iec_expect_kept(f, 19, 0xb4);
    /* the largest mask (ECAP.MHMV = 15): 0..32767 */
    iec_use_then_remove(f, 400, 0xa5);
    iec_use_then_remove(f, 0x8000 | 401, 0xb5);
    qi_iec(f, true, 0x1234, 15);
    iec_expect_removed(f, 400);
    iec_expect_kept(f, 0x8000 | 401, 0xb5);
    qi_iec(f, true, 0x8000, 15);
    iec_expect_removed(f, 0x8000 | 401);

    /* ranges that miss it, then one that covers it */
    iec_use_then_remove(f, 30, 0xa6);
    qi_iec(f, true, 31, 0);
    qi_iec(f, true, 28, 1);
    qi_iec(f, true, 30 + 256, 0);       /* the same slot, another index */
    qi_iec(f, true, 0x8000 | 30, 15);
    iec_expect_kept(f, 30, 0xa6);
    qi_iec(f, true, 24, 3);
    iec_expect_removed(f, 30);

    /* an entry and the one 256 later share a slot: each is its own */
    irte_put(f, IRT_BASE, 40, irte_lo(0xc0), 0);
    irte_put(f, IRT_BASE, 40 + 256, irte_lo(0xc1), 0);
    assert_remapped(f, msi_remappable(40, false), 0, 0xc0, false);
    assert_remapped(f, msi_remappable(40 + 256, false), 0, 0xc1, false);
    assert_remapped(f, msi_remappable(40, false), 0, 0xc0, false);
    /* not-present entries are not cached */
    irte_put(f, IRT_BASE, 41, 0, 0);
    iec_expect_removed(f, 41);
    irte_put(f, IRT_BASE, 41, irte_lo(0xc2), 0);
    assert_remapped(f, msi_remappable(41, false), 0, 0xc2, false);

    /* SIRTP drops every cached entry too */
    iec_use_then_remove(f, 45, 0xa7);
    iec_use_then_remove(f, 46, 0xa8);
    fx_clear_events(f);
    gcmd_update(f, GCMD_SIRTP, 0);
    assert_iec_flush(f, true, 0, 0);
    iec_expect_removed(f, 45);
    iec_expect_removed(f, 46);
    /* and so does reset (then nothing is remapped at all) */
    iec_use_then_remove(f, 47, 0xa9);
    dmar_unit_reset(&f->u);
    for (unsigned i = 0; i < DMAR_IEC_ENTRIES; i++) {
        g_assert_false(f->u.iec[i].valid);
    }

    g_assert_cmphex(rd32(f, REG_GSTS), ==, 0);
    fx_free(f);
}

/* After a migration the interrupt entry cache starts empty */
static void test_ir_iec_post_load(void)
{
    Fx *f = fx_new();
    DmarUnitConfig cfg = fx_config();
    const char *why;
    Saved s;
    Fx *dst;

    ir_enable(f, IRT_BASE | 3, false);
    iec_use_then_remove(f, 3, 0x53);
    fx_save(f, &s);
    dst = fx_load(f, &cfg, &s, &why);
    g_assert_null(why);
    /* the destination's cache starts empty */
    iec_expect_removed(dst, 3);
    fx_free(dst);
    fx_free(f);
}

/* qtest /vtd-dmar/ir/ioapic: the IOAPIC's source-id 0xff00 */
static void test_ir_ioapic(void)
{
    Fx *f = fx_new();
    DmarIntr r;

    g_assert_true(fx_msi_sid(f, msi_compat(0), 0x90, IOAPIC_SID, &r));
    g_assert_false(r.remapped);

    irte_put(f, IRT_BASE, 6, irte_lo(0x91),
             IRTE_SVT(SVT_SID) | IRTE_SID(IOAPIC_SID));
    irte_put(f, IRT_BASE, 7, irte_lo(0x92),
             IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID));
    irte_put(f, IRT_BASE, 0x8006, irte_lo(0x93),
             IRTE_SVT(SVT_BUS) | IRTE_SID(0xffff));
    ir_enable(f, IRT_BASE | 15, false);

    g_assert_false(fx_msi_sid(f, msi_compat(0), 0x94, IOAPIC_SID, &r));
    assert_ir_fault(f, FR_IR_COMPAT, -1, IOAPIC_SID);
    g_assert_true(fx_msi_sid(f, msi_remappable(6, false), 0, IOAPIC_SID,
                             &r));
    g_assert_cmphex(r.irq.vector, ==, 0x91);
    g_assert_false(fx_msi_sid(f, msi_remappable(7, false), 0, IOAPIC_SID,
                              &r));
    assert_ir_fault(f, FR_IR_SID, 7, IOAPIC_SID);
    g_assert_true(fx_msi_sid(f, msi_remappable(0x8006, false), 0,
                             IOAPIC_SID, &r));
    g_assert_cmphex(r.irq.vector, ==, 0x93);
    gcmd_update(f, GCMD_CFI, 0);
    g_assert_true(fx_msi_sid(f, msi_compat(0), 0x95, IOAPIC_SID, &r));
    g_assert_false(r.remapped);
    /* and edu may not use the IOAPIC's entry */
    assert_blocked(f, msi_remappable(6, false), 0);
    assert_ir_fault(f, FR_IR_SID, 6, EDU_SID);
    assert_no_fault(f);
    fx_free(f);
}

/*
 * qtest /vtd-dmar/spec/irta-haw: an IRTE above 2^HAW is outside the
 * table (21h), not an access error (23h)
 */
static void test_ir_irta_haw(void)
{
    Fx *f = fx_new();
    uint64_t top = 1ull << FX_HAW;

    ir_enable(f, (top - 0x1000) | 8, false);
    g_assert_cmphex(rd64(f, REG_IRTA), ==, (top - 0x1000) | 8);
    assert_blocked(f, msi_remappable(255, false), 0);
    assert_ir_fault(f, FR_IR_ACCESS, 255, EDU_SID);
    assert_blocked(f, msi_remappable(256, false), 0);
    assert_ir_fault(f, FR_IR_INDEX, 256, EDU_SID);
    assert_blocked(f, msi_remappable(511, false), 0);
    assert_ir_fault(f, FR_IR_INDEX, 511, EDU_SID);
    assert_blocked(f, msi_remappable(512, false), 0);
    assert_ir_fault(f, FR_IR_INDEX, 512, EDU_SID);

    irte_put(f, IRT_BASE, 7, irte_lo(0x47), 0);
    ir_set_table(f, IRT_BASE | 3);
    assert_remapped(f, msi_remappable(7, false), 0, 0x47, false);
    assert_no_fault(f);
    fx_free(f);
}

static void ir_fuzz_hook(Fx *f, int at, bool before)
{
    g_assert_cmpint(at, ==, SCN_AT_IR_FUZZ_ROUND);
    fx_clear_events(f);
    fx_clear_log(f);
}

/* qtest /vtd-dmar/ir/fuzz */
static void test_ir_fuzz(void)
{
    Fx *f = fx_eim();

    fx_zero(f, RAM_END - 0x1000, 0x1000);
    f->extra = ir_fuzz_hook;
    scn_ir_fuzz(f);
    g_assert_cmpuint(f->remapped, >=, 20);
    fx_free(f);
}

/* ---- the shadow of MAP notifiers: dmar_unit_shadow_sync() ---- */

static void shadow_count(void *opaque, bool map, const DmarMapping *m)
{
    GArray *a = opaque;

    g_assert_true(map);
    g_array_append_val(a, *m);
}

/* Sync everything; the mappings told, in a fresh array (0: none) */
static GArray *shadow_all(Fx *f, DmarShadow *sh, int32_t *did)
{
    GArray *a = g_array_new(false, false, sizeof(DmarMapping));
    DmarShadowStats st;

    dmar_shadow_clear(sh, NULL, NULL);
    *did = dmar_unit_shadow_sync(&f->u, EDU_SID, sh, 0,
                                 (1ull << 48) - 1, shadow_count, a, &st);
    g_assert_cmpuint(st.maps, ==, a->len);
    return a;
}

/*
 * Only a translating legacy context is mirrored: TE clear, pass-through,
 * a context that faults give nothing and no domain.
 */
static void test_shadow_sync_context(void)
{
    Fx *f = fx_new();
    DmarShadow sh;
    GArray *a;
    int32_t did;

    dmar_shadow_init(&sh);
    tables_init(f, 4, 0);
    map(f, 0x10000, 0x500000, 1, PTE_R);
    map(f, 0x40000000, 0x80000000, 3, PTE_RW);
    a = shadow_all(f, &sh, &did);
    g_assert_cmpint(did, ==, -1);
    g_assert_cmpuint(a->len, ==, 0);
    g_array_free(a, true);

    dmar_enable(f, ROOT_TABLE);
    a = shadow_all(f, &sh, &did);
    g_assert_cmpint(did, ==, DOMAIN);
    g_assert_cmpuint(a->len, ==, 2);
    g_assert_cmphex(g_array_index(a, DmarMapping, 0).iova +
                    g_array_index(a, DmarMapping, 1).iova, ==, 0x40010000);
    g_array_free(a, true);

    /* TE cleared: the root table stays latched, nothing is mirrored */
    gcmd_update(f, 0, GCMD_TE);
    a = shadow_all(f, &sh, &did);
    g_assert_cmpint(did, ==, -1);
    g_assert_cmpuint(a->len, ==, 0);
    g_array_free(a, true);
    gcmd_update(f, GCMD_TE, 0);

    set_ctx(f, CTX_TT(DMAR_TT_PASSTHROUGH) | CTX_P, CTX_AW(4) |
            CTX_DID(DOMAIN));
    a = shadow_all(f, &sh, &did);
    g_assert_cmpint(did, ==, -1);
    g_assert_cmpuint(a->len, ==, 0);
    g_array_free(a, true);

    set_ctx(f, 0, 0);       /* not present */
    a = shadow_all(f, &sh, &did);
    g_assert_cmpint(did, ==, -1);
    g_assert_cmpuint(a->len, ==, 0);
    g_array_free(a, true);
    /* The lookup faults quietly: nothing recorded, no fault event */
    g_assert_cmphex(fsts(f), ==, 0);
    g_assert_cmpuint(fx_count(f, DMAR_EV_FAULT), ==, 0);
    dmar_shadow_destroy(&sh);
    fx_free(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD_CASES("/dmar-unit/dma/translate", xlate_cases, test_translate);
    g_test_add_func("/dmar-unit/dma/superpages", test_translate_superpages);
    g_test_add_func("/dmar-unit/dma/two-iovas-one-page",
                    test_two_iovas_one_page);
    g_test_add_func("/dmar-unit/dma/te-off", test_translate_te_off);
    g_test_add_func("/dmar-unit/dma/shared", test_translate_shared);
    g_test_add_func("/dmar-unit/dma/did", test_translate_did);
    g_test_add_func("/dmar-unit/dma/runs", test_translate_runs);
    g_test_add_func("/dmar-unit/dma/passthrough", test_translate_passthrough);
    g_test_add_func("/dmar-unit/dma/passthrough-late",
                    test_translate_passthrough_late);
    g_test_add_func("/dmar-unit/dma/srtp", test_translate_srtp);
    ADD_CASES("/dmar-unit/dma/fault", fault_cases, test_fault);
    g_test_add_func("/dmar-unit/dma/fault-no-record", test_fault_no_record);
    g_test_add_func("/dmar-unit/dma/fault-passthrough-beyond",
                    test_fault_passthrough_beyond);
    g_test_add_func("/dmar-unit/dma/fault-fpd", test_fault_fpd);
    ADD_CASES("/dmar-unit/probe/translate", xlate_cases,
              test_probe_translate);
    ADD_CASES("/dmar-unit/probe/fault", fault_cases, test_probe_fault);
    g_test_add_func("/dmar-unit/probe/modes", test_probe_modes);
    g_test_add_func("/dmar-unit/dma/fault-outcome", test_fault_outcome);
    g_test_add_func("/dmar-unit/dma/beyond", test_beyond);
    g_test_add_func("/dmar-unit/dma/bypass", test_bypass);
    g_test_add_func("/dmar-unit/dma/sid-blind", test_sid_blind);
    g_test_add_func("/dmar-unit/dma/context-cache", test_context_cache);
    g_test_add_func("/dmar-unit/dma/leaf-group", test_leaf_group);
    g_test_add_func("/dmar-unit/dma/evict", test_evict);
    g_test_add_func("/dmar-unit/dma/evict-large", test_evict_large);
    g_test_add_func("/dmar-unit/dma/verify-iotlb", test_verify_iotlb);
    g_test_add_func("/dmar-unit/ir/irta-latch", test_ir_irta_latch);
    g_test_add_func("/dmar-unit/ir/remap", test_ir_remap);
    g_test_add_func("/dmar-unit/ir/eim", test_ir_eim);
    g_test_add_func("/dmar-unit/ir/compat", test_ir_compat);
    g_test_add_func("/dmar-unit/ir/data-rsvd", test_ir_data_rsvd);
    ADD_CASES("/dmar-unit/ir/fault", scn_ir_fault_cases, test_ir_fault);
    ADD_CASES("/dmar-unit/ir/fault", ir_fault_extra, test_ir_fault);
    ADD_CASES("/dmar-unit/ir/rsvd", scn_ir_rsvd_cases, test_ir_rsvd);
    g_test_add_func("/dmar-unit/ir/iec", test_ir_iec);
    g_test_add_func("/dmar-unit/ir/iec-stats", test_ir_iec_stats);
    g_test_add_func("/dmar-unit/ir/iec-post-load", test_ir_iec_post_load);
    g_test_add_func("/dmar-unit/ir/ioapic", test_ir_ioapic);
    g_test_add_func("/dmar-unit/ir/irta-haw", test_ir_irta_haw);
    g_test_add_func("/dmar-unit/ir/fuzz", test_ir_fuzz);
    g_test_add_func("/dmar-unit/shadow/context", test_shadow_sync_context);
    return g_test_run();
}
