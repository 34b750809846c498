/* multiboot-aout: guests/multiboot.S loaded by its a.out-kludge fields. */
#define MB_AOUT
#include "multiboot.S"
