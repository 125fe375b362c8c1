/**
 * `GET /api/experimental/docs`: a self-contained HTML reference rendered from the OpenAPI
 * document. It loads nothing from other hosts and runs no script.
 */
import { Hono } from 'hono';
import { html, raw } from 'hono/html';
import type { AppEnv } from '../env.js';
import { openApiDocument } from './document.js';

type Operation = {
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
  security?: unknown[];
};

const app = new Hono<AppEnv>();

app.get('/docs', (c) => {
  const document = openApiDocument();
  const sections = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Operation>).map(([method, operation]) => renderOperation(method, path, operation)),
  );
  const schemas = Object.entries(document.components?.schemas ?? {}).map(
    ([name, schema]) => html`<section><h3 id="schema-${name}">${name}</h3><pre>${JSON.stringify(schema, null, 2)}</pre></section>`,
  );
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${document.info.title}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; }
code, pre { font: 13px/1.4 ui-monospace, monospace; } pre { background: #f4f4f6; padding: .75rem; overflow-x: auto; }
.method { display: inline-block; min-width: 4.5rem; font-weight: 600; text-transform: uppercase; }
section { border-top: 1px solid #ddd; padding-top: .5rem; }
</style>
</head>
<body>
<h1>${document.info.title}</h1>
<p>${document.info.description ?? ''}</p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI ${document.openapi}).</p>
<h2>Operations</h2>
${sections}
<h2>Schemas</h2>
${schemas}
</body>
</html>`;
  return c.html(page, 200, {
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    'Referrer-Policy': 'no-referrer',
  });
});

function renderOperation(method: string, path: string, operation: Operation) {
  const parameters = (operation.parameters ?? []).map((p) => `${p.name} (${p.in}${p.required ? ', required' : ''})`);
  const body = operation.requestBody?.content?.['application/json']?.schema;
  const responses = Object.entries(operation.responses ?? {}).map(([status, r]) => html`<li><code>${status}</code> ${r.description ?? ''}</li>`);
  return html`<section>
<h3><span class="method">${method}</span> <code>${path}</code></h3>
<p>${operation.summary ?? ''}${operation.security?.length ? raw(' &middot; bearer token') : ''}</p>
${parameters.length ? html`<p>Parameters: ${parameters.join(', ')}</p>` : ''}
${body ? html`<p>Request body:</p><pre>${JSON.stringify(body, null, 2)}</pre>` : ''}
<ul>${responses}</ul>
</section>`;
}

export default app;
