/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtdtool: static helper that runs inside the test guest.
 *
 * It drives devices from user space (QEMU's edu test device through its
 * BAR or through VFIO), moves data over TCP and block devices, and prints
 * machine-readable lines that tests/guest/run.py turns into pass/fail:
 *
 *   VTD: RESULT <check> PASS|FAIL|SKIP <detail>
 *   VTD: BENCH <name> <value> <unit>
 *   VTD: INFO <what> <detail>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/vfio.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "edu.h"
#include "guest-result.h"

#define PAGE 4096ul

static const uint8_t zero_page[PAGE];

/* A number in C syntax (0x..., 0..., decimal); 0 when malformed. */
static uint64_t parse_u64(const char *s)
{
    uint64_t v = 0;

    return sscanf(s, "%" SCNi64, &v) == 1 ? v : 0;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    printf("VTD: RESULT tool FAIL %s: %s\n", what, strerror(errno));
    exit(2);
}

/* The xorshift64 stream that tests/guest/run.py also generates. */
static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static void fill_pattern(void *buf, size_t len, uint64_t *state)
{
    uint64_t *p = buf;

    for (size_t i = 0; i < len / 8; i++) {
        p[i] = xorshift(state);
    }
}

static int cmd_pattern(int argc, char **argv)
{
    uint64_t seed, left;
    static uint64_t buf[8192];

    if (argc != 2) {
        return 1;
    }
    seed = parse_u64(argv[0]) | 1;
    left = parse_u64(argv[1]);
    while (left) {
        size_t n = left < sizeof(buf) ? left : sizeof(buf);

        fill_pattern(buf, sizeof(buf), &seed);
        if (fwrite(buf, 1, n, stdout) != n) {
            die("write");
        }
        left -= n;
    }
    return 0;
}

/*
 * The guest-physical layout of a user buffer decides how many segments an
 * O_DIRECT request has, and with an IOMMU each segment is a separate DMA
 * mapping (virtio maps every descriptor on its own). Left to the page
 * allocator the layout differs from boot to boot, so readbench chooses it:
 *   huge: one 2 MiB hugetlb page (boot with hugepages=N): one segment;
 *   4k:   every page on its own: each page is moved next to a page that
 *         was not its physical neighbour, one segment per page.
 */
static void *bench_buffer(size_t bs, const char *layout)
{
    size_t n = (bs + PAGE - 1) / PAGE;
    uint8_t *src, *dst;

    if (!strcmp(layout, "huge")) {
        dst = mmap(NULL, (bs + (2ul << 20) - 1) & ~((2ul << 20) - 1),
                   PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
                   MAP_HUGETLB | MAP_POPULATE, -1, 0);
        return dst == MAP_FAILED ? NULL : dst;
    }
    if (strcmp(layout, "4k")) {
        return NULL;
    }
    /* Take every other page of a populated run, in reverse order. */
    src = mmap(NULL, 2 * n * PAGE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    dst = mmap(NULL, n * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (src == MAP_FAILED || dst == MAP_FAILED) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (mremap(src + 2 * (n - 1 - i) * PAGE, PAGE, PAGE,
                   MREMAP_MAYMOVE | MREMAP_FIXED, dst + i * PAGE) ==
            MAP_FAILED) {
            return NULL;
        }
    }
    munmap(src, 2 * n * PAGE);
    return dst;
}

/* Physically contiguous runs in BUF (from /proc/self/pagemap); 0 if unknown. */
static unsigned bench_segments(const void *buf, size_t bs)
{
    uint64_t prev = 0, e;
    unsigned segs = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);

    for (size_t off = 0; fd >= 0 && off < bs; off += PAGE) {
        uint64_t vpn = ((uintptr_t)buf + off) / PAGE;

        if (pread(fd, &e, 8, vpn * 8) != 8 || !(e & (1ull << 63))) {
            segs = 0;
            break;
        }
        e &= (1ull << 55) - 1;
        segs += !off || e != prev + 1;
        prev = e;
    }
    if (fd >= 0) {
        close(fd);
    }
    return segs;
}

/* readbench DEV BS NAME PASSES LAYOUT: O_DIRECT sequential reads. */
static int cmd_readbench(int argc, char **argv)
{
    size_t bs;
    uint8_t *buf;
    uint64_t total = 0;
    double t0, dt;
    ssize_t n;
    int fd;

    if (argc != 5) {
        return 1;
    }
    bs = parse_u64(argv[1]);
    fd = open(argv[0], O_RDONLY | O_DIRECT);
    buf = bs ? bench_buffer(bs, argv[4]) : NULL;
    if (fd < 0 || !buf) {
        die(argv[4]);
    }
    memset(buf, 0, bs);
    t0 = now();
    for (int i = 0, passes = atoi(argv[3]); i < passes; i++) {
        lseek(fd, 0, SEEK_SET);
        while ((n = read(fd, buf, bs)) > 0) {
            total += n;
        }
        if (n < 0) {
            die("read");
        }
    }
    dt = now() - t0;
    printf("VTD: BENCH %s %.1f MB/s %" PRIu64 " bytes %.3f s, %s buffer, "
           "%u segments\n", argv[2], total / dt / 1e6, total, dt, argv[4],
           bench_segments(buf, bs));
    return 0;
}

/* A readbench-par worker that cannot start: counted ready, then gone */
static void readbench_worker_fail(int *go, const char *what)
{
    __atomic_add_fetch(&go[1], 1, __ATOMIC_SEQ_CST);
    die(what);
}

/* One readbench-par worker: PASSES reads of each device in DEVS (a,b,...) */
static uint64_t readbench_worker(char *devs, size_t bs, int passes,
                                 const char *layout, int *go)
{
    uint8_t *buf = bench_buffer(bs, layout);
    int fd[8], nfd = 0;
    uint64_t total = 0;
    ssize_t n;

    for (char *d = strtok(devs, ","); d && nfd < 8; d = strtok(NULL, ",")) {
        fd[nfd] = open(d, O_RDONLY | O_DIRECT);
        if (fd[nfd++] < 0) {
            readbench_worker_fail(go, d);
        }
    }
    if (!buf || !nfd) {
        readbench_worker_fail(go, layout);
    }
    memset(buf, 0, bs);
    __atomic_add_fetch(&go[1], 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&go[0], __ATOMIC_SEQ_CST)) {
        usleep(100);
    }
    for (int i = 0; i < passes; i++) {
        for (int f = 0; f < nfd; f++) {
            lseek(fd[f], 0, SEEK_SET);
            while ((n = read(fd[f], buf, bs)) > 0) {
                total += n;
            }
            if (n < 0) {
                die("read");
            }
        }
    }
    return total;
}

/*
 * readbench-par NAME BS PASSES LAYOUT DEVS...: one process per DEVS
 * argument (a comma-separated list of devices it reads in turn, PASSES
 * times), all started at once once their buffers are ready; the rate is
 * all their bytes over the time until the last one ends.
 */
static int cmd_readbench_par(int argc, char **argv)
{
    int workers = argc - 4;
    size_t bs;
    uint64_t *totals, total = 0;
    int *go;                /* [0]: start; [1]: workers ready (atomics) */
    double t0, dt;
    int bad = 0;

    if (argc < 5 || workers > 16) {
        return 1;
    }
    bs = parse_u64(argv[1]);
    go = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (go == MAP_FAILED) {
        die("mmap");
    }
    totals = (uint64_t *)(go + 16);
    for (int w = 0; w < workers; w++) {
        pid_t pid = fork();

        if (pid < 0) {
            /* let the ones started run to their end, then fail */
            workers = w;
            bad++;
            break;
        }
        if (pid == 0) {
            totals[w] = readbench_worker(argv[4 + w], bs, atoi(argv[2]),
                                         argv[3], go);
            _exit(0);
        }
    }
    while (__atomic_load_n(&go[1], __ATOMIC_SEQ_CST) < workers) {
        usleep(1000);
    }
    t0 = now();
    __atomic_store_n(&go[0], 1, __ATOMIC_SEQ_CST);
    for (int w = 0; w < workers; w++) {
        int st;

        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
            bad++;
        }
    }
    dt = now() - t0;
    for (int w = 0; w < workers; w++) {
        total += totals[w];
    }
    if (bad) {
        die("worker");
    }
    printf("VTD: BENCH %s %.1f MB/s %" PRIu64 " bytes %.3f s, %d workers, "
           "%s buffers\n", argv[0], total / dt / 1e6, total, dt, workers,
           argv[3]);
    return 0;
}

static int tcp_connect(const char *ip, const char *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_port = htons(atoi(port));
    inet_pton(AF_INET, ip, &sa.sin_addr);
    for (int tries = 0; tries < 50; tries++) {
        if (connect(fd, (void *)&sa, sizeof(sa)) == 0) {
            return fd;
        }
        usleep(100000);
    }
    die("connect");
    return -1;
}

/* tcp-get IP PORT: copy the stream to stdout; report throughput on stderr. */
static int cmd_tcp_get(int argc, char **argv)
{
    static char buf[65536];
    uint64_t total = 0;
    double t0;
    ssize_t n;
    int fd;

    if (argc != 2) {
        return 1;
    }
    fd = tcp_connect(argv[0], argv[1]);
    t0 = now();
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        if (fwrite(buf, 1, n, stdout) != (size_t)n) {
            die("write");
        }
        total += n;
    }
    fflush(stdout);
    fprintf(stderr, "VTD: BENCH tcp-get %.1f MB/s %" PRIu64 " bytes\n",
            total / (now() - t0) / 1e6, total);
    return n < 0;
}

/* tcp-put IP PORT: send stdin, half-close, wait for the server's close. */
static int cmd_tcp_put(int argc, char **argv)
{
    static char buf[65536];
    uint64_t total = 0;
    double t0;
    ssize_t n;
    int fd;

    if (argc != 2) {
        return 1;
    }
    fd = tcp_connect(argv[0], argv[1]);
    t0 = now();
    while ((n = read(0, buf, sizeof(buf))) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(fd, buf + off, n - off);

            if (w <= 0) {
                die("send");
            }
            off += w;
        }
        total += n;
    }
    shutdown(fd, SHUT_WR);
    while (read(fd, buf, sizeof(buf)) > 0) {
        continue;
    }
    fprintf(stderr, "VTD: BENCH tcp-put %.1f MB/s %" PRIu64 " bytes\n",
            total / (now() - t0) / 1e6, total);
    return 0;
}

/* ---- frames through a NIC whose backend sends them back (vhost) ---- */

#define FRAME_ETHERTYPE 0x88b5          /* IEEE 802 local experimental */
#define FRAME_MAGIC     0x56544446u     /* "VTDF" */
#define FRAME_HDR       26      /* Ethernet 14 + magic, round, seq, len */
#define FRAME_MAX       9000
#define FRAME_SHOW_BAD  5               /* bad frames described one by one */
#define FRAME_STALL_S   2.0             /* a send queue full this long: stop */

struct frames {
    int fd;
    unsigned rounds, count, size;
    uint8_t mac[6];                     /* ours: the source we send from */
    uint8_t *seen;                      /* [rounds * count]: came back */
    unsigned returned, bad, dup;
};

/* The peer's address: a locally administered one that nobody owns. */
static const uint8_t frame_peer[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static void put_be(uint8_t *p, uint32_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8) {
        p[i] = v;
    }
}

static uint32_t get_be(const uint8_t *p, int bytes)
{
    uint32_t v = 0;

    for (int i = 0; i < bytes; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

/*
 * Frame ROUND/SEQ as sent: to the peer from us, then a header (magic,
 * round, sequence number, length) and bytes of a stream seeded by round
 * and sequence number, so that every frame differs from every other one.
 */
static void frame_build(const struct frames *f, uint8_t *buf, unsigned round,
                        unsigned seq)
{
    uint64_t st = 0x9e3779b97f4a7c15ull ^ ((uint64_t)round << 32 | seq);
    uint64_t x = 0;

    memcpy(buf, frame_peer, 6);
    memcpy(buf + 6, f->mac, 6);
    put_be(buf + 12, FRAME_ETHERTYPE, 2);
    put_be(buf + 14, FRAME_MAGIC, 4);
    put_be(buf + 18, round, 2);
    put_be(buf + 20, seq, 2);
    put_be(buf + 22, f->size, 4);
    for (unsigned i = FRAME_HDR; i < f->size; i++) {
        if ((i - FRAME_HDR) % 8 == 0) {
            x = xorshift(&st);
        }
        buf[i] = x >> (8 * ((i - FRAME_HDR) % 8));
    }
}

/*
 * A frame that came back: the backend (testpmd's macswap) swaps the two
 * addresses and changes nothing else. Every byte is compared with the
 * frame the header names; a frame whose header names no frame we sent,
 * or one that already came back, is bad too (a stale translation can hand
 * the backend an older frame's buffer). The interface sends nothing but
 * our frames (no address, no IPv6), so every frame it receives is checked,
 * whatever its type: a frame written to a stale page arrives as whatever
 * the page the guest reads held.
 */
static void frame_check(struct frames *f, const uint8_t *buf, size_t len)
{
    static uint8_t want[FRAME_MAX];
    unsigned round = len >= FRAME_HDR ? get_be(buf + 18, 2) : ~0u;
    unsigned seq = len >= FRAME_HDR ? get_be(buf + 20, 2) : ~0u;
    const char *why = NULL;
    size_t off = 0;

    if (len >= FRAME_HDR && get_be(buf + 12, 2) == FRAME_ETHERTYPE &&
        get_be(buf + 14, 4) == FRAME_MAGIC &&
        round < f->rounds && seq < f->count) {
        frame_build(f, want, round, seq);
        memcpy(want, f->mac, 6);
        memcpy(want + 6, frame_peer, 6);
        if (len != f->size) {
            why = "length";
        } else {
            while (off < len && buf[off] == want[off]) {
                off++;
            }
            if (off < len) {
                why = "content";
            } else if (f->seen[round * f->count + seq]) {
                why = "duplicate";
                f->dup++;
            }
        }
    } else {
        why = "header";
    }
    if (!why) {
        f->seen[round * f->count + seq] = 1;
        f->returned++;
        return;
    }
    if (f->bad++ < FRAME_SHOW_BAD) {
        printf("VTD: INFO frame-bad %s: %zu bytes, round %u seq %u, first "
               "wrong byte at %zu (0x%02x, want 0x%02x)\n", why, len, round,
               seq, off, off < len ? buf[off] : 0,
               off < len && !strcmp(why, "content") ? want[off] : 0);
        fflush(stdout);
    }
}

/* Take every frame waiting, then wait up to TIMEOUT_MS for more. */
static unsigned frames_drain(struct frames *f, int timeout_ms)
{
    static uint8_t buf[FRAME_MAX + 64];
    struct pollfd p = { .fd = f->fd, .events = POLLIN };
    unsigned got = 0;

    for (;;) {
        struct sockaddr_ll from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(f->fd, buf, sizeof(buf), MSG_DONTWAIT,
                             (struct sockaddr *)&from, &fl);

        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                die("recvfrom");
            }
            if (poll(&p, 1, timeout_ms) <= 0) {
                return got;
            }
            continue;
        }
        if (from.sll_pkttype == PACKET_OUTGOING) {
            continue;
        }
        frame_check(f, buf, n);
        got++;
    }
}

/*
 * Send one frame without blocking: while the interface's queue is full,
 * take what comes back. False when it stayed full for FRAME_STALL_S (a
 * back-end that stopped taking frames must not hang the guest).
 */
static bool frame_send(struct frames *f, const uint8_t *buf)
{
    double t0 = now();

    while (send(f->fd, buf, f->size, MSG_DONTWAIT) < 0) {
        if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
            die("send");
        }
        if (now() - t0 > FRAME_STALL_S) {
            return false;
        }
        frames_drain(f, 10);
    }
    return true;
}

/*
 * frames IFNAME ROUNDS COUNT SIZE: send ROUNDS x COUNT frames of SIZE bytes
 * through IFNAME and check those that come back (the vhost scenario: a
 * DPDK testpmd in macswap mode sends each frame back). Frames may be lost
 * (a backend drops a packet on an IOTLB miss); none may come back wrong.
 */
static int cmd_frames(int argc, char **argv)
{
    static uint8_t buf[FRAME_MAX];
    struct sockaddr_ll sa = { .sll_family = AF_PACKET };
    struct ifreq ifr = { 0 };
    struct frames f = { 0 };
    int one = 1, rcvbuf = 8 << 20;
    struct tpacket_stats st = { 0 };
    socklen_t sl = sizeof(st);
    unsigned sent = 0;
    bool stalled = false;
    double t0;

    if (argc != 4) {
        return 1;
    }
    f.rounds = parse_u64(argv[1]);
    f.count = parse_u64(argv[2]);
    f.size = parse_u64(argv[3]);
    if (!f.rounds || f.rounds > 0xffff || !f.count || f.count > 0xffff ||
        f.size < FRAME_HDR || f.size > FRAME_MAX) {
        return 1;
    }
    f.seen = calloc(f.rounds, f.count);
    f.fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (!f.seen || f.fd < 0) {
        die("packet socket");
    }
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[0]);
    if (ioctl(f.fd, SIOCGIFHWADDR, &ifr) < 0) {
        die(argv[0]);
    }
    memcpy(f.mac, ifr.ifr_hwaddr.sa_data, 6);
    sa.sll_protocol = htons(ETH_P_ALL);
    sa.sll_ifindex = if_nametoindex(argv[0]);
    if (bind(f.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        die("bind");
    }
    /* Room for every frame of a round; our own frames are not wanted. */
    setsockopt(f.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
    setsockopt(f.fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));

    t0 = now();
    for (unsigned r = 0; r < f.rounds && !stalled; r++) {
        unsigned before = f.returned, bad = f.bad;

        for (unsigned i = 0; i < f.count; i++) {
            frame_build(&f, buf, r, i);
            if (!frame_send(&f, buf)) {
                printf("VTD: INFO frames-stalled: the interface took no "
                       "frame for %.0f s after %u\n", FRAME_STALL_S, sent);
                stalled = true;
                break;
            }
            sent++;
            frames_drain(&f, 0);
            /* A running tally, for a guest that does not get to the end */
            if (sent % 50 == 0) {
                printf("VTD: INFO frames-progress sent %u, returned %u, "
                       "bad %u\n", sent, f.returned, f.bad);
                fflush(stdout);
            }
        }
        /* The rest of the round: until 1 s passes with nothing new. */
        while (frames_drain(&f, 1000)) {
            continue;
        }
        printf("VTD: INFO frames-round %u: sent %u, returned %u, bad %u\n",
               r, f.count, f.returned - before, f.bad - bad);
    }
    result("vhost-frames", f.bad == 0 && f.returned > 0,
           "sent %u, returned %u, lost %u, bad %u (duplicates %u), "
           "%u bytes each, %.1f s%s", sent, f.returned, sent - f.returned,
           f.bad, f.dup, f.size, now() - t0,
           stalled ? ", sending stalled" : "");
    if (getsockopt(f.fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0 &&
        st.tp_drops) {
        printf("VTD: INFO frames-socket-drops %u\n", st.tp_drops);
    }
    return failures != 0;
}

/* ---- edu through its BAR (isolation) ---- */

struct edu {
    /* volatile: MMIO registers, every access must reach the device */
    volatile uint8_t *bar;
};

/* MMIO accessors: volatile so that each access reaches the device. */
static uint64_t edu_rd64(struct edu *e, unsigned off)
{
    return *(volatile uint64_t *)(e->bar + off);   /* MMIO */
}

static uint32_t edu_rd32(struct edu *e, unsigned off)
{
    return *(volatile uint32_t *)(e->bar + off);   /* MMIO */
}

static void edu_wr64(struct edu *e, unsigned off, uint64_t v)
{
    *(volatile uint64_t *)(e->bar + off) = v;      /* MMIO */
}

/* Run one DMA and wait until edu has done it (it uses a 100 ms timer). */
static bool edu_dma(struct edu *e, uint64_t src, uint64_t dst, uint64_t len,
                    uint64_t cmd)
{
    edu_wr64(e, EDU_DMA_SRC, src);
    edu_wr64(e, EDU_DMA_DST, dst);
    edu_wr64(e, EDU_DMA_CNT, len);
    edu_wr64(e, EDU_DMA_CMD, cmd | EDU_CMD_RUN);
    for (int i = 0; i < 500; i++) {
        if (!(edu_rd64(e, EDU_DMA_CMD) & EDU_CMD_RUN)) {
            return true;
        }
        usleep(10000);
    }
    return false;
}

static uint64_t virt_to_phys(void *va)
{
    uint64_t ent;
    int fd = open("/proc/self/pagemap", O_RDONLY);

    if (fd < 0 ||
        pread(fd, &ent, 8, ((uintptr_t)va / PAGE) * 8) != 8) {
        die("pagemap");
    }
    close(fd);
    if (!(ent & (1ull << 63))) {
        return 0;
    }
    return (ent & ((1ull << 55) - 1)) * PAGE;
}

/* A locked page of ours whose physical address edu can reach (< 256 MiB). */
static void *low_page(uint64_t *phys)
{
    for (int i = 0; i < 65536; i++) {
        void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);

        if (p == MAP_FAILED) {
            die("mmap");
        }
        memset(p, 0x5a, PAGE);
        *phys = virt_to_phys(p);
        if (*phys && *phys + PAGE <= EDU_DMA_LIMIT) {
            return p;
        }
        /* keep it mapped so that the next try gets another frame */
    }
    errno = ENOMEM;
    die("no page below 256 MiB");
    return NULL;
}

static void enable_bus_master(const char *cfg_path)
{
    uint16_t cmd;
    int fd = open(cfg_path, O_RDWR);

    if (fd < 0 || pread(fd, &cmd, 2, 4) != 2) {
        die("pci config");
    }
    cmd |= 0x6;    /* memory space + bus master */
    if (pwrite(fd, &cmd, 2, 4) != 2) {
        die("pci config write");
    }
    close(fd);
}

/*
 * isolation BDF: edu has no driver and so no mapping. Tell it to write to
 * and read from a page of ours: the page must stay unchanged (the kernel
 * logs the DMAR faults, checked by /init).
 */
static int cmd_isolation(int argc, char **argv)
{
    char path[256];
    struct edu e;
    uint64_t phys;
    uint8_t *page, expect[PAGE];
    int fd;
    bool done;

    if (argc != 1) {
        return 1;
    }
    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", argv[0]);
    enable_bus_master(path);
    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", argv[0]);
    fd = open(path, O_RDWR | O_SYNC);
    if (fd < 0) {
        die("resource0");
    }
    e.bar = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (e.bar == MAP_FAILED) {
        die("mmap bar");
    }
    result("edu-id", (edu_rd32(&e, EDU_ID) & 0xff) == 0xed,
           "id=0x%08x", edu_rd32(&e, EDU_ID));

    page = low_page(&phys);
    memset(page, 0x5a, PAGE);
    memcpy(expect, page, PAGE);
    printf("VTD: INFO isolation-page 0x%" PRIx64 "\n", phys);

    /* device -> RAM: a write that the tables never granted */
    done = edu_dma(&e, EDU_BUF, phys, PAGE, EDU_CMD_TO_RAM);
    result("edu-write-completes", done, "dma write finished=%d", done);
    result("blocked-write", memcmp(page, expect, PAGE) == 0,
           "page 0x%" PRIx64 " %s", phys,
           memcmp(page, expect, PAGE) ? "CHANGED by DMA" : "unchanged");

    /* RAM -> device: a read that the tables never granted */
    done = edu_dma(&e, phys, EDU_BUF, PAGE, 0);
    result("edu-read-completes", done, "dma read finished=%d", done);
    return failures != 0;
}

/* ---- edu and a page outside System RAM (RMRR, PMR) ---- */

/* edu's BAR, with bus mastering on (edu has no driver). */
static void edu_open_bar(struct edu *e, const char *bdf)
{
    char path[256];
    int fd;

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
    enable_bus_master(path);
    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
    fd = open(path, O_RDWR | O_SYNC);
    if (fd < 0) {
        die("resource0");
    }
    e->bar = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (e->bar == MAP_FAILED) {
        die("mmap bar");
    }
    close(fd);
}

/*
 * physdma BDF ADDR ok|blocked CHECK: edu reads the page at guest-physical
 * ADDR (its IOVA too: an identity mapping, an RMRR's or pass-through)
 * into its buffer, then writes its buffer back to that page. The page is
 * seen through /dev/mem, so ADDR must lie outside System RAM (an
 * e820-reserved hole, memmap=SIZE$BASE). It holds a pattern before the
 * read and 0xa5 bytes before the write: "ok" wants the pattern back (both
 * DMAs went through), "blocked" wants the 0xa5 bytes (the write did not
 * land; the guest's kernel logs the faults, checked by /init).
 */
static int cmd_physdma(int argc, char **argv)
{
    struct edu e;
    uint64_t addr, seed;
    uint8_t *page, pattern[PAGE], fill[PAGE];
    bool want_ok, done, back, kept;
    int fd;

    if (argc != 4 || (strcmp(argv[2], "ok") && strcmp(argv[2], "blocked"))) {
        return 1;
    }
    addr = parse_u64(argv[1]);
    want_ok = !strcmp(argv[2], "ok");
    if (addr % PAGE || addr + PAGE > EDU_DMA_LIMIT) {
        errno = EINVAL;
        die("physdma: ADDR must be page aligned, below 256 MiB");
    }
    edu_open_bar(&e, argv[0]);
    fd = open("/dev/mem", O_RDWR | O_SYNC);
    if (fd < 0) {
        die("/dev/mem");
    }
    page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, addr);
    if (page == MAP_FAILED) {
        die("mmap /dev/mem");
    }
    seed = addr | 1;
    fill_pattern(pattern, PAGE, &seed);
    memset(fill, 0xa5, PAGE);

    memcpy(page, pattern, PAGE);
    done = edu_dma(&e, addr, EDU_BUF, PAGE, 0);
    memcpy(page, fill, PAGE);
    done &= edu_dma(&e, EDU_BUF, addr, PAGE, EDU_CMD_TO_RAM);
    back = memcmp(page, pattern, PAGE) == 0;
    kept = memcmp(page, fill, PAGE) == 0;
    result(argv[3], done && (want_ok ? back : kept),
           "edu %s page 0x%" PRIx64 " read and written back: %s (want %s)%s",
           argv[0], addr, back ? "data went through" :
           kept ? "write blocked" : "page holds other data", argv[2],
           done ? "" : "; edu DMA did not finish");
    munmap(page, PAGE);
    close(fd);
    return failures != 0;
}

/* ---- edu through VFIO ---- */

static int vfio_group_of(const char *bdf)
{
    char path[256], link[256], *base;
    ssize_t n;

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
    n = readlink(path, link, sizeof(link) - 1);
    if (n < 0) {
        die("iommu_group");
    }
    link[n] = 0;
    base = strrchr(link, '/');
    return atoi(base + 1);
}

struct vfio_edu {
    int container, group, dev;
    struct edu e;
};

static void vfio_edu_open(struct vfio_edu *v, const char *bdf)
{
    struct vfio_group_status gs = { .argsz = sizeof(gs) };
    struct vfio_region_info ri = { .argsz = sizeof(ri) };
    char path[64];
    uint16_t cmd;

    v->container = open("/dev/vfio/vfio", O_RDWR);
    if (v->container < 0) {
        die("/dev/vfio/vfio");
    }
    result("vfio-api",
           ioctl(v->container, VFIO_GET_API_VERSION) == VFIO_API_VERSION &&
           ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0,
           "type1v2 available");
    snprintf(path, sizeof(path), "/dev/vfio/%d", vfio_group_of(bdf));
    v->group = open(path, O_RDWR);
    if (v->group < 0) {
        die(path);
    }
    if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &gs) < 0) {
        die("group status");
    }
    result("vfio-group-viable", gs.flags & VFIO_GROUP_FLAGS_VIABLE,
           "%s flags=0x%x", path, gs.flags);
    if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) < 0 ||
        ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0) {
        die("set container/iommu");
    }
    v->dev = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
    if (v->dev < 0) {
        die("device fd");
    }
    ri.index = VFIO_PCI_BAR0_REGION_INDEX;
    if (ioctl(v->dev, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0) {
        die("bar0 info");
    }
    v->e.bar = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED,
                    v->dev, ri.offset);
    if (v->e.bar == MAP_FAILED) {
        die("mmap bar0");
    }
    ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
    if (ioctl(v->dev, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 ||
        pread(v->dev, &cmd, 2, ri.offset + 4) != 2) {
        die("config");
    }
    cmd |= 0x6;
    if (pwrite(v->dev, &cmd, 2, ri.offset + 4) != 2) {
        die("config write");
    }
}

/* Print the /proc/interrupts line of NAME while the vector is set up. */
static void print_irq_chip(const char *name)
{
    char line[512];
    FILE *f = fopen("/proc/interrupts", "r");

    while (f && fgets(line, sizeof(line), f)) {
        if (strstr(line, name)) {
            line[strcspn(line, "\n")] = 0;
            printf("VTD: INFO irq-line %s\n", line);
        }
    }
    if (f) {
        fclose(f);
    }
}

/*
 * edu's MSI through VFIO: an eventfd for MSI vector 0, then edu raises its
 * interrupt; the eventfd must fire (with interrupt remapping on, through
 * the IRTE the guest kernel set up for vfio-msi).
 */
static bool vfio_msi_fires(struct vfio_edu *v)
{
    char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
    struct vfio_irq_set *set = (void *)buf;
    struct pollfd p;
    uint64_t count = 0;
    int32_t efd = eventfd(0, EFD_NONBLOCK);
    bool fired;

    set->argsz = sizeof(buf);
    set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    set->index = VFIO_PCI_MSI_IRQ_INDEX;
    set->start = 0;
    set->count = 1;
    memcpy(set->data, &efd, sizeof(efd));
    if (efd < 0 || ioctl(v->dev, VFIO_DEVICE_SET_IRQS, set) < 0) {
        die("VFIO_DEVICE_SET_IRQS");
    }
    *(volatile uint32_t *)(v->e.bar + EDU_IRQ_RAISE) = 1;   /* MMIO */
    p = (struct pollfd) { .fd = efd, .events = POLLIN };
    fired = poll(&p, 1, 2000) == 1 && read(efd, &count, 8) == 8 && count;
    *(volatile uint32_t *)(v->e.bar + EDU_IRQ_ACK) = 1;     /* MMIO */
    print_irq_chip("vfio-msi");
    close(efd);
    return fired;
}

static int vfio_map(struct vfio_edu *v, void *va, uint64_t iova, uint64_t len)
{
    struct vfio_iommu_type1_dma_map m = {
        .argsz = sizeof(m),
        .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
        .vaddr = (uintptr_t)va, .iova = iova, .size = len,
    };

    return ioctl(v->container, VFIO_IOMMU_MAP_DMA, &m);
}

static int vfio_unmap(struct vfio_edu *v, uint64_t iova, uint64_t len)
{
    struct vfio_iommu_type1_dma_unmap u = {
        .argsz = sizeof(u), .iova = iova, .size = len,
    };

    return ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &u);
}

/*
 * vfio BDF: map three pages A, B, C at IOVAs far from their physical
 * addresses; copy A -> edu -> B and check B; unmap A and B: a write to B
 * must not land, C still takes writes, and new data in A must not reach C
 * through the device.
 */
static int cmd_vfio(int argc, char **argv)
{
    const uint64_t iova = 0x3000000;    /* 48 MiB, below edu's 28-bit mask */
    struct vfio_edu v;
    uint8_t *buf, *a, *b, *c, old[PAGE];
    uint64_t seed = 0x1234567;

    if (argc != 1) {
        return 1;
    }
    vfio_edu_open(&v, argv[0]);
    buf = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    if (buf == MAP_FAILED) {
        die("mmap");
    }
    a = buf, b = buf + PAGE, c = buf + 2 * PAGE;
    fill_pattern(a, PAGE, &seed);
    memset(b, 0, PAGE);
    memset(c, 0, PAGE);
    /* Type1 v2 unmaps whole mappings only: A+B is one, C another. */
    result("vfio-map", vfio_map(&v, buf, iova, 2 * PAGE) == 0 &&
           vfio_map(&v, c, iova + 2 * PAGE, PAGE) == 0,
           "iova 0x%" PRIx64 " -> va %p", iova, (void *)buf);

    edu_dma(&v.e, iova, EDU_BUF, PAGE, 0);
    edu_dma(&v.e, EDU_BUF, iova + PAGE, PAGE, EDU_CMD_TO_RAM);
    result("vfio-dma-copy", memcmp(a, b, PAGE) == 0,
           "edu copied A->B through IOVA 0x%" PRIx64, iova);
    result("vfio-msi", vfio_msi_fires(&v), "edu MSI reached its eventfd");

    result("vfio-unmap", vfio_unmap(&v, iova, 2 * PAGE) == 0, "A and B");
    memset(b, 0, PAGE);
    edu_dma(&v.e, EDU_BUF, iova + PAGE, PAGE, EDU_CMD_TO_RAM);
    result("vfio-unmapped-write-blocked",
           memcmp(b, zero_page, PAGE) == 0,
           "write to unmapped IOVA 0x%" PRIx64 " %s", iova + PAGE,
           memcmp(b, zero_page, PAGE) ? "LANDED" : "blocked");

    /* C is still mapped: the edu buffer (still A's old data) lands there. */
    memcpy(old, a, PAGE);
    edu_dma(&v.e, EDU_BUF, iova + 2 * PAGE, PAGE, EDU_CMD_TO_RAM);
    result("vfio-mapped-still-works", memcmp(c, old, PAGE) == 0,
           "write to mapped IOVA 0x%" PRIx64, iova + 2 * PAGE);

    fill_pattern(a, PAGE, &seed);
    edu_dma(&v.e, iova, EDU_BUF, PAGE, 0);
    edu_dma(&v.e, EDU_BUF, iova + 2 * PAGE, PAGE, EDU_CMD_TO_RAM);
    result("vfio-unmapped-read-blocked", memcmp(c, a, PAGE) != 0,
           "C %s the data behind unmapped IOVA 0x%" PRIx64,
           memcmp(c, a, PAGE) ? "did not get" : "GOT", iova);
    return failures != 0;
}

/*
 * vfio-refused BDF: BDF, bound to vfio-pci, must not become usable
 * through VFIO type1 (Linux refuses a device with an RMRR the blocking
 * domain that VFIO's ownership claim attaches). Reports the step that
 * failed and its errno.
 */
static int cmd_vfio_refused(int argc, char **argv)
{
    const char *step = "VFIO_GROUP_GET_DEVICE_FD";
    char path[64];
    int container, group, dev = -1;

    if (argc != 1) {
        return 1;
    }
    container = open("/dev/vfio/vfio", O_RDWR);
    if (container < 0) {
        die("/dev/vfio/vfio");
    }
    snprintf(path, sizeof(path), "/dev/vfio/%d", vfio_group_of(argv[0]));
    group = open(path, O_RDWR);
    if (group < 0) {
        step = "open group";
    } else if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0) {
        step = "VFIO_GROUP_SET_CONTAINER";
    } else if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0) {
        step = "VFIO_SET_IOMMU";
    } else {
        dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[0]);
    }
    result("vfio-refused", dev < 0, "%s %s: %s%s%s", argv[0], path,
           dev < 0 ? step : "usable through VFIO", dev < 0 ? " failed: " : "",
           dev < 0 ? strerror(errno) : "");
    return failures != 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
        const char *usage;
    } cmds[] = {
        { "pattern", cmd_pattern, "SEED SIZE" },
        { "readbench", cmd_readbench, "DEV BS NAME PASSES huge|4k" },
        { "readbench-par", cmd_readbench_par,
          "NAME BS PASSES huge|4k DEV[,DEV...]..." },
        { "tcp-get", cmd_tcp_get, "IP PORT" },
        { "tcp-put", cmd_tcp_put, "IP PORT" },
        { "frames", cmd_frames, "IFNAME ROUNDS COUNT SIZE" },
        { "isolation", cmd_isolation, "BDF" },
        { "vfio", cmd_vfio, "BDF" },
        { "physdma", cmd_physdma, "BDF ADDR ok|blocked CHECK" },
        { "vfio-refused", cmd_vfio_refused, "BDF" },
    };

    for (size_t i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (!strcmp(argv[1], cmds[i].name)) {
            int r = cmds[i].fn(argc - 2, argv + 2);

            if (r == 1 && failures == 0) {
                fprintf(stderr, "usage: vtdtool %s %s\n", cmds[i].name,
                        cmds[i].usage);
            }
            return r;
        }
    }
    fprintf(stderr, "usage: vtdtool pattern|readbench|readbench-par|"
            "tcp-get|tcp-put|"
            "frames|isolation|vfio|physdma|vfio-refused ...\n");
    return 1;
}
