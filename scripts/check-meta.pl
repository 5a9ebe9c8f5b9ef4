#!/usr/bin/perl
# Checks META.json against the PGXN Meta Spec 1.0.0 (required keys, value
# forms) and that its versions agree with heartbeat.control.
use strict;
use warnings;
use JSON::PP;

my @fail;
open my $fh, '<', 'META.json' or die "META.json: $!\n";
my $meta = eval { decode_json(do { local $/; <$fh> }) } or die "META.json is not valid JSON: $@";
open my $cf, '<', 'heartbeat.control' or die "heartbeat.control: $!\n";
my ($control) = map { /^default_version\s*=\s*'([^']+)'/ ? $1 : () } <$cf>;

my $semver = qr/^\d+\.\d+\.\d+(?:-[0-9A-Za-z-]+)?$/;
for my $k (qw(name abstract version maintainer license provides meta-spec)) {
    push @fail, "missing required key \"$k\"" unless exists $meta->{$k};
}
push @fail, "name must be a string of letters, digits, - or _" unless ($meta->{name} // '') =~ /^[A-Za-z0-9_-]+$/;
push @fail, "version \"$meta->{version}\" is not semantic" unless ($meta->{version} // '') =~ $semver;
push @fail, "meta-spec version must be 1.0.0" unless ($meta->{'meta-spec'}{version} // '') eq '1.0.0';
my $m = $meta->{maintainer};
push @fail, "maintainer must be a string or a non-empty list" unless defined $m && (!ref $m || (ref $m eq 'ARRAY' && @$m));
my %licenses = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1 artistic_2 bsd freebsd gfdl_1_2
    gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0 mit mozilla_1_0 mozilla_1_1 openssl perl_5 postgresql qpl_1_0
    ssleay sun zlib open_source restricted unrestricted unknown);
push @fail, "license \"$meta->{license}\" is not a PGXN license name" unless !ref $meta->{license} && $licenses{$meta->{license} // ''};
push @fail, "release_status must be stable, testing or unstable"
    if exists $meta->{release_status} && $meta->{release_status} !~ /^(stable|testing|unstable)$/;
for my $ext (keys %{ $meta->{provides} // {} }) {
    my $p = $meta->{provides}{$ext};
    push @fail, "provides.$ext needs file and version" unless $p->{file} && $p->{version};
    push @fail, "provides.$ext.version is not semantic" unless ($p->{version} // '') =~ $semver;
    push @fail, "provides.$ext.version $p->{version} differs from heartbeat.control $control"
        if $ext eq 'heartbeat' && ($p->{version} // '') ne $control;
    push @fail, "provides.$ext.file should be heartbeat--$control.sql"
        if $ext eq 'heartbeat' && ($p->{file} // '') ne "heartbeat--$control.sql";
}
push @fail, "version $meta->{version} differs from heartbeat.control $control" unless ($meta->{version} // '') eq $control;
# The Debian package's version, debian/changelog's first entry, too.
if (open my $dc, '<', 'debian/changelog') {
    my ($deb) = (<$dc> // '') =~ /^heartbeat \(([^)-]+)/;
    push @fail, "debian/changelog's version " . ($deb // '?') . " differs from heartbeat.control $control"
        unless ($deb // '') eq $control;
}

if (@fail) { print STDERR "META.json: $_\n" for @fail; exit 1 }
print "META.json: valid PGXN meta (spec 1.0.0), version $control everywhere\n";
