/* multiboot-low: guests/multiboot.S by its a.out kludge at 32 KiB, over 0x9000. */
#define MB_AOUT
#define LOADBASE 0x8000
#include "multiboot.S"
