build-tsan/src/arch/x86/decompress.o: src/arch/x86/decompress.c \
 src/arch/x86/decompress.h src/log.h
src/arch/x86/decompress.h:
src/log.h:
