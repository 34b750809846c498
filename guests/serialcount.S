/*
 * serialcount: a multiboot kernel for the pc machine that counts on the
 * serial line (COM1), for the API's pause/snapshot/restore tests
 * (tests/guest/api.sh): it prints
 *
 *   COUNT 0
 *   COUNT 1
 *   ...
 *   COUNT 599
 *   COUNT-END
 *
 * with a delay loop between lines, then resets the machine through the
 * i8042 (HLT does not end a pc run).  With "forever" in its command line
 * (-append) it counts on without end instead.  Output stopped and continued at any
 * byte (a pause, a snapshot restored in another process) must read, once
 * put together, exactly as that list.
 *
 *   minivmm run -M pc -m 64M -kernel build/guests/serialcount.bin -serial stdio
 *
 * Loaded by the a.out-kludge fields at 1 MiB (no ELF), entered in 32-bit
 * protected mode with paging off, as the multiboot specification says.
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00010000 /* the a.out kludge: load by the header's fields */
#define LOADBASE 0x100000
#define PHYS(label) (LOADBASE + (label))
#define STACK_TOP (PHYS(load_end) + 0x1000)

#define COM1 0x3f8
#define COUNT 600
#define DELAY 20000 /* LOOP iterations between lines */

	.text
	.code32
	.globl	_start
_start:
	.balign	4
mbh:	/* magic, flags, checksum; header, load, load end, bss end, entry */
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
	.long	PHYS(mbh), LOADBASE, PHYS(load_end), STACK_TOP, PHYS(entry)

entry:
	mov	$STACK_TOP, %esp
	/* forever: "forever" in the command line (info flags bit 2, +16) */
	xor	%ebp, %ebp
	cmp	$0x2badb002, %eax
	jne	3f
	testl	$4, (%ebx)
	jz	3f
	mov	16(%ebx), %esi
1:	mov	$PHYS(forever), %edi
	mov	%esi, %edx
2:	mov	(%edi), %al
	test	%al, %al
	jz	4f				/* all of "forever" matched */
	cmp	(%edx), %al
	jne	5f
	inc	%edi
	inc	%edx
	jmp	2b
5:	cmpb	$0, (%esi)
	je	3f
	inc	%esi
	jmp	1b
4:	inc	%ebp
3:	xor	%ebx, %ebx			/* the count */
next:
	mov	$PHYS(word), %esi
	call	puts
	mov	%ebx, %eax
	call	putdec
	mov	$'\n', %al
	call	putc
	mov	$DELAY, %ecx
1:	loop	1b
	inc	%ebx
	test	%ebp, %ebp
	jnz	next
	cmp	$COUNT, %ebx
	jb	next
	mov	$PHYS(end), %esi
	call	puts
	mov	$0xfe, %al			/* i8042: pulse the reset line */
	outb	%al, $0x64
2:	hlt
	jmp	2b

/* putc: %al to COM1, once its transmitter holds nothing.  Clobbers %edx. */
putc:
	push	%eax
	mov	$(COM1 + 5), %dx		/* LSR */
1:	inb	%dx, %al
	test	$0x20, %al			/* THRE */
	jz	1b
	pop	%eax
	mov	$COM1, %dx
	outb	%al, %dx
	ret

/* puts: the NUL-terminated string at %esi.  Clobbers %eax, %edx, %esi. */
puts:
	lodsb
	test	%al, %al
	jz	1f
	call	putc
	jmp	puts
1:	ret

/* putdec: %eax in decimal.  Clobbers %eax, %ecx, %edx, %edi. */
putdec:
	mov	$PHYS(digits_end), %edi
	mov	$10, %ecx
1:	xor	%edx, %edx
	div	%ecx
	add	$'0', %dl
	dec	%edi
	mov	%dl, (%edi)
	test	%eax, %eax
	jnz	1b
2:	mov	(%edi), %al
	call	putc
	inc	%edi
	cmp	$PHYS(digits_end), %edi
	jb	2b
	ret

word:	.asciz	"COUNT "
end:	.asciz	"COUNT-END\n"
forever: .asciz	"forever"
digits:	.space	12
digits_end:
	.balign	4
load_end:
