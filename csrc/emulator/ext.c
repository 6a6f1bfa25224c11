/* Routing for the parts served outside the Vehicle API table: management
 * connections, compatibility, webhook subscriptions (all under /v<x.y>),
 * the v3 client-credentials token endpoint and the webhook control API.
 * server.c asks here first; 0 means "not ours, route as usual". */
#include "emu.h"

#include <ctype.h>
#include <string.h>

int emu_ext_dispatch(emu_req *r, enum MHD_Result *ret) {
  const char *p = r->path;
  if (p[0] != '/') return 0;
  if (p[1] == 'v') {
    if (emu_redirect_route(r, ret)) return 1; /* redirect.c */
    const char *v = p + 2, *rest = strchr(v, '/');
    if (!rest || !emu_version_well_formed(v, (size_t)(rest - v))) return 0;
    return emu_management_route(r, rest, ret) ||
           emu_compatibility_route(r, rest, ret) ||
           emu_webhooks_route(r, rest, ret);
  }
  if (p[1] == 'o') return emu_iam_route(r, ret);
  if (p[1] == '_') {
    if (strcmp(p, "/_emulator/reset") == 0 && emu_method_is(r, "POST")) {
      /* ours first; the control API then resets the rest and answers */
      emu_management_reset();
      emu_webhooks_reset();
      emu_iam_reset();
      emu_v3_commands_reset();
      return 0;
    }
    return emu_v3_commands_control(r, ret) ||
           emu_webhooks_control_route(r, ret);
  }
  return 0;
}
