/*
 * common.c - helpers shared by every metric family: summary headers, text
 * and binary I/O of the header and of counts, overflow-checked counting
 * and the normal quantile function.
 */
#include "heartbeat.h"
#include "decimal.h"

#include <ctype.h>
#include <math.h>

#include "common/base64.h"
#include "common/int.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	hb_dec_init();				/* decimal.h's tables */
}


/* ---------- text ---------- */

static void
skip_space(HbTextReader *r)
{
	while (*r->p && isspace((unsigned char) *r->p))
		r->p++;
}

void
hb_text_bad(HbTextReader *r, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),	/* 22P02 from hb_input() */
			 errmsg("invalid input syntax for type %s: \"%s\"", r->typname, r->input),
			 errdetail("%s", detail),
			 errhint("Write it as heartbeat prints it, for example by casting a summary to text.")));
}

static void
expect(HbTextReader *r, const char *token)
{
	size_t		len = strlen(token);

	skip_space(r);
	if (strncmp(r->p, token, len) != 0)
		hb_text_bad(r, psprintf("Expected %s at character %d.", token,
								(int) (r->p - r->input) + 1));
	r->p += len;
}

static int64
read_int64(HbTextReader *r, const char *key)
{
	char	   *end;
	int64		v;

	skip_space(r);
	if (!(isdigit((unsigned char) *r->p) || *r->p == '-'))
		hb_text_bad(r, psprintf("Expected an integer for \"%s\".", key));
	errno = 0;
	v = strtoi64(r->p, &end, 10);
	if (errno == ERANGE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value for \"%s\" is out of range for type %s", key, r->typname),
				 errdetail("Counts are bigint: at most %lld.", (long long) PG_INT64_MAX)));
	if (end == r->p)
		hb_text_bad(r, psprintf("Expected an integer for \"%s\".", key));
	r->p = end;
	return v;
}

void
hb_text_begin(HbTextReader *r, const char *input, const char *typname)
{
	int64		version;

	r->input = input;
	r->p = input;
	r->typname = typname;
	expect(r, "{");
	expect(r, "\"version\"");
	expect(r, ":");
	version = read_int64(r, "version");
	hb_check_version(version, typname);
}

int64
hb_text_int64_field(HbTextReader *r, const char *key)
{
	expect(r, ",");
	expect(r, psprintf("\"%s\"", key));
	expect(r, ":");
	return read_int64(r, key);
}

char *
hb_text_value_field(HbTextReader *r, const char *key)
{
	const char *start;

	expect(r, ",");
	expect(r, psprintf("\"%s\"", key));
	expect(r, ":");
	skip_space(r);
	if (*r->p == '"')
	{
		start = ++r->p;
		while (*r->p && *r->p != '"' && *r->p != '\\')
			r->p++;
		if (*r->p != '"')
			hb_text_bad(r, psprintf("Unterminated string for \"%s\".", key));
		return pnstrdup(start, r->p++ - start);
	}
	start = r->p;
	while (*r->p && *r->p != ',' && *r->p != '}' && !isspace((unsigned char) *r->p))
		r->p++;
	if (r->p == start)
		hb_text_bad(r, psprintf("Expected a value for \"%s\".", key));
	if (r->p - start == 4 && strncmp(start, "null", 4) == 0)
		return NULL;
	return pnstrdup(start, r->p - start);
}

bool
hb_text_next_is(HbTextReader *r, const char *key)
{
	const char *p = r->p;
	size_t		len = strlen(key);

	while (*p && isspace((unsigned char) *p))
		p++;
	if (*p++ != ',')
		return false;
	while (*p && isspace((unsigned char) *p))
		p++;
	return *p == '"' && strncmp(p + 1, key, len) == 0 && p[len + 1] == '"';
}

void
hb_text_end(HbTextReader *r)
{
	expect(r, "}");
	skip_space(r);
	if (*r->p != '\0')
		hb_text_bad(r, psprintf("Unexpected text after the closing brace at character %d.",
								(int) (r->p - r->input) + 1));
}

void
hb_text_out_begin(StringInfo buf)
{
	initStringInfo(buf);
	appendStringInfo(buf, "{\"version\":%d", HB_FORMAT_VERSION);
}

void
hb_text_out_int64(StringInfo buf, const char *key, int64 value)
{
	appendStringInfo(buf, ",\"%s\":" INT64_FORMAT, key, value);
}

void
hb_text_out_raw(StringInfo buf, const char *key, const char *value, bool quote)
{
	if (value == NULL)
		appendStringInfo(buf, ",\"%s\":null", key);
	else if (quote)
		appendStringInfo(buf, ",\"%s\":\"%s\"", key, value);
	else
		appendStringInfo(buf, ",\"%s\":%s", key, value);
}

void
hb_text_out_end(StringInfo buf)
{
	appendStringInfoChar(buf, '}');
}

char *
hb_base64(const char *bytes, int len)
{
	char	   *out = palloc(pg_b64_enc_len(len) + 1);
	int			n = pg_b64_encode(HB_B64_BYTES(bytes), len, out, pg_b64_enc_len(len));

	out[n < 0 ? 0 : n] = '\0';
	return out;
}

char *
hb_unbase64(HbTextReader *r, const char *text, int *len)
{
	int			tlen = strlen(text);
	char	   *out = palloc(pg_b64_dec_len(tlen) + 1);

	*len = pg_b64_decode(text, tlen, (HB_B64_OUT) out, pg_b64_dec_len(tlen));
	if (*len < 0)
		hb_text_bad(r, "A base64 payload (sketch or pair list) is malformed.");
	return out;
}

/* ---------- statistics ---------- */

void
hb_check_percentile(double p)
{
	if (!(p >= 0.0 && p <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("percentile must be between 0 and 1, got %g", p),
				 errhint("Use for example 0.5 for the median or 0.9 for the 90th percentile.")));
}

/*
 * Quantile of the standard normal distribution.  A rational approximation
 * (P. J. Acklam's, relative error below 1.2e-9) refined by two Halley steps
 * on erfc, which brings it to double precision.
 */
double
hb_norm_quantile(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
		-2.759285104469687e+02, 1.383577518672690e+02,
	-3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
		-1.556989798598866e+02, 6.680131188771972e+01,
	-1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
		-2.400758277161838e+00, -2.549732539343734e+00,
	4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
	2.445134137142996e+00, 3.754408661907416e+00};
	const double plow = 0.02425;
	double		x;
	int			i;

	Assert(p > 0.0 && p < 1.0);
	if (p < plow || p > 1.0 - plow)
	{
		double		q = sqrt(-2.0 * log(p < plow ? p : 1.0 - p));

		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
		if (p > 1.0 - plow)
			x = -x;
	}
	else
	{
		double		q = p - 0.5;
		double		r = q * q;

		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
			(((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
	}
	for (i = 0; i < 2; i++)
	{
		double		e = 0.5 * erfc(-x / M_SQRT2) - p;
		double		u = e * sqrt(2.0 * M_PI) * exp(x * x / 2.0);

		x = x - u / (1.0 + x * u / 2.0);
	}
	return x;
}
