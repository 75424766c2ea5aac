/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: property names, types and defaults against QEMU's
 * own intel-iommu, so that a command line written for intel-iommu works
 * by changing only the device name.
 *
 * The properties are read with QMP device-list-properties, from the
 * binary under test (QTEST_QEMU_BINARY, whose intel-iommu is QEMU
 * 10.0's) and, when VTD_DMAR_REF_QEMU names one, from a QEMU 11.1
 * binary (its intel-iommu has the names upstream uses now).
 * Plumbing in libqos/vtd-dmar.h; vtd-dmar-qtest.h says how the tests work.
 */
#include "qemu/osdep.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "vtd-dmar-qtest.h"

/* ================= property lists ================= */

typedef struct PropNote {
    const char *name;
    const char *why;
} PropNote;

/*
 * intel-iommu properties whose vtd-dmar counterpart deliberately differs
 * in type or default, or which vtd-dmar deliberately lacks. None today:
 * every intel-iommu property of 10.0 and of 11.1 has a counterpart of
 * the same type and default (those naming a feature vtd-dmar does not
 * have yet exist only to refuse it, see /vtd-dmar/props/refused).
 */
static const PropNote exceptions[] = {
    { "x-flts", "on: scalable mode offers both stages unless told not to "
      "(intel-iommu offers one: the first stage with x-flts=on)" },
    { "fsts", "on: scalable mode offers both stages unless told not to "
      "(intel-iommu offers one: the first stage with fsts=on)" },
    { NULL, NULL }
};

/* vtd-dmar properties that intel-iommu has no counterpart for */
static const PropNote dmar_only[] = {
    { "nfr", "intel-iommu has a fixed number of fault recording registers" },
    { "ssts", "scalable mode: off offers the first stage only" },
    { "iotlb-entries", "intel-iommu's IOTLB size is fixed" },
    { "ctx-entries", "intel-iommu's context cache is not bounded" },
    { "x-verify-iotlb", "debug aid: re-walk on every IOTLB hit" },
    { "x-run-answers", "off: an IOTLB hit answers one page (A/B measures)" },
    { "pci-bus", "link set by the board (intel-iommu finds the bus itself)" },
    { "downstream", "link set by the board (intel-iommu uses system memory)" },
    { "pmr", "protected memory regions: intel-iommu has none" },
    { "pmr-low-base", "protected memory regions: the board's reset state" },
    { "pmr-low-limit", "protected memory regions: the board's reset state" },
    { "pmr-high-base", "protected memory regions: the board's reset state" },
    { "pmr-high-limit", "protected memory regions: the board's reset state" },
    { "pmr-enable", "protected memory regions: the board's reset state" },
    { "abort-dma-mode", "abort-DMA mode (ECAP.ADMS): intel-iommu has none" },
    { "primary-bus", "several units: intel-iommu is alone on the machine" },
    { "rmrr", "reserved memory regions (RMRR): intel-iommu has none" },
    { "platform-opt-in", "the DMAR table's DMA_CTRL_PLATFORM_OPT_IN flag" },
    { NULL, NULL }
};

/*
 * QEMU 11.1's names, which 10.0's intel-iommu does not have (the
 * reference comparison checks that 11.1's intel-iommu has each of them).
 */
static const PropNote newer[] = {
    { "scalable-mode", "11.1's name of x-scalable-mode" },
    { "fsts", "11.1's name of x-flts" },
    { "pasid-bits", "11.1's PASID width" },
    { "svm", "11.1's shared virtual memory (refused when on)" },
    { NULL, NULL }
};

static const char *note_for(const PropNote *notes, const char *name)
{
    for (const PropNote *n = notes; n->name; n++) {
        if (!strcmp(n->name, name)) {
            return n->why;
        }
    }
    return NULL;
}

/* TYPE's properties, by name, as QMP describes them */
static QDict *list_props(QTestState *qts, const char *type)
{
    /* (qtest_qmp_assert_success_ref() wants a dictionary returned) */
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'device-list-properties',"
                           "  'arguments': { 'typename': %s } }", type);
    QList *list = qdict_get_qlist(rsp, "return");
    QDict *props = qdict_new();
    QListEntry *e;

    if (!list) {
        g_autoptr(GString) json = qobject_to_json(QOBJECT(rsp));

        g_test_message("device-list-properties %s: %s", type, json->str);
    }
    g_assert_nonnull(list);
    QLIST_FOREACH_ENTRY(list, e) {
        QDict *p = qobject_to(QDict, qlist_entry_obj(e));

        g_assert_nonnull(p);
        qdict_put_obj(props, qdict_get_str(p, "name"),
                      qobject_ref(QOBJECT(p)));
    }
    qobject_unref(rsp);
    return props;
}

static gint name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* PROPS' names in order, for messages that read well */
static GPtrArray *sorted_names(QDict *props)
{
    GPtrArray *names = g_ptr_array_new();

    for (const QDictEntry *e = qdict_first(props); e;
         e = qdict_next(props, e)) {
        g_ptr_array_add(names, (gpointer)qdict_entry_key(e));
    }
    g_ptr_array_sort(names, name_cmp);
    return names;
}

/* "type default" of one property, for messages */
static char *describe(QDict *p)
{
    QObject *def = qdict_get(p, "default-value");
    g_autoptr(GString) json = def ? qobject_to_json(def) : NULL;

    return g_strdup_printf("%s %s", qdict_get_str(p, "type"),
                           json ? json->str : "(no default)");
}

/*
 * Every property of REF (intel-iommu) has a vtd-dmar property of the same
 * name, type and default, unless the exceptions table says why not. An
 * exception that is not needed any more fails too, so the table stays
 * true. Returns the mismatches, one line each ("" when none).
 */
static char *compare(QDict *ref, QDict *dmar, const char *ref_name)
{
    GString *bad = g_string_new("");
    g_autoptr(GPtrArray) names = sorted_names(ref);

    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        QDict *want = qdict_get_qdict(ref, name);
        QDict *have = qdict_get_qdict(dmar, name);
        const char *why = note_for(exceptions, name);
        g_autofree char *w = describe(want);
        g_autofree char *h = have ? describe(have) : NULL;
        bool same = have &&
            !strcmp(qdict_get_str(want, "type"),
                    qdict_get_str(have, "type")) &&
            qobject_is_equal(qdict_get(want, "default-value"),
                             qdict_get(have, "default-value"));

        if (why) {
            g_test_message("%s %s: %s; vtd-dmar: %s: exception: %s",
                           ref_name, name, w, h ?: "missing", why);
            if (same) {
                g_string_append_printf(bad, "%s: exception no longer "
                                       "needed\n", name);
            }
        } else if (same) {
            g_test_message("%s %s: %s: matches", ref_name, name, w);
        } else {
            g_test_message("%s %s: %s; vtd-dmar: %s: DIFFERS", ref_name,
                           name, w, h ?: "missing");
            g_string_append_printf(bad, "%s: %s %s, vtd-dmar %s\n", name,
                                   ref_name, w, h ?: "missing");
        }
    }
    return g_string_free(bad, false);
}

/*
 * vtd-dmar properties REF has no counterpart for are in dmar_only[], or
 * names in NOTES (with why), or (ALSO, may be NULL) names ALSO_NAME has.
 * Returns the others.
 */
static char *extras(QDict *dmar, QDict *ref, const PropNote *notes,
                    QDict *also, const char *also_name)
{
    GString *bad = g_string_new("");
    g_autoptr(GPtrArray) names = sorted_names(dmar);

    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        const char *why = note_for(dmar_only, name);

        if (qdict_haskey(ref, name)) {
            continue;
        }
        if (why) {
            g_test_message("vtd-dmar only: %s: %s", name, why);
        } else if (notes && note_for(notes, name)) {
            g_test_message("vtd-dmar %s: %s", name, note_for(notes, name));
        } else if (also && qdict_haskey(also, name)) {
            g_test_message("vtd-dmar %s: a name of %s", name, also_name);
        } else {
            g_string_append_printf(bad, "%s: vtd-dmar only, with no "
                                   "reason in dmar_only[]\n", name);
        }
    }
    return g_string_free(bad, false);
}

/* ================= the same binary ================= */

/*
 * intel-iommu and vtd-dmar from the binary under test: QEMU 10.0's names,
 * the x- ones included, are all accepted with 10.0's types and defaults.
 */
static void test_same_binary(void)
{
    QTestState *qts = qtest_init("-M none");
    g_autoptr(QDict) ref = list_props(qts, "intel-iommu");
    g_autoptr(QDict) dmar = list_props(qts, "vtd-dmar");
    g_autofree char *bad = compare(ref, dmar, "intel-iommu");
    g_autofree char *more = extras(dmar, ref, newer, NULL, NULL);

    qtest_quit(qts);
    g_assert_cmpstr(bad, ==, "");
    g_assert_cmpstr(more, ==, "");
}

/* ================= the QEMU 11.1 reference ================= */

/*
 * The reference binary's intel-iommu against ours: 11.1's names (without
 * the x- prefixes upstream dropped) with 11.1's types and defaults. What
 * vtd-dmar has beyond them is its own or a 10.0 name kept as an alias.
 */
static void test_reference(void)
{
    QTestState *qts, *rq;

    if (!dmar_have_ref_qemu()) {
        return;
    }
    qts = qtest_init("-M none");
    rq = qtest_init_with_env("VTD_DMAR_REF_QEMU", "-M none", true);
    {
        g_autoptr(QDict) ref = list_props(rq, "intel-iommu");
        g_autoptr(QDict) old = list_props(qts, "intel-iommu");
        g_autoptr(QDict) dmar = list_props(qts, "vtd-dmar");
        g_autofree char *bad = compare(ref, dmar, "intel-iommu(ref)");
        g_autofree char *more = extras(dmar, ref, NULL, old,
                                       "10.0's intel-iommu");

        qtest_quit(rq);
        qtest_quit(qts);
        g_assert_cmpstr(bad, ==, "");
        g_assert_cmpstr(more, ==, "");
        /* newer[] says what 11.1 has: keep it true */
        for (const PropNote *n = newer; n->name; n++) {
            g_assert_true(qdict_haskey(ref, n->name));
        }
    }
}

/* ================= refused and accepted values ================= */

typedef struct PropRun {
    const char *props;
    const char *stderr_has;     /* refused: names the feature; or a warning */
} PropRun;

/*
 * intel-iommu's properties for features vtd-dmar does not have yet, by
 * their 11.1 names and 10.0's: refused, naming what is missing.
 */
static const PropRun refused[] = {
    { "svm=on", "shared virtual memory" },
    { "x-scalable-mode=on,x-flts=on,x-pasid-mode=on,svm=on",
      "shared virtual memory" },
    { "scalable-mode=on,caching-mode=on", "caching mode in scalable mode" },
};

static void test_refused(const void *opaque)
{
    const PropRun *r = opaque;
    g_autofree char *err = NULL;

    g_assert_cmpint(dmar_start_status("", r->props, &err), ==, 1);
    g_assert_nonnull(strstr(err, r->stderr_has));
    g_assert_nonnull(strstr(err, "not implemented in vtd-dmar yet"));
}

/*
 * Values a command line for intel-iommu (10.0 or 11.1) may carry that
 * vtd-dmar accepts: the features' defaults, and the knobs that have no
 * effect here (with a warning).
 */
static const PropRun accepted[] = {
    { "", NULL },
    { "scalable-mode=off,x-scalable-mode=off,fsts=off,x-flts=off", NULL },
    { "scalable-mode=on", NULL },
    { "x-scalable-mode=on,x-flts=on,x-pasid-mode=on", NULL },
    { "scalable-mode=on,fsts=off,pasid-bits=8", NULL },
    { "scalable-mode=on,ssts=off,fs1gp=off", NULL },
    { "pasid-bits=0,x-pasid-mode=off,svm=off,device-iotlb=off", NULL },
    { "fs1gp=off", NULL },
    { "fs1gp=on", NULL },
    { "stale-tm=on", "stale-tm has no effect without device-iotlb=on" },
    { "device-iotlb=on", NULL },
    { "device-iotlb=on,stale-tm=on", NULL },
    { "device-iotlb=on,caching-mode=on", NULL },
    { "snoop-control=on", NULL },
    { "dma-translation=off", NULL },
    { "dma-translation=off,intremap=off", NULL },
    { "version=0", NULL },
    { "version=1", "version=1 has no effect" },
    { "x-buggy-eim=off", NULL },
    { "x-buggy-eim=on", "x-buggy-eim has no effect" },
};

static void test_accepted(const void *opaque)
{
    const PropRun *r = opaque;
    g_autofree char *err = NULL;

    g_assert_cmpint(dmar_start_status("", r->props, &err), ==, 0);
    if (r->stderr_has) {
        g_assert_nonnull(strstr(err, r->stderr_has));
    } else {
        g_assert_null(strstr(err, "vtd-dmar"));
    }
}

/* ================= what the accepted values do ================= */

#define CAP_SAGAW       (0x1full << 8)
#define ECAP_SC         (1ull << 7)

/*
 * dma-translation=off: CAP.SAGAW is 0, no second-stage table depth is
 * offered (Linux then leaves DMA alone and uses the unit for interrupt
 * remapping only). GCMD.TE still works, but every context entry that
 * asks for translation is invalid, its AW not being in SAGAW: the DMA
 * is blocked with fault 3h (VT-d §7.1.3), never let through untranslated.
 * Pass-through context entries work (ECAP.PT). With dma-translation=on
 * the same tables translate (DATA: whether translation is on).
 */
static void test_dma_translation(const void *opaque)
{
    bool on = GPOINTER_TO_INT(opaque);
    QDmar *d = dmar_boot(on ? "dma-translation=on" : "dma-translation=off");
    uint64_t cap = expected_cap(48, 8, false, true);

    g_assert_cmphex(dmar_rd64(d, REG_CAP), ==, on ? cap : cap & ~CAP_SAGAW);
    g_assert_cmphex(dmar_rd64(d, REG_ECAP), ==,
                    expected_ecap(true, true, false));

    dmar_tables_init(d, 3, CTX_TT(TT_XLATE));
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_fill(d, PAGE_P1, 0x51);
    dmar_fill(d, IDENT_IN, 0x52);
    dmar_zero(d, SCRATCH);
    dmar_enable(d, ROOT_TABLE);         /* TE sets TES either way */
    dmar_dma_in(d, IOVA_A);
    if (on) {
        dmar_assert_no_fault(d);
    } else {
        dmar_assert_frcd(d, 0, IOVA_A, FR_CTX_INV, false);
        g_assert_cmphex(dmar_rd64(d, REG_FRCD(1) + 8), ==, 0);
        dmar_frcd_clear(d, 0);
    }

    /* pass-through: what edu read comes back untranslated */
    dmar_set_ctx(d, d->slpt | CTX_TT(TT_PASSTHROUGH) | CTX_P, dmar_ctx_hi(d));
    dmar_ccmd_inv(d, CCMD_CIRG(GRAN_GLOBAL));
    dmar_iotlb_inv(d, GRAN_GLOBAL, 0, 0);
    dmar_dma_out(d, SCRATCH);
    g_assert(dmar_holds(d, SCRATCH, 0x51) == on);
    dmar_copy(d, IDENT_IN, SCRATCH);
    g_assert_true(dmar_holds(d, SCRATCH, 0x52));
    dmar_assert_no_fault(d);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
    dmar_free(d);
}

/*
 * snoop-control=on: ECAP.SC, and SNP (bit 11) of a leaf entry is the
 * snoop hint, not a reserved bit: DMA through such leaves (4 KiB and
 * 2 MiB) arrives. With snoop-control=off (the default) the same read
 * is blocked with fault Ch, non-zero reserved field in a second-stage
 * paging entry (VT-d §7.1.3), and brings edu nothing.
 */
static void test_snoop_control(const void *opaque)
{
    bool on = GPOINTER_TO_INT(opaque);
    QDmar *d = dmar_boot(on ? "snoop-control=on" : "snoop-control=off");
    uint64_t ecap = expected_ecap(true, true, false);

    g_assert_cmphex(dmar_rd64(d, REG_CAP), ==,
                    expected_cap(48, 8, false, true));
    g_assert_cmphex(dmar_rd64(d, REG_ECAP), ==, on ? ecap | ECAP_SC : ecap);

    dmar_tables_init(d, 3, CTX_TT(TT_XLATE));
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R | PTE_SNP);
    dmar_map(d, IOVA_B, PAGE_OUT, 1, PTE_W | PTE_SNP);
    dmar_map(d, IOVA_C & ~0x1fffffull, BIG_2M_A, 2, PTE_RW | PTE_SNP);
    dmar_fill(d, PAGE_P1, 0x61);
    dmar_fill(d, BIG_2M_A + (IOVA_C & 0x1fffff), 0x62);
    dmar_zero(d, PAGE_OUT);
    dmar_zero(d, SCRATCH);
    dmar_enable(d, ROOT_TABLE);

    dmar_dma_in(d, IOVA_A);
    if (on) {
        dmar_assert_no_fault(d);
        dmar_dma_out(d, IOVA_B);
        g_assert_true(dmar_holds(d, PAGE_OUT, 0x61));
        dmar_copy(d, IOVA_C, IOVA_B);
        g_assert_true(dmar_holds(d, PAGE_OUT, 0x62));
        dmar_assert_no_fault(d);
    } else {
        dmar_assert_frcd(d, 0, IOVA_A, FR_PTE_RSVD, false);
        /* nothing reached edu: look untranslated */
        dmar_wr32(d, REG_GCMD, 0);
        dmar_dma_out(d, SCRATCH);
        g_assert_false(dmar_holds(d, SCRATCH, 0x61));
    }
    dmar_free(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vtd-dmar/props/same-binary", test_same_binary);
    qtest_add_func("/vtd-dmar/props/reference", test_reference);
    for (unsigned i = 0; i < ARRAY_SIZE(refused); i++) {
        g_autofree char *path = g_strdup_printf("/vtd-dmar/props/refused/%s",
                                                refused[i].props);

        qtest_add_data_func(path, &refused[i], test_refused);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(accepted); i++) {
        g_autofree char *path = g_strdup_printf(
            "/vtd-dmar/props/accepted/%s",
            *accepted[i].props ? accepted[i].props : "defaults");

        qtest_add_data_func(path, &accepted[i], test_accepted);
    }
    qtest_add_data_func("/vtd-dmar/props/dma-translation/off",
                        GINT_TO_POINTER(false), test_dma_translation);
    qtest_add_data_func("/vtd-dmar/props/dma-translation/on",
                        GINT_TO_POINTER(true), test_dma_translation);
    qtest_add_data_func("/vtd-dmar/props/snoop-control/on",
                        GINT_TO_POINTER(true), test_snoop_control);
    qtest_add_data_func("/vtd-dmar/props/snoop-control/off",
                        GINT_TO_POINTER(false), test_snoop_control);
    return g_test_run();
}
