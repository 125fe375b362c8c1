/** Builds the OpenAPI 3.1 document from the same route definitions that validate requests. */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';
import { apiPrefix, endpoints } from '../endpoints.js';

export type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

let cached: OpenApiDocument | undefined;

export function openApiDocument(): OpenApiDocument {
  if (cached) return cached;
  const app = new OpenAPIHono<AppEnv>();
  for (const endpoint of endpoints) app.route(apiPrefix, endpoint);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token from the identity provider; the `roles` claim (configurable) grants `admin`.',
  });
  cached = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Switchboard API',
      version: 'experimental',
      description: 'Admin-governed remote MCP servers for an AI chat product. Errors share one shape: `code`, `message`, `detail`, `validations`.',
    },
  });
  return cached;
}
