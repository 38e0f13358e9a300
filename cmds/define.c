/* cmds/define.c - the commands that change the network: DEFINE / DETACH NIC, LAN and
 * VSWITCH, COUPLE, UNCOUPLE, SET VSWITCH / VMLAN / NIC.  Parse everything, then act. */
#include "cmds/cmds.h"

#include <stdio.h>
#include <string.h>

#include "cp/config.h"
#include "cp/lanops.h"

static bool is_class_b(const struct cmd_ctx *c)
{
	return dir_has_class(c->vm->classes, "B");
}

int cmd_define_nic(struct cmd_ctx *c, char **argv, unsigned argc)
{
	uint16_t vdev;
	uint8_t type = 0;
	unsigned long v;
	unsigned ndev = 3;
	int chpid = -1, rc;
	bool has_macid = false, has_dev = false;
	uint32_t macid = 0;

	if (parse_vdev(argv[0], &vdev) < 0)
		return out_msg(c->o, MSG_VDEV_MISSING);
	for (unsigned i = 1; i < argc; i++) {
		const char *k = argv[i];

		if (kw_abbrev(k, "TYPE", 4)) {
			if (i + 1 >= argc)
				return out_msg(c->o, MSG_OPTION_NEEDS, "TYPE");
			k = argv[++i];
			if (!kw_abbrev(k, "QDIO", 4) && !kw_abbrev(k, "HIPERSOCKETS", 5))
				return out_msg(c->o, MSG_INV_OPERAND, out_tok(k));
		}
		if (kw_abbrev(k, "QDIO", 4) || kw_abbrev(k, "HIPERSOCKETS", 5)) {
			if (type)
				return out_msg(c->o, MSG_CONFLICT, out_tok(k));
			type = kw_abbrev(k, "QDIO", 4) ? LAN_QDIO : LAN_HIPERS;
		} else if (kw_abbrev(k, "DEVICES", 3)) {
			if (has_dev)
				return out_msg(c->o, MSG_DUPLICATE_OPTION, "DEVICES");
			if (i + 1 >= argc)
				return out_msg(c->o, MSG_OPTION_NEEDS, "DEVICES");
			rc = devices_parse(argv[++i], &ndev, c->o);
			if (rc)
				return rc;
			has_dev = true;
		} else if (kw_abbrev(k, "CHPID", 5)) {
			if (chpid >= 0)
				return out_msg(c->o, MSG_DUPLICATE_OPTION, "CHPID");
			if (i + 1 >= argc)
				return out_msg(c->o, MSG_OPTION_NEEDS, "CHPID");
			if (parse_hex(argv[++i], 2, &v) < 0)
				return out_msg(c->o, MSG_INV_OPERAND, out_tok(argv[i]));
			chpid = (int)v;
		} else if (kw_abbrev(k, "MACID", 5)) {
			if (has_macid)
				return out_msg(c->o, MSG_DUPLICATE_OPTION, "MACID");
			if (i + 1 >= argc)
				return out_msg(c->o, MSG_OPTION_NEEDS, "MACID");
			if (parse_hex(argv[++i], 6, &v) < 0)
				return out_msg(c->o, MSG_INV_OPERAND, out_tok(argv[i]));
			has_macid = true;
			macid = (uint32_t)v;
		} else {
			return out_msg(c->o, MSG_INV_OPTION, out_tok(k));
		}
	}
	return cp_define_nic(c->cp, c->vm, vdev, type ? type : LAN_QDIO, (unsigned)ndev, chpid,
			     has_macid, macid, c->o, NULL);
}

int cmd_define_lan(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct lan_spec s;
	int rc = lanspec_parse(&s, LAN_GUESTLAN, argv, argc, c->o);

	if (rc)
		return rc;
	/* Class G may define only LANs it owns; class B any (z/VM). */
	if (s.owner[0] && strcmp(s.owner, c->vm->userid) && !is_class_b(c))
		return out_msg(c->o, MSG_LAN_OWNER, c->vm->userid, s.owner);
	return lanspec_define(c->cp, &s, c->vm->userid, NULL, c->o);
}

int cmd_define_vswitch(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct lan_spec s;
	int rc = lanspec_parse(&s, LAN_VSWITCH, argv, argc, c->o);

	if (rc)
		return rc;
	return lanspec_define(c->cp, &s, "SYSTEM", NULL, c->o);
}

static int nic_of(struct cmd_ctx *c, const char *tok, struct vnic **n)
{
	uint16_t vdev;
	char a[8];

	if (parse_vdev(tok, &vdev) < 0)
		return out_msg(c->o, MSG_VDEV_MISSING);
	*n = vm_find_nic(c->vm, vdev);
	if (!*n) {
		snprintf(a, sizeof(a), "%04X", vdev);
		return out_msg(c->o, MSG_DEV_NOT_EXIST, a);
	}
	return 0;
}

int cmd_detach_nic(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct vnic *n;
	int rc;

	(void)argc;
	if ((rc = nic_of(c, argv[0], &n)))
		return rc;
	return cp_detach_nic(c->cp, n, c->o);
}

static int destroy(struct cmd_ctx *c, struct lanbk *lan)
{
	char word[8], owner[9], name[9];

	snprintf(word, sizeof(word), "%s", lan_kind_word(lan));
	memcpy(owner, lan->owner, sizeof(owner));
	memcpy(name, lan->name, sizeof(name));
	cp_destroy_lan(c->cp, lan, c->o);
	return out_msg(c->o, MSG_R_LAN_DESTROYED, word, owner, name);
}

/* "name [OWNERID SYSTEM|userid]" naming a Guest LAN the issuer may change (its own, or
 * any with class B); *used = the tokens taken.  0 or the message rc. */
int cmd_find_guest_lan(struct cmd_ctx *c, char **argv, unsigned argc, unsigned *used,
		       struct lanbk **lan)
{
	char name[9], owner[9];

	*used = 1;
	if (parse_name(argv[0], name) < 0)
		return out_msg(c->o, MSG_INV_OPERAND, out_tok(argv[0]));
	memcpy(owner, c->vm->userid, sizeof(owner));
	if (argc > 1 && kw_abbrev(argv[1], "OWNERID", 5)) {
		if (argc < 3)
			return out_msg(c->o, MSG_OPTION_NEEDS, "OWNERID");
		if (parse_name(argv[2], owner) < 0)
			return out_msg(c->o, MSG_INV_USERID, out_tok(argv[2]));
		*used = 3;
	}
	if (strcmp(owner, c->vm->userid) && !is_class_b(c))
		return out_msg(c->o, MSG_LAN_OWNER, c->vm->userid, owner);
	*lan = lan_find(&c->cp->lans, owner, name);
	if (!*lan || (*lan)->kind != LAN_GUESTLAN)
		return out_msg(c->o, MSG_LAN_NOT_EXIST, "LAN", owner, name);
	return 0;
}

int cmd_detach_lan(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct lanbk *lan;
	unsigned used;
	int rc;

	if ((rc = cmd_find_guest_lan(c, argv, argc, &used, &lan)))
		return rc;
	if (argc > used)
		return out_msg(c->o, MSG_INV_OPTION, out_tok(argv[used]));
	return destroy(c, lan);
}

int cmd_set_lan(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct lanbk *lan;
	unsigned used;
	int rc;

	if ((rc = cmd_find_guest_lan(c, argv, argc, &used, &lan)))
		return rc;
	return lan_set(c->cp, lan, argv + used, argc - used, c->o);
}

int cmd_find_vswitch(struct cmd_ctx *c, const char *tok, struct lanbk **lan)
{
	char name[9];

	if (parse_name(tok, name) < 0)
		return out_msg(c->o, MSG_INV_OPERAND, out_tok(tok));
	*lan = lan_find(&c->cp->lans, "SYSTEM", name);
	if (!*lan || (*lan)->kind != LAN_VSWITCH)
		return out_msg(c->o, MSG_LAN_NOT_EXIST, "VSWITCH", "SYSTEM", name);
	return 0;
}

int cmd_detach_vswitch(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct lanbk *lan;
	int rc;

	(void)argc;
	if ((rc = cmd_find_vswitch(c, argv[0], &lan)))
		return rc;
	return destroy(c, lan);
}

int cmd_couple(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct vnic *n;
	char owner[9], name[9];
	unsigned i = 1;
	unsigned long portnum = 0;
	struct lanbk *lan;
	int rc;

	if ((rc = nic_of(c, argv[0], &n)))
		return rc;
	if (i < argc && kw_abbrev(argv[i], "TO", 2))
		i++;
	owner[0] = 0;
	if (i < argc && !kw_abbrev(argv[i], "PORTNUMBER", 8)) {
		if (i + 1 >= argc)
			return out_msg(c->o, MSG_OPERAND_MISSING);
		if (parse_name(argv[i], owner) < 0)
			return out_msg(c->o, MSG_INV_USERID, out_tok(argv[i]));
		if (parse_name(argv[i + 1], name) < 0)
			return out_msg(c->o, MSG_INV_OPERAND, out_tok(argv[i + 1]));
		i += 2;
	}
	if (i < argc) {
		if (!kw_abbrev(argv[i], "PORTNUMBER", 8))
			return out_msg(c->o, MSG_INV_OPTION, out_tok(argv[i]));
		if (i + 1 >= argc)
			return out_msg(c->o, MSG_OPTION_NEEDS, "PORTNUMBER");
		if (parse_dec(argv[i + 1], 0xFFFFFFFFul, &portnum) == -EINVAL)
			return out_msg(c->o, MSG_INV_OPERAND, out_tok(argv[i + 1]));
		if (parse_dec(argv[i + 1], LAN_PORTNUM_MAX, &portnum) < 0 || portnum == 0)
			return out_msg(c->o, MSG_OUT_OF_RANGE, out_tok(argv[i + 1]), "PORTNUMBER",
				       "1-2048");
		if (i + 2 < argc)
			return out_msg(c->o, MSG_INV_OPTION, out_tok(argv[i + 2]));
	}
	if (!owner[0]) {
		/* No target: the LAN of the NIC's NICDEF. */
		const struct dir_nicdef *d = NULL;
		char a[8];

		for (unsigned k = 0; c->vm->du && k < c->vm->du->nnics; k++)
			if (c->vm->du->nics[k].vdev == n->vdev && c->vm->du->nics[k].has_lan)
				d = &c->vm->du->nics[k];
		snprintf(a, sizeof(a), "%04X", n->vdev);
		if (!d)
			return out_msg(c->o, MSG_NIC_NO_LAN, a);
		memcpy(owner, d->lan_owner, sizeof(owner));
		memcpy(name, d->lan_name, sizeof(name));
	}
	lan = lan_find(&c->cp->lans, owner, name);
	if (!lan)
		return out_msg(c->o, MSG_LAN_NOT_EXIST, strcmp(owner, "SYSTEM") ? "LAN" : "VSWITCH or LAN",
			       owner, name);
	return cp_couple(c->cp, n, lan, (unsigned)portnum, c->o);
}

int cmd_uncouple(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct vnic *n;
	int rc;

	(void)argc;
	if ((rc = nic_of(c, argv[0], &n)))
		return rc;
	return cp_uncouple(c->cp, n, c->o);
}

int cmd_set_vswitch(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct lanbk *lan;
	int rc;

	if ((rc = cmd_find_vswitch(c, argv[0], &lan)))
		return rc;
	return vswitch_set(c->cp, lan, argv + 1, argc - 1, c->o);
}

int cmd_set_vmlan(struct cmd_ctx *c, char **argv, unsigned argc)
{
	int rc = vmlan_set(c->cp, argv, argc, c->o);

	return rc ? rc : out_msg(c->o, MSG_R_COMPLETE);
}

/* SET NIC's operands (sorted; the unit test of the tables reads setnic_table). */
enum { SN_BANDWIDTH = 1, SN_NOPROMISC, SN_PROMISC };
static const struct kw setnic_kw[] = {
	{ "BANDWIDTH", 4, SN_BANDWIDTH }, { "NOPROMISCUOUS", 5, SN_NOPROMISC },
	{ "PROMISCUOUS", 3, SN_PROMISC },
};

const struct kw *setnic_table(size_t *n)
{
	*n = CPNET_ARRAY_SIZE(setnic_kw);
	return setnic_kw;
}

int cmd_set_nic(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct vnic *n;
	uint64_t rate;
	int k, rc;

	if ((rc = nic_of(c, argv[0], &n)))
		return rc;
	k = KW_LOOKUP(setnic_kw, argv[1]);
	if (k == KW_AMBIG)
		return out_msg(c->o, MSG_AMBIGUOUS, out_tok(argv[1]));
	if (k == KW_NONE)
		return out_msg(c->o, MSG_INV_OPTION, out_tok(argv[1]));
	if (k != SN_BANDWIDTH && argc > 2)
		return out_msg(c->o, MSG_INV_OPTION, out_tok(argv[2]));
	switch (k) {
	case SN_PROMISC:
	case SN_NOPROMISC:
		if ((rc = cp_nic_promisc(n, k == SN_PROMISC, c->o)))
			return rc;
		break;
	default: /* SN_BANDWIDTH: the NIC's own cap, kept across COUPLE */
		if (argc < 3)
			return out_msg(c->o, MSG_OPTION_NEEDS, "BANDWIDTH");
		if ((rc = bandwidth_parse(argv[2], &rate, c->o)))
			return rc;
		if ((rc = cp_nic_bandwidth(n, rate)) < 0)
			return out_msg(c->o, MSG_INTERNAL, cpnet_strerror(rc));
		break;
	}
	return out_msg(c->o, MSG_R_COMPLETE);
}
