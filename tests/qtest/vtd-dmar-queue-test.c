/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: the invalidation queue's cost and bounds: work per
 * IQT write, continuation, invalidation with large caches; IQERCD codes
 * and the queue base's width.
 * Plumbing in libqos/vtd-dmar.h; vtd-dmar-qtest.h says how the tests work.
 *
 * A queue longer than one run's budget goes on in a bottom half. To see
 * where one run stops, the tests stop the VM first: MMIO still works
 * under qtest, and the IQT write runs one batch, but the bottom half
 * waits for the VM to run (so that nothing writes guest memory while the
 * VM is stopped, e.g. for migration).
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"

#define BIG_QS          7               /* 2^7 pages: 32768 descriptors */
#define BIG_ENTRIES     (256u << BIG_QS)
#define BIG_BASE        0x01000000ull   /* 512 KiB of queue */
#define BIG_STATUS      0x01100000ull   /* a status dword per descriptor */
#define STATUS_MAGIC    0x51000000u
#define POLL_TIMEOUT_US (60 * G_USEC_PER_SEC)

/* A queue of BIG_ENTRIES at BIG_BASE, enabled, its status area zeroed */
static void big_enable(QDmar *d)
{
    g_autofree uint8_t *zero = g_malloc0(BIG_ENTRIES * 4);

    qtest_bufwrite(d->qts, BIG_STATUS, zero, BIG_ENTRIES * 4);
    dmar_qi_enable(d, BIG_BASE, BIG_QS);
}

/*
 * Descriptors [FIRST, FIRST + N) of the big queue: a wait writing
 * STATUS_MAGIC | i to status dword i (its slot), or BAD at slot BAD_AT.
 * Only the descriptors are written: IQT is not.
 */
static void big_fill(QDmar *d, unsigned first, unsigned n, unsigned bad_at,
                     uint64_t bad)
{
    g_autofree uint64_t *q = g_new(uint64_t, 2 * n);

    for (unsigned k = 0; k < n; k++) {
        unsigned i = (first + k) % BIG_ENTRIES;

        q[2 * k] = cpu_to_le64(QI_WAIT | QI_WAIT_SW |
                               QI_SDATA(STATUS_MAGIC | i));
        q[2 * k + 1] = cpu_to_le64(BIG_STATUS + 4 * i);
        if (i == bad_at) {
            q[2 * k] = cpu_to_le64(bad);
            q[2 * k + 1] = 0;
        }
    }
    g_assert_cmpuint(first + n, <=, BIG_ENTRIES);
    qtest_bufwrite(d->qts, BIG_BASE + first * 16ull, q, n * 16);
    d->iq_tail = (first + n) % BIG_ENTRIES;
}

/* Which status dwords (0 .. BIG_ENTRIES) are written, as a bitmap */
static uint32_t *big_status(QDmar *d)
{
    uint32_t *st = g_new(uint32_t, BIG_ENTRIES);

    qtest_bufread(d->qts, BIG_STATUS, st, BIG_ENTRIES * 4);
    for (unsigned i = 0; i < BIG_ENTRIES; i++) {
        uint32_t v = le32_to_cpu(st[i]);

        g_assert(v == 0 || v == (STATUS_MAGIC | i));
        st[i] = v != 0;
    }
    return st;
}

/* Exactly the waits in [FROM, TO) have written their status */
static void assert_done_between(QDmar *d, unsigned from, unsigned to)
{
    g_autofree uint32_t *st = big_status(d);

    for (unsigned i = 0; i < BIG_ENTRIES; i++) {
        bool want = i >= from && i < to;

        if (st[i] != want) {
            g_test_message("status %u: %s, want %s (done: %u..%u)", i,
                           st[i] ? "written" : "not written",
                           want ? "written" : "not", from, to);
        }
        g_assert_cmpuint(st[i], ==, want);
    }
}

static unsigned iqh_index(QDmar *d)
{
    uint64_t h = dmar_rd64(d, REG_IQH);

    g_assert_cmphex(h & ~0x7fff0ull, ==, 0);
    return h / 16;
}

static void vm_stop(QDmar *d)
{
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'stop' }");
}

static void vm_cont(QDmar *d)
{
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'cont' }");
}

/*
 * Poll until IQH reaches WANT (or IQE stops the queue), checking on the
 * way that the waits complete in order: every wait before the IQH read
 * first has written, none at or past the IQH read last has. The waits
 * are in every slot from FIRST, or in the odd ones only (ODD).
 */
static unsigned poll_queue_in(QDmar *d, unsigned first, unsigned want,
                              bool odd)
{
    gint64 end = g_get_monotonic_time() + POLL_TIMEOUT_US;
    unsigned polls = 0;

    for (;;) {
        unsigned h1 = iqh_index(d), h2;
        g_autofree uint32_t *st = big_status(d);
        bool iqe;

        h2 = iqh_index(d);
        iqe = dmar_rd32(d, REG_FSTS) & FSTS_IQE;
        g_assert_cmpuint(h1, >=, first);
        g_assert_cmpuint(h2, >=, h1);
        for (unsigned i = first; i < h1; i++) {
            g_assert_cmpuint(st[i], ==, !odd || i % 2);
        }
        for (unsigned i = h2; i < want; i++) {
            g_assert_cmpuint(st[i], ==, 0);
        }
        polls++;
        if (h2 == want || iqe) {
            g_test_message("queue at %u after %u polls", h2, polls);
            return h2;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
}

static unsigned poll_queue(QDmar *d, unsigned first, unsigned want)
{
    return poll_queue_in(d, first, want, false);
}

/* The run of one IQT write stops early; the rest comes in bottom halves */
static void test_queue_continuation(void)
{
    QDmar *d = dmar_boot("");
    unsigned tail = BIG_ENTRIES - 1, h;
    uint64_t runs, deferred;

    big_enable(d);
    runs = dmar_queue_stat(d, "runs");
    deferred = dmar_queue_stat(d, "deferred-runs");
    big_fill(d, 0, tail, BIG_ENTRIES, 0);
    vm_stop(d);
    dmar_qi_kick(d);
    /* one run's worth, no more: the work per IQT write is bounded */
    h = iqh_index(d);
    g_test_message("one IQT write: %u of %u descriptors", h, tail);
    g_assert_cmpuint(h, >, 0);
    g_assert_cmpuint(h, <=, 1024);
    assert_done_between(d, 0, h);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);

    /* nothing goes on while the VM is stopped */
    for (unsigned i = 0; i < 20; i++) {
        g_usleep(1000);
        g_assert_cmpuint(iqh_index(d), ==, h);
    }
    assert_done_between(d, 0, h);

    /* once it runs, the queue completes, in order */
    vm_cont(d);
    g_assert_cmpuint(poll_queue(d, h, tail), ==, tail);
    assert_done_between(d, 0, tail);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_IQT), ==, dmar_iq_off(tail));
    /* every run after the first was the bottom half's */
    g_assert_cmpuint(dmar_queue_stat(d, "deferred-runs"), >=,
                     deferred + (tail - h + 1023) / 1024);
    g_assert_cmpuint(dmar_queue_stat(d, "runs") - runs, ==,
                     1 + dmar_queue_stat(d, "deferred-runs") - deferred);
    dmar_free(d);
}

/* A new IQT while the queue is pending: another run, then on to it */
static void test_queue_iqt_again(void)
{
    QDmar *d = dmar_boot("");
    unsigned h1, h2;

    big_enable(d);
    big_fill(d, 0, 10000, BIG_ENTRIES, 0);
    vm_stop(d);
    dmar_qi_kick(d);
    h1 = iqh_index(d);
    g_assert_cmpuint(h1, <, 10000);
    big_fill(d, 10000, 20000, BIG_ENTRIES, 0);
    dmar_qi_kick(d);
    h2 = iqh_index(d);
    g_assert_cmpuint(h2, >, h1);
    g_assert_cmpuint(h2, <, 30000);
    assert_done_between(d, 0, h2);
    vm_cont(d);
    g_assert_cmpuint(poll_queue(d, h2, 30000), ==, 30000);
    assert_done_between(d, 0, 30000);
    dmar_free(d);
}

/*
 * A bad descriptor beyond the first run: the continuation stops there,
 * with IQE, IQH on it and IQERCD saying why; nothing after it runs.
 */
static void test_queue_iqe_later(void)
{
    const unsigned bad = 5000, tail = 8000;
    QDmar *d = dmar_boot("");
    unsigned h;

    big_enable(d);
    big_fill(d, 0, tail, bad, QI_CC);           /* granularity 0 */
    vm_stop(d);
    dmar_qi_kick(d);
    h = iqh_index(d);
    g_assert_cmpuint(h, <, bad);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);
    vm_cont(d);
    g_assert_cmpuint(poll_queue(d, h, tail), ==, bad);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(dmar_rd64(d, REG_IQERCD), ==, IQEI_RSVD);
    assert_done_between(d, 0, bad);

    /* fixed and IQE cleared: the rest runs */
    dmar_qi_put(d, bad, QI_WAIT | QI_WAIT_SW | QI_SDATA(STATUS_MAGIC | bad),
                BIG_STATUS + 4 * bad);
    dmar_wr32(d, REG_FSTS, FSTS_IQE);
    g_assert_cmpuint(poll_queue(d, bad, tail), ==, tail);
    assert_done_between(d, 0, tail);
    dmar_free(d);
}

/* Pending work a QIE clear, or a reset, ends: nothing more of it runs */
static void test_queue_qie_off(void)
{
    QDmar *d = dmar_boot("");
    unsigned h;

    big_enable(d);
    big_fill(d, 0, 20000, BIG_ENTRIES, 0);
    vm_stop(d);
    dmar_qi_kick(d);
    h = iqh_index(d);
    dmar_wr32(d, REG_GCMD, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, 0);
    vm_cont(d);
    for (unsigned i = 0; i < 50; i++) {
        g_usleep(1000);
        g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, 0);
    }
    assert_done_between(d, 0, h);
    dmar_free(d);
}

static void test_queue_reset(void)
{
    QDmar *d = dmar_boot("");
    gint64 end = g_get_monotonic_time() + POLL_TIMEOUT_US;
    unsigned h;

    big_enable(d);
    big_fill(d, 0, 20000, BIG_ENTRIES, 0);
    vm_stop(d);
    dmar_qi_kick(d);
    h = iqh_index(d);
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'system_reset' }");
    while (dmar_rd32(d, REG_GSTS)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    vm_cont(d);
    for (unsigned i = 0; i < 50; i++) {
        g_usleep(1000);
        g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, 0);
        g_assert_cmphex(dmar_rd64(d, REG_IQA), ==, 0);
    }
    assert_done_between(d, 0, h);
    dmar_free(d);
}

/* Wait for a migration to end on one side; returns its final status */
static char *queue_migration_end(QTestState *qts)
{
    gint64 end = g_get_monotonic_time() + POLL_TIMEOUT_US;

    for (;;) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-migrate' }");
        QDict *ret = qdict_get_qdict(rsp, "return");
        const char *st = ret ? qdict_get_try_str(ret, "status") : NULL;
        char *done = NULL;

        g_assert_nonnull(ret);
        if (st && (!strcmp(st, "completed") || !strcmp(st, "failed"))) {
            done = g_strdup(st);
        }
        qobject_unref(rsp);
        if (done) {
            return done;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
    }
}

/*
 * A queue pending at migration goes on on the destination once that
 * runs: the stream has IQH and IQT, the destination restarts it.
 */
static void test_queue_migrate(void)
{
    const unsigned tail = 20000;
    QDmar *src = dmar_boot("");
    QDmar *dst = g_new0(QDmar, 1);
    g_autofree char *path = g_strdup_printf("%s/vtd-dmar-queue-%d.sock",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("unix:%s", path);
    g_autofree char *src_st = NULL;
    g_autofree char *dst_st = NULL;
    unsigned h;

    big_enable(src);
    big_fill(src, 0, tail, BIG_ENTRIES, 0);
    vm_stop(src);
    dmar_qi_kick(src);
    h = iqh_index(src);
    g_assert_cmpuint(h, <, tail);

    *dst = *src;
    dst->qts = dmar_qemu("", "-incoming defer", false);
    qtest_qmp_assert_success(dst->qts, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s } }", uri);
    qtest_qmp_assert_success(src->qts, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    src_st = queue_migration_end(src->qts);
    g_assert_cmpstr(src_st, ==, "completed");
    dst_st = queue_migration_end(dst->qts);
    unlink(path);
    g_assert_cmpstr(dst_st, ==, "completed");

    /* the source was stopped: so is the destination, the queue waits */
    g_assert_cmpuint(iqh_index(dst), ==, h);
    g_assert_cmphex(dmar_rd64(dst, REG_IQT), ==, dmar_iq_off(tail));
    assert_done_between(dst, 0, h);
    vm_cont(dst);
    g_assert_cmpuint(poll_queue(dst, h, tail), ==, tail);
    assert_done_between(dst, 0, tail);
    g_assert_cmphex(dmar_rd32(dst, REG_FSTS), ==, 0);

    dst->bus = NULL;
    dst->edu = NULL;
    qtest_quit(dst->qts);
    g_free(dst);
    dmar_free(src);
}

/*
 * The worst queue for the caches of old: device-selective context
 * invalidations (FM 3) with the largest IOTLB and context cache, every
 * other one a wait. It completes and the waits do so in order (its
 * cost is measured by scripts/bench-qi, not here).
 */
static void test_queue_large_caches(void)
{
    QDmar *d = dmar_boot("iotlb-entries=1048576,ctx-entries=1048576");
    const unsigned tail = BIG_ENTRIES - 1;
    g_autofree uint64_t *q = g_new(uint64_t, 2 * tail);

    big_enable(d);
    for (unsigned i = 0; i < tail; i++) {
        q[2 * i] = cpu_to_le64(i % 2 ? QI_WAIT | QI_WAIT_SW |
                               QI_SDATA(STATUS_MAGIC | i) :
                               QI_CC | QI_G(GRAN_DEVICE) |
                               QI_DID(i & 0xffff) | QI_CC_SID(i & 0xffff) |
                               QI_CC_FM(3));
        q[2 * i + 1] = cpu_to_le64(i % 2 ? BIG_STATUS + 4 * i : 0);
    }
    qtest_bufwrite(d->qts, BIG_BASE, q, tail * 16);
    d->iq_tail = tail;
    dmar_qi_kick(d);
    g_assert_cmpuint(poll_queue_in(d, 0, tail, true), ==, tail);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);
    dmar_free(d);
}

/* ---- IQERCD and IQA ---- */

/* The queue stopped at HEAD with IQE and IQEI; clear it for the next */
static void assert_iqe(QDmar *d, unsigned head, uint64_t iqei)
{
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, FSTS_IQE);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(head));
    g_assert_cmphex(dmar_rd64(d, REG_IQERCD), ==, iqei);
    dmar_wr32(d, REG_GCMD, 0);
    dmar_wr32(d, REG_FSTS, FSTS_IQE);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);
}

/* VT-d §11.4.9.9: each way the queue stops, its IQEI code */
static void test_queue_iqercd(void)
{
    QDmar *d = dmar_boot("");
    unsigned w;

    /* 1: a tail beyond the queue (256 entries) */
    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_qi_sync(d);
    dmar_wr64(d, REG_IQT, dmar_iq_off(300));
    assert_iqe(d, 1, IQEI_TAIL);

    /* 2: the queue is where no RAM is */
    dmar_qi_enable(d, NO_RAM, 0);
    dmar_wr64(d, REG_IQT, dmar_iq_off(2));
    assert_iqe(d, 0, IQEI_FETCH);

    /* 3: a type the unit does not have, after a wait that runs */
    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_qi_push_wait(d, IQ_STATUS, 0x31, 0);
    w = dmar_qi_push(d, QI_DEVTLB, 0);
    dmar_qi_kick(d);
    assert_iqe(d, w, IQEI_TYPE);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0x31);

    /* 4: a reserved bit of a type it has */
    dmar_qi_enable(d, IQ_BASE, 0);
    w = dmar_qi_push(d, QI_IOTLB | QI_G(GRAN_GLOBAL) | (1ull << 8), 0);
    dmar_qi_kick(d);
    assert_iqe(d, w, IQEI_RSVD);

    /* 0: a wait whose status write fails: the descriptor is valid */
    dmar_qi_enable(d, IQ_BASE, 0);
    w = dmar_qi_push_wait(d, NO_RAM, 0x32, 0);
    dmar_qi_kick(d);
    assert_iqe(d, w, IQEI_NONE);

    /* 5: 256-bit descriptors (IQA.DW) in a unit without scalable mode */
    qtest_writel(d->qts, IQ_STATUS, 0);
    dmar_wr64(d, REG_IQT, 0);
    dmar_wr64(d, REG_IQA, IQ_BASE | IQA_DW);
    g_assert_cmphex(dmar_rd64(d, REG_IQA), ==, IQ_BASE | IQA_DW);
    dmar_wr32(d, REG_GCMD, GCMD_QIE);
    d->iq_base = IQ_BASE;
    d->iq_tail = 0;
    dmar_qi_push_wait(d, IQ_STATUS, 0x35, 0);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);  /* nothing to fetch yet */
    dmar_qi_kick(d);
    assert_iqe(d, 0, IQEI_DW);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0);
    dmar_free(d);
}

/*
 * VT-d §11.4.9.3: bits 63:HAW of the queue base are not implemented:
 * they read 0 and the queue is fetched from below HAW.
 */
static void test_queue_iqa_haw(void)
{
    QDmar *d = dmar_boot("");
    uint64_t haw = dmar_haw_mask(d);

    dmar_wr64(d, REG_IQA, ~0ull);
    g_assert_cmphex(dmar_rd64(d, REG_IQA), ==, (haw & ~0xfffull) | IQA_DW | 7);
    qtest_writel(d->qts, IQ_STATUS, 0);
    dmar_wr64(d, REG_IQA, ~haw | IQ_BASE);
    g_assert_cmphex(dmar_rd64(d, REG_IQA), ==, IQ_BASE);
    dmar_wr64(d, REG_IQT, 0);
    dmar_wr32(d, REG_GCMD, GCMD_QIE);
    d->iq_base = IQ_BASE;
    d->iq_entries = 256;
    d->iq_tail = 0;
    dmar_qi_push_wait(d, IQ_STATUS, 0x4a, 0);
    dmar_qi_kick(d);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, 0);
    g_assert_cmphex(qtest_readl(d->qts, IQ_STATUS), ==, 0x4a);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(1));
    dmar_free(d);
}

/* query-vtd-dmar's drain counts */
typedef struct {
    uint64_t bql, quiet, spared, free, held, busy, held_ns;
} Drains;

static Drains drains(QDmar *d)
{
    return (Drains) { dmar_queue_stat(d, "drains-bql"),
                      dmar_queue_stat(d, "drains-quiet"),
                      dmar_queue_stat(d, "drains-spared"),
                      dmar_queue_stat(d, "drains-free"),
                      dmar_queue_stat(d, "drains-held"),
                      dmar_queue_stat(d, "drains-busy"),
                      dmar_queue_stat(d, "drains-held-ns") };
}

/* Since BEFORE, BQL drains, and none of the others (qtest's BQL) */
static void assert_drains(QDmar *d, Drains before, uint64_t bql)
{
    Drains now = drains(d);

    g_assert_cmpuint(now.bql - before.bql, ==, bql);
    g_assert_cmpuint(now.quiet, ==, before.quiet);
    g_assert_cmpuint(now.spared, ==, before.spared);
    g_assert_cmpuint(now.free, ==, before.free);
    g_assert_cmpuint(now.held, ==, before.held);
    g_assert_cmpuint(now.busy, ==, before.busy);
    g_assert_cmpuint(now.held_ns, ==, before.held_ns);
}

/*
 * A wait after an IOTLB invalidation drains (dma-drain=on), once for all
 * the invalidations before it; qtest writes IQT holding the BQL, so the
 * run does it by itself. Waits with no IOTLB invalidation before them,
 * and any wait with dma-drain=off, drain nothing.
 */
static void test_queue_drains(void)
{
    QDmar *d = dmar_boot("");
    Drains before;

    dmar_qi_enable(d, IQ_BASE, 0);
    before = drains(d);
    dmar_qi_sync(d);
    dmar_qi_cc(d, GRAN_GLOBAL, 0, 0, 0);
    dmar_qi_sync(d);
    assert_drains(d, before, 0);

    dmar_qi_iotlb(d, GRAN_DOMAIN, 1, 0, 0);
    dmar_qi_iotlb(d, GRAN_GLOBAL, 0, 0, 0);
    dmar_qi_sync(d);
    dmar_qi_sync(d);
    assert_drains(d, before, 1);

    /* register-based with QI on: refused (§6.5.2), nothing to drain */
    dmar_iotlb_inv(d, GRAN_GLOBAL, 0, 0);
    dmar_qi_sync(d);
    assert_drains(d, before, 1);
    dmar_free(d);

    d = dmar_boot("dma-drain=off");
    dmar_qi_enable(d, IQ_BASE, 0);
    before = drains(d);
    dmar_qi_iotlb(d, GRAN_GLOBAL, 0, 0, 0);
    dmar_qi_sync(d);
    assert_drains(d, before, 0);
    g_assert_cmpuint(before.bql + before.quiet + before.spared + before.free +
                     before.held + before.busy, ==, 0);
    dmar_free(d);
}

/* IOVA_A mapped to PAGE_P1 for edu, translation on */
static void map_and_enable(QDmar *d)
{
    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_RW);
    dmar_enable(d, ROOT_TABLE);
}

/*
 * bql-dma-holds: a hold of the BQL in which a device translated DMA is
 * what a drain without the BQL waits for. qtest's DMA runs holding it:
 * each edu DMA through the tables (translated, whether the IOTLB has the
 * page or not) is counted, and none while translation is off or with
 * dma-drain=off. (qtest's IQT writes hold the BQL: the drains of runs
 * without it are the guest suite's, check "drains".)
 */
static void test_queue_bql_dma_holds(void)
{
    QDmar *d = dmar_boot("");
    uint64_t n0, n1;

    n0 = dmar_queue_stat(d, "bql-dma-holds");
    dmar_dma_in(d, PAGE_P1);
    g_assert_cmpuint(dmar_queue_stat(d, "bql-dma-holds"), ==, n0);

    map_and_enable(d);
    dmar_dma_in(d, IOVA_A);
    n1 = dmar_queue_stat(d, "bql-dma-holds");
    g_assert_cmpuint(n1, >, n0);
    dmar_dma_in(d, IOVA_A);
    g_assert_cmpuint(dmar_queue_stat(d, "bql-dma-holds"), >, n1);
    dmar_free(d);

    /* with dma-drain=off, nothing waits for them: not counted */
    d = dmar_boot("dma-drain=off");
    map_and_enable(d);
    dmar_dma_in(d, IOVA_A);
    g_assert_cmpuint(dmar_queue_stat(d, "bql-dma-holds"), ==, 0);
    dmar_free(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vtd-dmar/queue/continuation", test_queue_continuation);
    qtest_add_func("/vtd-dmar/queue/iqt-again", test_queue_iqt_again);
    qtest_add_func("/vtd-dmar/queue/iqe-later", test_queue_iqe_later);
    qtest_add_func("/vtd-dmar/queue/qie-off", test_queue_qie_off);
    qtest_add_func("/vtd-dmar/queue/reset", test_queue_reset);
    qtest_add_func("/vtd-dmar/queue/migrate", test_queue_migrate);
    qtest_add_func("/vtd-dmar/queue/large-caches", test_queue_large_caches);
    qtest_add_func("/vtd-dmar/queue/iqercd", test_queue_iqercd);
    qtest_add_func("/vtd-dmar/queue/iqa-haw", test_queue_iqa_haw);
    qtest_add_func("/vtd-dmar/queue/drains", test_queue_drains);
    qtest_add_func("/vtd-dmar/queue/bql-dma-holds",
                   test_queue_bql_dma_holds);
    return g_test_run();
}
