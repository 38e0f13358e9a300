#!/bin/sh
# tests/guests/init-boot.sh - /init of the t_boot guest: loads the qeth stack and reports.
# Each line is paced (see guest-lib.sh); t_boot.sh checks the lines in the Hercules log.
. /etc/cpnet-guest.sh
guest_setup
say "CPNET-GUEST: init started, kernel $(uname -r)"
if ! load_modules; then
	dump_dmesg 10
	guest_done "FAIL insmod"
fi
if [ -d /sys/bus/ccwgroup/drivers/qeth ]; then
	say "CPNET-GUEST: qeth driver registered"
else
	guest_done "FAIL no /sys/bus/ccwgroup/drivers/qeth"
fi
# The CPNETNOP probe device (t_boot.sh configures it at 0A00): the channel
# subsystem must have found it through our module's SENSE ID answer.
d=/sys/bus/ccw/devices/0.0.0a00
if [ -r $d/cutype ]; then
	say "CPNET-GUEST: ccw 0.0.0a00 cutype $(cat $d/cutype) devtype $(cat $d/devtype)"
else
	say "CPNET-GUEST: ccw 0.0.0a00 missing"
fi
guest_done "init ok"
