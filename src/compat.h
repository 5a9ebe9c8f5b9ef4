/*
 * compat.h - the one place where PostgreSQL version differences live.
 *
 * heartbeat targets PostgreSQL 15.  Anything that differs between server
 * versions goes here, behind PG_VERSION_NUM, so the metric files never test
 * the server version themselves.
 */
#ifndef HEARTBEAT_COMPAT_H
#define HEARTBEAT_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "heartbeat requires PostgreSQL 15 or later"
#endif

#endif							/* HEARTBEAT_COMPAT_H */
