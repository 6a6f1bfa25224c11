/**
 * @file smartcar/vehicle.h
 * @brief Typed shortcuts for C programs over sc_call().
 */
#ifndef SMARTCAR_VEHICLE_H
#define SMARTCAR_VEHICLE_H

#include "common.h"
#include "params.h"
#include "client.h"
#include "result.h"

SC_BEGIN_DECL

/** GET /user: data {id, meta}. */
SC_EXTERN(int) sc_get_user(sc_result **out, sc_client *client,
			   const char *access_token);

/**
 * GET /vehicles: data {vehicles: [ids], paging {count, offset}, meta}.
 * @param limit page size, or a negative value to let the server choose.
 * @param offset first index, or a negative value for none.
 */
SC_EXTERN(int) sc_get_vehicles(sc_result **out, sc_client *client,
			       const char *access_token, long limit,
			       long offset);

/**
 * Any per-vehicle call of the endpoint table by name ("location",
 * "lock", "set_charge_limit"...), with @p vehicle_id and @p access_token
 * added to @p options (which may carry "limit", "latitude"...).
 */
SC_EXTERN(int) sc_vehicle_call(sc_result **out, sc_client *client,
			       const char *endpoint, const char *vehicle_id,
			       const char *access_token,
			       const sc_params *options);

/**
 * GET /vehicles/{id}/odometer: data {distance, meta}.
 * @param options optional "unit_system", "version", "flags", timeouts.
 */
SC_EXTERN(int) sc_vehicle_odometer(sc_result **out, sc_client *client,
				   const char *vehicle_id,
				   const char *access_token,
				   const sc_params *options);

/**
 * The names a batch result gives the answer for @p path ("/odometer",
 * "battery/nominal_capacity", "/" for the attributes): @p name_out, the
 * endpoint's name for a path of the endpoint table, else the path with
 * every character other than letters, digits and '_' turned into '_'
 * (never empty, never starting with a digit, never "meta" or "errors");
 * @p alias_out, the official SDKs' attribute name, which differs for a
 * few paths ("battery_nominal_capacity").  Each out pointer may be NULL.
 * The "name" and "alias" fields of a batch result's responses hold the
 * same names.
 * @return 0, SC_EINVAL (no path) or SC_ENOMEM.
 * Ownership: the caller frees @p *name_out and @p *alias_out with
 * sc_free().
 */
SC_EXTERN(int) sc_batch_name(char **name_out, char **alias_out,
			     const char *path, sc_error **err_out);

SC_END_DECL

#endif
