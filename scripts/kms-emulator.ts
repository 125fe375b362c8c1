/**
 * `npm run kms-emulator`: serves the KMS emulator of the test suite on 127.0.0.1, for trying
 * Switchboard's KMS configuration without AWS. Keys live in memory and vanish when it stops,
 * and with them every data key they wrapped: use it for walk-throughs, never for real secrets.
 *
 * KMS_EMULATOR_PORT sets the port (default 4599). It creates one key with the alias
 * `alias/switchboard`, and a second one, `alias/switchboard-next`, to try re-wrapping.
 */
import { KmsEmulator } from '../test/support/kms-emulator.js';

const port = Number(process.env.KMS_EMULATOR_PORT || 4599);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('KMS_EMULATOR_PORT must be a TCP port number.');
  process.exit(2);
}
const emulator = await KmsEmulator.start({ port, verbose: true });
const first = emulator.createKey('switchboard');
const second = emulator.createKey('switchboard-next');
console.log(`KMS emulator listening on ${emulator.url}
  alias/switchboard       ${first.arn}
  alias/switchboard-next  ${second.arn}
Point Switchboard at it:
  export KMS_KEY_ID=alias/switchboard AWS_REGION=us-east-1 KMS_ENDPOINT=${emulator.url}
  export AWS_ACCESS_KEY_ID=emulator AWS_SECRET_ACCESS_KEY=emulator`);

const stop = () => void emulator.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
