build-tsan/src/arch/x86/acpi_aml.o: src/arch/x86/acpi_aml.c \
 src/arch/x86/acpi_aml.h
src/arch/x86/acpi_aml.h:
