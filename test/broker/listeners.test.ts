// Kafka's listener settings as floe reads them: the default single PLAINTEXT
// listener from --host/--port, several named listeners with their advertised
// addresses, the inter-broker listener, and the mistakes that must stop a
// broker at start with a message that names them.

import { expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../broker/config.ts';
import { endpointOn } from '../../broker/listeners.ts';

it('without listeners: one PLAINTEXT listener from --host/--port, advertised as --advertised-host/--advertised-port', () => {
  const c = loadConfig(['--host', '0.0.0.0', '--port', '9093', '--advertised-host', 'kafka.example', '--advertised-port', '19093'], {});
  expect(c.listeners).toEqual([{ name: 'PLAINTEXT', protocol: 'PLAINTEXT', host: '0.0.0.0', port: 9093, advertisedHost: 'kafka.example', advertisedPort: 19093 }]);
  expect(c.interBrokerListenerName).toBe('PLAINTEXT');
});

it('named listeners, each advertised as configured or as itself; the inter-broker one by name', () => {
  const c = loadConfig([
    '--listeners', 'INTERNAL://0.0.0.0:19092,external://127.0.0.1:9092',
    '--advertised-listeners', 'INTERNAL://floe-1:19092,EXTERNAL://localhost:9092',
    '--listener-security-protocol-map', 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT',
    '--inter-broker-listener-name', 'INTERNAL',
  ], {});
  expect(c.listeners).toEqual([
    { name: 'INTERNAL', protocol: 'PLAINTEXT', host: '0.0.0.0', port: 19092, advertisedHost: 'floe-1', advertisedPort: 19092 },
    { name: 'EXTERNAL', protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092, advertisedHost: 'localhost', advertisedPort: 9092 },
  ]);
  expect(c.interBrokerListenerName).toBe('INTERNAL');
  // The first listener is what --host/--port used to be.
  expect([c.host, c.port]).toEqual(['0.0.0.0', 19092]);
  const bare = loadConfig(['--listeners', 'PLAINTEXT://127.0.0.1:9092,SECOND://127.0.0.1:9093', '--listener-security-protocol-map', 'PLAINTEXT:PLAINTEXT,SECOND:PLAINTEXT'], {});
  expect(bare.listeners.map((l) => `${l.advertisedHost}:${l.advertisedPort}`)).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
  expect(bare.interBrokerListenerName).toBe('PLAINTEXT');
});

it('refuses what it cannot serve or does not understand, naming the setting', () => {
  const bad = (args: string[]): string => {
    try {
      loadConfig(args, {});
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error(`accepted ${args.join(' ')}`);
  };
  expect(bad(['--listeners', 'SASL_SSL://127.0.0.1:9093'])).toMatch(/inter-broker listener SASL_SSL must be PLAINTEXT/);
  expect(bad(['--listeners', 'PLAINTEXT://127.0.0.1:9092,X://127.0.0.1:9093', '--listener-security-protocol-map', 'PLAINTEXT:PLAINTEXT,X:TLS'])).toMatch(/unknown security protocol TLS/);
  expect(bad(['--listeners', 'CLIENT://127.0.0.1:9093'])).toMatch(/CLIENT has no security protocol/);
  expect(bad(['--listeners', 'PLAINTEXT://127.0.0.1'])).toMatch(/is not NAME:\/\/HOST:PORT/);
  expect(bad(['--listeners', 'PLAINTEXT://127.0.0.1:9092,PLAINTEXT://127.0.0.1:9093'])).toMatch(/named twice/);
  expect(bad(['--listeners', 'PLAINTEXT://127.0.0.1:9092', '--advertised-listeners', 'OTHER://x:1'])).toMatch(/OTHER, which is not in listeners/);
  expect(bad(['--listeners', 'PLAINTEXT://127.0.0.1:9092', '--inter-broker-listener-name', 'INTERNAL'])).toMatch(/INTERNAL is not in listeners/);
});

it('a broker registered before listeners existed is reached at its only address', () => {
  expect(endpointOn({ host: 'h', port: 1 }, 'INTERNAL')).toEqual({ host: 'h', port: 1 });
  expect(endpointOn({ host: 'h', port: 1, listeners: [{ name: 'INTERNAL', host: 'i', port: 2 }] }, 'INTERNAL')).toEqual({ host: 'i', port: 2 });
});
