/* The built-in demo guest (guests/demo.S), embedded for `minivmm run`. */
	.section .rodata
	.balign 16
	.globl demo_image, demo_image_end
demo_image:
	.incbin DEMO_BIN
demo_image_end:
	.section .note.GNU-stack,"",@progbits
