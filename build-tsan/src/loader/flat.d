build-tsan/src/loader/flat.o: src/loader/flat.c src/loader/flat.h \
 src/mem.h src/log.h
src/loader/flat.h:
src/mem.h:
src/log.h:
