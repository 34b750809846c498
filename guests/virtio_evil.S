/*
 * virtio_evil: virtio_blk.S with a malicious descriptor chain first (a
 * loop): the device must refuse it with DEVICE_NEEDS_RESET and a
 * configuration interrupt, minivmm must go on, and after a reset the
 * device must work again.  Run as virtio_blk.S is.
 */
#define MALICIOUS 1
#include "virtio_blk.S"
