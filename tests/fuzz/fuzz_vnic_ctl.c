/* tests/fuzz/fuzz_vnic_ctl.c - libFuzzer target: arbitrary control data on an online virtual
 * NIC's write device (raw, as an IPA payload, as an IPA body); the NIC must keep answering. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "css/ccw.h"
#include "driver/guest.h"
#include "lib/be.h"
#include "vnic/nic_int.h"

#define F_CCW  0x10000ull	/* below the driver's area: the guest's "kernel" */
#define F_DATA 0x11000ull

static struct nicbk nic[2];
static struct port_p2p link;
static struct guest g;
static struct guest_if *gi;
static uint32_t seq = 1000;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (int k = 0; k < 2; k++) {
		struct nic_cfg c;

		memset(&c, 0, sizeof(c));
		c.base_devno = 0x0A00;
		c.ndev = 3;
		c.base_schno = (uint16_t)(0x10 + 0x10 * k);
		c.chpid = 0x0A;
		c.mac[0] = 0x02;
		c.mac[5] = (uint8_t)(1 + k);
		c.vm_nic = true;
		if (nic_create(&nic[k], &c) < 0)
			abort();
	}
	port_p2p_join(&link, &nic[0].port, &nic[1].port);
	if (guest_create(&g, 0) < 0 || guest_attach_nic(&g, &nic[0], 0x0A00, 2, &gi) < 0 ||
	    guest_if_online(gi) < 0)
		abort();
	return 0;
}

/* WRITE len bytes on the write device, the way a hostile guest would. */
static void hand_write(const uint8_t *buf, uint32_t len)
{
	struct ccw1 c = { CCW_CMD_WRITE, CCW_FLAG_SLI, (uint16_t)len, (uint32_t)F_DATA };
	uint8_t raw[CCW_SIZE];
	struct scsw st;

	if (ccw1_encode(&c, raw, sizeof(raw)) < 0 || gs_store(&g.gs, F_CCW, raw, sizeof(raw)) < 0 ||
	    gs_store(&g.gs, F_DATA, buf, len) < 0)
		abort();
	if (subch_ssch(&gi->sch[1], 0xF00, (uint32_t)F_CCW) != CSS_CC0)
		abort();
	/* The WRITE always ends at once: accepted, or a unit check. */
	if (subch_tsch(&gi->sch[1], &st, NULL) != CSS_CC0 || !(st.dstat & DEV_DEVICE_END))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[8192];
	struct ipa_cmd c, r;
	uint8_t mode;
	int n;

	if (size < 1)
		return 0;
	mode = data[0] % 3;
	data++;
	size--;
	if (size > 4000)
		size = 4000;
	if (mode == 0) {
		memcpy(buf, data, size);
		if (size)
			hand_write(buf, (uint32_t)size);
	} else {
		struct mpc_hdr h;
		size_t body = size;

		memset(&h, 0, sizeof(h));
		h.th_seq = h.pdu_seq = ++seq;
		h.rrh_type = MPC_RRH_IPA;
		h.proto = MPC_PROTO_L2;
		h.dest_token = NIC_TOK_ULP_CONN(&nic[0]);
		if (mode == 2) {
			/* A valid header (host request, command from the input) + fuzzed body. */
			struct ipa_hdr ih;

			if (size < 1)
				return 0;
			memset(&ih, 0, sizeof(ih));
			ih.cmd = data[0];
			ih.seqno = 0x7777;
			ih.adapter_type = IPA_ADAPTER_TYPE;
			ih.prim_version = IPA_PRIM_L2;
			ih.param_count = 1;
			ih.prot = IPA_PROT_V4;
			body = IPA_HDR_SIZE + size - 1;
			n = mpc_frame_encode(&h, body, buf, sizeof(buf));
			if (n < 0)
				return 0;
			ipa_hdr_encode(&ih, buf + n, IPA_HDR_SIZE);
			memcpy(buf + n + IPA_HDR_SIZE, data + 1, size - 1);
		} else {
			n = mpc_frame_encode(&h, body, buf, sizeof(buf));
			if (n < 0)
				return 0;
			memcpy(buf + n, data, size);
		}
		hand_write(buf, (uint32_t)(n + body));
	}
	/* Let the driver read whatever came back (and re-arm its READ). */
	guest_poll(&g);
	if (nic[0].state != NC_DM_ACT || gi->drv.state != QDRV_ONLINE)
		abort();
	/* The NIC still answers a well-formed IPA command. */
	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_QIPASSIST;
	c.hdr.prot = IPA_PROT_V4;
	n = qdrv_ipa(&gi->drv, &c, &r);
	if (n < 0 || r.hdr.cmd != IPA_CMD_QIPASSIST)
		abort();
	return 0;
}
