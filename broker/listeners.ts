// Owns Kafka's listener settings: `listeners` (NAME://HOST:PORT, what the
// broker binds), `advertised.listeners` (what clients of each listener are
// told), `listener.security.protocol.map` and `inter.broker.listener.name`
// (which listener brokers use to reach each other). A request is answered
// with the addresses of the listener it came in on, as Kafka does, so one
// fleet can serve clients outside a container network on one listener and
// talk to itself on another. A listener's security protocol (PLAINTEXT,
// SSL, SASL_PLAINTEXT, SASL_SSL) says whether it speaks TLS and whether
// clients must authenticate with SASL; the inter-broker listener is
// PLAINTEXT so far (brokers have no credentials of their own yet).

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

/** One listener: where it binds, what its clients are told (port 0: the bound port), and its security protocol. */
export interface ListenerConfig {
  name: string;
  protocol: SecurityProtocol;
  host: string;
  port: number;
  advertisedHost: string;
  advertisedPort: number;
}

/** A listener's advertised address, as a broker registers it for the others. */
export interface ListenerEndpoint {
  name: string;
  host: string;
  port: number;
}

/** Kafka's default map: each protocol name is a listener name for itself. */
export const LISTENER_SECURITY_PROTOCOL_MAP_DEFAULT = 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL';
const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const isProtocol = (p: string): p is SecurityProtocol => (PROTOCOLS as readonly string[]).includes(p);

/** A listener setting that cannot be served; the config loader reports it as a ConfigError. */
export class ListenerConfigError extends Error {
  readonly code = 'FLOE_ERR_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ListenerConfigError';
  }
}

function parseList(setting: string, value: string): { name: string; host: string; port: number }[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '').map((entry) => {
    // NAME://HOST:PORT; HOST may be empty (all interfaces) or a bracketed IPv6 address.
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(entry);
    if (m === null) throw new ListenerConfigError(`${setting}: ${JSON.stringify(entry)} is not NAME://HOST:PORT`);
    const port = Number(m[3]);
    if (port > 65535) throw new ListenerConfigError(`${setting}: port ${port} of ${m[1]} is out of range`);
    return { name: m[1]!.toUpperCase(), host: m[2]!.replace(/^\[|\]$/g, ''), port };
  });
}

/**
 * The broker's listeners. Without `listeners`, one PLAINTEXT listener on
 * host:port, advertised as advertisedHost:advertisedPort (the flags floe
 * has always had).
 */
export function parseListeners(opts: {
  listeners: string | undefined; advertisedListeners: string | undefined; protocolMap: string; interBrokerListenerName: string | undefined;
  host: string; port: number; advertisedHost: string | undefined; advertisedPort: number | undefined;
}): { listeners: ListenerConfig[]; interBrokerListenerName: string } {
  let listeners: Omit<ListenerConfig, 'protocol'>[];
  if (opts.listeners === undefined) {
    listeners = [{ name: 'PLAINTEXT', host: opts.host, port: opts.port, advertisedHost: opts.advertisedHost ?? opts.host, advertisedPort: opts.advertisedPort ?? opts.port }];
  } else {
    const bound = parseList('listeners', opts.listeners);
    if (bound.length === 0) throw new ListenerConfigError('listeners is empty');
    const advertised = new Map(parseList('advertised.listeners', opts.advertisedListeners ?? '').map((l) => [l.name, l]));
    for (const name of advertised.keys()) {
      if (!bound.some((l) => l.name === name)) throw new ListenerConfigError(`advertised.listeners names ${name}, which is not in listeners`);
    }
    listeners = bound.map((l) => {
      const a = advertised.get(l.name);
      // An unset advertised host is the bind host, unless that is every interface: then the one given by advertised.host.
      const fallbackHost = l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? (opts.advertisedHost ?? '127.0.0.1') : l.host;
      return { name: l.name, host: l.host === '' ? '0.0.0.0' : l.host, port: l.port, advertisedHost: a?.host !== undefined && a.host !== '' ? a.host : fallbackHost, advertisedPort: a?.port ?? l.port };
    });
  }
  const names = new Set<string>();
  const ports = new Set<number>();
  for (const l of listeners) {
    if (names.has(l.name)) throw new ListenerConfigError(`listeners: ${l.name} is named twice`);
    if (l.port !== 0 && ports.has(l.port)) throw new ListenerConfigError(`listeners: port ${l.port} is used twice`);
    names.add(l.name);
    ports.add(l.port);
  }
  const map = new Map(opts.protocolMap.split(',').map((s) => s.trim()).filter((s) => s !== '').map((pair) => {
    const [name, protocol] = pair.split(':');
    if (name === undefined || protocol === undefined || name === '' || protocol === '') throw new ListenerConfigError(`listener.security.protocol.map: ${JSON.stringify(pair)} is not NAME:PROTOCOL`);
    return [name.toUpperCase(), protocol.toUpperCase()] as const;
  }));
  const withProtocols = listeners.map((l): ListenerConfig => {
    const protocol = map.get(l.name);
    if (protocol === undefined) throw new ListenerConfigError(`listener ${l.name} has no security protocol in listener.security.protocol.map`);
    if (!isProtocol(protocol)) throw new ListenerConfigError(`listener ${l.name}: unknown security protocol ${protocol} (PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)`);
    return { ...l, protocol };
  });
  const interBroker = opts.interBrokerListenerName?.toUpperCase() ?? withProtocols[0]!.name;
  const ib = withProtocols.find((l) => l.name === interBroker);
  if (ib === undefined) throw new ListenerConfigError(`inter.broker.listener.name ${interBroker} is not in listeners`);
  if (ib.protocol !== 'PLAINTEXT') throw new ListenerConfigError(`the inter-broker listener ${interBroker} must be PLAINTEXT for now (brokers have no credentials of their own yet); add a PLAINTEXT listener on a private address and name it in inter.broker.listener.name`);
  return { listeners: withProtocols, interBrokerListenerName: interBroker };
}

/** A registered broker's address on a listener; one registered without listeners (or without that one) by its only address. */
export function endpointOn(reg: { host: string; port: number; listeners?: ListenerEndpoint[] }, listener: string): { host: string; port: number } {
  const l = reg.listeners?.find((x) => x.name === listener);
  return l !== undefined ? { host: l.host, port: l.port } : { host: reg.host, port: reg.port };
}
