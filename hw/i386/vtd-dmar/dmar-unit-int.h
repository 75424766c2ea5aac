/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar unit: what dmar-unit.c offers the unit's other file
 * (dmar-unit-dma.c). dmar-unit.c never calls into dmar-unit-dma.c.
 */
#ifndef HW_I386_VTD_DMAR_UNIT_INT_H
#define HW_I386_VTD_DMAR_UNIT_INT_H

#include "dmar-unit.h"

void dmar_unit_emit(DmarUnit *u, const DmarEvent *ev);
void dmar_unit_log(DmarUnit *u, DmarLogKind kind, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* Record F unless FPD suppresses it; returns DMAR_ACT_FAULT_EVENT or 0. */
unsigned dmar_unit_report_fault(DmarUnit *u, const DmarFault *f);

#endif
