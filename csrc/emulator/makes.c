/* The one make table (declared in makes.def): the brands Connect offers,
 * each make's test vehicles (a typical current model, its powertrain and
 * VIN prefix), the manufacturer codes (WMI, VIN characters 1-3) and first
 * model year that decide compatibility by VIN, and the segment of its
 * make-specific paths. state.c builds the fleets from it, connect.c the
 * brand page, management.c compatibility and the compatibility matrix,
 * api.c the make-specific endpoints. */
#include "emu.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const emu_make makes[] = {
#define WMI(...) {__VA_ARGS__}
#define MODEL(...) {__VA_ARGS__}
#define EMU_MAKE(id, label, wmi, first_year, segment, regions, ...) \
  {id, label, wmi, first_year, segment, regions, {__VA_ARGS__}},
#include "makes.def"
};

const emu_make *emu_makes(size_t *n) {
  *n = sizeof makes / sizeof *makes;
  return makes;
}

const emu_make *emu_make_find(const char *id) {
  for (size_t i = 0; i < sizeof makes / sizeof *makes; i++)
    if (id && emu_strcaseeq(makes[i].id, id)) return &makes[i];
  return NULL;
}

size_t emu_make_models(const emu_make *m) {
  size_t n = 0;
  while (n < EMU_MAKE_MODELS && m->models[n].model) n++;
  return n;
}

const emu_make *emu_make_by_segment(const char *segment, size_t len) {
  for (size_t i = 0; i < sizeof makes / sizeof *makes; i++) {
    const char *s = makes[i].segment;
    if (s && strlen(s) == len && strncmp(s, segment, len) == 0)
      return &makes[i];
  }
  return NULL;
}

/* Model year from VIN character 10, whose codes repeat every 30 years.
 * North American VINs (WMI 1-5) say which cycle: a letter in position 7
 * means 2010-2039, a digit 1980-2009. Others get the latest cycle that is
 * not after next year (on the emulator clock). 0 if the character is not
 * a year code. */
int emu_vin_model_year(const char *vin) {
  static const char codes[] = "ABCDEFGHJKLMNPRSTVWXY123456789";
  if (strlen(vin) < 10) return 0;
  const char *p = strchr(codes, toupper((unsigned char)vin[9]));
  if (!vin[9] || !p) return 0;
  int year = 1980 + (int)(p - codes);
  if (vin[0] >= '1' && vin[0] <= '5')
    return isalpha((unsigned char)vin[6]) ? year + 30 : year;
  time_t now = (time_t)(emu_now_ms() / 1000);
  struct tm tm;
  gmtime_r(&now, &tm);
  return year + 30 <= tm.tm_year + 1900 + 1 ? year + 30 : year;
}

const emu_make *emu_vin_make(const char *vin, const emu_model **model) {
  if (model) *model = NULL;
  for (size_t i = 0; i < sizeof makes / sizeof *makes; i++) {
    const emu_make *m = &makes[i];
    int hit = 0;
    for (size_t k = 0; k < EMU_MAKE_WMIS && m->wmi[k]; k++)
      if (strncasecmp(vin, m->wmi[k], 3) == 0) hit = 1;
    if (!hit) continue;
    if (model)
      for (size_t k = 0; k < emu_make_models(m); k++)
        if (strncasecmp(vin, m->models[k].vin_prefix, 8) == 0)
          *model = &m->models[k];
    return m;
  }
  return NULL;
}

/* A year code for VIN character 10 (2010-2039 cycle). */
char emu_vin_year_code(int year) {
  static const char codes[] = "ABCDEFGHJKLMNPRSTVWXY123456789";
  return year >= 2010 && year < 2040 ? codes[year - 2010] : '0';
}
