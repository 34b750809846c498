build-tsan/src/cli.o: src/cli.c src/cli.h src/config.h src/vm_config.h \
 src/console.h src/cli_internal.h src/arch/arch.h src/log.h
src/cli.h:
src/config.h:
src/vm_config.h:
src/console.h:
src/cli_internal.h:
src/arch/arch.h:
src/log.h:
