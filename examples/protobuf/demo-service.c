// SPDX-License-Identifier: MIT
/*
 * The example service's implementation: the functions protoc-c's
 * generated FIPCDEMO__DEMO__INIT() table points to.  Each answers by
 * calling its closure with the output (or fastipc_pb_reply_error()).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <fastipc-protobuf.h>

#include "demo.pb-c.h"
#include "demo-service.h"

static void demo_upcase(Fipcdemo__Demo_Service *service,
			const Fipcdemo__Text *in,
			Fipcdemo__Text_Closure closure, void *closure_data)
{
	Fipcdemo__Text out = FIPCDEMO__TEXT__INIT;
	size_t i, n = strlen(in->text);

	out.text = malloc(n + 1);
	if (!out.text) {
		fastipc_pb_reply_error(closure_data, ENOMEM);
		return;
	}
	for (i = 0; i <= n; i++)
		out.text[i] = toupper((unsigned char)in->text[i]);
	closure(&out, closure_data);
	free(out.text);
}

static void demo_add(Fipcdemo__Demo_Service *service,
		     const Fipcdemo__Numbers *in,
		     Fipcdemo__Total_Closure closure, void *closure_data)
{
	Fipcdemo__Total out = FIPCDEMO__TOTAL__INIT;
	size_t i;

	for (i = 0; i < in->n_values; i++)
		out.total += in->values[i];
	closure(&out, closure_data);
}

static void demo_echo(Fipcdemo__Demo_Service *service,
		      const Fipcdemo__Blob *in,
		      Fipcdemo__Blob_Closure closure, void *closure_data)
{
	Fipcdemo__Blob out = FIPCDEMO__BLOB__INIT;

	out.data = in->data;
	closure(&out, closure_data);
}

static void demo_fail(Fipcdemo__Demo_Service *service,
		      const Fipcdemo__Text *in,
		      Fipcdemo__Empty_Closure closure, void *closure_data)
{
	if (!strcmp(in->text, "EACCES"))
		fastipc_pb_reply_error(closure_data, EACCES);
	else if (!strcmp(in->text, "ENOSPC"))
		fastipc_pb_reply_error(closure_data, ENOSPC);
	else
		closure(NULL, closure_data);	/* the caller gets -EIO */
}

Fipcdemo__Demo_Service demo_service = FIPCDEMO__DEMO__INIT(demo_);
