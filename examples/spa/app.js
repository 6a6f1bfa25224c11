// The single-page app: Connect in a popup through the official
// @smartcar/auth SDK; the code the SDK's redirect page hands back is posted
// to the back end (examples/webapp), which checks the state, exchanges the
// code and keeps the tokens.  The page only ever sees its own session
// cookie, never a Smartcar token.
'use strict';

const $ = (id) => document.getElementById(id);
let config;     // from GET /api/spa/config: client id, redirect URI, state...
let smartcar;   // the SDK instance

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': config ? config.csrf : '' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(data.message || data.error);
  return data;
}

function say(text) {
  $('message').textContent = text;
  $('message').hidden = !text;
}

function fmt(n, digits = 0) {
  return n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function card(v) {
  const el = document.createElement('article');
  el.className = 'vehicle';
  el.dataset.vehicleId = v.id;
  const h = document.createElement('h2');
  h.className = 'name';
  h.textContent = `${v.make || 'Vehicle'} ${v.model || ''} `;
  const year = document.createElement('span');
  year.className = 'year';
  year.textContent = v.year;
  h.append(year);
  const dl = document.createElement('dl');
  const row = (label, cls, text) => {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.className = cls;
    dd.textContent = text;
    dl.append(dt, dd);
  };
  row('Odometer', 'odometer', v.odometer_km === null ? '—' : `${fmt(v.odometer_km)} km`);
  if (v.energy) {
    row(v.energy.kind === 'battery' ? 'Battery' : 'Fuel', 'energy',
      `${fmt(v.energy.percent * 100)}%` + (v.energy.range_km === null ? '' : ` · ${fmt(v.energy.range_km)} km range`));
  }
  row('Location', 'location', v.location ? `${fmt(v.location.latitude, 4)}, ${fmt(v.location.longitude, 4)}` : '—');
  row('Doors', 'lock-state', v.locked === null ? '—' : (v.locked ? 'Locked' : 'Unlocked'));
  const actions = document.createElement('div');
  actions.className = 'actions';
  for (const action of ['lock', 'unlock']) {
    const b = document.createElement('button');
    b.className = action;
    b.textContent = action === 'lock' ? 'Lock' : 'Unlock';
    b.disabled = action === 'lock' ? v.locked === true : v.locked === false;
    b.onclick = async () => {
      b.disabled = true;
      try {
        const { vehicle } = await api('POST', `/api/vehicles/${encodeURIComponent(v.id)}/${action}`);
        el.replaceWith(card(vehicle));
      } catch (e) {
        say(e.message);
        b.disabled = false;
      }
    };
    actions.append(b);
  }
  el.append(h);
  if (v.error) {
    const p = document.createElement('p');
    p.className = 'error car-error';
    p.textContent = `Access to this car ended (${v.error}). Connect it again.`;
    el.append(p);
  }
  el.append(dl, actions);
  return el;
}

function show({ connected, vehicles }) {
  $('welcome').hidden = connected;
  $('garage').hidden = !connected;
  $('vehicles').replaceChildren(...vehicles.map(card));
}

// The SDK calls this when its redirect page posts the result from the
// popup; `state` is the one the back end issued (the SDK wraps and unwraps
// it around its own instance id).
async function onComplete(err, code, state) {
  if (err) {
    say(`Connect did not finish: ${err.message}`);
    return;
  }
  try {
    show(await api('POST', '/api/spa/exchange', { code, state }));
    say('');
  } catch (e) {
    say(e.message);
  }
  await loadConfig(); // a fresh state for the next Connect
}

async function loadConfig() {
  config = await (await fetch('/api/spa/config')).json();
  if (smartcar) smartcar.unmount(); // stop the old instance listening
  smartcar = new Smartcar({
    clientId: config.client_id,
    redirectUri: config.redirect_uri,
    scope: config.scope,
    mode: config.mode,
    onComplete,
  });
}

$('connect').onclick = () => {
  if (config.connect_origin) {
    // The SDK always opens https://connect.smartcar.com; against another
    // server (smartcar-emulator) open its own Connect with the same URL.
    const url = smartcar.getAuthUrl({ state: config.state })
      .replace('https://connect.smartcar.com', config.connect_origin);
    window.open(url, 'Connect', 'popup,width=430,height=680');
  } else {
    smartcar.openDialog({ state: config.state });
  }
};

$('disconnect').onclick = async () => {
  show(await api('POST', '/api/disconnect'));
  say('Disconnected. The app no longer has access to your car.');
};

(async () => {
  await loadConfig();
  show(await api('GET', '/api/vehicles'));
})();
