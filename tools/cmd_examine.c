// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl examine: one member's superblock, for people, for scripts
 * (--json) and for udev (--export, udev/60-ddraid.rules).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <uuid.h>

#include "cli.h"

static const char *timestr(u64 t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%" PRIu64, t);
	return buf;
}

static unsigned int slots_in_use(const struct ddraid_sb *sb)
{
	unsigned int i, used = 0;

	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
		used += sb->slot_nodeid[i] != 0;
	return used;
}

static void add_u64(struct json_object *o, const char *key, u64 v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void print_json(const char *path, const struct ddraid_sb *sb,
		       unsigned int valid)
{
	struct json_object *o = json_object_new_object();
	struct json_object *mt = json_object_new_array();
	struct json_object *slots = json_object_new_array();
	char uu[37], t[32];
	u32 i;

	uuid_unparse(sb->uuid, uu);
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "uuid", json_object_new_string(uu));
	json_object_object_add(o, "name", json_object_new_string(sb->name));
	add_u64(o, "version", sb->version);
	add_u64(o, "member_index", sb->member_index);
	json_object_object_add(o, "role", json_object_new_string(
		sb->member_index == sb->members - 1 ? "parity" : "data"));
	add_u64(o, "members", sb->members);
	add_u64(o, "k", sb->k);
	add_u64(o, "block_size", sb->block_size);
	add_u64(o, "fragment_size", sb->frag_size);
	add_u64(o, "data_offset", sb->data_offset);
	add_u64(o, "data_size", sb->data_size);
	add_u64(o, "member_size", sb->member_size);
	add_u64(o, "region_size", sb->region_size);
	add_u64(o, "regions", sb->regions);
	add_u64(o, "bitmap_offset", sb->bitmap_offset);
	add_u64(o, "bitmap_slot_bytes", sb->bitmap_slot_bytes);
	add_u64(o, "bitmap_slots", sb->bitmap_slots);
	add_u64(o, "events", sb->events);
	add_u64(o, "update_seq", sb->update_seq);
	add_u64(o, "ctime", sb->ctime);
	add_u64(o, "utime", sb->utime);
	json_object_object_add(o, "ctime_utc", json_object_new_string(
		timestr(sb->ctime, t, sizeof(t))));
	json_object_object_add(o, "utime_utc", json_object_new_string(
		timestr(sb->utime, t, sizeof(t))));
	for (i = 0; i < sb->members; i++) {
		struct json_object *m = json_object_new_object();

		add_u64(m, "index", i);
		json_object_object_add(m, "state", json_object_new_string(
			ddraid_member_state_name(sb->member[i].state)));
		add_u64(m, "recovery_block", sb->member[i].recovery_block);
		add_u64(m, "failed_events", sb->member[i].failed_events);
		json_object_array_add(mt, m);
	}
	json_object_object_add(o, "member_states", mt);
	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++) {
		struct json_object *s;

		if (!sb->slot_nodeid[i])
			continue;
		s = json_object_new_object();
		add_u64(s, "slot", i);
		add_u64(s, "nodeid", sb->slot_nodeid[i]);
		json_object_array_add(slots, s);
	}
	json_object_object_add(o, "slots_in_use", slots);
	add_u64(o, "valid_copies", valid);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_human(const char *path, const struct ddraid_sb *sb,
			unsigned int valid)
{
	char uu[37], t1[32], t2[32], s1[32], s2[32];
	u32 i;

	uuid_unparse(sb->uuid, uu);
	printf("%s:\n", path);
	printf("          volume: '%s'\n", sb->name);
	printf("            uuid: %s\n", uu);
	printf("          member: %u of %u (%s)\n", sb->member_index,
	       sb->members,
	       sb->member_index == sb->members - 1 ? "parity" : "data");
	printf("          layout: k=%u, block %u bytes, fragment %u bytes, format version %u\n",
	       sb->k, sb->block_size, sb->frag_size, sb->version);
	printf("       data size: %s (%" PRIu64 " bytes of volume)\n",
	       cli_human_size(sb->data_size, s1, sizeof(s1)), sb->data_size);
	printf("     data offset: %" PRIu64 " bytes on the member\n",
	       sb->data_offset);
	printf("     member size: %s (%" PRIu64 " bytes used of each member)\n",
	       cli_human_size(sb->member_size, s2, sizeof(s2)),
	       sb->member_size);
	printf("         regions: %" PRIu64 " of %s\n", sb->regions,
	       cli_human_size(sb->region_size, s1, sizeof(s1)));
	printf("          events: %" PRIu64 "\n", sb->events);
	printf("      update seq: %" PRIu64 "\n", sb->update_seq);
	printf("         created: %s\n", timestr(sb->ctime, t1, sizeof(t1)));
	printf("         updated: %s\n", timestr(sb->utime, t2, sizeof(t2)));
	printf("   member states:");
	for (i = 0; i < sb->members; i++) {
		printf(" %u:%s", i, ddraid_member_state_name(sb->member[i].state));
		if (sb->member[i].state == DDRAID_MEMBER_REBUILDING)
			printf("@%" PRIu64, sb->member[i].recovery_block);
		if (sb->member[i].state == DDRAID_MEMBER_FAILED)
			printf("@events%" PRIu64, sb->member[i].failed_events);
	}
	printf("\n   slots in use: %u of %u", slots_in_use(sb),
	       sb->bitmap_slots);
	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
		if (sb->slot_nodeid[i])
			printf(" %u:node%u", i, sb->slot_nodeid[i]);
	printf("\nsuperblock copies: %u of %u valid\n", valid, DDRAID_SB_COPIES);
}

/*
 * A value for --export: udev's IMPORT{program} reads KEY=value lines, so
 * a byte that could end or quote the value is written as \xNN, as in
 * udev's own *_ENC values. The superblock decoder admits only name
 * characters today; this keeps --export safe should that ever change.
 */
static void put_safe(const char *key, const char *v)
{
	printf("%s=", key);
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (ddraid_name_char_ok((char)c))
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	putchar('\n');
}

/*
 * KEY=value lines as mdadm --examine --export: the DDRAID_* facts of the
 * member, and the ID_FS_* properties libblkid would set if it knew the
 * format (it does not yet). ID_FS_USAGE=raid keeps udev's
 * 60-persistent-storage.rules from making by-uuid/by-label links, which
 * every member of a volume would claim.
 */
static void print_export(const struct ddraid_sb *sb, unsigned int valid)
{
	char uu[37];

	uuid_unparse(sb->uuid, uu);
	printf("DDRAID_UUID=%s\n", uu);
	put_safe("DDRAID_NAME", sb->name);
	printf("DDRAID_MEMBER_INDEX=%u\n", sb->member_index);
	printf("DDRAID_MEMBERS=%u\n", sb->members);
	printf("DDRAID_ROLE=%s\n",
	       sb->member_index == sb->members - 1 ? "parity" : "data");
	printf("DDRAID_EVENTS=%" PRIu64 "\n", sb->events);
	printf("DDRAID_STATE=%s\n",
	       ddraid_member_state_name(sb->member[sb->member_index].state));
	printf("DDRAID_VERSION=%u\n", sb->version);
	printf("DDRAID_VALID_COPIES=%u\n", valid);
	printf("ID_FS_TYPE=ddraid_member\n");
	printf("ID_FS_USAGE=raid\n");
	printf("ID_FS_VERSION=%u\n", sb->version);
	printf("ID_FS_UUID=%s\nID_FS_UUID_ENC=%s\n", uu, uu);
	if (sb->name[0]) {
		put_safe("ID_FS_LABEL", sb->name);
		put_safe("ID_FS_LABEL_ENC", sb->name);
	}
}

int cmd_examine(const struct cli_args *a)
{
	const char *dev = a->argv[0];
	char err[DDRAID_ERRMSG_MAX];
	struct ddraid_sb sb;
	unsigned int valid;
	int r;

	if (a->given[EXAMINE_JSON] && a->given[EXAMINE_EXPORT])
		return cli_usage("--json and --export exclude each other");
	r = ddraid_read_member_sb(dev, &sb, &valid, err, sizeof(err));
	if (r) {
		cli_err("%s", err[0] ? err : strerror(-r));
		return CLI_FAIL;
	}
	/* One bad copy: usable, but say which and why. */
	if (valid < DDRAID_SB_COPIES && err[0])
		cli_warn("%s", err);
	if (a->given[EXAMINE_JSON])
		print_json(dev, &sb, valid);
	else if (a->given[EXAMINE_EXPORT])
		print_export(&sb, valid);
	else
		print_human(dev, &sb, valid);
	return CLI_OK;
}
