/* The one make table: the brands Connect offers, each make's test
 * vehicles (a typical current model, its powertrain and VIN prefix), the
 * manufacturer codes (WMI, VIN characters 1-3) and first model year that
 * decide compatibility by VIN, and the segment of its make-specific paths.
 * state.c builds the fleets from it, connect.c the brand page,
 * management.c compatibility and the compatibility matrix, api.c the
 * make-specific endpoints.
 *
 * The first three models (Tesla Model 3, Toyota RAV4 Prime, Ford F-150)
 * are every owner's base fleet, in that order. */
#include "emu.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const emu_make makes[] = {
    {"TESLA", "Tesla", {"5YJ", "7SA", "LRW", "XP7"}, 2012, "tesla",
     "US CA EUROPE",
     {{"Model 3", 2020, EMU_BEV, "5YJ3E1EA", 'F', 2017},
      {"Model Y", 2023, EMU_BEV, "7SAYGDEE", 'A', 2020}}},
    {"TOYOTA", "Toyota", {"JTM", "JTD", "4T1", "5TD"}, 2018, NULL,
     "US CA EUROPE",
     {{"RAV4 Prime", 2022, EMU_PHEV, "JTMEB3FV", 'D', 2021},
      {"bZ4X", 2023, EMU_BEV, "JTMABABA", 'J', 2023}}},
    {"FORD", "Ford", {"1FT", "1FA", "1FM", "3FM"}, 2018, NULL,
     "US CA EUROPE",
     {{"F-150", 2019, EMU_ICE, "1FTEW1E5", 'F', 2018},
      {"Mustang Mach-E", 2023, EMU_BEV, "3FMTK3SU", 'M', 2021}}},
    {"AUDI", "Audi", {"WAU", "WA1", "WUA"}, 2018, "audi",
     "US CA EUROPE",
     {{"Q4 e-tron", 2023, EMU_BEV, "WA1AUBFZ", 'Z', 2022},
      {"A4", 2022, EMU_ICE, "WAUEAAF4", 'A', 2018}}},
    {"BMW", "BMW", {"WBA", "WBY", "5UX"}, 2018, NULL,
     "US CA EUROPE",
     {{"i4", 2023, EMU_BEV, "WBY73AW0", 'N', 2022},
      {"X5 xDrive50e", 2024, EMU_PHEV, "5UXTA6C0", '9', 2019}}},
    {"CADILLAC", "Cadillac", {"1GY", "1G6"}, 2018, "cadillac",
     "US CA",
     {{"LYRIQ", 2024, EMU_BEV, "1GYKPMRL", 'Z', 2023},
      {"Escalade", 2023, EMU_ICE, "1GYS4CKL", 'R', 2018}}},
    {"CHEVROLET", "Chevrolet", {"1G1", "1GC", "3GN", "1GN"}, 2016,
     "chevrolet", "US CA",
     {{"Bolt EV", 2023, EMU_BEV, "1G1FY6S0", '4', 2017},
      {"Silverado 1500", 2022, EMU_ICE, "1GCUYDED", 'Z', 2018}}},
    {"HYUNDAI", "Hyundai", {"KMH", "KM8", "5NM"}, 2019, NULL,
     "US CA EUROPE",
     {{"IONIQ 5", 2023, EMU_BEV, "KM8KNDAF", 'U', 2022},
      {"Tucson Plug-in Hybrid", 2023, EMU_PHEV, "KM8JECD1", 'U', 2022}}},
    {"KIA", "Kia", {"KNA", "KND", "5XY"}, 2019, NULL,
     "US CA EUROPE",
     {{"EV6", 2023, EMU_BEV, "KNDC4DLC", '5', 2022},
      {"Sportage", 2023, EMU_ICE, "5XYK33AF", 'G', 2020}}},
    {"MERCEDES_BENZ", "Mercedes-Benz", {"WDD", "W1K", "W1N", "4JG"}, 2018,
     NULL, "US CA EUROPE",
     {{"EQE", 2023, EMU_BEV, "W1KCG2DB", 'A', 2023},
      {"GLC 300", 2023, EMU_ICE, "W1NKM4HB", 'F', 2019}}},
    {"NISSAN", "Nissan", {"1N4", "JN1", "JN8", "5N1"}, 2018, NULL,
     "US CA EUROPE",
     {{"LEAF", 2022, EMU_BEV, "1N4AZ1CV", 'C', 2018},
      {"Rogue", 2023, EMU_ICE, "JN8BT3BB", 'W', 2021}}},
    {"RIVIAN", "Rivian", {"7FC", "7PD"}, 2022, NULL,
     "US CA",
     {{"R1T", 2023, EMU_BEV, "7FCTGAAA", 'N', 2022},
      {"R1S", 2023, EMU_BEV, "7PDSGABA", 'N', 2022}}},
    {"VOLKSWAGEN", "Volkswagen", {"WVW", "WVG", "1V2", "3VV"}, 2018, NULL,
     "US CA EUROPE",
     {{"ID.4", 2023, EMU_BEV, "1V2WNPE8", 'C', 2021},
      {"Tiguan", 2022, EMU_ICE, "3VV3B7AX", 'M', 2018}}},
    {"VOLVO", "Volvo", {"YV1", "YV4", "7JR"}, 2018, NULL,
     "US CA EUROPE",
     {{"XC40 Recharge", 2023, EMU_BEV, "YV4ED3UR", '2', 2021},
      {"XC60 Recharge", 2023, EMU_PHEV, "YV4H60DL", '1', 2018}}},
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
