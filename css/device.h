/* css/device.h - the interface between a channel subsystem and a device model.
 * The in-process subchannel model (css/subch.c) and the Hercules glue both call it. */
#ifndef CPNET_CSS_DEVICE_H
#define CPNET_CSS_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Device status (unit status) bits. */
#define DEV_ATTENTION     0x80
#define DEV_STATUS_MODIFIER 0x40
#define DEV_CU_END        0x20
#define DEV_BUSY          0x10
#define DEV_CHANNEL_END   0x08
#define DEV_DEVICE_END    0x04
#define DEV_UNIT_CHECK    0x02
#define DEV_UNIT_EXCEPTION 0x01

/* Subchannel (channel) status bits. */
#define CHN_PCI           0x80
#define CHN_INCORRECT_LEN 0x40
#define CHN_PROGRAM_CHECK 0x20
#define CHN_PROTECTION_CHECK 0x10
#define CHN_DATA_CHECK    0x08
#define CHN_CONTROL_CHECK 0x04
#define CHN_INTF_CTL_CHECK 0x02
#define CHN_CHAINING_CHECK 0x01

/* Sense byte 0 bits the qeth driver interprets. */
#define SENSE0_CMD_REJECT     0x80
#define SENSE0_INTERVENTION   0x40
#define SENSE0_EQUIPMENT_CHECK 0x10
#define SENSE0_DATA_CHECK     0x08
#define SENSE_SIZE 32

/*
 * One command as the device sees it: the channel has already gathered the data of
 * a write-type command (all data-chained CCWs) into `out`, and will scatter what the
 * device puts into `in` for a read-type command.  The device sets `inlen` and
 * `unitstat` (CE|DE when it leaves it 0) and may set sense data with a unit check.
 */
struct css_io {
	uint8_t cmd;
	uint8_t flags;		/* CCW flags of the first CCW (CC, SLI, PCI …) */
	uint32_t count;		/* total count over the data chain */
	const uint8_t *out;	/* write-type / control data (count bytes) */
	uint8_t *in;		/* read-type buffer, `count` bytes available */
	uint32_t inlen;		/* bytes the device produced */
	uint8_t unitstat;	/* device status to present; 0 = CE|DE */
	uint32_t intparm;	/* of the start function (devices keep it for PCI) */
};

/* Return values of css_devops.exec besides 0 and negative errno. */
#define CSS_IO_PENDING 1	/* command stays active; device calls back when ready */

/*
 * A device model.  exec runs one command; a negative errno means "the command was
 * wrong for this device in this state" and the channel turns it into a unit check
 * with command reject (the ONE place: css_status_from_errno).  halt and clear end
 * whatever the device was doing for the current start function.
 */
struct css_devops {
	int (*exec)(void *dev, struct css_io *io);
	void (*halt)(void *dev);
	void (*clear)(void *dev);
	/* Fill SENSE_SIZE bytes of sense data for BASIC SENSE (0x04); may be NULL. */
	void (*sense)(void *dev, uint8_t *sense);
};

/*
 * The ONE place where errors become channel status.  `from_device` tells whether the
 * error came from the device model (exec: unit check, sense byte 0 set here) or from
 * the channel's own walk of the program (program check, no unit status).
 */
struct css_status {
	uint8_t dstat;
	uint8_t cstat;
	uint8_t sense0;
};
struct css_status css_status_from_errno(int err, bool from_device);

#endif
