/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: caching mode and MAP/UNMAP notifiers, checked the
 * way vfio consumes them. The x-vtd-dmar-unmap-probe object in mode=map
 * listens to a device's DMA address space like vfio's IOMMU listener
 * (a MAP|UNMAP notifier per IOMMU section, replayed on registration),
 * keeps the map it was told and records every breach of vfio type1's
 * contract (overlapping MAPs, unaligned events, UNMAPs that bisect a
 * mapping) in its "errors" property.
 *
 * The test keeps its own copy of the second-level tables it writes to
 * guest RAM, and after every invalidation compares the probe's map with
 * what those tables grant: one entry per leaf (4 KiB, 2 MiB, 1 GiB),
 * permissions ANDed along the walk, leaves that reach into the interrupt
 * window 0xfee00000-0xfeefffff (by IOVA or by output address) narrowed
 * to the 2 MiB and 4 KiB pieces outside it.
 *
 * Randomized runs: /vtd-dmar/notify/random/seed-N for a fixed list of
 * seeds; VTD_NOTIFY_SEED=N[,M...] runs those seeds instead and
 * VTD_NOTIFY_STEPS=S sets the steps per run. VTD_NOTIFY_IOMMU=intel-iommu
 * runs everything against QEMU's own model (caching-mode=on) to cross-check
 * the test itself; it does not narrow around the interrupt window, so the
 * cases that need it are skipped there. VTD_NOTIFY_AVOID=iova keeps the
 * random leaves away from the window's IOVAs (to look past a failure
 * there); VTD_NOTIFY_ANY_TARGET=1 lets the probe take events into any
 * address space (vfio takes system memory only).
 */
#include "qemu/osdep.h"
#include "qemu/host-utils.h"
#include "vtd-dmar-qtest.h"

#define WIN_FIRST       UINT64_C(0xfee00000)
#define WIN_LAST        UINT64_C(0xfeefffff)
#define DATA_LO         UINT64_C(0x02000000)   /* RAM the data checks write */
#define DATA_HI         UINT64_C(0x06000000)
#define SZ_4K           UINT64_C(0x1000)
#define SZ_2M           UINT64_C(0x200000)
#define SZ_1G           UINT64_C(0x40000000)
#define NDOM            3
#define NDEV            2
#define LEVELS          4

/* A page of second-level table, as the test wrote it to guest RAM */
typedef struct Tbl {
    uint64_t gpa;
    uint64_t pte[512];
    struct Tbl *sub[512];
} Tbl;

typedef struct Dom {
    uint16_t did;
    Tbl *root;
} Dom;

typedef enum CtxKind {
    CTX_XLATE,
    CTX_PT,         /* pass-through */
    CTX_NP,         /* not present */
} CtxKind;

typedef struct Dev {
    uint8_t devfn;
    const char *probe;      /* QOM path of its probe */
    QPCIDevice *pdev;
    QPCIBar bar;
    CtxKind kind;
    int dom;
    uint16_t did;           /* the DID its context entry carries */
} Dev;

typedef struct Entry {
    uint64_t iova, mask, pa;
    unsigned perm;
} Entry;

typedef struct N {
    QDmar *d;
    bool intel;         /* QEMU's intel-iommu, not vtd-dmar */
    bool iova_window;   /* random leaves may cover the window by IOVA */
    bool pa_window;     /* ... or by output address */
    bool qi;
    bool te;
    unsigned mamv;
    unsigned iro;       /* IVA's offset, from ECAP.IRO (IOTLB: + 8) */
    Dom dom[NDOM];
    Dev dev[NDEV];
    unsigned ndev;
    GArray *free_pages;     /* table pages to reuse */
    GArray *freed;          /* freed since the last global invalidation */
    GRand *rand;
    /* what was checked */
    unsigned checks, datachecks, invs;
} N;

static const char *iommu_name(void)
{
    const char *e = g_getenv("VTD_NOTIFY_IOMMU");

    return e && *e ? e : "vtd-dmar";
}

/* ---- the machine ---- */

static char *probe_get(N *n, const char *path, const char *prop)
{
    QDict *rsp = qtest_qmp(n->d->qts, "{ 'execute': 'qom-get', "
                           "'arguments': { 'path': %s, 'property': %s } }",
                           path, prop);
    char *v;

    if (!qdict_haskey(rsp, "return")) {
        g_test_message("qom-get %s %s failed", path, prop);
    }
    g_assert(qdict_haskey(rsp, "return"));
    v = g_strdup(qdict_get_str(rsp, "return"));
    qobject_unref(rsp);
    return v;
}

static void probe_clear(N *n, const Dev *dv)
{
    qtest_qmp_assert_success(n->d->qts, "{ 'execute': 'qom-set', "
                             "'arguments': { 'path': %s, 'property': "
                             "'clear', 'value': true } }", dv->probe);
}

static char *probe_take(N *n, const Dev *dv)
{
    char *ev = probe_get(n, dv->probe, "events");

    probe_clear(n, dv);
    return ev;
}

static uint64_t page_alloc(N *n)
{
    uint64_t gpa;

    if (n->free_pages->len) {
        gpa = g_array_index(n->free_pages, uint64_t, n->free_pages->len - 1);
        g_array_set_size(n->free_pages, n->free_pages->len - 1);
        qtest_memset(n->d->qts, gpa, 0, 0x1000);
        return gpa;
    }
    return dmar_table_new(n->d);
}

static Tbl *tbl_new(N *n)
{
    Tbl *t = g_new0(Tbl, 1);

    t->gpa = page_alloc(n);
    return t;
}

/*
 * A table page goes back to the pool only after a global IOTLB
 * invalidation: until then the unit may hold it in its caches.
 */
static void tbl_free(N *n, Tbl *t)
{
    for (unsigned i = 0; i < 512; i++) {
        if (t->sub[i]) {
            tbl_free(n, t->sub[i]);
        }
    }
    g_array_append_val(n->freed, t->gpa);
    g_free(t);
}

static void pages_recycle(N *n)
{
    g_array_append_vals(n->free_pages, n->freed->data, n->freed->len);
    g_array_set_size(n->freed, 0);
}

static void ctx_write(N *n, Dev *dv)
{
    uint64_t a = CTX_TABLE + dv->devfn * 16;
    uint64_t lo = 0, hi = 0;

    if (dv->kind != CTX_NP) {
        lo = n->dom[dv->dom].root->gpa | CTX_P |
             CTX_TT(dv->kind == CTX_PT ? TT_PASSTHROUGH : TT_XLATE);
        hi = CTX_AW(LEVELS) | CTX_DID(dv->did);
    }
    qtest_writeq(n->d->qts, a + 8, hi);
    qtest_writeq(n->d->qts, a, lo);
}

/*
 * q35 with the IOMMU under test (caching mode unless told otherwise),
 * edu at 00:04.0 and, with TWO, a second edu at 00:05.0, each with a probe
 * in mode=map. Tables: every domain's root, both devices in domain 0.
 */
static N *n_boot(bool two, bool caching, bool qi)
{
    N *n = g_new0(N, 1);
    bool intel = !strcmp(iommu_name(), "intel-iommu");
    const char *edu_dma = "dma_mask=0xffffffffffffffff";
    const char *any = g_getenv("VTD_NOTIFY_ANY_TARGET") ?
                      ",x-any-target=on" : "";
    g_autofree char *second = two ?
        g_strdup_printf("-device edu,id=edu2,addr=05.0,%s "
                        "-device x-vtd-dmar-unmap-probe,id=probe2,"
                        "device=/machine/peripheral/edu2,mode=map%s",
                        edu_dma, any) :
        g_strdup("");

    n->intel = intel;
    n->iova_window = !intel &&
                     g_strcmp0(g_getenv("VTD_NOTIFY_AVOID"), "iova");
    n->pa_window = !intel;
    n->qi = qi;
    n->d = dmar_attach(qtest_initf(
        "-M q35 -device %s%s%s "
        "-device edu,id=edu,addr=04.0,%s "
        "-device x-vtd-dmar-unmap-probe,id=probe,"
        "device=/machine/peripheral/edu,mode=map%s %s",
        iommu_name(), caching ? ",caching-mode=on" : "",
        intel ? ",aw-bits=48" : "", edu_dma, any, second));
    n->mamv = (dmar_rd64(n->d, REG_CAP) >> 48) & 0x3f;
    n->iro = ((dmar_rd64(n->d, REG_ECAP) >> 8) & 0x3ff) * 16;
    n->free_pages = g_array_new(false, false, sizeof(uint64_t));
    n->freed = g_array_new(false, false, sizeof(uint64_t));
    qtest_memset(n->d->qts, ROOT_TABLE, 0, 0x1000);
    qtest_memset(n->d->qts, CTX_TABLE, 0, 0x1000);
    dmar_set_root(n->d, CTX_TABLE | ROOT_P, 0);
    for (unsigned i = 0; i < NDOM; i++) {
        n->dom[i].did = 0x10 + i;
        n->dom[i].root = tbl_new(n);
    }
    n->ndev = two ? 2 : 1;
    for (unsigned i = 0; i < n->ndev; i++) {
        Dev *dv = &n->dev[i];

        dv->devfn = i ? QPCI_DEVFN(5, 0) : EDU_DEVFN;
        dv->probe = i ? "/machine/peripheral/probe2" :
                        "/machine/peripheral/probe";
        dv->kind = CTX_XLATE;
        dv->dom = 0;
        dv->did = n->dom[0].did;
        if (i) {
            dv->pdev = qpci_device_find(n->d->bus, dv->devfn);
            g_assert_nonnull(dv->pdev);
            qpci_device_enable(dv->pdev);
            dv->bar = qpci_iomap(dv->pdev, 0, NULL);
        } else {
            dv->pdev = n->d->edu;
            dv->bar = n->d->bar;
        }
        ctx_write(n, dv);
    }
    return n;
}

/* Root table, then translation and (if asked) queued invalidation on */
static void n_enable(N *n)
{
    dmar_enable(n->d, ROOT_TABLE);
    n->te = true;
    if (n->qi) {
        dmar_qi_enable(n->d, IQ_BASE, 0);
    }
}

static void tbl_drop(Tbl *t)
{
    for (unsigned i = 0; i < 512; i++) {
        if (t->sub[i]) {
            tbl_drop(t->sub[i]);
        }
    }
    g_free(t);
}

static void n_free(N *n)
{
    if (n->ndev > 1) {
        g_free(n->dev[1].pdev);
    }
    for (unsigned i = 0; i < NDOM; i++) {
        tbl_drop(n->dom[i].root);
    }
    g_array_free(n->free_pages, true);
    g_array_free(n->freed, true);
    if (n->rand) {
        g_rand_free(n->rand);
    }
    dmar_free(n->d);
    g_free(n);
}

/* ---- the tables ---- */

static uint64_t level_size(unsigned level)
{
    return SZ_4K << (9 * (level - 1));
}

static void pte_write(N *n, Tbl *t, unsigned i, uint64_t pte)
{
    t->pte[i] = pte;
    qtest_writeq(n->d->qts, t->gpa + i * 8, pte);
}

/*
 * Domain DOM maps IOVA with a leaf at LEVEL to PA (PERM: PTE_R/PTE_W,
 * 0 clears the entry). A leaf on the way down becomes an empty table; a
 * table where the leaf goes is dropped. Returns the first address of the
 * block that changed; its size in *SIZE.
 */
static uint64_t set_leaf(N *n, int dom, uint64_t iova, unsigned level,
                         uint64_t pa, unsigned perm, uint64_t *size)
{
    Tbl *t = n->dom[dom].root;
    uint64_t changed = 0;

    g_assert_cmphex(iova & (level_size(level) - 1), ==, 0);
    g_assert_cmphex(pa & (level_size(level) - 1), ==, 0);
    for (unsigned l = LEVELS; l > level; l--) {
        unsigned i = PT_INDEX(iova, l);

        if (!t->sub[i]) {
            if (t->pte[i] & PTE_RW) {
                changed = MAX(changed, level_size(l));   /* a leaf splits */
            }
            t->sub[i] = tbl_new(n);
            pte_write(n, t, i, t->sub[i]->gpa | PTE_RW);
        }
        t = t->sub[i];
    }
    {
        unsigned i = PT_INDEX(iova, level);

        if (level > 1 && t->sub[i]) {
            tbl_free(n, t->sub[i]);
            t->sub[i] = NULL;
        }
        pte_write(n, t, i, perm ? pa | perm | (level > 1 ? PTE_PS : 0) : 0);
    }
    changed = MAX(changed, level_size(level));
    *size = changed;
    return iova & ~(changed - 1);
}

/* The table entry at LEVEL (> 1) above IOVA gets PERM (it must exist). */
static void set_table_perm(N *n, int dom, uint64_t iova, unsigned level,
                           unsigned perm)
{
    Tbl *t = n->dom[dom].root;

    for (unsigned l = LEVELS; l > level; l--) {
        t = t->sub[PT_INDEX(iova, l)];
        g_assert_nonnull(t);
    }
    g_assert_nonnull(t->sub[PT_INDEX(iova, level)]);
    pte_write(n, t, PT_INDEX(iova, level),
              t->sub[PT_INDEX(iova, level)]->gpa | perm);
}

static bool in_window(uint64_t first, uint64_t size)
{
    return first <= WIN_LAST && first + size - 1 >= WIN_FIRST;
}

/* A leaf as the notifiers must see it: narrowed around the window. */
static void emit(GArray *out, uint64_t iova, uint64_t size, uint64_t pa,
                 unsigned perm)
{
    if (in_window(iova, size) || in_window(pa, size)) {
        if (size == SZ_4K) {
            return;
        }
        for (uint64_t off = 0; off < size; off += size / 512) {
            emit(out, iova + off, size / 512, pa + off, perm);
        }
        return;
    }
    g_array_append_val(out, ((Entry) { iova, size - 1, pa, perm }));
}

static void walk(GArray *out, Tbl *t, unsigned level, uint64_t base,
                 unsigned perm)
{
    for (unsigned i = 0; i < 512; i++) {
        uint64_t pte = t->pte[i];
        unsigned p = perm & pte & PTE_RW;
        uint64_t iova = base + i * level_size(level);

        if (!p) {
            continue;
        }
        if (t->sub[i]) {
            walk(out, t->sub[i], level - 1, iova, p);
        } else {
            emit(out, iova, level_size(level),
                 pte & PTE_ADDR & ~(level_size(level) - 1), p);
        }
    }
}

/* What device DV's notifiers must have been told, sorted by IOVA */
static GArray *expected(N *n, const Dev *dv)
{
    GArray *out = g_array_new(false, false, sizeof(Entry));

    if (n->te && dv->kind == CTX_XLATE) {
        walk(out, n->dom[dv->dom].root, LEVELS, 0, PTE_RW);
    }
    return out;
}

static char *map_str(GArray *a)
{
    static const char *const perm[] = { "-", "r", "w", "rw" };
    GString *s = g_string_new("");

    for (guint i = 0; i < a->len; i++) {
        Entry *e = &g_array_index(a, Entry, i);

        g_string_append_printf(s, "%s%" PRIx64 "+%" PRIx64 ">%" PRIx64 ":%s",
                               i ? " " : "", e->iova, e->mask, e->pa,
                               perm[e->perm]);
    }
    return g_string_free(s, false);
}

/* Say which entries differ (each string: space-separated, sorted) */
static void report_diff(const char *want, const char *got)
{
    g_auto(GStrv) w = g_strsplit(want, " ", -1);
    g_auto(GStrv) g = g_strsplit(got, " ", -1);
    unsigned shown = 0;

    for (char **p = w; *p && shown < 16; p++) {
        if (**p && !g_strv_contains((const gchar *const *)g, *p)) {
            g_test_message("  missing: %s", *p);
            shown++;
        }
    }
    for (char **p = g; *p && shown < 32; p++) {
        if (**p && !g_strv_contains((const gchar *const *)w, *p)) {
            g_test_message("  unexpected: %s", *p);
            shown++;
        }
    }
}

/* Every device's map equals the tables, and no contract was broken. */
static void n_check(N *n, const char *what)
{
    for (unsigned i = 0; i < n->ndev; i++) {
        Dev *dv = &n->dev[i];
        g_autoptr(GArray) e = expected(n, dv);
        g_autofree char *want = map_str(e);
        g_autofree char *got = probe_get(n, dv->probe, "map");
        g_autofree char *err = probe_get(n, dv->probe, "errors");

        if (strcmp(want, got) || *err) {
            g_autofree char *ev = probe_get(n, dv->probe, "events");

            g_test_message("after %s: device %02x.%x: map differs or "
                           "errors", what, dv->devfn >> 3, dv->devfn & 7);
            report_diff(want, got);
            g_test_message("errors: %s", err);
            g_test_message("events since the last check: %.2000s", ev);
        }
        g_assert_cmpstr(err, ==, "");
        g_assert_cmpstr(got, ==, want);
        probe_clear(n, dv);
    }
    n->checks++;
}

/* ---- invalidation ---- */

typedef enum InvKind {
    INV_PAGE,
    INV_DOMAIN,
    INV_GLOBAL,
    INV_CC_DEVICE,
    INV_CC_DOMAIN,
    INV_CC_GLOBAL,
    INV_SRTP,
    INV_TE_CYCLE,
    INV_KINDS,
} InvKind;

static const char *const inv_names[] = {
    "iotlb-page", "iotlb-domain", "iotlb-global", "cc-device", "cc-domain",
    "cc-global", "srtp", "te-off-on",
};

static void qi_done(N *n)
{
    dmar_qi_sync(n->d);
}

static void inv_iotlb(N *n, unsigned gran, uint16_t did, uint64_t addr,
                      unsigned am)
{
    if (n->qi) {
        dmar_qi_iotlb(n->d, gran, did, addr, am);
        qi_done(n);
    } else {
        /* intel-iommu's registers are elsewhere: at ECAP.IRO */
        dmar_wr64(n->d, n->iro, addr | IVA_AM(am));
        dmar_wr64(n->d, n->iro + 8, IOTLB_IVT | IOTLB_IIRG(gran) |
                  IOTLB_DR | IOTLB_DW | IOTLB_DID(did));
        g_assert_cmphex(dmar_rd64(n->d, n->iro + 8) & IOTLB_IVT, ==, 0);
    }
    if (gran == GRAN_GLOBAL) {
        pages_recycle(n);
    }
}

static void inv_cc(N *n, unsigned gran, uint16_t did, uint16_t sid)
{
    if (n->qi) {
        dmar_qi_cc(n->d, gran, did, sid, 0);
        qi_done(n);
    } else {
        dmar_ccmd_inv(n->d, CCMD_CIRG(gran) | CCMD_SID(sid) | CCMD_DID(did));
    }
}

/* The smallest AM whose naturally aligned block holds [addr, +size) */
static unsigned am_for(uint64_t size)
{
    return ctz64(size) - 12;
}

/*
 * Invalidate block [ADDR, +SIZE) of domain DOM with KIND (a context-cache
 * invalidation by device names every device in DOM, or edu if none is).
 */
static void inv(N *n, InvKind kind, int dom, uint64_t addr, uint64_t size)
{
    uint16_t did = n->dom[dom].did;
    bool any = false;

    n->invs++;
    switch (kind) {
    case INV_PAGE:
        if (am_for(size) <= n->mamv) {
            inv_iotlb(n, GRAN_PAGE, did, addr, am_for(size));
        } else {
            inv_iotlb(n, GRAN_DOMAIN, did, 0, 0);
        }
        break;
    case INV_DOMAIN:
        inv_iotlb(n, GRAN_DOMAIN, did, 0, 0);
        break;
    case INV_GLOBAL:
        inv_iotlb(n, GRAN_GLOBAL, 0, 0, 0);
        break;
    case INV_CC_DEVICE:
        for (unsigned i = 0; i < n->ndev; i++) {
            if (n->dev[i].dom == dom) {
                inv_cc(n, GRAN_DEVICE, n->dev[i].did, n->dev[i].devfn);
                any = true;
            }
        }
        if (!any) {
            inv_cc(n, GRAN_DEVICE, did, n->dev[0].devfn);
        }
        break;
    case INV_CC_DOMAIN:
        inv_cc(n, GRAN_DOMAIN, did, 0);
        break;
    case INV_CC_GLOBAL:
        inv_cc(n, GRAN_GLOBAL, 0, 0);
        break;
    case INV_SRTP:
        dmar_gcmd_update(n->d, GCMD_SRTP, 0);
        g_assert_cmphex(dmar_rd32(n->d, REG_GSTS) & GSTS_RTPS, ==,
                        GSTS_RTPS);
        break;
    case INV_TE_CYCLE:
        dmar_gcmd_update(n->d, 0, GCMD_TE);
        g_assert_cmphex(dmar_rd32(n->d, REG_GSTS) & GSTS_TES, ==, 0);
        n->te = false;
        n_check(n, "TE off");
        dmar_gcmd_update(n->d, GCMD_TE, 0);
        g_assert_cmphex(dmar_rd32(n->d, REG_GSTS) & GSTS_TES, ==, GSTS_TES);
        n->te = true;
        break;
    default:
        g_assert_not_reached();
    }
}

/* ---- data through the map ---- */

/* A 4 KiB page of an entry with PERM whose output lies in DATA_LO..HI */
static bool pick_page(GArray *map, unsigned perm, uint64_t avoid_pa,
                      uint64_t *iova, uint64_t *pa)
{
    for (guint i = 0; i < map->len; i++) {
        Entry *e = &g_array_index(map, Entry, i);
        uint64_t first = MAX(e->pa, DATA_LO);
        uint64_t last = MIN(e->pa + e->mask, DATA_HI - 1);

        if ((e->perm & perm) != perm || first > last) {
            continue;
        }
        if (first == avoid_pa) {
            first += SZ_4K;
        }
        if (first > last) {
            continue;
        }
        *pa = first;
        *iova = e->iova + (first - e->pa);
        return true;
    }
    return false;
}

/*
 * Device I reads through one mapping and writes through another: the data
 * goes from and to where the probe's map says. False if its map has no
 * such pages in RAM the test may write.
 */
static bool data_check(N *n, unsigned i, uint8_t seed)
{
    Dev *dv = &n->dev[i];
    g_autoptr(GArray) map = expected(n, dv);
    uint64_t r_iova, r_pa, w_iova, w_pa;
    QPCIDevice *edu = n->d->edu;
    QPCIBar bar = n->d->bar;

    if (!pick_page(map, PTE_W, -1, &w_iova, &w_pa) ||
        !pick_page(map, PTE_R, w_pa, &r_iova, &r_pa)) {
        return false;
    }
    dmar_fill(n->d, r_pa, seed);
    dmar_zero(n->d, w_pa);
    n->d->edu = dv->pdev;
    n->d->bar = dv->bar;
    dmar_copy(n->d, r_iova, w_iova);
    n->d->edu = edu;
    n->d->bar = bar;
    dmar_assert_no_fault(n->d);
    if (!dmar_holds(n->d, w_pa, seed)) {
        g_test_message("device %02x.%x: read iova 0x%" PRIx64 " (pa 0x%"
                       PRIx64 "), wrote iova 0x%" PRIx64 ": not at pa 0x%"
                       PRIx64, dv->devfn >> 3, dv->devfn & 7, r_iova, r_pa,
                       w_iova, w_pa);
    }
    g_assert_true(dmar_holds(n->d, w_pa, seed));
    n->datachecks++;
    return true;
}

/* ================= directed cases ================= */

#define IOVA_4K         UINT64_C(0x12345000)
#define IOVA_2M         UINT64_C(0x40000000)
#define IOVA_1G         UINT64_C(0x140000000)
#define PA_4K           UINT64_C(0x02345000)
#define PA_2M           UINT64_C(0x02400000)
#define PA_1G           UINT64_C(0x40000000)

/* A 4 KiB, a 2 MiB and a 1 GiB leaf in domain 0, before TE is set */
static N *base_boot(bool two, bool qi)
{
    N *n = n_boot(two, true, qi);
    uint64_t sz;

    set_leaf(n, 0, IOVA_4K, 1, PA_4K, PTE_RW, &sz);
    set_leaf(n, 0, IOVA_2M, 2, PA_2M, PTE_R, &sz);
    set_leaf(n, 0, IOVA_1G, 3, PA_1G, PTE_W, &sz);
    n_enable(n);
    return n;
}

static unsigned count_words(const char *s)
{
    g_auto(GStrv) w = g_strsplit(s, " ", -1);
    unsigned c = 0;

    for (char **p = w; *p; p++) {
        c += **p != 0;
    }
    return c;
}

/* Without caching mode the unit refuses MAP notifiers, and says why. */
static void test_refused(void)
{
    N *n = n_boot(false, false, false);
    g_autofree char *err = NULL;
    g_autofree char *map = NULL;

    n_enable(n);
    err = probe_get(n, n->dev[0].probe, "errors");
    map = probe_get(n, n->dev[0].probe, "map");
    g_test_message("errors: %s", err);
    if (!n->intel) {
        g_assert_nonnull(strstr(err, "vtd-dmar: device 00:04.0 needs MAP "
                                "notifications (vfio-pci, device "
                                "assignment): set caching-mode=on"));
    } else {
        g_assert_cmpstr(err, !=, "");
    }
    g_assert_cmpstr(map, ==, "");
    n_free(n);
}

/* With caching mode on, registering and replaying work. */
static void test_accepted(void)
{
    N *n = base_boot(false, false);
    g_autofree char *sections = probe_get(n, n->dev[0].probe, "sections");

    g_assert_cmpuint(count_words(sections), ==, 2);
    n_check(n, "TE on");
    n_free(n);
}

/* Tables built before TE: the replay at registration maps every leaf. */
static void test_replay(void)
{
    N *n = base_boot(false, false);
    g_autofree char *map = probe_get(n, n->dev[0].probe, "map");
    g_autofree char *counts = probe_get(n, n->dev[0].probe, "counts");
    g_autofree char *sections = probe_get(n, n->dev[0].probe, "sections");
    g_autofree char *want = g_strdup_printf(
        "%" PRIx64 "+fff>%" PRIx64 ":rw %" PRIx64 "+1fffff>%" PRIx64 ":r %"
        PRIx64 "+3fffffff>%" PRIx64 ":w", IOVA_4K, PA_4K, IOVA_2M, PA_2M,
        IOVA_1G, PA_1G);
    unsigned maps, unmaps, replays;

    g_test_message("counts: %s", counts);
    g_assert_cmpstr(map, ==, want);
    n_check(n, "replay");
    /* one MAP per leaf, one replay per section; UNMAPs over nothing ok */
    g_assert_cmpint(sscanf(counts, "maps %u unmaps %u replays %u", &maps,
                           &unmaps, &replays), ==, 3);
    g_assert_cmpuint(maps, ==, 3);
    g_assert_cmpuint(replays, ==, count_words(sections));
    n_free(n);
}

/* ---- every kind of invalidation ---- */

typedef struct InvCase {
    const char *name;
    bool qi;
    InvKind kind;
    int am;         /* INV_PAGE: -1: the change of every kind */
} InvCase;

/*
 * What changes before the invalidation: for a page-selective one, a
 * change its range covers; else one of everything.
 */
static void inv_case_change(N *n, const InvCase *c, uint64_t *addr,
                            uint64_t *size)
{
    uint64_t sz;

    if (c->kind == INV_PAGE && c->am == 0) {
        *addr = set_leaf(n, 0, IOVA_4K, 1, PA_4K, PTE_R, size);
    } else if (c->kind == INV_PAGE && c->am == 1) {
        /* two pages: the new one at IOVA_4K - 4K, and the old one's perm */
        set_leaf(n, 0, IOVA_4K, 1, PA_4K, PTE_W, &sz);
        set_leaf(n, 0, IOVA_4K - SZ_4K, 1, PA_4K + SZ_4K, PTE_RW, &sz);
        *addr = IOVA_4K - SZ_4K;
        *size = 2 * SZ_4K;
    } else if (c->kind == INV_PAGE && c->am == 9) {
        *addr = set_leaf(n, 0, IOVA_2M, 2, PA_2M + SZ_2M, PTE_RW, size);
    } else if (c->kind == INV_PAGE && c->am == 18) {
        *addr = set_leaf(n, 0, IOVA_1G, 3, 0, 0, size);   /* unmapped */
    } else {
        set_leaf(n, 0, IOVA_4K, 1, PA_4K + SZ_4K, PTE_RW, &sz);
        set_leaf(n, 0, IOVA_4K + SZ_4K, 1, PA_4K, PTE_R, &sz);
        set_leaf(n, 0, IOVA_2M, 2, PA_2M, PTE_RW, &sz);
        set_leaf(n, 0, IOVA_1G, 3, 0, 0, &sz);
        set_leaf(n, 0, IOVA_1G + SZ_1G, 3, PA_1G, PTE_R, &sz);
        *addr = 0;
        *size = 0;
    }
}

static void test_inv(const void *opaque)
{
    const InvCase *c = opaque;
    N *n = base_boot(true, c->qi);
    uint64_t addr, size;

    n_check(n, "replay");
    inv_case_change(n, c, &addr, &size);
    inv(n, c->kind, 0, addr, size);
    n_check(n, inv_names[c->kind]);
    /* and back to the original tables, the same way */
    n_free(n);
}

static const InvCase inv_cases[] = {
    { "reg-page-am0", false, INV_PAGE, 0 },
    { "reg-page-am1", false, INV_PAGE, 1 },
    { "reg-page-am9", false, INV_PAGE, 9 },
    { "reg-page-am18", false, INV_PAGE, 18 },
    { "reg-domain", false, INV_DOMAIN },
    { "reg-global", false, INV_GLOBAL },
    { "reg-cc-device", false, INV_CC_DEVICE },
    { "reg-cc-domain", false, INV_CC_DOMAIN },
    { "reg-cc-global", false, INV_CC_GLOBAL },
    { "qi-page-am0", true, INV_PAGE, 0 },
    { "qi-page-am1", true, INV_PAGE, 1 },
    { "qi-page-am9", true, INV_PAGE, 9 },
    { "qi-page-am18", true, INV_PAGE, 18 },
    { "qi-domain", true, INV_DOMAIN },
    { "qi-global", true, INV_GLOBAL },
    { "qi-cc-device", true, INV_CC_DEVICE },
    { "qi-cc-domain", true, INV_CC_DOMAIN },
    { "qi-cc-global", true, INV_CC_GLOBAL },
    { "srtp", false, INV_SRTP },
    { "te-off-on", false, INV_TE_CYCLE },
};

/* ---- remapping ---- */

/* Other permissions: one UNMAP of the old leaf, then one MAP. */
static void test_remap_perm(void)
{
    N *n = base_boot(false, false);
    uint64_t sz, a;
    g_autofree char *ev = NULL;
    g_autofree char *want = g_strdup_printf(
        "U:%" PRIx64 "+fff M:%" PRIx64 "+fff>%" PRIx64 ":r", IOVA_4K,
        IOVA_4K, PA_4K);

    n_check(n, "replay");
    a = set_leaf(n, 0, IOVA_4K, 1, PA_4K, PTE_R, &sz);
    inv_iotlb(n, GRAN_PAGE, n->dom[0].did, a, am_for(sz));
    ev = probe_take(n, &n->dev[0]);
    g_assert_cmpstr(ev, ==, want);
    n_check(n, "remap");
    n_free(n);
}

/* A 2 MiB leaf becomes a table with one 4 KiB leaf, and back. */
static void test_superpage_split(void)
{
    N *n = base_boot(false, true);
    uint64_t sz, a;
    g_autofree char *ev1 = NULL, *ev2 = NULL;
    g_autofree char *want1 = g_strdup_printf(
        "U:%" PRIx64 "+1fffff M:%" PRIx64 "+fff>%" PRIx64 ":rw", IOVA_2M,
        IOVA_2M + 0x3000, PA_4K);
    g_autofree char *want2 = g_strdup_printf(
        "U:%" PRIx64 "+fff M:%" PRIx64 "+1fffff>%" PRIx64 ":r",
        IOVA_2M + 0x3000, IOVA_2M, PA_2M);

    n_check(n, "replay");
    a = set_leaf(n, 0, IOVA_2M + 0x3000, 1, PA_4K, PTE_RW, &sz);
    g_assert_cmphex(a, ==, IOVA_2M);
    g_assert_cmphex(sz, ==, SZ_2M);
    inv(n, INV_PAGE, 0, a, sz);
    ev1 = probe_take(n, &n->dev[0]);
    g_assert_cmpstr(ev1, ==, want1);
    n_check(n, "split");
    a = set_leaf(n, 0, IOVA_2M, 2, PA_2M, PTE_R, &sz);
    inv(n, INV_PAGE, 0, a, sz);
    ev2 = probe_take(n, &n->dev[0]);
    g_assert_cmpstr(ev2, ==, want2);
    n_check(n, "merge");
    n_free(n);
}

/* A table entry with R only: the leaves below it are read-only. */
static void test_perm_and(void)
{
    N *n = base_boot(false, false);

    set_table_perm(n, 0, IOVA_4K, 2, PTE_R);
    inv(n, INV_DOMAIN, 0, 0, 0);
    n_check(n, "table entry R only");
    set_table_perm(n, 0, IOVA_4K, 3, PTE_W);
    inv(n, INV_GLOBAL, 0, 0, 0);
    n_check(n, "table entries R and W: nothing");
    set_table_perm(n, 0, IOVA_4K, 2, PTE_RW);
    inv(n, INV_GLOBAL, 0, 0, 0);
    n_check(n, "table entry W only");
    n_free(n);
}

/*
 * Leaves reaching into the interrupt window, by IOVA (which no IOMMU
 * section covers) and by output address (which translate refuses): the
 * notifiers hear the pieces outside it.
 */
static void test_window(void)
{
    N *n;
    uint64_t sz;
    g_autofree char *map = NULL;

    if (!strcmp(iommu_name(), "intel-iommu")) {
        g_test_skip("intel-iommu does not narrow leaves around the window");
        return;
    }
    n = base_boot(false, false);
    n_check(n, "replay");
    set_leaf(n, 0, 0xc0000000ull, 3, 0x100000000ull, PTE_RW, &sz);
    inv(n, INV_PAGE, 0, 0xc0000000ull, sz);
    n_check(n, "1 GiB leaf over the window (IOVA)");
    set_leaf(n, 0, 0x80000000ull, 3, 0xc0000000ull, PTE_R, &sz);
    set_leaf(n, 0, IOVA_2M + SZ_2M, 2, WIN_FIRST, PTE_RW, &sz);
    set_leaf(n, 0, IOVA_4K + SZ_4K, 1, WIN_FIRST + 0x5000, PTE_RW, &sz);
    inv(n, INV_DOMAIN, 0, 0, 0);
    n_check(n, "leaves into the window (output)");
    map = probe_get(n, n->dev[0].probe, "map");
    /* spot checks of the narrowing, beside the comparison with the model */
    g_assert_nonnull(strstr(map, "fec00000+1fffff>13ec00000:rw"));
    g_assert_nonnull(strstr(map, "fef00000+fff>13ef00000:rw"));
    g_assert_null(strstr(map, "feeff000+fff"));
    g_assert_null(strstr(map, "fee00000+1fffff"));
    g_assert_null(strstr(map, "bee00000+1fffff"));
    g_assert_nonnull(strstr(map, "bef00000+fff>fef00000:r"));
    /* a 4 KiB leaf inside the window, by IOVA: nothing */
    set_leaf(n, 0, 0xfeeff000ull, 1, PA_4K, PTE_RW, &sz);
    set_leaf(n, 0, 0xfef00000ull, 1, PA_4K, PTE_RW, &sz);
    inv(n, INV_GLOBAL, 0, 0, 0);
    n_check(n, "4 KiB leaves in and beside the window");
    n_free(n);
}

/* ---- contexts ---- */

/* Pass-through: the IOMMU section goes away (map empty), then back. */
static void test_passthrough(void)
{
    N *n = base_boot(false, false);
    g_autofree char *sections = NULL;

    n_check(n, "replay");
    n->dev[0].kind = CTX_PT;
    ctx_write(n, &n->dev[0]);
    inv(n, INV_CC_DEVICE, 0, 0, 0);
    sections = probe_get(n, n->dev[0].probe, "sections");
    g_assert_cmpstr(sections, ==, "");
    n_check(n, "context to pass-through");
    n->dev[0].kind = CTX_XLATE;
    ctx_write(n, &n->dev[0]);
    inv(n, INV_CC_GLOBAL, 0, 0, 0);
    n_check(n, "context back to translation");
    n->dev[0].kind = CTX_NP;
    ctx_write(n, &n->dev[0]);
    inv(n, INV_CC_DOMAIN, 0, 0, 0);
    n_check(n, "context not present");
    n->dev[0].kind = CTX_XLATE;
    ctx_write(n, &n->dev[0]);
    inv(n, INV_CC_DEVICE, 0, 0, 0);
    n_check(n, "context present again");
    n_free(n);
}

/*
 * The context's domain-id changes (same tables): from then on
 * invalidations of the new domain reach the device.
 */
static void test_did_change(void)
{
    N *n = base_boot(false, false);
    uint64_t sz, a;
    uint16_t old = n->dom[0].did;

    n_check(n, "replay");
    n->dom[0].did = 0x77;
    n->dev[0].did = 0x77;
    ctx_write(n, &n->dev[0]);
    dmar_ccmd_inv(n->d, CCMD_CIRG(GRAN_DEVICE) | CCMD_SID(EDU_SID) |
                  CCMD_DID(old));
    inv_iotlb(n, GRAN_DOMAIN, old, 0, 0);
    n_check(n, "domain-id change");
    a = set_leaf(n, 0, IOVA_4K, 1, PA_4K + SZ_4K, PTE_RW, &sz);
    inv(n, INV_PAGE, 0, a, sz);
    n_check(n, "a page of the new domain");
    /* and another domain's tables (domain 1, empty) */
    n->dev[0].dom = 1;
    n->dev[0].did = n->dom[1].did;
    ctx_write(n, &n->dev[0]);
    inv(n, INV_CC_DEVICE, 0, 0, 0);
    n_check(n, "move to an empty domain");
    a = set_leaf(n, 1, IOVA_4K, 1, PA_4K, PTE_R, &sz);
    inv(n, INV_PAGE, 1, a, sz);
    n_check(n, "a page in it");
    n_free(n);
}

/* DMA through addresses in the map lands where the map says. */
static void test_data(void)
{
    N *n = base_boot(true, false);
    uint64_t sz;

    n_check(n, "replay");
    /* edu: read through the 2M leaf, write through the 4K one */
    g_assert_true(data_check(n, 0, 0x5a));
    /* edu2 in domain 1: a 1 GiB leaf onto RAM 0..1G, read-write */
    set_leaf(n, 1, SZ_1G * 2, 3, 0, PTE_RW, &sz);
    n->dev[1].dom = 1;
    n->dev[1].did = n->dom[1].did;
    ctx_write(n, &n->dev[1]);
    inv(n, INV_CC_GLOBAL, 1, 0, 0);
    inv(n, INV_GLOBAL, 1, 0, 0);
    n_check(n, "edu2 in domain 1");
    g_assert_true(data_check(n, 1, 0xa5));
    n_free(n);
}

/* ================= randomized sequences ================= */

static unsigned rnd(N *n, unsigned lim)
{
    return g_rand_int_range(n->rand, 0, lim);
}

/* IOVAs from a few slots, so that leaves meet, split and replace */
static uint64_t rnd_iova(N *n, unsigned level)
{
    static const unsigned g_slots[] = { 0, 1, 2, 3, 5, 6 };
    static const unsigned m_slots[] = { 0, 1, 2, 502, 503, 511 };
    static const unsigned k_slots[] = { 0, 1, 2, 3, 255, 256, 511 };
    unsigned g = g_slots[rnd(n, ARRAY_SIZE(g_slots))];
    uint64_t iova;

    if (!n->iova_window && g == 3) {
        g = 4;      /* stay out of the window's 1 GiB */
    }
    iova = g * SZ_1G;
    if (level < 3) {
        iova += m_slots[rnd(n, ARRAY_SIZE(m_slots))] * SZ_2M;
    }
    if (level < 2) {
        iova += k_slots[rnd(n, ARRAY_SIZE(k_slots))] * SZ_4K;
    }
    return iova;
}

/* Mostly RAM the data checks may write, sometimes anywhere or the window */
static uint64_t rnd_pa(N *n, unsigned level)
{
    uint64_t size = level_size(level);
    unsigned r = rnd(n, 8);

    if (level == 3) {
        uint64_t g = rnd(n, 6);

        if (!n->pa_window && g == 3) {
            g = 4;
        }
        return g * SZ_1G;
    }
    if (r == 0 && n->pa_window) {
        return (WIN_FIRST & ~(size - 1)) + (level == 1 ? rnd(n, 3) : 0) *
               size;
    }
    if (r == 1) {
        return (uint64_t)rnd(n, 1u << (level == 1 ? 20 : 11)) * size;
    }
    return DATA_LO + rnd(n, (DATA_HI - DATA_LO) / size) * size;
}

static unsigned rnd_perm(N *n, unsigned not)
{
    static const unsigned perms[] = { PTE_R, PTE_W, PTE_RW, PTE_RW };
    unsigned p;

    do {
        p = perms[rnd(n, ARRAY_SIZE(perms))];
    } while (p == not);
    return p;
}

/* The leaves of domain DOM (iova, level, pa, perm) */
typedef struct Leaf {
    uint64_t iova, pa;
    unsigned level, perm;
} Leaf;

static void leaves(GArray *out, Tbl *t, unsigned level, uint64_t base)
{
    for (unsigned i = 0; i < 512; i++) {
        uint64_t iova = base + i * level_size(level);

        if (t->sub[i]) {
            leaves(out, t->sub[i], level - 1, iova);
        } else if (t->pte[i] & PTE_RW) {
            Leaf l = {
                iova, t->pte[i] & PTE_ADDR & ~(level_size(level) - 1),
                level, t->pte[i] & PTE_RW,
            };

            g_array_append_val(out, l);
        }
    }
}

static InvKind rnd_covering(N *n)
{
    static const InvKind k[] = {
        INV_PAGE, INV_PAGE, INV_PAGE, INV_PAGE, INV_DOMAIN, INV_DOMAIN,
        INV_GLOBAL, INV_CC_DEVICE, INV_CC_DOMAIN, INV_CC_GLOBAL,
    };

    return k[rnd(n, ARRAY_SIZE(k))];
}

/* A domain: mostly one a device is in */
static int rnd_dom(N *n)
{
    return rnd(n, 4) ? n->dev[rnd(n, n->ndev)].dom : (int)rnd(n, NDOM);
}

/* One change of a page-table entry, and an invalidation covering it */
static void step_page(N *n, GString *what)
{
    int dom = rnd_dom(n);
    g_autoptr(GArray) ls = g_array_new(false, false, sizeof(Leaf));
    unsigned op = rnd(n, 10);
    uint64_t addr, size;
    InvKind k;

    leaves(ls, n->dom[dom].root, LEVELS, 0);
    if (op < 5 || !ls->len) {
        static const unsigned lv[] = { 1, 1, 1, 1, 1, 2, 2, 2, 3 };
        unsigned level = lv[rnd(n, ARRAY_SIZE(lv))];
        uint64_t iova = rnd_iova(n, level), pa = rnd_pa(n, level);
        unsigned perm = rnd_perm(n, 0);

        g_string_printf(what, "map dom %d %" PRIx64 " L%u -> %" PRIx64
                        " perm %u", dom, iova, level, pa, perm);
        addr = set_leaf(n, dom, iova, level, pa, perm, &size);
    } else {
        Leaf *l = &g_array_index(ls, Leaf, rnd(n, ls->len));

        if (op < 7) {
            g_string_printf(what, "unmap dom %d %" PRIx64 " L%u", dom,
                            l->iova, l->level);
            addr = set_leaf(n, dom, l->iova, l->level, 0, 0, &size);
        } else if (op < 9) {
            unsigned perm = rnd_perm(n, l->perm);

            g_string_printf(what, "remap dom %d %" PRIx64 " L%u perm %u -> %u",
                            dom, l->iova, l->level, l->perm, perm);
            addr = set_leaf(n, dom, l->iova, l->level, l->pa, perm, &size);
        } else {
            uint64_t pa = rnd_pa(n, l->level);

            g_string_printf(what, "move dom %d %" PRIx64 " L%u -> %" PRIx64,
                            dom, l->iova, l->level, pa);
            addr = set_leaf(n, dom, l->iova, l->level, pa, l->perm, &size);
        }
    }
    /* sometimes a coarser page-selective one than needed */
    if (rnd(n, 4) == 0 && size < SZ_1G) {
        size <<= 1 + rnd(n, 3);
        addr &= ~(size - 1);
    }
    k = rnd_covering(n);
    g_string_append_printf(what, "; %s", inv_names[k]);
    if (k == INV_PAGE) {
        g_string_append_printf(what, " %" PRIx64 " am %u", addr,
                               am_for(size));
    }
    inv(n, k, dom, addr, size);
}

/* A context changes: another domain, pass-through, not present, back */
static void step_ctx(N *n, GString *what)
{
    Dev *dv = &n->dev[rnd(n, n->ndev)];
    int old_dom = dv->dom;
    uint16_t old_did = dv->did;
    unsigned op = rnd(n, 4);
    static const InvKind k[] = { INV_CC_DEVICE, INV_CC_DOMAIN, INV_CC_GLOBAL };
    InvKind kind = k[rnd(n, ARRAY_SIZE(k))];

    if (op < 2 || dv->kind != CTX_XLATE) {
        dv->kind = CTX_XLATE;
        dv->dom = rnd(n, NDOM);
        dv->did = n->dom[dv->dom].did;
    } else {
        dv->kind = op == 2 ? CTX_PT : CTX_NP;
    }
    g_string_printf(what, "context %02x.%x: kind %d dom %d; %s",
                    dv->devfn >> 3, dv->devfn & 7, dv->kind, dv->dom,
                    inv_names[kind]);
    ctx_write(n, dv);
    /* the invalidation names the old context's domain */
    if (kind == INV_CC_DEVICE) {
        n->invs++;
        inv_cc(n, GRAN_DEVICE, old_did, dv->devfn);
    } else {
        inv(n, kind, old_dom, 0, 0);
    }
    if (rnd(n, 2)) {
        inv_iotlb(n, GRAN_DOMAIN, old_did, 0, 0);
    }
}

static void random_run(uint32_t seed, unsigned steps)
{
    N *n = n_boot(true, true, seed & 1);
    g_autoptr(GString) what = g_string_new("");
    unsigned s;

    n->rand = g_rand_new_with_seed(seed);
    g_test_message("seed %u, %u steps, %s invalidation", seed, steps,
                   n->qi ? "queued" : "register-based");
    /* some leaves before TE, for the replay */
    for (s = 0; s < 4; s++) {
        uint64_t sz;
        unsigned level = 1 + rnd(n, 3);

        set_leaf(n, 0, rnd_iova(n, level), level, rnd_pa(n, level),
                 rnd_perm(n, 0), &sz);
    }
    n_enable(n);
    n_check(n, "replay");
    for (s = 0; s < steps; s++) {
        unsigned r = rnd(n, 100);

        if (r < 10) {
            step_ctx(n, what);
        } else if (r < 12) {
            g_string_printf(what, "%s", r == 10 ? "srtp" : "te-off-on");
            inv(n, r == 10 ? INV_SRTP : INV_TE_CYCLE, 0, 0, 0);
        } else {
            step_page(n, what);
        }
        g_test_message("seed %u step %u: %s", seed, s, what->str);
        n_check(n, what->str);
        if (rnd(n, 4) == 0) {
            InvKind k = rnd(n, INV_KINDS - 1);
            int dom = rnd(n, NDOM);

            g_string_printf(what, "extra %s dom %d", inv_names[k], dom);
            inv(n, k, dom, rnd_iova(n, 1), SZ_4K);
            n_check(n, what->str);
        }
        if (n->freed->len > 64 || s % 16 == 15) {
            /* the data path: flush, and DMA through what the map says */
            inv(n, INV_GLOBAL, 0, 0, 0);
            n_check(n, "global before a data check");
            for (unsigned i = 0; i < n->ndev; i++) {
                data_check(n, i, seed + s + i);
            }
        }
    }
    g_test_message("seed %u: %u steps, %u invalidations, %u map checks, "
                   "%u data checks", seed, steps, n->invs, n->checks,
                   n->datachecks);
    n_free(n);
}

static unsigned env_steps(void)
{
    const char *e = g_getenv("VTD_NOTIFY_STEPS");

    return e && *e ? g_ascii_strtoull(e, NULL, 0) : 120;
}

static void test_random(const void *opaque)
{
    random_run(GPOINTER_TO_UINT(opaque), env_steps());
}

int main(int argc, char **argv)
{
    static const uint32_t seeds[] = { 1, 2, 3, 4, 5, 6 };
    const char *env = g_getenv("VTD_NOTIFY_SEED");

    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vtd-dmar/notify/refused-without-cm", test_refused);
    qtest_add_func("/vtd-dmar/notify/accepted-with-cm", test_accepted);
    qtest_add_func("/vtd-dmar/notify/replay", test_replay);
    DMAR_ADD_CASES("/vtd-dmar/notify/inv", inv_cases, test_inv);
    qtest_add_func("/vtd-dmar/notify/remap-perm", test_remap_perm);
    qtest_add_func("/vtd-dmar/notify/superpage-split", test_superpage_split);
    qtest_add_func("/vtd-dmar/notify/perm-and", test_perm_and);
    qtest_add_func("/vtd-dmar/notify/interrupt-window", test_window);
    qtest_add_func("/vtd-dmar/notify/passthrough", test_passthrough);
    qtest_add_func("/vtd-dmar/notify/did-change", test_did_change);
    qtest_add_func("/vtd-dmar/notify/data", test_data);
    if (env && *env) {
        g_auto(GStrv) list = g_strsplit(env, ",", -1);

        for (char **p = list; *p; p++) {
            uint32_t seed = g_ascii_strtoull(*p, NULL, 0);
            g_autofree char *path =
                g_strdup_printf("/vtd-dmar/notify/random/seed-%u", seed);

            qtest_add_data_func(path, GUINT_TO_POINTER(seed), test_random);
        }
    } else {
        for (size_t i = 0; i < ARRAY_SIZE(seeds); i++) {
            g_autofree char *path =
                g_strdup_printf("/vtd-dmar/notify/random/seed-%u", seeds[i]);

            qtest_add_data_func(path, GUINT_TO_POINTER(seeds[i]),
                                test_random);
        }
    }
    return g_test_run();
}
