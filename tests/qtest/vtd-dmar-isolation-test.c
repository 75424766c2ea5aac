/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: DMA isolation where the unit meets the rest of
 * QEMU: IOMMU notifiers (UNMAP events for every invalidation), the
 * interrupt address range, the DMAR table's device scopes, untranslated
 * DMA width. Plumbing in libqos/vtd-dmar.h; vtd-dmar-qtest.h says how the
 * tests work.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"

/* ================= UNMAP notifiers ================= */

/*
 * The x-vtd-dmar-unmap-probe object listens to edu's DMA address space as
 * vhost does (an UNMAP notifier per IOMMU section) and records the events
 * it gets as "iova+mask" pairs.
 */
#define AW_LAST         ((1ull << 48) - 1)  /* default aw-bits=48 */
#define MSI_FIRST       0xfee00000ull
#define MSI_LAST        0xfeefffffull

#define PROBE_ARGS      "-device x-vtd-dmar-unmap-probe,id=probe," \
                        "device=/machine/peripheral/edu"

static char *probe_str(QDmar *d, const char *prop)
{
    return dmar_probe_str(d, "/machine/peripheral/probe", prop);
}

static char *probe_take(QDmar *d)
{
    return dmar_probe_take(d, "/machine/peripheral/probe");
}

typedef struct Block {
    uint64_t first, last;
} Block;

static gint block_cmp(gconstpointer a, gconstpointer b)
{
    const Block *x = a, *y = b;

    return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * Parse EV: every event must be a naturally aligned power-of-two block
 * that ends below 2^aw-bits; returns them sorted.
 */
static GArray *parse_events(const char *ev)
{
    GArray *a = g_array_new(false, false, sizeof(Block));
    g_auto(GStrv) parts = g_strsplit(ev, " ", -1);

    for (char **p = parts; *p; p++) {
        uint64_t iova, mask;
        Block b;

        if (!**p) {
            continue;
        }
        g_assert_cmpint(sscanf(*p, "%" SCNx64 "+%" SCNx64, &iova, &mask),
                        ==, 2);
        g_assert_cmphex(mask & (mask + 1), ==, 0);      /* 2^n - 1 */
        g_assert_cmphex(iova & mask, ==, 0);            /* aligned */
        g_assert_cmphex(iova + mask, <=, AW_LAST);      /* never 2^64 */
        b = (Block) { iova, iova + mask };
        g_array_append_val(a, b);
    }
    g_array_sort(a, block_cmp);
    return a;
}

/* EV covers exactly the address ranges of WANT (sorted, disjoint). */
static void assert_covers(const char *ev, const Block *want, size_t n)
{
    g_autoptr(GArray) got = parse_events(ev);
    size_t w = 0;
    uint64_t next;

    g_assert_cmpuint(got->len, >, 0);
    next = want[0].first;
    for (guint i = 0; i < got->len; i++) {
        Block *b = &g_array_index(got, Block, i);

        if (b->first != next) {
            /* the previous wanted range must be done; start the next */
            g_assert_cmpuint(w + 1, <, n);
            g_assert_cmphex(next, ==, want[w].last + 1);
            w++;
            next = want[w].first;
        }
        g_assert_cmphex(b->first, ==, next);
        g_assert_cmphex(b->last, <=, want[w].last);
        next = b->last + 1;
    }
    g_assert_cmpuint(w + 1, ==, n);
    g_assert_cmphex(next, ==, want[w].last + 1);
}

/* Everything edu can address, minus the interrupt window. */
static void assert_everything(const char *ev)
{
    static const Block all[] = {
        { 0, MSI_FIRST - 1 }, { MSI_LAST + 1, AW_LAST },
    };

    assert_covers(ev, all, ARRAY_SIZE(all));
}

/*
 * Translation on, IOVA_A -> PAGE_P1 and IOVA_B -> PAGE_P2 in DOMAIN, the
 * probe listening and edu's translations used (so its notifiers hold them).
 */
/*
 * The probe comes after edu on the command line (dmar_qemu() puts its
 * EXTRA before edu's -device, so a second edu is not wanted: the probe
 * takes edu's QOM path, and the path exists only once edu is created).
 */
static QDmar *probe_boot(const char *props)
{
    return dmar_attach(qtest_initf("-M q35 -device vtd-dmar%s%s %s "
                                   PROBE_ARGS, *props ? "," : "", props,
                                   dmar_edu_args(false)));
}

static QDmar *unmap_setup(bool qi)
{
    QDmar *d = probe_boot("");
    g_autofree char *sections = NULL;

    dmar_tables_init(d, 4, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_RW);
    dmar_map(d, IOVA_B, PAGE_P2, 1, PTE_RW);
    dmar_enable(d, ROOT_TABLE);
    if (qi) {
        dmar_qi_enable(d, IQ_BASE, 0);
    }
    /* The interrupt window splits the IOMMU region: two notifiers. */
    sections = probe_str(d, "sections");
    g_assert(strstr(sections, "0-fedfffff"));
    g_assert(strstr(sections, "fef00000-ffffffffffffffff"));
    return d;
}

/* A DMA through IOVA: edu's address space now holds its translation. */
static void use(QDmar *d, uint64_t iova, uint64_t pa, uint8_t seed)
{
    dmar_fill(d, pa, seed);
    dmar_dma_in(d, iova);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    g_free(probe_take(d));
}

typedef struct UnmapCase {
    const char *name;
    bool qi;
    void (*inv)(QDmar *d);
    /* exact events, or NULL for "everything edu can address" */
    const char *want;
} UnmapCase;

static void inv_reg_page(QDmar *d)
{
    dmar_iotlb_inv(d, GRAN_PAGE, DOMAIN, IOVA_A | IVA_AM(0));
}

static void inv_reg_page_am(QDmar *d)
{
    /* 2^2 pages around IOVA_A + 0x1000: 0x12344000..0x12347fff */
    dmar_iotlb_inv(d, GRAN_PAGE, DOMAIN, (IOVA_A + 0x1000) | IVA_AM(2));
}

static void inv_reg_page_other_did(QDmar *d)
{
    dmar_iotlb_inv(d, GRAN_PAGE, DOMAIN + 1, IOVA_A | IVA_AM(0));
}

static void inv_reg_domain(QDmar *d)
{
    dmar_iotlb_inv(d, GRAN_DOMAIN, DOMAIN, 0);
}

static void inv_reg_domain_other(QDmar *d)
{
    dmar_iotlb_inv(d, GRAN_DOMAIN, DOMAIN + 1, 0);
}

static void inv_reg_global(QDmar *d)
{
    dmar_iotlb_inv(d, GRAN_GLOBAL, 0, 0);
}

static void inv_cc_device(QDmar *d)
{
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_DEVICE) | CCMD_SID(EDU_SID) |
                  CCMD_DID(DOMAIN));
}

static void inv_cc_device_fm(QDmar *d)
{
    /* function mask 3: 00:04.x, any function */
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_DEVICE) | CCMD_SID(EDU_SID | 5) |
                  CCMD_FM(3) | CCMD_DID(DOMAIN));
}

static void inv_cc_device_other(QDmar *d)
{
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_DEVICE) | CCMD_SID(EDU_SID + 8) |
                  CCMD_DID(DOMAIN));
}

static void inv_cc_domain(QDmar *d)
{
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
}

static void inv_cc_global(QDmar *d)
{
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
}

static void inv_qi_page(QDmar *d)
{
    dmar_qi_iotlb(d, GRAN_PAGE, DOMAIN, IOVA_B, 0);
    dmar_qi_sync(d);
}

static void inv_qi_pages(QDmar *d)
{
    /* two page invalidations of one device in one queue run */
    dmar_qi_iotlb(d, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    dmar_qi_iotlb(d, GRAN_PAGE, DOMAIN, IOVA_B, 0);
    dmar_qi_sync(d);
}

static void inv_qi_domain(QDmar *d)
{
    dmar_qi_iotlb(d, GRAN_DOMAIN, DOMAIN, 0, 0);
    dmar_qi_sync(d);
}

static void inv_qi_global(QDmar *d)
{
    dmar_qi_iotlb(d, GRAN_GLOBAL, 0, 0, 0);
    dmar_qi_sync(d);
}

static void inv_qi_cc_device(QDmar *d)
{
    dmar_qi_cc(d, GRAN_DEVICE, DOMAIN, EDU_SID, 0);
    dmar_qi_sync(d);
}

static void inv_qi_cc_global(QDmar *d)
{
    dmar_qi_cc(d, GRAN_GLOBAL, 0, 0, 0);
    dmar_qi_sync(d);
}

static void inv_srtp(QDmar *d)
{
    dmar_wr32(d, REG_GCMD, GCMD_TE | GCMD_SRTP);
}

static void inv_te_off(QDmar *d)
{
    dmar_wr32(d, REG_GCMD, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS) & GSTS_TES, ==, 0);
}

static const UnmapCase unmap_cases[] = {
    { "reg-page", false, inv_reg_page, "12345000+fff" },
    { "reg-page-am", false, inv_reg_page_am, "12344000+3fff" },
    { "reg-page-other-domain", false, inv_reg_page_other_did, "" },
    { "reg-domain", false, inv_reg_domain, NULL },
    { "reg-domain-other", false, inv_reg_domain_other, "" },
    { "reg-global", false, inv_reg_global, NULL },
    { "cc-device", false, inv_cc_device, NULL },
    { "cc-device-fm", false, inv_cc_device_fm, NULL },
    { "cc-device-other", false, inv_cc_device_other, "" },
    { "cc-domain", false, inv_cc_domain, NULL },
    { "cc-global", false, inv_cc_global, NULL },
    { "qi-page", true, inv_qi_page, "2468a000+fff" },
    { "qi-pages", true, inv_qi_pages, "12345000+fff 2468a000+fff" },
    { "qi-domain", true, inv_qi_domain, NULL },
    { "qi-global", true, inv_qi_global, NULL },
    { "qi-cc-device", true, inv_qi_cc_device, NULL },
    { "qi-cc-global", true, inv_qi_cc_global, NULL },
    { "srtp", false, inv_srtp, NULL },
    { "te-off", false, inv_te_off, NULL },
};

static void test_unmap(const void *opaque)
{
    const UnmapCase *c = opaque;
    QDmar *d = unmap_setup(c->qi);
    g_autofree char *ev = NULL;

    use(d, IOVA_A, PAGE_P1, 0x31);
    use(d, IOVA_B, PAGE_P2, 0x32);
    c->inv(d);
    ev = probe_take(d);
    if (c->want) {
        g_assert_cmpstr(ev, ==, c->want);
    } else {
        assert_everything(ev);
    }
    dmar_free(d);
}

/*
 * After a global invalidation nothing of edu is cached anywhere: a page
 * invalidation has nothing to tell until edu translates again.
 */
static void test_unmap_after_global(void)
{
    QDmar *d = unmap_setup(false);
    g_autofree char *ev1 = NULL, *ev2 = NULL;

    use(d, IOVA_A, PAGE_P1, 0x41);
    inv_reg_global(d);
    g_free(probe_take(d));
    inv_reg_page(d);
    ev1 = probe_take(d);
    g_assert_cmpstr(ev1, ==, "");
    use(d, IOVA_A, PAGE_P1, 0x42);
    inv_reg_page(d);
    ev2 = probe_take(d);
    g_assert_cmpstr(ev2, ==, "12345000+fff");
    dmar_free(d);
}

/*
 * edu's context moves to another domain without an invalidation (the
 * context cache evicted it, or software is sloppy): from then on both
 * domains' invalidations reach edu's notifiers.
 */
static void test_unmap_two_domains(void)
{
    QDmar *d = probe_boot("ctx-entries=4");
    g_autofree char *ev1 = NULL, *ev2 = NULL;

    dmar_tables_init(d, 4, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_RW);
    dmar_enable(d, ROOT_TABLE);
    use(d, IOVA_A, PAGE_P1, 0x51);
    /* the new domain's context; flush only the context cache by domain */
    dmar_set_ctx(d, dmar_ctx_lo(d), CTX_AW(4) | CTX_DID(DOMAIN + 1));
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
    g_free(probe_take(d));
    use(d, IOVA_A + 0x1000 * 0, PAGE_P1, 0x52);
    dmar_iotlb_inv(d, GRAN_PAGE, DOMAIN + 1, IOVA_B | IVA_AM(0));
    ev1 = probe_take(d);
    g_assert_cmpstr(ev1, ==, "2468a000+fff");
    dmar_iotlb_inv(d, GRAN_PAGE, DOMAIN, IOVA_B | IVA_AM(0));
    ev2 = probe_take(d);
    g_assert_cmpstr(ev2, ==, "2468a000+fff");
    dmar_free(d);
}

/* ================= the interrupt address range ================= */

#define FR_INTR_ADDR    0xe
#define INTR_VEC        0x61
#define BIG_IOVA        0x40000000ull       /* a 1 GiB page ... */
#define BIG_PA          0xc0000000ull       /* ... around 0xfee00000 */

/*
 * edu's buffer holds INTR_VEC in every dword: written to 0xfeexxxxx as a
 * DMA, each would be a compatibility-format interrupt with that vector.
 */
static void edu_load_vectors(QDmar *d)
{
    for (unsigned i = 0; i < XFER; i += 4) {
        qtest_writel(d->qts, PAGE_P1 + i, INTR_VEC);
    }
    dmar_dma_in(d, IOVA_A);
}

static QDmar *intr_setup(uint64_t ctx_flags)
{
    QDmar *d = dmar_boot("");

    dmar_tables_init(d, 4, ctx_flags);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_RW);
    dmar_map(d, IOVA_C, MSI_FIRST, 1, PTE_RW);
    dmar_map(d, BIG_IOVA, BIG_PA, 3, PTE_RW);
    dmar_enable(d, ROOT_TABLE);
    edu_load_vectors(d);
    return d;
}

/* A translation into 0xfeexxxxx is blocked (Eh), never an interrupt. */
static void test_intr_range(void)
{
    QDmar *d = intr_setup(0);

    dmar_dma_out(d, IOVA_C);
    dmar_assert_frcd(d, 0, IOVA_C, FR_INTR_ADDR, true);
    dmar_assert_not_delivered(d, INTR_VEC);
    dmar_dma_in(d, IOVA_C);
    dmar_assert_frcd(d, 1, IOVA_C, FR_INTR_ADDR, false);
    dmar_free(d);
}

/*
 * A 1 GiB page around the range: its addresses that translate into the
 * range fault, the others translate (the first DMA fills the IOTLB with
 * the page's piece, which must not cover the range).
 */
static void test_intr_range_large_page(void)
{
    QDmar *d = intr_setup(0);
    const uint64_t below = BIG_IOVA + (MSI_FIRST - 0x1000 - BIG_PA);
    const uint64_t inside = BIG_IOVA + (MSI_FIRST + 0x5000 - BIG_PA);

    dmar_dma_in(d, below);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_dma_out(d, inside);
    dmar_assert_frcd(d, 0, inside, FR_INTR_ADDR, true);
    dmar_assert_not_delivered(d, INTR_VEC);
    /* and again, with the IOTLB warm */
    dmar_dma_in(d, below);
    dmar_dma_out(d, inside + 0x1000);
    dmar_assert_frcd(d, 1, inside + 0x1000, FR_INTR_ADDR, true);
    dmar_assert_not_delivered(d, INTR_VEC);
    dmar_free(d);
}

/* Eh is a qualified fault: FPD keeps it from the log, not the block. */
static void test_intr_range_fpd(void)
{
    QDmar *d = intr_setup(CTX_FPD);

    dmar_dma_out(d, IOVA_C);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(0) + 8), ==, 0);
    dmar_assert_not_delivered(d, INTR_VEC);
    dmar_free(d);
}

/* ================= untranslated DMA and the address width ================= */

/*
 * aw-bits=39 (MGAW: 512 GiB) on a platform whose RAM goes on above that:
 * a DIMM at 512 GiB. The unit's guest address width limits translated
 * DMA only; with translation off or a pass-through context DMA reaches
 * all memory below the host address width (the CPUs' phys-bits, 40 for
 * qemu64), which is what the DMAR table reports.
 */
#define HIGH_RAM        0x8000000000ull     /* 512 GiB */

static QDmar *high_boot(void)
{
    QDmar *d = dmar_attach(qtest_initf(
        "-M q35 -m 256M,slots=1,maxmem=520G "
        "-object memory-backend-ram,id=hi,size=16M "
        "-device pc-dimm,memdev=hi,addr=0x%" PRIx64 " "
        "-device vtd-dmar,aw-bits=39 %s", (uint64_t)HIGH_RAM,
        dmar_edu_args(false)));

    g_assert_cmphex(dmar_rd64(d, REG_CAP) >> 16 & 0x3f, ==, 38);    /* MGAW */
    return d;
}

/* RAM -> edu -> the DIMM above 2^aw-bits, and back to RAM */
static void high_round_trip(QDmar *d, uint8_t seed)
{
    dmar_fill(d, PAGE_P1, seed);
    dmar_zero(d, HIGH_RAM + 0x2000);
    dmar_zero(d, PAGE_P2);
    dmar_copy(d, PAGE_P1, HIGH_RAM + 0x2000);
    g_assert_true(dmar_holds(d, HIGH_RAM + 0x2000, seed));
    dmar_copy(d, HIGH_RAM + 0x2000, PAGE_P2);
    g_assert_true(dmar_holds(d, PAGE_P2, seed));
    g_assert_cmphex(dmar_fsts(d), ==, 0);
}

static void test_high_te_off(void)
{
    QDmar *d = high_boot();

    high_round_trip(d, 0x71);
    dmar_free(d);
}

static void test_high_passthrough(void)
{
    QDmar *d = high_boot();

    /* the largest AGAW of aw-bits=39: a 3-level AW */
    dmar_tables_init(d, 3, CTX_TT(TT_PASSTHROUGH));
    dmar_enable(d, ROOT_TABLE);
    high_round_trip(d, 0x72);
    /* above HAW (2^40 for qemu64) pass-through faults: 4h */
    dmar_dma_in(d, 1ull << 40);
    dmar_assert_frcd(d, 0, 1ull << 40, FR_BEYOND_AW, false);
    dmar_free(d);
}

/* Translated DMA is still bounded by the context's AGAW (39 bits). */
static void test_high_translated(void)
{
    QDmar *d = high_boot();

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, HIGH_RAM + 0x3000, 1, PTE_RW);
    dmar_enable(d, ROOT_TABLE);
    dmar_fill(d, HIGH_RAM + 0x3000, 0x73);
    dmar_zero(d, PAGE_P2);
    dmar_dma_in(d, IOVA_A);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    dmar_dma_in(d, HIGH_RAM);                    /* IOVA 2^39: beyond AGAW */
    dmar_assert_frcd(d, 0, HIGH_RAM, FR_BEYOND_AW, false);
    dmar_free(d);
}

/* ================= the DMAR table's device scopes ================= */

#define SCOPE_ENDPOINT  1
#define SCOPE_BRIDGE    2
#define SCOPE_IOAPIC    3

typedef struct Scope {
    uint8_t type, enum_id, bus, dev, fn;
} Scope;

/* The DRHD's flags and device scopes (VT-d §8.3, §8.3.1) */
static GArray *drhd_scopes(QDmar *d, uint8_t *flags)
{
    size_t len = 0;
    g_autofree uint8_t *t = dmar_acpi_table(d, &len);
    GArray *a = g_array_new(false, false, sizeof(Scope));
    unsigned drhd_len, off;

    g_assert_cmpuint(len, >=, 48 + 16);
    g_assert_cmpuint(lduw_le_p(t + 48), ==, 0);             /* DRHD */
    drhd_len = lduw_le_p(t + 50);
    g_assert_cmpuint(48 + drhd_len, ==, len);               /* one unit */
    *flags = t[52];
    g_assert_cmphex(ldq_le_p(t + 56), ==, DMAR_BASE);
    for (off = 48 + 16; off < len; off += t[off + 1]) {
        Scope sc = { t[off], t[off + 4], t[off + 5], t[off + 6], t[off + 7] };

        g_assert_cmpuint(t[off + 1], ==, 8);                /* one path */
        g_array_append_val(a, sc);
    }
    g_assert_cmpuint(off, ==, len);
    return a;
}

static gint scope_cmp(gconstpointer a, gconstpointer b)
{
    const Scope *x = a, *y = b;

    return (x->bus << 16 | x->dev << 8 | x->fn) -
           (y->bus << 16 | y->dev << 8 | y->fn);
}

/*
 * What the table must list: the IOAPIC, then an entry for each device on
 * the root buses that do not bypass the unit (a bridge for what is behind
 * it), as query-pci shows them. BYPASS_BUS: the bus number that bypasses.
 */
static GArray *expected_scopes(QDmar *d, int bypass_bus)
{
    QDict *rsp = qtest_qmp(d->qts, "{ 'execute': 'query-pci' }");
    QList *buses = qdict_get_qlist(rsp, "return");
    GArray *a = g_array_new(false, false, sizeof(Scope));
    QListEntry *be, *de;

    QLIST_FOREACH_ENTRY(buses, be) {
        QDict *bus = qobject_to(QDict, qlist_entry_obj(be));
        QList *devs = qdict_get_qlist(bus, "devices");

        if (qdict_get_int(bus, "bus") == bypass_bus) {
            continue;
        }
        QLIST_FOREACH_ENTRY(devs, de) {
            QDict *dev = qobject_to(QDict, qlist_entry_obj(de));
            Scope sc = {
                .type = qdict_haskey(dev, "pci_bridge") ? SCOPE_BRIDGE :
                        SCOPE_ENDPOINT,
                .bus = qdict_get_int(dev, "bus"),
                .dev = qdict_get_int(dev, "slot"),
                .fn = qdict_get_int(dev, "function"),
            };

            g_array_append_val(a, sc);
        }
    }
    qobject_unref(rsp);
    return a;
}

static void assert_scopes(GArray *got, GArray *want)
{
    g_array_sort(got, scope_cmp);
    g_array_sort(want, scope_cmp);
    g_assert_cmpuint(got->len, ==, want->len);
    for (guint i = 0; i < got->len; i++) {
        Scope *x = &g_array_index(got, Scope, i);
        Scope *y = &g_array_index(want, Scope, i);

        g_test_message("scope %u: type %u %02x:%02x.%u", i, x->type, x->bus,
                       x->dev, x->fn);
        g_assert_cmpuint(x->type, ==, y->type);
        g_assert_cmpuint(x->enum_id, ==, 0);
        g_assert_cmphex(x->bus << 16 | x->dev << 8 | x->fn, ==,
                        y->bus << 16 | y->dev << 8 | y->fn);
    }
}

/* The IOAPIC comes first: id 0, ff:00.0 (its source-id). */
static void take_ioapic(GArray *a)
{
    Scope *io = &g_array_index(a, Scope, 0);

    g_assert_cmpuint(a->len, >=, 1);
    g_assert_cmpuint(io->type, ==, SCOPE_IOAPIC);
    g_assert_cmpuint(io->enum_id, ==, 0);
    g_assert_cmphex(io->bus << 8 | io->dev << 3 | io->fn, ==, IOAPIC_SID);
    g_array_remove_index(a, 0);
}

static QDmar *scope_boot(const char *machine, const char *extra)
{
    return dmar_attach(qtest_initf("-M q35%s -device vtd-dmar %s %s",
                                   machine, dmar_edu_args(false), extra));
}

/* Nothing bypasses: INCLUDE_PCI_ALL, and the IOAPIC only. */
static void test_scope_all(void)
{
    QDmar *d = scope_boot("", "-device pxb-pcie,id=pxb,bus_nr=0x80 "
                          "-device pcie-root-port,bus=pxb,id=rp,chassis=1");
    uint8_t flags;
    g_autoptr(GArray) got = drhd_scopes(d, &flags);

    g_assert_cmphex(flags, ==, 1);
    take_ioapic(got);
    g_assert_cmpuint(got->len, ==, 0);
    dmar_free(d);
}

/*
 * An expander bus bypasses the unit: no INCLUDE_PCI_ALL, every device of
 * pcie.0 named (edu, the expander's own function among them), nothing of
 * bus 0x80 or behind it.
 */
static void test_scope_bypass_pxb(void)
{
    QDmar *d = scope_boot("", "-device pxb-pcie,id=pxb,bus_nr=0x80,"
                          "bypass_iommu=on "
                          "-device pcie-root-port,bus=pxb,id=rp,chassis=1 "
                          "-device pcie-root-port,bus=pcie.0,id=rp0,chassis=2");
    uint8_t flags;
    g_autoptr(GArray) got = drhd_scopes(d, &flags);
    g_autoptr(GArray) want = expected_scopes(d, 0x80);
    bool edu = false, rp0 = false;

    g_assert_cmphex(flags, ==, 0);
    take_ioapic(got);
    for (guint i = 0; i < got->len; i++) {
        Scope *x = &g_array_index(got, Scope, i);

        g_assert_cmpuint(x->bus, ==, 0);
        edu |= x->type == SCOPE_ENDPOINT && (x->dev << 3 | x->fn) == EDU_DEVFN;
        rp0 |= x->type == SCOPE_BRIDGE;
    }
    g_assert_true(edu && rp0);
    assert_scopes(got, want);
    dmar_free(d);
}

/* pcie.0 bypasses, an expander does not: only bus 0x80's devices. */
static void test_scope_bypass_default(void)
{
    QDmar *d = scope_boot(",default_bus_bypass_iommu=on",
                          "-device pxb-pcie,id=pxb,bus_nr=0x80,"
                          "bypass_iommu=off "
                          "-device pcie-root-port,bus=pxb,id=rp,chassis=1");
    uint8_t flags;
    g_autoptr(GArray) got = drhd_scopes(d, &flags);
    g_autoptr(GArray) want = expected_scopes(d, 0);

    g_assert_cmphex(flags, ==, 0);
    take_ioapic(got);
    g_assert_cmpuint(got->len, ==, 1);
    g_assert_cmpuint(g_array_index(got, Scope, 0).type, ==, SCOPE_BRIDGE);
    g_assert_cmpuint(g_array_index(got, Scope, 0).bus, ==, 0x80);
    assert_scopes(got, want);
    dmar_free(d);
}

/* The queue's runs and deferred runs (query-vtd-dmar) at some moment */
typedef struct QueueMark {
    uint64_t runs, deferred;
} QueueMark;

static QueueMark queue_mark(QDmar *d)
{
    return (QueueMark) {
        dmar_queue_stat(d, "runs"), dmar_queue_stat(d, "deferred-runs"),
    };
}

/* Since M: RUNS runs, DEFERRED of them in the bottom half */
static void assert_runs_since(QDmar *d, const QueueMark *m, unsigned runs,
                              unsigned deferred)
{
    QueueMark now = queue_mark(d);

    g_assert_cmpuint(now.runs - m->runs, ==, runs);
    g_assert_cmpuint(now.deferred - m->deferred, ==, deferred);
}

/* Queue IOVA_A's page invalidation and a wait writing DATA at STATUS */
static void queue_inv_wait(QDmar *d, uint64_t status, uint32_t data)
{
    qtest_writel(d->qts, status, 0);
    dmar_qi_iotlb(d, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    dmar_qi_push_wait(d, status, data, 0);
}

/*
 * A queued page invalidation with its wait, as Linux submits one: the
 * run stops before the wait until the probe has heard of the page, and
 * then goes on in the same IQT write. A wait left to a later bottom
 * half would keep the guest spinning on its status meanwhile.
 */
static void test_unmap_wait_at_once(void)
{
    QDmar *d = unmap_setup(true);
    g_autofree char *ev = NULL;
    QueueMark m;

    use(d, IOVA_A, PAGE_P1, 0x51);
    m = queue_mark(d);
    dmar_qi_iotlb(d, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    dmar_qi_sync(d);
    ev = probe_take(d);
    g_assert_cmpstr(ev, ==, "12345000+fff");
    assert_runs_since(d, &m, 2, 0);
    /* a wait alone has nothing to wait for: one run */
    dmar_qi_sync(d);
    assert_runs_since(d, &m, 3, 0);
    dmar_free(d);
}

/*
 * Four page invalidations, each with its wait, in one IQT write: the
 * queue goes on at once twice (DMAR_QI_SYNC_RUNS), then in the bottom
 * half, which goes on at once again; every wait completes, in order.
 */
static void test_unmap_wait_bounded(void)
{
    QDmar *d = unmap_setup(true);
    QueueMark m;

    use(d, IOVA_A, PAGE_P1, 0x52);
    m = queue_mark(d);
    for (unsigned i = 0; i < 4; i++) {
        queue_inv_wait(d, IQ_STATUS + 4 * i, 0x5e00 + i);
    }
    dmar_qi_kick(d);
    for (unsigned i = 0; i < 4; i++) {
        g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS + 4 * i), ==,
                        0x5e00 + i);
    }
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(d->iq_tail));
    assert_runs_since(d, &m, 5, 2);
    dmar_free(d);
}

/* With the VM stopped the held wait waits: nothing runs until it runs. */
static void test_unmap_wait_stopped(void)
{
    QDmar *d = unmap_setup(true);
    QueueMark m;

    use(d, IOVA_A, PAGE_P1, 0x53);
    m = queue_mark(d);
    queue_inv_wait(d, IQ_STATUS, 0x5f00);
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'stop' }");
    dmar_qi_kick(d);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==,
                    dmar_iq_off(d->iq_tail - 1));
    assert_runs_since(d, &m, 1, 0);
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'cont' }");
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0x5f00);
    assert_runs_since(d, &m, 2, 1);
    dmar_free(d);
}

/* A context invalidation's wait waits for the address spaces: at once. */
static void test_cc_wait_at_once(void)
{
    QDmar *d = unmap_setup(true);
    QueueMark m;

    m = queue_mark(d);
    dmar_qi_cc(d, GRAN_GLOBAL, 0, 0, 0);
    dmar_qi_sync(d);
    assert_runs_since(d, &m, 2, 0);
    dmar_free(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < ARRAY_SIZE(unmap_cases); i++) {
        g_autofree char *path = g_strdup_printf("/vtd-dmar/unmap/%s",
                                                unmap_cases[i].name);

        qtest_add_data_func(path, &unmap_cases[i], test_unmap);
    }
    qtest_add_func("/vtd-dmar/unmap/after-global", test_unmap_after_global);
    qtest_add_func("/vtd-dmar/unmap/wait-at-once", test_unmap_wait_at_once);
    qtest_add_func("/vtd-dmar/unmap/wait-bounded", test_unmap_wait_bounded);
    qtest_add_func("/vtd-dmar/unmap/wait-stopped", test_unmap_wait_stopped);
    qtest_add_func("/vtd-dmar/unmap/cc-wait-at-once", test_cc_wait_at_once);
    qtest_add_func("/vtd-dmar/unmap/two-domains", test_unmap_two_domains);
    qtest_add_func("/vtd-dmar/intr-range/blocked", test_intr_range);
    qtest_add_func("/vtd-dmar/intr-range/large-page",
                   test_intr_range_large_page);
    qtest_add_func("/vtd-dmar/intr-range/fpd", test_intr_range_fpd);
    qtest_add_func("/vtd-dmar/width/high-ram-te-off", test_high_te_off);
    qtest_add_func("/vtd-dmar/width/high-ram-passthrough",
                   test_high_passthrough);
    qtest_add_func("/vtd-dmar/width/high-ram-translated",
                   test_high_translated);
    qtest_add_func("/vtd-dmar/acpi/scope-all", test_scope_all);
    qtest_add_func("/vtd-dmar/acpi/scope-bypass-pxb", test_scope_bypass_pxb);
    qtest_add_func("/vtd-dmar/acpi/scope-bypass-default",
                   test_scope_bypass_default);
    return g_test_run();
}
