#!/bin/sh
# tests/guests/bench-agent.sh - one request of bench/guest_bench.py to a benchmark guest (/etc/bench-agent.sh).
# init-bench.sh serves it on TCP 7000 (`nc -ll -e`): stdin and stdout are the connection.
#
# The host measures; the guest only moves bytes and reports its own counters. Requests
# (one line; the connection ends with the answer):
#   stat PATH          "idle I total T io N CLASS N ... rxp N txp N": /proc/stat jiffies,
#                      /proc/interrupts (all I/O, each I/O class) and PATH's packets
#   mtu M              set MTU M on every CPNIC interface; "PATH MTU" per interface after it
#   source             zeros to the connection until the host closes it (guest -> host stream)
#   sink ID            read the connection to EOF; bytes and seconds kept for `result ID`
#   send ADDR SECS ID  stream zeros for SECS to the agent at ADDR (its `sink ID`): guest -> guest
#   result ID          "bytes B secs S" of `sink ID` once it ended (waits up to 60 s), dd's words after
#   ping ADDR N        "avg MS" of N echoes 0.2 s apart (guest -> guest RTT)
#   store ID           read the connection to EOF into /tmp/rx.ID (a peer's data, for `md5 ID`)
#   md5 ID             "md5 M bytes N" of /tmp/rx.ID once its store ended (waits up to 60 s)
#   sendfile ADDR PORT ID  /tmp/rx.ID (what `store ID` kept) to ADDR PORT (the peer reads
#                      to EOF); "sent" or "FAIL ..."
exec 2> /dev/null
read -r cmd a b c
# Names are the host's: digits and dotted addresses only (they reach file names and ip).
case "$a$b$c" in *[!0-9a-z.]*) echo "bad request"; exit 1 ;; esac
case $cmd in
stat)
	ifc=$(cat "/tmp/if.$a" 2> /dev/null)
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; printf "idle %d total %d ", $5 + $6, t }' /proc/stat
	# all I/O interrupts, then each class (QET qeth, LCS, CIO, ...), one CPU
	awk '$1 == "I/O:" { printf "io %d ", $2 }
		/\[I\/O\]/ { n = $1; sub(":", "", n); printf "%s %d ", tolower(n), $2 }' /proc/interrupts
	s=/sys/class/net/$ifc/statistics
	echo "rxp $(cat "$s/rx_packets" 2> /dev/null || echo 0) txp $(cat "$s/tx_packets" 2> /dev/null || echo 0)"
	;;
mtu)
	for f in /tmp/if.*; do
		p=${f#/tmp/if.}
		ifc=$(cat "$f")
		[ "$p" = lcs ] || ip link set "$ifc" mtu "$a"
		echo "$p $(cat "/sys/class/net/$ifc/mtu")"
	done
	;;
source) exec dd if=/dev/zero bs=65536 ;;
sink)
	# Whole 64 KiB blocks (Debian's busybox dd prints no byte count): the last partial
	# block is left out, under 64 KiB of a stream of megabytes. Time by the guest's clock.
	t0=$(cut -d' ' -f1 /proc/uptime)
	dd of=/dev/null bs=65536 iflag=fullblock 2> "/tmp/sink.$a.dd"
	t1=$(cut -d' ' -f1 /proc/uptime)
	n=$(sed -n 's/^\([0-9]*\)+[0-9]* records in$/\1/p' "/tmp/sink.$a.dd")
	echo "bytes $((${n:-0} * 65536)) secs $(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')" > "/tmp/sink.$a.tmp"
	mv "/tmp/sink.$a.tmp" "/tmp/sink.$a"
	;;
send)
	# nc -e hands the connection to dd itself, as `source` does: no pipe, no small copies
	# (nc takes no dashed arguments for PROG: a script, then)
	printf 'echo sink %s\nexec dd if=/dev/zero bs=65536\n' "$c" > "/tmp/send.$c"
	timeout "$b" nc "$a" 7000 -e /bin/sh "/tmp/send.$c" > /dev/null
	rm -f "/tmp/send.$c"
	echo "sent"
	;;
result)
	i=0
	while [ ! -f "/tmp/sink.$a" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	cat "/tmp/sink.$a" "/tmp/sink.$a.dd" | tr '\n' ' '
	echo
	rm -f "/tmp/sink.$a" "/tmp/sink.$a.dd"
	;;
ping) ping -c "$b" -i 0.2 -W 2 "$a" | sed -n 's/.*min\/avg\/max = [0-9.]*\/\([0-9.]*\)\/.*/avg \1/p' ;;
store)
	rm -f "/tmp/rx.$a"
	dd of="/tmp/rx.$a.part" bs=65536 2> /dev/null
	mv "/tmp/rx.$a.part" "/tmp/rx.$a"
	;;
md5)
	i=0
	while [ ! -f "/tmp/rx.$a" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	[ -f "/tmp/rx.$a" ] || { echo "FAIL no complete /tmp/rx.$a"; exit 1; }
	echo "md5 $(md5sum < "/tmp/rx.$a" | cut -d' ' -f1) bytes $(wc -c < "/tmp/rx.$a")"
	;;
sendfile)
	[ -f "/tmp/rx.$c" ] || { echo "FAIL no /tmp/rx.$c"; exit 1; }
	printf '#!/bin/sh\nexec dd if=/tmp/rx.%s bs=65536 2> /dev/null\n' "$c" > /tmp/sendfile
	chmod 755 /tmp/sendfile
	if timeout 120 nc "$a" "$b" -e /tmp/sendfile > /dev/null; then echo "sent"; else echo "FAIL nc $a $b"; fi
	;;
*) echo "unknown request" ;;
esac
