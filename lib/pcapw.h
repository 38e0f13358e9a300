/* lib/pcapw.h - the capture writer: frames to pcap or pcapng files that tshark and
 * Wireshark open, gzip-compressed on request, with snap length, limits and rotation. */
#ifndef CPNET_LIB_PCAPW_H
#define CPNET_LIB_PCAPW_H

#include <stdbool.h>
#include <stdint.h>

#include "qdio/queue.h"

/* gzip output needs zlib.  A build without it (the s390x cross build of the unit
 * tests: Debian's s390x zlib does not install beside the cross compiler) refuses
 * gzip with -EOPNOTSUPP. */
#ifndef CPNET_HAVE_ZLIB
#define CPNET_HAVE_ZLIB 1
#endif

enum pcapw_fmt { PCAPW_PCAP = 1, PCAPW_PCAPNG = 2 };

/* Link types (tcpdump.org's LINKTYPE_ values): Ethernet for a layer-2 LAN; RAW for
 * an IP (layer-3) LAN, whose frames are bare IPv4 or IPv6 packets (the version
 * nibble tells the decoder which). */
#define PCAPW_LINK_ETHERNET 1u
#define PCAPW_LINK_RAW 101u

#define PCAPW_SNAP_DEFAULT 262144u	/* what tcpdump and dumpcap write by default */
#define PCAPW_NAME_MAX 4096

/* On-disk sizes (written field by field in big-endian; readers take either order). */
#define PCAP_FILEHDR_SIZE 24
#define PCAP_RECHDR_SIZE 16
#define PCAPNG_EPB_FIXED 28		/* type .. original length, before the data */

struct pcapw_opts {
	const char *path;	/* file name; with rotation the pattern base (below) */
	uint8_t fmt;		/* enum pcapw_fmt */
	bool gzip;		/* gzip stream (level 1) instead of a plain file */
	uint32_t linktype;	/* PCAPW_LINK_* */
	uint32_t snaplen;	/* bytes kept of each frame, 0 = PCAPW_SNAP_DEFAULT */
	uint64_t max_packets;	/* stop after this many frames, 0 = no limit */
	uint64_t max_bytes;	/* stop before the frame bytes kept pass this, 0 = none */
	/*
	 * Rotation: a new file once the current one holds rotate_bytes (uncompressed:
	 * headers, records and data; at least one frame per file), 0 = one file.  Files
	 * are then named <stem>_<NNNNN><ext> from 00001 up, where <ext> is the path's
	 * .pcap, .pcapng, .pcap.gz or .pcapng.gz and <stem> the rest.  rotate_files
	 * (with rotate_bytes) keeps only the newest that many files, removing older ones
	 * as new ones open (a ring); 0 keeps them all.
	 */
	uint64_t rotate_bytes;
	unsigned rotate_files;
	const char *ifname;	/* pcapng: the interface's name (the LAN), may be NULL */
};

struct pcapw_stats {
	uint64_t packets;	/* frames written */
	uint64_t bytes;		/* frame bytes written (after the snap length) */
	uint64_t wire_bytes;	/* their original lengths */
	uint64_t truncated;	/* frames cut to the snap length */
	unsigned files;		/* files opened */
};

struct pcapw;

/* From a file name's ending: .pcap .pcapng .pcap.gz .pcapng.gz (any case).  0 or
 * -EINVAL for any other name. */
int pcapw_name_format(const char *path, uint8_t *fmt, bool *gzip);
/* The name of rotation file `seq` (1, 2, ...) for base `path`, into out[cap].
 * 0, -EINVAL (no known ending), -ENAMETOOLONG. */
int pcapw_rotation_name(const char *path, unsigned seq, char *out, size_t cap);

/* Open the (first) file and write its headers.  0 with *out set, -EINVAL for a bad
 * option (format, link type, rotate_files without rotate_bytes), -EOPNOTSUPP for gzip
 * in a build without zlib, -ENOMEM, or the errno of creating the file. */
int pcapw_open(struct pcapw **out, const struct pcapw_opts *o);
/*
 * Write one frame of `len` bytes held in spans (at least len bytes in all), taken at
 * ts_ns (ns since the epoch); the first snaplen bytes are kept.  Returns 0; 1 (the
 * frame is not written) once a packet or byte limit is reached, and for every frame
 * after; -EINVAL for spans shorter than len; or the errno of a failed write (the
 * writer then refuses further frames with the same error).
 */
int pcapw_write(struct pcapw *w, uint64_t ts_ns, const struct qdio_span *sp, unsigned nsp,
		uint32_t len);
/* Flush buffered data to the file (a trace being watched). 0 or -errno. */
int pcapw_flush(struct pcapw *w);
const struct pcapw_stats *pcapw_stats(const struct pcapw *w);
/* The file being written now. */
const char *pcapw_current(const struct pcapw *w);
/* Finish the file (the gzip trailer) and free the writer.  0, or the first write
 * error the writer met. */
int pcapw_close(struct pcapw *w);

#endif
