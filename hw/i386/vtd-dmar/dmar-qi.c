/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar queued invalidation: decode (VT-d §6.5.2) and the bounded
 * queue walk. See dmar-qi.h.
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "dmar-qi.h"

static bool decode_cc(uint64_t lo, uint64_t hi, DmarQiDesc *d)
{
    if ((lo & DMAR_QI_CC_LO_RSVD) || hi) {
        return false;
    }
    d->gran = FIELD_EX64(lo, QI_CC, G);
    d->did = FIELD_EX64(lo, QI_CC, DID);
    d->sid = FIELD_EX64(lo, QI_CC, SID);
    d->fm = FIELD_EX64(lo, QI_CC, FM);
    return d->gran != 0;        /* granularity 0 is reserved */
}

static bool decode_iotlb(uint64_t lo, uint64_t hi, DmarQiDesc *d)
{
    if ((lo & DMAR_QI_IOTLB_LO_RSVD) || (hi & DMAR_QI_IOTLB_HI_RSVD)) {
        return false;
    }
    d->gran = FIELD_EX64(lo, QI_IOTLB, G);
    d->dw = FIELD_EX64(lo, QI_IOTLB, DW);
    d->dr = FIELD_EX64(lo, QI_IOTLB, DR);
    d->did = FIELD_EX64(lo, QI_IOTLB, DID);
    d->am = FIELD_EX64(hi, QI_IOTLB_HI, AM);
    d->ih = FIELD_EX64(hi, QI_IOTLB_HI, IH);
    d->addr = hi & R_QI_IOTLB_HI_ADDR_MASK;
    return d->gran != 0;
}

static bool decode_iec(uint64_t lo, uint64_t hi, DmarQiDesc *d)
{
    if ((lo & DMAR_QI_IEC_LO_RSVD) || hi) {
        return false;
    }
    d->gran = FIELD_EX64(lo, QI_IEC, G);
    d->am = FIELD_EX64(lo, QI_IEC, IM);
    d->index = FIELD_EX64(lo, QI_IEC, IIDX);
    return true;
}

static bool decode_wait(uint64_t lo, uint64_t hi, DmarQiDesc *d)
{
    /* PD (page-request drain) needs page requests, which are not offered */
    if ((lo & (DMAR_QI_WAIT_LO_RSVD | R_QI_WAIT_PD_MASK)) ||
        (hi & DMAR_QI_WAIT_HI_RSVD)) {
        return false;
    }
    d->wait_if = FIELD_EX64(lo, QI_WAIT, IF);
    d->wait_sw = FIELD_EX64(lo, QI_WAIT, SW);
    d->wait_fn = FIELD_EX64(lo, QI_WAIT, FN);
    d->sdata = FIELD_EX64(lo, QI_WAIT, SDATA);
    d->addr = hi;
    return true;
}

bool dmar_qi_decode(const DmarQiCaps *caps, uint64_t lo, uint64_t hi,
                    DmarQiDesc *d)
{
    memset(d, 0, sizeof(*d));
    d->type = FIELD_EX64(lo, QI_LO, TYPE);
    if (FIELD_EX64(lo, QI_LO, TYPE_HI)) {
        return false;       /* PASID-based types: scalable mode only */
    }
    switch (d->type) {
    case DMAR_QI_CC:
        return decode_cc(lo, hi, d);
    case DMAR_QI_IOTLB:
        return decode_iotlb(lo, hi, d);
    case DMAR_QI_IEC:
        return caps->ir && decode_iec(lo, hi, d);
    case DMAR_QI_WAIT:
        return decode_wait(lo, hi, d);
    case DMAR_QI_DEVTLB:
        /* not offered (ECAP.DT=0): a reserved type */
    default:
        return false;
    }
}

DmarQiStatus dmar_qi_process(const DmarQiCaps *caps, uint64_t base,
                             uint32_t entries, uint32_t tail,
                             DmarReadFn *read, DmarWriteFn *write,
                             void *mem_opaque, const DmarQiOps *ops,
                             void *ops_opaque, DmarQiRun *run)
{
    run->processed = 0;
    run->wait_irq = false;
    if (!entries || tail >= entries || run->head >= entries) {
        return DMAR_QI_ERROR;
    }
    /* One pass at most: the walk ends even if head never meets tail. */
    while (run->head != tail && run->processed < entries) {
        uint64_t e[2];
        DmarQiDesc d;
        uint32_t sdata;

        if (!read(mem_opaque, base + run->head * 16ull, e, sizeof(e)) ||
            !dmar_qi_decode(caps, le64_to_cpu(e[0]), le64_to_cpu(e[1]), &d)) {
            return DMAR_QI_ERROR;
        }
        switch (d.type) {
        case DMAR_QI_CC:
            ops->context(ops_opaque, &d);
            break;
        case DMAR_QI_IOTLB:
            ops->iotlb(ops_opaque, &d);
            break;
        case DMAR_QI_IEC:
            ops->iec(ops_opaque, &d);
            break;
        case DMAR_QI_WAIT:
            /* Everything before has completed: we run synchronously. */
            sdata = cpu_to_le32(d.sdata);
            if (d.wait_sw &&
                !write(mem_opaque, d.addr, &sdata, sizeof(sdata))) {
                return DMAR_QI_ERROR;
            }
            run->wait_irq |= d.wait_if;
            break;
        }
        run->head = (run->head + 1) % entries;
        run->processed++;
    }
    return DMAR_QI_DONE;
}
