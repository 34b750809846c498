build-tsan/src/arch/x86/kernel_unpack.o: src/arch/x86/kernel_unpack.c \
 src/arch/x86/kernel_unpack.h src/arch/x86/decompress.h \
 src/loader/bzimage.h src/loader/elf.h src/byteorder.h \
 src/loader/kcache.h src/log.h
src/arch/x86/kernel_unpack.h:
src/arch/x86/decompress.h:
src/loader/bzimage.h:
src/loader/elf.h:
src/byteorder.h:
src/loader/kcache.h:
src/log.h:
