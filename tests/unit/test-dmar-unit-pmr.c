/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of protected memory regions (VT-d §11.4.8, pmr=on) and
 * abort-DMA mode (§3.4.4, abort-dma-mode=on) in the vtd-dmar unit layer:
 * the registers' access rules and reset values, which DMA a region
 * blocks (translation off, pass-through and translated contexts alike)
 * at every edge, that nothing is recorded as a fault, the bypass
 * decision, refused configurations, loaded state; RTADDR.TTM, SRTP and
 * the 33h/30h faults, register-based and queued invalidation in each
 * mode, interrupts unaffected. No QEMU: fake guest memory
 * (tests/unit/dmar-unit-fixture.h). tests/qtest/vtd-dmar-pmr-test.c
 * drives the same through edu's DMA.
 */
#include "dmar-unit-fixture.h"

#define MIB2            0x200000ull

/* The regions of these tests: low [LB, LL | 1FFFFFh], high [HB, ...] */
#define LB              0x20000000ull
#define LL              0x20200000ull       /* 4 MiB: two 2 MiB blocks */
#define HB              0x100000000ull
#define HL              0x100000000ull      /* 2 MiB at 4 GiB */
#define L_END           (LL + MIB2)

static Fx *fx_pmr(bool pmr, bool enable, bool adm)
{
    DmarUnitConfig cfg = fx_config();

    cfg.pmr = pmr;
    if (pmr) {
        cfg.pmr_low_base = LB;
        cfg.pmr_low_limit = LL;
        cfg.pmr_high_base = HB;
        cfg.pmr_high_limit = HL;
        cfg.pmr_enable = enable;
    }
    cfg.abort_dma = adm;
    return fx_new_cfg(&cfg);
}

/* DMA from edu at ADDR: granted (the identity) or blocked, never a fault */
static void assert_pmr(Fx *f, uint64_t addr, bool write, bool blocked)
{
    unsigned n = fx_count(f, DMAR_EV_PMR_BLOCK);
    DmarXlate x;
    bool ok = fx_dma(f, addr, write, &x);

    if (blocked) {
        g_assert_false(ok);
        g_assert_true(x.pmr_blocked);
        g_assert_cmpuint(x.act, ==, 0);
        g_assert_cmpuint(fx_count(f, DMAR_EV_PMR_BLOCK), ==, n + 1);
        g_assert_cmphex(fx_last(f, DMAR_EV_PMR_BLOCK)->pmr_block.addr, ==,
                        addr);
        g_assert_cmphex(fx_last(f, DMAR_EV_PMR_BLOCK)->pmr_block.sid, ==,
                        EDU_SID);
        g_assert_cmpint(fx_last(f, DMAR_EV_PMR_BLOCK)->pmr_block.is_write,
                        ==, write);
    } else {
        g_assert_true(ok);
        g_assert_false(x.pmr_blocked);
        g_assert_cmphex(x.t.pa | (addr & x.t.mask), ==, addr);
        g_assert_true(x.t.perm & (write ? DMAR_PERM_W : DMAR_PERM_R));
        /* never past the 2 MiB block around it: no region edge inside */
        g_assert_cmphex(x.t.mask, <, MIB2);
        g_assert_cmpuint(fx_count(f, DMAR_EV_PMR_BLOCK), ==, n);
    }
    g_assert_cmpuint(fx_count(f, DMAR_EV_FAULT), ==, 0);
    assert_no_fault(f);
}

/* Every edge of both regions, reads and writes */
static void assert_edges(Fx *f, bool protect)
{
    static const struct {
        uint64_t addr;
        bool in;
    } e[] = {
        { LB - 1, false }, { LB - 0x1000, false }, { LB, true },
        { LB + MIB2 - 1, true }, { LB + MIB2, true },
        { LL + MIB2 - 0x1000, true }, { LL + MIB2 - 1, true },
        { LL + MIB2, false }, { HB - 1, false }, { HB, true },
        { HL + MIB2 - 1, true }, { HL + MIB2, false }, { 0, false },
        { 0xfffff000ull, false },
    };

    for (size_t i = 0; i < ARRAY_SIZE(e); i++) {
        assert_pmr(f, e[i].addr, false, protect && e[i].in);
        assert_pmr(f, e[i].addr, true, protect && e[i].in);
    }
}

/* ================= capabilities and registers ================= */

/* Without pmr=on and abort-dma-mode=on: nothing of either shows */
static void test_caps_default(void)
{
    Fx *f = fx_new();
    static const unsigned regs[] = { REG_PLMBASE, REG_PLMLIMIT };

    g_assert_cmphex(rd64(f, REG_CAP) & (CAP_PLMR | CAP_PHMR), ==, 0);
    g_assert_cmphex(rd64(f, REG_ECAP) & ECAP_ADMS, ==, 0);
    wr32(f, REG_PMEN, 0xffffffff);
    g_assert_cmphex(rd32(f, REG_PMEN), ==, 0);
    for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
        wr32(f, regs[i], 0xffffffff);
        g_assert_cmphex(rd32(f, regs[i]), ==, 0);
    }
    wr64(f, REG_PHMBASE, ~0ull);
    wr64(f, REG_PHMLIMIT, ~0ull);
    g_assert_cmphex(rd64(f, REG_PHMBASE), ==, 0);
    g_assert_cmphex(rd64(f, REG_PHMLIMIT), ==, 0);
    /* TTM without ADMS: as before, it does not stick */
    wr64(f, REG_RTADDR, ROOT_TABLE | TTM(3));
    g_assert_cmphex(rd64(f, REG_RTADDR), ==, ROOT_TABLE);
    g_assert_true(dmar_unit_bypass(&f->u, EDU_SID));
    fx_free(f);
}

static void test_caps_on(void)
{
    Fx *f = fx_pmr(true, false, true);

    g_assert_cmphex(rd64(f, REG_CAP) & (CAP_PLMR | CAP_PHMR), ==,
                    CAP_PLMR | CAP_PHMR);
    g_assert_cmphex(rd64(f, REG_ECAP) & ECAP_ADMS, ==, ECAP_ADMS);
    g_assert_cmphex(rd64(f, REG_CAP), ==, dmar_unit_cap(&f->u));
    g_assert_cmphex(rd64(f, REG_ECAP), ==, dmar_unit_ecap(&f->u));
    fx_free(f);
}

/* §11.4.8.2-5: N found by writing all ones; high ones stop at HAW */
static void test_pmr_regs(void)
{
    Fx *f = fx_pmr(true, false, false);
    uint64_t high = ((1ull << FX_HAW) - 1) & ~(MIB2 - 1);

    g_assert_cmphex(rd32(f, REG_PMEN), ==, 0);
    wr32(f, REG_PLMBASE, 0xffffffff);
    wr32(f, REG_PLMLIMIT, 0xffffffff);
    g_assert_cmphex(rd32(f, REG_PLMBASE), ==, 0xffe00000);
    g_assert_cmphex(rd32(f, REG_PLMLIMIT), ==, 0xffe00000);
    wr64(f, REG_PHMBASE, ~0ull);
    wr64(f, REG_PHMLIMIT, ~0ull);
    g_assert_cmphex(rd64(f, REG_PHMBASE), ==, high);
    g_assert_cmphex(rd64(f, REG_PHMLIMIT), ==, high);
    /* the halves of the 64-bit ones */
    wr32(f, REG_PHMBASE + 4, 0);
    g_assert_cmphex(rd64(f, REG_PHMBASE), ==, 0xffe00000);
    wr32(f, REG_PHMBASE, 0x12345678);
    g_assert_cmphex(rd64(f, REG_PHMBASE), ==, 0x12200000);

    /* PMEN: EPM sticks, PRS follows it at once, the rest reads 0 */
    fx_take_act(f);
    wr32(f, REG_PMEN, 0x7fffffff);
    g_assert_cmphex(rd32(f, REG_PMEN), ==, 0);
    g_assert_cmpuint(fx_take_act(f) & DMAR_ACT_SWITCH_AS, ==, 0);
    wr32(f, REG_PMEN, 0xffffffff);
    g_assert_cmphex(rd32(f, REG_PMEN), ==, PMEN_EPM | PMEN_PRS);
    g_assert_cmpuint(fx_take_act(f) & DMAR_ACT_SWITCH_AS, ==,
                     DMAR_ACT_SWITCH_AS);
    g_assert_cmphex(fx_last(f, DMAR_EV_PMEN)->pmen.pmen, ==,
                    PMEN_EPM | PMEN_PRS);
    /* the same again: no switch */
    wr32(f, REG_PMEN, PMEN_EPM);
    g_assert_cmpuint(fx_take_act(f) & DMAR_ACT_SWITCH_AS, ==, 0);

    /* frozen while enabled: dropped and logged */
    fx_clear_log(f);
    wr32(f, REG_PLMBASE, LB);
    wr32(f, REG_PLMLIMIT, LL);
    wr64(f, REG_PHMBASE, HB);
    wr64(f, REG_PHMLIMIT, HL);
    g_assert_cmphex(rd32(f, REG_PLMBASE), ==, 0xffe00000);
    g_assert_cmphex(rd32(f, REG_PLMLIMIT), ==, 0xffe00000);
    g_assert_cmphex(rd64(f, REG_PHMBASE), ==, 0x12200000);
    g_assert_cmphex(rd64(f, REG_PHMLIMIT), ==, high);
    g_assert_cmpuint(fx_logged(f, "protected memory is enabled"), ==, 4);
    wr32(f, REG_PMEN, 0);
    g_assert_cmphex(rd32(f, REG_PMEN), ==, 0);
    g_assert_cmpuint(fx_take_act(f) & DMAR_ACT_SWITCH_AS, ==,
                     DMAR_ACT_SWITCH_AS);
    wr32(f, REG_PLMBASE, LB);
    g_assert_cmphex(rd32(f, REG_PLMBASE), ==, LB);
    fx_free(f);
}

/* The board's state at reset (pmr-low-base ... pmr-enable) */
static void test_pmr_reset(void)
{
    Fx *f = fx_pmr(true, true, false);

    for (int pass = 0; pass < 2; pass++) {
        g_assert_cmphex(rd32(f, REG_PMEN), ==, PMEN_EPM | PMEN_PRS);
        g_assert_cmphex(rd32(f, REG_PLMBASE), ==, LB);
        g_assert_cmphex(rd32(f, REG_PLMLIMIT), ==, LL);
        g_assert_cmphex(rd64(f, REG_PHMBASE), ==, HB);
        g_assert_cmphex(rd64(f, REG_PHMLIMIT), ==, HL);
        g_assert_false(dmar_unit_bypass(&f->u, EDU_SID));
        assert_pmr(f, LB, true, true);
        wr32(f, REG_PMEN, 0);
        wr32(f, REG_PLMBASE, 0);
        wr64(f, REG_PHMLIMIT, 0);
        g_assert_true(dmar_unit_bypass(&f->u, EDU_SID));
        g_assert_cmpuint(fx_act(f, dmar_unit_reset(&f->u)) &
                         DMAR_ACT_SWITCH_AS, ==, DMAR_ACT_SWITCH_AS);
    }
    fx_free(f);
}

typedef struct CfgCase {
    const char *name;
    bool pmr, enable;
    uint64_t lb, ll, hb, hl;
    const char *error;          /* NULL: accepted */
} CfgCase;

static const CfgCase cfg_cases[] = {
    { "ok", true, true, LB, LL, HB, HL, NULL },
    { "ok-top", true, false, 0xffe00000, 0xffe00000,
      (1ull << FX_HAW) - MIB2, (1ull << FX_HAW) - MIB2, NULL },
    { "low-base-unaligned", true, false, LB + 0x1000, LL, 0, 0,
      "pmr-low-base=0x20001000 must be a multiple of 2 MiB below "
      "0x100000000 (pmr)" },
    { "low-limit-unaligned", true, false, 0, 0x1fffff, 0, 0,
      "pmr-low-limit" },
    { "low-limit-4g", true, false, 0, 0x100000000ull, 0, 0,
      "pmr-low-limit" },
    { "high-base-unaligned", true, false, 0, 0, HB + 0x100000, 0,
      "pmr-high-base" },
    { "high-limit-haw", true, false, 0, 0, 0, 1ull << FX_HAW,
      "pmr-high-limit=0x10000000000 must be a multiple of 2 MiB below "
      "0x10000000000 (pmr)" },
    { "no-pmr-low", false, false, LB, 0, 0, 0,
      "pmr-low-base needs pmr=on" },
    { "no-pmr-high", false, false, 0, 0, 0, HL,
      "pmr-high-limit needs pmr=on" },
    { "no-pmr-enable", false, true, 0, 0, 0, 0,
      "pmr-enable needs pmr=on" },
};

static void test_config(const void *opaque)
{
    const CfgCase *c = opaque;
    DmarUnitConfig cfg = fx_config();
    g_autofree char *err = NULL;

    cfg.pmr = c->pmr;
    cfg.pmr_enable = c->enable;
    cfg.pmr_low_base = c->lb;
    cfg.pmr_low_limit = c->ll;
    cfg.pmr_high_base = c->hb;
    cfg.pmr_high_limit = c->hl;
    err = dmar_unit_config_error(&cfg);
    if (!c->error) {
        g_assert_null(err);
        return;
    }
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err, "pmr"));
    g_assert_nonnull(strstr(err, c->error));
}

/* ================= blocking ================= */

/* Translation off: every edge of both regions; nothing outside them */
static void test_pmr_te_off(void)
{
    Fx *f = fx_pmr(true, false, false);

    assert_edges(f, false);
    g_assert_true(dmar_unit_bypass(&f->u, EDU_SID));
    g_assert_true(dmar_unit_sid_blind(&f->u));
    g_assert_false(dmar_unit_pmr_protects(&f->u, LB));
    g_assert_cmphex(wr32(f, REG_PMEN, PMEN_EPM), ==, DMAR_ACT_SWITCH_AS);
    g_assert_true(dmar_unit_pmr_protects(&f->u, LB));
    g_assert_true(dmar_unit_pmr_protects(&f->u, HB));
    g_assert_false(dmar_unit_pmr_protects(&f->u, L_END));
    /* every request must come to the unit now (no fast path) */
    g_assert_false(dmar_unit_bypass(&f->u, EDU_SID));
    g_assert_false(dmar_unit_sid_blind(&f->u));
    assert_edges(f, true);
    wr32(f, REG_PMEN, 0);
    g_assert_true(dmar_unit_bypass(&f->u, EDU_SID));
    g_assert_true(dmar_unit_sid_blind(&f->u));
    assert_edges(f, false);
    fx_free(f);
}

/* A limit below its base protects nothing; both empty: the fast path */
static void test_pmr_empty(void)
{
    Fx *f = fx_pmr(true, false, false);

    wr32(f, REG_PLMBASE, LL);
    wr32(f, REG_PLMLIMIT, LB);
    wr32(f, REG_PMEN, PMEN_EPM);
    g_assert_false(dmar_unit_bypass(&f->u, EDU_SID));  /* high still set */
    assert_pmr(f, LB, true, false);
    assert_pmr(f, LL, true, false);
    assert_pmr(f, HB, true, true);
    wr32(f, REG_PMEN, 0);
    wr64(f, REG_PHMBASE, HB + MIB2);
    wr32(f, REG_PMEN, PMEN_EPM);
    g_assert_true(dmar_unit_bypass(&f->u, EDU_SID));
    assert_pmr(f, HB, true, false);
    /* base == limit: one 2 MiB block */
    wr32(f, REG_PMEN, 0);
    wr32(f, REG_PLMBASE, LB);
    wr32(f, REG_PLMLIMIT, LB);
    wr32(f, REG_PMEN, PMEN_EPM);
    assert_pmr(f, LB - 1, false, false);
    assert_pmr(f, LB, false, true);
    assert_pmr(f, LB + MIB2 - 1, false, true);
    assert_pmr(f, LB + MIB2, false, false);
    fx_free(f);
}

/* Translation on, a pass-through context: blocked as with TE off */
static void test_pmr_passthrough(void)
{
    Fx *f = fx_pmr(true, true, false);

    tables_init(f, 4, CTX_TT(2));
    dmar_enable(f, ROOT_TABLE);
    g_assert_false(dmar_unit_bypass(&f->u, EDU_SID));
    assert_edges(f, true);
    wr32(f, REG_PMEN, 0);
    g_assert_true(dmar_unit_bypass(&f->u, EDU_SID));
    fx_free(f);
}

/*
 * A request whose translation lands in a region: blocked as any other
 * (§11.4.8.1, major version 2 and up), the event naming the address
 * it would have reached; no fault.
 */
static void assert_xlate_blocked(Fx *f, uint64_t iova, bool write,
                                 uint64_t out)
{
    unsigned n = fx_count(f, DMAR_EV_PMR_BLOCK);
    DmarXlate x;

    g_assert_false(fx_dma(f, iova, write, &x));
    g_assert_true(x.pmr_blocked);
    g_assert_cmpuint(fx_count(f, DMAR_EV_PMR_BLOCK), ==, n + 1);
    g_assert_cmphex(fx_last(f, DMAR_EV_PMR_BLOCK)->pmr_block.addr, ==, out);
    g_assert_cmpuint(fx_count(f, DMAR_EV_FAULT), ==, 0);
    assert_no_fault(f);
}

/*
 * Translation on, a translated context: what the paging entries grant
 * is checked where it leads, not where it comes from; an IOTLB hit too.
 */
static void test_pmr_translated(void)
{
    Fx *f = fx_pmr(true, true, false);
    DmarXlate x;

    tables_init(f, 4, 0);
    map(f, LB, LB, 1, PTE_RW);              /* the identity into it */
    map(f, IOVA_A, HB + 0x3000, 1, PTE_RW); /* elsewhere into the high */
    map(f, HB, PAGE_P1, 1, PTE_RW);         /* an IOVA that looks inside */
    map(f, IOVA_B, LB - 0x1000, 1, PTE_RW); /* the page below the low */
    dmar_enable(f, ROOT_TABLE);
    g_assert_false(dmar_unit_bypass(&f->u, EDU_SID));
    assert_xlate_blocked(f, LB + 0x10, true, LB + 0x10);
    assert_xlate_blocked(f, LB + 0x10, false, LB + 0x10);  /* a hit now */
    assert_xlate_blocked(f, IOVA_A + 0x8, false, HB + 0x3008);
    g_assert_cmphex(xlate(f, HB, true), ==, PAGE_P1);
    g_assert_cmphex(xlate(f, IOVA_B + 0xff8, true), ==, LB - 8);
    /*
     * A 1 GiB page outside both regions (IOVA 3 GiB -> 1 GiB): the answer
     * shrinks to the 2 MiB around the address, a region's granularity,
     * and keeps its translation.
     */
    map(f, 0xc0000000ull, 0x40000000ull, 3, PTE_RW);
    for (unsigned i = 0; i < 2; i++) {
        g_assert_true(fx_dma(f, 0xc0323456ull, true, &x));
        g_assert_false(x.pmr_blocked);
        g_assert_cmphex(x.t.mask, ==, MIB2 - 1);
        g_assert_cmphex(x.t.iova, ==, 0xc0200000ull);
        g_assert_cmphex(x.t.pa, ==, 0x40200000ull);
    }
    /* what is not mapped faults as ever (recorded) */
    fault_of(f, LL, true, FR_WRITE);
    /* protection off: the paging entries alone decide */
    wr32(f, REG_PMEN, 0);
    g_assert_cmphex(xlate(f, LB + 0x10, true), ==, LB + 0x10);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, HB + 0x3000);
    fx_free(f);
}

/* ================= migration ================= */

static void test_pmr_stream(void)
{
    Fx *f = fx_pmr(true, true, true), *g;
    DmarUnitConfig cfg = f->cfg;
    const char *why;
    Saved s;

    wr64(f, REG_RTADDR, ROOT_TABLE | TTM(3));
    wr32(f, REG_GCMD, GCMD_SRTP);
    fx_save(f, &s);
    g = fx_load(f, &cfg, &s, &why);
    g_assert_null(why);
    g_assert_cmphex(rd32(g, REG_PMEN), ==, PMEN_EPM | PMEN_PRS);
    g_assert_cmphex(rd64(g, REG_RTADDR), ==, ROOT_TABLE | TTM(3));
    assert_pmr(g, LB, false, true);
    fx_free(g);

    /* EPM without PRS, PRS without EPM, reserved bits: refused */
    for (int i = 0; i < 3; i++) {
        static const uint32_t bad[] = { PMEN_EPM, PMEN_PRS, 0x80000003 };

        fx_save(f, &s);
        stl_le_p(s.regs + REG_PMEN, bad[i]);
        g = fx_load(f, &cfg, &s, &why);
        g_assert_nonnull(why);
        fx_free(g);
    }
    fx_save(f, &s);
    stl_le_p(s.regs + REG_PLMBASE, LB | 0x1000);
    g = fx_load(f, &cfg, &s, &why);
    g_assert_nonnull(why);
    fx_free(g);
    fx_save(f, &s);
    stq_le_p(s.regs + REG_PHMLIMIT, 1ull << FX_HAW);
    g = fx_load(f, &cfg, &s, &why);
    g_assert_nonnull(why);
    fx_free(g);

    /* a unit without pmr / abort-dma-mode refuses their state */
    cfg.pmr = false;
    cfg.pmr_low_base = cfg.pmr_low_limit = 0;
    cfg.pmr_high_base = cfg.pmr_high_limit = 0;
    cfg.pmr_enable = false;
    fx_save(f, &s);
    stq_le_p(s.regs + REG_CAP, ldq_le_p(s.regs + REG_CAP) &
             ~(CAP_PLMR | CAP_PHMR));
    g = fx_load(f, &cfg, &s, &why);
    g_assert_nonnull(why);
    fx_free(g);
    cfg = f->cfg;
    cfg.abort_dma = false;
    fx_save(f, &s);
    stq_le_p(s.regs + REG_ECAP, ldq_le_p(s.regs + REG_ECAP) & ~ECAP_ADMS);
    g = fx_load(f, &cfg, &s, &why);
    g_assert_nonnull(why);
    fx_free(g);
    fx_free(f);
}

/* ================= abort-DMA mode ================= */

static void assert_adm_fault(Fx *f, uint64_t addr, bool write, uint8_t fr)
{
    unsigned fe = f->fe_count, i;


    fault_of(f, addr, write, fr);
    i = (fsts(f) >> 8) & 0xff;
    assert_frcd(f, i, addr, fr, write);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(i));
    g_assert_cmpuint(f->fe_count, ==, fe + 1);
    frcd_clear(f, i);
    g_assert_cmphex(fsts(f) & FSTS_PPF, ==, 0);
}

/*
 * §3.4.4: SRTP with TTM 11b, TE: every DMA is blocked and reported
 * (33h, RTA.4: not qualified, no table read) until SRTP with a real root
 * table in legacy mode.
 */
static void test_adm_sequence(void)
{
    Fx *f = fx_pmr(false, false, true);

    wr32(f, REG_FECTL, 0);
    wr32(f, REG_FEADDR, FE_MSG);
    /* the tables are there, with FPD: abort-DMA mode reads none of them */
    tables_init(f, 4, CTX_FPD);
    map(f, IOVA_A, PAGE_P1, 1, PTE_RW);
    wr64(f, REG_RTADDR, ROOT_TABLE | TTM(3));
    g_assert_cmphex(rd64(f, REG_RTADDR), ==, ROOT_TABLE | TTM(3));
    /* TTM takes effect at SRTP only; with TE clear DMA is untranslated */
    assert_pmr(f, IOVA_A, true, false);
    wr32(f, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_RTPS);
    assert_pmr(f, IOVA_A, true, false);
    g_assert_true(dmar_unit_bypass(&f->u, EDU_SID));
    fx_take_act(f);
    wr32(f, REG_GCMD, GCMD_TE);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    g_assert_cmpuint(fx_take_act(f) & DMAR_ACT_SWITCH_AS, ==,
                     DMAR_ACT_SWITCH_AS);
    g_assert_false(dmar_unit_bypass(&f->u, EDU_SID));
    assert_adm_fault(f, IOVA_A, false, FR_ABORT_DMA);
    assert_adm_fault(f, IOVA_A + 0x123, true, FR_ABORT_DMA);
    assert_adm_fault(f, 0, true, FR_ABORT_DMA);
    /* another device, and one above the host address width */
    g_assert_cmpuint(fx_act(f, dmar_unit_beyond(&f->u, EDU_SID,
                                                1ull << FX_HAW, true)) &
                     DMAR_ACT_FAULT_EVENT, ==, DMAR_ACT_FAULT_EVENT);
    assert_frcd(f, (fsts(f) >> 8) & 0xff, 1ull << FX_HAW, FR_ABORT_DMA,
                true);
    frcd_clear(f, (fsts(f) >> 8) & 0xff);

    /* the probe (x-vtd-dmar-translate) says the same */
    {
        DmarRequest req = { .addr = IOVA_A, .sid = EDU_SID,
                            .pasid = DMAR_NO_PASID };
        DmarProbe p;

        dmar_unit_probe(&f->u, &req, &p);
        g_assert_cmpint(p.mode, ==, DMAR_PROBE_FAULT);
        g_assert_cmphex(p.fault.fr, ==, FR_ABORT_DMA);
        g_assert_cmpuint(p.nsteps, ==, 0);
    }

    /* register-based invalidation outside legacy mode: CAIG/IAIG 00b */
    g_assert_cmphex(CCMD_CAIG(ccmd_inv(f, CCMD_CIRG(1))), ==, 0);
    g_assert_cmphex((iotlb_inv(f, 1, 0, 0) >> 57) & 3, ==, 0);

    /* software now has its tables: SRTP in legacy mode, TE stays set */
    wr64(f, REG_RTADDR, ROOT_TABLE);
    wr32(f, REG_GCMD, GCMD_TE | GCMD_SRTP);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    g_assert_cmphex(xlate(f, IOVA_A, true), ==, PAGE_P1);
    g_assert_cmphex(CCMD_CAIG(ccmd_inv(f, CCMD_CIRG(1))), ==, 1);
    g_assert_true(dmar_unit_bypass(&f->u, EDU_SID) == false);
    assert_no_fault(f);
    fx_free(f);
}

/* TTM 10b (reserved) and 01b (no scalable mode): 30h, RTA.1 */
static void test_adm_bad_ttm(void)
{
    Fx *f = fx_pmr(false, false, true);

    wr32(f, REG_FECTL, 0);
    /* a pass-through context there: not read, no bypass */
    tables_init(f, 4, CTX_TT(2));
    for (unsigned ttm = 1; ttm <= 3; ttm++) {
        wr64(f, REG_RTADDR, ROOT_TABLE | TTM(ttm));
        wr32(f, REG_GCMD, GCMD_TE | GCMD_SRTP);
        g_assert_false(dmar_unit_bypass(&f->u, EDU_SID));
        assert_adm_fault(f, IOVA_B, true,
                         ttm == 3 ? FR_ABORT_DMA : FR_RTA_TTM);
    }
    /* DMA faults, not interrupt ones (dmar_fr_is_ir() stops at 2Fh) */
    g_assert_cmpuint(fx_logged(f, "G: vtd-dmar: DMA write fault, sid 00:04.0 "
                               "addr 0x2468a000 reason 0x30\n"), ==, 2);
    g_assert_cmpuint(fx_logged(f, "G: vtd-dmar: DMA write fault, sid 00:04.0 "
                               "addr 0x2468a000 reason 0x33\n"), ==, 1);
    wr64(f, REG_RTADDR, ROOT_TABLE);
    wr32(f, REG_GCMD, GCMD_TE | GCMD_SRTP);
    g_assert_true(dmar_unit_bypass(&f->u, EDU_SID));
    fx_free(f);
}

/* Interrupt remapping is not affected by abort-DMA mode */
static void test_adm_interrupts(void)
{
    Fx *f = fx_pmr(false, false, true);

    irte_put(f, IRT_BASE, 5, irte_lo(0x45), IRTE_SID(EDU_SID) | IRTE_SVT(1));
    ir_enable(f, IRT_BASE | 7, false);
    wr64(f, REG_RTADDR, TTM(3));
    wr32(f, REG_GCMD, GCMD_TE | GCMD_SRTP | GCMD_IRE);
    g_assert_cmphex(rd32(f, REG_GSTS), ==,
                    GSTS_TES | GSTS_RTPS | GSTS_IRES | GSTS_IRTPS);
    assert_remapped(f, msi_remappable(5, false), 0, 0x45, false);
    fx_free(f);
}

/* A 256-bit wait descriptor whose status write lands at ADDR */
static void qi_wait256(Fx *f, unsigned slot, uint64_t addr, uint32_t data)
{
    qi_put(f, slot, QI_WAIT | QI_WAIT_SW | QI_SDATA(data), addr);
    qi_put(f, slot + 1, 0, 0);
}

static uint32_t iqei(Fx *f)
{
    return rd64(f, REG_IQERCD) & 0xf;
}

/*
 * §11.4.9.3, §11.4.9.9, §6.5.2.11 Table 26: with ADMS, 256-bit
 * descriptors work in legacy mode; 128-bit ones are invalid in abort-DMA
 * mode (IQEI 5), every one under a reserved mode (IQEI 7).
 */
static void test_adm_queue(void)
{
    Fx *f = fx_pmr(false, false, true);

    qi_enable(f, IQ_BASE, 0);
    /* legacy mode, DW=1 */
    wr64(f, REG_IQA, IQ_BASE | IQA_DW);
    fx_w32(f, IQ_STATUS, 0);
    qi_wait256(f, 0, IQ_STATUS, 0x1234);
    wr64(f, REG_IQT, 2 * 16);
    g_assert_cmphex(fsts(f) & FSTS_IQE, ==, 0);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0x1234);
    g_assert_cmphex(rd64(f, REG_IQH), ==, 2 * 16);

    /* abort-DMA mode, DW=1: still fine */
    wr64(f, REG_RTADDR, TTM(3));
    wr32(f, REG_GCMD, GCMD_QIE | GCMD_SRTP);
    qi_wait256(f, 2, IQ_STATUS, 0x5678);
    wr64(f, REG_IQT, 4 * 16);
    g_assert_cmphex(fsts(f) & FSTS_IQE, ==, 0);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0x5678);

    /* abort-DMA mode, DW=0: IQEI 5 */
    wr32(f, REG_GCMD, 0);
    wr64(f, REG_IQA, IQ_BASE);
    wr64(f, REG_IQT, 0);
    wr32(f, REG_GCMD, GCMD_QIE);
    qi_put(f, 0, QI_WAIT | QI_WAIT_SW | QI_SDATA(1), IQ_STATUS);
    wr64(f, REG_IQT, 16);
    g_assert_cmphex(fsts(f) & FSTS_IQE, ==, FSTS_IQE);
    g_assert_cmpuint(iqei(f), ==, IQEI_DW);
    g_assert_cmphex(rd64(f, REG_IQH), ==, 0);

    /* a reserved mode latched: IQEI 7 */
    wr64(f, REG_RTADDR, TTM(2));
    wr32(f, REG_GCMD, GCMD_QIE | GCMD_SRTP);
    wr32(f, REG_FSTS, FSTS_IQE);
    g_assert_cmpuint(iqei(f), ==, 7);
    g_assert_cmphex(fsts(f) & FSTS_IQE, ==, FSTS_IQE);

    /* legacy again: the 128-bit descriptor runs */
    wr64(f, REG_RTADDR, 0);
    wr32(f, REG_GCMD, GCMD_QIE | GCMD_SRTP);
    fx_w32(f, IQ_STATUS, 0);
    wr32(f, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(fsts(f) & FSTS_IQE, ==, 0);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 1);
    fx_free(f);
}

/* Without ADMS, DW=1 stays an error (IQEI 5), as before */
static void test_queue_dw_no_adms(void)
{
    Fx *f = fx_new();

    qi_enable(f, IQ_BASE, 0);
    wr64(f, REG_IQA, IQ_BASE | IQA_DW);
    qi_wait256(f, 0, IQ_STATUS, 1);
    wr64(f, REG_IQT, 2 * 16);
    g_assert_cmphex(fsts(f) & FSTS_IQE, ==, FSTS_IQE);
    g_assert_cmpuint(iqei(f), ==, IQEI_DW);
    fx_free(f);
}

/*
 * MAP notifiers are never told a leaf that reaches a region in force:
 * a 4 KiB page inside it, a 1 GiB page around it; the rest is told.
 * An abort-DMA root table mirrors nothing.
 */
static void shadow_collect(void *opaque, bool map, const DmarMapping *m)
{
    if (map) {
        g_array_append_val((GArray *)opaque, *m);
    }
}

static void test_pmr_shadow(void)
{
    Fx *f = fx_pmr(true, true, true);
    g_autoptr(GArray) a = g_array_new(false, false, sizeof(DmarMapping));
    DmarShadowStats st;
    DmarShadow sh;

    dmar_shadow_init(&sh);
    tables_init(f, 4, 0);
    map(f, 0x1000, LB + 0x3000, 1, PTE_RW);         /* inside: left out */
    map(f, 0x2000, LB - 0x1000, 1, PTE_RW);         /* below it: told */
    map(f, 0x40000000, 0, 3, PTE_RW);               /* 0..1G: has LB */
    map(f, 0x80000000, 0x40000000, 3, PTE_R);       /* 1G..2G: told */
    dmar_enable(f, ROOT_TABLE);
    g_assert_cmpint(dmar_unit_shadow_sync(&f->u, EDU_SID, &sh, 0,
                                          (1ull << 48) - 1, shadow_collect,
                                          a, &st), ==, DOMAIN);
    g_assert_cmpuint(a->len, ==, 2);
    g_assert_cmphex(g_array_index(a, DmarMapping, 0).iova, ==, 0x2000);
    g_assert_cmphex(g_array_index(a, DmarMapping, 1).iova, ==, 0x80000000);

    /* PMEN clear: all four */
    wr32(f, REG_PMEN, 0);
    g_array_set_size(a, 0);
    dmar_unit_shadow_sync(&f->u, EDU_SID, &sh, 0, (1ull << 48) - 1,
                          shadow_collect, a, &st);
    g_assert_cmpuint(dmar_shadow_count(&sh), ==, 4);

    /* Abort-DMA mode: nothing (UNMAPs of all four) */
    wr64(f, REG_RTADDR, ROOT_TABLE | TTM(3));
    wr32(f, REG_GCMD, GCMD_TE | GCMD_SRTP);
    g_assert_cmpint(dmar_unit_shadow_sync(&f->u, EDU_SID, &sh, 0,
                                          (1ull << 48) - 1, shadow_collect,
                                          a, &st), ==, -1);
    g_assert_cmpuint(st.unmaps, ==, 4);
    g_assert_cmpuint(dmar_shadow_count(&sh), ==, 0);
    dmar_shadow_destroy(&sh);
    fx_free(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dmar-unit/pmr/caps-default", test_caps_default);
    g_test_add_func("/dmar-unit/pmr/caps-on", test_caps_on);
    g_test_add_func("/dmar-unit/pmr/regs", test_pmr_regs);
    g_test_add_func("/dmar-unit/pmr/reset", test_pmr_reset);
    ADD_CASES("/dmar-unit/pmr/config", cfg_cases, test_config);
    g_test_add_func("/dmar-unit/pmr/te-off", test_pmr_te_off);
    g_test_add_func("/dmar-unit/pmr/empty", test_pmr_empty);
    g_test_add_func("/dmar-unit/pmr/passthrough", test_pmr_passthrough);
    g_test_add_func("/dmar-unit/pmr/translated", test_pmr_translated);
    g_test_add_func("/dmar-unit/pmr/stream", test_pmr_stream);
    g_test_add_func("/dmar-unit/pmr/shadow", test_pmr_shadow);
    g_test_add_func("/dmar-unit/adm/sequence", test_adm_sequence);
    g_test_add_func("/dmar-unit/adm/bad-ttm", test_adm_bad_ttm);
    g_test_add_func("/dmar-unit/adm/interrupts", test_adm_interrupts);
    g_test_add_func("/dmar-unit/adm/queue", test_adm_queue);
    g_test_add_func("/dmar-unit/adm/queue-dw-no-adms", test_queue_dw_no_adms);
    return g_test_run();
}
