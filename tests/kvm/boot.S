/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Entry of the KVM/TCG test payload (payload.c): a multiboot header, the
 * switch from the loader's 32-bit protected mode to 64-bit long mode with
 * the first 4 GiB identity-mapped (2 MiB pages; 3-4 GiB uncached), the 256
 * interrupt stubs and the trampoline that brings the application
 * processors from real mode to ap_main().
 *
 * Long mode because the nested KVM this suite meets (PVM) runs 64-bit
 * code natively but leaves 32-bit code to KVM's instruction emulator,
 * which cannot return from an interrupt in protected mode.
 */
#define MB_MAGIC    0x1badb002
#define MB_FLAGS    0
#define AP_STACKS   8               /* 4 KiB each; payload.c MAX_CPUS - 1 */
#define MSR_EFER    0xc0000080

/* PAE, the page tables, EFER.LME and paging: long mode after a far jump. */
.macro LONG_MODE_ON
    movl %cr4, %eax
    orl $0x20, %eax
    movl %eax, %cr4
    movl $pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $0x100, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0
.endm

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .code32
    .globl _start
_start:
    cli
    movl %eax, %esi                 /* multiboot magic */
    movl %ebx, %ebp                 /* multiboot information */
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    /* .bss holds the stacks and page tables: clear it first */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    cld
    rep stosb
    /* 2048 2 MiB pages for 0-4 GiB; PCD|PWT from 3 GiB (MMIO) up */
    movl $pd, %edi
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax                 /* present, writable, 2 MiB */
    cmpl $1536, %ecx
    jb 3f
    orl $0x18, %eax
3:  movl %eax, (%edi,%ecx,8)
    incl %ecx
    cmpl $2048, %ecx
    jb 2b
    movl $pdpt, %edi
    movl $pd + 3, %eax
    xorl %ecx, %ecx
4:  movl %eax, (%edi,%ecx,8)
    addl $4096, %eax
    incl %ecx
    cmpl $4, %ecx
    jb 4b
    movl $pdpt + 3, pml4
    LONG_MODE_ON
    ljmp $0x18, $5f
    .code64
5:  movq $bsp_stack_top, %rsp
    movl %esi, %edi
    movl %ebp, %esi
    call payload_main
6:  cli
    hlt
    jmp 6b

/* Interrupt stubs, 16 bytes each: an error code (if the CPU pushed none) */
    .code64
    .align 16
    .globl isr_stubs
isr_stubs:
    vec = 0
    .rept 256
    .align 16
    .if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || \
        vec == 29 || vec == 30
    .else
    pushq $0
    .endif
    pushq $vec
    jmp isr_common
    vec = vec + 1
    .endr

/* The CPU's frame (5 words) + error + vector + 9 words: rsp 16-aligned. */
isr_common:
    pushq %rax
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    movq %rsp, %rdi
    cld
    call isr_dispatch
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rax
    addq $16, %rsp
    iretq

/*
 * AP trampoline: copied to a page below 1 MiB and started by SIPI there
 * (CS = page >> 4, IP = 0). Real mode -> flat protected mode -> ap_entry.
 */
    .code16
    .globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
    cli
    movw %cs, %ax
    movw %ax, %ds
    lgdtl ap_gdt_desc - ap_tramp_start
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $ap_entry32
    .align 4
ap_gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
ap_tramp_end:

    .code32
ap_entry32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    LONG_MODE_ON
    ljmp $0x18, $ap_entry64
    .code64
ap_entry64:
    /* a stack of its own: ap_stacks + (n + 1) * 4096 */
    movl $1, %eax
    lock xaddl %eax, ap_next_stack
    cmpl $AP_STACKS, %eax
    jae 7f
    incl %eax
    shll $12, %eax
    addq $ap_stacks, %rax
    movq %rax, %rsp
    call ap_main
7:  cli
    hlt
    jmp 7b

    .data
    .align 8
gdt:
    .quad 0
    .quad 0x00cf9b000000ffff        /* 0x08: flat 32-bit code */
    .quad 0x00cf93000000ffff        /* 0x10: flat data */
    .quad 0x00af9b000000ffff        /* 0x18: 64-bit code */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .globl ap_next_stack
    .align 4
ap_next_stack:
    .long 0

    .bss
    .align 4096
pml4:
    .skip 4096
pdpt:
    .skip 4096
pd:
    .skip 4096 * 4
    .globl ap_stacks
ap_stacks:
    .skip 4096 * AP_STACKS
    .skip 16384
bsp_stack_top:
