build-tsan/src/loader/elf.o: src/loader/elf.c src/loader/elf.h \
 src/byteorder.h src/log.h
src/loader/elf.h:
src/byteorder.h:
src/log.h:
