/*
 * debugexit: ends the run through isa-debug-exit (tests/guest/run.sh).
 *
 * 16-bit real mode at 0: one 32-bit OUT of EAX (set with --reg rax=V) to
 * port 0xf4, kvm-unit-tests' isa-debug-exit port; minivmm must end with
 * exit status (V << 1) | 1 and print nothing on stderr:
 *   minivmm run -device isa-debug-exit,iobase=0xf4,iosize=4 --reg rax=1 \
 *       build/guests/debugexit.bin; echo $?        # 3
 * Without the device the OUT is dropped and the HLT ends the run (0).
 */
	.code16
	.text
	.globl _start
_start:
	outl	%eax, $0xf4
1:	hlt
	jmp	1b
