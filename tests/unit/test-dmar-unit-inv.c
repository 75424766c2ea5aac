/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the vtd-dmar unit layer (dmar-unit.c): register-based
 * and queued invalidation (VT-d §6.5), the queue's errors and their
 * recovery (IQE, IQERCD), wait descriptors and the invalidation event,
 * the queue's budget and continuation, and the scopes invalidations
 * report for IOMMU notifiers. No QEMU: fake guest memory, driven as the
 * glue drives the unit (tests/unit/dmar-unit-fixture.h).
 *
 * Each test stands for a qtest (named in its comment) and asserts the
 * same observable values; "copy(A, B) lands in P" of a qtest becomes
 * "A translates to P" here.
 */
#include "dmar-unit-fixture.h"

/* ================= IOTLB invalidation ================= */

/* The cases (inv_page ... qi_inv_global), scn_inv_for(): scenarios.h */

/*
 * qtest /vtd-dmar/invalidate/iotlb-{page,domain,global} and
 * /vtd-dmar/qi/iotlb-{page,domain,global}
 */
static void test_invalidate_iotlb(const void *opaque)
{
    const ScnInvCase *c = opaque;
    Fx *f = fx_new();
    const uint64_t region = 0x20000000ull;
    const uint64_t big = 0x30000000ull;

    tables_init(f, 3, 0);
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    map(f, region + 0x5000, PAGE_P1, 1, PTE_R);
    map(f, big, BIG_2M_A, 2, PTE_R);
    map(f, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_enable(f, ROOT_TABLE);
    if (c->qi) {
        qi_enable(f, IQ_BASE, 0);
    }

    /* a 4 KiB page: cached until invalidated */
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    scn_inv_for(f, c, IOVA_A, 0);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);

    /* a page inside a 2 MiB range (AM = 9) */
    g_assert_cmphex(xlate(f, region + 0x5000, false), ==, PAGE_P1);
    map(f, region + 0x5000, PAGE_P2, 1, PTE_R);
    scn_inv_for(f, c, region, 9);
    g_assert_cmphex(xlate(f, region + 0x5000, false), ==, PAGE_P2);

    /* a 2 MiB page, invalidated through one of its 4 KiB pages */
    g_assert_cmphex(xlate(f, big + 0x3040, false), ==, BIG_2M_A + 0x3040);
    map(f, big, BIG_2M_B, 2, PTE_R);
    scn_inv_for(f, c, big + 0x3000, 0);
    g_assert_cmphex(xlate(f, big + 0x3040, false), ==, BIG_2M_B + 0x3040);

    g_assert_cmphex(xlate(f, IOVA_B, true), ==, PAGE_OUT);
    g_assert_cmphex(fsts(f), ==, 0);
    /* stale hits are reported only with verify_iotlb */
    g_assert_cmpuint(fx_count(f, DMAR_EV_STALE_HIT), ==, 0);
    fx_free(f);
}

/*
 * IOVA_A -> PAGE_P1 (read), IOVA_B -> PAGE_OUT (write); translation on
 * and IOVA_A's translation cached.
 */
static void setup_a_to_b(Fx *f)
{
    tables_init(f, 3, 0);
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    map(f, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_enable(f, ROOT_TABLE);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    g_assert_cmphex(xlate(f, IOVA_B, true), ==, PAGE_OUT);
}

/* qtest /vtd-dmar/invalidate/iotlb-granularity */
static void test_invalidate_iotlb_granularity(void)
{
    Fx *f = fx_new();
    uint64_t v;

    setup_a_to_b(f);

    /* AM above MAMV (18): done, and reported, as domain-selective */
    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    v = iotlb_inv(f, GRAN_PAGE, DOMAIN, IVA_AM(19));
    g_assert_cmphex(IOTLB_IAIG(v), ==, GRAN_DOMAIN);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);

    /* AM = MAMV is still page-selective */
    v = iotlb_inv(f, GRAN_PAGE, DOMAIN, IVA_AM(18));
    g_assert_cmphex(IOTLB_IAIG(v), ==, GRAN_PAGE);

    /* IIRG = 0 is invalid: IAIG = 0, nothing invalidated, logged */
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);
    map(f, IOVA_A, PAGE_P3, 1, PTE_R);
    fx_clear_log(f);
    wr64(f, REG_IOTLB, IOTLB_IVT | IOTLB_DID(DOMAIN));
    v = rd64(f, REG_IOTLB);
    g_assert_cmphex(v & IOTLB_IVT, ==, 0);
    g_assert_cmphex(IOTLB_IAIG(v), ==, 0);
    g_assert_cmpuint(fx_logged(f, "G: vtd-dmar: IOTLB invalidation with "
                               "reserved granularity 0"), ==, 1);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);

    /* the 32-bit halves: the command goes with the upper one */
    wr64(f, REG_IVA, IOVA_A);
    wr32(f, REG_IOTLB, 0);
    wr32(f, REG_IOTLB + 4, (IOTLB_IVT | IOTLB_IIRG(GRAN_GLOBAL)) >> 32);
    v = rd64(f, REG_IOTLB);
    g_assert_cmphex(v & IOTLB_IVT, ==, 0);
    g_assert_cmphex(IOTLB_IAIG(v), ==, GRAN_GLOBAL);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P3);
    /* the lower half alone does nothing: IVT is not set there */
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    wr32(f, REG_IOTLB, ~0u);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P3);
    g_assert_cmphex(fsts(f), ==, 0);
    fx_free(f);
}

/* qtest /vtd-dmar/invalidate/context */
static void test_invalidate_context(void)
{
    Fx *f = fx_new();
    uint64_t v, slpt1, slpt2;

    tables_init(f, 3, 0);
    slpt1 = f->slpt;
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    map(f, IOVA_C, PAGE_P1, 1, PTE_R);
    map(f, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_enable(f, ROOT_TABLE);

    /* granularities as reported in CAIG */
    v = ccmd_inv(f, CCMD_CIRG(GRAN_GLOBAL));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_GLOBAL);
    v = ccmd_inv(f, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DOMAIN);
    v = ccmd_inv(f, CCMD_CIRG(GRAN_DEVICE) | CCMD_SID(EDU_SID) |
                 CCMD_DID(DOMAIN));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DEVICE);
    fx_clear_log(f);
    v = ccmd_inv(f, CCMD_CIRG(0));
    g_assert_cmphex(CCMD_CAIG(v), ==, 0);
    g_assert_cmpuint(fx_logged(f, "G: vtd-dmar: context invalidation with "
                               "reserved granularity 0"), ==, 1);

    /* context cached; then made not present, device-selective flush */
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    set_ctx(f, ctx_lo(f) & ~CTX_P, ctx_hi(f));
    /* cached: still used before the invalidation */
    g_assert_cmphex(xlate(f, IOVA_C, false), ==, PAGE_P1);
    iotlb_inv(f, GRAN_PAGE, DOMAIN, IOVA_C);
    g_assert_cmphex(xlate(f, IOVA_C, false), ==, PAGE_P1);
    iotlb_inv(f, GRAN_PAGE, DOMAIN, IOVA_C);
    wr32(f, REG_CCMD, CCMD_SID(EDU_SID) | CCMD_DID(DOMAIN));
    g_assert_cmpuint(wr32(f, REG_CCMD + 4,
                          (CCMD_ICC | CCMD_CIRG(GRAN_DEVICE)) >> 32), ==,
                     DMAR_ACT_SWITCH_AS);
    v = rd64(f, REG_CCMD);
    g_assert_cmphex(v & CCMD_ICC, ==, 0);
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DEVICE);
    /* a page the IOTLB does not hold needs the context: it is gone */
    fault_of(f, IOVA_C, false, FR_CTX_NP);
    assert_frcd(f, 0, IOVA_C, FR_CTX_NP, false);
    /* our IOTLB is tagged by source-id: the device's pages went too */
    fault_of(f, IOVA_B, true, FR_CTX_NP);
    assert_frcd(f, 1, IOVA_B, FR_CTX_NP, true);

    /* not-present entries are not cached (CM = 0): no flush needed */
    set_ctx(f, ctx_lo(f) | CTX_P, ctx_hi(f));
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    g_assert_cmphex(rd64(f, REG_FRCD(2) + 8), ==, 0);

    /* device-selective with FM = 3: 00:04.7 names every function of 04 */
    set_ctx(f, ctx_lo(f) & ~CTX_P, ctx_hi(f));
    v = ccmd_inv(f, CCMD_CIRG(GRAN_DEVICE) | CCMD_FM(3) |
                 CCMD_SID(EDU_SID | 7) | CCMD_DID(DOMAIN));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DEVICE);
    fault_of(f, IOVA_C + 0x1000, false, FR_CTX_NP);
    assert_frcd(f, 2, IOVA_C + 0x1000, FR_CTX_NP, false);
    set_ctx(f, ctx_lo(f) | CTX_P, ctx_hi(f));

    /* new second-level tables for the domain, domain-selective flush */
    slpt2 = f->slpt = table_new(f);
    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    map(f, IOVA_B, PAGE_OUT, 1, PTE_W);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    set_ctx(f, slpt2 | CTX_P, ctx_hi(f));
    g_assert_cmphex(slpt1, !=, slpt2);
    v = ccmd_inv(f, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_DOMAIN);
    iotlb_inv(f, GRAN_DOMAIN, DOMAIN, 0);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);
    g_assert_cmphex(rd64(f, REG_FRCD(3) + 8), ==, 0);
    fx_free(f);
}

/*
 * A context-cache invalidation of another domain or device leaves this
 * device's cached context alone (and so must the IOTLB): only what the
 * request names goes.
 */
static void test_invalidate_context_scope(void)
{
    Fx *f = fx_new();

    setup_a_to_b(f);
    map(f, IOVA_C, PAGE_P3, 1, PTE_R);
    set_ctx(f, ctx_lo(f) & ~CTX_P, ctx_hi(f));
    ccmd_inv(f, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN + 1));
    ccmd_inv(f, CCMD_CIRG(GRAN_DEVICE) | CCMD_SID(EDU_SID + 8) |
             CCMD_DID(DOMAIN));
    ccmd_inv(f, CCMD_CIRG(GRAN_DEVICE) | CCMD_FM(0) |
             CCMD_SID(EDU_SID | 1) | CCMD_DID(DOMAIN));
    ccmd_inv(f, CCMD_CIRG(GRAN_DEVICE) | CCMD_FM(2) |
             CCMD_SID((EDU_SID | 0x100) | 7) | CCMD_DID(DOMAIN));
    iotlb_inv(f, GRAN_DOMAIN, DOMAIN + 1, 0);
    iotlb_inv(f, GRAN_PAGE, DOMAIN, IOVA_A + 0x200000);
    /* the IOTLB kept the device's pages, the context cache its entry */
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    g_assert_cmphex(xlate(f, IOVA_B, true), ==, PAGE_OUT);
    g_assert_cmphex(xlate(f, IOVA_C, false), ==, PAGE_P3);
    /* FM = 1 on 00:04.4 covers 00:04.0 */
    ccmd_inv(f, CCMD_CIRG(GRAN_DEVICE) | CCMD_FM(1) |
             CCMD_SID(EDU_SID | 4) | CCMD_DID(DOMAIN));
    fault_of(f, IOVA_A, false, FR_CTX_NP);
    fx_free(f);
}

/*
 * A context-cache invalidation drops the IOTLB entries of what it names
 * too (its notifier scope says so: UNMAP_ALL with iotlb_dropped, or the
 * domain's or device's whole range), and only those.
 */
static void test_invalidate_context_iotlb(void)
{
    static const struct {
        uint64_t cmd;
        bool dropped;
    } cases[] = {
        { CCMD_CIRG(GRAN_GLOBAL), true },
        { CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN), true },
        { CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN + 1), false },
        { CCMD_CIRG(GRAN_DEVICE) | CCMD_SID(EDU_SID), true },
        { CCMD_CIRG(GRAN_DEVICE) | CCMD_SID(EDU_SID | 1), false },
        { CCMD_CIRG(GRAN_DEVICE) | CCMD_FM(1) | CCMD_SID(EDU_SID | 4), true },
        { CCMD_CIRG(GRAN_DEVICE) | CCMD_FM(1) | CCMD_SID(EDU_SID | 2),
          false },
        { CCMD_CIRG(GRAN_DEVICE) | CCMD_FM(2) | CCMD_SID(EDU_SID | 6), true },
        { CCMD_CIRG(GRAN_DEVICE) | CCMD_FM(2) | CCMD_SID(EDU_SID | 1),
          false },
        { CCMD_CIRG(GRAN_DEVICE) | CCMD_FM(3) | CCMD_SID(EDU_SID | 7), true },
        { CCMD_CIRG(GRAN_DEVICE) | CCMD_FM(3) | CCMD_SID(EDU_SID + 8),
          false },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        Fx *f = fx_new();
        DmarXlate x;

        setup_a_to_b(f);
        ccmd_inv(f, cases[i].cmd);
        g_assert_true(fx_dma(f, IOVA_A, false, &x));
        if (x.hit == cases[i].dropped) {
            g_test_message("CCMD 0x%016" PRIx64, cases[i].cmd);
        }
        g_assert_cmpint(x.hit, ==, !cases[i].dropped);
        fx_free(f);
    }
}

/*
 * An IOTLB invalidation drops what it names and nothing else: other
 * domains, other pages, the same page of another domain keep theirs.
 */
static void test_invalidate_iotlb_scope(const void *opaque)
{
    bool qi = *(const bool *)opaque;
    static const struct {
        unsigned gran;
        uint16_t did;
        uint64_t addr;
        unsigned am;
        bool dropped;
    } cases[] = {
        { GRAN_DOMAIN, DOMAIN + 1, 0, 0, false },
        { GRAN_DOMAIN, DOMAIN, 0, 0, true },
        { GRAN_PAGE, DOMAIN, IOVA_A + 0x1000, 0, false },
        { GRAN_PAGE, DOMAIN, IOVA_A - 0x1000, 0, false },
        { GRAN_PAGE, DOMAIN + 1, IOVA_A, 0, false },
        { GRAN_PAGE, DOMAIN, IOVA_A, 0, true },
        { GRAN_PAGE, DOMAIN, IOVA_A & ~0x3fffull, 2, true },
        { GRAN_PAGE, DOMAIN, (IOVA_A & ~0x3fffull) + 0x4000, 2, false },
        { GRAN_PAGE, DOMAIN + 1, 0, 19, false },
        { GRAN_GLOBAL, DOMAIN + 1, 0, 0, true },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        Fx *f = fx_new();
        DmarXlate x;

        setup_a_to_b(f);
        if (qi) {
            qi_enable(f, IQ_BASE, 0);
            qi_iotlb(f, cases[i].gran, cases[i].did, cases[i].addr,
                     cases[i].am);
            qi_sync(f);
        } else {
            iotlb_inv(f, cases[i].gran, cases[i].did,
                      cases[i].addr | IVA_AM(cases[i].am));
        }
        g_assert_true(fx_dma(f, IOVA_A, false, &x));
        if (x.hit == cases[i].dropped) {
            g_test_message("case %u", i);
        }
        g_assert_cmpint(x.hit, ==, !cases[i].dropped);
        fx_free(f);
    }
}

static const bool by_register = false, by_queue = true;

/* ================= notifier scopes ================= */

typedef struct Scope {
    DmarEventKind kind;
    bool dropped;               /* UNMAP_ALL */
    uint16_t sid, sid_mask;     /* UNMAP_SID */
    uint16_t did;               /* UNMAP_DID */
    uint64_t first, last;
} Scope;

typedef struct ScopeCase {
    const char *name;
    bool qi;
    uint64_t lo, hi;            /* the descriptor, or CCMD / IOTLB + IVA */
    unsigned reg;               /* REG_CCMD or REG_IOTLB */
    unsigned gran;              /* done, as CAIG/IAIG or the event say */
    unsigned n;
    Scope want[2];
} ScopeCase;

#define ALL(d)      { DMAR_EV_UNMAP_ALL, .dropped = d }
#define SID(s, m)   { DMAR_EV_UNMAP_SID, .sid = s, .sid_mask = m }
#define DID(d, a, b) { DMAR_EV_UNMAP_DID, .did = d, .first = a, .last = b }

static const ScopeCase scope_cases[] = {
    { "ccmd-global", false, CCMD_CIRG(1) | CCMD_DID(7), 0, REG_CCMD, 1,
      1, { ALL(true) } },
    { "ccmd-domain", false, CCMD_CIRG(2) | CCMD_DID(0x1234), 0, REG_CCMD, 2,
      1, { DID(0x1234, 0, UINT64_MAX) } },
    { "ccmd-device-fm0", false, CCMD_CIRG(3) | CCMD_SID(0x1a2b) |
      CCMD_DID(5), 0, REG_CCMD, 3, 1, { SID(0x1a2b, 0xffff) } },
    { "ccmd-device-fm1", false, CCMD_CIRG(3) | CCMD_FM(1) |
      CCMD_SID(0x1a2f), 0, REG_CCMD, 3, 1, { SID(0x1a2f, 0xfffb) } },
    { "ccmd-device-fm2", false, CCMD_CIRG(3) | CCMD_FM(2) |
      CCMD_SID(0x1a2f), 0, REG_CCMD, 3, 1, { SID(0x1a2f, 0xfff9) } },
    { "ccmd-device-fm3", false, CCMD_CIRG(3) | CCMD_FM(3) |
      CCMD_SID(0x1a2f), 0, REG_CCMD, 3, 1, { SID(0x1a2f, 0xfff8) } },
    { "ccmd-reserved", false, CCMD_CIRG(0) | CCMD_DID(3), 0, REG_CCMD, 0,
      0 },
    { "iotlb-global", false, IOTLB_IIRG(1) | IOTLB_DID(9), 0, REG_IOTLB,
      1, 1, { ALL(true) } },
    { "iotlb-domain", false, IOTLB_IIRG(2) | IOTLB_DID(0xfedc), 0,
      REG_IOTLB, 2, 1, { DID(0xfedc, 0, UINT64_MAX) } },
    { "iotlb-page", false, IOTLB_IIRG(3) | IOTLB_DID(0x42), 0x12345000,
      REG_IOTLB, 3, 1, { DID(0x42, 0x12345000, 0x12345fff) } },
    { "iotlb-page-am3", false, IOTLB_IIRG(3) | IOTLB_DID(0x42),
      0x12345000 | 3, REG_IOTLB, 3, 1,
      { DID(0x42, 0x12340000, 0x12347fff) } },
    { "iotlb-page-ih", false, IOTLB_IIRG(3) | IOTLB_DID(0x42),
      0x12345000 | 1 << 6 | 1, REG_IOTLB, 3, 1,
      { DID(0x42, 0x12344000, 0x12345fff) } },
    { "iotlb-page-mamv", false, IOTLB_IIRG(3) | IOTLB_DID(0x42),
      0x7fc0000000ull | 18, REG_IOTLB, 3, 1,
      { DID(0x42, 0x7fc0000000ull, 0x7fffffffffull) } },
    { "iotlb-page-am19", false, IOTLB_IIRG(3) | IOTLB_DID(0x42),
      0x12345000 | 19, REG_IOTLB, 2, 1, { DID(0x42, 0, UINT64_MAX) } },
    { "iotlb-reserved", false, IOTLB_IIRG(0) | IOTLB_DID(0x42), 0,
      REG_IOTLB, 0, 0 },
    { "qi-cc-global", true, QI_CC | QI_G(1) | QI_DID(7), 0, 0, 1, 1,
      { ALL(true) } },
    { "qi-cc-domain", true, QI_CC | QI_G(2) | QI_DID(0xbeef), 0, 0, 2, 1,
      { DID(0xbeef, 0, UINT64_MAX) } },
    { "qi-cc-device-fm0", true, QI_CC | QI_G(3) | QI_CC_SID(0x0101), 0, 0,
      3, 1, { SID(0x0101, 0xffff) } },
    { "qi-cc-device-fm1", true, QI_CC | QI_G(3) | QI_CC_SID(0x0105) |
      QI_CC_FM(1), 0, 0, 3, 1, { SID(0x0105, 0xfffb) } },
    { "qi-cc-device-fm2", true, QI_CC | QI_G(3) | QI_CC_SID(0x0106) |
      QI_CC_FM(2), 0, 0, 3, 1, { SID(0x0106, 0xfff9) } },
    { "qi-cc-device-fm3", true, QI_CC | QI_G(3) | QI_CC_SID(0x0107) |
      QI_CC_FM(3), 0, 0, 3, 1, { SID(0x0107, 0xfff8) } },
    { "qi-iotlb-global", true, QI_IOTLB | QI_G(1), 0, 0, 1, 1,
      { ALL(true) } },
    { "qi-iotlb-domain", true, QI_IOTLB | QI_G(2) | QI_DID(3), 0, 0, 2, 1,
      { DID(3, 0, UINT64_MAX) } },
    { "qi-iotlb-page", true, QI_IOTLB | QI_G(3) | QI_DID(3), 0xabc000, 0,
      3, 1, { DID(3, 0xabc000, 0xabcfff) } },
    { "qi-iotlb-page-am9", true, QI_IOTLB | QI_G(3) | QI_DID(3),
      0x40123000 | 9, 0, 3, 1, { DID(3, 0x40000000, 0x401fffff) } },
    { "qi-iotlb-page-am19", true, QI_IOTLB | QI_G(3) | QI_DID(3),
      0x40123000 | 19, 0, 2, 1, { DID(3, 0, UINT64_MAX) } },
};

static void assert_scope(Fx *f, const Scope *want, const DmarEvent *ev)
{
    g_assert_cmpint(ev->kind, ==, want->kind);
    switch (want->kind) {
    case DMAR_EV_UNMAP_ALL:
        g_assert_cmpint(ev->unmap_all.iotlb_dropped, ==, want->dropped);
        break;
    case DMAR_EV_UNMAP_SID:
        g_assert_cmphex(ev->unmap_sid.sid, ==, want->sid);
        g_assert_cmphex(ev->unmap_sid.sid_mask, ==, want->sid_mask);
        break;
    default:
        g_assert_cmphex(ev->unmap_did.did, ==, want->did);
        g_assert_cmphex(ev->unmap_did.first, ==, want->first);
        g_assert_cmphex(ev->unmap_did.last, ==, want->last);
    }
}

static bool is_unmap(const DmarEvent *ev)
{
    return ev->kind == DMAR_EV_UNMAP_ALL || ev->kind == DMAR_EV_UNMAP_SID ||
           ev->kind == DMAR_EV_UNMAP_DID;
}

/*
 * What each invalidation tells notifiers (DMAR_EV_UNMAP_*), and the
 * CC_INV / IOTLB_INV event the glue traces: granularity done and the
 * request's fields.
 */
static void test_scope(const void *opaque)
{
    const ScopeCase *c = opaque;
    Fx *f = fx_new();
    const DmarEvent *ev;
    unsigned n = 0;
    bool cc;

    if (c->qi) {
        qi_enable(f, IQ_BASE, 0);
        qi_sync(f);
        fx_clear_events(f);
        qi_push(f, c->lo, c->hi);
        g_assert_cmpuint(qi_kick(f), ==, (c->lo & 0xf) == QI_CC ?
                         DMAR_ACT_SWITCH_AS : 0);
        g_assert_cmphex(rd32(f, REG_FSTS), ==, 0);
        cc = (c->lo & 0xf) == QI_CC;
    } else {
        cc = c->reg == REG_CCMD;
        if (!cc) {
            wr64(f, REG_IVA, c->hi);
        }
        fx_clear_events(f);
        g_assert_cmpuint(wr64(f, c->reg, c->lo | (cc ? CCMD_ICC : IOTLB_IVT)),
                         ==, cc ? DMAR_ACT_SWITCH_AS : 0);
        if (cc) {
            g_assert_cmphex(CCMD_CAIG(rd64(f, REG_CCMD)), ==, c->gran);
        } else {
            g_assert_cmphex(IOTLB_IAIG(rd64(f, REG_IOTLB)), ==, c->gran);
        }
    }
    for (unsigned i = 0; i < f->ev->len; i++) {
        if (is_unmap(fx_ev(f, i))) {
            g_assert_cmpuint(n, <, c->n);
            assert_scope(f, &c->want[n++], fx_ev(f, i));
        }
    }
    g_assert_cmpuint(n, ==, c->n);
    if (cc) {
        ev = fx_one(f, DMAR_EV_CC_INV);
        g_assert_cmpuint(ev->cc.gran, ==, c->gran);
        if (c->qi) {
            g_assert_cmphex(ev->cc.did, ==, (c->lo >> 16) & 0xffff);
            g_assert_cmphex(ev->cc.sid, ==, (c->lo >> 32) & 0xffff);
            g_assert_cmpuint(ev->cc.fm, ==, (c->lo >> 48) & 3);
        } else {
            g_assert_cmphex(ev->cc.did, ==, c->lo & 0xffff);
            g_assert_cmphex(ev->cc.sid, ==, (c->lo >> 16) & 0xffff);
            g_assert_cmpuint(ev->cc.fm, ==, (c->lo >> 32) & 3);
        }
        g_assert_cmpuint(fx_count(f, DMAR_EV_IOTLB_INV), ==, 0);
    } else {
        ev = fx_one(f, DMAR_EV_IOTLB_INV);
        g_assert_cmpuint(ev->iotlb.gran, ==, c->gran);
        g_assert_cmphex(ev->iotlb.did, ==, c->qi ? (c->lo >> 16) & 0xffff
                                                 : (c->lo >> 32) & 0xffff);
        if (c->gran == GRAN_PAGE) {
            g_assert_cmphex(ev->iotlb.first, ==, c->want[0].first);
            g_assert_cmphex(ev->iotlb.last, ==, c->want[0].last);
        } else if (c->gran) {
            g_assert_cmphex(ev->iotlb.first, ==, 0);
            g_assert_cmphex(ev->iotlb.last, ==, UINT64_MAX);
        }
        if (c->gran) {
            /* a drain owed: of every domain for a global one */
            g_assert_cmpuint(dmar_inv_domain_tag(ev), ==,
                             c->gran == GRAN_GLOBAL ? DMAR_RANGE_ANY :
                             ev->iotlb.did + 1u);
        }
        g_assert_cmpuint(fx_count(f, DMAR_EV_CC_INV), ==, 0);
    }
    g_assert_cmpuint(fx_count(f, DMAR_EV_FLUSH_ALL), ==, 0);
    fx_free(f);
}

/*
 * The other things that change what translations hold, and what
 * notifiers hear of them: SRTP (every cache dropped), TE either way
 * (nothing dropped: what was handed out was translated under the other
 * setting), reset.
 */
static void test_scope_gcmd(void)
{
    Fx *f = fx_new();

    setup_a_to_b(f);
    fx_clear_events(f);
    wr32(f, REG_GCMD, GCMD_TE);
    g_assert_cmpuint(fx_count(f, DMAR_EV_UNMAP_ALL), ==, 0);
    /* TE off: every device, no cache dropped */
    wr32(f, REG_GCMD, 0);
    g_assert_false(fx_one(f, DMAR_EV_UNMAP_ALL)->unmap_all.iotlb_dropped);
    g_assert_cmpuint(fx_count(f, DMAR_EV_FLUSH_ALL), ==, 0);
    fx_clear_events(f);
    wr32(f, REG_GCMD, GCMD_TE);
    g_assert_false(fx_one(f, DMAR_EV_UNMAP_ALL)->unmap_all.iotlb_dropped);
    /* and the IOTLB really kept its entries */
    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    /* SRTP: dropped */
    fx_clear_events(f);
    wr32(f, REG_GCMD, GCMD_TE | GCMD_SRTP);
    g_assert_true(fx_one(f, DMAR_EV_UNMAP_ALL)->unmap_all.iotlb_dropped);
    g_assert_cmpuint(fx_count(f, DMAR_EV_FLUSH_ALL), ==, 1);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);
    /* reset: dropped */
    map(f, IOVA_A, PAGE_P3, 1, PTE_R);
    fx_clear_events(f);
    dmar_unit_reset(&f->u);
    g_assert_true(fx_one(f, DMAR_EV_UNMAP_ALL)->unmap_all.iotlb_dropped);
    dmar_enable(f, ROOT_TABLE);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P3);
    fx_free(f);
}

/* ================= register-based invalidation with QI on ========== */

/*
 * qtest /vtd-dmar/qi/register-inv (§6.5.2): with QI enabled, a CCMD or
 * IOTLB command must not invalidate, but completes with granularity 0.
 */
static void test_qi_register_inv(void)
{
    Fx *f = fx_new();
    uint64_t v;

    tables_init(f, 3, 0);
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    map(f, IOVA_C, PAGE_P1, 1, PTE_R);
    map(f, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_enable(f, ROOT_TABLE);
    qi_enable(f, IQ_BASE, 0);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);

    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    wr64(f, REG_IVA, IOVA_A);
    fx_clear_events(f);
    fx_clear_log(f);
    wr64(f, REG_IOTLB, IOTLB_IVT | IOTLB_IIRG(GRAN_GLOBAL) | IOTLB_DR |
         IOTLB_DW | IOTLB_DID(DOMAIN));
    v = rd64(f, REG_IOTLB);
    g_assert_cmphex(v & IOTLB_IVT, ==, 0);
    g_assert_cmphex(IOTLB_IAIG(v), ==, 0);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    g_assert_cmpuint(fx_logged(f, "G: vtd-dmar: IOTLB written while queued "
                               "invalidation is enabled: ignored"), ==, 1);

    set_ctx(f, ctx_lo(f) & ~CTX_P, ctx_hi(f));
    wr64(f, REG_CCMD, CCMD_ICC | CCMD_CIRG(GRAN_GLOBAL));
    v = rd64(f, REG_CCMD);
    g_assert_cmphex(v & CCMD_ICC, ==, 0);
    g_assert_cmphex(CCMD_CAIG(v), ==, 0);
    g_assert_cmpuint(fx_logged(f, "G: vtd-dmar: CCMD written while queued "
                               "invalidation is enabled: ignored"), ==, 1);
    g_assert_cmphex(xlate(f, IOVA_C, false), ==, PAGE_P1);
    /* nothing was invalidated: no scope, no invalidation event */
    g_assert_cmpuint(fx_count(f, DMAR_EV_UNMAP_ALL), ==, 0);
    g_assert_cmpuint(fx_count(f, DMAR_EV_CC_INV), ==, 0);
    g_assert_cmpuint(fx_count(f, DMAR_EV_IOTLB_INV), ==, 0);
    g_assert_cmphex(fsts(f), ==, 0);
    qi_sync(f);

    /* QI disabled: QIES clears, register-based invalidation is back */
    wr32(f, REG_GCMD, GCMD_TE);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    v = ccmd_inv(f, CCMD_CIRG(GRAN_GLOBAL));
    g_assert_cmphex(CCMD_CAIG(v), ==, GRAN_GLOBAL);
    v = iotlb_inv(f, GRAN_GLOBAL, 0, 0);
    g_assert_cmphex(IOTLB_IAIG(v), ==, GRAN_GLOBAL);
    fault_of(f, IOVA_A, false, FR_CTX_NP);
    assert_frcd(f, 0, IOVA_A, FR_CTX_NP, false);
    frcd_clear(f, 0);
    set_ctx(f, ctx_lo(f) | CTX_P, ctx_hi(f));
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);
    g_assert_cmphex(fsts(f), ==, 0);

    /* on again: the queue restarts at its base */
    qi_enable(f, IQ_BASE, 0);
    qi_sync(f);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(1));
    fx_free(f);
}

/* ================= the queue ================= */

/* qtest /vtd-dmar/qi/bring-up */
/*
 * §6.5.2.8: a wait descriptor completes only once what the descriptors
 * before it asked of the glue is done: notifiers told (the hook says
 * work is pending), address spaces switched after a context-cache
 * invalidation, KVM's routes refreshed after an IEC flush. The queue
 * stops on the wait (status unwritten, IQH on it) and the continuation
 * completes it.
 */
typedef struct WaitHeldCase {
    const char *name;
    uint64_t lo, hi;        /* the descriptor before the wait */
    bool hook;              /* the glue has notifier work pending */
    bool held;
} WaitHeldCase;

static const WaitHeldCase wait_held_cases[] = {
    { "iotlb-notify", QI_IOTLB | QI_G(1), 0, true, true },
    { "iotlb-quiet", QI_IOTLB | QI_G(1), 0, false, false },
    { "context", QI_CC | QI_G(1), 0, false, true },
    { "iec", QI_IEC, 0, false, true },
};

/* The descriptors whose glue work a run leaves owed */
static const WaitHeldCase wait_owed_cases[] = {
    { "context", QI_CC | QI_G(1), 0, false, true },
    { "iec", QI_IEC, 0, false, true },
};

static void test_qi_wait_held(const void *opaque)
{
    const WaitHeldCase *c = opaque;
    Fx *f = fx_new();
    unsigned act, wait;

    qi_enable(f, IQ_BASE, 0);
    f->manual_queue = true;
    f->notify_pending = c->hook;
    fx_w32(f, IQ_STATUS, 0);
    qi_push(f, c->lo, c->hi);
    wait = qi_push_wait(f, IQ_STATUS, 0x5a5a, 0);
    act = qi_kick(f);
    if (!c->held) {
        g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0x5a5a);
        g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(f->iq_tail));
        fx_free(f);
        return;
    }
    /* held for the glue's work, not for the budget */
    g_assert_true(act & DMAR_ACT_QI_PENDING);
    g_assert_true(act & DMAR_ACT_QI_WAIT);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(wait));
    g_assert_cmphex(fsts(f), ==, 0);
    /* The glue did its part: the queue goes on (at once, in the glue) */
    f->notify_pending = false;
    fx_act(f, dmar_unit_qi_continue(&f->u));
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0x5a5a);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(f->iq_tail));
    fx_free(f);
}

/*
 * What a run asked of the glue stays owed until the glue says it is done,
 * whoever runs the queue meanwhile: IQT writes run it without the BQL, so
 * a second one can reach the wait before the first one's glue work is
 * done. The wait stays held, and saying done for an older state of what
 * is owed does not release a wait that newer work holds.
 */
static void test_qi_wait_owed(const void *opaque)
{
    const WaitHeldCase *c = opaque;
    unsigned owed_bit = c->lo == QI_IEC ? DMAR_ACT_IEC_NOTIFY :
                        DMAR_ACT_SWITCH_AS;
    Fx *f = fx_new();
    uint64_t gen, gen2;
    unsigned act, wait, wait2;

    qi_enable(f, IQ_BASE, 0);
    f->manual_queue = true;
    f->owed_kept = true;
    fx_w32(f, IQ_STATUS, 0);
    fx_w32(f, IQ_STATUS + 4, 0);
    qi_push(f, c->lo, c->hi);
    wait = qi_push_wait(f, IQ_STATUS, 0x5a5a, 0);
    act = qi_kick(f);
    g_assert_cmphex(act, ==, owed_bit | DMAR_ACT_QI_PENDING |
                             DMAR_ACT_QI_WAIT);
    g_assert_cmphex(dmar_unit_owed(&f->u, &gen), ==, owed_bit);

    /* another run (a second IQT write) before the glue got there */
    act = dmar_unit_qi_continue(&f->u);
    g_assert_cmphex(act, ==, DMAR_ACT_QI_PENDING | DMAR_ACT_QI_WAIT);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(wait));
    act = wr64(f, REG_IQT, iq_off(f->iq_tail));
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(wait));
    g_assert_cmphex(dmar_unit_owed(&f->u, &gen2), ==, owed_bit);
    g_assert_cmpuint(gen2, ==, gen);

    /* the glue is done with what it read: the wait completes */
    dmar_unit_owed_done(&f->u, gen, owed_bit);
    g_assert_cmphex(dmar_unit_owed(&f->u, &gen2), ==, 0);
    act = dmar_unit_qi_continue(&f->u);
    g_assert_cmphex(act & (DMAR_ACT_QI_PENDING | DMAR_ACT_QI_WAIT), ==, 0);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0x5a5a);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(f->iq_tail));

    /* the glue read GEN; a run owes more before it says done */
    dmar_unit_owed(&f->u, &gen);
    qi_push(f, c->lo, c->hi);
    wait2 = qi_push_wait(f, IQ_STATUS + 4, 0x6b6b, 0);
    qi_kick(f);
    dmar_unit_owed_done(&f->u, gen, owed_bit);
    g_assert_cmphex(dmar_unit_owed(&f->u, &gen2), ==, owed_bit);
    g_assert_cmpuint(gen2, !=, gen);
    dmar_unit_qi_continue(&f->u);
    g_assert_cmphex(fx_r32(f, IQ_STATUS + 4), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(wait2));
    /* done with other work than this run's: still held */
    dmar_unit_owed_done(&f->u, gen2, DMAR_ACT_QI_OWED & ~owed_bit);
    dmar_unit_qi_continue(&f->u);
    g_assert_cmphex(fx_r32(f, IQ_STATUS + 4), ==, 0);
    dmar_unit_owed_done(&f->u, gen2, owed_bit);
    dmar_unit_qi_continue(&f->u);
    g_assert_cmphex(fx_r32(f, IQ_STATUS + 4), ==, 0x6b6b);
    g_assert_cmphex(fsts(f), ==, 0);
    fx_free(f);
}

/*
 * Two runs owe different work: the first run's caller, done with the work
 * as it stood when it read it, releases nothing that the second one owes
 * on top; the second's caller does all that is owed (as the glue does),
 * and the wait completes. A reset owes nothing.
 */
static void test_qi_wait_owed_two(void)
{
    Fx *f = fx_new();
    uint64_t gen1, gen2;
    unsigned wait;

    qi_enable(f, IQ_BASE, 0);
    f->manual_queue = true;
    f->owed_kept = true;
    fx_w32(f, IQ_STATUS, 0);
    qi_push(f, QI_CC | QI_G(1), 0);
    g_assert_cmphex(qi_kick(f), ==, DMAR_ACT_SWITCH_AS);
    g_assert_cmphex(dmar_unit_owed(&f->u, &gen1), ==, DMAR_ACT_SWITCH_AS);
    qi_push(f, QI_IEC, 0);
    wait = qi_push_wait(f, IQ_STATUS, 0x7c7c, 0);
    g_assert_cmphex(qi_kick(f), ==, DMAR_ACT_IEC_NOTIFY |
                    DMAR_ACT_QI_PENDING | DMAR_ACT_QI_WAIT);
    g_assert_cmphex(dmar_unit_owed(&f->u, &gen2), ==, DMAR_ACT_QI_OWED);

    /* the first caller is done with what it read: too old */
    dmar_unit_owed_done(&f->u, gen1, DMAR_ACT_SWITCH_AS);
    g_assert_cmphex(dmar_unit_owed(&f->u, &gen2), ==, DMAR_ACT_QI_OWED);
    /* the second's own work only: the first's stays owed, the wait held */
    dmar_unit_owed_done(&f->u, gen2, DMAR_ACT_IEC_NOTIFY);
    g_assert_cmphex(dmar_unit_owed(&f->u, &gen2), ==, DMAR_ACT_SWITCH_AS);
    dmar_unit_qi_continue(&f->u);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(wait));

    /* a caller of the queue does all that is owed */
    f->owed_kept = false;
    f->switch_as = 0;
    fx_act(f, DMAR_ACT_QI_PENDING | DMAR_ACT_QI_WAIT);
    g_assert_cmpuint(f->switch_as, ==, 1);
    g_assert_cmphex(dmar_unit_owed(&f->u, &gen2), ==, 0);
    dmar_unit_qi_continue(&f->u);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0x7c7c);

    /* owed, then reset: nothing is */
    f->owed_kept = true;
    qi_push(f, QI_CC | QI_G(1), 0);
    qi_kick(f);
    g_assert_cmphex(dmar_unit_owed(&f->u, &gen1), ==, DMAR_ACT_SWITCH_AS);
    dmar_unit_reset(&f->u);
    g_assert_cmphex(dmar_unit_owed(&f->u, &gen2), ==, 0);
    g_assert_cmpuint(gen2, !=, gen1);
    fx_free(f);
}

static void test_qi_bringup(void)
{
    Fx *f = fx_new();

    g_assert_cmphex(rd64(f, REG_ECAP) & ECAP_QI, ==, ECAP_QI);
    setup_a_to_b(f);

    /* a queue with one wait descriptor: without QIE, IQT runs nothing */
    fx_zero(f, IQ_BASE, 0x2000);
    fx_w32(f, IQ_STATUS, 0);
    fx_w32(f, IQ_STATUS + 4, 0xffffffff);
    f->iq_base = IQ_BASE;
    f->iq_entries = 256;
    wr64(f, REG_IQA, IQ_BASE);
    qi_put(f, 0, QI_WAIT | QI_WAIT_SW | QI_SDATA(0x1234abcd), IQ_STATUS);
    fx_clear_events(f);
    g_assert_cmpuint(wr64(f, REG_IQT, iq_off(1)), ==, 0);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQH), ==, 0);
    g_assert_cmpuint(fx_count(f, DMAR_EV_QI_RUN), ==, 0);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);

    /* bring-up as Linux does it: IQA, IQT = 0, then QIE with TE kept */
    wr64(f, REG_IQT, 0);
    wr32(f, REG_GCMD, GCMD_TE | GCMD_QIE);
    g_assert_cmphex(rd32(f, REG_GSTS), ==,
                    GSTS_TES | GSTS_RTPS | GSTS_QIES);
    g_assert_cmphex(rd64(f, REG_IQA), ==, IQ_BASE);
    g_assert_cmphex(rd64(f, REG_IQH), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQT), ==, 0);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0);

    /* IQT = 16: the wait descriptor runs, its status dword lands */
    fx_clear_events(f);
    g_assert_cmpuint(wr64(f, REG_IQT, iq_off(1)), ==, 0);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0x1234abcd);
    g_assert_cmphex(fx_r32(f, IQ_STATUS + 4), ==, 0xffffffff);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(1));
    g_assert_cmphex(rd64(f, REG_IQT), ==, iq_off(1));
    g_assert_cmphex(rd32(f, REG_FSTS), ==, 0);
    g_assert_cmphex(rd32(f, REG_ICS), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQERCD), ==, 0);
    {
        const DmarEvent *ev = fx_one(f, DMAR_EV_QI_RUN);

        g_assert_cmpuint(ev->qi_run.head, ==, 1);
        g_assert_cmpuint(ev->qi_run.tail, ==, 1);
        g_assert_cmpuint(ev->qi_run.processed, ==, 1);
    }
    /* the same tail again: nothing is fetched twice */
    fx_w32(f, IQ_STATUS, 0);
    fx_clear_events(f);
    wr64(f, REG_IQT, iq_off(1));
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(1));
    g_assert_cmpuint(fx_count(f, DMAR_EV_QI_RUN), ==, 0);

    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);

    /* a new IQA (here: 2 pages, 512 entries) starts at its base */
    wr64(f, REG_IQA, IQ_BASE | 1);
    g_assert_cmphex(rd64(f, REG_IQA), ==, IQ_BASE | 1);
    g_assert_cmphex(rd64(f, REG_IQH), ==, 0);
    wr64(f, REG_IQT, 0);
    f->iq_entries = 512;
    f->iq_tail = 0;
    for (unsigned i = 0; i < 300; i++) {
        qi_push(f, QI_WAIT, 0);
    }
    qi_sync(f);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(301));
    g_assert_cmphex(rd32(f, REG_GSTS), ==,
                    GSTS_TES | GSTS_RTPS | GSTS_QIES);
    fx_free(f);
}

/* ScnQiCcCase and the qi_cc_* cases: vtd-dmar-scenarios.h */

/* qtest /vtd-dmar/qi/context-* */
static void test_qi_context(const void *opaque)
{
    const ScnQiCcCase *c = opaque;
    Fx *f = fx_new();

    tables_init(f, 3, 0);
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    map(f, IOVA_C, PAGE_P1, 1, PTE_R);
    map(f, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_enable(f, ROOT_TABLE);
    qi_enable(f, IQ_BASE, 0);

    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    set_ctx(f, ctx_lo(f) & ~CTX_P, ctx_hi(f));
    qi_cc(f, c->gran, DOMAIN, c->sid, c->fm);
    f->switch_as = 0;
    qi_sync(f);
    g_assert_cmpuint(f->switch_as, ==, 1);
    fault_of(f, IOVA_C, false, FR_CTX_NP);
    assert_frcd(f, 0, IOVA_C, FR_CTX_NP, false);
    qi_iotlb(f, GRAN_DOMAIN, DOMAIN, 0, 0);
    qi_sync(f);
    fault_of(f, IOVA_B, true, FR_CTX_NP);
    assert_frcd(f, 1, IOVA_B, FR_CTX_NP, true);

    f->slpt = table_new(f);
    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    map(f, IOVA_B, PAGE_OUT, 1, PTE_W);
    set_ctx(f, f->slpt | CTX_P, ctx_hi(f));
    qi_cc(f, c->gran, DOMAIN, c->sid, c->fm);
    qi_iotlb(f, GRAN_DOMAIN, DOMAIN, 0, 0);
    qi_sync(f);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);
    g_assert_cmphex(rd64(f, REG_FRCD(2) + 8), ==, 0);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(0));
    fx_free(f);
}

/* qtest /vtd-dmar/qi/iotlb-am */
static void test_qi_iotlb_am(void)
{
    Fx *f = fx_new();
    const uint64_t region = 0x20000000ull;
    const uint64_t far = 0x4000000000ull;

    tables_init(f, 3, 0);
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    map(f, region + 0x5000, PAGE_P1, 1, PTE_R);
    map(f, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_enable(f, ROOT_TABLE);
    qi_enable(f, IQ_BASE, 0);

    g_assert_cmphex(xlate(f, region + 0x5000, false), ==, PAGE_P1);
    map(f, region + 0x5000, PAGE_P2, 1, PTE_R);
    qi_iotlb(f, GRAN_PAGE, DOMAIN, region, 9);
    qi_sync(f);
    g_assert_cmphex(xlate(f, region + 0x5000, false), ==, PAGE_P2);

    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    /* AM = 8 around `far`: does not cover IOVA_A */
    qi_iotlb(f, GRAN_PAGE, DOMAIN, far, 8);
    qi_sync(f);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    /* AM = 19 > MAMV: done as domain-selective */
    qi_iotlb(f, GRAN_PAGE, DOMAIN, far, 19);
    qi_sync(f);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);

    qi_iotlb(f, GRAN_PAGE, DOMAIN, 0, 18);
    qi_sync(f);
    g_assert_cmphex(fsts(f), ==, 0);
    fx_free(f);
}

/* qtest /vtd-dmar/qi/batch */
static void test_qi_batch(void)
{
    Fx *f = fx_new();

    setup_a_to_b(f);
    qi_enable(f, IQ_BASE, 0);

    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    fx_w32(f, IQ_STATUS, 0);
    qi_iotlb(f, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    qi_push_wait(f, IQ_STATUS, 0xb0b0, 0);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQH), ==, 0);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    qi_kick(f);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0xb0b0);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(2));
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);

    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    map(f, IOVA_B, PAGE_P3, 1, PTE_W);
    fx_w32(f, IQ_STATUS + 4, 0);
    fx_w32(f, IQ_STATUS + 8, 0);
    qi_push_wait(f, IQ_STATUS + 4, 0xb1, QI_WAIT_FN);
    qi_iotlb(f, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    qi_cc(f, GRAN_DEVICE, DOMAIN, EDU_SID, 0);
    qi_iotlb(f, GRAN_PAGE, DOMAIN, IOVA_B, 0);
    qi_push_wait(f, IQ_STATUS + 8, 0xb2, 0);
    fx_clear_events(f);
    /*
     * The context change stops the queue before the last wait, which
     * completes once the address spaces are switched (the fixture runs
     * the continuation as the glue's bottom half does).
     */
    g_assert_cmpuint(qi_kick(f), ==, DMAR_ACT_SWITCH_AS | DMAR_ACT_QI_PENDING |
                                     DMAR_ACT_QI_WAIT);
    g_assert_cmphex(fx_r32(f, IQ_STATUS + 4), ==, 0xb1);
    g_assert_cmphex(fx_r32(f, IQ_STATUS + 8), ==, 0xb2);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(7));
    g_assert_cmpuint(fx_count(f, DMAR_EV_QI_RUN), ==, 2);
    for (unsigned i = 0; i < f->ev->len; i++) {
        if (fx_ev(f, i)->kind == DMAR_EV_QI_RUN) {
            g_assert_cmpuint(fx_ev(f, i)->qi_run.processed, ==, 4);
            break;
        }
    }
    g_assert_cmpuint(fx_last(f, DMAR_EV_QI_RUN)->qi_run.processed, ==, 1);
    g_assert_cmpuint(fx_count(f, DMAR_EV_IOTLB_INV), ==, 2);
    g_assert_cmpuint(fx_count(f, DMAR_EV_CC_INV), ==, 1);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    g_assert_cmphex(xlate(f, IOVA_B, true), ==, PAGE_P3);
    g_assert_cmphex(fsts(f), ==, 0);
    fx_free(f);
}

/* qtest /vtd-dmar/qi/wraparound */
static void test_qi_wraparound(void)
{
    static const unsigned batches[] = { 200, 56, 250, 10, 255, 1 };
    Fx *f = fx_new();
    unsigned seq = 0, wraps = 0;

    fx_zero(f, IQ_STATUS, 0x1000);
    qi_enable(f, IQ_BASE, 0);
    for (unsigned b = 0; b < ARRAY_SIZE(batches); b++) {
        unsigned head = f->iq_tail, first = seq;

        for (unsigned i = 0; i < batches[b]; i++, seq++) {
            qi_push_wait(f, IQ_STATUS + 4 * seq, 0x5a000000 | seq, 0);
        }
        wraps += f->iq_tail <= head;
        qi_kick(f);
        g_assert_cmphex(rd32(f, REG_FSTS), ==, 0);
        g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(f->iq_tail));
        for (unsigned s = first; s < seq; s++) {
            g_assert_cmphex(fx_r32(f, IQ_STATUS + 4 * s), ==,
                            0x5a000000 | s);
        }
    }
    g_assert_cmpuint(wraps, ==, 3);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(4));
    fx_free(f);
}

/* qtest /vtd-dmar/qi/iqe-descriptor */
static void test_qi_iqe_descriptor(void)
{
    Fx *f = fx_new();
    const DmarEvent *ev;
    unsigned bad;

    tables_init(f, 3, 0);
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    map(f, IOVA_B, PAGE_OUT, 1, PTE_W);
    scn_fe_setup(f, 0x4e4e);
    dmar_enable(f, ROOT_TABLE);
    qi_enable(f, IQ_BASE, 0);
    qi_sync(f);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);

    /* [IOTLB invalidation, reserved type 7, wait]: stops at type 7 */
    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    qi_iotlb(f, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    bad = qi_push(f, 7, 0);
    qi_push_wait(f, IQ_STATUS, 0x51, 0);
    fx_clear_events(f);
    fx_clear_log(f);
    g_assert_cmpuint(qi_kick(f), ==, DMAR_ACT_FAULT_EVENT);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(bad));
    g_assert_cmphex(rd64(f, REG_IQT), ==, iq_off(f->iq_tail));
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQERCD), ==, IQEI_TYPE);
    g_assert_cmpuint(f->fe_count, ==, 1);
    g_assert_cmphex(f->fe_data, ==, 0x4e4e);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, 0);
    ev = fx_one(f, DMAR_EV_QI_ERROR);
    g_assert_cmpuint(ev->qi_error.head, ==, bad);
    g_assert_cmpuint(ev->qi_error.iqei, ==, IQEI_TYPE);
    g_assert_cmpstr(ev->qi_error.why, ==, "invalid descriptor type");
    g_assert_cmpuint(fx_one(f, DMAR_EV_QI_RUN)->qi_run.processed, ==, 1);
    g_assert_cmpuint(fx_logged(f, "G: vtd-dmar: invalidation queue error "
                               "at descriptor 2: invalid descriptor type "
                               "(IQEI 3)"), ==, 1);
    /* the descriptor before the bad one did its work */
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);

    /* while IQE is set, a new tail fetches nothing */
    qi_push_wait(f, IQ_STATUS + 4, 0x52, 0);
    fx_clear_events(f);
    g_assert_cmpuint(qi_kick(f), ==, 0);
    g_assert_cmphex(fx_r32(f, IQ_STATUS + 4), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(bad));
    g_assert_cmpuint(fx_count(f, DMAR_EV_QI_RUN), ==, 0);
    wr32(f, REG_FSTS, 0);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(bad));

    /* software replaces the bad one by a wait with IF, clears IQE */
    wr32(f, REG_IEDATA, 0x1e1e);
    wr32(f, REG_IEADDR, 0xf00100);
    wr32(f, REG_IECTL, 0);
    qi_put(f, bad, QI_WAIT | QI_WAIT_SW | QI_WAIT_IF | QI_SDATA(0x50),
           IQ_STATUS + 8);
    g_assert_cmphex(rd32(f, REG_ICS), ==, 0);
    g_assert_cmpuint(wr32(f, REG_FSTS, FSTS_IQE), ==, DMAR_ACT_INV_EVENT);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, 0);
    g_assert_cmphex(rd32(f, REG_ICS), ==, ICS_IWC);
    g_assert_cmpuint(f->ie_count, ==, 1);
    g_assert_cmphex(f->ie_data, ==, 0x1e1e);
    g_assert_cmphex(f->ie_addr, ==, 0xf00100);
    g_assert_cmphex(fx_r32(f, IQ_STATUS + 8), ==, 0x50);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0x51);
    g_assert_cmphex(fx_r32(f, IQ_STATUS + 4), ==, 0x52);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(f->iq_tail));
    g_assert_cmphex(rd64(f, REG_IQH), ==, rd64(f, REG_IQT));
    g_assert_cmpuint(f->fe_count, ==, 1);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, 0);
    qi_sync(f);
    fx_free(f);
}

/* Put a bad descriptor at the tail and submit it; returns its index */
/* qtest /vtd-dmar/qi/iqe-fault-event */
static void test_qi_iqe_fault_event(void)
{
    Fx *f = fx_new();

    scn_qi_iqe_fault_event(f);
    g_assert_cmpuint(f->fe_count, ==, 3);
    fx_free(f);
}

/* The unit records why the queue stopped */
static void qi_bad_hook(Fx *f, int at, bool before)
{
    const DmarEvent *ev = fx_last(f, DMAR_EV_QI_ERROR);

    switch (at) {
    case SCN_AT_QI_BAD:
        /* = scn_qi_iqercd_for(), which IQERCD was just checked against */
        g_assert_cmpuint(ev->qi_error.iqei, ==, rd64(f, REG_IQERCD));
        break;
    case SCN_AT_IQE_STATUS_WRITE:
        g_assert_cmpstr(ev->qi_error.why, ==,
                        "status write of a wait descriptor failed");
        break;
    case SCN_AT_IQE_FETCH:
        g_assert_cmpstr(ev->qi_error.why, ==, "descriptor fetch failed");
        break;
    default:
        g_assert_not_reached();
    }
}

/* qtest /vtd-dmar/qi/invalid/<name> */
static void test_qi_invalid(const void *opaque)
{
    const ScnQiBadCase *c = opaque;
    DmarUnitConfig cfg = fx_config();
    Fx *f;

    cfg.ir = !c->no_ir;
    f = fx_new_cfg(&cfg);
    f->extra = qi_bad_hook;
    scn_qi_invalid(f, c);
    fx_free(f);
}

/* qtest /vtd-dmar/qi/invalid/types */
static void test_qi_invalid_types(void)
{
    Fx *f = fx_new();

    f->extra = qi_bad_hook;
    scn_qi_invalid_types(f);
    fx_free(f);
}

/* qtest /vtd-dmar/qi/iqe-memory */
static void test_qi_iqe_memory(void)
{
    Fx *f = fx_new();

    f->extra = qi_bad_hook;
    scn_qi_iqe_memory(f);
    fx_free(f);
}

/* qtest /vtd-dmar/qi/iqe-tail */
static void qi_iqe_tail_hook(Fx *f, int at, bool before)
{
    g_assert_cmpint(at, ==, SCN_AT_IQE_TAIL);
    g_assert_cmpstr(fx_last(f, DMAR_EV_QI_ERROR)->qi_error.why, ==,
                    "tail beyond the queue size");
}

static void test_qi_iqe_tail(void)
{
    Fx *f = fx_new();

    f->extra = qi_iqe_tail_hook;
    scn_qi_iqe_tail(f);
    g_assert_cmpuint(f->fe_count, ==, 2);
    fx_free(f);
}

/* qtest /vtd-dmar/qi/wait-event (§6.5.2.9) */
static void test_qi_wait_event(void)
{
    Fx *f = fx_new();
    unsigned bad;

    qi_enable(f, IQ_BASE, 0);
    wr32(f, REG_IEDATA, 0x4567);
    wr32(f, REG_IEADDR, 0xf00100);
    wr32(f, REG_IEUADDR, 0);
    wr32(f, REG_IECTL, 0);

    qi_sync(f);
    g_assert_cmphex(rd32(f, REG_ICS), ==, 0);
    g_assert_cmpuint(f->ie_count, ==, 0);

    qi_wait_if(f);
    g_assert_cmphex(rd32(f, REG_ICS), ==, ICS_IWC);
    g_assert_cmpuint(f->ie_count, ==, 1);
    g_assert_cmphex(f->ie_data, ==, 0x4567);
    g_assert_cmphex(rd32(f, REG_IECTL), ==, 0);
    qi_wait_if(f);
    g_assert_cmphex(rd32(f, REG_ICS), ==, ICS_IWC);
    g_assert_cmpuint(f->ie_count, ==, 1);
    wr32(f, REG_ICS, 0);
    g_assert_cmphex(rd32(f, REG_ICS), ==, ICS_IWC);
    wr32(f, REG_ICS, ICS_IWC);
    g_assert_cmphex(rd32(f, REG_ICS), ==, 0);
    g_assert_cmpuint(f->ie_count, ==, 1);
    wr32(f, REG_IEDATA, 0x89ab);
    qi_wait_if(f);
    g_assert_cmpuint(f->ie_count, ==, 2);
    g_assert_cmphex(f->ie_data, ==, 0x89ab);
    g_assert_cmphex(rd32(f, REG_ICS), ==, ICS_IWC);

    wr32(f, REG_ICS, ICS_IWC);
    wr32(f, REG_IECTL, IECTL_IM);
    qi_wait_if(f);
    g_assert_cmphex(rd32(f, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(rd32(f, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    g_assert_cmpuint(f->ie_count, ==, 2);
    g_assert_cmpuint(wr32(f, REG_IECTL, IECTL_IM), ==, 0);
    g_assert_cmphex(rd32(f, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    g_assert_cmpuint(wr32(f, REG_IECTL, 0), ==, DMAR_ACT_INV_EVENT);
    g_assert_cmpuint(f->ie_count, ==, 3);
    g_assert_cmphex(f->ie_data, ==, 0x89ab);
    g_assert_cmphex(rd32(f, REG_IECTL), ==, 0);
    g_assert_cmphex(rd32(f, REG_ICS), ==, ICS_IWC);
    wr32(f, REG_IECTL, IECTL_IM);
    wr32(f, REG_IECTL, 0);
    g_assert_cmpuint(f->ie_count, ==, 3);

    wr32(f, REG_ICS, ICS_IWC);
    wr32(f, REG_IECTL, IECTL_IM);
    qi_wait_if(f);
    g_assert_cmphex(rd32(f, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    wr32(f, REG_ICS, ICS_IWC);
    g_assert_cmphex(rd32(f, REG_IECTL), ==, IECTL_IM);
    wr32(f, REG_IECTL, 0);
    g_assert_cmpuint(f->ie_count, ==, 3);

    fx_w32(f, IQ_STATUS, 0);
    qi_push_wait(f, IQ_STATUS, 0x5151, QI_WAIT_IF);
    qi_kick(f);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0x5151);
    g_assert_cmpuint(f->ie_count, ==, 4);
    g_assert_cmphex(rd32(f, REG_ICS), ==, ICS_IWC);

    /* a wait that completed before a bad descriptor still counts */
    wr32(f, REG_ICS, ICS_IWC);
    qi_push(f, QI_WAIT | QI_WAIT_IF, 0);
    bad = scn_qi_fail(f);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd32(f, REG_ICS), ==, ICS_IWC);
    g_assert_cmpuint(f->ie_count, ==, 5);
    scn_qi_recover(f, bad);

    /* the message goes above 4 GiB with IEUADDR */
    wr32(f, REG_ICS, ICS_IWC);
    wr32(f, REG_IEADDR, 0x20000);
    wr32(f, REG_IEUADDR, 1);
    qi_wait_if(f);
    g_assert_cmpuint(f->ie_count, ==, 6);
    g_assert_cmphex(f->ie_addr, ==, 0x100020000ull);

    g_assert_cmphex(rd32(f, REG_FSTS), ==, 0);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, FECTL_IM);
    g_assert_cmpuint(f->fe_count, ==, 0);
    fx_free(f);
}

/* qtest /vtd-dmar/qi/disable/iqh-reset (§11.4.9.1) */
static void test_qi_disable_iqh(void)
{
    Fx *f = fx_new();

    qi_enable(f, IQ_BASE, 0);
    qi_sync(f);
    qi_sync(f);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(2));
    wr32(f, REG_GCMD, 0);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQT), ==, iq_off(2));
    g_assert_cmphex(rd64(f, REG_IQH), ==, 0);
    /* enabled again: what lies between 0 and IQT runs at once */
    fx_w32(f, IQ_SYNC, 0);
    wr32(f, REG_GCMD, GCMD_QIE);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(2));
    g_assert_cmphex(fx_r32(f, IQ_SYNC), ==, 0x5c000002);
    fx_free(f);
}

/* qtest /vtd-dmar/qi/fuzz */
static void qi_fuzz_hook(Fx *f, int at, bool before)
{
    g_assert_cmpint(at, ==, SCN_AT_FUZZ_ROUND);
    fx_clear_events(f);
    fx_clear_log(f);
}

static void test_qi_fuzz(void)
{
    Fx *f = fx_new();

    setup_a_to_b(f);
    scn_fe_setup(f, 0x0f0f);
    wr32(f, REG_IEDATA, 0x1e1e);
    qi_enable(f, IQ_BASE, 1);
    wr64(f, REG_IQA, IQ_BASE);
    wr64(f, REG_IQT, 0);
    f->extra = qi_fuzz_hook;
    scn_qi_fuzz(f);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    g_assert_cmphex(rd32(f, REG_GSTS), ==,
                    GSTS_TES | GSTS_RTPS | GSTS_QIES);
    fx_free(f);
}

/* ================= the queue's budget (vtd-dmar-queue-test.c) ====== */

#define BIG_QS          7
#define BIG_ENTRIES     (256u << BIG_QS)
#define BIG_BASE        0x01000000ull
#define BIG_STATUS      0x01100000ull
#define STATUS_MAGIC    0x51000000u

static void big_enable(Fx *f)
{
    fx_zero(f, BIG_STATUS, BIG_ENTRIES * 4);
    qi_enable(f, BIG_BASE, BIG_QS);
    f->manual_queue = true;
}

static void big_fill(Fx *f, unsigned first, unsigned n, unsigned bad_at,
                     uint64_t bad)
{
    for (unsigned k = 0; k < n; k++) {
        unsigned i = (first + k) % BIG_ENTRIES;

        if (i == bad_at) {
            qi_put(f, i, bad, 0);
        } else {
            qi_put(f, i, QI_WAIT | QI_WAIT_SW | QI_SDATA(STATUS_MAGIC | i),
                   BIG_STATUS + 4 * i);
        }
    }
    f->iq_tail = (first + n) % BIG_ENTRIES;
}

/* Exactly the waits in [FROM, TO) have written their status */
static void assert_done_between(Fx *f, unsigned from, unsigned to)
{
    g_autofree uint32_t *st = g_new(uint32_t, BIG_ENTRIES);

    fx_mem_read(f, BIG_STATUS, st, BIG_ENTRIES * 4);
    for (unsigned i = 0; i < BIG_ENTRIES; i++) {
        uint32_t v = le32_to_cpu(st[i]);
        bool want = i >= from && i < to;

        if ((v != 0) != want) {
            g_test_message("status %u: 0x%x, want %s (done: %u..%u)", i, v,
                           want ? "written" : "not", from, to);
        }
        g_assert_cmpuint(v != 0, ==, want);
        g_assert(v == 0 || v == (STATUS_MAGIC | i));
    }
}

static unsigned iqh_index(Fx *f)
{
    uint64_t h = rd64(f, REG_IQH);

    g_assert_cmphex(h & ~0x7fff0ull, ==, 0);
    return h / 16;
}

/* Continue a pending queue until it is done; returns the runs needed */
static unsigned run_pending(Fx *f)
{
    unsigned runs = 0, act;

    do {
        unsigned before = iqh_index(f);

        act = fx_act(f, dmar_unit_qi_continue(&f->u));
        runs++;
        g_assert_cmpuint(runs, <=, BIG_ENTRIES);
        if (act & DMAR_ACT_QI_PENDING) {
            /* each run makes progress, and at most a budget's worth */
            g_assert_cmpuint((iqh_index(f) - before) % BIG_ENTRIES, >, 0);
            g_assert_cmpuint((iqh_index(f) - before) % BIG_ENTRIES, <=,
                             DMAR_QI_BUDGET);
        }
    } while (act & DMAR_ACT_QI_PENDING);
    return runs;
}

/* qtest /vtd-dmar/queue/continuation */
static void test_queue_continuation(void)
{
    Fx *f = fx_new();
    unsigned tail = BIG_ENTRIES - 1, h, runs;

    big_enable(f);
    big_fill(f, 0, tail, BIG_ENTRIES, 0);
    fx_clear_events(f);
    g_assert_cmpuint(qi_kick(f), ==, DMAR_ACT_QI_PENDING);
    h = iqh_index(f);
    g_assert_cmpuint(h, ==, DMAR_QI_BUDGET);
    assert_done_between(f, 0, h);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, 0);
    g_assert_cmpuint(fx_one(f, DMAR_EV_QI_RUN)->qi_run.processed, ==, h);
    g_assert_cmpuint(fx_one(f, DMAR_EV_QI_RUN)->qi_run.head, ==, h);
    g_assert_cmpuint(fx_one(f, DMAR_EV_QI_RUN)->qi_run.tail, ==, tail);

    /* nothing goes on until the glue continues */
    g_assert_cmpuint(iqh_index(f), ==, h);
    runs = run_pending(f);
    g_assert_cmpuint(runs, ==, DIV_ROUND_UP(tail, DMAR_QI_BUDGET) - 1);
    g_assert_cmpuint(iqh_index(f), ==, tail);
    assert_done_between(f, 0, tail);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQT), ==, iq_off(tail));
    /* done: a continuation now does nothing */
    g_assert_cmpuint(dmar_unit_qi_continue(&f->u), ==, 0);
    fx_free(f);
}

/* qtest /vtd-dmar/queue/iqt-again */
static void test_queue_iqt_again(void)
{
    Fx *f = fx_new();
    unsigned h1, h2;

    big_enable(f);
    big_fill(f, 0, 10000, BIG_ENTRIES, 0);
    g_assert_cmpuint(qi_kick(f), ==, DMAR_ACT_QI_PENDING);
    h1 = iqh_index(f);
    g_assert_cmpuint(h1, <, 10000);
    big_fill(f, 10000, 20000, BIG_ENTRIES, 0);
    g_assert_cmpuint(qi_kick(f), ==, DMAR_ACT_QI_PENDING);
    h2 = iqh_index(f);
    g_assert_cmpuint(h2, ==, h1 + DMAR_QI_BUDGET);
    assert_done_between(f, 0, h2);
    run_pending(f);
    g_assert_cmpuint(iqh_index(f), ==, 30000);
    assert_done_between(f, 0, 30000);
    fx_free(f);
}

/* qtest /vtd-dmar/queue/iqe-later */
static void test_queue_iqe_later(void)
{
    const unsigned bad = 5000, tail = 8000;
    Fx *f = fx_new();

    big_enable(f);
    big_fill(f, 0, tail, bad, QI_CC);
    qi_kick(f);
    g_assert_cmpuint(iqh_index(f), <, bad);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, 0);
    run_pending(f);
    g_assert_cmpuint(iqh_index(f), ==, bad);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd64(f, REG_IQERCD), ==, IQEI_RSVD);
    assert_done_between(f, 0, bad);
    g_assert_cmpuint(dmar_unit_qi_continue(&f->u), ==, 0);

    qi_put(f, bad, QI_WAIT | QI_WAIT_SW | QI_SDATA(STATUS_MAGIC | bad),
           BIG_STATUS + 4 * bad);
    g_assert_cmpuint(wr32(f, REG_FSTS, FSTS_IQE), ==, DMAR_ACT_QI_PENDING);
    run_pending(f);
    g_assert_cmpuint(iqh_index(f), ==, tail);
    assert_done_between(f, 0, tail);
    fx_free(f);
}

/* qtest /vtd-dmar/queue/qie-off and /vtd-dmar/queue/reset */
static void test_queue_qie_off(const void *opaque)
{
    bool reset = *(const bool *)opaque;
    Fx *f = fx_new();
    unsigned h;

    big_enable(f);
    big_fill(f, 0, 20000, BIG_ENTRIES, 0);
    g_assert_cmpuint(qi_kick(f), ==, DMAR_ACT_QI_PENDING);
    h = iqh_index(f);
    if (reset) {
        dmar_unit_reset(&f->u);
        g_assert_cmphex(rd64(f, REG_IQA), ==, 0);
    } else {
        wr32(f, REG_GCMD, 0);
    }
    g_assert_cmphex(rd32(f, REG_GSTS), ==, 0);
    g_assert_cmphex(rd64(f, REG_IQH), ==, 0);
    /* the glue's pending continuation runs: nothing */
    for (unsigned i = 0; i < 3; i++) {
        g_assert_cmpuint(dmar_unit_qi_continue(&f->u), ==, 0);
        g_assert_cmphex(rd64(f, REG_IQH), ==, 0);
    }
    assert_done_between(f, 0, h);
    fx_free(f);
}

static const bool qie_off = false, qie_reset = true;

/* qtest /vtd-dmar/queue/migrate: the destination goes on */
static void test_queue_migrate(void)
{
    const unsigned tail = 20000;
    DmarUnitConfig cfg = fx_config();
    Fx *src = fx_new_cfg(&cfg), *dst;
    const char *why;
    Saved s;
    unsigned h;

    big_enable(src);
    big_fill(src, 0, tail, BIG_ENTRIES, 0);
    qi_kick(src);
    h = iqh_index(src);
    g_assert_cmpuint(h, <, tail);
    fx_save(src, &s);
    dst = fx_load(src, &cfg, &s, &why);
    g_assert_null(why);
    dst->manual_queue = true;
    g_assert_cmpuint(iqh_index(dst), ==, h);
    g_assert_cmphex(rd64(dst, REG_IQT), ==, iq_off(tail));
    assert_done_between(dst, 0, h);
    run_pending(dst);
    g_assert_cmpuint(iqh_index(dst), ==, tail);
    assert_done_between(dst, 0, tail);
    g_assert_cmphex(rd32(dst, REG_FSTS), ==, 0);
    fx_free(dst);
    fx_free(src);
}

/*
 * qtest /vtd-dmar/queue/large-caches: device-selective invalidations
 * (FM 3) with the largest caches, every other one a wait
 */
static void test_queue_large_caches(void)
{
    DmarUnitConfig cfg = fx_config();
    const unsigned tail = BIG_ENTRIES - 1;
    Fx *f;

    cfg.iotlb_entries = cfg.ctx_entries = 1u << 20;
    f = fx_new_cfg(&cfg);
    big_enable(f);
    for (unsigned i = 0; i < tail; i++) {
        if (i % 2) {
            qi_put(f, i, QI_WAIT | QI_WAIT_SW | QI_SDATA(STATUS_MAGIC | i),
                   BIG_STATUS + 4 * i);
        } else {
            qi_put(f, i, QI_CC | QI_G(GRAN_DEVICE) | QI_DID(i & 0xffff) |
                   QI_CC_SID(i & 0xffff) | QI_CC_FM(3), 0);
        }
    }
    f->iq_tail = tail;
    qi_kick(f);
    run_pending(f);
    g_assert_cmpuint(iqh_index(f), ==, tail);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, 0);
    for (unsigned i = 0; i < tail; i++) {
        g_assert_cmphex(fx_r32(f, BIG_STATUS + 4 * i), ==,
                        i % 2 ? STATUS_MAGIC | i : 0);
    }
    fx_free(f);
}

/* The queue stopped at HEAD with IQE and IQEI; clear it for the next */
static void assert_iqe(Fx *f, unsigned head, uint64_t iqei)
{
    g_assert_cmphex(rd32(f, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(head));
    g_assert_cmphex(rd64(f, REG_IQERCD), ==, iqei);
    wr32(f, REG_GCMD, 0);
    wr32(f, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, 0);
}

/* qtest /vtd-dmar/queue/iqercd (§11.4.9.9) */
static void test_queue_iqercd(void)
{
    Fx *f = fx_new();
    unsigned w;

    qi_enable(f, IQ_BASE, 0);
    qi_sync(f);
    wr64(f, REG_IQT, iq_off(300));
    assert_iqe(f, 1, IQEI_TAIL);

    qi_enable(f, NO_RAM, 0);
    wr64(f, REG_IQT, iq_off(2));
    assert_iqe(f, 0, IQEI_FETCH);

    qi_enable(f, IQ_BASE, 0);
    qi_push_wait(f, IQ_STATUS, 0x31, 0);
    w = qi_push(f, QI_DEVTLB, 0);
    qi_kick(f);
    assert_iqe(f, w, IQEI_TYPE);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0x31);

    qi_enable(f, IQ_BASE, 0);
    w = qi_push(f, QI_IOTLB | QI_G(GRAN_GLOBAL) | (1ull << 8), 0);
    qi_kick(f);
    assert_iqe(f, w, IQEI_RSVD);
    g_assert_cmpstr(fx_last(f, DMAR_EV_QI_ERROR)->qi_error.why, ==,
                    "reserved field set in the descriptor");

    qi_enable(f, IQ_BASE, 0);
    w = qi_push_wait(f, NO_RAM, 0x32, 0);
    qi_kick(f);
    assert_iqe(f, w, IQEI_NONE);

    fx_w32(f, IQ_STATUS, 0);
    wr64(f, REG_IQT, 0);
    wr64(f, REG_IQA, IQ_BASE | IQA_DW);
    g_assert_cmphex(rd64(f, REG_IQA), ==, IQ_BASE | IQA_DW);
    wr32(f, REG_GCMD, GCMD_QIE);
    f->iq_base = IQ_BASE;
    f->iq_tail = 0;
    qi_push_wait(f, IQ_STATUS, 0x35, 0);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, 0);
    qi_kick(f);
    assert_iqe(f, 0, IQEI_DW);
    g_assert_cmpstr(fx_last(f, DMAR_EV_QI_ERROR)->qi_error.why, ==,
                    "256-bit descriptors (IQA.DW) are not supported");
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0);
    fx_free(f);
}

/* qtest /vtd-dmar/queue/iqa-haw (§11.4.9.3) */
static void test_queue_iqa_haw(void)
{
    Fx *f = fx_new();
    uint64_t haw = haw_mask(f);

    wr64(f, REG_IQA, ~0ull);
    g_assert_cmphex(rd64(f, REG_IQA), ==, (haw & ~0xfffull) | IQA_DW | 7);
    fx_w32(f, IQ_STATUS, 0);
    fx_zero(f, IQ_BASE, 0x1000);
    wr64(f, REG_IQA, ~haw | IQ_BASE);
    g_assert_cmphex(rd64(f, REG_IQA), ==, IQ_BASE);
    wr64(f, REG_IQT, 0);
    wr32(f, REG_GCMD, GCMD_QIE);
    f->iq_base = IQ_BASE;
    f->iq_entries = 256;
    f->iq_tail = 0;
    qi_push_wait(f, IQ_STATUS, 0x4a, 0);
    qi_kick(f);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, 0);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0x4a);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(1));
    fx_free(f);
}

/*
 * The work of a page-selective IOTLB invalidation counts against the
 * budget (one unit per DMAR_QI_PROBES_PER_UNIT sets probed): a queue of
 * 256 MiB-range invalidations stops sooner than one of waits.
 */
static void test_queue_budget_work(void)
{
    Fx *f = fx_new();
    unsigned h;

    /*
     * the domain has leaf groups cached for one device: each 256 MiB
     * flush probes its 1024 groups' sets of blocks
     */
    setup_a_to_b(f);
    big_enable(f);
    for (unsigned i = 0; i < 2000; i++) {
        qi_put(f, i, QI_IOTLB | QI_G(GRAN_PAGE) | QI_DID(DOMAIN),
               (uint64_t)i << 28 | 16);
    }
    f->iq_tail = 2000;
    g_assert_cmpuint(qi_kick(f), ==, DMAR_ACT_QI_PENDING);
    h = iqh_index(f);
    g_assert_cmpuint(h, >, 0);
    g_assert_cmpuint(h, <, DMAR_QI_BUDGET);
    run_pending(f);
    g_assert_cmpuint(iqh_index(f), ==, 2000);
    fx_free(f);
}

/* ---- device-TLB invalidation (§6.5.2.5, ECAP.DT) ---- */

#define ECAP_DT             (1ull << 2)
#define DEVTLB_SID(s)       ((uint64_t)(s) << 32)
#define DEVTLB_MIP(m)       ((uint64_t)(m) << 16)
#define DEVTLB_PFSID(p)     (((uint64_t)(p) & 0xf) << 12 | \
                             ((uint64_t)(p) >> 4) << 52)
#define DEVTLB_S            1ull
#define AW48_LAST           ((1ull << 48) - 1)

typedef struct DevtlbForm {
    bool dt;                /* ECAP.DT (device-iotlb=on) */
    bool dw256;             /* 256-bit descriptors (IQA.DW, with ADMS) */
} DevtlbForm;

static const DevtlbForm devtlb_128 = { true, false };
static const DevtlbForm devtlb_256 = { true, true };
static const DevtlbForm no_dt_128 = { false, false };
static const DevtlbForm no_dt_256 = { false, true };

/* A unit with or without DT and its queue, in the form's width */
static Fx *devtlb_fx(const DevtlbForm *form)
{
    DmarUnitConfig cfg = fx_config();
    Fx *f;

    cfg.hw.dt = form->dt;
    /* §11.4.9.3: legacy mode takes 256-bit descriptors with ECAP.ADMS */
    cfg.abort_dma = form->dw256;
    f = fx_new_cfg(&cfg);
    g_assert_cmphex(rd64(f, REG_ECAP) & ECAP_DT, ==, form->dt ? ECAP_DT : 0);
    qi_enable(f, IQ_BASE, 0);
    if (form->dw256) {
        wr32(f, REG_GCMD, 0);
        wr64(f, REG_IQA, IQ_BASE | IQA_DW);
        wr64(f, REG_IQT, 0);
        wr32(f, REG_GCMD, GCMD_QIE);
        g_assert_cmphex(rd32(f, REG_GSTS) & GSTS_QIES, ==, GSTS_QIES);
        f->iq_tail = 0;
    }
    return f;
}

/* Queue a descriptor (upper half zero in 256-bit form); its first slot */
static unsigned devtlb_push(Fx *f, const DevtlbForm *form, uint64_t lo,
                            uint64_t hi)
{
    unsigned at = qi_push(f, lo, hi);

    if (form->dw256) {
        qi_push(f, 0, 0);
    }
    return at;
}

/* Queue a wait writing V, run the queue: everything before it is done */
static void devtlb_wait(Fx *f, const DevtlbForm *form, uint32_t v)
{
    fx_w32(f, IQ_SYNC, 0);
    devtlb_push(f, form, QI_WAIT | QI_WAIT_SW | QI_SDATA(v), IQ_SYNC);
    qi_kick(f);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, 0);
    g_assert_cmphex(fx_r32(f, IQ_SYNC), ==, v);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(f->iq_tail));
}

typedef struct DevtlbCase {
    const char *name;
    uint64_t lo, hi;
    bool event;             /* any of it below 2^aw-bits */
    uint64_t first, last;   /* ... cut there */
} DevtlbCase;

#define EDU_DEVTLB          (QI_DEVTLB | DEVTLB_SID(EDU_SID))

static const DevtlbCase devtlb_cases[] = {
    { "page", EDU_DEVTLB, 0x12345000ull, true, 0x12345000ull,
      0x12345fffull },
    { "page-0", EDU_DEVTLB, 0, true, 0, 0xfff },
    { "page-top", EDU_DEVTLB, AW48_LAST & ~0xfffull, true,
      AW48_LAST & ~0xfffull, AW48_LAST },
    { "8k", EDU_DEVTLB, 0x12344000ull | DEVTLB_S, true, 0x12344000ull,
      0x12345fffull },
    /* Linux: 16 pages at 0x10000 are 0x17000 with S */
    { "64k", EDU_DEVTLB, 0x17000ull | DEVTLB_S, true, 0x10000, 0x1ffff },
    { "2m", EDU_DEVTLB, 0x400ff000ull | DEVTLB_S, true, 0x40000000ull,
      0x401fffffull },
    { "1g", EDU_DEVTLB, 0x1ffff000ull | DEVTLB_S, true, 0, 0x3fffffffull },
    { "2^48", EDU_DEVTLB, 0x7ffffffff000ull | DEVTLB_S, true, 0, AW48_LAST },
    /* cut to 2^48: a range reaching past it, and everything */
    { "2^49", EDU_DEVTLB, 0xfffffffff000ull | DEVTLB_S, true, 0, AW48_LAST },
    { "2^63", EDU_DEVTLB, 0x3ffffffffffff000ull | DEVTLB_S, true, 0,
      AW48_LAST },
    { "all", EDU_DEVTLB, 0xfffffffffffff000ull | DEVTLB_S, true, 0,
      AW48_LAST },
    /* wholly above 2^48: nothing for anyone to drop */
    { "page-beyond-aw", EDU_DEVTLB, 1ull << 48, false },
    { "2m-beyond-aw", EDU_DEVTLB, 0x80000000ff000ull | DEVTLB_S, false },
    { "page-at-2^63", EDU_DEVTLB, 1ull << 63, false },
    /* the other fields go along: SID, PFSID, MIP */
    { "fields", QI_DEVTLB | DEVTLB_SID(0xabcd) | DEVTLB_PFSID(0x1234) |
      DEVTLB_MIP(31), 0x5000, true, 0x5000, 0x5fff },
};

static void devtlb_case(const DevtlbForm *form, const DevtlbCase *c)
{
    Fx *f = devtlb_fx(form);
    const DmarEvent *ev;

    fx_clear_events(f);
    devtlb_push(f, form, c->lo, c->hi);
    devtlb_wait(f, form, 0x3a);
    g_assert_cmpuint(fx_count(f, DMAR_EV_DEVTLB_INV), ==, c->event);
    if (c->event) {
        ev = fx_last(f, DMAR_EV_DEVTLB_INV);
        g_assert_cmphex(ev->devtlb.sid, ==, (c->lo >> 32) & 0xffff);
        g_assert_cmphex(ev->devtlb.pfsid, ==, ((c->lo >> 12) & 0xf) |
                        (c->lo >> 52) << 4);
        g_assert_cmpuint(ev->devtlb.mip, ==, (c->lo >> 16) & 0x1f);
        g_assert_cmphex(ev->devtlb.first, ==, c->first);
        g_assert_cmphex(ev->devtlb.last, ==, c->last);
    }
    /* the unit's own caches are not the device's: nothing else */
    g_assert_cmpuint(fx_count(f, DMAR_EV_UNMAP_ALL) +
                     fx_count(f, DMAR_EV_UNMAP_SID) +
                     fx_count(f, DMAR_EV_UNMAP_DID) +
                     fx_count(f, DMAR_EV_IOTLB_INV) +
                     fx_count(f, DMAR_EV_CC_INV) +
                     fx_count(f, DMAR_EV_QI_ERROR), ==, 0);
    g_assert_cmpuint(fx_take_act(f) & ~DMAR_ACT_QI_PENDING, ==, 0);
    fx_free(f);
}

/* With DT: one DMAR_EV_DEVTLB_INV per descriptor, its range cut to aw */
static void test_devtlb_event(const void *opaque)
{
    const DevtlbForm *form = opaque;

    for (unsigned i = 0; i < ARRAY_SIZE(devtlb_cases); i++) {
        g_test_message("case %s", devtlb_cases[i].name);
        devtlb_case(form, &devtlb_cases[i]);
    }
}

/*
 * Several in one queue run: one event each, in queue order, between the
 * other descriptors' effects.
 */
static void test_devtlb_batch(const void *opaque)
{
    const DevtlbForm *form = opaque;
    Fx *f = devtlb_fx(form);
    unsigned n = 0;

    fx_clear_events(f);
    devtlb_push(f, form, EDU_DEVTLB, 0x1000);
    devtlb_push(f, form, QI_IOTLB | QI_G(GRAN_GLOBAL), 0);
    devtlb_push(f, form, QI_DEVTLB | DEVTLB_SID(0x0018), 0x2000);
    devtlb_push(f, form, EDU_DEVTLB, 0x3000);
    devtlb_wait(f, form, 0x3b);
    for (unsigned i = 0; i < f->ev->len; i++) {
        static const uint16_t sids[] = { EDU_SID, 0x0018, EDU_SID };
        const DmarEvent *ev = fx_ev(f, i);

        if (ev->kind == DMAR_EV_IOTLB_INV) {
            g_assert_cmpuint(n, ==, 1);
        } else if (ev->kind == DMAR_EV_DEVTLB_INV) {
            g_assert_cmpuint(n, <, 3);
            g_assert_cmphex(ev->devtlb.sid, ==, sids[n]);
            g_assert_cmphex(ev->devtlb.first, ==, (n + 1) * 0x1000ull);
            n++;
        }
    }
    g_assert_cmpuint(n, ==, 3);
    fx_free(f);
}

/* Without DT, type 3 is an invalid type (IQEI 3) and nothing is emitted */
static void test_devtlb_no_dt(const void *opaque)
{
    const DevtlbForm *form = opaque;
    Fx *f = devtlb_fx(form);
    unsigned bad;

    devtlb_wait(f, form, 0x41);
    fx_clear_events(f);
    bad = devtlb_push(f, form, EDU_DEVTLB, 0x1000);
    devtlb_push(f, form, QI_WAIT | QI_WAIT_SW | QI_SDATA(0x42), IQ_STATUS);
    fx_w32(f, IQ_STATUS, 0);
    qi_kick(f);
    assert_iqe(f, bad, IQEI_TYPE);
    g_assert_cmphex(fx_r32(f, IQ_STATUS), ==, 0);
    g_assert_cmpuint(fx_count(f, DMAR_EV_DEVTLB_INV), ==, 0);
    g_assert_cmpstr(fx_one(f, DMAR_EV_QI_ERROR)->qi_error.why, ==,
                    "invalid descriptor type");
    fx_free(f);
}

/*
 * With DT, a reserved bit (§6.5.2.5: lo 8:4, 31:21, 51:48, hi 11:1; in
 * 256-bit form the upper half too) is IQEI 4 at that descriptor; the
 * descriptors before it are done, nothing is emitted for it.
 */
static void test_devtlb_rsvd(const void *opaque)
{
    const DevtlbForm *form = opaque;
    static const unsigned lo_bits[] = { 4, 8, 21, 31, 48, 51 };
    static const unsigned hi_bits[] = { 1, 11 };
    unsigned n = ARRAY_SIZE(lo_bits) + ARRAY_SIZE(hi_bits) +
                 (form->dw256 ? 2 : 0);

    for (unsigned i = 0; i < n; i++) {
        Fx *f = devtlb_fx(form);
        uint64_t lo = EDU_DEVTLB, hi = 0x1000;
        unsigned bad;

        if (i < ARRAY_SIZE(lo_bits)) {
            lo |= 1ull << lo_bits[i];
        } else if (i < ARRAY_SIZE(lo_bits) + ARRAY_SIZE(hi_bits)) {
            hi |= 1ull << hi_bits[i - ARRAY_SIZE(lo_bits)];
        }
        fx_clear_events(f);
        devtlb_push(f, form, EDU_DEVTLB, 0x7000);
        if (i < ARRAY_SIZE(lo_bits) + ARRAY_SIZE(hi_bits)) {
            bad = devtlb_push(f, form, lo, hi);
        } else {
            /* the upper half: bit 128 or bit 255 */
            bad = qi_push(f, lo, hi);
            qi_push(f, i & 1 ? 0 : 1, i & 1 ? 1ull << 63 : 0);
        }
        qi_kick(f);
        assert_iqe(f, bad, IQEI_RSVD);
        g_assert_cmpuint(fx_one(f, DMAR_EV_DEVTLB_INV)->devtlb.first, ==,
                         0x7000);
        fx_free(f);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/dmar-unit/inv/iotlb-page", &inv_page,
                         test_invalidate_iotlb);
    g_test_add_data_func("/dmar-unit/inv/iotlb-domain", &inv_domain,
                         test_invalidate_iotlb);
    g_test_add_data_func("/dmar-unit/inv/iotlb-global", &inv_global,
                         test_invalidate_iotlb);
    g_test_add_func("/dmar-unit/inv/iotlb-granularity",
                    test_invalidate_iotlb_granularity);
    g_test_add_func("/dmar-unit/inv/context", test_invalidate_context);
    g_test_add_func("/dmar-unit/inv/context-scope",
                    test_invalidate_context_scope);
    g_test_add_func("/dmar-unit/inv/context-iotlb",
                    test_invalidate_context_iotlb);
    g_test_add_data_func("/dmar-unit/inv/iotlb-scope", &by_register,
                         test_invalidate_iotlb_scope);
    g_test_add_data_func("/dmar-unit/qi/iotlb-scope", &by_queue,
                         test_invalidate_iotlb_scope);
    ADD_CASES("/dmar-unit/inv/scope", scope_cases, test_scope);
    g_test_add_func("/dmar-unit/inv/scope-gcmd", test_scope_gcmd);
    g_test_add_func("/dmar-unit/qi/register-inv", test_qi_register_inv);
    g_test_add_func("/dmar-unit/qi/bring-up", test_qi_bringup);
    g_test_add_data_func("/dmar-unit/qi/context-global", &qi_cc_global,
                         test_qi_context);
    g_test_add_data_func("/dmar-unit/qi/context-domain", &qi_cc_domain,
                         test_qi_context);
    g_test_add_data_func("/dmar-unit/qi/context-device", &qi_cc_device,
                         test_qi_context);
    g_test_add_data_func("/dmar-unit/qi/context-device-fm1",
                         &qi_cc_device_fm1, test_qi_context);
    g_test_add_data_func("/dmar-unit/qi/context-device-fm2",
                         &qi_cc_device_fm2, test_qi_context);
    g_test_add_data_func("/dmar-unit/qi/context-device-fm3",
                         &qi_cc_device_fm3, test_qi_context);
    g_test_add_data_func("/dmar-unit/qi/iotlb-page", &qi_inv_page,
                         test_invalidate_iotlb);
    g_test_add_data_func("/dmar-unit/qi/iotlb-domain", &qi_inv_domain,
                         test_invalidate_iotlb);
    g_test_add_data_func("/dmar-unit/qi/iotlb-global", &qi_inv_global,
                         test_invalidate_iotlb);
    g_test_add_func("/dmar-unit/qi/iotlb-am", test_qi_iotlb_am);
    g_test_add_func("/dmar-unit/qi/batch", test_qi_batch);
    g_test_add_func("/dmar-unit/qi/wraparound", test_qi_wraparound);
    g_test_add_func("/dmar-unit/qi/iqe-descriptor", test_qi_iqe_descriptor);
    g_test_add_func("/dmar-unit/qi/iqe-fault-event", test_qi_iqe_fault_event);
    g_test_add_func("/dmar-unit/qi/iqe-memory", test_qi_iqe_memory);
    g_test_add_func("/dmar-unit/qi/iqe-tail", test_qi_iqe_tail);
    g_test_add_func("/dmar-unit/qi/wait-event", test_qi_wait_event);
    g_test_add_func("/dmar-unit/qi/fuzz", test_qi_fuzz);
    g_test_add_func("/dmar-unit/qi/invalid/types", test_qi_invalid_types);
    ADD_CASES("/dmar-unit/qi/invalid", scn_qi_bad_cases, test_qi_invalid);
    ADD_CASES("/dmar-unit/qi/wait-held", wait_held_cases, test_qi_wait_held);
    ADD_CASES("/dmar-unit/qi/wait-owed", wait_owed_cases, test_qi_wait_owed);
    g_test_add_func("/dmar-unit/qi/wait-owed-two", test_qi_wait_owed_two);
    g_test_add_func("/dmar-unit/qi/disable/iqh-reset", test_qi_disable_iqh);
    g_test_add_func("/dmar-unit/queue/continuation", test_queue_continuation);
    g_test_add_func("/dmar-unit/queue/iqt-again", test_queue_iqt_again);
    g_test_add_func("/dmar-unit/queue/iqe-later", test_queue_iqe_later);
    g_test_add_data_func("/dmar-unit/queue/qie-off", &qie_off,
                         test_queue_qie_off);
    g_test_add_data_func("/dmar-unit/queue/reset", &qie_reset,
                         test_queue_qie_off);
    g_test_add_func("/dmar-unit/queue/migrate", test_queue_migrate);
    g_test_add_func("/dmar-unit/queue/large-caches",
                    test_queue_large_caches);
    g_test_add_func("/dmar-unit/queue/iqercd", test_queue_iqercd);
    g_test_add_func("/dmar-unit/queue/iqa-haw", test_queue_iqa_haw);
    g_test_add_func("/dmar-unit/queue/budget-work", test_queue_budget_work);
    g_test_add_data_func("/dmar-unit/devtlb/event", &devtlb_128,
                         test_devtlb_event);
    g_test_add_data_func("/dmar-unit/devtlb/event-256", &devtlb_256,
                         test_devtlb_event);
    g_test_add_data_func("/dmar-unit/devtlb/batch", &devtlb_128,
                         test_devtlb_batch);
    g_test_add_data_func("/dmar-unit/devtlb/batch-256", &devtlb_256,
                         test_devtlb_batch);
    g_test_add_data_func("/dmar-unit/devtlb/no-dt", &no_dt_128,
                         test_devtlb_no_dt);
    g_test_add_data_func("/dmar-unit/devtlb/no-dt-256", &no_dt_256,
                         test_devtlb_no_dt);
    g_test_add_data_func("/dmar-unit/devtlb/rsvd", &devtlb_128,
                         test_devtlb_rsvd);
    g_test_add_data_func("/dmar-unit/devtlb/rsvd-256", &devtlb_256,
                         test_devtlb_rsvd);
    return g_test_run();
}
