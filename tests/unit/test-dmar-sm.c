/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the scalable-mode translation core (dmar-sm.c), written
 * against the Intel VT-d specification rather than against the code:
 * scalable-mode root and context entries (VT-d §9.2, §9.4), the PASID
 * directory and table (§9.5, §9.6), first-stage entries and walks (§3.6,
 * §9.7), second-stage walks in scalable mode (§3.7, §9.8), nested and
 * pass-through translation (§3.8, §3.9), and the scalable-mode fault
 * reasons with FPD (§7.1.3).
 *
 * Guest memory is the shared sparse fake (dmar-fake-mem.h). Each test
 * builds the tables it needs, runs a request through the four steps the
 * unit runs (dmar_sm_context_lookup, dmar_sm_pasid_of, dmar_pasid_lookup,
 * dmar_sm_translate) and checks where and how it ended, and what the
 * walk wrote to guest memory (Accessed and Dirty flags).
 */

#include "qemu/osdep.h"
#include "dmar-core.h"
#include "dmar-sm.h"
#include "dmar-test-util.h"
#include "dmar-fake-mem.h"

#define SAGAW_3L            (1u << 1)
#define SAGAW_4L            (1u << 2)
#define SAGAW_5L            (1u << 3)
#define SLLPS_2M            (1u << 0)
#define SLLPS_1G            (1u << 1)

#define SZ_4K               (1ull << 12)
#define SZ_2M               (1ull << 21)
#define SZ_1G               (1ull << 30)

/* PASID directories live here, one 256 KiB slot per device (sparse). */
#define DIR_BASE            0x200000000ull
#define DIR_SLOT            0x40000ull
/* Never backed by the fake: an access error */
#define UNBACKED            0x7000000000ull
/* Nested: a first-stage table at HPA h sits at GPA h + NEST_OFF */
#define NEST_OFF            0x1000000000ull

/* First-stage entry bits (§9.7) */
#define FS_P                R_FSPTE_P_MASK
#define FS_RW               R_FSPTE_RW_MASK
#define FS_US               R_FSPTE_US_MASK
#define FS_A                R_FSPTE_A_MASK
#define FS_D                R_FSPTE_D_MASK
#define FS_PS               R_FSPTE_PS_MASK
#define FS_XD               R_FSPTE_XD_MASK
#define FS_TABLE            (FS_P | FS_RW | FS_US)
#define FS_ADDR_MASK        0x000ffffffffff000ull

/* Request flags */
#define RQ_W                (1u << 0)
#define RQ_PRIV             (1u << 1)
#define RQ_EXEC             (1u << 2)
#define RQ_TRANSLATION      (1u << 3)
#define RQ_TRANSLATED       (1u << 4)

/* Context entry flags (dev_init) */
#define C_FPD               (1u << 0)
#define C_DTE               (1u << 1)
#define C_PASIDE            (1u << 2)

#define NO_PASID            DMAR_NO_PASID

/* ---- Environment: one unit, its root table, devices ---- */

typedef struct Env {
    DmarHwConfig hw;
    FakeMem m;
    DmarMem mem;
    uint64_t rta;
    uint64_t ctp[256][2];   /* lower / upper context table of each bus */
    unsigned ndev;
    bool fault_writes_ok;   /* a fault may follow some A/D updates */
} Env;

/*
 * aw-bits 48, 3- and 4-level second stage with 2 MiB and 1 GiB pages,
 * both stages, 1 GiB first-stage pages, 20-bit PASIDs, SRS and ERS,
 * pass-through and device-TLBs.
 */
static DmarHwConfig hw_default(void)
{
    return (DmarHwConfig) {
        .haw = 48, .sagaw = SAGAW_3L | SAGAW_4L,
        .sllps = SLLPS_2M | SLLPS_1G, .pt = true, .dt = true,
        .sm = true, .fsts = true, .ssts = true, .fs1gp = true,
        .pasid_bits = 20, .srs = true, .ers = true,
    };
}

/* aw-bits 57: 5-level first stage (CAP.FL5LP) and second stage. */
static DmarHwConfig hw_57(void)
{
    DmarHwConfig hw = hw_default();

    hw.haw = 57;
    hw.sagaw = SAGAW_3L | SAGAW_4L | SAGAW_5L;
    hw.fs5lp = true;
    return hw;
}

static void env_init_hw(Env *e, DmarHwConfig hw)
{
    memset(e, 0, sizeof(*e));
    e->hw = hw;
    dmar_hw_config_init(&e->hw);
    fake_mem_init(&e->m);
    e->m.pool_no_2m = true;
    e->mem = fake_mem(&e->m);
    e->rta = fake_alloc_table(&e->m);
}

static void env_init(Env *e)
{
    env_init_hw(e, hw_default());
}

static void env_destroy(Env *e)
{
    fake_mem_destroy(&e->m);
}

/* ---- Root and context entries (§9.2, §9.4) ---- */

static uint64_t root_gpa(Env *e, uint16_t sid)
{
    return e->rta + (sid >> 8) * 16 + ((sid & 0xff) >= 128 ? 8 : 0);
}

/* The context entry of SID (256 bits); creates its table if needed. */
static uint64_t ctx_gpa(Env *e, uint16_t sid)
{
    uint8_t bus = sid >> 8;
    unsigned up = (sid & 0xff) >= 128;

    if (!e->ctp[bus][up]) {
        e->ctp[bus][up] = fake_alloc_table(&e->m);
        fake_poke64(&e->m, root_gpa(e, sid), e->ctp[bus][up] | 1);
    }
    return e->ctp[bus][up] + (sid & 0x7f) * 32;
}

typedef struct Dev {
    uint16_t sid;
    uint64_t ctx;           /* context entry */
    uint64_t dir;           /* PASID directory */
    uint32_t rid_pasid;
} Dev;

static uint64_t make_ctx0(uint64_t dir, unsigned pdts, unsigned flags)
{
    uint64_t q = FIELD_DP64(0, SM_CTX0, PASIDDIRPTR, dir >> 12);

    q = FIELD_DP64(q, SM_CTX0, PDTS, pdts);
    q = FIELD_DP64(q, SM_CTX0, FPD, !!(flags & C_FPD));
    q = FIELD_DP64(q, SM_CTX0, DTE, !!(flags & C_DTE));
    q = FIELD_DP64(q, SM_CTX0, PASIDE, !!(flags & C_PASIDE));
    return FIELD_DP64(q, SM_CTX0, P, 1);
}

static void dev_init(Env *e, Dev *d, uint16_t sid, unsigned pdts,
                     uint32_t rid_pasid, unsigned flags)
{
    d->sid = sid;
    d->ctx = ctx_gpa(e, sid);
    d->dir = DIR_BASE + e->ndev++ * DIR_SLOT;
    d->rid_pasid = rid_pasid;
    fake_poke64(&e->m, d->ctx, make_ctx0(d->dir, pdts, flags));
    fake_poke64(&e->m, d->ctx + 8,
                FIELD_DP64(0, SM_CTX1, RID_PASID, rid_pasid));
    fake_poke64(&e->m, d->ctx + 16, 0);
    fake_poke64(&e->m, d->ctx + 24, 0);
}

/* The directory entry of PASID. */
static uint64_t dir_entry(Dev *d, uint32_t pasid)
{
    return d->dir + (pasid >> 6) * 8;
}

/* The PASID-table entry of PASID (512 bits); creates its table. */
static uint64_t pe_gpa(Env *e, Dev *d, uint32_t pasid)
{
    uint64_t de = fake_backed(&e->m, dir_entry(d, pasid), 8) ?
                  fake_peek64(&e->m, dir_entry(d, pasid)) : 0;
    uint64_t table = de & 0x000ffffffffff000ull;

    if (!table) {
        table = fake_alloc_table(&e->m);
        fake_poke64(&e->m, dir_entry(d, pasid), table | 1);
    }
    return table + (pasid & 63) * 64;
}

/* A PASID-table entry (§9.6), the fields this test uses. */
typedef struct Pe {
    unsigned pgtt, aw, fspm;
    uint64_t ssptptr, fsptptr;
    uint16_t did;
    bool fpd, sre, ere, wpe;
} Pe;

static void pe_write(Env *e, Dev *d, uint32_t pasid, const Pe *p)
{
    uint64_t gpa = pe_gpa(e, d, pasid);
    uint64_t q0, q1, q2;

    q0 = FIELD_DP64(0, PASID0, P, 1);
    q0 = FIELD_DP64(q0, PASID0, FPD, p->fpd);
    q0 = FIELD_DP64(q0, PASID0, AW, p->aw);
    q0 = FIELD_DP64(q0, PASID0, PGTT, p->pgtt);
    q0 = FIELD_DP64(q0, PASID0, SSPTPTR, p->ssptptr >> 12);
    q1 = FIELD_DP64(0, PASID1, DID, p->did);
    q2 = FIELD_DP64(0, PASID2, SRE, p->sre);
    q2 = FIELD_DP64(q2, PASID2, ERE, p->ere);
    q2 = FIELD_DP64(q2, PASID2, FSPM, p->fspm);
    q2 = FIELD_DP64(q2, PASID2, WPE, p->wpe);
    q2 = FIELD_DP64(q2, PASID2, FSPTPTR, p->fsptptr >> 12);
    fake_poke64(&e->m, gpa, q0);
    fake_poke64(&e->m, gpa + 8, q1);
    fake_poke64(&e->m, gpa + 16, q2);
    for (unsigned i = 3; i < 8; i++) {
        fake_poke64(&e->m, gpa + 8 * i, 0);
    }
}

/* ---- Second-stage tables (§9.8) ---- */

static uint64_t make_slpte(uint64_t addr, uint8_t perm, bool ps)
{
    uint64_t pte = FIELD_DP64(0, SLPTE, ADDR, addr >> DMAR_PAGE_SHIFT);

    pte = FIELD_DP64(pte, SLPTE, R, !!(perm & DMAR_PERM_R));
    pte = FIELD_DP64(pte, SLPTE, W, !!(perm & DMAR_PERM_W));
    return FIELD_DP64(pte, SLPTE, PS, ps);
}

/* Map IOVA -> PA (page of LEVEL) in the LEVELS-level tables at ROOT. */
static uint64_t ss_map(Env *e, uint64_t root, unsigned levels, uint64_t iova,
                       uint64_t pa, unsigned level, uint8_t perm)
{
    uint64_t table = root;

    for (unsigned l = levels; l > level; l--) {
        uint64_t gpa = table + lvl_index(l, iova) * 8;
        uint64_t pte = fake_peek64(&e->m, gpa);

        if (!(pte & DMAR_PERM_RW)) {
            pte = make_slpte(fake_alloc_table(&e->m), DMAR_PERM_RW, false);
            fake_poke64(&e->m, gpa, pte);
        }
        table = pte & R_SLPTE_ADDR_MASK;
    }
    table += lvl_index(level, iova) * 8;
    fake_poke64(&e->m, table, make_slpte(pa, perm, level > 1));
    return table;
}

/* The entry of LEVEL on the (existing) second-stage path to IOVA. */
static uint64_t ss_entry(Env *e, uint64_t root, unsigned levels,
                         uint64_t iova, unsigned level)
{
    uint64_t table = root;

    for (unsigned l = levels; l > level; l--) {
        table = fake_peek64(&e->m, table + lvl_index(l, iova) * 8) &
                R_SLPTE_ADDR_MASK;
        g_assert_true(table);
    }
    return table + lvl_index(level, iova) * 8;
}

/* ---- First-stage tables (§9.7), plain or nested ---- */

typedef struct Fs {
    Env *e;
    unsigned levels;
    uint64_t root;          /* as FSPTPTR holds it (a GPA when nested) */
    /* nested: tables at GPA = HPA + NEST_OFF, mapped in this SS */
    bool nested;
    uint64_t ssroot;
    unsigned sslevels;
    uint8_t ss_perm;        /* of the SS mappings of FS tables */
} Fs;

static uint64_t fs_hpa(const Fs *t, uint64_t gpa)
{
    return t->nested ? gpa - NEST_OFF : gpa;
}

static uint64_t fs_alloc(Fs *t)
{
    uint64_t hpa = fake_alloc_table(&t->e->m);

    if (!t->nested) {
        return hpa;
    }
    ss_map(t->e, t->ssroot, t->sslevels, hpa + NEST_OFF, hpa, 1,
           t->ss_perm);
    return hpa + NEST_OFF;
}

static void fs_init(Fs *t, Env *e, unsigned levels)
{
    *t = (Fs) { .e = e, .levels = levels };
    t->root = fs_alloc(t);
}

static void fs_init_nested(Fs *t, Env *e, unsigned levels, uint64_t ssroot,
                           unsigned sslevels)
{
    *t = (Fs) {
        .e = e, .levels = levels, .nested = true, .ssroot = ssroot,
        .sslevels = sslevels, .ss_perm = DMAR_PERM_RW,
    };
    t->root = fs_alloc(t);
}

/*
 * Map VA -> PA, a page of LEVEL, LEAF the flags of the leaf (PS added
 * for large pages). New table entries get FS_TABLE; existing ones stay.
 * Returns the HPA of the leaf entry.
 */
static uint64_t fs_map(Fs *t, uint64_t va, uint64_t pa, unsigned level,
                       uint64_t leaf)
{
    uint64_t table = t->root;
    uint64_t gpa;

    for (unsigned l = t->levels; l > level; l--) {
        uint64_t pte;

        gpa = fs_hpa(t, table) + lvl_index(l, va) * 8;
        pte = fake_peek64(&t->e->m, gpa);
        if (!(pte & FS_P)) {
            pte = fs_alloc(t) | FS_TABLE;
            fake_poke64(&t->e->m, gpa, pte);
        }
        table = pte & FS_ADDR_MASK;
    }
    gpa = fs_hpa(t, table) + lvl_index(level, va) * 8;
    fake_poke64(&t->e->m, gpa, pa | leaf | (level > 1 ? FS_PS : 0));
    return gpa;
}

/* HPA of the entry of LEVEL on the (existing) path to VA. */
static uint64_t fs_entry(const Fs *t, uint64_t va, unsigned level)
{
    uint64_t table = t->root;

    for (unsigned l = t->levels; l > level; l--) {
        table = fake_peek64(&t->e->m, fs_hpa(t, table) +
                            lvl_index(l, va) * 8) & FS_ADDR_MASK;
        g_assert_true(table);
    }
    return fs_hpa(t, table) + lvl_index(level, va) * 8;
}

static void fs_set(const Fs *t, uint64_t va, unsigned level, uint64_t set,
                   uint64_t clear)
{
    uint64_t gpa = fs_entry(t, va, level);

    fake_poke64(&t->e->m, gpa, (fake_peek64(&t->e->m, gpa) & ~clear) | set);
}

/* ---- Running a request ---- */

typedef enum Stage {
    AT_CTX = 1,             /* dmar_sm_context_lookup() faulted */
    AT_PASID_OF,            /* dmar_sm_pasid_of() */
    AT_PASID,               /* dmar_pasid_lookup() */
    AT_XLATE,               /* dmar_sm_translate() */
    AT_OK,
} Stage;

static const char *const stage_names[] = {
    "?", "context lookup", "pasid_of", "PASID lookup", "translate", "ok",
};

typedef struct Res {
    Stage stage;
    DmarRequest req;
    DmarContext ctx;
    DmarPasidEntry pe;
    uint32_t pasid;
    DmarTranslation tr;
    DmarFault f;
    unsigned reads;         /* by dmar_sm_translate() */
    unsigned writes;        /* write and cmpxchg calls, all steps */
} Res;

static DmarRequest rq(uint16_t sid, uint32_t pasid, uint64_t addr,
                      unsigned flags)
{
    return (DmarRequest) {
        .addr = addr, .sid = sid, .pasid = pasid,
        .type = flags & RQ_TRANSLATION ? DMAR_REQ_TRANSLATION :
                flags & RQ_TRANSLATED ? DMAR_REQ_TRANSLATED :
                DMAR_REQ_UNTRANSLATED,
        .is_write = flags & RQ_W, .priv = flags & RQ_PRIV,
        .exec = flags & RQ_EXEC,
    };
}

static Stage run_req(Env *e, DmarRequest req, Res *r)
{
    memset(r, 0, sizeof(*r));
    r->req = req;
    e->m.write_calls = e->m.cas_calls = 0;
    g_array_set_size(e->m.writes, 0);
    r->stage = AT_CTX;
    if (!dmar_sm_context_lookup(&e->hw, e->rta, req.sid, &e->mem, &r->ctx,
                                &r->f)) {
        goto out;
    }
    g_assert_cmpint(r->ctx.mode, ==, DMAR_CTX_SCALABLE);
    g_assert_cmphex(r->ctx.sid, ==, req.sid);
    r->stage = AT_PASID_OF;
    if (!dmar_sm_pasid_of(&e->hw, &r->ctx, &req, &r->pasid, &r->f)) {
        goto out;
    }
    r->stage = AT_PASID;
    if (!dmar_pasid_lookup(&e->hw, &r->ctx, r->pasid, &e->mem, &r->pe,
                           &r->f)) {
        goto out;
    }
    g_assert_cmphex(r->pe.sid, ==, req.sid);
    g_assert_cmphex(r->pe.pasid, ==, r->pasid);
    r->stage = AT_XLATE;
    e->m.reads = 0;
    if (!dmar_sm_translate(&e->hw, &r->ctx, &r->pe, &req, &e->mem, &r->tr,
                           &r->f)) {
        r->reads = e->m.reads;
        goto out;
    }
    r->reads = e->m.reads;
    r->stage = AT_OK;
out:
    r->writes = e->m.write_calls + e->m.cas_calls;
    /*
     * 87h comes after the walk: the entries it used may have been marked
     * accessed (but a blocked write dirties nothing: see test_fs_intr).
     */
    if (r->stage != AT_OK && !e->fault_writes_ok &&
        r->f.fr != DMAR_FR_SM_INTR_ADDR) {
        /* Nothing is written for a request that faults (A/D included). */
        g_assert_cmpuint(r->writes, ==, 0);
    }
    return r->stage;
}

static Stage run(Env *e, uint16_t sid, uint32_t pasid, uint64_t addr,
                 unsigned flags, Res *r)
{
    return run_req(e, rq(sid, pasid, addr, flags), r);
}

static void res_fail(const Res *r, const char *what)
{
    g_test_message("request sid 0x%04x pasid 0x%x addr 0x%" PRIx64
                   " %s%s%s: ended at %s, fault 0x%x level %u fpd %u",
                   r->req.sid, r->req.pasid, r->req.addr,
                   r->req.is_write ? "write" : "read",
                   r->req.priv ? " priv" : "", r->req.exec ? " exec" : "",
                   stage_names[r->stage], r->f.fr, r->f.level, r->f.fpd);
    g_test_message("FAIL: %s", what);
    g_test_fail();
}

/* The request faulted with FR in STAGE (FPD as given). */
static void expect_fault(const Res *r, Stage stage, DmarFaultReason fr,
                         bool fpd)
{
    if (r->stage != stage || r->f.fr != fr) {
        g_autofree char *msg =
            g_strdup_printf("expected fault 0x%x at %s, got 0x%x at %s",
                            fr, stage_names[stage], r->f.fr,
                            stage_names[r->stage]);
        res_fail(r, msg);
        return;
    }
    g_assert_cmphex(r->f.sid, ==, r->req.sid);
    if (r->f.fpd != fpd) {
        res_fail(r, fpd ? "FPD should suppress this fault" :
                 "FPD must not suppress this fault");
    }
    if (stage == AT_PASID_OF) {
        g_assert_cmphex(r->f.addr, ==, r->req.addr);
    }
    if (stage == AT_XLATE) {
        /* The request's address, direction, PASID, PRIV and EXE (§7.1.3) */
        g_assert_cmphex(r->f.addr, ==, r->req.addr);
        g_assert_true(r->f.is_write == r->req.is_write);
        g_assert_true(r->f.pasid_valid == (r->req.pasid != NO_PASID));
        if (r->f.pasid_valid) {
            g_assert_cmphex(r->f.pasid, ==, r->req.pasid);
            g_assert_true(r->f.priv == r->req.priv);
            g_assert_true(r->f.exec == r->req.exec);
        }
    }
}

static void expect_xfault(const Res *r, DmarFaultReason fr)
{
    expect_fault(r, AT_XLATE, fr, false);
}

/* Success: ADDR lands at PA, in a page of SIZE, with PERM. */
static void expect_ok(const Res *r, uint64_t pa, uint64_t size, uint8_t perm)
{
    if (r->stage != AT_OK) {
        res_fail(r, "expected a translation");
        return;
    }
    g_assert_cmphex(r->tr.mask, ==, size - 1);
    g_assert_cmphex(r->tr.iova, ==, r->req.addr & ~(size - 1));
    g_assert_cmphex(r->tr.pa + (r->req.addr & r->tr.mask), ==, pa);
    g_assert_cmpuint(r->tr.perm, ==, perm);
}

/* ---- A device with one PASID entry, and its tables ---- */

#define SID_A               0x0310      /* 03:02.0: lower context table */
#define SID_B               0x0390      /* 03:12.0: upper context table */
#define RIDP                0x0         /* RID_PASID of the test devices */
#define PASID_X             0x1234

typedef struct Setup {
    Env e;
    Dev d;
    Fs fs;
    uint64_t ssroot;
    unsigned sslevels;
} Setup;

/*
 * A device SID (PDTS 7, PASIDE, DTE) whose RID_PASID and PASID_X both
 * translate with PGTT: first stage of FS_LEVELS, second stage of
 * SS_LEVELS, both nested, or pass-through.
 */
static void setup_hw(Setup *s, DmarHwConfig hw, unsigned pgtt,
                     unsigned fs_levels, unsigned ss_levels, unsigned cflags)
{
    Pe pe = { .pgtt = pgtt, .did = 0x42, .sre = true, .ere = true };

    env_init_hw(&s->e, hw);
    dev_init(&s->e, &s->d, SID_A, 7, RIDP, cflags | C_PASIDE | C_DTE);
    s->sslevels = ss_levels;
    if (pgtt == DMAR_PGTT_SS || pgtt == DMAR_PGTT_NESTED) {
        s->ssroot = fake_alloc_table(&s->e.m);
        pe.ssptptr = s->ssroot;
        pe.aw = DMAR_LEVELS_TO_AW(ss_levels);
    }
    if (pgtt == DMAR_PGTT_FS) {
        fs_init(&s->fs, &s->e, fs_levels);
    } else if (pgtt == DMAR_PGTT_NESTED) {
        fs_init_nested(&s->fs, &s->e, fs_levels, s->ssroot, ss_levels);
    }
    if (pgtt == DMAR_PGTT_FS || pgtt == DMAR_PGTT_NESTED) {
        pe.fsptptr = s->fs.root;
        pe.fspm = fs_levels == 5;
    }
    pe_write(&s->e, &s->d, RIDP, &pe);
    pe_write(&s->e, &s->d, PASID_X, &pe);
}

static void setup(Setup *s, unsigned pgtt, unsigned fs_levels,
                  unsigned ss_levels)
{
    setup_hw(s, fs_levels == 5 || ss_levels == 5 ? hw_57() : hw_default(),
             pgtt, fs_levels, ss_levels, 0);
}

static uint64_t pe_of(Setup *s, uint32_t pasid)
{
    return pe_gpa(&s->e, &s->d, pasid);
}

static void pe_or(Setup *s, uint32_t pasid, unsigned qw, uint64_t bits)
{
    fake_or64(&s->e.m, pe_of(s, pasid) + qw * 8, bits);
}

static void pe_field(Setup *s, uint32_t pasid, unsigned qw, uint64_t mask,
                     uint64_t val)
{
    uint64_t gpa = pe_of(s, pasid) + qw * 8;

    fake_poke64(&s->e.m, gpa, (fake_peek64(&s->e.m, gpa) & ~mask) | val);
}

/* ================= Root entries (§9.2) ================= */

static void test_root_halves(void)
{
    Env e;
    Dev a, b;
    Res r;

    env_init(&e);
    dev_init(&e, &a, SID_A, 1, 5, 0);
    dev_init(&e, &b, SID_B, 2, 6, C_PASIDE);
    /* Each half leads to its own context table. */
    g_assert_cmpuint(run(&e, SID_A, NO_PASID, 0, 0, &r), >, AT_CTX);
    g_assert_cmphex(r.ctx.pasid_dir, ==, a.dir);
    g_assert_cmpuint(r.ctx.pdts, ==, 1);
    g_assert_cmpuint(r.ctx.rid_pasid, ==, 5);
    g_assert_false(r.ctx.paside);
    g_assert_cmpuint(run(&e, SID_B, NO_PASID, 0, 0, &r), >, AT_CTX);
    g_assert_cmphex(r.ctx.pasid_dir, ==, b.dir);
    g_assert_cmpuint(r.ctx.pdts, ==, 2);
    g_assert_cmpuint(r.ctx.rid_pasid, ==, 6);
    g_assert_true(r.ctx.paside);
    /* The entry of devfn 0x12 is entry 0x12 of the upper table. */
    g_assert_cmphex(b.ctx, ==, e.ctp[3][1] + 0x10 * 32);

    /* Upper not present: only devfn >= 128 fault (junk ignored). */
    fake_poke64(&e.m, root_gpa(&e, SID_B), 0xffe);
    run(&e, SID_B, NO_PASID, 0, 0, &r);
    expect_fault(&r, AT_CTX, DMAR_FR_SM_ROOT_NOT_PRESENT, false);
    g_assert_cmpuint(run(&e, SID_A, NO_PASID, 0, 0, &r), >, AT_CTX);
    /* Lower not present: devfn < 128 only. */
    fake_poke64(&e.m, root_gpa(&e, SID_B), e.ctp[3][1] | 1);
    fake_poke64(&e.m, root_gpa(&e, SID_A), e.ctp[3][0]);
    run(&e, SID_A, NO_PASID, 0, 0, &r);
    expect_fault(&r, AT_CTX, DMAR_FR_SM_ROOT_NOT_PRESENT, false);
    g_assert_cmpuint(run(&e, SID_B, NO_PASID, 0, 0, &r), >, AT_CTX);
    /* A bus without a root entry */
    run(&e, 0x0700, NO_PASID, 0, 0, &r);
    expect_fault(&r, AT_CTX, DMAR_FR_SM_ROOT_NOT_PRESENT, false);
    env_destroy(&e);
}

typedef struct RootCase {
    const char *name;
    bool upper;             /* the device's devfn >= 128 */
    uint64_t set;           /* bits set in the half the device uses */
    bool dangling;          /* the context table cannot be read */
    DmarFaultReason fr;
} RootCase;

static const RootCase root_cases[] = {
    { "lo-bit1", false, 1ull << 1, .fr = DMAR_FR_SM_ROOT_RSVD },
    { "lo-bit11", false, 1ull << 11, .fr = DMAR_FR_SM_ROOT_RSVD },
    { "lo-ctp-haw", false, 1ull << 48, .fr = DMAR_FR_SM_ROOT_RSVD },
    { "lo-ctp-bit63", false, 1ull << 63, .fr = DMAR_FR_SM_ROOT_RSVD },
    { "hi-bit1", true, 1ull << 1, .fr = DMAR_FR_SM_ROOT_RSVD },
    { "hi-bit7", true, 1ull << 7, .fr = DMAR_FR_SM_ROOT_RSVD },
    { "hi-ctp-haw", true, 1ull << 51, .fr = DMAR_FR_SM_ROOT_RSVD },
    { "lo-dangling", false, .dangling = true,
      .fr = DMAR_FR_SM_CTX_ACCESS },
    { "hi-dangling", true, .dangling = true, .fr = DMAR_FR_SM_CTX_ACCESS },
};

static void test_root_case(const void *opaque)
{
    const RootCase *c = opaque;
    uint16_t sid = c->upper ? SID_B : SID_A;
    uint16_t other = c->upper ? SID_A : SID_B;
    Env e;
    Dev d, o;
    Res r;

    env_init(&e);
    /* FPD in the context entry: root faults are never suppressed. */
    dev_init(&e, &d, sid, 0, 0, C_FPD);
    dev_init(&e, &o, other, 0, 0, 0);
    if (c->dangling) {
        fake_poke64(&e.m, root_gpa(&e, sid), UNBACKED | 1);
    }
    fake_or64(&e.m, root_gpa(&e, sid), c->set);
    run(&e, sid, NO_PASID, 0, 0, &r);
    expect_fault(&r, AT_CTX, c->fr, false);
    /* The other half is not looked at. */
    g_assert_cmpuint(run(&e, other, NO_PASID, 0, 0, &r), >, AT_CTX);
    env_destroy(&e);
}

/* ================= Context entries (§9.4) ================= */

typedef struct CtxCase {
    const char *name;
    unsigned qw;            /* which quadword gets SET */
    uint64_t set;
    uint64_t clear;         /* bits cleared from qw0 */
    bool no_dt, no_pasid;   /* hw: ECAP.DT / PASID not offered */
    DmarFaultReason fr;
} CtxCase;

static const CtxCase ctx_cases[] = {
    { "not-present", 0, 0, R_SM_CTX0_P_MASK,
      .fr = DMAR_FR_SM_CTX_NOT_PRESENT },
    { "not-present-junk", 0, 0x1e0 | (1ull << 60), R_SM_CTX0_P_MASK,
      .fr = DMAR_FR_SM_CTX_NOT_PRESENT },
    { "qw0-bit5", 0, 1ull << 5, .fr = DMAR_FR_SM_CTX_RSVD },
    { "qw0-bit6", 0, 1ull << 6, .fr = DMAR_FR_SM_CTX_RSVD },
    { "qw0-bit7", 0, 1ull << 7, .fr = DMAR_FR_SM_CTX_RSVD },
    { "qw0-bit8", 0, 1ull << 8, .fr = DMAR_FR_SM_CTX_RSVD },
    { "pre", 0, R_SM_CTX0_PRE_MASK, .fr = DMAR_FR_SM_CTX_RSVD },
    { "dirptr-haw", 0, 1ull << 48, .fr = DMAR_FR_SM_CTX_RSVD },
    { "dirptr-bit63", 0, 1ull << 63, .fr = DMAR_FR_SM_CTX_RSVD },
    { "dte-without-dt", 0, R_SM_CTX0_DTE_MASK, .no_dt = true,
      .fr = DMAR_FR_SM_CTX_RSVD },
    { "paside-without-pasid", 0, R_SM_CTX0_PASIDE_MASK, .no_pasid = true,
      .fr = DMAR_FR_SM_CTX_RSVD },
    { "rid-priv", 1, R_SM_CTX1_RID_PRIV_MASK, .fr = DMAR_FR_SM_CTX_RSVD },
    { "qw1-bit21", 1, 1ull << 21, .fr = DMAR_FR_SM_CTX_RSVD },
    { "qw1-bit63", 1, 1ull << 63, .fr = DMAR_FR_SM_CTX_RSVD },
    { "qw2-bit0", 2, 1ull << 0, .fr = DMAR_FR_SM_CTX_RSVD },
    { "qw2-bit63", 2, 1ull << 63, .fr = DMAR_FR_SM_CTX_RSVD },
    { "qw3-bit0", 3, 1ull << 0, .fr = DMAR_FR_SM_CTX_RSVD },
    { "qw3-bit40", 3, 1ull << 40, .fr = DMAR_FR_SM_CTX_RSVD },
    { "dte-with-dt", 0, R_SM_CTX0_DTE_MASK },
    { "paside-with-pasid", 0, R_SM_CTX0_PASIDE_MASK },
};

static void test_ctx_case(const void *opaque)
{
    const CtxCase *c = opaque;

    for (int fpd = 0; fpd <= 1; fpd++) {
        DmarHwConfig hw = hw_default();
        Env e;
        Dev d;
        Res r;

        hw.dt = !c->no_dt;
        if (c->no_pasid) {
            hw.pasid_bits = 0;
            hw.srs = hw.ers = false;
        }
        env_init_hw(&e, hw);
        dev_init(&e, &d, SID_B, 3, 0x77, fpd ? C_FPD : 0);
        fake_poke64(&e.m, d.ctx, fake_peek64(&e.m, d.ctx) & ~c->clear);
        fake_or64(&e.m, d.ctx + c->qw * 8, c->set);
        run(&e, SID_B, NO_PASID, 0, 0, &r);
        if (c->fr == DMAR_FR_NONE) {
            g_assert_cmpuint(r.stage, >, AT_CTX);
            g_assert_true(r.ctx.dte == !!(c->set & R_SM_CTX0_DTE_MASK));
            g_assert_true(r.ctx.paside == !!(c->set & R_SM_CTX0_PASIDE_MASK));
            g_assert_true(r.ctx.fpd == fpd);
            g_assert_false(r.ctx.pre);
            g_assert_cmphex(r.ctx.pasid_dir, ==, d.dir);
            g_assert_cmpuint(r.ctx.pdts, ==, 3);
            g_assert_cmphex(r.ctx.rid_pasid, ==, 0x77);
        } else {
            /* 0x42 is never suppressed (§7.1.3) */
            expect_fault(&r, AT_CTX, c->fr,
                         fpd && c->fr != DMAR_FR_SM_CTX_RSVD);
        }
        env_destroy(&e);
    }
}

/* ============ Which PASID (§9.4: RID_PASID, PASIDE, PDTS) ============ */

typedef struct PasidOfCase {
    const char *name;
    unsigned pdts;
    unsigned cflags;
    uint32_t rid_pasid;
    uint8_t pasid_bits;
    uint32_t pasid;         /* of the request */
    unsigned rqflags;
    DmarFaultReason fr;     /* NONE: uses PASID (or RID_PASID) */
} PasidOfCase;

static const PasidOfCase pasid_of_cases[] = {
    { "rid-pasid", 7, C_PASIDE, 0x321, 20, NO_PASID },
    { "rid-pasid-without-paside", 7, 0, 0x321, 20, NO_PASID },
    { "with-pasid", 7, C_PASIDE, 0x321, 20, 0xabcde },
    { "max-pasid", 7, C_PASIDE, 0, 20, 0xfffff },
    { "without-paside", 7, 0, 0, 20, 5, .fr = DMAR_FR_SM_PASIDE },
    { "beyond-pasid-bits", 7, C_PASIDE, 0, 8, 0x100,
      .fr = DMAR_FR_SM_PASID_BEYOND },
    { "last-of-pasid-bits", 7, C_PASIDE, 0, 8, 0xff },
    { "beyond-20-bits", 7, C_PASIDE, 0, 20, 0x100000,
      .fr = DMAR_FR_SM_PASID_BEYOND },
    /* PDTS 0: 128 directory entries of 64 PASIDs each */
    { "pdts0-last", 0, C_PASIDE, 0, 20, 8191 },
    { "pdts0-beyond", 0, C_PASIDE, 0, 20, 8192,
      .fr = DMAR_FR_SM_PASID_BEYOND },
    { "pdts3-last", 3, C_PASIDE, 0, 20, 0xffff },
    { "pdts3-beyond", 3, C_PASIDE, 0, 20, 0x10000,
      .fr = DMAR_FR_SM_PASID_BEYOND },
    { "rid-pasid-beyond", 0, C_PASIDE, 8192, 20, NO_PASID,
      .fr = DMAR_FR_SM_RID_PASID },
    { "rid-pasid-beyond-pdts2", 2, 0, 0x8000, 20, NO_PASID,
      .fr = DMAR_FR_SM_RID_PASID },
    /* The bad RID_PASID does not matter to requests with a PASID */
    { "rid-pasid-beyond-pasid-ok", 0, C_PASIDE, 8192, 20, 7 },
    /* DTE = 0: translation and translated requests (§9.4) */
    { "translation-without-dte", 7, C_PASIDE, 0, 20, NO_PASID,
      RQ_TRANSLATION, .fr = DMAR_FR_SM_DTE },
    { "translated-without-dte", 7, C_PASIDE, 0, 20, NO_PASID,
      RQ_TRANSLATED, .fr = DMAR_FR_SM_DTE },
    { "translation-pasid-without-dte", 7, C_PASIDE, 0, 20, 9,
      RQ_TRANSLATION, .fr = DMAR_FR_SM_DTE },
    { "translation-with-dte", 7, C_PASIDE | C_DTE, 0, 20, NO_PASID,
      RQ_TRANSLATION },
};

static void test_pasid_of(const void *opaque)
{
    const PasidOfCase *c = opaque;

    for (int fpd = 0; fpd <= 1; fpd++) {
        DmarHwConfig hw = hw_default();
        Env e;
        Dev d;
        Res r;

        hw.pasid_bits = c->pasid_bits;
        env_init_hw(&e, hw);
        dev_init(&e, &d, SID_A, c->pdts, c->rid_pasid,
                 c->cflags | (fpd ? C_FPD : 0));
        run(&e, SID_A, c->pasid, 0x1000, c->rqflags, &r);
        if (c->fr) {
            expect_fault(&r, AT_PASID_OF, c->fr, fpd);
        } else {
            /* It went on to the (empty) PASID directory. */
            g_assert_cmpuint(r.stage, >=, AT_PASID);
            g_assert_cmphex(r.pasid, ==, c->pasid == NO_PASID ?
                            c->rid_pasid : c->pasid);
        }
        env_destroy(&e);
    }
}

/* ============ PASID directory and table entries (§9.5, §9.6) ============ */

enum { WHERE_DIR = 1, WHERE_PE, WHERE_CTX_DIRPTR, WHERE_TABLE_PTR };

typedef struct PeCase {
    const char *name;
    unsigned pgtt;
    unsigned where;         /* what gets damaged */
    unsigned qw;            /* WHERE_PE: the quadword */
    uint64_t set, clear;
    unsigned aw;            /* SS and nested: AW (0: 4-level) */
    unsigned fspm;
    /* hw offers less */
    bool no_fsts, no_ssts, no_pt, no_srs, no_ers;
    DmarFaultReason fr;
} PeCase;

#define PE_RSVD(n, q, bit, pg) \
    { n, pg, WHERE_PE, q, 1ull << (bit), .fr = DMAR_FR_PASID_RSVD }

static const PeCase pe_cases[] = {
    { "dir-not-present", DMAR_PGTT_SS, WHERE_DIR, 0, 0, R_PASID_DIR_P_MASK,
      .fr = DMAR_FR_PASID_DIR_NOT_PRESENT },
    { "dir-not-present-junk", DMAR_PGTT_SS, WHERE_DIR, 0, 0xff0,
      R_PASID_DIR_P_MASK, .fr = DMAR_FR_PASID_DIR_NOT_PRESENT },
    { "dir-bit2", DMAR_PGTT_SS, WHERE_DIR, 0, 1ull << 2,
      .fr = DMAR_FR_PASID_DIR_RSVD },
    { "dir-bit11", DMAR_PGTT_SS, WHERE_DIR, 0, 1ull << 11,
      .fr = DMAR_FR_PASID_DIR_RSVD },
    { "dir-ptr-haw", DMAR_PGTT_SS, WHERE_DIR, 0, 1ull << 48,
      .fr = DMAR_FR_PASID_DIR_RSVD },
    { "dir-ptr-bit63", DMAR_PGTT_SS, WHERE_DIR, 0, 1ull << 63,
      .fr = DMAR_FR_PASID_DIR_RSVD },
    { "dir-unreadable", DMAR_PGTT_SS, WHERE_CTX_DIRPTR,
      .fr = DMAR_FR_PASID_DIR_ACCESS },
    { "table-unreadable", DMAR_PGTT_SS, WHERE_TABLE_PTR,
      .fr = DMAR_FR_PASID_ACCESS },
    { "not-present", DMAR_PGTT_FS, WHERE_PE, 0, 0, R_PASID0_P_MASK,
      .fr = DMAR_FR_PASID_NOT_PRESENT },
    { "not-present-junk", DMAR_PGTT_FS, WHERE_PE, 0, 0xe20,
      R_PASID0_P_MASK, .fr = DMAR_FR_PASID_NOT_PRESENT },
    PE_RSVD("ssee", 0, 5, DMAR_PGTT_SS),
    PE_RSVD("ssade", 0, 9, DMAR_PGTT_SS),
    PE_RSVD("qw0-bit10", 0, 10, DMAR_PGTT_SS),
    PE_RSVD("qw0-bit11", 0, 11, DMAR_PGTT_FS),
    PE_RSVD("ssptptr-haw", 0, 48, DMAR_PGTT_SS),
    PE_RSVD("ssptptr-haw-nested", 0, 50, DMAR_PGTT_NESTED),
    PE_RSVD("qw1-bit16", 1, 16, DMAR_PGTT_SS),
    PE_RSVD("qw1-bit22", 1, 22, DMAR_PGTT_FS),
    PE_RSVD("qw1-bit25", 1, 25, DMAR_PGTT_SS),
    PE_RSVD("qw1-bit63", 1, 63, DMAR_PGTT_FS),
    PE_RSVD("qw2-bit5", 2, 5, DMAR_PGTT_FS),
    PE_RSVD("qw2-bit6", 2, 6, DMAR_PGTT_FS),
    PE_RSVD("eafe", 2, 7, DMAR_PGTT_FS),
    PE_RSVD("qw2-bit8", 2, 8, DMAR_PGTT_FS),
    PE_RSVD("qw2-bit11", 2, 11, DMAR_PGTT_NESTED),
    PE_RSVD("fsptptr-haw", 2, 48, DMAR_PGTT_FS),
    PE_RSVD("fsptptr-bit63", 2, 63, DMAR_PGTT_NESTED),
    PE_RSVD("qw3-bit0", 3, 0, DMAR_PGTT_FS),
    PE_RSVD("qw4-bit63", 4, 63, DMAR_PGTT_SS),
    PE_RSVD("qw5-bit12", 5, 12, DMAR_PGTT_PT),
    PE_RSVD("qw6-bit1", 6, 1, DMAR_PGTT_FS),
    PE_RSVD("qw7-bit31", 7, 31, DMAR_PGTT_SS),
    { "sre-without-srs", DMAR_PGTT_FS, WHERE_PE, 2, R_PASID2_SRE_MASK,
      .no_srs = true, .fr = DMAR_FR_PASID_RSVD },
    { "ere-without-ers", DMAR_PGTT_FS, WHERE_PE, 2, R_PASID2_ERE_MASK,
      .no_ers = true, .fr = DMAR_FR_PASID_RSVD },
    { "pgtt0", 0, .fr = DMAR_FR_PASID_INVALID },
    { "pgtt5", 5, .fr = DMAR_FR_PASID_INVALID },
    { "pgtt6", 6, .fr = DMAR_FR_PASID_INVALID },
    { "pgtt7", 7, .fr = DMAR_FR_PASID_INVALID },
    { "fs-without-fsts", DMAR_PGTT_FS, .no_fsts = true,
      .fr = DMAR_FR_PASID_INVALID },
    { "ss-without-ssts", DMAR_PGTT_SS, .no_ssts = true,
      .fr = DMAR_FR_PASID_INVALID },
    { "nested-without-fsts", DMAR_PGTT_NESTED, .no_fsts = true,
      .fr = DMAR_FR_PASID_INVALID },
    { "nested-without-ssts", DMAR_PGTT_NESTED, .no_ssts = true,
      .fr = DMAR_FR_PASID_INVALID },
    { "pt-without-pt", DMAR_PGTT_PT, .no_pt = true,
      .fr = DMAR_FR_PASID_INVALID },
    { "ss-aw-5l", DMAR_PGTT_SS, .aw = 3, .fr = DMAR_FR_PASID_INVALID },
    { "ss-aw-2l", DMAR_PGTT_SS, .aw = 0, .fr = DMAR_FR_PASID_INVALID },
    { "ss-aw-7", DMAR_PGTT_SS, .aw = 7, .fr = DMAR_FR_PASID_INVALID },
    { "nested-aw-5l", DMAR_PGTT_NESTED, .aw = 3,
      .fr = DMAR_FR_PASID_INVALID },
    { "fspm-5l-without-fl5lp", DMAR_PGTT_FS, .fspm = 1,
      .fr = DMAR_FR_PASID_INVALID },
    { "nested-fspm-5l-without-fl5lp", DMAR_PGTT_NESTED, .fspm = 1,
      .fr = DMAR_FR_PASID_INVALID },
    /* FSPM is a first-stage field */
    { "ss-ignores-fspm", DMAR_PGTT_SS, .fspm = 1 },
    /* What is offered decodes */
    { "ss-3l", DMAR_PGTT_SS, .aw = 1 },
    { "ss-4l", DMAR_PGTT_SS, .aw = 2 },
    { "fs-4l", DMAR_PGTT_FS },
    { "nested", DMAR_PGTT_NESTED, .aw = 2 },
    { "pt", DMAR_PGTT_PT },
    { "pwsnp-pgsnp", DMAR_PGTT_SS, WHERE_PE, 1,
      R_PASID1_PWSNP_MASK | R_PASID1_PGSNP_MASK, .aw = 2 },
    { "sre-ere-wpe", DMAR_PGTT_FS, WHERE_PE, 2,
      R_PASID2_SRE_MASK | R_PASID2_ERE_MASK | R_PASID2_WPE_MASK },
};

static void test_pe_case(const void *opaque)
{
    const PeCase *c = opaque;

    for (unsigned fpd = 0; fpd < 8; fpd++) {
        /* bit 0: context FPD, bit 1: directory FPD, bit 2: entry FPD */
        DmarHwConfig hw = hw_default();
        uint32_t pasid = fpd & 1 ? PASID_X : RIDP;
        Pe pe = {
            .pgtt = c->pgtt, .aw = c->aw ? c->aw : 2, .fspm = c->fspm,
            .did = 0x1234, .fpd = fpd & 4,
        };
        bool ss = c->pgtt == DMAR_PGTT_SS || c->pgtt == DMAR_PGTT_NESTED;
        bool fs = c->pgtt == DMAR_PGTT_FS || c->pgtt == DMAR_PGTT_NESTED;
        bool sup;
        Env e;
        Dev d;
        Res r;

        if (!strcmp(c->name, "ss-aw-2l")) {
            pe.aw = 0;
        }
        hw.fsts = !c->no_fsts;
        hw.ssts = !c->no_ssts;
        hw.pt = !c->no_pt;
        hw.srs = !c->no_srs;
        hw.ers = !c->no_ers;
        env_init_hw(&e, hw);
        dev_init(&e, &d, SID_A, 7, RIDP, C_PASIDE | (fpd & 1 ? C_FPD : 0));
        pe.ssptptr = 0x345000;
        pe.fsptptr = 0x678000;
        pe_write(&e, &d, pasid, &pe);
        if (fpd & 2) {
            fake_or64(&e.m, dir_entry(&d, pasid), R_PASID_DIR_FPD_MASK);
        }
        switch (c->where) {
        case WHERE_DIR:
            fake_poke64(&e.m, dir_entry(&d, pasid),
                        (fake_peek64(&e.m, dir_entry(&d, pasid)) &
                         ~c->clear) | c->set);
            break;
        case WHERE_PE:
            fake_poke64(&e.m, pe_gpa(&e, &d, pasid) + c->qw * 8,
                        (fake_peek64(&e.m, pe_gpa(&e, &d, pasid) +
                                     c->qw * 8) & ~c->clear) | c->set);
            break;
        case WHERE_CTX_DIRPTR:
            fake_poke64(&e.m, d.ctx, make_ctx0(UNBACKED, 7, C_PASIDE |
                                               (fpd & 1 ? C_FPD : 0)));
            break;
        case WHERE_TABLE_PTR:
            fake_poke64(&e.m, dir_entry(&d, pasid), UNBACKED | 1 |
                        (fpd & 2 ? R_PASID_DIR_FPD_MASK : 0));
            break;
        }
        run(&e, SID_A, pasid == RIDP ? NO_PASID : pasid, 0x5000, 0, &r);
        if (c->fr == DMAR_FR_NONE) {
            g_assert_cmpuint(r.stage, >=, AT_XLATE);
            g_assert_cmphex(r.pe.did, ==, 0x1234);
            g_assert_cmpuint(r.pe.pgtt, ==, c->pgtt);
            g_assert_true(r.pe.fpd == !!fpd);
            if (ss) {
                g_assert_cmpuint(r.pe.ss_levels, ==, pe.aw + 2);
                g_assert_cmphex(r.pe.ssptptr, ==, 0x345000);
            }
            if (fs) {
                g_assert_cmpuint(r.pe.fs_levels, ==, 4);
                g_assert_cmphex(r.pe.fsptptr, ==, 0x678000);
            }
            if (c->qw == 2 && c->set) {
                g_assert_true(r.pe.sre && r.pe.ere && r.pe.wpe);
            } else {
                g_assert_false(r.pe.sre || r.pe.ere || r.pe.wpe);
            }
            env_destroy(&e);
            continue;
        }
        /*
         * FPD of the context, the directory entry or the PASID entry
         * suppresses what is found at or below it.
         */
        switch (c->fr) {
        case DMAR_FR_PASID_DIR_ACCESS:
            sup = fpd & 1;
            break;
        case DMAR_FR_PASID_DIR_NOT_PRESENT:
        case DMAR_FR_PASID_DIR_RSVD:
        case DMAR_FR_PASID_ACCESS:
            sup = fpd & 3;
            break;
        default:
            sup = fpd & 7;
            break;
        }
        expect_fault(&r, AT_PASID, c->fr, sup);
        env_destroy(&e);
    }
}

/* The FSPM 5-level decode where CAP.FL5LP is offered. */
static void test_pe_fs5(void)
{
    Setup s;
    Res r;

    setup(&s, DMAR_PGTT_FS, 5, 0);
    g_assert_cmpuint(run(&s.e, SID_A, NO_PASID, 0, 0, &r), >=, AT_XLATE);
    g_assert_cmpuint(r.pe.fs_levels, ==, 5);
    g_assert_cmphex(r.pe.fsptptr, ==, s.fs.root);
    g_assert_cmpuint(r.pe.pgtt, ==, DMAR_PGTT_FS);
    env_destroy(&s.e);
    /* aw-bits 57: a 5-level second stage is in SAGAW */
    setup(&s, DMAR_PGTT_SS, 0, 5);
    g_assert_cmpuint(run(&s.e, SID_A, PASID_X, 0, 0, &r), >=, AT_XLATE);
    g_assert_cmpuint(r.pe.ss_levels, ==, 5);
    env_destroy(&s.e);
}

/* RID_PASID and a PASID reach their own entries. */
static void test_pe_select(void)
{
    Env e;
    Dev d;
    Res r;
    Pe a = { .pgtt = DMAR_PGTT_PT, .did = 1 };
    Pe b = { .pgtt = DMAR_PGTT_PT, .did = 2 };
    Pe c = { .pgtt = DMAR_PGTT_PT, .did = 3 };

    env_init(&e);
    dev_init(&e, &d, SID_A, 7, 0x41, C_PASIDE);
    pe_write(&e, &d, 0x41, &a);
    pe_write(&e, &d, 0x40, &b);         /* same table, entry before */
    pe_write(&e, &d, 0xfffff, &c);      /* last directory entry */
    run(&e, SID_A, NO_PASID, 0, 0, &r);
    g_assert_cmpuint(r.stage, ==, AT_OK);
    g_assert_cmphex(r.pe.did, ==, 1);
    g_assert_cmphex(r.pe.pasid, ==, 0x41);
    run(&e, SID_A, 0x40, 0, 0, &r);
    g_assert_cmphex(r.pe.did, ==, 2);
    run(&e, SID_A, 0xfffff, 0, 0, &r);
    g_assert_cmphex(r.pe.did, ==, 3);
    g_assert_cmphex(dir_entry(&d, 0xfffff), ==, d.dir + 0x3fff * 8);
    run(&e, SID_A, 0x42, 0, 0, &r);
    expect_fault(&r, AT_PASID, DMAR_FR_PASID_NOT_PRESENT, false);
    env_destroy(&e);
}

/* ================= First-stage walks (§3.6, §9.7) ================= */

typedef struct FsCase {
    const char *name;
    unsigned levels;        /* 4 or 5 */
    unsigned page;          /* leaf level: 1, 2, 3 */
} FsCase;

static const FsCase fs_cases[] = {
    { "4l-4k", 4, 1 }, { "4l-2m", 4, 2 }, { "4l-1g", 4, 3 },
    { "5l-4k", 5, 1 }, { "5l-2m", 5, 2 }, { "5l-1g", 5, 3 },
};

/* Snapshot of the entries on a path, to check what a walk changed. */
typedef struct Path {
    unsigned n;
    uint64_t gpa[DMAR_MAX_LEVELS + 1];
    uint64_t val[DMAR_MAX_LEVELS + 1];
} Path;

static void path_take(const Fs *t, uint64_t va, unsigned leaf, Path *p)
{
    p->n = 0;
    for (unsigned l = t->levels; l >= leaf; l--) {
        p->gpa[p->n] = fs_entry(t, va, l);
        p->val[p->n] = fake_peek64(&t->e->m, p->gpa[p->n]);
        p->n++;
    }
}

/*
 * After a successful walk: A on every entry of the path, D on its leaf
 * if DIRTY, nothing else changed, and no write outside the path.
 */
static void path_check(const Fs *t, const Path *p, bool dirty)
{
    FakeMem *m = &t->e->m;

    for (unsigned i = 0; i < p->n; i++) {
        uint64_t want = p->val[i] | FS_A |
                        (i == p->n - 1 && dirty ? FS_D : 0);

        g_assert_cmphex(fake_peek64(m, p->gpa[i]), ==, want);
    }
    for (unsigned i = 0; i < m->writes->len; i++) {
        const FakeMemWrite *w = &g_array_index(m->writes, FakeMemWrite, i);
        bool on_path = false;

        for (unsigned j = 0; j < p->n; j++) {
            on_path |= w->gpa == p->gpa[j];
        }
        g_assert_true(on_path);
        g_assert_cmpuint(w->len, ==, 8);
    }
}

static void test_fs_walk(const void *opaque)
{
    const FsCase *c = opaque;
    uint64_t size = lvl_size(c->page);
    /* below 2^47, with a bit in every index */
    uint64_t va = (0x5a5a5a5a5a5aull & ((1ull << 47) - 1)) & ~(size - 1);
    uint64_t pa = 0x123456789000ull & ~(size - 1) & ((1ull << 48) - 1);
    Setup s;
    Path p;
    Res r;

    if (c->levels == 5) {
        va |= 1ull << 52;   /* only a 5-level walk reaches it */
    }
    for (unsigned acc = 0; acc < 4; acc++) {
        bool w = acc & 1;
        bool priv = acc & 2;
        uint64_t off = acc * 0x10 + (size > SZ_4K ? size / 2 + SZ_4K : 8);

        setup(&s, DMAR_PGTT_FS, c->levels, 0);
        fs_map(&s.fs, va, pa, c->page, FS_P | FS_RW | FS_US);
        path_take(&s.fs, va, c->page, &p);
        run(&s.e, SID_A, priv ? PASID_X : NO_PASID, va + off,
            (w ? RQ_W : 0) | (priv ? RQ_PRIV : 0), &r);
        /* A read of a clean page grants no W: the write must set D. */
        expect_ok(&r, pa + off, size, w ? DMAR_PERM_RW : DMAR_PERM_R);
        g_assert_cmpuint(r.tr.level, ==, c->page);
        g_assert_cmpuint(r.reads, <=, c->levels);
        path_check(&s.fs, &p, w);
        g_assert_cmpuint(r.pe.fs_levels, ==, c->levels);

        /* Again, now A (and D) are set: nothing written, W if dirty. */
        run(&s.e, SID_A, priv ? PASID_X : NO_PASID, va + off, 0, &r);
        expect_ok(&r, pa + off, size, w ? DMAR_PERM_RW : DMAR_PERM_R);
        g_assert_cmpuint(r.writes, ==, 0);
        env_destroy(&s.e);
    }
}

/* A read of a dirty page grants W; a write to it writes nothing. */
static void test_fs_dirty(void)
{
    Setup s;
    Path p;
    Res r;

    setup(&s, DMAR_PGTT_FS, 4, 0);
    fs_map(&s.fs, 0x40000000, 0x80000000, 1, FS_P | FS_RW | FS_US | FS_D);
    path_take(&s.fs, 0x40000000, 1, &p);
    run(&s.e, SID_A, NO_PASID, 0x40000010, 0, &r);
    expect_ok(&r, 0x80000010, SZ_4K, DMAR_PERM_RW);
    path_check(&s.fs, &p, true);
    for (unsigned i = 0; i < p.n; i++) {
        g_assert_cmphex(fake_peek64(&s.e.m, p.gpa[i]) & FS_A, ==, FS_A);
    }
    run(&s.e, SID_A, NO_PASID, 0x40000010, RQ_W, &r);
    expect_ok(&r, 0x80000010, SZ_4K, DMAR_PERM_RW);
    g_assert_cmpuint(r.writes, ==, 0);
    /* A dirty but read-only page grants no W */
    fs_map(&s.fs, 0x40001000, 0x80001000, 1, FS_P | FS_US | FS_D | FS_A);
    run(&s.e, SID_A, NO_PASID, 0x40001000, 0, &r);
    expect_ok(&r, 0x80001000, SZ_4K, DMAR_PERM_R);
    env_destroy(&s.e);
}

typedef struct FsFaultCase {
    const char *name;
    unsigned levels;
    unsigned page;          /* the mapping's leaf level */
    unsigned at;            /* level of the entry damaged */
    uint64_t set, clear;    /* on that entry */
    uint64_t va_xor;        /* added to the request's address */
    unsigned rq;            /* RQ_*; PASID_X if PRIV or EXEC */
    bool wpe, no_fs1gp, no_ere, no_sre;
    DmarFaultReason fr;     /* NONE: translates, with PERM */
    uint8_t perm;
} FsFaultCase;

#define VA_FS   0x0000123440000000ull
#define PA_FS   0x0000000c00000000ull

static const FsFaultCase fs_fault_cases[] = {
    /* P = 0 at each level (§9.7), junk ignored */
    { "np-l4", 4, 1, 4, 0, FS_P, .fr = DMAR_FR_FS_NOT_PRESENT },
    { "np-l3", 4, 1, 3, 0, FS_P, .fr = DMAR_FR_FS_NOT_PRESENT },
    { "np-l2", 4, 1, 2, 0, FS_P, .fr = DMAR_FR_FS_NOT_PRESENT },
    { "np-l1", 4, 1, 1, 0, FS_P, .fr = DMAR_FR_FS_NOT_PRESENT },
    { "np-l1-junk", 4, 1, 1, 0xfff0000000000f80ull, FS_P,
      .fr = DMAR_FR_FS_NOT_PRESENT },
    { "np-l5", 5, 1, 5, 0, FS_P, .fr = DMAR_FR_FS_NOT_PRESENT },
    { "np-l2-write", 4, 2, 2, 0, FS_P, .rq = RQ_W,
      .fr = DMAR_FR_FS_NOT_PRESENT },
    /* a hole next to the mapping */
    { "hole-l1", 4, 1, 1, .va_xor = SZ_4K, .fr = DMAR_FR_FS_NOT_PRESENT },
    { "hole-l3", 4, 1, 3, .va_xor = SZ_1G, .fr = DMAR_FR_FS_NOT_PRESENT },
    /* reserved bits: PS in PML5E/PML4E */
    { "ps-l4", 4, 1, 4, FS_PS, .fr = DMAR_FR_FS_RSVD },
    { "ps-l5", 5, 1, 5, FS_PS, .fr = DMAR_FR_FS_RSVD },
    /* 1 GiB pages without CAP.FL1GP */
    { "1g-without-fs1gp", 4, 3, 3, .no_fs1gp = true,
      .fr = DMAR_FR_FS_RSVD },
    { "2m-without-fs1gp", 4, 2, 2, .no_fs1gp = true,
      .perm = DMAR_PERM_R },
    /* address bits 51:HAW */
    { "addr-haw-l4", 4, 1, 4, 1ull << 48, .fr = DMAR_FR_FS_RSVD },
    { "addr-haw-l3", 4, 1, 3, 1ull << 51, .fr = DMAR_FR_FS_RSVD },
    { "addr-haw-l1", 4, 1, 1, 1ull << 50, .fr = DMAR_FR_FS_RSVD },
    { "addr-haw-2m", 4, 2, 2, 1ull << 49, .fr = DMAR_FR_FS_RSVD },
    /* large-page address bits below the page (PAT, bit 12, excepted) */
    { "2m-bit13", 4, 2, 2, 1ull << 13, .fr = DMAR_FR_FS_RSVD },
    { "2m-bit20", 4, 2, 2, 1ull << 20, .fr = DMAR_FR_FS_RSVD },
    { "1g-bit21", 4, 3, 3, 1ull << 21, .fr = DMAR_FR_FS_RSVD },
    { "1g-bit29", 4, 3, 3, 1ull << 29, .fr = DMAR_FR_FS_RSVD },
    { "2m-pat", 4, 2, 2, 1ull << 12, .perm = DMAR_PERM_R },
    { "1g-pat", 4, 3, 3, 1ull << 12, .perm = DMAR_PERM_R },
    /* ignored: 62:52, 11:8, PWT/PCD, PAT of a 4 KiB page, A/D above */
    { "ignored-62-52-leaf", 4, 1, 1, 0x7ff0000000000000ull,
      .perm = DMAR_PERM_R },
    { "ignored-62-52-table", 4, 1, 3, 0x7ff0000000000000ull,
      .perm = DMAR_PERM_R },
    { "ignored-11-8", 4, 2, 2, 0xf00, .perm = DMAR_PERM_R },
    { "ignored-11-8-table", 4, 1, 4, 0xf00, .perm = DMAR_PERM_R },
    { "ignored-pwt-pcd", 4, 1, 1, 0x18, .perm = DMAR_PERM_R },
    { "ignored-pat-4k", 4, 1, 1, FS_PS, .perm = DMAR_PERM_R },
    { "ignored-d-table", 4, 1, 2, FS_D, .perm = DMAR_PERM_R },
    /* U/S: requests without PASID are user requests */
    { "user-us0-leaf", 4, 1, 1, 0, FS_US, .fr = DMAR_FR_SM_USER },
    { "user-us0-l4", 4, 1, 4, 0, FS_US, .fr = DMAR_FR_SM_USER },
    { "user-us0-2m", 4, 2, 3, 0, FS_US, .fr = DMAR_FR_SM_USER },
    { "user-pasid-us0", 4, 1, 2, 0, FS_US, .rq = RQ_W,
      .fr = DMAR_FR_SM_USER },
    { "priv-us0", 4, 1, 1, 0, FS_US, .rq = RQ_PRIV, .perm = DMAR_PERM_R },
    { "priv-us0-write", 4, 1, 4, 0, FS_US, .rq = RQ_PRIV | RQ_W,
      .perm = DMAR_PERM_RW },
    /* R/W on every level; supervisor writes only with WPE */
    { "user-write-ro-leaf", 4, 1, 1, 0, FS_RW, .rq = RQ_W,
      .fr = DMAR_FR_SM_WRITE },
    { "user-write-ro-l3", 4, 1, 3, 0, FS_RW, .rq = RQ_W,
      .fr = DMAR_FR_SM_WRITE },
    { "user-write-ro-1g", 4, 3, 3, 0, FS_RW, .rq = RQ_W,
      .fr = DMAR_FR_SM_WRITE },
    { "user-read-ro", 4, 1, 2, 0, FS_RW, .perm = DMAR_PERM_R },
    { "priv-write-ro-wpe0", 4, 1, 1, 0, FS_RW, .rq = RQ_PRIV | RQ_W,
      .perm = DMAR_PERM_RW },
    { "priv-write-ro-l4-wpe0", 4, 1, 4, 0, FS_RW, .rq = RQ_PRIV | RQ_W,
      .perm = DMAR_PERM_RW },
    { "priv-write-ro-wpe1", 4, 1, 1, 0, FS_RW, .rq = RQ_PRIV | RQ_W,
      .wpe = true, .fr = DMAR_FR_SM_WRITE },
    { "priv-write-ro-l2-wpe1", 4, 1, 2, 0, FS_RW, .rq = RQ_PRIV | RQ_W,
      .wpe = true, .fr = DMAR_FR_SM_WRITE },
    { "priv-read-ro-wpe1", 4, 1, 1, 0, FS_RW, .rq = RQ_PRIV, .wpe = true,
      .perm = DMAR_PERM_R },
    { "user-write-wpe1", 4, 1, 1, .rq = RQ_W, .wpe = true,
      .perm = DMAR_PERM_RW },
    /* XD for execute requests (with PASID, ERE = 1) */
    { "exec-xd-leaf", 4, 1, 1, FS_XD, .rq = RQ_EXEC,
      .fr = DMAR_FR_SM_EXEC },
    { "exec-xd-l4", 4, 1, 4, FS_XD, .rq = RQ_EXEC, .fr = DMAR_FR_SM_EXEC },
    { "exec-xd-2m", 4, 2, 2, FS_XD, .rq = RQ_EXEC | RQ_PRIV,
      .fr = DMAR_FR_SM_EXEC },
    { "exec-ok", 4, 1, 1, .rq = RQ_EXEC, .perm = DMAR_PERM_R },
    { "read-xd", 4, 1, 1, FS_XD, .rq = 0, .perm = DMAR_PERM_R },
    { "write-xd", 4, 1, 3, FS_XD, .rq = RQ_W, .perm = DMAR_PERM_RW },
    /* the PASID entry's ERE and SRE (§9.6) */
    { "exec-without-ere", 4, 1, 1, .rq = RQ_EXEC, .no_ere = true,
      .fr = DMAR_FR_PASID_ERE },
    { "priv-without-sre", 4, 1, 1, .rq = RQ_PRIV, .no_sre = true,
      .fr = DMAR_FR_PASID_SRE },
    { "user-without-sre", 4, 1, 1, .rq = RQ_W, .no_sre = true,
      .no_ere = true, .perm = DMAR_PERM_RW },
    /* canonical addresses (bit 47, bit 56 with 5 levels) */
    { "noncanon-bit47", 4, 1, 1, .va_xor = 1ull << 47,
      .fr = DMAR_FR_SM_NON_CANONICAL },
    { "noncanon-bit48", 4, 1, 1, .va_xor = 1ull << 48,
      .fr = DMAR_FR_SM_NON_CANONICAL },
    { "noncanon-bit63", 4, 1, 1, .va_xor = 1ull << 63, .rq = RQ_W,
      .fr = DMAR_FR_SM_NON_CANONICAL },
    { "noncanon-5l-bit56", 5, 1, 1, .va_xor = 1ull << 56,
      .fr = DMAR_FR_SM_NON_CANONICAL },
    { "noncanon-5l-bit60", 5, 1, 1, .va_xor = 1ull << 60,
      .fr = DMAR_FR_SM_NON_CANONICAL },
    /* not-present wins over a missing permission higher up */
    { "np-below-us0", 4, 1, 1, 0, FS_P, .fr = DMAR_FR_FS_NOT_PRESENT },
};

static void test_fs_fault(const void *opaque)
{
    const FsFaultCase *c = opaque;
    DmarHwConfig hw = c->levels == 5 ? hw_57() : hw_default();
    uint64_t size = lvl_size(c->page);
    uint64_t va = VA_FS & ~(size - 1);
    uint64_t addr = (va + size / 2 + 0x88) ^ c->va_xor;
    bool pasid = c->rq & (RQ_PRIV | RQ_EXEC) ||
                 !strncmp(c->name, "user-pasid", 10);
    Setup s;
    Pe pe;
    Path p;
    Res r;

    hw.fs1gp = !c->no_fs1gp;
    setup_hw(&s, hw, DMAR_PGTT_FS, c->levels, 0, 0);
    pe = (Pe) {
        .pgtt = DMAR_PGTT_FS, .did = 0x42, .fsptptr = s.fs.root,
        .fspm = c->levels == 5, .sre = !c->no_sre, .ere = !c->no_ere,
        .wpe = c->wpe,
    };
    pe_write(&s.e, &s.d, PASID_X, &pe);
    pe_write(&s.e, &s.d, RIDP, &pe);
    fs_map(&s.fs, va, PA_FS & ~(size - 1), c->page, FS_P | FS_RW | FS_US);
    if (!strcmp(c->name, "np-below-us0")) {
        fs_set(&s.fs, va, 3, 0, FS_US | FS_RW);
    }
    path_take(&s.fs, va, c->page, &p);
    fs_set(&s.fs, va, c->at, c->set, c->clear);
    if (c->at >= c->page) {
        p.val[c->levels - c->at] = fake_peek64(&s.e.m,
                                               p.gpa[c->levels - c->at]);
    }
    run(&s.e, SID_A, pasid ? PASID_X : NO_PASID, addr, c->rq, &r);
    if (c->fr != DMAR_FR_NONE) {
        expect_xfault(&r, c->fr);
        if (c->fr == DMAR_FR_FS_NOT_PRESENT || c->fr == DMAR_FR_FS_RSVD) {
            g_assert_cmpuint(r.f.level, ==, c->at);
        }
    } else {
        uint64_t off = addr & (size - 1);

        expect_ok(&r, (PA_FS & ~(size - 1)) + off, size, c->perm);
        path_check(&s.fs, &p, c->rq & RQ_W);
    }
    env_destroy(&s.e);
}

/* The tables FSPTPTR and a PDPE name cannot be read (§7.1.3 70h, 73h). */
static void test_fs_access(void)
{
    Setup s;
    Pe pe;
    Res r;

    setup(&s, DMAR_PGTT_FS, 4, 0);
    fs_map(&s.fs, VA_FS, PA_FS, 1, FS_P | FS_RW | FS_US);
    fs_set(&s.fs, VA_FS, 3, UNBACKED, FS_ADDR_MASK);
    run(&s.e, SID_A, NO_PASID, VA_FS, 0, &r);
    expect_xfault(&r, DMAR_FR_FS_ACCESS);
    pe = (Pe) { .pgtt = DMAR_PGTT_FS, .did = 0x42, .fsptptr = UNBACKED,
                .fpd = true };
    pe_write(&s.e, &s.d, RIDP, &pe);
    run(&s.e, SID_A, NO_PASID, VA_FS, RQ_W, &r);
    expect_fault(&r, AT_XLATE, DMAR_FR_FS_PTR_ACCESS, true);
    env_destroy(&s.e);
}

/* §3.15 in the first stage: 87h, and a page around the range is cut. */
static void test_fs_intr(void)
{
    Setup s;
    Res r;

    setup(&s, DMAR_PGTT_FS, 4, 0);
    fs_map(&s.fs, 0x10000000, 0xfee00000, 1, FS_P | FS_RW | FS_US);
    fs_map(&s.fs, 0x20000000, 0xfee00000, 2, FS_P | FS_RW | FS_US);
    fs_map(&s.fs, 0x30000000, 0xfeeff000, 1, FS_P | FS_RW | FS_US);
    fs_map(&s.fs, 0x30001000, 0xfef00000, 1, FS_P | FS_RW | FS_US);
    run(&s.e, SID_A, NO_PASID, 0x10000abc, RQ_W, &r);
    expect_xfault(&r, DMAR_FR_SM_INTR_ADDR);
    /* The write was blocked: nothing was written, the page is not dirty */
    g_assert_cmphex(fake_peek64(&s.e.m, fs_entry(&s.fs, 0x10000000, 1)) &
                    FS_D, ==, 0);
    run(&s.e, SID_A, NO_PASID, 0x30000000, 0, &r);
    expect_xfault(&r, DMAR_FR_SM_INTR_ADDR);
    run(&s.e, SID_A, PASID_X, 0x30001000, RQ_W, &r);
    expect_ok(&r, 0xfef00000, SZ_4K, DMAR_PERM_RW);
    run(&s.e, SID_A, NO_PASID, 0x20000000 + 0x80000, 0, &r);
    expect_xfault(&r, DMAR_FR_SM_INTR_ADDR);
    run(&s.e, SID_A, NO_PASID, 0x20000000 + 0x100008, 0, &r);
    expect_ok(&r, 0xfef00008, SZ_4K, DMAR_PERM_R);
    g_assert_true(r.tr.narrowed);
    env_destroy(&s.e);
}

/* Tables that point at themselves: the walk stays bounded. */
static void test_fs_loop(void)
{
    Setup s;
    Res r;

    setup(&s, DMAR_PGTT_FS, 4, 0);
    for (unsigned i = 0; i < 512; i++) {
        fake_poke64(&s.e.m, s.fs.root + i * 8, s.fs.root | FS_TABLE);
    }
    run(&s.e, SID_A, NO_PASID, 0x0000123456789000ull, 0, &r);
    expect_ok(&r, s.fs.root, SZ_4K, DMAR_PERM_R);
    g_assert_cmpuint(r.reads, <=, 4);
    env_destroy(&s.e);
}

/*
 * Guest memory whose compare-and-swap always finds the entry changed by
 * someone else: the walk gives up after a bounded number of tries.
 */
static DmarCasResult cas_always_changed(void *opaque, uint64_t gpa,
                                        uint64_t *expected, uint64_t desired)
{
    FakeMem *m = opaque;

    m->cas_calls++;
    *expected = fake_peek64(m, gpa);
    return DMAR_CAS_CHANGED;
}

static void test_fs_ad_race(void)
{
    DmarMemOps ops = fake_mem_ops;
    DmarMem mem;
    DmarTranslation tr;
    DmarFault f;
    Setup s;
    Res r;

    setup(&s, DMAR_PGTT_FS, 4, 0);
    fs_map(&s.fs, VA_FS, PA_FS, 1, FS_P | FS_RW | FS_US);
    run(&s.e, SID_A, NO_PASID, VA_FS, 0, &r);
    g_assert_cmpuint(r.stage, ==, AT_OK);
    /* Clean again, then a memory that always races */
    for (unsigned l = 4; l >= 1; l--) {
        fs_set(&s.fs, VA_FS, l, 0, FS_A | FS_D);
    }
    ops.cmpxchg64 = cas_always_changed;
    mem = (DmarMem) { &ops, &s.e.m };
    s.e.m.cas_calls = 0;
    memset(&f, 0, sizeof(f));
    if (dmar_sm_translate(&s.e.hw, &r.ctx, &r.pe, &r.req, &mem, &tr, &f)) {
        g_test_message("a walk that never set A still translated");
        g_test_fail();
    }
    g_assert_cmpuint(s.e.m.cas_calls, >, 0);
    g_assert_cmpuint(s.e.m.cas_calls, <=, DMAR_SM_AD_TRIES * 4);
    env_destroy(&s.e);
}

/* ================= Second stage in scalable mode (§9.8) ================ */

typedef struct SsCase {
    const char *name;
    unsigned levels;
    unsigned page;
    uint8_t perm;           /* of the leaf */
    unsigned at;            /* level of a damaged entry, or 0 */
    uint64_t set;
    uint8_t cut;            /* permission bits removed at AT */
    uint64_t addr_xor;
    bool w;
    DmarFaultReason fr;
} SsCase;

#define IOVA_SS 0x0000004080200000ull   /* below 2^39 */
#define PA_SS   0x0000000880000000ull

static const SsCase ss_cases[] = {
    { "3l-4k-read", 3, 1, DMAR_PERM_RW },
    { "3l-4k-write", 3, 1, DMAR_PERM_RW, .w = true },
    { "4l-2m", 4, 2, DMAR_PERM_R },
    { "4l-1g-write", 4, 3, DMAR_PERM_W, .w = true },
    { "read-w-only", 4, 1, DMAR_PERM_W, .fr = DMAR_FR_SM_READ },
    { "write-r-only", 3, 2, DMAR_PERM_R, .w = true,
      .fr = DMAR_FR_SM_WRITE },
    { "table-r-only-write", 4, 1, DMAR_PERM_RW, 3, 0, DMAR_PERM_W,
      .w = true, .fr = DMAR_FR_SM_WRITE },
    { "table-w-only-read", 4, 1, DMAR_PERM_RW, 2, 0, DMAR_PERM_R,
      .fr = DMAR_FR_SM_READ },
    { "leaf-not-present", 4, 1, DMAR_PERM_RW, 1, 0, DMAR_PERM_RW,
      .fr = DMAR_FR_SS_NOT_PRESENT },
    { "leaf-not-present-write", 4, 1, DMAR_PERM_RW, 1, 0, DMAR_PERM_RW,
      .w = true, .fr = DMAR_FR_SS_NOT_PRESENT },
    { "table-not-present", 3, 1, DMAR_PERM_RW, 3, 0, DMAR_PERM_RW,
      .fr = DMAR_FR_SS_NOT_PRESENT },
    { "hole", 4, 1, DMAR_PERM_RW, .addr_xor = SZ_2M,
      .fr = DMAR_FR_SS_NOT_PRESENT },
    { "snp-without-sc", 4, 1, DMAR_PERM_RW, 1, 1ull << 11,
      .fr = DMAR_FR_SS_RSVD },
    { "addr-haw", 4, 1, DMAR_PERM_RW, 2, 1ull << 49, .w = true,
      .fr = DMAR_FR_SS_RSVD },
    { "ps-l4", 4, 1, DMAR_PERM_RW, 4, R_SLPTE_PS_MASK,
      .fr = DMAR_FR_SS_RSVD },
    { "2m-low-bit", 3, 2, DMAR_PERM_RW, 2, 1ull << 15,
      .fr = DMAR_FR_SS_RSVD },
    { "beyond-3l", 3, 1, DMAR_PERM_RW, .addr_xor = 1ull << 39,
      .fr = DMAR_FR_SM_BEYOND },
    { "beyond-4l", 4, 1, DMAR_PERM_RW, .addr_xor = 1ull << 48, .w = true,
      .fr = DMAR_FR_SM_BEYOND },
    { "ignored-bits", 4, 1, DMAR_PERM_RW, 1, 0x3ff0000000000000ull },
};

static void test_ss_case(const void *opaque)
{
    const SsCase *c = opaque;
    uint64_t size = lvl_size(c->page);
    uint64_t iova = IOVA_SS & ~(size - 1);
    uint64_t addr = (iova + size - 8) ^ c->addr_xor;
    Setup s;
    Res r;

    setup(&s, DMAR_PGTT_SS, 0, c->levels);
    ss_map(&s.e, s.ssroot, c->levels, iova, PA_SS & ~(size - 1), c->page,
           c->perm);
    if (c->at) {
        uint64_t gpa = ss_entry(&s.e, s.ssroot, c->levels, iova, c->at);

        fake_poke64(&s.e.m, gpa,
                    (fake_peek64(&s.e.m, gpa) | c->set) & ~(uint64_t)c->cut);
    }
    run(&s.e, SID_A, NO_PASID, addr, c->w ? RQ_W : 0, &r);
    if (c->fr) {
        expect_xfault(&r, c->fr);
        if (c->at && c->fr != DMAR_FR_SM_WRITE && c->fr != DMAR_FR_SM_READ) {
            g_assert_cmpuint(r.f.level, ==, c->at);
        }
    } else {
        expect_ok(&r, (PA_SS & ~(size - 1)) + (addr & (size - 1)), size,
                  c->perm);
        /* No second-stage A/D in scalable mode (SLADS not offered). */
        g_assert_cmpuint(r.writes, ==, 0);
        g_assert_cmpuint(r.reads, <=, c->levels);
    }
    /* The same with a PASID */
    run(&s.e, SID_A, PASID_X, addr, c->w ? RQ_W : 0, &r);
    if (c->fr) {
        expect_xfault(&r, c->fr);
    } else {
        g_assert_cmpuint(r.stage, ==, AT_OK);
    }
    env_destroy(&s.e);
}

static void test_ss_access(void)
{
    Setup s;
    Pe pe;
    Res r;

    setup(&s, DMAR_PGTT_SS, 0, 4);
    ss_map(&s.e, s.ssroot, 4, IOVA_SS, PA_SS, 1, DMAR_PERM_RW);
    fake_poke64(&s.e.m, ss_entry(&s.e, s.ssroot, 4, IOVA_SS, 2),
                make_slpte(UNBACKED, DMAR_PERM_RW, false));
    run(&s.e, SID_A, NO_PASID, IOVA_SS, 0, &r);
    expect_xfault(&r, DMAR_FR_SS_ACCESS);
    pe = (Pe) { .pgtt = DMAR_PGTT_SS, .aw = 2, .ssptptr = UNBACKED };
    pe_write(&s.e, &s.d, PASID_X, &pe);
    run(&s.e, SID_A, PASID_X, IOVA_SS, RQ_W, &r);
    expect_xfault(&r, DMAR_FR_SS_PTR_ACCESS);
    /* the interrupt range */
    ss_map(&s.e, s.ssroot, 4, 0x5000, 0xfee01000, 1, DMAR_PERM_RW);
    run(&s.e, SID_A, NO_PASID, 0x5000, RQ_W, &r);
    expect_xfault(&r, DMAR_FR_SM_INTR_ADDR);
    env_destroy(&s.e);
}

/* ================= Nested (§3.8) ================= */

#define VA_N    0x00007f0012345000ull
#define GPA_N   0x0000000480000000ull   /* the FS output, a GPA */
#define HPA_N   0x0000000a00000000ull

/* The GPA that the FS gives VA_N + OFF with a page of FS_PAGE. */
static uint64_t nested_gpa(unsigned fs_page, uint64_t off)
{
    uint64_t m = lvl_size(fs_page) - 1;

    return (GPA_N & ~m) + ((VA_N + off) & m);
}

/*
 * FS VA_N -> GPA_N (FS_PAGE), SS: the page of SS_PAGE holding the GPA of
 * VA_N + 0x123 -> HPA_N (aligned down).
 */
static void nested_setup(Setup *s, unsigned fs_page, unsigned ss_page,
                         uint64_t fs_leaf, uint8_t ss_perm)
{
    uint64_t m = lvl_size(ss_page) - 1;

    setup(s, DMAR_PGTT_NESTED, 4, 4);
    fs_map(&s->fs, VA_N & ~(lvl_size(fs_page) - 1),
           GPA_N & ~(lvl_size(fs_page) - 1), fs_page, fs_leaf);
    ss_map(&s->e, s->ssroot, 4, nested_gpa(fs_page, 0x123) & ~m,
           HPA_N & ~m, ss_page, ss_perm);
}

static void test_nested_ok(void)
{
    static const struct { unsigned fs, ss; } sizes[] = {
        { 1, 1 }, { 2, 1 }, { 1, 2 }, { 3, 2 }, { 2, 3 }, { 3, 3 },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        for (unsigned w = 0; w <= 1; w++) {
            unsigned fsp = sizes[i].fs, ssp = sizes[i].ss;
            uint64_t size = lvl_size(MIN(fsp, ssp));
            uint64_t addr = VA_N + 0x123;
            uint64_t gpa = nested_gpa(fsp, 0x123);
            uint64_t hpa = (HPA_N & ~(lvl_size(ssp) - 1)) +
                           (gpa & (lvl_size(ssp) - 1));
            Setup s;
            Path p;
            Res r;

            nested_setup(&s, fsp, ssp, FS_P | FS_RW | FS_US, DMAR_PERM_RW);
            /* The FS tables are at GPAs the SS translates (not identity) */
            g_assert_cmphex(s.fs.root, >=, NEST_OFF);
            path_take(&s.fs, addr, fsp, &p);
            run(&s.e, SID_A, NO_PASID, addr, w ? RQ_W : 0, &r);
            expect_ok(&r, hpa, size, w ? DMAR_PERM_RW : DMAR_PERM_R);
            path_check(&s.fs, &p, w);
            /* SS read-only: a write faults at the SS (85h), a read is R */
            ss_map(&s.e, s.ssroot, 4, gpa & ~(lvl_size(ssp) - 1),
                   HPA_N & ~(lvl_size(ssp) - 1), ssp, DMAR_PERM_R);
            run(&s.e, SID_A, PASID_X, addr, w ? RQ_W : 0, &r);
            if (w) {
                expect_xfault(&r, DMAR_FR_SM_WRITE);
            } else {
                /* dirty after the first write: still only R */
                expect_ok(&r, hpa, size, DMAR_PERM_R);
            }
            env_destroy(&s.e);
        }
    }
}

/*
 * dmar-sm.h: at most (fs_levels + 1) * (ss_levels + 1) entries read per
 * attempt, A/D updates included, on clean and on accessed tables.
 */
static void test_nested_bound(void)
{
    for (unsigned w = 0; w <= 1; w++) {
        Setup s;
        Res r;

        nested_setup(&s, 1, 1, FS_P | FS_RW | FS_US, DMAR_PERM_RW);
        run(&s.e, SID_A, NO_PASID, VA_N + 0x123, w ? RQ_W : 0, &r);
        expect_ok(&r, HPA_N + 0x123, SZ_4K, w ? DMAR_PERM_RW : DMAR_PERM_R);
        g_assert_cmpuint(r.reads, <=, (4 + 1) * (4 + 1));
        run(&s.e, SID_A, NO_PASID, VA_N + 0x123, w ? RQ_W : 0, &r);
        expect_ok(&r, HPA_N + 0x123, SZ_4K, w ? DMAR_PERM_RW : DMAR_PERM_R);
        g_assert_cmpuint(r.reads, <=, (4 + 1) * (4 + 1));
        env_destroy(&s.e);
    }
}

static void test_nested_faults(void)
{
    Setup s;
    Pe pe;
    Res r;

    /* The final GPA is not mapped in the SS: 79h */
    nested_setup(&s, 1, 1, FS_P | FS_RW | FS_US, DMAR_PERM_RW);
    fs_map(&s.fs, VA_N + SZ_4K, GPA_N + SZ_2M, 1, FS_P | FS_RW | FS_US);
    run(&s.e, SID_A, NO_PASID, VA_N + SZ_4K, 0, &r);
    expect_xfault(&r, DMAR_FR_SS_NOT_PRESENT);
    /* SS grants W only on the final page: a read faults 86h */
    ss_map(&s.e, s.ssroot, 4, GPA_N, HPA_N, 1, DMAR_PERM_W);
    run(&s.e, SID_A, NO_PASID, VA_N, 0, &r);
    expect_xfault(&r, DMAR_FR_SM_READ);
    /* FS faults keep their codes: P = 0 in the PTE, 71h */
    ss_map(&s.e, s.ssroot, 4, GPA_N, HPA_N, 1, DMAR_PERM_RW);
    fs_set(&s.fs, VA_N, 1, 0, FS_P);
    run(&s.e, SID_A, NO_PASID, VA_N, 0, &r);
    expect_xfault(&r, DMAR_FR_FS_NOT_PRESENT);
    fs_set(&s.fs, VA_N, 1, FS_P, 0);
    /* Final HPA in the interrupt range: 87h */
    ss_map(&s.e, s.ssroot, 4, GPA_N, 0xfee00000, 1, DMAR_PERM_RW);
    run(&s.e, SID_A, NO_PASID, VA_N, 0, &r);
    expect_xfault(&r, DMAR_FR_SM_INTR_ADDR);
    env_destroy(&s.e);

    /* SS does not grant read of the top FS table: 75h */
    nested_setup(&s, 1, 1, FS_P | FS_RW | FS_US, DMAR_PERM_RW);
    ss_map(&s.e, s.ssroot, 4, s.fs.root, s.fs.root - NEST_OFF, 1,
           DMAR_PERM_W);
    run(&s.e, SID_A, NO_PASID, VA_N, 0, &r);
    expect_xfault(&r, DMAR_FR_NESTED_TOP_READ);
    env_destroy(&s.e);

    /* ... of a lower FS table: 76h */
    nested_setup(&s, 1, 1, FS_P | FS_RW | FS_US, DMAR_PERM_RW);
    {
        uint64_t pt_gpa = (fs_entry(&s.fs, VA_N, 1) & ~0xfffull) + NEST_OFF;

        ss_map(&s.e, s.ssroot, 4, pt_gpa, pt_gpa - NEST_OFF, 1,
               DMAR_PERM_W);
        run(&s.e, SID_A, PASID_X, VA_N, RQ_W, &r);
        expect_xfault(&r, DMAR_FR_NESTED_READ);
        /* ... but read-only: the A/D update is refused, 77h */
        s.e.fault_writes_ok = true;
        ss_map(&s.e, s.ssroot, 4, pt_gpa, pt_gpa - NEST_OFF, 1,
               DMAR_PERM_R);
        run_req(&s.e, rq(SID_A, PASID_X, VA_N, 0), &r);
        g_assert_cmpuint(r.stage, ==, AT_XLATE);
        g_assert_cmphex(r.f.fr, ==, DMAR_FR_NESTED_WRITE);
        /* With A already set a read needs no update: it translates */
        fs_set(&s.fs, VA_N, 1, FS_A, 0);
        for (unsigned l = 4; l > 1; l--) {
            fs_set(&s.fs, VA_N, l, FS_A, 0);
        }
        run(&s.e, SID_A, NO_PASID, VA_N, 0, &r);
        expect_ok(&r, HPA_N, SZ_4K, DMAR_PERM_R);
        g_assert_cmpuint(r.writes, ==, 0);
        /* a write needs D in the PTE: refused again */
        run_req(&s.e, rq(SID_A, NO_PASID, VA_N, RQ_W), &r);
        g_assert_cmpuint(r.stage, ==, AT_XLATE);
        g_assert_cmphex(r.f.fr, ==, DMAR_FR_NESTED_WRITE);
    }
    env_destroy(&s.e);

    /* A FS table beyond the SS's width (3 levels: 39 bits): 74h */
    setup(&s, DMAR_PGTT_NESTED, 4, 3);
    fs_map(&s.fs, VA_N, GPA_N, 1, FS_P | FS_RW | FS_US);
    ss_map(&s.e, s.ssroot, 3, GPA_N, HPA_N, 1, DMAR_PERM_RW);
    run(&s.e, SID_A, NO_PASID, VA_N, 0, &r);
    expect_ok(&r, HPA_N, SZ_4K, DMAR_PERM_R);
    fs_set(&s.fs, VA_N, 3, 1ull << 40, 0);
    run(&s.e, SID_A, NO_PASID, VA_N, 0, &r);
    expect_xfault(&r, DMAR_FR_NESTED_BEYOND);
    fs_set(&s.fs, VA_N, 3, 0, 1ull << 40);
    pe = (Pe) { .pgtt = DMAR_PGTT_NESTED, .aw = 1, .ssptptr = s.ssroot,
                .fsptptr = s.fs.root | (1ull << 41), .did = 0x42 };
    pe_write(&s.e, &s.d, RIDP, &pe);
    run(&s.e, SID_A, NO_PASID, VA_N, 0, &r);
    expect_xfault(&r, DMAR_FR_NESTED_BEYOND);
    env_destroy(&s.e);
}

/* ================= Pass-through (PGTT 100b) ================= */

static void test_pt(void)
{
    Setup s;
    Res r;

    setup(&s, DMAR_PGTT_PT, 0, 0);
    run(&s.e, SID_A, NO_PASID, 0x123456789abcull, RQ_W, &r);
    expect_ok(&r, 0x123456789abcull, r.tr.mask + 1, DMAR_PERM_RW);
    g_assert_cmpuint(r.writes, ==, 0);
    run(&s.e, SID_A, PASID_X, 0xfffffffff000ull, 0, &r);
    g_assert_cmpuint(r.stage, ==, AT_OK);
    g_assert_cmphex(r.tr.pa + (r.req.addr & r.tr.mask), ==,
                    0xfffffffff000ull);
    run(&s.e, SID_A, NO_PASID, 1ull << 48, 0, &r);
    expect_xfault(&r, DMAR_FR_SM_BEYOND);
    env_destroy(&s.e);
}

/* ================= FPD at each level (§7.1.3) ================= */

typedef struct FpdCase {
    const char *name;
    unsigned fpd;           /* bit 0: context, 1: directory, 2: PASID entry */
    DmarFaultReason fr;     /* the fault made */
    bool suppressed;
} FpdCase;

static const FpdCase fpd_cases[] = {
    { "ctx-root", 1, DMAR_FR_SM_ROOT_NOT_PRESENT, false },
    { "ctx-ctx-rsvd", 1, DMAR_FR_SM_CTX_RSVD, false },
    { "ctx-ctx-np", 1, DMAR_FR_SM_CTX_NOT_PRESENT, true },
    { "ctx-paside", 1, DMAR_FR_SM_PASIDE, true },
    { "ctx-dir-np", 1, DMAR_FR_PASID_DIR_NOT_PRESENT, true },
    { "ctx-pe-rsvd", 1, DMAR_FR_PASID_RSVD, true },
    { "ctx-fs-np", 1, DMAR_FR_FS_NOT_PRESENT, true },
    { "ctx-ss-np", 1, DMAR_FR_SS_NOT_PRESENT, true },
    { "ctx-write", 1, DMAR_FR_SM_WRITE, true },
    { "ctx-intr", 1, DMAR_FR_SM_INTR_ADDR, true },
    { "dir-paside", 2, DMAR_FR_SM_PASIDE, false },
    { "dir-dir-rsvd", 2, DMAR_FR_PASID_DIR_RSVD, true },
    { "dir-pe-np", 2, DMAR_FR_PASID_NOT_PRESENT, true },
    { "dir-fs-np", 2, DMAR_FR_FS_NOT_PRESENT, true },
    { "dir-user", 2, DMAR_FR_SM_USER, true },
    { "pe-dir-np", 4, DMAR_FR_PASID_DIR_NOT_PRESENT, false },
    { "pe-pe-rsvd", 4, DMAR_FR_PASID_RSVD, true },
    { "pe-pe-invalid", 4, DMAR_FR_PASID_INVALID, true },
    { "pe-sre", 4, DMAR_FR_PASID_SRE, true },
    { "pe-fs-rsvd", 4, DMAR_FR_FS_RSVD, true },
    { "pe-noncanon", 4, DMAR_FR_SM_NON_CANONICAL, true },
    { "pe-ss-rsvd", 4, DMAR_FR_SS_RSVD, true },
    { "pe-intr", 4, DMAR_FR_SM_INTR_ADDR, true },
    { "none-fs-np", 0, DMAR_FR_FS_NOT_PRESENT, false },
};

static void test_fpd(const void *opaque)
{
    const FpdCase *c = opaque;
    bool ss = c->fr == DMAR_FR_SS_NOT_PRESENT || c->fr == DMAR_FR_SS_RSVD;
    uint32_t pasid = PASID_X;
    unsigned flags = 0;
    uint64_t addr = VA_FS;
    Stage stage = AT_XLATE;
    Setup s;
    Pe pe;
    Res r;

    setup_hw(&s, hw_default(), ss ? DMAR_PGTT_SS : DMAR_PGTT_FS, 4, 4,
             c->fpd & 1 ? C_FPD : 0);
    pe = (Pe) { .pgtt = ss ? DMAR_PGTT_SS : DMAR_PGTT_FS, .aw = 2,
                .ssptptr = s.ssroot, .fsptptr = s.fs.root, .did = 7,
                .fpd = c->fpd & 4, .ere = true };
    pe_write(&s.e, &s.d, PASID_X, &pe);
    if (c->fpd & 2) {
        fake_or64(&s.e.m, dir_entry(&s.d, PASID_X), R_PASID_DIR_FPD_MASK);
    }
    if (ss) {
        ss_map(&s.e, s.ssroot, 4, addr, 0x5000, 1, DMAR_PERM_RW);
    } else {
        fs_map(&s.fs, addr, 0x5000, 1, FS_P | FS_RW | FS_US);
    }
    switch (c->fr) {
    case DMAR_FR_SM_ROOT_NOT_PRESENT:
        fake_poke64(&s.e.m, root_gpa(&s.e, SID_A), 0);
        stage = AT_CTX;
        break;
    case DMAR_FR_SM_CTX_RSVD:
        fake_or64(&s.e.m, s.d.ctx + 16, 1);
        stage = AT_CTX;
        break;
    case DMAR_FR_SM_CTX_NOT_PRESENT:
        fake_poke64(&s.e.m, s.d.ctx, fake_peek64(&s.e.m, s.d.ctx) & ~1ull);
        stage = AT_CTX;
        break;
    case DMAR_FR_SM_PASIDE:
        fake_poke64(&s.e.m, s.d.ctx, fake_peek64(&s.e.m, s.d.ctx) &
                    ~R_SM_CTX0_PASIDE_MASK);
        stage = AT_PASID_OF;
        break;
    case DMAR_FR_PASID_DIR_NOT_PRESENT:
        fake_poke64(&s.e.m, dir_entry(&s.d, PASID_X),
                    fake_peek64(&s.e.m, dir_entry(&s.d, PASID_X)) & ~1ull);
        stage = AT_PASID;
        break;
    case DMAR_FR_PASID_DIR_RSVD:
        fake_or64(&s.e.m, dir_entry(&s.d, PASID_X), 1ull << 4);
        stage = AT_PASID;
        break;
    case DMAR_FR_PASID_NOT_PRESENT:
        pe_field(&s, PASID_X, 0, R_PASID0_P_MASK, 0);
        stage = AT_PASID;
        break;
    case DMAR_FR_PASID_RSVD:
        pe_or(&s, PASID_X, 6, 1ull << 33);
        stage = AT_PASID;
        break;
    case DMAR_FR_PASID_INVALID:
        pe_field(&s, PASID_X, 0, R_PASID0_PGTT_MASK, 6ull << 6);
        stage = AT_PASID;
        break;
    case DMAR_FR_PASID_SRE:
        flags = RQ_PRIV;
        break;
    case DMAR_FR_FS_NOT_PRESENT:
        addr += SZ_4K;
        break;
    case DMAR_FR_SS_NOT_PRESENT:
        addr += SZ_2M;
        break;
    case DMAR_FR_FS_RSVD:
        fs_set(&s.fs, addr, 4, FS_PS, 0);
        break;
    case DMAR_FR_SS_RSVD:
        fake_or64(&s.e.m, ss_entry(&s.e, s.ssroot, 4, addr, 1), 1ull << 51);
        break;
    case DMAR_FR_SM_USER:
        fs_set(&s.fs, addr, 2, 0, FS_US);
        break;
    case DMAR_FR_SM_WRITE:
        fs_set(&s.fs, addr, 1, 0, FS_RW);
        flags = RQ_W;
        break;
    case DMAR_FR_SM_NON_CANONICAL:
        addr |= 1ull << 50;
        break;
    case DMAR_FR_SM_INTR_ADDR:
        fs_set(&s.fs, addr, 1, 0xfee00000, 0x5000);
        break;
    default:
        g_assert_not_reached();
    }
    pe_field(&s, PASID_X, 2, R_PASID2_SRE_MASK, 0);
    run(&s.e, SID_A, pasid, addr, flags, &r);
    expect_fault(&r, stage, c->fr, c->suppressed);
    env_destroy(&s.e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();

    g_test_add_func("/dmar-sm/root/halves", test_root_halves);
    ADD_CASES("/dmar-sm/root", root_cases, test_root_case);
    ADD_CASES("/dmar-sm/ctx", ctx_cases, test_ctx_case);
    ADD_CASES("/dmar-sm/pasid-of", pasid_of_cases, test_pasid_of);
    ADD_CASES("/dmar-sm/pasid-entry", pe_cases, test_pe_case);
    g_test_add_func("/dmar-sm/pasid-entry/fs-5l", test_pe_fs5);
    g_test_add_func("/dmar-sm/pasid-entry/select", test_pe_select);
    ADD_CASES("/dmar-sm/fs/walk", fs_cases, test_fs_walk);
    g_test_add_func("/dmar-sm/fs/dirty", test_fs_dirty);
    ADD_CASES("/dmar-sm/fs/entry", fs_fault_cases, test_fs_fault);
    g_test_add_func("/dmar-sm/fs/access", test_fs_access);
    g_test_add_func("/dmar-sm/fs/intr", test_fs_intr);
    g_test_add_func("/dmar-sm/fs/loop", test_fs_loop);
    g_test_add_func("/dmar-sm/fs/ad-race", test_fs_ad_race);
    ADD_CASES("/dmar-sm/ss", ss_cases, test_ss_case);
    g_test_add_func("/dmar-sm/ss/access", test_ss_access);
    g_test_add_func("/dmar-sm/nested/ok", test_nested_ok);
    g_test_add_func("/dmar-sm/nested/faults", test_nested_faults);
    g_test_add_func("/dmar-sm/nested/read-bound", test_nested_bound);
    g_test_add_func("/dmar-sm/pt", test_pt);
    ADD_CASES("/dmar-sm/fpd", fpd_cases, test_fpd);
    return g_test_run();
}
