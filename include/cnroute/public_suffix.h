/*
 * public_suffix.h - is a name a public suffix ("com", "com.cn", "github.io")?
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * A filing covers its domain and every name below it. A filing written on
 * a public suffix would make every registrable domain below it eligible
 * for the CN pool, which no ICP filing can grant, so such a filing is
 * invalid. The list is the Public Suffix List through libpsl: Debian's
 * publicsuffix data when it is newer than the list built into libpsl (and
 * readable: the module runs after Unbound's chroot), both the ICANN and
 * the private sections, and the implicit rule that every top-level domain
 * is a public suffix.
 */
#ifndef CNROUTE_PUBLIC_SUFFIX_H
#define CNROUTE_PUBLIC_SUFFIX_H

#include <stdint.h>

/**
 * Whether a canonical wire name is a public suffix. Thread-safe; the list
 * is loaded at the first call.
 * @return 1 if it is, 0 if not (the root and names that can't be
 *	printed as plain labels are not).
 */
int name_is_public_suffix(const uint8_t *wire);

/**
 * Free the loaded list (the module calls this when it is unloaded, after
 * its threads have stopped). A later question loads it again.
 */
void public_suffix_release(void);

#endif /* CNROUTE_PUBLIC_SUFFIX_H */
