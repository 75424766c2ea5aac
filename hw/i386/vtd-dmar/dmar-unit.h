/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar unit: one remapping unit's architectural state and behaviour.
 *
 * The unit sits between the QEMU glue (vtd-dmar.c) and the pure core
 * (dmar-core, dmar-cache, dmar-qi, dmar-ir, dmar-fault). It holds the
 * register file and its semantics (the GCMD state machine, register-based
 * and queued invalidation, the fault log), the latched root and interrupt
 * table pointers, the caches and the interrupt entry cache. It knows
 * nothing of QOM, MemoryRegions, AddressSpaces, locks, tracing or the
 * BQL: guest memory comes through DmarMem, and everything the glue must
 * do next comes back as data, as DMAR_ACT_* bits from the entry points
 * and as DmarEvents through DmarUnitHooks (what the glue traces, and the
 * ranges IOMMU notifiers must hear of). So it is unit-tested against fake
 * memory (tests/unit/test-dmar-unit-{regs,inv,dma}.c), and several units
 * are several instances: nothing here is global.
 *
 * The caller serialises every call on one unit (the glue holds its lock);
 * hooks are called from inside those calls and must not call back in.
 */
#ifndef HW_I386_VTD_DMAR_UNIT_H
#define HW_I386_VTD_DMAR_UNIT_H

#include "qemu/bswap.h"
#include "dmar-cache.h"
#include "dmar-core.h"
#include "dmar-fault.h"
#include "dmar-ir.h"
#include "dmar-qi.h"
#include "dmar-shadow.h"

#define DMAR_NFR_MAX        256
/* Largest register window: FRCDs follow the fixed registers. */
#define DMAR_REGS_MAX       (DMAR_FRO_OFFSET + DMAR_NFR_MAX * DMAR_FRCD_SIZE)
#define DMAR_IEC_ENTRIES    256     /* interrupt entry cache, direct-mapped */

/* What the unit offers; fixed when it is created. */
typedef struct DmarUnitConfig {
    uint8_t aw_bits;        /* guest (input) address width: CAP.MGAW + 1 */
    uint32_t nfr;           /* fault recording registers, 1..DMAR_NFR_MAX */
    bool caching_mode;      /* CAP.CM */
    bool dma_drain;         /* CAP.DRD/DWD */
    bool ir;                /* ECAP.IR: interrupt remapping */
    bool eim;               /* ECAP.EIM: x2APIC destinations (with ir) */
    uint32_t iotlb_entries;
    uint32_t ctx_entries;
    bool verify_iotlb;      /* re-walk on IOTLB hits, report stale ones */
    /* lock-free hits answer runs of contiguous pages (DmarIotlb.runs) */
    bool run_answers;
    DmarHwConfig hw;        /* haw, sagaw, sllps, pt, dt, sc, stale_tm */
    /*
     * Protected memory regions (CAP.PLMR/PHMR, §11.4.8): the registers'
     * values at reset, as firmware would leave them (bits 20:0 clear,
     * low ones below 4 GiB, high ones below 2^HAW); pmr_enable sets
     * PMEN.EPM and PRS at reset. All 0/false without pmr.
     */
    bool pmr;
    uint64_t pmr_low_base, pmr_low_limit;
    uint64_t pmr_high_base, pmr_high_limit;
    bool pmr_enable;
    bool abort_dma;         /* ECAP.ADMS: RTADDR.TTM 11b (§3.4.4) */
} DmarUnitConfig;

/* Why CFG cannot make a unit (g_free() it), or NULL. */
char *dmar_unit_config_error(const DmarUnitConfig *cfg);

/* What an entry point asks the glue to do, once it may (lock dropped). */
enum {
    DMAR_ACT_FAULT_EVENT = 1,   /* send the fault event message */
    DMAR_ACT_SWITCH_AS = 2,     /* re-evaluate per-device address spaces */
    DMAR_ACT_INV_EVENT = 4,     /* send the invalidation event message */
    DMAR_ACT_IEC_NOTIFY = 8,    /* interrupt entries changed: tell users */
    DMAR_ACT_QI_PENDING = 16,   /* the queue has more: call qi_continue */
    /*
     * With QI_PENDING: the queue stopped at a wait descriptor until the
     * glue has done what the other bits ask (not for its work budget).
     */
    DMAR_ACT_QI_WAIT = 32,
    DMAR_ACT_UNIT_MASK = 63,
    /* What a queue run may leave owed (struct DmarUnit.qi_owed) */
    DMAR_ACT_QI_OWED = DMAR_ACT_SWITCH_AS | DMAR_ACT_IEC_NOTIFY,
    /* Bits above DMAR_ACT_UNIT_MASK are the glue's own. */
};

/* What became of a fault (DMAR_EV_FAULT). */
typedef enum DmarFaultOutcome {
    DMAR_FAULT_OUT_RECORDED,    /* it went into a fault recording register */
    DMAR_FAULT_OUT_PENDING,     /* the same fault is pending in one already */
    DMAR_FAULT_OUT_LOST,        /* the log was full (PFO): not recorded */
    DMAR_FAULT_OUT_FPD,         /* the context's or IRTE's FPD suppressed it */
} DmarFaultOutcome;

/* Events: what the glue traces, and what notifiers must hear of. */
typedef enum DmarEventKind {
    DMAR_EV_MMIO_READ,
    DMAR_EV_MMIO_WRITE,
    DMAR_EV_GCMD,
    DMAR_EV_CC_INV,         /* context-cache invalidation done */
    DMAR_EV_IOTLB_INV,      /* IOTLB invalidation done */
    DMAR_EV_FLUSH_ALL,      /* every cache flushed (root table switch) */
    DMAR_EV_QI_RUN,
    DMAR_EV_QI_ERROR,
    DMAR_EV_IEC_FLUSH,
    DMAR_EV_IR_REMAP,
    DMAR_EV_FAULT,          /* a fault, recorded or suppressed (fpd) */
    DMAR_EV_EVICT,          /* a live cache entry made room */
    DMAR_EV_STALE_HIT,      /* verify_iotlb: a hit the tables disagree with */
    /*
     * What translations handed out before may no longer be valid: every
     * device and address (iotlb_dropped: the IOTLB is empty now); the
     * devices whose source-id matches under sid_mask, every address (their
     * IOTLB entries were dropped); the devices that may hold translations
     * of domain did, addresses [first, last].
     */
    DMAR_EV_UNMAP_ALL,
    DMAR_EV_UNMAP_SID,
    DMAR_EV_UNMAP_DID,
    DMAR_EV_PMEN,           /* PMEN written: EPM requested, PRS now */
    /* DMA into a protected memory region blocked (never a fault) */
    DMAR_EV_PMR_BLOCK,
    /*
     * A device-TLB invalidate descriptor (§6.5.2.5, with ECAP.DT): the
     * device with requester id sid must drop its translations of
     * [first, last] (cut to 2^aw_bits - 1; none when it lies beyond).
     */
    DMAR_EV_DEVTLB_INV,
    /* Scalable mode: PASID-cache and PASID-based IOTLB invalidations */
    DMAR_EV_PC_INV,
    DMAR_EV_PIOTLB_INV,
} DmarEventKind;

typedef struct DmarEvent {
    DmarEventKind kind;
    union {
        struct {
            const char *reg;
            uint32_t off;
            unsigned size;
            uint64_t val;
        } mmio;
        struct {
            uint32_t val, old_gsts, gsts;
        } gcmd;
        struct {
            unsigned gran;  /* granularity done; 0: invalid request */
            uint16_t did, sid;
            unsigned fm;
            uint32_t dropped;
        } cc;
        struct {
            unsigned gran;  /* granularity done; 0: invalid request */
            uint16_t did;
            uint64_t first, last;   /* the IOVAs reached (gran not 0) */
            uint32_t dropped;
        } iotlb;
        struct {
            uint32_t dropped;
        } flush;
        struct {
            uint32_t head, tail, processed;
        } qi_run;
        struct {
            uint32_t head;
            DmarIqei iqei;
            const char *why;
        } qi_error;
        struct {
            bool global;
            uint32_t index;
            unsigned im;
        } iec;
        struct {
            uint16_t sid;
            uint32_t index;
            DmarIrq irq;
        } ir;
        DmarFault fault;
        struct {
            const char *cache;
            uint16_t sid;
        } evict;
        struct {
            uint16_t sid;
            uint64_t iova, pa, walk_pa;
            uint8_t perm, walk_perm, fr;
        } stale;
        struct {
            bool iotlb_dropped;
        } unmap_all;
        struct {
            uint16_t sid, sid_mask;
        } unmap_sid;
        struct {
            uint16_t did;
            uint64_t first, last;
        } unmap_did;
        struct {
            uint32_t val, pmen;
        } pmen;
        struct {
            uint16_t sid;
            uint64_t addr;
            bool is_write;
        } pmr_block;
        struct {
            uint16_t sid, pfsid;
            uint8_t mip;
            uint64_t first, last;
        } devtlb;
        struct {
            unsigned gran;
            uint16_t did;
            uint32_t pasid;
            uint64_t addr;  /* PASID-based IOTLB */
            unsigned am;
            uint32_t dropped;
        } pinv;             /* DMAR_EV_PC_INV, DMAR_EV_PIOTLB_INV */
    };
    DmarFaultOutcome fault_outcome;     /* DMAR_EV_FAULT */
} DmarEvent;

typedef enum DmarLogKind {
    DMAR_LOG_GUEST_ERROR,   /* the guest did something the spec forbids */
    DMAR_LOG_UNIMP,         /* the guest asked for what is not offered */
} DmarLogKind;

/* The glue's side; every member may be NULL. */
typedef struct DmarUnitHooks {
    void (*event)(void *opaque, const DmarEvent *ev);
    bool (*log_enabled)(void *opaque, DmarLogKind kind);
    void (*log)(void *opaque, DmarLogKind kind, const char *msg);
    /*
     * Have the events so far left work for the glue (notifiers to tell)
     * that must be done before an invalidation wait descriptor may
     * complete? Then the queue stops before the wait descriptor
     * (DMAR_ACT_QI_PENDING), and goes on once the glue has done it.
     */
    bool (*notify_pending)(void *opaque);
} DmarUnitHooks;

typedef struct DmarIecEntry {
    uint64_t lo, hi;        /* the IRTE as read */
    uint32_t index;
    bool valid;
} DmarIecEntry;

typedef struct DmarUnit {
    DmarUnitConfig cfg;
    DmarMem mem;            /* guest memory, untranslated */
    const DmarUnitHooks *hooks;
    void *hooks_opaque;

    uint8_t regs[DMAR_REGS_MAX];    /* little-endian register file */
    uint64_t root;          /* RTADDR as latched by GCMD.SRTP */
    DmarFaultLog flog;
    DmarIotlb iotlb;
    DmarCtxCache ctx_cache;
    DmarPasidCache pasid_cache;     /* scalable mode */
    uint64_t irta_raw;      /* IRTA as latched by GCMD.SIRTP */
    DmarIrtaConfig irta;    /* ... decoded */
    DmarIecEntry iec[DMAR_IEC_ENTRIES];
    DmarCacheStats iec_stats;   /* hits, misses, evictions */
    /*
     * May dmar_unit_translate_shared() answer? Set whenever a register
     * changes: translation on, a root pointer that faults nothing, no
     * protected memory region in force, and no option needing more than
     * an IOTLB hit.
     */
    bool shared_ok;
    /*
     * What queue runs asked of the glue (DMAR_ACT_QI_OWED bits) and it has
     * not yet said done (dmar_unit_owed_done()): until then no wait
     * descriptor completes, whichever run reaches it. @owed_gen counts
     * the runs that asked.
     */
    unsigned qi_owed;
    uint64_t qi_owed_gen;
} DmarUnit;

/*
 * Create a unit as after reset (CFG must pass dmar_unit_config_error();
 * its hw masks are filled in here). MEM_OPS/MEM_OPAQUE reach guest
 * memory; HOOKS (may be NULL) hear events.
 */
void dmar_unit_init(DmarUnit *u, const DmarUnitConfig *cfg,
                    const DmarMemOps *mem_ops, void *mem_opaque,
                    const DmarUnitHooks *hooks, void *hooks_opaque);
void dmar_unit_destroy(DmarUnit *u);
/* Registers, caches and latched pointers as after reset. */
unsigned dmar_unit_reset(DmarUnit *u);
/* Size of the register window (whole pages). */
uint32_t dmar_unit_mmio_size(const DmarUnit *u);
uint64_t dmar_unit_cap(const DmarUnit *u);
uint64_t dmar_unit_ecap(const DmarUnit *u);

/* ---- register file (dmar-unit.c) ---- */

/*
 * VT-d §11.2 defines aligned 32-bit accesses to any register and aligned
 * 64-bit accesses to 64-bit registers, and lets hardware carry out a
 * 64-bit access as two 32-bit ones, lower half first. Every other 8-byte
 * access on a 4-byte boundary is done that way (the glue makes the two
 * calls, running the first one's actions in between); anything else
 * reads 0 and is ignored. The unusual ones are logged.
 */
typedef enum DmarAccess {
    DMAR_ACCESS_NONE,       /* 1 or 2 bytes, or misaligned: read 0, ignore */
    DMAR_ACCESS_ONE,        /* 32-bit, or 64-bit to one 64-bit register */
    DMAR_ACCESS_SPLIT,      /* 64-bit, done as two 32-bit accesses */
} DmarAccess;

DmarAccess dmar_unit_access(DmarUnit *u, uint64_t off, unsigned size,
                            bool is_write);
/* One DMAR_ACCESS_ONE access (size 4 or 8). */
uint64_t dmar_unit_read(DmarUnit *u, uint64_t off, unsigned size);
unsigned dmar_unit_write(DmarUnit *u, uint64_t off, uint64_t val,
                         unsigned size);

/*
 * The register file as the unit holds it, for the glue and for tests.
 * OFF is a register's offset (below DMAR_REGS_MAX - 8): not checked.
 */
static inline uint32_t dmar_unit_get32(const DmarUnit *u, uint32_t off)
{
    return ldl_le_p(u->regs + off);
}

static inline uint64_t dmar_unit_get64(const DmarUnit *u, uint32_t off)
{
    return ldq_le_p(u->regs + off);
}

/* The fault (or, with INV, invalidation) event's message. */
void dmar_unit_event_msg(const DmarUnit *u, bool inv, uint64_t *addr,
                         uint32_t *data);

/*
 * Why the state just loaded (registers, root, flog.next, irta_raw) is one
 * this unit cannot be in, or NULL. Then dmar_unit_post_load() derives the
 * rest (caches empty, IRTA decoded); after an error, dmar_unit_reset().
 */
const char *dmar_unit_stream_error(const DmarUnit *u);
void dmar_unit_post_load(DmarUnit *u);

/* ---- invalidation and the queue (dmar-unit.c) ---- */

/* Work the queue does per call before DMAR_ACT_QI_PENDING. */
#define DMAR_QI_BUDGET          1024
#define DMAR_QI_PROBES_PER_UNIT 16

/* Go on with a queue left pending (DMAR_ACT_QI_PENDING). */
unsigned dmar_unit_qi_continue(DmarUnit *u);

/*
 * The glue's work that queue runs left owed (DMAR_ACT_QI_OWED bits), and
 * in *GEN where it stands. A run may return DMAR_ACT_SWITCH_AS or
 * DMAR_ACT_IEC_NOTIFY to one caller while another runs the queue on (the
 * glue runs IQT writes without the BQL): the wait descriptors after it
 * are held until the glue, having done that work, calls
 * dmar_unit_owed_done() with the GEN it read before and the bits it did
 * (DONE). Work asked for since stays owed, whole.
 */
unsigned dmar_unit_owed(const DmarUnit *u, uint64_t *gen);
void dmar_unit_owed_done(DmarUnit *u, uint64_t gen, unsigned done);

/* ---- DMA and interrupts (dmar-unit-dma.c) ---- */

typedef struct DmarXlate {
    DmarTranslation t;      /* with ok: the page or block granted */
    DmarFault fault;        /* without ok: why */
    unsigned act;           /* DMAR_ACT_FAULT_EVENT */
    bool untranslated;      /* GSTS.TES clear: the identity, RW */
    /* Without ok: a protected memory region's page; no fault (§11.4.8.1) */
    bool pmr_blocked;
    bool hit;               /* answered from the IOTLB: did is its entry's */
    bool walked;            /* a walk succeeded: did is the domain's */
    uint16_t did;
} DmarXlate;

/*
 * Translate REQ, which needs permissions NEED (DMAR_PERM_*). A fault is
 * recorded only with RECORD.
 */
bool dmar_unit_translate(DmarUnit *u, const DmarRequest *req, uint8_t need,
                         bool record, DmarXlate *x);
/*
 * dmar_unit_translate()'s IOTLB hit, for a caller that does not hold the
 * lock serialising every other call here (dmar_iotlb_lookup_shared()):
 * true with T as dmar_unit_translate() would fill its X->t (a hit: no
 * action, nothing walked, translated), or, with cfg.run_answers, a run
 * of pages around it that the IOTLB holds alike (the same output for the
 * address, the same permissions); false, with T undefined, when only
 * dmar_unit_translate() can answer. Counts nothing.
 */
bool dmar_unit_translate_shared(DmarUnit *u, const DmarRequest *req,
                                uint8_t need, DmarTranslation *t);
/*
 * The domain tag (dmar_range_set_add()) of X's answer: the domain-id + 1
 * of the IOTLB entry or the walk that gave it, DMAR_RANGE_ANY when none
 * did (translation off)
 */
uint32_t dmar_xlate_domain_tag(const DmarXlate *x);
/*
 * The domain tag of what an IOTLB or PASID-based IOTLB invalidation
 * event EV removed: DMAR_RANGE_ANY for a global one (every domain), else
 * its domain-id + 1
 */
uint32_t dmar_inv_domain_tag(const DmarEvent *ev);
/* ... and with a hit, the domain-id of the IOTLB entry that answered */
bool dmar_unit_translate_shared_did(DmarUnit *u, const DmarRequest *req,
                                    uint8_t need, DmarTranslation *t,
                                    uint16_t *did);
/* Recompute shared_ok, after the registers changed (dmar-unit-dma.c) */
void dmar_unit_shared_update(DmarUnit *u);
/*
 * Untranslated DMA at ADDR at or above 2^HAW from SID: with translation
 * on, the pass-through context's fault 4h is recorded. Returns actions.
 */
unsigned dmar_unit_beyond(DmarUnit *u, uint16_t sid, uint64_t addr,
                          bool is_write);
/*
 * May SID's DMA bypass the unit (TES clear, a pass-through context, or in
 * scalable mode a pass-through RID_PASID entry)?
 * Not while a protected memory region is in force (PMEN.EPM with a
 * non-empty region), nor in abort-DMA mode: then every request must come
 * to dmar_unit_translate(), which blocks what it must.
 */
bool dmar_unit_bypass(DmarUnit *u, uint16_t sid);
/*
 * Does the unit treat every device's requests alike: translation and
 * interrupt remapping both off (GSTS.TES and IRES clear), no protected
 * memory region in force? Then DMA bypasses the unit, interrupt messages
 * pass as they come, and neither depends on the source-id, so devices may
 * share one untranslated address space.
 */
bool dmar_unit_sid_blind(DmarUnit *u);
/*
 * Is [ADDR, ADDR + 2 MiB-aligned block) protected now? PMEN.EPM set and
 * ADDR inside [PLMBASE, PLMLIMIT | 1FFFFFh] or the high one (§11.4.8).
 */
bool dmar_unit_pmr_protects(const DmarUnit *u, uint64_t addr);

/*
 * Caching mode: bring SH, the shadow of what SID's MAP notifiers were
 * told, in step with the tables over [FIRST, LAST] (dmar_shadow_sync():
 * OUT hears the UNMAPs, then the MAPs). Nothing is mapped unless
 * translation is on in legacy mode and SID's context entry walks; leaves
 * into a protected memory region in force are left out. Reads at most
 * DMAR_SHADOW_BUDGET entries (what is left is unmapped, and logged).
 * Returns the context's domain-id, or -1 when nothing is mapped.
 */
int32_t dmar_unit_shadow_sync(DmarUnit *u, uint16_t sid, DmarShadow *sh,
                              uint64_t first, uint64_t last,
                              DmarShadowOut *out, void *opaque,
                              DmarShadowStats *st);

/* What dmar_unit_probe() found. */
typedef enum DmarProbeMode {
    DMAR_PROBE_UNTRANSLATED,    /* GSTS.TES clear: the address as is */
    DMAR_PROBE_PASSTHROUGH,     /* the context entry passes it through */
    DMAR_PROBE_TRANSLATED,      /* the paging entries map it */
    DMAR_PROBE_FAULT,
    /*
     * The interrupt address range (§3.15): a write there is an interrupt
     * request (the glue hands it to dmar_unit_remap_irq()), a read gets
     * nothing; neither is translated.
     */
    DMAR_PROBE_INTERRUPT,
} DmarProbeMode;

typedef enum DmarProbeTable {
    DMAR_PROBE_ROOT,
    DMAR_PROBE_CONTEXT,
    DMAR_PROBE_SECOND_STAGE,
} DmarProbeTable;

/* One table entry a walk read (128-bit entries: lo and hi). */
typedef struct DmarProbeStep {
    DmarProbeTable table;
    uint8_t level;          /* paging entries: 5..1 */
    uint64_t gpa;
    uint64_t lo, hi;
} DmarProbeStep;

/* Root, context, and at most one entry per paging level. */
#define DMAR_PROBE_STEPS_MAX    (2 + DMAR_MAX_LEVELS)

typedef struct DmarProbe {
    DmarProbeMode mode;
    DmarTranslation t;      /* PASSTHROUGH, TRANSLATED: what is granted */
    uint8_t page_level;     /* TRANSLATED: the leaf's level in the tables */
    DmarFault fault;        /* FAULT: what would be reported */
    bool ctx_valid;         /* the context entry was usable: did is its */
    uint16_t did;
    unsigned nsteps;
    DmarProbeStep step[DMAR_PROBE_STEPS_MAX];
} DmarProbe;

/*
 * What translating REQ would do, from the tables as they are now: every
 * entry read on the way, and the result or the fault. Changes nothing:
 * neither cache is consulted or filled, no fault is recorded, no event
 * is emitted, and guest memory is only read.
 */
void dmar_unit_probe(DmarUnit *u, const DmarRequest *req, DmarProbe *p);

typedef struct DmarIntr {
    bool ok;                /* deliver; else blocked (and recorded) */
    bool remapped;          /* irq holds what to deliver; else addr/data */
    DmarIrq irq;
    unsigned act;           /* DMAR_ACT_FAULT_EVENT */
} DmarIntr;

/* The interrupt request (ADDR, DATA) from SID (VT-d chapter 5). */
bool dmar_unit_remap_irq(DmarUnit *u, uint64_t addr, uint32_t data,
                         uint16_t sid, DmarIntr *r);

#endif
