/* SPDX-License-Identifier: MIT */
/*
 * The virtio-vsock packet header and its constants (virtio 1.2, 5.10.6):
 * every packet on the rx and tx queues starts with this 44-byte header,
 * all fields little-endian, followed by `len` bytes of payload (only RW
 * packets carry any).
 *
 *    0 src_cid   le64      24 len       le32     36 buf_alloc  le32
 *    8 dst_cid   le64      28 type      le16     40 fwd_cnt    le32
 *   16 src_port  le32      30 op        le16
 *   20 dst_port  le32      32 flags     le32
 */
#ifndef MINIVMM_VIRTIO_VSOCK_PROTO_H
#define MINIVMM_VIRTIO_VSOCK_PROTO_H

#include <stdint.h>

#include "byteorder.h"

#define VSOCK_HDR_LEN 44

/* Well-known CIDs (vsock(7)): the host is 2; guests start at 3. */
#define VSOCK_HOST_CID 2ull
#define VSOCK_MIN_GUEST_CID 3ull
/* CIDs 0xffffffff (VMADDR_CID_ANY) and up are not guests' (5.10.4). */
#define VSOCK_MAX_GUEST_CID 0xfffffffeull

/* Socket types (5.10.6). */
#define VSOCK_TYPE_STREAM 1
#define VSOCK_TYPE_SEQPACKET 2

/* Operations (5.10.6). */
#define VSOCK_OP_INVALID 0
#define VSOCK_OP_REQUEST 1
#define VSOCK_OP_RESPONSE 2
#define VSOCK_OP_RST 3
#define VSOCK_OP_SHUTDOWN 4
#define VSOCK_OP_RW 5
#define VSOCK_OP_CREDIT_UPDATE 6
#define VSOCK_OP_CREDIT_REQUEST 7

/* SHUTDOWN flags (5.10.6.5): the sender will receive / send no more. */
#define VSOCK_SHUTDOWN_RCV 1u
#define VSOCK_SHUTDOWN_SEND 2u

/* Event queue (5.10.6.7): struct virtio_vsock_event { le32 id; }. */
#define VSOCK_EVENT_LEN 4
#define VSOCK_EVENT_TRANSPORT_RESET 0

/* Feature bits (5.10.3). */
#define VIRTIO_VSOCK_F_STREAM 0

/*
 * The largest payload one packet carries, either way: Linux's
 * VIRTIO_VSOCK_MAX_PKT_BUF_SIZE.  A tx packet claiming more is dropped.
 */
#define VSOCK_MAX_PKT_LEN (64u * 1024)

struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags;
	uint32_t buf_alloc, fwd_cnt;
};

static inline void vsock_hdr_decode(struct vsock_hdr *h, const uint8_t *b)
{
	h->src_cid = le_get(b + 0, 8);
	h->dst_cid = le_get(b + 8, 8);
	h->src_port = (uint32_t)le_get(b + 16, 4);
	h->dst_port = (uint32_t)le_get(b + 20, 4);
	h->len = (uint32_t)le_get(b + 24, 4);
	h->type = (uint16_t)le_get(b + 28, 2);
	h->op = (uint16_t)le_get(b + 30, 2);
	h->flags = (uint32_t)le_get(b + 32, 4);
	h->buf_alloc = (uint32_t)le_get(b + 36, 4);
	h->fwd_cnt = (uint32_t)le_get(b + 40, 4);
}

static inline void vsock_hdr_encode(uint8_t *b, const struct vsock_hdr *h)
{
	le_put(b + 0, h->src_cid, 8);
	le_put(b + 8, h->dst_cid, 8);
	le_put(b + 16, h->src_port, 4);
	le_put(b + 20, h->dst_port, 4);
	le_put(b + 24, h->len, 4);
	le_put(b + 28, h->type, 2);
	le_put(b + 30, h->op, 2);
	le_put(b + 32, h->flags, 4);
	le_put(b + 36, h->buf_alloc, 4);
	le_put(b + 40, h->fwd_cnt, 4);
}

#endif
