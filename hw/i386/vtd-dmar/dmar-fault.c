/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar primary fault logging (VT-d §7.2.1) and the fault event
 * interrupt's pending/mask logic (§7.3, §11.4.7.1-§11.4.7.2).
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "dmar-fault.h"
#include "dmar-ir.h"

static uint32_t get32(DmarFaultLog *log, uint32_t off)
{
    return ldl_le_p(log->regs + off);
}

static void set32(DmarFaultLog *log, uint32_t off, uint32_t v)
{
    stl_le_p(log->regs + off, v);
}

static uint64_t frcd_hi(DmarFaultLog *log, uint32_t i)
{
    return ldq_le_p(log->regs + log->fro + i * DMAR_FRCD_SIZE + 8);
}

bool dmar_fault_event_condition(DmarFaultLog *log, uint32_t pre_fsts)
{
    uint32_t fectl;

    /* §7.3: a condition while another is unserviced sends nothing. */
    if (pre_fsts & DMAR_FSTS_EVENT_BITS) {
        return false;
    }
    fectl = get32(log, A_FECTL) | R_FECTL_IP_MASK;
    if (fectl & R_FECTL_IM_MASK) {
        set32(log, A_FECTL, fectl);     /* pending until unmasked */
        return false;
    }
    set32(log, A_FECTL, fectl & ~R_FECTL_IP_MASK);
    return true;
}

/*
 * Is a fault with the same source-id, reason, type and page already
 * pending? One device access is split into many bus transactions (in
 * QEMU: up to 8 bytes each), and the spec lets hardware collapse faults
 * that software has not serviced yet; we collapse only identical ones.
 */
static bool fault_pending(DmarFaultLog *log, uint64_t lo, uint64_t hi)
{
    const uint64_t key = R_FRCD_HI_SID_MASK | R_FRCD_HI_FR_MASK |
                         R_FRCD_HI_T1_MASK | R_FRCD_HI_PV_MASK |
                         R_FRCD_HI_PP_MASK | R_FRCD_HI_F_MASK;

    for (uint32_t i = 0; i < log->nfr; i++) {
        uint8_t *rec = log->regs + log->fro + i * DMAR_FRCD_SIZE;

        if (((ldq_le_p(rec + 8) ^ hi) & key) == 0 && ldq_le_p(rec) == lo) {
            return true;
        }
    }
    return false;
}

DmarRecordResult dmar_fault_record(DmarFaultLog *log, const DmarFault *f,
                                   bool *send)
{
    uint32_t fsts = get32(log, A_FSTS);
    uint32_t i = log->next < log->nfr ? log->next : 0;
    uint8_t *rec = log->regs + log->fro + i * DMAR_FRCD_SIZE;
    uint64_t hi = 0;
    uint64_t lo = f->addr & ~(DMAR_PAGE_SIZE - 1);

    *send = false;
    hi = FIELD_DP64(hi, FRCD_HI, SID, f->sid);
    hi = FIELD_DP64(hi, FRCD_HI, FR, f->fr);
    hi = FIELD_DP64(hi, FRCD_HI, T1, !f->is_write);
    if (f->pasid_valid) {
        hi = FIELD_DP64(hi, FRCD_HI, PP, 1);
        hi = FIELD_DP64(hi, FRCD_HI, PV, f->pasid);
        hi = FIELD_DP64(hi, FRCD_HI, PRIV, f->priv);
        hi = FIELD_DP64(hi, FRCD_HI, EXE, f->exec);
    }
    hi = FIELD_DP64(hi, FRCD_HI, F, 1);

    /* §7.2.1: with PFO set, no new fault is recorded. */
    if (fsts & R_FSTS_PFO_MASK) {
        return DMAR_FAULT_DROPPED;
    }
    if (fault_pending(log, lo, hi)) {
        return DMAR_FAULT_COLLAPSED;
    }
    if (FIELD_EX64(frcd_hi(log, i), FRCD_HI, F)) {
        set32(log, A_FSTS, fsts | R_FSTS_PFO_MASK);
        return DMAR_FAULT_OVERFLOW;
    }
    stq_le_p(rec, lo);
    stq_le_p(rec + 8, hi);

    /* FRI names the first pending record: set it when PPF goes 0 -> 1. */
    if (!(fsts & R_FSTS_PPF_MASK)) {
        fsts = FIELD_DP32(fsts, FSTS, FRI, i);
    }
    set32(log, A_FSTS, fsts | R_FSTS_PPF_MASK);
    log->next = (i + 1) % log->nfr;
    *send = dmar_fault_event_condition(log, fsts & ~R_FSTS_FRI_MASK);
    return DMAR_FAULT_RECORDED;
}

void dmar_fault_status_update(DmarFaultLog *log)
{
    uint32_t fsts = get32(log, A_FSTS) & ~R_FSTS_PPF_MASK;

    /* PPF is the OR of every record's F bit (§11.4.7.1). */
    for (uint32_t i = 0; i < log->nfr; i++) {
        if (FIELD_EX64(frcd_hi(log, i), FRCD_HI, F)) {
            fsts |= R_FSTS_PPF_MASK;
            break;
        }
    }
    set32(log, A_FSTS, fsts);
    /* IP clears once software has serviced every interrupt condition. */
    if (!(fsts & DMAR_FSTS_EVENT_BITS)) {
        set32(log, A_FECTL, get32(log, A_FECTL) & ~R_FECTL_IP_MASK);
    }
}

bool dmar_fault_fectl_written(DmarFaultLog *log)
{
    uint32_t fectl = get32(log, A_FECTL);

    if ((fectl & R_FECTL_IP_MASK) && !(fectl & R_FECTL_IM_MASK)) {
        set32(log, A_FECTL, fectl & ~R_FECTL_IP_MASK);
        return true;
    }
    return false;
}

const char *dmar_fault_reason_name(unsigned fr)
{
    static const char *const names[] = {
        [DMAR_FR_ROOT_NOT_PRESENT] = "root-not-present",
        [DMAR_FR_CTX_NOT_PRESENT] = "context-not-present",
        [DMAR_FR_CTX_INVALID] = "context-invalid",
        [DMAR_FR_ADDR_BEYOND_AGAW] = "address-beyond-aw",
        [DMAR_FR_WRITE] = "write-not-permitted",
        [DMAR_FR_READ] = "read-not-permitted",
        [DMAR_FR_PTE_ACCESS] = "paging-entry-access-error",
        [DMAR_FR_ROOT_ACCESS] = "root-access-error",
        [DMAR_FR_CTX_ACCESS] = "context-access-error",
        [DMAR_FR_ROOT_RSVD] = "root-reserved",
        [DMAR_FR_CTX_RSVD] = "context-reserved",
        [DMAR_FR_PTE_RSVD] = "paging-entry-reserved",
        [DMAR_FR_TT_BLOCKED] = "request-blocked",
        [DMAR_FR_INTR_ADDR] = "interrupt-address-range",
        [DMAR_FR_IR_REQ_RSVD] = "ir-request-reserved",
        [DMAR_FR_IR_INDEX] = "ir-index-beyond-table",
        [DMAR_FR_IR_NOT_PRESENT] = "irte-not-present",
        [DMAR_FR_IR_TABLE_ACCESS] = "irte-access-error",
        [DMAR_FR_IR_IRTE_RSVD] = "irte-reserved",
        [DMAR_FR_IR_COMPAT] = "ir-compat-format-blocked",
        [DMAR_FR_IR_SID] = "ir-source-id-invalid",
        [DMAR_FR_RTA_TTM] = "root-table-mode-invalid",
        [DMAR_FR_ABORT_DMA] = "abort-dma-mode",
        [DMAR_FR_SM_ROOT_ACCESS] = "sm-root-access-error",
        [DMAR_FR_SM_ROOT_NOT_PRESENT] = "sm-root-not-present",
        [DMAR_FR_SM_ROOT_RSVD] = "sm-root-reserved",
        [DMAR_FR_SM_CTX_ACCESS] = "sm-context-access-error",
        [DMAR_FR_SM_CTX_NOT_PRESENT] = "sm-context-not-present",
        [DMAR_FR_SM_CTX_RSVD] = "sm-context-reserved",
        [DMAR_FR_SM_CTX_INVALID] = "sm-context-invalid",
        [DMAR_FR_SM_DTE] = "sm-context-dte-clear",
        [DMAR_FR_SM_PASIDE] = "sm-context-paside-clear",
        [DMAR_FR_SM_PASID_BEYOND] = "sm-pasid-beyond-directory",
        [DMAR_FR_SM_RID_PASID] = "sm-rid-pasid-beyond-directory",
        [DMAR_FR_PASID_DIR_ACCESS] = "pasid-directory-access-error",
        [DMAR_FR_PASID_DIR_NOT_PRESENT] = "pasid-directory-not-present",
        [DMAR_FR_PASID_DIR_RSVD] = "pasid-directory-reserved",
        [DMAR_FR_PASID_ACCESS] = "pasid-entry-access-error",
        [DMAR_FR_PASID_NOT_PRESENT] = "pasid-entry-not-present",
        [DMAR_FR_PASID_RSVD] = "pasid-entry-reserved",
        [DMAR_FR_PASID_INVALID] = "pasid-entry-invalid",
        [DMAR_FR_PASID_ERE] = "pasid-entry-ere-clear",
        [DMAR_FR_PASID_SRE] = "pasid-entry-sre-clear",
        [DMAR_FR_FS_ACCESS] = "first-stage-access-error",
        [DMAR_FR_FS_NOT_PRESENT] = "first-stage-not-present",
        [DMAR_FR_FS_RSVD] = "first-stage-reserved",
        [DMAR_FR_FS_PTR_ACCESS] = "first-stage-table-access-error",
        [DMAR_FR_NESTED_BEYOND] = "nested-table-beyond-width",
        [DMAR_FR_NESTED_TOP_READ] = "nested-top-table-read-denied",
        [DMAR_FR_NESTED_READ] = "nested-table-read-denied",
        [DMAR_FR_NESTED_WRITE] = "nested-table-write-denied",
        [DMAR_FR_SS_ACCESS] = "second-stage-access-error",
        [DMAR_FR_SS_NOT_PRESENT] = "second-stage-not-present",
        [DMAR_FR_SS_RSVD] = "second-stage-reserved",
        [DMAR_FR_SS_PTR_ACCESS] = "second-stage-table-access-error",
        [DMAR_FR_SM_NON_CANONICAL] = "sm-non-canonical",
        [DMAR_FR_SM_USER] = "sm-user-to-supervisor-page",
        [DMAR_FR_SM_EXEC] = "sm-execute-not-permitted",
        [DMAR_FR_SM_BEYOND] = "sm-address-beyond-width",
        [DMAR_FR_SM_WRITE] = "sm-write-not-permitted",
        [DMAR_FR_SM_READ] = "sm-read-not-permitted",
        [DMAR_FR_SM_INTR_ADDR] = "sm-interrupt-address-range",
    };

    return fr < ARRAY_SIZE(names) && names[fr] ? names[fr] : "unknown";
}
