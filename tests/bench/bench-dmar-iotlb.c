/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IOTLB hit-path benchmark, meant to run under callgrind (instruction
 * counts are repeatable where wall time is not): scripts/bench-iotlb runs
 * it with N and 2N lookups and reports the difference per lookup.
 *
 *   bench-dmar-iotlb LOOKUPS [unit|loop|insert|group|shared|unit-shared]
 *                    [singles|runs|contiguous]
 *
 * The IOTLB is filled as the unit fills it on misses, a leaf group (a
 * block) at a time, with pages scattered over memory; with "singles", a
 * single entry per page, as for pages no group covers. With "runs", the
 * lock-free hits answer runs of contiguous pages (x-run-answers), and
 * the scattered pages make each run a page: what a hit then pays for
 * looking. With "contiguous", the same with each group's pages
 * contiguous: each lock-free hit answers its group's 64 pages.
 * With "unit", each lookup is a whole dmar_unit_translate() that hits,
 * as the glue calls it per DMA page: the unit layer's cost on top of the
 * IOTLB's. With "loop", the same loop
 * with no lookup at all: what the loop itself costs, to subtract. With
 * "insert", each step inserts a page not cached (a miss's leaf group
 * does that), over four times the IOTLB's capacity: every insert
 * replaces a live entry, the least recently used of its set. With
 * "group", the same inserts as a miss makes them: 64 leaves at a time
 * (dmar_iotlb_insert_group()), LOOKUPS leaves in all. With
 * "shared" and "unit-shared", the lookup is the hit path the glue takes
 * without the lock: dmar_iotlb_lookup_shared(), and through the unit
 * dmar_unit_translate_shared().
 */
#include "qemu/osdep.h"
#include "dmar-cache.h"
#include "dmar-unit.h"

static bool no_memory(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    return false;           /* a hit reads no guest memory */
}

static const DmarMemOps bench_mem_ops = { .read = no_memory };

/* A unit with translation on, its IOTLB filled as T below is */
static void unit_init(DmarUnit *u)
{
    DmarUnitConfig cfg = {
        .aw_bits = 48, .nfr = 8, .iotlb_entries = 4096, .ctx_entries = 256,
        .hw = { .haw = 46, .sagaw = 0x6, .sllps = 0x3 },
    };

    dmar_unit_init(u, &cfg, &bench_mem_ops, NULL, NULL, NULL);
    dmar_unit_write(u, A_GCMD, R_GCMD_TE_MASK, 4);
}

#define MAPPED  2048        /* pages cached, half the default IOTLB */

int main(int argc, char **argv)
{
    uint64_t lookups = argc > 1 ? g_ascii_strtoull(argv[1], NULL, 0) : 1000;
    bool unit = argc > 2 && !strcmp(argv[2], "unit");
    bool loop = argc > 2 && !strcmp(argv[2], "loop");
    bool insert = argc > 2 && !strcmp(argv[2], "insert");
    bool group = argc > 2 && !strcmp(argv[2], "group");
    bool shared = argc > 2 && !strcmp(argv[2], "shared");
    bool unit_shared = argc > 2 && !strcmp(argv[2], "unit-shared");
    bool singles = argc > 3 && !strcmp(argv[3], "singles");
    bool contiguous = argc > 3 && !strcmp(argv[3], "contiguous");
    bool runs = contiguous || (argc > 3 && !strcmp(argv[3], "runs"));
    DmarUnit *u = g_new0(DmarUnit, 1);
    DmarRequest req = { .sid = 0x0020, .pasid = DMAR_NO_PASID };
    DmarXlate x;
    /* Built once per DMA by the unit, as here once for all lookups */
    const DmarCacheKey key = { .sid = 0x0020, .pasid = DMAR_NO_PASID,
                               .stage = DMAR_STAGE_SECOND };
    DmarIotlb t;
    DmarTranslation tr = { .mask = DMAR_PAGE_SIZE - 1, .perm = DMAR_PERM_RW,
                           .level = 1 };
    uint64_t sum = 0;

    dmar_iotlb_init(&t, 4096);
    t.runs = runs;
    unit_init(u);
    u->iotlb.runs = runs;
    for (uint64_t i = 0; i < MAPPED; i++) {
        DmarIotlb *fill = unit || unit_shared ? &u->iotlb : &t;
        uint64_t leaf[DMAR_LEAF_GROUP];

        tr.iova = 0x100000000ull + i * DMAR_PAGE_SIZE;
        tr.pa = 0x40000000ull + (contiguous ? i : (i * 7919) % MAPPED) *
                                DMAR_PAGE_SIZE;
        if (singles) {
            dmar_iotlb_insert(fill, &key, 1, &tr);
            continue;
        }
        leaf[i % DMAR_LEAF_GROUP] = tr.pa | DMAR_PERM_RW;
        if (i % DMAR_LEAF_GROUP == DMAR_LEAF_GROUP - 1) {
            dmar_iotlb_insert_group(fill, &key, 1, tr.iova, leaf);
        }
    }
    for (uint64_t n = 0; n < lookups; n++) {
        uint64_t iova = 0x100000000ull + (n % MAPPED) * DMAR_PAGE_SIZE + 8;

        if (group) {
            uint64_t leaf[DMAR_LEAF_GROUP];

            for (unsigned i = 0; i < DMAR_LEAF_GROUP; i++) {
                leaf[i] = (0x40000000ull + ((n + i) % MAPPED) *
                           DMAR_PAGE_SIZE) | DMAR_PERM_RW;
            }
            asm volatile("" : : "r"(leaf) : "memory");
            sum += dmar_iotlb_insert_group(&t, &key, 1, 0x200000000ull +
                                           (n % (4 * 4096)) * DMAR_PAGE_SIZE,
                                           leaf);
            n += DMAR_LEAF_GROUP - 1;
            continue;
        }
        if (insert) {
            tr.iova = 0x200000000ull + (n % (4 * 4096)) * DMAR_PAGE_SIZE;
            tr.pa = 0x40000000ull + (n % MAPPED) * DMAR_PAGE_SIZE;
            dmar_iotlb_insert(&t, &key, 1, &tr);
            sum += t.stats.evictions;
            continue;
        }
        if (loop) {
            /* The same address and sum, no lookup (kept by the asm) */
            tr.pa = iova & ~(DMAR_PAGE_SIZE - 1);
            asm volatile("" : "+r"(tr.pa));
            sum += tr.pa;
            continue;
        }
        if (shared || unit_shared) {
            req.addr = iova;
            if (shared ? !dmar_iotlb_lookup_shared(&t, &key, iova, &tr) :
                !dmar_unit_translate_shared(u, &req, DMAR_PERM_R, &x.t)) {
                fprintf(stderr, "unexpected miss at 0x%" PRIx64 "\n", iova);
                return 1;
            }
            sum += shared ? tr.pa : x.t.pa;
            if (contiguous && (shared ? tr.mask : x.t.mask) !=
                DMAR_LEAF_GROUP * DMAR_PAGE_SIZE - 1) {
                fprintf(stderr, "not a run at 0x%" PRIx64 "\n", iova);
                return 1;
            }
            continue;
        }
        if (unit) {
            req.addr = iova;
            if (!dmar_unit_translate(u, &req, DMAR_PERM_R, true, &x) ||
                !x.hit) {
                fprintf(stderr, "unexpected miss at 0x%" PRIx64 "\n", iova);
                return 1;
            }
            sum += x.t.pa;
            continue;
        }
        if (!dmar_iotlb_lookup(&t, &key, iova, &tr)) {
            fprintf(stderr, "unexpected miss at 0x%" PRIx64 "\n", iova);
            return 1;
        }
        sum += tr.pa;
    }
    printf("lookups %" PRIu64 " hits %" PRIu64 " misses %" PRIu64
           " checksum 0x%" PRIx64 "\n", lookups,
           unit ? u->iotlb.stats.hits :
           loop || insert || group || shared || unit_shared ? lookups :
                                        t.stats.hits,
           unit ? u->iotlb.stats.misses : t.stats.misses, sum);
    dmar_iotlb_destroy(&t);
    dmar_unit_destroy(u);
    g_free(u);
    return 0;
}
