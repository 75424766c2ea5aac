/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vtd-dmar tests' view of VT-d: register offsets and fields, the
 * in-memory formats (legacy mode), invalidation descriptors, IRTEs,
 * fault reasons, and the guest addresses the tests put their tables,
 * queues and data at. Written out from the VT-d specification (revision
 * 4.1, chapters 5, 6, 7, 9 and 11), not taken from the device's
 * dmar-regs.h: the tests check the unit against the spec.
 *
 * Only #defines and the fault reasons' names: both the qtests (through
 * libqos/vtd-dmar.h) and the unit tests (through
 * tests/unit/dmar-unit-fixture.h) include it, so it needs nothing from
 * QEMU or libqos.
 */
#ifndef TESTS_LIBQOS_VTD_DMAR_DEFS_H
#define TESTS_LIBQOS_VTD_DMAR_DEFS_H

/* ---- the unit's registers (VT-d chapter 11) ---- */

#define DMAR_BASE       0xfed90000ull

#define REG_VER         0x00
#define REG_CAP         0x08
#define CAP_PLMR        (1ull << 5)     /* protected low-memory region */
#define CAP_PHMR        (1ull << 6)     /* protected high-memory region */
#define REG_ECAP        0x10
#define REG_GCMD        0x18
#define REG_GSTS        0x1c
#define REG_RTADDR      0x20
#define REG_CCMD        0x28
#define REG_FSTS        0x34
#define REG_FECTL       0x38
#define REG_FEDATA      0x3c
#define REG_FEADDR      0x40
#define REG_FEUADDR     0x44
#define REG_AFLOG       0x58
#define REG_PMEN        0x64
#define PMEN_EPM        (1u << 31)      /* enable protected memory */
#define PMEN_PRS        1u              /* protected region status */
#define ECAP_ADMS       (1ull << 52)    /* abort-DMA mode supported */
#define TTM(t)          ((uint64_t)(t) << 10)   /* RTADDR.TTM */
#define REG_PLMBASE     0x68
#define REG_PLMLIMIT    0x6c
#define REG_PHMBASE     0x70
#define REG_PHMLIMIT    0x78
#define REG_IQH         0x80
#define REG_IQT         0x88
#define REG_IQA         0x90
#define REG_ICS         0x9c
#define REG_IECTL       0xa0
#define REG_IEDATA      0xa4
#define REG_IEADDR      0xa8
#define REG_IEUADDR     0xac
#define REG_IQERCD      0xb0
#define REG_IRTA        0xb8
#define REG_IVA         0x100
#define REG_IOTLB       0x108
#define REG_FRCD(i)     (0x200 + 16 * (i))

/* Words 0x000..0x27f: every register with the default 8 fault records */
#define SNAP_WORDS      (0x280 / 4)

#define GCMD_TE         (1u << 31)
#define GCMD_SRTP       (1u << 30)
#define GCMD_QIE        (1u << 26)
#define GCMD_IRE        (1u << 25)
#define GCMD_SIRTP      (1u << 24)
#define GCMD_CFI        (1u << 23)
/* Commands this unit does not offer: WBF, EAFL, SFL */
#define GCMD_UNOFFERED  0x38000000u
#define GSTS_TES        (1u << 31)
#define GSTS_RTPS       (1u << 30)
#define GSTS_QIES       (1u << 26)
#define GSTS_IRES       (1u << 25)
#define GSTS_IRTPS      (1u << 24)
#define GSTS_CFIS       (1u << 23)

#define ECAP_QI         (1ull << 1)
#define ECAP_IR         (1ull << 3)
#define ECAP_EIM        (1ull << 4)
#define ECAP_MHMV(m)    ((uint64_t)(m) << 20)

#define IRTA_EIME       (1ull << 11)

#define CCMD_ICC        (1ull << 63)
#define CCMD_CIRG(g)    ((uint64_t)(g) << 61)
#define CCMD_CAIG(v)    (((v) >> 59) & 3)
#define CCMD_FM(m)      ((uint64_t)(m) << 32)
#define CCMD_SID(s)     ((uint64_t)(s) << 16)
#define CCMD_DID(d)     ((uint64_t)(d))

#define FSTS_PFO        0x1u
#define FSTS_PPF        0x2u
#define FSTS_IQE        0x10u
#define FSTS_FRI(i)     ((uint32_t)(i) << 8)

#define FECTL_IM        (1u << 31)
#define FECTL_IP        (1u << 30)

#define ICS_IWC         0x1u
#define IECTL_IM        (1u << 31)
#define IECTL_IP        (1u << 30)

#define IVA_AM(am)      ((uint64_t)(am))
#define IOTLB_IVT       (1ull << 63)
#define IOTLB_IIRG(g)   ((uint64_t)(g) << 60)
#define IOTLB_IAIG(v)   (((v) >> 57) & 3)
#define IOTLB_DR        (1ull << 49)
#define IOTLB_DW        (1ull << 48)
#define IOTLB_DID(d)    ((uint64_t)(d) << 32)

#define FRCD_F          (1ull << 63)
#define FRCD_T1         (1ull << 62)
#define FRCD_FR(r)      ((uint64_t)(r) << 32)

/* Invalidation granularities (CIRG/CAIG and IIRG/IAIG encodings) */
#define GRAN_GLOBAL     1
#define GRAN_DOMAIN     2
#define GRAN_DEVICE     3
#define GRAN_PAGE       3

/* Fault reasons (VT-d §7.1.3) */
#define FR_ROOT_NP      0x1
#define FR_CTX_NP       0x2
#define FR_CTX_INV      0x3
#define FR_BEYOND_AW    0x4
#define FR_WRITE        0x5
#define FR_READ         0x6
#define FR_PTE_ACCESS   0x7
#define FR_ROOT_ACCESS  0x8
#define FR_CTX_ACCESS   0x9
#define FR_ROOT_RSVD    0xa
#define FR_CTX_RSVD     0xb
#define FR_PTE_RSVD     0xc
#define FR_INTR_ADDR    0xe     /* interrupt address range (§7.1.3) */

/* ---- in-memory formats (VT-d chapter 9, legacy mode) ---- */

#define ROOT_P          1ull
#define CTX_P           1ull
#define CTX_FPD         2ull
#define CTX_TT(t)       ((uint64_t)(t) << 2)
#define TT_XLATE        0
#define TT_DEVTLB       1
#define TT_PASSTHROUGH  2
#define TT_RESERVED     3
#define CTX_AW(levels)  ((uint64_t)(levels) - 2)
#define CTX_DID(d)      ((uint64_t)(d) << 8)
#define PTE_R           1ull
#define PTE_W           2ull
#define PTE_RW          3ull
#define PTE_PS          (1ull << 7)
#define PTE_SNP         (1ull << 11)
#define PTE_ADDR        0x000ffffffffff000ull
/* The index of IOVA's entry in a paging table at LEVEL (1: 4 KiB pages) */
#define PT_INDEX(iova, level) (((iova) >> (12 + 9 * ((level) - 1))) & 511)

/* ---- queued invalidation (VT-d §6.5.2) ---- */

/* 128-bit descriptors: lower qword fields, then upper (hi) ones */
#define QI_CC           1ull
#define QI_IOTLB        2ull
#define QI_DEVTLB       3ull
#define QI_IEC          4ull
#define QI_WAIT         5ull
#define QI_G(g)         ((uint64_t)(g) << 4)
#define QI_DID(d)       ((uint64_t)(d) << 16)
#define QI_CC_SID(s)    ((uint64_t)(s) << 32)
#define QI_CC_FM(m)     ((uint64_t)(m) << 48)
#define QI_IOTLB_DW     (1ull << 6)
#define QI_IOTLB_DR     (1ull << 7)
#define QI_HI_AM(am)    ((uint64_t)(am))
#define QI_HI_IH        (1ull << 6)
#define QI_WAIT_IF      (1ull << 4)
#define QI_WAIT_SW      (1ull << 5)
#define QI_WAIT_FN      (1ull << 6)
#define QI_WAIT_PD      (1ull << 7)
#define QI_SDATA(v)     ((uint64_t)(v) << 32)

/* Interrupt entry cache invalidation descriptor */
#define QI_IEC_IM(m)    ((uint64_t)(m) << 27)
#define QI_IEC_IIDX(i)  ((uint64_t)(i) << 32)

/* IQERCD.IQEI (VT-d §11.4.9.9) */
#define IQEI_NONE       0       /* information not available */
#define IQEI_TAIL       1       /* invalid tail pointer */
#define IQEI_FETCH      2       /* descriptor fetch error */
#define IQEI_TYPE       3       /* invalid descriptor type */
#define IQEI_RSVD       4       /* reserved field of a valid type */
#define IQEI_DW         5       /* descriptor width not supported */

#define IQA_DW          (1ull << 11)

/* ---- interrupt remapping (VT-d chapter 5) ---- */

/* Interrupt-remapping fault reasons */
#define FR_IR_REQ_RSVD  0x20    /* reserved bits in the request */
#define FR_IR_INDEX     0x21    /* index beyond IRTA.S */
#define FR_IR_NP        0x22    /* IRTE not present */
#define FR_IR_ACCESS    0x23    /* IRTE read error */
#define FR_IR_RSVD      0x24    /* IRTE reserved field */
#define FR_IR_COMPAT    0x25    /* compatibility format blocked */
#define FR_IR_SID       0x26    /* source-id verification */
#define FR_RTA_TTM      0x30    /* RTADDR.TTM latched with a mode not offered */
#define FR_ABORT_DMA    0x33    /* abort-DMA mode (RTADDR.TTM 11b) */

/*
 * The names query-vtd-dmar and VTD_DMAR_FAULT give the fault reasons
 * (docs/vtd-dmar.rst), "unknown" for any other code
 */
static inline const char *fr_name(unsigned fr)
{
    static const char *const names[] = {
        [FR_ROOT_NP] = "root-not-present",
        [FR_CTX_NP] = "context-not-present",
        [FR_CTX_INV] = "context-invalid",
        [FR_BEYOND_AW] = "address-beyond-aw",
        [FR_WRITE] = "write-not-permitted",
        [FR_READ] = "read-not-permitted",
        [FR_PTE_ACCESS] = "paging-entry-access-error",
        [FR_ROOT_ACCESS] = "root-access-error",
        [FR_CTX_ACCESS] = "context-access-error",
        [FR_ROOT_RSVD] = "root-reserved",
        [FR_CTX_RSVD] = "context-reserved",
        [FR_PTE_RSVD] = "paging-entry-reserved",
        [0xd] = "request-blocked",
        [FR_INTR_ADDR] = "interrupt-address-range",
        [FR_IR_REQ_RSVD] = "ir-request-reserved",
        [FR_IR_INDEX] = "ir-index-beyond-table",
        [FR_IR_NP] = "irte-not-present",
        [FR_IR_ACCESS] = "irte-access-error",
        [FR_IR_RSVD] = "irte-reserved",
        [FR_IR_COMPAT] = "ir-compat-format-blocked",
        [FR_IR_SID] = "ir-source-id-invalid",
        [FR_RTA_TTM] = "root-table-mode-invalid",
        [FR_ABORT_DMA] = "abort-dma-mode",
        /* scalable mode (VT-d §7.1.3) */
        [0x38] = "sm-root-access-error",
        [0x39] = "sm-root-not-present",
        [0x3a] = "sm-root-reserved",
        [0x40] = "sm-context-access-error",
        [0x41] = "sm-context-not-present",
        [0x42] = "sm-context-reserved",
        [0x43] = "sm-context-invalid",
        [0x44] = "sm-context-dte-clear",
        [0x45] = "sm-context-paside-clear",
        [0x46] = "sm-pasid-beyond-directory",
        [0x48] = "sm-rid-pasid-beyond-directory",
        [0x50] = "pasid-directory-access-error",
        [0x51] = "pasid-directory-not-present",
        [0x52] = "pasid-directory-reserved",
        [0x58] = "pasid-entry-access-error",
        [0x59] = "pasid-entry-not-present",
        [0x5a] = "pasid-entry-reserved",
        [0x5b] = "pasid-entry-invalid",
        [0x5c] = "pasid-entry-ere-clear",
        [0x5d] = "pasid-entry-sre-clear",
        [0x70] = "first-stage-access-error",
        [0x71] = "first-stage-not-present",
        [0x72] = "first-stage-reserved",
        [0x73] = "first-stage-table-access-error",
        [0x74] = "nested-table-beyond-width",
        [0x75] = "nested-top-table-read-denied",
        [0x76] = "nested-table-read-denied",
        [0x77] = "nested-table-write-denied",
        [0x78] = "second-stage-access-error",
        [0x79] = "second-stage-not-present",
        [0x7a] = "second-stage-reserved",
        [0x7b] = "second-stage-table-access-error",
        [0x80] = "sm-non-canonical",
        [0x81] = "sm-user-to-supervisor-page",
        [0x82] = "sm-execute-not-permitted",
        [0x83] = "sm-address-beyond-width",
        [0x85] = "sm-write-not-permitted",
        [0x86] = "sm-read-not-permitted",
        [0x87] = "sm-interrupt-address-range",
    };

    return fr < sizeof(names) / sizeof(names[0]) && names[fr] ? names[fr] :
           "unknown";
}

/* IRTE, remapped format: lower 64 bits... */
#define IRTE_P          1ull
#define IRTE_FPD        2ull
#define IRTE_DM         (1ull << 2)
#define IRTE_RH         (1ull << 3)
#define IRTE_TM         (1ull << 4)
#define IRTE_DLM(m)     ((uint64_t)(m) << 5)
#define IRTE_AVAIL      0xf00ull
#define IRTE_IM         (1ull << 15)
#define IRTE_V(v)       ((uint64_t)(v) << 16)
#define IRTE_DST(id)    ((uint64_t)(id) << 32)      /* x2APIC mode */
#define IRTE_XDST(id)   ((uint64_t)(id) << 40)      /* xAPIC mode */
/* ...and upper */
#define IRTE_SID(s)     ((uint64_t)(s))
#define IRTE_SQ(q)      ((uint64_t)(q) << 16)
#define IRTE_SVT(t)     ((uint64_t)(t) << 18)
#define SVT_NONE        0
#define SVT_SID         1
#define SVT_BUS         2

#define DLM_FIXED       0
#define DLM_LOWEST      1
#define DLM_NMI         4

/* MSI addresses: compatibility and remappable format */
#define MSI_BASE        0xfee00000u
#define MSI_REMAP       (1u << 4)
#define MSI_SHV         (1u << 3)
#define MSI_DATA_LEVEL  (1u << 15)
#define MSI_DATA_DLM(m) ((uint32_t)(m) << 8)

/* q35's IOAPIC sends its messages with source-id IOAPIC_SID */
#define IOAPIC_SID      0xff00

/* ---- guest RAM the tests use (the qtests' default -m 128M) ---- */

#define ROOT_TABLE      0x00100000ull   /* the root table */
#define CTX_TABLE       0x00101000ull   /* bus 0's context table */
#define PT_POOL         0x00200000ull   /* page-table pages come from here */
#define PT_POOL_END     0x00500000ull   /* up to here */
#define PAGE_P1         0x00500000ull   /* = PT_POOL_END */
#define PAGE_P2         0x00501000ull
#define PAGE_P3         0x00502000ull
#define PAGE_OUT        0x00503000ull
#define BIG_2M_A        0x00600000ull   /* 2 MiB aligned */
#define BIG_2M_B        0x00800000ull   /* 2 MiB aligned */
#define IQ_BASE         0x00a00000ull   /* the queue; 8 KiB aligned */
#define IQ_STATUS       0x00a10000ull   /* 4 KiB of wait status dwords */
#define IQ_SYNC         0x00a11000ull   /* the sync wait's status dword */
#define IQ_CANARY       0x00a11010ull   /* must never be written */
#define IRT_BASE        0x00b00000ull   /* room for 2^16 IRTEs (1 MiB) */
#define IRT_BASE2       0x00c00000ull   /* a second table */
#define FE_MSG          0x00f00000ull   /* fault event messages land here */
#define IE_MSG          0x00f00100ull   /* invalidation event messages */
#define RAM_END         0x08000000ull   /* the qtests' 128 MiB end here */
#define NO_RAM          0x800000000ull  /* 32 GiB: nothing is mapped there */

/* IOVAs; any value works since edu's DMA mask is widened to 64 bits */
#define IOVA_A          0x12345000ull
#define IOVA_B          0x2468a000ull
#define IOVA_C          0x0abcd000ull

/* The device under test: edu at 00:04.0, in domain DOMAIN */
#define EDU_DEVFN       0x20            /* 00:04.0 */
#define EDU_SID         0x0020
#define DOMAIN          0x42

/*
 * Several units (issue 16): the unit without primary-bus is at DMAR_BASE,
 * the K-th with one (K = 1, 2, ... in command-line order) at DMAR_UNIT(K)
 */
#define DMAR_UNIT_STRIDE 0x4000ull
#define DMAR_UNIT(k)    (DMAR_BASE + (k) * DMAR_UNIT_STRIDE)
#define DMAR_MAX_UNITS  8

#endif
