/* Connect, private to connect.c (the flow: checks, decision, grants,
 * redirects, handlers) and connect_html.c (the pages). */
#ifndef EMU_CONNECT_H
#define EMU_CONNECT_H

#include "emu.h"

#define DEFAULT_EMAIL "owner@example.com"
#define SERVER_ERROR_EMAIL "smartcar@server-error.com"
#define INCOMPATIBLE_EMAIL "smartcar@vehicle-incompatible.com"
#define SUBSCRIPTION_EMAIL "smartcar@invalid-subscription.com"
#define NO_VEHICLES_EMAIL "smartcar@no-vehicles.com"
#define ANY_BRAND "ANY" /* brand page: share the whole fleet */

typedef struct perm {
  char *name;
  int required;
} perm;

int cn_nonempty(const char *s);
/* live, test or simulated as asked ("live" when absent). */
const char *cn_mode(const emu_kvlist *q);
/* The brand picked on the brand page when it counts (else NULL). */
const char *cn_picked_brand(const emu_kvlist *q);
int cn_single_select(const emu_kvlist *q);
/* The requested permissions ("required:" noted); no scope: defaults. */
perm *cn_parse_perms(const char *scope, size_t *n_out);
void cn_free_perms(perm *v, size_t n);

/* Pages (connect_html.c). */
enum MHD_Result cn_refusal_page(emu_req *r, const char *message);
enum MHD_Result cn_config_page(emu_req *r, const emu_kvlist *q,
                               const char *email, const char *message);
enum MHD_Result cn_preamble_page(emu_req *r, const emu_kvlist *q);
enum MHD_Result cn_brand_page(emu_req *r, const emu_kvlist *q,
                              const char *hint);
enum MHD_Result cn_login_page(emu_req *r, const emu_kvlist *q,
                              const char *email, const char *hint,
                              unsigned status);
/* cand: mask of the owner's vehicles on offer. Takes the state lock. */
enum MHD_Result cn_grant_page(emu_req *r, const emu_kvlist *q,
                              const char *email, unsigned cand,
                              const char *hint, unsigned status);

#endif
