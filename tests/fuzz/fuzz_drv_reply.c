/* tests/fuzz/fuzz_drv_reply.c - libFuzzer target: the synthetic guest driver (driver/qdrv.c)
 * bringing an interface online while a hostile adapter mangles what it reads back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "css/ccw.h"
#include "driver/guest.h"
#include "lib/be.h"
#include "vnic/nic_int.h"

/*
 * The adapter is a real virtual NIC; between it and the channel sits a filter that
 * changes the data of read-type commands (SENSE ID, RCD, the IDX ACTIVATE replies, MPC
 * and IPA replies on the read device) as the input says.  Input: a config byte
 * (bit 0: layer 3), then records of u8 sel, u8 off, u8 n, n bytes, one per read-type command:
 *   sel % 4 == 0  pass the reply unchanged;   1  lay the bytes over it at off;
 *           == 2  cut it to off bytes;        3  the bytes over it and unit status
 *                                                 from sel (unit check, exception).
 * Each input takes the interface offline and brings it up again: through the MPC
 * exchange only, or (config bit 1) all the way online, then sends IPA commands.
 */

/* Two guests, layer 2 and layer 3, each with its NIC joined to a partner NIC. */
static struct nicbk nic[2][2];
static struct port_p2p link[2];
static struct guest g[2];
static struct guest_if *gif[2];
static const struct css_devops *real_ops;
static struct css_devops filter_ops;
static const uint8_t *in;		/* the records not used yet */
static size_t in_left;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool read_type(uint8_t cmd)
{
	return (cmd & 3) == 2 || cmd == 0x04 || (cmd & 0x0F) == 0x0C;
}

static int filter_exec(void *dev, struct css_io *io)
{
	int rc = real_ops->exec(dev, io);
	uint8_t sel, off, n;

	if (rc != 0 || !read_type(io->cmd) || in_left < 3)
		return rc;
	sel = in[0];
	off = in[1];
	n = in[2];
	in += 3;
	in_left -= 3;
	if (n > in_left)
		n = (uint8_t)in_left;
	switch (sel % 4) {
	case 1:
	case 3:
		if (io->inlen && off < io->count) {
			uint32_t m = n < io->count - off ? n : io->count - off;

			memcpy(io->in + off, in, m);
			if (off + m > io->inlen)
				io->inlen = off + m;
		}
		if (sel % 4 == 3)
			io->unitstat = (uint8_t)(DEV_CHANNEL_END | DEV_DEVICE_END |
						 ((sel & 0x10) ? DEV_UNIT_CHECK : 0) |
						 ((sel & 0x20) ? DEV_UNIT_EXCEPTION : 0) |
						 ((sel & 0x40) ? DEV_ATTENTION : 0));
		break;
	case 2:
		if (off < io->inlen)
			io->inlen = off;
		break;
	default:
		break;
	}
	in += n;
	in_left -= n;
	return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (int l = 0; l < 2; l++) {
		for (int k = 0; k < 2; k++) {
			struct nic_cfg c;

			memset(&c, 0, sizeof(c));
			c.base_devno = 0x0A00;
			c.ndev = 3;
			c.base_schno = (uint16_t)(0x10 + 0x10 * k);
			c.chpid = 0x0A;
			c.mac[0] = 0x02;
			c.mac[4] = (uint8_t)l;
			c.mac[5] = (uint8_t)(1 + k);
			c.vm_nic = true;
			if (nic_create(&nic[l][k], &c) < 0)
				abort();
		}
		port_p2p_join(&link[l], &nic[l][0].port, &nic[l][1].port);
		if (guest_create(&g[l], 0) < 0 ||
		    guest_attach_nic(&g[l], &nic[l][0], 0x0A00, (uint8_t)(2 + l), &gif[l]) < 0)
			abort();
		/* All three devices' commands pass the filter. */
		if (!real_ops)
			real_ops = gif[l]->sch[0].ops;
		filter_ops = *real_ops;
		filter_ops.exec = filter_exec;
		for (int d = 0; d < 3; d++) {
			if (gif[l]->sch[d].ops != real_ops)
				abort();
			gif[l]->sch[d].ops = &filter_ops;
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t ip4[4] = { 10, 7, 0, 1 }, ip6[16] = { 0xFD, 0, [15] = 1 };
	struct guest_if *gi;
	struct ipa_cmd c, r;
	int rc;

	if (size < 1)
		return 0;
	gi = gif[data[0] & 1];
	in = NULL;
	in_left = 0;
	guest_if_offline(gi);
	in = data + 1;
	in_left = size - 1;
	if (data[0] & 2) {
		/* All the way: queues (their storage is zeroed: slow) and IPA bring-up. */
		rc = qdrv_online(&gi->drv);
		/* A failed bring-up stays offline and says which step failed. */
		if (rc < 0 && (gi->drv.state != QDRV_OFFLINE || !gi->drv.last_error[0]))
			__builtin_trap();
	} else {
		/* The control path only: SENSE ID/RCD, IDX ACTIVATE, the MPC exchange. */
		gi->drv.last_error[0] = 0;
		if ((rc = qdrv_sense(&gi->drv)) == 0 && (rc = qdrv_idx(&gi->drv)) == 0)
			rc = qdrv_mpc(&gi->drv);
		if (rc < 0 && !gi->drv.last_error[0])
			__builtin_trap();
		if (rc == 0 && gi->drv.state != QDRV_MPC)
			__builtin_trap();
	}
	if (gi->drv.state > QDRV_BROKEN)
		__builtin_trap();
	if (rc == 0 && gi->drv.state == QDRV_ONLINE) {
		memset(&c, 0, sizeof(c));
		c.hdr.cmd = IPA_CMD_QIPASSIST;
		c.hdr.prot = IPA_PROT_V4;
		(void)qdrv_ipa(&gi->drv, &c, &r);
		if (gi->drv.cfg.layer == 2) {
			(void)qdrv_setgmac(&gi->drv, (const uint8_t[6]){ 1, 0, 0x5E, 0, 0, 1 });
		} else {
			(void)qdrv_setip(&gi->drv, false, ip4, 24);
			(void)qdrv_setip(&gi->drv, true, ip6, 64);
		}
		(void)guest_poll(gi->g);
	}
	in_left = 0;
	return 0;
}
