-- heartbeat: the sales heartbeat (conversion, average ticket, sales cycle,
-- retention) as aggregate and window functions.
-- This file is assembled by the Makefile from src/*.sql; edit those.

\echo Use "CREATE EXTENSION heartbeat" to load this file. \quit
