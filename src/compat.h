/*
 * compat.h - the one place where PostgreSQL version differences live.
 *
 * heartbeat supports PostgreSQL 15 to 18.  Anything that differs between server
 * versions goes here, behind PG_VERSION_NUM, so the metric files never test
 * the server version themselves; so does what heartbeat needs of the
 * platform (128-bit integers).  numeric's private on-disk layout, the same
 * in every version, is read in decimal.h alone.
 */
#ifndef HEARTBEAT_COMPAT_H
#define HEARTBEAT_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 190000
#error "heartbeat supports PostgreSQL 15 to 18"
#endif

/* The varlena macros (VARSIZE_ANY, ...): in postgres.h until 15, varatt.h since 16. */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * Exact sums are 128-bit integers: c.h defines int128 and HAVE_INT128 when
 * the compiler has them (GCC and Clang on 64-bit platforms).  heartbeat has
 * no fallback without them; such a build stops here with a clear message.
 */
#ifndef HAVE_INT128
#error "heartbeat needs a compiler with 128-bit integers (PostgreSQL's HAVE_INT128)"
#endif

/*
 * A function that never returns: PostgreSQL 18 writes pg_noreturn before the
 * declaration (C11 _Noreturn) and dropped pg_attribute_noreturn(), which
 * earlier versions put after it; GCC and Clang take the attribute before.
 */
#if PG_VERSION_NUM < 180000
#define pg_noreturn pg_attribute_noreturn()
#endif

/* PostgreSQL 18's base64 codec (common/base64.h) takes bytes as uint8. */
#if PG_VERSION_NUM >= 180000
#define HB_B64_BYTES(p) ((const uint8 *) (p))
#define HB_B64_OUT uint8 *
#else
#define HB_B64_BYTES(p) (p)
#define HB_B64_OUT char *
#endif

/*
 * The set-up of a materialized set-returning function (funcapi.h): 15.0
 * names it SetSingleFuncCall(); 15.1 renamed it InitMaterializedSRF(), the
 * name of every later release.
 */
#if PG_VERSION_NUM < 150001
#define InitMaterializedSRF(fcinfo, flags) SetSingleFuncCall(fcinfo, flags)
#endif

#endif							/* HEARTBEAT_COMPAT_H */
