build-tsan/src/arch/x86/decompress_libs.o: src/arch/x86/decompress_libs.c \
 src/arch/x86/decompress.h src/log.h
src/arch/x86/decompress.h:
src/log.h:
