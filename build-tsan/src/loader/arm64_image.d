build-tsan/src/loader/arm64_image.o: src/loader/arm64_image.c \
 src/loader/arm64_image.h src/byteorder.h src/log.h
src/loader/arm64_image.h:
src/byteorder.h:
src/log.h:
