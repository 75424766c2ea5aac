/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the vtd-dmar translation core (dmar-core.c), written
 * against the Intel VT-d specification rather than against the code:
 * legacy root and context entries (VT-d §9.1, §9.3), the second-level
 * walk and its entries (§3.7, §9.8) and the fault reasons (§7.1.3).
 *
 * Guest memory is the shared sparse fake (dmar-fake-mem.h). It counts the
 * reads the core makes, so that the walk bound can be checked on tables
 * that point at themselves.
 */

#include "qemu/osdep.h"
#include "dmar-core.h"
#include "qemu/bswap.h"
#include "dmar-test-util.h"
#include "dmar-fake-mem.h"

#define SAGAW_3L            (1u << 1)
#define SAGAW_4L            (1u << 2)
#define SAGAW_5L            (1u << 3)
#define SLLPS_2M            (1u << 0)
#define SLLPS_1G            (1u << 1)

#define HW_PT               (1u << 0)
#define HW_DT               (1u << 1)
#define HW_SC               (1u << 2)
#define HW_STALE_TM         (1u << 3)

#define SZ_4K               (1ull << 12)
#define SZ_2M               (1ull << 21)
#define SZ_1G               (1ull << 30)

#define TEST_PAGE_MASK      (DMAR_PAGE_SIZE - 1)
#define UNBACKED_GPA        FAKE_POOL_LIMIT /* never backed by the fake */

/* ---- Fake guest memory (dmar-fake-mem.h) ---- */

#define FAKE_MEM(m) (&(DmarMem){ &fake_mem_ops, (m) })
/* An untranslated request without PASID. */
#define DMA_REQ(iova, w) (&(DmarRequest){ .addr = (iova), \
    .pasid = DMAR_NO_PASID, .type = DMAR_REQ_UNTRANSLATED, .is_write = (w) })

/* ---- Entry formats (VT-d §9.1, §9.3, §9.8) ---- */

/* Address of the entry for IOVA in the level-LEVEL table at TABLE. */
static uint64_t lvl_entry(uint64_t table, uint64_t iova, int level)
{
    return table + ((iova >> lvl_shift(level)) & 511) * 8;
}

static uint64_t make_root_lo(uint64_t ctp)
{
    uint64_t lo = FIELD_DP64(0, ROOT_LO, CTP, ctp >> DMAR_PAGE_SHIFT);

    return FIELD_DP64(lo, ROOT_LO, P, 1);
}

static uint64_t make_ctx_lo(uint64_t slptptr, unsigned tt, bool fpd)
{
    uint64_t lo = FIELD_DP64(0, CTX_LO, SLPTPTR, slptptr >> DMAR_PAGE_SHIFT);

    lo = FIELD_DP64(lo, CTX_LO, TT, tt);
    lo = FIELD_DP64(lo, CTX_LO, FPD, fpd);
    return FIELD_DP64(lo, CTX_LO, P, 1);
}

static uint64_t make_ctx_hi(unsigned aw, uint16_t did)
{
    uint64_t hi = FIELD_DP64(0, CTX_HI, AW, aw);

    return FIELD_DP64(hi, CTX_HI, DID, did);
}

static uint64_t make_slpte(uint64_t addr, uint8_t perm, bool ps)
{
    uint64_t pte = FIELD_DP64(0, SLPTE, ADDR, addr >> DMAR_PAGE_SHIFT);

    pte = FIELD_DP64(pte, SLPTE, R, !!(perm & DMAR_PERM_R));
    pte = FIELD_DP64(pte, SLPTE, W, !!(perm & DMAR_PERM_W));
    return FIELD_DP64(pte, SLPTE, PS, ps);
}

static uint64_t slpte_addr(uint64_t pte)
{
    return FIELD_EX64(pte, SLPTE, ADDR) << DMAR_PAGE_SHIFT;
}

/* VT-d §7.1.3: the reasons that the context entry's FPD can suppress. */
static bool ref_qualified(DmarFaultReason fr)
{
    switch (fr) {
    case DMAR_FR_CTX_NOT_PRESENT:
    case DMAR_FR_CTX_INVALID:
    case DMAR_FR_ADDR_BEYOND_AGAW:
    case DMAR_FR_WRITE:
    case DMAR_FR_READ:
    case DMAR_FR_PTE_ACCESS:
    case DMAR_FR_PTE_RSVD:
    case DMAR_FR_TT_BLOCKED:
        return true;
    default:
        return false;
    }
}

/* ---- Test environment: one unit, its root table, its devices ---- */

typedef struct TestEnv {
    DmarHwConfig hw;
    FakeMem mem;
    uint64_t rta;               /* root table address */
    uint64_t ctp[256];          /* context table of each bus, or 0 */
} TestEnv;

static void env_init(TestEnv *e, uint8_t haw, uint8_t sagaw, uint8_t sllps,
                     unsigned flags)
{
    memset(e, 0, sizeof(*e));
    e->hw.haw = haw;
    e->hw.sagaw = sagaw;
    e->hw.sllps = sllps;
    e->hw.pt = flags & HW_PT;
    e->hw.dt = flags & HW_DT;
    e->hw.sc = flags & HW_SC;
    e->hw.stale_tm = flags & HW_STALE_TM;
    dmar_hw_config_init(&e->hw);
    fake_mem_init(&e->mem);
    e->rta = fake_alloc_table(&e->mem);
}

/* 39-bit HAW, 3- and 4-level tables, 2 MiB and 1 GiB pages, PT, DT. */
static void env_init_default(TestEnv *e)
{
    env_init(e, 39, SAGAW_3L | SAGAW_4L, SLLPS_2M | SLLPS_1G,
             HW_PT | HW_DT);
}

static void env_destroy(TestEnv *e)
{
    fake_mem_destroy(&e->mem);
}

static void env_root_write(TestEnv *e, uint8_t bus, uint64_t lo, uint64_t hi)
{
    fake_poke64(&e->mem, e->rta + bus * 16, lo);
    fake_poke64(&e->mem, e->rta + bus * 16 + 8, hi);
}

/* Context entry of SID; creates the bus's context table if needed. */
static uint64_t env_ctx_gpa(TestEnv *e, uint16_t sid)
{
    uint8_t bus = sid >> 8;

    if (!e->ctp[bus]) {
        e->ctp[bus] = fake_alloc_table(&e->mem);
        env_root_write(e, bus, make_root_lo(e->ctp[bus]), 0);
    }
    return e->ctp[bus] + (sid & 0xff) * 16;
}

static void env_ctx_write(TestEnv *e, uint16_t sid, uint64_t lo, uint64_t hi)
{
    uint64_t gpa = env_ctx_gpa(e, sid);

    fake_poke64(&e->mem, gpa, lo);
    fake_poke64(&e->mem, gpa + 8, hi);
}

/* A device whose context entry has AW for LEVELS; returns its table. */
static uint64_t env_add_device(TestEnv *e, uint16_t sid, int levels,
                               unsigned tt, bool fpd, uint16_t did)
{
    uint64_t slpt = fake_alloc_table(&e->mem);

    env_ctx_write(e, sid, make_ctx_lo(slpt, tt, fpd),
                  make_ctx_hi(DMAR_LEVELS_TO_AW(levels), did));
    return slpt;
}

static bool env_lookup(TestEnv *e, uint16_t sid, DmarContext *ctx,
                       DmarFault *f)
{
    memset(ctx, 0, sizeof(*ctx));
    memset(f, 0, sizeof(*f));
    e->mem.reads = 0;
    return dmar_context_lookup(&e->hw, e->rta, sid, FAKE_MEM(&e->mem),
                               ctx, f);
}

static bool env_translate(TestEnv *e, const DmarContext *ctx, uint64_t iova,
                          bool is_write, DmarTranslation *out, DmarFault *f)
{
    memset(out, 0, sizeof(*out));
    memset(f, 0, sizeof(*f));
    e->mem.reads = 0;
    return dmar_translate(&e->hw, ctx, DMA_REQ(iova, is_write),
                          FAKE_MEM(&e->mem), out, f);
}

/* Add a second-level device and look it up; returns its table root. */
static uint64_t env_open(TestEnv *e, uint16_t sid, int levels, bool fpd,
                         DmarContext *ctx)
{
    DmarFault f;
    uint64_t slpt = env_add_device(e, sid, levels, DMAR_TT_UNTRANSLATED,
                                   fpd, 0x42);
    bool ok = env_lookup(e, sid, ctx, &f);

    g_assert_cmphex(f.fr, ==, DMAR_FR_NONE);
    g_assert_true(ok);
    g_assert_cmpuint(ctx->levels, ==, levels);
    g_assert_cmphex(ctx->slptptr, ==, slpt);
    g_assert_cmphex(ctx->sid, ==, sid);
    g_assert(ctx->fpd == fpd);
    return slpt;
}

/*
 * Map the page of level LEAF (4 KiB, 2 MiB or 1 GiB) at IOVA to PA in the
 * LEVELS-level tables at ROOT. PERM[l] is written into the entry of level
 * l if this call creates it; tables that exist already are reused as they
 * are. Returns the address of the leaf entry.
 */
static uint64_t map_perms(FakeMem *m, uint64_t root, int levels,
                          uint64_t iova, uint64_t pa, int leaf,
                          const uint8_t *perm)
{
    uint64_t table = root;
    uint64_t gpa;
    int l;

    for (l = levels; l > leaf; l--) {
        uint64_t next;

        gpa = lvl_entry(table, iova, l);
        next = slpte_addr(fake_peek64(m, gpa));
        if (!next) {
            next = fake_alloc_table(m);
            fake_poke64(m, gpa, make_slpte(next, perm[l], false));
        }
        table = next;
    }
    gpa = lvl_entry(table, iova, leaf);
    fake_poke64(m, gpa, make_slpte(pa, perm[leaf], leaf > 1));
    return gpa;
}

static uint64_t map_page(FakeMem *m, uint64_t root, int levels,
                         uint64_t iova, uint64_t pa, int leaf, uint8_t perm)
{
    uint8_t perms[DMAR_MAX_LEVELS + 1];

    memset(perms, DMAR_PERM_RW, sizeof(perms));
    perms[leaf] = perm;
    return map_perms(m, root, levels, iova, pa, leaf, perms);
}

/* Address of the level-LEVEL entry on the (existing) path to IOVA. */
static uint64_t pte_gpa(FakeMem *m, uint64_t root, int levels,
                        uint64_t iova, int level)
{
    uint64_t table = root;
    int l;

    for (l = levels; l > level; l--) {
        table = slpte_addr(fake_peek64(m, lvl_entry(table, iova, l)));
        g_assert(table);
    }
    return lvl_entry(table, iova, level);
}

/* Level at which a walk for B leaves the path of A (LEAF if never). */
static int split_level(uint64_t a, uint64_t b, int levels, int leaf)
{
    int l;

    for (l = levels; l > leaf; l--) {
        if (lvl_entry(0, a, l) != lvl_entry(0, b, l)) {
            return l;
        }
    }
    return leaf;
}

/* ---- Checks ---- */

static char probe_label[160];

static const char *rw_name(bool is_write)
{
    return is_write ? "write" : "read";
}

static void G_GNUC_PRINTF(1, 2) set_case(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_vsnprintf(probe_label, sizeof(probe_label), fmt, ap);
    va_end(ap);
}

static void assert_lookup_fault(TestEnv *e, uint16_t sid,
                                DmarFaultReason fr, bool fpd)
{
    DmarContext ctx;
    DmarFault f;
    bool ok = env_lookup(e, sid, &ctx, &f);

    g_assert_cmphex(f.fr, ==, fr);
    g_assert_false(ok);
    g_assert_cmphex(f.sid, ==, sid);
    g_assert_cmpuint(f.level, ==, 0);
    g_assert(f.fpd == fpd);
    g_assert_false(f.pasid_valid);
    /* One root entry and at most one context entry. */
    g_assert_cmpuint(e->mem.reads, <=, 2);
}

static void assert_walk_fault(TestEnv *e, const DmarContext *ctx,
                              uint64_t iova, bool is_write,
                              DmarFaultReason fr, int level)
{
    DmarTranslation out;
    DmarFault f;
    bool ok = env_translate(e, ctx, iova, is_write, &out, &f);

    if (ok || f.fr != fr || f.level != level) {
        g_test_message("%s: iova 0x%" PRIx64 " %s: ok %d fr 0x%x level %u,"
                       " want fr 0x%x level %d", probe_label, iova,
                       rw_name(is_write), ok, f.fr, f.level,
                       fr, level);
    }
    g_assert_cmphex(f.fr, ==, fr);
    g_assert_false(ok);
    g_assert_cmpuint(f.level, ==, level);
    g_assert_cmphex(f.addr, ==, iova);
    g_assert_cmphex(f.sid, ==, ctx->sid);
    g_assert(f.is_write == is_write);
    g_assert(f.fpd == (ctx->fpd && ref_qualified(fr)));
    g_assert_false(f.pasid_valid);
    g_assert_cmpuint(e->mem.reads, <=, ctx->levels);
}

static void assert_xlate(TestEnv *e, const DmarContext *ctx, uint64_t iova,
                         bool is_write, uint64_t pa, int leaf, uint8_t perm)
{
    DmarTranslation out;
    DmarFault f;
    uint64_t mask = lvl_size(leaf) - 1;
    bool ok = env_translate(e, ctx, iova, is_write, &out, &f);

    if (!ok || out.pa != pa || out.perm != perm || out.level != leaf) {
        g_test_message("%s: iova 0x%" PRIx64 " %s: ok %d fr 0x%x level %u"
                       " pa 0x%" PRIx64 " perm %u leaf %u,"
                       " want pa 0x%" PRIx64 " perm %u leaf %d",
                       probe_label, iova, rw_name(is_write), ok,
                       f.fr, f.level, out.pa, out.perm, out.level,
                       pa, perm, leaf);
    }
    g_assert_cmphex(f.fr, ==, DMAR_FR_NONE);
    g_assert_true(ok);
    g_assert_cmphex(out.iova, ==, iova & ~mask);
    g_assert_cmphex(out.pa, ==, pa);
    g_assert_cmphex(out.mask, ==, mask);
    g_assert_cmpuint(out.perm, ==, perm);
    g_assert_cmpuint(out.level, ==, leaf);
    g_assert_cmpuint(e->mem.reads, <=, ctx->levels);
}

/* ---- Fault reasons and the hardware configuration ---- */

static void test_qualified(void)
{
    static const struct {
        DmarFaultReason fr;
        bool qualified;
    } cases[] = {
        { DMAR_FR_ROOT_NOT_PRESENT, false },
        { DMAR_FR_CTX_NOT_PRESENT, true },
        { DMAR_FR_CTX_INVALID, true },
        { DMAR_FR_ADDR_BEYOND_AGAW, true },
        { DMAR_FR_WRITE, true },
        { DMAR_FR_READ, true },
        { DMAR_FR_PTE_ACCESS, true },
        { DMAR_FR_ROOT_ACCESS, false },
        { DMAR_FR_CTX_ACCESS, false },
        { DMAR_FR_ROOT_RSVD, false },
        { DMAR_FR_CTX_RSVD, false },
        { DMAR_FR_PTE_RSVD, true },
        { DMAR_FR_TT_BLOCKED, true },
    };
    int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        g_assert(dmar_fault_is_qualified(cases[i].fr) == cases[i].qualified);
        g_assert(ref_qualified(cases[i].fr) == cases[i].qualified);
    }
}

/*
 * The derived masks: address bits from HAW to 51 are reserved at every
 * level, bits below HAW are not (except inside a large page), the ignored
 * bits, R and W never are, SNP only without snoop control, and TM (bit
 * 62) always in a table entry but in a page entry only unless both
 * ECAP.DT and stale_tm (intel-iommu's stale-tm) are set.
 */
static void test_hw_masks(void)
{
    static const uint8_t haws[] = { 39, 46, 48, 52 };
    const uint64_t never = DMAR_SLPTE_IGNORED | R_SLPTE_R_MASK |
                           R_SLPTE_W_MASK;
    int i, sc, dt, stm, l;

    for (i = 0; i < ARRAY_SIZE(haws) * 4; i++) {
        for (sc = 0; sc <= 1; sc++) {
            dt = i & 1;
            stm = !!(i & 2);
            DmarHwConfig hw = {
                .haw = haws[i / 4],
                .sagaw = SAGAW_3L | SAGAW_4L | SAGAW_5L,
                .sllps = SLLPS_2M | SLLPS_1G,
                .pt = true,
                .dt = dt,
                .sc = sc,
                .stale_tm = stm,
            };
            uint64_t beyond = hw.haw < 52 ?
                              MAKE_64BIT_MASK(hw.haw, 52 - hw.haw) : 0;
            uint64_t below = MAKE_64BIT_MASK(12, hw.haw - 12);

            dmar_hw_config_init(&hw);
            for (l = 2; l <= DMAR_MAX_LEVELS; l++) {
                g_assert_cmphex(hw.rsvd_table[l] & never, ==, 0);
                g_assert_cmphex(hw.rsvd_table[l] & R_SLPTE_TM_MASK, ==,
                                R_SLPTE_TM_MASK);
                g_assert_cmphex(hw.rsvd_table[l] & beyond, ==, beyond);
                g_assert_cmphex(hw.rsvd_table[l] & below, ==, 0);
            }
            for (l = 1; l <= 3; l++) {
                uint64_t in_page = l > 1 ?
                                   MAKE_64BIT_MASK(12, 9 * (l - 1)) : 0;

                g_assert_cmphex(hw.rsvd_leaf[l] & never, ==, 0);
                g_assert_cmphex(hw.rsvd_leaf[l] & beyond, ==, beyond);
                g_assert_cmphex(hw.rsvd_leaf[l] & below, ==, in_page);
                g_assert(!!(hw.rsvd_leaf[l] & R_SLPTE_SNP_MASK) == !sc);
                g_assert(!!(hw.rsvd_leaf[l] & R_SLPTE_TM_MASK) ==
                         !(dt && stm));
            }
        }
    }
}

/* ---- Root entries (VT-d §9.1) ---- */

typedef struct EntryRsvdCase {
    const char *name;
    uint64_t lo;
    uint64_t hi;
} EntryRsvdCase;

static void test_root_not_present(void)
{
    TestEnv e;

    env_init_default(&e);
    /* An all-zero root table: no bus is present. */
    assert_lookup_fault(&e, 0x0000, DMAR_FR_ROOT_NOT_PRESENT, false);
    assert_lookup_fault(&e, 0xff07, DMAR_FR_ROOT_NOT_PRESENT, false);

    /* P = 0: the other fields, reserved ones included, are ignored. */
    env_add_device(&e, 0x1208, 3, DMAR_TT_UNTRANSLATED, true, 1);
    env_root_write(&e, 0x12,
                   (make_root_lo(e.ctp[0x12]) & ~R_ROOT_LO_P_MASK) |
                   DMAR_ROOT_LO_RSVD | (1ull << 63), DMAR_ROOT_HI_RSVD);
    assert_lookup_fault(&e, 0x1208, DMAR_FR_ROOT_NOT_PRESENT, false);

    /* The next bus has its own root entry. */
    assert_lookup_fault(&e, 0x1308, DMAR_FR_ROOT_NOT_PRESENT, false);
    env_add_device(&e, 0x1308, 3, DMAR_TT_UNTRANSLATED, false, 1);
    assert_lookup_fault(&e, 0x1208, DMAR_FR_ROOT_NOT_PRESENT, false);
    env_destroy(&e);
}

static void test_root_access(void)
{
    TestEnv e;

    env_init_default(&e);
    env_add_device(&e, 0x0110, 3, DMAR_TT_UNTRANSLATED, true, 1);
    e.rta = UNBACKED_GPA;
    assert_lookup_fault(&e, 0x0110, DMAR_FR_ROOT_ACCESS, false);
    assert_lookup_fault(&e, 0xffff, DMAR_FR_ROOT_ACCESS, false);
    env_destroy(&e);
}

static const EntryRsvdCase root_rsvd_cases[] = {
    { "lo-bit1", 1ull << 1, 0 },
    { "lo-bit11", 1ull << 11, 0 },
    { "lo-bits11-1", DMAR_ROOT_LO_RSVD, 0 },
    { "ctp-bit39-haw", 1ull << 39, 0 },
    { "ctp-bit51", 1ull << 51, 0 },
    { "ctp-bit63", 1ull << 63, 0 },
    { "hi-bit0", 0, 1ull << 0 },
    { "hi-bit12", 0, 1ull << 12 },
    { "hi-bit63", 0, 1ull << 63 },
};

static void test_root_rsvd(const void *opaque)
{
    const EntryRsvdCase *c = opaque;
    TestEnv e;

    env_init_default(&e);
    /* FPD in the context entry must not matter: 0xa is not qualified. */
    env_add_device(&e, 0x2a10, 3, DMAR_TT_UNTRANSLATED, true, 1);
    env_root_write(&e, 0x2a, make_root_lo(e.ctp[0x2a]) | c->lo, c->hi);
    assert_lookup_fault(&e, 0x2a10, DMAR_FR_ROOT_RSVD, false);
    env_destroy(&e);
}

/* CTP bits below HAW are an address; from HAW up they are reserved. */
static void test_root_ctp_haw(void)
{
    static const struct {
        uint8_t haw;
        uint64_t ctp;
        DmarFaultReason fr;
    } cases[] = {
        { 39, (1ull << 39) - SZ_4K, DMAR_FR_NONE },
        { 39, (1ull << 38), DMAR_FR_NONE },
        { 39, (1ull << 39), DMAR_FR_ROOT_RSVD },
        { 46, (1ull << 45) | (1ull << 39), DMAR_FR_NONE },
        { 46, (1ull << 46), DMAR_FR_ROOT_RSVD },
        { 48, (1ull << 48) - SZ_4K, DMAR_FR_NONE },
        { 48, (1ull << 48), DMAR_FR_ROOT_RSVD },
        { 52, (1ull << 52) - SZ_4K, DMAR_FR_NONE },
    };
    int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        TestEnv e;
        DmarContext ctx;
        DmarFault f;
        uint64_t ctp = cases[i].ctp;
        uint64_t slpt;
        bool ok;

        env_init(&e, cases[i].haw, SAGAW_3L | SAGAW_4L, 0, 0);
        slpt = fake_alloc_table(&e.mem);
        fake_poke64(&e.mem, ctp + 0x21 * 16,
                     make_ctx_lo(slpt, DMAR_TT_UNTRANSLATED, false));
        fake_poke64(&e.mem, ctp + 0x21 * 16 + 8, make_ctx_hi(1, 7));
        env_root_write(&e, 0x80, make_root_lo(ctp), 0);
        ok = env_lookup(&e, 0x8021, &ctx, &f);
        g_assert_cmphex(f.fr, ==, cases[i].fr);
        g_assert(ok == (cases[i].fr == DMAR_FR_NONE));
        if (ok) {
            g_assert_cmphex(ctx.slptptr, ==, slpt);
            g_assert_cmpuint(ctx.did, ==, 7);
            g_assert_cmpuint(ctx.levels, ==, 3);
        } else {
            g_assert_cmpuint(e.mem.reads, ==, 1);
        }
        env_destroy(&e);
    }
}

/* ---- Context entries (VT-d §9.3) ---- */

static void test_ctx_not_present(void)
{
    TestEnv e;
    uint64_t gpa;

    env_init_default(&e);
    /* The bus is present, the function's entry is all zeroes. */
    env_add_device(&e, 0x0308, 3, DMAR_TT_UNTRANSLATED, true, 1);
    assert_lookup_fault(&e, 0x0309, DMAR_FR_CTX_NOT_PRESENT, false);

    /*
     * P = 0 with FPD = 1: 0x2 is qualified and the entry was read, so
     * the fault is suppressed.
     */
    gpa = env_ctx_gpa(&e, 0x0308);
    fake_poke64(&e.mem, gpa, fake_peek64(&e.mem, gpa) & ~R_CTX_LO_P_MASK);
    assert_lookup_fault(&e, 0x0308, DMAR_FR_CTX_NOT_PRESENT, true);

    /* P = 0: reserved bits, TT and AW are not looked at. */
    env_ctx_write(&e, 0x03ff, DMAR_CTX_LO_RSVD | (3ull << 2) | (1ull << 63),
                  DMAR_CTX_HI_RSVD | 7);
    assert_lookup_fault(&e, 0x03ff, DMAR_FR_CTX_NOT_PRESENT, false);
    env_destroy(&e);
}

static void test_ctx_access(void)
{
    TestEnv e;

    env_init_default(&e);
    env_add_device(&e, 0x0500, 3, DMAR_TT_UNTRANSLATED, true, 1);
    env_root_write(&e, 0x05, make_root_lo(UNBACKED_GPA), 0);
    /* The entry could not be read, so its FPD cannot apply. */
    assert_lookup_fault(&e, 0x0500, DMAR_FR_CTX_ACCESS, false);
    assert_lookup_fault(&e, 0x05ff, DMAR_FR_CTX_ACCESS, false);
    env_destroy(&e);
}

static const EntryRsvdCase ctx_rsvd_cases[] = {
    { "lo-bit4", 1ull << 4, 0 },
    { "lo-bit11", 1ull << 11, 0 },
    { "lo-bits11-4", DMAR_CTX_LO_RSVD, 0 },
    { "slptptr-bit39-haw", 1ull << 39, 0 },
    { "slptptr-bit51", 1ull << 51, 0 },
    { "slptptr-bit63", 1ull << 63, 0 },
    { "hi-bit7", 0, 1ull << 7 },
    { "hi-bit24", 0, 1ull << 24 },
    { "hi-bit40", 0, 1ull << 40 },
    { "hi-bit63", 0, 1ull << 63 },
    { "hi-all", 0, DMAR_CTX_HI_RSVD },
};

static void test_ctx_rsvd(const void *opaque)
{
    const EntryRsvdCase *c = opaque;
    TestEnv e;
    uint64_t gpa;

    env_init_default(&e);
    env_add_device(&e, 0x4c3a, 4, DMAR_TT_UNTRANSLATED, true, 9);
    gpa = env_ctx_gpa(&e, 0x4c3a);
    fake_or64(&e.mem, gpa, c->lo);
    fake_or64(&e.mem, gpa + 8, c->hi);
    /* FPD = 1, but 0xb is not a qualified fault. */
    assert_lookup_fault(&e, 0x4c3a, DMAR_FR_CTX_RSVD, false);
    env_destroy(&e);
}

typedef struct CtxCase {
    const char *name;
    uint8_t sagaw;
    unsigned flags;
    unsigned tt;
    unsigned aw;
    DmarFaultReason fr;         /* DMAR_FR_NONE: the lookup succeeds */
    uint8_t levels;
} CtxCase;

static const CtxCase ctx_tt_cases[] = {
    { "tt0", SAGAW_3L | SAGAW_4L, HW_PT | HW_DT, 0, 2, DMAR_FR_NONE, 4 },
    { "tt0-no-pt-dt", SAGAW_3L, 0, 0, 1, DMAR_FR_NONE, 3 },
    { "tt1-dt", SAGAW_3L | SAGAW_4L, HW_DT, 1, 2, DMAR_FR_NONE, 4 },
    { "tt1-no-dt", SAGAW_3L | SAGAW_4L, HW_PT, 1, 2, DMAR_FR_CTX_INVALID },
    { "tt2-pt", SAGAW_3L | SAGAW_4L, HW_PT, 2, 2, DMAR_FR_NONE, 0 },
    { "tt2-pt-aw-unchecked", SAGAW_4L, HW_PT, 2, 0, DMAR_FR_NONE, 0 },
    { "tt2-no-pt", SAGAW_3L | SAGAW_4L, HW_DT, 2, 2, DMAR_FR_CTX_INVALID },
    { "tt3", SAGAW_3L | SAGAW_4L, HW_PT | HW_DT, 3, 2,
      DMAR_FR_CTX_INVALID },
};

static const CtxCase ctx_aw_cases[] = {
    { "aw0", SAGAW_3L | SAGAW_4L, 0, 0, 0, DMAR_FR_CTX_INVALID },
    { "aw1-3l", SAGAW_3L | SAGAW_4L, 0, 0, 1, DMAR_FR_NONE, 3 },
    { "aw2-4l", SAGAW_3L | SAGAW_4L, 0, 0, 2, DMAR_FR_NONE, 4 },
    { "aw3-5l-unsupported", SAGAW_3L | SAGAW_4L, 0, 0, 3,
      DMAR_FR_CTX_INVALID },
    { "aw3-5l", SAGAW_3L | SAGAW_4L | SAGAW_5L, 0, 0, 3, DMAR_FR_NONE, 5 },
    { "aw4", SAGAW_3L | SAGAW_4L | SAGAW_5L, 0, 0, 4, DMAR_FR_CTX_INVALID },
    { "aw7", SAGAW_3L | SAGAW_4L | SAGAW_5L, 0, 0, 7, DMAR_FR_CTX_INVALID },
    { "aw1-4l-only", SAGAW_4L, 0, 0, 1, DMAR_FR_CTX_INVALID },
    { "aw2-4l-only", SAGAW_4L, 0, 0, 2, DMAR_FR_NONE, 4 },
    { "aw2-3l-only", SAGAW_3L, 0, 0, 2, DMAR_FR_CTX_INVALID },
    { "aw1-tt1", SAGAW_3L, HW_DT, 1, 1, DMAR_FR_NONE, 3 },
    { "aw2-tt1-3l-only", SAGAW_3L, HW_DT, 1, 2, DMAR_FR_CTX_INVALID },
};

static void test_ctx_case(const void *opaque)
{
    const CtxCase *c = opaque;
    const uint16_t sid = 0x9a5b;
    TestEnv e;
    DmarContext ctx;
    DmarFault f;
    uint64_t slpt;
    bool ok;

    env_init(&e, 48, c->sagaw, SLLPS_2M, c->flags);
    slpt = fake_alloc_table(&e.mem);
    env_ctx_write(&e, sid, make_ctx_lo(slpt, c->tt, true),
                  make_ctx_hi(c->aw, 0xbeef));
    ok = env_lookup(&e, sid, &ctx, &f);
    g_assert_cmphex(f.fr, ==, c->fr);
    if (c->fr != DMAR_FR_NONE) {
        g_assert_false(ok);
        g_assert_cmphex(f.sid, ==, sid);
        g_assert_cmpuint(f.level, ==, 0);
        /* 0x3 is qualified and the entry has FPD = 1. */
        g_assert_true(f.fpd);
    } else {
        g_assert_true(ok);
        g_assert_cmphex(ctx.sid, ==, sid);
        g_assert_cmpuint(ctx.tt, ==, c->tt);
        g_assert_cmpuint(ctx.levels, ==, c->levels);
        g_assert_cmphex(ctx.did, ==, 0xbeef);
        g_assert_true(ctx.fpd);
        if (c->tt != DMAR_TT_PASSTHROUGH) {
            g_assert_cmphex(ctx.slptptr, ==, slpt);
        }
    }
    g_assert_cmpuint(e.mem.reads, ==, 2);
    env_destroy(&e);
}

/* Each device gets its own entry: the index is bus, then devfn. */
static void test_ctx_decode(void)
{
    static const struct {
        uint16_t sid;
        int levels;
        bool fpd;
        uint16_t did;
    } devs[] = {
        { 0x0000, 3, false, 0x0000 },
        { 0x0001, 4, true, 0xffff },
        { 0x00ff, 3, true, 0x1234 },
        { 0x0100, 4, false, 0x8001 },
        { 0x1234, 3, false, 0x00ff },
        { 0xff00, 4, true, 0x0100 },
        { 0xffff, 3, false, 0x7ffe },
    };
    TestEnv e;
    uint64_t slpt[ARRAY_SIZE(devs)];
    int i;

    env_init_default(&e);
    for (i = 0; i < ARRAY_SIZE(devs); i++) {
        slpt[i] = env_add_device(&e, devs[i].sid, devs[i].levels,
                                 DMAR_TT_UNTRANSLATED, devs[i].fpd,
                                 devs[i].did);
    }
    for (i = 0; i < ARRAY_SIZE(devs); i++) {
        DmarContext ctx;
        DmarFault f;
        bool ok = env_lookup(&e, devs[i].sid, &ctx, &f);

        g_assert_cmphex(f.fr, ==, DMAR_FR_NONE);
        g_assert_true(ok);
        g_assert_cmphex(ctx.sid, ==, devs[i].sid);
        g_assert_cmphex(ctx.did, ==, devs[i].did);
        g_assert_cmpuint(ctx.levels, ==, devs[i].levels);
        g_assert(ctx.fpd == devs[i].fpd);
        g_assert_cmpuint(ctx.tt, ==, DMAR_TT_UNTRANSLATED);
        g_assert_cmphex(ctx.slptptr, ==, slpt[i]);
    }
    /* Neighbours of present entries are still not present. */
    assert_lookup_fault(&e, 0x0002, DMAR_FR_CTX_NOT_PRESENT, false);
    assert_lookup_fault(&e, 0xfffe, DMAR_FR_CTX_NOT_PRESENT, false);
    assert_lookup_fault(&e, 0x0200, DMAR_FR_ROOT_NOT_PRESENT, false);
    env_destroy(&e);
}

/* SLPTPTR bits below HAW are an address (and a table may live there). */
static void test_ctx_slptptr_haw(void)
{
    TestEnv e;
    DmarContext ctx;
    DmarFault f;
    uint64_t top = (1ull << 39) - SZ_4K;
    bool ok;

    env_init_default(&e);
    fake_page(&e.mem, top, true);
    env_ctx_write(&e, 0x0010, make_ctx_lo(top, DMAR_TT_UNTRANSLATED, false),
                  make_ctx_hi(1, 3));
    ok = env_lookup(&e, 0x0010, &ctx, &f);
    g_assert_cmphex(f.fr, ==, DMAR_FR_NONE);
    g_assert_true(ok);
    g_assert_cmphex(ctx.slptptr, ==, top);
    map_page(&e.mem, top, 3, 0x1000, 0x2000, 1, DMAR_PERM_RW);
    set_case("slptptr at 2^39 - 4K");
    assert_xlate(&e, &ctx, 0x1abc, true, 0x2000, 1, DMAR_PERM_RW);
    env_destroy(&e);
}

/* ---- Second-stage walks (VT-d §3.7, §9.8) ---- */

typedef struct WalkCase {
    const char *name;
    uint8_t haw;
    int levels;
    int leaf;
    uint64_t iova;
    uint64_t pa;
} WalkCase;

static const WalkCase walk_cases[] = {
    { "3l-4k", 39, 3, 1, 0x12345000ull, 0x7654321000ull },
    { "3l-2m", 39, 3, 2, 0x40200000ull, 0x3fe00000ull },
    { "3l-1g", 39, 3, 3, 0x7fc0000000ull, 0x40000000ull },
    { "3l-4k-top", 39, 3, 1, (1ull << 39) - SZ_4K, 0 },
    { "4l-4k", 48, 4, 1, 0xfffffffff000ull, 0x1000ull },
    { "4l-2m", 48, 4, 2, 0x800000200000ull, 0xffffffe00000ull },
    { "4l-1g", 48, 4, 3, 0x123440000000ull, 0x7fc0000000ull },
    { "4l-4k-haw39", 39, 4, 1, 0x7ffffff000ull, 0x7ffffff000ull },
    { "5l-4k", 48, 5, 1, 0x1fffffffffff000ull, 0xfffffffff000ull },
    { "5l-2m", 48, 5, 2, 0x100000000200000ull, 0x200000ull },
    { "5l-1g", 48, 5, 3, 0x0abcdc0000000ull, 0x800000000000ull },
    { "5l-4k-low", 48, 5, 1, 0x5000ull, 0x6000ull },
};

static void test_walk(const void *opaque)
{
    const WalkCase *c = opaque;
    uint64_t size = lvl_size(c->leaf);
    const uint64_t offsets[] = { 0, 1, 0x123, size / 2 + 8, size - 1 };
    TestEnv e;
    DmarContext ctx;
    uint64_t slpt;
    int i;

    env_init(&e, c->haw, SAGAW_3L | SAGAW_4L | SAGAW_5L,
             SLLPS_2M | SLLPS_1G, HW_DT);
    slpt = env_open(&e, 0x0808, c->levels, false, &ctx);
    map_page(&e.mem, slpt, c->levels, c->iova, c->pa, c->leaf,
             DMAR_PERM_RW);
    set_case("%s", c->name);
    for (i = 0; i < ARRAY_SIZE(offsets); i++) {
        assert_xlate(&e, &ctx, c->iova + offsets[i], false, c->pa, c->leaf,
                     DMAR_PERM_RW);
        g_assert_cmpuint(e.mem.reads, ==, c->levels - c->leaf + 1);
        assert_xlate(&e, &ctx, c->iova + offsets[i], true, c->pa, c->leaf,
                     DMAR_PERM_RW);
    }
    /* The pages on either side are not mapped. */
    if (c->iova >= size) {
        assert_walk_fault(&e, &ctx, c->iova - 1, false, DMAR_FR_READ,
                          split_level(c->iova, c->iova - 1, c->levels,
                                      c->leaf));
    }
    if (c->iova + size < (1ull << DMAR_LEVELS_TO_WIDTH(c->levels))) {
        assert_walk_fault(&e, &ctx, c->iova + size, true, DMAR_FR_WRITE,
                          split_level(c->iova, c->iova + size, c->levels,
                                      c->leaf));
    }
    env_destroy(&e);
}

/* Several pages of several sizes under shared tables. */
static void test_walk_shared(void)
{
    static const struct {
        uint64_t iova;
        uint64_t pa;
        int leaf;
        uint8_t perm;
    } maps[] = {
        { 0x0000000000ull, 0x0000100000ull, 1, DMAR_PERM_RW },
        { 0x0000001000ull, 0x0000000000ull, 1, DMAR_PERM_R },
        { 0x00001ff000ull, 0x7ffffff000ull, 1, DMAR_PERM_W },
        { 0x0000200000ull, 0x0000a00000ull, 2, DMAR_PERM_RW },
        { 0x003fe00000ull, 0x0040000000ull, 2, DMAR_PERM_R },
        { 0x0040000000ull, 0x0000000000ull, 3, DMAR_PERM_RW },
        { 0x0080000000ull, 0x0000400000ull, 1, DMAR_PERM_RW },
        { 0x7fffe00000ull, 0x0000200000ull, 2, DMAR_PERM_W },
    };
    TestEnv e;
    DmarContext ctx;
    uint64_t slpt;
    int i, w;

    env_init_default(&e);
    slpt = env_open(&e, 0x0020, 3, false, &ctx);
    for (i = 0; i < ARRAY_SIZE(maps); i++) {
        map_page(&e.mem, slpt, 3, maps[i].iova, maps[i].pa, maps[i].leaf,
                 maps[i].perm);
    }
    for (i = 0; i < ARRAY_SIZE(maps); i++) {
        uint64_t last = maps[i].iova + lvl_size(maps[i].leaf) - 1;

        set_case("shared map %d", i);
        for (w = 0; w <= 1; w++) {
            uint8_t need = w ? DMAR_PERM_W : DMAR_PERM_R;

            if (maps[i].perm & need) {
                assert_xlate(&e, &ctx, last, w, maps[i].pa, maps[i].leaf,
                             maps[i].perm);
            } else {
                assert_walk_fault(&e, &ctx, last, w,
                                  w ? DMAR_FR_WRITE : DMAR_FR_READ,
                                  maps[i].leaf);
            }
        }
    }
    /* Holes between them. */
    set_case("shared holes");
    assert_walk_fault(&e, &ctx, 0x2000, false, DMAR_FR_READ, 1);
    assert_walk_fault(&e, &ctx, 0x400000, true, DMAR_FR_WRITE, 2);
    assert_walk_fault(&e, &ctx, 0x00c0000000ull, false, DMAR_FR_READ, 3);
    assert_walk_fault(&e, &ctx, 0x0080001000ull, false, DMAR_FR_READ, 1);
    env_destroy(&e);
}

/* A non-present top-level table: every address faults at the top. */
static void test_walk_empty(void)
{
    static const int levels[] = { 3, 4, 5 };
    int i;

    for (i = 0; i < ARRAY_SIZE(levels); i++) {
        TestEnv e;
        DmarContext ctx;

        env_init(&e, 48, SAGAW_3L | SAGAW_4L | SAGAW_5L, 0, 0);
        env_open(&e, 0x0100, levels[i], false, &ctx);
        set_case("empty %d-level", levels[i]);
        assert_walk_fault(&e, &ctx, 0, false, DMAR_FR_READ, levels[i]);
        assert_walk_fault(&e, &ctx, 0x123456789ull, true, DMAR_FR_WRITE,
                          levels[i]);
        g_assert_cmpuint(e.mem.reads, ==, 1);
        env_destroy(&e);
    }
}

typedef struct PsCase {
    const char *name;
    uint8_t sllps;
    int levels;
    int ps_level;
} PsCase;

/* PS where CAP.SLLPS does not offer the size, or at levels 4 and 5. */
static const PsCase ps_cases[] = {
    { "l2-no-sllps", 0, 3, 2 },
    { "l2-1g-only", SLLPS_1G, 3, 2 },
    { "l3-2m-only", SLLPS_2M, 3, 3 },
    { "l3-no-sllps", 0, 4, 3 },
    { "l4", SLLPS_2M | SLLPS_1G, 4, 4 },
    { "l5", SLLPS_2M | SLLPS_1G, 5, 5 },
    { "l4-of-5", SLLPS_2M | SLLPS_1G, 5, 4 },
};

static void test_walk_ps_unsupported(const void *opaque)
{
    const PsCase *c = opaque;
    TestEnv e;
    DmarContext ctx;
    uint64_t slpt;
    uint64_t iova = 0x40000000ull;

    env_init(&e, 48, SAGAW_3L | SAGAW_4L | SAGAW_5L, c->sllps, 0);
    slpt = env_open(&e, 0x0100, c->levels, false, &ctx);
    /* A page address aligned for any size: 0. */
    map_page(&e.mem, slpt, c->levels, iova, 0, c->ps_level, DMAR_PERM_RW);
    set_case("%s", c->name);
    assert_walk_fault(&e, &ctx, iova, false, DMAR_FR_PTE_RSVD, c->ps_level);
    assert_walk_fault(&e, &ctx, iova + 0x1234, true, DMAR_FR_PTE_RSVD,
                      c->ps_level);
    env_destroy(&e);
}

/* PS = 1 at level 1 is not a reserved bit: level 1 always maps 4 KiB. */
static void test_walk_ps_level1(void)
{
    TestEnv e;
    DmarContext ctx;
    uint64_t slpt, gpa;

    env_init(&e, 39, SAGAW_3L, 0, 0);
    slpt = env_open(&e, 0x0100, 3, false, &ctx);
    gpa = map_page(&e.mem, slpt, 3, 0x7000, 0x9000, 1, DMAR_PERM_RW);
    fake_or64(&e.mem, gpa, R_SLPTE_PS_MASK);
    set_case("ps at level 1");
    assert_xlate(&e, &ctx, 0x7fff, true, 0x9000, 1, DMAR_PERM_RW);
    env_destroy(&e);
}

typedef struct PermCase {
    const char *name;
    int levels;
    int leaf;
    int level;          /* the level whose entry gets PERM */
    uint8_t perm;
} PermCase;

static const char *const perm_names[] = { "none", "ro", "wo", "rw" };

/*
 * Each level, alone, with read-only, write-only and no permission: the
 * request faults at that level unless the entry grants it, and the result
 * has the AND of all levels' permissions.
 */
static void test_walk_perm(const void *opaque)
{
    const PermCase *c = opaque;
    uint8_t perms[DMAR_MAX_LEVELS + 1];
    TestEnv e;
    DmarContext ctx;
    uint64_t slpt;
    uint64_t iova = 0x0000123456789000ull & ~(lvl_size(c->leaf) - 1);
    uint64_t pa = 0x4000000000ull;
    int w;

    iova &= (1ull << DMAR_LEVELS_TO_WIDTH(c->levels)) - 1;
    env_init(&e, 48, SAGAW_3L | SAGAW_4L | SAGAW_5L,
             SLLPS_2M | SLLPS_1G, 0);
    slpt = env_open(&e, 0x0a0b, c->levels, false, &ctx);
    memset(perms, DMAR_PERM_RW, sizeof(perms));
    perms[c->level] = c->perm;
    map_perms(&e.mem, slpt, c->levels, iova, pa, c->leaf, perms);
    set_case("%s", c->name);
    for (w = 0; w <= 1; w++) {
        uint8_t need = w ? DMAR_PERM_W : DMAR_PERM_R;

        if (c->perm & need) {
            assert_xlate(&e, &ctx, iova + 0x88, w, pa, c->leaf, c->perm);
        } else {
            assert_walk_fault(&e, &ctx, iova + 0x88, w,
                              w ? DMAR_FR_WRITE : DMAR_FR_READ, c->level);
        }
    }
    env_destroy(&e);
}

/* Mixed permissions: the first level lacking the access is reported. */
static void test_walk_perm_mixed(void)
{
    static const uint8_t perms[DMAR_MAX_LEVELS + 1] = {
        [4] = DMAR_PERM_RW, [3] = DMAR_PERM_R, [2] = DMAR_PERM_W,
        [1] = DMAR_PERM_RW,
    };
    static const uint8_t perms_ro[DMAR_MAX_LEVELS + 1] = {
        [4] = DMAR_PERM_R, [3] = DMAR_PERM_RW, [2] = DMAR_PERM_RW,
    };
    TestEnv e;
    DmarContext ctx;
    uint64_t slpt;

    env_init(&e, 48, SAGAW_4L, SLLPS_2M, 0);
    slpt = env_open(&e, 0x0001, 4, false, &ctx);
    map_perms(&e.mem, slpt, 4, 0x8000000000ull, 0x1000, 1, perms);
    map_perms(&e.mem, slpt, 4, 0x10000000000ull, 0x200000, 2, perms_ro);
    set_case("mixed perms");
    assert_walk_fault(&e, &ctx, 0x8000000000ull, true, DMAR_FR_WRITE, 3);
    assert_walk_fault(&e, &ctx, 0x8000000000ull, false, DMAR_FR_READ, 2);
    assert_xlate(&e, &ctx, 0x10000012345ull, false, 0x200000, 2,
                 DMAR_PERM_R);
    assert_walk_fault(&e, &ctx, 0x10000012345ull, true, DMAR_FR_WRITE, 4);
    env_destroy(&e);
}

typedef struct RsvdCase {
    const char *name;
    uint8_t haw;
    int levels;
    int leaf;
    int level;          /* the entry that gets BITS */
    uint64_t bits;
} RsvdCase;

/*
 * Reserved bits at each level: address bits from HAW up (a table pointer
 * beyond HAW included), SNP without ECAP.SC, and address bits inside a
 * large page.
 */
static const RsvdCase rsvd_cases[] = {
    { "4l-l4-haw39", 39, 4, 1, 4, 1ull << 39 },
    { "4l-l4-bit51", 39, 4, 1, 4, 1ull << 51 },
    { "4l-l4-snp", 39, 4, 1, 4, 1ull << 11 },
    { "4l-l3-haw39", 39, 4, 1, 3, 1ull << 39 },
    { "4l-l3-bit51", 39, 4, 1, 3, 1ull << 51 },
    { "4l-l3-snp", 39, 4, 1, 3, 1ull << 11 },
    { "4l-l2-haw39", 39, 4, 1, 2, 1ull << 39 },
    { "4l-l2-bit45", 39, 4, 1, 2, 1ull << 45 },
    { "4l-l2-snp", 39, 4, 1, 2, 1ull << 11 },
    { "4l-l1-haw39", 39, 4, 1, 1, 1ull << 39 },
    { "4l-l1-bit51", 39, 4, 1, 1, 1ull << 51 },
    { "4l-l1-snp", 39, 4, 1, 1, 1ull << 11 },
    { "3l-l3-haw39", 39, 3, 1, 3, 1ull << 39 },
    { "3l-l1-haw39", 39, 3, 1, 1, 1ull << 39 },
    { "4l-l4-haw48", 48, 4, 1, 4, 1ull << 48 },
    { "4l-l1-haw48", 48, 4, 1, 1, 1ull << 48 },
    { "4l-l2-haw46", 46, 4, 1, 2, 1ull << 46 },
    { "5l-l5-haw48", 48, 5, 1, 5, 1ull << 48 },
    { "5l-l5-snp", 48, 5, 1, 5, 1ull << 11 },
    { "5l-l1-bit50", 48, 5, 1, 1, 1ull << 50 },
    { "2m-haw39", 39, 4, 2, 2, 1ull << 39 },
    { "2m-snp", 39, 4, 2, 2, 1ull << 11 },
    { "2m-bit12", 39, 4, 2, 2, 1ull << 12 },
    { "2m-bit20", 39, 4, 2, 2, 1ull << 20 },
    { "2m-bits20-12", 39, 4, 2, 2, 0x1ff000ull },
    { "2m-3l-bit13", 39, 3, 2, 2, 1ull << 13 },
    { "1g-haw39", 39, 4, 3, 3, 1ull << 39 },
    { "1g-snp", 39, 4, 3, 3, 1ull << 11 },
    { "1g-bit12", 39, 4, 3, 3, 1ull << 12 },
    { "1g-bit20", 39, 4, 3, 3, 1ull << 20 },
    { "1g-bit21", 39, 4, 3, 3, 1ull << 21 },
    { "1g-bit29", 39, 4, 3, 3, 1ull << 29 },
    { "1g-3l-bits29-12", 39, 3, 3, 3, 0x3ffff000ull },
};

static void test_walk_rsvd(const void *opaque)
{
    const RsvdCase *c = opaque;
    TestEnv e;
    DmarContext ctx;
    uint64_t slpt, gpa;
    uint64_t iova = 0x3456789abcdeull & ~(lvl_size(c->leaf) - 1);
    int w;

    iova &= (1ull << MIN(c->haw, DMAR_LEVELS_TO_WIDTH(c->levels))) - 1;
    env_init(&e, c->haw, SAGAW_3L | SAGAW_4L | SAGAW_5L,
             SLLPS_2M | SLLPS_1G, HW_DT);
    slpt = env_open(&e, 0x00f8, c->levels, false, &ctx);
    map_page(&e.mem, slpt, c->levels, iova, 0x40000000ull, c->leaf,
             DMAR_PERM_RW);
    set_case("%s", c->name);
    /* Without the bits the mapping works. */
    assert_xlate(&e, &ctx, iova, false, 0x40000000ull, c->leaf,
                 DMAR_PERM_RW);
    gpa = pte_gpa(&e.mem, slpt, c->levels, iova, c->level);
    fake_or64(&e.mem, gpa, c->bits);
    for (w = 0; w <= 1; w++) {
        assert_walk_fault(&e, &ctx, iova + 0x10, w, DMAR_FR_PTE_RSVD,
                          c->level);
    }
    env_destroy(&e);
}

/*
 * dmar_leaf_group: the aligned group of leaves around an IOVA, as a walk
 * of each would grant them: present entries only, permissions combined
 * with the upper levels, reserved-bit entries left out (0), and the other
 * pages of the group, which map nothing, 0 too.
 */
static void test_leaf_group(void)
{
    TestEnv e;
    DmarContext ctx;
    DmarTranslation t;
    uint64_t g[DMAR_LEAF_GROUP];
    DmarFault f;
    const uint64_t base = 0x12340000ull;    /* a group's first page */
    uint64_t slpt, l2e;
    unsigned n, i;

    env_init_default(&e);
    slpt = env_open(&e, 0x0100, 3, false, &ctx);
    /* pages 0..7: RW, R, W, absent, RW, RW with SNP (reserved), RW, RW */
    for (i = 0; i < 8; i++) {
        static const uint8_t perm[8] = {
            DMAR_PERM_RW, DMAR_PERM_R, DMAR_PERM_W, 0,
            DMAR_PERM_RW, DMAR_PERM_RW, DMAR_PERM_RW, DMAR_PERM_RW,
        };

        if (perm[i]) {
            map_page(&e.mem, slpt, 3, base + i * 0x1000,
                     0x800000 + i * 0x3000, 1, perm[i]);
        }
    }
    fake_poke64(&e.mem, pte_gpa(&e.mem, slpt, 3, base + 5 * 0x1000, 1),
                 make_slpte(0x800000 + 5 * 0x3000, DMAR_PERM_RW, false) |
                 R_SLPTE_SNP_MASK);
    /* The level-2 entry grants read only: every leaf is capped at R. */
    l2e = pte_gpa(&e.mem, slpt, 3, base, 2);
    fake_poke64(&e.mem, l2e, (fake_peek64(&e.mem, l2e) & ~3ull) |
                 DMAR_PERM_R);

    g_assert_true(dmar_translate(&e.hw, &ctx,
                                 DMA_REQ(base + 4 * 0x1000 + 8, false),
                                 FAKE_MEM(&e.mem), &t, &f));
    g_assert_cmpuint(t.level, ==, 1);
    g_assert_cmphex(t.table_perm, ==, DMAR_PERM_R);
    n = dmar_leaf_group(&e.hw, t.table, t.table_perm, base + 4 * 0x1000,
                        FAKE_MEM(&e.mem), g);
    /* 0 (R), 1 (R), 4, 6, 7 (R): 2 is write-only under a read-only L2 */
    g_assert_cmpuint(n, ==, 5);
    for (i = 0; i < DMAR_LEAF_GROUP; i++) {
        bool granted = i == 0 || i == 1 || i == 4 || i == 6 || i == 7;

        g_assert_cmphex(g[i], ==,
                        granted ? (0x800000 + i * 0x3000) | DMAR_PERM_R : 0);
    }
    /* A table that cannot be read gives nothing. */
    g_assert_cmpuint(dmar_leaf_group(&e.hw, 0xfff0000000ull, DMAR_PERM_RW,
                                     base, FAKE_MEM(&e.mem), g), ==, 0);
    env_destroy(&e);
}

/* With ECAP.SC, SNP in a leaf is the snoop bit, not a reserved one. */
static void test_walk_snoop(void)
{
    int leaf;

    for (leaf = 1; leaf <= 3; leaf++) {
        TestEnv e;
        DmarContext ctx;
        uint64_t slpt, gpa;
        uint64_t iova = 0x0040000000ull;

        env_init(&e, 39, SAGAW_3L, SLLPS_2M | SLLPS_1G, HW_SC);
        slpt = env_open(&e, 0x0100, 3, false, &ctx);
        gpa = map_page(&e.mem, slpt, 3, iova, 0x0080000000ull, leaf,
                       DMAR_PERM_RW);
        fake_or64(&e.mem, gpa, R_SLPTE_SNP_MASK);
        set_case("snp with sc, leaf %d", leaf);
        assert_xlate(&e, &ctx, iova + 0xfff, true, 0x0080000000ull, leaf,
                     DMAR_PERM_RW);
        env_destroy(&e);
    }
}

/*
 * TM (bit 62) in a leaf translates only with ECAP.DT and stale_tm both
 * (intel-iommu's device-iotlb=on,stale-tm=on); with either alone it is
 * a reserved bit (0xc) as without them, and in a table entry always.
 */
static void test_walk_stale_tm(void)
{
    static const unsigned flags[] = {
        0, HW_DT, HW_STALE_TM, HW_DT | HW_STALE_TM,
    };
    int f, leaf;

    for (f = 0; f < ARRAY_SIZE(flags); f++) {
        bool tm_ok = flags[f] == (HW_DT | HW_STALE_TM);

        for (leaf = 1; leaf <= 3; leaf++) {
            TestEnv e;
            DmarContext ctx;
            uint64_t slpt, gpa;
            uint64_t iova = 0x0040000000ull;

            env_init(&e, 39, SAGAW_3L, SLLPS_2M | SLLPS_1G, flags[f]);
            slpt = env_open(&e, 0x0100, 3, false, &ctx);
            gpa = map_page(&e.mem, slpt, 3, iova, 0x0080000000ull, leaf,
                           DMAR_PERM_RW);
            fake_or64(&e.mem, gpa, R_SLPTE_TM_MASK);
            set_case("TM in a leaf at level %d, flags 0x%x", leaf, flags[f]);
            if (tm_ok) {
                assert_xlate(&e, &ctx, iova + 0x123, true, 0x0080000000ull,
                             leaf, DMAR_PERM_RW);
            } else {
                assert_walk_fault(&e, &ctx, iova + 0x123, true,
                                  DMAR_FR_PTE_RSVD, leaf);
            }
            /* in the level-3 table entry above a 4 KiB or 2 MiB page */
            if (leaf < 3) {
                fake_poke64(&e.mem, gpa, fake_peek64(&e.mem, gpa) &
                             ~R_SLPTE_TM_MASK);
                fake_or64(&e.mem, pte_gpa(&e.mem, slpt, 3, iova, 3),
                          R_SLPTE_TM_MASK);
                set_case("TM in a table entry, leaf %d, flags 0x%x", leaf,
                         flags[f]);
                assert_walk_fault(&e, &ctx, iova, false, DMAR_FR_PTE_RSVD,
                                  3);
            }
            env_destroy(&e);
        }
    }
}

/*
 * Bits 52..61 and 63 are ignored in every entry, and TM (bit 62) is not
 * a reserved bit: alone or all together, at any level, they change
 * nothing, in particular not the output address.
 */
static void test_walk_ignored(void)
{
    static const int leaves[] = { 1, 2, 3 };
    const uint64_t ignored = DMAR_SLPTE_IGNORED;
    int i, l, bit;

    for (i = 0; i < ARRAY_SIZE(leaves); i++) {
        int leaf = leaves[i];
        TestEnv e;
        DmarContext ctx;
        uint64_t slpt;
        uint64_t iova = 0x2bc0000000ull;
        uint64_t pa = 0x7fc0000000ull;

        env_init(&e, 39, SAGAW_4L, SLLPS_2M | SLLPS_1G, 0);
        slpt = env_open(&e, 0x0100, 4, false, &ctx);
        map_page(&e.mem, slpt, 4, iova, pa, leaf, DMAR_PERM_RW);
        for (l = 4; l >= leaf; l--) {
            uint64_t gpa = pte_gpa(&e.mem, slpt, 4, iova, l);
            uint64_t orig = fake_peek64(&e.mem, gpa);

            for (bit = 52; bit <= 63; bit++) {
                fake_poke64(&e.mem, gpa, orig | (1ull << bit));
                if (bit == R_SLPTE_TM_SHIFT) {
                    /* TM: reserved without ECAP.DT (and in tables) */
                    set_case("TM bit at level %d, leaf %d", l, leaf);
                    assert_walk_fault(&e, &ctx, iova + 0x345, bit & 1,
                                      DMAR_FR_PTE_RSVD, l);
                    continue;
                }
                set_case("ignored bit %d at level %d, leaf %d", bit, l,
                         leaf);
                assert_xlate(&e, &ctx, iova + 0x345, bit & 1, pa, leaf,
                             DMAR_PERM_RW);
            }
            fake_poke64(&e.mem, gpa, orig);
        }
        /* All of them at every level at once. */
        for (l = 4; l >= leaf; l--) {
            fake_or64(&e.mem, pte_gpa(&e.mem, slpt, 4, iova, l), ignored);
        }
        set_case("all ignored bits, leaf %d", leaf);
        assert_xlate(&e, &ctx, iova, false, pa, leaf, DMAR_PERM_RW);
        assert_xlate(&e, &ctx, iova, true, pa, leaf, DMAR_PERM_RW);
        env_destroy(&e);
    }
}

/*
 * An entry with R = W = 0 is not present: its other bits, reserved ones
 * included, are not checked, so the fault is 0x6 / 0x5, not 0xc.
 */
static void test_walk_not_present_rsvd(void)
{
    const uint64_t junk = (1ull << 51) | (1ull << 39) | R_SLPTE_SNP_MASK |
                          R_SLPTE_PS_MASK | 0x7c;
    int l, w;

    for (l = 4; l >= 1; l--) {
        TestEnv e;
        DmarContext ctx;
        uint64_t slpt, gpa;
        uint64_t iova = 0x0000c0ffe0000ull;

        env_init(&e, 39, SAGAW_4L, 0, 0);
        slpt = env_open(&e, 0x0100, 4, false, &ctx);
        map_page(&e.mem, slpt, 4, iova, 0x5000, 1, DMAR_PERM_RW);
        gpa = pte_gpa(&e.mem, slpt, 4, iova, l);
        fake_poke64(&e.mem, gpa, (fake_peek64(&e.mem, gpa) | junk) &
                     ~(R_SLPTE_R_MASK | R_SLPTE_W_MASK));
        set_case("not present with junk at level %d", l);
        for (w = 0; w <= 1; w++) {
            assert_walk_fault(&e, &ctx, iova, w,
                              w ? DMAR_FR_WRITE : DMAR_FR_READ, l);
        }
        env_destroy(&e);
    }
}

/*
 * A table that cannot be read: 0x3 (invalid context entry) when it is the
 * one SLPTPTR names, 0x7 deeper, at the level of the entry read.
 */
static void test_walk_access(void)
{
    int levels, l;

    for (levels = 3; levels <= 5; levels++) {
        for (l = levels; l >= 1; l--) {
            TestEnv e;
            DmarContext ctx;
            uint64_t slpt;
            uint64_t iova = 0x7654321000ull;
            DmarFaultReason fr;

            env_init(&e, 48, SAGAW_3L | SAGAW_4L | SAGAW_5L, 0, 0);
            slpt = env_open(&e, 0x0100, levels, true, &ctx);
            map_page(&e.mem, slpt, levels, iova, 0x5000, 1, DMAR_PERM_RW);
            if (l == levels) {
                ctx.slptptr = UNBACKED_GPA;
            } else {
                fake_poke64(&e.mem,
                             pte_gpa(&e.mem, slpt, levels, iova, l + 1),
                             make_slpte(UNBACKED_GPA, DMAR_PERM_RW, false));
            }
            fr = l == levels ? DMAR_FR_CTX_INVALID : DMAR_FR_PTE_ACCESS;
            set_case("%d-level, table of level %d unbacked", levels, l);
            assert_walk_fault(&e, &ctx, iova, false, fr, l);
            assert_walk_fault(&e, &ctx, iova, true, fr, l);
            env_destroy(&e);
        }
    }
}

typedef struct AgawCase {
    const char *name;
    uint8_t haw;
    int levels;
    uint64_t iova;
    bool ok;
} AgawCase;

/* The input address must be below 2^AGAW, checked before any read. */
static const AgawCase agaw_cases[] = {
    { "3l-below", 39, 3, (1ull << 39) - 1, true },
    { "3l-at", 39, 3, 1ull << 39, false },
    { "3l-bit40", 39, 3, (1ull << 40) | 0x1000, false },
    { "3l-bit63", 39, 3, 1ull << 63, false },
    { "3l-max", 39, 3, UINT64_MAX, false },
    { "3l-haw48-at", 48, 3, 1ull << 39, false },
    { "4l-below", 48, 4, (1ull << 48) - 1, true },
    { "4l-at", 48, 4, 1ull << 48, false },
    { "4l-bit56", 48, 4, 1ull << 56, false },
    { "5l-below", 48, 5, (1ull << 57) - 1, true },
    { "5l-at", 48, 5, 1ull << 57, false },
    { "5l-max", 48, 5, UINT64_MAX, false },
};

static void test_walk_agaw(const void *opaque)
{
    const AgawCase *c = opaque;
    TestEnv e;
    DmarContext ctx;
    uint64_t slpt;
    uint64_t page = c->iova & ~TEST_PAGE_MASK;
    int w;

    env_init(&e, c->haw, SAGAW_3L | SAGAW_4L | SAGAW_5L, 0, 0);
    slpt = env_open(&e, 0x0100, c->levels, true, &ctx);
    /* Map the same table index, so only the width check can fault. */
    page &= (1ull << DMAR_LEVELS_TO_WIDTH(c->levels)) - 1;
    map_page(&e.mem, slpt, c->levels, page, 0x3000, 1, DMAR_PERM_RW);
    set_case("%s", c->name);
    for (w = 0; w <= 1; w++) {
        if (c->ok) {
            assert_xlate(&e, &ctx, c->iova, w, 0x3000, 1, DMAR_PERM_RW);
        } else {
            assert_walk_fault(&e, &ctx, c->iova, w,
                              DMAR_FR_ADDR_BEYOND_AGAW, 0);
            g_assert_cmpuint(e.mem.reads, ==, 0);
        }
    }
    env_destroy(&e);
}

/* Output addresses and table pointers just below HAW are fine. */
static void test_walk_haw_limit(void)
{
    static const uint8_t haws[] = { 39, 46, 48 };
    int i;

    for (i = 0; i < ARRAY_SIZE(haws); i++) {
        TestEnv e;
        DmarContext ctx;
        uint64_t slpt, gpa, high, l1;
        uint64_t top = 1ull << haws[i];
        uint64_t iova = 0x1234567000ull;

        env_init(&e, haws[i], SAGAW_4L, SLLPS_2M | SLLPS_1G, 0);
        slpt = env_open(&e, 0x0100, 4, false, &ctx);
        map_page(&e.mem, slpt, 4, iova, top - SZ_4K, 1, DMAR_PERM_RW);
        map_page(&e.mem, slpt, 4, 0x40000000ull, top - SZ_1G, 3,
                 DMAR_PERM_R);
        set_case("haw %u limit", haws[i]);
        assert_xlate(&e, &ctx, iova + 0xfff, true, top - SZ_4K, 1,
                     DMAR_PERM_RW);
        assert_xlate(&e, &ctx, 0x7fffffffull, false, top - SZ_1G, 3,
                     DMAR_PERM_R);

        /* Move the level-1 table to the last page below HAW. */
        high = top - SZ_4K;
        gpa = pte_gpa(&e.mem, slpt, 4, iova, 2);
        l1 = slpte_addr(fake_peek64(&e.mem, gpa));
        memcpy(fake_page(&e.mem, high, true), fake_page(&e.mem, l1, false),
               DMAR_PAGE_SIZE);
        fake_poke64(&e.mem, gpa, make_slpte(high, DMAR_PERM_RW, false));
        assert_xlate(&e, &ctx, iova, false, top - SZ_4K, 1, DMAR_PERM_RW);

        /* One bit higher and it is a reserved bit. */
        fake_poke64(&e.mem, gpa, make_slpte(high, DMAR_PERM_RW, false) |
                     top);
        assert_walk_fault(&e, &ctx, iova, false, DMAR_FR_PTE_RSVD, 2);
        env_destroy(&e);
    }
}

/* ---- Pass-through (TT = 2) ---- */

static void test_passthrough(void)
{
    static const uint8_t haws[] = { 39, 48 };
    int i, w;

    for (i = 0; i < ARRAY_SIZE(haws); i++) {
        uint64_t top = 1ull << haws[i];
        const uint64_t iovas[] = { 0, 0x12345678ull, top - 1 };
        TestEnv e;
        DmarContext ctx;
        DmarFault f;
        int j;
        bool ok;

        env_init(&e, haws[i], SAGAW_3L | SAGAW_4L, 0, HW_PT);
        env_add_device(&e, 0x0042, 4, DMAR_TT_PASSTHROUGH, true, 5);
        ok = env_lookup(&e, 0x0042, &ctx, &f);
        g_assert_cmphex(f.fr, ==, DMAR_FR_NONE);
        g_assert_true(ok);
        g_assert_cmpuint(ctx.tt, ==, DMAR_TT_PASSTHROUGH);
        g_assert_cmpuint(ctx.levels, ==, 0);
        for (j = 0; j < ARRAY_SIZE(iovas); j++) {
            for (w = 0; w <= 1; w++) {
                DmarTranslation out;

                ok = env_translate(&e, &ctx, iovas[j], w, &out, &f);
                g_assert_cmphex(f.fr, ==, DMAR_FR_NONE);
                g_assert_true(ok);
                g_assert_cmphex(out.iova, ==, iovas[j] & ~TEST_PAGE_MASK);
                g_assert_cmphex(out.pa, ==, iovas[j] & ~TEST_PAGE_MASK);
                g_assert_cmphex(out.mask, ==, TEST_PAGE_MASK);
                g_assert_cmpuint(out.perm, ==, DMAR_PERM_RW);
                g_assert_cmpuint(out.level, ==, 1);
                g_assert_cmpuint(e.mem.reads, ==, 0);
            }
        }
        set_case("pass-through haw %u", haws[i]);
        assert_walk_fault(&e, &ctx, top, false, DMAR_FR_ADDR_BEYOND_AGAW, 0);
        assert_walk_fault(&e, &ctx, top | 0x123, true,
                          DMAR_FR_ADDR_BEYOND_AGAW, 0);
        assert_walk_fault(&e, &ctx, UINT64_MAX, true,
                          DMAR_FR_ADDR_BEYOND_AGAW, 0);
        g_assert_cmpuint(e.mem.reads, ==, 0);
        env_destroy(&e);
    }
}

/* ---- Tables that point at themselves ---- */

typedef struct LoopCase {
    const char *name;
    uint8_t haw;
    int levels;
    uint8_t sllps;
    uint64_t iova;
    bool ps;                /* the self-pointing entries have PS = 1 */
} LoopCase;

/* An address whose table index is different at every level. */
#define IOVA_DISTINCT ((17ull << 48) | (3ull << 39) | (7ull << 30) | \
                       (11ull << 21) | (13ull << 12))
#define IOVA_DISTINCT_3L (IOVA_DISTINCT & ((1ull << 39) - 1))
#define IOVA_DISTINCT_4L (IOVA_DISTINCT & ((1ull << 48) - 1))

static const LoopCase loop_cases[] = {
    { "3l-index0", 39, 3, 0, 0, false },
    { "4l-index0", 48, 4, 0, 0, false },
    { "5l-index0", 48, 5, 0, 0, false },
    { "3l-distinct", 39, 3, 0, IOVA_DISTINCT_3L, false },
    { "4l-distinct", 48, 4, 0, IOVA_DISTINCT_4L, false },
    { "5l-distinct", 48, 5, 0, IOVA_DISTINCT, false },
    { "3l-ps-1g", 39, 3, SLLPS_2M | SLLPS_1G, 0, true },
    { "4l-ps", 48, 4, SLLPS_2M | SLLPS_1G, IOVA_DISTINCT_4L, true },
    { "5l-ps", 48, 5, SLLPS_2M | SLLPS_1G, IOVA_DISTINCT, true },
    { "3l-ps-2m-only", 39, 3, SLLPS_2M, IOVA_DISTINCT_3L, true },
};

/*
 * Every entry on the path points back at the one table. Level 1 always
 * maps a page, so the walk must end, after at most LEVELS entry reads.
 */
static void test_loop(const void *opaque)
{
    const LoopCase *c = opaque;
    TestEnv e;
    DmarContext ctx;
    DmarTranslation out;
    DmarFault f;
    uint64_t t;
    unsigned reads;
    int l;
    bool ok;

    env_init(&e, c->haw, SAGAW_3L | SAGAW_4L | SAGAW_5L, c->sllps, 0);
    t = env_add_device(&e, 0x0100, c->levels, DMAR_TT_UNTRANSLATED, false,
                       1);
    for (l = c->levels; l >= 1; l--) {
        fake_poke64(&e.mem, lvl_entry(t, c->iova, l),
                     make_slpte(t, DMAR_PERM_RW, c->ps));
    }
    ok = env_lookup(&e, 0x0100, &ctx, &f);
    g_assert_true(ok);
    reads = e.mem.reads;
    ok = env_translate(&e, &ctx, c->iova, true, &out, &f);
    reads += e.mem.reads;
    /* Root, context, and one entry per level at most. */
    g_assert_cmpuint(reads, <=, c->levels + 2);
    if (!c->ps) {
        /* Each level reads a present table pointer; level 1 is a leaf. */
        g_assert_cmphex(f.fr, ==, DMAR_FR_NONE);
        g_assert_true(ok);
        g_assert_cmphex(out.pa, ==, t);
        g_assert_cmpuint(out.level, ==, 1);
        g_assert_cmpuint(e.mem.reads, ==, c->levels);
    } else {
        /*
         * A large page at the top (levels 4/5: PS reserved; level 3 with
         * 1 GiB pages: T is not 1 GiB aligned; level 3 without: PS is
         * reserved), all faulting at the first entry.
         */
        g_assert_cmphex(f.fr, ==, DMAR_FR_PTE_RSVD);
        g_assert_false(ok);
        g_assert_cmpuint(f.level, ==, c->levels);
    }
    env_destroy(&e);
}

/* A loop through three tables, and root and context tables in one page. */
static void test_loop_misc(void)
{
    TestEnv e;
    DmarContext ctx;
    DmarTranslation out;
    DmarFault f;
    uint64_t t4, t3, t2;
    uint64_t iova = (5ull << 39) | (5ull << 30) | (5ull << 21) | (5ull << 12);
    bool ok;

    env_init(&e, 48, SAGAW_4L, 0, 0);
    t4 = env_add_device(&e, 0x0100, 4, DMAR_TT_UNTRANSLATED, false, 1);
    t3 = fake_alloc_table(&e.mem);
    t2 = fake_alloc_table(&e.mem);
    fake_poke64(&e.mem, lvl_entry(t4, iova, 4),
                 make_slpte(t3, DMAR_PERM_RW, false));
    fake_poke64(&e.mem, lvl_entry(t3, iova, 3),
                 make_slpte(t2, DMAR_PERM_RW, false));
    fake_poke64(&e.mem, lvl_entry(t2, iova, 2),
                 make_slpte(t4, DMAR_PERM_RW, false));
    e.mem.reads = 0;
    ok = dmar_context_lookup(&e.hw, e.rta, 0x0100, FAKE_MEM(&e.mem), &ctx,
                             &f);
    g_assert_true(ok);
    ok = dmar_translate(&e.hw, &ctx, DMA_REQ(iova, false), FAKE_MEM(&e.mem),
                        &out, &f);
    g_assert_true(ok);
    /* Level 1 reads T4's entry 5 as a page: T3. */
    g_assert_cmphex(out.pa, ==, t3);
    g_assert_cmpuint(out.level, ==, 1);
    g_assert_cmpuint(e.mem.reads, <=, 4 + 2);
    env_destroy(&e);

    /*
     * The root entry's CTP is the root table itself: entry 0 is read as
     * a context entry (P = 1, TT = 0, AW = 0), which is invalid.
     */
    env_init_default(&e);
    env_root_write(&e, 0, make_root_lo(e.rta), 0);
    assert_lookup_fault(&e, 0x0000, DMAR_FR_CTX_INVALID, false);
    g_assert_cmpuint(e.mem.reads, ==, 2);
    env_destroy(&e);
}

/* ---- FPD: which faults the context entry suppresses ---- */

#define FPD_SID     0x0508

typedef struct FpdCase {
    const char *name;
    DmarFaultReason fr;
    bool walk;              /* fault from dmar_translate, not the lookup */
    void (*setup)(TestEnv *e, bool fpd, uint64_t *iova, bool *is_write);
} FpdCase;

static uint64_t fpd_device(TestEnv *e, bool fpd)
{
    return env_add_device(e, FPD_SID, 3, DMAR_TT_UNTRANSLATED, fpd, 2);
}

static void fpd_root_np(TestEnv *e, bool fpd, uint64_t *iova, bool *w)
{
    fpd_device(e, fpd);
    env_root_write(e, FPD_SID >> 8, 0, 0);
}

static void fpd_root_access(TestEnv *e, bool fpd, uint64_t *iova, bool *w)
{
    fpd_device(e, fpd);
    e->rta = UNBACKED_GPA;
}

static void fpd_root_rsvd(TestEnv *e, bool fpd, uint64_t *iova, bool *w)
{
    fpd_device(e, fpd);
    fake_or64(&e->mem, e->rta + (FPD_SID >> 8) * 16 + 8, 1);
}

static void fpd_ctx_np(TestEnv *e, bool fpd, uint64_t *iova, bool *w)
{
    uint64_t gpa;

    fpd_device(e, fpd);
    gpa = env_ctx_gpa(e, FPD_SID);
    fake_poke64(&e->mem, gpa, fake_peek64(&e->mem, gpa) & ~R_CTX_LO_P_MASK);
}

static void fpd_ctx_access(TestEnv *e, bool fpd, uint64_t *iova, bool *w)
{
    fpd_device(e, fpd);
    env_root_write(e, FPD_SID >> 8, make_root_lo(UNBACKED_GPA), 0);
}

static void fpd_ctx_rsvd(TestEnv *e, bool fpd, uint64_t *iova, bool *w)
{
    fpd_device(e, fpd);
    fake_or64(&e->mem, env_ctx_gpa(e, FPD_SID) + 8, 1ull << 7);
}

static void fpd_ctx_inv(TestEnv *e, bool fpd, uint64_t *iova, bool *w)
{
    fpd_device(e, fpd);
    fake_or64(&e->mem, env_ctx_gpa(e, FPD_SID), 3ull << 2);
}

static void fpd_agaw(TestEnv *e, bool fpd, uint64_t *iova, bool *w)
{
    fpd_device(e, fpd);
    *iova = 1ull << 39;
}

static void fpd_write(TestEnv *e, bool fpd, uint64_t *iova, bool *w)
{
    map_page(&e->mem, fpd_device(e, fpd), 3, *iova, 0, 1, DMAR_PERM_R);
    *w = true;
}

static void fpd_read(TestEnv *e, bool fpd, uint64_t *iova, bool *w)
{
    map_page(&e->mem, fpd_device(e, fpd), 3, *iova, 0, 1, DMAR_PERM_W);
}

static void fpd_pte_access(TestEnv *e, bool fpd, uint64_t *iova, bool *w)
{
    uint64_t slpt = fpd_device(e, fpd);

    fake_poke64(&e->mem, lvl_entry(slpt, *iova, 3),
                 make_slpte(UNBACKED_GPA, DMAR_PERM_RW, false));
}

static void fpd_pte_rsvd(TestEnv *e, bool fpd, uint64_t *iova, bool *w)
{
    uint64_t slpt = fpd_device(e, fpd);

    fake_or64(&e->mem, map_page(&e->mem, slpt, 3, *iova, 0, 1,
                                DMAR_PERM_RW), R_SLPTE_SNP_MASK);
}

static const FpdCase fpd_cases[] = {
    { "root-not-present", DMAR_FR_ROOT_NOT_PRESENT, false, fpd_root_np },
    { "root-access", DMAR_FR_ROOT_ACCESS, false, fpd_root_access },
    { "root-rsvd", DMAR_FR_ROOT_RSVD, false, fpd_root_rsvd },
    { "ctx-not-present", DMAR_FR_CTX_NOT_PRESENT, false, fpd_ctx_np },
    { "ctx-access", DMAR_FR_CTX_ACCESS, false, fpd_ctx_access },
    { "ctx-rsvd", DMAR_FR_CTX_RSVD, false, fpd_ctx_rsvd },
    { "ctx-invalid", DMAR_FR_CTX_INVALID, false, fpd_ctx_inv },
    { "beyond-agaw", DMAR_FR_ADDR_BEYOND_AGAW, true, fpd_agaw },
    { "write", DMAR_FR_WRITE, true, fpd_write },
    { "read", DMAR_FR_READ, true, fpd_read },
    { "pte-access", DMAR_FR_PTE_ACCESS, true, fpd_pte_access },
    { "pte-rsvd", DMAR_FR_PTE_RSVD, true, fpd_pte_rsvd },
};

static void test_fpd(const FpdCase *c, bool fpd)
{
    TestEnv e;
    DmarContext ctx;
    DmarTranslation out;
    DmarFault f;
    uint64_t iova = 0x12345000ull;
    bool is_write = false;
    bool ok;

    env_init_default(&e);
    c->setup(&e, fpd, &iova, &is_write);
    ok = env_lookup(&e, FPD_SID, &ctx, &f);
    if (c->walk) {
        g_assert_true(ok);
        ok = env_translate(&e, &ctx, iova, is_write, &out, &f);
        g_assert_cmphex(f.addr, ==, iova);
        g_assert(f.is_write == is_write);
    }
    g_assert_cmphex(f.fr, ==, c->fr);
    g_assert_false(ok);
    g_assert_cmphex(f.sid, ==, FPD_SID);
    g_assert(f.fpd == (fpd && ref_qualified(c->fr)));
    env_destroy(&e);
}

static void test_fpd_clear(const void *opaque)
{
    test_fpd(opaque, false);
}

static void test_fpd_set(const void *opaque)
{
    test_fpd(opaque, true);
}

/* ---- Requests (DmarRequest): type, PASID, privilege (VT-d §9.3) ---- */

/*
 * Translate REQ under CTX; the fault (if any) and the reads are in *F and
 * e->mem.reads.
 */
static bool env_request(TestEnv *e, const DmarContext *ctx,
                        const DmarRequest *req, DmarTranslation *out,
                        DmarFault *f)
{
    memset(out, 0, sizeof(*out));
    memset(f, 0xa5, sizeof(*f));
    e->mem.reads = 0;
    return dmar_translate(&e->hw, ctx, req, FAKE_MEM(&e->mem), out, f);
}

static void assert_tt_blocked(TestEnv *e, const DmarContext *ctx,
                              const DmarRequest *req)
{
    DmarTranslation out;
    DmarFault f;
    bool ok = env_request(e, ctx, req, &out, &f);

    g_assert_false(ok);
    g_assert_cmphex(f.fr, ==, DMAR_FR_TT_BLOCKED);
    g_assert_cmphex(f.addr, ==, req->addr);
    g_assert_cmphex(f.sid, ==, ctx->sid);
    g_assert_cmpuint(f.level, ==, 0);
    g_assert(f.is_write == req->is_write);
    g_assert(f.fpd == ctx->fpd);            /* 0xD is qualified */
    g_assert(f.pasid_valid == (req->pasid != DMAR_NO_PASID));
    if (f.pasid_valid) {
        g_assert_cmphex(f.pasid, ==, req->pasid);
    }
    g_assert_cmpuint(e->mem.reads, ==, 0);  /* decided before the walk */
}

/*
 * Legacy TT (§9.3): 00b and 10b let only untranslated requests through;
 * 01b (device-TLBs) also translation requests (walked as untranslated
 * ones) and translated requests (passed as they are). No legacy entry
 * takes a request with a PASID.
 */
static void test_request_types(void)
{
    static const unsigned tts[] = {
        DMAR_TT_UNTRANSLATED, DMAR_TT_ALL, DMAR_TT_PASSTHROUGH,
    };
    const uint64_t iova = 0x12345000ull, pa = 0xabcde000ull;
    TestEnv e;

    env_init_default(&e);
    for (unsigned i = 0; i < ARRAY_SIZE(tts); i++) {
        for (int fpd = 0; fpd < 2; fpd++) {
            uint16_t sid = 0x0100 + i * 2 + fpd;
            uint64_t slpt = env_add_device(&e, sid, 3, tts[i], fpd, 7);
            DmarRequest req = {
                .addr = iova + 0x18, .sid = sid, .pasid = DMAR_NO_PASID,
            };
            DmarContext ctx;
            DmarTranslation out;
            DmarFault f;

            map_page(&e.mem, slpt, 3, iova, pa, 1, DMAR_PERM_RW);
            g_assert_true(env_lookup(&e, sid, &ctx, &f));
            set_case("tt %u fpd %d", tts[i], fpd);
            for (int w = 0; w < 2; w++) {
                uint64_t want = tts[i] == DMAR_TT_PASSTHROUGH ? iova : pa;

                req.is_write = w;
                /* Untranslated: as ever, whatever priv and exec say. */
                for (int pe = 0; pe < 4; pe++) {
                    req.type = DMAR_REQ_UNTRANSLATED;
                    req.priv = pe & 1;
                    req.exec = pe & 2;
                    g_assert_true(env_request(&e, &ctx, &req, &out, &f));
                    g_assert_cmphex(out.pa, ==, want);
                    g_assert_cmphex(out.perm, ==, DMAR_PERM_RW);
                }
                req.priv = req.exec = false;
                req.type = DMAR_REQ_TRANSLATION;
                if (tts[i] == DMAR_TT_ALL) {
                    g_assert_true(env_request(&e, &ctx, &req, &out, &f));
                    g_assert_cmphex(out.pa, ==, pa);
                    g_assert_cmphex(out.iova, ==, iova);
                    g_assert_cmpuint(e.mem.reads, ==, 3);
                } else {
                    assert_tt_blocked(&e, &ctx, &req);
                }
                req.type = DMAR_REQ_TRANSLATED;
                if (tts[i] == DMAR_TT_ALL) {
                    /* Already an output address: no walk, no table. */
                    g_assert_true(env_request(&e, &ctx, &req, &out, &f));
                    g_assert_cmphex(out.pa, ==, iova);
                    g_assert_cmphex(out.perm, ==, DMAR_PERM_RW);
                    g_assert_cmpuint(e.mem.reads, ==, 0);
                } else {
                    assert_tt_blocked(&e, &ctx, &req);
                }
                /* With a PASID: blocked whatever the type and TT. */
                for (int t = DMAR_REQ_UNTRANSLATED;
                     t <= DMAR_REQ_TRANSLATED; t++) {
                    static const uint32_t pasids[] = { 0, 1, 0xfffff };

                    req.type = t;
                    for (unsigned p = 0; p < ARRAY_SIZE(pasids); p++) {
                        req.pasid = pasids[p];
                        assert_tt_blocked(&e, &ctx, &req);
                    }
                    req.pasid = DMAR_NO_PASID;
                }
            }
        }
    }
    env_destroy(&e);
}

/* A translated request still meets the HAW: 4h above it, as PT does. */
static void test_request_translated_haw(void)
{
    TestEnv e;
    DmarContext ctx;
    DmarTranslation out;
    DmarFault f;
    DmarRequest req = {
        .addr = 1ull << 39, .sid = 0x0200, .pasid = DMAR_NO_PASID,
        .type = DMAR_REQ_TRANSLATED,
    };

    env_init_default(&e);
    env_add_device(&e, 0x0200, 3, DMAR_TT_ALL, false, 1);
    g_assert_true(env_lookup(&e, 0x0200, &ctx, &f));
    g_assert_false(env_request(&e, &ctx, &req, &out, &f));
    g_assert_cmphex(f.fr, ==, DMAR_FR_ADDR_BEYOND_AGAW);
    g_assert_false(f.pasid_valid);
    req.addr -= 1;
    g_assert_true(env_request(&e, &ctx, &req, &out, &f));
    g_assert_cmphex(out.pa, ==, (1ull << 39) - DMAR_PAGE_SIZE);
    env_destroy(&e);
}

/* A legacy context decodes to the legacy mode, scalable fields zero. */
static void test_context_legacy_fields(void)
{
    TestEnv e;
    DmarContext ctx;
    DmarFault f;

    env_init_default(&e);
    env_add_device(&e, 0x0300, 4, DMAR_TT_UNTRANSLATED, true, 9);
    memset(&ctx, 0xa5, sizeof(ctx));
    memset(&f, 0, sizeof(f));
    e.mem.reads = 0;
    g_assert_true(dmar_context_lookup(&e.hw, e.rta, 0x0300,
                                      FAKE_MEM(&e.mem), &ctx, &f));
    g_assert_cmpint(ctx.mode, ==, DMAR_CTX_LEGACY);
    g_assert_cmphex(ctx.pasid_dir, ==, 0);
    g_assert_cmpuint(ctx.pdts, ==, 0);
    g_assert_cmphex(ctx.rid_pasid, ==, 0);
    g_assert_false(ctx.dte);
    g_assert_false(ctx.paside);
    g_assert_false(ctx.pre);
    g_assert_cmpuint(ctx.did, ==, 9);
    g_assert_cmpuint(ctx.levels, ==, 4);
    env_destroy(&e);
}

/* ---- The range walk (dmar_walk_range) ---- */

typedef struct WalkLog {
    GArray *leaves;         /* of DmarTranslation */
    unsigned stop_after;    /* say stop at this call (0: never) */
    unsigned calls;
} WalkLog;

static bool walk_log(void *opaque, const DmarTranslation *leaf)
{
    WalkLog *l = opaque;

    g_array_append_val(l->leaves, *leaf);
    return ++l->calls != l->stop_after;
}

/*
 * Walk [FIRST, LAST] with BUDGET; the leaves go to L. Checks that the
 * budget went down by exactly the entries read.
 */
static DmarWalkStatus env_walk(TestEnv *e, const DmarContext *ctx,
                               uint64_t first, uint64_t last,
                               uint64_t *budget, uint64_t *resume,
                               WalkLog *l)
{
    uint64_t before = *budget;
    DmarWalkStatus st;

    e->mem.reads = 0;
    *resume = 0xdeadbeefull;
    st = dmar_walk_range(&e->hw, ctx, first, last, FAKE_MEM(&e->mem),
                         walk_log, l, budget, resume);
    g_assert_cmpuint(before - *budget, ==, e->mem.reads);
    if (st != DMAR_WALK_STOPPED) {
        g_assert_cmphex(*resume, ==, 0xdeadbeefull);
    }
    return st;
}

/* Walk everything, unlimited; a fresh log. */
static DmarWalkStatus env_walk_all(TestEnv *e, const DmarContext *ctx,
                                   uint64_t first, uint64_t last,
                                   WalkLog *l)
{
    uint64_t budget = UINT64_MAX, resume;

    l->leaves = g_array_new(false, false, sizeof(DmarTranslation));
    l->calls = 0;
    l->stop_after = 0;
    return env_walk(e, ctx, first, last, &budget, &resume, l);
}

static const DmarTranslation *leaf_at(WalkLog *l, unsigned i)
{
    g_assert_cmpuint(i, <, l->leaves->len);
    return &g_array_index(l->leaves, DmarTranslation, i);
}

static void assert_leaf(WalkLog *l, unsigned i, uint64_t iova, uint64_t pa,
                        int level, uint8_t perm)
{
    const DmarTranslation *t = leaf_at(l, i);

    if (t->iova != iova || t->pa != pa || t->level != level ||
        t->perm != perm) {
        g_test_message("leaf %u: iova 0x%" PRIx64 " pa 0x%" PRIx64
                       " level %u perm %u, want 0x%" PRIx64 " 0x%" PRIx64
                       " %d %u", i, t->iova, t->pa, t->level, t->perm,
                       iova, pa, level, perm);
    }
    g_assert_cmphex(t->iova, ==, iova);
    g_assert_cmphex(t->pa, ==, pa);
    g_assert_cmpuint(t->level, ==, level);
    g_assert_cmphex(t->mask, ==, level ? lvl_size(level) - 1 : t->mask);
    g_assert_cmpuint(t->perm, ==, perm);
}

/* The leaves of L are in IOVA order and do not overlap. */
static void assert_leaves_ordered(WalkLog *l)
{
    for (unsigned i = 1; i < l->leaves->len; i++) {
        const DmarTranslation *a = leaf_at(l, i - 1), *b = leaf_at(l, i);

        g_assert_cmphex(a->iova + a->mask, <, b->iova);
    }
}

/*
 * A 4-level table with pages of every size and permission; the walk
 * reports each once, in order, with the AND of its path's permissions.
 */
static void setup_walk_tables(TestEnv *e, DmarContext *ctx, uint64_t *slpt)
{
    static const uint8_t rw_r[DMAR_MAX_LEVELS + 1] = {
        0, DMAR_PERM_RW, DMAR_PERM_R, DMAR_PERM_RW, DMAR_PERM_RW,
    };

    *slpt = env_open(e, 0x0800, 4, false, ctx);
    map_page(&e->mem, *slpt, 4, 0x1000, 0x10000, 1, DMAR_PERM_RW);
    map_page(&e->mem, *slpt, 4, 0x3000, 0x30000, 1, DMAR_PERM_R);
    map_page(&e->mem, *slpt, 4, 0x1ff000, 0x7000, 1, DMAR_PERM_W);
    map_page(&e->mem, *slpt, 4, 0x40000000, 0x80000000ull, 2,
             DMAR_PERM_W);
    map_page(&e->mem, *slpt, 4, 0x80000000ull, 0x40000000ull, 3,
             DMAR_PERM_RW);
    /* Under a level-2 entry granting read only. */
    map_perms(&e->mem, *slpt, 4, 0x8000000000ull + 0x5000, 0x5000, 1, rw_r);
    /* The last page below 2^48. */
    map_page(&e->mem, *slpt, 4, (1ull << 48) - 0x1000, 0x9000, 1,
             DMAR_PERM_RW);
}

static void test_walk_basic(void)
{
    TestEnv e;
    DmarContext ctx;
    WalkLog l;
    uint64_t slpt;

    env_init(&e, 48, SAGAW_4L, SLLPS_2M | SLLPS_1G, HW_PT);
    setup_walk_tables(&e, &ctx, &slpt);
    g_assert_cmpint(env_walk_all(&e, &ctx, 0, UINT64_MAX, &l), ==,
                    DMAR_WALK_DONE);
    g_assert_cmpuint(l.leaves->len, ==, 7);
    assert_leaf(&l, 0, 0x1000, 0x10000, 1, DMAR_PERM_RW);
    assert_leaf(&l, 1, 0x3000, 0x30000, 1, DMAR_PERM_R);
    assert_leaf(&l, 2, 0x1ff000, 0x7000, 1, DMAR_PERM_W);
    assert_leaf(&l, 3, 0x40000000, 0x80000000ull, 2, DMAR_PERM_W);
    assert_leaf(&l, 4, 0x80000000ull, 0x40000000ull, 3, DMAR_PERM_RW);
    assert_leaf(&l, 5, 0x8000005000ull, 0x5000, 1, DMAR_PERM_R);
    assert_leaf(&l, 6, (1ull << 48) - 0x1000, 0x9000, 1, DMAR_PERM_RW);
    /* 4 KiB leaves carry their table, as dmar_translate() gives it. */
    g_assert_cmphex(leaf_at(&l, 5)->table, ==,
                    pte_gpa(&e.mem, slpt, 4, 0x8000005000ull, 1) & ~0xfffull);
    g_assert_cmphex(leaf_at(&l, 5)->table_perm, ==, DMAR_PERM_R);
    g_assert_cmphex(leaf_at(&l, 3)->table, ==, 0);
    /* Every entry of each table once: 1 + 3 + 4 + 3 tables. */
    g_assert_cmpuint(e.mem.reads, ==, (1 + 3 + 4 + 3) * 512);
    for (unsigned i = 0; i < l.leaves->len; i++) {
        const DmarTranslation *t = leaf_at(&l, i);
        DmarTranslation out;
        DmarFault f;

        g_assert_false(t->narrowed);
        /* What the walk reports is what a DMA gets. */
        g_assert_true(env_translate(&e, &ctx, t->iova + t->mask,
                                    !(t->perm & DMAR_PERM_R), &out, &f));
        g_assert_cmphex(out.pa, ==, t->pa);
        g_assert_cmphex(out.perm, ==, t->perm);
        g_assert_cmphex(out.mask, ==, t->mask);
    }
    g_array_free(l.leaves, true);
    env_destroy(&e);
}

/* A range reports the leaves it overlaps, whole; nothing else is read. */
static void test_walk_subrange(void)
{
    static const struct {
        uint64_t first, last;
        unsigned from, n;       /* leaves of test_walk_basic's list */
        unsigned reads;
    } cases[] = {
        { 0x1000, 0x1000, 0, 1, 4 },
        { 0x1fff, 0x3000, 0, 2, 6 },
        { 0x2000, 0x2fff, 0, 0, 4 },
        { 0x3001, 0x1fffff, 1, 2, 4 + 508 },
        { 0x40001000, 0x40001fff, 3, 1, 3 },
        { 0x40000000, 0xbfffffffull, 3, 2, 3 + 511 + 1 },
        { 0xc0000000ull, 0x7fffffffffull, 0, 0, 2 + 508 },
        { (1ull << 48) - 1, UINT64_MAX, 6, 1, 4 },
        { 1ull << 48, UINT64_MAX, 0, 0, 0 },
        { 0x5000, 0x4000, 0, 0, 0 },
    };
    TestEnv e;
    DmarContext ctx;
    WalkLog all, l;
    uint64_t slpt;

    env_init(&e, 48, SAGAW_4L, SLLPS_2M | SLLPS_1G, HW_PT);
    setup_walk_tables(&e, &ctx, &slpt);
    env_walk_all(&e, &ctx, 0, UINT64_MAX, &all);
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        set_case("[0x%" PRIx64 ", 0x%" PRIx64 "]", cases[i].first,
                 cases[i].last);
        g_assert_cmpint(env_walk_all(&e, &ctx, cases[i].first,
                                     cases[i].last, &l), ==,
                        DMAR_WALK_DONE);
        if (l.leaves->len != cases[i].n || e.mem.reads != cases[i].reads) {
            g_test_message("%s: %u leaves, %u reads; want %u, %u",
                           probe_label, l.leaves->len, e.mem.reads,
                           cases[i].n, cases[i].reads);
        }
        g_assert_cmpuint(l.leaves->len, ==, cases[i].n);
        for (unsigned j = 0; j < cases[i].n; j++) {
            g_assert_cmpmem(leaf_at(&l, j), sizeof(DmarTranslation),
                            leaf_at(&all, cases[i].from + j),
                            sizeof(DmarTranslation));
        }
        g_assert_cmpuint(e.mem.reads, ==, cases[i].reads);
        g_array_free(l.leaves, true);
    }
    g_array_free(all.leaves, true);
    env_destroy(&e);
}

/*
 * Not-present entries and paths that grant nothing are skipped without
 * descending; entries with reserved bits and unreadable tables are
 * skipped with DMAR_WALK_FAULT; the rest is still reported.
 */
static void test_walk_skips(void)
{
    TestEnv e;
    DmarContext ctx;
    WalkLog l;
    uint64_t slpt, gpa;
    const uint64_t g1 = 1ull << 30;

    env_init(&e, 39, SAGAW_3L, SLLPS_2M, HW_PT);
    slpt = env_open(&e, 0x0900, 3, false, &ctx);
    map_page(&e.mem, slpt, 3, 0 * g1 + 0x1000, 0x1000, 1, DMAR_PERM_RW);
    map_page(&e.mem, slpt, 3, 1 * g1 + 0x2000, 0x2000, 1, DMAR_PERM_RW);
    map_page(&e.mem, slpt, 3, 2 * g1 + 0x3000, 0x3000, 1, DMAR_PERM_RW);
    map_page(&e.mem, slpt, 3, 3 * g1 + 0x4000, 0x4000, 1, DMAR_PERM_RW);
    map_page(&e.mem, slpt, 3, 4 * g1 + 0x5000, 0x5000, 1, DMAR_PERM_RW);
    map_page(&e.mem, slpt, 3, 5 * g1, 0x200000, 2, DMAR_PERM_RW);
    map_page(&e.mem, slpt, 3, 6 * g1 + 0x7000, 0x7000, 1, DMAR_PERM_RW);
    /* 7 GiB: R above, W at level 2: nothing granted, no descent. */
    map_perms(&e.mem, slpt, 3, 7 * g1 + 0x8000, 0x8000, 1,
              (const uint8_t[]) { 0, DMAR_PERM_RW, DMAR_PERM_W,
                                  DMAR_PERM_R });
    g_assert_cmpint(env_walk_all(&e, &ctx, 7 * g1, 8 * g1 - 1, &l), ==,
                    DMAR_WALK_DONE);
    g_assert_cmpuint(l.leaves->len, ==, 0);
    g_assert_cmpuint(e.mem.reads, ==, 1 + 512);
    g_array_free(l.leaves, true);

    /* All there: DONE. */
    g_assert_cmpint(env_walk_all(&e, &ctx, 0, UINT64_MAX, &l), ==,
                    DMAR_WALK_DONE);
    g_assert_cmpuint(l.leaves->len, ==, 7);
    g_array_free(l.leaves, true);

    /*
     * 1 GiB: the level-3 entry not present (R = W = 0, address kept, and
     * a bit that would be reserved in a present entry: no fault).
     */
    gpa = lvl_entry(slpt, 1 * g1, 3);
    fake_poke64(&e.mem, gpa, (fake_peek64(&e.mem, gpa) & ~3ull) |
                R_SLPTE_SNP_MASK);
    /* 2 GiB: the level-2 entry grants read, its leaf write only. */
    gpa = pte_gpa(&e.mem, slpt, 3, 2 * g1, 2);
    fake_poke64(&e.mem, gpa, (fake_peek64(&e.mem, gpa) & ~3ull) |
                DMAR_PERM_R);
    fake_poke64(&e.mem, pte_gpa(&e.mem, slpt, 3, 2 * g1 + 0x3000, 1),
                make_slpte(0x3000, DMAR_PERM_W, false));
    g_assert_cmpint(env_walk_all(&e, &ctx, 0, UINT64_MAX, &l), ==,
                    DMAR_WALK_DONE);
    g_assert_cmpuint(l.leaves->len, ==, 5);
    assert_leaf(&l, 0, 0x1000, 0x1000, 1, DMAR_PERM_RW);
    assert_leaf(&l, 1, 3 * g1 + 0x4000, 0x4000, 1, DMAR_PERM_RW);
    /*
     * The root; two tables under 0, 2 (read-only, so on down), 3, 4 and
     * 6 GiB, one under 5 and 7 GiB; none under 1 GiB.
     */
    g_assert_cmpuint(e.mem.reads, ==, 512 + 5 * 2 * 512 + 2 * 512);
    g_array_free(l.leaves, true);

    /* 3 GiB: a reserved bit in a table entry (SNP without ECAP.SC). */
    fake_or64(&e.mem, pte_gpa(&e.mem, slpt, 3, 3 * g1, 2),
              R_SLPTE_SNP_MASK);
    /* 4 GiB: the level-2 table cannot be read. */
    fake_poke64(&e.mem, lvl_entry(slpt, 4 * g1, 3),
                make_slpte(UNBACKED_GPA, DMAR_PERM_RW, false));
    /* 5 GiB: PS on a 2 MiB leaf is fine; make it 1 GiB (no SLLPS.1G). */
    fake_poke64(&e.mem, lvl_entry(slpt, 5 * g1, 3),
                make_slpte(0x40000000, DMAR_PERM_RW, true));
    g_assert_cmpint(env_walk_all(&e, &ctx, 0, UINT64_MAX, &l), ==,
                    DMAR_WALK_FAULT);
    g_assert_cmpuint(l.leaves->len, ==, 2);
    assert_leaf(&l, 0, 0x1000, 0x1000, 1, DMAR_PERM_RW);
    assert_leaf(&l, 1, 6 * g1 + 0x7000, 0x7000, 1, DMAR_PERM_RW);
    g_array_free(l.leaves, true);

    /* Each damage alone is a FAULT. */
    g_assert_cmpint(env_walk_all(&e, &ctx, 3 * g1, 4 * g1 - 1, &l), ==,
                    DMAR_WALK_FAULT);
    g_assert_cmpuint(l.leaves->len, ==, 0);
    g_array_free(l.leaves, true);
    g_assert_cmpint(env_walk_all(&e, &ctx, 4 * g1, 5 * g1 - 1, &l), ==,
                    DMAR_WALK_FAULT);
    g_assert_cmpuint(l.leaves->len, ==, 0);
    g_assert_cmpuint(e.mem.reads, ==, 2);   /* one try of the table */
    g_array_free(l.leaves, true);
    g_assert_cmpint(env_walk_all(&e, &ctx, 5 * g1, 6 * g1 - 1, &l), ==,
                    DMAR_WALK_FAULT);
    g_array_free(l.leaves, true);
    /* And none outside: DONE. */
    g_assert_cmpint(env_walk_all(&e, &ctx, 6 * g1, UINT64_MAX, &l), ==,
                    DMAR_WALK_DONE);
    g_assert_cmpuint(l.leaves->len, ==, 1);
    g_array_free(l.leaves, true);
    env_destroy(&e);
}

/* The root table itself unreadable; a context no lookup would give. */
static void test_walk_bad_context(void)
{
    TestEnv e;
    DmarContext ctx;
    WalkLog l;

    env_init_default(&e);
    env_open(&e, 0x0a00, 3, false, &ctx);
    ctx.slptptr = UNBACKED_GPA;
    g_assert_cmpint(env_walk_all(&e, &ctx, 0, UINT64_MAX, &l), ==,
                    DMAR_WALK_FAULT);
    g_assert_cmpuint(l.leaves->len, ==, 0);
    g_assert_cmpuint(e.mem.reads, ==, 1);
    g_array_free(l.leaves, true);
    for (unsigned levels = 0; levels < 8; levels++) {
        if (levels >= 2 && levels <= DMAR_MAX_LEVELS) {
            continue;
        }
        ctx.levels = levels;
        g_assert_cmpint(env_walk_all(&e, &ctx, 0, UINT64_MAX, &l), ==,
                        DMAR_WALK_FAULT);
        g_assert_cmpuint(l.leaves->len, ==, 0);
        g_assert_cmpuint(e.mem.reads, ==, 0);
        g_array_free(l.leaves, true);
    }
    env_destroy(&e);
}

/* Pass-through: the identity below 2^HAW, clipped, in one call. */
static void test_walk_passthrough(void)
{
    TestEnv e;
    DmarContext ctx;
    DmarFault f;
    WalkLog l;
    uint64_t budget = 5, resume;
    const uint64_t top = (1ull << 39) - 1;

    env_init_default(&e);
    env_add_device(&e, 0x0b00, 3, DMAR_TT_PASSTHROUGH, false, 3);
    g_assert_true(env_lookup(&e, 0x0b00, &ctx, &f));
    g_assert_cmpint(env_walk_all(&e, &ctx, 0x1234, UINT64_MAX, &l), ==,
                    DMAR_WALK_DONE);
    g_assert_cmpuint(l.leaves->len, ==, 1);
    assert_leaf(&l, 0, 0x1234, 0x1234, 0, DMAR_PERM_RW);
    g_assert_cmphex(leaf_at(&l, 0)->mask, ==, top - 0x1234);
    g_assert_cmpuint(e.mem.reads, ==, 0);
    g_array_free(l.leaves, true);

    g_assert_cmpint(env_walk_all(&e, &ctx, 0x1000, 0x1fff, &l), ==,
                    DMAR_WALK_DONE);
    assert_leaf(&l, 0, 0x1000, 0x1000, 0, DMAR_PERM_RW);
    g_assert_cmphex(leaf_at(&l, 0)->mask, ==, 0xfff);
    g_array_free(l.leaves, true);

    g_assert_cmpint(env_walk_all(&e, &ctx, top + 1, UINT64_MAX, &l), ==,
                    DMAR_WALK_DONE);
    g_assert_cmpuint(l.leaves->len, ==, 0);
    g_array_free(l.leaves, true);

    /* Stopped by the callback: resume after the block; no budget used. */
    l.leaves = g_array_new(false, false, sizeof(DmarTranslation));
    l.calls = 0;
    l.stop_after = 1;
    g_assert_cmpint(env_walk(&e, &ctx, 0, UINT64_MAX, &budget, &resume,
                             &l), ==, DMAR_WALK_STOPPED);
    g_assert_cmphex(resume, ==, top + 1);
    g_assert_cmpuint(budget, ==, 5);
    g_array_free(l.leaves, true);
    env_destroy(&e);
}

/*
 * Walk [FIRST, LAST] in pieces of BUDGET reads (and with the callback
 * saying stop every STOP_EVERY leaves, if not 0); the leaves must be
 * those of one unlimited walk, each once.
 */
static void assert_walk_resumes(TestEnv *e, const DmarContext *ctx,
                                uint64_t first, uint64_t last,
                                uint64_t budget, unsigned stop_every)
{
    WalkLog all, l = {
        .leaves = g_array_new(false, false, sizeof(DmarTranslation)),
    };
    DmarWalkStatus want = env_walk_all(e, ctx, first, last, &all), st;
    uint64_t from = first, rounds = 0;

    do {
        uint64_t b = budget, resume;

        l.calls = 0;
        l.stop_after = stop_every;
        st = env_walk(e, ctx, from, last, &b, &resume, &l);
        if (st == DMAR_WALK_STOPPED) {
            /* Out of budget, or stopped by the callback. */
            g_assert(b == 0 || (stop_every && l.calls == stop_every));
            g_assert_cmphex(resume, >, from - (from != first));
            from = resume;
        }
        g_assert_cmpuint(++rounds, <, 1000000);
    } while (st == DMAR_WALK_STOPPED && from <= last);
    if (st != DMAR_WALK_STOPPED) {
        g_assert_cmpint(st, ==, want);
    }
    g_assert_cmpuint(l.leaves->len, ==, all.leaves->len);
    g_assert_cmpmem(l.leaves->data, l.leaves->len * sizeof(DmarTranslation),
                    all.leaves->data,
                    all.leaves->len * sizeof(DmarTranslation));
    g_array_free(l.leaves, true);
    g_array_free(all.leaves, true);
}

/*
 * The budget bounds the reads; a walk stopped by it or by the callback
 * goes on where it stopped, and every leaf is reported once in all.
 */
static void test_walk_budget(void)
{
    TestEnv e;
    DmarContext ctx;
    WalkLog l = { 0 };
    uint64_t slpt, budget, resume;

    env_init(&e, 48, SAGAW_4L, SLLPS_2M | SLLPS_1G, HW_PT);
    setup_walk_tables(&e, &ctx, &slpt);
    /* No budget: nothing read, resume where asked. */
    budget = 0;
    l.leaves = g_array_new(false, false, sizeof(DmarTranslation));
    g_assert_cmpint(env_walk(&e, &ctx, 0x1234, UINT64_MAX, &budget,
                             &resume, &l), ==, DMAR_WALK_STOPPED);
    g_assert_cmphex(resume, ==, 0x1234);
    g_assert_cmpuint(l.leaves->len, ==, 0);
    /* Exactly the reads needed: DONE with the budget at 0. */
    budget = 4;
    g_assert_cmpint(env_walk(&e, &ctx, 0x1000, 0x1fff, &budget, &resume,
                             &l), ==, DMAR_WALK_DONE);
    g_assert_cmpuint(budget, ==, 0);
    g_assert_cmpuint(l.leaves->len, ==, 1);
    /* One short: stopped before the leaf, which the next call gives. */
    budget = 3;
    g_assert_cmpint(env_walk(&e, &ctx, 0x1000, 0x1fff, &budget, &resume,
                             &l), ==, DMAR_WALK_STOPPED);
    g_assert_cmphex(resume, ==, 0x1000);
    g_assert_cmpuint(l.leaves->len, ==, 1);
    g_array_free(l.leaves, true);

    /* Budgets of at least the depth always make progress. */
    for (uint64_t b = 4; b < 40; b++) {
        set_case("budget %" PRIu64, b);
        assert_walk_resumes(&e, &ctx, 0, UINT64_MAX, b, 0);
    }
    assert_walk_resumes(&e, &ctx, 0, UINT64_MAX, 600, 0);
    assert_walk_resumes(&e, &ctx, 0x2000, 0x8000005fffull, 7, 0);
    for (unsigned s = 1; s < 4; s++) {
        assert_walk_resumes(&e, &ctx, 0, UINT64_MAX, UINT64_MAX, s);
        assert_walk_resumes(&e, &ctx, 0, UINT64_MAX, 9, s);
    }
    env_destroy(&e);
}

/* Tables that point at themselves: the budget ends the walk. */
static void test_walk_self_ref(void)
{
    TestEnv e;
    DmarContext ctx;
    WalkLog l = { 0 };
    uint64_t slpt, budget = 100000, resume;

    env_init_default(&e);
    slpt = env_open(&e, 0x0c00, 4, false, &ctx);
    for (unsigned i = 0; i < 512; i++) {
        fake_poke64(&e.mem, slpt + i * 8, make_slpte(slpt, DMAR_PERM_RW,
                                                     false));
    }
    l.leaves = g_array_new(false, false, sizeof(DmarTranslation));
    g_assert_cmpint(env_walk(&e, &ctx, 0, UINT64_MAX, &budget, &resume,
                             &l), ==, DMAR_WALK_STOPPED);
    g_assert_cmpuint(budget, ==, 0);
    g_assert_cmpuint(e.mem.reads, ==, 100000);
    /* Level 1 reads the root as pages: each maps the root, in order. */
    g_assert_cmpuint(l.leaves->len, >, 90000);
    for (unsigned i = 0; i < l.leaves->len; i++) {
        g_assert_cmphex(leaf_at(&l, i)->pa, ==, slpt);
        g_assert_cmphex(leaf_at(&l, i)->iova, ==, (uint64_t)i << 12);
    }
    g_assert_cmphex(resume, ==, (uint64_t)l.leaves->len << 12);
    g_array_free(l.leaves, true);
    env_destroy(&e);
}

/*
 * §3.15: a 4 KiB leaf into the interrupt address range is not reported;
 * larger ones that reach into it are reported as their pieces outside it,
 * each what dmar_translate() answers there.
 */
static void test_walk_intr_range(void)
{
    const uint64_t g1 = 1ull << 30, m2 = 1ull << 21;
    TestEnv e;
    DmarContext ctx;
    WalkLog l;
    uint64_t slpt;
    unsigned n2 = 0, n4 = 0;

    env_init(&e, 39, SAGAW_3L, SLLPS_2M | SLLPS_1G, HW_PT);
    slpt = env_open(&e, 0x0d00, 3, false, &ctx);
    /* A 4 KiB leaf each just below, in, and just above the range. */
    map_page(&e.mem, slpt, 3, 0x1000, DMAR_INTR_ADDR_FIRST - 0x1000, 1,
             DMAR_PERM_RW);
    map_page(&e.mem, slpt, 3, 0x2000, DMAR_INTR_ADDR_FIRST, 1,
             DMAR_PERM_RW);
    map_page(&e.mem, slpt, 3, 0x3000, DMAR_INTR_ADDR_LAST - 0xfff, 1,
             DMAR_PERM_RW);
    map_page(&e.mem, slpt, 3, 0x4000, DMAR_INTR_ADDR_LAST + 1, 1,
             DMAR_PERM_RW);
    /* The 2 MiB page holding the range: its upper half is usable. */
    map_page(&e.mem, slpt, 3, 4 * m2, DMAR_INTR_ADDR_FIRST, 2,
             DMAR_PERM_R);
    /* The 1 GiB page holding it: 511 2 MiB pieces, 256 4 KiB ones. */
    map_page(&e.mem, slpt, 3, 8 * g1, 3 * g1, 3, DMAR_PERM_W);

    g_assert_cmpint(env_walk_all(&e, &ctx, 0, UINT64_MAX, &l), ==,
                    DMAR_WALK_DONE);
    assert_leaves_ordered(&l);
    g_assert_cmpuint(l.leaves->len, ==, 2 + 256 + 511 + 256);
    assert_leaf(&l, 0, 0x1000, DMAR_INTR_ADDR_FIRST - 0x1000, 1,
                DMAR_PERM_RW);
    assert_leaf(&l, 1, 0x4000, DMAR_INTR_ADDR_LAST + 1, 1, DMAR_PERM_RW);
    g_assert_false(leaf_at(&l, 1)->narrowed);
    for (unsigned i = 2; i < l.leaves->len; i++) {
        const DmarTranslation *t = leaf_at(&l, i);
        DmarTranslation out;
        DmarFault f;

        g_assert_true(t->narrowed);
        g_assert_false(t->pa <= DMAR_INTR_ADDR_LAST &&
                       t->pa + t->mask >= DMAR_INTR_ADDR_FIRST);
        n2 += t->level == 2;
        n4 += t->level == 1;
        /* dmar_translate() answers the same there (4 KiB at a time). */
        g_assert_true(env_translate(&e, &ctx, t->iova + t->mask,
                                    t->perm == DMAR_PERM_W, &out, &f));
        g_assert_cmphex(out.pa, ==, t->pa + t->mask - 0xfff);
        g_assert_cmphex(out.perm, ==, t->perm);
    }
    g_assert_cmpuint(n2, ==, 511);
    g_assert_cmpuint(n4, ==, 512);
    assert_leaf(&l, 2, 4 * m2 + 0x100000, DMAR_INTR_ADDR_LAST + 1, 1,
                DMAR_PERM_R);
    assert_leaf(&l, 2 + 256, 8 * g1, 3 * g1, 2, DMAR_PERM_W);
    g_array_free(l.leaves, true);

    /* A walk stopped inside the pieces goes on with the next one. */
    assert_walk_resumes(&e, &ctx, 0, UINT64_MAX, UINT64_MAX, 100);
    assert_walk_resumes(&e, &ctx, 8 * g1 + 0x3ef00800ull, UINT64_MAX,
                        UINT64_MAX, 7);
    /* A range inside the page: the pieces it overlaps. */
    g_assert_cmpint(env_walk_all(&e, &ctx, 4 * m2 + 0xfff00,
                                 4 * m2 + 0x101fff, &l), ==,
                    DMAR_WALK_DONE);
    g_assert_cmpuint(l.leaves->len, ==, 2);
    assert_leaf(&l, 0, 4 * m2 + 0x100000, DMAR_INTR_ADDR_LAST + 1, 1,
                DMAR_PERM_R);
    g_array_free(l.leaves, true);
    env_destroy(&e);
}

/* ---- Registration ---- */

static PermCase *perm_cases_new(size_t *n)
{
    static const struct {
        int levels;
        int leaf;
    } shapes[] = { { 3, 1 }, { 4, 1 }, { 5, 1 }, { 4, 2 }, { 4, 3 } };
    static const uint8_t perms[] = { DMAR_PERM_R, DMAR_PERM_W, 0 };
    GArray *a = g_array_new(false, false, sizeof(PermCase));
    int s, l, p;

    for (s = 0; s < ARRAY_SIZE(shapes); s++) {
        for (l = shapes[s].levels; l >= shapes[s].leaf; l--) {
            for (p = 0; p < ARRAY_SIZE(perms); p++) {
                PermCase c = {
                    .levels = shapes[s].levels,
                    .leaf = shapes[s].leaf,
                    .level = l,
                    .perm = perms[p],
                };

                c.name = g_strdup_printf("%dl-%s-l%d-%s", c.levels,
                                         c.leaf == 1 ? "4k" :
                                         c.leaf == 2 ? "2m" : "1g",
                                         l, perm_names[c.perm]);
                g_array_append_val(a, c);
            }
        }
    }
    *n = a->len;
    return (PermCase *)g_array_free(a, false);
}

/* ---- Found by scripts/mutate: level-4 pages, the interrupt range ---- */

/*
 * VT-d §9.8: PS is reserved in a level-4 (and level-5) entry, whatever
 * CAP.SLLPS bits a configuration might carry beyond 2 MiB and 1 GiB.
 */
static void test_ps_level4(void)
{
    DmarContext ctx;
    DmarTranslation out;
    DmarFault f;
    TestEnv e;
    uint64_t root;

    for (int levels = 4; levels <= 5; levels++) {
        env_init(&e, 52, SAGAW_4L | SAGAW_5L, 0xf, HW_PT);
        root = env_open(&e, 0x0100, levels, false, &ctx);
        map_page(&e.mem, root, levels, 0, 0, 4, DMAR_PERM_RW);
        g_assert_false(env_translate(&e, &ctx, 0x1000, false, &out, &f));
        g_assert_cmphex(f.fr, ==, DMAR_FR_PTE_RSVD);
        g_assert_cmpuint(f.level, ==, 4);
        env_destroy(&e);
    }
}

/*
 * VT-d §3.15 Handling Requests to Interrupt Address Range, at both
 * edges and at both ends of the first and last page: a translation into
 * 0xFEE00000-0xFEEFFFFF faults (0xE); the pages next to it translate.
 */
static void test_intr_range_edges(void)
{
    static const struct {
        uint64_t pa;
        bool blocked;
    } pages[] = {
        { DMAR_INTR_ADDR_FIRST - SZ_4K, false },
        { DMAR_INTR_ADDR_FIRST, true },
        { DMAR_INTR_ADDR_LAST + 1 - SZ_4K, true },
        { DMAR_INTR_ADDR_LAST + 1, false },
    };
    static const uint64_t offsets[] = { 0, 1, 0x800, 0xffc, 0xfff };
    DmarContext ctx;
    DmarTranslation out;
    DmarFault f;
    TestEnv e;
    uint64_t root;

    env_init_default(&e);
    root = env_open(&e, 0x0200, 3, false, &ctx);
    for (unsigned i = 0; i < ARRAY_SIZE(pages); i++) {
        map_page(&e.mem, root, 3, 0x10000000 + i * SZ_4K, pages[i].pa, 1,
                 DMAR_PERM_RW);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(pages); i++) {
        for (unsigned j = 0; j < ARRAY_SIZE(offsets); j++) {
            uint64_t iova = 0x10000000 + i * SZ_4K + offsets[j];
            bool ok = env_translate(&e, &ctx, iova, true, &out, &f);

            set_case("pa 0x%" PRIx64 " + 0x%" PRIx64, pages[i].pa,
                     offsets[j]);
            g_assert(ok == !pages[i].blocked);
            if (ok) {
                g_assert_cmphex(out.pa, ==, pages[i].pa);
            } else {
                g_assert_cmphex(f.fr, ==, DMAR_FR_INTR_ADDR);
                g_assert_cmphex(f.addr, ==, iova);
            }
        }
    }
    env_destroy(&e);
}

/* A set of N ranges FIRST..LAST given as pairs */
static DmarRangeSet range_set(unsigned n, const uint64_t *pairs)
{
    DmarRangeSet set;

    dmar_range_set_clear(&set);
    for (unsigned i = 0; i < n; i++) {
        dmar_range_set_add(&set, DMAR_RANGE_ANY, pairs[2 * i],
                           pairs[2 * i + 1]);
    }
    return set;
}

static void test_range_set(void)
{
    static const uint64_t pairs[] = {
        0x1000, 0x1fff,     /* a page */
        0x3000, 0x3fff,     /* apart from it */
        0x2000, 0x2fff,     /* touches both: widens the first */
        0x3800, 0x4fff,     /* overlaps the second */
    };
    DmarRangeSet set = range_set(4, pairs), other, empty = range_set(0, NULL);

    g_assert_false(set.all);
    g_assert_cmpuint(set.n, ==, 2);
    g_assert_cmphex(set.first[0], ==, 0x1000);
    g_assert_cmphex(set.last[0], ==, 0x2fff);
    g_assert_cmphex(set.first[1], ==, 0x3000);
    g_assert_cmphex(set.last[1], ==, 0x4fff);

    /* a range below one it overlaps widens it downwards */
    other = range_set(2, (const uint64_t[]) { 0x5000, 0x5fff, 0x4800, 0x57ff });
    g_assert_cmpuint(other.n, ==, 1);
    g_assert_cmphex(other.first[0], ==, 0x4800);
    g_assert_cmphex(other.last[0], ==, 0x5fff);

    /* overlap needs a shared address, not touching */
    other = range_set(1, (const uint64_t[]) { 0x5000, 0x5fff });
    g_assert_false(dmar_range_set_overlap(&set, &other));
    g_assert_false(dmar_range_set_overlap(&other, &set));
    other = range_set(1, (const uint64_t[]) { 0x0, 0xfff });
    g_assert_false(dmar_range_set_overlap(&set, &other));
    other = range_set(1, (const uint64_t[]) { 0x4fff, 0x4fff });
    g_assert_true(dmar_range_set_overlap(&set, &other));
    g_assert_true(dmar_range_set_overlap(&other, &set));
    other = range_set(1, (const uint64_t[]) { 0x0, 0x1000 });
    g_assert_true(dmar_range_set_overlap(&other, &set));
    other = range_set(1, (const uint64_t[]) { 0x0, UINT64_MAX });
    g_assert_true(dmar_range_set_overlap(&set, &other));
    g_assert_false(dmar_range_set_overlap(&set, &empty));

    /* the top of the space: last + 1 wraps */
    other = range_set(2, (const uint64_t[]) { UINT64_MAX - 0xfff, UINT64_MAX,
                                              0, 0xfff });
    g_assert_cmpuint(other.n, ==, 2);
    g_assert_false(dmar_range_set_overlap(&set, &other));

    /* full: one more range apart makes it everything */
    dmar_range_set_clear(&other);
    for (unsigned i = 0; i < DMAR_RANGE_SET_MAX; i++) {
        dmar_range_set_add(&other, DMAR_RANGE_ANY, 0x100000 * (i + 1),
                           0x100000 * (i + 1));
    }
    g_assert_false(other.all);
    g_assert_false(dmar_range_set_overlap(&set, &other));
    /* merges: not more */
    dmar_range_set_add(&other, DMAR_RANGE_ANY, 0x100000, 0x100fff);
    g_assert_false(other.all);
    dmar_range_set_add(&other, DMAR_RANGE_ANY, 0x7000, 0x7fff);
    g_assert_true(other.all);
    g_assert_true(dmar_range_set_overlap(&set, &other));
    g_assert_true(dmar_range_set_overlap(&other, &set));
    g_assert_false(dmar_range_set_overlap(&other, &empty));
    g_assert_false(dmar_range_set_overlap(&empty, &other));
    dmar_range_set_clear(&other);
    g_assert_false(other.all);
    g_assert_false(dmar_range_set_overlap(&set, &other));
}

/* Ranges of a domain (tag: domain-id + 1), or of any */
static void test_range_set_tags(void)
{
    DmarRangeSet d1, d2, any;

    dmar_range_set_clear(&d1);
    dmar_range_set_clear(&d2);
    dmar_range_set_clear(&any);
    /* the same addresses of two domains keep apart, and so do touching */
    dmar_range_set_add(&d1, 1, 0x1000, 0x1fff);
    dmar_range_set_add(&d1, 2, 0x1000, 0x1fff);
    dmar_range_set_add(&d1, 2, 0x2000, 0x2fff);
    g_assert_cmpuint(d1.n, ==, 2);
    g_assert_cmpuint(d1.tag[0], ==, 1);
    g_assert_cmphex(d1.last[0], ==, 0x1fff);
    g_assert_cmpuint(d1.tag[1], ==, 2);
    g_assert_cmphex(d1.first[1], ==, 0x1000);
    g_assert_cmphex(d1.last[1], ==, 0x2fff);

    /* a whole domain, then pages of it: one range (no wrap at the top) */
    dmar_range_set_clear(&d2);
    dmar_range_set_add(&d2, 5, 0, UINT64_MAX);
    dmar_range_set_add(&d2, 5, 0x7000, 0x7fff);
    dmar_range_set_add(&d2, 5, UINT64_MAX - 0xfff, UINT64_MAX);
    g_assert_cmpuint(d2.n, ==, 1);
    dmar_range_set_clear(&d2);
    dmar_range_set_add(&d2, 5, 0x7000, 0x7fff);
    dmar_range_set_add(&d2, 5, 0x8000, UINT64_MAX);
    dmar_range_set_add(&d2, 5, 0x6000, 0x6fff);
    g_assert_cmpuint(d2.n, ==, 1);
    g_assert_cmphex(d2.first[0], ==, 0x6000);
    g_assert_cmphex(d2.last[0], ==, UINT64_MAX);
    dmar_range_set_clear(&d2);

    /* DMA of domain 1 against an invalidation of domain 3: apart */
    dmar_range_set_clear(&d1);
    dmar_range_set_add(&d1, 1, 0x1000, 0x1fff);
    dmar_range_set_add(&d2, 3, 0, UINT64_MAX);
    g_assert_false(dmar_range_set_overlap(&d1, &d2));
    g_assert_false(dmar_range_set_overlap(&d2, &d1));
    /* ... of domain 1: they meet */
    dmar_range_set_add(&d2, 1, 0x1800, 0x1800);
    g_assert_true(dmar_range_set_overlap(&d1, &d2));
    g_assert_true(dmar_range_set_overlap(&d2, &d1));
    /* a range of any domain meets every domain's, on either side */
    dmar_range_set_add(&any, DMAR_RANGE_ANY, 0x1fff, 0x1fff);
    dmar_range_set_clear(&d2);
    dmar_range_set_add(&d2, 7, 0x1000, 0x1fff);
    g_assert_true(dmar_range_set_overlap(&any, &d2));
    g_assert_true(dmar_range_set_overlap(&d2, &any));
    /* ... but not at another address */
    dmar_range_set_clear(&d2);
    dmar_range_set_add(&d2, 7, 0x2000, 0x2fff);
    g_assert_false(dmar_range_set_overlap(&any, &d2));
    g_assert_false(dmar_range_set_overlap(&d2, &any));
}

int main(int argc, char **argv)
{
    PermCase *perm_cases;
    size_t n_perm, i;
    int ret;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dmar-core/qualified", test_qualified);
    g_test_add_func("/dmar-core/hw-masks", test_hw_masks);

    g_test_add_func("/dmar-core/root/not-present", test_root_not_present);
    g_test_add_func("/dmar-core/root/access", test_root_access);
    ADD_CASES("/dmar-core/root/rsvd", root_rsvd_cases, test_root_rsvd);
    g_test_add_func("/dmar-core/root/ctp-haw", test_root_ctp_haw);

    g_test_add_func("/dmar-core/ctx/not-present", test_ctx_not_present);
    g_test_add_func("/dmar-core/ctx/access", test_ctx_access);
    ADD_CASES("/dmar-core/ctx/rsvd", ctx_rsvd_cases, test_ctx_rsvd);
    ADD_CASES("/dmar-core/ctx/tt", ctx_tt_cases, test_ctx_case);
    ADD_CASES("/dmar-core/ctx/aw", ctx_aw_cases, test_ctx_case);
    g_test_add_func("/dmar-core/ctx/decode", test_ctx_decode);
    g_test_add_func("/dmar-core/ctx/slptptr-haw", test_ctx_slptptr_haw);

    ADD_CASES("/dmar-core/walk/map", walk_cases, test_walk);
    g_test_add_func("/dmar-core/walk/shared", test_walk_shared);
    g_test_add_func("/dmar-core/walk/empty", test_walk_empty);
    ADD_CASES("/dmar-core/walk/ps-rsvd", ps_cases,
              test_walk_ps_unsupported);
    g_test_add_func("/dmar-core/walk/ps-level1", test_walk_ps_level1);
    perm_cases = perm_cases_new(&n_perm);
    add_cases("/dmar-core/walk/perm", perm_cases, sizeof(PermCase), n_perm,
              test_walk_perm);
    g_test_add_func("/dmar-core/walk/perm-mixed", test_walk_perm_mixed);
    ADD_CASES("/dmar-core/walk/rsvd", rsvd_cases, test_walk_rsvd);
    g_test_add_func("/dmar-core/walk/snoop", test_walk_snoop);
    g_test_add_func("/dmar-core/walk/stale-tm", test_walk_stale_tm);
    g_test_add_func("/dmar-core/walk/leaf-group", test_leaf_group);
    g_test_add_func("/dmar-core/walk/ignored", test_walk_ignored);
    g_test_add_func("/dmar-core/walk/not-present-rsvd",
                    test_walk_not_present_rsvd);
    g_test_add_func("/dmar-core/walk/access", test_walk_access);
    ADD_CASES("/dmar-core/walk/agaw", agaw_cases, test_walk_agaw);
    g_test_add_func("/dmar-core/walk/haw-limit", test_walk_haw_limit);

    g_test_add_func("/dmar-core/passthrough", test_passthrough);
    ADD_CASES("/dmar-core/loop", loop_cases, test_loop);
    g_test_add_func("/dmar-core/loop/misc", test_loop_misc);
    ADD_CASES("/dmar-core/fpd/clear", fpd_cases, test_fpd_clear);
    ADD_CASES("/dmar-core/fpd/set", fpd_cases, test_fpd_set);
    g_test_add_func("/dmar-core/walk/ps-level4", test_ps_level4);
    g_test_add_func("/dmar-core/walk/intr-range-edges",
                    test_intr_range_edges);

    g_test_add_func("/dmar-core/request/types", test_request_types);
    g_test_add_func("/dmar-core/request/translated-haw",
                    test_request_translated_haw);
    g_test_add_func("/dmar-core/context/legacy-fields",
                    test_context_legacy_fields);
    g_test_add_func("/dmar-core/walk-range/basic", test_walk_basic);
    g_test_add_func("/dmar-core/walk-range/subrange", test_walk_subrange);
    g_test_add_func("/dmar-core/walk-range/skips", test_walk_skips);
    g_test_add_func("/dmar-core/walk-range/bad-context",
                    test_walk_bad_context);
    g_test_add_func("/dmar-core/walk-range/passthrough",
                    test_walk_passthrough);
    g_test_add_func("/dmar-core/walk-range/budget", test_walk_budget);
    g_test_add_func("/dmar-core/walk-range/self-ref", test_walk_self_ref);
    g_test_add_func("/dmar-core/walk-range/intr-range",
                    test_walk_intr_range);
    g_test_add_func("/dmar-core/range-set", test_range_set);
    g_test_add_func("/dmar-core/range-set-tags", test_range_set_tags);

    ret = g_test_run();
    for (i = 0; i < n_perm; i++) {
        g_free((char *)perm_cases[i].name);
    }
    g_free(perm_cases);
    return ret;
}
