/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: the monitor's view of the unit. query-vtd-dmar
 * against the registers and the state the test programmed, the
 * VTD_DMAR_FAULT event of every fault reason against the fault record
 * the unit wrote (and its rate limit), x-vtd-dmar-translate's walk and
 * result for each translation mode and fault, that it changes nothing,
 * and the HMP twins "info vtd-dmar" and "vtd-dmar-translate".
 * Plumbing in libqos/vtd-dmar.h; vtd-dmar-qtest.h says how the tests
 * work.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"
#include "qobject/qbool.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "qobject/qstring.h"

#define UNIT_ID         "dmar0"
#define UNIT_PATH       "/machine/peripheral/" UNIT_ID
#define EDU_PATH        "/machine/peripheral/edu"
#define EDU_BDF         "00:04.0"

#define SEC             (1000 * 1000 * 1000ll)

/* ================= QMP plumbing ================= */

/* VTD_DMAR_FAULT events (their data) received since events_take() */
static GPtrArray *fault_events;

static void dict_unref(gpointer p)
{
    qobject_unref((QDict *)p);
}

static bool fault_event_cb(QTestState *s, const char *name, QDict *event,
                           void *opaque)
{
    if (strcmp(name, "VTD_DMAR_FAULT")) {
        return false;
    }
    g_ptr_array_add(fault_events,
                    qobject_ref(qdict_get_qdict(event, "data")));
    return true;
}

/* q35 with EXTRA, vtd-dmar (id UNIT_ID) with PROPS, and edu at 00:04.0 */
static QDmar *boot(const char *props, const char *extra)
{
    g_autofree char *p = g_strdup_printf("id=" UNIT_ID "%s%s",
                                         *props ? "," : "", props);
    QDmar *d = dmar_boot_full(p, extra, false);

    fault_events = g_ptr_array_new_with_free_func(dict_unref);
    qtest_qmp_set_event_callback(d->qts, fault_event_cb, NULL);
    return d;
}

static void finish(QDmar *d)
{
    dmar_free(d);
    g_ptr_array_unref(fault_events);
    fault_events = NULL;
}

/*
 * The events sent since the last call: the unit sends them from a
 * bottom half, which has run by the time a QMP command is answered.
 */
static GPtrArray *events_take(QDmar *d)
{
    GPtrArray *ev;

    qobject_unref(qtest_qmp(d->qts, "{'execute': 'query-status'}"));
    ev = fault_events;
    fault_events = g_ptr_array_new_with_free_func(dict_unref);
    return ev;
}

static void show(const char *what, QObject *o)
{
    g_autoptr(GString) s = qobject_to_json(o);

    g_test_message("%s: %s", what, s->str);
}

static QObject *member(QDict *d, const char *key)
{
    QObject *o = qdict_get(d, key);

    if (!o) {
        g_test_message("no member '%s'", key);
        show("in", QOBJECT(d));
    }
    g_assert_nonnull(o);
    return o;
}

static uint64_t num(QDict *d, const char *key)
{
    QNum *n = qobject_to(QNum, member(d, key));
    uint64_t v;

    g_assert_nonnull(n);
    g_assert_true(qnum_get_try_uint(n, &v));
    return v;
}

static bool flag(QDict *d, const char *key)
{
    QBool *b = qobject_to(QBool, member(d, key));

    g_assert_nonnull(b);
    return qbool_get_bool(b);
}

static const char *str(QDict *d, const char *key)
{
    QString *s = qobject_to(QString, member(d, key));

    g_assert_nonnull(s);
    return qstring_get_str(s);
}

static QList *list(QDict *d, const char *key)
{
    QList *l = qobject_to(QList, member(d, key));

    g_assert_nonnull(l);
    return l;
}

static QDict *entry(QList *l, unsigned i)
{
    const QListEntry *e = qlist_first(l);

    while (i-- && e) {
        e = qlist_next(e);
    }
    g_assert_nonnull(e);
    g_assert_nonnull(qobject_to(QDict, qlist_entry_obj(e)));
    return qobject_to(QDict, qlist_entry_obj(e));
}

/* D has every member of REQ, and nothing beyond REQ and OPT */
static void assert_members(QDict *d, const char *const *req,
                           const char *const *opt)
{
    for (unsigned i = 0; req[i]; i++) {
        member(d, req[i]);
    }
    for (const QDictEntry *e = qdict_first(d); e; e = qdict_next(d, e)) {
        const char *k = qdict_entry_key(e);

        if (!g_strv_contains(req, k) && !(opt && g_strv_contains(opt, k))) {
            g_test_message("unexpected member '%s'", k);
            show("in", QOBJECT(d));
            g_assert_not_reached();
        }
    }
}

/* The value of a command that must succeed (a new reference) */
static QObject *qmp_ok(QDict *resp)
{
    QObject *ret;

    if (qdict_haskey(resp, "error")) {
        show("error", QOBJECT(resp));
    }
    g_assert_false(qdict_haskey(resp, "error"));
    ret = qobject_ref(qdict_get(resp, "return"));
    g_assert_nonnull(ret);
    qobject_unref(resp);
    return ret;
}

static void qmp_error(QDict *resp)
{
    if (!qdict_haskey(resp, "error")) {
        show("accepted", QOBJECT(resp));
    }
    g_assert_true(qdict_haskey(qdict_get_qdict(resp, "error"), "desc"));
    qobject_unref(resp);
}

static char *bdf_of(uint16_t sid)
{
    return g_strdup_printf("%02x:%02x.%x", sid >> 8, (sid >> 3) & 0x1f,
                           sid & 7);
}

/* One 4-byte DMA: a single bus transaction, so one request to the unit */
static void dma4(QDmar *d, uint64_t iova, bool write)
{
    if (write) {
        dmar_edu_dma(d, EDU_BUF, iova, 4, true);
    } else {
        dmar_edu_dma(d, iova, EDU_BUF, 4, false);
    }
}

/* ================= query-vtd-dmar ================= */

/* CAP and ECAP fields in register order (VT-d §11.4.2, §11.4.3) */
typedef struct RegField {
    const char *name;
    unsigned shift, len;
} RegField;

static const RegField cap_fields[] = {
    { "nd", 0, 3 }, { "afl", 3, 1 }, { "rwbf", 4, 1 }, { "plmr", 5, 1 },
    { "phmr", 6, 1 }, { "cm", 7, 1 }, { "sagaw", 8, 5 }, { "mgaw", 16, 6 },
    { "zlr", 22, 1 }, { "fro", 24, 10 }, { "sllps", 34, 4 },
    { "psi", 39, 1 }, { "nfr", 40, 8 }, { "mamv", 48, 6 }, { "dwd", 54, 1 },
    { "drd", 55, 1 }, { "fl1gp", 56, 1 }, { "pi", 59, 1 },
    { "fl5lp", 60, 1 }, { "esirtps", 62, 1 }, { "esrtps", 63, 1 },
    { NULL },
};

static const RegField ecap_fields[] = {
    { "c", 0, 1 }, { "qi", 1, 1 }, { "dt", 2, 1 }, { "ir", 3, 1 },
    { "eim", 4, 1 }, { "pt", 6, 1 }, { "sc", 7, 1 }, { "iro", 8, 10 },
    { "mhmv", 20, 4 }, { "nest", 26, 1 }, { "prs", 29, 1 }, { "ers", 30, 1 },
    { "srs", 31, 1 }, { "nwfs", 33, 1 }, { "eafs", 34, 1 }, { "pss", 35, 5 },
    { "pasid", 40, 1 }, { "dit", 41, 1 }, { "pds", 42, 1 },
    { "smts", 43, 1 }, { "vcs", 44, 1 }, { "slads", 45, 1 },
    { "slts", 46, 1 }, { "flts", 47, 1 }, { "smpwcs", 48, 1 },
    { "rps", 49, 1 },
    { NULL },
};

static uint64_t field(uint64_t reg, const RegField *f)
{
    return (reg >> f->shift) & ((1ull << f->len) - 1);
}

static void assert_fields(QList *l, uint64_t reg, const RegField *want)
{
    static const char *const req[] = { "name", "value", NULL };
    unsigned i = 0;

    for (const QListEntry *e = qlist_first(l); e; e = qlist_next(e), i++) {
        QDict *f = qobject_to(QDict, qlist_entry_obj(e));

        g_assert_nonnull(want[i].name);
        assert_members(f, req, NULL);
        g_assert_cmpstr(str(f, "name"), ==, want[i].name);
        g_assert_cmphex(num(f, "value"), ==, field(reg, &want[i]));
    }
    g_assert_null(want[i].name);
}

/* A fault record as query-vtd-dmar reports FRCD[I] = LO:HI */
static void assert_record(QDict *r, unsigned i, uint64_t lo, uint64_t hi)
{
    static const char *const req[] = {
        "index", "source-id", "bdf", "reason", "reason-name", "address",
        "access", "interrupt", NULL,
    };
    static const char *const opt[] = { "pasid", NULL };
    uint8_t fr = (hi >> 32) & 0xff;
    bool intr = fr >= FR_IR_REQ_RSVD;
    g_autofree char *bdf = bdf_of(hi & 0xffff);

    assert_members(r, req, opt);
    g_assert_cmpuint(num(r, "index"), ==, i);
    g_assert_cmphex(num(r, "source-id"), ==, hi & 0xffff);
    g_assert_cmpstr(str(r, "bdf"), ==, bdf);
    g_assert_cmphex(num(r, "reason"), ==, fr);
    g_assert_cmpstr(str(r, "reason-name"), ==, fr_name(fr));
    g_assert_cmphex(num(r, "address"), ==, lo & ~0xfffull);
    /* interrupt requests are writes; T (bit 126) is for DMA faults */
    g_assert_cmpstr(str(r, "access"), ==,
                    !intr && (hi & FRCD_T1) ? "read" : "write");
    g_assert_cmpint(flag(r, "interrupt"), ==, intr);
    /* legacy mode: no request has a PASID (PP, bit 95, is clear) */
    g_assert_cmphex(hi & (1ull << 31), ==, 0);
    g_assert_false(qdict_haskey(r, "pasid"));
}

static void assert_records(QDmar *d, QDict *q)
{
    uint64_t cap = num(q, "cap");
    unsigned nfr = ((cap >> 40) & 0xff) + 1;
    unsigned fro = ((cap >> 24) & 0x3ff) * 16;
    QList *l = list(q, "fault-records");
    unsigned n = 0;

    for (unsigned i = 0; i < nfr; i++) {
        uint64_t lo = dmar_rd64(d, fro + i * 16);
        uint64_t hi = dmar_rd64(d, fro + i * 16 + 8);

        if (hi & FRCD_F) {
            assert_record(entry(l, n++), i, lo, hi);
        }
    }
    g_assert_cmpuint(qlist_size(l), ==, n);
}

static void assert_queue(QDmar *d, QDict *q)
{
    static const char *const req[] = {
        "enabled", "address", "entries", "descriptor-width", "head", "tail",
        "error", "error-info", "runs", "deferred-runs", "drains-bql",
        "drains-quiet", "drains-spared", "drains-free", "drains-held",
        "drains-busy", "drains-held-ns",
        "bql-dma-holds", NULL,
    };
    QDict *iq = qdict_get_qdict(q, "queue");
    uint64_t iqa = dmar_rd64(d, REG_IQA);
    bool dw = iqa & IQA_DW;
    unsigned shift = dw ? 5 : 4;

    g_assert_nonnull(iq);
    assert_members(iq, req, NULL);
    g_assert_cmpint(flag(iq, "enabled"), ==,
                    !!(dmar_rd32(d, REG_GSTS) & GSTS_QIES));
    g_assert_cmphex(num(iq, "address"), ==, iqa & ~0xfffull);
    /* VT-d §11.4.9.3: 2^QS 4 KiB pages of 16- or 32-byte descriptors */
    g_assert_cmpuint(num(iq, "entries"), ==, (256u >> dw) << (iqa & 7));
    g_assert_cmpuint(num(iq, "descriptor-width"), ==, dw ? 256 : 128);
    g_assert_cmpuint(num(iq, "head"), ==,
                     (dmar_rd64(d, REG_IQH) & 0x7fff0) >> shift);
    g_assert_cmpuint(num(iq, "tail"), ==,
                     (dmar_rd64(d, REG_IQT) & 0x7fff0) >> shift);
    g_assert_cmpint(flag(iq, "error"), ==,
                    !!(dmar_rd32(d, REG_FSTS) & FSTS_IQE));
    g_assert_cmphex(num(iq, "error-info"), ==, dmar_rd64(d, REG_IQERCD));
}

static const char *const cache_names[] = {
    "iotlb", "context", "interrupt-entry", NULL,
};

static void assert_caches(QDict *q)
{
    static const char *const req[] = {
        "name", "entries", "lookups", "hits", "misses", "evictions", NULL,
    };
    static const char *const iotlb[] = { "lock-free-hits", NULL };
    QList *l = list(q, "caches");

    g_assert_cmpuint(qlist_size(l), ==, 3);
    for (unsigned i = 0; cache_names[i]; i++) {
        QDict *c = entry(l, i);

        assert_members(c, req, i == 0 ? iotlb : NULL);
        /* the IOTLB alone has a hit path without the lock */
        g_assert_cmpint(qdict_haskey(c, "lock-free-hits"), ==, i == 0);
        if (i == 0) {
            g_assert_cmpuint(num(c, "lock-free-hits"), <=, num(c, "hits"));
        }
        g_assert_cmpstr(str(c, "name"), ==, cache_names[i]);
        g_assert_cmpuint(num(c, "entries"), >, 0);
        g_assert_cmpuint(num(c, "lookups"), ==,
                         num(c, "hits") + num(c, "misses"));
    }
}

/* The protected memory regions: there exactly when CAP.PLMR/PHMR say */
static void assert_pmr(QDmar *d, QDict *q, uint64_t cap)
{
    static const char *const req[] = {
        "enabled", "in-force", "low-base", "low-limit", "high-base",
        "high-limit", NULL,
    };
    uint32_t pmen = dmar_rd32(d, REG_PMEN);
    QDict *p;

    if (!(cap & (CAP_PLMR | CAP_PHMR))) {
        g_assert_false(qdict_haskey(q, "pmr"));
        return;
    }
    p = qdict_get_qdict(q, "pmr");
    g_assert_nonnull(p);
    assert_members(p, req, NULL);
    g_assert_cmpint(flag(p, "enabled"), ==, !!(pmen & PMEN_EPM));
    g_assert_cmpint(flag(p, "in-force"), ==, !!(pmen & PMEN_PRS));
    g_assert_cmphex(num(p, "low-base"), ==, dmar_rd32(d, REG_PLMBASE));
    g_assert_cmphex(num(p, "low-limit"), ==, dmar_rd32(d, REG_PLMLIMIT));
    g_assert_cmphex(num(p, "high-base"), ==, dmar_rd64(d, REG_PHMBASE));
    g_assert_cmphex(num(p, "high-limit"), ==, dmar_rd64(d, REG_PHMLIMIT));
}

/*
 * query-vtd-dmar's one unit, checked against what the registers say
 * (everything but the latched pointers and the counters, which the
 * tests check against what they did)
 */
static QDict *query(QDmar *d)
{
    static const char *const req[] = {
        "qom-path", "base", "version", "cap", "cap-fields", "ecap",
        "ecap-fields", "gsts", "translation", "queued-invalidation",
        "interrupt-remapping", "x2apic-mode", "compat-format",
        "scalable-mode", "first-stage", "second-stage", "caching-mode",
        "device-iotlb", "root-table", "abort-dma-mode", "irta", "queue",
        "fsts", "fault-records", "fault-events-sent",
        "fault-events-suppressed", "caches", NULL,
    };
    static const char *const opt[] = { "id", "pmr", NULL };
    g_autoptr(QList) units =
        qobject_to(QList, qmp_ok(qtest_qmp(d->qts,
                                           "{'execute': 'query-vtd-dmar'}")));
    QDict *q = entry(units, 0);
    uint64_t cap = dmar_rd64(d, REG_CAP), ecap = dmar_rd64(d, REG_ECAP);
    uint32_t gsts = dmar_rd32(d, REG_GSTS);

    g_assert_cmpuint(qlist_size(units), ==, 1);
    assert_members(q, req, opt);
    g_assert_cmpstr(str(q, "qom-path"), ==, UNIT_PATH);
    g_assert_cmpstr(str(q, "id"), ==, UNIT_ID);
    g_assert_cmphex(num(q, "base"), ==, DMAR_BASE);
    g_assert_cmphex(num(q, "version"), ==, dmar_rd32(d, REG_VER));
    g_assert_cmphex(num(q, "cap"), ==, cap);
    g_assert_cmphex(num(q, "ecap"), ==, ecap);
    assert_fields(list(q, "cap-fields"), cap, cap_fields);
    assert_fields(list(q, "ecap-fields"), ecap, ecap_fields);
    g_assert_cmphex(num(q, "gsts"), ==, gsts);
    g_assert_cmpint(flag(q, "translation"), ==, !!(gsts & GSTS_TES));
    g_assert_cmpint(flag(q, "queued-invalidation"), ==,
                    !!(gsts & GSTS_QIES));
    g_assert_cmpint(flag(q, "interrupt-remapping"), ==,
                    !!(gsts & GSTS_IRES));
    g_assert_cmpint(flag(q, "x2apic-mode"), ==,
                    (gsts & GSTS_IRES) && (num(q, "irta") & IRTA_EIME));
    g_assert_cmpint(flag(q, "compat-format"), ==, !!(gsts & GSTS_CFIS));
    g_assert_false(flag(q, "scalable-mode"));
    g_assert_cmpint(flag(q, "first-stage"), ==, !!(ecap & (1ull << 47)));
    /* legacy mode: second-stage tables, unless SAGAW offers none */
    g_assert_cmpint(flag(q, "second-stage"), ==, !!((cap >> 8) & 0x1f));
    g_assert_cmpint(flag(q, "caching-mode"), ==, !!(cap & (1ull << 7)));
    g_assert_cmpint(flag(q, "device-iotlb"), ==, !!(ecap & (1ull << 2)));
    g_assert_cmphex(num(q, "fsts"), ==, dmar_rd32(d, REG_FSTS));
    g_assert_cmpint(flag(q, "abort-dma-mode"), ==,
                    (num(q, "root-table") >> 10 & 3) == 3);
    assert_pmr(d, q, cap);
    assert_queue(d, q);
    assert_records(d, q);
    assert_caches(q);
    return qobject_ref(q);
}

static QDict *cache(QDict *q, const char *name)
{
    QList *l = list(q, "caches");

    for (unsigned i = 0; cache_names[i]; i++) {
        if (!strcmp(cache_names[i], name)) {
            return entry(l, i);
        }
    }
    g_assert_not_reached();
}

/* Statistics of cache NAME: Q1 minus Q0 */
typedef struct CacheDelta {
    uint64_t lookups, hits, misses, evictions;
} CacheDelta;

static CacheDelta cache_delta(QDict *q0, QDict *q1, const char *name)
{
    QDict *a = cache(q0, name), *b = cache(q1, name);

    return (CacheDelta) {
        .lookups = num(b, "lookups") - num(a, "lookups"),
        .hits = num(b, "hits") - num(a, "hits"),
        .misses = num(b, "misses") - num(a, "misses"),
        .evictions = num(b, "evictions") - num(a, "evictions"),
    };
}

static void assert_delta(QDict *q0, QDict *q1, const char *name,
                         uint64_t hits, uint64_t misses, uint64_t evictions)
{
    CacheDelta c = cache_delta(q0, q1, name);

    g_test_message("%s: +%" PRIu64 " hits, +%" PRIu64 " misses, +%" PRIu64
                   " evictions", name, c.hits, c.misses, c.evictions);
    g_assert_cmpuint(c.hits, ==, hits);
    g_assert_cmpuint(c.misses, ==, misses);
    g_assert_cmpuint(c.evictions, ==, evictions);
    g_assert_cmpuint(c.lookups, ==, hits + misses);
}

/* ---- configurations: fields against registers ---- */

typedef struct ConfigCase {
    const char *name, *props, *extra;
    uint32_t iotlb, ctx;        /* the caches' capacities */
} ConfigCase;

static const ConfigCase config_cases[] = {
    { "default", "", "", 4096, 256 },
    { "aw39-nfr3", "aw-bits=39,nfr=3", "", 4096, 256 },
    { "aw57-cm", "aw-bits=57,caching-mode=on,dma-drain=off", "", 4096, 256 },
    { "eim", "eim=on", X2APIC_CPU, 4096, 256 },
    { "no-ir-no-pt", "intremap=off,pt=off", "", 4096, 256 },
    { "no-dma-translation", "dma-translation=off", "", 4096, 256 },
    { "caches", "iotlb-entries=64,ctx-entries=16", "", 64, 16 },
};

static void test_query_config(const void *opaque)
{
    const ConfigCase *c = opaque;
    QDmar *d = boot(c->props, c->extra);
    g_autoptr(QDict) q = query(d);

    /* nothing is enabled, latched or counted yet */
    g_assert_cmphex(num(q, "gsts"), ==, 0);
    g_assert_cmphex(num(q, "root-table"), ==, 0);
    g_assert_cmphex(num(q, "irta"), ==, 0);
    g_assert_cmpuint(qlist_size(list(q, "fault-records")), ==, 0);
    g_assert_cmpuint(num(q, "fault-events-sent"), ==, 0);
    g_assert_cmpuint(num(q, "fault-events-suppressed"), ==, 0);
    g_assert_cmpuint(num(cache(q, "iotlb"), "entries"), ==, c->iotlb);
    g_assert_cmpuint(num(cache(q, "context"), "entries"), ==, c->ctx);
    for (unsigned i = 0; cache_names[i]; i++) {
        g_assert_cmpuint(num(cache(q, cache_names[i]), "lookups"), ==, 0);
        g_assert_cmpuint(num(cache(q, cache_names[i]), "evictions"), ==, 0);
    }
    finish(d);
}

/* Without an id the unit is still found; without a unit, nothing is */
static void test_query_anon(void)
{
    QTestState *qts = dmar_qemu("", "", false);
    g_autoptr(QList) l =
        qobject_to(QList, qmp_ok(qtest_qmp(qts,
                                           "{'execute': 'query-vtd-dmar'}")));
    QDict *q = entry(l, 0);
    g_autoptr(QString) type = NULL;

    g_assert_cmpuint(qlist_size(l), ==, 1);
    g_assert_false(qdict_haskey(q, "id"));
    type = qobject_to(QString,
                      qmp_ok(qtest_qmp(qts, "{'execute': 'qom-get', "
                                       "'arguments': {'path': %s, "
                                       "'property': 'type'}}",
                                       str(q, "qom-path"))));
    g_assert_nonnull(type);
    g_assert_cmpstr(qstring_get_str(type), ==, "vtd-dmar");
    qtest_quit(qts);

    qts = qtest_init("-M q35");
    qobject_unref(l);
    l = qobject_to(QList, qmp_ok(qtest_qmp(qts,
                                           "{'execute': 'query-vtd-dmar'}")));
    g_assert_cmpuint(qlist_size(l), ==, 0);
    qmp_error(qtest_qmp(qts, "{'execute': 'x-vtd-dmar-translate', "
                        "'arguments': {'source-id': 32, 'address': 0}}"));
    qtest_quit(qts);
}

/* ---- what the test programs: GSTS, latched pointers, the queue ---- */

static void test_query_state(void)
{
    QDmar *d = boot("eim=on", X2APIC_CPU);
    g_autoptr(QDict) q = NULL;
    QDict *iq;
    unsigned bad;

    /* the root table as SRTP latched it, not as RTADDR holds it now */
    dmar_tables_init(d, 3, 0);
    dmar_enable(d, ROOT_TABLE);
    dmar_wr64(d, REG_RTADDR, PT_POOL);
    /* a queue of 512 descriptors, three of them run */
    dmar_qi_enable(d, IQ_BASE, 1);
    for (unsigned i = 0; i < 3; i++) {
        dmar_qi_sync(d);
    }
    /* remapping in x2APIC mode; then IRTA written, not latched */
    dmar_ir_enable(d, IRT_BASE | IRTA_EIME | 7, false);
    dmar_wr64(d, REG_IRTA, IRT_BASE2 | 3);
    q = query(d);
    g_assert_true(flag(q, "translation"));
    g_assert_true(flag(q, "queued-invalidation"));
    g_assert_true(flag(q, "interrupt-remapping"));
    g_assert_true(flag(q, "x2apic-mode"));
    g_assert_false(flag(q, "compat-format"));
    g_assert_cmphex(num(q, "root-table"), ==, ROOT_TABLE);
    g_assert_cmphex(num(q, "irta"), ==, IRT_BASE | IRTA_EIME | 7);
    iq = qdict_get_qdict(q, "queue");
    g_assert_cmphex(num(iq, "address"), ==, IQ_BASE);
    g_assert_cmpuint(num(iq, "entries"), ==, 512);
    g_assert_cmpuint(num(iq, "head"), ==, 3);
    g_assert_cmpuint(num(iq, "tail"), ==, 3);
    g_assert_false(flag(iq, "error"));

    /* xAPIC mode, compatibility format allowed */
    dmar_ir_set_table(d, IRT_BASE | 3);
    dmar_gcmd_update(d, GCMD_CFI, 0);
    qobject_unref(q);
    q = query(d);
    g_assert_false(flag(q, "x2apic-mode"));
    g_assert_true(flag(q, "compat-format"));
    g_assert_cmphex(num(q, "irta"), ==, IRT_BASE | 3);

    /* EIME latched, remapping off: no x2APIC mode */
    dmar_ir_set_table(d, IRT_BASE | IRTA_EIME | 3);
    dmar_gcmd_update(d, 0, GCMD_IRE | GCMD_CFI);
    qobject_unref(q);
    q = query(d);
    g_assert_false(flag(q, "interrupt-remapping"));
    g_assert_false(flag(q, "x2apic-mode"));
    g_assert_cmphex(num(q, "irta"), ==, IRT_BASE | IRTA_EIME | 3);

    /* an invalid descriptor stops the queue: head stays on it */
    dmar_qi_sync(d);
    bad = dmar_qi_push(d, 0, 0);
    dmar_qi_kick(d);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS), ==, FSTS_IQE);
    qobject_unref(q);
    q = query(d);
    iq = qdict_get_qdict(q, "queue");
    g_assert_true(flag(iq, "error"));
    g_assert_cmphex(num(iq, "error-info"), ==, IQEI_TYPE);
    g_assert_cmpuint(num(iq, "head"), ==, bad);
    g_assert_cmpuint(num(iq, "tail"), ==, bad + 1);

    /* translation and the queue off; 256-bit descriptors (IQA.DW) */
    dmar_gcmd_update(d, 0, GCMD_TE | GCMD_QIE);
    dmar_wr32(d, REG_FSTS, FSTS_IQE);
    dmar_wr64(d, REG_IQA, IQ_BASE | IQA_DW | 2);
    qobject_unref(q);
    q = query(d);
    g_assert_false(flag(q, "translation"));
    g_assert_false(flag(q, "queued-invalidation"));
    g_assert_cmphex(num(q, "root-table"), ==, ROOT_TABLE);
    iq = qdict_get_qdict(q, "queue");
    g_assert_cmpuint(num(iq, "descriptor-width"), ==, 256);
    g_assert_cmpuint(num(iq, "entries"), ==, 512);
    finish(d);
}

/* ---- fault records, decoded ---- */

static void test_query_records(void)
{
    QDmar *d = boot("", "");
    g_autoptr(QDict) q = NULL;
    QList *l;

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_B, PAGE_P2, 1, PTE_R);
    dmar_irte_put(d, IRT_BASE, 5, dmar_irte_lo(0x50) & ~IRTE_P, 0);
    dmar_enable(d, ROOT_TABLE);
    dmar_ir_enable(d, IRT_BASE | 3, false);
    dma4(d, IOVA_A + 0x88, false);                  /* 0x6: not mapped */
    dma4(d, IOVA_B + 0x10, true);                   /* 0x5: read-only */
    dmar_edu_msi(d, dmar_msi_remappable(5, false), 0);  /* 0x22 */
    q = query(d);
    l = list(q, "fault-records");
    g_assert_cmpuint(qlist_size(l), ==, 3);
    g_assert_cmphex(num(entry(l, 0), "address"), ==, IOVA_A);
    g_assert_cmpstr(str(entry(l, 0), "access"), ==, "read");
    g_assert_cmpstr(str(entry(l, 0), "reason-name"), ==,
                    "read-not-permitted");
    g_assert_cmphex(num(entry(l, 1), "address"), ==, IOVA_B);
    g_assert_cmpstr(str(entry(l, 1), "access"), ==, "write");
    g_assert_cmpuint(num(entry(l, 1), "reason"), ==, FR_WRITE);
    g_assert_cmphex(num(entry(l, 2), "address"), ==, 5ull << 48);
    g_assert_true(flag(entry(l, 2), "interrupt"));
    g_assert_cmpuint(num(entry(l, 2), "reason"), ==, FR_IR_NP);
    g_assert_cmpstr(str(entry(l, 2), "bdf"), ==, EDU_BDF);

    /* a cleared record is gone; the others keep their index */
    dmar_frcd_clear(d, 1);
    qobject_unref(q);
    q = query(d);
    l = list(q, "fault-records");
    g_assert_cmpuint(qlist_size(l), ==, 2);
    g_assert_cmpuint(num(entry(l, 0), "index"), ==, 0);
    g_assert_cmpuint(num(entry(l, 1), "index"), ==, 2);
    g_assert_cmpuint(num(q, "fault-events-sent"), ==, 3);
    finish(d);
}

/* ---- cache statistics ---- */

/* The same page twice: an IOTLB miss (and a context miss), then a hit */
static void test_query_cache_hit(void)
{
    QDmar *d = boot("", "");
    g_autoptr(QDict) q0 = NULL, q1 = NULL, q2 = NULL;

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_RW);
    dmar_irte_put(d, IRT_BASE, 5, dmar_irte_lo(0x50), 0);
    dmar_enable(d, ROOT_TABLE);
    dmar_ir_enable(d, IRT_BASE | 3, false);
    q0 = query(d);
    dmar_dma_in(d, IOVA_A);
    q1 = query(d);
    assert_delta(q0, q1, "iotlb", 0, 1, 0);
    assert_delta(q0, q1, "context", 0, 1, 0);
    g_assert_cmpuint(num(cache(q1, "iotlb"), "lock-free-hits"), ==,
                     num(cache(q0, "iotlb"), "lock-free-hits"));
    dmar_dma_in(d, IOVA_A + 0x800);
    q2 = query(d);
    assert_delta(q1, q2, "iotlb", 1, 0, 0);
    assert_delta(q1, q2, "context", 0, 0, 0);
    /* the hit was found without the unit's lock */
    g_assert_cmpuint(num(cache(q2, "iotlb"), "lock-free-hits"), ==,
                     num(cache(q1, "iotlb"), "lock-free-hits") + 1);
    assert_delta(q0, q2, "interrupt-entry", 0, 0, 0);

    /* an interrupt through IRTE 5 twice: a miss, then a hit */
    dmar_edu_msi(d, dmar_msi_remappable(5, false), 0);
    dmar_edu_msi(d, dmar_msi_remappable(5, false), 0);
    dmar_assert_delivered(d, 0x50, false);
    qobject_unref(q1);
    q1 = query(d);
    assert_delta(q2, q1, "interrupt-entry", 1, 1, 0);
    assert_delta(q2, q1, "iotlb", 0, 0, 0);
    finish(d);
}

/* IOVAs in different 2 MiB regions: no two share a level-1 table */
#define SPREAD_IOVA(n)  (0x10000000ull + (n) * 0x200000ull)

/* iotlb-entries=4 is one set of four: the fifth page evicts the first */
static void test_query_cache_evict(void)
{
    QDmar *d = boot("iotlb-entries=4", "");
    g_autoptr(QDict) q0 = NULL, q1 = NULL, q2 = NULL;

    dmar_tables_init(d, 3, 0);
    for (unsigned n = 0; n < 5; n++) {
        dmar_map(d, SPREAD_IOVA(n), PAGE_P1, 1, PTE_R);
    }
    dmar_enable(d, ROOT_TABLE);
    q0 = query(d);
    g_assert_cmpuint(num(cache(q0, "iotlb"), "entries"), ==, 4);
    for (unsigned n = 0; n < 5; n++) {
        dmar_dma_in(d, SPREAD_IOVA(n));
    }
    q1 = query(d);
    assert_delta(q0, q1, "iotlb", 0, 5, 1);
    /* the least recently used one went: page 0 misses again */
    dmar_dma_in(d, SPREAD_IOVA(0));
    dmar_dma_in(d, SPREAD_IOVA(4));
    q2 = query(d);
    assert_delta(q1, q2, "iotlb", 1, 1, 1);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    finish(d);
}

/* More IRTEs in use than the interrupt entry cache holds */
static void test_query_cache_iec_evict(void)
{
    QDmar *d = boot("", "");
    g_autoptr(QDict) q0 = NULL, q1 = NULL;
    CacheDelta c;
    unsigned n;

    q0 = query(d);
    n = num(cache(q0, "interrupt-entry"), "entries");
    g_assert_cmpuint(n, <, 0x8000);
    for (unsigned i = 0; i <= n; i++) {
        dmar_irte_put(d, IRT_BASE, i, dmar_irte_lo(0x40 + i % 0x80), 0);
    }
    dmar_ir_enable(d, IRT_BASE | 14, false);
    for (unsigned i = 0; i <= n; i++) {
        dmar_edu_msi(d, dmar_msi_remappable(i, false), 0);
    }
    q1 = query(d);
    c = cache_delta(q0, q1, "interrupt-entry");
    g_assert_cmpuint(c.hits, ==, 0);
    g_assert_cmpuint(c.misses, ==, n + 1);
    g_assert_cmpuint(c.lookups, ==, n + 1);
    g_assert_cmpuint(c.evictions, >=, 1);
    dmar_assert_no_fault(d);
    finish(d);
}

/* ================= VTD_DMAR_FAULT ================= */

/* An event, as the test expects it */
typedef struct EvWant {
    uint16_t sid;
    const char *device;     /* the requester's QOM path, or NULL */
    uint64_t addr;
    bool write, intr;
    uint8_t fr;
    int level;              /* 0: no member "level"; -1: not checked */
    bool fpd, recorded;
    uint64_t suppressed;
} EvWant;

static void assert_event(QDict *ev, const EvWant *w)
{
    static const char *const req[] = {
        "qom-path", "source-id", "bdf", "address", "access", "interrupt",
        "reason", "reason-name", "fpd", "recorded", "suppressed", NULL,
    };
    static const char *const opt[] = { "device", "pasid", "level", NULL };
    g_autofree char *bdf = bdf_of(w->sid);

    show("event", QOBJECT(ev));
    assert_members(ev, req, opt);
    g_assert_cmpstr(str(ev, "qom-path"), ==, UNIT_PATH);
    g_assert_cmphex(num(ev, "source-id"), ==, w->sid);
    g_assert_cmpstr(str(ev, "bdf"), ==, bdf);
    if (w->device) {
        g_assert_cmpstr(str(ev, "device"), ==, w->device);
    } else {
        g_assert_false(qdict_haskey(ev, "device"));
    }
    g_assert_false(qdict_haskey(ev, "pasid"));
    g_assert_cmphex(num(ev, "address"), ==, w->addr);
    g_assert_cmpstr(str(ev, "access"), ==, w->write ? "write" : "read");
    g_assert_cmpint(flag(ev, "interrupt"), ==, w->intr);
    g_assert_cmphex(num(ev, "reason"), ==, w->fr);
    g_assert_cmpstr(str(ev, "reason-name"), ==, fr_name(w->fr));
    if (w->level > 0) {
        g_assert_cmpuint(num(ev, "level"), ==, w->level);
    } else if (!w->level) {
        g_assert_false(qdict_haskey(ev, "level"));
    }
    g_assert_cmpint(flag(ev, "fpd"), ==, w->fpd);
    g_assert_cmpint(flag(ev, "recorded"), ==, w->recorded);
    g_assert_cmpuint(num(ev, "suppressed"), ==, w->suppressed);
}

/* Exactly one event since the last take, as W says */
static void assert_one_event(QDmar *d, const EvWant *w)
{
    g_autoptr(GPtrArray) ev = events_take(d);

    g_assert_cmpuint(ev->len, ==, 1);
    assert_event(g_ptr_array_index(ev, 0), w);
}

static void assert_no_events(QDmar *d)
{
    g_autoptr(GPtrArray) ev = events_take(d);

    g_assert_cmpuint(ev->len, ==, 0);
}

/*
 * The event a fault recorded in FRCD[I] was reported with (the address:
 * the record's; a DMA event has the request's, in the same page)
 */
static EvWant frcd_event(QDmar *d, unsigned i)
{
    uint64_t lo = dmar_rd64(d, REG_FRCD(i));
    uint64_t hi = dmar_rd64(d, REG_FRCD(i) + 8);
    uint8_t fr = (hi >> 32) & 0xff;
    bool intr = fr >= FR_IR_REQ_RSVD;

    g_assert_cmphex(hi & FRCD_F, ==, FRCD_F);
    return (EvWant) {
        .sid = hi & 0xffff,
        .device = (hi & 0xffff) == EDU_SID ? EDU_PATH : NULL,
        .addr = lo, .write = intr || !(hi & FRCD_T1), .intr = intr,
        .fr = fr, .level = intr ? 0 : -1, .recorded = true,
    };
}

/* ---- DMA faults: the event, the command and the record agree ---- */

typedef struct DmaFaultCase {
    const char *name;
    const char *props;
    uint8_t fr;
    bool write;
    void (*setup)(QDmar *d, ScnFaultEnv *e);
    unsigned steps;     /* table entries read on the way to the fault */
    int level;          /* fault-level: 0 none, -1 not checked */
    int did;            /* domain-id reported: 1 yes, 0 no, -1 not checked */
} DmaFaultCase;

/* The good tables map IOVA_F into the interrupt address range (§3.15) */
static void fc_intr_range(QDmar *d, ScnFaultEnv *e)
{
    dmar_map(d, IOVA_F, MSI_BASE, 1, PTE_RW);
}

/*
 * A pass-through context (AW: the largest AGAW) and a request above the
 * host address width: reason 4h with X = HAW (§7.1.3), which the unit
 * finds before translating (dmar_unit_beyond())
 */
static void fc_pt_beyond_haw(QDmar *d, ScnFaultEnv *e)
{
    dmar_set_ctx(d, (dmar_ctx_lo(d) & ~CTX_TT(3)) | CTX_TT(TT_PASSTHROUGH),
                 (dmar_ctx_hi(d) & ~7ull) | CTX_AW(4));
    e->iova |= 1ull << 50;
}

/* The scenarios' table breakers (vtd-dmar-scenarios.h), on 3-level tables */
static const DmaFaultCase dma_fault_cases[] = {
    { "root-not-present", "", FR_ROOT_NP, true, scn_fc_root_absent,
      1, 0, 0 },
    { "ctx-not-present", "", FR_CTX_NP, false, scn_fc_ctx_absent, 2, 0, 0 },
    { "ctx-tt-reserved", "", FR_CTX_INV, true, scn_fc_ctx_tt_reserved,
      2, 0, 0 },
    { "ctx-tt-devtlb", "", FR_CTX_INV, false, scn_fc_ctx_tt_devtlb,
      2, 0, 0 },
    { "ctx-tt-pt-off", "pt=off", FR_CTX_INV, true, scn_fc_ctx_tt_passthrough,
      2, 0, 0 },
    { "ctx-aw-5level", "", FR_CTX_INV, false, scn_fc_ctx_aw5, 2, 0, 0 },
    { "ctx-aw-4level-aw39", "aw-bits=39", FR_CTX_INV, true, scn_fc_ctx_aw4,
      2, 0, 0 },
    { "ctx-aw-reserved", "", FR_CTX_INV, true, scn_fc_ctx_aw_reserved,
      2, 0, 0 },
    { "slptptr-read-error", "", FR_CTX_INV, false, scn_fc_slptptr_no_ram,
      2, -1, -1 },
    { "addr-beyond-aw", "", FR_BEYOND_AW, true, scn_fc_beyond_aw, 2, 0, 1 },
    { "addr-beyond-aw-read", "", FR_BEYOND_AW, false, scn_fc_beyond_aw,
      2, 0, 1 },
    { "pass-through-beyond-haw", "", FR_BEYOND_AW, false, fc_pt_beyond_haw,
      2, 0, 1 },
    { "write-read-only", "", FR_WRITE, true, scn_fc_read_only, 5, 1, 1 },
    { "write-not-present", "", FR_WRITE, true, scn_fc_l3_absent, 3, 3, 1 },
    { "write-nonleaf-read-only", "", FR_WRITE, true,
      scn_fc_nonleaf_read_only, 3, 3, 1 },
    { "read-write-only", "", FR_READ, false, scn_fc_write_only, 5, 1, 1 },
    { "read-not-present", "", FR_READ, false, scn_fc_leaf_absent, 5, 1, 1 },
    { "read-not-present-rsvd", "", FR_READ, false, scn_fc_leaf_absent_rsvd,
      5, 1, 1 },
    { "read-nonleaf-write-only", "", FR_READ, false,
      scn_fc_nonleaf_write_only, 4, 2, 1 },
    { "pte-read-error", "", FR_PTE_ACCESS, false, scn_fc_pte_no_ram,
      3, 2, 1 },
    { "pte-read-error-write", "", FR_PTE_ACCESS, true, scn_fc_pte_no_ram,
      3, 2, 1 },
    { "root-read-error", "", FR_ROOT_ACCESS, true, scn_fc_rta_no_ram,
      0, 0, 0 },
    { "root-table-at-mmio", "", FR_ROOT_ACCESS, false, scn_fc_rta_mmio,
      0, 0, 0 },
    { "ctx-read-error", "", FR_CTX_ACCESS, false, scn_fc_ctp_no_ram,
      1, 0, 0 },
    { "ctx-table-at-mmio", "", FR_CTX_ACCESS, true, scn_fc_ctp_mmio,
      1, 0, 0 },
    { "root-rsvd-lo", "", FR_ROOT_RSVD, true, scn_fc_root_rsvd_lo, 1, 0, 0 },
    { "root-rsvd-hi", "", FR_ROOT_RSVD, false, scn_fc_root_rsvd_hi,
      1, 0, 0 },
    { "root-rsvd-haw", "", FR_ROOT_RSVD, false, scn_fc_root_rsvd_haw,
      1, 0, 0 },
    { "ctx-rsvd-lo", "", FR_CTX_RSVD, false, scn_fc_ctx_rsvd_lo, 2, 0, 0 },
    { "ctx-rsvd-hi-bit7", "", FR_CTX_RSVD, true, scn_fc_ctx_rsvd_hi7,
      2, 0, 0 },
    { "ctx-rsvd-hi", "", FR_CTX_RSVD, false, scn_fc_ctx_rsvd_hi, 2, 0, 0 },
    { "pte-rsvd-snp", "", FR_PTE_RSVD, true, scn_fc_pte_snp, 5, 1, 1 },
    { "pte-rsvd-addr", "", FR_PTE_RSVD, false, scn_fc_pte_addr_haw,
      5, 1, 1 },
    { "pte-rsvd-table-addr", "", FR_PTE_RSVD, true, scn_fc_table_addr_haw,
      4, 2, 1 },
    { "pte-rsvd-ps-level4", "", FR_PTE_RSVD, true, scn_fc_pte_ps_l4,
      3, 4, 1 },
    { "pte-rsvd-2m-unaligned", "", FR_PTE_RSVD, false,
      scn_fc_pte_2m_unaligned, 4, 2, 1 },
    { "intr-addr-range", "", FR_INTR_ADDR, true, fc_intr_range, 5, -1, 1 },
};

/*
 * STEPS are the first N entries of the walk for SID's request at IOVA
 * from the root table at RTA: each where the one before points, each
 * with the value guest memory holds.
 */
static void assert_walk(QDmar *d, QList *steps, uint64_t rta, uint16_t sid,
                        uint64_t iova, unsigned n)
{
    static const char *const req[] = { "table", "address", "value", NULL };
    static const char *const opt[] = { "level", "value-high", NULL };
    uint64_t addr = rta + (sid >> 8) * 16;
    unsigned i = 0, level = 0;

    show("steps", QOBJECT(steps));
    g_assert_cmpuint(qlist_size(steps), ==, n);
    for (const QListEntry *e = qlist_first(steps); e; e = qlist_next(e), i++) {
        QDict *s = qobject_to(QDict, qlist_entry_obj(e));
        uint64_t v = qtest_readq(d->qts, addr);

        assert_members(s, req, opt);
        g_assert_cmphex(num(s, "address"), ==, addr);
        g_assert_cmphex(num(s, "value"), ==, v);
        if (i < 2) {
            g_assert_cmpstr(str(s, "table"), ==, i ? "context" : "root");
            g_assert_false(qdict_haskey(s, "level"));
            g_assert_cmphex(num(s, "value-high"), ==,
                            qtest_readq(d->qts, addr + 8));
        } else {
            g_assert_cmpstr(str(s, "table"), ==, "second-stage");
            g_assert_cmpuint(num(s, "level"), ==, level);
            g_assert_false(qdict_haskey(s, "value-high"));
        }
        if (!qlist_next(e)) {
            break;              /* the last step: nothing points further */
        }
        if (i == 0) {
            addr = (v & ~0xfffull) + (sid & 0xff) * 16;
        } else {
            if (i == 1) {
                /* context AW: 3 + AW levels */
                level = (qtest_readq(d->qts, addr + 8) & 7) + 3;
            }
            level--;
            addr = (v & PTE_ADDR) + PT_INDEX(iova, level) * 8;
        }
    }
}

/* x-vtd-dmar-translate's arguments */
static QDict *xl_args(const char *device, uint64_t addr, bool write)
{
    QDict *a = qdict_new();

    if (device) {
        qdict_put_str(a, "device", device);
    }
    qdict_put_int(a, "address", addr);
    if (write) {
        qdict_put_bool(a, "write", true);
    }
    return a;
}

static QDict *xl_resp(QDmar *d, QDict *args)
{
    return qtest_qmp(d->qts, "{'execute': 'x-vtd-dmar-translate', "
                     "'arguments': %p}", args);
}

/* The command's answer for ARGS (consumed), which must be a success */
static QDict *xl_call(QDmar *d, QDict *args)
{
    static const char *const req[] = { "mode", "steps", "read", "write",
                                       NULL };
    static const char *const opt[] = {
        "domain-id", "translated-address", "page-size", "reason",
        "reason-name", "fault-level", "fpd", NULL,
    };
    QDict *t = qobject_to(QDict, qmp_ok(xl_resp(d, args)));

    g_assert_nonnull(t);
    assert_members(t, req, opt);
    return t;
}

/* edu's request at ADDR */
static QDict *xl(QDmar *d, uint64_t addr, bool write)
{
    return xl_call(d, xl_args("edu", addr, write));
}

/* T reports fault FR (FPD as given) and no translation */
static void assert_xl_fault(QDict *t, uint8_t fr, bool fpd)
{
    show("translate", QOBJECT(t));
    g_assert_cmpstr(str(t, "mode"), ==, "fault");
    g_assert_cmphex(num(t, "reason"), ==, fr);
    g_assert_cmpstr(str(t, "reason-name"), ==, fr_name(fr));
    g_assert_cmpint(flag(t, "fpd"), ==, fpd);
    g_assert_false(qdict_haskey(t, "translated-address"));
    g_assert_false(qdict_haskey(t, "page-size"));
}

/* fault-level (or domain-id) as WANT says: 0 absent, -1 not checked */
static void assert_opt(QDict *t, const char *key, int want, uint64_t v)
{
    if (want > 0) {
        g_assert_cmpuint(num(t, key), ==, v);
    } else if (!want) {
        g_assert_false(qdict_haskey(t, key));
    }
}

/*
 * Break the good tables as the case says; the command tells the fault
 * and the walk; the same request as a real DMA is recorded with that
 * reason and reported by an event that matches the record; again while
 * the record is pending, it is collapsed into it, and so is its event.
 */
static void test_dma_fault(const void *opaque)
{
    const DmaFaultCase *c = opaque;
    ScnFaultEnv e = { .rta = ROOT_TABLE, .iova = IOVA_F };
    QDmar *d = boot(c->props, "");
    g_autoptr(QDict) t = NULL;
    g_autoptr(QDict) q = NULL;
    EvWant w;

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_F, PAGE_T, 1, PTE_RW);
    c->setup(d, &e);
    dmar_enable(d, e.rta);

    t = xl(d, e.iova, c->write);
    assert_xl_fault(t, c->fr, false);
    assert_walk(d, list(t, "steps"), e.rta, EDU_SID, e.iova, c->steps);
    assert_opt(t, "fault-level", c->level, c->level);
    assert_opt(t, "domain-id", c->did, DOMAIN);

    dma4(d, e.iova, c->write);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    w = frcd_event(d, 0);
    g_assert_cmphex(w.fr, ==, num(t, "reason"));
    g_assert_cmpint(w.write, ==, c->write);
    g_assert_cmphex(w.addr, ==, e.iova & ~0xfffull);
    w.addr = e.iova;
    w.level = qdict_haskey(t, "fault-level") ? num(t, "fault-level") : 0;
    assert_one_event(d, &w);

    /* the same fault while FRCD[0] holds it: no record, no event */
    dma4(d, e.iova, c->write);
    assert_no_events(d);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    q = query(d);
    g_assert_cmpuint(qlist_size(list(q, "fault-records")), ==, 1);
    g_assert_cmpuint(num(q, "fault-events-sent"), ==, 1);
    g_assert_cmpuint(num(q, "fault-events-suppressed"), ==, 0);
    finish(d);
}

/* FPD: a qualified fault is reported with fpd set and not recorded */
static void test_event_fpd(void)
{
    QDmar *d = boot("", "");
    EvWant w = {
        .sid = EDU_SID, .device = EDU_PATH, .addr = IOVA_A + 0x40,
        .fr = FR_READ, .level = 3, .fpd = true,
    };
    g_autoptr(QDict) t = NULL;

    dmar_tables_init(d, 3, CTX_FPD);
    dmar_enable(d, ROOT_TABLE);
    t = xl(d, w.addr, false);
    assert_xl_fault(t, FR_READ, true);
    dma4(d, w.addr, false);
    assert_one_event(d, &w);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(0) + 8), ==, 0);

    /* a root entry not present is no qualified fault: FPD plays no part */
    dmar_set_root(d, CTX_TABLE, 0);
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    qobject_unref(t);
    t = xl(d, IOVA_B, true);
    assert_xl_fault(t, FR_ROOT_NP, false);
    dma4(d, IOVA_B, true);
    w = frcd_event(d, 0);
    w.addr = IOVA_B;
    w.level = 0;
    assert_one_event(d, &w);
    finish(d);
}

#define OV_IOVA(n)      (0x10000000ull + (n) * 0x1000ull)

/* Fault records full, or PFO set: reported, not recorded */
static void test_event_overflow(void)
{
    QDmar *d = boot("nfr=1", "");
    EvWant w = {
        .sid = EDU_SID, .device = EDU_PATH, .fr = FR_READ, .level = 3,
        .recorded = true,
    };

    dmar_tables_init(d, 3, 0);
    dmar_enable(d, ROOT_TABLE);
    w.addr = OV_IOVA(0);
    dma4(d, w.addr, false);
    assert_one_event(d, &w);
    /* no record free: PFO */
    w.addr = OV_IOVA(1);
    w.recorded = false;
    dma4(d, w.addr, false);
    assert_one_event(d, &w);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PFO | FSTS_PPF | FSTS_FRI(0));
    /* a record free, PFO still set */
    dmar_frcd_clear(d, 0);
    w.addr = OV_IOVA(2);
    dma4(d, w.addr, false);
    assert_one_event(d, &w);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(0) + 8) & FRCD_F, ==, 0);
    /* PFO cleared: recorded again */
    dmar_wr32(d, REG_FSTS, FSTS_PFO);
    w.addr = OV_IOVA(3);
    w.recorded = true;
    dma4(d, w.addr, false);
    assert_one_event(d, &w);
    dmar_assert_frcd(d, 0, OV_IOVA(3), FR_READ, false);
    finish(d);
}

/* ---- interrupt remapping faults ---- */

/*
 * The IR fault cases of vtd-dmar-ir-test.c's /vtd-dmar/ir/fault/: the
 * event matches the record; with FPD set in the IRTE a qualified fault
 * is reported with fpd and not recorded.
 */
static void test_ir_fault_event(const void *opaque)
{
    const ScnIrFaultCase *c = opaque;
    QDmar *d = boot("", "");
    ScnIrEnv e = scn_ir_env();
    unsigned rec;
    EvWant w;

    c->setup(d, &e);
    dmar_irte_put(d, IRT_BASE, e.index, e.lo, e.hi);
    dmar_ir_enable(d, e.irta, false);
    dmar_edu_msi(d, e.addr, e.data);
    rec = frcd_pending(d);
    w = frcd_event(d, rec);
    g_assert_cmphex(w.fr, ==, c->fr);
    if (e.fi >= 0) {
        g_assert_cmphex(w.addr, ==, (uint64_t)e.fi << 48);
    }
    assert_one_event(d, &w);
    dmar_frcd_clear(d, rec);

    dmar_irte_put(d, IRT_BASE, e.index, e.lo | IRTE_FPD, e.hi);
    dmar_ir_set_table(d, e.irta);
    dmar_edu_msi(d, e.addr, e.data);
    if (scn_ir_fpd_qualified(c->fr)) {
        w.fpd = true;
        w.recorded = false;
        assert_one_event(d, &w);
        dmar_assert_no_fault(d);
    } else {
        assert_one_event(d, &w);
        dmar_assert_ir_fault(d, c->fr, e.fi, EDU_SID);
    }
    dmar_assert_not_delivered(d, IR_VEC);
    finish(d);
}

/*
 * The IR reasons the shared cases do not cause: 0x25 (compatibility
 * format blocked), from edu and from the IOAPIC (which is no PCI
 * device), and 0x20 (data bits 31:16 set in a remappable request).
 */
static void test_ir_fault_event_other(void)
{
    QDmar *d = boot("", "");
    EvWant w;

    dmar_irte_put(d, IRT_BASE, 1, dmar_irte_lo(0xc1), 0);
    dmar_ir_enable(d, IRT_BASE | 3, false);
    dmar_edu_msi(d, dmar_msi_compat(0), 0x73);
    w = frcd_event(d, 0);
    g_assert_cmphex(w.fr, ==, FR_IR_COMPAT);
    assert_one_event(d, &w);
    dmar_frcd_clear(d, 0);

    dmar_ioapic_rte(d, IOAPIC_PIN, 0x94);
    dmar_ioapic_pulse(d, IOAPIC_PIN);
    w = frcd_event(d, 1);
    g_assert_cmphex(w.fr, ==, FR_IR_COMPAT);
    g_assert_cmphex(w.sid, ==, IOAPIC_SID);
    g_assert_null(w.device);
    assert_one_event(d, &w);
    dmar_frcd_clear(d, 1);

    /* a DMA write of 0xabcd00c3 to handle 1's address */
    qtest_writel(d->qts, SCRATCH, 0xabcd00c3);
    dmar_edu_dma(d, SCRATCH, EDU_BUF, 4, false);
    dma4(d, dmar_msi_remappable(1, false), true);
    w = frcd_event(d, 2);
    g_assert_cmphex(w.fr, ==, FR_IR_REQ_RSVD);
    g_assert_cmphex(w.addr, ==, 1ull << 48);
    assert_one_event(d, &w);
    dmar_assert_not_delivered(d, 0xc1);
    finish(d);
}

/* ---- the rate limit ---- */

#define RATE            32      /* events per unit and second */

/*
 * Interrupt requests through the not-present IRTEs FIRST..FIRST + N - 1
 * (fault 0x22 each): distinct faults, each worth an event
 */
static void ir_faults(QDmar *d, unsigned first, unsigned n)
{
    for (unsigned i = first; i < first + n; i++) {
        dmar_edu_msi(d, dmar_msi_remappable(i, false), 0);
    }
}

static void assert_event_totals(QDmar *d, uint64_t sent, uint64_t dropped)
{
    g_autoptr(QDict) q = query(d);

    g_assert_cmpuint(num(q, "fault-events-sent"), ==, sent);
    g_assert_cmpuint(num(q, "fault-events-suppressed"), ==, dropped);
}

/*
 * RECV events of ir_faults() from index FIRST on, the first with
 * SUPPRESSED, the others 0. The first eight faults (indices 0..7) found
 * a fault record free; the rest found the log full (PFO).
 */
static void assert_events(QDmar *d, unsigned recv, uint64_t suppressed,
                          unsigned first)
{
    g_autoptr(GPtrArray) ev = events_take(d);
    EvWant w = {
        .sid = EDU_SID, .device = EDU_PATH, .write = true, .intr = true,
        .fr = FR_IR_NP,
    };

    g_assert_cmpuint(ev->len, ==, recv);
    for (unsigned i = 0; i < ev->len; i++) {
        w.addr = (uint64_t)(first + i) << 48;
        w.recorded = first + i < 8;
        w.suppressed = i ? 0 : suppressed;
        assert_event(g_ptr_array_index(ev, i), &w);
    }
}

static void test_event_rate_limit(void)
{
    QDmar *d = boot("", "");

    /* a table of 256 IRTEs, none present */
    dmar_ir_enable(d, IRT_BASE | 7, false);

    /* 40 faults in one window: 32 events, 8 dropped */
    ir_faults(d, 0, 40);
    assert_events(d, RATE, 0, 0);
    assert_event_totals(d, RATE, 8);
    /* without time passing the window stays full */
    ir_faults(d, 40, 3);
    assert_events(d, 0, 0, 0);
    assert_event_totals(d, RATE, 11);

    /* a second later: the next event counts the ones dropped */
    qtest_clock_step(d->qts, SEC);
    ir_faults(d, 43, 1);
    assert_events(d, 1, 11, 43);
    assert_event_totals(d, RATE + 1, 11);
    /* that window has room for 31 more */
    ir_faults(d, 44, 40);
    assert_events(d, RATE - 1, 0, 44);
    assert_event_totals(d, 2 * RATE, 20);
    qtest_clock_step(d->qts, SEC);
    ir_faults(d, 84, 2);
    assert_events(d, 2, 9, 84);
    assert_event_totals(d, 2 * RATE + 2, 20);
    /* the first eight were recorded; the log was full for the rest */
    g_assert_cmphex(dmar_fsts(d) & FSTS_PFO, ==, FSTS_PFO);
    finish(d);
}

/*
 * One blocked DMA is many faults (QEMU retries it 4 bytes at a time):
 * one record, one event. An unrecorded fault (FPD, or the log full) has
 * an event unless it repeats the previous event's fault within a second.
 */
static void test_event_one_per_dma(void)
{
    QDmar *d = boot("nfr=1", "");
    EvWant w = {
        .sid = EDU_SID, .device = EDU_PATH, .addr = IOVA_A, .fr = FR_READ,
        .level = 3, .recorded = true,
    };

    dmar_tables_init(d, 3, 0);
    dmar_enable(d, ROOT_TABLE);
    dmar_edu_dma(d, IOVA_A, EDU_BUF, 4096, false);
    assert_one_event(d, &w);
    dmar_edu_dma(d, IOVA_A, EDU_BUF, 4096, false);
    assert_no_events(d);
    dmar_assert_frcd(d, 0, IOVA_A, FR_READ, false);

    /* the log full: the next fault is lost, reported once */
    w.addr = IOVA_B;
    w.recorded = false;
    dmar_edu_dma(d, IOVA_B, EDU_BUF, 4096, false);
    assert_one_event(d, &w);
    g_assert_cmphex(dmar_fsts(d) & FSTS_PFO, ==, FSTS_PFO);
    dmar_edu_dma(d, IOVA_B, EDU_BUF, 4096, false);
    assert_no_events(d);
    /* ... and again a second later */
    qtest_clock_step(d->qts, SEC);
    dmar_edu_dma(d, IOVA_B, EDU_BUF, 4096, false);
    assert_one_event(d, &w);
    /* another fault in between makes the next one new again */
    w.addr = IOVA_C;
    dmar_edu_dma(d, IOVA_C, EDU_BUF, 4096, false);
    assert_one_event(d, &w);
    w.addr = IOVA_B;
    dmar_edu_dma(d, IOVA_B, EDU_BUF, 4096, false);
    assert_one_event(d, &w);

    /* FPD: once per DMA too */
    dmar_set_ctx(d, dmar_ctx_lo(d) | CTX_FPD, dmar_ctx_hi(d));
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    w.fpd = true;
    dmar_edu_dma(d, IOVA_B, EDU_BUF, 4096, false);
    assert_one_event(d, &w);
    dmar_edu_dma(d, IOVA_B, EDU_BUF, 4096, false);
    assert_no_events(d);
    finish(d);
}

/* ================= x-vtd-dmar-translate ================= */

typedef struct XlModeCase {
    const char *name, *props;
    unsigned levels, leaf;      /* table depth; leaf level (page size) */
    uint64_t iova;              /* aligned down to the page */
    uint64_t pa;                /* the page */
    uint64_t off;               /* where in the page */
    uint64_t perm;
} XlModeCase;

#define IOVA_39         0x7612345000ull
#define IOVA_48         0xfedc98765000ull
#define IOVA_57         0x1a2b3c4d5e6f000ull

static const XlModeCase xl_mode_cases[] = {
    { "aw39/l3-4k", "aw-bits=39", 3, 1, IOVA_39, PAGE_P1, 0x5a8, PTE_RW },
    { "aw39/l3-2m", "aw-bits=39", 3, 2, IOVA_39, BIG_2M_A, 0x1a340, PTE_R },
    { "aw39/l3-1g", "aw-bits=39", 3, 3, IOVA_39, 0, IDENT_IN + 0x88, PTE_W },
    { "aw48/l3-4k", "", 3, 1, IOVA_39, PAGE_P1, 0x5a8, PTE_R },
    { "aw48/l4-4k", "", 4, 1, IOVA_48, PAGE_P1, 0x5a8, PTE_RW },
    { "aw48/l4-2m", "", 4, 2, IOVA_48, BIG_2M_B, 0x1f0040, PTE_W },
    { "aw48/l4-1g", "", 4, 3, IOVA_48, 0, IDENT_IN + 0x88, PTE_RW },
    { "aw57/l5-4k", "aw-bits=57", 5, 1, IOVA_57, PAGE_P1, 0x5a8, PTE_W },
    { "aw57/l5-2m", "aw-bits=57", 5, 2, IOVA_57, BIG_2M_A, 0x1a340, PTE_RW },
    { "aw57/l5-1g", "aw-bits=57", 5, 3, IOVA_57, 0, IDENT_IN + 0x88, PTE_R },
};

/*
 * The walk and the result for each table depth and page size; a request
 * the page does not allow faults at the leaf; and a real DMA goes where
 * the command said.
 */
static void test_xl_mode(const void *opaque)
{
    const XlModeCase *c = opaque;
    QDmar *d = boot(c->props, "");
    uint64_t size = 1ull << (12 + 9 * (c->leaf - 1));
    uint64_t iova = (c->iova & ~(size - 1)) + c->off;
    uint64_t pa = c->pa + c->off;
    unsigned n = 2 + c->levels - c->leaf + 1;
    g_autoptr(QDict) t = NULL;

    /* edu's buffer holds pattern 0x2c, loaded untranslated */
    dmar_fill(d, SCRATCH, 0x2c);
    dmar_dma_in(d, SCRATCH);
    dmar_tables_init(d, c->levels, 0);
    dmar_map(d, iova & ~(size - 1), c->pa, c->leaf, c->perm);
    dmar_enable(d, ROOT_TABLE);

    for (int write = 0; write < 2; write++) {
        bool ok = c->perm & (write ? PTE_W : PTE_R);

        qobject_unref(t);
        t = xl(d, iova, write);
        show("translate", QOBJECT(t));
        assert_walk(d, list(t, "steps"), ROOT_TABLE, EDU_SID, iova, n);
        g_assert_cmphex(num(entry(list(t, "steps"), n - 1), "address"), ==,
                        dmar_pte_slot(d, iova, c->leaf));
        g_assert_cmpuint(num(t, "domain-id"), ==, DOMAIN);
        if (!ok) {
            assert_xl_fault(t, write ? FR_WRITE : FR_READ, false);
            g_assert_cmpuint(num(t, "fault-level"), ==, c->leaf);
            continue;
        }
        g_assert_cmpstr(str(t, "mode"), ==, "translated");
        g_assert_cmphex(num(t, "translated-address"), ==, pa);
        g_assert_cmphex(num(t, "page-size"), ==, size);
        g_assert_cmpint(flag(t, "read"), ==, !!(c->perm & PTE_R));
        g_assert_cmpint(flag(t, "write"), ==, !!(c->perm & PTE_W));
        g_assert_false(qdict_haskey(t, "reason"));
        g_assert_false(qdict_haskey(t, "fault-level"));
        g_assert_false(qdict_haskey(t, "fpd"));
    }

    /* DMA through the unit lands where the command said */
    if (c->perm & PTE_W) {
        dmar_zero(d, pa);
        dmar_dma_out(d, iova);
        g_assert_true(dmar_holds(d, pa, 0x2c));
    }
    if (c->perm & PTE_R) {
        dmar_fill(d, pa, 0x3d);
        dmar_dma_in(d, iova);
        dmar_wr32(d, REG_GCMD, 0);
        dmar_dma_out(d, SCRATCH);
        g_assert_true(dmar_holds(d, SCRATCH, 0x3d));
    }
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    finish(d);
}

/* Translation off: untranslated, nothing read */
static void test_xl_untranslated(void)
{
    QDmar *d = boot("", "");
    g_autoptr(QDict) t = NULL;

    dmar_tables_init(d, 3, 0);
    t = xl(d, IOVA_B + 0x123, true);
    g_assert_cmpstr(str(t, "mode"), ==, "untranslated");
    g_assert_cmpuint(qlist_size(list(t, "steps")), ==, 0);
    g_assert_cmphex(num(t, "translated-address"), ==, IOVA_B + 0x123);
    g_assert_true(flag(t, "read"));
    g_assert_true(flag(t, "write"));
    g_assert_false(qdict_haskey(t, "domain-id"));
    g_assert_false(qdict_haskey(t, "reason"));
    g_assert_false(qdict_haskey(t, "fpd"));
    finish(d);
}

/* A pass-through context: the address as is, after root and context */
static void test_xl_passthrough(void)
{
    QDmar *d = boot("", "");
    const uint64_t addr = IDENT_IN + 0x234;
    g_autoptr(QDict) t = NULL;

    dmar_tables_init(d, 4, CTX_TT(TT_PASSTHROUGH));
    dmar_enable(d, ROOT_TABLE);
    for (int write = 0; write < 2; write++) {
        qobject_unref(t);
        t = xl(d, addr, write);
        g_assert_cmpstr(str(t, "mode"), ==, "pass-through");
        assert_walk(d, list(t, "steps"), ROOT_TABLE, EDU_SID, addr, 2);
        g_assert_cmphex(num(t, "translated-address"), ==, addr);
        g_assert_cmpuint(num(t, "domain-id"), ==, DOMAIN);
        g_assert_true(flag(t, "read"));
        g_assert_true(flag(t, "write"));
        g_assert_false(qdict_haskey(t, "reason"));
    }
    /* and a real DMA is not translated */
    dmar_fill(d, IDENT_IN + 0x200, 0x4e);
    dmar_dma_in(d, IDENT_IN + 0x200);
    dmar_zero(d, IDENT_OUT);
    dmar_dma_out(d, IDENT_OUT);
    g_assert_true(dmar_holds(d, IDENT_OUT, 0x4e));
    g_assert_cmphex(dmar_fsts(d), ==, 0);
    finish(d);
}

/*
 * A 1 GiB page around the interrupt address range (§3.15): an address
 * outside the range translates through it; one inside faults (Eh) at the
 * leaf, as the same DMA does
 */
static void test_xl_intr_large_page(void)
{
    QDmar *d = boot("", "");
    const uint64_t iova = 0x40000000ull, pa = 0xc0000000ull;
    const uint64_t out = iova + 0x100010, in = iova + (MSI_BASE - pa) + 0x5008;
    g_autoptr(QDict) t = NULL;

    dmar_tables_init(d, 4, 0);
    dmar_map(d, iova, pa, 3, PTE_RW);
    dmar_enable(d, ROOT_TABLE);
    t = xl(d, out, true);
    g_assert_cmpstr(str(t, "mode"), ==, "translated");
    g_assert_cmphex(num(t, "translated-address"), ==, pa + 0x100010);
    /* the page in the tables, though the unit serves it 4 KiB at a time */
    g_assert_cmphex(num(t, "page-size"), ==, 1ull << 30);
    g_assert_true(flag(t, "read"));
    g_assert_true(flag(t, "write"));
    assert_walk(d, list(t, "steps"), ROOT_TABLE, EDU_SID, out, 4);
    qobject_unref(t);
    t = xl(d, in, true);
    assert_xl_fault(t, FR_INTR_ADDR, false);
    assert_walk(d, list(t, "steps"), ROOT_TABLE, EDU_SID, in, 4);
    dma4(d, in, true);
    dmar_assert_frcd(d, 0, in, FR_INTR_ADDR, true);
    finish(d);
}

/*
 * A request to the interrupt address range itself is no DMA (§3.15): a
 * write there is an interrupt request, whatever the tables map
 */
static void test_xl_intr_range(void)
{
    static const uint64_t addrs[] = {
        MSI_BASE, MSI_BASE + 0x1000, MSI_BASE + 0xffffc,
    };
    QDmar *d = boot("", "");

    dmar_tables_init(d, 3, 0);
    dmar_map(d, MSI_BASE, PAGE_P1, 1, PTE_RW);
    for (unsigned i = 0; i < ARRAY_SIZE(addrs); i++) {
        for (unsigned w = 0; w < 2; w++) {
            g_autoptr(QDict) t = NULL;

            if (i == 1 && !w) {
                dmar_enable(d, ROOT_TABLE);
            }
            t = xl(d, addrs[i], w);
            g_assert_cmpstr(str(t, "mode"), ==, "interrupt");
            g_assert_null(qdict_get_qlist(t, "steps") ?
                          qlist_first(qdict_get_qlist(t, "steps")) : NULL);
            g_assert_false(qdict_haskey(t, "translated-address"));
            g_assert_false(qdict_haskey(t, "reason"));
            g_assert_false(flag(t, "read"));
            g_assert_false(flag(t, "write"));
        }
    }
    /* just outside: translated (or not) as any other address */
    {
        g_autoptr(QDict) t = xl(d, MSI_BASE + 0x100000, false);

        g_assert_cmpstr(str(t, "mode"), ==, "fault");
    }
    finish(d);
}

/*
 * A request with a PASID: legacy context entries have none, so the
 * hardware blocks it (0xd) once it has read them
 */
static void test_xl_pasid(void)
{
    QDmar *d = boot("", "");
    QDict *args = xl_args("edu", IOVA_A, false);
    g_autoptr(QDict) t = NULL;

    dmar_tables_init(d, 3, CTX_FPD);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_RW);
    dmar_enable(d, ROOT_TABLE);
    qdict_put_int(args, "pasid", 1);
    t = xl_call(d, args);
    assert_xl_fault(t, 0xd, true);
    assert_walk(d, list(t, "steps"), ROOT_TABLE, EDU_SID, IOVA_A, 2);
    g_assert_cmpuint(num(t, "domain-id"), ==, DOMAIN);
    g_assert_false(qdict_haskey(t, "fault-level"));
    finish(d);
}

/* The requester as id, QOM path, bb:dd.f or source-id; the unit too */
static void test_xl_device(void)
{
    static const char *const same[] = {
        EDU_PATH, EDU_BDF, NULL,
    };
    static const char *const bad[] = {
        "nosuch", "/machine/peripheral/nosuch", "/machine/q35", "00:20.0",
        "00:04.8", "100:04.0", "", NULL,
    };
    QDmar *d = boot("", "");
    g_autoptr(QDict) ref = NULL;
    QDict *args;

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_enable(d, ROOT_TABLE);
    ref = xl(d, IOVA_A, false);
    g_assert_cmpstr(str(ref, "mode"), ==, "translated");
    for (unsigned i = 0; same[i]; i++) {
        g_autoptr(QDict) t = xl_call(d, xl_args(same[i], IOVA_A, false));

        g_assert_true(qobject_is_equal(QOBJECT(t), QOBJECT(ref)));
    }
    for (unsigned i = 0; i < 2; i++) {
        g_autoptr(QDict) t = NULL;

        args = xl_args(NULL, IOVA_A, false);
        qdict_put_int(args, "source-id", EDU_SID);
        qdict_put_str(args, "unit", i ? UNIT_PATH : UNIT_ID);
        t = xl_call(d, args);
        g_assert_true(qobject_is_equal(QOBJECT(t), QOBJECT(ref)));
    }
    /* a slot with nothing in it is still an address: no context for it */
    {
        g_autoptr(QDict) t = xl_call(d, xl_args("00:09.0", IOVA_A, false));

        assert_xl_fault(t, FR_CTX_NP, false);
        assert_walk(d, list(t, "steps"), ROOT_TABLE, 0x48, IOVA_A, 2);
    }

    /* neither device nor source-id, both, unknown names */
    qmp_error(xl_resp(d, xl_args(NULL, IOVA_A, false)));
    args = xl_args("edu", IOVA_A, false);
    qdict_put_int(args, "source-id", EDU_SID);
    qmp_error(xl_resp(d, args));
    for (unsigned i = 0; bad[i]; i++) {
        g_test_message("device '%s'", bad[i]);
        qmp_error(xl_resp(d, xl_args(bad[i], IOVA_A, false)));
    }
    args = xl_args("edu", IOVA_A, false);
    qdict_put_str(args, "unit", "nosuch");
    qmp_error(xl_resp(d, args));
    args = xl_args("edu", IOVA_A, false);
    qdict_put_str(args, "unit", EDU_PATH);
    qmp_error(xl_resp(d, args));
    finish(d);
}

/* ---- it changes nothing ---- */

#define WIN_SIZE        0x1000

typedef struct Snapshot {
    uint32_t win[WIN_SIZE / 4];
    QDict *q;
    GByteArray *mem;
} Snapshot;

/* Guest memory the unit reads: tables, queue, IRT */
static const struct {
    uint64_t base, size;
} snap_ranges[] = {
    { ROOT_TABLE, 0x2000 },
    { PT_POOL, PT_POOL_END - PT_POOL },
    { PAGE_P1, 0x4000 },
    { IQ_BASE, 0x1000 },
    { IQ_STATUS, 0x2000 },
    { IRT_BASE, 0x1000 },
};

static void snapshot(QDmar *d, Snapshot *s)
{
    s->mem = g_byte_array_new();
    for (unsigned i = 0; i < ARRAY_SIZE(snap_ranges); i++) {
        g_autofree uint8_t *buf = g_malloc(snap_ranges[i].size);

        qtest_memread(d->qts, snap_ranges[i].base, buf, snap_ranges[i].size);
        g_byte_array_append(s->mem, buf, snap_ranges[i].size);
    }
    dmar_scn_win_read(d, s->win, WIN_SIZE);
    s->q = query(d);
}

static void snapshot_assert_same(Snapshot *a, Snapshot *b)
{
    for (unsigned i = 0; i < WIN_SIZE / 4; i++) {
        if (a->win[i] != b->win[i]) {
            g_test_message("register word 0x%03x", i * 4);
        }
        g_assert_cmphex(a->win[i], ==, b->win[i]);
    }
    g_assert_cmpmem(a->mem->data, a->mem->len, b->mem->data, b->mem->len);
    if (!qobject_is_equal(QOBJECT(a->q), QOBJECT(b->q))) {
        show("before", QOBJECT(a->q));
        show("after", QOBJECT(b->q));
    }
    g_assert_true(qobject_is_equal(QOBJECT(a->q), QOBJECT(b->q)));
    g_byte_array_unref(a->mem);
    g_byte_array_unref(b->mem);
    qobject_unref(a->q);
    qobject_unref(b->q);
}

typedef struct XlRequest {
    const char *device;     /* NULL: SID */
    uint16_t sid;
    uint64_t addr;
    int64_t pasid;          /* -1: none */
} XlRequest;

static const XlRequest quiet_requests[] = {
    { "edu", 0, IOVA_A + 0x10, -1 },            /* translated (warm) */
    { "edu", 0, IOVA_B, -1 },                   /* translated (cold) */
    { "edu", 0, IOVA_C, -1 },                   /* not mapped */
    { "edu", 0, IOVA_A | 1ull << 39, -1 },      /* beyond the AW */
    { "edu", 0, IOVA_F, -1 },                   /* into MSI_BASE */
    { "edu", 0, IOVA_A, 7 },                    /* with a PASID */
    { NULL, 0x0100, IOVA_A, -1 },               /* bus 1: no root entry */
    { NULL, 0x0008, IOVA_A, -1 },               /* 00:01.0: no context */
    { "00:1f.2", 0, IOVA_B, -1 },
};

static void quiet_translate(QDmar *d, const XlRequest *r, bool write)
{
    QDict *args = xl_args(r->device, r->addr, write);

    if (!r->device) {
        qdict_put_int(args, "source-id", r->sid);
    }
    if (r->pasid >= 0) {
        qdict_put_int(args, "pasid", r->pasid);
    }
    qobject_unref(xl_call(d, args));
}

/*
 * Registers (the whole window, fault records included), the cache
 * statistics and everything else query-vtd-dmar reports, and guest
 * memory are the same before and after many translations, faulting or
 * not; no event is sent; and the IOTLB was not filled.
 */
static void test_xl_no_change(void)
{
    QDmar *d = boot("", "");
    g_autoptr(GPtrArray) ev = NULL;
    g_autoptr(QDict) q0 = NULL, q1 = NULL;
    Snapshot before, after;

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_RW);
    dmar_map(d, IOVA_B, PAGE_P2, 1, PTE_R);
    dmar_map(d, IOVA_F, MSI_BASE, 1, PTE_RW);
    dmar_irte_put(d, IRT_BASE, 5, dmar_irte_lo(0x50), 0);
    dmar_enable(d, ROOT_TABLE);
    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_qi_sync(d);
    dmar_ir_enable(d, IRT_BASE | 3, false);
    /* warm caches, and a DMA and an interrupt fault recorded */
    dmar_dma_in(d, IOVA_A);
    dmar_edu_msi(d, dmar_msi_remappable(5, false), 0);
    dma4(d, IOVA_C, false);
    dmar_edu_msi(d, dmar_msi_remappable(6, false), 0);
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(0));
    ev = events_take(d);
    g_assert_cmpuint(ev->len, ==, 2);
    g_ptr_array_set_size(ev, 0);

    snapshot(d, &before);
    for (unsigned round = 0; round < 4; round++) {
        for (unsigned i = 0; i < ARRAY_SIZE(quiet_requests); i++) {
            quiet_translate(d, &quiet_requests[i], round & 1);
        }
    }
    snapshot(d, &after);
    snapshot_assert_same(&before, &after);
    g_ptr_array_unref(ev);
    ev = events_take(d);
    g_assert_cmpuint(ev->len, ==, 0);

    /* the command filled nothing: IOVA_B's first DMA misses */
    q0 = query(d);
    dmar_dma_in(d, IOVA_B);
    q1 = query(d);
    assert_delta(q0, q1, "iotlb", 0, 1, 0);
    assert_delta(q0, q1, "context", 1, 0, 0);
    finish(d);
}

/* It reads the tables as they are now, not what the caches hold */
static void test_xl_uncached(void)
{
    QDmar *d = boot("", "");
    g_autoptr(QDict) t = NULL;

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_RW);
    dmar_enable(d, ROOT_TABLE);
    dmar_dma_in(d, IOVA_A);
    /* a new mapping, not invalidated: the IOTLB still has the old one */
    dmar_map(d, IOVA_A, PAGE_P2, 1, PTE_R);
    t = xl(d, IOVA_A, false);
    g_assert_cmphex(num(t, "translated-address"), ==, PAGE_P2);
    g_assert_false(flag(t, "write"));
    /* a context entry gone, not invalidated */
    dmar_set_ctx(d, 0, 0);
    qobject_unref(t);
    t = xl(d, IOVA_A, false);
    assert_xl_fault(t, FR_CTX_NP, false);
    finish(d);
}

/* ================= HMP ================= */

/* LINE with every 0x number in canonical form (no leading zeroes) */
static char *hex_canon(const char *line)
{
    g_autoptr(GRegex) re = g_regex_new("0x0*([0-9a-f])", 0, 0, NULL);

    return g_regex_replace(re, line, -1, 0, "0x\\1", 0, NULL);
}

/* OUT's lines are WANT's, hexadecimal numbers as values */
static void assert_lines(const char *out, GPtrArray *want)
{
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    unsigned n = g_strv_length(lines);

    g_test_message("%s", out);
    /* the last line ends in a newline: nothing after it */
    g_assert_cmpuint(n, >, 0);
    g_assert_cmpstr(lines[n - 1], ==, "");
    g_assert_cmpuint(n - 1, ==, want->len);
    for (unsigned i = 0; i < want->len; i++) {
        g_autofree char *got = NULL;
        g_autofree char *exp = hex_canon(g_ptr_array_index(want, i));

        g_strchomp(lines[i]);           /* "\r" */
        got = hex_canon(lines[i]);
        g_assert_cmpstr(got, ==, exp);
    }
}

static char *fields_line(const char *reg, QList *fields)
{
    GString *s = g_string_new("  ");

    g_string_append_printf(s, "%s:", reg);
    for (const QListEntry *e = qlist_first(fields); e; e = qlist_next(e)) {
        QDict *f = qobject_to(QDict, qlist_entry_obj(e));

        g_string_append_printf(s, " %s=%" PRIu64, str(f, "name"),
                               num(f, "value"));
    }
    return g_string_free(s, false);
}

static const char *on_off(bool on)
{
    return on ? "on" : "off";
}

/* What "info vtd-dmar" must print for the unit query-vtd-dmar gave as Q */
static GPtrArray *info_lines(QDict *q)
{
    GPtrArray *w = g_ptr_array_new_with_free_func(g_free);
    QDict *iq = qdict_get_qdict(q, "queue");
    QList *recs = list(q, "fault-records");

    g_ptr_array_add(w, g_strdup_printf("vtd-dmar " UNIT_PATH " (id " UNIT_ID
                                       ") at 0x%" PRIx64, num(q, "base")));
    g_ptr_array_add(w, g_strdup_printf("  cap 0x%" PRIx64 " ecap 0x%" PRIx64
                                       " gsts 0x%" PRIx64, num(q, "cap"),
                                       num(q, "ecap"), num(q, "gsts")));
    g_ptr_array_add(w, fields_line("cap", list(q, "cap-fields")));
    g_ptr_array_add(w, fields_line("ecap", list(q, "ecap-fields")));
    g_ptr_array_add(w, g_strdup_printf(
        "  translation %s, queued-invalidation %s, interrupt-remapping %s "
        "(%s), compat-format %s", on_off(flag(q, "translation")),
        on_off(flag(q, "queued-invalidation")),
        on_off(flag(q, "interrupt-remapping")),
        flag(q, "x2apic-mode") ? "x2apic" : "xapic",
        on_off(flag(q, "compat-format"))));
    g_ptr_array_add(w, g_strdup_printf("  root table 0x%" PRIx64
                                       " (%s), irta 0x%" PRIx64,
                                       num(q, "root-table"),
                                       flag(q, "abort-dma-mode") ?
                                       "abort-DMA mode" : "legacy",
                                       num(q, "irta")));
    if (qdict_haskey(q, "pmr")) {
        QDict *p = qdict_get_qdict(q, "pmr");

        g_ptr_array_add(w, g_strdup_printf(
            "  protected memory: %s%s, low 0x%" PRIx64 "..0x%" PRIx64
            ", high 0x%" PRIx64 "..0x%" PRIx64, on_off(flag(p, "enabled")),
            flag(p, "in-force") ? " (in force)" : "", num(p, "low-base"),
            num(p, "low-limit"), num(p, "high-base"), num(p, "high-limit")));
    }
    g_ptr_array_add(w, g_strdup_printf(
        "  queue: 0x%" PRIx64 ", %" PRIu64 " entries of %" PRIu64 " bits, "
        "head %" PRIu64 " tail %" PRIu64 ", %" PRIu64 " runs (%" PRIu64
        " deferred)", num(iq, "address"), num(iq, "entries"),
        num(iq, "descriptor-width"), num(iq, "head"), num(iq, "tail"),
        num(iq, "runs"), num(iq, "deferred-runs")));
    if (num(iq, "drains-bql") || num(iq, "drains-quiet") ||
        num(iq, "drains-spared") || num(iq, "drains-free") ||
        num(iq, "drains-held") || num(iq, "drains-busy")) {
        char *l = g_ptr_array_steal_index(w, w->len - 1);

        g_ptr_array_add(w, g_strdup_printf(
            "%s, drains: %" PRIu64 " holding the BQL, %" PRIu64 " quiet, %"
            PRIu64 " spared, %" PRIu64 " found it free, %" PRIu64 " held, %"
            PRIu64 " busy (%" PRIu64 " us waited; %" PRIu64 " holds of the "
            "BQL with DMA)", l,
            num(iq, "drains-bql"), num(iq, "drains-quiet"),
            num(iq, "drains-spared"), num(iq, "drains-free"),
            num(iq, "drains-held"), num(iq, "drains-busy"),
            num(iq, "drains-held-ns") / 1000, num(iq, "bql-dma-holds")));
        g_free(l);
    }
    if (flag(iq, "error")) {
        char *l = g_ptr_array_steal_index(w, w->len - 1);

        g_ptr_array_add(w, g_strdup_printf("%s, error (iqercd 0x%" PRIx64
                                           ")", l, num(iq, "error-info")));
        g_free(l);
    }
    g_ptr_array_add(w, g_strdup_printf("  faults: fsts 0x%" PRIx64
                                       ", %u records", num(q, "fsts"),
                                       (unsigned)qlist_size(recs)));
    for (const QListEntry *e = qlist_first(recs); e; e = qlist_next(e)) {
        QDict *r = qobject_to(QDict, qlist_entry_obj(e));

        g_ptr_array_add(w, g_strdup_printf(
            "    [%" PRIu64 "] %s %s 0x%" PRIx64 " reason 0x%" PRIx64 " %s",
            num(r, "index"), str(r, "bdf"),
            flag(r, "interrupt") ? "interrupt" :
            !strcmp(str(r, "access"), "write") ? "DMA write" : "DMA read",
            num(r, "address"), num(r, "reason"), str(r, "reason-name")));
    }
    g_ptr_array_add(w, g_strdup_printf("  fault events: %" PRIu64 " sent, %"
                                       PRIu64 " suppressed",
                                       num(q, "fault-events-sent"),
                                       num(q, "fault-events-suppressed")));
    for (unsigned i = 0; cache_names[i]; i++) {
        QDict *c = cache(q, cache_names[i]);

        g_autofree char *lock_free = i ? g_strdup("") :
            g_strdup_printf(", %" PRIu64 " hits without the lock",
                            num(c, "lock-free-hits"));

        g_ptr_array_add(w, g_strdup_printf(
            "  %s: %" PRIu64 " entries, %" PRIu64 " lookups, %" PRIu64
            " hits, %" PRIu64 " misses, %" PRIu64 " evictions%s",
            cache_names[i], num(c, "entries"), num(c, "lookups"),
            num(c, "hits"), num(c, "misses"), num(c, "evictions"),
            lock_free));
    }
    return w;
}

static void assert_info(QDmar *d)
{
    g_autoptr(QDict) q = query(d);
    g_autoptr(GPtrArray) want = info_lines(q);
    g_autofree char *out = qtest_hmp(d->qts, "info vtd-dmar");

    assert_lines(out, want);
}

/*
 * A unit with protected memory regions (left on by the board) and
 * abort-DMA mode: both in the answer and in HMP, as the registers say.
 */
static void test_query_pmr_adm(void)
{
    QDmar *d = boot("pmr=on,pmr-enable=on,pmr-low-base=0x4000000,"
                    "pmr-low-limit=0x4200000,abort-dma-mode=on", "");
    g_autoptr(QDict) q0 = query(d);
    g_autoptr(QDict) q1 = NULL;
    QDict *p = qdict_get_qdict(q0, "pmr");

    g_assert_true(flag(p, "enabled") && flag(p, "in-force"));
    g_assert_cmphex(num(p, "low-base"), ==, 0x4000000);
    g_assert_cmphex(num(p, "low-limit"), ==, 0x4200000);
    g_assert_false(flag(q0, "abort-dma-mode"));
    assert_info(d);
    dmar_wr32(d, REG_PMEN, 0);
    dmar_wr64(d, REG_RTADDR, TTM(3));
    dmar_wr32(d, REG_GCMD, GCMD_SRTP);
    q1 = query(d);
    p = qdict_get_qdict(q1, "pmr");
    g_assert_false(flag(p, "enabled") || flag(p, "in-force"));
    g_assert_true(flag(q1, "abort-dma-mode"));
    assert_info(d);
    finish(d);
}

static void test_hmp_info(void)
{
    QDmar *d = boot("", "");
    g_autofree char *out = NULL;

    assert_info(d);
    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_RW);
    dmar_map(d, IOVA_B, PAGE_P2, 1, PTE_R);
    dmar_enable(d, ROOT_TABLE);
    dmar_qi_enable(d, IQ_BASE, 0);
    dmar_qi_sync(d);
    dmar_qi_sync(d);
    dmar_ir_enable(d, IRT_BASE | 3, false);
    dmar_dma_in(d, IOVA_A);
    dmar_dma_in(d, IOVA_A);
    dma4(d, IOVA_C, false);
    dma4(d, IOVA_B, true);
    dmar_edu_msi(d, dmar_msi_remappable(5, false), 0);
    assert_info(d);

    /* spelt out once, for a reader */
    out = qtest_hmp(d->qts, "info vtd-dmar");
    g_assert_nonnull(strstr(out, "\n  translation on, queued-invalidation on,"
                            " interrupt-remapping on (xapic), compat-format"
                            " off"));
    g_assert_nonnull(strstr(out, "\n  root table 0x100000 (legacy), irta "
                            "0xb00003"));
    g_assert_nonnull(strstr(out, "\n  queue: 0xa00000, 256 entries of 128 "
                            "bits, head 2 tail 2"));
    g_assert_nonnull(strstr(out, "\n    [0] 00:04.0 DMA read 0xabcd000 "
                            "reason 0x6 read-not-permitted"));
    g_assert_nonnull(strstr(out, "\n    [1] 00:04.0 DMA write 0x2468a000 "
                            "reason 0x5 write-not-permitted"));
    g_assert_nonnull(strstr(out, "\n    [2] 00:04.0 interrupt "
                            "0x5000000000000 reason 0x22 irte-not-present"));
    g_assert_nonnull(strstr(out, "\n  fault events: 3 sent, 0 suppressed"));

    /* a queue error */
    dmar_qi_push(d, 0, 0);
    dmar_qi_kick(d);
    assert_info(d);
    finish(d);
}

/* "vtd-dmar-translate [-w] device address [pasid [unit]]" */
static void assert_hmp_translate(QDmar *d, const char *args,
                                 const char *const *want)
{
    g_autofree char *out = qtest_hmp(d->qts, "vtd-dmar-translate %s", args);
    g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);

    for (unsigned i = 0; want[i]; i++) {
        g_ptr_array_add(w, g_strdup(want[i]));
    }
    assert_lines(out, w);
}

static char *entry_line(QDmar *d, const char *table, uint64_t addr)
{
    if (!strcmp(table, "root") || !strcmp(table, "context")) {
        return g_strdup_printf("  %s 0x%" PRIx64 " = 0x%" PRIx64 ":0x%"
                               PRIx64, table, addr,
                               qtest_readq(d->qts, addr + 8),
                               qtest_readq(d->qts, addr));
    }
    return g_strdup_printf("  second-stage L%s 0x%" PRIx64 " = 0x%" PRIx64,
                           table, addr, qtest_readq(d->qts, addr));
}

static void test_hmp_translate(void)
{
    QDmar *d = boot("", "");
    const uint64_t ctx = CTX_TABLE + EDU_DEVFN * 16;
    g_autofree char *root = NULL, *context = NULL;
    g_autofree char *l3 = NULL, *l2 = NULL, *l1 = NULL, *l2b = NULL;
    g_autoptr(GPtrArray) ev = NULL;

    dmar_tables_init(d, 3, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_RW);
    dmar_enable(d, ROOT_TABLE);
    root = entry_line(d, "root", ROOT_TABLE);
    context = entry_line(d, "context", ctx);
    l3 = entry_line(d, "3", dmar_pte_slot(d, IOVA_A, 3));
    l2 = entry_line(d, "2", dmar_pte_slot(d, IOVA_A, 2));
    l1 = entry_line(d, "1", dmar_pte_slot(d, IOVA_A, 1));
    /* IOVA_B: the same level-3 entry, a level-2 entry not present */
    l2b = entry_line(d, "2", (qtest_readq(d->qts, dmar_pte_slot(d, IOVA_A, 3))
                              & PTE_ADDR) + PT_INDEX(IOVA_B, 2) * 8);

    assert_hmp_translate(d, "edu 0x12345678", (const char *const[]) {
        "00:04.0 read 0x12345678:", root, context, l3, l2, l1,
        "  -> translated 0x500678 (4 KiB page, rw) domain 66", NULL,
    });
    assert_hmp_translate(d, "-w 00:04.0 0x2468a000", (const char *const[]) {
        "00:04.0 write 0x2468a000:", root, context, l3, l2b,
        "  -> fault 0x5 write-not-permitted at level 2", NULL,
    });
    assert_hmp_translate(d, "edu 0x12345000 3 " UNIT_ID,
                         (const char *const[]) {
        "00:04.0 read 0x12345000:", root, context,
        "  -> fault 0xd request-blocked", NULL,
    });
    /* FPD set (nothing invalidated: the command reads the tables) */
    dmar_set_ctx(d, dmar_ctx_lo(d) | CTX_FPD, dmar_ctx_hi(d));
    g_free(context);
    context = entry_line(d, "context", ctx);
    assert_hmp_translate(d, EDU_PATH " 0x2468a000", (const char *const[]) {
        "00:04.0 read 0x2468a000:", root, context, l3, l2b,
        "  -> fault 0x6 read-not-permitted at level 2, fpd set: not "
        "recorded", NULL,
    });
    /* pass-through */
    dmar_set_ctx(d, (dmar_ctx_lo(d) & ~CTX_FPD) | CTX_TT(TT_PASSTHROUGH),
                 dmar_ctx_hi(d));
    g_free(context);
    context = entry_line(d, "context", ctx);
    assert_hmp_translate(d, "edu 0x2468a010", (const char *const[]) {
        "00:04.0 read 0x2468a010:", root, context,
        "  -> pass-through 0x2468a010 domain 66", NULL,
    });
    /* translation off */
    dmar_wr32(d, REG_GCMD, 0);
    assert_hmp_translate(d, "-w edu 0x2468a010", (const char *const[]) {
        "00:04.0 write 0x2468a010:",
        "  -> untranslated 0x2468a010", NULL,
    });
    ev = events_take(d);
    g_assert_cmpuint(ev->len, ==, 0);
    finish(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    DMAR_ADD_CASES("/vtd-dmar/qmp/query/config", config_cases,
                   test_query_config);
    qtest_add_func("/vtd-dmar/qmp/query/anonymous", test_query_anon);
    qtest_add_func("/vtd-dmar/qmp/query/state", test_query_state);
    qtest_add_func("/vtd-dmar/qmp/query/records", test_query_records);
    qtest_add_func("/vtd-dmar/qmp/query/cache-hit", test_query_cache_hit);
    qtest_add_func("/vtd-dmar/qmp/query/cache-evict", test_query_cache_evict);
    qtest_add_func("/vtd-dmar/qmp/query/cache-iec-evict",
                   test_query_cache_iec_evict);

    DMAR_ADD_CASES("/vtd-dmar/qmp/event/dma", dma_fault_cases, test_dma_fault);
    DMAR_ADD_CASES("/vtd-dmar/qmp/event/ir", scn_ir_fault_cases,
                   test_ir_fault_event);
    qtest_add_func("/vtd-dmar/qmp/event/ir-other", test_ir_fault_event_other);
    qtest_add_func("/vtd-dmar/qmp/event/fpd", test_event_fpd);
    qtest_add_func("/vtd-dmar/qmp/event/one-per-dma", test_event_one_per_dma);
    qtest_add_func("/vtd-dmar/qmp/event/overflow", test_event_overflow);
    qtest_add_func("/vtd-dmar/qmp/event/rate-limit", test_event_rate_limit);

    DMAR_ADD_CASES("/vtd-dmar/qmp/translate", xl_mode_cases, test_xl_mode);
    qtest_add_func("/vtd-dmar/qmp/translate/untranslated",
                   test_xl_untranslated);
    qtest_add_func("/vtd-dmar/qmp/translate/pass-through",
                   test_xl_passthrough);
    qtest_add_func("/vtd-dmar/qmp/translate/intr-large-page",
                   test_xl_intr_large_page);
    qtest_add_func("/vtd-dmar/qmp/translate/interrupt-range",
                   test_xl_intr_range);
    qtest_add_func("/vtd-dmar/qmp/translate/pasid", test_xl_pasid);
    qtest_add_func("/vtd-dmar/qmp/translate/device", test_xl_device);
    qtest_add_func("/vtd-dmar/qmp/translate/no-change", test_xl_no_change);
    qtest_add_func("/vtd-dmar/qmp/translate/uncached", test_xl_uncached);

    qtest_add_func("/vtd-dmar/qmp/hmp/info", test_hmp_info);
    qtest_add_func("/vtd-dmar/qmp/query/pmr-abort-dma", test_query_pmr_adm);
    qtest_add_func("/vtd-dmar/qmp/hmp/translate", test_hmp_translate);

    return g_test_run();
}
