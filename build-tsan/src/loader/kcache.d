build-tsan/src/loader/kcache.o: src/loader/kcache.c src/loader/kcache.h \
 src/byteorder.h src/log.h
src/loader/kcache.h:
src/byteorder.h:
src/log.h:
