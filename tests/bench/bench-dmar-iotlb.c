/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IOTLB hit-path benchmark, meant to run under callgrind (instruction
 * counts are repeatable where wall time is not): scripts/bench-iotlb runs
 * it with N and 2N lookups and reports the difference per lookup.
 *
 *   bench-dmar-iotlb LOOKUPS [extend]
 *
 * With "extend", each hit is also offered to dmar_iotlb_extend() as the
 * unit's translate callback does. The cached pages map to scattered
 * output pages, so no block forms: this is the extension's cost on a hit
 * that stays one page.
 */
#include "qemu/osdep.h"
#include "dmar-cache.h"

#define MAPPED  2048        /* pages cached, half the default IOTLB */

int main(int argc, char **argv)
{
    uint64_t lookups = argc > 1 ? g_ascii_strtoull(argv[1], NULL, 0) : 1000;
    bool extend = argc > 2 && !strcmp(argv[2], "extend");
    /* Built once per DMA by the unit, as here once for all lookups */
    const DmarCacheKey key = { 0x0020, DMAR_NO_PASID, DMAR_STAGE_SECOND };
    DmarIotlb t;
    DmarTranslation tr = { .mask = DMAR_PAGE_SIZE - 1, .perm = DMAR_PERM_RW,
                           .level = 1 };
    uint64_t sum = 0;

    dmar_iotlb_init(&t, 4096);
    for (uint64_t i = 0; i < MAPPED; i++) {
        tr.iova = 0x100000000ull + i * DMAR_PAGE_SIZE;
        tr.pa = 0x40000000ull + ((i * 7919) % MAPPED) * DMAR_PAGE_SIZE;
        dmar_iotlb_insert(&t, &key, 1, &tr);
    }
    for (uint64_t n = 0; n < lookups; n++) {
        uint64_t iova = 0x100000000ull + (n % MAPPED) * DMAR_PAGE_SIZE + 8;

        if (!dmar_iotlb_lookup(&t, &key, iova, &tr)) {
            fprintf(stderr, "unexpected miss at 0x%" PRIx64 "\n", iova);
            return 1;
        }
        if (extend &&
            dmar_iotlb_extend(&t, &key, DMAR_PERM_R,
                              DMAR_EXTEND_ORDER, &tr)) {
            fprintf(stderr, "unexpected block at 0x%" PRIx64 "\n", iova);
            return 1;
        }
        sum += tr.pa;
    }
    printf("lookups %" PRIu64 " hits %" PRIu64 " misses %" PRIu64
           " checksum 0x%" PRIx64 "\n", lookups, t.stats.hits,
           t.stats.misses, sum);
    dmar_iotlb_destroy(&t);
    return 0;
}
