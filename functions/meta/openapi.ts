/** `GET /api/experimental/openapi.json`: the API description, without authentication. */
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { openApiDocument } from './document.js';

const app = new Hono<AppEnv>();

app.get('/openapi.json', (c) => c.json(openApiDocument(), 200, { 'Cache-Control': 'public, max-age=300' }));

export default app;
