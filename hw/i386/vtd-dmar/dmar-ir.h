/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar interrupt remapping (VT-d chapter 5): decode of interrupt
 * requests and of interrupt remapping table entries (IRTEs), and the
 * remap itself. Pure: the table is read through DmarMem.
 */
#ifndef HW_I386_VTD_DMAR_IR_H
#define HW_I386_VTD_DMAR_IR_H

#include "dmar-core.h"

/* Interrupt-remapping fault reasons (§5.1.4.1). */
#define DMAR_FR_IR_REQ_RSVD     0x20    /* reserved bits in the request */
#define DMAR_FR_IR_INDEX        0x21    /* index beyond the table size */
#define DMAR_FR_IR_NOT_PRESENT  0x22    /* IRTE present bit clear */
#define DMAR_FR_IR_TABLE_ACCESS 0x23    /* error reading the IRTE */
#define DMAR_FR_IR_IRTE_RSVD    0x24    /* reserved bits in the IRTE */
#define DMAR_FR_IR_COMPAT       0x25    /* compatibility format blocked */
#define DMAR_FR_IR_SID          0x26    /* source-id verification failed */

/* Is FR an interrupt-remapping fault (20h-2Fh), not a DMA one? */
static inline bool dmar_fr_is_ir(unsigned fr)
{
    return fr >= DMAR_FR_IR_REQ_RSVD && fr < 0x30;
}

/* Remappable-format MSI data: bits 31:16 are reserved (§5.1.2.2) */
#define DMAR_IR_MSI_DATA_RSVD   0xffff0000u

/* Remappable-format MSI address (§5.1.2.2) */
FIELD(IR_MSI, SHV, 3, 1)
FIELD(IR_MSI, FORMAT, 4, 1)             /* 1: remappable */
FIELD(IR_MSI, HANDLE_HI, 2, 1)          /* handle[15] */
FIELD(IR_MSI, HANDLE_LO, 5, 15)         /* handle[14:0] */

/* IRTE, remapped format (§9.9) */
FIELD(IRTE_LO, P, 0, 1)
FIELD(IRTE_LO, FPD, 1, 1)
FIELD(IRTE_LO, DM, 2, 1)
FIELD(IRTE_LO, RH, 3, 1)
FIELD(IRTE_LO, TM, 4, 1)
FIELD(IRTE_LO, DLM, 5, 3)
FIELD(IRTE_LO, IM, 15, 1)               /* 1: posted format */
FIELD(IRTE_LO, V, 16, 8)
FIELD(IRTE_LO, DST, 32, 32)
FIELD(IRTE_HI, SID, 0, 16)
FIELD(IRTE_HI, SQ, 16, 2)
FIELD(IRTE_HI, SVT, 18, 2)
/*
 * Reserved: lo 14:12 and 31:24 always, IM (no posted interrupts); DST
 * 7:0 and 31:16 in xAPIC mode; hi 63:20.
 */
#define DMAR_IRTE_LO_RSVD       0x00000000ff007000ull
#define DMAR_IRTE_LO_XAPIC_RSVD 0xffff00ff00000000ull
#define DMAR_IRTE_HI_RSVD       0xfffffffffff00000ull

#define DMAR_SVT_NONE   0
#define DMAR_SVT_SID    1               /* SID with SQ-masked function */
#define DMAR_SVT_BUS    2               /* requester bus in [SID.hi, SID.lo] */

typedef struct DmarIrtaConfig {
    uint64_t base;          /* table address (4 KiB aligned) */
    uint32_t entries;       /* 2^(S + 1) */
    uint8_t haw;            /* host address width: entries lie below 2^haw */
    bool eime;              /* x2APIC mode: 32-bit destinations */
} DmarIrtaConfig;

/* A remapped interrupt, ready for the APIC bus. */
typedef struct DmarIrq {
    uint32_t dest;          /* APIC id: 8-bit (xAPIC) or 32-bit (x2APIC) */
    uint8_t vector;
    uint8_t delivery_mode;
    bool dest_mode;         /* logical */
    bool redir_hint;
    bool trigger_level;
} DmarIrq;

typedef struct DmarIrFault {
    uint8_t fr;             /* DMAR_FR_IR_*, 0 for none */
    uint32_t index;         /* interrupt index, where known */
    bool fpd;               /* the IRTE suppresses recording */
} DmarIrFault;

/* The interrupt index of a remappable-format request (handle + subhandle). */
uint32_t dmar_ir_index(uint64_t addr, uint32_t data);

/*
 * Remap the remappable-format interrupt request (ADDR, DATA) from SID
 * through the table described by IRTA. False with *fault set when the
 * request must be blocked.
 */
bool dmar_ir_remap(const DmarIrtaConfig *irta, uint64_t addr, uint32_t data,
                   uint16_t sid, const DmarMem *mem, DmarIrq *irq,
                   DmarIrFault *fault);

/* Validate a fetched IRTE for SID; the IRTE part of dmar_ir_remap(). */
bool dmar_irte_check(const DmarIrtaConfig *irta, uint64_t lo, uint64_t hi,
                     uint16_t sid, DmarIrq *irq, DmarIrFault *fault);

#endif
