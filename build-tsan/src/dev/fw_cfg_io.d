build-tsan/src/dev/fw_cfg_io.o: src/dev/fw_cfg_io.c src/bus.h \
 src/byteorder.h src/byteorder.h src/dev/fw_cfg_internal.h \
 src/dev/fw_cfg.h src/device.h src/log.h src/mem.h
src/bus.h:
src/byteorder.h:
src/byteorder.h:
src/dev/fw_cfg_internal.h:
src/dev/fw_cfg.h:
src/device.h:
src/log.h:
src/mem.h:
