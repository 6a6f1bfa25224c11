/**
 * @file smartcar.h
 * @brief libsmartcar: a client for the Smartcar platform (Connect, token
 *        exchange and refresh, Vehicle API).
 *
 * Memory: every object handed out through a `T **out` parameter belongs to
 * the caller and is freed with its own `sc_T_free`; every `char **out`
 * string is freed with sc_free().  `const` pointers returned by getters are
 * borrowed from their parent object and live as long as it does.
 *
 * Errors: functions return 0 on success and a negative SC_E* code on
 * failure.  The details of a failed operation live in the object the
 * operation returned (an sc_result, or an sc_error), never in a global.
 *
 * Threads: call sc_global_init() once before starting threads.  An
 * sc_client may be shared between threads; every other object is used by
 * one thread at a time.
 */
#ifndef SMARTCAR_H
#define SMARTCAR_H

#include "smartcar/common.h"
#include "smartcar/errors.h"
#include "smartcar/params.h"
#include "smartcar/client.h"
#include "smartcar/result.h"
#include "smartcar/auth.h"
#include "smartcar/call.h"
#include "smartcar/vehicle.h"
#include "smartcar/webhooks.h"
#include "smartcar/signals.h"
#include "smartcar/store.h"
#include "smartcar/paging.h"
#include "smartcar/async.h"
#include "smartcar/sys/store.h"
#include "smartcar/bind.h"

#endif
