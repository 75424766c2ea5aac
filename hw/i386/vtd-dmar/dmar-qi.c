/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar queued invalidation: decode (VT-d §6.5.2) and the bounded
 * queue walk. See dmar-qi.h.
 */
#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "qemu/host-utils.h"
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

static bool decode_devtlb(uint64_t lo, uint64_t hi, DmarQiDesc *d)
{
    if ((lo & DMAR_QI_DEVTLB_LO_RSVD) || (hi & DMAR_QI_DEVTLB_HI_RSVD)) {
        return false;
    }
    d->sid = FIELD_EX64(lo, QI_DEVTLB, SID);
    d->pfsid = FIELD_EX64(lo, QI_DEVTLB, PFSID_LO) |
               FIELD_EX64(lo, QI_DEVTLB, PFSID_HI) << 4;
    d->mip = FIELD_EX64(lo, QI_DEVTLB, MIP);
    d->size = FIELD_EX64(hi, QI_DEVTLB_HI, S);
    d->addr = hi & R_QI_DEVTLB_HI_ADDR_MASK;
    return true;
}

void dmar_qi_devtlb_range(const DmarQiDesc *d, uint64_t *first,
                          uint64_t *last)
{
    uint64_t pages = d->addr >> 12;     /* ADDR[63:12] */
    unsigned k;

    if (!d->size) {
        *first = d->addr;
        *last = d->addr + 0xfff;
        return;
    }
    /* 52 bits of ADDR: all ones, or a size of 2^64 (k = 51), is all */
    k = ctz64(~pages);
    if (k >= 51) {
        *first = 0;
        *last = UINT64_MAX;
        return;
    }
    *first = d->addr & ~((2ull << (12 + k)) - 1);
    *last = *first + (2ull << (12 + k)) - 1;
}

static bool decode_piotlb(uint64_t lo, uint64_t hi, DmarQiDesc *d)
{
    if ((lo & DMAR_QI_PIOTLB_LO_RSVD) || (hi & DMAR_QI_PIOTLB_HI_RSVD)) {
        return false;
    }
    d->gran = FIELD_EX64(lo, QI_PIOTLB, G);
    d->did = FIELD_EX64(lo, QI_PIOTLB, DID);
    d->pasid = FIELD_EX64(lo, QI_PIOTLB, PASID);
    d->am = FIELD_EX64(hi, QI_IOTLB_HI, AM);
    d->ih = FIELD_EX64(hi, QI_IOTLB_HI, IH);
    d->addr = hi & R_QI_IOTLB_HI_ADDR_MASK;
    /* granularities 00b and 01b are reserved */
    return d->gran == DMAR_PIOTLB_ALL || d->gran == DMAR_PIOTLB_PAGE;
}

static bool decode_pc(uint64_t lo, uint64_t hi, DmarQiDesc *d)
{
    if ((lo & DMAR_QI_PC_LO_RSVD) || hi) {
        return false;
    }
    d->gran = FIELD_EX64(lo, QI_PC, G);
    d->did = FIELD_EX64(lo, QI_PC, DID);
    d->pasid = FIELD_EX64(lo, QI_PC, PASID);
    return d->gran != 2;        /* 10b is reserved */
}

static bool decode_pdevtlb(uint64_t lo, uint64_t hi, DmarQiDesc *d)
{
    if (hi & DMAR_QI_PDEVTLB_HI_RSVD) {
        return false;
    }
    d->mip = FIELD_EX64(lo, QI_PDEVTLB, MIP);
    d->sid = FIELD_EX64(lo, QI_PDEVTLB, SID);
    d->pasid = FIELD_EX64(lo, QI_PDEVTLB, PASID);
    d->pfsid = FIELD_EX64(lo, QI_PDEVTLB, PFSID_LO) |
               FIELD_EX64(lo, QI_PDEVTLB, PFSID_HI) << 4;
    d->global = FIELD_EX64(hi, QI_PDEVTLB_HI, G);
    d->size = FIELD_EX64(hi, QI_PDEVTLB_HI, S);
    d->addr = hi & R_QI_PDEVTLB_HI_ADDR_MASK;
    return true;
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

bool dmar_qi_decode(const DmarQiCaps *caps, const uint64_t desc[4],
                    bool dw256, DmarQiDesc *d, DmarIqei *why)
{
    uint64_t lo = desc[0], hi = desc[1];
    DmarIqei err = DMAR_IQEI_TYPE;
    bool ok = false;

    memset(d, 0, sizeof(*d));
    d->type = FIELD_EX64(lo, QI_LO, TYPE);
    if (FIELD_EX64(lo, QI_LO, TYPE_HI)) {
        /* types 16 and up: none is defined (invalid) */
    } else if (d->type == DMAR_QI_CC) {
        ok = decode_cc(lo, hi, d);
        err = DMAR_IQEI_RSVD;
    } else if (d->type == DMAR_QI_IOTLB) {
        ok = decode_iotlb(lo, hi, d);
        err = DMAR_IQEI_RSVD;
    } else if (d->type == DMAR_QI_DEVTLB && caps->dt) {
        ok = decode_devtlb(lo, hi, d);
        err = DMAR_IQEI_RSVD;
    } else if (d->type == DMAR_QI_IEC && caps->ir) {
        ok = decode_iec(lo, hi, d);
        err = DMAR_IQEI_RSVD;
    } else if (d->type == DMAR_QI_WAIT) {
        ok = decode_wait(lo, hi, d);
        err = DMAR_IQEI_RSVD;
    } else if (d->type == DMAR_QI_PIOTLB && caps->sm) {
        ok = decode_piotlb(lo, hi, d);
        err = DMAR_IQEI_RSVD;
    } else if (d->type == DMAR_QI_PC && caps->sm) {
        ok = decode_pc(lo, hi, d);
        err = DMAR_IQEI_RSVD;
    } else if (d->type == DMAR_QI_PDEVTLB && caps->sm && caps->dt) {
        ok = decode_pdevtlb(lo, hi, d);
        err = DMAR_IQEI_RSVD;
    }
    /* §6.5.2: these types' upper 128 bits are reserved in 256-bit form */
    if (ok && dw256 && (desc[2] || desc[3])) {
        ok = false;
    }
    /*
     * Otherwise an invalid type (§11.4.9.9 code 3): 0, 9-15, 6-8 without
     * scalable mode, IEC without ECAP.IR, and device-TLB (3, 8) without
     * ECAP.DT. A valid type
     * with a reserved bit or a reserved encoding (granularity 0) is 4.
     */
    if (!ok && why) {
        *why = err;
    }
    return ok;
}

/*
 * The descriptor at HEAD (SLOTS 128-bit slots), fetched; false with
 * run->iqei set if not.
 */
static bool qi_fetch(const DmarQiCaps *caps, uint64_t base, unsigned slots,
                     const DmarMem *mem, DmarQiRun *run, DmarQiDesc *d)
{
    uint64_t e[4] = { 0 };

    if (!dmar_mem_read(mem, base + run->head * 16ull, e, slots * 16)) {
        run->iqei = DMAR_IQEI_FETCH;
        return false;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(e); i++) {
        e[i] = le64_to_cpu(e[i]);
    }
    return dmar_qi_decode(caps, e, slots == 2, d, &run->iqei);
}

DmarQiStatus dmar_qi_process(const DmarQiCaps *caps, uint64_t base,
                             uint32_t entries, bool dw256, uint32_t tail,
                             const DmarMem *mem, const DmarQiOps *ops,
                             void *ops_opaque, DmarQiRun *run)
{
    unsigned slots = dw256 ? 2 : 1;

    run->processed = 0;
    run->work = 0;
    run->wait_irq = false;
    run->wait_held = false;
    run->iqei = DMAR_IQEI_NONE;
    if (!entries || run->head >= entries) {
        return DMAR_QI_ERROR;
    }
    if (tail >= entries) {
        run->iqei = DMAR_IQEI_TAIL;
        return DMAR_QI_ERROR;
    }
    /* §11.4.9.9: with 256-bit descriptors, QT and QH are even */
    if (dw256 && ((tail | run->head) & 1)) {
        run->iqei = DMAR_IQEI_TAIL_DW;
        return DMAR_QI_ERROR;
    }
    /* The queue's last byte: base + entries * 16 - 1 must not wrap. */
    if (run->head != tail && base > UINT64_MAX - (entries * 16ull - 1)) {
        run->iqei = DMAR_IQEI_FETCH;
        return DMAR_QI_ERROR;
    }
    /* One pass at most: the walk ends even if head never meets tail. */
    while (run->head != tail && run->processed < entries / slots) {
        DmarQiDesc d;
        uint32_t sdata;
        unsigned work = 0;

        /* At least one descriptor per call, whatever the budget. */
        if (run->processed && run->work >= run->budget) {
            return DMAR_QI_PENDING;
        }
        if (!qi_fetch(caps, base, slots, mem, run, &d)) {
            return DMAR_QI_ERROR;
        }
        switch (d.type) {
        case DMAR_QI_CC:
            work = ops->context(ops_opaque, &d);
            break;
        case DMAR_QI_IOTLB:
            work = ops->iotlb(ops_opaque, &d);
            break;
        case DMAR_QI_IEC:
            work = ops->iec(ops_opaque, &d);
            break;
        case DMAR_QI_DEVTLB:
        case DMAR_QI_PDEVTLB:
            work = ops->devtlb(ops_opaque, &d);
            break;
        case DMAR_QI_PIOTLB:
            work = ops->pasid_iotlb(ops_opaque, &d);
            break;
        case DMAR_QI_PC:
            work = ops->pasid_cache(ops_opaque, &d);
            break;
        case DMAR_QI_WAIT:
            /*
             * Everything before must have completed, in the unit and in
             * whatever caches its translations (what the caller does
             * once it has the result): a wait may have to wait for a
             * later call. The first one of a call too: another caller
             * may be between its run and that work.
             */
            if (ops->wait_ready && !ops->wait_ready(ops_opaque)) {
                run->wait_held = true;
                return DMAR_QI_PENDING;
            }
            sdata = cpu_to_le32(d.sdata);
            /*
             * The invalidations before, as readers without the lock see
             * them (dmar_iotlb_lookup_shared()), before the status the
             * guest polls: a translation begun after it has seen the
             * status sees them.
             */
            smp_wmb();
            if (d.wait_sw &&
                !dmar_mem_write(mem, d.addr, &sdata, sizeof(sdata))) {
                /* A status write error: IQEI has no code for it. */
                return DMAR_QI_ERROR;
            }
            run->wait_irq |= d.wait_if;
            break;
        }
        run->head = (run->head + slots) % entries;
        run->processed++;
        run->work = MIN((uint64_t)run->work + 1 + work, UINT32_MAX);
    }
    return run->head == tail ? DMAR_QI_DONE : DMAR_QI_PENDING;
}
