/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar primary fault logging and the fault event (VT-d §7.2, §7.3),
 * as pure functions over the unit's register file. The caller sends the
 * interrupt message when a function says so, outside its locks.
 */
#ifndef HW_I386_VTD_DMAR_FAULT_H
#define HW_I386_VTD_DMAR_FAULT_H

#include "dmar-core.h"

/* FSTS bits whose setting is an interrupt condition (§7.3, FECTL.IP). */
#define DMAR_FSTS_EVENT_BITS \
    (R_FSTS_PFO_MASK | R_FSTS_PPF_MASK | R_FSTS_IQE_MASK | \
     R_FSTS_ICE_MASK | R_FSTS_ITE_MASK)

typedef struct DmarFaultLog {
    uint8_t *regs;          /* the register file (little-endian) */
    uint32_t fro;           /* byte offset of FRCD 0 */
    uint32_t nfr;           /* number of fault recording registers */
    uint32_t next;          /* index the next fault goes to */
} DmarFaultLog;

typedef enum DmarRecordResult {
    DMAR_FAULT_RECORDED,
    DMAR_FAULT_OVERFLOW,    /* the next record was busy: PFO set */
    DMAR_FAULT_DROPPED,     /* PFO already set: nothing recorded */
    DMAR_FAULT_COLLAPSED,   /* the same fault is already pending */
} DmarRecordResult;

/* Record F; *send is true when the fault event message must go out now. */
DmarRecordResult dmar_fault_record(DmarFaultLog *log, const DmarFault *f,
                                   bool *send);
/* After software cleared F bits or FSTS bits: recompute PPF and IP. */
void dmar_fault_status_update(DmarFaultLog *log);
/* After a FECTL write: true if a pending event must be sent now. */
bool dmar_fault_fectl_written(DmarFaultLog *log);
/*
 * Another unit of the same register file raised an interrupt condition
 * (e.g. IQE): set IP, and return true if the message must go out now.
 * PRE_FSTS is FSTS before the new status bit was set.
 */
bool dmar_fault_event_condition(DmarFaultLog *log, uint32_t pre_fsts);

/*
 * The name of fault reason FR (§7.1.3, §7.1.4) as management tools see
 * it (query-vtd-dmar, VTD_DMAR_FAULT): lower case, words joined by '-'.
 * "unknown" for a code the unit never reports.
 */
const char *dmar_fault_reason_name(unsigned fr);

#endif
