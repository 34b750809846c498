build-tsan/src/cli_devices.o: src/cli_devices.c src/cli_internal.h \
 src/config.h src/vm_config.h src/console.h src/log.h
src/cli_internal.h:
src/config.h:
src/vm_config.h:
src/console.h:
src/log.h:
