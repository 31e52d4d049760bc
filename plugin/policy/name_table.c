/*
 * name_table.c - hash table from canonical domain names to values.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Open addressing with linear probing over a power-of-two slot array.
 * Removed entries leave a tombstone so the probe chains that ran through
 * them stay intact; tombstones count against the load factor (at most one
 * half) and are dropped whenever the array is rebuilt, which keeps every
 * probe chain short and guarantees an empty slot ends each lookup.
 */
#include "cnroute/name_table.h"
#include "cnroute/dname.h"

#include <stdlib.h>
#include <string.h>

/** Smallest slot array. */
#define NAME_TABLE_MIN_CAPACITY 16

/**
 * Marks a tombstone: a slot whose entry was removed. Its address is unique
 * and never a real key, and it is never dereferenced.
 */
static uint8_t name_table_tombstone_marker;

/** The key pointer of a tombstone slot. */
#define TOMBSTONE (&name_table_tombstone_marker)

/** 1 if the slot holds a live entry (neither empty nor a tombstone). */
static int
slot_is_live(const struct name_slot *slot)
{
	return slot->key != NULL && slot->key != TOMBSTONE;
}

/**
 * The slot a hash starts probing at. dname_hash already scrambles every
 * byte of the name into the low bits (see dname_hash_finish), so the
 * mask alone is enough (name_table_prefetch in the header relies on it).
 */
static size_t
slot_index(uint32_t hash, size_t mask)
{
	return (size_t)hash & mask;
}

/** Smallest power-of-two capacity that keeps entries at most half full. */
static size_t
capacity_for(size_t entries)
{
	size_t cap = NAME_TABLE_MIN_CAPACITY;

	while(cap / 2 < entries)
		cap *= 2;
	return cap;
}

/**
 * 1 if n bytes are equal. Keys are short (20 to 40 bytes, typically) and
 * compared once per lookup; word loads compiled inline beat a call.
 */
static int
bytes_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t x, y;

	for(; n >= 8; a += 8, b += 8, n -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if(x != y)
			return 0;
	}
	for(; n > 0; a++, b++, n--) {
		if(*a != *b)
			return 0;
	}
	return 1;
}

/**
 * 1 if a live slot holds exactly the key prefix + name. The hash and the
 * length, stored in the slot itself, rule out almost every other key
 * before the key bytes (a separate allocation) are read.
 */
static int
slot_matches(const struct name_slot *slot, uint32_t hash,
	const uint8_t *prefix, size_t prefix_len, const uint8_t *name,
	size_t name_len)
{
	return slot->hash == hash &&
		slot->key_len == prefix_len + name_len &&
		slot_is_live(slot) &&
		bytes_equal(slot->key, prefix, prefix_len) &&
		bytes_equal(slot->key + prefix_len, name, name_len);
}

/**
 * Find the live slot of the key prefix + name, whose hash is given.
 * When the table's values are pointers, the value is prefetched as soon
 * as the hash matches, so its cache miss overlaps the key's.
 * @return the slot or NULL.
 */
static struct name_slot *
find_slot_hashed(const struct name_table *t, uint32_t hash,
	const uint8_t *prefix, size_t prefix_len, const uint8_t *name,
	size_t name_len)
{
	size_t i;

	if(t->slots == NULL || prefix_len + name_len > DNAME_MAX_WIRE)
		return NULL;
	/* Terminates: the load factor keeps at least half the slots empty. */
	for(i = slot_index(hash, t->mask); t->slots[i].key != NULL;
		i = (i + 1) & t->mask) {
		const struct name_slot *slot = &t->slots[i];
		if(slot->hash != hash)
			continue;
		if(t->prefetch_values)
			__builtin_prefetch(slot->value);
		if(slot_matches(slot, hash, prefix, prefix_len, name,
			name_len))
			return &t->slots[i];
	}
	return NULL;
}

/** Find the live slot of a key. @return the slot or NULL. */
static struct name_slot *
find_slot(const struct name_table *t, const uint8_t *key, size_t key_len)
{
	if(key_len > DNAME_MAX_WIRE)
		return NULL;
	return find_slot_hashed(t, dname_hash(key, key_len), NULL, 0, key,
		key_len);
}

int
name_table_init(struct name_table *t, size_t capacity_hint,
	void (*free_value)(void *value))
{
	size_t cap = capacity_for(capacity_hint);

	memset(t, 0, sizeof(*t));
	t->free_value = free_value;
	t->slots = calloc(cap, sizeof(*t->slots));
	if(t->slots == NULL)
		return -1;
	t->mask = cap - 1;
	return 0;
}

/** Free the keys and values of a slot array (not the array). */
static void
free_entries(struct name_slot *slots, size_t mask,
	void (*free_value)(void *value))
{
	size_t i;

	for(i = 0; i <= mask; i++) {
		if(!slot_is_live(&slots[i]))
			continue;
		free(slots[i].key);
		if(free_value != NULL && slots[i].value != NULL)
			free_value(slots[i].value);
	}
}

void
name_table_clear(struct name_table *t)
{
	if(t->slots != NULL)
		free_entries(t->slots, t->mask, t->free_value);
	free(t->slots);
	/* A prepared array shares its keys with slots: free only itself. */
	free(t->next_slots);
	t->slots = NULL;
	t->next_slots = NULL;
	t->mask = 0;
	t->next_mask = 0;
	t->count = 0;
	t->tombstones = 0;
}

void *
name_table_lookup(const struct name_table *t, const uint8_t *key,
	size_t key_len)
{
	struct name_slot *slot = find_slot(t, key, key_len);

	return slot != NULL ? slot->value : NULL;
}

void *
name_table_lookup_hashed(const struct name_table *t, uint32_t hash,
	const uint8_t *prefix, size_t prefix_len, const uint8_t *name,
	size_t name_len)
{
	struct name_slot *slot = find_slot_hashed(t, hash, prefix,
		prefix_len, name, name_len);

	return slot != NULL ? slot->value : NULL;
}

void
name_table_prefetch_entry(const struct name_table *t, uint32_t hash)
{
	size_t i;

	if(t->slots == NULL)
		return;
	for(i = slot_index(hash, t->mask); t->slots[i].key != NULL;
		i = (i + 1) & t->mask) {
		const struct name_slot *slot = &t->slots[i];
		if(slot->hash != hash || !slot_is_live(slot))
			continue;
		__builtin_prefetch(slot->key);
		if(t->prefetch_values)
			__builtin_prefetch(slot->value);
		return;
	}
}

int
name_table_needs_grow(const struct name_table *t)
{
	return name_table_needs_grow_for(t, 1);
}

int
name_table_needs_grow_for(const struct name_table *t, size_t extra)
{
	if(t->slots == NULL)
		return 1;
	/* Tombstones lengthen probe chains just like entries do. */
	return (t->count + t->tombstones + extra) * 2 > t->mask + 1;
}

int
name_table_grow_prepare(struct name_table *t)
{
	return name_table_grow_prepare_for(t, 1);
}

int
name_table_grow_prepare_for(struct name_table *t, size_t extra)
{
	size_t old_cap = t->slots != NULL ? t->mask + 1 : 0;
	size_t cap = capacity_for(t->count + extra);
	struct name_slot *next;
	size_t i;

	/* The smallest size that keeps entries at most half full: double
	 * the old one when the table filled up with entries. Mostly
	 * tombstones: rebuild at the same size (never shrink, so a table
	 * that refills does not grow again at once), unless the entries
	 * alone would leave less than a quarter of the slots free for the
	 * inserts to come (over 3/8 full), which would rebuild again soon.
	 * Growing further than that would only spend memory: at 10^6
	 * entries one more doubling is 64 MB per table. */
	if(cap < old_cap)
		cap = old_cap;
	if((t->count + extra) * 8 > cap * 3)
		cap *= 2;
	next = calloc(cap, sizeof(*next));
	if(next == NULL)
		return -1;
	for(i = 0; i < old_cap; i++) {
		size_t j;
		if(!slot_is_live(&t->slots[i]))
			continue;
		j = slot_index(t->slots[i].hash, cap - 1);
		while(next[j].key != NULL)
			j = (j + 1) & (cap - 1);
		/* The key pointer moves, not the key: readers of the old
		 * array still see valid keys until the commit. */
		next[j] = t->slots[i];
	}
	free(t->next_slots);
	t->next_slots = next;
	t->next_mask = cap - 1;
	return 0;
}

void
name_table_grow_commit(struct name_table *t)
{
	if(t->next_slots == NULL)
		return;
	free(t->slots);
	t->slots = t->next_slots;
	t->mask = t->next_mask;
	t->tombstones = 0;
	t->next_slots = NULL;
	t->next_mask = 0;
}

/**
 * Store a new entry under a key the table takes ownership of; the key is
 * known to be absent and there is room. Uses the first tombstone or empty
 * slot of the key's probe chain.
 */
static void
insert_owned(struct name_table *t, uint32_t hash, uint8_t *copy,
	size_t key_len, void *value, uint32_t seen)
{
	size_t i;

	i = slot_index(hash, t->mask);
	while(slot_is_live(&t->slots[i]))
		i = (i + 1) & t->mask;
	if(t->slots[i].key == TOMBSTONE)
		t->tombstones--;
	t->slots[i].hash = hash;
	t->slots[i].key_len = (uint16_t)key_len;
	t->slots[i].seen = seen;
	t->slots[i].value = value;
	t->slots[i].key = copy;
	t->count++;
}

/** Store a new entry under a copy of key. @return 0 or -1 (memory). */
static int
insert_new(struct name_table *t, uint32_t hash, const uint8_t *key,
	size_t key_len, void *value, uint32_t seen)
{
	uint8_t *copy = malloc(key_len);

	if(copy == NULL)
		return -1;
	memcpy(copy, key, key_len);
	insert_owned(t, hash, copy, key_len, value, seen);
	return 0;
}

int
name_table_put(struct name_table *t, const uint8_t *key, size_t key_len,
	void *value, uint32_t seen, void **old_value)
{
	struct name_slot *slot;

	if(old_value != NULL)
		*old_value = NULL;
	if(key_len == 0 || key_len > DNAME_MAX_WIRE)
		return -1;
	slot = find_slot(t, key, key_len);
	if(slot != NULL) {
		if(old_value != NULL)
			*old_value = slot->value;
		else if(t->free_value != NULL && slot->value != NULL)
			t->free_value(slot->value);
		slot->value = value;
		slot->seen = seen;
		return 0;
	}
	if(name_table_needs_grow(t)) {
		/* The caller should have grown the table outside its lock;
		 * growing here keeps the table correct when it did not (a
		 * single-threaded user such as a test or the CLI). */
		if(name_table_grow_prepare(t) != 0)
			return -1;
		name_table_grow_commit(t);
	}
	return insert_new(t, dname_hash(key, key_len), key, key_len, value,
		seen);
}

int
name_table_put_owned(struct name_table *t, uint8_t *key, size_t key_len,
	void *value, uint32_t seen, void **old_value)
{
	struct name_slot *slot;

	*old_value = NULL;
	if(key_len == 0 || key_len > DNAME_MAX_WIRE)
		return -1;
	slot = find_slot(t, key, key_len);
	if(slot != NULL) {
		*old_value = slot->value;
		slot->value = value;
		slot->seen = seen;
		return 0;
	}
	/* never allocate here: the caller holds a lock readers wait on */
	if(name_table_needs_grow(t))
		return -1;
	insert_owned(t, dname_hash(key, key_len), key, key_len, value, seen);
	return 1;
}

int
name_table_touch(struct name_table *t, const uint8_t *key,
	size_t key_len, uint32_t seen)
{
	struct name_slot *slot = find_slot(t, key, key_len);

	if(slot == NULL)
		return 0;
	slot->seen = seen;
	return 1;
}

int
name_table_remove(struct name_table *t, const uint8_t *key,
	size_t key_len, void **old_value)
{
	struct name_slot *slot = find_slot(t, key, key_len);
	uint8_t *old_key;

	if(old_value != NULL)
		*old_value = NULL;
	if(slot == NULL)
		return 0;
	if(old_value != NULL)
		*old_value = slot->value;
	else if(t->free_value != NULL && slot->value != NULL)
		t->free_value(slot->value);
	/* key may point at slot->key itself: do not read it after this. */
	old_key = slot->key;
	slot->key = TOMBSTONE;
	slot->value = NULL;
	free(old_key);
	t->count--;
	t->tombstones++;
	return 1;
}

void
name_table_foreach(const struct name_table *t,
	void (*fn)(const struct name_slot *slot, void *arg), void *arg)
{
	size_t i;

	if(t->slots == NULL)
		return;
	for(i = 0; i <= t->mask; i++) {
		if(slot_is_live(&t->slots[i]))
			fn(&t->slots[i], arg);
	}
}
