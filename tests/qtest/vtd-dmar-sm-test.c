/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: scalable mode (VT-d 4.1 §3.5-§3.8, §9.4-§9.9).
 * Capabilities and refused configurations; DMA through scalable-mode
 * root, context, PASID-directory and PASID-table entries with each PGTT
 * (first stage with 4- and 5-level tables and every page size, second
 * stage, nested, pass-through), the Accessed and Dirty bits the
 * first-stage walk sets; every scalable-mode fault reason a request
 * without PASID can meet, and FPD at each level; requests with a PASID
 * through x-vtd-dmar-translate; 256-bit descriptors, PASID-cache and
 * PASID-based-IOTLB invalidation; interrupt remapping in scalable mode.
 *
 * edu's DMA carries no PASID: the unit translates it with the context's
 * RID_PASID, as a user (not privileged), untranslated request.
 * Plumbing in libqos/vtd-dmar.h; vtd-dmar-qtest.h says how the tests
 * work.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"
#include "qobject/qjson.h"
#include "qobject/qnum.h"
#include "qobject/qstring.h"

/* ================= the spec's fields (VT-d 4.1) ================= */

/* §11.4.2 CAP, §11.4.3 ECAP */
#define CAP_SAGAW(v)    (((v) >> 8) & 0x1f)
#define CAP_MAMV(v)     (((v) >> 48) & 0x3f)
#define CAP_FL1GP       (1ull << 56)
#define CAP_FL5LP       (1ull << 60)
#define ECAP_DT         (1ull << 2)
#define ECAP_MTS        (1ull << 25)
#define ECAP_NEST       (1ull << 26)
#define ECAP_PRS        (1ull << 29)
#define ECAP_ERS        (1ull << 30)
#define ECAP_SRS        (1ull << 31)
#define ECAP_EAFS       (1ull << 34)
#define ECAP_PSS(v)     (((v) >> 35) & 0x1f)
#define ECAP_PASID      (1ull << 40)
#define ECAP_SMTS       (1ull << 43)
#define ECAP_SLADS      (1ull << 45)
#define ECAP_SSTS       (1ull << 46)
#define ECAP_FSTS       (1ull << 47)
#define ECAP_SMPWCS     (1ull << 48)
#define ECAP_RPRIVS     (1ull << 53)

/* RTADDR.TTM 01b: scalable mode */
#define SM_RTA          (ROOT_TABLE | TTM(1))

/* §9.4 scalable-mode context entry */
#define SCX_P           1ull
#define SCX_FPD         2ull
#define SCX_DTE         4ull
#define SCX_PASIDE      8ull
#define SCX_PRE         0x10ull
#define SCX_PDTS(n)     ((uint64_t)(n) << 9)
#define SCX_RID_PRIV    (1ull << 20)            /* qword 1 */

/* §9.5 PASID-directory entry */
#define PDIR_P          1ull
#define PDIR_FPD        2ull

/* §9.6 PASID-table entry: qword 0 */
#define PE_P            1ull
#define PE_FPD          2ull
#define PE_AW(levels)   (((uint64_t)(levels) - 2) << 2)
#define PE_SSEE         (1ull << 5)
#define PE_PGTT(t)      ((uint64_t)(t) << 6)
#define PE_SSADE        (1ull << 9)
#define PGTT_FS         1
#define PGTT_SS         2
#define PGTT_NESTED     3
#define PGTT_PT         4
/* qword 1 */
#define PE_DID(d)       ((uint64_t)(d))
#define PE_PWSNP        (1ull << 23)
#define PE_PGSNP        (1ull << 24)
/* qword 2 */
#define PE_SRE          1ull
#define PE_ERE          2ull
#define PE_FSPM5        (1ull << 2)
#define PE_WPE          (1ull << 4)
#define PE_EAFE         (1ull << 7)

/* §9.9 first-stage (IA-32e paging) entries */
#define FS_P            1ull
#define FS_RW           2ull
#define FS_US           4ull
#define FS_A            0x20ull
#define FS_D            0x40ull
#define FS_PS           0x80ull
#define FS_XD           (1ull << 63)
#define FS_ADDR         0x000ffffffffff000ull
#define FS_TBL          (FS_P | FS_RW | FS_US)

/* §11.4.14 fault recording register, upper half */
#define FRCD_PP         (1ull << 31)

/* §6.5.2 descriptors 6 and 7 */
#define QI_PIOTLB       6ull
#define QI_PC           7ull
#define QI_PDEVTLB      8ull
#define QI_PASID(p)     ((uint64_t)(p) << 32)
#define PIOTLB_ALL      2       /* all in PASID */
#define PIOTLB_PAGE     3       /* page-selective in PASID */
#define PC_DOMAIN       0
#define PC_PASID        1
#define PC_GLOBAL       3

/* §7.1.3 Table 31: scalable-mode fault reasons */
#define SFR_TTM         0x30
#define SFR_ROOT_ACC    0x38
#define SFR_ROOT_NP     0x39
#define SFR_ROOT_RSVD   0x3a
#define SFR_CTX_ACC     0x40
#define SFR_CTX_NP      0x41
#define SFR_CTX_RSVD    0x42
#define SFR_PASIDE      0x45
#define SFR_PASID_BIG   0x46
#define SFR_RID_PASID   0x48
#define SFR_PDIR_ACC    0x50
#define SFR_PDIR_NP     0x51
#define SFR_PDIR_RSVD   0x52
#define SFR_PE_ACC      0x58
#define SFR_PE_NP       0x59
#define SFR_PE_RSVD     0x5a
#define SFR_PE_INV      0x5b
#define SFR_FS_ACC      0x70
#define SFR_FS_NP       0x71
#define SFR_FS_RSVD     0x72
#define SFR_FSPTR_ACC   0x73
#define SFR_NEST_BEYOND 0x74
#define SFR_NEST_TOP    0x75
#define SFR_NEST_READ   0x76
#define SFR_NEST_AD     0x77
#define SFR_SS_ACC      0x78
#define SFR_SS_NP       0x79
#define SFR_SS_RSVD     0x7a
#define SFR_SSPTR_ACC   0x7b
#define SFR_CANON       0x80
#define SFR_USER        0x81
#define SFR_BEYOND      0x83
#define SFR_WRITE       0x85
#define SFR_READ        0x86
#define SFR_INTR        0x87

/* ================= guest memory ================= */

/*
 * Nested: first-stage tables and data are at guest-physical addresses
 * above RAM (so a unit that used them untranslated would fault), which
 * the second stage maps to pool pages and to the data pages.
 */
#define NEST_FS_GPA     0x40000000ull
#define NEST_DATA_GPA   0x80000000ull   /* 1 GiB aligned */
#define INTR_PAGE       0xfee00000ull

#define SM_PROPS        "scalable-mode=on"

/* ================= scalable-mode tables in guest RAM ================= */

/* What the tests build: one device, one PASID entry used */
typedef struct Sm {
    QDmar *d;
    uint8_t devfn;          /* the device's (edu's) */
    uint64_t rta;           /* what sm_enable() latches */
    uint64_t ctx;           /* its context entry */
    uint64_t pdir;          /* the PASID directory */
    unsigned pdts;
    uint32_t pasid;         /* the PASID entry built: the RID_PASID */
    uint64_t pe;            /* its address */
    uint8_t pgtt;
    uint16_t did;
    unsigned ss_levels;     /* second stage: d->slpt, d->levels */
    unsigned fs_levels;
    uint64_t fs_root;       /* first-stage top table (a GPA if nested) */
    unsigned nfs;           /* nested: first-stage tables placed */
    uint64_t fs_hpa[64];
    unsigned ndata;         /* nested: data pages placed */
    bool dw;                /* the queue holds 256-bit descriptors */
} Sm;

static void sm_init(Sm *s, QDmar *d, uint8_t pgtt)
{
    *s = (Sm) {
        .d = d, .devfn = EDU_DEVFN, .rta = SM_RTA, .pgtt = pgtt,
        .did = DOMAIN, .ss_levels = 4, .fs_levels = 4,
    };
}

static bool sm_nested(Sm *s)
{
    return s->pgtt == PGTT_NESTED;
}

static bool sm_has_fs(Sm *s)
{
    return s->pgtt == PGTT_FS || s->pgtt == PGTT_NESTED;
}

static bool sm_has_ss(Sm *s)
{
    return s->pgtt == PGTT_SS || s->pgtt == PGTT_NESTED;
}

static uint64_t rd(Sm *s, uint64_t a)
{
    return qtest_readq(s->d->qts, a);
}

static void wr(Sm *s, uint64_t a, uint64_t v)
{
    qtest_writeq(s->d->qts, a, v);
}

/* Qword I of the context entry, the PASID entry */
static uint64_t ctx_q(Sm *s, unsigned i)
{
    return rd(s, s->ctx + 8 * i);
}

static void ctx_set(Sm *s, unsigned i, uint64_t v)
{
    wr(s, s->ctx + 8 * i, v);
}

static uint64_t pe_q(Sm *s, unsigned i)
{
    return rd(s, s->pe + 8 * i);
}

static void pe_set(Sm *s, unsigned i, uint64_t v)
{
    wr(s, s->pe + 8 * i, v);
}

static uint64_t pdir_slot(Sm *s, uint32_t pasid)
{
    return s->pdir + (pasid >> 6) * 8ull;
}

/* Where the first-stage table at guest-physical GPA is in RAM */
static uint64_t fs_hpa(Sm *s, uint64_t gpa)
{
    if (!sm_nested(s)) {
        return gpa;
    }
    g_assert_cmphex(gpa, >=, NEST_FS_GPA);
    g_assert_cmphex(gpa, <, NEST_FS_GPA + s->nfs * 0x1000ull);
    return s->fs_hpa[(gpa - NEST_FS_GPA) / 0x1000];
}

/* A new first-stage table: its (guest-physical) address */
static uint64_t fs_table_new(Sm *s)
{
    uint64_t hpa = dmar_table_new(s->d);
    uint64_t gpa;

    if (!sm_nested(s)) {
        return hpa;
    }
    g_assert_cmpuint(s->nfs, <, ARRAY_SIZE(s->fs_hpa));
    gpa = NEST_FS_GPA + s->nfs * 0x1000ull;
    s->fs_hpa[s->nfs++] = hpa;
    dmar_map(s->d, gpa, hpa, 1, PTE_RW);
    return gpa;
}

/* RAM address of IOVA's first-stage entry at LEVEL; makes missing tables */
static uint64_t fs_slot(Sm *s, uint64_t iova, unsigned level)
{
    uint64_t table = s->fs_root;

    for (unsigned l = s->fs_levels; l > level; l--) {
        uint64_t slot = fs_hpa(s, table) + PT_INDEX(iova, l) * 8;
        uint64_t e = rd(s, slot);

        if (!(e & FS_P)) {
            e = fs_table_new(s) | FS_TBL;
            wr(s, slot, e);
        }
        table = e & FS_ADDR;
    }
    return fs_hpa(s, table) + PT_INDEX(iova, level) * 8;
}

static void fs_set(Sm *s, uint64_t iova, unsigned level, uint64_t e)
{
    wr(s, fs_slot(s, iova, level), e);
}

/* The (guest-physical) address of the table holding IOVA's LEVEL entry */
static uint64_t fs_table_of(Sm *s, uint64_t iova, unsigned level)
{
    fs_slot(s, iova, level);
    if (level == s->fs_levels) {
        return s->fs_root;
    }
    return rd(s, fs_slot(s, iova, level + 1)) & FS_ADDR;
}

/* A first-stage leaf at LEVEL for IOVA -> OUT with FLAGS */
static void fs_map(Sm *s, uint64_t iova, uint64_t out, unsigned level,
                   uint64_t flags)
{
    fs_set(s, iova, level, out | flags | (level > 1 ? FS_PS : 0));
}

/* New, empty top tables for the stages s->pgtt uses */
static void sm_new_tables(Sm *s)
{
    s->d->slpt = dmar_table_new(s->d);
    s->d->levels = s->ss_levels;
    if (sm_has_fs(s)) {
        s->fs_root = fs_table_new(s);
    }
}

/* The PASID entry for s's PGTT, tables and domain */
static void sm_pe_write(Sm *s)
{
    uint64_t qw0 = PE_P | PE_AW(s->ss_levels) | PE_PGTT(s->pgtt);
    uint64_t qw2 = 0;

    if (sm_has_ss(s)) {
        qw0 |= s->d->slpt;
    }
    if (sm_has_fs(s)) {
        qw2 = s->fs_root | (s->fs_levels == 5 ? PE_FSPM5 : 0);
    }
    pe_set(s, 0, qw0);
    pe_set(s, 1, PE_DID(s->did));
    pe_set(s, 2, qw2);
}

/*
 * Root, context, PASID directory and PASID entry (s->pasid, which is the
 * context's RID_PASID) for the device at s->devfn, and the empty top
 * tables of the stages s->pgtt uses.
 */
static void sm_build(Sm *s)
{
    QDmar *d = s->d;
    uint64_t upper, ptbl;

    qtest_memset(d->qts, ROOT_TABLE, 0, 0x1000);
    qtest_memset(d->qts, CTX_TABLE, 0, 0x1000);
    upper = dmar_table_new(d);
    dmar_set_root(d, CTX_TABLE | ROOT_P, upper | ROOT_P);
    s->ctx = (s->devfn < 128 ? CTX_TABLE : upper) + (s->devfn & 0x7f) * 32;

    /* 2^(PDTS + 7) directory entries of 8 bytes: contiguous pool pages */
    s->pdir = dmar_table_new(d);
    for (unsigned n = 1; n < (1u << s->pdts) / 4; n++) {
        dmar_table_new(d);
    }
    ctx_set(s, 0, s->pdir | SCX_PDTS(s->pdts) | SCX_P);
    ctx_set(s, 1, s->pasid);
    ptbl = dmar_table_new(d);
    wr(s, pdir_slot(s, s->pasid), ptbl | PDIR_P);
    s->pe = ptbl + (s->pasid & 63) * 64;

    s->nfs = 0;
    s->ndata = 0;
    sm_new_tables(s);
    sm_pe_write(s);
}

/*
 * IOVA -> PA (4 KiB) for reads, and writes if WRITE, through the stages
 * s->pgtt uses (pass-through: nothing to map)
 */
static void sm_map(Sm *s, uint64_t iova, uint64_t pa, bool write)
{
    uint64_t gpa;

    switch (s->pgtt) {
    case PGTT_FS:
        fs_map(s, iova, pa, 1, FS_P | FS_US | (write ? FS_RW : 0));
        break;
    case PGTT_SS:
        dmar_map(s->d, iova, pa, 1, PTE_R | (write ? PTE_W : 0));
        break;
    case PGTT_NESTED:
        gpa = NEST_DATA_GPA + s->ndata++ * 0x1000ull;
        fs_map(s, iova, gpa, 1, FS_P | FS_US | (write ? FS_RW : 0));
        dmar_map(s->d, gpa, pa, 1, PTE_RW);
        break;
    }
}

static void sm_enable(Sm *s)
{
    dmar_enable(s->d, s->rta);
}

/*
 * FRCD[I] holds a fault of a request without PASID from SID at IOVA:
 * reason FR, PP = 0, PV = 0, not privileged, not execute
 */
static void sm_assert_frcd(QDmar *d, unsigned i, uint16_t sid, uint64_t iova,
                           uint8_t fr, bool write)
{
    uint64_t hi = FRCD_F | (write ? 0 : FRCD_T1) | FRCD_FR(fr) | sid;
    uint64_t got_hi = dmar_rd64(d, REG_FRCD(i) + 8);

    if (got_hi != hi) {
        g_test_message("FRCD[%u]: reason 0x%02x, expected 0x%02x", i,
                       (unsigned)(got_hi >> 32) & 0xff, fr);
    }
    g_assert_cmphex(got_hi, ==, hi);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(i)), ==, iova & ~0xfffull);
}

/* A machine with edu in slot SLOT (source-id SLOT << 3) */
static QDmar *sm_boot_slot(const char *props, unsigned slot)
{
    QDmar *d = g_new0(QDmar, 1);

    d->qts = qtest_initf("-M q35 -device vtd-dmar,%s "
                         "-device edu,id=edu,addr=%02x.0,"
                         "dma_mask=0xffffffffffffffff", props, slot);
    d->pool = PT_POOL;
    d->bus = qpci_new_pc(d->qts, NULL);
    d->edu = qpci_device_find(d->bus, QPCI_DEVFN(slot, 0));
    g_assert_nonnull(d->edu);
    g_assert_cmphex(qpci_config_readl(d->edu, 0), ==, 0x11e81234);
    qpci_device_enable(d->edu);
    d->bar = qpci_iomap(d->edu, 0, NULL);
    return d;
}

/* ================= capabilities ================= */

typedef struct CapCase {
    const char *name;
    const char *props;
    uint64_t ecap_set, ecap_clear;      /* bits that must be 1, 0 */
    uint64_t cap_set, cap_clear;
    int pss;                            /* ECAP.PSS; -1: not checked */
} CapCase;

#define SM_NEVER        (ECAP_PRS | ECAP_SLADS | ECAP_MTS | ECAP_EAFS | \
                         ECAP_RPRIVS)
#define SM_BOTH         (ECAP_SMTS | ECAP_FSTS | ECAP_SSTS | ECAP_NEST | \
                         ECAP_SMPWCS)

#define SM_ALL          (ECAP_SMTS | ECAP_FSTS | ECAP_SSTS | ECAP_NEST | \
                         ECAP_PASID | ECAP_SMPWCS | ECAP_SRS | ECAP_ERS)

static const CapCase cap_cases[] = {
    { "legacy", "", 0, SM_ALL, 0, CAP_FL1GP | CAP_FL5LP, 0 },
    /* without scalable mode, fsts and ssts mean nothing (any value goes) */
    { "legacy-fsts-off", "fsts=off", 0, SM_ALL, 0, CAP_FL1GP | CAP_FL5LP,
      0 },
    { "legacy-ssts-off", "ssts=off", 0, SM_ALL, 0, CAP_FL1GP | CAP_FL5LP,
      0 },
    { "sm", SM_PROPS, SM_BOTH, SM_NEVER | ECAP_PASID | ECAP_SRS | ECAP_ERS,
      CAP_FL1GP, CAP_FL5LP, 0 },
    { "x-scalable-mode", "x-scalable-mode=on", SM_BOTH, SM_NEVER,
      CAP_FL1GP, CAP_FL5LP, 0 },
    { "fsts-off", SM_PROPS ",fsts=off",
      ECAP_SMTS | ECAP_SSTS | ECAP_SMPWCS, SM_NEVER | ECAP_FSTS | ECAP_NEST,
      0, CAP_FL1GP | CAP_FL5LP, -1 },
    { "x-flts-off", SM_PROPS ",x-flts=off",
      ECAP_SMTS | ECAP_SSTS, ECAP_FSTS | ECAP_NEST, 0, CAP_FL1GP, -1 },
    { "ssts-off", SM_PROPS ",ssts=off",
      ECAP_SMTS | ECAP_FSTS | ECAP_SMPWCS, SM_NEVER | ECAP_SSTS | ECAP_NEST,
      CAP_FL1GP, CAP_FL5LP, -1 },
    { "fs1gp-off", SM_PROPS ",fs1gp=off", SM_BOTH, 0, 0, CAP_FL1GP, -1 },
    { "pasid-bits-8", SM_PROPS ",pasid-bits=8",
      SM_BOTH | ECAP_PASID | ECAP_SRS | ECAP_ERS, SM_NEVER, 0, 0, 7 },
    { "pasid-bits-20", SM_PROPS ",pasid-bits=20",
      SM_BOTH | ECAP_PASID | ECAP_SRS | ECAP_ERS, SM_NEVER, 0, 0, 19 },
    { "x-pasid-mode", SM_PROPS ",x-pasid-mode=on",
      SM_BOTH | ECAP_PASID, SM_NEVER, 0, 0, 19 },
    { "aw57", SM_PROPS ",aw-bits=57", SM_BOTH, SM_NEVER,
      CAP_FL1GP | CAP_FL5LP, 0, -1 },
    { "aw57-fsts-off", SM_PROPS ",aw-bits=57,fsts=off", ECAP_SSTS,
      ECAP_FSTS | ECAP_NEST, 0, CAP_FL1GP | CAP_FL5LP, -1 },
};

static void test_cap(const void *opaque)
{
    const CapCase *c = opaque;
    QDmar *d = dmar_boot(c->props);
    uint64_t ecap = dmar_rd64(d, REG_ECAP), cap = dmar_rd64(d, REG_CAP);

    g_test_message("CAP 0x%016" PRIx64 " ECAP 0x%016" PRIx64, cap, ecap);
    g_assert_cmphex(ecap & c->ecap_set, ==, c->ecap_set);
    g_assert_cmphex(ecap & c->ecap_clear, ==, 0);
    g_assert_cmphex(cap & c->cap_set, ==, c->cap_set);
    g_assert_cmphex(cap & c->cap_clear, ==, 0);
    if (c->pss >= 0) {
        g_assert_cmpuint(ECAP_PSS(ecap), ==, c->pss);
    }
    if (ecap & ECAP_SMTS) {
        /* RTADDR.TTM is writable: 01b scalable mode */
        dmar_wr64(d, REG_RTADDR, SM_RTA);
        g_assert_cmphex(dmar_rd64(d, REG_RTADDR), ==, SM_RTA);
    }
    dmar_free(d);
}

typedef struct RefuseCase {
    const char *name;
    const char *props;
    const char *stderr_has;
} RefuseCase;

static const RefuseCase refuse_cases[] = {
    { "both-stages-off", SM_PROPS ",fsts=off,ssts=off", "vtd-dmar" },
    { "pasid-bits-legacy", "pasid-bits=8", "vtd-dmar" },
    { "pasid-bits-21", SM_PROPS ",pasid-bits=21", "vtd-dmar" },
    { "caching-mode", SM_PROPS ",caching-mode=on",
      "caching-mode=on with scalable-mode=on" },
    { "svm", SM_PROPS ",svm=on", "vtd-dmar" },
};

static void test_refused(const void *opaque)
{
    const RefuseCase *c = opaque;
    g_autofree char *err = NULL;

    g_assert_cmpint(dmar_start_status("", c->props, &err), ==, 1);
    g_assert_nonnull(strstr(err, c->stderr_has));
}

/* ================= DMA through each PGTT ================= */

/*
 * First stage (or nested): A read only -> its page, B read/write; after
 * A -> B, the data is there, A is set on every entry the two walks used,
 * D on B's leaf only; the entries of a third, unused mapping C stay as
 * written. The leaves carry XD and ignored bits (as Linux's do), which
 * change nothing for reads and writes.
 */
typedef struct FsCase {
    const char *name;
    const char *props;
    uint8_t pgtt;           /* PGTT_FS or PGTT_NESTED */
    unsigned fs_levels;
    unsigned leaf;          /* 1: 4 KiB, 2: 2 MiB, 3: 1 GiB */
    uint32_t rid_pasid;
    uint64_t a, b, c;       /* aligned down to the page size */
} FsCase;

#define IOVA4_A         0x7fdc98765000ull
#define IOVA4_B         0xffff876543210000ull   /* canonical, upper half */
#define IOVA4_C         0x00a987654000ull
#define IOVA5_A         0x00a2b3c4d5e6f000ull
#define IOVA5_B         0xfff0e0d0c0b0a000ull
#define IOVA5_C         0x0001234567890000ull

static const FsCase fs_cases[] = {
    { "fs/4-level-4k", SM_PROPS, PGTT_FS, 4, 1, 0, IOVA4_A, IOVA4_B,
      IOVA4_C },
    { "fs/4-level-2m", SM_PROPS, PGTT_FS, 4, 2, 0, IOVA4_A, IOVA4_B,
      IOVA4_C },
    { "fs/4-level-1g", SM_PROPS, PGTT_FS, 4, 3, 0, IOVA4_A, IOVA4_B,
      IOVA4_C },
    { "fs/rid-pasid", SM_PROPS, PGTT_FS, 4, 1, 0x2c5, IOVA4_A, IOVA4_B,
      IOVA4_C },
    { "fs/only-fs", SM_PROPS ",ssts=off", PGTT_FS, 4, 1, 0, IOVA4_A,
      IOVA4_B, IOVA4_C },
    { "fs/5-level-4k", SM_PROPS ",aw-bits=57", PGTT_FS, 5, 1, 0, IOVA5_A,
      IOVA5_B, IOVA5_C },
    { "fs/5-level-1g", SM_PROPS ",aw-bits=57", PGTT_FS, 5, 3, 0, IOVA5_A,
      IOVA5_B, IOVA5_C },
    { "fs/4-level-aw57", SM_PROPS ",aw-bits=57", PGTT_FS, 4, 1, 0, IOVA4_A,
      IOVA4_B, IOVA4_C },
    { "nested/4k", SM_PROPS, PGTT_NESTED, 4, 1, 0, IOVA4_A, IOVA4_B,
      IOVA4_C },
    { "nested/2m", SM_PROPS, PGTT_NESTED, 4, 2, 0, IOVA4_A, IOVA4_B,
      IOVA4_C },
    { "nested/1g", SM_PROPS, PGTT_NESTED, 4, 3, 0x77, IOVA4_A, IOVA4_B,
      IOVA4_C },
    { "nested/5-level", SM_PROPS ",aw-bits=57", PGTT_NESTED, 5, 1, 0,
      IOVA5_A, IOVA5_B, IOVA5_C },
};

static uint64_t level_size(unsigned level)
{
    return 1ull << (12 + 9 * (level - 1));
}

/* The entries a walk of IOVA reads, top first (RAM addresses) */
static unsigned fs_path(Sm *s, uint64_t iova, unsigned leaf, uint64_t *slots)
{
    unsigned n = 0;

    for (unsigned l = s->fs_levels; l >= leaf; l--) {
        slots[n++] = fs_slot(s, iova, l);
    }
    return n;
}

typedef struct AdWant {
    unsigned n;
    uint64_t slot[32], want[32];
} AdWant;

static void ad_expect(AdWant *w, uint64_t slot, uint64_t set, uint64_t v)
{
    for (unsigned i = 0; i < w->n; i++) {
        if (w->slot[i] == slot) {
            w->want[i] |= set;
            return;
        }
    }
    g_assert_cmpuint(w->n, <, ARRAY_SIZE(w->slot));
    w->slot[w->n] = slot;
    w->want[w->n++] = v | set;
}

static void ad_check(Sm *s, AdWant *w)
{
    for (unsigned i = 0; i < w->n; i++) {
        uint64_t got = rd(s, w->slot[i]);

        if (got != w->want[i]) {
            g_test_message("entry at 0x%" PRIx64 ": 0x%016" PRIx64
                           ", expected 0x%016" PRIx64, w->slot[i], got,
                           w->want[i]);
        }
        g_assert_cmphex(got, ==, w->want[i]);
    }
}

/*
 * Where the data of the case's page for IOVA X lives: PA (the page, of
 * the leaf's size) and an offset into it
 */
static void fs_case_page(const FsCase *c, int which, uint64_t *pa,
                         uint64_t *off)
{
    static const uint64_t pas[3][2] = {
        { PAGE_P1, PAGE_P2 }, { BIG_2M_A, BIG_2M_B }, { 0, 0 },
    };
    static const uint64_t offs[3][2] = {
        { 0x100, 0x180 }, { 0x1a340, 0x1f0040 },
        { PAGE_P1 + 0x100, PAGE_P2 + 0x180 },
    };

    *pa = pas[c->leaf - 1][which];
    *off = offs[c->leaf - 1][which];
}

/* Map IOVA to PA with a leaf at LEVEL; nested: through a GPA */
static void fs_case_map(Sm *s, uint64_t iova, uint64_t pa, unsigned level,
                        uint64_t flags, unsigned n)
{
    uint64_t out = pa;

    if (sm_nested(s)) {
        out = NEST_DATA_GPA + n * level_size(3);
        dmar_map(s->d, out, pa, level, PTE_RW);
    }
    fs_map(s, iova, out, level, flags);
}

/*
 * PASID 0's entry (not the RID_PASID): pass-through in another domain,
 * which the first-stage checks would show if it were used
 */
static void sm_trap_pasid0(Sm *s)
{
    uint64_t slot = pdir_slot(s, 0), pe0;

    if (!(rd(s, slot) & PDIR_P)) {
        wr(s, slot, dmar_table_new(s->d) | PDIR_P);
    }
    pe0 = rd(s, slot) & ~0xfffull;
    g_assert_cmphex(pe0, !=, s->pe);
    wr(s, pe0, PE_P | PE_AW(4) | PE_PGTT(PGTT_PT));
    wr(s, pe0 + 8, PE_DID(DOMAIN + 1));
}

static void test_fs_dma(const void *opaque)
{
    const FsCase *c = opaque;
    QDmar *d = dmar_boot(c->props);
    uint64_t size = level_size(c->leaf);
    uint64_t a = c->a & ~(size - 1), b = c->b & ~(size - 1);
    uint64_t cc = c->c & ~(size - 1);
    uint64_t pa_a, off_a, pa_b, off_b;
    uint64_t sa[8], sb[8], sc[8];
    unsigned na, nb, nc;
    AdWant w = { 0 };
    Sm s;

    sm_init(&s, d, c->pgtt);
    s.fs_levels = c->fs_levels;
    s.ss_levels = c->fs_levels;
    s.pasid = c->rid_pasid;
    sm_build(&s);
    if (c->rid_pasid) {
        sm_trap_pasid0(&s);
    }
    /* snooping attributes are allowed (ECAP.SMPWCS) */
    pe_set(&s, 1, pe_q(&s, 1) | PE_PWSNP | PE_PGSNP);

    fs_case_page(c, 0, &pa_a, &off_a);
    fs_case_page(c, 1, &pa_b, &off_b);
    /* A: read-only, XD, PAT (bit 7 or 12) and ignored bits 52..62 */
    fs_case_map(&s, a, pa_a, c->leaf, FS_P | FS_US | FS_XD | 1ull << 52 |
                (c->leaf > 1 ? 1ull << 12 : 1ull << 7), 0);
    fs_case_map(&s, b, pa_b, c->leaf, FS_P | FS_RW | FS_US | 1ull << 62, 1);
    fs_case_map(&s, cc, PAGE_P3, 1, FS_P | FS_RW | FS_US, 2);
    na = fs_path(&s, a, c->leaf, sa);
    nb = fs_path(&s, b, c->leaf, sb);
    nc = fs_path(&s, cc, 1, sc);
    g_assert_cmpuint(na, ==, c->fs_levels - c->leaf + 1);
    for (unsigned i = 0; i < nc; i++) {
        ad_expect(&w, sc[i], 0, rd(&s, sc[i]));
    }
    for (unsigned i = 0; i < na; i++) {
        ad_expect(&w, sa[i], FS_A, rd(&s, sa[i]));
    }
    for (unsigned i = 0; i < nb; i++) {
        ad_expect(&w, sb[i], FS_A | (i == nb - 1 ? FS_D : 0), rd(&s, sb[i]));
    }
    dmar_fill(d, pa_a + off_a, 0x11);
    dmar_zero(d, pa_b + off_b);
    sm_enable(&s);

    dmar_copy(d, a + off_a, b + off_b);
    g_assert_true(dmar_holds(d, pa_b + off_b, 0x11));
    dmar_assert_no_fault(d);
    ad_check(&s, &w);
    /* A read of B now changes nothing, and neither does another write */
    dmar_copy(d, b + off_b, b + off_b + 0x40);
    g_assert_true(dmar_holds(d, pa_b + off_b + 0x40, 0x11));
    ad_check(&s, &w);

    /* a read, then a write (through what the read cached) sets D */
    dmar_fill(d, PAGE_P3 + 0x200, 0x12);
    dmar_dma_in(d, cc + 0x200);
    for (unsigned i = 0; i < nc; i++) {
        ad_expect(&w, sc[i], FS_A, 0);
    }
    ad_check(&s, &w);
    dmar_dma_out(d, cc + 0x300);
    g_assert_true(dmar_holds(d, PAGE_P3 + 0x300, 0x12));
    ad_expect(&w, sc[nc - 1], FS_D, 0);
    ad_check(&s, &w);
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* Entries with A and D set already (Linux's): written by nobody */
static void test_fs_ad_preset(void)
{
    QDmar *d = dmar_boot(SM_PROPS);
    uint64_t slots[4], want[4];
    Sm s;

    sm_init(&s, d, PGTT_FS);
    sm_build(&s);
    fs_map(&s, IOVA_A, PAGE_P1, 1, FS_P | FS_RW | FS_US | FS_A | FS_D);
    for (unsigned l = 4; l > 1; l--) {
        fs_set(&s, IOVA_A, l, rd(&s, fs_slot(&s, IOVA_A, l)) | FS_A);
    }
    fs_path(&s, IOVA_A, 1, slots);
    for (unsigned i = 0; i < 4; i++) {
        want[i] = rd(&s, slots[i]);
    }
    dmar_fill(d, PAGE_P1, 0x13);
    sm_enable(&s);
    dmar_copy(d, IOVA_A, IOVA_A + 0x800);
    g_assert_true(dmar_holds(d, PAGE_P1 + 0x800, 0x13));
    for (unsigned i = 0; i < 4; i++) {
        g_assert_cmphex(rd(&s, slots[i]), ==, want[i]);
    }
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* Second stage (3- and 4-level, 2 MiB pages), pass-through */
typedef struct SsCase {
    const char *name;
    const char *props;
    uint8_t pgtt;
    unsigned levels;
    uint32_t rid_pasid;
} SsCase;

static const SsCase ss_cases[] = {
    { "ss/3-level", SM_PROPS, PGTT_SS, 3, 0 },
    { "ss/4-level", SM_PROPS, PGTT_SS, 4, 0x1234 },
    { "ss/only-ss", SM_PROPS ",fsts=off", PGTT_SS, 4, 0 },
    { "pt", SM_PROPS, PGTT_PT, 4, 0 },
    { "pt/rid-pasid", SM_PROPS, PGTT_PT, 4, 0x41 },
    { "pt/rid-pasid-max", SM_PROPS, PGTT_PT, 4, 0xfffff },
    { "ss/rid-pasid-pdts-2", SM_PROPS, PGTT_SS, 4, 0x4321 },
};

/* The smallest PDTS whose directory holds PASID */
static unsigned pdts_for(uint32_t pasid)
{
    unsigned pdts = 0;

    while ((pasid >> 6) >= (128u << pdts)) {
        pdts++;
    }
    g_assert_cmpuint(pdts, <=, 7);
    return pdts;
}

static void test_ss_dma(const void *opaque)
{
    const SsCase *c = opaque;
    QDmar *d = dmar_boot(c->props);
    const uint64_t big = 0x40200000ull;      /* 2 MiB aligned */
    Sm s;

    sm_init(&s, d, c->pgtt);
    s.ss_levels = c->levels;
    s.pasid = c->rid_pasid;
    s.pdts = pdts_for(c->rid_pasid);
    sm_build(&s);
    sm_enable(&s);
    if (c->pgtt == PGTT_PT) {
        dmar_fill(d, IDENT_IN, 0x21);
        dmar_zero(d, IDENT_OUT);
        dmar_copy(d, IDENT_IN, IDENT_OUT);
        g_assert_true(dmar_holds(d, IDENT_OUT, 0x21));
        dmar_assert_no_fault(d);
        dmar_free(d);
        return;
    }
    /* bits 8 and 9 (A, D) are ignored without SSADE, and stay as written */
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R | 1ull << 8);
    dmar_map(d, IOVA_B, PAGE_P2, 1, PTE_W | 1ull << 9);
    dmar_map(d, big, BIG_2M_A, 2, PTE_RW);
    dmar_fill(d, PAGE_P1 + 0x40, 0x22);
    dmar_fill(d, BIG_2M_A + 0x1a340, 0x23);
    dmar_zero(d, PAGE_P2 + 0x80);
    dmar_copy(d, IOVA_A + 0x40, IOVA_B + 0x80);
    g_assert_true(dmar_holds(d, PAGE_P2 + 0x80, 0x22));
    dmar_copy(d, big + 0x1a340, big + 0x100000);
    g_assert_true(dmar_holds(d, BIG_2M_A + 0x100000, 0x23));
    dmar_assert_no_fault(d);
    g_assert_cmphex(rd(&s, dmar_pte_slot(d, IOVA_A, 1)), ==,
                    PAGE_P1 | PTE_R | 1ull << 8);
    g_assert_cmphex(rd(&s, dmar_pte_slot(d, IOVA_B, 1)), ==,
                    PAGE_P2 | PTE_W | 1ull << 9);
    g_assert_cmphex(rd(&s, dmar_pte_slot(d, big, 2)), ==,
                    BIG_2M_A | PTE_RW | PTE_PS);
    dmar_free(d);
}

/*
 * A device at devfn 0xa0 uses the upper context table (root entry
 * bits 127:64) at index 0x20, the same index as edu's usual 0x20 in the
 * lower one, which is left not present.
 */
static void test_upper_ctx(void)
{
    QDmar *d = sm_boot_slot(SM_PROPS, 0x14);
    Sm s;
    uint64_t hi;

    sm_init(&s, d, PGTT_FS);
    s.devfn = 0xa0;
    sm_build(&s);
    sm_map(&s, IOVA_A, PAGE_P1, false);
    sm_map(&s, IOVA_B, PAGE_P2, true);
    dmar_fill(d, PAGE_P1, 0x24);
    dmar_zero(d, PAGE_P2);
    hi = rd(&s, ROOT_TABLE + 8);

    /* faults first (nothing of them is cached): UP = 0, LP = 1 */
    dmar_set_root(d, CTX_TABLE | ROOT_P, hi & ~ROOT_P);
    sm_enable(&s);
    dmar_dma_in(d, IOVA_A);
    sm_assert_frcd(d, 0, 0xa0, IOVA_A, SFR_ROOT_NP, false);
    /* a reserved bit in the upper half */
    dmar_set_root(d, CTX_TABLE | ROOT_P, hi | 1ull << 3);
    dmar_dma_out(d, IOVA_B);
    sm_assert_frcd(d, 1, 0xa0, IOVA_B, SFR_ROOT_RSVD, true);
    dmar_frcd_clear(d, 0);
    dmar_frcd_clear(d, 1);

    dmar_set_root(d, CTX_TABLE | ROOT_P, hi);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_P2, 0x24));
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* TTM 00b on a unit that has scalable mode: legacy tables */
static void test_ttm_legacy(void)
{
    QDmar *d = dmar_boot(SM_PROPS);

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_P2, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0x25);
    dmar_zero(d, PAGE_P2);
    dmar_enable(d, ROOT_TABLE);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_P2, 0x25));
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* TTM 10b latched: reserved; every DMA faults 0x30 */
static void test_ttm_reserved(void)
{
    QDmar *d = dmar_boot(SM_PROPS);
    Sm s;

    sm_init(&s, d, PGTT_PT);
    sm_build(&s);
    s.rta = ROOT_TABLE | TTM(2);
    dmar_fill(d, IDENT_IN, 0x26);
    dmar_zero(d, IDENT_OUT);
    sm_enable(&s);
    dmar_copy(d, IDENT_IN, IDENT_OUT);
    g_assert_false(dmar_holds(d, IDENT_OUT, 0x26));
    sm_assert_frcd(d, 0, EDU_SID, IDENT_IN, SFR_TTM, false);
    dmar_free(d);
}

/* ================= queued invalidation ================= */

/* A queue of 256 128-bit or 128 256-bit (s->dw) descriptors at IQ_BASE */
static void sq_enable(Sm *s, bool dw)
{
    QDmar *d = s->d;
    uint64_t iqa = IQ_BASE | (dw ? IQA_DW : 0);

    s->dw = dw;
    d->iq_base = IQ_BASE;
    d->iq_entries = dw ? 128 : 256;
    d->iq_tail = 0;
    dmar_wr64(d, REG_IQA, iqa);
    dmar_wr64(d, REG_IQT, 0);
    dmar_gcmd_update(d, GCMD_QIE, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS) & GSTS_QIES, ==, GSTS_QIES);
    g_assert_cmphex(dmar_rd64(d, REG_IQA), ==, iqa);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, 0);
}

static uint64_t sq_off(Sm *s, unsigned idx)
{
    return idx * (s->dw ? 32ull : 16ull);
}

/* Descriptor Q0..Q3 at the tail (Q2, Q3 only with 256-bit ones) */
static unsigned sq_push4(Sm *s, uint64_t q0, uint64_t q1, uint64_t q2,
                         uint64_t q3)
{
    QDmar *d = s->d;
    unsigned idx = d->iq_tail;
    uint64_t a = d->iq_base + sq_off(s, idx);

    wr(s, a, q0);
    wr(s, a + 8, q1);
    if (s->dw) {
        wr(s, a + 16, q2);
        wr(s, a + 24, q3);
    } else {
        g_assert_cmphex(q2 | q3, ==, 0);
    }
    d->iq_tail = (idx + 1) % d->iq_entries;
    return idx;
}

static unsigned sq_push(Sm *s, uint64_t q0, uint64_t q1)
{
    return sq_push4(s, q0, q1, 0, 0);
}

static void sq_kick(Sm *s)
{
    dmar_wr64(s->d, REG_IQT, sq_off(s, s->d->iq_tail));
}

/* A wait descriptor after what is queued: everything before it done */
static void sq_sync(Sm *s)
{
    QDmar *d = s->d;
    uint32_t v = 0x5d000000 | ++d->iq_seq;

    qtest_writel(d->qts, IQ_SYNC, 0);
    sq_push(s, QI_WAIT | QI_WAIT_SW | QI_SDATA(v), IQ_SYNC);
    sq_kick(s);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS) & FSTS_IQE, ==, 0);
    g_assert_cmphex(qtest_readl(d->qts, IQ_SYNC), ==, v);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, sq_off(s, d->iq_tail));
}

/*
 * The queue stopped at IDX with IQE and IQEI; then queued invalidation
 * off, IQE cleared and the queue set up afresh (as before)
 */
static void sq_assert_iqe(Sm *s, unsigned idx, unsigned iqei)
{
    QDmar *d = s->d;

    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, sq_off(s, idx));
    g_assert_cmphex(dmar_rd64(d, REG_IQERCD) & 0xf, ==, iqei);
    dmar_gcmd_update(d, 0, GCMD_QIE);
    dmar_wr32(d, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);
    sq_enable(s, s->dw);
}

/* Descriptor Q0..Q3 alone stops the queue with IQEI */
static void sq_expect_iqe(Sm *s, uint64_t q0, uint64_t q1, uint64_t q2,
                          uint64_t q3, unsigned iqei)
{
    unsigned idx;

    g_test_message("descriptor 0x%016" PRIx64 " 0x%016" PRIx64 " 0x%016"
                   PRIx64 " 0x%016" PRIx64 ": IQEI %u", q0, q1, q2, q3,
                   iqei);
    sq_sync(s);
    idx = sq_push4(s, q0, q1, q2, q3);
    sq_kick(s);
    sq_assert_iqe(s, idx, iqei);
}

static uint64_t pc_desc(unsigned g, uint16_t did, uint32_t pasid)
{
    return QI_PC | QI_G(g) | QI_DID(did) | QI_PASID(pasid);
}

static uint64_t piotlb_desc(unsigned g, uint16_t did, uint32_t pasid)
{
    return QI_PIOTLB | QI_G(g) | QI_DID(did) | QI_PASID(pasid);
}

/* ================= faults ================= */

/*
 * Good tables map IOVA_F (identity-mapped RAM if leaked) to PAGE_T,
 * read/write, through the case's PGTT; the case breaks them; one DMA
 * at the case's address must be recorded with its reason (or, with FPD,
 * not at all) and move no data.
 *
 * Not here: 0x44 (translation requests: edu has no ATS), 0x5c, 0x5d and
 * 0x82 (execute and supervisor requests, which edu does not issue:
 * /vtd-dmar/sm/pasid/supervisor-execute, through x-vtd-dmar-translate),
 * 0x45/0x46 (requests with a PASID: /vtd-dmar/sm/pasid/), 0x43 (no
 * context-entry value is invalid rather than reserved in what the unit
 * offers).
 */
#define PAGE_T          0x00504000ull

typedef struct SmFaultCase {
    const char *name;
    const char *props;      /* after scalable-mode=on */
    uint8_t pgtt;
    uint8_t fr;             /* 0: suppressed by FPD, nothing recorded */
    bool write;
    void (*setup)(Sm *s);
    uint64_t iova;          /* 0: IOVA_F */
    unsigned ss_levels;     /* 0: 4 */
} SmFaultCase;

/* Beyond the host address width (40 bits: qemu64's phys-bits) */
#define F_HAW           (1ull << 50)

/* ---- root and context ---- */
static void fc_none(Sm *s)
{
}

static void fc_root_no_ram(Sm *s)
{
    s->rta = NO_RAM | TTM(1);
}

static void fc_root_np(Sm *s)
{
    dmar_set_root(s->d, CTX_TABLE, rd(s, ROOT_TABLE + 8));
}

static void fc_root_rsvd_lo(Sm *s)
{
    wr(s, ROOT_TABLE, rd(s, ROOT_TABLE) | 1ull << 1);
}

static void fc_root_rsvd_lo11(Sm *s)
{
    wr(s, ROOT_TABLE, rd(s, ROOT_TABLE) | 1ull << 11);
}

static void fc_root_rsvd_haw(Sm *s)
{
    wr(s, ROOT_TABLE, rd(s, ROOT_TABLE) | F_HAW);
}

static void fc_ctx_no_ram(Sm *s)
{
    wr(s, ROOT_TABLE, NO_RAM | ROOT_P);
}

static void fc_ctx_np(Sm *s)
{
    ctx_set(s, 0, ctx_q(s, 0) & ~SCX_P);
}

static void fc_ctx_q0_bit(Sm *s, uint64_t bit)
{
    ctx_set(s, 0, ctx_q(s, 0) | bit);
}

static void fc_ctx_rsvd5(Sm *s)
{
    fc_ctx_q0_bit(s, 1ull << 5);
}

static void fc_ctx_rsvd8(Sm *s)
{
    fc_ctx_q0_bit(s, 1ull << 8);
}

static void fc_ctx_dte(Sm *s)
{
    fc_ctx_q0_bit(s, SCX_DTE);
}

static void fc_ctx_paside(Sm *s)
{
    fc_ctx_q0_bit(s, SCX_PASIDE);
}

static void fc_ctx_pre(Sm *s)
{
    fc_ctx_q0_bit(s, SCX_PRE);
}

static void fc_ctx_pdptr_haw(Sm *s)
{
    fc_ctx_q0_bit(s, F_HAW);
}

static void fc_ctx_rid_priv(Sm *s)
{
    ctx_set(s, 1, ctx_q(s, 1) | SCX_RID_PRIV);
}

static void fc_ctx_q1_rsvd(Sm *s)
{
    ctx_set(s, 1, ctx_q(s, 1) | 1ull << 21);
}

static void fc_ctx_q2_rsvd(Sm *s)
{
    ctx_set(s, 2, 1);
}

static void fc_ctx_q3_rsvd(Sm *s)
{
    ctx_set(s, 3, 1ull << 63);
}

static void fc_ctx_fpd_rsvd(Sm *s)
{
    fc_ctx_q0_bit(s, SCX_FPD | 1ull << 6);
}

/* RID_PASID 0x2000 with a 128-entry directory (PASIDs 0..0x1fff) */
static void fc_rid_pasid_big(Sm *s)
{
    ctx_set(s, 1, 0x2000);
}

/* ---- PASID directory and table ---- */
static void fc_pdir_no_ram(Sm *s)
{
    ctx_set(s, 0, NO_RAM | SCX_P);
}

static void fc_pdir_np(Sm *s)
{
    wr(s, pdir_slot(s, s->pasid), rd(s, pdir_slot(s, s->pasid)) & ~PDIR_P);
}

static void fc_pdir_rsvd(Sm *s)
{
    wr(s, pdir_slot(s, s->pasid), rd(s, pdir_slot(s, s->pasid)) | 1ull << 2);
}

static void fc_pdir_rsvd11(Sm *s)
{
    wr(s, pdir_slot(s, s->pasid), rd(s, pdir_slot(s, s->pasid)) |
       1ull << 11);
}

static void fc_pdir_haw(Sm *s)
{
    wr(s, pdir_slot(s, s->pasid), rd(s, pdir_slot(s, s->pasid)) | F_HAW);
}

static void fc_pe_no_ram(Sm *s)
{
    wr(s, pdir_slot(s, s->pasid), NO_RAM | PDIR_P);
}

static void fc_pe_np(Sm *s)
{
    pe_set(s, 0, pe_q(s, 0) & ~PE_P);
}

#define FC_PE_OR(fn, q, bits) \
    static void fn(Sm *s) \
    { \
        pe_set(s, q, pe_q(s, q) | (bits)); \
    }

FC_PE_OR(fc_pe_ssee, 0, PE_SSEE)
FC_PE_OR(fc_pe_ssade, 0, PE_SSADE)
FC_PE_OR(fc_pe_q0_10, 0, 1ull << 10)
FC_PE_OR(fc_pe_q1_16, 1, 1ull << 16)
FC_PE_OR(fc_pe_q1_25, 1, 1ull << 25)
FC_PE_OR(fc_pe_q1_63, 1, 1ull << 63)
FC_PE_OR(fc_pe_sre, 2, PE_SRE)
FC_PE_OR(fc_pe_ere, 2, PE_ERE)
FC_PE_OR(fc_pe_q2_5, 2, 1ull << 5)
FC_PE_OR(fc_pe_eafe, 2, PE_EAFE)
FC_PE_OR(fc_pe_q2_8, 2, 1ull << 8)
FC_PE_OR(fc_pe_fsptr_haw, 2, F_HAW)
FC_PE_OR(fc_pe_q3, 3, 1)
FC_PE_OR(fc_pe_q7, 7, 1ull << 63)
FC_PE_OR(fc_pe_fspm5, 2, PE_FSPM5)

static void fc_pe_pgtt(Sm *s, unsigned pgtt)
{
    pe_set(s, 0, (pe_q(s, 0) & ~PE_PGTT(7)) | PE_PGTT(pgtt));
}

static void fc_pe_pgtt0(Sm *s)
{
    fc_pe_pgtt(s, 0);
}

static void fc_pe_pgtt5(Sm *s)
{
    fc_pe_pgtt(s, 5);
}

static void fc_pe_pgtt7(Sm *s)
{
    fc_pe_pgtt(s, 7);
}

static void fc_pe_aw(Sm *s, unsigned levels)
{
    pe_set(s, 0, (pe_q(s, 0) & ~PE_AW(9)) | PE_AW(levels));
}

static void fc_pe_aw5(Sm *s)
{
    fc_pe_aw(s, 5);         /* not in SAGAW with aw-bits=48 */
}

static void fc_pe_aw2(Sm *s)
{
    fc_pe_aw(s, 2);         /* 2-level: SAGAW bit 0, never offered */
}

/* ---- first stage ---- */
static void fc_fs_leaf_np(Sm *s)
{
    fs_set(s, IOVA_F, 1, PAGE_T | FS_RW | FS_US);
}

static void fc_fs_l4_np(Sm *s)
{
    fs_set(s, IOVA_F, 4, rd(s, fs_slot(s, IOVA_F, 4)) & ~FS_P);
}

static void fc_fs_l2_np(Sm *s)
{
    fs_set(s, IOVA_F, 2, rd(s, fs_slot(s, IOVA_F, 2)) & ~FS_P);
}

static void fc_fs_or(Sm *s, unsigned level, uint64_t bits)
{
    fs_set(s, IOVA_F, level, rd(s, fs_slot(s, IOVA_F, level)) | bits);
}

static void fc_fs_and(Sm *s, unsigned level, uint64_t bits)
{
    fs_set(s, IOVA_F, level, rd(s, fs_slot(s, IOVA_F, level)) & ~bits);
}

static void fc_fs_ps_l4(Sm *s)
{
    fc_fs_or(s, 4, FS_PS);
}

static void fc_fs5(Sm *s)
{
    /* a 5-level first stage (aw-bits=57): IOVA_F's tables anew */
    s->fs_levels = 5;
    s->fs_root = fs_table_new(s);
    pe_set(s, 2, s->fs_root | PE_FSPM5);
    sm_map(s, IOVA_F, PAGE_T, true);
}

static void fc_fs5_ps_l5(Sm *s)
{
    fc_fs5(s);
    fc_fs_or(s, 5, FS_PS);
}

static void fc_fs5_ps_l4(Sm *s)
{
    fc_fs5(s);
    fc_fs_or(s, 4, FS_PS);
}

static void fc_fs5_leaf_np(Sm *s)
{
    fc_fs5(s);
    fc_fs_leaf_np(s);
}

static void fc_fs_leaf_haw(Sm *s)
{
    fc_fs_or(s, 1, F_HAW);
}

static void fc_fs_l3_haw(Sm *s)
{
    fc_fs_or(s, 3, 1ull << 51);
}

static void fc_fs_2m_rsvd(Sm *s)
{
    /* a 2 MiB leaf with address bit 13 set: reserved */
    fs_set(s, IOVA_F, 2, BIG_2M_A | 1ull << 13 | FS_PS | FS_TBL);
}

static void fc_fs_1g_rsvd(Sm *s)
{
    /* a 1 GiB leaf with address bit 21 set */
    fs_set(s, IOVA_F, 3, 1ull << 21 | FS_PS | FS_TBL);
}

static void fc_fs_1g(Sm *s)
{
    /* a valid 1 GiB leaf: reserved without CAP.FL1GP */
    fs_set(s, IOVA_F, 3, FS_PS | FS_TBL);
}

static void fc_fs_l2_no_ram(Sm *s)
{
    fs_set(s, IOVA_F, 3, NO_RAM | FS_TBL);
}

static void fc_fs_root_no_ram(Sm *s)
{
    pe_set(s, 2, NO_RAM);
}

static void fc_fs_leaf_super(Sm *s)
{
    fc_fs_and(s, 1, FS_US);
}

static void fc_fs_l3_super(Sm *s)
{
    fc_fs_and(s, 3, FS_US);
}

static void fc_fs_leaf_ro(Sm *s)
{
    fc_fs_and(s, 1, FS_RW);
}

static void fc_fs_l2_ro(Sm *s)
{
    fc_fs_and(s, 2, FS_RW);
}

static void fc_fs_intr(Sm *s)
{
    fs_set(s, IOVA_F, 1, INTR_PAGE | FS_TBL);
}

/* ---- second stage ---- */
static void fc_ss_leaf_np(Sm *s)
{
    dmar_set_pte(s->d, IOVA_F, 1, PAGE_T);
}

static void fc_ss_l2_np(Sm *s)
{
    dmar_set_pte(s->d, IOVA_F, 2, 0);
}

static void fc_ss_leaf_haw(Sm *s)
{
    dmar_set_pte(s->d, IOVA_F, 1, PAGE_T | F_HAW | PTE_RW);
}

static void fc_ss_ps_l4(Sm *s)
{
    dmar_set_pte(s->d, IOVA_F, 4,
                 rd(s, dmar_pte_slot(s->d, IOVA_F, 4)) | PTE_PS);
}

static void fc_ss_l2_no_ram(Sm *s)
{
    dmar_set_pte(s->d, IOVA_F, 2, NO_RAM | PTE_RW);
}

static void fc_ss_root_no_ram(Sm *s)
{
    pe_set(s, 0, (pe_q(s, 0) & 0xfffull) | NO_RAM);
}

static void fc_ss_ro(Sm *s)
{
    dmar_map(s->d, IOVA_F, PAGE_T, 1, PTE_R);
}

static void fc_ss_wo(Sm *s)
{
    dmar_map(s->d, IOVA_F, PAGE_T, 1, PTE_W);
}

static void fc_ss_intr(Sm *s)
{
    dmar_map(s->d, IOVA_F, INTR_PAGE, 1, PTE_RW);
}

/* ---- nested ---- */

/* The second stage no longer maps the FS table of LEVEL's entries */
static void fc_nest_unmap(Sm *s, unsigned level)
{
    dmar_set_pte(s->d, fs_table_of(s, IOVA_F, level), 1, 0);
}

static void fc_nest_top(Sm *s)
{
    fc_nest_unmap(s, 4);
}

static void fc_nest_l2(Sm *s)
{
    fc_nest_unmap(s, 2);
}

static void fc_nest_leaf_table_ro(Sm *s)
{
    uint64_t gpa = fs_table_of(s, IOVA_F, 1);

    dmar_map(s->d, gpa, fs_hpa(s, gpa), 1, PTE_R);
}

static void fc_nest_top_wo(Sm *s)
{
    /* the FS root readable by nobody: write-only in the second stage */
    dmar_map(s->d, s->fs_root, fs_hpa(s, s->fs_root), 1, PTE_W);
}

static void fc_nest_data_np(Sm *s)
{
    uint64_t gpa = rd(s, fs_slot(s, IOVA_F, 1)) & FS_ADDR;

    dmar_set_pte(s->d, gpa, 1, 0);
}

static void fc_nest_data_ro(Sm *s)
{
    uint64_t gpa = rd(s, fs_slot(s, IOVA_F, 1)) & FS_ADDR;

    dmar_map(s->d, gpa, PAGE_T, 1, PTE_R);
}

static void fc_nest_beyond(Sm *s)
{
    /* a first-stage table at 2^39: beyond the 3-level second stage */
    fs_set(s, IOVA_F, 4, 1ull << 39 | FS_TBL);
}

static void fc_nest_out_beyond(Sm *s)
{
    fs_set(s, IOVA_F, 1, 1ull << 39 | FS_TBL);
}

/* ---- FPD ---- */
static void fc_ctx_fpd(Sm *s)
{
    fc_ctx_q0_bit(s, SCX_FPD);
}

static void fc_fpd_ctx_pe_np(Sm *s)
{
    fc_ctx_fpd(s);
    fc_pe_np(s);
}

static void fc_fpd_ctx_pdir_np(Sm *s)
{
    fc_ctx_fpd(s);
    fc_pdir_np(s);
}

static void fc_fpd_ctx_pdir_rsvd(Sm *s)
{
    fc_ctx_fpd(s);
    fc_pdir_rsvd(s);
}

static void fc_fpd_ctx_fs(Sm *s)
{
    fc_ctx_fpd(s);
    fc_fs_leaf_np(s);
}

static void fc_fpd_ctx_big(Sm *s)
{
    fc_ctx_fpd(s);
    fc_rid_pasid_big(s);
}

static void fc_pdir_fpd(Sm *s)
{
    wr(s, pdir_slot(s, s->pasid), rd(s, pdir_slot(s, s->pasid)) | PDIR_FPD);
}

static void fc_fpd_pdir_pe_np(Sm *s)
{
    fc_pdir_fpd(s);
    fc_pe_np(s);
}

static void fc_fpd_pdir_pe_rsvd(Sm *s)
{
    fc_pdir_fpd(s);
    fc_pe_q3(s);
}

static void fc_fpd_pdir_fs(Sm *s)
{
    fc_pdir_fpd(s);
    fc_fs_leaf_super(s);
}

static void fc_fpd_pe_fs_np(Sm *s)
{
    pe_set(s, 0, pe_q(s, 0) | PE_FPD);
    fc_fs_l4_np(s);
}

static void fc_fpd_pe_fs_ro(Sm *s)
{
    pe_set(s, 0, pe_q(s, 0) | PE_FPD);
    fc_fs_leaf_ro(s);
}

static void fc_fpd_pe_ss(Sm *s)
{
    pe_set(s, 0, pe_q(s, 0) | PE_FPD);
    fc_ss_leaf_np(s);
}

static void fc_fpd_pe_nest(Sm *s)
{
    pe_set(s, 0, pe_q(s, 0) | PE_FPD);
    fc_nest_l2(s);
}

static void fc_fpd_pe_intr(Sm *s)
{
    pe_set(s, 0, pe_q(s, 0) | PE_FPD);
    fc_fs_intr(s);
}

#define T_FS            PGTT_FS
#define T_SS            PGTT_SS
#define T_NE            PGTT_NESTED
#define T_PT            PGTT_PT
#define NONCANON        0x0000800000001000ull   /* bit 47 set, 63:48 not */

static const SmFaultCase sm_fault_cases[] = {
    /* root entries */
    { "root-access", "", T_FS, SFR_ROOT_ACC, false, fc_root_no_ram },
    { "root-not-present", "", T_FS, SFR_ROOT_NP, true, fc_root_np },
    { "root-rsvd-bit1", "", T_FS, SFR_ROOT_RSVD, false, fc_root_rsvd_lo },
    { "root-rsvd-bit11", "", T_SS, SFR_ROOT_RSVD, true, fc_root_rsvd_lo11 },
    { "root-rsvd-haw", "", T_FS, SFR_ROOT_RSVD, false, fc_root_rsvd_haw },
    /* context entries */
    { "ctx-access", "", T_FS, SFR_CTX_ACC, true, fc_ctx_no_ram },
    { "ctx-not-present", "", T_FS, SFR_CTX_NP, false, fc_ctx_np },
    { "ctx-rsvd-bit5", "", T_FS, SFR_CTX_RSVD, false, fc_ctx_rsvd5 },
    { "ctx-rsvd-bit8", "", T_SS, SFR_CTX_RSVD, true, fc_ctx_rsvd8 },
    { "ctx-rsvd-dte", "", T_FS, SFR_CTX_RSVD, false, fc_ctx_dte },
    { "ctx-rsvd-paside", "", T_FS, SFR_CTX_RSVD, true, fc_ctx_paside },
    { "ctx-rsvd-pre", "", T_PT, SFR_CTX_RSVD, false, fc_ctx_pre },
    { "ctx-rsvd-pdptr-haw", "", T_FS, SFR_CTX_RSVD, false, fc_ctx_pdptr_haw },
    { "ctx-rsvd-rid-priv", "", T_FS, SFR_CTX_RSVD, true, fc_ctx_rid_priv },
    { "ctx-rsvd-q1", "", T_FS, SFR_CTX_RSVD, false, fc_ctx_q1_rsvd },
    { "ctx-rsvd-q2", "", T_SS, SFR_CTX_RSVD, false, fc_ctx_q2_rsvd },
    { "ctx-rsvd-q3", "", T_FS, SFR_CTX_RSVD, true, fc_ctx_q3_rsvd },
    { "rid-pasid-beyond-dir", "", T_FS, SFR_RID_PASID, false,
      fc_rid_pasid_big },
    /* PASID directory */
    { "pdir-access", "", T_FS, SFR_PDIR_ACC, false, fc_pdir_no_ram },
    { "pdir-not-present", "", T_FS, SFR_PDIR_NP, true, fc_pdir_np },
    { "pdir-rsvd-bit2", "", T_FS, SFR_PDIR_RSVD, false, fc_pdir_rsvd },
    { "pdir-rsvd-bit11", "", T_PT, SFR_PDIR_RSVD, true, fc_pdir_rsvd11 },
    { "pdir-rsvd-haw", "", T_SS, SFR_PDIR_RSVD, false, fc_pdir_haw },
    /* PASID table */
    { "pe-access", "", T_FS, SFR_PE_ACC, false, fc_pe_no_ram },
    { "pe-not-present", "", T_FS, SFR_PE_NP, true, fc_pe_np },
    { "pe-rsvd-ssee", "", T_SS, SFR_PE_RSVD, false, fc_pe_ssee },
    { "pe-rsvd-ssade", "", T_SS, SFR_PE_RSVD, true, fc_pe_ssade },
    { "pe-rsvd-q0-bit10", "", T_FS, SFR_PE_RSVD, false, fc_pe_q0_10 },
    { "pe-rsvd-q1-bit16", "", T_FS, SFR_PE_RSVD, false, fc_pe_q1_16 },
    { "pe-rsvd-q1-bit25", "", T_SS, SFR_PE_RSVD, true, fc_pe_q1_25 },
    { "pe-rsvd-q1-bit63", "", T_PT, SFR_PE_RSVD, false, fc_pe_q1_63 },
    { "pe-rsvd-sre", "", T_FS, SFR_PE_RSVD, false, fc_pe_sre },
    { "pe-rsvd-ere", "", T_FS, SFR_PE_RSVD, true, fc_pe_ere },
    { "pe-rsvd-q2-bit5", "", T_FS, SFR_PE_RSVD, false, fc_pe_q2_5 },
    { "pe-rsvd-eafe", "", T_FS, SFR_PE_RSVD, false, fc_pe_eafe },
    { "pe-rsvd-q2-bit8", "", T_NE, SFR_PE_RSVD, true, fc_pe_q2_8 },
    { "pe-rsvd-fsptptr-haw", "", T_FS, SFR_PE_RSVD, false, fc_pe_fsptr_haw },
    { "pe-rsvd-q3", "", T_FS, SFR_PE_RSVD, false, fc_pe_q3 },
    { "pe-rsvd-q7", "", T_SS, SFR_PE_RSVD, true, fc_pe_q7 },
    { "pe-pgtt-0", "", T_FS, SFR_PE_INV, false, fc_pe_pgtt0 },
    { "pe-pgtt-5", "", T_FS, SFR_PE_INV, true, fc_pe_pgtt5 },
    { "pe-pgtt-7", "", T_FS, SFR_PE_INV, false, fc_pe_pgtt7 },
    { "pe-fs-fsts-off", ",fsts=off", T_FS, SFR_PE_INV, false, fc_none },
    { "pe-nested-fsts-off", ",fsts=off", T_NE, SFR_PE_INV, true, fc_none },
    { "pe-ss-ssts-off", ",ssts=off", T_SS, SFR_PE_INV, false, fc_none },
    { "pe-nested-ssts-off", ",ssts=off", T_NE, SFR_PE_INV, false, fc_none },
    { "pe-ss-aw-5level", "", T_SS, SFR_PE_INV, true, fc_pe_aw5 },
    { "pe-ss-aw-2level", "", T_SS, SFR_PE_INV, false, fc_pe_aw2 },
    { "pe-nested-aw-5level", "", T_NE, SFR_PE_INV, false, fc_pe_aw5 },
    { "pe-fspm-5level-aw48", "", T_FS, SFR_PE_INV, false, fc_pe_fspm5 },
    /* first stage */
    { "fs-root-access", "", T_FS, SFR_FSPTR_ACC, false, fc_fs_root_no_ram },
    { "fs-access", "", T_FS, SFR_FS_ACC, true, fc_fs_l2_no_ram },
    { "fs-leaf-not-present", "", T_FS, SFR_FS_NP, false, fc_fs_leaf_np },
    { "fs-l4-not-present", "", T_FS, SFR_FS_NP, true, fc_fs_l4_np },
    { "fs-l2-not-present", "", T_FS, SFR_FS_NP, false, fc_fs_l2_np },
    { "fs-rsvd-ps-l4", "", T_FS, SFR_FS_RSVD, false, fc_fs_ps_l4 },
    { "fs-rsvd-leaf-haw", "", T_FS, SFR_FS_RSVD, true, fc_fs_leaf_haw },
    { "fs-rsvd-table-haw", "", T_FS, SFR_FS_RSVD, false, fc_fs_l3_haw },
    { "fs-rsvd-2m-addr", "", T_FS, SFR_FS_RSVD, false, fc_fs_2m_rsvd },
    { "fs-rsvd-1g-addr", "", T_FS, SFR_FS_RSVD, true, fc_fs_1g_rsvd },
    { "fs-rsvd-1g-fs1gp-off", ",fs1gp=off", T_FS, SFR_FS_RSVD, false,
      fc_fs_1g },
    { "fs-non-canonical", "", T_FS, SFR_CANON, false, fc_none, NONCANON },
    { "fs-non-canonical-write", "", T_FS, SFR_CANON, true, fc_none,
      NONCANON },
    { "fs5-rsvd-ps-l5", ",aw-bits=57", T_FS, SFR_FS_RSVD, false,
      fc_fs5_ps_l5 },
    { "fs5-rsvd-ps-l4", ",aw-bits=57", T_FS, SFR_FS_RSVD, true,
      fc_fs5_ps_l4 },
    { "fs5-leaf-not-present", ",aw-bits=57", T_FS, SFR_FS_NP, false,
      fc_fs5_leaf_np },
    /* bit 56 set, 63:57 not */
    { "fs5-non-canonical", ",aw-bits=57", T_FS, SFR_CANON, true, fc_fs5,
      0x0100000000001000ull },
    /* canonical for 5 levels, not for the 4 that FSPM says */
    { "fs4-aw57-non-canonical", ",aw-bits=57", T_FS, SFR_CANON, false,
      fc_none, 0x0000800000001000ull },
    { "fs-user-leaf", "", T_FS, SFR_USER, false, fc_fs_leaf_super },
    { "fs-user-l3", "", T_FS, SFR_USER, true, fc_fs_l3_super },
    { "fs-write-leaf-ro", "", T_FS, SFR_WRITE, true, fc_fs_leaf_ro },
    { "fs-write-l2-ro", "", T_FS, SFR_WRITE, true, fc_fs_l2_ro },
    { "fs-intr-range-read", "", T_FS, SFR_INTR, false, fc_fs_intr },
    { "fs-intr-range-write", "", T_FS, SFR_INTR, true, fc_fs_intr },
    /* second stage */
    { "ss-root-access", "", T_SS, SFR_SSPTR_ACC, false, fc_ss_root_no_ram },
    { "ss-access", "", T_SS, SFR_SS_ACC, true, fc_ss_l2_no_ram },
    { "ss-leaf-not-present", "", T_SS, SFR_SS_NP, false, fc_ss_leaf_np },
    { "ss-l2-not-present", "", T_SS, SFR_SS_NP, true, fc_ss_l2_np },
    { "ss-rsvd-leaf-haw", "", T_SS, SFR_SS_RSVD, false, fc_ss_leaf_haw },
    { "ss-rsvd-ps-l4", "", T_SS, SFR_SS_RSVD, true, fc_ss_ps_l4 },
    { "ss-beyond-aw-3level", "", T_SS, SFR_BEYOND, false, fc_none,
      1ull << 40, 3 },
    { "ss-beyond-aw-4level", "", T_SS, SFR_BEYOND, true, fc_none, 1ull << 50 },
    { "ss-write-ro", "", T_SS, SFR_WRITE, true, fc_ss_ro },
    { "ss-read-wo", "", T_SS, SFR_READ, false, fc_ss_wo },
    { "ss-intr-range", "", T_SS, SFR_INTR, false, fc_ss_intr },
    /* pass-through */
    { "pt-beyond-aw", "", T_PT, SFR_BEYOND, false, fc_none, 1ull << 50 },
    /* nested */
    { "nested-top-unmapped", "", T_NE, SFR_NEST_TOP, false, fc_nest_top },
    { "nested-top-write-only", "", T_NE, SFR_NEST_TOP, true, fc_nest_top_wo },
    { "nested-l2-unmapped", "", T_NE, SFR_NEST_READ, true, fc_nest_l2 },
    { "nested-ad-read-only", "", T_NE, SFR_NEST_AD, false,
      fc_nest_leaf_table_ro },
    { "nested-table-beyond", "", T_NE, SFR_NEST_BEYOND, false, fc_nest_beyond,
      0, 3 },
    { "nested-out-beyond", "", T_NE, SFR_BEYOND, true, fc_nest_out_beyond,
      0, 3 },
    { "nested-out-not-present", "", T_NE, SFR_SS_NP, false, fc_nest_data_np },
    { "nested-out-read-only", "", T_NE, SFR_WRITE, true, fc_nest_data_ro },
    { "nested-fs-not-present", "", T_NE, SFR_FS_NP, false, fc_fs_leaf_np },
    { "nested-fs-user", "", T_NE, SFR_USER, true, fc_fs_l3_super },
    { "nested-fs-write-ro", "", T_NE, SFR_WRITE, true, fc_fs_leaf_ro },
    { "nested-non-canonical", "", T_NE, SFR_CANON, false, fc_none, NONCANON },
    /* FPD: nothing recorded at or below the entry that has it... */
    { "fpd-ctx/pe-not-present", "", T_FS, 0, false, fc_fpd_ctx_pe_np },
    { "fpd-ctx/pdir-not-present", "", T_FS, 0, true, fc_fpd_ctx_pdir_np },
    { "fpd-ctx/pdir-rsvd", "", T_SS, 0, false, fc_fpd_ctx_pdir_rsvd },
    { "fpd-ctx/rid-pasid-beyond", "", T_FS, 0, false, fc_fpd_ctx_big },
    { "fpd-ctx/fs-not-present", "", T_FS, 0, true, fc_fpd_ctx_fs },
    { "fpd-pdir/pe-not-present", "", T_FS, 0, false, fc_fpd_pdir_pe_np },
    { "fpd-pdir/pe-rsvd", "", T_FS, 0, false, fc_fpd_pdir_pe_rsvd },
    { "fpd-pdir/fs-user", "", T_FS, 0, true, fc_fpd_pdir_fs },
    { "fpd-pe/fs-not-present", "", T_FS, 0, false, fc_fpd_pe_fs_np },
    { "fpd-pe/fs-write", "", T_FS, 0, true, fc_fpd_pe_fs_ro },
    { "fpd-pe/ss-not-present", "", T_SS, 0, false, fc_fpd_pe_ss },
    { "fpd-pe/nested", "", T_NE, 0, true, fc_fpd_pe_nest },
    { "fpd-pe/intr-range", "", T_FS, 0, false, fc_fpd_pe_intr },
    /* ...except a context entry's reserved bits */
    { "fpd-ctx/ctx-rsvd", "", T_FS, SFR_CTX_RSVD, false, fc_ctx_fpd_rsvd },
};

/*
 * The fault cases share a machine while their properties are the same:
 * each starts from translation off, no fault pending, new tables and
 * global invalidations of every cache, as software would after SRTP.
 */
static QDmar *fault_m;
static char *fault_m_props;

static QDmar *fault_machine(const char *props)
{
    QDmar *d;

    if (fault_m && strcmp(fault_m_props, props)) {
        dmar_free(fault_m);
        fault_m = NULL;
    }
    if (!fault_m) {
        g_free(fault_m_props);
        fault_m_props = g_strdup(props);
        fault_m = dmar_boot(props);
    }
    d = fault_m;
    dmar_wr32(d, REG_GCMD, 0);
    for (unsigned i = 0; i < 8; i++) {
        dmar_frcd_clear(d, i);
    }
    dmar_wr32(d, REG_FSTS, FSTS_PFO | FSTS_IQE);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS) & ~GSTS_RTPS, ==, 0);
    d->pool = PT_POOL;
    return d;
}

static void fault_machine_end(void)
{
    if (fault_m) {
        dmar_free(fault_m);
        fault_m = NULL;
    }
    g_free(fault_m_props);
}

/* The fault record pending, of a fault of edu's at IOVA, reason FR */
static void sm_assert_one_fault(QDmar *d, uint64_t iova, uint8_t fr,
                                bool write)
{
    uint32_t fsts = dmar_fsts(d);
    unsigned rec;

    if (!(fsts & FSTS_PPF)) {
        g_test_message("no fault recorded; expected reason 0x%02x", fr);
    }
    g_assert_cmphex(fsts & FSTS_PPF, ==, FSTS_PPF);
    /* edu's transfer is several bus transactions: one record */
    rec = frcd_pending(d);
    g_assert_cmphex(fsts, ==, FSTS_PPF | FSTS_FRI(rec));
    sm_assert_frcd(d, rec, EDU_SID, iova, fr, write);
}

static void test_sm_fault(const void *opaque)
{
    const SmFaultCase *c = opaque;
    g_autofree char *props = g_strdup_printf(SM_PROPS "%s", c->props);
    QDmar *d = fault_machine(props);
    uint64_t iova = c->iova ? c->iova : IOVA_F;
    uint8_t t_seed = c->write ? 0x5c : 0x6d;
    uint8_t id_seed = c->write ? 0x5c : 0x7e;
    Sm s;

    /* a known edu buffer, loaded while DMA is untranslated */
    dmar_fill(d, SCRATCH, 0x3a);
    dmar_dma_in(d, SCRATCH);

    sm_init(&s, d, c->pgtt);
    if (c->ss_levels) {
        s.ss_levels = c->ss_levels;
    }
    sm_build(&s);
    sm_map(&s, IOVA_F, PAGE_T, true);
    c->setup(&s);
    dmar_fill(d, PAGE_T + (IOVA_F & 0xfff), t_seed);
    dmar_fill(d, IOVA_F, id_seed);

    /* SRTP, every cache invalidated, translation on */
    dmar_wr64(d, REG_RTADDR, s.rta);
    dmar_wr32(d, REG_GCMD, GCMD_SRTP);
    sq_enable(&s, false);
    sq_push(&s, QI_CC | QI_G(GRAN_GLOBAL), 0);
    sq_push(&s, pc_desc(PC_GLOBAL, 0, 0), 0);
    sq_push(&s, QI_IOTLB | QI_G(GRAN_GLOBAL), 0);
    sq_sync(&s);
    dmar_gcmd_update(d, GCMD_TE, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==,
                    GSTS_TES | GSTS_RTPS | GSTS_QIES);

    if (c->write) {
        dmar_dma_out(d, iova);
    } else {
        dmar_dma_in(d, iova);
    }
    if (c->fr) {
        sm_assert_one_fault(d, iova, c->fr, c->write);
    } else {
        dmar_assert_no_fault(d);
        for (unsigned i = 0; i < 8; i++) {
            g_assert_cmphex(dmar_rd64(d, REG_FRCD(i) + 8) & FRCD_F, ==, 0);
        }
    }

    /* a blocked write changed nothing... */
    g_assert_true(dmar_holds(d, PAGE_T + (IOVA_F & 0xfff), t_seed));
    g_assert_true(dmar_holds(d, IOVA_F, id_seed));
    if (!c->write) {
        /* ...and a blocked read brought edu nothing: look untranslated */
        dmar_wr32(d, REG_GCMD, 0);
        dmar_dma_out(d, SCRATCH);
        g_assert_false(dmar_holds(d, SCRATCH, t_seed));
        g_assert_false(dmar_holds(d, SCRATCH, id_seed));
    }
}

/* ================= requests with a PASID: x-vtd-dmar-translate ======== */

/* The command's answer for edu's read of ADDR with PASID (-1: none) */
static QDict *xl_pasid(QDmar *d, uint64_t addr, int64_t pasid)
{
    QDict *rsp;

    if (pasid < 0) {
        rsp = qtest_qmp(d->qts, "{'execute': 'x-vtd-dmar-translate', "
                        "'arguments': {'device': 'edu', 'address': %" PRIu64
                        "}}", addr);
    } else {
        rsp = qtest_qmp(d->qts, "{'execute': 'x-vtd-dmar-translate', "
                        "'arguments': {'device': 'edu', 'address': %" PRIu64
                        ", 'pasid': %" PRId64 "}}", addr, pasid);
    }
    return rsp;
}

/* The fault reason the answer gives, or -1 for a translation to *PA */
static int xl_result(QDict *rsp, uint64_t *pa)
{
    g_autoptr(GString) js = qobject_to_json(QOBJECT(rsp));
    QDict *ret = qdict_get_qdict(rsp, "return");
    int r;

    g_test_message("x-vtd-dmar-translate: %s", js->str);
    g_assert_nonnull(ret);
    if (qdict_haskey(ret, "reason")) {
        r = qdict_get_int(ret, "reason");
    } else {
        g_assert_true(qdict_haskey(ret, "translated-address"));
        g_assert_true(qnum_get_try_uint(qobject_to(QNum,
                      qdict_get(ret, "translated-address")), pa));
        r = -1;
    }
    qobject_unref(rsp);
    return r;
}

/*
 * PASIDs 5 and 0x45 of edu: first stage, IOVA_A -> PAGE_P1 and PAGE_P2;
 * the context's RID_PASID (0) -> PAGE_P3
 */
static QDmar *pasid_boot(const char *props, Sm *s, uint64_t ctx_flags)
{
    QDmar *d = dmar_boot(props);
    Sm p;

    sm_init(s, d, PGTT_FS);
    sm_build(s);
    sm_map(s, IOVA_A, PAGE_P3, true);
    ctx_set(s, 0, ctx_q(s, 0) | ctx_flags);
    /* the same directory, other PASID entries with their own tables */
    for (unsigned i = 0; i < 2; i++) {
        p = *s;
        p.pasid = i ? 0x45 : 5;
        if (!(rd(s, pdir_slot(s, p.pasid)) & PDIR_P)) {
            wr(s, pdir_slot(s, p.pasid), dmar_table_new(d) | PDIR_P);
        }
        p.pe = (rd(s, pdir_slot(s, p.pasid)) & ~0xfffull) +
               (p.pasid & 63) * 64;
        p.fs_root = fs_table_new(&p);
        pe_set(&p, 0, PE_P | PE_AW(4) | PE_PGTT(PGTT_FS));
        pe_set(&p, 1, PE_DID(DOMAIN + 1 + i));
        pe_set(&p, 2, p.fs_root);
        sm_map(&p, IOVA_A, i ? PAGE_P2 : PAGE_P1, true);
    }
    sm_enable(s);
    return d;
}

static void test_pasid_translate(void)
{
    Sm s;
    QDmar *d = pasid_boot(SM_PROPS ",pasid-bits=8", &s, SCX_PASIDE);
    uint64_t pa = 0;

    g_assert_cmpint(xl_result(xl_pasid(d, IOVA_A + 0x10, -1), &pa), ==, -1);
    g_assert_cmphex(pa, ==, PAGE_P3 + 0x10);
    g_assert_cmpint(xl_result(xl_pasid(d, IOVA_A + 0x20, 5), &pa), ==, -1);
    g_assert_cmphex(pa, ==, PAGE_P1 + 0x20);
    g_assert_cmpint(xl_result(xl_pasid(d, IOVA_A + 0x30, 0x45), &pa), ==, -1);
    g_assert_cmphex(pa, ==, PAGE_P2 + 0x30);
    /* no entry for PASID 6 */
    g_assert_cmpint(xl_result(xl_pasid(d, IOVA_A, 6), &pa), ==, SFR_PE_NP);
    /* PASID 0x100: beyond pasid-bits 8 */
    g_assert_cmpint(xl_result(xl_pasid(d, IOVA_A, 0x100), &pa), ==,
                    SFR_PASID_BIG);
    dmar_assert_no_fault(d);
    dmar_free(d);
}

static void test_pasid_paside(void)
{
    Sm s;
    QDmar *d = pasid_boot(SM_PROPS ",pasid-bits=8", &s, 0);
    uint64_t pa = 0;

    g_assert_cmpint(xl_result(xl_pasid(d, IOVA_A, 5), &pa), ==, SFR_PASIDE);
    /* without PASID: RID_PASID still works */
    g_assert_cmpint(xl_result(xl_pasid(d, IOVA_A, -1), &pa), ==, -1);
    g_assert_cmphex(pa, ==, PAGE_P3);
    dmar_free(d);
}

static void test_pasid_beyond_dir(void)
{
    Sm s;
    QDmar *d = pasid_boot(SM_PROPS ",pasid-bits=20", &s, SCX_PASIDE);
    uint64_t pa = 0;

    /* PDTS 0: 128 directory entries, PASIDs below 0x2000 */
    g_assert_cmpint(xl_result(xl_pasid(d, IOVA_A, 0x2000), &pa), ==,
                    SFR_PASID_BIG);
    /* the last PASID the directory holds: its entry is not present */
    g_assert_cmpint(xl_result(xl_pasid(d, IOVA_A, 0x1fff), &pa), ==,
                    SFR_PDIR_NP);
    dmar_free(d);
}

/* As xl_pasid(), a supervisor (PRIV) and/or execute (EXEC) request */
static QDict *xl_attr(QDmar *d, uint64_t addr, uint32_t pasid, bool write,
                      bool priv, bool exec)
{
    return qtest_qmp(d->qts, "{'execute': 'x-vtd-dmar-translate', "
                     "'arguments': {'device': 'edu', 'address': %" PRIu64
                     ", 'pasid': %u, 'write': %i, 'privileged': %i, "
                     "'execute': %i}}", addr, pasid, write, priv, exec);
}

#define SFR_ERE         0x5c
#define SFR_SRE         0x5d
#define SFR_EXEC        0x82

/*
 * Supervisor and execute requests (ECAP.SRS, ERS with pasid-bits): SRE
 * and ERE in the PASID entry let them through (0x5d, 0x5c otherwise);
 * user requests need U/S (0x81); execute stops at XD (0x82); supervisor
 * writes go through read-only pages unless WPE (0x85).
 */
static void test_pasid_attrs(void)
{
    Sm s, p;
    QDmar *d = pasid_boot(SM_PROPS ",pasid-bits=8", &s, SCX_PASIDE);
    const uint64_t kpage = IOVA_B, xdpage = IOVA_C;
    uint64_t pa = 0, q2;
    QDict *rsp;

    g_assert_cmphex(dmar_rd64(d, REG_ECAP) & (ECAP_SRS | ECAP_ERS), ==,
                    ECAP_SRS | ECAP_ERS);
    /* PASID 5's entry and tables, as pasid_boot() made them */
    p = s;
    p.pasid = 5;
    p.pe = (rd(&s, pdir_slot(&s, 5)) & ~0xfffull) + 5 * 64;
    q2 = pe_q(&p, 2);
    p.fs_root = q2 & FS_ADDR;
    /* a supervisor, read-only page and a user page with XD */
    fs_map(&p, kpage, PAGE_P2, 1, FS_P);
    fs_map(&p, xdpage, PAGE_P3, 1, FS_P | FS_US | FS_RW | FS_XD);

    /* SRE and ERE clear */
    g_assert_cmpint(xl_result(xl_attr(d, kpage, 5, false, true, false), &pa),
                    ==, SFR_SRE);
    g_assert_cmpint(xl_result(xl_attr(d, IOVA_A, 5, false, false, true),
                              &pa), ==, SFR_ERE);
    pe_set(&p, 2, q2 | PE_SRE | PE_ERE);
    /* a user request to the supervisor page; a supervisor one passes */
    g_assert_cmpint(xl_result(xl_attr(d, kpage, 5, false, false, false),
                              &pa), ==, SFR_USER);
    g_assert_cmpint(xl_result(xl_attr(d, kpage + 8, 5, false, true, false),
                              &pa), ==, -1);
    g_assert_cmphex(pa, ==, PAGE_P2 + 8);
    /* ... and writes it, read-only as it is, unless WPE */
    g_assert_cmpint(xl_result(xl_attr(d, kpage, 5, true, true, false), &pa),
                    ==, -1);
    pe_set(&p, 2, q2 | PE_SRE | PE_ERE | PE_WPE);
    g_assert_cmpint(xl_result(xl_attr(d, kpage, 5, true, true, false), &pa),
                    ==, SFR_WRITE);
    /* execute: XD stops it; elsewhere it passes */
    g_assert_cmpint(xl_result(xl_attr(d, xdpage, 5, false, false, true),
                              &pa), ==, SFR_EXEC);
    g_assert_cmpint(xl_result(xl_attr(d, xdpage, 5, false, false, false),
                              &pa), ==, -1);
    g_assert_cmpint(xl_result(xl_attr(d, IOVA_A, 5, false, false, true),
                              &pa), ==, -1);
    g_assert_cmphex(pa, ==, PAGE_P1);
    /* requests without PASID are user reads and writes: refused */
    rsp = qtest_qmp(d->qts, "{'execute': 'x-vtd-dmar-translate', "
                    "'arguments': {'device': 'edu', 'address': 4096, "
                    "'privileged': true}}");
    g_assert_true(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* ================= invalidation ================= */

/*
 * 256-bit descriptors: each of types 1-5 with its upper half zero runs;
 * with a bit of it set stops the queue with IQEI 4
 */
static void test_qi_dw(void)
{
    QDmar *d = dmar_boot(SM_PROPS ",device-iotlb=on");
    /* device-TLB: SID 47:32, PFSID 15:12 and 63:52 (edu's own) */
    const uint64_t dt = QI_DEVTLB | QI_CC_SID(EDU_SID) |
                        (uint64_t)(EDU_SID & 0xf) << 12 |
                        (uint64_t)(EDU_SID >> 4) << 52;
    const uint64_t q[][2] = {
        { QI_CC | QI_G(GRAN_GLOBAL), 0 },
        { QI_IOTLB | QI_G(GRAN_GLOBAL), 0 },
        { dt, 0 },
        { QI_IEC, 0 },
        { QI_WAIT | QI_WAIT_SW | QI_SDATA(0x77), IQ_STATUS },
    };
    Sm s;

    g_assert_cmphex(dmar_rd64(d, REG_ECAP) & ECAP_DT, ==, ECAP_DT);
    sm_init(&s, d, PGTT_FS);
    sm_build(&s);
    sm_enable(&s);
    sq_enable(&s, true);
    sq_sync(&s);
    sq_sync(&s);
    for (unsigned i = 0; i < ARRAY_SIZE(q); i++) {
        qtest_writel(d->qts, IQ_STATUS, 0);
        sq_push4(&s, q[i][0], q[i][1], 0, 0);
        sq_sync(&s);
        if (i == 4) {
            g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0x77);
        }
        qtest_writel(d->qts, IQ_STATUS, 0);
        sq_expect_iqe(&s, q[i][0], q[i][1], 1, 0, IQEI_RSVD);
        sq_expect_iqe(&s, q[i][0], q[i][1], 0, 1ull << 63, IQEI_RSVD);
        g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    }
    /* types 6 and 7 with 256-bit descriptors */
    sq_push4(&s, pc_desc(PC_GLOBAL, 0, 0), 0, 0, 0);
    sq_push4(&s, piotlb_desc(PIOTLB_ALL, DOMAIN, 0), 0, 0, 0);
    sq_sync(&s);
    /* the queue wraps: 128 entries of 32 bytes */
    for (unsigned n = 0; n < 3; n++) {
        for (unsigned i = 0; i < 60; i++) {
            sq_push(&s, QI_IEC, 0);
        }
        sq_sync(&s);
    }
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/*
 * §11.4.9.9: with 256-bit descriptors, a tail with bit 4 set (half a
 * descriptor) stops the queue with IQEI 6 before anything runs
 */
static void test_qi_dw_tail(void)
{
    QDmar *d = dmar_boot(SM_PROPS);
    Sm s;

    sm_init(&s, d, PGTT_FS);
    sm_build(&s);
    sm_enable(&s);
    sq_enable(&s, true);
    qtest_writel(d->qts, IQ_STATUS, 0);
    sq_push(&s, QI_WAIT | QI_WAIT_SW | QI_SDATA(0x78), IQ_STATUS);
    sq_push(&s, QI_WAIT | QI_WAIT_SW | QI_SDATA(0x79), IQ_STATUS);
    dmar_wr64(d, REG_IQT, sq_off(&s, 1) + 16);
    sq_assert_iqe(&s, 0, 6);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    sq_sync(&s);
    dmar_free(d);
}

/*
 * Register-based invalidation in scalable mode: ignored, and reported
 * as done with granularity 0
 */
static void test_reg_inv_ignored(void)
{
    QDmar *d = dmar_boot(SM_PROPS);
    Sm s;

    sm_init(&s, d, PGTT_FS);
    sm_build(&s);
    sm_map(&s, IOVA_A, PAGE_P1, false);
    sm_map(&s, IOVA_B, PAGE_OUT, true);
    dmar_fill(d, PAGE_P1, 0x91);
    sm_enable(&s);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x91));
    g_assert_cmphex(CCMD_CAIG(dmar_ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL))), ==,
                    0);
    g_assert_cmphex(IOTLB_IAIG(dmar_iotlb_inv(d, GRAN_GLOBAL, 0, 0)), ==, 0);
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* Reserved granularities and fields of types 6 and 7 */
static void test_qi_sm_rsvd(void)
{
    static const unsigned rsvd_lo[] = { 6, 7, 8, 12, 15, 52, 63 };
    QDmar *d = dmar_boot(SM_PROPS ",device-iotlb=on");
    Sm s;

    sm_init(&s, d, PGTT_FS);
    sm_build(&s);
    sm_enable(&s);
    for (int dw = 0; dw <= 1; dw++) {
        sq_enable(&s, dw);
        /* granularities that are valid */
        sq_push(&s, pc_desc(PC_DOMAIN, DOMAIN, 0), 0);
        sq_push(&s, pc_desc(PC_PASID, DOMAIN, 5), 0);
        sq_push(&s, pc_desc(PC_GLOBAL, 0, 0), 0);
        sq_push(&s, piotlb_desc(PIOTLB_ALL, DOMAIN, 5), 0);
        sq_push(&s, piotlb_desc(PIOTLB_PAGE, DOMAIN, 5), IOVA_A | QI_HI_IH);
        sq_sync(&s);
        /* reserved granularities */
        sq_expect_iqe(&s, piotlb_desc(0, DOMAIN, 5), 0, 0, 0, IQEI_RSVD);
        sq_expect_iqe(&s, piotlb_desc(1, DOMAIN, 5), 0, 0, 0, IQEI_RSVD);
        sq_expect_iqe(&s, pc_desc(2, DOMAIN, 5), 0, 0, 0, IQEI_RSVD);
        /* reserved fields: lower 8:6, 15:12, 63:52 */
        for (unsigned i = 0; i < ARRAY_SIZE(rsvd_lo); i++) {
            sq_expect_iqe(&s, piotlb_desc(PIOTLB_ALL, DOMAIN, 5) |
                          1ull << rsvd_lo[i], 0, 0, 0, IQEI_RSVD);
            sq_expect_iqe(&s, pc_desc(PC_GLOBAL, 0, 0) | 1ull << rsvd_lo[i],
                          0, 0, 0, IQEI_RSVD);
        }
        /* type 6's upper 11:7; type 7's upper half; 255:128 of both */
        for (unsigned b = 7; b < 12; b++) {
            sq_expect_iqe(&s, piotlb_desc(PIOTLB_PAGE, DOMAIN, 5),
                          IOVA_A | 1ull << b, 0, 0, IQEI_RSVD);
        }
        sq_expect_iqe(&s, pc_desc(PC_GLOBAL, 0, 0), 1, 0, 0, IQEI_RSVD);
        sq_expect_iqe(&s, pc_desc(PC_GLOBAL, 0, 0), 1ull << 63, 0, 0,
                      IQEI_RSVD);
        if (dw) {
            sq_expect_iqe(&s, pc_desc(PC_GLOBAL, 0, 0), 0, 1, 0, IQEI_RSVD);
            sq_expect_iqe(&s, piotlb_desc(PIOTLB_ALL, DOMAIN, 5), 0, 0,
                          1ull << 63, IQEI_RSVD);
        }
    }
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* Types 6, 7 (and 8) are invalid types without scalable mode */
static void test_qi_sm_types_legacy(void)
{
    QDmar *d = dmar_boot("device-iotlb=on");
    Sm s;

    sm_init(&s, d, PGTT_FS);
    dmar_tables_init(d, 3, 0);
    dmar_enable(d, ROOT_TABLE);
    sq_enable(&s, false);
    sq_expect_iqe(&s, piotlb_desc(PIOTLB_ALL, DOMAIN, 0), 0, 0, 0,
                  IQEI_TYPE);
    sq_expect_iqe(&s, pc_desc(PC_GLOBAL, 0, 0), 0, 0, 0, IQEI_TYPE);
    sq_expect_iqe(&s, QI_PDEVTLB | QI_CC_SID(EDU_SID), 0, 0, 0, IQEI_TYPE);
    dmar_free(d);
}

/* Type 8 needs device-TLBs (ECAP.DT) in scalable mode too */
static void test_qi_pdevtlb_no_dt(void)
{
    QDmar *d = dmar_boot(SM_PROPS);
    Sm s;

    sm_init(&s, d, PGTT_FS);
    sm_build(&s);
    sm_enable(&s);
    sq_enable(&s, true);
    sq_expect_iqe(&s, QI_PDEVTLB | QI_CC_SID(EDU_SID), 0, 0, 0, IQEI_TYPE);
    dmar_free(d);
}

/*
 * What changes, and how it is invalidated. Then the next DMA must use
 * the new entry (before the invalidation, old or new: either).
 */
typedef enum InvKind {
    INV_PC_DOMAIN,          /* PASID entry changed; type 7, each G */
    INV_PC_PASID,
    INV_PC_GLOBAL,
    INV_PC_IOTLB,           /* leaf changed; type 7 drops the DID's IOTLB */
    INV_CC_DEVICE,          /* PASID entry changed; type 1, device */
    INV_CC_DOMAIN,          /* ... domain-selective: every context */
    INV_CC_GLOBAL,
    INV_PIOTLB_ALL,         /* leaf changed; type 6, each G */
    INV_PIOTLB_PAGE,
    INV_PIOTLB_RANGE,       /* AM 9 around the page */
    INV_PIOTLB_HUGE,        /* AM beyond CAP.MAMV: the whole PASID */
    INV_IOTLB_DOMAIN,       /* leaf changed; type 2 for the DID */
    INV_IOTLB_PAGE,
    INV_IOTLB_GLOBAL,
} InvKind;

typedef struct InvCase {
    const char *name;
    InvKind kind;
    uint8_t pgtt;
    bool dw;
} InvCase;

static const InvCase inv_cases[] = {
    { "pc-domain", INV_PC_DOMAIN, PGTT_FS, true },
    { "pc-pasid", INV_PC_PASID, PGTT_FS, true },
    { "pc-global", INV_PC_GLOBAL, PGTT_FS, false },
    { "pc-pasid/ss", INV_PC_PASID, PGTT_SS, false },
    { "pc-domain/iotlb", INV_PC_IOTLB, PGTT_FS, true },
    { "cc-device", INV_CC_DEVICE, PGTT_FS, true },
    { "cc-domain", INV_CC_DOMAIN, PGTT_SS, true },
    { "cc-global", INV_CC_GLOBAL, PGTT_NESTED, false },
    { "piotlb-pasid", INV_PIOTLB_ALL, PGTT_FS, true },
    { "piotlb-page", INV_PIOTLB_PAGE, PGTT_FS, true },
    { "piotlb-page/128-bit", INV_PIOTLB_PAGE, PGTT_FS, false },
    { "piotlb-page/nested", INV_PIOTLB_PAGE, PGTT_NESTED, true },
    { "piotlb-range", INV_PIOTLB_RANGE, PGTT_FS, true },
    { "piotlb-am-beyond-mamv", INV_PIOTLB_HUGE, PGTT_FS, true },
    { "iotlb-domain/fs", INV_IOTLB_DOMAIN, PGTT_FS, true },
    { "iotlb-domain/ss", INV_IOTLB_DOMAIN, PGTT_SS, true },
    { "iotlb-page/ss", INV_IOTLB_PAGE, PGTT_SS, false },
    { "iotlb-global/nested", INV_IOTLB_GLOBAL, PGTT_NESTED, true },
};

#define INV_PASID       0x5
#define INV_IOVA        0x20045000ull   /* in a 2 MiB range at 0x20000000 */

static void test_inv(const void *opaque)
{
    const InvCase *c = opaque;
    QDmar *d = dmar_boot(SM_PROPS);
    uint64_t mamv = CAP_MAMV(dmar_rd64(d, REG_CAP));
    bool pe_change = c->kind == INV_PC_DOMAIN || c->kind == INV_PC_PASID ||
                     c->kind == INV_PC_GLOBAL || c->kind == INV_CC_DEVICE ||
                     c->kind == INV_CC_DOMAIN || c->kind == INV_CC_GLOBAL;
    Sm s;

    sm_init(&s, d, c->pgtt);
    s.pasid = INV_PASID;
    sm_build(&s);
    sm_map(&s, INV_IOVA, PAGE_P1, false);
    sm_map(&s, IOVA_B, PAGE_OUT, true);
    dmar_fill(d, PAGE_P1, 0x71);
    dmar_fill(d, PAGE_P2, 0x72);
    sm_enable(&s);
    sq_enable(&s, c->dw);

    dmar_copy(d, INV_IOVA, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x71));
    if (pe_change) {
        /* new tables and a new domain in the PASID entry */
        sm_new_tables(&s);
        sm_map(&s, INV_IOVA, PAGE_P2, false);
        sm_map(&s, IOVA_B, PAGE_OUT, true);
        s.did = DOMAIN + 1;
        sm_pe_write(&s);
    } else if (c->pgtt == PGTT_SS) {
        dmar_map(d, INV_IOVA, PAGE_P2, 1, PTE_R);
    } else if (c->pgtt == PGTT_NESTED) {
        /* the first stage's leaf, still at its GPA, now to P2 */
        uint64_t gpa = NEST_DATA_GPA + s.ndata++ * 0x1000ull;

        dmar_map(d, gpa, PAGE_P2, 1, PTE_RW);
        fs_map(&s, INV_IOVA, gpa, 1, FS_P | FS_US);
    } else {
        fs_map(&s, INV_IOVA, PAGE_P2, 1, FS_P | FS_US);
    }
    dmar_copy(d, INV_IOVA, IOVA_B);                /* old or new: either */

    switch (c->kind) {
    case INV_PC_DOMAIN:
    case INV_PC_IOTLB:
        sq_push(&s, pc_desc(PC_DOMAIN, DOMAIN, 0), 0);
        break;
    case INV_PC_PASID:
        sq_push(&s, pc_desc(PC_PASID, DOMAIN, INV_PASID), 0);
        break;
    case INV_PC_GLOBAL:
        sq_push(&s, pc_desc(PC_GLOBAL, 0, 0), 0);
        break;
    case INV_CC_DEVICE:
        sq_push(&s, QI_CC | QI_G(GRAN_DEVICE) | QI_CC_SID(EDU_SID), 0);
        break;
    case INV_CC_DOMAIN:
        sq_push(&s, QI_CC | QI_G(GRAN_DOMAIN) | QI_DID(DOMAIN), 0);
        break;
    case INV_CC_GLOBAL:
        sq_push(&s, QI_CC | QI_G(GRAN_GLOBAL), 0);
        break;
    case INV_PIOTLB_ALL:
        sq_push(&s, piotlb_desc(PIOTLB_ALL, DOMAIN, INV_PASID), 0);
        break;
    case INV_PIOTLB_PAGE:
        sq_push(&s, piotlb_desc(PIOTLB_PAGE, DOMAIN, INV_PASID), INV_IOVA);
        break;
    case INV_PIOTLB_RANGE:
        sq_push(&s, piotlb_desc(PIOTLB_PAGE, DOMAIN, INV_PASID),
                (INV_IOVA & ~0x1fffffull) | QI_HI_AM(9) | QI_HI_IH);
        break;
    case INV_PIOTLB_HUGE:
        g_assert_cmpuint(mamv, <, 63);
        sq_push(&s, piotlb_desc(PIOTLB_PAGE, DOMAIN, INV_PASID),
                QI_HI_AM(mamv + 1));
        break;
    case INV_IOTLB_DOMAIN:
        sq_push(&s, QI_IOTLB | QI_G(GRAN_DOMAIN) | QI_IOTLB_DR |
                QI_IOTLB_DW | QI_DID(DOMAIN), 0);
        break;
    case INV_IOTLB_PAGE:
        sq_push(&s, QI_IOTLB | QI_G(GRAN_PAGE) | QI_IOTLB_DR |
                QI_IOTLB_DW | QI_DID(DOMAIN), INV_IOVA | QI_HI_AM(0));
        break;
    case INV_IOTLB_GLOBAL:
        sq_push(&s, QI_IOTLB | QI_G(GRAN_GLOBAL), 0);
        break;
    }
    sq_sync(&s);
    dmar_zero(d, PAGE_OUT);
    dmar_copy(d, INV_IOVA, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_OUT, 0x72));
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/* ================= interrupt remapping ================= */

static void test_ir(void)
{
    QDmar *d = dmar_boot(SM_PROPS);
    Sm s;

    sm_init(&s, d, PGTT_FS);
    sm_build(&s);
    sm_map(&s, IOVA_A, PAGE_P1, false);
    sm_map(&s, IOVA_B, PAGE_P2, true);
    dmar_fill(d, PAGE_P1, 0x81);
    dmar_zero(d, PAGE_P2);
    sm_enable(&s);
    qtest_memset(d->qts, IRT_BASE, 0, 0x1000);
    dmar_irte_put(d, IRT_BASE, 2, dmar_irte_lo(0x61), 0);
    dmar_irte_put(d, IRT_BASE, 3, dmar_irte_lo(0x62) & ~IRTE_P, 0);
    dmar_ir_enable(d, IRT_BASE | 3, false);

    dmar_edu_msi(d, dmar_msi_remappable(2, false), 0);
    dmar_assert_delivered(d, 0x61, false);
    /* an IRTE not present: the interrupt fault, PP = 0 */
    dmar_edu_msi(d, dmar_msi_remappable(3, false), 0);
    dmar_assert_not_delivered(d, 0x62);
    dmar_assert_ir_fault(d, FR_IR_NP, 3, EDU_SID);
    /* DMA is translated meanwhile */
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_P2, 0x81));
    dmar_assert_no_fault(d);
    dmar_free(d);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);

    DMAR_ADD_CASES("/vtd-dmar/sm/cap", cap_cases, test_cap);
    DMAR_ADD_CASES("/vtd-dmar/sm/refused", refuse_cases, test_refused);
    DMAR_ADD_CASES("/vtd-dmar/sm/dma", fs_cases, test_fs_dma);
    DMAR_ADD_CASES("/vtd-dmar/sm/dma", ss_cases, test_ss_dma);
    qtest_add_func("/vtd-dmar/sm/dma/fs/ad-preset", test_fs_ad_preset);
    qtest_add_func("/vtd-dmar/sm/dma/upper-context", test_upper_ctx);
    qtest_add_func("/vtd-dmar/sm/dma/ttm-legacy", test_ttm_legacy);
    qtest_add_func("/vtd-dmar/sm/fault/ttm-reserved", test_ttm_reserved);
    DMAR_ADD_CASES("/vtd-dmar/sm/fault", sm_fault_cases, test_sm_fault);
    qtest_add_func("/vtd-dmar/sm/pasid/translate", test_pasid_translate);
    qtest_add_func("/vtd-dmar/sm/pasid/paside", test_pasid_paside);
    qtest_add_func("/vtd-dmar/sm/pasid/beyond-dir", test_pasid_beyond_dir);
    qtest_add_func("/vtd-dmar/sm/pasid/supervisor-execute", test_pasid_attrs);
    qtest_add_func("/vtd-dmar/sm/qi/256-bit", test_qi_dw);
    qtest_add_func("/vtd-dmar/sm/qi/256-bit-tail", test_qi_dw_tail);
    qtest_add_func("/vtd-dmar/sm/qi/rsvd", test_qi_sm_rsvd);
    qtest_add_func("/vtd-dmar/sm/reg-inv-ignored", test_reg_inv_ignored);
    qtest_add_func("/vtd-dmar/sm/qi/types-legacy", test_qi_sm_types_legacy);
    qtest_add_func("/vtd-dmar/sm/qi/pdevtlb-no-dt", test_qi_pdevtlb_no_dt);
    DMAR_ADD_CASES("/vtd-dmar/sm/inv", inv_cases, test_inv);
    qtest_add_func("/vtd-dmar/sm/ir", test_ir);

    ret = g_test_run();
    fault_machine_end();
    return ret;
}
