/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar: the VT-d register map and in-memory formats, declared once.
 *
 * Register offsets and fields follow the Intel VT-d specification,
 * revision 4.1 (whose section numbers every citation in vtd-dmar uses):
 * chapter 11 (register descriptions) and chapter 9 (translation
 * structure formats). In-memory structures are described as FIELDs over
 * the little-endian 64-bit words that make them up; no C bit-fields.
 */
#ifndef HW_I386_VTD_DMAR_REGS_H
#define HW_I386_VTD_DMAR_REGS_H

#include "hw/registerfields.h"

/* ---- Registers (VT-d §11.4) ---- */

REG32(VER, 0x00)
    FIELD(VER, MIN, 0, 4)
    FIELD(VER, MAX, 4, 4)
REG64(CAP, 0x08)
    FIELD(CAP, ND, 0, 3)            /* number of domains: 2^(4 + 2*ND) */
    FIELD(CAP, AFL, 3, 1)
    FIELD(CAP, RWBF, 4, 1)
    FIELD(CAP, PLMR, 5, 1)
    FIELD(CAP, PHMR, 6, 1)
    FIELD(CAP, CM, 7, 1)
    FIELD(CAP, SAGAW, 8, 5)
    FIELD(CAP, MGAW, 16, 6)         /* MGAW - 1 */
    FIELD(CAP, ZLR, 22, 1)
    FIELD(CAP, FRO, 24, 10)         /* fault recording offset / 16 */
    FIELD(CAP, SLLPS, 34, 4)        /* bit 0: 2 MiB, bit 1: 1 GiB */
    FIELD(CAP, PSI, 39, 1)
    FIELD(CAP, NFR, 40, 8)          /* number of fault records - 1 */
    FIELD(CAP, MAMV, 48, 6)
    FIELD(CAP, DWD, 54, 1)
    FIELD(CAP, DRD, 55, 1)
    FIELD(CAP, FL1GP, 56, 1)
    FIELD(CAP, PI, 59, 1)
    FIELD(CAP, FL5LP, 60, 1)
    FIELD(CAP, ESIRTPS, 62, 1)
    FIELD(CAP, ESRTPS, 63, 1)
REG64(ECAP, 0x10)
    FIELD(ECAP, C, 0, 1)
    FIELD(ECAP, QI, 1, 1)
    FIELD(ECAP, DT, 2, 1)
    FIELD(ECAP, IR, 3, 1)
    FIELD(ECAP, EIM, 4, 1)
    FIELD(ECAP, PT, 6, 1)
    FIELD(ECAP, SC, 7, 1)
    FIELD(ECAP, IRO, 8, 10)         /* IOTLB register offset / 16 */
    FIELD(ECAP, MHMV, 20, 4)
    FIELD(ECAP, NEST, 26, 1)
    FIELD(ECAP, PRS, 29, 1)
    FIELD(ECAP, ERS, 30, 1)
    FIELD(ECAP, SRS, 31, 1)
    FIELD(ECAP, NWFS, 33, 1)
    FIELD(ECAP, EAFS, 34, 1)
    FIELD(ECAP, PSS, 35, 5)
    FIELD(ECAP, PASID, 40, 1)
    FIELD(ECAP, DIT, 41, 1)
    FIELD(ECAP, PDS, 42, 1)
    FIELD(ECAP, SMTS, 43, 1)
    FIELD(ECAP, VCS, 44, 1)
    FIELD(ECAP, SLADS, 45, 1)
    FIELD(ECAP, SLTS, 46, 1)
    FIELD(ECAP, FLTS, 47, 1)
    FIELD(ECAP, SMPWCS, 48, 1)
    FIELD(ECAP, RPS, 49, 1)
    FIELD(ECAP, ADMS, 52, 1)        /* abort-DMA mode (§3.4.4) */
/* GCMD and GSTS share their bit positions (VT-d §11.4.4.1, §11.4.4.2). */
REG32(GCMD, 0x18)
    FIELD(GCMD, CFI, 23, 1)
    FIELD(GCMD, SIRTP, 24, 1)
    FIELD(GCMD, IRE, 25, 1)
    FIELD(GCMD, QIE, 26, 1)
    FIELD(GCMD, WBF, 27, 1)
    FIELD(GCMD, EAFL, 28, 1)
    FIELD(GCMD, SFL, 29, 1)
    FIELD(GCMD, SRTP, 30, 1)
    FIELD(GCMD, TE, 31, 1)
REG32(GSTS, 0x1c)
    FIELD(GSTS, CFIS, 23, 1)
    FIELD(GSTS, IRTPS, 24, 1)
    FIELD(GSTS, IRES, 25, 1)
    FIELD(GSTS, QIES, 26, 1)
    FIELD(GSTS, WBFS, 27, 1)
    FIELD(GSTS, AFLS, 28, 1)
    FIELD(GSTS, FLS, 29, 1)
    FIELD(GSTS, RTPS, 30, 1)
    FIELD(GSTS, TES, 31, 1)
REG64(RTADDR, 0x20)
    FIELD(RTADDR, TTM, 10, 2)       /* DMAR_TTM_* */
    FIELD(RTADDR, RTA, 12, 52)
/* §11.4.5: translation table modes */
#define DMAR_TTM_LEGACY     0
#define DMAR_TTM_SCALABLE   1
#define DMAR_TTM_RESERVED   2
#define DMAR_TTM_ABORT_DMA  3
REG64(CCMD, 0x28)
    FIELD(CCMD, DID, 0, 16)
    FIELD(CCMD, SID, 16, 16)
    FIELD(CCMD, FM, 32, 2)
    FIELD(CCMD, CAIG, 59, 2)
    FIELD(CCMD, CIRG, 61, 2)
    FIELD(CCMD, ICC, 63, 1)
REG32(FSTS, 0x34)
    FIELD(FSTS, PFO, 0, 1)
    FIELD(FSTS, PPF, 1, 1)
    FIELD(FSTS, AFO, 2, 1)
    FIELD(FSTS, APF, 3, 1)
    FIELD(FSTS, IQE, 4, 1)
    FIELD(FSTS, ICE, 5, 1)
    FIELD(FSTS, ITE, 6, 1)
    FIELD(FSTS, FRI, 8, 8)
REG32(FECTL, 0x38)
    FIELD(FECTL, IP, 30, 1)
    FIELD(FECTL, IM, 31, 1)
REG32(FEDATA, 0x3c)
REG32(FEADDR, 0x40)
REG32(FEUADDR, 0x44)
REG64(AFLOG, 0x58)
/* Protected memory regions (§11.4.8.1-§11.4.8.5) */
REG32(PMEN, 0x64)
    FIELD(PMEN, PRS, 0, 1)
    FIELD(PMEN, EPM, 31, 1)
REG32(PLMBASE, 0x68)
REG32(PLMLIMIT, 0x6c)
REG64(PHMBASE, 0x70)
REG64(PHMLIMIT, 0x78)
/*
 * Our regions' granularity: bits 20:0 (N = 20) of the base and limit
 * registers read 0; a base decodes with them 0, a limit with them 1.
 */
#define DMAR_PMR_SHIFT      21
#define DMAR_PMR_GRAN       (1ull << DMAR_PMR_SHIFT)
#define DMAR_PLM_MASK       0xffe00000ull   /* PLMBASE/PLMLIMIT 31:21 */
REG64(IQH, 0x80)
    FIELD(IQH, QH, 4, 15)
REG64(IQT, 0x88)
    FIELD(IQT, QT, 4, 15)
REG64(IQA, 0x90)
    FIELD(IQA, QS, 0, 3)            /* 2^QS 4 KiB pages */
    FIELD(IQA, DW, 11, 1)           /* 256-bit descriptors (scalable) */
    FIELD(IQA, IQA, 12, 52)
REG32(ICS, 0x9c)
    FIELD(ICS, IWC, 0, 1)
REG32(IECTL, 0xa0)
    FIELD(IECTL, IP, 30, 1)
    FIELD(IECTL, IM, 31, 1)
REG32(IEDATA, 0xa4)
REG32(IEADDR, 0xa8)
REG32(IEUADDR, 0xac)
REG64(IQERCD, 0xb0)
    FIELD(IQERCD, IQEI, 0, 4)
    FIELD(IQERCD, ITESID, 32, 16)
    FIELD(IQERCD, ICESID, 48, 16)
REG64(IRTA, 0xb8)
    FIELD(IRTA, S, 0, 4)            /* 2^(S + 1) entries */
    FIELD(IRTA, EIME, 11, 1)
    FIELD(IRTA, IRTA, 12, 52)

/*
 * The IOTLB registers sit at ECAP.IRO * 16 (VT-d §11.4.6.2); our
 * unit places it, and the fault records after it, at these offsets.
 */
#define DMAR_IRO_OFFSET     0x100
REG64(IVA, DMAR_IRO_OFFSET)
    FIELD(IVA, AM, 0, 6)
    FIELD(IVA, IH, 6, 1)
    FIELD(IVA, ADDR, 12, 52)
REG64(IOTLB, DMAR_IRO_OFFSET + 8)
    FIELD(IOTLB, DID, 32, 16)
    FIELD(IOTLB, DW, 48, 1)
    FIELD(IOTLB, DR, 49, 1)
    FIELD(IOTLB, IAIG, 57, 2)
    FIELD(IOTLB, IIRG, 60, 2)
    FIELD(IOTLB, IVT, 63, 1)

/* Fault recording registers: 128 bits each at CAP.FRO * 16 (§11.4.7.6). */
#define DMAR_FRO_OFFSET     0x200
#define DMAR_FRCD_SIZE      16
FIELD(FRCD_LO, FI, 12, 52)          /* faulting page address */
FIELD(FRCD_HI, SID, 0, 16)
FIELD(FRCD_HI, T2, 28, 1)
FIELD(FRCD_HI, PRIV, 29, 1)
FIELD(FRCD_HI, EXE, 30, 1)
FIELD(FRCD_HI, PP, 31, 1)
FIELD(FRCD_HI, FR, 32, 8)
FIELD(FRCD_HI, PV, 40, 20)
FIELD(FRCD_HI, AT, 60, 2)
FIELD(FRCD_HI, T1, 62, 1)           /* 1: read request, 0: write */
FIELD(FRCD_HI, F, 63, 1)

/* Invalidation granularities, as written (request) and reported (actual). */
#define DMAR_CC_GLOBAL      1
#define DMAR_CC_DOMAIN      2
#define DMAR_CC_DEVICE      3
#define DMAR_IOTLB_GLOBAL   1
#define DMAR_IOTLB_DOMAIN   2
#define DMAR_IOTLB_PAGE     3

/* ---- In-memory formats (VT-d §9) ---- */

/* Root entry, legacy mode (§9.1): lo and hi 64-bit words. */
FIELD(ROOT_LO, P, 0, 1)
FIELD(ROOT_LO, CTP, 12, 52)
#define DMAR_ROOT_LO_RSVD   0x0000000000000ffeull  /* + CTP beyond HAW */
#define DMAR_ROOT_HI_RSVD   0xffffffffffffffffull

/* Context entry, legacy mode (§9.3). */
FIELD(CTX_LO, P, 0, 1)
FIELD(CTX_LO, FPD, 1, 1)
FIELD(CTX_LO, TT, 2, 2)
FIELD(CTX_LO, SLPTPTR, 12, 52)
FIELD(CTX_HI, AW, 0, 3)
FIELD(CTX_HI, DID, 8, 16)
#define DMAR_CTX_LO_RSVD    0x0000000000000ff0ull  /* + SLPTPTR beyond HAW */
#define DMAR_CTX_HI_RSVD    0xffffffffff000080ull

#define DMAR_TT_UNTRANSLATED    0   /* second-level translation only */
#define DMAR_TT_ALL             1   /* also translated requests (device-TLB) */
#define DMAR_TT_PASSTHROUGH     2
#define DMAR_TT_RESERVED        3

/* Second-stage paging entry (§9.8 Second-Stage Paging Entries). */
FIELD(SLPTE, R, 0, 1)
FIELD(SLPTE, W, 1, 1)
FIELD(SLPTE, X, 2, 1)
FIELD(SLPTE, EMT, 3, 3)
FIELD(SLPTE, IPAT, 6, 1)
FIELD(SLPTE, PS, 7, 1)
FIELD(SLPTE, A, 8, 1)
FIELD(SLPTE, D, 9, 1)
FIELD(SLPTE, SNP, 11, 1)
FIELD(SLPTE, ADDR, 12, 40)
FIELD(SLPTE, TM, 62, 1)
/* Bits the hardware ignores in every second-level entry: 52..61 and 63. */
#define DMAR_SLPTE_IGNORED  0xbff0000000000000ull

/* Scalable-mode root entry (§9.2): lo for devfn 0-127, hi for 128-255. */
FIELD(SM_ROOT, P, 0, 1)
FIELD(SM_ROOT, CTP, 12, 52)
#define DMAR_SM_ROOT_RSVD   0x0000000000000ffeull  /* + CTP beyond HAW */

/* Scalable-mode context entry (§9.4): 256 bits, qw0..qw3. */
FIELD(SM_CTX0, P, 0, 1)
FIELD(SM_CTX0, FPD, 1, 1)
FIELD(SM_CTX0, DTE, 2, 1)
FIELD(SM_CTX0, PASIDE, 3, 1)
FIELD(SM_CTX0, PRE, 4, 1)
FIELD(SM_CTX0, PDTS, 9, 3)          /* 2^(PDTS + 7) directory entries */
FIELD(SM_CTX0, PASIDDIRPTR, 12, 52)
#define DMAR_SM_CTX0_RSVD   0x00000000000001e0ull  /* + pointer beyond HAW */
FIELD(SM_CTX1, RID_PASID, 0, 20)
FIELD(SM_CTX1, RID_PRIV, 20, 1)
/* RID_PRIV too: ECAP.RPRIVS is not offered */
#define DMAR_SM_CTX1_RSVD   0xfffffffffff00000ull

/* Scalable-mode PASID directory entry (§9.5). */
FIELD(PASID_DIR, P, 0, 1)
FIELD(PASID_DIR, FPD, 1, 1)
FIELD(PASID_DIR, PTP, 12, 52)
#define DMAR_PASID_DIR_RSVD 0x0000000000000ffcull  /* + PTP beyond HAW */

/* Scalable-mode PASID table entry (§9.6): 512 bits, qw0..qw7. */
FIELD(PASID0, P, 0, 1)
FIELD(PASID0, FPD, 1, 1)
FIELD(PASID0, AW, 2, 3)
FIELD(PASID0, SSEE, 5, 1)
FIELD(PASID0, PGTT, 6, 3)
FIELD(PASID0, SSADE, 9, 1)
FIELD(PASID0, SSPTPTR, 12, 52)
/* SSEE and SSADE too: second-stage execute and A/D are not offered */
#define DMAR_PASID0_RSVD    0x0000000000000e20ull
FIELD(PASID1, DID, 0, 16)
FIELD(PASID1, PWSNP, 23, 1)
FIELD(PASID1, PGSNP, 24, 1)
/* 22:16, and 63:25 (memory types: ECAP.MTS is not offered) */
#define DMAR_PASID1_RSVD    0xfffffffffe7f0000ull
FIELD(PASID2, SRE, 0, 1)
FIELD(PASID2, ERE, 1, 1)
FIELD(PASID2, FSPM, 2, 2)           /* 00: 4-level, 01: 5-level */
FIELD(PASID2, WPE, 4, 1)
FIELD(PASID2, EAFE, 7, 1)
FIELD(PASID2, FSPTPTR, 12, 52)
/* EAFE too: ECAP.EAFS is not offered */
#define DMAR_PASID2_RSVD    0x0000000000000fe0ull

/* First-stage paging entry (§9.7): IA-32e paging. */
FIELD(FSPTE, P, 0, 1)
FIELD(FSPTE, RW, 1, 1)
FIELD(FSPTE, US, 2, 1)
FIELD(FSPTE, A, 5, 1)
FIELD(FSPTE, D, 6, 1)
FIELD(FSPTE, PS, 7, 1)
FIELD(FSPTE, ADDR, 12, 40)
FIELD(FSPTE, XD, 63, 1)
/* Bits 62:52 are ignored; 51:HAW reserved. A large page's PAT is bit 12. */

/* Address widths: AW/SAGAW bit n means a (30 + 9n)-bit, (n + 2)-level table. */
#define DMAR_AW_TO_LEVELS(aw)   ((aw) + 2)
#define DMAR_LEVELS_TO_AW(l)    ((l) - 2)
#define DMAR_LEVELS_TO_WIDTH(l) (12 + 9 * (l))
#define DMAR_MAX_LEVELS     5
#define DMAR_PAGE_SHIFT     12      /* VT-d pages are 4 KiB by definition */
#define DMAR_PAGE_SIZE      (1ull << DMAR_PAGE_SHIFT)

#endif
