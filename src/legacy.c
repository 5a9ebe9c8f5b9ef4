/*
 * legacy.c - C symbols that released install scripts name but that have
 * since been renamed to match their SQL functions.
 *
 * upgrade/heartbeat--0.1.0.sql and --0.2.0.sql are frozen: they still
 * create rate(), stddev_amount(), retention(), revenue_retention() and
 * sparkline(double precision[]) with these symbols.  Each one forwards to
 * the function that replaced it, so those scripts still load (CREATE
 * EXTENSION heartbeat VERSION '0.2.0', then ALTER EXTENSION heartbeat
 * UPDATE, which points the functions at the new symbols) and a database
 * not yet updated keeps working with this library.
 */
#include "heartbeat.h"

#define HB_LEGACY_SYMBOL(old, current) \
	extern Datum current(PG_FUNCTION_ARGS); \
	PG_FUNCTION_INFO_V1(old); \
	Datum old(PG_FUNCTION_ARGS) { return current(fcinfo); }

HB_LEGACY_SYMBOL(conversion_rate_final, conversion_rate)
HB_LEGACY_SYMBOL(ticket_stddev, ticket_stddev_amount)
HB_LEGACY_SYMBOL(retention_periods, retention_retention)
HB_LEGACY_SYMBOL(retention_revenue, retention_revenue_retention)
HB_LEGACY_SYMBOL(sparkline_array, sparkline)
