/* qeth/qhdr.c - the out-of-line part of the qeth packet headers (names, frame span checks).
 * The per-frame decode/encode is inline in qhdr.h so the QDIO engines pay no call. */
#include "qeth/qhdr.h"

const char *qhdr_id_name(uint8_t id)
{
	switch (id) {
	case QHDR_ID_L3: return "layer3";
	case QHDR_ID_L2: return "layer2";
	case QHDR_ID_L3_TSO: return "layer3-tso";
	case QHDR_ID_L2_TSO: return "layer2-tso";
	default: return "unknown";
	}
}

int qhdr_frame_span(const struct qhdr *h, size_t avail)
{
	size_t hl = qhdr_len(h->id);
	size_t span;

	if (hl == 0)
		return -EPROTO;
	/* For TSO the protocol headers are copied right behind the extension in the
	 * same element; the payload follows in further elements. */
	span = hl + (qhdr_id_is_tso(h->id) ? h->tso.proto_hlen : qhdr_data_len(h));
	if (span > avail)
		return -EMSGSIZE;
	return (int)span;
}
