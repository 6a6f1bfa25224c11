// CPU per odometer() call of the official Node SDK (SMARTCAR_API_ORIGIN),
// in microseconds.  Used by bench/perf.py when tests/compat installed it.
const smartcar = require("smartcar");
const n = Number(process.argv[2]);
(async () => {
  const car = new smartcar.Vehicle("veh-1", "tok-1");
  await car.odometer();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await car.odometer();
  const c = process.cpuUsage(c0);
  console.log(((c.user + c.system) / n).toFixed(3));
})();
