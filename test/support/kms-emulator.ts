/**
 * An AWS KMS stand-in served over HTTP on 127.0.0.1, speaking the KMS JSON 1.1 protocol
 * (`POST /` with `X-Amz-Target: TrentService.<Operation>` and JSON bodies whose binary
 * fields are base64) so the real `@aws-sdk/client-kms` talks to it unchanged.
 *
 * It implements GenerateDataKey, Encrypt, Decrypt and ReEncrypt for symmetric keys. A
 * ciphertext blob holds the key ARN, a 96-bit nonce and AES-256-GCM output whose associated
 * data is the canonical encryption context, so a wrong context fails with
 * `InvalidCiphertextException` as on AWS. Unlike AWS it also rejects any call whose
 * encryption context lacks `service` or `key_number`, to catch a caller that forgets it.
 * SigV4 signatures are required to be present but are not verified.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

export type KmsOperation = 'GenerateDataKey' | 'Encrypt' | 'Decrypt' | 'ReEncrypt';
const operations: readonly KmsOperation[] = ['GenerateDataKey', 'Encrypt', 'Decrypt', 'ReEncrypt'];

export interface KmsFailure {
  /** AWS error name sent as `__type`, such as `ThrottlingException` or `KMSInternalException`. */
  name: string;
  status: number;
  /** Only calls of this operation fail; all operations when absent. */
  operation?: KmsOperation;
  /** How many calls fail before the emulator answers normally again; unlimited when absent. */
  times?: number;
}

export interface KmsEmulatorOptions {
  port?: number;
  region?: string;
  account?: string;
  /** Logs each call to stdout, for the standalone emulator. */
  verbose?: boolean;
}

interface EmulatedKey {
  arn: string;
  material: Buffer;
  enabled: boolean;
}

const requiredContextKeys = ['service', 'key_number'];
const context = z.record(z.string(), z.string()).optional();
const blob = z.string().min(1);
const bodies = {
  GenerateDataKey: z.object({ KeyId: z.string(), KeySpec: z.string().optional(), NumberOfBytes: z.number().optional(), EncryptionContext: context }),
  Encrypt: z.object({ KeyId: z.string(), Plaintext: blob, EncryptionContext: context }),
  Decrypt: z.object({ CiphertextBlob: blob, KeyId: z.string().optional(), EncryptionContext: context }),
  ReEncrypt: z.object({
    CiphertextBlob: blob,
    SourceKeyId: z.string().optional(),
    SourceEncryptionContext: context,
    DestinationKeyId: z.string(),
    DestinationEncryptionContext: context,
  }),
};

class KmsException extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export class KmsEmulator {
  /** Calls received per operation, counting failed and stalled ones. */
  readonly calls: Record<KmsOperation, number> = { GenerateDataKey: 0, Encrypt: 0, Decrypt: 0, ReEncrypt: 0 };
  private readonly keys = new Map<string, EmulatedKey>();
  private readonly aliases = new Map<string, string>();
  private failures: KmsFailure[] = [];
  private stalled: Promise<void> | undefined;
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly region: string,
    private readonly account: string,
    private readonly verbose: boolean,
  ) {}

  /** Starts the emulator on 127.0.0.1; port 0 picks a free one. */
  static async start(options: KmsEmulatorOptions = {}): Promise<KmsEmulator> {
    let emulator: KmsEmulator | undefined;
    const server = createServer((request, response) => void emulator!.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    emulator = new KmsEmulator(
      server,
      `http://127.0.0.1:${port}`,
      options.region ?? 'us-east-1',
      options.account ?? '000000000000',
      options.verbose ?? false,
    );
    return emulator;
  }

  /** Creates a symmetric key and returns its id (a UUID); `alias` also names it `alias/<alias>`. */
  createKey(alias?: string): { keyId: string; arn: string } {
    const keyId = randomUUID();
    const arn = `arn:aws:kms:${this.region}:${this.account}:key/${keyId}`;
    this.keys.set(arn, { arn, material: randomBytes(32), enabled: true });
    if (alias) this.aliases.set(`alias/${alias}`, arn);
    return { keyId, arn };
  }

  setKeyEnabled(keyId: string, enabled: boolean): void {
    this.resolve(keyId, { allowDisabled: true }).enabled = enabled;
  }

  /** Makes calls fail with an AWS error until `times` calls have failed or `clearFailures` runs. */
  fail(failure: KmsFailure): void {
    this.failures.push({ ...failure });
  }

  clearFailures(): void {
    this.failures = [];
  }

  /** Holds every call until the returned function runs; a client that times out meanwhile sees no answer. */
  stall(): () => void {
    let release!: () => void;
    this.stalled = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.stalled = undefined;
      release();
    };
  }

  totalCalls(): number {
    return operations.reduce((sum, operation) => sum + this.calls[operation], 0);
  }

  resetCalls(): void {
    for (const operation of operations) this.calls[operation] = 0;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^TrentService\./, '') as KmsOperation;
    try {
      if (!operations.includes(operation)) throw new KmsException('UnknownOperationException', `Unsupported target ${target}.`);
      this.calls[operation]++;
      if (this.verbose) console.log(`${new Date().toISOString()} ${operation}`);
      if (!String(request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) {
        throw new KmsException('MissingAuthenticationTokenException', 'The request is not signed.');
      }
      if (this.stalled) await this.stalled;
      // A client that timed out during the stall has closed the connection.
      if (response.destroyed || request.socket.destroyed) return;
      this.injectFailure(operation);
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      send(response, 200, this.run(operation, body));
    } catch (error) {
      const failure = error instanceof KmsException ? error : new KmsException('KMSInternalException', 'Internal error.', 500);
      if (!response.destroyed) send(response, failure.status, { __type: failure.type, message: failure.message });
    }
  }

  private injectFailure(operation: KmsOperation): void {
    const failure = this.failures.find((f) => !f.operation || f.operation === operation);
    if (!failure) return;
    if (failure.times !== undefined && --failure.times <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
    throw new KmsException(failure.name, `Injected ${failure.name}.`, failure.status);
  }

  private run(operation: KmsOperation, raw: unknown): Record<string, unknown> {
    switch (operation) {
      case 'GenerateDataKey': {
        const body = parse(bodies.GenerateDataKey, raw);
        if (body.KeySpec !== 'AES_256' && body.NumberOfBytes === undefined) throw new KmsException('ValidationException', 'KeySpec or NumberOfBytes is required.');
        const key = this.resolve(body.KeyId);
        const plaintext = randomBytes(body.KeySpec === 'AES_256' ? 32 : body.NumberOfBytes!);
        const ciphertext = seal(key, plaintext, checkedContext(body.EncryptionContext));
        return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), CiphertextBlob: ciphertext.toString('base64') };
      }
      case 'Encrypt': {
        const body = parse(bodies.Encrypt, raw);
        const key = this.resolve(body.KeyId);
        const ciphertext = seal(key, Buffer.from(body.Plaintext, 'base64'), checkedContext(body.EncryptionContext));
        return { KeyId: key.arn, CiphertextBlob: ciphertext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
      }
      case 'Decrypt': {
        const body = parse(bodies.Decrypt, raw);
        const { key, plaintext } = this.open(body.CiphertextBlob, body.KeyId, body.EncryptionContext);
        return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
      }
      case 'ReEncrypt': {
        const body = parse(bodies.ReEncrypt, raw);
        const source = this.open(body.CiphertextBlob, body.SourceKeyId, body.SourceEncryptionContext);
        const destination = this.resolve(body.DestinationKeyId);
        const ciphertext = seal(destination, source.plaintext, checkedContext(body.DestinationEncryptionContext));
        return { SourceKeyId: source.key.arn, KeyId: destination.arn, CiphertextBlob: ciphertext.toString('base64') };
      }
    }
  }

  private open(ciphertextBase64: string, keyId: string | undefined, encryptionContext: Record<string, string> | undefined) {
    const box = Buffer.from(ciphertextBase64, 'base64');
    const arnLength = box.length > 3 && box[0] === 1 ? box.readUInt16BE(1) : -1;
    const key = arnLength > 0 ? this.keys.get(box.subarray(3, 3 + arnLength).toString('utf8')) : undefined;
    if (!key) throw new KmsException('InvalidCiphertextException', 'The ciphertext is invalid.');
    if (!key.enabled) throw new KmsException('DisabledException', `${key.arn} is disabled.`);
    if (keyId !== undefined && this.resolve(keyId).arn !== key.arn) {
      throw new KmsException('IncorrectKeyException', 'The ciphertext was not encrypted under the given key.');
    }
    const aad = canonical(checkedContext(encryptionContext));
    const rest = box.subarray(3 + arnLength);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.material, rest.subarray(0, 12));
      decipher.setAAD(aad);
      decipher.setAuthTag(rest.subarray(rest.length - 16));
      const plaintext = Buffer.concat([decipher.update(rest.subarray(12, rest.length - 16)), decipher.final()]);
      return { key, plaintext };
    } catch {
      throw new KmsException('InvalidCiphertextException', 'The ciphertext or its encryption context is invalid.');
    }
  }

  private resolve(keyId: string, options: { allowDisabled?: boolean } = {}): EmulatedKey {
    const aliasName = /^arn:aws:kms:[^:]*:[^:]*:(alias\/.+)$/.exec(keyId)?.[1] ?? (keyId.startsWith('alias/') ? keyId : undefined);
    const arn = aliasName
      ? this.aliases.get(aliasName)
      : keyId.startsWith('arn:')
        ? keyId
        : `arn:aws:kms:${this.region}:${this.account}:key/${keyId}`;
    const key = arn ? this.keys.get(arn) : undefined;
    if (!key) throw new KmsException('NotFoundException', `Key '${keyId}' does not exist.`);
    if (!key.enabled && !options.allowDisabled) throw new KmsException('DisabledException', `${key.arn} is disabled.`);
    return key;
  }
}

function parse<T>(schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new KmsException('ValidationException', `Invalid request: ${parsed.error.issues[0]?.path.join('.')}.`);
  return parsed.data;
}

function checkedContext(encryptionContext: Record<string, string> | undefined): Record<string, string> {
  const missing = requiredContextKeys.filter((name) => !encryptionContext?.[name]);
  if (missing.length > 0) {
    throw new KmsException('ValidationException', `The encryption context lacks ${missing.join(', ')}.`);
  }
  return encryptionContext!;
}

function canonical(encryptionContext: Record<string, string>): Buffer {
  const sorted = Object.keys(encryptionContext)
    .sort()
    .map((name) => [name, encryptionContext[name]]);
  return Buffer.from(JSON.stringify(sorted), 'utf8');
}

function seal(key: EmulatedKey, plaintext: Buffer, encryptionContext: Record<string, string>): Buffer {
  const arn = Buffer.from(key.arn, 'utf8');
  const header = Buffer.alloc(3);
  header[0] = 1;
  header.writeUInt16BE(arn.length, 1);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.material, nonce);
  cipher.setAAD(canonical(encryptionContext));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, arn, nonce, ciphertext, cipher.getAuthTag()]);
}

function send(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
  response.end(JSON.stringify(body));
}
