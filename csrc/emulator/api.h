/* Vehicle API v1.0/v2.0, private to api.c (the endpoint table, routing,
 * the checks, batch) and api_handlers.c (what each endpoint answers). */
#ifndef EMU_API_H
#define EMU_API_H

#include "emu.h"

/* Everything a handler needs, gathered under the lock. */
typedef struct call {
  emu_req *r;
  const emu_kvlist *query;
  const emu_grant *g;
  emu_user *owner;
  int index; /* of v in owner->vehicles */
  emu_vehicle *v;
  int imperial;
  int64_t now;
} call;

/* What to send once the lock is released. */
typedef struct outcome {
  int is_error;
  emu_error err;
  cJSON *body;
  int data_read; /* SC-Data-Age, SC-Fetched-At, SC-Unit-System */
  int imperial;
  int64_t now;
  int not_found; /* unknown path: 404 PATH */
} outcome;

/* Failures a handler (or the router) reports; sent once the lock is
 * released. */
void api_fail(outcome *o, const char *type, const char *code);
void api_fail_detail(outcome *o, const char *code, const char *field,
                     const char *msg);
void api_fail_retry(outcome *o, const char *code, int retry_after);
/* The request body as a JSON object, or a VALIDATION failure (NULL). */
cJSON *api_command_body(call *c, outcome *o);
/* ?limit (1..50, default def) & ?offset (>= 0); -1 with o failed. */
int api_parse_paging(const emu_kvlist *q, long def, long *limit,
                     long *offset, outcome *o);
/* {"count", "offset"} */
cJSON *api_paging(long count, long offset);

/* The endpoint handlers (api_handlers.c), lock held. */
void api_attributes(call *c, outcome *o);
void api_vin(call *c, outcome *o);
void api_odometer(call *c, outcome *o);
void api_location(call *c, outcome *o);
void api_fuel(call *c, outcome *o);
void api_battery(call *c, outcome *o);
void api_battery_capacity(call *c, outcome *o);
void api_nominal_capacity(call *c, outcome *o);
void api_charge(call *c, outcome *o);
void api_charge_limit(call *c, outcome *o);
void api_engine_oil(call *c, outcome *o);
void api_tire_pressure(call *c, outcome *o);
void api_security(call *c, outcome *o);
void api_service_history(call *c, outcome *o);
void api_system_status(call *c, outcome *o);
void api_dtcs(call *c, outcome *o);
void api_permissions(call *c, outcome *o);
void api_charge_command(call *c, outcome *o);
void api_set_charge_limit(call *c, outcome *o);
void api_lock_command(call *c, outcome *o);
void api_destination(call *c, outcome *o);
void api_disconnect(call *c, outcome *o);
void api_ammeter(call *c, outcome *o);
void api_set_ammeter(call *c, outcome *o);
void api_voltmeter(call *c, outcome *o);
void api_wattmeter(call *c, outcome *o);
void api_compass(call *c, outcome *o);
void api_speedometer(call *c, outcome *o);
void api_exterior(call *c, outcome *o);
void api_interior(call *c, outcome *o);
void api_user_access(call *c, outcome *o);
void api_tesla_battery(call *c, outcome *o);
void api_charge_completion(call *c, outcome *o);
void api_audi_charge(call *c, outcome *o);

#endif
