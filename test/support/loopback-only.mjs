// Preloaded with `node --import` into MCP servers whose CLI binds every interface when given
// only a port (server-everything's `app.listen(PORT)`): a listen call without a host binds
// 127.0.0.1 instead, so tests never expose a server beyond the machine.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [port, host] = args;
  const portOnly = typeof port === 'number' || (typeof port === 'string' && /^\d+$/.test(port));
  if (portOnly && typeof host !== 'string') args.splice(1, 0, '127.0.0.1');
  return listen.apply(this, args);
};
