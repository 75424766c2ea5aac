/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar: device state shared by the glue files (vtd-dmar.c,
 * dmar-mmio.c, dmar-acpi.c). Not for use outside hw/i386/vtd-dmar/.
 */
#ifndef HW_I386_VTD_DMAR_INTERNAL_H
#define HW_I386_VTD_DMAR_INTERNAL_H

#include "exec/memory.h"
#include "hw/i386/x86-iommu.h"
#include "hw/i386/vtd-dmar.h"
#include "hw/pci/pci.h"
#include "qapi/qapi-types-run-state.h"
#include "qemu/thread.h"
#include "dmar-cache.h"
#include "dmar-core.h"
#include "dmar-fault.h"
#include "dmar-ir.h"

#define DMAR_NFR_MAX        256
/* Largest register window: FRCDs follow the fixed registers. */
#define DMAR_REGS_MAX       (DMAR_FRO_OFFSET + DMAR_NFR_MAX * DMAR_FRCD_SIZE)
#define DMAR_MSI_BASE       0xfee00000ull
#define DMAR_MSI_SIZE       0x100000ull

#define DMAR_IEC_ENTRIES    256     /* interrupt entry cache, direct-mapped */

typedef struct DmarIecEntry {
    uint64_t lo, hi;        /* the IRTE as read */
    uint32_t index;
    bool valid;
} DmarIecEntry;

typedef struct DmarDevAS {
    DmarState *unit;
    PCIBus *bus;            /* NULL for the IOAPIC: fixed_sid then */
    uint8_t devfn;
    uint16_t fixed_sid;
    AddressSpace as;
    MemoryRegion root;          /* container: one of iommu/nodmar + msi */
    IOMMUMemoryRegion iommu;    /* translated DMA */
    MemoryRegion nodmar;        /* untranslated DMA: alias of downstream */
    MemoryRegion beyond;        /* untranslated DMA above 2^aw-bits */
    MemoryRegion msi;           /* 0xFEEx_xxxx writes are interrupts */
    bool translated;            /* which of iommu/nodmar is enabled */
    /*
     * IOMMU notifiers (UNMAP: vhost) keep translations we returned. The
     * domain they came from decides which IOTLB invalidations they must
     * hear of: DMAR_DAS_DID_NONE (nothing translated since the device's
     * IOTLB entries were last all dropped), one domain-id, or
     * DMAR_DAS_DID_MIXED (more than one: every invalidation). @lock.
     */
    QLIST_ENTRY(DmarDevAS) unmap_next;  /* on unit->unmap_list (BQL) */
    bool has_unmap;
    int32_t did;
} DmarDevAS;

#define DMAR_DAS_DID_NONE   (-1)
#define DMAR_DAS_DID_MIXED  (-2)

/* One range a device's UNMAP notifiers must hear of. */
typedef struct DmarUnmap {
    DmarDevAS *das;
    uint64_t first, last;
} DmarUnmap;

/* Pending ranges beyond this become "every device, everything". */
#define DMAR_UNMAP_PENDING_MAX  256

struct DmarState {
    X86IOMMUState parent_obj;

    /* Properties */
    uint8_t aw_bits;            /* guest address width: 39, 48 or 57 */
    uint32_t nfr;               /* fault recording registers, 1..256 */
    bool caching_mode;          /* CAP.CM */
    bool dma_drain;             /* CAP.DRD/DWD */
    OnOffAuto eim;              /* x2APIC interrupt remapping (later) */
    uint32_t iotlb_entries;
    uint32_t ctx_entries;
    bool verify_iotlb;          /* x-verify-iotlb: re-walk on IOTLB hits */
    bool dma_blocks;            /* x-dma-blocks: contiguous-block answers */
    bool dma_translation;       /* off: CAP.SAGAW 0 (interrupts only) */
    bool snoop_control;         /* ECAP.SC: SNP allowed in leaf entries */
    bool stale_tm;              /* TM allowed in leaves with device-TLBs */
    uint32_t version;           /* intel-iommu's; no effect (warned) */
    bool buggy_eim;             /* x-buggy-eim: no effect (warned) */
    bool fs1gp;                 /* first-stage 1 GiB pages: with fsts */
    /* Features not implemented yet: refused unless off (vtd-dmar.c) */
    bool scalable_mode;         /* scalable-mode, alias x-scalable-mode */
    bool fsts;                  /* fsts, alias x-flts */
    uint8_t pasid_bits;         /* pasid-bits */
    bool pasid_mode;            /* x-pasid-mode */
    bool svm;                   /* svm */
    PCIBus *pci_bus;            /* link set by the board */
    MemoryRegion *downstream;   /* link set by the board: system memory */

    /* Runtime state, BQL unless noted */
    MemoryRegion mmio;
    uint32_t mmio_size;
    AddressSpace downstream_as;
    MemoryRegion nodmar_mr;     /* shared alias target for nodmar */
    GHashTable *dev_as;         /* (bus, devfn) -> DmarDevAS */
    DmarHwConfig hw;            /* from CAP/ECAP, fixed at realize */

    /*
     * @lock guards everything translate() touches, which may run outside
     * the BQL: @regs (MMIO handlers take it too), @root, @flog, @iotlb,
     * @ctx_cache. Interrupt messages are sent after dropping it.
     */
    QemuMutex lock;
    uint8_t regs[DMAR_REGS_MAX];    /* little-endian register file */
    uint64_t root;              /* RTADDR as latched by GCMD.SRTP */
    DmarFaultLog flog;
    DmarIotlb iotlb;
    DmarCtxCache ctx_cache;
    uint64_t irta_raw;          /* IRTA as latched by GCMD.SIRTP */
    DmarIrtaConfig irta;        /* ... decoded (derived from irta_raw) */
    DmarIecEntry iec[DMAR_IEC_ENTRIES];
    bool eim_on;                /* ECAP.EIM, decided at realize */
    DmarDevAS *ioapic_as;
    QEMUBH *qi_bh;              /* the queue's continuation (dmar-inv.c) */
    /* Devices with UNMAP notifiers (BQL), and what they must hear (@lock) */
    QLIST_HEAD(, DmarDevAS) unmap_list;
    GArray *unmap_pending;      /* of DmarUnmap */
    bool unmap_all;             /* pending: every device, whole range */
};

/* What a register hook asks the caller to do once the lock is dropped. */
enum {
    DMAR_ACT_FAULT_EVENT = 1,   /* send the fault event message */
    DMAR_ACT_SWITCH_AS = 2,     /* re-evaluate per-device address spaces */
    DMAR_ACT_INV_EVENT = 4,     /* send the invalidation event message */
    DMAR_ACT_IEC_NOTIFY = 8,    /* interrupt entries changed: notify */
    DMAR_ACT_UNMAP = 16,        /* IOMMU notifiers have ranges pending */
};

/* dmar-inv.c: invalidation, register-based and queued (lock held) */
void dmar_inv_all_locked(DmarState *s);
unsigned dmar_inv_context_locked(DmarState *s, unsigned gran, uint16_t did,
                                 uint16_t sid, unsigned fm);
unsigned dmar_inv_iotlb_locked(DmarState *s, unsigned gran, uint16_t did,
                               uint64_t addr, unsigned am);
unsigned dmar_qi_run_locked(DmarState *s);
/* The queue's continuation, and its restart when the VM runs (BQL) */
void dmar_qi_bh(void *opaque);
void dmar_qi_vm_state_change(void *opaque, bool running, RunState state);
void dmar_inv_event_status_update(DmarState *s);
bool dmar_inv_event_unmasked(DmarState *s);
bool dmar_write_guest(void *opaque, uint64_t gpa, const void *buf,
                      size_t len);

/* dmar-intr.c: interrupt delivery and remapping */
extern const MemoryRegionOps dmar_msi_ops;
void dmar_iec_flush_locked(DmarState *s, bool global, uint32_t index,
                           unsigned im);
void dmar_irta_latch_locked(DmarState *s);
void dmar_irta_from_raw(DmarState *s);
int dmar_int_remap(X86IOMMUState *iommu, MSIMessage *src, MSIMessage *dst,
                   uint16_t sid);

/* dmar-mmio.c */
extern const MemoryRegionOps dmar_mmio_ops;
/* Do what DMAR_ACT_* bits ask, with @lock dropped (BQL held). */
void dmar_run_actions(DmarState *s, unsigned act);
void dmar_regs_reset(DmarState *s);
uint64_t dmar_cap_value(DmarState *s);
uint64_t dmar_ecap_value(DmarState *s);
uint32_t dmar_get32(DmarState *s, uint32_t off);
uint64_t dmar_get64(DmarState *s, uint32_t off);
void dmar_set32(DmarState *s, uint32_t off, uint32_t v);
void dmar_set64(DmarState *s, uint32_t off, uint64_t v);

/* vtd-dmar.c */
uint16_t dmar_das_sid(DmarDevAS *das);
void dmar_report_fault_locked(DmarState *s, const DmarFault *f, bool *send);
bool dmar_read_guest(void *opaque, uint64_t gpa, void *buf, size_t len);
DmarCasResult dmar_cmpxchg64_guest(void *opaque, uint64_t gpa,
                                   uint64_t *expected, uint64_t desired);
/* Guest memory for the core: opaque is the DmarState */
extern const DmarMemOps dmar_guest_mem_ops;
void dmar_send_msi(DmarState *s, uint32_t addr_reg, uint32_t data_reg);
/* Re-evaluate which devices bypass translation (BQL, not @lock). */
void dmar_update_address_spaces(DmarState *s);
/*
 * What an invalidation covers, for the devices whose UNMAP notifiers keep
 * translations (BQL and @lock held): every device and address (and
 * IOTLB_DROPPED: the IOTLB is empty now); devices SID matches under
 * SID_MASK, every address (their IOTLB entries were dropped); the devices
 * that may hold translations of domain DID, addresses [FIRST, LAST]. The
 * ranges go out with dmar_unmap_flush() once @lock is dropped;
 * dmar_unmap_pending_locked() says whether there are any (DMAR_ACT_UNMAP).
 */
void dmar_unmap_all_locked(DmarState *s, bool iotlb_dropped);
void dmar_unmap_sid_locked(DmarState *s, uint16_t sid, uint16_t sid_mask);
void dmar_unmap_did_locked(DmarState *s, uint16_t did, uint64_t first,
                           uint64_t last);
bool dmar_unmap_pending_locked(DmarState *s);
void dmar_unmap_flush(DmarState *s);

#endif
