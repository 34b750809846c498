build-tsan/src/loader/bzimage.o: src/loader/bzimage.c \
 src/loader/bzimage.h src/byteorder.h src/log.h
src/loader/bzimage.h:
src/byteorder.h:
src/log.h:
