/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar unit, scalable mode: what the unit adds around the core's
 * scalable-mode walks (tests/unit/test-dmar-sm.c tests those): the
 * capabilities, RTADDR.TTM, the PASID cache and its invalidation, the
 * PASID-based IOTLB invalidation, 256-bit descriptors, register-based
 * invalidation refused, pass-through bypass. Written from the VT-d 4.1
 * specification (§6.2.2, §6.5.2, §9.4-§9.7, §11.4).
 */
#include "qemu/osdep.h"
#include "dmar-unit-fixture.h"

/* The scalable-mode formats, from the specification */
#define SM_P            1ull
#define SM_CTX_PASIDE   (1ull << 3)
#define SM_CTX_PDTS(n)  ((uint64_t)(n) << 9)
#define PGTT(t)         ((uint64_t)(t) << 6)
#define PE_AW(levels)   ((uint64_t)((levels) - 2) << 2)
#define FS_P            1ull
#define FS_RW           2ull
#define FS_US           4ull
#define FS_A            (1ull << 5)
#define FS_D            (1ull << 6)
#define TTM_SCALABLE    (1ull << 10)
#define DW_256          (1ull << 11)

#define SM_DID          0x42
#define SM_DID2         0x43

typedef struct Sm {
    Fx *f;
    uint64_t ctx, dir, ptbl;    /* context, PASID directory, PASID table */
    uint64_t fs;                /* the first stage's top (4-level) */
} Sm;

static DmarUnitConfig sm_config(bool fsts, bool ssts, unsigned pasid_bits)
{
    DmarUnitConfig cfg = fx_config();

    cfg.hw.sm = true;
    cfg.hw.fsts = fsts;
    cfg.hw.ssts = ssts;
    cfg.hw.fs1gp = true;
    cfg.hw.pasid_bits = pasid_bits;
    cfg.hw.srs = cfg.hw.ers = pasid_bits != 0;
    return cfg;
}

/* The PASID-table entry of PASID (directory entry 0: PASIDs 0..63) */
static void sm_pasid(Sm *s, uint32_t pasid, uint64_t q0, uint64_t q1,
                     uint64_t q2)
{
    uint64_t e = s->ptbl + pasid * 64ull;

    fx_zero(s->f, e, 64);
    fx_w64(s->f, e, q0);
    fx_w64(s->f, e + 8, q1);
    fx_w64(s->f, e + 16, q2);
}

/* First-stage PASID entry for PASID, tables at FS, domain DID */
static void sm_pasid_fs(Sm *s, uint32_t pasid, uint64_t fs, uint16_t did)
{
    sm_pasid(s, pasid, SM_P | PGTT(DMAR_PGTT_FS), did, fs);
}

/* Map IOVA to PA (4 KiB) in the first-stage tables at TOP, FLAGS leaf */
static void fs_map(Sm *s, uint64_t top, uint64_t iova, uint64_t pa,
                   uint64_t flags)
{
    uint64_t table = top;

    for (unsigned l = 4; l > 1; l--) {
        uint64_t slot = table + ((iova >> (12 + 9 * (l - 1))) & 511) * 8;
        uint64_t e = fx_r64(s->f, slot);

        if (!(e & FS_P)) {
            e = table_new(s->f) | FS_P | FS_RW | FS_US;
            fx_w64(s->f, slot, e);
        }
        table = e & 0x000ffffffffff000ull;
    }
    fx_w64(s->f, table + ((iova >> 12) & 511) * 8, pa | flags);
}

/* Scalable-mode tables for edu: RID_PASID 0, first stage, domain SM_DID */
static Sm *sm_new(const DmarUnitConfig *cfg)
{
    Sm *s = g_new0(Sm, 1);

    s->f = fx_new_cfg(cfg);
    fx_zero(s->f, ROOT_TABLE, 0x1000);
    s->ctx = table_new(s->f);
    s->dir = table_new(s->f);
    s->ptbl = table_new(s->f);
    s->fs = table_new(s->f);
    /* edu is devfn < 128: the root entry's lower half */
    g_assert_cmpuint(EDU_DEVFN, <, 128);
    fx_w64(s->f, ROOT_TABLE, s->ctx | SM_P);
    fx_w64(s->f, s->ctx + EDU_DEVFN * 32ull, s->dir | SM_P |
           (cfg->hw.pasid_bits ? SM_CTX_PASIDE : 0));
    fx_w64(s->f, s->dir, s->ptbl | SM_P);
    sm_pasid_fs(s, 0, s->fs, SM_DID);
    return s;
}

static void sm_enable(Sm *s)
{
    wr64(s->f, REG_RTADDR, ROOT_TABLE | TTM_SCALABLE);
    g_assert_cmphex(rd64(s->f, REG_RTADDR), ==, ROOT_TABLE | TTM_SCALABLE);
    gcmd_update(s->f, GCMD_SRTP, 0);
    gcmd_update(s->f, GCMD_TE, 0);
    g_assert_cmphex(rd32(s->f, REG_GSTS) & (GSTS_TES | GSTS_RTPS), ==,
                    GSTS_TES | GSTS_RTPS);
}

static void sm_free(Sm *s)
{
    fx_free(s->f);
    g_free(s);
}

/* A 256-bit descriptor (IQA.DW = 1): LO, HI, and the upper half */
static void qi_push256(Fx *f, uint64_t lo, uint64_t hi, uint64_t q2,
                       uint64_t q3)
{
    uint64_t a = f->iq_base + f->iq_tail * 16ull;

    fx_w64(f, a, lo);
    fx_w64(f, a + 8, hi);
    fx_w64(f, a + 16, q2);
    fx_w64(f, a + 24, q3);
    f->iq_tail = (f->iq_tail + 2) % f->iq_entries;
}

/* Queue with 256-bit descriptors: 128 of them, 256 slots */
static void qi_enable256(Fx *f)
{
    f->iq_base = IQ_BASE;
    f->iq_entries = 256;
    f->iq_tail = 0;
    fx_zero(f, IQ_BASE, 0x1000);
    wr64(f, REG_IQA, IQ_BASE | DW_256);
    wr64(f, REG_IQT, 0);
    gcmd_update(f, GCMD_QIE, 0);
    g_assert_cmphex(rd32(f, REG_GSTS) & GSTS_QIES, ==, GSTS_QIES);
}

/* A 256-bit wait, then the queue runs up to it: no IQE */
static void qi_sync256(Fx *f)
{
    uint32_t v = 0x5d000000 | ++f->iq_seq;

    fx_w32(f, IQ_SYNC, 0);
    qi_push256(f, QI_WAIT | QI_WAIT_SW | QI_SDATA(v), IQ_SYNC, 0, 0);
    qi_kick(f);
    g_assert_cmphex(rd32(f, REG_FSTS) & FSTS_IQE, ==, 0);
    g_assert_cmphex(fx_r32(f, IQ_SYNC), ==, v);
}

static uint64_t piotlb_lo(unsigned g, uint16_t did, uint32_t pasid)
{
    return 6 | (uint64_t)g << 4 | (uint64_t)did << 16 | (uint64_t)pasid << 32;
}

static uint64_t pc_lo(unsigned g, uint16_t did, uint32_t pasid)
{
    return 7 | (uint64_t)g << 4 | (uint64_t)did << 16 | (uint64_t)pasid << 32;
}

/* ---- capabilities ---- */

#define ECAP_NEST       (1ull << 26)
#define ECAP_ERS        (1ull << 30)
#define ECAP_SRS        (1ull << 31)
#define ECAP_PSS(n)     ((uint64_t)(n) << 35)
#define ECAP_PASID      (1ull << 40)
#define ECAP_SMTS       (1ull << 43)
#define ECAP_SSTS       (1ull << 46)
#define ECAP_FSTS       (1ull << 47)
#define ECAP_SMPWCS     (1ull << 48)
#define CAP_FL1GP       (1ull << 56)
#define CAP_FL5LP       (1ull << 60)
#define SM_ECAP_BITS    (ECAP_NEST | ECAP_ERS | ECAP_SRS | ECAP_PSS(31) | \
                         ECAP_PASID | ECAP_SMTS | ECAP_SSTS | ECAP_FSTS | \
                         ECAP_SMPWCS)

static void test_caps(void)
{
    static const struct {
        bool fsts, ssts;
        unsigned pasid_bits, aw;
        uint64_t ecap, cap;
    } c[] = {
        { true, true, 0, 48, ECAP_SMTS | ECAP_SMPWCS | ECAP_FSTS | ECAP_SSTS |
          ECAP_NEST, CAP_FL1GP },
        { true, false, 0, 48, ECAP_SMTS | ECAP_SMPWCS | ECAP_FSTS,
          CAP_FL1GP },
        { false, true, 0, 48, ECAP_SMTS | ECAP_SMPWCS | ECAP_SSTS, 0 },
        { true, true, 20, 48, ECAP_SMTS | ECAP_SMPWCS | ECAP_FSTS |
          ECAP_SSTS | ECAP_NEST | ECAP_PASID | ECAP_PSS(19) | ECAP_SRS |
          ECAP_ERS, CAP_FL1GP },
        { true, true, 8, 57, ECAP_SMTS | ECAP_SMPWCS | ECAP_FSTS |
          ECAP_SSTS | ECAP_NEST | ECAP_PASID | ECAP_PSS(7) | ECAP_SRS |
          ECAP_ERS, CAP_FL1GP | CAP_FL5LP },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(c); i++) {
        DmarUnitConfig cfg = sm_config(c[i].fsts, c[i].ssts, c[i].pasid_bits);
        Fx *f;

        cfg.aw_bits = c[i].aw;
        cfg.hw.sagaw = c[i].aw == 57 ? 0xe : 0x6;
        cfg.hw.fs5lp = c[i].aw == 57;
        f = fx_new_cfg(&cfg);
        g_assert_cmphex(rd64(f, REG_ECAP) & SM_ECAP_BITS, ==, c[i].ecap);
        g_assert_cmphex(rd64(f, REG_CAP) & (CAP_FL1GP | CAP_FL5LP), ==,
                        c[i].cap);
        fx_free(f);
    }
}

static void test_config_errors(void)
{
    DmarUnitConfig bad[5];
    unsigned n = 0;

    bad[n] = sm_config(false, false, 0);                /* no stage */
    n++;
    bad[n] = fx_config();                               /* stage, no SM */
    bad[n].hw.fsts = true;
    n++;
    bad[n] = sm_config(true, true, 21);                 /* 21 PASID bits */
    n++;
    bad[n] = sm_config(true, true, 0);                  /* SRS w/o PASID */
    bad[n].hw.srs = true;
    n++;
    bad[n] = sm_config(true, true, 0);                  /* FL5LP, aw 48 */
    bad[n].hw.fs5lp = true;
    n++;
    for (unsigned i = 0; i < n; i++) {
        g_autofree char *why = dmar_unit_config_error(&bad[i]);

        g_assert_nonnull(why);
    }
}

/* §11.4.5: TTM is writable with scalable mode; 01b walks scalable tables */
static void test_ttm(void)
{
    DmarUnitConfig cfg = fx_config();
    Fx *legacy = fx_new_cfg(&cfg);
    DmarUnitConfig scfg = sm_config(true, true, 0);
    Sm *s = sm_new(&scfg);

    wr64(legacy, REG_RTADDR, ROOT_TABLE | TTM_SCALABLE);
    g_assert_cmphex(rd64(legacy, REG_RTADDR), ==, ROOT_TABLE);
    fx_free(legacy);

    fs_map(s, s->fs, IOVA_A, PAGE_P1, FS_P | FS_US);
    sm_enable(s);
    g_assert_cmphex(xlate(s->f, IOVA_A, false), ==, PAGE_P1);
    /* the same root table read as legacy tables: nothing there */
    wr64(s->f, REG_RTADDR, ROOT_TABLE);
    gcmd_update(s->f, GCMD_SRTP, 0);
    fault_of(s->f, IOVA_A, false, DMAR_FR_CTX_NOT_PRESENT);
    sm_free(s);
}

/* ---- the IOTLB, A/D bits and PASID-based IOTLB invalidation ---- */

static void test_fs_ad_and_piotlb(void)
{
    DmarUnitConfig cfg = sm_config(true, true, 0);
    Sm *s = sm_new(&cfg);
    uint64_t leaf;

    fs_map(s, s->fs, IOVA_A, PAGE_P1, FS_P | FS_RW | FS_US);
    leaf = fx_r64(s->f, s->fs) & 0xfffffffff000ull;     /* PML4E -> PDPT */
    sm_enable(s);
    qi_enable256(s->f);

    g_assert_cmphex(xlate(s->f, IOVA_A, false), ==, PAGE_P1);
    g_assert_cmphex(fx_r64(s->f, s->fs) & (FS_A | FS_D), ==, FS_A);
    g_assert_cmphex(fx_r64(s->f, leaf) & FS_A, ==, FS_A);
    /* a read cached W only if dirty: the write walks and sets D */
    g_assert_cmphex(xlate(s->f, IOVA_A, true), ==, PAGE_P1);
    {
        DmarXlate x;

        g_assert_true(fx_dma(s->f, IOVA_A, true, &x));
        g_assert_true(x.hit);
        /* the answer's domain: the PASID entry's, as a drain sees it */
        g_assert_cmphex(x.did, ==, SM_DID);
        g_assert_cmpuint(dmar_xlate_domain_tag(&x), ==, SM_DID + 1);
    }

    /* remapped: the cached translation stays until invalidated */
    fs_map(s, s->fs, IOVA_A, PAGE_P2, FS_P | FS_RW | FS_US);
    g_assert_cmphex(xlate(s->f, IOVA_A, false), ==, PAGE_P1);
    /* a page-selective invalidation of another page: still cached */
    qi_push256(s->f, piotlb_lo(DMAR_PIOTLB_PAGE, SM_DID, 0),
               IOVA_B, 0, 0);
    qi_sync256(s->f);
    g_assert_cmphex(xlate(s->f, IOVA_A, false), ==, PAGE_P1);
    /* ... of another domain: still cached */
    fx_clear_events(s->f);
    qi_push256(s->f, piotlb_lo(DMAR_PIOTLB_ALL, SM_DID2, 0), 0, 0, 0);
    qi_sync256(s->f);
    g_assert_cmpuint(dmar_inv_domain_tag(fx_one(s->f, DMAR_EV_PIOTLB_INV)),
                     ==, SM_DID2 + 1);
    g_assert_cmphex(xlate(s->f, IOVA_A, false), ==, PAGE_P1);
    /* of this page: the new mapping, walked in the PASID entry's domain */
    qi_push256(s->f, piotlb_lo(DMAR_PIOTLB_PAGE, SM_DID, 0), IOVA_A, 0, 0);
    qi_sync256(s->f);
    {
        DmarXlate x;

        memset(&x, 0xa5, sizeof(x));
        g_assert_true(fx_dma(s->f, IOVA_A, false, &x));
        g_assert_true(x.walked);
        g_assert_cmphex(x.t.pa, ==, PAGE_P2);
        g_assert_cmphex(x.did, ==, SM_DID);
    }
    g_assert_cmpuint(fx_count(s->f, DMAR_EV_PIOTLB_INV), ==, 2);
    sm_free(s);
}

/* ---- the PASID cache (§6.2.2) and its invalidation (§6.5.2.2) ---- */

typedef struct PcCase {
    const char *name;
    unsigned gran;
    uint16_t did;
    uint32_t pasid;
    bool drops;             /* the changed entry is used afterwards */
} PcCase;

static const PcCase pc_cases[] = {
    { "domain", DMAR_PC_DOMAIN, SM_DID, 0, true },
    { "domain-other", DMAR_PC_DOMAIN, SM_DID2, 0, false },
    { "pasid", DMAR_PC_PASID, SM_DID, 0, true },
    /* PASID-selective drops the PASID whatever its cached domain */
    { "pasid-any-domain", DMAR_PC_PASID, SM_DID2, 0, true },
    { "pasid-other", DMAR_PC_PASID, SM_DID, 5, false },
    { "global", DMAR_PC_GLOBAL, 0, 0, true },
};

/*
 * IOVA_A -> PAGE_P1 through the PASID entry's tables, translated once (so
 * cached); then the entry points at other tables mapping it to PAGE_P2
 */
static Sm *sm_retargeted(void)
{
    DmarUnitConfig cfg = sm_config(true, true, 0);
    Sm *s = sm_new(&cfg);
    uint64_t fs2;

    fs_map(s, s->fs, IOVA_A, PAGE_P1, FS_P | FS_US);
    fs2 = table_new(s->f);
    fs_map(s, fs2, IOVA_A, PAGE_P2, FS_P | FS_US);
    sm_enable(s);
    qi_enable256(s->f);
    g_assert_cmphex(xlate(s->f, IOVA_A, false), ==, PAGE_P1);
    sm_pasid_fs(s, 0, fs2, SM_DID);
    return s;
}

static void test_pasid_cache(const void *opaque)
{
    const PcCase *c = opaque;
    Sm *s = sm_retargeted();

    /* the IOTLB is flushed: what answers now is the cached PASID entry */
    qi_push256(s->f, piotlb_lo(DMAR_PIOTLB_ALL, SM_DID2, 0), 0, 0, 0);
    qi_push256(s->f, QI_IOTLB | QI_G(DMAR_IOTLB_GLOBAL), 0, 0, 0);
    qi_sync256(s->f);
    g_assert_cmphex(xlate(s->f, IOVA_A, false), ==, PAGE_P1);

    /* then the IOTLB, as software does: only the PASID cache decides */
    qi_push256(s->f, pc_lo(c->gran, c->did, c->pasid), 0, 0, 0);
    qi_push256(s->f, piotlb_lo(DMAR_PIOTLB_ALL, SM_DID, 0), 0, 0, 0);
    qi_sync256(s->f);
    g_assert_cmpuint(fx_count(s->f, DMAR_EV_PC_INV), ==, 1);
    g_assert_cmphex(xlate(s->f, IOVA_A, false), ==,
                    c->drops ? PAGE_P2 : PAGE_P1);
    sm_free(s);
}

/* A context-cache invalidation drops the device's PASID entries too */
static void test_cc_drops_pasid_entries(void)
{
    Sm *s = sm_retargeted();

    qi_push256(s->f, QI_CC | QI_G(DMAR_CC_DEVICE) | QI_CC_SID(EDU_SID), 0,
               0, 0);
    qi_sync256(s->f);
    g_assert_cmphex(xlate(s->f, IOVA_A, false), ==, PAGE_P2);
    sm_free(s);
}

/* ---- the queue in scalable mode ---- */

/*
 * 256-bit descriptors are accepted whenever scalable mode is offered,
 * before a scalable-mode root is latched too (Linux's interrupt
 * remapping queue); their upper half must be 0 for types 1-5 (IQEI 4).
 */
static void test_dw256(void)
{
    DmarUnitConfig cfg = sm_config(true, true, 0);
    Fx *f = fx_new_cfg(&cfg);
    DmarUnitConfig lcfg = fx_config();
    Fx *l = fx_new_cfg(&lcfg);

    qi_enable256(f);
    qi_push256(f, QI_IEC, 0, 0, 0);
    qi_sync256(f);
    qi_push256(f, QI_IEC, 0, 1, 0);
    qi_kick(f);
    g_assert_cmphex(rd32(f, REG_FSTS) & FSTS_IQE, ==, FSTS_IQE);
    g_assert_cmpuint(FIELD_EX64(rd64(f, REG_IQERCD), IQERCD, IQEI), ==,
                     DMAR_IQEI_RSVD);
    fx_free(f);

    /* without scalable mode DW=1 is an error (IQEI 5) */
    qi_enable256(l);
    qi_push256(l, QI_IEC, 0, 0, 0);
    qi_kick(l);
    g_assert_cmphex(rd32(l, REG_FSTS) & FSTS_IQE, ==, FSTS_IQE);
    g_assert_cmpuint(FIELD_EX64(rd64(l, REG_IQERCD), IQERCD, IQEI), ==,
                     DMAR_IQEI_DW);
    fx_free(l);
}

/* Register-based invalidation is ignored in scalable mode (§11.4.6) */
static void test_register_inv_ignored(void)
{
    DmarUnitConfig cfg = sm_config(true, true, 0);
    Sm *s = sm_new(&cfg);

    fs_map(s, s->fs, IOVA_A, PAGE_P1, FS_P | FS_US);
    sm_enable(s);
    g_assert_cmphex(xlate(s->f, IOVA_A, false), ==, PAGE_P1);
    fs_map(s, s->fs, IOVA_A, PAGE_P2, FS_P | FS_US);
    g_assert_cmphex(iotlb_inv(s->f, DMAR_IOTLB_GLOBAL, 0, 0) &
                    (3ull << 57), ==, 0);
    g_assert_cmphex(xlate(s->f, IOVA_A, false), ==, PAGE_P1);
    sm_free(s);
}

/* A pass-through RID_PASID entry lets the device's DMA bypass the unit */
static void test_bypass(void)
{
    DmarUnitConfig cfg = sm_config(true, true, 0);
    Sm *s = sm_new(&cfg);

    sm_enable(s);
    g_assert_false(dmar_unit_bypass(&s->f->u, EDU_SID));
    sm_pasid(s, 0, SM_P | PGTT(DMAR_PGTT_PT), SM_DID, 0);
    g_assert_true(dmar_unit_bypass(&s->f->u, EDU_SID));
    g_assert_cmphex(xlate(s->f, IOVA_A, true), ==, IOVA_A);
    /* second stage: no bypass */
    sm_pasid(s, 0, SM_P | PGTT(DMAR_PGTT_SS) | PE_AW(4) |
             table_new(s->f), SM_DID, 0);
    g_assert_false(dmar_unit_bypass(&s->f->u, EDU_SID));
    sm_free(s);
}

/* Requests with a PASID: cached apart from supervisor requests */
static void test_supervisor_apart(void)
{
    DmarUnitConfig cfg = sm_config(true, true, 8);
    Sm *s = sm_new(&cfg);
    DmarRequest req = {
        .addr = IOVA_A, .sid = EDU_SID, .pasid = 3,
        .type = DMAR_REQ_UNTRANSLATED, .priv = true,
    };
    DmarXlate x;

    /* PASID 3: first stage, supervisor requests enabled; a kernel page */
    sm_pasid(s, 3, SM_P | PGTT(DMAR_PGTT_FS), SM_DID, s->fs | 1);
    fs_map(s, s->fs, IOVA_A, PAGE_P1, FS_P);
    sm_enable(s);
    g_assert_true(dmar_unit_translate(&s->f->u, &req, DMAR_PERM_R, true,
                                      &x));
    g_assert_cmphex(x.t.pa, ==, PAGE_P1);
    /* the same address as a user request: the U/S fault, not the cache */
    req.priv = false;
    g_assert_false(dmar_unit_translate(&s->f->u, &req, DMAR_PERM_R, true,
                                       &x));
    g_assert_cmphex(x.fault.fr, ==, DMAR_FR_SM_USER);
    g_assert_true(x.fault.pasid_valid);
    g_assert_cmphex(x.fault.pasid, ==, 3);
    sm_free(s);
}

/*
 * A first-stage miss caches the leaves around it that a user read would
 * be granted without writing A: present, user, A set (W only with D);
 * the others are walked when used, and get their A then.
 */
static void test_fs_prefetch(void)
{
    DmarUnitConfig cfg = sm_config(true, true, 0);
    Sm *s = sm_new(&cfg);
    const uint64_t base = 0x40000000ull;
    static const struct {
        uint64_t flags;
        bool cached, w;
        uint64_t pa;            /* 0: PAGE_P1 + i pages */
    } pg[] = {
        { FS_P | FS_US | FS_A, true, false },               /* 0: walked */
        { FS_P | FS_US | FS_A, true, false },
        { FS_P | FS_US | FS_RW | FS_A, true, false },       /* clean: R */
        { FS_P | FS_US | FS_RW | FS_A | FS_D, true, true },
        { FS_P | FS_US, false, false },                     /* A clear */
        { FS_P | FS_A, false, false },                      /* supervisor */
        { FS_US | FS_A, false, false },                     /* not present */
        /* into the interrupt address range: never an answer (87h) */
        { FS_P | FS_US | FS_RW | FS_A | FS_D, false, false, 0xfee00000 },
    };
    DmarXlate x;

    for (unsigned i = 0; i < ARRAY_SIZE(pg); i++) {
        fs_map(s, s->fs, base + i * 0x1000,
               pg[i].pa ? pg[i].pa : PAGE_P1 + i * 0x1000, pg[i].flags);
    }
    sm_enable(s);
    g_assert_true(fx_dma(s->f, base, false, &x));
    g_assert_false(x.hit);
    for (unsigned i = 1; i < ARRAY_SIZE(pg); i++) {
        DmarTranslation t;
        DmarCacheKey key = { .sid = EDU_SID, .pasid = DMAR_NO_PASID,
                             .stage = DMAR_STAGE_SECOND };
        bool hit = dmar_iotlb_lookup(&s->f->u.iotlb, &key,
                                     base + i * 0x1000, &t);

        g_assert(hit == pg[i].cached);
        if (hit) {
            g_assert_cmphex(t.pa, ==, PAGE_P1 + i * 0x1000);
            g_assert_cmpuint(t.perm, ==,
                             DMAR_PERM_R | (pg[i].w ? DMAR_PERM_W : 0));
        }
    }
    /* the one with A clear: walked, and its A set now */
    g_assert_cmphex(xlate(s->f, base + 4 * 0x1000, false), ==,
                    PAGE_P1 + 4 * 0x1000);
    /* the one into the interrupt range: walked, and blocked */
    g_assert_false(fx_dma(s->f, base + 7 * 0x1000, true, &x));
    g_assert_cmphex(x.fault.fr, ==, DMAR_FR_SM_INTR_ADDR);
    sm_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dmar-unit-sm/caps", test_caps);
    g_test_add_func("/dmar-unit-sm/config-errors", test_config_errors);
    g_test_add_func("/dmar-unit-sm/ttm", test_ttm);
    g_test_add_func("/dmar-unit-sm/fs-ad-piotlb", test_fs_ad_and_piotlb);
    g_test_add_func("/dmar-unit-sm/fs-prefetch", test_fs_prefetch);
    for (unsigned i = 0; i < ARRAY_SIZE(pc_cases); i++) {
        g_autofree char *path = g_strdup_printf("/dmar-unit-sm/pasid-cache/%s",
                                                pc_cases[i].name);

        g_test_add_data_func(path, &pc_cases[i], test_pasid_cache);
    }
    g_test_add_func("/dmar-unit-sm/cc-drops-pasid-entries",
                    test_cc_drops_pasid_entries);
    g_test_add_func("/dmar-unit-sm/dw256", test_dw256);
    g_test_add_func("/dmar-unit-sm/register-inv-ignored",
                    test_register_inv_ignored);
    g_test_add_func("/dmar-unit-sm/bypass", test_bypass);
    g_test_add_func("/dmar-unit-sm/supervisor-apart", test_supervisor_apart);
    return g_test_run();
}
