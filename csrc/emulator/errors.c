/* The v2 error catalogue (spec section 4.2) and complete error bodies.
 *
 * Every type/code pair the Vehicle API can answer with has one row: its
 * HTTP status, an English description, the resolution type and the message
 * an app could show its user. The few descriptions the official SDK tests
 * compare verbatim are kept as the service words them; the rest are ours.
 * docURL is derived from the type and code. */
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

static const emu_error_def catalogue[] = {
    {"AUTHENTICATION", NULL, 401, NULL,
     "The authorization header is missing or malformed, or it contains "
     "invalid or expired authentication credentials. Please check for "
     "missing parameters, spelling and casing mistakes, and other syntax "
     "issues.",
     "Your vehicle's connection to this application was lost. Please "
     "reconnect your vehicle."},
    {"PERMISSION", NULL, 403, REAUTH,
     "Your application has insufficient permissions to access the requested "
     "resource. Please prompt the user to re-authenticate using Smartcar "
     "Connect.",
     "Please reconnect your vehicle and grant this application the "
     "permissions it needs."},
    {"VALIDATION", NULL, 400, NULL,
     "Request invalid or malformed. Please check for missing parameters, "
     "spelling and casing mistakes, and other syntax issues.",
     "This application sent an invalid request. Please try again later or "
     "contact the application's support."},
    {"VALIDATION", "PARAMETER", 400, NULL,
     "Request contains an invalid parameter. See `detail` for the parameter "
     "and the reason.",
     "This application sent an invalid request. Please try again later or "
     "contact the application's support."},
    {"RESOURCE_NOT_FOUND", "PATH", 404, NULL,
     "The requested resource does not exist. Please check the URL and try "
     "again.",
     "This application asked for something that does not exist. Please "
     "contact the application's support."},
    {"RESOURCE_NOT_FOUND", "VERSION", 404, NULL,
     "The requested API version does not exist. Please check the version in "
     "the URL.",
     "This application asked for something that does not exist. Please "
     "contact the application's support."},

    {"CONNECTED_SERVICES_ACCOUNT", "ACCOUNT_ISSUE", 400, NULL,
     "The owner's connected services account needs attention (for example "
     "unaccepted terms or an unverified email) before the request can be "
     "served.",
     "Please sign in to your vehicle's connected services app and resolve "
     "any open notices on your account."},
    {"CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", 400, REAUTH,
     "Smartcar could not sign in to the owner's connected services account; "
     "the credentials may have changed.",
     "Please reconnect your vehicle: the sign-in for your connected services "
     "account no longer works."},
    {"CONNECTED_SERVICES_ACCOUNT", "NO_VEHICLES", 400, NULL,
     "The owner's connected services account has no vehicles.",
     "Please add your vehicle to your connected services account and try "
     "again."},
    {"CONNECTED_SERVICES_ACCOUNT", "PERMISSION", 400, NULL,
     "The connected services account does not allow this request for the "
     "vehicle (for example a secondary driver account).",
     "Your connected services account is not allowed to do this. Please ask "
     "the vehicle's primary owner."},
    {"CONNECTED_SERVICES_ACCOUNT", "SUBSCRIPTION", 400, NULL,
     "The vehicle's connected services subscription is missing or has "
     "expired.",
     "Please renew your vehicle's connected services subscription."},
    {"CONNECTED_SERVICES_ACCOUNT", "VEHICLE_MISSING", 400, NULL,
     "The vehicle is no longer part of the owner's connected services "
     "account.",
     "Please add your vehicle back to your connected services account."},
    {"CONNECTED_SERVICES_ACCOUNT", "VIRTUAL_KEY_REQUIRED", 400, NULL,
     "The vehicle needs a virtual key for this application before it "
     "accepts the request.",
     "Please add this application's virtual key to your vehicle."},

    {"VEHICLE_STATE", "ASLEEP", 409, RETRY,
     "The vehicle is asleep and did not wake up to serve the request.",
     try_later},
    {"VEHICLE_STATE", "CHARGING_IN_PROGRESS", 409, NULL,
     "The vehicle cannot do this while it is charging.",
     "Please stop charging your vehicle and try again."},
    {"VEHICLE_STATE", "CHARGING_PLUG_CONNECTED", 409, NULL,
     "The vehicle cannot do this while the charging cable is plugged in.",
     "Please unplug your vehicle's charging cable and try again."},
    {"VEHICLE_STATE", "CHARGING_PLUG_NOT_CONNECTED", 409, NULL,
     "The charging cable is not plugged in to the vehicle.",
     "Please plug in your vehicle's charging cable and try again."},
    {"VEHICLE_STATE", "DOOR_OPEN", 409, NULL,
     "The vehicle cannot do this while a door is open.",
     "Please close all of your vehicle's doors and try again."},
    {"VEHICLE_STATE", "FULLY_CHARGED", 409, NULL,
     "The vehicle is already charged to its limit.",
     "Your vehicle is already fully charged."},
    {"VEHICLE_STATE", "HOOD_OPEN", 409, NULL,
     "The vehicle cannot do this while the hood is open.",
     "Please close your vehicle's hood and try again."},
    {"VEHICLE_STATE", "IGNITION_ON", 409, NULL,
     "The vehicle cannot do this while the ignition is on.",
     "Please turn your vehicle off and try again."},
    {"VEHICLE_STATE", "IN_MOTION", 409, NULL,
     "The vehicle cannot do this while it is moving.",
     "Please try again once your vehicle is parked."},
    {"VEHICLE_STATE", "LOW_BATTERY", 409, NULL,
     "The vehicle's battery is too low for this request.",
     "Please charge your vehicle and try again."},
    {"VEHICLE_STATE", "REMOTE_ACCESS_DISABLED", 409, NULL,
     "Remote access is turned off in the vehicle.",
     "Please turn on remote access in your vehicle's settings."},
    {"VEHICLE_STATE", "TRUNK_OPEN", 409, NULL,
     "The vehicle cannot do this while the trunk is open.",
     "Please close your vehicle's trunk and try again."},
    {"VEHICLE_STATE", "UNKNOWN", 409, RETRY,
     "The vehicle was unable to perform your request due to an unknown "
     "issue.",
     try_later},
    {"VEHICLE_STATE", "UNREACHABLE", 409, RETRY,
     "The vehicle has no network connection right now.", try_later},
    {"VEHICLE_STATE", "VEHICLE_OFFLINE_FOR_SERVICE", 409, NULL,
     "The vehicle is offline for service.",
     "Your vehicle is being serviced; please try again afterwards."},

    {"RATE_LIMIT", "SMARTCAR_API", 429, RETRY,
     "The application has sent too many requests. Please see the "
     "retry-after header for when to retry the request.",
     "This application is busy right now. Please try again in a moment."},
    {"RATE_LIMIT", "VEHICLE", 429, RETRY,
     "You have reached the throttling rate limit for this vehicle. Please "
     "see the retry-after header for when to retry the request.",
     "Your vehicle is temporarily unable to connect to this application. "
     "Please try again in a moment."},

    {"BILLING", "INVALID_PLAN", 430, SUPPORT,
     "The application's plan does not include this feature.", support},
    {"BILLING", "VEHICLE_LIMIT", 430, SUPPORT,
     "The application has reached the number of vehicles its plan allows.",
     support},
    {"BILLING", "VEHICLE_REQUEST_LIMIT", 430, SUPPORT,
     "The application has used up this vehicle's monthly request "
     "allowance.",
     support},
    {"BILLING", "ACCOUNT_SUSPENDED", 430, SUPPORT,
     "The application's Smartcar account is suspended.", support},

    {"COMPATIBILITY", "MAKE_NOT_COMPATIBLE", 501, NULL,
     "Smartcar does not support this vehicle's make.",
     "Your vehicle's brand is not supported by this application."},
    {"COMPATIBILITY", "SMARTCAR_NOT_CAPABLE", 501, NULL,
     "Smartcar does not yet support this request for this vehicle.",
     "This feature is not available for your vehicle yet."},
    {"COMPATIBILITY", "VEHICLE_NOT_CAPABLE", 501, NULL,
     "The vehicle is not capable of performing this request.",
     "Your vehicle does not support this feature."},
    {"COMPATIBILITY", "PLATFORM_NOT_CAPABLE", 501, REAUTH,
     "The request is not available on the platform the vehicle was "
     "connected with.",
     "Please reconnect your vehicle to use this feature."},

    {"UPSTREAM", "INVALID_DATA", 502, RETRY,
     "The vehicle's manufacturer returned data that could not be used.",
     try_later},
    {"UPSTREAM", "KNOWN_ISSUE", 502, RETRY,
     "The vehicle's manufacturer has a known problem serving this request.",
     try_later},
    {"UPSTREAM", "NO_RESPONSE", 502, RETRY,
     "The vehicle's manufacturer did not answer in time.", try_later},
    {"UPSTREAM", "RATE_LIMIT", 502, RETRY,
     "The vehicle's manufacturer is limiting requests for this vehicle.",
     try_later},
    {"UPSTREAM", "UNKNOWN_ISSUE", 502, RETRY,
     "The vehicle's manufacturer failed the request for an unknown reason.",
     try_later},

    {"SERVER", "INTERNAL", 500, RETRY,
     "Smartcar ran into an internal error.",
     "Something went wrong. Please try again later."},
    {"SERVER", "RECORD_NOT_FOUND", 500, SUPPORT,
     "Smartcar found no record to answer this request.", support},
    {"SERVER", "MULTIPLE_RECORDS_FOUND", 500, SUPPORT,
     "Smartcar found several records where it expected one.", support},
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

/* v1.0 names of the v2 types (spec 4.4); UPSTREAM, which v1 did not
 * have, answers as a server error. */
static const emu_pair v1_types[] = {
    {"VALIDATION", "validation_error"},
    {"AUTHENTICATION", "authentication_error"},
    {"PERMISSION", "permission_error"},
    {"RESOURCE_NOT_FOUND", "resource_not_found"},
    {"VEHICLE_STATE", "vehicle_state_error"},
    {"RATE_LIMIT", "rate_limiting_error"},
    {"BILLING", "monthly_limit_exceeded"},
    {"COMPATIBILITY", "vehicle_not_capable_error"},
    {"CONNECTED_SERVICES_ACCOUNT", "vehicle_owner_action_required"},
    {"SERVER", "server_error"},
    {"UPSTREAM", "server_error"},
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
