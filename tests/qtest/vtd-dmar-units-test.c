/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: several remapping units on one q35 machine, RMRRs
 * and the platform opt-in flag (issue 16; docs/vtd-dmar.rst).
 *
 * The machines. edu0 sits at 00:04.0 on pcie.0. Expander K (pxb-pcie
 * "pxbK", root bus 0x40 * K) holds a pcie-root-port "rpK" at 00.0 whose
 * secondary bus, 0x40 * K + 1, holds eduK at 00.0. No firmware runs
 * under qtest, so the test numbers the root ports' buses and opens their
 * memory windows itself. The unit without primary-bus (the catch-all)
 * has its registers at DMAR_BASE, the K-th one with a primary-bus at
 * DMAR_UNIT(K); each edu gets a QDmar whose base is its unit's, with its
 * own root and context tables, page-table pool, queue and interrupt
 * remapping table, so that data that arrives shows whose tables a unit
 * used.
 *
 * Checked: the DMAR table's bytes (DRHD order, bases, sizes, scopes,
 * RMRRs, flags; the checksum as the table loader has firmware compute
 * it) and the e820 reservations of RMRRs; each unit's registers,
 * translation, faults, queue, interrupt entry cache and interrupt
 * remapping table being its own (also with a unit claiming pcie.0), the
 * IOAPIC going through the catch-all, requester-id aliases behind a
 * PCIe-to-PCI bridge, reset and migration of both units; every refused
 * configuration's message; and query-vtd-dmar, info vtd-dmar,
 * x-vtd-dmar-translate and VTD_DMAR_FAULT naming the right unit.
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

#define MAX_EDU         4               /* edu0 and up to three expanders */
#define WIDE_DMA        ",dma_mask=0xffffffffffffffff"
#define EDU_BAR_SIZE    0x100000ull     /* edu's BAR 0: 1 MiB */

/* Root bus of expander K, and its root port's secondary bus */
#define PXB_BUS(k)      (0x40u * (k))
#define RP_BUS(k)       (PXB_BUS(k) + 1)

/* Guest RAM for edu I's unit (beside vtd-dmar-defs.h's, which edu0 uses) */
#define U_ROOT(i)       (0x01000000ull + (i) * 0x10000ull)
#define U_CTX(i)        (U_ROOT(i) + 0x1000)
#define U_IQ(i)         (0x01400000ull + (i) * 0x10000ull)
#define U_IRT(i)        (0x01800000ull + (i) * 0x100000ull)
#define U_STATUS(i)     (0x01c00000ull + (i) * 0x100ull)
#define U_FEMSG(i)      (0x01d00000ull + (i) * 0x10ull)
#define U_POOL(i)       (PT_POOL + (i) * 0x80000ull)
#define U_DOMAIN(i)     (DOMAIN + (i))

/* DMAR table (VT-d §8) */
#define DMAR_HDR_LEN    48
#define DMAR_F_INTR     0x1             /* §8.1 INTR_REMAP */
#define DMAR_F_OPT_IN   0x4             /* §8.1 DMA_CTRL_PLATFORM_OPT_IN */
#define DRHD_F_ALL      0x1             /* §8.3 INCLUDE_PCI_ALL */
#define T_DRHD          0
#define T_RMRR          1
#define T_ATSR          2
#define ATSR_F_ALL      0x1             /* §8.5 ALL_PORTS */
#define SC_ENDPOINT     1
#define SC_BRIDGE       2
#define SC_IOAPIC       3
#define MAX_PATH        8
#define MAX_SCOPES      64
#define MAX_STRUCTS     24

/* ================= the machine ================= */

typedef struct Mach {
    QTestState *qts;
    QPCIBus *bus;
    QDmar *e[MAX_EDU];          /* e[i]: edu I and the unit that covers it */
    unsigned n;
} Mach;

/* Expanders 1..NPXB, each with a root port and an edu behind it */
static GString *pxb_args(unsigned npxb)
{
    GString *s = g_string_new("");

    for (unsigned k = 1; k <= npxb; k++) {
        g_string_append_printf(s,
            "-device pxb-pcie,id=pxb%u,bus=pcie.0,bus_nr=0x%x,addr=0x%x "
            "-device pcie-root-port,id=rp%u,bus=pxb%u,addr=00.0,"
            "chassis=%u,slot=%u "
            "-device edu,id=edu%u,bus=rp%u,addr=00.0" WIDE_DMA " ",
            k, PXB_BUS(k), 0x10 + k, k, k, k, k, k, k);
    }
    return s;
}

static char *mach_cmdline(unsigned npxb, const char *units)
{
    g_autoptr(GString) pxb = pxb_args(npxb);

    return g_strdup_printf("-M q35 %s %s "
                           "-device edu,id=edu0,bus=pcie.0,addr=04.0" WIDE_DMA,
                           pxb->str, units);
}

/*
 * The bridge at DEVFN (bus number in bits 15:8) forwards buses SEC..SUB
 * and the 1 MiB window where qpci_iomap() will put the next edu's BAR
 */
static void open_bridge(Mach *m, int devfn, unsigned sec, unsigned sub)
{
    QPCIDevice *br = qpci_device_find(m->bus, devfn);
    uint64_t win = QEMU_ALIGN_UP(m->bus->mmio_alloc_ptr, EDU_BAR_SIZE);

    g_assert_nonnull(br);
    g_assert_cmphex(qpci_config_readw(br, PCI_VENDOR_ID), ==, 0x1b36);
    qpci_config_writeb(br, PCI_PRIMARY_BUS, devfn >> 8);
    qpci_config_writeb(br, PCI_SECONDARY_BUS, sec);
    qpci_config_writeb(br, PCI_SUBORDINATE_BUS, sub);
    qpci_config_writew(br, PCI_MEMORY_BASE, (win >> 16) & 0xfff0);
    qpci_config_writew(br, PCI_MEMORY_LIMIT,
                       ((win + EDU_BAR_SIZE - 1) >> 16) & 0xfff0);
    qpci_device_enable(br);
    g_free(br);
}

/* An edu and what the unit sees of it: its requester id (source-id) */
typedef struct UDev {
    QDmar d;                    /* first: a QDmar * is a UDev * */
    uint16_t rid;
} UDev;

/* Edu I at DEVFN, with requester id RID, covered by the unit at BASE */
static QDmar *edu_attach_at(Mach *m, unsigned i, uint64_t base, int devfn,
                            uint16_t rid)
{
    UDev *u = g_new0(UDev, 1);
    QDmar *d = &u->d;

    u->rid = rid;
    d->qts = m->qts;
    d->bus = m->bus;
    d->pool = U_POOL(i);
    d->base = base;
    d->edu = qpci_device_find(m->bus, devfn);
    g_assert_nonnull(d->edu);
    g_assert_cmphex(qpci_config_readl(d->edu, 0), ==, 0x11e81234);
    qpci_device_enable(d->edu);
    d->bar = qpci_iomap(d->edu, 0, NULL);
    return d;
}

static QDmar *edu_attach(Mach *m, unsigned i, uint64_t base)
{
    int devfn = i ? RP_BUS(i) << 8 : EDU_DEVFN;

    if (i) {
        open_bridge(m, PXB_BUS(i) << 8, RP_BUS(i), RP_BUS(i));
    }
    return edu_attach_at(m, i, base, devfn, devfn);
}

/*
 * q35 with NPXB expanders and the -device arguments UNITS; BASES[I] is
 * the register base of the unit that covers edu I
 */
static Mach *mach_boot(unsigned npxb, const char *units,
                       const uint64_t *bases)
{
    Mach *m = g_new0(Mach, 1);
    g_autofree char *args = mach_cmdline(npxb, units);

    g_assert_cmpuint(npxb, <, MAX_EDU);
    m->qts = qtest_init(args);
    m->bus = qpci_new_pc(m->qts, NULL);
    m->n = npxb + 1;
    for (unsigned i = 0; i < m->n; i++) {
        m->e[i] = edu_attach(m, i, bases[i]);
    }
    return m;
}

static void mach_free(Mach *m)
{
    for (unsigned i = 0; i < m->n; i++) {
        g_free(m->e[i]->edu);
        g_free(m->e[i]);
    }
    qpci_free_pc(m->bus);
    qtest_quit(m->qts);
    g_free(m);
}

/* The two-unit machine: catch-all "dmarA" (edu0), "dmarB" on pxb1 (edu1) */
#define UNITS_AB        "-device vtd-dmar,id=dmarA%s " \
                        "-device vtd-dmar,id=dmarB,primary-bus=pxb1%s"

#define UNITS_AB_PLAIN  "-device vtd-dmar,id=dmarA " \
                        "-device vtd-dmar,id=dmarB,primary-bus=pxb1"

static Mach *boot_ab(const char *props_a, const char *props_b)
{
    static const uint64_t bases[] = { DMAR_BASE, DMAR_UNIT(1) };
    g_autofree char *units = g_strdup_printf(UNITS_AB, props_a, props_b);

    return mach_boot(1, units, bases);
}

/*
 * The two-unit machine of a per-unit test: OPAQUE 0 is boot_ab()'s; 1
 * has "dmar0" claim pcie.0 (edu0, at DMAR_UNIT(1)) and the catch-all
 * "dmarA" cover pxb1 (edu1). PROPS go to both units. In the tests, A is
 * edu0's unit and B edu1's, in either machine.
 */
static Mach *boot_pair(const void *opaque, const char *props)
{
    static const uint64_t bases[] = { DMAR_UNIT(1), DMAR_BASE };
    g_autofree char *units = NULL;

    if (!GPOINTER_TO_INT(opaque)) {
        return boot_ab(props, props);
    }
    units = g_strdup_printf("-device vtd-dmar,id=dmarA%s "
                            "-device vtd-dmar,id=dmar0,primary-bus=pcie.0%s",
                            props, props);
    return mach_boot(1, units, bases);
}

/* Requester id of D's edu */
static uint16_t sid_of(QDmar *d)
{
    return ((UDev *)d)->rid;
}

/* ================= QMP plumbing ================= */

static void show(const char *what, QObject *o)
{
    g_autoptr(GString) s = qobject_to_json(o);

    g_test_message("%s: %s", what, s->str);
}

static uint64_t num(QDict *d, const char *key)
{
    QNum *n = qobject_to(QNum, qdict_get(d, key));
    uint64_t v;

    if (!n) {
        g_test_message("no number '%s'", key);
        show("in", QOBJECT(d));
    }
    g_assert_nonnull(n);
    g_assert_true(qnum_get_try_uint(n, &v));
    return v;
}

static void dict_unref(gpointer p)
{
    qobject_unref((QDict *)p);
}

static QObject *qmp_ok(QDict *resp)
{
    QObject *r;

    if (!qdict_haskey(resp, "return")) {
        show("error", QOBJECT(resp));
    }
    r = qobject_ref(qdict_get(resp, "return"));
    g_assert_nonnull(r);
    qobject_unref(resp);
    return r;
}

/* ================= tables, faults, events for edu I ================= */

/* Fresh root and context tables for edu I, at U_ROOT(I) */
static void u_tables_init(QDmar *d, unsigned i, unsigned levels)
{
    uint16_t sid = sid_of(d);

    qtest_memset(d->qts, U_ROOT(i), 0, 0x2000);
    d->levels = levels;
    d->slpt = dmar_table_new(d);
    qtest_writeq(d->qts, U_ROOT(i) + (sid >> 8) * 16, U_CTX(i) | ROOT_P);
    qtest_writeq(d->qts, U_CTX(i) + (sid & 0xff) * 16, d->slpt | CTX_P);
    qtest_writeq(d->qts, U_CTX(i) + (sid & 0xff) * 16 + 8,
                 CTX_AW(levels) | CTX_DID(U_DOMAIN(i)));
}

/* Map IOVA_A -> PAGE_P1 (read) and IOVA_B -> OUT (write), turn on TE */
static void u_translate_on(QDmar *d, unsigned i, uint64_t out)
{
    u_tables_init(d, i, 3);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, out, 1, PTE_W);
    dmar_enable(d, U_ROOT(i));
}

/* D's edu copies pattern SEED from IOVA_A to IOVA_B: it lands at OUT */
static void assert_copy(QDmar *d, uint64_t out, uint8_t seed)
{
    dmar_fill(d, PAGE_P1, seed);
    dmar_zero(d, out);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, out, seed));
}

/* Fault events of D's unit are written to U_FEMSG(I), data 0xfe00 + I */
static void u_fault_events(QDmar *d, unsigned i)
{
    qtest_writel(d->qts, U_FEMSG(i), 0);
    dmar_wr32(d, REG_FEDATA, 0xfe00 + i);
    dmar_wr32(d, REG_FEADDR, U_FEMSG(i));
    dmar_wr32(d, REG_FEUADDR, 0);
    dmar_wr32(d, REG_FECTL, 0);
}

/* No fault record of D's unit holds anything, FSTS is clear */
static void assert_no_records(QDmar *d)
{
    for (unsigned i = 0; i < 8; i++) {
        g_assert_cmphex(dmar_rd64(d, REG_FRCD(i) + 8) & FRCD_F, ==, 0);
    }
    dmar_assert_no_fault(d);
}

/*
 * Exactly one fault record of D's unit is pending: a DMA fault of D's
 * edu at IOVA, reason FR; FSTS points at it
 */
static void assert_dma_fault(QDmar *d, uint64_t iova, uint8_t fr, bool write)
{
    uint64_t hi = FRCD_F | (write ? 0 : FRCD_T1) | FRCD_FR(fr) | sid_of(d);
    unsigned rec = frcd_pending(d);

    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(rec));
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(rec)), ==, iova & ~0xfffull);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(rec) + 8), ==, hi);
}

/* Clear D's one pending fault record */
static void clear_fault(QDmar *d)
{
    dmar_frcd_clear(d, (dmar_fsts(d) >> 8) & 0xff);
    dmar_assert_no_fault(d);
}

/* ================= the DMAR table, parsed ================= */

typedef struct Scope {
    uint8_t type, len, enum_id, bus;
    uint8_t path[MAX_PATH][2];  /* device, function */
    unsigned npath;
} Scope;

typedef struct Struct {
    uint16_t type, len;
    uint8_t flags, size;        /* DRHD; ATSR: flags */
    uint16_t segment;
    uint64_t base, limit;       /* DRHD: base only */
    Scope scope[MAX_SCOPES];
    unsigned nscope;
} Struct;

typedef struct Dmar {
    uint8_t haw, flags;
    Struct s[MAX_STRUCTS];
    unsigned n;
    unsigned ndrhd, nrmrr, natsr;
} Dmar;

static void show_table(const uint8_t *t, size_t len)
{
    g_autoptr(GString) s = g_string_new("");

    for (size_t i = 0; i < len; i++) {
        g_string_append_printf(s, "%s%02x", i % 16 ? " " : "\n  ", t[i]);
    }
    g_test_message("DMAR table, %zu bytes:%s", len, s->str);
}

/* §8.3.1 device scope entries from OFF to END */
static void parse_scopes(const uint8_t *t, unsigned off, unsigned end,
                         Struct *st)
{
    while (off < end) {
        Scope *sc = &st->scope[st->nscope++];

        g_assert_cmpuint(st->nscope, <=, MAX_SCOPES);
        g_assert_cmpuint(off + 6, <=, end);
        sc->type = t[off];
        sc->len = t[off + 1];
        g_assert_cmpuint(lduw_le_p(t + off + 2), ==, 0);    /* reserved */
        sc->enum_id = t[off + 4];
        sc->bus = t[off + 5];
        g_assert_cmpuint(sc->len, >=, 8);
        g_assert_cmpuint(sc->len % 2, ==, 0);
        g_assert_cmpuint(off + sc->len, <=, end);
        sc->npath = (sc->len - 6) / 2;
        g_assert_cmpuint(sc->npath, <=, MAX_PATH);
        for (unsigned p = 0; p < sc->npath; p++) {
            sc->path[p][0] = t[off + 6 + 2 * p];
            sc->path[p][1] = t[off + 7 + 2 * p];
        }
        off += sc->len;
    }
    g_assert_cmpuint(off, ==, end);
}

/*
 * The table as QEMU built it: header (length, revision, checksum), then
 * DRHDs (§8.3), RMRRs (§8.4) and ATSRs (§8.5), in that order; anything
 * else fails
 */
static void parse_dmar(const uint8_t *t, size_t len, Dmar *out)
{
    uint8_t sum = 0;
    unsigned off = DMAR_HDR_LEN;

    show_table(t, len);
    memset(out, 0, sizeof(*out));
    g_assert_cmpuint(len, >=, DMAR_HDR_LEN);
    g_assert_cmpmem(t, 4, "DMAR", 4);
    g_assert_cmpuint(ldl_le_p(t + 4), ==, len);
    g_assert_cmpuint(t[8], ==, 1);                          /* revision */
    for (size_t i = 0; i < len; i++) {
        sum += t[i];
    }
    g_assert_cmpuint(sum, ==, 0);
    out->haw = t[36];
    out->flags = t[37];
    for (unsigned i = 38; i < DMAR_HDR_LEN; i++) {
        g_assert_cmpuint(t[i], ==, 0);                      /* reserved */
    }
    while (off < len) {
        Struct *st = &out->s[out->n++];

        g_assert_cmpuint(out->n, <=, MAX_STRUCTS);
        g_assert_cmpuint(off + 4, <=, len);
        st->type = lduw_le_p(t + off);
        st->len = lduw_le_p(t + off + 2);
        g_assert_cmpuint(off + st->len, <=, len);
        if (st->type == T_DRHD) {
            g_assert_cmpuint(out->nrmrr, ==, 0);    /* DRHDs come first */
            g_assert_cmpuint(out->natsr, ==, 0);
            g_assert_cmpuint(st->len, >=, 16);
            st->flags = t[off + 4];
            st->size = t[off + 5];
            st->segment = lduw_le_p(t + off + 6);
            st->base = ldq_le_p(t + off + 8);
            parse_scopes(t, off + 16, off + st->len, st);
            out->ndrhd++;
        } else if (st->type == T_ATSR) {
            g_assert_cmpuint(st->len, >=, 8);
            st->flags = t[off + 4];
            g_assert_cmpuint(t[off + 5], ==, 0);                /* reserved */
            st->segment = lduw_le_p(t + off + 6);
            parse_scopes(t, off + 8, off + st->len, st);
            out->natsr++;
        } else {
            g_assert_cmpuint(st->type, ==, T_RMRR);
            g_assert_cmpuint(out->natsr, ==, 0);    /* before ATSRs */
            g_assert_cmpuint(st->len, >=, 24);
            g_assert_cmpuint(lduw_le_p(t + off + 4), ==, 0);    /* reserved */
            st->segment = lduw_le_p(t + off + 6);
            st->base = ldq_le_p(t + off + 8);
            st->limit = ldq_le_p(t + off + 16);
            parse_scopes(t, off + 24, off + st->len, st);
            out->nrmrr++;
        }
        off += st->len;
    }
    g_assert_cmpuint(off, ==, len);
}

#define LOADER_CMD_LEN          128
#define LOADER_ADD_CHECKSUM     3
#define TABLES_FILE             "etc/acpi/tables"

/*
 * The DMAR table as the guest gets it: from the ACPI tables blob, with
 * the checksum that firmware computes from the table loader's
 * ADD_CHECKSUM command, which must cover exactly the table
 */
static void read_dmar(Mach *m, Dmar *out)
{
    size_t size, lsize, len = 0;
    g_autofree uint8_t *blob = dmar_fw_cfg_file(m->e[0], TABLES_FILE, &size);
    g_autofree uint8_t *loader = dmar_fw_cfg_file(m->e[0], "etc/table-loader",
                                                  &lsize);
    g_autofree uint8_t *t = NULL;
    int start = -1, cmd = -1;
    uint8_t sum = 0;

    for (size_t i = 0; i + DMAR_HDR_LEN <= size; i++) {
        if (!memcmp(blob + i, "DMAR", 4) && blob[i + 8] == 1) {
            g_assert_cmpint(start, ==, -1);
            start = i;
            len = ldl_le_p(blob + i + 4);
        }
    }
    g_assert_cmpint(start, >=, 0);
    g_assert_cmpuint(len, >=, DMAR_HDR_LEN);
    g_assert_cmpuint(start + len, <=, size);
    for (size_t c = 0; c + LOADER_CMD_LEN <= lsize; c += LOADER_CMD_LEN) {
        const uint8_t *e = loader + c;

        if (ldl_le_p(e) == LOADER_ADD_CHECKSUM &&
            !strncmp((const char *)e + 4, TABLES_FILE, 56) &&
            ldl_le_p(e + 64) == start) {
            g_assert_cmpint(cmd, ==, -1);
            cmd = c;
        }
    }
    g_assert_cmpint(cmd, >=, 0);
    g_assert_cmpuint(ldl_le_p(loader + cmd + 60), ==, start + 9);
    g_assert_cmpuint(ldl_le_p(loader + cmd + 68), ==, len);
    t = g_memdup2(blob + start, len);
    for (size_t i = 0; i < len; i++) {
        sum += t[i];
    }
    t[9] -= sum;
    parse_dmar(t, len, out);
}

/* One scope per function on root bus BUS (a bridge for what is behind) */
static unsigned expected_bus_scopes(Mach *m, unsigned bus, Scope *out)
{
    g_autoptr(QDict) rsp = qtest_qmp(m->qts, "{'execute': 'query-pci'}");
    QList *buses = qdict_get_qlist(rsp, "return");
    QListEntry *be, *de;
    unsigned n = 0;
    bool found = false;

    g_assert_nonnull(buses);
    QLIST_FOREACH_ENTRY(buses, be) {
        QDict *b = qobject_to(QDict, qlist_entry_obj(be));

        if (qdict_get_int(b, "bus") != bus) {
            continue;
        }
        found = true;
        QLIST_FOREACH_ENTRY(qdict_get_qlist(b, "devices"), de) {
            QDict *dev = qobject_to(QDict, qlist_entry_obj(de));
            Scope *sc = &out[n++];

            g_assert_cmpuint(n, <=, MAX_SCOPES);
            memset(sc, 0, sizeof(*sc));
            sc->type = qdict_haskey(dev, "pci_bridge") ? SC_BRIDGE :
                       SC_ENDPOINT;
            sc->len = 8;
            sc->bus = bus;
            sc->npath = 1;
            sc->path[0][0] = qdict_get_int(dev, "slot");
            sc->path[0][1] = qdict_get_int(dev, "function");
        }
    }
    g_assert_true(found);
    return n;
}

static gint scope_cmp(gconstpointer a, gconstpointer b)
{
    const Scope *x = a, *y = b;

    return memcmp(&x->type, &y->type, 4) ? memcmp(&x->type, &y->type, 4) :
           memcmp(x->path, y->path, sizeof(x->path));
}

static void show_scope(const char *what, const Scope *sc)
{
    g_autoptr(GString) p = g_string_new("");

    for (unsigned i = 0; i < sc->npath; i++) {
        g_string_append_printf(p, " %02x.%x", sc->path[i][0], sc->path[i][1]);
    }
    g_test_message("%s: type %u len %u enum %u bus 0x%02x path%s", what,
                   sc->type, sc->len, sc->enum_id, sc->bus, p->str);
}

/* ST's scopes are WANT's (in any order) */
static void assert_scopes(const Struct *st, const Scope *want, unsigned n)
{
    g_autofree Scope *a = g_memdup2(st->scope, st->nscope * sizeof(Scope));
    g_autofree Scope *b = g_memdup2(want, n * sizeof(Scope));

    qsort(a, st->nscope, sizeof(Scope), (int (*)(const void *,
                                                  const void *))scope_cmp);
    qsort(b, n, sizeof(Scope), (int (*)(const void *, const void *))scope_cmp);
    for (unsigned i = 0; i < MAX(st->nscope, n); i++) {
        if (i < st->nscope) {
            show_scope("table", &a[i]);
        }
        if (i < n) {
            show_scope("expected", &b[i]);
        }
    }
    g_assert_cmpuint(st->nscope, ==, n);
    for (unsigned i = 0; i < n; i++) {
        g_assert_cmpint(scope_cmp(&a[i], &b[i]), ==, 0);
    }
}

static const Scope ioapic_scope = {
    .type = SC_IOAPIC, .len = 8, .enum_id = 0, .bus = 0xff, .npath = 1,
};

/*
 * DRHD I is the unit at BASE, with the register window's size of the
 * one-unit table (SIZE) and a window that fits the DMAR_UNIT_STRIDE
 */
static void assert_drhd(const Dmar *t, unsigned i, uint64_t base,
                        uint8_t flags, uint8_t size)
{
    const Struct *st = &t->s[i];

    g_assert_cmpuint(st->type, ==, T_DRHD);
    g_assert_cmphex(st->base, ==, base);
    g_assert_cmphex(st->flags, ==, flags);
    g_assert_cmpuint(st->segment, ==, 0);
    g_assert_cmpuint(st->size, ==, size);
    g_assert_cmphex(0x1000ull << st->size, <=, DMAR_UNIT_STRIDE);
}

/* The catch-all's DRHD: INCLUDE_PCI_ALL and the IOAPIC, nothing else */
static void assert_catch_all(const Dmar *t, unsigned i, uint8_t size)
{
    assert_drhd(t, i, DMAR_BASE, DRHD_F_ALL, size);
    assert_scopes(&t->s[i], &ioapic_scope, 1);
}

/* A claiming unit's DRHD: the scopes of what root bus BUS holds */
static void assert_claimed(Mach *m, const Dmar *t, unsigned i,
                           uint64_t base, unsigned bus, uint8_t size)
{
    Scope want[MAX_SCOPES];
    unsigned n = expected_bus_scopes(m, bus, want);

    assert_drhd(t, i, base, 0, size);
    g_assert_cmpuint(n, >, 0);
    assert_scopes(&t->s[i], want, n);
}

/* The one-unit table's register window size field */
static uint8_t one_unit_size(void)
{
    QDmar *d = dmar_boot("");
    size_t len = 0;
    g_autofree uint8_t *t = dmar_acpi_table(d, &len);
    uint8_t size = t[DMAR_HDR_LEN + 5];

    dmar_free(d);
    return size;
}

/* ---- 1. the table's shape ---- */

/* One unit: as before issue 16 (one DRHD, INCLUDE_PCI_ALL, the IOAPIC) */
static void test_table_one(void)
{
    static const uint64_t bases[] = { DMAR_BASE };
    Mach *m = mach_boot(0, "-device vtd-dmar,id=dmarA", bases);
    Dmar t;

    read_dmar(m, &t);
    g_assert_cmpuint(t.ndrhd, ==, 1);
    g_assert_cmpuint(t.nrmrr, ==, 0);
    g_assert_cmpuint(t.natsr, ==, 0);       /* no device-TLBs */
    g_assert_cmpuint(t.s[0].len, ==, 16 + 8);
    assert_catch_all(&t, 0, t.s[0].size);
    g_assert_cmphex(t.flags, ==,
                    dmar_rd64(m->e[0], REG_ECAP) & ECAP_IR ? DMAR_F_INTR : 0);
    mach_free(m);
}

/*
 * Two units, the catch-all given first or last: the unit on pxb1 first
 * (at DMAR_UNIT(1), the root port on bus 0x40 as a bridge), the
 * catch-all last; same HAW and window size as with one unit.
 */
static void test_table_two(const void *opaque)
{
    static const uint64_t bases[] = { DMAR_BASE, DMAR_UNIT(1) };
    bool catch_all_last = GPOINTER_TO_INT(opaque);
    const char *units = catch_all_last ?
        "-device vtd-dmar,id=dmarB,primary-bus=pxb1 -device vtd-dmar,id=dmarA" :
        "-device vtd-dmar,id=dmarA -device vtd-dmar,id=dmarB,primary-bus=pxb1";
    uint8_t size = one_unit_size();
    Mach *m = mach_boot(1, units, bases);
    Dmar t;

    read_dmar(m, &t);
    g_assert_cmpuint(t.ndrhd, ==, 2);
    g_assert_cmpuint(t.nrmrr, ==, 0);
    assert_claimed(m, &t, 0, DMAR_UNIT(1), PXB_BUS(1), size);
    g_assert_cmpuint(t.s[0].nscope, ==, 1);
    g_assert_cmpuint(t.s[0].scope[0].type, ==, SC_BRIDGE);
    assert_catch_all(&t, 1, size);
    g_assert_cmphex(t.flags & DMAR_F_INTR, ==,
                    dmar_rd64(m->e[0], REG_ECAP) & ECAP_IR ? DMAR_F_INTR : 0);
    g_assert_cmphex(t.flags & ~DMAR_F_INTR, ==, 0);
    /* each unit answers at its base */
    g_assert_cmphex(dmar_rd32(m->e[0], REG_VER), ==, 0x41);
    g_assert_cmphex(dmar_rd32(m->e[1], REG_VER), ==, 0x41);
    mach_free(m);
}

/* Three units: pxb1's and pxb2's in command-line order, then catch-all */
static void test_table_three(void)
{
    static const uint64_t bases[] = { DMAR_BASE, DMAR_UNIT(2), DMAR_UNIT(1) };
    /* pxb2's unit is given before pxb1's: k follows the command line */
    const char *units = "-device vtd-dmar,id=dmarC,primary-bus=pxb2 "
                        "-device vtd-dmar,id=dmarA "
                        "-device vtd-dmar,id=dmarB,primary-bus=pxb1";
    uint8_t size = one_unit_size();
    Mach *m = mach_boot(2, units, bases);
    Dmar t;

    read_dmar(m, &t);
    g_assert_cmpuint(t.ndrhd, ==, 3);
    assert_claimed(m, &t, 0, DMAR_UNIT(1), PXB_BUS(2), size);
    assert_claimed(m, &t, 1, DMAR_UNIT(2), PXB_BUS(1), size);
    assert_catch_all(&t, 2, size);
    mach_free(m);
}

/*
 * One unit claims pcie.0 and lists every function on it; the catch-all
 * covers the rest (pxb1) with INCLUDE_PCI_ALL and keeps the IOAPIC
 */
static void test_table_claim_pcie0(void)
{
    static const uint64_t bases[] = { DMAR_UNIT(1), DMAR_BASE };
    const char *units = "-device vtd-dmar,id=dmarA "
                        "-device vtd-dmar,id=dmar0,primary-bus=pcie.0";
    uint8_t size = one_unit_size();
    Mach *m = mach_boot(1, units, bases);
    Dmar t;

    read_dmar(m, &t);
    g_assert_cmpuint(t.ndrhd, ==, 2);
    assert_claimed(m, &t, 0, DMAR_UNIT(1), 0, size);
    assert_catch_all(&t, 1, size);
    mach_free(m);
}

/*
 * A root bus that bypasses the IOMMU (pxb2, bypass_iommu=on): the
 * catch-all drops INCLUDE_PCI_ALL and lists the IOAPIC and the devices of
 * the root bus nobody claims (pcie.0), not pxb1's nor pxb2's
 */
static void test_table_bypass(void)
{
    static const uint64_t bases[] = { DMAR_BASE, DMAR_UNIT(1) };
    const char *units =
        "-device pxb-pcie,id=pxb2,bus=pcie.0,bus_nr=0x80,addr=0x12,"
        "bypass_iommu=on "
        "-device pcie-root-port,id=rp2,bus=pxb2,addr=00.0,chassis=2,slot=2 "
        "-device vtd-dmar,id=dmarB,primary-bus=pxb1 -device vtd-dmar,id=dmarA";
    uint8_t size = one_unit_size();
    Mach *m = mach_boot(1, units, bases);
    Scope want[MAX_SCOPES];
    unsigned n;
    Dmar t;

    read_dmar(m, &t);
    g_assert_cmpuint(t.ndrhd, ==, 2);
    assert_claimed(m, &t, 0, DMAR_UNIT(1), PXB_BUS(1), size);
    assert_drhd(&t, 1, DMAR_BASE, 0, size);
    n = expected_bus_scopes(m, 0, want);
    want[n++] = ioapic_scope;
    assert_scopes(&t.s[1], want, n);
    mach_free(m);
}

/* ---- 5. the platform opt-in flag; INTR_REMAP follows the catch-all ---- */

typedef struct FlagCase {
    const char *name;
    const char *props_a, *props_b;  /* NULL props_b: one unit */
    uint8_t flags;
} FlagCase;

static const FlagCase flag_cases[] = {
    { "one-off", ",intremap=off", NULL, 0 },
    { "one-on", ",intremap=off,platform-opt-in=on", NULL, DMAR_F_OPT_IN },
    { "one-explicit-off", ",intremap=on,platform-opt-in=off", NULL,
      DMAR_F_INTR },
    { "one-ir-on", ",intremap=on,platform-opt-in=on", NULL,
      DMAR_F_INTR | DMAR_F_OPT_IN },
    { "two-off", ",intremap=off", ",intremap=off", 0 },
    { "two-on-catch-all", ",intremap=off,platform-opt-in=on", ",intremap=off",
      DMAR_F_OPT_IN },
    { "two-on-claiming", ",intremap=off", ",intremap=off,platform-opt-in=on",
      DMAR_F_OPT_IN },
    { "two-on-both", ",platform-opt-in=on,intremap=on",
      ",intremap=on,platform-opt-in=on", DMAR_F_INTR | DMAR_F_OPT_IN },
    /* INTR_REMAP says whether the catch-all remaps interrupts */
    { "two-ir-claiming-only", ",intremap=off", ",intremap=on", 0 },
};

static void test_flags(const void *opaque)
{
    const FlagCase *c = opaque;
    Mach *m;
    Dmar t;

    if (c->props_b) {
        m = boot_ab(c->props_a, c->props_b);
    } else {
        static const uint64_t bases[] = { DMAR_BASE };
        g_autofree char *units = g_strdup_printf("-device vtd-dmar,id=dmarA%s",
                                                 c->props_a);

        m = mach_boot(0, units, bases);
    }
    read_dmar(m, &t);
    g_assert_cmphex(t.flags, ==, c->flags);
    g_assert_cmpuint(t.ndrhd, ==, c->props_b ? 2 : 1);
    mach_free(m);
}

/* ---- 4. RMRR ---- */

typedef struct RmrrWant {
    uint64_t base, limit;
    uint8_t bus;                /* start bus */
    uint8_t path[3][2];
    unsigned npath;
} RmrrWant;

/* §8.4: the RMRRs are WANT's (any order), each with one endpoint scope */
static void assert_rmrrs(const Dmar *t, const RmrrWant *want, unsigned n)
{
    g_assert_cmpuint(t->nrmrr, ==, n);
    for (unsigned i = 0; i < n; i++) {
        const RmrrWant *w = &want[i];
        const Struct *st = NULL;

        for (unsigned j = t->ndrhd; j < t->n; j++) {
            if (t->s[j].base == w->base) {
                g_assert_null(st);
                st = &t->s[j];
            }
        }
        g_test_message("RMRR 0x%" PRIx64 "..0x%" PRIx64, w->base, w->limit);
        g_assert_nonnull(st);
        g_assert_cmpuint(st->type, ==, T_RMRR);
        g_assert_cmpuint(st->len, ==, 24 + 6 + 2 * w->npath);
        g_assert_cmpuint(st->segment, ==, 0);
        g_assert_cmphex(st->limit, ==, w->limit);
        g_assert_cmpuint(st->nscope, ==, 1);
        show_scope("rmrr scope", &st->scope[0]);
        g_assert_cmpuint(st->scope[0].type, ==, SC_ENDPOINT);
        g_assert_cmpuint(st->scope[0].enum_id, ==, 0);
        g_assert_cmphex(st->scope[0].bus, ==, w->bus);
        g_assert_cmpuint(st->scope[0].npath, ==, w->npath);
        g_assert_cmpmem(st->scope[0].path, 2 * w->npath, w->path,
                        2 * w->npath);
    }
}

#define E820_ENTRY_LEN  20              /* address, length, type */
#define E820_RESERVED   2

/* fw_cfg's e820 map reports each of WANT's ranges reserved */
static void assert_e820_reserved(Mach *m, const RmrrWant *want, unsigned n)
{
    size_t len;
    g_autofree uint8_t *map = dmar_fw_cfg_file(m->e[0], "etc/e820", &len);

    g_assert_cmpuint(len % E820_ENTRY_LEN, ==, 0);
    for (unsigned i = 0; i < n; i++) {
        bool found = false;

        for (size_t e = 0; e < len; e += E820_ENTRY_LEN) {
            found |= ldq_le_p(map + e) == want[i].base &&
                     ldq_le_p(map + e + 8) ==
                     want[i].limit - want[i].base + 1 &&
                     ldl_le_p(map + e + 16) == E820_RESERVED;
        }
        g_test_message("e820: 0x%" PRIx64 "..0x%" PRIx64 " reserved: %d",
                       want[i].base, want[i].limit, found);
        g_assert_true(found);
    }
}

/* edu0 by id */
static void test_rmrr_one(void)
{
    static const uint64_t bases[] = { DMAR_BASE };
    static const RmrrWant want[] = {
        { 0x3f000000, 0x3f0fffff, 0, { { 4, 0 } }, 1 },
    };
    Mach *m = mach_boot(0, "-device '{\"driver\":\"vtd-dmar\",\"id\":\"dmarA\","
                        "\"rmrr\":[\"edu0:0x3f000000:0x3f0fffff\"]}'", bases);
    Dmar t;

    read_dmar(m, &t);
    g_assert_cmpuint(t.ndrhd, ==, 1);
    assert_rmrrs(&t, want, 1);
    assert_e820_reserved(m, want, 1);
    mach_free(m);
}

/* ---- 5. ATSR (device-iotlb=on) ---- */

/*
 * §8.5: one ATSR, last: ALL_PORTS on segment 0, no device scopes (every
 * root port takes ATS)
 */
static void assert_atsr_last(const Dmar *t)
{
    const Struct *st = &t->s[t->n - 1];

    g_assert_cmpuint(t->natsr, ==, 1);
    g_assert_cmpuint(st->type, ==, T_ATSR);
    g_assert_cmpuint(st->len, ==, 8);
    g_assert_cmphex(st->flags, ==, ATSR_F_ALL);
    g_assert_cmpuint(st->segment, ==, 0);
    g_assert_cmpuint(st->nscope, ==, 0);
}

/* One unit with device-TLBs: DRHD, then the ATSR */
static void test_atsr_one(void)
{
    static const uint64_t bases[] = { DMAR_BASE };
    Mach *m = mach_boot(0, "-device vtd-dmar,id=dmarA,device-iotlb=on",
                        bases);
    Dmar t;

    read_dmar(m, &t);
    g_assert_cmpuint(t.ndrhd, ==, 1);
    g_assert_cmpuint(t.nrmrr, ==, 0);
    g_assert_cmpuint(t.n, ==, 2);
    assert_catch_all(&t, 0, t.s[0].size);
    assert_atsr_last(&t);
    mach_free(m);
}

/*
 * Two units, only the claiming one with device-TLBs, and an RMRR: DRHDs,
 * the RMRR, then one ATSR; with neither unit offering them, none.
 */
static void test_atsr_units(const void *opaque)
{
    static const uint64_t bases[] = { DMAR_BASE, DMAR_UNIT(1) };
    static const RmrrWant want[] = {
        { 0x3f000000, 0x3f0fffff, 0, { { 4, 0 } }, 1 },
    };
    bool dt = GPOINTER_TO_INT(opaque);
    g_autofree char *units = g_strdup_printf(
        "-device '{\"driver\":\"vtd-dmar\",\"id\":\"dmarA\","
        "\"rmrr\":[\"edu0:0x3f000000:0x3f0fffff\"]}' "
        "-device vtd-dmar,id=dmarB,primary-bus=pxb1,device-iotlb=%s",
        dt ? "on" : "off");
    Mach *m = mach_boot(1, units, bases);
    Dmar t;

    read_dmar(m, &t);
    g_assert_cmpuint(t.ndrhd, ==, 2);
    assert_rmrrs(&t, want, 1);
    g_assert_cmpuint(t.n, ==, 3 + dt);
    g_assert_cmpuint(t.s[2].type, ==, T_RMRR);
    if (dt) {
        assert_atsr_last(&t);
    } else {
        g_assert_cmpuint(t.natsr, ==, 0);
    }
    mach_free(m);
}

/* Two on one unit, by id and by BB:DD.F; a 4 KiB one is fine too */
static void test_rmrr_two(void)
{
    static const uint64_t bases[] = { DMAR_BASE };
    static const RmrrWant want[] = {
        { 0x3f000000, 0x3f0fffff, 0, { { 4, 0 } }, 1 },
        { 0x3e000000, 0x3e000fff, 0, { { 4, 0 } }, 1 },
    };
    Mach *m = mach_boot(0, "-device '{\"driver\":\"vtd-dmar\",\"id\":\"dmarA\","
                        "\"rmrr\":[\"edu0:0x3f000000:0x3f0fffff\","
                        "\"00:04.0:0x3e000000:0x3e000fff\"]}'", bases);
    Dmar t;

    read_dmar(m, &t);
    assert_rmrrs(&t, want, 2);
    assert_e820_reserved(m, want, 2);
    mach_free(m);
}

/*
 * One per unit; edu1 is behind a root port on pxb1: its path runs from
 * the root bus 0x40 through the port (00.0) to the device (00.0)
 */
static void test_rmrr_units(void)
{
    static const uint64_t bases[] = { DMAR_BASE, DMAR_UNIT(1) };
    static const RmrrWant want[] = {
        { 0x3f000000, 0x3f0fffff, 0, { { 4, 0 } }, 1 },
        { 0x3d000000, 0x3d01ffff, PXB_BUS(1), { { 0, 0 }, { 0, 0 } }, 2 },
    };
    Mach *m = mach_boot(1, "-device '{\"driver\":\"vtd-dmar\",\"id\":\"dmarA\","
                        "\"rmrr\":[\"00:04.0:0x3f000000:0x3f0fffff\"]}' "
                        "-device '{\"driver\":\"vtd-dmar\",\"id\":\"dmarB\","
                        "\"primary-bus\":\"pxb1\","
                        "\"rmrr\":[\"edu1:0x3d000000:0x3d01ffff\"]}'", bases);
    Dmar t;

    read_dmar(m, &t);
    g_assert_cmpuint(t.ndrhd, ==, 2);
    assert_drhd(&t, 0, DMAR_UNIT(1), 0, t.s[1].size);
    assert_catch_all(&t, 1, t.s[1].size);
    assert_rmrrs(&t, want, 2);
    assert_e820_reserved(m, want, 2);
    mach_free(m);
}

/* ================= 2. per-unit behaviour ================= */

/*
 * Each unit's VER/CAP/ECAP at its base; B's own properties show in B's
 * CAP only; a write to one unit's register leaves the other's alone
 */
static void test_unit_regs(void)
{
    QDmar *ref = dmar_boot("");
    uint64_t cap = dmar_rd64(ref, REG_CAP), ecap = dmar_rd64(ref, REG_ECAP);
    uint32_t ver = dmar_rd32(ref, REG_VER);
    Mach *m;
    QDmar *a, *b;

    dmar_free(ref);
    m = boot_ab("", ",nfr=4");
    a = m->e[0];
    b = m->e[1];
    g_assert_cmphex(dmar_rd32(a, REG_VER), ==, ver);
    g_assert_cmphex(dmar_rd32(b, REG_VER), ==, ver);
    g_assert_cmphex(dmar_rd64(a, REG_CAP), ==, cap);
    g_assert_cmphex(dmar_rd64(a, REG_ECAP), ==, ecap);
    /* CAP.NFR (bits 47:40) = fault recording registers - 1 */
    g_assert_cmphex(dmar_rd64(b, REG_CAP), ==,
                    (cap & ~(0xffull << 40)) | (3ull << 40));
    g_assert_cmphex(dmar_rd64(b, REG_ECAP), ==, ecap);

    dmar_wr32(b, REG_FEDATA, 0x4321);
    dmar_wr64(b, REG_IRTA, U_IRT(1));
    g_assert_cmphex(dmar_rd32(b, REG_FEDATA), ==, 0x4321);
    g_assert_cmphex(dmar_rd32(a, REG_FEDATA), ==, 0);
    g_assert_cmphex(dmar_rd64(a, REG_IRTA), ==, 0);
    dmar_wr32(a, REG_FEDATA, 0x1234);
    g_assert_cmphex(dmar_rd32(b, REG_FEDATA), ==, 0x4321);
    mach_free(m);
}

/*
 * B's root table and TE move only B's devices: edu1's DMA goes through
 * B's tables while edu0 (behind A, TE off) still reaches RAM directly;
 * then A on with its own tables, and B's stay B's.
 */
static void test_unit_translate(const void *opaque)
{
    Mach *m = boot_pair(opaque, "");
    QDmar *a = m->e[0], *b = m->e[1];

    u_translate_on(b, 1, PAGE_OUT);
    g_assert_cmphex(dmar_rd32(a, REG_GSTS) & GSTS_TES, ==, 0);
    assert_copy(b, PAGE_OUT, 0x11);
    assert_no_records(b);

    /* edu0: untranslated, B's TE changes nothing for it */
    dmar_fill(a, IDENT_IN, 0x22);
    dmar_zero(a, IDENT_OUT);
    dmar_copy(a, IDENT_IN, IDENT_OUT);
    g_assert_true(dmar_holds(a, IDENT_OUT, 0x22));
    assert_no_records(a);
    assert_no_records(b);

    /* A on, with edu0's IOVA_A on PAGE_P2: each edu its own tables */
    u_tables_init(a, 0, 3);
    dmar_map(a, IOVA_A, PAGE_P2, 1, PTE_R);
    dmar_map(a, IOVA_B, PAGE_P3, 1, PTE_W);
    dmar_enable(a, U_ROOT(0));
    dmar_fill(a, PAGE_P2, 0x33);
    dmar_zero(a, PAGE_P3);
    dmar_zero(a, PAGE_OUT);
    dmar_copy(a, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(a, PAGE_P3, 0x33));
    dmar_copy(b, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(b, PAGE_OUT, 0x11));
    assert_no_records(a);
    assert_no_records(b);

    /* B off again: edu1 untranslated, edu0 still through A */
    dmar_gcmd_update(b, 0, GCMD_TE);
    g_assert_cmphex(dmar_rd32(b, REG_GSTS) & GSTS_TES, ==, 0);
    dmar_zero(b, IDENT_OUT);
    dmar_copy(b, IDENT_IN, IDENT_OUT);
    g_assert_true(dmar_holds(b, IDENT_OUT, 0x22));
    dmar_zero(a, PAGE_P3);
    dmar_copy(a, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(a, PAGE_P3, 0x33));
    mach_free(m);
}

/*
 * A fault of edu1 is recorded by B (its source-id, B's fault event) and
 * not by A; then one of edu0 by A, not B
 */
static void test_unit_faults(const void *opaque)
{
    Mach *m = boot_pair(opaque, "");
    QDmar *a = m->e[0], *b = m->e[1];

    u_fault_events(a, 0);
    u_fault_events(b, 1);
    u_translate_on(b, 1, PAGE_OUT);
    dmar_dma_in(b, IOVA_C);                     /* not mapped */
    assert_dma_fault(b, IOVA_C, FR_READ, false);
    g_assert_cmphex(qtest_readl(m->qts, U_FEMSG(1)), ==, 0xfe01);
    g_assert_cmphex(qtest_readl(m->qts, U_FEMSG(0)), ==, 0);
    assert_no_records(a);

    /* edu1's context made not present: B again */
    clear_fault(b);
    qtest_writeq(m->qts, U_CTX(1) + (sid_of(b) & 0xff) * 16, 0);
    dmar_ccmd_inv(b, CCMD_CIRG(GRAN_GLOBAL));
    dmar_iotlb_inv(b, GRAN_GLOBAL, 0, 0);
    dmar_dma_out(b, IOVA_B);
    assert_dma_fault(b, IOVA_B, FR_CTX_NP, true);
    assert_no_records(a);

    /* edu0, with A on and no mapping: A records it, B's stays as it was */
    u_tables_init(a, 0, 3);
    dmar_enable(a, U_ROOT(0));
    qtest_writel(m->qts, U_FEMSG(1), 0);
    dmar_dma_in(a, IOVA_A);
    assert_dma_fault(a, IOVA_A, FR_READ, false);
    g_assert_cmphex(qtest_readl(m->qts, U_FEMSG(0)), ==, 0xfe00);
    g_assert_cmphex(qtest_readl(m->qts, U_FEMSG(1)), ==, 0);
    assert_dma_fault(b, IOVA_B, FR_CTX_NP, true);
    mach_free(m);
}

/*
 * B's invalidation queue is its own: its waits complete while A's queue
 * registers stay untouched, and a bad descriptor sets B's IQE only
 */
static void test_unit_queue(const void *opaque)
{
    Mach *m = boot_pair(opaque, "");
    QDmar *a = m->e[0], *b = m->e[1];

    dmar_qi_enable(b, U_IQ(1), 0);
    qtest_writel(m->qts, U_STATUS(1), 0);
    dmar_qi_push_wait(b, U_STATUS(1), 0xb0b0, 0);
    dmar_qi_kick(b);
    g_assert_cmphex(qtest_readl(m->qts, U_STATUS(1)), ==, 0xb0b0);
    g_assert_cmphex(dmar_rd64(b, REG_IQH), ==, dmar_iq_off(1));
    g_assert_cmphex(dmar_rd32(a, REG_GSTS) & GSTS_QIES, ==, 0);
    g_assert_cmphex(dmar_rd64(a, REG_IQA), ==, 0);
    g_assert_cmphex(dmar_rd64(a, REG_IQH), ==, 0);
    g_assert_cmphex(dmar_rd64(a, REG_IQT), ==, 0);

    /* A's own queue, elsewhere */
    dmar_qi_enable(a, U_IQ(0), 0);
    qtest_writel(m->qts, U_STATUS(0), 0);
    dmar_qi_push_wait(a, U_STATUS(0), 0xa0a0, 0);
    dmar_qi_push_wait(a, U_STATUS(0) + 4, 0xa1a1, 0);
    dmar_qi_kick(a);
    g_assert_cmphex(qtest_readl(m->qts, U_STATUS(0) + 4), ==, 0xa1a1);
    g_assert_cmphex(dmar_rd64(a, REG_IQH), ==, dmar_iq_off(2));
    g_assert_cmphex(dmar_rd64(b, REG_IQH), ==, dmar_iq_off(1));

    /* a wait asking for an interrupt: B's ICS and B's event message */
    for (unsigned i = 0; i < 2; i++) {
        qtest_writel(m->qts, U_FEMSG(i) + 8, 0);
        dmar_wr32(m->e[i], REG_IEDATA, 0x1e00 + i);
        dmar_wr32(m->e[i], REG_IEADDR, U_FEMSG(i) + 8);
        dmar_wr32(m->e[i], REG_IEUADDR, 0);
        dmar_wr32(m->e[i], REG_IECTL, 0);
    }
    dmar_qi_wait_if(b);
    g_assert_cmphex(dmar_rd32(b, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(dmar_rd32(a, REG_ICS), ==, 0);
    g_assert_cmphex(qtest_readl(m->qts, U_FEMSG(1) + 8), ==, 0x1e01);
    g_assert_cmphex(qtest_readl(m->qts, U_FEMSG(0) + 8), ==, 0);

    /* a descriptor of an invalid type on B: B's IQE, not A's */
    dmar_qi_push(b, 0xf, 0);
    dmar_qi_kick(b);
    g_assert_cmphex(dmar_rd32(b, REG_FSTS) & FSTS_IQE, ==, FSTS_IQE);
    g_assert_cmphex(dmar_rd64(b, REG_IQH), ==, dmar_iq_off(2));
    g_assert_cmphex(dmar_rd32(a, REG_FSTS), ==, 0);
    qtest_writel(m->qts, U_STATUS(0), 0);
    dmar_qi_push_wait(a, U_STATUS(0), 0xa2a2, 0);
    dmar_qi_kick(a);
    g_assert_cmphex(qtest_readl(m->qts, U_STATUS(0)), ==, 0xa2a2);
    mach_free(m);
}

#define IR_INDEX        5
#define IR_SIZE         3               /* IRTA.S: 16 entries */

/* Interrupt remapping on D's unit with the table at U_IRT(I) */
static void u_ir_on(QDmar *d, unsigned i)
{
    qtest_memset(d->qts, U_IRT(i), 0, 16 * 16);
    dmar_qi_enable(d, U_IQ(i), 0);
    dmar_ir_enable(d, U_IRT(i) | IR_SIZE, false);
}

/*
 * An MSI from edu1 is remapped through B's table, edu0's through A's;
 * source-id verification checks edu1's id behind B (a mismatch is B's
 * fault); an IEC invalidation on A's queue leaves B's cached entry, one
 * on B's queue drops it.
 */
static void test_unit_ir(const void *opaque)
{
    Mach *m = boot_pair(opaque, ",intremap=on");
    QDmar *a = m->e[0], *b = m->e[1];
    uint32_t msi = dmar_msi_remappable(IR_INDEX, false);

    u_ir_on(a, 0);
    u_ir_on(b, 1);
    dmar_irte_put(a, U_IRT(0), IR_INDEX, dmar_irte_lo(0x51),
                  IRTE_SVT(SVT_SID) | IRTE_SID(sid_of(a)));
    dmar_irte_put(b, U_IRT(1), IR_INDEX, dmar_irte_lo(0x52),
                  IRTE_SVT(SVT_SID) | IRTE_SID(sid_of(b)));
    dmar_edu_msi(b, msi, 0);
    dmar_assert_delivered(b, 0x52, false);
    dmar_assert_not_delivered(b, 0x51);
    dmar_edu_msi(a, msi, 0);
    dmar_assert_delivered(a, 0x51, false);
    assert_no_records(a);
    assert_no_records(b);

    /* edu1's entry, now for edu0's source-id: B faults, with edu1's id */
    dmar_irte_put(b, U_IRT(1), IR_INDEX + 1, dmar_irte_lo(0x53),
                  IRTE_SVT(SVT_SID) | IRTE_SID(sid_of(a)));
    dmar_edu_msi(b, dmar_msi_remappable(IR_INDEX + 1, false), 0);
    dmar_assert_not_delivered(b, 0x53);
    dmar_assert_ir_fault(b, FR_IR_SID, IR_INDEX + 1, sid_of(b));
    assert_no_records(a);

    /*
     * The entry edu1 used changes; A's IEC is flushed, B's is not: B may
     * still use what it cached (this unit does), and must not be
     * affected by A's flush. After B's own flush, the new entry counts.
     */
    dmar_irte_put(b, U_IRT(1), IR_INDEX, dmar_irte_lo(0x54),
                  IRTE_SVT(SVT_SID) | IRTE_SID(sid_of(b)));
    dmar_qi_push(a, QI_IEC, 0);
    dmar_qi_sync(a);
    dmar_edu_msi(b, msi, 0);
    dmar_assert_not_delivered(b, 0x54);
    dmar_qi_push(b, QI_IEC, 0);
    dmar_qi_sync(b);
    dmar_edu_msi(b, msi, 0);
    dmar_assert_delivered(b, 0x54, false);
    assert_no_records(a);
    assert_no_records(b);
    mach_free(m);
}

/*
 * edu1 behind a PCIe-to-PCI bridge under the root port on pxb1: its
 * requests reach unit B with the bridge's requester id (secondary bus,
 * devfn 0), where no device is
 */
#define PPB_BUS         (RP_BUS(1) + 1)
#define ALIAS_SID       (PPB_BUS << 8)

static Mach *boot_alias(void)
{
    Mach *m = g_new0(Mach, 1);

    m->qts = qtest_init(
        "-M q35 -device pxb-pcie,id=pxb1,bus=pcie.0,bus_nr=0x40,addr=0x11 "
        "-device pcie-root-port,id=rp1,bus=pxb1,addr=00.0,chassis=1,slot=1 "
        "-device pcie-pci-bridge,id=ppb1,bus=rp1,addr=00.0 "
        "-device edu,id=edu1,bus=ppb1,addr=01.0" WIDE_DMA " "
        "-device '{\"driver\":\"vtd-dmar\",\"id\":\"dmarB\","
        "\"primary-bus\":\"pxb1\","
        "\"rmrr\":[\"edu1:0x3c000000:0x3c00ffff\"]}' "
        "-device vtd-dmar,id=dmarA "
        "-device edu,id=edu0,bus=pcie.0,addr=04.0" WIDE_DMA);
    m->bus = qpci_new_pc(m->qts, NULL);
    m->n = 2;
    m->e[0] = edu_attach(m, 0, DMAR_BASE);
    open_bridge(m, PXB_BUS(1) << 8, RP_BUS(1), PPB_BUS);
    open_bridge(m, RP_BUS(1) << 8, PPB_BUS, PPB_BUS);
    m->e[1] = edu_attach_at(m, 1, DMAR_UNIT(1),
                            PPB_BUS << 8 | QPCI_DEVFN(1, 0), ALIAS_SID);
    return m;
}

/*
 * B's DRHD still names the root port; the RMRR's path runs through root
 * port and bridge to edu1 (three entries); B translates and records
 * faults with the alias
 */
static void test_unit_alias(void)
{
    static const RmrrWant want[] = {
        { 0x3c000000, 0x3c00ffff, PXB_BUS(1),
          { { 0, 0 }, { 0, 0 }, { 1, 0 } }, 3 },
    };
    Mach *m = boot_alias();
    QDmar *b = m->e[1];
    Dmar tab;

    read_dmar(m, &tab);
    g_assert_cmpuint(tab.ndrhd, ==, 2);
    assert_claimed(m, &tab, 0, DMAR_UNIT(1), PXB_BUS(1), tab.s[1].size);
    assert_catch_all(&tab, 1, tab.s[1].size);
    assert_rmrrs(&tab, want, 1);

    u_translate_on(b, 1, PAGE_OUT);
    assert_copy(b, PAGE_OUT, 0x55);
    dmar_dma_in(b, IOVA_C);
    assert_dma_fault(b, IOVA_C, FR_READ, false);
    assert_no_records(m->e[0]);
    mach_free(m);
}

/*
 * x-vtd-dmar-translate of edu1 (by id, or by its requester id alone)
 * asks B, the unit that covers it, and walks from the alias's root entry
 */
static void test_unit_alias_translate(void)
{
    Mach *m = boot_alias();
    QDmar *b = m->e[1];

    u_translate_on(b, 1, PAGE_OUT);
    for (unsigned i = 0; i < 2; i++) {
        QDict *args = qdict_new();
        QDict *t, *step;

        if (i) {
            qdict_put_int(args, "source-id", ALIAS_SID);
        } else {
            qdict_put_str(args, "device", "edu1");
        }
        qdict_put_int(args, "address", IOVA_A);
        t = qobject_to(QDict, qmp_ok(qtest_qmp(m->qts,
                           "{'execute': 'x-vtd-dmar-translate', "
                           "'arguments': %p}", args)));
        show("translate", QOBJECT(t));
        g_assert_cmpstr(qdict_get_str(t, "mode"), ==, "translated");
        g_assert_cmphex(num(t, "translated-address"), ==, PAGE_P1);
        step = qobject_to(QDict, qlist_entry_obj(qlist_first(
                              qdict_get_qlist(t, "steps"))));
        g_assert_cmphex(num(step, "address"), ==,
                        U_ROOT(1) + PPB_BUS * 16);
        qobject_unref(t);
    }
    mach_free(m);
}

/*
 * An edu hot-plugged into a second root port on pxb1 after boot is B's:
 * its DMA goes through B's tables (root entry at its bus), a fault of it
 * is B's, and A's translation (on, with no entry for it) plays no part
 */
#define HP_BUS          (RP_BUS(1) + 1)

/* As a guest's pciehp would: power on the slot of the root port at DEVFN */
static void slot_power_on(Mach *m, int devfn)
{
    QPCIDevice *rp = qpci_device_find(m->bus, devfn);
    uint8_t cap;
    uint16_t ctl;

    g_assert_nonnull(rp);
    cap = qpci_find_capability(rp, PCI_CAP_ID_EXP, 0);
    g_assert_cmpuint(cap, !=, 0);
    ctl = qpci_config_readw(rp, cap + PCI_EXP_SLTCTL);
    ctl &= ~(PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC | PCI_EXP_SLTCTL_AIC);
    ctl |= PCI_EXP_SLTCTL_PWR_IND_ON | PCI_EXP_SLTCTL_ATTN_IND_OFF;
    qpci_config_writew(rp, cap + PCI_EXP_SLTCTL, ctl);
    g_free(rp);
}

static void test_unit_hotplug(void)
{
    static const uint64_t bases[] = { DMAR_BASE, DMAR_UNIT(1) };
    Mach *m = mach_boot(1, "-device pcie-root-port,id=rp9,bus=pxb1,"
                        "addr=01.0,chassis=9,slot=9 " UNITS_AB_PLAIN,
                        bases);
    QDmar *a = m->e[0], *h;

    u_tables_init(a, 0, 3);
    dmar_enable(a, U_ROOT(0));
    open_bridge(m, PXB_BUS(1) << 8 | QPCI_DEVFN(1, 0), HP_BUS, HP_BUS);
    qtest_qmp_device_add(m->qts, "edu", "eduh",
                         "{'bus': 'rp9', 'addr': '00.0', "
                         "'dma_mask': 18446744073709551615}");
    slot_power_on(m, PXB_BUS(1) << 8 | QPCI_DEVFN(1, 0));
    m->e[2] = h = edu_attach_at(m, 2, DMAR_UNIT(1), HP_BUS << 8, HP_BUS << 8);
    m->n = 3;

    u_translate_on(h, 2, PAGE_OUT);
    assert_copy(h, PAGE_OUT, 0x5a);
    dmar_dma_in(h, IOVA_C);
    assert_dma_fault(h, IOVA_C, FR_READ, false);
    assert_no_records(a);
    mach_free(m);
}

/* An IOAPIC RTE in remappable format, handle INDEX, vector field V */
static uint64_t ioapic_remap_rte(uint32_t index, uint8_t v)
{
    return (uint64_t)(index & 0x7fff) << 49 | 1ull << 48 |
           (uint64_t)((index >> 15) & 1) << 11 | v;
}

/*
 * The IOAPIC's messages go through the catch-all's interrupt remapping
 * table, not the other unit's, also when that other unit claims pcie.0;
 * with the catch-all's remapping off they pass as they are, whatever the
 * other unit (remapping on, compatibility format blocked) would say.
 */
static void test_unit_ioapic(const void *opaque)
{
    bool claim_pcie0 = GPOINTER_TO_INT(opaque);
    static const uint64_t bases_claim[] = { DMAR_UNIT(1), DMAR_BASE };
    Mach *m = claim_pcie0 ?
        mach_boot(1, "-device vtd-dmar,id=dmarA,intremap=on "
                  "-device vtd-dmar,id=dmar0,primary-bus=pcie.0,intremap=on",
                  bases_claim) :
        boot_ab(",intremap=on", ",intremap=on");
    QDmar *all = m->e[claim_pcie0], *other = m->e[!claim_pcie0];
    unsigned ia = claim_pcie0, io = !claim_pcie0;

    u_ir_on(all, ia);
    u_ir_on(other, io);
    dmar_irte_put(all, U_IRT(ia), IR_INDEX, dmar_irte_lo(0x61),
                  IRTE_SVT(SVT_SID) | IRTE_SID(IOAPIC_SID));
    dmar_irte_put(other, U_IRT(io), IR_INDEX, dmar_irte_lo(0x62),
                  IRTE_SVT(SVT_SID) | IRTE_SID(IOAPIC_SID));
    dmar_ioapic_rte(all, IOAPIC_PIN, ioapic_remap_rte(IR_INDEX, 0x60));
    dmar_ioapic_pulse(all, IOAPIC_PIN);
    dmar_assert_delivered(all, 0x61, false);
    dmar_assert_not_delivered(all, 0x62);
    assert_no_records(all);
    assert_no_records(other);

    dmar_gcmd_update(all, 0, GCMD_IRE);
    g_assert_cmphex(dmar_rd32(all, REG_GSTS) & GSTS_IRES, ==, 0);
    dmar_ioapic_rte(all, IOAPIC_PIN, 0x63);
    dmar_ioapic_pulse(all, IOAPIC_PIN);
    dmar_assert_delivered(all, 0x63, false);
    assert_no_records(all);
    assert_no_records(other);
    mach_free(m);
}

/*
 * Both units migrate, each into its own unit on the destination: the
 * register windows come out as they went in, and edu1's DMA goes on
 * through B's tables there
 */
static void test_unit_migration(void)
{
    Mach *m = boot_ab("", "");
    Mach *n = g_new0(Mach, 1);
    g_autofree char *units = g_strdup_printf(UNITS_AB, "", "");
    g_autofree char *args = mach_cmdline(1, units);
    uint32_t w0[2][SNAP_WORDS], w1[2][SNAP_WORDS];
    QDmar *dst;

    u_translate_on(m->e[1], 1, PAGE_OUT);
    u_fault_events(m->e[1], 1);
    dmar_dma_in(m->e[1], IOVA_C);
    assert_dma_fault(m->e[1], IOVA_C, FR_READ, false);
    dmar_qi_enable(m->e[0], U_IQ(0), 0);
    dmar_wr32(m->e[0], REG_FEDATA, 0x1234);
    for (unsigned i = 0; i < 2; i++) {
        dmar_snapshot(m->e[i], w0[i]);
    }

    g_assert_true(g_str_has_prefix(args, "-M q35 "));
    dst = dmar_migrate_to(m->e[0], args + strlen("-M q35 "));
    g_assert_nonnull(dst);
    n->qts = dst->qts;
    g_free(dst);
    n->bus = qpci_new_pc(n->qts, NULL);
    n->n = 2;

    /*
     * edu has no migration state: it starts over, and software sets it
     * up again; what software knew of the tables goes along
     */
    for (unsigned i = 0; i < 2; i++) {
        n->e[i] = edu_attach(n, i, m->e[i]->base);
        n->e[i]->pool = m->e[i]->pool;
        n->e[i]->slpt = m->e[i]->slpt;
        n->e[i]->levels = m->e[i]->levels;
        dmar_snapshot(n->e[i], w1[i]);
        dmar_assert_same_regs(w0[i], w1[i]);
    }
    mach_free(m);
    assert_copy(n->e[1], PAGE_OUT, 0x66);
    mach_free(n);
}

/*
 * A system reset brings every unit back to its power-on registers,
 * whatever software did to each
 */
static void test_unit_reset(void)
{
    Mach *m = boot_ab(",intremap=on", ",intremap=on");
    QDmar *a = m->e[0], *b = m->e[1];
    uint32_t a0[SNAP_WORDS], b0[SNAP_WORDS], a1[SNAP_WORDS], b1[SNAP_WORDS];

    dmar_snapshot(a, a0);
    dmar_snapshot(b, b0);
    u_translate_on(b, 1, PAGE_OUT);
    u_ir_on(b, 1);
    u_fault_events(b, 1);
    dmar_dma_in(b, IOVA_C);
    assert_dma_fault(b, IOVA_C, FR_READ, false);
    dmar_qi_enable(a, U_IQ(0), 0);
    dmar_wr32(a, REG_FEDATA, 0x1234);
    qtest_system_reset(m->qts);
    dmar_snapshot(a, a1);
    dmar_snapshot(b, b1);
    dmar_assert_same_regs(a0, a1);
    dmar_assert_same_regs(b0, b1);
    mach_free(m);
}

/* Three units: each edu's DMA goes through its own unit's tables */
static void test_unit_three(void)
{
    static const uint64_t bases[] = { DMAR_BASE, DMAR_UNIT(1), DMAR_UNIT(2) };
    static const uint64_t out[] = { PAGE_P2, PAGE_P3, PAGE_OUT };
    Mach *m = mach_boot(2, "-device vtd-dmar,id=dmarB,primary-bus=pxb1 "
                        "-device vtd-dmar,id=dmarC,primary-bus=pxb2 "
                        "-device vtd-dmar,id=dmarA", bases);

    for (unsigned i = 0; i < 3; i++) {
        u_translate_on(m->e[i], i, out[i]);
        dmar_zero(m->e[i], out[i]);
    }
    dmar_fill(m->e[0], PAGE_P1, 0x44);
    for (unsigned i = 0; i < 3; i++) {
        dmar_copy(m->e[i], IOVA_A, IOVA_B);
        for (unsigned j = 0; j < 3; j++) {
            g_assert_cmpint(dmar_holds(m->e[i], out[j], 0x44), ==, j <= i);
        }
    }
    /* the second unit's register window is its own */
    dmar_dma_in(m->e[2], IOVA_C);
    assert_dma_fault(m->e[2], IOVA_C, FR_READ, false);
    assert_no_records(m->e[0]);
    assert_no_records(m->e[1]);
    mach_free(m);
}

/* ================= 3. refused configurations ================= */

typedef struct RefuseCase {
    const char *name;
    unsigned npxb;
    const char *units;
    const char *msg;            /* NULL: accepted */
} RefuseCase;

#define RMRR_A(r) \
    "-device '{\"driver\":\"vtd-dmar\",\"rmrr\":[\"" r "\"]}'"
#define RMRR_B(r) \
    "-device vtd-dmar -device '{\"driver\":\"vtd-dmar\"," \
    "\"primary-bus\":\"pxb1\",\"rmrr\":[\"" r "\"]}'"

static const RefuseCase refuse_cases[] = {
    { "two-claim-pxb", 1,
      "-device vtd-dmar -device vtd-dmar,primary-bus=pxb1 "
      "-device vtd-dmar,primary-bus=pxb1", "claimed by two vtd-dmar units" },
    { "two-claim-pcie0", 0,
      "-device vtd-dmar,primary-bus=pcie.0 -device vtd-dmar "
      "-device vtd-dmar,primary-bus=pcie.0", "claimed by two vtd-dmar units" },
    { "two-catch-all", 0, "-device vtd-dmar -device vtd-dmar",
      "only one vtd-dmar may be given without primary-bus" },
    { "two-catch-all-and-pxb", 1,
      "-device vtd-dmar -device vtd-dmar,primary-bus=pxb1 -device vtd-dmar",
      "only one vtd-dmar may be given without primary-bus" },
    { "no-catch-all-pxb", 1, "-device vtd-dmar,primary-bus=pxb1",
      "no vtd-dmar covers the rest" },
    { "no-catch-all-pcie0", 0, "-device vtd-dmar,primary-bus=pcie.0",
      "no vtd-dmar covers the rest" },
    { "no-catch-all-both", 1,
      "-device vtd-dmar,primary-bus=pcie.0 -device vtd-dmar,primary-bus=pxb1",
      "no vtd-dmar covers the rest" },
    { "not-root-bus", 1, "-device vtd-dmar -device vtd-dmar,primary-bus=rp1",
      "is not a PCI root bus" },
    { "no-such-bus", 1, "-device vtd-dmar -device vtd-dmar,primary-bus=nosuch",
      "nosuch" },
    /* a root bus whose DMA bypasses the IOMMU is no unit's */
    { "bypass-bus", 0,
      "-device pxb-pcie,id=pxb9,bus=pcie.0,bus_nr=0x90,bypass_iommu=on "
      "-device vtd-dmar -device vtd-dmar,primary-bus=pxb9", "bypass" },
    { "intel-iommu-before", 0, "-device intel-iommu -device vtd-dmar",
      "multiple vIOMMUs" },
    { "intel-iommu-after", 1,
      "-device vtd-dmar -device vtd-dmar,primary-bus=pxb1 "
      "-device intel-iommu", "multiple vIOMMUs" },
    { "amd-iommu", 1,
      "-device vtd-dmar,primary-bus=pxb1 -device vtd-dmar -device amd-iommu",
      "multiple vIOMMUs" },
    { "virtio-iommu", 0, "-device vtd-dmar -device virtio-iommu-pci",
      "multiple vIOMMUs" },
    { "virtio-iommu-before", 1,
      "-device virtio-iommu-pci,bus=pcie.0 "
      "-device vtd-dmar,primary-bus=pxb1 "
      "-device vtd-dmar", "multiple vIOMMUs" },
    { "rmrr-base-misaligned", 0, RMRR_A("edu0:0x3f000800:0x3f0fffff"),
      "rmrr" },
    { "rmrr-limit-misaligned", 0, RMRR_A("edu0:0x3f000000:0x3f0ffffe"),
      "rmrr" },
    { "rmrr-base-above-limit", 0, RMRR_A("edu0:0x3f100000:0x3f0fffff"),
      "rmrr" },
    { "rmrr-unknown-id", 0, RMRR_A("nosuch:0x3f000000:0x3f0fffff"), "rmrr" },
    { "rmrr-unknown-bdf", 0, RMRR_A("00:09.0:0x3f000000:0x3f0fffff"),
      "rmrr" },
    { "rmrr-not-pci", 0,
      "-device '{\"driver\":\"vtd-dmar\",\"id\":\"dmarA\","
      "\"rmrr\":[\"dmarA:0x3f000000:0x3f0fffff\"]}'", "rmrr" },
    { "rmrr-malformed", 0, RMRR_A("edu0:0x3f000000"), "rmrr" },
    { "rmrr-not-a-number", 0, RMRR_A("edu0:base:0x3f0fffff"), "rmrr" },
    /* edu1 is behind pxb1: the catch-all does not cover it */
    { "rmrr-not-covered-catch-all", 1,
      "-device vtd-dmar,primary-bus=pxb1 "
      RMRR_A("edu1:0x3f000000:0x3f0fffff"), "rmrr" },
    /* edu0 is on pcie.0: pxb1's unit does not cover it */
    { "rmrr-not-covered-claiming", 1, RMRR_B("edu0:0x3f000000:0x3f0fffff"),
      "rmrr" },
    { "rmrr-not-covered-bdf", 1, RMRR_B("00:04.0:0x3f000000:0x3f0fffff"),
      "rmrr" },
    /* accepted */
    { "ok-two", 1, "-device vtd-dmar,primary-bus=pxb1 -device vtd-dmar", NULL },
    { "ok-pcie0", 1, "-device vtd-dmar,primary-bus=pcie.0 -device vtd-dmar",
      NULL },
    { "ok-rmrr", 1, RMRR_B("edu1:0x3f000000:0x3f0fffff"), NULL },
};

static void test_refused(const void *opaque)
{
    const RefuseCase *c = opaque;
    g_autoptr(GString) pxb = pxb_args(c->npxb);
    g_autofree char *args = g_strdup_printf("-M q35 %s %s "
                                            "-device edu,id=edu0,bus=pcie.0,addr=04.0",
                                            pxb->str, c->units);
    g_autofree char *err = NULL;
    int rc = dmar_run_status(args, &err);

    if (!c->msg) {
        /* (not an empty stderr: ASan builds print a warning there) */
        g_assert_cmpint(rc, ==, 0);
        g_assert_null(strstr(err, "vtd-dmar"));
        g_assert_null(strstr(err, "rror"));
        return;
    }
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, c->msg));
    /* refused for its value, not because the property does not exist */
    g_assert_null(strstr(err, "Property '"));
}

/* At most DMAR_MAX_UNITS units: the catch-all and 7 more, not 8 */
static void test_refused_count(void)
{
    for (unsigned n = DMAR_MAX_UNITS - 1; n <= DMAR_MAX_UNITS; n++) {
        g_autoptr(GString) args = g_string_new("-M q35 -device vtd-dmar ");
        g_autofree char *err = NULL;

        for (unsigned k = 1; k <= n; k++) {
            g_string_append_printf(args,
                                   "-device pxb-pcie,id=pxb%u,bus=pcie.0,"
                                   "bus_nr=0x%x,addr=0x%x "
                                   "-device vtd-dmar,primary-bus="
                                   "pxb%u ", k, 0x10 * k, 0x10 + k, k);
        }
        g_assert_cmpint(dmar_run_status(args->str, &err), ==,
                        n < DMAR_MAX_UNITS ? 0 : 1);
        g_assert_cmpint(!!strstr(err, "vtd-dmar: at most"), ==,
                        n == DMAR_MAX_UNITS);
    }
}

/* ================= 6. the monitor ================= */

/* query-vtd-dmar's unit ID, checked against the registers at BASE */
static void assert_query_unit(QList *units, const char *id, QDmar *d,
                              uint64_t base, const char *primary_bus)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", id);
    QListEntry *e;
    QDict *q = NULL;

    QLIST_FOREACH_ENTRY(units, e) {
        QDict *u = qobject_to(QDict, qlist_entry_obj(e));

        if (!strcmp(qdict_get_str(u, "qom-path"), path)) {
            g_assert_null(q);
            q = u;
        }
    }
    g_assert_nonnull(q);
    g_assert_cmpstr(qdict_get_str(q, "id"), ==, id);
    g_assert_cmphex(num(q, "base"), ==, base);
    g_assert_cmphex(num(q, "cap"), ==, dmar_rd64(d, REG_CAP));
    g_assert_cmphex(num(q, "ecap"), ==, dmar_rd64(d, REG_ECAP));
    g_assert_cmphex(num(q, "gsts"), ==, dmar_rd32(d, REG_GSTS));
    g_assert_cmphex(num(q, "root-table"), ==,
                    dmar_rd64(d, REG_RTADDR));
    g_assert_cmphex(num(q, "fsts"), ==, dmar_rd32(d, REG_FSTS));
    if (primary_bus) {
        g_assert_cmpstr(qdict_get_str(q, "primary-bus"), ==, primary_bus);
    } else {
        g_assert_false(qdict_haskey(q, "primary-bus"));
    }
}

static bool fault_event_cb(QTestState *s, const char *name, QDict *event,
                           void *opaque)
{
    GPtrArray *events = opaque;

    if (strcmp(name, "VTD_DMAR_FAULT")) {
        return false;
    }
    g_ptr_array_add(events, qobject_ref(qdict_get_qdict(event, "data")));
    return true;
}

/*
 * query-vtd-dmar lists both units with their bases and registers;
 * x-vtd-dmar-translate of edu1 walks B's tables (from B's root table,
 * at edu1's bus); edu1's fault event names B
 */
static void test_qmp(void)
{
    Mach *m = boot_ab("", ",nfr=4");
    QDmar *a = m->e[0], *b = m->e[1];
    g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func(
        dict_unref);
    g_autoptr(QList) units = NULL;
    g_autofree char *hmp = NULL;
    QDict *t, *args, *step, *ev;
    QList *steps;

    qtest_qmp_set_event_callback(m->qts, fault_event_cb, events);
    u_translate_on(b, 1, PAGE_OUT);
    units = qobject_to(QList, qmp_ok(qtest_qmp(m->qts, "{'execute': "
                                               "'query-vtd-dmar'}")));
    show("query-vtd-dmar", QOBJECT(units));
    g_assert_cmpuint(qlist_size(units), ==, 2);
    assert_query_unit(units, "dmarA", a, DMAR_BASE, NULL);
    assert_query_unit(units, "dmarB", b, DMAR_UNIT(1), "pxb1");
    hmp = qtest_hmp(m->qts, "info vtd-dmar");
    g_test_message("info vtd-dmar: %s", hmp);
    g_assert_nonnull(strstr(hmp, "/machine/peripheral/dmarA (id dmarA) at "
                            "0xfed90000\r\n"));
    g_assert_nonnull(strstr(hmp, "/machine/peripheral/dmarB (id dmarB) at "
                            "0xfed94000 for bus pxb1\r\n"));

    /* by id, QOM path, bb:dd.f or source-id; with or without the unit */
    for (unsigned i = 0; i < 5; i++) {
        args = qdict_new();
        if (i >= 3) {
            qdict_put_int(args, "source-id", sid_of(b));
        } else {
            qdict_put_str(args, "device", i == 0 ? "edu1" :
                          i == 1 ? "/machine/peripheral/edu1" : "41:00.0");
        }
        if (i == 1 || i == 3) {
            qdict_put_str(args, "unit", i == 1 ? "dmarB" :
                          "/machine/peripheral/dmarB");
        }
        qdict_put_int(args, "address", IOVA_A);
        t = qobject_to(QDict, qmp_ok(qtest_qmp(m->qts,
                           "{'execute': 'x-vtd-dmar-translate', "
                           "'arguments': %p}", args)));
        show("translate", QOBJECT(t));
        g_assert_cmpstr(qdict_get_str(t, "mode"), ==, "translated");
        g_assert_cmphex(num(t, "translated-address"), ==,
                        PAGE_P1);
        g_assert_cmpuint(num(t, "domain-id"), ==, U_DOMAIN(1));
        steps = qdict_get_qlist(t, "steps");
        g_assert_cmpuint(qlist_size(steps), ==, 2 + 3);
        step = qobject_to(QDict, qlist_entry_obj(qlist_first(steps)));
        g_assert_cmpstr(qdict_get_str(step, "table"), ==, "root");
        g_assert_cmphex(num(step, "address"), ==,
                        U_ROOT(1) + RP_BUS(1) * 16);
        qobject_unref(t);
    }

    /* edu1's fault: B's event */
    dmar_dma_in(b, IOVA_C);
    assert_dma_fault(b, IOVA_C, FR_READ, false);
    qobject_unref(qtest_qmp(m->qts, "{'execute': 'query-status'}"));
    g_assert_cmpuint(events->len, ==, 1);
    ev = g_ptr_array_index(events, 0);
    show("event", QOBJECT(ev));
    g_assert_cmpstr(qdict_get_str(ev, "qom-path"), ==,
                    "/machine/peripheral/dmarB");
    g_assert_cmphex(num(ev, "source-id"), ==, sid_of(b));
    g_assert_cmpstr(qdict_get_str(ev, "bdf"), ==, "41:00.0");
    g_assert_cmphex(num(ev, "address"), ==, IOVA_C);
    g_assert_false(qdict_get_bool(ev, "interrupt"));
    assert_no_records(a);
    clear_fault(b);

    /* an interrupt request of edu1 through a missing IRTE: B's event */
    g_ptr_array_set_size(events, 0);
    u_ir_on(b, 1);
    dmar_edu_msi(b, dmar_msi_remappable(IR_INDEX, false), 0);
    dmar_assert_ir_fault(b, FR_IR_NP, IR_INDEX, sid_of(b));
    qobject_unref(qtest_qmp(m->qts, "{'execute': 'query-status'}"));
    g_assert_cmpuint(events->len, ==, 1);
    ev = g_ptr_array_index(events, 0);
    show("event", QOBJECT(ev));
    g_assert_cmpstr(qdict_get_str(ev, "qom-path"), ==,
                    "/machine/peripheral/dmarB");
    g_assert_cmphex(num(ev, "source-id"), ==, sid_of(b));
    g_assert_true(qdict_get_bool(ev, "interrupt"));
    g_assert_cmpuint(num(ev, "reason"), ==, FR_IR_NP);
    assert_no_records(a);
    qtest_qmp_set_event_callback(m->qts, NULL, NULL);
    mach_free(m);
}

/*
 * One unit covers everything, expanders included: edu1's DMA, faults
 * and MSIs go through it (root entry at edu1's bus)
 */
static void test_catch_all_pxb(void)
{
    static const uint64_t bases[] = { DMAR_BASE, DMAR_BASE };
    Mach *m = mach_boot(1, "-device vtd-dmar,id=dmarA,intremap=on", bases);
    QDmar *b = m->e[1];
    Dmar t;

    read_dmar(m, &t);
    g_assert_cmpuint(t.ndrhd, ==, 1);
    assert_catch_all(&t, 0, t.s[0].size);
    u_translate_on(b, 1, PAGE_OUT);
    assert_copy(b, PAGE_OUT, 0x11);
    dmar_dma_in(b, IOVA_C);
    assert_dma_fault(b, IOVA_C, FR_READ, false);
    clear_fault(b);
    u_ir_on(b, 1);
    dmar_irte_put(b, U_IRT(1), IR_INDEX, dmar_irte_lo(0x52),
                  IRTE_SVT(SVT_SID) | IRTE_SID(sid_of(b)));
    dmar_edu_msi(b, dmar_msi_remappable(IR_INDEX, false), 0);
    dmar_assert_delivered(b, 0x52, false);
    assert_no_records(b);
    mach_free(m);
}

/* FN with unit B on a pxb-pcie (NAME), and claiming pcie.0 (-claim-pcie0) */
static void add_both(const char *name, GTestDataFunc fn)
{
    g_autofree char *claim = g_strdup_printf("%s-claim-pcie0", name);

    qtest_add_data_func(name, GINT_TO_POINTER(0), fn);
    qtest_add_data_func(claim, GINT_TO_POINTER(1), fn);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vtd-dmar/units/catch-all-pxb", test_catch_all_pxb);
    qtest_add_func("/vtd-dmar/units/table/one", test_table_one);
    qtest_add_data_func("/vtd-dmar/units/table/two-catch-all-first",
                        GINT_TO_POINTER(0), test_table_two);
    qtest_add_data_func("/vtd-dmar/units/table/two-catch-all-last",
                        GINT_TO_POINTER(1), test_table_two);
    qtest_add_func("/vtd-dmar/units/table/three", test_table_three);
    qtest_add_func("/vtd-dmar/units/table/claim-pcie0",
                   test_table_claim_pcie0);
    qtest_add_func("/vtd-dmar/units/table/bypass", test_table_bypass);
    DMAR_ADD_CASES("/vtd-dmar/units/flags", flag_cases, test_flags);
    qtest_add_func("/vtd-dmar/units/rmrr/one", test_rmrr_one);
    qtest_add_func("/vtd-dmar/units/rmrr/two", test_rmrr_two);
    qtest_add_func("/vtd-dmar/units/rmrr/units", test_rmrr_units);
    qtest_add_func("/vtd-dmar/units/atsr/one", test_atsr_one);
    qtest_add_data_func("/vtd-dmar/units/atsr/units", GINT_TO_POINTER(1),
                        test_atsr_units);
    qtest_add_data_func("/vtd-dmar/units/atsr/none", GINT_TO_POINTER(0),
                        test_atsr_units);
    qtest_add_func("/vtd-dmar/units/regs", test_unit_regs);
    add_both("/vtd-dmar/units/translate", test_unit_translate);
    add_both("/vtd-dmar/units/faults", test_unit_faults);
    add_both("/vtd-dmar/units/queue", test_unit_queue);
    add_both("/vtd-dmar/units/ir", test_unit_ir);
    qtest_add_func("/vtd-dmar/units/three", test_unit_three);
    qtest_add_func("/vtd-dmar/units/reset", test_unit_reset);
    qtest_add_func("/vtd-dmar/units/migration", test_unit_migration);
    qtest_add_func("/vtd-dmar/units/alias", test_unit_alias);
    qtest_add_func("/vtd-dmar/units/hotplug", test_unit_hotplug);
    add_both("/vtd-dmar/units/ioapic", test_unit_ioapic);
    DMAR_ADD_CASES("/vtd-dmar/units/refused", refuse_cases, test_refused);
    qtest_add_func("/vtd-dmar/units/refused/count", test_refused_count);
    qtest_add_func("/vtd-dmar/units/qmp", test_qmp);
    qtest_add_func("/vtd-dmar/units/monitor/alias-translate",
                   test_unit_alias_translate);
    return g_test_run();
}
