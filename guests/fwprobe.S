/*
 * fwprobe: a tiny "firmware" that reads the machine description the way a
 * BIOS does (README, "The pc machine") and prints what it finds on the debug
 * console at port 0x402, so the same image can be run under minivmm and
 * under QEMU and the two outputs compared line by line:
 *   minivmm run -M pc -m 1G --bios build/guests/fwprobe.bin --debugcon 0x402
 *   qemu-system-x86_64 -accel kvm -M pc -m 1G -bios build/guests/fwprobe.bin \
 *     -nodefaults -display none -no-reboot \
 *     -chardev file,id=d,path=q.log -device isa-debugcon,iobase=0x402,chardev=d
 *
 * What it does, in order:
 *   - fw_cfg signature (key 0x0000, "QEMU") and ID (key 0x0001, bit 1 = DMA);
 *   - RAM_SIZE (0x0003, le64) and NB_CPUS (0x0005, le16);
 *   - the file directory (0x0019) walked with port I/O to find "etc/e820",
 *     which is then read with port I/O ("e820 port:" lines) and again with
 *     one DMA select+read ("e820 dma:" lines); the two must agree;
 *   - two DMA reads into buffers that are not RAM, which must come back
 *     with the error bit;
 *   - the legacy key FW_CFG_E820_TABLE 0x8003 ("e820 legacy:" lines; QEMU
 *     7.2 no longer has the key, so there the count reads as 0);
 *   - the CMOS memory-size bytes, and what they say about the RAM layout;
 *   - the RAM layout derived from the e820 RAM entries;
 * then "DONE" and a reset through the i8042 (0xfe to port 0x64): QEMU with
 * -no-reboot exits 0, minivmm exits with code 4.
 *
 * It is a 64 KiB image linked at 0xf0000 (GUEST_LOAD_fwprobe): the monitor
 * maps it below 4 GiB and aliases it at 0xf0000, and the vCPU starts at
 * F000:FFF0.  The reset vector jumps to a short real-mode stub that loads
 * the GDT in the image and enters 32-bit flat protected mode; everything
 * else runs there with absolute addresses.  The image is only read: all
 * variables, buffers and the stack live in low RAM (below 0x8000), which is
 * RAM on both monitors.  No interrupts are enabled.
 */
#define CON_PORT 0x402

#define FW_CTL 0x510 /* selector, 16-bit write */
#define FW_DATA 0x511 /* data, 8-bit read */
#define FW_DMA_HI 0x514 /* DMA address, big-endian, high half */
#define FW_DMA_LO 0x518 /* low half; writing it starts the transfer */

#define FW_SIGNATURE 0x0000
#define FW_ID 0x0001
#define FW_RAM_SIZE 0x0003
#define FW_NB_CPUS 0x0005
#define FW_FILE_DIR 0x0019
#define FW_E820_TABLE 0x8003

#define FW_ID_DMA 0x02
#define DMA_ERROR 0x01
#define DMA_READ 0x02
#define DMA_SELECT 0x08

#define QEMU_SIG 0x554d4551 /* "QEMU" as a little-endian dword */

/* Scratch RAM. */
#define DESC 0x1000 /* DMA control structure, 16 bytes */
#define DIRENT 0x1100 /* one 64-byte directory entry */
#define CMOSVAL 0x1200 /* the CMOS bytes, in cmos_index order */
#define V_RAMSIZE 0x1300 /* u64: fw_cfg RAM_SIZE */
#define V_CPUS 0x1308 /* u32: fw_cfg NB_CPUS */
#define V_SIZE 0x130c /* u32: size of etc/e820 */
#define V_SEL 0x1310 /* u32: selector of etc/e820 */
#define V_DMA 0x1314 /* u32: nonzero when the DMA interface is there */
#define V_LOWEND 0x1318 /* u64: end of RAM below 4 GiB (from e820) */
#define V_HIGHEND 0x1320 /* u64: end of RAM above 4 GiB (from e820) */
#define V_RAMSUM 0x1328 /* u64: sum of the e820 RAM lengths */
#define V_CMOSLOW 0x1330 /* u64: end of low RAM (from CMOS) */
#define V_CMOSHIGH 0x1338 /* u64: end of high RAM (from CMOS) */
#define V_ERR1 0x1340 /* u32: control after the first bad DMA */
#define V_END 0x1348
#define PORTBUF 0x2000 /* etc/e820 by port I/O */
#define DMABUF 0x3000 /* etc/e820 by DMA */
#define LEGBUF 0x4000 /* the legacy table */
#define STACK 0x7000

#define E820_ENTRY 20
#define E820_MAX_BYTES (64 * E820_ENTRY)
#define LEGACY_MAX 16
#define MAX_FILES 4096

/* Image offset of a label (the image starts at _start). */
#define OFF(x) ((x) - _start)

/* PRINT("text"): the string follows the call; print_inline skips it. */
#define PRINT(s) call print_inline ; .asciz s

	.text
	.globl _start
	.code32
_start:
	hlt
	jmp	_start

/* ---- output --------------------------------------------------------------- */

/* putc: write %al to the console.  Preserves every register. */
putc:
	push	%edx
	mov	$CON_PORT, %dx
	outb	%al, %dx
	pop	%edx
	ret

newline:
	push	%eax
	mov	$'\n', %al
	call	putc
	pop	%eax
	ret

space:
	push	%eax
	mov	$' ', %al
	call	putc
	pop	%eax
	ret

/* puts: write the NUL-terminated string at %esi.  Preserves registers. */
puts:
	pusha
1:	lodsb
	test	%al, %al
	jz	2f
	call	putc
	jmp	1b
2:	popa
	ret

/* print_inline: write the string stored right after the call, return past it. */
print_inline:
	xchg	%esi, (%esp)
	push	%eax
1:	lodsb
	test	%al, %al
	jz	2f
	call	putc
	jmp	1b
2:	pop	%eax
	xchg	%esi, (%esp)
	ret

/* puthex: write the low %ecx (1-8) hex digits of %eax.  Preserves registers. */
puthex:
	pusha
	mov	%eax, %ebx
	mov	%ecx, %edx
	mov	$8, %ecx
	sub	%edx, %ecx
	shl	$2, %ecx
	rol	%cl, %ebx		/* first digit to print is now on top */
	mov	%edx, %ecx
1:	rol	$4, %ebx
	mov	%bl, %al
	and	$0xf, %al
	cmp	$10, %al
	jb	2f
	add	$('a' - '0' - 10), %al
2:	add	$'0', %al
	call	putc
	loop	1b
	popa
	ret

/* put64: write the u64 at %esi as 16 hex digits.  Preserves registers. */
put64:
	push	%eax
	push	%ecx
	mov	$8, %ecx
	mov	4(%esi), %eax
	call	puthex
	mov	(%esi), %eax
	call	puthex
	pop	%ecx
	pop	%eax
	ret

/* put64_or_none: like put64, but "none" for zero. */
put64_or_none:
	push	%eax
	mov	(%esi), %eax
	or	4(%esi), %eax
	pop	%eax
	jnz	put64
	PRINT("none")
	ret

/* putdec: write %eax in decimal.  Preserves registers. */
putdec:
	pusha
	mov	$10, %ebx
	xor	%ecx, %ecx
1:	xor	%edx, %edx
	div	%ebx
	push	%edx
	inc	%ecx
	test	%eax, %eax
	jnz	1b
2:	pop	%eax
	add	$'0', %al
	call	putc
	loop	2b
	popa
	ret

/*
 * print_e820: write %ecx entries of 20 bytes from %esi, one line each:
 * the prefix string at %ebx, then "ADDR SIZE TYPE NAME".  Preserves registers.
 */
print_e820:
	pusha
	jecxz	3f
1:	xchg	%esi, %ebx
	call	puts
	xchg	%esi, %ebx
	call	put64			/* address */
	call	space
	add	$8, %esi
	call	put64			/* length */
	call	space
	mov	8(%esi), %eax		/* type */
	call	putdec
	call	space
	cmp	$6, %eax
	jb	2f
	xor	%eax, %eax		/* unknown types print as "?" */
2:	push	%esi
	mov	type_names(, %eax, 4), %esi
	call	puts
	pop	%esi
	call	newline
	add	$(E820_ENTRY - 8), %esi
	loop	1b
3:	popa
	ret

/* ---- fw_cfg ------------------------------------------------------------------ */

/* fw_select: select key %ax.  Preserves registers. */
fw_select:
	push	%edx
	mov	$FW_CTL, %dx
	outw	%ax, %dx
	pop	%edx
	ret

/* fw_read: read %ecx bytes of the selected item to %edi (EDI, ECX advance). */
fw_read:
	push	%eax
	push	%edx
	mov	$FW_DATA, %dx
	jecxz	2f
1:	inb	%dx, %al
	stosb
	loop	1b
2:	pop	%edx
	pop	%eax
	ret

/* fw_read32: the next 4 bytes of the item, as a little-endian %eax. */
fw_read32:
	push	%ecx
	push	%edi
	push	%eax			/* room for the bytes */
	mov	%esp, %edi
	mov	$4, %ecx
	call	fw_read
	pop	%eax
	pop	%edi
	pop	%ecx
	ret

/*
 * fw_dma: one DMA transfer.  In: %eax control, %ecx length, %edx:%ebx the
 * guest address.  Out: %eax the control word the device left (0 = done).
 * Both monitors finish the transfer during the OUT; the short poll only
 * guards against one that would not.  Preserves the other registers.
 */
fw_dma:
	push	%ecx
	push	%edx
	bswap	%eax
	mov	%eax, DESC
	bswap	%ecx
	mov	%ecx, DESC + 4
	bswap	%edx
	mov	%edx, DESC + 8
	mov	%ebx, %eax
	bswap	%eax
	mov	%eax, DESC + 12
	xor	%eax, %eax		/* the structure is below 4 GiB */
	mov	$FW_DMA_HI, %dx
	outl	%eax, %dx
	mov	$DESC, %eax
	bswap	%eax
	mov	$FW_DMA_LO, %dx
	outl	%eax, %dx
	mov	$1000, %ecx
1:	mov	DESC, %eax
	bswap	%eax
	test	$~DMA_ERROR, %eax	/* still busy? */
	jz	2f
	loop	1b
2:	pop	%edx
	pop	%ecx
	ret

/* ---- 64-bit helpers (values in memory) ------------------------------------------ */

/* max64: if %edx:%eax > the u64 at %edi, store it there.  Preserves registers. */
max64:
	cmp	4(%edi), %edx
	jb	2f
	ja	1f
	cmp	(%edi), %eax
	jbe	2f
1:	mov	%eax, (%edi)
	mov	%edx, 4(%edi)
2:	ret

/* eq64: ZF set when the u64s at %esi and %edi are equal. */
eq64:
	push	%eax
	mov	(%esi), %eax
	cmp	(%edi), %eax
	jne	1f
	mov	4(%esi), %eax
	cmp	4(%edi), %eax
1:	pop	%eax
	ret

/* ---- the probe ------------------------------------------------------------------ */

main32:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%ax, %fs
	mov	%ax, %gs
	mov	$STACK, %esp
	cld

	/* Variables start at zero whatever the RAM held. */
	mov	$V_RAMSIZE, %edi
	mov	$(V_END - V_RAMSIZE), %ecx
	xor	%eax, %eax
	rep stosb

	PRINT("fwprobe: fw_cfg, E820 and CMOS as firmware sees them\n")

	/* 1. Signature and ID. */
	mov	$FW_SIGNATURE, %ax
	call	fw_select
	call	fw_read32
	mov	%eax, %ebx
	PRINT("fw_cfg signature: ")
	mov	$4, %ecx
1:	call	putc
	shr	$8, %eax
	loop	1b
	call	newline
	cmp	$QEMU_SIG, %ebx
	je	1f
	PRINT("FAIL fwcfg-signature: not \"QEMU\"\n")
	jmp	finish
1:	PRINT("PASS fwcfg-signature\n")

	mov	$FW_ID, %ax
	call	fw_select
	call	fw_read32
	PRINT("fw_cfg id: ")
	mov	$8, %ecx
	call	puthex
	and	$FW_ID_DMA, %eax
	mov	%eax, V_DMA
	jz	1f
	PRINT(" (DMA yes)\n")
	jmp	2f
1:	PRINT(" (DMA no)\n")
2:

	/* 2. RAM size and CPUs. */
	mov	$FW_RAM_SIZE, %ax
	call	fw_select
	mov	$V_RAMSIZE, %edi
	mov	$8, %ecx
	call	fw_read
	PRINT("fw_cfg ram size: ")
	mov	$V_RAMSIZE, %esi
	call	put64
	call	newline

	mov	$FW_NB_CPUS, %ax
	call	fw_select
	mov	$V_CPUS, %edi
	mov	$2, %ecx
	call	fw_read
	PRINT("fw_cfg cpus: ")
	mov	V_CPUS, %eax
	mov	$4, %ecx
	call	puthex
	call	newline

	/* 3. Find etc/e820 in the file directory. */
	mov	$FW_FILE_DIR, %ax
	call	fw_select
	call	fw_read32
	bswap	%eax
	mov	%eax, %ebp		/* number of files */
	cmp	$MAX_FILES, %ebp
	jbe	1f
	PRINT("FAIL fwcfg-dir: file count ")
	call	putdec
	call	newline
	jmp	legacy
1:	test	%ebp, %ebp
	jz	2f
	dec	%ebp
	mov	$DIRENT, %edi
	mov	$64, %ecx
	call	fw_read
	mov	$DIRENT + 8, %esi
	mov	$e820_name, %edi
	mov	$e820_name_len, %ecx
	repe cmpsb
	jne	1b
	mov	DIRENT, %eax		/* u32 BE size */
	bswap	%eax
	mov	%eax, V_SIZE
	movzwl	DIRENT + 4, %eax	/* u16 BE select */
	xchg	%al, %ah
	mov	%eax, V_SEL
2:	mov	V_SIZE, %eax
	test	%eax, %eax
	jnz	1f
	PRINT("FAIL fwcfg-e820: no file etc/e820 (or it is empty)\n")
	jmp	legacy
1:	PRINT("fw_cfg etc/e820: ")
	call	putdec
	PRINT(" bytes\n")
	cmp	$E820_MAX_BYTES, %eax
	jbe	1f
	PRINT("FAIL fwcfg-e820: larger than 64 entries\n")
	jmp	legacy
1:
	/* ... read it with port I/O ... */
	mov	V_SEL, %eax
	call	fw_select
	mov	$PORTBUF, %edi
	mov	V_SIZE, %ecx
	call	fw_read
	mov	V_SIZE, %eax
	xor	%edx, %edx
	mov	$E820_ENTRY, %ecx
	div	%ecx
	mov	%eax, %ecx		/* whole entries */
	mov	$PORTBUF, %esi
	mov	$str_port, %ebx
	call	print_e820

	/* ... and derive the RAM layout from its RAM entries. */
	jecxz	4f
1:	cmpl	$1, 16(%esi)
	jne	3f
	mov	(%esi), %eax		/* end = address + length */
	mov	4(%esi), %edx
	add	8(%esi), %eax
	adc	12(%esi), %edx
	mov	$V_LOWEND, %edi
	test	%edx, %edx		/* end <= 4 GiB is low RAM */
	jz	2f
	cmp	$1, %edx
	jne	21f
	test	%eax, %eax
	jz	2f
21:	mov	$V_HIGHEND, %edi
2:	call	max64
	mov	8(%esi), %eax
	mov	12(%esi), %edx
	add	%eax, V_RAMSUM
	adc	%edx, V_RAMSUM + 4
3:	add	$E820_ENTRY, %esi
	loop	1b
4:

	/* 4. The same file by DMA, then DMA to addresses that are not RAM. */
	cmpl	$0, V_DMA
	jne	1f
	PRINT("FAIL fwcfg-dma: the ID has no DMA bit\n")
	jmp	legacy
1:	mov	$DMABUF, %edi		/* poison, so a no-op cannot pass */
	mov	V_SIZE, %ecx
	mov	$0xff, %al
	rep stosb
	mov	V_SEL, %eax
	shl	$16, %eax
	or	$(DMA_SELECT | DMA_READ), %eax
	mov	V_SIZE, %ecx
	xor	%edx, %edx
	mov	$DMABUF, %ebx
	call	fw_dma
	mov	%eax, %ebp		/* status */
	mov	V_SIZE, %eax
	xor	%edx, %edx
	mov	$E820_ENTRY, %ecx
	div	%ecx
	mov	%eax, %ecx
	mov	$DMABUF, %esi
	mov	$str_dma, %ebx
	call	print_e820
	test	%ebp, %ebp
	jz	1f
	PRINT("FAIL fwcfg-dma: control ")
	mov	%ebp, %eax
	mov	$8, %ecx
	call	puthex
	PRINT(" after the transfer\n")
	jmp	2f
1:	mov	$PORTBUF, %esi
	mov	$DMABUF, %edi
	mov	V_SIZE, %ecx
	repe cmpsb
	je	1f
	PRINT("FAIL fwcfg-dma: DMA and port I/O read different bytes\n")
	jmp	2f
1:	PRINT("PASS fwcfg-dma\n")
2:
	mov	V_SEL, %eax
	shl	$16, %eax
	or	$(DMA_SELECT | DMA_READ), %eax
	mov	$E820_ENTRY, %ecx
	mov	$0x70, %edx		/* 0x7000000000: 448 GiB, beyond RAM */
	xor	%ebx, %ebx
	call	fw_dma
	mov	%eax, V_ERR1
	PRINT("dma to 0000007000000000: control ")
	mov	$8, %ecx
	call	puthex
	call	newline
	mov	V_SEL, %eax
	shl	$16, %eax
	or	$(DMA_SELECT | DMA_READ), %eax
	mov	$E820_ENTRY, %ecx
	mov	$0xffffffff, %edx	/* the top page of the 64-bit space */
	mov	$0xfffff000, %ebx
	call	fw_dma
	mov	%eax, %ebp
	PRINT("dma to fffffffffffff000: control ")
	mov	$8, %ecx
	call	puthex
	call	newline
	and	V_ERR1, %eax
	test	$DMA_ERROR, %eax
	jz	1f
	PRINT("PASS fwcfg-dma-error\n")
	jmp	legacy
1:	PRINT("FAIL fwcfg-dma-error: the error bit did not come back\n")

	/* 5. The legacy key: u32 LE count, then 20-byte entries. */
legacy:
	mov	$FW_E820_TABLE, %ax
	call	fw_select
	call	fw_read32
	PRINT("e820 legacy: count ")
	call	putdec
	PRINT(" (key 0x8003; QEMU 7.2 has no such key and reads 0)\n")
	cmp	$LEGACY_MAX, %eax
	jbe	1f
	PRINT("e820 legacy: more than 16 entries, not read\n")
	jmp	cmos
1:	imul	$E820_ENTRY, %eax, %ecx
	mov	$LEGBUF, %edi
	call	fw_read
	mov	%eax, %ecx
	mov	$LEGBUF, %esi
	mov	$str_legacy, %ebx
	call	print_e820

	/* 6. CMOS. */
cmos:
	mov	$cmos_index, %esi
	mov	$CMOSVAL, %edi
	mov	$cmos_count, %ecx
1:	lodsb
	outb	%al, $0x70
	inb	$0x71, %al
	stosb
	loop	1b

	PRINT("cmos")
	mov	$cmos_index, %esi
	mov	$CMOSVAL, %edi
	mov	$cmos_count, %ecx
1:	call	space
	push	%ecx
	mov	$2, %ecx
	lodsb
	call	puthex
	mov	$'=', %al
	call	putc
	mov	(%edi), %al
	inc	%edi
	call	puthex
	pop	%ecx
	loop	1b
	call	newline

	/* The bytes are in cmos_index order: 15 16 17 18 30 31 34 35 5b 5c 5d 5f. */
	PRINT("cmos: base ")
	movzwl	CMOSVAL + 0, %eax
	call	putdec
	PRINT(" KiB, extended ")
	movzwl	CMOSVAL + 2, %eax
	mov	%eax, %ebx		/* extended KiB */
	call	putdec
	PRINT(" KiB, above 16M ")
	movzwl	CMOSVAL + 6, %eax
	mov	%eax, %ebp		/* 64 KiB blocks, 16 MiB .. 4 GiB */
	call	putdec
	PRINT(" x 64 KiB, above 4G ")
	mov	CMOSVAL + 8, %eax
	and	$0xffffff, %eax
	mov	%eax, %edi		/* 64 KiB blocks above 4 GiB */
	call	putdec
	PRINT(" x 64 KiB, cpus ")
	movzbl	CMOSVAL + 11, %eax
	inc	%eax
	mov	%eax, %esi		/* CPUs */
	call	putdec
	call	newline

	/* Low RAM ends at 16M + blocks * 64K, or 1M + extended KiB. */
	test	%ebp, %ebp
	jz	1f
	lea	256(%ebp), %eax
	mov	%eax, %edx
	shr	$16, %edx
	shl	$16, %eax
	jmp	2f
1:	lea	1024(%ebx), %eax
	shl	$10, %eax
	xor	%edx, %edx
2:	mov	%eax, V_CMOSLOW
	mov	%edx, V_CMOSLOW + 4
	/* High RAM ends at 4G + blocks * 64K, when there is any. */
	test	%edi, %edi
	jz	1f
	lea	0x10000(%edi), %eax
	mov	%eax, %edx
	shr	$16, %edx
	shl	$16, %eax
	mov	%eax, V_CMOSHIGH
	mov	%edx, V_CMOSHIGH + 4
1:
	PRINT("cmos memory: low RAM end ")
	push	%esi
	mov	$V_CMOSLOW, %esi
	call	put64_or_none
	PRINT(", high RAM end ")
	mov	$V_CMOSHIGH, %esi
	call	put64_or_none
	call	newline

	/* 7. The layout from the e820 RAM entries, and the cross-checks. */
	PRINT("memory map: low RAM end ")
	mov	$V_LOWEND, %esi
	call	put64_or_none
	PRINT(", high RAM end ")
	mov	$V_HIGHEND, %esi
	call	put64_or_none
	call	newline
	pop	%esi

	cmp	V_CPUS, %esi
	je	1f
	PRINT("FAIL fwcfg-cmos: CMOS 0x5f and fw_cfg NB_CPUS disagree\n")
	jmp	2f
1:	mov	$V_CMOSLOW, %esi
	mov	$V_LOWEND, %edi
	call	eq64
	jne	3f
	mov	$V_CMOSHIGH, %esi
	mov	$V_HIGHEND, %edi
	call	eq64
	jne	3f
	PRINT("PASS fwcfg-cmos\n")
	jmp	2f
3:	PRINT("FAIL fwcfg-cmos: CMOS and e820 RAM ends disagree\n")
2:
	mov	$V_RAMSIZE, %esi
	mov	$V_RAMSUM, %edi
	call	eq64
	jne	1f
	PRINT("PASS ram-size\n")
	jmp	finish
1:	PRINT("FAIL ram-size: fw_cfg RAM_SIZE is not the sum of the e820 RAM entries\n")

finish:
	PRINT("DONE\n")
	mov	$0xfe, %al		/* i8042: pulse the reset line */
	outb	%al, $0x64
	cli
1:	hlt
	jmp	1b

/* ---- constant data --------------------------------------------------------------- */

e820_name:
	.asciz	"etc/e820"
	.set	e820_name_len, . - e820_name	/* with the NUL */

str_port:
	.asciz	"e820 port: "
str_dma:
	.asciz	"e820 dma: "
str_legacy:
	.asciz	"e820 legacy: "

type_names:
	.long	t_unknown, t_ram, t_reserved, t_acpi, t_nvs, t_unusable
t_unknown:
	.asciz	"?"
t_ram:
	.asciz	"RAM"
t_reserved:
	.asciz	"RESERVED"
t_acpi:
	.asciz	"ACPI"
t_nvs:
	.asciz	"NVS"
t_unusable:
	.asciz	"UNUSABLE"

cmos_index:
	.byte	0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35, 0x5b, 0x5c, 0x5d, 0x5f
	.set	cmos_count, . - cmos_index

/*
 * Flat 4 GiB segments; the accessed bits are preset so that loading a
 * selector never writes to the descriptor (the image is ROM).
 */
	.balign	8
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff	/* 0x08: code, 32-bit */
	.quad	0x00cf93000000ffff	/* 0x10: data */
gdt_desc:
	.word	gdt_desc - gdt - 1
	.long	gdt

/* ---- real mode: from the reset vector to protected mode --------------------- */

	.code16
entry16:
	cli
	lgdtl	%cs:OFF(gdt_desc)
	mov	%cr0, %eax
	or	$1, %al			/* CR0.PE */
	mov	%eax, %cr0
	ljmpl	$0x08, $main32

	.org	0xfff0
reset_vector:				/* F000:FFF0, CS base 0xf0000 after the jump */
	ljmp	$0xf000, $OFF(entry16)
	.org	0x10000
