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

int wire_send(struct wire *w, const struct iovec *iov, unsigned niov, uint32_t len)
{
	int rc;

	if (!w->cls || !w->cls->send)
		return -EOPNOTSUPP;
	rc = w->cls->send(w, iov, niov, len);
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

int wire_recv(struct wire *w, uint8_t *buf, uint32_t cap)
{
	int rc;

	if (!w->cls || !w->cls->recv)
		return -EOPNOTSUPP;
	rc = w->cls->recv(w, buf, cap);
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
