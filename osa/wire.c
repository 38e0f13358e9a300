/* osa/wire.c - the wire provider wrappers: provider lookup by SYSTEM CONFIG keyword,
 * NULL callbacks answered -EOPNOTSUPP, per-wire counters kept in one place. */
#include "osa/wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct wire_class *const classes[] = { &wire_tap_class, &wire_mem_class };

const struct wire_class *wire_class_find(const char *type)
{
	if (!type)
		return NULL;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (!strcasecmp(classes[i]->type, type))
			return classes[i];
	return NULL;
}

int wire_open(struct wire *w, const struct wire_class *cls, const char *name)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (!cls || !name || !name[0] || strlen(name) >= WIRE_NAME_MAX)
		return -EINVAL;
	if (!cls->open)
		return -EOPNOTSUPP;
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->cls = cls;
	rc = cls->open(w, name);
	if (rc < 0) {
		w->cls = NULL;
		w->fd = -1;
		w->priv = NULL;
	}
	return rc;
}

void wire_close(struct wire *w)
{
	if (w->cls && w->cls->close)
		w->cls->close(w);
	w->cls = NULL;
	w->priv = NULL;
	w->fd = -1;
}

static int count_tx(struct wire *w, int rc, uint32_t len)
{
	if (rc == 0) {
		w->st.tx_frames++;
		w->st.tx_bytes += len;
	} else if (rc == -EAGAIN) {
		w->st.tx_busy++;
	} else {
		w->st.tx_errors++;
	}
	return rc;
}

static int count_rx(struct wire *w, int rc)
{
	if (rc >= 0) {
		w->st.rx_frames++;
		w->st.rx_bytes += (uint64_t)rc;
	} else if (rc == -EMSGSIZE) {
		w->st.rx_truncated++;
	} else if (rc != -EAGAIN) {
		w->st.rx_errors++;
	}
	return rc;
}

int wire_send(struct wire *w, const struct iovec *iov, unsigned niov, uint32_t len)
{
	if (!w->cls || !w->cls->send)
		return -EOPNOTSUPP;
	return count_tx(w, w->cls->send(w, iov, niov, len), len);
}

int wire_recv(struct wire *w, uint8_t *buf, uint32_t cap)
{
	if (!w->cls || !w->cls->recv)
		return -EOPNOTSUPP;
	return count_rx(w, w->cls->recv(w, buf, cap));
}

void wire_send_batch(struct wire *w, struct wire_txf *f, unsigned n)
{
	unsigned i;

	if (!w->cls || (!w->cls->send_batch && !w->cls->send)) {
		for (i = 0; i < n; i++)
			f[i].rc = -EOPNOTSUPP;
		return;
	}
	if (n > WIRE_BATCH_MAX) {
		wire_send_batch(w, f, WIRE_BATCH_MAX);
		wire_send_batch(w, f + WIRE_BATCH_MAX, n - WIRE_BATCH_MAX);
		return;
	}
	for (i = 0; !w->offloads && i < n; i++) {
		if (!f[i].ofl.csum_start && !f[i].ofl.gso)
			continue;
		/* Only a wire with offloads is handed unfinished frames (a caller's bug):
		 * refuse those, send the others in order. */
		for (unsigned k = 0; k < n; k++) {
			if (f[k].ofl.csum_start || f[k].ofl.gso)
				count_tx(w, f[k].rc = -EINVAL, f[k].len);
			else
				wire_send_batch(w, &f[k], 1);
		}
		return;
	}
	if (w->cls->send_batch)
		w->cls->send_batch(w, f, n);
	else
		for (i = 0; i < n; i++)
			f[i].rc = w->cls->send(w, f[i].iov, f[i].niov, f[i].len);
	for (i = 0; i < n; i++)
		count_tx(w, f[i].rc, f[i].len);
}

int wire_recv_batch(struct wire *w, uint8_t *const *bufs, uint32_t cap, unsigned n, int *lens,
		    struct wire_ofl *ofl)
{
	unsigned i;
	int rc = 0;

	if (!w->cls || (!w->cls->recv_batch && !w->cls->recv))
		return -EOPNOTSUPP;
	if (n > WIRE_BATCH_MAX)
		n = WIRE_BATCH_MAX;
	if (ofl)
		memset(ofl, 0, n * sizeof(*ofl));
	if (w->cls->recv_batch) {
		rc = w->cls->recv_batch(w, bufs, cap, n, lens, ofl);
	} else {
		/* One frame per call until the wire is empty or fails. */
		for (i = 0; i < n; i++) {
			lens[i] = w->cls->recv(w, bufs[i], cap);
			if (lens[i] == -EAGAIN)
				break;
			if (lens[i] < 0 && lens[i] != -EMSGSIZE) {
				if (i == 0) {
					w->st.rx_errors++;
					return lens[0];
				}
				break;	/* the next poll sees the error again */
			}
		}
		rc = (int)i;
	}
	for (i = 0; rc > 0 && i < (unsigned)rc; i++)
		count_rx(w, lens[i]);
	if (rc < 0)
		w->st.rx_errors++;
	return rc;
}

int wire_set_rx_large(struct wire *w, bool on)
{
	int rc;

	if (!w->cls || !w->cls->set_rx_large)
		return -EOPNOTSUPP;
	if (w->rx_large == on)
		return 0;
	rc = w->cls->set_rx_large(w, on);
	if (rc == 0)
		w->rx_large = on;
	return rc;
}

int wire_link(struct wire *w)
{
	if (!w->cls)
		return -ENODEV;
	if (!w->cls->link)
		return w->failed ? 0 : 1;	/* no way to ask: up until an error says not */
	return w->cls->link(w);
}

int wire_mtu(struct wire *w, uint32_t *mtu)
{
	if (!w->cls || !w->cls->get_mtu)
		return -EOPNOTSUPP;
	return w->cls->get_mtu(w, mtu);
}

int wire_mac(struct wire *w, uint8_t mac[6])
{
	if (!w->cls || !w->cls->get_mac)
		return -EOPNOTSUPP;
	return w->cls->get_mac(w, mac);
}
