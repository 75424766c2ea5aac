/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Isolation oracle for the vtd-dmar translation core (dmar-core.c) and
 * its IOTLB (dmar-cache.c).
 *
 * A seeded generator writes down an intent: domains (domain-id, 3- to
 * 5-level tables), devices (source-id, context entry, domain) and
 * thousands of mappings (IOVA -> address, 4 KiB / 2 MiB / 1 GiB pages,
 * read and/or write). A simple builder turns the intent into a legacy
 * root table, context entries and second-level tables in fake guest
 * memory, then damages some entries and records each damage. Every probe
 * (source-id, IOVA, read or write) is checked against an answer derived
 * from the intent and the list of damages alone, by the rules of the
 * VT-d specification (§3.7, §7.1.3, §9.1, §9.3, §9.8): the oracle never
 * walks the tables it built.
 *
 * Per configuration (HAW, SAGAW, SLLPS, ECAP.SC/PT/DT, as the device sets
 * them up for aw-bits 39, 48 and 57):
 *   walk   every probe's outcome: translation (page, size, permissions)
 *          or fault (reason, level, address, FPD), and the decoded context;
 *          no lookup reads more than a root and a context entry, no walk
 *          more than one entry per level, no fault carries a PASID; each
 *          kind of outcome occurs often, isolation probes (a mapping
 *          probed from a device of another domain) too;
 *   iotlb  cached translations answer as the tables do, for their own
 *          source-id only, and an invalidation makes a changed mapping
 *          visible to every device of the domain;
 *   spec-* a core divergence the oracle found, kept as its own case.
 * Scalable mode (dmar-sm.c) has its own generator and oracle: the
 * sm-* configurations, described in their section below.
 *
 * Where the specification leaves an order open (a present entry with a
 * reserved bit and without the permission a request needs: 5h/6h or Ch?)
 * the generator does not go. MGAW is taken to be the HAW, as the device's
 * CAP says, and the configurations keep every AGAW within it.
 *
 * The seed is DMAR_ORACLE_SEED (decimal or 0x-hex) or ORACLE_SEED; it is
 * in every test path and in the log. DMAR_ORACLE_RUNS=n runs n seeds in
 * a row, starting there.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "dmar-core.h"
#include "dmar-test-util.h"
#include "dmar-cache.h"
#include "dmar-sm.h"
#include "dmar-fake-mem.h"

/* The key of a request without PASID from SID (legacy mode). */
#define SKEY(s) \
    (&(DmarCacheKey){ .sid = (s), .pasid = DMAR_NO_PASID, \
                      .stage = DMAR_STAGE_SECOND })

#define ORACLE_SEED         4242u

#define SAGAW_3L            (1u << 1)
#define SAGAW_4L            (1u << 2)
#define SAGAW_5L            (1u << 3)
#define SLLPS_2M            (1u << 0)
#define SLLPS_1G            (1u << 1)

#define SZ_4K               (1ull << 12)
#define SZ_2M               (1ull << 21)
#define SZ_16M              (1ull << 24)
#define SZ_1G               (1ull << 30)
#define SZ_8G               (1ull << 33)
#define REGION_SHIFT        36              /* 64 GiB mapping regions */

#define POOL_BASE           0x100000ull     /* tables are allocated here */
#define POOL_LIMIT          0x40000000ull
#define UNBACKED_BASE       0x40000000ull   /* never backed: dangling */
#define UNBACKED_PAGES      0x100000u

#define DOM_REGIONS         4   /* per domain: two shared, two its own */
#define VICTIM_BUSES        4   /* one per kind of root-entry damage */
#define MAX_MISMATCH_LOG    8

/* Page addresses and 64-bit entry names are used as hash table keys. */
QEMU_BUILD_BUG_ON(sizeof(gpointer) < sizeof(uint64_t));

/* ---- Fake guest memory (dmar-fake-mem.h) ---- */

/*
 * Tables come from the pool, never 2 MiB aligned, so that PS set on an
 * entry that points to a table always makes a misaligned large page.
 */
static void mem_init(FakeMem *m)
{
    fake_mem_init(m);
    m->pool_next = POOL_BASE;
    m->pool_limit = POOL_LIMIT;
    m->pool_no_2m = true;
}

/* ---- Paging geometry: lvl_*() in dmar-test-util.h ---- */

/* Names the entry of LEVEL that IOVA goes through, in one domain. */
static gpointer node_key(unsigned level, uint64_t iova)
{
    return (gpointer)(uintptr_t)(((uint64_t)level << 56) |
                                 (iova >> lvl_shift(level)));
}

static const char *const perm_names[] = { "-", "r", "w", "rw" };

static const char *size_name(unsigned level)
{
    return level == 1 ? "4K" : level == 2 ? "2M" : level == 3 ? "1G" : "?";
}

/* ---- Random numbers ---- */

static uint64_t rnd64(GRand *r)
{
    return ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
}

static uint64_t rnd_below(GRand *r, uint64_t n)
{
    return rnd64(r) % n;
}

static unsigned rnd_range(GRand *r, unsigned lo, unsigned hi)
{
    return g_rand_int_range(r, lo, hi + 1);     /* both ends included */
}

static bool chance(GRand *r, unsigned percent)
{
    return g_rand_int_range(r, 0, 100) < percent;
}

/* ---- The intent ---- */

typedef struct OracleCfg {
    const char *name;
    uint8_t haw;            /* also MGAW, as the device sets CAP */
    uint8_t sagaw;
    uint8_t sllps;
    bool sc, pt, dt;
    unsigned maps;          /* mappings in the intent */
    unsigned domains;
    unsigned devices;       /* healthy ones; damaged ones come on top */
    unsigned crowd;         /* of those, how many share domain 0 */
    bool divergences;       /* also run the known-divergence cases */
} OracleCfg;

typedef struct Mapping {
    uint64_t iova;
    uint64_t pa;
    unsigned dom;
    uint8_t level;          /* of the leaf: 1 (4 KiB), 2 (2 MiB), 3 (1 GiB) */
    uint8_t perm;           /* never 0 */
    bool removed;           /* unmapped by the IOTLB pass */
} Mapping;

/* Damage to a second-level entry. */
typedef enum Damage {
    DMG_NOT_PRESENT,        /* R = W = 0, other bits kept or junk added */
    DMG_ADDR_HAW,           /* an address bit in 51:HAW: reserved */
    DMG_SNP,                /* bit 11 without ECAP.SC: reserved */
    DMG_LARGE_LOW,          /* address bit inside a large page: reserved */
    DMG_PS_TABLE,           /* PS on a table pointer: reserved/misaligned */
    DMG_DANGLING,           /* table pointer to memory that cannot be read */
    DMG_PERM_CUT,           /* a table entry loses R or W */
    DMG_IGNORED,            /* bits the spec ignores: no effect */
    DMG_SNP_SC,             /* bit 11 of a leaf with ECAP.SC: a hint */
    DMG_BIT62,              /* bit 62 (TM until revision 3.2): reserved */
    DMG_COUNT
} Damage;

static const char *const damage_names[DMG_COUNT] = {
    [DMG_NOT_PRESENT] = "not-present",
    [DMG_ADDR_HAW] = "addr-beyond-haw",
    [DMG_SNP] = "snp-without-sc",
    [DMG_LARGE_LOW] = "large-page-low-bits",
    [DMG_PS_TABLE] = "ps-on-table",
    [DMG_DANGLING] = "dangling-table",
    [DMG_PERM_CUT] = "table-perm-cut",
    [DMG_IGNORED] = "ignored-bits",
    [DMG_SNP_SC] = "snp-with-sc",
    [DMG_BIT62] = "bit62",
};

typedef struct Corruption {
    unsigned dom;
    uint8_t level;
    uint64_t iova;          /* first address the entry covers */
    Damage kind;
    uint64_t bits;          /* bits set, or the permission cut */
    uint64_t before, after; /* the entry, for the log */
} Corruption;

/* What the intent says about one entry of a domain's tables. */
typedef struct Node {
    int map;                /* the mapping of a leaf; -1 for a table */
    int corrupt;            /* its damage, or -1 */
} Node;

/* The builder's record of an entry it wrote. */
typedef struct Built {
    uint64_t gpa;           /* where the entry is */
    uint64_t table;         /* the table it points to (table entries) */
} Built;

typedef struct Domain {
    uint16_t did;
    uint8_t levels;
    uint64_t slpt;
    uint64_t region[DOM_REGIONS];
    GHashTable *intent;     /* node_key -> Node */
    GHashTable *built;      /* node_key -> Built */
} Domain;

typedef enum CtxDamage {
    CTX_OK,
    CTX_NOT_PRESENT,        /* 2h, FPD honoured */
    CTX_RSVD_LO,            /* Bh */
    CTX_RSVD_HI,            /* Bh */
    CTX_PTR_HAW,            /* SLPTPTR beyond HAW: Bh */
    CTX_AW_BAD,             /* AW not in SAGAW: 3h */
    CTX_TT_RSVD,            /* TT = 3: 3h */
    CTX_TT_UNSUP,           /* TT = 1 without DT or 2 without PT: 3h */
    CTX_PTR_DANGLING,       /* SLPTPTR cannot be read: 3h from the walk */
    CTX_DAMAGE_COUNT
} CtxDamage;

static const char *const ctx_damage_names[CTX_DAMAGE_COUNT] = {
    [CTX_OK] = "ok",
    [CTX_NOT_PRESENT] = "not-present",
    [CTX_RSVD_LO] = "rsvd-lo",
    [CTX_RSVD_HI] = "rsvd-hi",
    [CTX_PTR_HAW] = "slptptr-beyond-haw",
    [CTX_AW_BAD] = "aw-unsupported",
    [CTX_TT_RSVD] = "tt-reserved",
    [CTX_TT_UNSUP] = "tt-unsupported",
    [CTX_PTR_DANGLING] = "slptptr-dangling",
};

typedef enum RootDamage {
    ROOT_OK,
    ROOT_NOT_PRESENT,       /* 1h */
    ROOT_RSVD,              /* Ah */
    ROOT_CTP_HAW,           /* Ah */
    ROOT_DANGLING,          /* 9h */
} RootDamage;

static const char *const root_damage_names[] = {
    "ok", "not-present", "rsvd", "ctp-beyond-haw", "ctp-dangling",
};

typedef struct Device {
    uint16_t sid;
    int dom;                /* -1: pass-through */
    bool fpd;
    uint8_t tt;
    CtxDamage damage;
    uint64_t lo, hi;        /* the context entry as written */
} Device;

typedef struct Bus {
    bool used;
    RootDamage damage;
    uint64_t ctp;
    uint64_t lo, hi;        /* the root entry as written */
} Bus;

/* An answer: the oracle's or the core's. */
typedef struct Outcome {
    bool ok;
    bool in_lookup;         /* the fault came from the context lookup */
    DmarFaultReason fr;
    uint8_t level;          /* walk fault level, or leaf level */
    bool fpd;
    uint64_t addr;          /* walk faults: the input address */
    bool is_write;
    uint16_t sid;
    uint64_t pa, mask;      /* success: the page */
    uint8_t perm;
    bool has_ctx;           /* the lookup succeeded: */
    uint16_t did;
    uint8_t tt, levels;
    bool ctx_fpd;
    uint64_t slpt;
    /* oracle only: what decided the answer */
    int map, corrupt;
    const char *rule;
    /* core only: a property the answer alone does not show, broken */
    const char *broken;
} Outcome;

typedef struct Oracle {
    const OracleCfg *cfg;
    uint32_t seed;
    const char *path;
    GRand *r;
    DmarHwConfig hw;
    FakeMem mem;
    DmarMem dmem;           /* the core's view of mem */
    uint64_t rta;
    Bus bus[256];
    Domain *doms;
    GArray *devs;           /* of Device */
    GHashTable *dev_of;     /* sid -> index + 1 */
    GArray *maps;           /* of Mapping */
    GArray *corrupts;       /* of Corruption */
    /* The damages that are known core divergences (bit per Damage). */
    unsigned known;
    /* Results */
    unsigned probes, ok, by_fr[16], by_damage[DMG_COUNT];
    unsigned mismatches, known_hits;
    /* probes of a mapping from a device of another domain */
    unsigned cross_domain;
} Oracle;

static Device *dev_at(Oracle *o, unsigned i)
{
    return &g_array_index(o->devs, Device, i);
}

static Mapping *map_at(Oracle *o, unsigned i)
{
    return &g_array_index(o->maps, Mapping, i);
}

static Corruption *corrupt_at(Oracle *o, int i)
{
    return &g_array_index(o->corrupts, Corruption, i);
}

static Device *dev_find(Oracle *o, uint16_t sid)
{
    unsigned i = GPOINTER_TO_UINT(g_hash_table_lookup(o->dev_of,
                                                      GUINT_TO_POINTER(sid)));

    return i ? dev_at(o, i - 1) : NULL;
}

static uint64_t dom_width(const Domain *d)
{
    return DMAR_LEVELS_TO_WIDTH(d->levels);
}

/* ---- Entry formats, as the builder writes them (§9.1, §9.3, §9.8) ---- */

static uint64_t make_slpte(uint64_t addr, uint8_t perm, bool ps)
{
    uint64_t pte = FIELD_DP64(0, SLPTE, ADDR, addr >> DMAR_PAGE_SHIFT);

    pte = FIELD_DP64(pte, SLPTE, R, !!(perm & DMAR_PERM_R));
    pte = FIELD_DP64(pte, SLPTE, W, !!(perm & DMAR_PERM_W));
    return FIELD_DP64(pte, SLPTE, PS, ps);
}

static uint64_t unbacked_page(Oracle *o)
{
    return UNBACKED_BASE + rnd_below(o->r, UNBACKED_PAGES) * SZ_4K;
}

/* A random bit in HI:LO. */
static uint64_t rnd_bit_in(Oracle *o, unsigned lo, unsigned hi)
{
    return 1ull << rnd_range(o->r, lo, hi);
}

/* ---- Generating the intent ---- */

static Node *intent_node(const Domain *d, unsigned level, uint64_t iova)
{
    return g_hash_table_lookup(d->intent, node_key(level, iova));
}

/*
 * Add mapping I to its domain's intent: the entries above the leaf become
 * table pointers. False if it would overlap a mapping already there.
 */
static bool intent_add(Oracle *o, unsigned i)
{
    Mapping *m = map_at(o, i);
    Domain *d = &o->doms[m->dom];
    Node *n;

    for (unsigned l = d->levels; l > m->level; l--) {
        n = intent_node(d, l, m->iova);
        if (n && n->map >= 0) {
            return false;
        }
    }
    if (intent_node(d, m->level, m->iova)) {
        return false;
    }
    for (unsigned l = d->levels; l > m->level; l--) {
        if (!intent_node(d, l, m->iova)) {
            n = g_new(Node, 1);
            *n = (Node) { .map = -1, .corrupt = -1 };
            g_hash_table_insert(d->intent, node_key(l, m->iova), n);
        }
    }
    n = g_new(Node, 1);
    *n = (Node) { .map = i, .corrupt = -1 };
    g_hash_table_insert(d->intent, node_key(m->level, m->iova), n);
    return true;
}

static void gen_domains(Oracle *o)
{
    const OracleCfg *c = o->cfg;
    uint64_t shared[2];
    unsigned choices[DMAR_MAX_LEVELS + 1], n_choices = 0;

    for (unsigned l = 3; l <= DMAR_MAX_LEVELS; l++) {
        if (c->sagaw & (1u << DMAR_LEVELS_TO_AW(l))) {
            /* X = min(MGAW, AGAW) must be the AGAW here (see header). */
            g_assert_cmpuint(DMAR_LEVELS_TO_WIDTH(l), <=, c->haw);
            choices[n_choices++] = l;
        }
    }
    g_assert(n_choices > 0);
    /* Shared regions sit below 2^39, where every domain reaches. */
    for (unsigned k = 0; k < 2; k++) {
        shared[k] = rnd_below(o->r, 1ull << (39 - REGION_SHIFT))
                    << REGION_SHIFT;
    }
    o->doms = g_new0(Domain, c->domains);
    for (unsigned i = 0; i < c->domains; i++) {
        Domain *d = &o->doms[i];
        bool unique;

        do {
            d->did = rnd_range(o->r, 1, 0xffff);
            unique = true;
            for (unsigned j = 0; j < i; j++) {
                unique &= o->doms[j].did != d->did;
            }
        } while (!unique);
        d->levels = choices[g_rand_int_range(o->r, 0, n_choices)];
        d->region[0] = shared[0];
        d->region[1] = shared[1];
        for (unsigned k = 2; k < DOM_REGIONS; k++) {
            d->region[k] = rnd_below(o->r, 1ull << (dom_width(d) -
                                                     REGION_SHIFT))
                           << REGION_SHIFT;
        }
        d->intent = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                          NULL, g_free);
        d->built = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                         NULL, g_free);
    }
}

static void gen_mappings(Oracle *o)
{
    const OracleCfg *c = o->cfg;
    unsigned attempts = 0;

    while (o->maps->len < c->maps) {
        unsigned pick = g_rand_int_range(o->r, 0, 100);
        Mapping m = { .dom = g_rand_int_range(o->r, 0, c->domains) };
        Domain *d = &o->doms[m.dom];
        uint64_t size, window;

        g_assert_cmpuint(++attempts, <, 50 * c->maps);
        m.level = pick < 70 ? 1 : pick < 92 ? 2 : 3;
        size = lvl_size(m.level);
        /*
         * 4 KiB pages crowd into 16 MiB windows at the start of eight
         * 1 GiB slots; holes stay all around.
         */
        window = m.level == 1 ? SZ_16M : m.level == 2 ? SZ_8G :
                 1ull << REGION_SHIFT;
        m.iova = d->region[g_rand_int_range(o->r, 0, DOM_REGIONS)] +
                 rnd_below(o->r, window / size) * size;
        if (m.level == 1) {
            m.iova += rnd_below(o->r, SZ_8G / SZ_1G) * SZ_1G;
        }
        /* An entry holds address bits 51:12 (§9.8), whatever the HAW. */
        m.pa = rnd_below(o->r, (1ull << MIN(c->haw, 52)) / size) * size;
        /*
         * Now and then a page in, at the edges of, or around the interrupt
         * address range (§3.15): 4 KiB pages from just below to just
         * above it, the 2 MiB page and the 1 GiB page that hold it.
         */
        if (chance(o->r, 3)) {
            m.pa = m.level == 1 ?
                   DMAR_INTR_ADDR_FIRST - SZ_4K + rnd_below(o->r, 258) * SZ_4K :
                   DMAR_INTR_ADDR_FIRST & ~(size - 1);
        }
        pick = g_rand_int_range(o->r, 0, 100);
        m.perm = pick < 50 ? DMAR_PERM_RW : pick < 75 ? DMAR_PERM_R :
                 DMAR_PERM_W;
        /*
         * A page size SLLPS lacks makes PS a reserved bit (§9.8). Such a
         * leaf is RW, so that no permission fault competes with it (the
         * order of the two within one entry is not pinned down).
         */
        if (m.level > 1 && !(c->sllps & (1u << (m.level - 2)))) {
            m.perm = DMAR_PERM_RW;
        }
        g_array_append_val(o->maps, m);
        if (!intent_add(o, o->maps->len - 1)) {
            g_array_set_size(o->maps, o->maps->len - 1);
        }
    }
}

static uint16_t new_sid(Oracle *o, uint8_t bus)
{
    uint16_t sid;

    do {
        sid = bus << 8 | g_rand_int_range(o->r, 0, 256);
    } while (dev_find(o, sid));
    return sid;
}

static void add_device(Oracle *o, Device *dv)
{
    g_array_append_val(o->devs, *dv);
    g_hash_table_insert(o->dev_of, GUINT_TO_POINTER(dv->sid),
                        GUINT_TO_POINTER(o->devs->len));
    o->bus[dv->sid >> 8].used = true;
}

/*
 * Healthy devices on a few buses (every domain gets one, the rest go
 * anywhere, so some domains have many), pass-through ones where ECAP.PT
 * allows, one device per kind of context-entry damage, and two devices on
 * each victim bus, whose root entry gets damaged.
 */
static void gen_devices(Oracle *o)
{
    const OracleCfg *c = o->cfg;
    uint8_t buses[4 + VICTIM_BUSES];
    unsigned n_pt = c->pt ? 2 : 0;

    for (unsigned i = 0; i < ARRAY_SIZE(buses); i++) {
        bool unique;

        do {
            buses[i] = g_rand_int_range(o->r, 0, 256);
            unique = true;
            for (unsigned j = 0; j < i; j++) {
                unique &= buses[j] != buses[i];
            }
        } while (!unique);
    }
    for (unsigned i = 0; i < c->devices + n_pt; i++) {
        Device dv = {
            .sid = new_sid(o, buses[g_rand_int_range(o->r, 0, 4)]),
            .dom = i < c->domains ? i :
                   i < c->domains + c->crowd ? 0 :
                   g_rand_int_range(o->r, 0, c->domains),
            .fpd = chance(o->r, 30),
            .tt = c->dt && chance(o->r, 25) ? DMAR_TT_ALL :
                  DMAR_TT_UNTRANSLATED,
        };

        if (i >= c->devices) {
            dv.dom = -1;
            dv.tt = DMAR_TT_PASSTHROUGH;
        }
        add_device(o, &dv);
    }
    for (unsigned k = CTX_NOT_PRESENT; k < CTX_DAMAGE_COUNT; k++) {
        Device dv = {
            .sid = new_sid(o, buses[g_rand_int_range(o->r, 0, 4)]),
            .dom = g_rand_int_range(o->r, 0, c->domains),
            .fpd = chance(o->r, 50),
            .tt = DMAR_TT_UNTRANSLATED,
            .damage = k,
        };

        if (k == CTX_TT_UNSUP) {
            if (c->pt && c->dt) {
                continue;       /* nothing unsupported to choose */
            }
            if (c->dt) {
                dv.tt = DMAR_TT_PASSTHROUGH;
            } else if (c->pt || chance(o->r, 50)) {
                dv.tt = DMAR_TT_ALL;
            } else {
                dv.tt = DMAR_TT_PASSTHROUGH;
            }
        }
        add_device(o, &dv);
    }
    for (unsigned v = 0; v < VICTIM_BUSES; v++) {
        uint8_t bus = buses[4 + v];

        for (unsigned j = 0; j < 2; j++) {
            Device dv = {
                .sid = new_sid(o, bus),
                .dom = g_rand_int_range(o->r, 0, c->domains),
                .fpd = chance(o->r, 50),
            };

            add_device(o, &dv);
        }
        o->bus[bus].damage = ROOT_NOT_PRESENT + v;
    }
}

/* ---- Building the tables from the intent ---- */

static void build_contexts(Oracle *o)
{
    const OracleCfg *c = o->cfg;

    o->rta = fake_alloc_table(&o->mem);
    for (unsigned b = 0; b < 256; b++) {
        Bus *bus = &o->bus[b];

        if (!bus->used) {
            continue;
        }
        bus->ctp = fake_alloc_table(&o->mem);
        bus->lo = FIELD_DP64(0, ROOT_LO, CTP, bus->ctp >> DMAR_PAGE_SHIFT);
        bus->lo = FIELD_DP64(bus->lo, ROOT_LO, P, 1);
        bus->hi = 0;
        switch (bus->damage) {
        case ROOT_OK:
            break;
        case ROOT_NOT_PRESENT:
            /* P = 0: nothing else is looked at, junk included (§9.1). */
            bus->lo &= ~R_ROOT_LO_P_MASK;
            if (chance(o->r, 50)) {
                bus->lo |= rnd_bit_in(o, 1, 11);
                bus->hi |= rnd64(o->r);
            }
            break;
        case ROOT_RSVD:
            if (chance(o->r, 50)) {
                bus->lo |= rnd_bit_in(o, 1, 11);
            } else {
                bus->hi |= rnd_bit_in(o, 0, 63);
            }
            break;
        case ROOT_CTP_HAW:
            bus->lo |= rnd_bit_in(o, c->haw, 63);
            break;
        case ROOT_DANGLING:
            bus->lo = FIELD_DP64(bus->lo, ROOT_LO, CTP,
                                 unbacked_page(o) >> DMAR_PAGE_SHIFT);
            break;
        }
        fake_poke64(&o->mem, o->rta + b * 16, bus->lo);
        fake_poke64(&o->mem, o->rta + b * 16 + 8, bus->hi);
    }

    for (unsigned i = 0; i < o->devs->len; i++) {
        Device *dv = dev_at(o, i);
        Domain *d = dv->dom >= 0 ? &o->doms[dv->dom] : NULL;
        unsigned aw;
        uint64_t slpt = d ? d->slpt : 0;

        /* Pass-through: AW is the largest AGAW supported (§9.3). */
        aw = d ? DMAR_LEVELS_TO_AW(d->levels) : 0;
        while (!d && (c->sagaw >> (aw + 1))) {
            aw++;
        }
        if (dv->damage == CTX_PTR_DANGLING) {
            slpt = unbacked_page(o);
        }
        dv->lo = FIELD_DP64(0, CTX_LO, SLPTPTR, slpt >> DMAR_PAGE_SHIFT);
        dv->lo = FIELD_DP64(dv->lo, CTX_LO, TT, dv->tt);
        dv->lo = FIELD_DP64(dv->lo, CTX_LO, FPD, dv->fpd);
        dv->lo = FIELD_DP64(dv->lo, CTX_LO, P, 1);
        dv->hi = FIELD_DP64(0, CTX_HI, AW, aw);
        dv->hi = FIELD_DP64(dv->hi, CTX_HI, DID, d ? d->did : 0);
        /* Bits 6:3 of the high word are ignored (§9.3). */
        dv->hi |= rnd_below(o->r, 16) << 3;
        switch (dv->damage) {
        case CTX_OK:
        case CTX_TT_UNSUP:
        case CTX_PTR_DANGLING:
            break;
        case CTX_NOT_PRESENT:
            dv->lo &= ~R_CTX_LO_P_MASK;
            if (chance(o->r, 50)) {
                dv->lo |= rnd_bit_in(o, 4, 11);
                dv->hi |= rnd_bit_in(o, 24, 63);
            }
            break;
        case CTX_RSVD_LO:
            dv->lo |= rnd_bit_in(o, 4, 11);
            break;
        case CTX_RSVD_HI:
            dv->hi |= chance(o->r, 30) ? 1ull << 7 : rnd_bit_in(o, 24, 63);
            break;
        case CTX_PTR_HAW:
            dv->lo |= rnd_bit_in(o, c->haw, 63);
            break;
        case CTX_AW_BAD:
            do {
                aw = g_rand_int_range(o->r, 0, 8);
            } while (c->sagaw & (1u << aw));
            dv->hi = FIELD_DP64(dv->hi, CTX_HI, AW, aw);
            break;
        case CTX_TT_RSVD:
            dv->lo = FIELD_DP64(dv->lo, CTX_LO, TT, DMAR_TT_RESERVED);
            break;
        default:
            g_assert_not_reached();
        }
        fake_poke64(&o->mem, o->bus[dv->sid >> 8].ctp +
                    (dv->sid & 0xff) * 16, dv->lo);
        fake_poke64(&o->mem, o->bus[dv->sid >> 8].ctp +
                    (dv->sid & 0xff) * 16 + 8, dv->hi);
    }
}

static Built *built_entry(Domain *d, unsigned level, uint64_t iova)
{
    return g_hash_table_lookup(d->built, node_key(level, iova));
}

/* Write mapping M: table pointers (RW) down to its leaf. */
static void build_mapping(Oracle *o, const Mapping *m)
{
    Domain *d = &o->doms[m->dom];
    uint64_t table = d->slpt;
    Built *b;

    for (unsigned l = d->levels; l > m->level; l--) {
        b = built_entry(d, l, m->iova);
        if (!b) {
            b = g_new(Built, 1);
            b->gpa = table + lvl_index(l, m->iova) * 8;
            b->table = fake_alloc_table(&o->mem);
            fake_poke64(&o->mem, b->gpa,
                        make_slpte(b->table, DMAR_PERM_RW, false));
            g_hash_table_insert(d->built, node_key(l, m->iova), b);
        }
        table = b->table;
    }
    b = built_entry(d, m->level, m->iova);
    if (!b) {
        b = g_new0(Built, 1);
        b->gpa = table + lvl_index(m->level, m->iova) * 8;
        g_hash_table_insert(d->built, node_key(m->level, m->iova), b);
    }
    fake_poke64(&o->mem, b->gpa, make_slpte(m->pa, m->perm, m->level > 1));
}

/* ---- Damaging entries ---- */

static bool damage_fits(Oracle *o, Damage k, unsigned level, const Node *n)
{
    bool leaf = n->map >= 0;
    bool rw = !leaf || map_at(o, n->map)->perm == DMAR_PERM_RW;

    /*
     * A reserved bit goes only where the entry itself grants RW: whether
     * a present entry with reserved bits and without the permission a
     * request needs faults 5h/6h or Ch is left open by §7.1.3.
     */
    switch (k) {
    case DMG_NOT_PRESENT:
    case DMG_IGNORED:
        return true;
    case DMG_ADDR_HAW:
    case DMG_SNP:
    case DMG_BIT62:
        return rw;
    case DMG_LARGE_LOW:
        return leaf && level > 1 && rw;
    case DMG_PS_TABLE:
    case DMG_DANGLING:
    case DMG_PERM_CUT:
        return !leaf;
    case DMG_SNP_SC:
        return leaf;
    default:
        g_assert_not_reached();
    }
}

/* Bits that §9.8 says hardware ignores in a second-level entry. */
static uint64_t ignored_bits(Oracle *o, unsigned level, bool leaf)
{
    /* X, EMT/IPAT or ignored, A, D/ignored, ignored; 61:52; 63 */
    static const uint8_t common[] = { 2, 3, 4, 5, 6, 8, 9, 10, 52, 53, 54,
                                      55, 56, 57, 58, 59, 60, 61, 63 };
    uint64_t bits = 0;
    unsigned n = rnd_range(o->r, 1, 3);

    for (unsigned i = 0; i < n; i++) {
        if (leaf && level == 1 && chance(o->r, 20)) {
            bits |= R_SLPTE_PS_MASK;    /* bit 7 of a 4 KiB leaf */
        } else {
            bits |= 1ull << common[g_rand_int_range(o->r, 0,
                                                    ARRAY_SIZE(common))];
        }
    }
    return bits;
}

static uint64_t apply_damage(Oracle *o, Corruption *c, uint64_t pte,
                             bool leaf)
{
    switch (c->kind) {
    case DMG_NOT_PRESENT:
        pte &= ~(uint64_t)DMAR_PERM_RW;
        if (chance(o->r, 50)) {
            /* Junk that would be reserved in a present entry. */
            c->bits = R_SLPTE_SNP_MASK | R_SLPTE_TM_MASK | R_SLPTE_PS_MASK;
            if (o->cfg->haw < 52) {
                c->bits |= rnd_bit_in(o, o->cfg->haw, 51);
            }
        }
        return pte | c->bits;
    case DMG_ADDR_HAW:
        c->bits = rnd_bit_in(o, o->cfg->haw, 51);
        break;
    case DMG_SNP:
    case DMG_SNP_SC:
        c->bits = R_SLPTE_SNP_MASK;
        break;
    case DMG_LARGE_LOW:
        c->bits = rnd_bit_in(o, DMAR_PAGE_SHIFT, lvl_shift(c->level) - 1);
        break;
    case DMG_PS_TABLE:
        c->bits = R_SLPTE_PS_MASK;
        break;
    case DMG_DANGLING:
        return FIELD_DP64(pte, SLPTE, ADDR,
                          unbacked_page(o) >> DMAR_PAGE_SHIFT);
    case DMG_PERM_CUT:
        c->bits = chance(o->r, 50) ? DMAR_PERM_R : DMAR_PERM_W;
        return pte & ~c->bits;
    case DMG_IGNORED:
        c->bits = ignored_bits(o, c->level, leaf);
        break;
    case DMG_BIT62:
        c->bits = R_SLPTE_TM_MASK;
        break;
    default:
        g_assert_not_reached();
    }
    return pte | c->bits;
}

/*
 * Damage COUNT entries, cycling through KINDS so that each one is well
 * represented. The target is an entry on the path of a random mapping,
 * mostly its leaf or close above it.
 */
static void corrupt_entries(Oracle *o, const Damage *kinds, unsigned n_kinds,
                            unsigned count)
{
    unsigned attempts = 0, i = 0;

    while (i < count) {
        Damage k = kinds[i % n_kinds];
        Corruption c = { .kind = k };
        const Mapping *m;
        Domain *d;
        Node *n;
        Built *b;

        g_assert_cmpuint(++attempts, <, 1000 * count);
        m = map_at(o, g_rand_int_range(o->r, 0, o->maps->len));
        d = &o->doms[m->dom];
        c.dom = m->dom;
        /*
         * Mostly the leaf or the table pointer just above it: damage
         * higher up takes whole regions with it.
         */
        c.level = m->level;
        if (c.level < d->levels && (k == DMG_PS_TABLE ||
                                    k == DMG_DANGLING ||
                                    k == DMG_PERM_CUT || chance(o->r, 30))) {
            c.level++;
        }
        if (c.level + 1 < d->levels && chance(o->r, 10)) {
            c.level++;
        }
        if (chance(o->r, 2)) {
            c.level = d->levels;
        }
        n = intent_node(d, c.level, m->iova);
        if (n->corrupt >= 0 || !damage_fits(o, k, c.level, n)) {
            continue;
        }
        c.iova = m->iova & ~(lvl_size(c.level) - 1);
        b = built_entry(d, c.level, m->iova);
        c.before = fake_peek64(&o->mem, b->gpa);
        c.after = apply_damage(o, &c, c.before, n->map >= 0);
        fake_poke64(&o->mem, b->gpa, c.after);
        n->corrupt = o->corrupts->len;
        g_array_append_val(o->corrupts, c);
        i++;
    }
}

static void oracle_init(Oracle *o, const OracleCfg *cfg, uint32_t seed,
                        const char *path)
{
    memset(o, 0, sizeof(*o));
    o->cfg = cfg;
    o->seed = seed;
    o->path = path;
    o->r = g_rand_new_with_seed(seed);
    o->hw = (DmarHwConfig) {
        .haw = cfg->haw, .sagaw = cfg->sagaw, .sllps = cfg->sllps,
        .pt = cfg->pt, .dt = cfg->dt, .sc = cfg->sc,
    };
    dmar_hw_config_init(&o->hw);
    mem_init(&o->mem);
    o->dmem = fake_mem(&o->mem);
    o->devs = g_array_new(false, false, sizeof(Device));
    o->dev_of = g_hash_table_new(g_direct_hash, g_direct_equal);
    o->maps = g_array_new(false, false, sizeof(Mapping));
    o->corrupts = g_array_new(false, false, sizeof(Corruption));

    gen_domains(o);
    gen_mappings(o);
    gen_devices(o);
    for (unsigned i = 0; i < cfg->domains; i++) {
        o->doms[i].slpt = fake_alloc_table(&o->mem);
    }
    build_contexts(o);
    for (unsigned i = 0; i < o->maps->len; i++) {
        build_mapping(o, map_at(o, i));
    }
    g_test_message("%s: seed %u (DMAR_ORACLE_SEED=%u reproduces it): "
                   "%u mappings in %u domains, %u devices, %u pages of "
                   "tables", path, seed, seed, o->maps->len, cfg->domains,
                   o->devs->len, g_hash_table_size(o->mem.pages));
}

static void oracle_destroy(Oracle *o)
{
    for (unsigned i = 0; i < o->cfg->domains; i++) {
        g_hash_table_destroy(o->doms[i].intent);
        g_hash_table_destroy(o->doms[i].built);
    }
    g_free(o->doms);
    g_array_free(o->devs, true);
    g_hash_table_destroy(o->dev_of);
    g_array_free(o->maps, true);
    g_array_free(o->corrupts, true);
    fake_mem_destroy(&o->mem);
    g_rand_free(o->r);
}

/* ---- The oracle: the answer from the intent and the damage list ---- */

static void fault(Outcome *e, DmarFaultReason fr, uint8_t level,
                  const char *rule)
{
    e->ok = false;
    e->fr = fr;
    e->level = level;
    e->rule = rule;
}

/* §7.1.3: the reasons that a context entry's FPD suppresses. */
static bool qualified(DmarFaultReason fr)
{
    return fr != DMAR_FR_ROOT_NOT_PRESENT && fr != DMAR_FR_ROOT_ACCESS &&
           fr != DMAR_FR_CTX_ACCESS && fr != DMAR_FR_ROOT_RSVD &&
           fr != DMAR_FR_CTX_RSVD;
}

/* Root and context entry (§9.1, §9.3); false if the lookup faults. */
static bool expect_lookup(Oracle *o, uint16_t sid, Outcome *e)
{
    const Bus *bus = &o->bus[sid >> 8];
    const Device *dv = dev_find(o, sid);
    const Domain *d;

    e->in_lookup = true;
    e->fpd = false;
    if (!bus->used) {
        fault(e, DMAR_FR_ROOT_NOT_PRESENT, 0, "no root entry");
        return false;
    }
    switch (bus->damage) {
    case ROOT_OK:
        break;
    case ROOT_NOT_PRESENT:
        fault(e, DMAR_FR_ROOT_NOT_PRESENT, 0, "root entry P = 0");
        return false;
    case ROOT_RSVD:
    case ROOT_CTP_HAW:
        fault(e, DMAR_FR_ROOT_RSVD, 0, "root entry reserved bit");
        return false;
    case ROOT_DANGLING:
        fault(e, DMAR_FR_CTX_ACCESS, 0, "context table unreadable");
        return false;
    }
    if (!dv) {
        fault(e, DMAR_FR_CTX_NOT_PRESENT, 0, "no context entry");
        return false;
    }
    e->fpd = dv->fpd;
    switch (dv->damage) {
    case CTX_NOT_PRESENT:
        fault(e, DMAR_FR_CTX_NOT_PRESENT, 0, "context entry P = 0");
        return false;
    case CTX_RSVD_LO:
    case CTX_RSVD_HI:
    case CTX_PTR_HAW:
        e->fpd = false;
        fault(e, DMAR_FR_CTX_RSVD, 0, "context entry reserved bit");
        return false;
    case CTX_AW_BAD:
    case CTX_TT_RSVD:
    case CTX_TT_UNSUP:
        fault(e, DMAR_FR_CTX_INVALID, 0, "context entry AW/TT invalid");
        return false;
    default:
        break;
    }
    d = dv->dom >= 0 ? &o->doms[dv->dom] : NULL;
    e->has_ctx = true;
    e->ctx_fpd = dv->fpd;
    e->tt = dv->tt;
    e->did = d ? d->did : 0;
    e->levels = d && dv->tt != DMAR_TT_PASSTHROUGH ? d->levels : 0;
    e->slpt = FIELD_EX64(dv->lo, CTX_LO, SLPTPTR) << DMAR_PAGE_SHIFT;
    return true;
}

static void expect_success(Outcome *e, uint64_t pa, unsigned level,
                           uint8_t perm, const char *rule)
{
    e->ok = true;
    e->pa = pa;
    e->mask = lvl_size(level) - 1;
    e->perm = perm;
    e->level = level;
    e->rule = rule;
}

/*
 * §3.15: a translation never leads into the interrupt address range: a
 * request that would land there is blocked (Eh, at the leaf's level), and
 * a larger page around it answers for the 4 KiB around IOVA only.
 */
static void expect_output(Outcome *e, uint64_t iova)
{
    uint64_t pa = e->pa + (iova & e->mask);

    if (pa >= DMAR_INTR_ADDR_FIRST && pa <= DMAR_INTR_ADDR_LAST) {
        fault(e, DMAR_FR_INTR_ADDR, e->level, "into the interrupt range");
    } else if (e->pa <= DMAR_INTR_ADDR_LAST &&
               e->pa + e->mask >= DMAR_INTR_ADDR_FIRST) {
        expect_success(e, pa & ~(SZ_4K - 1), 1, e->perm,
                       "4 KiB of a page around the interrupt range");
    }
}

/* The second-level walk, as the intent and the damages dictate. */
static void expect_walk(Oracle *o, const Device *dv, uint64_t iova, bool w,
                        Outcome *e)
{
    const Domain *d = &o->doms[dv->dom];
    DmarFaultReason denied = w ? DMAR_FR_WRITE : DMAR_FR_READ;
    uint8_t need = w ? DMAR_PERM_W : DMAR_PERM_R;
    uint8_t perm = DMAR_PERM_RW;

    /* §7.1.3 4h: above 2^X - 1, X = min(MGAW, AGAW) = AGAW here. */
    if (iova >> dom_width(d)) {
        fault(e, DMAR_FR_ADDR_BEYOND_AGAW, 0, "beyond AGAW");
        return;
    }
    /* §7.1.3 3h: the table SLPTPTR names cannot be read. */
    if (dv->damage == CTX_PTR_DANGLING) {
        fault(e, DMAR_FR_CTX_INVALID, d->levels, "SLPTPTR unreadable");
        return;
    }
    for (unsigned l = d->levels; l >= 1; l--) {
        const Node *n = intent_node(d, l, iova);
        const Corruption *c;
        Damage k;
        const Mapping *m;

        if (!n) {
            /* §9.8: R = W = 0, not present: a fault of the request's type */
            fault(e, denied, l, "hole");
            return;
        }
        c = n->corrupt >= 0 ? corrupt_at(o, n->corrupt) : NULL;
        k = c ? c->kind : DMG_COUNT;
        if (c) {
            e->corrupt = n->corrupt;
        }
        m = n->map >= 0 ? map_at(o, n->map) : NULL;
        if (m) {
            e->map = n->map;
        }
        if (k == DMG_NOT_PRESENT) {
            fault(e, denied, l, "damage: entry not present");
            return;
        }
        /* §3.7.1: the permissions are the AND over every level. */
        perm &= m ? m->perm : DMAR_PERM_RW;
        if (k == DMG_PERM_CUT) {
            perm &= ~c->bits;
        }
        if (!(perm & need)) {
            fault(e, denied, l, m ? "leaf denies" : "table denies");
            return;
        }
        switch (k) {
        case DMG_ADDR_HAW:
        case DMG_SNP:
        case DMG_LARGE_LOW:
        case DMG_PS_TABLE:
        case DMG_BIT62:
            fault(e, DMAR_FR_PTE_RSVD, l, "damage: reserved bit");
            return;
        default:
            break;
        }
        if (m) {
            /* §9.8: PS where SLLPS has no such page size is reserved */
            if (l > 1 && !(o->cfg->sllps & (1u << (l - 2)))) {
                fault(e, DMAR_FR_PTE_RSVD, l, "page size not in SLLPS");
                return;
            }
            expect_success(e, m->pa, l, perm, "mapped");
            expect_output(e, iova);
            return;
        }
        if (k == DMG_DANGLING) {
            fault(e, DMAR_FR_PTE_ACCESS, l - 1, "damage: next table "
                  "unreadable");
            return;
        }
    }
    g_assert_not_reached();     /* the intent has a leaf at level 1 */
}

static void expect(Oracle *o, uint16_t sid, uint64_t iova, bool w,
                   Outcome *e)
{
    const Device *dv;

    *e = (Outcome) { .sid = sid, .map = -1, .corrupt = -1 };
    if (!expect_lookup(o, sid, e)) {
        e->fpd = e->fpd && qualified(e->fr);
        return;
    }
    e->in_lookup = false;
    e->addr = iova;
    e->is_write = w;
    dv = dev_find(o, sid);
    if (dv->tt == DMAR_TT_PASSTHROUGH) {
        /* Pass-through: §7.1.3 4h with X = MGAW. */
        if (iova >> o->cfg->haw) {
            fault(e, DMAR_FR_ADDR_BEYOND_AGAW, 0, "pass-through beyond "
                  "MGAW");
        } else {
            expect_success(e, iova & ~(SZ_4K - 1), 1, DMAR_PERM_RW,
                           "pass-through");
        }
    } else {
        expect_walk(o, dv, iova, w, e);
    }
    e->fpd = !e->ok && dv->fpd && qualified(e->fr);
}

/* ---- Asking the core ---- */

static void ask_core(Oracle *o, uint16_t sid, uint64_t iova, bool w,
                     Outcome *a)
{
    DmarContext ctx;
    DmarRequest req;
    DmarTranslation tr;
    DmarFault f;
    bool ok;

    *a = (Outcome) { .sid = sid, .map = -1, .corrupt = -1 };
    memset(&f, 0, sizeof(f));
    o->mem.reads = 0;
    if (!dmar_context_lookup(&o->hw, o->rta, sid,
                             &o->dmem, &ctx, &f)) {
        a->in_lookup = true;
        a->fr = f.fr;
        a->fpd = f.fpd;
        a->sid = f.sid;
        if (f.pasid_valid) {
            a->broken = "lookup fault with a PASID";
        }
        return;
    }
    /* The lookup reads one root entry and one context entry. */
    if (o->mem.reads > 2) {
        a->broken = "context lookup read more than two entries";
    }
    a->has_ctx = true;
    a->did = ctx.did;
    a->tt = ctx.tt;
    a->levels = ctx.levels;
    a->ctx_fpd = ctx.fpd;
    a->slpt = ctx.slptptr;
    if (ctx.sid != sid) {
        a->sid = ctx.sid;
    }
    memset(&f, 0, sizeof(f));
    memset(&tr, 0, sizeof(tr));
    req = (DmarRequest) {
        .addr = iova, .sid = sid, .pasid = DMAR_NO_PASID,
        .type = DMAR_REQ_UNTRANSLATED, .is_write = w,
    };
    o->mem.reads = 0;
    ok = dmar_translate(&o->hw, &ctx, &req, &o->dmem, &tr, &f);
    /* The walk's bound: one entry per level, whatever the tables hold. */
    if (o->mem.reads > ctx.levels) {
        a->broken = "the walk read more entries than it has levels";
    }
    if (!ok && f.pasid_valid) {
        a->broken = "walk fault with a PASID";
    }
    if (ok) {
        a->ok = true;
        a->pa = tr.pa;
        a->mask = tr.mask;
        a->perm = tr.perm;
        a->level = tr.level;
        /* The page must be the one around IOVA. */
        if (tr.iova != (iova & ~tr.mask)) {
            a->pa = ~0ull;
        }
        return;
    }
    a->fr = f.fr;
    a->level = f.level;
    a->fpd = f.fpd;
    a->addr = f.addr;
    a->is_write = f.is_write;
    a->sid = f.sid;
}

static bool same_outcome(const Outcome *e, const Outcome *a)
{
    if (a->broken) {
        return false;
    }
    if (e->ok != a->ok || e->sid != a->sid || e->has_ctx != a->has_ctx) {
        return false;
    }
    if (e->has_ctx &&
        (e->did != a->did || e->tt != a->tt || e->levels != a->levels ||
         e->ctx_fpd != a->ctx_fpd || e->slpt != a->slpt)) {
        return false;
    }
    if (e->ok) {
        return e->pa == a->pa && e->mask == a->mask && e->perm == a->perm &&
               e->level == a->level;
    }
    if (e->fr != a->fr || e->fpd != a->fpd || e->in_lookup != a->in_lookup) {
        return false;
    }
    return e->in_lookup || (e->level == a->level && e->addr == a->addr &&
                            e->is_write == a->is_write);
}

static char *outcome_str(const Outcome *x)
{
    g_autofree char *ctx = x->has_ctx ?
        g_strdup_printf(" [ctx did 0x%04x tt %u levels %u fpd %u slpt "
                        "0x%" PRIx64 "]", x->did, x->tt, x->levels,
                        x->ctx_fpd, x->slpt) : g_strdup("");

    if (x->ok) {
        return g_strdup_printf("ok: page 0x%" PRIx64 " mask 0x%" PRIx64
                               " perm %s level %u%s", x->pa, x->mask,
                               perm_names[x->perm & 3], x->level, ctx);
    }
    return g_strdup_printf("fault 0x%x from %s, level %u, fpd %u, sid "
                           "0x%04x, addr 0x%" PRIx64 ", %s%s", x->fr,
                           x->in_lookup ? "lookup" : "walk", x->level,
                           x->fpd, x->sid, x->addr,
                           x->is_write ? "write" : "read", ctx);
}

static void log_mapping(Oracle *o, int i)
{
    const Mapping *m;

    if (i < 0) {
        return;
    }
    m = map_at(o, i);
    g_test_message("  mapping #%d: domain 0x%04x (%u-level) iova 0x%"
                   PRIx64 " -> pa 0x%" PRIx64 ", %s, %s%s", i,
                   o->doms[m->dom].did, o->doms[m->dom].levels, m->iova,
                   m->pa, size_name(m->level), perm_names[m->perm],
                   m->removed ? " (removed)" : "");
}

static void log_corruption(Oracle *o, int i)
{
    const Corruption *c;

    if (i < 0) {
        return;
    }
    c = corrupt_at(o, i);
    g_test_message("  damage #%d: %s on the level-%u entry of domain "
                   "0x%04x for iova 0x%" PRIx64 ": 0x%016" PRIx64 " -> 0x%016"
                   PRIx64 " (bits 0x%" PRIx64 ")", i, damage_names[c->kind],
                   c->level, o->doms[c->dom].did, c->iova, c->before,
                   c->after, c->bits);
}

static void log_device(Oracle *o, uint16_t sid)
{
    const Device *dv = dev_find(o, sid);
    const Bus *bus = &o->bus[sid >> 8];

    g_test_message("  root entry of bus 0x%02x: %s, %s (0x%016" PRIx64
                   " 0x%016" PRIx64 ")", sid >> 8,
                   bus->used ? "written" : "zero",
                   root_damage_names[bus->damage], bus->lo, bus->hi);
    if (dv) {
        g_test_message("  context entry of 0x%04x: domain %d, tt %u, fpd "
                       "%u, %s (0x%016" PRIx64 " 0x%016" PRIx64 ")", sid,
                       dv->dom >= 0 ? o->doms[dv->dom].did : -1, dv->tt,
                       dv->fpd, ctx_damage_names[dv->damage], dv->lo,
                       dv->hi);
    } else {
        g_test_message("  no context entry for 0x%04x", sid);
    }
}

static void count_outcome(Oracle *o, const Outcome *e)
{
    o->probes++;
    if (e->ok) {
        o->ok++;
    } else {
        o->by_fr[e->fr & 15]++;
    }
    if (e->corrupt >= 0) {
        o->by_damage[corrupt_at(o, e->corrupt)->kind]++;
    }
}

/*
 * Check one probe against the oracle. Mismatches on a damage in o->known
 * (a core divergence with its own test case) are counted apart.
 */
static bool probe_out(Oracle *o, uint16_t sid, uint64_t iova, bool w,
                      const char *what, Outcome *core)
{
    Outcome e, a;
    bool known;

    expect(o, sid, iova, w, &e);
    ask_core(o, sid, iova, w, &a);
    count_outcome(o, &e);
    if (core) {
        *core = a;
    }
    if (same_outcome(&e, &a)) {
        return true;
    }
    known = e.corrupt >= 0 &&
            (o->known & (1u << corrupt_at(o, e.corrupt)->kind));
    if (known) {
        o->known_hits++;
    } else {
        o->mismatches++;
    }
    if (o->mismatches + o->known_hits <= MAX_MISMATCH_LOG) {
        g_autofree char *es = outcome_str(&e);
        g_autofree char *as = outcome_str(&a);

        g_test_message("%s %s (seed %u): sid 0x%04x %s iova 0x%" PRIx64
                       " (%s probe)", known ? "KNOWN DIVERGENCE" :
                       "MISMATCH", o->path, o->seed, sid,
                       w ? "write" : "read", iova, what);
        g_test_message("  expected %s (rule: %s)", es, e.rule);
        g_test_message("  core     %s%s%s", as, a.broken ? "; " : "",
                       a.broken ? a.broken : "");
        log_device(o, sid);
        log_mapping(o, e.map);
        log_corruption(o, e.corrupt);
    }
    return false;
}

static bool probe(Oracle *o, uint16_t sid, uint64_t iova, bool w,
                  const char *what)
{
    return probe_out(o, sid, iova, w, what, NULL);
}

/* ---- Probe sets ---- */

static bool dev_healthy(Oracle *o, const Device *dv)
{
    return dv->damage == CTX_OK && o->bus[dv->sid >> 8].damage == ROOT_OK;
}

/*
 * A random device of domain DOM (any device if DOM < 0), healthy most of
 * the time: the damaged ones would fault every probe.
 */
static const Device *dev_of_domain(Oracle *o, int dom)
{
    bool healthy = chance(o->r, 85);
    unsigned n = 0, pick;

    for (int pass = 0; pass < 2 && !n; pass++) {
        for (unsigned i = 0; i < o->devs->len; i++) {
            const Device *dv = dev_at(o, i);

            n += (dom < 0 || dv->dom == dom) &&
                 (!healthy || dev_healthy(o, dv));
        }
        if (!n) {
            healthy = false;
        }
    }
    g_assert(n > 0);
    pick = g_rand_int_range(o->r, 0, n);
    for (unsigned i = 0; i < o->devs->len; i++) {
        const Device *dv = dev_at(o, i);

        if ((dom < 0 || dv->dom == dom) &&
            (!healthy || dev_healthy(o, dv)) && pick-- == 0) {
            return dv;
        }
    }
    g_assert_not_reached();
}

/* Inside every mapping, from its domain's devices and from strangers. */
static void probe_mappings(Oracle *o)
{
    for (unsigned i = 0; i < o->maps->len; i++) {
        const Mapping *m = map_at(o, i);
        uint64_t size = lvl_size(m->level);
        uint64_t edge = chance(o->r, 50) ? 0 : size - 1;
        const Device *dv = dev_of_domain(o, m->dom);
        bool w = g_rand_boolean(o->r);

        probe(o, dv->sid, m->iova + rnd_below(o->r, size), w, "mapping");
        probe(o, dv->sid, m->iova + edge, !w, "mapping edge");
        dv = dev_of_domain(o, m->dom);
        probe(o, dv->sid, m->iova + rnd_below(o->r, size),
              g_rand_boolean(o->r), "mapping");
        /* Isolation: the same IOVA from any device, its own answer. */
        dv = dev_of_domain(o, -1);
        o->cross_domain += dv->dom != m->dom;
        probe(o, dv->sid, m->iova + rnd_below(o->r, size),
              g_rand_boolean(o->r), "other device");
    }
}

/* Next to mappings, in their regions, and beyond the AGAW. */
static void probe_holes(Oracle *o)
{
    static const int64_t nudge[] = {
        -1, -(int64_t)SZ_4K, -(int64_t)SZ_2M, 0, SZ_4K, SZ_2M
    };

    for (unsigned i = 0; i < o->maps->len / 2; i++) {
        const Mapping *m = map_at(o, g_rand_int_range(o->r, 0,
                                                      o->maps->len));
        const Domain *d = &o->doms[m->dom];
        const Device *dv = dev_of_domain(o, m->dom);
        uint64_t iova = m->iova + nudge[g_rand_int_range(o->r, 0, 6)];

        if (chance(o->r, 50)) {
            iova += lvl_size(m->level);
        }
        probe(o, dv->sid, iova, g_rand_boolean(o->r), "near mapping");
        iova = d->region[g_rand_int_range(o->r, 0, DOM_REGIONS)] +
               rnd_below(o->r, SZ_8G);
        probe(o, dv->sid, iova, g_rand_boolean(o->r), "region");
    }
    for (unsigned i = 0; i < o->devs->len; i++) {
        const Device *dv = dev_at(o, i);
        unsigned width = dv->dom >= 0 && dv->tt != DMAR_TT_PASSTHROUGH ?
                         dom_width(&o->doms[dv->dom]) : o->cfg->haw;

        for (unsigned j = 0; j < 24; j++) {
            uint64_t iova = rnd64(o->r) >> g_rand_int_range(o->r, 0, 64);

            if (j < 8) {
                /* Just at and above the limit. */
                iova = (1ull << width) + (rnd64(o->r) & (SZ_2M - 1)) -
                       (j < 2 ? SZ_4K : 0);
            } else if (j < 16) {
                iova |= rnd_bit_in(o, width, 63);
            }
            probe(o, dv->sid, iova, g_rand_boolean(o->r), "agaw");
        }
    }
}

/* Under every damaged entry, from the devices of its domain. */
static void probe_damage(Oracle *o)
{
    for (unsigned i = 0; i < o->corrupts->len; i++) {
        const Corruption *c = corrupt_at(o, i);

        for (unsigned j = 0; j < 8; j++) {
            const Device *dv = dev_of_domain(o, c->dom);
            uint64_t off = j < 2 ? 0 : rnd_below(o->r, lvl_size(c->level));

            probe(o, dv->sid, c->iova + off, j & 1, "damaged entry");
        }
    }
}

/* Source-ids nobody set up, on used and unused buses. */
static void probe_strangers(Oracle *o)
{
    for (unsigned i = 0; i < 400; i++) {
        uint16_t sid;

        do {
            const Device *dv = dev_of_domain(o, -1);

            sid = chance(o->r, 60) ? (dv->sid & 0xff00) |
                  g_rand_int_range(o->r, 0, 256) :
                  g_rand_int_range(o->r, 0, 0x10000);
        } while (dev_find(o, sid));
        probe(o, sid, rnd64(o->r) >> g_rand_int_range(o->r, 16, 64),
              g_rand_boolean(o->r), "unknown sid");
    }
}

static void log_counts(Oracle *o)
{
    GString *s = g_string_new(NULL);

    g_string_append_printf(s, "%s: %u probes, %u translated", o->path,
                           o->probes, o->ok);
    for (unsigned fr = 1; fr < 16; fr++) {
        if (o->by_fr[fr]) {
            g_string_append_printf(s, ", %u x 0x%x", o->by_fr[fr], fr);
        }
    }
    g_test_message("%s", s->str);
    g_string_truncate(s, 0);
    g_string_append_printf(s, "%u damaged entries; probes through them "
                           "(the last one on the path):", o->corrupts->len);
    for (unsigned k = 0; k < DMG_COUNT; k++) {
        if (o->by_damage[k]) {
            g_string_append_printf(s, " %s %u", damage_names[k],
                                   o->by_damage[k]);
        }
    }
    g_test_message("%s", s->str);
    g_string_free(s, true);
}

/* ---- The IOTLB pass (VT-d §6.5) ---- */

typedef struct Cached {
    uint16_t sid;
    uint16_t did;
    uint64_t iova;          /* the address that was translated */
    int map;
    bool w;                 /* the access that was granted */
    bool live;              /* in the IOTLB, as far as we know */
    bool refill;            /* dropped by the last invalidation */
    DmarTranslation tr;     /* what went into the IOTLB */
} Cached;

typedef struct IotlbRun {
    Oracle *o;
    DmarIotlb t;
    GArray *cached;         /* of Cached */
    unsigned hits, misses, cross, strangers, changes;
} IotlbRun;

static void G_GNUC_PRINTF(2, 3) iotlb_mismatch(Oracle *o, const char *fmt,
                                                ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (++o->mismatches <= MAX_MISMATCH_LOG) {
        g_test_message("MISMATCH %s (seed %u): %s", o->path, o->seed, msg);
    }
}

/*
 * The IOTLB's answer, asked as the glue asks: the lock-free hit path
 * first (dmar_iotlb_lookup_shared()), which may answer only what the
 * locked lookup then answers too.
 */
static bool run_lookup(DmarIotlb *t, const DmarCacheKey *key, uint64_t iova,
                       DmarTranslation *tr)
{
    DmarTranslation shared;
    bool hit = dmar_iotlb_lookup_shared(t, key, iova, &shared);
    bool ok = dmar_iotlb_lookup(t, key, iova, tr);

    if (hit) {
        g_assert_true(ok);
        assert_same_translation(&shared, tr);
    }
    return ok;
}

static Cached *cached_at(IotlbRun *run, unsigned i)
{
    return &g_array_index(run->cached, Cached, i);
}

/* Is TR what the tables give SID at IOVA, for a read or for a write? */
static bool cache_agrees(Oracle *o, uint16_t sid, uint64_t iova,
                         const DmarTranslation *tr)
{
    for (int w = 0; w <= 1; w++) {
        Outcome e;

        expect(o, sid, iova, w, &e);
        if (e.ok) {
            return tr->pa == e.pa && tr->mask == e.mask &&
                   tr->perm == e.perm && tr->level == e.level &&
                   tr->iova == (iova & ~e.mask);
        }
    }
    return false;
}

static bool same_translation(const DmarTranslation *a,
                             const DmarTranslation *b)
{
    return a->iova == b->iova && a->pa == b->pa && a->mask == b->mask &&
           a->perm == b->perm && a->level == b->level;
}

/*
 * Translate C's address (checked against the oracle), with its access
 * first, then the other one; cache what succeeds. False if neither does.
 */
static bool iotlb_fill_one(IotlbRun *run, Cached *c)
{
    for (int i = 0; i < 2; i++) {
        Outcome a;

        if (probe_out(run->o, c->sid, c->iova, c->w, "iotlb fill", &a) &&
            a.ok) {
            if (a.level != map_at(run->o, c->map)->level) {
                /* 4 KiB of a page around the interrupt range: uncached */
                break;
            }
            c->did = a.did;
            c->live = true;
            c->tr = (DmarTranslation) {
                .iova = c->iova & ~a.mask, .pa = a.pa, .mask = a.mask,
                .perm = a.perm, .level = a.level,
            };
            dmar_iotlb_insert(&run->t, SKEY(c->sid), a.did, &c->tr);
            return true;
        }
        c->w = !c->w;
    }
    c->live = false;
    return false;
}

static void iotlb_fill(IotlbRun *run)
{
    Oracle *o = run->o;

    for (unsigned i = 0; i < o->maps->len; i++) {
        const Mapping *m = map_at(o, i);

        for (unsigned j = 0; j < 2; j++) {
            Cached c = {
                .sid = dev_of_domain(o, m->dom)->sid,
                .iova = m->iova + rnd_below(o->r, lvl_size(m->level)),
                .map = i,
                .w = g_rand_boolean(o->r),
            };

            if (iotlb_fill_one(run, &c)) {
                g_array_append_val(run->cached, c);
            }
        }
    }
}

/*
 * Every live cached page answers as the tables do; another source-id
 * never gets it unless the tables give it the same page; a source-id
 * that never translated anything never hits.
 */
static void iotlb_check(IotlbRun *run)
{
    Oracle *o = run->o;
    DmarTranslation tr;

    for (unsigned i = 0; i < run->cached->len; i++) {
        const Cached *c = cached_at(run, i);
        uint64_t look = c->tr.iova + rnd_below(o->r, c->tr.mask + 1);
        const Device *other = dev_of_domain(o, -1);

        if (!c->live) {
            continue;
        }
        if (!run_lookup(&run->t, SKEY(c->sid), look, &tr)) {
            run->misses++;
            continue;
        }
        run->hits++;
        if (!cache_agrees(o, c->sid, look, &tr)) {
            iotlb_mismatch(o, "sid 0x%04x iova 0x%" PRIx64 ": the IOTLB "
                           "gives page 0x%" PRIx64 " mask 0x%" PRIx64
                           " perm %s, the tables do not", c->sid, look,
                           tr.pa, tr.mask, perm_names[tr.perm & 3]);
            log_mapping(o, c->map);
        }
        if (other->sid != c->sid &&
            run_lookup(&run->t, SKEY(other->sid), look, &tr)) {
            run->cross++;
            if (!cache_agrees(o, other->sid, look, &tr)) {
                iotlb_mismatch(o, "isolation: sid 0x%04x gets the page "
                               "0x%" PRIx64 " that sid 0x%04x cached for "
                               "iova 0x%" PRIx64, other->sid, tr.pa, c->sid,
                               look);
                log_mapping(o, c->map);
            }
        }
    }
    /* Misses only where a full set had to evict. */
    if (run->misses && !run->t.stats.evictions) {
        iotlb_mismatch(o, "%u cached pages missed without any eviction",
                       run->misses);
    }
    for (unsigned i = 0; i < 200 && run->cached->len; i++) {
        const Cached *c = cached_at(run, g_rand_int_range(o->r, 0,
                                                        run->cached->len));
        const Device *dv = dev_of_domain(o, -1);
        uint16_t sid = dv->sid;

        if (dev_healthy(o, dv)) {
            do {
                sid = g_rand_int_range(o->r, 0, 0x10000);
            } while (dev_find(o, sid));
        }
        run->strangers++;
        if (run_lookup(&run->t, SKEY(sid), c->iova, &tr)) {
            iotlb_mismatch(o, "sid 0x%04x never translated anything but "
                           "hits iova 0x%" PRIx64, sid, c->iova);
        }
    }
}

/* Change mapping I in the tables and in the intent (kind 0..2). */
static void change_mapping(Oracle *o, unsigned i, unsigned kind)
{
    Mapping *m = map_at(o, i);
    Domain *d = &o->doms[m->dom];
    Built *b = built_entry(d, m->level, m->iova);
    uint64_t size = lvl_size(m->level);
    bool size_ok = m->level == 1 ||
                   (o->cfg->sllps & (1u << (m->level - 2)));

    if (kind == 2) {
        g_hash_table_remove(d->intent, node_key(m->level, m->iova));
        m->removed = true;
        fake_poke64(&o->mem, b->gpa, 0);
        return;
    }
    if (kind == 1 && size_ok) {
        m->perm = m->perm % 3 + 1;      /* r -> w -> rw -> r */
    } else {
        m->pa = (m->pa + rnd_range(o->r, 1, 1000) * size) &
                ((1ull << MIN(o->cfg->haw, 52)) - 1);
    }
    fake_poke64(&o->mem, b->gpa, make_slpte(m->pa, m->perm, m->level > 1));
}

/*
 * Change cached mappings one at a time: the IOTLB keeps the old answer
 * until an invalidation (page-selective, inside a large page, a wider
 * range, or the whole domain) drops it for every device of the domain,
 * and only then does the new answer come through.
 */
static void iotlb_changes(IotlbRun *run, unsigned count)
{
    static const char *const kinds[] = { "remap", "new perm", "unmap" };
    static const char *const hows[] = {
        "page", "4 KiB inside the page", "domain", "512 pages around"
    };
    Oracle *o = run->o;
    unsigned tries = 0;

    while (run->changes < count) {
        Cached *c = cached_at(run, g_rand_int_range(o->r, 0,
                                                   run->cached->len));
        Cached old;
        Mapping *m = map_at(o, c->map);
        Domain *d = &o->doms[m->dom];
        const Node *n = intent_node(d, m->level, m->iova);
        unsigned kind = run->changes % 3, how = run->changes % 4;
        uint64_t first, last, size = lvl_size(m->level);
        DmarTranslation tr;
        bool hit;

        g_assert_cmpuint(++tries, <, 100 * count);
        if (!c->live || m->removed || !n || n->corrupt >= 0 ||
            c->did != d->did) {
            continue;
        }
        old = *c;
        hit = run_lookup(&run->t, SKEY(old.sid), old.iova, &tr);
        if (hit && !same_translation(&tr, &old.tr)) {
            iotlb_mismatch(o, "sid 0x%04x iova 0x%" PRIx64 ": cached page "
                           "changed by itself", old.sid, old.iova);
        }
        change_mapping(o, old.map, kind);
        /* §6.5: the tables changed, but no invalidation yet. */
        if (hit && (!run_lookup(&run->t, SKEY(old.sid), old.iova, &tr) ||
                    !same_translation(&tr, &old.tr))) {
            iotlb_mismatch(o, "sid 0x%04x iova 0x%" PRIx64 ": cached page "
                           "changed before any invalidation", old.sid,
                           old.iova);
        }
        switch (how) {
        case 0:
            first = m->iova;
            last = first + size - 1;
            dmar_iotlb_flush_pages(&run->t, d->did, first,
                                   9 * (m->level - 1));
            break;
        case 1:
            first = (m->iova + rnd_below(o->r, size)) & ~(SZ_4K - 1);
            last = first + SZ_4K - 1;
            dmar_iotlb_flush_pages(&run->t, d->did, first, 0);
            break;
        case 2:
            first = 0;
            last = UINT64_MAX;
            dmar_iotlb_flush_domain(&run->t, d->did);
            break;
        default:
            first = m->iova & ~(size * 512 - 1);
            last = first + size * 512 - 1;
            dmar_iotlb_flush_pages(&run->t, d->did, m->iova,
                                   9 * m->level);
            break;
        }
        for (unsigned i = 0; i < run->cached->len; i++) {
            Cached *x = cached_at(run, i);

            if (x->live && x->did == d->did && x->tr.iova <= last &&
                x->tr.iova + x->tr.mask >= first) {
                x->live = false;
                x->refill = true;
            }
        }
        for (unsigned i = 0; i < o->devs->len; i++) {
            const Device *dv = dev_at(o, i);

            if (dv->dom == (int)m->dom &&
                run_lookup(&run->t, SKEY(dv->sid), old.iova, &tr)) {
                iotlb_mismatch(o, "%s of iova 0x%" PRIx64 " then a %s "
                               "invalidation of domain 0x%04x: sid 0x%04x "
                               "still hits page 0x%" PRIx64, kinds[kind],
                               old.iova, hows[how], d->did, dv->sid, tr.pa);
                log_mapping(o, old.map);
            }
        }
        /* What the invalidation did not cover is still there. */
        for (unsigned i = 0; i < 16 && !run->t.stats.evictions; i++) {
            const Cached *x = cached_at(run, g_rand_int_range(o->r, 0,
                                                        run->cached->len));

            if (x->live && !run_lookup(&run->t, SKEY(x->sid), x->iova,
                                              &tr)) {
                iotlb_mismatch(o, "a %s invalidation of domain 0x%04x at "
                               "0x%" PRIx64 " dropped sid 0x%04x iova 0x%"
                               PRIx64 " (domain 0x%04x)", hows[how], d->did,
                               m->iova, x->sid, x->iova, x->did);
            }
        }
        /*
         * New answers, checked by the oracle, go into the IOTLB, the
         * changed page's included.
         */
        for (unsigned i = 0; i < run->cached->len; i++) {
            Cached *x = cached_at(run, i);

            if (x->refill) {
                x->refill = false;
                iotlb_fill_one(run, x);
            }
        }
        run->changes++;
    }
}

/* ---- Test cases ---- */

typedef struct OracleCase {
    const OracleCfg *cfg;
    uint32_t seed;
    char *path;
} OracleCase;

/*
 * The damages the walk and IOTLB cases use; damage_enabled() and
 * damage_fits() say where each one can go.
 */
static const Damage main_damage[] = {
    DMG_NOT_PRESENT, DMG_ADDR_HAW, DMG_SNP, DMG_LARGE_LOW, DMG_PS_TABLE,
    DMG_DANGLING, DMG_PERM_CUT, DMG_IGNORED, DMG_SNP_SC,
};

/* Is kind K possible at all in this configuration? */
static bool damage_enabled(const OracleCfg *c, Damage k)
{
    switch (k) {
    case DMG_ADDR_HAW:
        return c->haw < 52;
    case DMG_SNP:
        return !c->sc;
    case DMG_SNP_SC:
        return c->sc;
    default:
        return true;
    }
}

static unsigned damage_kinds(const OracleCfg *c, Damage *kinds)
{
    unsigned n = 0;

    for (unsigned i = 0; i < ARRAY_SIZE(main_damage); i++) {
        if (damage_enabled(c, main_damage[i])) {
            kinds[n++] = main_damage[i];
        }
    }
    return n;
}

/*
 * The walk oracle: every outcome must match, and every outcome must
 * occur, so that a generator gone quiet cannot pass unnoticed.
 */
static void test_walk(const void *opaque)
{
    const OracleCase *tc = opaque;
    static const DmarFaultReason must[] = {
        DMAR_FR_ROOT_NOT_PRESENT, DMAR_FR_CTX_NOT_PRESENT,
        DMAR_FR_CTX_INVALID, DMAR_FR_ADDR_BEYOND_AGAW, DMAR_FR_WRITE,
        DMAR_FR_READ, DMAR_FR_PTE_ACCESS, DMAR_FR_CTX_ACCESS,
        DMAR_FR_ROOT_RSVD, DMAR_FR_CTX_RSVD, DMAR_FR_PTE_RSVD,
    };
    Damage kinds[DMG_COUNT];
    unsigned n_kinds;
    Oracle o;

    oracle_init(&o, tc->cfg, tc->seed, tc->path);
    n_kinds = damage_kinds(tc->cfg, kinds);
    corrupt_entries(&o, kinds, n_kinds, o.maps->len / 40);
    probe_mappings(&o);
    probe_holes(&o);
    probe_damage(&o);
    probe_strangers(&o);
    log_counts(&o);

    if (o.mismatches) {
        g_test_message("%s: %u of %u probes disagree with the oracle",
                       tc->path, o.mismatches, o.probes);
        g_test_fail();
    }
    g_assert_cmpuint(o.known_hits, ==, 0);
    /* Every kind of outcome, often: a quiet generator cannot pass. */
    g_assert_cmpuint(o.ok, >, o.probes / 10);
    g_assert_cmpuint(o.by_fr[DMAR_FR_READ] + o.by_fr[DMAR_FR_WRITE], >,
                     o.probes / 10);
    g_assert_cmpuint(o.by_fr[DMAR_FR_ADDR_BEYOND_AGAW], >, o.probes / 100);
    g_assert_cmpuint(o.cross_domain, >, o.maps->len / 4);
    for (unsigned i = 0; i < ARRAY_SIZE(must); i++) {
        if (!o.by_fr[must[i]]) {
            g_test_message("%s: no probe was expected to fault 0x%x",
                           tc->path, must[i]);
            g_test_fail();
        }
    }
    for (unsigned i = 0; i < n_kinds; i++) {
        if (!o.by_damage[kinds[i]]) {
            g_test_message("%s: no probe went through damage %s",
                           tc->path, damage_names[kinds[i]]);
            g_test_fail();
        }
    }
    oracle_destroy(&o);
}

/*
 * The IOTLB pass: cache every translation of a first round, check the
 * cached answers against the oracle, then change mappings and check that
 * invalidations make the change visible.
 */
static void test_iotlb(const void *opaque)
{
    const OracleCase *tc = opaque;
    Damage kinds[DMG_COUNT];
    unsigned n_kinds, changes = 96;
    IotlbRun run = { 0 };
    Oracle o;

    oracle_init(&o, tc->cfg, tc->seed, tc->path);
    n_kinds = damage_kinds(tc->cfg, kinds);
    corrupt_entries(&o, kinds, n_kinds, o.maps->len / 40);
    run.o = &o;
    run.cached = g_array_new(false, false, sizeof(Cached));
    dmar_iotlb_init(&run.t, 1u << 18);

    iotlb_fill(&run);
    iotlb_check(&run);
    iotlb_changes(&run, changes);
    iotlb_check(&run);
    g_test_message("%s: %u pages cached, %u hits, %u misses, %u hits for "
                   "another device, %u stranger lookups, %u changes, %"
                   PRIu64 " evictions", tc->path, run.cached->len, run.hits,
                   run.misses, run.cross, run.strangers, run.changes,
                   run.t.stats.evictions);
    if (o.mismatches) {
        g_test_message("%s: %u mismatches", tc->path, o.mismatches);
        g_test_fail();
    }
    g_assert_cmpuint(run.hits, >, o.maps->len / 2);
    g_assert_cmpuint(run.changes, ==, changes);
    dmar_iotlb_destroy(&run.t);
    g_array_free(run.cached, true);
    oracle_destroy(&o);
}

/*
 * Bit 62 of a present second-stage entry is reserved (§9.8; it was TM
 * until revision 3.2, reserved then too without ECAP.DT), so it must fault
 * 0xc. The oracle found dmar-core ignoring it; this case keeps it fixed.
 */
static void test_bit62(const void *opaque)
{
    const OracleCase *tc = opaque;
    static const Damage kinds[] = { DMG_BIT62 };
    Oracle o;

    oracle_init(&o, tc->cfg, tc->seed, tc->path);
    o.known = 1u << DMG_BIT62;
    corrupt_entries(&o, kinds, ARRAY_SIZE(kinds), 40);
    probe_damage(&o);
    probe_mappings(&o);
    log_counts(&o);
    g_assert_cmpuint(o.by_damage[DMG_BIT62], >, 0);
    if (o.mismatches) {
        g_test_message("%s: %u mismatches besides bit 62", tc->path,
                       o.mismatches);
        g_test_fail();
    } else if (o.known_hits) {
        g_test_message("%s: %u probes through an entry with bit 62 set "
                       "were not faulted 0xc", tc->path, o.known_hits);
        g_test_fail();
    }
    oracle_destroy(&o);
}

/* ---- The range walk against the intent (dmar_walk_range) ---- */

typedef struct WalkRun {
    Oracle *o;
    const DmarMem *mem;     /* NULL: o->dmem */
    GArray *leaves;         /* of DmarTranslation */
    unsigned stop_every;    /* the callback says stop every so often */
    unsigned calls;
} WalkRun;

static bool walk_collect(void *opaque, const DmarTranslation *leaf)
{
    WalkRun *w = opaque;

    g_array_append_val(w->leaves, *leaf);
    return !w->stop_every || ++w->calls % w->stop_every;
}

/*
 * Walk [FIRST, LAST] under CTX, BUDGET reads per call (resuming until
 * done), the leaves appended to W->leaves. The final status.
 */
static DmarWalkStatus walk_all(WalkRun *w, const DmarContext *ctx,
                               uint64_t first, uint64_t last,
                               uint64_t budget)
{
    DmarWalkStatus st;
    unsigned rounds = 0;

    for (;;) {
        uint64_t b = budget, resume = 0;

        st = dmar_walk_range(&w->o->hw, ctx, first, last,
                             w->mem ?: &w->o->dmem, walk_collect, w, &b,
                             &resume);
        if (st != DMAR_WALK_STOPPED) {
            return st;
        }
        g_assert_cmphex(resume, >, first);
        if (resume > last) {
            return st;
        }
        first = resume;
        g_assert_cmpuint(++rounds, <, 10000000);
    }
}

/* The mapping of domain D whose leaf holds IOVA, or -1. */
static int mapping_at(const Domain *d, uint64_t iova)
{
    for (unsigned l = 1; l <= 3; l++) {
        const Node *n = intent_node(d, l, iova);

        if (n && n->map >= 0) {
            return n->map;
        }
    }
    return -1;
}

/* The oracle's answer at IOVA for a read or else a write (R, then W). */
static bool granted(Oracle *o, uint16_t sid, uint64_t iova, Outcome *e)
{
    expect(o, sid, iova, false, e);
    if (!e->ok) {
        expect(o, sid, iova, true, e);
    }
    return e->ok;
}

/* The leaf of L that holds IOVA, by bisection (L is in IOVA order). */
static const DmarTranslation *leaf_holding(GArray *l, uint64_t iova)
{
    unsigned lo = 0, hi = l->len;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const DmarTranslation *t = &g_array_index(l, DmarTranslation, mid);

        if (iova < t->iova) {
            hi = mid;
        } else if (iova > t->iova + t->mask) {
            lo = mid + 1;
        } else {
            return t;
        }
    }
    return NULL;
}

static void G_GNUC_PRINTF(2, 3) walk_mismatch(Oracle *o, const char *fmt,
                                              ...)
{
    va_list ap;

    o->mismatches++;
    if (o->mismatches <= MAX_MISMATCH_LOG) {
        g_autofree char *msg = NULL;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_test_message("MISMATCH %s (seed %u): %s", o->path, o->seed, msg);
    }
}

/*
 * Each leaf of L (the walk of domain D through device SID): in order, in
 * one mapping of the intent, and what the oracle says a DMA gets there:
 * same output, same permissions, at its first and last byte and one
 * between; a whole mapping unless narrowed around the interrupt range.
 */
static void check_walk_leaves(Oracle *o, const Domain *d, uint16_t sid,
                              GArray *l)
{
    for (unsigned i = 0; i < l->len; i++) {
        const DmarTranslation *t = &g_array_index(l, DmarTranslation, i);
        const DmarTranslation *prev = i ? t - 1 : NULL;
        int mi = mapping_at(d, t->iova);
        const Mapping *m = mi >= 0 ? map_at(o, mi) : NULL;
        uint64_t at[3] = {
            t->iova, t->iova + t->mask, t->iova + rnd_below(o->r, t->mask),
        };

        if (prev && prev->iova + prev->mask >= t->iova) {
            walk_mismatch(o, "domain 0x%04x: leaf 0x%" PRIx64 " after 0x%"
                          PRIx64 "+0x%" PRIx64, d->did, t->iova, prev->iova,
                          prev->mask);
        }
        if (!m || t->iova < m->iova ||
            t->iova + t->mask > m->iova + lvl_size(m->level) - 1 ||
            (!t->narrowed && (t->iova != m->iova || t->pa != m->pa ||
                              t->level != m->level))) {
            walk_mismatch(o, "domain 0x%04x: leaf 0x%" PRIx64 " -> 0x%"
                          PRIx64 " level %u is no mapping of the intent",
                          d->did, t->iova, t->pa, t->level);
            log_mapping(o, mi);
            continue;
        }
        for (unsigned k = 0; k < ARRAY_SIZE(at); k++) {
            Outcome e;

            if (!granted(o, sid, at[k], &e) ||
                e.pa + (at[k] & e.mask) != t->pa + (at[k] - t->iova) ||
                e.perm != t->perm) {
                g_autofree char *es = outcome_str(&e);

                walk_mismatch(o, "domain 0x%04x: leaf 0x%" PRIx64 " -> 0x%"
                              PRIx64 " perm %s, at 0x%" PRIx64 " the oracle"
                              " says %s", d->did, t->iova, t->pa,
                              perm_names[t->perm & 3], at[k], es);
                log_mapping(o, mi);
                break;
            }
        }
    }
}

/*
 * The other way: every mapping of domain D that the oracle grants (at its
 * first and last byte and one between) is in L, with that output.
 */
static void check_walk_complete(Oracle *o, const Domain *d, unsigned dom,
                                uint16_t sid, GArray *l, unsigned *granted_n)
{
    for (unsigned i = 0; i < o->maps->len; i++) {
        const Mapping *m = map_at(o, i);
        uint64_t size = lvl_size(m->level);
        uint64_t at[3] = {
            m->iova, m->iova + size - 1, m->iova + rnd_below(o->r, size),
        };

        if (m->dom != dom || m->removed) {
            continue;
        }
        for (unsigned k = 0; k < ARRAY_SIZE(at); k++) {
            const DmarTranslation *t;
            Outcome e;

            if (!granted(o, sid, at[k], &e)) {
                continue;
            }
            *granted_n += k == 0;
            t = leaf_holding(l, at[k]);
            if (!t || t->pa + (at[k] - t->iova) !=
                      e.pa + (at[k] & e.mask) || t->perm != e.perm) {
                walk_mismatch(o, "domain 0x%04x: 0x%" PRIx64 " granted "
                              "(pa 0x%" PRIx64 " perm %s) but %s", d->did,
                              at[k], e.pa + (at[k] & e.mask),
                              perm_names[e.perm & 3],
                              t ? "walked otherwise" : "not walked");
                log_mapping(o, i);
                break;
            }
        }
    }
}

/* The leaves of ALL overlapping [FIRST, LAST], in L? */
static bool same_leaves_in(GArray *all, GArray *l, uint64_t first,
                           uint64_t last)
{
    unsigned j = 0;

    for (unsigned i = 0; i < all->len; i++) {
        const DmarTranslation *t = &g_array_index(all, DmarTranslation, i);

        if (t->iova + t->mask < first || t->iova > last) {
            continue;
        }
        if (j >= l->len ||
            memcmp(t, &g_array_index(l, DmarTranslation, j), sizeof(*t))) {
            return false;
        }
        j++;
    }
    return j == l->len;
}

/*
 * dmar_walk_range() against the intent: for one healthy device of each
 * domain, the whole space walked reports every mapping the oracle grants,
 * once, and nothing else; walks cut by small budgets and by the callback
 * give the same leaves; walks of random ranges give the leaves that
 * overlap them.
 */
static void test_walk_range(const void *opaque)
{
    const OracleCase *tc = opaque;
    Damage kinds[DMG_COUNT];
    unsigned n_kinds, walked = 0, granted_n = 0, narrowed = 0, faults = 0;
    Oracle o;

    oracle_init(&o, tc->cfg, tc->seed, tc->path);
    n_kinds = damage_kinds(tc->cfg, kinds);
    corrupt_entries(&o, kinds, n_kinds, o.maps->len / 40);
    for (unsigned dom = 0; dom < tc->cfg->domains; dom++) {
        const Domain *d = &o.doms[dom];
        const Device *dv = NULL;
        WalkRun all = { .o = &o }, cut = { .o = &o };
        DmarContext ctx;
        DmarFault f;
        DmarWalkStatus st;

        for (unsigned i = 0; i < o.devs->len && !dv; i++) {
            const Device *x = dev_at(&o, i);

            if (x->dom == (int)dom && dev_healthy(&o, x) &&
                x->tt != DMAR_TT_PASSTHROUGH) {
                dv = x;
            }
        }
        g_assert(dv);
        g_assert_true(dmar_context_lookup(&o.hw, o.rta, dv->sid, &o.dmem,
                                          &ctx, &f));
        all.leaves = g_array_new(false, false, sizeof(DmarTranslation));
        st = walk_all(&all, &ctx, 0, UINT64_MAX, UINT64_MAX);
        faults += st == DMAR_WALK_FAULT;
        g_assert_cmpint(st, !=, DMAR_WALK_STOPPED);
        check_walk_leaves(&o, d, dv->sid, all.leaves);
        check_walk_complete(&o, d, dom, dv->sid, all.leaves, &granted_n);
        walked += all.leaves->len;
        {
            /* Tables read in place (dmar_mem_map): the same leaves */
            DmarMem mapped = { &fake_mem_map_ops, &o.mem };
            WalkRun view = { .o = &o, .mem = &mapped };
            unsigned maps = o.mem.maps;

            view.leaves = g_array_new(false, false, sizeof(DmarTranslation));
            g_assert_cmpint(walk_all(&view, &ctx, 0, UINT64_MAX, UINT64_MAX),
                            ==, st);
            g_assert_cmpuint(view.leaves->len, ==, all.leaves->len);
            g_assert_cmpint(memcmp(view.leaves->data, all.leaves->data,
                                   all.leaves->len *
                                   sizeof(DmarTranslation)), ==, 0);
            g_assert_cmpuint(o.mem.maps, >, maps);
            g_array_free(view.leaves, true);
        }
        for (unsigned i = 0; i < all.leaves->len; i++) {
            narrowed += g_array_index(all.leaves, DmarTranslation,
                                      i).narrowed;
        }

        /* Cut by the budget (at least the depth) or by the callback. */
        for (unsigned k = 0; k < 2; k++) {
            cut.leaves = g_array_new(false, false, sizeof(DmarTranslation));
            cut.stop_every = k ? rnd_range(o.r, 1, 50) : 0;
            cut.calls = 0;
            walk_all(&cut, &ctx, 0, UINT64_MAX,
                     k ? UINT64_MAX : d->levels + rnd_below(o.r, 600));
            if (!same_leaves_in(all.leaves, cut.leaves, 0, UINT64_MAX)) {
                walk_mismatch(&o, "domain 0x%04x: a walk cut in pieces "
                              "gave %u leaves, not the %u of one walk",
                              d->did, cut.leaves->len, all.leaves->len);
            }
            g_array_free(cut.leaves, true);
        }
        /* Random ranges, near mappings of the domain. */
        for (unsigned k = 0; k < 16; k++) {
            const Mapping *m = map_at(&o, g_rand_int_range(o.r, 0,
                                                           o.maps->len));
            uint64_t first = m->iova + rnd_below(o.r, lvl_size(m->level));
            uint64_t last = first + (rnd64(o.r) >>
                                     g_rand_int_range(o.r, 24, 64));

            if (last < first) {
                last = UINT64_MAX;
            }
            cut.leaves = g_array_new(false, false, sizeof(DmarTranslation));
            cut.stop_every = 0;
            walk_all(&cut, &ctx, first, last,
                     chance(o.r, 50) ? UINT64_MAX :
                     d->levels + rnd_below(o.r, 100));
            if (!same_leaves_in(all.leaves, cut.leaves, first, last)) {
                walk_mismatch(&o, "domain 0x%04x: [0x%" PRIx64 ", 0x%"
                              PRIx64 "] walked otherwise than the whole",
                              d->did, first, last);
            }
            g_array_free(cut.leaves, true);
        }
        g_array_free(all.leaves, true);
    }
    g_test_message("%s: %u leaves walked (%u narrowed), %u mappings "
                   "granted, %u of %u domains with faulty entries",
                   tc->path, walked, narrowed, granted_n, faults,
                   tc->cfg->domains);
    if (o.mismatches) {
        g_test_message("%s: %u mismatches", tc->path, o.mismatches);
        g_test_fail();
    }
    g_assert_cmpuint(granted_n, >, o.maps->len / 2);
    g_assert_cmpuint(narrowed, >, 0);
    g_assert_cmpuint(faults, >, 0);
    oracle_destroy(&o);
}

/* ================ Scalable mode (dmar-sm.c) ================ */

/*
 * The same idea in scalable mode (VT-d §9.4-§9.9): a seeded generator
 * writes down address spaces of four kinds (first stage, second stage,
 * nested, pass-through), each with its domain-id and random mappings;
 * devices whose PASIDs (RID_PASID included) are bound to spaces through
 * the PASID directory and table; then damages PASID-directory entries,
 * PASID-table entries, first-stage and second-stage entries, and (nested)
 * the second-stage mappings of first-stage tables. Every probe (device,
 * PASID or none, address, read/write, supervisor, execute) is answered
 * from the intent and the damages alone, and the core (context lookup,
 * PASID, PASID-entry lookup, translate) must agree: the same page,
 * permissions and size, or the same fault reason and FPD. After each
 * probe, guest memory was written only at the first-stage entries of the
 * walk's path; after a success those have A set, the leaf D for a write,
 * nothing else changed.
 *
 * Where the specification leaves an order open (two permission faults of
 * one request, or a first-stage permission fault against a second-stage
 * fault of the nested output or an A/D update), the oracle accepts each
 * of them. Structural first-stage faults (P, reserved, access) come before
 * the permission checks, as in IA-32e paging; second-stage walks check as
 * they go, as in legacy mode.
 */

#define SM_NEST_OFF     0x1000000000ull     /* FS table GPA = HPA + this */
#define SM_GRAM         0x2000000000ull     /* nested outputs (GPAs) */
#define SM_GRAM_1G      8                   /* ... 8 GiB of them */
#define SM_DIR_BASE     0x300000000ull      /* PASID directories */
#define SM_DIR_SLOT     0x40000ull
#define SM_FS_P         R_FSPTE_P_MASK
#define SM_FS_RW        R_FSPTE_RW_MASK
#define SM_FS_US        R_FSPTE_US_MASK
#define SM_FS_A         R_FSPTE_A_MASK
#define SM_FS_D         R_FSPTE_D_MASK
#define SM_FS_PS        R_FSPTE_PS_MASK
#define SM_FS_XD        R_FSPTE_XD_MASK
#define SM_FS_ADDR      0x000ffffffffff000ull

typedef struct SmCfg {
    const char *name;
    uint8_t haw, sagaw;
    bool fs5;               /* CAP.FL5LP: 5-level first-stage spaces too */
    bool fs1gp;
    unsigned spaces, maps, devices;
} SmCfg;

typedef enum SmKind { SK_FS, SK_SS, SK_NESTED, SK_PT, SK_COUNT } SmKind;

static const char *const sk_names[SK_COUNT] = {
    "first-stage", "second-stage", "nested", "pass-through",
};

typedef enum SmDmg {
    SD_NONE, SD_NP, SD_RSVD, SD_DANGLING, SD_US, SD_RW, SD_XD, SD_CUT_R,
    SD_CUT_W, SD_BEYOND, SD_COUNT
} SmDmg;

static const char *const sd_names[SD_COUNT] = {
    "none", "not-present", "reserved", "dangling", "us-cut", "rw-cut",
    "xd-set", "r-cut", "w-cut", "beyond-ss-width",
};

typedef struct SmMap {
    uint64_t va, pa;
    uint8_t level;
    uint64_t bits;          /* FS: leaf flags; SS: permissions */
} SmMap;

/* An entry the builder wrote, and what the oracle expects it to hold. */
typedef struct SmEnt {
    uint64_t hpa;
    uint64_t next;          /* table entries: the table, as the entry has it */
    int map;                /* leaf: its mapping, else -1 */
    SmDmg dmg;
    uint64_t val;
} SmEnt;

typedef struct SmTree {
    bool fs;
    unsigned levels;
    uint64_t root;          /* as the PASID entry holds it */
    GHashTable *ents;       /* node_key -> SmEnt */
    GArray *maps;           /* of SmMap */
} SmTree;

typedef struct SmSpace {
    SmKind kind;
    uint16_t did;
    SmTree fs, ss;
    GHashTable *tblperm;    /* nested: FS table GPA -> SS perm + 1 */
    GArray *split4k;        /* nested: GPAs of 2 MiB mapped by 4 KiB SS */
    unsigned ss_probe_maps; /* SS kind: the maps to probe (all) */
} SmSpace;

typedef enum SmPDmg {
    SP_OK, SP_DIR_NP, SP_DIR_RSVD, SP_PE_NP, SP_PE_RSVD, SP_PE_INVALID,
    SP_PE_PTR, SP_COUNT
} SmPDmg;

static const char *const sp_names[SP_COUNT] = {
    "ok", "dir-not-present", "dir-reserved", "pe-not-present",
    "pe-reserved", "pe-invalid", "pe-table-unreadable",
};

typedef struct SmDir {
    uint64_t table;
    bool fpd;
    SmPDmg dmg;
} SmDir;

typedef struct SmBind {
    uint32_t pasid;
    int space;
    bool fpd, sre, ere, wpe;
    SmPDmg dmg;
    uint64_t qw[8];         /* as written */
} SmBind;

typedef struct SmDev {
    uint16_t sid;
    bool fpd;
    unsigned pdts;
    uint32_t rid_pasid;
    uint64_t dir;
    GHashTable *dirs;       /* dir index + 1 -> SmDir */
    GHashTable *binds;      /* pasid + 1 -> SmBind */
    GPtrArray *blist;       /* the SmBinds */
} SmDev;

typedef struct SmProbe {
    unsigned dev;
    uint32_t pasid;         /* DMAR_NO_PASID: RID_PASID */
    uint64_t va;
    bool w, priv, exec;
} SmProbe;

#define SM_MAX_FR 4

typedef struct SmOut {
    bool ok;
    DmarFaultReason fr[SM_MAX_FR];  /* any of these */
    unsigned nfr;
    bool fpd;
    uint64_t pa, mask;      /* pa: of the probed address */
    uint8_t perm;
    bool has_did;
    uint16_t did;
    SmSpace *sp;            /* FS path (A/D) */
    SmEnt *path[DMAR_MAX_LEVELS];
    unsigned npath;
    const char *rule;
} SmOut;

typedef struct SmOracle {
    const SmCfg *cfg;
    uint32_t seed;
    const char *path;
    GRand *r;
    DmarHwConfig hw;
    FakeMem mem;
    DmarMem dmem;
    uint64_t rta;
    SmSpace *sp;
    SmDev *dev;
    unsigned ndev;
    unsigned probes, ok, mismatches, by_fr[256], by_kind[SK_COUNT];
    unsigned cross, ad_checked;
    GArray *damaged;        /* of SmDamaged */
} SmOracle;

/* Where an entry was damaged, to probe under it. */
typedef struct SmDamaged {
    int space;
    uint64_t va;            /* first address the entry covers */
    uint8_t level;
    SmDmg kind;
} SmDamaged;

static uint64_t sm_bit_in(SmOracle *o, unsigned lo, unsigned hi)
{
    return 1ull << rnd_range(o->r, lo, hi);
}

static uint64_t sm_unbacked(SmOracle *o)
{
    return UNBACKED_BASE + rnd_below(o->r, UNBACKED_PAGES) * SZ_4K;
}

static SmEnt *sm_ent(const SmTree *t, unsigned level, uint64_t va)
{
    return g_hash_table_lookup(t->ents, node_key(level, va));
}

static SmMap *sm_map_at(const SmTree *t, int i)
{
    return &g_array_index(t->maps, SmMap, i);
}

static uint64_t sm_hpa(const SmSpace *sp, const SmTree *t, uint64_t a)
{
    return sp->kind == SK_NESTED && t->fs ? a - SM_NEST_OFF : a;
}

static bool sm_add_map(SmOracle *o, SmSpace *sp, SmTree *t, uint64_t va,
                       uint64_t pa, unsigned level, uint64_t bits);

/* A table for T: its HPA, or in a nested FS its GPA (mapped RW in SS). */
static uint64_t sm_alloc(SmOracle *o, SmSpace *sp, SmTree *t)
{
    uint64_t hpa = fake_alloc_table(&o->mem);

    if (sp->kind == SK_NESTED && t->fs) {
        g_assert_true(sm_add_map(o, sp, &sp->ss, hpa + SM_NEST_OFF, hpa, 1,
                                 DMAR_PERM_RW));
        return hpa + SM_NEST_OFF;
    }
    return hpa;
}

static void sm_tree_init(SmOracle *o, SmSpace *sp, SmTree *t, bool fs,
                         unsigned levels)
{
    t->fs = fs;
    t->levels = levels;
    t->ents = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                    g_free);
    t->maps = g_array_new(false, false, sizeof(SmMap));
    t->root = sm_alloc(o, sp, t);
}

static void sm_tree_destroy(SmTree *t)
{
    if (t->ents) {
        g_hash_table_destroy(t->ents);
        g_array_free(t->maps, true);
    }
}

/* Add VA -> PA (a page of LEVEL) to the intent and the tables. */
static bool sm_add_map(SmOracle *o, SmSpace *sp, SmTree *t, uint64_t va,
                       uint64_t pa, unsigned level, uint64_t bits)
{
    uint64_t table = t->root;
    SmMap m = { .va = va, .pa = pa, .level = level, .bits = bits };
    SmEnt *n;

    for (unsigned l = t->levels; l > level; l--) {
        n = sm_ent(t, l, va);
        if (n && n->map >= 0) {
            return false;
        }
    }
    if (sm_ent(t, level, va)) {
        return false;
    }
    for (unsigned l = t->levels; l > level; l--) {
        n = sm_ent(t, l, va);
        if (!n) {
            n = g_new0(SmEnt, 1);
            n->hpa = sm_hpa(sp, t, table) + lvl_index(l, va) * 8;
            n->map = -1;
            g_hash_table_insert(t->ents, node_key(l, va), n);
            n->next = sm_alloc(o, sp, t);
            n->val = t->fs ? n->next | SM_FS_P | SM_FS_RW | SM_FS_US |
                             (chance(o->r, 60) ? SM_FS_A : 0) :
                     make_slpte(n->next, DMAR_PERM_RW, false);
            fake_poke64(&o->mem, n->hpa, n->val);
        }
        table = n->next;
    }
    n = g_new0(SmEnt, 1);
    n->hpa = sm_hpa(sp, t, table) + lvl_index(level, va) * 8;
    n->map = t->maps->len;
    n->val = t->fs ? pa | bits | (level > 1 ? SM_FS_PS : 0) :
             make_slpte(pa, bits, level > 1);
    fake_poke64(&o->mem, n->hpa, n->val);
    g_hash_table_insert(t->ents, node_key(level, va), n);
    g_array_append_val(t->maps, m);
    return true;
}

static unsigned sm_pick_level(SmOracle *o)
{
    unsigned pick = g_rand_int_range(o->r, 0, 100);

    return pick < 70 ? 1 : pick < 92 ? 2 : 3;
}

/* FS leaf flags: P, and U/S, R/W, XD, A, D at random. */
static uint64_t sm_fs_bits(SmOracle *o)
{
    uint64_t b = SM_FS_P;

    if (chance(o->r, 15)) {
        b |= SM_FS_RW;          /* supervisor page: RW, no XD */
    } else {
        b |= SM_FS_US;
        b |= chance(o->r, 70) ? SM_FS_RW : 0;
        b |= chance(o->r, 25) ? SM_FS_XD : 0;
    }
    if (chance(o->r, 30)) {
        b |= SM_FS_A | (chance(o->r, 50) ? SM_FS_D : 0);
    }
    return b;
}

/* Nested: GRAM mapped by SS in 1 GiB, 2 MiB and 4 KiB pages, some not. */
static void sm_gen_gram(SmOracle *o, SmSpace *sp)
{
    static const uint8_t perms[] = {
        DMAR_PERM_RW, DMAR_PERM_RW, DMAR_PERM_RW, DMAR_PERM_RW,
        DMAR_PERM_RW, DMAR_PERM_RW, DMAR_PERM_RW, DMAR_PERM_RW,
        DMAR_PERM_R, DMAR_PERM_W,
    };

    sp->split4k = g_array_new(false, false, sizeof(uint64_t));
    for (unsigned g = 0; g < SM_GRAM_1G; g++) {
        uint64_t gpa = SM_GRAM + g * SZ_1G;
        uint64_t base = rnd_below(o->r, 1ull << 10) * SZ_1G;

        if (chance(o->r, 35)) {
            sm_add_map(o, sp, &sp->ss, gpa, base, 3,
                       perms[g_rand_int_range(o->r, 0, 10)]);
            continue;
        }
        for (unsigned j = 0; j < 512; j++) {
            uint64_t a = gpa + j * SZ_2M;

            if (chance(o->r, 1)) {
                g_array_append_val(sp->split4k, a);
                for (unsigned k = 0; k < 512; k++) {
                    if (!chance(o->r, 5)) {
                        sm_add_map(o, sp, &sp->ss, a + k * SZ_4K,
                                   base + j * SZ_2M + k * SZ_4K, 1,
                                   perms[g_rand_int_range(o->r, 0, 10)]);
                    }
                }
            } else if (!chance(o->r, 5)) {
                sm_add_map(o, sp, &sp->ss, a, base + j * SZ_2M, 2,
                           perms[g_rand_int_range(o->r, 0, 10)]);
            }
        }
    }
}

static void sm_gen_space(SmOracle *o, SmSpace *sp, SmKind kind, bool small)
{
    const SmCfg *c = o->cfg;
    unsigned ss_choices[3], n_ss = 0, attempts = 0;
    uint64_t region[4];
    unsigned fs_levels = c->fs5 && chance(o->r, 50) ? 5 : 4;
    unsigned fs_width = DMAR_LEVELS_TO_WIDTH(fs_levels);
    unsigned want = c->maps / c->spaces / (small ? 10 : 1);

    sp->kind = kind;
    for (unsigned l = 3; l <= 5; l++) {
        if (c->sagaw & (1u << DMAR_LEVELS_TO_AW(l))) {
            ss_choices[n_ss++] = l;
        }
    }
    if (kind == SK_SS || kind == SK_NESTED) {
        sm_tree_init(o, sp, &sp->ss, false,
                     ss_choices[g_rand_int_range(o->r, 0, n_ss)]);
    }
    if (kind == SK_FS || kind == SK_NESTED) {
        sm_tree_init(o, sp, &sp->fs, true, fs_levels);
        sp->tblperm = g_hash_table_new(g_direct_hash, g_direct_equal);
    }
    if (kind == SK_NESTED) {
        sm_gen_gram(o, sp);
    }
    if (kind == SK_PT) {
        return;
    }
    for (unsigned k = 0; k < 4; k++) {
        unsigned width = kind == SK_SS ?
                         DMAR_LEVELS_TO_WIDTH(sp->ss.levels) : fs_width - 1;

        region[k] = rnd_below(o->r, 1ull << (width - REGION_SHIFT))
                    << REGION_SHIFT;
    }
    for (unsigned i = 0; i < want; i++) {
        unsigned level = sm_pick_level(o);
        uint64_t size = lvl_size(level);
        uint64_t window = level == 1 ? SZ_16M : level == 2 ? SZ_8G :
                          1ull << REGION_SHIFT;
        uint64_t va = region[g_rand_int_range(o->r, 0, 4)] +
                      rnd_below(o->r, window / size) * size;
        uint64_t pa;

        g_assert_cmpuint(++attempts, <, 50 * want);
        if (level == 1) {
            va += rnd_below(o->r, 8) * SZ_1G;
        }
        if (kind == SK_NESTED) {
            pa = SM_GRAM + rnd_below(o->r, SM_GRAM_1G * SZ_1G / size) * size;
            if (level == 1 && sp->split4k->len && chance(o->r, 50)) {
                pa = g_array_index(sp->split4k, uint64_t,
                                   g_rand_int_range(o->r, 0,
                                                    sp->split4k->len)) +
                     rnd_below(o->r, 512) * SZ_4K;
            }
        } else {
            pa = rnd_below(o->r, (1ull << 40) / size) * size;
            if (chance(o->r, 3)) {
                pa = level == 1 ? DMAR_INTR_ADDR_FIRST - SZ_4K +
                                  rnd_below(o->r, 258) * SZ_4K :
                     DMAR_INTR_ADDR_FIRST & ~(size - 1);
            }
        }
        if (kind == SK_SS) {
            static const uint8_t perms[] = {
                DMAR_PERM_RW, DMAR_PERM_RW, DMAR_PERM_R, DMAR_PERM_W,
            };

            if (!sm_add_map(o, sp, &sp->ss, va, pa, level,
                            perms[g_rand_int_range(o->r, 0, 4)])) {
                i--;
            }
        } else if (!sm_add_map(o, sp, &sp->fs, va, pa, level,
                               sm_fs_bits(o))) {
            i--;
        }
    }
}

/* ---- Damage ---- */

static void sm_poke_ent(SmOracle *o, SmEnt *n, SmDmg k, uint64_t val)
{
    n->dmg = k;
    n->val = val;
    fake_poke64(&o->mem, n->hpa, val);
}

/* Damage one entry on the path of a random mapping of T; false: none fit */
static bool sm_damage_one(SmOracle *o, SmSpace *sp, SmTree *t, SmDmg k,
                          unsigned max_level)
{
    const SmMap *m = sm_map_at(t, g_rand_int_range(o->r, 0, t->maps->len));
    unsigned level = m->level;
    SmEnt *n;
    bool leaf;
    uint64_t v;

    if (sp->kind == SK_NESTED && !t->fs && m->va < SM_GRAM) {
        return false;           /* the SS mapping of an FS table */
    }
    if (level < t->levels && (k == SD_DANGLING || k == SD_US ||
                              k == SD_BEYOND ||
                              k == SD_RW || k == SD_XD || k == SD_CUT_R ||
                              k == SD_CUT_W || chance(o->r, 30))) {
        level++;
    }
    if (level + 1 < t->levels && chance(o->r, 10)) {
        level++;
    }
    if (level > max_level) {
        return false;
    }
    n = sm_ent(t, level, m->va);
    leaf = n->map >= 0;
    if (n->dmg != SD_NONE) {
        return false;
    }
    v = n->val;
    switch (k) {
    case SD_NP:
        v &= t->fs ? ~SM_FS_P : ~(uint64_t)DMAR_PERM_RW;
        if (chance(o->r, 50)) {
            v |= t->fs ? SM_FS_PS | (1ull << 51) : R_SLPTE_SNP_MASK;
        }
        break;
    case SD_RSVD:
        if (!t->fs) {
            if ((v & DMAR_PERM_RW) != DMAR_PERM_RW) {
                return false;
            }
            v |= R_SLPTE_SNP_MASK;
        } else if (o->cfg->haw < 52) {
            v |= sm_bit_in(o, o->cfg->haw, 51);
        } else if (level == t->levels) {
            v |= SM_FS_PS;
        } else if (leaf && level > 1) {
            v |= sm_bit_in(o, 13, lvl_shift(level) - 1);
        } else if (!leaf && level > 1 &&
                   (n->next & (lvl_size(level) - 1) & ~0x1fffull)) {
            v |= SM_FS_PS;      /* a misaligned large page */
        } else {
            return false;
        }
        break;
    case SD_DANGLING:
        if (leaf || (t->fs && sp->kind == SK_NESTED)) {
            return false;
        }
        v = t->fs ? (v & ~SM_FS_ADDR) | sm_unbacked(o) :
            FIELD_DP64(v, SLPTE, ADDR, sm_unbacked(o) >> DMAR_PAGE_SHIFT);
        break;
    case SD_US:
    case SD_RW:
    case SD_XD:
        if (leaf) {
            return false;
        }
        v = k == SD_US ? v & ~SM_FS_US : k == SD_RW ? v & ~SM_FS_RW :
            v | SM_FS_XD;
        break;
    case SD_BEYOND:
        /* nested: a FS table beyond the second stage's width */
        if (leaf || !t->fs || sp->kind != SK_NESTED ||
            DMAR_LEVELS_TO_WIDTH(sp->ss.levels) >= o->cfg->haw) {
            return false;
        }
        v |= sm_bit_in(o, DMAR_LEVELS_TO_WIDTH(sp->ss.levels),
                       o->cfg->haw - 1);
        break;
    case SD_CUT_R:
    case SD_CUT_W:
        if (leaf) {
            return false;
        }
        v &= ~(uint64_t)(k == SD_CUT_R ? DMAR_PERM_R : DMAR_PERM_W);
        break;
    default:
        g_assert_not_reached();
    }
    sm_poke_ent(o, n, k, v);
    {
        SmDamaged dd = {
            .space = sp - o->sp, .va = m->va & ~(lvl_size(level) - 1),
            .level = level, .kind = k,
        };

        if (sp->kind != SK_NESTED || t->fs) {
            g_array_append_val(o->damaged, dd);
        }
    }
    return true;
}

static void sm_damage_tree(SmOracle *o, SmSpace *sp, SmTree *t,
                           const SmDmg *kinds, unsigned n_kinds,
                           unsigned count, unsigned max_level)
{
    unsigned done = 0;

    for (unsigned a = 0; a < 200 * count && done < count; a++) {
        done += sm_damage_one(o, sp, t, kinds[done % n_kinds], max_level);
    }
}

/* Nested: the SS mapping of a random FS table loses R or W. */
static void sm_damage_tblperm(SmOracle *o, SmSpace *sp, bool root)
{
    GList *vals = g_hash_table_get_values(sp->fs.ents);
    GPtrArray *tables = g_ptr_array_new();
    uint64_t gpa = sp->fs.root;
    uint8_t perm = root || chance(o->r, 50) ? DMAR_PERM_W : DMAR_PERM_R;
    SmEnt *s;

    for (GList *l = vals; l; l = l->next) {
        if (((SmEnt *)l->data)->map < 0) {
            g_ptr_array_add(tables, l->data);
        }
    }
    if (!root && tables->len) {
        gpa = ((SmEnt *)g_ptr_array_index(
                   tables, g_rand_int_range(o->r, 0, tables->len)))->next;
    }
    g_ptr_array_free(tables, true);
    g_list_free(vals);
    if (g_hash_table_contains(sp->tblperm, (gpointer)(uintptr_t)gpa)) {
        return;
    }
    s = sm_ent(&sp->ss, 1, gpa);
    g_assert_nonnull(s);
    sm_poke_ent(o, s, perm == DMAR_PERM_R ? SD_CUT_W : SD_CUT_R,
                make_slpte(gpa - SM_NEST_OFF, perm, false));
    g_hash_table_insert(sp->tblperm, (gpointer)(uintptr_t)gpa,
                        GUINT_TO_POINTER(perm + 1));
}

static uint8_t sm_tblperm(const SmSpace *sp, uint64_t gpa)
{
    unsigned v = GPOINTER_TO_UINT(g_hash_table_lookup(sp->tblperm,
                                                      (gpointer)(uintptr_t)
                                                      gpa));

    return v ? v - 1 : DMAR_PERM_RW;
}

/* ---- Devices, the PASID directory and table ---- */

static void sm_write_bind(SmOracle *o, SmDev *d, SmBind *b)
{
    uint32_t di = b->pasid >> 6;
    SmDir *dir = g_hash_table_lookup(d->dirs, GUINT_TO_POINTER(di + 1));
    const SmSpace *sp = &o->sp[b->space];
    static const unsigned pgtt[SK_COUNT] = {
        [SK_FS] = DMAR_PGTT_FS, [SK_SS] = DMAR_PGTT_SS,
        [SK_NESTED] = DMAR_PGTT_NESTED, [SK_PT] = DMAR_PGTT_PT,
    };
    uint64_t *q = b->qw;

    if (!dir) {
        dir = g_new0(SmDir, 1);
        dir->table = fake_alloc_table(&o->mem);
        dir->fpd = chance(o->r, 15);
        g_hash_table_insert(d->dirs, GUINT_TO_POINTER(di + 1), dir);
        fake_poke64(&o->mem, d->dir + di * 8, dir->table | 1 |
                    (dir->fpd ? R_PASID_DIR_FPD_MASK : 0));
    }
    memset(b->qw, 0, sizeof(b->qw));
    q[0] = FIELD_DP64(0, PASID0, P, 1);
    q[0] = FIELD_DP64(q[0], PASID0, FPD, b->fpd);
    q[0] = FIELD_DP64(q[0], PASID0, PGTT, pgtt[sp->kind]);
    if (sp->ss.ents) {
        q[0] = FIELD_DP64(q[0], PASID0, AW, DMAR_LEVELS_TO_AW(sp->ss.levels));
        q[0] = FIELD_DP64(q[0], PASID0, SSPTPTR, sp->ss.root >> 12);
    }
    q[1] = FIELD_DP64(0, PASID1, DID, sp->did);
    q[1] |= chance(o->r, 20) ? R_PASID1_PWSNP_MASK : 0;
    q[2] = FIELD_DP64(0, PASID2, SRE, b->sre);
    q[2] = FIELD_DP64(q[2], PASID2, ERE, b->ere);
    q[2] = FIELD_DP64(q[2], PASID2, WPE, b->wpe);
    if (sp->fs.ents) {
        q[2] = FIELD_DP64(q[2], PASID2, FSPM, sp->fs.levels == 5);
        q[2] = FIELD_DP64(q[2], PASID2, FSPTPTR, sp->fs.root >> 12);
    }
    switch (b->dmg) {
    case SP_PE_NP:
        q[0] &= ~R_PASID0_P_MASK;
        q[chance(o->r, 50) ? 3 : 0] |= 1ull << 10;
        break;
    case SP_PE_RSVD: {
        static const struct { uint8_t qw, lo, hi; } rsvd[] = {
            { 0, 5, 5 }, { 0, 9, 11 }, { 1, 16, 22 }, { 1, 25, 63 },
            { 2, 5, 11 }, { 3, 0, 63 }, { 4, 0, 63 }, { 5, 0, 63 },
            { 6, 0, 63 }, { 7, 0, 63 },
        };
        unsigned i = g_rand_int_range(o->r, 0, ARRAY_SIZE(rsvd));

        q[rsvd[i].qw] |= sm_bit_in(o, rsvd[i].lo, rsvd[i].hi);
        break;
    }
    case SP_PE_PTR:
        if (sp->kind == SK_SS) {
            q[0] = FIELD_DP64(q[0], PASID0, SSPTPTR, sm_unbacked(o) >> 12);
        } else {
            g_assert_true(sp->kind == SK_FS);
            q[2] = FIELD_DP64(q[2], PASID2, FSPTPTR, sm_unbacked(o) >> 12);
        }
        break;
    case SP_PE_INVALID: {
        static const uint8_t bad[] = { 0, 5, 6, 7 };

        q[0] = FIELD_DP64(q[0], PASID0, PGTT,
                          bad[g_rand_int_range(o->r, 0, 4)]);
        break;
    }
    default:
        break;
    }
    for (unsigned i = 0; i < 8; i++) {
        fake_poke64(&o->mem, dir->table + (b->pasid & 63) * 64 + i * 8,
                    q[i]);
    }
}

static SmBind *sm_bind(SmOracle *o, SmDev *d, uint32_t pasid, int space,
                       SmPDmg dmg)
{
    SmBind *b;

    if (g_hash_table_contains(d->binds, GUINT_TO_POINTER(pasid + 1))) {
        return NULL;
    }
    b = g_new0(SmBind, 1);
    *b = (SmBind) {
        .pasid = pasid, .space = space, .fpd = chance(o->r, 15),
        .sre = chance(o->r, 80), .ere = chance(o->r, 80),
        .wpe = chance(o->r, 50), .dmg = dmg,
    };
    g_hash_table_insert(d->binds, GUINT_TO_POINTER(pasid + 1), b);
    g_ptr_array_add(d->blist, b);
    sm_write_bind(o, d, b);
    return b;
}

static uint32_t sm_rnd_pasid(SmOracle *o, const SmDev *d)
{
    return rnd_below(o->r, 64ull << (d->pdts + 7)) & (DMAR_PASID_LIMIT - 1);
}

static void sm_gen_devices(SmOracle *o)
{
    o->ndev = o->cfg->devices;
    o->dev = g_new0(SmDev, o->ndev);
    for (unsigned i = 0; i < o->ndev; i++) {
        SmDev *d = &o->dev[i];
        uint64_t ctx_gpa, ctp;
        bool unique;
        unsigned up;

        do {
            d->sid = g_rand_int_range(o->r, 0, 0x10000);
            unique = true;
            for (unsigned j = 0; j < i; j++) {
                unique &= o->dev[j].sid != d->sid;
            }
        } while (!unique);
        d->fpd = chance(o->r, 20);
        d->pdts = rnd_range(o->r, 0, 7);
        d->dir = SM_DIR_BASE + i * SM_DIR_SLOT;
        fake_back(&o->mem, d->dir, 8ull << (d->pdts + 7));
        d->dirs = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                        NULL, g_free);
        d->binds = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                         NULL, g_free);
        d->blist = g_ptr_array_new();
        d->rid_pasid = chance(o->r, 50) ? 0 : sm_rnd_pasid(o, d);
        if (i == o->ndev - 1 && d->pdts < 7) {
            /* RID_PASID beyond the directory (48h): left unbound */
            d->rid_pasid = (64u << (d->pdts + 7)) + rnd_below(o->r, 64);
        }
        /* the root and context entries (§9.2, §9.4): always healthy */
        up = (d->sid & 0xff) >= 128;
        ctp = fake_peek64(&o->mem, o->rta + (d->sid >> 8) * 16 + up * 8) &
              ~0xfffull;
        if (!ctp) {
            ctp = fake_alloc_table(&o->mem);
            fake_poke64(&o->mem, o->rta + (d->sid >> 8) * 16 + up * 8,
                        ctp | 1);
        }
        ctx_gpa = ctp + (d->sid & 0x7f) * 32;
        fake_poke64(&o->mem, ctx_gpa,
                    FIELD_DP64(FIELD_DP64(FIELD_DP64(FIELD_DP64(
                        d->dir, SM_CTX0, PDTS, d->pdts), SM_CTX0, PASIDE, 1),
                        SM_CTX0, FPD, d->fpd), SM_CTX0, P, 1));
        fake_poke64(&o->mem, ctx_gpa + 8,
                    FIELD_DP64(0, SM_CTX1, RID_PASID, d->rid_pasid));
        /* RID_PASID, and PASIDs bound to random spaces */
        if ((d->rid_pasid >> 6) < (1u << (d->pdts + 7))) {
            sm_bind(o, d, d->rid_pasid, (i * 7) % o->cfg->spaces, SP_OK);
        }
        for (unsigned k = 0; k < 6; k++) {
            uint32_t pasid = sm_rnd_pasid(o, d);

            if (k & 1 && d->blist->len) {
                /* next to another one: same directory entry */
                pasid = (((SmBind *)g_ptr_array_index(d->blist, 0))->pasid &
                         ~63u) | rnd_below(o->r, 64);
            }
            /* every space is bound somewhere */
            sm_bind(o, d, pasid, (i * 7 + k + 1) % o->cfg->spaces, SP_OK);
        }
        /* damaged PASID entries */
        for (unsigned k = SP_PE_NP; k <= SP_PE_PTR; k++) {
            /* an unreadable table: of space 0 (FS) or 1 (SS) */
            sm_bind(o, d, sm_rnd_pasid(o, d), k == SP_PE_PTR ? i & 1 :
                    g_rand_int_range(o->r, 0, o->cfg->spaces), k);
        }
    }
    /* damaged directory entries: fresh ones, two PASIDs bound under each */
    for (unsigned i = 0; i < o->ndev; i++) {
        SmDev *d = &o->dev[i];

        for (unsigned k = SP_DIR_NP; k <= SP_DIR_RSVD; k++) {
            uint32_t pasid = sm_rnd_pasid(o, d);
            SmDir *dir;
            uint64_t v;

            if (g_hash_table_contains(d->dirs,
                                      GUINT_TO_POINTER((pasid >> 6) + 1))) {
                continue;
            }
            sm_bind(o, d, pasid, g_rand_int_range(o->r, 0, o->cfg->spaces),
                    k);
            sm_bind(o, d, pasid ^ 1, g_rand_int_range(o->r, 0,
                                                      o->cfg->spaces), k);
            dir = g_hash_table_lookup(d->dirs,
                                      GUINT_TO_POINTER((pasid >> 6) + 1));
            dir->dmg = k;
            v = fake_peek64(&o->mem, d->dir + (pasid >> 6) * 8);
            v = k == SP_DIR_NP ? (v & ~1ull) | (chance(o->r, 50) ? 0xf00 : 0) :
                v | (chance(o->r, 50) ? sm_bit_in(o, 2, 11) :
                     sm_bit_in(o, o->cfg->haw, 63));
            fake_poke64(&o->mem, d->dir + (pasid >> 6) * 8, v);
        }
    }
}

/* ---- The oracle ---- */

static void sm_fault(SmOut *e, DmarFaultReason fr, const char *rule)
{
    if (e->ok || !e->nfr) {
        e->ok = false;
        e->nfr = 0;
        e->rule = rule;
    }
    for (unsigned i = 0; i < e->nfr; i++) {
        if (e->fr[i] == fr) {
            return;
        }
    }
    g_assert_cmpuint(e->nfr, <, SM_MAX_FR);
    e->fr[e->nfr++] = fr;
}

/* The second-stage walk (§9.8, scalable-mode reasons). */
static bool sm_ss_expect(SmOracle *o, const SmTree *t, uint64_t a, bool w,
                         uint64_t *pa, uint64_t *mask, uint8_t *perm_out,
                         DmarFaultReason *fr)
{
    uint8_t perm = DMAR_PERM_RW, need = w ? DMAR_PERM_W : DMAR_PERM_R;

    if (a >> DMAR_LEVELS_TO_WIDTH(t->levels)) {
        *fr = DMAR_FR_SM_BEYOND;
        return false;
    }
    for (unsigned l = t->levels; l >= 1; l--) {
        const SmEnt *n = sm_ent(t, l, a);

        if (!n || n->dmg == SD_NP) {
            *fr = DMAR_FR_SS_NOT_PRESENT;
            return false;
        }
        perm &= n->val & DMAR_PERM_RW;
        if (!(perm & need)) {
            *fr = w ? DMAR_FR_SM_WRITE : DMAR_FR_SM_READ;
            return false;
        }
        if (n->dmg == SD_RSVD) {
            *fr = DMAR_FR_SS_RSVD;
            return false;
        }
        if (n->map >= 0) {
            const SmMap *m = sm_map_at(t, n->map);

            *mask = lvl_size(m->level) - 1;
            *pa = m->pa + (a & *mask);
            *perm_out = perm;
            return true;
        }
        if (n->dmg == SD_DANGLING) {
            *fr = DMAR_FR_SS_ACCESS;
            return false;
        }
    }
    g_assert_not_reached();
}

/* The first-stage walk (§3.6, §9.7), nested if the space is. */
static void sm_fs_expect(SmOracle *o, SmSpace *sp, const SmProbe *p,
                         const SmBind *b, SmOut *e)
{
    const SmTree *t = &sp->fs;
    unsigned width = DMAR_LEVELS_TO_WIDTH(t->levels);
    uint64_t hi = p->va >> (width - 1);
    uint64_t table = t->root;
    bool us = true, rw = true, xd = false, user = !p->priv, writable;
    const SmEnt *leaf = NULL;
    const SmMap *m;
    uint64_t pa, mask;

    if (hi && hi != UINT64_MAX >> (width - 1)) {
        sm_fault(e, DMAR_FR_SM_NON_CANONICAL, "not canonical");
        return;
    }
    e->sp = sp;
    for (unsigned l = t->levels; l >= 1; l--) {
        SmEnt *n;

        if (sp->kind == SK_NESTED &&
            table >> DMAR_LEVELS_TO_WIDTH(sp->ss.levels)) {
            sm_fault(e, DMAR_FR_NESTED_BEYOND, "FS table beyond the SS");
            return;
        }
        if (sp->kind == SK_NESTED &&
            !(sm_tblperm(sp, table) & DMAR_PERM_R)) {
            sm_fault(e, l == t->levels ? DMAR_FR_NESTED_TOP_READ :
                     DMAR_FR_NESTED_READ, "SS: FS table not readable");
            return;
        }
        n = sm_ent(t, l, p->va);
        if (!n || n->dmg == SD_NP) {
            sm_fault(e, DMAR_FR_FS_NOT_PRESENT, "FS entry not present");
            return;
        }
        e->path[e->npath++] = n;
        if (n->dmg == SD_RSVD ||
            (n->map >= 0 && l == 3 && !o->hw.fs1gp)) {
            sm_fault(e, DMAR_FR_FS_RSVD, "FS reserved bit");
            return;
        }
        us &= !!(n->val & SM_FS_US);
        rw &= !!(n->val & SM_FS_RW);
        xd |= !!(n->val & SM_FS_XD);
        if (n->map >= 0) {
            leaf = n;
            break;
        }
        if (n->dmg == SD_DANGLING) {
            sm_fault(e, DMAR_FR_FS_ACCESS, "FS table unreadable");
            return;
        }
        table = n->next;
    }
    g_assert_nonnull(leaf);
    m = sm_map_at(t, leaf->map);
    if (user && !us) {
        sm_fault(e, DMAR_FR_SM_USER, "user request, supervisor page");
    }
    if (p->w && (user || b->wpe) && !rw) {
        sm_fault(e, DMAR_FR_SM_WRITE, "FS write not allowed");
    }
    if (p->exec && xd) {
        sm_fault(e, DMAR_FR_SM_EXEC, "FS execute disabled");
    }
    writable = (user || b->wpe) ? rw : true;
    mask = lvl_size(m->level) - 1;
    pa = m->pa + (p->va & mask);
    e->perm = DMAR_PERM_R |
              (writable && ((leaf->val & SM_FS_D) || p->w) ? DMAR_PERM_W : 0);
    if (sp->kind == SK_NESTED) {
        uint64_t hpa, smask;
        uint8_t sperm;
        DmarFaultReason fr;
        uint64_t tbl = t->root;

        if (!sm_ss_expect(o, &sp->ss, pa, p->w, &hpa, &smask, &sperm, &fr)) {
            sm_fault(e, fr, "SS: the output");
        } else {
            pa = hpa;
            mask = MIN(mask, smask);
            e->perm &= sperm;
        }
        /* A/D updates need W in the SS mapping of the entry's table */
        for (unsigned i = 0; i < e->npath; i++) {
            const SmEnt *n = e->path[i];
            bool upd = !(n->val & SM_FS_A) ||
                       (n == leaf && p->w && !(n->val & SM_FS_D));

            if (upd && !(sm_tblperm(sp, tbl) & DMAR_PERM_W)) {
                sm_fault(e, DMAR_FR_NESTED_WRITE, "SS: A/D not writable");
            }
            tbl = n->next;
        }
    }
    if (e->nfr) {
        return;
    }
    if (pa >= DMAR_INTR_ADDR_FIRST && pa <= DMAR_INTR_ADDR_LAST) {
        sm_fault(e, DMAR_FR_SM_INTR_ADDR, "into the interrupt range");
        return;
    }
    if ((pa & ~mask) <= DMAR_INTR_ADDR_LAST &&
        (pa | mask) >= DMAR_INTR_ADDR_FIRST) {
        mask = SZ_4K - 1;
    }
    e->ok = true;
    e->pa = pa;
    e->mask = mask;
    e->rule = "first stage";
}

static void sm_expect(SmOracle *o, const SmProbe *p, SmOut *e)
{
    SmDev *d = &o->dev[p->dev];
    uint32_t pasid = p->pasid == DMAR_NO_PASID ? d->rid_pasid : p->pasid;
    SmDir *dir;
    SmBind *b;
    SmSpace *sp;

    memset(e, 0, sizeof(*e));
    e->fpd = d->fpd;
    if ((pasid >> 6) >= (1u << (d->pdts + 7))) {
        sm_fault(e, p->pasid == DMAR_NO_PASID ? DMAR_FR_SM_RID_PASID :
                 DMAR_FR_SM_PASID_BEYOND, "PASID beyond the directory");
        return;
    }
    dir = g_hash_table_lookup(d->dirs, GUINT_TO_POINTER((pasid >> 6) + 1));
    if (!dir) {
        sm_fault(e, DMAR_FR_PASID_DIR_NOT_PRESENT, "no directory entry");
        return;
    }
    e->fpd |= dir->fpd;
    if (dir->dmg == SP_DIR_NP) {
        sm_fault(e, DMAR_FR_PASID_DIR_NOT_PRESENT, "damage: dir P = 0");
        return;
    }
    if (dir->dmg == SP_DIR_RSVD) {
        sm_fault(e, DMAR_FR_PASID_DIR_RSVD, "damage: dir reserved bit");
        return;
    }
    b = g_hash_table_lookup(d->binds, GUINT_TO_POINTER(pasid + 1));
    if (!b) {
        sm_fault(e, DMAR_FR_PASID_NOT_PRESENT, "no PASID entry");
        return;
    }
    e->fpd |= b->fpd;
    switch (b->dmg) {
    case SP_PE_NP:
        sm_fault(e, DMAR_FR_PASID_NOT_PRESENT, "damage: PASID entry P = 0");
        return;
    case SP_PE_RSVD:
        sm_fault(e, DMAR_FR_PASID_RSVD, "damage: PASID entry reserved");
        return;
    case SP_PE_INVALID:
        sm_fault(e, DMAR_FR_PASID_INVALID, "damage: PGTT reserved");
        return;
    default:
        break;
    }
    sp = &o->sp[b->space];
    e->has_did = true;
    e->did = sp->did;
    if (p->exec && !b->ere) {
        sm_fault(e, DMAR_FR_PASID_ERE, "execute request, ERE = 0");
        return;
    }
    if (p->priv && !b->sre) {
        sm_fault(e, DMAR_FR_PASID_SRE, "supervisor request, SRE = 0");
        return;
    }
    if (b->dmg == SP_PE_PTR) {
        unsigned width = sp->kind == SK_SS ?
                         DMAR_LEVELS_TO_WIDTH(sp->ss.levels) :
                         DMAR_LEVELS_TO_WIDTH(sp->fs.levels);
        uint64_t hi = p->va >> (width - 1);

        if (sp->kind == SK_SS) {
            sm_fault(e, p->va >> width ? DMAR_FR_SM_BEYOND :
                     DMAR_FR_SS_PTR_ACCESS, "damage: SSPTPTR unreadable");
        } else {
            sm_fault(e, hi && hi != UINT64_MAX >> (width - 1) ?
                     DMAR_FR_SM_NON_CANONICAL : DMAR_FR_FS_PTR_ACCESS,
                     "damage: FSPTPTR unreadable");
        }
        return;
    }
    switch (sp->kind) {
    case SK_PT:
        if (p->va >> o->cfg->haw) {
            sm_fault(e, DMAR_FR_SM_BEYOND, "pass-through beyond aw-bits");
            return;
        }
        e->ok = true;
        e->pa = p->va;
        e->mask = SZ_4K - 1;
        e->perm = DMAR_PERM_RW;
        e->rule = "pass-through";
        break;
    case SK_SS: {
        DmarFaultReason fr;

        if (!sm_ss_expect(o, &sp->ss, p->va, p->w, &e->pa, &e->mask,
                          &e->perm, &fr)) {
            sm_fault(e, fr, "second stage");
            return;
        }
        if (e->pa >= DMAR_INTR_ADDR_FIRST && e->pa <= DMAR_INTR_ADDR_LAST) {
            sm_fault(e, DMAR_FR_SM_INTR_ADDR, "into the interrupt range");
            return;
        }
        if ((e->pa & ~e->mask) <= DMAR_INTR_ADDR_LAST &&
            (e->pa | e->mask) >= DMAR_INTR_ADDR_FIRST) {
            e->mask = SZ_4K - 1;
        }
        e->ok = true;
        e->rule = "second stage";
        break;
    }
    default:
        sm_fs_expect(o, sp, p, b, e);
        break;
    }
}

/* ---- Asking the core, and comparing ---- */

typedef struct SmCore {
    bool ok;
    int stage;              /* 1 ctx, 2 pasid_of, 3 PASID entry, 4 walk */
    DmarFault f;
    DmarTranslation tr;
    DmarPasidEntry pe;
} SmCore;

static void sm_ask(SmOracle *o, const SmProbe *p, SmCore *a)
{
    DmarRequest req = {
        .addr = p->va, .sid = o->dev[p->dev].sid, .pasid = p->pasid,
        .type = DMAR_REQ_UNTRANSLATED, .is_write = p->w, .priv = p->priv,
        .exec = p->exec,
    };
    DmarContext ctx;
    uint32_t pasid;

    memset(a, 0, sizeof(*a));
    a->stage = 1;
    if (!dmar_sm_context_lookup(&o->hw, o->rta, req.sid, &o->dmem, &ctx,
                                &a->f)) {
        return;
    }
    a->stage = 2;
    if (!dmar_sm_pasid_of(&o->hw, &ctx, &req, &pasid, &a->f)) {
        return;
    }
    a->stage = 3;
    if (!dmar_pasid_lookup(&o->hw, &ctx, pasid, &o->dmem, &a->pe, &a->f)) {
        return;
    }
    a->stage = 4;
    a->ok = dmar_sm_translate(&o->hw, &ctx, &a->pe, &req, &o->dmem, &a->tr,
                              &a->f);
}

static const char *sm_agree(const SmOut *e, const SmCore *a,
                            const SmProbe *p)
{
    if (e->ok != a->ok) {
        return e->ok ? "the core faulted" : "the core translated";
    }
    if (e->has_did && a->stage == 4 && a->pe.did != e->did) {
        return "other domain-id";
    }
    if (e->ok) {
        if (a->tr.pa + (p->va & a->tr.mask) != e->pa ||
            a->tr.mask != e->mask || a->tr.perm != e->perm ||
            a->tr.iova != (p->va & ~a->tr.mask)) {
            return "other page";
        }
        return NULL;
    }
    for (unsigned i = 0; i < e->nfr; i++) {
        if (a->f.fr == e->fr[i]) {
            if (a->f.fpd != e->fpd) {
                return "FPD";
            }
            if (a->stage == 4 &&
                (a->f.addr != p->va || a->f.is_write != p->w ||
                 a->f.pasid_valid != (p->pasid != DMAR_NO_PASID) ||
                 (a->f.pasid_valid && a->f.pasid != p->pasid))) {
                return "fault record fields";
            }
            return NULL;
        }
    }
    return "other fault reason";
}

/*
 * A/D (§3.6.2): writes only to the FS entries of the path; after a
 * success, A on each of them, D on the leaf for a write, nothing else.
 */
static const char *sm_check_ad(SmOracle *o, const SmOut *e, const SmCore *a,
                               const SmProbe *p)
{
    FakeMem *m = &o->mem;

    for (unsigned i = 0; i < m->writes->len; i++) {
        const FakeMemWrite *wr = &g_array_index(m->writes, FakeMemWrite, i);
        bool on = false;

        for (unsigned j = 0; j < e->npath; j++) {
            on |= wr->gpa == e->path[j]->hpa && wr->len == 8;
        }
        if (!on) {
            return "a write off the walk's path";
        }
    }
    for (unsigned j = 0; j < e->npath; j++) {
        SmEnt *n = e->path[j];
        uint64_t now = fake_peek64(m, n->hpa);
        uint64_t want = n->val | SM_FS_A |
                        (j == e->npath - 1 && p->w ? SM_FS_D : 0);

        if (e->ok && a->ok && now != want) {
            return "A/D not as the walk used the entries";
        }
        n->val = now;
    }
    o->ad_checked += e->ok && a->ok;
    return NULL;
}

static char *sm_out_str(const SmOut *e)
{
    GString *s = g_string_new(NULL);

    if (e->ok) {
        g_string_append_printf(s, "ok: pa 0x%" PRIx64 " mask 0x%" PRIx64
                               " perm %s", e->pa, e->mask,
                               perm_names[e->perm & 3]);
    } else {
        g_string_append(s, "fault");
        for (unsigned i = 0; i < e->nfr; i++) {
            g_string_append_printf(s, "%s0x%x", i ? " or " : " ", e->fr[i]);
        }
        g_string_append_printf(s, " fpd %u", e->fpd);
    }
    g_string_append_printf(s, " (%s)", e->rule ? e->rule : "?");
    return g_string_free(s, false);
}

static void sm_probe(SmOracle *o, const SmProbe *p, const char *what)
{
    SmOut e;
    SmCore a;
    const char *bad;

    sm_expect(o, p, &e);
    g_array_set_size(o->mem.writes, 0);
    sm_ask(o, p, &a);
    bad = sm_agree(&e, &a, p);
    if (!bad && e.sp) {
        bad = sm_check_ad(o, &e, &a, p);
    } else if (!bad && o->mem.writes->len) {
        bad = "guest memory written";
    }
    o->probes++;
    o->ok += e.ok;
    if (!e.ok) {
        o->by_fr[e.fr[0] & 0xff]++;
    }
    if (bad && ++o->mismatches <= MAX_MISMATCH_LOG) {
        const SmDev *d = &o->dev[p->dev];
        g_autofree char *es = sm_out_str(&e);

        g_test_message("MISMATCH %s (seed %u): %s: sid 0x%04x pasid 0x%x "
                       "(rid_pasid 0x%x, pdts %u) va 0x%" PRIx64 " %s%s%s "
                       "(%s probe)", o->path, o->seed, bad, d->sid,
                       p->pasid, d->rid_pasid, d->pdts, p->va,
                       p->w ? "write" : "read", p->priv ? " priv" : "",
                       p->exec ? " exec" : "", what);
        g_test_message("  expected %s", es);
        if (a.ok) {
            g_test_message("  core     ok: pa 0x%" PRIx64 " (page 0x%" PRIx64
                           " mask 0x%" PRIx64 ") perm %s, did 0x%x",
                           a.tr.pa + (p->va & a.tr.mask), a.tr.pa,
                           a.tr.mask, perm_names[a.tr.perm & 3], a.pe.did);
        } else {
            g_test_message("  core     fault 0x%x fpd %u level %u at step %d",
                           a.f.fr, a.f.fpd, a.f.level, a.stage);
        }
        {
            uint32_t pasid = p->pasid == DMAR_NO_PASID ? d->rid_pasid :
                             p->pasid;
            const SmBind *b = g_hash_table_lookup(d->binds,
                                                  GUINT_TO_POINTER(pasid +
                                                                   1));
            const SmDir *dir = g_hash_table_lookup(
                d->dirs, GUINT_TO_POINTER((pasid >> 6) + 1));

            g_test_message("  directory entry %s, PASID entry %s, space %d "
                           "(%s)", dir ? sp_names[dir->dmg] : "absent",
                           b ? sp_names[b->dmg] : "absent",
                           b ? b->space : -1,
                           b ? sk_names[o->sp[b->space].kind] : "-");
        }
        for (unsigned j = 0; j < e.npath; j++) {
            g_test_message("  path[%u] at 0x%" PRIx64 ": 0x%016" PRIx64
                           " (damage %s)", j, e.path[j]->hpa,
                           e.path[j]->val, sd_names[e.path[j]->dmg]);
        }
    }
}

/* ---- Probe sets ---- */

/* A random binding of space S (or any, S < 0); healthy mostly. */
static bool sm_pick_bind(SmOracle *o, int s, unsigned *dev, SmBind **bind)
{
    unsigned n = 0, pick;
    bool healthy = chance(o->r, 90);

    for (int pass = 0; pass < 2 && !n; pass++) {
        for (unsigned i = 0; i < o->ndev; i++) {
            for (unsigned j = 0; j < o->dev[i].blist->len; j++) {
                SmBind *b = g_ptr_array_index(o->dev[i].blist, j);

                n += (s < 0 || b->space == s) && (!healthy || !b->dmg);
            }
        }
        if (!n) {
            healthy = false;
        }
    }
    if (!n) {
        return false;
    }
    pick = g_rand_int_range(o->r, 0, n);
    for (unsigned i = 0; i < o->ndev; i++) {
        for (unsigned j = 0; j < o->dev[i].blist->len; j++) {
            SmBind *b = g_ptr_array_index(o->dev[i].blist, j);

            if ((s < 0 || b->space == s) && (!healthy || !b->dmg) &&
                pick-- == 0) {
                *dev = i;
                *bind = b;
                return true;
            }
        }
    }
    g_assert_not_reached();
}

static SmProbe sm_make_probe(SmOracle *o, unsigned dev, const SmBind *b,
                             uint64_t va)
{
    const SmDev *d = &o->dev[dev];
    SmKind kind = o->sp[b->space].kind;
    SmProbe p = { .dev = dev, .va = va, .w = g_rand_boolean(o->r) };

    /* RID_PASID: a request without PASID, mostly */
    p.pasid = b->pasid == d->rid_pasid && chance(o->r, 80) ?
              DMAR_NO_PASID : b->pasid;
    if (p.pasid != DMAR_NO_PASID) {
        p.priv = chance(o->r, 35);
        if ((kind == SK_FS || kind == SK_NESTED) && chance(o->r, 20)) {
            p.exec = true;
            p.w = false;
        }
    }
    return p;
}

static void sm_probe_maps(SmOracle *o)
{
    for (unsigned s = 0; s < o->cfg->spaces; s++) {
        SmSpace *sp = &o->sp[s];
        const SmTree *t = sp->kind == SK_SS ? &sp->ss : &sp->fs;

        if (sp->kind == SK_PT) {
            continue;
        }
        for (unsigned i = 0; i < t->maps->len; i++) {
            const SmMap *m = sm_map_at(t, i);
            uint64_t size = lvl_size(m->level);
            unsigned dev;
            SmBind *b;
            SmProbe p;

            if (!sm_pick_bind(o, s, &dev, &b)) {
                break;
            }
            for (unsigned k = 0; k < 3; k++) {
                p = sm_make_probe(o, dev, b, m->va + (k == 1 ? 0 :
                                                      rnd_below(o->r, size)));
                sm_probe(o, &p, "mapping");
                o->by_kind[sp->kind]++;
            }
            /* Isolation: the same address from any binding */
            if (sm_pick_bind(o, -1, &dev, &b)) {
                o->cross += b->space != (int)s;
                p = sm_make_probe(o, dev, b, m->va + rnd_below(o->r, size));
                sm_probe(o, &p, "other binding");
            }
        }
    }
}

static void sm_probe_bindings(SmOracle *o)
{
    for (unsigned i = 0; i < o->ndev; i++) {
        SmDev *d = &o->dev[i];

        for (unsigned j = 0; j < d->blist->len; j++) {
            SmBind *b = g_ptr_array_index(d->blist, j);
            const SmSpace *sp = &o->sp[b->space];

            for (unsigned k = 0; k < (b->dmg ? 6 : 24); k++) {
                uint64_t va = rnd64(o->r) >> g_rand_int_range(o->r, 8, 64);
                SmProbe p;

                if (k < 8 && sp->kind != SK_PT) {
                    /* near a mapping */
                    const SmTree *t = sp->kind == SK_SS ? &sp->ss : &sp->fs;
                    const SmMap *m = sm_map_at(t, g_rand_int_range(
                                                   o->r, 0, t->maps->len));

                    va = m->va + lvl_size(m->level) * (k & 1 ? 1 : 2) -
                         (k & 2 ? SZ_4K : 0);
                } else if (k < 12) {
                    va &= (1ull << 47) - 1;
                } else if (k < 15) {
                    /* beyond the space's width (or not canonical) */
                    unsigned width = sp->kind == SK_SS ?
                        DMAR_LEVELS_TO_WIDTH(sp->ss.levels) :
                        sp->kind == SK_PT ? o->cfg->haw :
                        DMAR_LEVELS_TO_WIDTH(sp->fs.levels);

                    va = (va & ((1ull << width) - 1)) |
                         sm_bit_in(o, width, 63);
                }
                p = sm_make_probe(o, i, b, va);
                sm_probe(o, &p, "binding");
            }
        }
        /* PASIDs beyond the directory, and unbound ones */
        for (unsigned k = 0; k < 12; k++) {
            uint64_t lim = 64ull << (d->pdts + 7);
            SmProbe p = {
                .dev = i, .va = rnd64(o->r) >> 20, .w = g_rand_boolean(o->r),
            };

            if (k == 0) {
                p.pasid = DMAR_NO_PASID;
            } else if (lim >= DMAR_PASID_LIMIT) {
                p.pasid = sm_rnd_pasid(o, d);
            } else {
                p.pasid = k & 1 ? sm_rnd_pasid(o, d) :
                          lim + rnd_below(o->r, DMAR_PASID_LIMIT - lim);
            }
            sm_probe(o, &p, "pasid");
        }
    }
}

/* Under every damaged FS or SS entry, from bindings of its space. */
static void sm_probe_damage(SmOracle *o)
{
    for (unsigned i = 0; i < o->damaged->len; i++) {
        const SmDamaged *dd = &g_array_index(o->damaged, SmDamaged, i);

        for (unsigned j = 0; j < 4; j++) {
            unsigned dev;
            SmBind *b;
            SmProbe p;

            if (!sm_pick_bind(o, dd->space, &dev, &b)) {
                break;
            }
            p = sm_make_probe(o, dev, b, dd->va +
                              (j ? rnd_below(o->r, lvl_size(dd->level)) : 0));
            sm_probe(o, &p, sd_names[dd->kind]);
        }
    }
}

static void sm_log_counts(SmOracle *o)
{
    GString *s = g_string_new(NULL);

    g_string_append_printf(s, "%s: %u probes, %u translated (A/D checked "
                           "on %u), %u isolation; mapping probes:", o->path,
                           o->probes, o->ok, o->ad_checked, o->cross);
    for (unsigned k = 0; k < SK_COUNT; k++) {
        g_string_append_printf(s, " %s %u", sk_names[k], o->by_kind[k]);
    }
    for (unsigned fr = 0x30; fr < 0x90; fr++) {
        if (o->by_fr[fr]) {
            g_string_append_printf(s, ", %u x 0x%x", o->by_fr[fr], fr);
        }
    }
    g_test_message("%s", s->str);
    g_string_free(s, true);
}

static void sm_oracle_destroy(SmOracle *o)
{
    for (unsigned s = 0; s < o->cfg->spaces; s++) {
        sm_tree_destroy(&o->sp[s].fs);
        sm_tree_destroy(&o->sp[s].ss);
        if (o->sp[s].tblperm) {
            g_hash_table_destroy(o->sp[s].tblperm);
        }
        if (o->sp[s].split4k) {
            g_array_free(o->sp[s].split4k, true);
        }
    }
    for (unsigned i = 0; i < o->ndev; i++) {
        g_hash_table_destroy(o->dev[i].dirs);
        g_hash_table_destroy(o->dev[i].binds);
        g_ptr_array_free(o->dev[i].blist, true);
    }
    g_free(o->sp);
    g_free(o->dev);
    g_array_free(o->damaged, true);
    fake_mem_destroy(&o->mem);
    g_rand_free(o->r);
}

typedef struct SmCase {
    const SmCfg *cfg;
    uint32_t seed;
    char *path;
} SmCase;

static void test_sm(const void *opaque)
{
    const SmCase *tc = opaque;
    static const SmDmg fs_kinds[] = {
        SD_NP, SD_RSVD, SD_DANGLING, SD_US, SD_RW, SD_XD, SD_BEYOND,
    };
    static const SmDmg ss_kinds[] = {
        SD_NP, SD_RSVD, SD_DANGLING, SD_CUT_R, SD_CUT_W,
    };
    static const DmarFaultReason must[] = {
        DMAR_FR_SM_PASID_BEYOND, DMAR_FR_PASID_DIR_NOT_PRESENT,
        DMAR_FR_PASID_DIR_RSVD, DMAR_FR_PASID_NOT_PRESENT,
        DMAR_FR_PASID_RSVD, DMAR_FR_PASID_INVALID, DMAR_FR_PASID_ERE,
        DMAR_FR_PASID_SRE, DMAR_FR_FS_ACCESS, DMAR_FR_FS_NOT_PRESENT,
        DMAR_FR_FS_RSVD, DMAR_FR_SS_NOT_PRESENT, DMAR_FR_SS_RSVD,
        DMAR_FR_SS_ACCESS, DMAR_FR_SM_NON_CANONICAL, DMAR_FR_SM_USER,
        DMAR_FR_SM_EXEC, DMAR_FR_SM_BEYOND, DMAR_FR_SM_WRITE,
        DMAR_FR_SM_READ, DMAR_FR_NESTED_TOP_READ, DMAR_FR_NESTED_READ,
        DMAR_FR_NESTED_WRITE, DMAR_FR_FS_PTR_ACCESS, DMAR_FR_SS_PTR_ACCESS,
        DMAR_FR_SM_INTR_ADDR,
    };
    const SmCfg *c = tc->cfg;
    SmOracle o = { .cfg = c, .seed = tc->seed, .path = tc->path };

    o.r = g_rand_new_with_seed(tc->seed);
    o.hw = (DmarHwConfig) {
        .haw = c->haw, .sagaw = c->sagaw, .sllps = SLLPS_2M | SLLPS_1G,
        .pt = true, .sm = true, .fsts = true, .ssts = true,
        .fs1gp = c->fs1gp, .fs5lp = c->fs5, .pasid_bits = 20, .srs = true,
        .ers = true,
    };
    dmar_hw_config_init(&o.hw);
    mem_init(&o.mem);
    o.dmem = fake_mem(&o.mem);
    o.rta = fake_alloc_table(&o.mem);
    o.sp = g_new0(SmSpace, c->spaces);
    o.damaged = g_array_new(false, false, sizeof(SmDamaged));
    for (unsigned s = 0; s < c->spaces; s++) {
        /* at least one of each kind, two nested */
        SmKind kind = s < SK_COUNT ? (SmKind)s : s == SK_COUNT ? SK_NESTED :
                      (SmKind)g_rand_int_range(o.r, 0, SK_PT);

        o.sp[s].did = 0x100 + s * 7;
        sm_gen_space(&o, &o.sp[s], kind, s == SK_COUNT);
    }
    sm_gen_devices(&o);
    for (unsigned s = 0; s < c->spaces; s++) {
        SmSpace *sp = &o.sp[s];

        if (sp->fs.ents) {
            sm_damage_tree(&o, sp, &sp->fs, fs_kinds, ARRAY_SIZE(fs_kinds),
                           sp->fs.maps->len / 15, sp->fs.levels);
        }
        if (sp->kind == SK_SS) {
            sm_damage_tree(&o, sp, &sp->ss, ss_kinds, ARRAY_SIZE(ss_kinds),
                           sp->ss.maps->len / 15, sp->ss.levels);
        } else if (sp->kind == SK_NESTED) {
            sm_damage_tree(&o, sp, &sp->ss, ss_kinds, ARRAY_SIZE(ss_kinds),
                           20, 2);
            for (unsigned k = 0; k < 6; k++) {
                sm_damage_tblperm(&o, sp, s == SK_COUNT && !k);
            }
        }
    }
    g_test_message("%s: seed %u (DMAR_ORACLE_SEED=%u reproduces it): %u "
                   "spaces, %u devices, %u pages of tables", tc->path,
                   tc->seed, tc->seed, c->spaces, o.ndev,
                   g_hash_table_size(o.mem.pages));
    sm_probe_maps(&o);
    sm_probe_bindings(&o);
    sm_probe_damage(&o);
    sm_log_counts(&o);
    if (o.mismatches) {
        g_test_message("%s: %u of %u probes disagree with the oracle",
                       tc->path, o.mismatches, o.probes);
        g_test_fail();
    }
    g_assert_cmpuint(o.ok, >, o.probes / 10);
    g_assert_cmpuint(o.ad_checked, >, o.probes / 40);
    g_assert_cmpuint(o.cross, >, 100);
    for (unsigned k = 0; k < SK_COUNT - 1; k++) {
        g_assert_cmpuint(o.by_kind[k], >, 100);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(must); i++) {
        if (!o.by_fr[must[i]]) {
            g_test_message("%s: no probe was expected to fault 0x%x",
                           tc->path, must[i]);
            g_test_fail();
        }
    }
    sm_oracle_destroy(&o);
}

static void add_sm_cases(GPtrArray *cases, uint32_t seed, unsigned runs)
{
    static const SmCfg cfgs[] = {
        /* aw-bits 48: 3- and 4-level SS, 4-level FS with 1 GiB pages */
        { "sm-haw48", 48, SAGAW_3L | SAGAW_4L, false, true, 9, 4000, 8 },
        /* aw-bits 57: 4- and 5-level FS without 1 GiB pages, 3-5 level SS */
        { "sm-haw57", 57, SAGAW_3L | SAGAW_4L | SAGAW_5L, true, false, 9,
          4000, 8 },
    };

    for (unsigned run = 0; run < runs; run++) {
        for (unsigned i = 0; i < ARRAY_SIZE(cfgs); i++) {
            SmCase *tc = g_new0(SmCase, 1);

            tc->cfg = &cfgs[i];
            tc->seed = seed + run;
            tc->path = g_strdup_printf("/oracle/%s/walk/seed-%u",
                                       cfgs[i].name, tc->seed);
            g_test_add_data_func(tc->path, tc, test_sm);
            g_ptr_array_add(cases, tc);
        }
    }
}

int main(int argc, char **argv)
{
    static const OracleCfg cfgs[] = {
        /* aw-bits=39 as the device sets it up: 3-level tables only */
        { "haw39-3l", 39, SAGAW_3L, SLLPS_2M | SLLPS_1G,
          .pt = true, .maps = 4000, .domains = 6, .devices = 12,
          .divergences = true },
        /* aw-bits=48: 3- and 4-level domains side by side */
        { "haw48-3l4l", 48, SAGAW_3L | SAGAW_4L, SLLPS_2M | SLLPS_1G,
          .dt = true, .maps = 6000, .domains = 10, .devices = 20 },
        /* No 1 GiB pages, snoop control, a domain with many devices */
        { "haw48-4l-2m-sc", 48, SAGAW_4L, SLLPS_2M,
          .sc = true, .pt = true, .dt = true, .maps = 4000, .domains = 5,
          .devices = 24, .crowd = 10 },
        /* aw-bits=57: up to 5 levels, HAW beyond the address field */
        { "haw57-3l4l5l", 57, SAGAW_3L | SAGAW_4L | SAGAW_5L,
          SLLPS_2M | SLLPS_1G, .pt = true, .maps = 4000, .domains = 6,
          .devices = 12 },
    };
    const char *env = g_getenv("DMAR_ORACLE_SEED");
    const char *runs_env = g_getenv("DMAR_ORACLE_RUNS");
    uint32_t seed = env ? g_ascii_strtoull(env, NULL, 0) : ORACLE_SEED;
    unsigned runs = runs_env ? MAX(1, atoi(runs_env)) : 1;
    GPtrArray *cases = g_ptr_array_new(), *sm_cases;
    int ret;

    g_test_init(&argc, &argv, NULL);
    for (unsigned run = 0; run < runs; run++) {
        for (unsigned i = 0; i < ARRAY_SIZE(cfgs); i++) {
            OracleCase *tc = g_new0(OracleCase, 1);

            tc->cfg = &cfgs[i];
            tc->seed = seed + run;
            tc->path = g_strdup_printf("/oracle/%s/walk/seed-%u",
                                       cfgs[i].name, tc->seed);
            g_test_add_data_func(tc->path, tc, test_walk);
            g_ptr_array_add(cases, tc);

            tc = g_memdup2(tc, sizeof(*tc));
            tc->path = g_strdup_printf("/oracle/%s/iotlb/seed-%u",
                                       cfgs[i].name, tc->seed);
            g_test_add_data_func(tc->path, tc, test_iotlb);
            g_ptr_array_add(cases, tc);

            tc = g_memdup2(tc, sizeof(*tc));
            tc->path = g_strdup_printf("/oracle/%s/walk-range/seed-%u",
                                       cfgs[i].name, tc->seed);
            g_test_add_data_func(tc->path, tc, test_walk_range);
            g_ptr_array_add(cases, tc);

            if (!cfgs[i].divergences) {
                continue;
            }
            tc = g_memdup2(tc, sizeof(*tc));
            tc->path = g_strdup_printf("/oracle/%s/spec-bit62/seed-%u",
                                       cfgs[i].name, tc->seed);
            g_test_add_data_func(tc->path, tc, test_bit62);
            g_ptr_array_add(cases, tc);
        }
    }
    sm_cases = g_ptr_array_new();
    add_sm_cases(sm_cases, seed, runs);
    ret = g_test_run();
    for (unsigned i = 0; i < sm_cases->len; i++) {
        SmCase *tc = g_ptr_array_index(sm_cases, i);

        g_free(tc->path);
        g_free(tc);
    }
    g_ptr_array_free(sm_cases, true);
    for (unsigned i = 0; i < cases->len; i++) {
        OracleCase *tc = g_ptr_array_index(cases, i);

        g_free(tc->path);
        g_free(tc);
    }
    g_ptr_array_free(cases, true);
    return ret;
}
