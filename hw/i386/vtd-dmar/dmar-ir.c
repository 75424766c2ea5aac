/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar interrupt remapping: request decode, IRTE validation and
 * source-id verification (VT-d §5.1, §9.9). See dmar-ir.h.
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "dmar-ir.h"

static bool ir_fail(DmarIrFault *f, uint8_t fr, bool fpd)
{
    f->fr = fr;
    /* FPD covers the faults found while using the IRTE (§5.1.4.1). */
    f->fpd = fpd && (fr == DMAR_FR_IR_NOT_PRESENT ||
                     fr == DMAR_FR_IR_IRTE_RSVD || fr == DMAR_FR_IR_SID);
    return false;
}

/* §9.9 SVT/SQ: may SID use this IRTE? */
static bool sid_ok(uint64_t hi, uint16_t sid)
{
    uint16_t want = FIELD_EX64(hi, IRTE_HI, SID);
    static const uint16_t sq_mask[4] = { 0xffff, 0xfffb, 0xfff9, 0xfff8 };
    uint8_t bus = sid >> 8;

    switch (FIELD_EX64(hi, IRTE_HI, SVT)) {
    case DMAR_SVT_SID:
        return ((sid ^ want) & sq_mask[FIELD_EX64(hi, IRTE_HI, SQ)]) == 0;
    case DMAR_SVT_BUS:
        return bus >= (want >> 8) && bus <= (want & 0xff);
    default:
        return true;
    }
}

bool dmar_irte_check(const DmarIrtaConfig *irta, uint64_t lo, uint64_t hi,
                     uint16_t sid, DmarIrq *irq, DmarIrFault *fault)
{
    bool fpd = FIELD_EX64(lo, IRTE_LO, FPD);

    if (!FIELD_EX64(lo, IRTE_LO, P)) {
        return ir_fail(fault, DMAR_FR_IR_NOT_PRESENT, fpd);
    }
    if ((lo & DMAR_IRTE_LO_RSVD) || FIELD_EX64(lo, IRTE_LO, IM) ||
        (!irta->eime && (lo & DMAR_IRTE_LO_XAPIC_RSVD)) ||
        (hi & DMAR_IRTE_HI_RSVD) || FIELD_EX64(hi, IRTE_HI, SVT) == 3) {
        return ir_fail(fault, DMAR_FR_IR_IRTE_RSVD, fpd);
    }
    if (!sid_ok(hi, sid)) {
        return ir_fail(fault, DMAR_FR_IR_SID, fpd);
    }
    *irq = (DmarIrq) {
        .dest = irta->eime ? FIELD_EX64(lo, IRTE_LO, DST) :
                (FIELD_EX64(lo, IRTE_LO, DST) >> 8) & 0xff,
        .vector = FIELD_EX64(lo, IRTE_LO, V),
        .delivery_mode = FIELD_EX64(lo, IRTE_LO, DLM),
        .dest_mode = FIELD_EX64(lo, IRTE_LO, DM),
        .redir_hint = FIELD_EX64(lo, IRTE_LO, RH),
        .trigger_level = FIELD_EX64(lo, IRTE_LO, TM),
    };
    return true;
}

/* Does the IRTE at INDEX lie below 2^HAW (and below 2^64)? */
static bool irte_within_haw(const DmarIrtaConfig *irta, uint32_t index)
{
    uint64_t last = irta->haw >= 64 ? UINT64_MAX : (1ull << irta->haw) - 1;

    return irta->base <= last && index * 16ull + 15 <= last - irta->base;
}

uint32_t dmar_ir_index(uint64_t addr, uint32_t data)
{
    uint32_t index = FIELD_EX64(addr, IR_MSI, HANDLE_LO) |
                     (FIELD_EX64(addr, IR_MSI, HANDLE_HI) << 15);

    /* §5.1.3: with SHV, the data's low 16 bits are a subhandle. */
    return index + (FIELD_EX64(addr, IR_MSI, SHV) ? (data & 0xffff) : 0);
}

bool dmar_ir_remap(const DmarIrtaConfig *irta, uint64_t addr, uint32_t data,
                   uint16_t sid, const DmarMem *mem, DmarIrq *irq,
                   DmarIrFault *fault)
{
    uint32_t index = dmar_ir_index(addr, data);
    uint64_t e[2];

    memset(fault, 0, sizeof(*fault));
    fault->index = index;
    if (data & DMAR_IR_MSI_DATA_RSVD) {
        return ir_fail(fault, DMAR_FR_IR_REQ_RSVD, false);
    }
    /*
     * VT-d §5.1.4.1 Interrupt Remapping Fault Conditions, 21h: an index
     * beyond the table size in IRTA.S, or one whose IRTE would lie above
     * the host address width.
     */
    if (index >= irta->entries || !irte_within_haw(irta, index)) {
        return ir_fail(fault, DMAR_FR_IR_INDEX, false);
    }
    if (!dmar_mem_read(mem, irta->base + index * 16ull, e, sizeof(e))) {
        return ir_fail(fault, DMAR_FR_IR_TABLE_ACCESS, false);
    }
    return dmar_irte_check(irta, le64_to_cpu(e[0]), le64_to_cpu(e[1]), sid,
                           irq, fault);
}
