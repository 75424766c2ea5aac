/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar translation core: root/context decode and the second-level
 * page walk, with typed faults.
 *
 * The core is pure: it reaches guest memory only through DmarMem, takes
 * no locks, and knows nothing of QOM, MemoryRegions or tracing, so it can be
 * unit-tested without QEMU (tests/unit/test-dmar-core.c). The glue
 * (vtd-dmar.c) calls it; it never calls the glue.
 */
#ifndef HW_I386_VTD_DMAR_CORE_H
#define HW_I386_VTD_DMAR_CORE_H

#include "dmar-regs.h"

/*
 * Guest physical memory as the remapping hardware sees it: no translation,
 * little-endian data. Each op returns false (DMAR_CAS_ERROR) when the
 * access fails (no memory there): the core turns that into the spec's
 * access-error fault.
 */
typedef enum DmarCasResult {
    DMAR_CAS_OK,            /* *gpa held *expected; now holds desired */
    DMAR_CAS_CHANGED,       /* *gpa held another value: in *expected now */
    DMAR_CAS_ERROR,         /* no memory there (access error) */
} DmarCasResult;

typedef struct DmarMemOps {
    /* LEN bytes at GPA (little-endian data); false: access error */
    bool (*read)(void *opaque, uint64_t gpa, void *buf, size_t len);
    bool (*write)(void *opaque, uint64_t gpa, const void *buf, size_t len);
    /*
     * 64-bit compare-and-swap at an 8-byte aligned GPA, atomic with
     * respect to CPUs; *EXPECTED and DESIRED in host order. NULL: a walk
     * that must change nothing (first-stage A/D bits are left alone).
     */
    DmarCasResult (*cmpxchg64)(void *opaque, uint64_t gpa, uint64_t *expected,
                               uint64_t desired);
    /*
     * Optional (NULL: none): a read-only view of the LEN bytes at GPA,
     * in place, for a walk that reads a whole table; valid until the
     * call that asked for it returns (whoever makes that call keeps the
     * memory there). NULL where read() should be used instead.
     */
    const void *(*map)(void *opaque, uint64_t gpa, size_t len);
} DmarMemOps;

typedef struct DmarMem {
    const DmarMemOps *ops;
    void *opaque;
} DmarMem;

static inline bool dmar_mem_read(const DmarMem *m, uint64_t gpa, void *buf,
                                 size_t len)
{
    return m->ops->read(m->opaque, gpa, buf, len);
}

static inline bool dmar_mem_write(const DmarMem *m, uint64_t gpa,
                                  const void *buf, size_t len)
{
    return m->ops->write(m->opaque, gpa, buf, len);
}

static inline const void *dmar_mem_map(const DmarMem *m, uint64_t gpa,
                                       size_t len)
{
    return m->ops->map ? m->ops->map(m->opaque, gpa, len) : NULL;
}

static inline DmarCasResult dmar_mem_cmpxchg64(const DmarMem *m, uint64_t gpa,
                                               uint64_t *expected,
                                               uint64_t desired)
{
    return m->ops->cmpxchg64(m->opaque, gpa, expected, desired);
}

/* Fault reasons, VT-d §7.1.3 (legacy-mode DMA remapping). */
typedef enum DmarFaultReason {
    DMAR_FR_NONE = 0,
    DMAR_FR_ROOT_NOT_PRESENT = 0x1,
    DMAR_FR_CTX_NOT_PRESENT = 0x2,
    DMAR_FR_CTX_INVALID = 0x3,          /* AW/TT programming not supported */
    DMAR_FR_ADDR_BEYOND_AGAW = 0x4,
    DMAR_FR_WRITE = 0x5,                /* PTE has no write permission */
    DMAR_FR_READ = 0x6,                 /* PTE has no read permission */
    DMAR_FR_PTE_ACCESS = 0x7,           /* error reading a paging entry */
    DMAR_FR_ROOT_ACCESS = 0x8,          /* error reading the root entry */
    DMAR_FR_CTX_ACCESS = 0x9,           /* error reading the context entry */
    DMAR_FR_ROOT_RSVD = 0xa,
    DMAR_FR_CTX_RSVD = 0xb,
    DMAR_FR_PTE_RSVD = 0xc,
    DMAR_FR_TT_BLOCKED = 0xd,           /* request type blocked by ctx TT */
    DMAR_FR_INTR_ADDR = 0xe,            /* output in the interrupt range */
    /* §7.1.3 RTA.1: RTADDR.TTM latched with a mode not offered */
    DMAR_FR_RTA_TTM = 0x30,
    /* §7.1.3 RTA.4: TTM 11b (abort-DMA mode, §3.4.4) blocks every request */
    DMAR_FR_ABORT_DMA = 0x33,
    /* Scalable mode (§7.1.3, Table 31): root and context entries */
    DMAR_FR_SM_ROOT_ACCESS = 0x38,
    DMAR_FR_SM_ROOT_NOT_PRESENT = 0x39,
    DMAR_FR_SM_ROOT_RSVD = 0x3a,
    DMAR_FR_SM_CTX_ACCESS = 0x40,
    DMAR_FR_SM_CTX_NOT_PRESENT = 0x41,
    DMAR_FR_SM_CTX_RSVD = 0x42,
    DMAR_FR_SM_CTX_INVALID = 0x43,
    DMAR_FR_SM_DTE = 0x44,              /* translation request, DTE = 0 */
    DMAR_FR_SM_PASIDE = 0x45,           /* request with PASID, PASIDE = 0 */
    DMAR_FR_SM_PASID_BEYOND = 0x46,     /* PASID beyond the directory */
    DMAR_FR_SM_RID_PASID = 0x48,        /* RID_PASID beyond the directory */
    /* ... the PASID directory and table */
    DMAR_FR_PASID_DIR_ACCESS = 0x50,
    DMAR_FR_PASID_DIR_NOT_PRESENT = 0x51,
    DMAR_FR_PASID_DIR_RSVD = 0x52,
    DMAR_FR_PASID_ACCESS = 0x58,
    DMAR_FR_PASID_NOT_PRESENT = 0x59,
    DMAR_FR_PASID_RSVD = 0x5a,
    DMAR_FR_PASID_INVALID = 0x5b,
    DMAR_FR_PASID_ERE = 0x5c,           /* execute request, ERE = 0 */
    DMAR_FR_PASID_SRE = 0x5d,           /* supervisor request, SRE = 0 */
    /* ... first-stage walks */
    DMAR_FR_FS_ACCESS = 0x70,
    DMAR_FR_FS_NOT_PRESENT = 0x71,
    DMAR_FR_FS_RSVD = 0x72,
    DMAR_FR_FS_PTR_ACCESS = 0x73,       /* the table FSPTPTR names */
    DMAR_FR_NESTED_BEYOND = 0x74,       /* FS table beyond the SS width */
    DMAR_FR_NESTED_TOP_READ = 0x75,     /* SS refuses reading the FS root */
    DMAR_FR_NESTED_READ = 0x76,         /* ... a lower FS table */
    DMAR_FR_NESTED_WRITE = 0x77,        /* ... an A/D update of an FS entry */
    /* ... second-stage walks */
    DMAR_FR_SS_ACCESS = 0x78,
    DMAR_FR_SS_NOT_PRESENT = 0x79,      /* R = W = 0 */
    DMAR_FR_SS_RSVD = 0x7a,
    DMAR_FR_SS_PTR_ACCESS = 0x7b,       /* the table SSPTPTR names */
    /* ... either */
    DMAR_FR_SM_NON_CANONICAL = 0x80,
    DMAR_FR_SM_USER = 0x81,             /* user request, supervisor page */
    DMAR_FR_SM_EXEC = 0x82,
    DMAR_FR_SM_BEYOND = 0x83,           /* input beyond the width */
    DMAR_FR_SM_WRITE = 0x85,
    DMAR_FR_SM_READ = 0x86,
    DMAR_FR_SM_INTR_ADDR = 0x87,
} DmarFaultReason;

/*
 * The interrupt address range (VT-d §3.15): requests to it are interrupt
 * requests, and no translation may lead into it.
 */
#define DMAR_INTR_ADDR_FIRST    0xfee00000ull
#define DMAR_INTR_ADDR_LAST     0xfeefffffull

typedef struct DmarFault {
    DmarFaultReason fr;
    uint64_t addr;          /* the request's input address */
    uint16_t sid;           /* source-id: bus << 8 | devfn */
    uint32_t pasid;         /* PASID, when pasid_valid */
    bool pasid_valid;
    bool is_write;
    uint8_t level;          /* paging level of a walk fault, else 0 */
    bool fpd;               /* suppressed by the context entry's FPD */
    bool priv, exec;        /* with pasid_valid: the request's */
} DmarFault;

/*
 * What the unit offers: fixed at realize from CAP/ECAP, then read-only.
 * Per-level reserved masks live here (one set per unit), not in statics.
 */
typedef struct DmarHwConfig {
    uint8_t haw;            /* host address width (bits) */
    uint8_t sagaw;          /* CAP.SAGAW */
    uint8_t sllps;          /* CAP.SLLPS: bit 0 = 2 MiB, bit 1 = 1 GiB */
    bool pt;                /* ECAP.PT: pass-through context entries */
    bool dt;                /* ECAP.DT: device-TLB (TT = 1) */
    bool sc;                /* ECAP.SC: snoop control (SNP bit) */
    bool stale_tm;          /* with dt: TM (bit 62) allowed in a leaf */
    /* Scalable mode (ECAP.SMTS), and what it offers */
    bool sm;
    bool fsts, ssts;        /* ECAP.FSTS, SSTS: first and second stage */
    bool fs1gp;             /* CAP.FL1GP: first-stage 1 GiB pages */
    bool fs5lp;             /* CAP.FL5LP: 5-level first stage */
    uint8_t pasid_bits;     /* ECAP.PASID, PSS + 1; 0 without PASID */
    bool srs, ers;          /* ECAP.SRS, ERS: supervisor, execute requests */
    /* Reserved bits of a second-level entry at level 1..5: */
    uint64_t rsvd_table[DMAR_MAX_LEVELS + 1];  /* points to a table */
    uint64_t rsvd_leaf[DMAR_MAX_LEVELS + 1];   /* maps a page (PS or L1) */
} DmarHwConfig;

/* Fill in the derived fields (reserved masks) from the others. */
void dmar_hw_config_init(DmarHwConfig *hw);

typedef enum DmarCtxMode { DMAR_CTX_LEGACY, DMAR_CTX_SCALABLE } DmarCtxMode;

/*
 * A decoded context entry: the translation configuration for one device.
 * Legacy mode fills the first group and leaves the scalable fields 0.
 */
typedef struct DmarContext {
    uint16_t sid;
    uint16_t did;           /* domain-id */
    uint8_t tt;             /* DMAR_TT_* */
    uint8_t levels;         /* paging levels (3..5); 0 for pass-through */
    bool fpd;
    uint64_t slptptr;       /* second-level table root */
    DmarCtxMode mode;       /* legacy: everything below is 0 */
    uint64_t pasid_dir;     /* scalable: PASID directory pointer */
    uint8_t pdts;           /* scalable: PASID directory table size */
    uint32_t rid_pasid;     /* scalable: PASID of requests without one */
    bool dte, paside, pre;  /* scalable: device-TLB, PASID, page requests */
} DmarContext;

/* The address type of a request (PCIe AT field). */
typedef enum DmarReqType {
    DMAR_REQ_UNTRANSLATED,  /* AT=00b: an ordinary DMA */
    DMAR_REQ_TRANSLATION,   /* AT=01b: an ATS translation request */
    DMAR_REQ_TRANSLATED,    /* AT=10b: an already translated request */
} DmarReqType;

#define DMAR_NO_PASID   UINT32_MAX

/* A request to translate. */
typedef struct DmarRequest {
    uint64_t addr;
    uint16_t sid;
    uint32_t pasid;         /* DMAR_NO_PASID: a request without PASID */
    DmarReqType type;
    bool is_write;
    bool priv;              /* privileged (supervisor) request */
    bool exec;              /* execute request */
} DmarRequest;

#define DMAR_PERM_R     1
#define DMAR_PERM_W     2
#define DMAR_PERM_RW    (DMAR_PERM_R | DMAR_PERM_W)

/*
 * A successful translation: one naturally aligned page of 4 KiB..1 GiB,
 * or (an IOTLB answer, dmar_iotlb_lookup_shared()) a naturally aligned
 * run of 4 KiB pages mapped contiguously, up to 256 KiB, at level 1.
 */
typedef struct DmarTranslation {
    uint64_t iova;          /* input address of the page (aligned) */
    uint64_t pa;            /* output address of the page (aligned) */
    uint64_t mask;          /* page (or run) size - 1 */
    uint8_t perm;           /* DMAR_PERM_*: AND over every level */
    uint8_t level;          /* level of the leaf: 1 (4K), 2 (2M), 3 (1G) */
    /* For a 4 KiB leaf: its table, and the AND of the levels above it. */
    uint64_t table;
    uint8_t table_perm;
    /*
     * A 4 KiB piece of a larger page that also maps part of the interrupt
     * address range: the rest of that page is never answered at once.
     */
    bool narrowed;
} DmarTranslation;

/*
 * Find the context entry of SID in the legacy root table at RTA.
 * False with *fault set when the entry cannot be used.
 */
bool dmar_context_lookup(const DmarHwConfig *hw, uint64_t rta, uint16_t sid,
                         const DmarMem *mem, DmarContext *ctx,
                         DmarFault *fault);

/*
 * Translate REQ->addr for a read or write (REQ->is_write) under CTX. On
 * success *out holds the page, its permissions (a superset of the
 * request's) and size; a page that would reach into the interrupt address
 * range is cut to the 4 KiB around the address (out->narrowed), and a
 * request that lands in the range faults (DMAR_FR_INTR_ADDR). On failure
 * *fault says why; fault->fpd is set if the context suppresses recording,
 * and fault->pasid/pasid_valid carry the request's PASID.
 * The walk visits at most ctx->levels entries, whatever the tables hold.
 *
 * Legacy contexts (VT-d §9.3) translate untranslated requests without
 * PASID. A translation or translated request is blocked (DMAR_FR_TT_BLOCKED)
 * unless TT is 01b (device-TLBs), where a translation request walks as an
 * untranslated one and a translated request passes as is; a request with
 * a PASID is always blocked, legacy entries have none. REQ->priv and
 * REQ->exec play no part in the second-stage walk.
 */
bool dmar_translate(const DmarHwConfig *hw, const DmarContext *ctx,
                    const DmarRequest *req, const DmarMem *mem,
                    DmarTranslation *out, DmarFault *fault);

/*
 * The present, valid 4 KiB leaves of the naturally aligned group of
 * DMAR_LEAF_GROUP entries around IOVA in the level-1 TABLE reached with
 * permissions UPPER_PERM (as a 4 KiB dmar_translate() reports them).
 * Caching them ahead is what an IOTLB may do: each is a translation the
 * tables grant now. LEAF[i], for the group's page i, becomes its output
 * address | its DMAR_PERM_*, or 0 when it grants nothing. Returns how
 * many grant something (0 also when the table cannot be read).
 */
#define DMAR_LEAF_GROUP 64
unsigned dmar_leaf_group(const DmarHwConfig *hw, uint64_t table,
                         uint8_t upper_perm, uint64_t iova, const DmarMem *mem,
                         uint64_t *leaf);

typedef enum DmarWalkStatus {
    DMAR_WALK_DONE,         /* [first, last] covered */
    DMAR_WALK_STOPPED,      /* budget used up, or FN said stop: *resume */
    DMAR_WALK_FAULT,        /* covered, but some entries could not be used */
} DmarWalkStatus;

/* Called for each present leaf in order of IOVA; return false to stop. */
typedef bool DmarWalkFn(void *opaque, const DmarTranslation *leaf);

/*
 * Every present, valid leaf of CTX's tables overlapping [FIRST, LAST], in
 * IOVA order, each once, as the naturally aligned page it maps (4 KiB,
 * 2 MiB, 1 GiB; not clipped to the range) with the AND of the permissions
 * on its path: what dmar_translate() grants, for the notifiers of a
 * device whose mappings are kept elsewhere.
 *
 * Not-present entries (and entries whose path grants nothing) are skipped
 * without descending. Entries with reserved bits, and tables that cannot
 * be read, are skipped too; the walk goes on and ends with
 * DMAR_WALK_FAULT instead of DMAR_WALK_DONE. §3.15: a 4 KiB leaf into the
 * interrupt address range is never reported, and a larger one that
 * reaches into it is reported as its 2 MiB and 4 KiB pieces outside it
 * (leaf->narrowed), as dmar_translate() serves it.
 *
 * Reads at most *BUDGET entries, decrementing it; when it runs out, or
 * when FN returns false, returns DMAR_WALK_STOPPED with *RESUME set to
 * the first IOVA not covered: calling again with FIRST = *RESUME goes on
 * with the next leaf, none reported twice. A pass-through context reads
 * nothing: one call with the identity block below 2^haw clipped to the
 * range (level 0; its mask is its size - 1, not a page mask). A context
 * dmar_context_lookup() would not give faults at once, reporting nothing.
 */
DmarWalkStatus dmar_walk_range(const DmarHwConfig *hw, const DmarContext *ctx,
                               uint64_t first, uint64_t last,
                               const DmarMem *mem, DmarWalkFn *fn,
                               void *opaque, uint64_t *budget,
                               uint64_t *resume);

/* Is FR reported only when the context entry's FPD is clear? (§7.1.3) */
bool dmar_fault_is_qualified(DmarFaultReason fr);

/*
 * A small set of address ranges, inclusive, each of one domain (its tag:
 * domain-id + 1) or of any (DMAR_RANGE_ANY), that may only grow: a range
 * that overlaps or touches one of the same tag widens it, a new one takes
 * a slot, and with every slot taken the set becomes everything (@all).
 * Used to say which DMA a drain must wait for (vtd-dmar.c).
 */
#define DMAR_RANGE_SET_MAX  16
#define DMAR_RANGE_ANY      0

typedef struct DmarRangeSet {
    uint32_t n;
    bool all;
    uint32_t tag[DMAR_RANGE_SET_MAX];
    uint64_t first[DMAR_RANGE_SET_MAX], last[DMAR_RANGE_SET_MAX];
} DmarRangeSet;

void dmar_range_set_clear(DmarRangeSet *set);
/* Add FIRST..LAST (FIRST <= LAST) of TAG */
void dmar_range_set_add(DmarRangeSet *set, uint32_t tag, uint64_t first,
                        uint64_t last);
/*
 * Does a range of A overlap one of B of the same tag (or either's tag
 * DMAR_RANGE_ANY)? Everything overlaps anything.
 */
bool dmar_range_set_overlap(const DmarRangeSet *a, const DmarRangeSet *b);

#endif
