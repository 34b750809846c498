build-tsan/src/arch/x86/mptable.o: src/arch/x86/mptable.c \
 src/arch/x86/mptable.h src/byteorder.h src/arch/x86/layout.h src/log.h
src/arch/x86/mptable.h:
src/byteorder.h:
src/arch/x86/layout.h:
src/log.h:
