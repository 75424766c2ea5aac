/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar interrupt delivery: writes to 0xFEEx_xxxx from devices and the
 * IOAPIC, remapped through the IRTE (VT-d chapter 5) when GSTS.IRES is
 * set, with the interrupt entry cache and its invalidation (§6.5.2.7).
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/lockable.h"
#include "hw/i386/apic_internal.h"
#include "hw/i386/apic-msidef.h"
#include "hw/pci-host/q35.h"
#include "dmar-internal.h"
#include "trace.h"

static DmarIecEntry *iec_slot(DmarState *s, uint32_t index)
{
    return &s->iec[index % DMAR_IEC_ENTRIES];
}

void dmar_iec_flush_locked(DmarState *s, bool global, uint32_t index,
                           unsigned im)
{
    uint32_t mask = im >= 32 ? 0 : ~((1u << im) - 1);

    for (unsigned i = 0; i < DMAR_IEC_ENTRIES; i++) {
        DmarIecEntry *e = &s->iec[i];

        if (e->valid && (global || (e->index & mask) == (index & mask))) {
            e->valid = false;
        }
    }
    trace_dmar_iec_flush(global, index, im);
}

void dmar_irta_from_raw(DmarState *s)
{
    s->irta = (DmarIrtaConfig) {
        .base = s->irta_raw & R_IRTA_IRTA_MASK,
        .entries = 2u << FIELD_EX64(s->irta_raw, IRTA, S),
        .haw = s->hw.haw,
        .eime = s->eim_on && FIELD_EX64(s->irta_raw, IRTA, EIME),
    };
    memset(s->iec, 0, sizeof(s->iec));
}

/* GCMD.SIRTP (§11.4.4.1): take IRTA; cached entries are now stale. */
void dmar_irta_latch_locked(DmarState *s)
{
    s->irta_raw = dmar_get64(s, A_IRTA);
    dmar_irta_from_raw(s);
    trace_dmar_iec_flush(true, 0, 0);
}

/*
 * DmarMemOps read for the interrupt remapping table: IRTEs come from the
 * interrupt entry cache, or from memory (and present ones are cached).
 */
static bool iec_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    DmarState *s = opaque;
    uint32_t index = (gpa - s->irta.base) / 16;
    DmarIecEntry *e = iec_slot(s, index);
    uint64_t raw[2];

    if (len != sizeof(raw) || (gpa - s->irta.base) % 16) {
        return dmar_read_guest(s, gpa, buf, len);
    }
    if (e->valid && e->index == index) {
        raw[0] = cpu_to_le64(e->lo);
        raw[1] = cpu_to_le64(e->hi);
    } else {
        if (!dmar_read_guest(s, gpa, raw, sizeof(raw))) {
            return false;
        }
        if (FIELD_EX64(le64_to_cpu(raw[0]), IRTE_LO, P)) {
            *e = (DmarIecEntry) { .lo = le64_to_cpu(raw[0]),
                                  .hi = le64_to_cpu(raw[1]),
                                  .index = index, .valid = true };
        }
    }
    memcpy(buf, raw, sizeof(raw));
    return true;
}

static const DmarMemOps iec_mem_ops = {
    .read = iec_read,
    .write = dmar_write_guest,
    .cmpxchg64 = dmar_cmpxchg64_guest,
};

/*
 * Decide what to deliver for the request (ADDR, DATA) from SID. Returns
 * false when it is blocked; *send then says whether the fault event must
 * go out. Called with the lock held.
 */
static bool remap_locked(DmarState *s, uint64_t addr, uint32_t data,
                         uint16_t sid, MSIMessage *out, bool *remapped,
                         bool *send)
{
    uint32_t gsts = dmar_get32(s, A_GSTS);
    const DmarMem mem = { &iec_mem_ops, s };
    DmarIrFault irf = { 0 };
    X86IOMMUIrq xirq = { 0 };
    DmarIrq irq;

    *send = false;
    *remapped = false;
    out->address = addr;
    out->data = data;
    if (!(gsts & R_GSTS_IRES_MASK)) {
        return true;                    /* remapping off: as is */
    }
    if (!FIELD_EX64(addr, IR_MSI, FORMAT)) {
        /* §5.1.4: compatibility format passes only with CFIS and !EIME */
        if ((gsts & R_GSTS_CFIS_MASK) && !s->irta.eime) {
            return true;
        }
        irf.fr = DMAR_FR_IR_COMPAT;
    } else if (dmar_ir_remap(&s->irta, addr, data, sid, &mem, &irq, &irf)) {
        xirq = (X86IOMMUIrq) {
            .trigger_mode = irq.trigger_level,
            .vector = irq.vector,
            .delivery_mode = irq.delivery_mode,
            .dest = irq.dest,
            .dest_mode = irq.dest_mode,
            .redir_hint = irq.redir_hint,
        };
        x86_iommu_irq_to_msi_message(&xirq, out);
        *remapped = true;
        trace_dmar_ir_remap(sid, irf.index, irq.vector, irq.dest);
        return true;
    }
    {
        DmarFault f = {
            .fr = irf.fr, .sid = sid, .is_write = true, .fpd = irf.fpd,
            /* §11.4.7.6: for interrupts, FI bits 63:48 hold the index */
            .addr = (uint64_t)(irf.index & 0xffff) << 48,
        };

        dmar_report_fault_locked(s, &f, send);
    }
    return false;
}

static MemTxResult dmar_msi_write(void *opaque, hwaddr off, uint64_t val,
                                  unsigned size, MemTxAttrs attrs)
{
    DmarDevAS *das = opaque;
    DmarState *s = das->unit;
    uint16_t sid = dmar_das_sid(das);
    MSIMessage msg;
    bool ok, remapped, send;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        ok = remap_locked(s, DMAR_MSI_BASE + off, val, sid, &msg, &remapped,
                          &send);
    }
    if (send) {
        dmar_send_msi(s, A_FEADDR, A_FEDATA);
    }
    trace_dmar_msi(sid, DMAR_MSI_BASE + off, val);
    if (!ok) {
        return MEMTX_OK;                /* blocked and recorded */
    }
    if (remapped) {
        /*
         * A remapped message can name a 32-bit x2APIC destination, which
         * an MSI address cannot carry: hand it to the APICs directly.
         */
        apic_get_class(NULL)->send_msi(&msg);
    } else {
        address_space_stl_le(&s->downstream_as, msg.address, msg.data,
                             attrs, NULL);
    }
    return MEMTX_OK;
}

static MemTxResult dmar_msi_read(void *opaque, hwaddr off, uint64_t *val,
                                 unsigned size, MemTxAttrs attrs)
{
    *val = 0;
    return MEMTX_OK;
}

const MemoryRegionOps dmar_msi_ops = {
    .read_with_attrs = dmar_msi_read,
    .write_with_attrs = dmar_msi_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/*
 * The source-id of the IOAPIC's interrupt requests: that of its DMAR
 * device scope entry (VT-d §8.3.1), which the board also gives the
 * messages it routes here from the IOAPIC (dmar_ioapic_address_space()).
 */
static uint16_t ioapic_sid(DmarState *s)
{
    return s->ioapic_as ? dmar_das_sid(s->ioapic_as) :
           PCI_BUILD_BDF(Q35_PSEUDO_BUS_PLATFORM, Q35_PSEUDO_DEVFN_IOAPIC);
}

/*
 * X86IOMMUClass.int_remap: KVM's split irqchip asks for the MSI routes it
 * installs in the kernel. Every caller passes the requester id of a PCI
 * device, except QEMU's IOAPIC, which asks for its pins' routes with
 * X86_IOMMU_SID_INVALID: those are the IOAPIC's requests, so they carry
 * its source-id and its IRTEs are verified in full, as under TCG (and as
 * amd-iommu does with its IOAPIC's device id).
 *
 * The route is remapped when it is set up (RTE or MSI write, IEC
 * invalidation), not per interrupt: a blocked one is recorded then. And
 * KVM keeps a route it could not update, which would go on delivering
 * what the old IRTE said: a blocked request gets a route that reaches no
 * CPU instead (logical destination 0 matches no local APIC in any mode).
 */
int dmar_int_remap(X86IOMMUState *iommu, MSIMessage *src, MSIMessage *dst,
                   uint16_t sid)
{
    DmarState *s = VTD_DMAR(iommu);
    bool ok, remapped, send;

    if (sid == X86_IOMMU_SID_INVALID) {
        sid = ioapic_sid(s);
    }
    WITH_QEMU_LOCK_GUARD(&s->lock) {
        ok = remap_locked(s, src->address, src->data, sid, dst, &remapped,
                          &send);
    }
    if (send) {
        dmar_send_msi(s, A_FEADDR, A_FEDATA);
    }
    if (!ok) {
        *dst = (MSIMessage) {
            .address = DMAR_MSI_BASE | 1 << MSI_ADDR_DEST_MODE_SHIFT,
            .data = 0,
        };
    }
    return 0;
}
