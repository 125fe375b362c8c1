/**
 * The floor for the list benchmark: a bare node:http handler that runs the same SQL as
 * `GET /api/experimental/mcp/servers` and serialises the rows, with no framework, auth or
 * validation. Started by bench/list-latency.ts with the statement in BARE_SQL.
 */
import { createServer } from 'node:http';
import pg from 'pg';

const { text, params } = JSON.parse(process.env.BARE_SQL!) as { text: string; params: unknown[] };
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

createServer(async (_request, response) => {
  const { rows } = await pool.query(text, params);
  const body = JSON.stringify(rows);
  response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
