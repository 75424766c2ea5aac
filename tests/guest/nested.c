/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nested: real vfio-pci behind a nested remapping unit, run inside the
 * test guest (scenario "nested" of tests/guest/init).
 *
 * The guest runs on vtd-dmar and has bound its edu to vfio-pci. This
 * program starts our own QEMU inside the guest (the initramfs part that
 * scripts/build-guest makes from the build tree) as
 *
 *   qemu-system-x86_64 -accel qtest -qtest unix:SOCK -M q35 -nodefaults
 *       -m 64 -device INNER,caching-mode=on,intremap=off
 *       -device vfio-pci,host=BDF,addr=04.0
 *
 * and drives it through the qtest protocol: it gives the assigned edu a
 * BAR in the inner machine, builds the inner unit's root, context and
 * page tables in the inner machine's RAM, turns translation on and makes
 * edu DMA through those tables. QEMU's vfio listener hears the inner
 * unit's MAP/UNMAP notifications and maps them into the guest's VFIO
 * container, so the guest's own unit (the outer vtd-dmar) enforces what
 * the inner tables say: the data must land exactly where they map it, and
 * an IOVA they do not map (or map read-only, or unmapped since) is
 * blocked by the outer unit, whose fault the guest's kernel logs.
 *
 *   nested [--inner vtd-dmar|intel-iommu] [--inval register|queued]
 *          [--break WHAT] BDF
 *
 * --inval: how the inner tables' changes are invalidated: through the
 * registers (CCMD, IOTLB) or the invalidation queue (as Linux does).
 *
 * BDF "emulated" gives the inner machine an emulated edu instead (on the
 * host, to debug this program: NESTED_QEMU=build/qemu-system-x86_64;
 * the outer-fault checks then fail, there is no outer unit).
 *
 * --break makes one deliberate mistake, to show that the checks catch it:
 *   no-cm           start the inner unit without caching mode
 *   no-map-inval    add DST's mapping without the invalidation caching
 *                   mode requires (no MAP: DST's DMA is blocked)
 *   no-remap-inval  point DST at another page without an invalidation
 *                   (the data goes on landing in the old one)
 *   no-unmap-inval  clear DST's entry without an invalidation (no UNMAP:
 *                   the write after the unmap lands)
 *   map-u           map the "unmapped" IOVA U 1:1 (the writes to it land)
 *   rw-src          map SRC read-write (the write to it lands)
 *   wrong-gpa       map DST one page above where the check looks
 *   no-te           never turn translation on (vfio maps all RAM 1:1)
 *
 * Output: "VTD: RESULT <check> PASS|FAIL <detail>" and "VTD: INFO ..."
 * lines, as vtdtool's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "edu.h"
#include "guest-result.h"

#define PAGE            4096ul
#define INNER_QEMU      "/usr/bin/qemu-system-x86_64"
#define QTEST_SOCK      "/tmp/nested-qtest.sock"
#define INNER_LOG       "/tmp/nested-qemu.log"
#define INNER_RAM_MIB   64
#define REPLY_TIMEOUT_MS 60000

/* The inner machine: where things are (its guest-physical addresses). */
#define INNER_DEVFN     0x20            /* vfio-pci at 00:04.0 */
#define INNER_BAR0      0xe0000000ul    /* edu's BAR0 (1 MiB) in the PCI hole */
#define INNER_UNIT      0xfed90000ul    /* q35's remapping unit */
#define ROOT_TABLE      0x100000ul
#define CTX_TABLE       0x101000ul
#define PT_POOL         0x102000ul      /* page-table pages, bump-allocated */
#define PT_POOL_END     0x180000ul
#define IQ_BASE         0x180000ul      /* invalidation queue, 256 slots */
#define IQ_STATUS       0x181000ul      /* wait descriptors' status */
#define DOMAIN_ID       1

/* IOVAs (below edu's 28-bit DMA mask) and the pages they map to. */
#define IOVA_SRC        0x0c000000ul    /* -> GPA_SRC, read-only */
#define IOVA_DST        0x0c001000ul    /* -> GPA_DST, then GPA_DST2 */
#define IOVA_SP         0x0c200000ul    /* 2 MiB superpage -> GPA_SP */
#define IOVA_U          0x00400000ul    /* never mapped; GPA_U: a sentinel */
#define GPA_SRC         0x00200000ul
#define GPA_DST         0x00300000ul
#define GPA_DST2        0x00500000ul
#define GPA_U           0x00400000ul
#define GPA_SP          0x00600000ul

/* VT-d registers (VT-d spec 4.1 §11.4) */
#define R_CAP           0x08
#define R_ECAP          0x10
#define R_GCMD          0x18
#define R_GSTS          0x1c
#define R_RTADDR        0x20
#define R_CCMD          0x28
#define R_FSTS          0x34
#define R_IQT           0x88
#define R_IQA           0x90
#define GCMD_TE         (1u << 31)
#define GCMD_SRTP       (1u << 30)
#define GCMD_QIE        (1u << 26)
#define CAP_CM          (1ull << 7)
#define CCMD_ICC        (1ull << 63)
#define CCMD_GLOBAL     (1ull << 61)
#define IOTLB_IVT       (1ull << 63)
#define IOTLB_GLOBAL    (1ull << 60)
#define IOTLB_DOMAIN    (2ull << 60)
#define IOTLB_PAGE      (3ull << 60)
#define PTE_R           1ull
#define PTE_W           2ull
#define PTE_PS          (1ull << 7)

static int qfd = -1;
static pid_t qemu_pid;
static const char *sabotage = "";
static char bdf_short[16];              /* "00:03.0", as 6.12's fault lines */
static unsigned levels, ctx_aw, iro;
static uint64_t pt_next = PT_POOL;
static double t_start;
static bool emulated;
static bool queued;                     /* --inval queued */
static uint32_t gcmd;                   /* GCMD's enables (TE, QIE) */
static unsigned iq_tail;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool broken(const char *what)
{
    return strcmp(sabotage, what) == 0;
}

/*
 * The inner QEMU's messages, as INFO lines; the number of them that are
 * not expected (vfio-pci cannot reset edu: it has no FLR, and it sits on
 * the root bus).
 */
static int show_inner_log(void)
{
    char line[512];
    FILE *f = fopen(INNER_LOG, "r");
    int unexpected = 0;

    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        printf("VTD: INFO inner-qemu %s\n", line);
        unexpected += !strstr(line, "vfio: Cannot reset device");
    }
    if (f) {
        fclose(f);
    }
    fflush(stdout);
    return unexpected;
}

static void stop_inner(void)
{
    if (qemu_pid > 0) {
        kill(qemu_pid, SIGKILL);
        waitpid(qemu_pid, NULL, 0);
        qemu_pid = 0;
    }
}

static void fatal(const char *check, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void fatal(const char *check, const char *fmt, ...)
{
    va_list ap;

    printf("VTD: RESULT %s FAIL ", check);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    stop_inner();
    show_inner_log();
    exit(2);
}

/* ---- the qtest protocol ---- */

static char rbuf[1 << 16];
static size_t rlen;

/* One reply line (without its newline); async "IRQ" lines are skipped. */
static char *reply(void)
{
    static char line[sizeof(rbuf)];

    for (;;) {
        char *nl = memchr(rbuf, '\n', rlen);

        if (nl) {
            size_t n = nl - rbuf;

            memcpy(line, rbuf, n);
            line[n] = 0;
            memmove(rbuf, nl + 1, rlen - n - 1);
            rlen -= n + 1;
            if (strncmp(line, "IRQ ", 4) == 0) {
                continue;
            }
            return line;
        }
        struct pollfd p = { .fd = qfd, .events = POLLIN };
        int r = poll(&p, 1, REPLY_TIMEOUT_MS);
        ssize_t got;

        if (r <= 0) {
            fatal("nested-qtest", "no answer from the inner QEMU in %d s",
                  REPLY_TIMEOUT_MS / 1000);
        }
        if (rlen == sizeof(rbuf)) {
            fatal("nested-qtest", "reply line too long");
        }
        got = read(qfd, rbuf + rlen, sizeof(rbuf) - rlen);
        if (got <= 0) {
            fatal("nested-qtest", "the inner QEMU closed the qtest socket");
        }
        rlen += got;
    }
}

static char *qcmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Send a command; its answer after "OK" ("" for a bare OK). */
static char *qcmd(const char *fmt, ...)
{
    static char cmd[3 * PAGE];
    va_list ap;
    size_t n, off = 0;
    char *ans;

    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
    va_end(ap);
    cmd[n++] = '\n';
    while (off < n) {
        ssize_t w = write(qfd, cmd + off, n - off);

        if (w <= 0) {
            fatal("nested-qtest", "write to the inner QEMU: %s",
                  strerror(errno));
        }
        off += w;
    }
    ans = reply();
    if (strncmp(ans, "OK", 2) != 0) {
        cmd[n - 1] = 0;
        fatal("nested-qtest", "'%.60s' answered '%.200s'", cmd, ans);
    }
    return ans[2] == ' ' ? ans + 3 : ans + 2;
}

/* A number in C syntax; 0 when malformed. */
static uint64_t num(const char *s)
{
    uint64_t v = 0;

    return sscanf(s, "%" SCNi64, &v) == 1 ? v : 0;
}

static uint64_t readq(uint64_t a) { return num(qcmd("readq 0x%" PRIx64, a)); }
static uint32_t readl(uint64_t a) { return num(qcmd("readl 0x%" PRIx64, a)); }

static void writeq(uint64_t a, uint64_t v)
{
    qcmd("writeq 0x%" PRIx64 " 0x%" PRIx64, a, v);
}

static void writel(uint64_t a, uint32_t v)
{
    qcmd("writel 0x%" PRIx64 " 0x%x", a, v);
}

static void memwrite(uint64_t a, const void *buf, size_t len)
{
    static char hex[2 * PAGE + 1];
    const uint8_t *b = buf;

    for (size_t i = 0; i < len; i++) {
        sprintf(hex + 2 * i, "%02x", b[i]);
    }
    qcmd("write 0x%" PRIx64 " 0x%zx 0x%s", a, len, hex);
}

static void memread(uint64_t a, void *buf, size_t len)
{
    const char *h = qcmd("read 0x%" PRIx64 " 0x%zx", a, len);
    uint8_t *b = buf;

    if (strncmp(h, "0x", 2) != 0 || strlen(h) != 2 + 2 * len) {
        fatal("nested-qtest", "read 0x%" PRIx64 ": malformed answer", a);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned v;

        sscanf(h + 2 + 2 * i, "%2x", &v);
        b[i] = v;
    }
}

static void memzero(uint64_t a, size_t len)
{
    qcmd("memset 0x%" PRIx64 " 0x%zx 0", a, len);
}

/* PCI configuration space through ports 0xcf8/0xcfc (bus 0). */
static uint32_t cfg_read(unsigned devfn, unsigned reg)
{
    qcmd("outl 0xcf8 0x%x", 0x80000000u | devfn << 8 | (reg & 0xfc));
    return num(qcmd("inl 0xcfc"));
}

static void cfg_write(unsigned devfn, unsigned reg, uint32_t v)
{
    qcmd("outl 0xcf8 0x%x", 0x80000000u | devfn << 8 | (reg & 0xfc));
    qcmd("outl 0xcfc 0x%x", v);
}

/* ---- start the inner QEMU ---- */

static void start_inner(const char *inner, const char *bdf)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char dev[128], host[128];
    int ls, log;
    double t0 = now();

    unlink(QTEST_SOCK);
    strcpy(sa.sun_path, QTEST_SOCK);
    ls = socket(AF_UNIX, SOCK_STREAM, 0);
    if (ls < 0 || bind(ls, (void *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
        fatal("nested-start", "qtest socket: %s", strerror(errno));
    }
    snprintf(dev, sizeof(dev), "%s,caching-mode=%s,intremap=off", inner,
             broken("no-cm") ? "off" : "on");
    if (emulated) {
        snprintf(host, sizeof(host), "edu,addr=%02x.%x", INNER_DEVFN >> 3,
                 INNER_DEVFN & 7);
    } else {
        snprintf(host, sizeof(host), "vfio-pci,host=%s,addr=%02x.%x", bdf,
                 INNER_DEVFN >> 3, INNER_DEVFN & 7);
    }
    char *qemu = getenv("NESTED_QEMU") ?: INNER_QEMU;
    char *argv[] = {
        qemu, "-accel", "qtest", "-qtest", "unix:" QTEST_SOCK,
        "-qtest-log", "none", "-M", "q35", "-nodefaults", "-display", "none",
        "-m", "64",
        "-device", dev, "-device", host, NULL
    };
    printf("VTD: INFO nested-cmdline");
    for (char **a = argv; *a; a++) {
        printf(" %s", *a);
    }
    printf("\n");
    fflush(stdout);
    log = open(INNER_LOG, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    qemu_pid = fork();
    if (qemu_pid < 0) {
        fatal("nested-start", "fork: %s", strerror(errno));
    }
    if (qemu_pid == 0) {
        dup2(log, 1);
        dup2(log, 2);
        close(ls);
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(log);
    /* QEMU connects while it starts; it may exit first (a refused -device) */
    for (int i = 0; i < 1200; i++) {
        struct pollfd p = { .fd = ls, .events = POLLIN };
        int st;

        if (poll(&p, 1, 100) == 1) {
            qfd = accept(ls, NULL, NULL);
            break;
        }
        if (waitpid(qemu_pid, &st, WNOHANG) == qemu_pid) {
            qemu_pid = 0;
            show_inner_log();
            fatal("nested-start", "the inner QEMU exited (status 0x%x) "
                  "before it connected; its messages above", st);
        }
    }
    close(ls);
    if (qfd < 0) {
        fatal("nested-start", "the inner QEMU did not connect in 120 s");
    }
    /* qtest answers once the machine is up */
    qcmd("endianness");
    result("nested-start", true, "inner QEMU up with %s and vfio-pci,host=%s "
           "in %.1f s", inner, bdf, now() - t0);
}

/* ---- the inner remapping unit ---- */

static uint64_t unit_read(unsigned r) { return readq(INNER_UNIT + r); }

static bool wait_clear(unsigned r, uint64_t bit)
{
    for (int i = 0; i < 1000; i++) {
        if (!(readq(INNER_UNIT + r) & bit)) {
            return true;
        }
    }
    return false;
}

static bool wait_set32(unsigned r, uint32_t bit)
{
    for (int i = 0; i < 1000; i++) {
        if (readl(INNER_UNIT + r) & bit) {
            return true;
        }
    }
    return false;
}

/*
 * Queued invalidation (§6.5.2): DESC, then an invalidation wait
 * descriptor (type 5, SW) that writes a new sequence number to IQ_STATUS;
 * true once it has.
 */
static bool qi_submit(uint64_t lo, uint64_t hi)
{
    static uint32_t seq;

    writeq(IQ_BASE + iq_tail * 16, lo);
    writeq(IQ_BASE + iq_tail * 16 + 8, hi);
    iq_tail = (iq_tail + 1) % 256;
    seq++;
    writeq(IQ_BASE + iq_tail * 16, 5 | 1 << 5 | (uint64_t)seq << 32);
    writeq(IQ_BASE + iq_tail * 16 + 8, IQ_STATUS);
    iq_tail = (iq_tail + 1) % 256;
    writeq(INNER_UNIT + R_IQT, iq_tail << 4);
    for (int i = 0; i < 1000; i++) {
        if (readl(IQ_STATUS) == seq) {
            return true;
        }
        if (i >= 10) {
            qcmd("clock_step 1000000");     /* should the unit wait */
        }
    }
    return false;
}

static void qi_enable(void)
{
    memzero(IQ_BASE, 2 * PAGE);
    writeq(INNER_UNIT + R_IQA, IQ_BASE);    /* QS=0: 256 128-bit slots */
    writeq(INNER_UNIT + R_IQT, 0);
    gcmd |= GCMD_QIE;
    writel(INNER_UNIT + R_GCMD, gcmd);
    wait_set32(R_GSTS, GCMD_QIE);
}

static bool ctx_inval_global(void)
{
    if (queued) {
        return qi_submit(1 | 1 << 4, 0);     /* type 1, G=01b global */
    }
    writeq(INNER_UNIT + R_CCMD, CCMD_ICC | CCMD_GLOBAL);
    return wait_clear(R_CCMD, CCMD_ICC);
}

/*
 * IOTLB invalidation: register-based (§11.4.8: IIRG and DID;
 * page-selective ones with ADDR and AM in IVA) or queued (type 2,
 * §6.5.2.3: G, DR, DW, DID; ADDR and AM).
 */
static bool iotlb_inval(uint64_t gran, uint64_t iova, unsigned am)
{
    unsigned iotlb = iro * 16 + 8;

    if (queued) {
        return qi_submit(2 | (gran >> 60) << 4 | 3 << 6 |
                         (gran == IOTLB_GLOBAL ? 0 : DOMAIN_ID << 16),
                         gran == IOTLB_PAGE ? iova | am : 0);
    }
    if (gran == IOTLB_PAGE) {
        writeq(INNER_UNIT + iro * 16, iova | am);
    }
    writeq(INNER_UNIT + iotlb, IOTLB_IVT | gran |
           (gran == IOTLB_GLOBAL ? 0 : (uint64_t)DOMAIN_ID << 32));
    return wait_clear(iotlb, IOTLB_IVT);
}

static uint64_t pt_alloc(void)
{
    uint64_t p = pt_next;

    if (p >= PT_POOL_END) {
        fatal("nested-tables", "page-table pool exhausted");
    }
    pt_next += PAGE;
    memzero(p, PAGE);
    return p;
}

static uint64_t pt_top;
static bool inval_ok = true;            /* every invalidation completed */

/*
 * The leaf entry's address for IOVA at LEVEL (1: 4 KiB, 2: 2 MiB),
 * creating the tables above it.
 */
static uint64_t pte_addr(uint64_t iova, unsigned level)
{
    uint64_t table = pt_top;

    for (unsigned l = levels; l > level; l--) {
        uint64_t ea = table + ((iova >> (12 + 9 * (l - 1))) & 511) * 8;
        uint64_t e = readq(ea);

        if (!(e & (PTE_R | PTE_W))) {
            e = pt_alloc() | PTE_R | PTE_W;
            writeq(ea, e);
        }
        table = e & 0x000ffffffffff000ull;
    }
    return table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8;
}

static void map(uint64_t iova, uint64_t gpa, uint64_t perm, unsigned level)
{
    writeq(pte_addr(iova, level), gpa | perm | (level > 1 ? PTE_PS : 0));
}

static void setup_unit(const char *inner)
{
    uint64_t cap = unit_read(R_CAP), ecap = unit_read(R_ECAP);
    unsigned sagaw = cap >> 8 & 0x1f;

    iro = ecap >> 8 & 0x3ff;
    printf("VTD: INFO nested-unit %s cap 0x%016" PRIx64 " ecap 0x%016" PRIx64
           "\n", inner, cap, ecap);
    result("nested-caching-mode", cap & CAP_CM, "inner %s CAP.CM=%d", inner,
           !!(cap & CAP_CM));
    if (sagaw & 4) {
        levels = 4, ctx_aw = 2;
    } else if (sagaw & 2) {
        levels = 3, ctx_aw = 1;
    } else {
        fatal("nested-tables", "SAGAW 0x%x: no 3- or 4-level tables", sagaw);
    }
    if (!(cap >> 34 & 1)) {
        fatal("nested-tables", "CAP.SLLPS has no 2 MiB pages");
    }
    memzero(ROOT_TABLE, PAGE);
    memzero(CTX_TABLE, PAGE);
    pt_top = pt_alloc();
    writeq(ROOT_TABLE, CTX_TABLE | 1);                 /* bus 0 */
    writeq(CTX_TABLE + INNER_DEVFN * 16, pt_top | 1);  /* TT=00b, P */
    writeq(CTX_TABLE + INNER_DEVFN * 16 + 8, ctx_aw | DOMAIN_ID << 8);
    /* SRC, present before translation starts: replay maps it */
    map(IOVA_SRC, GPA_SRC, broken("rw-src") ? PTE_R | PTE_W : PTE_R, 1);
    if (broken("map-u")) {
        map(IOVA_U, GPA_U, PTE_R | PTE_W, 1);
    }

    bool ok = true;

    /* as Linux: the queue first, then the root table, then TE */
    if (queued) {
        qi_enable();
        ok &= !!(readl(INNER_UNIT + R_GSTS) & GCMD_QIE);
    }
    writeq(INNER_UNIT + R_RTADDR, ROOT_TABLE);
    writel(INNER_UNIT + R_GCMD, gcmd | GCMD_SRTP);
    ok &= wait_set32(R_GSTS, GCMD_SRTP);
    ok &= ctx_inval_global();
    ok &= iotlb_inval(IOTLB_GLOBAL, 0, 0);
    if (!broken("no-te")) {
        gcmd |= GCMD_TE;
        writel(INNER_UNIT + R_GCMD, gcmd);
        wait_set32(R_GSTS, GCMD_TE);
    }
    ok &= !!(readl(INNER_UNIT + R_GSTS) & GCMD_TE);
    result("nested-translation-on", ok && !readl(INNER_UNIT + R_FSTS),
           "%u-level tables, root 0x%lx, %s invalidation, GSTS 0x%08x "
           "FSTS 0x%x", levels, ROOT_TABLE, queued ? "queued" : "register",
           readl(INNER_UNIT + R_GSTS), readl(INNER_UNIT + R_FSTS));

    /*
     * caching mode: new entries reach the notifiers by an invalidation;
     * DST's only by its own page-selective one
     */
    map(IOVA_SP, GPA_SP, PTE_R | PTE_W, 2);
    inval_ok &= iotlb_inval(IOTLB_DOMAIN, 0, 0);
    map(IOVA_DST, broken("wrong-gpa") ? GPA_DST + PAGE : GPA_DST,
        PTE_R | PTE_W, 1);
    inval_ok &= broken("no-map-inval") ||
                iotlb_inval(IOTLB_PAGE, IOVA_DST, 0);
    printf("VTD: INFO nested-map 2 MiB 0x%lx -> 0x%lx (domain-selective "
           "invalidation), DST 0x%lx -> 0x%lx (page-selective)\n",
           IOVA_SP, GPA_SP, IOVA_DST, GPA_DST);
}

/*
 * What vfio pins for the inner QEMU (VFIO type1 counts it in the
 * process's locked memory, VmLck): exactly what the inner tables map,
 * once translation is on.
 */
static long vmlck_kb(void)
{
    char path[64], line[128];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)qemu_pid);
    f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f)) {
        sscanf(line, "VmLck: %ld kB", &kb);
    }
    if (f) {
        fclose(f);
    }
    return kb;
}

static void pinned(const char *check, const char *when, long bytes)
{
    long kb = vmlck_kb();

    result(check, kb == bytes / 1024, "%s: the inner QEMU's VmLck %ld kB, "
           "want %ld kB (what the inner tables map)", when, kb, bytes / 1024);
}

/* ---- edu in the inner machine ---- */

static void setup_edu(void)
{
    uint32_t id = cfg_read(INNER_DEVFN, 0);
    uint32_t live;

    if (id != 0x11e81234) {
        fatal("nested-edu", "inner 00:04.0 is 0x%08x, not edu", id);
    }
    cfg_write(INNER_DEVFN, 0x10, INNER_BAR0);
    cfg_write(INNER_DEVFN, 0x04, 0x0006);       /* memory, bus master */
    writel(INNER_BAR0 + EDU_LIVE, 0x12345678);
    live = readl(INNER_BAR0 + EDU_LIVE);
    result("nested-edu-bar", live == ~0x12345678u &&
           (readl(INNER_BAR0 + EDU_ID) & 0xff) == 0xed,
           "BAR0 0x%lx: id 0x%08x, liveness 0x%08x (command 0x%04x)",
           INNER_BAR0, readl(INNER_BAR0 + EDU_ID), live,
           cfg_read(INNER_DEVFN, 0x04) & 0xffff);
}

/* One edu transfer; false if it does not finish in 10 s. */
static bool edu_dma(uint64_t src, uint64_t dst, uint64_t cmd)
{
    writeq(INNER_BAR0 + EDU_DMA_SRC, src);
    writeq(INNER_BAR0 + EDU_DMA_DST, dst);
    writeq(INNER_BAR0 + EDU_DMA_CNT, PAGE);
    writeq(INNER_BAR0 + EDU_DMA_CMD, cmd | EDU_CMD_RUN);
    for (double end = now() + 10; now() < end; usleep(20000)) {
        if (emulated) {
            qcmd("clock_step 200000000");   /* edu's 100 ms timer */
        }
        if (!(readq(INNER_BAR0 + EDU_DMA_CMD) & EDU_CMD_RUN)) {
            return true;
        }
    }
    return false;
}

/* Copy IOVA FROM into edu's buffer, and the buffer to IOVA TO. */
static bool to_buf(uint64_t from) { return edu_dma(from, EDU_BUF, 0); }
static bool from_buf(uint64_t to)
{
    return edu_dma(EDU_BUF, to, EDU_CMD_TO_RAM);
}

/* ---- the outer unit's faults, as the guest's kernel logs them ---- */

/*
 * Linux: "DMAR: [DMA Write NO_PASID] Request device [00:03.0] fault addr
 * 0x400000 [fault reason ...]" (7.x: "[0000:00:03.0]").
 */
static int faults_logged(const char *dir, uint64_t addr)
{
    static char log[1 << 20];
    char dev[32], what[32];
    int n = klogctl(3, log, sizeof(log) - 1), count = 0;

    if (n < 0) {
        return -1;
    }
    log[n] = 0;
    snprintf(dev, sizeof(dev), "%s]", bdf_short);
    snprintf(what, sizeof(what), "[DMA %s ", dir);
    for (char *l = log, *e; *l; l = e + (*e != 0)) {
        char *fa;
        uint64_t a;

        e = l + strcspn(l, "\n");
        fa = memmem(l, e - l, "fault addr 0x", 13);
        if (fa && memmem(l, e - l, what, strlen(what)) &&
            memmem(l, e - l, dev, strlen(dev)) &&
            sscanf(fa + 13, "%" SCNx64, &a) == 1 && a == addr) {
            count++;
        }
    }
    return count;
}

/*
 * A DMA the outer unit must block, and the number of fault lines the
 * kernel logged for it. Linux's rate limit of DMAR fault lines (10 per
 * 5 s, one limit for every unit, 3 spent per fault: see tests/guest/
 * init's fault_window) leaves the 4th fault within 5 s without its line:
 * after 3, wait for the window to end.
 */
static bool blocked_dma(uint64_t src, uint64_t dst, bool to_ram,
                        int *faults)
{
    static double window;       /* when the first fault of the window came */
    static int in_window;
    const char *dir = to_ram ? "Write" : "Read";
    uint64_t iova = to_ram ? dst : src;
    int before, n;
    bool done;

    if (in_window && now() > window + 5.5) {
        in_window = 0;
    }
    if (in_window == 3) {
        usleep((window + 5.5 - now()) * 1e6);
        in_window = 0;
    }
    if (!in_window++) {
        window = now();
    }
    before = faults_logged(dir, iova);
    done = edu_dma(src, dst, to_ram ? EDU_CMD_TO_RAM : 0);
    for (int i = 0; i < 40; i++) {
        n = faults_logged(dir, iova);
        if (n > before) {
            break;
        }
        usleep(50000);
    }
    *faults = n - before;
    return done;
}

static void fill(uint8_t *b, uint64_t seed)
{
    for (size_t i = 0; i < PAGE; i += 8) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        memcpy(b + i, &seed, 8);
    }
}

static const char *what(const uint8_t *got, const uint8_t *p1,
                        const uint8_t *p2, const uint8_t *p3)
{
    static const uint8_t zero[PAGE];

    return !memcmp(got, p1, PAGE) ? "P1" : !memcmp(got, p2, PAGE) ? "P2" :
           !memcmp(got, p3, PAGE) ? "P3" : !memcmp(got, zero, PAGE) ? "zeros" :
           "other data";
}

static void dma_checks(void)
{
    static uint8_t p1[PAGE], p2[PAGE], p3[PAGE], zero[PAGE], got[PAGE],
        got2[PAGE];
    int f;
    bool done;

    fill(p1, 0x1111), fill(p2, 0x2222), fill(p3, 0x3333);

    /* 1. mapped read and write: SRC -> buffer -> DST */
    done = to_buf(IOVA_SRC) && from_buf(IOVA_DST);
    memread(GPA_DST, got, PAGE);
    memread(GPA_DST + PAGE, got2, PAGE);
    result("nested-dma-lands", done && inval_ok && !memcmp(got, p1, PAGE) &&
           !memcmp(got2, zero, PAGE),
           "edu read IOVA 0x%lx, wrote IOVA 0x%lx: GPA 0x%lx holds %s "
           "(want P1), GPA 0x%lx %s (want zeros)%s%s", IOVA_SRC, IOVA_DST,
           GPA_DST, what(got, p1, p2, p3), GPA_DST + PAGE,
           what(got2, p1, p2, p3), done ? "" : "; DMA did not finish",
           inval_ok ? "" : "; an invalidation did not complete");

    /* 2. through the 2 MiB page, at its last 4 KiB */
    done = from_buf(IOVA_SP + 0x1ff000);
    memread(GPA_SP + 0x1ff000, got, PAGE);
    memread(GPA_SP + 0x1fe000, got2, PAGE);
    result("nested-dma-superpage", done && !memcmp(got, p1, PAGE) &&
           !memcmp(got2, zero, PAGE),
           "IOVA 0x%lx: GPA 0x%lx holds %s (want P1), GPA 0x%lx %s "
           "(want zeros)%s", IOVA_SP + 0x1ff000, GPA_SP + 0x1ff000,
           what(got, p1, p2, p3), GPA_SP + 0x1fe000, what(got2, p1, p2, p3),
           done ? "" : "; DMA did not finish");

    /* 3. write to an IOVA the tables do not map (1:1 before TE was on) */
    done = blocked_dma(EDU_BUF, IOVA_U, true, &f);
    memread(GPA_U, got, PAGE);
    result("nested-unmapped-write-blocked", done && !memcmp(got, p2, PAGE),
           "edu wrote P1 to IOVA 0x%lx: GPA 0x%lx holds %s (want P2)%s",
           IOVA_U, GPA_U, what(got, p1, p2, p3),
           done ? "" : "; DMA did not finish");
    result("nested-unmapped-write-fault", f > 0, "outer DMAR fault lines "
           "for DMA Write at 0x%lx: %d", IOVA_U, f);

    /* 4. write to the read-only SRC, with P3 in the buffer */
    memwrite(GPA_DST, p3, PAGE);
    done = to_buf(IOVA_DST);
    done &= blocked_dma(EDU_BUF, IOVA_SRC, true, &f);
    memread(GPA_SRC, got, PAGE);
    result("nested-readonly-write-blocked", done && !memcmp(got, p1, PAGE),
           "edu wrote P3 to read-only IOVA 0x%lx: GPA 0x%lx holds %s "
           "(want P1)%s", IOVA_SRC, GPA_SRC, what(got, p1, p2, p3),
           done ? "" : "; DMA did not finish");
    result("nested-readonly-write-fault", f > 0, "outer DMAR fault lines "
           "for DMA Write at 0x%lx: %d", IOVA_SRC, f);

    /*
     * 5. read from the unmapped IOVA U (P2 behind it 1:1) into a buffer
     * that holds P1, then write the buffer over P3 in DST
     */
    memwrite(GPA_U, p2, PAGE);
    done = to_buf(IOVA_SRC);
    done &= blocked_dma(IOVA_U, EDU_BUF, false, &f);
    memwrite(GPA_DST, p3, PAGE);
    done &= from_buf(IOVA_DST);
    memread(GPA_DST, got, PAGE);
    result("nested-unmapped-read-blocked", done && memcmp(got, p2, PAGE) &&
           memcmp(got, p3, PAGE) /* the write to DST happened */,
           "edu read IOVA 0x%lx (P2 at GPA 0x%lx) into P1, then wrote "
           "its buffer over P3 in DST: %s (want not P2, not P3)%s", IOVA_U,
           GPA_U, what(got, p1, p2, p3), done ? "" : "; DMA did not finish");
    result("nested-unmapped-read-fault", f > 0, "outer DMAR fault lines "
           "for DMA Read at 0x%lx: %d", IOVA_U, f);

    /* 6. remap DST to another page: UNMAP then MAP */
    map(IOVA_DST, GPA_DST2, PTE_R | PTE_W, 1);
    done = broken("no-remap-inval") || iotlb_inval(IOTLB_PAGE, IOVA_DST, 0);
    memzero(GPA_DST, PAGE);
    done &= to_buf(IOVA_SRC) && from_buf(IOVA_DST);
    memread(GPA_DST2, got, PAGE);
    memread(GPA_DST, got2, PAGE);
    result("nested-remap", done && !memcmp(got, p1, PAGE) &&
           !memcmp(got2, zero, PAGE), "DST now -> 0x%lx: it holds %s (want "
           "P1), the old page 0x%lx %s (want zeros)%s", GPA_DST2,
           what(got, p1, p2, p3), GPA_DST, what(got2, p1, p2, p3),
           done ? "" : "; DMA did not finish");

    /* 7. unmap DST (entry cleared, page-selective invalidation) */
    writeq(pte_addr(IOVA_DST, 1), 0);
    done = broken("no-unmap-inval") || iotlb_inval(IOTLB_PAGE, IOVA_DST, 0);
    memzero(GPA_DST2, PAGE);
    done &= blocked_dma(EDU_BUF, IOVA_DST, true, &f);
    memread(GPA_DST2, got, PAGE);
    result("nested-unmap-write-blocked", done && !memcmp(got, zero, PAGE),
           "after the unmap, edu wrote P1 to IOVA 0x%lx: GPA 0x%lx holds %s "
           "(want zeros)%s", IOVA_DST, GPA_DST2, what(got, p1, p2, p3),
           done ? "" : "; DMA did not finish");
    result("nested-unmap-write-fault", f > 0, "outer DMAR fault lines for "
           "DMA Write at 0x%lx: %d", IOVA_DST, f);
    pinned("nested-pinned-unmapped", "SRC and the 2 MiB page", PAGE + 0x200000);

    /* the inner unit itself saw no fault: edu's DMA never reaches it */
    result("nested-inner-no-fault", !(readl(INNER_UNIT + R_FSTS) & 0xff),
           "inner FSTS 0x%x", readl(INNER_UNIT + R_FSTS));
}

int main(int argc, char **argv)
{
    const char *inner = "vtd-dmar", *bdf;
    static uint8_t p2[PAGE], src[PAGE];
    int st, n;

    t_start = now();
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--inner")) {
            inner = argv[i + 1];
        } else if (!strcmp(argv[i], "--inval")) {
            queued = !strcmp(argv[i + 1], "queued");
        } else if (!strcmp(argv[i], "--break")) {
            sabotage = argv[i + 1];
        } else {
            break;
        }
        argv[i] = argv[i + 1] = NULL;
    }
    bdf = argv[argc - 1];
    if (argc < 2 || !bdf) {
        fprintf(stderr, "usage: nested [--inner DEV] [--inval register|queued] "
                "[--break WHAT] BDF\n");
        return 1;
    }
    emulated = !strcmp(bdf, "emulated");
    snprintf(bdf_short, sizeof(bdf_short), "%s",
             strncmp(bdf, "0000:", 5) ? bdf : bdf + 5);
    if (*sabotage) {
        printf("VTD: INFO nested-break %s (a deliberate mistake)\n", sabotage);
    }
    signal(SIGPIPE, SIG_IGN);

    start_inner(inner, bdf);
    /* the inner RAM's contents before translation starts */
    fill(src, 0x1111), fill(p2, 0x2222);
    memzero(GPA_SRC - PAGE, GPA_SP + 0x200000 - (GPA_SRC - PAGE));
    memwrite(GPA_SRC, src, PAGE);
    memwrite(GPA_U, p2, PAGE);
    setup_edu();
    printf("VTD: INFO nested-vmlck before translation: %ld kB\n", vmlck_kb());
    setup_unit(inner);
    pinned("nested-pinned-mapped", "SRC, DST, the 2 MiB page",
           2 * PAGE + 0x200000);
    dma_checks();

    /* the inner QEMU is still there, and ends cleanly */
    result("nested-inner-alive", waitpid(qemu_pid, &st, WNOHANG) == 0,
           "after the checks");
    close(qfd);
    kill(qemu_pid, SIGTERM);
    for (int i = 0; i < 200 && waitpid(qemu_pid, &st, WNOHANG) == 0; i++) {
        usleep(50000);
    }
    stop_inner();
    n = show_inner_log();
    result("nested-inner-messages", n == 0, "%d unexpected messages of the "
           "inner QEMU (above)", n);
    printf("VTD: INFO nested-time %.1f s\n", now() - t_start);
    return failures != 0;
}
