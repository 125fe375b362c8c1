/**
 * `npm run token -- --role admin|member [--sub NAME] [--hours N]`: prints a bearer token that
 * the local server accepts (signed with AUTH_JWT_SECRET or the secret under DATA_DIR).
 */
import { parseArgs } from 'node:util';
import { signDevToken } from '../functions/auth/tokens.js';
import { devSigningSecret } from '../functions/local-files.js';

const usage = 'Usage: npm run token -- --role admin|member [--sub NAME] [--hours N]';

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    sub: { type: 'string' },
    hours: { type: 'string', default: '168' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (values.role !== 'admin' && values.role !== 'member') {
  console.error(`--role must be admin or member.\n${usage}`);
  process.exit(2);
}
const hours = Number(values.hours);
if (!Number.isFinite(hours) || hours <= 0) {
  console.error(`--hours must be a positive number.\n${usage}`);
  process.exit(2);
}

const secret = new TextEncoder().encode(await devSigningSecret(process.env));
const token = await signDevToken(secret, {
  subject: values.sub || `dev-${values.role}`,
  roles: values.role === 'admin' ? ['admin'] : [],
  expiresIn: Math.round(hours * 3600),
});
console.log(token);
