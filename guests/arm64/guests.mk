# Load addresses of the arm64 test guests that are not linked at the start
# of RAM (GUEST_LOAD_DEFAULT, 0x40000000; the Makefile passes
# GUEST_LOAD_NAME to guests/arm64/flat.ld as LOAD_ADDR).  None so far: each
# guest is run without --load/--entry, see tests/arm64/run.sh.
