build-tsan/src/arch/x86/e820.o: src/arch/x86/e820.c src/arch/x86/e820.h \
 src/byteorder.h src/log.h src/strbuf.h
src/arch/x86/e820.h:
src/byteorder.h:
src/log.h:
src/strbuf.h:
