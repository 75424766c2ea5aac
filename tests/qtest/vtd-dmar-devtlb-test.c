/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar's device-TLBs (device-iotlb=on): ECAP.DT, context
 * entries with TT=01b (device-TLBs allowed, VT-d §9.3), TM in leaves
 * with stale-tm, and the device-TLB invalidate descriptor (§6.5.2.5)
 * through the invalidation queue: it completes (a wait descriptor after
 * it writes its status) for every size encoding, with and without S; it
 * stops the queue with IQE without device-TLBs (IQEI 3) and with a
 * reserved bit (IQEI 4); each one that reaches below 2^aw-bits is the
 * dmar_devtlb_inv trace event, with its range, and reaches the device's
 * device-IOTLB notifiers (x-vtd-dmar-unmap-probe,mode=deviotlb, as vhost
 * with ATS registers them), which a unit without device-TLBs refuses.
 * Plumbing in
 * libqos/vtd-dmar.h; the unit-level twins are tests/unit/test-dmar-qi.c
 * and test-dmar-unit-inv.c (/dmar-unit/devtlb/).
 */
#include "qemu/osdep.h"
#include "qemu/host-utils.h"
#include "vtd-dmar-qtest.h"

#define ECAP_DT         (1ull << 2)
#define PTE_TM          (1ull << 62)    /* TM: stale-tm with device-TLBs */

/* §6.5.2.5: SID 47:32, PFSID 15:12 and 63:52, MIP 20:16; hi S 0 */
#define DT_SID(s)       ((uint64_t)(s) << 32)
#define DT_PFSID(p)     (((uint64_t)(p) & 0xf) << 12 | \
                         ((uint64_t)(p) >> 4) << 52)
#define DT_MIP(m)       ((uint64_t)(m) << 16)
#define DT_S            1ull
#define DT_EDU          (QI_DEVTLB | DT_SID(EDU_SID) | DT_PFSID(EDU_SID))
#define AW48_LAST       ((1ull << 48) - 1)

static QDmar *boot_traced(const char *props, char **log)
{
    return dmar_boot_log(props, "-trace dmar_devtlb_inv", log);
}

/* How many lines of TEXT hold LINE */
static unsigned count_of(const char *text, const char *line)
{
    unsigned n = 0;

    for (const char *p = strstr(text, line); p; p = strstr(p + 1, line)) {
        n++;
    }
    return n;
}

/* ---- ECAP.DT ---- */

/* device-iotlb=on sets ECAP.DT (bit 2), and nothing else changes */
static void test_ecap(void)
{
    QDmar *off = dmar_boot("");
    QDmar *on = dmar_boot("device-iotlb=on");
    uint64_t ecap = dmar_rd64(off, REG_ECAP);

    g_assert_cmphex(ecap & ECAP_DT, ==, 0);
    g_assert_cmphex(dmar_rd64(on, REG_ECAP), ==, ecap | ECAP_DT);
    g_assert_cmphex(dmar_rd64(on, REG_CAP), ==, dmar_rd64(off, REG_CAP));
    dmar_free(off);
    dmar_free(on);
}

/* ---- TT=01b ---- */

/*
 * A context entry with TT=01b: with device-iotlb=on edu's DMA (an
 * untranslated request) goes through the tables as with TT=00b, both
 * ways; without, the entry is invalid: fault 3h, and edu's write (of
 * what it read before translation was on) does not arrive.
 */
static void test_tt_devtlb(const void *opaque)
{
    bool dt = GPOINTER_TO_INT(opaque);
    QDmar *d = dmar_boot(dt ? "device-iotlb=on" : "");

    dmar_tables_init(d, 3, CTX_TT(TT_DEVTLB));
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(d, PAGE_P1, 0x31);
    dmar_zero(d, PAGE_OUT);
    dmar_dma_in(d, PAGE_P1);            /* untranslated: edu holds 0x31 */
    dmar_enable(d, ROOT_TABLE);
    if (dt) {
        dmar_copy(d, IOVA_A, IOVA_B);
        dmar_assert_no_fault(d);
        g_assert_true(dmar_holds(d, PAGE_OUT, 0x31));
    } else {
        dmar_dma_out(d, IOVA_B);
        dmar_assert_frcd(d, 0, IOVA_B, FR_CTX_INV, true);
        g_assert_cmphex(dmar_rd64(d, REG_FRCD(1) + 8), ==, 0);
        g_assert_false(dmar_holds(d, PAGE_OUT, 0x31));
    }
    dmar_free(d);
}

/*
 * stale-tm: with device-TLBs, TM (bit 62) of a leaf is allowed and the
 * page translates; with device-TLBs alone it is reserved (fault Ch).
 */
static void test_stale_tm(const void *opaque)
{
    bool stale_tm = GPOINTER_TO_INT(opaque);
    QDmar *d = dmar_boot(stale_tm ? "device-iotlb=on,stale-tm=on" :
                         "device-iotlb=on");

    dmar_tables_init(d, 3, CTX_TT(TT_DEVTLB));
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R | PTE_TM);
    dmar_fill(d, PAGE_P1, 0x32);
    dmar_enable(d, ROOT_TABLE);
    dmar_dma_in(d, IOVA_A);
    if (stale_tm) {
        dmar_assert_no_fault(d);
    } else {
        dmar_assert_frcd(d, 0, IOVA_A, FR_PTE_RSVD, false);
    }
    dmar_free(d);
}

/* ---- the descriptor through the queue ---- */

typedef struct DevtlbCase {
    const char *name;
    uint64_t lo, hi;
    bool traced;            /* some of it below 2^48 */
    uint64_t first, last;   /* ... cut there */
} DevtlbCase;

/* Sizes as Linux's qi_flush_dev_iotlb() encodes 2^m pages at a base */
static const DevtlbCase devtlb_cases[] = {
    { "page", DT_EDU, IOVA_A, true, IOVA_A, IOVA_A + 0xfff },
    { "page-top", DT_EDU, AW48_LAST & ~0xfffull, true,
      AW48_LAST & ~0xfffull, AW48_LAST },
    { "8k", DT_EDU, 0x12344000ull | DT_S, true, 0x12344000ull,
      0x12345fffull },
    { "64k", DT_EDU, 0x17000ull | DT_S, true, 0x10000, 0x1ffff },
    { "2m", DT_EDU, 0x400ff000ull | DT_S, true, 0x40000000ull,
      0x401fffffull },
    { "1g", DT_EDU, 0x1ffff000ull | DT_S, true, 0, 0x3fffffffull },
    { "2^49", DT_EDU, 0xfffffffff000ull | DT_S, true, 0, AW48_LAST },
    { "all", DT_EDU, 0xfffffffffffff000ull | DT_S, true, 0, AW48_LAST },
    { "beyond-aw", DT_EDU, 1ull << 48, false },
    /* a device that is not there, with MIP: completes all the same */
    { "absent", QI_DEVTLB | DT_SID(0x0318) | DT_PFSID(0x0318) | DT_MIP(31),
      0x5000, true, 0x5000, 0x5fff },
};

/*
 * Each descriptor, then a wait: the wait's status is written, IQH meets
 * IQT, no IQE, no fault; the trace shows the range (cut to 2^48).
 */
static void test_queue(void)
{
    g_autofree char *log = NULL;
    g_autofree char *text = NULL;
    QDmar *d = boot_traced("device-iotlb=on", &log);

    dmar_qi_enable(d, IQ_BASE, 0);
    for (unsigned i = 0; i < ARRAY_SIZE(devtlb_cases); i++) {
        g_test_message("case %s", devtlb_cases[i].name);
        dmar_qi_push(d, devtlb_cases[i].lo, devtlb_cases[i].hi);
        dmar_qi_sync(d);
    }
    /* all of them in one batch, before one wait */
    for (unsigned i = 0; i < ARRAY_SIZE(devtlb_cases); i++) {
        dmar_qi_push(d, devtlb_cases[i].lo, devtlb_cases[i].hi);
    }
    dmar_qi_sync(d);
    dmar_assert_no_fault(d);
    dmar_free(d);

    text = dmar_log_text(log);
    g_test_message("trace: %s", text);
    for (unsigned i = 0; i < ARRAY_SIZE(devtlb_cases); i++) {
        const DevtlbCase *c = &devtlb_cases[i];
        g_autofree char *line = NULL;
        unsigned same = 0;

        if (!c->traced) {
            continue;
        }
        /* twice each (alone, in the batch), as often as it is asked for */
        for (unsigned j = 0; j < ARRAY_SIZE(devtlb_cases); j++) {
            same += devtlb_cases[j].traced &&
                    devtlb_cases[j].lo == c->lo &&
                    devtlb_cases[j].first == c->first &&
                    devtlb_cases[j].last == c->last;
        }
        line = g_strdup_printf("sid 0x%04x device-TLB invalidation "
                               "0x%" PRIx64 "..0x%" PRIx64 "\n",
                               (unsigned)(c->lo >> 32) & 0xffff, c->first,
                               c->last);
        g_assert_cmpuint(count_of(text, line), ==, 2 * same);
    }
    /* one line per descriptor below 2^48, nothing else */
    g_assert_cmpuint(count_of(text, "device-TLB invalidation"), ==,
                     2 * (ARRAY_SIZE(devtlb_cases) - 1));
}

/* The queue stopped at descriptor BAD with IQEI; the wait after it not */
static void assert_stopped(QDmar *d, unsigned bad, uint64_t iqei)
{
    g_assert_cmphex(dmar_rd32(d, REG_FSTS) & FSTS_IQE, ==, FSTS_IQE);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(bad));
    g_assert_cmphex(dmar_rd64(d, REG_IQERCD), ==, iqei);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
}

/*
 * Without device-iotlb, type 3 is an invalid descriptor type: the queue
 * stops there (IQE, IQEI 3) and nothing is traced.
 */
static void test_iqe_no_dt(void)
{
    g_autofree char *log = NULL;
    g_autofree char *text = NULL;
    QDmar *d = boot_traced("", &log);
    unsigned bad;

    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_qi_sync(d);
    qtest_writel(d->qts, IQ_STATUS, 0);
    bad = dmar_qi_push(d, DT_EDU, IOVA_A);
    dmar_qi_push_wait(d, IQ_STATUS, 0x77, 0);
    dmar_qi_kick(d);
    assert_stopped(d, bad, IQEI_TYPE);
    dmar_free(d);
    text = dmar_log_text(log);
    g_assert_cmpuint(count_of(text, "device-TLB invalidation"), ==, 0);
}

/*
 * With device-iotlb, a reserved bit (lo 8:4, 31:21, 51:48; hi 11:1)
 * stops the queue at the descriptor with IQEI 4, after the descriptor
 * before it was done.
 */
static void test_iqe_rsvd(void)
{
    static const struct {
        uint64_t lo, hi;
    } bad_bits[] = {
        { 1ull << 4, 0 }, { 1ull << 8, 0 }, { 1ull << 21, 0 },
        { 1ull << 31, 0 }, { 1ull << 48, 0 }, { 1ull << 51, 0 },
        { 0, 1ull << 1 }, { 0, 1ull << 11 },
    };
    g_autofree char *log = NULL;
    g_autofree char *text = NULL;
    g_autofree char *good = NULL;
    QDmar *d = boot_traced("device-iotlb=on", &log);

    for (unsigned i = 0; i < ARRAY_SIZE(bad_bits); i++) {
        unsigned bad;

        dmar_qi_enable(d, IQ_BASE, 0);
        qtest_writel(d->qts, IQ_STATUS, 0);
        dmar_qi_push(d, DT_EDU, 0x7000);
        bad = dmar_qi_push(d, DT_EDU | bad_bits[i].lo,
                           0x8000 | bad_bits[i].hi);
        dmar_qi_push_wait(d, IQ_STATUS, 0x78, 0);
        dmar_qi_kick(d);
        assert_stopped(d, bad, IQEI_RSVD);
        /* software starts over: QIE off clears IQH, IQE cleared */
        dmar_wr32(d, REG_GCMD, 0);
        dmar_wr32(d, REG_FSTS, FSTS_IQE);
        g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);
    }
    dmar_free(d);
    text = dmar_log_text(log);
    good = g_strdup_printf("sid 0x%04x device-TLB invalidation "
                           "0x7000..0x7fff\n", EDU_SID);
    g_assert_cmpuint(count_of(text, good), ==, ARRAY_SIZE(bad_bits));
    g_assert_cmpuint(count_of(text, "device-TLB invalidation"), ==,
                     ARRAY_SIZE(bad_bits));
}

/* ---- device-IOTLB notifiers (vhost with ATS) ---- */

#define PROBE_PATH      "/machine/peripheral/probe"
#define PROBE_ARGS      "-device x-vtd-dmar-unmap-probe,id=probe," \
                        "device=/machine/peripheral/edu,mode=deviotlb"

static char *probe_str(QDmar *d, const char *prop)
{
    return dmar_probe_str(d, PROBE_PATH, prop);
}

/* The events since the last call, and forget them */
static char *probe_take(QDmar *d)
{
    return dmar_probe_take(d, PROBE_PATH);
}

/*
 * What a notifier hears of [FIRST, LAST]: edu's IOMMU region has two
 * sections, below and above the interrupt address range, and each
 * notifier hears its part as naturally aligned blocks. Sorted, so that
 * the order of the notifiers does not matter.
 */
#define MSI_FIRST       0xfee00000ull
#define MSI_LAST        0xfeefffffull

static void add_blocks(GPtrArray *out, uint64_t first, uint64_t last)
{
    while (first <= last) {
        unsigned k = first ? ctz64(first) : 63;
        uint64_t mask;

        while (k && first + ((1ull << k) - 1) > last) {
            k--;
        }
        mask = (1ull << k) - 1;
        g_ptr_array_add(out, g_strdup_printf("%" PRIx64 "+%" PRIx64, first,
                                             mask));
        first += mask + 1;
    }
}

static gint str_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *sorted(GPtrArray *a)
{
    g_ptr_array_sort(a, str_cmp);
    g_ptr_array_add(a, NULL);
    return g_strjoinv(" ", (char **)a->pdata);
}

static char *heard(uint64_t first, uint64_t last)
{
    g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);

    if (first < MSI_FIRST) {
        add_blocks(a, first, MIN(last, MSI_FIRST - 1));
    }
    if (last > MSI_LAST) {
        add_blocks(a, MAX(first, MSI_LAST + 1), last);
    }
    return sorted(a);
}

static char *sorted_events(const char *ev)
{
    g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) v = g_strsplit(ev, " ", -1);

    for (unsigned i = 0; v[i]; i++) {
        if (*v[i]) {
            g_ptr_array_add(a, g_strdup(v[i]));
        }
    }
    return sorted(a);
}

/* A machine with PROPS and the probe listening to edu (after it) */
static QDmar *probe_boot(const char *props)
{
    return dmar_attach(qtest_initf("-M q35 -device vtd-dmar%s%s %s "
                                   PROBE_ARGS, *props ? "," : "", props,
                                   dmar_edu_args(false)));
}

/* edu translated through a TT=01b context, queued invalidation on */
static void probe_setup(QDmar *d)
{
    dmar_tables_init(d, 3, CTX_TT(TT_DEVTLB));
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_enable(d, ROOT_TABLE);
    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_qi_sync(d);
}

/*
 * Each descriptor for edu reaches its device-IOTLB notifiers as exactly
 * its range, cut to 2^48; one for another device or above 2^48 reaches
 * nothing.
 */
static void test_notify(void)
{
    QDmar *d = probe_boot("device-iotlb=on");
    g_autofree char *errors = NULL;

    probe_setup(d);
    errors = probe_str(d, "errors");
    g_assert_cmpstr(errors, ==, "");
    g_free(probe_take(d));
    for (unsigned i = 0; i < ARRAY_SIZE(devtlb_cases); i++) {
        const DevtlbCase *c = &devtlb_cases[i];
        g_autofree char *want = NULL;
        g_autofree char *got = NULL;
        g_autofree char *ev = NULL;

        g_test_message("case %s", c->name);
        dmar_qi_push(d, c->lo, c->hi);
        dmar_qi_sync(d);
        ev = probe_take(d);
        got = sorted_events(ev);
        want = c->traced && ((c->lo >> 32) & 0xffff) == EDU_SID ?
               heard(c->first, c->last) : g_strdup("");
        g_assert_cmpstr(got, ==, want);
    }
    dmar_assert_no_fault(d);
    /* what the context grants still works */
    dmar_fill(d, PAGE_P1, 0x33);
    dmar_dma_in(d, IOVA_A);
    dmar_assert_no_fault(d);
    dmar_free(d);
}

/*
 * Without device-iotlb the notifier is refused (vhost then uses UNMAP
 * notifiers), saying what to set.
 */
static void test_notify_refused(void)
{
    QDmar *d = probe_boot("");
    g_autofree char *errors = NULL;

    probe_setup(d);
    errors = probe_str(d, "errors");
    g_test_message("errors: %s", errors);
    g_assert_nonnull(strstr(errors, "set device-iotlb=on"));
    dmar_free(d);
}

/*
 * What a consumer that caches our answers (vhost, through the probe's
 * "lookup") gets for two contiguous pages in one group: each page alone,
 * whichever path answers (the walk on a miss, the lock-free hit on the
 * block the walk filled), so that the answer at an IOVA never grows
 * without an invalidation. DPDK's vhost keeps its first answer at an
 * IOVA and drops a larger one there as the same, then misses on the page
 * beyond it again and again. DEVTLB: mode=deviotlb notifiers (vhost
 * with ATS), else UNMAP ones.
 */
#define RUN_IOVA        0x12344000ull   /* 8 KiB aligned */

static char *lookup(QDmar *d, uint64_t iova)
{
    g_autofree char *hex = g_strdup_printf("%" PRIx64, iova);
    QDict *rsp = qtest_qmp(d->qts, "{ 'execute': 'qom-set', 'arguments': "
                           "{ 'path': %s, 'property': 'lookup', "
                           "'value': %s } }", PROBE_PATH, hex);

    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    return probe_str(d, "lookup");
}

static void test_lookup_pages(const void *opaque)
{
    bool devtlb = GPOINTER_TO_INT(opaque);
    QDmar *d = dmar_attach(qtest_initf(
        "-M q35 -device vtd-dmar%s %s -device x-vtd-dmar-unmap-probe,"
        "id=probe,device=/machine/peripheral/edu,mode=%s",
        devtlb ? ",device-iotlb=on" : "", dmar_edu_args(false),
        devtlb ? "deviotlb" : "unmap"));
    g_autofree char *errors = NULL;

    dmar_tables_init(d, 3, CTX_TT(devtlb ? TT_DEVTLB : TT_XLATE));
    dmar_map(d, RUN_IOVA, PAGE_P1, 1, PTE_RW);
    dmar_map(d, RUN_IOVA + 0x1000, PAGE_P2, 1, PTE_RW);
    dmar_enable(d, ROOT_TABLE);
    errors = probe_str(d, "errors");
    g_assert_cmpstr(errors, ==, "");
    for (unsigned round = 0; round < 2; round++) {
        g_autofree char *a = lookup(d, RUN_IOVA);
        g_autofree char *b = lookup(d, RUN_IOVA + 0x1000 + 0x234);

        g_test_message("round %u: %s, %s", round, a, b);
        g_assert_cmpstr(a, ==, "12344000+fff>500000:rw");
        g_assert_cmpstr(b, ==, "12345000+fff>501000:rw");
    }
    dmar_assert_no_fault(d);
    dmar_free(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vtd-dmar/devtlb/ecap", test_ecap);
    qtest_add_data_func("/vtd-dmar/devtlb/tt01/on", GINT_TO_POINTER(1),
                        test_tt_devtlb);
    qtest_add_data_func("/vtd-dmar/devtlb/tt01/off", GINT_TO_POINTER(0),
                        test_tt_devtlb);
    qtest_add_data_func("/vtd-dmar/devtlb/stale-tm/on", GINT_TO_POINTER(1),
                        test_stale_tm);
    qtest_add_data_func("/vtd-dmar/devtlb/stale-tm/off", GINT_TO_POINTER(0),
                        test_stale_tm);
    qtest_add_func("/vtd-dmar/devtlb/queue", test_queue);
    qtest_add_data_func("/vtd-dmar/devtlb/lookup-pages/deviotlb",
                        GINT_TO_POINTER(1), test_lookup_pages);
    qtest_add_data_func("/vtd-dmar/devtlb/lookup-pages/unmap",
                        GINT_TO_POINTER(0), test_lookup_pages);
    qtest_add_func("/vtd-dmar/devtlb/iqe-no-dt", test_iqe_no_dt);
    qtest_add_func("/vtd-dmar/devtlb/iqe-rsvd", test_iqe_rsvd);
    qtest_add_func("/vtd-dmar/devtlb/notify", test_notify);
    qtest_add_func("/vtd-dmar/devtlb/notify-refused", test_notify_refused);
    return g_test_run();
}
