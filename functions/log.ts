/**
 * Structured logs: one JSON object per line, readable by Workers Logs and any log shipper.
 * Fields whose names suggest a secret are replaced before the line is written, so a
 * careless call site cannot leak a token through a log.
 */

export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Field names whose values are never written. */
const secretFieldPattern = /secret|token|password|passwd|authorization|cookie|api_?key|credential|ciphertext|private|data_?key/i;

export function createLogger(write: (line: string) => void = (line) => console.log(line)): Logger {
  const emit = (level: LogLevel, event: string, fields: LogFields = {}) => {
    write(JSON.stringify({ time: new Date().toISOString(), level, event, ...redact(fields) }));
  };
  return {
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
  };
}

function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (secretFieldPattern.test(key)) out[key] = '[redacted]';
    else if (value && typeof value === 'object' && !Array.isArray(value)) out[key] = redact(value as LogFields);
    else out[key] = value;
  }
  return out;
}
