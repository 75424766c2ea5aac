/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar queued invalidation (VT-d §6.5.2): descriptor decode and the
 * queue walker. Pure: guest memory through DmarMem, the effects of each
 * descriptor through DmarQiOps, no locks, no QEMU device state.
 */
#ifndef HW_I386_VTD_DMAR_QI_H
#define HW_I386_VTD_DMAR_QI_H

#include "dmar-core.h"

/*
 * Descriptor types (§6.5.2.1-§6.5.2.8). With IQA.DW = 1 every descriptor
 * is 256 bits; these types then keep their 128-bit layout in the low half
 * and must have the upper half zero.
 */
#define DMAR_QI_CC          0x1     /* context-cache invalidate */
#define DMAR_QI_IOTLB       0x2     /* IOTLB invalidate */
#define DMAR_QI_DEVTLB      0x3     /* device-TLB invalidate */
#define DMAR_QI_IEC         0x4     /* interrupt entry cache invalidate */
#define DMAR_QI_WAIT        0x5     /* invalidation wait */
/* Scalable mode only (ECAP.SMTS; §6.5.2.4, §6.5.2.2, §6.5.2.6) */
#define DMAR_QI_PIOTLB      0x6     /* PASID-based IOTLB invalidate */
#define DMAR_QI_PC          0x7     /* PASID-cache invalidate */
#define DMAR_QI_PDEVTLB     0x8     /* PASID-based device-TLB invalidate */

FIELD(QI_LO, TYPE, 0, 4)
FIELD(QI_LO, TYPE_HI, 9, 3)
/* context-cache */
FIELD(QI_CC, G, 4, 2)
FIELD(QI_CC, DID, 16, 16)
FIELD(QI_CC, SID, 32, 16)
FIELD(QI_CC, FM, 48, 2)
#define DMAR_QI_CC_LO_RSVD      0xfffc00000000f1c0ull
/* IOTLB */
FIELD(QI_IOTLB, G, 4, 2)
FIELD(QI_IOTLB, DW, 6, 1)
FIELD(QI_IOTLB, DR, 7, 1)
FIELD(QI_IOTLB, DID, 16, 16)
#define DMAR_QI_IOTLB_LO_RSVD   0xffffffff0000f100ull
FIELD(QI_IOTLB_HI, AM, 0, 6)
FIELD(QI_IOTLB_HI, IH, 6, 1)
FIELD(QI_IOTLB_HI, ADDR, 12, 52)
#define DMAR_QI_IOTLB_HI_RSVD   0x0000000000000f80ull
/* device-TLB (§6.5.2.5): PFSID is split, bits 15:12 and 63:52 */
FIELD(QI_DEVTLB, PFSID_LO, 12, 4)
FIELD(QI_DEVTLB, MIP, 16, 5)
FIELD(QI_DEVTLB, SID, 32, 16)
FIELD(QI_DEVTLB, PFSID_HI, 52, 12)
#define DMAR_QI_DEVTLB_LO_RSVD  0x000f0000ffe001f0ull
FIELD(QI_DEVTLB_HI, S, 0, 1)
FIELD(QI_DEVTLB_HI, ADDR, 12, 52)
#define DMAR_QI_DEVTLB_HI_RSVD  0x0000000000000ffeull
/* interrupt entry cache */
FIELD(QI_IEC, G, 4, 1)              /* 0: global, 1: index-selective */
FIELD(QI_IEC, IM, 27, 5)
FIELD(QI_IEC, IIDX, 32, 16)
#define DMAR_QI_IEC_LO_RSVD     0xffff000007fff1e0ull
/* invalidation wait */
FIELD(QI_WAIT, IF, 4, 1)
FIELD(QI_WAIT, SW, 5, 1)
FIELD(QI_WAIT, FN, 6, 1)
FIELD(QI_WAIT, PD, 7, 1)
FIELD(QI_WAIT, SDATA, 32, 32)
#define DMAR_QI_WAIT_LO_RSVD    0x00000000fffff100ull
#define DMAR_QI_WAIT_HI_RSVD    0x0000000000000003ull
/* PASID-based IOTLB (granularity 2: all in PASID, 3: page-selective) */
FIELD(QI_PIOTLB, G, 4, 2)
FIELD(QI_PIOTLB, DID, 16, 16)
FIELD(QI_PIOTLB, PASID, 32, 20)
#define DMAR_QI_PIOTLB_LO_RSVD  0xfff000000000f1c0ull
#define DMAR_QI_PIOTLB_HI_RSVD  0x0000000000000f80ull
#define DMAR_PIOTLB_ALL         2
#define DMAR_PIOTLB_PAGE        3
/* PASID cache (granularity 0: domain, 1: PASID, 3: global) */
FIELD(QI_PC, G, 4, 2)
FIELD(QI_PC, DID, 16, 16)
FIELD(QI_PC, PASID, 32, 20)
#define DMAR_QI_PC_LO_RSVD      0xfff000000000f1c0ull
#define DMAR_PC_DOMAIN          0
#define DMAR_PC_PASID           1
#define DMAR_PC_GLOBAL          3
/* PASID-based device-TLB */
FIELD(QI_PDEVTLB, MIP, 4, 5)
FIELD(QI_PDEVTLB, PFSID_LO, 12, 4)
FIELD(QI_PDEVTLB, SID, 16, 16)
FIELD(QI_PDEVTLB, PASID, 32, 20)
FIELD(QI_PDEVTLB, PFSID_HI, 52, 12)
FIELD(QI_PDEVTLB_HI, G, 0, 1)
FIELD(QI_PDEVTLB_HI, S, 11, 1)
FIELD(QI_PDEVTLB_HI, ADDR, 12, 52)
#define DMAR_QI_PDEVTLB_HI_RSVD 0x00000000000007feull

typedef struct DmarQiDesc {
    uint8_t type;
    uint8_t gran;           /* CC/IOTLB granularity; IEC: 0 global, 1 index */
    uint16_t did;
    uint16_t sid;           /* CC: source-id; device-TLB: the device's */
    uint8_t fm;
    /* IOTLB page address; device-TLB ADDR; wait status address */
    uint64_t addr;
    uint8_t am;             /* IOTLB address mask; IEC index mask */
    bool ih, dr, dw;
    uint16_t index;         /* IEC interrupt index */
    bool wait_if, wait_sw, wait_fn;
    uint32_t sdata;
    uint16_t pfsid;         /* device-TLB: the physical function's SID */
    uint8_t mip;            /* device-TLB: max invalidations pending */
    bool size;              /* device-TLB: S, ADDR encodes a range */
    uint32_t pasid;         /* PASID-based types */
    bool global;            /* PASID-based device-TLB: every PASID */
} DmarQiDesc;

/* What the unit offers that changes which descriptors are valid. */
typedef struct DmarQiCaps {
    bool ir;                /* ECAP.IR: IEC descriptors */
    bool dt;                /* ECAP.DT: device-TLB descriptors (type 3) */
    bool sm;                /* ECAP.SMTS: types 6, 7 (and 8 with dt) */
} DmarQiCaps;

/*
 * Why the queue stopped: IQERCD.IQEI (VT-d §11.4.9.9). 0 is "information
 * not available", for errors the field has no code for.
 */
typedef enum DmarIqei {
    DMAR_IQEI_NONE = 0,
    DMAR_IQEI_TAIL = 1,         /* invalid tail pointer */
    DMAR_IQEI_FETCH = 2,        /* a descriptor fetch failed */
    DMAR_IQEI_TYPE = 3,         /* invalid descriptor type */
    DMAR_IQEI_RSVD = 4,         /* reserved field set in a valid type */
    DMAR_IQEI_DW = 5,           /* descriptor width not supported */
    DMAR_IQEI_TAIL_DW = 6,      /* tail not aligned to the width */
    DMAR_IQEI_TTM = 7,          /* invalid RTADDR.TTM */
} DmarIqei;

/*
 * Decode a descriptor, DESC[0..1] (and with DW256, DESC[2..3]: the upper
 * 128 bits of a 256-bit descriptor) in host order; false if its type or
 * reserved bits say no, with the IQEI code in *WHY (if WHY is not NULL).
 */
bool dmar_qi_decode(const DmarQiCaps *caps, const uint64_t desc[4],
                    bool dw256, DmarQiDesc *d, DmarIqei *why);

/*
 * The addresses [*FIRST, *LAST] a valid device-TLB descriptor D
 * invalidates (§6.5.2.5): with S clear the 4 KiB page at ADDR; with S
 * set, the lowest clear bit of ADDR[63:12], at 12 + k, makes it the
 * naturally aligned 2^(13 + k) bytes around ADDR, and ADDR[63:12] all
 * ones means every address.
 */
void dmar_qi_devtlb_range(const DmarQiDesc *d, uint64_t *first,
                          uint64_t *last);

/*
 * The effects of valid descriptors, called in queue order. Each returns
 * the work it did beyond the descriptor itself, in the units of
 * DmarQiRun.budget (e.g. one per 16 cache sets probed).
 */
typedef struct DmarQiOps {
    unsigned (*context)(void *opaque, const DmarQiDesc *d);
    unsigned (*iotlb)(void *opaque, const DmarQiDesc *d);
    unsigned (*iec)(void *opaque, const DmarQiDesc *d);
    unsigned (*devtlb)(void *opaque, const DmarQiDesc *d);  /* 3 and 8 */
    unsigned (*pasid_iotlb)(void *opaque, const DmarQiDesc *d);     /* sm */
    unsigned (*pasid_cache)(void *opaque, const DmarQiDesc *d);     /* sm */
    /*
     * May a wait descriptor complete now, or must what the descriptors
     * before it asked for (in this call or an earlier one) be carried
     * out first (NULL: it may)? With false the walk stops at the wait
     * descriptor (DMAR_QI_PENDING, head on it), the first of the call
     * too.
     */
    bool (*wait_ready)(void *opaque);
} DmarQiOps;

typedef enum DmarQiStatus {
    DMAR_QI_DONE,           /* head reached tail */
    DMAR_QI_ERROR,          /* stopped: IQE (head at the bad descriptor) */
    DMAR_QI_PENDING,        /* budget used up, or a wait not ready yet */
} DmarQiStatus;

typedef struct DmarQiRun {
    uint32_t head;          /* in: first descriptor; out: where it stopped */
    uint32_t budget;        /* in: work allowed (one descriptor at least) */
    uint32_t processed;     /* out: descriptors completed */
    uint32_t work;          /* out: work done (may pass budget by one op) */
    bool wait_irq;          /* a wait descriptor asked for IWC (IF=1) */
    /* out, with DMAR_QI_PENDING: stopped at a wait that wait_ready held */
    bool wait_held;
    DmarIqei iqei;          /* out, with DMAR_QI_ERROR */
} DmarQiRun;

/*
 * Process descriptors [run->head, tail) of the queue at BASE holding
 * ENTRIES 128-bit slots, until head meets tail, a descriptor is bad, or
 * the work done reaches run->budget (each descriptor is one unit, plus
 * what its op returns): call again with the new head to go on. ENTRIES,
 * TAIL and run->head count 128-bit slots (as IQH.QH and IQT.QT do); with
 * DW256 each descriptor takes two, and a head or tail with bit 0 set is
 * an error (IQEI 6). At most one pass over the queue per call, whatever
 * the guest wrote. A fetch never wraps past 2^64: a queue that would is
 * an error (IQEI 2). TAIL >= ENTRIES is an error (IQEI 1). The wait
 * descriptor's status goes out through MEM's write.
 */
DmarQiStatus dmar_qi_process(const DmarQiCaps *caps, uint64_t base,
                             uint32_t entries, bool dw256, uint32_t tail,
                             const DmarMem *mem, const DmarQiOps *ops,
                             void *ops_opaque, DmarQiRun *run);

#endif
