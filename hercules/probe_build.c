/* hercules/probe_build.c - CPNETNOP, a do-nothing Hercules 3.13 device type (hdtcpnetnop.so).
 * Proves the out-of-tree build and HDL load path that the real cpnet device module will use. */

/*
 * Configuration: `devnum CPNETNOP [trace]`. The device answers NOP, SENSE and SENSE
 * ID and rejects every other command; `trace` logs each CCW. Unknown arguments make
 * init fail, so a test can see both an accepted and a refused device statement.
 * Every log line starts with "CPNETNOP" so the test bed can grep for it.
 */

#include "hstdinc.h"
#include "hercules.h"
#include "devtype.h"

#define NOP_CCW_NOP      0x03
#define NOP_CCW_SENSE    0x04
#define NOP_CCW_SENSE_ID 0xE4

/* Per-device state, owned through dev->dev_data from init to close. */
struct nop_state {
	int trace;              /* log every CCW */
	unsigned long ccws;     /* CCWs executed, reported at close */
};

/* SENSE ID answer: 0xFF, control unit type/model, device type/model, 0x00.
 * Types 9001/9002 match no Linux driver, so a guest lists the device and leaves it
 * alone (a zero device type would show as "n/a" in the guest's sysfs). */
#define NOP_DEVTYPE 0x9002
static const BYTE nop_sense_id[] = { 0xFF, 0x90, 0x01, 0x01, 0x90, 0x02, 0x01, 0x00 };

static int nop_init(DEVBLK *dev, int argc, char *argv[])
{
	struct nop_state *st;
	int trace = 0;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcasecmp(argv[i], "trace") == 0) {
			trace = 1;
		} else {
			logmsg("CPNETNOP %1d:%04X refused: unknown argument '%s'\n",
			       SSID_TO_LCSS(dev->ssid), dev->devnum, argv[i]);
			return -1;
		}
	}
	/* Re-init (Hercules's "devinit") reuses the DEVBLK: drop the old state. */
	free(dev->dev_data);
	dev->dev_data = NULL;
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		logmsg("CPNETNOP %1d:%04X refused: out of memory\n", SSID_TO_LCSS(dev->ssid),
		       dev->devnum);
		return -1;
	}
	/* Hercules 3.13 calls the close handler only for a DEVBLK whose fd is above 2
	 * (or a console): hold a descriptor so detach and shutdown reach nop_close. */
	if (dev->fd <= 2) {
		dev->fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (dev->fd < 0) {
			logmsg("CPNETNOP %1d:%04X refused: /dev/null: %s\n",
			       SSID_TO_LCSS(dev->ssid), dev->devnum, strerror(errno));
			free(st);
			return -1;
		}
	}
	st->trace = trace;
	dev->dev_data = st;
	dev->devtype = NOP_DEVTYPE;
	dev->numdevid = sizeof(nop_sense_id);
	memcpy(dev->devid, nop_sense_id, sizeof(nop_sense_id));
	dev->numsense = 1;
	memset(dev->sense, 0, sizeof(dev->sense));
	logmsg("CPNETNOP %1d:%04X initialised%s\n", SSID_TO_LCSS(dev->ssid), dev->devnum,
	       trace ? " (trace)" : "");
	return 0;
}

static void nop_query(DEVBLK *dev, char **class, int buflen, char *buffer)
{
	BEGIN_DEVICE_CLASS_QUERY("NOP", dev, class, buflen, buffer);
	const struct nop_state *st = dev->dev_data;

	snprintf(buffer, buflen, "cpnet build probe%s", st && st->trace ? " trace" : "");
}

static int nop_close(DEVBLK *dev)
{
	struct nop_state *st = dev->dev_data;

	logmsg("CPNETNOP %1d:%04X closed after %lu CCWs\n", SSID_TO_LCSS(dev->ssid), dev->devnum,
	       st ? st->ccws : 0UL);
	free(st);
	dev->dev_data = NULL;
	if (dev->fd > 2)
		close(dev->fd);
	dev->fd = -1;
	return 0;
}

/* Copy up to count bytes of src into the channel buffer; the residual and the
 * incorrect-length indication follow from the two lengths. */
static void nop_give(const BYTE *src, U32 len, U16 count, BYTE *iobuf, BYTE *more,
		     U16 *residual)
{
	U32 n = len < count ? len : count;

	memcpy(iobuf, src, n);
	*residual = (U16)(count - n);
	*more = count < len;
}

static void nop_exec(DEVBLK *dev, BYTE code, BYTE flags, BYTE chained, U16 count,
		     BYTE prevcode, int ccwseq, BYTE *iobuf, BYTE *more, BYTE *unitstat,
		     U16 *residual)
{
	struct nop_state *st = dev->dev_data;
	BYTE sense[sizeof(dev->sense)];

	(void)flags;
	(void)chained;
	(void)prevcode;
	(void)ccwseq;
	st->ccws++;
	if (st->trace)
		logmsg("CPNETNOP %1d:%04X CCW %02X count %u\n", SSID_TO_LCSS(dev->ssid),
		       dev->devnum, code, count);
	*more = 0;
	switch (code) {
	case NOP_CCW_NOP:
		*residual = 0;
		*unitstat = CSW_CE | CSW_DE;
		break;
	case NOP_CCW_SENSE:
		/* Sense is presented once, then reset. */
		memcpy(sense, dev->sense, dev->numsense);
		memset(dev->sense, 0, sizeof(dev->sense));
		nop_give(sense, dev->numsense, count, iobuf, more, residual);
		*unitstat = CSW_CE | CSW_DE;
		break;
	case NOP_CCW_SENSE_ID:
		nop_give(dev->devid, dev->numdevid, count, iobuf, more, residual);
		*unitstat = CSW_CE | CSW_DE;
		break;
	default:
		dev->sense[0] = SENSE_CR;
		*residual = count;
		*unitstat = CSW_CE | CSW_DE | CSW_UC;
		break;
	}
}

static DEVHND nop_handlers = {
	.init = &nop_init,
	.exec = &nop_exec,
	.close = &nop_close,
	.query = &nop_query,
};

/* HDL entry points: the structure versions and sizes this module was compiled
 * against must equal the running Hercules's, or HDL refuses the load. */
HDL_DEPENDENCY_SECTION;
{
	HDL_DEPENDENCY(HERCULES);
	HDL_DEPENDENCY(DEVBLK);
	HDL_DEPENDENCY(SYSBLK);
}
END_DEPENDENCY_SECTION

HDL_DEVICE_SECTION;
{
	HDL_DEVICE(CPNETNOP, nop_handlers);
}
END_DEVICE_SECTION

HDL_FINAL_SECTION;
{
	logmsg("CPNETNOP module unloaded\n");
}
END_FINAL_SECTION
