// The OpenResty app again with its token sets in Redis
// (examples/openresty/run.sh --redis starts a private redis-server): the
// same steps, so login, the stored set and its one refresh after expiry
// go through smartcar.redis_store.
'use strict';

const resty = require('./openresty.test.js');

exports.label = 'openresty-redis';
exports.run = (t) => resty.runWith(t, ['--redis']);
