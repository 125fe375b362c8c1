/**
 * Checks real responses against the published OpenAPI document: the route and status must be
 * documented and a JSON body must match its schema. The harness runs it on every response.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { openApiDocument } from '../../functions/meta/document.js';

type Responses = Record<string, { content?: Record<string, { schema?: unknown }> }>;

const document = openApiDocument();
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema(JSON.parse(JSON.stringify({ components: document.components }).replaceAll('#/components/', 'openapi#/components/')), 'openapi');
const validators = new Map<string, ValidateFunction>();

const routes = Object.entries(document.paths ?? {}).map(([template, item]) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  item: item as Record<string, { responses?: Responses }>,
}));

/** Returns why the response breaks the document, or undefined when it conforms. */
export function openApiMismatch(method: string, url: string, status: number, contentType: string, body: string): string | undefined {
  const path = new URL(url, 'http://localhost').pathname;
  const route = routes.find((r) => r.pattern.test(path));
  if (!route) return undefined; // Undocumented paths answer 404 from the app itself.
  const operation = route.item[method.toLowerCase()];
  if (!operation) return undefined;

  const responses = operation.responses ?? {};
  const documented = responses[String(status)] ?? (status >= 400 ? responses.default : undefined);
  if (!documented) return `${method} ${route.template} returned ${status}, which the document does not list`;
  const schema = documented.content?.['application/json']?.schema;
  if (!schema || !contentType.includes('json')) return undefined;

  const key = `${method} ${route.template} ${status}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('#/components/', 'openapi#/components/')));
    validators.set(key, validate);
  }
  if (validate(JSON.parse(body))) return undefined;
  return `${key} body does not match the document: ${ajv.errorsText(validate.errors)}`;
}
