/* hercules/hdtcpnic.c - CPNIC, cpnet's virtual OSA-Express QDIO NIC as a Hercules 3.13
 * device type (hdtcpnic.so): the Hercules glue around vnic/ (channel, SIGA, PCI, CHSC, SERVC). */

/*
 * Configuration: `0A00-0A02 CPNIC chpid=0A mac=02:00:00:00:0A:00 port=tap:cpnt0`
 *   chpid=XX      channel path id (hex) shown in the PMCW and answered by CHSC SCPD
 *   mac=M         the NIC's MAC (default 02:00:00:00:<devno>)
 *   port=...      tap:NAME (layer 2, Ethernet), tun:NAME (layer 3, bare IP),
 *                 osa:NAME (a dedicated OSA-Express, osa/ model, on the TAP NAME:
 *                 layer 3 with ARP and framing done by the OSA, or layer 2 filtered),
 *                 peer:DEVNO (point-to-point to the CPNIC group containing DEVNO),
 *                 cp:SOCKET (a proxy port on cpnetd's VM socket: the NIC is the
 *                 NICDEF of the same device number of user=, which CP couples),
 *                 none (default: frames are counted and dropped)
 *   user=U password=P | pwfile=F   port=cp: the user to LOGON as, its password or a
 *                 file whose first line is the password (keeps it off command lines)
 *   devs=N        devices per NIC (default 3)
 *   vmnic         present a z/VM NIC (RCD plant "VM"): Linux then uses DIAG 0x08 and
 *                 0x26C, which need a CP underneath (not Hercules 3.13 alone)
 *   pci=MODE      when input interrupts the guest (vnic/pcimod.h): every (default: one
 *                 PCI per input batch) or adaptive (tap, tun, osa, cp: at once for an idle
 *                 guest, coalesced while it is busy with input or input is fast; port=peer
 *                 and none have no reader thread to time an owed PCI)
 *   pcihold=US    adaptive: the longest an owed PCI waits, 1..100000 us (default 500)
 *   siga=MODE     inline (default: a SIGA runs on the CPU thread when it can, cpnic_siga)
 *                 or worker (every SIGA handed to the NIC's worker thread)
 *   trace         log control-path CCWs
 * Hercules calls init once per device with the same arguments; consecutive devices
 * with equal arguments form one NIC, created when its last device arrives.
 * Every log line starts with "CPNIC" so tests can grep for it.
 */

#include "hstdinc.h"
#include "hercules.h"
#include "devtype.h"

#include "hercules/cpnic.h"

#include "css/chsc.h"
#include "css/device.h"
#include "css/senseid.h"
#include "lib/be.h"

#ifndef SCLP_WRITE_EVENT_DATA
#define SCLP_WRITE_EVENT_DATA 0x00760005	/* values from the SCLP architecture */
#define SCLP_COMMAND_MASK     0xFFFF00FF
#endif

#define CPNIC_WAIT_NS   20000000L	/* poll period of a pending command for CSCH */
#define CPNIC_DEVTYPE   0x1732

/* ---- registry of NICs (config thread, CHSC on a CPU thread) ----------------------- */

static pthread_mutex_t cp_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cpnic *cp_reg_head;

static bool cp_in_range(const struct cpnic *c, uint16_t devno)
{
	return devno >= c->cfg.base_devno && devno - c->cfg.base_devno < (int)c->ndev;
}

/* ---- guest storage: reference and change bits ----------------------------------- */

static void cp_storage_touch(void *ctx, uint64_t addr, uint64_t len, bool write)
{
	BYTE bits = write ? (STORKEY_REF | STORKEY_CHANGE) : STORKEY_REF;
	uint64_t u, last;

	(void)ctx;
	if (!len)
		return;
	last = (addr + len - 1) / STORAGE_KEY_UNITSIZE;
	for (u = addr / STORAGE_KEY_UNITSIZE; u <= last; u++)
		sysblk.storkeys[u] |= bits;
}

/* Hercules's main storage as a gstor (bounds, reference and change bits): the only
 * way this module reaches guest memory.  Storage is configured after the devices and
 * may be reconfigured, so it is (re)wrapped when used; true when it changed.  CPU
 * threads (SERVC, CHSC) wrap their own copy on the stack: nothing shared to race on. */
static bool cp_guest_storage(struct gstor *gs)
{
	if (gs->base == sysblk.mainstor && gs->size == sysblk.mainsize && gs->touch)
		return false;
	gs_wrap(gs, sysblk.mainstor, sysblk.mainsize);
	gs->touch = cp_storage_touch;
	return true;
}

/* ---- channel callbacks from vnic (NIC lock held) -------------------------------- */

static void cp_chan_ready(void *ctx)
{
	struct cpnic_dev *d = ctx;

	d->ready = true;
	pthread_cond_broadcast(&d->cond);
}

/* Present the PCI intermediate interruption on the data subchannel: the steps of
 * Hercules's (static) raise_pci, for a start function that keeps running. */
static void cp_chan_pci(void *ctx)
{
	struct cpnic_dev *d = ctx;
	DEVBLK *dev = d->hdev;

	/* An inline SIGA's CPU thread holds a device lock: the worker presents it. */
	if (cpnic_siga_inline_now()) {
		cpnic_defer_pci(d);
		return;
	}
	obtain_lock(&dev->lock);
	if (!(dev->scsw.flag2 & SCSW2_Q) || (dev->scsw.flag2 & (SCSW2_AC_HALT | SCSW2_AC_CLEAR))) {
		release_lock(&dev->lock);
		return;
	}
	dev->pciscsw.flag0 = dev->orb.flag4 & ORB4_KEY;
	dev->pciscsw.flag1 = (dev->orb.flag5 & ORB5_F) ? SCSW1_F : 0;
	dev->pciscsw.flag2 = SCSW2_FC_START | SCSW2_Q;
	dev->pciscsw.flag3 = SCSW3_AC_SCHAC | SCSW3_AC_DEVAC | SCSW3_SC_INTER | SCSW3_SC_PEND;
	dev->pciscsw.unitstat = 0;
	dev->pciscsw.chanstat = CSW_PCI;
	STORE_HW(dev->pciscsw.count, 0);
	QUEUE_IO_INTERRUPT(&dev->pciioint);
	release_lock(&dev->lock);

	OBTAIN_INTLOCK(NULL);
	UPDATE_IC_IOPENDING();
	RELEASE_INTLOCK(NULL);
}

/* Activate Queues running: the SCSW's QDIO-active bit, which SIGA checks. */
static void cp_chan_qdio_active(void *ctx, bool on)
{
	struct cpnic_dev *d = ctx;
	DEVBLK *dev = d->hdev;

	obtain_lock(&dev->lock);
	if (on)
		dev->scsw.flag2 |= SCSW2_Q;
	else
		dev->scsw.flag2 &= ~SCSW2_Q;
	release_lock(&dev->lock);
}

static const struct nid_chan_ops cp_chan_ops = { cp_chan_ready, cp_chan_pci, cp_chan_qdio_active };

/* ---- argument parsing --------------------------------------------------------------- */

static int cp_parse_args(DEVBLK *dev, int argc, char *argv[], struct cpnic *c)
{
	size_t used = 0;

	c->ndev = 3;
	c->cfg.chpid = (uint8_t)(dev->devnum >> 8);
	c->cfg.mac[0] = 0x02;
	c->cfg.mac[4] = (uint8_t)(dev->devnum >> 8);
	c->cfg.mac[5] = (uint8_t)dev->devnum;
	c->be = CPNIC_BE_NONE;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		char *end;
		int n = snprintf(c->args + used, sizeof(c->args) - used, "%s%s", used ? " " : "", a);

		if (n < 0 || (size_t)n >= sizeof(c->args) - used) {
			logmsg("CPNIC %1d:%04X refused: arguments too long\n",
			       SSID_TO_LCSS(dev->ssid), dev->devnum);
			return -1;
		}
		used += (size_t)n;
		if (strncasecmp(a, "chpid=", 6) == 0) {
			unsigned long v = strtoul(a + 6, &end, 16);

			if (end == a + 6 || *end || v > 0xFF)
				goto bad;
			c->cfg.chpid = (uint8_t)v;
		} else if (strncasecmp(a, "mac=", 4) == 0) {
			if (cpnic_parse_mac(a + 4, c->cfg.mac) < 0 || (c->cfg.mac[0] & 1))
				goto bad;
		} else if (strncasecmp(a, "devs=", 5) == 0) {
			unsigned long v = strtoul(a + 5, &end, 10);

			if (end == a + 5 || *end || v < 3 || v > NIC_MAX_DEVS)
				goto bad;
			c->ndev = (unsigned)v;
		} else if (strncasecmp(a, "port=tap:", 9) == 0 || strncasecmp(a, "port=tun:", 9) == 0) {
			if (!a[9] || strlen(a + 9) >= sizeof(c->ifname))
				goto bad;
			c->be = (a[7] == 'p' || a[7] == 'P') ? CPNIC_BE_TAP : CPNIC_BE_TUN;
			snprintf(c->ifname, sizeof(c->ifname), "%s", a + 9);
		} else if (strncasecmp(a, "port=osa:", 9) == 0) {
			if (!a[9] || strlen(a + 9) >= sizeof(c->ifname))
				goto bad;
			c->be = CPNIC_BE_OSA;
			snprintf(c->ifname, sizeof(c->ifname), "%s", a + 9);
		} else if (strncasecmp(a, "port=peer:", 10) == 0) {
			unsigned long v = strtoul(a + 10, &end, 16);

			if (end == a + 10 || *end || v > 0xFFFF)
				goto bad;
			c->be = CPNIC_BE_PEER;
			c->peer_devno = (uint16_t)v;
		} else if (strncasecmp(a, "port=cp:", 8) == 0) {
			if (!a[8] || strlen(a + 8) >= sizeof(c->cp_path))
				goto bad;
			c->be = CPNIC_BE_CP;
			snprintf(c->cp_path, sizeof(c->cp_path), "%s", a + 8);
		} else if (strncasecmp(a, "user=", 5) == 0) {
			if (!a[5] || strlen(a + 5) > 8)
				goto bad;
			snprintf(c->cp_user, sizeof(c->cp_user), "%s", a + 5);
			for (char *u = c->cp_user; *u; u++)	/* CP's user ids are upper case */
				*u = (char)toupper((unsigned char)*u);
		} else if (strncasecmp(a, "password=", 9) == 0) {
			if (!a[9] || strlen(a + 9) > 8)
				goto bad;
			snprintf(c->cp_pass, sizeof(c->cp_pass), "%s", a + 9);
		} else if (strncasecmp(a, "pwfile=", 7) == 0) {
			if (!a[7] || strlen(a + 7) >= sizeof(c->cp_pwfile))
				goto bad;
			snprintf(c->cp_pwfile, sizeof(c->cp_pwfile), "%s", a + 7);
		} else if (strcasecmp(a, "port=none") == 0) {
			c->be = CPNIC_BE_NONE;
		} else if (strcasecmp(a, "vmnic") == 0) {
			c->cfg.vm_nic = true;
		} else if (strncasecmp(a, "pci=", 4) == 0) {
			if (pcim_mode_parse(a + 4, &c->pci_mode) < 0)
				goto bad;
			c->pci_mode_set = true;
		} else if (strncasecmp(a, "pcihold=", 8) == 0) {
			unsigned long v = strtoul(a + 8, &end, 10);

			if (end == a + 8 || *end || v == 0 || v > PCIM_HOLDOFF_MAX_US)
				goto bad;
			c->pci_hold_us = (uint32_t)v;
		} else if (strcasecmp(a, "siga=inline") == 0 || strcasecmp(a, "siga=worker") == 0) {
			c->siga_worker = strcasecmp(a + 5, "worker") == 0;
		} else if (strcasecmp(a, "trace") == 0) {
			c->trace = true;
		} else {
			goto bad;
		}
		continue;
bad:
		/* Never echo a password. */
		logmsg("CPNIC %1d:%04X refused: bad argument '%s'\n", SSID_TO_LCSS(dev->ssid),
		       dev->devnum, strncasecmp(a, "password=", 9) == 0 ? "password=..." : a);
		return -1;
	}
	if (c->be == CPNIC_BE_CP && (!c->cp_user[0] || (!c->cp_pass[0] && !c->cp_pwfile[0]))) {
		logmsg("CPNIC %1d:%04X refused: port=cp: needs user= and password= or pwfile=\n",
		       SSID_TO_LCSS(dev->ssid), dev->devnum);
		return -1;
	}
	if (c->be == CPNIC_BE_OSA && (c->ndev != 3 || c->cfg.vm_nic)) {
		/* An OSD has read, write and data devices and is a real adapter. */
		logmsg("CPNIC %1d:%04X refused: port=osa: is an OSA-Express: 3 devices, no vmnic\n",
		       SSID_TO_LCSS(dev->ssid), dev->devnum);
		return -1;
	}
	/* EVERY by default: adaptive raised 9% fewer PCIs in the real-guest bench and
	 * did not stream faster (doc/rings.md, "Guest interrupts"). */
	if (!c->pci_mode_set)
		c->pci_mode = PCIM_EVERY;
	if (c->pci_mode == PCIM_ADAPTIVE && (c->be == CPNIC_BE_PEER || c->be == CPNIC_BE_NONE)) {
		logmsg("CPNIC %1d:%04X refused: pci=adaptive needs a port with a reader thread "
		       "(tap, tun, osa, cp)\n", SSID_TO_LCSS(dev->ssid), dev->devnum);
		return -1;
	}
	if (c->pci_hold_us && c->pci_mode != PCIM_ADAPTIVE) {
		logmsg("CPNIC %1d:%04X refused: pcihold= goes with pci=adaptive only\n",
		       SSID_TO_LCSS(dev->ssid), dev->devnum);
		return -1;
	}
	if (!c->pci_hold_us)
		c->pci_hold_us = PCIM_HOLDOFF_US;
	if (c->be != CPNIC_BE_CP && (c->cp_user[0] || c->cp_pass[0] || c->cp_pwfile[0])) {
		logmsg("CPNIC %1d:%04X refused: user=, password=, pwfile= go with port=cp: only\n",
		       SSID_TO_LCSS(dev->ssid), dev->devnum);
		return -1;
	}
	return 0;
}

/* The port's name for the log and devlist. */
static const char *cp_port_kind(const struct cpnic *c)
{
	switch (c->be) {
	case CPNIC_BE_TAP:
		return "tap:";
	case CPNIC_BE_TUN:
		return "tun:";
	case CPNIC_BE_PEER:
		return "peer";
	case CPNIC_BE_CP:
		return "cp:";
	case CPNIC_BE_OSA:
		return "osa:";
	default:
		return "none";
	}
}

static const char *cp_port_name(const struct cpnic *c)
{
	return c->be == CPNIC_BE_CP ? c->cp_user : c->ifname;
}

void cpnic_msg(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	logmsg("%s", line);
}

/* ---- NIC creation when the group is complete (cp_reg_lock held) --------------------- */

static void cp_join_peer(struct cpnic *c)
{
	for (struct cpnic *p = cp_reg_head; p; p = p->next) {
		if (p == c || !p->created || p->peer || p->be != CPNIC_BE_PEER)
			continue;
		if (!cp_in_range(p, c->peer_devno) && !cp_in_range(c, p->peer_devno))
			continue;
		/* Frames from one NIC run the other's rx: one lock for both. Neither
		 * NIC has seen I/O yet (configuration time), so switching is safe. */
		c->lock = p->lock;
		port_p2p_join(&c->p2p, &c->nic.port, &p->nic.port);
		c->peer = p;
		p->peer = c;
		logmsg("CPNIC %04X joined to peer NIC %04X\n", c->cfg.base_devno,
		       p->cfg.base_devno);
		return;
	}
}

static int cp_complete_group(struct cpnic *c)
{
	char err[320] = "";
	int rc;

	c->cfg.ndev = c->ndev;
	c->cfg.type = NIC_QDIO;
	/* vm_nic (RCD plant "VM") makes Linux issue DIAG 0x08 (CP command) and 0x26C,
	 * which Hercules 3.13 answers with a specification exception: off by default. */
	snprintf(c->cfg.owner, sizeof(c->cfg.owner), "HERCULES");
	if (c->be == CPNIC_BE_CP) {
		/* LOGON (or share the user's link) and take CP's NICDEF: its MAC. A
		 * failure leaves a NIC without a port, so the guest sees LAN offline. */
		rc = cpnic_cp_open(c, err, sizeof(err));
		if (rc < 0)
			logmsg("CPNIC %04X: port cp:%s: %s; the NIC has no port\n", c->cfg.base_devno,
			       c->cp_path, err);
		else
			snprintf(c->cfg.owner, sizeof(c->cfg.owner), "%s", c->cp_user);
	}
	if (c->be == CPNIC_BE_OSA) {
		/* The OSA model owns its NICBK (OSD, real-OSA RCD) and the port. */
		rc = cpnic_osa_open(c, err, sizeof(err));
		if (rc < 0) {
			logmsg("CPNIC %04X: port osa:%s: %s\n", c->cfg.base_devno, c->ifname, err);
			return rc;
		}
	} else {
		rc = nic_create(&c->nic, &c->cfg);
		if (rc < 0) {
			logmsg("CPNIC %04X: nic_create failed (%d)\n", c->cfg.base_devno, rc);
			goto fail_link;
		}
		snprintf(c->nic.port.name, sizeof(c->nic.port.name), "CPNIC %04X",
			 c->cfg.base_devno);
	}
	/* Validated with the arguments: cannot fail here. */
	(void)nic_set_pci_mode(c->np, c->pci_mode, c->pci_hold_us, NULL, NULL);
	/* Hercules configures storage after the devices: cp_exec wraps it. */
	for (unsigned i = 0; i < c->ndev; i++)
		nid_bind_channel(&c->np->dev[i], &cp_chan_ops, &c->dev[i]);
	if (c->be == CPNIC_BE_CP) {
		if (!c->link) {
			nic_set_link(&c->nic, false);	/* STARTLAN: LAN offline */
		} else if (cpnic_cp_attach(c, err, sizeof(err)) < 0) {
			logmsg("CPNIC %04X: port cp:%s: %s; the NIC has no port\n", c->cfg.base_devno,
			       c->cp_path, err);
			cpnic_cp_put(c);
			c->lock = &c->own_lock;
			nic_set_link(&c->nic, false);
		}
	}
	if (c->be == CPNIC_BE_TAP || c->be == CPNIC_BE_TUN) {
		rc = cpnic_tap_open(c, err, sizeof(err));
		if (rc < 0) {
			logmsg("CPNIC %04X: port %s: %s\n", c->cfg.base_devno, c->ifname, err);
			goto fail_nic;
		}
	}
	if (c->be == CPNIC_BE_OSA) {
		rc = cpnic_osa_start(c, err, sizeof(err));
		if (rc < 0) {
			logmsg("CPNIC %04X: port osa:%s: %s\n", c->cfg.base_devno, c->ifname, err);
			goto fail_nic;
		}
	}
	rc = cpnic_worker_start(c);
	if (rc < 0) {
		logmsg("CPNIC %04X: worker thread: %s\n", c->cfg.base_devno, strerror(-rc));
		goto fail_tap;
	}
	c->created = true;
	if (c->be == CPNIC_BE_PEER)
		cp_join_peer(c);
	logmsg("CPNIC %04X-%04X ready: chpid %02X mac %02X:%02X:%02X:%02X:%02X:%02X port %s%s%s%s\n",
	       c->cfg.base_devno, c->cfg.base_devno + c->ndev - 1, c->cfg.chpid, c->cfg.mac[0],
	       c->cfg.mac[1], c->cfg.mac[2], c->cfg.mac[3], c->cfg.mac[4], c->cfg.mac[5],
	       cp_port_kind(c), cp_port_name(c),
	       c->be == CPNIC_BE_PEER && !c->peer ? " (waiting for the peer)"
	       : c->be == CPNIC_BE_CP && !c->link ? " (no port)" : "",
	       c->be != CPNIC_BE_OSA ? "" : c->osa_link ? " (OSA-Express, link up)"
	       : " (OSA-Express, link down)");
	return 0;

fail_tap:
	if (c->be == CPNIC_BE_TAP || c->be == CPNIC_BE_TUN)
		cpnic_tap_close(c);
	cpnic_osa_stop(c);
fail_nic:
	if (c->be == CPNIC_BE_OSA) {
		pthread_mutex_lock(c->lock);
		cpnic_osa_destroy(c);
		pthread_mutex_unlock(c->lock);
		return rc;
	}
	if (c->be == CPNIC_BE_CP && c->link) {
		pthread_mutex_lock(c->lock);
		cpnic_cp_detach(c);
		pthread_mutex_unlock(c->lock);
	}
	nic_destroy(&c->nic);
fail_link:
	cpnic_cp_put(c);
	c->lock = &c->own_lock;
	return rc;
}

/* ---- device handlers --------------------------------------------------------------- */

static void cp_halt_device(DEVBLK *dev);

static int cp_init(DEVBLK *dev, int argc, char *argv[])
{
	static const BYTE devid[] = { 0xFF, 0x17, 0x31, 0x01, 0x17, 0x32, 0x01, 0x00 };
	struct cpnic *want, *c;
	struct cpnic_dev *d;
	int fd = -1;

	if (dev->dev_data) {
		logmsg("CPNIC %1d:%04X already initialised (devinit keeps the NIC)\n",
		       SSID_TO_LCSS(dev->ssid), dev->devnum);
		return 0;
	}
	want = calloc(1, sizeof(*want));
	if (!want)
		return -1;
	if (cp_parse_args(dev, argc, argv, want) < 0) {
		free(want);
		return -1;
	}
	if (dev->fd <= 2) {
		/* Hercules calls close only for fd > 2: hold a descriptor. */
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			free(want);
			return -1;
		}
	}

	pthread_mutex_lock(&cp_reg_lock);
	for (c = cp_reg_head; c; c = c->next)
		if (!c->created && c->nattached < c->ndev && strcmp(c->args, want->args) == 0 &&
		    dev->devnum == c->cfg.base_devno + c->nattached)
			break;
	if (c) {
		free(want);
	} else {
		c = want;
		c->cfg.base_devno = dev->devnum;
		c->cfg.base_schno = dev->subchan;
		c->tapfd = -1;
		c->np = &c->nic;
		c->lock = &c->own_lock;
		pthread_mutex_init(&c->own_lock, NULL);
		pthread_mutex_init(&c->wlock, NULL);
		pthread_cond_init(&c->wcond, NULL);
		c->next = cp_reg_head;
		cp_reg_head = c;
	}
	d = &c->dev[c->nattached];
	d->c = c;
	d->hdev = dev;
	d->index = c->nattached;
	pthread_cond_init(&d->cond, NULL);
	c->nattached++;

	if (fd >= 0)
		dev->fd = fd;
	dev->dev_data = d;
	dev->devtype = CPNIC_DEVTYPE;
	dev->numdevid = sizeof(devid);
	memcpy(dev->devid, devid, sizeof(devid));
	dev->numsense = SENSE_SIZE;
	memset(dev->sense, 0, sizeof(dev->sense));
	dev->pmcw.flag4 |= PMCW4_Q;
	dev->pmcw.chpid[0] = c->cfg.chpid;
	dev->halt_device = cp_halt_device;
	dev->cdwmerge = 1;	/* data-chained writes reach exec as one buffer */

	if (c->nattached == c->ndev && cp_complete_group(c) < 0)
		logmsg("CPNIC %04X: NIC not created; its devices cp_reject every command\n",
		       c->cfg.base_devno);
	pthread_mutex_unlock(&cp_reg_lock);
	return 0;
}

static void cp_query(DEVBLK *dev, char **class, int buflen, char *buffer)
{
	BEGIN_DEVICE_CLASS_QUERY("OSA", dev, class, buflen, buffer);
	struct cpnic_dev *d = dev->dev_data;
	struct cpnic *c = d ? d->c : NULL;
	char osa[128];

	if (!c || !c->created) {
		snprintf(buffer, buflen, "CPNIC (group incomplete)");
		return;
	}
	const struct pcim_stats *ps = &c->np->pcim.st;

	cpnic_osa_counters(c, osa, sizeof(osa));
	/* PCIs raised for how many input batches (found: the guest polled them itself). */
	snprintf(buffer, buflen, "CPNIC %04X/%u %s L%u port %s%s%s%s tx %llu rx %llu drop %llu "
		 "pci %s %llu/%llu found %llu%s",
		 c->cfg.base_devno, d->index, nic_state_name(c->np->state), c->np->layer,
		 cp_port_kind(c), cp_port_name(c), c->be == CPNIC_BE_CP ? " link " : "",
		 c->be == CPNIC_BE_CP ? cpnic_cp_state(c) : "",
		 (unsigned long long)c->np->port.st.tx_packets,
		 (unsigned long long)c->np->port.st.rx_packets,
		 (unsigned long long)(c->np->port.st.rx_discards + c->np->port.st.tx_discards),
		 c->np->pcim.mode == PCIM_ADAPTIVE ? "adaptive" : "every",
		 (unsigned long long)(ps->at_once + ps->late), (unsigned long long)ps->batches,
		 (unsigned long long)ps->found, osa);
}

/* HSCH on a busy device: called on the CPU thread with the device lock held, so
 * the NIC lock is out of reach; wake the waiting device thread, which polls. */
static void cp_halt_device(DEVBLK *dev)
{
	struct cpnic_dev *d = dev->dev_data;

	if (d)
		pthread_cond_broadcast(&d->cond);
}

/* Halt or clear pending on the subchannel (NIC lock held; takes the device lock). */
static BYTE cp_halt_flags(DEVBLK *dev)
{
	BYTE f;

	obtain_lock(&dev->lock);
	f = dev->scsw.flag2 & (SCSW2_AC_HALT | SCSW2_AC_CLEAR);
	release_lock(&dev->lock);
	return f;
}

static void cp_reject(DEVBLK *dev, BYTE sense0, U16 count, BYTE *unitstat, U16 *residual)
{
	memset(dev->sense, 0, sizeof(dev->sense));
	dev->sense[0] = sense0;
	*residual = count;
	*unitstat = CSW_CE | CSW_DE | CSW_UC;
}

static void cp_exec(DEVBLK *dev, BYTE code, BYTE flags, BYTE chained, U16 count, BYTE prevcode,
		    int ccwseq, BYTE *iobuf, BYTE *more, BYTE *unitstat, U16 *residual)
{
	struct cpnic_dev *d = dev->dev_data;
	struct cpnic *c = d ? d->c : NULL;
	bool rd = IS_CCW_READ(code) || IS_CCW_SENSE(code) || IS_CCW_RDBACK(code);
	struct css_io io;
	struct nidbk *nid;
	int rc;

	(void)chained;
	(void)prevcode;
	(void)ccwseq;
	*more = 0;
	if (code == 0x04) {
		/* BASIC SENSE is the channel's: present the stored sense once. */
		U16 n = count < dev->numsense ? count : (U16)dev->numsense;

		memcpy(iobuf, dev->sense, n);
		memset(dev->sense, 0, sizeof(dev->sense));
		*residual = count - n;
		*more = count < dev->numsense;
		*unitstat = CSW_CE | CSW_DE;
		return;
	}
	if (!c || !c->created) {
		cp_reject(dev, SENSE0_INTERVENTION, count, unitstat, residual);
		return;
	}
	memset(&io, 0, sizeof(io));
	io.cmd = code;
	io.flags = flags;
	io.count = count;
	if (rd)
		io.in = iobuf;
	else
		io.out = iobuf;
	if (c->trace && code != 0x03)
		logmsg("CPNIC %04X CCW %02X count %u\n", dev->devnum, code, count);

	pthread_mutex_lock(c->lock);
	if (cp_guest_storage(&c->gs))
		nic_attach_storage(c->np, &c->gs);
	nid = &c->np->dev[d->index];
	c->in_exec++;
	for (;;) {
		BYTE hf = 0;

		d->ready = false;
		rc = nic_devops.exec(nid, &io);
		if (rc != CSS_IO_PENDING)
			break;
		/* READ waiting for a message, or Activate Queues: hold the device
		 * thread until vnic says "ready" or the subchannel is halted/cleared.
		 * CSCH does not call the halt callback in 3.13: poll its flags. */
		while (!d->ready && !c->closing && !(hf = cp_halt_flags(dev))) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += CPNIC_WAIT_NS;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&d->cond, c->lock, &ts);
		}
		if (d->ready)
			continue;
		if (hf & SCSW2_AC_CLEAR)
			nic_devops.clear(nid);
		else
			nic_devops.halt(nid);
		c->in_exec--;
		pthread_mutex_unlock(c->lock);
		if (c->trace)
			logmsg("CPNIC %04X CCW %02X ended by %s\n", dev->devnum, code,
			       hf & SCSW2_AC_CLEAR ? "clear" : hf ? "halt" : "close");
		if (!hf) {
			cp_reject(dev, SENSE0_INTERVENTION, count, unitstat, residual);
			return;
		}
		/* "Command retry" status makes the channel loop once more, where it
		 * finds the halt/clear pending and presents that function's status. */
		*residual = count;
		*unitstat = CSW_CE | CSW_DE | CSW_UC | CSW_SM;
		return;
	}
	c->in_exec--;
	pthread_mutex_unlock(c->lock);

	if (rc < 0) {
		struct css_status st = css_status_from_errno(rc, true);

		if (c->trace)
			logmsg("CPNIC %04X CCW %02X rejected: %s\n", dev->devnum, code,
			       cpnet_strerror(rc));
		/* A bad guest address would be a program check, which a Hercules device
		 * cannot present from exec: a command reject fails the command too. */
		cp_reject(dev, st.cstat ? SENSE0_CMD_REJECT : st.sense0, count, unitstat, residual);
		return;
	}
	if (rd) {
		uint32_t n = io.inlen < count ? io.inlen : count;

		*residual = (U16)(count - n);
		*more = io.inlen > count;
	} else {
		*residual = 0;
	}
	*unitstat = io.unitstat ? io.unitstat : (CSW_CE | CSW_DE);
}

static void cp_teardown(struct cpnic *c)
{
	cpnic_worker_stop(c);
	if (c->be == CPNIC_BE_TAP || c->be == CPNIC_BE_TUN)
		cpnic_tap_close(c);
	cpnic_osa_stop(c);
	pthread_mutex_lock(c->lock);
	/* Off the link first: CP's frames stop reaching this NIC. */
	if (c->be == CPNIC_BE_CP)
		cpnic_cp_detach(c);
	/* Device threads still in exec see `closing` within one poll period. */
	for (int i = 0; i < 100 && c->in_exec; i++) {
		for (unsigned k = 0; k < c->ndev; k++)
			pthread_cond_broadcast(&c->dev[k].cond);
		pthread_mutex_unlock(c->lock);
		usleep(10000);
		pthread_mutex_lock(c->lock);
	}
	if (c->peer) {
		port_p2p_split(c->peer->peer == c && c->peer->p2p.a ? &c->peer->p2p : &c->p2p);
		c->peer->peer = NULL;
	}
	if (c->be == CPNIC_BE_OSA)
		cpnic_osa_destroy(c);	/* the OSA's NICBK with it */
	else
		nic_destroy(&c->nic);
	pthread_mutex_unlock(c->lock);
	/* The last NIC of a link ends the session (LOGOFF). */
	if (c->be == CPNIC_BE_CP)
		cpnic_cp_put(c);
}

static int cp_close(DEVBLK *dev)
{
	struct cpnic_dev *d = dev->dev_data;
	struct cpnic *c = d ? d->c : NULL;

	if (c) {
		pthread_mutex_lock(&cp_reg_lock);
		pthread_mutex_lock(c->lock);
		c->closing = true;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(c->lock);
		c->nclosed++;
		if (c->nclosed == c->nattached) {
			bool peered = c->be == CPNIC_BE_PEER &&
				      (c->peer != NULL || c->lock != &c->own_lock);
			struct cpnic **pp;

			char osa[128];
			const struct pcim_stats *ps = &c->np->pcim.st;

			cpnic_osa_counters(c, osa, sizeof(osa));
			logmsg("CPNIC %04X closed: %s, tx %llu rx %llu drops %llu tx-errors %llu "
			       "pci %s %llu for %llu batches (%llu late, %llu found) siga inline "
			       "%llu handed %llu%s\n",
			       c->cfg.base_devno, nic_state_name(c->np->state),
			       (unsigned long long)c->np->port.st.tx_packets,
			       (unsigned long long)c->np->port.st.rx_packets,
			       (unsigned long long)(c->np->port.st.rx_discards +
						    c->np->port.st.tx_discards),
			       (unsigned long long)c->tx_errors,
			       c->np->pcim.mode == PCIM_ADAPTIVE ? "adaptive" : "every",
			       (unsigned long long)(ps->at_once + ps->late),
			       (unsigned long long)ps->batches, (unsigned long long)ps->late,
			       (unsigned long long)ps->found, (unsigned long long)c->siga_inline,
			       (unsigned long long)c->siga_handed, osa);
			if (c->created)
				cp_teardown(c);
			for (pp = &cp_reg_head; *pp; pp = &(*pp)->next)
				if (*pp == c) {
					*pp = c->next;
					break;
				}
			/* A peered NIC's lock may be the other's: keep the memory. */
			if (!peered)
				free(c);
		}
		pthread_mutex_unlock(&cp_reg_lock);
	}
	dev->dev_data = NULL;
	if (dev->fd > 2)
		close(dev->fd);
	dev->fd = -1;
	return 0;
}

/* SIGA-r/w: CPU thread, device lock held.  Never wait for the NIC: run it inline if
 * the NIC lock is free and nothing is in line, else post it to the worker. */
static int cp_siga(DEVBLK *dev, bool write, U32 qmask)
{
	struct cpnic_dev *d = dev->dev_data;

	if (!d || !d->c->created)
		return 3;
	/* One CPU: nobody primes buffers while this one is in the SIGA. */
	cpnic_siga(d->c, &d->c->np->dev[d->index], write, qmask, sysblk.cpus <= 1);
	return 0;
}

static int cp_siga_w(DEVBLK *dev, U32 qmask)
{
	return cp_siga(dev, true, qmask);
}

static int cp_siga_r(DEVBLK *dev, U32 qmask)
{
	return cp_siga(dev, false, qmask);
}

/* ---- CHSC 0x0002 / 0x0024 through Hercules's unknown-request hook ---------------- */

static int cp_chsc_chp(void *ctx, uint8_t cssid, uint8_t chpid, struct chsc_chpd0 *out)
{
	(void)ctx;
	if (cssid != 0)
		return -ENOENT;
	for (struct cpnic *c = cp_reg_head; c; c = c->next)
		if (c->created && c->cfg.chpid == chpid) {
			memset(out, 0, sizeof(*out));
			out->flags = CHPD0_VALID;
			out->desc = CHP_TYPE_OSD;
			out->chpid = chpid;
			return 0;
		}
	return -ENOENT;
}

static int cp_chsc_ssqd(void *ctx, uint8_t ssid, uint16_t sch, struct chsc_ssqd_desc *out)
{
	(void)ctx;
	if (ssid != 0)
		return -ENOENT;
	for (struct cpnic *c = cp_reg_head; c; c = c->next) {
		if (!c->created)
			continue;
		for (unsigned i = 0; i < c->nattached; i++) {
			DEVBLK *dev = c->dev[i].hdev;

			if (dev->subchan != sch || SSID_TO_LCSS(dev->ssid) != 0)
				continue;
			memset(out, 0, sizeof(*out));
			out->flags = SSQD_FLAG_QDIO | SSQD_FLAG_VALID;
			out->sch = sch;
			out->qfmt = 0;
			out->qdioac1 = NIC_QDIOAC1;
			out->icnt = 1;
			out->ocnt = 4;
			return 0;
		}
	}
	return -ENOENT;
}

static void *cp_chsc(void *rsp, void *req, REGS *regs)
{
	static const struct chsc_ops ops = { cp_chsc_chp, cp_chsc_ssqd, NULL };
	uint8_t blk[CHSC_BLOCK_SIZE];
	uint16_t len, code, rc;
	struct gstor gs = { 0 };
	uintptr_t host = (uintptr_t)req, base;
	uint64_t abs;
	bool ours;

	(void)rsp;
	/* Hercules hands over a host pointer to the 4K-aligned block (MADDR into main
	 * storage); take it back to an absolute address and go through the accessor. */
	cp_guest_storage(&gs);
	base = (uintptr_t)gs.base;
	if (!gs.base || host < base)
		return NULL;
	abs = host - base;
	if (gs_fetch(&gs, abs, blk, sizeof(blk)) < 0)
		return NULL;
	if (chsc_hdr_decode(blk, sizeof(blk), &len, &code) < 0)
		return NULL;
	if (code != CHSC_CODE_SCPD && code != CHSC_CODE_SSQD)
		return NULL;
	pthread_mutex_lock(&cp_reg_lock);
	ours = cp_reg_head != NULL;
	if (ours && chsc_handle(blk, sizeof(blk), &ops, &rc) < 0)
		ours = false;
	pthread_mutex_unlock(&cp_reg_lock);
	if (!ours || gs_store(&gs, abs, blk, sizeof(blk)) < 0)
		return NULL;
	regs->psw.cc = 0;
	return req;
}

/* ---- SERVC: print every event buffer of SCLP Write Event Data -------------------- */

#define SCCB_HDR_LEN   8
#define EVD_HDR_LEN    6
#define MCD_HDR_LEN    12
#define OBJ_HDR_LEN    4
#define MTO_HDR_LEN    6

/* Hercules prints the first event buffer of an SCCB; print the others, in order.
 * The SCCB (at most 4K, Hercules checked it) is copied out through the accessor and
 * the "processed" flags go back the same way. */
static void cp_servc_rest(U32 cmd, U32 real, REGS *regs, U32 psa_size)
{
	uint8_t s[4096];
	struct gstor gs = { 0 };
	U64 abs = real;
	uint32_t len, off;
	bool first = true;

	if ((cmd & SCLP_COMMAND_MASK) != SCLP_WRITE_EVENT_DATA || regs->psw.cc != 0)
		return;
	if (abs < psa_size)
		abs += regs->PX;
	else if (abs >= regs->PX && abs < (U64)regs->PX + psa_size)
		abs -= regs->PX;
	cp_guest_storage(&gs);
	if (gs_fetch(&gs, abs, s, SCCB_HDR_LEN) < 0)
		return;
	len = be_get16(s);
	if (len < SCCB_HDR_LEN || len > sizeof(s) || s[7] != 0x20 ||
	    gs_fetch(&gs, abs + SCCB_HDR_LEN, s + SCCB_HDR_LEN, len - SCCB_HDR_LEN) < 0)
		return;
	for (off = SCCB_HDR_LEN; off + EVD_HDR_LEN <= len;) {
		uint32_t evlen = be_get16(s + off), mlen, o;
		BYTE type = s[off + 2];

		if (evlen < EVD_HDR_LEN || off + evlen > len)
			break;
		if (!first && (type == 0x02 || type == 0x09) && evlen >= EVD_HDR_LEN + MCD_HDR_LEN) {
			const BYTE *mcd = s + off + EVD_HDR_LEN;

			mlen = be_get16(mcd);
			if (mlen > evlen - EVD_HDR_LEN)
				mlen = evlen - EVD_HDR_LEN;
			for (o = MCD_HDR_LEN; o + OBJ_HDR_LEN <= mlen;) {
				uint32_t olen = be_get16(mcd + o);
				char line[4096];

				if (olen < OBJ_HDR_LEN || o + olen > mlen)
					break;
				if (be_get16(mcd + o + 2) == 0x0004 && olen >= OBJ_HDR_LEN + MTO_HDR_LEN &&
				    !(mcd[o + OBJ_HDR_LEN] & 0x08)) {
					uint32_t tl = olen - OBJ_HDR_LEN - MTO_HDR_LEN, k;

					if (tl >= sizeof(line))
						tl = sizeof(line) - 1;
					for (k = 0; k < tl; k++) {
						unsigned char ch = guest_to_host(
							mcd[o + OBJ_HDR_LEN + MTO_HDR_LEN + k]);

						line[k] = isprint(ch) ? (char)ch : ' ';
					}
					line[k] = 0;
					logmsg("%s\n", line);
				}
				o += olen;
			}
			/* Event processed: only the flag byte goes back (the guest may be
			 * looking at the rest; we never write what we did not change). */
			gs_store8(&gs, abs + off + 3, (uint8_t)(s[off + 3] | 0x80));
		}
		first = false;
		off += evlen;
	}
}

extern void (ATTR_REGPARM(2) s370_service_call)(BYTE inst[], REGS *regs);
extern void (ATTR_REGPARM(2) s390_service_call)(BYTE inst[], REGS *regs);
extern void (ATTR_REGPARM(2) z900_service_call)(BYTE inst[], REGS *regs);
void (ATTR_REGPARM(2) s370_cpnic_servc)(BYTE inst[], REGS *regs);
void (ATTR_REGPARM(2) s390_cpnic_servc)(BYTE inst[], REGS *regs);
void (ATTR_REGPARM(2) z900_cpnic_servc)(BYTE inst[], REGS *regs);

void (ATTR_REGPARM(2) s370_cpnic_servc)(BYTE inst[], REGS *regs)
{
	s370_service_call(inst, regs);
}

void (ATTR_REGPARM(2) s390_cpnic_servc)(BYTE inst[], REGS *regs)
{
	U32 cmd = regs->GR_L(inst[3] >> 4), real = regs->GR_L(inst[3] & 0x0F);

	s390_service_call(inst, regs);
	cp_servc_rest(cmd, real, regs, 0x1000);
}

void (ATTR_REGPARM(2) z900_cpnic_servc)(BYTE inst[], REGS *regs)
{
	U32 cmd = regs->GR_L(inst[3] >> 4), real = regs->GR_L(inst[3] & 0x0F);

	z900_service_call(inst, regs);
	cp_servc_rest(cmd, real, regs, 0x2000);
}

/* ---- HDL ------------------------------------------------------------------------------ */

static DEVHND cp_handlers = {
	.init = &cp_init,
	.exec = &cp_exec,
	.close = &cp_close,
	.query = &cp_query,
	.siga_r = &cp_siga_r,
	.siga_w = &cp_siga_w,
};

HDL_DEPENDENCY_SECTION;
{
	HDL_DEPENDENCY(HERCULES);
	HDL_DEPENDENCY(DEVBLK);
	HDL_DEPENDENCY(SYSBLK);
	HDL_DEPENDENCY(REGS);
}
END_DEPENDENCY_SECTION

HDL_REGISTER_SECTION;
{
	HDL_REGISTER(debug_chsc_unknown_request, cp_chsc);
}
END_REGISTER_SECTION

HDL_DEVICE_SECTION;
{
	HDL_DEVICE(CPNIC, cp_handlers);
}
END_DEVICE_SECTION

HDL_INSTRUCTION_SECTION;
{
	HDL_DEFINST(HDL_INSTARCH_390 | HDL_INSTARCH_900, 0xB220, cpnic_servc);
}
END_INSTRUCTION_SECTION

HDL_FINAL_SECTION;
{
	logmsg("CPNIC module unloaded\n");
}
END_FINAL_SECTION
