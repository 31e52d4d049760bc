/*
 * name_table.h - hash table from canonical domain names to values.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Open addressing with linear probing: a lookup on the query path is one
 * hash of the name and, almost always, a single probe into a flat array of
 * slots holding the hash next to the key pointer, so a miss (the common
 * case for unmanaged names) rarely touches more than one cache line.
 * Hashes are computed label by label from the root (dname.h), so callers
 * that look up every suffix of a name pass hashes they computed in one
 * pass (name_table_lookup_hashed) and prefetch all the slots they will
 * probe before reading any of them (name_table_prefetch).
 *
 * The table itself does no locking. cnroute has exactly one writer (the
 * Redis sync thread); readers are the resolver's worker threads, which
 * hold the steering table's read lock while they look up. To keep that
 * lock's write side short, growing the table is split in two:
 * name_table_grow_prepare() builds the larger slot array without touching
 * what readers see, and name_table_grow_commit() swaps it in (a pointer
 * store, done under the write lock).
 */
#ifndef CNROUTE_NAME_TABLE_H
#define CNROUTE_NAME_TABLE_H

#include <stddef.h>
#include <stdint.h>

/**
 * One slot of the table. An empty slot has key == NULL; a removed entry
 * leaves a tombstone (key points at a private marker, never a real key)
 * so probe chains stay intact. Use name_table_foreach to see live slots.
 */
struct name_slot {
	/** hash of key, compared before the key itself */
	uint32_t hash;
	/** length of key */
	uint16_t key_len;
	/** sync generation in which the entry was last seen (writer only) */
	uint32_t seen;
	/** canonical wire name, owned by the table */
	uint8_t *key;
	/** the value, owned by the caller (freed through free_value) */
	void *value;
};

/** A name table. */
struct name_table {
	/** slot array, capacity is a power of two */
	struct name_slot *slots;
	/** capacity - 1 */
	size_t mask;
	/** live entries */
	size_t count;
	/** tombstones (deleted slots kept so probe chains stay intact) */
	size_t tombstones;
	/** prepared larger array, between grow_prepare and grow_commit */
	struct name_slot *next_slots;
	/** mask of next_slots */
	size_t next_mask;
	/** called on a value when its entry is replaced or removed */
	void (*free_value)(void *value);
	/** 1 when values are pointers worth prefetching on a hash match */
	int prefetch_values;
};

/**
 * Set up an empty table.
 * @param t: table to set up.
 * @param capacity_hint: expected number of entries (0 for a default).
 * @param free_value: destructor for values, may be NULL.
 * @return 0 or -1 when out of memory.
 */
int name_table_init(struct name_table *t, size_t capacity_hint,
	void (*free_value)(void *value));

/** Free every entry and the slot array. */
void name_table_clear(struct name_table *t);

/**
 * Look a name up.
 * @return the value or NULL.
 */
void *name_table_lookup(const struct name_table *t, const uint8_t *key,
	size_t key_len);

/**
 * Look up the key prefix + name (for instance "*." and a parent, without
 * building the wildcard name) when its hash is known already.
 * @param hash: dname_hash of prefix + name.
 * @param prefix: first bytes of the key, may be NULL when prefix_len is 0.
 * @return the value or NULL.
 */
void *name_table_lookup_hashed(const struct name_table *t, uint32_t hash,
	const uint8_t *prefix, size_t prefix_len, const uint8_t *name,
	size_t name_len);

/**
 * Start loading the slot a lookup of this hash will read first, so that
 * several lookups' cache misses overlap instead of following each other.
 * Only a hint: it never faults and changes nothing. (A lookup starts at
 * slot hash & mask; inline because the decision calls it per candidate.)
 */
static inline void
name_table_prefetch(const struct name_table *t, uint32_t hash)
{
	if(t->slots != NULL)
		__builtin_prefetch(&t->slots[(size_t)hash & t->mask]);
}

/**
 * Read the slots of a hash (after name_table_prefetch, they are on their
 * way) and start loading the key, and the value when the table's values
 * are pointers, of the entry whose hash matches: the second round of
 * misses of a lookup, overlapped across lookups like the first.
 */
void name_table_prefetch_entry(const struct name_table *t, uint32_t hash);

/**
 * Whether an insert of one more entry needs the table to grow first.
 * The writer calls name_table_grow_prepare (no lock) and
 * name_table_grow_commit (under the write lock) when it does.
 */
int name_table_needs_grow(const struct name_table *t);

/** Build the larger slot array. @return 0 or -1 when out of memory. */
int name_table_grow_prepare(struct name_table *t);

/** Whether inserting extra more entries needs the table to grow first. */
int name_table_needs_grow_for(const struct name_table *t, size_t extra);

/**
 * Build a slot array with room for extra more entries (a batch of
 * inserts committed under one write lock).
 * @return 0 or -1 when out of memory.
 */
int name_table_grow_prepare_for(struct name_table *t, size_t extra);

/**
 * Swap in the array built by name_table_grow_prepare and free the old.
 * The table must not change between prepare and commit (the prepared
 * array would miss the change).
 */
void name_table_grow_commit(struct name_table *t);

/**
 * Insert or replace. The old value, if any, is returned through old_value
 * (not freed: the writer frees it after releasing the write lock).
 * The table should not need to grow (see name_table_needs_grow); if it
 * does, put grows it itself (fine for single-threaded users, but then
 * the growth happens wherever put is called, e.g. under a lock).
 * @param old_value: out, may be NULL (the table's free_value then frees
 *	the replaced value).
 * @param seen: generation stored in the slot.
 * @return 0 or -1 when out of memory (key copy).
 */
int name_table_put(struct name_table *t, const uint8_t *key, size_t key_len,
	void *value, uint32_t seen, void **old_value);

/**
 * Insert or replace without allocating: a new entry keeps key itself
 * (malloced by the caller, freed by the table), so a batch committed
 * under a lock can't fail half-way for want of memory. The table must
 * have room (name_table_grow_prepare_for beforehand).
 * @param key: malloced canonical name; the table takes it only for a new
 *	entry (return 1), else the caller keeps it.
 * @param old_value: out, the replaced value (not freed), or NULL.
 * @return 1 inserted (key taken), 0 replaced (key not taken), -1 no room
 *	or a bad length (nothing changed).
 */
int name_table_put_owned(struct name_table *t, uint8_t *key, size_t key_len,
	void *value, uint32_t seen, void **old_value);

/**
 * Mark an existing entry as seen in a generation, without changing it.
 * @return 1 if the entry exists, 0 if not.
 */
int name_table_touch(struct name_table *t, const uint8_t *key,
	size_t key_len, uint32_t seen);

/**
 * Remove an entry. Its value is returned through old_value, not freed
 * (old_value may be NULL: free_value frees it then). The key copy is
 * freed; key may be the slot's own key pointer.
 * @return 1 if removed, 0 if absent.
 */
int name_table_remove(struct name_table *t, const uint8_t *key,
	size_t key_len, void **old_value);

/**
 * Call fn on every live entry. fn may not modify the table.
 */
void name_table_foreach(const struct name_table *t,
	void (*fn)(const struct name_slot *slot, void *arg), void *arg);

#endif /* CNROUTE_NAME_TABLE_H */
