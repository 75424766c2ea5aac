/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What boot.S and payload.c share: the entry points, each way. */
#ifndef TESTS_KVM_PAYLOAD_H
#define TESTS_KVM_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

/* What isr_common (boot.S) pushed, then the CPU's interrupt frame */
typedef struct IsrFrame {
    uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
    uint64_t vector, error, rip, cs, rflags, rsp, ss;
} IsrFrame;

typedef struct MultibootInfo {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
} MultibootInfo;

/* boot.S: 256 interrupt stubs, 16 bytes apart; the AP trampoline */
extern char isr_stubs[];
extern char ap_tramp_start[], ap_tramp_end[];

/* payload.c, called from boot.S */
void payload_main(uint32_t magic, const MultibootInfo *mbi);
void isr_dispatch(IsrFrame *f);
void ap_main(void);

/* payload.c; gcc may call these for struct copies and clears */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

#endif
