/*
 * version.h - the product's version: the one definition the build uses.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * cnroutectl --version prints it and the module reports it in the
 * metric cnroute_build_info, so a dashboard, the packages and the CLI
 * name the same release. Change it here only (make version prints it).
 */
#ifndef CNROUTE_VERSION_H
#define CNROUTE_VERSION_H

/** The release, semantic versioning. */
#define CNROUTE_VERSION "0.9.0"

#endif /* CNROUTE_VERSION_H */
