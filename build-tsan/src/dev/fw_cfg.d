build-tsan/src/dev/fw_cfg.o: src/dev/fw_cfg.c src/dev/fw_cfg.h \
 src/device.h src/bus.h src/byteorder.h src/log.h src/mem.h src/state.h \
 src/dev/fw_cfg_internal.h
src/dev/fw_cfg.h:
src/device.h:
src/bus.h:
src/byteorder.h:
src/log.h:
src/mem.h:
src/state.h:
src/dev/fw_cfg_internal.h:
