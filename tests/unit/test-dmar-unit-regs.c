/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the vtd-dmar unit layer (dmar-unit.c): the register file
 * and its access rules, the GCMD state machine, the fault log and the
 * fault event, reset, and the validation of a loaded migration stream.
 * No QEMU: the unit runs against fake guest memory, driven as the glue
 * drives it (tests/unit/dmar-unit-fixture.h).
 *
 * Each test stands for a qtest (named in its comment) and asserts the
 * same observable values: register contents, the actions the unit asks
 * for (the event messages the glue then sends), the events it reports.
 */
#include "dmar-unit-fixture.h"

/* ================= reset values, CAP/ECAP, configuration ============ */

/* qtest /vtd-dmar/reset-values, /vtd-dmar/spec/ver-cap */
static void test_reset_values(void)
{
    Fx *f = fx_new();
    uint64_t cap = expected_cap(48, 8, false, true);
    uint64_t ecap = expected_ecap(true, true, false);

    scn_reset_values(f, true);
    g_assert_cmphex(dmar_unit_cap(&f->u), ==, cap);
    g_assert_cmphex(dmar_unit_ecap(&f->u), ==, ecap);
    /* CAP.ZLR is 0; VER is read-only */
    g_assert_cmphex(cap & (1ull << 22), ==, 0);
    wr32(f, REG_VER, 0x10);
    g_assert_cmphex(rd32(f, REG_VER), ==, 0x41);
    g_assert_cmpuint(dmar_unit_mmio_size(&f->u), ==, 0x1000);
    g_assert_cmpuint(fx_take_act(f), ==, 0);
    fx_free(f);
}

typedef struct CapCase {
    const char *name;
    unsigned aw, nfr;
    bool cm, drain, pt, ir, eim;
    uint32_t mmio_size;
} CapCase;

/* qtest /vtd-dmar/regs/cap-props (the eim=auto cases are the glue's) */
static const CapCase cap_cases[] = {
    { "aw39", 39, 8, false, true, true, true, false, 0x1000 },
    { "aw57-nfr1-cm", 57, 1, true, true, true, true, false, 0x1000 },
    { "nfr256-nodrain-nopt", 48, 256, false, false, false, true, false,
      0x2000 },
    { "nfr255", 48, 255, false, true, true, true, false, 0x2000 },
    { "nfr224", 48, 224, false, true, true, true, false, 0x1000 },
    { "nfr225", 48, 225, false, true, true, true, false, 0x2000 },
    { "intremap-off", 48, 8, false, true, true, false, false, 0x1000 },
    { "eim", 48, 8, false, true, true, true, true, 0x1000 },
};

static void test_cap(const void *opaque)
{
    const CapCase *c = opaque;
    DmarUnitConfig cfg = fx_config();
    Fx *f;
    unsigned last;

    cfg.aw_bits = c->aw;
    cfg.nfr = c->nfr;
    cfg.caching_mode = c->cm;
    cfg.dma_drain = c->drain;
    cfg.hw.pt = c->pt;
    cfg.ir = c->ir;
    cfg.eim = c->eim;
    cfg.hw.sagaw = c->aw == 39 ? 0x2 : c->aw == 48 ? 0x6 : 0xe;
    f = fx_new_cfg(&cfg);
    last = REG_FRCD(c->nfr - 1);

    g_assert_cmphex(rd64(f, REG_CAP), ==,
                    expected_cap(c->aw, c->nfr, c->cm, c->drain));
    g_assert_cmphex(rd64(f, REG_ECAP), ==,
                    expected_ecap(c->pt, c->ir, c->eim));
    g_assert_cmpuint(dmar_unit_mmio_size(&f->u), ==, c->mmio_size);
    /* the last fault record exists and is empty; past it, nothing */
    g_assert_cmphex(rd64(f, last + 8), ==, 0);
    wr64(f, last + 8, ~0ull);
    g_assert_cmphex(rd64(f, last + 8), ==, 0);
    fx_clear_log(f);
    wr32(f, last + 16, ~0u);
    g_assert_cmphex(rd32(f, last + 16), ==, 0);
    g_assert_cmpuint(fx_logged(f, "no register at this offset"), ==, 2);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, 0);
    g_assert_null(dmar_unit_stream_error(&f->u));
    fx_free(f);
}

/* qtest /vtd-dmar/regs/cap-props-invalid: what no unit can be */
static void test_config_error(void)
{
    DmarUnitConfig c;
    char *err;

    c = fx_config();
    c.eim = true;
    c.ir = false;
    err = dmar_unit_config_error(&c);
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err, "eim needs interrupt remapping"));
    g_free(err);
    c.ir = true;
    g_assert_null(dmar_unit_config_error(&c));

    for (unsigned aw = 30; aw < 64; aw++) {
        c = fx_config();
        c.aw_bits = aw;
        err = dmar_unit_config_error(&c);
        g_assert_cmpint(!err, ==, aw == 39 || aw == 48 || aw == 57);
        g_assert_true(!err || strstr(err, "aw-bits must be 39, 48 or 57"));
        g_free(err);
    }
    for (unsigned nfr = 0; nfr < 300; nfr++) {
        c = fx_config();
        c.nfr = nfr;
        err = dmar_unit_config_error(&c);
        g_assert_cmpint(!err, ==, nfr >= 1 && nfr <= 256);
        g_assert_true(!err || strstr(err, "nfr must be 1..256"));
        g_free(err);
    }
    for (unsigned haw = 24; haw < 64; haw++) {
        c = fx_config();
        c.hw.haw = haw;
        err = dmar_unit_config_error(&c);
        g_assert_cmpint(!err, ==, haw >= 32 && haw <= 52);
        g_assert_true(!err || strstr(err, "host address width"));
        g_free(err);
    }
    for (unsigned k = 0; k < 2; k++) {
        static const uint32_t sizes[] = {
            0, 3, 4, 5, 1u << 20, (1u << 20) + 1, UINT32_MAX,
        };

        for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
            bool ok = sizes[i] >= 4 && sizes[i] <= 1u << 20;

            c = fx_config();
            *(k ? &c.ctx_entries : &c.iotlb_entries) = sizes[i];
            err = dmar_unit_config_error(&c);
            g_assert_cmpint(!err, ==, ok);
            g_assert_true(!err || strstr(err, "iotlb-entries and "
                                         "ctx-entries"));
            g_free(err);
        }
    }
}

/* ================= register access rules ================= */

/* qtest /vtd-dmar/regs/access: the unit logs the unoffered command */
static void regs_access_hook(Fx *f, int at, bool before)
{
    g_assert_cmpint(at, ==, SCN_AT_GCMD_UNOFFERED);
    if (before) {
        fx_clear_log(f);
    } else {
        g_assert_cmpuint(fx_logged(f, "U: vtd-dmar: GCMD 0x38000000: "
                                   "command not offered"), ==, 1);
    }
}

static void test_regs_access(void)
{
    Fx *f = fx_new();

    f->extra = regs_access_hook;
    scn_regs_access(f);
    g_assert_cmpuint(fx_take_act(f) & ~DMAR_ACT_SWITCH_AS, ==, 0);
    fx_free(f);
}

/*
 * dmar_unit_access(): what the glue makes of each access (dmar-unit.h),
 * what is logged, and the MMIO events of the accesses that reach a
 * register.
 */
static void test_access_decision(void)
{
    static const struct {
        unsigned off, size;
        DmarAccess want;
        const char *log;
    } cases[] = {
        { REG_VER, 4, DMAR_ACCESS_ONE, NULL },
        { REG_CAP, 8, DMAR_ACCESS_ONE, NULL },
        { REG_CAP + 4, 4, DMAR_ACCESS_ONE, NULL },
        { REG_CAP + 4, 8, DMAR_ACCESS_SPLIT, "low then high" },
        { REG_GCMD, 8, DMAR_ACCESS_SPLIT, "low then high" },
        { REG_FECTL, 8, DMAR_ACCESS_SPLIT, "low then high" },
        { REG_IVA, 8, DMAR_ACCESS_ONE, NULL },
        { REG_IOTLB, 8, DMAR_ACCESS_ONE, NULL },
        { REG_FRCD(0), 8, DMAR_ACCESS_ONE, NULL },
        { REG_FRCD(0) + 8, 8, DMAR_ACCESS_ONE, NULL },
        { REG_FRCD(7) + 8, 8, DMAR_ACCESS_ONE, NULL },
        { REG_FRCD(0) + 12, 8, DMAR_ACCESS_SPLIT, "low then high" },
        /* past the records, or a hole: split (each half reads 0) */
        { REG_FRCD(8), 8, DMAR_ACCESS_SPLIT, "low then high" },
        { 0x48, 8, DMAR_ACCESS_SPLIT, "low then high" },
        { 0x48, 4, DMAR_ACCESS_ONE, NULL },
        { REG_VER, 1, DMAR_ACCESS_NONE, "unsupported size" },
        { REG_VER, 2, DMAR_ACCESS_NONE, "unsupported size" },
        { REG_CAP + 2, 4, DMAR_ACCESS_NONE, "unsupported size" },
        { REG_CAP + 2, 8, DMAR_ACCESS_NONE, "unsupported size" },
        { REG_CAP + 1, 8, DMAR_ACCESS_NONE, "unsupported size" },
        { REG_FEDATA + 2, 2, DMAR_ACCESS_NONE, "unsupported size" },
    };
    Fx *f = fx_new();
    const DmarEvent *ev;
    uint64_t cap = dmar_unit_cap(&f->u);

    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        for (unsigned w = 0; w < 2; w++) {
            fx_clear_log(f);
            g_assert_cmpint(dmar_unit_access(&f->u, cases[i].off,
                                             cases[i].size, w), ==,
                            cases[i].want);
            if (!cases[i].log) {
                g_assert_cmpuint(f->log->len, ==, 0);
                continue;
            }
            g_assert_cmpuint(f->log->len, ==, 1);
            g_assert_cmpuint(fx_logged(f, cases[i].log), ==, 1);
            g_assert_cmpuint(fx_logged(f, w ? "G: vtd-dmar: write of"
                                          : "G: vtd-dmar: read of"), ==, 1);
        }
    }

    /* the events of accesses that reach registers, and their values */
    fx_clear_events(f);
    fx_clear_log(f);
    g_assert_cmphex(dmar_unit_read(&f->u, REG_CAP, 8), ==, cap);
    ev = fx_one(f, DMAR_EV_MMIO_READ);
    g_assert_cmpstr(ev->mmio.reg, ==, "CAP");
    g_assert_cmphex(ev->mmio.off, ==, REG_CAP);
    g_assert_cmpuint(ev->mmio.size, ==, 8);
    g_assert_cmphex(ev->mmio.val, ==, cap);
    g_assert_cmphex(dmar_unit_read(&f->u, REG_CAP + 4, 4), ==, cap >> 32);
    g_assert_cmpstr(fx_last(f, DMAR_EV_MMIO_READ)->mmio.reg, ==, "CAP");
    g_assert_cmphex(fx_last(f, DMAR_EV_MMIO_READ)->mmio.off, ==, REG_CAP + 4);
    g_assert_cmphex(dmar_unit_read(&f->u, REG_FRCD(3) + 8, 8), ==, 0);
    g_assert_cmpstr(fx_last(f, DMAR_EV_MMIO_READ)->mmio.reg, ==, "FRCD_HI");
    g_assert_cmphex(dmar_unit_read(&f->u, REG_FRCD(3) + 4, 4), ==, 0);
    g_assert_cmpstr(fx_last(f, DMAR_EV_MMIO_READ)->mmio.reg, ==, "FRCD_LO");
    dmar_unit_write(&f->u, REG_FEDATA, 0xffffabcd, 4);
    ev = fx_one(f, DMAR_EV_MMIO_WRITE);
    g_assert_cmpstr(ev->mmio.reg, ==, "FEDATA");
    g_assert_cmphex(ev->mmio.val, ==, 0xffffabcd);     /* as written */
    g_assert_cmphex(dmar_unit_get32(&f->u, REG_FEDATA), ==, 0xabcd);
    /* GCMD reads 0 whatever was written (write-only) */
    dmar_unit_write(&f->u, REG_GCMD, GCMD_SRTP, 4);
    g_assert_cmphex(dmar_unit_read(&f->u, REG_GCMD, 4), ==, 0);
    g_assert_cmpstr(fx_last(f, DMAR_EV_MMIO_READ)->mmio.reg, ==, "GCMD");
    g_assert_cmpuint(f->log->len, ==, 0);

    /*
     * A 4-byte write whose value has bits above 31 (the glue never makes
     * one): the unit still changes only the 32 bits it names, W1C ones
     * included. FRCD[0]'s F is set to see it.
     */
    tables_init(f, 3, 0);
    dmar_enable(f, ROOT_TABLE);
    dma_in(f, IOVA_A);
    g_assert_cmphex(rd64(f, REG_FRCD(0) + 8) & FRCD_F, ==, FRCD_F);
    dmar_unit_write(&f->u, REG_FRCD(0) + 8, ~0ull, 4);
    g_assert_cmphex(rd64(f, REG_FRCD(0) + 8) & FRCD_F, ==, FRCD_F);
    dmar_unit_write(&f->u, REG_FEDATA, 0x1234500006789ull, 4);
    g_assert_cmphex(rd32(f, REG_FEDATA), ==, 0x6789);
    g_assert_cmphex(rd32(f, REG_FEADDR), ==, 0);
    dmar_unit_write(&f->u, REG_IVA, ~0ull, 4);
    g_assert_cmphex(rd64(f, REG_IVA), ==, 0xfffff07f);
    dmar_unit_write(&f->u, REG_FSTS, ~0ull, 4);
    g_assert_cmphex(rd32(f, REG_FSTS), ==, FSTS_PPF);
    fx_clear_log(f);

    /* where no register is: 0, no event, a guest error */
    fx_clear_events(f);
    g_assert_cmphex(dmar_unit_read(&f->u, 0x48, 4), ==, 0);
    g_assert_cmpuint(dmar_unit_write(&f->u, 0x48, ~0u, 4), ==, 0);
    g_assert_cmphex(dmar_unit_read(&f->u, REG_FRCD(8), 4), ==, 0);
    g_assert_cmpuint(f->ev->len, ==, 0);
    g_assert_cmpuint(fx_logged(f, "G: vtd-dmar: read of 4 bytes at 0x48: "
                               "no register at this offset"), ==, 1);
    g_assert_cmpuint(fx_logged(f, "G: vtd-dmar: write of 4 bytes at 0x48: "
                               "no register at this offset"), ==, 1);
    g_assert_cmpuint(fx_logged(f, "at 0x280: no register"), ==, 1);
    fx_free(f);
}

/* The log hook may say a kind is not wanted: then nothing is formatted */
static bool log_never(void *opaque, DmarLogKind kind)
{
    unsigned *asked = opaque;

    asked[kind]++;
    return false;
}

static void log_fail(void *opaque, DmarLogKind kind, const char *msg)
{
    g_assert_not_reached();
}

static unsigned events_heard;

static void count_event(void *opaque, const DmarEvent *ev)
{
    events_heard++;
}

static void test_hooks(void)
{
    static const DmarUnitHooks quiet = {
        .log_enabled = log_never, .log = log_fail, .event = count_event,
    };
    DmarUnitConfig cfg = fx_config();
    FakeMem mem;
    unsigned asked[2] = { 0 };
    DmarUnit *u = g_new0(DmarUnit, 1);

    fake_mem_init(&mem);
    dmar_unit_init(u, &cfg, &fake_mem_ops, &mem, &quiet, asked);
    events_heard = 0;
    g_assert_cmpint(dmar_unit_access(u, 1, 1, false), ==, DMAR_ACCESS_NONE);
    dmar_unit_write(u, REG_GCMD, GCMD_UNOFFERED, 4);
    g_assert_cmpuint(asked[DMAR_LOG_GUEST_ERROR], ==, 1);
    g_assert_cmpuint(asked[DMAR_LOG_UNIMP], ==, 1);
    g_assert_cmpuint(events_heard, ==, 2);      /* MMIO write, GCMD */
    dmar_unit_destroy(u);

    /* no hooks at all */
    dmar_unit_init(u, &cfg, &fake_mem_ops, &mem, NULL, NULL);
    g_assert_cmpint(dmar_unit_access(u, 1, 1, false), ==, DMAR_ACCESS_NONE);
    dmar_unit_write(u, REG_GCMD, GCMD_UNOFFERED | GCMD_SRTP, 4);
    g_assert_cmphex(dmar_unit_get32(u, REG_GSTS), ==, GSTS_RTPS);
    g_assert_cmpuint(dmar_unit_reset(u), ==, DMAR_ACT_SWITCH_AS);
    dmar_unit_destroy(u);
    g_free(u);
    fake_mem_destroy(&mem);
}

/* ================= access widths (vtd-dmar-scenarios.h) ================= */

/* The glue would have sent nothing new; forget what the block did */
static void access_width_hook(Fx *f, int at, bool before)
{
    g_assert_cmpint(at, ==, SCN_AT_WIN_BLOCK);
    fx_clear_log(f);
    fx_clear_events(f);
}

/* qtest /vtd-dmar/regs/width/window-4k and window-8k */
static void test_access_width(const void *opaque)
{
    const unsigned *nfr = opaque;
    unsigned faults = *nfr > 8 ? 226 : 4;
    DmarUnitConfig cfg = fx_config();
    Fx *f;

    cfg.nfr = *nfr;
    f = fx_new_cfg(&cfg);
    g_assert_cmpuint(ROUND_UP(REG_FRCD(*nfr), 0x1000), ==,
                     dmar_unit_mmio_size(&f->u));
    f->extra = access_width_hook;
    scn_access_width(f, *nfr, faults);

    /* the unit still translates and faults */
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    dma_out(f, IOVA_A);
    assert_frcd(f, faults % *nfr, IOVA_A, FR_WRITE, true);
    fx_free(f);
}

/*
 * qtest /vtd-dmar/regs/width/split-order: the halves of an 8-byte access
 * take effect low first: unmasking the fault event (FECTL, low) sends
 * FEDATA as it was before the same write's high half changed it.
 */
static void test_access_width_order(void)
{
    Fx *f = fx_new();

    wr32(f, REG_FEDATA, 0x1111);
    wr32(f, REG_FEADDR, 0xf00000);
    wr32(f, REG_FEUADDR, 0);
    tables_init(f, 3, 0);
    dmar_enable(f, ROOT_TABLE);
    dma_in(f, IOVA_C);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    g_assert_cmpuint(f->fe_count, ==, 0);
    g_assert_cmpuint(wr64(f, REG_FECTL, 0x2222ull << 32), ==,
                     DMAR_ACT_FAULT_EVENT);
    g_assert_cmpuint(f->fe_count, ==, 1);
    g_assert_cmphex(f->fe_data, ==, 0x1111);
    g_assert_cmphex(f->fe_addr, ==, 0xf00000);
    g_assert_cmphex(rd32(f, REG_FEDATA), ==, 0x2222);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, 0);
    g_assert_cmphex(rd64(f, REG_FECTL), ==, 0x2222ull << 32);
    fx_free(f);
}

static const unsigned width_nfr8 = 8, width_nfr256 = 256;

/* ================= GCMD ================= */

/*
 * Each GCMD write: one event with the value, GSTS before and after. (The
 * unit reports the value without SIRTP, IRE and CFI when it offers
 * interrupt remapping, as the glue did before the unit layer; only the
 * other bits are compared.)
 */
static void assert_gcmd_event(Fx *f, uint32_t val, uint32_t old,
                              uint32_t gsts)
{
    const DmarEvent *ev = fx_one(f, DMAR_EV_GCMD);
    uint32_t ir_cmds = GCMD_SIRTP | GCMD_IRE | GCMD_CFI;

    g_assert_cmphex(ev->gcmd.val & ~ir_cmds, ==, val & ~ir_cmds);
    g_assert_cmphex(ev->gcmd.old_gsts, ==, old);
    g_assert_cmphex(ev->gcmd.gsts, ==, gsts);
}

/*
 * The GCMD state machine (§11.4.4.1) and what each command asks of the
 * glue: SRTP latches RTADDR and drops every cache (notifiers hear of
 * everything); TE switches address spaces (notifiers drop what was
 * translated under the other setting; the IOTLB is not touched); QIE
 * restarts the queue at 0; SIRTP and IRE tell interrupt users.
 */
static void test_gcmd(void)
{
    Fx *f = fx_new();
    const DmarEvent *ev;

    wr64(f, REG_RTADDR, ROOT_TABLE | 0xc00);
    fx_clear_events(f);
    g_assert_cmpuint(wr32(f, REG_GCMD, GCMD_SRTP), ==, DMAR_ACT_SWITCH_AS);
    assert_gcmd_event(f, GCMD_SRTP, 0, GSTS_RTPS);
    g_assert_cmpuint(fx_count(f, DMAR_EV_FLUSH_ALL), ==, 1);
    ev = fx_one(f, DMAR_EV_UNMAP_ALL);
    g_assert_true(ev->unmap_all.iotlb_dropped);
    g_assert_cmphex(f->u.root, ==, ROOT_TABLE);
    /* RTADDR alone latches nothing */
    fx_clear_events(f);
    g_assert_cmpuint(wr64(f, REG_RTADDR, ROOT_TABLE2), ==, 0);
    g_assert_cmphex(f->u.root, ==, ROOT_TABLE);
    g_assert_cmpuint(fx_count(f, DMAR_EV_GCMD), ==, 0);

    /* TE on: the address spaces switch, nothing is flushed */
    fx_clear_events(f);
    g_assert_cmpuint(wr32(f, REG_GCMD, GCMD_TE), ==, DMAR_ACT_SWITCH_AS);
    assert_gcmd_event(f, GCMD_TE, GSTS_RTPS, GSTS_RTPS | GSTS_TES);
    g_assert_false(fx_one(f, DMAR_EV_UNMAP_ALL)->unmap_all.iotlb_dropped);
    g_assert_cmpuint(fx_count(f, DMAR_EV_FLUSH_ALL), ==, 0);
    /* TE kept: no switch, no event but GCMD's */
    fx_clear_events(f);
    g_assert_cmpuint(wr32(f, REG_GCMD, GCMD_TE), ==, 0);
    assert_gcmd_event(f, GCMD_TE, GSTS_RTPS | GSTS_TES,
                      GSTS_RTPS | GSTS_TES);
    g_assert_cmpuint(f->ev->len, ==, 2);        /* MMIO write, GCMD */
    /* SRTP with TE: the new table while translating */
    fx_clear_events(f);
    g_assert_cmpuint(wr32(f, REG_GCMD, GCMD_TE | GCMD_SRTP), ==,
                     DMAR_ACT_SWITCH_AS);
    g_assert_cmphex(f->u.root, ==, ROOT_TABLE2);
    g_assert_true(fx_one(f, DMAR_EV_UNMAP_ALL)->unmap_all.iotlb_dropped);
    /* SRTP alone turns translation off: both happen */
    fx_clear_events(f);
    g_assert_cmpuint(wr32(f, REG_GCMD, GCMD_SRTP), ==, DMAR_ACT_SWITCH_AS);
    assert_gcmd_event(f, GCMD_SRTP, GSTS_RTPS | GSTS_TES, GSTS_RTPS);
    g_assert_cmpuint(fx_count(f, DMAR_EV_UNMAP_ALL), ==, 2);
    g_assert_cmpuint(fx_count(f, DMAR_EV_FLUSH_ALL), ==, 1);

    /* QIE: IQH starts at 0, nothing else */
    fx_clear_events(f);
    g_assert_cmpuint(wr32(f, REG_GCMD, GCMD_QIE), ==, 0);
    assert_gcmd_event(f, GCMD_QIE, GSTS_RTPS, GSTS_RTPS | GSTS_QIES);
    g_assert_cmpuint(fx_count(f, DMAR_EV_UNMAP_ALL), ==, 0);

    /* SIRTP: entries cached from the old table go; users are told */
    wr64(f, REG_IRTA, IRT_BASE | 3);
    fx_clear_events(f);
    g_assert_cmpuint(wr32(f, REG_GCMD, GCMD_QIE | GCMD_SIRTP), ==,
                     DMAR_ACT_IEC_NOTIFY);
    ev = fx_one(f, DMAR_EV_IEC_FLUSH);
    g_assert_true(ev->iec.global);
    assert_gcmd_event(f, GCMD_QIE | GCMD_SIRTP, GSTS_RTPS | GSTS_QIES,
                      GSTS_RTPS | GSTS_QIES | GSTS_IRTPS);
    g_assert_cmphex(f->u.irta_raw, ==, IRT_BASE | 3);
    g_assert_cmphex(f->u.irta.base, ==, IRT_BASE);
    g_assert_cmpuint(f->u.irta.entries, ==, 16);
    /* IRE on, then kept: told once (address spaces switch too) */
    g_assert_cmpuint(wr32(f, REG_GCMD, GCMD_QIE | GCMD_IRE), ==,
                     DMAR_ACT_IEC_NOTIFY | DMAR_ACT_SWITCH_AS);
    g_assert_cmpuint(wr32(f, REG_GCMD, GCMD_QIE | GCMD_IRE), ==, 0);
    g_assert_cmpuint(wr32(f, REG_GCMD, GCMD_QIE | GCMD_IRE | GCMD_CFI), ==,
                     0);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_RTPS | GSTS_QIES |
                    GSTS_IRTPS | GSTS_IRES | GSTS_CFIS);
    g_assert_cmpuint(wr32(f, REG_GCMD, GCMD_QIE), ==,
                     DMAR_ACT_IEC_NOTIFY | DMAR_ACT_SWITCH_AS);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_RTPS | GSTS_QIES |
                    GSTS_IRTPS);
    /* none of the IR commands is "not offered" here */
    g_assert_cmpuint(fx_logged(f, "not offered"), ==, 0);
    fx_free(f);
}

/* Without ECAP.IR, SIRTP/IRE/CFI are commands not offered: no effect */
static void test_gcmd_no_ir(void)
{
    DmarUnitConfig cfg = fx_config();
    Fx *f;

    cfg.ir = false;
    f = fx_new_cfg(&cfg);
    wr64(f, REG_IRTA, ~0ull);
    g_assert_cmphex(rd64(f, REG_IRTA), ==, 0);
    wr32(f, REG_IRTA, ~0u);
    wr32(f, REG_IRTA + 4, ~0u);
    g_assert_cmphex(rd64(f, REG_IRTA), ==, 0);
    fx_clear_events(f);
    g_assert_cmpuint(wr32(f, REG_GCMD, GCMD_SIRTP | GCMD_IRE | GCMD_CFI),
                     ==, 0);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, 0);
    g_assert_cmpuint(fx_count(f, DMAR_EV_IEC_FLUSH), ==, 0);
    g_assert_cmpuint(fx_logged(f, "U: vtd-dmar: GCMD 0x03800000: command "
                               "not offered by this unit"), ==, 1);
    /* each command not offered, alone: no effect, logged */
    for (unsigned bit = 27; bit <= 29; bit++) {
        fx_clear_log(f);
        wr32(f, REG_GCMD, 1u << bit);
        g_assert_cmphex(rd32(f, REG_GSTS), ==, 0);
        g_assert_cmpuint(fx_logged(f, "command not offered"), ==, 1);
    }
    /* and interrupts go through as they are, whatever their format */
    {
        DmarIntr r;

        g_assert_true(fx_msi(f, msi_remappable(0, false), 0, &r));
        g_assert_false(r.remapped);
        g_assert_true(fx_msi(f, msi_compat(0), 0x42, &r));
        g_assert_false(r.remapped);
    }
    assert_no_fault(f);
    fx_free(f);
}

/* qtest /vtd-dmar/ir/regs: IRTA and SIRTP, IRE, CFI (§11.4.4.1-2) */
static void test_ir_regs(void)
{
    Fx *f = fx_new();
    DmarUnitConfig cfg = fx_config();

    wr64(f, REG_IRTA, IRT_BASE | IRTA_EIME | 0x7f0 | 0xf);
    g_assert_cmphex(rd64(f, REG_IRTA), ==, IRT_BASE | 0xf);
    wr64(f, REG_IRTA, IRT_BASE | 3);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, 0);

    wr32(f, REG_GCMD, GCMD_SIRTP);
    g_assert_cmphex(rd32(f, REG_GCMD), ==, 0);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_IRTPS);
    wr32(f, REG_GCMD, GCMD_IRE);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_IRTPS | GSTS_IRES);
    wr32(f, REG_GCMD, GCMD_IRE | GCMD_CFI);
    g_assert_cmphex(rd32(f, REG_GSTS), ==,
                    GSTS_IRTPS | GSTS_IRES | GSTS_CFIS);
    wr32(f, REG_GCMD, GCMD_CFI);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_IRTPS | GSTS_CFIS);
    wr32(f, REG_GCMD, 0);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_IRTPS);
    wr32(f, REG_GCMD, GCMD_QIE | GCMD_IRE);
    g_assert_cmphex(rd32(f, REG_GSTS), ==,
                    GSTS_IRTPS | GSTS_QIES | GSTS_IRES);
    wr32(f, REG_GCMD, GCMD_QIE | GCMD_IRE | GCMD_SIRTP);
    g_assert_cmphex(rd32(f, REG_GSTS), ==,
                    GSTS_IRTPS | GSTS_QIES | GSTS_IRES);
    wr32(f, REG_GCMD, GCMD_QIE);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_IRTPS | GSTS_QIES);
    g_assert_cmphex(rd32(f, REG_GCMD), ==, 0);
    g_assert_cmphex(rd64(f, REG_IRTA), ==, IRT_BASE | 3);
    fx_free(f);

    /* ECAP.EIM: EIME is writable */
    cfg.eim = true;
    f = fx_new_cfg(&cfg);
    wr64(f, REG_IRTA, ~0ull);
    g_assert_cmphex(rd64(f, REG_IRTA), ==,
                    0xfffffffffffff80full & haw_mask(f));
    wr32(f, REG_IRTA, IRT_BASE | 0xff3);
    g_assert_cmphex(rd64(f, REG_IRTA), ==,
                    (0xffffffff00000000ull & haw_mask(f)) | IRT_BASE |
                    IRTA_EIME | 3);
    wr64(f, REG_IRTA, IRT_BASE | 5);
    g_assert_cmphex(rd64(f, REG_IRTA), ==, IRT_BASE | 5);
    fx_free(f);

    /* qtest /vtd-dmar/spec/irta-haw: bits 63:HAW are not implemented */
    for (unsigned haw = 32; haw <= 52; haw += 4) {
        uint64_t top = 1ull << haw;

        cfg = fx_config();
        cfg.hw.haw = haw;
        f = fx_new_cfg(&cfg);
        wr64(f, REG_IRTA, ~0ull);
        g_assert_cmphex(rd64(f, REG_IRTA), ==, (top - 1) & ~0xff0ull);
        wr32(f, REG_IRTA + 4, ~0u);
        g_assert_cmphex(rd32(f, REG_IRTA + 4), ==,
                        (uint32_t)((top - 1) >> 32));
        wr64(f, REG_IQA, ~0ull);
        g_assert_cmphex(rd64(f, REG_IQA), ==, ((top - 1) & ~0xfffull) |
                        IQA_DW | 7);
        fx_free(f);
    }
}

/* ================= fault recording and the fault event ============= */

#define OV_IOVA(n)      (0x10000000ull + (n) * 0x1000ull)

static void ov_fault(Fx *f, unsigned n)
{
    dma_in(f, OV_IOVA(n));      /* nothing is mapped: read fault 0x6 */
}

static void assert_ov(Fx *f, unsigned i, unsigned n)
{
    assert_frcd(f, i, OV_IOVA(n), FR_READ, false);
}

static Fx *fx_nfr(unsigned nfr)
{
    DmarUnitConfig cfg = fx_config();

    cfg.nfr = nfr;
    return fx_new_cfg(&cfg);
}

/*
 * qtest /vtd-dmar/regs/fectl-reset: FECTL.IM is 1 after reset, so a
 * fault before software programs the message stays pending.
 */
static void test_fectl_reset(void)
{
    Fx *f = fx_new();
    const DmarEvent *ev;

    g_assert_cmphex(rd32(f, REG_FECTL), ==, FECTL_IM);
    tables_init(f, 3, 0);
    dmar_enable(f, ROOT_TABLE);
    fx_clear_events(f);
    fx_clear_log(f);
    fault_of(f, IOVA_A, false, FR_READ);
    assert_frcd(f, 0, IOVA_A, FR_READ, false);
    g_assert_cmpuint(f->fe_count, ==, 0);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    /* the fault is an event and a guest error */
    ev = fx_one(f, DMAR_EV_FAULT);
    g_assert_cmphex(ev->fault.fr, ==, FR_READ);
    g_assert_cmphex(ev->fault.addr, ==, IOVA_A);
    g_assert_cmphex(ev->fault.sid, ==, EDU_SID);
    g_assert_false(ev->fault.is_write);
    g_assert_cmpuint(fx_logged(f, "G: vtd-dmar: DMA read fault, sid "
                               "00:04.0 addr 0x12345000 reason 0x6"), ==, 1);
    fx_free(f);
}

/* qtest /vtd-dmar/fault/overflow */
static void test_fault_overflow(void)
{
    Fx *f = fx_nfr(3);

    g_assert_cmphex((rd64(f, REG_CAP) >> 40) & 0xff, ==, 2);
    tables_init(f, 3, 0);
    dmar_enable(f, ROOT_TABLE);

    ov_fault(f, 0);
    assert_ov(f, 0, 0);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(0));
    wr32(f, REG_FRCD(0) + 12, 0x7fffffff);
    wr32(f, REG_FRCD(0) + 8, ~0u);
    wr64(f, REG_FRCD(0), ~0ull);
    assert_ov(f, 0, 0);
    wr32(f, REG_FSTS, FSTS_PPF | FSTS_FRI(2));
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(0));
    frcd_clear(f, 0);
    g_assert_cmphex(rd64(f, REG_FRCD(0) + 8) & FRCD_F, ==, 0);
    g_assert_cmphex(fsts(f), ==, 0);

    ov_fault(f, 1);
    assert_ov(f, 1, 1);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(1));
    ov_fault(f, 2);
    assert_ov(f, 2, 2);
    ov_fault(f, 2);
    g_assert_cmphex(rd64(f, REG_FRCD(0) + 8) & FRCD_F, ==, 0);
    ov_fault(f, 3);
    assert_ov(f, 0, 3);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(1));

    ov_fault(f, 4);
    g_assert_cmphex(fsts(f), ==, FSTS_PFO | FSTS_PPF | FSTS_FRI(1));
    ov_fault(f, 5);
    assert_ov(f, 0, 3);
    assert_ov(f, 1, 1);
    assert_ov(f, 2, 2);
    g_assert_cmphex(fsts(f), ==, FSTS_PFO | FSTS_PPF | FSTS_FRI(1));

    wr32(f, REG_FSTS, 0);
    g_assert_cmphex(fsts(f) & FSTS_PFO, ==, FSTS_PFO);
    wr32(f, REG_FSTS, FSTS_PFO);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(1));
    ov_fault(f, 6);
    g_assert_cmphex(fsts(f), ==, FSTS_PFO | FSTS_PPF | FSTS_FRI(1));
    assert_ov(f, 1, 1);

    for (unsigned i = 0; i < 3; i++) {
        frcd_clear(f, i);
    }
    g_assert_cmphex(fsts(f), ==, FSTS_PFO);
    wr32(f, REG_FSTS, FSTS_PFO);
    g_assert_cmphex(fsts(f), ==, 0);
    ov_fault(f, 7);
    assert_ov(f, 1, 7);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(1));
    g_assert_cmphex(rd64(f, REG_FRCD(0) + 8) & FRCD_F, ==, 0);
    g_assert_cmphex(rd64(f, REG_FRCD(2) + 8) & FRCD_F, ==, 0);
    ov_fault(f, 8);
    assert_ov(f, 2, 8);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(1));
    /* every fault was an event; only the recorded ones were logged */
    g_assert_cmpuint(fx_count(f, DMAR_EV_FAULT), ==, 10);
    g_assert_cmpuint(fx_logged(f, "DMA read fault"), ==, 6);
    fx_free(f);
}

/* qtest /vtd-dmar/fault/event */
static void test_fault_event(void)
{
    Fx *f = fx_new();

    tables_init(f, 3, 0);
    wr32(f, REG_FEDATA, 0xdead4321);
    wr32(f, REG_FEADDR, 0xf00000 | 3);
    wr32(f, REG_FEUADDR, 0);
    wr32(f, REG_FECTL, 0);
    g_assert_cmphex(rd32(f, REG_FEDATA), ==, 0x4321);
    g_assert_cmphex(rd32(f, REG_FEADDR), ==, 0xf00000);
    dmar_enable(f, ROOT_TABLE);

    /* unmasked: the message goes out at once and IP stays clear */
    fx_take_act(f);
    ov_fault(f, 0);
    g_assert_cmpuint(fx_take_act(f), ==, DMAR_ACT_FAULT_EVENT);
    g_assert_cmpuint(f->fe_count, ==, 1);
    g_assert_cmphex(f->fe_data, ==, 0x4321);
    g_assert_cmphex(f->fe_addr, ==, 0xf00000);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, 0);

    /* PPF still set: a new fault is recorded but sends nothing */
    ov_fault(f, 1);
    assert_ov(f, 1, 1);
    g_assert_cmpuint(f->fe_count, ==, 1);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, 0);

    /* masked: IP is set and held until IM is cleared */
    frcd_clear(f, 0);
    frcd_clear(f, 1);
    g_assert_cmphex(fsts(f), ==, 0);
    wr32(f, REG_FECTL, FECTL_IM);
    ov_fault(f, 2);
    g_assert_cmpuint(f->fe_count, ==, 1);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    g_assert_cmpuint(wr32(f, REG_FECTL, FECTL_IM), ==, 0);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    g_assert_cmpuint(wr32(f, REG_FECTL, 0), ==, DMAR_ACT_FAULT_EVENT);
    g_assert_cmpuint(f->fe_count, ==, 2);
    g_assert_cmphex(f->fe_data, ==, 0x4321);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, 0);
    /* unmasking again sends nothing more */
    wr32(f, REG_FECTL, FECTL_IM);
    wr32(f, REG_FECTL, 0);
    g_assert_cmpuint(f->fe_count, ==, 2);

    /* masked, then software services everything: IP clears, no message */
    frcd_clear(f, 2);
    wr32(f, REG_FECTL, FECTL_IM);
    ov_fault(f, 3);
    assert_ov(f, 3, 3);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    frcd_clear(f, 3);
    g_assert_cmphex(fsts(f), ==, 0);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, FECTL_IM);
    wr32(f, REG_FECTL, 0);
    g_assert_cmpuint(f->fe_count, ==, 2);

    /* a new fault with new data */
    wr32(f, REG_FEDATA, 0x0bad);
    dma_out(f, OV_IOVA(4));
    assert_frcd(f, 4, OV_IOVA(4), FR_WRITE, true);
    g_assert_cmpuint(f->fe_count, ==, 3);
    g_assert_cmphex(f->fe_data, ==, 0x0bad);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, 0);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(4));

    /* qtest /vtd-dmar/translate/above-4g: the message's upper address */
    frcd_clear(f, 4);
    wr32(f, REG_FEADDR, 0x20000);
    wr32(f, REG_FEUADDR, 0x1);
    ov_fault(f, 5);
    g_assert_cmpuint(f->fe_count, ==, 4);
    g_assert_cmphex(f->fe_addr, ==, 0x100020000ull);
    g_assert_cmphex(f->fe_data, ==, 0x0bad);
    fx_free(f);
}

/* qtest /vtd-dmar/fault/event-overflow */
static void test_fault_event_overflow(void)
{
    Fx *f = fx_nfr(1);

    tables_init(f, 3, 0);
    wr32(f, REG_FEDATA, 0x77);
    wr32(f, REG_FEADDR, 0xf00000);
    wr32(f, REG_FECTL, 0);
    dmar_enable(f, ROOT_TABLE);

    ov_fault(f, 0);
    g_assert_cmpuint(f->fe_count, ==, 1);
    g_assert_cmphex(f->fe_data, ==, 0x77);
    ov_fault(f, 1);
    g_assert_cmphex(fsts(f), ==, FSTS_PFO | FSTS_PPF | FSTS_FRI(0));
    g_assert_cmpuint(f->fe_count, ==, 1);
    frcd_clear(f, 0);
    g_assert_cmphex(fsts(f), ==, FSTS_PFO);
    ov_fault(f, 2);
    g_assert_cmphex(rd64(f, REG_FRCD(0) + 8) & FRCD_F, ==, 0);
    g_assert_cmphex(fsts(f), ==, FSTS_PFO);
    g_assert_cmpuint(f->fe_count, ==, 1);
    wr32(f, REG_FSTS, FSTS_PFO);
    ov_fault(f, 3);
    assert_ov(f, 0, 3);
    g_assert_cmpuint(f->fe_count, ==, 2);

    frcd_clear(f, 0);
    wr32(f, REG_FECTL, FECTL_IM);
    ov_fault(f, 4);
    ov_fault(f, 5);
    g_assert_cmphex(fsts(f), ==, FSTS_PFO | FSTS_PPF | FSTS_FRI(0));
    g_assert_cmphex(rd32(f, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    frcd_clear(f, 0);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, FECTL_IM | FECTL_IP);
    wr32(f, REG_FSTS, FSTS_PFO);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, FECTL_IM);
    wr32(f, REG_FECTL, 0);
    g_assert_cmpuint(f->fe_count, ==, 2);
    fx_free(f);
}

/* A read of an unmapped page: fault 6h in the next record, which is I */
static void fi_fault(Fx *f, unsigned n, unsigned i)
{
    uint64_t iova = 0x20000000ull + n * 0x1000ull;

    dma_in(f, iova);
    assert_frcd(f, i, iova, FR_READ, false);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF | FSTS_FRI(i));
    frcd_clear(f, i);
    g_assert_cmphex(fsts(f), ==, 0);
}

static void fi_ir_fault(Fx *f, unsigned index, unsigned i)
{
    DmarIntr r;

    g_assert_false(fx_msi(f, msi_remappable(index, false), 0, &r));
    g_assert_cmphex(rd64(f, REG_FRCD(i) + 8) & FRCD_F, ==, FRCD_F);
    assert_ir_fault(f, FR_IR_NP, index, EDU_SID);
}

/*
 * qtest /vtd-dmar/spec/fault-index-reset (§7.2.1): the next record index
 * goes back to 0 when GSTS.TES and GSTS.IRES are both clear.
 */
static void test_fault_index_reset(void)
{
    Fx *f = fx_new();

    tables_init(f, 3, 0);
    dmar_enable(f, ROOT_TABLE);
    fi_fault(f, 0, 0);
    fi_fault(f, 1, 1);
    fi_fault(f, 2, 2);
    gcmd_update(f, 0, GCMD_TE);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_RTPS);
    dmar_enable(f, ROOT_TABLE);
    fi_fault(f, 3, 0);
    fi_fault(f, 4, 1);

    fx_zero(f, IRT_BASE, 0x1000);
    ir_enable(f, IRT_BASE | 7, false);
    gcmd_update(f, 0, GCMD_TE);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_RTPS | GSTS_IRTPS | GSTS_IRES);
    fi_ir_fault(f, 5, 2);
    gcmd_update(f, GCMD_TE, 0);
    fi_fault(f, 5, 3);
    gcmd_update(f, 0, GCMD_IRE);
    gcmd_update(f, GCMD_IRE, 0);
    fi_fault(f, 6, 4);
    gcmd_update(f, 0, GCMD_IRE);
    gcmd_update(f, 0, GCMD_TE);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_RTPS | GSTS_IRTPS);
    gcmd_update(f, GCMD_IRE, 0);
    fi_ir_fault(f, 9, 0);
    gcmd_update(f, GCMD_TE, 0);
    fi_fault(f, 7, 1);
    wr32(f, REG_GCMD, 0);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_RTPS | GSTS_IRTPS);
    gcmd_update(f, GCMD_TE, 0);
    fi_fault(f, 8, 0);
    fx_free(f);
}

/* ================= reset ================= */

/* qtest /vtd-dmar/regs/system-reset */
static void test_reset(void)
{
    Fx *f = fx_new();
    uint32_t fresh[SNAP_WORDS], used[SNAP_WORDS], reset[SNAP_WORDS];
    unsigned changed = 0;
    DmarIntr r;
    DmarXlate x;

    snapshot(f, fresh);
    tables_init(f, 3, 0);
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    wr32(f, REG_FEDATA, 0x4321);
    wr32(f, REG_FEADDR, 0xf00000);
    wr32(f, REG_FEUADDR, 0);
    wr32(f, REG_FECTL, FECTL_IM);
    dmar_enable(f, ROOT_TABLE);
    dma_in(f, IOVA_A);
    dma_in(f, IOVA_B);
    ccmd_inv(f, CCMD_CIRG(GRAN_DOMAIN) | CCMD_DID(DOMAIN));
    iotlb_inv(f, GRAN_PAGE, DOMAIN, IOVA_A | IVA_AM(1));
    wr64(f, REG_IVA, 0x777000);
    wr32(f, REG_IEDATA, 0x1234);
    wr32(f, REG_IEADDR, 0xf00100);
    wr32(f, REG_IEUADDR, 0x1);
    qi_enable(f, IQ_BASE, 1);
    qi_push_wait(f, IQ_SYNC, 0x77, QI_WAIT_IF);
    qi_kick(f);
    g_assert_cmphex(rd32(f, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(rd32(f, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(1));
    fx_zero(f, IRT_BASE, 0x1000);
    ir_enable(f, IRT_BASE | 3, true);
    g_assert_cmphex(rd32(f, REG_GSTS), ==, GSTS_TES | GSTS_RTPS |
                    GSTS_QIES | GSTS_IRES | GSTS_IRTPS | GSTS_CFIS);
    g_assert_false(fx_msi(f, msi_remappable(1, false), 0, &r));
    g_assert_cmphex(rd64(f, REG_FRCD(1) + 8) & FRCD_FR(0xff), ==,
                    FRCD_FR(FR_IR_NP));
    snapshot(f, used);
    for (unsigned i = 0; i < SNAP_WORDS; i++) {
        changed += used[i] != fresh[i];
    }
    g_assert_cmpuint(changed, >=, 18);
    g_assert_cmphex(fsts(f), ==, FSTS_PPF);
    g_assert_cmphex(rd32(f, REG_FECTL), ==, FECTL_IM | FECTL_IP);

    fx_clear_events(f);
    g_assert_cmpuint(fx_act(f, dmar_unit_reset(&f->u)), ==,
                     DMAR_ACT_SWITCH_AS);
    snapshot(f, reset);
    assert_same_regs(fresh, reset);
    /* every cache dropped, notifiers told, interrupt entries too */
    g_assert_cmpuint(fx_count(f, DMAR_EV_FLUSH_ALL), ==, 1);
    g_assert_true(fx_one(f, DMAR_EV_UNMAP_ALL)->unmap_all.iotlb_dropped);
    g_assert_true(fx_one(f, DMAR_EV_IEC_FLUSH)->iec.global);
    g_assert_cmphex(f->u.root, ==, 0);
    g_assert_cmphex(f->u.irta_raw, ==, 0);
    g_assert_null(dmar_unit_stream_error(&f->u));

    /* DMA is untranslated, interrupts are as they are, no faults */
    g_assert_cmphex(xlate(f, 0x710000, true), ==, 0x710000);
    g_assert_true(fx_msi(f, msi_remappable(1, false), 0, &r));
    g_assert_false(r.remapped);
    g_assert_cmphex(fsts(f), ==, 0);
    g_assert_cmphex(rd64(f, REG_IRTA), ==, 0);
    /* the next fault goes to FRCD[0]; the IOTLB kept nothing */
    dmar_enable(f, ROOT_TABLE);
    fault_of(f, IOVA_C, false, FR_READ);
    assert_frcd(f, 0, IOVA_C, FR_READ, false);
    g_assert_true(fx_dma(f, IOVA_A, false, &x));
    g_assert_false(x.hit);
    g_assert_true(x.walked);
    g_assert_cmphex(rd64(f, REG_FRCD(1) + 8), ==, 0);
    /* the queue starts over at its base */
    qi_enable(f, IQ_BASE, 0);
    qi_sync(f);
    g_assert_cmphex(rd32(f, REG_ICS), ==, 0);
    fx_free(f);
}

/* ================= the migration stream ================= */

/* The unit in the middle of everything it does (vtd-dmar-scenarios.h) */
static Fx *stream_source(const DmarUnitConfig *cfg)
{
    Fx *f = fx_new_cfg(cfg);

    scn_stream_source_setup(f, cfg->ir);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    g_assert_null(dmar_unit_stream_error(&f->u));
    return f;
}

/*
 * qtest /vtd-dmar/migration-stream/intact, /vtd-dmar/migration,
 * /vtd-dmar/qi/migration, /vtd-dmar/ir/migration: DMA, queue, faults and
 * interrupts go on where they were.
 */
static void test_stream_intact(void)
{
    DmarUnitConfig cfg = fx_config();
    Fx *src = stream_source(&cfg);
    uint32_t before[SNAP_WORDS], after[SNAP_WORDS];
    const char *why;
    Saved s;
    Fx *f;
    DmarIntr r;

    /* IRTA written, not latched: the destination must not latch it */
    wr64(src, REG_IRTA, IRT_BASE2 | 1);
    wr64(src, REG_IVA, IOVA_A | IVA_AM(2));
    fx_save(src, &s);
    snapshot(src, before);
    f = fx_load(src, &cfg, &s, &why);
    g_assert_null(why);
    snapshot(f, after);
    assert_same_regs(before, after);
    g_assert_cmphex(rd64(f, REG_IVA), ==, IOVA_A | IVA_AM(2));
    g_assert_cmphex(f->u.irta.base, ==, IRT_BASE);
    g_assert_cmpuint(f->u.irta.entries, ==, 16);

    /* DMA lands where the tables say; the queue goes on and invalidates */
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);     /* cached */
    qi_iotlb(f, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    qi_sync(f);
    g_assert_cmphex(rd64(f, REG_IQH), ==, iq_off(4));
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);
    /* remapped interrupts, through the latched table */
    g_assert_true(fx_msi(f, msi_remappable(2, false), 0, &r));
    g_assert_cmphex(r.irq.vector, ==, 0xc2);
    /* the pending fault stays; the next goes to the next record */
    dma_out(f, IOVA_A);
    assert_frcd(f, 0, IOVA_C, FR_READ, false);
    assert_frcd(f, 1, IOVA_A, FR_WRITE, true);
    /* both pending events go out when unmasked */
    g_assert_cmpuint(f->fe_count + f->ie_count, ==, 0);
    wr32(f, REG_FECTL, 0);
    g_assert_cmpuint(f->fe_count, ==, 1);
    g_assert_cmphex(f->fe_data, ==, 0x2bad);
    wr32(f, REG_IECTL, 0);
    g_assert_cmpuint(f->ie_count, ==, 1);
    g_assert_cmphex(f->ie_data, ==, 0x3bad);
    g_assert_cmphex(f->ie_addr, ==, 0xf00100);
    /* serviced: the next completion is an event again */
    wr32(f, REG_ICS, ICS_IWC);
    qi_wait_if(f);
    g_assert_cmpuint(f->ie_count, ==, 2);
    /* latching the IRTA written before the migration works here */
    irte_put(f, IRT_BASE2, 2, 0, 0);
    gcmd_update(f, GCMD_SIRTP, 0);
    g_assert_false(fx_msi(f, msi_remappable(2, false), 0, &r));
    g_assert_cmphex(rd64(f, REG_FRCD(2)), ==, 2ull << 48);
    g_assert_cmphex(rd64(f, REG_FRCD(2) + 8) & ~FRCD_T1, ==,
                    FRCD_F | FRCD_FR(FR_IR_NP) | EDU_SID);
    fx_free(f);
    fx_free(src);
}

/*
 * A state loaded into a unit that was in use (loadvm): the caches and the
 * interrupt entry cache start empty, and IRTA is the loaded one.
 */
static void test_stream_loadvm(void)
{
    Fx *f = fx_new();
    Saved s;
    DmarIntr r;

    tables_init(f, 3, 0);
    map(f, IOVA_A, PAGE_P1, 1, PTE_R);
    irte_put(f, IRT_BASE, 1, irte_lo(0x41), 0);
    irte_put(f, IRT_BASE2, 1, irte_lo(0x42), 0);
    dmar_enable(f, ROOT_TABLE);
    ir_enable(f, IRT_BASE | 3, false);
    fx_save(f, &s);
    /* the unit goes on: its caches fill, IRTA moves */
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P1);
    g_assert_true(fx_msi(f, msi_remappable(1, false), 0, &r));
    g_assert_cmphex(r.irq.vector, ==, 0x41);
    ir_set_table(f, IRT_BASE2 | 3);
    /* meanwhile the tables changed (no invalidation: a loaded state) */
    map(f, IOVA_A, PAGE_P2, 1, PTE_R);
    irte_put(f, IRT_BASE, 1, irte_lo(0x43), 0);

    memcpy(f->u.regs, s.regs, sizeof(s.regs));
    f->u.root = s.root;
    f->u.flog.next = s.next;
    f->u.irta_raw = s.irta_raw;
    g_assert_null(dmar_unit_stream_error(&f->u));
    dmar_unit_post_load(&f->u);
    g_assert_cmphex(f->u.irta.base, ==, IRT_BASE);
    g_assert_cmphex(xlate(f, IOVA_A, false), ==, PAGE_P2);
    g_assert_true(fx_msi(f, msi_remappable(1, false), 0, &r));
    g_assert_cmphex(r.irq.vector, ==, 0x43);
    fx_free(f);
}

typedef struct StreamCase {
    const char *name;
    bool no_ir;
    unsigned reg, size;         /* bits set and cleared in a register */
    uint64_t set, clear;
    void (*damage)(Saved *s);   /* ... or some other damage */
    const char *why;
} StreamCase;

static void sd_next(Saved *s)
{
    s->next = 8;
}

static void sd_next_huge(Saved *s)
{
    s->next = 0xffffffff;
}

static void sd_frcd_past_nfr(Saved *s)
{
    memcpy(s->regs + REG_FRCD(8) + 8, s->regs + REG_FRCD(0) + 8, 8);
}

static void sd_root_rsvd(Saved *s)
{
    s->root |= 0x400;           /* TTM: scalable mode */
}

static void sd_root_low(Saved *s)
{
    s->root |= 0x1;
}

static void sd_irta_rsvd(Saved *s)
{
    s->irta_raw |= 0x10;
}

static void sd_irta_haw(Saved *s)
{
    s->irta_raw |= 1ull << 63;
}

static void sd_irta_haw_just(Saved *s)
{
    s->irta_raw |= 1ull << FX_HAW;
}

static void sd_irta_eime(Saved *s)
{
    s->irta_raw |= IRTA_EIME;
}

static void sd_iqh(Saved *s)
{
    stq_le_p(s->regs + REG_IQH, iq_off(256));
}

static void sd_iqh_last(Saved *s)
{
    stq_le_p(s->regs + REG_IQH, iq_off(255));
}

static void sd_iqh_max(Saved *s)
{
    stq_le_p(s->regs + REG_IQH, iq_off(0x7fff));
}

static void sd_iqa_qs_big(Saved *s)
{
    /* QS 7: 32768 entries; IQH 0x7fff is inside that queue */
    stq_le_p(s->regs + REG_IQA, ldq_le_p(s->regs + REG_IQA) | 7);
    stq_le_p(s->regs + REG_IQH, iq_off(0x7fff));
}

static void sd_iqa_haw_just(Saved *s)
{
    stq_le_p(s->regs + REG_IQA, ldq_le_p(s->regs + REG_IQA) |
             1ull << FX_HAW);
}

static void sd_irta_unlatched(Saved *s)
{
    s->irta_raw = 0;
}

/*
 * qtest /vtd-dmar/migration-stream/<name>, and the boundaries of each
 * check (why = NULL: the stream is valid)
 */
static const StreamCase stream_cases[] = {
    { "cap", .reg = REG_CAP, 8, .set = 8ull << 40, .why = WHY_CONFIG },
    { "cap-lower", .reg = REG_CAP, 4, .clear = 1u << 7 | 0x600,
      .why = WHY_CONFIG },
    { "ecap", .reg = REG_ECAP, 8, .set = ECAP_EIM, .why = WHY_CONFIG },
    { "ecap-ir", .reg = REG_ECAP, 8, .clear = ECAP_IR, .why = WHY_CONFIG },
    { "fault-next", .damage = sd_next, .why = WHY_NEXT },
    { "fault-next-huge", .damage = sd_next_huge, .why = WHY_NEXT },
    { "fsts-fri", .reg = REG_FSTS, 4, .set = FSTS_FRI(8), .why = WHY_FRI },
    { "fsts-fri-last", .reg = REG_FSTS, 4, .set = FSTS_FRI(7) },
    { "frcd-past-nfr", .damage = sd_frcd_past_nfr, .why = WHY_FRCD },
    { "frcd-last", .reg = REG_FRCD(255) + 15, 1, .set = 0x80,
      .why = WHY_FRCD },
    { "frcd-last-byte", .reg = DMAR_REGS_MAX - 1, 1, .set = 0x01,
      .why = WHY_FRCD },
    { "frcd-first-past", .reg = REG_FRCD(8), 1, .set = 0x01,
      .why = WHY_FRCD },
    { "frcd-last-in", .reg = REG_FRCD(7), 4, .set = 0x1000 },
    { "gsts-not-offered", .reg = REG_GSTS, 4, .set = 1u << 27,
      .why = WHY_GSTS },
    { "gsts-low-bit", .reg = REG_GSTS, 4, .set = 1u << 22,
      .why = WHY_GSTS },
    { "gsts-ir-not-offered", .no_ir = true, .reg = REG_GSTS, 4,
      .set = GSTS_IRES, .why = WHY_GSTS },
    { "gsts-irtps-not-offered", .no_ir = true, .reg = REG_GSTS, 4,
      .set = GSTS_IRTPS, .why = WHY_GSTS },
    { "gsts-cfis-not-offered", .no_ir = true, .reg = REG_GSTS, 4,
      .set = GSTS_CFIS, .why = WHY_GSTS },
    { "gsts-cfis", .reg = REG_GSTS, 4, .set = GSTS_CFIS },
    { "root-reserved", .damage = sd_root_rsvd, .why = WHY_ROOT },
    { "root-low-bit", .damage = sd_root_low, .why = WHY_ROOT },
    { "root-not-latched", .reg = REG_GSTS, 4, .clear = GSTS_RTPS,
      .why = WHY_ROOT },
    { "irta-reserved", .damage = sd_irta_rsvd, .why = WHY_IRTA },
    { "irta-beyond-haw", .damage = sd_irta_haw, .why = WHY_IRTA },
    { "irta-at-haw", .damage = sd_irta_haw_just, .why = WHY_IRTA },
    { "irta-eime", .damage = sd_irta_eime, .why = WHY_IRTA },
    { "irta-not-latched", .reg = REG_GSTS, 4, .clear = GSTS_IRTPS,
      .why = WHY_IRTA },
    { "irta-none-not-latched", .reg = REG_GSTS, 4, .clear = GSTS_IRTPS,
      .damage = sd_irta_unlatched },
    { "iqa-beyond-haw", .reg = REG_IQA, 8, .set = 1ull << 63,
      .why = WHY_IQA },
    { "iqa-at-haw", .damage = sd_iqa_haw_just, .why = WHY_IQA },
    { "iqa-reserved", .reg = REG_IQA, 8, .set = 1ull << 3, .why = WHY_IQA },
    { "iqa-dw", .reg = REG_IQA, 8, .set = IQA_DW },
    { "iqh-beyond-queue", .damage = sd_iqh, .why = WHY_IQH },
    { "iqh-last", .damage = sd_iqh_last },
    { "iqh-max", .damage = sd_iqh_max, .why = WHY_IQH },
    { "iqh-in-big-queue", .damage = sd_iqa_qs_big },
    { "iqh-reserved", .reg = REG_IQH, 8, .set = 1, .why = WHY_IQH },
    { "iqh-reserved-high", .reg = REG_IQH, 8, .set = 1ull << 19,
      .why = WHY_IQH },
    { "iqt-reserved", .reg = REG_IQT, 8, .set = 1ull << 19, .why = WHY_IQT },
    { "iqt-reserved-low", .reg = REG_IQT, 8, .set = 1ull << 3,
      .why = WHY_IQT },
    { "iqt-beyond-queue", .reg = REG_IQT, 8, .set = 0x7fff0 },
    { "ccmd-in-progress", .reg = REG_CCMD, 8, .set = CCMD_ICC,
      .why = WHY_INV },
    { "iotlb-in-progress", .reg = REG_IOTLB, 8, .set = IOTLB_IVT,
      .why = WHY_INV },
    { "ccmd-fields", .reg = REG_CCMD, 8, .set = CCMD_CIRG(3) | 0xffff },
};

/*
 * Each damage is refused by the check meant for it, with its reason;
 * the unit is then as after reset, and works.
 */
static void test_stream_damaged(const void *opaque)
{
    const StreamCase *c = opaque;
    DmarUnitConfig cfg = fx_config();
    uint32_t fresh[SNAP_WORDS], after[SNAP_WORDS];
    const char *why;
    Saved s;
    Fx *src, *f;

    cfg.ir = !c->no_ir;
    src = stream_source(&cfg);
    fx_save(src, &s);
    if (c->damage) {
        c->damage(&s);
    }
    if (c->size) {
        uint64_t v = 0;

        memcpy(&v, s.regs + c->reg, c->size);
        v = le64_to_cpu(v);
        v = (v | c->set) & ~c->clear;
        v = cpu_to_le64(v);
        memcpy(s.regs + c->reg, &v, c->size);
    }
    f = fx_load(src, &cfg, &s, &why);
    if (!c->why) {
        g_assert_null(why);
        fx_free(f);
        fx_free(src);
        return;
    }
    g_assert_nonnull(why);
    g_assert_cmpstr(why, ==, c->why);
    /* the glue resets the unit: as fresh as a new one */
    fx_free(src);
    src = fx_new_cfg(&cfg);
    snapshot(src, fresh);
    snapshot(f, after);
    assert_same_regs(fresh, after);
    g_assert_cmphex(f->u.root, ==, 0);
    g_assert_cmphex(f->u.irta_raw, ==, 0);
    g_assert_cmpuint(f->u.flog.next, ==, 0);
    g_assert_null(dmar_unit_stream_error(&f->u));
    wr32(f, REG_FEDATA, 0x4242);
    g_assert_cmphex(rd32(f, REG_FEDATA), ==, 0x4242);
    fx_free(f);
    fx_free(src);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dmar-unit/regs/reset-values", test_reset_values);
    ADD_CASES("/dmar-unit/regs/cap", cap_cases, test_cap);
    g_test_add_func("/dmar-unit/regs/config-error", test_config_error);
    g_test_add_func("/dmar-unit/regs/access", test_regs_access);
    g_test_add_func("/dmar-unit/regs/access-decision", test_access_decision);
    g_test_add_func("/dmar-unit/regs/hooks", test_hooks);
    g_test_add_data_func("/dmar-unit/regs/width/window-4k", &width_nfr8,
                         test_access_width);
    g_test_add_data_func("/dmar-unit/regs/width/window-8k", &width_nfr256,
                         test_access_width);
    g_test_add_func("/dmar-unit/regs/width/split-order",
                    test_access_width_order);
    g_test_add_func("/dmar-unit/regs/gcmd", test_gcmd);
    g_test_add_func("/dmar-unit/regs/gcmd-no-ir", test_gcmd_no_ir);
    g_test_add_func("/dmar-unit/regs/ir", test_ir_regs);
    g_test_add_func("/dmar-unit/regs/reset", test_reset);
    g_test_add_func("/dmar-unit/fault/fectl-reset", test_fectl_reset);
    g_test_add_func("/dmar-unit/fault/overflow", test_fault_overflow);
    g_test_add_func("/dmar-unit/fault/event", test_fault_event);
    g_test_add_func("/dmar-unit/fault/event-overflow",
                    test_fault_event_overflow);
    g_test_add_func("/dmar-unit/fault/index-reset", test_fault_index_reset);
    g_test_add_func("/dmar-unit/stream/intact", test_stream_intact);
    g_test_add_func("/dmar-unit/stream/loadvm", test_stream_loadvm);
    ADD_CASES("/dmar-unit/stream/damaged", stream_cases,
              test_stream_damaged);
    return g_test_run();
}
