import { createRequire } from 'node:module';
import type { AuthenticationProviderArgs, Authenticator, Mechanism } from 'kafkajs';
import { type SaslMechanismName, type SaslSettings, valueOrThrow } from './connection-settings.ts';

// kafkajs takes PLAIN and SCRAM credentials only as strings in its client config and keeps
// that one object for every connection: a rotated Secret would never reach it. What it does
// call at every authentication (each new broker connection, and each re-authentication once
// a broker-set session lifetime nears its end) is the config's `authenticationProvider`, the
// public hook for custom mechanisms (kafkajs's `Mechanism` type). This one reads the
// credential files at that moment and hands them to kafkajs's own PLAIN or SCRAM exchange
// for that authentication only.
//
// kafkajs does not export those exchanges; they are loaded from its sources by path. kafkajs
// has no `exports` map, so the paths resolve; 2.2.4 is its latest release. Should a future
// kafkajs move them, building a SASL producer fails at once, naming the missing module, and
// the unit tests that authenticate through this provider fail with it.

/** kafkajs's built-in authenticator for one mechanism, as its saslAuthenticator modules export it. */
type BuiltinAuthenticator = (sasl: {
  mechanism: string;
  username: string;
  password: string;
}) => (args: AuthenticationProviderArgs) => Authenticator;

const BUILTIN_MODULES: Readonly<Record<SaslMechanismName, string>> = {
  PLAIN: 'kafkajs/src/broker/saslAuthenticator/plain.js',
  'SCRAM-SHA-256': 'kafkajs/src/broker/saslAuthenticator/scram256.js',
  'SCRAM-SHA-512': 'kafkajs/src/broker/saslAuthenticator/scram512.js',
};

const require = createRequire(import.meta.url);

function builtinAuthenticator(mechanism: SaslMechanismName): BuiltinAuthenticator {
  const module = BUILTIN_MODULES[mechanism];
  const loaded: unknown = require(module);
  if (typeof loaded !== 'function') {
    throw new Error(`kafkajs's ${mechanism} authenticator (${module}) is not a function; kafkajs changed`);
  }
  return loaded as BuiltinAuthenticator;
}

/**
 * The kafkajs `sasl` option for a SASL setting: the mechanism kafkajs negotiates, with an
 * authentication provider that reads both credential files at every authentication. An
 * unreadable or empty file fails that authentication with a SecretFileError (code, setting
 * and path; never content), and the next attempt reads again.
 */
export function kafkajsSaslMechanism(sasl: SaslSettings): Mechanism {
  const authenticate = builtinAuthenticator(sasl.mechanism);
  return {
    mechanism: sasl.mechanism,
    authenticationProvider: (args) => ({
      async authenticate() {
        const [username, password] = await Promise.all([sasl.username(), sasl.password()]);
        // A fresh object for this authentication only: the strings are not kept anywhere
        // kafkajs (or a log line about its config) could reach later.
        const credentials = {
          mechanism: sasl.mechanism,
          username: valueOrThrow(username),
          password: valueOrThrow(password),
        };
        await authenticate(credentials)(args).authenticate();
      },
    }),
  };
}
