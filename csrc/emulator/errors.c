/* The v2 error catalogue (spec section 4.2, declared in api_errors.def)
 * and complete error bodies: v2, v1.0 and, through v3.c, v3.
 *
 * Every type/code pair the Vehicle API can answer with has one row: an
 * English description, the resolution type and the message an app could
 * show its user; its type gives the HTTP status. docURL is derived from
 * the type and code. */
#include "emu.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY "RETRY_LATER"
#define REAUTH "REAUTHENTICATE"
#define SUPPORT "CONTACT_SUPPORT"

static const char try_later[] =
    "Your vehicle could not be reached right now. Please try again later.";
static const char support[] =
    "There is a problem with this application's Smartcar account. Please "
    "contact the application's support.";

/* The HTTP status of each error type: STATUS_<TYPE>. */
enum {
#define EMU_API_ERROR_TYPE(type, status, v1) STATUS_##type = status,
#define EMU_API_ERROR(type, code, resolution, description, user_message)
#include "api_errors.def"
};

static const emu_error_def catalogue[] = {
#define EMU_API_ERROR_TYPE(type, status, v1)
#define EMU_API_ERROR(type, code, resolution, description, user_message) \
  {#type, code, STATUS_##type, resolution, description, user_message},
#include "api_errors.def"
};

const emu_error_def *emu_error_catalogue(size_t *n) {
  *n = sizeof catalogue / sizeof *catalogue;
  return catalogue;
}

static int code_eq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

const emu_error_def *emu_error_find(const char *type, const char *code) {
  for (size_t i = 0; i < sizeof catalogue / sizeof *catalogue; i++)
    if (strcmp(catalogue[i].type, type) == 0 &&
        code_eq(catalogue[i].code, code))
      return &catalogue[i];
  return NULL;
}

/* The exact row, else the first row of the type (for its resolution and
 * user message), else NULL. */
static const emu_error_def *closest(const char *type, const char *code) {
  const emu_error_def *d = emu_error_find(type, code);
  for (size_t i = 0; !d && i < sizeof catalogue / sizeof *catalogue; i++)
    if (strcmp(catalogue[i].type, type) == 0) d = &catalogue[i];
  return d;
}

/* "RESOURCE_NOT_FOUND" -> "resource-not-found" */
static void slug(emu_buf *b, const char *s) {
  char c[2] = {0, 0};
  for (; *s; s++) {
    c[0] = *s == '_' ? '-' : (char)tolower((unsigned char)*s);
    emu_buf_put(b, c, 1);
  }
}

cJSON *emu_error_json(emu_error *e, const char *request_id) {
  const emu_error_def *d = closest(e->type, e->code);
  unsigned status = e->status ? e->status : d ? d->status : 500;
  const char *desc = e->description ? e->description
                     : d            ? d->description
                                    : "An error occurred.";
  const char *resolution = e->resolution_set ? e->resolution
                           : d               ? d->resolution
                                             : NULL;
  const char *message =
      d ? d->user_message : "Something went wrong. Please try again later.";
  e->status = status;

  emu_buf url = {0};
  emu_buf_puts(&url, "https://smartcar.com/docs/errors/api-errors/");
  slug(&url, e->type);
  emu_buf_puts(&url, "-errors#");
  if (e->code)
    slug(&url, e->code);
  else
    emu_buf_puts(&url, "null");

  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", e->type);
  emu_json_str_or_null(o, "code", e->code);
  cJSON_AddStringToObject(o, "description", desc);
  cJSON_AddStringToObject(o, "docURL", url.p);
  cJSON_AddNumberToObject(o, "statusCode", status);
  cJSON_AddStringToObject(o, "requestId", request_id);
  cJSON *res = cJSON_AddObjectToObject(o, "resolution");
  emu_json_str_or_null(res, "type", resolution);
  if (resolution && e->code && strcmp(e->code, "AUTHENTICATION_FAILED") == 0) {
    /* a partly built re-authentication URL, as the service sends */
    emu_buf u = {0};
    emu_buf_puts(&u, "https://connect.smartcar.com/oauth/reauthenticate?"
                     "response_type=vehicle_id&client_id=");
    emu_buf_pct(&u, emu_cfg.client_id);
    cJSON_AddStringToObject(res, "url", u.p ? u.p : "");
    emu_buf_free(&u);
  }
  cJSON_AddStringToObject(o, "suggestedUserMessage", message);
  if (e->detail &&
      (strcmp(e->type, "VALIDATION") == 0 ||
       (e->code && strcmp(e->code, "MULTIPLE_RECORDS_FOUND") == 0)))
    cJSON_AddItemToObject(o, "detail", e->detail);
  else
    cJSON_Delete(e->detail);
  e->detail = NULL;
  emu_buf_free(&url);
  return o;
}

/* v1.0 names of the v2 types (spec 4.4). */
static const emu_pair v1_types[] = {
#define EMU_API_ERROR_TYPE(type, status, v1) {#type, v1},
#define EMU_API_ERROR(type, code, resolution, description, user_message)
#include "api_errors.def"
};

/* v1.0 codes where spec 4.4 gives one; otherwise the v2 code. */
static const emu_pair v1_codes[] = {
    {"UNKNOWN", "VS_000"},          {"DOOR_OPEN", "VS_001"},
    {"TRUNK_OPEN", "VS_002"},       {"HOOD_OPEN", "VS_003"},
    {"AUTHENTICATION_FAILED", "VOA_000"}, {"SUBSCRIPTION", "VOA_001"},
};

cJSON *emu_error_json_v1(emu_error *e, const char *request_id) {
  cJSON *v2 = emu_error_json(e, request_id); /* fills e->status */
  const char *error = emu_pair_find(
      v1_types, sizeof v1_types / sizeof *v1_types, e->type);
  const char *code = e->code;
  const char *code1 = emu_pair_find(v1_codes,
                                    sizeof v1_codes / sizeof *v1_codes, code);
  if (!error) error = "server_error";
  if (code && strcmp(code, "SMARTCAR_NOT_CAPABLE") == 0)
    error = "smartcar_not_capable_error";
  if (code1) code = code1;
  const char *message =
      code && strcmp(e->code, "VEHICLE_NOT_CAPABLE") == 0
          ? "Vehicle is not capable of performing request."
          : cJSON_GetObjectItemCaseSensitive(v2, "description")->valuestring;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "error", error);
  cJSON_AddStringToObject(o, "message", message);
  if (code) cJSON_AddStringToObject(o, "code", code);
  cJSON_AddNumberToObject(o, "statusCode", e->status);
  cJSON_AddStringToObject(o, "requestId", request_id);
  cJSON_Delete(v2);
  return o;
}

int emu_path_is_v1(const char *path) { return strncmp(path, "/v1.", 4) == 0; }

cJSON *emu_error_json_for(const char *path, emu_error *e,
                          const char *request_id) {
  if (emu_path_is_v3(path)) /* v3.c: JSON:API errors */
    return emu_error_json_v3(e, request_id);
  if (emu_path_is_v1(path)) return emu_error_json_v1(e, request_id);
  return emu_error_json(e, request_id);
}

cJSON *emu_error_detail(const char *field, const char *message) {
  cJSON *detail = cJSON_CreateArray();
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "field", field);
  cJSON_AddStringToObject(d, "message", message);
  cJSON_AddItemToArray(detail, d);
  return detail;
}

enum MHD_Result emu_respond_err(emu_req *r, emu_error *e) {
  cJSON *body = emu_error_json_for(r->path, e, r->request_id);
  char ra[24];
  emu_hdr h[1];
  size_t nh = 0;
  if (e->retry_after > 0) {
    snprintf(ra, sizeof ra, "%d", e->retry_after);
    h[nh].name = MHD_HTTP_HEADER_RETRY_AFTER;
    h[nh++].value = ra;
  }
  return emu_respond_json(r, e->status, body, h, nh);
}
