/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar register file: one table of access rules, one generic merge,
 * and the hooks for registers whose writes do something (VT-d §11.4).
 *
 * Accesses (docs/vtd-dmar.rst, "Register access"): 32-bit to any
 * register, 64-bit to 64-bit registers (whole, or either 32-bit half);
 * any other 8-byte access on a 4-byte boundary is two 32-bit accesses,
 * low then high. Anything else (1/2-byte, misaligned) and offsets with no
 * register read as 0, are ignored on write and are logged as guest errors.
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/log.h"
#include "dmar-internal.h"
#include "trace.h"

typedef unsigned DmarRegHook(DmarState *s, uint64_t val);

typedef struct DmarRegInfo {
    const char *name;
    uint16_t off;
    uint8_t size;               /* 4 or 8 */
    bool wo;                    /* write-only: reads return 0 */
    uint64_t rw;                /* bits software can write */
    uint64_t w1c;               /* bits software clears by writing 1 */
    DmarRegHook *post_write;    /* called with the lock held */
} DmarRegInfo;

uint32_t dmar_get32(DmarState *s, uint32_t off)
{
    return ldl_le_p(s->regs + off);
}

uint64_t dmar_get64(DmarState *s, uint32_t off)
{
    return ldq_le_p(s->regs + off);
}

void dmar_set32(DmarState *s, uint32_t off, uint32_t v)
{
    stl_le_p(s->regs + off, v);
}

void dmar_set64(DmarState *s, uint32_t off, uint64_t v)
{
    stq_le_p(s->regs + off, v);
}

/* ---- hooks ---- */

/* §11.4.4.1: GCMD; persistent bits are taken from the value written. */
static unsigned dmar_gcmd_write(DmarState *s, uint64_t val)
{
    uint32_t gsts = dmar_get32(s, A_GSTS), old = gsts;
    unsigned act = 0;
    bool qi_enabled = false;

    if (val & R_GCMD_SRTP_MASK) {
        s->root = dmar_get64(s, A_RTADDR);
        gsts |= R_GSTS_RTPS_MASK;
        /* Cached entries came from the old table: drop them. */
        dmar_inv_all_locked(s);
        act |= DMAR_ACT_SWITCH_AS;
    }
    if (!!(val & R_GCMD_TE_MASK) != !!(gsts & R_GSTS_TES_MASK)) {
        gsts ^= R_GSTS_TES_MASK;
        act |= DMAR_ACT_SWITCH_AS;
        /* What notifiers keep was translated under the other setting. */
        dmar_unmap_all_locked(s, false);
    }
    if (!!(val & R_GCMD_QIE_MASK) != !!(gsts & R_GSTS_QIES_MASK)) {
        gsts ^= R_GSTS_QIES_MASK;
        /* §11.4.9.1: IQH is 0 while QI is disabled; enabling starts there */
        dmar_set64(s, A_IQH, 0);
        qi_enabled = gsts & R_GSTS_QIES_MASK;
    }
    if (FIELD_EX64(dmar_get64(s, A_ECAP), ECAP, IR)) {
        if (val & R_GCMD_SIRTP_MASK) {
            dmar_irta_latch_locked(s);
            gsts |= R_GSTS_IRTPS_MASK;
            act |= DMAR_ACT_IEC_NOTIFY;
        }
        if (!!(val & R_GCMD_IRE_MASK) != !!(gsts & R_GSTS_IRES_MASK)) {
            gsts ^= R_GSTS_IRES_MASK;
            act |= DMAR_ACT_IEC_NOTIFY;
        }
        if (!!(val & R_GCMD_CFI_MASK) != !!(gsts & R_GSTS_CFIS_MASK)) {
            gsts ^= R_GSTS_CFIS_MASK;
        }
        val &= ~(R_GCMD_SIRTP_MASK | R_GCMD_IRE_MASK | R_GCMD_CFI_MASK);
    }
    if (val & (R_GCMD_SFL_MASK | R_GCMD_EAFL_MASK | R_GCMD_WBF_MASK |
               R_GCMD_IRE_MASK | R_GCMD_SIRTP_MASK | R_GCMD_CFI_MASK)) {
        /* Not offered by CAP/ECAP: no effect, as for reserved bits. */
        qemu_log_mask(LOG_UNIMP, "vtd-dmar: GCMD 0x%08" PRIx32
                      ": command not offered by this unit\n", (uint32_t)val);
    }
    /*
     * §7.2.1: the index of the next fault record is reset to zero when
     * address and interrupt translation are both disabled.
     */
    if (!(gsts & (R_GSTS_TES_MASK | R_GSTS_IRES_MASK))) {
        s->flog.next = 0;
    }
    dmar_set32(s, A_GSTS, gsts);
    trace_dmar_gcmd(val, old, gsts);
    if (qi_enabled) {
        /* Descriptors already between IQH (0) and IQT run now. */
        act |= dmar_qi_run_locked(s);
    }
    return act;
}

/*
 * §6.5.2: register-based invalidation is not used with QI on. Such a
 * command does nothing, but completes (granularity 0) so that software
 * polling its command bit does not spin.
 */
static bool register_inv_refused(DmarState *s, const char *reg)
{
    if (!(dmar_get32(s, A_GSTS) & R_GSTS_QIES_MASK)) {
        return false;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "vtd-dmar: %s written while queued "
                  "invalidation is enabled: ignored\n", reg);
    return true;
}

/* §11.4.6.1: register-based context-cache invalidation. */
static unsigned dmar_ccmd_write(DmarState *s, uint64_t val)
{
    unsigned gran;

    if (!FIELD_EX64(val, CCMD, ICC)) {
        return 0;
    }
    if (register_inv_refused(s, "CCMD")) {
        gran = 0;
    } else {
        gran = dmar_inv_context_locked(s, FIELD_EX64(val, CCMD, CIRG),
                                       FIELD_EX64(val, CCMD, DID),
                                       FIELD_EX64(val, CCMD, SID),
                                       FIELD_EX64(val, CCMD, FM));
    }
    val = FIELD_DP64(val, CCMD, ICC, 0);
    val = FIELD_DP64(val, CCMD, CAIG, gran);
    dmar_set64(s, A_CCMD, val);
    return DMAR_ACT_SWITCH_AS;
}

/* §11.4.6.3: register-based IOTLB invalidation. */
static unsigned dmar_iotlb_write(DmarState *s, uint64_t val)
{
    uint64_t iva = dmar_get64(s, A_IVA);
    unsigned gran;

    if (!FIELD_EX64(val, IOTLB, IVT)) {
        return 0;
    }
    if (register_inv_refused(s, "IOTLB")) {
        gran = 0;
    } else {
        gran = dmar_inv_iotlb_locked(s, FIELD_EX64(val, IOTLB, IIRG),
                                     FIELD_EX64(val, IOTLB, DID),
                                     iva & R_IVA_ADDR_MASK,
                                     FIELD_EX64(iva, IVA, AM));
    }
    val = FIELD_DP64(val, IOTLB, IVT, 0);
    val = FIELD_DP64(val, IOTLB, IAIG, gran);
    dmar_set64(s, A_IOTLB, val);
    return 0;
}

static unsigned dmar_fsts_write(DmarState *s, uint64_t val)
{
    dmar_fault_status_update(&s->flog);
    /* §6.5.2.10: clearing IQE lets the queue run again */
    return dmar_qi_run_locked(s);
}

static unsigned dmar_iqt_write(DmarState *s, uint64_t val)
{
    return dmar_qi_run_locked(s);
}

/*
 * §11.4.9.3: base address bits 63:HAW are not implemented (they read 0,
 * so a fetch never goes past the host address width); DW is kept, and
 * makes the queue stop with IQE once it runs (dmar_qi_run_locked). A new
 * queue starts at its base.
 */
static unsigned dmar_iqa_write(DmarState *s, uint64_t val)
{
    dmar_set64(s, A_IQA, val & (MAKE_64BIT_MASK(0, s->hw.haw) |
                                R_IQA_DW_MASK | R_IQA_QS_MASK));
    dmar_set64(s, A_IQH, 0);
    return 0;
}

static unsigned dmar_ics_write(DmarState *s, uint64_t val)
{
    dmar_inv_event_status_update(s);
    return 0;
}

static unsigned dmar_irta_write(DmarState *s, uint64_t val)
{
    /*
     * §11.4.10: EIME is reserved unless ECAP.EIM, and IRTA needs ECAP.IR
     * at all. Address bits 63:HAW are not implemented: they read 0.
     */
    val &= MAKE_64BIT_MASK(0, s->hw.haw);
    if (!FIELD_EX64(dmar_get64(s, A_ECAP), ECAP, IR)) {
        val = 0;
    } else if (!s->eim_on) {
        val &= ~R_IRTA_EIME_MASK;
    }
    dmar_set64(s, A_IRTA, val);
    return 0;
}

static unsigned dmar_iectl_write(DmarState *s, uint64_t val)
{
    return dmar_inv_event_unmasked(s) ? DMAR_ACT_INV_EVENT : 0;
}

static unsigned dmar_fectl_write(DmarState *s, uint64_t val)
{
    return dmar_fault_fectl_written(&s->flog) ? DMAR_ACT_FAULT_EVENT : 0;
}

/* ---- the table ---- */

#define RO(n, sz)           { .name = #n, .off = A_##n, .size = sz }
#define RW(n, sz, m)        { .name = #n, .off = A_##n, .size = sz, .rw = m }

static const DmarRegInfo dmar_regs[] = {
    RO(VER, 4),
    RO(CAP, 8),
    RO(ECAP, 8),
    { .name = "GCMD", .off = A_GCMD, .size = 4, .wo = true,
      .post_write = dmar_gcmd_write },
    RO(GSTS, 4),
    /* TTM stays 0 (legacy): scalable mode is not offered (ECAP.SMTS=0). */
    RW(RTADDR, 8, R_RTADDR_RTA_MASK),
    { .name = "CCMD", .off = A_CCMD, .size = 8,
      .rw = R_CCMD_ICC_MASK | R_CCMD_CIRG_MASK | R_CCMD_FM_MASK |
            R_CCMD_SID_MASK | R_CCMD_DID_MASK,
      .post_write = dmar_ccmd_write },
    { .name = "FSTS", .off = A_FSTS, .size = 4,
      .w1c = R_FSTS_PFO_MASK | R_FSTS_AFO_MASK | R_FSTS_APF_MASK |
             R_FSTS_IQE_MASK | R_FSTS_ICE_MASK | R_FSTS_ITE_MASK,
      .post_write = dmar_fsts_write },
    { .name = "FECTL", .off = A_FECTL, .size = 4, .rw = R_FECTL_IM_MASK,
      .post_write = dmar_fectl_write },
    RW(FEDATA, 4, 0xffff),
    RW(FEADDR, 4, 0xfffffffc),
    RW(FEUADDR, 4, 0xffffffff),
    RO(AFLOG, 8),
    /* Protected memory regions: CAP.PLMR = PHMR = 0, so all RsvdZ. */
    RO(PMEN, 4),
    RO(PLMBASE, 4),
    RO(PLMLIMIT, 4),
    RO(PHMBASE, 8),
    RO(PHMLIMIT, 8),
    /* Queued invalidation (§11.4.9) */
    RO(IQH, 8),
    { .name = "IQT", .off = A_IQT, .size = 8, .rw = R_IQT_QT_MASK,
      .post_write = dmar_iqt_write },
    { .name = "IQA", .off = A_IQA, .size = 8,
      .rw = R_IQA_IQA_MASK | R_IQA_DW_MASK | R_IQA_QS_MASK,
      .post_write = dmar_iqa_write },
    { .name = "ICS", .off = A_ICS, .size = 4, .w1c = R_ICS_IWC_MASK,
      .post_write = dmar_ics_write },
    { .name = "IECTL", .off = A_IECTL, .size = 4, .rw = R_IECTL_IM_MASK,
      .post_write = dmar_iectl_write },
    RW(IEDATA, 4, 0xffff),
    RW(IEADDR, 4, 0xfffffffc),
    RW(IEUADDR, 4, 0xffffffff),
    RO(IQERCD, 8),
    /* Interrupt remapping (§11.4.10) */
    { .name = "IRTA", .off = A_IRTA, .size = 8,
      .rw = R_IRTA_IRTA_MASK | R_IRTA_EIME_MASK | R_IRTA_S_MASK,
      .post_write = dmar_irta_write },
    RW(IVA, 8, R_IVA_ADDR_MASK | R_IVA_IH_MASK | R_IVA_AM_MASK),
    { .name = "IOTLB", .off = A_IOTLB, .size = 8,
      .rw = R_IOTLB_IVT_MASK | R_IOTLB_IIRG_MASK | R_IOTLB_DR_MASK |
            R_IOTLB_DW_MASK | R_IOTLB_DID_MASK,
      .post_write = dmar_iotlb_write },
};

static unsigned dmar_frcd_write(DmarState *s, uint64_t val)
{
    dmar_fault_status_update(&s->flog);
    return 0;
}

/* The FRCD array: lo is read-only, hi has the W1C fault bit. */
static DmarRegInfo frcd_info(DmarState *s, uint32_t off)
{
    uint32_t base = off - ((off - DMAR_FRO_OFFSET) % 8);
    bool hi = (off - DMAR_FRO_OFFSET) % DMAR_FRCD_SIZE >= 8;

    return (DmarRegInfo) {
        .name = hi ? "FRCD_HI" : "FRCD_LO", .off = base, .size = 8,
        .w1c = hi ? R_FRCD_HI_F_MASK : 0,
        .post_write = hi ? dmar_frcd_write : NULL,
    };
}

static bool find_reg(DmarState *s, uint32_t off, DmarRegInfo *out)
{
    if (off >= DMAR_FRO_OFFSET &&
        off < DMAR_FRO_OFFSET + s->nfr * DMAR_FRCD_SIZE) {
        *out = frcd_info(s, off);
        return true;
    }
    for (size_t i = 0; i < ARRAY_SIZE(dmar_regs); i++) {
        if (off >= dmar_regs[i].off &&
            off < dmar_regs[i].off + dmar_regs[i].size) {
            *out = dmar_regs[i];
            return true;
        }
    }
    return false;
}

static void log_access(hwaddr off, unsigned size, bool write, const char *why)
{
    qemu_log_mask(LOG_GUEST_ERROR, "vtd-dmar: %s of %u bytes at 0x%"
                  HWADDR_PRIx ": %s\n", write ? "write" : "read", size, off,
                  why);
}

/* The register an aligned 32-bit or 64-bit access hits; logs when none. */
static bool access_reg(DmarState *s, hwaddr off, unsigned size, bool write,
                       DmarRegInfo *reg)
{
    if (!find_reg(s, off, reg)) {
        log_access(off, size, write, "no register at this offset");
        return false;
    }
    return true;
}

/*
 * VT-d §11.2 defines aligned 32-bit accesses to any register and aligned
 * 64-bit accesses to 64-bit registers, and lets hardware carry out a
 * 64-bit access as two 32-bit ones, lower half first. Every other 8-byte
 * access on a 4-byte boundary is done that way here. That is also what
 * TCG makes of one at 4 mod 8 before we see it, while KVM and qtest hand
 * it over whole (.impl.unaligned): the result is the same on all three.
 */
typedef enum DmarAccess {
    DMAR_ACCESS_NONE,       /* 1 or 2 bytes, or misaligned: read 0, ignore */
    DMAR_ACCESS_ONE,        /* 32-bit, or 64-bit to one 64-bit register */
    DMAR_ACCESS_SPLIT,      /* 64-bit, done as two 32-bit accesses */
} DmarAccess;

static DmarAccess access_kind(DmarState *s, hwaddr off, unsigned size,
                              bool write)
{
    DmarRegInfo reg;

    if (size == 4 && off % 4 == 0) {
        return DMAR_ACCESS_ONE;
    }
    if (size == 8 && off % 8 == 0 && find_reg(s, off, &reg) &&
        reg.size == 8 && reg.off == off) {
        return DMAR_ACCESS_ONE;
    }
    if (size == 8 && off % 4 == 0) {
        log_access(off, size, write, "not one 64-bit register: done as two "
                   "32-bit accesses, low then high");
        return DMAR_ACCESS_SPLIT;
    }
    log_access(off, size, write, "unsupported size or alignment");
    return DMAR_ACCESS_NONE;
}

/* An aligned 32-bit access, or a 64-bit one to a 64-bit register. */
static uint64_t reg_read(DmarState *s, hwaddr off, unsigned size)
{
    DmarRegInfo reg;
    uint64_t val = 0;

    if (!access_reg(s, off, size, false, &reg)) {
        return 0;
    }
    if (!reg.wo) {
        WITH_QEMU_LOCK_GUARD(&s->lock) {
            val = size == 8 ? dmar_get64(s, off) : dmar_get32(s, off);
        }
    }
    trace_dmar_mmio_read(reg.name, off, size, val);
    return val;
}

static uint64_t dmar_mmio_read(void *opaque, hwaddr off, unsigned size)
{
    DmarState *s = opaque;

    switch (access_kind(s, off, size, false)) {
    case DMAR_ACCESS_ONE:
        return reg_read(s, off, size);
    case DMAR_ACCESS_SPLIT:
        return reg_read(s, off, 4) | reg_read(s, off + 4, 4) << 32;
    default:
        return 0;
    }
}

static void reg_write(DmarState *s, hwaddr off, uint64_t val, unsigned size)
{
    DmarRegInfo reg;
    unsigned shift, act = 0;
    uint64_t lanes, old, new, full;

    if (!access_reg(s, off, size, true, &reg)) {
        return;
    }
    trace_dmar_mmio_write(reg.name, off, size, val);
    /* Work on the whole register; a 32-bit write touches one half. */
    shift = (off - reg.off) * 8;
    lanes = (size == 8 ? ~0ull : 0xffffffffull) << shift;
    full = val << shift;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        old = reg.size == 8 ? dmar_get64(s, reg.off) : dmar_get32(s, reg.off);
        if (reg.wo) {
            new = 0;
        } else {
            new = (old & ~(reg.rw & lanes)) | (full & reg.rw & lanes);
            new &= ~(full & reg.w1c & lanes);
        }
        if (reg.size == 8) {
            dmar_set64(s, reg.off, new);
        } else {
            dmar_set32(s, reg.off, new);
        }
        if (reg.post_write) {
            /* Write-only registers' hooks see the value written. */
            act = reg.post_write(s, reg.wo ? (full & lanes) : new);
        }
        if (dmar_unmap_pending_locked(s)) {
            act |= DMAR_ACT_UNMAP;
        }
    }
    dmar_run_actions(s, act);
}

void dmar_run_actions(DmarState *s, unsigned act)
{
    /* Notifiers forget old translations before the devices go on. */
    if (act & DMAR_ACT_UNMAP) {
        dmar_unmap_flush(s);
    }
    if (act & DMAR_ACT_SWITCH_AS) {
        dmar_update_address_spaces(s);
    }
    if (act & DMAR_ACT_FAULT_EVENT) {
        dmar_send_msi(s, A_FEADDR, A_FEDATA);
    }
    if (act & DMAR_ACT_INV_EVENT) {
        dmar_send_msi(s, A_IEADDR, A_IEDATA);
    }
    if (act & DMAR_ACT_IEC_NOTIFY) {
        /* KVM's split irqchip re-reads its MSI routes (never under lock) */
        x86_iommu_iec_notify_all(X86_IOMMU_DEVICE(s), true, 0, 0);
    }
}

static void dmar_mmio_write(void *opaque, hwaddr off, uint64_t val,
                            unsigned size)
{
    DmarState *s = opaque;

    switch (access_kind(s, off, size, true)) {
    case DMAR_ACCESS_ONE:
        reg_write(s, off, val, size);
        break;
    case DMAR_ACCESS_SPLIT:
        /* The low half's effects (events included) come first. */
        reg_write(s, off, (uint32_t)val, 4);
        reg_write(s, off + 4, val >> 32, 4);
        break;
    default:
        break;
    }
}

const MemoryRegionOps dmar_mmio_ops = {
    .read = dmar_mmio_read,
    .write = dmar_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /*
     * Every size and alignment reaches us unsplit (where the accelerator
     * does not split it first); access_kind() decides, never an assert.
     */
    .valid = { .min_access_size = 1, .max_access_size = 8,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8,
              .unaligned = true },
};

/* ---- reset values ---- */

uint64_t dmar_cap_value(DmarState *s)
{
    uint64_t cap = 0;

    cap = FIELD_DP64(cap, CAP, ND, 6);              /* 65536 domains */
    cap = FIELD_DP64(cap, CAP, CM, s->caching_mode);
    cap = FIELD_DP64(cap, CAP, SAGAW, s->hw.sagaw);
    cap = FIELD_DP64(cap, CAP, MGAW, s->aw_bits - 1);
    cap = FIELD_DP64(cap, CAP, FRO, DMAR_FRO_OFFSET / 16);
    cap = FIELD_DP64(cap, CAP, SLLPS, s->hw.sllps);
    cap = FIELD_DP64(cap, CAP, PSI, 1);
    cap = FIELD_DP64(cap, CAP, NFR, s->nfr - 1);
    cap = FIELD_DP64(cap, CAP, MAMV, 18);           /* up to 1 GiB */
    cap = FIELD_DP64(cap, CAP, DWD, s->dma_drain);
    cap = FIELD_DP64(cap, CAP, DRD, s->dma_drain);
    return cap;
}

uint64_t dmar_ecap_value(DmarState *s)
{
    uint64_t ecap = 0;

    /* Our walks read memory coherently: no cache flushes needed (C=1). */
    ecap = FIELD_DP64(ecap, ECAP, C, 1);
    ecap = FIELD_DP64(ecap, ECAP, QI, 1);
    ecap = FIELD_DP64(ecap, ECAP, IR,
                      x86_iommu_ir_supported(X86_IOMMU_DEVICE(s)));
    ecap = FIELD_DP64(ecap, ECAP, EIM, s->eim_on);
    /* MHMV: index-selective IEC invalidation takes any handle mask */
    ecap = FIELD_DP64(ecap, ECAP, MHMV,
                      x86_iommu_ir_supported(X86_IOMMU_DEVICE(s)) ? 0xf : 0);
    ecap = FIELD_DP64(ecap, ECAP, PT, s->hw.pt);
    /* snoop-control: SNP in leaf entries is allowed (dmar-core.c) */
    ecap = FIELD_DP64(ecap, ECAP, SC, s->hw.sc);
    ecap = FIELD_DP64(ecap, ECAP, DT, s->hw.dt);
    ecap = FIELD_DP64(ecap, ECAP, IRO, DMAR_IRO_OFFSET / 16);
    return ecap;
}

void dmar_regs_reset(DmarState *s)
{
    memset(s->regs, 0, sizeof(s->regs));
    /* §11.4.1: the register file follows revision 4.1 of the spec */
    dmar_set32(s, A_VER, FIELD_DP32(0, VER, MAX, 4) |
                         FIELD_DP32(0, VER, MIN, 1));
    /* §11.4.7.2: the fault event is masked until software sets it up. */
    dmar_set32(s, A_FECTL, R_FECTL_IM_MASK);
    dmar_set32(s, A_IECTL, R_IECTL_IM_MASK);
    dmar_set64(s, A_CAP, dmar_cap_value(s));
    dmar_set64(s, A_ECAP, dmar_ecap_value(s));
    s->root = 0;
    s->flog.next = 0;
}
