/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar: the glue's private state (vtd-dmar.c, dmar-acpi.c). The
 * remapping unit itself is s->unit (dmar-unit.h); everything else here is
 * what only QEMU needs. Not for use outside hw/i386/vtd-dmar/.
 */
#ifndef HW_I386_VTD_DMAR_INTERNAL_H
#define HW_I386_VTD_DMAR_INTERNAL_H

#include "exec/memory.h"
#include "hw/i386/x86-iommu.h"
#include "hw/i386/vtd-dmar.h"
#include "hw/pci/pci.h"
#include "qemu/thread.h"
#include "dmar-unit.h"

#define DMAR_MSI_BASE       0xfee00000ull
#define DMAR_MSI_SIZE       0x100000ull

/* The glue's own action: IOMMU notifiers have ranges pending. */
#define DMAR_ACT_UNMAP      (DMAR_ACT_UNIT_MASK + 1)

/*
 * How a device's requests reach memory: through the unit's IOMMU region
 * (translated); through aliases of its own, which still know its
 * source-id (untranslated: a pass-through context, or translation off
 * with interrupt remapping on); or through the address space every such
 * device of the unit shares (the unit is blind to source-ids:
 * dmar_unit_sid_blind()). Sharing it saves QEMU a flat view of all of
 * memory per device, rebuilt at every memory transaction (BAR and PAM
 * changes: the firmware's and the guest's boot).
 */
typedef enum DmarDasPath {
    DMAR_DAS_TRANSLATED,
    DMAR_DAS_UNTRANSLATED,
    DMAR_DAS_SHARED,
} DmarDasPath;

typedef struct DmarDevAS {
    DmarState *unit;
    PCIBus *bus;            /* NULL for the IOAPIC: fixed_sid then */
    uint8_t devfn;
    uint16_t fixed_sid;
    AddressSpace as;
    /* container: iommu, or nodmar and beyond, with msi; or shared_as */
    MemoryRegion root;
    IOMMUMemoryRegion iommu;    /* translated DMA */
    MemoryRegion nodmar;        /* untranslated DMA: alias of downstream */
    MemoryRegion beyond;        /* untranslated DMA above 2^aw-bits */
    MemoryRegion msi;           /* 0xFEEx_xxxx writes are interrupts */
    MemoryRegion shared_as;     /* alias of the unit's shared_as_root */
    DmarDasPath path;           /* which of the above are enabled */
    /*
     * IOMMU notifiers (UNMAP: vhost) keep translations we returned. The
     * domain they came from decides which IOTLB invalidations they must
     * hear of: DMAR_DAS_DID_NONE (nothing translated since the device's
     * IOTLB entries were last all dropped), one domain-id, or
     * DMAR_DAS_DID_MIXED (more than one: every invalidation). @lock.
     */
    /* on unit->unmap_list (changed under the BQL and @lock) */
    QLIST_ENTRY(DmarDevAS) unmap_next;
    bool has_unmap;
    int32_t did;
    /*
     * MAP notifiers (vfio, caching mode): what they were told (BQL and
     * @lock), and
     * the domain-id of the context at the last sync (-1: none), whose
     * invalidations resync it (@lock).
     */
    bool has_map;
    DmarShadow shadow;
    int32_t map_did;
    bool has_devtlb;            /* DEVIOTLB_UNMAP notifiers (vhost, ATS) */
    /*
     * IOTLB hits without the lock, for query-vtd-dmar: those of the
     * thread that took the first (@hit_owner, the address of a
     * thread-local that no other live thread shares) in @owner_hits,
     * which only that thread writes, with no locked instruction; those
     * of any other thread in @shared_hits (atomic).
     */
    const void *hit_owner;
    uint64_t owner_hits;
    uint64_t shared_hits;
} DmarDevAS;

#define DMAR_DAS_DID_NONE   (-1)
#define DMAR_DAS_DID_MIXED  (-2)

/* One range a device's UNMAP notifiers must hear of. */
typedef struct DmarUnmap {
    DmarDevAS *das;
    uint64_t first, last;
    bool devtlb;            /* a device-TLB invalidation (DEVIOTLB_UNMAP) */
} DmarUnmap;

/* Pending ranges beyond this become "every device, everything". */
#define DMAR_UNMAP_PENDING_MAX  256

/* A VTD_DMAR_FAULT event waiting for the bottom half (dmar-qmp.c). */
typedef struct DmarFaultEvent {
    DmarFault f;
    bool recorded;          /* it went into a fault recording register */
    uint64_t suppressed;    /* events dropped since the previous one */
} DmarFaultEvent;

/* A reserved memory region reported for a device (rmrr property) */
typedef struct DmarRmrr {
    char *device;           /* as the property names it */
    uint64_t base, limit;   /* first and last byte */
    PCIDevice *dev;         /* found once the machine is done */
} DmarRmrr;

/* The rate limit: events per unit and second, and queued at most. */
#define DMAR_FAULT_EVENTS_PER_S         32
#define DMAR_FAULT_EVENTS_QUEUED_MAX    256

struct DmarState {
    X86IOMMUState parent_obj;

    /* Properties */
    uint8_t aw_bits;            /* guest address width: 39, 48 or 57 */
    uint32_t nfr;               /* fault recording registers, 1..256 */
    bool caching_mode;          /* CAP.CM */
    bool dma_drain;             /* CAP.DRD/DWD */
    OnOffAuto eim;              /* x2APIC interrupt remapping */
    uint32_t iotlb_entries;
    uint32_t ctx_entries;
    bool verify_iotlb;          /* x-verify-iotlb: re-walk on IOTLB hits */
    bool run_answers;           /* x-run-answers: runs of pages at once */
    bool dma_translation;       /* off: CAP.SAGAW 0 (interrupts only) */
    bool snoop_control;         /* ECAP.SC: SNP allowed in leaf entries */
    bool stale_tm;              /* TM allowed in leaves with device-TLBs */
    bool pmr;                   /* CAP.PLMR/PHMR */
    uint64_t pmr_low_base, pmr_low_limit;   /* ... reset values */
    uint64_t pmr_high_base, pmr_high_limit;
    bool pmr_enable;            /* PMEN.EPM/PRS at reset */
    bool abort_dma;             /* abort-dma-mode: ECAP.ADMS */
    uint32_t version;           /* intel-iommu's; no effect (warned) */
    bool buggy_eim;             /* x-buggy-eim: no effect (warned) */
    bool fs1gp;                 /* first-stage 1 GiB pages: with fsts */
    bool scalable_mode;         /* scalable-mode, alias x-scalable-mode */
    bool fsts;                  /* fsts, alias x-flts: first stage */
    bool ssts;                  /* ssts: second stage */
    uint8_t pasid_bits;         /* pasid-bits: ECAP.PASID, PSS */
    bool pasid_mode;            /* x-pasid-mode: pasid-bits 20 */
    /* Not implemented yet: refused unless off (vtd-dmar.c) */
    bool svm;                   /* svm */
    PCIBus *pci_bus;            /* link set by the board: pcie.0 */
    MemoryRegion *downstream;   /* link set by the board: system memory */
    PCIBus *primary_bus;        /* the root bus covered; NULL: the rest */
    uint32_t num_rmrr;
    char **rmrr;                /* "DEVICE:BASE:LIMIT" (dmar-platform.c) */
    bool platform_opt_in;       /* DMAR table's DMA_CTRL_PLATFORM_OPT_IN */

    /* Runtime state, BQL unless noted */
    unsigned index;             /* 0: covers the rest; else 1.. in order */
    DmarRmrr *rmrrs;            /* num_rmrr of them */
    Notifier machine_done;
    MemoryRegion mmio;
    uint32_t mmio_size;
    AddressSpace downstream_as;
    MemoryRegion nodmar_mr;     /* shared alias target for nodmar */
    /* what DMAR_DAS_SHARED devices see: nodmar_mr and shared_as_msi */
    MemoryRegion shared_as_root;
    MemoryRegion shared_as_msi;
    GHashTable *dev_as;         /* (bus, devfn) -> DmarDevAS */
    DmarDevAS *ioapic_as;
    QEMUBH *qi_bh;              /* the queue's continuation */

    /*
     * @lock serialises every call into @unit (translate may run outside
     * the BQL) and guards the pending UNMAP ranges. Interrupt messages
     * are sent, and notifiers called, after dropping it.
     */
    QemuMutex lock;
    DmarUnit unit;
    /*
     * Devices with UNMAP notifiers (changed under the BQL and @lock), and
     * what they must hear (@lock)
     */
    QLIST_HEAD(, DmarDevAS) unmap_list;
    GArray *unmap_pending;      /* of DmarUnmap */
    bool unmap_all;             /* pending: every device, whole range */
    bool devtlb_all;            /* ... and every device-TLB, whole range */
    /*
     * dmar_unmap_flush() is telling them (@lock): waits are held until it
     * is done, also for queue runs on other vCPUs (without the BQL)
     */
    unsigned unmap_flushing;
    /*
     * An IOTLB invalidation since the last drain (@lock): DMA translated
     * under the BQL may not be drained (dmar_unit_notify_pending())
     */
    bool drain_pending;
    /*
     * The last hold of the BQL in which a device translated DMA, written
     * by dmar_translate_cb() holding the BQL, read by
     * dmar_unit_notify_pending() with a sequence count: @bql_dma_seq is
     * odd while a translation is under way (@bql_dma_depth of them, one
     * inside another; BQL); @bql_dma_end is the bql_releases() count once
     * that hold has ended; @bql_dma the addresses (IOVA) of the answers
     * given in that hold, each with its domain (dmar_xlate_domain_tag()).
     */
    uint32_t bql_dma_seq;
    unsigned bql_dma_depth;
    unsigned long bql_dma_end;
    DmarRangeSet bql_dma;
    /*
     * What the drain owed waits for: the IOVAs invalidated, each with its
     * domain (dmar_inv_domain_tag()) (@lock)
     */
    DmarRangeSet drain_iova;
    /* How many such holds there were, for query-vtd-dmar (BQL) */
    uint64_t bql_dma_holds;
    /*
     * Drains for query-vtd-dmar (@lock): done by a run holding the BQL;
     * by a run without it: with no such DMA still on its way, with none
     * to an invalidated address (spared), found the BQL free, held for
     * want of any; held waiting for a translation under way (busy)
     */
    uint64_t drains_bql, drains_quiet, drains_spared, drains_free;
    uint64_t drains_held, drains_busy;
    /* The time the callers of held ones waited (@lock) */
    uint64_t drains_held_ns;
    /* Queue runs for query-vtd-dmar (@lock): all, those in qi_bh */
    uint64_t qi_runs, qi_deferred_runs;
    bool qi_in_bh;

    /* VTD_DMAR_FAULT events (dmar-qmp.c); @lock */
    QEMUBH *fault_bh;           /* sends them */
    GArray *fault_events;       /* of DmarFaultEvent, to send */
    int64_t fault_window;       /* when the rate window began (ns) */
    uint32_t fault_window_sent; /* events queued in it */
    uint64_t fault_events_sent, fault_events_suppressed;
    uint64_t fault_suppressed_since;    /* since the last one queued */
    DmarFault fault_last;       /* the last fault an event was queued for */
    int64_t fault_last_time;    /* ... when (ns); valid if fault_last.fr */
};

/* dmar-platform.c: several units on one machine, and their RMRRs. */
GSList *dmar_units(void);
PCIBus *dmar_root_bus(PCIBus *bus);
DmarState *dmar_bus_unit(PCIBus *bus);
DmarState *dmar_sid_unit(DmarState *default_unit, uint16_t sid);
bool dmar_platform_realize(DmarState *s, Error **errp);

/* dmar-qmp.c: the monitor's view. */
void dmar_qmp_init(DmarState *s);
/* A fault the unit reported: maybe a VTD_DMAR_FAULT event (@lock held). */
void dmar_qmp_fault_locked(DmarState *s, const DmarFault *f,
                           DmarFaultOutcome outcome);

#endif
