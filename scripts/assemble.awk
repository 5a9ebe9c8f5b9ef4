# Assembles the install script (the Makefile's heartbeat--<version>.sql
# rule): prints src/common.sql and each family's .sql one after the other,
# with every value that is stated once put in the places that name it.
#
#   -- @CYCLE_EMPTY@ = '{"version":1,...}'      defines @CYCLE_EMPTY@
#   INITCOND = @CYCLE_EMPTY@,                   becomes INITCOND = '{"version":1,...}',
#
# A definition is a line "-- @NAME@ = value" (NAME in capitals, digits and
# _); it stays in the output as the comment it is.  A name used before (or
# without) its definition, or defined twice, stops the build.  Comment lines
# are copied as they are, and lowercase names, such as PostgreSQL's own
# @extschema@, are left alone.

function fail(message) {
    printf "%s:%d: %s\n", FILENAME, FNR, message > "/dev/stderr"
    exit 1
}

/^-- @[A-Z][A-Z0-9_]*@ = / {
    if ($2 in value)
        fail($2 " is defined twice")
    value[$2] = substr($0, length("-- " $2 " = ") + 1)
    print
    next
}

/^[ \t]*--/ {
    print
    next
}

{
    rest = $0
    out = ""
    while (match(rest, /@[A-Z][A-Z0-9_]*@/)) {
        name = substr(rest, RSTART, RLENGTH)
        if (!(name in value))
            fail(name " is used but not defined above")
        out = out substr(rest, 1, RSTART - 1) value[name]
        rest = substr(rest, RSTART + RLENGTH)
    }
    print out rest
}
