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
 * Plumbing in vtd-dmar-qtest.h; vtd-dmar-test.c says how the tests work.
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
    { NULL, NULL }
};

/* vtd-dmar properties that intel-iommu has no counterpart for */
static const PropNote dmar_only[] = {
    { "nfr", "intel-iommu has a fixed number of fault recording registers" },
    { "iotlb-entries", "intel-iommu's IOTLB size is fixed" },
    { "ctx-entries", "intel-iommu's context cache is not bounded" },
    { "x-verify-iotlb", "debug aid: re-walk on every IOTLB hit" },
    { "x-dma-blocks", "whole-block translations; off for a QEMU 10.0 race" },
    { "pci-bus", "link set by the board (intel-iommu finds the bus itself)" },
    { "downstream", "link set by the board (intel-iommu uses system memory)" },
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
    QDict *rsp = qtest_qmp_assert_success_ref(qts,
        "{ 'execute': 'device-list-properties',"
        "  'arguments': { 'typename': %s } }", type);
    QList *list = qdict_get_qlist(rsp, "return");
    QDict *props = qdict_new();
    QListEntry *e;

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

    for (const QDictEntry *e = qdict_first(ref); e; e = qdict_next(ref, e)) {
        const char *name = qdict_entry_key(e);
        QDict *want = qobject_to(QDict, qdict_entry_value(e));
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
 * vtd-dmar properties REF has no counterpart for are in dmar_only, or
 * (ALSO, may be NULL) are names of ALSO_NAME. Returns the others.
 */
static char *extras(QDict *dmar, QDict *ref, QDict *also,
                    const char *also_name)
{
    GString *bad = g_string_new("");

    for (const QDictEntry *e = qdict_first(dmar); e;
         e = qdict_next(dmar, e)) {
        const char *name = qdict_entry_key(e);
        const char *why = note_for(dmar_only, name);

        if (qdict_haskey(ref, name)) {
            continue;
        }
        if (why) {
            g_test_message("vtd-dmar only: %s: %s", name, why);
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
    g_autofree char *more = extras(dmar, ref, NULL, NULL);

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
    const char *refbin = g_getenv("VTD_DMAR_REF_QEMU");
    QTestState *qts, *rq;

    if (!refbin || !*refbin) {
        g_test_skip("VTD_DMAR_REF_QEMU is not set: no QEMU 11.1 binary to "
                    "compare with (scripts/test sets it)");
        return;
    }
    if (!g_file_test(refbin, G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("VTD_DMAR_REF_QEMU does not name an executable");
        return;
    }

    qts = qtest_init("-M none");
    rq = qtest_init_with_env("VTD_DMAR_REF_QEMU", "-M none", true);
    {
        g_autoptr(QDict) ref = list_props(rq, "intel-iommu");
        g_autoptr(QDict) old = list_props(qts, "intel-iommu");
        g_autoptr(QDict) dmar = list_props(qts, "vtd-dmar");
        g_autofree char *bad = compare(ref, dmar, "intel-iommu(ref)");
        g_autofree char *more = extras(dmar, ref, old, "10.0's intel-iommu");

        qtest_quit(rq);
        qtest_quit(qts);
        g_assert_cmpstr(bad, ==, "");
        g_assert_cmpstr(more, ==, "");
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vtd-dmar/props/same-binary", test_same_binary);
    qtest_add_func("/vtd-dmar/props/reference", test_reference);
    return g_test_run();
}
